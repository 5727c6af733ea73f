/* Unit tests: RFC 3339 parsing, formatting and the injectable clock
 * (src/core/clock.c). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "hsmca/clock.h"
#include "hsmca/err.h"

#define EXPECTED_FORM "expected e.g. 2026-11-28T12:00:00Z"

static int reset(void **state)
{
    (void)state;
    hsmca_clock_set(NULL);
    unsetenv(HSMCA_CLOCK_ENV);
    hsmca_err_clear();
    return 0;
}

static void expect_time(const char *text, hsmca_time want)
{
    hsmca_time t = 0;

    if (hsmca_clock_parse(text, &t) != HSMCA_OK)
        fail_msg("\"%s\" refused: %s", text, hsmca_err_message());
    if (t != want)
        fail_msg("\"%s\" parsed as %lld, want %lld", text, (long long)t, (long long)want);
}

/* Refused with HSMCA_E_INPUT, *out untouched, the message quotes the text,
 * gives the expected form and contains `why`. */
static void expect_bad(const char *text, const char *why)
{
    hsmca_time t = 12345;
    char quoted[256];

    if (hsmca_clock_parse(text, &t) != HSMCA_E_INPUT)
        fail_msg("\"%s\" accepted (%lld)", text, (long long)t);
    assert_true(t == 12345);
    snprintf(quoted, sizeof quoted, "\"%s\"", text);
    const char *m = hsmca_err_message();
    if (strstr(m, quoted) == NULL || strstr(m, EXPECTED_FORM) == NULL ||
        strstr(m, why) == NULL)
        fail_msg("for \"%s\": message \"%s\" lacks the text, the form or \"%s\"",
                 text, m, why);
}

static void test_parse_utc(void **state)
{
    expect_time("1970-01-01T00:00:00Z", 0);
    expect_time("2026-11-28T12:00:00Z", 1795867200);
    expect_time("2026-11-28t12:00:00z", 1795867200);
    expect_time("2000-02-29T12:34:56Z", 951827696);
    expect_time("1950-01-01T00:00:00Z", -631152000);
    expect_time("1969-12-31T23:59:59Z", -1);
    expect_time("2050-01-01T00:00:00Z", 2524608000);
    expect_time("9999-12-31T23:59:59Z", INT64_C(253402300799));
}

static void test_parse_offsets(void **state)
{
    expect_time("2026-11-28T17:30:00+05:30", 1795867200);
    expect_time("2026-11-28T04:00:00-08:00", 1795867200);
    expect_time("2026-11-29T11:59:00+23:59", 1795867200);
    expect_time("2026-11-28T12:00:00+00:00", 1795867200);
    /* RFC 3339 §4.3: -00:00 is UTC with an unknown local offset. */
    expect_time("2026-11-28T12:00:00-00:00", 1795867200);
    /* The offset moves the date across a year boundary. */
    expect_time("2026-12-31T23:00:00-01:00", 1798761600);
}

static void test_parse_fractions_truncated(void **state)
{
    expect_time("2026-11-28T12:00:00.0Z", 1795867200);
    expect_time("2026-11-28T12:00:00.999999999Z", 1795867200);
    expect_time("2026-11-28T12:00:00.5+01:00", 1795867200 - 3600);
    expect_time("1969-12-31T23:59:59.9Z", -1); /* truncated, not toward zero */
    expect_bad("2026-11-28T12:00:00.Z", "no digits after '.'");
}

static void test_parse_leap_days(void **state)
{
    expect_time("2028-02-29T00:00:00Z", 1835395200);
    expect_time("2000-02-29T00:00:00Z", 951782400);
    expect_bad("2027-02-29T00:00:00Z", "day 29 of 2027-02");
    expect_bad("2100-02-29T00:00:00Z", "day 29 of 2100-02");
    expect_bad("2026-04-31T00:00:00Z", "day 31 of 2026-04");
    expect_bad("2026-01-00T00:00:00Z", "day 00");
    expect_bad("2026-01-32T00:00:00Z", "day 32");
}

static void test_parse_field_ranges(void **state)
{
    expect_bad("2026-13-01T00:00:00Z", "(month 13)");
    expect_bad("2026-00-01T00:00:00Z", "(month 00)");
    expect_bad("2026-11-28T24:00:00Z", "(hour 24)");
    expect_bad("2026-11-28T12:60:00Z", "(minute 60)");
    expect_bad("2026-11-28T12:00:61Z", "(second 61)");
    expect_bad("2026-11-28T12:00:00+24:00", "offset 24:00");
    expect_bad("2026-11-28T12:00:00-01:60", "offset 01:60");
}

static void test_parse_leap_second_refused(void **state)
{
    expect_bad("2016-12-31T23:59:60Z", "leap second");
}

static void test_parse_year_range(void **state)
{
    expect_bad("1949-12-31T23:59:59Z", "year 1949");
    expect_bad("0000-01-01T00:00:00Z", "year 0000");
    expect_bad("10000-01-01T00:00:00Z", "not an RFC 3339 time");
    /* In range locally, out of range in UTC. */
    expect_bad("1950-01-01T00:30:00+01:00", "out of range");
    expect_bad("9999-12-31T23:30:00-01:00", "out of range");
    expect_time("1950-01-01T00:30:00-01:00", -631152000 + 5400);
}

static void test_parse_garbage(void **state)
{
    static const char *const bad[] = {
        "now", "2026", "2026-11-28", "2026-11-28T", "2026-11-28T12:00",
        "2026-11-28T12:00Z", "2026-11-28T12:00:00", "2026-11-28 12:00:00Z",
        "2026-1-28T12:00:00Z", "2026-11-2T12:00:00Z", "2026/11/28T12:00:00Z",
        "2026-11-28T12:00:00+0530", "2026-11-28T12:00:00+05", "2026-11-28T12:00:00UTC",
        "2026-11-28T12:00:00Zjunk", "2026-11-28T12:00:00Z ", " 2026-11-28T12:00:00Z",
        "+2026-11-28T12:00:00Z", "2026-11-28T1:00:00Z", "2026-11-28T12:00:00.1",
        "1795867200", "２０２６-11-28T12:00:00Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        hsmca_time t = 0;
        assert_int_equal(hsmca_clock_parse(bad[i], &t), HSMCA_E_INPUT);
        assert_non_null(strstr(hsmca_err_message(), EXPECTED_FORM));
    }
    expect_bad("now", "date is not YYYY-MM-DD");
    expect_bad("2026-11-28", "no 'T'");
    expect_bad("2026-11-28T12:00:00", "no time zone");
    expect_bad("2026-11-28T12:00:00Zjunk", "unexpected text");
    expect_bad("2026-11-28T12:00:00+0530", "offset is not");
}

static void test_parse_empty_and_null(void **state)
{
    hsmca_time t = 0;

    expect_bad("", "(empty)");
    assert_int_equal(hsmca_clock_parse(NULL, &t), HSMCA_E_USAGE);
    assert_int_equal(hsmca_clock_parse("2026-11-28T12:00:00Z", NULL), HSMCA_E_USAGE);
}

static void test_parse_quotes_safely(void **state)
{
    char big[300];
    hsmca_time t = 0;

    /* Control characters are not echoed into the message. */
    assert_int_equal(hsmca_clock_parse("2026\x1b[31m", &t), HSMCA_E_INPUT);
    assert_null(strchr(hsmca_err_message(), '\x1b'));
    assert_non_null(strstr(hsmca_err_message(), "\"2026?[31m\""));
    /* A long value is cut in the quote. */
    memset(big, '9', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(hsmca_clock_parse(big, &t), HSMCA_E_INPUT);
    assert_non_null(strstr(hsmca_err_message(), "...\""));
    assert_true(strlen(hsmca_err_message()) < 250);
}

static void test_format(void **state)
{
    char buf[32];

    assert_string_equal(hsmca_clock_format(0, buf, sizeof buf), "1970-01-01T00:00:00Z");
    assert_string_equal(hsmca_clock_format(-1, buf, sizeof buf), "1969-12-31T23:59:59Z");
    assert_string_equal(hsmca_clock_format(-631152000, buf, sizeof buf), "1950-01-01T00:00:00Z");
    assert_string_equal(hsmca_clock_format(1795867200, buf, sizeof buf), "2026-11-28T12:00:00Z");
    assert_string_equal(hsmca_clock_format(2524608000, buf, sizeof buf), "2050-01-01T00:00:00Z");
    assert_string_equal(hsmca_clock_format(1835395200, buf, sizeof buf), "2028-02-29T00:00:00Z");
    assert_string_equal(hsmca_clock_format(INT64_C(253402300799), buf, sizeof buf),
                        "9999-12-31T23:59:59Z");
}

static void test_format_small_buffer(void **state)
{
    char buf[32];

    memset(buf, 'Z', sizeof buf);
    hsmca_clock_format(0, buf, 21);
    assert_string_equal(buf, "1970-01-01T00:00:00Z");
    memset(buf, 'Z', sizeof buf);
    hsmca_clock_format(0, buf, 5);
    assert_string_equal(buf, "1970");
    assert_int_equal(buf[5], 'Z');
    assert_string_equal(hsmca_clock_format(0, NULL, 0), "");
}

static void test_format_parse_round_trip(void **state)
{
    char buf[32];
    const hsmca_time lo = -631152000, hi = INT64_C(253402300799);

    /* An odd stride visits every hour, minute and second value, all months
     * and many leap days across the whole accepted range. */
    for (hsmca_time t = lo; t <= hi; t += 3600 * 24 * 13 + 3661) {
        hsmca_time back = 0;
        hsmca_clock_format(t, buf, sizeof buf);
        if (hsmca_clock_parse(buf, &back) != HSMCA_OK || back != t)
            fail_msg("%lld -> %s -> %lld (%s)", (long long)t, buf, (long long)back,
                     hsmca_err_message());
    }
    hsmca_time back = 0;
    assert_int_equal(hsmca_clock_parse(hsmca_clock_format(hi, buf, sizeof buf), &back),
                     HSMCA_OK);
    assert_true(back == hi);
}

static void test_format_matches_gmtime(void **state)
{
    char ours[32], libc[32];
    struct tm tm;

    /* An independent oracle where time_t is 64-bit (Debian amd64). */
    if (sizeof(time_t) < 8)
        skip();
    for (hsmca_time t = -631152000; t <= INT64_C(253402300799); t += 86400 * 97 + 12345) {
        time_t tt = (time_t)t;
        assert_non_null(gmtime_r(&tt, &tm));
        strftime(libc, sizeof libc, "%Y-%m-%dT%H:%M:%SZ", &tm);
        hsmca_clock_format(t, ours, sizeof ours);
        assert_string_equal(ours, libc);
    }
}

static void test_now_system_clock(void **state)
{
    time_t before = time(NULL);
    hsmca_time now = hsmca_clock_now();
    time_t after = time(NULL);

    assert_true(now >= before && now <= after);
    assert_int_equal(hsmca_clock_is_fixed(), 0);
    assert_int_equal(hsmca_clock_check_env(), HSMCA_OK);
}

static void test_now_from_env(void **state)
{
    setenv(HSMCA_CLOCK_ENV, "2026-11-28T12:00:00Z", 1);
    assert_int_equal(hsmca_clock_check_env(), HSMCA_OK);
    assert_true(hsmca_clock_now() == 1795867200);
    assert_true(hsmca_clock_now() == 1795867200); /* fixed stays fixed */
    assert_int_equal(hsmca_clock_is_fixed(), 1);
    /* Read on every call: a change is seen. */
    setenv(HSMCA_CLOCK_ENV, "2027-03-15T00:00:00+00:00", 1);
    assert_true(hsmca_clock_now() == 1805068800);
}

static void test_now_env_empty_is_unset(void **state)
{
    /* tests/CMakeLists.txt runs every test with HSMCA_NOW= (empty). */
    setenv(HSMCA_CLOCK_ENV, "", 1);
    assert_int_equal(hsmca_clock_check_env(), HSMCA_OK);
    assert_int_equal(hsmca_clock_is_fixed(), 0);
    time_t before = time(NULL);
    hsmca_time now = hsmca_clock_now();
    assert_true(now >= before && now <= time(NULL));
}

static void test_now_env_malformed(void **state)
{
    setenv(HSMCA_CLOCK_ENV, "2026-13-01T00:00:00Z", 1);
    assert_int_equal(hsmca_clock_check_env(), HSMCA_E_INPUT);
    assert_string_equal(hsmca_err_message(),
                        "HSMCA_NOW: \"2026-13-01T00:00:00Z\" is not an RFC 3339 time "
                        "(month 13); expected e.g. 2026-11-28T12:00:00Z");
    /* Not caught at start-up: falls back to the system clock, and does not
     * overwrite the caller's error record. */
    hsmca_err_setf(HSMCA_E_STATE, "unrelated");
    time_t before = time(NULL);
    hsmca_time now = hsmca_clock_now();
    assert_true(now >= before && now <= time(NULL));
    assert_int_equal(hsmca_clock_is_fixed(), 0);
    assert_string_equal(hsmca_err_message(), "unrelated");
}

static void test_override_wins_over_env(void **state)
{
    setenv(HSMCA_CLOCK_ENV, "2026-11-28T12:00:00Z", 1);
    assert_int_equal(hsmca_clock_set("2030-01-01T00:00:00Z"), HSMCA_OK);
    assert_true(hsmca_clock_now() == 1893456000);
    assert_int_equal(hsmca_clock_is_fixed(), 1);
    /* Back to the environment. */
    assert_int_equal(hsmca_clock_set(NULL), HSMCA_OK);
    assert_true(hsmca_clock_now() == 1795867200);
    /* And to the system clock. */
    unsetenv(HSMCA_CLOCK_ENV);
    assert_int_equal(hsmca_clock_is_fixed(), 0);
}

static void test_override_without_env(void **state)
{
    assert_int_equal(hsmca_clock_set("2026-03-15T00:00:00Z"), HSMCA_OK);
    assert_true(hsmca_clock_now() == 1773532800);
    assert_int_equal(hsmca_clock_is_fixed(), 1);
    /* A malformed env value does not matter while the override is set. */
    setenv(HSMCA_CLOCK_ENV, "garbage", 1);
    assert_true(hsmca_clock_now() == 1773532800);
}

static void test_bad_override_leaves_clock(void **state)
{
    assert_int_equal(hsmca_clock_set("2026-03-15T00:00:00Z"), HSMCA_OK);
    assert_int_equal(hsmca_clock_set("2026-03-15"), HSMCA_E_INPUT);
    assert_true(hsmca_clock_now() == 1773532800);
    hsmca_clock_set(NULL);
    assert_int_equal(hsmca_clock_set("2026-02-30T00:00:00Z"), HSMCA_E_INPUT);
    assert_int_equal(hsmca_clock_is_fixed(), 0);
}

static void *read_clock(void *arg)
{
    int *ok = arg;

    *ok = 1;
    for (int i = 0; i < 10000; i++)
        if (hsmca_clock_now() != 1773532800)
            *ok = 0;
    return NULL;
}

static void test_override_read_from_threads(void **state)
{
    pthread_t t[4];
    int ok[4] = {0};

    assert_int_equal(hsmca_clock_set("2026-03-15T00:00:00Z"), HSMCA_OK);
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, read_clock, &ok[i]), 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_true(ok[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_parse_utc, reset),
        cmocka_unit_test_setup(test_parse_offsets, reset),
        cmocka_unit_test_setup(test_parse_fractions_truncated, reset),
        cmocka_unit_test_setup(test_parse_leap_days, reset),
        cmocka_unit_test_setup(test_parse_field_ranges, reset),
        cmocka_unit_test_setup(test_parse_leap_second_refused, reset),
        cmocka_unit_test_setup(test_parse_year_range, reset),
        cmocka_unit_test_setup(test_parse_garbage, reset),
        cmocka_unit_test_setup(test_parse_empty_and_null, reset),
        cmocka_unit_test_setup(test_parse_quotes_safely, reset),
        cmocka_unit_test_setup(test_format, reset),
        cmocka_unit_test_setup(test_format_small_buffer, reset),
        cmocka_unit_test_setup(test_format_parse_round_trip, reset),
        cmocka_unit_test_setup(test_format_matches_gmtime, reset),
        cmocka_unit_test_setup(test_now_system_clock, reset),
        cmocka_unit_test_setup(test_now_from_env, reset),
        cmocka_unit_test_setup(test_now_env_empty_is_unset, reset),
        cmocka_unit_test_setup(test_now_env_malformed, reset),
        cmocka_unit_test_setup(test_override_wins_over_env, reset),
        cmocka_unit_test_setup(test_override_without_env, reset),
        cmocka_unit_test_setup(test_bad_override_leaves_clock, reset),
        cmocka_unit_test_setup(test_override_read_from_threads, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
