/* hsmca cert — what the store holds for a serial. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "hsmca/crl.h"
#include "hsmca/file.h"
#include "hsmca/store.h"
#include "hsmca/x509.h"

static const char cert_help[] =
    "Usage: hsmca [--state DIR] cert COMMAND [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  show         the state of a serial: reserved, precert or final, times, SCTs\n"
    "  export       write the stored precertificate or final certificate\n";

static const char show_help[] =
    "Usage: hsmca [--state DIR] cert show --issuer NAME --serial HEX\n"
    "\n"
    "Print what the store holds for a serial of an issuer.\n";

static const char export_help[] =
    "Usage: hsmca [--state DIR] cert export --issuer NAME --serial HEX\n"
    "           [--precert | --final] [--out FILE]\n"
    "\n"
    "Write the stored certificate (PEM): the final certificate by default, the\n"
    "precertificate with --precert. Recovers a certificate that was recorded\n"
    "when writing its --out file failed. --out is never overwritten; default\n"
    "stdout.\n";

enum { OPT_ISSUER = 0x600, OPT_SERIAL, OPT_PRECERT, OPT_FINAL, OPT_OUT };

struct cert_args {
    const char *issuer, *serial, *out;
    int precert, final;
};

static int take_cert(void *vctx, int opt, const char *arg)
{
    struct cert_args *a = vctx;

    switch (opt) {
    case OPT_ISSUER: a->issuer = arg; return 1;
    case OPT_SERIAL: a->serial = arg; return 1;
    case OPT_PRECERT: a->precert = 1; return 1;
    case OPT_FINAL: a->final = 1; return 1;
    case OPT_OUT: a->out = arg; return 1;
    default: return 0;
    }
}

/* The stored record of --issuer/--serial. */
static hsmca_err load(const cli_globals *g, const struct cert_args *a, hsmca_store **st,
                      hsmca_store_cert **out)
{
    hsmca_err err = HSMCA_OK;
    const char *state;
    hsmca_store_issuer *is = NULL;
    uint8_t serial[HSMCA_STORE_SERIAL_MAX];
    size_t n = 0;

    HSMCA_ENSURE(a->issuer != NULL && a->serial != NULL, HSMCA_E_USAGE,
                 "--issuer NAME and --serial HEX are required");
    HSMCA_GUARD(cli_parse_serial(a->serial, serial, &n));
    HSMCA_GUARD(cli_state_dir(g, &state));
    HSMCA_GUARD(hsmca_store_open(state, st));
    HSMCA_GUARD(hsmca_store_issuer_get(*st, a->issuer, &is));
    err = hsmca_store_cert_get(*st, is->id, serial, n, out);
    if (err == HSMCA_E_NOT_FOUND)
        hsmca_err_setf(err, "issuer '%s' never reserved serial %s", a->issuer, a->serial);
out:
    hsmca_store_issuer_free(is);
    return err;
}

static int run_cert(const cli_globals *g, int argc, char **argv, int export)
{
    static const struct option opts[] = {
        {"issuer", required_argument, NULL, OPT_ISSUER},
        {"serial", required_argument, NULL, OPT_SERIAL},
        {"precert", no_argument, NULL, OPT_PRECERT},
        {"final", no_argument, NULL, OPT_FINAL},
        {"out", required_argument, NULL, OPT_OUT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *cmd = export ? "hsmca cert export" : "hsmca cert show";
    struct cert_args a;
    hsmca_store *st = NULL;
    hsmca_store_cert *c = NULL;
    X509 *cert = NULL;
    char when[32];
    int done, rc;

    memset(&a, 0, sizeof(a));
    rc = cli_parse(argc, argv, cmd, export ? export_help : show_help, opts, take_cert, &a, &done);
    if (rc != CLI_OK || done)
        return rc;
    if (optind != argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!export && (a.precert || a.final || a.out))
        return cli_usage_error(cmd, "--precert, --final and --out are for 'cert export'");
    if (a.precert && a.final)
        return cli_usage_error(cmd, "give at most one of --precert and --final");
    if (export && cli_check_out(a.out) != HSMCA_OK) {
        rc = cli_fail();
        goto out;
    }
    if (load(g, &a, &st, &c) != HSMCA_OK) {
        rc = cli_fail();
        goto out;
    }
    if (!export) {
        printf("serial: %s\nstate: %s\n", a.serial, hsmca_store_serial_state_name(c->state));
        printf("reserved: %s\n", hsmca_clock_format(c->reserved_at, when, sizeof(when)));
        if (c->state != HSMCA_SERIAL_RESERVED) {
            printf("not-before: %s\n", hsmca_clock_format(c->not_before, when, sizeof(when)));
            printf("not-after: %s\n", hsmca_clock_format(c->not_after, when, sizeof(when)));
        }
        if (c->state == HSMCA_SERIAL_FINAL)
            printf("scts: %zu\n", c->n_scts);
        /* A final claimed but never recorded (a run cut off): only that
         * final can be finished, `issue final --serial` without --sct. */
        if (c->claimed && c->state == HSMCA_SERIAL_PRECERT)
            printf("final-claimed: %s (finish it: hsmca issue final --serial %s, no --sct)\n",
                   hsmca_clock_format(c->claimed_at, when, sizeof(when)), a.serial);
        if (c->revoked)
            printf("revoked: %s\nreason: %s\n",
                   hsmca_clock_format(c->revoked_at, when, sizeof(when)),
                   hsmca_crl_reason_name(c->reason));
        else
            printf("revoked: no\n");
        goto out;
    }
    {
        const uint8_t *der = a.precert ? c->precert_der : c->final_der;
        size_t len = a.precert ? c->precert_len : c->final_len;

        if (der == NULL) {
            hsmca_err_setf(HSMCA_E_NOT_FOUND, "serial %s of issuer '%s' has no %s (state %s)",
                           a.serial, a.issuer, a.precert ? "precertificate" : "final certificate",
                           hsmca_store_serial_state_name(c->state));
            rc = cli_fail();
            goto out;
        }
        if (hsmca_x509_from_bytes(der, len, &cert) != HSMCA_OK ||
            cli_write_cert(cert, a.out) != HSMCA_OK)
            rc = cli_fail();
    }
out:
    X509_free(cert);
    hsmca_store_cert_free(c);
    hsmca_store_close(st);
    return rc;
}

static int cmd_show(const cli_globals *g, int argc, char **argv)
{
    return run_cert(g, argc, argv, 0);
}

static int cmd_export(const cli_globals *g, int argc, char **argv)
{
    return run_cert(g, argc, argv, 1);
}

int cli_cmd_cert(const cli_globals *g, int argc, char **argv)
{
    static const cli_command cmds[] = {
        {"show", cmd_show, "show a serial's state"},
        {"export", cmd_export, "write a stored certificate"},
        {NULL, NULL, NULL}};

    return cli_dispatch(g, "hsmca cert", cmds, cert_help, argc - 1, argv + 1);
}
