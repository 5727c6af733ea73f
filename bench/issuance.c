/* hsmca benchmark — issuance against the physical bound of the token.
 *
 * Issue #4 "Benchmark": in one run, for an ECDSA P-256 and an RSA-2048
 * issuer (each key in its own SoftHSM token, one store) and for 1 and 2
 * threads,
 *
 *   raw    the token key's signing rate through PKCS#11 (EVP_DigestSign with
 *          the token key's EVP_PKEY over a real precertificate TBS, for
 *          --raw-seconds),
 *   sets   precertificate + SCT (software P-256 test log) + final
 *          certificate sets issued in-process through src/ca, with durable
 *          commits (synchronous=FULL): one call per set (batch 1) and the
 *          batch calls with B sets per call (one commit reserves B serials,
 *          one records B precertificates, one records B finals),
 *   bound  raw / 2: every set needs two token signatures,
 *   ratio  sets / bound.
 *
 * Then, once per key type, where the time of one set goes: each step of the
 * issuance path timed on its own with clock_gettime (single thread), and
 * the cost of the commits when batched.
 *
 * DESIGN.md: speed is measured, not asserted. This program prints figures
 * and checks only that what it issued was recorded; it judges nothing.
 * bench/run.sh sets up the token directory, SOFTHSM2_CONF and the state
 * directory, and removes them afterwards. Every loop is bounded (a count, or
 * a time limit under a count).
 *
 *   hsmca_bench_issuance --state DIR [--sets N] [--batch B[,B...]]
 *                        [--raw-seconds S] [--phase-reps R] [--profiles DIR]
 *                        [--threads T[,T...]] [--keys p256,rsa2048]
 */
#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "hsmca/ca.h"
#include "hsmca/clock.h"
#include "hsmca/ct.h"
#include "hsmca/err.h"
#include "hsmca/hsm.h"
#include "hsmca/lint.h"
#include "hsmca/profile.h"
#include "hsmca/secret.h"
#include "hsmca/store.h"
#include "hsmca/x509.h"

#define BENCH_SO_PIN "bench-so-pin-1234"
#define BENCH_USER_PIN "bench-user-pin-5678"
#define MAX_LIST 8
#define MAX_THREADS 16
/* Upper bound on raw signatures per thread whatever the time limit says:
 * every loop here is bounded. */
#define RAW_MAX_PER_THREAD 2000000u

typedef struct issuer {
    const char *name;          /* issuer name in the store, and its token's label */
    const char *key_label;
    const char *desc;
    hsmca_key_type type;
    X509 *cert;
    hsmca_ca *ca;
    uint8_t *tbs;              /* a real precertificate TBS: the raw-rate message */
    size_t tbs_len;
    double raw1;               /* raw signatures/s with one thread */
} issuer;

typedef struct bench {
    const char *state;
    const char *profiles;
    size_t sets;
    size_t batches[MAX_LIST], n_batches;
    unsigned threads[MAX_LIST];
    size_t n_threads;
    double raw_seconds;
    size_t phase_reps;
    int want_p256, want_rsa;

    hsmca_hsm *hsm;
    hsmca_store *store;
    EVP_PKEY *root_key, *leaf_key, *log_key;
    X509 *root;
    hsmca_ct_log log;
    issuer iss[2];
} bench;

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The current error as one line, for messages that cross threads. */
static void err_copy(char *buf, size_t len)
{
    hsmca_err_format(buf, len);
}

static void die_err(const char *what)
{
    char buf[1024];

    err_copy(buf, sizeof(buf));
    fprintf(stderr, "hsmca_bench_issuance: %s: %s\n", what, buf);
    exit(1);
}

#define CHECK(expr)                                                           \
    do {                                                                      \
        if ((expr) != HSMCA_OK)                                               \
            die_err(#expr);                                                   \
    } while (0)

static hsmca_secret *secret(const char *s)
{
    hsmca_secret *out = NULL;

    CHECK(hsmca_secret_new(s, strlen(s), &out));
    return out;
}

/* ---- set-up: token, keys, a software root, issuers in the store ---- */

static X509 *build_ca_cert(const bench *b, const char *profile, const char *cn,
                           EVP_PKEY *subject_key, X509 *issuer_cert, EVP_PKEY *signer,
                           uint8_t first_serial_octet)
{
    hsmca_profile *p = NULL;
    hsmca_x509_subject subj;
    uint8_t rnd[16], serial[HSMCA_X509_SERIAL_MAX];
    size_t serial_len = 0;
    X509 *c = NULL;
    hsmca_x509_request req;

    CHECK(hsmca_profile_load_named(profile, b->profiles, &p));
    memset(&subj, 0, sizeof(subj));
    subj.attr[HSMCA_PROFILE_ATTR_C] = "XX";
    subj.attr[HSMCA_PROFILE_ATTR_O] = "hsmca bench";
    subj.attr[HSMCA_PROFILE_ATTR_CN] = cn;
    memset(rnd, 0x5a, sizeof(rnd));
    rnd[0] = first_serial_octet;
    CHECK(hsmca_x509_serial_from_random(rnd, sizeof(rnd), serial, &serial_len));
    req = (hsmca_x509_request){.profile = p, .subject = &subj, .subject_key = subject_key,
                               .issuer = issuer_cert, .signer_public = signer, .serial = serial,
                               .serial_len = serial_len, .now = hsmca_clock_now(),
                               .base_url = "http://127.0.0.1:8080", .issuer_id = "root"};
    CHECK(hsmca_x509_build(&req, &c));
    CHECK(hsmca_x509_sign(c, signer, signer));
    hsmca_profile_free(p);
    return c;
}

/* A token of its own for each issuer (one open handle per token in a
 * process), initialised in the first free slot and logged in. */
static hsmca_token *token_create(bench *b, const char *label)
{
    hsmca_token_info *list = NULL;
    size_t n = 0;
    long slot = -1;
    hsmca_secret *so = secret(BENCH_SO_PIN), *user = secret(BENCH_USER_PIN);
    hsmca_token_sel sel = HSMCA_TOKEN_SEL_INIT;
    hsmca_token *tok = NULL;

    CHECK(hsmca_hsm_tokens(b->hsm, &list, &n));
    for (size_t i = 0; i < n && slot < 0; i++)
        if (!list[i].initialized)
            slot = (long)list[i].slot_id;
    if (slot < 0) {
        fprintf(stderr, "hsmca_bench_issuance: no free slot; point SOFTHSM2_CONF at an empty "
                        "token directory (bench/run.sh does)\n");
        exit(1);
    }
    CHECK(hsmca_hsm_token_init(b->hsm, (unsigned long)slot, label, so, user, 0));
    sel.label = label;
    CHECK(hsmca_hsm_token_open(b->hsm, &sel, &tok));
    CHECK(hsmca_hsm_token_login(tok, user));
    free(list);
    hsmca_secret_free(so);
    hsmca_secret_free(user);
    return tok;
}

/* The issuer's token, key and certificate. Tokens are initialised while
 * none is open, so every issuer's key is made before any CA opens. */
static void issuer_keygen(bench *b, issuer *is, uint8_t serial_octet)
{
    hsmca_token *tok = token_create(b, is->name);
    hsmca_key *key = NULL;

    CHECK(hsmca_hsm_keygen(tok, is->type, is->key_label, &key));
    is->cert = build_ca_cert(b, "subordinate", is->desc, hsmca_hsm_key_get0_public(key),
                             b->root, b->root_key, serial_octet);
    /* The CA opens the token and finds the key itself. */
    hsmca_hsm_key_free(key);
    hsmca_hsm_token_free(tok);
}

/* Register the issuer in the store and open it as a CA. */
static void issuer_open(bench *b, issuer *is)
{
    hsmca_store_issuer si;
    hsmca_secret *pin = secret(BENCH_USER_PIN);
    uint8_t *der = NULL;
    size_t der_len = 0;
    char prof[] = "tls-server", url[] = "http://127.0.0.1:8080";

    CHECK(hsmca_x509_to_der(is->cert, &der, &der_len));
    memset(&si, 0, sizeof(si));
    si.name = (char *)(uintptr_t)is->name;
    si.cert_der = der;
    si.cert_len = der_len;
    si.token_label = (char *)(uintptr_t)is->name;
    si.key_label = (char *)(uintptr_t)is->key_label;
    si.profile = prof;
    si.base_url = url;
    CHECK(hsmca_store_issuer_add(b->store, &si, NULL));
    CHECK(hsmca_ca_open(b->store, b->hsm, is->name, pin, &is->ca));
    OPENSSL_free(der);
    hsmca_secret_free(pin);
}

static void setup(bench *b)
{
    char log_name[] = "bench-log", log_op[] = "bench";

    CHECK(hsmca_hsm_open(NULL, &b->hsm));
    /* A software root: only the issuing keys are under test. */
    b->root_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    b->leaf_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    b->log_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (b->root_key == NULL || b->leaf_key == NULL || b->log_key == NULL) {
        fprintf(stderr, "hsmca_bench_issuance: software key generation failed\n");
        exit(1);
    }
    b->root = build_ca_cert(b, "root", "hsmca bench root", b->root_key, NULL, b->root_key, 1);
    b->log.name = strdup(log_name);
    b->log.operator_name = strdup(log_op);
    b->log.key = b->log_key;
    CHECK(hsmca_ct_log_id(b->log_key, b->log.log_id));
    CHECK(hsmca_store_open(b->state, &b->store));
    b->iss[0] = (issuer){.name = "bench-p256", .key_label = "issuer-p256",
                         .desc = "ECDSA P-256", .type = HSMCA_KEY_EC_P256};
    b->iss[1] = (issuer){.name = "bench-rsa2048", .key_label = "issuer-rsa2048",
                         .desc = "RSA-2048", .type = HSMCA_KEY_RSA2048};
    if (b->want_p256)
        issuer_keygen(b, &b->iss[0], 2);
    if (b->want_rsa)
        issuer_keygen(b, &b->iss[1], 3);
    for (size_t i = 0; i < 2; i++)
        if (b->iss[i].cert != NULL)
            issuer_open(b, &b->iss[i]);
}

static void teardown(bench *b)
{
    for (size_t i = 0; i < 2; i++) {
        issuer *is = &b->iss[i];

        hsmca_ca_free(is->ca);
        X509_free(is->cert);
        OPENSSL_free(is->tbs);
    }
    hsmca_store_close(b->store);
    hsmca_hsm_free(b->hsm);
    X509_free(b->root);
    EVP_PKEY_free(b->root_key);
    EVP_PKEY_free(b->leaf_key);
    EVP_PKEY_free(b->log_key);
    free(b->log.name);
    free(b->log.operator_name);
}

/* ---- one set, through the public API ---- */

static hsmca_err issue_sets_single(bench *b, issuer *is, unsigned thread, size_t first, size_t n)
{
    hsmca_err err = HSMCA_OK;

    for (size_t i = first; i < first + n; i++) {
        char dns[80];
        const char *names[1] = {dns};
        hsmca_ca_request req = {b->leaf_key, names, 1, NULL, 0, NULL, b->profiles, NULL};
        uint8_t serial[HSMCA_X509_SERIAL_MAX];
        size_t serial_len = 0;
        X509 *pre = NULL, *fin = NULL;
        hsmca_sct *sct = NULL, *scts[1];

        snprintf(dns, sizeof(dns), "t%u-%zu.%s.bench.example.com", thread, i, is->key_label);
        err = hsmca_ca_issue_precert(is->ca, &req, &pre, serial, &serial_len);
        if (err == HSMCA_OK)
            err = hsmca_ct_sct_sign(b->log_key, pre, is->cert,
                                    (uint64_t)hsmca_clock_now() * 1000, &sct);
        scts[0] = sct;
        if (err == HSMCA_OK)
            err = hsmca_ca_issue_final(is->ca, serial, serial_len, scts, 1, &b->log, 1, NULL, &fin);
        X509_free(pre);
        X509_free(fin);
        hsmca_sct_free(sct);
        if (err != HSMCA_OK)
            break;
    }
    return err;
}

/* The same sets through the batch calls: b precertificates in one call (one
 * reservation commit, one record commit), their SCTs, then their finals in
 * one call (one record commit). */
static hsmca_err issue_sets_batch(bench *b, issuer *is, unsigned thread, size_t first, size_t n,
                                  size_t batch)
{
    hsmca_err err = HSMCA_OK;
    char (*dns)[80] = calloc(batch, sizeof(*dns));
    const char **names = calloc(batch, sizeof(*names));
    hsmca_ca_request *reqs = calloc(batch, sizeof(*reqs));
    hsmca_ca_final_request *freqs = calloc(batch, sizeof(*freqs));
    hsmca_ca_result *pre = calloc(batch, sizeof(*pre)), *fin = calloc(batch, sizeof(*fin));
    hsmca_sct **scts = calloc(batch, sizeof(*scts));

    if (dns == NULL || names == NULL || reqs == NULL || freqs == NULL || pre == NULL ||
        fin == NULL || scts == NULL) {
        err = hsmca_err_setf(HSMCA_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t done = 0; done < n && err == HSMCA_OK;) {
        size_t m = n - done < batch ? n - done : batch;

        for (size_t i = 0; i < m; i++) {
            snprintf(dns[i], sizeof(dns[i]), "t%u-%zu.%s.bench.example.com", thread,
                     first + done + i, is->key_label);
            names[i] = dns[i];
            reqs[i] = (hsmca_ca_request){b->leaf_key, &names[i], 1, NULL, 0, NULL,
                                         b->profiles, NULL};
        }
        err = hsmca_ca_issue_precerts(is->ca, reqs, m, pre);
        for (size_t i = 0; i < m && err == HSMCA_OK; i++) {
            if (pre[i].err != HSMCA_OK)
                err = hsmca_err_setf(pre[i].err, "precert %zu: %s", i, pre[i].message);
            else
                err = hsmca_ct_sct_sign(b->log_key, pre[i].cert, is->cert,
                                        (uint64_t)hsmca_clock_now() * 1000, &scts[i]);
            freqs[i] = (hsmca_ca_final_request){pre[i].serial, pre[i].serial_len, pre[i].cert,
                                                &scts[i], 1, NULL};
        }
        if (err == HSMCA_OK)
            err = hsmca_ca_issue_finals(is->ca, freqs, m, &b->log, 1, fin);
        for (size_t i = 0; i < m && err == HSMCA_OK; i++)
            if (fin[i].err != HSMCA_OK)
                err = hsmca_err_setf(fin[i].err, "final %zu: %s", i, fin[i].message);
        for (size_t i = 0; i < m; i++) {
            hsmca_sct_free(scts[i]);
            scts[i] = NULL;
        }
        hsmca_ca_results_clear(pre, m);
        hsmca_ca_results_clear(fin, m);
        done += m;
    }
out:
    free(dns);
    free(names);
    free(reqs);
    free(freqs);
    free(pre);
    free(fin);
    free(scts);
    return err;
}

/* ---- threads ---- */

typedef struct job {
    bench *b;
    issuer *is;
    unsigned thread;
    pthread_barrier_t *start;
    /* raw */
    const EVP_MD *md;
    double seconds;
    uint64_t count;
    /* sets */
    size_t first, n, batch;
    /* result */
    hsmca_err err;
    char error[1024];
} job;

static void *raw_worker(void *arg)
{
    job *j = arg;
    EVP_PKEY *key = hsmca_hsm_key_get0_signer(hsmca_ca_get0_key(j->is->ca));
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint8_t sig[1024];
    size_t siglen;
    double end;

    pthread_barrier_wait(j->start);
    end = now_s() + j->seconds;
    for (uint64_t i = 0; md != NULL && i < RAW_MAX_PER_THREAD; i++) {
        siglen = sizeof(sig);
        if (EVP_DigestSignInit(md, NULL, j->md, NULL, key) <= 0 ||
            EVP_DigestSign(md, sig, &siglen, j->is->tbs, j->is->tbs_len) <= 0) {
            j->err = HSMCA_E_PKCS11;
            snprintf(j->error, sizeof(j->error), "the token failed to sign");
            break;
        }
        j->count++;
        if (now_s() >= end)
            break;
    }
    EVP_MD_CTX_free(md);
    return NULL;
}

static void *sets_worker(void *arg)
{
    job *j = arg;

    pthread_barrier_wait(j->start);
    if (j->batch <= 1)
        j->err = issue_sets_single(j->b, j->is, j->thread, j->first, j->n);
    else
        j->err = issue_sets_batch(j->b, j->is, j->thread, j->first, j->n, j->batch);
    if (j->err != HSMCA_OK)
        err_copy(j->error, sizeof(j->error));
    return NULL;
}

/* Run `threads` copies of fn on jobs; elapsed wall time from the common
 * start to the last join. */
static double run_threads(job *jobs, unsigned threads, void *(*fn)(void *))
{
    pthread_t tid[MAX_THREADS];
    pthread_barrier_t start;
    double t0, t1;

    pthread_barrier_init(&start, NULL, threads + 1);
    for (unsigned t = 0; t < threads; t++) {
        jobs[t].start = &start;
        if (pthread_create(&tid[t], NULL, fn, &jobs[t]) != 0) {
            fprintf(stderr, "hsmca_bench_issuance: pthread_create failed\n");
            exit(1);
        }
    }
    pthread_barrier_wait(&start);
    t0 = now_s();
    for (unsigned t = 0; t < threads; t++)
        pthread_join(tid[t], NULL);
    t1 = now_s();
    pthread_barrier_destroy(&start);
    for (unsigned t = 0; t < threads; t++) {
        if (jobs[t].err != HSMCA_OK) {
            fprintf(stderr, "hsmca_bench_issuance: thread %u: %s\n", t, jobs[t].error);
            exit(1);
        }
    }
    return t1 - t0;
}

static double raw_rate(bench *b, issuer *is, unsigned threads)
{
    job jobs[MAX_THREADS];
    const EVP_MD *md = NULL;
    uint64_t total = 0;
    double elapsed;

    CHECK(hsmca_x509_sign_digest(hsmca_hsm_key_get0_public(hsmca_ca_get0_key(is->ca)), &md));
    memset(jobs, 0, sizeof(jobs));
    for (unsigned t = 0; t < threads; t++)
        jobs[t] = (job){.b = b, .is = is, .thread = t, .md = md, .seconds = b->raw_seconds};
    elapsed = run_threads(jobs, threads, raw_worker);
    for (unsigned t = 0; t < threads; t++)
        total += jobs[t].count;
    return (double)total / elapsed;
}

static double sets_rate(bench *b, issuer *is, unsigned threads, size_t batch)
{
    job jobs[MAX_THREADS];
    size_t before = 0, after = 0, per = b->sets / threads;
    int64_t id = hsmca_ca_get0_issuer(is->ca)->id;
    double elapsed;

    CHECK(hsmca_store_count(b->store, id, HSMCA_SERIAL_FINAL, &before));
    memset(jobs, 0, sizeof(jobs));
    for (unsigned t = 0; t < threads; t++)
        jobs[t] = (job){.b = b, .is = is, .thread = t, .first = t * per,
                        .n = t + 1 == threads ? b->sets - t * per : per, .batch = batch};
    elapsed = run_threads(jobs, threads, sets_worker);
    /* Every set reported issued is in the store as a final. */
    CHECK(hsmca_store_count(b->store, id, HSMCA_SERIAL_FINAL, &after));
    if (after - before != b->sets) {
        fprintf(stderr, "hsmca_bench_issuance: %zu finals recorded for %zu sets\n",
                after - before, b->sets);
        exit(1);
    }
    return (double)b->sets / elapsed;
}

/* A real precertificate TBS for the raw-rate message (and a warm-up). */
static void sample_tbs(bench *b, issuer *is)
{
    const char *names[1] = {"warmup.bench.example.com"};
    hsmca_ca_request req = {b->leaf_key, names, 1, NULL, 0, NULL, b->profiles, NULL};
    uint8_t serial[HSMCA_X509_SERIAL_MAX];
    size_t serial_len = 0;
    X509 *pre = NULL;

    CHECK(hsmca_ca_issue_precert(is->ca, &req, &pre, serial, &serial_len));
    CHECK(hsmca_x509_tbs_der(pre, &is->tbs, &is->tbs_len));
    X509_free(pre);
}

/* ---- where the time of one set goes ---- */

enum {
    PH_RANDOM, PH_PROFILE, PH_BUILD, PH_THROWAWAY_KEY, PH_THROWAWAY_SIGN, PH_TBS, PH_LINT,
    PH_RESERVE, PH_TOKEN_SIGN, PH_TOKEN_VERIFY, PH_DER, PH_RECORD,
    PH_SCT_SIGN,
    PH_READ, PH_PARSE, PH_SCT_VERIFY, PH_SCT_ENCODE, PH_FINAL_BUILD, PH_F_THROWAWAY_KEY,
    PH_F_THROWAWAY_SIGN, PH_F_TBS, PH_F_LINT, PH_CORRESPOND, PH_F_CLAIM, PH_F_TOKEN_SIGN,
    PH_F_TOKEN_VERIFY,
    PH_F_DER, PH_F_RECORD,
    PH__COUNT
};

static const char *const phase_names[PH__COUNT] = {
    [PH_RANDOM] = "precert: serial from the token RNG",
    [PH_PROFILE] = "precert: load profile",
    [PH_BUILD] = "precert: build TBS + poison",
    [PH_THROWAWAY_KEY] = "precert: throwaway key (cached)",
    [PH_THROWAWAY_SIGN] = "precert: throwaway signature",
    [PH_TBS] = "precert: encode TBS",
    [PH_LINT] = "precert: lint",
    [PH_RESERVE] = "precert: reserve serial (1 commit)",
    [PH_TOKEN_SIGN] = "precert: TOKEN SIGNATURE",
    [PH_TOKEN_VERIFY] = "precert: verify signature + TBS",
    [PH_DER] = "precert: encode certificate",
    [PH_RECORD] = "precert: record (1 commit)",
    [PH_SCT_SIGN] = "SCT: test log signs (+ verifies)",
    [PH_READ] = "final: read precert from store",
    [PH_PARSE] = "final: parse precert",
    [PH_SCT_VERIFY] = "final: verify SCT",
    [PH_SCT_ENCODE] = "final: encode SCT",
    [PH_FINAL_BUILD] = "final: build from precert",
    [PH_F_THROWAWAY_KEY] = "final: throwaway key (cached)",
    [PH_F_THROWAWAY_SIGN] = "final: throwaway signature",
    [PH_F_TBS] = "final: encode TBS",
    [PH_F_LINT] = "final: lint",
    [PH_CORRESPOND] = "final: prove correspondence",
    [PH_F_CLAIM] = "final: claim (1 commit)",
    [PH_F_TOKEN_SIGN] = "final: TOKEN SIGNATURE",
    [PH_F_TOKEN_VERIFY] = "final: verify signature + TBS",
    [PH_F_DER] = "final: encode certificate",
    [PH_F_RECORD] = "final: record (1 commit)",
};

#define PHASE(ph, expr)                                                       \
    do {                                                                      \
        double t_ = now_s();                                                  \
        CHECK(expr);                                                          \
        acc[ph] += now_s() - t_;                                              \
    } while (0)

/* Sign with the token without the library's verification, so signing and
 * verifying are timed apart (hsmca_x509_sign does both). */
static hsmca_err token_sign_only(X509 *cert, EVP_PKEY *key, const EVP_MD *md)
{
    return X509_sign(cert, key, md) > 0 ? HSMCA_OK : hsmca_err_setf(HSMCA_E_CRYPTO, "X509_sign");
}

static hsmca_err verify_and_compare(X509 *cert, EVP_PKEY *pub, const uint8_t *tbs,
                                    size_t tbs_len)
{
    uint8_t *der = NULL;
    size_t len = 0;
    hsmca_err err = HSMCA_OK;

    if (X509_verify(cert, pub) != 1)
        return hsmca_err_setf(HSMCA_E_VERIFY, "token signature does not verify");
    err = hsmca_x509_tbs_der(cert, &der, &len);
    if (err == HSMCA_OK && (len != tbs_len || memcmp(der, tbs, len) != 0))
        err = hsmca_err_setf(HSMCA_E_INTERNAL, "TBS differs");
    OPENSSL_free(der);
    return err;
}

/* The precert and final of ca.c, step by step with the same public
 * functions, each step timed; one thread, reps sets. */
/* The store's share of a set when batched: the five batch calls of a batch
 * of `batch` sets (reserve, record precertificates, read them back, claim
 * the finals, record them: four durable commits and a read), timed over
 * rows of their own (placeholder DER: the store does not parse it). */
static double batched_commits_per_set(bench *b, issuer *is, size_t batch)
{
    hsmca_store_serial *sv = calloc(batch, sizeof(*sv));
    hsmca_store_precert *pre = calloc(batch, sizeof(*pre));
    hsmca_store_final *fin = calloc(batch, sizeof(*fin));
    hsmca_store_cert **got = calloc(batch, sizeof(*got));
    hsmca_store_final_claim *claims = calloc(batch, sizeof(*claims));
    static const uint8_t placeholder[] = {0x30, 0x00};
    uint8_t sct_tls[] = {0x00};
    hsmca_store_sct sct = {{0}, 0, sct_tls, sizeof(sct_tls)};
    int64_t id = hsmca_ca_get0_issuer(is->ca)->id;
    hsmca_time now = hsmca_clock_now();
    double t0, t;

    if (sv == NULL || pre == NULL || fin == NULL || got == NULL || claims == NULL) {
        fprintf(stderr, "hsmca_bench_issuance: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < batch; i++) {
        uint8_t rnd[16];

        CHECK(hsmca_hsm_random(hsmca_ca_get0_token(is->ca), rnd, sizeof(rnd)));
        CHECK(hsmca_x509_serial_from_random(rnd, sizeof(rnd), sv[i].b, &sv[i].len));
        pre[i] = (hsmca_store_precert){sv[i], placeholder, sizeof(placeholder), now, now + 1};
        claims[i].serial = sv[i];
        memset(claims[i].tbs_sha256, (int)i, sizeof claims[i].tbs_sha256);
        fin[i] = (hsmca_store_final){sv[i],   placeholder, sizeof(placeholder),
                                     &sct,    1,           claims[i].tbs_sha256};
    }
    t0 = now_s();
    CHECK(hsmca_store_serials_reserve(b->store, id, sv, batch, now, NULL));
    CHECK(hsmca_store_precerts_record(b->store, id, pre, batch, now, NULL));
    CHECK(hsmca_store_certs_get(b->store, id, sv, batch, got));
    CHECK(hsmca_store_finals_claim(b->store, id, claims, batch, now, NULL));
    CHECK(hsmca_store_finals_record(b->store, id, fin, batch, now, NULL));
    t = now_s() - t0;
    for (size_t i = 0; i < batch; i++)
        hsmca_store_cert_free(got[i]);
    free(got);
    free(sv);
    free(pre);
    free(fin);
    free(claims);
    return t / (double)batch;
}

static void phases(bench *b, issuer *is, double raw1)
{
    double acc[PH__COUNT];
    EVP_PKEY *pub = hsmca_hsm_key_get0_public(hsmca_ca_get0_key(is->ca));
    EVP_PKEY *signer = hsmca_hsm_key_get0_signer(hsmca_ca_get0_key(is->ca));
    const EVP_MD *md = NULL;
    int64_t id = hsmca_ca_get0_issuer(is->ca)->id;
    double total = 0, token = 0, commits = 0;

    CHECK(hsmca_x509_sign_digest(pub, &md));
    memset(acc, 0, sizeof(acc));
    for (size_t r = 0; r < b->phase_reps; r++) {
        uint8_t rnd[16], serial[HSMCA_X509_SERIAL_MAX];
        size_t serial_len = 0, tbs_len = 0, der_len = 0, ftbs_len = 0, fder_len = 0;
        size_t sct_len = 0;
        uint8_t *tbs = NULL, *der = NULL, *ftbs = NULL, *fder = NULL, *sct_tls = NULL;
        hsmca_profile *p = NULL;
        hsmca_x509_subject subject;
        hsmca_x509_request xr;
        hsmca_lint_input in;
        hsmca_lint_result *res = NULL;
        X509 *cert = NULL, *precert = NULL, *final = NULL;
        EVP_PKEY *tk = NULL;
        hsmca_sct *sct = NULL, *scts[1];
        hsmca_store_cert *c = NULL;
        hsmca_store_sct stored;
        hsmca_store_final_claim claim;
        hsmca_store_final rec;
        hsmca_store_serial sv1;
        hsmca_time now = hsmca_clock_now();
        char dns[80];
        const char *names[1] = {dns};

        snprintf(dns, sizeof(dns), "phase-%zu.%s.bench.example.com", r, is->key_label);
        PHASE(PH_RANDOM, hsmca_hsm_random(hsmca_ca_get0_token(is->ca), rnd, sizeof(rnd)));
        CHECK(hsmca_x509_serial_from_random(rnd, sizeof(rnd), serial, &serial_len));
        memcpy(sv1.b, serial, serial_len);
        sv1.len = serial_len;
        PHASE(PH_PROFILE, hsmca_profile_load_named("tls-server", b->profiles, &p));
        memset(&subject, 0, sizeof(subject));
        xr = (hsmca_x509_request){.profile = p, .subject = &subject,
                                  .subject_key = b->leaf_key, .issuer = is->cert,
                                  .signer_public = pub, .serial = serial,
                                  .serial_len = serial_len, .now = now,
                                  .base_url = "http://127.0.0.1:8080", .issuer_id = is->name,
                                  .dns_names = names, .n_dns = 1};
        PHASE(PH_BUILD, hsmca_x509_build(&xr, &cert));
        PHASE(PH_BUILD, hsmca_ct_add_poison(cert));
        PHASE(PH_THROWAWAY_KEY, hsmca_x509_throwaway_key(pub, &tk));
        PHASE(PH_THROWAWAY_SIGN, hsmca_x509_sign_throwaway(cert, tk));
        PHASE(PH_TBS, hsmca_x509_tbs_der(cert, &tbs, &tbs_len));
        in = (hsmca_lint_input){cert, HSMCA_PROFILE_TLS_SERVER, is->cert, now, NULL, 1};
        PHASE(PH_LINT, hsmca_lint_run(&in, &res));
        CHECK(hsmca_lint_result_check(res));
        hsmca_lint_result_free(res);
        res = NULL;
        EVP_PKEY_free(tk);
        tk = NULL;
        PHASE(PH_RESERVE, hsmca_store_serial_reserve(b->store, id, serial, serial_len, now));
        PHASE(PH_TOKEN_SIGN, token_sign_only(cert, signer, md));
        PHASE(PH_TOKEN_VERIFY, verify_and_compare(cert, pub, tbs, tbs_len));
        PHASE(PH_DER, hsmca_x509_to_der(cert, &der, &der_len));
        PHASE(PH_RECORD, hsmca_store_precert_record(b->store, id, serial, serial_len, der,
                                                    der_len, now - p->backdate_seconds,
                                                    now - p->backdate_seconds +
                                                        p->validity_seconds, now));
        PHASE(PH_SCT_SIGN, hsmca_ct_sct_sign(b->log_key, cert, is->cert,
                                             (uint64_t)now * 1000, &sct));
        scts[0] = sct;

        PHASE(PH_READ, hsmca_store_cert_get(b->store, id, serial, serial_len, &c));
        PHASE(PH_PARSE, hsmca_x509_from_bytes(c->precert_der, c->precert_len, &precert));
        PHASE(PH_SCT_VERIFY, hsmca_ct_sct_verify(sct, b->log_key, precert, is->cert));
        PHASE(PH_SCT_ENCODE, hsmca_ct_sct_encode(sct, &sct_tls, &sct_len));
        PHASE(PH_FINAL_BUILD, hsmca_ct_final_from_precert(precert, scts, 1, &final));
        PHASE(PH_F_THROWAWAY_KEY, hsmca_x509_throwaway_key(pub, &tk));
        PHASE(PH_F_THROWAWAY_SIGN, hsmca_x509_sign_throwaway(final, tk));
        PHASE(PH_F_TBS, hsmca_x509_tbs_der(final, &ftbs, &ftbs_len));
        in = (hsmca_lint_input){final, HSMCA_PROFILE_TLS_SERVER, is->cert, now, NULL, 0};
        PHASE(PH_F_LINT, hsmca_lint_run(&in, &res));
        CHECK(hsmca_lint_result_check(res));
        PHASE(PH_CORRESPOND, hsmca_ct_correspond(precert, final));
        claim.serial = sv1;
        CHECK(EVP_Digest(ftbs, ftbs_len, claim.tbs_sha256, NULL, EVP_sha256(), NULL) == 1
                  ? HSMCA_OK
                  : HSMCA_E_CRYPTO);
        PHASE(PH_F_CLAIM, hsmca_store_finals_claim(b->store, id, &claim, 1, now, NULL));
        PHASE(PH_F_TOKEN_SIGN, token_sign_only(final, signer, md));
        PHASE(PH_F_TOKEN_VERIFY, verify_and_compare(final, pub, ftbs, ftbs_len));
        PHASE(PH_F_DER, hsmca_x509_to_der(final, &fder, &fder_len));
        memcpy(stored.log_id, sct->log_id, 32);
        stored.timestamp = sct->timestamp;
        stored.tls = sct_tls;
        stored.tls_len = sct_len;
        rec = (hsmca_store_final){sv1, fder, fder_len, &stored, 1, claim.tbs_sha256};
        PHASE(PH_F_RECORD, hsmca_store_finals_record(b->store, id, &rec, 1, now, NULL));

        hsmca_lint_result_free(res);
        EVP_PKEY_free(tk);
        hsmca_store_cert_free(c);
        hsmca_sct_free(sct);
        hsmca_profile_free(p);
        X509_free(cert);
        X509_free(precert);
        X509_free(final);
        OPENSSL_free(tbs);
        OPENSSL_free(der);
        OPENSSL_free(ftbs);
        OPENSSL_free(fder);
        free(sct_tls);
    }
    for (int i = 0; i < PH__COUNT; i++)
        total += acc[i];
    token = acc[PH_TOKEN_SIGN] + acc[PH_F_TOKEN_SIGN];
    commits = acc[PH_RESERVE] + acc[PH_RECORD] + acc[PH_F_CLAIM] + acc[PH_F_RECORD];
    printf("\nwhere one set goes: %s issuer, one thread, mean of %zu sets, each step timed "
           "alone\n", is->desc, b->phase_reps);
    printf("  %-40s %10s %6s\n", "step", "us/set", "share");
    for (int i = 0; i < PH__COUNT; i++)
        printf("  %-40s %10.1f %5.1f%%\n", phase_names[i], 1e6 * acc[i] / (double)b->phase_reps,
               100.0 * acc[i] / total);
    printf("  %-40s %10.1f\n", "total", 1e6 * total / (double)b->phase_reps);
    printf("  token signatures %.1f%%, durable commits %.1f%% (4 per set unbatched), the CA's "
           "own work %.1f%%\n", 100.0 * token / total, 100.0 * commits / total,
           100.0 * (total - token - commits) / total);
    {
        /* The batch path: the store calls batched, the profile loaded once
         * per batch, the precertificate handed back to the final call (no
         * parse). */
        size_t batch = b->batches[b->n_batches - 1];
        double reps = (double)b->phase_reps;
        double per = batched_commits_per_set(b, is, batch);
        double t = (total - commits - acc[PH_READ] - acc[PH_PARSE] -
                    acc[PH_PROFILE] * (1.0 - 1.0 / (double)batch)) / reps + per;
        double tok = token / reps;

        printf("  batch path (%zu sets per call): store %.1f us/set (4 commits and a read per "
               "batch); a set takes about %.1f us: token signatures %.1f%%, store %.1f%%, the "
               "CA's own work %.1f%%\n", batch, 1e6 * per, 1e6 * t, 100.0 * tok / t,
               100.0 * per / t, 100.0 * (t - tok - per) / t);
        if (raw1 > 0)
            printf("  a token signature takes %.1f us in the raw loop and %.1f us inside "
                   "issuance\n", 1e6 / raw1, 1e6 * tok / 2);
    }
}

/* ---- main ---- */

static size_t parse_list(const char *s, size_t *out, size_t max)
{
    size_t n = 0;
    char *end = NULL;

    while (*s != '\0' && n < max) {
        unsigned long v = strtoul(s, &end, 10);
        if (end == s || v == 0)
            break;
        out[n++] = (size_t)v;
        s = *end == ',' ? end + 1 : end;
        if (*end != ',')
            break;
    }
    return n;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: hsmca_bench_issuance --state DIR [--sets N] [--batch B[,B...]]\n"
            "         [--threads T[,T...]] [--raw-seconds S] [--phase-reps R]\n"
            "         [--profiles DIR] [--keys p256,rsa2048]\n"
            "SOFTHSM2_CONF must name a configuration with an empty token directory.\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"state", required_argument, NULL, 's'},  {"sets", required_argument, NULL, 'n'},
        {"batch", required_argument, NULL, 'b'},  {"threads", required_argument, NULL, 't'},
        {"raw-seconds", required_argument, NULL, 'r'},
        {"phase-reps", required_argument, NULL, 'p'},
        {"profiles", required_argument, NULL, 'P'}, {"keys", required_argument, NULL, 'k'},
        {NULL, 0, NULL, 0}};
    bench b;
    size_t th[MAX_LIST];
    int c;

    memset(&b, 0, sizeof(b));
    b.profiles = HSMCA_BENCH_PROFILES_DIR;
    b.sets = 1024;
    b.batches[0] = 1;
    b.batches[1] = 64;
    b.n_batches = 2;
    b.threads[0] = 1;
    b.threads[1] = 2;
    b.n_threads = 2;
    b.raw_seconds = 3.0;
    b.phase_reps = 200;
    b.want_p256 = b.want_rsa = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            b.state = optarg;
            break;
        case 'n':
            b.sets = strtoul(optarg, NULL, 10);
            break;
        case 'b':
            b.n_batches = parse_list(optarg, b.batches, MAX_LIST);
            break;
        case 't':
            b.n_threads = parse_list(optarg, th, MAX_LIST);
            for (size_t i = 0; i < b.n_threads; i++)
                b.threads[i] = th[i] > MAX_THREADS ? MAX_THREADS : (unsigned)th[i];
            break;
        case 'r':
            b.raw_seconds = strtod(optarg, NULL);
            break;
        case 'p':
            b.phase_reps = strtoul(optarg, NULL, 10);
            break;
        case 'P':
            b.profiles = optarg;
            break;
        case 'k':
            b.want_p256 = strstr(optarg, "p256") != NULL;
            b.want_rsa = strstr(optarg, "rsa2048") != NULL;
            break;
        default:
            usage();
        }
    }
    if (b.state == NULL || b.sets == 0 || b.n_batches == 0 || b.n_threads == 0 ||
        b.raw_seconds <= 0 || (!b.want_p256 && !b.want_rsa))
        usage();
    if (getenv("SOFTHSM2_CONF") == NULL)
        usage();

    setup(&b);
    printf("hsmca issuance benchmark: %zu sets per row (precert + SCT + final), raw rate over "
           "%.1f s\n", b.sets, b.raw_seconds);
    printf("bound = raw / 2 (two token signatures per set); ratio = sets / bound\n\n");
    printf("%-12s %7s %5s %11s %13s %10s %7s\n", "issuer", "threads", "batch", "raw sig/s",
           "bound sets/s", "sets/s", "ratio");
    for (size_t k = 0; k < 2; k++) {
        issuer *is = &b.iss[k];

        if (is->ca == NULL)
            continue;
        sample_tbs(&b, is);
        for (size_t t = 0; t < b.n_threads; t++) {
            double raw = raw_rate(&b, is, b.threads[t]);

            if (b.threads[t] == 1)
                is->raw1 = raw;
            for (size_t bi = 0; bi < b.n_batches; bi++) {
                double sets = sets_rate(&b, is, b.threads[t], b.batches[bi]);

                printf("%-12s %7u %5zu %11.1f %13.1f %10.1f %7.2f\n", is->desc, b.threads[t],
                       b.batches[bi], raw, raw / 2, sets, sets / (raw / 2));
                fflush(stdout);
            }
        }
    }
    for (size_t k = 0; k < 2 && b.phase_reps > 0; k++)
        if (b.iss[k].ca != NULL)
            phases(&b, &b.iss[k], b.iss[k].raw1);
    teardown(&b);
    return 0;
}
