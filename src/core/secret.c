/* hsmca — secret buffers and PIN sources (include/hsmca/secret.h).
 *
 * DESIGN.md: PINs come from a file, an environment variable or a no-echo
 * prompt; never from argv, never logged, wiped after use. Every buffer that
 * ever held PIN bytes here (heap or stack) is cleared with OPENSSL_cleanse,
 * which the compiler may not optimise away.
 */
#include "hsmca/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "hsmca/log.h"

struct hsmca_secret {
    size_t len;
    char *data;     /* len + 1 bytes, NUL-terminated */
    size_t alloc;   /* whole pages, so mlock/munlock touch only this secret */
};

/* Read this much so that "exactly HSMCA_SECRET_MAX bytes plus CR LF" fits
 * and anything longer is seen to be longer. */
#define READ_MAX (HSMCA_SECRET_MAX + 2)

static size_t page_size(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096;
}

hsmca_err hsmca_secret_new(const void *data, size_t n, hsmca_secret **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_secret *s = NULL;
    size_t page = page_size();
    void *mem = NULL;

    HSMCA_ENSURE(out != NULL && (data != NULL || n == 0), HSMCA_E_USAGE,
                 "secret: NULL argument");
    HSMCA_ENSURE(n < SIZE_MAX - page, HSMCA_E_NOMEM, "secret: %zu bytes is too large", n);
    s = calloc(1, sizeof *s);
    HSMCA_ALLOC(s);
    /* Page-aligned and page-sized: mlock() works on whole pages and locks do
     * not nest, so sharing a page with another secret would let one free
     * unlock the other. */
    s->alloc = (n + 1 + page - 1) / page * page;
    HSMCA_ENSURE(posix_memalign(&mem, page, s->alloc) == 0, HSMCA_E_NOMEM,
                 "out of memory");
    s->data = mem;
    /* Best effort: RLIMIT_MEMLOCK may be tiny (64 KiB by default) or zero in
     * a container; an unlocked PIN is still wiped on free. */
    (void)mlock(s->data, s->alloc);
#ifdef MADV_DONTDUMP
    (void)madvise(s->data, s->alloc, MADV_DONTDUMP); /* keep it out of cores */
#endif
    if (n > 0)
        memcpy(s->data, data, n);
    s->data[n] = '\0';
    s->len = n;
    *out = s;
    s = NULL;
out:
    hsmca_secret_free(s);
    return err;
}

void hsmca_secret_free(hsmca_secret *s)
{
    if (s == NULL)
        return;
    if (s->data != NULL) {
        OPENSSL_cleanse(s->data, s->alloc);
        (void)munlock(s->data, s->alloc);
        free(s->data);
    }
    OPENSSL_cleanse(s, sizeof *s);
    free(s);
}

const char *hsmca_secret_get0(const hsmca_secret *s)
{
    return s != NULL ? s->data : NULL;
}

size_t hsmca_secret_len(const hsmca_secret *s)
{
    return s != NULL ? s->len : 0;
}

/* ---- PIN sources ---- */

/* The first line of buf[0..n): up to the first LF, minus one trailing CR.
 * Then the checks every source shares. `where` says where it came from. */
static hsmca_err pin_from_line(const char *buf, size_t n, const char *what,
                               const char *where, hsmca_secret **out)
{
    hsmca_err err = HSMCA_OK;
    const char *nl = memchr(buf, '\n', n);
    size_t len = nl != NULL ? (size_t)(nl - buf) : n;

    if (len > 0 && buf[len - 1] == '\r')
        len--;
    HSMCA_ENSURE(len > 0, HSMCA_E_INPUT, "empty %s %s", what, where);
    HSMCA_ENSURE(len <= HSMCA_SECRET_MAX, HSMCA_E_INPUT,
                 "%s %s is longer than %d bytes", what, where, HSMCA_SECRET_MAX);
    /* The PIN is handed on as a C string; an embedded NUL would silently
     * shorten it to something the user did not type. */
    HSMCA_ENSURE(memchr(buf, '\0', len) == NULL, HSMCA_E_INPUT,
                 "%s %s contains a NUL byte", what, where);
    HSMCA_GUARD(hsmca_secret_new(buf, len, out));
out:
    return err;
}

static hsmca_err pin_from_file(const char *path, const char *what, hsmca_secret **out)
{
    hsmca_err err = HSMCA_OK;
    char buf[READ_MAX];
    char where[64 + 4096];
    size_t n = 0;
    struct stat st;
    int fd = -1;

    snprintf(where, sizeof where, "in file '%s'", path);
    /* O_NOCTTY: a --pin-file naming a terminal must not become our
     * controlling terminal. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    HSMCA_ENSURE(fd >= 0, HSMCA_E_IO, "cannot open %s file '%s': %s", what, path,
                 strerror(errno));
    HSMCA_ENSURE(fstat(fd, &st) == 0, HSMCA_E_IO, "cannot stat %s file '%s': %s",
                 what, path, strerror(errno));
    HSMCA_ENSURE(!S_ISDIR(st.st_mode), HSMCA_E_IO, "%s file '%s' is a directory",
                 what, path);
    /* Pipes (--pin-file /dev/fd/3) have no meaningful mode; regular files
     * readable by others are worth a warning but still work. The warning
     * names the file, never its content. */
    if (S_ISREG(st.st_mode) && (st.st_mode & (S_IRGRP | S_IROTH)) != 0)
        hsmca_log_warn("%s file '%s' is readable by group or others (mode %04o); "
                       "chmod 600 it", what, path, (unsigned)(st.st_mode & 07777));
    /* At most READ_MAX bytes: a wrong path (a log, a device) must not make
     * us read without bound. Loop for pipes and signals. */
    while (n < sizeof buf) {
        ssize_t r = read(fd, buf + n, sizeof buf - n);
        if (r < 0 && errno == EINTR)
            continue;
        HSMCA_ENSURE(r >= 0, HSMCA_E_IO, "cannot read %s file '%s': %s", what, path,
                     strerror(errno));
        if (r == 0)
            break;
        n += (size_t)r;
    }
    HSMCA_GUARD(pin_from_line(buf, n, what, where, out));
out:
    OPENSSL_cleanse(buf, sizeof buf);
    if (fd >= 0)
        (void)close(fd);
    return err;
}

static hsmca_err pin_from_env(const char *var, const char *value, const char *what,
                              hsmca_secret **out)
{
    hsmca_err err = HSMCA_OK;
    char where[160];
    size_t n = strnlen(value, READ_MAX);

    snprintf(where, sizeof where, "in $%s", var);
    /* Only a trailing newline is forgiven (`export X=$(cat file)` drops it
     * anyway); the value is otherwise taken as is. An empty variable is an
     * error rather than "unset": it is almost always a failed substitution. */
    HSMCA_GUARD(pin_from_line(value, n, what, where, out));
out:
    return err;
}

/* A PIN read from the environment is kept here, in a locked secret, and the
 * variable's bytes are wiped in place before it is removed: those bytes are
 * what /proc/PID/environ shows and what a core file would hold, and
 * unsetenv alone leaves them. A later read of the same variable (serve
 * opening a second token) gets the kept copy, unless the variable was set
 * again since. getenv/unsetenv are not safe against other threads reading
 * the environment: PINs are read before a process starts its threads
 * (cmd_serve opens every token before the server starts). */
#define ENV_PINS_MAX 16

static struct {
    char name[64];
    hsmca_secret *pin;
} env_pins[ENV_PINS_MAX];
static size_t env_pins_n;
static pthread_mutex_t env_pins_lock = PTHREAD_MUTEX_INITIALIZER;

void hsmca_secret_env_pins_forget(void)
{
    pthread_mutex_lock(&env_pins_lock);
    for (size_t i = 0; i < env_pins_n; i++) {
        hsmca_secret_free(env_pins[i].pin);
        env_pins[i].pin = NULL;
    }
    env_pins_n = 0;
    pthread_mutex_unlock(&env_pins_lock);
}

/* *out_found: 0 if the variable is not set and was never read. */
static hsmca_err pin_from_env_kept(const char *var, const char *what, int *out_found,
                                   hsmca_secret **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_secret *s = NULL;
    char *value;
    size_t i;

    *out_found = 0;
    pthread_mutex_lock(&env_pins_lock);
    for (i = 0; i < env_pins_n; i++)
        if (strcmp(env_pins[i].name, var) == 0)
            break;
    value = getenv(var);
    if (value != NULL) {
        *out_found = 1;
        HSMCA_GUARD(pin_from_env(var, value, what, &s));
        /* A full table (or an odd name) leaves the variable as it is rather
         * than lose the PIN for a later read. */
        if (i == env_pins_n && (i == ENV_PINS_MAX || strlen(var) >= sizeof env_pins[0].name)) {
            hsmca_log_warn("the PIN in $%s stays in the environment (too many PIN variables, "
                           "or a name of 64 characters or more)", var);
            goto done;
        }
        if (i == env_pins_n)
            snprintf(env_pins[env_pins_n++].name, sizeof env_pins[0].name, "%s", var);
        hsmca_secret_free(env_pins[i].pin);
        env_pins[i].pin = NULL;
        HSMCA_GUARD(hsmca_secret_new(hsmca_secret_get0(s), hsmca_secret_len(s), &env_pins[i].pin));
        OPENSSL_cleanse(value, strlen(value));
        (void)unsetenv(var);
    } else if (i < env_pins_n && env_pins[i].pin != NULL) {
        *out_found = 1;
        HSMCA_GUARD(hsmca_secret_new(hsmca_secret_get0(env_pins[i].pin),
                                     hsmca_secret_len(env_pins[i].pin), &s));
    }
done:
    *out = s;
    s = NULL;
out:
    pthread_mutex_unlock(&env_pins_lock);
    hsmca_secret_free(s);
    return err;
}

/* ---- terminal prompt ---- */

/* The signal that interrupted the prompt, if any. */
static volatile sig_atomic_t prompt_signal;

static void on_prompt_signal(int sig)
{
    prompt_signal = sig;
}

/* Signals that would otherwise kill us with echo still off. */
static const int prompt_signals[] = {SIGINT, SIGHUP, SIGQUIT, SIGTERM};
#define N_PROMPT_SIGNALS (sizeof prompt_signals / sizeof prompt_signals[0])

static void write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* best effort: the prompt text is not essential */
        s += w;
        n -= (size_t)w;
    }
}

/* Prompt on /dev/tty with echo off. *out_tried is 0 when there is no
 * terminal to ask (then the caller reports "no PIN"). The terminal's
 * settings are restored on every path, and a signal that arrives while
 * echo is off is re-raised only after they are. */
static hsmca_err pin_from_prompt(const char *what, int *out_tried, hsmca_secret **out)
{
    hsmca_err err = HSMCA_OK;
    char buf[READ_MAX];
    char prompt[512];
    struct termios saved, quiet;
    struct sigaction sa, old_sa[N_PROMPT_SIGNALS];
    sigset_t block, old_mask;
    bool restore_tty = false, restore_sig = false;
    size_t n = 0;
    int fd;

    *out_tried = 0;
    /* The controlling terminal, not stdin: stdin may be a pipe carrying data
     * (a CSR) while the user still sits at a terminal. */
    fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return HSMCA_OK;
    if (!isatty(fd) || tcgetattr(fd, &saved) != 0)
        goto out;
    *out_tried = 1;

    /* The signals stay blocked except inside pselect(), which unblocks them
     * atomically while it waits: a ^C that arrives between writing the
     * prompt and waiting is still seen (a plain read() would miss it and
     * block forever). */
    sigemptyset(&block);
    for (size_t i = 0; i < N_PROMPT_SIGNALS; i++)
        sigaddset(&block, prompt_signals[i]);
    (void)sigprocmask(SIG_BLOCK, &block, &old_mask);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_prompt_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    prompt_signal = 0;
    for (size_t i = 0; i < N_PROMPT_SIGNALS; i++)
        (void)sigaction(prompt_signals[i], &sa, &old_sa[i]);
    restore_sig = true;

    quiet = saved;
    quiet.c_lflag &= (tcflag_t) ~(ECHO | ECHONL);
    quiet.c_lflag |= ICANON; /* line editing (backspace) still works */
    HSMCA_ENSURE(tcsetattr(fd, TCSAFLUSH, &quiet) == 0, HSMCA_E_IO,
                 "cannot turn off echo on the terminal: %s", strerror(errno));
    restore_tty = true;

    snprintf(prompt, sizeof prompt, "Enter %s: ", what);
    write_all(fd, prompt, strlen(prompt));
    /* Canonical mode: read() returns at the end of a line. Keep reading until
     * a newline, EOF (^D) or the buffer is full, so a long PIN is seen to be
     * long instead of leaking its tail into the next read. */
    while (n < sizeof buf) {
        fd_set rd;
        ssize_t r;
        int ready;

        FD_ZERO(&rd);
        FD_SET(fd, &rd);
        ready = pselect(fd + 1, &rd, NULL, NULL, NULL, &old_mask);
        HSMCA_ENSURE(prompt_signal == 0, HSMCA_E_PIN, "%s prompt interrupted", what);
        if (ready < 0 && errno == EINTR)
            continue;
        HSMCA_ENSURE(ready > 0, HSMCA_E_IO, "cannot wait for the terminal: %s",
                     strerror(errno));
        /* Canonical mode: readable means a whole line (or EOF) is there. */
        r = read(fd, buf + n, sizeof buf - n);
        if (r < 0 && errno == EINTR)
            continue;
        HSMCA_ENSURE(r >= 0, HSMCA_E_IO, "cannot read %s from the terminal: %s", what,
                     strerror(errno));
        if (r == 0)
            break;
        n += (size_t)r;
        if (memchr(buf + n - (size_t)r, '\n', (size_t)r) != NULL)
            break;
    }
    if (n == sizeof buf && memchr(buf, '\n', n) == NULL) {
        /* Discard the rest of the over-long line so the shell does not run it. */
        (void)tcflush(fd, TCIFLUSH);
    }
    HSMCA_GUARD(pin_from_line(buf, n, what, "entered", out));
out:
    if (restore_tty) {
        (void)tcsetattr(fd, TCSAFLUSH, &saved);
        write_all(fd, "\n", 1); /* the user's Enter was not echoed */
    }
    if (restore_sig) {
        for (size_t i = 0; i < N_PROMPT_SIGNALS; i++)
            (void)sigaction(prompt_signals[i], &old_sa[i], NULL);
        /* A signal still pending is delivered now, with the old handling. */
        (void)sigprocmask(SIG_SETMASK, &old_mask, NULL);
    }
    OPENSSL_cleanse(buf, sizeof buf);
    (void)close(fd);
    if (restore_sig && prompt_signal != 0)
        (void)raise(prompt_signal); /* terminal restored: now act on it */
    return err;
}

/* Nothing to read from: say every way that would have worked. */
static hsmca_err no_pin(const hsmca_pin_source *src, const char *what)
{
    if (src->env_var != NULL && src->allow_prompt)
        return hsmca_err_setf(HSMCA_E_PIN, "no %s: set $%s, pass --pin-file FILE, "
                              "or run on a terminal", what, src->env_var);
    if (src->env_var != NULL)
        return hsmca_err_setf(HSMCA_E_PIN, "no %s: set $%s or pass --pin-file FILE",
                              what, src->env_var);
    if (src->allow_prompt)
        return hsmca_err_setf(HSMCA_E_PIN, "no %s: pass --pin-file FILE or run on a "
                              "terminal", what);
    return hsmca_err_setf(HSMCA_E_PIN, "no %s: pass --pin-file FILE", what);
}

hsmca_err hsmca_secret_read_pin(const hsmca_pin_source *src, hsmca_secret **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_secret *s = NULL;
    const char *what;
    int tried = 0, found = 0;

    HSMCA_ENSURE(src != NULL && out != NULL, HSMCA_E_USAGE, "read_pin: NULL argument");
    what = src->what != NULL ? src->what : "PIN";

    /* Order (secret.h): file, then variable (set, even if empty), then the
     * terminal. The first source that is present decides: a broken file is
     * an error, not a reason to fall through to another PIN. */
    if (src->file != NULL)
        HSMCA_GUARD(pin_from_file(src->file, what, &s));
    else if (src->env_var != NULL)
        HSMCA_GUARD(pin_from_env_kept(src->env_var, what, &found, &s));
    if (src->file == NULL && !found) {
        if (src->allow_prompt)
            HSMCA_GUARD(pin_from_prompt(what, &tried, &s));
        if (!tried)
            HSMCA_GUARD(no_pin(src, what));
    }
    *out = s;
    s = NULL;
out:
    hsmca_secret_free(s);
    return err;
}

void hsmca_secret_harden_process(void)
{
    struct rlimit none = {0, 0};

    /* A core file would contain every PIN still in memory. */
    (void)setrlimit(RLIMIT_CORE, &none);
    /* Also refuses ptrace attach by other processes of the same user and
     * makes /proc/self/mem unreadable to them (prctl(2)). */
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
