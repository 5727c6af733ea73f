/* Unit tests: OCSP (src/ocsp, include/hsmca/ocsp.h); no token.
 *
 * Requests are built here with OpenSSL's own OCSP API (OCSP_cert_id_new
 * over a throwaway self-signed P-256 issuer made in-process), with the
 * nonce extension written by hand so that its exact bytes are ours. The
 * hashes a CertID must carry are computed here independently (SHA-x of the
 * issuer's DER subject and of its subjectPublicKey BIT STRING value, RFC
 * 6960 §4.1.1) and compared with what the parser hands back.
 *
 * Covered: hsmca_ocsp_request_parse on good requests (SHA-1, SHA-256,
 * several CertIDs, nonces of 1..128 octets, serial edge cases) and on every
 * malformedRequest shape of ocsp.h (empty, garbage, each truncation,
 * trailing bytes, size and CertID-count bounds, hash algorithm and length,
 * nonce size, type and count); hsmca_ocsp_decide over its whole table;
 * hsmca_ocsp_error_response and hsmca_ocsp_status_name; hsmca_ocsp_build
 * without a store (times, nonces and certs outside the responder's
 * policy); and a responder
 * end to end over a store with a software signer (the signer is a
 * callback, so no token is needed), its response checked with OpenSSL.
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
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "hsmca/err.h"
#include "hsmca/log.h"
#include "hsmca/ocsp.h"
#include "hsmca/ossl.h"
#include "hsmca/store.h"
#include "support.h"

#define T0 1795867200 /* 2026-11-28T12:00:00Z */
#define DAY 86400

/* ---- the throwaway issuer ---- */

static EVP_PKEY *issuer_key;
static X509 *issuer_cert;
/* RFC 6960 §4.1.1, computed here: hashes of the DER subject and of the
 * subjectPublicKey BIT STRING's value (no tag, length or unused-bits). */
static uint8_t name_sha1[20], key_sha1[20], name_sha256[32], key_sha256[32];

static X509 *self_signed(EVP_PKEY *key, const char *cn, hsmca_time not_before,
                         hsmca_time not_after)
{
    X509 *x = X509_new();
    X509_NAME *nm;

    assert_non_null(x);
    assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
    nm = X509_get_subject_name(x);
    assert_int_equal(X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_ASC,
                                                (const unsigned char *)"hsmca test", -1, -1, 0),
                     1);
    assert_int_equal(X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
                                                (const unsigned char *)cn, -1, -1, 0),
                     1);
    assert_int_equal(X509_set_issuer_name(x, nm), 1);
    assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)not_before));
    assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after));
    assert_int_equal(X509_set_pubkey(x, key), 1);
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    return x;
}

static void digest(const EVP_MD *md, const void *data, size_t len, uint8_t *out)
{
    assert_int_equal(EVP_Digest(data, len, out, NULL, md, NULL), 1);
}

static int group_setup(void **state)
{
    unsigned char *name = NULL;
    int name_len;
    const ASN1_BIT_STRING *bits;

    hsmca_log_set_level(HSMCA_LOG_ERROR);
    issuer_key = EVP_EC_gen("P-256");
    if (issuer_key == NULL)
        return -1;
    issuer_cert = self_signed(issuer_key, "hsmca OCSP Test Issuer", T0 - 30 * DAY,
                              T0 + 3650 * DAY);
    name_len = i2d_X509_NAME(X509_get_subject_name(issuer_cert), &name);
    if (name_len <= 0)
        return -1;
    bits = X509_get0_pubkey_bitstr(issuer_cert);
    /* An uncompressed P-256 point: 65 octets, 0x04 first. */
    if (bits == NULL || ASN1_STRING_length(bits) != 65 || ASN1_STRING_get0_data(bits)[0] != 4)
        return -1;
    digest(EVP_sha1(), name, (size_t)name_len, name_sha1);
    digest(EVP_sha256(), name, (size_t)name_len, name_sha256);
    digest(EVP_sha1(), ASN1_STRING_get0_data(bits), (size_t)ASN1_STRING_length(bits), key_sha1);
    digest(EVP_sha256(), ASN1_STRING_get0_data(bits), (size_t)ASN1_STRING_length(bits),
           key_sha256);
    OPENSSL_free(name);
    (void)state;
    return 0;
}

static int group_teardown(void **state)
{
    X509_free(issuer_cert);
    EVP_PKEY_free(issuer_key);
    (void)state;
    return 0;
}

/* ---- building requests ---- */

/* An INTEGER with these magnitude octets (big-endian), negative if neg. */
static ASN1_INTEGER *integer(const uint8_t *mag, size_t n, int neg)
{
    BIGNUM *bn = BN_bin2bn(mag, (int)n, NULL);
    ASN1_INTEGER *ai;

    assert_non_null(bn);
    BN_set_negative(bn, neg);
    ai = BN_to_ASN1_INTEGER(bn, NULL);
    assert_non_null(ai);
    BN_free(bn);
    return ai;
}

/* A CertID for our issuer (any digest OpenSSL knows), added to r. Returns
 * the CertID (owned by r) so a test can tamper with it. */
static OCSP_CERTID *add_id(OCSP_REQUEST *r, const EVP_MD *md, const uint8_t *mag, size_t n,
                           int neg)
{
    ASN1_INTEGER *serial = integer(mag, n, neg);
    OCSP_CERTID *id = OCSP_cert_id_new(md, X509_get_subject_name(issuer_cert),
                                       X509_get0_pubkey_bitstr(issuer_cert), serial);

    assert_non_null(id);
    ASN1_INTEGER_free(serial);
    assert_non_null(OCSP_request_add0_id(r, id));
    return id;
}

/* A request extension with exactly these extnValue octets. */
static void add_ext_raw(OCSP_REQUEST *r, const char *oid, const uint8_t *value, size_t len)
{
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    X509_EXTENSION *ext;

    assert_non_null(obj);
    assert_non_null(os);
    assert_int_equal(ASN1_OCTET_STRING_set(os, value, (int)len), 1);
    ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os);
    assert_non_null(ext);
    assert_int_equal(OCSP_REQUEST_add_ext(r, ext, -1), 1);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(obj);
}

#define NONCE_OID "1.3.6.1.5.5.7.48.1.2"

/* DER tag + length header for `len` content octets into out; its size. */
static size_t der_header(uint8_t tag, size_t len, uint8_t *out)
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

/* The nonce extension, by hand: extnValue = DER OCTET STRING of nonce. */
static void add_nonce(OCSP_REQUEST *r, const uint8_t *nonce, size_t len)
{
    uint8_t buf[512];
    size_t h = der_header(0x04, len, buf);

    assert_true(h + len <= sizeof buf);
    if (len > 0)
        memcpy(buf + h, nonce, len);
    add_ext_raw(r, NONCE_OID, buf, h + len);
}

/* DER of r (OPENSSL_free); frees r. */
static uint8_t *der_of(OCSP_REQUEST *r, size_t *len)
{
    unsigned char *der = NULL;
    int n = i2d_OCSP_REQUEST(r, &der);

    assert_true(n > 0);
    OCSP_REQUEST_free(r);
    *len = (size_t)n;
    return der;
}

static const uint8_t SN1[] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
static const uint8_t SN2[] = {0x01};
static const uint8_t SN3[] = {0x7f, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88, 0x77,
                              0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00, 0x01, 0x02,
                              0x03, 0x04}; /* 20 octets, top bit clear */

/* One SHA-1 CertID for SN1, with a 16-octet nonce 00 01 .. 0f. */
static uint8_t *good_request(size_t *len)
{
    OCSP_REQUEST *r = OCSP_REQUEST_new();
    uint8_t nonce[16];

    assert_non_null(r);
    for (size_t i = 0; i < sizeof nonce; i++)
        nonce[i] = (uint8_t)i;
    add_id(r, EVP_sha1(), SN1, sizeof SN1, 0);
    add_nonce(r, nonce, sizeof nonce);
    return der_of(r, len);
}

/* ---- expectations ---- */

static void expect_ok(hsmca_err err, const char *what)
{
    if (err != HSMCA_OK)
        fail_msg("%s: %s: %s (%s)", what, hsmca_err_code_name(err), hsmca_err_message(),
                 hsmca_err_detail());
}

static void expect_err(hsmca_err err, hsmca_err want, const char *needle)
{
    if (err != want)
        fail_msg("want %s, got %s: %s (%s)", hsmca_err_code_name(want), hsmca_err_code_name(err),
                 err == HSMCA_OK ? "" : hsmca_err_message(),
                 err == HSMCA_OK ? "" : hsmca_err_detail());
    if (needle != NULL && strstr(hsmca_err_message(), needle) == NULL)
        fail_msg("message lacks '%s': %s", needle, hsmca_err_message());
}

static hsmca_ocsp_request *parse_ok(const uint8_t *der, size_t len)
{
    hsmca_ocsp_request *q = NULL;

    expect_ok(hsmca_ocsp_request_parse(der, len, &q), "parse");
    assert_non_null(q);
    assert_non_null(q->ossl);
    return q;
}

/* Refused as malformed, with needle in the message, and nothing out. */
static void parse_bad(const uint8_t *der, size_t len, const char *needle)
{
    hsmca_ocsp_request *q = (hsmca_ocsp_request *)(uintptr_t)1;

    hsmca_err_clear();
    expect_err(hsmca_ocsp_request_parse(der, len, &q), HSMCA_E_INPUT, needle);
    assert_null(q);
}

/* Build and parse: one CertID (md, SN1) plus nonce. */
static void parse_bad_req(OCSP_REQUEST *r, const char *needle)
{
    size_t len;
    uint8_t *der = der_of(r, &len);

    parse_bad(der, len, needle);
    OPENSSL_free(der);
}

static void check_id(const hsmca_ocsp_certid *id, int nid, const uint8_t *sn, size_t sn_len)
{
    assert_int_equal(id->hash_nid, nid);
    if (nid == NID_sha1) {
        assert_int_equal(id->hash_len, 20);
        assert_memory_equal(id->name_hash, name_sha1, 20);
        assert_memory_equal(id->key_hash, key_sha1, 20);
    } else {
        assert_int_equal(id->hash_len, 32);
        assert_memory_equal(id->name_hash, name_sha256, 32);
        assert_memory_equal(id->key_hash, key_sha256, 32);
    }
    assert_int_equal(id->serial.len, sn_len);
    if (sn_len > 0)
        assert_memory_equal(id->serial.b, sn, sn_len);
}

/* ---- hsmca_ocsp_request_parse: accepted ---- */

static void test_parse_sha1(void **state)
{
    size_t len;
    uint8_t *der = good_request(&len);
    hsmca_ocsp_request *q = parse_ok(der, len);
    uint8_t want[16];

    assert_int_equal(q->n_ids, 1);
    check_id(&q->ids[0], NID_sha1, SN1, sizeof SN1);
    assert_int_equal(q->has_nonce, 1);
    assert_int_equal(q->nonce_len, 16);
    for (size_t i = 0; i < sizeof want; i++)
        want[i] = (uint8_t)i;
    assert_memory_equal(q->nonce, want, sizeof want);
    /* ossl is the parsed request: it has the same CertID. */
    assert_int_equal(OCSP_request_onereq_count(q->ossl), 1);
    hsmca_ocsp_request_free(q);
    hsmca_ocsp_request_free(NULL);
    OPENSSL_free(der);
    (void)state;
}

static void test_parse_sha256(void **state)
{
    OCSP_REQUEST *r = OCSP_REQUEST_new();
    size_t len;
    uint8_t *der;
    hsmca_ocsp_request *q;

    add_id(r, EVP_sha256(), SN3, sizeof SN3, 0);
    der = der_of(r, &len);
    q = parse_ok(der, len);
    assert_int_equal(q->n_ids, 1);
    check_id(&q->ids[0], NID_sha256, SN3, sizeof SN3);
    /* No nonce: none reported. */
    assert_int_equal(q->has_nonce, 0);
    assert_int_equal(q->nonce_len, 0);
    hsmca_ocsp_request_free(q);
    OPENSSL_free(der);
    (void)state;
}

/* Several CertIDs, hashes mixed, each read in order; and exactly
 * HSMCA_OCSP_CERTIDS_MAX of them is still accepted. */
static void test_parse_several(void **state)
{
    OCSP_REQUEST *r = OCSP_REQUEST_new();
    size_t len;
    uint8_t *der, sn[2];
    hsmca_ocsp_request *q;

    add_id(r, EVP_sha1(), SN1, sizeof SN1, 0);
    add_id(r, EVP_sha256(), SN2, sizeof SN2, 0);
    add_id(r, EVP_sha1(), SN3, sizeof SN3, 0);
    der = der_of(r, &len);
    q = parse_ok(der, len);
    assert_int_equal(q->n_ids, 3);
    check_id(&q->ids[0], NID_sha1, SN1, sizeof SN1);
    check_id(&q->ids[1], NID_sha256, SN2, sizeof SN2);
    check_id(&q->ids[2], NID_sha1, SN3, sizeof SN3);
    hsmca_ocsp_request_free(q);
    OPENSSL_free(der);

    r = OCSP_REQUEST_new();
    for (int i = 0; i < HSMCA_OCSP_CERTIDS_MAX; i++) {
        sn[0] = 0x10;
        sn[1] = (uint8_t)i;
        add_id(r, i % 2 ? EVP_sha256() : EVP_sha1(), sn, 2, 0);
    }
    der = der_of(r, &len);
    q = parse_ok(der, len);
    assert_int_equal(q->n_ids, HSMCA_OCSP_CERTIDS_MAX);
    for (int i = 0; i < HSMCA_OCSP_CERTIDS_MAX; i++) {
        sn[0] = 0x10;
        sn[1] = (uint8_t)i;
        check_id(&q->ids[i], i % 2 ? NID_sha256 : NID_sha1, sn, 2);
    }
    hsmca_ocsp_request_free(q);
    OPENSSL_free(der);
    (void)state;
}

/* RFC 9654 §2.1: 1..128 octets accepted, copied exactly. */
static void test_parse_nonce_sizes(void **state)
{
    static const size_t sizes[] = {1, 16, 32, 128};

    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        OCSP_REQUEST *r = OCSP_REQUEST_new();
        uint8_t nonce[HSMCA_OCSP_NONCE_MAX];
        size_t len;
        uint8_t *der;
        hsmca_ocsp_request *q;

        for (size_t i = 0; i < sizes[k]; i++)
            nonce[i] = (uint8_t)(0xa0 + i * 7 + k);
        add_id(r, EVP_sha1(), SN1, sizeof SN1, 0);
        add_nonce(r, nonce, sizes[k]);
        der = der_of(r, &len);
        q = parse_ok(der, len);
        assert_int_equal(q->has_nonce, 1);
        assert_int_equal(q->nonce_len, sizes[k]);
        assert_memory_equal(q->nonce, nonce, sizes[k]);
        hsmca_ocsp_request_free(q);
        OPENSSL_free(der);
    }
    (void)state;
}

/* Serials as sent: over 20 octets reads as len 0 (no serial of ours looks
 * like it); a negative one keeps its two's-complement content octets; 20
 * octets including a 00 pad is still a serial. */
static void test_parse_serials(void **state)
{
    uint8_t big[130], pad[19];
    static const uint8_t neg_mag[] = {0x81};           /* -129: 02 02 ff 7f */
    static const uint8_t neg_want[] = {0xff, 0x7f};
    static const uint8_t neg1_want[] = {0xff};          /* -1 */
    static const size_t big_sizes[] = {21, 64, 130};
    hsmca_ocsp_request *q;
    OCSP_REQUEST *r;
    size_t len;
    uint8_t *der;

    memset(big, 0x5a, sizeof big);
    for (size_t k = 0; k < sizeof big_sizes / sizeof big_sizes[0]; k++) {
        r = OCSP_REQUEST_new();
        add_id(r, EVP_sha1(), big, big_sizes[k], 0);
        add_id(r, EVP_sha1(), SN1, sizeof SN1, 0);
        der = der_of(r, &len);
        q = parse_ok(der, len);
        assert_int_equal(q->n_ids, 2);
        assert_int_equal(q->ids[0].serial.len, 0);
        check_id(&q->ids[0], NID_sha1, NULL, 0);
        check_id(&q->ids[1], NID_sha1, SN1, sizeof SN1);
        hsmca_ocsp_request_free(q);
        OPENSSL_free(der);
    }

    r = OCSP_REQUEST_new();
    add_id(r, EVP_sha1(), neg_mag, sizeof neg_mag, 1);
    add_id(r, EVP_sha1(), SN2, sizeof SN2, 1);
    memset(pad, 0xc3, sizeof pad); /* 19 octets, top bit set: 00 pad makes 20 */
    add_id(r, EVP_sha256(), pad, sizeof pad, 0);
    add_id(r, EVP_sha256(), big, 20, 0);
    der = der_of(r, &len);
    q = parse_ok(der, len);
    assert_int_equal(q->n_ids, 4);
    check_id(&q->ids[0], NID_sha1, neg_want, sizeof neg_want);
    check_id(&q->ids[1], NID_sha1, neg1_want, sizeof neg1_want);
    assert_int_equal(q->ids[2].serial.len, 20);
    assert_int_equal(q->ids[2].serial.b[0], 0x00);
    for (size_t i = 1; i < 20; i++)
        assert_int_equal(q->ids[2].serial.b[i], 0xc3);
    check_id(&q->ids[3], NID_sha256, big, 20);
    hsmca_ocsp_request_free(q);
    OPENSSL_free(der);
    (void)state;
}

/* ---- hsmca_ocsp_request_parse: malformedRequest ---- */

static void test_parse_empty_garbage(void **state)
{
    static const uint8_t garbage[] = "GET /ocsp HTTP/1.1\r\n\r\n";
    static const uint8_t not_ocsp[] = {0x30, 0x03, 0x02, 0x01, 0x01}; /* SEQUENCE { 1 } */
    static const uint8_t zero = 0;
    hsmca_ocsp_request *q = NULL;
    size_t len;
    uint8_t *der = good_request(&len);

    parse_bad(NULL, 0, "the request is empty");
    parse_bad(der, 0, "the request is empty");
    parse_bad(NULL, 10, "the request is empty");
    parse_bad(garbage, sizeof garbage - 1, "not a DER OCSPRequest");
    parse_bad(not_ocsp, sizeof not_ocsp, "not a DER OCSPRequest");
    parse_bad(&zero, 1, "not a DER OCSPRequest");
    /* Nowhere to put the result: a usage error, not a malformed request. */
    expect_err(hsmca_ocsp_request_parse(der, len, NULL), HSMCA_E_USAGE, NULL);
    /* The good request itself parses (the cases above are not vacuous). */
    expect_ok(hsmca_ocsp_request_parse(der, len, &q), "good");
    hsmca_ocsp_request_free(q);
    OPENSSL_free(der);
    (void)state;
}

/* Every proper prefix of a valid request is refused. */
static void test_parse_truncated(void **state)
{
    size_t len;
    uint8_t *der = good_request(&len);

    assert_true(len > 40 && len < 1000);
    parse_bad(der, 0, "empty");
    for (size_t n = 1; n < len; n++) {
        uint8_t *copy = malloc(n); /* exact size: ASan sees any over-read */

        assert_non_null(copy);
        memcpy(copy, der, n);
        parse_bad(copy, n, "not a DER OCSPRequest");
        free(copy);
    }
    OPENSSL_free(der);
    (void)state;
}

static void test_parse_trailing(void **state)
{
    size_t len;
    uint8_t *der = good_request(&len), *longer = malloc(len + 3);
    uint8_t *twice = malloc(2 * len);

    assert_non_null(longer);
    assert_non_null(twice);
    memcpy(longer, der, len);
    longer[len] = 0x00;
    parse_bad(longer, len + 1, "1 octets follow the OCSPRequest");
    longer[len + 1] = 0x00;
    longer[len + 2] = 0x00;
    parse_bad(longer, len + 3, "3 octets follow the OCSPRequest");
    memcpy(twice, der, len);
    memcpy(twice + len, der, len);
    parse_bad(twice, 2 * len, "follow the OCSPRequest");
    free(longer);
    free(twice);
    OPENSSL_free(der);
    (void)state;
}

/* RFC 6960 §4.1: DER only. The same request with its outer SEQUENCE's
 * length in a non-minimal long form, and with an indefinite length, is BER:
 * OpenSSL reads both, the responder refuses them. */
static void test_parse_ber(void **state)
{
    size_t len, hdr, clen;
    uint8_t *der = good_request(&len), *ber = malloc(len + 8);

    assert_non_null(ber);
    assert_int_equal(der[0], 0x30);
    hdr = der[1] < 0x80 ? 2 : 2 + (size_t)(der[1] & 0x7f);
    clen = len - hdr;
    assert_true(clen < 0x10000);
    hsmca_ocsp_request_free(parse_ok(der, len));
    ber[0] = 0x30;
    ber[1] = 0x83; /* three length octets where one or two do */
    ber[2] = 0x00;
    ber[3] = (uint8_t)(clen >> 8);
    ber[4] = (uint8_t)clen;
    memcpy(ber + 5, der + hdr, clen);
    parse_bad(ber, clen + 5, "BER, not DER");
    ber[1] = 0x80; /* indefinite length, end-of-contents after */
    memcpy(ber + 2, der + hdr, clen);
    ber[2 + clen] = 0x00;
    ber[3 + clen] = 0x00;
    parse_bad(ber, clen + 4, "BER, not DER");
    OPENSSL_free(der);
    free(ber);
    (void)state;
}

/* A valid request of exactly `want` octets: one CertID and a private
 * extension padded to size. */
static uint8_t *request_of_size(size_t want, size_t *len)
{
    size_t pad = want - 200;

    for (int tries = 0; tries < 16; tries++) {
        OCSP_REQUEST *r = OCSP_REQUEST_new();
        uint8_t *value = calloc(1, pad), *der;

        assert_non_null(value);
        add_id(r, EVP_sha1(), SN1, sizeof SN1, 0);
        add_ext_raw(r, "1.3.6.1.4.1.99999.1", value, pad);
        free(value);
        der = der_of(r, len);
        if (*len == want)
            return der;
        OPENSSL_free(der);
        pad = pad + want - *len;
    }
    fail_msg("cannot build a request of %zu octets", want);
    return NULL;
}

static void test_parse_size_bound(void **state)
{
    size_t len;
    uint8_t *der = request_of_size(HSMCA_OCSP_REQUEST_MAX, &len);
    hsmca_ocsp_request *q = parse_ok(der, len);

    /* The padding extension is not a nonce. */
    assert_int_equal(q->has_nonce, 0);
    check_id(&q->ids[0], NID_sha1, SN1, sizeof SN1);
    hsmca_ocsp_request_free(q);
    OPENSSL_free(der);

    der = request_of_size(HSMCA_OCSP_REQUEST_MAX + 1, &len);
    parse_bad(der, len, "the request is 65537 octets; at most 65536 are accepted");
    OPENSSL_free(der);
    (void)state;
}

static void test_parse_certid_count(void **state)
{
    OCSP_REQUEST *r = OCSP_REQUEST_new();
    uint8_t sn[2];

    /* Zero CertIDs (an empty requestList is valid DER). */
    add_nonce(r, SN1, sizeof SN1);
    parse_bad_req(r, "the request asks about no certificate");

    r = OCSP_REQUEST_new();
    for (int i = 0; i <= HSMCA_OCSP_CERTIDS_MAX; i++) {
        sn[0] = 0x10;
        sn[1] = (uint8_t)i;
        add_id(r, EVP_sha1(), sn, 2, 0);
    }
    parse_bad_req(r, "the request asks about 65 certificates; at most 64 are answered");
    (void)state;
}

/* CONFORMANCE.md §12: SHA-1 and SHA-256 only, the refusal names the OID
 * and which CertID. */
static void test_parse_hash_algorithm(void **state)
{
    OCSP_REQUEST *r = OCSP_REQUEST_new();

    add_id(r, EVP_sha384(), SN1, sizeof SN1, 0);
    parse_bad_req(r, "CertID 1 uses hash algorithm 2.16.840.1.101.3.4.2.2; this responder "
                     "accepts SHA-1 and SHA-256");

    r = OCSP_REQUEST_new();
    add_id(r, EVP_sha1(), SN1, sizeof SN1, 0);
    add_id(r, EVP_md5(), SN1, sizeof SN1, 0);
    parse_bad_req(r, "CertID 2 uses hash algorithm 1.2.840.113549.2.5");
    (void)state;
}

/* Set a CertID's name or key hash to n octets of 0x42. */
static void set_hash(OCSP_CERTID *id, int which, size_t n)
{
    ASN1_OCTET_STRING *name_hash = NULL, *key_hash = NULL;
    uint8_t buf[64];

    memset(buf, 0x42, sizeof buf);
    assert_int_equal(OCSP_id_get0_info(&name_hash, NULL, &key_hash, NULL, id), 1);
    assert_int_equal(ASN1_OCTET_STRING_set(which ? key_hash : name_hash, buf, (int)n), 1);
}

static void test_parse_hash_length(void **state)
{
    static const struct {
        int sha256, which;
        size_t n;
        const char *needle;
    } cases[] = {
        {0, 0, 19, "CertID 1: its hashes are not 20 octets long as SHA1's are"},
        {0, 1, 21, "not 20 octets long"},
        {0, 0, 0, "not 20 octets long"},
        {0, 1, 32, "not 20 octets long"},
        {1, 0, 20, "CertID 1: its hashes are not 32 octets long as SHA256's are"},
        {1, 1, 20, "not 32 octets long"},
        {1, 1, 33, "not 32 octets long"},
    };

    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        OCSP_REQUEST *r = OCSP_REQUEST_new();
        OCSP_CERTID *id = add_id(r, cases[k].sha256 ? EVP_sha256() : EVP_sha1(), SN1,
                                 sizeof SN1, 0);

        set_hash(id, cases[k].which, cases[k].n);
        parse_bad_req(r, cases[k].needle);
    }
    /* The second CertID is named. */
    {
        OCSP_REQUEST *r = OCSP_REQUEST_new();
        OCSP_CERTID *id;

        add_id(r, EVP_sha256(), SN1, sizeof SN1, 0);
        id = add_id(r, EVP_sha1(), SN2, sizeof SN2, 0);
        set_hash(id, 1, 31);
        parse_bad_req(r, "CertID 2: its hashes are not 20 octets");
    }
    (void)state;
}

/* RFC 9654 §2.1: 0 and 129 octets refused, as is anything but one OCTET
 * STRING, and a second nonce. */
static void test_parse_nonce_bad(void **state)
{
    uint8_t nonce[HSMCA_OCSP_NONCE_MAX + 1];
    static const uint8_t integer_value[] = {0x02, 0x01, 0x05};
    static const uint8_t raw_value[] = {0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04,
                                        0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c};
    static const uint8_t trailing_value[] = {0x04, 0x02, 0xaa, 0xbb, 0x00};
    static const uint8_t short_value[] = {0x04, 0x05, 0xaa, 0xbb};
    static const uint8_t empty_value[] = {0};
    OCSP_REQUEST *r;

    memset(nonce, 0x77, sizeof nonce);

    r = OCSP_REQUEST_new();
    add_id(r, EVP_sha1(), SN1, sizeof SN1, 0);
    add_nonce(r, nonce, 0);
    parse_bad_req(r, "the nonce is 0 octets; RFC 9654 §2.1 allows 1 to 128");

    r = OCSP_REQUEST_new();
    add_id(r, EVP_sha1(), SN1, sizeof SN1, 0);
    add_nonce(r, nonce, HSMCA_OCSP_NONCE_MAX + 1);
    parse_bad_req(r, "the nonce is 129 octets; RFC 9654 §2.1 allows 1 to 128");

    /* Not an OCTET STRING: an INTEGER, raw bytes (what pre-RFC 8954
     * clients sent), an OCTET STRING with bytes after it, a truncated
     * one, an empty extnValue. */
    r = OCSP_REQUEST_new();
    add_id(r, EVP_sha1(), SN1, sizeof SN1, 0);
    add_ext_raw(r, NONCE_OID, integer_value, sizeof integer_value);
    parse_bad_req(r, "the nonce extension does not hold one OCTET STRING");

    r = OCSP_REQUEST_new();
    add_id(r, EVP_sha1(), SN1, sizeof SN1, 0);
    add_ext_raw(r, NONCE_OID, raw_value, sizeof raw_value);
    parse_bad_req(r, "the nonce extension does not hold one OCTET STRING");

    r = OCSP_REQUEST_new();
    add_id(r, EVP_sha1(), SN1, sizeof SN1, 0);
    add_ext_raw(r, NONCE_OID, trailing_value, sizeof trailing_value);
    parse_bad_req(r, "the nonce extension does not hold one OCTET STRING");

    r = OCSP_REQUEST_new();
    add_id(r, EVP_sha1(), SN1, sizeof SN1, 0);
    add_ext_raw(r, NONCE_OID, short_value, sizeof short_value);
    parse_bad_req(r, "the nonce extension does not hold one OCTET STRING");

    r = OCSP_REQUEST_new();
    add_id(r, EVP_sha1(), SN1, sizeof SN1, 0);
    add_ext_raw(r, NONCE_OID, empty_value, 0);
    parse_bad_req(r, "the nonce extension does not hold one OCTET STRING");

    /* Two nonces, each fine alone. */
    r = OCSP_REQUEST_new();
    add_id(r, EVP_sha1(), SN1, sizeof SN1, 0);
    add_nonce(r, nonce, 16);
    add_nonce(r, nonce, 16);
    parse_bad_req(r, "the request carries two nonce extensions");

    /* With another extension between them. */
    r = OCSP_REQUEST_new();
    add_id(r, EVP_sha1(), SN1, sizeof SN1, 0);
    add_nonce(r, nonce, 16);
    add_ext_raw(r, "1.3.6.1.4.1.99999.2", nonce, 4);
    add_nonce(r, nonce, 32);
    parse_bad_req(r, "two nonce extensions");
    (void)state;
}

/* A refusal in a later CertID frees what was read of the earlier ones
 * (ASan), and a refused nonce after good CertIDs likewise. */
static void test_parse_refusal_late(void **state)
{
    OCSP_REQUEST *r = OCSP_REQUEST_new();
    uint8_t sn[1];

    for (int i = 0; i < 10; i++) {
        sn[0] = (uint8_t)(i + 1);
        add_id(r, EVP_sha256(), sn, 1, 0);
    }
    add_id(r, EVP_sha512(), SN1, sizeof SN1, 0);
    parse_bad_req(r, "CertID 11 uses hash algorithm 2.16.840.1.101.3.4.2.3");
    (void)state;
}

/* ---- hsmca_ocsp_decide ---- */

#define GOOD V_OCSP_CERTSTATUS_GOOD
#define REVOKED V_OCSP_CERTSTATUS_REVOKED
#define UNKNOWN V_OCSP_CERTSTATUS_UNKNOWN
#define UNAUTH (-1)

static void check_decide(const hsmca_store_status *s, int pp, int up, int status,
                         hsmca_time at, int reason, int ext)
{
    hsmca_ocsp_answer a;

    memset(&a, 0xa5, sizeof a); /* every field must be written */
    hsmca_ocsp_decide(s, pp, up, &a);
    if (a.cert_status != status || a.revoked_at != at || a.reason != reason ||
        a.extended_revoke != ext)
        fail_msg("state %d revoked %d policies %s/%s: got status %d at %lld reason %d ext %d, "
                 "want %d %lld %d %d",
                 (int)s->state, s->revoked, hsmca_store_answer_name(pp),
                 hsmca_store_answer_name(up), a.cert_status, (long long)a.revoked_at, a.reason,
                 a.extended_revoke, status, (long long)at, reason, ext);
}

static hsmca_store_status status_of(int state, int revoked, hsmca_time revoked_at, int reason)
{
    hsmca_store_status s;

    memset(&s, 0, sizeof s);
    s.serial.len = sizeof SN1;
    memcpy(s.serial.b, SN1, sizeof SN1);
    s.state = (hsmca_serial_state)state;
    s.not_after = state >= HSMCA_SERIAL_PRECERT ? T0 + 90 * DAY : 0;
    s.changed_at = state == 0 ? 0 : T0 + 5;
    s.revoked = revoked;
    s.revoked_at = revoked_at;
    s.reason = reason;
    return s;
}

/* The whole table of ocsp.h, under every pair of policies. */
static void test_decide_table(void **state)
{
    const hsmca_time R = T0 + 3600;

    for (int pp = HSMCA_ANSWER_GOOD; pp <= HSMCA_ANSWER_UNAUTHORIZED; pp++) {
        for (int up = HSMCA_ANSWER_GOOD; up <= HSMCA_ANSWER_UNAUTHORIZED; up++) {
            hsmca_store_status s;

            /* Final, not revoked: good whatever the policies. */
            s = status_of(HSMCA_SERIAL_FINAL, 0, 0, -1);
            check_decide(&s, pp, up, GOOD, 0, -1, 0);
            /* Revoked (final or precert-only): revoked with the stored
             * time and reason (-1: none), whatever the policies. */
            s = status_of(HSMCA_SERIAL_FINAL, 1, R, -1);
            check_decide(&s, pp, up, REVOKED, R, -1, 0);
            s = status_of(HSMCA_SERIAL_FINAL, 1, R, 1);
            check_decide(&s, pp, up, REVOKED, R, 1, 0);
            s = status_of(HSMCA_SERIAL_FINAL, 1, R, 0);
            check_decide(&s, pp, up, REVOKED, R, 0, 0);
            s = status_of(HSMCA_SERIAL_PRECERT, 1, R, 4);
            check_decide(&s, pp, up, REVOKED, R, 4, 0);
            s = status_of(HSMCA_SERIAL_PRECERT, 1, R, -1);
            check_decide(&s, pp, up, REVOKED, R, -1, 0);

            /* Precert only, not revoked: the precert policy alone. */
            s = status_of(HSMCA_SERIAL_PRECERT, 0, 0, -1);
            switch (pp) {
            case HSMCA_ANSWER_GOOD: check_decide(&s, pp, up, GOOD, 0, -1, 0); break;
            case HSMCA_ANSWER_UNKNOWN: check_decide(&s, pp, up, UNKNOWN, 0, -1, 0); break;
            /* Revoked at the precertificate's time, no reason, no
             * extended-revoke (the serial was issued). */
            case HSMCA_ANSWER_REVOKED:
                check_decide(&s, pp, up, REVOKED, s.changed_at, -1, 0);
                break;
            default: check_decide(&s, pp, up, UNAUTH, 0, -1, 0); break;
            }

            /* Unassigned (never used, or only reserved); a revoked flag on
             * an unassigned serial (the schema forbids it) changes
             * nothing: the unassigned policy alone. */
            for (int st = 0; st <= HSMCA_SERIAL_RESERVED; st++) {
                for (int rv = 0; rv <= 1; rv++) {
                    s = status_of(st, rv, rv ? R : 0, rv ? 1 : -1);
                    switch (up) {
                    case HSMCA_ANSWER_GOOD: check_decide(&s, pp, up, GOOD, 0, -1, 0); break;
                    case HSMCA_ANSWER_UNKNOWN:
                        check_decide(&s, pp, up, UNKNOWN, 0, -1, 0);
                        break;
                    /* RFC 6960 §2.2: 1970-01-01, certificateHold (6),
                     * extended-revoke. */
                    case HSMCA_ANSWER_REVOKED:
                        check_decide(&s, pp, up, REVOKED, 0, 6, 1);
                        break;
                    default: check_decide(&s, pp, up, UNAUTH, 0, -1, 0); break;
                    }
                }
            }
        }
    }
    /* The defaults are the correct answers: precert-only good,
     * unassigned unknown. */
    {
        hsmca_store_status s = status_of(HSMCA_SERIAL_PRECERT, 0, 0, -1);
        check_decide(&s, HSMCA_ANSWER_GOOD, HSMCA_ANSWER_UNKNOWN, GOOD, 0, -1, 0);
        s = status_of(HSMCA_SERIAL_RESERVED, 0, 0, -1);
        check_decide(&s, HSMCA_ANSWER_GOOD, HSMCA_ANSWER_UNKNOWN, UNKNOWN, 0, -1, 0);
        s = status_of(0, 0, 0, -1);
        check_decide(&s, HSMCA_ANSWER_GOOD, HSMCA_ANSWER_UNKNOWN, UNKNOWN, 0, -1, 0);
    }
    assert_int_equal(OCSP_REVOKED_STATUS_CERTIFICATEHOLD, 6);
    (void)state;
}

/* ---- error responses and status names ---- */

static void test_error_response(void **state)
{
    static const int statuses[] = {HSMCA_OCSP_MALFORMED_REQUEST, HSMCA_OCSP_INTERNAL_ERROR,
                                   HSMCA_OCSP_TRY_LATER, HSMCA_OCSP_SIG_REQUIRED,
                                   HSMCA_OCSP_UNAUTHORIZED};
    static const int refused[] = {HSMCA_OCSP_SUCCESSFUL, 4, -1, 7, 100};

    for (size_t k = 0; k < sizeof statuses / sizeof statuses[0]; k++) {
        uint8_t *der = NULL;
        size_t len = 0;
        const unsigned char *p;
        OCSP_RESPONSE *resp;
        OCSP_BASICRESP *bs;
        /* OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED }, no
         * responseBytes (RFC 6960 §2.3: error responses are unsigned). */
        const uint8_t want[] = {0x30, 0x03, 0x0a, 0x01, (uint8_t)statuses[k]};

        expect_ok(hsmca_ocsp_error_response(statuses[k], &der, &len), "error response");
        assert_non_null(der);
        assert_int_equal(len, sizeof want);
        assert_memory_equal(der, want, sizeof want);
        p = der;
        resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
        assert_non_null(resp);
        assert_ptr_equal(p, der + len);
        assert_int_equal(OCSP_response_status(resp), statuses[k]);
        bs = OCSP_response_get1_basic(resp);
        assert_null(bs);
        OCSP_RESPONSE_free(resp);
        OPENSSL_free(der);
    }
    for (size_t k = 0; k < sizeof refused / sizeof refused[0]; k++) {
        uint8_t *der = NULL;
        size_t len = 0;

        expect_err(hsmca_ocsp_error_response(refused[k], &der, &len), HSMCA_E_USAGE,
                   "is not an error");
        assert_null(der);
        assert_int_equal(len, 0);
    }
    (void)state;
}

static void test_status_name(void **state)
{
    assert_string_equal(hsmca_ocsp_status_name(HSMCA_OCSP_SUCCESSFUL), "successful");
    assert_string_equal(hsmca_ocsp_status_name(HSMCA_OCSP_MALFORMED_REQUEST),
                        "malformedRequest");
    assert_string_equal(hsmca_ocsp_status_name(HSMCA_OCSP_INTERNAL_ERROR), "internalError");
    assert_string_equal(hsmca_ocsp_status_name(HSMCA_OCSP_TRY_LATER), "tryLater");
    assert_string_equal(hsmca_ocsp_status_name(HSMCA_OCSP_SIG_REQUIRED), "sigRequired");
    assert_string_equal(hsmca_ocsp_status_name(HSMCA_OCSP_UNAUTHORIZED), "unauthorized");
    assert_string_equal(hsmca_ocsp_status_name(4), "unknown status");
    assert_string_equal(hsmca_ocsp_status_name(-1), "unknown status");
    assert_string_equal(hsmca_ocsp_status_name(7), "unknown status");
    /* The values are RFC 6960 §4.2.1's, as OpenSSL numbers them. */
    assert_int_equal(HSMCA_OCSP_MALFORMED_REQUEST, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
    assert_int_equal(HSMCA_OCSP_INTERNAL_ERROR, OCSP_RESPONSE_STATUS_INTERNALERROR);
    assert_int_equal(HSMCA_OCSP_TRY_LATER, OCSP_RESPONSE_STATUS_TRYLATER);
    assert_int_equal(HSMCA_OCSP_SIG_REQUIRED, OCSP_RESPONSE_STATUS_SIGREQUIRED);
    assert_int_equal(HSMCA_OCSP_UNAUTHORIZED, OCSP_RESPONSE_STATUS_UNAUTHORIZED);
    (void)state;
}

/* ---- the responder, end to end over a store (software signer) ---- */

#define NOW (T0 + 1000)
#define R_AT (T0 + 100)

/* Signers by issuer name; counts the calls. */
struct signers {
    int calls;
    int fail;
    EVP_PKEY *key[3];
    X509 *cert[3];
    int delegated[3];
    const char *name[3];
};

static hsmca_err get_signer(void *ctx, const hsmca_store_issuer *is, hsmca_ocsp_signer *out)
{
    struct signers *sg = ctx;

    sg->calls++;
    if (sg->fail)
        return hsmca_err_setf(HSMCA_E_PIN, "test: the token refuses the PIN");
    for (int i = 0; i < 3; i++) {
        if (sg->name[i] != NULL && strcmp(sg->name[i], is->name) == 0) {
            out->key = sg->key[i];
            out->cert = sg->cert[i];
            out->delegated = sg->delegated[i];
            return HSMCA_OK;
        }
    }
    return hsmca_err_setf(HSMCA_E_INTERNAL, "test: no signer for '%s'", is->name);
}

struct rfix {
    char tmp[256];
    char state[300];
    hsmca_store *st;
    int64_t ca;
    struct signers sg;
    /* serials: final, precert-only, revoked final (reason 1), revoked
     * precert-only (no reason), reserved, never used */
    hsmca_store_serial f, p, r, q, x, u;
};

static int64_t add_store_issuer(hsmca_store *st, const char *name, X509 *cert)
{
    hsmca_store_issuer in;
    unsigned char *der = NULL;
    int n = i2d_X509(cert, &der);
    char nm[32], label[32];
    int64_t id = 0;

    assert_true(n > 0);
    memset(&in, 0, sizeof in);
    snprintf(nm, sizeof nm, "%s", name);
    snprintf(label, sizeof label, "%s-key", name);
    in.name = nm;
    in.cert_der = der;
    in.cert_len = (size_t)n;
    in.key_label = label;
    in.created_at = T0;
    expect_ok(hsmca_store_issuer_add(st, &in, &id), "issuer add");
    OPENSSL_free(der);
    return id;
}

static hsmca_store_serial sv(uint8_t a, uint8_t b)
{
    hsmca_store_serial s;

    memset(&s, 0, sizeof s);
    s.b[0] = 0x3c;
    s.b[1] = a;
    s.b[2] = b;
    s.len = 3;
    return s;
}

static const uint8_t some_der[] = {0x30, 0x03, 0x02, 0x01, 0x01};

static void issue(struct rfix *f, const hsmca_store_serial *s, int final)
{
    expect_ok(hsmca_store_serial_reserve(f->st, f->ca, s->b, s->len, T0), "reserve");
    expect_ok(hsmca_store_precert_record(f->st, f->ca, s->b, s->len, some_der, sizeof some_der,
                                         T0, T0 + 90 * DAY, T0 + 1),
              "precert");
    if (final)
        expect_ok(hsmca_store_final_record(f->st, f->ca, s->b, s->len, some_der,
                                           sizeof some_der, NULL, 0, T0 + 2),
                  "final");
}

static int rsetup(void **state)
{
    struct rfix *f = calloc(1, sizeof *f);

    if (f == NULL || hsmca_test_mkdtemp(f->tmp, sizeof f->tmp) != 0) {
        free(f);
        return -1;
    }
    snprintf(f->state, sizeof f->state, "%s/state", f->tmp);
    hsmca_err_clear();
    if (hsmca_store_open(f->state, &f->st) != HSMCA_OK) {
        hsmca_test_rmtree(f->tmp);
        free(f);
        return -1;
    }
    f->ca = add_store_issuer(f->st, "ca", issuer_cert);
    f->sg.name[0] = "ca";
    f->sg.key[0] = issuer_key;
    f->sg.cert[0] = issuer_cert;
    f->f = sv(1, 1);
    f->p = sv(1, 2);
    f->r = sv(1, 3);
    f->q = sv(1, 4);
    f->x = sv(1, 5);
    f->u = sv(1, 6);
    issue(f, &f->f, 1);
    issue(f, &f->p, 0);
    issue(f, &f->r, 1);
    issue(f, &f->q, 0);
    expect_ok(hsmca_store_revoke(f->st, f->ca, f->r.b, f->r.len, R_AT, 1, T0 + 150), "revoke r");
    expect_ok(hsmca_store_revoke(f->st, f->ca, f->q.b, f->q.len, R_AT + 1, -1, T0 + 200),
              "revoke q");
    expect_ok(hsmca_store_serial_reserve(f->st, f->ca, f->x.b, f->x.len, T0), "reserve x");
    *state = f;
    return 0;
}

static int rteardown(void **state)
{
    struct rfix *f = *state;

    for (int i = 1; i < 3; i++) {
        EVP_PKEY_free(f->sg.key[i]);
        X509_free(f->sg.cert[i]);
    }
    hsmca_store_close(f->st);
    hsmca_test_rmtree(f->tmp);
    free(f);
    return 0;
}

/* A request for these serials of `cert`'s issuer (SHA-1 CertIDs), with a
 * nonce when nonce_len > 0. */
static uint8_t *request_for(X509 *cert, const EVP_MD *md, const hsmca_store_serial *const *s,
                            size_t n, size_t nonce_len, size_t *len)
{
    OCSP_REQUEST *r = OCSP_REQUEST_new();
    uint8_t nonce[64];

    assert_non_null(r);
    for (size_t i = 0; i < n; i++) {
        ASN1_INTEGER *ai = integer(s[i]->b, s[i]->len, 0);
        OCSP_CERTID *id = OCSP_cert_id_new(md, X509_get_subject_name(cert),
                                           X509_get0_pubkey_bitstr(cert), ai);
        assert_non_null(id);
        ASN1_INTEGER_free(ai);
        assert_non_null(OCSP_request_add0_id(r, id));
    }
    for (size_t i = 0; i < sizeof nonce; i++)
        nonce[i] = (uint8_t)(0xc0 ^ i);
    if (nonce_len > 0)
        add_nonce(r, nonce, nonce_len);
    return der_of(r, len);
}

static OCSP_BASICRESP *basic_of(const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
    OCSP_BASICRESP *bs;

    assert_non_null(resp);
    assert_ptr_equal(p, der + len);
    assert_int_equal(OCSP_response_status(resp), OCSP_RESPONSE_STATUS_SUCCESSFUL);
    bs = OCSP_response_get1_basic(resp);
    assert_non_null(bs);
    OCSP_RESPONSE_free(resp);
    return bs;
}

static hsmca_time t_of(const ASN1_GENERALIZEDTIME *t)
{
    hsmca_time v = -1;

    assert_non_null(t);
    expect_ok(hsmca_ossl_time(t, "a response time", &v), "time");
    return v;
}

/* The answer in bs for serial s of issuer cert: status, revocation time
 * (-1 if none) and reason; thisUpdate/nextUpdate checked against want. */
static void expect_single(OCSP_BASICRESP *bs, X509 *cert, const EVP_MD *md,
                          const hsmca_store_serial *s, int status, hsmca_time rev_at,
                          int reason, hsmca_time this_update, hsmca_time next_update)
{
    ASN1_INTEGER *ai = integer(s->b, s->len, 0);
    OCSP_CERTID *id = OCSP_cert_id_new(md, X509_get_subject_name(cert),
                                       X509_get0_pubkey_bitstr(cert), ai);
    int st = -2, rs = -2;
    ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;

    assert_non_null(id);
    assert_int_equal(OCSP_resp_find_status(bs, id, &st, &rs, &rev, &thisupd, &nextupd), 1);
    assert_int_equal(st, status);
    if (status == V_OCSP_CERTSTATUS_REVOKED) {
        assert_int_equal(t_of(rev), rev_at);
        assert_int_equal(rs, reason);
    } else {
        assert_null(rev);
    }
    assert_int_equal(t_of(thisupd), this_update);
    assert_int_equal(t_of(nextupd), next_update);
    OCSP_CERTID_free(id);
    ASN1_INTEGER_free(ai);
}

/* RFC 6960 §4.4.8: id-pkix-ocsp-extended-revoke is {id-pkix-ocsp 9}.
 * Named by its number here: OpenSSL's NIDs do not say "extended revoke"
 * (its NID_id_pkix_OCSP_extendedStatus is {id-pkix-ocsp 8}). */
#define EXTENDED_REVOKE_OID "1.3.6.1.5.5.7.48.1.9"

/* Where the extension `oid` is in bs after `after` (-1: from the start),
 * or -1. */
static int ext_at(OCSP_BASICRESP *bs, const char *oid, int after)
{
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    int at;

    assert_non_null(obj);
    at = OCSP_BASICRESP_get_ext_by_OBJ(bs, obj, after);
    ASN1_OBJECT_free(obj);
    return at < 0 ? -1 : at;
}

static int has_ext(OCSP_BASICRESP *bs, const char *oid)
{
    return ext_at(bs, oid, -1) >= 0;
}

/* Signature by the issuer key, responder ID by key, no certs. */
static void expect_signed_by(OCSP_BASICRESP *bs, EVP_PKEY *key, X509 *cert, int n_certs)
{
    const ASN1_OCTET_STRING *kid = NULL;
    const X509_NAME *rname = NULL;
    const ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(cert);
    uint8_t want[20];

    STACK_OF(X509) *certs = sk_X509_new_null();
    X509_STORE *none = X509_STORE_new();

    /* The signer found by the responder ID among `certs` only, its
     * signature checked; no chain building (the clock is not ours). */
    assert_non_null(certs);
    assert_non_null(none);
    assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(cert), key), 1);
    assert_true(sk_X509_push(certs, cert) > 0);
    assert_int_equal(OCSP_basic_verify(bs, certs, none,
                                       OCSP_NOINTERN | OCSP_TRUSTOTHER | OCSP_NOVERIFY),
                     1);
    sk_X509_free(certs);
    X509_STORE_free(none);
    assert_int_equal(OCSP_resp_get0_id(bs, &kid, &rname), 1);
    assert_null(rname);
    assert_non_null(kid);
    digest(EVP_sha1(), ASN1_STRING_get0_data(bits), (size_t)ASN1_STRING_length(bits), want);
    assert_int_equal(ASN1_STRING_length(kid), 20);
    assert_memory_equal(ASN1_STRING_get0_data(kid), want, 20);
    /* CA-signed: `certs` absent altogether (OpenSSL: NULL, count -1). */
    if (n_certs == 0)
        assert_null(OCSP_resp_get0_certs(bs));
    else
        assert_int_equal(sk_X509_num(OCSP_resp_get0_certs(bs)), n_certs);
}

static void test_respond_table(void **state)
{
    struct rfix *f = *state;
    const hsmca_store_serial *all[] = {&f->f, &f->p, &f->r, &f->q, &f->x, &f->u};
    hsmca_ocsp_responder *r = NULL;
    hsmca_ocsp_outcome o;
    uint8_t *req, *resp = NULL;
    size_t req_len, resp_len = 0;
    OCSP_BASICRESP *bs;
    OCSP_REQUEST *oreq;
    const unsigned char *p;
    const hsmca_time next = NOW + HSMCA_OCSP_VALIDITY_DEFAULT - 1;

    expect_ok(hsmca_ocsp_responder_new(f->st, get_signer, &f->sg, 0, &r), "responder");
    req = request_for(issuer_cert, EVP_sha1(), all, 6, 32, &req_len);
    expect_ok(hsmca_ocsp_respond(r, req, req_len, NOW, &resp, &resp_len, &o), "respond");
    assert_int_equal(o.status, HSMCA_OCSP_SUCCESSFUL);
    assert_string_equal(o.issuer, "ca");
    assert_int_equal(o.n_answers, 6);
    assert_int_equal(o.good, 2);
    assert_int_equal(o.revoked, 2);
    assert_int_equal(o.unknown, 2);
    assert_int_equal(o.this_update, NOW);
    assert_int_equal(o.next_update, next);
    bs = basic_of(resp, resp_len);
    expect_signed_by(bs, issuer_key, issuer_cert, 0);
    assert_int_equal(t_of(OCSP_resp_get0_produced_at(bs)), NOW);
    assert_int_equal(OCSP_resp_count(bs), 6);
    expect_single(bs, issuer_cert, EVP_sha1(), &f->f, V_OCSP_CERTSTATUS_GOOD, 0, 0, NOW, next);
    expect_single(bs, issuer_cert, EVP_sha1(), &f->p, V_OCSP_CERTSTATUS_GOOD, 0, 0, NOW, next);
    expect_single(bs, issuer_cert, EVP_sha1(), &f->r, V_OCSP_CERTSTATUS_REVOKED, R_AT, 1, NOW,
                  next);
    /* BR 7.3.2: unspecified means no revocationReason (OpenSSL: -1). */
    expect_single(bs, issuer_cert, EVP_sha1(), &f->q, V_OCSP_CERTSTATUS_REVOKED, R_AT + 1, -1,
                  NOW, next);
    expect_single(bs, issuer_cert, EVP_sha1(), &f->x, V_OCSP_CERTSTATUS_UNKNOWN, 0, 0, NOW,
                  next);
    expect_single(bs, issuer_cert, EVP_sha1(), &f->u, V_OCSP_CERTSTATUS_UNKNOWN, 0, 0, NOW,
                  next);
    /* The answers come in request order. */
    for (int i = 0; i < 6; i++) {
        const ASN1_INTEGER *ai = NULL;
        ASN1_INTEGER *want = integer(all[i]->b, all[i]->len, 0);
        assert_int_equal(OCSP_id_get0_info(NULL, NULL, NULL, (ASN1_INTEGER **)(uintptr_t)&ai,
                                           (OCSP_CERTID *)(uintptr_t)OCSP_SINGLERESP_get0_id(
                                               OCSP_resp_get0(bs, i))),
                         1);
        assert_int_equal(ASN1_INTEGER_cmp(ai, want), 0);
        ASN1_INTEGER_free(want);
    }
    /* RFC 9654: the nonce is echoed; no extended-revoke here. */
    p = req;
    oreq = d2i_OCSP_REQUEST(NULL, &p, (long)req_len);
    assert_non_null(oreq);
    assert_int_equal(OCSP_check_nonce(oreq, bs), 1);
    assert_false(has_ext(bs, EXTENDED_REVOKE_OID));
    /* The outcome counts the request's extensions (serve caches only
     * answers to requests without any). */
    assert_int_equal(o.nonce, 1);
    assert_int_equal(o.extensions, 1);
    OCSP_REQUEST_free(oreq);
    OCSP_BASICRESP_free(bs);
    OPENSSL_free(resp);
    OPENSSL_free(req);

    /* Serials no issuer of ours can have (negative, over 20 octets) are
     * answered unknown, echoed as asked, not refused. */
    {
        OCSP_REQUEST *q = OCSP_REQUEST_new();
        uint8_t big[21];
        OCSP_CERTID *neg_id, *big_id;
        int st = -2;

        memset(big, 0x11, sizeof big);
        neg_id = OCSP_CERTID_dup(add_id(q, EVP_sha1(), f->f.b, f->f.len, 1));
        big_id = OCSP_CERTID_dup(add_id(q, EVP_sha256(), big, sizeof big, 0));
        req = der_of(q, &req_len);
        expect_ok(hsmca_ocsp_respond(r, req, req_len, NOW, &resp, &resp_len, &o), "odd");
        assert_int_equal(o.status, HSMCA_OCSP_SUCCESSFUL);
        assert_int_equal(o.unknown, 2);
        bs = basic_of(resp, resp_len);
        assert_int_equal(OCSP_resp_find_status(bs, neg_id, &st, NULL, NULL, NULL, NULL), 1);
        assert_int_equal(st, V_OCSP_CERTSTATUS_UNKNOWN);
        assert_int_equal(OCSP_resp_find_status(bs, big_id, &st, NULL, NULL, NULL, NULL), 1);
        assert_int_equal(st, V_OCSP_CERTSTATUS_UNKNOWN);
        OCSP_BASICRESP_free(bs);
        OCSP_CERTID_free(neg_id);
        OCSP_CERTID_free(big_id);
        OPENSSL_free(resp);
        OPENSSL_free(req);
    }

    /* Without a nonce: none in the response. Signer loaded once. */
    req = request_for(issuer_cert, EVP_sha256(), all, 1, 0, &req_len);
    expect_ok(hsmca_ocsp_respond(r, req, req_len, NOW + 5, &resp, &resp_len, &o), "respond");
    assert_int_equal(o.status, HSMCA_OCSP_SUCCESSFUL);
    assert_int_equal(o.nonce, 0);
    assert_int_equal(o.extensions, 0);
    bs = basic_of(resp, resp_len);
    assert_false(has_ext(bs, NONCE_OID));
    expect_single(bs, issuer_cert, EVP_sha256(), &f->f, V_OCSP_CERTSTATUS_GOOD, 0, 0, NOW + 5,
                  next + 5);
    OCSP_BASICRESP_free(bs);
    OPENSSL_free(resp);
    OPENSSL_free(req);
    assert_int_equal(f->sg.calls, 1);
    hsmca_ocsp_responder_free(r);
}

/* Error responses: exactly 30 03 0a 01 <status>, with the reason. */
static void expect_error_resp(const uint8_t *resp, size_t len, const hsmca_ocsp_outcome *o,
                              int status, const char *needle)
{
    const uint8_t want[] = {0x30, 0x03, 0x0a, 0x01, (uint8_t)status};

    assert_int_equal(o->status, status);
    assert_int_equal(len, sizeof want);
    assert_memory_equal(resp, want, sizeof want);
    if (needle != NULL && strstr(o->why, needle) == NULL)
        fail_msg("outcome lacks '%s': %s", needle, o->why);
    assert_int_equal(o->n_answers, 0);
}

static void test_respond_errors(void **state)
{
    struct rfix *f = *state;
    const hsmca_store_serial *one[] = {&f->f};
    static const uint8_t garbage[] = {0x01, 0x02, 0x03};
    hsmca_ocsp_responder *r = NULL;
    hsmca_ocsp_outcome o;
    uint8_t *req, *resp = NULL, *a, *b;
    size_t req_len, resp_len = 0, a_len, b_len;
    EVP_PKEY *other_key = EVP_EC_gen("P-256");
    X509 *other = self_signed(other_key, "hsmca OCSP Test Other", T0 - DAY, T0 + 3650 * DAY);
    X509 *second;
    EVP_PKEY *second_key = EVP_EC_gen("P-256");

    assert_non_null(other_key);
    assert_non_null(second_key);
    second = self_signed(second_key, "hsmca OCSP Test Second", T0 - DAY, T0 + 3650 * DAY);
    add_store_issuer(f->st, "second", second);
    f->sg.name[1] = "second";
    f->sg.key[1] = second_key;
    f->sg.cert[1] = second;
    expect_ok(hsmca_ocsp_responder_new(f->st, get_signer, &f->sg, 0, &r), "responder");

    /* malformedRequest, with the parser's reason. */
    expect_ok(hsmca_ocsp_respond(r, garbage, sizeof garbage, NOW, &resp, &resp_len, &o),
              "garbage");
    expect_error_resp(resp, resp_len, &o, HSMCA_OCSP_MALFORMED_REQUEST, "not a DER OCSPRequest");
    OPENSSL_free(resp);
    expect_ok(hsmca_ocsp_respond(r, NULL, 0, NOW, &resp, &resp_len, &o), "empty");
    expect_error_resp(resp, resp_len, &o, HSMCA_OCSP_MALFORMED_REQUEST, "empty");
    OPENSSL_free(resp);

    /* unauthorized: an issuer not served. */
    req = request_for(other, EVP_sha1(), one, 1, 0, &req_len);
    expect_ok(hsmca_ocsp_respond(r, req, req_len, NOW, &resp, &resp_len, &o), "other");
    expect_error_resp(resp, resp_len, &o, HSMCA_OCSP_UNAUTHORIZED,
                      "CertID 1 names an issuer this responder does not serve");
    OPENSSL_free(resp);
    OPENSSL_free(req);

    /* unauthorized: two issuers in one request (both served). */
    a = request_for(issuer_cert, EVP_sha1(), one, 1, 0, &a_len);
    b = request_for(second, EVP_sha1(), one, 1, 0, &b_len);
    {
        OCSP_REQUEST *q = OCSP_REQUEST_new();
        ASN1_INTEGER *ai = integer(f->f.b, f->f.len, 0);
        assert_non_null(OCSP_request_add0_id(
            q, OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(issuer_cert),
                                X509_get0_pubkey_bitstr(issuer_cert), ai)));
        assert_non_null(OCSP_request_add0_id(
            q, OCSP_cert_id_new(EVP_sha256(), X509_get_subject_name(second),
                                X509_get0_pubkey_bitstr(second), ai)));
        ASN1_INTEGER_free(ai);
        req = der_of(q, &req_len);
    }
    expect_ok(hsmca_ocsp_respond(r, req, req_len, NOW, &resp, &resp_len, &o), "mixed");
    expect_error_resp(resp, resp_len, &o, HSMCA_OCSP_UNAUTHORIZED,
                      "CertID 2 names another issuer than CertID 1");
    OPENSSL_free(resp);
    OPENSSL_free(req);
    /* Each alone is answered, each by its own issuer. */
    expect_ok(hsmca_ocsp_respond(r, b, b_len, NOW, &resp, &resp_len, &o), "second");
    assert_int_equal(o.status, HSMCA_OCSP_SUCCESSFUL);
    assert_string_equal(o.issuer, "second");
    assert_int_equal(o.unknown, 1); /* "second" never used the serial */
    OPENSSL_free(resp);
    expect_ok(hsmca_ocsp_respond(r, a, a_len, NOW, &resp, &resp_len, &o), "ca");
    assert_int_equal(o.status, HSMCA_OCSP_SUCCESSFUL);
    assert_string_equal(o.issuer, "ca");
    assert_int_equal(o.good, 1);
    OPENSSL_free(resp);
    hsmca_ocsp_responder_free(r);

    /* internalError when the signer cannot be had; the reason kept. */
    f->sg.fail = 1;
    expect_ok(hsmca_ocsp_responder_new(f->st, get_signer, &f->sg, 0, &r), "responder");
    expect_ok(hsmca_ocsp_respond(r, a, a_len, NOW, &resp, &resp_len, &o), "no signer");
    expect_error_resp(resp, resp_len, &o, HSMCA_OCSP_INTERNAL_ERROR,
                      "test: the token refuses the PIN");
    OPENSSL_free(resp);
    resp = NULL;
    /* respond_serial returns the error instead. */
    expect_err(hsmca_ocsp_respond_serial(r, "ca", f->f.b, f->f.len, NULL, NOW, &resp, &resp_len,
                                         &o),
               HSMCA_E_PIN, "test: the token refuses the PIN");
    assert_null(resp);
    hsmca_ocsp_responder_free(r);
    f->sg.fail = 0;

    OPENSSL_free(a);
    OPENSSL_free(b);
    X509_free(other);
    EVP_PKEY_free(other_key);
}

/* The issuer's policy picks the answer for precert-only and unassigned
 * serials (read when the responder is made). */
static void test_respond_policies(void **state)
{
    struct rfix *f = *state;
    const hsmca_store_serial *three[] = {&f->p, &f->x, &f->u};
    const hsmca_store_serial *fin[] = {&f->f, &f->r};
    hsmca_ocsp_responder *r = NULL;
    hsmca_ocsp_outcome o;
    uint8_t *req, *resp = NULL;
    size_t req_len, resp_len = 0;
    OCSP_BASICRESP *bs;
    const hsmca_time next = NOW + HSMCA_OCSP_VALIDITY_DEFAULT - 1;
    int at;
    X509_EXTENSION *ext;
    static const uint8_t null_der[] = {0x05, 0x00};

    expect_ok(hsmca_store_issuer_set_policy(f->st, f->ca, HSMCA_ANSWER_REVOKED,
                                            HSMCA_ANSWER_REVOKED, T0 + 300),
              "policy");
    expect_ok(hsmca_ocsp_responder_new(f->st, get_signer, &f->sg, 0, &r), "responder");
    req = request_for(issuer_cert, EVP_sha1(), three, 3, 16, &req_len);
    expect_ok(hsmca_ocsp_respond(r, req, req_len, NOW, &resp, &resp_len, &o), "respond");
    assert_int_equal(o.status, HSMCA_OCSP_SUCCESSFUL);
    assert_int_equal(o.revoked, 3);
    bs = basic_of(resp, resp_len);
    expect_signed_by(bs, issuer_key, issuer_cert, 0);
    /* Precert-only: revoked when the precertificate was recorded. */
    expect_single(bs, issuer_cert, EVP_sha1(), &f->p, V_OCSP_CERTSTATUS_REVOKED, T0 + 1, -1,
                  NOW, next);
    /* Unassigned: RFC 6960 §2.2's form. */
    expect_single(bs, issuer_cert, EVP_sha1(), &f->x, V_OCSP_CERTSTATUS_REVOKED, 0,
                  OCSP_REVOKED_STATUS_CERTIFICATEHOLD, NOW, next);
    expect_single(bs, issuer_cert, EVP_sha1(), &f->u, V_OCSP_CERTSTATUS_REVOKED, 0,
                  OCSP_REVOKED_STATUS_CERTIFICATEHOLD, NOW, next);
    at = ext_at(bs, EXTENDED_REVOKE_OID, -1);
    assert_true(at >= 0);
    assert_int_equal(ext_at(bs, EXTENDED_REVOKE_OID, at), -1);
    /* Not {id-pkix-ocsp 8} (OpenSSL's "extendedStatus"), a different thing. */
    assert_false(has_ext(bs, "1.3.6.1.5.5.7.48.1.8"));
    ext = OCSP_BASICRESP_get_ext(bs, at);
    assert_int_equal(X509_EXTENSION_get_critical(ext), 0);
    assert_int_equal(ASN1_STRING_length(X509_EXTENSION_get_data(ext)), 2);
    assert_memory_equal(ASN1_STRING_get0_data(X509_EXTENSION_get_data(ext)), null_der, 2);
    assert_true(has_ext(bs, NONCE_OID));
    OCSP_BASICRESP_free(bs);
    OPENSSL_free(resp);
    OPENSSL_free(req);
    hsmca_ocsp_responder_free(r);

    /* unknown for precert-only (wrong, for tests), good for unassigned
     * (wrong, for tests). */
    expect_ok(hsmca_store_issuer_set_policy(f->st, f->ca, HSMCA_ANSWER_UNKNOWN,
                                            HSMCA_ANSWER_GOOD, T0 + 301),
              "policy");
    expect_ok(hsmca_ocsp_responder_new(f->st, get_signer, &f->sg, 0, &r), "responder");
    req = request_for(issuer_cert, EVP_sha1(), three, 3, 0, &req_len);
    expect_ok(hsmca_ocsp_respond(r, req, req_len, NOW, &resp, &resp_len, &o), "respond");
    assert_int_equal(o.unknown, 1);
    assert_int_equal(o.good, 2);
    bs = basic_of(resp, resp_len);
    expect_single(bs, issuer_cert, EVP_sha1(), &f->p, V_OCSP_CERTSTATUS_UNKNOWN, 0, 0, NOW,
                  next);
    expect_single(bs, issuer_cert, EVP_sha1(), &f->x, V_OCSP_CERTSTATUS_GOOD, 0, 0, NOW, next);
    assert_false(has_ext(bs, EXTENDED_REVOKE_OID));
    OCSP_BASICRESP_free(bs);
    OPENSSL_free(resp);
    OPENSSL_free(req);
    hsmca_ocsp_responder_free(r);

    /* unauthorized for unassigned: the whole response, unsigned; a
     * request without unassigned serials is still answered. */
    expect_ok(hsmca_store_issuer_set_policy(f->st, f->ca, 0, HSMCA_ANSWER_UNAUTHORIZED,
                                            T0 + 302),
              "policy");
    f->sg.calls = 0;
    expect_ok(hsmca_ocsp_responder_new(f->st, get_signer, &f->sg, 0, &r), "responder");
    req = request_for(issuer_cert, EVP_sha1(), three, 3, 0, &req_len);
    expect_ok(hsmca_ocsp_respond(r, req, req_len, NOW, &resp, &resp_len, &o), "respond");
    expect_error_resp(resp, resp_len, &o, HSMCA_OCSP_UNAUTHORIZED, "its OCSP policy");
    assert_int_equal(f->sg.calls, 0); /* no signature needed */
    OPENSSL_free(resp);
    OPENSSL_free(req);
    req = request_for(issuer_cert, EVP_sha1(), fin, 2, 0, &req_len);
    expect_ok(hsmca_ocsp_respond(r, req, req_len, NOW, &resp, &resp_len, &o), "respond");
    assert_int_equal(o.status, HSMCA_OCSP_SUCCESSFUL);
    assert_int_equal(o.good, 1);
    assert_int_equal(o.revoked, 1);
    OPENSSL_free(resp);
    OPENSSL_free(req);
    /* respond_serial gives the same unauthorized response. */
    expect_ok(hsmca_ocsp_respond_serial(r, "ca", f->u.b, f->u.len, NULL, NOW, &resp, &resp_len,
                                        &o),
              "serial");
    expect_error_resp(resp, resp_len, &o, HSMCA_OCSP_UNAUTHORIZED, "its OCSP policy");
    OPENSSL_free(resp);
    hsmca_ocsp_responder_free(r);
}

/* A responder reads the policies when made, and again on reload. */
static void test_respond_reload(void **state)
{
    struct rfix *f = *state;
    hsmca_ocsp_responder *r = NULL;
    hsmca_ocsp_outcome o;
    uint8_t *resp = NULL;
    size_t resp_len = 0;

    expect_ok(hsmca_ocsp_responder_new(f->st, get_signer, &f->sg, 0, &r), "responder");
    expect_ok(hsmca_store_issuer_set_policy(f->st, f->ca, HSMCA_ANSWER_REVOKED,
                                            HSMCA_ANSWER_UNAUTHORIZED, T0 + 300),
              "policy");
    expect_ok(hsmca_ocsp_respond_serial(r, "ca", f->p.b, f->p.len, NULL, NOW, &resp, &resp_len,
                                        &o),
              "before reload");
    assert_int_equal(o.status, HSMCA_OCSP_SUCCESSFUL);
    assert_int_equal(o.good, 1);
    OPENSSL_free(resp);
    expect_ok(hsmca_ocsp_responder_reload(r), "reload");
    expect_ok(hsmca_ocsp_respond_serial(r, "ca", f->p.b, f->p.len, NULL, NOW, &resp, &resp_len,
                                        &o),
              "after reload");
    assert_int_equal(o.status, HSMCA_OCSP_SUCCESSFUL);
    assert_int_equal(o.revoked, 1);
    OPENSSL_free(resp);
    expect_ok(hsmca_ocsp_respond_serial(r, "ca", f->u.b, f->u.len, NULL, NOW, &resp, &resp_len,
                                        &o),
              "unassigned");
    expect_error_resp(resp, resp_len, &o, HSMCA_OCSP_UNAUTHORIZED, "its OCSP policy");
    OPENSSL_free(resp);
    hsmca_ocsp_responder_free(r);
}

static void test_respond_serial(void **state)
{
    struct rfix *f = *state;
    hsmca_ocsp_responder *r = NULL;
    hsmca_ocsp_outcome o;
    uint8_t *resp = NULL;
    size_t resp_len = 0;
    OCSP_BASICRESP *bs;
    const hsmca_time next = NOW + HSMCA_OCSP_VALIDITY_DEFAULT - 1;
    static const uint8_t bad[] = {0x00, 0x01};

    expect_ok(hsmca_ocsp_responder_new(f->st, get_signer, &f->sg, 0, &r), "responder");
    expect_ok(hsmca_ocsp_respond_serial(r, "ca", f->r.b, f->r.len, "sha256", NOW, &resp,
                                        &resp_len, &o),
              "sha256");
    assert_int_equal(o.status, HSMCA_OCSP_SUCCESSFUL);
    assert_int_equal(o.revoked, 1);
    bs = basic_of(resp, resp_len);
    expect_signed_by(bs, issuer_key, issuer_cert, 0);
    assert_int_equal(OCSP_resp_count(bs), 1);
    expect_single(bs, issuer_cert, EVP_sha256(), &f->r, V_OCSP_CERTSTATUS_REVOKED, R_AT, 1, NOW,
                  next);
    assert_false(has_ext(bs, NONCE_OID));
    OCSP_BASICRESP_free(bs);
    OPENSSL_free(resp);
    resp = NULL;

    expect_ok(hsmca_ocsp_respond_serial(r, "ca", f->u.b, f->u.len, NULL, NOW, &resp, &resp_len,
                                        &o),
              "sha1");
    bs = basic_of(resp, resp_len);
    expect_single(bs, issuer_cert, EVP_sha1(), &f->u, V_OCSP_CERTSTATUS_UNKNOWN, 0, 0, NOW,
                  next);
    OCSP_BASICRESP_free(bs);
    OPENSSL_free(resp);
    resp = NULL;

    expect_err(hsmca_ocsp_respond_serial(r, "ca", f->f.b, f->f.len, "md5", NOW, &resp,
                                         &resp_len, &o),
               HSMCA_E_USAGE, "unknown CertID hash 'md5'");
    expect_err(hsmca_ocsp_respond_serial(r, "nope", f->f.b, f->f.len, NULL, NOW, &resp,
                                         &resp_len, &o),
               HSMCA_E_NOT_FOUND, "no issuer 'nope'");
    expect_err(hsmca_ocsp_respond_serial(r, "ca", bad, sizeof bad, NULL, NOW, &resp, &resp_len,
                                         &o),
               HSMCA_E_INPUT, NULL);
    assert_null(resp);
    hsmca_ocsp_responder_free(r);
}

/* BR 4.9.9's window and MRSP 6's clipping to the signer's notAfter. */
static void test_respond_window(void **state)
{
    struct rfix *f = *state;
    hsmca_ocsp_responder *r = NULL;
    hsmca_ocsp_outcome o;
    uint8_t *resp = NULL;
    size_t resp_len = 0;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *soon = self_signed(key, "hsmca OCSP Test Soon", T0 - DAY, NOW + 9 * 3600);

    assert_non_null(key);
    add_store_issuer(f->st, "soon", soon);
    f->sg.name[2] = "soon";
    f->sg.key[2] = key;
    f->sg.cert[2] = soon;

    expect_err(hsmca_ocsp_responder_new(f->st, get_signer, &f->sg, HSMCA_OCSP_VALIDITY_MIN - 1,
                                        &r),
               HSMCA_E_USAGE, "outside BR 4.9.9");
    expect_err(hsmca_ocsp_responder_new(f->st, get_signer, &f->sg, HSMCA_OCSP_VALIDITY_MAX + 1,
                                        &r),
               HSMCA_E_USAGE, "outside BR 4.9.9");
    expect_ok(hsmca_ocsp_responder_new(f->st, get_signer, &f->sg, HSMCA_OCSP_VALIDITY_MAX, &r),
              "10 days");
    expect_ok(hsmca_ocsp_respond_serial(r, "ca", f->f.b, f->f.len, NULL, NOW, &resp, &resp_len,
                                        &o),
              "10 days");
    /* (nextUpdate - thisUpdate) + 1 s = 10 days exactly. */
    assert_int_equal(o.next_update - o.this_update + 1, 10 * DAY);
    OPENSSL_free(resp);
    /* Clipped to notAfter: 9 hours is still at least 8. */
    expect_ok(hsmca_ocsp_respond_serial(r, "soon", f->f.b, f->f.len, NULL, NOW, &resp,
                                        &resp_len, &o),
              "clipped");
    assert_int_equal(o.this_update, NOW);
    assert_int_equal(o.next_update, NOW + 9 * 3600);
    OPENSSL_free(resp);
    resp = NULL;
    /* Two hours later the window would be 7 h + 1 s: refused. */
    expect_err(hsmca_ocsp_respond_serial(r, "soon", f->f.b, f->f.len, NULL, NOW + 2 * 3600,
                                         &resp, &resp_len, &o),
               HSMCA_E_STATE, "too soon for a response valid for 8 hours");
    assert_null(resp);
    hsmca_ocsp_responder_free(r);

    expect_ok(hsmca_ocsp_responder_new(f->st, get_signer, &f->sg, HSMCA_OCSP_VALIDITY_MIN, &r),
              "8 hours");
    expect_ok(hsmca_ocsp_respond_serial(r, "ca", f->f.b, f->f.len, NULL, NOW, &resp, &resp_len,
                                        &o),
              "8 hours");
    assert_int_equal(o.next_update, NOW + 8 * 3600 - 1);
    OPENSSL_free(resp);
    hsmca_ocsp_responder_free(r);
}

/* A delegated responder (RFC 6960 §4.2.2.2): its certificate in `certs`,
 * the responder ID its key's; one not issued by the CA is refused. */
static X509 *responder_cert(EVP_PKEY *key, X509 *ca, EVP_PKEY *ca_key, const char *eku_value)
{
    X509 *x = X509_new();
    X509_NAME *nm;
    X509_EXTENSION *eku;

    assert_non_null(x);
    assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 7), 1);
    nm = X509_get_subject_name(x);
    assert_int_equal(X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
                                                (const unsigned char *)"hsmca OCSP Responder",
                                                -1, -1, 0),
                     1);
    assert_int_equal(X509_set_issuer_name(x, X509_get_subject_name(ca)), 1);
    assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)(T0 - DAY)));
    assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(T0 + 365 * DAY)));
    assert_int_equal(X509_set_pubkey(x, key), 1);
    if (eku_value != NULL) {
        eku = X509V3_EXT_conf_nid(NULL, NULL, NID_ext_key_usage, eku_value);
        assert_non_null(eku);
        assert_int_equal(X509_add_ext(x, eku, -1), 1);
        X509_EXTENSION_free(eku);
    }
    assert_true(X509_sign(x, ca_key, EVP_sha256()) > 0);
    return x;
}

static void test_respond_delegated(void **state)
{
    struct rfix *f = *state;
    const hsmca_store_serial *one[] = {&f->f};
    hsmca_ocsp_responder *r = NULL;
    hsmca_ocsp_outcome o;
    uint8_t *req, *resp = NULL;
    size_t req_len, resp_len = 0;
    OCSP_BASICRESP *bs;
    EVP_PKEY *rkey = EVP_EC_gen("P-256"), *stranger = EVP_EC_gen("P-256");
    X509 *rcert, *bad[3];
    static const char *const bad_why[3] = {
        /* same names, signed by another key */
        "the delegated OCSP responder certificate is not signed by its key",
        /* no extendedKeyUsage at all */
        "lacks extendedKeyUsage id-kp-OCSPSigning (RFC 6960 §4.2.2.2)",
        /* extendedKeyUsage without id-kp-OCSPSigning */
        "lacks extendedKeyUsage id-kp-OCSPSigning",
    };

    assert_non_null(rkey);
    assert_non_null(stranger);
    rcert = responder_cert(rkey, issuer_cert, issuer_key, "OCSPSigning");
    f->sg.key[0] = rkey;
    f->sg.cert[0] = rcert;
    f->sg.delegated[0] = 1;
    expect_ok(hsmca_ocsp_responder_new(f->st, get_signer, &f->sg, 0, &r), "responder");
    req = request_for(issuer_cert, EVP_sha1(), one, 1, 8, &req_len);
    expect_ok(hsmca_ocsp_respond(r, req, req_len, NOW, &resp, &resp_len, &o), "respond");
    assert_int_equal(o.status, HSMCA_OCSP_SUCCESSFUL);
    bs = basic_of(resp, resp_len);
    expect_signed_by(bs, rkey, rcert, 1);
    assert_int_equal(X509_cmp(sk_X509_value(OCSP_resp_get0_certs(bs), 0), rcert), 0);
    OCSP_BASICRESP_free(bs);
    OPENSSL_free(resp);
    hsmca_ocsp_responder_free(r);

    /* Certificates that are not the CA's OCSP responder: internalError,
     * nothing signed. */
    bad[0] = responder_cert(rkey, issuer_cert, stranger, "OCSPSigning");
    bad[1] = responder_cert(rkey, issuer_cert, issuer_key, NULL);
    bad[2] = responder_cert(rkey, issuer_cert, issuer_key, "serverAuth,clientAuth");
    for (int i = 0; i < 3; i++) {
        f->sg.cert[0] = bad[i];
        expect_ok(hsmca_ocsp_responder_new(f->st, get_signer, &f->sg, 0, &r), "responder");
        expect_ok(hsmca_ocsp_respond(r, req, req_len, NOW, &resp, &resp_len, &o), "respond");
        expect_error_resp(resp, resp_len, &o, HSMCA_OCSP_INTERNAL_ERROR, bad_why[i]);
        OPENSSL_free(resp);
        hsmca_ocsp_responder_free(r);
        X509_free(bad[i]);
    }

    /* The key does not match the certificate. */
    f->sg.cert[0] = rcert;
    f->sg.key[0] = stranger;
    expect_ok(hsmca_ocsp_responder_new(f->st, get_signer, &f->sg, 0, &r), "responder");
    expect_ok(hsmca_ocsp_respond(r, req, req_len, NOW, &resp, &resp_len, &o), "respond");
    expect_error_resp(resp, resp_len, &o, HSMCA_OCSP_INTERNAL_ERROR,
                      "is not the key of its certificate");
    OPENSSL_free(resp);
    hsmca_ocsp_responder_free(r);

    /* A non-delegated signer must be the issuer certificate itself. */
    f->sg.delegated[0] = 0;
    f->sg.key[0] = rkey;
    expect_ok(hsmca_ocsp_responder_new(f->st, get_signer, &f->sg, 0, &r), "responder");
    expect_ok(hsmca_ocsp_respond(r, req, req_len, NOW, &resp, &resp_len, &o), "respond");
    expect_error_resp(resp, resp_len, &o, HSMCA_OCSP_INTERNAL_ERROR,
                      "a non-delegated signer must use the issuer certificate");
    OPENSSL_free(resp);
    hsmca_ocsp_responder_free(r);

    f->sg.key[0] = issuer_key;
    f->sg.cert[0] = issuer_cert;
    OPENSSL_free(req);
    X509_free(rcert);
    EVP_PKEY_free(rkey);
    EVP_PKEY_free(stranger);
}

/* BR 7.1.2.10.7: a CA whose keyUsage lacks digitalSignature may not sign
 * OCSP responses itself. */
static void test_respond_ca_key_usage(void **state)
{
    struct rfix *f = *state;
    const hsmca_store_serial *one[] = {&f->f};
    hsmca_ocsp_responder *r = NULL;
    hsmca_ocsp_outcome o;
    uint8_t *req, *resp = NULL;
    size_t req_len, resp_len = 0;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *ca = X509_new();
    X509_NAME *nm;
    X509_EXTENSION *ku;

    assert_non_null(key);
    assert_non_null(ca);
    assert_int_equal(X509_set_version(ca, X509_VERSION_3), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(ca), 2), 1);
    nm = X509_get_subject_name(ca);
    assert_int_equal(X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
                                                (const unsigned char *)"hsmca OCSP KU CA", -1,
                                                -1, 0),
                     1);
    assert_int_equal(X509_set_issuer_name(ca, nm), 1);
    assert_non_null(ASN1_TIME_set(X509_getm_notBefore(ca), (time_t)(T0 - DAY)));
    assert_non_null(ASN1_TIME_set(X509_getm_notAfter(ca), (time_t)(T0 + 365 * DAY)));
    assert_int_equal(X509_set_pubkey(ca, key), 1);
    ku = X509V3_EXT_conf_nid(NULL, NULL, NID_key_usage, "critical,keyCertSign,cRLSign");
    assert_non_null(ku);
    assert_int_equal(X509_add_ext(ca, ku, -1), 1);
    X509_EXTENSION_free(ku);
    assert_true(X509_sign(ca, key, EVP_sha256()) > 0);
    add_store_issuer(f->st, "kuca", ca);
    f->sg.name[1] = "kuca";
    f->sg.key[1] = key;
    f->sg.cert[1] = ca;
    expect_ok(hsmca_ocsp_responder_new(f->st, get_signer, &f->sg, 0, &r), "responder");
    req = request_for(ca, EVP_sha1(), one, 1, 0, &req_len);
    expect_ok(hsmca_ocsp_respond(r, req, req_len, NOW, &resp, &resp_len, &o), "respond");
    expect_error_resp(resp, resp_len, &o, HSMCA_OCSP_INTERNAL_ERROR,
                      "keyUsage lacks digitalSignature");
    OPENSSL_free(resp);
    OPENSSL_free(req);
    hsmca_ocsp_responder_free(r);
}

/* hsmca_ocsp_build without a store: the times and nonce as given (outside
 * the responder's policy: a window of exactly 10 days, nonces of 0 and 129
 * octets), each status, and a delegated response without `certs`. */
static void test_build_direct(void **state)
{
    hsmca_ocsp_signer sg = {issuer_key, issuer_cert, 0};
    hsmca_ocsp_single one[3];
    hsmca_ocsp_build_req b;
    const uint8_t *sns[3] = {SN1, SN2, SN3};
    const size_t lens[3] = {sizeof SN1, sizeof SN2, sizeof SN3};
    hsmca_store_serial s[3];
    ASN1_INTEGER *ai[3];
    uint8_t nonce[HSMCA_OCSP_NONCE_MAX + 1], *resp = NULL;
    size_t resp_len = 0;
    OCSP_BASICRESP *bs;
    X509_EXTENSION *ext;
    int at;

    (void)state;
    memset(one, 0, sizeof one);
    memset(nonce, 0x5a, sizeof nonce);
    for (int i = 0; i < 3; i++) {
        ai[i] = integer(sns[i], lens[i], 0);
        one[i].cid = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(issuer_cert),
                                      X509_get0_pubkey_bitstr(issuer_cert), ai[i]);
        assert_non_null(one[i].cid);
        memcpy(s[i].b, sns[i], lens[i]);
        s[i].len = lens[i];
        one[i].answer.reason = -1;
    }
    one[0].answer.cert_status = V_OCSP_CERTSTATUS_GOOD;
    one[1].answer.cert_status = V_OCSP_CERTSTATUS_REVOKED;
    one[1].answer.revoked_at = T0 - DAY;
    one[2].answer.cert_status = V_OCSP_CERTSTATUS_UNKNOWN;
    memset(&b, 0, sizeof b);
    b.signer = &sg;
    b.singles = one;
    b.n_singles = 3;
    b.produced_at = T0 + 5;
    b.this_update = T0;
    b.next_update = T0 + 10 * DAY; /* BR 4.9.9 allows 10 d - 1 s at most */
    b.has_nonce = 1;
    b.nonce = nonce;
    b.nonce_len = 0;
    expect_ok(hsmca_ocsp_build(&b, &resp, &resp_len), "build");
    bs = basic_of(resp, resp_len);
    expect_signed_by(bs, issuer_key, issuer_cert, 0);
    assert_int_equal(t_of(OCSP_resp_get0_produced_at(bs)), T0 + 5);
    expect_single(bs, issuer_cert, EVP_sha1(), &s[0], V_OCSP_CERTSTATUS_GOOD, -1, -1, T0,
                  T0 + 10 * DAY);
    expect_single(bs, issuer_cert, EVP_sha1(), &s[1], V_OCSP_CERTSTATUS_REVOKED, T0 - DAY,
                  -1, T0, T0 + 10 * DAY);
    expect_single(bs, issuer_cert, EVP_sha1(), &s[2], V_OCSP_CERTSTATUS_UNKNOWN, -1, -1, T0,
                  T0 + 10 * DAY);
    assert_false(has_ext(bs, EXTENDED_REVOKE_OID));
    /* The empty nonce as given: extnValue 04 00, not critical. */
    at = ext_at(bs, NONCE_OID, -1);
    assert_true(at >= 0);
    ext = OCSP_BASICRESP_get_ext(bs, at);
    assert_int_equal(X509_EXTENSION_get_critical(ext), 0);
    assert_int_equal(ASN1_STRING_length(X509_EXTENSION_get_data(ext)), 2);
    assert_memory_equal(ASN1_STRING_get0_data(X509_EXTENSION_get_data(ext)), "\x04\x00", 2);
    OCSP_BASICRESP_free(bs);
    OPENSSL_free(resp);

    /* 129 octets, delegated without certs, one answer. */
    sg.delegated = 1;
    b.omit_certs = 1;
    b.n_singles = 1;
    b.nonce_len = sizeof nonce;
    expect_ok(hsmca_ocsp_build(&b, &resp, &resp_len), "build 129");
    bs = basic_of(resp, resp_len);
    expect_signed_by(bs, issuer_key, issuer_cert, 0);
    ext = OCSP_BASICRESP_get_ext(bs, ext_at(bs, NONCE_OID, -1));
    assert_int_equal(ASN1_STRING_length(X509_EXTENSION_get_data(ext)), 3 + 129);
    assert_memory_equal(ASN1_STRING_get0_data(X509_EXTENSION_get_data(ext)) + 3, nonce, 129);
    OCSP_BASICRESP_free(bs);
    OPENSSL_free(resp);
    /* The same, delegated with certs: the signer's certificate is in. */
    b.omit_certs = 0;
    b.has_nonce = 0;
    expect_ok(hsmca_ocsp_build(&b, &resp, &resp_len), "build delegated");
    bs = basic_of(resp, resp_len);
    expect_signed_by(bs, issuer_key, issuer_cert, 1);
    assert_false(has_ext(bs, NONCE_OID));
    OCSP_BASICRESP_free(bs);
    OPENSSL_free(resp);

    /* No answer, or an answer that is not a status: usage errors. */
    resp = NULL;
    b.n_singles = 0;
    expect_err(hsmca_ocsp_build(&b, &resp, &resp_len), HSMCA_E_USAGE, "at least one answer");
    b.n_singles = 1;
    one[0].answer.cert_status = -1;
    expect_err(hsmca_ocsp_build(&b, &resp, &resp_len), HSMCA_E_USAGE, "status -1");
    assert_null(resp);
    for (int i = 0; i < 3; i++) {
        OCSP_CERTID_free(one[i].cid);
        ASN1_INTEGER_free(ai[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_sha1),
        cmocka_unit_test(test_parse_sha256),
        cmocka_unit_test(test_parse_several),
        cmocka_unit_test(test_parse_nonce_sizes),
        cmocka_unit_test(test_parse_serials),
        cmocka_unit_test(test_parse_empty_garbage),
        cmocka_unit_test(test_parse_truncated),
        cmocka_unit_test(test_parse_trailing),
        cmocka_unit_test(test_parse_ber),
        cmocka_unit_test(test_parse_size_bound),
        cmocka_unit_test(test_parse_certid_count),
        cmocka_unit_test(test_parse_hash_algorithm),
        cmocka_unit_test(test_parse_hash_length),
        cmocka_unit_test(test_parse_nonce_bad),
        cmocka_unit_test(test_parse_refusal_late),
        cmocka_unit_test(test_decide_table),
        cmocka_unit_test(test_error_response),
        cmocka_unit_test(test_status_name),
        cmocka_unit_test(test_build_direct),
        cmocka_unit_test_setup_teardown(test_respond_table, rsetup, rteardown),
        cmocka_unit_test_setup_teardown(test_respond_errors, rsetup, rteardown),
        cmocka_unit_test_setup_teardown(test_respond_policies, rsetup, rteardown),
        cmocka_unit_test_setup_teardown(test_respond_reload, rsetup, rteardown),
        cmocka_unit_test_setup_teardown(test_respond_serial, rsetup, rteardown),
        cmocka_unit_test_setup_teardown(test_respond_window, rsetup, rteardown),
        cmocka_unit_test_setup_teardown(test_respond_delegated, rsetup, rteardown),
        cmocka_unit_test_setup_teardown(test_respond_ca_key_usage, rsetup, rteardown),
    };

    if (getenv("HSMCA_TEST_FILTER") != NULL)
        cmocka_set_test_filter(getenv("HSMCA_TEST_FILTER"));
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
