/* Unit tests: building certificates from profiles (src/x509).
 *
 * Every shipped profile (profiles/NAME.yaml, found through HSMCA_SOURCE_DIR)
 * is built and signed with software keys (RSA 2048/3072, P-256, P-384), and
 * the DER is checked against CONFORMANCE.md sections 0-9: signature
 * AlgorithmIdentifier bytes (twice), issuer bytes, subject order and string
 * types, times at the 2050 boundary, serial encoding, SKI/AKI, extension
 * order, criticality and exact bytes. Bad requests fail with HSMCA_E_INPUT
 * and a message naming the profile.
 *
 * Then tools we did not write judge the hierarchies: `openssl verify
 * -x509_strict`, GnuTLS `certtool --verify-chain` / `--verify`, and
 * tests/interop/check_profile.py (python3-cryptography). The PEM files go to
 * $HSMCA_X509_OUT when set (kept), else to a temporary directory (removed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "hsmca/clock.h"
#include "hsmca/err.h"
#include "hsmca/profile.h"
#include "hsmca/x509.h"
#include "require.h"
#include "support.h"

/* ---- expected bytes (CONFORMANCE.md) ---- */

static const uint8_t ALG_RSA[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                   0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00 };
static const uint8_t ALG_P256[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                    0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
static const uint8_t ALG_P384[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                    0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 };

/* ---- fixtures ---- */

typedef struct keys {
    EVP_PKEY *rsa2048, *rsa2048b, *rsa3072, *p256, *p256b, *p384, *p384b;
} keys;

static keys K;

static EVP_PKEY *gen(const char *what)
{
    EVP_PKEY *k = NULL;

    if (strcmp(what, "rsa2048") == 0)
        k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    else if (strcmp(what, "rsa3072") == 0)
        k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
    else if (strcmp(what, "p256") == 0)
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    else if (strcmp(what, "p384") == 0)
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    else if (strcmp(what, "k256") == 0)
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
    if (k == NULL)
        fail_msg("cannot generate a %s key", what);
    return k;
}

static int setup_keys(void **state)
{
    (void)state;
    K.rsa2048 = gen("rsa2048");
    K.rsa2048b = gen("rsa2048");
    K.rsa3072 = gen("rsa3072");
    K.p256 = gen("p256");
    K.p256b = gen("p256");
    K.p384 = gen("p384");
    K.p384b = gen("p384");
    return 0;
}

static int teardown_keys(void **state)
{
    (void)state;
    EVP_PKEY_free(K.rsa2048);
    EVP_PKEY_free(K.rsa2048b);
    EVP_PKEY_free(K.rsa3072);
    EVP_PKEY_free(K.p256);
    EVP_PKEY_free(K.p256b);
    EVP_PKEY_free(K.p384);
    EVP_PKEY_free(K.p384b);
    return 0;
}

/* A request with the usual test values; callers adjust fields. */
typedef struct req_buf {
    hsmca_x509_request r;
    hsmca_x509_subject subj;
    char *subj_buf;
    uint8_t serial[HSMCA_X509_SERIAL_MAX];
} req_buf;

static void req_init(req_buf *b, const hsmca_profile *p, EVP_PKEY *key, X509 *issuer,
                     EVP_PKEY *issuer_key, const char *subject, hsmca_time now)
{
    uint8_t rnd[16];

    memset(b, 0, sizeof *b);
    if (subject != NULL) {
        if (hsmca_x509_subject_parse(subject, &b->subj, &b->subj_buf) != HSMCA_OK)
            fail_msg("subject '%s': %s", subject, hsmca_err_message());
        b->r.subject = &b->subj;
    }
    assert_int_equal(RAND_bytes(rnd, sizeof rnd), 1);
    assert_int_equal(hsmca_x509_serial_from_random(rnd, sizeof rnd, b->serial, &b->r.serial_len),
                     HSMCA_OK);
    b->r.profile = p;
    b->r.subject_key = key;
    b->r.issuer = issuer;
    b->r.signer_public = issuer_key != NULL ? issuer_key : key;
    b->r.serial = b->serial;
    b->r.now = now;
    b->r.base_url = "http://127.0.0.1:8080";
    b->r.issuer_id = "test-ca";
}

static void req_clear(req_buf *b)
{
    free(b->subj_buf);
    b->subj_buf = NULL;
}

/* Build and sign; the certificate comes back re-read from its DER, so the
 * checks see what was encoded. */
static X509 *issue_req(const hsmca_x509_request *r, EVP_PKEY *signer)
{
    X509 *cert = NULL, *back = NULL;
    uint8_t *der = NULL;
    size_t len = 0;

    if (hsmca_x509_build(r, &cert) != HSMCA_OK)
        fail_msg("build %s: %s", r->profile->name, hsmca_err_message());
    if (hsmca_x509_sign(cert, signer, signer) != HSMCA_OK)
        fail_msg("sign %s: %s", r->profile->name, hsmca_err_message());
    assert_int_equal(hsmca_x509_to_der(cert, &der, &len), HSMCA_OK);
    assert_int_equal(hsmca_x509_from_bytes(der, len, &back), HSMCA_OK);
    OPENSSL_free(der);
    X509_free(cert);
    return back;
}

static X509 *issue(const hsmca_profile *p, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                   const char *subject, const char *const *dns, size_t n_dns,
                   const char *const *ips, size_t n_ips, hsmca_time now)
{
    req_buf b;
    X509 *c;

    req_init(&b, p, key, issuer, issuer_key, subject, now);
    b.r.dns_names = dns;
    b.r.n_dns = n_dns;
    b.r.ip_addrs = ips;
    b.r.n_ips = n_ips;
    c = issue_req(&b.r, issuer_key != NULL ? issuer_key : key);
    req_clear(&b);
    return c;
}

/* A request that must fail with `code` and a message containing `needle`
 * (and, for HSMCA_E_INPUT, the profile's name). */
static void expect_refused(const hsmca_x509_request *r, hsmca_err code, const char *needle)
{
    X509 *cert = NULL;
    char prof[128];
    hsmca_err err = hsmca_x509_build(r, &cert);

    if (err != code)
        fail_msg("%s: expected %s, got %s (%s)", r->profile->name, hsmca_err_code_name(code),
                 hsmca_err_code_name(err), err ? hsmca_err_message() : "built");
    assert_null(cert);
    if (strstr(hsmca_err_message(), needle) == NULL)
        fail_msg("message '%s' lacks '%s'", hsmca_err_message(), needle);
    snprintf(prof, sizeof prof, "profile '%s'", r->profile->name);
    if (code == HSMCA_E_INPUT && strstr(hsmca_err_message(), prof) == NULL)
        fail_msg("message '%s' does not name %s", hsmca_err_message(), prof);
}

static hsmca_time T(const char *rfc3339)
{
    hsmca_time t = 0;

    assert_int_equal(hsmca_clock_parse(rfc3339, &t), HSMCA_OK);
    return t;
}

/* ---- DER helpers ---- */

static size_t count_bytes(const uint8_t *hay, size_t n, const uint8_t *needle, size_t m)
{
    size_t c = 0;

    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0)
            c++;
    return c;
}

static void der_of(X509 *c, uint8_t **der, size_t *len)
{
    assert_int_equal(hsmca_x509_to_der(c, der, len), HSMCA_OK);
}

static int name_der_equal(const X509_NAME *a, const X509_NAME *b)
{
    unsigned char *da = NULL, *db = NULL;
    int la = i2d_X509_NAME(a, &da), lb = i2d_X509_NAME(b, &db);
    int eq = la > 0 && la == lb && memcmp(da, db, (size_t)la) == 0;

    OPENSSL_free(da);
    OPENSSL_free(db);
    return eq;
}

/* The full DER of extension `nid` (or OID text) equals hex. */
static void assert_ext_der(X509 *c, const char *oid, const char *hex)
{
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    int i = X509_get_ext_by_OBJ(c, obj, -1);
    unsigned char *der = NULL;
    int n;
    char got[512];

    ASN1_OBJECT_free(obj);
    if (i < 0)
        fail_msg("no extension %s", oid);
    n = i2d_X509_EXTENSION(X509_get_ext(c, i), &der);
    assert_true(n > 0 && (size_t)n * 2 < sizeof got);
    for (int k = 0; k < n; k++)
        snprintf(got + 2 * k, 3, "%02x", der[k]);
    OPENSSL_free(der);
    if (strcmp(got, hex) != 0)
        fail_msg("extension %s is %s, expected %s", oid, got, hex);
}

static const char *ext_oid(hsmca_profile_ext_kind k)
{
    switch (k) {
    case HSMCA_PROFILE_EXT_BASIC_CONSTRAINTS: return "2.5.29.19";
    case HSMCA_PROFILE_EXT_KEY_USAGE: return "2.5.29.15";
    case HSMCA_PROFILE_EXT_EXTENDED_KEY_USAGE: return "2.5.29.37";
    case HSMCA_PROFILE_EXT_CERTIFICATE_POLICIES: return "2.5.29.32";
    case HSMCA_PROFILE_EXT_AUTHORITY_INFO_ACCESS: return "1.3.6.1.5.5.7.1.1";
    case HSMCA_PROFILE_EXT_CRL_DISTRIBUTION_POINTS: return "2.5.29.31";
    case HSMCA_PROFILE_EXT_NAME_CONSTRAINTS: return "2.5.29.30";
    case HSMCA_PROFILE_EXT_SUBJECT_KEY_IDENTIFIER: return "2.5.29.14";
    case HSMCA_PROFILE_EXT_AUTHORITY_KEY_IDENTIFIER: return "2.5.29.35";
    case HSMCA_PROFILE_EXT_OCSP_NOCHECK: return "1.3.6.1.5.5.7.48.1.5";
    case HSMCA_PROFILE_EXT_SUBJECT_ALT_NAME: return "2.5.29.17";
    case HSMCA_PROFILE_EXT_NO_REV_AVAIL: return "2.5.29.56";
    default: return "?";
    }
}

/* BR 7.1.4.2 position of an attribute NID. */
static int br_rank(int nid)
{
    static const int order[] = { NID_countryName, NID_stateOrProvinceName, NID_localityName,
                                 NID_postalCode, NID_streetAddress, NID_organizationName,
                                 NID_organizationalUnitName, NID_commonName };

    for (int i = 0; i < (int)(sizeof order / sizeof order[0]); i++)
        if (order[i] == nid)
            return i;
    return -1;
}

static void check_name(const X509_NAME *n)
{
    int last = -1;

    for (int i = 0; i < X509_NAME_entry_count(n); i++) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(n, i);
        int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
        const ASN1_STRING *v = X509_NAME_ENTRY_get_data(e);

        /* BR 7.1.4.1: one AVA per RDN, so entry i is in RDN i. */
        assert_int_equal(X509_NAME_ENTRY_set(e), i);
        assert_true(br_rank(nid) > last);
        last = br_rank(nid);
        if (nid == NID_countryName)
            assert_int_equal(ASN1_STRING_type(v), V_ASN1_PRINTABLESTRING);
        else
            assert_int_equal(ASN1_STRING_type(v), V_ASN1_UTF8STRING);
    }
}

static void check_time(const ASN1_TIME *t)
{
    const char *s = (const char *)ASN1_STRING_get0_data(t);
    int len = ASN1_STRING_length(t);

    /* RFC 5280 §4.1.2.5: UTCTime for 1950-2049, GeneralizedTime from 2050,
     * with seconds and Z. */
    if (ASN1_STRING_type(t) == V_ASN1_UTCTIME) {
        assert_int_equal(len, 13);
        assert_true(s[0] < '5');
    } else {
        assert_int_equal(ASN1_STRING_type(t), V_ASN1_GENERALIZEDTIME);
        assert_int_equal(len, 15);
        assert_true(memcmp(s, "2050", 4) >= 0);
    }
    assert_int_equal(s[len - 1], 'Z');
}

/* CONFORMANCE.md sections 0, 1, 2 and 4 for any certificate built from p,
 * signed by a key of the type of `signer`. issuer NULL: self-signed. */
static void check_common(X509 *c, X509 *issuer, const hsmca_profile *p, EVP_PKEY *signer,
                         const uint8_t *serial, size_t serial_len)
{
    uint8_t *der = NULL, *tbs = NULL;
    size_t len = 0, tbs_len = 0, hdr;
    const uint8_t *alg;
    size_t alg_len;
    unsigned char *sd = NULL;
    int sn;
    X509 *iss = issuer != NULL ? issuer : c;
    uint8_t ski[20];
    const ASN1_INTEGER *ser = X509_get0_serialNumber(c);

    /* §2 / BR 7.1.3.2: the signature algorithm follows the signing key. */
    if (EVP_PKEY_is_a(signer, "RSA")) {
        alg = ALG_RSA;
        alg_len = sizeof ALG_RSA;
    } else if (EVP_PKEY_get_bits(signer) == 384) {
        alg = ALG_P384;
        alg_len = sizeof ALG_P384;
    } else {
        alg = ALG_P256;
        alg_len = sizeof ALG_P256;
    }
    der_of(c, &der, &len);
    /* §0: tbs.signature and signatureAlgorithm, byte-identical: twice. */
    assert_int_equal(count_bytes(der, len, alg, alg_len), 2);
    /* §0 / BR 7.1.1: v3, TBS starts a003020102. */
    assert_int_equal(hsmca_x509_tbs_der(c, &tbs, &tbs_len), HSMCA_OK);
    hdr = (tbs[1] & 0x80) ? 2 + (tbs[1] & 0x7f) : 2;
    assert_memory_equal(tbs + hdr, "\xa0\x03\x02\x01\x02", 5);
    /* §0 / BR 7.1.4.1: issuer DER == the issuer's subject DER. */
    assert_true(name_der_equal(X509_get_issuer_name(c), X509_get_subject_name(iss)));
    check_name(X509_get_subject_name(c));
    check_time(X509_get0_notBefore(c));
    check_time(X509_get0_notAfter(c));
    /* §1: the serial as given, positive, minimal, <= 20 octets. */
    sn = i2d_ASN1_INTEGER(ser, &sd);
    assert_true(sn >= 3 && sd[0] == 0x02 && sd[1] <= 20 && sd[1] == sn - 2);
    assert_true(sd[2] < 0x80);
    assert_false(sd[2] == 0 && sn > 3 && sd[3] < 0x80);
    assert_int_equal((size_t)sd[1], serial_len);
    assert_memory_equal(sd + 2, serial, serial_len);
    OPENSSL_free(sd);
    /* Extensions: exactly the profile's, in its order, with its criticality. */
    assert_int_equal(X509_get_ext_count(c), (int)p->n_exts);
    for (size_t i = 0; i < p->n_exts; i++) {
        X509_EXTENSION *e = X509_get_ext(c, (int)i);
        char oid[64];

        OBJ_obj2txt(oid, sizeof oid, X509_EXTENSION_get_object(e), 1);
        if (strcmp(oid, ext_oid(p->exts[i].kind)) != 0)
            fail_msg("%s: extension %zu is %s, expected %s (%s)", p->name, i, oid,
                     ext_oid(p->exts[i].kind), hsmca_profile_ext_name(p->exts[i].kind));
        assert_int_equal(X509_EXTENSION_get_critical(e), p->exts[i].critical ? 1 : 0);
    }
    /* §4: SKI = SHA-1 of the subjectPublicKey bits (method 1). */
    if (hsmca_profile_find_ext(p, HSMCA_PROFILE_EXT_SUBJECT_KEY_IDENTIFIER) != NULL) {
        const ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(c);
        const ASN1_OCTET_STRING *got = X509_get0_subject_key_id(c);
        uint8_t via_api[20];

        SHA1(ASN1_STRING_get0_data(bits), (size_t)ASN1_STRING_length(bits), ski);
        assert_non_null(got);
        assert_int_equal(ASN1_STRING_length(got), 20);
        assert_memory_equal(ASN1_STRING_get0_data(got), ski, 20);
        assert_int_equal(hsmca_x509_key_id(X509_get0_pubkey(c), via_api), HSMCA_OK);
        assert_memory_equal(via_api, ski, 20);
    }
    /* §4: AKI keyIdentifier only, = the issuer's SKI. */
    if (hsmca_profile_find_ext(p, HSMCA_PROFILE_EXT_AUTHORITY_KEY_IDENTIFIER) != NULL) {
        const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(c);
        const ASN1_OCTET_STRING *iski = X509_get0_subject_key_id(iss);

        assert_non_null(aki);
        assert_non_null(iski);
        assert_int_equal(ASN1_OCTET_STRING_cmp(aki, iski), 0);
        assert_null(X509_get0_authority_issuer(c));
        assert_null(X509_get0_authority_serial(c));
    }
    /* §7: the exact nocheck extension. */
    if (hsmca_profile_find_ext(p, HSMCA_PROFILE_EXT_OCSP_NOCHECK) != NULL)
        assert_ext_der(c, "1.3.6.1.5.5.7.48.1.5", "300f06092b060105050730010504020500");
    /* The signature verifies with the issuer's key. */
    assert_int_equal(X509_verify(c, X509_get0_pubkey(iss)), 1);
    OPENSSL_free(tbs);
    OPENSSL_free(der);
}

static X509 *issue_checked(const hsmca_profile *p, EVP_PKEY *key, X509 *issuer,
                           EVP_PKEY *issuer_key, const char *subject, const char *const *dns,
                           size_t n_dns, const char *const *ips, size_t n_ips, hsmca_time now)
{
    req_buf b;
    X509 *c;

    req_init(&b, p, key, issuer, issuer_key, subject, now);
    b.r.dns_names = dns;
    b.r.n_dns = n_dns;
    b.r.ip_addrs = ips;
    b.r.n_ips = n_ips;
    c = issue_req(&b.r, issuer_key != NULL ? issuer_key : key);
    check_common(c, issuer, p, issuer_key != NULL ? issuer_key : key, b.serial, b.r.serial_len);
    req_clear(&b);
    return c;
}

#define ROOT_SUBJECT "C=XX, O=hsmca test, CN=hsmca Test Root"
#define SUB_SUBJECT "C=XX, O=hsmca test, CN=hsmca Test Issuing CA"

/* ---- subject parsing ---- */

static void test_subject_parse(void **state)
{
    hsmca_x509_subject s;
    char *buf = NULL;

    (void)state;
    assert_int_equal(hsmca_x509_subject_parse("C=XX, O=Example Org, CN=Example Root", &s, &buf),
                     HSMCA_OK);
    assert_string_equal(s.attr[HSMCA_PROFILE_ATTR_C], "XX");
    assert_string_equal(s.attr[HSMCA_PROFILE_ATTR_O], "Example Org");
    assert_string_equal(s.attr[HSMCA_PROFILE_ATTR_CN], "Example Root");
    assert_null(s.attr[HSMCA_PROFILE_ATTR_OU]);
    free(buf);

    /* "," without a space, an escaped comma, names in any case and order. */
    assert_int_equal(hsmca_x509_subject_parse("cn=Root\\, Inc.,o=Ex,c=US,ST=Berlin", &s, &buf),
                     HSMCA_OK);
    assert_string_equal(s.attr[HSMCA_PROFILE_ATTR_CN], "Root, Inc.");
    assert_string_equal(s.attr[HSMCA_PROFILE_ATTR_O], "Ex");
    assert_string_equal(s.attr[HSMCA_PROFILE_ATTR_C], "US");
    assert_string_equal(s.attr[HSMCA_PROFILE_ATTR_ST], "Berlin");
    free(buf);

    /* The slash form: commas are literal there. */
    assert_int_equal(hsmca_x509_subject_parse("/C=DE/O=A, B/postalCode=10115/street=X 1/CN=r",
                                              &s, &buf), HSMCA_OK);
    assert_string_equal(s.attr[HSMCA_PROFILE_ATTR_O], "A, B");
    assert_string_equal(s.attr[HSMCA_PROFILE_ATTR_POSTAL_CODE], "10115");
    assert_string_equal(s.attr[HSMCA_PROFILE_ATTR_STREET], "X 1");
    assert_string_equal(s.attr[HSMCA_PROFILE_ATTR_CN], "r");
    free(buf);

    buf = NULL;
    assert_int_equal(hsmca_x509_subject_parse("C=XX, E=me@example.com", &s, &buf), HSMCA_E_INPUT);
    assert_non_null(strstr(hsmca_err_message(), "unknown attribute 'E'"));
    assert_null(buf);
    assert_int_equal(hsmca_x509_subject_parse("C=XX, CN=a, CN=b", &s, &buf), HSMCA_E_INPUT);
    assert_non_null(strstr(hsmca_err_message(), "CN is given twice"));
    assert_int_equal(hsmca_x509_subject_parse("C=XX, O=, CN=a", &s, &buf), HSMCA_E_INPUT);
    assert_non_null(strstr(hsmca_err_message(), "O has an empty value"));
    assert_int_equal(hsmca_x509_subject_parse("C=XX, Oops", &s, &buf), HSMCA_E_INPUT);
    assert_non_null(strstr(hsmca_err_message(), "'Oops' is not NAME=value"));
    assert_int_equal(hsmca_x509_subject_parse("C=XX,, CN=a", &s, &buf), HSMCA_E_INPUT);
    assert_non_null(strstr(hsmca_err_message(), "empty component"));
    assert_int_equal(hsmca_x509_subject_parse("  ", &s, &buf), HSMCA_E_INPUT);
    assert_int_equal(hsmca_x509_subject_parse("CN=x\\", &s, &buf), HSMCA_E_INPUT);
    assert_null(buf);
}

/* ---- serials ---- */

static void test_serial_from_random(void **state)
{
    uint8_t rnd[32], out[HSMCA_X509_SERIAL_MAX];
    size_t n = 0;

    (void)state;
    /* Top bit cleared: positive without a pad octet. */
    memset(rnd, 0xff, sizeof rnd);
    assert_int_equal(hsmca_x509_serial_from_random(rnd, 16, out, &n), HSMCA_OK);
    assert_int_equal(n, 16);
    assert_int_equal(out[0], 0x7f);
    /* At most 20 octets, whatever is offered. */
    assert_int_equal(hsmca_x509_serial_from_random(rnd, 32, out, &n), HSMCA_OK);
    assert_int_equal(n, 20);
    /* Minimal: the cleared 0x80 and the zero octets after it go. */
    memset(rnd, 0, sizeof rnd);
    rnd[0] = 0x80;
    rnd[3] = 0x05;
    rnd[15] = 0x01;
    assert_int_equal(hsmca_x509_serial_from_random(rnd, 16, out, &n), HSMCA_OK);
    assert_int_equal(n, 13);
    assert_int_equal(out[0], 0x05);
    /* Cleared to 0x00 before an octet >= 0x80: the 0x00 stays (positive,
     * and still minimal). */
    rnd[0] = 0x80;
    rnd[1] = 0xc5;
    assert_int_equal(hsmca_x509_serial_from_random(rnd, 16, out, &n), HSMCA_OK);
    assert_int_equal(n, 16);
    assert_int_equal(out[0], 0x00);
    assert_int_equal(out[1], 0xc5);
    rnd[0] = 0x00;
    rnd[1] = 0x00;
    rnd[2] = 0x00;
    rnd[3] = 0x95;
    assert_int_equal(hsmca_x509_serial_from_random(rnd, 16, out, &n), HSMCA_OK);
    assert_int_equal(n, 14);
    assert_int_equal(out[0], 0x00);
    assert_int_equal(out[1], 0x95);
    /* Never zero; never from too few bytes. */
    memset(rnd, 0, sizeof rnd);
    assert_int_equal(hsmca_x509_serial_from_random(rnd, 16, out, &n), HSMCA_E_INPUT);
    rnd[0] = 0x80; /* all zero once the top bit is cleared */
    assert_int_equal(hsmca_x509_serial_from_random(rnd, 16, out, &n), HSMCA_E_INPUT);
    memset(rnd, 0x11, sizeof rnd);
    assert_int_equal(hsmca_x509_serial_from_random(rnd, 8, out, &n), HSMCA_E_INPUT);
    assert_int_equal(hsmca_x509_serial_from_random(rnd, 9, out, &n), HSMCA_OK);
    assert_int_equal(n, 9);
    /* 1000 random serials: each positive, minimal, 1..20 octets. */
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(RAND_bytes(rnd, 16), 1);
        assert_int_equal(hsmca_x509_serial_from_random(rnd, 16, out, &n), HSMCA_OK);
        assert_true(n >= 1 && n <= 16);
        assert_true(out[0] < 0x80);
        assert_false(out[0] == 0 && (n == 1 || out[1] < 0x80));
    }
}

/* ---- keys ---- */

static void test_throwaway_key(void **state)
{
    EVP_PKEY *likes[] = { K.rsa2048, K.p256, K.p384 };
    EVP_PKEY *k = NULL, *bad = gen("k256");

    (void)state;
    for (size_t i = 0; i < sizeof likes / sizeof likes[0]; i++) {
        char g1[64] = "", g2[64] = "";
        size_t l = 0;

        assert_int_equal(hsmca_x509_throwaway_key(likes[i], &k), HSMCA_OK);
        assert_string_equal(EVP_PKEY_get0_type_name(k), EVP_PKEY_get0_type_name(likes[i]));
        assert_int_equal(EVP_PKEY_get_bits(k), EVP_PKEY_get_bits(likes[i]));
        if (EVP_PKEY_is_a(k, "EC")) {
            assert_int_equal(EVP_PKEY_get_group_name(k, g1, sizeof g1, &l), 1);
            assert_int_equal(EVP_PKEY_get_group_name(likes[i], g2, sizeof g2, &l), 1);
            assert_string_equal(g1, g2);
        }
        assert_int_not_equal(EVP_PKEY_eq(k, likes[i]), 1);
        EVP_PKEY_free(k);
        k = NULL;
    }
    /* secp256k1 is not a curve the BRs allow (BR 6.1.5). */
    assert_int_equal(hsmca_x509_throwaway_key(bad, &k), HSMCA_E_INPUT);
    assert_null(k);
    EVP_PKEY_free(bad);
}

/* ---- the shipped profiles ---- */

static void test_root_profile(void **state)
{
    hsmca_profile *p = hsmca_test_require_profile("root");
    EVP_PKEY *roots[] = { K.p384, K.p256, K.rsa3072 };
    hsmca_time now = T("2026-06-01T12:00:00Z");

    (void)state;
    for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
        X509 *c = issue_checked(p, roots[i], NULL, NULL, ROOT_SUBJECT, NULL, 0, NULL, 0, now);
        const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(c);

        /* BR 7.1.2.1: self-issued; AKI = own SKI. */
        assert_true(name_der_equal(X509_get_issuer_name(c), X509_get_subject_name(c)));
        assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(c), ski), 0);
        /* A 25-year root from 2026 ends after 2049: GeneralizedTime. */
        assert_int_equal(ASN1_STRING_type(X509_get0_notBefore(c)), V_ASN1_UTCTIME);
        assert_int_equal(ASN1_STRING_type(X509_get0_notAfter(c)), V_ASN1_GENERALIZEDTIME);
        assert_string_equal((const char *)ASN1_STRING_get0_data(X509_get0_notBefore(c)),
                            "260601120000Z");
        /* 9131 days - 1 s after notBefore. */
        assert_string_equal((const char *)ASN1_STRING_get0_data(X509_get0_notAfter(c)),
                            "20510601115959Z");
        /* BR 7.1.2.1.4: critical cA TRUE, no pathLen; keyCertSign|cRLSign as
         * a minimal BIT STRING (03 02 01 06). */
        assert_ext_der(c, "2.5.29.19", "300f0603551d130101ff040530030101ff");
        assert_ext_der(c, "2.5.29.15", "300e0603551d0f0101ff040403020106");
        X509_free(c);
    }
    hsmca_profile_free(p);
}

static void test_ca_profiles(void **state)
{
    hsmca_profile *root = hsmca_test_require_profile("root");
    hsmca_profile *sub = hsmca_test_require_profile("subordinate");
    hsmca_profile *resp = hsmca_test_require_profile("ocsp-responder");
    hsmca_profile *psc = hsmca_test_require_profile("precert-signer");
    hsmca_time now = T("2026-06-01T12:00:00Z");
    X509 *r, *s, *o, *pc;
    AUTHORITY_INFO_ACCESS *aia;
    CRL_DIST_POINTS *cdp;
    CERTIFICATEPOLICIES *cp;
    const ASN1_IA5STRING *uri;

    (void)state;
    r = issue_checked(root, K.p384, NULL, NULL, ROOT_SUBJECT, NULL, 0, NULL, 0, now);
    /* Subordinate: an RSA key signed by a P-384 root -> ecdsa-with-SHA384. */
    s = issue_checked(sub, K.rsa2048, r, K.p384, SUB_SUBJECT, NULL, 0, NULL, 0, now);
    /* BR 7.1.2.10.4: critical cA TRUE, pathLen 0. */
    assert_ext_der(s, "2.5.29.19", "30120603551d130101ff040830060101ff020100");
    /* digitalSignature|keyCertSign|cRLSign: bits 0,5,6 -> 03 02 01 86. */
    assert_ext_der(s, "2.5.29.15", "300e0603551d0f0101ff040403020186");
    /* BR 7.1.2.10.6: serverAuth, non-critical. */
    assert_ext_der(s, "2.5.29.37", "30130603551d25040c300a06082b06010505070301");
    /* BR 7.1.2.10.5: 2.23.140.1.2.1, no qualifiers. */
    assert_ext_der(s, "2.5.29.32", "30130603551d20040c300a3008060667810c010201");
    /* Placeholders substituted: caIssuers and the one CRL URI. */
    aia = X509_get_ext_d2i(s, NID_info_access, NULL, NULL);
    assert_non_null(aia);
    assert_int_equal(sk_ACCESS_DESCRIPTION_num(aia), 1);
    assert_int_equal(OBJ_obj2nid(sk_ACCESS_DESCRIPTION_value(aia, 0)->method), NID_ad_ca_issuers);
    uri = sk_ACCESS_DESCRIPTION_value(aia, 0)->location->d.uniformResourceIdentifier;
    assert_string_equal((const char *)ASN1_STRING_get0_data(uri),
                        "http://127.0.0.1:8080/ca/test-ca.der");
    AUTHORITY_INFO_ACCESS_free(aia);
    cdp = X509_get_ext_d2i(s, NID_crl_distribution_points, NULL, NULL);
    assert_non_null(cdp);
    assert_int_equal(sk_DIST_POINT_num(cdp), 1);
    assert_null(sk_DIST_POINT_value(cdp, 0)->reasons);
    assert_null(sk_DIST_POINT_value(cdp, 0)->CRLissuer);
    assert_int_equal(sk_DIST_POINT_value(cdp, 0)->distpoint->type, 0);
    assert_int_equal(sk_GENERAL_NAME_num(sk_DIST_POINT_value(cdp, 0)->distpoint->name.fullname), 1);
    uri = sk_GENERAL_NAME_value(sk_DIST_POINT_value(cdp, 0)->distpoint->name.fullname, 0)
              ->d.uniformResourceIdentifier;
    assert_string_equal((const char *)ASN1_STRING_get0_data(uri),
                        "http://127.0.0.1:8080/crl/test-ca.crl");
    CRL_DIST_POINTS_free(cdp);
    cp = X509_get_ext_d2i(s, NID_certificate_policies, NULL, NULL);
    assert_non_null(cp);
    assert_null(sk_POLICYINFO_value(cp, 0)->qualifiers);
    CERTIFICATEPOLICIES_free(cp);

    /* Responder, P-256 key signed by the P-384 root: nocheck exact (in
     * check_common), KU digitalSignature only (03 02 07 80). */
    o = issue_checked(resp, K.p256, r, K.p384, "C=XX, O=hsmca test, CN=hsmca Test OCSP",
                      NULL, 0, NULL, 0, now);
    assert_ext_der(o, "2.5.29.15", "300e0603551d0f0101ff040403020780");
    assert_ext_der(o, "2.5.29.37", "30130603551d25040c300a06082b06010505070309");
    /* Precertificate signing certificate (legacy): same key type as the root. */
    pc = issue_checked(psc, K.p384b, r, K.p384, "C=XX, O=hsmca test, CN=hsmca Test PSC", NULL,
                       0, NULL, 0, now);
    assert_ext_der(pc, "2.5.29.37", "30150603551d25040e300c060a2b06010401d679020404");

    X509_free(pc);
    X509_free(o);
    X509_free(s);
    X509_free(r);
    hsmca_profile_free(root);
    hsmca_profile_free(sub);
    hsmca_profile_free(resp);
    hsmca_profile_free(psc);
}

static void test_tls_server_profile(void **state)
{
    hsmca_profile *root = hsmca_test_require_profile("root");
    hsmca_profile *sub = hsmca_test_require_profile("subordinate");
    hsmca_profile *leaf = hsmca_test_require_profile("tls-server");
    hsmca_time now = T("2026-06-01T12:00:00Z");
    static const char *const dns[] = { "www.example.test", "example.test" };
    static const char *const ips[] = { "192.0.2.7", "2001:DB8::0:1" };
    static const uint8_t ip4[] = { 192, 0, 2, 7 };
    static const uint8_t ip6[] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
    X509 *r, *s, *l, *l2;
    GENERAL_NAMES *san;
    const X509_NAME *subj;
    AUTHORITY_INFO_ACCESS *aia;
    const ASN1_IA5STRING *uri;

    (void)state;
    r = issue_checked(root, K.rsa3072, NULL, NULL, ROOT_SUBJECT, NULL, 0, NULL, 0, now);
    s = issue_checked(sub, K.p256, r, K.rsa3072, SUB_SUBJECT, NULL, 0, NULL, 0, now);
    /* P-384 leaf signed by a P-256 CA: ecdsa-with-SHA256 (the signer's curve). */
    l = issue_checked(leaf, K.p384, s, K.p256, NULL, dns, 2, ips, 2, now);
    /* BR 7.1.2.7.2: CN copied from the first SAN; nothing else. */
    subj = X509_get_subject_name(l);
    assert_int_equal(X509_NAME_entry_count(subj), 1);
    assert_string_equal((const char *)ASN1_STRING_get0_data(
                            X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, 0))),
                        "www.example.test");
    /* notBefore = now - 1 h. */
    assert_string_equal((const char *)ASN1_STRING_get0_data(X509_get0_notBefore(l)),
                        "260601110000Z");
    /* SAN: dNSNames in order, then 4- and 16-octet iPAddresses. */
    san = X509_get_ext_d2i(l, NID_subject_alt_name, NULL, NULL);
    assert_non_null(san);
    assert_int_equal(sk_GENERAL_NAME_num(san), 4);
    assert_int_equal(sk_GENERAL_NAME_value(san, 0)->type, GEN_DNS);
    assert_string_equal(
        (const char *)ASN1_STRING_get0_data(sk_GENERAL_NAME_value(san, 1)->d.dNSName),
        "example.test");
    assert_int_equal(sk_GENERAL_NAME_value(san, 2)->type, GEN_IPADD);
    assert_int_equal(ASN1_STRING_length(sk_GENERAL_NAME_value(san, 2)->d.iPAddress), 4);
    assert_memory_equal(ASN1_STRING_get0_data(sk_GENERAL_NAME_value(san, 2)->d.iPAddress), ip4, 4);
    assert_int_equal(ASN1_STRING_length(sk_GENERAL_NAME_value(san, 3)->d.iPAddress), 16);
    assert_memory_equal(ASN1_STRING_get0_data(sk_GENERAL_NAME_value(san, 3)->d.iPAddress), ip6, 16);
    GENERAL_NAMES_free(san);
    /* AIA: ocsp first, then caIssuers (RFC 5280 §4.2.2.1; BR 7.1.2.7.7). */
    aia = X509_get_ext_d2i(l, NID_info_access, NULL, NULL);
    assert_int_equal(sk_ACCESS_DESCRIPTION_num(aia), 2);
    assert_int_equal(OBJ_obj2nid(sk_ACCESS_DESCRIPTION_value(aia, 0)->method), NID_ad_OCSP);
    uri = sk_ACCESS_DESCRIPTION_value(aia, 0)->location->d.uniformResourceIdentifier;
    assert_string_equal((const char *)ASN1_STRING_get0_data(uri),
                        "http://127.0.0.1:8080/ocsp/test-ca");
    assert_int_equal(OBJ_obj2nid(sk_ACCESS_DESCRIPTION_value(aia, 1)->method), NID_ad_ca_issuers);
    AUTHORITY_INFO_ACCESS_free(aia);
    /* An IP-only leaf: CN is the IP's text form (RFC 5952 for IPv6). */
    l2 = issue_checked(leaf, K.rsa2048, s, K.p256, NULL, NULL, 0, ips + 1, 1, now);
    subj = X509_get_subject_name(l2);
    assert_string_equal((const char *)ASN1_STRING_get0_data(
                            X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, 0))),
                        "2001:db8::1");
    X509_free(l2);
    X509_free(l);
    X509_free(s);
    X509_free(r);
    hsmca_profile_free(root);
    hsmca_profile_free(sub);
    hsmca_profile_free(leaf);
}

/* RFC 5280 §4.1.2.5: UTCTime through 2049-12-31T23:59:59Z, GeneralizedTime
 * from 2050-01-01T00:00:00Z. */
static void test_time_boundary(void **state)
{
    hsmca_profile *root = hsmca_test_require_profile("root");
    X509 *c;

    (void)state;
    root->validity_seconds = 1;
    c = issue(root, K.p256, NULL, NULL, ROOT_SUBJECT, NULL, 0, NULL, 0,
              T("2049-12-31T23:59:59Z"));
    assert_int_equal(ASN1_STRING_type(X509_get0_notBefore(c)), V_ASN1_UTCTIME);
    assert_string_equal((const char *)ASN1_STRING_get0_data(X509_get0_notBefore(c)),
                        "491231235959Z");
    assert_int_equal(ASN1_STRING_type(X509_get0_notAfter(c)), V_ASN1_GENERALIZEDTIME);
    assert_string_equal((const char *)ASN1_STRING_get0_data(X509_get0_notAfter(c)),
                        "20500101000000Z");
    X509_free(c);
    c = issue(root, K.p256, NULL, NULL, ROOT_SUBJECT, NULL, 0, NULL, 0,
              T("2049-12-31T23:59:58Z"));
    assert_string_equal((const char *)ASN1_STRING_get0_data(X509_get0_notAfter(c)),
                        "491231235959Z");
    X509_free(c);
    /* Out of X.509's range: refused, not wrapped. */
    root->validity_seconds = 9131LL * 86400 - 1;
    {
        req_buf b;

        req_init(&b, root, K.p256, NULL, NULL, ROOT_SUBJECT, T("9990-01-01T00:00:00Z"));
        expect_refused(&b.r, HSMCA_E_INPUT, "1950-9999");
        req_clear(&b);
    }
    hsmca_profile_free(root);
}

/* Extensions the shipped profiles do not use, from hand-made profiles. */
static void test_more_extensions(void **state)
{
    hsmca_profile *root = hsmca_test_require_profile("root");
    hsmca_profile *sub = hsmca_test_require_profile("subordinate");
    hsmca_profile *resp = hsmca_test_require_profile("ocsp-responder");
    hsmca_profile *leaf = hsmca_test_require_profile("tls-server");
    hsmca_profile p;
    hsmca_profile_ext exts[16];
    hsmca_time now = T("2026-06-01T12:00:00Z");
    X509 *r, *c;
    static char s_example[] = "example.test", s_empty[] = "", s_o[] = "Example Test CA",
                s_c[] = "US", s_dv[] = "2.23.140.1.2.1", s_cps[] = "{base_url}/cps";
    char *dns_perm[] = { s_example, NULL };
    char *dns_excl[] = { s_empty, NULL };
    hsmca_profile_ip_range ips[3];
    /* O before C: written C first (BR 7.1.4.2). */
    hsmca_profile_ava avas[2] = { { HSMCA_PROFILE_ATTR_O, s_o }, { HSMCA_PROFILE_ATTR_C, s_c } };
    hsmca_profile_dirname dirs[1] = { { avas, 2 } };
    hsmca_profile_policy pol[1] = { { s_dv, s_cps } };
    NAME_CONSTRAINTS *nc;
    CERTIFICATEPOLICIES *cp;
    POLICYQUALINFO *q;
    static const char *const dns[] = { "short.example.test" };

    (void)state;
    r = issue(root, K.p256, NULL, NULL, ROOT_SUBJECT, NULL, 0, NULL, 0, now);

    /* A technically constrained subordinate (BR 7.1.2.5): name constraints
     * with dNSName, iPAddress (addr||mask) and directoryName in BR order. */
    memset(ips, 0, sizeof ips);
    ips[0].family = 4;  /* 0.0.0.0/0 */
    ips[1].family = 6;  /* ::/0 */
    ips[2].family = 4;  /* 10.1.0.0/16 */
    ips[2].addr[0] = 10;
    ips[2].addr[1] = 1;
    ips[2].prefix_len = 16;
    p = *sub;
    assert_true(sub->n_exts + 1 <= 16);
    memcpy(exts, sub->exts, sub->n_exts * sizeof exts[0]);
    memset(&exts[sub->n_exts], 0, sizeof exts[0]);
    exts[sub->n_exts].kind = HSMCA_PROFILE_EXT_NAME_CONSTRAINTS;
    exts[sub->n_exts].critical = 1;
    exts[sub->n_exts].nc.permitted.dns.v = dns_perm;
    exts[sub->n_exts].nc.permitted.dns.n = 1;
    exts[sub->n_exts].nc.permitted.ips = &ips[2];
    exts[sub->n_exts].nc.permitted.n_ips = 1;
    exts[sub->n_exts].nc.permitted.dirs = dirs;
    exts[sub->n_exts].nc.permitted.n_dirs = 1;
    exts[sub->n_exts].nc.excluded.dns.v = dns_excl;
    exts[sub->n_exts].nc.excluded.dns.n = 1;
    exts[sub->n_exts].nc.excluded.ips = ips;
    exts[sub->n_exts].nc.excluded.n_ips = 2;
    exts[sub->n_exts].nc.excluded.dirs = NULL;
    exts[sub->n_exts].nc.excluded.n_dirs = 0;
    exts[sub->n_exts].nc.excluded.dns.v = dns_excl;
    p.exts = exts;
    p.n_exts = sub->n_exts + 1;
    c = issue_checked(&p, K.p256b, r, K.p256, SUB_SUBJECT, NULL, 0, NULL, 0, now);
    nc = X509_get_ext_d2i(c, NID_name_constraints, NULL, NULL);
    assert_non_null(nc);
    assert_int_equal(sk_GENERAL_SUBTREE_num(nc->permittedSubtrees), 3);
    {
        const GENERAL_NAME *g = sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, 1)->base;
        static const uint8_t want[] = { 10, 1, 0, 0, 255, 255, 0, 0 };
        const X509_NAME *dn;

        assert_int_equal(g->type, GEN_IPADD);
        assert_int_equal(ASN1_STRING_length(g->d.iPAddress), 8);
        assert_memory_equal(ASN1_STRING_get0_data(g->d.iPAddress), want, 8);
        g = sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, 2)->base;
        assert_int_equal(g->type, GEN_DIRNAME);
        dn = g->d.directoryName;
        check_name(dn); /* C before O, whatever the profile's order */
        assert_int_equal(OBJ_obj2nid(X509_NAME_ENTRY_get_object(X509_NAME_get_entry(dn, 0))),
                         NID_countryName);
        g = sk_GENERAL_SUBTREE_value(nc->excludedSubtrees, 0)->base;
        assert_int_equal(g->type, GEN_DNS);
        assert_int_equal(ASN1_STRING_length(g->d.dNSName), 0);
        g = sk_GENERAL_SUBTREE_value(nc->excludedSubtrees, 1)->base;
        assert_int_equal(ASN1_STRING_length(g->d.iPAddress), 8);
        g = sk_GENERAL_SUBTREE_value(nc->excludedSubtrees, 2)->base;
        assert_int_equal(ASN1_STRING_length(g->d.iPAddress), 32);
        assert_null(sk_GENERAL_SUBTREE_value(nc->excludedSubtrees, 2)->minimum);
        assert_null(sk_GENERAL_SUBTREE_value(nc->excludedSubtrees, 2)->maximum);
    }
    NAME_CONSTRAINTS_free(nc);
    X509_free(c);

    /* Certificate policies with an id-qt-cps qualifier (placeholder
     * substituted), on a subordinate. */
    p = *sub;
    memcpy(exts, sub->exts, sub->n_exts * sizeof exts[0]);
    for (size_t i = 0; i < p.n_exts; i++)
        if (exts[i].kind == HSMCA_PROFILE_EXT_CERTIFICATE_POLICIES) {
            exts[i].cp.policies = pol;
            exts[i].cp.n = 1;
        }
    p.exts = exts;
    c = issue_checked(&p, K.p256b, r, K.p256, SUB_SUBJECT, NULL, 0, NULL, 0, now);
    cp = X509_get_ext_d2i(c, NID_certificate_policies, NULL, NULL);
    assert_int_equal(sk_POLICYQUALINFO_num(sk_POLICYINFO_value(cp, 0)->qualifiers), 1);
    q = sk_POLICYQUALINFO_value(sk_POLICYINFO_value(cp, 0)->qualifiers, 0);
    assert_int_equal(OBJ_obj2nid(q->pqualid), NID_id_qt_cps);
    assert_int_equal(ASN1_STRING_type(q->d.cpsuri), V_ASN1_IA5STRING);
    assert_string_equal((const char *)ASN1_STRING_get0_data(q->d.cpsuri),
                        "http://127.0.0.1:8080/cps");
    CERTIFICATEPOLICIES_free(cp);
    X509_free(c);

    /* A responder with the optional basicConstraints cA FALSE: exactly
     * 300c0603551d130101ff04023000 (CONFORMANCE.md §7). */
    p = *resp;
    memset(exts, 0, sizeof exts);
    exts[0].kind = HSMCA_PROFILE_EXT_BASIC_CONSTRAINTS;
    exts[0].critical = 1;
    exts[0].bc.ca = 0;
    exts[0].bc.path_len = -1;
    memcpy(exts + 1, resp->exts, resp->n_exts * sizeof exts[0]);
    p.exts = exts;
    p.n_exts = resp->n_exts + 1;
    c = issue_checked(&p, K.p256b, r, K.p256, "C=XX, O=hsmca test, CN=OCSP", NULL, 0, NULL, 0,
                      now);
    assert_ext_der(c, "2.5.29.19", "300c0603551d130101ff04023000");
    X509_free(c);

    /* A short-lived leaf with noRevAvail (RFC 9608) and no CRLDP/AIA-OCSP:
     * 30090603551d3804020500. */
    p = *leaf;
    {
        size_t n = 0;

        for (size_t i = 0; i < leaf->n_exts; i++)
            if (leaf->exts[i].kind != HSMCA_PROFILE_EXT_CRL_DISTRIBUTION_POINTS)
                exts[n++] = leaf->exts[i];
        memset(&exts[n], 0, sizeof exts[0]);
        exts[n].kind = HSMCA_PROFILE_EXT_NO_REV_AVAIL;
        exts[n].critical = 0;
        p.exts = exts;
        p.n_exts = n + 1;
    }
    p.validity_seconds = 7 * 86400 - 1;
    c = issue_checked(&p, K.p256b, r, K.p256, NULL, dns, 1, NULL, 0, now);
    assert_ext_der(c, "2.5.29.56", "30090603551d3804020500");
    X509_free(c);

    /* keyUsage bit 8 (decipherOnly) takes a second octet: 03 03 07 80 80. */
    p = *leaf;
    memcpy(exts, leaf->exts, leaf->n_exts * sizeof exts[0]);
    for (size_t i = 0; i < p.n_exts; i++)
        if (exts[i].kind == HSMCA_PROFILE_EXT_KEY_USAGE)
            exts[i].ku.usages = HSMCA_PROFILE_KU_DIGITAL_SIGNATURE | HSMCA_PROFILE_KU_DECIPHER_ONLY;
    p.exts = exts;
    c = issue(&p, K.p256b, r, K.p256, NULL, dns, 1, NULL, 0, now);
    assert_ext_der(c, "2.5.29.15", "300f0603551d0f0101ff04050303078080");
    X509_free(c);

    X509_free(r);
    hsmca_profile_free(root);
    hsmca_profile_free(sub);
    hsmca_profile_free(resp);
    hsmca_profile_free(leaf);
}

/* An issuer whose subject is not in hsmca's own encoding (CN first,
 * PrintableString O, two AVAs in one RDN): the issuer field copies its bytes
 * exactly (BR 7.1.4.1), it is not re-encoded. */
static void test_issuer_bytes_kept(void **state)
{
    hsmca_profile *sub = hsmca_test_require_profile("subordinate");
    X509 *odd = X509_new(), *odd2 = NULL, *c;
    X509_NAME *n = X509_NAME_new();
    ASN1_INTEGER *serial = ASN1_INTEGER_new();
    ASN1_OCTET_STRING *ski = ASN1_OCTET_STRING_new();
    BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
    uint8_t id[20], *der = NULL;
    size_t len = 0;
    unsigned char *a = NULL, *b = NULL;
    int la, lb;

    (void)state;
    assert_non_null(odd);
    assert_non_null(n);
    assert_int_equal(X509_NAME_add_entry_by_NID(n, NID_commonName, V_ASN1_UTF8STRING,
                                                (const unsigned char *)"Odd Root", -1, -1, 0), 1);
    assert_int_equal(X509_NAME_add_entry_by_NID(n, NID_organizationName, V_ASN1_PRINTABLESTRING,
                                                (const unsigned char *)"Odd", -1, -1, 0), 1);
    assert_int_equal(X509_NAME_add_entry_by_NID(n, NID_countryName, V_ASN1_PRINTABLESTRING,
                                                (const unsigned char *)"XX", -1, -1, -1), 1);
    assert_int_equal(X509_set_version(odd, X509_VERSION_3), 1);
    assert_int_equal(ASN1_INTEGER_set(serial, 4242), 1);
    assert_int_equal(X509_set_serialNumber(odd, serial), 1);
    assert_int_equal(X509_set_subject_name(odd, n), 1);
    assert_int_equal(X509_set_issuer_name(odd, n), 1);
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(odd), 0));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(odd), 86400));
    assert_int_equal(X509_set_pubkey(odd, K.p384), 1);
    assert_int_equal(hsmca_x509_key_id(K.p384, id), HSMCA_OK);
    assert_int_equal(ASN1_OCTET_STRING_set(ski, id, 20), 1);
    assert_int_equal(X509_add1_ext_i2d(odd, NID_subject_key_identifier, ski, 0, 0), 1);
    bc->ca = 0xff;
    assert_int_equal(X509_add1_ext_i2d(odd, NID_basic_constraints, bc, 1, 0), 1);
    assert_true(X509_sign(odd, K.p384, EVP_sha384()) > 0);
    der_of(odd, &der, &len);
    assert_int_equal(hsmca_x509_from_bytes(der, len, &odd2), HSMCA_OK);
    OPENSSL_free(der);

    c = issue_checked(sub, K.p256, odd2, K.p384, SUB_SUBJECT, NULL, 0, NULL, 0,
                      T("2026-06-01T12:00:00Z"));
    la = i2d_X509_NAME(X509_get_issuer_name(c), &a);
    lb = i2d_X509_NAME(X509_get_subject_name(odd2), &b);
    assert_true(la > 0);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, (size_t)la);
    /* ... and it really is the odd encoding: CN first, PrintableString O. */
    assert_int_equal(OBJ_obj2nid(X509_NAME_ENTRY_get_object(
                         X509_NAME_get_entry(X509_get_issuer_name(c), 0))), NID_commonName);
    assert_int_equal(ASN1_STRING_type(X509_NAME_ENTRY_get_data(
                         X509_NAME_get_entry(X509_get_issuer_name(c), 1))), V_ASN1_PRINTABLESTRING);
    OPENSSL_free(a);
    OPENSSL_free(b);
    X509_free(c);
    X509_free(odd2);
    X509_free(odd);
    X509_NAME_free(n);
    ASN1_INTEGER_free(serial);
    ASN1_OCTET_STRING_free(ski);
    BASIC_CONSTRAINTS_free(bc);
    hsmca_profile_free(sub);
}

/* Requests the profile does not allow: HSMCA_E_INPUT naming the profile. */
static void test_bad_requests(void **state)
{
    hsmca_profile *root = hsmca_test_require_profile("root");
    hsmca_profile *sub = hsmca_test_require_profile("subordinate");
    hsmca_profile *leaf = hsmca_test_require_profile("tls-server");
    hsmca_profile noski;
    hsmca_profile_ext exts[8];
    hsmca_time now = T("2026-06-01T12:00:00Z");
    static const char *const dns[] = { "www.example.test" };
    static const char *const bad_ip[] = { "192.0.2.300" };
    static const char *const bad_dns[] = { "www.exa mple.test" };
    X509 *r, *r_noski;
    EVP_PKEY *k256 = gen("k256");
    req_buf b;
    size_t n = 0;
    char long_cn[80];

    (void)state;
    r = issue(root, K.p256, NULL, NULL, ROOT_SUBJECT, NULL, 0, NULL, 0, now);

    /* Key types: RSA 2048 is not a root key here; secp256k1 is nothing. */
    req_init(&b, root, K.rsa2048, NULL, NULL, ROOT_SUBJECT, now);
    expect_refused(&b.r, HSMCA_E_INPUT, "RSA 2048");
    req_clear(&b);
    req_init(&b, root, k256, NULL, NULL, ROOT_SUBJECT, now);
    expect_refused(&b.r, HSMCA_E_INPUT, "secp256k1");
    req_clear(&b);
    /* Subject: missing required O; forbidden OU; bad C; CN over 64. */
    req_init(&b, root, K.p256, NULL, NULL, "C=XX, CN=Root", now);
    expect_refused(&b.r, HSMCA_E_INPUT, "needs O");
    req_clear(&b);
    req_init(&b, root, K.p256, NULL, NULL, "C=XX, O=x, OU=y, CN=Root", now);
    expect_refused(&b.r, HSMCA_E_INPUT, "must not have OU");
    req_clear(&b);
    req_init(&b, root, K.p256, NULL, NULL, "C=us, O=x, CN=Root", now);
    expect_refused(&b.r, HSMCA_E_INPUT, "two-letter");
    req_clear(&b);
    req_init(&b, root, K.p256, NULL, NULL, "C=USA, O=x, CN=Root", now);
    expect_refused(&b.r, HSMCA_E_INPUT, "two-letter");
    req_clear(&b);
    memset(long_cn, 0, sizeof long_cn);
    memcpy(long_cn, "C=XX, O=x, CN=", 14);
    memset(long_cn + 14, 'a', 65);
    req_init(&b, root, K.p256, NULL, NULL, long_cn, now);
    expect_refused(&b.r, HSMCA_E_INPUT, "65 characters");
    req_clear(&b);
    long_cn[14 + 64] = '\0'; /* 64 is fine */
    req_init(&b, root, K.p256, NULL, NULL, long_cn, now);
    X509_free(issue_req(&b.r, K.p256));
    req_clear(&b);
    /* A root has no issuer; others need one; the signer must match. */
    req_init(&b, root, K.p256, r, K.p256, ROOT_SUBJECT, now);
    expect_refused(&b.r, HSMCA_E_INPUT, "self-signed");
    req_clear(&b);
    req_init(&b, root, K.p256b, NULL, K.p256, ROOT_SUBJECT, now);
    expect_refused(&b.r, HSMCA_E_INPUT, "not the subject key");
    req_clear(&b);
    req_init(&b, sub, K.p256b, NULL, K.p256, SUB_SUBJECT, now);
    expect_refused(&b.r, HSMCA_E_INPUT, "needs the issuing CA's certificate");
    req_clear(&b);
    req_init(&b, sub, K.p256b, r, K.p384, SUB_SUBJECT, now);
    expect_refused(&b.r, HSMCA_E_INPUT, "not the key of the issuer certificate");
    req_clear(&b);
    /* Placeholders without values. */
    req_init(&b, sub, K.p256b, r, K.p256, SUB_SUBJECT, now);
    b.r.base_url = NULL;
    expect_refused(&b.r, HSMCA_E_INPUT, "{base_url}");
    b.r.base_url = "http://127.0.0.1:8080";
    b.r.issuer_id = NULL;
    expect_refused(&b.r, HSMCA_E_INPUT, "{issuer}");
    b.r.issuer_id = "a/b";
    expect_refused(&b.r, HSMCA_E_INPUT, "issuer id");
    b.r.issuer_id = "ok";
    b.r.base_url = "http://127.0.0.1:8080/";
    expect_refused(&b.r, HSMCA_E_INPUT, "must not end with '/'");
    b.r.base_url = "http://127.0.0.1:8080";
    /* Serials: zero, negative, non-minimal, too long. */
    b.serial[0] = 0;
    b.r.serial_len = 1;
    expect_refused(&b.r, HSMCA_E_INPUT, "zero");
    b.serial[0] = 0x80;
    expect_refused(&b.r, HSMCA_E_INPUT, "negative");
    b.serial[0] = 0x00;
    b.serial[1] = 0x7f;
    b.r.serial_len = 2;
    expect_refused(&b.r, HSMCA_E_INPUT, "leading zero");
    b.serial[1] = 0x80; /* 00 80 is the minimal form of 128 */
    X509_free(issue_req(&b.r, K.p256));
    b.r.serial_len = 21;
    expect_refused(&b.r, HSMCA_E_INPUT, "1 to 20 octets");
    /* Names for a profile without subject_alt_name. */
    b.r.serial_len = 2;
    b.r.dns_names = dns;
    b.r.n_dns = 1;
    expect_refused(&b.r, HSMCA_E_INPUT, "no subject_alt_name");
    req_clear(&b);
    /* tls-server: names required; IP text checked; CN must be the SAN. */
    req_init(&b, leaf, K.rsa2048, r, K.p256, NULL, now);
    expect_refused(&b.r, HSMCA_E_INPUT, "at least one DNS name or IP address");
    b.r.ip_addrs = bad_ip;
    b.r.n_ips = 1;
    expect_refused(&b.r, HSMCA_E_INPUT, "'192.0.2.300' is not an IPv4 or IPv6 address");
    b.r.n_ips = 0;
    b.r.dns_names = bad_dns;
    b.r.n_dns = 1;
    expect_refused(&b.r, HSMCA_E_INPUT, "not printable ASCII");
    req_clear(&b);
    req_init(&b, leaf, K.rsa2048, r, K.p256, "CN=other.example.test", now);
    b.r.dns_names = dns;
    b.r.n_dns = 1;
    expect_refused(&b.r, HSMCA_E_INPUT, "copies the CN from the first subject alternative name");
    req_clear(&b);
    req_init(&b, leaf, K.rsa2048, r, K.p256, "C=XX", now);
    b.r.dns_names = dns;
    b.r.n_dns = 1;
    expect_refused(&b.r, HSMCA_E_INPUT, "must not have C");
    req_clear(&b);

    /* An issuer without an SKI cannot give an AKI (BR 7.1.2.11.1). */
    noski = *root;
    for (size_t i = 0; i < root->n_exts; i++)
        if (root->exts[i].kind != HSMCA_PROFILE_EXT_SUBJECT_KEY_IDENTIFIER &&
            root->exts[i].kind != HSMCA_PROFILE_EXT_AUTHORITY_KEY_IDENTIFIER)
            exts[n++] = root->exts[i];
    noski.exts = exts;
    noski.n_exts = n;
    r_noski = issue(&noski, K.p384, NULL, NULL, ROOT_SUBJECT, NULL, 0, NULL, 0, now);
    assert_null(X509_get0_subject_key_id(r_noski));
    req_init(&b, sub, K.p256b, r_noski, K.p384, SUB_SUBJECT, now);
    expect_refused(&b.r, HSMCA_E_INPUT, "no subject key identifier");
    req_clear(&b);
    X509_free(r_noski);

    assert_int_equal(hsmca_x509_build(NULL, NULL), HSMCA_E_USAGE);
    EVP_PKEY_free(k256);
    X509_free(r);
    hsmca_profile_free(root);
    hsmca_profile_free(sub);
    hsmca_profile_free(leaf);
}

/* The TBS is final at build time: signing with a throwaway key and with
 * the real key leaves the same TBS (BR 4.3.1.2 pre-signing linting). */
static void test_sign(void **state)
{
    hsmca_profile *root = hsmca_test_require_profile("root");
    hsmca_profile *sub = hsmca_test_require_profile("subordinate");
    hsmca_time now = T("2026-06-01T12:00:00Z");
    EVP_PKEY *signers[] = { K.rsa3072, K.p256, K.p384 };

    (void)state;
    for (size_t i = 0; i < sizeof signers / sizeof signers[0]; i++) {
        X509 *r = issue(root, signers[i], NULL, NULL, ROOT_SUBJECT, NULL, 0, NULL, 0, now);
        X509 *c = NULL;
        EVP_PKEY *tk = NULL;
        uint8_t *t0 = NULL, *t1 = NULL, *t2 = NULL;
        size_t l0 = 0, l1 = 0, l2 = 0;
        req_buf b;

        req_init(&b, sub, K.p256b, r, signers[i], SUB_SUBJECT, now);
        assert_int_equal(hsmca_x509_build(&b.r, &c), HSMCA_OK);
        assert_int_equal(hsmca_x509_tbs_der(c, &t0, &l0), HSMCA_OK);
        assert_int_equal(hsmca_x509_throwaway_key(signers[i], &tk), HSMCA_OK);
        assert_int_equal(hsmca_x509_sign(c, tk, tk), HSMCA_OK);
        assert_int_equal(hsmca_x509_tbs_der(c, &t1, &l1), HSMCA_OK);
        /* The throwaway signature does not verify with the issuer's key. */
        assert_int_equal(X509_verify(c, signers[i]), 0);
        assert_int_equal(hsmca_x509_sign(c, signers[i], signers[i]), HSMCA_OK);
        assert_int_equal(hsmca_x509_tbs_der(c, &t2, &l2), HSMCA_OK);
        assert_int_equal(l0, l1);
        assert_int_equal(l1, l2);
        assert_memory_equal(t0, t1, l0);
        assert_memory_equal(t1, t2, l1);
        /* A signature checked against the wrong key: HSMCA_E_VERIFY. */
        assert_int_equal(hsmca_x509_sign(c, signers[i], K.rsa2048b), HSMCA_E_VERIFY);
        OPENSSL_free(t0);
        OPENSSL_free(t1);
        OPENSSL_free(t2);
        EVP_PKEY_free(tk);
        X509_free(c);
        X509_free(r);
        req_clear(&b);
    }
    hsmca_profile_free(root);
    hsmca_profile_free(sub);
}

static void test_bytes(void **state)
{
    hsmca_profile *root = hsmca_test_require_profile("root");
    X509 *c = issue(root, K.p256, NULL, NULL, ROOT_SUBJECT, NULL, 0, NULL, 0,
                    T("2026-06-01T12:00:00Z"));
    X509 *back = NULL;
    char *pem = NULL;
    uint8_t *der = NULL, *junk;
    size_t pl = 0, dl = 0;

    (void)state;
    assert_int_equal(hsmca_x509_to_pem(c, &pem, &pl), HSMCA_OK);
    assert_int_equal(strlen(pem), pl);
    assert_non_null(strstr(pem, "-----BEGIN CERTIFICATE-----"));
    assert_int_equal(hsmca_x509_from_bytes((const uint8_t *)pem, pl, &back), HSMCA_OK);
    assert_int_equal(X509_cmp(c, back), 0);
    X509_free(back);
    back = NULL;
    assert_int_equal(hsmca_x509_to_der(c, &der, &dl), HSMCA_OK);
    assert_int_equal(hsmca_x509_from_bytes(der, dl, &back), HSMCA_OK);
    assert_int_equal(X509_cmp(c, back), 0);
    X509_free(back);
    back = NULL;
    /* Trailing bytes after the DER, a truncated DER: refused. */
    junk = malloc(dl + 1);
    assert_non_null(junk);
    memcpy(junk, der, dl);
    junk[dl] = 0;
    assert_int_equal(hsmca_x509_from_bytes(junk, dl + 1, &back), HSMCA_E_INPUT);
    assert_int_not_equal(hsmca_x509_from_bytes(junk, dl - 1, &back), HSMCA_OK);
    assert_null(back);
    free(junk);
    OPENSSL_free(pem);
    OPENSSL_free(der);
    X509_free(c);
    hsmca_profile_free(root);
}

/* ---- independent tools ---- */

static void write_pem(const char *dir, const char *name, X509 *c)
{
    char path[4096], *pem = NULL;
    size_t len = 0;

    assert_int_equal(hsmca_x509_to_pem(c, &pem, &len), HSMCA_OK);
    assert_int_equal(hsmca_test_path(path, sizeof path, dir, name), 0);
    assert_int_equal(hsmca_test_write_file(path, pem, len, 0644), 0);
    OPENSSL_free(pem);
}

/* Run a shell command in dir; on failure show its output and fail. */
static void run_ok(const char *dir, const char *fmt, ...)
{
    char cmd[4096], full[16384];
    va_list ap;
    int rc, n;

    va_start(ap, fmt);
    n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof cmd);
    n = snprintf(full, sizeof full, "cd '%s' && (%s) > tool.log 2>&1", dir, cmd);
    assert_true(n > 0 && (size_t)n < sizeof full);
    rc = system(full);
    if (rc != 0) {
        n = snprintf(full, sizeof full, "cat '%s/tool.log' >&2", dir);
        if (n > 0 && (size_t)n < sizeof full && system(full) != 0)
            fprintf(stderr, "(no output)\n");
        fail_msg("`%s` failed (status %d)", cmd, WIFEXITED(rc) ? WEXITSTATUS(rc) : rc);
    }
}

/* The profile's extension names, comma-separated, for check_profile.py. */
static const char *ext_list(const hsmca_profile *p, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < p->n_exts && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "," : "",
                                 hsmca_profile_ext_name(p->exts[i].kind));
    return buf;
}

static void check_py(const char *dir, const hsmca_profile *p, const char *cert,
                     const char *issuer, const char *extra)
{
    char exts[512];

    run_ok(dir, "python3 '%s/tests/interop/check_profile.py' --exts %s %s %s %s %s",
           hsmca_test_require_source_dir(), ext_list(p, exts, sizeof exts), extra ? extra : "",
           hsmca_profile_kind_name(p->kind), cert, issuer ? issuer : "");
}

/* Two hierarchies, signed now (the tools check validity against the
 * system clock): P-384 root -> RSA 2048 subordinate -> P-256 leaf, and
 * RSA 3072 root -> P-256 subordinate -> RSA 2048 leaf, with a responder and
 * a precertificate signer under each root. */
static void test_interop(void **state)
{
    hsmca_profile *root = hsmca_test_require_profile("root");
    hsmca_profile *sub = hsmca_test_require_profile("subordinate");
    hsmca_profile *leaf = hsmca_test_require_profile("tls-server");
    hsmca_profile *resp = hsmca_test_require_profile("ocsp-responder");
    hsmca_profile *psc = hsmca_test_require_profile("precert-signer");
    hsmca_time now = hsmca_clock_now();
    static const char *const dns[] = { "www.example.test", "example.test" };
    static const char *const ips[] = { "192.0.2.7", "2001:db8::1" };
    const char *out = getenv("HSMCA_X509_OUT");
    char dir[4096];
    int keep = out != NULL && out[0] != '\0';
    struct {
        const char *tag;
        EVP_PKEY *root_key, *sub_key, *leaf_key, *resp_key, *psc_key;
    } h[2] = {
        { "ec", K.p384, K.rsa2048, K.p256, K.p256b, K.p384b },
        { "rsa", K.rsa3072, K.p256, K.rsa2048, K.rsa2048b, K.rsa2048b },
    };

    (void)state;
    if (keep) {
        snprintf(dir, sizeof dir, "%s", out);
        if (mkdir(dir, 0755) != 0 && access(dir, W_OK) != 0)
            fail_msg("HSMCA_X509_OUT=%s is not a writable directory", dir);
    } else {
        assert_int_equal(hsmca_test_mkdtemp(dir, sizeof dir), 0);
    }
    for (int i = 0; i < 2; i++) {
        char n[6][64], sans[128];
        X509 *r, *s, *l, *o, *pc, *o2;

        snprintf(n[0], 64, "%s-root.pem", h[i].tag);
        snprintf(n[1], 64, "%s-sub.pem", h[i].tag);
        snprintf(n[2], 64, "%s-leaf.pem", h[i].tag);
        snprintf(n[3], 64, "%s-ocsp.pem", h[i].tag);
        snprintf(n[4], 64, "%s-psc.pem", h[i].tag);
        snprintf(n[5], 64, "%s-sub-ocsp.pem", h[i].tag);
        r = issue_checked(root, h[i].root_key, NULL, NULL, ROOT_SUBJECT, NULL, 0, NULL, 0, now);
        s = issue_checked(sub, h[i].sub_key, r, h[i].root_key, SUB_SUBJECT, NULL, 0, NULL, 0,
                          now);
        l = issue_checked(leaf, h[i].leaf_key, s, h[i].sub_key, NULL, dns, 2, ips, 2, now);
        o = issue_checked(resp, h[i].resp_key, r, h[i].root_key,
                          "C=XX, ST=Berlin, L=Berlin, O=hsmca test, CN=hsmca Test Root OCSP",
                          NULL, 0, NULL, 0, now);
        o2 = issue_checked(resp, h[i].resp_key, s, h[i].sub_key,
                           "C=XX, O=hsmca test, CN=hsmca Test Issuing CA OCSP", NULL, 0, NULL,
                           0, now);
        pc = issue_checked(psc, h[i].psc_key, r, h[i].root_key,
                           "C=XX, O=hsmca test, CN=hsmca Test Precert Signer", NULL, 0, NULL, 0,
                           now);
        write_pem(dir, n[0], r);
        write_pem(dir, n[1], s);
        write_pem(dir, n[2], l);
        write_pem(dir, n[3], o);
        write_pem(dir, n[4], pc);
        write_pem(dir, n[5], o2);

        /* OpenSSL, strict. */
        run_ok(dir, "openssl verify -x509_strict -CAfile %s %s %s %s", n[0], n[1], n[3], n[4]);
        run_ok(dir, "openssl verify -x509_strict -CAfile %s -untrusted %s -purpose sslserver "
                    "-verify_hostname www.example.test %s", n[0], n[1], n[2]);
        run_ok(dir, "openssl verify -x509_strict -CAfile %s -untrusted %s %s", n[0], n[1], n[5]);
        run_ok(dir, "openssl verify -x509_strict -CAfile %s -untrusted %s -verify_ip 192.0.2.7 "
                    "%s", n[0], n[1], n[2]);
        /* GnuTLS: the chain leaf -> sub -> root, and against the root. */
        run_ok(dir, "cat %s %s > %s-chain2.pem && cat %s %s %s > %s-chain.pem", n[2], n[1],
               h[i].tag, n[2], n[1], n[0], h[i].tag);
        run_ok(dir, "certtool --verify-chain --infile %s-chain.pem", h[i].tag);
        run_ok(dir, "certtool --verify --load-ca-certificate %s --infile %s-chain2.pem "
                    "--verify-hostname www.example.test --verify-purpose 1.3.6.1.5.5.7.3.1",
               n[0], h[i].tag);
        /* python3-cryptography, per CONFORMANCE.md sections 0-9. */
        check_py(dir, root, n[0], NULL, NULL);
        check_py(dir, sub, n[1], n[0], NULL);
        snprintf(sans, sizeof sans, "--san dns:%s,dns:%s,ip:%s,ip:%s", dns[0], dns[1], ips[0],
                 ips[1]);
        check_py(dir, leaf, n[2], n[1], sans);
        check_py(dir, resp, n[3], n[0], NULL);
        check_py(dir, resp, n[5], n[1], NULL);
        check_py(dir, psc, n[4], n[0], NULL);
        /* And check_profile.py does catch a mismatch: the leaf is not a root. */
        {
            char cmd[16384];
            int w;

            w = snprintf(cmd, sizeof cmd, "cd '%s' && python3 '%s/tests/interop/check_profile.py' "
                         "--quiet root %s >/dev/null 2>&1", dir, hsmca_test_require_source_dir(),
                         n[2]);
            assert_true(w > 0 && (size_t)w < sizeof cmd);
            assert_int_not_equal(system(cmd), 0);
            w = snprintf(cmd, sizeof cmd, "cd '%s' && python3 '%s/tests/interop/check_profile.py' "
                         "--quiet subordinate %s %s >/dev/null 2>&1", dir,
                         hsmca_test_require_source_dir(), n[1], n[2]);
            assert_true(w > 0 && (size_t)w < sizeof cmd);
            assert_int_not_equal(system(cmd), 0);
        }
        X509_free(o2);
        X509_free(pc);
        X509_free(o);
        X509_free(l);
        X509_free(s);
        X509_free(r);
    }
    if (!keep)
        assert_int_equal(hsmca_test_rmtree(dir), 0);
    hsmca_profile_free(root);
    hsmca_profile_free(sub);
    hsmca_profile_free(leaf);
    hsmca_profile_free(resp);
    hsmca_profile_free(psc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subject_parse),
        cmocka_unit_test(test_serial_from_random),
        cmocka_unit_test(test_throwaway_key),
        cmocka_unit_test(test_root_profile),
        cmocka_unit_test(test_ca_profiles),
        cmocka_unit_test(test_tls_server_profile),
        cmocka_unit_test(test_time_boundary),
        cmocka_unit_test(test_more_extensions),
        cmocka_unit_test(test_issuer_bytes_kept),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_sign),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_interop),
    };

    return cmocka_run_group_tests(tests, setup_keys, teardown_keys);
}
