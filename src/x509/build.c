/* hsmca — building the unsigned certificate from a profile and a request
 * (include/hsmca/x509.h). The request is checked against the profile first,
 * so a bad request fails before anything is built. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "x509/x509_int.h"

/* RFC 5280 §4.1.2.5: UTCTime covers 1950..2049, GeneralizedTime the rest;
 * four-digit years stop at 9999. */
#define X509_TIME_MIN INT64_C(-631152000)    /* 1950-01-01T00:00:00Z */
#define X509_TIME_MAX INT64_C(253402300799)  /* 9999-12-31T23:59:59Z */

static void key_type_list(unsigned set, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (unsigned bit = 1; bit != 0 && bit <= HSMCA_PROFILE_KEY_P384 && used < len; bit <<= 1) {
        if (!(set & bit))
            continue;
        int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
                         hsmca_profile_key_type_name(bit));
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* 1 when two keys are the same public key. */
static int same_public_key(EVP_PKEY *a, EVP_PKEY *b)
{
    uint8_t *da = NULL, *db = NULL;
    size_t la = 0, lb = 0;
    int same;

    /* OpenSSL compares the values (cheap); only when it says no are the
     * SubjectPublicKeyInfo encodings compared, which costs two encoder runs
     * in OpenSSL 3.0. Either answer "same" is enough, as before. */
    same = EVP_PKEY_eq(a, b) == 1;
    if (!same && x509_spki_der(a, &da, &la) == HSMCA_OK &&
        x509_spki_der(b, &db, &lb) == HSMCA_OK)
        same = la == lb && memcmp(da, db, la) == 0;
    ERR_clear_error();
    hsmca_err_clear();
    OPENSSL_free(da);
    OPENSSL_free(db);
    return same;
}

/* The subject key: a type the profile accepts, encoded as BR 7.1.3.1 wants.
 * It is set into cert here, and checked in the encoding the certificate
 * carries: each key encoding is an encoder and a decoder run in OpenSSL 3.0,
 * slower than a token's ECDSA signature, so it is done once per certificate. */
static hsmca_err check_subject_key(const hsmca_profile *p, EVP_PKEY *key, X509 *cert)
{
    hsmca_err err = HSMCA_OK;
    x509_key_class kc;
    X509_ALGOR *alg = NULL;
    unsigned char *der = NULL;
    const uint8_t *want;
    size_t want_len;
    char allowed[96];
    int n;

    HSMCA_GUARD(x509_key_classify(key, &kc));
    key_type_list(p->key_types, allowed, sizeof allowed);
    HSMCA_ENSURE(kc.profile_type != 0 && hsmca_profile_allows_key(p, kc.profile_type),
                 HSMCA_E_INPUT, "profile '%s': the subject key is %s; this profile accepts %s",
                 p->name, kc.desc, allowed);
    /* BR 7.1.3.1: the SPKI AlgorithmIdentifier byte for byte (rsaEncryption
     * with NULL; id-ecPublicKey with a namedCurve). */
    HSMCA_OSSL(X509_set_pubkey(cert, key) == 1, "profile '%s': cannot encode the subject key",
               p->name);
    HSMCA_OSSL(X509_PUBKEY_get0_param(NULL, NULL, NULL, &alg, X509_get_X509_PUBKEY(cert)) == 1,
               "profile '%s': cannot read the subject key's algorithm", p->name);
    n = i2d_X509_ALGOR(alg, &der);
    HSMCA_OSSL(n > 0, "profile '%s': cannot encode the subject key's algorithm", p->name);
    want = x509_spkialg_der(&kc, &want_len);
    HSMCA_ENSURE(want != NULL && (size_t)n == want_len && memcmp(der, want, want_len) == 0,
                 HSMCA_E_INPUT, "profile '%s': the %s subject key's algorithm identifier is not "
                 "the one BR 7.1.3.1 requires (explicit curve parameters?)", p->name, kc.desc);
out:
    OPENSSL_free(der);
    return err;
}

/* base_url and issuer_id become parts of IA5String URIs (RFC 5280 §4.2.1.6). */
static hsmca_err check_url_parts(const hsmca_x509_request *req)
{
    hsmca_err err = HSMCA_OK;
    const char *pn = req->profile->name;

    if (req->base_url != NULL) {
        const char *b = req->base_url;
        size_t len = strlen(b);

        HSMCA_ENSURE(strncasecmp(b, "http://", 7) == 0 || strncasecmp(b, "https://", 8) == 0,
                     HSMCA_E_INPUT, "profile '%s': base URL '%s' must start with http:// or "
                     "https:// (BR 7.1.2.7.7 and 7.1.2.11.2 want http)", pn, b);
        HSMCA_ENSURE(len > 0 && b[len - 1] != '/', HSMCA_E_INPUT,
                     "profile '%s': base URL '%s' must not end with '/' (profiles write "
                     "\"{base_url}/...\")", pn, b);
        for (const char *c = b; *c != '\0'; c++)
            HSMCA_ENSURE((unsigned char)*c > 0x20 && (unsigned char)*c < 0x7f, HSMCA_E_INPUT,
                         "profile '%s': base URL '%s' must be printable ASCII without spaces",
                         pn, b);
    }
    if (req->issuer_id != NULL) {
        const char *s = req->issuer_id;

        HSMCA_ENSURE(*s != '\0', HSMCA_E_INPUT, "profile '%s': the issuer id is empty", pn);
        /* RFC 3986 §2.3 unreserved characters: safe in any URL path. */
        for (const char *c = s; *c != '\0'; c++)
            HSMCA_ENSURE((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                             (*c >= '0' && *c <= '9') || *c == '-' || *c == '.' ||
                             *c == '_' || *c == '~',
                         HSMCA_E_INPUT, "profile '%s': issuer id '%s' may use only letters, "
                         "digits, '-', '.', '_' and '~' (it goes into URLs)", pn, s);
    }
out:
    return err;
}

/* The serial as given: 1..20 octets of a positive, minimal DER INTEGER. */
static hsmca_err serial_integer(const hsmca_x509_request *req, ASN1_INTEGER **out)
{
    hsmca_err err = HSMCA_OK;
    const uint8_t *s = req->serial;
    size_t n = req->serial_len;
    const char *pn = req->profile->name;
    BIGNUM *bn = NULL;
    ASN1_INTEGER *ai = NULL;
    int zero = 1;

    HSMCA_ENSURE(s != NULL && n >= 1 && n <= HSMCA_X509_SERIAL_MAX, HSMCA_E_INPUT,
                 "profile '%s': the serial must be 1 to %d octets (RFC 5280 §4.1.2.2), got "
                 "%zu", pn, HSMCA_X509_SERIAL_MAX, s ? n : 0);
    for (size_t i = 0; i < n; i++)
        zero &= s[i] == 0;
    HSMCA_ENSURE(!zero, HSMCA_E_INPUT,
                 "profile '%s': the serial is zero (RFC 5280 §4.1.2.2: positive)", pn);
    HSMCA_ENSURE(s[0] < 0x80, HSMCA_E_INPUT,
                 "profile '%s': the serial's first octet has its top bit set, so it would be "
                 "negative (RFC 5280 §4.1.2.2); use hsmca_x509_serial_from_random", pn);
    HSMCA_ENSURE(!(s[0] == 0 && n > 1 && s[1] < 0x80), HSMCA_E_INPUT,
                 "profile '%s': the serial has a needless leading zero octet (DER INTEGER is "
                 "minimal)", pn);
    bn = BN_bin2bn(s, (int)n, NULL);
    HSMCA_OSSL(bn != NULL, "profile '%s': cannot read the serial", pn);
    ai = BN_to_ASN1_INTEGER(bn, NULL);
    HSMCA_OSSL(ai != NULL, "profile '%s': cannot encode the serial", pn);
    *out = ai;
    ai = NULL;
out:
    ASN1_INTEGER_free(ai);
    BN_free(bn);
    return err;
}

/* The subject values after the profile's rules: CN copied from the first
 * SAN when cn_from_san (BR 7.1.2.7.2), then required and allowed sets. */
static hsmca_err subject_values(const hsmca_x509_request *req, const char *vals[],
                                char *cn_buf, size_t cn_len)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_profile *p = req->profile;
    unsigned present = 0;

    for (int a = 0; a < HSMCA_PROFILE_ATTR__COUNT; a++)
        vals[a] = req->subject != NULL ? req->subject->attr[a] : NULL;
    if (p->subject.cn_from_san && (req->n_dns > 0 || req->n_ips > 0)) {
        const char *first = NULL;

        if (req->n_dns > 0) {
            first = req->dns_names[0];
        } else {
            uint8_t a[16];

            /* The CN holds an IP in its textual form (BR 7.1.2.7.2):
             * dotted quad, or RFC 5952 text for IPv6 (inet_ntop's). */
            if (req->ip_addrs[0] != NULL && inet_pton(AF_INET, req->ip_addrs[0], a) == 1)
                first = inet_ntop(AF_INET, a, cn_buf, (socklen_t)cn_len);
            else if (req->ip_addrs[0] != NULL && inet_pton(AF_INET6, req->ip_addrs[0], a) == 1)
                first = inet_ntop(AF_INET6, a, cn_buf, (socklen_t)cn_len);
            else
                first = req->ip_addrs[0]; /* x509_san_build reports it */
        }
        HSMCA_ENSURE(vals[HSMCA_PROFILE_ATTR_CN] == NULL || first == NULL ||
                         strcmp(vals[HSMCA_PROFILE_ATTR_CN], first) == 0,
                     HSMCA_E_INPUT, "profile '%s' copies the CN from the first subject "
                     "alternative name ('%s'); leave CN out of the subject (got CN '%s')",
                     p->name, first ? first : "", vals[HSMCA_PROFILE_ATTR_CN]);
        vals[HSMCA_PROFILE_ATTR_CN] = first;
    }
    for (int a = 0; a < HSMCA_PROFILE_ATTR__COUNT; a++)
        if (vals[a] != NULL)
            present |= HSMCA_PROFILE_ATTR_BIT(a);
    for (int a = 0; a < HSMCA_PROFILE_ATTR__COUNT; a++) {
        const char *an = hsmca_profile_attr_name((hsmca_profile_attr)a);

        HSMCA_ENSURE(!(p->subject.required & HSMCA_PROFILE_ATTR_BIT(a)) ||
                         (present & HSMCA_PROFILE_ATTR_BIT(a)),
                     HSMCA_E_INPUT, "profile '%s': the subject needs %s", p->name, an);
        HSMCA_ENSURE(!(present & HSMCA_PROFILE_ATTR_BIT(a)) ||
                         (p->subject.allowed & HSMCA_PROFILE_ATTR_BIT(a)),
                     HSMCA_E_INPUT, "profile '%s': the subject must not have %s", p->name, an);
    }
out:
    return err;
}

/* BR 7.1.3.2: the signature AlgorithmIdentifier for the signing key, set in
 * the TBS now so the TBS is final before anything signs it (X509_sign later
 * writes the same value into both places). */
static hsmca_err set_tbs_sigalg(X509 *cert, const x509_key_class *kc)
{
    hsmca_err err = HSMCA_OK;
    /* OpenSSL 3.0 has no setter for the TBS signature field and hands it out
     * const; the field is ours to fill (X509_sign writes it the same way). */
    X509_ALGOR *alg = (X509_ALGOR *)(uintptr_t)X509_get0_tbs_sigalg(cert);
    unsigned char *der = NULL;
    const uint8_t *want;
    size_t want_len;
    int nid, n;

    nid = kc->is_rsa ? NID_sha256WithRSAEncryption
          : kc->ec_nid == NID_secp384r1 ? NID_ecdsa_with_SHA384 : NID_ecdsa_with_SHA256;
    /* RSA: parameters NULL; ECDSA: parameters absent (RFC 4055, RFC 5758). */
    HSMCA_OSSL(X509_ALGOR_set0(alg, OBJ_nid2obj(nid), kc->is_rsa ? V_ASN1_NULL : V_ASN1_UNDEF,
                               NULL) == 1, "cannot set the signature algorithm");
    n = i2d_X509_ALGOR(alg, &der);
    want = x509_sigalg_der(kc, &want_len);
    HSMCA_ENSURE(n > 0 && want != NULL && (size_t)n == want_len &&
                     memcmp(der, want, want_len) == 0,
                 HSMCA_E_INTERNAL, "the signature algorithm identifier is not BR 7.1.3.2's");
out:
    OPENSSL_free(der);
    return err;
}

static hsmca_err set_validity(X509 *cert, const hsmca_x509_request *req)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_profile *p = req->profile;
    ASN1_TIME *nb = NULL, *na = NULL;
    int64_t t0, t1;

    HSMCA_ENSURE(p->validity_seconds > 0 && p->backdate_seconds >= 0, HSMCA_E_INPUT,
                 "profile '%s': validity must be positive and backdate not negative", p->name);
    HSMCA_ENSURE(req->now >= X509_TIME_MIN + p->backdate_seconds &&
                     req->now - p->backdate_seconds <= X509_TIME_MAX - p->validity_seconds,
                 HSMCA_E_INPUT, "profile '%s': the validity period falls outside the years "
                 "1950-9999 that X.509 times can hold (RFC 5280 §4.1.2.5)", p->name);
    t0 = req->now - p->backdate_seconds;
    t1 = t0 + p->validity_seconds;
    HSMCA_ENSURE((int64_t)(time_t)t0 == t0 && (int64_t)(time_t)t1 == t1, HSMCA_E_INPUT,
                 "profile '%s': the validity period does not fit this platform's time_t",
                 p->name);
    /* ASN1_TIME_set picks UTCTime for 1950-2049 and GeneralizedTime from
     * 2050, always with seconds and Z (RFC 5280 §4.1.2.5). */
    nb = ASN1_TIME_set(NULL, (time_t)t0);
    na = ASN1_TIME_set(NULL, (time_t)t1);
    HSMCA_OSSL(nb != NULL && na != NULL, "profile '%s': cannot encode the validity", p->name);
    HSMCA_OSSL(X509_set1_notBefore(cert, nb) == 1 && X509_set1_notAfter(cert, na) == 1,
               "profile '%s': cannot set the validity", p->name);
out:
    ASN1_TIME_free(nb);
    ASN1_TIME_free(na);
    return err;
}

hsmca_err hsmca_x509_build(const hsmca_x509_request *req, X509 **out)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_profile *p;
    const char *vals[HSMCA_PROFILE_ATTR__COUNT];
    char cn_buf[64], what[160];
    x509_key_class signer;
    EVP_PKEY *signer_key;
    X509 *cert = NULL;
    X509_NAME *subject = NULL;
    ASN1_INTEGER *serial = NULL;
    ASN1_OCTET_STRING *own_ski = NULL;
    GENERAL_NAMES *san = NULL;
    const ASN1_OCTET_STRING *aki = NULL;
    uint8_t ski[20];
    int is_root, wants_aki, has_san_ext;
    x509_ext_ctx ctx;

    HSMCA_ENSURE(req != NULL && out != NULL && req->profile != NULL, HSMCA_E_USAGE,
                 "hsmca_x509_build: no request or profile");
    p = req->profile;
    HSMCA_ENSURE(req->subject_key != NULL, HSMCA_E_USAGE,
                 "profile '%s': no subject public key given", p->name);
    is_root = p->kind == HSMCA_PROFILE_ROOT;
    wants_aki = hsmca_profile_find_ext(p, HSMCA_PROFILE_EXT_AUTHORITY_KEY_IDENTIFIER) != NULL;
    has_san_ext = hsmca_profile_find_ext(p, HSMCA_PROFILE_EXT_SUBJECT_ALT_NAME) != NULL;

    /* Keys: the subject's type, and the signer's, which picks the
     * signature algorithm (BR 7.1.3.2). */
    cert = X509_new();
    HSMCA_ALLOC(cert);
    HSMCA_GUARD(check_subject_key(p, req->subject_key, cert));
    /* BR 7.1.2.1: a root is self-signed; every other kind has an issuer. */
    if (is_root)
        HSMCA_ENSURE(req->issuer == NULL, HSMCA_E_INPUT,
                     "profile '%s' makes a self-signed root: give no issuer certificate",
                     p->name);
    else
        HSMCA_ENSURE(req->issuer != NULL, HSMCA_E_INPUT,
                     "profile '%s' (%s) needs the issuing CA's certificate", p->name,
                     hsmca_profile_kind_name(p->kind));
    HSMCA_ENSURE(is_root || X509_get0_pubkey(req->issuer) != NULL, HSMCA_E_INPUT,
                 "profile '%s': cannot read the issuer certificate's public key", p->name);
    signer_key = req->signer_public != NULL ? req->signer_public
                 : is_root                  ? req->subject_key
                                            : X509_get0_pubkey(req->issuer);
    HSMCA_GUARD(x509_key_classify(signer_key, &signer));
    HSMCA_ENSURE(signer.sign_md != NULL, HSMCA_E_INPUT,
                 "profile '%s': the signing key is %s; hsmca signs with RSA, ECDSA P-256 or "
                 "ECDSA P-384 keys (BR 7.1.3.2)", p->name, signer.desc);
    if (is_root)
        HSMCA_ENSURE(same_public_key(signer_key, req->subject_key), HSMCA_E_INPUT,
                     "profile '%s': a root signs itself, but the signing key is not the "
                     "subject key", p->name);
    else
        HSMCA_ENSURE(same_public_key(signer_key, X509_get0_pubkey(req->issuer)),
                     HSMCA_E_INPUT, "profile '%s': the signing key is not the key of the "
                     "issuer certificate", p->name);

    /* Key identifiers: SKI by RFC 5280 §4.2.1.2 method 1; AKI = the
     * issuer's SKI as the issuer certificate carries it (BR 7.1.2.11.1), or
     * for a root its own (BR 7.1.2.1.3). */
    HSMCA_GUARD(x509_key_id_of(X509_get_X509_PUBKEY(cert), ski));
    if (is_root) {
        own_ski = ASN1_OCTET_STRING_new();
        HSMCA_ALLOC(own_ski);
        HSMCA_OSSL(ASN1_OCTET_STRING_set(own_ski, ski, sizeof ski) == 1, "out of memory");
        aki = own_ski;
    } else {
        aki = X509_get0_subject_key_id(req->issuer);
    }
    HSMCA_ENSURE(!wants_aki || (aki != NULL && ASN1_STRING_length(aki) > 0), HSMCA_E_INPUT,
                 "profile '%s' needs an authority key identifier (BR 7.1.2.11.1), but the "
                 "issuer certificate has no subject key identifier extension; reissue the "
                 "issuer with subject_key_identifier", p->name);

    /* Names: subjectAltName from the request, then the subject. */
    HSMCA_ENSURE(req->n_dns == 0 || req->dns_names != NULL, HSMCA_E_USAGE,
                 "profile '%s': n_dns without dns_names", p->name);
    HSMCA_ENSURE(req->n_ips == 0 || req->ip_addrs != NULL, HSMCA_E_USAGE,
                 "profile '%s': n_ips without ip_addrs", p->name);
    if (has_san_ext)
        /* BR 7.1.2.7.12: at least one dNSName or iPAddress. */
        HSMCA_ENSURE(req->n_dns + req->n_ips > 0, HSMCA_E_INPUT,
                     "profile '%s' needs at least one DNS name or IP address for the subject "
                     "alternative names", p->name);
    else
        HSMCA_ENSURE(req->n_dns + req->n_ips == 0, HSMCA_E_INPUT,
                     "profile '%s' has no subject_alt_name extension, but the request gives "
                     "DNS names or IP addresses", p->name);
    if (has_san_ext)
        HSMCA_GUARD(x509_san_build(req, &san));
    HSMCA_GUARD(subject_values(req, vals, cn_buf, sizeof cn_buf));
    snprintf(what, sizeof what, "profile '%s': subject", p->name);
    HSMCA_GUARD(x509_name_build(vals, what, &subject));
    HSMCA_GUARD(check_url_parts(req));
    HSMCA_GUARD(serial_integer(req, &serial));

    /* The TBSCertificate, field by field (RFC 5280 §4.1); the key is in
     * already (check_subject_key). */
    HSMCA_GUARD(set_tbs_sigalg(cert, &signer));
    /* BR 7.1.1: v3; no unique identifiers. */
    HSMCA_OSSL(X509_set_version(cert, X509_VERSION_3) == 1, "cannot set the version");
    HSMCA_OSSL(X509_set_serialNumber(cert, serial) == 1, "cannot set the serial");
    HSMCA_OSSL(X509_set_subject_name(cert, subject) == 1, "cannot set the subject");
    /* BR 7.1.4.1: issuer byte-identical to the issuer's subject. OpenSSL
     * copies a Name with its cached DER, so the bytes are kept as they are. */
    HSMCA_OSSL(X509_set_issuer_name(cert, is_root ? subject
                                                  : X509_get_subject_name(req->issuer)) == 1,
               "cannot set the issuer");
    HSMCA_GUARD(set_validity(cert, req));

    /* Extensions in the profile's order (docs/profiles.md). */
    memset(&ctx, 0, sizeof ctx);
    ctx.profile = p;
    ctx.req = req;
    ctx.ski = ski;
    ctx.aki = aki;
    ctx.san = san;
    for (size_t i = 0; i < p->n_exts; i++)
        HSMCA_GUARD(x509_ext_add(cert, &p->exts[i], &ctx));

    *out = cert;
    cert = NULL;
out:
    X509_free(cert);
    X509_NAME_free(subject);
    ASN1_INTEGER_free(serial);
    ASN1_OCTET_STRING_free(own_ski);
    sk_GENERAL_NAME_pop_free(san, GENERAL_NAME_free);
    return err;
}
