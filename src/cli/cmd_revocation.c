/* hsmca revoke, hsmca ocsp, hsmca crl — revocation data (issue #5,
 * docs/revocation.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cli.h"
#include "hsmca/ca.h"
#include "hsmca/crl.h"
#include "hsmca/file.h"
#include "hsmca/ocsp.h"
#include "hsmca/ossl.h"

enum {
    OPT_ISSUER = 0x700, OPT_SERIAL, OPT_REASON, OPT_TIME, OPT_REQUEST, OPT_OUT, OPT_DIR,
    OPT_HASH, OPT_VALIDITY, OPT_PEM, OPT_PIN_FILE_R
};

struct rev_args {
    const char *issuer, *serial, *reason, *time, *request, *out, *dir, *hash, *validity;
    const char *pin_file;
    int pem;
};

static int take_rev(void *vctx, int opt, const char *arg)
{
    struct rev_args *a = vctx;

    switch (opt) {
    case OPT_ISSUER: a->issuer = arg; return 1;
    case OPT_SERIAL: a->serial = arg; return 1;
    case OPT_REASON: a->reason = arg; return 1;
    case OPT_TIME: a->time = arg; return 1;
    case OPT_REQUEST: a->request = arg; return 1;
    case OPT_OUT: a->out = arg; return 1;
    case OPT_DIR: a->dir = arg; return 1;
    case OPT_HASH: a->hash = arg; return 1;
    case OPT_VALIDITY: a->validity = arg; return 1;
    case OPT_PEM: a->pem = 1; return 1;
    case OPT_PIN_FILE_R: a->pin_file = arg; return 1;
    default: return 0;
    }
}

/* Parse argv for one of these commands; no positional arguments. */
static int parse(int argc, char **argv, const char *cmd, const char *help,
                 const struct option *opts, struct rev_args *a, int *done)
{
    int rc;

    memset(a, 0, sizeof *a);
    rc = cli_parse(argc, argv, cmd, help, opts, take_rev, a, done);
    if (rc != CLI_OK || *done)
        return rc;
    if (optind != argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    return CLI_OK;
}

/* ---- hsmca revoke ---- */

static const char revoke_help[] =
    "Usage: hsmca [--state DIR] revoke --issuer NAME --serial HEX [--reason REASON]\n"
    "           [--time TIME]\n"
    "\n"
    "Revoke a serial: a final certificate, or a precertificate whose final was\n"
    "never issued (MRSP 5.4: a precertificate implies a certificate). OCSP\n"
    "responses and CRLs signed from now on show it. No token is needed.\n"
    "A revocation is final: a second one is refused.\n"
    "\n"
    "  --issuer NAME        a registered issuer (hsmca issuer list)\n"
    "  --serial HEX         the serial (hsmca cert show)\n"
    "  --reason REASON      BR 7.2.2: unspecified (default; no reasonCode is encoded),\n"
    "                       keyCompromise, affiliationChanged, superseded,\n"
    "                       cessationOfOperation, privilegeWithdrawn.\n"
    "                       certificateHold is forbidden\n"
    "  --time TIME          when it was revoked (RFC 3339; not in the future, not\n"
    "                       before the precertificate was signed);\n"
    "                       default now\n";

int cli_cmd_revoke(const cli_globals *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"issuer", required_argument, NULL, OPT_ISSUER},
        {"serial", required_argument, NULL, OPT_SERIAL},
        {"reason", required_argument, NULL, OPT_REASON},
        {"time", required_argument, NULL, OPT_TIME},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *cmd = "hsmca revoke";
    struct rev_args a;
    hsmca_store *st = NULL;
    const char *state;
    uint8_t serial[HSMCA_STORE_SERIAL_MAX];
    size_t n = 0;
    hsmca_time now = hsmca_clock_now(), at = now;
    char when[32];
    int done, rc;

    rc = parse(argc, argv, cmd, revoke_help, opts, &a, &done);
    if (rc != CLI_OK || done)
        return rc;
    if (a.issuer == NULL || a.serial == NULL)
        return cli_usage_error(cmd, "--issuer NAME and --serial HEX are required");
    if (cli_parse_serial(a.serial, serial, &n) != HSMCA_OK ||
        (a.time != NULL && hsmca_clock_parse(a.time, &at) != HSMCA_OK)) {
        cli_fail();
        return CLI_USAGE;
    }
    if (cli_state_dir(g, &state) != HSMCA_OK || hsmca_store_open(state, &st) != HSMCA_OK ||
        hsmca_ca_revoke(st, a.issuer, serial, n, a.reason, at, now) != HSMCA_OK) {
        rc = cli_fail();
        goto out;
    }
    printf("revoked serial %s of issuer '%s' at %s, reason %s\n", a.serial, a.issuer,
           hsmca_clock_format(at, when, sizeof when), a.reason != NULL ? a.reason : "unspecified");
out:
    hsmca_store_close(st);
    return rc;
}

/* ---- the signer behind a responder: one issuer's CA, opened on demand ---- */

typedef struct signer_ctx {
    const cli_globals *g;
    const char *pin_file;
    hsmca_store *st;   /* a second handle: the CA keeps its own */
    hsmca_hsm *hsm;
    hsmca_ca *ca;
} signer_ctx;

static hsmca_err open_signer(void *vctx, const hsmca_store_issuer *is, hsmca_ocsp_signer *out)
{
    hsmca_err err = HSMCA_OK;
    signer_ctx *c = vctx;

    /* One token per process (src/hsm): a request names one issuer. */
    HSMCA_ENSURE(c->ca == NULL, HSMCA_E_INTERNAL, "a second issuer's token was asked for");
    HSMCA_GUARD(cli_open_ca(c->g, is->name, c->pin_file, &c->st, &c->hsm, &c->ca));
    HSMCA_GUARD(hsmca_ca_ocsp_signer(c->ca, &out->key, &out->cert, &out->delegated));
out:
    return err;
}

static void signer_close(signer_ctx *c)
{
    hsmca_ca_free(c->ca);
    hsmca_hsm_free(c->hsm);
    hsmca_store_close(c->st);
    memset(c, 0, sizeof *c);
}

static void print_outcome(const hsmca_ocsp_outcome *o)
{
    char a[32], b[32];

    if (o->status != HSMCA_OCSP_SUCCESSFUL) {
        fprintf(stderr, "hsmca: OCSP %s: %s\n", hsmca_ocsp_status_name(o->status), o->why);
        return;
    }
    fprintf(stderr,
            "OCSP successful for issuer '%s': %zu answer%s (%d good, %d revoked, %d unknown), "
            "this update %s, next update %s\n",
            o->issuer, o->n_answers, o->n_answers == 1 ? "" : "s", o->good, o->revoked,
            o->unknown, hsmca_clock_format(o->this_update, a, sizeof a),
            hsmca_clock_format(o->next_update, b, sizeof b));
}

/* ---- hsmca ocsp respond ---- */

static const char ocsp_help[] =
    "Usage: hsmca [--state DIR] ocsp COMMAND [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  respond      answer one DER OCSP request from the store\n"
    "  batch        pre-sign a response for every assigned serial of an issuer\n"
    "\n"
    "docs/revocation.md explains what each serial is answered, and why.\n";

static const char respond_help[] =
    "Usage: hsmca [--state DIR] ocsp respond --request FILE [--out FILE]\n"
    "           [--validity DURATION] [--pin-file FILE]\n"
    "\n"
    "Answer a DER OCSPRequest (RFC 6960) as the issuer it names: final and\n"
    "precert-only serials good, revoked ones revoked with time and reason,\n"
    "others unknown (or what the issuer's policy says: hsmca issuer policy).\n"
    "Signed by the issuer's delegated OCSP responder if it has one, else by\n"
    "the issuing key. Malformed requests get an unsigned malformedRequest,\n"
    "unknown issuers unauthorized; the response is written either way and\n"
    "the exit status is 1 for an error response.\n"
    "\n"
    "  --request FILE       the DER request (e.g. openssl ocsp -reqout)\n"
    "  --out FILE           where the DER response goes (never overwritten);\n"
    "                       default stdout, unless it is a terminal\n"
    "  --validity DURATION  nextUpdate - thisUpdate + 1 s (BR 4.9.9: 8h to 10d);\n"
    "                       default 4d\n"
    "  --pin-file FILE      the token PIN, instead of the issuer's configured source\n";

static int cmd_respond(const cli_globals *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"request", required_argument, NULL, OPT_REQUEST},
        {"out", required_argument, NULL, OPT_OUT},
        {"validity", required_argument, NULL, OPT_VALIDITY},
        {"pin-file", required_argument, NULL, OPT_PIN_FILE_R},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *cmd = "hsmca ocsp respond";
    struct rev_args a;
    signer_ctx sc = {g, NULL, NULL, NULL, NULL};
    hsmca_store *st = NULL;
    hsmca_ocsp_responder *r = NULL;
    hsmca_ocsp_outcome o;
    const char *state;
    uint8_t *req = NULL, *resp = NULL;
    size_t req_len = 0, resp_len = 0;
    hsmca_time validity = 0;
    int done, rc;

    rc = parse(argc, argv, cmd, respond_help, opts, &a, &done);
    if (rc != CLI_OK || done)
        return rc;
    if (a.request == NULL)
        return cli_usage_error(cmd, "--request FILE is required");
    if (cli_duration("--validity", a.validity, &validity) != HSMCA_OK) {
        cli_fail();
        return CLI_USAGE;
    }
    sc.pin_file = a.pin_file;
    if (a.out != NULL && strcmp(a.out, "-") != 0 && hsmca_file_check_new(a.out) != HSMCA_OK) {
        rc = cli_fail();
        goto out;
    }
    /* Read one octet more than accepted so a request of exactly that size
     * reaches the parser; hsmca_file_read refuses anything larger with
     * HSMCA_E_INPUT. Either way an oversized request is answered
     * malformedRequest like any other bad request (RFC 6960 §2.3). */
    if (hsmca_file_read(a.request, HSMCA_OCSP_REQUEST_MAX + 1, &req, &req_len) != HSMCA_OK) {
        if (hsmca_err_last() != HSMCA_E_INPUT) {
            rc = cli_fail();
            goto out;
        }
        hsmca_err_clear();
        memset(&o, 0, sizeof o);
        o.status = HSMCA_OCSP_MALFORMED_REQUEST;
        snprintf(o.why, sizeof o.why, "the request is more than %d octets; at most %d are accepted",
                 HSMCA_OCSP_REQUEST_MAX + 1, HSMCA_OCSP_REQUEST_MAX);
        if (hsmca_ocsp_error_response(o.status, &resp, &resp_len) != HSMCA_OK) {
            rc = cli_fail();
            goto out;
        }
    } else if (cli_state_dir(g, &state) != HSMCA_OK || hsmca_store_open(state, &st) != HSMCA_OK ||
        hsmca_ocsp_responder_new(st, open_signer, &sc, validity, &r) != HSMCA_OK ||
        hsmca_ocsp_respond(r, req, req_len, hsmca_clock_now(), &resp, &resp_len, &o) !=
            HSMCA_OK) {
        rc = cli_fail();
        goto out;
    }
    print_outcome(&o);
    if (cli_write_blob(resp, resp_len, a.out, 1) != HSMCA_OK) {
        rc = cli_fail();
        goto out;
    }
    rc = o.status == HSMCA_OCSP_SUCCESSFUL ? CLI_OK : CLI_FAIL;
out:
    hsmca_ocsp_responder_free(r);
    signer_close(&sc);
    hsmca_store_close(st);
    free(req);
    OPENSSL_free(resp);
    return rc;
}

/* ---- hsmca ocsp batch ---- */

static const char batch_help[] =
    "Usage: hsmca [--state DIR] ocsp batch --issuer NAME --dir DIR [--hash sha1|sha256]\n"
    "           [--validity DURATION] [--pin-file FILE]\n"
    "\n"
    "Pre-sign one OCSP response for every assigned serial of an issuer (final,\n"
    "precert-only and revoked), as a responder farm or CDN would serve them:\n"
    "DIR/<serial in lower-case hex>.der, each replaced atomically, so the\n"
    "command can be re-run to refresh them. Each answers a request with one\n"
    "CertID (hashed with --hash, default sha1) and no nonce.\n"
    "\n"
    "  --issuer NAME        a registered issuer\n"
    "  --dir DIR            where the responses go (created if missing)\n"
    "  --hash ALG           the CertID hash: sha1 (default, what clients send) or sha256\n"
    "  --validity DURATION  nextUpdate - thisUpdate + 1 s (8h to 10d); default 4d\n"
    "  --pin-file FILE      the token PIN, instead of the issuer's configured source\n";

static hsmca_err do_batch(const cli_globals *g, const struct rev_args *a, signer_ctx *sc)
{
    hsmca_err err = HSMCA_OK;
    hsmca_store *st = NULL;
    hsmca_store_issuer *is = NULL;
    hsmca_ocsp_responder *r = NULL;
    hsmca_store_status *v = NULL;
    hsmca_ocsp_outcome o;
    hsmca_time validity = 0, now = hsmca_clock_now();
    uint8_t *resp = NULL;
    size_t n = 0, resp_len = 0, written = 0;
    const char *state;
    int counts[3] = {0, 0, 0}, errors = 0;

    HSMCA_ENSURE(a->issuer != NULL && a->dir != NULL, HSMCA_E_USAGE,
                 "--issuer NAME and --dir DIR are required");
    HSMCA_ENSURE(a->hash == NULL || strcmp(a->hash, "sha1") == 0 || strcmp(a->hash, "sha256") == 0,
                 HSMCA_E_USAGE, "--hash is sha1 or sha256, not '%s'", a->hash);
    HSMCA_GUARD(cli_duration("--validity", a->validity, &validity));
    HSMCA_GUARD(cli_state_dir(g, &state));
    HSMCA_GUARD(hsmca_store_open(state, &st));
    HSMCA_GUARD(hsmca_store_issuer_get(st, a->issuer, &is));
    HSMCA_GUARD(hsmca_ocsp_responder_new(st, open_signer, sc, validity, &r));
    HSMCA_ENSURE(mkdir(a->dir, 0755) == 0 || errno == EEXIST, HSMCA_E_IO, "cannot create %s: %s",
                 a->dir, strerror(errno));
    HSMCA_GUARD(hsmca_store_statuses_list(st, is->id, 1, &v, &n));
    for (size_t i = 0; i < n; i++) {
        char hex[2 * HSMCA_STORE_SERIAL_MAX + 1], path[4096];
        HSMCA_GUARD(hsmca_ocsp_respond_serial(r, a->issuer, v[i].serial.b, v[i].serial.len,
                                              a->hash, now, &resp, &resp_len, &o));
        cli_hex(v[i].serial.b, v[i].serial.len, hex, sizeof hex);
        HSMCA_ENSURE((size_t)snprintf(path, sizeof path, "%s/%s.der", a->dir, hex) < sizeof path,
                     HSMCA_E_USAGE, "--dir is too long");
        HSMCA_GUARD(hsmca_file_write_replace(path, resp, resp_len, 0644));
        OPENSSL_free(resp);
        resp = NULL;
        written++;
        if (o.status != HSMCA_OCSP_SUCCESSFUL)
            errors++;
        counts[0] += o.good;
        counts[1] += o.revoked;
        counts[2] += o.unknown;
    }
    printf("%zu OCSP responses for issuer '%s' in %s: %d good, %d revoked, %d unknown",
           written, a->issuer, a->dir, counts[0], counts[1], counts[2]);
    if (errors > 0)
        printf(", %d unauthorized (the issuer's OCSP policy)", errors);
    printf("\n");
out:
    OPENSSL_free(resp);
    free(v);
    hsmca_ocsp_responder_free(r);
    hsmca_store_issuer_free(is);
    hsmca_store_close(st);
    return err;
}

static int cmd_batch(const cli_globals *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"issuer", required_argument, NULL, OPT_ISSUER},
        {"dir", required_argument, NULL, OPT_DIR},
        {"hash", required_argument, NULL, OPT_HASH},
        {"validity", required_argument, NULL, OPT_VALIDITY},
        {"pin-file", required_argument, NULL, OPT_PIN_FILE_R},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *cmd = "hsmca ocsp batch";
    struct rev_args a;
    signer_ctx sc = {g, NULL, NULL, NULL, NULL};
    int done, rc;

    rc = parse(argc, argv, cmd, batch_help, opts, &a, &done);
    if (rc != CLI_OK || done)
        return rc;
    sc.pin_file = a.pin_file;
    if (do_batch(g, &a, &sc) != HSMCA_OK)
        rc = hsmca_err_last() == HSMCA_E_USAGE ? (cli_fail(), CLI_USAGE) : cli_fail();
    signer_close(&sc);
    return rc;
}

int cli_cmd_ocsp(const cli_globals *g, int argc, char **argv)
{
    static const cli_command cmds[] = {
        {"respond", cmd_respond, "answer an OCSP request"},
        {"batch", cmd_batch, "pre-sign responses for every assigned serial"},
        {NULL, NULL, NULL}};

    return cli_dispatch(g, "hsmca ocsp", cmds, ocsp_help, argc - 1, argv + 1);
}

/* ---- hsmca crl ---- */

static const char crl_help[] =
    "Usage: hsmca [--state DIR] crl --issuer NAME [--out FILE] [--pem]\n"
    "           [--validity DURATION] [--pin-file FILE]\n"
    "\n"
    "Sign the issuer's full CRL now (RFC 5280 v2, BR 7.2): every revoked serial,\n"
    "precert-only ones included (MRSP 5.4), reasonCode per BR 7.2.2, AKI, and a\n"
    "CRL number one above the last (kept in the store, never reused). No\n"
    "revokedCertificates field when nothing is revoked; no issuing distribution\n"
    "point (a full, unpartitioned CRL). The CRL is recorded in the store.\n"
    "\n"
    "  --issuer NAME        a registered issuer\n"
    "  --out FILE           where it goes (never overwritten); default stdout,\n"
    "                       unless it is a terminal and the CRL is DER\n"
    "  --pem                PEM instead of DER\n"
    "  --validity DURATION  nextUpdate - thisUpdate (BR 4.9.7: at most 10d);\n"
    "                       default 7d\n"
    "  --pin-file FILE      the token PIN, instead of the issuer's configured source\n";

int cli_cmd_crl(const cli_globals *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"issuer", required_argument, NULL, OPT_ISSUER},
        {"out", required_argument, NULL, OPT_OUT},
        {"pem", no_argument, NULL, OPT_PEM},
        {"validity", required_argument, NULL, OPT_VALIDITY},
        {"pin-file", required_argument, NULL, OPT_PIN_FILE_R},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *cmd = "hsmca crl";
    struct rev_args a;
    hsmca_store *st = NULL;
    hsmca_hsm *hsm = NULL;
    hsmca_ca *ca = NULL;
    hsmca_time validity = 0, now = hsmca_clock_now(), next = 0;
    uint8_t *der = NULL;
    size_t der_len = 0;
    uint64_t number = 0;
    X509_CRL *crl = NULL;
    char *pem = NULL;
    size_t pem_len = 0;
    char when[32];
    int done, rc;

    rc = parse(argc, argv, cmd, crl_help, opts, &a, &done);
    if (rc != CLI_OK || done)
        return rc;
    if (a.issuer == NULL)
        return cli_usage_error(cmd, "--issuer NAME is required");
    if (cli_duration("--validity", a.validity, &validity) != HSMCA_OK) {
        cli_fail();
        return CLI_USAGE;
    }
    if (validity > HSMCA_CRL_VALIDITY_MAX)
        return cli_usage_error(cmd, "--validity %s is more than the 10 days BR 4.9.7 allows",
                               a.validity);
    if ((a.out != NULL && strcmp(a.out, "-") != 0 && hsmca_file_check_new(a.out) != HSMCA_OK) ||
        cli_open_ca(g, a.issuer, a.pin_file, &st, &hsm, &ca) != HSMCA_OK ||
        hsmca_crl_issue(st, hsmca_ca_get0_issuer(ca), hsmca_ca_get0_cert(ca),
                        hsmca_hsm_key_get0_signer(hsmca_ca_get0_key(ca)), now, validity, &der,
                        &der_len, &number) != HSMCA_OK) {
        rc = cli_fail();
        goto out;
    }
    {
        const unsigned char *p = der;
        crl = d2i_X509_CRL(NULL, &p, (long)der_len);
        if (crl == NULL ||
            hsmca_ossl_time(X509_CRL_get0_nextUpdate(crl), "nextUpdate", &next) != HSMCA_OK ||
            (a.pem && hsmca_crl_to_pem(crl, &pem, &pem_len) != HSMCA_OK)) {
            rc = cli_fail();
            goto out;
        }
    }
    if (cli_write_blob(a.pem ? (const void *)pem : der, a.pem ? pem_len : der_len, a.out,
                       !a.pem) != HSMCA_OK) {
        rc = cli_fail();
        goto out;
    }
    fprintf(stderr, "CRL number %llu for issuer '%s', next update %s\n",
            (unsigned long long)number, a.issuer, hsmca_clock_format(next, when, sizeof when));
out:
    X509_CRL_free(crl);
    OPENSSL_free(pem);
    OPENSSL_free(der);
    hsmca_ca_free(ca);
    hsmca_hsm_free(hsm);
    hsmca_store_close(st);
    return rc;
}
