/* hsmca — issuance (include/hsmca/ca.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "hsmca/ca.h"
#include "hsmca/crl.h"
#include "hsmca/log.h"
#include "hsmca/ossl.h"
#include "hsmca/profile.h"
#include "hsmca/x509.h"

struct hsmca_ca {
    hsmca_store *store;
    hsmca_store_issuer *issuer;
    X509 *cert;
    hsmca_token *tok;
    /* When issuers share a token (hsmca_ca_open_many): how many cas use
     * it; the last one freed closes it. NULL: this ca owns tok alone. */
    int *tok_refs;
    hsmca_key *key;
    /* The delegated OCSP responder (issue #5), loaded on first use. */
    hsmca_key *ocsp_key;
    X509 *ocsp_cert;
};

/* Crash tests (issue #4): HSMCA_FAULT=<point> ends the process abruptly at
 * that point, as a power cut would, without any cleanup. */
static void fault_point(const char *point)
{
    const char *want = getenv("HSMCA_FAULT");

    if (want != NULL && strcmp(want, point) == 0) {
        fprintf(stderr, "hsmca: HSMCA_FAULT=%s: exiting here\n", point);
        _exit(99);
    }
}

static void hex(const uint8_t *p, size_t n, char *out, size_t len)
{
    size_t o = 0;

    out[0] = '\0';
    for (size_t i = 0; i < n && o + 3 <= len; i++)
        o += (size_t)snprintf(out + o, len - o, "%02x", p[i]);
}

/* Open an issuer on a token: a new one (tok NULL: opened and logged in
 * here) or one another ca already opened and logged in (shared, with its
 * reference count). */
static hsmca_err ca_open(hsmca_store *st, hsmca_hsm *hsm, const char *issuer_name,
                         const hsmca_secret *pin, hsmca_token *tok, int *tok_refs,
                         hsmca_ca **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_ca *ca = NULL;
    hsmca_secret *read_pin = NULL;
    hsmca_token_sel sel = HSMCA_TOKEN_SEL_INIT;
    hsmca_key_sel ks;
    char what[160];

    ca = calloc(1, sizeof(*ca));
    HSMCA_ALLOC(ca);
    ca->store = st;
    HSMCA_GUARD(hsmca_store_issuer_get(st, issuer_name, &ca->issuer));
    HSMCA_GUARD(hsmca_x509_from_bytes(ca->issuer->cert_der, ca->issuer->cert_len, &ca->cert));
    if (tok != NULL) {
        ca->tok = tok;
        ca->tok_refs = tok_refs;
        (*tok_refs)++;
    } else {
        sel.label = ca->issuer->token_label;
        sel.serial = ca->issuer->token_serial;
        HSMCA_GUARD(hsmca_hsm_token_open(hsm, &sel, &ca->tok));
        if (pin == NULL) {
            hsmca_pin_source src = {ca->issuer->pin_file, ca->issuer->pin_env,
                                    ca->issuer->pin_file == NULL && ca->issuer->pin_env == NULL,
                                    what};
            snprintf(what, sizeof(what), "user PIN for token '%s' (issuer '%s')",
                     hsmca_hsm_token_info(ca->tok)->label, issuer_name);
            HSMCA_GUARD(hsmca_secret_read_pin(&src, &read_pin));
            pin = read_pin;
        }
        HSMCA_GUARD(hsmca_hsm_token_login(ca->tok, pin));
    }
    ks = (hsmca_key_sel){ca->issuer->key_label, ca->issuer->key_id, ca->issuer->key_id_len};
    HSMCA_GUARD(hsmca_hsm_key_find(ca->tok, &ks, &ca->key));
    /* The token key must still be the certificate's key (a token swapped or
     * re-initialised since `issuer add` is caught here). */
    HSMCA_ENSURE(EVP_PKEY_eq(X509_get0_pubkey(ca->cert), hsmca_hsm_key_get0_public(ca->key)) == 1,
                 HSMCA_E_VERIFY, "issuer '%s': key '%s' in token '%s' is not the key of the "
                 "issuer certificate", issuer_name, hsmca_hsm_key_info(ca->key)->label,
                 hsmca_hsm_token_info(ca->tok)->label);
    *out = ca;
    ca = NULL;
out:
    hsmca_secret_free(read_pin);
    hsmca_ca_free(ca);
    return err;
}

hsmca_err hsmca_ca_open(hsmca_store *st, hsmca_hsm *hsm, const char *issuer_name,
                        const hsmca_secret *pin, hsmca_ca **out)
{
    return ca_open(st, hsm, issuer_name, pin, NULL, NULL, out);
}

/* Two issuers name the same token when their labels (or serials) match. */
static int same_token(const hsmca_store_issuer *a, const hsmca_store_issuer *b)
{
    if (a->token_serial != NULL && b->token_serial != NULL)
        return strcmp(a->token_serial, b->token_serial) == 0;
    return a->token_label != NULL && b->token_label != NULL &&
           strcmp(a->token_label, b->token_label) == 0;
}

hsmca_err hsmca_ca_open_many(hsmca_store *st, hsmca_hsm *hsm, const char *const *names,
                             size_t n, const hsmca_secret *pin, hsmca_ca **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_store_issuer *is = NULL;
    int *refs = NULL;
    size_t i = 0;

    for (size_t k = 0; k < n; k++)
        out[k] = NULL;
    for (; i < n; i++) {
        hsmca_ca *shared = NULL;
        HSMCA_GUARD(hsmca_store_issuer_get(st, names[i], &is));
        for (size_t k = 0; k < i && shared == NULL; k++)
            if (same_token(out[k]->issuer, is))
                shared = out[k];
        hsmca_store_issuer_free(is);
        is = NULL;
        if (shared != NULL && shared->tok_refs == NULL) {
            /* The first sharer: its token becomes reference-counted. */
            refs = calloc(1, sizeof *refs);
            HSMCA_ALLOC(refs);
            *refs = 1;
            shared->tok_refs = refs;
            refs = NULL;
        }
        err = ca_open(st, hsm, names[i], pin, shared != NULL ? shared->tok : NULL,
                      shared != NULL ? shared->tok_refs : NULL, &out[i]);
        if (err != HSMCA_OK) {
            hsmca_err_context("issuer '%s'", names[i]);
            goto out;
        }
    }
out:
    hsmca_store_issuer_free(is);
    if (err != HSMCA_OK) {
        /* Freed in reverse, so a shared token closes with its last user. */
        while (i-- > 0) {
            hsmca_ca_free(out[i]);
            out[i] = NULL;
        }
    }
    return err;
}

void hsmca_ca_free(hsmca_ca *ca)
{
    if (ca == NULL)
        return;
    hsmca_hsm_key_free(ca->ocsp_key);
    X509_free(ca->ocsp_cert);
    hsmca_hsm_key_free(ca->key);
    if (ca->tok_refs == NULL || --*ca->tok_refs == 0) {
        hsmca_hsm_token_free(ca->tok);
        free(ca->tok_refs);
    }
    X509_free(ca->cert);
    hsmca_store_issuer_free(ca->issuer);
    free(ca);
}

X509 *hsmca_ca_get0_cert(const hsmca_ca *ca)
{
    return ca->cert;
}

const hsmca_store_issuer *hsmca_ca_get0_issuer(const hsmca_ca *ca)
{
    return ca->issuer;
}

hsmca_key *hsmca_ca_get0_key(const hsmca_ca *ca)
{
    return ca->key;
}

hsmca_token *hsmca_ca_get0_token(const hsmca_ca *ca)
{
    return ca->tok;
}

hsmca_err hsmca_ca_ocsp_signer(hsmca_ca *ca, EVP_PKEY **key, X509 **cert, int *delegated)
{
    hsmca_err err = HSMCA_OK;
    hsmca_key_sel ks;
    hsmca_key *k = NULL;
    X509 *c = NULL;

    if (ca->issuer->ocsp_cert_der == NULL) {
        *key = hsmca_hsm_key_get0_signer(ca->key);
        *cert = ca->cert;
        *delegated = 0;
        goto out;
    }
    if (ca->ocsp_key == NULL) {
        HSMCA_GUARD(hsmca_x509_from_bytes(ca->issuer->ocsp_cert_der, ca->issuer->ocsp_cert_len,
                                          &c));
        ks = (hsmca_key_sel){ca->issuer->ocsp_key_label, NULL, 0};
        HSMCA_GUARD(hsmca_hsm_key_find(ca->tok, &ks, &k));
        /* As for the issuing key: a swapped token is caught here. */
        HSMCA_ENSURE(EVP_PKEY_eq(X509_get0_pubkey(c), hsmca_hsm_key_get0_public(k)) == 1,
                     HSMCA_E_VERIFY, "issuer '%s': key '%s' in token '%s' is not the key of its "
                     "delegated OCSP responder certificate", ca->issuer->name,
                     ca->issuer->ocsp_key_label, hsmca_hsm_token_info(ca->tok)->label);
        ca->ocsp_key = k;
        ca->ocsp_cert = c;
        k = NULL;
        c = NULL;
    }
    *key = hsmca_hsm_key_get0_signer(ca->ocsp_key);
    *cert = ca->ocsp_cert;
    *delegated = 1;
out:
    hsmca_hsm_key_free(k);
    X509_free(c);
    return err;
}

hsmca_err hsmca_ca_revoke(hsmca_store *st, const char *issuer_name, const uint8_t *serial,
                          size_t serial_len, const char *reason, hsmca_time revoked_at,
                          hsmca_time now)
{
    hsmca_err err = HSMCA_OK;
    hsmca_store_issuer *is = NULL;
    int code = HSMCA_CRL_REASON_NONE;

    /* BR 7.2.2: only the reasons a CRL entry may carry; certificateHold is
     * refused with its own message. */
    if (reason != NULL)
        HSMCA_GUARD(hsmca_crl_reason_parse(reason, &code));
    HSMCA_GUARD(hsmca_store_issuer_get(st, issuer_name, &is));
    HSMCA_GUARD(hsmca_store_revoke(st, is->id, serial, serial_len, revoked_at, code, now));
out:
    hsmca_store_issuer_free(is);
    return err;
}

static hsmca_err load_profile(const hsmca_ca *ca, const hsmca_ca_request *req, hsmca_profile **out)
{
    hsmca_err err = HSMCA_OK;
    const char *name = req->profile;
    hsmca_profile *p = NULL;

    if (name == NULL)
        name = ca->issuer->profile != NULL ? ca->issuer->profile : "tls-server";
    HSMCA_GUARD(hsmca_profile_load_named(name, req->profiles_dir, &p));
    HSMCA_GUARD(hsmca_profile_check_usable(p, 0));
    HSMCA_ENSURE(p->kind == HSMCA_PROFILE_TLS_SERVER, HSMCA_E_INPUT,
                 "profile '%s' is a %s profile; precertificates are issued from tls-server "
                 "profiles", p->name, hsmca_profile_kind_name(p->kind));
    *out = p;
    p = NULL;
out:
    hsmca_profile_free(p);
    return err;
}

/* ---- results ---- */

void hsmca_ca_results_clear(hsmca_ca_result *r, size_t n)
{
    for (size_t i = 0; r != NULL && i < n; i++) {
        X509_free(r[i].cert);
        free(r[i].message);
        free(r[i].detail);
        memset(&r[i], 0, sizeof(r[i]));
    }
}

/* Record the thread's current error (err) as r's outcome. */
static void result_fail(hsmca_ca_result *r, hsmca_err err)
{
    const char *detail = hsmca_err_detail();

    r->err = err;
    free(r->message);
    free(r->detail);
    r->message = strdup(hsmca_err_message());
    r->detail = detail != NULL && detail[0] != '\0' ? strdup(detail) : NULL;
}

/* Make r's error the thread's current error again (the one-request calls). */
static hsmca_err result_raise(const hsmca_ca_result *r)
{
    hsmca_err_setf(r->err, "%s", r->message != NULL ? r->message : "out of memory");
    if (r->detail != NULL)
        hsmca_err_detailf("%s", r->detail);
    return r->err;
}

/* ---- precertificates ---- */

/* The profiles of one batch, each loaded once (loading parses YAML), kept
 * until the batch ends: its items point into them. */
typedef struct profile_cache {
    struct cached_profile {
        const char *name, *dir; /* as the requests give them */
        hsmca_profile *p;
    } *v;
    size_t n;
} profile_cache;

static int same_str(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static hsmca_err cached_profile(const hsmca_ca *ca, const hsmca_ca_request *req,
                                profile_cache *pc, const hsmca_profile **out)
{
    hsmca_err err = HSMCA_OK;
    struct cached_profile *nv;
    hsmca_profile *p = NULL;

    for (size_t i = 0; i < pc->n; i++) {
        if (same_str(pc->v[i].name, req->profile) && same_str(pc->v[i].dir, req->profiles_dir)) {
            *out = pc->v[i].p;
            return HSMCA_OK;
        }
    }
    HSMCA_GUARD(load_profile(ca, req, &p));
    nv = realloc(pc->v, (pc->n + 1) * sizeof(*nv));
    HSMCA_ALLOC(nv);
    pc->v = nv;
    pc->v[pc->n++] = (struct cached_profile){req->profile, req->profiles_dir, p};
    *out = p;
    p = NULL;
out:
    hsmca_profile_free(p);
    return err;
}

static void profile_cache_free(profile_cache *pc)
{
    for (size_t i = 0; i < pc->n; i++)
        hsmca_profile_free(pc->v[i].p);
    free(pc->v);
    pc->v = NULL;
    pc->n = 0;
}

/* One precertificate request on its way through a batch. */
typedef struct pre_item {
    const hsmca_ca_request *req;
    hsmca_ca_result *res;
    const hsmca_profile *p;
    X509 *cert;
    uint8_t *tbs;              /* the TBS that was linted */
    size_t tbs_len;
    uint8_t *der;              /* the signed precertificate */
    size_t der_len;
    hsmca_store_serial serial;
    int draws;                 /* serials drawn for it */
    int live;                  /* still on its way */
} pre_item;

static void pre_item_drop(pre_item *it)
{
    X509_free(it->cert);
    OPENSSL_free(it->tbs);
    OPENSSL_free(it->der);
    it->cert = NULL;
    it->tbs = it->der = NULL;
    it->live = 0;
}

/* it failed with the current error err. */
static void pre_item_fail(pre_item *it, hsmca_err err)
{
    result_fail(it->res, err);
    pre_item_drop(it);
}

/* Build the precert TBS with a fresh serial and the poison, and lint it. */
static hsmca_err build_linted(hsmca_ca *ca, pre_item *it, hsmca_time now)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_ca_request *req = it->req;
    uint8_t rnd[16];
    X509 *cert = NULL;
    hsmca_lint_result *res = NULL;
    hsmca_x509_subject subject;
    hsmca_x509_request xr;
    hsmca_lint_input in;

    X509_free(it->cert);
    OPENSSL_free(it->tbs);
    it->cert = NULL;
    it->tbs = NULL;
    /* CONFORMANCE.md §1: 16 bytes from the token's RNG, top bit cleared. */
    HSMCA_GUARD(hsmca_hsm_random(ca->tok, rnd, sizeof(rnd)));
    HSMCA_GUARD(hsmca_x509_serial_from_random(rnd, sizeof(rnd), it->serial.b, &it->serial.len));
    it->draws++;
    memset(&subject, 0, sizeof(subject));
    xr = (hsmca_x509_request){
        .profile = it->p, .subject = &subject, .subject_key = req->subject_key,
        .issuer = ca->cert, .signer_public = hsmca_hsm_key_get0_public(ca->key),
        .serial = it->serial.b, .serial_len = it->serial.len, .now = now,
        .base_url = ca->issuer->base_url, .issuer_id = ca->issuer->name,
        .dns_names = req->dns_names, .n_dns = req->n_dns, .ip_addrs = req->ip_addrs,
        .n_ips = req->n_ips};
    HSMCA_GUARD(hsmca_x509_build(&xr, &cert));
    /* RFC 6962 §3.1: the poison makes it a precertificate. */
    HSMCA_GUARD(hsmca_ct_add_poison(cert));
    in = (hsmca_lint_input){NULL, HSMCA_PROFILE_TLS_SERVER, ca->cert, now, req->skip_lints, 1};
    err = hsmca_ca_presign_lint(cert, hsmca_hsm_key_get0_public(ca->key), &in, &it->tbs,
                                &it->tbs_len, &res);
    if (err != HSMCA_OK) {
        hsmca_err_context("precertificate refused before signing (no serial was used)");
        goto out;
    }
    it->cert = cert;
    cert = NULL;
out:
    OPENSSL_cleanse(rnd, sizeof(rnd));
    hsmca_lint_result_free(res);
    X509_free(cert);
    return err;
}

/* The request's own checks, its profile, and its linted TBS. */
static hsmca_err pre_prepare(hsmca_ca *ca, pre_item *it, profile_cache *pc, hsmca_time now)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_ca_request *req = it->req;

    HSMCA_ENSURE(req->subject_key != NULL, HSMCA_E_USAGE, "no subject public key");
    HSMCA_ENSURE(req->n_dns + req->n_ips > 0, HSMCA_E_INPUT,
                 "a TLS certificate needs at least one DNS name or IP address (BR 7.1.2.7.12)");
    HSMCA_GUARD(cached_profile(ca, req, pc, &it->p));
    HSMCA_GUARD(build_linted(ca, it, now));
out:
    return err;
}

/* Reserve the serials of the live items in one transaction. A collision
 * with a used serial (127 random bits: negligible, but possible) draws a
 * new serial for that item, rebuilt and relinted, at most three times, as
 * before. Bounded: every round either commits, ends an item, or redraws
 * one (3 per item). */
static hsmca_err pre_reserve(hsmca_ca *ca, pre_item *items, size_t n, hsmca_time now)
{
    hsmca_err err = HSMCA_OK;
    hsmca_store_serial *sv = calloc(n > 0 ? n : 1, sizeof(*sv));
    size_t *idx = calloc(n > 0 ? n : 1, sizeof(*idx));

    HSMCA_ENSURE(sv != NULL && idx != NULL, HSMCA_E_NOMEM, "out of memory");
    for (;;) {
        size_t m = 0, bad = 0;
        pre_item *it;

        for (size_t i = 0; i < n; i++) {
            if (items[i].live) {
                sv[m] = items[i].serial;
                idx[m++] = i;
            }
        }
        /* Reserved before the token signs: never used twice, even after a
         * crash (DESIGN.md "What it does" 2). */
        err = hsmca_store_serials_reserve(ca->store, ca->issuer->id, sv, m, now, &bad);
        if (err == HSMCA_OK || bad >= m)
            break;
        it = &items[idx[bad]];
        if (err == HSMCA_E_EXISTS && it->draws <= 3) {
            hsmca_log_warn("serial collision with a used serial; drawing another");
            err = build_linted(ca, it, now);
        }
        if (err != HSMCA_OK)
            pre_item_fail(it, err);
        err = HSMCA_OK;
    }
out:
    free(sv);
    free(idx);
    return err;
}

/* Record the signed live items in one transaction. A row the store refuses
 * fails that item alone and the others are committed without it. */
static hsmca_err pre_record(hsmca_ca *ca, pre_item *items, size_t n, hsmca_time now)
{
    hsmca_err err = HSMCA_OK;
    hsmca_store_precert *recs = calloc(n > 0 ? n : 1, sizeof(*recs));
    size_t *idx = calloc(n > 0 ? n : 1, sizeof(*idx));

    HSMCA_ENSURE(recs != NULL && idx != NULL, HSMCA_E_NOMEM, "out of memory");
    for (;;) {
        size_t m = 0, bad = 0;

        for (size_t i = 0; i < n; i++) {
            const hsmca_profile *p = items[i].p;

            if (!items[i].live)
                continue;
            recs[m] = (hsmca_store_precert){items[i].serial, items[i].der, items[i].der_len,
                                            now - p->backdate_seconds,
                                            now - p->backdate_seconds + p->validity_seconds};
            idx[m++] = i;
        }
        err = hsmca_store_precerts_record(ca->store, ca->issuer->id, recs, m, now, &bad);
        if (err == HSMCA_OK || bad >= m)
            break;
        pre_item_fail(&items[idx[bad]], err);
    }
out:
    free(recs);
    free(idx);
    return err;
}

hsmca_err hsmca_ca_issue_precerts(hsmca_ca *ca, const hsmca_ca_request *reqs, size_t n,
                                  hsmca_ca_result *out)
{
    hsmca_err err = HSMCA_OK;
    pre_item *items = NULL;
    profile_cache pc;
    hsmca_time now = hsmca_clock_now();
    char sx[2 * HSMCA_X509_SERIAL_MAX + 1];

    memset(&pc, 0, sizeof(pc));
    HSMCA_ENSURE(ca != NULL && (n == 0 || (reqs != NULL && out != NULL)), HSMCA_E_USAGE,
                 "hsmca_ca_issue_precerts: no CA, requests or results");
    if (n == 0)
        goto out;
    items = calloc(n, sizeof(*items));
    HSMCA_ALLOC(items);
    for (size_t i = 0; i < n; i++) {
        items[i] = (pre_item){.req = &reqs[i], .res = &out[i], .live = 1};
        out[i].err = HSMCA_OK;
        out[i].cert = NULL;
        out[i].serial_len = 0;
    }

    /* 1. Build and lint each request on its own: a refused one uses no
     * serial and does not hold up the others (BR 4.3.1.2). */
    for (size_t i = 0; i < n; i++) {
        err = pre_prepare(ca, &items[i], &pc, now);
        if (err != HSMCA_OK)
            pre_item_fail(&items[i], err);
    }
    err = HSMCA_OK;
    /* 2. One commit reserves every serial before the token signs. */
    HSMCA_GUARD(pre_reserve(ca, items, n, now));
    for (size_t i = 0; i < n; i++) {
        if (items[i].live) {
            memcpy(out[i].serial, items[i].serial.b, items[i].serial.len);
            out[i].serial_len = items[i].serial.len;
        }
    }
    fault_point("after-reserve");
    /* 3. The token signs exactly the linted TBS; a failure here leaves that
     * serial reserved, never reused. */
    for (size_t i = 0; i < n; i++) {
        pre_item *it = &items[i];

        if (!it->live)
            continue;
        err = hsmca_ca_token_sign(it->cert, hsmca_hsm_key_get0_signer(ca->key),
                                  hsmca_hsm_key_get0_public(ca->key), it->tbs, it->tbs_len);
        if (err == HSMCA_OK)
            err = hsmca_x509_to_der(it->cert, &it->der, &it->der_len);
        if (err != HSMCA_OK)
            pre_item_fail(it, err);
    }
    err = HSMCA_OK;
    fault_point("after-precert-sign");
    /* 4. Recorded before anything is returned: an assigned serial is known
     * to OCSP. */
    HSMCA_GUARD(pre_record(ca, items, n, now));
    fault_point("after-precert-record");
    for (size_t i = 0; i < n; i++) {
        pre_item *it = &items[i];

        if (!it->live)
            continue;
        hex(it->serial.b, it->serial.len, sx, sizeof(sx));
        hsmca_log_info("issuer '%s': precertificate %s issued", ca->issuer->name, sx);
        out[i].cert = it->cert;
        it->cert = NULL;
    }
out:
    if (err != HSMCA_OK) {
        for (size_t i = 0; items != NULL && i < n; i++)
            if (items[i].live)
                pre_item_fail(&items[i], err);
    }
    for (size_t i = 0; items != NULL && i < n; i++)
        pre_item_drop(&items[i]);
    free(items);
    profile_cache_free(&pc);
    return err;
}

hsmca_err hsmca_ca_issue_precert(hsmca_ca *ca, const hsmca_ca_request *req, X509 **out,
                                 uint8_t *out_serial, size_t *out_serial_len)
{
    hsmca_err err = HSMCA_OK;
    hsmca_ca_result r;

    memset(&r, 0, sizeof(r));
    HSMCA_ENSURE(req != NULL && out != NULL && out_serial != NULL && out_serial_len != NULL,
                 HSMCA_E_USAGE, "hsmca_ca_issue_precert: missing argument");
    HSMCA_GUARD(hsmca_ca_issue_precerts(ca, req, 1, &r));
    if (r.err != HSMCA_OK)
        HSMCA_GUARD(result_raise(&r));
    memcpy(out_serial, r.serial, r.serial_len);
    *out_serial_len = r.serial_len;
    *out = r.cert;
    r.cert = NULL;
out:
    hsmca_ca_results_clear(&r, 1);
    return err;
}

hsmca_err hsmca_ca_find_precert(hsmca_ca *ca, X509 *precert, uint8_t *out_serial,
                                size_t *out_serial_len)
{
    hsmca_err err = HSMCA_OK;
    hsmca_store_cert *c = NULL;
    uint8_t *der = NULL;
    size_t der_len = 0;
    BIGNUM *bn = NULL;
    uint8_t serial[HSMCA_X509_SERIAL_MAX], padded[HSMCA_X509_SERIAL_MAX + 1];
    int n;
    char sx[2 * HSMCA_X509_SERIAL_MAX + 1];

    HSMCA_ENSURE(X509_NAME_cmp(X509_get_issuer_name(precert), X509_get_subject_name(ca->cert)) == 0,
                 HSMCA_E_INPUT, "the precertificate was not issued by '%s'", ca->issuer->name);
    bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(precert), NULL);
    HSMCA_OSSL(bn != NULL, "cannot read the precertificate's serial");
    n = BN_num_bytes(bn);
    HSMCA_ENSURE(n >= 1 && n <= HSMCA_X509_SERIAL_MAX && !BN_is_negative(bn), HSMCA_E_INPUT,
                 "the precertificate's serial is out of range");
    /* The store keys serials by their DER content octets: a magnitude whose
     * top bit is set carries a leading 00 there (X.690 §8.3). */
    padded[0] = 0;
    BN_bn2bin(bn, padded + 1);
    if (padded[1] & 0x80)
        n++;
    HSMCA_ENSURE(n <= HSMCA_X509_SERIAL_MAX, HSMCA_E_INPUT,
                 "the precertificate's serial is longer than 20 octets (RFC 5280 §4.1.2.2)");
    memcpy(serial, padded[1] & 0x80 ? padded : padded + 1, (size_t)n);
    hex(serial, (size_t)n, sx, sizeof(sx));
    err = hsmca_store_cert_get(ca->store, ca->issuer->id, serial, (size_t)n, &c);
    if (err == HSMCA_E_NOT_FOUND)
        HSMCA_FAIL(HSMCA_E_NOT_FOUND, "issuer '%s' never issued serial %s", ca->issuer->name, sx);
    HSMCA_GUARD(err);
    HSMCA_ENSURE(c->precert_der != NULL, HSMCA_E_NOT_FOUND,
                 "issuer '%s' has no precertificate with serial %s", ca->issuer->name, sx);
    HSMCA_GUARD(hsmca_x509_to_der(precert, &der, &der_len));
    HSMCA_ENSURE(der_len == c->precert_len && memcmp(der, c->precert_der, der_len) == 0,
                 HSMCA_E_VERIFY, "the precertificate given for serial %s differs from the one "
                 "issuer '%s' issued (tampered copy?)", sx, ca->issuer->name);
    memcpy(out_serial, serial, (size_t)n);
    *out_serial_len = (size_t)n;
out:
    BN_free(bn);
    OPENSSL_free(der);
    hsmca_store_cert_free(c);
    return err;
}

/* ---- final certificates ---- */

/* One final-certificate request on its way through a batch. */
typedef struct fin_item {
    const hsmca_ca_final_request *req;
    hsmca_ca_result *res;
    hsmca_store_cert *c;       /* the stored record */
    X509 *precert;
    X509 *final;
    hsmca_store_sct *stored;   /* the SCTs as recorded */
    uint8_t *tbs;              /* the TBS that was linted */
    size_t tbs_len;
    uint8_t tbs_sha256[32];    /* its hash, as claimed in the store */
    hsmca_sct *const *scts;    /* the SCTs: the request's, or the claimed ones */
    size_t n_scts;
    hsmca_sct **claimed;       /* decoded from the claim (owned), or NULL */
    size_t n_claimed;
    uint8_t *sct_list;         /* the SCT list (TLS), kept with the claim */
    size_t sct_list_len;
    uint8_t *der;              /* the signed final certificate */
    size_t der_len;
    hsmca_store_serial serial;
    int live;
} fin_item;

static void fin_item_drop(fin_item *it)
{
    if (it->stored != NULL)
        for (size_t i = 0; i < it->n_scts; i++)
            free(it->stored[i].tls);
    free(it->stored);
    hsmca_ct_sct_list_free(it->claimed, it->n_claimed);
    free(it->sct_list);
    it->claimed = NULL;
    it->n_claimed = 0;
    it->scts = NULL;
    it->n_scts = 0;
    it->sct_list = NULL;
    hsmca_store_cert_free(it->c);
    X509_free(it->precert);
    X509_free(it->final);
    OPENSSL_free(it->tbs);
    OPENSSL_free(it->der);
    it->stored = NULL;
    it->c = NULL;
    it->precert = it->final = NULL;
    it->tbs = it->der = NULL;
    it->live = 0;
}

static void fin_item_fail(fin_item *it, hsmca_err err)
{
    result_fail(it->res, err);
    fin_item_drop(it);
}

/* The precertificate the final is built from: the caller's copy when it is
 * byte-identical to the stored one (no parsing), else the stored one. */
static hsmca_err fin_precert(hsmca_ca *ca, fin_item *it, const char *sx)
{
    hsmca_err err = HSMCA_OK;
    uint8_t *der = NULL;
    size_t der_len = 0;

    if (it->req->precert == NULL) {
        HSMCA_GUARD(hsmca_x509_from_bytes(it->c->precert_der, it->c->precert_len, &it->precert));
        goto out;
    }
    HSMCA_GUARD(hsmca_x509_to_der(it->req->precert, &der, &der_len));
    HSMCA_ENSURE(der_len == it->c->precert_len && memcmp(der, it->c->precert_der, der_len) == 0,
                 HSMCA_E_VERIFY, "the precertificate given for serial %s differs from the one "
                 "issuer '%s' issued (tampered copy?)", sx, ca->issuer->name);
    HSMCA_OSSL(X509_up_ref(it->req->precert) == 1, "out of memory");
    it->precert = it->req->precert;
out:
    OPENSSL_free(der);
    return err;
}

/* Everything before the token signs: the stored state, the SCTs, the
 * final built from the precertificate, linted, its correspondence proven.
 * dup: the serial came earlier in this batch. */
static hsmca_err fin_prepare(hsmca_ca *ca, fin_item *it, int dup, const hsmca_ct_log *logs,
                             size_t n_logs, hsmca_time now)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_ca_final_request *req = it->req;
    hsmca_lint_result *res = NULL;
    hsmca_lint_input in;
    char sx[2 * HSMCA_X509_SERIAL_MAX + 1];

    hex(it->serial.b, it->serial.len, sx, sizeof(sx));
    HSMCA_ENSURE(it->c != NULL, HSMCA_E_NOT_FOUND,
                 "issuer '%s' has no precertificate with serial %s", ca->issuer->name, sx);
    it->scts = req->scts;
    it->n_scts = req->n_scts;
    if (req->n_scts == 0 && it->c->claimed && it->c->claim_sct_list != NULL &&
        it->c->state == HSMCA_SERIAL_PRECERT) {
        /* No SCTs given: finish the final claimed before (a run cut off
         * between its claim and its record) with the SCTs it claimed. */
        HSMCA_GUARD(hsmca_ct_sct_list_decode(it->c->claim_sct_list, it->c->claim_sct_list_len,
                                             &it->claimed, &it->n_claimed));
        it->scts = it->claimed;
        it->n_scts = it->n_claimed;
    }
    HSMCA_ENSURE(it->n_scts >= 1 && it->scts != NULL, HSMCA_E_INPUT,
                 "a final certificate needs at least one SCT (serial %s has no claimed final "
                 "whose SCTs could be used)", sx);
    HSMCA_ENSURE(it->c->state != HSMCA_SERIAL_FINAL && !dup, HSMCA_E_EXISTS,
                 "serial %s of issuer '%s' already has its final certificate%s; a "
                 "precertificate gets at most one (BR 7.1.2.9, MRSP 5.2)", sx, ca->issuer->name,
                 dup ? " in this batch" : "");
    HSMCA_ENSURE(it->c->state == HSMCA_SERIAL_PRECERT && it->c->precert_der != NULL,
                 HSMCA_E_STATE,
                 "serial %s of issuer '%s' was reserved but has no precertificate (its "
                 "issuance was interrupted before the precertificate was recorded)", sx,
                 ca->issuer->name);
    HSMCA_GUARD(fin_precert(ca, it, sx));

    /* Every SCT must come from a known log and be signed over this
     * precertificate entry (RFC 6962 §3.2, CONFORMANCE.md §11). */
    HSMCA_ENSURE(n_logs > 0 && logs != NULL, HSMCA_E_USAGE,
                 "no CT log keys to verify the SCTs against");
    it->stored = calloc(it->n_scts, sizeof(*it->stored));
    HSMCA_ALLOC(it->stored);
    for (size_t i = 0; i < it->n_scts; i++) {
        const hsmca_sct *sct = it->scts[i];
        const hsmca_ct_log *log = hsmca_ct_log_find(logs, n_logs, sct->log_id);
        char lx[65];

        hex(sct->log_id, 32, lx, sizeof(lx));
        HSMCA_ENSURE(log != NULL, HSMCA_E_VERIFY, "SCT %zu is from log %s, which is not one "
                     "of the %zu configured logs", i + 1, lx, n_logs);
        for (size_t j = 0; j < i; j++)
            HSMCA_ENSURE(memcmp(it->scts[j]->log_id, sct->log_id, 32) != 0, HSMCA_E_INPUT,
                         "SCTs %zu and %zu are from the same log (%s)", j + 1, i + 1, log->name);
        err = hsmca_ct_sct_verify(sct, log->key, it->precert, ca->cert);
        if (err != HSMCA_OK) {
            hsmca_err_context("SCT %zu from log '%s'", i + 1, log->name);
            goto out;
        }
        memcpy(it->stored[i].log_id, sct->log_id, 32);
        it->stored[i].timestamp = sct->timestamp;
        HSMCA_GUARD(hsmca_ct_sct_encode(sct, &it->stored[i].tls, &it->stored[i].tls_len));
    }

    HSMCA_GUARD(hsmca_ct_sct_list_encode(it->scts, it->n_scts, &it->sct_list,
                                         &it->sct_list_len));
    HSMCA_GUARD(hsmca_ct_final_from_precert(it->precert, it->scts, it->n_scts, &it->final));
    in = (hsmca_lint_input){NULL, HSMCA_PROFILE_TLS_SERVER, ca->cert, now, req->skip_lints, 0};
    err = hsmca_ca_presign_lint(it->final, hsmca_hsm_key_get0_public(ca->key), &in, &it->tbs,
                                &it->tbs_len, &res);
    if (err != HSMCA_OK) {
        hsmca_err_context("final certificate refused before signing");
        goto out;
    }
    /* BR 7.1.2.9, RFC 6962 §3.2: prove the correspondence on what will be
     * signed, before the token signs it. */
    HSMCA_GUARD(hsmca_ct_correspond(it->precert, it->final));
out:
    hsmca_lint_result_free(res);
    return err;
}

/* Claim (claim = 1) or record (0) the live items in one transaction; a row
 * the store refuses (another final claimed or recorded meanwhile, by
 * another process or before a crash: HSMCA_E_EXISTS) fails that item
 * alone and the others go again. */
static hsmca_err fin_store(hsmca_ca *ca, fin_item *items, size_t n, int claim, hsmca_time now)
{
    hsmca_err err = HSMCA_OK;
    hsmca_store_final *recs = calloc(n > 0 ? n : 1, sizeof(*recs));
    hsmca_store_final_claim *claims = calloc(n > 0 ? n : 1, sizeof(*claims));
    size_t *idx = calloc(n > 0 ? n : 1, sizeof(*idx));

    HSMCA_ENSURE(recs != NULL && claims != NULL && idx != NULL, HSMCA_E_NOMEM, "out of memory");
    for (;;) {
        size_t m = 0, bad = 0;

        for (size_t i = 0; i < n; i++) {
            fin_item *it = &items[i];

            if (!it->live)
                continue;
            recs[m] = (hsmca_store_final){it->serial,   it->der,           it->der_len,
                                          it->stored,   it->n_scts,        it->tbs_sha256};
            claims[m] = (hsmca_store_final_claim){.serial = it->serial,
                                                  .sct_list = it->sct_list,
                                                  .sct_list_len = it->sct_list_len};
            memcpy(claims[m].tbs_sha256, it->tbs_sha256, 32);
            idx[m++] = i;
        }
        err = claim ? hsmca_store_finals_claim(ca->store, ca->issuer->id, claims, m, now, &bad)
                    : hsmca_store_finals_record(ca->store, ca->issuer->id, recs, m, now, &bad);
        if (err == HSMCA_OK || bad >= m)
            break;
        fin_item_fail(&items[idx[bad]], err);
    }
out:
    free(recs);
    free(claims);
    free(idx);
    return err;
}

hsmca_err hsmca_ca_issue_finals(hsmca_ca *ca, const hsmca_ca_final_request *reqs, size_t n,
                                const hsmca_ct_log *logs, size_t n_logs, hsmca_ca_result *out)
{
    hsmca_err err = HSMCA_OK;
    fin_item *items = NULL;
    hsmca_store_serial *sv = NULL;
    hsmca_store_cert **recs = NULL;
    hsmca_time now = hsmca_clock_now();
    char sx[2 * HSMCA_X509_SERIAL_MAX + 1];

    HSMCA_ENSURE(ca != NULL && (n == 0 || (reqs != NULL && out != NULL)), HSMCA_E_USAGE,
                 "hsmca_ca_issue_finals: no CA, requests or results");
    if (n == 0)
        goto out;
    items = calloc(n, sizeof(*items));
    sv = calloc(n, sizeof(*sv));
    recs = calloc(n, sizeof(*recs));
    HSMCA_ENSURE(items != NULL && sv != NULL && recs != NULL, HSMCA_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        items[i] = (fin_item){.req = &reqs[i], .res = &out[i], .live = 1};
        out[i].err = HSMCA_OK;
        out[i].cert = NULL;
        out[i].serial_len = 0;
    }
    /* A malformed serial is that request's problem; the others are read
     * from one snapshot of the store. */
    for (size_t i = 0; i < n; i++) {
        const hsmca_ca_final_request *req = &reqs[i];

        err = hsmca_store_check_serial(req->serial, req->serial_len);
        if (err != HSMCA_OK) {
            fin_item_fail(&items[i], err);
            continue;
        }
        memcpy(items[i].serial.b, req->serial, req->serial_len);
        items[i].serial.len = req->serial_len;
        memcpy(out[i].serial, req->serial, req->serial_len);
        out[i].serial_len = req->serial_len;
    }
    {
        /* Only well-formed serials go to the store. */
        size_t m = 0;
        size_t *idx = calloc(n, sizeof(*idx));

        HSMCA_ALLOC(idx);
        for (size_t i = 0; i < n; i++)
            if (items[i].live) {
                sv[m] = items[i].serial;
                idx[m++] = i;
            }
        err = hsmca_store_certs_get(ca->store, ca->issuer->id, sv, m, recs);
        for (size_t k = 0; err == HSMCA_OK && k < m; k++) {
            items[idx[k]].c = recs[k];
            recs[k] = NULL;
        }
        free(idx);
        HSMCA_GUARD(err);
    }

    /* 1. Everything that can refuse a request, before the token signs. */
    for (size_t i = 0; i < n; i++) {
        int dup = 0;

        if (!items[i].live)
            continue;
        /* A second final for the same precertificate in one batch. */
        for (size_t j = 0; j < i && !dup; j++)
            dup = items[j].serial.len == items[i].serial.len &&
                  memcmp(items[j].serial.b, items[i].serial.b, items[i].serial.len) == 0 &&
                  items[j].res->err == HSMCA_OK;
        err = fin_prepare(ca, &items[i], dup, logs, n_logs, now);
        if (err != HSMCA_OK)
            fin_item_fail(&items[i], err);
    }
    err = HSMCA_OK;
    /* 2. Claimed, and the claim committed, before the token signs: after a
     * crash from here on only this same final can be signed and recorded
     * for the serial (BR 7.1.2.9: one final per precertificate). */
    for (size_t i = 0; i < n; i++)
        if (items[i].live &&
            EVP_Digest(items[i].tbs, items[i].tbs_len, items[i].tbs_sha256, NULL, EVP_sha256(),
                       NULL) != 1)
            fin_item_fail(&items[i], hsmca_err_openssl(HSMCA_E_CRYPTO, "cannot hash the TBS"));
    HSMCA_GUARD(fin_store(ca, items, n, 1, now));
    fault_point("after-final-claim");
    /* 3. The token signs exactly the linted TBS. */
    for (size_t i = 0; i < n; i++) {
        fin_item *it = &items[i];

        if (!it->live)
            continue;
        err = hsmca_ca_token_sign(it->final, hsmca_hsm_key_get0_signer(ca->key),
                                  hsmca_hsm_key_get0_public(ca->key), it->tbs, it->tbs_len);
        /* The signed TBS is the one proven to correspond (token_sign
         * compared it); proven once more on the signed DER. */
        if (err == HSMCA_OK)
            err = hsmca_ct_correspond(it->precert, it->final);
        if (err == HSMCA_OK)
            err = hsmca_x509_to_der(it->final, &it->der, &it->der_len);
        if (err != HSMCA_OK)
            fin_item_fail(it, err);
    }
    err = HSMCA_OK;
    fault_point("after-final-sign");
    /* 4. Recorded (the store refuses a second final) before returned. */
    HSMCA_GUARD(fin_store(ca, items, n, 0, now));
    for (size_t i = 0; i < n; i++) {
        fin_item *it = &items[i];

        if (!it->live)
            continue;
        hex(it->serial.b, it->serial.len, sx, sizeof(sx));
        hsmca_log_info("issuer '%s': final certificate %s issued with %zu SCTs",
                       ca->issuer->name, sx, it->n_scts);
        out[i].cert = it->final;
        it->final = NULL;
    }
out:
    if (err != HSMCA_OK)
        for (size_t i = 0; items != NULL && i < n; i++)
            if (items[i].live)
                fin_item_fail(&items[i], err);
    for (size_t i = 0; items != NULL && i < n; i++)
        fin_item_drop(&items[i]);
    for (size_t i = 0; recs != NULL && i < n; i++)
        hsmca_store_cert_free(recs[i]);
    free(items);
    free(sv);
    free(recs);
    return err;
}

hsmca_err hsmca_ca_issue_final(hsmca_ca *ca, const uint8_t *serial, size_t serial_len,
                               hsmca_sct *const *scts, size_t n_scts, const hsmca_ct_log *logs,
                               size_t n_logs, const char *const *skip_lints, X509 **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_ca_final_request req = {serial, serial_len, NULL, scts, n_scts, skip_lints};
    hsmca_ca_result r;

    memset(&r, 0, sizeof(r));
    HSMCA_ENSURE(out != NULL, HSMCA_E_USAGE, "hsmca_ca_issue_final: no output");
    HSMCA_GUARD(hsmca_ca_issue_finals(ca, &req, 1, logs, n_logs, &r));
    if (r.err != HSMCA_OK)
        HSMCA_GUARD(result_raise(&r));
    *out = r.cert;
    r.cert = NULL;
out:
    hsmca_ca_results_clear(&r, 1);
    return err;
}

/* CONFORMANCE.md §11: 2 SCTs up to 180 days of validity, 3 above. */
static size_t default_min_scts(X509 *precert)
{
    hsmca_time nb = 0, na = 0;

    if (hsmca_ossl_time(X509_get0_notBefore(precert), "notBefore", &nb) != HSMCA_OK ||
        hsmca_ossl_time(X509_get0_notAfter(precert), "notAfter", &na) != HSMCA_OK) {
        hsmca_err_clear();
        return 3;
    }
    return na - nb + 1 <= 180 * 86400 ? 2 : 3;
}

hsmca_err hsmca_ca_ct_check(const char *const *urls, size_t n_urls,
                            const hsmca_ca_ct_policy *policy)
{
    hsmca_err err = HSMCA_OK;
    size_t scts = policy != NULL ? policy->min_scts : 0;
    size_t ops = policy != NULL ? policy->min_operators : 0;

    HSMCA_ENSURE(n_urls > 0 && urls != NULL, HSMCA_E_USAGE, "no CT log URL given");
    for (size_t i = 0; i < n_urls; i++)
        HSMCA_ENSURE(urls[i] != NULL && strlen(urls[i]) < 1024 &&
                         (strncmp(urls[i], "http://", 7) == 0 ||
                          strncmp(urls[i], "https://", 8) == 0),
                     HSMCA_E_USAGE, "CT log URL '%s' is not an http:// or https:// URL",
                     urls[i] != NULL ? urls[i] : "");
    HSMCA_ENSURE(ops == 0 || scts == 0 || ops <= scts, HSMCA_E_USAGE,
                 "%zu operators cannot be met with %zu SCTs (each SCT comes from one log, "
                 "each log has one operator)", ops, scts);
    /* Each SCT from a distinct log: at least as many logs as SCTs (2 at
     * the least by default, CONFORMANCE.md §11). */
    HSMCA_ENSURE(n_urls >= (scts > 0 ? scts : ops > 2 ? ops : 2), HSMCA_E_USAGE,
                 "%zu CT log%s cannot give %zu SCTs from distinct logs%s", n_urls,
                 n_urls == 1 ? "" : "s", scts > 0 ? scts : ops > 2 ? ops : 2,
                 scts == 0 ? " (the default CT policy wants 2 or 3; --min-scts lowers it)" : "");
out:
    return err;
}

hsmca_err hsmca_ca_collect_scts(hsmca_ca *ca, X509 *precert, const char *const *urls,
                                size_t n_urls, const hsmca_ct_log *logs, size_t n_logs,
                                const hsmca_ca_ct_policy *policy,
                                const hsmca_ct_submit_opts *opts, hsmca_sct ***out,
                                size_t *out_n)
{
    hsmca_err err = HSMCA_OK;
    hsmca_sct **got = NULL;
    const hsmca_ct_log **used = NULL;
    size_t n = 0, operators = 0, need, need_ops;
    X509 *chain[2];
    char report[2048] = "";
    size_t rlen = 0;

    HSMCA_ENSURE(ca != NULL && precert != NULL && out != NULL && out_n != NULL &&
                     (urls != NULL || n_urls == 0),
                 HSMCA_E_USAGE, "hsmca_ca_collect_scts: missing argument");
    *out = NULL;
    *out_n = 0;
    HSMCA_GUARD(hsmca_ca_ct_check(urls, n_urls, policy));
    need = policy != NULL && policy->min_scts > 0 ? policy->min_scts : default_min_scts(precert);
    need_ops = policy != NULL && policy->min_operators > 0 ? policy->min_operators : 2;
    /* Asking for more operators than SCTs cannot be met; the default of 2
     * only gives way to an explicit single SCT. */
    HSMCA_ENSURE(policy == NULL || policy->min_operators == 0 || need_ops <= need,
                 HSMCA_E_USAGE, "%zu operators cannot be met with %zu SCTs (each SCT comes "
                 "from one log, each log has one operator)", need_ops, need);
    if (need_ops > need)
        need_ops = need;
    HSMCA_ENSURE(n_urls > 0, HSMCA_E_USAGE, "no CT log URL given");
    got = calloc(n_urls, sizeof *got);
    used = calloc(n_urls, sizeof *used);
    HSMCA_ALLOC(got);
    HSMCA_ALLOC(used);
    chain[0] = precert;
    chain[1] = ca->cert;
    for (size_t i = 0; i < n_urls && (n < need || operators < need_ops); i++) {
        hsmca_sct *sct = NULL;
        const hsmca_ct_log *log = NULL;
        const char *why = NULL;
        char buf[400];
        int dup = 0, new_op = 1;

        if (hsmca_ct_submit(urls[i], chain, 2, 1, opts, &sct) != HSMCA_OK) {
            snprintf(buf, sizeof buf, "%s", hsmca_err_message());
            why = buf;
        } else if ((log = hsmca_ct_log_find(logs, n_logs, sct->log_id)) == NULL) {
            why = "its SCT's log id is not a known log key (give the log's key)";
        } else if (hsmca_ct_sct_verify(sct, log->key, precert, ca->cert) != HSMCA_OK) {
            snprintf(buf, sizeof buf, "%s", hsmca_err_message());
            why = buf;
        }
        for (size_t k = 0; why == NULL && k < n; k++) {
            dup |= used[k] == log;
            if (used[k]->operator_name != NULL && log->operator_name != NULL &&
                strcmp(used[k]->operator_name, log->operator_name) == 0)
                new_op = 0;
        }
        if (why == NULL && dup)
            why = "an SCT from this log was already got (each SCT from a distinct log)";
        if (why != NULL) {
            hsmca_err_clear();
            hsmca_sct_free(sct);
            hsmca_log(HSMCA_LOG_WARN, "CT log %s: %s", urls[i], why);
            if (rlen < sizeof report)
                rlen += (size_t)snprintf(report + rlen, sizeof report - rlen, "%s%s: %s",
                                         rlen > 0 ? "; " : "", urls[i], why);
            continue;
        }
        hsmca_log(HSMCA_LOG_INFO, "CT log %s (%s): SCT verified", urls[i], log->name);
        used[n] = log;
        got[n++] = sct;
        operators += new_op;
    }
    HSMCA_ENSURE(n >= need && operators >= need_ops, HSMCA_E_STATE,
                 "only %zu verified SCT%s from %zu operator%s; the CT policy wants %zu from "
                 "%zu (CONFORMANCE.md §11)%s%s",
                 n, n == 1 ? "" : "s", operators, operators == 1 ? "" : "s", need, need_ops,
                 rlen > 0 ? ". Logs that failed: " : "", report);
    *out = got;
    *out_n = n;
    got = NULL;
out:
    if (got != NULL)
        hsmca_ct_sct_list_free(got, n);
    free(used);
    return err;
}
