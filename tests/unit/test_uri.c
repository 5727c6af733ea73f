/* RFC 7512 pkcs11: URI parsing (src/hsm/uri.c): no token needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hsmca/hsm.h"

static void test_full_uri(void **state)
{
    hsmca_pkcs11_uri u;
    static const uint8_t id[] = {0x01, 0xab, 0xff};

    (void)state;
    assert_int_equal(hsmca_hsm_uri_parse("pkcs11:token=hsmca%20root;object=root-key;"
                                         "id=%01%AB%ff;type=private;serial=0123;slot-id=7;"
                                         "manufacturer=SoftHSM%20project"
                                         "?module-path=/usr/lib/softhsm/libsofthsm2.so&"
                                         "pin-source=file:/run/pin",
                                         &u),
                     HSMCA_OK);
    assert_string_equal(u.token, "hsmca root");
    assert_string_equal(u.object, "root-key");
    assert_string_equal(u.type, "private");
    assert_string_equal(u.serial, "0123");
    assert_int_equal(u.slot_id, 7);
    assert_int_equal(u.id_len, sizeof(id));
    assert_memory_equal(u.id, id, sizeof(id));
    assert_string_equal(u.module_path, "/usr/lib/softhsm/libsofthsm2.so");
    assert_string_equal(u.pin_source, "file:/run/pin");
    hsmca_hsm_uri_clear(&u);
    assert_null(u.token);
    assert_int_equal(u.slot_id, -1);
}

static void test_minimal_and_case(void **state)
{
    hsmca_pkcs11_uri u;

    (void)state;
    /* The scheme is case-insensitive (RFC 3986 §3.1). */
    assert_int_equal(hsmca_hsm_uri_parse("PKCS11:object=k", &u), HSMCA_OK);
    assert_string_equal(u.object, "k");
    assert_null(u.token);
    assert_null(u.id);
    hsmca_hsm_uri_clear(&u);
    assert_int_equal(hsmca_hsm_uri_parse("pkcs11:", &u), HSMCA_OK);
    hsmca_hsm_uri_clear(&u);
}

/* Each bad URI fails with the given code and a message containing `word`. */
static void expect_bad(const char *text, hsmca_err code, const char *word)
{
    hsmca_pkcs11_uri u;

    memset(&u, 0x5a, sizeof(u));
    if (hsmca_hsm_uri_parse(text, &u) != code)
        fail_msg("'%s': expected code %d, got message '%s'", text, code, hsmca_err_message());
    if (strstr(hsmca_err_message(), word) == NULL)
        fail_msg("'%s': message '%s' lacks '%s'", text, hsmca_err_message(), word);
}

static void test_bad_uris(void **state)
{
    (void)state;
    expect_bad("token=x", HSMCA_E_INPUT, "not a pkcs11: URI");
    expect_bad("pkcs11:token=a;token=b", HSMCA_E_INPUT, "'token' appears twice");
    expect_bad("pkcs11:object=%zz", HSMCA_E_INPUT, "percent-encoding");
    expect_bad("pkcs11:object=ab%4", HSMCA_E_INPUT, "percent-encoding");
    expect_bad("pkcs11:object", HSMCA_E_INPUT, "not name=value");
    expect_bad("pkcs11:=x", HSMCA_E_INPUT, "bad attribute name");
    expect_bad("pkcs11:object=", HSMCA_E_INPUT, "'object' is empty");
    expect_bad("pkcs11:type=secret", HSMCA_E_INPUT, "type 'secret'");
    expect_bad("pkcs11:slot-id=x1", HSMCA_E_INPUT, "slot-id");
    expect_bad("pkcs11:slot-id=-1", HSMCA_E_INPUT, "slot-id");
    expect_bad("pkcs11:id=%01;id=%02", HSMCA_E_INPUT, "'id' appears twice");
    /* A PIN in a URI ends up in argv and shell history. */
    expect_bad("pkcs11:object=k?pin-value=1234", HSMCA_E_USAGE, "pin-value is refused");
    /* token= is a path attribute; in the query it means nothing to us. */
    {
        hsmca_pkcs11_uri u;
        assert_int_equal(hsmca_hsm_uri_parse("pkcs11:object=k?token=x", &u), HSMCA_OK);
        assert_null(u.token);
        hsmca_hsm_uri_clear(&u);
    }
}

static void test_id_length_limit(void **state)
{
    char text[16 + 3 * (HSMCA_KEY_ID_MAX + 1)];
    size_t o;
    hsmca_pkcs11_uri u;

    (void)state;
    o = (size_t)snprintf(text, sizeof(text), "pkcs11:id=");
    for (int i = 0; i < HSMCA_KEY_ID_MAX; i++)
        o += (size_t)snprintf(text + o, sizeof(text) - o, "%%%02x", i);
    assert_int_equal(hsmca_hsm_uri_parse(text, &u), HSMCA_OK);
    assert_int_equal(u.id_len, HSMCA_KEY_ID_MAX);
    hsmca_hsm_uri_clear(&u);
    snprintf(text + o, sizeof(text) - o, "%%ff");
    expect_bad(text, HSMCA_E_INPUT, "'id' must be 1 to");
}

static void test_ckr_names(void **state)
{
    (void)state;
    assert_string_equal(hsmca_hsm_ckr_name(0xA0), "CKR_PIN_INCORRECT");
    assert_string_equal(hsmca_hsm_ckr_name(0xA4), "CKR_PIN_LOCKED");
    assert_string_equal(hsmca_hsm_ckr_name(0), "CKR_OK");
    assert_string_equal(hsmca_hsm_ckr_name(0x80000001UL), "CKR_VENDOR_DEFINED+0x1");
    assert_string_equal(hsmca_hsm_ckr_name(0x7777), "CKR_0x00007777");
}

static void test_key_type_names(void **state)
{
    (void)state;
    assert_int_equal(hsmca_hsm_key_type_parse("p256"), HSMCA_KEY_EC_P256);
    assert_int_equal(hsmca_hsm_key_type_parse("ECDSA-P384"), HSMCA_KEY_EC_P384);
    assert_int_equal(hsmca_hsm_key_type_parse("rsa:4096"), HSMCA_KEY_RSA4096);
    assert_int_equal(hsmca_hsm_key_type_parse("rsa1024"), 0);
    assert_int_equal(hsmca_hsm_key_type_parse("ed25519"), 0);
    assert_string_equal(hsmca_hsm_key_type_name(HSMCA_KEY_RSA3072), "rsa3072");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_uri),
        cmocka_unit_test(test_minimal_and_case),
        cmocka_unit_test(test_bad_uris),
        cmocka_unit_test(test_id_length_limit),
        cmocka_unit_test(test_ckr_names),
        cmocka_unit_test(test_key_type_names),
    };
    return cmocka_run_group_tests_name("uri", tests, NULL, NULL);
}
