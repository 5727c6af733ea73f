/* hsmca — the injectable clock (include/hsmca/clock.h).
 *
 * RFC 3339 §5.6 date-times only, converted by arithmetic rather than
 * timegm()/mktime(): those depend on TZ and on a 64-bit time_t, and timegm()
 * is not in C11 or POSIX. The day count is Howard Hinnant's days_from_civil
 * (proleptic Gregorian, exact for every year we accept).
 */
#include "hsmca/clock.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hsmca/log.h"

/* RFC 5280 §4.1.2.5: UTCTime covers 1950..2049, GeneralizedTime is used from
 * 2050 and we stop at 9999 (four-digit years). Anything else cannot be put in
 * a certificate, so it is refused at the door. */
#define YEAR_MIN 1950
#define YEAR_MAX 9999
#define EXAMPLE "2026-11-28T12:00:00Z"

/* How much of a bad value is echoed back in a message. */
#define QUOTE_MAX 64

static _Atomic hsmca_time override_time;
static atomic_bool override_set;
/* Warn once, not on every clock read, about a malformed HSMCA_NOW. */
static atomic_bool env_warned;

/* Days since 1970-01-01 of y-m-d (m 1..12, d 1..31), for any y. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);                 /* [0, 399] */
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;     /* [0, 146096] */
    return era * 146097 + (int64_t)doe - 719468;
}

/* Inverse of days_from_civil. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Exactly n ASCII digits (isdigit() is locale-dependent). */
static bool take_digits(const char **pp, unsigned n, unsigned *out)
{
    unsigned v = 0;

    for (unsigned i = 0; i < n; i++) {
        char c = (*pp)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (unsigned)(c - '0');
    }
    *pp += n;
    *out = v;
    return true;
}

static bool take_char(const char **pp, char a, char b)
{
    if (**pp != a && **pp != b)
        return false;
    (*pp)++;
    return true;
}

/* The smallest and largest instants we accept. */
static hsmca_time time_min(void)
{
    return days_from_civil(YEAR_MIN, 1, 1) * 86400;
}

static hsmca_time time_max(void)
{
    return days_from_civil(YEAR_MAX, 12, 31) * 86400 + 86399;
}

/* Parse without touching the error record (hsmca_clock_now must not clobber
 * the caller's last error). On failure `why` gets the phrase that follows the
 * quoted text in the message: `is not an RFC 3339 time (month 13)`. */
static bool parse_rfc3339(const char *s, hsmca_time *out, char *why, size_t whylen)
{
    unsigned year, mon, day, hour, min, sec, oh = 0, om = 0;
    int sign = 0;
    const char *p = s;
    int64_t t;

    /* RFC 3339 §5.6: full-date "T" partial-time time-offset. */
    if (*p == '\0') {
        snprintf(why, whylen, "is not an RFC 3339 time (empty)");
        return false;
    }
    if (!take_digits(&p, 4, &year) || !take_char(&p, '-', '-') ||
        !take_digits(&p, 2, &mon) || !take_char(&p, '-', '-') ||
        !take_digits(&p, 2, &day)) {
        snprintf(why, whylen, "is not an RFC 3339 time (date is not YYYY-MM-DD)");
        return false;
    }
    /* §5.6 NOTE: "T" and "Z" may be lower case. */
    if (!take_char(&p, 'T', 't')) {
        snprintf(why, whylen, "is not an RFC 3339 time (no 'T' between date and time)");
        return false;
    }
    if (!take_digits(&p, 2, &hour) || !take_char(&p, ':', ':') ||
        !take_digits(&p, 2, &min) || !take_char(&p, ':', ':') ||
        !take_digits(&p, 2, &sec)) {
        snprintf(why, whylen, "is not an RFC 3339 time (time is not HH:MM:SS)");
        return false;
    }
    /* time-secfrac = "." 1*DIGIT; certificates have whole seconds, so the
     * fraction is dropped (truncated, never rounded up into the future). */
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9') {
            snprintf(why, whylen, "is not an RFC 3339 time (no digits after '.')");
            return false;
        }
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (take_char(&p, 'Z', 'z')) {
        sign = 0;
    } else if (*p == '+' || *p == '-') {
        sign = *p == '+' ? 1 : -1;
        p++;
        if (!take_digits(&p, 2, &oh) || !take_char(&p, ':', ':') ||
            !take_digits(&p, 2, &om)) {
            snprintf(why, whylen, "is not an RFC 3339 time (offset is not +HH:MM or -HH:MM)");
            return false;
        }
    } else {
        snprintf(why, whylen, "is not an RFC 3339 time (no time zone: end with Z or +HH:MM)");
        return false;
    }
    if (*p != '\0') {
        snprintf(why, whylen, "is not an RFC 3339 time (unexpected text after the time zone)");
        return false;
    }

    /* RFC 3339 §5.7 restrictions. */
    if (mon < 1 || mon > 12) {
        snprintf(why, whylen, "is not an RFC 3339 time (month %02u)", mon);
        return false;
    }
    if (day < 1 || day > days_in_month(year, mon)) {
        snprintf(why, whylen, "is not an RFC 3339 time (day %02u of %04u-%02u)", day, year, mon);
        return false;
    }
    if (hour > 23) {
        snprintf(why, whylen, "is not an RFC 3339 time (hour %02u)", hour);
        return false;
    }
    if (min > 59) {
        snprintf(why, whylen, "is not an RFC 3339 time (minute %02u)", min);
        return false;
    }
    if (sec == 60) {
        /* RFC 3339 allows it; RFC 5280 §4.1.2.5 times and POSIX time_t
         * cannot carry a leap second. */
        snprintf(why, whylen, "is a leap second (:60), which X.509 and POSIX time "
                              "cannot represent");
        return false;
    }
    if (sec > 59) {
        snprintf(why, whylen, "is not an RFC 3339 time (second %02u)", sec);
        return false;
    }
    if (oh > 23 || om > 59) {
        snprintf(why, whylen, "is not an RFC 3339 time (offset %02u:%02u)", oh, om);
        return false;
    }
    if (year < YEAR_MIN || year > YEAR_MAX) {
        snprintf(why, whylen, "is out of range (year %04u; X.509 times run from "
                              "%d to %d)", year, YEAR_MIN, YEAR_MAX);
        return false;
    }

    t = days_from_civil(year, mon, day) * 86400 + (int64_t)hour * 3600 +
        (int64_t)min * 60 + sec;
    /* local = UTC + offset (§4.2), so UTC = local - offset. */
    t -= sign * ((int64_t)oh * 3600 + (int64_t)om * 60);
    /* The offset can push an in-range local time across the edge. */
    if (t < time_min() || t > time_max()) {
        snprintf(why, whylen, "is out of range (in UTC it falls outside %d..%d, "
                              "the years X.509 times can carry)", YEAR_MIN, YEAR_MAX);
        return false;
    }
    *out = t;
    return true;
}

/* The bad text, quoted and made printable, so a message stays one line and
 * cannot smuggle terminal escapes. */
static void quote(const char *s, char *buf, size_t len)
{
    size_t o = 0, i;

    buf[o++] = '"';
    for (i = 0; s[i] != '\0' && i < QUOTE_MAX && o + 5 < len; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (s[i] != '\0' && o + 5 < len) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o++] = '"';
    buf[o] = '\0';
}

hsmca_err hsmca_clock_parse(const char *text, hsmca_time *out)
{
    hsmca_err err = HSMCA_OK;
    char why[160];
    char quoted[QUOTE_MAX + 8];
    hsmca_time t = 0;

    HSMCA_ENSURE(text != NULL && out != NULL, HSMCA_E_USAGE, "clock: NULL argument");
    if (!parse_rfc3339(text, &t, why, sizeof why)) {
        quote(text, quoted, sizeof quoted);
        HSMCA_FAIL(HSMCA_E_INPUT, "%s %s; expected e.g. " EXAMPLE, quoted, why);
    }
    *out = t;
out:
    return err;
}

const char *hsmca_clock_format(hsmca_time t, char *buf, size_t len)
{
    int64_t days = t / 86400, secs = t % 86400, y;
    unsigned m, d;

    if (buf == NULL || len == 0)
        return "";
    /* Floor division: 1950..1969 are negative times. */
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    civil_from_days(days, &y, &m, &d);
    /* Outside 0..9999 the year has more digits and snprintf cuts the text
     * short rather than overflow; we never produce such times. */
    snprintf(buf, len, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y, m, d,
             (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60), (unsigned)(secs % 60));
    return buf;
}

hsmca_err hsmca_clock_set(const char *rfc3339)
{
    hsmca_err err = HSMCA_OK;
    hsmca_time t = 0;

    if (rfc3339 == NULL) {
        atomic_store(&override_set, false);
        goto out;
    }
    HSMCA_GUARD(hsmca_clock_parse(rfc3339, &t));
    /* Value before flag: a reader that sees the flag sees the value. */
    atomic_store(&override_time, t);
    atomic_store(&override_set, true);
out:
    return err;
}

/* HSMCA_NOW, or NULL when unset. An empty value counts as unset: it is how
 * a test harness (tests/CMakeLists.txt) or `env HSMCA_NOW=` clears it. */
static const char *env_now(void)
{
    const char *v = getenv(HSMCA_CLOCK_ENV);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

hsmca_err hsmca_clock_check_env(void)
{
    hsmca_err err = HSMCA_OK;
    const char *v = env_now();
    hsmca_time t = 0;

    if (v == NULL)
        goto out;
    err = hsmca_clock_parse(v, &t);
    if (err != HSMCA_OK)
        hsmca_err_context("%s", HSMCA_CLOCK_ENV);
out:
    return err;
}

hsmca_time hsmca_clock_now(void)
{
    const char *v;
    hsmca_time t = 0;
    char why[160];

    if (atomic_load(&override_set))
        return atomic_load(&override_time);
    /* Read every call: the environment may change (tests do), and the cost
     * is nothing next to a signature. */
    v = env_now();
    if (v != NULL) {
        if (parse_rfc3339(v, &t, why, sizeof why))
            return t;
        if (!atomic_exchange(&env_warned, true)) {
            char quoted[QUOTE_MAX + 8];
            quote(v, quoted, sizeof quoted);
            hsmca_log_warn("%s: %s %s; using the system clock", HSMCA_CLOCK_ENV,
                           quoted, why);
        }
    }
    return (hsmca_time)time(NULL);
}

int hsmca_clock_is_fixed(void)
{
    const char *v;
    hsmca_time t = 0;
    char why[160];

    if (atomic_load(&override_set))
        return 1;
    v = env_now();
    return v != NULL && parse_rfc3339(v, &t, why, sizeof why);
}

hsmca_err hsmca_clock_parse_duration(const char *text, hsmca_time *out)
{
    hsmca_err err = HSMCA_OK;
    const char *p = text;
    int64_t v = 0, unit = 1;

    HSMCA_ENSURE(text != NULL && *text >= '0' && *text <= '9', HSMCA_E_INPUT,
                 "bad duration '%s' (e.g. 3600, 90m, 12h, 4d)", text != NULL ? text : "");
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (*p - '0');
        HSMCA_ENSURE(v <= 100LL * 366 * 86400, HSMCA_E_INPUT, "duration '%s' is too long",
                     text);
    }
    switch (*p) {
    case '\0': break;
    case 's': unit = 1; p++; break;
    case 'm': unit = 60; p++; break;
    case 'h': unit = 3600; p++; break;
    case 'd': unit = 86400; p++; break;
    default: break;
    }
    HSMCA_ENSURE(*p == '\0', HSMCA_E_INPUT,
                 "bad duration '%s' (digits with s, m, h or d, e.g. 90m, 12h, 4d)", text);
    HSMCA_ENSURE(v > 0, HSMCA_E_INPUT, "duration '%s' must be positive", text);
    HSMCA_ENSURE(v * unit <= 100LL * 366 * 86400, HSMCA_E_INPUT, "duration '%s' is too long",
                 text);
    *out = v * unit;
out:
    return err;
}
