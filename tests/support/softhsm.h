/* hsmca tests — a fresh SoftHSM2 token directory per test.
 *
 * Every HSM test gets its own directory with a softhsm2.conf and a tokens/
 * directory, and SOFTHSM2_CONF pointing at it (DESIGN.md: no test shares a
 * token). Teardown removes the directory and unsets the variable.
 */
#ifndef HSMCA_TEST_SOFTHSM_H
#define HSMCA_TEST_SOFTHSM_H

#include <limits.h>

#include "hsmca/hsm.h"

typedef struct hsmca_test_softhsm {
    char dir[PATH_MAX / 2];
    char conf[PATH_MAX];
    char tokens[PATH_MAX];
} hsmca_test_softhsm;

#define HSMCA_TEST_SO_PIN "test-so-pin-1234"
#define HSMCA_TEST_USER_PIN "test-user-pin-5678"

/* Make the directory and configuration and export SOFTHSM2_CONF. 0 or -1. */
int hsmca_test_softhsm_setup(hsmca_test_softhsm *t);
/* Remove everything and unset SOFTHSM2_CONF. Accepts a zeroed struct. */
void hsmca_test_softhsm_teardown(hsmca_test_softhsm *t);

/* Initialise the first uninitialised slot as `label` with the test PINs. */
hsmca_err hsmca_test_token_create(hsmca_hsm *hsm, const char *label);

/* Open `label` and log in with HSMCA_TEST_USER_PIN. */
hsmca_err hsmca_test_token_login(hsmca_hsm *hsm, const char *label, hsmca_token **out);

/* A secret from a C string (test PINs only). NULL on failure. */
hsmca_secret *hsmca_test_secret(const char *s);

/* The fixture of tests that need logged-in tokens and nothing else. */
typedef struct hsmca_test_tokens {
    hsmca_test_softhsm sh;
    hsmca_hsm *hsm;
    hsmca_token *tok;   /* the first label's token, logged in */
} hsmca_test_tokens;

/* A cmocka setup: *state = a new hsmca_test_tokens with a fresh token
 * directory, the module open, a token created for each of labels
 * (NULL-terminated, at least one), and the first of them open and logged
 * in. 0, or -1 with the error on stderr and nothing left behind. */
int hsmca_test_tokens_setup(void **state, const char *const *labels);
/* The matching cmocka teardown: frees *state (NULL is fine). Returns 0. */
int hsmca_test_tokens_teardown(void **state);

#endif
