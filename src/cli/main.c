/* hsmca — entry point: global options and the command table. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hsmca/clock.h"
#include "hsmca/log.h"
#include "hsmca/secret.h"

static const char main_help[] =
    "Usage: hsmca [GLOBAL OPTIONS] COMMAND [ARGS]\n"
    "\n"
    "An HSM-backed certificate authority for testing the Web PKI.\n"
    "\n"
    "Commands:\n"
    "  hsm          PKCS#11 tokens and keys (tokens, init-token, keys, keygen,\n"
    "               pubkey, sign)\n"
    "  ceremony     key ceremonies (run, verify-transcript)\n"
    "  issuer       issuing CAs registered in the state directory (add, list,\n"
    "               policy)\n"
    "  issue        precertificates and final certificates (precert, final)\n"
    "  ctlog        test CT log keys and SCTs (keygen, sct)\n"
    "  verify       check a precertificate/final pair, its chain and SCTs\n"
    "  cert         a serial's state in the store; export a stored certificate\n"
    "  revoke       revoke a serial (precertificate-only serials too)\n"
    "  ocsp         OCSP responses (respond, batch)\n"
    "  crl          sign an issuer's CRL\n"
    "  serve        HTTP: OCSP, CRLs, CA certificates, the issuance API and test\n"
    "               CT logs\n"
    "  fixtures     a labelled corpus of valid and deliberately broken artifacts\n"
    "\n"
    "Global options:\n"
    "  --module PATH   PKCS#11 module (default: $HSMCA_PKCS11_MODULE, else\n"
    "                  /usr/lib/softhsm/libsofthsm2.so)\n"
    "  --state DIR     the state directory (SQLite store, issuers); also\n"
    "                  $HSMCA_STATE\n"
    "  --now TIME      fix the clock to an RFC 3339 time, e.g.\n"
    "                  2026-11-28T12:00:00Z (default: $HSMCA_NOW, else now)\n"
    "  --log LEVEL     error, warn (default), info or debug; also $HSMCA_LOG\n"
    "  -h, --help      this help; 'hsmca COMMAND --help' for a command\n"
    "  --version       print the version\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 usage error.\n"
    "PINs are never taken from the command line: see 'hsmca hsm keys --help'.\n";

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"module", required_argument, NULL, 'm'},
        {"state", required_argument, NULL, 's'},
        {"now", required_argument, NULL, 'n'},
        {"log", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    static const cli_command cmds[] = {
        {"hsm", cli_cmd_hsm, "PKCS#11 tokens and keys"},
        {"ceremony", cli_cmd_ceremony, "key ceremonies"},
        {"issuer", cli_cmd_issuer, "issuing CAs in the store"},
        {"issue", cli_cmd_issue, "precertificates and final certificates"},
        {"ctlog", cli_cmd_ctlog, "test CT log keys and SCTs"},
        {"verify", cli_cmd_verify, "check a precertificate/final pair"},
        {"cert", cli_cmd_cert, "what the store holds for a serial"},
        {"revoke", cli_cmd_revoke, "revoke a serial (precert-only ones too)"},
        {"ocsp", cli_cmd_ocsp, "OCSP responses: answer a request, pre-sign a batch"},
        {"crl", cli_cmd_crl, "sign an issuer's CRL"},
        {"serve", cli_cmd_serve, "serve OCSP, CRLs, CA certificates, the API and test CT logs"},
        {"fixtures", cli_cmd_fixtures, "a labelled corpus of valid and broken artifacts"},
        {NULL, NULL, NULL}};
    cli_globals g = {NULL, NULL};
    int c, level;

    /* PINs pass through this process: no core files, no ptrace. */
    hsmca_secret_harden_process();

    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            g.module = optarg;
            break;
        case 's':
            g.state = optarg;
            break;
        case 'n':
            if (hsmca_clock_set(optarg) != HSMCA_OK) {
                cli_fail();
                return CLI_USAGE;
            }
            break;
        case 'l':
            level = hsmca_log_parse_level(optarg);
            if (level < 0)
                return cli_usage_error("hsmca", "--log '%s' is not error, warn, info or debug",
                                       optarg);
            hsmca_log_set_level((hsmca_log_level)level);
            break;
        case 'h':
            fputs(main_help, stdout);
            return CLI_OK;
        case 'V':
            printf("hsmca %s\n", HSMCA_VERSION);
            return CLI_OK;
        default:
            return cli_usage_error("hsmca", "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (hsmca_clock_check_env() != HSMCA_OK) {
        cli_fail();
        return CLI_USAGE;
    }
    return cli_dispatch(&g, "hsmca", cmds, main_help, argc - optind, argv + optind);
}
