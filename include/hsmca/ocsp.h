/* hsmca — OCSP responses from the store (RFC 6960, RFC 5019/9919, BR 4.9.9
 * and 7.3, CONFORMANCE.md §12; issue #5).
 *
 * A responder knows every issuer of a store. For a DER OCSPRequest it
 *   - refuses, with an unsigned error response (RFC 6960 §2.3), what it
 *     cannot parse: malformedRequest for garbage, truncated or trailing
 *     DER, an empty or oversized request (HSMCA_OCSP_REQUEST_MAX octets,
 *     HSMCA_OCSP_CERTIDS_MAX CertIDs), a CertID hash other than SHA-1 or
 *     SHA-256 (CONFORMANCE.md §12), a nonce that is not 1..128 octets
 *     (RFC 9654 §2.1); unauthorized for a CertID of an issuer it does not
 *     serve, or CertIDs of several issuers in one request (one response has
 *     one signer); internalError when the store or the token fails;
 *   - otherwise answers every CertID (echoed as requested) from one store
 *     snapshot, signs with the issuing CA's key or its delegated responder
 *     (whose certificate then goes in `certs`, RFC 6960 §4.2.2.2), responder
 *     ID by key (RFC 9919), producedAt = thisUpdate = now (the injectable
 *     clock), nextUpdate = thisUpdate + validity - 1 s clipped to the
 *     responder's notAfter (MRSP 6), and echoes the nonce.
 *
 * The answer for each serial (docs/revocation.md):
 *   final issued                  -> good
 *   precertificate only           -> good   (MRSP 5.4; policy may change it)
 *   revoked (either)              -> revoked, time and reason; no reason
 *                                    for unspecified (BR 7.3.2 / 7.2.2)
 *   reserved, or never used       -> unknown (BR 4.9.9 forbids good; policy
 *                                    may change it)
 * The issuer's policy (hsmca_store_issuer_set_policy) picks the answer for
 * precert-only and for unassigned serials; "unauthorized" makes the whole
 * response an unauthorized error; "revoked" for a precert-only serial is
 * revoked at the precertificate's time without a reason, for an unassigned
 * one the RFC 6960 §2.2 form (1970-01-01, certificateHold, and the
 * extended-revoke extension), which the BRs forbid: negative tests only.
 *
 * Every response is built and signed by hsmca_ocsp_build (below), which
 * also serves without a store: the answers, times and nonce as given, no
 * policy (the fixtures' negative responses).
 */
#ifndef HSMCA_OCSP_H
#define HSMCA_OCSP_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "hsmca/clock.h"
#include "hsmca/err.h"
#include "hsmca/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bounds on what a request may be (anything beyond is malformedRequest). */
#define HSMCA_OCSP_REQUEST_MAX 65536
#define HSMCA_OCSP_CERTIDS_MAX 64
#define HSMCA_OCSP_NONCE_MAX 128   /* RFC 9654 §2.1 */

/* The BR 4.9.9 validity interval (nextUpdate - thisUpdate + 1 s) of
 * subscriber responses: at least 8 hours, at most 10 days. */
#define HSMCA_OCSP_VALIDITY_MIN (8 * 3600)
#define HSMCA_OCSP_VALIDITY_MAX (10 * 86400)
#define HSMCA_OCSP_VALIDITY_DEFAULT (4 * 86400)

/* OCSPResponseStatus (RFC 6960 §4.2.1). */
enum {
    HSMCA_OCSP_SUCCESSFUL = 0,
    HSMCA_OCSP_MALFORMED_REQUEST = 1,
    HSMCA_OCSP_INTERNAL_ERROR = 2,
    HSMCA_OCSP_TRY_LATER = 3,
    HSMCA_OCSP_SIG_REQUIRED = 5,
    HSMCA_OCSP_UNAUTHORIZED = 6
};

/* "successful", "malformedRequest", ... */
const char *hsmca_ocsp_status_name(int status);

/* Who signs an issuer's responses: its own key and certificate, or its
 * delegated responder's (then delegated = 1). Borrowed: must stay valid
 * while the responder uses it. */
typedef struct hsmca_ocsp_signer {
    EVP_PKEY *key;
    X509 *cert;
    int delegated;
} hsmca_ocsp_signer;

/* Give the signer for an issuer, e.g. by opening its token; called at most
 * once per issuer, the first time a request needs it. */
typedef hsmca_err (*hsmca_ocsp_signer_fn)(void *ctx, const hsmca_store_issuer *issuer,
                                          hsmca_ocsp_signer *out);

typedef struct hsmca_ocsp_responder hsmca_ocsp_responder;

/* A responder over every issuer in st (read now: issuers added later are
 * not seen). validity: the BR interval above, in seconds (0: the default);
 * HSMCA_E_USAGE outside [VALIDITY_MIN, VALIDITY_MAX]. */
hsmca_err hsmca_ocsp_responder_new(hsmca_store *st, hsmca_ocsp_signer_fn get_signer, void *ctx,
                                   hsmca_time validity, hsmca_ocsp_responder **out);
void hsmca_ocsp_responder_free(hsmca_ocsp_responder *r);

/* Read the issuers' OCSP policies from the store again (after
 * hsmca_store_issuer_set_policy, possibly by another process). Safe while
 * other threads answer requests. */
hsmca_err hsmca_ocsp_responder_reload(hsmca_ocsp_responder *r);

/* What a response came to, for logs and the CLI. */
typedef struct hsmca_ocsp_outcome {
    int status;                /* HSMCA_OCSP_SUCCESSFUL or an error status */
    char why[256];             /* for an error status: the reason, for the log */
    char issuer[65];           /* the issuer answered for, or "" */
    size_t n_answers;          /* SingleResponses (successful only) */
    int good, revoked, unknown;/* how many of each */
    hsmca_time this_update, next_update;
    int nonce;                 /* the request had a nonce (echoed) */
    int extensions;            /* how many requestExtensions it had (the nonce too) */
    int64_t issuer_id;         /* the store id of the issuer, 0 if none */
    hsmca_store_serial serial; /* the first CertID's serial (len 0: none) */
} hsmca_ocsp_outcome;

/* Answer a DER OCSPRequest. *resp (OPENSSL_free) always receives a DER
 * OCSPResponse, signed or an unsigned error, and *outcome says which: the
 * call returns HSMCA_OK whenever it produced a response, also an error
 * response. It fails only when it cannot produce any (out of memory). The
 * error behind an internalError is in outcome->why. */
hsmca_err hsmca_ocsp_respond(hsmca_ocsp_responder *r, const uint8_t *req, size_t req_len,
                             hsmca_time now, uint8_t **resp, size_t *resp_len,
                             hsmca_ocsp_outcome *outcome);

/* The response for one serial of an issuer, as a request with one CertID
 * (hash: "sha1" or "sha256", NULL: SHA-1, what most clients send) and no
 * nonce would get: for pre-signed responses (hsmca ocsp batch, serve). An
 * unauthorized policy answer gives the unauthorized error response, as
 * hsmca_ocsp_respond would; unlike there, a store or token failure is
 * returned as an error (a batch stops rather than publish internalError). */
hsmca_err hsmca_ocsp_respond_serial(hsmca_ocsp_responder *r, const char *issuer,
                                    const uint8_t *serial, size_t serial_len, const char *hash,
                                    hsmca_time now, uint8_t **resp, size_t *resp_len,
                                    hsmca_ocsp_outcome *outcome);

/* An unsigned error response with this status (not SUCCESSFUL). */
hsmca_err hsmca_ocsp_error_response(int status, uint8_t **resp, size_t *resp_len);

/* ---- the pieces, for tests ---- */

/* One CertID of a request. */
typedef struct hsmca_ocsp_certid {
    int hash_nid;              /* NID_sha1 or NID_sha256 */
    uint8_t name_hash[EVP_MAX_MD_SIZE];
    uint8_t key_hash[EVP_MAX_MD_SIZE];
    size_t hash_len;
    hsmca_store_serial serial; /* content octets as sent (len 0 if > 20 octets) */
} hsmca_ocsp_certid;

typedef struct hsmca_ocsp_request {
    hsmca_ocsp_certid *ids;
    size_t n_ids;
    int has_nonce;
    uint8_t nonce[HSMCA_OCSP_NONCE_MAX];
    size_t nonce_len;
    void *ossl;                /* the parsed OCSP_REQUEST (echoed CertIDs, nonce) */
} hsmca_ocsp_request;

/* Parse a request with the bounds above. HSMCA_E_INPUT with a message
 * saying what is wrong: all of these are malformedRequest. */
hsmca_err hsmca_ocsp_request_parse(const uint8_t *der, size_t len, hsmca_ocsp_request **out);
void hsmca_ocsp_request_free(hsmca_ocsp_request *req);

/* What one serial is answered (the table above). */
typedef struct hsmca_ocsp_answer {
    int cert_status;           /* V_OCSP_CERTSTATUS_GOOD / _REVOKED / _UNKNOWN, or -1:
                                  unauthorized (the whole response) */
    hsmca_time revoked_at;
    int reason;                /* CRLReason, -1 for none */
    int extended_revoke;       /* the RFC 6960 §2.2 form for a non-issued serial */
} hsmca_ocsp_answer;

void hsmca_ocsp_decide(const hsmca_store_status *st, int precert_policy, int unassigned_policy,
                       hsmca_ocsp_answer *out);

/* ---- one response from given answers, without a store (build.c) ---- */

/* One SingleResponse: the CertID answered (echoed as given; borrowed) and
 * the answer (cert_status GOOD, REVOKED or UNKNOWN; reason -1 for no
 * revocationReason; extended_revoke adds RFC 6960 §4.4.8's extension). */
typedef struct hsmca_ocsp_single {
    OCSP_CERTID *cid;
    hsmca_ocsp_answer answer;
} hsmca_ocsp_single;

typedef struct hsmca_ocsp_build_req {
    const hsmca_ocsp_signer *signer;  /* key, certificate, delegated */
    const hsmca_ocsp_single *singles; /* at least one */
    size_t n_singles;
    hsmca_time produced_at;           /* producedAt */
    hsmca_time this_update, next_update; /* of every SingleResponse */
    /* The nonce extension (RFC 9654), non-critical, holding these octets
     * as given: any length, 0 included (has_nonce 0: no nonce). */
    int has_nonce;
    const uint8_t *nonce;
    size_t nonce_len;
    /* A delegated response carries the responder's certificate in `certs`
     * (CONFORMANCE.md §12); 1 leaves it out (negative fixtures). */
    int omit_certs;
} hsmca_ocsp_build_req;

/* Build, sign (responder ID by key, RFC 9919) and encode one successful
 * response exactly as asked, checking the signature with the signer's
 * certificate. No policy is applied here: the validity window (BR 4.9.9),
 * the signer's validity and the nonce length are the caller's business.
 * The responder checks them before it builds through this function;
 * `hsmca fixtures` uses it directly to make responses that break them.
 * *resp freed with OPENSSL_free. HSMCA_E_USAGE for a missing signer or
 * answer, or a status other than good, revoked or unknown. */
hsmca_err hsmca_ocsp_build(const hsmca_ocsp_build_req *req, uint8_t **resp, size_t *resp_len);

#ifdef __cplusplus
}
#endif
#endif
