/* hsmca — lint internals shared by the engine (lint.c), the DER reader
 * (der.c) and the rule files (rules_*.c).
 *
 * The rule table lives in rules.def: one LINT_RULE(...) line per rule, with
 * its id, level, source, summary, the kinds it applies to and the name of its
 * check function. lint.c expands it twice (the public catalogue and the check
 * functions, in the same order); this header expands it once more for the
 * prototypes. Adding a rule = one line in rules.def + one check function in a
 * rules_*.c file.
 */
#ifndef HSMCA_LINT_INT_H
#define HSMCA_LINT_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "hsmca/lint.h"

/* ---- kinds: bit (1u << hsmca_profile_kind) ---- */

#define LINT_KIND(k) (1u << (unsigned)(k))
#define LINT_K_ROOT LINT_KIND(HSMCA_PROFILE_ROOT)
#define LINT_K_SUB LINT_KIND(HSMCA_PROFILE_SUBORDINATE)
#define LINT_K_OCSP LINT_KIND(HSMCA_PROFILE_OCSP_RESPONDER)
#define LINT_K_LEAF LINT_KIND(HSMCA_PROFILE_TLS_SERVER)
#define LINT_K_PSC LINT_KIND(HSMCA_PROFILE_PRECERT_SIGNER)
/* CA certificates: cA TRUE. */
#define LINT_K_CA (LINT_K_ROOT | LINT_K_SUB | LINT_K_PSC)
/* Non-root CA certificates (BR 7.1.2.10 "CA certificate" rules). */
#define LINT_K_SUBCA (LINT_K_SUB | LINT_K_PSC)
/* Everything a CA ceremony signs (BR 7.1.2.10.1 / 7.1.2.8.1 validity). */
#define LINT_K_CEREMONY (LINT_K_CA | LINT_K_OCSP)
#define LINT_K_NOT_ROOT (LINT_K_SUB | LINT_K_OCSP | LINT_K_PSC | LINT_K_LEAF)
/* CONFORMANCE.md §0-§4: every certificate. */
#define LINT_K_ALL (LINT_K_CEREMONY | LINT_K_LEAF)

/* ---- bounded DER reader (der.c) ---- */

/* One element. Only low-tag-number identifiers (< 31) are read: X.509 uses
 * no others. */
typedef struct lint_tlv {
    unsigned tag;          /* the identifier octet, e.g. 0x30, 0xa3 */
    const uint8_t *der;    /* the whole element (identifier, length, contents) */
    size_t der_len;
    const uint8_t *val;    /* the contents */
    size_t len;
} lint_tlv;

typedef struct lint_der {
    const uint8_t *p;
    size_t len;
    size_t off;
} lint_der;

void hsmca_lint_der_init(lint_der *r, const uint8_t *p, size_t len);
/* Contents of a constructed element as a reader. */
void hsmca_lint_der_enter(const lint_tlv *t, lint_der *out);
/* 1: *out is the next element; 0: no bytes left; -1: not DER (indefinite
 * or non-minimal length, high tag number, length past the end). */
int hsmca_lint_der_next(lint_der *r, lint_tlv *out);
/* Like next, but only if the next element has this tag: 1 read, 0 absent
 * (nothing consumed), -1 malformed. */
int hsmca_lint_der_optional(lint_der *r, unsigned tag, lint_tlv *out);
int hsmca_lint_der_at_end(const lint_der *r);
/* The NID of an OBJECT IDENTIFIER element; NID_undef if OpenSSL does not
 * know it or it is not an OID. */
int hsmca_lint_der_oid_nid(const lint_tlv *oid);
/* 1 if the element's DER equals the bytes written in hex (lower case). */
int hsmca_lint_der_equals_hex(const uint8_t *p, size_t n, const char *hex);
#define LINT_TLV_EQUALS_HEX(t, hex) hsmca_lint_der_equals_hex((t)->der, (t)->der_len, (hex))

/* ---- the certificate as encoded ---- */

typedef struct lint_ext {
    lint_tlv der;          /* the whole Extension */
    lint_tlv oid;
    int nid;               /* NID_undef for OIDs OpenSSL does not name */
    int critical;
    const uint8_t *value;  /* extnValue contents: the DER inside the OCTET STRING */
    size_t value_len;
} lint_ext;

/* One AttributeTypeAndValue of a Name. */
typedef struct lint_ava {
    size_t rdn;            /* index of its RelativeDistinguishedName */
    size_t n_in_rdn;       /* AVAs in that RDN (BR 7.1.4.1: must be 1) */
    lint_tlv oid;
    int nid;
    lint_tlv value;        /* the string element: tag says its type */
} lint_ava;

typedef struct lint_cert {
    uint8_t *der;          /* owned (i2d_X509) */
    size_t der_len;
    lint_tlv tbs;
    lint_tlv version;      /* the [0] element; der == NULL when absent (v1) */
    lint_tlv serial;
    lint_tlv sig_alg;      /* tbsCertificate.signature */
    lint_tlv issuer;
    lint_tlv validity;
    lint_tlv not_before, not_after;
    lint_tlv subject;
    lint_tlv spki;
    lint_tlv spki_alg;
    lint_tlv issuer_uid, subject_uid; /* der == NULL when absent */
    lint_tlv extensions;   /* the [3] element; der == NULL when absent */
    lint_tlv outer_sig_alg; /* Certificate.signatureAlgorithm */
    lint_ext *exts;
    size_t n_exts;
    lint_ava *avas;        /* subject */
    size_t n_avas;
} lint_cert;

/* A CRL or OCSP response as encoded (hsmca_lint_run_signed). */
typedef struct lint_signed {
    lint_tlv tbs;          /* tbsCertList, tbsResponseData */
    lint_tlv tbs_sig_alg;  /* tbsCertList.signature; der == NULL for an OCSP response */
    lint_tlv sig_alg;      /* CertificateList / BasicOCSPResponse.signatureAlgorithm */
} lint_signed;

/* A time read from the validity (RFC 5280 §4.1.2.5). */
typedef struct lint_time {
    int ok;                /* 0: unreadable */
    int strict;            /* 1: exactly YYMMDDHHMMSSZ / YYYYMMDDHHMMSSZ */
    hsmca_time t;
    int64_t year;
} lint_time;

/* ---- the run ---- */

typedef struct lint_ctx {
    const hsmca_lint_input *in; /* NULL for a CRL or OCSP response */
    X509 *cert;
    lint_cert lc;
    lint_signed so;        /* a CRL or OCSP response (the rules for those objects) */
    X509 *issuer;          /* the issuing CA; the certificate itself for a root; the
                              signer of a CRL or OCSP response */
    EVP_PKEY *issuer_key;  /* get0: the key whose signature algorithm applies */
    lint_time not_before, not_after;
    const hsmca_lint_rule *rule; /* the rule running now */
    hsmca_lint_finding *findings;
    size_t n, cap;
} lint_ctx;

/* Record a finding for the running rule. HSMCA_E_NOMEM is the only failure. */
hsmca_err hsmca_lint_report(lint_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The first extension with this NID, or NULL. */
const lint_ext *hsmca_lint_ext_find(const lint_ctx *c, int nid);
/* Decode an extension's value with an OpenSSL template; NULL if it is not a
 * single well-formed value (trailing bytes count as malformed). Free the
 * result with ASN1_item_free(p, it). */
void *hsmca_lint_ext_decode(const lint_ext *e, const ASN1_ITEM *it);
/* The first extension with this NID, decoded with an OpenSSL template:
 * *out_e is the extension (NULL when absent); the result is NULL when it is
 * absent or malformed (tell the two apart by *out_e). Free the result with
 * ASN1_item_free(p, it) or the type's _free. */
void *hsmca_lint_ext_get(const lint_ctx *c, int nid, const ASN1_ITEM *it,
                         const lint_ext **out_e);
/* Short name for messages ("basicConstraints", or the dotted OID). */
const char *hsmca_lint_ext_name(const lint_ext *e, char *buf, size_t len);
/* Short name of an OID element whose NID is nid ("CN", or the dotted OID;
 * "?" when unreadable). buf holds the dotted form. */
const char *hsmca_lint_oid_name(const lint_tlv *oid, int nid, char *buf, size_t len);

/* Lower-case hex of p into buf, cut with "..." when it does not fit. */
const char *hsmca_lint_hex(const uint8_t *p, size_t n, char *buf, size_t len);
/* The curve NID of an EC key (NID_X9_62_prime256v1, NID_secp384r1, ...), or
 * NID_undef. */
int hsmca_lint_ec_curve_nid(EVP_PKEY *key);
/* 1 if s is a URI with the http scheme (BR 7.1.2.10.3, 7.1.2.11.2). */
int hsmca_lint_is_http_uri(const ASN1_STRING *s);

/* ---- checks several profiles share (rules_common.c) ---- */

/* The validity period as BR 6.3.2 counts it: notAfter - notBefore + 1 s.
 * 0 when either time is unreadable (rfc5280.validity.* reports that). */
int hsmca_lint_validity_period(const lint_ctx *c, hsmca_time *out);

/* "no <name>" when the extension with this NID is absent. */
hsmca_err hsmca_lint_ext_required(lint_ctx *c, int nid, const char *name);
/* "<who> has <name>" when the extension with this NID is present. */
hsmca_err hsmca_lint_ext_unwanted(lint_ctx *c, int nid, const char *who, const char *name);
/* "<name> is not critical" when the extension is present and not critical. */
hsmca_err hsmca_lint_ext_critical(lint_ctx *c, int nid, const char *name);

/* extKeyUsage: 1 if it holds the purpose with this NID. */
int hsmca_lint_eku_has(const EXTENDED_KEY_USAGE *eku, int nid);
/* One finding per purpose of forbidden[0..n) that the extension holds. */
hsmca_err hsmca_lint_eku_forbidden(lint_ctx *c, const int *forbidden, size_t n);
/* One finding per purpose that is neither serverAuth, clientAuth nor in
 * forbidden[0..n) (those are the forbidden rule's). */
hsmca_err hsmca_lint_eku_other(lint_ctx *c, const int *forbidden, size_t n);

/* RFC 5280 §4.2.1.4: "policy <oid> appears more than once" when policy i
 * of cp repeats an earlier one. */
hsmca_err hsmca_lint_cp_repeated(lint_ctx *c, const CERTIFICATEPOLICIES *cp, int i);

/* keyUsage (rules_ca.c): the bits as a mask (bit n = RFC 5280 §4.2.1.3
 * KeyUsage bit n), or -1 if malformed or with bits past decipherOnly; and
 * "digitalSignature, keyCertSign" for a mask. */
long hsmca_lint_ku_mask(const lint_ext *e);
const char *hsmca_lint_ku_text(long mask, char *buf, size_t len);

/* BR 7.1.6.1 reserved certificate policy identifiers (rules_ca.c). */
enum lint_policy_type {
    LINT_POLICY_NONE = 0,  /* not a reserved identifier */
    LINT_POLICY_DV,        /* 2.23.140.1.2.1 domain-validated */
    LINT_POLICY_OV,        /* 2.23.140.1.2.2 organization-validated */
    LINT_POLICY_IV,        /* 2.23.140.1.2.3 individual-validated */
    LINT_POLICY_EV         /* 2.23.140.1.1 extended-validation */
};
int hsmca_lint_reserved_policy(const ASN1_OBJECT *oid);

/* ---- the table ---- */

typedef hsmca_err lint_check_fn(lint_ctx *c);

#define LINT_RULE(fn, id, level, source, summary, kinds)                      \
    hsmca_err hsmca_lint_check_##fn(lint_ctx *c);
#define LINT_RULE_ON(object, fn, id, level, source, summary, kinds)           \
    LINT_RULE(fn, id, level, source, summary, kinds)
#include "rules.def"
#undef LINT_RULE
#undef LINT_RULE_ON

#endif
