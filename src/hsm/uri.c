/* RFC 7512 pkcs11: URIs — the subset hsmca uses to name tokens and keys.
 *
 *   pkcs11:token=hsmca-root;object=root-key;type=private?pin-source=file:/run/pin
 *
 * §2.3: path attributes are separated by ';', query attributes by '&', values
 * are percent-encoded; an attribute may not repeat. We refuse pin-value: a
 * PIN in a URI lands in argv, shell history and process listings.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "hsm_int.h"

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Percent-decode [p, p+n) into a fresh buffer (NUL-terminated for strings). */
static hsmca_err pct_decode(const char *p, size_t n, const char *attr, uint8_t **out,
                            size_t *out_len)
{
    uint8_t *buf = malloc(n + 1);
    size_t o = 0;

    if (buf == NULL)
        return hsmca_err_setf(HSMCA_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '%') {
            int hi = i + 1 < n ? hexval((unsigned char)p[i + 1]) : -1;
            int lo = i + 2 < n ? hexval((unsigned char)p[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                free(buf);
                return hsmca_err_setf(HSMCA_E_INPUT,
                                      "pkcs11 URI: bad percent-encoding in '%s' "
                                      "(RFC 7512 §2.3: %%XX with two hex digits)", attr);
            }
            buf[o++] = (uint8_t)(hi << 4 | lo);
            i += 2;
        } else {
            buf[o++] = (uint8_t)p[i];
        }
    }
    buf[o] = 0;
    *out = buf;
    *out_len = o;
    return HSMCA_OK;
}

void hsmca_hsm_uri_clear(hsmca_pkcs11_uri *uri)
{
    if (uri == NULL)
        return;
    free(uri->token);
    free(uri->serial);
    free(uri->object);
    free(uri->id);
    free(uri->type);
    free(uri->module_path);
    free(uri->pin_source);
    memset(uri, 0, sizeof(*uri));
    uri->slot_id = -1;
}

/* Store a decoded value into *slot, refusing duplicates (§2.3). */
static hsmca_err set_once(char **slot, uint8_t *value, const char *attr)
{
    if (*slot != NULL) {
        free(value);
        return hsmca_err_setf(HSMCA_E_INPUT, "pkcs11 URI: '%s' appears twice", attr);
    }
    if (strlen((char *)value) == 0) {
        free(value);
        return hsmca_err_setf(HSMCA_E_INPUT, "pkcs11 URI: '%s' is empty", attr);
    }
    *slot = (char *)value;
    return HSMCA_OK;
}

static hsmca_err parse_attr(hsmca_pkcs11_uri *uri, const char *p, size_t n, int query)
{
    hsmca_err err = HSMCA_OK;
    const char *eq = memchr(p, '=', n);
    char name[32];
    size_t name_len;
    uint8_t *v = NULL;
    size_t vlen = 0;

    HSMCA_ENSURE(eq != NULL, HSMCA_E_INPUT, "pkcs11 URI: '%.*s' is not name=value", (int)n, p);
    name_len = (size_t)(eq - p);
    HSMCA_ENSURE(name_len > 0 && name_len < sizeof(name), HSMCA_E_INPUT,
                 "pkcs11 URI: bad attribute name in '%.*s'", (int)n, p);
    memcpy(name, p, name_len);
    name[name_len] = '\0';
    HSMCA_GUARD(pct_decode(eq + 1, n - name_len - 1, name, &v, &vlen));

    /* set_once takes v (and frees it on error); elsewhere v stays ours until
     * it is stored, and out: frees whatever was not handed over. */
    if (!query && (strcmp(name, "token") == 0 || strcmp(name, "serial") == 0 ||
                   strcmp(name, "object") == 0 || strcmp(name, "type") == 0)) {
        char **slot = strcmp(name, "token") == 0    ? &uri->token
                      : strcmp(name, "serial") == 0 ? &uri->serial
                      : strcmp(name, "object") == 0 ? &uri->object
                                                    : &uri->type;
        uint8_t *taken = v;
        v = NULL;
        HSMCA_GUARD(set_once(slot, taken, name));
        if (slot == &uri->type && strcmp(uri->type, "private") != 0 &&
            strcmp(uri->type, "public") != 0 && strcmp(uri->type, "cert") != 0 &&
            strcmp(uri->type, "secret-key") != 0 && strcmp(uri->type, "data") != 0)
            HSMCA_FAIL(HSMCA_E_INPUT, "pkcs11 URI: type '%s' is not one of private, public, "
                       "cert, secret-key, data (RFC 7512 §2.3)", uri->type);
    } else if (!query && strcmp(name, "id") == 0) {
        HSMCA_ENSURE(uri->id == NULL, HSMCA_E_INPUT, "pkcs11 URI: 'id' appears twice");
        HSMCA_ENSURE(vlen > 0 && vlen <= HSMCA_KEY_ID_MAX, HSMCA_E_INPUT,
                     "pkcs11 URI: 'id' must be 1 to %d bytes", HSMCA_KEY_ID_MAX);
        uri->id = v;
        uri->id_len = vlen;
        v = NULL;
    } else if (!query && strcmp(name, "slot-id") == 0) {
        char *end = NULL;
        long id;
        HSMCA_ENSURE(uri->slot_id < 0, HSMCA_E_INPUT, "pkcs11 URI: 'slot-id' appears twice");
        errno = 0;
        id = strtol((char *)v, &end, 10);
        HSMCA_ENSURE(errno == 0 && end != (char *)v && *end == '\0' && id >= 0, HSMCA_E_INPUT,
                     "pkcs11 URI: slot-id '%s' is not a decimal number", (char *)v);
        uri->slot_id = id;
    } else if (query && (strcmp(name, "module-path") == 0 || strcmp(name, "pin-source") == 0)) {
        uint8_t *taken = v;
        v = NULL;
        HSMCA_GUARD(set_once(name[0] == 'm' ? &uri->module_path : &uri->pin_source, taken, name));
    } else if (query && strcmp(name, "pin-value") == 0) {
        HSMCA_FAIL(HSMCA_E_USAGE,
                   "pkcs11 URI: pin-value is refused: a PIN in a URI ends up in argv and "
                   "shell history; use pin-source=file:PATH, $HSMCA_PIN or the prompt");
    }
    /* Other attributes (manufacturer, model, library-*, ...) narrow the match
     * in other tools; ignoring them only widens ours, and token/object/id
     * still have to match. */
out:
    if (v != NULL)
        OPENSSL_cleanse(v, vlen); /* pin-value lands here */
    free(v);
    return err;
}

static hsmca_err parse_list(hsmca_pkcs11_uri *uri, const char *p, size_t n, char sep, int query)
{
    hsmca_err err = HSMCA_OK;
    size_t start = 0;

    for (size_t i = 0; i <= n; i++) {
        if (i == n || p[i] == sep) {
            if (i > start)
                HSMCA_GUARD(parse_attr(uri, p + start, i - start, query));
            start = i + 1;
        }
    }
out:
    return err;
}

hsmca_err hsmca_hsm_uri_parse(const char *text, hsmca_pkcs11_uri *out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_pkcs11_uri uri;
    const char *body, *q;
    size_t path_len;

    memset(&uri, 0, sizeof(uri));
    uri.slot_id = -1;
    HSMCA_ENSURE(text != NULL && strncasecmp(text, "pkcs11:", 7) == 0, HSMCA_E_INPUT,
                 "'%s' is not a pkcs11: URI (RFC 7512)", text ? text : "");
    body = text + 7;
    q = strchr(body, '?');
    path_len = q ? (size_t)(q - body) : strlen(body);
    HSMCA_GUARD(parse_list(&uri, body, path_len, ';', 0));
    if (q != NULL)
        HSMCA_GUARD(parse_list(&uri, q + 1, strlen(q + 1), '&', 1));
    *out = uri;
    memset(&uri, 0, sizeof(uri));
out:
    hsmca_hsm_uri_clear(&uri);
    return err;
}
