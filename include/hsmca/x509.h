/* hsmca — building certificates from a profile.
 *
 * src/x509 turns a profile (include/hsmca/profile.h), a subject, a public key,
 * an issuer and a serial into an unsigned OpenSSL X509 whose TBS is final:
 * version, serial, issuer (byte-identical to the issuer certificate's subject,
 * BR 7.1.4.1), validity (UTCTime through 2049, GeneralizedTime from 2050,
 * RFC 5280 §4.1.2.5), subject (BR 7.1.4.2 order, C as PrintableString, the
 * rest UTF8String, one AVA per RDN), SPKI, and the profile's extensions in the
 * profile's order. The signature AlgorithmIdentifier follows the signing key
 * (BR 7.1.3.2): RSA → sha256WithRSAEncryption with NULL parameters, P-256 →
 * ecdsa-with-SHA256, P-384 → ecdsa-with-SHA384, both without parameters.
 *
 * Signing is separate (hsmca_x509_sign), so the same TBS can be signed first
 * by a throwaway key for linting and then by the token, and the two TBS
 * encodings compared (hsmca_x509_tbs_der).
 */
#ifndef HSMCA_X509_H
#define HSMCA_X509_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "hsmca/clock.h"
#include "hsmca/err.h"
#include "hsmca/profile.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Subject attribute values, indexed by hsmca_profile_attr; NULL = absent.
 * Written in BR 7.1.4.2 order whatever the caller's order. */
typedef struct hsmca_x509_subject {
    const char *attr[HSMCA_PROFILE_ATTR__COUNT];
} hsmca_x509_subject;

/* Parse "C=XX, O=Example, CN=Example Root" (or "/C=XX/O=.../CN=...") into a
 * subject. Attribute names as in profiles (C, ST, L, postalCode, street, O,
 * OU, CN). Values point into *buf, which the caller frees with free().
 * HSMCA_E_INPUT names an unknown attribute, a repeated one, or an empty
 * value. */
hsmca_err hsmca_x509_subject_parse(const char *text, hsmca_x509_subject *out, char **buf);

/* Largest serial we write: 20 octets (RFC 5280 §4.1.2.2). */
#define HSMCA_X509_SERIAL_MAX 20

typedef struct hsmca_x509_request {
    const hsmca_profile *profile;
    const hsmca_x509_subject *subject;
    EVP_PKEY *subject_key;     /* the public key being certified */
    /* The issuing CA's certificate, or NULL for a self-signed root (issuer =
     * subject, AKI = own SKI). */
    X509 *issuer;
    /* The key that will sign: its type picks the signature algorithm. For a
     * root it is subject_key. Only its public part is used. */
    EVP_PKEY *signer_public;
    /* Serial: big-endian, positive, minimal (no leading 0x00 unless the next
     * octet has its top bit set), 1..20 octets. See hsmca_x509_serial_from_random. */
    const uint8_t *serial;
    size_t serial_len;
    /* Signing time: notBefore = now - profile->backdate_seconds, notAfter =
     * notBefore + profile->validity_seconds. */
    hsmca_time now;
    /* Substitutions for {base_url} and {issuer} in profile URLs. base_url
     * without a trailing slash, e.g. "http://127.0.0.1:8080". A URL that
     * uses a placeholder whose value is NULL is an error. */
    const char *base_url;
    const char *issuer_id;
    /* Subject alternative names (leaf profiles with subject_alt_name). */
    const char *const *dns_names;
    size_t n_dns;
    const char *const *ip_addrs; /* textual IPv4/IPv6 */
    size_t n_ips;
} hsmca_x509_request;

/* Build the unsigned certificate. Checks what the profile says about the
 * request (key type allowed, required/allowed subject attributes, subject
 * alternative names given when the profile has subject_alt_name, issuer has
 * an SKI when the profile asks for an AKI) and fails with HSMCA_E_INPUT and a
 * message naming the profile and the problem. *out owned by the caller. */
hsmca_err hsmca_x509_build(const hsmca_x509_request *req, X509 **out);

/* Sign cert with key (a token key from src/hsm or a software key), with the
 * digest BR 7.1.3.2 requires for the key type, then verify the signature with
 * verify_key (the issuer's public key; may equal key for software keys).
 * A signature that does not verify is HSMCA_E_VERIFY (CONFORMANCE.md §2: verify
 * each HSM signature). */
hsmca_err hsmca_x509_sign(X509 *cert, EVP_PKEY *key, EVP_PKEY *verify_key);

/* The DER of the TBSCertificate as it is now (re-encoded). *out freed with
 * OPENSSL_free. */
hsmca_err hsmca_x509_tbs_der(X509 *cert, uint8_t **out, size_t *out_len);

/* Sign cert with a throwaway software key for linting (BR 4.3.1.2): the
 * same algorithm and algorithm-identifier checks as hsmca_x509_sign, but the
 * signature is not verified. It is made in software by a key nobody trusts,
 * and the certificate it signs is only linted, never published; verification
 * is for token signatures (CONFORMANCE.md §2), which hsmca_x509_sign checks. */
hsmca_err hsmca_x509_sign_throwaway(X509 *cert, EVP_PKEY *throwaway);

/* A throwaway software key of the same type as `like` (same RSA size or
 * curve), for pre-signing a TBS before the token signs it (BR 4.3.1.2).
 * One key per type and size is generated on first use and shared by the
 * whole process (thread-safe): *out is a new reference to it, freed with
 * EVP_PKEY_free as usual. Never the key of `like`. */
hsmca_err hsmca_x509_throwaway_key(EVP_PKEY *like, EVP_PKEY **out);

/* Turn n >= 9 random bytes into a serial per CONFORMANCE.md §1: at most
 * HSMCA_X509_SERIAL_MAX octets, top bit cleared (positive without a 0x00
 * pad), leading zero octets stripped (minimal), never zero. Writes to out
 * (HSMCA_X509_SERIAL_MAX bytes), *out_len = octets. HSMCA_E_INPUT if the
 * random bytes are all zero. */
hsmca_err hsmca_x509_serial_from_random(const uint8_t *rnd, size_t n, uint8_t *out,
                                        size_t *out_len);

/* Subject key identifier (RFC 5280 §4.2.1.2 method 1): SHA-1 of the
 * subjectPublicKey BIT STRING contents. out must hold 20 bytes. */
hsmca_err hsmca_x509_key_id(EVP_PKEY *key, uint8_t out[20]);

/* The digest BR 7.1.3.2 pairs with a signing key: SHA-256 for RSA and P-256,
 * SHA-384 for P-384. HSMCA_E_INPUT for other keys. Used for certificates,
 * CRLs and OCSP responses alike. */
hsmca_err hsmca_x509_sign_digest(EVP_PKEY *key, const EVP_MD **out);

/* A public key (SubjectPublicKeyInfo) as PEM, and back from PEM or DER. */
hsmca_err hsmca_x509_pubkey_to_pem(EVP_PKEY *key, char **out, size_t *out_len);
hsmca_err hsmca_x509_pubkey_from_bytes(const uint8_t *data, size_t len, EVP_PKEY **out);

/* The public key of a PKCS#10 request (PEM or DER) whose self-signature
 * verifies (RFC 2986 §3); HSMCA_E_VERIFY when it does not. */
hsmca_err hsmca_x509_csr_key_from_bytes(const uint8_t *data, size_t len, EVP_PKEY **out);

/* PEM and DER of a certificate into a fresh buffer (freed with OPENSSL_free). */
hsmca_err hsmca_x509_to_pem(X509 *cert, char **out, size_t *out_len);
hsmca_err hsmca_x509_to_der(X509 *cert, uint8_t **out, size_t *out_len);
/* Read a certificate from PEM or DER bytes. */
hsmca_err hsmca_x509_from_bytes(const uint8_t *data, size_t len, X509 **out);

#ifdef __cplusplus
}
#endif
#endif
