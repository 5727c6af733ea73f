/* src/hsm on real SoftHSM2 tokens: one fresh token directory per test.
 *
 * Independent checks: pkcs11-tool (OpenSC) reads the generated private keys'
 * attributes, and the openssl CLI verifies the token's signatures with the
 * public key we export. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "hsmca/hsm.h"
#include "require.h"
#include "softhsm.h"
#include "support.h"

/* f->tok is the token "test", logged in; the token "other" exists too. */
typedef hsmca_test_tokens fixture;

static int setup(void **state)
{
    static const char *const labels[] = {"test", "other", NULL};

    return hsmca_test_tokens_setup(state, labels);
}

static int teardown(void **state)
{
    return hsmca_test_tokens_teardown(state);
}

/* Run a shell command; its exit status. */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    int st;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_pub(const fixture *f, EVP_PKEY *pub, const char *name, char *path, size_t len)
{
    FILE *fp;

    assert_int_equal(hsmca_test_path(path, len, f->sh.dir, name), 0);
    fp = fopen(path, "w");
    assert_non_null(fp);
    assert_true(PEM_write_PUBKEY(fp, pub));
    fclose(fp);
}

static size_t sign(EVP_PKEY *signer, const EVP_MD *md, const void *msg, size_t n,
                   uint8_t *sig, size_t cap)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t siglen = cap;

    assert_non_null(ctx);
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, md, NULL, signer), 1);
    assert_int_equal(EVP_DigestSign(ctx, sig, &siglen, msg, n), 1);
    EVP_MD_CTX_free(ctx);
    return siglen;
}

/* Generate a key of each type; check attributes with pkcs11-tool and a
 * signature with `openssl dgst -verify`. */
static void keygen_and_verify(void **state, hsmca_key_type type, const char *digest)
{
    fixture *f = *state;
    hsmca_key *key = NULL;
    const hsmca_key_info *ki;
    char pub[PATH_MAX], msg[PATH_MAX], sigp[PATH_MAX], out[PATH_MAX];
    uint8_t sig[1024];
    size_t siglen;
    const char text[] = "to be signed by the token";
    const char *label = hsmca_hsm_key_type_name(type);

    ASSERT_OK(hsmca_hsm_keygen(f->tok, type, label, &key));
    ki = hsmca_hsm_key_info(key);
    assert_int_equal(ki->type, type);
    assert_string_equal(ki->label, label);
    assert_int_equal(ki->id_len, 20);
    assert_int_equal(ki->sensitive, 1);
    assert_int_equal(ki->extractable, 0);
    assert_int_equal(ki->never_extractable, 1);
    assert_int_equal(ki->can_sign, 1);
    assert_int_equal(ki->can_decrypt, 0);
    assert_int_equal(ki->can_unwrap, 0);

    /* Independent read of the attributes: OpenSC's pkcs11-tool. */
    assert_int_equal(hsmca_test_path(out, sizeof(out), f->sh.dir, "objects.txt"), 0);
    assert_int_equal(run("pkcs11-tool --module %s --token-label test --login --pin %s "
                         "--list-objects --type privkey > %s 2>&1",
                         hsmca_hsm_default_module(), HSMCA_TEST_USER_PIN, out), 0);
    assert_int_equal(run("grep -A4 'label: *%s$' %s | grep -q "
                         "'Access: *sensitive, always sensitive, never extractable, local'",
                         label, out), 0);
    assert_int_equal(run("grep -A4 'label: *%s$' %s | grep -q 'Usage: *sign$'", label, out), 0);

    /* The token's signature, verified by the openssl CLI. */
    write_pub(f, hsmca_hsm_key_get0_public(key), "pub.pem", pub, sizeof(pub));
    siglen = sign(hsmca_hsm_key_get0_signer(key), EVP_get_digestbyname(digest), text,
                  sizeof(text) - 1, sig, sizeof(sig));
    assert_int_equal(hsmca_test_path(msg, sizeof(msg), f->sh.dir, "msg"), 0);
    assert_int_equal(hsmca_test_path(sigp, sizeof(sigp), f->sh.dir, "sig"), 0);
    assert_int_equal(hsmca_test_write_file(msg, text, sizeof(text) - 1, 0600), 0);
    assert_int_equal(hsmca_test_write_file(sigp, sig, siglen, 0600), 0);
    assert_int_equal(run("openssl dgst -%s -verify %s -signature %s %s >/dev/null", digest, pub,
                         sigp, msg), 0);
    /* ... and a flipped bit does not verify (the check can fail). */
    sig[siglen / 2] ^= 0x01;
    assert_int_equal(hsmca_test_write_file(sigp, sig, siglen, 0600), 0);
    assert_int_not_equal(run("openssl dgst -%s -verify %s -signature %s %s >/dev/null 2>&1",
                             digest, pub, sigp, msg), 0);
    hsmca_hsm_key_free(key);
}

static void test_keygen_rsa2048(void **s) { keygen_and_verify(s, HSMCA_KEY_RSA2048, "sha256"); }
static void test_keygen_rsa3072(void **s) { keygen_and_verify(s, HSMCA_KEY_RSA3072, "sha384"); }
static void test_keygen_rsa4096(void **s) { keygen_and_verify(s, HSMCA_KEY_RSA4096, "sha512"); }
static void test_keygen_p256(void **s) { keygen_and_verify(s, HSMCA_KEY_EC_P256, "sha256"); }
static void test_keygen_p384(void **s) { keygen_and_verify(s, HSMCA_KEY_EC_P384, "sha384"); }

static size_t count_keys(hsmca_token *tok)
{
    hsmca_key_info *list = NULL;
    size_t n = 0;

    ASSERT_OK(hsmca_hsm_keys(tok, &list, &n));
    free(list);
    return n;
}

static void test_duplicate_label_refused(void **state)
{
    fixture *f = *state;
    hsmca_key *a = NULL, *b = NULL;

    ASSERT_OK(hsmca_hsm_keygen(f->tok, HSMCA_KEY_EC_P256, "dup", &a));
    assert_int_equal(count_keys(f->tok), 1);
    assert_int_equal(hsmca_hsm_keygen(f->tok, HSMCA_KEY_EC_P384, "dup", &b), HSMCA_E_KEY_EXISTS);
    assert_null(b);
    assert_non_null(strstr(hsmca_err_message(), "'dup'"));
    assert_int_equal(count_keys(f->tok), 1); /* nothing was added */
    hsmca_hsm_key_free(a);
}

static void test_key_destroy(void **state)
{
    fixture *f = *state;
    hsmca_key *keep = NULL, *gone = NULL, *found = NULL;
    hsmca_key_sel sel = {"gone", NULL, 0};

    ASSERT_OK(hsmca_hsm_keygen(f->tok, HSMCA_KEY_EC_P256, "keep", &keep));
    ASSERT_OK(hsmca_hsm_keygen(f->tok, HSMCA_KEY_RSA2048, "gone", &gone));
    assert_int_equal(count_keys(f->tok), 2);
    ASSERT_OK(hsmca_hsm_key_destroy(gone)); /* frees gone */
    assert_int_equal(hsmca_hsm_key_find(f->tok, &sel, &found), HSMCA_E_KEY_NOT_FOUND);
    /* Both halves are gone, the other key is untouched. */
    assert_int_equal(count_keys(f->tok), 1);
    sel.label = "keep";
    ASSERT_OK(hsmca_hsm_key_find(f->tok, &sel, &found));
    hsmca_hsm_key_free(found);
    hsmca_hsm_key_free(keep);
}

static void test_find_by_label_id_and_uri(void **state)
{
    fixture *f = *state;
    hsmca_key *gen = NULL, *k1 = NULL, *k2 = NULL, *k3 = NULL, *none = NULL;
    hsmca_key_sel by_label = {"findme", NULL, 0}, by_id, by_uri;
    hsmca_pkcs11_uri uri;
    char text[256], hex[3 * HSMCA_KEY_ID_MAX + 1];
    const hsmca_key_info *gi;
    size_t o = 0;

    ASSERT_OK(hsmca_hsm_keygen(f->tok, HSMCA_KEY_EC_P256, "findme", &gen));
    ASSERT_OK(hsmca_hsm_keygen(f->tok, HSMCA_KEY_EC_P256, "decoy", &none));
    hsmca_hsm_key_free(none);
    none = NULL;
    gi = hsmca_hsm_key_info(gen);

    ASSERT_OK(hsmca_hsm_key_find(f->tok, &by_label, &k1));
    assert_memory_equal(hsmca_hsm_key_info(k1)->id, gi->id, gi->id_len);

    by_id = (hsmca_key_sel){NULL, gi->id, gi->id_len};
    ASSERT_OK(hsmca_hsm_key_find(f->tok, &by_id, &k2));
    assert_string_equal(hsmca_hsm_key_info(k2)->label, "findme");

    /* RFC 7512: id is percent-encoded bytes. */
    for (size_t i = 0; i < gi->id_len; i++)
        o += (size_t)snprintf(hex + o, sizeof(hex) - o, "%%%02X", gi->id[i]);
    snprintf(text, sizeof(text), "pkcs11:token=test;object=findme;id=%s;type=private", hex);
    ASSERT_OK(hsmca_hsm_uri_parse(text, &uri));
    assert_string_equal(uri.token, "test");
    by_uri = (hsmca_key_sel){uri.object, uri.id, uri.id_len};
    ASSERT_OK(hsmca_hsm_key_find(f->tok, &by_uri, &k3));
    assert_true(EVP_PKEY_eq(hsmca_hsm_key_get0_public(k3), hsmca_hsm_key_get0_public(gen)) == 1);
    hsmca_hsm_uri_clear(&uri);

    hsmca_hsm_key_free(gen);
    hsmca_hsm_key_free(k1);
    hsmca_hsm_key_free(k2);
    hsmca_hsm_key_free(k3);
}

static void test_missing_key(void **state)
{
    fixture *f = *state;
    hsmca_key *k = NULL;
    hsmca_key_sel sel = {"absent", NULL, 0};
    const uint8_t id[] = {1, 2, 3};
    hsmca_key_sel by_id = {NULL, id, sizeof(id)};

    assert_int_equal(hsmca_hsm_key_find(f->tok, &sel, &k), HSMCA_E_KEY_NOT_FOUND);
    assert_non_null(strstr(hsmca_err_message(), "'absent'"));
    assert_int_equal(hsmca_hsm_key_find(f->tok, &by_id, &k), HSMCA_E_KEY_NOT_FOUND);
    assert_non_null(strstr(hsmca_err_message(), "010203"));
    assert_null(k);
}

static void test_wrong_pin(void **state)
{
    fixture *f = *state;
    hsmca_token_sel sel = HSMCA_TOKEN_SEL_INIT;
    hsmca_token *tok = NULL;
    hsmca_secret *bad = hsmca_test_secret("not-the-pin");
    hsmca_secret *good = hsmca_test_secret(HSMCA_TEST_USER_PIN);

    sel.label = "other";
    ASSERT_OK(hsmca_hsm_token_open(f->hsm, &sel, &tok));
    assert_int_equal(hsmca_hsm_token_login(tok, bad), HSMCA_E_PIN);
    assert_string_equal(hsmca_err_detail(), "CKR_PIN_INCORRECT");
    assert_non_null(strstr(hsmca_err_message(), "wrong user PIN for token 'other'"));
    /* One attempt was spent, not several: the right PIN still works. */
    ASSERT_OK(hsmca_hsm_token_login(tok, good));
    hsmca_hsm_token_free(tok);
    hsmca_secret_free(bad);
    hsmca_secret_free(good);
}

static void test_missing_token(void **state)
{
    fixture *f = *state;
    hsmca_token_sel sel = HSMCA_TOKEN_SEL_INIT;
    hsmca_token *tok = NULL;

    sel.label = "no-such-token";
    assert_int_equal(hsmca_hsm_token_open(f->hsm, &sel, &tok), HSMCA_E_TOKEN_NOT_FOUND);
    /* The error lists what is there, so the user can correct the label. */
    assert_non_null(strstr(hsmca_err_message(), "'no-such-token'"));
    assert_non_null(strstr(hsmca_err_message(), "'test'"));
    assert_non_null(strstr(hsmca_err_message(), "'other'"));
    sel.label = NULL;
    sel.serial = "0000000000000000";
    assert_int_equal(hsmca_hsm_token_open(f->hsm, &sel, &tok), HSMCA_E_TOKEN_NOT_FOUND);
    assert_null(tok);
}

static void test_uninitialised_token(void **state)
{
    fixture *f = *state;
    hsmca_token_info *list = NULL;
    size_t n = 0;
    hsmca_token_sel sel = HSMCA_TOKEN_SEL_INIT;
    hsmca_token *tok = NULL;

    ASSERT_OK(hsmca_hsm_tokens(f->hsm, &list, &n));
    for (size_t i = 0; i < n; i++)
        if (!list[i].initialized)
            sel.slot_id = (long)list[i].slot_id;
    free(list);
    assert_true(sel.slot_id >= 0);
    assert_int_equal(hsmca_hsm_token_open(f->hsm, &sel, &tok), HSMCA_E_TOKEN_UNINIT);
    assert_non_null(strstr(hsmca_err_message(), "not initialised"));
    assert_null(tok);
}

static void test_token_init_refusals(void **state)
{
    fixture *f = *state;
    hsmca_token_info *list = NULL;
    size_t n = 0;
    unsigned long used = 0, free_slot = 0;
    hsmca_secret *pin = hsmca_test_secret(HSMCA_TEST_USER_PIN);

    /* init-token needs no open token; drop the fixture's. */
    hsmca_hsm_token_free(f->tok);
    f->tok = NULL;
    ASSERT_OK(hsmca_hsm_tokens(f->hsm, &list, &n));
    for (size_t i = 0; i < n; i++) {
        if (list[i].initialized && strcmp(list[i].label, "test") == 0)
            used = list[i].slot_id;
        if (!list[i].initialized)
            free_slot = list[i].slot_id;
    }
    free(list);
    /* An initialised token is not erased without reinit. */
    assert_int_equal(hsmca_hsm_token_init(f->hsm, used, "fresh", pin, pin, 0), HSMCA_E_EXISTS);
    /* Labels stay unique. */
    assert_int_equal(hsmca_hsm_token_init(f->hsm, free_slot, "other", pin, pin, 0),
                     HSMCA_E_EXISTS);
    /* 33-byte labels do not fit PKCS#11's 32. */
    assert_int_equal(hsmca_hsm_token_init(f->hsm, free_slot,
                                          "123456789012345678901234567890123", pin, pin, 0),
                     HSMCA_E_USAGE);
    /* Nothing changed: still two initialised tokens. */
    ASSERT_OK(hsmca_hsm_tokens(f->hsm, &list, &n));
    {
        size_t init = 0;
        for (size_t i = 0; i < n; i++)
            init += list[i].initialized ? 1 : 0;
        assert_int_equal(init, 2);
    }
    free(list);
    hsmca_secret_free(pin);
}

static void test_bad_module(void **state)
{
    fixture *f = *state;
    hsmca_hsm *h = NULL;

    /* One context per process: a second open is refused. */
    assert_int_equal(hsmca_hsm_open(NULL, &h), HSMCA_E_STATE);
    hsmca_hsm_token_free(f->tok);
    f->tok = NULL;
    hsmca_hsm_free(f->hsm);
    f->hsm = NULL;

    assert_int_equal(hsmca_hsm_open("/nonexistent/libpkcs11.so", &h), HSMCA_E_MODULE);
    assert_non_null(strstr(hsmca_err_message(), "/nonexistent/libpkcs11.so"));
    assert_non_null(strstr(hsmca_err_message(), "No such file"));
    /* A shared library that is not a PKCS#11 module. */
    assert_int_equal(hsmca_hsm_open("/lib/x86_64-linux-gnu/libz.so.1", &h), HSMCA_E_MODULE);
    assert_non_null(strstr(hsmca_err_message(), "C_GetFunctionList"));
    assert_int_equal(hsmca_hsm_open("/etc/hostname", &h), HSMCA_E_MODULE);
    assert_null(h);
    /* A valid module whose configuration is broken fails C_Initialize. */
    setenv("SOFTHSM2_CONF", "/nonexistent/softhsm2.conf", 1);
    assert_int_equal(hsmca_hsm_open(NULL, &h), HSMCA_E_MODULE);
    assert_non_null(strstr(hsmca_err_message(), "C_Initialize"));
    setenv("SOFTHSM2_CONF", f->sh.conf, 1);
    /* ... and after all that the real module still opens. */
    ASSERT_OK(hsmca_hsm_open(NULL, &f->hsm));
}

static void test_keys_survive_reopen(void **state)
{
    fixture *f = *state;
    hsmca_key *k = NULL;
    hsmca_key_sel sel = {"persist", NULL, 0};
    uint8_t sig[256];
    EVP_PKEY *pub = NULL;
    EVP_MD_CTX *ctx;
    const char msg[] = "after reopening the module";
    size_t siglen;

    ASSERT_OK(hsmca_hsm_keygen(f->tok, HSMCA_KEY_EC_P384, "persist", &k));
    pub = hsmca_hsm_key_get0_public(k);
    EVP_PKEY_up_ref(pub);
    hsmca_hsm_key_free(k);
    hsmca_hsm_token_free(f->tok);
    hsmca_hsm_free(f->hsm); /* C_Finalize */
    f->tok = NULL;
    f->hsm = NULL;

    ASSERT_OK(hsmca_hsm_open(NULL, &f->hsm));
    ASSERT_OK(hsmca_test_token_login(f->hsm, "test", &f->tok));
    ASSERT_OK(hsmca_hsm_key_find(f->tok, &sel, &k));
    assert_int_equal(EVP_PKEY_eq(hsmca_hsm_key_get0_public(k), pub), 1);
    siglen = sign(hsmca_hsm_key_get0_signer(k), EVP_sha384(), msg, sizeof(msg), sig, sizeof(sig));
    ctx = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, pub), 1);
    assert_int_equal(EVP_DigestVerify(ctx, sig, siglen, (const uint8_t *)msg, sizeof(msg)), 1);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pub);
    hsmca_hsm_key_free(k);
}

/* A token is open once per process: a second open would reset libp11's
 * session pool and take any PIN as "already logged in" (review finding). */
static void test_second_open_refused(void **state)
{
    fixture *f = *state;
    hsmca_token_sel sel = HSMCA_TOKEN_SEL_INIT;
    hsmca_token *again = NULL, *other = NULL;

    sel.label = "test";
    assert_int_equal(hsmca_hsm_token_open(f->hsm, &sel, &again), HSMCA_E_STATE);
    assert_non_null(strstr(hsmca_err_message(), "already open"));
    assert_null(again);
    sel.label = "other";
    ASSERT_OK(hsmca_hsm_token_open(f->hsm, &sel, &other));
    hsmca_hsm_token_free(other);
    /* After closing, it can be opened again. */
    ASSERT_OK(hsmca_hsm_token_open(f->hsm, &sel, &other));
    hsmca_hsm_token_free(other);
}

static void test_random(void **state)
{
    fixture *f = *state;
    uint8_t a[64], b[64], zero[64];

    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    memset(zero, 0, sizeof(zero));
    ASSERT_OK(hsmca_hsm_random(f->tok, a, sizeof(a)));
    ASSERT_OK(hsmca_hsm_random(f->tok, b, sizeof(b)));
    assert_memory_not_equal(a, zero, sizeof(a));
    assert_memory_not_equal(a, b, sizeof(a));
}

static void test_keygen_needs_login(void **state)
{
    fixture *f = *state;
    hsmca_token_sel sel = HSMCA_TOKEN_SEL_INIT;
    hsmca_token *tok = NULL;
    hsmca_key *k = NULL;

    sel.label = "other";
    ASSERT_OK(hsmca_hsm_token_open(f->hsm, &sel, &tok));
    assert_int_equal(hsmca_hsm_keygen(tok, HSMCA_KEY_EC_P256, "k", &k), HSMCA_E_STATE);
    assert_int_equal(hsmca_hsm_keygen(tok, (hsmca_key_type)99, "k", &k), HSMCA_E_USAGE);
    assert_null(k);
    hsmca_hsm_token_free(tok);
}

/* ---- 4 threads x 500 signatures, every one verified ---- */

#define THREADS 4
#define SIGS_PER_THREAD 500

struct worker {
    EVP_PKEY *signer, *pub;
    int index;
    int bad;
};

static void *sign_worker(void *arg)
{
    struct worker *w = arg;

    for (int i = 0; i < SIGS_PER_THREAD; i++) {
        char msg[64];
        uint8_t sig[128];
        size_t siglen = sizeof(sig);
        int n = snprintf(msg, sizeof(msg), "thread %d message %d", w->index, i);
        EVP_MD_CTX *s = EVP_MD_CTX_new(), *v = EVP_MD_CTX_new();

        if (s == NULL || v == NULL ||
            EVP_DigestSignInit(s, NULL, EVP_sha256(), NULL, w->signer) != 1 ||
            EVP_DigestSign(s, sig, &siglen, (uint8_t *)msg, (size_t)n) != 1 ||
            EVP_DigestVerifyInit(v, NULL, EVP_sha256(), NULL, w->pub) != 1 ||
            EVP_DigestVerify(v, sig, siglen, (uint8_t *)msg, (size_t)n) != 1)
            w->bad++;
        EVP_MD_CTX_free(s);
        EVP_MD_CTX_free(v);
    }
    return NULL;
}

static void test_concurrent_signing(void **state)
{
    fixture *f = *state;
    hsmca_key *k = NULL;
    pthread_t th[THREADS];
    struct worker w[THREADS];
    int bad = 0;

    ASSERT_OK(hsmca_hsm_keygen(f->tok, HSMCA_KEY_EC_P256, "busy", &k));
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){hsmca_hsm_key_get0_signer(k), hsmca_hsm_key_get0_public(k), i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, sign_worker, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        bad += w[i].bad;
    }
    assert_int_equal(bad, 0);
    hsmca_hsm_key_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keygen_rsa2048, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keygen_rsa3072, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keygen_rsa4096, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keygen_p256, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keygen_p384, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_label_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_destroy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find_by_label_id_and_uri, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_pin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uninitialised_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_init_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_module, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keys_survive_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_open_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keygen_needs_login, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_signing, setup, teardown),
    };
    return cmocka_run_group_tests_name("hsm", tests, NULL, NULL);
}
