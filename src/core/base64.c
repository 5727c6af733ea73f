/* hsmca — base64 (RFC 4648 §4, strict; include/hsmca/bytes.h). Shared by the
 * CT JSON protocol and OCSP over HTTP GET (RFC 6960 Appendix A.1). */
#include <stdint.h>
#include <stdlib.h>

#include "hsmca/bytes.h"

/* ---- base64 (RFC 4648 §4) ---- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

hsmca_err hsmca_base64_decode(const char *in, size_t in_len, const char *field, uint8_t **out,
                        size_t *out_len)
{
    hsmca_err err = HSMCA_OK;
    uint8_t *buf = NULL;
    size_t pad = 0, n = 0;

    /* RFC 4648 §3.1-3.2: no line breaks, padding required; §3.5: pad bits
     * must be zero for a canonical encoding. Each of these would let two
     * strings stand for the same bytes. */
    HSMCA_ENSURE(in != NULL || in_len == 0, HSMCA_E_USAGE, "%s: no data", field);
    HSMCA_ENSURE(in_len % 4 == 0, HSMCA_E_INPUT,
                 "%s: not base64 (length %zu is not a multiple of 4)", field, in_len);
    if (in_len > 0 && in[in_len - 1] == '=')
        pad = in_len > 1 && in[in_len - 2] == '=' ? 2 : 1;
    buf = malloc(in_len / 4 * 3 + 1);
    HSMCA_ALLOC(buf);
    for (size_t i = 0; i < in_len; i += 4) {
        int v[4];
        int last = i + 4 == in_len;

        for (size_t j = 0; j < 4; j++) {
            unsigned char c = (unsigned char)in[i + j];

            if (last && c == '=' && j >= 4 - pad) {
                v[j] = 0;
                continue;
            }
            v[j] = b64_value(c);
            HSMCA_ENSURE(v[j] >= 0, HSMCA_E_INPUT,
                         "%s: not base64 (character 0x%02x at offset %zu)", field, c, i + j);
        }
        buf[n++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
        if (!(last && pad == 2))
            buf[n++] = (uint8_t)((v[1] & 0x0f) << 4 | v[2] >> 2);
        if (!(last && pad >= 1))
            buf[n++] = (uint8_t)((v[2] & 0x03) << 6 | v[3]);
        if (last && pad == 2)
            HSMCA_ENSURE((v[1] & 0x0f) == 0, HSMCA_E_INPUT,
                         "%s: not canonical base64 (non-zero padding bits)", field);
        if (last && pad == 1)
            HSMCA_ENSURE((v[2] & 0x03) == 0, HSMCA_E_INPUT,
                         "%s: not canonical base64 (non-zero padding bits)", field);
    }
    *out = buf;
    *out_len = n;
    buf = NULL;
out:
    free(buf);
    return err;
}

hsmca_err hsmca_base64_encode(const uint8_t *in, size_t len, char **out)
{
    hsmca_err err = HSMCA_OK;
    char *s = NULL;
    size_t o = 0;

    HSMCA_ENSURE(in != NULL || len == 0, HSMCA_E_USAGE, "base64: no data");
    HSMCA_ENSURE(len < SIZE_MAX / 2, HSMCA_E_INPUT, "base64: %zu bytes is too much", len);
    s = malloc((len + 2) / 3 * 4 + 1);
    HSMCA_ALLOC(s);
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        size_t k = len - i;

        if (k > 1)
            v |= (uint32_t)in[i + 1] << 8;
        if (k > 2)
            v |= in[i + 2];
        s[o++] = b64_alphabet[v >> 18 & 0x3f];
        s[o++] = b64_alphabet[v >> 12 & 0x3f];
        s[o++] = k > 1 ? b64_alphabet[v >> 6 & 0x3f] : '=';
        s[o++] = k > 2 ? b64_alphabet[v & 0x3f] : '=';
    }
    s[o] = '\0';
    *out = s;
    s = NULL;
out:
    free(s);
    return err;
}

