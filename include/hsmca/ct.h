/* hsmca — Certificate Transparency (RFC 6962): poison, SCTs, SCT lists, the
 * data a log signs for a precertificate entry, a test-log signer, SCT
 * verification, and building the final certificate from a precertificate
 * with a byte-for-byte correspondence proof.
 *
 * src/ct is the only user of libcurl (the log client, a later issue) and,
 * with src/http, of jansson (DESIGN.md). SCT lists are carried in OpenSSL's
 * CT types (SCT_new, i2o_SCT_LIST) when embedded; the data a log signs is
 * built with the core byte builder, since OpenSSL does not expose it.
 */
#ifndef HSMCA_CT_H
#define HSMCA_CT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "hsmca/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- poison (RFC 6962 §3.1) ---- */

/* Append the precertificate poison extension (1.3.6.1.4.1.11129.2.4.3,
 * critical, value NULL: 3013060a2b06010401d6790204030101ff04020500) to an
 * unsigned certificate. HSMCA_E_INPUT if it already has a poison or an SCT
 * list. */
hsmca_err hsmca_ct_add_poison(X509 *cert);
/* Number of poison / SCT-list extensions in cert. */
int hsmca_ct_poison_count(const X509 *cert);
int hsmca_ct_sct_list_count(const X509 *cert);

/* ---- SCTs (RFC 6962 §3.2) ---- */

typedef struct hsmca_sct {
    uint8_t version;           /* 0 = v1 */
    uint8_t log_id[32];        /* SHA-256 of the log's SPKI DER */
    uint64_t timestamp;        /* ms since the epoch */
    uint8_t *extensions;       /* CtExtensions (may hold leaf_index, static-ct-api) */
    size_t extensions_len;
    uint8_t hash_alg;          /* 4 = sha256 */
    uint8_t sig_alg;           /* 3 = ecdsa, 1 = rsa */
    uint8_t *signature;        /* DER for ECDSA */
    size_t signature_len;
} hsmca_sct;

void hsmca_sct_free(hsmca_sct *sct);

/* One SignedCertificateTimestamp in TLS encoding, exact lengths, no
 * trailing bytes. HSMCA_E_INPUT names what is wrong. A version other than
 * v1 (0) is decoded with the v1 layout; hsmca_ct_sct_verify refuses it.
 * *out freed with hsmca_sct_free; encode's *out with free(). */
hsmca_err hsmca_ct_sct_decode(const uint8_t *tls, size_t len, hsmca_sct **out);
hsmca_err hsmca_ct_sct_encode(const hsmca_sct *sct, uint8_t **out, size_t *out_len);

/* An RFC 6962 §4.1 add-pre-chain / add-chain response:
 * {"sct_version":0,"id":"<b64>","timestamp":N,"extensions":"<b64>","signature":"<b64>"}
 * (signature = TLS DigitallySigned). All five members are required, with
 * their JSON types, canonical padded base64, a 32-byte id and nothing after
 * the DigitallySigned struct; unknown members are ignored. HSMCA_E_INPUT
 * names the member. */
hsmca_err hsmca_ct_sct_from_json(const char *json, size_t len, hsmca_sct **out);
/* The same JSON for an SCT (for the test log's HTTP answers, a later issue).
 * *out is a NUL-terminated string freed with free(). */
hsmca_err hsmca_ct_sct_to_json(const hsmca_sct *sct, char **out);

/* SignedCertificateTimestampList (RFC 6962 §3.3): uint16 total length, then
 * uint16-length-prefixed SCTs. Encoding needs n >= 1 (*out freed with
 * free()). Decoding refuses an empty list, bad lengths and trailing bytes;
 * the array is freed with hsmca_ct_sct_list_free. */
hsmca_err hsmca_ct_sct_list_encode(hsmca_sct *const *scts, size_t n, uint8_t **out,
                                   size_t *out_len);
hsmca_err hsmca_ct_sct_list_decode(const uint8_t *tls, size_t len, hsmca_sct ***out,
                                   size_t *out_n);
void hsmca_ct_sct_list_free(hsmca_sct **scts, size_t n);

/* The SCT list embedded in a final certificate (extension
 * 1.3.6.1.4.1.11129.2.4.2, whose extnValue is an OCTET STRING holding the
 * TLS list). HSMCA_E_NOT_FOUND when absent. */
hsmca_err hsmca_ct_sct_list_from_cert(const X509 *cert, hsmca_sct ***out, size_t *out_n);

/* ---- what a log signs for a precertificate entry ---- */

/* SHA-256 of the issuer's full SubjectPublicKeyInfo DER (RFC 6962 §3.2). */
hsmca_err hsmca_ct_issuer_key_hash(X509 *issuer, uint8_t out[32]);

/* The precertificate's TBSCertificate DER without the poison extension,
 * cut from the DER as signed (only the lengths above the poison change; a
 * precert whose only extension is the poison loses the extensions field).
 * HSMCA_E_INPUT unless it has exactly one poison and no SCT list. *out
 * freed with free(). */
hsmca_err hsmca_ct_precert_tbs(X509 *precert, uint8_t **out, size_t *out_len);

/* The digitally-signed struct of RFC 6962 §3.2 for a precert_entry:
 * version(0) || signature_type(0) || timestamp(8) || entry_type(1, 2 octets)
 * || issuer_key_hash(32) || uint24 TBS length || TBS || uint16 ext length || ext.
 * *out freed with free(). */
hsmca_err hsmca_ct_precert_signed_data(const uint8_t issuer_key_hash[32], const uint8_t *tbs,
                                       size_t tbs_len, uint64_t timestamp,
                                       const uint8_t *ext, size_t ext_len, uint8_t **out,
                                       size_t *out_len);

/* The same struct for an x509_entry (add-chain): entry_type 0 and the
 * certificate's DER as ASN.1Cert (uint24 length). */
hsmca_err hsmca_ct_x509_signed_data(const uint8_t *cert, size_t cert_len, uint64_t timestamp,
                                    const uint8_t *ext, size_t ext_len, uint8_t **out,
                                    size_t *out_len);

/* ---- logs: a test-log signer and SCT verification ---- */

/* log_id = SHA-256 of the key's SPKI DER. */
hsmca_err hsmca_ct_log_id(EVP_PKEY *log_key, uint8_t out[32]);

/* Sign an SCT for a precertificate entry with a test log's key (software
 * ECDSA P-256 is what the test logs use; RSA >= 2048 works too; other keys
 * are HSMCA_E_INPUT, RFC 6962 §2.1.4). timestamp in ms. No CtExtensions.
 * The chain is not checked (negative fixtures sign over a wrong issuer on
 * purpose). The signature is verified with the key before returning. */
hsmca_err hsmca_ct_sct_sign(EVP_PKEY *log_key, X509 *precert, X509 *issuer, uint64_t timestamp,
                            hsmca_sct **out);

/* Sign an SCT for an x509_entry (RFC 6962 §3.2; what add-chain returns)
 * over cert as given. Such SCTs may be delivered by TLS or OCSP but never
 * embedded (CONFORMANCE.md §11). */
hsmca_err hsmca_ct_sct_sign_x509(EVP_PKEY *log_key, X509 *cert, uint64_t timestamp,
                                 hsmca_sct **out);

/* Verify an SCT over a precertificate entry with a log's public key:
 * version v1, log_id matching the key, hash sha256, signature algorithm
 * matching the key type, a non-empty signature that verifies over the
 * signed data rebuilt from precert and issuer. HSMCA_E_VERIFY says which
 * check failed. The timestamp is not judged (a future SCT is a policy
 * question, not a cryptographic one). */
hsmca_err hsmca_ct_sct_verify(const hsmca_sct *sct, EVP_PKEY *log_key, X509 *precert,
                              X509 *issuer);

/* A set of known logs (public keys), e.g. the test logs' keys. */
typedef struct hsmca_ct_log {
    char *name;
    char *operator_name;       /* for the CT policies' operator diversity */
    EVP_PKEY *key;
    uint8_t log_id[32];
} hsmca_ct_log;

/* Load log public keys: each file is a PEM public key (ECDSA P-256 or RSA
 * >= 2048); the name is the file name without extension, the operator
 * "unknown" unless given in a companion file named FILE.operator (e.g.
 * log1.pem.operator, one line). Two files with the same key or the same
 * name are HSMCA_E_INPUT; a missing file HSMCA_E_NOT_FOUND. */
hsmca_err hsmca_ct_logs_load(const char *const *pem_files, size_t n, hsmca_ct_log **out,
                             size_t *out_n);
void hsmca_ct_logs_free(hsmca_ct_log *logs, size_t n);
/* The log with this id, or NULL. */
const hsmca_ct_log *hsmca_ct_log_find(const hsmca_ct_log *logs, size_t n,
                                      const uint8_t log_id[32]);

/* ---- RFC 6962 test logs (served by hsmca serve) ---- */

typedef struct hsmca_ct_testlog hsmca_ct_testlog;

/* How a test log misbehaves on purpose, for testing CA-side clients. */
typedef struct hsmca_ct_testlog_knobs {
    int reject;                /* answer every add-* call 400 */
    unsigned delay_ms;         /* wait this long before answering (<= 60000) */
    double fail_fraction;      /* this fraction of add-* calls gets 503, spread
                                  evenly and deterministically: with 0.5 every
                                  second call fails, starting with the second */
    int wrong_key;             /* sign SCTs with another key (they carry this
                                  log's id but do not verify) */
} hsmca_ct_testlog_knobs;

/* A test log named `name` (letters, digits, . - _: it is part of URLs)
 * run by `operator_name` (NULL: the name), signing with key (a software
 * ECDSA P-256 or RSA >= 2048 key; shared, not copied). roots: the accepted
 * roots (add-* chains must end at or under one; none: any chain). */
hsmca_err hsmca_ct_testlog_new(const char *name, const char *operator_name, EVP_PKEY *key,
                               X509 *const *roots, size_t n_roots, hsmca_ct_testlog **out);
void hsmca_ct_testlog_free(hsmca_ct_testlog *l);
const char *hsmca_ct_testlog_name(const hsmca_ct_testlog *l);
const char *hsmca_ct_testlog_operator(const hsmca_ct_testlog *l);
EVP_PKEY *hsmca_ct_testlog_key(const hsmca_ct_testlog *l);
const uint8_t *hsmca_ct_testlog_id(const hsmca_ct_testlog *l);
/* HSMCA_E_INPUT for a fraction outside [0, 1] or a delay over 60 s. */
hsmca_err hsmca_ct_testlog_knobs_check(const hsmca_ct_testlog_knobs *k);
/* Thread-safe; setting resets the failure counter. */
hsmca_err hsmca_ct_testlog_set_knobs(hsmca_ct_testlog *l, const hsmca_ct_testlog_knobs *k);
void hsmca_ct_testlog_get_knobs(hsmca_ct_testlog *l, hsmca_ct_testlog_knobs *out);

/* Answer one RFC 6962 §4 call ("add-pre-chain", "add-chain", "get-roots")
 * with its JSON body: *http_status and *out (a JSON document, free()) say
 * what to send: 200 with the SCT (§4.1) or the roots (§4.7); 400 for a
 * bad body or chain (an "error_message" member says why), 404 for an
 * unknown call, 405 for the wrong method, 400/503 when a knob says so.
 * The delay knob sleeps in the calling thread. Returns an error only when
 * no answer can be made (out of memory). Thread-safe. */
hsmca_err hsmca_ct_testlog_handle(hsmca_ct_testlog *l, const char *call, int is_post,
                                  const uint8_t *body, size_t len, uint64_t now_ms,
                                  int *http_status, char **out);

/* ---- the RFC 6962 log client ---- */

typedef struct hsmca_ct_submit_opts {
    long timeout_ms;           /* per attempt (connect and answer); 0: 10 s */
    int attempts;              /* tries in all; 0: 1 */
    long backoff_ms;           /* wait before the 2nd try, doubled each time (max 8 s) */
} hsmca_ct_submit_opts;

/* Submit a chain to the log at url (its base URL, e.g.
 * http://127.0.0.1:8080/ct/log1; "/ct/v1/add-pre-chain" is appended):
 * add-pre-chain when precert (chain[0] the precertificate, chain[1] its
 * issuer, ...), else add-chain. Retries transport failures, 5xx and 429
 * with backoff; other answers are final. HSMCA_E_IO names the log, the
 * number of attempts and what the last one got (the HTTP status and the
 * log's error_message, or the transport error); a 200 whose body is not an
 * SCT is HSMCA_E_INPUT. The SCT is not verified here (the caller knows the
 * log keys). NULL opts: 10 s, 3 attempts, 250 ms backoff. */
hsmca_err hsmca_ct_submit(const char *url, X509 *const *chain, size_t n, int precert,
                          const hsmca_ct_submit_opts *opts, hsmca_sct **out);

/* ---- the final certificate ---- */

/* Build the unsigned final certificate from a precertificate: the same TBS
 * (version, serial, signature AlgorithmIdentifier, issuer, validity,
 * subject, SPKI, every extension in order) with the poison extension
 * replaced, in the same position, by the non-critical SCT list extension
 * holding `scts` (encoded with OpenSSL's CT types). n >= 1, v1 SCTs only.
 * The precert must be signed (it is copied with X509_dup); the copy still
 * holds the precert's signature value until the caller signs it. */
hsmca_err hsmca_ct_final_from_precert(X509 *precert, hsmca_sct *const *scts, size_t n,
                                      X509 **out);

/* Prove that final corresponds to precert (BR 7.1.2.9; RFC 6962 §3.2; a port
 * of Boulder's precert.Correspond): the precert has exactly one poison and
 * no SCT list, the final no poison and at most one SCT list (it may have
 * none, unlike Boulder), and the TBS fields (version, serial, signature
 * algorithm, issuer, validity, subject, SPKI, unique IDs) and every other
 * extension are byte-identical and in the same order, compared on the DER
 * as signed (the final may also be the unsigned result of
 * hsmca_ct_final_from_precert). HSMCA_E_VERIFY names the first difference
 * ("extension 3 differs: ..." counts the precert's extensions from 1);
 * HSMCA_E_INPUT when either is not DER. */
hsmca_err hsmca_ct_correspond(X509 *precert, X509 *final);

/* ---- the legacy Precertificate Signing Certificate (psc.c) ---- */

/* RFC 6962 §3.1-§3.2, BR 7.1.2.4: forbidden from 2026-03-15 (ballot SC-092,
 * CONFORMANCE.md §8); for negative and legacy fixtures only. A PSC-issued
 * precertificate names the PSC as issuer (name and authorityKeyIdentifier);
 * its entry, and its final certificate, carry the name and keyIdentifier
 * of the PSC's issuer, which issues the final, and issuer_key_hash is that
 * CA's. These TBS bytes are OpenSSL's encoding of the changed fields, which
 * is how the final (and OpenSSL's SCT validation of it) encodes them too. */

/* Set an unsigned certificate's issuer name to issuer's subject and, if it
 * has an authorityKeyIdentifier, its keyIdentifier to issuer's
 * subjectKeyIdentifier (in place; HSMCA_E_INPUT if issuer has none). Used
 * to turn a final issuer's TBS into a PSC precertificate's and back. */
hsmca_err hsmca_ct_set_issuer(X509 *cert, X509 *issuer);

/* The TBS a log signs for a PSC-issued precert: without the poison, with
 * final_issuer's name and keyIdentifier. HSMCA_E_INPUT unless it has
 * exactly one poison and no SCT list. *out freed with free(). */
hsmca_err hsmca_ct_precert_tbs_psc(X509 *precert, X509 *final_issuer, uint8_t **out,
                                   size_t *out_len);

/* hsmca_ct_sct_sign for a PSC-issued precert: over the TBS above and
 * final_issuer's key hash. */
hsmca_err hsmca_ct_sct_sign_psc(EVP_PKEY *log_key, X509 *precert, X509 *final_issuer,
                                uint64_t timestamp, hsmca_sct **out);

/* hsmca_ct_final_from_precert for a PSC-issued precert: the same, then
 * issuer name and keyIdentifier set to final_issuer's (unsigned; sign it
 * with final_issuer's key). hsmca_ct_correspond does not apply (the issuer
 * differs on purpose); OpenSSL's SCT validation of the final against
 * final_issuer does. */
hsmca_err hsmca_ct_final_from_psc_precert(X509 *precert, X509 *final_issuer,
                                          hsmca_sct *const *scts, size_t n, X509 **out);

/* ---- OpenSSL's CT validation, as an independent oracle ---- */

/* Validate the SCTs embedded in a final certificate with OpenSSL's own code
 * (SCT_LIST_validate with a CTLOG_STORE of logs, at time now): OpenSSL
 * rebuilds the precertificate entry from the final by itself. *valid counts
 * the SCTs OpenSSL accepts, *total those embedded. */
hsmca_err hsmca_ct_openssl_validate(X509 *final, X509 *issuer, const hsmca_ct_log *logs,
                                    size_t n_logs, uint64_t now_ms, size_t *valid,
                                    size_t *total);

#ifdef __cplusplus
}
#endif
#endif
