/* hsmca — logging to stderr (include/hsmca/log.h).
 *
 * One line per call, "hsmca: <level>: message", written with a single fputs
 * so lines from several threads do not interleave mid-line (stdio locks the
 * stream per call, POSIX.1-2017 2.5 "Standard I/O Streams").
 */
#include "hsmca/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOG_ENV "HSMCA_LOG"
#define LOG_LINE_MAX 2048

/* -1: not decided yet; read HSMCA_LOG on first use. */
static atomic_int log_level = -1;

static const char *const level_names[] = {
    [HSMCA_LOG_ERROR] = "error",
    [HSMCA_LOG_WARN] = "warn",
    [HSMCA_LOG_INFO] = "info",
    [HSMCA_LOG_DEBUG] = "debug",
};

int hsmca_log_parse_level(const char *name)
{
    if (name == NULL)
        return -1;
    for (int i = HSMCA_LOG_ERROR; i <= HSMCA_LOG_DEBUG; i++) {
        if (strcasecmp(name, level_names[i]) == 0)
            return i;
    }
    if (strcasecmp(name, "warning") == 0)
        return HSMCA_LOG_WARN;
    return -1;
}

void hsmca_log_set_level(hsmca_log_level level)
{
    atomic_store(&log_level, (int)level);
}

static int current_level(void)
{
    int level = atomic_load(&log_level);
    const char *env;
    int parsed;

    if (level >= 0)
        return level;
    /* Two threads racing here compute the same value; the first store wins
     * and an explicit hsmca_log_set_level() is never overwritten. */
    env = getenv(LOG_ENV);
    parsed = env != NULL && env[0] != '\0' ? hsmca_log_parse_level(env) : HSMCA_LOG_WARN;
    level = parsed < 0 ? HSMCA_LOG_WARN : parsed;
    int expected = -1;
    if (!atomic_compare_exchange_strong(&log_level, &expected, level))
        return expected;
    if (parsed < 0)
        fprintf(stderr, "hsmca: warn: %s=\"%s\" is not one of error, warn, info, "
                        "debug; using warn\n", LOG_ENV, env);
    return level;
}

int hsmca_log_enabled(hsmca_log_level level)
{
    return (int)level <= current_level();
}

void hsmca_log(hsmca_log_level level, const char *fmt, ...)
{
    char line[LOG_LINE_MAX];
    /* One byte is kept back for the newline. */
    const size_t cap = sizeof line - 1;
    int saved_errno = errno; /* logging must not disturb the caller's errno */
    int lv = (int)level;
    size_t n;
    int w;
    va_list ap;

    if (!hsmca_log_enabled(level))
        return;
    w = snprintf(line, cap, "hsmca: %s: ",
                 lv >= HSMCA_LOG_ERROR && lv <= HSMCA_LOG_DEBUG ? level_names[lv] : "log");
    n = w > 0 ? (size_t)w : 0;
    va_start(ap, fmt);
    w = vsnprintf(line + n, cap - n, fmt, ap);
    va_end(ap);
    if (w < 0) {
        line[n] = '\0';
    } else if ((size_t)w >= cap - n) {
        /* Cut long lines visibly. */
        memcpy(line + cap - 4, "...", 4);
    }
    n = strlen(line);
    /* Exactly one newline, whether or not the format ended with one. */
    if (n > 0 && line[n - 1] == '\n')
        line[--n] = '\0';
    line[n++] = '\n';
    line[n] = '\0';
    fputs(line, stderr);
    errno = saved_errno;
}
