/* hsmca — PKCS#11 tokens and the keys in them.
 *
 * src/hsm is the only module that includes <libp11.h> or PKCS#11 headers
 * (DESIGN.md). It owns the single PKCS#11 context of the process: libp11 0.4.12
 * calls C_Finalize when a context is unloaded, which would pull the module out
 * from under any other context, so hsmca_hsm_open() refuses a second live one.
 *
 * Objects and ownership:
 *   hsmca_hsm    the loaded module and its slot list (one per process)
 *   hsmca_token  an opened token: a read-write session, maybe logged in
 *   hsmca_key    a key pair in a token, with its signing EVP_PKEY
 * Free in reverse order: keys, then tokens, then the hsm. Every _free accepts
 * NULL.
 *
 * Keys are generated inside the token (CKA_SENSITIVE, not CKA_EXTRACTABLE,
 * CKA_TOKEN) and never leave it; hsmca reads only public attributes.
 *
 * Thread safety: signing with a key's EVP_PKEY (X509_sign, X509_CRL_sign,
 * OCSP_basic_sign, EVP_DigestSign) is safe from several threads at once
 * (libp11 keeps a locked session pool). The other functions take the hsm's
 * lock and may be called from any thread, but a token or key must not be
 * freed while another thread uses it.
 */
#ifndef HSMCA_HSM_H
#define HSMCA_HSM_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "hsmca/err.h"
#include "hsmca/secret.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hsmca_hsm hsmca_hsm;
typedef struct hsmca_token hsmca_token;
typedef struct hsmca_key hsmca_key;

/* Environment variable naming the PKCS#11 module when none is given. */
#define HSMCA_PKCS11_MODULE_ENV "HSMCA_PKCS11_MODULE"

/* The module used when neither an explicit path nor HSMCA_PKCS11_MODULE is
 * given: Debian's SoftHSM2. */
const char *hsmca_hsm_default_module(void);

/* Load a PKCS#11 module. module_path NULL means $HSMCA_PKCS11_MODULE, else the
 * default. HSMCA_E_MODULE if it cannot be loaded or initialised (the message
 * names the path and the dlopen or PKCS#11 error); HSMCA_E_STATE if another
 * hsmca_hsm is still open in this process. */
hsmca_err hsmca_hsm_open(const char *module_path, hsmca_hsm **out);
void hsmca_hsm_free(hsmca_hsm *hsm);
const char *hsmca_hsm_get0_module(const hsmca_hsm *hsm);

/* ---- tokens ---- */

typedef struct hsmca_token_info {
    unsigned long slot_id;
    char label[33];         /* blank-padding trimmed */
    char serial[17];
    char manufacturer[33];
    char model[17];
    int initialized;
    int user_pin_set;       /* CKF_USER_PIN_INITIALIZED */
    int login_required;
    int read_only;
    int has_rng;
    int pin_count_low;
    int pin_final_try;
    int pin_locked;
} hsmca_token_info;

/* Every slot that holds a token (initialised or not). *out is an array of
 * *out_n entries, freed with free(). */
hsmca_err hsmca_hsm_tokens(hsmca_hsm *hsm, hsmca_token_info **out, size_t *out_n);

/* How a token is chosen: any combination of the fields that are set must all
 * match (label and serial compare exactly; slot_id < 0 means "any"). At least
 * one must be set. */
typedef struct hsmca_token_sel {
    const char *label;
    const char *serial;
    long slot_id;
} hsmca_token_sel;

#define HSMCA_TOKEN_SEL_INIT { NULL, NULL, -1 }

/* Open a token with a read-write session (not yet logged in).
 * HSMCA_E_TOKEN_NOT_FOUND when nothing matches (the message lists the tokens
 * present); HSMCA_E_TOKEN_UNINIT when the chosen slot's token is not
 * initialised or has no user PIN yet. */
hsmca_err hsmca_hsm_token_open(hsmca_hsm *hsm, const hsmca_token_sel *sel,
                               hsmca_token **out);
void hsmca_hsm_token_free(hsmca_token *tok);
const hsmca_token_info *hsmca_hsm_token_info(const hsmca_token *tok);

/* Log in as the user. Exactly one attempt: a wrong PIN is HSMCA_E_PIN with
 * the detail CKR_PIN_INCORRECT, a locked PIN HSMCA_E_PIN_LOCKED. Logging in
 * twice is fine. */
hsmca_err hsmca_hsm_token_login(hsmca_token *tok, const hsmca_secret *pin);

/* Initialise the token in slot `slot_id` (C_InitToken, which erases it) with
 * `label` and the SO PIN, then set the user PIN. Refuses a slot whose token is
 * already initialised unless `reinit` is set. No token of this hsm may be
 * open (the slot list is re-read). */
hsmca_err hsmca_hsm_token_init(hsmca_hsm *hsm, unsigned long slot_id,
                               const char *label, const hsmca_secret *so_pin,
                               const hsmca_secret *user_pin, int reinit);

/* n bytes from the token's RNG (C_GenerateRandom). */
hsmca_err hsmca_hsm_random(hsmca_token *tok, uint8_t *buf, size_t n);

/* ---- keys ---- */

typedef enum hsmca_key_type {
    HSMCA_KEY_RSA2048 = 1,
    HSMCA_KEY_RSA3072,
    HSMCA_KEY_RSA4096,
    HSMCA_KEY_EC_P256,
    HSMCA_KEY_EC_P384
} hsmca_key_type;

/* "rsa2048", "rsa3072", "rsa4096", "p256", "p384" (also "ec-p256",
 * "ecdsa-p256", "rsa-2048", ...). 0 when unknown. */
hsmca_key_type hsmca_hsm_key_type_parse(const char *name);
const char *hsmca_hsm_key_type_name(hsmca_key_type t);

/* Largest CKA_ID we generate or accept. */
#define HSMCA_KEY_ID_MAX 64

typedef struct hsmca_key_info {
    char label[128];
    uint8_t id[HSMCA_KEY_ID_MAX];
    size_t id_len;
    hsmca_key_type type;    /* 0 for key types hsmca does not use */
    unsigned bits;          /* modulus or field size */
    int has_private;
    int has_public;
    /* private-key attributes, as the token reports them */
    int sensitive, extractable, always_sensitive, never_extractable;
    int can_sign, can_decrypt, can_unwrap, can_derive;
} hsmca_key_info;

/* The key pairs in the token (public or private half present), by CKA_ID.
 * Private halves show only after login. *out freed with free(). */
hsmca_err hsmca_hsm_keys(hsmca_token *tok, hsmca_key_info **out, size_t *out_n);

/* How a key is chosen: label and/or id (both must match when both set). */
typedef struct hsmca_key_sel {
    const char *label;
    const uint8_t *id;
    size_t id_len;
} hsmca_key_sel;

/* Generate a key pair inside the token (logged in, read-write session).
 * Private key: CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, !CKA_EXTRACTABLE,
 * CKA_SIGN, !CKA_DECRYPT, !CKA_UNWRAP, !CKA_DERIVE; CKA_ID from the token's
 * RNG. HSMCA_E_KEY_EXISTS if any object already has this label. After
 * generation the attributes are read back and a test signature is verified
 * with the public key; on any failure both halves are destroyed. */
hsmca_err hsmca_hsm_keygen(hsmca_token *tok, hsmca_key_type type,
                           const char *label, hsmca_key **out);

/* Find a key pair (token logged in). HSMCA_E_KEY_NOT_FOUND when no private
 * key matches, HSMCA_E_INPUT when more than one does. */
hsmca_err hsmca_hsm_key_find(hsmca_token *tok, const hsmca_key_sel *sel,
                             hsmca_key **out);
void hsmca_hsm_key_free(hsmca_key *key);
const hsmca_key_info *hsmca_hsm_key_info(const hsmca_key *key);

/* Destroy both halves of the key pair in the token (C_DestroyObject on every
 * object with the key's CKA_ID and label), then free key. For undoing a key
 * generated by a ceremony that failed later; never used on existing keys. */
hsmca_err hsmca_hsm_key_destroy(hsmca_key *key);

/* The signing key: an EVP_PKEY whose private operations run in the token.
 * Borrowed (get0): EVP_PKEY_up_ref it to keep it past hsmca_hsm_key_free. */
EVP_PKEY *hsmca_hsm_key_get0_signer(const hsmca_key *key);
/* The public key, built from the token's public attributes (CKA_MODULUS and
 * CKA_PUBLIC_EXPONENT, or CKA_EC_PARAMS and CKA_EC_POINT). Borrowed. */
EVP_PKEY *hsmca_hsm_key_get0_public(const hsmca_key *key);

/* ---- fixture keys (issue #8): FIXTURES ONLY ---- */

/* Import a software key pair into the token, for the reproducible fixture
 * hierarchies of `hsmca fixtures` (include/hsmca/fixtures.h) and nothing
 * else: ceremonies and issuance always generate keys inside the token.
 * priv is an RSA (2048/3072/4096) or EC (P-256/P-384) private key; the
 * label must start with "hsmca-fixture-" (anything else is HSMCA_E_USAGE,
 * so this cannot be used to bring a CA key into a token by mistake).
 *
 * The objects are made with C_CreateObject on the token's read-write
 * session (logged in): a private key with CKA_TOKEN, CKA_PRIVATE,
 * CKA_SENSITIVE, !CKA_EXTRACTABLE, CKA_SIGN, !CKA_DECRYPT, !CKA_UNWRAP,
 * !CKA_DERIVE, and its public key with CKA_VERIFY only; CKA_ID is the first
 * 20 bytes of SHA-256 of the SubjectPublicKeyInfo (stable across runs). The
 * token reports such keys with CKA_ALWAYS_SENSITIVE and
 * CKA_NEVER_EXTRACTABLE false, which tells anyone listing the token that
 * they were imported. The attributes are read back and a test signature is
 * verified; on any failure both objects are destroyed.
 *
 * If an object with this label exists already: when it is this very key
 * pair (same public key), it is returned and *out_imported is 0; otherwise
 * HSMCA_E_KEY_EXISTS. *out_imported (may be NULL) is 1 for a new import. */
hsmca_err hsmca_hsm_key_import_fixture(hsmca_token *tok, EVP_PKEY *priv, const char *label,
                                       hsmca_key **out, int *out_imported);

/* ---- RFC 7512 pkcs11: URIs ---- */

typedef struct hsmca_pkcs11_uri {
    char *token;        /* token= (label) */
    char *serial;       /* serial= */
    long slot_id;       /* slot-id=, -1 when absent */
    char *object;       /* object= (key label) */
    uint8_t *id;        /* id= (percent-decoded bytes) */
    size_t id_len;
    char *type;         /* type= (private, public, cert, ...) */
    char *module_path;  /* module-path= (query) */
    char *pin_source;   /* pin-source= (query): a file path or file: URI */
} hsmca_pkcs11_uri;

/* Parse a pkcs11: URI. Unknown path attributes are ignored as §2.3 allows for
 * attributes we do not use; pin-value is refused (a PIN in a URI ends up in
 * argv and shell history). HSMCA_E_INPUT names the offending part. */
hsmca_err hsmca_hsm_uri_parse(const char *text, hsmca_pkcs11_uri *out);
void hsmca_hsm_uri_clear(hsmca_pkcs11_uri *uri);

/* Name of a PKCS#11 return value ("CKR_PIN_INCORRECT"); "CKR_0x..." for
 * values without a name. */
const char *hsmca_hsm_ckr_name(unsigned long rv);

#ifdef __cplusplus
}
#endif
#endif
