/* hsmca — RFC 6962 log client: add-pre-chain / add-chain over HTTP
 * (include/hsmca/ct.h, issue #6). src/ct is the only user of libcurl
 * (DESIGN.md).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "ct/ct_int.h"
#include "hsmca/log.h"

/* A log's answer is one small JSON object; anything bigger is not one. */
#define CLIENT_BODY_MAX (64 * 1024)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

typedef struct body {
    char *p;
    size_t len;
    int too_big;
} body;

static size_t on_data(char *data, size_t size, size_t n, void *ctx)
{
    body *b = ctx;
    size_t len = size * n;
    char *np;

    if (b->too_big || b->len + len > CLIENT_BODY_MAX) {
        b->too_big = 1;
        return 0; /* abort the transfer */
    }
    np = realloc(b->p, b->len + len + 1);
    if (np == NULL)
        return 0;
    memcpy(np + b->len, data, len);
    b->p = np;
    b->len += len;
    b->p[b->len] = '\0';
    return len;
}

/* What a failed answer said: its error_message member, else its start. */
static void describe_body(const body *b, char *buf, size_t len)
{
    json_t *root = b->p != NULL ? json_loadb(b->p, b->len, 0, NULL) : NULL;
    json_t *m = root != NULL ? json_object_get(root, "error_message") : NULL;

    if (json_is_string(m))
        snprintf(buf, len, "%s", json_string_value(m));
    else if (b->len > 0)
        snprintf(buf, len, "%.120s", b->p);
    else
        snprintf(buf, len, "no body");
    json_decref(root);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (ms % 1000) * 1000000L};

    while (ms > 0 && nanosleep(&ts, &ts) != 0)
        ;
}

hsmca_err hsmca_ct_submit(const char *url, X509 *const *chain, size_t n, int precert,
                          const hsmca_ct_submit_opts *opts, hsmca_sct **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_ct_submit_opts o = {10000, 3, 250};
    CURL *c = NULL;
    struct curl_slist *hdr = NULL;
    char *req = NULL, endpoint[2048], why[256] = "";
    char cerr[CURL_ERROR_SIZE];
    body b = {NULL, 0, 0};
    long status = 0, wait;
    size_t ulen;

    HSMCA_ENSURE(url != NULL && chain != NULL && n >= 1 && out != NULL, HSMCA_E_USAGE,
                 "hsmca_ct_submit: missing argument");
    *out = NULL;
    if (opts != NULL) {
        o = *opts;
        if (o.timeout_ms <= 0)
            o.timeout_ms = 10000;
        if (o.attempts <= 0)
            o.attempts = 1;
    }
    ulen = strlen(url);
    while (ulen > 0 && url[ulen - 1] == '/')
        ulen--;
    HSMCA_ENSURE(strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0,
                 HSMCA_E_USAGE, "CT log URL '%s' is not http:// or https://", url);
    /* RFC 6962 §4: <log url>/ct/v1/add-pre-chain. */
    HSMCA_ENSURE((size_t)snprintf(endpoint, sizeof endpoint, "%.*s/ct/v1/%s", (int)ulen, url,
                                  precert ? "add-pre-chain" : "add-chain") < sizeof endpoint,
                 HSMCA_E_USAGE, "CT log URL too long");
    pthread_once(&curl_once, curl_init);
    HSMCA_ENSURE(curl_init_rc == CURLE_OK, HSMCA_E_INTERNAL, "libcurl failed to start: %s",
                 curl_easy_strerror(curl_init_rc));
    HSMCA_GUARD(ct_certs_json("chain", chain, n, &req));
    c = curl_easy_init();
    HSMCA_ALLOC(c);
    hdr = curl_slist_append(NULL, "Content-Type: application/json");
    HSMCA_ALLOC(hdr);
    curl_easy_setopt(c, CURLOPT_URL, endpoint);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o.timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o.timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    /* Only the log's own answer: no redirects to somewhere else. */
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");

    wait = o.backoff_ms;
    for (int attempt = 1; attempt <= o.attempts; attempt++) {
        CURLcode rc;
        int retry;

        free(b.p);
        b = (body){NULL, 0, 0};
        cerr[0] = '\0';
        status = 0;
        rc = curl_easy_perform(c);
        if (rc == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (rc == CURLE_OK && status == 200)
            break;
        if (rc != CURLE_OK) {
            snprintf(why, sizeof why, "%s", b.too_big ? "the answer is larger than 64 KiB"
                                            : cerr[0] != '\0' ? cerr : curl_easy_strerror(rc));
            /* Transport failures (refused, reset, timed out) may pass. */
            retry = !b.too_big;
        } else {
            char said[160];
            describe_body(&b, said, sizeof said);
            snprintf(why, sizeof why, "HTTP %ld: %s", status, said);
            /* RFC 6962 does not say; what HTTP does: 5xx and 429 are
             * temporary, other 4xx are the request's fault. */
            retry = status >= 500 || status == 429;
        }
        if (!retry || attempt == o.attempts) {
            HSMCA_FAIL(HSMCA_E_IO, "CT log %.*s refused or failed the %s after %d attempt%s: %s",
                       (int)ulen, url, precert ? "precertificate" : "certificate", attempt,
                       attempt == 1 ? "" : "s", why);
        }
        hsmca_log(HSMCA_LOG_INFO, "CT log %.*s, attempt %d: %s; retrying in %ld ms", (int)ulen,
                  url, attempt, why, wait);
        sleep_ms(wait);
        wait = wait * 2 > 8000 ? 8000 : wait * 2;
    }
    err = hsmca_ct_sct_from_json(b.p != NULL ? b.p : "", b.len, out);
    if (err != HSMCA_OK)
        hsmca_err_context("CT log %.*s answered with a malformed SCT", (int)ulen, url);
out:
    curl_slist_free_all(hdr);
    if (c != NULL)
        curl_easy_cleanup(c);
    free(req);
    free(b.p);
    return err;
}
