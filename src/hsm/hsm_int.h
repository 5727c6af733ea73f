/* src/hsm private definitions. Only the .c files of src/hsm include this (and so
 * <libp11.h> and the PKCS#11 header). */
#ifndef HSMCA_HSM_INT_H
#define HSMCA_HSM_INT_H

#include <pthread.h>
#include <stdint.h>

#include <libp11.h>
#include <p11-kit/pkcs11.h>

#include "hsmca/hsm.h"

struct hsmca_hsm {
    char *module;
    PKCS11_CTX *ctx;           /* libp11: owns C_Initialize/C_Finalize */
    PKCS11_SLOT *slots;        /* libp11's slot array; stable until re-read */
    unsigned int nslots;
    void *dl;                  /* our own dlopen of the same module */
    CK_FUNCTION_LIST_PTR fl;   /* same table libp11 uses (DESIGN.md) */
    pthread_mutex_t lock;      /* serialises our raw sessions and libp11 lists */
    int open_tokens;
    unsigned char *slot_open;  /* per slot index: a hsmca_token is open on it */
};

struct hsmca_token {
    hsmca_hsm *hsm;
    PKCS11_SLOT *slot;
    CK_SLOT_ID slot_id;
    CK_SESSION_HANDLE session; /* our R/W session for keygen and attributes */
    hsmca_token_info info;
    int logged_in;
};

struct hsmca_key {
    hsmca_token *tok;
    hsmca_key_info info;
    EVP_PKEY *signer;          /* libp11's key: private ops run in the token */
    EVP_PKEY *pub;             /* built from public attributes */
};

/* PKCS#11 takes PINs as non-const CK_UTF8CHAR_PTR but never writes them. */
static inline CK_UTF8CHAR_PTR hsmca_hsm_pin_ptr(const hsmca_secret *pin)
{
    return (CK_UTF8CHAR_PTR)(uintptr_t)hsmca_secret_get0(pin);
}

/* Set an error for a failed PKCS#11 call: code, message, and the CKR name
 * as the detail. Returns code. */
hsmca_err hsmca_hsm_fail_ckr(hsmca_err code, CK_RV rv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The CKR value libp11 left on OpenSSL's error queue (0 when none); drains
 * libp11's entries and leaves the others. */
CK_RV hsmca_hsm_take_libp11_ckr(void);

/* Refresh tok->info from C_GetTokenInfo (PIN counters change on failures). */
hsmca_err hsmca_hsm_token_refresh(hsmca_token *tok);

/* key.c internals shared with import.c (the lock must be held, except for
 * the self-test, which signs through libp11's own sessions). */
hsmca_err hsmca_hsm_int_key_from_private(hsmca_token *tok, CK_OBJECT_HANDLE priv,
                                         hsmca_key **out);
hsmca_err hsmca_hsm_int_key_self_test(const hsmca_key *key);
hsmca_err hsmca_hsm_int_label_in_use(hsmca_token *tok, const char *label, int *out);

#endif
