/* hsmca — what a log signs for a precertificate entry (RFC 6962 §3.2).
 *
 *   digitally-signed struct {
 *       Version sct_version;              -- v1(0)
 *       SignatureType signature_type = certificate_timestamp(0);
 *       uint64 timestamp;
 *       LogEntryType entry_type;          -- precert_entry(1), uint16
 *       select(entry_type) {
 *           case precert_entry: PreCert signed_entry;
 *       };
 *       CtExtensions extensions;          -- opaque<0..2^16-1>
 *   };
 *   struct {
 *       opaque issuer_key_hash[32];       -- SHA-256 of the issuer's SPKI
 *       TBSCertificate tbs_certificate;   -- opaque<1..2^24-1>, poison removed
 *   } PreCert;
 *
 * OpenSSL computes this internally for SCT_validate but does not expose
 * it, so it is built here with the core byte builder (DESIGN.md).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "ct/ct_int.h"

hsmca_err hsmca_ct_issuer_key_hash(X509 *issuer, uint8_t out[32])
{
    hsmca_err err = HSMCA_OK;
    unsigned char *der = NULL;
    int n;

    HSMCA_ENSURE(issuer != NULL && out != NULL, HSMCA_E_USAGE,
                 "hsmca_ct_issuer_key_hash: missing argument");
    /* RFC 6962 §3.2: "issuer_key_hash is the SHA-256 hash of the
     * certificate issuer's public key, calculated over the DER encoding of
     * the key represented as SubjectPublicKeyInfo" — the whole SPKI, not
     * the BIT STRING contents RFC 5280's key identifiers use. */
    n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(issuer), &der);
    HSMCA_OSSL(n > 0, "cannot encode the issuer's SubjectPublicKeyInfo");
    HSMCA_OSSL(SHA256(der, (size_t)n, out) != NULL, "SHA-256 failed");
out:
    OPENSSL_free(der);
    return err;
}

/* Append a DER header (tag, length). */
static hsmca_err put_header(hsmca_bytes *b, uint8_t tag, size_t len)
{
    hsmca_err err = HSMCA_OK;

    HSMCA_GUARD(hsmca_bytes_u8(b, tag));
    HSMCA_GUARD(ct_der_put_len(b, len));
out:
    return err;
}

hsmca_err hsmca_ct_precert_tbs(X509 *precert, uint8_t **out, size_t *out_len)
{
    hsmca_err err = HSMCA_OK;
    uint8_t *der = NULL, *exts = NULL, *body = NULL;
    size_t der_len = 0, exts_len = 0, body_len = 0, poison = 0, scts = 0;
    hsmca_bytes b;
    hsmca_reader r;
    ct_tbs t;
    ct_ext e;

    hsmca_bytes_init(&b);
    HSMCA_ENSURE(precert != NULL && out != NULL && out_len != NULL, HSMCA_E_USAGE,
                 "hsmca_ct_precert_tbs: missing argument");
    /* Work on the DER as signed: a log hashes these bytes, so they must not
     * depend on how OpenSSL would re-encode the decoded fields. */
    HSMCA_GUARD(ct_cert_der(precert, "the precert", &der, &der_len));
    HSMCA_GUARD(ct_tbs_split_cert(der, der_len, "the precert", &t));
    HSMCA_GUARD(ct_tbs_count(&t, "the precert", &poison, &scts));
    HSMCA_ENSURE(poison == 1, HSMCA_E_INPUT,
                 "not a precertificate: it has %zu poison extensions, RFC 6962 §3.1 wants "
                 "exactly one", poison);
    HSMCA_ENSURE(scts == 0, HSMCA_E_INPUT,
                 "the precert carries an SCT list extension (CONFORMANCE.md §9: it must not)");

    /* RFC 6962 §3.2: "tbs_certificate is the DER-encoded TBSCertificate
     * component of the Precertificate ... with the CT poison extension
     * removed". Every other byte stays; only the three lengths above the
     * removed extension change. */
    hsmca_reader_init(&r, t.exts.val, t.exts.len);
    while (hsmca_reader_remaining(&r) > 0) {
        HSMCA_GUARD(ct_ext_next(&r, &e, "the precert"));
        if (!ct_ext_is(&e, hsmca_ct_oid_poison))
            HSMCA_GUARD(hsmca_bytes_put(&b, e.tlv.der, e.tlv.der_len));
    }
    HSMCA_GUARD(hsmca_bytes_finish(&b, &exts, &exts_len));

    for (size_t i = 0; i < CT_TBS_FIXED; i++)
        HSMCA_GUARD(hsmca_bytes_put(&b, t.field[i].der, t.field[i].der_len));
    if (t.has_issuer_uid)
        HSMCA_GUARD(hsmca_bytes_put(&b, t.issuer_uid.der, t.issuer_uid.der_len));
    if (t.has_subject_uid)
        HSMCA_GUARD(hsmca_bytes_put(&b, t.subject_uid.der, t.subject_uid.der_len));
    /* A precert whose only extension was the poison: RFC 5280 §4.1 has
     * Extensions SIZE (1..MAX), so the field goes rather than stay empty
     * (Go's certificate-transparency-go does the same). */
    if (exts_len > 0) {
        size_t seq_hdr = exts_len < 0x80 ? 2 : exts_len < 0x100 ? 3 : exts_len < 0x10000 ? 4 : 5;

        HSMCA_GUARD(put_header(&b, 0xa3, seq_hdr + exts_len));
        HSMCA_GUARD(put_header(&b, 0x30, exts_len));
        HSMCA_GUARD(hsmca_bytes_put(&b, exts, exts_len));
    }
    HSMCA_GUARD(hsmca_bytes_finish(&b, &body, &body_len));

    HSMCA_GUARD(put_header(&b, 0x30, body_len));
    HSMCA_GUARD(hsmca_bytes_put(&b, body, body_len));
    HSMCA_GUARD(hsmca_bytes_finish(&b, out, out_len));
out:
    hsmca_bytes_clear(&b);
    OPENSSL_free(der);
    free(exts);
    free(body);
    return err;
}

/* The digitally-signed struct for either entry type: `entry` is the
 * precert's issuer_key_hash || TBS or the x509_entry's certificate, each
 * already in its TLS form except for its length prefix (uint24). */
static hsmca_err signed_data(uint16_t entry_type, const uint8_t *prefix, size_t prefix_len,
                             const uint8_t *body, size_t body_len, uint64_t timestamp,
                             const uint8_t *ext, size_t ext_len, uint8_t **out, size_t *out_len)
{
    hsmca_err err = HSMCA_OK;
    hsmca_bytes b;

    hsmca_bytes_init(&b);
    /* The TBSCertificate or ASN.1Cert is opaque<1..2^24-1> on the wire. */
    HSMCA_ENSURE(body_len >= 1 && body_len <= 0xffffff, HSMCA_E_INPUT,
                 "a certificate or TBSCertificate of %zu bytes cannot be logged (RFC 6962 "
                 "§3.2: 1 to 2^24-1 bytes)", body_len);
    HSMCA_ENSURE(ext_len <= 0xffff, HSMCA_E_INPUT,
                 "SCT extensions of %zu bytes exceed 65535 (RFC 6962 §3.2)", ext_len);
    HSMCA_GUARD(hsmca_bytes_u8(&b, CT_SCT_V1));
    HSMCA_GUARD(hsmca_bytes_u8(&b, CT_SIGTYPE_CERTIFICATE_TIMESTAMP));
    HSMCA_GUARD(hsmca_bytes_u64(&b, timestamp));
    HSMCA_GUARD(hsmca_bytes_u16(&b, entry_type));
    if (prefix_len > 0)
        HSMCA_GUARD(hsmca_bytes_put(&b, prefix, prefix_len));
    HSMCA_GUARD(hsmca_bytes_vec(&b, 3, body, body_len));
    HSMCA_GUARD(hsmca_bytes_vec(&b, 2, ext, ext_len));
    HSMCA_GUARD(hsmca_bytes_finish(&b, out, out_len));
out:
    hsmca_bytes_clear(&b);
    return err;
}

hsmca_err hsmca_ct_precert_signed_data(const uint8_t issuer_key_hash[32], const uint8_t *tbs,
                                       size_t tbs_len, uint64_t timestamp,
                                       const uint8_t *ext, size_t ext_len, uint8_t **out,
                                       size_t *out_len)
{
    if (issuer_key_hash == NULL || tbs == NULL || out == NULL || out_len == NULL ||
        (ext == NULL && ext_len != 0))
        return hsmca_err_setf(HSMCA_E_USAGE, "hsmca_ct_precert_signed_data: missing argument");
    return signed_data(CT_ENTRY_PRECERT, issuer_key_hash, 32, tbs, tbs_len, timestamp, ext,
                       ext_len, out, out_len);
}

hsmca_err hsmca_ct_x509_signed_data(const uint8_t *cert, size_t cert_len, uint64_t timestamp,
                                    const uint8_t *ext, size_t ext_len, uint8_t **out,
                                    size_t *out_len)
{
    if (cert == NULL || out == NULL || out_len == NULL || (ext == NULL && ext_len != 0))
        return hsmca_err_setf(HSMCA_E_USAGE, "hsmca_ct_x509_signed_data: missing argument");
    return signed_data(CT_ENTRY_X509, NULL, 0, cert, cert_len, timestamp, ext, ext_len, out,
                       out_len);
}
