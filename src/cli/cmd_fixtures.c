/* hsmca fixtures — the conformance corpus (issue #8; docs/fixtures.md), and
 * `hsmca fixtures lint`, which runs hsmca's lint on one certificate, CRL or
 * OCSP response the way the corpus labels it, for the corpus tests and for
 * comparing linters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hsmca/clock.h"
#include "hsmca/file.h"
#include "hsmca/fixtures.h"
#include "hsmca/lint.h"
#include "hsmca/x509.h"

static const char fixtures_help[] =
    "Usage: hsmca [--now T] fixtures --out DIR [--seed S] --token LABEL [PIN options]\n"
    "                                 [--key-types LIST] [--valid-only] [--keep-keys]\n"
    "                                 [--profiles DIR]\n"
    "       hsmca [--now T] fixtures lint FILE --kind KIND [--issuer FILE] [--precert]\n"
    "\n"
    "Write a labelled corpus of valid and deliberately broken certificates,\n"
    "precertificates, SCTs, OCSP responses and CRLs into DIR (new or empty),\n"
    "with DIR/manifest.json describing every file (docs/fixtures.md; schema\n"
    "docs/fixtures.schema.json). Every fixture certificate is signed by a key in\n"
    "the token; those keys are derived from the seed and imported (fixtures\n"
    "only: ceremonies always generate keys inside the token), and destroyed\n"
    "again at the end unless --keep-keys. Use a token made for this, e.g.\n"
    "  hsm/make-tokens.sh .state/fx-hsm && export SOFTHSM2_CONF=.state/fx-hsm/softhsm2.conf\n"
    "  hsmca --now 2026-11-28T12:00:00Z fixtures --out fx --token hsmca-online-issuing \\\n"
    "        --pin-file .state/fx-hsm/pins/hsmca-online-issuing.user.pin\n"
    "\n"
    "  --out DIR          where the corpus goes (created; must be empty)\n"
    "  --seed S           fixes serials, names, times and key material\n"
    "                     (default: " HSMCA_FIXTURES_DEFAULT_SEED ")\n"
    "  --key-types LIST   comma-separated subset of rsa2048,rsa3072,p256,p384\n"
    "                     (default: all four)\n"
    "  --valid-only       skip the negative fixtures\n"
    "  --keep-keys        leave the imported fixture keys in the token\n"
    "  --profiles DIR     the profiles (default: the shipped ones)\n"
    "The time is the global --now (default: $HSMCA_NOW, else the clock): give\n"
    "it for a reproducible corpus.\n"
    "\n"
    CLI_TOKEN_HELP
    "\n"
    "fixtures lint prints one line per lint finding, 'id level', for FILE (PEM\n"
    "or DER) judged as KIND (root, subordinate, ocsp-responder, tls-server,\n"
    "precert-signer) issued by --issuer (omit for a root) at --now, as a\n"
    "precertificate with --precert. KIND crl or ocsp-response judges a DER CRL\n"
    "or OCSP response signed by the key of --issuer (a CRL's issuer; the\n"
    "delegated responder or the CA that signed the response). Exit 0 when no\n"
    "finding is an error, 1 when one is, 2 for a usage error; a certificate\n"
    "OpenSSL cannot parse is reported as 'unparseable error'.\n";

enum { OPT_OUT = 0x500, OPT_SEED, OPT_KEY_TYPES, OPT_VALID_ONLY, OPT_KEEP_KEYS, OPT_PROFILES,
       OPT_KIND, OPT_ISSUER, OPT_PRECERT };

struct fx_args {
    cli_token_opts tok;
    const char *out, *seed, *key_types, *profiles, *kind, *issuer;
    int valid_only, keep_keys, precert;
};

static int take(void *vctx, int opt, const char *arg)
{
    struct fx_args *a = vctx;
    int r = cli_token_opts_take(&a->tok, "hsmca fixtures", opt, arg);

    if (r != 0)
        return r;
    switch (opt) {
    case OPT_OUT: a->out = arg; return 1;
    case OPT_SEED: a->seed = arg; return 1;
    case OPT_KEY_TYPES: a->key_types = arg; return 1;
    case OPT_VALID_ONLY: a->valid_only = 1; return 1;
    case OPT_KEEP_KEYS: a->keep_keys = 1; return 1;
    case OPT_PROFILES: a->profiles = arg; return 1;
    case OPT_KIND: a->kind = arg; return 1;
    case OPT_ISSUER: a->issuer = arg; return 1;
    case OPT_PRECERT: a->precert = 1; return 1;
    default: return 0;
    }
}

static const struct option fx_opts[] = {
    CLI_TOKEN_LONGOPTS,
    {"out", required_argument, NULL, OPT_OUT},
    {"seed", required_argument, NULL, OPT_SEED},
    {"key-types", required_argument, NULL, OPT_KEY_TYPES},
    {"valid-only", no_argument, NULL, OPT_VALID_ONLY},
    {"keep-keys", no_argument, NULL, OPT_KEEP_KEYS},
    {"profiles", required_argument, NULL, OPT_PROFILES},
    {"kind", required_argument, NULL, OPT_KIND},
    {"issuer", required_argument, NULL, OPT_ISSUER},
    {"precert", no_argument, NULL, OPT_PRECERT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

static hsmca_err parse_types(const char *list, unsigned *out)
{
    hsmca_err err = HSMCA_OK;
    char buf[128], *save = NULL;

    *out = 0;
    HSMCA_ENSURE(strlen(list) < sizeof buf, HSMCA_E_USAGE, "--key-types is too long");
    snprintf(buf, sizeof buf, "%s", list);
    for (char *t = strtok_r(buf, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
        unsigned bit = strcmp(t, "rsa2048") == 0   ? HSMCA_PROFILE_KEY_RSA2048
                       : strcmp(t, "rsa3072") == 0 ? HSMCA_PROFILE_KEY_RSA3072
                       : strcmp(t, "p256") == 0    ? HSMCA_PROFILE_KEY_P256
                       : strcmp(t, "p384") == 0    ? HSMCA_PROFILE_KEY_P384 : 0;
        HSMCA_ENSURE(bit != 0, HSMCA_E_USAGE,
                     "--key-types: '%s' is not one of rsa2048, rsa3072, p256, p384", t);
        *out |= bit;
    }
    HSMCA_ENSURE(*out != 0, HSMCA_E_USAGE, "--key-types is empty");
out:
    return err;
}

static hsmca_err generate(const cli_globals *g, struct fx_args *a)
{
    hsmca_err err = HSMCA_OK;
    hsmca_hsm *hsm = NULL;
    hsmca_token *tok = NULL;
    hsmca_fixtures_opts o;
    hsmca_fixtures_summary sum;
    char when[32];

    memset(&o, 0, sizeof o);
    HSMCA_ENSURE(a->out != NULL, HSMCA_E_USAGE, "--out DIR is required");
    if (a->key_types != NULL)
        HSMCA_GUARD(parse_types(a->key_types, &o.key_types));
    o.out_dir = a->out;
    o.now = hsmca_clock_now();
    o.seed = a->seed;
    o.profiles_dir = cli_profiles_dir(a->profiles);
    o.valid_only = a->valid_only;
    o.keep_keys = a->keep_keys;
    HSMCA_GUARD(cli_open_token(g, &a->tok, 1, &hsm, &tok));
    o.token = tok;
    if (!hsmca_clock_is_fixed())
        fprintf(stderr, "hsmca fixtures: no --now: the corpus is dated now (%s) and will not "
                        "be reproducible\n", hsmca_clock_format(o.now, when, sizeof when));
    HSMCA_GUARD(hsmca_fixtures_generate(&o, &sum));
    printf("fixtures: %zu files (%zu valid, %zu invalid; %zu byte-stable) in %s\n", sum.files,
           sum.valid, sum.invalid, sum.byte_stable, a->out);
    printf("token keys: %zu imported, %zu reused%s\n", sum.keys_imported, sum.keys_reused,
           a->keep_keys ? " (kept)" : " (imported ones destroyed)");
out:
    hsmca_hsm_token_free(tok);
    hsmca_hsm_free(hsm);
    return err;
}

/* Print the findings ('id level'); CLI_FAIL when one is an error. */
static int print_findings(const hsmca_lint_result *res)
{
    for (size_t i = 0; i < res->n; i++)
        printf("%s %s\n", res->findings[i].rule->id,
               res->findings[i].rule->level == HSMCA_LINT_ERROR  ? "error"
               : res->findings[i].rule->level == HSMCA_LINT_WARN ? "warn" : "notice");
    return res->errors > 0 ? CLI_FAIL : CLI_OK;
}

/* A DER CRL or OCSP response (BR 7.1.3.2 covers their signatures too). */
static int lint_signed(struct fx_args *a, const char *file, hsmca_lint_object object)
{
    hsmca_lint_signed_input in;
    hsmca_lint_result *res = NULL;
    X509 *signer = NULL;
    uint8_t *der = NULL;
    size_t len = 0;
    int rc = CLI_FAIL;

    memset(&in, 0, sizeof in);
    if (a->issuer == NULL)
        return cli_usage_error("hsmca fixtures lint", "--kind %s needs --issuer, the "
                               "certificate whose key signed it", a->kind);
    if (cli_read_cert(a->issuer, &signer) != HSMCA_OK ||
        hsmca_file_read(file, 1024 * 1024, &der, &len) != HSMCA_OK) {
        rc = cli_fail();
        goto out;
    }
    in.object = object;
    in.der = der;
    in.der_len = len;
    in.signer = signer;
    in.now = hsmca_clock_now();
    if (hsmca_lint_run_signed(&in, &res) != HSMCA_OK) {
        hsmca_err_context("%s", file);
        rc = cli_fail();
        goto out;
    }
    rc = print_findings(res);
out:
    hsmca_lint_result_free(res);
    X509_free(signer);
    free(der);
    return rc;
}

static int lint_one(struct fx_args *a, const char *file)
{
    hsmca_lint_input in;
    hsmca_lint_result *res = NULL;
    X509 *cert = NULL, *issuer = NULL;
    int kind = 0, rc = CLI_FAIL;

    memset(&in, 0, sizeof in);
    if (a->kind == NULL)
        return cli_usage_error("hsmca fixtures lint", "--kind is required");
    if (strcmp(a->kind, "crl") == 0)
        return lint_signed(a, file, HSMCA_LINT_CRL);
    if (strcmp(a->kind, "ocsp-response") == 0)
        return lint_signed(a, file, HSMCA_LINT_OCSP_RESPONSE);
    for (int i = HSMCA_PROFILE_ROOT; i <= HSMCA_PROFILE_PRECERT_SIGNER; i++)
        if (strcmp(a->kind, hsmca_profile_kind_name((hsmca_profile_kind)i)) == 0)
            kind = i;
    if (kind == 0)
        return cli_usage_error("hsmca fixtures lint", "--kind '%s' is not a profile kind, "
                               "crl or ocsp-response", a->kind);
    if (a->issuer != NULL && cli_read_cert(a->issuer, &issuer) != HSMCA_OK) {
        rc = cli_fail();
        goto out;
    }
    if (cli_read_cert(file, &cert) != HSMCA_OK) {
        /* OpenSSL refuses some encoding defects outright (a non-minimal
         * serial): the lint cannot judge what cannot be parsed. */
        printf("unparseable error\n");
        hsmca_err_clear();
        goto out;
    }
    in.cert = cert;
    in.kind = (hsmca_profile_kind)kind;
    in.issuer = issuer;
    in.now = hsmca_clock_now();
    in.precert = a->precert;
    if (hsmca_lint_run(&in, &res) != HSMCA_OK) {
        rc = cli_fail();
        goto out;
    }
    rc = print_findings(res);
out:
    hsmca_lint_result_free(res);
    X509_free(cert);
    X509_free(issuer);
    return rc;
}

int cli_cmd_fixtures(const cli_globals *g, int argc, char **argv)
{
    struct fx_args a;
    int done = 0, rc, lint = argc > 1 && strcmp(argv[1], "lint") == 0;
    const char *cmd = lint ? "hsmca fixtures lint" : "hsmca fixtures";

    memset(&a, 0, sizeof a);
    cli_token_opts_init(&a.tok);
    if (lint) {
        argc--;
        argv++;
    }
    rc = cli_parse(argc, argv, cmd, fixtures_help, fx_opts, take, &a, &done);
    if (rc != CLI_OK || done)
        goto out;
    if (lint) {
        if (optind + 1 != argc) {
            rc = cli_usage_error(cmd, "give exactly one file");
            goto out;
        }
        rc = lint_one(&a, argv[optind]);
        goto out;
    }
    if (optind != argc) {
        rc = cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
        goto out;
    }
    rc = generate(g, &a) == HSMCA_OK ? CLI_OK : cli_fail();
out:
    cli_token_opts_clear(&a.tok);
    return rc;
}
