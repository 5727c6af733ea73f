/* hsmca — certificate profiles.
 *
 * A profile is a YAML file (profiles/NAME.yaml; format in docs/profiles.md) that
 * says what kind of certificate it makes, how long it is valid, which key
 * types it accepts, which subject attributes it takes, and the extensions,
 * in the order they appear in the certificate. src/profile reads and checks
 * the file; src/x509 builds certificates from the result; src/lint judges the
 * certificates against the BRs. So this module answers only "is this a
 * well-formed profile?": unknown keys, wrong types, missing fields, unknown
 * names, malformed OIDs/URLs/CIDRs, a duplicate extension, and a few
 * contradictions RFC 5280 defines away (path_len without cA, keyCertSign
 * without cA, name constraints on a non-CA). Every such error is
 * HSMCA_E_INPUT with a message starting "FILE:LINE: ".
 *
 * The loaded profile is a plain struct that callers read directly. It owns
 * all its memory; nothing points into the YAML file. Free it with
 * hsmca_profile_free().
 */
#ifndef HSMCA_PROFILE_H
#define HSMCA_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "hsmca/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the profile issues; each kind is linted against its BR profile. */
typedef enum hsmca_profile_kind {
    HSMCA_PROFILE_ROOT = 1,          /* "root": BR 7.1.2.1 */
    HSMCA_PROFILE_SUBORDINATE,       /* "subordinate": BR 7.1.2.6 (7.1.2.5) */
    HSMCA_PROFILE_OCSP_RESPONDER,    /* "ocsp-responder": BR 7.1.2.8 */
    HSMCA_PROFILE_TLS_SERVER,        /* "tls-server": BR 7.1.2.7 (DV) */
    HSMCA_PROFILE_PRECERT_SIGNER     /* "precert-signer": BR 7.1.2.4, legacy */
} hsmca_profile_kind;

/* Key types a profile accepts: a bit set of these. */
#define HSMCA_PROFILE_KEY_RSA2048 (1u << 0)  /* "rsa2048" */
#define HSMCA_PROFILE_KEY_RSA3072 (1u << 1)  /* "rsa3072" */
#define HSMCA_PROFILE_KEY_RSA4096 (1u << 2)  /* "rsa4096" */
#define HSMCA_PROFILE_KEY_P256    (1u << 3)  /* "p256": ECDSA secp256r1 */
#define HSMCA_PROFILE_KEY_P384    (1u << 4)  /* "p384": ECDSA secp384r1 */

/* Subject attributes, as bits in BR 7.1.4.2 order (the order x509 writes
 * them in, whatever order the profile lists them). */
typedef enum hsmca_profile_attr {
    HSMCA_PROFILE_ATTR_C = 0,        /* "C" countryName */
    HSMCA_PROFILE_ATTR_ST,           /* "ST" stateOrProvinceName */
    HSMCA_PROFILE_ATTR_L,            /* "L" localityName */
    HSMCA_PROFILE_ATTR_POSTAL_CODE,  /* "postalCode" */
    HSMCA_PROFILE_ATTR_STREET,       /* "street" streetAddress */
    HSMCA_PROFILE_ATTR_O,            /* "O" organizationName */
    HSMCA_PROFILE_ATTR_OU,           /* "OU" organizationalUnitName */
    HSMCA_PROFILE_ATTR_CN,           /* "CN" commonName */
    HSMCA_PROFILE_ATTR__COUNT
} hsmca_profile_attr;
#define HSMCA_PROFILE_ATTR_BIT(a) (1u << (a))

/* keyUsage bits: bit n is RFC 5280 §4.2.1.3 KeyUsage bit n. */
#define HSMCA_PROFILE_KU_DIGITAL_SIGNATURE  (1u << 0)
#define HSMCA_PROFILE_KU_CONTENT_COMMITMENT (1u << 1) /* nonRepudiation */
#define HSMCA_PROFILE_KU_KEY_ENCIPHERMENT   (1u << 2)
#define HSMCA_PROFILE_KU_DATA_ENCIPHERMENT  (1u << 3)
#define HSMCA_PROFILE_KU_KEY_AGREEMENT      (1u << 4)
#define HSMCA_PROFILE_KU_KEY_CERT_SIGN      (1u << 5)
#define HSMCA_PROFILE_KU_CRL_SIGN           (1u << 6)
#define HSMCA_PROFILE_KU_ENCIPHER_ONLY      (1u << 7)
#define HSMCA_PROFILE_KU_DECIPHER_ONLY      (1u << 8)

typedef enum hsmca_profile_ext_kind {
    HSMCA_PROFILE_EXT_BASIC_CONSTRAINTS = 1,   /* basic_constraints */
    HSMCA_PROFILE_EXT_KEY_USAGE,               /* key_usage */
    HSMCA_PROFILE_EXT_EXTENDED_KEY_USAGE,      /* extended_key_usage */
    HSMCA_PROFILE_EXT_CERTIFICATE_POLICIES,    /* certificate_policies */
    HSMCA_PROFILE_EXT_AUTHORITY_INFO_ACCESS,   /* authority_info_access */
    HSMCA_PROFILE_EXT_CRL_DISTRIBUTION_POINTS, /* crl_distribution_points */
    HSMCA_PROFILE_EXT_NAME_CONSTRAINTS,        /* name_constraints */
    HSMCA_PROFILE_EXT_SUBJECT_KEY_IDENTIFIER,  /* subject_key_identifier */
    HSMCA_PROFILE_EXT_AUTHORITY_KEY_IDENTIFIER,/* authority_key_identifier */
    HSMCA_PROFILE_EXT_OCSP_NOCHECK,            /* ocsp_nocheck */
    HSMCA_PROFILE_EXT_SUBJECT_ALT_NAME,        /* subject_alt_name */
    HSMCA_PROFILE_EXT_NO_REV_AVAIL,            /* no_rev_avail (RFC 9608) */
    HSMCA_PROFILE_EXT__COUNT
} hsmca_profile_ext_kind;

/* A NULL-terminated array of n owned strings. In a loaded profile v is never
 * NULL in the extension's own union member: an empty list is { NULL }. */
typedef struct hsmca_profile_strs {
    char **v;
    size_t n;
} hsmca_profile_strs;

/* One attribute of a directoryName, in the order written. */
typedef struct hsmca_profile_ava {
    hsmca_profile_attr attr;
    char *value;
} hsmca_profile_ava;

typedef struct hsmca_profile_dirname {
    hsmca_profile_ava *avas;
    size_t n_avas;
} hsmca_profile_dirname;

/* An iPAddress subtree: the network address and prefix length. The name
 * constraint's OCTET STRING is addr followed by the mask (RFC 5280
 * §4.2.1.10): 8 octets for IPv4, 32 for IPv6. "0.0.0.0/0" and "::/0" are the
 * whole-namespace exclusions of BR 7.1.2.5.2. */
typedef struct hsmca_profile_ip_range {
    int family;                /* 4 or 6 */
    uint8_t addr[16];          /* first 4 (IPv4) or 16 bytes used; host bits 0 */
    unsigned prefix_len;       /* 0..32 or 0..128 */
} hsmca_profile_ip_range;

/* permittedSubtrees or excludedSubtrees. An empty dNSName ("") is the
 * whole-namespace exclusion of BR 7.1.2.5.2. */
typedef struct hsmca_profile_subtrees {
    hsmca_profile_strs dns;
    hsmca_profile_ip_range *ips;
    size_t n_ips;
    hsmca_profile_dirname *dirs;
    size_t n_dirs;
} hsmca_profile_subtrees;

typedef struct hsmca_profile_policy {
    char *oid;                 /* dotted decimal */
    char *cps;                 /* id-qt-cps URI, or NULL */
} hsmca_profile_policy;

/* One extension. URL strings may contain the placeholders {base_url} and
 * {issuer}, kept verbatim: src/x509 substitutes them when it builds the
 * certificate (see docs/profiles.md). */
typedef struct hsmca_profile_ext {
    hsmca_profile_ext_kind kind;
    int critical;              /* as written, else the kind's default */
    unsigned long line;        /* where the profile names it, for messages */
    union {
        struct {
            int ca;
            int path_len;      /* -1: no pathLenConstraint */
        } bc;                  /* basic_constraints */
        struct {
            unsigned usages;   /* HSMCA_PROFILE_KU_* */
        } ku;                  /* key_usage */
        struct {
            hsmca_profile_strs oids; /* dotted OIDs, in the order written */
        } eku;                 /* extended_key_usage */
        struct {
            hsmca_profile_policy *policies;
            size_t n;
        } cp;                  /* certificate_policies */
        struct {
            hsmca_profile_strs ocsp;       /* id-ad-ocsp URLs, by preference */
            hsmca_profile_strs ca_issuers; /* id-ad-caIssuers URLs */
        } aia;                 /* authority_info_access */
        struct {
            hsmca_profile_strs uris; /* fullName URIs of one DistributionPoint */
        } crldp;               /* crl_distribution_points */
        struct {
            hsmca_profile_subtrees permitted, excluded;
        } nc;                  /* name_constraints */
    };
} hsmca_profile_ext;

typedef struct hsmca_profile {
    char *name;                /* file name without directory and .yaml */
    char *path;                /* the file it was read from */
    char *description;         /* "" when the profile has none */
    hsmca_profile_kind kind;
    /* Usable only when the caller explicitly allows legacy profiles (see
     * hsmca_profile_check_usable). Always set for precert-signer: BR 7.1.2.4,
     * forbidden from 2026-03-15 by ballot SC-092. */
    int legacy;

    /* notAfter = notBefore + validity_seconds, so the BR 6.3.2 "validity
     * period" (notAfter - notBefore + 1 s) is validity_seconds + 1.
     * From `days` * 86400 + `seconds_adjust`. */
    int64_t validity_seconds;
    /* notBefore = signing time - backdate_seconds. */
    int64_t backdate_seconds;

    unsigned key_types;        /* HSMCA_PROFILE_KEY_* */

    struct {
        unsigned required;     /* HSMCA_PROFILE_ATTR_BIT(...) set */
        unsigned allowed;      /* always includes required */
        int cn_from_san;       /* CN is the first SAN entry (BR 7.1.2.7.2) */
    } subject;

    hsmca_profile_ext *exts;   /* in certificate order */
    size_t n_exts;
} hsmca_profile;

/* Read and check one profile file. On success *out is a new profile owned by
 * the caller. HSMCA_E_NOT_FOUND if the file does not exist, HSMCA_E_IO if it
 * cannot be read, HSMCA_E_INPUT with "FILE:LINE: ..." for anything wrong in
 * it. On failure *out is untouched. */
hsmca_err hsmca_profile_load(const char *path, hsmca_profile **out);

/* Like hsmca_profile_load, but a bare name ("subordinate": letters, digits,
 * '-', '_' and '.', no '/', not ending in .yaml/.yml) means
 * <search_dir>/<name>.yaml, where search_dir is normally the shipped or
 * installed profiles/ directory. Anything else is a path. HSMCA_E_NOT_FOUND
 * for an unknown name (the message lists the profiles in search_dir);
 * HSMCA_E_USAGE for a bare name with a NULL search_dir. */
hsmca_err hsmca_profile_load_named(const char *name_or_path, const char *search_dir,
                                   hsmca_profile **out);

/* Accepts NULL. */
void hsmca_profile_free(hsmca_profile *p);

/* HSMCA_E_USAGE, with a message that says why and how to override, when the
 * profile is legacy and allow_legacy is 0; HSMCA_OK otherwise. Call it before
 * issuing anything from a profile. */
hsmca_err hsmca_profile_check_usable(const hsmca_profile *p, int allow_legacy);

/* The first extension of this kind, or NULL. */
const hsmca_profile_ext *hsmca_profile_find_ext(const hsmca_profile *p,
                                                hsmca_profile_ext_kind kind);

/* 1 if the profile accepts the key type (one HSMCA_PROFILE_KEY_* bit). */
int hsmca_profile_allows_key(const hsmca_profile *p, unsigned key_type);

/* The names used in profile files ("tls-server", "key_usage", "rsa3072",
 * "postalCode", "cRLSign"); "?" for an unknown value. */
const char *hsmca_profile_kind_name(hsmca_profile_kind kind);
const char *hsmca_profile_ext_name(hsmca_profile_ext_kind kind);
const char *hsmca_profile_key_type_name(unsigned key_type);
const char *hsmca_profile_attr_name(hsmca_profile_attr attr);
/* Name of one KU bit (bit index 0..8 as in RFC 5280). */
const char *hsmca_profile_ku_name(unsigned bit);

/* The default criticality of an extension kind when the profile does not say
 * (docs/profiles.md lists the rule behind each). */
int hsmca_profile_ext_default_critical(hsmca_profile_ext_kind kind);

#ifdef __cplusplus
}
#endif
#endif
