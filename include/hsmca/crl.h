/* hsmca — certificate revocation lists (RFC 5280 §5, BR 7.2).
 *
 * Builds a full (non-partitioned) v2 CRL: issuer byte-identical to the CA's
 * subject, thisUpdate/nextUpdate (UTCTime through 2049), AKI keyIdentifier
 * (BR 7.2.2: MUST), CRLNumber (MUST, non-critical), no issuingDistributionPoint
 * (NOT RECOMMENDED on full CRLs), and no revokedCertificates field at all when
 * nothing is revoked (RFC 5280 §5.1.2.6). Entries carry a non-critical
 * reasonCode only for the reasons BR 7.2.2 allows; "unspecified" is encoded
 * by omitting it, and CA-certificate entries must have one.
 *
 * The ceremony's `crl` step uses it for the root's CRL; hsmca_crl_issue
 * builds an issuing CA's CRL from the store (issue #5).
 */
#ifndef HSMCA_CRL_H
#define HSMCA_CRL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "hsmca/clock.h"
#include "hsmca/err.h"
#include "hsmca/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* CRLReason values (RFC 5280 §5.3.1). HSMCA_CRL_REASON_NONE = no reasonCode
 * extension ("unspecified", BR 7.2.2: never encode 0). */
#define HSMCA_CRL_REASON_NONE (-1)

/* "keyCompromise" -> 1 etc. for the reasons BR 7.2.2 allows (1, 3, 4, 5, 9;
 * "unspecified" -> HSMCA_CRL_REASON_NONE). HSMCA_E_INPUT for certificateHold
 * (6, forbidden) and anything else, naming the allowed values. */
hsmca_err hsmca_crl_reason_parse(const char *name, int *out);
const char *hsmca_crl_reason_name(int reason);

typedef struct hsmca_crl_entry {
    const uint8_t *serial;     /* big-endian, as in the certificate */
    size_t serial_len;
    hsmca_time revoked_at;
    int reason;                /* RFC 5280 code, or HSMCA_CRL_REASON_NONE */
    int is_ca;                 /* a CA certificate: reason required (BR 7.2.2) */
} hsmca_crl_entry;

typedef struct hsmca_crl_request {
    X509 *issuer;              /* the CA certificate; must have an SKI */
    hsmca_time this_update;
    hsmca_time next_update;    /* > this_update */
    uint64_t number;           /* CRLNumber; > 0 */
    const hsmca_crl_entry *entries;
    size_t n_entries;
} hsmca_crl_request;

/* Build the unsigned CRL. HSMCA_E_INPUT for a bad request (no SKI on the
 * issuer, nextUpdate not after thisUpdate, forbidden reason, CA entry
 * without reason, duplicate serial). */
hsmca_err hsmca_crl_build(const hsmca_crl_request *req, X509_CRL **out);

/* Sign with the digest BR 7.1.3.2 requires for the key, then verify the
 * signature with verify_key (HSMCA_E_VERIFY if it does not verify). */
hsmca_err hsmca_crl_sign(X509_CRL *crl, EVP_PKEY *key, EVP_PKEY *verify_key);

hsmca_err hsmca_crl_to_der(X509_CRL *crl, uint8_t **out, size_t *out_len);

/* BR 4.9.7 / CONFORMANCE.md §13: nextUpdate - thisUpdate of a subscriber
 * CRL at most 10 days. The default is 7 days. */
#define HSMCA_CRL_VALIDITY_MAX (10 * 86400)
#define HSMCA_CRL_VALIDITY_DEFAULT (7 * 86400)

/* The full CRL of a store issuer, now: take the next CRL number (store),
 * list every revoked serial of the issuer, precert-only ones included
 * (MRSP 5.4), sign with key (the issuer's token key; verified against
 * issuer_cert), and record the signed CRL in the store, which serve then
 * publishes. validity 0: the default; HSMCA_E_USAGE above the BR maximum.
 * nextUpdate is not set past the issuer certificate's notAfter (MRSP 6).
 * *der (OPENSSL_free) and *number receive the CRL. A failure after the
 * number was taken leaves a gap in the numbers, never a repeat. */
hsmca_err hsmca_crl_issue(hsmca_store *st, const hsmca_store_issuer *issuer, X509 *issuer_cert,
                          EVP_PKEY *key, hsmca_time now, hsmca_time validity, uint8_t **der,
                          size_t *der_len, uint64_t *number);
hsmca_err hsmca_crl_to_pem(X509_CRL *crl, char **out, size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
