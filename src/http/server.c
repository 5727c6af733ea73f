/* hsmca — the HTTP server: set-up, routing, OCSP, CA certificates, CRLs and
 * the CT test logs (include/hsmca/http.h). The JSON API is in api.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "hsmca/bytes.h"
#include "hsmca/crl.h"
#include "hsmca/log.h"
#include "hsmca/ossl.h"
#include "http_int.h"

/* ---- responses ---- */

enum MHD_Result http_send(struct MHD_Connection *c, unsigned status, const char *type,
                          const void *data, size_t len, ...)
{
    struct MHD_Response *r;
    enum MHD_Result ok;
    va_list ap;
    const char *name;

    r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)data, MHD_RESPMEM_MUST_COPY);
    if (r == NULL)
        return MHD_NO;
    if (type != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    va_start(ap, len);
    while ((name = va_arg(ap, const char *)) != NULL) {
        const char *value = va_arg(ap, const char *);
        MHD_add_response_header(r, name, value);
    }
    va_end(ap);
    ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

/* A plain-text answer for HTTP-level problems (method, type, size, path). */
static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *msg)
{
    char buf[512];
    int n = snprintf(buf, sizeof buf, "%s\n", msg);

    return http_send(c, status, "text/plain; charset=utf-8", buf,
                     n < 0 ? 0 : (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1, NULL);
}

/* RFC 7231 §7.1.1.1 IMF-fixdate. */
static void http_date(hsmca_time t, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;

    gmtime_r(&tt, &tm);
    strftime(buf, len, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* ---- the OCSP cache ---- */

/* FNV-1a from a per-server random start, so that clients cannot aim many
 * requests at one bucket. */
static uint64_t fnv1a(uint64_t key, const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL ^ key;

    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static void entry_free(ocsp_entry *e)
{
    if (e == NULL)
        return;
    free(e->key);
    OPENSSL_free(e->resp);
    free(e);
}

/* Drop every entry. Caller holds the write lock. */
static void cache_flush(hsmca_http *h)
{
    for (size_t i = 0; i < OCSP_BUCKETS; i++) {
        ocsp_entry *e = h->buckets[i];
        while (e != NULL) {
            ocsp_entry *next = e->next;
            entry_free(e);
            e = next;
        }
        h->buckets[i] = NULL;
    }
    h->n_entries = 0;
}

/* Order of changes: issuer, then serial (length first, then bytes). */
static int change_cmp(const void *a, const void *b)
{
    const hsmca_store_change *x = a, *y = b;

    if (x->issuer_id != y->issuer_id)
        return x->issuer_id < y->issuer_id ? -1 : 1;
    if (x->serial.len != y->serial.len)
        return x->serial.len < y->serial.len ? -1 : 1;
    return memcmp(x->serial.b, y->serial.b, x->serial.len);
}

/* The newest change (v sorted) that covers entry e: one for its serial, or
 * for its issuer as a whole (a change with no serial); 0 if none does. */
static int64_t covering_id(const ocsp_entry *e, const hsmca_store_change *v, size_t n)
{
    hsmca_store_change key;
    const hsmca_store_change *m;
    int64_t id = 0;

    memset(&key, 0, sizeof key);
    key.issuer_id = e->issuer_id;
    for (int pass = 0; pass < 2; pass++) {
        size_t at, i;

        if (pass == 1)
            key.serial = e->serial;
        m = bsearch(&key, v, n, sizeof *v, change_cmp);
        if (m == NULL)
            continue;
        /* equal keys are neighbours once sorted */
        at = (size_t)(m - v);
        for (i = at; i > 0 && change_cmp(&v[i - 1], &key) == 0; i--)
            ;
        for (; i < n && change_cmp(&v[i], &key) == 0; i++)
            id = v[i].id > id ? v[i].id : id;
    }
    return id;
}

/* Forget the pre-signed answers the changes touch, in one pass over the
 * cache (a burst of issuance is one pass, not one per serial), and mark
 * the CRLs of issuers with a revocation stale. v is sorted here.
 * from_store: the changes are the watcher's, read from the store's event
 * log; an answer signed after a change's event (the server's own revocation,
 * already applied when it was made) is kept. Otherwise they are the
 * server's own, applied at once to every answer. */
static void invalidate_many(hsmca_http *h, hsmca_store_change *v, size_t n, int from_store)
{
    if (n == 0)
        return;
    qsort(v, n, sizeof *v, change_cmp);
    pthread_rwlock_wrlock(&h->ocsp_lock);
    if (from_store) {
        for (size_t i = 0; i < n; i++)
            h->applied_event = v[i].id > h->applied_event ? v[i].id : h->applied_event;
    } else {
        h->generation++;
    }
    for (size_t i = 0; h->n_entries > 0 && i < OCSP_BUCKETS; i++) {
        ocsp_entry **pe = &h->buckets[i];
        while (*pe != NULL) {
            ocsp_entry *e = *pe;
            int64_t id = covering_id(e, v, n);
            if (id > 0 && (!from_store || id > e->event_seen)) {
                *pe = e->next;
                entry_free(e);
                h->n_entries--;
            } else {
                pe = &e->next;
            }
        }
    }
    pthread_rwlock_unlock(&h->ocsp_lock);
    pthread_mutex_lock(&h->crl_lock);
    for (size_t k = 0; k < n; k++) {
        if (strcmp(v[k].kind, "revoke") != 0)
            continue;
        /* A revocation the CRL held already lists (the server's own, seen
         * again by the watcher) does not make it stale. */
        for (size_t i = 0; i < h->cfg.n_cas; i++)
            if (hsmca_ca_get0_issuer(h->cfg.cas[i])->id == v[k].issuer_id &&
                v[k].id > h->crls[i].covered_event)
                h->crls[i].stale = 1;
    }
    pthread_mutex_unlock(&h->crl_lock);
}

void http_invalidate(hsmca_http *h, int64_t issuer_id, const uint8_t *serial, size_t serial_len,
                     int revoked)
{
    hsmca_store_change c;

    memset(&c, 0, sizeof c);
    c.issuer_id = issuer_id;
    if (serial != NULL && serial_len <= HSMCA_STORE_SERIAL_MAX) {
        memcpy(c.serial.b, serial, serial_len);
        c.serial.len = serial_len;
    }
    snprintf(c.kind, sizeof c.kind, "%s", revoked ? "revoke" : "change");
    c.id = INT64_MAX; /* newer than any CRL held */
    invalidate_many(h, &c, 1, 0);
}

/* Send an OCSP response with the RFC 5019 §6.2 caching headers (a cached
 * or cacheable one), or uncacheable. */
static enum MHD_Result send_ocsp(struct MHD_Connection *c, const uint8_t *resp, size_t len,
                                 const ocsp_entry *e, hsmca_time now)
{
    char lm[40], ex[40], cc[96];
    hsmca_time age;

    if (e == NULL)
        return http_send(c, MHD_HTTP_OK, "application/ocsp-response", resp, len,
                         MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache, no-store", NULL);
    http_date(e->this_update, lm, sizeof lm);
    http_date(e->next_update, ex, sizeof ex);
    age = e->next_update - now;
    snprintf(cc, sizeof cc, "max-age=%lld, public, no-transform, must-revalidate",
             (long long)(age > 0 ? age : 0));
    return http_send(c, MHD_HTTP_OK, "application/ocsp-response", resp, len,
                     MHD_HTTP_HEADER_CACHE_CONTROL, cc, MHD_HTTP_HEADER_LAST_MODIFIED, lm,
                     MHD_HTTP_HEADER_EXPIRES, ex, MHD_HTTP_HEADER_ETAG, e->etag, NULL);
}

/* The cached answer to req, sent, if there is a fresh one: 1, else 0. */
static int ocsp_hit(hsmca_http *h, struct MHD_Connection *c, const uint8_t *req, size_t len,
                    uint64_t hash, hsmca_time now, enum MHD_Result *ret)
{
    int hit = 0;

    pthread_rwlock_rdlock(&h->ocsp_lock);
    for (ocsp_entry *e = h->buckets[hash % OCSP_BUCKETS]; e != NULL; e = e->next) {
        if (e->hash == hash && e->key_len == len && memcmp(e->key, req, len) == 0) {
            if (now < e->refresh_at && now >= e->this_update) {
                const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                              MHD_HTTP_HEADER_IF_NONE_MATCH);
                if (inm != NULL && strcmp(inm, e->etag) == 0)
                    *ret = http_send(c, MHD_HTTP_NOT_MODIFIED, NULL, "", 0,
                                     MHD_HTTP_HEADER_ETAG, e->etag, NULL);
                else
                    *ret = send_ocsp(c, e->resp, e->resp_len, e, now);
                hit = 1;
            }
            break;
        }
    }
    pthread_rwlock_unlock(&h->ocsp_lock);
    return hit;
}

/* A cache entry for a signed answer (takes resp; NULL when out of
 * memory, resp then freed). */
static ocsp_entry *entry_new(const uint8_t *req, size_t len, uint64_t hash, uint8_t *resp,
                             size_t resp_len, const hsmca_ocsp_outcome *o)
{
    ocsp_entry *e = calloc(1, sizeof *e);
    uint8_t md[32];
    char hex[65];
    hsmca_time half;

    if (e == NULL || (e->key = malloc(len)) == NULL) {
        free(e);
        OPENSSL_free(resp);
        return NULL;
    }
    memcpy(e->key, req, len);
    e->key_len = len;
    e->hash = hash;
    e->resp = resp;
    e->resp_len = resp_len;
    e->this_update = o->this_update;
    e->next_update = o->next_update;
    /* BR 4.9.9 (CONFORMANCE.md §12): refresh at half-life for windows under
     * 16 h, else at least 8 h before nextUpdate and within 4 days of
     * thisUpdate (MRSP 6 too). Half-life capped at 4 days meets both for
     * every window from 8 h to 10 d. */
    half = (o->next_update - o->this_update + 1) / 2;
    e->refresh_at = o->this_update + (half < 4 * 86400 ? half : 4 * 86400);
    e->issuer_id = o->issuer_id;
    e->serial = o->serial;
    EVP_Digest(resp, resp_len, md, NULL, EVP_sha256(), NULL);
    for (size_t i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    snprintf(e->etag, sizeof e->etag, "\"%s\"", hex);
    return e;
}

/* Keep an entry unless the store changed since gen and e->event_seen were
 * read (then the answer may already be out of date: a revocation committed
 * between the status read and now; it is dropped and the next request
 * signs again). */
static void ocsp_keep(hsmca_http *h, ocsp_entry *e, uint64_t gen)
{
    ocsp_entry **pe;

    pthread_rwlock_wrlock(&h->ocsp_lock);
    if (gen != h->generation || h->applied_event > e->event_seen) {
        pthread_rwlock_unlock(&h->ocsp_lock);
        entry_free(e);
        return;
    }
    if (h->n_entries >= OCSP_CACHE_MAX)
        cache_flush(h);
    pe = &h->buckets[e->hash % OCSP_BUCKETS];
    while (*pe != NULL) {
        ocsp_entry *old = *pe;
        if (old->hash == e->hash && old->key_len == e->key_len &&
            memcmp(old->key, e->key, e->key_len) == 0) {
            *pe = old->next;
            entry_free(old);
            h->n_entries--;
            break;
        }
        pe = &old->next;
    }
    e->next = h->buckets[e->hash % OCSP_BUCKETS];
    h->buckets[e->hash % OCSP_BUCKETS] = e;
    h->n_entries++;
    pthread_rwlock_unlock(&h->ocsp_lock);
}

/* Answer one DER request: from the cache, or signed now. */
static enum MHD_Result answer_ocsp(hsmca_http *h, struct MHD_Connection *c, const uint8_t *req,
                                   size_t len)
{
    hsmca_time now = hsmca_clock_now();
    uint64_t hash = fnv1a(h->hash_key, req, len), gen;
    int64_t seen = -1;
    enum MHD_Result ret = MHD_NO;
    hsmca_ocsp_outcome o;
    ocsp_entry *e;
    uint8_t *resp = NULL;
    size_t resp_len = 0;

    if (len > 0 && ocsp_hit(h, c, req, len, hash, now, &ret))
        return ret;
    /* Read before the store is: a change from now on drops this answer. */
    pthread_rwlock_rdlock(&h->ocsp_lock);
    gen = h->generation;
    pthread_rwlock_unlock(&h->ocsp_lock);
    if (hsmca_store_last_event(h->cfg.store, &seen) != HSMCA_OK) {
        hsmca_log(HSMCA_LOG_WARN, "OCSP: %s", hsmca_err_message());
        hsmca_err_clear();
        seen = -1; /* not kept: any applied event is newer */
    }
    if (hsmca_ocsp_respond(h->cfg.ocsp, req, len, now, &resp, &resp_len, &o) != HSMCA_OK) {
        hsmca_log(HSMCA_LOG_ERROR, "OCSP: %s", hsmca_err_message());
        return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot build an OCSP response");
    }
    if (o.status != HSMCA_OCSP_SUCCESSFUL) {
        hsmca_log(o.status == HSMCA_OCSP_INTERNAL_ERROR ? HSMCA_LOG_ERROR : HSMCA_LOG_INFO,
                  "OCSP %s: %s", hsmca_ocsp_status_name(o.status), o.why);
        ret = send_ocsp(c, resp, resp_len, NULL, now);
        OPENSSL_free(resp);
        return ret;
    }
    /* Only plain requests are kept: one CertID, no extensions (a nonce is
     * for this request only; other extensions would let a client grow
     * the cache with padding), and small. */
    if (o.extensions > 0 || o.n_answers != 1 || len > OCSP_KEY_MAX) {
        ret = send_ocsp(c, resp, resp_len, NULL, now);
        OPENSSL_free(resp);
        return ret;
    }
    e = entry_new(req, len, hash, resp, resp_len, &o);
    if (e == NULL)
        return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    e->event_seen = seen;
    ret = send_ocsp(c, e->resp, e->resp_len, e, now);
    ocsp_keep(h, e, gen);
    return ret;
}

/* RFC 6960 Appendix A.1: GET {url}/{url-encoding of base64(DER)}. The
 * path is already percent-decoded; an issuer segment before the base64
 * is allowed (the AIA URL is /ocsp/<issuer>). */
static enum MHD_Result ocsp_get(hsmca_http *h, struct MHD_Connection *c, const char *rest)
{
    uint8_t *der = NULL;
    size_t der_len = 0;
    enum MHD_Result ret;
    const char *slash = strchr(rest, '/');
    char name[80];

    /* A served issuer's name is taken as the issuer segment first: "sub/"
     * is itself valid base64, so trying the whole path first would decode
     * /ocsp/sub/<base64> into garbage. */
    if (slash != NULL && (size_t)(slash - rest) < sizeof name) {
        memcpy(name, rest, (size_t)(slash - rest));
        name[slash - rest] = '\0';
        if (http_find_ca(h, name, NULL) != NULL)
            rest = slash + 1;
    }
    slash = strchr(rest, '/');
    if (hsmca_base64_decode(rest, strlen(rest), "the OCSP request", &der, &der_len) != HSMCA_OK &&
        (slash == NULL ||
         hsmca_base64_decode(slash + 1, strlen(slash + 1), "the OCSP request", &der,
                             &der_len) != HSMCA_OK)) {
        hsmca_err_clear();
        free(der);
        der = NULL;
        der_len = 0;
    }
    hsmca_err_clear();
    /* Undecodable base64 is a malformed OCSP request like bad DER. */
    ret = answer_ocsp(h, c, der, der_len);
    free(der);
    return ret;
}

static enum MHD_Result route_ocsp(hsmca_http *h, struct MHD_Connection *c, const char *url,
                                  const char *method, req_ctx *rc)
{
    const char *type;

    if (strcmp(method, MHD_HTTP_METHOD_GET) == 0)
        return ocsp_get(h, c, url + strlen("/ocsp/"));
    if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
        return http_send(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "use GET or POST\n", 16,
                         MHD_HTTP_HEADER_ALLOW, "GET, POST", NULL);
    type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (type == NULL || strncasecmp(type, "application/ocsp-request", 24) != 0)
        return send_text(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                         "an OCSP POST has Content-Type: application/ocsp-request (RFC 6960 "
                         "Appendix A.1)");
    if (rc->too_big || rc->len > HSMCA_OCSP_REQUEST_MAX)
        return send_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "the OCSP request is too large");
    return answer_ocsp(h, c, rc->body, rc->len);
}

/* ---- CA certificates and CRLs ---- */

hsmca_ca *http_find_ca(hsmca_http *h, const char *name, size_t *index)
{
    for (size_t i = 0; i < h->cfg.n_cas; i++) {
        if (strcmp(hsmca_ca_get0_issuer(h->cfg.cas[i])->name, name) == 0) {
            if (index != NULL)
                *index = i;
            return h->cfg.cas[i];
        }
    }
    return NULL;
}

/* "/ca/sub.der" -> "sub" into buf; 0 if the path is not prefix NAME suffix. */
static int name_in(const char *url, const char *prefix, const char *suffix, char *buf,
                   size_t len)
{
    size_t pl = strlen(prefix), sl = strlen(suffix), ul = strlen(url);

    if (ul <= pl + sl || strncmp(url, prefix, pl) != 0 || strcmp(url + ul - sl, suffix) != 0 ||
        ul - pl - sl >= len)
        return 0;
    memcpy(buf, url + pl, ul - pl - sl);
    buf[ul - pl - sl] = '\0';
    return strchr(buf, '/') == NULL;
}

static const hsmca_http_file *find_file(hsmca_http *h, const char *url)
{
    for (size_t i = 0; i < h->cfg.n_files; i++)
        if (strcmp(h->cfg.files[i].path, url) == 0)
            return &h->cfg.files[i];
    return NULL;
}

/* Does the DER CRL list as many serials as the store has revoked for the
 * issuer? Revocations are never deleted and a CRL lists every one
 * (hsmca_crl_issue), so a shorter list is out of date. */
static int crl_lists_all(hsmca_http *h, int64_t issuer_id, const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
    hsmca_store_status *v = NULL;
    size_t n = 0;
    int ok = 0;

    if (crl != NULL &&
        hsmca_store_statuses_list(h->cfg.store, issuer_id, 0, &v, &n) == HSMCA_OK) {
        STACK_OF(X509_REVOKED) *r = X509_CRL_get_REVOKED(crl);
        ok = (size_t)(r != NULL ? sk_X509_REVOKED_num(r) : 0) == n;
    }
    free(v);
    X509_CRL_free(crl);
    return ok;
}

/* The CRL of served CA i, signing a new one when there is none, the one
 * held is stale (a revocation since) or past half its validity (BR 4.9.7:
 * publish well before nextUpdate). Caller holds crl_lock. */
static hsmca_err crl_current(hsmca_http *h, size_t i, hsmca_time now)
{
    hsmca_err err = HSMCA_OK;
    crl_slot *s = &h->crls[i];
    hsmca_ca *ca = h->cfg.cas[i];
    const hsmca_store_issuer *is = hsmca_ca_get0_issuer(ca);
    uint8_t *der = NULL;
    size_t len = 0;
    hsmca_time tu = 0, nu = 0;
    int64_t covered = 0;

    if (s->der == NULL && !s->stale) {
        /* One signed by an earlier run or `hsmca crl`, if it is still
         * complete: revocations recorded after it was signed (while no
         * server ran, or after the last CRL the previous one signed) are
         * not in it, and the store watcher only sees changes made after
         * this server started. */
        if (hsmca_store_crl_latest(h->cfg.store, is->id, "", NULL, &tu, &nu, &der, &len) ==
                HSMCA_OK &&
            crl_lists_all(h, is->id, der, len)) {
            s->der = der;
            s->len = len;
            s->this_update = tu;
            s->next_update = nu;
            der = NULL;
        }
        OPENSSL_free(der);
        der = NULL;
        hsmca_err_clear();
    }
    if (s->der != NULL && !s->stale && now >= s->this_update &&
        now < s->this_update + (s->next_update - s->this_update) / 2)
        goto out;
    /* Read before the CRL lists the revocations: every revocation up to
     * this event is in it (a later one may be too, which only costs an
     * extra CRL). */
    HSMCA_GUARD(hsmca_store_last_event(h->cfg.store, &covered));
    HSMCA_GUARD(hsmca_crl_issue(h->cfg.store, is, hsmca_ca_get0_cert(ca),
                                hsmca_hsm_key_get0_signer(hsmca_ca_get0_key(ca)), now,
                                h->cfg.crl_validity, &der, &len, NULL));
    {
        const unsigned char *p = der;
        X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
        HSMCA_OSSL(crl != NULL, "cannot read back the CRL");
        err = hsmca_ossl_time(X509_CRL_get0_nextUpdate(crl), "nextUpdate", &nu);
        X509_CRL_free(crl);
        HSMCA_GUARD(err);
    }
    OPENSSL_free(s->der);
    s->der = der;
    s->len = len;
    s->this_update = now;
    s->next_update = nu;
    s->stale = 0;
    s->covered_event = covered;
    der = NULL;
    hsmca_log(HSMCA_LOG_INFO, "signed a new CRL for issuer '%s'", is->name);
out:
    OPENSSL_free(der);
    return err;
}

static enum MHD_Result route_crl(hsmca_http *h, struct MHD_Connection *c, const char *url)
{
    char name[80], lm[40], ex[40];
    size_t i;
    const hsmca_http_file *f;
    enum MHD_Result ret;

    if (name_in(url, "/crl/", ".crl", name, sizeof name) && http_find_ca(h, name, &i) != NULL) {
        pthread_mutex_lock(&h->crl_lock);
        if (crl_current(h, i, hsmca_clock_now()) != HSMCA_OK) {
            pthread_mutex_unlock(&h->crl_lock);
            hsmca_log(HSMCA_LOG_ERROR, "CRL for '%s': %s (%s)", name, hsmca_err_message(),
                      hsmca_err_detail());
            return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot sign the CRL");
        }
        http_date(h->crls[i].this_update, lm, sizeof lm);
        http_date(h->crls[i].next_update, ex, sizeof ex);
        ret = http_send(c, MHD_HTTP_OK, "application/pkix-crl", h->crls[i].der, h->crls[i].len,
                        MHD_HTTP_HEADER_LAST_MODIFIED, lm, MHD_HTTP_HEADER_EXPIRES, ex, NULL);
        pthread_mutex_unlock(&h->crl_lock);
        return ret;
    }
    if ((f = find_file(h, url)) != NULL)
        return http_send(c, MHD_HTTP_OK, f->content_type, f->data, f->len, NULL);
    return send_text(c, MHD_HTTP_NOT_FOUND, "no such CRL");
}

static enum MHD_Result route_ca(hsmca_http *h, struct MHD_Connection *c, const char *url)
{
    char name[80];
    hsmca_ca *ca;
    const hsmca_http_file *f;

    if (name_in(url, "/ca/", ".der", name, sizeof name) && (ca = http_find_ca(h, name, NULL))) {
        const hsmca_store_issuer *is = hsmca_ca_get0_issuer(ca);
        return http_send(c, MHD_HTTP_OK, "application/pkix-cert", is->cert_der, is->cert_len,
                         NULL);
    }
    if ((f = find_file(h, url)) != NULL)
        return http_send(c, MHD_HTTP_OK, f->content_type, f->data, f->len, NULL);
    return send_text(c, MHD_HTTP_NOT_FOUND, "no such CA certificate");
}

/* ---- CT test logs ---- */

static hsmca_ct_testlog *find_log(hsmca_http *h, const char *name, size_t len)
{
    for (size_t i = 0; i < h->cfg.n_logs; i++) {
        const char *n = hsmca_ct_testlog_name(h->cfg.logs[i]);
        if (strlen(n) == len && strncmp(n, name, len) == 0)
            return h->cfg.logs[i];
    }
    return NULL;
}

/* {"operators": [{"name", "logs": [{"description", "log_id", "key", "url"}]}]}:
 * the shape of Chrome's log list v3, enough to configure a client. */
static enum MHD_Result log_list(hsmca_http *h, struct MHD_Connection *c)
{
    hsmca_bytes b;
    uint8_t *out = NULL;
    size_t out_len = 0;
    enum MHD_Result ret;
    hsmca_err err = HSMCA_OK;

    hsmca_bytes_init(&b);
    HSMCA_GUARD(hsmca_bytes_put(&b, "{\"operators\":[", 14));
    for (size_t i = 0; i < h->cfg.n_logs; i++) {
        hsmca_ct_testlog *l = h->cfg.logs[i];
        unsigned char *spki = NULL;
        char *key64 = NULL, *id64 = NULL, line[1400];
        int n = i2d_PUBKEY(hsmca_ct_testlog_key(l), &spki);
        int m;

        if (n <= 0 || hsmca_base64_encode(spki, (size_t)n, &key64) != HSMCA_OK ||
            hsmca_base64_encode(hsmca_ct_testlog_id(l), 32, &id64) != HSMCA_OK) {
            OPENSSL_free(spki);
            free(key64);
            HSMCA_FAIL(HSMCA_E_CRYPTO, "cannot encode test log '%s'", hsmca_ct_testlog_name(l));
        }
        /* Names are [A-Za-z0-9._-] (hsmca_ct_testlog_new); the operator is
         * the name unless configured, checked the same way by serve. */
        m = snprintf(line, sizeof line,
                     "%s{\"name\":\"%s\",\"logs\":[{\"description\":\"hsmca test log %s\","
                     "\"log_id\":\"%s\",\"key\":\"%s\",\"url\":\"/ct/%s/\",\"mmd\":0}]}",
                     i > 0 ? "," : "", hsmca_ct_testlog_operator(l), hsmca_ct_testlog_name(l),
                     id64, key64, hsmca_ct_testlog_name(l));
        OPENSSL_free(spki);
        free(key64);
        free(id64);
        HSMCA_ENSURE(m > 0 && (size_t)m < sizeof line, HSMCA_E_INTERNAL, "log list too long");
        HSMCA_GUARD(hsmca_bytes_put(&b, line, (size_t)m));
    }
    HSMCA_GUARD(hsmca_bytes_put(&b, "]}\n", 3));
    HSMCA_GUARD(hsmca_bytes_finish(&b, &out, &out_len));
out:
    hsmca_bytes_clear(&b);
    if (err != HSMCA_OK)
        ret = send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, hsmca_err_message());
    else
        ret = http_send(c, MHD_HTTP_OK, "application/json", out, out_len, NULL);
    free(out);
    return ret;
}

static enum MHD_Result route_ct(hsmca_http *h, struct MHD_Connection *c, const char *url,
                                const char *method, req_ctx *rc)
{
    const char *rest = url + strlen("/ct/"), *slash = strchr(rest, '/');
    hsmca_ct_testlog *l;
    char *body = NULL;
    int status = 0;
    enum MHD_Result ret;

    if (strcmp(rest, "log_list.json") == 0)
        return log_list(h, c);
    if (slash == NULL || (l = find_log(h, rest, (size_t)(slash - rest))) == NULL)
        return send_text(c, MHD_HTTP_NOT_FOUND, "no such test log");
    if (strcmp(slash, "/key.pem") == 0) {
        BIO *m = BIO_new(BIO_s_mem());
        char *pem = NULL;
        size_t pem_len = 0;
        if (m == NULL || PEM_write_bio_PUBKEY(m, hsmca_ct_testlog_key(l)) != 1 ||
            hsmca_bio_to_buf(m, "the log key", &pem, &pem_len) != HSMCA_OK) {
            BIO_free(m);
            return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot encode the key");
        }
        BIO_free(m);
        ret = http_send(c, MHD_HTTP_OK, "application/x-pem-file", pem, pem_len, NULL);
        OPENSSL_free(pem);
        return ret;
    }
    if (strncmp(slash, "/ct/v1/", 7) != 0)
        return send_text(c, MHD_HTTP_NOT_FOUND, "no such test log call");
    if (rc->too_big)
        return send_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "the body is too large");
    if (hsmca_ct_testlog_handle(l, slash + 7, strcmp(method, MHD_HTTP_METHOD_POST) == 0,
                                rc->body, rc->len, (uint64_t)hsmca_clock_now() * 1000, &status,
                                &body) != HSMCA_OK)
        return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, hsmca_err_message());
    ret = status == MHD_HTTP_METHOD_NOT_ALLOWED
              ? http_send(c, (unsigned)status, "application/json", body, strlen(body),
                          MHD_HTTP_HEADER_ALLOW,
                          strcmp(slash + 7, "get-roots") == 0 ? "GET" : "POST", NULL)
              : http_send(c, (unsigned)status, "application/json", body, strlen(body), NULL);
    free(body);
    return ret;
}

/* ---- dispatch ---- */

static enum MHD_Result dispatch(hsmca_http *h, struct MHD_Connection *c, const char *url,
                                const char *method, req_ctx *rc)
{
    int get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, "HEAD") == 0;

    if (strncmp(url, "/ocsp/", 6) == 0 || strcmp(url, "/ocsp") == 0) {
        if (strcmp(url, "/ocsp") == 0)
            url = "/ocsp/";
        return route_ocsp(h, c, url, method, rc);
    }
    if (strncmp(url, "/api/", 5) == 0)
        return http_api(h, c, url, method, rc);
    if (strncmp(url, "/ct/", 4) == 0)
        return route_ct(h, c, url, method, rc);
    if (strncmp(url, "/ca/", 4) == 0 || strncmp(url, "/crl/", 5) == 0) {
        if (!get)
            return http_send(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "use GET\n", 8,
                             MHD_HTTP_HEADER_ALLOW, "GET", NULL);
        return url[1] == 'c' && url[2] == 'a' ? route_ca(h, c, url) : route_crl(h, c, url);
    }
    if (strcmp(url, "/healthz") == 0)
        return http_send(c, MHD_HTTP_OK, "text/plain", "ok\n", 3, NULL);
    if (get && find_file(h, url) != NULL) {
        const hsmca_http_file *f = find_file(h, url);
        return http_send(c, MHD_HTTP_OK, f->content_type, f->data, f->len, NULL);
    }
    return send_text(c, MHD_HTTP_NOT_FOUND, "no such path (see docs/serve.md)");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    hsmca_http *h = cls;
    req_ctx *rc = *con_cls;

    if (rc == NULL) {
        rc = calloc(1, sizeof *rc);
        if (rc == NULL)
            return MHD_NO;
        *con_cls = rc;
        atomic_fetch_add(&h->inflight, 1);
        {
            /* A body announced larger than the limit is refused before it
             * is read (MHD then closes the connection). */
            const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                         MHD_HTTP_HEADER_CONTENT_LENGTH);
            char *end = NULL;
            unsigned long long v = cl != NULL ? strtoull(cl, &end, 10) : 0;
            if (cl != NULL && end != cl && v > h->cfg.max_body) {
                rc->too_big = 1;
                if (strncmp(url, "/api/", 5) == 0)
                    return http_send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "too-large",
                                           "the body is larger than %zu bytes",
                                           h->cfg.max_body);
                return send_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "the body is too large");
            }
        }
        return MHD_YES;
    }
    if (*upload_size > 0) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (rc->too_big || rc->len + n > h->cfg.max_body) {
            rc->too_big = 1; /* read and dropped; answered 413 at the end */
            return MHD_YES;
        }
        if (rc->len + n > rc->cap) {
            size_t cap = rc->cap == 0 ? 4096 : rc->cap;
            uint8_t *nb;
            while (cap < rc->len + n)
                cap *= 2;
            nb = realloc(rc->body, cap);
            if (nb == NULL)
                return MHD_NO;
            rc->body = nb;
            rc->cap = cap;
        }
        memcpy(rc->body + rc->len, upload, n);
        rc->len += n;
        return MHD_YES;
    }
    hsmca_err_clear();
    return dispatch(h, c, url, method, rc);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    hsmca_http *h = cls;
    req_ctx *rc = *con_cls;

    if (rc != NULL) {
        free(rc->body);
        free(rc);
        *con_cls = NULL;
        atomic_fetch_sub(&h->inflight, 1);
    }
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char buf[512];

    vsnprintf(buf, sizeof buf, fmt, ap);
    buf[strcspn(buf, "\n")] = '\0';
    hsmca_log(HSMCA_LOG_WARN, "http: %s", buf);
}

/* ---- the store watcher ---- */

static void follow_events(hsmca_http *h)
{
    hsmca_store_change *v = NULL;
    size_t n = 0;

    /* Bounded batches; a burst of issuance is followed over a few ticks. */
    if (hsmca_store_events_since(h->cfg.store, h->last_event, 4096, &v, &n) != HSMCA_OK) {
        hsmca_log(HSMCA_LOG_WARN, "store watcher: %s", hsmca_err_message());
        hsmca_err_clear();
        return;
    }
    size_t keep = 0;
    int reload = 0;

    for (size_t i = 0; i < n; i++) {
        hsmca_store_change *e = &v[i];
        h->last_event = e->id;
        if (strcmp(e->kind, "ocsp-policy") == 0) {
            /* Every answer of the issuer may change. */
            reload = 1;
            e->serial.len = 0;
            v[keep++] = *e;
        } else if (e->serial.len > 0 &&
                   (strcmp(e->kind, "revoke") == 0 || strcmp(e->kind, "precert") == 0 ||
                    strcmp(e->kind, "final") == 0)) {
            v[keep++] = *e;
        }
    }
    if (reload && hsmca_ocsp_responder_reload(h->cfg.ocsp) != HSMCA_OK) {
        hsmca_log(HSMCA_LOG_WARN, "store watcher: %s", hsmca_err_message());
        hsmca_err_clear();
    }
    /* The policy lives in the responder's memory, not in the store: an
     * answer signed after the policy's event but before this reload used
     * the old one. So a reload drops every answer it covers, and those
     * being signed, as the server's own changes do. */
    invalidate_many(h, v, keep, !reload);
    free(v);
}

static void *watch(void *arg)
{
    hsmca_http *h = arg;
    struct timespec until;

    pthread_mutex_lock(&h->watch_lock);
    while (!h->stopping) {
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 500 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&h->watch_cond, &h->watch_lock, &until);
        if (h->stopping)
            break;
        pthread_mutex_unlock(&h->watch_lock);
        follow_events(h);
        pthread_mutex_lock(&h->watch_lock);
    }
    pthread_mutex_unlock(&h->watch_lock);
    return NULL;
}

/* ---- start and stop ---- */

static int is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;

    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return 0;
}

hsmca_err hsmca_http_start(const hsmca_http_config *cfg, hsmca_http **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_http *h = NULL;
    struct sockaddr_storage ss;
    socklen_t ss_len;
    const union MHD_DaemonInfo *info;
    /* MHD_USE_ITC: MHD_quiesce_daemon needs it with an internal thread. */
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_ERROR_LOG | MHD_USE_POLL | MHD_USE_ITC;

    HSMCA_ENSURE(cfg != NULL && out != NULL && cfg->store != NULL && cfg->ocsp != NULL,
                 HSMCA_E_USAGE, "hsmca_http_start: missing argument");
    *out = NULL;
    h = calloc(1, sizeof *h);
    HSMCA_ALLOC(h);
    pthread_rwlock_init(&h->ocsp_lock, NULL);
    pthread_mutex_init(&h->crl_lock, NULL);
    pthread_mutex_init(&h->watch_lock, NULL);
    pthread_cond_init(&h->watch_cond, NULL);
    h->cfg = *cfg;
    if (h->cfg.host == NULL)
        h->cfg.host = "127.0.0.1";
    if (h->cfg.max_connections == 0)
        h->cfg.max_connections = 1024;
    if (h->cfg.timeout_s == 0)
        h->cfg.timeout_s = 30;
    if (h->cfg.max_body == 0)
        h->cfg.max_body = HSMCA_HTTP_BODY_MAX;
    /* Issue #6: never listen beyond loopback with the API open. */
    HSMCA_ENSURE(h->cfg.api_token != NULL || is_loopback(h->cfg.host), HSMCA_E_USAGE,
                 "refusing to listen on %s without an API token: anyone who can reach it "
                 "could issue and revoke (give --api-token-file, or listen on 127.0.0.1)",
                 h->cfg.host);
    memset(&ss, 0, sizeof ss);
    if (strchr(h->cfg.host, ':') != NULL) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
        HSMCA_ENSURE(inet_pton(AF_INET6, h->cfg.host, &a6->sin6_addr) == 1, HSMCA_E_USAGE,
                     "'%s' is not a numeric IPv6 address", h->cfg.host);
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(cfg->port);
        ss_len = sizeof *a6;
        flags |= MHD_USE_IPv6;
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
        HSMCA_ENSURE(inet_pton(AF_INET, h->cfg.host, &a4->sin_addr) == 1, HSMCA_E_USAGE,
                     "'%s' is not a numeric IPv4 address", h->cfg.host);
        a4->sin_family = AF_INET;
        a4->sin_port = htons(cfg->port);
        ss_len = sizeof *a4;
    }
    (void)ss_len;
    h->buckets = calloc(OCSP_BUCKETS, sizeof *h->buckets);
    HSMCA_ALLOC(h->buckets);
    HSMCA_OSSL(RAND_bytes((unsigned char *)&h->hash_key, sizeof h->hash_key) == 1,
               "cannot draw the OCSP cache's hash key");
    h->crls = calloc(cfg->n_cas > 0 ? cfg->n_cas : 1, sizeof *h->crls);
    HSMCA_ALLOC(h->crls);
    HSMCA_GUARD(hsmca_store_last_event(cfg->store, &h->last_event));

    errno = 0;
    h->d = MHD_start_daemon(flags, cfg->port, NULL, NULL, on_request, h,
                            MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                            MHD_OPTION_CONNECTION_LIMIT, h->cfg.max_connections,
                            MHD_OPTION_CONNECTION_TIMEOUT, h->cfg.timeout_s,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                            MHD_OPTION_END);
    HSMCA_ENSURE(h->d != NULL, HSMCA_E_IO, "cannot listen on %s port %u%s%s", h->cfg.host,
                 cfg->port, errno != 0 ? ": " : "", errno != 0 ? strerror(errno) : "");
    info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info != NULL ? info->port : cfg->port;
    HSMCA_ENSURE(pthread_create(&h->watcher, NULL, watch, h) == 0, HSMCA_E_INTERNAL,
                 "cannot start the store watcher");
    h->watcher_started = 1;
    *out = h;
    h = NULL;
out:
    hsmca_http_stop(h);
    return err;
}

uint16_t hsmca_http_port(const hsmca_http *h)
{
    return h->port;
}

void hsmca_http_stop(hsmca_http *h)
{
    if (h == NULL)
        return;
    if (h->d != NULL) {
        /* MHD_stop_daemon shuts down every connection's socket at once,
         * so a request in flight would be handled (a certificate issued)
         * but its answer lost. Stop accepting first, let the requests in
         * flight be answered (at most the idle timeout), then stop. */
        MHD_socket ls = MHD_quiesce_daemon(h->d);
        struct timespec tick = {0, 20 * 1000000L};

        for (unsigned i = 0; atomic_load(&h->inflight) > 0 && i < h->cfg.timeout_s * 50; i++)
            nanosleep(&tick, NULL);
        MHD_stop_daemon(h->d);
        /* microhttpd.h: with internal threads the quiesced socket is closed
         * only after MHD_stop_daemon. */
        if (ls != MHD_INVALID_SOCKET)
            close(ls);
    }
    if (h->watcher_started) {
        pthread_mutex_lock(&h->watch_lock);
        h->stopping = 1;
        pthread_cond_signal(&h->watch_cond);
        pthread_mutex_unlock(&h->watch_lock);
        pthread_join(h->watcher, NULL);
    }
    if (h->buckets != NULL) {
        cache_flush(h);
        free(h->buckets);
    }
    if (h->crls != NULL) {
        for (size_t i = 0; i < h->cfg.n_cas; i++)
            OPENSSL_free(h->crls[i].der);
        free(h->crls);
    }
    pthread_rwlock_destroy(&h->ocsp_lock);
    pthread_mutex_destroy(&h->crl_lock);
    pthread_mutex_destroy(&h->watch_lock);
    pthread_cond_destroy(&h->watch_cond);
    free(h);
}
