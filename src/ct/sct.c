/* hsmca — SCTs and SCT lists in TLS encoding (RFC 6962 §3.2, §3.3).
 *
 *   struct {
 *       Version sct_version;                 -- uint8, v1(0)
 *       LogID id;                            -- opaque key_id[32]
 *       uint64 timestamp;
 *       CtExtensions extensions;             -- opaque<0..2^16-1>
 *       digitally-signed struct { ... };     -- RFC 5246 §4.7:
 *           hash(1) signature(1) opaque signature<0..2^16-1>
 *   } SignedCertificateTimestamp;
 *
 *   opaque SerializedSCT<1..2^16-1>;
 *   struct { SerializedSCT sct_list<1..2^16-1>; } SignedCertificateTimestampList;
 *
 * Decoding is exact: every length must match and nothing may trail
 * (RFC 8446 §3: a structure is its encoding). An SCT whose version is not
 * v1 is decoded with the v1 layout and left for hsmca_ct_sct_verify to
 * refuse, so a caller can still say which log sent it.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ct/ct_int.h"

/* A step of the decoder: on failure, say which field was being read. */
#define FIELD(expr, ...)                                                      \
    do {                                                                      \
        err = (expr);                                                         \
        if (err != HSMCA_OK) {                                                \
            hsmca_err_context(__VA_ARGS__);                                   \
            goto out;                                                         \
        }                                                                     \
    } while (0)

void hsmca_sct_free(hsmca_sct *sct)
{
    if (sct == NULL)
        return;
    free(sct->extensions);
    free(sct->signature);
    free(sct);
}

hsmca_err ct_digitally_signed_decode(hsmca_reader *r, hsmca_sct *sct)
{
    hsmca_err err = HSMCA_OK;
    hsmca_reader sig;

    FIELD(hsmca_reader_u8(r, &sct->hash_alg), "signature hash algorithm: ");
    FIELD(hsmca_reader_u8(r, &sct->sig_alg), "signature algorithm: ");
    FIELD(hsmca_reader_vec(r, 2, &sig), "signature: ");
    HSMCA_GUARD(ct_memdup(sig.p, sig.len, &sct->signature));
    sct->signature_len = sig.len;
out:
    return err;
}

hsmca_err ct_digitally_signed_encode(hsmca_bytes *b, const hsmca_sct *sct)
{
    hsmca_err err = HSMCA_OK;

    HSMCA_ENSURE(sct->signature != NULL || sct->signature_len == 0, HSMCA_E_USAGE,
                 "SCT: signature length %zu without data", sct->signature_len);
    HSMCA_GUARD(hsmca_bytes_u8(b, sct->hash_alg));
    HSMCA_GUARD(hsmca_bytes_u8(b, sct->sig_alg));
    FIELD(hsmca_bytes_vec(b, 2, sct->signature, sct->signature_len), "SCT signature: ");
out:
    return err;
}

/* Decode one SCT from r, which must hold exactly it. */
static hsmca_err sct_read(hsmca_reader *r, hsmca_sct **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_sct *sct = NULL;
    hsmca_reader ext;
    const uint8_t *id = NULL;

    sct = calloc(1, sizeof *sct);
    HSMCA_ALLOC(sct);
    FIELD(hsmca_reader_u8(r, &sct->version), "SCT version: ");
    FIELD(hsmca_reader_bytes(r, sizeof sct->log_id, &id), "SCT log id: ");
    memcpy(sct->log_id, id, sizeof sct->log_id);
    FIELD(hsmca_reader_u64(r, &sct->timestamp), "SCT timestamp: ");
    FIELD(hsmca_reader_vec(r, 2, &ext), "SCT extensions: ");
    HSMCA_GUARD(ct_memdup(ext.p, ext.len, &sct->extensions));
    sct->extensions_len = ext.len;
    FIELD(ct_digitally_signed_decode(r, sct), "SCT ");
    FIELD(hsmca_reader_end(r), "SCT: after the signature: ");
    *out = sct;
    sct = NULL;
out:
    hsmca_sct_free(sct);
    return err;
}

hsmca_err hsmca_ct_sct_decode(const uint8_t *tls, size_t len, hsmca_sct **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_reader r;

    HSMCA_ENSURE(out != NULL && (tls != NULL || len == 0), HSMCA_E_USAGE,
                 "hsmca_ct_sct_decode: missing argument");
    *out = NULL;
    hsmca_reader_init(&r, tls, len);
    HSMCA_GUARD(sct_read(&r, out));
out:
    return err;
}

/* Append one SCT's encoding. */
static hsmca_err sct_put(hsmca_bytes *b, const hsmca_sct *sct)
{
    hsmca_err err = HSMCA_OK;

    HSMCA_ENSURE(sct != NULL, HSMCA_E_USAGE, "SCT: NULL");
    HSMCA_ENSURE(sct->extensions != NULL || sct->extensions_len == 0, HSMCA_E_USAGE,
                 "SCT: extensions length %zu without data", sct->extensions_len);
    HSMCA_GUARD(hsmca_bytes_u8(b, sct->version));
    HSMCA_GUARD(hsmca_bytes_put(b, sct->log_id, sizeof sct->log_id));
    HSMCA_GUARD(hsmca_bytes_u64(b, sct->timestamp));
    FIELD(hsmca_bytes_vec(b, 2, sct->extensions, sct->extensions_len), "SCT extensions: ");
    HSMCA_GUARD(ct_digitally_signed_encode(b, sct));
out:
    return err;
}

hsmca_err hsmca_ct_sct_encode(const hsmca_sct *sct, uint8_t **out, size_t *out_len)
{
    hsmca_err err = HSMCA_OK;
    hsmca_bytes b;

    hsmca_bytes_init(&b);
    HSMCA_ENSURE(sct != NULL && out != NULL && out_len != NULL, HSMCA_E_USAGE,
                 "hsmca_ct_sct_encode: missing argument");
    HSMCA_GUARD(sct_put(&b, sct));
    HSMCA_GUARD(hsmca_bytes_finish(&b, out, out_len));
out:
    hsmca_bytes_clear(&b);
    return err;
}

hsmca_err hsmca_ct_sct_list_encode(hsmca_sct *const *scts, size_t n, uint8_t **out,
                                   size_t *out_len)
{
    hsmca_err err = HSMCA_OK;
    hsmca_bytes b;

    hsmca_bytes_init(&b);
    HSMCA_ENSURE(out != NULL && out_len != NULL && (scts != NULL || n == 0), HSMCA_E_USAGE,
                 "hsmca_ct_sct_list_encode: missing argument");
    /* RFC 6962 §3.3: sct_list<1..2^16-1>, SerializedSCT<1..2^16-1>. */
    HSMCA_ENSURE(n >= 1, HSMCA_E_INPUT, "an SCT list needs at least one SCT (RFC 6962 §3.3)");
    HSMCA_GUARD(hsmca_bytes_vec_begin(&b, 2));
    for (size_t i = 0; i < n; i++) {
        HSMCA_GUARD(hsmca_bytes_vec_begin(&b, 2));
        FIELD(sct_put(&b, scts[i]), "SCT list entry %zu: ", i + 1);
        FIELD(hsmca_bytes_vec_end(&b), "SCT list entry %zu: ", i + 1);
    }
    FIELD(hsmca_bytes_vec_end(&b), "SCT list of %zu SCTs: ", n);
    HSMCA_GUARD(hsmca_bytes_finish(&b, out, out_len));
out:
    hsmca_bytes_clear(&b);
    return err;
}

void hsmca_ct_sct_list_free(hsmca_sct **scts, size_t n)
{
    if (scts == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        hsmca_sct_free(scts[i]);
    free(scts);
}

hsmca_err hsmca_ct_sct_list_decode(const uint8_t *tls, size_t len, hsmca_sct ***out,
                                   size_t *out_n)
{
    hsmca_err err = HSMCA_OK;
    hsmca_reader top, list, entry;
    hsmca_sct **v = NULL, **grown;
    size_t n = 0, cap = 0;

    HSMCA_ENSURE(out != NULL && out_n != NULL && (tls != NULL || len == 0), HSMCA_E_USAGE,
                 "hsmca_ct_sct_list_decode: missing argument");
    hsmca_reader_init(&top, tls, len);
    FIELD(hsmca_reader_vec(&top, 2, &list), "SCT list: ");
    FIELD(hsmca_reader_end(&top), "SCT list: after the list: ");
    HSMCA_ENSURE(list.len > 0, HSMCA_E_INPUT,
                 "SCT list: the list is empty (RFC 6962 §3.3: at least one SCT)");
    while (hsmca_reader_remaining(&list) > 0) {
        FIELD(hsmca_reader_vec(&list, 2, &entry), "SCT list entry %zu: ", n + 1);
        HSMCA_ENSURE(entry.len > 0, HSMCA_E_INPUT,
                     "SCT list entry %zu: empty SerializedSCT (RFC 6962 §3.3: 1 byte at "
                     "least)", n + 1);
        if (n == cap) {
            cap = cap == 0 ? 4 : cap * 2;
            grown = realloc(v, cap * sizeof *v);
            HSMCA_ALLOC(grown);
            v = grown;
        }
        v[n] = NULL;
        FIELD(sct_read(&entry, &v[n]), "SCT list entry %zu: ", n + 1);
        n++;
    }
    *out = v;
    *out_n = n;
    v = NULL;
out:
    if (err != HSMCA_OK)
        hsmca_ct_sct_list_free(v, n);
    return err;
}

hsmca_err hsmca_ct_sct_list_from_cert(const X509 *cert, hsmca_sct ***out, size_t *out_n)
{
    hsmca_err err = HSMCA_OK;
    X509_EXTENSION *ext;
    const ASN1_OCTET_STRING *value;
    hsmca_reader r;
    ct_tlv inner;
    int count, loc;

    HSMCA_ENSURE(cert != NULL && out != NULL && out_n != NULL, HSMCA_E_USAGE,
                 "hsmca_ct_sct_list_from_cert: missing argument");
    count = hsmca_ct_sct_list_count(cert);
    HSMCA_ENSURE(count > 0, HSMCA_E_NOT_FOUND,
                 "the certificate has no SCT list extension (1.3.6.1.4.1.11129.2.4.2)");
    /* RFC 5280 §4.2: a certificate MUST NOT include more than one instance
     * of a particular extension. */
    HSMCA_ENSURE(count == 1, HSMCA_E_INPUT, "the certificate has %d SCT list extensions",
                 count);
    loc = X509_get_ext_by_NID(cert, NID_ct_precert_scts, -1);
    ext = X509_get_ext(cert, loc);
    HSMCA_OSSL(ext != NULL, "cannot read the SCT list extension");
    /* CONFORMANCE.md §11: the SCT list extension is non-critical. */
    HSMCA_ENSURE(!X509_EXTENSION_get_critical(ext), HSMCA_E_INPUT,
                 "the SCT list extension is critical; it must not be (CONFORMANCE.md §11)");
    value = X509_EXTENSION_get_data(ext);
    /* RFC 6962 §3.3: "encoded as an ASN.1 OCTET STRING and inserted into
     * the extnValue" — so extnValue holds an inner OCTET STRING. */
    hsmca_reader_init(&r, ASN1_STRING_get0_data(value), (size_t)ASN1_STRING_length(value));
    FIELD(ct_der_expect(&r, 0x04, &inner, "the SCT list extension value"),
          "RFC 6962 §3.3 wants an OCTET STRING in extnValue: ");
    HSMCA_ENSURE(hsmca_reader_remaining(&r) == 0, HSMCA_E_INPUT,
                 "the SCT list extension value has %zu bytes after its OCTET STRING",
                 hsmca_reader_remaining(&r));
    HSMCA_GUARD(hsmca_ct_sct_list_decode(inner.val, inner.len, out, out_n));
out:
    return err;
}
