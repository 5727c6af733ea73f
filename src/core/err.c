/* hsmca — the thread-local last error (include/hsmca/err.h).
 *
 * One record per thread: the code, the message a user can act on, and the
 * library detail beneath it (OpenSSL's queue, a CKR_ name). Fixed-size buffers
 * so that reporting an error never allocates (an out-of-memory error must be
 * reportable too); every write is bounded and truncation is marked with "...".
 */
#include "hsmca/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#define ERR_MSG_MAX 1024
#define ERR_DETAIL_MAX 1024

/* Marks a string cut short, so a reader knows the end is missing. */
#define ERR_ELLIPSIS "..."

struct err_record {
    hsmca_err code;
    char message[ERR_MSG_MAX];
    char detail[ERR_DETAIL_MAX];
};

static _Thread_local struct err_record last_error;

/* vsnprintf into dst (size n >= 4); if the text did not fit, end it with
 * "..." instead of silently cutting. An encoding error leaves "". */
static void bounded_vformat(char *dst, size_t n, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void bounded_vformat(char *dst, size_t n, const char *fmt, va_list ap)
{
    int w = vsnprintf(dst, n, fmt, ap);
    if (w < 0) {
        dst[0] = '\0';
    } else if ((size_t)w >= n) {
        memcpy(dst + n - sizeof ERR_ELLIPSIS, ERR_ELLIPSIS, sizeof ERR_ELLIPSIS);
    }
}

/* Append src to the NUL-terminated dst (size n >= 5), with "..." on
 * truncation. */
static void bounded_append(char *dst, size_t n, const char *src)
{
    size_t used = strnlen(dst, n);
    size_t add = strlen(src);

    if (add == 0)
        return;
    if (used >= n - 1) {
        /* Full already: whatever was there, something is now missing. */
        memcpy(dst + n - sizeof ERR_ELLIPSIS, ERR_ELLIPSIS, sizeof ERR_ELLIPSIS);
        return;
    }
    if (add < n - used) {
        memcpy(dst + used, src, add + 1);
        return;
    }
    memcpy(dst + used, src, n - used - 1);
    dst[n - 1] = '\0';
    memcpy(dst + n - sizeof ERR_ELLIPSIS, ERR_ELLIPSIS, sizeof ERR_ELLIPSIS);
}

/* The arguments may point into last_error itself (e.g. re-setting with
 * "%s", hsmca_err_message()), so format into a scratch buffer first: an
 * overlapping vsnprintf is undefined behaviour (C11 7.21.6.12). */
static void set_message_v(hsmca_err code, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void set_message_v(hsmca_err code, const char *fmt, va_list ap)
{
    char scratch[ERR_MSG_MAX];

    bounded_vformat(scratch, sizeof scratch, fmt, ap);
    last_error.code = code;
    memcpy(last_error.message, scratch, sizeof scratch);
    last_error.detail[0] = '\0';
}

hsmca_err hsmca_err_setf(hsmca_err code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    set_message_v(code, fmt, ap);
    va_end(ap);
    return code;
}

/* Drain the whole queue even when the detail is full: entries left behind
 * would be blamed on the next, unrelated OpenSSL failure. */
static void drain_openssl_queue(void)
{
    const char *file = NULL, *func = NULL, *data = NULL;
    int line = 0, flags = 0;
    unsigned long e;
    char one[256];

    while ((e = ERR_get_error_all(&file, &line, &func, &data, &flags)) != 0) {
        ERR_error_string_n(e, one, sizeof one);
        if (last_error.detail[0] != '\0')
            bounded_append(last_error.detail, sizeof last_error.detail, "; ");
        bounded_append(last_error.detail, sizeof last_error.detail, one);
        /* ERR_raise_data() text, e.g. the name of a missing algorithm. */
        if (data != NULL && data[0] != '\0' && (flags & ERR_TXT_STRING)) {
            bounded_append(last_error.detail, sizeof last_error.detail, " (");
            bounded_append(last_error.detail, sizeof last_error.detail, data);
            bounded_append(last_error.detail, sizeof last_error.detail, ")");
        }
    }
}

hsmca_err hsmca_err_openssl(hsmca_err code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    set_message_v(code, fmt, ap);
    va_end(ap);
    drain_openssl_queue();
    return code;
}

void hsmca_err_detailf(const char *fmt, ...)
{
    char scratch[ERR_DETAIL_MAX];
    va_list ap;

    va_start(ap, fmt);
    bounded_vformat(scratch, sizeof scratch, fmt, ap);
    va_end(ap);
    if (last_error.detail[0] != '\0')
        bounded_append(last_error.detail, sizeof last_error.detail, "; ");
    bounded_append(last_error.detail, sizeof last_error.detail, scratch);
}

void hsmca_err_context(const char *fmt, ...)
{
    char ctx[ERR_MSG_MAX];
    char joined[ERR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    bounded_vformat(ctx, sizeof ctx, fmt, ap);
    va_end(ap);
    /* The context is the outermost, most general part: keep it whole and let
     * the tail of the (longer) inner message be the part that is cut. */
    joined[0] = '\0';
    bounded_append(joined, sizeof joined, ctx);
    if (last_error.message[0] != '\0') {
        bounded_append(joined, sizeof joined, ": ");
        bounded_append(joined, sizeof joined, last_error.message);
    }
    memcpy(last_error.message, joined, sizeof joined);
}

hsmca_err hsmca_err_last(void)
{
    return last_error.code;
}

const char *hsmca_err_message(void)
{
    return last_error.message;
}

const char *hsmca_err_detail(void)
{
    return last_error.detail;
}

void hsmca_err_clear(void)
{
    last_error.code = HSMCA_OK;
    last_error.message[0] = '\0';
    last_error.detail[0] = '\0';
}

/* These names are printed by the CLI and may be matched by scripts: append
 * new codes, never rename. Indexed by hsmca_err_code. */
static const char *const code_names[HSMCA_E__COUNT] = {
    [HSMCA_OK] = "ok",
    [HSMCA_E_USAGE] = "usage",
    [HSMCA_E_INPUT] = "input",
    [HSMCA_E_NOMEM] = "nomem",
    [HSMCA_E_IO] = "io",
    [HSMCA_E_CRYPTO] = "crypto",
    [HSMCA_E_MODULE] = "module",
    [HSMCA_E_TOKEN_NOT_FOUND] = "token-not-found",
    [HSMCA_E_TOKEN_UNINIT] = "token-uninit",
    [HSMCA_E_PIN] = "pin",
    [HSMCA_E_PIN_LOCKED] = "pin-locked",
    [HSMCA_E_KEY_NOT_FOUND] = "key-not-found",
    [HSMCA_E_KEY_EXISTS] = "key-exists",
    [HSMCA_E_PKCS11] = "pkcs11",
    [HSMCA_E_EXISTS] = "exists",
    [HSMCA_E_NOT_FOUND] = "not-found",
    [HSMCA_E_STATE] = "state",
    [HSMCA_E_VERIFY] = "verify",
    [HSMCA_E_INTERNAL] = "internal",
};

const char *hsmca_err_code_name(hsmca_err code)
{
    if (code < 0 || code >= HSMCA_E__COUNT || code_names[code] == NULL)
        return "unknown";
    return code_names[code];
}

const char *hsmca_err_format(char *buf, size_t len)
{
    const char *msg = last_error.message;

    if (buf == NULL || len == 0)
        return "";
    /* A code set with an empty message still says something. */
    if (msg[0] == '\0')
        msg = last_error.code == HSMCA_OK ? "" : hsmca_err_code_name(last_error.code);
    buf[0] = '\0';
    if (len < sizeof ERR_ELLIPSIS + 1) {
        /* Too small to mark truncation; just cut. */
        size_t n = strnlen(msg, len - 1);
        memcpy(buf, msg, n);
        buf[n] = '\0';
        return buf;
    }
    bounded_append(buf, len, msg);
    if (last_error.detail[0] != '\0') {
        bounded_append(buf, len, " (");
        bounded_append(buf, len, last_error.detail);
        bounded_append(buf, len, ")");
    }
    return buf;
}
