/* hsmca tests — a fresh SoftHSM2 token directory per test (softhsm.h). */
#include "softhsm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "support.h"

int hsmca_test_softhsm_setup(hsmca_test_softhsm *t)
{
    char conf[2 * PATH_MAX];
    int n;

    memset(t, 0, sizeof(*t));
    if (hsmca_test_mkdtemp(t->dir, sizeof(t->dir)) != 0 ||
        hsmca_test_path(t->conf, sizeof(t->conf), t->dir, "softhsm2.conf") != 0 ||
        hsmca_test_path(t->tokens, sizeof(t->tokens), t->dir, "tokens") != 0 ||
        mkdir(t->tokens, 0700) != 0)
        return -1;
    n = snprintf(conf, sizeof(conf),
                 "directories.tokendir = %s\n"
                 "objectstore.backend = file\n"
                 "log.level = ERROR\n"
                 "slots.removable = false\n",
                 t->tokens);
    if (n < 0 || (size_t)n >= sizeof(conf) ||
        hsmca_test_write_file(t->conf, conf, (size_t)n, 0600) != 0)
        return -1;
    return setenv("SOFTHSM2_CONF", t->conf, 1);
}

void hsmca_test_softhsm_teardown(hsmca_test_softhsm *t)
{
    if (t->dir[0] != '\0')
        hsmca_test_rmtree(t->dir);
    unsetenv("SOFTHSM2_CONF");
    memset(t, 0, sizeof(*t));
}

hsmca_secret *hsmca_test_secret(const char *s)
{
    hsmca_secret *out = NULL;

    return hsmca_secret_new(s, strlen(s), &out) == HSMCA_OK ? out : NULL;
}

hsmca_err hsmca_test_token_create(hsmca_hsm *hsm, const char *label)
{
    hsmca_err err = HSMCA_OK;
    hsmca_token_info *list = NULL;
    size_t n = 0;
    long slot = -1;
    hsmca_secret *so = hsmca_test_secret(HSMCA_TEST_SO_PIN);
    hsmca_secret *user = hsmca_test_secret(HSMCA_TEST_USER_PIN);

    HSMCA_ENSURE(so != NULL && user != NULL, HSMCA_E_NOMEM, "out of memory");
    HSMCA_GUARD(hsmca_hsm_tokens(hsm, &list, &n));
    for (size_t i = 0; i < n && slot < 0; i++)
        if (!list[i].initialized)
            slot = (long)list[i].slot_id;
    HSMCA_ENSURE(slot >= 0, HSMCA_E_TOKEN_NOT_FOUND, "no free SoftHSM slot");
    HSMCA_GUARD(hsmca_hsm_token_init(hsm, (unsigned long)slot, label, so, user, 0));
out:
    free(list);
    hsmca_secret_free(so);
    hsmca_secret_free(user);
    return err;
}

hsmca_err hsmca_test_token_login(hsmca_hsm *hsm, const char *label, hsmca_token **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_token_sel sel = HSMCA_TOKEN_SEL_INIT;
    hsmca_token *tok = NULL;
    hsmca_secret *pin = hsmca_test_secret(HSMCA_TEST_USER_PIN);

    HSMCA_ENSURE(pin != NULL, HSMCA_E_NOMEM, "out of memory");
    sel.label = label;
    HSMCA_GUARD(hsmca_hsm_token_open(hsm, &sel, &tok));
    HSMCA_GUARD(hsmca_hsm_token_login(tok, pin));
    *out = tok;
    tok = NULL;
out:
    hsmca_hsm_token_free(tok);
    hsmca_secret_free(pin);
    return err;
}

int hsmca_test_tokens_setup(void **state, const char *const *labels)
{
    hsmca_test_tokens *f = calloc(1, sizeof(*f));
    hsmca_err err;

    *state = f;
    if (f == NULL || hsmca_test_softhsm_setup(&f->sh) != 0) {
        hsmca_test_tokens_teardown(state);
        return -1;
    }
    err = hsmca_hsm_open(NULL, &f->hsm);
    for (size_t i = 0; err == HSMCA_OK && labels[i] != NULL; i++)
        err = hsmca_test_token_create(f->hsm, labels[i]);
    if (err == HSMCA_OK)
        err = hsmca_test_token_login(f->hsm, labels[0], &f->tok);
    if (err != HSMCA_OK) {
        fprintf(stderr, "setup: %s (%s)\n", hsmca_err_message(), hsmca_err_detail());
        hsmca_test_tokens_teardown(state);
        return -1;
    }
    return 0;
}

int hsmca_test_tokens_teardown(void **state)
{
    hsmca_test_tokens *f = *state;

    if (f == NULL)
        return 0;
    hsmca_hsm_token_free(f->tok);
    hsmca_hsm_free(f->hsm);
    hsmca_test_softhsm_teardown(&f->sh);
    free(f);
    *state = NULL;
    return 0;
}
