/* hsmca serve — one process for the issuance API, OCSP, CRLs, CA
 * certificates and RFC 6962 test logs (issue #6, docs/serve.md). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cli.h"
#include "hsmca/crl.h"
#include "hsmca/file.h"
#include "hsmca/http.h"
#include "hsmca/log.h"
#include "hsmca/ocsp.h"
#include "hsmca/secret.h"
#include "hsmca/x509.h"

#define MAX_ITEMS 32

static const char serve_help[] =
    "Usage: hsmca [--state DIR] serve [OPTIONS]\n"
    "\n"
    "Serve, from the store and the issuers' tokens, until SIGTERM or SIGINT:\n"
    "OCSP (GET and POST, /ocsp/ISSUER), CRLs (/crl/ISSUER.crl) and CA certificates\n"
    "(/ca/ISSUER.der) at the URLs the profiles put in certificates, the JSON\n"
    "issuance API (/api/v1/...), and RFC 6962 test CT logs (/ct/LOG/ct/v1/...).\n"
    "docs/serve.md lists every endpoint with a curl example.\n"
    "\n"
    "  --listen HOST:PORT   address to listen on (default 127.0.0.1:8080; port 0:\n"
    "                       any free port). A non-loopback address needs\n"
    "                       --api-token-file\n"
    "  --issuer NAME        serve this issuer (repeatable; default: every issuer in\n"
    "                       the store). Their tokens are opened once, at start\n"
    "  --pin-file FILE      the token PIN for every issuer, instead of each issuer's\n"
    "                       configured source\n"
    "  --ct-log SPEC        run a test CT log (repeatable). SPEC is\n"
    "                       NAME=KEYFILE[,operator=OP][,reject][,delay=MS][,fail=F]\n"
    "                       [,wrong-key] with KEYFILE a PEM private key (hsmca ctlog\n"
    "                       keygen); knobs: reject every submission, answer after MS\n"
    "                       milliseconds, fail a fraction F of calls with 503, sign\n"
    "                       with a wrong key. PUT /api/v1/ct-logs/NAME changes them\n"
    "  --ct-root FILE       a root the test logs accept (repeatable; default: any chain)\n"
    "  --log-key FILE       another CT log's public key (PEM) whose SCTs the API\n"
    "                       accepts (repeatable); the test logs' keys always are\n"
    "  --allow-log-url PREFIX  let POST /api/v1/certificates submit to log URLs\n"
    "                       starting with PREFIX (repeatable); this server's own test\n"
    "                       logs are always allowed, nothing else is by default\n"
    "  --file PATH=FILE     also serve FILE at PATH, e.g. /ca/root.der=root.pem or\n"
    "                       /crl/root.crl=root.crl (PEM is served as DER)\n"
    "  --api-token-file FILE  require 'Authorization: Bearer <first line of FILE>'\n"
    "                       on the API's POST and PUT calls\n"
    "  --ocsp-validity D    OCSP nextUpdate - thisUpdate + 1 s (8h..10d; default 4d)\n"
    "  --crl-validity D     CRL nextUpdate - thisUpdate (at most 10d; default 7d)\n"
    "  --max-connections N  connections served at once, one thread each (default 256)\n"
    "  --timeout SECONDS    idle connection timeout (default 30)\n"
    "  --port-file FILE     write the port listened on to FILE once listening\n";

enum {
    OPT_LISTEN = 0x800, OPT_ISSUER, OPT_PIN, OPT_CT_LOG, OPT_CT_ROOT, OPT_LOG_KEY, OPT_FILE,
    OPT_TOKEN_FILE, OPT_OCSP_VAL, OPT_CRL_VAL, OPT_MAX_CONN, OPT_TIMEOUT, OPT_PORT_FILE,
    OPT_ALLOW_LOG
};

struct serve_args {
    const char *listen, *pin_file, *token_file, *ocsp_validity, *crl_validity, *port_file;
    const char *issuers[MAX_ITEMS], *logs[MAX_ITEMS], *roots[MAX_ITEMS], *log_keys[MAX_ITEMS];
    const char *files[MAX_ITEMS], *allow_logs[MAX_ITEMS];
    size_t n_issuers, n_logs, n_roots, n_log_keys, n_files, n_allow_logs;
    unsigned max_conn, timeout;
};

static int push(const char **v, size_t *n, const char *arg, const char *what)
{
    if (*n >= MAX_ITEMS) {
        fprintf(stderr, "hsmca: at most %d %s\n", MAX_ITEMS, what);
        return -1;
    }
    v[(*n)++] = arg;
    return 1;
}

static int take_uint(const char *arg, unsigned max, unsigned *out, const char *opt)
{
    char *end;
    unsigned long v = strtoul(arg, &end, 10);

    if (end == arg || *end != '\0' || v == 0 || v > max) {
        cli_usage_error("hsmca serve", "%s '%s' is not a number from 1 to %u", opt, arg, max);
        return -1;
    }
    *out = (unsigned)v;
    return 1;
}

static int take_serve(void *vctx, int opt, const char *arg)
{
    struct serve_args *a = vctx;

    switch (opt) {
    case OPT_LISTEN: a->listen = arg; return 1;
    case OPT_ISSUER: return push(a->issuers, &a->n_issuers, arg, "--issuer");
    case OPT_PIN: a->pin_file = arg; return 1;
    case OPT_CT_LOG: return push(a->logs, &a->n_logs, arg, "--ct-log");
    case OPT_CT_ROOT: return push(a->roots, &a->n_roots, arg, "--ct-root");
    case OPT_LOG_KEY: return push(a->log_keys, &a->n_log_keys, arg, "--log-key");
    case OPT_FILE: return push(a->files, &a->n_files, arg, "--file");
    case OPT_ALLOW_LOG: return push(a->allow_logs, &a->n_allow_logs, arg, "--allow-log-url");
    case OPT_TOKEN_FILE: a->token_file = arg; return 1;
    case OPT_OCSP_VAL: a->ocsp_validity = arg; return 1;
    case OPT_CRL_VAL: a->crl_validity = arg; return 1;
    case OPT_MAX_CONN: return take_uint(arg, 10000, &a->max_conn, "--max-connections");
    case OPT_TIMEOUT: return take_uint(arg, 3600, &a->timeout, "--timeout");
    case OPT_PORT_FILE: a->port_file = arg; return 1;
    default: return 0;
    }
}

/* Everything serve holds open. */
typedef struct serve_state {
    hsmca_store *st;
    hsmca_hsm *hsm;
    hsmca_ca *cas[MAX_ITEMS];
    size_t n_cas;
    hsmca_ocsp_responder *ocsp;
    hsmca_ct_testlog *logs[MAX_ITEMS];
    size_t n_logs;
    hsmca_ct_log *log_keys;
    size_t n_log_keys;
    hsmca_http_file files[MAX_ITEMS];
    uint8_t *file_data[MAX_ITEMS];
    size_t n_files;
    hsmca_secret *token;
    X509 *roots[MAX_ITEMS];
    size_t n_roots;
} serve_state;

static void state_free(serve_state *s)
{
    hsmca_ocsp_responder_free(s->ocsp);
    for (size_t i = 0; i < s->n_logs; i++)
        hsmca_ct_testlog_free(s->logs[i]);
    hsmca_ct_logs_free(s->log_keys, s->n_log_keys);
    for (size_t i = 0; i < s->n_cas; i++)
        hsmca_ca_free(s->cas[i]);
    for (size_t i = 0; i < s->n_files; i++)
        OPENSSL_free(s->file_data[i]);
    for (size_t i = 0; i < s->n_roots; i++)
        X509_free(s->roots[i]);
    hsmca_secret_free(s->token);
    hsmca_hsm_free(s->hsm);
    hsmca_store_close(s->st);
}

/* The OCSP responder's signer: the served CA's (opened at start). */
static hsmca_err signer_for(void *ctx, const hsmca_store_issuer *is, hsmca_ocsp_signer *out)
{
    serve_state *s = ctx;

    for (size_t i = 0; i < s->n_cas; i++)
        if (hsmca_ca_get0_issuer(s->cas[i])->id == is->id)
            return hsmca_ca_ocsp_signer(s->cas[i], &out->key, &out->cert, &out->delegated);
    return hsmca_err_setf(HSMCA_E_NOT_FOUND, "issuer '%s' is in the store but not served "
                          "(hsmca serve --issuer)", is->name);
}

/* Open the issuers to serve: --issuer names, else every issuer. */
static hsmca_err open_issuers(const cli_globals *g, const struct serve_args *a, serve_state *s)
{
    hsmca_err err = HSMCA_OK;
    hsmca_store_issuer **all = NULL;
    size_t n = 0;
    hsmca_secret *pin = NULL;
    const char *module = g->module;

    HSMCA_GUARD(hsmca_store_issuers(s->st, &all, &n));
    HSMCA_ENSURE(n > 0, HSMCA_E_STATE, "the store has no issuer to serve (hsmca issuer add)");
    if (a->pin_file != NULL) {
        hsmca_pin_source src = {a->pin_file, NULL, 0, "user PIN"};
        HSMCA_GUARD(hsmca_secret_read_pin(&src, &pin));
    }
    {
        const char *names[MAX_ITEMS];
        size_t m = 0;

        for (size_t i = 0; i < n; i++) {
            int want = a->n_issuers == 0;
            for (size_t k = 0; k < a->n_issuers; k++)
                want |= strcmp(a->issuers[k], all[i]->name) == 0;
            if (!want)
                continue;
            HSMCA_ENSURE(m < MAX_ITEMS, HSMCA_E_USAGE, "at most %d issuers", MAX_ITEMS);
            if (module == NULL)
                module = all[i]->module;
            HSMCA_ENSURE(module == NULL || all[i]->module == NULL ||
                             strcmp(module, all[i]->module) == 0,
                         HSMCA_E_USAGE, "issuers use different PKCS#11 modules; serve one "
                         "module's issuers per process (--issuer)");
            names[m++] = all[i]->name;
        }
        if (m > 0) {
            HSMCA_GUARD(hsmca_hsm_open(module, &s->hsm));
            /* Issuers whose keys share a token share its one session. */
            HSMCA_GUARD(hsmca_ca_open_many(s->st, s->hsm, names, m, pin, s->cas));
            s->n_cas = m;
        }
    }
    for (size_t k = 0; k < a->n_issuers; k++) {
        int found = 0;
        for (size_t i = 0; i < s->n_cas; i++)
            found |= strcmp(hsmca_ca_get0_issuer(s->cas[i])->name, a->issuers[k]) == 0;
        HSMCA_ENSURE(found, HSMCA_E_NOT_FOUND, "--issuer %s: no such issuer in the store",
                     a->issuers[k]);
    }
out:
    hsmca_secret_free(pin);
    hsmca_store_issuers_free(all, n);
    return err;
}

/* --ct-log NAME=KEYFILE[,operator=OP][,reject][,delay=MS][,fail=F][,wrong-key] */
static hsmca_err open_log(const char *spec, serve_state *s)
{
    hsmca_err err = HSMCA_OK;
    char *copy = strdup(spec), *name, *file, *opt, *save = NULL, *end;
    const char *op = NULL;
    hsmca_ct_testlog_knobs k = {0, 0, 0.0, 0};
    uint8_t *data = NULL;
    size_t len = 0;
    BIO *bio = NULL;
    EVP_PKEY *key = NULL;

    HSMCA_ALLOC(copy);
    name = copy;
    file = strchr(copy, '=');
    HSMCA_ENSURE(file != NULL && file != copy, HSMCA_E_USAGE,
                 "--ct-log '%s': expected NAME=KEYFILE[,knob...]", spec);
    *file++ = '\0';
    opt = strchr(file, ',');
    if (opt != NULL)
        *opt++ = '\0';
    for (char *t = opt != NULL ? strtok_r(opt, ",", &save) : NULL; t != NULL;
         t = strtok_r(NULL, ",", &save)) {
        if (strcmp(t, "reject") == 0) {
            k.reject = 1;
        } else if (strcmp(t, "wrong-key") == 0) {
            k.wrong_key = 1;
        } else if (strncmp(t, "operator=", 9) == 0 && t[9] != '\0') {
            op = t + 9;
            for (const char *p = op; *p != '\0'; p++)
                HSMCA_ENSURE(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789._- ", *p) != NULL,
                             HSMCA_E_USAGE, "--ct-log %s: operator names use letters, digits, "
                             "space, '.', '-', '_'", name);
        } else if (strncmp(t, "delay=", 6) == 0) {
            unsigned long v = strtoul(t + 6, &end, 10);
            HSMCA_ENSURE(end != t + 6 && *end == '\0' && v <= 60000, HSMCA_E_USAGE,
                         "--ct-log %s: delay=%s is not 0..60000 milliseconds", name, t + 6);
            k.delay_ms = (unsigned)v;
        } else if (strncmp(t, "fail=", 5) == 0) {
            double v = strtod(t + 5, &end);
            HSMCA_ENSURE(end != t + 5 && *end == '\0' && v >= 0.0 && v <= 1.0, HSMCA_E_USAGE,
                         "--ct-log %s: fail=%s is not a fraction from 0 to 1", name, t + 5);
            k.fail_fraction = v;
        } else {
            HSMCA_FAIL(HSMCA_E_USAGE, "--ct-log %s: unknown knob '%s' (operator=, reject, "
                       "delay=, fail=, wrong-key)", name, t);
        }
    }
    HSMCA_GUARD(hsmca_file_read(file, 64 * 1024, &data, &len));
    bio = BIO_new_mem_buf(data, (int)len);
    HSMCA_ALLOC(bio);
    key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    HSMCA_OSSL(key != NULL, "--ct-log %s: %s is not a PEM private key", name, file);
    HSMCA_ENSURE(s->n_logs < MAX_ITEMS, HSMCA_E_USAGE, "at most %d test logs", MAX_ITEMS);
    for (size_t i = 0; i < s->n_logs; i++)
        HSMCA_ENSURE(strcmp(hsmca_ct_testlog_name(s->logs[i]), name) == 0 ? 0 : 1,
                     HSMCA_E_USAGE, "--ct-log %s given twice", name);
    err = hsmca_ct_testlog_new(name, op, key, s->roots, s->n_roots, &s->logs[s->n_logs]);
    if (err != HSMCA_OK) {
        hsmca_err_context("--ct-log %s", name);
        goto out;
    }
    s->n_logs++;
    HSMCA_GUARD(hsmca_ct_testlog_set_knobs(s->logs[s->n_logs - 1], &k));
out:
    EVP_PKEY_free(key);
    BIO_free(bio);
    if (data != NULL)
        OPENSSL_cleanse(data, len);
    free(data);
    free(copy);
    return err;
}

/* The keys the API trusts: every test log's, then --log-key files. */
static hsmca_err trusted_logs(const struct serve_args *a, serve_state *s)
{
    hsmca_err err = HSMCA_OK;
    hsmca_ct_log *files = NULL, *all = NULL;
    size_t n_files = 0, n = 0;

    if (a->n_log_keys > 0)
        HSMCA_GUARD(hsmca_ct_logs_load(a->log_keys, a->n_log_keys, &files, &n_files));
    all = calloc(s->n_logs + n_files + 1, sizeof *all);
    HSMCA_ALLOC(all);
    for (size_t i = 0; i < s->n_logs; i++, n++) {
        all[n].name = strdup(hsmca_ct_testlog_name(s->logs[i]));
        all[n].operator_name = strdup(hsmca_ct_testlog_operator(s->logs[i]));
        HSMCA_ALLOC(all[n].name);
        HSMCA_ALLOC(all[n].operator_name);
        all[n].key = hsmca_ct_testlog_key(s->logs[i]);
        EVP_PKEY_up_ref(all[n].key);
        memcpy(all[n].log_id, hsmca_ct_testlog_id(s->logs[i]), 32);
    }
    for (size_t i = 0; i < n_files; i++, n++) {
        all[n] = files[i];
        memset(&files[i], 0, sizeof files[i]);
    }
    s->log_keys = all;
    s->n_log_keys = n;
    all = NULL;
out:
    hsmca_ct_logs_free(all, n);
    hsmca_ct_logs_free(files, n_files);
    return err;
}

/* --file PATH=FILE: PEM certificates and CRLs are served as DER. */
static hsmca_err add_file(const char *spec, serve_state *s)
{
    hsmca_err err = HSMCA_OK;
    const char *eq = strchr(spec, '='), *type = "application/octet-stream";
    uint8_t *data = NULL;
    unsigned char *der = NULL;
    size_t len = 0, plen;
    BIO *bio = NULL;
    X509 *x = NULL;
    X509_CRL *crl = NULL;
    int n = 0;

    HSMCA_ENSURE(eq != NULL && spec[0] == '/' && eq > spec + 1, HSMCA_E_USAGE,
                 "--file '%s': expected /PATH=FILE", spec);
    HSMCA_ENSURE(s->n_files < MAX_ITEMS, HSMCA_E_USAGE, "at most %d --file", MAX_ITEMS);
    plen = (size_t)(eq - spec);
    HSMCA_GUARD(hsmca_file_read(eq + 1, 16 * 1024 * 1024, &data, &len));
    if (plen > 4 && strncmp(eq - 4, ".der", 4) == 0)
        type = "application/pkix-cert";
    else if (plen > 4 && strncmp(eq - 4, ".crl", 4) == 0)
        type = "application/pkix-crl";
    else if (plen > 4 && strncmp(eq - 4, ".pem", 4) == 0)
        type = "application/x-pem-file";
    /* A .der or .crl path serves DER (RFC 5280 §4.2.2.1, §4.2.1.13: what
     * AIA and CRLDP clients expect), converting PEM; any other path serves
     * the file as it is. */
    if ((strcmp(type, "application/pkix-cert") == 0 ||
         strcmp(type, "application/pkix-crl") == 0) &&
        len > 10 && memcmp(data, "-----BEGIN", 10) == 0) {
        bio = BIO_new_mem_buf(data, (int)len);
        HSMCA_ALLOC(bio);
        if (strstr((char *)data, "BEGIN X509 CRL") != NULL) {
            crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
            n = crl != NULL ? i2d_X509_CRL(crl, &der) : 0;
        } else {
            x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
            n = x != NULL ? i2d_X509(x, &der) : 0;
        }
        HSMCA_OSSL(n > 0, "--file %s: not a PEM certificate or CRL", eq + 1);
    }
    if (der == NULL) {
        der = OPENSSL_malloc(len > 0 ? len : 1);
        HSMCA_ALLOC(der);
        memcpy(der, data, len);
        n = (int)len;
    }
    s->file_data[s->n_files] = der;
    s->files[s->n_files] = (hsmca_http_file){NULL, der, (size_t)n, type};
    /* The path: the spec up to '=' (spec outlives the server: argv). */
    s->files[s->n_files].path = strndup(spec, plen);
    HSMCA_ALLOC(s->files[s->n_files].path);
    s->n_files++;
    der = NULL;
out:
    OPENSSL_free(der);
    BIO_free(bio);
    X509_free(x);
    X509_CRL_free(crl);
    free(data);
    return err;
}

static hsmca_err read_root(const char *path, serve_state *s)
{
    hsmca_err err = HSMCA_OK;

    HSMCA_ENSURE(s->n_roots < MAX_ITEMS, HSMCA_E_USAGE, "at most %d --ct-root", MAX_ITEMS);
    err = cli_read_cert(path, &s->roots[s->n_roots]);
    if (err != HSMCA_OK) {
        hsmca_err_context("--ct-root");
        goto out;
    }
    s->n_roots++;
out:
    return err;
}

/* "127.0.0.1:8080", "[::1]:8080", ":8080" */
static hsmca_err parse_listen(const char *s, char *host, size_t host_len, uint16_t *port)
{
    hsmca_err err = HSMCA_OK;
    const char *colon;
    char *end;
    unsigned long p;

    strcpy(host, "127.0.0.1");
    *port = HSMCA_HTTP_DEFAULT_PORT;
    if (s == NULL)
        goto out;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        HSMCA_ENSURE(close != NULL && close[1] == ':' && (size_t)(close - s - 1) < host_len,
                     HSMCA_E_USAGE, "--listen '%s': expected [IPv6]:PORT", s);
        memcpy(host, s + 1, (size_t)(close - s - 1));
        host[close - s - 1] = '\0';
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        HSMCA_ENSURE(colon != NULL && (size_t)(colon - s) < host_len, HSMCA_E_USAGE,
                     "--listen '%s': expected HOST:PORT, e.g. 127.0.0.1:8080", s);
        if (colon > s) {
            memcpy(host, s, (size_t)(colon - s));
            host[colon - s] = '\0';
        }
    }
    p = strtoul(colon + 1, &end, 10);
    HSMCA_ENSURE(end != colon + 1 && *end == '\0' && p <= 65535, HSMCA_E_USAGE,
                 "--listen '%s': the port is not 0..65535", s);
    *port = (uint16_t)p;
out:
    return err;
}

static hsmca_err do_serve(const cli_globals *g, const struct serve_args *a)
{
    hsmca_err err = HSMCA_OK;
    serve_state s;
    hsmca_http_config cfg;
    hsmca_http *h = NULL;
    hsmca_time ocsp_validity = 0, crl_validity = 0;
    const char *state;
    char host[64], portbuf[16];
    uint16_t port;
    sigset_t sigs;
    int sig = 0;

    memset(&s, 0, sizeof s);
    memset(&cfg, 0, sizeof cfg);
    HSMCA_GUARD(parse_listen(a->listen, host, sizeof host, &port));
    HSMCA_GUARD(cli_duration("--ocsp-validity", a->ocsp_validity, &ocsp_validity));
    HSMCA_GUARD(cli_duration("--crl-validity", a->crl_validity, &crl_validity));
    HSMCA_ENSURE(crl_validity <= HSMCA_CRL_VALIDITY_MAX, HSMCA_E_USAGE,
                 "--crl-validity %s is more than the 10 days BR 4.9.7 allows", a->crl_validity);
    if (a->token_file != NULL) {
        hsmca_pin_source src = {a->token_file, NULL, 0, "API token"};
        HSMCA_GUARD(hsmca_secret_read_pin(&src, &s.token));
    }
    for (size_t i = 0; i < a->n_roots; i++)
        HSMCA_GUARD(read_root(a->roots[i], &s));
    for (size_t i = 0; i < a->n_logs; i++)
        HSMCA_GUARD(open_log(a->logs[i], &s));
    HSMCA_GUARD(trusted_logs(a, &s));
    for (size_t i = 0; i < a->n_files; i++)
        HSMCA_GUARD(add_file(a->files[i], &s));
    HSMCA_GUARD(cli_state_dir(g, &state));
    HSMCA_GUARD(hsmca_store_open(state, &s.st));
    HSMCA_GUARD(open_issuers(g, a, &s));
    HSMCA_GUARD(hsmca_ocsp_responder_new(s.st, signer_for, &s, ocsp_validity, &s.ocsp));

    cfg.host = host;
    cfg.port = port;
    cfg.max_connections = a->max_conn != 0 ? a->max_conn : 256;
    cfg.timeout_s = a->timeout;
    cfg.api_token = s.token;
    cfg.store = s.st;
    cfg.cas = s.cas;
    cfg.n_cas = s.n_cas;
    cfg.ocsp = s.ocsp;
    cfg.crl_validity = crl_validity;
    cfg.logs = s.logs;
    cfg.n_logs = s.n_logs;
    cfg.log_keys = s.log_keys;
    cfg.n_log_keys = s.n_log_keys;
    cfg.files = s.files;
    cfg.n_files = s.n_files;
    cfg.log_prefixes = a->allow_logs;
    cfg.n_log_prefixes = a->n_allow_logs;
    cfg.profiles_dir = cli_profiles_dir(NULL);

    /* Block the stop signals before any thread starts, so that every
     * thread inherits the mask and only sigwait below sees them. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    HSMCA_GUARD(hsmca_http_start(&cfg, &h));
    if (a->port_file != NULL) {
        snprintf(portbuf, sizeof portbuf, "%u\n", hsmca_http_port(h));
        HSMCA_GUARD(hsmca_file_write_replace(a->port_file, portbuf, strlen(portbuf), 0644));
    }
    printf("hsmca serve: listening on http://%s%s%s:%u (%zu issuer%s, %zu test log%s)\n",
           strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
           hsmca_http_port(h), s.n_cas, s.n_cas == 1 ? "" : "s", s.n_logs,
           s.n_logs == 1 ? "" : "s");
    fflush(stdout);
    while (sigwait(&sigs, &sig) != 0)
        ;
    hsmca_log(HSMCA_LOG_WARN, "serve: %s: finishing the requests in flight, then stopping",
              sig == SIGTERM ? "SIGTERM" : "SIGINT");
    hsmca_http_stop(h);
    h = NULL;
    printf("hsmca serve: stopped\n");
out:
    hsmca_http_stop(h);
    for (size_t i = 0; i < s.n_files; i++)
        free((char *)(uintptr_t)s.files[i].path);
    state_free(&s);
    return err;
}

int cli_cmd_serve(const cli_globals *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"issuer", required_argument, NULL, OPT_ISSUER},
        {"pin-file", required_argument, NULL, OPT_PIN},
        {"ct-log", required_argument, NULL, OPT_CT_LOG},
        {"ct-root", required_argument, NULL, OPT_CT_ROOT},
        {"log-key", required_argument, NULL, OPT_LOG_KEY},
        {"file", required_argument, NULL, OPT_FILE},
        {"allow-log-url", required_argument, NULL, OPT_ALLOW_LOG},
        {"api-token-file", required_argument, NULL, OPT_TOKEN_FILE},
        {"ocsp-validity", required_argument, NULL, OPT_OCSP_VAL},
        {"crl-validity", required_argument, NULL, OPT_CRL_VAL},
        {"max-connections", required_argument, NULL, OPT_MAX_CONN},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"port-file", required_argument, NULL, OPT_PORT_FILE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct serve_args a;
    int done, rc;

    memset(&a, 0, sizeof a);
    rc = cli_parse(argc, argv, "hsmca serve", serve_help, opts, take_serve, &a, &done);
    if (rc != CLI_OK || done)
        return rc;
    if (optind != argc)
        return cli_usage_error("hsmca serve", "unexpected argument '%s'", argv[optind]);
    if (do_serve(g, &a) != HSMCA_OK)
        return hsmca_err_last() == HSMCA_E_USAGE ? (cli_fail(), CLI_USAGE) : cli_fail();
    return CLI_OK;
}
