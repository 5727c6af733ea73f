/* hsmca — issuance: precertificate -> SCTs -> final certificate.
 *
 * The state machine of DESIGN.md "What it does" 2-4, for one issuing CA
 * registered in the store (hsmca issuer add):
 *
 *   precert: build the TBS from the profile with a fresh serial (16 CSPRNG
 *            bytes from the token, CONFORMANCE.md §1) and the poison, sign it
 *            with a throwaway key of the issuer's key type and lint it
 *            (BR 4.3.1.2); reserve the serial in the store (commit); let the
 *            token sign; check the TBS is the linted one and the signature
 *            verifies; record the precert (commit); return it.
 *   final:   load the stored precert, verify every SCT against the known log
 *            keys, build the final (poison replaced by the SCT list), prove
 *            it corresponds to the precert byte for byte, lint it, sign it,
 *            record it (commit; a second final is refused by the store).
 *
 * A refused request (lint, key, names) consumes no serial. A crash after the
 * reservation leaves the serial RESERVED (never reused, never answered
 * "good"); a crash after the precert is recorded leaves it assigned and
 * finishable later. HSMCA_FAULT=<point> makes the process exit at a point
 * for crash tests: after-reserve, after-precert-sign, after-precert-record,
 * after-final-sign.
 */
#ifndef HSMCA_CA_H
#define HSMCA_CA_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "hsmca/clock.h"
#include "hsmca/ct.h"
#include "hsmca/err.h"
#include "hsmca/hsm.h"
#include "hsmca/lint.h"
#include "hsmca/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hsmca_ca hsmca_ca;

/* ---- linted signing, shared with the ceremonies ---- */

/* BR 4.3.1.2, first half: sign `cert` with a throwaway software key of the
 * same type as signer_public and lint it (in->cert is set to cert). The TBS
 * DER that was linted goes to *tbs (OPENSSL_free). *result always receives
 * the findings when linting ran (free with hsmca_lint_result_free), so a
 * caller can record them; blocking findings make the call fail with
 * HSMCA_E_VERIFY listing them. */
hsmca_err hsmca_ca_presign_lint(X509 *cert, EVP_PKEY *signer_public, hsmca_lint_input *in,
                                uint8_t **tbs, size_t *tbs_len, hsmca_lint_result **result);

/* Second half: the token signs; the signature must verify with
 * signer_public and the signed TBS must be byte-identical to the linted one
 * (HSMCA_E_INTERNAL otherwise). */
hsmca_err hsmca_ca_token_sign(X509 *cert, EVP_PKEY *signer, EVP_PKEY *signer_public,
                              const uint8_t *tbs, size_t tbs_len);

/* Open an issuer from the store: its certificate, its token (logged in with
 * the PIN source the issuer names; pin may override it) and its key, which
 * must be the certificate's key. The hsm stays owned by the caller and must
 * outlive the ca. */
hsmca_err hsmca_ca_open(hsmca_store *st, hsmca_hsm *hsm, const char *issuer_name,
                        const hsmca_secret *pin, hsmca_ca **out);
void hsmca_ca_free(hsmca_ca *ca);
X509 *hsmca_ca_get0_cert(const hsmca_ca *ca);
const hsmca_store_issuer *hsmca_ca_get0_issuer(const hsmca_ca *ca);

typedef struct hsmca_ca_request {
    EVP_PKEY *subject_key;      /* from a CSR (signature checked) or a public key */
    const char *const *dns_names;
    size_t n_dns;
    const char *const *ip_addrs;
    size_t n_ips;
    const char *profile;        /* name or path; NULL: the issuer's default */
    const char *profiles_dir;   /* where names are found */
    const char *const *skip_lints; /* NULL-terminated or NULL: negative tests only */
} hsmca_ca_request;

/* Issue a precertificate. *out owned by the caller; serial in out_serial
 * (HSMCA_STORE_SERIAL_MAX bytes). */
hsmca_err hsmca_ca_issue_precert(hsmca_ca *ca, const hsmca_ca_request *req, X509 **out,
                                 uint8_t *out_serial, size_t *out_serial_len);

/* Issue the final certificate for a stored precertificate. Every SCT must
 * verify against one of logs (log id match, signature over this precert);
 * at least one SCT. The SCTs are embedded in the order given. */
hsmca_err hsmca_ca_issue_final(hsmca_ca *ca, const uint8_t *serial, size_t serial_len,
                               hsmca_sct *const *scts, size_t n_scts, const hsmca_ct_log *logs,
                               size_t n_logs, X509 **out);

/* Find the stored serial of a precertificate given as a certificate: it
 * must be this issuer's and byte-identical to the stored one (HSMCA_E_VERIFY
 * for a tampered copy, HSMCA_E_NOT_FOUND for an unknown one). */
hsmca_err hsmca_ca_find_precert(hsmca_ca *ca, X509 *precert, uint8_t *out_serial,
                                size_t *out_serial_len);

#ifdef __cplusplus
}
#endif
#endif
