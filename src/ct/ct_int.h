/* hsmca — private helpers of src/ct: a small strict DER walker for the
 * certificate structure (the precert TBS without poison and the
 * correspondence check both work on the bytes as signed), base64, and
 * shared constants. */
#ifndef HSMCA_CT_INT_H
#define HSMCA_CT_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "hsmca/bytes.h"
#include "hsmca/ct.h"
#include "hsmca/err.h"

/* RFC 6962 §3.1: 1.3.6.1.4.1.11129.2.4.3 (poison) and §3.3:
 * 1.3.6.1.4.1.11129.2.4.2 (embedded SCT list), as OID contents octets. */
extern const uint8_t hsmca_ct_oid_poison[10];
extern const uint8_t hsmca_ct_oid_sct_list[10];

/* RFC 5246 §7.4.1.4.1 (used by RFC 6962 §2.1.4 DigitallySigned). */
#define CT_HASH_SHA256 4
#define CT_SIG_RSA 1
#define CT_SIG_ECDSA 3

/* RFC 6962 §3.2 */
#define CT_SCT_V1 0
#define CT_SIGTYPE_CERTIFICATE_TIMESTAMP 0
#define CT_ENTRY_X509 0
#define CT_ENTRY_PRECERT 1

/* One DER element: tag, the whole TLV (der, der_len) and its contents. */
typedef struct ct_tlv {
    uint8_t tag;
    const uint8_t *der;
    size_t der_len;
    const uint8_t *val;
    size_t len;
} ct_tlv;

/* Read the next element of r (X.690 §10.1 DER: low tag numbers, definite
 * minimal lengths, at most 4 length octets, bounded by r). `what` names the
 * structure in the HSMCA_E_INPUT message. */
hsmca_err ct_der_next(hsmca_reader *r, ct_tlv *out, const char *what);
/* ct_der_next that also requires the tag. */
hsmca_err ct_der_expect(hsmca_reader *r, uint8_t tag, ct_tlv *out, const char *what);

/* A TBSCertificate split into its fields (RFC 5280 §4.1). The pointers go
 * into the buffer that was split. */
#define CT_TBS_FIXED 7 /* version .. subjectPublicKeyInfo */
typedef struct ct_tbs {
    ct_tlv tbs;                 /* the whole TBSCertificate element */
    ct_tlv field[CT_TBS_FIXED]; /* version [0], serial, signature, issuer,
                                 * validity, subject, SPKI */
    int has_issuer_uid, has_subject_uid, has_exts;
    ct_tlv issuer_uid, subject_uid; /* [1], [2] IMPLICIT */
    ct_tlv exts;                /* the SEQUENCE inside [3] EXPLICIT */
} ct_tbs;

extern const char *const ct_tbs_field_names[CT_TBS_FIXED];

/* One Extension (RFC 5280 §4.1): its whole TLV and its OID contents. */
typedef struct ct_ext {
    ct_tlv tlv;
    const uint8_t *oid;
    size_t oid_len;
    int critical;
} ct_ext;

/* Split a DER Certificate (SEQUENCE { tbs, sigAlg, sig }, nothing after)
 * down to its TBSCertificate, strictly. `what` names the certificate
 * ("the precert") in messages. */
hsmca_err ct_tbs_split_cert(const uint8_t *der, size_t len, const char *what, ct_tbs *out);

/* Read the next Extension of an extensions reader. */
hsmca_err ct_ext_next(hsmca_reader *r, ct_ext *out, const char *what);

/* 1 when the extension's OID is `oid` (10 octets). */
int ct_ext_is(const ct_ext *e, const uint8_t oid[10]);

/* "2.5.29.17 (subjectAltName)" for an OID's contents octets, into buf. */
const char *ct_oid_describe(const uint8_t *oid, size_t oid_len, char *buf, size_t len);

/* The certificate's DER as it is now (i2d_X509: the bytes as signed for a
 * parsed, unmodified certificate; a fresh encoding once it was changed).
 * Freed with OPENSSL_free. An unsigned certificate that OpenSSL cannot
 * encode whole is encoded from its TBS (i2d_re_X509_tbs) inside a dummy
 * Certificate shell, so the walker sees the same structure. */
hsmca_err ct_cert_der(X509 *cert, const char *what, uint8_t **out, size_t *out_len);

/* Append a DER length (X.690 §8.1.3, minimal). */
hsmca_err ct_der_put_len(hsmca_bytes *b, size_t len);

/* {"<member>": ["<base64 DER>", ...]} for n certificates: the chain of an
 * RFC 6962 add-* request (§4.1) or the answer of get-roots (§4.7). *out
 * NUL-terminated, free(). */
hsmca_err ct_certs_json(const char *member, X509 *const *v, size_t n, char **out);

/* base64 lives in core (hsmca/bytes.h); the old names stay for src/ct. */
#define ct_b64_decode hsmca_base64_decode
#define ct_b64_encode hsmca_base64_encode

/* Decode a TLS DigitallySigned struct (RFC 5246 §4.7 as used by RFC 6962
 * §3.2) from r into sct's hash_alg, sig_alg, signature (malloc'd). The
 * caller checks that nothing follows. */
hsmca_err ct_digitally_signed_decode(hsmca_reader *r, hsmca_sct *sct);
/* Append it. */
hsmca_err ct_digitally_signed_encode(hsmca_bytes *b, const hsmca_sct *sct);

/* A copy of n bytes (malloc; NULL allowed when n == 0 gives a NULL copy). */
hsmca_err ct_memdup(const uint8_t *p, size_t n, uint8_t **out);

/* Count the poison / SCT-list extensions of a TBS by OID on the DER. */
hsmca_err ct_tbs_count(const ct_tbs *t, const char *what, size_t *poison, size_t *sct_list);

#endif
