/* hsmca — the HTTP server behind `hsmca serve` (issue #6, docs/serve.md).
 *
 * src/http is the only user of libmicrohttpd (DESIGN.md). One server
 * answers, on 127.0.0.1 by default:
 *
 *   GET  /ocsp/<issuer>/<base64 request>     RFC 6960 Appendix A.1
 *   POST /ocsp/<issuer>                      application/ocsp-request
 *   GET  /ca/<name>.der                      CA certificates (AIA caIssuers)
 *   GET  /crl/<name>.crl                     CRLs (CRLDP)
 *   POST /ct/<log>/ct/v1/add-pre-chain       RFC 6962 test logs
 *   POST /ct/<log>/ct/v1/add-chain
 *   GET  /ct/<log>/ct/v1/get-roots
 *   GET  /ct/<log>/key.pem                   a test log's public key
 *   GET  /ct/log_list.json                   every test log, with keys
 *   /api/v1/...                              the issuance API (JSON)
 *   GET  /healthz
 *
 * OCSP answers for requests without a nonce are pre-signed and kept in
 * memory, keyed by the request; one is signed again when it reaches half
 * its validity (BR 4.9.9 refresh) or as soon as the store changes (a
 * revocation through the API at once; one by another process within a
 * second, when the server notices the store's event log moved).
 * Requests with a nonce are signed fresh, and echo it (RFC 9654).
 *
 * One thread per connection, at most max_connections of them (a handler
 * may wait on the token or on a CT log, possibly this server's own, so
 * connections are not multiplexed on a fixed pool); bodies are limited in
 * size, connections in idle time and number. hsmca_http_stop gives
 * requests in flight up to the idle timeout to be answered (each store
 * change is one transaction either way).
 */
#ifndef HSMCA_HTTP_H
#define HSMCA_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "hsmca/ca.h"
#include "hsmca/ct.h"
#include "hsmca/err.h"
#include "hsmca/ocsp.h"
#include "hsmca/secret.h"
#include "hsmca/store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HSMCA_HTTP_DEFAULT_PORT 8080
#define HSMCA_HTTP_BODY_MAX (1024 * 1024)

/* A file served as is (a CA certificate or CRL that is not in the store,
 * e.g. the offline root's). */
typedef struct hsmca_http_file {
    const char *path;          /* "/ca/root.der" */
    const uint8_t *data;
    size_t len;
    const char *content_type;
} hsmca_http_file;

typedef struct hsmca_http_config {
    const char *host;          /* numeric IPv4 or IPv6 address; NULL: 127.0.0.1 */
    uint16_t port;             /* 0: any free port (hsmca_http_port says which) */
    unsigned max_connections;  /* 0: 1024 */
    unsigned timeout_s;        /* idle connection timeout; 0: 30 s */
    size_t max_body;           /* request body limit; 0: HSMCA_HTTP_BODY_MAX */
    /* Bearer token for the API's changing calls (POST, PUT). NULL: none,
     * which is refused unless host is a loopback address. */
    const hsmca_secret *api_token;

    hsmca_store *store;
    hsmca_ca *const *cas;      /* the issuers this server signs for */
    size_t n_cas;
    hsmca_ocsp_responder *ocsp;
    hsmca_time crl_validity;   /* 0: HSMCA_CRL_VALIDITY_DEFAULT */
    hsmca_ct_testlog *const *logs;
    size_t n_logs;
    const hsmca_ct_log *log_keys;   /* logs whose SCTs the API accepts */
    size_t n_log_keys;
    const hsmca_ct_submit_opts *submit; /* the API's log client; NULL: defaults */
    /* Log URL prefixes the API's client may submit to besides this
     * server's own test logs (which always are). */
    const char *const *log_prefixes;
    size_t n_log_prefixes;
    const hsmca_http_file *files;
    size_t n_files;
    const char *profiles_dir;  /* for the API's profile names */
} hsmca_http_config;

typedef struct hsmca_http hsmca_http;

/* Start serving (threads run until hsmca_http_stop). The configuration and
 * everything it points to must outlive the server. HSMCA_E_USAGE for a
 * non-loopback host without an API token; HSMCA_E_IO when the address
 * cannot be bound (naming it and why). */
hsmca_err hsmca_http_start(const hsmca_http_config *cfg, hsmca_http **out);
/* The port it listens on. */
uint16_t hsmca_http_port(const hsmca_http *h);
/* Stop accepting, finish what is in flight, free. NULL is fine. */
void hsmca_http_stop(hsmca_http *h);

#ifdef __cplusplus
}
#endif
#endif
