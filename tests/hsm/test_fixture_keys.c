/* Fixture keys (issue #8): derivation from the seed (src/fixtures/derive.c)
 * and the fixtures-only import into a SoftHSM2 token (src/hsm/import.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "hsmca/fixtures.h"
#include "hsmca/hsm.h"
#include "require.h"
#include "softhsm.h"
#include "support.h"

/* f->tok is the token "test", logged in. */
typedef hsmca_test_tokens fixture;

static int setup(void **state)
{
    static const char *const labels[] = {"test", NULL};

    return hsmca_test_tokens_setup(state, labels);
}

static int teardown(void **state)
{
    return hsmca_test_tokens_teardown(state);
}

/* Same (seed, label): same key; another label or seed: another key. */
static void test_derive_deterministic(void **state)
{
    static const unsigned types[] = {HSMCA_PROFILE_KEY_P256, HSMCA_PROFILE_KEY_P384,
                                     HSMCA_PROFILE_KEY_RSA2048};
    (void)state;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        EVP_PKEY *a = NULL, *b = NULL, *c = NULL, *d = NULL;
        ASSERT_OK(hsmca_fixtures_derive_key("seed", "role", types[i], &a));
        ASSERT_OK(hsmca_fixtures_derive_key("seed", "role", types[i], &b));
        ASSERT_OK(hsmca_fixtures_derive_key("seed", "other-role", types[i], &c));
        ASSERT_OK(hsmca_fixtures_derive_key("other-seed", "role", types[i], &d));
        assert_int_equal(EVP_PKEY_eq(a, b), 1);
        assert_int_not_equal(EVP_PKEY_eq(a, c), 1);
        assert_int_not_equal(EVP_PKEY_eq(a, d), 1);
        assert_int_equal(EVP_PKEY_get_bits(a), types[i] == HSMCA_PROFILE_KEY_P384 ? 384
                                               : types[i] == HSMCA_PROFILE_KEY_P256 ? 256 : 2048);
        EVP_PKEY_free(a);
        EVP_PKEY_free(b);
        EVP_PKEY_free(c);
        EVP_PKEY_free(d);
    }
}

/* RFC 5869 A.1 is SHA-256 with other inputs; here: the output depends on
 * the label and is stable (a known answer pins the derivation). */
static void test_derive_bytes(void **state)
{
    uint8_t a[16], b[16], c[16];

    (void)state;
    ASSERT_OK(hsmca_fixtures_derive("s", "x", a, sizeof a));
    ASSERT_OK(hsmca_fixtures_derive("s", "x", b, sizeof b));
    ASSERT_OK(hsmca_fixtures_derive("s", "y", c, sizeof c));
    assert_memory_equal(a, b, sizeof a);
    assert_memory_not_equal(a, c, sizeof a);
    assert_int_not_equal(hsmca_fixtures_derive("s", "x", a, 0), HSMCA_OK);
}

static void import_one(fixture *f, unsigned type, const char *label)
{
    EVP_PKEY *k = NULL;
    hsmca_key *key = NULL, *again = NULL;
    const hsmca_key_info *info;
    int imported = -1;

    ASSERT_OK(hsmca_fixtures_derive_key("seed", label, type, &k));
    ASSERT_OK(hsmca_hsm_key_import_fixture(f->tok, k, label, &key, &imported));
    assert_int_equal(imported, 1);
    info = hsmca_hsm_key_info(key);
    assert_int_equal(info->sensitive, 1);
    assert_int_equal(info->extractable, 0);
    /* imported, and the token says so */
    assert_int_equal(info->always_sensitive, 0);
    assert_int_equal(info->never_extractable, 0);
    assert_int_equal(info->can_sign, 1);
    assert_int_equal(info->can_decrypt, 0);
    assert_int_equal(EVP_PKEY_eq(hsmca_hsm_key_get0_public(key), k), 1);
    /* the same key again: reused, not imported twice */
    ASSERT_OK(hsmca_hsm_key_import_fixture(f->tok, k, label, &again, &imported));
    assert_int_equal(imported, 0);
    hsmca_hsm_key_free(again);
    ASSERT_OK(hsmca_hsm_key_destroy(key));
    EVP_PKEY_free(k);
}

static void test_import_ec_and_rsa(void **state)
{
    fixture *f = *state;

    import_one(f, HSMCA_PROFILE_KEY_P256, "hsmca-fixture-test-p256");
    import_one(f, HSMCA_PROFILE_KEY_P384, "hsmca-fixture-test-p384");
    import_one(f, HSMCA_PROFILE_KEY_RSA2048, "hsmca-fixture-test-rsa");
}

/* Only fixture labels; another key under a used label is refused. */
static void test_import_refusals(void **state)
{
    fixture *f = *state;
    EVP_PKEY *k = NULL, *other = NULL;
    hsmca_key *key = NULL, *bad = NULL;
    hsmca_key_info *list = NULL;
    size_t n = 0;

    ASSERT_OK(hsmca_fixtures_derive_key("seed", "a", HSMCA_PROFILE_KEY_P256, &k));
    ASSERT_OK(hsmca_fixtures_derive_key("seed", "b", HSMCA_PROFILE_KEY_P256, &other));
    assert_int_equal(hsmca_hsm_key_import_fixture(f->tok, k, "root-key", &bad, NULL),
                     HSMCA_E_USAGE);
    assert_int_equal(hsmca_hsm_key_import_fixture(f->tok, k, "hsmca-fixture-", &bad, NULL),
                     HSMCA_E_USAGE);
    ASSERT_OK(hsmca_hsm_key_import_fixture(f->tok, k, "hsmca-fixture-x", &key, NULL));
    assert_int_equal(hsmca_hsm_key_import_fixture(f->tok, other, "hsmca-fixture-x", &bad, NULL),
                     HSMCA_E_KEY_EXISTS);
    assert_null(bad);
    /* nothing half-made: one key pair in the token */
    ASSERT_OK(hsmca_hsm_keys(f->tok, &list, &n));
    assert_int_equal(n, 1);
    free(list);
    ASSERT_OK(hsmca_hsm_key_destroy(key));
    EVP_PKEY_free(k);
    EVP_PKEY_free(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_derive_deterministic),
        cmocka_unit_test(test_derive_bytes),
        cmocka_unit_test_setup_teardown(test_import_ec_and_rsa, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_refusals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
