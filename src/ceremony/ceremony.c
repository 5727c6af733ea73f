/* hsmca — running ceremony scripts (include/hsmca/ceremony.h).
 *
 * Three phases: checks without side effects, token checks, then the steps
 * into a staging directory that is published only when every step worked.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ceremony_int.h"
#include "hsmca/ca.h"
#include "hsmca/crl.h"
#include "hsmca/file.h"
#include "hsmca/hsm.h"
#include "hsmca/lint.h"
#include "hsmca/log.h"
#include "hsmca/x509.h"

#ifndef HSMCA_VERSION
#define HSMCA_VERSION "unknown"
#endif

/* A key the run signs with or generated, by (script token, label). */
typedef struct run_key {
    const hsmca_script_token *token;
    const char *label;
    hsmca_key *key;
    int generated;             /* made by this run: destroyed if the run fails */
} run_key;

typedef struct run {
    const hsmca_script *s;
    const hsmca_ceremony_opts *o;
    char outdir[PATH_MAX];
    char staging[PATH_MAX];
    hsmca_hsm *hsm;
    hsmca_token **tokens;      /* by index in s->hsm.tokens; NULL if unused */
    hsmca_profile **profiles;  /* by step; NULL for key and crl steps */
    run_key *keys;
    size_t n_keys;
    STACK_OF(X509) *certs;     /* every certificate read or made: chain checks */
    hsmca_transcript *tr;
} run;

/* ---- small helpers ---- */

static void progress(const run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(const run *r, const char *fmt, ...)
{
    va_list ap;

    if (r->o->progress == NULL)
        return;
    va_start(ap, fmt);
    vfprintf(r->o->progress, fmt, ap);
    va_end(ap);
    fflush(r->o->progress);
}

/* "rehearsal.yaml:42: step 3 (intermediate): " in front of the current error. */
static hsmca_err step_context(const run *r, size_t i, hsmca_err err)
{
    if (err != HSMCA_OK)
        hsmca_err_context("%s:%lu: step %zu (%s)", r->s->path, r->s->steps[i].line, i + 1,
                          hsmca_script_step_name(r->s->steps[i].kind));
    return err;
}

static hsmca_err join(const char *dir, const char *name, char *out, size_t len)
{
    if ((size_t)snprintf(out, len, "%s/%s", dir, name) >= len)
        return hsmca_err_setf(HSMCA_E_INPUT, "path too long: %s/%s", dir, name);
    return HSMCA_OK;
}

static int exists(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0;
}

/* An input file: made by this run (staging) or already in the output dir. */
static hsmca_err input_path(const run *r, const char *name, char *out, size_t len)
{
    hsmca_err err = HSMCA_OK;

    if (r->staging[0] != '\0') {
        HSMCA_GUARD(join(r->staging, name, out, len));
        if (exists(out))
            goto out;
    }
    HSMCA_GUARD(join(r->outdir, name, out, len));
out:
    return err;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The step's output, or the earlier step that makes `name` (-1: none). */
static long maker_of(const hsmca_script *s, size_t before, const char *name)
{
    for (size_t j = 0; j < before; j++)
        if (s->steps[j].output != NULL && strcmp(s->steps[j].output, name) == 0)
            return (long)j;
    return -1;
}

static unsigned profile_key_bit(hsmca_key_type t)
{
    /* HSMCA_PROFILE_KEY_* follow hsmca_key_type's order (rsa2048 .. p384). */
    return t >= HSMCA_KEY_RSA2048 && t <= HSMCA_KEY_EC_P384 ? 1u << (t - HSMCA_KEY_RSA2048) : 0;
}

static hsmca_key_type key_type_of_pkey(EVP_PKEY *k)
{
    int bits = EVP_PKEY_get_bits(k);

    if (EVP_PKEY_is_a(k, "RSA"))
        return bits == 2048 ? HSMCA_KEY_RSA2048 : bits == 3072 ? HSMCA_KEY_RSA3072
             : bits == 4096 ? HSMCA_KEY_RSA4096 : 0;
    if (EVP_PKEY_is_a(k, "EC"))
        return bits == 256 ? HSMCA_KEY_EC_P256 : bits == 384 ? HSMCA_KEY_EC_P384 : 0;
    return 0;
}

static size_t token_index(const run *r, const hsmca_script_token *t)
{
    return (size_t)(t - r->s->hsm.tokens);
}

static run_key *find_key(run *r, const hsmca_script_token *t, const char *label)
{
    for (size_t i = 0; i < r->n_keys; i++)
        if (r->keys[i].token == t && strcmp(r->keys[i].label, label) == 0)
            return &r->keys[i];
    return NULL;
}

static hsmca_err add_key(run *r, const hsmca_script_token *t, const char *label, hsmca_key *key,
                         int generated)
{
    run_key *grown = realloc(r->keys, (r->n_keys + 1) * sizeof(*grown));

    if (grown == NULL) {
        hsmca_hsm_key_free(key);
        return hsmca_err_setf(HSMCA_E_NOMEM, "out of memory");
    }
    r->keys = grown;
    r->keys[r->n_keys++] = (run_key){t, label, key, generated};
    return HSMCA_OK;
}

/* What an input file holds: a certificate, a public key, or a PKCS#10
 * request whose signature must verify. PEM or DER. */
typedef enum input_kind { IN_CERT, IN_PUBKEY, IN_CSR } input_kind;

static hsmca_err read_input(const char *path, input_kind kind, X509 **cert, EVP_PKEY **key)
{
    hsmca_err err = HSMCA_OK;
    uint8_t *data = NULL;
    size_t len = 0;

    HSMCA_GUARD(hsmca_file_read(path, 1024 * 1024, &data, &len));
    err = kind == IN_CERT     ? hsmca_x509_from_bytes(data, len, cert)
          : kind == IN_PUBKEY ? hsmca_x509_pubkey_from_bytes(data, len, key)
                              : hsmca_x509_csr_key_from_bytes(data, len, key);
    if (err != HSMCA_OK)
        hsmca_err_context("%s", path);
out:
    free(data);
    return err;
}

static hsmca_err read_cert(const char *path, X509 **out)
{
    return read_input(path, IN_CERT, out, NULL);
}

static hsmca_err spki_sha256(EVP_PKEY *k, char out[HSMCA_TRANSCRIPT_HASH_HEX])
{
    hsmca_err err = HSMCA_OK;
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(k, &der);

    HSMCA_OSSL(n > 0, "cannot encode a public key");
    HSMCA_GUARD(hsmca_ceremony_sha256_hex(der, (size_t)n, out));
out:
    OPENSSL_free(der);
    return err;
}

static void name_text(X509_NAME *name, char *buf, size_t len)
{
    BIO *b = BIO_new(BIO_s_mem());
    int n;

    buf[0] = '\0';
    if (b == NULL)
        return;
    X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253);
    n = BIO_read(b, buf, (int)len - 1);
    buf[n > 0 ? n : 0] = '\0';
    BIO_free(b);
}

static void hex_of(const uint8_t *p, size_t n, char *out, size_t len)
{
    size_t o = 0;

    out[0] = '\0';
    for (size_t i = 0; i < n && o + 3 <= len; i++)
        o += (size_t)snprintf(out + o, len - o, "%02x", p[i]);
}

/* "id=ab12.. spki-sha256=..." for the transcript. */
static void key_fields(run *r, const char *field, const hsmca_key *key)
{
    const hsmca_key_info *ki = hsmca_hsm_key_info(key);
    char id[2 * HSMCA_KEY_ID_MAX + 1], spki[HSMCA_TRANSCRIPT_HASH_HEX];

    hex_of(ki->id, ki->id_len, id, sizeof(id));
    if (spki_sha256(hsmca_hsm_key_get0_public(key), spki) != HSMCA_OK)
        snprintf(spki, sizeof(spki), "?");
    hsmca_transcript_field(r->tr, field, "%s type=%s id=%s spki-sha256=%s", ki->label,
                           hsmca_hsm_key_type_name(ki->type), id, spki);
}

static hsmca_err file_field(run *r, const char *field, const char *name, const char *path)
{
    char sha[HSMCA_TRANSCRIPT_HASH_HEX];
    hsmca_err err = hsmca_ceremony_file_sha256(path, sha);

    if (err == HSMCA_OK)
        hsmca_transcript_field(r->tr, field, "%s sha256=%s", name, sha);
    return err;
}

/* Write bytes as a new staged output and record it. */
static hsmca_err write_output(run *r, const char *name, const void *data, size_t len)
{
    hsmca_err err = HSMCA_OK;
    char path[PATH_MAX];

    HSMCA_GUARD(join(r->staging, name, path, sizeof(path)));
    HSMCA_GUARD(hsmca_file_write_new(path, data, len, 0644));
    HSMCA_GUARD(file_field(r, "output", name, path));
out:
    return err;
}

/* ---- phase 1: checks without side effects ---- */

static hsmca_err load_profile(run *r, const hsmca_script_step *st, hsmca_profile **out)
{
    char path[PATH_MAX];
    const char *name = st->profile;

    if (strchr(name, '/') != NULL && name[0] != '/') {
        hsmca_err err = join(r->s->dir, name, path, sizeof(path));
        if (err != HSMCA_OK)
            return err;
        name = path;
    }
    return hsmca_profile_load_named(name, r->o->profiles_dir, out);
}

static const char *strs_with(const hsmca_profile_strs *v, const char *needle)
{
    for (size_t k = 0; k < v->n; k++)
        if (strstr(v->v[k], needle) != NULL)
            return v->v[k];
    return NULL;
}

/* The first URL in the profile that contains `needle`, or NULL. */
static const char *profile_url_with(const hsmca_profile *p, const char *needle)
{
    const char *hit = NULL;

    for (size_t e = 0; e < p->n_exts && hit == NULL; e++) {
        const hsmca_profile_ext *x = &p->exts[e];
        if (x->kind == HSMCA_PROFILE_EXT_AUTHORITY_INFO_ACCESS) {
            hit = strs_with(&x->aia.ocsp, needle);
            if (hit == NULL)
                hit = strs_with(&x->aia.ca_issuers, needle);
        } else if (x->kind == HSMCA_PROFILE_EXT_CRL_DISTRIBUTION_POINTS) {
            hit = strs_with(&x->crldp.uris, needle);
        } else if (x->kind == HSMCA_PROFILE_EXT_CERTIFICATE_POLICIES) {
            for (size_t k = 0; k < x->cp.n && hit == NULL; k++)
                if (x->cp.policies[k].cps != NULL && strstr(x->cp.policies[k].cps, needle))
                    hit = x->cp.policies[k].cps;
        }
    }
    return hit;
}

static hsmca_err check_cert_step(run *r, size_t i)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_script_step *st = &r->s->steps[i];
    hsmca_profile *p = NULL;
    unsigned given = 0;
    long maker;

    HSMCA_GUARD(load_profile(r, st, &p));
    r->profiles[i] = p;
    if (hsmca_profile_check_usable(p, st->allow_legacy) != HSMCA_OK)
        HSMCA_FAIL(HSMCA_E_INPUT, "profile '%s' is legacy (BR 7.1.2.4; forbidden from "
                   "2026-03-15 by ballot SC-092): add 'allow_legacy: true' to the step to "
                   "issue it anyway, e.g. for negative tests", p->name);
    switch (st->kind) {
    case HSMCA_STEP_ROOT:
        HSMCA_ENSURE(p->kind == HSMCA_PROFILE_ROOT, HSMCA_E_INPUT,
                     "profile '%s' is a %s profile; a root step needs a root profile", p->name,
                     hsmca_profile_kind_name(p->kind));
        break;
    case HSMCA_STEP_INTERMEDIATE:
        HSMCA_ENSURE(p->kind == HSMCA_PROFILE_SUBORDINATE || p->kind == HSMCA_PROFILE_OCSP_RESPONDER ||
                         p->kind == HSMCA_PROFILE_PRECERT_SIGNER,
                     HSMCA_E_INPUT, "profile '%s' is a %s profile; an intermediate step signs "
                     "subordinate, ocsp-responder or precert-signer profiles", p->name,
                     hsmca_profile_kind_name(p->kind));
        break;
    case HSMCA_STEP_OCSP_RESPONDER:
        HSMCA_ENSURE(p->kind == HSMCA_PROFILE_OCSP_RESPONDER, HSMCA_E_INPUT,
                     "profile '%s' is a %s profile; an ocsp-responder step needs an "
                     "ocsp-responder profile", p->name, hsmca_profile_kind_name(p->kind));
        break;
    default:
        break;
    }
    /* Subject attributes against the profile (BR 7.1.4.2 via the profile). */
    for (int a = 0; a < HSMCA_PROFILE_ATTR__COUNT; a++) {
        if (st->subject[a] == NULL)
            continue;
        given |= HSMCA_PROFILE_ATTR_BIT(a);
        HSMCA_ENSURE(p->subject.allowed & HSMCA_PROFILE_ATTR_BIT(a), HSMCA_E_INPUT,
                     "profile '%s' does not allow subject attribute %s", p->name,
                     hsmca_profile_attr_name((hsmca_profile_attr)a));
    }
    for (int a = 0; a < HSMCA_PROFILE_ATTR__COUNT; a++)
        HSMCA_ENSURE(!(p->subject.required & HSMCA_PROFILE_ATTR_BIT(a)) ||
                         (given & HSMCA_PROFILE_ATTR_BIT(a)),
                     HSMCA_E_INPUT, "profile '%s' requires subject attribute %s", p->name,
                     hsmca_profile_attr_name((hsmca_profile_attr)a));
    /* A key this script generates must be a type the profile accepts. */
    maker = st->public_key != NULL ? maker_of(r->s, i, st->public_key) : -1;
    if (st->kind == HSMCA_STEP_ROOT) {
        for (size_t j = 0; j < i; j++)
            if (r->s->steps[j].kind == HSMCA_STEP_KEY && r->s->steps[j].token == st->token &&
                strcmp(r->s->steps[j].key, st->key) == 0)
                maker = (long)j;
    }
    if (maker >= 0 && r->s->steps[maker].kind == HSMCA_STEP_KEY) {
        hsmca_key_type t = hsmca_hsm_key_type_parse(r->s->steps[maker].key_type);
        HSMCA_ENSURE(hsmca_profile_allows_key(p, profile_key_bit(t)), HSMCA_E_INPUT,
                     "profile '%s' does not allow %s keys (the key from step %ld)", p->name,
                     r->s->steps[maker].key_type, maker + 1);
    }
    if (r->s->base_url == NULL) {
        const char *url = profile_url_with(p, "{base_url}");
        HSMCA_ENSURE(url == NULL, HSMCA_E_INPUT,
                     "profile '%s' uses {base_url} (in %s) but the script sets no base_url",
                     p->name, url);
    }
    for (size_t k = 0; k < st->n_skip_lints; k++)
        HSMCA_ENSURE(hsmca_lint_rule_find(st->skip_lints[k]) != NULL, HSMCA_E_INPUT,
                     "skip_lints names '%s', which is not a lint id (see docs/lint.md)",
                     st->skip_lints[k]);
out:
    return err;
}

static hsmca_err check_input(run *r, size_t i, const char *name)
{
    char path[PATH_MAX];
    hsmca_err err;

    if (name == NULL || maker_of(r->s, i, name) >= 0)
        return HSMCA_OK;
    err = join(r->outdir, name, path, sizeof(path));
    if (err == HSMCA_OK && !exists(path))
        err = hsmca_err_setf(HSMCA_E_NOT_FOUND, "input '%s' is not in %s and no earlier step "
                             "makes it", name, r->outdir);
    return err;
}

static hsmca_err phase_check(run *r)
{
    hsmca_err err = HSMCA_OK;
    char path[PATH_MAX];

    HSMCA_GUARD(join(r->outdir, r->s->transcript, path, sizeof(path)));
    HSMCA_ENSURE(!exists(path), HSMCA_E_EXISTS,
                 "%s already exists: this ceremony has run here before (outputs are never "
                 "overwritten; use a new output directory)", path);
    for (size_t i = 0; i < r->s->n_steps; i++) {
        const hsmca_script_step *st = &r->s->steps[i];

        if (st->output != NULL && strchr(st->output, '/') != NULL)
            err = hsmca_err_setf(HSMCA_E_INPUT, "output '%s' must be a plain file name: outputs "
                                 "go straight into the output directory", st->output);
        if (err == HSMCA_OK && st->output != NULL) {
            err = join(r->outdir, st->output, path, sizeof(path));
            if (err == HSMCA_OK && exists(path))
                err = hsmca_err_setf(HSMCA_E_EXISTS, "output %s already exists (outputs are "
                                     "never overwritten)", path);
        }
        if (err == HSMCA_OK && st->kind != HSMCA_STEP_KEY && st->kind != HSMCA_STEP_CRL &&
            st->kind != HSMCA_STEP_ROOT)
            err = check_cert_step(r, i);
        if (err == HSMCA_OK && st->kind == HSMCA_STEP_ROOT)
            err = check_cert_step(r, i);
        if (err == HSMCA_OK)
            err = check_input(r, i, st->issuer);
        if (err == HSMCA_OK)
            err = check_input(r, i, st->public_key);
        if (err == HSMCA_OK)
            err = check_input(r, i, st->csr);
        for (size_t k = 0; err == HSMCA_OK && k < st->n_revoke; k++) {
            int reason;
            hsmca_time t;
            err = check_input(r, i, st->revoke[k].certificate);
            if (err == HSMCA_OK)
                err = hsmca_crl_reason_parse(st->revoke[k].reason, &reason);
            if (err == HSMCA_OK && st->revoke[k].time != NULL)
                err = hsmca_clock_parse(st->revoke[k].time, &t);
        }
        if (err == HSMCA_OK && st->kind == HSMCA_STEP_KEY) {
            for (size_t j = 0; j < i; j++)
                if (r->s->steps[j].kind == HSMCA_STEP_KEY && r->s->steps[j].token == st->token &&
                    strcmp(r->s->steps[j].key, st->key) == 0)
                    err = hsmca_err_setf(HSMCA_E_INPUT, "step %zu already generates key '%s' "
                                         "in token '%s'", j + 1, st->key, st->token->name);
        }
        HSMCA_GUARD(step_context(r, i, err));
    }
out:
    return err;
}

/* ---- phase 2: tokens ---- */

static hsmca_err open_tokens(run *r)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_script_hsm *h = &r->s->hsm;
    hsmca_secret *pin = NULL;

    /* The module's own configuration (SOFTHSM2_CONF, a vendor's config
     * path) must be in place before it is loaded. */
    for (size_t i = 0; i < h->n_env; i++)
        HSMCA_ENSURE(setenv(h->env_names[i], h->env_values[i], 1) == 0, HSMCA_E_IO,
                     "cannot set %s", h->env_names[i]);
    err = hsmca_hsm_open(h->module, &r->hsm);
    if (err != HSMCA_OK) {
        hsmca_err_context("%s", h->file);
        goto out;
    }
    for (size_t t = 0; t < h->n_tokens; t++) {
        const hsmca_script_token *st = &h->tokens[t];
        hsmca_token_sel sel = HSMCA_TOKEN_SEL_INIT;
        char what[128];
        hsmca_pin_source src;
        int used = 0;

        for (size_t i = 0; i < r->s->n_steps; i++)
            used |= r->s->steps[i].token == st;
        if (!used)
            continue;
        sel.label = st->label;
        sel.serial = st->serial;
        err = hsmca_hsm_token_open(r->hsm, &sel, &r->tokens[t]);
        if (err == HSMCA_OK) {
            snprintf(what, sizeof(what), "user PIN for token '%s' (%s)",
                     hsmca_hsm_token_info(r->tokens[t])->label, st->name);
            src = (hsmca_pin_source){st->pin_file, st->pin_env,
                                     st->pin_file == NULL && st->pin_env == NULL, what};
            err = hsmca_secret_read_pin(&src, &pin);
        }
        if (err == HSMCA_OK)
            err = hsmca_hsm_token_login(r->tokens[t], pin);
        hsmca_secret_free(pin);
        pin = NULL;
        if (err != HSMCA_OK) {
            hsmca_err_context("%s:%lu: token '%s'", h->file, st->line, st->name);
            goto out;
        }
    }
out:
    hsmca_secret_free(pin);
    return err;
}

static hsmca_err check_keys(run *r)
{
    hsmca_err err = HSMCA_OK;
    hsmca_key_info *list = NULL;
    size_t n = 0;
    X509 *issuer = NULL;

    for (size_t i = 0; i < r->s->n_steps; i++) {
        const hsmca_script_step *st = &r->s->steps[i];
        hsmca_token *tok = r->tokens[token_index(r, st->token)];
        const char *tlabel = hsmca_hsm_token_info(tok)->label;
        hsmca_key *found = NULL;

        if (st->kind == HSMCA_STEP_KEY) {
            /* Refuse now, before any key is made, rather than at step N. */
            HSMCA_GUARD(step_context(r, i, hsmca_hsm_keys(tok, &list, &n)));
            for (size_t k = 0; k < n; k++)
                if (strcmp(list[k].label, st->key) == 0)
                    HSMCA_GUARD(step_context(r, i, hsmca_err_setf(
                        HSMCA_E_KEY_EXISTS, "token '%s' already has a key labelled '%s' "
                        "(keys are never replaced; choose another label)", tlabel, st->key)));
            free(list);
            list = NULL;
            continue;
        }
        if (find_key(r, st->token, st->key) != NULL)
            continue;
        {
            int made = 0;
            for (size_t j = 0; j < i; j++)
                made |= r->s->steps[j].kind == HSMCA_STEP_KEY && r->s->steps[j].token == st->token &&
                        strcmp(r->s->steps[j].key, st->key) == 0;
            if (made)
                continue;
        }
        {
            hsmca_key_sel sel = {st->key, NULL, 0};
            hsmca_key *key = NULL;
            HSMCA_GUARD(step_context(r, i, hsmca_hsm_key_find(tok, &sel, &key)));
            HSMCA_GUARD(add_key(r, st->token, st->key, key, 0));
            found = key;
        }
        /* An existing issuer certificate must belong to the signing key:
         * catches the wrong token or key before anything is signed. */
        if (st->issuer != NULL && maker_of(r->s, i, st->issuer) < 0) {
            char path[PATH_MAX];
            HSMCA_GUARD(join(r->outdir, st->issuer, path, sizeof(path)));
            HSMCA_GUARD(step_context(r, i, read_cert(path, &issuer)));
            HSMCA_ENSURE(EVP_PKEY_eq(X509_get0_pubkey(issuer), hsmca_hsm_key_get0_public(found)) == 1,
                         HSMCA_E_INPUT, "%s:%lu: step %zu (%s): key '%s' in token '%s' is not "
                         "the key of issuer certificate %s (wrong token or key?)", r->s->path,
                         st->line, i + 1, hsmca_script_step_name(st->kind), st->key, tlabel,
                         st->issuer);
            X509_free(issuer);
            issuer = NULL;
        }
    }
out:
    X509_free(issuer);
    free(list);
    return err;
}

/* ---- phase 3: the steps ---- */

static hsmca_err do_key(run *r, size_t i)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_script_step *st = &r->s->steps[i];
    hsmca_token *tok = r->tokens[token_index(r, st->token)];
    hsmca_key *key = NULL;
    char *pem = NULL;
    size_t pem_len = 0;
    const hsmca_key_info *ki;

    HSMCA_GUARD(hsmca_hsm_keygen(tok, hsmca_hsm_key_type_parse(st->key_type), st->key, &key));
    HSMCA_GUARD(add_key(r, st->token, st->key, key, 1));
    ki = hsmca_hsm_key_info(key);
    hsmca_transcript_field(r->tr, "token", "%s serial=%s", hsmca_hsm_token_info(tok)->label,
                           hsmca_hsm_token_info(tok)->serial);
    key_fields(r, "key", key);
    hsmca_transcript_field(r->tr, "attributes", "sensitive=%d extractable=%d "
                           "always-sensitive=%d never-extractable=%d sign=%d decrypt=%d unwrap=%d "
                           "derive=%d", ki->sensitive, ki->extractable, ki->always_sensitive,
                           ki->never_extractable, ki->can_sign, ki->can_decrypt, ki->can_unwrap,
                           ki->can_derive);
    hsmca_transcript_field(r->tr, "verify", "test signature by the token verified with the "
                           "public key");
    HSMCA_GUARD(hsmca_x509_pubkey_to_pem(hsmca_hsm_key_get0_public(key), &pem, &pem_len));
    HSMCA_GUARD(write_output(r, st->output, pem, pem_len));
    progress(r, "  generated %s key '%s' in token '%s' -> %s\n", st->key_type, st->key,
             hsmca_hsm_token_info(tok)->label, st->output);
out:
    OPENSSL_free(pem);
    return err;
}

/* The issuer's id for {issuer} in profile URLs: its file name without
 * the extension ("root.pem" -> "root"). */
static void issuer_id(const char *file, char *out, size_t len)
{
    const char *base = strrchr(file, '/');
    char *dot;

    snprintf(out, len, "%s", base ? base + 1 : file);
    dot = strrchr(out, '.');
    if (dot != NULL && dot != out)
        *dot = '\0';
}

/* Chain check with OpenSSL's verifier: anchors are the self-signed
 * certificates this run has seen, the others are intermediates. The
 * verification time is the ceremony's clock, which may be fixed. */
static hsmca_err verify_chain(run *r, X509 *cert, hsmca_time now, char *root_subject, size_t len)
{
    hsmca_err err = HSMCA_OK;
    X509_STORE *store = NULL;
    X509_STORE_CTX *ctx = NULL;
    STACK_OF(X509) *untrusted = NULL, *chain;

    store = X509_STORE_new();
    untrusted = sk_X509_new_null();
    ctx = X509_STORE_CTX_new();
    HSMCA_ALLOC(store);
    HSMCA_ALLOC(untrusted);
    HSMCA_ALLOC(ctx);
    for (int i = 0; i < sk_X509_num(r->certs); i++) {
        X509 *c = sk_X509_value(r->certs, i);
        if (X509_check_issued(c, c) == X509_V_OK)
            HSMCA_OSSL(X509_STORE_add_cert(store, c), "cannot build the trust store");
        else
            HSMCA_OSSL(sk_X509_push(untrusted, c) > 0, "cannot build the chain");
    }
    HSMCA_OSSL(X509_STORE_CTX_init(ctx, store, cert, untrusted), "cannot start verification");
    X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_X509_STRICT | X509_V_FLAG_CHECK_SS_SIGNATURE);
    X509_STORE_CTX_set_time(ctx, 0, (time_t)now);
    if (X509_verify_cert(ctx) != 1) {
        int e = X509_STORE_CTX_get_error(ctx);
        ERR_clear_error();
        HSMCA_FAIL(HSMCA_E_VERIFY, "the chain does not verify: %s (depth %d)",
                   X509_verify_cert_error_string(e), X509_STORE_CTX_get_error_depth(ctx));
    }
    chain = X509_STORE_CTX_get0_chain(ctx);
    name_text(X509_get_subject_name(sk_X509_value(chain, sk_X509_num(chain) - 1)), root_subject,
              len);
out:
    X509_STORE_CTX_free(ctx);
    sk_X509_free(untrusted);
    X509_STORE_free(store);
    return err;
}

/* Record lint findings in the transcript (and the progress output). */
static void record_lint(run *r, const hsmca_lint_result *res)
{
    hsmca_transcript_field(r->tr, "lint", "%s: %zu errors, %zu warnings, %zu skipped",
                           res->errors ? "FAILED" : "passed", res->errors, res->warnings,
                           res->skipped);
    for (size_t k = 0; k < res->n; k++) {
        const hsmca_lint_finding *f = &res->findings[k];
        const char *what = f->skipped ? "lint-skipped"
                           : f->rule->level == HSMCA_LINT_ERROR ? "lint-error"
                           : f->rule->level == HSMCA_LINT_WARN  ? "lint-warning"
                                                                : "lint-notice";
        hsmca_transcript_field(r->tr, what, "%s (%s): %s", f->rule->id, f->rule->source,
                               f->message);
        if (f->skipped || f->rule->level != HSMCA_LINT_NOTICE)
            progress(r, "    %s %s: %s\n", what, f->rule->id, f->message);
    }
}

/* BR 4.3.1.2: lint a throwaway-key signature of the TBS, record the
 * findings, then let the token sign exactly that TBS (src/ca/sign.c). */
static hsmca_err sign_linted(run *r, const hsmca_script_step *st, X509 *cert, X509 *issuer,
                             hsmca_profile_kind kind, hsmca_key *signer, hsmca_time now)
{
    hsmca_err err = HSMCA_OK;
    hsmca_lint_result *res = NULL;
    uint8_t *tbs = NULL;
    size_t len = 0;
    hsmca_lint_input in = {NULL, kind, issuer, now, (const char *const *)st->skip_lints, 0};

    err = hsmca_ca_presign_lint(cert, hsmca_hsm_key_get0_public(signer), &in, &tbs, &len, &res);
    if (res != NULL)
        record_lint(r, res); /* findings are recorded whether or not they block */
    HSMCA_GUARD(err);
    for (size_t k = 0; k < st->n_skip_lints; k++)
        hsmca_transcript_field(r->tr, "skip-lint", "%s (requested by the script)",
                               st->skip_lints[k]);
    HSMCA_GUARD(hsmca_ca_token_sign(cert, hsmca_hsm_key_get0_signer(signer),
                                    hsmca_hsm_key_get0_public(signer), tbs, len));
out:
    hsmca_lint_result_free(res);
    OPENSSL_free(tbs);
    return err;
}

/* The signing key of a cert or crl step (found or made in phase 2),
 * recorded in the transcript with its token. */
static hsmca_err step_signer(run *r, const hsmca_script_step *st, hsmca_key **out)
{
    hsmca_token *tok = r->tokens[token_index(r, st->token)];
    run_key *rk = find_key(r, st->token, st->key);

    if (rk == NULL)
        return hsmca_err_setf(HSMCA_E_INTERNAL, "signing key '%s' was not prepared", st->key);
    hsmca_transcript_field(r->tr, "token", "%s serial=%s", hsmca_hsm_token_info(tok)->label,
                           hsmca_hsm_token_info(tok)->serial);
    key_fields(r, "signing-key", rk->key);
    *out = rk->key;
    return HSMCA_OK;
}

/* The step's issuer certificate (an input, recorded in the transcript),
 * which must hold the signing key's public half. */
static hsmca_err step_issuer(run *r, const hsmca_script_step *st, hsmca_key *signer, X509 **out)
{
    hsmca_err err = HSMCA_OK;
    X509 *issuer = NULL;
    char path[PATH_MAX];

    HSMCA_GUARD(input_path(r, st->issuer, path, sizeof(path)));
    HSMCA_GUARD(read_cert(path, &issuer));
    HSMCA_GUARD(file_field(r, "input-issuer", st->issuer, path));
    HSMCA_ENSURE(EVP_PKEY_eq(X509_get0_pubkey(issuer), hsmca_hsm_key_get0_public(signer)) == 1,
                 HSMCA_E_INPUT, "key '%s' is not the key of issuer certificate %s", st->key,
                 st->issuer);
    *out = issuer;
    issuer = NULL;
out:
    X509_free(issuer);
    return err;
}

static hsmca_err do_cert(run *r, size_t i)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_script_step *st = &r->s->steps[i];
    const hsmca_profile *p = r->profiles[i];
    hsmca_token *tok = r->tokens[token_index(r, st->token)];
    hsmca_key *signer = NULL;
    X509 *issuer = NULL, *cert = NULL;
    EVP_PKEY *subject_key = NULL;
    hsmca_x509_subject subject;
    hsmca_x509_request req;
    uint8_t rnd[16], serial[HSMCA_X509_SERIAL_MAX];
    size_t serial_len = 0;
    char path[PATH_MAX], id[128], text[512], hex[2 * HSMCA_X509_SERIAL_MAX + 1], when[32];
    char spki[HSMCA_TRANSCRIPT_HASH_HEX];
    uint8_t *der = NULL;
    char *pem = NULL;
    size_t der_len = 0, pem_len = 0;
    hsmca_time now = hsmca_clock_now();

    HSMCA_GUARD(step_signer(r, st, &signer));
    hsmca_transcript_field(r->tr, "profile", "%s (%s)", p->name, p->path);
    HSMCA_GUARD(file_field(r, "profile-file", p->name, p->path));

    if (st->kind == HSMCA_STEP_ROOT) {
        subject_key = hsmca_hsm_key_get0_public(signer);
        EVP_PKEY_up_ref(subject_key);
        issuer_id(st->output, id, sizeof(id));
    } else {
        HSMCA_GUARD(step_issuer(r, st, signer, &issuer));
        HSMCA_OSSL(X509_up_ref(issuer) && sk_X509_push(r->certs, issuer) > 0,
                   "out of memory");
        issuer_id(st->issuer, id, sizeof(id));
        if (st->public_key != NULL) {
            HSMCA_GUARD(input_path(r, st->public_key, path, sizeof(path)));
            HSMCA_GUARD(read_input(path, IN_PUBKEY, NULL, &subject_key));
            HSMCA_GUARD(file_field(r, "input-public-key", st->public_key, path));
        } else {
            HSMCA_GUARD(input_path(r, st->csr, path, sizeof(path)));
            HSMCA_GUARD(read_input(path, IN_CSR, NULL, &subject_key));
            HSMCA_GUARD(file_field(r, "input-csr", st->csr, path));
            hsmca_transcript_field(r->tr, "verify-csr", "request signature verified");
        }
    }
    HSMCA_ENSURE(hsmca_profile_allows_key(p, profile_key_bit(key_type_of_pkey(subject_key))),
                 HSMCA_E_INPUT, "profile '%s' does not allow this subject key (%s, %d bits)",
                 p->name, EVP_PKEY_get0_type_name(subject_key), EVP_PKEY_get_bits(subject_key));
    HSMCA_GUARD(spki_sha256(subject_key, spki));
    hsmca_transcript_field(r->tr, "subject-key", "spki-sha256=%s", spki);

    /* CONFORMANCE.md §1: 16 CSPRNG bytes (the token's RNG), top bit cleared. */
    HSMCA_GUARD(hsmca_hsm_random(tok, rnd, sizeof(rnd)));
    HSMCA_GUARD(hsmca_x509_serial_from_random(rnd, sizeof(rnd), serial, &serial_len));
    for (int a = 0; a < HSMCA_PROFILE_ATTR__COUNT; a++)
        subject.attr[a] = st->subject[a];
    req = (hsmca_x509_request){
        .profile = p, .subject = &subject, .subject_key = subject_key, .issuer = issuer,
        .signer_public = hsmca_hsm_key_get0_public(signer), .serial = serial,
        .serial_len = serial_len, .now = now, .base_url = r->s->base_url, .issuer_id = id};
    HSMCA_GUARD(hsmca_x509_build(&req, &cert));
    hex_of(serial, serial_len, hex, sizeof(hex));
    hsmca_transcript_field(r->tr, "serial", "%s", hex);
    name_text(X509_get_subject_name(cert), text, sizeof(text));
    hsmca_transcript_field(r->tr, "subject", "%s", text);
    hsmca_transcript_field(r->tr, "not-before", "%s",
                           hsmca_clock_format(now - p->backdate_seconds, when, sizeof(when)));
    hsmca_transcript_field(r->tr, "not-after", "%s",
                           hsmca_clock_format(now - p->backdate_seconds + p->validity_seconds,
                                              when, sizeof(when)));

    HSMCA_GUARD(sign_linted(r, st, cert, issuer, p->kind, signer, now));
    hsmca_transcript_field(r->tr, "verify", "signature verified with the issuer's public key; "
                           "signed TBS identical to the linted TBS");
    HSMCA_OSSL(X509_up_ref(cert) && sk_X509_push(r->certs, cert) > 0, "out of memory");
    HSMCA_GUARD(verify_chain(r, cert, now, text, sizeof(text)));
    hsmca_transcript_field(r->tr, "verify-chain", "ok, to %s", text);

    if (ends_with(st->output, ".der")) {
        HSMCA_GUARD(hsmca_x509_to_der(cert, &der, &der_len));
        HSMCA_GUARD(write_output(r, st->output, der, der_len));
    } else {
        HSMCA_GUARD(hsmca_x509_to_pem(cert, &pem, &pem_len));
        HSMCA_GUARD(write_output(r, st->output, pem, pem_len));
    }
    name_text(X509_get_subject_name(cert), text, sizeof(text));
    progress(r, "  %s certificate '%s' serial %s, signed by '%s' -> %s\n", p->name, text, hex,
             st->key, st->output);
out:
    X509_free(issuer);
    X509_free(cert);
    EVP_PKEY_free(subject_key);
    OPENSSL_free(der);
    OPENSSL_free(pem);
    return err;
}

static hsmca_err serial_of(X509 *c, uint8_t *out, size_t *out_len)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(c), NULL);
    int n;

    if (bn == NULL)
        return hsmca_err_openssl(HSMCA_E_CRYPTO, "cannot read a serial number");
    n = BN_num_bytes(bn);
    if (n < 1 || n > HSMCA_X509_SERIAL_MAX || BN_is_negative(bn)) {
        BN_free(bn);
        return hsmca_err_setf(HSMCA_E_INPUT, "serial number out of range");
    }
    BN_bn2bin(bn, out);
    *out_len = (size_t)n;
    BN_free(bn);
    return HSMCA_OK;
}

static hsmca_err do_crl(run *r, size_t i)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_script_step *st = &r->s->steps[i];
    hsmca_key *signer = NULL;
    X509 *issuer = NULL, *revoked = NULL;
    X509_CRL *crl = NULL;
    hsmca_crl_entry *entries = NULL;
    uint8_t (*serials)[HSMCA_X509_SERIAL_MAX] = NULL;
    hsmca_crl_request req;
    char path[PATH_MAX], hex[2 * HSMCA_X509_SERIAL_MAX + 1], when[32], when2[32];
    uint8_t *der = NULL;
    char *pem = NULL;
    size_t der_len = 0, pem_len = 0;
    hsmca_time now = hsmca_clock_now();

    HSMCA_GUARD(step_signer(r, st, &signer));
    HSMCA_GUARD(step_issuer(r, st, signer, &issuer));

    entries = calloc(st->n_revoke ? st->n_revoke : 1, sizeof(*entries));
    serials = calloc(st->n_revoke ? st->n_revoke : 1, sizeof(*serials));
    HSMCA_ALLOC(entries);
    HSMCA_ALLOC(serials);
    for (size_t k = 0; k < st->n_revoke; k++) {
        const hsmca_script_revoke *rv = &st->revoke[k];
        hsmca_crl_entry *e = &entries[k];

        HSMCA_GUARD(input_path(r, rv->certificate, path, sizeof(path)));
        HSMCA_GUARD(read_cert(path, &revoked));
        /* Only certificates this CA issued belong on its CRL (RFC 5280 §5). */
        HSMCA_ENSURE(X509_check_issued(issuer, revoked) == X509_V_OK, HSMCA_E_INPUT,
                     "%s was not issued by %s, so it cannot be on its CRL", rv->certificate,
                     st->issuer);
        HSMCA_GUARD(serial_of(revoked, serials[k], &e->serial_len));
        e->serial = serials[k];
        e->is_ca = X509_check_ca(revoked) > 0;
        HSMCA_GUARD(hsmca_crl_reason_parse(rv->reason, &e->reason));
        e->revoked_at = now;
        if (rv->time != NULL)
            HSMCA_GUARD(hsmca_clock_parse(rv->time, &e->revoked_at));
        hex_of(e->serial, e->serial_len, hex, sizeof(hex));
        hsmca_transcript_field(r->tr, "revoke", "%s serial=%s reason=%s time=%s",
                               rv->certificate, hex, hsmca_crl_reason_name(e->reason),
                               hsmca_clock_format(e->revoked_at, when, sizeof(when)));
        X509_free(revoked);
        revoked = NULL;
    }
    req = (hsmca_crl_request){issuer, now, now + st->next_update_days * 86400,
                              (uint64_t)st->crl_number, entries, st->n_revoke};
    HSMCA_GUARD(hsmca_crl_build(&req, &crl));
    HSMCA_GUARD(hsmca_crl_sign(crl, hsmca_hsm_key_get0_signer(signer),
                               hsmca_hsm_key_get0_public(signer)));
    hsmca_transcript_field(r->tr, "crl", "number=%lld this-update=%s next-update=%s entries=%zu",
                           st->crl_number, hsmca_clock_format(now, when, sizeof(when)),
                           hsmca_clock_format(req.next_update, when2, sizeof(when2)),
                           st->n_revoke);
    hsmca_transcript_field(r->tr, "verify", "CRL signature verified with the issuer's key");
    if (ends_with(st->output, ".pem")) {
        HSMCA_GUARD(hsmca_crl_to_pem(crl, &pem, &pem_len));
        HSMCA_GUARD(write_output(r, st->output, pem, pem_len));
    } else {
        HSMCA_GUARD(hsmca_crl_to_der(crl, &der, &der_len));
        HSMCA_GUARD(write_output(r, st->output, der, der_len));
    }
    progress(r, "  CRL number %lld with %zu entr%s, signed by '%s' -> %s\n", st->crl_number,
             st->n_revoke, st->n_revoke == 1 ? "y" : "ies", st->key, st->output);
out:
    X509_free(issuer);
    X509_free(revoked);
    X509_CRL_free(crl);
    free(entries);
    free(serials);
    OPENSSL_free(der);
    OPENSSL_free(pem);
    return err;
}

static hsmca_err transcript_start(run *r)
{
    hsmca_err err = HSMCA_OK;
    char path[PATH_MAX];

    HSMCA_GUARD(join(r->staging, r->s->transcript, path, sizeof(path)));
    HSMCA_GUARD(hsmca_transcript_create(path, &r->tr));
    hsmca_transcript_begin(r->tr, "ceremony-start");
    hsmca_transcript_field(r->tr, "ceremony", "%s", r->s->name);
    HSMCA_GUARD(file_field(r, "script", r->s->path, r->s->path));
    if (strcmp(r->s->hsm.file, r->s->path) != 0)
        HSMCA_GUARD(file_field(r, "hsm-file", r->s->hsm.file, r->s->hsm.file));
    hsmca_transcript_field(r->tr, "hsmca", "%s", HSMCA_VERSION);
    hsmca_transcript_field(r->tr, "module", "%s", hsmca_hsm_get0_module(r->hsm));
    hsmca_transcript_field(r->tr, "clock", "%s", hsmca_clock_is_fixed() ? "fixed (--now or "
                           "HSMCA_NOW)" : "system");
    hsmca_transcript_field(r->tr, "output-dir", "%s", r->outdir);
    for (size_t t = 0; t < r->s->hsm.n_tokens; t++) {
        const hsmca_token_info *ti;
        if (r->tokens[t] == NULL)
            continue;
        ti = hsmca_hsm_token_info(r->tokens[t]);
        hsmca_transcript_field(r->tr, "token", "%s label=%s serial=%s model=%s "
                               "manufacturer=%s", r->s->hsm.tokens[t].name, ti->label,
                               ti->serial, ti->model, ti->manufacturer);
    }
    HSMCA_GUARD(hsmca_transcript_commit(r->tr));
out:
    return err;
}

static hsmca_err run_steps(run *r)
{
    hsmca_err err = HSMCA_OK;

    for (size_t i = 0; i < r->s->n_steps; i++) {
        const hsmca_script_step *st = &r->s->steps[i];
        char label[64];

        progress(r, "step %zu/%zu: %s\n", i + 1, r->s->n_steps, hsmca_script_step_name(st->kind));
        hsmca_transcript_begin(r->tr, "step");
        snprintf(label, sizeof(label), "%zu %s", i + 1, hsmca_script_step_name(st->kind));
        hsmca_transcript_field(r->tr, "step", "%s (%s:%lu)", label, r->s->path, st->line);
        switch (st->kind) {
        case HSMCA_STEP_KEY:
            err = do_key(r, i);
            break;
        case HSMCA_STEP_CRL:
            err = do_crl(r, i);
            break;
        default:
            err = do_cert(r, i);
            break;
        }
        HSMCA_GUARD(step_context(r, i, err));
        HSMCA_GUARD(hsmca_transcript_commit(r->tr));
    }
out:
    return err;
}

/* Link each staged output into the output directory, transcript last. On
 * failure the names already linked are removed again (they are ours: link
 * never replaces a file), so a run publishes all or nothing. */
static hsmca_err publish(run *r)
{
    hsmca_err err = HSMCA_OK;
    char from[PATH_MAX], to[PATH_MAX];
    size_t done = 0;

    for (size_t i = 0; i <= r->s->n_steps; i++) {
        const char *name = i < r->s->n_steps ? r->s->steps[i].output : r->s->transcript;
        if (name == NULL)
            continue;
        HSMCA_GUARD(join(r->staging, name, from, sizeof(from)));
        HSMCA_GUARD(join(r->outdir, name, to, sizeof(to)));
        HSMCA_ENSURE(link(from, to) == 0, errno == EEXIST ? HSMCA_E_EXISTS : HSMCA_E_IO,
                     "cannot publish %s: %s", to, strerror(errno));
        done = i + 1;
    }
out:
    for (size_t i = 0; err != HSMCA_OK && i < done; i++) {
        const char *name = i < r->s->n_steps ? r->s->steps[i].output : r->s->transcript;
        if (name != NULL && join(r->outdir, name, to, sizeof(to)) == HSMCA_OK)
            unlink(to);
    }
    return err;
}

static void remove_staging(run *r)
{
    char path[PATH_MAX];

    if (r->staging[0] == '\0')
        return;
    for (size_t i = 0; i <= r->s->n_steps; i++) {
        const char *name = i < r->s->n_steps ? r->s->steps[i].output : r->s->transcript;
        if (join(r->staging, name, path, sizeof(path)) == HSMCA_OK)
            unlink(path);
    }
    rmdir(r->staging);
    r->staging[0] = '\0';
}

/* After a failure in phase 3: undo generated keys, note it, keep the
 * transcript beside the outputs as <name>.failed-<time>. */
static void abort_run(run *r, hsmca_err cause)
{
    char msg[1024], from[PATH_MAX], to[PATH_MAX + 64], when[32];
    hsmca_time now = hsmca_clock_now();

    hsmca_err_format(msg, sizeof(msg));
    if (r->tr != NULL) {
        hsmca_transcript_begin(r->tr, "ceremony-abort");
        hsmca_transcript_field(r->tr, "error", "%s", msg);
    }
    for (size_t i = 0; i < r->n_keys; i++) {
        run_key *k = &r->keys[i];
        if (!k->generated || k->key == NULL)
            continue;
        if (hsmca_hsm_key_destroy(k->key) == HSMCA_OK) {
            if (r->tr != NULL)
                hsmca_transcript_field(r->tr, "destroyed-key", "%s in token '%s'", k->label,
                                       k->token->name);
            progress(r, "  destroyed key '%s' generated by this run\n", k->label);
        } else if (r->tr != NULL) {
            hsmca_transcript_field(r->tr, "destroy-failed", "%s: %s", k->label,
                                   hsmca_err_message());
        }
        k->key = NULL;
    }
    if (r->tr != NULL) {
        (void)hsmca_transcript_commit(r->tr);
        snprintf(from, sizeof(from), "%s", hsmca_transcript_path(r->tr));
        hsmca_clock_format(now, when, sizeof(when));
        /* A fixed clock gives every run the same time: number the copies. */
        for (int n = 0; n < 1000; n++) {
            if (n == 0)
                snprintf(to, sizeof(to), "%s/%s.failed-%s", r->outdir, r->s->transcript, when);
            else
                snprintf(to, sizeof(to), "%s/%s.failed-%s.%d", r->outdir, r->s->transcript,
                         when, n);
            if (link(from, to) == 0) {
                progress(r, "transcript of the failed run: %s\n", to);
                break;
            }
            if (errno != EEXIST) {
                hsmca_log_error("cannot keep the failed run's transcript as %s: %s", to,
                                strerror(errno));
                break;
            }
        }
        hsmca_transcript_free(r->tr);
        r->tr = NULL;
    }
    remove_staging(r);
    hsmca_err_setf(cause, "%s", msg);
}

static void run_clear(run *r)
{
    for (size_t i = 0; i < r->n_keys; i++)
        hsmca_hsm_key_free(r->keys[i].key);
    free(r->keys);
    if (r->tokens != NULL)
        for (size_t t = 0; t < r->s->hsm.n_tokens; t++)
            hsmca_hsm_token_free(r->tokens[t]);
    free(r->tokens);
    if (r->profiles != NULL)
        for (size_t i = 0; i < r->s->n_steps; i++)
            hsmca_profile_free(r->profiles[i]);
    free(r->profiles);
    sk_X509_pop_free(r->certs, X509_free);
    hsmca_transcript_free(r->tr);
    hsmca_hsm_free(r->hsm);
}

hsmca_err hsmca_ceremony_run(const hsmca_script *script, const hsmca_ceremony_opts *opts,
                             char head[HSMCA_TRANSCRIPT_HASH_HEX])
{
    hsmca_err err = HSMCA_OK;
    run r;
    const char *dir = opts->output_dir;
    char tmpl[PATH_MAX];
    int started = 0;

    memset(&r, 0, sizeof(r));
    r.s = script;
    r.o = opts;
    if (dir == NULL && script->output_dir != NULL) {
        if (script->output_dir[0] == '/')
            dir = script->output_dir;
        else {
            HSMCA_GUARD(join(script->dir, script->output_dir, tmpl, sizeof(tmpl)));
            dir = tmpl;
        }
    }
    HSMCA_ENSURE(dir != NULL, HSMCA_E_USAGE, "%s has no output_dir: give one with --out DIR",
                 script->path);
    HSMCA_ENSURE(strlen(dir) < sizeof(r.outdir), HSMCA_E_USAGE, "output directory path too long");
    snprintf(r.outdir, sizeof(r.outdir), "%s", dir);
    r.tokens = calloc(script->hsm.n_tokens ? script->hsm.n_tokens : 1, sizeof(*r.tokens));
    r.profiles = calloc(script->n_steps ? script->n_steps : 1, sizeof(*r.profiles));
    r.certs = sk_X509_new_null();
    HSMCA_ALLOC(r.tokens);
    HSMCA_ALLOC(r.profiles);
    HSMCA_ALLOC(r.certs);

    progress(&r, "ceremony: %s\nchecking the script, profiles and outputs\n", script->name);
    HSMCA_GUARD(phase_check(&r));
    progress(&r, "checking the tokens and keys\n");
    HSMCA_GUARD(open_tokens(&r));
    HSMCA_GUARD(check_keys(&r));
    if (opts->check_only) {
        progress(&r, "all checks passed; nothing was written (--check)\n");
        goto out;
    }

    /* Only now does anything change: the output dir may be created. */
    HSMCA_ENSURE(mkdir(r.outdir, 0755) == 0 || errno == EEXIST, HSMCA_E_IO,
                 "cannot create %s: %s", r.outdir, strerror(errno));
    HSMCA_GUARD(join(r.outdir, ".hsmca-ceremony-XXXXXX", r.staging, sizeof(r.staging)));
    if (mkdtemp(r.staging) == NULL) {
        r.staging[0] = '\0';
        HSMCA_FAIL(HSMCA_E_IO, "cannot create a staging directory in %s: %s", r.outdir,
                   strerror(errno));
    }
    started = 1;
    HSMCA_GUARD(transcript_start(&r));
    HSMCA_GUARD(run_steps(&r));
    hsmca_transcript_begin(r.tr, "ceremony-end");
    hsmca_transcript_field(r.tr, "result", "ok: %zu steps", script->n_steps);
    HSMCA_GUARD(hsmca_transcript_commit(r.tr));
    memcpy(head, hsmca_transcript_head(r.tr), HSMCA_TRANSCRIPT_HASH_HEX);
    /* The transcript stays open until publishing worked: a failed publish
     * still gets its abort entry and a .failed copy. */
    HSMCA_GUARD(publish(&r));
    hsmca_transcript_free(r.tr);
    r.tr = NULL;
    remove_staging(&r);
    started = 0;
    progress(&r, "done: outputs in %s\n", r.outdir);
out:
    if (err != HSMCA_OK && started)
        abort_run(&r, err);
    else
        remove_staging(&r);
    run_clear(&r);
    return err;
}
