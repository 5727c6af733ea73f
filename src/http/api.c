/* hsmca — the issuance API over HTTP (JSON; docs/serve.md, issue #6).
 *
 *   POST /api/v1/precert        {issuer, csr, dns[], ips[], profile?}
 *   POST /api/v1/final          {issuer, serial, scts[]}
 *   POST /api/v1/certificates   {issuer, csr, dns[], ips[], profile?, logs[], min_scts?,
 *                                min_operators?}: precert, SCTs from the logs, final
 *   POST /api/v1/revoke         {issuer, serial, reason?, time?}
 *   GET  /api/v1/certificates/<issuer>/<serial>
 *   GET  /api/v1/ct-logs/<name>, PUT it with {reject, delay_ms, fail_fraction, wrong_key}
 *
 * Errors: {"error": {"code": "<stable code>", "message": "..."}} with an
 * HTTP status for the code. POST and PUT need the bearer token when one is
 * configured.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "hsmca/bytes.h"
#include "hsmca/crl.h"
#include "hsmca/log.h"
#include "hsmca/ossl.h"
#include "hsmca/x509.h"
#include "http_int.h"

#define API_NAMES_MAX 100
#define API_SCTS_MAX 16
#define API_LOGS_MAX 16
/* Issuer and test log names (store.h, ct.h): safe in URLs and JSON. */
#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"

/* ---- answers ---- */

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *v)
{
    char *s = v != NULL ? json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    enum MHD_Result ret;

    json_decref(v);
    if (s == NULL)
        return http_send(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", "out of memory\n",
                         14, NULL);
    ret = http_send(c, status, "application/json", s, strlen(s), MHD_HTTP_HEADER_CACHE_CONTROL,
                    "no-store", NULL);
    free(s);
    return ret;
}

enum MHD_Result http_send_error(struct MHD_Connection *c, unsigned status, const char *code,
                                const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Messages may quote what a client sent: keep them printable ASCII, so
     * that they are valid JSON strings and safe in the log. */
    for (char *p = msg; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            *p = '?';
    hsmca_log(status >= 500 ? HSMCA_LOG_ERROR : HSMCA_LOG_INFO, "API %u %s: %s", status, code,
              msg);
    return send_json(c, status, json_pack("{s:{s:s, s:s}}", "error", "code", code, "message",
                                          msg));
}

/* The HTTP status for an hsmca error code. */
static unsigned status_for(hsmca_err e)
{
    switch (e) {
    case HSMCA_E_USAGE:
    case HSMCA_E_INPUT: return MHD_HTTP_BAD_REQUEST;
    case HSMCA_E_NOT_FOUND: return MHD_HTTP_NOT_FOUND;
    case HSMCA_E_EXISTS:
    case HSMCA_E_STATE: return MHD_HTTP_CONFLICT;
    case HSMCA_E_VERIFY: return MHD_HTTP_UNPROCESSABLE_CONTENT;
    case HSMCA_E_IO: return MHD_HTTP_BAD_GATEWAY;
    case HSMCA_E_NOMEM:
    case HSMCA_E_CRYPTO:
    case HSMCA_E_INTERNAL: return MHD_HTTP_INTERNAL_SERVER_ERROR;
    default: return MHD_HTTP_SERVICE_UNAVAILABLE; /* token, PIN, module */
    }
}

enum MHD_Result http_send_hsmca_error(struct MHD_Connection *c)
{
    hsmca_err e = hsmca_err_last();
    const char *detail = hsmca_err_detail();

    return http_send_error(c, status_for(e), hsmca_err_code_name(e), "%s%s%s%s",
                           hsmca_err_message(), detail[0] != '\0' ? " (" : "", detail,
                           detail[0] != '\0' ? ")" : "");
}

/* ---- request bodies ---- */

static hsmca_err parse_body(const req_ctx *rc, json_t **out)
{
    hsmca_err err = HSMCA_OK;
    json_error_t je;

    *out = NULL;
    HSMCA_ENSURE(!rc->too_big, HSMCA_E_INPUT, "the body is too large");
    HSMCA_ENSURE(rc->len > 0, HSMCA_E_INPUT, "the body is empty; send a JSON object");
    *out = json_loadb((const char *)rc->body, rc->len, JSON_REJECT_DUPLICATES, &je);
    HSMCA_ENSURE(*out != NULL, HSMCA_E_INPUT, "the body is not JSON: %s (line %d, column %d)",
                 je.text, je.line, je.column);
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        HSMCA_FAIL(HSMCA_E_INPUT, "the body is not a JSON object");
    }
out:
    return err;
}

/* Every member of obj is one of `known` (NULL-terminated): a misspelt
 * member is an error, not silently ignored. */
static hsmca_err only_members(json_t *obj, const char *const *known)
{
    const char *k;
    json_t *v;

    json_object_foreach(obj, k, v) {
        int ok = 0;
        for (size_t i = 0; known[i] != NULL; i++)
            ok |= strcmp(k, known[i]) == 0;
        if (!ok)
            return hsmca_err_setf(HSMCA_E_INPUT, "unknown member \"%s\"", k);
    }
    return HSMCA_OK;
}

static hsmca_err str_member(json_t *obj, const char *name, int required, const char **out)
{
    json_t *v = json_object_get(obj, name);

    *out = NULL;
    if (v == NULL) {
        if (required)
            return hsmca_err_setf(HSMCA_E_INPUT, "member \"%s\" is required", name);
        return HSMCA_OK;
    }
    if (!json_is_string(v))
        return hsmca_err_setf(HSMCA_E_INPUT, "member \"%s\" must be a string", name);
    *out = json_string_value(v);
    return HSMCA_OK;
}

/* An array of strings into v (at most max, NULL-terminated). */
static hsmca_err strs_member(json_t *obj, const char *name, const char **v, size_t max,
                             size_t *n)
{
    json_t *a = json_object_get(obj, name), *x;
    size_t i;

    *n = 0;
    v[0] = NULL;
    if (a == NULL)
        return HSMCA_OK;
    if (!json_is_array(a))
        return hsmca_err_setf(HSMCA_E_INPUT, "member \"%s\" must be an array of strings", name);
    if (json_array_size(a) > max)
        return hsmca_err_setf(HSMCA_E_INPUT, "member \"%s\" has %zu entries; at most %zu", name,
                              json_array_size(a), max);
    json_array_foreach(a, i, x) {
        if (!json_is_string(x))
            return hsmca_err_setf(HSMCA_E_INPUT, "%s[%zu] must be a string", name, i);
        v[(*n)++] = json_string_value(x);
    }
    v[*n] = NULL;
    return HSMCA_OK;
}

static hsmca_err serial_member(json_t *obj, uint8_t *out, size_t *out_len)
{
    hsmca_err err = HSMCA_OK;
    const char *hex;
    size_t n, k = 0;

    HSMCA_GUARD(str_member(obj, "serial", 1, &hex));
    HSMCA_ENSURE(hex != NULL, HSMCA_E_INPUT, "member \"serial\" is required");
    if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
        hex += 2;
    n = strlen(hex);
    HSMCA_ENSURE(n > 0 && n % 2 == 0 && n / 2 <= HSMCA_STORE_SERIAL_MAX, HSMCA_E_INPUT,
                 "\"serial\" must be 1 to %d octets of hex", HSMCA_STORE_SERIAL_MAX);
    for (size_t i = 0; i < n; i += 2) {
        unsigned v;
        char two[3] = {hex[i], hex[i + 1], 0};
        HSMCA_ENSURE(strspn(two, "0123456789abcdefABCDEF") == 2 && sscanf(two, "%x", &v) == 1,
                     HSMCA_E_INPUT, "\"serial\" is not hex");
        out[k++] = (uint8_t)v;
    }
    *out_len = k;
out:
    return err;
}

static void hex_of(const uint8_t *p, size_t n, char *buf)
{
    for (size_t i = 0; i < n; i++)
        snprintf(buf + 2 * i, 3, "%02x", p[i]);
    buf[2 * n] = '\0';
}

static json_t *pem_string(X509 *x)
{
    char *pem = NULL;
    size_t len = 0;
    json_t *v;

    if (hsmca_x509_to_pem(x, &pem, &len) != HSMCA_OK)
        return NULL;
    v = json_stringn(pem, len);
    OPENSSL_free(pem);
    return v;
}

static json_t *pem_of_der(const uint8_t *der, size_t len)
{
    X509 *x = NULL;
    json_t *v;

    if (der == NULL || hsmca_x509_from_bytes(der, len, &x) != HSMCA_OK)
        return json_null();
    v = pem_string(x);
    X509_free(x);
    return v != NULL ? v : json_null();
}

/* The served CA named by the body's "issuer". */
static hsmca_err issuer_member(hsmca_http *h, json_t *obj, hsmca_ca **out)
{
    hsmca_err err = HSMCA_OK;
    const char *name;

    HSMCA_GUARD(str_member(obj, "issuer", 1, &name));
    *out = http_find_ca(h, name, NULL);
    HSMCA_ENSURE(*out != NULL, HSMCA_E_NOT_FOUND, "this server does not issue as '%s'", name);
out:
    return err;
}

/* The subscriber key of a request: "csr" (PEM, signature checked) or
 * "public_key" (PEM SubjectPublicKeyInfo). */
static hsmca_err key_member(json_t *obj, EVP_PKEY **out)
{
    hsmca_err err = HSMCA_OK;
    const char *csr, *pub;

    HSMCA_GUARD(str_member(obj, "csr", 0, &csr));
    HSMCA_GUARD(str_member(obj, "public_key", 0, &pub));
    HSMCA_ENSURE((csr == NULL) != (pub == NULL), HSMCA_E_INPUT,
                 "give exactly one of \"csr\" and \"public_key\" (PEM)");
    if (csr != NULL)
        err = hsmca_x509_csr_key_from_bytes((const uint8_t *)csr, strlen(csr), out);
    else
        err = hsmca_x509_pubkey_from_bytes((const uint8_t *)pub, strlen(pub), out);
    if (err == HSMCA_E_CRYPTO) {
        /* OpenSSL could not read the client's own PEM: the request's fault
         * (400 input), not the server's (crypto is 500, which clients
         * retry). Same message and OpenSSL detail. */
        char msg[512], detail[512];
        snprintf(msg, sizeof msg, "%s", hsmca_err_message());
        snprintf(detail, sizeof detail, "%s", hsmca_err_detail());
        err = hsmca_err_setf(HSMCA_E_INPUT, "%s", msg);
        if (detail[0] != '\0')
            hsmca_err_detailf("%s", detail);
    }
out:
    return err;
}

/* ---- the calls ---- */

/* precert and certificates share the request part. */
static hsmca_err precert_request(hsmca_http *h, json_t *body, hsmca_ca **ca, X509 **precert,
                                 uint8_t *serial, size_t *serial_len)
{
    hsmca_err err = HSMCA_OK;
    const char *dns[API_NAMES_MAX + 1], *ips[API_NAMES_MAX + 1], *profile;
    size_t n_dns = 0, n_ips = 0;
    EVP_PKEY *key = NULL;
    hsmca_ca_request req;

    HSMCA_GUARD(issuer_member(h, body, ca));
    HSMCA_GUARD(key_member(body, &key));
    HSMCA_GUARD(strs_member(body, "dns", dns, API_NAMES_MAX, &n_dns));
    HSMCA_GUARD(strs_member(body, "ips", ips, API_NAMES_MAX, &n_ips));
    HSMCA_GUARD(str_member(body, "profile", 0, &profile));
    HSMCA_ENSURE(n_dns + n_ips > 0, HSMCA_E_INPUT, "give at least one name in \"dns\" or \"ips\"");
    memset(&req, 0, sizeof req);
    req.subject_key = key;
    req.dns_names = dns;
    req.n_dns = n_dns;
    req.ip_addrs = ips;
    req.n_ips = n_ips;
    req.profile = profile;
    req.profiles_dir = h->cfg.profiles_dir;
    HSMCA_GUARD(hsmca_ca_issue_precert(*ca, &req, precert, serial, serial_len));
out:
    EVP_PKEY_free(key);
    return err;
}

static enum MHD_Result api_precert(hsmca_http *h, struct MHD_Connection *c, json_t *body)
{
    static const char *const known[] = {"issuer", "csr", "public_key", "dns", "ips", "profile",
                                        NULL};
    hsmca_ca *ca = NULL;
    X509 *pre = NULL;
    uint8_t serial[HSMCA_STORE_SERIAL_MAX];
    size_t n = 0;
    char hex[2 * HSMCA_STORE_SERIAL_MAX + 1];
    enum MHD_Result ret;

    if (only_members(body, known) != HSMCA_OK ||
        precert_request(h, body, &ca, &pre, serial, &n) != HSMCA_OK)
        return http_send_hsmca_error(c);
    hex_of(serial, n, hex);
    ret = send_json(c, MHD_HTTP_CREATED,
                    json_pack("{s:s, s:o, s:[o]}", "serial", hex, "precert", pem_string(pre),
                              "chain", pem_string(hsmca_ca_get0_cert(ca))));
    X509_free(pre);
    return ret;
}

/* "scts": each an add-pre-chain JSON object, or a base64 TLS SCT string. */
static hsmca_err scts_member(json_t *body, hsmca_sct **v, size_t *n)
{
    hsmca_err err = HSMCA_OK;
    json_t *a = json_object_get(body, "scts"), *x;
    size_t i;
    char *s = NULL;
    uint8_t *tls = NULL;
    size_t tls_len = 0;

    *n = 0;
    /* Absent: finish the final claimed before, with its SCTs (src/ca). */
    if (a == NULL)
        goto out;
    HSMCA_ENSURE(json_is_array(a) && json_array_size(a) >= 1 &&
                     json_array_size(a) <= API_SCTS_MAX,
                 HSMCA_E_INPUT, "\"scts\" must be an array of 1 to %d SCTs", API_SCTS_MAX);
    json_array_foreach(a, i, x) {
        if (json_is_object(x)) {
            s = json_dumps(x, JSON_COMPACT);
            HSMCA_ALLOC(s);
            err = hsmca_ct_sct_from_json(s, strlen(s), &v[i]);
        } else if (json_is_string(x)) {
            err = hsmca_base64_decode(json_string_value(x), json_string_length(x), "the SCT",
                                      &tls, &tls_len);
            if (err == HSMCA_OK)
                err = hsmca_ct_sct_decode(tls, tls_len, &v[i]);
        } else {
            err = hsmca_err_setf(HSMCA_E_INPUT, "scts[%zu] is neither an object nor a string", i);
        }
        free(s);
        s = NULL;
        free(tls);
        tls = NULL;
        if (err != HSMCA_OK) {
            hsmca_err_context("scts[%zu]", i);
            goto out;
        }
        (*n)++;
    }
out:
    return err;
}

static enum MHD_Result api_final(hsmca_http *h, struct MHD_Connection *c, json_t *body)
{
    static const char *const known[] = {"issuer", "serial", "scts", NULL};
    hsmca_ca *ca = NULL;
    hsmca_sct *scts[API_SCTS_MAX];
    size_t n_scts = 0, n = 0;
    uint8_t serial[HSMCA_STORE_SERIAL_MAX];
    X509 *fin = NULL;
    char hex[2 * HSMCA_STORE_SERIAL_MAX + 1];
    enum MHD_Result ret;

    if (only_members(body, known) != HSMCA_OK || issuer_member(h, body, &ca) != HSMCA_OK ||
        serial_member(body, serial, &n) != HSMCA_OK ||
        scts_member(body, scts, &n_scts) != HSMCA_OK ||
        hsmca_ca_issue_final(ca, serial, n, scts, n_scts, h->cfg.log_keys, h->cfg.n_log_keys,
                             NULL, &fin) != HSMCA_OK) {
        ret = http_send_hsmca_error(c);
        goto out;
    }
    hex_of(serial, n, hex);
    ret = send_json(c, MHD_HTTP_CREATED,
                    json_pack("{s:s, s:o}", "serial", hex, "certificate", pem_string(fin)));
out:
    for (size_t i = 0; i < n_scts; i++)
        hsmca_sct_free(scts[i]);
    X509_free(fin);
    return ret;
}

/* The server's own CT client only talks to its own test logs and to the
 * log URL prefixes serve was given (--allow-log-url): an API client must
 * not be able to make the server send requests anywhere. */
static hsmca_err allowed_logs(hsmca_http *h, const char *const *urls, size_t n)
{
    char own[4][96];

    snprintf(own[0], sizeof own[0], "http://127.0.0.1:%u/ct/", h->port);
    snprintf(own[1], sizeof own[1], "http://localhost:%u/ct/", h->port);
    snprintf(own[2], sizeof own[2], "http://[::1]:%u/ct/", h->port);
    snprintf(own[3], sizeof own[3], strchr(h->cfg.host, ':') != NULL ? "http://[%s]:%u/ct/"
                                                                     : "http://%s:%u/ct/",
             h->cfg.host, h->port);
    for (size_t i = 0; i < n; i++) {
        int ok = 0;
        for (size_t k = 0; k < 4; k++)
            ok |= strncmp(urls[i], own[k], strlen(own[k])) == 0;
        for (size_t k = 0; k < h->cfg.n_log_prefixes; k++)
            ok |= strncmp(urls[i], h->cfg.log_prefixes[k], strlen(h->cfg.log_prefixes[k])) == 0;
        if (!ok)
            return hsmca_err_setf(HSMCA_E_INPUT, "CT log URL '%s' is not one of this server's "
                                  "test logs (%s...) nor allowed by serve --allow-log-url",
                                  urls[i], own[0]);
    }
    return HSMCA_OK;
}

static enum MHD_Result api_certificates(hsmca_http *h, struct MHD_Connection *c, json_t *body)
{
    static const char *const known[] = {"issuer", "csr", "public_key", "dns", "ips", "profile",
                                        "logs", "min_scts", "min_operators", NULL};
    hsmca_ca *ca = NULL;
    X509 *pre = NULL, *fin = NULL;
    uint8_t serial[HSMCA_STORE_SERIAL_MAX];
    size_t n = 0, n_logs = 0, n_scts = 0;
    const char *logs[API_LOGS_MAX + 1];
    hsmca_sct **scts = NULL;
    hsmca_ca_ct_policy pol = {0, 0};
    json_t *v, *arr = NULL;
    char hex[2 * HSMCA_STORE_SERIAL_MAX + 1];
    enum MHD_Result ret;

    if (only_members(body, known) != HSMCA_OK ||
        strs_member(body, "logs", logs, API_LOGS_MAX, &n_logs) != HSMCA_OK) {
        ret = http_send_hsmca_error(c);
        goto out;
    }
    if (n_logs == 0) {
        ret = http_send_error(c, MHD_HTTP_BAD_REQUEST, "input",
                              "\"logs\" must name at least one CT log URL");
        goto out;
    }
    if ((v = json_object_get(body, "min_scts")) != NULL)
        pol.min_scts = json_is_integer(v) && json_integer_value(v) > 0
                           ? (size_t)json_integer_value(v) : (size_t)-1;
    if ((v = json_object_get(body, "min_operators")) != NULL)
        pol.min_operators = json_is_integer(v) && json_integer_value(v) > 0
                                ? (size_t)json_integer_value(v) : (size_t)-1;
    if (pol.min_scts == (size_t)-1 || pol.min_operators == (size_t)-1 || pol.min_scts > 16) {
        ret = http_send_error(c, MHD_HTTP_BAD_REQUEST, "input",
                              "\"min_scts\" and \"min_operators\" must be positive integers "
                              "(min_scts at most 16)");
        goto out;
    }
    /* Refuse what cannot succeed before a serial is used. */
    if (hsmca_ca_ct_check(logs, n_logs, &pol) != HSMCA_OK || allowed_logs(h, logs, n_logs) !=
                                                                 HSMCA_OK ||
        precert_request(h, body, &ca, &pre, serial, &n) != HSMCA_OK) {
        ret = http_send_hsmca_error(c);
        goto out;
    }
    hex_of(serial, n, hex);
    if (hsmca_ca_collect_scts(ca, pre, logs, n_logs, h->cfg.log_keys, h->cfg.n_log_keys, &pol,
                              h->cfg.submit, &scts, &n_scts) != HSMCA_OK ||
        hsmca_ca_issue_final(ca, serial, n, scts, n_scts, h->cfg.log_keys, h->cfg.n_log_keys,
                             NULL, &fin) != HSMCA_OK) {
        /* The precert is issued and stays assigned: say which, so the
         * client can finish it with /api/v1/final. */
        hsmca_err e = hsmca_err_last();
        ret = http_send_error(c, status_for(e), hsmca_err_code_name(e),
                              "precertificate %s was issued, but no final certificate: %s", hex,
                              hsmca_err_message());
        goto out;
    }
    arr = json_array();
    for (size_t i = 0; arr != NULL && i < n_scts; i++) {
        char *s = NULL;
        if (hsmca_ct_sct_to_json(scts[i], &s) == HSMCA_OK)
            json_array_append_new(arr, json_loads(s, 0, NULL));
        free(s);
    }
    ret = send_json(c, MHD_HTTP_CREATED,
                    json_pack("{s:s, s:o, s:o, s:o, s:[o]}", "serial", hex, "precert",
                              pem_string(pre), "certificate", pem_string(fin), "scts",
                              arr != NULL ? arr : json_array(), "chain",
                              pem_string(hsmca_ca_get0_cert(ca))));
    arr = NULL;
out:
    json_decref(arr);
    if (scts != NULL)
        hsmca_ct_sct_list_free(scts, n_scts);
    X509_free(pre);
    X509_free(fin);
    return ret;
}

static enum MHD_Result api_revoke(hsmca_http *h, struct MHD_Connection *c, json_t *body)
{
    static const char *const known[] = {"issuer", "serial", "reason", "time", NULL};
    hsmca_ca *ca = NULL;
    const char *reason = NULL, *when = NULL;
    uint8_t serial[HSMCA_STORE_SERIAL_MAX];
    size_t n = 0;
    hsmca_time now = hsmca_clock_now(), at = now;
    char hex[2 * HSMCA_STORE_SERIAL_MAX + 1], tbuf[32];
    const hsmca_store_issuer *is;

    if (only_members(body, known) != HSMCA_OK || issuer_member(h, body, &ca) != HSMCA_OK ||
        serial_member(body, serial, &n) != HSMCA_OK ||
        str_member(body, "reason", 0, &reason) != HSMCA_OK ||
        str_member(body, "time", 0, &when) != HSMCA_OK ||
        (when != NULL && hsmca_clock_parse(when, &at) != HSMCA_OK))
        return http_send_hsmca_error(c);
    is = hsmca_ca_get0_issuer(ca);
    if (hsmca_ca_revoke(h->cfg.store, is->name, serial, n, reason, at, now) != HSMCA_OK)
        return http_send_hsmca_error(c);
    /* Visible at once (issue #6): the next OCSP answer and CRL are new. */
    http_invalidate(h, is->id, serial, n, 1);
    hex_of(serial, n, hex);
    return send_json(c, MHD_HTTP_OK,
                     json_pack("{s:s, s:s, s:s}", "serial", hex, "revoked_at",
                               hsmca_clock_format(at, tbuf, sizeof tbuf), "reason",
                               reason != NULL ? reason : "unspecified"));
}

/* GET /api/v1/certificates/<issuer>/<serial> */
static enum MHD_Result api_lookup(hsmca_http *h, struct MHD_Connection *c, const char *rest)
{
    const char *slash = strchr(rest, '/');
    char name[80], t1[32], t2[32], t3[32];
    json_t *q = NULL, *res;
    hsmca_ca *ca;
    hsmca_store_cert *rec = NULL;
    uint8_t serial[HSMCA_STORE_SERIAL_MAX];
    size_t n = 0;
    hsmca_ocsp_answer a;
    hsmca_store_status status;
    const hsmca_store_issuer *is;
    const char *ocsp;
    enum MHD_Result ret;

    if (slash == NULL || (size_t)(slash - rest) >= sizeof name)
        return http_send_error(c, MHD_HTTP_NOT_FOUND, "not-found",
                               "use /api/v1/certificates/<issuer>/<serial hex>");
    memcpy(name, rest, (size_t)(slash - rest));
    name[slash - rest] = '\0';
    if (name[0] == '\0' || strspn(name, NAME_CHARS) != strlen(name) ||
        strspn(slash + 1, "0123456789abcdefABCDEFx") != strlen(slash + 1))
        return http_send_error(c, MHD_HTTP_BAD_REQUEST, "input",
                               "use /api/v1/certificates/<issuer>/<serial hex>");
    if ((ca = http_find_ca(h, name, NULL)) == NULL)
        return http_send_error(c, MHD_HTTP_NOT_FOUND, "not-found",
                               "this server does not issue as '%s'", name);
    q = json_pack("{s:s}", "serial", slash + 1);
    if (q == NULL || serial_member(q, serial, &n) != HSMCA_OK) {
        json_decref(q);
        return http_send_hsmca_error(c);
    }
    json_decref(q);
    is = hsmca_ca_get0_issuer(ca);
    if (hsmca_store_cert_get(h->cfg.store, is->id, serial, n, &rec) != HSMCA_OK)
        return http_send_hsmca_error(c);
    memset(&status, 0, sizeof status);
    status.state = rec->state;
    status.revoked = rec->revoked;
    status.revoked_at = rec->revoked_at;
    status.reason = rec->reason;
    {
        /* The policy now (hsmca issuer policy may have changed it since
         * the server started), as the OCSP responder answers. */
        hsmca_store_issuer *cur = NULL;
        if (hsmca_store_issuer_get_by_id(h->cfg.store, is->id, &cur) != HSMCA_OK) {
            hsmca_store_cert_free(rec);
            return http_send_hsmca_error(c);
        }
        hsmca_ocsp_decide(&status, cur->ocsp_precert_policy, cur->ocsp_unassigned_policy, &a);
        hsmca_store_issuer_free(cur);
    }
    ocsp = a.cert_status == 0 ? "good" : a.cert_status == 1 ? "revoked"
           : a.cert_status == 2 ? "unknown" : "unauthorized";
    res = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:o, s:o, s:s}", "issuer", is->name, "serial",
                    slash + 1, "state", hsmca_store_serial_state_name(rec->state), "not_before",
                    rec->not_before ? hsmca_clock_format(rec->not_before, t1, sizeof t1) : NULL,
                    "not_after",
                    rec->not_after ? hsmca_clock_format(rec->not_after, t2, sizeof t2) : NULL,
                    "precert", pem_of_der(rec->precert_der, rec->precert_len), "certificate",
                    pem_of_der(rec->final_der, rec->final_len), "ocsp_status", ocsp);
    if (res != NULL && rec->revoked)
        json_object_set_new(res, "revoked",
                            json_pack("{s:s, s:s}", "at",
                                      hsmca_clock_format(rec->revoked_at, t3, sizeof t3),
                                      "reason", hsmca_crl_reason_name(rec->reason)));
    else if (res != NULL)
        json_object_set_new(res, "revoked", json_null());
    ret = send_json(c, MHD_HTTP_OK, res);
    hsmca_store_cert_free(rec);
    return ret;
}

static json_t *knobs_json(hsmca_ct_testlog *l)
{
    hsmca_ct_testlog_knobs k;

    hsmca_ct_testlog_get_knobs(l, &k);
    return json_pack("{s:s, s:s, s:b, s:i, s:f, s:b}", "name", hsmca_ct_testlog_name(l),
                     "operator", hsmca_ct_testlog_operator(l), "reject", k.reject, "delay_ms",
                     (int)k.delay_ms, "fail_fraction", k.fail_fraction, "wrong_key",
                     k.wrong_key);
}

/* GET or PUT /api/v1/ct-logs/<name> */
static enum MHD_Result api_log(hsmca_http *h, struct MHD_Connection *c, const char *name,
                               int put, const req_ctx *rc)
{
    static const char *const known[] = {"reject", "delay_ms", "fail_fraction", "wrong_key",
                                        NULL};
    hsmca_ct_testlog *l = NULL;
    hsmca_ct_testlog_knobs k;
    json_t *body = NULL, *v;
    enum MHD_Result ret;

    for (size_t i = 0; i < h->cfg.n_logs; i++)
        if (strcmp(hsmca_ct_testlog_name(h->cfg.logs[i]), name) == 0)
            l = h->cfg.logs[i];
    if (l == NULL)
        return http_send_error(c, MHD_HTTP_NOT_FOUND, "not-found", "no test log '%.64s'",
                               strspn(name, NAME_CHARS) == strlen(name) ? name : "?");
    if (!put)
        return send_json(c, MHD_HTTP_OK, knobs_json(l));
    if (parse_body(rc, &body) != HSMCA_OK || only_members(body, known) != HSMCA_OK) {
        ret = http_send_hsmca_error(c);
        goto out;
    }
    /* Members not given keep their value. */
    hsmca_ct_testlog_get_knobs(l, &k);
    if ((v = json_object_get(body, "reject")) != NULL) {
        if (!json_is_boolean(v))
            goto bad;
        k.reject = json_is_true(v);
    }
    if ((v = json_object_get(body, "wrong_key")) != NULL) {
        if (!json_is_boolean(v))
            goto bad;
        k.wrong_key = json_is_true(v);
    }
    if ((v = json_object_get(body, "delay_ms")) != NULL) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 60000)
            goto bad;
        k.delay_ms = (unsigned)json_integer_value(v);
    }
    if ((v = json_object_get(body, "fail_fraction")) != NULL) {
        if (!json_is_number(v))
            goto bad;
        k.fail_fraction = json_number_value(v);
    }
    if (hsmca_ct_testlog_set_knobs(l, &k) != HSMCA_OK) {
        ret = http_send_hsmca_error(c);
        goto out;
    }
    ret = send_json(c, MHD_HTTP_OK, knobs_json(l));
    goto out;
bad:
    ret = http_send_error(c, MHD_HTTP_BAD_REQUEST, "input",
                          "knobs: reject and wrong_key are booleans, delay_ms an integer "
                          "0..60000, fail_fraction a number 0..1");
out:
    json_decref(body);
    return ret;
}

/* Constant-time comparison of the bearer token (no early exit on the
 * first differing byte). */
static int authorized(hsmca_http *h, struct MHD_Connection *c)
{
    const char *auth;
    const uint8_t *want;
    size_t want_len, got_len;
    unsigned diff = 0;

    if (h->cfg.api_token == NULL)
        return 1;
    auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0)
        return 0;
    auth += 7;
    want = (const uint8_t *)hsmca_secret_get0(h->cfg.api_token);
    want_len = hsmca_secret_len(h->cfg.api_token);
    got_len = strlen(auth);
    diff = got_len != want_len;
    for (size_t i = 0; i < want_len; i++)
        diff |= (unsigned)(want[i] ^ (uint8_t)(i < got_len ? auth[i] : 0));
    return diff == 0;
}

enum MHD_Result http_api(hsmca_http *h, struct MHD_Connection *c, const char *url,
                         const char *method, req_ctx *rc)
{
    int post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    int put = strcmp(method, MHD_HTTP_METHOD_PUT) == 0;
    int get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
    const char *type;
    json_t *body = NULL;
    enum MHD_Result ret;

    if (strncmp(url, "/api/v1/", 8) != 0)
        return http_send_error(c, MHD_HTTP_NOT_FOUND, "not-found", "the API is under /api/v1/");
    url += 8;
    if ((post || put) && !authorized(h, c)) {
        static const char unauth[] = "{\"error\":{\"code\":\"unauthorized\",\"message\":"
                                     "\"this call needs Authorization: Bearer <token>\"}}";
        /* sizeof - 1: the body is the literal, not a hand-counted length
         * (98 read past its end). */
        return http_send(c, MHD_HTTP_UNAUTHORIZED, "application/json", unauth,
                         sizeof unauth - 1, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                         "Bearer realm=\"hsmca\"", NULL);
    }
    if (get && strncmp(url, "certificates/", 13) == 0)
        return api_lookup(h, c, url + 13);
    if ((get || put) && strncmp(url, "ct-logs/", 8) == 0)
        return api_log(h, c, url + 8, put, rc);
    if (!post)
        return http_send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method",
                               "%s is not allowed here (see docs/serve.md)", method);
    type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (type == NULL || strncasecmp(type, "application/json", 16) != 0)
        return http_send_error(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "media-type",
                               "send Content-Type: application/json");
    if (rc->too_big)
        return http_send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "too-large",
                               "the body is larger than %zu bytes", h->cfg.max_body);
    if (parse_body(rc, &body) != HSMCA_OK)
        return http_send_hsmca_error(c);
    if (strcmp(url, "precert") == 0)
        ret = api_precert(h, c, body);
    else if (strcmp(url, "final") == 0)
        ret = api_final(h, c, body);
    else if (strcmp(url, "certificates") == 0)
        ret = api_certificates(h, c, body);
    else if (strcmp(url, "revoke") == 0)
        ret = api_revoke(h, c, body);
    else
        ret = http_send_error(c, MHD_HTTP_NOT_FOUND, "not-found", "no API call '%s'", url);
    json_decref(body);
    return ret;
}
