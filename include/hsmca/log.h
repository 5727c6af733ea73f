/* hsmca — logging to stderr.
 *
 * Level from HSMCA_LOG (error, warn, info, debug; default warn) or
 * hsmca_log_set_level(). Never pass a secret to these functions.
 */
#ifndef HSMCA_LOG_H
#define HSMCA_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hsmca_log_level {
    HSMCA_LOG_ERROR = 0,
    HSMCA_LOG_WARN,
    HSMCA_LOG_INFO,
    HSMCA_LOG_DEBUG
} hsmca_log_level;

void hsmca_log_set_level(hsmca_log_level level);
/* Parse "error|warn|info|debug"; returns -1 when unknown. */
int hsmca_log_parse_level(const char *name);
int hsmca_log_enabled(hsmca_log_level level);
void hsmca_log(hsmca_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define hsmca_log_error(...) hsmca_log(HSMCA_LOG_ERROR, __VA_ARGS__)
#define hsmca_log_warn(...) hsmca_log(HSMCA_LOG_WARN, __VA_ARGS__)
#define hsmca_log_info(...) hsmca_log(HSMCA_LOG_INFO, __VA_ARGS__)
#define hsmca_log_debug(...) hsmca_log(HSMCA_LOG_DEBUG, __VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif
