/* hsmca — building and signing one OCSP response from given answers and
 * times, without a store (include/hsmca/ocsp.h, hsmca_ocsp_build).
 *
 * The responder (ocsp.c) decides the answers from the store, checks its
 * policy (signer, validity window, nonce length) and then builds through
 * here; `hsmca fixtures` builds through here directly, with times and
 * nonces outside that policy for negative fixtures. One piece of code
 * encodes and signs every response hsmca makes.
 *
 * The response is built with OpenSSL's OCSP types and signed through the
 * token's EVP_PKEY (DESIGN.md: OCSP_basic_sign with the HSM key). producedAt
 * is the caller's (OCSP_NOTIME), not OpenSSL's clock, so that --now gives
 * reproducible responses; the signature is checked with the signer's
 * certificate before the response leaves.
 */
#include <stdint.h>
#include <string.h>

#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "hsmca/ocsp.h"
#include "hsmca/ossl.h"
#include "hsmca/x509.h"

static ASN1_GENERALIZEDTIME *gtime(hsmca_time t)
{
    return ASN1_GENERALIZEDTIME_set(NULL, (time_t)t);
}

/* A non-critical extension of the basic response with this DER value. */
static hsmca_err add_ext(OCSP_BASICRESP *bs, int nid, const uint8_t *der, size_t len,
                         const char *what)
{
    hsmca_err err = HSMCA_OK;
    ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
    X509_EXTENSION *ext = NULL;

    HSMCA_ALLOC(v);
    HSMCA_OSSL(ASN1_OCTET_STRING_set(v, der, (int)len) == 1, "cannot build the %s extension",
               what);
    ext = X509_EXTENSION_create_by_NID(NULL, nid, 0, v);
    HSMCA_OSSL(ext != NULL, "cannot build the %s extension", what);
    HSMCA_OSSL(OCSP_BASICRESP_add_ext(bs, ext, -1) == 1, "cannot add the %s extension", what);
out:
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(v);
    return err;
}

/* RFC 6960 §2.2 / §4.4.8: the extended revoked definition, NULL value. */
static hsmca_err add_extended_revoke(OCSP_BASICRESP *bs)
{
    static const uint8_t null_der[] = {0x05, 0x00};

    /* id-pkix-ocsp-extended-revoke is {id-pkix-ocsp 9} (RFC 6960 §4.4.8),
     * which OpenSSL names NID_id_pkix_OCSP_valid; its extendedStatus is
     * {id-pkix-ocsp 8}, another thing. */
    return add_ext(bs, NID_id_pkix_OCSP_valid, null_der, sizeof null_der, "extended-revoke");
}

/* RFC 9654 §2.1: the nonce extension's value is Nonce ::= OCTET STRING, the
 * octets as given (the responder echoes the request's; OpenSSL's
 * OCSP_basic_add1_nonce would make up 16 random octets for a length of 0). */
static hsmca_err add_nonce(OCSP_BASICRESP *bs, const uint8_t *nonce, size_t len)
{
    hsmca_err err = HSMCA_OK;
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    unsigned char *der = NULL;
    int n;

    HSMCA_ALLOC(os);
    HSMCA_ENSURE(len <= INT32_MAX / 2 && (len == 0 || nonce != NULL), HSMCA_E_USAGE,
                 "hsmca_ocsp_build: bad nonce");
    HSMCA_OSSL(ASN1_OCTET_STRING_set(os, nonce, (int)len) == 1, "cannot build the nonce");
    n = i2d_ASN1_OCTET_STRING(os, &der);
    HSMCA_OSSL(n > 0, "cannot encode the nonce");
    HSMCA_GUARD(add_ext(bs, NID_id_pkix_OCSP_Nonce, der, (size_t)n, "nonce"));
out:
    OPENSSL_free(der);
    ASN1_OCTET_STRING_free(os);
    return err;
}

/* Sign bs as `signer` (producedAt given), check the signature, and encode
 * the successful OCSPResponse. */
static hsmca_err sign_encode(OCSP_BASICRESP *bs, const hsmca_ocsp_signer *signer,
                             hsmca_time produced_at, int omit_certs, uint8_t **resp,
                             size_t *resp_len)
{
    hsmca_err err = HSMCA_OK;
    EVP_MD_CTX *md = NULL;
    const EVP_MD *dgst = NULL;
    OCSP_RESPONSE *or = NULL;
    ASN1_GENERALIZEDTIME *produced;
    unsigned char *der = NULL;
    unsigned long flags = OCSP_NOTIME | OCSP_RESPID_KEY;
    int n;

    /* OCSP_NOTIME: we set producedAt (OpenSSL would use its own clock). */
    produced = (ASN1_GENERALIZEDTIME *)(uintptr_t)OCSP_resp_get0_produced_at(bs);
    HSMCA_OSSL(produced != NULL && ASN1_GENERALIZEDTIME_set(produced, (time_t)produced_at) != NULL,
               "cannot set producedAt");
    /* CONFORMANCE.md §12: the responder's certificate in `certs` only when
     * delegated; a CA-signed response omits it. */
    if (!signer->delegated || omit_certs)
        flags |= OCSP_NOCERTS;
    HSMCA_GUARD(hsmca_x509_sign_digest(signer->key, &dgst));
    md = EVP_MD_CTX_new();
    HSMCA_ALLOC(md);
    HSMCA_OSSL(EVP_DigestSignInit(md, NULL, dgst, NULL, signer->key) == 1,
               "cannot start the OCSP signature");
    HSMCA_OSSL(OCSP_basic_sign_ctx(bs, signer->cert, md, NULL, flags) == 1,
               "the token could not sign the OCSP response");
    HSMCA_OSSL(ASN1_item_verify(ASN1_ITEM_rptr(OCSP_RESPDATA), OCSP_resp_get0_tbs_sigalg(bs),
                                OCSP_resp_get0_signature(bs), OCSP_resp_get0_respdata(bs),
                                X509_get0_pubkey(signer->cert)) == 1,
               "the OCSP response signature does not verify with the responder certificate");
    or = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
    HSMCA_OSSL(or != NULL, "cannot build the OCSP response");
    n = i2d_OCSP_RESPONSE(or, &der);
    HSMCA_OSSL(n > 0, "cannot encode the OCSP response");
    *resp = der;
    *resp_len = (size_t)n;
    der = NULL;
out:
    EVP_MD_CTX_free(md);
    OCSP_RESPONSE_free(or);
    OPENSSL_free(der);
    return err;
}

hsmca_err hsmca_ocsp_build(const hsmca_ocsp_build_req *req, uint8_t **resp, size_t *resp_len)
{
    hsmca_err err = HSMCA_OK;
    OCSP_BASICRESP *bs = NULL;
    ASN1_GENERALIZEDTIME *thisupd = NULL, *nextupd = NULL, *revtime = NULL;
    int extended = 0;

    HSMCA_ENSURE(req != NULL && resp != NULL && resp_len != NULL && req->signer != NULL &&
                     req->signer->key != NULL && req->signer->cert != NULL &&
                     req->singles != NULL && req->n_singles > 0,
                 HSMCA_E_USAGE, "hsmca_ocsp_build: a signer and at least one answer are needed");
    *resp = NULL;
    *resp_len = 0;
    bs = OCSP_BASICRESP_new();
    HSMCA_ALLOC(bs);
    thisupd = gtime(req->this_update);
    nextupd = gtime(req->next_update);
    HSMCA_OSSL(thisupd != NULL && nextupd != NULL, "cannot encode the OCSP times");
    for (size_t i = 0; i < req->n_singles; i++) {
        const hsmca_ocsp_single *s = &req->singles[i];
        const hsmca_ocsp_answer *a = &s->answer;

        HSMCA_ENSURE(s->cid != NULL && (a->cert_status == V_OCSP_CERTSTATUS_GOOD ||
                                        a->cert_status == V_OCSP_CERTSTATUS_REVOKED ||
                                        a->cert_status == V_OCSP_CERTSTATUS_UNKNOWN),
                     HSMCA_E_USAGE, "hsmca_ocsp_build: answer %zu has no CertID or status %d",
                     i + 1, a->cert_status);
        ASN1_GENERALIZEDTIME_free(revtime);
        revtime = NULL;
        if (a->cert_status == V_OCSP_CERTSTATUS_REVOKED) {
            revtime = gtime(a->revoked_at);
            HSMCA_OSSL(revtime != NULL, "cannot encode a revocation time");
        }
        extended |= a->extended_revoke;
        /* reason -1 (OCSP_REVOKED_STATUS_NOSTATUS): no revocationReason. */
        HSMCA_OSSL(OCSP_basic_add1_status(bs, s->cid, a->cert_status,
                                          a->cert_status == V_OCSP_CERTSTATUS_REVOKED ? a->reason
                                                                                      : 0,
                                          revtime, thisupd, nextupd) != NULL,
                   "cannot add an answer to the OCSP response");
    }
    if (extended)
        HSMCA_GUARD(add_extended_revoke(bs));
    if (req->has_nonce)
        HSMCA_GUARD(add_nonce(bs, req->nonce, req->nonce_len));
    HSMCA_GUARD(sign_encode(bs, req->signer, req->produced_at, req->omit_certs, resp, resp_len));
out:
    OCSP_BASICRESP_free(bs);
    ASN1_GENERALIZEDTIME_free(thisupd);
    ASN1_GENERALIZEDTIME_free(nextupd);
    ASN1_GENERALIZEDTIME_free(revtime);
    return err;
}
