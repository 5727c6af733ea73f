/* hsmca issuer — issuing CAs registered in the state directory. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cli.h"
#include "hsmca/file.h"
#include "hsmca/store.h"
#include "hsmca/x509.h"

static const char issuer_help[] =
    "Usage: hsmca [--state DIR] issuer COMMAND [OPTIONS]\n"
    "\n"
    "Issuing CAs known to the state directory.\n"
    "\n"
    "Commands:\n"
    "  add NAME     register an issuing CA from a ceremony's outputs\n"
    "  list         list the registered issuers and their serials by state\n"
    "  policy NAME  show or set the OCSP answers for precert-only and unassigned\n"
    "               serials (negative testing)\n";

static const char add_help[] =
    "Usage: hsmca [--state DIR] [--module PATH] issuer add NAME --cert FILE\n"
    "           --token LABEL --key LABEL|URI [options]\n"
    "\n"
    "Register an issuing CA: its certificate (e.g. subordinate.pem from the\n"
    "ceremony), the token and key that sign for it, and where its PIN comes\n"
    "from. hsmca logs in and refuses a certificate whose public key is not the\n"
    "token key. PINs are never stored: only the file or variable they come from.\n"
    "NAME ([A-Za-z0-9._-], at most 64) appears in URLs ({issuer} in profiles).\n"
    "\n"
    "  --cert FILE          the CA certificate (PEM or DER)\n"
    "  --profile NAME       default leaf profile (default: tls-server)\n"
    "  --base-url URL       what {base_url} becomes in profile URLs, e.g.\n"
    "                       http://127.0.0.1:8080 (where hsmca serve runs)\n"
    "  --ocsp-cert FILE     delegated OCSP responder certificate issued by this CA\n"
    "  --ocsp-key LABEL     its key, in the same token\n"
    "\n" CLI_TOKEN_HELP CLI_KEY_HELP;

enum { OPT_CERT = CLI_TOKEN_OPT_LAST + 1, OPT_PROFILE, OPT_BASE_URL, OPT_OCSP_CERT, OPT_OCSP_KEY };

struct add_args {
    cli_token_opts *o;
    const char *cert, *profile, *base_url, *ocsp_cert, *ocsp_key;
};

static int take_add(void *vctx, int opt, const char *arg)
{
    struct add_args *a = vctx;
    int r = cli_token_opts_take(a->o, "hsmca issuer add", opt, arg);

    if (r != 0)
        return r;
    switch (opt) {
    case OPT_CERT: a->cert = arg; return 1;
    case OPT_PROFILE: a->profile = arg; return 1;
    case OPT_BASE_URL: a->base_url = arg; return 1;
    case OPT_OCSP_CERT: a->ocsp_cert = arg; return 1;
    case OPT_OCSP_KEY: a->ocsp_key = arg; return 1;
    default: return 0;
    }
}

static hsmca_err cert_der(X509 *c, uint8_t **out, size_t *out_len)
{
    return hsmca_x509_to_der(c, out, out_len);
}

static hsmca_err do_add(const cli_globals *g, const char *name, struct add_args *a)
{
    hsmca_err err = HSMCA_OK;
    cli_token_opts *o = a->o;
    X509 *cert = NULL, *ocsp = NULL;
    hsmca_hsm *hsm = NULL;
    hsmca_token *tok = NULL;
    hsmca_key *key = NULL, *okey = NULL;
    hsmca_store *st = NULL;
    const char *state;
    hsmca_store_issuer is;
    char pin_path[PATH_MAX];
    int64_t id = 0;

    memset(&is, 0, sizeof(is));
    HSMCA_GUARD(cli_state_dir(g, &state));
    HSMCA_GUARD(cli_read_cert(a->cert, &cert));
    HSMCA_ENSURE(X509_check_ca(cert) > 0, HSMCA_E_INPUT,
                 "%s is not a CA certificate (no basicConstraints cA TRUE)", a->cert);
    HSMCA_ENSURE((a->ocsp_cert == NULL) == (a->ocsp_key == NULL), HSMCA_E_USAGE,
                 "--ocsp-cert and --ocsp-key go together");
    HSMCA_GUARD(cli_open_key(g, o, &hsm, &tok, &key));
    HSMCA_ENSURE(EVP_PKEY_eq(X509_get0_pubkey(cert), hsmca_hsm_key_get0_public(key)) == 1,
                 HSMCA_E_VERIFY, "the public key of %s is not the public key of '%s' in "
                 "token '%s'; refusing to register a CA that this key cannot sign for",
                 a->cert, hsmca_hsm_key_info(key)->label, hsmca_hsm_token_info(tok)->label);
    if (a->ocsp_cert != NULL) {
        hsmca_key_sel ks = {a->ocsp_key, NULL, 0};
        HSMCA_GUARD(cli_read_cert(a->ocsp_cert, &ocsp));
        HSMCA_ENSURE(X509_check_issued(cert, ocsp) == X509_V_OK, HSMCA_E_INPUT,
                     "%s was not issued by %s; a delegated responder must be issued by the CA "
                     "it answers for (BR 7.1.2.8, RFC 6960 §4.2.2.2)", a->ocsp_cert, a->cert);
        HSMCA_GUARD(hsmca_hsm_key_find(tok, &ks, &okey));
        HSMCA_ENSURE(EVP_PKEY_eq(X509_get0_pubkey(ocsp), hsmca_hsm_key_get0_public(okey)) == 1,
                     HSMCA_E_VERIFY, "the public key of %s is not the key '%s' in token '%s'",
                     a->ocsp_cert, a->ocsp_key, hsmca_hsm_token_info(tok)->label);
    }

    is.name = (char *)(uintptr_t)name;
    HSMCA_GUARD(cert_der(cert, &is.cert_der, &is.cert_len));
    is.module = (char *)(uintptr_t)(g->module != NULL ? g->module : o->module);
    is.token_label = (char *)(uintptr_t)hsmca_hsm_token_info(tok)->label;
    is.token_serial = (char *)(uintptr_t)hsmca_hsm_token_info(tok)->serial;
    is.key_label = (char *)(uintptr_t)hsmca_hsm_key_info(key)->label;
    is.key_id = (uint8_t *)(uintptr_t)hsmca_hsm_key_info(key)->id;
    is.key_id_len = hsmca_hsm_key_info(key)->id_len;
    if (o->pin_file != NULL) {
        /* Later commands run from anywhere: keep an absolute path. */
        HSMCA_ENSURE(realpath(o->pin_file, pin_path) != NULL, HSMCA_E_IO,
                     "cannot resolve %s", o->pin_file);
        is.pin_file = pin_path;
    } else {
        is.pin_env = (char *)(uintptr_t)o->pin_env;
    }
    is.profile = (char *)(uintptr_t)(a->profile != NULL ? a->profile : "tls-server");
    is.base_url = (char *)(uintptr_t)a->base_url;
    if (ocsp != NULL) {
        HSMCA_GUARD(cert_der(ocsp, &is.ocsp_cert_der, &is.ocsp_cert_len));
        is.ocsp_key_label = (char *)(uintptr_t)a->ocsp_key;
    }
    HSMCA_GUARD(hsmca_store_open(state, &st));
    HSMCA_GUARD(hsmca_store_issuer_add(st, &is, &id));
    printf("registered issuer '%s' (id %lld): key '%s' in token '%s'%s\n", name, (long long)id,
           hsmca_hsm_key_info(key)->label, hsmca_hsm_token_info(tok)->label,
           ocsp != NULL ? ", with a delegated OCSP responder" : "");
out:
    OPENSSL_free(is.cert_der);
    OPENSSL_free(is.ocsp_cert_der);
    hsmca_store_close(st);
    hsmca_hsm_key_free(okey);
    hsmca_hsm_key_free(key);
    hsmca_hsm_token_free(tok);
    hsmca_hsm_free(hsm);
    X509_free(ocsp);
    X509_free(cert);
    return err;
}

static int cmd_add(const cli_globals *g, int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_TOKEN_LONGOPTS, CLI_KEY_LONGOPTS,
        {"cert", required_argument, NULL, OPT_CERT},
        {"profile", required_argument, NULL, OPT_PROFILE},
        {"base-url", required_argument, NULL, OPT_BASE_URL},
        {"ocsp-cert", required_argument, NULL, OPT_OCSP_CERT},
        {"ocsp-key", required_argument, NULL, OPT_OCSP_KEY},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *cmd = "hsmca issuer add";
    cli_token_opts o;
    struct add_args a = {&o, NULL, NULL, NULL, NULL, NULL};
    int done, rc;

    cli_token_opts_init(&o);
    rc = cli_parse(argc, argv, cmd, add_help, opts, take_add, &a, &done);
    if (rc != CLI_OK || done)
        goto out;
    if (optind != argc - 1) {
        rc = cli_usage_error(cmd, "give exactly one issuer NAME");
        goto out;
    }
    if (a.cert == NULL) {
        rc = cli_usage_error(cmd, "--cert is required");
        goto out;
    }
    if (do_add(g, argv[optind], &a) != HSMCA_OK)
        rc = cli_fail();
out:
    cli_token_opts_clear(&o);
    return rc;
}

static const char list_help[] =
    "Usage: hsmca [--state DIR] issuer list\n"
    "\n"
    "List the registered issuers: name, subject, token and key, and how many\n"
    "serials are reserved, precertificate-only and final.\n";

static int cmd_list(const cli_globals *g, int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    hsmca_store *st = NULL;
    hsmca_store_issuer **v = NULL;
    size_t n = 0;
    const char *state;
    int done, rc;

    rc = cli_parse(argc, argv, "hsmca issuer list", list_help, opts, NULL, NULL, &done);
    if (rc != CLI_OK || done)
        return rc;
    if (optind != argc)
        return cli_usage_error("hsmca issuer list", "unexpected argument '%s'", argv[optind]);
    if (cli_state_dir(g, &state) != HSMCA_OK || hsmca_store_open(state, &st) != HSMCA_OK ||
        hsmca_store_issuers(st, &v, &n) != HSMCA_OK) {
        rc = cli_fail();
        goto out;
    }
    printf("%-16s %-40s %-24s %s\n", "NAME", "SUBJECT", "TOKEN/KEY", "RESERVED PRECERT FINAL");
    for (size_t i = 0; i < n; i++) {
        X509 *c = NULL;
        char subject[256] = "?", tk[128];
        size_t counts[3] = {0, 0, 0};
        if (hsmca_x509_from_bytes(v[i]->cert_der, v[i]->cert_len, &c) == HSMCA_OK)
            X509_NAME_oneline(X509_get_subject_name(c), subject, sizeof(subject));
        X509_free(c);
        for (int s = 0; s < 3; s++)
            if (hsmca_store_count(st, v[i]->id, (hsmca_serial_state)(s + 1), &counts[s]) != HSMCA_OK) {
                rc = cli_fail();
                goto out;
            }
        snprintf(tk, sizeof(tk), "%s/%s", v[i]->token_label ? v[i]->token_label : "?",
                 v[i]->key_label ? v[i]->key_label : "?");
        printf("%-16s %-40s %-24s %zu %zu %zu\n", v[i]->name, subject, tk, counts[0], counts[1],
               counts[2]);
    }
out:
    hsmca_store_issuers_free(v, n);
    hsmca_store_close(st);
    return rc;
}

static const char policy_help[] =
    "Usage: hsmca [--state DIR] issuer policy NAME [--precert-only ANSWER]\n"
    "           [--unassigned ANSWER]\n"
    "\n"
    "Show or set what the issuer's OCSP responses say about serials that have\n"
    "no final certificate. ANSWER: good, unknown, revoked or unauthorized.\n"
    "\n"
    "  --precert-only ANSWER  a precertificate exists but no final: good is the\n"
    "                         only correct answer (MRSP 5.4, BR 4.9.9) and the\n"
    "                         default\n"
    "  --unassigned ANSWER    reserved or never-issued serials: unknown is the\n"
    "                         default; BR 4.9.9 forbids good\n"
    "\n"
    "Anything but the defaults makes the responder wrong on purpose, to test\n"
    "clients (docs/revocation.md); hsmca warns when you choose it. Revoked\n"
    "serials are always answered revoked and finals good.\n";

enum { OPT_PRECERT_ONLY = 0x520, OPT_UNASSIGNED };

struct policy_args {
    const char *precert_only, *unassigned;
};

static int take_policy(void *vctx, int opt, const char *arg)
{
    struct policy_args *a = vctx;

    switch (opt) {
    case OPT_PRECERT_ONLY: a->precert_only = arg; return 1;
    case OPT_UNASSIGNED: a->unassigned = arg; return 1;
    default: return 0;
    }
}

static int cmd_policy(const cli_globals *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"precert-only", required_argument, NULL, OPT_PRECERT_ONLY},
        {"unassigned", required_argument, NULL, OPT_UNASSIGNED},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *cmd = "hsmca issuer policy";
    struct policy_args a = {NULL, NULL};
    hsmca_store *st = NULL;
    hsmca_store_issuer *is = NULL, *now_is = NULL;
    const char *state;
    int pp = 0, up = 0, done, rc;

    rc = cli_parse(argc, argv, cmd, policy_help, opts, take_policy, &a, &done);
    if (rc != CLI_OK || done)
        return rc;
    if (optind != argc - 1)
        return cli_usage_error(cmd, "give exactly one issuer NAME");
    if ((a.precert_only != NULL && hsmca_store_answer_parse(a.precert_only, &pp) != HSMCA_OK) ||
        (a.unassigned != NULL && hsmca_store_answer_parse(a.unassigned, &up) != HSMCA_OK)) {
        cli_fail();
        return CLI_USAGE;
    }
    if (cli_state_dir(g, &state) != HSMCA_OK || hsmca_store_open(state, &st) != HSMCA_OK ||
        hsmca_store_issuer_get(st, argv[optind], &is) != HSMCA_OK ||
        ((pp != 0 || up != 0) &&
         hsmca_store_issuer_set_policy(st, is->id, pp, up, hsmca_clock_now()) != HSMCA_OK) ||
        hsmca_store_issuer_get(st, argv[optind], &now_is) != HSMCA_OK) {
        rc = cli_fail();
        goto out;
    }
    printf("precert-only: %s\nunassigned: %s\n",
           hsmca_store_answer_name(now_is->ocsp_precert_policy),
           hsmca_store_answer_name(now_is->ocsp_unassigned_policy));
    if (now_is->ocsp_precert_policy != HSMCA_ANSWER_GOOD)
        fprintf(stderr, "hsmca: warning: issuer '%s' does not answer precert-only serials good: "
                "this breaks MRSP 5.4 / BR 4.9.9 (for negative tests only)\n", now_is->name);
    if (now_is->ocsp_unassigned_policy == HSMCA_ANSWER_GOOD ||
        now_is->ocsp_unassigned_policy == HSMCA_ANSWER_REVOKED)
        fprintf(stderr, "hsmca: warning: issuer '%s' answers unassigned serials %s: %s (for "
                "negative tests only)\n", now_is->name,
                hsmca_store_answer_name(now_is->ocsp_unassigned_policy),
                now_is->ocsp_unassigned_policy == HSMCA_ANSWER_GOOD
                    ? "BR 4.9.9 forbids this"
                    : "the RFC 6960 §2.2 form uses certificateHold, which BR 7.2.2 forbids");
out:
    hsmca_store_issuer_free(is);
    hsmca_store_issuer_free(now_is);
    hsmca_store_close(st);
    return rc;
}

int cli_cmd_issuer(const cli_globals *g, int argc, char **argv)
{
    static const cli_command cmds[] = {
        {"add", cmd_add, "register an issuer"},
        {"list", cmd_list, "list issuers"},
        {"policy", cmd_policy, "show or set the OCSP answers for precert-only and unassigned serials"},
        {NULL, NULL, NULL}};

    return cli_dispatch(g, "hsmca issuer", cmds, issuer_help, argc - 1, argv + 1);
}
