/* hsmca — secret buffers and PIN sources.
 *
 * A secret is a NUL-terminated byte buffer that is locked in memory where the
 * system allows it and wiped before it is freed. PINs are read into secrets
 * from exactly three places, never from argv (DESIGN.md):
 *
 *   - a file (first line; a trailing CR/LF is dropped),
 *   - an environment variable,
 *   - a no-echo prompt on the controlling terminal.
 */
#ifndef HSMCA_SECRET_H
#define HSMCA_SECRET_H

#include <stddef.h>

#include "hsmca/err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hsmca_secret hsmca_secret;

/* Largest secret read from a file, variable or prompt (PINs are short; this
 * bounds what a wrong --pin-file can make us read). */
#define HSMCA_SECRET_MAX 256

/* A copy of n bytes. */
hsmca_err hsmca_secret_new(const void *data, size_t n, hsmca_secret **out);
/* Wipe and free. Accepts NULL. */
void hsmca_secret_free(hsmca_secret *s);
/* The bytes, NUL-terminated; valid until hsmca_secret_free. */
const char *hsmca_secret_get0(const hsmca_secret *s);
size_t hsmca_secret_len(const hsmca_secret *s);

/* Where a PIN comes from. The first that is set wins: file, then env_var (if
 * the variable exists), then a terminal prompt (if allow_prompt and stdin or
 * /dev/tty is a terminal). `what` names the PIN in prompts and errors. */
typedef struct hsmca_pin_source {
    const char *file;     /* path, or NULL */
    const char *env_var;  /* variable name, or NULL */
    int allow_prompt;
    const char *what;     /* "user PIN for token 'root'" */
} hsmca_pin_source;

/* Read a PIN. HSMCA_E_PIN when no source yields one (the message lists the
 * ways to supply it); HSMCA_E_IO on an unreadable file; HSMCA_E_INPUT on an
 * empty PIN or one longer than HSMCA_SECRET_MAX. */
hsmca_err hsmca_secret_read_pin(const hsmca_pin_source *src, hsmca_secret **out);
/* A PIN read from env_var is kept by this module, and the variable is wiped
 * and removed from the environment (so that /proc/PID/environ and a core
 * file no longer hold it); a later read of the same variable gets the kept
 * copy unless the variable was set again. This drops the kept copies. */
void hsmca_secret_env_pins_forget(void);

/* Refuse core dumps and ptrace attach for this process (RLIMIT_CORE 0,
 * PR_SET_DUMPABLE 0) so PINs cannot leak through a core file. Best effort. */
void hsmca_secret_harden_process(void);

#ifdef __cplusplus
}
#endif
#endif
