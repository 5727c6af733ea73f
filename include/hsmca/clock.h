/* hsmca — the clock.
 *
 * Every time hsmca writes into a certificate, CRL, OCSP response, SCT or
 * transcript comes from hsmca_clock_now(). The time is injectable so outputs
 * are reproducible and date-dependent rules (BR 6.3.2 validity limits that
 * change on 2026-03-15, 2027-03-15, 2029-03-15) can be exercised:
 *
 *   1. hsmca_clock_set() (the CLI's --now T), else
 *   2. the HSMCA_NOW environment variable, else
 *   3. the system clock.
 *
 * A fixed time stays fixed: every call returns the same instant. Times are
 * RFC 3339 (2026-11-28T12:00:00Z, offsets allowed, fractions truncated).
 */
#ifndef HSMCA_CLOCK_H
#define HSMCA_CLOCK_H

#include <stdint.h>

#include "hsmca/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Seconds since 1970-01-01T00:00:00Z, 64-bit on every platform. */
typedef int64_t hsmca_time;

#define HSMCA_CLOCK_ENV "HSMCA_NOW"

/* Parse an RFC 3339 date-time (§5.6). Years 1950..9999 (the X.509 range,
 * RFC 5280 §4.1.2.5); leap seconds (":60") are refused. */
hsmca_err hsmca_clock_parse(const char *text, hsmca_time *out);

/* A duration: digits with a unit s, m, h or d ("90m", "4d"); bare digits
 * are seconds. Positive, at most 100 years. */
hsmca_err hsmca_clock_parse_duration(const char *text, hsmca_time *out);

/* Format as "YYYY-MM-DDTHH:MM:SSZ" into buf (at least 21 bytes). */
const char *hsmca_clock_format(hsmca_time t, char *buf, size_t len);

/* Fix the clock to an RFC 3339 time (NULL: back to env/system). Fails, and
 * leaves the clock unchanged, on a malformed time. */
hsmca_err hsmca_clock_set(const char *rfc3339);

/* Check HSMCA_NOW now, so a malformed value is reported at start-up rather
 * than at the first use. OK when it is unset. */
hsmca_err hsmca_clock_check_env(void);

/* The current time per the rules above. A malformed HSMCA_NOW that was not
 * caught by hsmca_clock_check_env() falls back to the system clock. */
hsmca_time hsmca_clock_now(void);

/* 1 when the time comes from --now or HSMCA_NOW. */
int hsmca_clock_is_fixed(void);

#ifdef __cplusplus
}
#endif
#endif
