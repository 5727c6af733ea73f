/* hsmca — a small bounded DER reader for the lint.
 *
 * The encoding rules are checked on the bytes as signed (lint.h), so the
 * certificate is walked here rather than through OpenSSL's decoded structs.
 * Every read is bounded by the enclosing element; anything that is not DER
 * (X.690 §10.1: definite, minimal lengths) is refused rather than guessed.
 */
#include <ctype.h>
#include <limits.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include "lint_int.h"

void hsmca_lint_der_init(lint_der *r, const uint8_t *p, size_t len)
{
    r->p = p;
    r->len = p != NULL ? len : 0;
    r->off = 0;
}

void hsmca_lint_der_enter(const lint_tlv *t, lint_der *out)
{
    hsmca_lint_der_init(out, t->val, t->len);
}

int hsmca_lint_der_at_end(const lint_der *r)
{
    return r->off >= r->len;
}

/* Read one element at r->off without consuming it; 1, 0 (end) or -1. */
static int peek(const lint_der *r, lint_tlv *out)
{
    size_t left = r->len - r->off, hdr = 2, len;
    const uint8_t *p = r->p + r->off;

    if (left == 0)
        return 0;
    if (left < 2)
        return -1;
    if ((p[0] & 0x1f) == 0x1f) /* high tag number form: not used in X.509 */
        return -1;
    if (p[1] < 0x80) {
        len = p[1];
    } else {
        size_t n = p[1] & 0x7f;

        /* 0x80 is BER's indefinite length; more than 4 octets of length is
         * more than any certificate. */
        if (n == 0 || n > 4 || left < 2 + n)
            return -1;
        if (p[2] == 0) /* X.690 §10.1: the fewest octets */
            return -1;
        len = 0;
        for (size_t i = 0; i < n; i++)
            len = (len << 8) | p[2 + i];
        if (len < 0x80) /* short form was possible */
            return -1;
        hdr = 2 + n;
    }
    if (len > left - hdr)
        return -1;
    out->tag = p[0];
    out->der = p;
    out->der_len = hdr + len;
    out->val = p + hdr;
    out->len = len;
    return 1;
}

int hsmca_lint_der_next(lint_der *r, lint_tlv *out)
{
    int rc = peek(r, out);

    if (rc == 1)
        r->off += out->der_len;
    return rc;
}

int hsmca_lint_der_optional(lint_der *r, unsigned tag, lint_tlv *out)
{
    lint_tlv t;
    int rc = peek(r, &t);

    if (rc <= 0)
        return rc;
    if (t.tag != tag)
        return 0;
    *out = t;
    r->off += t.der_len;
    return 1;
}

int hsmca_lint_der_oid_nid(const lint_tlv *oid)
{
    const unsigned char *p = oid->der;
    ASN1_OBJECT *obj;
    int nid;

    if (oid->tag != V_ASN1_OBJECT || oid->der_len > LONG_MAX)
        return NID_undef;
    obj = d2i_ASN1_OBJECT(NULL, &p, (long)oid->der_len);
    if (obj == NULL)
        return NID_undef;
    nid = OBJ_obj2nid(obj);
    ASN1_OBJECT_free(obj);
    return nid;
}

static int hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

int hsmca_lint_der_equals_hex(const uint8_t *p, size_t n, const char *hex)
{
    size_t hl = strlen(hex);

    if (hl != 2 * n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);

        if (hi < 0 || lo < 0 || p[i] != (uint8_t)(hi << 4 | lo))
            return 0;
    }
    return 1;
}

const char *hsmca_lint_hex(const uint8_t *p, size_t n, char *buf, size_t len)
{
    static const char xd[] = "0123456789abcdef";
    size_t o = 0;

    if (len == 0)
        return buf;
    for (size_t i = 0; i < n; i++) {
        /* This byte, room for "..." if more follow, and the NUL. */
        size_t need = i + 1 < n ? 2 + 3 + 1 : 2 + 1;

        if (o + need > len) {
            if (o + 4 <= len) {
                memcpy(buf + o, "...", 3);
                o += 3;
            }
            break;
        }
        buf[o++] = xd[p[i] >> 4];
        buf[o++] = xd[p[i] & 0x0f];
    }
    buf[o] = '\0';
    return buf;
}

int hsmca_lint_ec_curve_nid(EVP_PKEY *key)
{
    char name[80];
    size_t len = 0;
    int nid;

    if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
        !EVP_PKEY_get_group_name(key, name, sizeof name, &len))
        return NID_undef;
    nid = OBJ_sn2nid(name);
    if (nid == NID_undef)
        nid = EC_curve_nist2nid(name);
    return nid;
}

int hsmca_lint_is_http_uri(const ASN1_STRING *s)
{
    static const char scheme[] = "http://";
    const unsigned char *d;
    int n;

    if (s == NULL)
        return 0;
    d = ASN1_STRING_get0_data(s);
    n = ASN1_STRING_length(s);
    if (n <= (int)sizeof scheme - 1)
        return 0;
    for (size_t i = 0; i < sizeof scheme - 1; i++)
        if (tolower(d[i]) != scheme[i])
            return 0;
    return 1;
}
