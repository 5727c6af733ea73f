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
/* Open several issuers (names[0..n-1]) at once into out[0..n-1]. Issuers
 * whose keys are in one token share that token: it is opened and logged
 * in once (a process may open a token only once, src/hsm), with the PIN
 * source of the first of them (or pin). On failure none stays open. Free
 * each with hsmca_ca_free, in any order. */
hsmca_err hsmca_ca_open_many(hsmca_store *st, hsmca_hsm *hsm, const char *const *names,
                             size_t n, const hsmca_secret *pin, hsmca_ca **out);
void hsmca_ca_free(hsmca_ca *ca);
X509 *hsmca_ca_get0_cert(const hsmca_ca *ca);
const hsmca_store_issuer *hsmca_ca_get0_issuer(const hsmca_ca *ca);
/* The issuing key and its token (borrowed; valid until hsmca_ca_free), for
 * callers that sign or draw randomness next to issuance, e.g. the
 * benchmark measuring the key's raw signing rate. */
hsmca_key *hsmca_ca_get0_key(const hsmca_ca *ca);
hsmca_token *hsmca_ca_get0_token(const hsmca_ca *ca);

/* Who signs this issuer's OCSP responses: its delegated responder (key
 * found in the issuer's token by the registered label, checked against the
 * registered certificate; *delegated = 1) or the issuing key itself.
 * Borrowed, valid until hsmca_ca_free. */
hsmca_err hsmca_ca_ocsp_signer(hsmca_ca *ca, EVP_PKEY **key, X509 **cert, int *delegated);

/* Revoke a serial of an issuer (no token needed: revocation is a store
 * change; OCSP and CRLs signed afterwards show it). reason: a BR 7.2.2 name
 * (hsmca_crl_reason_parse; NULL = unspecified, certificateHold refused).
 * Errors as hsmca_store_revoke. */
hsmca_err hsmca_ca_revoke(hsmca_store *st, const char *issuer_name, const uint8_t *serial,
                          size_t serial_len, const char *reason, hsmca_time revoked_at,
                          hsmca_time now);

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
 * at least one SCT. The SCTs are embedded in the order given. skip_lints
 * (NULL-terminated or NULL) should repeat what the precertificate was
 * issued with: the final carries the same names and key. */
hsmca_err hsmca_ca_issue_final(hsmca_ca *ca, const uint8_t *serial, size_t serial_len,
                               hsmca_sct *const *scts, size_t n_scts, const hsmca_ct_log *logs,
                               size_t n_logs, const char *const *skip_lints, X509 **out);

/* ---- SCTs from logs over HTTP (issue #6) ---- */

/* How many SCTs a final needs (CONFORMANCE.md §11, the Chrome and Apple CT
 * policies): 0 means the default, 2 SCTs for a validity of at most 180
 * days and 3 above, from at least 2 log operators, each from a distinct
 * log. */
typedef struct hsmca_ca_ct_policy {
    size_t min_scts;
    size_t min_operators;
} hsmca_ca_ct_policy;

/* Check log URLs (http:// or https://) and a policy before anything is
 * issued, so that a request that cannot succeed uses no serial:
 * HSMCA_E_USAGE for a bad URL, more operators asked than SCTs, or fewer
 * logs than the SCTs or operators the policy needs (2 at the least when
 * the policy is the default). */
hsmca_err hsmca_ca_ct_check(const char *const *urls, size_t n_urls,
                            const hsmca_ca_ct_policy *policy);

/* Submit a precertificate (chain: it and this issuer's certificate) to the
 * logs at urls, in order, until the policy is met. Every SCT must verify
 * against the known log keys (its log id picks the key, whose operator
 * counts for diversity); a log that fails, refuses, answers with an SCT
 * that does not verify, from an unknown log, or from a log already used,
 * is skipped and named. Not enough SCTs: HSMCA_E_STATE listing what each
 * log did (the precertificate stays assigned; finish it later with
 * hsmca_ca_issue_final). *out: an array of *out_n SCTs in the order got,
 * freed with hsmca_ct_sct_list_free. */
hsmca_err hsmca_ca_collect_scts(hsmca_ca *ca, X509 *precert, const char *const *urls,
                                size_t n_urls, const hsmca_ct_log *logs, size_t n_logs,
                                const hsmca_ca_ct_policy *policy,
                                const hsmca_ct_submit_opts *opts, hsmca_sct ***out,
                                size_t *out_n);

/* ---- batches ----
 *
 * Many requests, few durable commits: a batch reserves the serials of all
 * its requests in one transaction, lets the token sign them one by one, and
 * records all the signed certificates in one more. The rules of the
 * one-request calls above hold for every request of a batch (they are
 * these calls with n = 1):
 *   - each request is built and linted (throwaway-key signature first) on
 *     its own; one that is refused (bad request, blocking lint finding, for
 *     finals also an unknown serial, a final already issued, an SCT that
 *     does not verify, the same serial twice in the batch) gets its error in
 *     its result, consumes no serial, and does not stop the others;
 *   - serials are reserved (committed) before the token signs anything;
 *   - nothing is reported issued before the commit that records it: a
 *     result holds a certificate only after that commit;
 *   - a request that fails after its serial was reserved (the token fails,
 *     its signature does not verify) leaves that serial RESERVED, never
 *     reused and never answered "good", as a crash would;
 *   - a precertificate gets at most one final (the store refuses a second,
 *     also within one batch).
 * The return value is HSMCA_OK when the batch ran to its end, whatever each
 * request came to (see out[i].err); an error when the batch failed as a
 * whole (the store could not commit): then no result holds a certificate
 * and each pending request's result carries that error. */

/* What one request of a batch came to. Zero it before the call; free what
 * it holds with hsmca_ca_results_clear. */
typedef struct hsmca_ca_result {
    hsmca_err err;             /* HSMCA_OK: issued and recorded (cert set) */
    char *message;             /* why not (hsmca_err_message() then), or NULL */
    char *detail;              /* the library detail under it, or NULL */
    X509 *cert;                /* the certificate, owned by the caller */
    /* The serial: the precertificate's (or the final's). serial_len is 0
     * for a precertificate request refused before its serial was reserved. */
    uint8_t serial[HSMCA_STORE_SERIAL_MAX];
    size_t serial_len;
} hsmca_ca_result;

/* Free the certificates and messages of n results and zero them. */
void hsmca_ca_results_clear(hsmca_ca_result *r, size_t n);

/* Issue n precertificates (one result per request, in order). */
hsmca_err hsmca_ca_issue_precerts(hsmca_ca *ca, const hsmca_ca_request *reqs, size_t n,
                                  hsmca_ca_result *out);

typedef struct hsmca_ca_final_request {
    const uint8_t *serial;     /* the precertificate's serial */
    size_t serial_len;
    /* Optional: the precertificate as it was issued, which saves parsing
     * the stored copy (a noticeable cost with OpenSSL 3.0). It must be
     * byte-identical to the stored one (HSMCA_E_VERIFY otherwise); the
     * stored one is what counts. NULL: the stored copy is used. */
    X509 *precert;
    hsmca_sct *const *scts;    /* at least one, embedded in this order */
    size_t n_scts;
    const char *const *skip_lints; /* as for the precertificate; NULL: none */
} hsmca_ca_final_request;

/* Issue n final certificates, each as hsmca_ca_issue_final would, every SCT
 * checked against logs. */
hsmca_err hsmca_ca_issue_finals(hsmca_ca *ca, const hsmca_ca_final_request *reqs, size_t n,
                                const hsmca_ct_log *logs, size_t n_logs, hsmca_ca_result *out);

/* Find the stored serial of a precertificate given as a certificate: it
 * must be this issuer's and byte-identical to the stored one (HSMCA_E_VERIFY
 * for a tampered copy, HSMCA_E_NOT_FOUND for an unknown one). */
hsmca_err hsmca_ca_find_precert(hsmca_ca *ca, X509 *precert, uint8_t *out_serial,
                                size_t *out_serial_len);

#ifdef __cplusplus
}
#endif
#endif
