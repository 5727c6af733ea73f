/* Unit tests: Certificate Transparency (src/ct).
 *
 * A software hierarchy (P-256 root, P-256 and RSA-2048 issuing CAs, P-256
 * leaf precertificates from the shipped profiles, found through
 * HSMCA_SOURCE_DIR) and software log keys (P-256, RSA-2048); no token.
 *
 * Covered: the poison's exact bytes; SCT and SCT-list TLS encoding, round
 * trips and every malformed shape; the add-pre-chain JSON; the RFC 6962
 * §3.2 signed data against hand-assembled bytes; the precert TBS without
 * poison against OpenSSL's own removal; signing and verifying SCTs and each
 * verification failure; the final certificate from a precert and the
 * correspondence check with every refusal of CONFORMANCE.md §10; the legacy
 * PSC form of the entry and the final (RFC 6962 §3.2); loading log keys.
 * Tools we did not write judge the result: OpenSSL's
 * SCT_LIST_validate on the embedded SCTs, and tests/interop/ct_check.py
 * (Debian's python3-cryptography: tbs_precertificate_bytes and an SCT
 * signature check of its own).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ct.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "hsmca/clock.h"
#include "hsmca/ct.h"
#include "hsmca/err.h"
#include "hsmca/profile.h"
#include "hsmca/x509.h"
#include "ct/ct_int.h"
#include "require.h"
#include "support.h"

#define ROOT_SUBJECT "C=XX, O=hsmca test, CN=hsmca CT Test Root"
#define CA_SUBJECT "C=XX, O=hsmca test, CN=hsmca CT Test CA"
#define CA_RSA_SUBJECT "C=XX, O=hsmca test, CN=hsmca CT Test CA RSA"
#define NOW "2026-06-01T12:00:00Z"

/* CONFORMANCE.md §9. */
static const uint8_t POISON_DER[] = { 0x30, 0x13, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01,
                                      0xd6, 0x79, 0x02, 0x04, 0x03, 0x01, 0x01, 0xff, 0x04,
                                      0x02, 0x05, 0x00 };

/* ---- fixtures ---- */

typedef struct pki {
    EVP_PKEY *root_key, *ca_key, *ca_rsa_key, *leaf_key, *log_ec, *log_ec2, *log_rsa;
    X509 *root, *ca, *ca_rsa;
    hsmca_profile *p_root, *p_sub, *p_leaf;
    hsmca_time now;
    uint64_t now_ms;
} pki;

static pki P;

static EVP_PKEY *gen(const char *type)
{
    EVP_PKEY *k = strcmp(type, "rsa") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
                                           : EVP_PKEY_Q_keygen(NULL, NULL, "EC", type);

    if (k == NULL)
        fail_msg("cannot generate a %s key", type);
    return k;
}

/* A certificate re-read from its DER, as a caller would get it from disk. */
static X509 *reparse(X509 *c)
{
    uint8_t *der = NULL;
    size_t len = 0;
    X509 *back = NULL;

    assert_int_equal(hsmca_x509_to_der(c, &der, &len), HSMCA_OK);
    assert_int_equal(hsmca_x509_from_bytes(der, len, &back), HSMCA_OK);
    OPENSSL_free(der);
    return back;
}

/* Sign with k, verify, return a re-read copy; c is freed. */
static X509 *sign_reparse(X509 *c, EVP_PKEY *k)
{
    X509 *back;

    if (hsmca_x509_sign(c, k, k) != HSMCA_OK)
        fail_msg("signing: %s", hsmca_err_message());
    back = reparse(c);
    X509_free(c);
    return back;
}

/* Build (unsigned) from a profile. */
static X509 *build(const hsmca_profile *prof, const char *subject, EVP_PKEY *key, X509 *issuer,
                   EVP_PKEY *signer, const char *const *dns, size_t n_dns)
{
    hsmca_x509_request r;
    hsmca_x509_subject subj;
    char *buf = NULL;
    uint8_t rnd[16], serial[HSMCA_X509_SERIAL_MAX];
    X509 *c = NULL;

    memset(&r, 0, sizeof r);
    if (subject != NULL) {
        assert_int_equal(hsmca_x509_subject_parse(subject, &subj, &buf), HSMCA_OK);
        r.subject = &subj;
    }
    assert_int_equal(RAND_bytes(rnd, sizeof rnd), 1);
    assert_int_equal(hsmca_x509_serial_from_random(rnd, sizeof rnd, serial, &r.serial_len),
                     HSMCA_OK);
    r.profile = prof;
    r.subject_key = key;
    r.issuer = issuer;
    r.signer_public = signer;
    r.serial = serial;
    r.now = P.now;
    r.base_url = "http://127.0.0.1:8080";
    r.issuer_id = "ct-test";
    r.dns_names = dns;
    r.n_dns = n_dns;
    if (hsmca_x509_build(&r, &c) != HSMCA_OK)
        fail_msg("build %s: %s", prof->name, hsmca_err_message());
    free(buf);
    return c;
}

static const char *const DNS[] = { "www.example.test", "example.test" };

/* A signed precert from issuer: poison added last, or moved to index pos
 * (>= 0) among the extensions. */
static X509 *precert_at(X509 *issuer, EVP_PKEY *issuer_key, int pos)
{
    X509 *c = build(P.p_leaf, NULL, P.leaf_key, issuer, issuer_key, DNS, 2);

    assert_int_equal(hsmca_ct_add_poison(c), HSMCA_OK);
    if (pos >= 0) {
        X509_EXTENSION *ext = X509_delete_ext(c, X509_get_ext_count(c) - 1);

        assert_non_null(ext);
        assert_int_equal(X509_add_ext(c, ext, pos), 1);
        X509_EXTENSION_free(ext);
    }
    return sign_reparse(c, issuer_key);
}

static X509 *precert(void)
{
    return precert_at(P.ca, P.ca_key, -1);
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(hsmca_clock_parse(NOW, &P.now), HSMCA_OK);
    P.now_ms = (uint64_t)P.now * 1000;
    P.p_root = hsmca_test_require_profile("root");
    P.p_sub = hsmca_test_require_profile("subordinate");
    P.p_leaf = hsmca_test_require_profile("tls-server");
    P.root_key = gen("P-256");
    P.ca_key = gen("P-256");
    P.ca_rsa_key = gen("rsa");
    P.leaf_key = gen("P-256");
    P.log_ec = gen("P-256");
    P.log_ec2 = gen("P-256");
    P.log_rsa = gen("rsa");
    P.root = sign_reparse(build(P.p_root, ROOT_SUBJECT, P.root_key, NULL, P.root_key, NULL, 0),
                          P.root_key);
    P.ca = sign_reparse(build(P.p_sub, CA_SUBJECT, P.ca_key, P.root, P.root_key, NULL, 0),
                        P.root_key);
    P.ca_rsa = sign_reparse(build(P.p_sub, CA_RSA_SUBJECT, P.ca_rsa_key, P.root, P.root_key,
                                  NULL, 0),
                            P.root_key);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    X509_free(P.root);
    X509_free(P.ca);
    X509_free(P.ca_rsa);
    EVP_PKEY_free(P.root_key);
    EVP_PKEY_free(P.ca_key);
    EVP_PKEY_free(P.ca_rsa_key);
    EVP_PKEY_free(P.leaf_key);
    EVP_PKEY_free(P.log_ec);
    EVP_PKEY_free(P.log_ec2);
    EVP_PKEY_free(P.log_rsa);
    hsmca_profile_free(P.p_root);
    hsmca_profile_free(P.p_sub);
    hsmca_profile_free(P.p_leaf);
    return 0;
}

/* ---- helpers ---- */

static void expect_err_at(hsmca_err got, hsmca_err want, const char *needle, const char *what,
                          int line)
{
    if (got != want)
        fail_msg("line %d: %s: expected %s, got %s: %s", line, what,
                 hsmca_err_code_name(want), hsmca_err_code_name(got), hsmca_err_message());
    if (needle != NULL && strstr(hsmca_err_message(), needle) == NULL)
        fail_msg("line %d: %s: message \"%s\" does not mention \"%s\"", line, what,
                 hsmca_err_message(), needle);
}

#define EXPECT_ERR(call, code, needle) expect_err_at((call), (code), (needle), #call, __LINE__)
#define EXPECT_OK(call) expect_err_at((call), HSMCA_OK, NULL, #call, __LINE__)

/* The fixed SCT of the layout tests. */
static const uint8_t FIXED_SIG[] = { 0xde, 0xad };
static const uint8_t FIXED_EXT[] = { 0x01, 0x02, 0x03 };
#define FIXED_TS UINT64_C(1717243200123)

static void fixed_sct(hsmca_sct *s)
{
    memset(s, 0, sizeof *s);
    s->version = 0;
    for (int i = 0; i < 32; i++)
        s->log_id[i] = (uint8_t)i;
    s->timestamp = FIXED_TS;
    s->extensions = (uint8_t *)(uintptr_t)FIXED_EXT;
    s->extensions_len = sizeof FIXED_EXT;
    s->hash_alg = 4;
    s->sig_alg = 3;
    s->signature = (uint8_t *)(uintptr_t)FIXED_SIG;
    s->signature_len = sizeof FIXED_SIG;
}

/* Its hand-assembled encoding (RFC 6962 §3.2), 52 bytes. */
static size_t fixed_tls(uint8_t *out)
{
    size_t o = 0;

    out[o++] = 0x00;                      /* v1 */
    for (int i = 0; i < 32; i++)          /* log id */
        out[o++] = (uint8_t)i;
    for (int i = 7; i >= 0; i--)          /* uint64 timestamp */
        out[o++] = (uint8_t)(FIXED_TS >> (8 * i));
    out[o++] = 0x00;                      /* extensions<0..2^16-1> */
    out[o++] = 0x03;
    out[o++] = 0x01;
    out[o++] = 0x02;
    out[o++] = 0x03;
    out[o++] = 0x04;                      /* sha256 */
    out[o++] = 0x03;                      /* ecdsa */
    out[o++] = 0x00;                      /* signature<0..2^16-1> */
    out[o++] = 0x02;
    out[o++] = 0xde;
    out[o++] = 0xad;
    return o;
}

static void assert_sct_equal(const hsmca_sct *a, const hsmca_sct *b)
{
    assert_int_equal(a->version, b->version);
    assert_memory_equal(a->log_id, b->log_id, 32);
    assert_true(a->timestamp == b->timestamp);
    assert_int_equal(a->extensions_len, b->extensions_len);
    if (a->extensions_len > 0)
        assert_memory_equal(a->extensions, b->extensions, a->extensions_len);
    assert_int_equal(a->hash_alg, b->hash_alg);
    assert_int_equal(a->sig_alg, b->sig_alg);
    assert_int_equal(a->signature_len, b->signature_len);
    if (a->signature_len > 0)
        assert_memory_equal(a->signature, b->signature, a->signature_len);
}

static hsmca_sct *sign_sct(EVP_PKEY *log, X509 *pre, X509 *issuer, uint64_t ts)
{
    hsmca_sct *s = NULL;

    if (hsmca_ct_sct_sign(log, pre, issuer, ts, &s) != HSMCA_OK)
        fail_msg("signing an SCT: %s", hsmca_err_message());
    return s;
}

static X509 *final_of(X509 *pre, hsmca_sct *const *scts, size_t n)
{
    X509 *f = NULL;

    if (hsmca_ct_final_from_precert(pre, scts, n, &f) != HSMCA_OK)
        fail_msg("final from precert: %s", hsmca_err_message());
    return f;
}

static int ext_index(X509 *c, int nid)
{
    return X509_get_ext_by_NID(c, nid, -1);
}

/* ---- poison ---- */

static void test_poison_bytes(void **state)
{
    X509 *c = build(P.p_leaf, NULL, P.leaf_key, P.ca, P.ca_key, DNS, 2), *pre;
    unsigned char *der = NULL;
    int n, loc;

    (void)state;
    assert_int_equal(hsmca_ct_poison_count(c), 0);
    EXPECT_OK(hsmca_ct_add_poison(c));
    assert_int_equal(hsmca_ct_poison_count(c), 1);
    /* RFC 6962 §3.1: exactly one. */
    EXPECT_ERR(hsmca_ct_add_poison(c), HSMCA_E_INPUT, "already has a CT poison");
    assert_int_equal(hsmca_ct_poison_count(c), 1);
    pre = sign_reparse(c, P.ca_key);
    loc = ext_index(pre, NID_ct_precert_poison);
    assert_int_equal(loc, X509_get_ext_count(pre) - 1); /* appended last */
    n = i2d_X509_EXTENSION(X509_get_ext(pre, loc), &der);
    assert_int_equal(n, (int)sizeof POISON_DER);
    assert_memory_equal(der, POISON_DER, sizeof POISON_DER);
    assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(pre, loc)), 1);
    assert_int_equal(hsmca_ct_sct_list_count(pre), 0);
    assert_int_equal(hsmca_ct_poison_count(NULL), 0);
    OPENSSL_free(der);
    X509_free(pre);
}

/* ---- SCT encoding ---- */

static void test_sct_roundtrip(void **state)
{
    hsmca_sct s, *back = NULL;
    uint8_t want[64], *enc = NULL, *enc2 = NULL;
    size_t want_len = fixed_tls(want), len = 0, len2 = 0;

    (void)state;
    fixed_sct(&s);
    assert_int_equal(want_len, 52);
    EXPECT_OK(hsmca_ct_sct_encode(&s, &enc, &len));
    assert_int_equal(len, want_len);
    assert_memory_equal(enc, want, want_len);
    EXPECT_OK(hsmca_ct_sct_decode(enc, len, &back));
    assert_sct_equal(&s, back);
    EXPECT_OK(hsmca_ct_sct_encode(back, &enc2, &len2));
    assert_int_equal(len2, len);
    assert_memory_equal(enc2, enc, len);
    hsmca_sct_free(back);
    free(enc);
    free(enc2);

    /* Empty extensions and signature are representable (verify refuses the
     * empty signature). */
    s.extensions = NULL;
    s.extensions_len = 0;
    s.signature = NULL;
    s.signature_len = 0;
    EXPECT_OK(hsmca_ct_sct_encode(&s, &enc, &len));
    assert_int_equal(len, 47);
    EXPECT_OK(hsmca_ct_sct_decode(enc, len, &back));
    assert_null(back->extensions);
    assert_int_equal(back->signature_len, 0);
    hsmca_sct_free(back);
    free(enc);
    hsmca_sct_free(NULL);
}

static void test_sct_decode_malformed(void **state)
{
    uint8_t good[64], bad[80];
    size_t n = fixed_tls(good);
    hsmca_sct *s = NULL;

    (void)state;
    /* Every truncation. */
    for (size_t i = 0; i < n; i++) {
        hsmca_err err = hsmca_ct_sct_decode(good, i, &s);

        if (err != HSMCA_E_INPUT)
            fail_msg("a %zu-byte prefix decoded (%s)", i, hsmca_err_code_name(err));
        assert_null(s);
    }
    EXPECT_ERR(hsmca_ct_sct_decode(good, 10, &s), HSMCA_E_INPUT, "log id");
    EXPECT_ERR(hsmca_ct_sct_decode(good, 40, &s), HSMCA_E_INPUT, "timestamp");
    EXPECT_ERR(hsmca_ct_sct_decode(good, 44, &s), HSMCA_E_INPUT, "extensions");
    EXPECT_ERR(hsmca_ct_sct_decode(good, 50, &s), HSMCA_E_INPUT, "signature");
    /* A trailing byte. */
    memcpy(bad, good, n);
    bad[n] = 0x00;
    EXPECT_ERR(hsmca_ct_sct_decode(bad, n + 1, &s), HSMCA_E_INPUT, "trailing");
    /* Extensions longer than what is left. */
    memcpy(bad, good, n);
    bad[41] = 0x00;
    bad[42] = 0xff;
    EXPECT_ERR(hsmca_ct_sct_decode(bad, n, &s), HSMCA_E_INPUT, "extensions");
    /* Extensions shorter: the rest no longer parses as hash/sig/vector. */
    memcpy(bad, good, n);
    bad[42] = 0x02;
    EXPECT_ERR(hsmca_ct_sct_decode(bad, n, &s), HSMCA_E_INPUT, NULL);
    /* Signature length one too long / one too short. */
    memcpy(bad, good, n);
    bad[n - 3] = 0x03;
    EXPECT_ERR(hsmca_ct_sct_decode(bad, n, &s), HSMCA_E_INPUT, "signature");
    bad[n - 3] = 0x01;
    EXPECT_ERR(hsmca_ct_sct_decode(bad, n, &s), HSMCA_E_INPUT, "trailing");
    assert_null(s);
    EXPECT_ERR(hsmca_ct_sct_decode(NULL, 0, &s), HSMCA_E_INPUT, "version");
}

/* A version other than v1 decodes (with the v1 layout) so the caller can
 * say where it came from; verify refuses it. */
static void test_sct_version_nonzero(void **state)
{
    uint8_t tls[64];
    size_t n = fixed_tls(tls);
    hsmca_sct *s = NULL;
    X509 *pre = precert();

    (void)state;
    tls[0] = 1;
    EXPECT_OK(hsmca_ct_sct_decode(tls, n, &s));
    assert_int_equal(s->version, 1);
    EXPECT_ERR(hsmca_ct_sct_verify(s, P.log_ec, pre, P.ca), HSMCA_E_VERIFY, "version 1");
    hsmca_sct_free(s);
    /* A real SCT with its version changed. */
    s = sign_sct(P.log_ec, pre, P.ca, P.now_ms);
    EXPECT_OK(hsmca_ct_sct_verify(s, P.log_ec, pre, P.ca));
    s->version = 1;
    EXPECT_ERR(hsmca_ct_sct_verify(s, P.log_ec, pre, P.ca), HSMCA_E_VERIFY, "not v1");
    /* ... and it cannot be embedded. */
    {
        X509 *f = NULL;

        EXPECT_ERR(hsmca_ct_final_from_precert(pre, &s, 1, &f), HSMCA_E_INPUT, "v1");
        assert_null(f);
    }
    hsmca_sct_free(s);
    X509_free(pre);
}

/* ---- SCT lists ---- */

/* 00 LL | 00 ll SCT | ... for the fixed SCT, n times. */
static size_t fixed_list(uint8_t *out, int n)
{
    uint8_t one[64];
    size_t m = fixed_tls(one), o = 2;

    for (int i = 0; i < n; i++) {
        out[o++] = (uint8_t)(m >> 8);
        out[o++] = (uint8_t)m;
        memcpy(out + o, one, m);
        o += m;
    }
    out[0] = (uint8_t)((o - 2) >> 8);
    out[1] = (uint8_t)(o - 2);
    return o;
}

static void test_sct_list(void **state)
{
    hsmca_sct s, *v[2] = { &s, &s }, **back = NULL;
    uint8_t want[200], bad[200], *enc = NULL;
    size_t want_len = fixed_list(want, 2), len = 0, n = 0;

    (void)state;
    fixed_sct(&s);
    EXPECT_OK(hsmca_ct_sct_list_encode(v, 2, &enc, &len));
    assert_int_equal(len, want_len);
    assert_int_equal(len, 2 + 2 * (2 + 52));
    assert_memory_equal(enc, want, len);
    EXPECT_OK(hsmca_ct_sct_list_decode(enc, len, &back, &n));
    assert_int_equal(n, 2);
    assert_sct_equal(back[0], &s);
    assert_sct_equal(back[1], &s);
    hsmca_ct_sct_list_free(back, n);
    back = NULL;
    free(enc);
    enc = NULL;
    hsmca_ct_sct_list_free(NULL, 0);

    /* RFC 6962 §3.3: sct_list<1..2^16-1>. */
    EXPECT_ERR(hsmca_ct_sct_list_encode(v, 0, &enc, &len), HSMCA_E_INPUT, "at least one");
    assert_null(enc);
    {
        static const uint8_t empty[] = { 0x00, 0x00 };

        EXPECT_ERR(hsmca_ct_sct_list_decode(empty, 2, &back, &n), HSMCA_E_INPUT, "empty");
    }
    EXPECT_ERR(hsmca_ct_sct_list_decode(want, 1, &back, &n), HSMCA_E_INPUT, "SCT list");
    EXPECT_ERR(hsmca_ct_sct_list_decode(want, 0, &back, &n), HSMCA_E_INPUT, "SCT list");
    /* Outer length too long (truncated) and too short (trailing bytes). */
    memcpy(bad, want, want_len);
    bad[1]++;
    EXPECT_ERR(hsmca_ct_sct_list_decode(bad, want_len, &back, &n), HSMCA_E_INPUT, "truncated");
    bad[1] -= 2;
    EXPECT_ERR(hsmca_ct_sct_list_decode(bad, want_len, &back, &n), HSMCA_E_INPUT,
               "after the list");
    /* Trailing bytes after a correct list. */
    memcpy(bad, want, want_len);
    bad[want_len] = 0;
    EXPECT_ERR(hsmca_ct_sct_list_decode(bad, want_len + 1, &back, &n), HSMCA_E_INPUT,
               "trailing");
    /* A zero-length entry. */
    {
        static const uint8_t zero[] = { 0x00, 0x02, 0x00, 0x00 };

        EXPECT_ERR(hsmca_ct_sct_list_decode(zero, 4, &back, &n), HSMCA_E_INPUT,
                   "empty SerializedSCT");
    }
    /* Entry length one short: the SCT inside is cut. */
    memcpy(bad, want, want_len);
    bad[3] = 51;
    EXPECT_ERR(hsmca_ct_sct_list_decode(bad, want_len, &back, &n), HSMCA_E_INPUT,
               "SCT list entry 1");
    /* Entry length one long: the first SCT has a trailing byte... */
    bad[3] = 53;
    EXPECT_ERR(hsmca_ct_sct_list_decode(bad, want_len, &back, &n), HSMCA_E_INPUT,
               "SCT list entry 1");
    /* ... and the second entry's length no longer fits. */
    memcpy(bad, want, want_len);
    bad[2 + 54 + 1] = 53;
    EXPECT_ERR(hsmca_ct_sct_list_decode(bad, want_len, &back, &n), HSMCA_E_INPUT,
               "SCT list entry 2");
    /* The list length says 1 byte fewer: entry 2 is truncated. */
    memcpy(bad, want, want_len);
    bad[1]--;
    EXPECT_ERR(hsmca_ct_sct_list_decode(bad, want_len - 1, &back, &n), HSMCA_E_INPUT,
               "SCT list entry 2");
    assert_null(back);
}

/* ---- JSON ---- */

static void test_json_good(void **state)
{
    hsmca_sct s, *back = NULL;
    char *json = NULL, want[512];

    (void)state;
    fixed_sct(&s);
    EXPECT_OK(hsmca_ct_sct_to_json(&s, &json));
    snprintf(want, sizeof want,
             "{\"sct_version\":0,\"id\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\","
             "\"timestamp\":%llu,\"extensions\":\"AQID\",\"signature\":\"BAMAAt6t\"}",
             (unsigned long long)FIXED_TS);
    assert_string_equal(json, want);
    EXPECT_OK(hsmca_ct_sct_from_json(json, strlen(json), &back));
    assert_sct_equal(back, &s);
    hsmca_sct_free(back);
    free(json);

    /* Empty extensions; members in another order; an unknown member. */
    {
        static const char j[] =
            "{ \"signature\": \"BAMAAt6t\", \"extensions\": \"\", \"timestamp\": 1,"
            "  \"id\": \"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\", \"sct_version\": 0,"
            "  \"future\": [1, 2] }";

        EXPECT_OK(hsmca_ct_sct_from_json(j, strlen(j), &back));
        assert_int_equal(back->extensions_len, 0);
        assert_true(back->timestamp == 1);
        assert_int_equal(back->signature_len, 2);
        hsmca_sct_free(back);
    }
    /* A real SCT through JSON still verifies. */
    {
        X509 *pre = precert();
        hsmca_sct *r = sign_sct(P.log_rsa, pre, P.ca, P.now_ms);

        EXPECT_OK(hsmca_ct_sct_to_json(r, &json));
        EXPECT_OK(hsmca_ct_sct_from_json(json, strlen(json), &back));
        EXPECT_OK(hsmca_ct_sct_verify(back, P.log_rsa, pre, P.ca));
        hsmca_sct_free(back);
        hsmca_sct_free(r);
        free(json);
        X509_free(pre);
    }
}

static void json_bad(const char *sv, const char *id, const char *ts, const char *ext,
                     const char *sig, const char *needle, int line)
{
    char j[1024];
    hsmca_sct *s = NULL;
    size_t o = 0;

    o += (size_t)snprintf(j + o, sizeof j - o, "{");
    if (sv != NULL)
        o += (size_t)snprintf(j + o, sizeof j - o, "\"sct_version\":%s,", sv);
    if (id != NULL)
        o += (size_t)snprintf(j + o, sizeof j - o, "\"id\":%s,", id);
    if (ts != NULL)
        o += (size_t)snprintf(j + o, sizeof j - o, "\"timestamp\":%s,", ts);
    if (ext != NULL)
        o += (size_t)snprintf(j + o, sizeof j - o, "\"extensions\":%s,", ext);
    if (sig != NULL)
        o += (size_t)snprintf(j + o, sizeof j - o, "\"signature\":%s,", sig);
    if (j[o - 1] == ',')
        o--;
    snprintf(j + o, sizeof j - o, "}");
    expect_err_at(hsmca_ct_sct_from_json(j, strlen(j), &s), HSMCA_E_INPUT, needle, j, line);
    assert_null(s);
}

static void test_json_bad(void **state)
{
    static const char ID[] = "\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"";
    static const char SIG[] = "\"BAMAAt6t\"";
    hsmca_sct *s = NULL;

    (void)state;
#define BAD(sv, id, ts, ext, sig, needle) json_bad(sv, id, ts, ext, sig, needle, __LINE__)
    /* The baseline is good. */
    {
        char j[512];

        snprintf(j, sizeof j, "{\"sct_version\":0,\"id\":%s,\"timestamp\":5,\"extensions\":\"\","
                 "\"signature\":%s}", ID, SIG);
        EXPECT_OK(hsmca_ct_sct_from_json(j, strlen(j), &s));
        hsmca_sct_free(s);
        s = NULL;
    }
    /* Missing members. */
    BAD(NULL, ID, "5", "\"\"", SIG, "\"sct_version\" is missing");
    BAD("0", NULL, "5", "\"\"", SIG, "\"id\" is missing");
    BAD("0", ID, NULL, "\"\"", SIG, "\"timestamp\" is missing");
    BAD("0", ID, "5", NULL, SIG, "\"extensions\" is missing");
    BAD("0", ID, "5", "\"\"", NULL, "\"signature\" is missing");
    /* Wrong JSON types. */
    BAD("\"0\"", ID, "5", "\"\"", SIG, "\"sct_version\" is not an integer");
    BAD("0.0", ID, "5", "\"\"", SIG, "\"sct_version\" is not an integer");
    BAD("256", ID, "5", "\"\"", SIG, "uint8");
    BAD("-1", ID, "5", "\"\"", SIG, "uint8");
    BAD("0", "5", "5", "\"\"", SIG, "\"id\" is not a string");
    BAD("0", ID, "\"5\"", "\"\"", SIG, "\"timestamp\" is not an integer");
    BAD("0", ID, "1.5", "\"\"", SIG, "\"timestamp\" is not an integer");
    BAD("0", ID, "-1", "\"\"", SIG, "\"timestamp\" -1 is negative");
    BAD("0", ID, "5", "null", SIG, "\"extensions\" is not a string");
    BAD("0", ID, "5", "\"\"", "[]", "\"signature\" is not a string");
    /* Bad base64. */
    BAD("0", "\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\"", "5", "\"\"", SIG,
        "\"id\": not base64");
    BAD("0", "\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8!\"", "5", "\"\"", SIG,
        "\"id\": not base64");
    BAD("0", ID, "5", "\"AA=A\"", SIG, "\"extensions\": not base64");
    BAD("0", ID, "5", "\"AB==\"", SIG, "\"extensions\": not canonical base64");
    BAD("0", ID, "5", "\"AAB=\"", SIG, "\"extensions\": not canonical base64");
    BAD("0", ID, "5", "\"AQID\\n\"", SIG, "\"extensions\": not base64");
    BAD("0", ID, "5", "\"\"", "\"BAMAAt6\"", "\"signature\": not base64");
    /* Wrong id length. */
    BAD("0", "\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\"", "5", "\"\"", SIG,
        "\"id\" is 31 bytes");
    BAD("0", "\"\"", "5", "\"\"", SIG, "\"id\" is 0 bytes");
    /* The signature struct: trailing garbage, truncated, empty. */
    BAD("0", ID, "5", "\"\"", "\"BAMAAt6tAA==\"", "\"signature\"");
    BAD("0", ID, "5", "\"\"", "\"BAMAAt6tAA==\"", "trailing");
    BAD("0", ID, "5", "\"\"", "\"BAMAA96t\"", "\"signature\"");
    BAD("0", ID, "5", "\"\"", "\"\"", "\"signature\"");
#undef BAD
    /* Not an object, not JSON, duplicate members, trailing garbage. */
    EXPECT_ERR(hsmca_ct_sct_from_json("[]", 2, &s), HSMCA_E_INPUT, "not a JSON object");
    EXPECT_ERR(hsmca_ct_sct_from_json("{", 1, &s), HSMCA_E_INPUT, "SCT JSON");
    EXPECT_ERR(hsmca_ct_sct_from_json("", 0, &s), HSMCA_E_INPUT, "SCT JSON");
    {
        static const char dup[] = "{\"sct_version\":0,\"sct_version\":0}";
        static const char trail[] = "{\"sct_version\":0} x";

        EXPECT_ERR(hsmca_ct_sct_from_json(dup, strlen(dup), &s), HSMCA_E_INPUT, "duplicate");
        EXPECT_ERR(hsmca_ct_sct_from_json(trail, strlen(trail), &s), HSMCA_E_INPUT,
                   "SCT JSON");
    }
    assert_null(s);
    /* A timestamp JSON cannot carry. */
    {
        hsmca_sct f;
        char *j = NULL;

        fixed_sct(&f);
        f.timestamp = UINT64_MAX;
        EXPECT_ERR(hsmca_ct_sct_to_json(&f, &j), HSMCA_E_INPUT, "JSON integer");
        assert_null(j);
    }
}

/* ---- signed data ---- */

static void test_signed_data_layout(void **state)
{
    static const uint8_t tbs[] = { 0x30, 0x03, 0x02, 0x01, 0x07 };
    static const uint8_t ext[] = { 0xaa, 0xbb };
    uint8_t ikh[32], want[128], *out = NULL;
    size_t n = 0, len = 0;

    (void)state;
    for (int i = 0; i < 32; i++)
        ikh[i] = (uint8_t)(0xa0 + i);
    want[n++] = 0x00; /* sct_version v1 */
    want[n++] = 0x00; /* signature_type certificate_timestamp */
    for (int i = 1; i <= 8; i++)
        want[n++] = (uint8_t)i; /* timestamp 0x0102030405060708 */
    want[n++] = 0x00;            /* entry_type precert_entry (uint16 1) */
    want[n++] = 0x01;
    memcpy(want + n, ikh, 32);
    n += 32;
    want[n++] = 0x00; /* uint24 TBS length */
    want[n++] = 0x00;
    want[n++] = 0x05;
    memcpy(want + n, tbs, sizeof tbs);
    n += sizeof tbs;
    want[n++] = 0x00; /* uint16 extensions length */
    want[n++] = 0x02;
    want[n++] = 0xaa;
    want[n++] = 0xbb;
    EXPECT_OK(hsmca_ct_precert_signed_data(ikh, tbs, sizeof tbs, UINT64_C(0x0102030405060708),
                                           ext, sizeof ext, &out, &len));
    assert_int_equal(len, n);
    assert_int_equal(len, 2 + 8 + 2 + 32 + 3 + 5 + 2 + 2);
    assert_memory_equal(out, want, n);
    free(out);
    /* No extensions: a zero length. */
    EXPECT_OK(hsmca_ct_precert_signed_data(ikh, tbs, sizeof tbs, UINT64_C(0x0102030405060708),
                                           NULL, 0, &out, &len));
    assert_int_equal(len, n - 2);
    assert_memory_equal(out, want, n - 4);
    assert_int_equal(out[len - 2], 0);
    assert_int_equal(out[len - 1], 0);
    free(out);
    out = NULL;
    /* opaque<1..2^24-1>: an empty TBS cannot be logged. */
    EXPECT_ERR(hsmca_ct_precert_signed_data(ikh, tbs, 0, 1, NULL, 0, &out, &len),
               HSMCA_E_INPUT, "2^24");
    {
        uint8_t *big = calloc(1, 0x10000);

        assert_non_null(big);
        EXPECT_ERR(hsmca_ct_precert_signed_data(ikh, tbs, sizeof tbs, 1, big, 0x10000, &out,
                                                &len),
                   HSMCA_E_INPUT, "65535");
        free(big);
    }
    assert_null(out);
}

/* RFC 6962 §3.2: SHA-256 over the issuer's whole SPKI. */
static void test_key_hashes(void **state)
{
    uint8_t got[32], want[32];
    unsigned char *der = NULL;
    int n;

    (void)state;
    n = i2d_PUBKEY(P.ca_key, &der);
    assert_true(n > 0);
    SHA256(der, (size_t)n, want);
    OPENSSL_free(der);
    EXPECT_OK(hsmca_ct_issuer_key_hash(P.ca, got));
    assert_memory_equal(got, want, 32);
    EXPECT_OK(hsmca_ct_log_id(P.ca_key, got));
    assert_memory_equal(got, want, 32);
    der = NULL;
    n = i2d_PUBKEY(P.log_rsa, &der);
    SHA256(der, (size_t)n, want);
    OPENSSL_free(der);
    EXPECT_OK(hsmca_ct_log_id(P.log_rsa, got));
    assert_memory_equal(got, want, 32);
}

/* The log id is SHA-256 of exactly what i2d_PUBKEY writes, whichever way
 * hsmca_ct_log_id encodes the key: named P-256 and P-384 keys (written
 * directly), the same keys with a compressed point or explicit curve
 * parameters, and a key read back from PEM. */
static void test_log_id_encodings(void **state)
{
    EVP_PKEY *keys[6] = {gen("P-256"), gen("P-384"), gen("P-256"), gen("P-384"), NULL, NULL};
    unsigned char *der = NULL;
    uint8_t got[32], want[32];
    BIO *bio = BIO_new(BIO_s_mem());
    int n;

    (void)state;
    assert_non_null(bio);
    assert_int_equal(EVP_PKEY_set_utf8_string_param(
                         keys[2], OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                         OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_COMPRESSED), 1);
    assert_int_equal(EVP_PKEY_set_utf8_string_param(keys[3], OSSL_PKEY_PARAM_EC_ENCODING,
                                                    OSSL_PKEY_EC_ENCODING_EXPLICIT), 1);
    assert_int_equal(PEM_write_bio_PUBKEY(bio, keys[0]), 1);
    keys[4] = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    assert_non_null(keys[4]);
    keys[5] = EVP_PKEY_dup(keys[1]);
    assert_non_null(keys[5]);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        der = NULL;
        n = i2d_PUBKEY(keys[i], &der);
        assert_true(n > 0);
        SHA256(der, (size_t)n, want);
        OPENSSL_free(der);
        EXPECT_OK(hsmca_ct_log_id(keys[i], got));
        assert_memory_equal(got, want, 32);
    }
    /* The compressed and explicit encodings really differ from the named,
     * uncompressed ones, so the cases above test something. */
    EXPECT_OK(hsmca_ct_log_id(keys[0], want));
    EXPECT_OK(hsmca_ct_log_id(keys[4], got));
    assert_memory_equal(got, want, 32);
    for (size_t i = 2; i < 4; i++) {
        der = NULL;
        n = i2d_PUBKEY(keys[i], &der);
        assert_true(n > 0 && (i == 2 ? n < 91 : n > 120));
        OPENSSL_free(der);
    }
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        EVP_PKEY_free(keys[i]);
    BIO_free(bio);
}

/* The TBS without poison, against OpenSSL's own removal and re-encoding. */
static void check_precert_tbs(X509 *pre)
{
    uint8_t *mine = NULL;
    unsigned char *theirs = NULL;
    size_t len = 0;
    X509 *copy = X509_dup(pre);
    X509_EXTENSION *ext;
    int n;

    assert_non_null(copy);
    EXPECT_OK(hsmca_ct_precert_tbs(pre, &mine, &len));
    ext = X509_delete_ext(copy, ext_index(copy, NID_ct_precert_poison));
    assert_non_null(ext);
    X509_EXTENSION_free(ext);
    n = i2d_re_X509_tbs(copy, &theirs);
    assert_int_equal((size_t)n, len);
    assert_memory_equal(mine, theirs, len);
    /* The poison's OID is gone. */
    for (size_t i = 0; i + 10 <= len; i++)
        assert_false(memcmp(mine + i, POISON_DER + 4, 10) == 0);
    free(mine);
    OPENSSL_free(theirs);
    X509_free(copy);
}

static void test_precert_tbs(void **state)
{
    X509 *pre = precert(), *mid = precert_at(P.ca, P.ca_key, 2), *first;
    X509 *two, *plain;
    uint8_t *out = NULL;
    size_t len = 0;

    (void)state;
    check_precert_tbs(pre);
    /* The poison in the middle or first. */
    assert_int_equal(ext_index(mid, NID_ct_precert_poison), 2);
    check_precert_tbs(mid);
    first = precert_at(P.ca_rsa, P.ca_rsa_key, 0);
    assert_int_equal(ext_index(first, NID_ct_precert_poison), 0);
    check_precert_tbs(first);
    /* Not a precert: no poison. */
    plain = sign_reparse(build(P.p_leaf, NULL, P.leaf_key, P.ca, P.ca_key, DNS, 2), P.ca_key);
    EXPECT_ERR(hsmca_ct_precert_tbs(plain, &out, &len), HSMCA_E_INPUT, "0 poison");
    /* Two poisons. */
    two = X509_dup(pre);
    assert_int_equal(X509_add_ext(two, X509_get_ext(pre, ext_index(pre, NID_ct_precert_poison)),
                                  -1), 1);
    two = sign_reparse(two, P.ca_key);
    EXPECT_ERR(hsmca_ct_precert_tbs(two, &out, &len), HSMCA_E_INPUT, "2 poison");
    assert_null(out);
    X509_free(two);
    X509_free(plain);
    X509_free(first);
    X509_free(mid);
    X509_free(pre);
}

/* ---- signing and verifying SCTs ---- */

static void sign_verify(EVP_PKEY *log, uint8_t sig_alg, X509 *issuer, EVP_PKEY *issuer_key)
{
    X509 *pre = precert_at(issuer, issuer_key, -1);
    hsmca_sct *s = sign_sct(log, pre, issuer, P.now_ms);
    uint8_t id[32];

    assert_int_equal(s->version, 0);
    assert_int_equal(s->hash_alg, 4);
    assert_int_equal(s->sig_alg, sig_alg);
    assert_true(s->timestamp == P.now_ms);
    assert_int_equal(s->extensions_len, 0);
    EXPECT_OK(hsmca_ct_log_id(log, id));
    assert_memory_equal(s->log_id, id, 32);
    EXPECT_OK(hsmca_ct_sct_verify(s, log, pre, issuer));
    hsmca_sct_free(s);
    X509_free(pre);
}

static void test_sign_verify(void **state)
{
    (void)state;
    sign_verify(P.log_ec, 3, P.ca, P.ca_key);
    sign_verify(P.log_rsa, 1, P.ca, P.ca_key);
    sign_verify(P.log_ec, 3, P.ca_rsa, P.ca_rsa_key);
    sign_verify(P.log_rsa, 1, P.ca_rsa, P.ca_rsa_key);
}

static void test_verify_failures(void **state)
{
    X509 *pre = precert(), *other = precert(), *plain;
    hsmca_sct *s = sign_sct(P.log_ec, pre, P.ca, P.now_ms), *f;
    EVP_PKEY *p384 = gen("P-384");

    (void)state;
    EXPECT_OK(hsmca_ct_sct_verify(s, P.log_ec, pre, P.ca));
    /* The wrong issuer: another issuer_key_hash. */
    EXPECT_ERR(hsmca_ct_sct_verify(s, P.log_ec, pre, P.root), HSMCA_E_VERIFY,
               "does not verify");
    EXPECT_ERR(hsmca_ct_sct_verify(s, P.log_ec, pre, P.ca_rsa), HSMCA_E_VERIFY,
               "does not verify");
    /* Another TBS (same key and names, another serial). */
    EXPECT_ERR(hsmca_ct_sct_verify(s, P.log_ec, other, P.ca), HSMCA_E_VERIFY, "does not verify");
    /* Another log's key: the log id does not match. */
    EXPECT_ERR(hsmca_ct_sct_verify(s, P.log_ec2, pre, P.ca), HSMCA_E_VERIFY, "log id");
    EXPECT_ERR(hsmca_ct_sct_verify(s, P.log_rsa, pre, P.ca), HSMCA_E_VERIFY, "log id");
    /* ... even when the SCT claims that log's id. */
    EXPECT_OK(hsmca_ct_log_id(P.log_ec2, s->log_id));
    EXPECT_ERR(hsmca_ct_sct_verify(s, P.log_ec2, pre, P.ca), HSMCA_E_VERIFY, "does not verify");
    EXPECT_OK(hsmca_ct_log_id(P.log_ec, s->log_id));
    EXPECT_OK(hsmca_ct_sct_verify(s, P.log_ec, pre, P.ca));
    /* A changed signature byte. */
    s->signature[s->signature_len - 1] ^= 0x01;
    EXPECT_ERR(hsmca_ct_sct_verify(s, P.log_ec, pre, P.ca), HSMCA_E_VERIFY, "does not verify");
    s->signature[s->signature_len - 1] ^= 0x01;
    /* A changed timestamp or extensions: they are signed too. */
    s->timestamp++;
    EXPECT_ERR(hsmca_ct_sct_verify(s, P.log_ec, pre, P.ca), HSMCA_E_VERIFY, "does not verify");
    s->timestamp--;
    {
        uint8_t ext[] = { 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x07 };

        s->extensions = ext;
        s->extensions_len = sizeof ext;
        EXPECT_ERR(hsmca_ct_sct_verify(s, P.log_ec, pre, P.ca), HSMCA_E_VERIFY,
                   "does not verify");
        s->extensions = NULL;
        s->extensions_len = 0;
    }
    /* Algorithm bytes. */
    s->hash_alg = 5;
    EXPECT_ERR(hsmca_ct_sct_verify(s, P.log_ec, pre, P.ca), HSMCA_E_VERIFY, "hash algorithm 5");
    s->hash_alg = 4;
    s->sig_alg = 1;
    EXPECT_ERR(hsmca_ct_sct_verify(s, P.log_ec, pre, P.ca), HSMCA_E_VERIFY,
               "signature algorithm 1");
    s->sig_alg = 3;
    {
        size_t keep = s->signature_len;

        s->signature_len = 0;
        EXPECT_ERR(hsmca_ct_sct_verify(s, P.log_ec, pre, P.ca), HSMCA_E_VERIFY, "empty");
        s->signature_len = keep;
    }
    EXPECT_OK(hsmca_ct_sct_verify(s, P.log_ec, pre, P.ca));
    /* The final, or any certificate without exactly one poison, is not a
     * precert entry. */
    plain = sign_reparse(build(P.p_leaf, NULL, P.leaf_key, P.ca, P.ca_key, DNS, 2), P.ca_key);
    EXPECT_ERR(hsmca_ct_sct_verify(s, P.log_ec, plain, P.ca), HSMCA_E_INPUT, "poison");
    /* RFC 6962 §2.1.4: P-256 or RSA only. */
    EXPECT_ERR(hsmca_ct_sct_sign(p384, pre, P.ca, P.now_ms, &f), HSMCA_E_INPUT, "P-256");
    EXPECT_ERR(hsmca_ct_sct_verify(s, p384, pre, P.ca), HSMCA_E_INPUT, "P-256");
    /* A timestamp in the future is policy, not cryptography: it verifies
     * here (CONFORMANCE.md §11 lists it as a negative fixture for clients). */
    hsmca_sct_free(s);
    s = sign_sct(P.log_ec, pre, P.ca, P.now_ms + UINT64_C(10) * 365 * 86400 * 1000);
    EXPECT_OK(hsmca_ct_sct_verify(s, P.log_ec, pre, P.ca));
    hsmca_sct_free(s);
    EVP_PKEY_free(p384);
    X509_free(plain);
    X509_free(other);
    X509_free(pre);
}

/* ---- the final certificate ---- */

static void test_final_and_correspond(void **state)
{
    X509 *pre = precert(), *f, *signed_f;
    hsmca_sct *v[2], **back = NULL;
    size_t n = 0;
    int ploc, sloc;
    X509_EXTENSION *ext;
    const ASN1_OCTET_STRING *val;

    (void)state;
    v[0] = sign_sct(P.log_ec, pre, P.ca, P.now_ms);
    v[1] = sign_sct(P.log_rsa, pre, P.ca, P.now_ms + 7);
    f = final_of(pre, v, 2);
    /* Unsigned, it already corresponds. */
    EXPECT_OK(hsmca_ct_correspond(pre, f));
    ploc = ext_index(pre, NID_ct_precert_poison);
    sloc = ext_index(f, NID_ct_precert_scts);
    assert_int_equal(sloc, ploc);
    assert_int_equal(X509_get_ext_count(f), X509_get_ext_count(pre));
    assert_int_equal(hsmca_ct_poison_count(f), 0);
    assert_int_equal(hsmca_ct_sct_list_count(f), 1);
    signed_f = sign_reparse(f, P.ca_key);
    EXPECT_OK(hsmca_ct_correspond(pre, signed_f));
    /* Non-critical; extnValue = OCTET STRING { TLS list }. */
    ext = X509_get_ext(signed_f, sloc);
    assert_int_equal(X509_EXTENSION_get_critical(ext), 0);
    val = X509_EXTENSION_get_data(ext);
    {
        uint8_t *tls = NULL;
        size_t tls_len = 0;
        const unsigned char *d = ASN1_STRING_get0_data(val);

        EXPECT_OK(hsmca_ct_sct_list_encode(v, 2, &tls, &tls_len));
        /* An ECDSA and an RSA-2048 SCT: 256 to 65535 bytes, so the inner
         * OCTET STRING has a 2-octet long-form length. */
        assert_true(tls_len >= 0x100 && tls_len < 0x10000);
        assert_int_equal(ASN1_STRING_length(val), 4 + (int)tls_len);
        assert_int_equal(d[0], 0x04);
        assert_int_equal(d[1], 0x82);
        assert_int_equal(d[2], tls_len >> 8);
        assert_int_equal(d[3], tls_len & 0xff);
        assert_memory_equal(d + 4, tls, tls_len);
        free(tls);
    }
    /* Read back. */
    EXPECT_OK(hsmca_ct_sct_list_from_cert(signed_f, &back, &n));
    assert_int_equal(n, 2);
    assert_sct_equal(back[0], v[0]);
    assert_sct_equal(back[1], v[1]);
    hsmca_ct_sct_list_free(back, n);
    EXPECT_ERR(hsmca_ct_sct_list_from_cert(pre, &back, &n), HSMCA_E_NOT_FOUND, "no SCT list");
    /* The embedded SCTs verify against the precert. */
    EXPECT_OK(hsmca_ct_sct_verify(v[0], P.log_ec, pre, P.ca));
    EXPECT_OK(hsmca_ct_sct_verify(v[1], P.log_rsa, pre, P.ca));
    /* Refusals of final_from_precert: no SCTs, not a precert. */
    {
        X509 *g = NULL;

        EXPECT_ERR(hsmca_ct_final_from_precert(pre, v, 0, &g), HSMCA_E_INPUT, "at least one");
        EXPECT_ERR(hsmca_ct_final_from_precert(signed_f, v, 1, &g), HSMCA_E_INPUT,
                   "0 poison");
        /* OpenSSL cannot embed an SCT with algorithms it does not know. */
        v[0]->hash_alg = 5;
        EXPECT_ERR(hsmca_ct_final_from_precert(pre, v, 1, &g), HSMCA_E_INPUT, "OpenSSL");
        v[0]->hash_alg = 4;
        assert_null(g);
    }
    hsmca_sct_free(v[0]);
    hsmca_sct_free(v[1]);
    X509_free(signed_f);
    X509_free(pre);
}

/* A final certificate variant: start from the good unsigned final, let
 * `mutate` change it, sign it, and expect correspondence to fail. */
typedef void (*mutator)(X509 *f, X509 *pre);

static void m_reorder(X509 *f, X509 *pre)
{
    X509_EXTENSION *e = X509_delete_ext(f, 0);

    (void)pre;
    assert_int_equal(X509_add_ext(f, e, -1), 1);
    X509_EXTENSION_free(e);
}

static void m_not_after(X509 *f, X509 *pre)
{
    struct tm tm;

    assert_int_equal(ASN1_TIME_to_tm(X509_get0_notAfter(pre), &tm), 1);
    assert_non_null(ASN1_TIME_adj(X509_getm_notAfter(f), timegm(&tm), 0, 1));
}

static void m_san(X509 *f, X509 *pre)
{
    int loc = ext_index(f, NID_subject_alt_name);
    X509_EXTENSION *old = X509_delete_ext(f, loc), *e;

    (void)pre;
    e = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name,
                            "DNS:www.example.test,DNS:other.example.test");
    assert_non_null(e);
    assert_int_equal(X509_add_ext(f, e, loc), 1);
    X509_EXTENSION_free(e);
    X509_EXTENSION_free(old);
}

static void m_extra(X509 *f, X509 *pre)
{
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, NULL, NID_netscape_comment, "extra");

    (void)pre;
    assert_non_null(e);
    assert_int_equal(X509_add_ext(f, e, -1), 1);
    X509_EXTENSION_free(e);
}

static void m_missing(X509 *f, X509 *pre)
{
    (void)pre;
    X509_EXTENSION_free(X509_delete_ext(f, ext_index(f, NID_subject_alt_name)));
}

static void m_critical(X509 *f, X509 *pre)
{
    (void)pre;
    assert_int_equal(X509_EXTENSION_set_critical(X509_get_ext(f, ext_index(f, NID_ext_key_usage)),
                                                 1),
                     1);
}

static void m_poison_left(X509 *f, X509 *pre)
{
    assert_int_equal(X509_add_ext(f, X509_get_ext(pre, ext_index(pre, NID_ct_precert_poison)),
                                  -1),
                     1);
}

static void m_two_scts(X509 *f, X509 *pre)
{
    (void)pre;
    assert_int_equal(X509_add_ext(f, X509_get_ext(f, ext_index(f, NID_ct_precert_scts)), -1), 1);
}

static void m_serial(X509 *f, X509 *pre)
{
    ASN1_INTEGER *s = ASN1_INTEGER_dup(X509_get0_serialNumber(pre));

    assert_non_null(s);
    s->data[s->length - 1] ^= 0x01;
    assert_int_equal(X509_set_serialNumber(f, s), 1);
    ASN1_INTEGER_free(s);
}

static void m_issuer(X509 *f, X509 *pre)
{
    (void)pre;
    assert_int_equal(X509_set_issuer_name(f, X509_get_subject_name(P.root)), 1);
}

static void m_subject_key(X509 *f, X509 *pre)
{
    (void)pre;
    assert_int_equal(X509_set_pubkey(f, P.log_ec2), 1);
}

static void refuse(X509 *pre, X509 *good, mutator m, const char *needle, int line)
{
    X509 *f = X509_dup(good);

    assert_non_null(f);
    m(f, pre);
    f = sign_reparse(f, P.ca_key);
    expect_err_at(hsmca_ct_correspond(pre, f), HSMCA_E_VERIFY, needle, "correspond", line);
    X509_free(f);
}

static void test_correspond_refusals(void **state)
{
    X509 *pre = precert(), *good, *bad_pre;
    hsmca_sct *s;

    (void)state;
    s = sign_sct(P.log_ec, pre, P.ca, P.now_ms);
    good = final_of(pre, &s, 1);
#define REFUSE(m, needle) refuse(pre, good, (m), (needle), __LINE__)
    /* CONFORMANCE.md §10 [NEG]. The tls-server profile's extensions are
     * keyUsage, extKeyUsage, AKI, AIA, CRLDP, CP, SAN, then the poison. */
    REFUSE(m_reorder, "extension 1 differs: 2.5.29.15 (keyUsage) in the precert, 2.5.29.37 "
                      "(extendedKeyUsage) in the final");
    REFUSE(m_not_after, "validity differs");
    REFUSE(m_san, "extension 7 differs: 2.5.29.17 (subjectAltName) in the precert, 2.5.29.17 "
                  "with other bytes in the final");
    REFUSE(m_extra, "the final has an extra extension 9, 2.16.840.1.113730.1.13");
    REFUSE(m_missing, "extension 7 of the precert, 2.5.29.17 (subjectAltName), is missing");
    REFUSE(m_critical, "2.5.29.37 with a different criticality in the final");
    REFUSE(m_poison_left, "still carries the poison");
    REFUSE(m_two_scts, "2 SCT list extensions");
    REFUSE(m_serial, "serialNumber differs");
    REFUSE(m_issuer, "issuer differs");
    REFUSE(m_subject_key, "subjectPublicKeyInfo differs");
#undef REFUSE

    /* An SCT list in the precert. */
    bad_pre = X509_dup(pre);
    assert_int_equal(X509_add_ext(bad_pre, X509_get_ext(good, ext_index(good,
                                                                         NID_ct_precert_scts)),
                                  -1),
                     1);
    bad_pre = sign_reparse(bad_pre, P.ca_key);
    EXPECT_ERR(hsmca_ct_correspond(bad_pre, good), HSMCA_E_VERIFY,
               "the precert carries an SCT list");
    {
        X509 *g = NULL;

        EXPECT_ERR(hsmca_ct_final_from_precert(bad_pre, &s, 1, &g), HSMCA_E_INPUT,
                   "already carries an SCT list");
        assert_null(g);
    }
    X509_free(bad_pre);
    /* Two poisons in the precert. */
    bad_pre = X509_dup(pre);
    assert_int_equal(X509_add_ext(bad_pre, X509_get_ext(pre, ext_index(pre,
                                                                        NID_ct_precert_poison)),
                                  0),
                     1);
    bad_pre = sign_reparse(bad_pre, P.ca_key);
    EXPECT_ERR(hsmca_ct_correspond(bad_pre, good), HSMCA_E_VERIFY, "2 poison extensions");
    X509_free(bad_pre);
    /* No poison at all: the final against itself. */
    EXPECT_ERR(hsmca_ct_correspond(good, good), HSMCA_E_VERIFY, "0 poison extensions");

    /* What is allowed (CONFORMANCE.md §10): the final without an SCT list,
     * and the SCT list elsewhere than the poison's slot. */
    {
        X509 *f = X509_dup(good);
        X509_EXTENSION *e = X509_delete_ext(f, ext_index(f, NID_ct_precert_scts));

        f = sign_reparse(f, P.ca_key);
        EXPECT_OK(hsmca_ct_correspond(pre, f));
        X509_free(f);
        f = X509_dup(good);
        X509_EXTENSION_free(X509_delete_ext(f, ext_index(f, NID_ct_precert_scts)));
        assert_int_equal(X509_add_ext(f, e, 0), 1);
        f = sign_reparse(f, P.ca_key);
        assert_int_equal(ext_index(f, NID_ct_precert_scts), 0);
        EXPECT_OK(hsmca_ct_correspond(pre, f));
        X509_free(f);
        X509_EXTENSION_free(e);
    }
    X509_free(good);
    hsmca_sct_free(s);
    X509_free(pre);
}

/* ---- independent judges ---- */

/* An OpenSSL CTLOG_STORE holding these keys. OpenSSL 3.0 fills a store
 * only from a file (CTLOG_STORE_load_file), in its ct_log_list.cnf form. */
static CTLOG_STORE *store_of(EVP_PKEY **keys, size_t n, const char *dir)
{
    char path[4096], body[8192];
    size_t o = 0;
    CTLOG_STORE *store = CTLOG_STORE_new();

    assert_non_null(store);
    o += (size_t)snprintf(body + o, sizeof body - o, "enabled_logs = ");
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(body + o, sizeof body - o, "%slog%zu", i > 0 ? "," : "", i);
    o += (size_t)snprintf(body + o, sizeof body - o, "\n");
    for (size_t i = 0; i < n; i++) {
        unsigned char *der = NULL, b64[2048];
        int len = i2d_PUBKEY(keys[i], &der);

        assert_true(len > 0 && len < 1500);
        EVP_EncodeBlock(b64, der, len);
        OPENSSL_free(der);
        o += (size_t)snprintf(body + o, sizeof body - o,
                              "[log%zu]\ndescription = test log %zu\nkey = %s\n", i, i, b64);
        assert_true(o < sizeof body);
    }
    assert_int_equal(hsmca_test_path(path, sizeof path, dir, "ct_log_list.cnf"), 0);
    assert_int_equal(hsmca_test_write_file(path, body, o, 0600), 0);
    if (CTLOG_STORE_load_file(store, path) != 1)
        fail_msg("OpenSSL cannot load %s", path);
    return store;
}

/* SCT_LIST_validate's verdict on the final's embedded SCTs. */
static int openssl_validate(X509 *final, X509 *issuer, CTLOG_STORE *store, int *statuses)
{
    STACK_OF(SCT) *scts = X509_get_ext_d2i(final, NID_ct_precert_scts, NULL, NULL);
    CT_POLICY_EVAL_CTX *ctx = CT_POLICY_EVAL_CTX_new();
    int rc;

    assert_non_null(scts);
    assert_non_null(ctx);
    assert_int_equal(CT_POLICY_EVAL_CTX_set1_cert(ctx, final), 1);
    assert_int_equal(CT_POLICY_EVAL_CTX_set1_issuer(ctx, issuer), 1);
    CT_POLICY_EVAL_CTX_set_shared_CTLOG_STORE(ctx, store);
    CT_POLICY_EVAL_CTX_set_time(ctx, P.now_ms + 60000);
    rc = SCT_LIST_validate(scts, ctx);
    for (int i = 0; i < sk_SCT_num(scts); i++) {
        SCT *s = sk_SCT_value(scts, i);

        assert_int_equal(SCT_get_log_entry_type(s), CT_LOG_ENTRY_TYPE_PRECERT);
        statuses[i] = (int)SCT_get_validation_status(s);
    }
    ERR_clear_error();
    SCT_LIST_free(scts);
    CT_POLICY_EVAL_CTX_free(ctx);
    return rc;
}

static void test_openssl_oracle(void **state)
{
    char dir[4096];
    EVP_PKEY *good_keys[2] = { P.log_ec, P.log_rsa }, *wrong_keys[1] = { P.log_ec2 };
    CTLOG_STORE *good, *wrong;
    int st[4];

    (void)state;
    assert_int_equal(hsmca_test_mkdtemp(dir, sizeof dir), 0);
    good = store_of(good_keys, 2, dir);
    {
        char sub[4200];

        snprintf(sub, sizeof sub, "%s/wrong", dir);
        assert_int_equal(hsmca_test_mkdtemp(sub, sizeof sub), 0);
        wrong = store_of(wrong_keys, 1, sub);
        hsmca_test_rmtree(sub);
    }
    for (int pass = 0; pass < 3; pass++) {
        /* P-256 issuer, poison last; RSA issuer; poison in the middle. */
        X509 *issuer = pass == 1 ? P.ca_rsa : P.ca;
        EVP_PKEY *ikey = pass == 1 ? P.ca_rsa_key : P.ca_key;
        X509 *pre = precert_at(issuer, ikey, pass == 2 ? 3 : -1), *f;
        hsmca_sct *v[2];

        v[0] = sign_sct(P.log_ec, pre, issuer, P.now_ms);
        v[1] = sign_sct(P.log_rsa, pre, issuer, P.now_ms + 1);
        f = sign_reparse(final_of(pre, v, 2), ikey);
        EXPECT_OK(hsmca_ct_correspond(pre, f));
        assert_int_equal(openssl_validate(f, issuer, good, st), 1);
        assert_int_equal(st[0], SCT_VALIDATION_STATUS_VALID);
        assert_int_equal(st[1], SCT_VALIDATION_STATUS_VALID);
        /* Logs OpenSSL does not know. */
        assert_int_equal(openssl_validate(f, issuer, wrong, st), 0);
        assert_int_equal(st[0], SCT_VALIDATION_STATUS_UNKNOWN_LOG);
        /* The wrong issuer (issuer_key_hash). */
        assert_int_equal(openssl_validate(f, P.root, good, st), 0);
        assert_int_equal(st[0], SCT_VALIDATION_STATUS_INVALID);
        assert_int_equal(st[1], SCT_VALIDATION_STATUS_INVALID);
        hsmca_sct_free(v[0]);
        hsmca_sct_free(v[1]);
        X509_free(f);
        X509_free(pre);
    }
    /* An SCT signed over the wrong issuer is invalid for OpenSSL too. */
    {
        X509 *pre = precert(), *f;
        hsmca_sct *s = sign_sct(P.log_ec, pre, P.root, P.now_ms);

        f = sign_reparse(final_of(pre, &s, 1), P.ca_key);
        assert_int_equal(openssl_validate(f, P.ca, good, st), 0);
        assert_int_equal(st[0], SCT_VALIDATION_STATUS_INVALID);
        hsmca_sct_free(s);
        X509_free(f);
        X509_free(pre);
    }
    CTLOG_STORE_free(good);
    CTLOG_STORE_free(wrong);
    hsmca_test_rmtree(dir);
}

/* The legacy PSC form (RFC 6962 §3.2): a precert issued by a PSC under
 * P.ca, its SCT over the entry with P.ca's name, keyIdentifier and key
 * hash, and the final from P.ca, which OpenSSL's SCT validation accepts;
 * the ordinary form of the same SCT it refuses. */
static void test_psc_form(void **state)
{
    char dir[4096];
    EVP_PKEY *keys[1] = { P.log_ec }, *psc_key = gen("P-256");
    hsmca_profile *p_psc = hsmca_test_require_profile("precert-signer");
    CTLOG_STORE *store;
    X509 *psc, *pre, *f, *g;
    hsmca_sct *s, *plain;
    uint8_t *tbs = NULL, *ftbs = NULL;
    size_t tbs_len = 0;
    int st[1], n;
    X509 *c;

    (void)state;
    assert_int_equal(hsmca_test_mkdtemp(dir, sizeof dir), 0);
    store = store_of(keys, 1, dir);
    psc = sign_reparse(build(p_psc, "C=XX, O=hsmca test, CN=hsmca CT Test PSC", psc_key, P.ca,
                             P.ca_key, NULL, 0),
                       P.ca_key);
    /* The final's TBS, then named after the PSC, signed by the PSC. */
    c = build(P.p_leaf, NULL, P.leaf_key, P.ca, P.ca_key, DNS, 2);
    EXPECT_OK(hsmca_ct_add_poison(c));
    EXPECT_OK(hsmca_ct_set_issuer(c, psc));
    pre = sign_reparse(c, psc_key);
    assert_int_equal(X509_check_issued(psc, pre), X509_V_OK);
    assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(pre), X509_get_subject_name(psc)), 0);
    EXPECT_OK(hsmca_ct_sct_sign_psc(P.log_ec, pre, P.ca, P.now_ms, &s));
    plain = sign_sct(P.log_ec, pre, P.ca, P.now_ms);
    EXPECT_OK(hsmca_ct_final_from_psc_precert(pre, P.ca, &s, 1, &f));
    f = sign_reparse(f, P.ca_key);
    assert_int_equal(X509_check_issued(P.ca, f), X509_V_OK);
    assert_int_equal(openssl_validate(f, P.ca, store, st), 1);
    assert_int_equal(st[0], SCT_VALIDATION_STATUS_VALID);
    /* The final's TBS without the SCT list is what the log signed. */
    EXPECT_OK(hsmca_ct_precert_tbs_psc(pre, P.ca, &tbs, &tbs_len));
    g = X509_dup(f);
    X509_EXTENSION_free(X509_delete_ext(g, X509_get_ext_by_NID(g, NID_ct_precert_scts, -1)));
    n = i2d_re_X509_tbs(g, &ftbs);
    assert_int_equal((size_t)n, tbs_len);
    assert_memory_equal(ftbs, tbs, tbs_len);
    /* The ordinary form (issuer = PSC) is not what OpenSSL rebuilds. */
    X509_free(f);
    EXPECT_OK(hsmca_ct_final_from_psc_precert(pre, P.ca, &plain, 1, &f));
    f = sign_reparse(f, P.ca_key);
    assert_int_equal(openssl_validate(f, P.ca, store, st), 0);
    assert_int_equal(st[0], SCT_VALIDATION_STATUS_INVALID);
    /* Refusals. */
    expect_err_at(hsmca_ct_precert_tbs_psc(f, P.ca, &ftbs, &tbs_len), HSMCA_E_INPUT,
                  "exactly one poison", "final as precert", __LINE__);
    free(tbs);
    OPENSSL_free(ftbs);
    hsmca_sct_free(s);
    hsmca_sct_free(plain);
    X509_free(f);
    X509_free(g);
    X509_free(pre);
    X509_free(psc);
    EVP_PKEY_free(psc_key);
    hsmca_profile_free(p_psc);
    CTLOG_STORE_free(store);
    hsmca_test_rmtree(dir);
}

/* hsmca_ct_openssl_validate (the same oracle behind `hsmca verify`). */
static void test_openssl_validate_api(void **state)
{
    char dir[4096], p1[4200], p2[4200], *pem = NULL;
    const char *files[2] = { p1, p2 };
    hsmca_ct_log *logs = NULL;
    size_t n = 0, valid = 0, total = 0;
    X509 *pre = precert(), *f;
    hsmca_sct *v[2];
    BIO *b;
    long len;

    (void)state;
    assert_int_equal(hsmca_test_mkdtemp(dir, sizeof dir), 0);
    for (int i = 0; i < 2; i++) {
        b = BIO_new(BIO_s_mem());
        assert_int_equal(PEM_write_bio_PUBKEY(b, i == 0 ? P.log_ec : P.log_rsa), 1);
        len = BIO_get_mem_data(b, &pem);
        snprintf(i == 0 ? p1 : p2, sizeof p1, "%s/log%d.pem", dir, i);
        assert_int_equal(hsmca_test_write_file(files[i], pem, (size_t)len, 0600), 0);
        BIO_free(b);
    }
    EXPECT_OK(hsmca_ct_logs_load(files, 2, &logs, &n));
    v[0] = sign_sct(P.log_ec, pre, P.ca, P.now_ms);
    v[1] = sign_sct(P.log_rsa, pre, P.ca, P.now_ms);
    f = sign_reparse(final_of(pre, v, 2), P.ca_key);
    EXPECT_OK(hsmca_ct_openssl_validate(f, P.ca, logs, n, P.now_ms + 1000, &valid, &total));
    assert_int_equal(total, 2);
    assert_int_equal(valid, 2);
    EXPECT_OK(hsmca_ct_openssl_validate(f, P.root, logs, n, P.now_ms + 1000, &valid, &total));
    assert_int_equal(valid, 0);
    hsmca_sct_free(v[0]);
    hsmca_sct_free(v[1]);
    hsmca_ct_logs_free(logs, n);
    X509_free(f);
    X509_free(pre);
    hsmca_test_rmtree(dir);
}

static void write_pem_cert(const char *dir, const char *name, X509 *c)
{
    char path[4200], *pem = NULL;
    size_t len = 0;

    assert_int_equal(hsmca_test_path(path, sizeof path, dir, name), 0);
    EXPECT_OK(hsmca_x509_to_pem(c, &pem, &len));
    assert_int_equal(hsmca_test_write_file(path, pem, len, 0600), 0);
    OPENSSL_free(pem);
}

static void write_pem_key(const char *dir, const char *name, EVP_PKEY *k)
{
    char path[4200], *pem = NULL;
    BIO *b = BIO_new(BIO_s_mem());
    long len;

    assert_non_null(b);
    assert_int_equal(PEM_write_bio_PUBKEY(b, k), 1);
    len = BIO_get_mem_data(b, &pem);
    assert_int_equal(hsmca_test_path(path, sizeof path, dir, name), 0);
    assert_int_equal(hsmca_test_write_file(path, pem, (size_t)len, 0600), 0);
    BIO_free(b);
}

/* Run tests/interop/ct_check.py with Debian's python3 (cryptography 38).
 * Returns its exit status. */
static int ct_check(const char *dir, hsmca_sct *const *v, size_t n, const char *final_name)
{
    char cmd[16384];
    size_t o = 0;
    int rc;

    o += (size_t)snprintf(cmd + o, sizeof cmd - o,
                          "/usr/bin/python3 '%s/tests/interop/ct_check.py' --quiet "
                          "--issuer '%s/issuer.pem' --log-key '%s/log-ec.pem' "
                          "--log-key '%s/log-rsa.pem'",
                          hsmca_test_require_source_dir(), dir, dir, dir);
    for (size_t i = 0; i < n; i++) {
        o += (size_t)snprintf(cmd + o, sizeof cmd - o, " --sct ");
        for (int j = 0; j < 32; j++)
            o += (size_t)snprintf(cmd + o, sizeof cmd - o, "%02x", v[i]->log_id[j]);
        o += (size_t)snprintf(cmd + o, sizeof cmd - o, ":%llu",
                              (unsigned long long)v[i]->timestamp);
    }
    snprintf(cmd + o, sizeof cmd - o, " '%s/precert.pem' '%s/%s'", dir, dir, final_name);
    rc = system(cmd);
    assert_true(rc != -1 && WIFEXITED(rc));
    return WEXITSTATUS(rc);
}

static void test_python_cryptography(void **state)
{
    char dir[4096];

    (void)state;
    if (system("/usr/bin/python3 -c 'import cryptography' 2>/dev/null") != 0)
        fail_msg("/usr/bin/python3 with python3-cryptography is needed (apt install "
                 "python3-cryptography)");
    for (int pass = 0; pass < 3; pass++) {
        X509 *issuer = pass == 1 ? P.ca_rsa : P.ca;
        EVP_PKEY *ikey = pass == 1 ? P.ca_rsa_key : P.ca_key;
        X509 *pre = precert_at(issuer, ikey, pass == 2 ? 1 : -1), *f, *bad;
        hsmca_sct *v[2];

        assert_int_equal(hsmca_test_mkdtemp(dir, sizeof dir), 0);
        v[0] = sign_sct(P.log_ec, pre, issuer, P.now_ms + 5);
        v[1] = sign_sct(P.log_rsa, pre, issuer, P.now_ms + 9);
        f = sign_reparse(final_of(pre, v, 2), ikey);
        write_pem_cert(dir, "precert.pem", pre);
        write_pem_cert(dir, "final.pem", f);
        write_pem_cert(dir, "issuer.pem", issuer);
        write_pem_key(dir, "log-ec.pem", P.log_ec);
        write_pem_key(dir, "log-rsa.pem", P.log_rsa);
        assert_int_equal(ct_check(dir, v, 2, "final.pem"), 0);
        /* It does fail: a wrong expected timestamp, a poison left in the
         * final, an SCT over another issuer. */
        v[1]->timestamp++;
        assert_int_equal(ct_check(dir, v, 2, "final.pem"), 1);
        v[1]->timestamp--;
        bad = X509_dup(f);
        m_poison_left(bad, pre);
        bad = sign_reparse(bad, ikey);
        write_pem_cert(dir, "poisoned.pem", bad);
        assert_int_equal(ct_check(dir, v, 2, "poisoned.pem"), 1);
        X509_free(bad);
        hsmca_sct_free(v[1]);
        v[1] = sign_sct(P.log_rsa, pre, P.root, P.now_ms + 9);
        bad = sign_reparse(final_of(pre, v, 2), ikey);
        write_pem_cert(dir, "wrong-issuer.pem", bad);
        assert_int_equal(ct_check(dir, v, 2, "wrong-issuer.pem"), 1);
        X509_free(bad);
        hsmca_sct_free(v[0]);
        hsmca_sct_free(v[1]);
        X509_free(f);
        X509_free(pre);
        hsmca_test_rmtree(dir);
    }
}

/* ---- log key sets ---- */

static void test_logs_load(void **state)
{
    char dir[4096], a[4200], b[4200], c[4200], d[4200], e[4200];
    const char *files[2] = { a, b };
    hsmca_ct_log *logs = NULL;
    size_t n = 0;
    uint8_t id[32];
    EVP_PKEY *p384 = gen("P-384");

    (void)state;
    assert_int_equal(hsmca_test_mkdtemp(dir, sizeof dir), 0);
    write_pem_key(dir, "test-log-1.pem", P.log_ec);
    write_pem_key(dir, "test-log-2.pem", P.log_rsa);
    write_pem_key(dir, "dup.pem", P.log_ec);
    write_pem_key(dir, "p384.pem", p384);
    snprintf(a, sizeof a, "%s/test-log-1.pem", dir);
    snprintf(b, sizeof b, "%s/test-log-2.pem", dir);
    snprintf(c, sizeof c, "%s/test-log-2.pem.operator", dir);
    assert_int_equal(hsmca_test_write_file(c, "Example Operator\n", 17, 0600), 0);
    EXPECT_OK(hsmca_ct_logs_load(files, 2, &logs, &n));
    assert_int_equal(n, 2);
    assert_string_equal(logs[0].name, "test-log-1");
    assert_string_equal(logs[0].operator_name, "unknown");
    assert_string_equal(logs[1].name, "test-log-2");
    assert_string_equal(logs[1].operator_name, "Example Operator");
    EXPECT_OK(hsmca_ct_log_id(P.log_rsa, id));
    assert_memory_equal(logs[1].log_id, id, 32);
    assert_ptr_equal(hsmca_ct_log_find(logs, n, id), &logs[1]);
    EXPECT_OK(hsmca_ct_log_id(P.log_ec2, id));
    assert_null(hsmca_ct_log_find(logs, n, id));
    assert_true(EVP_PKEY_eq(logs[0].key, P.log_ec) == 1);
    hsmca_ct_logs_free(logs, n);
    hsmca_ct_logs_free(NULL, 0);
    logs = NULL;

    /* Refusals. */
    snprintf(d, sizeof d, "%s/dup.pem", dir);
    files[1] = d;
    EXPECT_ERR(hsmca_ct_logs_load(files, 2, &logs, &n), HSMCA_E_INPUT, "same log key");
    snprintf(d, sizeof d, "%s/p384.pem", dir);
    EXPECT_ERR(hsmca_ct_logs_load(files, 2, &logs, &n), HSMCA_E_INPUT, "P-256");
    snprintf(d, sizeof d, "%s/missing.pem", dir);
    EXPECT_ERR(hsmca_ct_logs_load(files, 2, &logs, &n), HSMCA_E_NOT_FOUND, "missing.pem");
    snprintf(d, sizeof d, "%s/test-log-2.pem.operator", dir);
    EXPECT_ERR(hsmca_ct_logs_load(files, 2, &logs, &n), HSMCA_E_INPUT, "not a PEM public key");
    /* A bad operator file. */
    files[1] = b;
    assert_int_equal(hsmca_test_write_file(c, "two\nlines\n", 10, 0600), 0);
    EXPECT_ERR(hsmca_ct_logs_load(files, 2, &logs, &n), HSMCA_E_INPUT, "one line");
    assert_int_equal(hsmca_test_write_file(c, "\n", 1, 0600), 0);
    EXPECT_ERR(hsmca_ct_logs_load(files, 2, &logs, &n), HSMCA_E_INPUT, "empty operator");
    /* Two logs of the same name from different directories. */
    snprintf(e, sizeof e, "%s/sub", dir);
    assert_int_equal(hsmca_test_mkdtemp(e, sizeof e), 0);
    write_pem_key(e, "test-log-1.pem", P.log_ec2);
    snprintf(e + strlen(e), sizeof e - strlen(e), "/test-log-1.pem");
    files[1] = e;
    EXPECT_ERR(hsmca_ct_logs_load(files, 2, &logs, &n), HSMCA_E_INPUT, "same name");
    assert_null(logs);
    /* None is fine. */
    EXPECT_OK(hsmca_ct_logs_load(NULL, 0, &logs, &n));
    assert_int_equal(n, 0);
    hsmca_ct_logs_free(logs, n);
    EVP_PKEY_free(p384);
    hsmca_test_rmtree(dir);
}

/* ---- edge shapes ---- */

static void test_poison_only_precert(void **state)
{
    X509 *pre = precert();
    uint8_t *mine = NULL;
    size_t len = 0;

    (void)state;
    /* A poison-only certificate: the extensions field goes entirely. */
    {
        X509 *c = X509_dup(pre);

        while (X509_get_ext_count(c) > 1) {
            int loc = X509_get_ext_by_NID(c, NID_ct_precert_poison, -1) == 0 ? 1 : 0;

            X509_EXTENSION_free(X509_delete_ext(c, loc));
        }
        c = sign_reparse(c, P.ca_key);
        EXPECT_OK(hsmca_ct_precert_tbs(c, &mine, &len));
        {
            uint8_t *tbs = NULL;
            size_t tlen = 0;

            /* Same TBS as the precert's minus the 0xa3 field: shorter by the
             * [3] and SEQUENCE headers and the poison. */
            uint8_t want[1024];
            size_t hdr, clen, o = 0;

            EXPECT_OK(hsmca_x509_tbs_der(c, &tbs, &tlen));
            /* The TBS ends with a3 17 30 15 <poison>. */
            assert_true(tlen > 25 && tlen < sizeof want);
            assert_int_equal(tbs[tlen - 25], 0xa3);
            assert_int_equal(tbs[tlen - 24], 0x17);
            assert_int_equal(tbs[tlen - 23], 0x30);
            assert_int_equal(tbs[tlen - 22], 0x15);
            assert_memory_equal(tbs + tlen - 21, POISON_DER, sizeof POISON_DER);
            hdr = tbs[1] & 0x80 ? 2 + (size_t)(tbs[1] & 0x7f) : 2;
            clen = tlen - hdr - 25;
            want[o++] = 0x30;
            if (clen >= 0x100) {
                want[o++] = 0x82;
                want[o++] = (uint8_t)(clen >> 8);
            } else if (clen >= 0x80) {
                want[o++] = 0x81;
            }
            want[o++] = (uint8_t)clen;
            memcpy(want + o, tbs + hdr, clen);
            o += clen;
            assert_int_equal(len, o);
            assert_memory_equal(mine, want, o);
            OPENSSL_free(tbs);
        }
        free(mine);
        X509_free(c);
    }
    X509_free(pre);
}

/* The private DER walker: strict DER, bounded, never reads past its input
 * (run under ASan in the sanitizer build). */
static void test_der_walker(void **state)
{
    X509 *pre = precert();
    uint8_t *der = NULL, *buf;
    size_t len = 0, poison = 0, scts = 0;
    ct_tbs t;
    hsmca_reader r;
    ct_tlv tlv;

    (void)state;
    EXPECT_OK(ct_cert_der(pre, "the precert", &der, &len));
    EXPECT_OK(ct_tbs_split_cert(der, len, "the precert", &t));
    EXPECT_OK(ct_tbs_count(&t, "the precert", &poison, &scts));
    assert_int_equal(poison, 1);
    assert_int_equal(scts, 0);
    assert_true(t.has_exts);
    assert_false(t.has_issuer_uid || t.has_subject_uid);
    /* Every truncation fails cleanly; a copy of exactly that size, so ASan
     * sees any read past it. */
    for (size_t n = 0; n < len; n++) {
        buf = malloc(n > 0 ? n : 1);
        assert_non_null(buf);
        memcpy(buf, der, n);
        assert_int_equal(ct_tbs_split_cert(buf, n, "cut", &t), HSMCA_E_INPUT);
        free(buf);
    }
    /* Every single-byte change either fails or still walks. */
    buf = malloc(len);
    assert_non_null(buf);
    for (size_t i = 0; i < len; i++) {
        static const uint8_t xors[] = { 0x01, 0x80, 0xff };

        for (size_t k = 0; k < sizeof xors; k++) {
            memcpy(buf, der, len);
            buf[i] ^= xors[k];
            if (ct_tbs_split_cert(buf, len, "flipped", &t) == HSMCA_OK)
                (void)ct_tbs_count(&t, "flipped", &poison, &scts);
        }
    }
    free(buf);
    /* Trailing data after the Certificate. */
    buf = malloc(len + 1);
    assert_non_null(buf);
    memcpy(buf, der, len);
    buf[len] = 0;
    EXPECT_ERR(ct_tbs_split_cert(buf, len + 1, "the precert", &t), HSMCA_E_INPUT,
               "after the Certificate");
    free(buf);
    /* X.690 §10.1 violations. */
    {
        static const uint8_t indefinite[] = { 0x30, 0x80, 0x00, 0x00 };
        static const uint8_t nonminimal[] = { 0x04, 0x81, 0x05, 1, 2, 3, 4, 5 };
        static const uint8_t zeropad[] = { 0x04, 0x82, 0x00, 0x80 };
        static const uint8_t toolong[] = { 0x04, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00 };
        static const uint8_t hightag[] = { 0x1f, 0x01, 0x00 };
        static const uint8_t overrun[] = { 0x04, 0x05, 0x00 };
        static const uint8_t ok[] = { 0x04, 0x81, 0x80 };

        hsmca_reader_init(&r, indefinite, sizeof indefinite);
        EXPECT_ERR(ct_der_next(&r, &tlv, "x"), HSMCA_E_INPUT, "indefinite");
        hsmca_reader_init(&r, nonminimal, sizeof nonminimal);
        EXPECT_ERR(ct_der_next(&r, &tlv, "x"), HSMCA_E_INPUT, "non-minimal");
        hsmca_reader_init(&r, zeropad, sizeof zeropad);
        EXPECT_ERR(ct_der_next(&r, &tlv, "x"), HSMCA_E_INPUT, "non-minimal");
        hsmca_reader_init(&r, toolong, sizeof toolong);
        EXPECT_ERR(ct_der_next(&r, &tlv, "x"), HSMCA_E_INPUT, "bad DER length");
        hsmca_reader_init(&r, hightag, sizeof hightag);
        EXPECT_ERR(ct_der_next(&r, &tlv, "x"), HSMCA_E_INPUT, "multi-octet");
        hsmca_reader_init(&r, overrun, sizeof overrun);
        EXPECT_ERR(ct_der_next(&r, &tlv, "x"), HSMCA_E_INPUT, "only 1 left");
        hsmca_reader_init(&r, ok, sizeof ok);
        EXPECT_ERR(ct_der_next(&r, &tlv, "x"), HSMCA_E_INPUT, "only 0 left");
        hsmca_reader_init(&r, NULL, 0);
        EXPECT_ERR(ct_der_next(&r, &tlv, "x"), HSMCA_E_INPUT, "truncated");
    }
    OPENSSL_free(der);
    X509_free(pre);
}


/* ---- the RFC 6962 test log (issue #6) ---- */

/* {"chain": [...]} of the given certificates. */
static char *chain_body(X509 *const *v, size_t n)
{
    size_t cap = 65536, o = 0;
    char *body = malloc(cap);

    assert_non_null(body);
    o += (size_t)snprintf(body + o, cap - o, "{\"chain\":[");
    for (size_t i = 0; i < n; i++) {
        uint8_t *der = NULL;
        size_t len = 0;
        char *b64 = NULL;
        assert_int_equal(hsmca_x509_to_der(v[i], &der, &len), HSMCA_OK);
        assert_int_equal(hsmca_base64_encode(der, len, &b64), HSMCA_OK);
        o += (size_t)snprintf(body + o, cap - o, "%s\"%s\"", i > 0 ? "," : "", b64);
        OPENSSL_free(der);
        free(b64);
    }
    o += (size_t)snprintf(body + o, cap - o, "]}");
    assert_true(o < cap);
    return body;
}

/* One call; returns the HTTP status, *json the answer (free). */
static int log_call(hsmca_ct_testlog *l, const char *call, int post, const char *body,
                    char **json)
{
    int status = 0;

    *json = NULL;
    if (hsmca_ct_testlog_handle(l, call, post, (const uint8_t *)body,
                                body != NULL ? strlen(body) : 0, P.now_ms, &status,
                                json) != HSMCA_OK)
        fail_msg("testlog %s: %s", call, hsmca_err_message());
    assert_non_null(*json);
    return status;
}

static void expect_log_error(hsmca_ct_testlog *l, const char *call, int post, const char *body,
                             int want, const char *needle)
{
    char *json = NULL;
    int st = log_call(l, call, post, body, &json);

    if (st != want || strstr(json, needle) == NULL)
        fail_msg("%s: got %d %s, want %d with \"%s\"", call, st, json, want, needle);
    free(json);
}

static void test_testlog_add_pre_chain(void **state)
{
    hsmca_ct_testlog *l = NULL;
    X509 *pre = precert(), *chain[3], *fin;
    X509 *roots[1] = { P.root };
    EVP_PKEY *keys[1] = { P.log_ec };
    char *body, *json = NULL, dir[4096];
    hsmca_sct *sct = NULL;
    CTLOG_STORE *store;
    int st[1];

    (void)state;
    assert_int_equal(hsmca_ct_testlog_new("log-1", "op 1", P.log_ec, roots, 1, &l), HSMCA_OK);
    assert_string_equal(hsmca_ct_testlog_operator(l), "op 1");
    chain[0] = pre;
    chain[1] = P.ca;
    chain[2] = P.root;
    for (size_t n = 2; n <= 3; n++) {
        body = chain_body(chain, n);
        assert_int_equal(log_call(l, "add-pre-chain", 1, body, &json), 200);
        assert_int_equal(hsmca_ct_sct_from_json(json, strlen(json), &sct), HSMCA_OK);
        assert_int_equal(sct->timestamp, P.now_ms);
        /* Ours, and OpenSSL's own CT validation as the independent check. */
        assert_int_equal(hsmca_ct_sct_verify(sct, P.log_ec, pre, P.ca), HSMCA_OK);
        fin = final_of(pre, &sct, 1);
        assert_int_equal(hsmca_test_mkdtemp(dir, sizeof dir), 0);
        store = store_of(keys, 1, dir);
        assert_int_equal(openssl_validate(fin, P.ca, store, st), 1);
        assert_int_equal(st[0], SCT_VALIDATION_STATUS_VALID);
        CTLOG_STORE_free(store);
        hsmca_test_rmtree(dir);
        X509_free(fin);
        hsmca_sct_free(sct);
        free(json);
        free(body);
    }
    X509_free(pre);
    hsmca_ct_testlog_free(l);
}

/* OpenSSL's verdict on an x509_entry SCT over cert. */
static int openssl_validate_x509(const hsmca_sct *sct, X509 *cert, X509 *issuer, EVP_PKEY *log)
{
    uint8_t *tls = NULL;
    size_t len = 0;
    const unsigned char *p;
    SCT *o;
    CT_POLICY_EVAL_CTX *ctx = CT_POLICY_EVAL_CTX_new();
    CTLOG_STORE *store;
    char dir[4096];
    EVP_PKEY *keys[1] = { log };
    int status;

    assert_int_equal(hsmca_ct_sct_encode(sct, &tls, &len), HSMCA_OK);
    p = tls;
    o = o2i_SCT(NULL, &p, len);
    assert_non_null(o);
    assert_int_equal(SCT_set_log_entry_type(o, CT_LOG_ENTRY_TYPE_X509), 1);
    assert_int_equal(hsmca_test_mkdtemp(dir, sizeof dir), 0);
    store = store_of(keys, 1, dir);
    assert_int_equal(CT_POLICY_EVAL_CTX_set1_cert(ctx, cert), 1);
    assert_int_equal(CT_POLICY_EVAL_CTX_set1_issuer(ctx, issuer), 1);
    CT_POLICY_EVAL_CTX_set_shared_CTLOG_STORE(ctx, store);
    CT_POLICY_EVAL_CTX_set_time(ctx, P.now_ms + 60000);
    (void)SCT_validate(o, ctx);
    status = (int)SCT_get_validation_status(o);
    ERR_clear_error();
    SCT_free(o);
    CT_POLICY_EVAL_CTX_free(ctx);
    CTLOG_STORE_free(store);
    hsmca_test_rmtree(dir);
    free(tls);
    return status;
}

static void test_testlog_add_chain_and_roots(void **state)
{
    hsmca_ct_testlog *l = NULL, *open_log = NULL;
    X509 *pre = precert(), *fin, *chain[2];
    X509 *roots[1] = { P.root };
    hsmca_sct *sct = NULL, *psct = sign_sct(P.log_ec, pre, P.ca, P.now_ms);
    char *body, *json = NULL;
    json_t *doc, *certs;

    (void)state;
    assert_int_equal(hsmca_ct_testlog_new("log1", NULL, P.log_ec, roots, 1, &l), HSMCA_OK);
    assert_string_equal(hsmca_ct_testlog_operator(l), "log1");
    fin = final_of(pre, &psct, 1);
    assert_int_equal(hsmca_x509_sign(fin, P.ca_key, P.ca_key), HSMCA_OK);
    chain[0] = fin;
    chain[1] = P.ca;
    body = chain_body(chain, 2);
    assert_int_equal(log_call(l, "add-chain", 1, body, &json), 200);
    assert_int_equal(hsmca_ct_sct_from_json(json, strlen(json), &sct), HSMCA_OK);
    /* An x509_entry SCT: OpenSSL checks it over the certificate itself;
     * the same SCT is not valid as a precert entry. */
    assert_int_equal(openssl_validate_x509(sct, fin, P.ca, P.log_ec),
                     SCT_VALIDATION_STATUS_VALID);
    assert_int_not_equal(hsmca_ct_sct_verify(sct, P.log_ec, pre, P.ca), HSMCA_OK);
    hsmca_err_clear();
    free(json);
    free(body);

    /* get-roots: the configured root, base64 DER. */
    assert_int_equal(log_call(l, "get-roots", 0, NULL, &json), 200);
    doc = json_loads(json, 0, NULL);
    certs = json_object_get(doc, "certificates");
    assert_true(json_is_array(certs) && json_array_size(certs) == 1);
    {
        uint8_t *der = NULL, *want = NULL;
        size_t len = 0, want_len = 0;
        const char *b = json_string_value(json_array_get(certs, 0));
        assert_int_equal(hsmca_base64_decode(b, strlen(b), "root", &der, &len), HSMCA_OK);
        assert_int_equal(hsmca_x509_to_der(P.root, &want, &want_len), HSMCA_OK);
        assert_int_equal(len, want_len);
        assert_memory_equal(der, want, len);
        free(der);
        OPENSSL_free(want);
    }
    json_decref(doc);
    free(json);
    /* No roots: get-roots is empty and any chain is taken. */
    assert_int_equal(hsmca_ct_testlog_new("open", NULL, P.log_ec, NULL, 0, &open_log), HSMCA_OK);
    expect_log_error(open_log, "get-roots", 0, NULL, 200, "\"certificates\":[]");
    hsmca_sct_free(sct);
    hsmca_sct_free(psct);
    X509_free(fin);
    X509_free(pre);
    hsmca_ct_testlog_free(l);
    hsmca_ct_testlog_free(open_log);
}

static void test_testlog_refusals(void **state)
{
    hsmca_ct_testlog *l = NULL, *bad = NULL;
    X509 *pre = precert(), *other_root, *chain[3];
    EVP_PKEY *other_key = gen("P-256");
    X509 *roots[1] = { P.root };
    char *body;

    (void)state;
    assert_int_equal(hsmca_ct_testlog_new("log1", NULL, P.log_ec, roots, 1, &l), HSMCA_OK);
    expect_log_error(l, "add-pre-chain", 1, "", 400, "not JSON");
    expect_log_error(l, "add-pre-chain", 1, "[1]", 400, "\\\"chain\\\"");
    expect_log_error(l, "add-pre-chain", 1, "{\"chain\":[]}", 400, "\\\"chain\\\"");
    expect_log_error(l, "add-pre-chain", 1, "{\"chain\":[1]}", 400, "not a string");
    expect_log_error(l, "add-pre-chain", 1, "{\"chain\":[\"!!!!\"]}", 400, "base64");
    expect_log_error(l, "add-pre-chain", 1, "{\"chain\":[\"AAAA\"]}", 400, "not one DER");
    expect_log_error(l, "add-pre-chain", 1, "{\"chain\":[\"a\",\"a\"],\"chain\":[]}", 400,
                     "not JSON");
    expect_log_error(l, "add-pre-chain", 0, "{}", 405, "POST");
    expect_log_error(l, "get-roots", 1, NULL, 405, "GET");
    expect_log_error(l, "get-entries", 0, NULL, 404, "unknown call");
    /* A precert alone: no issuer. */
    chain[0] = pre;
    body = chain_body(chain, 1);
    expect_log_error(l, "add-pre-chain", 1, body, 400, "chain[1]");
    free(body);
    /* The wrong call for the kind of certificate. */
    chain[1] = P.ca;
    body = chain_body(chain, 2);
    expect_log_error(l, "add-chain", 1, body, 400, "add-pre-chain");
    free(body);
    /* Not signed by the next one. */
    chain[1] = P.ca_rsa;
    body = chain_body(chain, 2);
    expect_log_error(l, "add-pre-chain", 1, body, 400, "not signed by chain[1]");
    free(body);
    /* Not under an accepted root. */
    other_root = sign_reparse(build(P.p_root, ROOT_SUBJECT, other_key, NULL, other_key, NULL, 0),
                              other_key);
    assert_int_equal(hsmca_ct_testlog_new("log2", NULL, P.log_ec, &other_root, 1, &bad),
                     HSMCA_OK);
    chain[1] = P.ca;
    body = chain_body(chain, 2);
    expect_log_error(bad, "add-pre-chain", 1, body, 400, "does not end at a root");
    free(body);
    hsmca_ct_testlog_free(bad);
    bad = NULL;
    /* Names that would not fit a URL, keys RFC 6962 does not allow. */
    assert_int_equal(hsmca_ct_testlog_new("a/b", NULL, P.log_ec, NULL, 0, &bad), HSMCA_E_INPUT);
    assert_null(bad);
    {
        EVP_PKEY *p384 = gen("P-384");
        hsmca_ct_testlog *x = NULL;
        assert_int_equal(hsmca_ct_testlog_new("p384", NULL, p384, NULL, 0, &x), HSMCA_OK);
        /* The id is computed; signing refuses the curve (RFC 6962 §2.1.4). */
        chain[1] = P.ca;
        body = chain_body(chain, 2);
        expect_log_error(x, "add-pre-chain", 1, body, 400, "P-256");
        free(body);
        hsmca_ct_testlog_free(x);
        EVP_PKEY_free(p384);
    }
    hsmca_err_clear();
    X509_free(other_root);
    EVP_PKEY_free(other_key);
    X509_free(pre);
    hsmca_ct_testlog_free(l);
}

static void test_testlog_knobs(void **state)
{
    hsmca_ct_testlog *l = NULL;
    hsmca_ct_testlog_knobs k = { 0, 0, 0.0, 0 }, got;
    X509 *pre = precert(), *chain[2];
    char *body, *json = NULL;
    hsmca_sct *sct = NULL;
    int seen[8];

    (void)state;
    assert_int_equal(hsmca_ct_testlog_new("log1", NULL, P.log_ec, NULL, 0, &l), HSMCA_OK);
    chain[0] = pre;
    chain[1] = P.ca;
    body = chain_body(chain, 2);
    /* Out of range knobs are refused and change nothing. */
    k.fail_fraction = 1.5;
    assert_int_equal(hsmca_ct_testlog_set_knobs(l, &k), HSMCA_E_INPUT);
    k.fail_fraction = 0.0;
    k.delay_ms = 60001;
    assert_int_equal(hsmca_ct_testlog_set_knobs(l, &k), HSMCA_E_INPUT);
    hsmca_ct_testlog_get_knobs(l, &got);
    assert_int_equal(got.delay_ms, 0);
    hsmca_err_clear();
    /* reject */
    k = (hsmca_ct_testlog_knobs){ 1, 0, 0.0, 0 };
    assert_int_equal(hsmca_ct_testlog_set_knobs(l, &k), HSMCA_OK);
    expect_log_error(l, "add-pre-chain", 1, body, 400, "reject");
    /* fail 0.5: every second call, from the second; 0.25 every fourth. */
    k = (hsmca_ct_testlog_knobs){ 0, 0, 0.5, 0 };
    assert_int_equal(hsmca_ct_testlog_set_knobs(l, &k), HSMCA_OK);
    for (int i = 0; i < 8; i++) {
        seen[i] = log_call(l, "add-pre-chain", 1, body, &json);
        free(json);
    }
    for (int i = 0; i < 8; i++)
        assert_int_equal(seen[i], i % 2 == 0 ? 200 : 503);
    k.fail_fraction = 0.25;
    assert_int_equal(hsmca_ct_testlog_set_knobs(l, &k), HSMCA_OK);
    for (int i = 0; i < 8; i++) {
        seen[i] = log_call(l, "add-pre-chain", 1, body, &json);
        free(json);
    }
    for (int i = 0; i < 8; i++)
        assert_int_equal(seen[i], i % 4 == 3 ? 503 : 200);
    k.fail_fraction = 1.0;
    assert_int_equal(hsmca_ct_testlog_set_knobs(l, &k), HSMCA_OK);
    expect_log_error(l, "add-pre-chain", 1, body, 503, "fail");
    /* wrong key: this log's id, a signature that does not verify. */
    k = (hsmca_ct_testlog_knobs){ 0, 0, 0.0, 1 };
    assert_int_equal(hsmca_ct_testlog_set_knobs(l, &k), HSMCA_OK);
    assert_int_equal(log_call(l, "add-pre-chain", 1, body, &json), 200);
    assert_int_equal(hsmca_ct_sct_from_json(json, strlen(json), &sct), HSMCA_OK);
    assert_memory_equal(sct->log_id, hsmca_ct_testlog_id(l), 32);
    expect_err_at(hsmca_ct_sct_verify(sct, P.log_ec, pre, P.ca), HSMCA_E_VERIFY,
                  "does not verify", "wrong-key SCT", __LINE__);
    hsmca_sct_free(sct);
    free(json);
    /* delay: answered (not timed: tests never time anything). */
    k = (hsmca_ct_testlog_knobs){ 0, 5, 0.0, 0 };
    assert_int_equal(hsmca_ct_testlog_set_knobs(l, &k), HSMCA_OK);
    assert_int_equal(log_call(l, "add-pre-chain", 1, body, &json), 200);
    free(json);
    free(body);
    X509_free(pre);
    hsmca_ct_testlog_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poison_bytes),
        cmocka_unit_test(test_psc_form),
        cmocka_unit_test(test_sct_roundtrip),
        cmocka_unit_test(test_sct_decode_malformed),
        cmocka_unit_test(test_sct_version_nonzero),
        cmocka_unit_test(test_sct_list),
        cmocka_unit_test(test_json_good),
        cmocka_unit_test(test_json_bad),
        cmocka_unit_test(test_signed_data_layout),
        cmocka_unit_test(test_key_hashes),
        cmocka_unit_test(test_log_id_encodings),
        cmocka_unit_test(test_precert_tbs),
        cmocka_unit_test(test_sign_verify),
        cmocka_unit_test(test_verify_failures),
        cmocka_unit_test(test_final_and_correspond),
        cmocka_unit_test(test_correspond_refusals),
        cmocka_unit_test(test_openssl_oracle),
        cmocka_unit_test(test_openssl_validate_api),
        cmocka_unit_test(test_python_cryptography),
        cmocka_unit_test(test_logs_load),
        cmocka_unit_test(test_poison_only_precert),
        cmocka_unit_test(test_der_walker),
        cmocka_unit_test(test_testlog_add_pre_chain),
        cmocka_unit_test(test_testlog_add_chain_and_roots),
        cmocka_unit_test(test_testlog_refusals),
        cmocka_unit_test(test_testlog_knobs),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
