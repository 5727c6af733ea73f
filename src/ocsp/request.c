/* hsmca — OCSP request parsing (RFC 6960 §4.1, RFC 9654; include/hsmca/ocsp.h).
 *
 * Everything refused here is answered malformedRequest (RFC 6960 §2.3): the
 * request is not something we can answer at all. What a well-formed request
 * asks about (an issuer we do not serve, a serial never used) is decided
 * later, from the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ocsp.h>

#include "hsmca/ocsp.h"

void hsmca_ocsp_request_free(hsmca_ocsp_request *req)
{
    if (req == NULL)
        return;
    OCSP_REQUEST_free(req->ossl);
    free(req->ids);
    free(req);
}

/* The content octets of an INTEGER as sent (re-encoded by OpenSSL, which
 * keeps the sign); len 0 when longer than any serial of ours can be. */
static void serial_of(const ASN1_INTEGER *ai, hsmca_store_serial *out)
{
    unsigned char buf[64], *p = buf;
    int n = i2d_ASN1_INTEGER(ai, NULL);

    memset(out, 0, sizeof *out);
    if (n <= 2 || n > (int)sizeof buf)
        return;
    n = i2d_ASN1_INTEGER(ai, &p);
    /* Short-form length: tag, length, content (an INTEGER of <= 20 octets
     * never needs the long form). */
    if (n <= 2 || buf[1] >= 0x80 || (size_t)buf[1] + 2 != (size_t)n ||
        buf[1] > HSMCA_STORE_SERIAL_MAX)
        return;
    memcpy(out->b, buf + 2, buf[1]);
    out->len = buf[1];
}

/* One CertID (RFC 6960 §4.1.1) with SHA-1 or SHA-256 hashes of the right
 * length (CONFORMANCE.md §12). */
static hsmca_err read_certid(OCSP_CERTID *cid, size_t i, hsmca_ocsp_certid *out)
{
    hsmca_err err = HSMCA_OK;
    ASN1_OCTET_STRING *name_hash = NULL, *key_hash = NULL;
    ASN1_OBJECT *alg = NULL;
    ASN1_INTEGER *serial = NULL;
    char oid[80];
    int nid;
    size_t want;

    HSMCA_ENSURE(OCSP_id_get0_info(&name_hash, &alg, &key_hash, &serial, cid) == 1,
                 HSMCA_E_INPUT, "CertID %zu is incomplete", i + 1);
    nid = OBJ_obj2nid(alg);
    if (nid != NID_sha1 && nid != NID_sha256) {
        if (OBJ_obj2txt(oid, sizeof oid, alg, 1) <= 0)
            snprintf(oid, sizeof oid, "?");
        HSMCA_FAIL(HSMCA_E_INPUT,
                   "CertID %zu uses hash algorithm %s; this responder accepts SHA-1 and "
                   "SHA-256",
                   i + 1, oid);
    }
    want = nid == NID_sha1 ? 20 : 32;
    HSMCA_ENSURE(ASN1_STRING_length(name_hash) == (int)want &&
                     ASN1_STRING_length(key_hash) == (int)want,
                 HSMCA_E_INPUT, "CertID %zu: its hashes are not %zu octets long as %s's are",
                 i + 1, want, OBJ_nid2sn(nid));
    out->hash_nid = nid;
    out->hash_len = want;
    memcpy(out->name_hash, ASN1_STRING_get0_data(name_hash), want);
    memcpy(out->key_hash, ASN1_STRING_get0_data(key_hash), want);
    serial_of(serial, &out->serial);
out:
    return err;
}

/* RFC 9654 §2.1: the nonce extension's value is Nonce ::= OCTET STRING
 * (SIZE(1..128)); a responder answers malformedRequest for anything
 * outside that. One nonce per request. */
static hsmca_err read_nonce(OCSP_REQUEST *r, hsmca_ocsp_request *out)
{
    hsmca_err err = HSMCA_OK;
    int at = OCSP_REQUEST_get_ext_by_NID(r, NID_id_pkix_OCSP_Nonce, -1);
    X509_EXTENSION *ext;
    ASN1_OCTET_STRING *value, *nonce = NULL;
    const unsigned char *p;

    if (at < 0)
        goto out;
    HSMCA_ENSURE(OCSP_REQUEST_get_ext_by_NID(r, NID_id_pkix_OCSP_Nonce, at) < 0, HSMCA_E_INPUT,
                 "the request carries two nonce extensions");
    ext = OCSP_REQUEST_get_ext(r, at);
    value = X509_EXTENSION_get_data(ext);
    p = ASN1_STRING_get0_data(value);
    nonce = d2i_ASN1_OCTET_STRING(NULL, &p, ASN1_STRING_length(value));
    HSMCA_ENSURE(nonce != NULL && p == ASN1_STRING_get0_data(value) + ASN1_STRING_length(value),
                 HSMCA_E_INPUT, "the nonce extension does not hold one OCTET STRING (RFC 9654 "
                 "§2.1)");
    HSMCA_ENSURE(ASN1_STRING_length(nonce) >= 1 &&
                     ASN1_STRING_length(nonce) <= HSMCA_OCSP_NONCE_MAX,
                 HSMCA_E_INPUT, "the nonce is %d octets; RFC 9654 §2.1 allows 1 to %d",
                 ASN1_STRING_length(nonce), HSMCA_OCSP_NONCE_MAX);
    out->has_nonce = 1;
    out->nonce_len = (size_t)ASN1_STRING_length(nonce);
    memcpy(out->nonce, ASN1_STRING_get0_data(nonce), out->nonce_len);
out:
    ASN1_OCTET_STRING_free(nonce);
    return err;
}

hsmca_err hsmca_ocsp_request_parse(const uint8_t *der, size_t len, hsmca_ocsp_request **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_ocsp_request *req = NULL;
    OCSP_REQUEST *r = NULL;
    const unsigned char *p = der;
    unsigned char *re = NULL;
    int n;

    HSMCA_ENSURE(out != NULL, HSMCA_E_USAGE, "hsmca_ocsp_request_parse: no output");
    *out = NULL;
    HSMCA_ENSURE(der != NULL && len > 0, HSMCA_E_INPUT, "the request is empty");
    HSMCA_ENSURE(len <= HSMCA_OCSP_REQUEST_MAX, HSMCA_E_INPUT,
                 "the request is %zu octets; at most %d are accepted", len,
                 HSMCA_OCSP_REQUEST_MAX);
    r = d2i_OCSP_REQUEST(NULL, &p, (long)len);
    HSMCA_ENSURE(r != NULL, HSMCA_E_INPUT, "the request is not a DER OCSPRequest");
    HSMCA_ENSURE(p == der + len, HSMCA_E_INPUT, "%zu octets follow the OCSPRequest",
                 len - (size_t)(p - der));
    /* RFC 6960 §4.1 defines the request in DER. OpenSSL reads BER too: a
     * request with indefinite or non-minimal lengths or constructed strings
     * in the parts OpenSSL re-encodes encodes back to other octets and is
     * refused. Not caught: what OpenSSL keeps as sent (a BOOLEAN's octet,
     * an explicit DEFAULT version, the requestorName, the optional
     * signature's certificates, extension values' contents). */
    n = i2d_OCSP_REQUEST(r, &re);
    HSMCA_ENSURE(n > 0 && (size_t)n == len && memcmp(re, der, len) == 0, HSMCA_E_INPUT,
                 "the request is BER, not DER (RFC 6960 §4.1; X.690 §10)");
    n = OCSP_request_onereq_count(r);
    HSMCA_ENSURE(n >= 1, HSMCA_E_INPUT, "the request asks about no certificate");
    HSMCA_ENSURE(n <= HSMCA_OCSP_CERTIDS_MAX, HSMCA_E_INPUT,
                 "the request asks about %d certificates; at most %d are answered at once", n,
                 HSMCA_OCSP_CERTIDS_MAX);
    req = calloc(1, sizeof *req);
    HSMCA_ALLOC(req);
    req->ids = calloc((size_t)n, sizeof *req->ids);
    HSMCA_ALLOC(req->ids);
    for (int i = 0; i < n; i++)
        HSMCA_GUARD(read_certid(OCSP_onereq_get0_id(OCSP_request_onereq_get0(r, i)), (size_t)i,
                                &req->ids[i]));
    req->n_ids = (size_t)n;
    HSMCA_GUARD(read_nonce(r, req));
    req->ossl = r;
    r = NULL;
    *out = req;
    req = NULL;
out:
    OPENSSL_free(re);
    OCSP_REQUEST_free(r);
    hsmca_ocsp_request_free(req);
    return err;
}
