/* hsmca — error type and guard macros.
 *
 * Every fallible function returns hsmca_err: 0 (HSMCA_OK) on success, else one
 * of the codes below. The human-readable message and the underlying library
 * detail (an OpenSSL error string, a PKCS#11 return name such as
 * CKR_PIN_INCORRECT) live in a thread-local record that the function that
 * *first* detects the problem fills in; callers add context with
 * hsmca_err_context() and the CLI prints it once.
 *
 * The code shape (DESIGN.md "Habits"):
 *
 *     hsmca_err f(...) {
 *         hsmca_err err = HSMCA_OK;
 *         X *x = NULL;
 *         HSMCA_GUARD(g(&x));
 *         HSMCA_ENSURE(x->n > 0, HSMCA_E_INPUT, "empty input");
 *         *out = x; x = NULL;          // ownership handed over last
 *     out:
 *         X_free(x);
 *         return err;
 *     }
 */
#ifndef HSMCA_ERR_H
#define HSMCA_ERR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hsmca_err_code {
    HSMCA_OK = 0,
    HSMCA_E_USAGE,           /* the caller or user asked for something invalid */
    HSMCA_E_INPUT,           /* malformed or unacceptable input data */
    HSMCA_E_NOMEM,
    HSMCA_E_IO,              /* file or terminal I/O */
    HSMCA_E_CRYPTO,          /* an OpenSSL operation failed */
    HSMCA_E_MODULE,          /* the PKCS#11 module could not be loaded */
    HSMCA_E_TOKEN_NOT_FOUND, /* no token matches the selection */
    HSMCA_E_TOKEN_UNINIT,    /* the token exists but is not initialised */
    HSMCA_E_PIN,             /* no PIN available, or the PIN was rejected */
    HSMCA_E_PIN_LOCKED,      /* the token refuses logins: PIN locked */
    HSMCA_E_KEY_NOT_FOUND,
    HSMCA_E_KEY_EXISTS,
    HSMCA_E_PKCS11,          /* any other PKCS#11 failure */
    HSMCA_E_EXISTS,          /* an output or object already exists */
    HSMCA_E_NOT_FOUND,       /* a named thing (file, serial, ...) is absent */
    HSMCA_E_STATE,           /* the operation is not valid in this state */
    HSMCA_E_VERIFY,          /* a signature or consistency check failed */
    HSMCA_E_INTERNAL,        /* a bug in hsmca */
    HSMCA_E__COUNT
} hsmca_err_code;

typedef int hsmca_err;

/* Set the current error: code plus a printf-style message. Returns code, so
 * `return hsmca_err_setf(...)` works. Replaces any earlier message and detail. */
hsmca_err hsmca_err_setf(hsmca_err code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Like hsmca_err_setf, then drains OpenSSL's error queue into the detail. */
hsmca_err hsmca_err_openssl(hsmca_err code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Append to the detail line (e.g. "CKR_PIN_INCORRECT"); keeps message/code. */
void hsmca_err_detailf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prefix the message with context ("ceremony step 3: "). Keeps code/detail. */
void hsmca_err_context(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The current thread's last error. Strings stay valid until the next set. */
hsmca_err hsmca_err_last(void);
const char *hsmca_err_message(void);
const char *hsmca_err_detail(void); /* "" when there is none */
void hsmca_err_clear(void);

/* Stable lower-case name of a code ("pin", "token-not-found"). */
const char *hsmca_err_code_name(hsmca_err code);

/* "message (detail)" into buf; returns buf. */
const char *hsmca_err_format(char *buf, size_t len);

/* ---- guard macros: need `hsmca_err err` in scope and an `out:` label ---- */

#define HSMCA_GUARD(expr)                                                     \
    do {                                                                      \
        err = (expr);                                                         \
        if (err != HSMCA_OK)                                                  \
            goto out;                                                         \
    } while (0)

#define HSMCA_FAIL(code, ...)                                                 \
    do {                                                                      \
        err = hsmca_err_setf((code), __VA_ARGS__);                            \
        goto out;                                                             \
    } while (0)

#define HSMCA_ENSURE(cond, code, ...)                                         \
    do {                                                                      \
        if (!(cond))                                                          \
            HSMCA_FAIL((code), __VA_ARGS__);                                  \
    } while (0)

/* An OpenSSL call that signals failure by a false/NULL/<=0 result. */
#define HSMCA_OSSL(cond, ...)                                                 \
    do {                                                                      \
        if (!(cond)) {                                                        \
            err = hsmca_err_openssl(HSMCA_E_CRYPTO, __VA_ARGS__);             \
            goto out;                                                         \
        }                                                                     \
    } while (0)

#define HSMCA_ALLOC(ptr)                                                      \
    HSMCA_ENSURE((ptr) != NULL, HSMCA_E_NOMEM, "out of memory")

#ifdef __cplusplus
}
#endif
#endif
