/* Unit tests: the pre-issuance lint (src/lint), CA-side kinds.
 *
 * Certificates are built here with plain OpenSSL calls (not src/x509), so the
 * lint is judged against certificates we know the shape of: a good root,
 * subordinate, responder and precertificate signer with RSA, P-256 and P-384
 * keys pass with no error and no warning; each negative certificate breaks
 * one rule and must be caught by that rule's id (and, where the fault allows,
 * by nothing else). Time is fixed: NOW, 2026-05-20T12:00:00Z.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ocsp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "hsmca/err.h"
#include "hsmca/lint.h"

#define DAY 86400
#define NOW ((hsmca_time)1779278400)        /* 2026-05-20T12:00:00Z */
#define BEFORE_SC092 ((hsmca_time)1772323200) /* 2026-03-01T00:00:00Z */

/* ---- keys (made once) ---- */

static EVP_PKEY *rsa_a, *rsa_b, *p256_a, *p256_b, *p384_a, *p384_b;

static EVP_PKEY *gen_key(const char *type, const char *arg)
{
    EVP_PKEY *k = NULL;

    if (strcmp(type, "RSA") == 0)
        k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)atoi(arg));
    else
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", arg);
    assert_non_null(k);
    return k;
}

/* A public RSA key with any modulus size and exponent: the lint reads the
 * SPKI only, so it need not be a real key pair. */
static EVP_PKEY *fake_rsa(int bits, unsigned long e_word)
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *k = NULL;
    BIGNUM *n = BN_new(), *e = BN_new();

    assert_true(BN_set_bit(n, bits - 1) && BN_set_bit(n, 0) && BN_set_bit(n, bits / 2));
    assert_true(BN_set_word(e, e_word));
    assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
                OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e));
    params = OSSL_PARAM_BLD_to_param(bld);
    assert_non_null(params);
    assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
    assert_int_equal(EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params), 1);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(ctx);
    BN_free(n);
    BN_free(e);
    return k;
}

static int setup_keys(void **state)
{
    (void)state;
    rsa_a = gen_key("RSA", "2048");
    rsa_b = gen_key("RSA", "2048");
    p256_a = gen_key("EC", "P-256");
    p256_b = gen_key("EC", "P-256");
    p384_a = gen_key("EC", "P-384");
    p384_b = gen_key("EC", "P-384");
    return 0;
}

static int teardown_keys(void **state)
{
    (void)state;
    EVP_PKEY_free(rsa_a);
    EVP_PKEY_free(rsa_b);
    EVP_PKEY_free(p256_a);
    EVP_PKEY_free(p256_b);
    EVP_PKEY_free(p384_a);
    EVP_PKEY_free(p384_b);
    return 0;
}

/* ---- building certificates ---- */

typedef struct spec spec;
typedef void mutate_fn(X509 *x, const spec *s);

struct spec {
    hsmca_profile_kind kind;
    EVP_PKEY *key;          /* the key certified */
    X509 *issuer;           /* NULL: self-signed root */
    EVP_PKEY *issuer_key;   /* signs; NULL: key */
    const char *md;         /* digest; NULL: SHA-256, SHA-384 for P-384 */
    int pss;                /* sign with RSASSA-PSS */
    hsmca_time now;         /* 0: NOW */
    mutate_fn *mutate;      /* the fault, applied before signing */
    const void *arg;        /* for the mutator */
};

static hsmca_time spec_now(const spec *s)
{
    return s->now ? s->now : NOW;
}

static X509_NAME *make_name(const char *c, const char *o, const char *cn)
{
    X509_NAME *n = X509_NAME_new();

    assert_non_null(n);
    if (c != NULL)
        assert_true(X509_NAME_add_entry_by_NID(n, NID_countryName, V_ASN1_PRINTABLESTRING,
                                               (const unsigned char *)c, -1, -1, 0));
    if (o != NULL)
        assert_true(X509_NAME_add_entry_by_NID(n, NID_organizationName, V_ASN1_UTF8STRING,
                                               (const unsigned char *)o, -1, -1, 0));
    if (cn != NULL)
        assert_true(X509_NAME_add_entry_by_NID(n, NID_commonName, V_ASN1_UTF8STRING,
                                               (const unsigned char *)cn, -1, -1, 0));
    return n;
}

/* Subject (and, for a root, issuer too). */
static void set_subject(X509 *x, const spec *s, X509_NAME *n)
{
    assert_true(X509_set_subject_name(x, n));
    if (s->issuer == NULL)
        assert_true(X509_set_issuer_name(x, n));
    X509_NAME_free(n);
}

static void set_time(X509 *x, int which, hsmca_time t)
{
    ASN1_TIME *a = ASN1_TIME_set(NULL, (time_t)t);

    assert_non_null(a);
    assert_true(which == 0 ? X509_set1_notBefore(x, a) : X509_set1_notAfter(x, a));
    ASN1_TIME_free(a);
}

/* notBefore = nb, notAfter = nb + days * 86400 - 1: a validity period of
 * exactly `days` as BR 6.3.2 counts it. */
static void set_validity(X509 *x, hsmca_time nb, long days)
{
    set_time(x, 0, nb);
    set_time(x, 1, nb + (hsmca_time)days * DAY - 1);
}

static void set_serial_hex(X509 *x, const char *hex, int negative)
{
    BIGNUM *bn = NULL;
    ASN1_INTEGER *ai;

    assert_true(BN_hex2bn(&bn, hex) > 0);
    BN_set_negative(bn, negative);
    ai = BN_to_ASN1_INTEGER(bn, NULL);
    assert_non_null(ai);
    assert_true(X509_set_serialNumber(x, ai));
    ASN1_INTEGER_free(ai);
    BN_free(bn);
}

/* Add an extension from an OpenSSL config value ("critical,CA:TRUE"), at
 * position loc (-1: last). */
static void ext_conf_at(X509 *x, const spec *s, int nid, const char *value, int loc)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;

    X509V3_set_ctx(&ctx, s->issuer != NULL ? s->issuer : x, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ext == NULL)
        fail_msg("cannot make %s = %s", OBJ_nid2sn(nid), value);
    assert_true(X509_add_ext(x, ext, loc));
    X509_EXTENSION_free(ext);
}

static void ext_conf(X509 *x, const spec *s, int nid, const char *value)
{
    ext_conf_at(x, s, nid, value, -1);
}

/* Remove the first extension with this NID; its position, or -1. */
static int del_ext(X509 *x, int nid)
{
    int loc = X509_get_ext_by_NID(x, nid, -1);

    if (loc >= 0)
        X509_EXTENSION_free(X509_delete_ext(x, loc));
    return loc;
}

/* Replace an extension by one made from a config value, in place. */
static void replace_conf(X509 *x, const spec *s, int nid, const char *value)
{
    int loc = del_ext(x, nid);

    ext_conf_at(x, s, nid, value, loc);
}

static uint8_t *unhex(const char *hex, size_t *n)
{
    size_t len = strlen(hex) / 2;
    uint8_t *b = malloc(len ? len : 1);

    assert_non_null(b);
    for (size_t i = 0; i < len; i++) {
        unsigned v;

        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        b[i] = (uint8_t)v;
    }
    *n = len;
    return b;
}

/* Replace (or add, if absent) an extension with raw value bytes, in place. */
static void set_ext_hex(X509 *x, const char *oid, int crit, const char *value_hex)
{
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    X509_EXTENSION *ext;
    size_t n;
    uint8_t *v = unhex(value_hex, &n);
    int loc;

    assert_non_null(obj);
    assert_true(ASN1_OCTET_STRING_set(os, v, (int)n));
    ext = X509_EXTENSION_create_by_OBJ(NULL, obj, crit, os);
    assert_non_null(ext);
    loc = X509_get_ext_by_OBJ(x, obj, -1);
    if (loc >= 0)
        X509_EXTENSION_free(X509_delete_ext(x, loc));
    assert_true(X509_add_ext(x, ext, loc));
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(obj);
    free(v);
}

/* certificatePolicies { 2.23.140.1.2.1 } */
#define CP_DV "300a300806066781" "0c010201"

static void base_extensions(X509 *x, const spec *s)
{
    switch (s->kind) {
    case HSMCA_PROFILE_ROOT:
        ext_conf(x, s, NID_basic_constraints, "critical,CA:TRUE");
        ext_conf(x, s, NID_key_usage, "critical,keyCertSign,cRLSign");
        ext_conf(x, s, NID_subject_key_identifier, "hash");
        ext_conf(x, s, NID_authority_key_identifier, "keyid:always");
        break;
    case HSMCA_PROFILE_SUBORDINATE:
    case HSMCA_PROFILE_PRECERT_SIGNER:
        ext_conf(x, s, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
        ext_conf(x, s, NID_key_usage,
                 s->kind == HSMCA_PROFILE_SUBORDINATE
                     ? "critical,digitalSignature,keyCertSign,cRLSign"
                     : "critical,keyCertSign,cRLSign");
        ext_conf(x, s, NID_ext_key_usage,
                 s->kind == HSMCA_PROFILE_SUBORDINATE ? "serverAuth"
                                                      : "1.3.6.1.4.1.11129.2.4.4");
        ext_conf(x, s, NID_subject_key_identifier, "hash");
        ext_conf(x, s, NID_authority_key_identifier, "keyid:always");
        ext_conf(x, s, NID_info_access, "caIssuers;URI:http://127.0.0.1:8080/ca/root.der");
        ext_conf(x, s, NID_crl_distribution_points, "URI:http://127.0.0.1:8080/crl/root.crl");
        /* certificatePolicies needs a config database in OpenSSL's
         * syntax: the DER of { 2.23.140.1.2.1 } instead. */
        set_ext_hex(x, "2.5.29.32", 0, CP_DV);
        break;
    case HSMCA_PROFILE_OCSP_RESPONDER:
        ext_conf(x, s, NID_key_usage, "critical,digitalSignature");
        ext_conf(x, s, NID_ext_key_usage, "OCSPSigning");
        ext_conf(x, s, NID_subject_key_identifier, "hash");
        ext_conf(x, s, NID_authority_key_identifier, "keyid:always");
        ext_conf(x, s, NID_id_pkix_OCSP_noCheck, "ignored");
        break;
    case HSMCA_PROFILE_TLS_SERVER:
        ext_conf(x, s, NID_key_usage, "critical,digitalSignature");
        ext_conf(x, s, NID_ext_key_usage, "serverAuth");
        ext_conf(x, s, NID_authority_key_identifier, "keyid:always");
        ext_conf(x, s, NID_info_access, "OCSP;URI:http://127.0.0.1:8080/ocsp/sub,"
                                        "caIssuers;URI:http://127.0.0.1:8080/ca/sub.der");
        ext_conf(x, s, NID_crl_distribution_points, "URI:http://127.0.0.1:8080/crl/sub.crl");
        set_ext_hex(x, "2.5.29.32", 0, CP_DV);
        /* .test is an Internal Name (cabf.leaf.san.internal_name). */
        ext_conf(x, s, NID_subject_alt_name, "DNS:www.example.com");
        break;
    default:
        fail_msg("no base profile for kind %d", (int)s->kind);
    }
}

static long base_days(hsmca_profile_kind kind)
{
    switch (kind) {
    case HSMCA_PROFILE_ROOT:
        return 9131;
    case HSMCA_PROFILE_SUBORDINATE:
        return 1095;
    case HSMCA_PROFILE_OCSP_RESPONDER:
        return 90;
    case HSMCA_PROFILE_TLS_SERVER:
        return 199;
    default:
        return 365;
    }
}

static const char *base_cn(hsmca_profile_kind kind)
{
    switch (kind) {
    case HSMCA_PROFILE_ROOT:
        return "hsmca Test Root";
    case HSMCA_PROFILE_SUBORDINATE:
        return "hsmca Test Issuing CA";
    case HSMCA_PROFILE_OCSP_RESPONDER:
        return "hsmca Test OCSP Responder";
    case HSMCA_PROFILE_TLS_SERVER:
        return NULL; /* DV: countryName only (a commonName is NOT RECOMMENDED) */
    default:
        return "hsmca Test Precertificate Signer";
    }
}

static void sign(X509 *x, const spec *s)
{
    EVP_PKEY *k = s->issuer_key != NULL ? s->issuer_key : s->key;
    const char *md = s->md;
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;

    if (md == NULL)
        md = EVP_PKEY_get_bits(k) == 384 && EVP_PKEY_get_base_id(k) == EVP_PKEY_EC ? "SHA384"
                                                                                    : "SHA256";
    assert_int_equal(EVP_DigestSignInit_ex(mctx, &pctx, md, NULL, NULL, k, NULL), 1);
    if (s->pss) {
        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, md, NULL), 1);
    }
    assert_true(X509_sign_ctx(x, mctx) > 0);
    EVP_MD_CTX_free(mctx);
}

static X509 *make(const spec *s)
{
    X509 *x = X509_new();

    assert_non_null(x);
    assert_true(X509_set_version(x, X509_VERSION_3));
    set_serial_hex(x, "5A0C33F1E2D4B6A8917F6E5D4C3B2A19", 0); /* 16 octets */
    set_subject(x, s,
                make_name("XX", s->kind == HSMCA_PROFILE_TLS_SERVER ? NULL : "hsmca test",
                          base_cn(s->kind)));
    if (s->issuer != NULL)
        assert_true(X509_set_issuer_name(x, X509_get_subject_name(s->issuer)));
    set_validity(x, spec_now(s), base_days(s->kind));
    assert_true(X509_set_pubkey(x, s->key));
    base_extensions(x, s);
    if (s->mutate != NULL)
        s->mutate(x, s);
    sign(x, s);
    return x;
}

/* ---- linting ---- */

static hsmca_lint_result *lint_skip(X509 *x, const spec *s, const char *const *skip)
{
    hsmca_lint_input in = {0};
    hsmca_lint_result *r = NULL;

    in.cert = x;
    in.kind = s->kind;
    in.issuer = s->issuer;
    in.now = spec_now(s);
    in.skip = skip;
    if (hsmca_lint_run(&in, &r) != HSMCA_OK)
        fail_msg("lint failed: %s", hsmca_err_message());
    assert_non_null(r);
    return r;
}

static void dump(const hsmca_lint_result *r)
{
    for (size_t i = 0; i < r->n; i++)
        print_message("  %s%s: %s\n", r->findings[i].skipped ? "(skipped) " : "",
                      r->findings[i].rule->id, r->findings[i].message);
}

static int has(const hsmca_lint_result *r, const char *id)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->findings[i].rule->id, id) == 0)
            return 1;
    return 0;
}

/* No error and no warning (notices allowed). */
static void expect_clean(const hsmca_lint_result *r)
{
    if (r->errors != 0 || r->warnings != 0) {
        dump(r);
        fail_msg("expected no errors or warnings, got %zu errors, %zu warnings", r->errors,
                 r->warnings);
    }
}

/* Every error or warning comes from rule `id`, and there is at least one. */
static void expect_only(const hsmca_lint_result *r, const char *id)
{
    const hsmca_lint_rule *rule = hsmca_lint_rule_find(id);
    int seen = 0;

    assert_non_null(rule);
    for (size_t i = 0; i < r->n; i++) {
        const hsmca_lint_finding *f = &r->findings[i];

        if (f->rule->level == HSMCA_LINT_NOTICE)
            continue;
        if (strcmp(f->rule->id, id) != 0) {
            dump(r);
            fail_msg("expected only %s, also got %s: %s", id, f->rule->id, f->message);
        }
        assert_true(f->message[0] != '\0');
        seen = 1;
    }
    if (!seen) {
        dump(r);
        fail_msg("expected %s, not reported", id);
    }
    assert_int_equal(rule->level == HSMCA_LINT_ERROR ? r->errors > 0 : r->errors == 0, 1);
}

static void expect_has(const hsmca_lint_result *r, const char *id)
{
    if (!has(r, id)) {
        dump(r);
        fail_msg("expected %s, not reported", id);
    }
}

/* Build, lint, expect exactly `id`. */
static void check_only(const spec *s, const char *id)
{
    X509 *x = make(s);
    hsmca_lint_result *r = lint_skip(x, s, NULL);

    expect_only(r, id);
    hsmca_lint_result_free(r);
    X509_free(x);
}

static void check_clean(const spec *s)
{
    X509 *x = make(s);
    hsmca_lint_result *r = lint_skip(x, s, NULL);

    expect_clean(r);
    hsmca_lint_result_free(r);
    X509_free(x);
}

/* Good issuers for the tests below. */
static X509 *root_rsa(void)
{
    spec s = {.kind = HSMCA_PROFILE_ROOT, .key = rsa_a};
    return make(&s);
}

static X509 *root_p384(void)
{
    spec s = {.kind = HSMCA_PROFILE_ROOT, .key = p384_a};
    return make(&s);
}

static X509 *sub_p256(X509 *root, EVP_PKEY *root_key)
{
    spec s = {.kind = HSMCA_PROFILE_SUBORDINATE, .key = p256_a, .issuer = root,
              .issuer_key = root_key};
    return make(&s);
}

/* A spec for kind, with issuers built as needed (freed by spec_done). */
typedef struct fixture {
    X509 *root, *sub;
    spec s;
} fixture;

static fixture fx(hsmca_profile_kind kind, mutate_fn *m)
{
    fixture f = {0};

    f.s.kind = kind;
    f.s.mutate = m;
    switch (kind) {
    case HSMCA_PROFILE_ROOT:
        f.s.key = rsa_a;
        break;
    case HSMCA_PROFILE_SUBORDINATE:
        f.root = root_rsa();
        f.s.key = p256_a;
        f.s.issuer = f.root;
        f.s.issuer_key = rsa_a;
        break;
    default: /* responder, precert signer, leaf: under a P-256 subordinate */
        f.root = root_rsa();
        f.sub = sub_p256(f.root, rsa_a);
        f.s.key = p256_b;
        f.s.issuer = f.sub;
        f.s.issuer_key = p256_a;
        if (kind == HSMCA_PROFILE_PRECERT_SIGNER)
            f.s.now = BEFORE_SC092;
        break;
    }
    return f;
}

static void fx_free(fixture *f)
{
    X509_free(f->sub);
    X509_free(f->root);
}

static void run_only(hsmca_profile_kind kind, mutate_fn *m, const char *id)
{
    fixture f = fx(kind, m);

    check_only(&f.s, id);
    fx_free(&f);
}

/* ---- good certificates ---- */

static void test_good_roots(void **state)
{
    spec s = {.kind = HSMCA_PROFILE_ROOT, .key = rsa_a};

    check_clean(&s);
    s.key = p256_a;
    check_clean(&s);
    s.key = p384_a;
    check_clean(&s);
}

static void test_good_root_times_are_typed(void **state)
{
    /* A 25-year root from 2026 ends after 2049: GeneralizedTime there,
     * UTCTime for notBefore; the lint accepts exactly that. */
    spec s = {.kind = HSMCA_PROFILE_ROOT, .key = p384_a};
    X509 *x = make(&s);
    hsmca_lint_result *r;

    assert_int_equal(ASN1_STRING_type(X509_get0_notBefore(x)), V_ASN1_UTCTIME);
    assert_int_equal(ASN1_STRING_type(X509_get0_notAfter(x)), V_ASN1_GENERALIZEDTIME);
    r = lint_skip(x, &s, NULL);
    expect_clean(r);
    hsmca_lint_result_free(r);
    X509_free(x);
}

static void test_good_subordinates(void **state)
{
    X509 *rr = root_rsa(), *re = root_p384();
    spec s = {.kind = HSMCA_PROFILE_SUBORDINATE, .key = p256_a, .issuer = rr,
              .issuer_key = rsa_a};

    check_clean(&s);
    s.key = rsa_b; /* RSA under RSA, SHA-384 */
    s.md = "SHA384";
    check_clean(&s);
    s.md = NULL;
    s.pss = 1; /* RSASSA-PSS: OpenSSL's encoding is the one BR 7.1.3.2.1 lists */
    check_clean(&s);
    s.pss = 0;
    s.key = p384_b; /* P-384 under P-384: ecdsa-with-SHA384 */
    s.issuer = re;
    s.issuer_key = p384_a;
    check_clean(&s);
    X509_free(rr);
    X509_free(re);
}

static void test_good_responders(void **state)
{
    fixture f = fx(HSMCA_PROFILE_OCSP_RESPONDER, NULL);

    check_clean(&f.s);
    f.s.key = rsa_b;
    check_clean(&f.s);
    fx_free(&f);
}

static void m_responder_bc_empty(X509 *x, const spec *s)
{
    (void)s;
    set_ext_hex(x, "2.5.29.19", 1, "3000");
}

static void test_good_responder_with_empty_basic_constraints(void **state)
{
    fixture f = fx(HSMCA_PROFILE_OCSP_RESPONDER, m_responder_bc_empty);

    check_clean(&f.s);
    fx_free(&f);
}

static void test_good_precert_signer_before_sc092(void **state)
{
    fixture f = fx(HSMCA_PROFILE_PRECERT_SIGNER, NULL);

    check_clean(&f.s);
    fx_free(&f);
}

/* ---- §0: structure and algorithms ---- */

static void m_v1(X509 *x, const spec *s)
{
    (void)s;
    assert_true(X509_set_version(x, X509_VERSION_1));
}

static void test_version(void **state)
{
    run_only(HSMCA_PROFILE_SUBORDINATE, m_v1, "rfc5280.cert.version");
}

/* ---- DER surgery for faults OpenSSL will not build ---- */

/* Length of the header of the TLV at p (definite lengths only). */
static size_t tlv(const uint8_t *p, size_t *len)
{
    if (p[1] < 0x80) {
        *len = p[1];
        return 2;
    }
    size_t n = p[1] & 0x7f, l = 0;

    for (size_t i = 0; i < n; i++)
        l = l << 8 | p[2 + i];
    *len = l;
    return 2 + n;
}

static size_t put_hdr(uint8_t *out, uint8_t tag, size_t len)
{
    out[0] = tag;
    if (len < 0x80) {
        out[1] = (uint8_t)len;
        return 2;
    }
    if (len < 0x100) {
        out[1] = 0x81;
        out[2] = (uint8_t)len;
        return 3;
    }
    out[1] = 0x82;
    out[2] = (uint8_t)(len >> 8);
    out[3] = (uint8_t)len;
    return 4;
}

/* Re-encode x with its TBS child number `index` replaced by (or, if insert,
 * preceded by) `hex`, and the outer signatureAlgorithm replaced by
 * outer_hex when not NULL. NULL if OpenSSL will not parse the result. */
static X509 *der_edit(X509 *x, int index, int insert, const char *hex, const char *outer_hex)
{
    uint8_t *der = NULL, *tbs_new, *cert_new, *rep, *outer = NULL;
    const uint8_t *p;
    size_t rep_len, outer_len = 0, hl, len, tbs_len, o = 0;
    int der_len = i2d_X509(x, &der);
    X509 *y;

    assert_true(der_len > 0);
    rep = unhex(hex, &rep_len);
    if (outer_hex != NULL)
        outer = unhex(outer_hex, &outer_len);
    /* Certificate SEQUENCE, then the TBS SEQUENCE. */
    hl = tlv(der, &len);
    const uint8_t *tbs = der + hl;
    size_t tbs_hl = tlv(tbs, &tbs_len);
    const uint8_t *rest = tbs + tbs_hl + tbs_len; /* signatureAlgorithm, signature */
    size_t rest_len = (size_t)der_len - (size_t)(rest - der);

    tbs_new = malloc(tbs_len + rep_len + 8);
    p = tbs + tbs_hl;
    for (int i = 0; p < tbs + tbs_hl + tbs_len; i++) {
        size_t cl, ch = tlv(p, &cl);

        if (i == index) {
            memcpy(tbs_new + o, rep, rep_len);
            o += rep_len;
            if (!insert) {
                p += ch + cl;
                continue;
            }
        }
        memcpy(tbs_new + o, p, ch + cl);
        o += ch + cl;
        p += ch + cl;
    }
    cert_new = malloc(o + rest_len + outer_len + 16);
    size_t c = 4 + 4; /* room for the outer header; fixed below */
    size_t th = put_hdr(cert_new + c, 0x30, o);

    memcpy(cert_new + c + th, tbs_new, o);
    size_t body = th + o;

    if (outer != NULL) {
        size_t al, ah = tlv(rest, &al);

        memcpy(cert_new + c + body, outer, outer_len);
        body += outer_len;
        memcpy(cert_new + c + body, rest + ah + al, rest_len - ah - al);
        body += rest_len - ah - al;
    } else {
        memcpy(cert_new + c + body, rest, rest_len);
        body += rest_len;
    }
    uint8_t hdr[4];
    size_t oh = put_hdr(hdr, 0x30, body);

    memcpy(cert_new + c - oh, hdr, oh);
    p = cert_new + c - oh;
    y = d2i_X509(NULL, &p, (long)(oh + body));
    free(cert_new);
    free(tbs_new);
    free(rep);
    free(outer);
    OPENSSL_free(der);
    return y;
}

/* TBS children: 0 version, 1 serial, 2 signature, 3 issuer, 4 validity,
 * 5 subject, 6 spki, 7 extensions. */
static void test_unique_ids(void **state)
{
    fixture f = fx(HSMCA_PROFILE_SUBORDINATE, NULL);
    X509 *x = make(&f.s), *y = der_edit(x, 7, 1, "8102000f", NULL);
    hsmca_lint_result *r;

    assert_non_null(y);
    r = lint_skip(y, &f.s, NULL);
    expect_only(r, "cabf.common.unique_ids");
    hsmca_lint_result_free(r);
    X509_free(y);
    X509_free(x);
    fx_free(&f);
}

static void test_outer_signature_algorithm_differs(void **state)
{
    /* The P-256 responder's TBS says ecdsa-with-SHA256; the outer field
     * says ecdsa-with-SHA384. */
    fixture f = fx(HSMCA_PROFILE_OCSP_RESPONDER, NULL);
    X509 *x = make(&f.s), *y;
    hsmca_lint_result *r;

    y = der_edit(x, 99, 0, "", "300a06082a8648ce3d040303");
    assert_non_null(y);
    r = lint_skip(y, &f.s, NULL);
    expect_only(r, "rfc5280.cert.signature_algorithm_match");
    hsmca_lint_result_free(r);
    X509_free(y);
    X509_free(x);
    fx_free(&f);
}

static void test_ecdsa_with_null_parameters(void **state)
{
    /* BR 7.1.3.2.2: ECDSA AlgorithmIdentifiers have no parameters. */
    static const char alg[] = "300c06082a8648ce3d0403020500";
    fixture f = fx(HSMCA_PROFILE_OCSP_RESPONDER, NULL);
    X509 *x = make(&f.s), *y = der_edit(x, 2, 0, alg, alg);
    hsmca_lint_result *r;

    assert_non_null(y);
    r = lint_skip(y, &f.s, NULL);
    expect_only(r, "cabf.common.signature_algorithm_encoding");
    hsmca_lint_result_free(r);
    X509_free(y);
    X509_free(x);
    fx_free(&f);
}

static void test_p384_issuer_signing_with_sha256(void **state)
{
    X509 *root = root_p384();
    spec s = {.kind = HSMCA_PROFILE_SUBORDINATE, .key = p256_a, .issuer = root,
              .issuer_key = p384_a, .md = "SHA256"};
    X509 *x = make(&s);
    hsmca_lint_result *r = lint_skip(x, &s, NULL);

    expect_only(r, "cabf.common.signature_algorithm_issuer_key");
    assert_non_null(strstr(r->findings[0].message, "P-384"));
    hsmca_lint_result_free(r);
    X509_free(x);
    X509_free(root);

    /* A self-signed P-384 root: the issuer key is its own. */
    spec t = {.kind = HSMCA_PROFILE_ROOT, .key = p384_a, .md = "SHA256"};

    check_only(&t, "cabf.common.signature_algorithm_issuer_key");
}

static void test_sha1_is_refused(void **state)
{
    spec s = {.kind = HSMCA_PROFILE_ROOT, .key = rsa_a, .md = "SHA1"};
    X509 *x = make(&s);
    hsmca_lint_result *r = lint_skip(x, &s, NULL);

    expect_has(r, "cabf.common.signature_algorithm_encoding");
    expect_has(r, "cabf.common.signature_algorithm_issuer_key");
    hsmca_lint_result_free(r);
    X509_free(x);
}

static void test_spki_curve_not_allowed(void **state)
{
    EVP_PKEY *p224 = gen_key("EC", "P-224");
    fixture f = fx(HSMCA_PROFILE_SUBORDINATE, NULL);

    f.s.key = p224;
    check_only(&f.s, "cabf.common.spki_algorithm_encoding");
    fx_free(&f);
    EVP_PKEY_free(p224);
}

static void test_spki_rsa_pss_key(void **state)
{
    /* BR 7.1.3.1: the id-RSASSA-PSS key OID is forbidden in an SPKI. */
    EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
    EVP_PKEY *pss = NULL;
    fixture f = fx(HSMCA_PROFILE_SUBORDINATE, NULL);

    assert_non_null(kctx);
    assert_int_equal(EVP_PKEY_keygen_init(kctx), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_bits(kctx, 2048), 1);
    assert_int_equal(EVP_PKEY_keygen(kctx, &pss), 1);
    EVP_PKEY_CTX_free(kctx);
    f.s.key = pss;
    check_only(&f.s, "cabf.common.spki_algorithm_encoding");
    fx_free(&f);
    EVP_PKEY_free(pss);
}

static void test_rsa_keys(void **state)
{
    static const struct {
        int bits;
        unsigned long e;
        const char *id;
    } cases[] = {
        {1024, 65537, "cabf.common.rsa_modulus_size"},
        {2052, 65537, "cabf.common.rsa_modulus_divisible_by_8"},
        {2048, 131072, "cabf.common.rsa_exponent"},
        {2048, 3, "cabf.common.rsa_exponent_range"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        EVP_PKEY *k = fake_rsa(cases[i].bits, cases[i].e);
        fixture f = fx(HSMCA_PROFILE_SUBORDINATE, NULL);

        f.s.key = k;
        check_only(&f.s, cases[i].id);
        fx_free(&f);
        EVP_PKEY_free(k);
    }
}

static void test_rsa_exponent_one(void **state)
{
    EVP_PKEY *k = fake_rsa(2048, 1);
    fixture f = fx(HSMCA_PROFILE_SUBORDINATE, NULL);
    X509 *x;
    hsmca_lint_result *r;

    f.s.key = k;
    x = make(&f.s);
    r = lint_skip(x, &f.s, NULL);
    expect_has(r, "cabf.common.rsa_exponent");
    hsmca_lint_result_free(r);
    X509_free(x);
    fx_free(&f);
    EVP_PKEY_free(k);
}

/* ---- §0: names ---- */

static void m_issuer_differs(X509 *x, const spec *s)
{
    X509_NAME *n = make_name("XX", "hsmca test", "Someone Else");

    (void)s;
    assert_true(X509_set_issuer_name(x, n));
    X509_NAME_free(n);
}

static void test_issuer_name_mismatch(void **state)
{
    run_only(HSMCA_PROFILE_ROOT, m_issuer_differs, "cabf.common.issuer_name_match");
    run_only(HSMCA_PROFILE_SUBORDINATE, m_issuer_differs, "cabf.common.issuer_name_match");
}

static void m_issuer_reencoded(X509 *x, const spec *s)
{
    /* Same text as the root's subject, but O as PrintableString: equal
     * to a human, not byte-identical (BR 7.1.4.1). */
    X509_NAME *n = X509_NAME_new();

    (void)s;
    X509_NAME_add_entry_by_NID(n, NID_countryName, V_ASN1_PRINTABLESTRING,
                               (const unsigned char *)"XX", -1, -1, 0);
    X509_NAME_add_entry_by_NID(n, NID_organizationName, V_ASN1_PRINTABLESTRING,
                               (const unsigned char *)"hsmca test", -1, -1, 0);
    X509_NAME_add_entry_by_NID(n, NID_commonName, V_ASN1_UTF8STRING,
                               (const unsigned char *)"hsmca Test Root", -1, -1, 0);
    assert_true(X509_set_issuer_name(x, n));
    X509_NAME_free(n);
}

static void test_issuer_name_reencoded(void **state)
{
    run_only(HSMCA_PROFILE_SUBORDINATE, m_issuer_reencoded, "cabf.common.issuer_name_match");
}

static void add_entry(X509_NAME *n, int nid, int type, const char *v, int set)
{
    assert_true(X509_NAME_add_entry_by_NID(n, nid, type, (const unsigned char *)v, -1, -1, set));
}

static void m_subject_two_avas(X509 *x, const spec *s)
{
    X509_NAME *n = make_name("XX", "hsmca test", NULL);

    add_entry(n, NID_commonName, V_ASN1_UTF8STRING, "hsmca Test Issuing CA", -1); /* same RDN */
    set_subject(x, s, n);
}

static void m_subject_order(X509 *x, const spec *s)
{
    X509_NAME *n = X509_NAME_new();

    add_entry(n, NID_countryName, V_ASN1_PRINTABLESTRING, "XX", 0);
    add_entry(n, NID_commonName, V_ASN1_UTF8STRING, "hsmca Test Issuing CA", 0);
    add_entry(n, NID_organizationName, V_ASN1_UTF8STRING, "hsmca test", 0);
    set_subject(x, s, n);
}

static void m_subject_duplicate(X509 *x, const spec *s)
{
    X509_NAME *n = make_name("XX", "hsmca test", NULL);

    add_entry(n, NID_organizationName, V_ASN1_UTF8STRING, "hsmca test 2", 0);
    add_entry(n, NID_commonName, V_ASN1_UTF8STRING, "hsmca Test Issuing CA", 0);
    set_subject(x, s, n);
}

static X509_NAME *name3(int c_type, const char *c, int o_type, const char *o, const char *cn)
{
    X509_NAME *n = X509_NAME_new();

    add_entry(n, NID_countryName, c_type, c, 0);
    add_entry(n, NID_organizationName, o_type, o, 0);
    add_entry(n, NID_commonName, V_ASN1_UTF8STRING, cn, 0);
    return n;
}

static void m_country_utf8(X509 *x, const spec *s)
{
    set_subject(x, s, name3(V_ASN1_UTF8STRING, "XX", V_ASN1_UTF8STRING, "hsmca test", "CA"));
}

static void m_country_lower(X509 *x, const spec *s)
{
    set_subject(x, s,
                name3(V_ASN1_PRINTABLESTRING, "xx", V_ASN1_UTF8STRING, "hsmca test", "CA"));
}

static void m_org_ia5(X509 *x, const spec *s)
{
    set_subject(x, s,
                name3(V_ASN1_PRINTABLESTRING, "XX", V_ASN1_IA5STRING, "hsmca test", "CA"));
}

static void m_org_printable_bad_char(X509 *x, const spec *s)
{
    set_subject(x, s,
                name3(V_ASN1_PRINTABLESTRING, "XX", V_ASN1_PRINTABLESTRING, "hsmca & co", "CA"));
}

static char long_cn[200];

static void m_cn_long(X509 *x, const spec *s)
{
    set_subject(x, s,
                name3(V_ASN1_PRINTABLESTRING, "XX", V_ASN1_UTF8STRING, "hsmca test", long_cn));
}

static void test_subject_encoding(void **state)
{
    run_only(HSMCA_PROFILE_SUBORDINATE, m_subject_two_avas, "cabf.common.name_one_ava_per_rdn");
    run_only(HSMCA_PROFILE_SUBORDINATE, m_subject_order, "cabf.common.name_attribute_order");
    run_only(HSMCA_PROFILE_SUBORDINATE, m_subject_duplicate,
             "cabf.common.name_duplicate_attribute");
    run_only(HSMCA_PROFILE_SUBORDINATE, m_country_utf8, "cabf.common.name_country");
    run_only(HSMCA_PROFILE_SUBORDINATE, m_country_lower, "cabf.common.name_country");
    run_only(HSMCA_PROFILE_SUBORDINATE, m_org_ia5, "cabf.common.name_string_type");
    run_only(HSMCA_PROFILE_SUBORDINATE, m_org_printable_bad_char, "cabf.common.name_string_type");
}

static void test_subject_bad_utf8(void **state)
{
    /* O = "hsmca " c0 af (an overlong "/"). OpenSSL will neither build
     * nor parse such a name (it canonicalises names as UTF-8), so it
     * cannot reach the lint as an X509 today; if a later OpenSSL lets it
     * through, the lint must catch it. */
    static const char subject[] =
        "3040310b30090603550406130258583111300f060355040a0c0868736d636120c0af311e301c"
        "06035504030c1568736d636120546573742049737375696e67204341";
    fixture f = fx(HSMCA_PROFILE_SUBORDINATE, NULL);
    X509 *x = make(&f.s), *y = der_edit(x, 5, 0, subject, NULL);

    if (y != NULL) {
        hsmca_lint_result *r = lint_skip(y, &f.s, NULL);

        expect_only(r, "cabf.common.name_string_type");
        hsmca_lint_result_free(r);
        X509_free(y);
    } else {
        print_message("  OpenSSL refuses the malformed UTF-8: nothing reaches the lint\n");
    }
    X509_free(x);
    fx_free(&f);
}

static void test_common_name_length(void **state)
{
    fixture f = fx(HSMCA_PROFILE_SUBORDINATE, m_cn_long);

    memset(long_cn, 'a', 65);
    long_cn[65] = '\0';
    check_only(&f.s, "cabf.common.name_attribute_length");
    /* 64 characters of two octets each: 128 octets, but within the bound,
     * which counts characters. */
    for (int i = 0; i < 64; i++)
        memcpy(long_cn + 2 * i, "\xc3\xa9", 2);
    long_cn[128] = '\0';
    check_clean(&f.s);
    fx_free(&f);
}

/* ---- §0: times ---- */

static void m_generalized_before_2050(X509 *x, const spec *s)
{
    ASN1_GENERALIZEDTIME *g =
        ASN1_GENERALIZEDTIME_set(NULL, (time_t)(spec_now(s) + 1095L * DAY - 1));

    assert_true(X509_set1_notAfter(x, g));
    ASN1_GENERALIZEDTIME_free(g);
}

static void test_generalized_time_before_2050(void **state)
{
    run_only(HSMCA_PROFILE_SUBORDINATE, m_generalized_before_2050, "rfc5280.validity.time_type");
}

static void m_utctime_for_2050(X509 *x, const spec *s)
{
    /* Meant 2050-01-01, written as UTCTime: it reads as 1950. */
    ASN1_UTCTIME *u = ASN1_UTCTIME_new();

    (void)s;
    assert_true(ASN1_UTCTIME_set_string(u, "500101000000Z"));
    assert_true(X509_set1_notAfter(x, u));
    ASN1_UTCTIME_free(u);
}

static void test_utctime_for_2050(void **state)
{
    fixture f = fx(HSMCA_PROFILE_ROOT, m_utctime_for_2050);
    X509 *x = make(&f.s);
    hsmca_lint_result *r = lint_skip(x, &f.s, NULL);

    expect_has(r, "rfc5280.validity.time_type");
    hsmca_lint_result_free(r);
    X509_free(x);
    fx_free(&f);
}

static void m_fractional_seconds(X509 *x, const spec *s)
{
    ASN1_GENERALIZEDTIME *g = ASN1_STRING_type_new(V_ASN1_GENERALIZEDTIME);

    (void)s;
    assert_true(ASN1_STRING_set(g, "20510101000000.5Z", -1));
    assert_true(X509_set1_notAfter(x, g));
    ASN1_STRING_free(g);
}

static void m_no_seconds(X509 *x, const spec *s)
{
    ASN1_UTCTIME *u = ASN1_STRING_type_new(V_ASN1_UTCTIME);

    (void)s;
    assert_true(ASN1_STRING_set(u, "2705201200Z", -1));
    assert_true(X509_set1_notAfter(x, u));
    ASN1_STRING_free(u);
}

static void test_time_format(void **state)
{
    run_only(HSMCA_PROFILE_ROOT, m_fractional_seconds, "rfc5280.validity.time_format");
    {
        fixture f = fx(HSMCA_PROFILE_SUBORDINATE, m_no_seconds);
        X509 *x = make(&f.s);
        hsmca_lint_result *r = lint_skip(x, &f.s, NULL);

        expect_has(r, "rfc5280.validity.time_format");
        hsmca_lint_result_free(r);
        X509_free(x);
        fx_free(&f);
    }
}

static void m_not_after_first(X509 *x, const spec *s)
{
    set_time(x, 1, spec_now(s) - 1);
}

static void test_validity_order(void **state)
{
    run_only(HSMCA_PROFILE_SUBORDINATE, m_not_after_first, "rfc5280.validity.order");
}

/* ---- §1: serial ---- */

static void m_serial_21(X509 *x, const spec *s)
{
    (void)s;
    set_serial_hex(x, "7A0C33F1E2D4B6A8917F6E5D4C3B2A1900112233FF", 0); /* 21 octets */
}

static void m_serial_20_top_bit(X509 *x, const spec *s)
{
    (void)s;
    /* 20 value octets with the top bit set: a 0x00 sign octet makes 21. */
    set_serial_hex(x, "8A0C33F1E2D4B6A8917F6E5D4C3B2A1900112233", 0);
}

static void m_serial_negative(X509 *x, const spec *s)
{
    (void)s;
    set_serial_hex(x, "5A0C33F1E2D4B6A8917F6E5D4C3B2A19", 1);
}

static void m_serial_zero(X509 *x, const spec *s)
{
    (void)s;
    set_serial_hex(x, "0", 0);
}

static void m_serial_8(X509 *x, const spec *s)
{
    (void)s;
    set_serial_hex(x, "7A0C33F1E2D4B6A8", 0);
}

static void m_serial_9(X509 *x, const spec *s)
{
    (void)s;
    set_serial_hex(x, "7A0C33F1E2D4B6A891", 0);
}

static void m_serial_64_bits_top_set(X509 *x, const spec *s)
{
    (void)s;
    /* 64 bits with the top one set: 00 + 8 octets, 9 encoded octets. */
    set_serial_hex(x, "8A0C33F1E2D4B6A8", 0);
}

static void test_serial(void **state)
{
    run_only(HSMCA_PROFILE_SUBORDINATE, m_serial_21, "rfc5280.serial.length");
    run_only(HSMCA_PROFILE_SUBORDINATE, m_serial_20_top_bit, "rfc5280.serial.length");
    run_only(HSMCA_PROFILE_SUBORDINATE, m_serial_negative, "rfc5280.serial.positive");
    run_only(HSMCA_PROFILE_SUBORDINATE, m_serial_8, "cabf.common.serial_entropy");
    {
        fixture f = fx(HSMCA_PROFILE_SUBORDINATE, m_serial_9);

        check_clean(&f.s);
        f.s.mutate = m_serial_64_bits_top_set;
        check_clean(&f.s);
        fx_free(&f);
    }
    {
        fixture f = fx(HSMCA_PROFILE_ROOT, m_serial_zero);
        X509 *x = make(&f.s);
        hsmca_lint_result *r = lint_skip(x, &f.s, NULL);

        expect_has(r, "rfc5280.serial.positive");
        hsmca_lint_result_free(r);
        X509_free(x);
        fx_free(&f);
    }
}

static void test_serial_not_minimal(void **state)
{
    /* OpenSSL refuses a padded INTEGER when it parses (X.690 §8.3.2), so
     * such a certificate cannot reach the lint as an X509; if a later
     * OpenSSL accepts it, the lint must catch it. */
    fixture f = fx(HSMCA_PROFILE_SUBORDINATE, NULL);
    X509 *x = make(&f.s), *y = der_edit(x, 1, 0, "0210005a0c33f1e2d4b6a8917f6e5d4c3b2a", NULL);

    if (y != NULL) {
        hsmca_lint_result *r = lint_skip(y, &f.s, NULL);

        expect_has(r, "rfc5280.serial.minimal");
        hsmca_lint_result_free(r);
        X509_free(y);
    } else {
        print_message("  OpenSSL refuses the padded serial: nothing reaches the lint\n");
    }
    X509_free(x);
    fx_free(&f);
}

/* ---- §0, §4: extensions ---- */

static void m_duplicate_extension(X509 *x, const spec *s)
{
    (void)s;
    /* set_ext_hex replaces; add a second copy by hand. */
    X509_add_ext(x, X509_get_ext(x, X509_get_ext_by_NID(x, NID_certificate_policies, -1)), -1);
}

static void m_aki_critical(X509 *x, const spec *s)
{
    replace_conf(x, s, NID_authority_key_identifier, "critical,keyid:always");
}

static void m_eku_critical(X509 *x, const spec *s)
{
    replace_conf(x, s, NID_ext_key_usage, "critical,serverAuth");
}

static void m_aki_issuer_serial(X509 *x, const spec *s)
{
    replace_conf(x, s, NID_authority_key_identifier, "keyid:always,issuer:always");
}

static void m_aki_other(X509 *x, const spec *s)
{
    (void)s;
    set_ext_hex(x, "2.5.29.35", 0, "30168014000102030405060708090a0b0c0d0e0f10111213");
}

static void m_no_aki(X509 *x, const spec *s)
{
    (void)s;
    del_ext(x, NID_authority_key_identifier);
}

static void m_no_ski(X509 *x, const spec *s)
{
    (void)s;
    del_ext(x, NID_subject_key_identifier);
}

static void test_extensions_common(void **state)
{
    run_only(HSMCA_PROFILE_SUBORDINATE, m_duplicate_extension, "rfc5280.ext.duplicate");
    run_only(HSMCA_PROFILE_ROOT, m_aki_critical, "cabf.common.extension_criticality");
    run_only(HSMCA_PROFILE_SUBORDINATE, m_eku_critical, "cabf.common.extension_criticality");
    run_only(HSMCA_PROFILE_SUBORDINATE, m_aki_issuer_serial, "cabf.common.aki_key_id_only");
    run_only(HSMCA_PROFILE_SUBORDINATE, m_aki_other, "cabf.common.aki_matches_issuer_ski");
    run_only(HSMCA_PROFILE_ROOT, m_aki_other, "cabf.common.aki_matches_issuer_ski");
    run_only(HSMCA_PROFILE_SUBORDINATE, m_no_aki, "cabf.common.aki_missing");
    run_only(HSMCA_PROFILE_OCSP_RESPONDER, m_no_aki, "cabf.common.aki_missing");
    run_only(HSMCA_PROFILE_ROOT, m_no_aki, "cabf.root.aki_missing");
    run_only(HSMCA_PROFILE_SUBORDINATE, m_no_ski, "cabf.ca.ski_missing");
    run_only(HSMCA_PROFILE_OCSP_RESPONDER, m_no_ski, "cabf.ocsp_responder.ski_missing");
}

static void m_aia_https(X509 *x, const spec *s)
{
    replace_conf(x, s, NID_info_access, "caIssuers;URI:https://127.0.0.1/ca/root.der");
}

static void m_aia_repository(X509 *x, const spec *s)
{
    replace_conf(x, s, NID_info_access,
                 "caIssuers;URI:http://127.0.0.1/ca/root.der,"
                 "1.3.6.1.5.5.7.48.5;URI:http://127.0.0.1/repo");
}

static void m_crldp_ldap(X509 *x, const spec *s)
{
    replace_conf(x, s, NID_crl_distribution_points, "URI:ldap://127.0.0.1/cn=crl");
}

static void m_crldp_hex(X509 *x, const spec *s)
{
    set_ext_hex(x, "2.5.29.31", 0, (const char *)s->arg);
}

static void test_aia_and_crldp_shape(void **state)
{
    static const char *const bad_crldp[] = {
        /* two DistributionPoints, http://a and http://b */
        "3020300ea00ca00a8608687474703a2f2f61300ea00ca00a8608687474703a2f2f62",
        /* http://a1 with reasons keyCompromise */
        "30153013a00da00b8609687474703a2f2f613181020640",
        /* http://a1 with cRLIssuer */
        "301d301ba00da00b8609687474703a2f2f6131a20a8608687474703a2f2f78",
    };

    run_only(HSMCA_PROFILE_SUBORDINATE, m_aia_https, "cabf.common.aia_http");
    run_only(HSMCA_PROFILE_SUBORDINATE, m_aia_repository, "cabf.common.aia_http");
    run_only(HSMCA_PROFILE_SUBORDINATE, m_crldp_ldap, "cabf.common.crldp_shape");
    for (size_t i = 0; i < sizeof bad_crldp / sizeof bad_crldp[0]; i++) {
        fixture f = fx(HSMCA_PROFILE_SUBORDINATE, m_crldp_hex);

        f.s.arg = bad_crldp[i];
        check_only(&f.s, "cabf.common.crldp_shape");
        fx_free(&f);
    }
}

/* ---- §3: CA validity ---- */

static void m_not_before_two_days_ago(X509 *x, const spec *s)
{
    set_validity(x, spec_now(s) - 2 * DAY, base_days(s->kind));
}

static void m_not_before_future(X509 *x, const spec *s)
{
    set_validity(x, spec_now(s) + 3600, base_days(s->kind));
}

static void m_not_before_one_day_ago(X509 *x, const spec *s)
{
    set_validity(x, spec_now(s) - DAY, base_days(s->kind));
}

static void test_ca_not_before_window(void **state)
{
    static const hsmca_profile_kind kinds[] = {
        HSMCA_PROFILE_ROOT, HSMCA_PROFILE_SUBORDINATE, HSMCA_PROFILE_OCSP_RESPONDER,
        HSMCA_PROFILE_PRECERT_SIGNER};

    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        fixture f = fx(kinds[i], m_not_before_two_days_ago);

        check_only(&f.s, "cabf.ca.not_before_window");
        f.s.mutate = m_not_before_future;
        check_only(&f.s, "cabf.ca.not_before_window");
        f.s.mutate = m_not_before_one_day_ago; /* the edge is allowed */
        check_clean(&f.s);
        fx_free(&f);
    }
}

static long root_days;

static void m_root_days(X509 *x, const spec *s)
{
    set_validity(x, spec_now(s), root_days);
}

static void test_root_validity_period(void **state)
{
    fixture f = fx(HSMCA_PROFILE_ROOT, m_root_days);

    root_days = 2921;
    check_only(&f.s, "cabf.root.validity_period");
    root_days = 9133;
    check_only(&f.s, "cabf.root.validity_period");
    root_days = 2922;
    check_clean(&f.s);
    root_days = 9132;
    check_clean(&f.s);
    fx_free(&f);
}

static void m_root_one_second_short(X509 *x, const spec *s)
{
    /* notAfter - notBefore + 1 s = 2922 days - 1 s */
    set_time(x, 0, spec_now(s));
    set_time(x, 1, spec_now(s) + 2922L * DAY - 2);
}

static void test_root_validity_counts_seconds(void **state)
{
    run_only(HSMCA_PROFILE_ROOT, m_root_one_second_short, "cabf.root.validity_period");
}

static void m_sub_four_years(X509 *x, const spec *s)
{
    set_validity(x, spec_now(s), 4 * 365);
}

static void m_sub_three_years_leap(X509 *x, const spec *s)
{
    /* 2026-05-20 + 3 years crosses 2028-02-29: 1096 days is 3 years. */
    set_validity(x, spec_now(s), 1096);
}

static void test_subordinate_validity(void **state)
{
    run_only(HSMCA_PROFILE_SUBORDINATE, m_sub_four_years, "crp.subordinate.validity_period");
    {
        fixture f = fx(HSMCA_PROFILE_SUBORDINATE, m_sub_three_years_leap);

        check_clean(&f.s);
        fx_free(&f);
    }
}

/* ---- §5: root ---- */

static void m_root_ou(X509 *x, const spec *s)
{
    X509_NAME *n = make_name("XX", "hsmca test", NULL);

    add_entry(n, NID_organizationalUnitName, V_ASN1_UTF8STRING, "PKI", 0);
    add_entry(n, NID_commonName, V_ASN1_UTF8STRING, "hsmca Test Root", 0);
    set_subject(x, s, n);
}

static void m_no_org(X509 *x, const spec *s)
{
    set_subject(x, s, make_name("XX", NULL, "hsmca Test"));
}

static void m_bc_not_critical(X509 *x, const spec *s)
{
    replace_conf(x, s, NID_basic_constraints, "CA:TRUE");
}

static void m_bc_not_ca(X509 *x, const spec *s)
{
    replace_conf(x, s, NID_basic_constraints, "critical,CA:FALSE");
}

static void m_no_bc(X509 *x, const spec *s)
{
    (void)s;
    del_ext(x, NID_basic_constraints);
}

static void m_ku_no_crl_sign(X509 *x, const spec *s)
{
    replace_conf(x, s, NID_key_usage, "critical,keyCertSign");
}

static void m_ku_key_encipherment(X509 *x, const spec *s)
{
    replace_conf(x, s, NID_key_usage, "critical,keyCertSign,cRLSign,keyEncipherment");
}

static void m_ku_not_critical(X509 *x, const spec *s)
{
    replace_conf(x, s, NID_key_usage, "keyCertSign,cRLSign");
}

static void m_no_ku(X509 *x, const spec *s)
{
    (void)s;
    del_ext(x, NID_key_usage);
}

static void m_ku_digital_signature(X509 *x, const spec *s)
{
    replace_conf(x, s, NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign");
}

static void m_add_eku(X509 *x, const spec *s)
{
    ext_conf(x, s, NID_ext_key_usage, "serverAuth");
}

static void m_add_cp(X509 *x, const spec *s)
{
    (void)s;
    set_ext_hex(x, "2.5.29.32", 0, CP_DV);
}

static void m_add_crldp(X509 *x, const spec *s)
{
    ext_conf(x, s, NID_crl_distribution_points, "URI:http://127.0.0.1/crl/root.crl");
}

static void m_add_aia(X509 *x, const spec *s)
{
    ext_conf(x, s, NID_info_access, "caIssuers;URI:http://127.0.0.1/ca/root.der");
}

static void m_root_path_len(X509 *x, const spec *s)
{
    replace_conf(x, s, NID_basic_constraints, "critical,CA:TRUE,pathlen:1");
}

static void test_root_profile(void **state)
{
    run_only(HSMCA_PROFILE_ROOT, m_root_ou, "cabf.ca.subject_ou");
    run_only(HSMCA_PROFILE_ROOT, m_no_org, "cabf.ca.subject_required");
    run_only(HSMCA_PROFILE_ROOT, m_bc_not_critical, "cabf.ca.basic_constraints_not_critical");
    run_only(HSMCA_PROFILE_ROOT, m_bc_not_ca, "cabf.ca.basic_constraints_not_ca");
    run_only(HSMCA_PROFILE_ROOT, m_no_bc, "cabf.ca.basic_constraints_missing");
    run_only(HSMCA_PROFILE_ROOT, m_ku_no_crl_sign, "cabf.ca.key_usage_bits");
    run_only(HSMCA_PROFILE_ROOT, m_ku_key_encipherment, "cabf.ca.key_usage_bits");
    run_only(HSMCA_PROFILE_ROOT, m_ku_not_critical, "cabf.ca.key_usage_not_critical");
    run_only(HSMCA_PROFILE_ROOT, m_no_ku, "cabf.ca.key_usage_missing");
    run_only(HSMCA_PROFILE_ROOT, m_add_eku, "cabf.root.eku_present");
    run_only(HSMCA_PROFILE_ROOT, m_add_cp, "cabf.root.cp_present");
    run_only(HSMCA_PROFILE_ROOT, m_add_crldp, "cabf.root.crldp_present");
    run_only(HSMCA_PROFILE_ROOT, m_add_aia, "cabf.common.unexpected_extension");
    run_only(HSMCA_PROFILE_ROOT, m_root_path_len, "cabf.root.path_len_present");
    {
        /* digitalSignature is allowed (a root that signs OCSP). */
        fixture f = fx(HSMCA_PROFILE_ROOT, m_ku_digital_signature);

        check_clean(&f.s);
        fx_free(&f);
    }
}

/* ---- §6: subordinate ---- */

static void m_no_eku(X509 *x, const spec *s)
{
    (void)s;
    del_ext(x, NID_ext_key_usage);
}

static void m_eku(X509 *x, const spec *s)
{
    replace_conf(x, s, NID_ext_key_usage, (const char *)s->arg);
}

static void test_subordinate_eku(void **state)
{
    static const struct {
        const char *value;
        const char *id;
    } cases[] = {
        {"serverAuth,anyExtendedKeyUsage", "cabf.subordinate.eku_forbidden"},
        {"serverAuth,OCSPSigning", "cabf.subordinate.eku_forbidden"},
        {"serverAuth,codeSigning", "cabf.subordinate.eku_forbidden"},
        {"serverAuth,emailProtection", "cabf.subordinate.eku_forbidden"},
        {"serverAuth,timeStamping", "cabf.subordinate.eku_forbidden"},
        {"serverAuth,1.3.6.1.4.1.11129.2.4.4", "cabf.subordinate.eku_forbidden"},
        {"clientAuth", "cabf.subordinate.eku_server_auth"},
        {"serverAuth,1.2.3.4", "cabf.subordinate.eku_other"},
    };
    fixture f;

    run_only(HSMCA_PROFILE_SUBORDINATE, m_no_eku, "cabf.subordinate.eku_missing");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        f = fx(HSMCA_PROFILE_SUBORDINATE, m_eku);
        f.s.arg = cases[i].value;
        check_only(&f.s, cases[i].id);
        fx_free(&f);
    }
    /* clientAuth MAY accompany serverAuth. */
    f = fx(HSMCA_PROFILE_SUBORDINATE, m_eku);
    f.s.arg = "serverAuth,clientAuth";
    check_clean(&f.s);
    fx_free(&f);
}

static void m_cp_hex(X509 *x, const spec *s)
{
    set_ext_hex(x, "2.5.29.32", 0, (const char *)s->arg);
}

static void m_no_cp(X509 *x, const spec *s)
{
    (void)s;
    del_ext(x, NID_certificate_policies);
}

/* PolicyInformation SEQUENCEs, as hex. */
#define POL_DV "300806066781" "0c010201"          /* 2.23.140.1.2.1 */
#define POL_OV "300806066781" "0c010202"          /* 2.23.140.1.2.2 */

static void test_subordinate_policies(void **state)
{
    static const struct {
        const char *hex;
        const char *id;  /* NULL: clean */
    } cases[] = {
        /* anyPolicy alone (affiliated CA): allowed */
        {"3008" "3006" "0604551d2000", NULL},
        /* DV and OV: at least one reserved identifier */
        {"3014" POL_DV POL_OV, NULL},
        /* anyPolicy with DV */
        {"3012" "3006" "0604551d2000" POL_DV, "cabf.ca.cp_policy_ids"},
        /* only a CA-defined policy */
        {"3007" "3005" "06032a0304", "cabf.ca.cp_policy_ids"},
        /* DV twice */
        {"3014" POL_DV POL_DV, "cabf.ca.cp_policy_ids"},
        /* CA policy first, DV second */
        {"3011" "3005" "06032a0304" POL_DV, "cabf.ca.cp_reserved_first"},
        /* DV with an id-qt-cps http URI: NOT RECOMMENDED only */
        {"302b3029060667810c010201301f301d06082b060105050702011611687474703a2f2f612e74"
         "6573742f637073",
         "cabf.ca.cp_qualifiers_present"},
    };
    fixture f;

    run_only(HSMCA_PROFILE_SUBORDINATE, m_no_cp, "cabf.ca.cp_missing");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        f = fx(HSMCA_PROFILE_SUBORDINATE, m_cp_hex);
        f.s.arg = cases[i].hex;
        if (cases[i].id == NULL)
            check_clean(&f.s);
        else
            check_only(&f.s, cases[i].id);
        fx_free(&f);
    }
}

static void test_subordinate_policy_user_notice(void **state)
{
    /* DV with an id-qt-unotice qualifier (explicitText "x"): MUST NOT. */
    fixture f = fx(HSMCA_PROFILE_SUBORDINATE, m_cp_hex);
    X509 *x;
    hsmca_lint_result *r;

    f.s.arg = "301f301d060667810c0102013013301106082b0601050507020230050c03616263";
    x = make(&f.s);
    r = lint_skip(x, &f.s, NULL);
    expect_has(r, "cabf.ca.cp_qualifiers");
    expect_has(r, "cabf.ca.cp_qualifiers_present");
    assert_int_equal(r->errors, 1);
    hsmca_lint_result_free(r);
    X509_free(x);
    fx_free(&f);
}

static void m_no_crldp(X509 *x, const spec *s)
{
    (void)s;
    del_ext(x, NID_crl_distribution_points);
}

static void m_no_aia(X509 *x, const spec *s)
{
    (void)s;
    del_ext(x, NID_info_access);
}

static void m_no_path_len(X509 *x, const spec *s)
{
    replace_conf(x, s, NID_basic_constraints, "critical,CA:TRUE");
}

static void m_unknown_extension(X509 *x, const spec *s)
{
    (void)s;
    set_ext_hex(x, "1.2.3.4.5", 0, "0500");
}

static void test_subordinate_profile(void **state)
{
    run_only(HSMCA_PROFILE_SUBORDINATE, m_no_crldp, "cabf.ca.crldp_missing");
    run_only(HSMCA_PROFILE_SUBORDINATE, m_no_aia, "cabf.ca.aia_missing");
    run_only(HSMCA_PROFILE_SUBORDINATE, m_root_ou, "cabf.ca.subject_ou");
    run_only(HSMCA_PROFILE_SUBORDINATE, m_bc_not_critical,
             "cabf.ca.basic_constraints_not_critical");
    run_only(HSMCA_PROFILE_SUBORDINATE, m_ku_no_crl_sign, "cabf.ca.key_usage_bits");
    run_only(HSMCA_PROFILE_SUBORDINATE, m_unknown_extension, "cabf.common.unexpected_extension");
    {
        /* No pathLenConstraint: a notice, which blocks nothing. */
        fixture f = fx(HSMCA_PROFILE_SUBORDINATE, m_no_path_len);
        X509 *x = make(&f.s);
        hsmca_lint_result *r = lint_skip(x, &f.s, NULL);

        expect_clean(r);
        expect_has(r, "cabf.subordinate.path_len");
        assert_int_equal(hsmca_lint_result_check(r), HSMCA_OK);
        hsmca_lint_result_free(r);
        X509_free(x);
        fx_free(&f);
    }
}

static void m_nc_conf(X509 *x, const spec *s)
{
    /* OpenSSL's config syntax; criticality from arg. */
    ext_conf(x, s, NID_name_constraints, (const char *)s->arg);
}

static void m_nc_max(X509 *x, const spec *s)
{
    (void)s;
    /* permitted: dNSName example.test with maximum 1 */
    set_ext_hex(x, "2.5.29.30", 1, "3015a0133011820c6578616d706c652e74657374810101");
}

static void test_subordinate_name_constraints(void **state)
{
    fixture f = fx(HSMCA_PROFILE_SUBORDINATE, m_nc_conf);
    X509 *x;
    hsmca_lint_result *r;

    /* Critical, dNSName permitted, all IP excluded, but no directoryName
     * permitted: a valid 7.1.2.6 CA, not a technically constrained one. */
    f.s.arg = "critical,permitted;DNS:example.test,"
              "excluded;IP:0.0.0.0/0.0.0.0,excluded;IP:::/::";
    check_only(&f.s, "cabf.subordinate.name_constraints_technically_constrained");

    /* Non-critical: a warning too (BR 7.1.2.10.8), never an error. */
    f.s.arg = "permitted;DNS:example.test,excluded;IP:0.0.0.0/0.0.0.0,excluded;IP:::/::";
    x = make(&f.s);
    r = lint_skip(x, &f.s, NULL);
    expect_has(r, "cabf.subordinate.name_constraints_not_critical");
    assert_int_equal(r->errors, 0);
    hsmca_lint_result_free(r);
    X509_free(x);
    fx_free(&f);

    /* maximum in a GeneralSubtree: MUST NOT. */
    f = fx(HSMCA_PROFILE_SUBORDINATE, m_nc_max);
    x = make(&f.s);
    r = lint_skip(x, &f.s, NULL);
    expect_has(r, "cabf.subordinate.name_constraints_subtree_bounds");
    assert_int_equal(r->errors, 1);
    hsmca_lint_result_free(r);
    X509_free(x);
    fx_free(&f);
}

static void m_nc_tc_complete(X509 *x, const spec *s)
{
    NAME_CONSTRAINTS *nc = NAME_CONSTRAINTS_new();
    GENERAL_SUBTREE *st;
    X509_NAME *dir = make_name("XX", "hsmca test", NULL);
    static const unsigned char zeros[32] = {0};
    int crit = s->arg != NULL;

    nc->permittedSubtrees = sk_GENERAL_SUBTREE_new_null();
    nc->excludedSubtrees = sk_GENERAL_SUBTREE_new_null();
    /* permitted dNSName example.test */
    st = GENERAL_SUBTREE_new();
    st->base->type = GEN_DNS;
    st->base->d.dNSName = ASN1_IA5STRING_new();
    ASN1_STRING_set(st->base->d.dNSName, "example.test", -1);
    sk_GENERAL_SUBTREE_push(nc->permittedSubtrees, st);
    /* permitted directoryName C=XX, O=hsmca test */
    st = GENERAL_SUBTREE_new();
    st->base->type = GEN_DIRNAME;
    st->base->d.directoryName = dir;
    sk_GENERAL_SUBTREE_push(nc->permittedSubtrees, st);
    /* excluded 0.0.0.0/0 and ::/0 */
    for (int len = 8; len <= 32; len += 24) {
        st = GENERAL_SUBTREE_new();
        st->base->type = GEN_IPADD;
        st->base->d.iPAddress = ASN1_OCTET_STRING_new();
        ASN1_OCTET_STRING_set(st->base->d.iPAddress, zeros, len);
        sk_GENERAL_SUBTREE_push(nc->excludedSubtrees, st);
    }
    assert_int_equal(X509_add1_ext_i2d(x, NID_name_constraints, nc, crit, X509V3_ADD_DEFAULT), 1);
    NAME_CONSTRAINTS_free(nc);
}

static void test_subordinate_technically_constrained(void **state)
{
    fixture f = fx(HSMCA_PROFILE_SUBORDINATE, m_nc_tc_complete);

    f.s.arg = "critical";
    check_clean(&f.s);
    f.s.arg = NULL;
    check_only(&f.s, "cabf.subordinate.name_constraints_not_critical");
    fx_free(&f);
}

/* ---- §7: OCSP responder ---- */

static void m_no_nocheck(X509 *x, const spec *s)
{
    (void)s;
    del_ext(x, NID_id_pkix_OCSP_noCheck);
}

static void m_nocheck_critical(X509 *x, const spec *s)
{
    (void)s;
    set_ext_hex(x, "1.3.6.1.5.5.7.48.1.5", 1, "0500");
}

static void m_bc_explicit_false(X509 *x, const spec *s)
{
    (void)s;
    set_ext_hex(x, "2.5.29.19", 1, "3003010100");
}

static void m_responder_eku_extra(X509 *x, const spec *s)
{
    replace_conf(x, s, NID_ext_key_usage, "OCSPSigning,serverAuth");
}

static void m_responder_eku_server(X509 *x, const spec *s)
{
    replace_conf(x, s, NID_ext_key_usage, "serverAuth");
}

static void m_responder_ku_cert_sign(X509 *x, const spec *s)
{
    replace_conf(x, s, NID_key_usage, "critical,digitalSignature,keyCertSign");
}

static void m_responder_ku_not_critical(X509 *x, const spec *s)
{
    replace_conf(x, s, NID_key_usage, "digitalSignature");
}

static void m_add_san(X509 *x, const spec *s)
{
    ext_conf(x, s, NID_subject_alt_name, "DNS:ocsp.example.test");
}

static void test_ocsp_responder(void **state)
{
    run_only(HSMCA_PROFILE_OCSP_RESPONDER, m_no_nocheck, "cabf.ocsp_responder.nocheck");
    run_only(HSMCA_PROFILE_OCSP_RESPONDER, m_nocheck_critical, "cabf.ocsp_responder.nocheck");
    run_only(HSMCA_PROFILE_OCSP_RESPONDER, m_bc_explicit_false,
             "cabf.ocsp_responder.basic_constraints");
    {
        /* "critical,CA:FALSE" in OpenSSL leaves out the DEFAULT: exactly the
         * allowed 300c0603551d130101ff04023000. */
        fixture f = fx(HSMCA_PROFILE_OCSP_RESPONDER, m_bc_not_ca);

        check_clean(&f.s);
        fx_free(&f);
    }
    run_only(HSMCA_PROFILE_OCSP_RESPONDER, m_responder_eku_extra, "cabf.ocsp_responder.eku");
    run_only(HSMCA_PROFILE_OCSP_RESPONDER, m_responder_eku_server, "cabf.ocsp_responder.eku");
    run_only(HSMCA_PROFILE_OCSP_RESPONDER, m_no_eku, "cabf.ocsp_responder.eku");
    run_only(HSMCA_PROFILE_OCSP_RESPONDER, m_responder_ku_cert_sign,
             "cabf.ocsp_responder.key_usage");
    run_only(HSMCA_PROFILE_OCSP_RESPONDER, m_responder_ku_not_critical,
             "cabf.ocsp_responder.key_usage");
    run_only(HSMCA_PROFILE_OCSP_RESPONDER, m_no_ku, "cabf.ocsp_responder.key_usage");
    run_only(HSMCA_PROFILE_OCSP_RESPONDER, m_add_crldp, "cabf.ocsp_responder.forbidden_extension");
    run_only(HSMCA_PROFILE_OCSP_RESPONDER, m_add_san, "cabf.ocsp_responder.forbidden_extension");
    run_only(HSMCA_PROFILE_OCSP_RESPONDER, m_add_aia, "cabf.ocsp_responder.aia_present");
    run_only(HSMCA_PROFILE_OCSP_RESPONDER, m_add_cp, "cabf.ocsp_responder.cp_present");
    run_only(HSMCA_PROFILE_OCSP_RESPONDER, m_root_ou, "cabf.ca.subject_ou");
}

/* ---- §8: precertificate signing CA ---- */

static void test_precert_signer_forbidden_after_sc092(void **state)
{
    static const char *const skip[] = {"cabf.precert_signer.forbidden", NULL};
    fixture f = fx(HSMCA_PROFILE_PRECERT_SIGNER, NULL);
    X509 *x;
    hsmca_lint_result *r;

    f.s.now = NOW;
    x = make(&f.s);
    r = lint_skip(x, &f.s, NULL);
    expect_only(r, "cabf.precert_signer.forbidden");
    assert_int_equal(r->errors, 1);
    assert_int_equal(hsmca_lint_result_check(r), HSMCA_E_VERIFY);
    hsmca_lint_result_free(r);

    /* A ceremony that means it skips the id: reported, marked, not counted. */
    r = lint_skip(x, &f.s, skip);
    assert_int_equal(r->errors, 0);
    assert_int_equal(r->skipped, 1);
    assert_int_equal(r->n, 1);
    assert_true(r->findings[0].skipped);
    assert_string_equal(r->findings[0].rule->id, "cabf.precert_signer.forbidden");
    assert_int_equal(hsmca_lint_result_check(r), HSMCA_OK);
    hsmca_lint_result_free(r);
    X509_free(x);
    fx_free(&f);
}

static void m_psc_server_auth(X509 *x, const spec *s)
{
    replace_conf(x, s, NID_ext_key_usage, "serverAuth,1.3.6.1.4.1.11129.2.4.4");
}

static void test_precert_signer_profile(void **state)
{
    run_only(HSMCA_PROFILE_PRECERT_SIGNER, m_psc_server_auth, "cabf.precert_signer.eku");
    run_only(HSMCA_PROFILE_PRECERT_SIGNER, m_no_eku, "cabf.precert_signer.eku");
    run_only(HSMCA_PROFILE_PRECERT_SIGNER, m_no_crldp, "cabf.ca.crldp_missing");
    run_only(HSMCA_PROFILE_PRECERT_SIGNER, m_no_cp, "cabf.ca.cp_missing");
    {
        /* A P-384 key under a P-256 issuer: its precertificates could not
         * carry the issuer's ecdsa-with-SHA256 (BR 7.1.2.4). */
        fixture f = fx(HSMCA_PROFILE_PRECERT_SIGNER, NULL);

        f.s.key = p384_b;
        check_only(&f.s, "cabf.precert_signer.issuer_algorithm");
        fx_free(&f);
    }
}

/* ---- the engine ---- */

static void test_leaf_gets_the_common_rules(void **state)
{
    /* A tls-server certificate is judged by every rule for "all" kinds as
     * well as by its own (tests/unit/test_lint_leaf.c): a DV leaf with
     * countryName only passes clean, a negative serial does not. */
    fixture f = fx(HSMCA_PROFILE_TLS_SERVER, NULL);
    X509 *x = make(&f.s);
    hsmca_lint_result *r = lint_skip(x, &f.s, NULL);
    size_t n = 0;
    const hsmca_lint_rule *rules = hsmca_lint_rules(&n);

    expect_clean(r);
    hsmca_lint_result_free(r);
    X509_free(x);
    for (size_t i = 0; i < n; i++)
        if (rules[i].object == HSMCA_LINT_CERTIFICATE &&
            (strncmp(rules[i].id, "cabf.common.", 12) == 0 ||
             strncmp(rules[i].id, "rfc5280.", 8) == 0))
            assert_true(rules[i].kinds & (1u << HSMCA_PROFILE_TLS_SERVER));
    run_only(HSMCA_PROFILE_TLS_SERVER, m_serial_negative, "rfc5280.serial.positive");
    run_only(HSMCA_PROFILE_TLS_SERVER, m_no_aki, "cabf.common.aki_missing");
    fx_free(&f);
}

static void test_skip_unknown_id_is_usage_error(void **state)
{
    static const char *const skip[] = {"cabf.root.validity_period", "cabf.no.such_rule", NULL};
    spec s = {.kind = HSMCA_PROFILE_ROOT, .key = rsa_a};
    X509 *x = make(&s);
    hsmca_lint_input in = {0};
    hsmca_lint_result *r = NULL;

    in.cert = x;
    in.kind = s.kind;
    in.now = NOW;
    in.skip = skip;
    assert_int_equal(hsmca_lint_run(&in, &r), HSMCA_E_USAGE);
    assert_null(r);
    assert_non_null(strstr(hsmca_err_message(), "cabf.no.such_rule"));
    /* a rule of another object: skipping it here would do nothing */
    {
        static const char *const crl_skip[] = {"cabf.crl.signature_algorithm_encoding", NULL};

        in.skip = crl_skip;
        assert_int_equal(hsmca_lint_run(&in, &r), HSMCA_E_USAGE);
        assert_null(r);
        assert_non_null(strstr(hsmca_err_message(), "judges CRLs, not certificates"));
    }
    X509_free(x);
}

static void test_skip_marks_and_does_not_count(void **state)
{
    static const char *const skip[] = {"cabf.ca.subject_ou", NULL};
    fixture f = fx(HSMCA_PROFILE_ROOT, m_root_ou);
    X509 *x = make(&f.s);
    hsmca_lint_result *r = lint_skip(x, &f.s, skip);

    assert_int_equal(r->errors, 0);
    assert_int_equal(r->skipped, 1);
    assert_true(has(r, "cabf.ca.subject_ou"));
    assert_int_equal(hsmca_lint_result_check(r), HSMCA_OK);
    hsmca_lint_result_free(r);
    X509_free(x);
    fx_free(&f);
}

static void test_non_root_needs_issuer(void **state)
{
    fixture f = fx(HSMCA_PROFILE_SUBORDINATE, NULL);
    X509 *x = make(&f.s);
    hsmca_lint_input in = {0};
    hsmca_lint_result *r = NULL;

    in.cert = x;
    in.kind = HSMCA_PROFILE_SUBORDINATE;
    in.now = NOW;
    assert_int_equal(hsmca_lint_run(&in, &r), HSMCA_E_USAGE);
    assert_null(r);
    in.kind = (hsmca_profile_kind)99;
    in.issuer = f.root;
    assert_int_equal(hsmca_lint_run(&in, &r), HSMCA_E_USAGE);
    assert_null(r);
    X509_free(x);
    fx_free(&f);
}

static void m_two_errors(X509 *x, const spec *s)
{
    m_root_ou(x, s);
    m_ku_no_crl_sign(x, s);
}

static void test_result_check_message(void **state)
{
    fixture f = fx(HSMCA_PROFILE_ROOT, m_two_errors);
    X509 *x = make(&f.s);
    hsmca_lint_result *r = lint_skip(x, &f.s, NULL);
    const char *msg;

    assert_int_equal(r->errors, 2);
    assert_int_equal(hsmca_lint_result_check(r), HSMCA_E_VERIFY);
    msg = hsmca_err_message();
    assert_non_null(strstr(msg, "cabf.ca.subject_ou (BR 7.1.2.10.2): subject has "
                                "organizationalUnitName"));
    assert_non_null(strstr(msg, "; cabf.ca.key_usage_bits (BR 7.1.2.10.7): keyUsage lacks "
                                "cRLSign"));
    hsmca_lint_result_free(r);
    X509_free(x);
    fx_free(&f);
}

static int id_ok(const char *id)
{
    int dots = 0;

    if (strncmp(id, "rfc5280.", 8) != 0 && strncmp(id, "rfc6962.", 8) != 0 &&
        strncmp(id, "cabf.", 5) != 0 && strncmp(id, "crp.", 4) != 0)
        return 0;
    for (const char *p = id; *p; p++) {
        if (*p == '.')
            dots++;
        else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    }
    /* body.scope.rule, or body.scope.topic.rule (cabf.leaf.san.syntax) */
    return dots == 2 || dots == 3;
}

static void test_catalogue(void **state)
{
    size_t n = 0;
    const hsmca_lint_rule *rules = hsmca_lint_rules(&n);
    const unsigned all = 1u << HSMCA_PROFILE_ROOT | 1u << HSMCA_PROFILE_SUBORDINATE |
                         1u << HSMCA_PROFILE_OCSP_RESPONDER | 1u << HSMCA_PROFILE_TLS_SERVER |
                         1u << HSMCA_PROFILE_PRECERT_SIGNER;
    const char *dir = getenv("HSMCA_SOURCE_DIR");
    char *doc = NULL;

    assert_true(n > 50);
    if (dir != NULL) {
        char path[4096];
        FILE *fp;
        long len;

        snprintf(path, sizeof path, "%s/docs/lint.md", dir);
        fp = fopen(path, "rb");
        assert_non_null(fp);
        fseek(fp, 0, SEEK_END);
        len = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        doc = calloc(1, (size_t)len + 1);
        assert_int_equal(fread(doc, 1, (size_t)len, fp), (size_t)len);
        fclose(fp);
    }
    for (size_t i = 0; i < n; i++) {
        const hsmca_lint_rule *r = &rules[i];
        char quoted[128];

        if (!id_ok(r->id))
            fail_msg("bad rule id \"%s\"", r->id);
        assert_ptr_equal(hsmca_lint_rule_find(r->id), r);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(rules[j].id, r->id);
        assert_true(r->level == HSMCA_LINT_ERROR || r->level == HSMCA_LINT_WARN ||
                    r->level == HSMCA_LINT_NOTICE);
        assert_true(r->source[0] != '\0' && r->summary[0] != '\0');
        assert_true(r->kinds != 0 && (r->kinds & ~all) == 0);
        /* docs/lint.md lists every rule, with its id in backquotes. */
        snprintf(quoted, sizeof quoted, "`%s`", r->id);
        if (doc != NULL && strstr(doc, quoted) == NULL)
            fail_msg("docs/lint.md does not list %s", r->id);
    }
    assert_null(hsmca_lint_rule_find("cabf.no.such_rule"));
    assert_null(hsmca_lint_rule_find(NULL));
    free(doc);
}

/* ---- CRLs and OCSP responses (hsmca_lint_run_signed; BR 7.1.3.2) ---- */

/* An empty CRL of issuer signed by key with md, as DER (OPENSSL_free). */
static uint8_t *crl_der(X509 *issuer, EVP_PKEY *key, const char *md, int *len)
{
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *t1 = ASN1_TIME_set(NULL, (time_t)NOW), *t2 = ASN1_TIME_set(NULL, (time_t)NOW + DAY);
    uint8_t *der = NULL;

    assert_true(crl && t1 && t2 && X509_CRL_set_version(crl, X509_CRL_VERSION_2) &&
                X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)) &&
                X509_CRL_set1_lastUpdate(crl, t1) && X509_CRL_set1_nextUpdate(crl, t2));
    assert_true(X509_CRL_sign(crl, key, EVP_get_digestbyname(md)) > 0);
    *len = i2d_X509_CRL(crl, &der);
    assert_true(*len > 0);
    X509_CRL_free(crl);
    ASN1_TIME_free(t1);
    ASN1_TIME_free(t2);
    return der;
}

/* A successful OCSP response (good for serial 1 of issuer) that signer
 * signs itself with key and md, as DER (OPENSSL_free). */
static uint8_t *ocsp_der(X509 *signer, EVP_PKEY *key, const char *md, int *len)
{
    OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
    ASN1_INTEGER *sn = ASN1_INTEGER_new();
    OCSP_CERTID *id;
    OCSP_RESPONSE *resp;
    ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)NOW);
    uint8_t *der = NULL;

    assert_true(bs && sn && t && ASN1_INTEGER_set(sn, 1));
    id = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(signer),
                          X509_get0_pubkey_bitstr(signer), sn);
    assert_non_null(id);
    assert_non_null(OCSP_basic_add1_status(bs, id, V_OCSP_CERTSTATUS_GOOD, 0, NULL, t, t));
    assert_int_equal(OCSP_basic_sign(bs, signer, key, EVP_get_digestbyname(md), NULL,
                                     OCSP_NOCERTS | OCSP_RESPID_KEY), 1);
    resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
    assert_non_null(resp);
    *len = i2d_OCSP_RESPONSE(resp, &der);
    assert_true(*len > 0);
    OCSP_RESPONSE_free(resp);
    OCSP_CERTID_free(id);
    OCSP_BASICRESP_free(bs);
    ASN1_INTEGER_free(sn);
    ASN1_TIME_free(t);
    return der;
}

static hsmca_lint_result *lint_signed(hsmca_lint_object object, const uint8_t *der, int len,
                                      X509 *signer)
{
    hsmca_lint_signed_input in = {.object = object, .der = der, .der_len = (size_t)len,
                                  .signer = signer, .now = NOW};
    hsmca_lint_result *r = NULL;

    assert_int_equal(hsmca_lint_run_signed(&in, &r), HSMCA_OK);
    return r;
}

/* Lint DER of object signed by signer: clean (id NULL) or exactly id (and
 * also, when not NULL, besides). */
static void check_signed(hsmca_lint_object object, uint8_t *der, int len, X509 *signer,
                         const char *id, const char *also)
{
    hsmca_lint_result *r = lint_signed(object, der, len, signer);

    if (id == NULL)
        expect_clean(r);
    else if (also == NULL)
        expect_only(r, id);
    else
        assert_true(has(r, id) && has(r, also) && r->errors == 2);
    hsmca_lint_result_free(r);
    OPENSSL_free(der);
}

static void test_crl_signature_algorithms(void **state)
{
    X509 *rr = root_rsa(), *re = root_p384();
    uint8_t *der;
    int len = 0;
    static const uint8_t sha256rsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b};

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        der = crl_der(i ? re : rr, i ? p384_a : rsa_a, i ? "SHA384" : "SHA256", &len);
        check_signed(HSMCA_LINT_CRL, der, len, i ? re : rr, NULL, NULL);
    }
    der = crl_der(re, p384_a, "SHA256", &len);
    check_signed(HSMCA_LINT_CRL, der, len, re, "cabf.crl.signature_algorithm_issuer_key", NULL);
    der = crl_der(rr, rsa_a, "SHA1", &len);
    check_signed(HSMCA_LINT_CRL, der, len, rr, "cabf.crl.signature_algorithm_encoding",
                 "cabf.crl.signature_algorithm_issuer_key");
    /* RFC 5280 §5.1.1.2: tbsCertList.signature (the first copy) says SHA-384 */
    der = crl_der(rr, rsa_a, "SHA256", &len);
    for (int i = 0; i + (int)sizeof sha256rsa <= len; i++)
        if (memcmp(der + i, sha256rsa, sizeof sha256rsa) == 0) {
            der[i + 8] = 0x0c;
            break;
        }
    check_signed(HSMCA_LINT_CRL, der, len, rr, "rfc5280.crl.signature_algorithm_match", NULL);
    X509_free(rr);
    X509_free(re);
}

static void test_ocsp_signature_algorithms(void **state)
{
    X509 *rr = root_rsa(), *re = root_p384();
    uint8_t *der;
    int len = 0;

    (void)state;
    der = ocsp_der(re, p384_a, "SHA384", &len);
    check_signed(HSMCA_LINT_OCSP_RESPONSE, der, len, re, NULL, NULL);
    der = ocsp_der(rr, rsa_a, "SHA256", &len);
    check_signed(HSMCA_LINT_OCSP_RESPONSE, der, len, rr, NULL, NULL);
    der = ocsp_der(re, p384_a, "SHA256", &len);
    check_signed(HSMCA_LINT_OCSP_RESPONSE, der, len, re,
                 "cabf.ocsp.signature_algorithm_signer_key", NULL);
    der = ocsp_der(rr, rsa_a, "SHA1", &len);
    check_signed(HSMCA_LINT_OCSP_RESPONSE, der, len, rr,
                 "cabf.ocsp.signature_algorithm_encoding",
                 "cabf.ocsp.signature_algorithm_signer_key");
    X509_free(rr);
    X509_free(re);
}

static void test_signed_input(void **state)
{
    X509 *rr = root_rsa();
    /* RFC 6960 §2.3: an unsigned malformedRequest response */
    static const uint8_t error_resp[] = {0x30, 0x03, 0x0a, 0x01, 0x01};
    static const uint8_t garbage[] = {0x30, 0x05, 0x02, 0x01, 0x01};
    hsmca_lint_signed_input in = {.object = HSMCA_LINT_OCSP_RESPONSE, .der = error_resp,
                                  .der_len = sizeof error_resp, .signer = rr, .now = NOW};
    hsmca_lint_result *r = NULL;
    int len = 0;
    uint8_t *der = crl_der(rr, rsa_a, "SHA256", &len);

    (void)state;
    assert_int_equal(hsmca_lint_run_signed(&in, &r), HSMCA_OK);
    assert_int_equal(r->n, 0);
    hsmca_lint_result_free(r);
    r = NULL;
    in.object = HSMCA_LINT_CRL;
    in.der = garbage;
    in.der_len = sizeof garbage;
    assert_int_equal(hsmca_lint_run_signed(&in, &r), HSMCA_E_INPUT);
    assert_null(r);
    /* a CRL is not an OCSP response, nor the other way round */
    in.object = HSMCA_LINT_OCSP_RESPONSE;
    in.der = der;
    in.der_len = (size_t)len;
    assert_int_equal(hsmca_lint_run_signed(&in, &r), HSMCA_E_INPUT);
    in.object = HSMCA_LINT_CERTIFICATE;
    assert_int_equal(hsmca_lint_run_signed(&in, &r), HSMCA_E_USAGE);
    in.object = HSMCA_LINT_CRL;
    {
        static const char *const cert_skip[] = {"cabf.root.validity_period", NULL};

        in.skip = cert_skip;
        assert_int_equal(hsmca_lint_run_signed(&in, &r), HSMCA_E_USAGE);
        assert_non_null(strstr(hsmca_err_message(), "judges certificates, not CRLs"));
        in.skip = NULL;
    }
    in.signer = NULL;
    assert_int_equal(hsmca_lint_run_signed(&in, &r), HSMCA_E_USAGE);
    assert_null(r);
    /* the certificate runner never runs CRL or OCSP rules */
    for (size_t i = 0, n = 0; i < (hsmca_lint_rules(&n), n); i++)
        if (hsmca_lint_rules(NULL)[i].object != HSMCA_LINT_CERTIFICATE)
            assert_true(strncmp(hsmca_lint_rules(NULL)[i].id, "cabf.common.", 12) != 0);
    OPENSSL_free(der);
    X509_free(rr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_roots),
        cmocka_unit_test(test_good_root_times_are_typed),
        cmocka_unit_test(test_good_subordinates),
        cmocka_unit_test(test_good_responders),
        cmocka_unit_test(test_good_responder_with_empty_basic_constraints),
        cmocka_unit_test(test_good_precert_signer_before_sc092),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_unique_ids),
        cmocka_unit_test(test_outer_signature_algorithm_differs),
        cmocka_unit_test(test_ecdsa_with_null_parameters),
        cmocka_unit_test(test_p384_issuer_signing_with_sha256),
        cmocka_unit_test(test_sha1_is_refused),
        cmocka_unit_test(test_spki_curve_not_allowed),
        cmocka_unit_test(test_spki_rsa_pss_key),
        cmocka_unit_test(test_rsa_keys),
        cmocka_unit_test(test_rsa_exponent_one),
        cmocka_unit_test(test_issuer_name_mismatch),
        cmocka_unit_test(test_issuer_name_reencoded),
        cmocka_unit_test(test_subject_encoding),
        cmocka_unit_test(test_subject_bad_utf8),
        cmocka_unit_test(test_common_name_length),
        cmocka_unit_test(test_generalized_time_before_2050),
        cmocka_unit_test(test_utctime_for_2050),
        cmocka_unit_test(test_time_format),
        cmocka_unit_test(test_validity_order),
        cmocka_unit_test(test_serial),
        cmocka_unit_test(test_serial_not_minimal),
        cmocka_unit_test(test_extensions_common),
        cmocka_unit_test(test_aia_and_crldp_shape),
        cmocka_unit_test(test_ca_not_before_window),
        cmocka_unit_test(test_root_validity_period),
        cmocka_unit_test(test_root_validity_counts_seconds),
        cmocka_unit_test(test_subordinate_validity),
        cmocka_unit_test(test_root_profile),
        cmocka_unit_test(test_subordinate_eku),
        cmocka_unit_test(test_subordinate_policies),
        cmocka_unit_test(test_subordinate_policy_user_notice),
        cmocka_unit_test(test_subordinate_profile),
        cmocka_unit_test(test_subordinate_name_constraints),
        cmocka_unit_test(test_subordinate_technically_constrained),
        cmocka_unit_test(test_ocsp_responder),
        cmocka_unit_test(test_precert_signer_forbidden_after_sc092),
        cmocka_unit_test(test_precert_signer_profile),
        cmocka_unit_test(test_leaf_gets_the_common_rules),
        cmocka_unit_test(test_skip_unknown_id_is_usage_error),
        cmocka_unit_test(test_skip_marks_and_does_not_count),
        cmocka_unit_test(test_non_root_needs_issuer),
        cmocka_unit_test(test_result_check_message),
        cmocka_unit_test(test_catalogue),
        cmocka_unit_test(test_crl_signature_algorithms),
        cmocka_unit_test(test_ocsp_signature_algorithms),
        cmocka_unit_test(test_signed_input),
    };

    return cmocka_run_group_tests(tests, setup_keys, teardown_keys);
}
