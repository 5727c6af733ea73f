/* hsmca — PKCS#11 module, slots, tokens, login, RNG.
 *
 * libp11 0.4.12 is used through its direct API for what it does well (module
 * initialisation, session pool, login bookkeeping, private keys as EVP_PKEY);
 * raw PKCS#11 calls on the same module's function list do what it cannot
 * (EC key generation, attribute reads, token initialisation). See DESIGN.md
 * "PKCS#11 notes" for why each step is ordered as it is.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>

#include "hsm_int.h"
#include "hsmca/log.h"

#ifndef HSMCA_DEFAULT_PKCS11_MODULE
#define HSMCA_DEFAULT_PKCS11_MODULE "/usr/lib/softhsm/libsofthsm2.so"
#endif

/* libp11 0.4.12 calls C_Finalize when its context is unloaded, which would
 * invalidate every other context on the same module: one per process. */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static hsmca_hsm *live_hsm;
static hsmca_hsm loading; /* live_hsm while an open is under way */

const char *hsmca_hsm_default_module(void)
{
    return HSMCA_DEFAULT_PKCS11_MODULE;
}

const char *hsmca_hsm_get0_module(const hsmca_hsm *hsm)
{
    return hsm->module;
}

hsmca_err hsmca_hsm_fail_ckr(hsmca_err code, CK_RV rv, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    hsmca_err_setf(code, "%s", msg);
    hsmca_err_detailf("%s", hsmca_hsm_ckr_name(rv));
    return code;
}

CK_RV hsmca_hsm_take_libp11_ckr(void)
{
    /* libp11 reports a failing PKCS#11 call as an OpenSSL error in its own
     * "CKR" library whose reason is the CK_RV (p11_err.h). Keep the last. */
    int lib = ERR_get_CKR_code();
    CK_RV rv = 0;
    unsigned long e;

    while ((e = ERR_peek_error()) != 0) {
        if (ERR_GET_LIB(e) == lib && lib != 0)
            rv = (CK_RV)ERR_GET_REASON(e);
        ERR_get_error();
    }
    return rv;
}

/* Copy a blank-padded PKCS#11 string field into a C string, trimmed. */
static void copy_padded(char *dst, size_t dstlen, const CK_UTF8CHAR *src, size_t srclen)
{
    size_t n = srclen < dstlen - 1 ? srclen : dstlen - 1;

    memcpy(dst, src, n);
    while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == '\0'))
        n--;
    dst[n] = '\0';
}

static void fill_info(hsmca_token_info *info, CK_SLOT_ID slot_id, const CK_TOKEN_INFO *ti)
{
    memset(info, 0, sizeof(*info));
    info->slot_id = slot_id;
    copy_padded(info->label, sizeof(info->label), ti->label, sizeof(ti->label));
    copy_padded(info->serial, sizeof(info->serial), ti->serialNumber, sizeof(ti->serialNumber));
    copy_padded(info->manufacturer, sizeof(info->manufacturer), ti->manufacturerID,
                sizeof(ti->manufacturerID));
    copy_padded(info->model, sizeof(info->model), ti->model, sizeof(ti->model));
    info->initialized = (ti->flags & CKF_TOKEN_INITIALIZED) != 0;
    info->user_pin_set = (ti->flags & CKF_USER_PIN_INITIALIZED) != 0;
    info->login_required = (ti->flags & CKF_LOGIN_REQUIRED) != 0;
    info->read_only = (ti->flags & CKF_WRITE_PROTECTED) != 0;
    info->has_rng = (ti->flags & CKF_RNG) != 0;
    info->pin_count_low = (ti->flags & CKF_USER_PIN_COUNT_LOW) != 0;
    info->pin_final_try = (ti->flags & CKF_USER_PIN_FINAL_TRY) != 0;
    info->pin_locked = (ti->flags & CKF_USER_PIN_LOCKED) != 0;
}

/* Load the module ourselves first, so a missing file or a library that is
 * not a PKCS#11 module gets an error naming the cause (libp11 only says
 * "failed"), and so we hold the function list for raw calls. */
static hsmca_err load_function_list(const char *path, void **out_dl, CK_FUNCTION_LIST_PTR *out_fl)
{
    hsmca_err err = HSMCA_OK;
    struct stat st;
    void *dl = NULL;
    CK_C_GetFunctionList get = NULL;
    CK_FUNCTION_LIST_PTR fl = NULL;
    CK_RV rv;

    if (stat(path, &st) != 0)
        HSMCA_FAIL(HSMCA_E_MODULE, "cannot load PKCS#11 module %s: %s", path, strerror(errno));
    HSMCA_ENSURE(S_ISREG(st.st_mode), HSMCA_E_MODULE,
                 "cannot load PKCS#11 module %s: not a regular file", path);
    dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (dl == NULL)
        HSMCA_FAIL(HSMCA_E_MODULE, "cannot load PKCS#11 module %s: %s", path, dlerror());
    /* POSIX allows converting dlsym's void * to a function pointer. */
    *(void **)&get = dlsym(dl, "C_GetFunctionList");
    HSMCA_ENSURE(get != NULL, HSMCA_E_MODULE,
                 "cannot load PKCS#11 module %s: it has no C_GetFunctionList "
                 "(not a PKCS#11 module?)", path);
    rv = get(&fl);
    if (rv != CKR_OK || fl == NULL) {
        err = hsmca_hsm_fail_ckr(HSMCA_E_MODULE, rv,
                                 "PKCS#11 module %s: C_GetFunctionList failed", path);
        goto out;
    }
    *out_dl = dl;
    dl = NULL;
    *out_fl = fl;
out:
    if (dl != NULL)
        dlclose(dl);
    return err;
}

static hsmca_err enumerate_slots(hsmca_hsm *hsm)
{
    hsmca_err err = HSMCA_OK;

    if (PKCS11_enumerate_slots(hsm->ctx, &hsm->slots, &hsm->nslots) != 0) {
        CK_RV rv = hsmca_hsm_take_libp11_ckr();
        err = hsmca_hsm_fail_ckr(HSMCA_E_PKCS11, rv, "PKCS#11 module %s: cannot list slots",
                                 hsm->module);
        hsm->slots = NULL;
        hsm->nslots = 0;
    }
    return err;
}

hsmca_err hsmca_hsm_open(const char *module_path, hsmca_hsm **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_hsm *hsm = NULL;
    int have_live = 0, claimed = 0;

    if (module_path == NULL || module_path[0] == '\0')
        module_path = getenv(HSMCA_PKCS11_MODULE_ENV);
    if (module_path == NULL || module_path[0] == '\0')
        module_path = hsmca_hsm_default_module();

    /* Claim the one slot atomically: a concurrent open must not load a
     * second context between our check and our success. */
    pthread_mutex_lock(&live_lock);
    have_live = live_hsm != NULL;
    if (!have_live)
        live_hsm = &loading;
    pthread_mutex_unlock(&live_lock);
    HSMCA_ENSURE(!have_live, HSMCA_E_STATE,
                 "a PKCS#11 module is already open in this process; "
                 "hsmca keeps one PKCS#11 context per process");
    claimed = 1;

    hsm = calloc(1, sizeof(*hsm));
    HSMCA_ALLOC(hsm);
    pthread_mutex_init(&hsm->lock, NULL);
    hsm->module = strdup(module_path);
    HSMCA_ALLOC(hsm->module);

    HSMCA_GUARD(load_function_list(hsm->module, &hsm->dl, &hsm->fl));

    hsm->ctx = PKCS11_CTX_new();
    HSMCA_ALLOC(hsm->ctx);
    if (PKCS11_CTX_load(hsm->ctx, hsm->module) != 0) {
        CK_RV rv = hsmca_hsm_take_libp11_ckr();
        /* The context was not loaded: free, don't unload (no C_Finalize). */
        PKCS11_CTX_free(hsm->ctx);
        hsm->ctx = NULL;
        err = hsmca_hsm_fail_ckr(HSMCA_E_MODULE, rv,
                                 "PKCS#11 module %s failed to initialise (C_Initialize); "
                                 "for SoftHSM check SOFTHSM2_CONF and its directories.token",
                                 module_path);
        goto out;
    }
    HSMCA_GUARD(enumerate_slots(hsm));

    hsm->slot_open = calloc(hsm->nslots ? hsm->nslots : 1, 1);
    HSMCA_ALLOC(hsm->slot_open);
    hsmca_log_debug("loaded PKCS#11 module %s (%u slots)", hsm->module, hsm->nslots);
    pthread_mutex_lock(&live_lock);
    live_hsm = hsm;
    pthread_mutex_unlock(&live_lock);
    claimed = 0;
    *out = hsm;
    hsm = NULL;
out:
    hsmca_hsm_free(hsm);
    if (claimed) {
        pthread_mutex_lock(&live_lock);
        if (live_hsm == &loading)
            live_hsm = NULL;
        pthread_mutex_unlock(&live_lock);
    }
    return err;
}

void hsmca_hsm_free(hsmca_hsm *hsm)
{
    if (hsm == NULL)
        return;
    if (hsm->open_tokens != 0)
        hsmca_log_error("internal: freeing the PKCS#11 module with %d token(s) open",
                        hsm->open_tokens);
    if (hsm->ctx != NULL) {
        if (hsm->slots != NULL)
            PKCS11_release_all_slots(hsm->ctx, hsm->slots, hsm->nslots);
        PKCS11_CTX_unload(hsm->ctx); /* C_Finalize: libp11 owns it */
        PKCS11_CTX_free(hsm->ctx);
    }
    if (hsm->dl != NULL)
        dlclose(hsm->dl);
    pthread_mutex_lock(&live_lock);
    if (live_hsm == hsm)
        live_hsm = NULL;
    pthread_mutex_unlock(&live_lock);
    pthread_mutex_destroy(&hsm->lock);
    free(hsm->slot_open);
    free(hsm->module);
    free(hsm);
}

/* Token info for one slot, straight from the module (libp11's copy is taken
 * once at enumeration and lacks the PIN counters we need after a failure). */
static hsmca_err slot_token_info(hsmca_hsm *hsm, CK_SLOT_ID id, hsmca_token_info *info)
{
    CK_TOKEN_INFO ti;
    CK_RV rv;

    memset(&ti, 0, sizeof(ti));
    rv = hsm->fl->C_GetTokenInfo(id, &ti);
    if (rv != CKR_OK)
        return hsmca_hsm_fail_ckr(HSMCA_E_PKCS11, rv, "cannot read token info in slot %lu",
                                  (unsigned long)id);
    fill_info(info, id, &ti);
    return HSMCA_OK;
}

hsmca_err hsmca_hsm_tokens(hsmca_hsm *hsm, hsmca_token_info **out, size_t *out_n)
{
    hsmca_err err = HSMCA_OK;
    hsmca_token_info *list = NULL;
    size_t n = 0;

    pthread_mutex_lock(&hsm->lock);
    list = calloc(hsm->nslots ? hsm->nslots : 1, sizeof(*list));
    HSMCA_ALLOC(list);
    for (unsigned int i = 0; i < hsm->nslots; i++) {
        PKCS11_SLOT *slot = &hsm->slots[i];
        if (slot->token == NULL)
            continue;
        HSMCA_GUARD(slot_token_info(hsm, PKCS11_get_slotid_from_slot(slot), &list[n]));
        n++;
    }
    *out = list;
    list = NULL;
    *out_n = n;
out:
    pthread_mutex_unlock(&hsm->lock);
    free(list);
    return err;
}

static int sel_matches(const hsmca_token_sel *sel, CK_SLOT_ID id, const hsmca_token_info *info)
{
    if (sel->slot_id >= 0 && (CK_SLOT_ID)sel->slot_id != id)
        return 0;
    if (sel->label != NULL && strcmp(sel->label, info->label) != 0)
        return 0;
    if (sel->serial != NULL && strcmp(sel->serial, info->serial) != 0)
        return 0;
    return 1;
}

static void describe_sel(const hsmca_token_sel *sel, char *buf, size_t len)
{
    int n = 0;

    buf[0] = '\0';
    if (sel->label != NULL)
        n += snprintf(buf + n, len - (size_t)n, "label '%s'", sel->label);
    if (sel->serial != NULL && (size_t)n < len)
        n += snprintf(buf + n, len - (size_t)n, "%sserial '%s'", n ? ", " : "", sel->serial);
    if (sel->slot_id >= 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, "%sslot %ld", n ? ", " : "", sel->slot_id);
}

/* "tokens present: 'a' (serial ..), 'b'; 1 uninitialised slot" for errors. */
static void describe_present(hsmca_hsm *hsm, char *buf, size_t len)
{
    size_t n = 0;
    unsigned uninit = 0, shown = 0;

    buf[0] = '\0';
    for (unsigned int i = 0; i < hsm->nslots; i++) {
        hsmca_token_info info;
        CK_SLOT_ID id = PKCS11_get_slotid_from_slot(&hsm->slots[i]);

        if (hsm->slots[i].token == NULL || slot_token_info(hsm, id, &info) != HSMCA_OK)
            continue;
        if (!info.initialized) {
            uninit++;
            continue;
        }
        if (n < len)
            n += (size_t)snprintf(buf + n, len - n, "%s'%s' (serial %s, slot %lu)",
                                  shown ? ", " : "", info.label, info.serial, info.slot_id);
        shown++;
    }
    if (shown == 0 && n < len)
        n += (size_t)snprintf(buf + n, len - n, "no initialised token");
    if (uninit > 0 && n < len)
        snprintf(buf + n, len - n, "; %u uninitialised slot%s", uninit, uninit == 1 ? "" : "s");
    hsmca_err_clear();
}

hsmca_err hsmca_hsm_token_open(hsmca_hsm *hsm, const hsmca_token_sel *sel, hsmca_token **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_token *tok = NULL;
    PKCS11_SLOT *found = NULL;
    hsmca_token_info info, found_info;
    char want[256], present[768];
    unsigned matches = 0;
    CK_RV rv;
    int locked = 0;

    HSMCA_ENSURE(sel->label != NULL || sel->serial != NULL || sel->slot_id >= 0,
                 HSMCA_E_USAGE, "no token chosen: give a token label, serial or slot");
    describe_sel(sel, want, sizeof(want));

    pthread_mutex_lock(&hsm->lock);
    locked = 1;
    for (unsigned int i = 0; i < hsm->nslots; i++) {
        PKCS11_SLOT *slot = &hsm->slots[i];
        CK_SLOT_ID id = PKCS11_get_slotid_from_slot(slot);

        if (slot->token == NULL)
            continue;
        HSMCA_GUARD(slot_token_info(hsm, id, &info));
        if (!sel_matches(sel, id, &info))
            continue;
        /* An uninitialised token has no label or serial worth matching; it
         * can only be chosen by slot. */
        if (!info.initialized && sel->slot_id < 0)
            continue;
        if (matches++ == 0) {
            found = slot;
            found_info = info;
        }
    }
    if (found == NULL) {
        describe_present(hsm, present, sizeof(present));
        HSMCA_FAIL(HSMCA_E_TOKEN_NOT_FOUND, "no token with %s in %s (present: %s)", want,
                   hsm->module, present);
    }
    HSMCA_ENSURE(matches == 1, HSMCA_E_TOKEN_NOT_FOUND,
                 "%u tokens match %s in %s; choose one by serial", matches, want, hsm->module);
    HSMCA_ENSURE(found_info.initialized, HSMCA_E_TOKEN_UNINIT,
                 "the token in slot %lu is not initialised; initialise it with "
                 "'hsmca hsm init-token --slot %lu --label LABEL'",
                 found_info.slot_id, found_info.slot_id);
    HSMCA_ENSURE(found_info.user_pin_set, HSMCA_E_TOKEN_UNINIT,
                 "token '%s' has no user PIN yet; set one with 'hsmca hsm init-token' "
                 "(or the HSM vendor's tool)", found_info.label);
    /* One open token per slot: PKCS11_open_session again would reset libp11's
     * session pool under a signing thread, and a second login would be
     * answered CKR_USER_ALREADY_LOGGED_IN whatever PIN it carries. */
    HSMCA_ENSURE(!hsm->slot_open[found - hsm->slots], HSMCA_E_STATE,
                 "token '%s' is already open in this process; share the open token",
                 found_info.label);

    tok = calloc(1, sizeof(*tok));
    HSMCA_ALLOC(tok);
    tok->hsm = hsm;
    tok->slot = found;
    tok->slot_id = found_info.slot_id;
    tok->session = CK_INVALID_HANDLE;
    tok->info = found_info;

    /* DESIGN.md: open libp11's R/W session before login; another R/W mode
     * later would close all sessions and silently log the token out. */
    if (PKCS11_open_session(found, 1) != 0) {
        rv = hsmca_hsm_take_libp11_ckr();
        err = hsmca_hsm_fail_ckr(HSMCA_E_PKCS11, rv, "cannot open a session on token '%s'",
                                 found_info.label);
        goto out;
    }
    rv = hsm->fl->C_OpenSession(tok->slot_id, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
                                &tok->session);
    if (rv != CKR_OK) {
        tok->session = CK_INVALID_HANDLE;
        err = hsmca_hsm_fail_ckr(HSMCA_E_PKCS11, rv,
                                 "cannot open a read-write session on token '%s'",
                                 found_info.label);
        goto out;
    }
    hsm->open_tokens++;
    hsm->slot_open[found - hsm->slots] = 1;
    hsmca_log_debug("opened token '%s' (serial %s, slot %lu)", found_info.label,
                    found_info.serial, found_info.slot_id);
    *out = tok;
    tok = NULL;
out:
    if (locked)
        pthread_mutex_unlock(&hsm->lock);
    if (tok != NULL)
        free(tok); /* no session of ours was opened */
    return err;
}

void hsmca_hsm_token_free(hsmca_token *tok)
{
    if (tok == NULL)
        return;
    pthread_mutex_lock(&tok->hsm->lock);
    /* Close only our own session; libp11 owns its pool (DESIGN.md). */
    if (tok->session != CK_INVALID_HANDLE)
        tok->hsm->fl->C_CloseSession(tok->session);
    tok->hsm->open_tokens--;
    tok->hsm->slot_open[tok->slot - tok->hsm->slots] = 0;
    pthread_mutex_unlock(&tok->hsm->lock);
    free(tok);
}

const hsmca_token_info *hsmca_hsm_token_info(const hsmca_token *tok)
{
    return &tok->info;
}

hsmca_err hsmca_hsm_token_refresh(hsmca_token *tok)
{
    return slot_token_info(tok->hsm, tok->slot_id, &tok->info);
}

static void describe_pin_state(const hsmca_token_info *info, char *buf, size_t len)
{
    if (info->pin_locked)
        snprintf(buf, len, "; the user PIN is now locked");
    else if (info->pin_final_try)
        snprintf(buf, len, "; ONE attempt left before the PIN locks");
    else if (info->pin_count_low)
        snprintf(buf, len, "; the token reports few attempts left");
    else
        buf[0] = '\0';
}

hsmca_err hsmca_hsm_token_login(hsmca_token *tok, const hsmca_secret *pin)
{
    hsmca_err err = HSMCA_OK;
    hsmca_hsm *hsm = tok->hsm;
    char state[96];
    CK_RV rv;
    int locked = 0;

    if (tok->logged_in)
        return HSMCA_OK;
    HSMCA_ENSURE(pin != NULL, HSMCA_E_PIN, "no user PIN for token '%s'", tok->info.label);

    pthread_mutex_lock(&hsm->lock);
    locked = 1;
    HSMCA_GUARD(hsmca_hsm_token_refresh(tok));
    /* Don't spend a try on a token that already refuses: it can't succeed. */
    HSMCA_ENSURE(!tok->info.pin_locked, HSMCA_E_PIN_LOCKED,
                 "the user PIN of token '%s' is locked; the security officer must reset it",
                 tok->info.label);

    /* One C_Login on our session: we get the exact CK_RV, and there is
     * exactly one attempt (tokens lock after a few failures; never retry). */
    rv = hsm->fl->C_Login(tok->session, CKU_USER, hsmca_hsm_pin_ptr(pin),
                          (CK_ULONG)hsmca_secret_len(pin));
    if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_INVALID || rv == CKR_PIN_LEN_RANGE) {
        (void)hsmca_hsm_token_refresh(tok);
        describe_pin_state(&tok->info, state, sizeof(state));
        err = hsmca_hsm_fail_ckr(tok->info.pin_locked ? HSMCA_E_PIN_LOCKED : HSMCA_E_PIN, rv,
                                 "wrong user PIN for token '%s'; not retried%s",
                                 tok->info.label, state);
        goto out;
    }
    if (rv == CKR_PIN_LOCKED) {
        err = hsmca_hsm_fail_ckr(HSMCA_E_PIN_LOCKED, rv,
                                 "the user PIN of token '%s' is locked", tok->info.label);
        goto out;
    }
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
        err = hsmca_hsm_fail_ckr(HSMCA_E_PKCS11, rv, "login to token '%s' failed",
                                 tok->info.label);
        goto out;
    }
    /* The token is now logged in for the whole application (PKCS#11 §5.6),
     * so libp11's sessions are too; tell libp11, which answers
     * CKR_USER_ALREADY_LOGGED_IN internally and records the state. */
    if (PKCS11_login(tok->slot, 0, hsmca_secret_get0(pin)) != 0) {
        rv = hsmca_hsm_take_libp11_ckr();
        err = hsmca_hsm_fail_ckr(HSMCA_E_PKCS11, rv, "libp11 login to token '%s' failed",
                                 tok->info.label);
        goto out;
    }
    tok->logged_in = 1;
    hsmca_log_info("logged in to token '%s'", tok->info.label);
out:
    if (locked)
        pthread_mutex_unlock(&hsm->lock);
    return err;
}

hsmca_err hsmca_hsm_random(hsmca_token *tok, uint8_t *buf, size_t n)
{
    hsmca_err err = HSMCA_OK;
    CK_RV rv;

    pthread_mutex_lock(&tok->hsm->lock);
    while (n > 0) {
        CK_ULONG chunk = n > 4096 ? 4096 : (CK_ULONG)n;
        rv = tok->hsm->fl->C_GenerateRandom(tok->session, buf, chunk);
        if (rv != CKR_OK) {
            err = hsmca_hsm_fail_ckr(HSMCA_E_PKCS11, rv,
                                     "token '%s' could not generate random bytes",
                                     tok->info.label);
            goto out;
        }
        buf += chunk;
        n -= chunk;
    }
out:
    pthread_mutex_unlock(&tok->hsm->lock);
    return err;
}

/* PKCS#11 labels are 32 blank-padded octets, not NUL-terminated. */
static hsmca_err pad_label(const char *label, CK_UTF8CHAR out[32])
{
    size_t n = strlen(label);

    if (n == 0 || n > 32)
        return hsmca_err_setf(HSMCA_E_USAGE,
                              "token label '%s' must be 1 to 32 bytes long", label);
    /* PKCS#11 pads labels with blanks, so leading/trailing blanks cannot be
     * found again; refuse them before C_InitToken erases anything. */
    if (label[0] == ' ' || label[n - 1] == ' ')
        return hsmca_err_setf(HSMCA_E_USAGE, "token label '%s' must not start or end with a "
                              "space", label);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)label[i] < 0x20 || label[i] == 0x7f)
            return hsmca_err_setf(HSMCA_E_USAGE, "token label contains a control character");
    memset(out, ' ', 32);
    memcpy(out, label, n);
    return HSMCA_OK;
}

static hsmca_err find_slot_by_label(hsmca_hsm *hsm, const char *label, CK_SLOT_ID *out)
{
    hsmca_err err = HSMCA_OK;
    CK_SLOT_ID *ids = NULL;
    CK_ULONG n = 0;
    CK_RV rv;
    unsigned found = 0;

    rv = hsm->fl->C_GetSlotList(CK_TRUE, NULL, &n);
    if (rv != CKR_OK) {
        err = hsmca_hsm_fail_ckr(HSMCA_E_PKCS11, rv, "cannot list slots");
        goto out;
    }
    ids = calloc(n ? n : 1, sizeof(*ids));
    HSMCA_ALLOC(ids);
    rv = hsm->fl->C_GetSlotList(CK_TRUE, ids, &n);
    if (rv != CKR_OK) {
        err = hsmca_hsm_fail_ckr(HSMCA_E_PKCS11, rv, "cannot list slots");
        goto out;
    }
    for (CK_ULONG i = 0; i < n; i++) {
        hsmca_token_info info;
        HSMCA_GUARD(slot_token_info(hsm, ids[i], &info));
        if (info.initialized && strcmp(info.label, label) == 0) {
            *out = ids[i];
            found++;
        }
    }
    HSMCA_ENSURE(found == 1, HSMCA_E_TOKEN_NOT_FOUND,
                 "after initialisation, %u tokens are labelled '%s'", found, label);
out:
    free(ids);
    return err;
}

hsmca_err hsmca_hsm_token_init(hsmca_hsm *hsm, unsigned long slot_id, const char *label,
                               const hsmca_secret *so_pin, const hsmca_secret *user_pin,
                               int reinit)
{
    hsmca_err err = HSMCA_OK;
    CK_UTF8CHAR padded[32];
    CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
    CK_SLOT_ID new_id = 0;
    hsmca_token_info info;
    CK_RV rv;
    int so_logged_in = 0, erased = 0;

    pthread_mutex_lock(&hsm->lock);
    HSMCA_ENSURE(hsm->open_tokens == 0, HSMCA_E_STATE,
                 "cannot initialise a token while another token is open");
    HSMCA_GUARD(pad_label(label, padded));
    HSMCA_GUARD(slot_token_info(hsm, slot_id, &info));
    HSMCA_ENSURE(!info.initialized || reinit, HSMCA_E_EXISTS,
                 "the token in slot %lu is already initialised (label '%s'); "
                 "re-initialising erases every key in it", slot_id, info.label);
    for (unsigned int i = 0; i < hsm->nslots; i++) {
        hsmca_token_info other;
        CK_SLOT_ID id = PKCS11_get_slotid_from_slot(&hsm->slots[i]);
        if (hsm->slots[i].token == NULL || id == slot_id)
            continue;
        HSMCA_GUARD(slot_token_info(hsm, id, &other));
        HSMCA_ENSURE(!other.initialized || strcmp(other.label, label) != 0, HSMCA_E_EXISTS,
                     "a token labelled '%s' already exists (slot %lu); labels must be unique "
                     "so keys can be found by token label", label, other.slot_id);
    }

    rv = hsm->fl->C_InitToken(slot_id, hsmca_hsm_pin_ptr(so_pin),
                              (CK_ULONG)hsmca_secret_len(so_pin), padded);
    if (rv != CKR_OK) {
        err = hsmca_hsm_fail_ckr(rv == CKR_PIN_INCORRECT ? HSMCA_E_PIN : HSMCA_E_PKCS11, rv,
                                 "cannot initialise the token in slot %lu", slot_id);
        goto out;
    }
    erased = 1;
    /* SoftHSM moves a freshly initialised token to a new slot id (derived
     * from its serial) and adds a new empty slot: find it again by label. */
    HSMCA_GUARD(find_slot_by_label(hsm, label, &new_id));
    rv = hsm->fl->C_OpenSession(new_id, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s);
    if (rv != CKR_OK) {
        s = CK_INVALID_HANDLE;
        err = hsmca_hsm_fail_ckr(HSMCA_E_PKCS11, rv, "cannot open a session on new token '%s'",
                                 label);
        goto out;
    }
    rv = hsm->fl->C_Login(s, CKU_SO, hsmca_hsm_pin_ptr(so_pin),
                          (CK_ULONG)hsmca_secret_len(so_pin));
    if (rv != CKR_OK) {
        err = hsmca_hsm_fail_ckr(HSMCA_E_PIN, rv, "SO login to new token '%s' failed", label);
        goto out;
    }
    so_logged_in = 1;
    rv = hsm->fl->C_InitPIN(s, hsmca_hsm_pin_ptr(user_pin),
                            (CK_ULONG)hsmca_secret_len(user_pin));
    if (rv != CKR_OK) {
        err = hsmca_hsm_fail_ckr(HSMCA_E_PKCS11, rv, "cannot set the user PIN of token '%s'",
                                 label);
        goto out;
    }
out:
    if (err != HSMCA_OK && erased)
        hsmca_err_context("the token in slot %lu was initialised (erased) as '%s', but its "
                          "user PIN is not set; run init-token on it again with --reinit",
                          slot_id, label);
    if (so_logged_in)
        hsm->fl->C_Logout(s);
    if (s != CK_INVALID_HANDLE)
        hsm->fl->C_CloseSession(s);
    /* The slot list changed (SoftHSM added a slot): re-read libp11's. A
     * failure here is reported only when the initialisation itself worked. */
    if (hsm->open_tokens == 0 && hsm->slots != NULL) {
        hsmca_err reread;
        PKCS11_release_all_slots(hsm->ctx, hsm->slots, hsm->nslots);
        hsm->slots = NULL;
        hsm->nslots = 0;
        reread = enumerate_slots(hsm);
        if (reread == HSMCA_OK) {
            unsigned char *grown = calloc(hsm->nslots ? hsm->nslots : 1, 1);
            if (grown == NULL)
                reread = hsmca_err_setf(HSMCA_E_NOMEM, "out of memory");
            free(hsm->slot_open);
            hsm->slot_open = grown;
        }
        if (err == HSMCA_OK)
            err = reread;
    }
    pthread_mutex_unlock(&hsm->lock);
    return err;
}
