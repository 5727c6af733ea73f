/* Unit tests: logging (src/core/log.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "hsmca/log.h"
#include "support.h"

static void test_parse_level(void **state)
{
    assert_int_equal(hsmca_log_parse_level("error"), HSMCA_LOG_ERROR);
    assert_int_equal(hsmca_log_parse_level("warn"), HSMCA_LOG_WARN);
    assert_int_equal(hsmca_log_parse_level("warning"), HSMCA_LOG_WARN);
    assert_int_equal(hsmca_log_parse_level("info"), HSMCA_LOG_INFO);
    assert_int_equal(hsmca_log_parse_level("DEBUG"), HSMCA_LOG_DEBUG);
    assert_int_equal(hsmca_log_parse_level("verbose"), -1);
    assert_int_equal(hsmca_log_parse_level(""), -1);
    assert_int_equal(hsmca_log_parse_level(NULL), -1);
}

static void test_levels_filter(void **state)
{
    hsmca_test_capture cap;
    char *text;

    hsmca_log_set_level(HSMCA_LOG_WARN);
    assert_true(hsmca_log_enabled(HSMCA_LOG_ERROR));
    assert_true(hsmca_log_enabled(HSMCA_LOG_WARN));
    assert_false(hsmca_log_enabled(HSMCA_LOG_INFO));
    assert_int_equal(hsmca_test_capture_stderr(&cap), 0);
    hsmca_log_error("e %d", 1);
    hsmca_log_warn("w %s", "two");
    hsmca_log_info("hidden");
    hsmca_log_debug("hidden");
    text = hsmca_test_capture_end(&cap);
    assert_non_null(text);
    assert_string_equal(text, "hsmca: error: e 1\nhsmca: warn: w two\n");
    free(text);

    hsmca_log_set_level(HSMCA_LOG_DEBUG);
    assert_int_equal(hsmca_test_capture_stderr(&cap), 0);
    hsmca_log_info("i");
    hsmca_log_debug("d");
    text = hsmca_test_capture_end(&cap);
    assert_string_equal(text, "hsmca: info: i\nhsmca: debug: d\n");
    free(text);
}

static void test_one_newline(void **state)
{
    hsmca_test_capture cap;
    char *text;

    hsmca_log_set_level(HSMCA_LOG_WARN);
    assert_int_equal(hsmca_test_capture_stderr(&cap), 0);
    hsmca_log_warn("already ends\n");
    hsmca_log_warn("%s", "");
    text = hsmca_test_capture_end(&cap);
    assert_string_equal(text, "hsmca: warn: already ends\nhsmca: warn: \n");
    free(text);
}

static void test_long_line_cut(void **state)
{
    hsmca_test_capture cap;
    char big[5000];
    char *text;

    memset(big, 'L', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    hsmca_log_set_level(HSMCA_LOG_WARN);
    assert_int_equal(hsmca_test_capture_stderr(&cap), 0);
    hsmca_log_warn("%s", big);
    text = hsmca_test_capture_end(&cap);
    assert_non_null(text);
    size_t n = strlen(text);
    assert_true(n < 2048);
    assert_string_equal(text + n - 4, "...\n");
    assert_memory_equal(text, "hsmca: warn: LLL", 16);
    free(text);
}

static void test_errno_preserved(void **state)
{
    hsmca_test_capture cap;

    hsmca_log_set_level(HSMCA_LOG_WARN);
    assert_int_equal(hsmca_test_capture_stderr(&cap), 0);
    errno = EACCES;
    hsmca_log_warn("x");
    assert_int_equal(errno, EACCES);
    free(hsmca_test_capture_end(&cap));
}

/* HSMCA_LOG is read on first use, so check it in a fresh child process. */
static int level_in_child(const char *env)
{
    int status;
    pid_t pid = fork();

    if (pid == 0) {
        if (env != NULL)
            setenv("HSMCA_LOG", env, 1);
        else
            unsetenv("HSMCA_LOG");
        int lv = HSMCA_LOG_ERROR;
        while (lv < HSMCA_LOG_DEBUG && hsmca_log_enabled((hsmca_log_level)(lv + 1)))
            lv++;
        _exit(lv);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

static void test_level_from_env(void **state)
{
    assert_int_equal(level_in_child(NULL), HSMCA_LOG_WARN);
    assert_int_equal(level_in_child(""), HSMCA_LOG_WARN);
    assert_int_equal(level_in_child("debug"), HSMCA_LOG_DEBUG);
    assert_int_equal(level_in_child("info"), HSMCA_LOG_INFO);
    assert_int_equal(level_in_child("error"), HSMCA_LOG_ERROR);
    assert_int_equal(level_in_child("bogus"), HSMCA_LOG_WARN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_level_from_env), /* first: before any set_level */
        cmocka_unit_test(test_parse_level),
        cmocka_unit_test(test_levels_filter),
        cmocka_unit_test(test_one_newline),
        cmocka_unit_test(test_long_line_cut),
        cmocka_unit_test(test_errno_preserved),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
