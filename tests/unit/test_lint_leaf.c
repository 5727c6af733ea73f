/* Unit tests: the pre-issuance lint for subscriber (tls-server)
 * certificates and precertificates (src/lint/rules_leaf.c).
 *
 * Leaves are built here with plain OpenSSL calls, in the shape
 * profiles/tls-server.yaml gives them: a DV subject (commonName copied from
 * the first SAN), keyUsage, extKeyUsage serverAuth, AKI, AIA (OCSP and
 * caIssuers), CRLDP, the DV policy and subjectAltName, then the poison
 * (precertificate) or an SCT list made by OpenSSL's CT code (final). They
 * are issued by a P-256 subordinate under a P-384 root. The signing time is
 * NOW, 2026-11-28T12:00:00Z (the 200-day era), unless a test says otherwise.
 *
 * A good leaf has no error and only cabf.leaf.subject.cn_present (commonName
 * is NOT RECOMMENDED in DV, but hsmca's profile keeps it); each negative leaf
 * breaks one rule and must be caught by that rule's id and, where the fault
 * allows, nothing else. The last test checks that every leaf rule of the
 * catalogue was caught by some test here.
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
#include <openssl/ct.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "hsmca/err.h"
#include "hsmca/lint.h"

#define HOUR 3600
#define DAY 86400
#define NOW ((hsmca_time)1795867200)          /* 2026-11-28T12:00:00Z */
#define T_2026_03_01 ((hsmca_time)1772323200) /* 398-day era */
#define T_2027_03_15 ((hsmca_time)1805068800) /* 100 days; CRP serverAuth only */
#define T_2029_03_15 ((hsmca_time)1868227200) /* 47 days */
#define CA_NOW ((hsmca_time)1767225600)       /* 2026-01-01: the CAs' signing time */

#define POISON_OID "1.3.6.1.4.1.11129.2.4.3"
#define SCT_OID "1.3.6.1.4.1.11129.2.4.2"
#define CN_PRESENT "cabf.leaf.subject.cn_present"

/* ---- keys and issuers (made once) ---- */

static EVP_PKEY *root_key, *sub_key, *leaf_ec, *leaf_rsa;
static X509 *root, *sub;

static EVP_PKEY *gen_ec(const char *curve)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);

    assert_non_null(k);
    return k;
}

/* A public RSA key with this modulus and exponent 65537: the lint reads
 * the SPKI only. */
static EVP_PKEY *rsa_from_n(const BIGNUM *n)
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    BIGNUM *e = BN_new();
    OSSL_PARAM *params;
    EVP_PKEY *k = NULL;

    assert_true(BN_set_word(e, 65537));
    assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
                OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e));
    params = OSSL_PARAM_BLD_to_param(bld);
    assert_non_null(params);
    assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
    assert_int_equal(EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params), 1);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(ctx);
    BN_free(e);
    return k;
}

static void set_time(X509 *x, int which, hsmca_time t)
{
    ASN1_TIME *a = ASN1_TIME_set(NULL, (time_t)t);

    assert_non_null(a);
    assert_true(which == 0 ? X509_set1_notBefore(x, a) : X509_set1_notAfter(x, a));
    ASN1_TIME_free(a);
}

static void set_serial(X509 *x)
{
    BIGNUM *bn = NULL;
    ASN1_INTEGER *ai;

    assert_true(BN_hex2bn(&bn, "5A0C33F1E2D4B6A8917F6E5D4C3B2A19") > 0); /* 16 octets */
    ai = BN_to_ASN1_INTEGER(bn, NULL);
    assert_non_null(ai);
    assert_true(X509_set_serialNumber(x, ai));
    ASN1_INTEGER_free(ai);
    BN_free(bn);
}

/* Add an extension from an OpenSSL config value, at loc (-1: last). */
static void ext_conf_at(X509 *x, X509 *issuer, int nid, const char *value, int loc)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;

    X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ext == NULL)
        fail_msg("cannot make %s = %s", OBJ_nid2sn(nid), value);
    assert_true(X509_add_ext(x, ext, loc));
    X509_EXTENSION_free(ext);
}

static void ext_conf(X509 *x, int nid, const char *value)
{
    ext_conf_at(x, sub, nid, value, -1);
}

static int del_ext(X509 *x, int nid)
{
    int loc = X509_get_ext_by_NID(x, nid, -1);

    if (loc >= 0)
        X509_EXTENSION_free(X509_delete_ext(x, loc));
    return loc;
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

/* An extension with raw extnValue contents: replacing the first one with
 * this OID in place (or adding it last), or, with append, always adding. */
static void ext_raw(X509 *x, const char *oid, int crit, const uint8_t *v, size_t n, int append)
{
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    X509_EXTENSION *ext;
    int loc = -1;

    assert_non_null(obj);
    assert_true(ASN1_OCTET_STRING_set(os, v, (int)n));
    ext = X509_EXTENSION_create_by_OBJ(NULL, obj, crit, os);
    assert_non_null(ext);
    if (!append) {
        loc = X509_get_ext_by_OBJ(x, obj, -1);
        if (loc >= 0)
            X509_EXTENSION_free(X509_delete_ext(x, loc));
    }
    assert_true(X509_add_ext(x, ext, loc));
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(obj);
}

static void ext_hex(X509 *x, const char *oid, int crit, const char *hex, int append)
{
    size_t n;
    uint8_t *v = unhex(hex, &n);

    ext_raw(x, oid, crit, v, n, append);
    free(v);
}

static void sign_with(X509 *x, EVP_PKEY *k)
{
    const char *md = EVP_PKEY_get_bits(k) == 384 ? "SHA384" : "SHA256";

    assert_true(X509_sign(x, k, EVP_get_digestbyname(md)) > 0);
}

static X509_NAME *ca_name(const char *cn)
{
    X509_NAME *n = X509_NAME_new();

    assert_true(X509_NAME_add_entry_by_NID(n, NID_countryName, V_ASN1_PRINTABLESTRING,
                                           (const unsigned char *)"XX", -1, -1, 0));
    assert_true(X509_NAME_add_entry_by_NID(n, NID_organizationName, V_ASN1_UTF8STRING,
                                           (const unsigned char *)"hsmca test", -1, -1, 0));
    assert_true(X509_NAME_add_entry_by_NID(n, NID_commonName, V_ASN1_UTF8STRING,
                                           (const unsigned char *)cn, -1, -1, 0));
    return n;
}

/* certificatePolicies { 2.23.140.1.2.1 } */
#define CP_DV "300a3008060667810c010201"

typedef void ca_mutate_fn(X509 *x);

/* The root (issuer NULL) or the P-256 subordinate, as test_lint.c builds
 * them, with an optional fault. */
static X509 *make_ca(EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, ca_mutate_fn *m)
{
    X509 *x = X509_new();
    X509_NAME *n = ca_name(issuer == NULL ? "hsmca Test Root" : "hsmca Test Issuing CA");

    assert_true(X509_set_version(x, X509_VERSION_3));
    set_serial(x);
    assert_true(X509_set_subject_name(x, n));
    assert_true(X509_set_issuer_name(x, issuer == NULL ? n : X509_get_subject_name(issuer)));
    X509_NAME_free(n);
    set_time(x, 0, CA_NOW);
    set_time(x, 1, CA_NOW + (hsmca_time)(issuer == NULL ? 9131 : 1095) * DAY - 1);
    assert_true(X509_set_pubkey(x, key));
    if (issuer == NULL) {
        ext_conf_at(x, NULL, NID_basic_constraints, "critical,CA:TRUE", -1);
        ext_conf_at(x, NULL, NID_key_usage, "critical,keyCertSign,cRLSign", -1);
        ext_conf_at(x, NULL, NID_subject_key_identifier, "hash", -1);
        ext_conf_at(x, NULL, NID_authority_key_identifier, "keyid:always", -1);
    } else {
        ext_conf_at(x, issuer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0", -1);
        ext_conf_at(x, issuer, NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign",
                    -1);
        ext_conf_at(x, issuer, NID_ext_key_usage, "serverAuth", -1);
        ext_conf_at(x, issuer, NID_subject_key_identifier, "hash", -1);
        ext_conf_at(x, issuer, NID_authority_key_identifier, "keyid:always", -1);
        ext_conf_at(x, issuer, NID_info_access,
                    "caIssuers;URI:http://127.0.0.1:8080/ca/root.der", -1);
        ext_conf_at(x, issuer, NID_crl_distribution_points,
                    "URI:http://127.0.0.1:8080/crl/root.crl", -1);
        ext_hex(x, "2.5.29.32", 0, CP_DV, 0);
    }
    if (m != NULL)
        m(x);
    sign_with(x, issuer_key != NULL ? issuer_key : key);
    return x;
}

static int setup(void **state)
{
    (void)state;
    root_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    sub_key = gen_ec("P-256");
    leaf_ec = gen_ec("P-256");
    leaf_rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    assert_non_null(root_key);
    assert_non_null(leaf_rsa);
    root = make_ca(root_key, NULL, NULL, NULL);
    sub = make_ca(sub_key, root, root_key, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    X509_free(sub);
    X509_free(root);
    EVP_PKEY_free(root_key);
    EVP_PKEY_free(sub_key);
    EVP_PKEY_free(leaf_ec);
    EVP_PKEY_free(leaf_rsa);
    return 0;
}

/* ---- SCT lists ---- */

static const uint8_t fake_ecdsa_sig[] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01};

/* An SCT list of n SCTs made by OpenSSL's CT code (an encoder we did not
 * write), each signed "at" ts: well-formed, though the signatures are not
 * real (the lint does not verify them). */
static void add_scts(X509 *x, int n, hsmca_time ts, int crit)
{
    STACK_OF(SCT) *scts = sk_SCT_new_null();

    assert_non_null(scts);
    for (int i = 0; i < n; i++) {
        SCT *sct = SCT_new();
        unsigned char id[32];

        memset(id, 0x11 * (i + 1), sizeof id);
        assert_non_null(sct);
        assert_int_equal(SCT_set_version(sct, SCT_VERSION_V1), 1);
        assert_int_equal(SCT_set1_log_id(sct, id, sizeof id), 1);
        SCT_set_timestamp(sct, (uint64_t)ts * 1000u + (uint64_t)i);
        assert_int_equal(SCT_set_signature_nid(sct, NID_ecdsa_with_SHA256), 1);
        assert_int_equal(SCT_set1_signature(sct, fake_ecdsa_sig, sizeof fake_ecdsa_sig), 1);
        assert_true(sk_SCT_push(scts, sct) > 0);
    }
    assert_int_equal(X509_add1_ext_i2d(x, NID_ct_precert_scts, scts, crit, X509V3_ADD_APPEND),
                     1);
    SCT_LIST_free(scts);
}

/* A hand-made SCT list, for the malformed ones: a byte buffer. */
typedef struct bytes {
    uint8_t b[512];
    size_t n;
} bytes;

static void put(bytes *o, const void *p, size_t n)
{
    assert_true(o->n + n <= sizeof o->b);
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

static void put8(bytes *o, unsigned v)
{
    uint8_t b = (uint8_t)v;

    put(o, &b, 1);
}

static void put16(bytes *o, unsigned v)
{
    put8(o, v >> 8);
    put8(o, v & 0xff);
}

/* One SCT v1; sig_len_delta skews the signature's length field. */
static void put_sct(bytes *o, unsigned version, unsigned hash, unsigned sig, int sig_len_delta,
                    const uint8_t *sigv, size_t sig_n)
{
    uint8_t id[32];
    uint64_t ts = (uint64_t)(NOW - HOUR) * 1000u;

    memset(id, 0x33, sizeof id);
    put8(o, version);
    put(o, id, sizeof id);
    for (int i = 7; i >= 0; i--)
        put8(o, (unsigned)(ts >> (8 * i)) & 0xff);
    put16(o, 0); /* no extensions */
    put8(o, hash);
    put8(o, sig);
    put16(o, (unsigned)((int)sig_n + sig_len_delta));
    put(o, sigv, sig_n);
}

/* A list holding one SCT (entry_delta skews the entry's length field,
 * list_delta the list's), as the extnValue: wrapped in an OCTET STRING
 * unless raw. */
static void sct_list_ext(X509 *x, const bytes *sct, int entry_delta, int list_delta, int raw)
{
    bytes list = {0}, ext = {0};

    put16(&list, (unsigned)((int)sct->n + 2 + list_delta));
    if (sct->n > 0) {
        put16(&list, (unsigned)((int)sct->n + entry_delta));
        put(&list, sct->b, sct->n);
    }
    if (raw) {
        ext = list;
    } else {
        assert_true(list.n < 0x80);
        put8(&ext, 0x04);
        put8(&ext, (unsigned)list.n);
        put(&ext, list.b, list.n);
    }
    ext_raw(x, SCT_OID, 0, ext.b, ext.n, 0);
}

/* ---- building leaves ---- */

typedef struct leaf leaf;
typedef void mutate_fn(X509 *x, const leaf *l);

/* A subscriber certificate; every field's zero value is the good default. */
struct leaf {
    EVP_PKEY *key;        /* NULL: leaf_ec (P-256) */
    int precert;          /* 1: poison; 0: final with two SCTs */
    hsmca_time now;       /* signing time; 0: NOW */
    hsmca_time nb;        /* notBefore; 0: now - 1 h (the profile's backdating) */
    hsmca_time period;    /* BR 6.3.2 period in seconds; 0: 199 days */
    const char *cn;       /* commonName; NULL: "www.example.com", "": none */
    int country;          /* add countryName XX */
    const char *org;      /* add organizationName (not DV) */
    const char *san;      /* SAN config; NULL: www.example.com and example.com */
    const char *ku;       /* keyUsage config; NULL: critical,digitalSignature; "": none */
    const char *eku;      /* extKeyUsage config; NULL: serverAuth; "": none */
    const char *aia;      /* AIA config; NULL: OCSP + caIssuers; "": none */
    int no_crldp;         /* leave out cRLDistributionPoints */
    const char *cp;       /* certificatePolicies DER hex; NULL: CP_DV; "": none */
    mutate_fn *mutate;    /* the fault, applied before signing */
    const void *arg;      /* for the mutator */
};

static hsmca_time leaf_now(const leaf *l)
{
    return l->now ? l->now : NOW;
}

static X509 *make_leaf(const leaf *l)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    EVP_PKEY *key = l->key != NULL ? l->key : leaf_ec;
    hsmca_time now = leaf_now(l), nb = l->nb ? l->nb : now - HOUR;
    hsmca_time period = l->period ? l->period : (hsmca_time)199 * DAY;
    const char *cn = l->cn != NULL ? l->cn : "www.example.com";
    int empty;

    assert_non_null(x);
    assert_true(X509_set_version(x, X509_VERSION_3));
    set_serial(x);
    assert_true(X509_set_issuer_name(x, X509_get_subject_name(sub)));
    if (l->country)
        assert_true(X509_NAME_add_entry_by_NID(name, NID_countryName, V_ASN1_PRINTABLESTRING,
                                               (const unsigned char *)"XX", -1, -1, 0));
    if (l->org != NULL)
        assert_true(X509_NAME_add_entry_by_NID(name, NID_organizationName, V_ASN1_UTF8STRING,
                                               (const unsigned char *)l->org, -1, -1, 0));
    if (cn[0] != '\0')
        assert_true(X509_NAME_add_entry_by_NID(name, NID_commonName, V_ASN1_UTF8STRING,
                                               (const unsigned char *)cn, -1, -1, 0));
    empty = X509_NAME_entry_count(name) == 0;
    assert_true(X509_set_subject_name(x, name));
    X509_NAME_free(name);
    set_time(x, 0, nb);
    set_time(x, 1, nb + period - 1);
    assert_true(X509_set_pubkey(x, key));

    /* profiles/tls-server.yaml order */
    if (l->ku == NULL || l->ku[0] != '\0')
        ext_conf(x, NID_key_usage, l->ku != NULL ? l->ku : "critical,digitalSignature");
    if (l->eku == NULL || l->eku[0] != '\0')
        ext_conf(x, NID_ext_key_usage, l->eku != NULL ? l->eku : "serverAuth");
    ext_conf(x, NID_authority_key_identifier, "keyid:always");
    if (l->aia == NULL || l->aia[0] != '\0')
        ext_conf(x, NID_info_access,
                 l->aia != NULL ? l->aia
                                : "OCSP;URI:http://127.0.0.1:8080/ocsp/sub,"
                                  "caIssuers;URI:http://127.0.0.1:8080/ca/sub.der");
    if (!l->no_crldp)
        ext_conf(x, NID_crl_distribution_points, "URI:http://127.0.0.1:8080/crl/sub.crl");
    if (l->cp == NULL || l->cp[0] != '\0')
        ext_hex(x, "2.5.29.32", 0, l->cp != NULL ? l->cp : CP_DV, 0);
    if (l->san == NULL || l->san[0] != '\0') {
        char conf[1200];

        /* RFC 5280 §4.2.1.6, BR 7.1.2.7.12: critical iff the subject is empty */
        snprintf(conf, sizeof conf, "%s%s", empty ? "critical," : "",
                 l->san != NULL ? l->san : "DNS:www.example.com,DNS:example.com");
        ext_conf(x, NID_subject_alt_name, conf);
    }
    if (l->precert)
        ext_hex(x, POISON_OID, 1, "0500", 0);
    else
        add_scts(x, 2, now - 10 * 60, 0);
    if (l->mutate != NULL)
        l->mutate(x, l);
    sign_with(x, sub_key);
    return x;
}

/* ---- linting and expectations ---- */

/* Rule ids some test here expected (test_every_leaf_rule_is_exercised). */
static const char *seen[128];
static size_t n_seen;

static void saw(const char *id)
{
    for (size_t i = 0; i < n_seen; i++)
        if (strcmp(seen[i], id) == 0)
            return;
    assert_true(n_seen < sizeof seen / sizeof seen[0]);
    seen[n_seen++] = id;
}

static hsmca_lint_result *lint_as(X509 *x, hsmca_profile_kind kind, X509 *issuer,
                                  hsmca_time now, int precert)
{
    hsmca_lint_input in = {0};
    hsmca_lint_result *r = NULL;

    in.cert = x;
    in.kind = kind;
    in.issuer = issuer;
    in.now = now;
    in.precert = precert;
    if (hsmca_lint_run(&in, &r) != HSMCA_OK)
        fail_msg("lint failed: %s", hsmca_err_message());
    assert_non_null(r);
    return r;
}

static hsmca_lint_result *lint_leaf(X509 *x, const leaf *l)
{
    return lint_as(x, HSMCA_PROFILE_TLS_SERVER, sub, leaf_now(l), l->precert);
}

static void dump(const hsmca_lint_result *r)
{
    for (size_t i = 0; i < r->n; i++)
        print_message("  %s: %s\n", r->findings[i].rule->id, r->findings[i].message);
}

static int has(const hsmca_lint_result *r, const char *id)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->findings[i].rule->id, id) == 0)
            return 1;
    return 0;
}

/* Every error or warning is `id` (or the commonName warning every leaf
 * with a commonName has), and `id` is there. */
static void expect_only(const hsmca_lint_result *r, const char *id)
{
    const hsmca_lint_rule *rule = hsmca_lint_rule_find(id);
    int found = 0;

    assert_non_null(rule);
    for (size_t i = 0; i < r->n; i++) {
        const hsmca_lint_finding *f = &r->findings[i];

        if (f->rule->level == HSMCA_LINT_NOTICE || strcmp(f->rule->id, CN_PRESENT) == 0)
            continue;
        if (strcmp(f->rule->id, id) != 0) {
            dump(r);
            fail_msg("expected only %s, also got %s: %s", id, f->rule->id, f->message);
        }
        assert_true(f->message[0] != '\0');
        found = 1;
    }
    if (!found && !(strcmp(id, CN_PRESENT) == 0 && has(r, id))) {
        dump(r);
        fail_msg("expected %s, not reported", id);
    }
    assert_int_equal(rule->level == HSMCA_LINT_ERROR ? r->errors > 0 : r->errors == 0, 1);
    saw(id);
}

static void expect_has(const hsmca_lint_result *r, const char *id)
{
    if (!has(r, id)) {
        dump(r);
        fail_msg("expected %s, not reported", id);
    }
    saw(id);
}

/* No error, and no warning but the commonName one. */
static void expect_good(const hsmca_lint_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        const hsmca_lint_finding *f = &r->findings[i];

        if (f->rule->level != HSMCA_LINT_NOTICE && strcmp(f->rule->id, CN_PRESENT) != 0) {
            dump(r);
            fail_msg("expected a good certificate, got %s: %s", f->rule->id, f->message);
        }
    }
    assert_int_equal(r->errors, 0);
}

static void check_only(const leaf *l, const char *id)
{
    X509 *x = make_leaf(l);
    hsmca_lint_result *r = lint_leaf(x, l);

    expect_only(r, id);
    hsmca_lint_result_free(r);
    X509_free(x);
}

/* The same fault in the precertificate and in the final certificate. */
static void both_only(const leaf *l, const char *id)
{
    leaf v = *l;

    for (v.precert = 0; v.precert <= 1; v.precert++)
        check_only(&v, id);
}

static void check_has(const leaf *l, const char *id)
{
    X509 *x = make_leaf(l);
    hsmca_lint_result *r = lint_leaf(x, l);

    expect_has(r, id);
    hsmca_lint_result_free(r);
    X509_free(x);
}

static void check_good(const leaf *l)
{
    X509 *x = make_leaf(l);
    hsmca_lint_result *r = lint_leaf(x, l);

    expect_good(r);
    hsmca_lint_result_free(r);
    X509_free(x);
}

static void both_good(const leaf *l)
{
    leaf v = *l;

    for (v.precert = 0; v.precert <= 1; v.precert++)
        check_good(&v);
}

/* ---- good certificates ---- */

static void test_good_precert_and_final(void **state)
{
    EVP_PKEY *keys[] = {leaf_ec, leaf_rsa};

    (void)state;
    for (size_t k = 0; k < 2; k++) {
        for (int pc = 0; pc <= 1; pc++) {
            leaf l = {.key = keys[k], .precert = pc};
            X509 *x = make_leaf(&l);
            hsmca_lint_result *r = lint_leaf(x, &l);

            /* Zero errors; the only warning is the DV commonName one. */
            assert_int_equal(r->errors, 0);
            assert_int_equal(r->warnings, 1);
            expect_only(r, CN_PRESENT);
            /* Precertificate: critical poison; final: a non-critical SCT
             * list, as openssl x509 -text shows them. */
            assert_int_equal(X509_get_ext_by_NID(x, pc ? NID_ct_precert_poison
                                                       : NID_ct_precert_scts,
                                                 -1) >= 0,
                             1);
            hsmca_lint_result_free(r);
            X509_free(x);
        }
    }
}

static void test_good_without_common_name(void **state)
{
    (void)state;
    /* Empty subject, critical SAN (the modern DV shape): no finding at all. */
    {
        leaf l = {.cn = ""};
        X509 *x = make_leaf(&l);
        hsmca_lint_result *r = lint_leaf(x, &l);

        assert_int_equal(r->errors + r->warnings, 0);
        hsmca_lint_result_free(r);
        X509_free(x);
    }
    /* countryName only (BR 7.1.2.7.2: MAY) */
    {
        leaf l = {.cn = "", .country = 1, .precert = 1};
        X509 *x = make_leaf(&l);
        hsmca_lint_result *r = lint_leaf(x, &l);

        assert_int_equal(r->errors + r->warnings, 0);
        hsmca_lint_result_free(r);
        X509_free(x);
    }
}

static void test_good_variants(void **state)
{
    EVP_PKEY *p384 = gen_ec("P-384");

    (void)state;
    /* P-384 subscriber key */
    both_good(&(leaf){.key = p384});
    /* Wildcard, IDN P-label, public IPv4 and IPv6 addresses, and a
     * commonName that copies each of them as BR 7.1.4.3 writes it. */
    both_good(&(leaf){.san = "DNS:*.example.com,DNS:xn--bcher-kva.example.com",
                      .cn = "*.example.com"});
    both_good(&(leaf){.san = "DNS:www.example.com,IP:8.8.8.8", .cn = "8.8.8.8"});
    both_good(&(leaf){.san = "IP:2606:4700::1111", .cn = "2606:4700::1111"});
    /* countryName with the commonName */
    both_good(&(leaf){.country = 1});
    /* No CRLDP, but an OCSP URL (BR 7.1.2.11.2) */
    both_good(&(leaf){.no_crldp = 1});
    /* The DV policy plus a CA-defined one, reserved first (BR 7.1.2.7.9) */
    both_good(&(leaf){.cp = "3016" "3008060667810c010201" "300a06082b06010401827a01"});
    /* An OV policy with an O in the subject: the DV subject rule stands
     * back (OV subjects are not judged). */
    both_good(&(leaf){.cp = "300a3008060667810c010202", .org = "Example Org", .country = 1});
    /* A final certificate MAY omit the SCT list */
    {
        leaf l = {0};
        X509 *x = make_leaf(&l), *y = X509_dup(x);
        hsmca_lint_result *r;

        X509_free(x);
        del_ext(y, NID_ct_precert_scts);
        sign_with(y, sub_key);
        r = lint_leaf(y, &l);
        expect_good(r);
        hsmca_lint_result_free(r);
        X509_free(y);
    }
    EVP_PKEY_free(p384);
}

static void m_bc_ca_false(X509 *x, const leaf *l)
{
    (void)l;
    ext_conf(x, NID_basic_constraints, "critical,CA:FALSE");
}

static void test_good_basic_constraints(void **state)
{
    (void)state;
    both_good(&(leaf){.mutate = m_bc_ca_false});
}

/* ---- validity: BR 6.3.2 (SC-081), 7.1.2.7 ---- */

static void test_validity_200_days(void **state)
{
    (void)state;
    /* 2026-11-28: at most 200 days, SHOULD 199 */
    both_good(&(leaf){.period = 199 * DAY});
    both_only(&(leaf){.period = 200 * DAY}, "cabf.leaf.validity.period_margin");
    both_only(&(leaf){.period = 200 * DAY + 1}, "cabf.leaf.validity.period");
    /* the last second before 2027-03-15 still allows 200 */
    both_only(&(leaf){.now = T_2027_03_15 - 1, .period = 200 * DAY},
              "cabf.leaf.validity.period_margin");
}

static void test_validity_100_days_from_2027(void **state)
{
    (void)state;
    both_good(&(leaf){.now = T_2027_03_15, .period = 99 * DAY});
    {
        /* 100 days at 2027-03-15: no error (the SHOULD margin warns) */
        leaf l = {.now = T_2027_03_15, .period = 100 * DAY};
        X509 *x = make_leaf(&l);
        hsmca_lint_result *r = lint_leaf(x, &l);

        assert_int_equal(r->errors, 0);
        expect_only(r, "cabf.leaf.validity.period_margin");
        hsmca_lint_result_free(r);
        X509_free(x);
    }
    both_only(&(leaf){.now = T_2027_03_15, .period = 101 * DAY}, "cabf.leaf.validity.period");
    both_only(&(leaf){.now = T_2027_03_15, .period = 100 * DAY + 1},
              "cabf.leaf.validity.period");
}

static void test_validity_47_days_from_2029(void **state)
{
    (void)state;
    both_good(&(leaf){.now = T_2029_03_15, .period = 46 * DAY});
    both_only(&(leaf){.now = T_2029_03_15, .period = 47 * DAY},
              "cabf.leaf.validity.period_margin");
    both_only(&(leaf){.now = T_2029_03_15, .period = 47 * DAY + 1}, "cabf.leaf.validity.period");
    /* the day before, 100 days were still fine */
    both_only(&(leaf){.now = T_2029_03_15 - DAY, .period = 100 * DAY},
              "cabf.leaf.validity.period_margin");
}

static void test_validity_398_days_before_2026_03_15(void **state)
{
    (void)state;
    both_good(&(leaf){.now = T_2026_03_01, .period = 397 * DAY});
    both_only(&(leaf){.now = T_2026_03_01, .period = 399 * DAY}, "cabf.leaf.validity.period");
}

static void test_not_before(void **state)
{
    (void)state;
    /* BR 7.1.2.7: within 48 hours of signing (the final inherits the
     * precertificate's notBefore, so a late final shows up here) */
    both_good(&(leaf){.nb = NOW - 47 * HOUR});
    both_only(&(leaf){.nb = NOW - 48 * HOUR - 1}, "cabf.leaf.validity.not_before_window");
    both_only(&(leaf){.nb = NOW + 2 * HOUR}, "cabf.leaf.validity.not_before_future");
    {
        leaf l = {.nb = NOW + 49 * HOUR};

        check_has(&l, "cabf.leaf.validity.not_before_window");
        check_has(&l, "cabf.leaf.validity.not_before_future");
    }
}

static void test_short_lived(void **state)
{
    (void)state;
    /* BR 7.1.2.11.2: CRLDP may be left out of a short-lived certificate
     * (7 days from 2026-03-15, 10 before) or one with an OCSP URL. */
    both_good(&(leaf){.period = 7 * DAY, .no_crldp = 1,
                      .aia = "caIssuers;URI:http://127.0.0.1:8080/ca/sub.der"});
    both_only(&(leaf){.period = 7 * DAY + 1, .no_crldp = 1,
                      .aia = "caIssuers;URI:http://127.0.0.1:8080/ca/sub.der"},
              "cabf.leaf.crldp.missing");
    both_only(&(leaf){.period = 10 * DAY, .no_crldp = 1,
                      .aia = "caIssuers;URI:http://127.0.0.1:8080/ca/sub.der"},
              "cabf.leaf.crldp.missing");
    both_good(&(leaf){.now = T_2026_03_01, .period = 10 * DAY, .no_crldp = 1,
                      .aia = "caIssuers;URI:http://127.0.0.1:8080/ca/sub.der"});
}

/* ---- subject: BR 7.1.2.7.2, 7.1.4.3 ---- */

static void test_subject(void **state)
{
    (void)state;
    both_only(&(leaf){.org = "Example Org"}, "cabf.leaf.subject.dv_attributes");
    both_only(&(leaf){.cn = "other.example.com"}, "cabf.leaf.subject.cn_in_san");
    /* character for character: case counts */
    both_only(&(leaf){.cn = "WWW.example.com"}, "cabf.leaf.subject.cn_in_san");
    /* RFC 5952 text only */
    both_only(&(leaf){.san = "IP:2606:4700::1111", .cn = "2606:4700:0:0:0:0:0:1111"},
              "cabf.leaf.subject.cn_in_san");
}

/* ---- subjectAltName: BR 7.1.2.7.12 ---- */

static void m_no_san(X509 *x, const leaf *l)
{
    (void)l;
    del_ext(x, NID_subject_alt_name);
}

static void m_san_flip_critical(X509 *x, const leaf *l)
{
    int loc = X509_get_ext_by_NID(x, NID_subject_alt_name, -1);

    (void)l;
    assert_true(loc >= 0);
    X509_EXTENSION_set_critical(X509_get_ext(x, loc), !X509_EXTENSION_get_critical(
                                                          X509_get_ext(x, loc)));
}

/* A SAN from raw GeneralName bytes (l->arg, a bytes *), not critical. */
static void m_san_raw(X509 *x, const leaf *l)
{
    const bytes *names = l->arg;
    bytes seq = {0};

    assert_true(names->n < 0x80);
    put8(&seq, 0x30);
    put8(&seq, (unsigned)names->n);
    put(&seq, names->b, names->n);
    ext_raw(x, "2.5.29.17", 0, seq.b, seq.n, 0);
}

static void put_gn(bytes *o, unsigned tag, const void *p, size_t n)
{
    assert_true(n < 0x80);
    put8(o, tag);
    put8(o, (unsigned)n);
    put(o, p, n);
}

static void test_san_presence_and_types(void **state)
{
    (void)state;
    both_only(&(leaf){.cn = "", .mutate = m_no_san}, "cabf.leaf.san.missing");
    {
        leaf l = {.cn = "", .san = "email:admin@example.com"};

        check_has(&l, "cabf.leaf.san.missing");
        check_has(&l, "cabf.leaf.san.name_type");
    }
    both_only(&(leaf){.san = "DNS:www.example.com,URI:http://www.example.com/"},
              "cabf.leaf.san.name_type");
    both_only(&(leaf){.san = "DNS:www.example.com,email:admin@example.com"},
              "cabf.leaf.san.name_type");
    /* critical iff the subject is empty */
    both_only(&(leaf){.mutate = m_san_flip_critical}, "cabf.leaf.san.critical");
    both_only(&(leaf){.cn = "", .mutate = m_san_flip_critical}, "cabf.leaf.san.critical");
}

static void test_san_dns_syntax(void **state)
{
    static const char *const bad[] = {
        "DNS:www.example.com,DNS:exa_mple.com",      /* underscore (BR: LDH only) */
        "DNS:www.example.com,DNS:-bad.example.com",  /* leading hyphen */
        "DNS:www.example.com,DNS:bad-.example.com",  /* trailing hyphen */
        "DNS:www.example.com,DNS:www..example.com",  /* empty label */
        "DNS:www.example.com,DNS:ab--cd.example.com", /* reserved LDH label */
        "DNS:www.example.com,DNS:xn--a-.example.com", /* XN-label, not a P-label */
        "DNS:www.example.com,DNS:xn--99999999.example.com", /* Punycode overflow */
        "DNS:www.example.com,DNS:www.example.123",   /* all-numeric TLD */
        "DNS:www.example.com,DNS:192.0.2.1",         /* an address as a dNSName */
    };
    char conf[400], label[70];

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        both_only(&(leaf){.san = bad[i]}, "cabf.leaf.san.syntax");
    /* a 64-character label */
    memset(label, 'a', 64);
    label[64] = '\0';
    snprintf(conf, sizeof conf, "DNS:www.example.com,DNS:%s.example.com", label);
    both_only(&(leaf){.san = conf}, "cabf.leaf.san.syntax");
    /* 63-character labels and 253 characters in all are fine; 254 are not */
    {
        char l57[58];

        memset(l57, 'b', 57);
        l57[57] = '\0';
        label[63] = '\0';
        snprintf(conf, sizeof conf, "DNS:www.example.com,DNS:%s.%s.%s.%s.com", label, label,
                 label, l57);
        assert_int_equal(strlen(conf) - strlen("DNS:www.example.com,DNS:"), 253);
        both_good(&(leaf){.san = conf});
        snprintf(conf, sizeof conf, "DNS:www.example.com,DNS:%s.%s.%s.%sb.com", label, label,
                 label, l57);
        both_only(&(leaf){.san = conf}, "cabf.leaf.san.syntax");
    }
    /* non-ASCII octets and a 5-octet iPAddress: raw GeneralNames */
    {
        static const char dns[] = "www.example.com", idn[] = "b\xc3\xbc" "cher.example.com";
        static const uint8_t ip5[] = {1, 2, 3, 4, 5};
        bytes a = {0}, b = {0};

        put_gn(&a, 0x82, dns, strlen(dns));
        put_gn(&a, 0x82, idn, strlen(idn));
        both_only(&(leaf){.mutate = m_san_raw, .arg = &a}, "cabf.leaf.san.syntax");
        put_gn(&b, 0x82, dns, strlen(dns));
        put_gn(&b, 0x87, ip5, sizeof ip5);
        both_only(&(leaf){.mutate = m_san_raw, .arg = &b}, "cabf.leaf.san.syntax");
    }
}

static void test_san_trailing_dot(void **state)
{
    (void)state;
    both_only(&(leaf){.san = "DNS:www.example.com,DNS:example.org."},
              "cabf.leaf.san.trailing_dot");
}

static void test_san_wildcard(void **state)
{
    static const char *const bad[] = {
        "DNS:www.example.com,DNS:*.com",             /* directly on a TLD */
        "DNS:www.example.com,DNS:w*.example.com",    /* partial label */
        "DNS:www.example.com,DNS:www.*.example.com", /* not leftmost */
        "DNS:www.example.com,DNS:*.*.example.com",   /* twice */
    };

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        both_only(&(leaf){.san = bad[i]}, "cabf.leaf.san.wildcard");
    /* a bare "*" is a single label too */
    check_has(&(leaf){.san = "DNS:www.example.com,DNS:*"}, "cabf.leaf.san.wildcard");
}

static void test_san_internal_names(void **state)
{
    static const char *const bad[] = {
        "DNS:www.example.com,DNS:www.example.test", /* RFC 2606: not delegated */
        "DNS:www.example.com,DNS:intranet",         /* a single label */
        "DNS:www.example.com,DNS:printer.LAN",
        "DNS:www.example.com,DNS:host.local",
        "DNS:www.example.com,DNS:localhost",
        "DNS:www.example.com,DNS:db.corp",
        "DNS:www.example.com,DNS:router.home.arpa",
        "DNS:www.example.com,DNS:home.arpa",
        "DNS:www.example.com,DNS:svc.internal",
        "DNS:www.example.com,DNS:*.example.test",
    };

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        both_only(&(leaf){.san = bad[i]}, "cabf.leaf.san.internal_name");
    /* a test deployment skips the rule by name: still reported, not counted */
    {
        static const char *const skip[] = {"cabf.leaf.san.internal_name", NULL};
        leaf l = {.san = "DNS:ca.example.test", .cn = "ca.example.test"};
        X509 *x = make_leaf(&l);
        hsmca_lint_input in = {0};
        hsmca_lint_result *r = NULL;

        in.cert = x;
        in.kind = HSMCA_PROFILE_TLS_SERVER;
        in.issuer = sub;
        in.now = NOW;
        in.skip = skip;
        assert_int_equal(hsmca_lint_run(&in, &r), HSMCA_OK);
        assert_int_equal(r->errors, 0);
        assert_int_equal(r->skipped, 1);
        assert_int_equal(hsmca_lint_result_check(r), HSMCA_OK);
        hsmca_lint_result_free(r);
        X509_free(x);
    }
}

static void test_san_reserved_ips(void **state)
{
    static const char *const bad[] = {
        "IP:10.0.0.1",     "IP:127.0.0.1",   "IP:0.1.2.3",       "IP:169.254.1.1",
        "IP:172.16.5.4",   "IP:172.31.255.255", "IP:192.168.1.1", "IP:100.64.0.1",
        "IP:192.0.2.1",    "IP:198.51.100.7", "IP:203.0.113.9",   "IP:198.19.0.1",
        "IP:224.0.0.1",    "IP:255.255.255.255", "IP:::1",        "IP:::",
        "IP:fe80::1",      "IP:fd00::1",      "IP:ff02::1",       "IP:2001:db8::1",
        "IP:::ffff:8.8.8.8", "IP:64:ff9b::808:808", "IP:2002:808:808::1", "IP:3fff::1",
    };
    char conf[80];

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(conf, sizeof conf, "DNS:www.example.com,%s", bad[i]);
        both_only(&(leaf){.san = conf}, "cabf.leaf.san.reserved_ip");
    }
    /* the edges of 172.16.0.0/12 and 100.64.0.0/10 */
    both_good(&(leaf){.san = "DNS:www.example.com,IP:172.32.0.1,IP:100.128.0.1,"
                             "IP:172.15.255.255,IP:2001:4860:4860::8888"});
}

/* ---- keys: BR 6.1.1.3, 6.1.5 ---- */

/* A 1024-bit prime of Infineon RSALib's shape (ROCA, CVE-2017-15361):
 * k*M + (65537^a mod M), M the product of the primes 3..167. Its top two
 * bits are set, so the product of two is 2048 bits long. */
static BIGNUM *roca_prime(BN_CTX *ctx, unsigned long a)
{
    static const unsigned long small[] = {3,   5,   7,   11,  13,  17,  19,  23,  29,  31,
                                          37,  41,  43,  47,  53,  59,  61,  67,  71,  73,
                                          79,  83,  89,  97,  101, 103, 107, 109, 113, 127,
                                          131, 137, 139, 149, 151, 157, 163, 167};
    BIGNUM *m = BN_new(), *g = BN_new(), *e = BN_new(), *x = BN_new(), *k = BN_new();
    BIGNUM *p = BN_new();

    assert_true(BN_one(m) && BN_set_word(e, 65537) && BN_set_word(x, a));
    for (size_t i = 0; i < sizeof small / sizeof small[0]; i++)
        assert_true(BN_mul_word(m, small[i]));
    assert_true(BN_mod_exp(g, e, x, m, ctx));
    do { /* M is odd: adding it once more makes an even p odd */
        assert_true(BN_rand(k, 1025 - BN_num_bits(m), BN_RAND_TOP_TWO, BN_RAND_BOTTOM_ANY) &&
                    BN_mul(p, k, m, ctx) && BN_add(p, p, g));
        if (!BN_is_odd(p))
            assert_true(BN_add(p, p, m));
    } while (BN_num_bits(p) != 1024 || !BN_is_bit_set(p, 1022) ||
             BN_check_prime(p, ctx, NULL) != 1);
    BN_free(m);
    BN_free(g);
    BN_free(e);
    BN_free(x);
    BN_free(k);
    return p;
}

static void test_spki(void **state)
{
    EVP_PKEY *p521 = gen_ec("P-521");
    BIGNUM *n = BN_new(), *p = BN_new(), *q = BN_new();
    BN_CTX *ctx = BN_CTX_new();
    EVP_PKEY *close_primes, *small;

    (void)state;
    both_only(&(leaf){.key = p521}, "cabf.leaf.spki.p521");
    /* the RSA rules for every certificate apply to leaves */
    assert_true(BN_set_bit(n, 1023) && BN_set_bit(n, 511) && BN_set_bit(n, 0));
    small = rsa_from_n(n);
    both_only(&(leaf){.key = small}, "cabf.common.rsa_modulus_size");
    /* BR 6.1.1.3: primes next to each other fall to Fermat in round 1 */
    assert_true(BN_rand(p, 1024, BN_RAND_TOP_TWO, BN_RAND_BOTTOM_ODD));
    while (BN_check_prime(p, ctx, NULL) != 1)
        assert_true(BN_add_word(p, 2));
    assert_non_null(BN_copy(q, p));
    do
        assert_true(BN_add_word(q, 2));
    while (BN_check_prime(q, ctx, NULL) != 1);
    assert_true(BN_mul(n, p, q, ctx));
    assert_int_equal(BN_num_bits(n), 2048);
    close_primes = rsa_from_n(n);
    both_only(&(leaf){.key = close_primes}, "cabf.leaf.spki.close_primes");
    EVP_PKEY_free(close_primes);
    /* q - p near 2^516 takes some 30 to 45 rounds: still caught; near 2^518,
     * some 500 to 700: beyond the 100 rounds the BR asks for */
    for (int far = 0; far <= 1; far++) {
        leaf l = {0};
        X509 *x;
        hsmca_lint_result *r;
        BIGNUM *d = BN_new();

        /* p is odd, d even: q starts odd */
        assert_true(BN_set_bit(d, far ? 518 : 516) && BN_add(q, p, d));
        BN_free(d);
        while (BN_check_prime(q, ctx, NULL) != 1)
            assert_true(BN_add_word(q, 2));
        assert_true(BN_mul(n, p, q, ctx));
        close_primes = rsa_from_n(n);
        l.key = close_primes;
        x = make_leaf(&l);
        r = lint_leaf(x, &l);
        if (far) {
            expect_good(r);
        } else {
            expect_only(r, "cabf.leaf.spki.close_primes");
            for (size_t i = 0; i < r->n; i++)
                if (strcmp(r->findings[i].rule->id, "cabf.leaf.spki.close_primes") == 0)
                    assert_null(strstr(r->findings[i].message, "round 1:"));
        }
        hsmca_lint_result_free(r);
        X509_free(x);
        EVP_PKEY_free(close_primes);
    }
    /* BR 6.1.1.3 (4): a ROCA modulus; one prime of that shape is not enough */
    {
        BIGNUM *rp = roca_prime(ctx, 7), *rq = roca_prime(ctx, 1234);
        EVP_PKEY *roca;

        assert_true(BN_mul(n, rp, rq, ctx));
        assert_int_equal(BN_num_bits(n), 2048);
        roca = rsa_from_n(n);
        both_only(&(leaf){.key = roca}, "cabf.leaf.spki.roca");
        EVP_PKEY_free(roca);
        assert_true(BN_mul(n, rp, p, ctx));
        assert_int_equal(BN_num_bits(n), 2048);
        roca = rsa_from_n(n);
        both_good(&(leaf){.key = roca});
        EVP_PKEY_free(roca);
        BN_free(rp);
        BN_free(rq);
    }
    EVP_PKEY_free(small);
    EVP_PKEY_free(p521);
    BN_free(n);
    BN_free(p);
    BN_free(q);
    BN_CTX_free(ctx);
}

/* ---- keyUsage: BR 7.1.2.7.11 ---- */

static void test_key_usage(void **state)
{
    (void)state;
    both_only(&(leaf){.ku = ""}, "cabf.leaf.key_usage.missing");
    both_only(&(leaf){.ku = "digitalSignature"}, "cabf.leaf.key_usage.not_critical");
    /* ECDSA */
    both_only(&(leaf){.ku = "critical,digitalSignature,keyEncipherment"},
              "cabf.leaf.key_usage.bits");
    both_only(&(leaf){.ku = "critical,digitalSignature,keyCertSign"},
              "cabf.leaf.key_usage.bits");
    both_only(&(leaf){.ku = "critical,digitalSignature,cRLSign"}, "cabf.leaf.key_usage.bits");
    both_only(&(leaf){.ku = "critical,digitalSignature,keyAgreement"},
              "cabf.leaf.key_usage.not_recommended");
    {
        leaf l = {.ku = "critical,keyAgreement"};

        check_has(&l, "cabf.leaf.key_usage.bits");
    }
    /* RSA */
    both_good(&(leaf){.key = leaf_rsa, .ku = "critical,digitalSignature"});
    both_only(&(leaf){.key = leaf_rsa, .ku = "critical,keyEncipherment"},
              "cabf.leaf.key_usage.not_recommended");
    both_only(&(leaf){.key = leaf_rsa, .ku = "critical,digitalSignature,keyEncipherment"},
              "cabf.leaf.key_usage.not_recommended");
    both_only(&(leaf){.key = leaf_rsa, .ku = "critical,digitalSignature,dataEncipherment"},
              "cabf.leaf.key_usage.not_recommended");
    both_only(&(leaf){.key = leaf_rsa, .ku = "critical,digitalSignature,keyAgreement"},
              "cabf.leaf.key_usage.bits");
    both_only(&(leaf){.key = leaf_rsa, .ku = "critical,digitalSignature,nonRepudiation"},
              "cabf.leaf.key_usage.bits");
}

/* ---- extKeyUsage: BR 7.1.2.7.10; Chrome Root Program Policy ---- */

static void test_eku(void **state)
{
    (void)state;
    both_only(&(leaf){.eku = ""}, "cabf.leaf.eku.missing");
    {
        leaf l = {.eku = "clientAuth"};

        check_has(&l, "cabf.leaf.eku.server_auth");
    }
    both_only(&(leaf){.eku = "serverAuth,codeSigning"}, "cabf.leaf.eku.forbidden");
    both_only(&(leaf){.eku = "serverAuth,anyExtendedKeyUsage"}, "cabf.leaf.eku.forbidden");
    both_only(&(leaf){.eku = "serverAuth,OCSPSigning"}, "cabf.leaf.eku.forbidden");
    both_only(&(leaf){.eku = "serverAuth,1.3.6.1.4.1.11129.2.4.4"}, "cabf.leaf.eku.forbidden");
    both_only(&(leaf){.eku = "serverAuth,1.3.6.1.5.5.7.3.17"}, "cabf.leaf.eku.other");
    /* clientAuth: a warning now, an error from 2027-03-15 */
    both_only(&(leaf){.eku = "serverAuth,clientAuth"}, "crp.leaf.eku.client_auth_phase_out");
    both_only(&(leaf){.eku = "serverAuth,clientAuth", .now = T_2027_03_15 - 1},
              "crp.leaf.eku.client_auth_phase_out");
    both_only(&(leaf){.eku = "serverAuth,clientAuth", .now = T_2027_03_15, .period = 99 * DAY},
              "crp.leaf.eku.client_auth");
}

/* ---- basicConstraints: BR 7.1.2.7.8 ---- */

static void m_bc(X509 *x, const leaf *l)
{
    ext_conf(x, NID_basic_constraints, l->arg);
}

static void m_bc_path_len_only(X509 *x, const leaf *l)
{
    (void)l;
    /* BasicConstraints { pathLenConstraint 0 }: cA FALSE by default */
    ext_hex(x, "2.5.29.19", 1, "3003020100", 0);
}

static void test_basic_constraints(void **state)
{
    (void)state;
    both_only(&(leaf){.mutate = m_bc, .arg = "CA:FALSE"},
              "cabf.leaf.basic_constraints.not_critical");
    both_only(&(leaf){.mutate = m_bc, .arg = "critical,CA:TRUE"}, "cabf.leaf.basic_constraints.ca");
    both_only(&(leaf){.mutate = m_bc_path_len_only}, "cabf.leaf.basic_constraints.ca");
}

/* ---- other extensions ---- */

static void m_ski(X509 *x, const leaf *l)
{
    (void)l;
    ext_conf(x, NID_subject_key_identifier, "hash");
}

static void m_nc(X509 *x, const leaf *l)
{
    (void)l;
    ext_conf(x, NID_name_constraints, "critical,permitted;DNS:example.com");
}

static void m_no_rev_avail(X509 *x, const leaf *l)
{
    ext_hex(x, "2.5.29.56", l->arg != NULL, "0500", 0);
}

static void m_ocsp_nocheck(X509 *x, const leaf *l)
{
    (void)l;
    ext_hex(x, "1.3.6.1.5.5.7.48.1.5", 0, "0500", 0);
}

static void test_other_extensions(void **state)
{
    static const char ca_issuers_only[] = "caIssuers;URI:http://127.0.0.1:8080/ca/sub.der";

    (void)state;
    both_only(&(leaf){.mutate = m_ski}, "cabf.leaf.ski.present");
    both_only(&(leaf){.mutate = m_nc}, "cabf.leaf.name_constraints.present");
    /* AIA */
    both_only(&(leaf){.aia = ""}, "cabf.leaf.aia.missing");
    both_only(&(leaf){.aia = "OCSP;URI:http://127.0.0.1:8080/ocsp/sub"},
              "cabf.leaf.aia.ca_issuers");
    both_only(&(leaf){.aia = "OCSP;URI:http://127.0.0.1:8080/ocsp/sub,"
                             "caIssuers;URI:https://127.0.0.1:8443/ca/sub.der"},
              "cabf.common.aia_http");
    /* CRLDP: neither short-lived nor an OCSP URL */
    both_only(&(leaf){.no_crldp = 1, .aia = ca_issuers_only}, "cabf.leaf.crldp.missing");
    /* noRevAvail: a warning where it belongs, an error elsewhere */
    both_only(&(leaf){.period = 7 * DAY, .no_crldp = 1, .aia = ca_issuers_only,
                      .mutate = m_no_rev_avail},
              "cabf.leaf.no_rev_avail.present");
    {
        leaf bad[] = {
            {.mutate = m_no_rev_avail}, /* 199 days, CRLDP and OCSP */
            {.period = 7 * DAY, .aia = ca_issuers_only, .mutate = m_no_rev_avail}, /* CRLDP */
            {.period = 7 * DAY, .no_crldp = 1, .mutate = m_no_rev_avail},          /* OCSP */
            {.period = 7 * DAY, .no_crldp = 1, .aia = ca_issuers_only, .mutate = m_no_rev_avail,
             .arg = "critical"},
        };

        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            check_has(&bad[i], "cabf.leaf.no_rev_avail.conditions");
            check_has(&bad[i], "cabf.leaf.no_rev_avail.present");
        }
    }
    /* anything else: NOT RECOMMENDED */
    both_only(&(leaf){.mutate = m_ocsp_nocheck}, "cabf.common.unexpected_extension");
}

/* ---- certificatePolicies: BR 7.1.2.7.9 ---- */

#define PI_DV "3008060667810c010201"
#define PI_OV "3008060667810c010202"
#define PI_ANY "30060604551d2000"
#define PI_PRIVATE "300a06082b06010401827a01"
/* DV with a CPS pointer: id-qt-cps "http://cps.example.com/" */
#define PI_DV_CPS                                                             \
    "302f060667810c0102013025302306082b060105050702011617687474703a2f2f6370732e6578616d706c65" \
    "2e636f6d2f"
/* DV with a userNotice qualifier (explicitText "hi") */
#define PI_DV_UNOTICE "301c060667810c0102013012301006082b0601050507020230040c026869"

static void test_certificate_policies(void **state)
{
    (void)state;
    both_only(&(leaf){.cp = ""}, "cabf.leaf.cp.missing");
    both_only(&(leaf){.cp = "3014" PI_DV PI_OV}, "cabf.leaf.cp.policy_ids");
    both_only(&(leaf){.cp = "3008" PI_ANY}, "cabf.leaf.cp.policy_ids");
    both_only(&(leaf){.cp = "3012" PI_DV PI_ANY}, "cabf.leaf.cp.policy_ids");
    both_only(&(leaf){.cp = "300c" PI_PRIVATE}, "cabf.leaf.cp.policy_ids");
    both_only(&(leaf){.cp = "3014" PI_DV PI_DV}, "cabf.leaf.cp.policy_ids");
    both_only(&(leaf){.cp = "3000"}, "cabf.leaf.cp.policy_ids");
    both_only(&(leaf){.cp = "3016" PI_PRIVATE PI_DV}, "cabf.leaf.cp.reserved_first");
    both_only(&(leaf){.cp = "3031" PI_DV_CPS}, "cabf.leaf.cp.qualifiers_present");
    {
        leaf l = {.cp = "301e" PI_DV_UNOTICE};

        check_has(&l, "cabf.leaf.cp.qualifiers");
        check_has(&l, "cabf.leaf.cp.qualifiers_present");
    }
}

/* ---- Certificate Transparency: RFC 6962, BR 7.1.2.9 ---- */

static void m_no_poison(X509 *x, const leaf *l)
{
    (void)l;
    del_ext(x, NID_ct_precert_poison);
}

static void m_poison(X509 *x, const leaf *l)
{
    /* arg: "crit:hex" replaces the poison; "+" adds a second one */
    const char *a = l->arg;

    if (strcmp(a, "+") == 0)
        ext_hex(x, POISON_OID, 1, "0500", 1);
    else
        ext_hex(x, POISON_OID, a[0] == '1', a + 2, 0);
}

static void m_add_scts(X509 *x, const leaf *l)
{
    (void)l;
    add_scts(x, 1, NOW - 600, 0);
}

static void m_sct_critical(X509 *x, const leaf *l)
{
    (void)l;
    del_ext(x, NID_ct_precert_scts);
    add_scts(x, 3, NOW - 600, 1);
}

static void m_sct_future(X509 *x, const leaf *l)
{
    (void)l;
    del_ext(x, NID_ct_precert_scts);
    add_scts(x, 2, NOW + 60, 0);
}

/* The malformed SCT lists of test_final_sct_list_encoding. */
typedef struct bad_list {
    unsigned version, hash, sig;
    int sig_delta, entry_delta, list_delta, raw, empty, rsa_sig, bad_ecdsa;
} bad_list;

static void m_bad_sct_list(X509 *x, const leaf *l)
{
    const bad_list *b = l->arg;
    static const uint8_t rsa_sig[16] = {1, 2, 3};
    static const uint8_t not_der[] = {0x30, 0x03, 0x02, 0x01, 0x01, 0x00};
    bytes sct = {0};

    del_ext(x, NID_ct_precert_scts);
    if (!b->empty) {
        if (b->rsa_sig)
            put_sct(&sct, b->version, b->hash, b->sig, b->sig_delta, rsa_sig, sizeof rsa_sig);
        else if (b->bad_ecdsa)
            put_sct(&sct, b->version, b->hash, b->sig, b->sig_delta, not_der, sizeof not_der);
        else
            put_sct(&sct, b->version, b->hash, b->sig, b->sig_delta, fake_ecdsa_sig,
                    sizeof fake_ecdsa_sig);
    }
    sct_list_ext(x, &sct, b->entry_delta, b->list_delta, b->raw);
}

static void test_precert_poison(void **state)
{
    (void)state;
    check_only(&(leaf){.precert = 1, .mutate = m_no_poison}, "rfc6962.precert.poison");
    check_only(&(leaf){.precert = 1, .mutate = m_poison, .arg = "0:0500"},
               "rfc6962.precert.poison");
    check_only(&(leaf){.precert = 1, .mutate = m_poison, .arg = "1:0101ff"},
               "rfc6962.precert.poison");
    {
        leaf l = {.precert = 1, .mutate = m_poison, .arg = "+"};

        check_has(&l, "rfc6962.precert.poison");
        check_has(&l, "rfc5280.ext.duplicate");
    }
    check_only(&(leaf){.precert = 1, .mutate = m_add_scts}, "rfc6962.precert.sct_list");
    /* a poisoned final certificate */
    check_only(&(leaf){.mutate = m_poison, .arg = "1:0500"}, "rfc6962.cert.poison");
}

static void m_two_sct_lists(X509 *x, const leaf *l)
{
    (void)l;
    add_scts(x, 1, NOW - 600, 0);
}

static void test_final_sct_list(void **state)
{
    (void)state;
    {
        leaf l = {.mutate = m_two_sct_lists};

        check_has(&l, "rfc6962.final.sct_list");
        check_has(&l, "rfc5280.ext.duplicate");
    }
    check_only(&(leaf){.mutate = m_sct_critical}, "rfc6962.final.sct_list");
    check_only(&(leaf){.mutate = m_sct_future}, "rfc6962.final.sct_timestamp");
}

static void test_final_sct_list_encoding(void **state)
{
    static const bad_list bad[] = {
        {.hash = 4, .sig = 3, .entry_delta = 1},   /* entry length past the end */
        {.hash = 4, .sig = 3, .entry_delta = -1},  /* entry length short of it */
        {.hash = 4, .sig = 3, .list_delta = 1},    /* list length wrong */
        {.hash = 4, .sig = 3, .list_delta = -1},
        {.hash = 4, .sig = 3, .raw = 1},           /* no inner OCTET STRING */
        {.empty = 1},                              /* no SCT at all */
        {.version = 1, .hash = 4, .sig = 3},       /* not v1 */
        {.hash = 2, .sig = 3},                     /* SHA-1 */
        {.hash = 4, .sig = 2},                     /* DSA */
        {.hash = 4, .sig = 3, .sig_delta = -1},    /* octets after the signature */
        {.hash = 4, .sig = 1, .sig_delta = -1, .rsa_sig = 1},
        {.hash = 4, .sig = 3, .sig_delta = 1},     /* signature past the end */
        {.hash = 4, .sig = 3, .bad_ecdsa = 1},     /* ECDSA signature not DER */
    };

    (void)state;
    /* the hand-made encoder is right: a correct list passes */
    check_good(&(leaf){.mutate = m_bad_sct_list, .arg = &(bad_list){.hash = 4, .sig = 3}});
    check_good(&(leaf){.mutate = m_bad_sct_list,
                       .arg = &(bad_list){.hash = 4, .sig = 1, .rsa_sig = 1}});
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        check_only(&(leaf){.mutate = m_bad_sct_list, .arg = &bad[i]},
                   "rfc6962.final.sct_list_encoding");
}

/* ---- the CT extensions on other kinds ---- */

static void ca_poison(X509 *x)
{
    ext_hex(x, POISON_OID, 1, "0500", 0);
}

static void ca_scts(X509 *x)
{
    add_scts(x, 1, CA_NOW - 600, 0);
}

static void test_ct_extensions_on_ca_certificates(void **state)
{
    X509 *x;
    hsmca_lint_result *r;

    (void)state;
    /* the issuers themselves are clean */
    r = lint_as(sub, HSMCA_PROFILE_SUBORDINATE, root, CA_NOW, 0);
    assert_int_equal(r->errors + r->warnings, 0);
    hsmca_lint_result_free(r);
    r = lint_as(root, HSMCA_PROFILE_ROOT, NULL, CA_NOW, 0);
    assert_int_equal(r->errors + r->warnings, 0);
    hsmca_lint_result_free(r);

    x = make_ca(sub_key, root, root_key, ca_poison);
    r = lint_as(x, HSMCA_PROFILE_SUBORDINATE, root, CA_NOW, 0);
    expect_only(r, "rfc6962.cert.poison");
    hsmca_lint_result_free(r);
    /* precert = 1 does not make a CA certificate a precertificate */
    r = lint_as(x, HSMCA_PROFILE_SUBORDINATE, root, CA_NOW, 1);
    expect_only(r, "rfc6962.cert.poison");
    hsmca_lint_result_free(r);
    X509_free(x);

    x = make_ca(root_key, NULL, NULL, ca_poison);
    r = lint_as(x, HSMCA_PROFILE_ROOT, NULL, CA_NOW, 0);
    expect_only(r, "rfc6962.cert.poison");
    hsmca_lint_result_free(r);
    X509_free(x);

    x = make_ca(sub_key, root, root_key, ca_scts);
    r = lint_as(x, HSMCA_PROFILE_SUBORDINATE, root, CA_NOW, 0);
    expect_only(r, "rfc6962.cert.sct_list");
    hsmca_lint_result_free(r);
    X509_free(x);
}

/* ---- the catalogue ---- */

static void test_every_leaf_rule_is_exercised(void **state)
{
    size_t n = 0;
    const hsmca_lint_rule *rules = hsmca_lint_rules(&n);
    const unsigned leaf_bit = 1u << HSMCA_PROFILE_TLS_SERVER;
    size_t leaf_only = 0;

    (void)state;
    for (size_t i = 0; i < n; i++) {
        const hsmca_lint_rule *r = &rules[i];
        int found = 0;

        if (!(r->kinds & leaf_bit))
            continue;
        if (r->kinds == leaf_bit)
            leaf_only++;
        /* the leaf's own rules and the CT rules: each has a test above */
        if (r->kinds != leaf_bit && strncmp(r->id, "rfc6962.", 8) != 0)
            continue;
        for (size_t k = 0; k < n_seen; k++)
            found |= strcmp(seen[k], r->id) == 0;
        if (!found)
            fail_msg("no test here catches %s", r->id);
    }
    assert_true(leaf_only >= 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_precert_and_final),
        cmocka_unit_test(test_good_without_common_name),
        cmocka_unit_test(test_good_variants),
        cmocka_unit_test(test_good_basic_constraints),
        cmocka_unit_test(test_validity_200_days),
        cmocka_unit_test(test_validity_100_days_from_2027),
        cmocka_unit_test(test_validity_47_days_from_2029),
        cmocka_unit_test(test_validity_398_days_before_2026_03_15),
        cmocka_unit_test(test_not_before),
        cmocka_unit_test(test_short_lived),
        cmocka_unit_test(test_subject),
        cmocka_unit_test(test_san_presence_and_types),
        cmocka_unit_test(test_san_dns_syntax),
        cmocka_unit_test(test_san_trailing_dot),
        cmocka_unit_test(test_san_wildcard),
        cmocka_unit_test(test_san_internal_names),
        cmocka_unit_test(test_san_reserved_ips),
        cmocka_unit_test(test_spki),
        cmocka_unit_test(test_key_usage),
        cmocka_unit_test(test_eku),
        cmocka_unit_test(test_basic_constraints),
        cmocka_unit_test(test_other_extensions),
        cmocka_unit_test(test_certificate_policies),
        cmocka_unit_test(test_precert_poison),
        cmocka_unit_test(test_final_sct_list),
        cmocka_unit_test(test_final_sct_list_encoding),
        cmocka_unit_test(test_ct_extensions_on_ca_certificates),
        cmocka_unit_test(test_every_leaf_rule_is_exercised),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
