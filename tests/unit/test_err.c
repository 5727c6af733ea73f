/* Unit tests: the thread-local last error (src/core/err.c). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "hsmca/err.h"

static int reset(void **state)
{
    (void)state;
    hsmca_err_clear();
    ERR_clear_error();
    return 0;
}

static void test_setf_sets_code_and_message(void **state)
{
    assert_int_equal(hsmca_err_setf(HSMCA_E_INPUT, "bad %s at %d", "thing", 7), HSMCA_E_INPUT);
    assert_int_equal(hsmca_err_last(), HSMCA_E_INPUT);
    assert_string_equal(hsmca_err_message(), "bad thing at 7");
    assert_string_equal(hsmca_err_detail(), "");
}

static void test_setf_replaces_detail(void **state)
{
    hsmca_err_setf(HSMCA_E_PKCS11, "first");
    hsmca_err_detailf("CKR_%s", "PIN_INCORRECT");
    assert_string_equal(hsmca_err_detail(), "CKR_PIN_INCORRECT");
    hsmca_err_setf(HSMCA_E_IO, "second");
    assert_string_equal(hsmca_err_message(), "second");
    assert_string_equal(hsmca_err_detail(), "");
}

static void test_detailf_appends(void **state)
{
    hsmca_err_setf(HSMCA_E_PKCS11, "login failed");
    hsmca_err_detailf("CKR_PIN_INCORRECT");
    hsmca_err_detailf("slot %d", 3);
    assert_string_equal(hsmca_err_detail(), "CKR_PIN_INCORRECT; slot 3");
    assert_string_equal(hsmca_err_message(), "login failed");
    assert_int_equal(hsmca_err_last(), HSMCA_E_PKCS11);
}

static void test_context_prefixes(void **state)
{
    hsmca_err_setf(HSMCA_E_PIN, "wrong PIN");
    hsmca_err_detailf("CKR_PIN_INCORRECT");
    hsmca_err_context("token '%s'", "root");
    hsmca_err_context("ceremony step %d", 3);
    assert_string_equal(hsmca_err_message(), "ceremony step 3: token 'root': wrong PIN");
    assert_string_equal(hsmca_err_detail(), "CKR_PIN_INCORRECT");
    assert_int_equal(hsmca_err_last(), HSMCA_E_PIN);
}

static void test_setf_may_quote_current_message(void **state)
{
    /* Arguments pointing into the record itself must not corrupt it. */
    hsmca_err_setf(HSMCA_E_IO, "disk full");
    hsmca_err_setf(HSMCA_E_IO, "writing x: %s (%s)", hsmca_err_message(), hsmca_err_message());
    assert_string_equal(hsmca_err_message(), "writing x: disk full (disk full)");
}

static void test_openssl_drains_queue(void **state)
{
    ERR_raise_data(ERR_LIB_EVP, ERR_R_PASSED_INVALID_ARGUMENT, "first-data");
    ERR_raise(ERR_LIB_X509, ERR_R_MALLOC_FAILURE);
    assert_int_equal(hsmca_err_openssl(HSMCA_E_CRYPTO, "signing %s", "tbs"), HSMCA_E_CRYPTO);
    assert_string_equal(hsmca_err_message(), "signing tbs");
    const char *d = hsmca_err_detail();
    assert_non_null(strstr(d, "first-data"));
    assert_non_null(strstr(d, "; "));
    assert_non_null(strstr(d, "error:"));
    /* Order kept: oldest first. */
    assert_true(strstr(d, "first-data") < strstr(d, "; "));
    assert_int_equal(ERR_peek_error(), 0);
}

static void test_openssl_real_failure(void **state)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "NO-SUCH-ALGORITHM", NULL);
    assert_null(ctx);
    hsmca_err_openssl(HSMCA_E_CRYPTO, "cannot make a key context");
    assert_string_not_equal(hsmca_err_detail(), "");
    assert_int_equal(ERR_peek_error(), 0);
}

static void test_openssl_empty_queue(void **state)
{
    hsmca_err_openssl(HSMCA_E_CRYPTO, "nothing queued");
    assert_string_equal(hsmca_err_detail(), "");
}

static void test_openssl_drains_even_when_detail_full(void **state)
{
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    for (int i = 0; i < 20; i++)
        ERR_raise_data(ERR_LIB_EVP, ERR_R_PASSED_INVALID_ARGUMENT, "%s", big);
    hsmca_err_openssl(HSMCA_E_CRYPTO, "many");
    assert_int_equal(ERR_peek_error(), 0);
    assert_true(strlen(hsmca_err_detail()) < 1024);
    const char *d = hsmca_err_detail();
    assert_string_equal(d + strlen(d) - 3, "...");
}

static void test_long_message_truncated(void **state)
{
    char big[5000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    hsmca_err_setf(HSMCA_E_INPUT, "%s", big);
    const char *m = hsmca_err_message();
    assert_int_equal(strlen(m), 1023);
    assert_string_equal(m + strlen(m) - 3, "...");
    assert_int_equal(m[0], 'a');

    hsmca_err_detailf("%s", big);
    const char *d = hsmca_err_detail();
    assert_int_equal(strlen(d), 1023);
    assert_string_equal(d + strlen(d) - 3, "...");
    /* Appending to a full detail keeps it bounded and marked. */
    hsmca_err_detailf("more");
    assert_int_equal(strlen(hsmca_err_detail()), 1023);
}

static void test_context_on_long_message(void **state)
{
    char big[2000];
    memset(big, 'b', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    hsmca_err_setf(HSMCA_E_INPUT, "%s", big);
    hsmca_err_context("outer context");
    const char *m = hsmca_err_message();
    assert_int_equal(strlen(m), 1023);
    assert_memory_equal(m, "outer context: bbb", 18);
    assert_string_equal(m + strlen(m) - 3, "...");
}

static void test_context_exactly_full_message(void **state)
{
    /* A message that exactly fills the buffer, then more: still marked. */
    char big[1024];
    memset(big, 'c', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    hsmca_err_setf(HSMCA_E_INPUT, "%s", big);
    assert_int_equal(strlen(hsmca_err_message()), 1023);
    hsmca_err_context("ctx");
    const char *m = hsmca_err_message();
    assert_int_equal(strlen(m), 1023);
    assert_memory_equal(m, "ctx: ccc", 8);
    assert_string_equal(m + strlen(m) - 3, "...");
}

static void test_context_without_message(void **state)
{
    hsmca_err_context("only context");
    assert_string_equal(hsmca_err_message(), "only context");
}

static void test_format(void **state)
{
    char buf[256];

    hsmca_err_setf(HSMCA_E_PIN, "login to 'root' failed");
    assert_string_equal(hsmca_err_format(buf, sizeof buf), "login to 'root' failed");
    hsmca_err_detailf("CKR_PIN_INCORRECT");
    assert_ptr_equal(hsmca_err_format(buf, sizeof buf), buf);
    assert_string_equal(buf, "login to 'root' failed (CKR_PIN_INCORRECT)");
}

static void test_format_code_without_message(void **state)
{
    char buf[64];

    hsmca_err_setf(HSMCA_E_STATE, "%s", "");
    assert_string_equal(hsmca_err_format(buf, sizeof buf), "state");
    hsmca_err_clear();
    assert_string_equal(hsmca_err_format(buf, sizeof buf), "");
}

static void test_format_truncates_without_overflow(void **state)
{
    char buf[64];

    hsmca_err_setf(HSMCA_E_PIN, "a fairly long message");
    hsmca_err_detailf("and its detail");
    memset(buf, 'Z', sizeof buf);
    hsmca_err_format(buf, 12);
    assert_int_equal(strlen(buf), 11);
    assert_string_equal(buf, "a fairly...");
    for (size_t i = 12; i < sizeof buf; i++)
        assert_int_equal(buf[i], 'Z');

    memset(buf, 'Z', sizeof buf);
    hsmca_err_format(buf, 3);
    assert_string_equal(buf, "a ");
    assert_int_equal(buf[3], 'Z');

    memset(buf, 'Z', sizeof buf);
    hsmca_err_format(buf, 1);
    assert_string_equal(buf, "");
    assert_int_equal(buf[1], 'Z');

    assert_string_equal(hsmca_err_format(buf, 0), "");
    assert_string_equal(hsmca_err_format(NULL, 10), "");
}

static void test_format_cut_in_detail(void **state)
{
    char buf[24];

    hsmca_err_setf(HSMCA_E_PIN, "message");
    hsmca_err_detailf("a detail that is long");
    hsmca_err_format(buf, sizeof buf);
    assert_int_equal(strlen(buf), 23);
    assert_memory_equal(buf, "message (a detail t", 19);
    assert_string_equal(buf + 20, "...");
}

static void test_code_names(void **state)
{
    static const struct { hsmca_err code; const char *name; } want[] = {
        {HSMCA_OK, "ok"},
        {HSMCA_E_USAGE, "usage"},
        {HSMCA_E_INPUT, "input"},
        {HSMCA_E_NOMEM, "nomem"},
        {HSMCA_E_IO, "io"},
        {HSMCA_E_CRYPTO, "crypto"},
        {HSMCA_E_MODULE, "module"},
        {HSMCA_E_TOKEN_NOT_FOUND, "token-not-found"},
        {HSMCA_E_TOKEN_UNINIT, "token-uninit"},
        {HSMCA_E_PIN, "pin"},
        {HSMCA_E_PIN_LOCKED, "pin-locked"},
        {HSMCA_E_KEY_NOT_FOUND, "key-not-found"},
        {HSMCA_E_KEY_EXISTS, "key-exists"},
        {HSMCA_E_PKCS11, "pkcs11"},
        {HSMCA_E_EXISTS, "exists"},
        {HSMCA_E_NOT_FOUND, "not-found"},
        {HSMCA_E_STATE, "state"},
        {HSMCA_E_VERIFY, "verify"},
        {HSMCA_E_INTERNAL, "internal"},
    };
    /* Every code has a name; a new code without one fails here. */
    assert_int_equal(sizeof want / sizeof want[0], HSMCA_E__COUNT);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        assert_string_equal(hsmca_err_code_name(want[i].code), want[i].name);
    assert_string_equal(hsmca_err_code_name(-1), "unknown");
    assert_string_equal(hsmca_err_code_name(HSMCA_E__COUNT), "unknown");
    assert_string_equal(hsmca_err_code_name(1000), "unknown");
}

static void test_clear(void **state)
{
    hsmca_err_setf(HSMCA_E_IO, "x");
    hsmca_err_detailf("y");
    hsmca_err_clear();
    assert_int_equal(hsmca_err_last(), HSMCA_OK);
    assert_string_equal(hsmca_err_message(), "");
    assert_string_equal(hsmca_err_detail(), "");
}

/* Guard macros: the happy path falls through, a failure jumps to out. */
static hsmca_err guarded(int fail_at, int *reached)
{
    hsmca_err err = HSMCA_OK;

    *reached = 0;
    HSMCA_ENSURE(fail_at != 1, HSMCA_E_INPUT, "failed at %d", 1);
    *reached = 1;
    HSMCA_GUARD(fail_at == 2 ? hsmca_err_setf(HSMCA_E_IO, "inner") : HSMCA_OK);
    *reached = 2;
    HSMCA_OSSL(fail_at != 3, "openssl at %d", 3);
    *reached = 3;
out:
    return err;
}

static void test_guard_macros(void **state)
{
    int reached;

    assert_int_equal(guarded(0, &reached), HSMCA_OK);
    assert_int_equal(reached, 3);
    assert_int_equal(guarded(1, &reached), HSMCA_E_INPUT);
    assert_int_equal(reached, 0);
    assert_string_equal(hsmca_err_message(), "failed at 1");
    assert_int_equal(guarded(2, &reached), HSMCA_E_IO);
    assert_int_equal(reached, 1);
    assert_string_equal(hsmca_err_message(), "inner");
    assert_int_equal(guarded(3, &reached), HSMCA_E_CRYPTO);
    assert_int_equal(reached, 2);
}

static void *other_thread(void *arg)
{
    int *ok = arg;
    /* A new thread starts with no error, whatever the main thread has. */
    *ok = hsmca_err_last() == HSMCA_OK && hsmca_err_message()[0] == '\0';
    hsmca_err_setf(HSMCA_E_VERIFY, "from the other thread");
    return NULL;
}

static void test_thread_local(void **state)
{
    pthread_t t;
    int ok = 0;

    hsmca_err_setf(HSMCA_E_IO, "main thread");
    assert_int_equal(pthread_create(&t, NULL, other_thread, &ok), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_true(ok);
    assert_int_equal(hsmca_err_last(), HSMCA_E_IO);
    assert_string_equal(hsmca_err_message(), "main thread");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_setf_sets_code_and_message, reset),
        cmocka_unit_test_setup(test_setf_replaces_detail, reset),
        cmocka_unit_test_setup(test_detailf_appends, reset),
        cmocka_unit_test_setup(test_context_prefixes, reset),
        cmocka_unit_test_setup(test_setf_may_quote_current_message, reset),
        cmocka_unit_test_setup(test_openssl_drains_queue, reset),
        cmocka_unit_test_setup(test_openssl_real_failure, reset),
        cmocka_unit_test_setup(test_openssl_empty_queue, reset),
        cmocka_unit_test_setup(test_openssl_drains_even_when_detail_full, reset),
        cmocka_unit_test_setup(test_long_message_truncated, reset),
        cmocka_unit_test_setup(test_context_on_long_message, reset),
        cmocka_unit_test_setup(test_context_exactly_full_message, reset),
        cmocka_unit_test_setup(test_context_without_message, reset),
        cmocka_unit_test_setup(test_format, reset),
        cmocka_unit_test_setup(test_format_code_without_message, reset),
        cmocka_unit_test_setup(test_format_truncates_without_overflow, reset),
        cmocka_unit_test_setup(test_format_cut_in_detail, reset),
        cmocka_unit_test_setup(test_code_names, reset),
        cmocka_unit_test_setup(test_clear, reset),
        cmocka_unit_test_setup(test_guard_macros, reset),
        cmocka_unit_test_setup(test_thread_local, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
