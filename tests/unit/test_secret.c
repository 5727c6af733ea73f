/* Unit tests: secret buffers and PIN sources (src/core/secret.c).
 *
 * Tests run without a terminal. The prompt is exercised on a pseudo-terminal
 * that a forked child takes as its controlling terminal; the "no terminal"
 * case runs in a child that has left its session (setsid), so neither
 * depends on how the tests were started.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include "hsmca/err.h"
#include "hsmca/log.h"
#include "hsmca/secret.h"
#include "support.h"

#define PIN_VAR "HSMCA_TEST_PIN"

struct fixture {
    char dir[256];
    char path[512];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);

    if (f == NULL || hsmca_test_mkdtemp(f->dir, sizeof f->dir) != 0 ||
        hsmca_test_path(f->path, sizeof f->path, f->dir, "pin") != 0) {
        free(f);
        return -1;
    }
    unsetenv(PIN_VAR);
    hsmca_secret_env_pins_forget();
    hsmca_log_set_level(HSMCA_LOG_WARN);
    hsmca_err_clear();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    unsetenv(PIN_VAR);
    hsmca_test_rmtree(f->dir);
    free(f);
    return 0;
}

static void write_pin_file(struct fixture *f, const void *data, size_t n)
{
    assert_int_equal(hsmca_test_write_file(f->path, data, n, 0600), 0);
}

static void expect_pin_from_file(struct fixture *f, const char *content, const char *want)
{
    hsmca_pin_source src = {.file = f->path, .what = "PIN"};
    hsmca_secret *s = NULL;

    write_pin_file(f, content, strlen(content));
    if (hsmca_secret_read_pin(&src, &s) != HSMCA_OK)
        fail_msg("file %s refused: %s", content, hsmca_err_message());
    assert_string_equal(hsmca_secret_get0(s), want);
    assert_int_equal(hsmca_secret_len(s), strlen(want));
    hsmca_secret_free(s);
}

/* read_pin fails with code, *out stays NULL, message contains `want`. */
static void expect_pin_error(const hsmca_pin_source *src, hsmca_err code, const char *want)
{
    hsmca_secret *s = NULL;

    assert_int_equal(hsmca_secret_read_pin(src, &s), code);
    assert_null(s);
    if (strstr(hsmca_err_message(), want) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", hsmca_err_message(), want);
}

static void test_secret_new(void **state)
{
    char src[] = "12345";
    hsmca_secret *s = NULL;

    assert_int_equal(hsmca_secret_new(src, 5, &s), HSMCA_OK);
    src[0] = 'X'; /* a copy, not a reference */
    assert_string_equal(hsmca_secret_get0(s), "12345");
    assert_int_equal(hsmca_secret_len(s), 5);
    hsmca_secret_free(s);

    /* Not NUL-terminated input gets a terminator. */
    assert_int_equal(hsmca_secret_new("abcdef", 3, &s), HSMCA_OK);
    assert_string_equal(hsmca_secret_get0(s), "abc");
    hsmca_secret_free(s);

    assert_int_equal(hsmca_secret_new(NULL, 0, &s), HSMCA_OK);
    assert_string_equal(hsmca_secret_get0(s), "");
    assert_int_equal(hsmca_secret_len(s), 0);
    hsmca_secret_free(s);

    /* Large secrets span several pages. */
    char *big = malloc(20000);
    assert_non_null(big);
    memset(big, 'q', 20000);
    assert_int_equal(hsmca_secret_new(big, 20000, &s), HSMCA_OK);
    assert_int_equal(hsmca_secret_len(s), 20000);
    assert_int_equal(hsmca_secret_get0(s)[19999], 'q');
    assert_int_equal(hsmca_secret_get0(s)[20000], '\0');
    hsmca_secret_free(s);
    free(big);

    hsmca_secret_free(NULL);
    assert_null(hsmca_secret_get0(NULL));
    assert_int_equal(hsmca_secret_len(NULL), 0);
    s = NULL;
    assert_int_equal(hsmca_secret_new(NULL, 1, &s), HSMCA_E_USAGE);
    assert_null(s);
}

static void test_file_newlines(void **state)
{
    struct fixture *f = *state;

    expect_pin_from_file(f, "1234\n", "1234");
    expect_pin_from_file(f, "1234\r\n", "1234");
    expect_pin_from_file(f, "1234", "1234");
    expect_pin_from_file(f, "1234\nsecond line\n", "1234");
    expect_pin_from_file(f, "with space \n", "with space ");
    expect_pin_from_file(f, "a\rb\r\n", "a\rb"); /* only the trailing CR goes */
}

static void test_file_empty(void **state)
{
    struct fixture *f = *state;
    hsmca_pin_source src = {.file = f->path, .what = "PIN"};
    char want[600];

    snprintf(want, sizeof want, "empty PIN in file '%s'", f->path);
    write_pin_file(f, "", 0);
    expect_pin_error(&src, HSMCA_E_INPUT, want);
    write_pin_file(f, "\n", 1);
    expect_pin_error(&src, HSMCA_E_INPUT, want);
    write_pin_file(f, "\r\nsecond\n", 9);
    expect_pin_error(&src, HSMCA_E_INPUT, want);
}

static void test_file_max_length(void **state)
{
    struct fixture *f = *state;
    hsmca_pin_source src = {.file = f->path, .what = "PIN"};
    char buf[HSMCA_SECRET_MAX + 64];
    hsmca_secret *s = NULL;

    /* Exactly HSMCA_SECRET_MAX, with CR LF: accepted. */
    memset(buf, 'p', HSMCA_SECRET_MAX);
    memcpy(buf + HSMCA_SECRET_MAX, "\r\n", 2);
    write_pin_file(f, buf, HSMCA_SECRET_MAX + 2);
    assert_int_equal(hsmca_secret_read_pin(&src, &s), HSMCA_OK);
    assert_int_equal(hsmca_secret_len(s), HSMCA_SECRET_MAX);
    hsmca_secret_free(s);
    s = NULL;

    /* One more byte: refused, with or without a newline after it. */
    memset(buf, 'p', HSMCA_SECRET_MAX + 1);
    buf[HSMCA_SECRET_MAX + 1] = '\n';
    write_pin_file(f, buf, HSMCA_SECRET_MAX + 2);
    expect_pin_error(&src, HSMCA_E_INPUT, "longer than 256 bytes");
    write_pin_file(f, buf, HSMCA_SECRET_MAX + 1);
    expect_pin_error(&src, HSMCA_E_INPUT, "longer than 256 bytes");
}

static void test_file_huge(void **state)
{
    struct fixture *f = *state;
    hsmca_pin_source src = {.file = f->path, .what = "PIN"};
    size_t n = 1 << 20;
    char *big = malloc(n);

    assert_non_null(big);
    memset(big, 'x', n);
    write_pin_file(f, big, n);
    free(big);
    expect_pin_error(&src, HSMCA_E_INPUT, "longer than");
}

static void test_file_nul_byte(void **state)
{
    struct fixture *f = *state;
    hsmca_pin_source src = {.file = f->path, .what = "PIN"};

    write_pin_file(f, "12\0" "34\n", 6);
    expect_pin_error(&src, HSMCA_E_INPUT, "NUL byte");
}

static void test_file_missing(void **state)
{
    struct fixture *f = *state;
    hsmca_pin_source src = {.file = f->path, .env_var = PIN_VAR, .what = "PIN"};
    char want[600];

    /* The file is named even though the variable is set: a broken file is
     * an error, not a reason to use another PIN. */
    setenv(PIN_VAR, "1234", 1);
    snprintf(want, sizeof want, "cannot open PIN file '%s': %s", f->path, strerror(ENOENT));
    expect_pin_error(&src, HSMCA_E_IO, want);
}

static void test_file_is_directory(void **state)
{
    struct fixture *f = *state;
    hsmca_pin_source src = {.file = f->dir, .what = "PIN"};

    expect_pin_error(&src, HSMCA_E_IO, "is a directory");
}

static void test_file_unreadable(void **state)
{
    struct fixture *f = *state;
    hsmca_pin_source src = {.file = f->path, .what = "PIN"};

    if (geteuid() == 0)
        skip(); /* root reads mode 000 files */
    assert_int_equal(hsmca_test_write_file(f->path, "1234\n", 5, 0000), 0);
    expect_pin_error(&src, HSMCA_E_IO, strerror(EACCES));
}

static void test_file_permission_warning(void **state)
{
    struct fixture *f = *state;
    hsmca_pin_source src = {.file = f->path, .what = "user PIN for token 'root'"};
    hsmca_test_capture cap;
    hsmca_secret *s = NULL;
    char *text;

    assert_int_equal(hsmca_test_write_file(f->path, "97531\n", 6, 0644), 0);
    assert_int_equal(hsmca_test_capture_stderr(&cap), 0);
    assert_int_equal(hsmca_secret_read_pin(&src, &s), HSMCA_OK);
    text = hsmca_test_capture_end(&cap);
    assert_non_null(text);
    assert_string_equal(hsmca_secret_get0(s), "97531");
    hsmca_secret_free(s);
    s = NULL;
    assert_non_null(strstr(text, "hsmca: warn: "));
    assert_non_null(strstr(text, f->path));
    assert_non_null(strstr(text, "readable by group or others"));
    assert_null(strstr(text, "97531")); /* never the PIN */
    free(text);

    /* 0600: silent. */
    assert_int_equal(hsmca_test_write_file(f->path, "97531\n", 6, 0600), 0);
    assert_int_equal(hsmca_test_capture_stderr(&cap), 0);
    assert_int_equal(hsmca_secret_read_pin(&src, &s), HSMCA_OK);
    text = hsmca_test_capture_end(&cap);
    assert_non_null(text);
    assert_string_equal(text, "");
    free(text);
    hsmca_secret_free(s);
}

static void test_file_before_env(void **state)
{
    struct fixture *f = *state;
    hsmca_pin_source src = {.file = f->path, .env_var = PIN_VAR, .what = "PIN"};
    hsmca_secret *s = NULL;

    setenv(PIN_VAR, "from-env", 1);
    write_pin_file(f, "from-file\n", 10);
    assert_int_equal(hsmca_secret_read_pin(&src, &s), HSMCA_OK);
    assert_string_equal(hsmca_secret_get0(s), "from-file");
    hsmca_secret_free(s);
}

static void test_env(void **state)
{
    hsmca_pin_source src = {.env_var = PIN_VAR, .allow_prompt = 0, .what = "PIN"};
    hsmca_secret *s = NULL;

    setenv(PIN_VAR, "5678", 1);
    assert_int_equal(hsmca_secret_read_pin(&src, &s), HSMCA_OK);
    assert_string_equal(hsmca_secret_get0(s), "5678");
    hsmca_secret_free(s);
    s = NULL;

    setenv(PIN_VAR, "5678\n", 1); /* from $(...) or a heredoc */
    assert_int_equal(hsmca_secret_read_pin(&src, &s), HSMCA_OK);
    assert_string_equal(hsmca_secret_get0(s), "5678");
    hsmca_secret_free(s);
}

/* DESIGN.md: PINs wiped after use. The variable's bytes are cleared in place
 * and it leaves the environment; the PIN stays readable for a second token. */
static void test_env_wiped(void **state)
{
    hsmca_pin_source src = {.env_var = PIN_VAR, .allow_prompt = 0, .what = "PIN"};
    hsmca_secret *s = NULL;
    const char *bytes;

    (void)state;
    setenv(PIN_VAR, "97531", 1);
    bytes = getenv(PIN_VAR); /* glibc keeps setenv's string allocated */
    assert_int_equal(hsmca_secret_read_pin(&src, &s), HSMCA_OK);
    assert_string_equal(hsmca_secret_get0(s), "97531");
    hsmca_secret_free(s);
    s = NULL;
    assert_null(getenv(PIN_VAR));
    assert_int_equal(bytes[0], 0); /* the value itself, wiped */
    assert_int_equal(hsmca_secret_read_pin(&src, &s), HSMCA_OK);
    assert_string_equal(hsmca_secret_get0(s), "97531");
    hsmca_secret_free(s);
    s = NULL;
    /* set again: the new value wins */
    setenv(PIN_VAR, "1111", 1);
    assert_int_equal(hsmca_secret_read_pin(&src, &s), HSMCA_OK);
    assert_string_equal(hsmca_secret_get0(s), "1111");
    hsmca_secret_free(s);
    s = NULL;
    hsmca_secret_env_pins_forget();
    assert_int_equal(hsmca_secret_read_pin(&src, &s), HSMCA_E_PIN);
    assert_null(s);
}

static void test_env_empty(void **state)
{
    hsmca_pin_source src = {.env_var = PIN_VAR, .allow_prompt = 0, .what = "PIN"};

    setenv(PIN_VAR, "", 1);
    expect_pin_error(&src, HSMCA_E_INPUT, "empty PIN in $" PIN_VAR);
}

static void test_env_too_long(void **state)
{
    hsmca_pin_source src = {.env_var = PIN_VAR, .allow_prompt = 0, .what = "PIN"};
    char big[HSMCA_SECRET_MAX + 2];

    memset(big, 'e', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    setenv(PIN_VAR, big, 1);
    expect_pin_error(&src, HSMCA_E_INPUT, "PIN in $" PIN_VAR " is longer than 256 bytes");
    big[HSMCA_SECRET_MAX] = '\0';
    setenv(PIN_VAR, big, 1);
    hsmca_secret *s = NULL;
    assert_int_equal(hsmca_secret_read_pin(&src, &s), HSMCA_OK);
    assert_int_equal(hsmca_secret_len(s), HSMCA_SECRET_MAX);
    hsmca_secret_free(s);
}

static void test_no_source(void **state)
{
    hsmca_pin_source src = {.env_var = PIN_VAR, .allow_prompt = 0,
                            .what = "user PIN for token 'root'"};

    expect_pin_error(&src, HSMCA_E_PIN,
                     "no user PIN for token 'root': set $" PIN_VAR " or pass --pin-file FILE");
    hsmca_pin_source bare = {0};
    expect_pin_error(&bare, HSMCA_E_PIN, "no PIN: pass --pin-file FILE");
}

static void test_null_arguments(void **state)
{
    hsmca_pin_source src = {0};
    hsmca_secret *s = NULL;

    assert_int_equal(hsmca_secret_read_pin(NULL, &s), HSMCA_E_USAGE);
    assert_int_equal(hsmca_secret_read_pin(&src, NULL), HSMCA_E_USAGE);
}

/* ---- prompt, in forked children ---- */

/* Send a line "<code>\t<pin or message>" from a child to the parent. */
static void child_report(int fd, hsmca_err code, const char *text)
{
    char line[1200];
    int n = snprintf(line, sizeof line, "%d\t%s", code, text);
    if (n > 0)
        (void)!write(fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* Read until EOF, but give up after 10 s of silence so a stuck child makes
 * the test fail instead of hang. */
static void read_all(int fd, char *buf, size_t len)
{
    size_t n = 0;
    ssize_t r;
    struct pollfd pfd = {.fd = fd, .events = POLLIN};

    while (n + 1 < len && poll(&pfd, 1, 10000) > 0 &&
           (r = read(fd, buf + n, len - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
}

static void test_prompt_without_terminal(void **state)
{
    int p[2];
    char got[1200];
    int status;
    pid_t pid;

    assert_int_equal(pipe(p), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        hsmca_pin_source src = {.env_var = PIN_VAR, .allow_prompt = 1, .what = "test PIN"};
        hsmca_secret *s = NULL;
        close(p[0]);
        (void)setsid(); /* no controlling terminal: /dev/tty cannot open */
        hsmca_err e = hsmca_secret_read_pin(&src, &s);
        child_report(p[1], e, hsmca_err_message());
        hsmca_secret_free(s);
        _exit(0);
    }
    close(p[1]);
    read_all(p[0], got, sizeof got);
    close(p[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char want[300];
    snprintf(want, sizeof want, "%d\tno test PIN: set $%s, pass --pin-file FILE, or run on a terminal",
             HSMCA_E_PIN, PIN_VAR);
    assert_string_equal(got, want);
}

/* Read from the pty master until `want` shows up (or 10 s pass). */
static int wait_for(int master, const char *want, char *seen, size_t len)
{
    size_t n = strlen(seen);

    while (strstr(seen, want) == NULL) {
        struct pollfd pfd = {.fd = master, .events = POLLIN};
        if (poll(&pfd, 1, 10000) <= 0)
            return -1;
        ssize_t r = read(master, seen + n, len - 1 - n);
        if (r <= 0)
            return -1;
        n += (size_t)r;
        seen[n] = '\0';
    }
    return 0;
}

/* Drain whatever the child wrote after the PIN (without blocking). */
static void drain(int master, char *seen, size_t len)
{
    size_t n = strlen(seen);
    struct pollfd pfd = {.fd = master, .events = POLLIN};

    while (n + 1 < len && poll(&pfd, 1, 200) > 0) {
        ssize_t r = read(master, seen + n, len - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        seen[n] = '\0';
    }
}

struct prompt_run {
    char report[1200];   /* what the child's read_pin returned */
    char screen[4096];   /* everything the child wrote to the terminal */
    int status;          /* waitpid status */
    int echo_after;      /* ECHO set on the terminal after the child ended */
};

/* A child with the pty as its controlling terminal runs read_pin with a
 * prompt; the parent types `typed` once the prompt appears. */
static void run_prompt(const char *typed, struct prompt_run *run)
{
    int master, slave, p[2];
    struct termios t;
    pid_t pid;

    memset(run, 0, sizeof *run);
    assert_int_equal(openpty(&master, &slave, NULL, NULL, NULL), 0);
    assert_int_equal(tcgetattr(slave, &t), 0);
    assert_true(t.c_lflag & ECHO);
    assert_int_equal(pipe(p), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        hsmca_pin_source src = {.env_var = PIN_VAR, .allow_prompt = 1, .what = "test PIN"};
        hsmca_secret *s = NULL;
        close(master);
        close(p[0]);
        if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) != 0)
            _exit(10);
        hsmca_err e = hsmca_secret_read_pin(&src, &s);
        child_report(p[1], e, e == HSMCA_OK ? hsmca_secret_get0(s) : hsmca_err_message());
        hsmca_secret_free(s);
        _exit(0);
    }
    close(p[1]);
    if (wait_for(master, "Enter test PIN: ", run->screen, sizeof run->screen) != 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("no prompt; terminal showed \"%s\"", run->screen);
    }
    assert_int_equal(write(master, typed, strlen(typed)), (ssize_t)strlen(typed));
    read_all(p[0], run->report, sizeof run->report);
    close(p[0]);
    for (int i = 0; i < 100 && waitpid(pid, &run->status, WNOHANG) == 0; i++)
        usleep(100000);
    if (kill(pid, 0) == 0 && waitpid(pid, &run->status, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("the prompting child did not finish within 10 s");
    }
    drain(master, run->screen, sizeof run->screen);
    assert_int_equal(tcgetattr(slave, &t), 0);
    run->echo_after = (t.c_lflag & ECHO) != 0;
    close(slave);
    close(master);
}

static void test_prompt_reads_without_echo(void **state)
{
    struct prompt_run run;
    char want[64];

    run_prompt("s3cret-pin\n", &run);
    assert_true(WIFEXITED(run.status) && WEXITSTATUS(run.status) == 0);
    snprintf(want, sizeof want, "%d\ts3cret-pin", HSMCA_OK);
    assert_string_equal(run.report, want);
    /* Echo was off: the PIN never appeared on the terminal ... */
    assert_null(strstr(run.screen, "s3cret"));
    /* ... a newline followed the prompt, and echo is back on. */
    assert_non_null(strstr(run.screen, "Enter test PIN: \r\n"));
    assert_true(run.echo_after);
}

static void test_prompt_empty_entry(void **state)
{
    struct prompt_run run;
    char want[64];

    run_prompt("\n", &run);
    assert_true(WIFEXITED(run.status) && WEXITSTATUS(run.status) == 0);
    snprintf(want, sizeof want, "%d\tempty test PIN entered", HSMCA_E_INPUT);
    assert_string_equal(run.report, want);
    assert_true(run.echo_after);
}

static void test_prompt_interrupt_restores_terminal(void **state)
{
    struct prompt_run run;

    /* ^C (VINTR) at the prompt: the child dies of SIGINT as usual, but only
     * after turning echo back on. */
    run_prompt("12\x03", &run);
    assert_true(WIFSIGNALED(run.status));
    assert_int_equal(WTERMSIG(run.status), SIGINT);
    assert_true(run.echo_after);
    assert_string_equal(run.report, ""); /* it reported nothing */
}

static void test_harden_process(void **state)
{
    int status;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit rl;
        hsmca_secret_harden_process();
        if (getrlimit(RLIMIT_CORE, &rl) != 0 || rl.rlim_cur != 0 || rl.rlim_max != 0)
            _exit(1);
        if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
            _exit(2);
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_secret_new),
        T(test_file_newlines),
        T(test_file_empty),
        T(test_file_max_length),
        T(test_file_huge),
        T(test_file_nul_byte),
        T(test_file_missing),
        T(test_file_is_directory),
        T(test_file_unreadable),
        T(test_file_permission_warning),
        T(test_file_before_env),
        T(test_env),
        T(test_env_wiped),
        T(test_env_empty),
        T(test_env_too_long),
        T(test_no_source),
        T(test_null_arguments),
        T(test_prompt_without_terminal),
        T(test_prompt_reads_without_echo),
        T(test_prompt_empty_entry),
        T(test_prompt_interrupt_restores_terminal),
        T(test_harden_process),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
