/* hsmca — lint rules for every certificate (CONFORMANCE.md §0-§4): the
 * encoding of the TBS, algorithms and keys, names, times, serial, and the
 * extensions every profile shares. The table is rules.def.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "lint_int.h"

/* ---- §0 structure ---- */

/* rfc5280.cert.version: RFC 5280 §4.1.2.1, BR 7.1.1 */
hsmca_err hsmca_lint_check_version(lint_ctx *c)
{
    const lint_tlv *v = &c->lc.version;

    if (v->der == NULL)
        return hsmca_lint_report(c, "no version field: the certificate is v1");
    if (!LINT_TLV_EQUALS_HEX(v, "a003020102")) {
        char hex[32];

        return hsmca_lint_report(c, "version is %s, not v3 (a003020102)",
                                 hsmca_lint_hex(v->der, v->der_len, hex, sizeof hex));
    }
    return HSMCA_OK;
}

/* cabf.common.unique_ids: every BR 7.1.2 profile says MUST NOT. */
hsmca_err hsmca_lint_check_unique_ids(lint_ctx *c)
{
    hsmca_err err = HSMCA_OK;

    if (c->lc.issuer_uid.der != NULL)
        HSMCA_GUARD(hsmca_lint_report(c, "issuerUniqueID is present"));
    if (c->lc.subject_uid.der != NULL)
        HSMCA_GUARD(hsmca_lint_report(c, "subjectUniqueID is present"));
out:
    return err;
}

/* Name of an AlgorithmIdentifier's OID, for messages. */
static const char *alg_oid_name(const lint_tlv *alg, char *buf, size_t len)
{
    lint_der r;
    lint_tlv oid;
    const unsigned char *p;
    ASN1_OBJECT *obj;

    snprintf(buf, len, "?");
    hsmca_lint_der_enter(alg, &r);
    if (hsmca_lint_der_next(&r, &oid) != 1 || oid.tag != V_ASN1_OBJECT)
        return buf;
    p = oid.der;
    obj = d2i_ASN1_OBJECT(NULL, &p, (long)oid.der_len);
    if (obj != NULL) {
        OBJ_obj2txt(buf, (int)len, obj, 0);
        ASN1_OBJECT_free(obj);
    }
    return buf;
}

/* The outer signatureAlgorithm must repeat the signed one byte for byte;
 * field names the signed one ("tbsCertificate.signature"). */
static hsmca_err sig_alg_match(lint_ctx *c, const lint_tlv *in, const lint_tlv *outer,
                               const char *field)
{
    char a[64], b[64];

    if (in->der_len == outer->der_len && memcmp(in->der, outer->der, in->der_len) == 0)
        return HSMCA_OK;
    return hsmca_lint_report(c, "signatureAlgorithm %s differs from %s %s",
                             hsmca_lint_hex(outer->der, outer->der_len, a, sizeof a), field,
                             hsmca_lint_hex(in->der, in->der_len, b, sizeof b));
}

/* rfc5280.cert.signature_algorithm_match: RFC 5280 §4.1.1.2 */
hsmca_err hsmca_lint_check_sig_alg_match(lint_ctx *c)
{
    return sig_alg_match(c, &c->lc.sig_alg, &c->lc.outer_sig_alg, "tbsCertificate.signature");
}

/* BR 7.1.3.2: the only AlgorithmIdentifier encodings allowed, byte for byte. */
typedef struct sig_alg_def {
    const char *hex;
    const char *name;
    int hash_nid;          /* the digest */
    int rsa;               /* 1 for an RSA key, 0 for ECDSA */
} sig_alg_def;

#define PSS_HEX(h, salt)                                                      \
    "304106092a864886f70d01010a3034a00f300d0609608648016503040" h "0500a11c301a06092a" \
    "864886f70d010108300d0609608648016503040" h "0500a2030201" salt

static const sig_alg_def sig_algs[] = {
    /* BR 7.1.3.2.1 RSA */
    {"300d06092a864886f70d01010b0500", "sha256WithRSAEncryption", NID_sha256, 1},
    {"300d06092a864886f70d01010c0500", "sha384WithRSAEncryption", NID_sha384, 1},
    {"300d06092a864886f70d01010d0500", "sha512WithRSAEncryption", NID_sha512, 1},
    {PSS_HEX("201", "20"), "RSASSA-PSS SHA-256, salt 32", NID_sha256, 1},
    {PSS_HEX("202", "30"), "RSASSA-PSS SHA-384, salt 48", NID_sha384, 1},
    {PSS_HEX("203", "40"), "RSASSA-PSS SHA-512, salt 64", NID_sha512, 1},
    /* BR 7.1.3.2.2 ECDSA: no parameters */
    {"300a06082a8648ce3d040302", "ecdsa-with-SHA256", NID_sha256, 0},
    {"300a06082a8648ce3d040303", "ecdsa-with-SHA384", NID_sha384, 0},
    {"300a06082a8648ce3d040304", "ecdsa-with-SHA512", NID_sha512, 0},
};

static const sig_alg_def *find_sig_alg(const lint_tlv *alg)
{
    for (size_t i = 0; i < sizeof sig_algs / sizeof sig_algs[0]; i++)
        if (LINT_TLV_EQUALS_HEX(alg, sig_algs[i].hex))
            return &sig_algs[i];
    return NULL;
}

/* BR 7.1.3.2: the AlgorithmIdentifier in `field` is one of the listed
 * encodings, byte for byte. */
static hsmca_err sig_alg_encoding(lint_ctx *c, const lint_tlv *alg, const char *field)
{
    char hex[96], name[64];

    if (find_sig_alg(alg) != NULL)
        return HSMCA_OK;
    return hsmca_lint_report(c, "%s %s (%s) is not an encoding BR 7.1.3.2 allows", field,
                             hsmca_lint_hex(alg->der, alg->der_len, hex, sizeof hex),
                             alg_oid_name(alg, name, sizeof name));
}

/* cabf.common.signature_algorithm_encoding: BR 7.1.3.2 */
hsmca_err hsmca_lint_check_sig_alg_encoding(lint_ctx *c)
{
    return sig_alg_encoding(c, &c->lc.sig_alg, "tbsCertificate.signature");
}

/* The ECDSA hash a curve takes (BR 7.1.3.2.2). */
static int curve_hash(int curve, const char **curve_name)
{
    switch (curve) {
    case NID_X9_62_prime256v1:
        *curve_name = "P-256";
        return NID_sha256;
    case NID_secp384r1:
        *curve_name = "P-384";
        return NID_sha384;
    case NID_secp521r1:
        *curve_name = "P-521";
        return NID_sha512;
    default:
        *curve_name = "an unsupported curve";
        return NID_undef;
    }
}

/* The NID of an AlgorithmIdentifier's OID (NID_undef when unreadable). */
static int alg_oid_nid(const lint_tlv *alg)
{
    lint_der r;
    lint_tlv oid;

    hsmca_lint_der_enter(alg, &r);
    if (hsmca_lint_der_next(&r, &oid) != 1 || oid.tag != V_ASN1_OBJECT)
        return NID_undef;
    return hsmca_lint_der_oid_nid(&oid);
}

/* BR 7.1.3.2: the algorithm alg names is one c->issuer_key (whose: "the
 * issuer's", "the signer's") signs with. Judged on the OID and hash, so
 * this stands on its own when the exact-bytes rule is skipped. */
static hsmca_err sig_alg_fits_key(lint_ctx *c, const lint_tlv *alg, const char *whose)
{
    EVP_PKEY *key = c->issuer_key;
    int sig_nid = alg_oid_nid(alg), md = NID_undef, pk = NID_undef;
    int is_rsa_key, is_ec_key;
    char name[64];

    if (key == NULL)
        return hsmca_lint_report(c, "%s public key cannot be read", whose);
    is_rsa_key = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA ||
                 EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA_PSS;
    is_ec_key = EVP_PKEY_get_base_id(key) == EVP_PKEY_EC;
    alg_oid_name(alg, name, sizeof name);
    if (sig_nid == NID_rsassaPss) {
        const sig_alg_def *d = find_sig_alg(alg);

        pk = NID_rsaEncryption;
        md = d != NULL ? d->hash_nid : NID_undef;
    } else if (sig_nid == NID_undef || !OBJ_find_sigid_algs(sig_nid, &md, &pk)) {
        return hsmca_lint_report(c, "signature algorithm %s is unknown", name);
    }
    if (is_rsa_key) {
        if (pk != NID_rsaEncryption)
            return hsmca_lint_report(c, "signature algorithm %s does not fit %s RSA key "
                                        "(BR 7.1.3.2.1)",
                                     name, whose);
        if (md != NID_sha256 && md != NID_sha384 && md != NID_sha512)
            return hsmca_lint_report(c, "signature algorithm %s: RSA signatures use SHA-256, "
                                        "SHA-384 or SHA-512 (BR 7.1.3.2.1)",
                                     name);
        return HSMCA_OK;
    }
    if (is_ec_key) {
        const char *curve = NULL;
        int want = curve_hash(hsmca_lint_ec_curve_nid(key), &curve);

        if (want == NID_undef)
            return hsmca_lint_report(c, "%s key is on %s", whose, curve);
        if (pk != NID_X9_62_id_ecPublicKey || md != want)
            return hsmca_lint_report(c, "signature algorithm %s does not fit %s %s key: BR "
                                        "7.1.3.2.2 requires ecdsa-with-%s",
                                     name, whose, curve, OBJ_nid2sn(want));
        return HSMCA_OK;
    }
    return hsmca_lint_report(c, "%s key type %s cannot sign under BR 7.1.3.2", whose,
                             OBJ_nid2sn(EVP_PKEY_get_base_id(key)));
}

/* cabf.common.signature_algorithm_issuer_key: BR 7.1.3.2. The certificate
 * was signed by a throwaway key, so the signature cannot be verified with the
 * issuer's key; what must hold is that the algorithm is the one the issuer's
 * key will use. */
hsmca_err hsmca_lint_check_sig_alg_issuer_key(lint_ctx *c)
{
    return sig_alg_fits_key(c, &c->lc.sig_alg, "the issuer's");
}

/* ---- CRLs and OCSP responses: the same BR 7.1.3.2 checks ---- */

/* rfc5280.crl.signature_algorithm_match: RFC 5280 §5.1.1.2 ("MUST contain
 * the same algorithm identifier as the signature field in the sequence
 * tbsCertList") */
hsmca_err hsmca_lint_check_crl_sig_alg_match(lint_ctx *c)
{
    return sig_alg_match(c, &c->so.tbs_sig_alg, &c->so.sig_alg, "tbsCertList.signature");
}

/* cabf.crl.signature_algorithm_encoding: BR 7.1.3.2 (the signature field
 * of a TBSCertList; the outer copy is the match rule's) */
hsmca_err hsmca_lint_check_crl_sig_alg_encoding(lint_ctx *c)
{
    return sig_alg_encoding(c, &c->so.tbs_sig_alg, "tbsCertList.signature");
}

/* cabf.crl.signature_algorithm_issuer_key: BR 7.1.3.2.1, 7.1.3.2.2 */
hsmca_err hsmca_lint_check_crl_sig_alg_issuer_key(lint_ctx *c)
{
    return sig_alg_fits_key(c, &c->so.tbs_sig_alg, "the issuer's");
}

/* cabf.ocsp.signature_algorithm_encoding: BR 7.1.3.2 (the
 * signatureAlgorithm field of a BasicOCSPResponse) */
hsmca_err hsmca_lint_check_ocsp_resp_sig_alg_encoding(lint_ctx *c)
{
    return sig_alg_encoding(c, &c->so.sig_alg, "BasicOCSPResponse.signatureAlgorithm");
}

/* cabf.ocsp.signature_algorithm_signer_key: BR 7.1.3.2.1, 7.1.3.2.2, for
 * the key that signed: the CA's, or its delegated responder's */
hsmca_err hsmca_lint_check_ocsp_resp_sig_alg_signer_key(lint_ctx *c)
{
    return sig_alg_fits_key(c, &c->so.sig_alg, "the signer's");
}

/* cabf.common.spki_algorithm_encoding: BR 7.1.3.1 (and the keys of 6.1.5) */
hsmca_err hsmca_lint_check_spki_alg_encoding(lint_ctx *c)
{
    static const char *const allowed[] = {
        "300d06092a864886f70d0101010500",             /* rsaEncryption, NULL */
        "301306072a8648ce3d020106082a8648ce3d030107", /* P-256 */
        "301006072a8648ce3d020106052b81040022",       /* P-384 */
        "301006072a8648ce3d020106052b81040023",       /* P-521 */
    };
    const lint_tlv *alg = &c->lc.spki_alg;
    char hex[96], name[64];

    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        if (LINT_TLV_EQUALS_HEX(alg, allowed[i])) {
            if (X509_get0_pubkey(c->cert) == NULL)
                return hsmca_lint_report(c, "the public key cannot be decoded");
            return HSMCA_OK;
        }
    }
    return hsmca_lint_report(c, "subjectPublicKeyInfo.algorithm %s (%s) is not an encoding "
                                "BR 7.1.3.1 allows",
                             hsmca_lint_hex(alg->der, alg->der_len, hex, sizeof hex),
                             alg_oid_name(alg, name, sizeof name));
}

/* One number of the subject's RSA key (OSSL_PKEY_PARAM_RSA_N or _E), or
 * NULL if it is not an RSA key (or cannot be read: spki_algorithm_encoding
 * reports that). Free with BN_free. */
static BIGNUM *rsa_param(lint_ctx *c, const char *name)
{
    EVP_PKEY *key = X509_get0_pubkey(c->cert);
    BIGNUM *v = NULL;
    int id;

    if (key == NULL)
        return NULL;
    id = EVP_PKEY_get_base_id(key);
    if (id != EVP_PKEY_RSA && id != EVP_PKEY_RSA_PSS)
        return NULL;
    if (!EVP_PKEY_get_bn_param(key, name, &v)) {
        BN_free(v);
        return NULL;
    }
    return v;
}

/* cabf.common.rsa_modulus_size: BR 6.1.5 */
hsmca_err hsmca_lint_check_rsa_modulus_size(lint_ctx *c)
{
    hsmca_err err = HSMCA_OK;
    BIGNUM *n = rsa_param(c, OSSL_PKEY_PARAM_RSA_N);

    if (n != NULL && BN_num_bits(n) < 2048)
        err = hsmca_lint_report(c, "RSA modulus is %d bits, below 2048", BN_num_bits(n));
    BN_free(n);
    return err;
}

/* cabf.common.rsa_modulus_divisible_by_8: BR 6.1.5 */
hsmca_err hsmca_lint_check_rsa_modulus_multiple(lint_ctx *c)
{
    hsmca_err err = HSMCA_OK;
    BIGNUM *n = rsa_param(c, OSSL_PKEY_PARAM_RSA_N);

    if (n != NULL && BN_num_bits(n) % 8 != 0)
        err = hsmca_lint_report(c, "RSA modulus is %d bits, not a multiple of 8",
                                BN_num_bits(n));
    BN_free(n);
    return err;
}

/* cabf.common.rsa_exponent: BR 6.1.6 */
hsmca_err hsmca_lint_check_rsa_exponent(lint_ctx *c)
{
    hsmca_err err = HSMCA_OK;
    BIGNUM *e = rsa_param(c, OSSL_PKEY_PARAM_RSA_E);

    if (e != NULL) {
        if (!BN_is_odd(e))
            err = hsmca_lint_report(c, "RSA public exponent is even");
        else if (BN_num_bits(e) < 2) /* 1: odd and below 3 */
            err = hsmca_lint_report(c, "RSA public exponent is below 3");
    }
    BN_free(e);
    return err;
}

/* cabf.common.rsa_exponent_range: BR 6.1.6 (SHOULD) */
hsmca_err hsmca_lint_check_rsa_exponent_range(lint_ctx *c)
{
    hsmca_err err = HSMCA_OK;
    BIGNUM *e = rsa_param(c, OSSL_PKEY_PARAM_RSA_E);

    if (e != NULL) {
        int bits = BN_num_bits(e);

        if (bits <= 17 && BN_get_word(e) < 65537)
            err = hsmca_lint_report(c, "RSA public exponent %lu is below 2^16+1",
                                    (unsigned long)BN_get_word(e));
        else if (bits > 256)
            err = hsmca_lint_report(c, "RSA public exponent has %d bits, above 2^256-1", bits);
    }
    BN_free(e);
    return err;
}

/* ---- §0 names ---- */

/* cabf.common.issuer_name_match: BR 7.1.4.1 */
hsmca_err hsmca_lint_check_issuer_name(lint_ctx *c)
{
    hsmca_err err = HSMCA_OK;
    const uint8_t *want;
    unsigned char *der = NULL;
    size_t want_len, i, n;
    int len;

    if (c->issuer == c->cert) {
        want = c->lc.subject.der; /* a root is its own issuer */
        want_len = c->lc.subject.der_len;
    } else {
        len = i2d_X509_NAME(X509_get_subject_name(c->issuer), &der);
        HSMCA_OSSL(len > 0, "cannot encode the issuing CA's subject");
        want = der;
        want_len = (size_t)len;
    }
    if (want_len == c->lc.issuer.der_len && memcmp(want, c->lc.issuer.der, want_len) == 0)
        goto out;
    n = want_len < c->lc.issuer.der_len ? want_len : c->lc.issuer.der_len;
    for (i = 0; i < n && want[i] == c->lc.issuer.der[i]; i++)
        ;
    err = hsmca_lint_report(c, "issuer (%zu octets) is not byte-identical to the %s subject "
                               "(%zu octets); first difference at octet %zu",
                            c->lc.issuer.der_len, c->issuer == c->cert ? "certificate's own"
                                                                       : "issuing CA's",
                            want_len, i);
out:
    OPENSSL_free(der);
    return err;
}

/* BR 7.1.4.2 order of the attributes it lists; -1 for the others, which
 * the order rule leaves alone. */
static int attr_rank(int nid)
{
    static const int order[] = {
        NID_domainComponent, NID_countryName, NID_stateOrProvinceName, NID_localityName,
        NID_postalCode, NID_streetAddress, NID_organizationName, NID_surname, NID_givenName,
        NID_organizationalUnitName, NID_commonName,
    };

    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (order[i] == nid)
            return (int)i;
    return -1;
}

/* cabf.common.name_one_ava_per_rdn: BR 7.1.4.1 */
hsmca_err hsmca_lint_check_name_one_ava(lint_ctx *c)
{
    hsmca_err err = HSMCA_OK;

    for (size_t i = 0; i < c->lc.n_avas; i++) {
        const lint_ava *a = &c->lc.avas[i];

        if (a->n_in_rdn > 1 && (i == 0 || c->lc.avas[i - 1].rdn != a->rdn))
            HSMCA_GUARD(hsmca_lint_report(c, "subject RDN %zu holds %zu attributes", a->rdn + 1,
                                          a->n_in_rdn));
    }
out:
    return err;
}

/* cabf.common.name_attribute_order: BR 7.1.4.1, 7.1.4.2 */
hsmca_err hsmca_lint_check_name_order(lint_ctx *c)
{
    const lint_ava *last = NULL;

    for (size_t i = 0; i < c->lc.n_avas; i++) {
        const lint_ava *a = &c->lc.avas[i];
        int rank = attr_rank(a->nid);

        if (rank < 0)
            continue;
        if (last != NULL && rank < attr_rank(last->nid))
            return hsmca_lint_report(c, "subject has %s after %s", OBJ_nid2sn(a->nid),
                                     OBJ_nid2sn(last->nid));
        last = a;
    }
    return HSMCA_OK;
}

/* 1 if the two elements are the same bytes. */
static int same_der(const lint_tlv *a, const lint_tlv *b)
{
    return a->der_len == b->der_len && memcmp(a->der, b->der, a->der_len) == 0;
}

/* cabf.common.name_duplicate_attribute: BR 7.1.4.1 ("MUST NOT contain more
 * than one instance of a given AttributeTypeAndValue ... unless explicitly
 * allowed": domainComponent and streetAddress are). */
hsmca_err hsmca_lint_check_name_duplicate(lint_ctx *c)
{
    hsmca_err err = HSMCA_OK;
    char buf[64];

    for (size_t i = 0; i < c->lc.n_avas; i++) {
        const lint_ava *a = &c->lc.avas[i];
        size_t seen = 0;

        if (a->nid == NID_domainComponent || a->nid == NID_streetAddress)
            continue;
        for (size_t j = 0; j < i; j++)
            seen += same_der(&c->lc.avas[j].oid, &a->oid);
        if (seen == 1) /* report the second instance once */
            HSMCA_GUARD(hsmca_lint_report(
                c, "subject has %s more than once",
                hsmca_lint_oid_name(&a->oid, a->nid, buf, sizeof buf)));
    }
out:
    return err;
}

/* cabf.common.name_country: BR 7.1.4.2 */
hsmca_err hsmca_lint_check_name_country(lint_ctx *c)
{
    hsmca_err err = HSMCA_OK;

    for (size_t i = 0; i < c->lc.n_avas; i++) {
        const lint_tlv *v = &c->lc.avas[i].value;

        if (c->lc.avas[i].nid != NID_countryName)
            continue;
        if (v->tag != V_ASN1_PRINTABLESTRING)
            HSMCA_GUARD(hsmca_lint_report(c, "countryName is %s, not PrintableString",
                                          ASN1_tag2str((int)(v->tag & 0x1f))));
        else if (v->len != 2 || v->val[0] < 'A' || v->val[0] > 'Z' || v->val[1] < 'A' ||
                 v->val[1] > 'Z')
            HSMCA_GUARD(hsmca_lint_report(c, "countryName is not two upper-case letters "
                                             "(ISO 3166-1 alpha-2 or XX)"));
    }
out:
    return err;
}

/* X.680 §41.4 PrintableString characters. */
static int printable_ok(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = p[i];

        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              strchr(" '()+,-./:=?", ch) != NULL) ||
            ch == '\0')
            return 0;
    }
    return 1;
}

/* Code points in well-formed UTF-8 (RFC 3629), or -1. */
static long utf8_chars(const uint8_t *p, size_t n)
{
    long count = 0;

    for (size_t i = 0; i < n; count++) {
        uint8_t b = p[i];
        size_t more;
        uint32_t cp, min;

        if (b < 0x80) {
            i++;
            continue;
        } else if ((b & 0xe0) == 0xc0) {
            more = 1, cp = b & 0x1f, min = 0x80;
        } else if ((b & 0xf0) == 0xe0) {
            more = 2, cp = b & 0x0f, min = 0x800;
        } else if ((b & 0xf8) == 0xf0) {
            more = 3, cp = b & 0x07, min = 0x10000;
        } else {
            return -1;
        }
        if (n - i <= more)
            return -1;
        for (size_t k = 1; k <= more; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return -1;
            cp = cp << 6 | (p[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return -1;
        i += more + 1;
    }
    return count;
}

/* cabf.common.name_string_type: BR 7.1.4.2 */
hsmca_err hsmca_lint_check_name_string_type(lint_ctx *c)
{
    hsmca_err err = HSMCA_OK;
    char buf[64];

    for (size_t i = 0; i < c->lc.n_avas; i++) {
        const lint_ava *a = &c->lc.avas[i];
        const lint_tlv *v = &a->value;
        const char *name = hsmca_lint_oid_name(&a->oid, a->nid, buf, sizeof buf);

        if (a->nid == NID_countryName) /* cabf.common.name_country */
            continue;
        if (a->nid == NID_domainComponent) {
            int ok = v->tag == V_ASN1_IA5STRING;

            for (size_t k = 0; ok && k < v->len; k++)
                ok = v->val[k] < 0x80;
            if (!ok)
                HSMCA_GUARD(hsmca_lint_report(c, "%s is not an ASCII IA5String", name));
            continue;
        }
        if (a->nid == NID_serialNumber || a->nid == NID_jurisdictionCountryName) {
            if (v->tag != V_ASN1_PRINTABLESTRING || !printable_ok(v->val, v->len))
                HSMCA_GUARD(hsmca_lint_report(c, "%s is not a valid PrintableString", name));
            continue;
        }
        if (v->tag == V_ASN1_PRINTABLESTRING) {
            if (!printable_ok(v->val, v->len))
                HSMCA_GUARD(hsmca_lint_report(c, "%s has characters PrintableString does not "
                                                 "allow",
                                              name));
        } else if (v->tag == V_ASN1_UTF8STRING) {
            if (utf8_chars(v->val, v->len) < 0)
                HSMCA_GUARD(hsmca_lint_report(c, "%s is not well-formed UTF-8", name));
        } else {
            HSMCA_GUARD(hsmca_lint_report(c, "%s is %s, not UTF8String or PrintableString", name,
                                          ASN1_tag2str((int)(v->tag & 0x1f))));
        }
    }
out:
    return err;
}

/* cabf.common.name_attribute_length: RFC 5280 Appendix A upper bounds
 * (ub-common-name 64, ub-organization-name 64, ub-organizational-unit-name
 * 64, ub-serial-number 64, ub-locality-name 128, ub-state-name 128), which
 * BR 7.1.4.2 keeps. Counted in characters. */
hsmca_err hsmca_lint_check_name_length(lint_ctx *c)
{
    hsmca_err err = HSMCA_OK;

    for (size_t i = 0; i < c->lc.n_avas; i++) {
        const lint_ava *a = &c->lc.avas[i];
        long chars, max;

        switch (a->nid) {
        case NID_commonName:
        case NID_organizationName:
        case NID_organizationalUnitName:
        case NID_serialNumber:
            max = 64;
            break;
        case NID_localityName:
        case NID_stateOrProvinceName:
            max = 128;
            break;
        default:
            continue;
        }
        chars = a->value.tag == V_ASN1_UTF8STRING ? utf8_chars(a->value.val, a->value.len)
                                                  : (long)a->value.len;
        if (chars > max)
            HSMCA_GUARD(hsmca_lint_report(c, "%s has %ld characters, more than %ld",
                                          OBJ_nid2sn(a->nid), chars, max));
    }
out:
    return err;
}

/* ---- §0 times ---- */

static const char *time_name(const lint_ctx *c, const lint_tlv *t)
{
    return t == &c->lc.not_before ? "notBefore" : "notAfter";
}

/* The time's text, safe to print. */
static const char *time_text(const lint_tlv *t, char *buf, size_t len)
{
    size_t o = 0;

    for (size_t i = 0; i < t->len && o + 1 < len; i++)
        buf[o++] = t->val[i] >= 0x20 && t->val[i] < 0x7f ? (char)t->val[i] : '?';
    buf[o] = '\0';
    return buf;
}

/* rfc5280.validity.time_type: RFC 5280 §4.1.2.5 */
hsmca_err hsmca_lint_check_time_type(lint_ctx *c)
{
    hsmca_err err = HSMCA_OK;
    const lint_tlv *ts[2] = {&c->lc.not_before, &c->lc.not_after};
    const lint_time *lt[2] = {&c->not_before, &c->not_after};
    char buf[40];

    for (size_t i = 0; i < 2; i++) {
        const lint_tlv *t = ts[i];

        if (t->tag != V_ASN1_UTCTIME && t->tag != V_ASN1_GENERALIZEDTIME) {
            HSMCA_GUARD(hsmca_lint_report(c, "%s has tag 0x%02x, neither UTCTime nor "
                                             "GeneralizedTime",
                                          time_name(c, t), t->tag));
        } else if (!lt[i]->ok) {
            continue; /* rfc5280.validity.time_format */
        } else if (t->tag == V_ASN1_GENERALIZEDTIME && lt[i]->year < 2050) {
            HSMCA_GUARD(hsmca_lint_report(c, "%s is GeneralizedTime %s: dates through 2049 "
                                             "MUST be UTCTime",
                                          time_name(c, t), time_text(t, buf, sizeof buf)));
        } else if (t->tag == V_ASN1_UTCTIME && lt[i]->year < 2000) {
            /* UTCTime 50..99 reads as 1950..1999 (§4.1.2.5.1): nothing this
             * CA signs is valid then, so the date meant was 2050 or later. */
            HSMCA_GUARD(hsmca_lint_report(c, "%s is UTCTime %s, i.e. %lld: a date from 2050 "
                                             "MUST be GeneralizedTime",
                                          time_name(c, t), time_text(t, buf, sizeof buf),
                                          (long long)lt[i]->year));
        }
    }
out:
    return err;
}

/* rfc5280.validity.time_format: RFC 5280 §4.1.2.5.1 (YYMMDDHHMMSSZ) and
 * §4.1.2.5.2 (YYYYMMDDHHMMSSZ, no fractional seconds) */
hsmca_err hsmca_lint_check_time_format(lint_ctx *c)
{
    hsmca_err err = HSMCA_OK;
    const lint_tlv *ts[2] = {&c->lc.not_before, &c->lc.not_after};
    const lint_time *lt[2] = {&c->not_before, &c->not_after};
    char buf[40];

    for (size_t i = 0; i < 2; i++) {
        if (lt[i]->strict)
            continue;
        if (ts[i]->tag != V_ASN1_UTCTIME && ts[i]->tag != V_ASN1_GENERALIZEDTIME)
            continue; /* rfc5280.validity.time_type */
        HSMCA_GUARD(hsmca_lint_report(
            c, "%s \"%s\" is not %s", time_name(c, ts[i]), time_text(ts[i], buf, sizeof buf),
            ts[i]->tag == V_ASN1_UTCTIME ? "YYMMDDHHMMSSZ" : "YYYYMMDDHHMMSSZ"));
    }
out:
    return err;
}

/* rfc5280.validity.order: RFC 5280 §4.1.2.5 */
hsmca_err hsmca_lint_check_validity_order(lint_ctx *c)
{
    char a[32], b[32];

    if (!c->not_before.ok || !c->not_after.ok)
        return hsmca_lint_report(c, "%s cannot be read", c->not_before.ok ? "notAfter"
                                                                          : "notBefore");
    if (c->not_before.t > c->not_after.t)
        return hsmca_lint_report(c, "notBefore %s is after notAfter %s",
                                 hsmca_clock_format(c->not_before.t, a, sizeof a),
                                 hsmca_clock_format(c->not_after.t, b, sizeof b));
    return HSMCA_OK;
}

/* ---- §1 serial ---- */

/* rfc5280.serial.positive: RFC 5280 §4.1.2.2, BR 7.1.2.x "greater than zero" */
hsmca_err hsmca_lint_check_serial_positive(lint_ctx *c)
{
    const lint_tlv *s = &c->lc.serial;
    size_t i;

    if (s->len == 0)
        return hsmca_lint_report(c, "serial INTEGER is empty");
    if (s->val[0] & 0x80)
        return hsmca_lint_report(c, "serial is negative (first octet 0x%02x)", s->val[0]);
    for (i = 0; i < s->len && s->val[i] == 0; i++)
        ;
    if (i == s->len)
        return hsmca_lint_report(c, "serial is zero");
    return HSMCA_OK;
}

/* rfc5280.serial.length: RFC 5280 §4.1.2.2 */
hsmca_err hsmca_lint_check_serial_length(lint_ctx *c)
{
    if (c->lc.serial.len > 20)
        return hsmca_lint_report(c, "serial is %zu octets, more than 20", c->lc.serial.len);
    return HSMCA_OK;
}

/* rfc5280.serial.minimal: X.690 §8.3.2 */
hsmca_err hsmca_lint_check_serial_minimal(lint_ctx *c)
{
    const lint_tlv *s = &c->lc.serial;

    if (s->len > 1 && ((s->val[0] == 0x00 && !(s->val[1] & 0x80)) ||
                       (s->val[0] == 0xff && (s->val[1] & 0x80))))
        return hsmca_lint_report(c, "serial INTEGER has a redundant leading octet 0x%02x",
                                 s->val[0]);
    return HSMCA_OK;
}

/* cabf.common.serial_entropy: BR 7.1, 64 bits from a CSPRNG. A positive
 * INTEGER of 8 octets has its top bit clear, so it holds at most 63 bits
 * (the "63-bit serial" problem); 64 random bits need 9 encoded octets. */
hsmca_err hsmca_lint_check_serial_entropy(lint_ctx *c)
{
    if (c->lc.serial.len < 9)
        return hsmca_lint_report(c, "serial is %zu octets: too short to carry 64 CSPRNG bits "
                                    "(use 9 or more)",
                                 c->lc.serial.len);
    return HSMCA_OK;
}

/* ---- §0 extensions ---- */

/* rfc5280.ext.duplicate: RFC 5280 §4.2 "MUST NOT include more than one
 * instance of a particular extension" */
hsmca_err hsmca_lint_check_ext_duplicate(lint_ctx *c)
{
    hsmca_err err = HSMCA_OK;
    char buf[64];

    for (size_t i = 0; i < c->lc.n_exts; i++) {
        const lint_ext *e = &c->lc.exts[i];
        size_t seen = 0;

        for (size_t j = 0; j < i; j++)
            seen += same_der(&c->lc.exts[j].oid, &e->oid);
        if (seen == 1)
            HSMCA_GUARD(hsmca_lint_report(c, "%s appears more than once",
                                          hsmca_lint_ext_name(e, buf, sizeof buf)));
    }
out:
    return err;
}

/* cabf.common.extension_criticality: RFC 5280 §4.2.1.1 (AKI) and §4.2.1.2
 * (SKI) "MUST mark this extension as non-critical", §4.2.2.1 (AIA) likewise;
 * BR 7.1.2 profile tables: CP, EKU, CRLDP not critical. */
hsmca_err hsmca_lint_check_ext_criticality(lint_ctx *c)
{
    static const int non_critical[] = {
        NID_authority_key_identifier, NID_subject_key_identifier, NID_certificate_policies,
        NID_ext_key_usage, NID_crl_distribution_points, NID_info_access,
    };
    hsmca_err err = HSMCA_OK;

    for (size_t i = 0; i < c->lc.n_exts; i++) {
        const lint_ext *e = &c->lc.exts[i];

        if (!e->critical)
            continue;
        for (size_t k = 0; k < sizeof non_critical / sizeof non_critical[0]; k++)
            if (e->nid == non_critical[k])
                HSMCA_GUARD(hsmca_lint_report(c, "%s is critical", OBJ_nid2sn(e->nid)));
    }
out:
    return err;
}

/* cabf.common.aki_missing: BR 7.1.2.11.1 */
hsmca_err hsmca_lint_check_aki_missing(lint_ctx *c)
{
    return hsmca_lint_ext_required(c, NID_authority_key_identifier, "authorityKeyIdentifier");
}

/* cabf.common.aki_key_id_only: BR 7.1.2.11.1 */
hsmca_err hsmca_lint_check_aki_key_id_only(lint_ctx *c)
{
    const lint_ext *e;
    AUTHORITY_KEYID *aki =
        hsmca_lint_ext_get(c, NID_authority_key_identifier, ASN1_ITEM_rptr(AUTHORITY_KEYID), &e);
    hsmca_err err = HSMCA_OK;

    if (e == NULL)
        return HSMCA_OK;
    if (aki == NULL)
        return hsmca_lint_report(c, "authorityKeyIdentifier is malformed");
    if (aki->issuer != NULL || aki->serial != NULL)
        err = hsmca_lint_report(c, "authorityKeyIdentifier has %s%s%s",
                                aki->issuer ? "authorityCertIssuer" : "",
                                aki->issuer && aki->serial ? " and " : "",
                                aki->serial ? "authorityCertSerialNumber" : "");
    else if (aki->keyid == NULL)
        err = hsmca_lint_report(c, "authorityKeyIdentifier has no keyIdentifier");
    AUTHORITY_KEYID_free(aki);
    return err;
}

/* The SKI the AKI must equal: the issuer's (a root's own). */
static const ASN1_OCTET_STRING *issuer_ski(lint_ctx *c, ASN1_OCTET_STRING **owned)
{
    const lint_ext *e;

    *owned = NULL;
    if (c->issuer != c->cert)
        return X509_get0_subject_key_id(c->issuer);
    e = hsmca_lint_ext_find(c, NID_subject_key_identifier);
    if (e == NULL)
        return NULL;
    *owned = hsmca_lint_ext_decode(e, ASN1_ITEM_rptr(ASN1_OCTET_STRING));
    return *owned;
}

/* cabf.common.aki_matches_issuer_ski: BR 7.1.2.11.1, 7.1.2.1.3 */
hsmca_err hsmca_lint_check_aki_matches(lint_ctx *c)
{
    const lint_ext *e = hsmca_lint_ext_find(c, NID_authority_key_identifier);
    AUTHORITY_KEYID *aki = NULL;
    ASN1_OCTET_STRING *owned = NULL;
    const ASN1_OCTET_STRING *ski;
    hsmca_err err = HSMCA_OK;
    char a[48], b[48];

    if (e == NULL)
        return HSMCA_OK;
    aki = hsmca_lint_ext_decode(e, ASN1_ITEM_rptr(AUTHORITY_KEYID));
    if (aki == NULL || aki->keyid == NULL)
        goto out; /* cabf.common.aki_key_id_only */
    ski = issuer_ski(c, &owned);
    if (ski == NULL) {
        err = hsmca_lint_report(c, "the %s has no subjectKeyIdentifier to match",
                                c->issuer == c->cert ? "certificate" : "issuing CA");
    } else if (ASN1_OCTET_STRING_cmp(aki->keyid, ski) != 0) {
        err = hsmca_lint_report(
            c, "keyIdentifier %s differs from the %s subjectKeyIdentifier %s",
            hsmca_lint_hex(ASN1_STRING_get0_data(aki->keyid),
                           (size_t)ASN1_STRING_length(aki->keyid), a, sizeof a),
            c->issuer == c->cert ? "certificate's own" : "issuing CA's",
            hsmca_lint_hex(ASN1_STRING_get0_data(ski), (size_t)ASN1_STRING_length(ski), b,
                           sizeof b));
    }
out:
    ASN1_OCTET_STRING_free(owned);
    AUTHORITY_KEYID_free(aki);
    return err;
}

/* cabf.common.aia_http: BR 7.1.2.10.3 (CA), 7.1.2.7.7 (subscriber): only
 * id-ad-ocsp and id-ad-caIssuers, each a uniformResourceIdentifier with the
 * http scheme. */
hsmca_err hsmca_lint_check_aia_http(lint_ctx *c)
{
    const lint_ext *e;
    AUTHORITY_INFO_ACCESS *aia =
        hsmca_lint_ext_get(c, NID_info_access, ASN1_ITEM_rptr(AUTHORITY_INFO_ACCESS), &e);
    hsmca_err err = HSMCA_OK;
    char buf[64];

    if (e == NULL)
        return HSMCA_OK;
    if (aia == NULL)
        return hsmca_lint_report(c, "authorityInfoAccess is malformed");
    for (int i = 0; i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
        ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
        int m = OBJ_obj2nid(ad->method);

        if (m != NID_ad_OCSP && m != NID_ad_ca_issuers) {
            OBJ_obj2txt(buf, sizeof buf, ad->method, 0);
            HSMCA_GUARD(hsmca_lint_report(c, "authorityInfoAccess has access method %s", buf));
        } else if (ad->location->type != GEN_URI ||
                   !hsmca_lint_is_http_uri(ad->location->d.uniformResourceIdentifier)) {
            HSMCA_GUARD(hsmca_lint_report(c, "authorityInfoAccess %s location is not an "
                                             "http:// URI",
                                          OBJ_nid2sn(m)));
        }
    }
out:
    AUTHORITY_INFO_ACCESS_free(aia);
    return err;
}

/* cabf.common.crldp_shape: BR 7.1.2.11.2 */
hsmca_err hsmca_lint_check_crldp_shape(lint_ctx *c)
{
    const lint_ext *e;
    CRL_DIST_POINTS *dps =
        hsmca_lint_ext_get(c, NID_crl_distribution_points, ASN1_ITEM_rptr(CRL_DIST_POINTS), &e);
    DIST_POINT *dp;
    hsmca_err err = HSMCA_OK;

    if (e == NULL)
        return HSMCA_OK;
    if (dps == NULL)
        return hsmca_lint_report(c, "cRLDistributionPoints is malformed");
    if (sk_DIST_POINT_num(dps) != 1) {
        HSMCA_GUARD(hsmca_lint_report(c, "cRLDistributionPoints has %d DistributionPoints, "
                                         "not one",
                                      sk_DIST_POINT_num(dps)));
        goto out;
    }
    dp = sk_DIST_POINT_value(dps, 0);
    if (dp->reasons != NULL)
        HSMCA_GUARD(hsmca_lint_report(c, "the DistributionPoint has reasons"));
    if (dp->CRLissuer != NULL)
        HSMCA_GUARD(hsmca_lint_report(c, "the DistributionPoint has cRLIssuer"));
    if (dp->distpoint == NULL || dp->distpoint->type != 0 ||
        sk_GENERAL_NAME_num(dp->distpoint->name.fullname) < 1) {
        HSMCA_GUARD(hsmca_lint_report(c, "the DistributionPoint has no fullName"));
        goto out;
    }
    for (int i = 0; i < sk_GENERAL_NAME_num(dp->distpoint->name.fullname); i++) {
        GENERAL_NAME *gn = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, i);

        if (gn->type != GEN_URI || !hsmca_lint_is_http_uri(gn->d.uniformResourceIdentifier))
            HSMCA_GUARD(hsmca_lint_report(c, "fullName entry %d is not an http:// URI", i + 1));
    }
out:
    CRL_DIST_POINTS_free(dps);
    return err;
}

/* cabf.common.unexpected_extension: each BR profile ends with "Any other
 * extension: NOT RECOMMENDED". The allow-lists name every extension the
 * profile lists, including those another rule judges (EKU on a root: MUST
 * NOT, cabf.root.eku_present; SKI on a leaf: cabf.leaf.ski.present), so each
 * problem is reported once. The CT poison and SCT list are judged for every
 * kind by the rfc6962.* rules (rules_leaf.c), so they are never reported
 * here. */
hsmca_err hsmca_lint_check_unexpected_ext(lint_ctx *c)
{
    enum { MAX_ALLOWED = 16 };
    static const struct {
        hsmca_profile_kind kind;
        const char *source;
        int nids[MAX_ALLOWED];
    } profiles[] = {
        {HSMCA_PROFILE_ROOT, "BR 7.1.2.1.2",
         {NID_authority_key_identifier, NID_basic_constraints, NID_key_usage,
          NID_subject_key_identifier, NID_ext_key_usage, NID_certificate_policies,
          NID_crl_distribution_points}},
        {HSMCA_PROFILE_SUBORDINATE, "BR 7.1.2.6.1",
         {NID_authority_key_identifier, NID_basic_constraints, NID_certificate_policies,
          NID_crl_distribution_points, NID_ext_key_usage, NID_key_usage,
          NID_subject_key_identifier, NID_info_access, NID_name_constraints}},
        {HSMCA_PROFILE_PRECERT_SIGNER, "BR 7.1.2.4.1",
         {NID_authority_key_identifier, NID_basic_constraints, NID_certificate_policies,
          NID_crl_distribution_points, NID_ext_key_usage, NID_key_usage,
          NID_subject_key_identifier, NID_info_access}},
        {HSMCA_PROFILE_OCSP_RESPONDER, "BR 7.1.2.8.2",
         {NID_authority_key_identifier, NID_ext_key_usage, NID_id_pkix_OCSP_noCheck,
          NID_key_usage, NID_basic_constraints, NID_subject_key_identifier, NID_info_access,
          NID_certificate_policies, NID_crl_distribution_points, NID_subject_alt_name,
          NID_name_constraints}},
        /* Both the precertificate (poison) and the final (SCT list):
         * rfc6962.* tell which one belongs; noRevAvail is judged by
         * cabf.leaf.no_rev_avail.*, nameConstraints by
         * cabf.leaf.name_constraints.present. */
        {HSMCA_PROFILE_TLS_SERVER, "BR 7.1.2.7.6",
         {NID_info_access, NID_authority_key_identifier, NID_certificate_policies,
          NID_ext_key_usage, NID_subject_alt_name, NID_name_constraints, NID_key_usage,
          NID_basic_constraints, NID_crl_distribution_points, NID_ct_precert_scts,
          NID_subject_key_identifier, NID_ct_precert_poison, NID_no_rev_avail}},
    };
    hsmca_err err = HSMCA_OK;
    char buf[64];

    for (size_t p = 0; p < sizeof profiles / sizeof profiles[0]; p++) {
        if (profiles[p].kind != c->in->kind)
            continue;
        for (size_t i = 0; i < c->lc.n_exts; i++) {
            const lint_ext *e = &c->lc.exts[i];
            int listed = 0;

            /* rfc6962.cert.poison, rfc6962.cert.sct_list */
            if (e->nid == NID_ct_precert_poison || e->nid == NID_ct_precert_scts)
                continue;
            for (size_t k = 0; k < MAX_ALLOWED && profiles[p].nids[k] != 0; k++)
                listed |= e->nid == profiles[p].nids[k];
            if (!listed)
                HSMCA_GUARD(hsmca_lint_report(c, "%s is not in the %s profile (%s: any other "
                                                 "extension is NOT RECOMMENDED)",
                                              hsmca_lint_ext_name(e, buf, sizeof buf),
                                              hsmca_profile_kind_name(c->in->kind),
                                              profiles[p].source));
        }
    }
out:
    return err;
}

/* ---- checks several profiles share (the rule functions in rules_ca.c and
 * rules_leaf.c pass their names and lists) ---- */

int hsmca_lint_validity_period(const lint_ctx *c, hsmca_time *out)
{
    if (!c->not_before.ok || !c->not_after.ok)
        return 0;
    *out = c->not_after.t - c->not_before.t + 1;
    return 1;
}

hsmca_err hsmca_lint_ext_required(lint_ctx *c, int nid, const char *name)
{
    if (hsmca_lint_ext_find(c, nid) == NULL)
        return hsmca_lint_report(c, "no %s", name);
    return HSMCA_OK;
}

hsmca_err hsmca_lint_ext_unwanted(lint_ctx *c, int nid, const char *who, const char *name)
{
    if (hsmca_lint_ext_find(c, nid) != NULL)
        return hsmca_lint_report(c, "%s has %s", who, name);
    return HSMCA_OK;
}

hsmca_err hsmca_lint_ext_critical(lint_ctx *c, int nid, const char *name)
{
    const lint_ext *e = hsmca_lint_ext_find(c, nid);

    if (e != NULL && !e->critical)
        return hsmca_lint_report(c, "%s is not critical", name);
    return HSMCA_OK;
}

int hsmca_lint_eku_has(const EXTENDED_KEY_USAGE *eku, int nid)
{
    for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++)
        if (OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) == nid)
            return 1;
    return 0;
}

/* cabf.subordinate.eku_server_auth (BR 7.1.2.10.6) and
 * cabf.leaf.eku.server_auth (BR 7.1.2.7.10): id-kp-serverAuth MUST; an
 * absent extension is left to the profile's "missing" rule. */
hsmca_err hsmca_lint_check_eku_server_auth(lint_ctx *c)
{
    const lint_ext *e;
    EXTENDED_KEY_USAGE *eku =
        hsmca_lint_ext_get(c, NID_ext_key_usage, ASN1_ITEM_rptr(EXTENDED_KEY_USAGE), &e);
    hsmca_err err = HSMCA_OK;

    if (e == NULL)
        return HSMCA_OK; /* the profile's eku missing rule */
    if (eku == NULL)
        return hsmca_lint_report(c, "extKeyUsage is malformed");
    if (!hsmca_lint_eku_has(eku, NID_server_auth))
        err = hsmca_lint_report(c, "extKeyUsage has no id-kp-serverAuth");
    EXTENDED_KEY_USAGE_free(eku);
    return err;
}

hsmca_err hsmca_lint_eku_forbidden(lint_ctx *c, const int *forbidden, size_t n)
{
    const lint_ext *e;
    EXTENDED_KEY_USAGE *eku =
        hsmca_lint_ext_get(c, NID_ext_key_usage, ASN1_ITEM_rptr(EXTENDED_KEY_USAGE), &e);
    hsmca_err err = HSMCA_OK;

    if (eku == NULL)
        return HSMCA_OK;
    for (size_t i = 0; i < n; i++)
        if (hsmca_lint_eku_has(eku, forbidden[i]))
            HSMCA_GUARD(hsmca_lint_report(c, "extKeyUsage has %s", OBJ_nid2ln(forbidden[i])));
out:
    EXTENDED_KEY_USAGE_free(eku);
    return err;
}

hsmca_err hsmca_lint_eku_other(lint_ctx *c, const int *forbidden, size_t n)
{
    const lint_ext *e;
    EXTENDED_KEY_USAGE *eku =
        hsmca_lint_ext_get(c, NID_ext_key_usage, ASN1_ITEM_rptr(EXTENDED_KEY_USAGE), &e);
    hsmca_err err = HSMCA_OK;
    char buf[80];

    if (eku == NULL)
        return HSMCA_OK;
    for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
        const ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);
        int nid = OBJ_obj2nid(o), known = nid == NID_server_auth || nid == NID_client_auth;

        for (size_t k = 0; k < n; k++)
            known |= nid == forbidden[k]; /* the forbidden rule reports these */
        if (!known) {
            OBJ_obj2txt(buf, sizeof buf, o, 0);
            HSMCA_GUARD(hsmca_lint_report(c, "extKeyUsage has %s", buf));
        }
    }
out:
    EXTENDED_KEY_USAGE_free(eku);
    return err;
}

hsmca_err hsmca_lint_cp_repeated(lint_ctx *c, const CERTIFICATEPOLICIES *cp, int i)
{
    const POLICYINFO *pi = sk_POLICYINFO_value(cp, i);
    char buf[80];

    for (int j = 0; j < i; j++) {
        if (OBJ_cmp(sk_POLICYINFO_value(cp, j)->policyid, pi->policyid) == 0) {
            OBJ_obj2txt(buf, sizeof buf, pi->policyid, 1);
            return hsmca_lint_report(c, "policy %s appears more than once", buf);
        }
    }
    return HSMCA_OK;
}
