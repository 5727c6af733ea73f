/* hsmca issue — precertificates and final certificates. */
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "hsmca/ca.h"
#include "hsmca/file.h"
#include "hsmca/secret.h"
#include "hsmca/x509.h"

#define MAX_NAMES 100
#define MAX_SCTS 16
#define MAX_LOGS 64

static const char issue_help[] =
    "Usage: hsmca [--state DIR] issue COMMAND [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  precert      issue a precertificate (RFC 6962 §3.1) from a CSR or public key\n"
    "  final        issue the final certificate for a precertificate, with its SCTs\n"
    "  cert         both, getting the SCTs from CT logs over HTTP (RFC 6962)\n"
    "\n"
    "docs/issuance.md walks through the whole flow.\n";

static const char precert_help[] =
    "Usage: hsmca [--state DIR] issue precert --issuer NAME (--csr FILE | --pubkey FILE)\n"
    "           (--dns NAME | --ip ADDR)... [--profile NAME] [--out FILE]\n"
    "\n"
    "Issue a precertificate: the TBS is built from the profile with a fresh\n"
    "serial (16 bytes from the token's RNG) and the critical CT poison, linted\n"
    "(signed first by a throwaway key), and only then is the serial reserved in\n"
    "the store and the TBS signed by the token. A refused request uses no serial.\n"
    "\n"
    "  --issuer NAME        a registered issuer (hsmca issuer list)\n"
    "  --csr FILE           a PKCS#10 request (PEM or DER); its signature must\n"
    "                       verify. Only its key is used: names come from --dns/--ip\n"
    "  --pubkey FILE        or a public key (PEM or DER SubjectPublicKeyInfo)\n"
    "  --dns NAME           a DNS name for the SAN (repeatable)\n"
    "  --ip ADDR            an IPv4 or IPv6 address for the SAN (repeatable)\n"
    "  --profile NAME       leaf profile (default: the issuer's, else tls-server)\n"
    "  --profiles DIR       where profile names are found\n"
    "  --skip-lint ID       allow a lint finding on purpose (negative tests)\n"
    "  --out FILE           write the precertificate (PEM) here; never overwritten.\n"
    "                       Default: stdout\n"
    "  --pin-file FILE      the token PIN, instead of the issuer's configured source\n"
    "\n"
    "Prints 'serial: HEX' (to stderr when the certificate goes to stdout).\n";

static const char final_help[] =
    "Usage: hsmca [--state DIR] issue final --issuer NAME (--serial HEX | --precert FILE)\n"
    "           [--sct FILE...] [--log-key FILE...] [--out FILE]\n"
    "\n"
    "Issue the final certificate for a stored precertificate: every SCT must\n"
    "verify against a known log key over this precertificate; the final TBS is\n"
    "the precertificate's with the poison replaced by the SCT list, proven to\n"
    "correspond byte for byte (BR 7.1.2.9, RFC 6962 §3.2), linted, and signed\n"
    "by the token. A precertificate gets at most one final certificate.\n"
    "\n"
    "  --serial HEX         the precertificate's serial\n"
    "  --precert FILE       or the precertificate itself (must match the stored one)\n"
    "  --sct FILE           an SCT: an RFC 6962 add-pre-chain JSON response or a\n"
    "                       TLS-encoded SignedCertificateTimestamp (repeatable; embedded\n"
    "                       in this order). Without --sct: finish the final that was\n"
    "                       claimed for this precertificate before (a run cut off\n"
    "                       after its claim), with the SCTs it claimed\n"
    "  --log-key FILE       a CT log's public key (PEM; repeatable). Default: every\n"
    "                       STATE/ct-logs/*.pem\n"
    "  --out FILE           write the final certificate (PEM); default stdout\n"
    "  --skip-lint ID       the same lint ids the precertificate was issued with\n"
    "  --pin-file FILE      the token PIN, instead of the issuer's configured source\n";

static const char cert_help[] =
    "Usage: hsmca [--state DIR] issue cert --issuer NAME (--csr FILE | --pubkey FILE)\n"
    "           (--dns NAME | --ip ADDR)... --log URL... [--log-key FILE...]\n"
    "           [--min-scts N] [--min-operators N] [--out FILE] [--precert-out FILE]\n"
    "\n"
    "The whole flow: issue the precertificate (as 'issue precert'), submit it\n"
    "with its issuer to each CT log URL in turn (RFC 6962 add-pre-chain), verify\n"
    "every SCT against the known log keys, and once the CT policy is met issue\n"
    "the final certificate with those SCTs embedded. By default the policy is\n"
    "Chrome's and Apple's (CONFORMANCE.md §11): 2 SCTs for a validity of at\n"
    "most 180 days, 3 above, from at least 2 log operators, each from a\n"
    "distinct log. A log that fails, refuses or returns an SCT that does not\n"
    "verify is skipped and named. If the policy cannot be met, the\n"
    "precertificate stays issued (its serial is printed) and can be finished\n"
    "later with 'issue final'.\n"
    "\n"
    "  --log URL            a CT log's base URL, e.g. http://127.0.0.1:8080/ct/log1\n"
    "                       (repeatable; tried in this order)\n"
    "  --log-key FILE       a log's public key (PEM; FILE.operator names its operator);\n"
    "                       repeatable. Default: every STATE/ct-logs/*.pem\n"
    "  --min-scts N         SCTs wanted (default by validity, see above)\n"
    "  --min-operators N    distinct log operators wanted (default 2)\n"
    "  --timeout SECONDS    per attempt at a log (default 10); 3 attempts with backoff\n"
    "  --out FILE           the final certificate (PEM); default stdout\n"
    "  --precert-out FILE   also write the precertificate (PEM)\n"
    "  --issuer, --csr, --pubkey, --dns, --ip, --profile, --profiles, --skip-lint,\n"
    "  --pin-file           as for 'issue precert'\n";

enum {
    OPT_ISSUER = 0x300, OPT_CSR, OPT_PUBKEY, OPT_DNS, OPT_IP, OPT_PROFILE, OPT_PROFILES,
    OPT_SKIP, OPT_OUT, OPT_PIN_FILE_X, OPT_SERIAL, OPT_PRECERT, OPT_SCT, OPT_LOG_KEY,
    OPT_LOG, OPT_MIN_SCTS, OPT_MIN_OPS, OPT_TIMEOUT, OPT_PRECERT_OUT
};

struct issue_args {
    const char *issuer, *csr, *pubkey, *profile, *profiles, *out, *pin_file, *serial, *precert;
    const char *dns[MAX_NAMES + 1], *ips[MAX_NAMES + 1], *skip[MAX_NAMES + 1];
    const char *scts[MAX_SCTS + 1], *log_keys[MAX_LOGS + 1], *log_urls[MAX_LOGS + 1];
    size_t n_dns, n_ips, n_skip, n_scts, n_log_keys, n_log_urls;
    const char *min_scts, *min_ops, *timeout, *precert_out;
};

static int push(const char **v, size_t *n, size_t max, const char *arg, const char *what)
{
    if (*n >= max) {
        fprintf(stderr, "hsmca: at most %zu %s\n", max, what);
        return -1;
    }
    v[(*n)++] = arg;
    v[*n] = NULL;
    return 1;
}

static int take_issue(void *vctx, int opt, const char *arg)
{
    struct issue_args *a = vctx;

    switch (opt) {
    case OPT_ISSUER: a->issuer = arg; return 1;
    case OPT_CSR: a->csr = arg; return 1;
    case OPT_PUBKEY: a->pubkey = arg; return 1;
    case OPT_DNS: return push(a->dns, &a->n_dns, MAX_NAMES, arg, "--dns names");
    case OPT_IP: return push(a->ips, &a->n_ips, MAX_NAMES, arg, "--ip addresses");
    case OPT_SKIP: return push(a->skip, &a->n_skip, MAX_NAMES, arg, "--skip-lint ids");
    case OPT_PROFILE: a->profile = arg; return 1;
    case OPT_PROFILES: a->profiles = arg; return 1;
    case OPT_OUT: a->out = arg; return 1;
    case OPT_PIN_FILE_X: a->pin_file = arg; return 1;
    case OPT_SERIAL: a->serial = arg; return 1;
    case OPT_PRECERT: a->precert = arg; return 1;
    case OPT_SCT: return push(a->scts, &a->n_scts, MAX_SCTS, arg, "--sct files");
    case OPT_LOG_KEY: return push(a->log_keys, &a->n_log_keys, MAX_LOGS, arg, "--log-key files");
    case OPT_LOG: return push(a->log_urls, &a->n_log_urls, MAX_LOGS, arg, "--log URLs");
    case OPT_MIN_SCTS: a->min_scts = arg; return 1;
    case OPT_MIN_OPS: a->min_ops = arg; return 1;
    case OPT_TIMEOUT: a->timeout = arg; return 1;
    case OPT_PRECERT_OUT: a->precert_out = arg; return 1;
    default: return 0;
    }
}

static void print_serial(const char *out, const uint8_t *serial, size_t n)
{
    FILE *f = cli_is_stdout(out) ? stderr : stdout;

    fprintf(f, "serial: ");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%02x", serial[i]);
    fprintf(f, "\n");
}

static hsmca_err read_key(const char *path, int csr, EVP_PKEY **out)
{
    hsmca_err err = HSMCA_OK;
    uint8_t *data = NULL;
    size_t len = 0;

    HSMCA_GUARD(hsmca_file_read(path, 1024 * 1024, &data, &len));
    err = csr ? hsmca_x509_csr_key_from_bytes(data, len, out)
              : hsmca_x509_pubkey_from_bytes(data, len, out);
    if (err != HSMCA_OK)
        hsmca_err_context("%s", path);
out:
    free(data);
    return err;
}

static hsmca_err load_logs(const cli_globals *g, struct issue_args *a, hsmca_ct_log **logs,
                           size_t *n);

/* A positive count option (1..max). */
static hsmca_err count_opt(const char *text, const char *opt, size_t max, size_t *out)
{
    char *end;
    unsigned long v;

    *out = 0;
    if (text == NULL)
        return HSMCA_OK;
    v = strtoul(text, &end, 10);
    if (end == text || *end != '\0' || v == 0 || v > max)
        return hsmca_err_setf(HSMCA_E_USAGE, "%s '%s' is not a number from 1 to %zu", opt, text,
                              max);
    *out = v;
    return HSMCA_OK;
}

/* The issuer's CA with its store and module (cli_open_ca). */
typedef struct issuer_ca {
    hsmca_store *st;
    hsmca_hsm *hsm;
    hsmca_ca *ca;
} issuer_ca;

static hsmca_err issuer_ca_open(const cli_globals *g, const struct issue_args *a, issuer_ca *c)
{
    return cli_open_ca(g, a->issuer, a->pin_file, &c->st, &c->hsm, &c->ca);
}

/* Accepts a zeroed or partly opened one. */
static void issuer_ca_close(issuer_ca *c)
{
    hsmca_ca_free(c->ca);
    hsmca_hsm_free(c->hsm);
    hsmca_store_close(c->st);
}

/* The precertificate part of 'issue precert' and 'issue cert': the
 * subscriber key, the issuer's CA (opened and logged in), the precert. */
static hsmca_err issue_precert(const cli_globals *g, struct issue_args *a, issuer_ca *c,
                               X509 **out, uint8_t *serial, size_t *serial_len)
{
    hsmca_err err = HSMCA_OK;
    EVP_PKEY *key = NULL;
    hsmca_ca_request req;

    HSMCA_ENSURE((a->csr == NULL) != (a->pubkey == NULL), HSMCA_E_USAGE,
                 "give exactly one of --csr FILE and --pubkey FILE");
    HSMCA_GUARD(read_key(a->csr != NULL ? a->csr : a->pubkey, a->csr != NULL, &key));
    HSMCA_GUARD(issuer_ca_open(g, a, c));
    req = (hsmca_ca_request){key, a->dns, a->n_dns, a->ips, a->n_ips, a->profile,
                             cli_profiles_dir(a->profiles), a->n_skip ? a->skip : NULL};
    HSMCA_GUARD(hsmca_ca_issue_precert(c->ca, &req, out, serial, serial_len));
out:
    EVP_PKEY_free(key);
    return err;
}

static hsmca_err do_precert(const cli_globals *g, struct issue_args *a)
{
    hsmca_err err = HSMCA_OK;
    issuer_ca c = {NULL, NULL, NULL};
    X509 *cert = NULL;
    uint8_t serial[HSMCA_STORE_SERIAL_MAX];
    size_t serial_len = 0;

    HSMCA_GUARD(cli_check_out(a->out));
    HSMCA_GUARD(issue_precert(g, a, &c, &cert, serial, &serial_len));
    HSMCA_GUARD(cli_write_cert(cert, a->out));
    print_serial(a->out, serial, serial_len);
out:
    X509_free(cert);
    issuer_ca_close(&c);
    return err;
}

/* issue cert: precert, SCTs from the logs, final. */
static hsmca_err do_cert(const cli_globals *g, struct issue_args *a)
{
    hsmca_err err = HSMCA_OK;
    issuer_ca c = {NULL, NULL, NULL};
    X509 *pre = NULL, *fin = NULL;
    uint8_t serial[HSMCA_STORE_SERIAL_MAX];
    size_t serial_len = 0, n_logs = 0, n_scts = 0, timeout = 0;
    hsmca_ct_log *logs = NULL;
    hsmca_sct **scts = NULL;
    hsmca_ca_ct_policy pol = {0, 0};
    hsmca_ct_submit_opts so = {10000, 3, 250};
    char hex[2 * HSMCA_STORE_SERIAL_MAX + 1];

    HSMCA_ENSURE(a->n_log_urls > 0, HSMCA_E_USAGE, "give at least one --log URL");
    HSMCA_GUARD(count_opt(a->min_scts, "--min-scts", MAX_LOGS, &pol.min_scts));
    HSMCA_GUARD(count_opt(a->min_ops, "--min-operators", MAX_LOGS, &pol.min_operators));
    HSMCA_GUARD(count_opt(a->timeout, "--timeout", 600, &timeout));
    if (timeout > 0)
        so.timeout_ms = (long)timeout * 1000;
    HSMCA_GUARD(cli_check_out(a->out));
    if (a->precert_out != NULL)
        HSMCA_GUARD(hsmca_file_check_new(a->precert_out));
    HSMCA_GUARD(hsmca_ca_ct_check(a->log_urls, a->n_log_urls, &pol));
    HSMCA_GUARD(load_logs(g, a, &logs, &n_logs));
    HSMCA_GUARD(issue_precert(g, a, &c, &pre, serial, &serial_len));
    cli_hex(serial, serial_len, hex, sizeof hex);
    fprintf(stderr, "precertificate issued, serial: %s\n", hex);
    if (a->precert_out != NULL)
        HSMCA_GUARD(cli_write_cert(pre, a->precert_out));
    err = hsmca_ca_collect_scts(c.ca, pre, a->log_urls, a->n_log_urls, logs, n_logs, &pol, &so,
                                &scts, &n_scts);
    if (err == HSMCA_OK)
        err = hsmca_ca_issue_final(c.ca, serial, serial_len, scts, n_scts, logs, n_logs,
                                   a->n_skip ? a->skip : NULL, &fin);
    if (err != HSMCA_OK) {
        hsmca_err_context("precertificate %s is issued but has no final certificate (finish "
                          "it later with 'hsmca issue final --serial %s')", hex, hex);
        goto out;
    }
    HSMCA_GUARD(cli_write_cert(fin, a->out));
    fprintf(cli_is_stdout(a->out) ? stderr : stdout,
            "final certificate issued with %zu SCTs, serial: %s\n", n_scts, hex);
out:
    if (scts != NULL)
        hsmca_ct_sct_list_free(scts, n_scts);
    hsmca_ct_logs_free(logs, n_logs);
    X509_free(pre);
    X509_free(fin);
    issuer_ca_close(&c);
    return err;
}

/* An SCT file: JSON (an add-pre-chain response) or a TLS-encoded SCT. */
static hsmca_err read_sct(const char *path, hsmca_sct **out)
{
    hsmca_err err = HSMCA_OK;
    uint8_t *data = NULL;
    size_t len = 0, i = 0;

    HSMCA_GUARD(hsmca_file_read(path, 64 * 1024, &data, &len));
    while (i < len && isspace(data[i]))
        i++;
    err = i < len && data[i] == '{' ? hsmca_ct_sct_from_json((const char *)data, len, out)
                                   : hsmca_ct_sct_decode(data, len, out);
    if (err != HSMCA_OK)
        hsmca_err_context("%s", path);
out:
    free(data);
    return err;
}

/* The log keys: --log-key files, else the .pem files in STATE/ct-logs. */
static hsmca_err load_logs(const cli_globals *g, struct issue_args *a, hsmca_ct_log **logs,
                           size_t *n)
{
    hsmca_err err = HSMCA_OK;
    const char *state;
    char dir[PATH_MAX], *paths[MAX_LOGS];
    size_t np = 0;
    DIR *d = NULL;
    struct dirent *e;

    if (a->n_log_keys > 0)
        return hsmca_ct_logs_load(a->log_keys, a->n_log_keys, logs, n);
    HSMCA_GUARD(cli_state_dir(g, &state));
    snprintf(dir, sizeof(dir), "%s/ct-logs", state);
    d = opendir(dir);
    HSMCA_ENSURE(d != NULL, HSMCA_E_USAGE, "no CT log keys: pass --log-key FILE, or put the "
                 "logs' PEM public keys in %s", dir);
    while ((e = readdir(d)) != NULL && np < MAX_LOGS) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".pem") == 0) {
            size_t sz = strlen(dir) + l + 2;
            paths[np] = malloc(sz);
            HSMCA_ALLOC(paths[np]);
            snprintf(paths[np], sz, "%s/%s", dir, e->d_name);
            np++;
        }
    }
    HSMCA_ENSURE(np > 0, HSMCA_E_USAGE, "no CT log keys in %s (*.pem); pass --log-key FILE", dir);
    HSMCA_GUARD(hsmca_ct_logs_load((const char *const *)paths, np, logs, n));
out:
    for (size_t i = 0; i < np; i++)
        free(paths[i]);
    if (d != NULL)
        closedir(d);
    return err;
}

static hsmca_err do_final(const cli_globals *g, struct issue_args *a)
{
    hsmca_err err = HSMCA_OK;
    issuer_ca c = {NULL, NULL, NULL};
    hsmca_sct *scts[MAX_SCTS];
    hsmca_ct_log *logs = NULL;
    size_t n_logs = 0, n_scts = 0;
    X509 *precert = NULL, *final = NULL;
    uint8_t serial[HSMCA_STORE_SERIAL_MAX], *data = NULL;
    size_t serial_len = 0, len = 0;

    HSMCA_ENSURE((a->serial == NULL) != (a->precert == NULL), HSMCA_E_USAGE,
                 "give exactly one of --serial HEX and --precert FILE");
    /* Without --sct only a final claimed before can be finished (the CA
     * says so when there is none). */
    HSMCA_GUARD(cli_check_out(a->out));
    if (a->serial != NULL)
        HSMCA_GUARD(cli_parse_serial(a->serial, serial, &serial_len));
    for (; n_scts < a->n_scts; n_scts++)
        HSMCA_GUARD(read_sct(a->scts[n_scts], &scts[n_scts]));
    HSMCA_GUARD(load_logs(g, a, &logs, &n_logs));
    HSMCA_GUARD(issuer_ca_open(g, a, &c));
    if (a->precert != NULL) {
        HSMCA_GUARD(hsmca_file_read(a->precert, 1024 * 1024, &data, &len));
        HSMCA_GUARD(hsmca_x509_from_bytes(data, len, &precert));
        HSMCA_GUARD(hsmca_ca_find_precert(c.ca, precert, serial, &serial_len));
    }
    HSMCA_GUARD(hsmca_ca_issue_final(c.ca, serial, serial_len, scts, n_scts, logs, n_logs,
                                     a->n_skip ? a->skip : NULL, &final));
    HSMCA_GUARD(cli_write_cert(final, a->out));
    print_serial(a->out, serial, serial_len);
out:
    for (size_t i = 0; i < n_scts; i++)
        hsmca_sct_free(scts[i]);
    hsmca_ct_logs_free(logs, n_logs);
    free(data);
    X509_free(precert);
    X509_free(final);
    issuer_ca_close(&c);
    return err;
}

enum { MODE_PRECERT, MODE_FINAL, MODE_CERT };

static int run_issue(const cli_globals *g, int argc, char **argv, int mode)
{
    static const struct option opts[] = {
        {"issuer", required_argument, NULL, OPT_ISSUER},
        {"csr", required_argument, NULL, OPT_CSR},
        {"pubkey", required_argument, NULL, OPT_PUBKEY},
        {"dns", required_argument, NULL, OPT_DNS},
        {"ip", required_argument, NULL, OPT_IP},
        {"profile", required_argument, NULL, OPT_PROFILE},
        {"profiles", required_argument, NULL, OPT_PROFILES},
        {"skip-lint", required_argument, NULL, OPT_SKIP},
        {"out", required_argument, NULL, OPT_OUT},
        {"pin-file", required_argument, NULL, OPT_PIN_FILE_X},
        {"serial", required_argument, NULL, OPT_SERIAL},
        {"precert", required_argument, NULL, OPT_PRECERT},
        {"sct", required_argument, NULL, OPT_SCT},
        {"log-key", required_argument, NULL, OPT_LOG_KEY},
        {"log", required_argument, NULL, OPT_LOG},
        {"min-scts", required_argument, NULL, OPT_MIN_SCTS},
        {"min-operators", required_argument, NULL, OPT_MIN_OPS},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"precert-out", required_argument, NULL, OPT_PRECERT_OUT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    static const char *const names[] = {"precert", "final", "cert"};
    static const char *const cmds[] = {"hsmca issue precert", "hsmca issue final",
                                       "hsmca issue cert"};
    static const char *const helps[] = {precert_help, final_help, cert_help};
    const char *cmd = cmds[mode];
    int final = mode == MODE_FINAL;
    struct issue_args *a = calloc(1, sizeof(*a));
    int done = 0, rc;

    if (a == NULL)
        return CLI_FAIL;
    rc = cli_parse(argc, argv, cmd, helps[mode], opts, take_issue, a, &done);
    if (rc != CLI_OK || done)
        goto out;
    if (optind != argc) {
        rc = cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
        goto out;
    }
    /* Options of another subcommand are mistakes, not silently ignored. */
    if ((mode != MODE_FINAL && (a->serial || a->precert || a->n_scts)) ||
        (mode == MODE_PRECERT && a->n_log_keys) ||
        (mode != MODE_CERT && (a->n_log_urls || a->min_scts || a->min_ops || a->timeout ||
                               a->precert_out)) ||
        (final && (a->csr || a->pubkey || a->n_dns || a->n_ips || a->profile))) {
        rc = cli_usage_error(cmd, "an option of another 'issue' command was given to 'issue %s' "
                             "(see its --help)", names[mode]);
        goto out;
    }
    if ((mode == MODE_FINAL ? do_final(g, a) : mode == MODE_CERT ? do_cert(g, a)
                                                                 : do_precert(g, a)) != HSMCA_OK)
        rc = hsmca_err_last() == HSMCA_E_USAGE ? (cli_fail(), CLI_USAGE) : cli_fail();
out:
    free(a);
    return rc;
}

static int cmd_precert(const cli_globals *g, int argc, char **argv)
{
    return run_issue(g, argc, argv, MODE_PRECERT);
}

static int cmd_final(const cli_globals *g, int argc, char **argv)
{
    return run_issue(g, argc, argv, MODE_FINAL);
}

static int cmd_cert(const cli_globals *g, int argc, char **argv)
{
    return run_issue(g, argc, argv, MODE_CERT);
}

int cli_cmd_issue(const cli_globals *g, int argc, char **argv)
{
    static const cli_command cmds[] = {
        {"precert", cmd_precert, "issue a precertificate"},
        {"final", cmd_final, "issue a final certificate"},
        {"cert", cmd_cert, "precertificate, SCTs from CT logs over HTTP, final"},
        {NULL, NULL, NULL}};

    return cli_dispatch(g, "hsmca issue", cmds, issue_help, argc - 1, argv + 1);
}
