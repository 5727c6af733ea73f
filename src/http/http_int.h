/* src/http private definitions. Only src/http includes <microhttpd.h>
 * (DESIGN.md: one module per stateful third-party library). */
#ifndef HSMCA_HTTP_INT_H
#define HSMCA_HTTP_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "hsmca/http.h"

/* One pre-signed OCSP response, keyed by the request's bytes. */
typedef struct ocsp_entry {
    struct ocsp_entry *next;
    uint64_t hash;
    uint8_t *key;              /* the DER request */
    size_t key_len;
    uint8_t *resp;
    size_t resp_len;
    hsmca_time this_update, next_update, refresh_at;
    int64_t issuer_id;         /* what it answers for, to invalidate it */
    hsmca_store_serial serial;
    int64_t event_seen;        /* the store's last event before it was signed */
    char etag[68];             /* "\"<sha256 hex, 32 chars>\"" */
} ocsp_entry;

#define OCSP_BUCKETS 65536
/* At most this many kept answers (about 2 KiB each with a delegated
 * responder's certificate), and only for requests of at most
 * OCSP_KEY_MAX octets (a plain one-CertID request is under 120). */
#define OCSP_CACHE_MAX 20000
#define OCSP_KEY_MAX 512

/* A served CA's current CRL. */
typedef struct crl_slot {
    uint8_t *der;
    size_t len;
    hsmca_time this_update, next_update;
    int stale;                 /* a revocation since it was signed */
    int64_t covered_event;     /* the store's newest event when it was signed:
                                  revocations up to it are in it */
} crl_slot;

struct hsmca_http {
    hsmca_http_config cfg;
    struct MHD_Daemon *d;
    uint16_t port;

    pthread_rwlock_t ocsp_lock;
    ocsp_entry **buckets;
    size_t n_entries;
    uint64_t generation;       /* bumped by the server's own invalidations (ocsp_lock) */
    int64_t applied_event;     /* the newest event the watcher applied (ocsp_lock) */
    uint64_t hash_key;         /* random, for the bucket hash */

    pthread_mutex_t crl_lock;
    crl_slot *crls;            /* one per cfg.cas[i] */

    /* The store watcher: follows the event log to notice changes made by
     * other processes. */
    pthread_t watcher;
    int watcher_started;
    pthread_mutex_t watch_lock;
    pthread_cond_t watch_cond;
    int stopping;
    int64_t last_event;

    /* Requests being read, handled or answered (a req_ctx exists): what
     * hsmca_http_stop waits for. */
    atomic_uint inflight;
};

/* Per-request state: the body, read in pieces. */
typedef struct req_ctx {
    uint8_t *body;
    size_t len, cap;
    int too_big;
} req_ctx;

/* Queue a response (copying data) with optional extra headers: pairs of
 * name, value, ending with NULL. */
enum MHD_Result http_send(struct MHD_Connection *c, unsigned status, const char *type,
                          const void *data, size_t len, ...);
/* A JSON error for the API: {"error": {"code", "message"}} with the HTTP
 * status for the code (or `status` when not 0). */
enum MHD_Result http_send_error(struct MHD_Connection *c, unsigned status, const char *code,
                                const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The same for the current hsmca error. */
enum MHD_Result http_send_hsmca_error(struct MHD_Connection *c);

/* Forget pre-signed answers for a serial (serial NULL: every serial of the
 * issuer), and mark the issuer's CRL stale when revoked. */
void http_invalidate(hsmca_http *h, int64_t issuer_id, const uint8_t *serial, size_t serial_len,
                     int revoked);

/* The API: anything under /api/v1/. */
enum MHD_Result http_api(hsmca_http *h, struct MHD_Connection *c, const char *url,
                         const char *method, req_ctx *rc);

/* The served CA named `name`, or NULL. */
hsmca_ca *http_find_ca(hsmca_http *h, const char *name, size_t *index);

#endif
