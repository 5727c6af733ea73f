/* src/ca in-process on a real SoftHSM token and a real SQLite file:
 * 10,000 precertificates (serial uniqueness, size and encoding over all of
 * them), then finals with SCTs from a software test log, and the refusals
 * that need no CLI. The end-to-end CLI flow is tests/interop/test_issuance.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "hsmca/ca.h"
#include "hsmca/ct.h"
#include "hsmca/profile.h"
#include "hsmca/store.h"
#include "hsmca/x509.h"
#include "require.h"
#include "softhsm.h"
#include "support.h"

typedef struct fixture {
    hsmca_test_softhsm sh;
    char state[PATH_MAX];
    char profiles[PATH_MAX];
    hsmca_hsm *hsm;
    hsmca_store *store;
    hsmca_ca *ca;
    X509 *root, *sub;
    EVP_PKEY *leaf_key;
} fixture;

static X509 *build(const char *prof, const char *cn, EVP_PKEY *subject_key, X509 *issuer,
                   EVP_PKEY *signer)
{
    hsmca_profile *p = hsmca_test_require_profile(prof);
    hsmca_x509_subject subj;
    uint8_t rnd[16], serial[HSMCA_X509_SERIAL_MAX];
    size_t serial_len = 0;
    X509 *c = NULL;
    hsmca_x509_request req;

    memset(&subj, 0, sizeof(subj));
    subj.attr[HSMCA_PROFILE_ATTR_C] = "XX";
    subj.attr[HSMCA_PROFILE_ATTR_O] = "hsmca test";
    subj.attr[HSMCA_PROFILE_ATTR_CN] = cn;
    memset(rnd, 0x5a, sizeof(rnd));
    rnd[0] = (uint8_t)cn[0];
    ASSERT_OK(hsmca_x509_serial_from_random(rnd, sizeof(rnd), serial, &serial_len));
    req = (hsmca_x509_request){.profile = p, .subject = &subj, .subject_key = subject_key,
                               .issuer = issuer, .signer_public = signer, .serial = serial,
                               .serial_len = serial_len, .now = hsmca_clock_now(),
                               .base_url = "http://127.0.0.1:8080", .issuer_id = "root"};
    ASSERT_OK(hsmca_x509_build(&req, &c));
    ASSERT_OK(hsmca_x509_sign(c, signer, signer));
    hsmca_profile_free(p);
    return c;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    const char *srcdir = getenv("HSMCA_SOURCE_DIR");
    hsmca_token *tok = NULL;
    hsmca_key *key = NULL;
    EVP_PKEY *root_key = NULL;
    hsmca_store_issuer is;
    hsmca_secret *pin = hsmca_test_secret(HSMCA_TEST_USER_PIN);
    uint8_t *der = NULL;
    size_t der_len = 0;
    int64_t id = 0;
    char name[] = "sub", token[] = "issuing", keyl[] = "sub-key", prof[] = "tls-server";
    char url[] = "http://127.0.0.1:8080";

    if (f == NULL || srcdir == NULL || hsmca_test_softhsm_setup(&f->sh) != 0)
        return -1;
    snprintf(f->profiles, sizeof(f->profiles), "%s/profiles", srcdir);
    snprintf(f->state, sizeof(f->state), "%s/state", f->sh.dir);
    hsmca_clock_set("2026-11-28T12:00:00Z");
    ASSERT_OK(hsmca_hsm_open(NULL, &f->hsm));
    ASSERT_OK(hsmca_test_token_create(f->hsm, "issuing"));
    ASSERT_OK(hsmca_test_token_login(f->hsm, "issuing", &tok));
    ASSERT_OK(hsmca_hsm_keygen(tok, HSMCA_KEY_EC_P256, "sub-key", &key));
    /* A software root is enough here: the CA under test is the token key. */
    root_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    assert_non_null(root_key);
    f->root = build("root", "Test Root", root_key, NULL, root_key);
    f->sub = build("subordinate", "Test Sub", hsmca_hsm_key_get0_public(key), f->root, root_key);
    f->leaf_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    assert_non_null(f->leaf_key);

    ASSERT_OK(hsmca_store_open(f->state, &f->store));
    ASSERT_OK(hsmca_x509_to_der(f->sub, &der, &der_len));
    memset(&is, 0, sizeof(is));
    is.name = name;
    is.cert_der = der;
    is.cert_len = der_len;
    is.token_label = token;
    is.key_label = keyl;
    is.profile = prof;
    is.base_url = url;
    ASSERT_OK(hsmca_store_issuer_add(f->store, &is, &id));
    hsmca_hsm_key_free(key);
    hsmca_hsm_token_free(tok);
    ASSERT_OK(hsmca_ca_open(f->store, f->hsm, "sub", pin, &f->ca));
    OPENSSL_free(der);
    EVP_PKEY_free(root_key);
    hsmca_secret_free(pin);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    if (f == NULL)
        return 0;
    hsmca_ca_free(f->ca);
    hsmca_store_close(f->store);
    hsmca_hsm_free(f->hsm);
    X509_free(f->root);
    X509_free(f->sub);
    EVP_PKEY_free(f->leaf_key);
    hsmca_test_softhsm_teardown(&f->sh);
    hsmca_clock_set(NULL);
    free(f);
    return 0;
}

static X509 *precert(fixture *f, const char *dns, uint8_t *serial, size_t *serial_len)
{
    const char *names[] = {dns};
    hsmca_ca_request req = {f->leaf_key, names, 1, NULL, 0, NULL, f->profiles, NULL};
    X509 *c = NULL;

    ASSERT_OK(hsmca_ca_issue_precert(f->ca, &req, &c, serial, serial_len));
    return c;
}

typedef struct serial_rec {
    uint8_t b[HSMCA_X509_SERIAL_MAX];
    size_t n;
} serial_rec;

static int cmp_serial(const void *a, const void *b)
{
    const serial_rec *x = a, *y = b;

    if (x->n != y->n)
        return x->n < y->n ? -1 : 1;
    return memcmp(x->b, y->b, x->n);
}

/* CONFORMANCE.md §1 over many issuances: unique, positive, minimal DER,
 * at most 20 octets, and at least 64 random bits with no bit stuck. */
/* Two issuers whose keys are in one token: a process opens a token once,
 * so hsmca_ca_open_many shares it, and both issue; the token closes with
 * the last of them. */
static void test_issuers_share_a_token(void **state)
{
    fixture *f = *state;
    hsmca_token *tok = NULL;
    hsmca_key *key = NULL;
    hsmca_ca *cas[2] = {NULL, NULL}, *alone = NULL;
    const char *names[2] = {"sub", "sub2"};
    hsmca_secret *pin = hsmca_test_secret(HSMCA_TEST_USER_PIN);
    EVP_PKEY *root_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    X509 *root2, *sub2, *pre = NULL;
    const char *dns[] = {"shared.example.com"};
    hsmca_ca_request req = {f->leaf_key, dns, 1, NULL, 0, NULL, f->profiles, NULL};
    hsmca_store_issuer is;
    uint8_t *der = NULL, serial[HSMCA_STORE_SERIAL_MAX];
    size_t der_len = 0, serial_len = 0;
    char name[] = "sub2", token[] = "issuing", keyl[] = "sub2-key";
    char url[] = "http://127.0.0.1:8080";

    assert_non_null(root_key);
    /* A second CA key in the same token (the fixture's ca holds it open). */
    hsmca_ca_free(f->ca);
    f->ca = NULL;
    ASSERT_OK(hsmca_test_token_login(f->hsm, "issuing", &tok));
    ASSERT_OK(hsmca_hsm_keygen(tok, HSMCA_KEY_EC_P256, "sub2-key", &key));
    root2 = build("root", "Root Two", root_key, NULL, root_key);
    sub2 = build("subordinate", "Sub Two", hsmca_hsm_key_get0_public(key), root2, root_key);
    hsmca_hsm_key_free(key);
    hsmca_hsm_token_free(tok);
    ASSERT_OK(hsmca_x509_to_der(sub2, &der, &der_len));
    memset(&is, 0, sizeof(is));
    is.name = name;
    is.cert_der = der;
    is.cert_len = der_len;
    is.token_label = token;
    is.key_label = keyl;
    is.base_url = url;
    ASSERT_OK(hsmca_store_issuer_add(f->store, &is, NULL));

    ASSERT_OK(hsmca_ca_open_many(f->store, f->hsm, names, 2, pin, cas));
    /* Opened alone, the second would need the token a second time. */
    assert_int_not_equal(hsmca_ca_open(f->store, f->hsm, "sub2", pin, &alone), HSMCA_OK);
    assert_null(alone);
    hsmca_err_clear();
    for (int i = 0; i < 2; i++) {
        ASSERT_OK(hsmca_ca_issue_precert(cas[i], &req, &pre, serial, &serial_len));
        assert_int_equal(X509_verify(pre, X509_get0_pubkey(hsmca_ca_get0_cert(cas[i]))), 1);
        X509_free(pre);
        pre = NULL;
    }
    /* The first freed, the token stays for the second. */
    hsmca_ca_free(cas[0]);
    ASSERT_OK(hsmca_ca_issue_precert(cas[1], &req, &pre, serial, &serial_len));
    X509_free(pre);
    hsmca_ca_free(cas[1]);
    /* Closed with its last user: it can be opened again. */
    ASSERT_OK(hsmca_ca_open(f->store, f->hsm, "sub", pin, &f->ca));
    OPENSSL_free(der);
    X509_free(root2);
    X509_free(sub2);
    EVP_PKEY_free(root_key);
    hsmca_secret_free(pin);
}

static void test_serials_over_many_issuances(void **state)
{
    fixture *f = *state;
    const char *env = getenv("HSMCA_TEST_ISSUANCES");
    size_t n = env != NULL ? (size_t)strtoul(env, NULL, 10) : 10000, count = 0;
    serial_rec *v = calloc(n, sizeof(*v));
    unsigned ones[128];

    assert_non_null(v);
    memset(ones, 0, sizeof(ones));
    for (size_t i = 0; i < n; i++) {
        char dns[64];
        X509 *c;

        snprintf(dns, sizeof(dns), "host-%zu.example.com", i);
        c = precert(f, dns, v[i].b, &v[i].n);
        /* The serial in the certificate is the one reported. */
        {
            /* OpenSSL keeps the magnitude, without DER's 0x00 pad. */
            const ASN1_INTEGER *ai = X509_get0_serialNumber(c);
            size_t pad = v[i].b[0] == 0 ? 1 : 0;
            assert_int_equal((size_t)ASN1_STRING_length(ai), v[i].n - pad);
            assert_memory_equal(ASN1_STRING_get0_data(ai), v[i].b + pad, v[i].n - pad);
        }
        X509_free(c);
        assert_true(v[i].n >= 9 && v[i].n <= HSMCA_X509_SERIAL_MAX); /* >= 64 bits, <= 20 octets */
        assert_true(v[i].b[0] < 0x80);                                 /* positive */
        assert_false(v[i].b[0] == 0 && (v[i].n < 2 || v[i].b[1] < 0x80)); /* minimal */
        for (size_t k = 0; k < v[i].n; k++) {
            size_t bitpos = (v[i].n - 1 - k) * 8; /* from the least significant byte */
            for (int bit = 0; bit < 8; bit++)
                if (bitpos + (size_t)bit < 128 && (v[i].b[k] >> bit) & 1)
                    ones[bitpos + (size_t)bit]++;
        }
    }
    qsort(v, n, sizeof(*v), cmp_serial);
    for (size_t i = 1; i < n; i++)
        assert_int_not_equal(cmp_serial(&v[i - 1], &v[i]), 0);
    /* 127 random bits: each set in about half the serials (within 6 sigma). */
    if (n >= 1000) {
        /* |ones - n/2| <= 6 sigma with sigma = sqrt(n)/2, i.e.
         * (2 ones - n)^2 <= 36 n: no floating point needed. */
        for (int b = 0; b < 127; b++) {
            long long d = 2 * (long long)ones[b] - (long long)n;
            if (d * d > 36 * (long long)n)
                fail_msg("serial bit %d set in %u of %zu serials", b, ones[b], n);
        }
        assert_int_equal(ones[127], 0); /* the top bit is always cleared */
    }
    ASSERT_OK(hsmca_store_count(f->store, hsmca_ca_get0_issuer(f->ca)->id, HSMCA_SERIAL_PRECERT,
                                &count));
    assert_int_equal(count, n);
    free(v);
}

static void test_final_and_second_final(void **state)
{
    fixture *f = *state;
    uint8_t serial[HSMCA_X509_SERIAL_MAX];
    size_t serial_len = 0;
    X509 *pre = precert(f, "final.example.com", serial, &serial_len);
    EVP_PKEY *log_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    char log_name[] = "test-log", log_op[] = "op";
    hsmca_ct_log log = {log_name, log_op, log_key, {0}};
    hsmca_sct *sct = NULL, *scts[1];
    X509 *fin = NULL, *fin2 = NULL;
    hsmca_store_cert *c = NULL;
    size_t valid = 0, total = 0;

    assert_non_null(log_key);
    ASSERT_OK(hsmca_ct_log_id(log_key, log.log_id));
    ASSERT_OK(hsmca_ct_sct_sign(log_key, pre, f->sub, (uint64_t)hsmca_clock_now() * 1000, &sct));
    scts[0] = sct;
    ASSERT_OK(hsmca_ca_issue_final(f->ca, serial, serial_len, scts, 1, &log, 1, NULL, &fin));
    ASSERT_OK(hsmca_ct_correspond(pre, fin));
    /* OpenSSL's own CT code accepts the embedded SCT. */
    ASSERT_OK(hsmca_ct_openssl_validate(fin, f->sub, &log, 1, (uint64_t)hsmca_clock_now() * 1000,
                                        &valid, &total));
    assert_int_equal(total, 1);
    assert_int_equal(valid, 1);
    /* A precert gets at most one final. */
    assert_int_equal(hsmca_ca_issue_final(f->ca, serial, serial_len, scts, 1, &log, 1, NULL, &fin2),
                     HSMCA_E_EXISTS);
    assert_null(fin2);
    ASSERT_OK(hsmca_store_cert_get(f->store, hsmca_ca_get0_issuer(f->ca)->id, serial, serial_len, &c));
    assert_int_equal(c->state, HSMCA_SERIAL_FINAL);
    assert_int_equal(c->n_scts, 1);
    hsmca_store_cert_free(c);
    hsmca_sct_free(sct);
    X509_free(pre);
    X509_free(fin);
    EVP_PKEY_free(log_key);
}

static void test_refusals_use_no_serial(void **state)
{
    fixture *f = *state;
    const char *bad[] = {"printer.local", "bad..name.example", "*.com"};
    size_t before = 0, after = 0;
    int64_t id = hsmca_ca_get0_issuer(f->ca)->id;

    ASSERT_OK(hsmca_store_count(f->store, id, HSMCA_SERIAL_RESERVED, &before));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        hsmca_ca_request req = {f->leaf_key, &bad[i], 1, NULL, 0, NULL, f->profiles, NULL};
        uint8_t serial[HSMCA_X509_SERIAL_MAX];
        size_t serial_len = 0;
        X509 *c = NULL;
        assert_int_equal(hsmca_ca_issue_precert(f->ca, &req, &c, serial, &serial_len),
                         HSMCA_E_VERIFY);
        assert_non_null(strstr(hsmca_err_message(), "no serial was used"));
        assert_null(c);
    }
    ASSERT_OK(hsmca_store_count(f->store, id, HSMCA_SERIAL_RESERVED, &after));
    assert_int_equal(after, before);
    ASSERT_OK(hsmca_store_count(f->store, id, HSMCA_SERIAL_PRECERT, &after));
    assert_int_equal(after, 0);
}

/* Batches (hsmca_ca_issue_precerts): each request stands alone. A request
 * refused by lint gets its error and no serial, the others are issued with
 * distinct serials, reserved and recorded, and each result's certificate is
 * the one the store holds. */
static void test_batch_precerts(void **state)
{
    fixture *f = *state;
    enum { N = 12 };
    const char *good[N], *bad_names[] = {"printer.local", "*.com"};
    char dns[N][64];
    hsmca_ca_request reqs[N];
    hsmca_ca_result res[N];
    size_t reserved = 0, precerts = 0, issued = 0;
    int64_t id = hsmca_ca_get0_issuer(f->ca)->id;

    memset(res, 0, sizeof(res));
    for (size_t i = 0; i < N; i++) {
        snprintf(dns[i], sizeof(dns[i]), "batch-%zu.example.com", i);
        good[i] = dns[i];
        reqs[i] = (hsmca_ca_request){f->leaf_key, &good[i], 1, NULL, 0, NULL, f->profiles, NULL};
    }
    /* Requests 3 and 7 are refused by lint (an internal name, a wildcard
     * over a public suffix). */
    reqs[3].dns_names = &bad_names[0];
    reqs[7].dns_names = &bad_names[1];
    ASSERT_OK(hsmca_ca_issue_precerts(f->ca, reqs, N, res));
    for (size_t i = 0; i < N; i++) {
        uint8_t *der = NULL;
        size_t der_len = 0;
        hsmca_store_cert *c = NULL;

        if (i == 3 || i == 7) {
            assert_int_equal(res[i].err, HSMCA_E_VERIFY);
            assert_non_null(res[i].message);
            assert_non_null(strstr(res[i].message, "no serial was used"));
            assert_null(res[i].cert);
            assert_int_equal(res[i].serial_len, 0);
            continue;
        }
        assert_int_equal(res[i].err, HSMCA_OK);
        assert_non_null(res[i].cert);
        assert_true(res[i].serial_len >= 9 && res[i].serial_len <= HSMCA_X509_SERIAL_MAX);
        for (size_t j = 0; j < i; j++)
            assert_false(res[j].serial_len == res[i].serial_len &&
                         memcmp(res[j].serial, res[i].serial, res[i].serial_len) == 0);
        /* Recorded before it was handed out, byte for byte. */
        ASSERT_OK(hsmca_store_cert_get(f->store, id, res[i].serial, res[i].serial_len, &c));
        assert_int_equal(c->state, HSMCA_SERIAL_PRECERT);
        ASSERT_OK(hsmca_x509_to_der(res[i].cert, &der, &der_len));
        assert_int_equal(der_len, c->precert_len);
        assert_memory_equal(der, c->precert_der, der_len);
        assert_int_equal(hsmca_ct_poison_count(res[i].cert), 1);
        OPENSSL_free(der);
        hsmca_store_cert_free(c);
        issued++;
    }
    assert_int_equal(issued, N - 2);
    ASSERT_OK(hsmca_store_count(f->store, id, HSMCA_SERIAL_RESERVED, &reserved));
    ASSERT_OK(hsmca_store_count(f->store, id, HSMCA_SERIAL_PRECERT, &precerts));
    assert_int_equal(reserved, 0);          /* the refused ones consumed nothing */
    assert_int_equal(precerts, N - 2);
    hsmca_ca_results_clear(res, N);
    for (size_t i = 0; i < N; i++)
        assert_null(res[i].cert);
    /* An empty batch is fine and does nothing. */
    ASSERT_OK(hsmca_ca_issue_precerts(f->ca, reqs, 0, res));
}

/* hsmca_ca_issue_finals: every final of a batch is proven to correspond,
 * verified SCTs only, at most one final per precertificate even within one
 * batch, a tampered precertificate copy refused; the others are issued. */
static void test_batch_finals(void **state)
{
    fixture *f = *state;
    enum { N = 6 };
    const char *names[N];
    char dns[N][64];
    hsmca_ca_request reqs[N];
    hsmca_ca_result pre[N], fin[N + 3], again[1];
    hsmca_ca_final_request freqs[N + 3];
    hsmca_sct *scts[N];
    EVP_PKEY *log_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    char log_name[] = "test-log", log_op[] = "op";
    hsmca_ct_log log = {log_name, log_op, log_key, {0}};
    static const uint8_t unknown[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};
    X509 *other = NULL;
    size_t finals = 0;
    int64_t id = hsmca_ca_get0_issuer(f->ca)->id;

    assert_non_null(log_key);
    ASSERT_OK(hsmca_ct_log_id(log_key, log.log_id));
    memset(pre, 0, sizeof(pre));
    memset(fin, 0, sizeof(fin));
    memset(again, 0, sizeof(again));
    for (size_t i = 0; i < N; i++) {
        snprintf(dns[i], sizeof(dns[i]), "final-batch-%zu.example.com", i);
        names[i] = dns[i];
        reqs[i] = (hsmca_ca_request){f->leaf_key, &names[i], 1, NULL, 0, NULL, f->profiles, NULL};
    }
    ASSERT_OK(hsmca_ca_issue_precerts(f->ca, reqs, N, pre));
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(pre[i].err, HSMCA_OK);
        ASSERT_OK(hsmca_ct_sct_sign(log_key, pre[i].cert, f->sub,
                                    (uint64_t)hsmca_clock_now() * 1000, &scts[i]));
        /* Even ones bring their precertificate, odd ones let the CA read
         * the stored copy. Slot 0 is taken by the tampered request. */
        freqs[i + 1] = (hsmca_ca_final_request){pre[i].serial, pre[i].serial_len,
                                                i % 2 == 0 ? pre[i].cert : NULL, &scts[i], 1, NULL};
    }
    /* First, request 4's serial with another precertificate given as its
     * own: refused, and request 4 itself is not taken for a second final. */
    other = X509_dup(pre[5].cert);
    assert_non_null(other);
    freqs[0] = (hsmca_ca_final_request){pre[4].serial, pre[4].serial_len, other, &scts[4], 1, NULL};
    /* Request 2 again: a second final for one precertificate. */
    freqs[N + 1] = freqs[3];
    /* A serial never issued. */
    freqs[N + 2] = (hsmca_ca_final_request){unknown, sizeof(unknown), NULL, &scts[0], 1, NULL};
    ASSERT_OK(hsmca_ca_issue_finals(f->ca, freqs, N + 3, &log, 1, fin));
    assert_int_equal(fin[0].err, HSMCA_E_VERIFY);
    assert_non_null(strstr(fin[0].message, "differs"));
    assert_null(fin[0].cert);
    for (size_t i = 0; i < N; i++) {
        size_t valid = 0, total = 0;

        assert_int_equal(fin[i + 1].err, HSMCA_OK);
        assert_non_null(fin[i + 1].cert);
        ASSERT_OK(hsmca_ct_correspond(pre[i].cert, fin[i + 1].cert));
        ASSERT_OK(hsmca_ct_openssl_validate(fin[i + 1].cert, f->sub, &log, 1,
                                            (uint64_t)hsmca_clock_now() * 1000, &valid, &total));
        assert_int_equal(valid, 1);
    }
    assert_int_equal(fin[N + 1].err, HSMCA_E_EXISTS);
    assert_non_null(strstr(fin[N + 1].message, "at most one"));
    assert_null(fin[N + 1].cert);
    assert_int_equal(fin[N + 2].err, HSMCA_E_NOT_FOUND);
    ASSERT_OK(hsmca_store_count(f->store, id, HSMCA_SERIAL_FINAL, &finals));
    assert_int_equal(finals, N);
    /* And in a later batch, still refused. */
    ASSERT_OK(hsmca_ca_issue_finals(f->ca, &freqs[1], 1, &log, 1, again));
    assert_int_equal(again[0].err, HSMCA_E_EXISTS);
    hsmca_ca_results_clear(again, 1);
    hsmca_ca_results_clear(fin, N + 3);
    hsmca_ca_results_clear(pre, N);
    for (size_t i = 0; i < N; i++)
        hsmca_sct_free(scts[i]);
    X509_free(other);
    EVP_PKEY_free(log_key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_serials_over_many_issuances, setup, teardown),
        cmocka_unit_test_setup_teardown(test_final_and_second_final, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals_use_no_serial, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_precerts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_finals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_issuers_share_a_token, setup, teardown),
    };
    return cmocka_run_group_tests_name("ca", tests, NULL, NULL);
}
