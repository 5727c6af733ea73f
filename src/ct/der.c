/* hsmca — a small strict DER walker for certificates (src/ct/ct_int.h).
 *
 * The precert TBS without poison (RFC 6962 §3.2) and the correspondence
 * check (BR 7.1.2.9; Boulder precert/corr.go) both work on the bytes as
 * signed, not on OpenSSL's decoded structs, so a re-encoding cannot hide or
 * invent a difference. Every read is bounded by its enclosing element and
 * nothing recurses: a certificate is three levels deep here (Certificate,
 * TBSCertificate, Extensions) and each level is a flat loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>

#include "ct/ct_int.h"

const uint8_t hsmca_ct_oid_poison[10] = { 0x2b, 0x06, 0x01, 0x04, 0x01,
                                          0xd6, 0x79, 0x02, 0x04, 0x03 };
const uint8_t hsmca_ct_oid_sct_list[10] = { 0x2b, 0x06, 0x01, 0x04, 0x01,
                                            0xd6, 0x79, 0x02, 0x04, 0x02 };

const char *const ct_tbs_field_names[CT_TBS_FIXED] = {
    "version", "serialNumber", "signature (AlgorithmIdentifier)", "issuer",
    "validity", "subject", "subjectPublicKeyInfo",
};

/* X.690 tags used below. */
#define TAG_BOOLEAN 0x01
#define TAG_BIT_STRING 0x03
#define TAG_OCTET_STRING 0x04
#define TAG_OID 0x06
#define TAG_SEQUENCE 0x30
#define TAG_CTX0_CONS 0xa0 /* version [0] EXPLICIT */
#define TAG_CTX1_PRIM 0x81 /* issuerUniqueID [1] IMPLICIT BIT STRING */
#define TAG_CTX2_PRIM 0x82 /* subjectUniqueID [2] IMPLICIT BIT STRING */
#define TAG_CTX3_CONS 0xa3 /* extensions [3] EXPLICIT */

hsmca_err ct_der_next(hsmca_reader *r, ct_tlv *out, const char *what)
{
    hsmca_err err = HSMCA_OK;
    size_t start = r->off, left = hsmca_reader_remaining(r), hdr = 2, len;
    const uint8_t *p;

    HSMCA_ENSURE(left >= 2, HSMCA_E_INPUT, "%s: truncated DER element at offset %zu", what,
                 start);
    p = r->p + r->off;
    /* X.690 §8.1.2.4: the high-tag-number form never occurs in X.509. */
    HSMCA_ENSURE((p[0] & 0x1f) != 0x1f, HSMCA_E_INPUT,
                 "%s: unexpected multi-octet DER tag at offset %zu", what, start);
    if (p[1] < 0x80) {
        len = p[1];
    } else {
        size_t n = p[1] & 0x7f;

        /* X.690 §10.1: definite length (0x80 is BER's indefinite form) in
         * the fewest octets; 4 octets is far beyond any certificate. */
        HSMCA_ENSURE(n != 0, HSMCA_E_INPUT,
                     "%s: indefinite length at offset %zu (BER, not DER)", what, start);
        HSMCA_ENSURE(n <= 4 && left >= 2 + n, HSMCA_E_INPUT,
                     "%s: bad DER length at offset %zu", what, start);
        HSMCA_ENSURE(p[2] != 0, HSMCA_E_INPUT,
                     "%s: non-minimal DER length at offset %zu", what, start);
        len = 0;
        for (size_t i = 0; i < n; i++)
            len = (len << 8) | p[2 + i];
        HSMCA_ENSURE(len >= 0x80, HSMCA_E_INPUT,
                     "%s: non-minimal DER length at offset %zu", what, start);
        hdr = 2 + n;
    }
    HSMCA_ENSURE(len <= left - hdr, HSMCA_E_INPUT,
                 "%s: DER element at offset %zu says %zu bytes, only %zu left", what, start,
                 len, left - hdr);
    out->tag = p[0];
    out->der = p;
    out->der_len = hdr + len;
    out->val = p + hdr;
    out->len = len;
    r->off += hdr + len;
out:
    return err;
}

hsmca_err ct_der_expect(hsmca_reader *r, uint8_t tag, ct_tlv *out, const char *what)
{
    hsmca_err err = HSMCA_OK;
    size_t start = r->off;

    HSMCA_GUARD(ct_der_next(r, out, what));
    if (out->tag != tag) {
        r->off = start;
        HSMCA_FAIL(HSMCA_E_INPUT, "%s: expected DER tag 0x%02x at offset %zu, found 0x%02x",
                   what, tag, start, out->tag);
    }
out:
    return err;
}

hsmca_err ct_der_put_len(hsmca_bytes *b, size_t len)
{
    hsmca_err err = HSMCA_OK;
    unsigned n = 0;

    if (len < 0x80)
        return hsmca_bytes_u8(b, (uint8_t)len);
    for (size_t v = len; v != 0; v >>= 8)
        n++;
    HSMCA_ENSURE(n <= 4, HSMCA_E_INPUT, "DER length %zu is too large", len);
    HSMCA_GUARD(hsmca_bytes_u8(b, (uint8_t)(0x80 | n)));
    for (unsigned i = n; i > 0; i--)
        HSMCA_GUARD(hsmca_bytes_u8(b, (uint8_t)(len >> (8 * (i - 1)))));
out:
    return err;
}

hsmca_err ct_tbs_split_cert(const uint8_t *der, size_t len, const char *what, ct_tbs *out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_reader top, cert, tbs;
    ct_tlv certificate, alg, sig, t;

    memset(out, 0, sizeof *out);
    /* RFC 5280 §4.1: Certificate ::= SEQUENCE { tbsCertificate,
     * signatureAlgorithm, signatureValue }, and nothing after it. */
    hsmca_reader_init(&top, der, len);
    HSMCA_GUARD(ct_der_expect(&top, TAG_SEQUENCE, &certificate, what));
    HSMCA_ENSURE(hsmca_reader_remaining(&top) == 0, HSMCA_E_INPUT,
                 "%s: %zu bytes after the Certificate", what, hsmca_reader_remaining(&top));
    hsmca_reader_init(&cert, certificate.val, certificate.len);
    HSMCA_GUARD(ct_der_expect(&cert, TAG_SEQUENCE, &out->tbs, what));
    HSMCA_GUARD(ct_der_expect(&cert, TAG_SEQUENCE, &alg, what));
    HSMCA_GUARD(ct_der_expect(&cert, TAG_BIT_STRING, &sig, what));
    HSMCA_ENSURE(hsmca_reader_remaining(&cert) == 0, HSMCA_E_INPUT,
                 "%s: extra data after the signature", what);

    /* TBSCertificate ::= SEQUENCE { version [0] EXPLICIT (v3 is required
     * for extensions, so it is present), serialNumber INTEGER, signature,
     * issuer, validity, subject, subjectPublicKeyInfo (SEQUENCEs),
     * issuerUniqueID [1], subjectUniqueID [2], extensions [3] } */
    static const uint8_t tags[CT_TBS_FIXED] = { TAG_CTX0_CONS, 0x02, TAG_SEQUENCE,
                                                TAG_SEQUENCE, TAG_SEQUENCE, TAG_SEQUENCE,
                                                TAG_SEQUENCE };
    hsmca_reader_init(&tbs, out->tbs.val, out->tbs.len);
    for (size_t i = 0; i < CT_TBS_FIXED; i++) {
        err = ct_der_expect(&tbs, tags[i], &out->field[i], what);
        if (err != HSMCA_OK) {
            hsmca_err_context("TBSCertificate field %s: ", ct_tbs_field_names[i]);
            goto out;
        }
    }
    while (hsmca_reader_remaining(&tbs) > 0) {
        HSMCA_GUARD(ct_der_next(&tbs, &t, what));
        if (t.tag == TAG_CTX1_PRIM && !out->has_issuer_uid && !out->has_subject_uid &&
            !out->has_exts) {
            out->has_issuer_uid = 1;
            out->issuer_uid = t;
        } else if (t.tag == TAG_CTX2_PRIM && !out->has_subject_uid && !out->has_exts) {
            out->has_subject_uid = 1;
            out->subject_uid = t;
        } else if (t.tag == TAG_CTX3_CONS && !out->has_exts) {
            hsmca_reader inner;

            hsmca_reader_init(&inner, t.val, t.len);
            HSMCA_GUARD(ct_der_expect(&inner, TAG_SEQUENCE, &out->exts, what));
            HSMCA_ENSURE(hsmca_reader_remaining(&inner) == 0, HSMCA_E_INPUT,
                         "%s: extra data inside the extensions field", what);
            out->has_exts = 1;
        } else {
            HSMCA_FAIL(HSMCA_E_INPUT, "%s: unexpected element (tag 0x%02x) after "
                       "subjectPublicKeyInfo in the TBSCertificate", what, t.tag);
        }
    }
out:
    return err;
}

hsmca_err ct_ext_next(hsmca_reader *r, ct_ext *out, const char *what)
{
    hsmca_err err = HSMCA_OK;
    hsmca_reader e;
    ct_tlv oid, t;

    memset(out, 0, sizeof *out);
    /* RFC 5280 §4.1: Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER,
     * critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
    HSMCA_GUARD(ct_der_expect(r, TAG_SEQUENCE, &out->tlv, what));
    hsmca_reader_init(&e, out->tlv.val, out->tlv.len);
    HSMCA_GUARD(ct_der_expect(&e, TAG_OID, &oid, what));
    HSMCA_ENSURE(oid.len > 0, HSMCA_E_INPUT, "%s: empty extension OID", what);
    out->oid = oid.val;
    out->oid_len = oid.len;
    HSMCA_GUARD(ct_der_next(&e, &t, what));
    if (t.tag == TAG_BOOLEAN) {
        /* X.690 §11.1: DER TRUE is 0xff; DEFAULT FALSE is never encoded
         * (§11.5), so only TRUE may appear. */
        HSMCA_ENSURE(t.len == 1 && t.val[0] == 0xff, HSMCA_E_INPUT,
                     "%s: an extension's critical flag is not DER TRUE", what);
        out->critical = 1;
        HSMCA_GUARD(ct_der_next(&e, &t, what));
    }
    HSMCA_ENSURE(t.tag == TAG_OCTET_STRING, HSMCA_E_INPUT,
                 "%s: an extension's value is not an OCTET STRING", what);
    HSMCA_ENSURE(hsmca_reader_remaining(&e) == 0, HSMCA_E_INPUT,
                 "%s: extra data inside an extension", what);
out:
    return err;
}

int ct_ext_is(const ct_ext *e, const uint8_t oid[10])
{
    return e->oid_len == 10 && memcmp(e->oid, oid, 10) == 0;
}

const char *ct_oid_describe(const uint8_t *oid, size_t oid_len, char *buf, size_t len)
{
    ASN1_OBJECT *obj = NULL;
    uint8_t der[2 + 127];
    const unsigned char *p = der;
    char dotted[128];
    int nid;

    snprintf(buf, len, "(unparseable OID)");
    if (oid_len == 0 || oid_len > 127)
        return buf;
    der[0] = 0x06;
    der[1] = (uint8_t)oid_len;
    memcpy(der + 2, oid, oid_len);
    obj = d2i_ASN1_OBJECT(NULL, &p, (long)(2 + oid_len));
    if (obj == NULL)
        return buf;
    if (OBJ_obj2txt(dotted, sizeof dotted, obj, 1) > 0) {
        nid = OBJ_obj2nid(obj);
        if (nid != NID_undef && OBJ_nid2sn(nid) != NULL)
            snprintf(buf, len, "%s (%s)", dotted, OBJ_nid2sn(nid));
        else
            snprintf(buf, len, "%s", dotted);
    }
    ASN1_OBJECT_free(obj);
    return buf;
}

hsmca_err ct_cert_der(X509 *cert, const char *what, uint8_t **out, size_t *out_len)
{
    hsmca_err err = HSMCA_OK;
    unsigned char *der = NULL, *tbs = NULL;
    hsmca_bytes b;
    int n;

    hsmca_bytes_init(&b);
    HSMCA_ENSURE(cert != NULL, HSMCA_E_USAGE, "%s: no certificate", what);
    n = i2d_X509(cert, &der);
    if (n > 0) {
        *out = der;
        *out_len = (size_t)n;
        der = NULL;
        goto out;
    }
    /* Not signed yet (no algorithm identifiers): OpenSSL cannot encode the
     * whole certificate. Encode the TBS and give it an empty shell. */
    n = i2d_re_X509_tbs(cert, &tbs);
    HSMCA_OSSL(n > 0, "%s: cannot encode the certificate (is its signature algorithm set?)",
               what);
    {
        static const uint8_t shell[] = { 0x30, 0x00, 0x03, 0x01, 0x00 };
        uint8_t *buf = NULL;
        size_t len = 0;

        HSMCA_GUARD(hsmca_bytes_u8(&b, TAG_SEQUENCE));
        HSMCA_GUARD(ct_der_put_len(&b, (size_t)n + sizeof shell));
        HSMCA_GUARD(hsmca_bytes_put(&b, tbs, (size_t)n));
        HSMCA_GUARD(hsmca_bytes_put(&b, shell, sizeof shell));
        HSMCA_GUARD(hsmca_bytes_finish(&b, &buf, &len));
        *out = buf;
        *out_len = len;
    }
out:
    hsmca_bytes_clear(&b);
    OPENSSL_free(der);
    OPENSSL_free(tbs);
    return err;
}

hsmca_err ct_tbs_count(const ct_tbs *t, const char *what, size_t *poison, size_t *sct_list)
{
    hsmca_err err = HSMCA_OK;
    hsmca_reader r;
    ct_ext e;

    *poison = 0;
    *sct_list = 0;
    if (!t->has_exts)
        goto out;
    hsmca_reader_init(&r, t->exts.val, t->exts.len);
    while (hsmca_reader_remaining(&r) > 0) {
        HSMCA_GUARD(ct_ext_next(&r, &e, what));
        if (ct_ext_is(&e, hsmca_ct_oid_poison))
            (*poison)++;
        else if (ct_ext_is(&e, hsmca_ct_oid_sct_list))
            (*sct_list)++;
    }
out:
    return err;
}

hsmca_err ct_memdup(const uint8_t *p, size_t n, uint8_t **out)
{
    hsmca_err err = HSMCA_OK;
    uint8_t *c = NULL;

    *out = NULL;
    if (n == 0)
        goto out;
    HSMCA_ENSURE(p != NULL, HSMCA_E_USAGE, "NULL data of %zu bytes", n);
    c = malloc(n);
    HSMCA_ALLOC(c);
    memcpy(c, p, n);
    *out = c;
out:
    return err;
}
