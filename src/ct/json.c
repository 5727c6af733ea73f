/* hsmca — SCTs as RFC 6962 §4.1 add-chain / add-pre-chain JSON responses.
 *
 *   { "sct_version": 0, "id": base64(32 octets), "timestamp": ms,
 *     "extensions": base64(CtExtensions, may be ""),
 *     "signature": base64(TLS DigitallySigned) }
 *
 * Reading is strict about the five fields (present, of the right JSON type,
 * canonical base64, exact lengths, nothing after the signature struct) and
 * ignores members it does not know, as a client of a protocol that may grow
 * fields should. Errors are HSMCA_E_INPUT naming the field.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ct/ct_int.h"

/* ---- JSON ---- */

/* The base64 string member `name` of obj, decoded. */
static hsmca_err b64_member(json_t *obj, const char *name, uint8_t **out, size_t *out_len)
{
    hsmca_err err = HSMCA_OK;
    json_t *v = json_object_get(obj, name);
    char label[32];

    HSMCA_ENSURE(v != NULL, HSMCA_E_INPUT, "SCT JSON: \"%s\" is missing", name);
    HSMCA_ENSURE(json_is_string(v), HSMCA_E_INPUT, "SCT JSON: \"%s\" is not a string", name);
    snprintf(label, sizeof label, "\"%s\"", name);
    err = ct_b64_decode(json_string_value(v), json_string_length(v), label, out, out_len);
    if (err != HSMCA_OK) {
        hsmca_err_context("SCT JSON: ");
        goto out;
    }
out:
    return err;
}

hsmca_err hsmca_ct_sct_from_json(const char *json, size_t len, hsmca_sct **out)
{
    hsmca_err err = HSMCA_OK;
    json_t *root = NULL, *v;
    json_error_t jerr;
    hsmca_sct *sct = NULL;
    uint8_t *id = NULL, *sig = NULL;
    size_t id_len = 0, sig_len = 0;
    json_int_t n;
    hsmca_reader r;

    HSMCA_ENSURE(json != NULL && out != NULL, HSMCA_E_USAGE,
                 "hsmca_ct_sct_from_json: missing argument");
    *out = NULL;
    /* Duplicate keys would leave it open which value counts. */
    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    HSMCA_ENSURE(root != NULL, HSMCA_E_INPUT, "SCT JSON: line %d column %d: %s", jerr.line,
                 jerr.column, jerr.text);
    HSMCA_ENSURE(json_is_object(root), HSMCA_E_INPUT, "SCT JSON: not a JSON object");
    sct = calloc(1, sizeof *sct);
    HSMCA_ALLOC(sct);

    v = json_object_get(root, "sct_version");
    HSMCA_ENSURE(v != NULL, HSMCA_E_INPUT, "SCT JSON: \"sct_version\" is missing");
    HSMCA_ENSURE(json_is_integer(v), HSMCA_E_INPUT,
                 "SCT JSON: \"sct_version\" is not an integer");
    n = json_integer_value(v);
    /* RFC 6962 §3.2: Version is a uint8 enum; v1 is checked by verify. */
    HSMCA_ENSURE(n >= 0 && n <= 255, HSMCA_E_INPUT,
                 "SCT JSON: \"sct_version\" %lld is not a uint8", (long long)n);
    sct->version = (uint8_t)n;

    HSMCA_GUARD(b64_member(root, "id", &id, &id_len));
    HSMCA_ENSURE(id_len == sizeof sct->log_id, HSMCA_E_INPUT,
                 "SCT JSON: \"id\" is %zu bytes; a log id is 32 (RFC 6962 §3.2)", id_len);
    memcpy(sct->log_id, id, sizeof sct->log_id);

    v = json_object_get(root, "timestamp");
    HSMCA_ENSURE(v != NULL, HSMCA_E_INPUT, "SCT JSON: \"timestamp\" is missing");
    HSMCA_ENSURE(json_is_integer(v), HSMCA_E_INPUT,
                 "SCT JSON: \"timestamp\" is not an integer");
    n = json_integer_value(v);
    HSMCA_ENSURE(n >= 0, HSMCA_E_INPUT, "SCT JSON: \"timestamp\" %lld is negative",
                 (long long)n);
    sct->timestamp = (uint64_t)n;

    HSMCA_GUARD(b64_member(root, "extensions", &sct->extensions, &sct->extensions_len));
    HSMCA_ENSURE(sct->extensions_len <= 0xffff, HSMCA_E_INPUT,
                 "SCT JSON: \"extensions\" is %zu bytes; at most 65535 (RFC 6962 §3.2)",
                 sct->extensions_len);
    if (sct->extensions_len == 0) {
        free(sct->extensions);
        sct->extensions = NULL;
    }

    HSMCA_GUARD(b64_member(root, "signature", &sig, &sig_len));
    hsmca_reader_init(&r, sig, sig_len);
    err = ct_digitally_signed_decode(&r, sct);
    if (err == HSMCA_OK)
        err = hsmca_reader_end(&r);
    if (err != HSMCA_OK) {
        hsmca_err_context("SCT JSON: \"signature\" is not a TLS DigitallySigned struct: ");
        goto out;
    }
    *out = sct;
    sct = NULL;
out:
    json_decref(root);
    hsmca_sct_free(sct);
    free(id);
    free(sig);
    return err;
}

hsmca_err hsmca_ct_sct_to_json(const hsmca_sct *sct, char **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_bytes b;
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    char *id64 = NULL, *ext64 = NULL, *sig64 = NULL, *s = NULL;
    json_t *root = NULL;

    hsmca_bytes_init(&b);
    HSMCA_ENSURE(sct != NULL && out != NULL, HSMCA_E_USAGE,
                 "hsmca_ct_sct_to_json: missing argument");
    /* jansson integers are long long: an SCT timestamp past 2^63 ms (in
     * the year 292 million) cannot be written. */
    HSMCA_ENSURE(sct->timestamp <= (uint64_t)LLONG_MAX, HSMCA_E_INPUT,
                 "SCT timestamp %llu does not fit a JSON integer",
                 (unsigned long long)sct->timestamp);
    HSMCA_ENSURE(sct->extensions_len <= 0xffff, HSMCA_E_INPUT,
                 "SCT extensions of %zu bytes exceed 65535", sct->extensions_len);
    HSMCA_GUARD(ct_digitally_signed_encode(&b, sct));
    HSMCA_GUARD(hsmca_bytes_finish(&b, &sig, &sig_len));
    HSMCA_GUARD(ct_b64_encode(sct->log_id, sizeof sct->log_id, &id64));
    HSMCA_GUARD(ct_b64_encode(sct->extensions, sct->extensions_len, &ext64));
    HSMCA_GUARD(ct_b64_encode(sig, sig_len, &sig64));
    root = json_pack("{s:i, s:s, s:I, s:s, s:s}", "sct_version", (int)sct->version, "id",
                     id64, "timestamp", (json_int_t)sct->timestamp, "extensions", ext64,
                     "signature", sig64);
    HSMCA_ALLOC(root);
    /* Fixed member order (JSON_PRESERVE_ORDER is the default since jansson
     * 2.8), compact. */
    s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    HSMCA_ALLOC(s);
    *out = s;
    s = NULL;
out:
    hsmca_bytes_clear(&b);
    json_decref(root);
    free(sig);
    free(id64);
    free(ext64);
    free(sig64);
    free(s);
    return err;
}

hsmca_err ct_certs_json(const char *member, X509 *const *v, size_t n, char **out)
{
    hsmca_err err = HSMCA_OK;
    json_t *arr = json_array(), *root = NULL;
    unsigned char *der = NULL;
    char *b64 = NULL;

    HSMCA_ALLOC(arr);
    for (size_t i = 0; i < n; i++) {
        int len = i2d_X509(v[i], &der);
        HSMCA_OSSL(len > 0, "cannot encode %s[%zu]", member, i);
        HSMCA_GUARD(ct_b64_encode(der, (size_t)len, &b64));
        HSMCA_ENSURE(json_array_append_new(arr, json_string(b64)) == 0, HSMCA_E_NOMEM,
                     "out of memory");
        OPENSSL_free(der);
        der = NULL;
        free(b64);
        b64 = NULL;
    }
    root = json_pack("{s:o}", member, arr);
    arr = NULL;
    HSMCA_ALLOC(root);
    *out = json_dumps(root, JSON_COMPACT);
    HSMCA_ALLOC(*out);
out:
    json_decref(arr);
    json_decref(root);
    OPENSSL_free(der);
    free(b64);
    return err;
}
