/* hsmca verify — check a precertificate/final pair, its chain and SCTs. */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "cli.h"
#include "hsmca/clock.h"
#include "hsmca/ct.h"
#include "hsmca/file.h"
#include "hsmca/x509.h"

#define MAX_LOGS 64

static const char verify_help[] =
    "Usage: hsmca verify --final FILE --issuer-cert FILE [--precert FILE] [--root FILE]\n"
    "           --log-key FILE...\n"
    "\n"
    "Check what an issuance produced, with OpenSSL doing the cryptography:\n"
    "  - the final's (and precertificate's) signature with the issuer's key;\n"
    "  - with --precert: that the final corresponds to it byte for byte\n"
    "    (BR 7.1.2.9, RFC 6962 §3.2);\n"
    "  - with --root: the chain final -> issuer -> root (OpenSSL's verifier, at\n"
    "    the clock's time);\n"
    "  - every embedded SCT against the log keys, with OpenSSL's own CT\n"
    "    validation (SCT_LIST_validate), and hsmca's.\n"
    "Exit status 0 when every check passes, 1 otherwise (each failure printed).\n";

enum { OPT_FINAL = 0x500, OPT_PRECERT, OPT_ISSUER_CERT, OPT_ROOT, OPT_LOG_KEY };

struct verify_args {
    const char *final, *precert, *issuer, *root;
    const char *logs[MAX_LOGS];
    size_t n_logs;
};

static int take_verify(void *vctx, int opt, const char *arg)
{
    struct verify_args *a = vctx;

    switch (opt) {
    case OPT_FINAL: a->final = arg; return 1;
    case OPT_PRECERT: a->precert = arg; return 1;
    case OPT_ISSUER_CERT: a->issuer = arg; return 1;
    case OPT_ROOT: a->root = arg; return 1;
    case OPT_LOG_KEY:
        if (a->n_logs >= MAX_LOGS) {
            fprintf(stderr, "hsmca: at most %d --log-key files\n", MAX_LOGS);
            return -1;
        }
        a->logs[a->n_logs++] = arg;
        return 1;
    default: return 0;
    }
}

/* Print one check's result; count failures. */
static void report(int *failures, int ok, const char *what)
{
    if (ok) {
        printf("ok   %s\n", what);
    } else {
        char msg[1024];
        printf("FAIL %s: %s\n", what, hsmca_err_format(msg, sizeof(msg)));
        (*failures)++;
    }
    hsmca_err_clear();
}

static hsmca_err check_sig(X509 *cert, X509 *issuer, const char *what)
{
    if (X509_verify(cert, X509_get0_pubkey(issuer)) == 1)
        return HSMCA_OK;
    return hsmca_err_openssl(HSMCA_E_VERIFY, "the %s's signature does not verify with the "
                             "issuer's key", what);
}

static hsmca_err check_chain(X509 *final, X509 *issuer, X509 *root)
{
    hsmca_err err = HSMCA_OK;
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();

    HSMCA_ALLOC(store);
    HSMCA_ALLOC(ctx);
    HSMCA_ALLOC(untrusted);
    HSMCA_OSSL(X509_STORE_add_cert(store, root) == 1 && sk_X509_push(untrusted, issuer) > 0,
               "cannot set up the chain check");
    HSMCA_OSSL(X509_STORE_CTX_init(ctx, store, final, untrusted) == 1,
               "cannot set up the chain check");
    X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_X509_STRICT);
    X509_STORE_CTX_set_time(ctx, 0, (time_t)hsmca_clock_now());
    if (X509_verify_cert(ctx) != 1) {
        int e = X509_STORE_CTX_get_error(ctx);
        ERR_clear_error();
        HSMCA_FAIL(HSMCA_E_VERIFY, "%s (depth %d)", X509_verify_cert_error_string(e),
                   X509_STORE_CTX_get_error_depth(ctx));
    }
out:
    sk_X509_free(untrusted);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return err;
}

static int do_verify(const struct verify_args *a)
{
    X509 *final = NULL, *precert = NULL, *issuer = NULL, *root = NULL;
    hsmca_ct_log *logs = NULL;
    hsmca_sct **scts = NULL;
    size_t n_logs = 0, n_scts = 0, valid = 0, total = 0;
    int failures = 0, ok;
    char what[160];

    if (cli_read_cert(a->final, &final) != HSMCA_OK ||
        cli_read_cert(a->issuer, &issuer) != HSMCA_OK ||
        (a->precert != NULL && cli_read_cert(a->precert, &precert) != HSMCA_OK) ||
        (a->root != NULL && cli_read_cert(a->root, &root) != HSMCA_OK) ||
        (a->n_logs > 0 && hsmca_ct_logs_load(a->logs, a->n_logs, &logs, &n_logs) != HSMCA_OK)) {
        cli_fail();
        failures = -1;
        goto out;
    }
    report(&failures, check_sig(final, issuer, "final certificate") == HSMCA_OK,
           "final certificate signed by the issuer");
    ok = hsmca_ct_poison_count(final) == 0 && hsmca_ct_sct_list_count(final) <= 1;
    if (!ok)
        hsmca_err_setf(HSMCA_E_VERIFY, "%d poison and %d SCT list extensions",
                       hsmca_ct_poison_count(final), hsmca_ct_sct_list_count(final));
    report(&failures, ok, "final certificate: no poison, at most one SCT list (RFC 6962 §3.3)");
    if (precert != NULL) {
        report(&failures, check_sig(precert, issuer, "precertificate") == HSMCA_OK,
               "precertificate signed by the issuer");
        report(&failures, hsmca_ct_correspond(precert, final) == HSMCA_OK,
               "final corresponds to the precertificate (BR 7.1.2.9)");
    }
    if (root != NULL)
        report(&failures, check_chain(final, issuer, root) == HSMCA_OK,
               "chain final -> issuer -> root (OpenSSL)");
    if (hsmca_ct_sct_list_from_cert(final, &scts, &n_scts) != HSMCA_OK) {
        report(&failures, 0, "embedded SCT list");
        goto out;
    }
    if (n_logs == 0) {
        hsmca_err_setf(HSMCA_E_USAGE, "no --log-key given, so no SCT can be checked");
        report(&failures, 0, "SCTs");
        goto out;
    }
    for (size_t i = 0; i < n_scts && precert != NULL; i++) {
        const hsmca_ct_log *log = hsmca_ct_log_find(logs, n_logs, scts[i]->log_id);
        snprintf(what, sizeof(what), "SCT %zu (log %s) verifies over the precertificate (hsmca)",
                 i + 1, log != NULL ? log->name : "unknown");
        if (log == NULL)
            hsmca_err_setf(HSMCA_E_VERIFY, "the SCT's log id is not one of the given logs");
        report(&failures, log != NULL &&
                              hsmca_ct_sct_verify(scts[i], log->key, precert, issuer) == HSMCA_OK,
               what);
    }
    if (hsmca_ct_openssl_validate(final, issuer, logs, n_logs,
                                  (uint64_t)hsmca_clock_now() * 1000u, &valid, &total) != HSMCA_OK) {
        report(&failures, 0, "OpenSSL CT validation");
    } else {
        snprintf(what, sizeof(what), "OpenSSL CT validation: %zu of %zu embedded SCTs valid",
                 valid, total);
        if (valid != total || total == 0)
            hsmca_err_setf(HSMCA_E_VERIFY, "OpenSSL rejects %zu SCT(s)", total - valid);
        report(&failures, valid == total && total > 0, what);
    }
out:
    hsmca_ct_sct_list_free(scts, n_scts);
    hsmca_ct_logs_free(logs, n_logs);
    X509_free(final);
    X509_free(precert);
    X509_free(issuer);
    X509_free(root);
    if (failures < 0)
        return CLI_FAIL;
    if (failures > 0)
        fprintf(stderr, "hsmca: %d check(s) failed\n", failures);
    return failures == 0 ? CLI_OK : CLI_FAIL;
}

int cli_cmd_verify(const cli_globals *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"final", required_argument, NULL, OPT_FINAL},
        {"precert", required_argument, NULL, OPT_PRECERT},
        {"issuer-cert", required_argument, NULL, OPT_ISSUER_CERT},
        {"root", required_argument, NULL, OPT_ROOT},
        {"log-key", required_argument, NULL, OPT_LOG_KEY},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *cmd = "hsmca verify";
    struct verify_args a;
    int done, rc;

    (void)g;
    memset(&a, 0, sizeof(a));
    rc = cli_parse(argc, argv, cmd, verify_help, opts, take_verify, &a, &done);
    if (rc != CLI_OK || done)
        return rc;
    if (optind != argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (a.final == NULL || a.issuer == NULL)
        return cli_usage_error(cmd, "--final and --issuer-cert are required");
    return do_verify(&a);
}
