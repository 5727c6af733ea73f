/* hsmca — RFC 6962 test logs (include/hsmca/ct.h, issue #6).
 *
 * A test log has a key, a name and an operator, and answers the three
 * RFC 6962 §4 calls a CA needs: add-pre-chain and add-chain (POST, JSON
 * {"chain": [base64 DER, ...]}) with an SCT, and get-roots. It keeps no
 * Merkle tree: an SCT is a promise the test log never has to keep. The
 * knobs let a CA's client be tested against logs that misbehave:
 * reject everything, answer slowly, fail a fraction of calls with 503, or
 * sign with a key that is not the log's.
 */
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "ct/ct_int.h"
#include "hsmca/log.h"

/* RFC 6962 §4.1: chains are short; a bound keeps a hostile body cheap. */
#define TESTLOG_CHAIN_MAX 8
#define TESTLOG_DELAY_MAX_MS 60000
#define TESTLOG_ROOTS_MAX 16

struct hsmca_ct_testlog {
    char *name;
    char *operator_name;
    EVP_PKEY *key;
    EVP_PKEY *wrong_key;       /* made on demand for the wrong-key knob */
    uint8_t log_id[32];
    STACK_OF(X509) *roots;     /* accepted roots; empty: any chain */
    pthread_mutex_t lock;      /* knobs, counter, wrong_key */
    hsmca_ct_testlog_knobs knobs;
    uint64_t calls;            /* add-* calls seen, for the failure fraction */
};

hsmca_err hsmca_ct_testlog_new(const char *name, const char *operator_name, EVP_PKEY *key,
                               X509 *const *roots, size_t n_roots, hsmca_ct_testlog **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_ct_testlog *l = NULL;

    HSMCA_ENSURE(name != NULL && *name != '\0' && key != NULL && out != NULL, HSMCA_E_USAGE,
                 "hsmca_ct_testlog_new: missing argument");
    for (const char *p = name; *p != '\0'; p++)
        HSMCA_ENSURE((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                         (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.',
                     HSMCA_E_INPUT, "test log name '%s': use letters, digits, '.', '-', '_' "
                     "(it appears in URLs)", name);
    HSMCA_ENSURE(n_roots <= TESTLOG_ROOTS_MAX, HSMCA_E_INPUT,
                 "test log '%s': at most %d accepted roots", name, TESTLOG_ROOTS_MAX);
    l = calloc(1, sizeof *l);
    HSMCA_ALLOC(l);
    pthread_mutex_init(&l->lock, NULL);
    l->name = strdup(name);
    l->operator_name = strdup(operator_name != NULL ? operator_name : name);
    HSMCA_ALLOC(l->name);
    HSMCA_ALLOC(l->operator_name);
    /* Only a key RFC 6962 §2.1.4 allows: the id computation and a test
     * signature below refuse anything else. */
    HSMCA_GUARD(hsmca_ct_log_id(key, l->log_id));
    HSMCA_OSSL(EVP_PKEY_up_ref(key) == 1, "cannot share the log key");
    l->key = key;
    l->roots = sk_X509_new_null();
    HSMCA_ALLOC(l->roots);
    for (size_t i = 0; i < n_roots; i++) {
        HSMCA_OSSL(X509_up_ref(roots[i]) == 1, "cannot share a root");
        if (sk_X509_push(l->roots, roots[i]) <= 0) {
            X509_free(roots[i]);
            HSMCA_ALLOC(NULL);
        }
    }
    *out = l;
    l = NULL;
out:
    hsmca_ct_testlog_free(l);
    return err;
}

void hsmca_ct_testlog_free(hsmca_ct_testlog *l)
{
    if (l == NULL)
        return;
    free(l->name);
    free(l->operator_name);
    EVP_PKEY_free(l->key);
    EVP_PKEY_free(l->wrong_key);
    sk_X509_pop_free(l->roots, X509_free);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

const char *hsmca_ct_testlog_name(const hsmca_ct_testlog *l)
{
    return l->name;
}

const char *hsmca_ct_testlog_operator(const hsmca_ct_testlog *l)
{
    return l->operator_name;
}

EVP_PKEY *hsmca_ct_testlog_key(const hsmca_ct_testlog *l)
{
    return l->key;
}

const uint8_t *hsmca_ct_testlog_id(const hsmca_ct_testlog *l)
{
    return l->log_id;
}

hsmca_err hsmca_ct_testlog_knobs_check(const hsmca_ct_testlog_knobs *k)
{
    hsmca_err err = HSMCA_OK;

    HSMCA_ENSURE(k->fail_fraction >= 0.0 && k->fail_fraction <= 1.0 && !isnan(k->fail_fraction),
                 HSMCA_E_INPUT, "fail fraction %g is not between 0 and 1", k->fail_fraction);
    HSMCA_ENSURE(k->delay_ms <= TESTLOG_DELAY_MAX_MS, HSMCA_E_INPUT,
                 "delay %u ms is more than the %d ms a test log waits", k->delay_ms,
                 TESTLOG_DELAY_MAX_MS);
out:
    return err;
}

hsmca_err hsmca_ct_testlog_set_knobs(hsmca_ct_testlog *l, const hsmca_ct_testlog_knobs *k)
{
    hsmca_err err = hsmca_ct_testlog_knobs_check(k);

    if (err != HSMCA_OK)
        return err;
    pthread_mutex_lock(&l->lock);
    l->knobs = *k;
    l->calls = 0;
    pthread_mutex_unlock(&l->lock);
    return HSMCA_OK;
}

void hsmca_ct_testlog_get_knobs(hsmca_ct_testlog *l, hsmca_ct_testlog_knobs *out)
{
    pthread_mutex_lock(&l->lock);
    *out = l->knobs;
    pthread_mutex_unlock(&l->lock);
}

/* Answer with an error (HTTP status, message) unless cond holds. */
#define HSMCA_ENSURE_REPLY(cond, status, msg)                                 \
    do {                                                                      \
        if (!(cond)) {                                                        \
            err = reply_error((status), (msg), http_status, out);             \
            goto out;                                                         \
        }                                                                     \
    } while (0)

/* A reply: HTTP status and a JSON body (malloc'd). */
static hsmca_err reply(int status, json_t *body, int *http_status, char **out)
{
    hsmca_err err = HSMCA_OK;
    char *s = NULL;

    HSMCA_ALLOC(body);
    s = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    HSMCA_ALLOC(s);
    *http_status = status;
    *out = s;
out:
    json_decref(body);
    return err;
}

/* RFC 6962 does not define an error body; this one says what was wrong. */
static hsmca_err reply_error(int status, const char *msg, int *http_status, char **out)
{
    return reply(status, json_pack("{s:b, s:s}", "success", 0, "error_message", msg),
                 http_status, out);
}

/* The chain of an add-* body: {"chain": ["<base64 DER>", ...]}. */
static hsmca_err parse_chain(const uint8_t *body, size_t len, STACK_OF(X509) **out)
{
    hsmca_err err = HSMCA_OK;
    json_t *root = NULL, *chain, *v;
    json_error_t je;
    STACK_OF(X509) *sk = NULL;
    uint8_t *der = NULL;
    size_t der_len = 0, i;

    root = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &je);
    HSMCA_ENSURE(root != NULL, HSMCA_E_INPUT, "the body is not JSON: %s (line %d)", je.text,
                 je.line);
    chain = json_object_get(root, "chain");
    HSMCA_ENSURE(json_is_array(chain) && json_array_size(chain) >= 1, HSMCA_E_INPUT,
                 "the body has no \"chain\" array of base64 certificates (RFC 6962 §4.1)");
    HSMCA_ENSURE(json_array_size(chain) <= TESTLOG_CHAIN_MAX, HSMCA_E_INPUT,
                 "a chain of %zu certificates; this log takes at most %d",
                 json_array_size(chain), TESTLOG_CHAIN_MAX);
    sk = sk_X509_new_null();
    HSMCA_ALLOC(sk);
    json_array_foreach(chain, i, v) {
        const unsigned char *p;
        X509 *x;
        char what[32];

        snprintf(what, sizeof what, "chain[%zu]", i);
        HSMCA_ENSURE(json_is_string(v), HSMCA_E_INPUT, "%s is not a string", what);
        HSMCA_GUARD(hsmca_base64_decode(json_string_value(v), json_string_length(v), what, &der,
                                        &der_len));
        p = der;
        x = d2i_X509(NULL, &p, (long)der_len);
        HSMCA_ENSURE(x != NULL && p == der + der_len, HSMCA_E_INPUT,
                     "%s is not one DER certificate", what);
        if (sk_X509_push(sk, x) <= 0) {
            X509_free(x);
            HSMCA_ALLOC(NULL);
        }
        free(der);
        der = NULL;
    }
    *out = sk;
    sk = NULL;
out:
    free(der);
    sk_X509_pop_free(sk, X509_free);
    json_decref(root);
    return err;
}

/* Each certificate is signed by the next, and the chain ends at (or is
 * issued by) an accepted root, when there are any (RFC 6962 §3.1). */
static hsmca_err check_chain(const hsmca_ct_testlog *l, STACK_OF(X509) *sk)
{
    hsmca_err err = HSMCA_OK;
    int n = sk_X509_num(sk);
    X509 *last = sk_X509_value(sk, n - 1);
    int rooted = sk_X509_num(l->roots) == 0;

    for (int i = 0; i + 1 < n; i++) {
        EVP_PKEY *k = X509_get0_pubkey(sk_X509_value(sk, i + 1));
        HSMCA_ENSURE(k != NULL && X509_verify(sk_X509_value(sk, i), k) == 1, HSMCA_E_INPUT,
                     "chain[%d] is not signed by chain[%d]", i, i + 1);
    }
    for (int r = 0; !rooted && r < sk_X509_num(l->roots); r++) {
        X509 *root = sk_X509_value(l->roots, r);
        rooted = X509_cmp(last, root) == 0 ||
                 (X509_check_issued(root, last) == X509_V_OK &&
                  X509_verify(last, X509_get0_pubkey(root)) == 1);
    }
    HSMCA_ENSURE(rooted, HSMCA_E_INPUT,
                 "the chain does not end at a root this log accepts (see get-roots)");
out:
    return err;
}

/* The key this call signs with: the log's, or for the wrong-key knob a
 * P-256 key made once for this log (so SCTs carry the log's id but do not
 * verify with its key). */
static hsmca_err signing_key(hsmca_ct_testlog *l, int wrong, EVP_PKEY **out)
{
    hsmca_err err = HSMCA_OK;

    *out = l->key;
    if (!wrong)
        goto out;
    pthread_mutex_lock(&l->lock);
    if (l->wrong_key == NULL)
        l->wrong_key = EVP_EC_gen("P-256");
    *out = l->wrong_key;
    pthread_mutex_unlock(&l->lock);
    HSMCA_OSSL(*out != NULL, "cannot make the wrong-key knob's key");
out:
    return err;
}

/* The knobs for this call: whether it is rejected or fails, and its delay. */
static void knobs_for_call(hsmca_ct_testlog *l, hsmca_ct_testlog_knobs *k, int *fail)
{
    uint64_t n;

    pthread_mutex_lock(&l->lock);
    *k = l->knobs;
    n = l->calls++;
    pthread_mutex_unlock(&l->lock);
    /* Deterministic: exactly floor(n * f) of the first n calls fail, spread
     * evenly, so a test knows which call fails. */
    *fail = k->fail_fraction > 0.0 &&
            floor((double)(n + 1) * k->fail_fraction) > floor((double)n * k->fail_fraction);
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

    while (ms > 0 && nanosleep(&ts, &ts) != 0)
        ;
}

hsmca_err hsmca_ct_testlog_handle(hsmca_ct_testlog *l, const char *call, int is_post,
                                  const uint8_t *body, size_t len, uint64_t now_ms,
                                  int *http_status, char **out)
{
    hsmca_err err = HSMCA_OK;
    STACK_OF(X509) *chain = NULL;
    hsmca_sct *sct = NULL;
    EVP_PKEY *key = NULL;
    hsmca_ct_testlog_knobs k;
    char *sct_json = NULL;
    int precert, fail = 0;

    HSMCA_ENSURE(l != NULL && call != NULL && http_status != NULL && out != NULL, HSMCA_E_USAGE,
                 "hsmca_ct_testlog_handle: missing argument");
    *out = NULL;
    if (strcmp(call, "get-roots") == 0) {
        HSMCA_ENSURE_REPLY(!is_post, 405, "get-roots takes GET");
        X509 *v[TESTLOG_ROOTS_MAX];
        size_t n = 0;
        for (int i = 0; i < sk_X509_num(l->roots) && n < TESTLOG_ROOTS_MAX; i++)
            v[n++] = sk_X509_value(l->roots, i);
        HSMCA_GUARD(ct_certs_json("certificates", v, n, out));
        *http_status = 200;
        goto out;
    }
    precert = strcmp(call, "add-pre-chain") == 0;
    HSMCA_ENSURE_REPLY(precert || strcmp(call, "add-chain") == 0, 404,
                       "unknown call (RFC 6962 §4: add-chain, add-pre-chain, get-roots)");
    HSMCA_ENSURE_REPLY(is_post, 405, "add-chain and add-pre-chain take POST");
    knobs_for_call(l, &k, &fail);
    if (k.delay_ms > 0) {
        hsmca_log(HSMCA_LOG_INFO, "test log '%s': answering %s after %u ms (knob delay_ms)",
                  l->name, call, k.delay_ms);
        sleep_ms(k.delay_ms);
    }
    HSMCA_ENSURE_REPLY(!k.reject, 400, "this test log rejects every submission (knob reject)");
    HSMCA_ENSURE_REPLY(!fail, 503, "this test log fails this call (knob fail)");
    if (parse_chain(body, len, &chain) != HSMCA_OK) {
        err = reply_error(400, hsmca_err_message(), http_status, out);
        goto out;
    }
    /* RFC 6962 §3.1: add-pre-chain takes a precertificate (one poison),
     * add-chain a certificate without. A Precertificate Signing Certificate
     * (chain[1] with the CT EKU) is not supported by the test log. */
    HSMCA_ENSURE_REPLY(hsmca_ct_poison_count(sk_X509_value(chain, 0)) == (precert ? 1 : 0), 400,
                       precert ? "chain[0] is not a precertificate (no CT poison): use "
                                 "add-chain"
                               : "chain[0] is a precertificate: use add-pre-chain");
    HSMCA_ENSURE_REPLY(!precert || sk_X509_num(chain) >= 2, 400,
                       "add-pre-chain needs the precertificate's issuer as chain[1]");
    if (precert) {
        EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(sk_X509_value(chain, 1), NID_ext_key_usage,
                                                   NULL, NULL);
        int psc = 0;
        for (int i = 0; eku != NULL && i < sk_ASN1_OBJECT_num(eku); i++)
            psc |= OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) == NID_ct_precert_signer;
        EXTENDED_KEY_USAGE_free(eku);
        HSMCA_ENSURE_REPLY(!psc, 400, "precertificate signing certificates are not supported by "
                                      "the test log");
    }
    if (check_chain(l, chain) != HSMCA_OK) {
        err = reply_error(400, hsmca_err_message(), http_status, out);
        goto out;
    }
    HSMCA_GUARD(signing_key(l, k.wrong_key, &key));
    if (precert)
        err = hsmca_ct_sct_sign(key, sk_X509_value(chain, 0), sk_X509_value(chain, 1), now_ms,
                                &sct);
    else
        err = hsmca_ct_sct_sign_x509(key, sk_X509_value(chain, 0), now_ms, &sct);
    if (err != HSMCA_OK) {
        err = reply_error(400, hsmca_err_message(), http_status, out);
        goto out;
    }
    if (k.wrong_key)
        memcpy(sct->log_id, l->log_id, sizeof l->log_id); /* claim to be this log */
    HSMCA_GUARD(hsmca_ct_sct_to_json(sct, &sct_json));
    *out = sct_json;
    sct_json = NULL;
    *http_status = 200;
out:
    sk_X509_pop_free(chain, X509_free);
    hsmca_sct_free(sct);
    free(sct_json);
    return err;
}
