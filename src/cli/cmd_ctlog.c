/* hsmca ctlog — test CT log keys and SCTs, for running the whole flow
 * offline. A test log's key is a software key on purpose: the only software
 * keys hsmca makes besides the throwaway lint keys (DESIGN.md). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cli.h"
#include "hsmca/clock.h"
#include "hsmca/ct.h"
#include "hsmca/file.h"
#include "hsmca/ossl.h"
#include "hsmca/x509.h"

static const char ctlog_help[] =
    "Usage: hsmca ctlog COMMAND [OPTIONS]\n"
    "\n"
    "Test Certificate Transparency logs, offline.\n"
    "\n"
    "Commands:\n"
    "  keygen       make a test log key (software ECDSA P-256)\n"
    "  sct          sign an SCT for a precertificate with a test log key\n";

static const char keygen_help[] =
    "Usage: hsmca ctlog keygen --out-key FILE --out-pub FILE [--operator NAME]\n"
    "\n"
    "Make a test log key: a software ECDSA P-256 key (a test log is not a CA\n"
    "key; RFC 6962 logs sign with P-256). The private key is written with mode\n"
    "0600; the public key is what CAs and clients configure, and its SHA-256\n"
    "(of the SPKI DER) is the log id. --operator writes FILE.operator beside\n"
    "the public key, for the CT policies' operator diversity.\n";

static const char sct_help[] =
    "Usage: hsmca ctlog sct --key FILE --precert FILE --issuer-cert FILE --out FILE\n"
    "           [--timestamp MS] [--format json|tls]\n"
    "\n"
    "Sign an SCT over a precertificate entry (RFC 6962 §3.2: the issuer's key\n"
    "hash and the precertificate's TBS without the poison) with a test log key.\n"
    "\n"
    "  --timestamp MS   milliseconds since 1970 (default: the clock, --now)\n"
    "  --format F       json: an add-pre-chain response (default); tls: the\n"
    "                   TLS-encoded SignedCertificateTimestamp\n";

enum { OPT_OUT_KEY = 0x400, OPT_OUT_PUB, OPT_OPERATOR, OPT_LOG_PRIV, OPT_PRECERT, OPT_ISSUER_CERT,
       OPT_OUT, OPT_TIMESTAMP, OPT_FORMAT };

struct ctlog_args {
    const char *out_key, *out_pub, *operator_name, *key, *precert, *issuer, *out, *timestamp;
    const char *format;
};

static int take_ctlog(void *vctx, int opt, const char *arg)
{
    struct ctlog_args *a = vctx;

    switch (opt) {
    case OPT_OUT_KEY: a->out_key = arg; return 1;
    case OPT_OUT_PUB: a->out_pub = arg; return 1;
    case OPT_OPERATOR: a->operator_name = arg; return 1;
    case OPT_LOG_PRIV: a->key = arg; return 1;
    case OPT_PRECERT: a->precert = arg; return 1;
    case OPT_ISSUER_CERT: a->issuer = arg; return 1;
    case OPT_OUT: a->out = arg; return 1;
    case OPT_TIMESTAMP: a->timestamp = arg; return 1;
    case OPT_FORMAT: a->format = arg; return 1;
    default: return 0;
    }
}

static const struct option ctlog_opts[] = {
    {"out-key", required_argument, NULL, OPT_OUT_KEY},
    {"out-pub", required_argument, NULL, OPT_OUT_PUB},
    {"operator", required_argument, NULL, OPT_OPERATOR},
    {"key", required_argument, NULL, OPT_LOG_PRIV},
    {"precert", required_argument, NULL, OPT_PRECERT},
    {"issuer-cert", required_argument, NULL, OPT_ISSUER_CERT},
    {"out", required_argument, NULL, OPT_OUT},
    {"timestamp", required_argument, NULL, OPT_TIMESTAMP},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

static hsmca_err do_keygen(const struct ctlog_args *a)
{
    hsmca_err err = HSMCA_OK;
    EVP_PKEY *key = NULL;
    BIO *mem = NULL;
    char *priv = NULL, *pub = NULL, opfile[4096];
    size_t priv_len = 0, pub_len = 0;
    uint8_t id[32];

    HSMCA_ENSURE(a->out_key != NULL && a->out_pub != NULL, HSMCA_E_USAGE,
                 "--out-key and --out-pub are required");
    HSMCA_GUARD(hsmca_file_check_new(a->out_key));
    HSMCA_GUARD(hsmca_file_check_new(a->out_pub));
    snprintf(opfile, sizeof(opfile), "%s.operator", a->out_pub);
    if (a->operator_name != NULL)
        HSMCA_GUARD(hsmca_file_check_new(opfile));
    key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    HSMCA_OSSL(key != NULL, "cannot generate the log key");
    mem = BIO_new(BIO_s_mem());
    HSMCA_ALLOC(mem);
    HSMCA_OSSL(PEM_write_bio_PrivateKey(mem, key, NULL, NULL, 0, NULL, NULL) == 1,
               "cannot encode the log key");
    HSMCA_GUARD(hsmca_bio_to_buf(mem, "the log key as PEM", &priv, &priv_len));
    HSMCA_GUARD(hsmca_x509_pubkey_to_pem(key, &pub, &pub_len));
    HSMCA_GUARD(hsmca_ct_log_id(key, id));
    HSMCA_GUARD(hsmca_file_write_new(a->out_key, priv, priv_len, 0600));
    HSMCA_GUARD(hsmca_file_write_new(a->out_pub, pub, pub_len, 0644));
    if (a->operator_name != NULL)
        HSMCA_GUARD(hsmca_file_write_new(opfile, a->operator_name, strlen(a->operator_name), 0644));
    printf("log id: ");
    for (int i = 0; i < 32; i++)
        printf("%02x", id[i]);
    printf("\n");
out:
    OPENSSL_clear_free(priv, priv_len);
    OPENSSL_free(pub);
    BIO_free(mem);
    EVP_PKEY_free(key);
    return err;
}

static hsmca_err do_sct(const struct ctlog_args *a)
{
    hsmca_err err = HSMCA_OK;
    EVP_PKEY *key = NULL;
    X509 *precert = NULL, *issuer = NULL;
    hsmca_sct *sct = NULL;
    uint8_t *data = NULL, *tls = NULL;
    size_t len = 0, tls_len = 0;
    char *json = NULL, *end = NULL;
    BIO *bio = NULL;
    uint64_t ts;
    int as_json;

    HSMCA_ENSURE(a->key && a->precert && a->issuer && a->out, HSMCA_E_USAGE,
                 "--key, --precert, --issuer-cert and --out are required");
    HSMCA_ENSURE(a->format == NULL || strcmp(a->format, "json") == 0 ||
                     strcmp(a->format, "tls") == 0,
                 HSMCA_E_USAGE, "--format must be json or tls");
    as_json = a->format == NULL || strcmp(a->format, "json") == 0;
    if (a->timestamp != NULL) {
        ts = strtoull(a->timestamp, &end, 10);
        HSMCA_ENSURE(end != a->timestamp && *end == '\0', HSMCA_E_USAGE,
                     "--timestamp '%s' is not a number of milliseconds", a->timestamp);
    } else {
        ts = (uint64_t)hsmca_clock_now() * 1000u;
    }
    HSMCA_GUARD(hsmca_file_check_new(a->out));
    HSMCA_GUARD(hsmca_file_read(a->key, 64 * 1024, &data, &len));
    bio = BIO_new_mem_buf(data, (int)len);
    HSMCA_ALLOC(bio);
    key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    HSMCA_OSSL(key != NULL, "%s is not a PEM private key", a->key);
    HSMCA_GUARD(cli_read_cert(a->precert, &precert));
    HSMCA_GUARD(cli_read_cert(a->issuer, &issuer));
    HSMCA_ENSURE(hsmca_ct_poison_count(precert) == 1, HSMCA_E_INPUT,
                 "%s is not a precertificate (no CT poison extension)", a->precert);
    HSMCA_GUARD(hsmca_ct_sct_sign(key, precert, issuer, ts, &sct));
    if (as_json) {
        HSMCA_GUARD(hsmca_ct_sct_to_json(sct, &json));
        HSMCA_GUARD(hsmca_file_write_new(a->out, json, strlen(json), 0644));
    } else {
        HSMCA_GUARD(hsmca_ct_sct_encode(sct, &tls, &tls_len));
        HSMCA_GUARD(hsmca_file_write_new(a->out, tls, tls_len, 0644));
    }
out:
    OPENSSL_clear_free(data, len);
    free(json);
    free(tls);
    BIO_free(bio);
    hsmca_sct_free(sct);
    X509_free(precert);
    X509_free(issuer);
    EVP_PKEY_free(key);
    return err;
}

static int run_ctlog(const cli_globals *g, int argc, char **argv, int sct)
{
    const char *cmd = sct ? "hsmca ctlog sct" : "hsmca ctlog keygen";
    struct ctlog_args a;
    int done, rc;

    (void)g;
    memset(&a, 0, sizeof(a));
    rc = cli_parse(argc, argv, cmd, sct ? sct_help : keygen_help, ctlog_opts, take_ctlog, &a,
                   &done);
    if (rc != CLI_OK || done)
        return rc;
    if (optind != argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if ((sct ? do_sct(&a) : do_keygen(&a)) != HSMCA_OK)
        return cli_fail();
    return CLI_OK;
}

static int cmd_keygen(const cli_globals *g, int argc, char **argv)
{
    return run_ctlog(g, argc, argv, 0);
}

static int cmd_sct(const cli_globals *g, int argc, char **argv)
{
    return run_ctlog(g, argc, argv, 1);
}

int cli_cmd_ctlog(const cli_globals *g, int argc, char **argv)
{
    static const cli_command cmds[] = {
        {"keygen", cmd_keygen, "make a test log key"},
        {"sct", cmd_sct, "sign an SCT"},
        {NULL, NULL, NULL}};

    return cli_dispatch(g, "hsmca ctlog", cmds, ctlog_help, argc - 1, argv + 1);
}
