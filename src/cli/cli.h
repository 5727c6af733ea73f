/* hsmca command line: shared pieces of the subcommands. */
#ifndef HSMCA_CLI_H
#define HSMCA_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "hsmca/ca.h"
#include "hsmca/err.h"
#include "hsmca/hsm.h"
#include "hsmca/store.h"

#include <openssl/x509.h>

/* Exit codes (issue #2): 0 ok, 1 failure, 2 usage. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* Global options, parsed before the command. */
typedef struct cli_globals {
    const char *module;   /* --module, or NULL for $HSMCA_PKCS11_MODULE/default */
    const char *state;    /* --state, or NULL for $HSMCA_STATE */
} cli_globals;

/* Where bare profile names are found: opt, else $HSMCA_PROFILES_DIR, else
 * the shipped profiles/ of this build. */
const char *cli_profiles_dir(const char *opt);

/* The state directory: --state, else $HSMCA_STATE; HSMCA_E_USAGE if neither. */
hsmca_err cli_state_dir(const cli_globals *g, const char **out);

typedef int (*cli_fn)(const cli_globals *g, int argc, char **argv);

typedef struct cli_command {
    const char *name;
    cli_fn fn;
    const char *summary;
} cli_command;

/* Print "hsmca: error: message (detail)" for the current error; returns 1. */
int cli_fail(void);
/* Print "hsmca: <fmt>" and "Try '<cmd> --help'." to stderr; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One option of a command: returns 1 if taken, 0 if not this command's,
 * -1 on a bad value (after printing the error). */
typedef int (*cli_take_fn)(void *ctx, int opt, const char *arg);

/* getopt_long over argv with opts (which should include {"help", 'h'}):
 * -h prints usage and sets *done; unknown options are usage errors. Options
 * may follow positional arguments, which start at optind afterwards.
 * Returns CLI_OK or CLI_USAGE. */
int cli_parse(int argc, char **argv, const char *cmd, const char *usage,
              const struct option *opts, cli_take_fn take, void *ctx, int *done);

/* Dispatch argv[0] among cmds; prints `help` for -h/--help/no command. */
int cli_dispatch(const cli_globals *g, const char *prefix, const cli_command *cmds,
                 const char *help, int argc, char **argv);

/* ---- token, key and PIN options shared by every command that signs ---- */

/* The getopt_long entries, and their `val`s (>= 0x100 so they never clash
 * with short options). */
enum {
    OPT_TOKEN = 0x100,
    OPT_TOKEN_SERIAL,
    OPT_SLOT,
    OPT_KEY,
    OPT_KEY_ID,
    OPT_PIN_FILE,
    OPT_PIN_ENV,
    OPT_NO_PROMPT,
    CLI_TOKEN_OPT_LAST
};

#define CLI_TOKEN_LONGOPTS                                                    \
    {"token", required_argument, NULL, OPT_TOKEN},                            \
    {"token-serial", required_argument, NULL, OPT_TOKEN_SERIAL},              \
    {"slot", required_argument, NULL, OPT_SLOT},                              \
    {"pin-file", required_argument, NULL, OPT_PIN_FILE},                      \
    {"pin-env", required_argument, NULL, OPT_PIN_ENV},                        \
    {"no-prompt", no_argument, NULL, OPT_NO_PROMPT}

#define CLI_KEY_LONGOPTS                                                      \
    {"key", required_argument, NULL, OPT_KEY},                                \
    {"key-id", required_argument, NULL, OPT_KEY_ID}

/* Help text for those options, to paste into a command's usage. */
#define CLI_TOKEN_SELECT_HELP                                                 \
    "  --token LABEL         token label\n"                                   \
    "  --token-serial S      token serial number\n"                           \
    "  --slot N              PKCS#11 slot id\n"
#define CLI_TOKEN_HELP                                                        \
    "Token (one of these, or a pkcs11: URI in --key):\n"                      \
    CLI_TOKEN_SELECT_HELP CLI_PIN_HELP
#define CLI_PIN_HELP                                                          \
    "User PIN (never on the command line):\n"                                 \
    "  --pin-file FILE       read the PIN from the first line of FILE\n"      \
    "  --pin-env VAR         read the PIN from $VAR (default: HSMCA_PIN)\n"   \
    "  --no-prompt           never prompt on the terminal\n"                  \
    "  otherwise hsmca prompts without echo when run on a terminal\n"

#define CLI_KEY_HELP                                                          \
    "Key:\n"                                                                  \
    "  --key LABEL|URI       key label, or an RFC 7512 URI such as\n"         \
    "                        'pkcs11:token=hsmca-root;object=root-key'\n"     \
    "  --key-id HEX          key CKA_ID in hex\n"

typedef struct cli_token_opts {
    hsmca_token_sel sel;
    const char *key_label;
    uint8_t key_id[HSMCA_KEY_ID_MAX];
    size_t key_id_len;
    const char *pin_file;
    const char *pin_env;
    int no_prompt;
    hsmca_pkcs11_uri uri;   /* when --key is a pkcs11: URI */
    int key_given;
    const char *module;     /* from the URI's module-path, if any */
} cli_token_opts;

void cli_token_opts_init(cli_token_opts *o);
void cli_token_opts_clear(cli_token_opts *o);
/* Consume one option from CLI_TOKEN_LONGOPTS/CLI_KEY_LONGOPTS. Returns 1 if
 * it was one of ours, 0 if not, -1 (error printed) on a bad value. */
int cli_token_opts_take(cli_token_opts *o, const char *cmd, int opt, const char *arg);

/* Open the module, the token, and log in. On failure everything is freed. */
hsmca_err cli_open_token(const cli_globals *g, cli_token_opts *o, int login, hsmca_hsm **out_hsm,
                         hsmca_token **out_tok);
/* ... and find the key. */
hsmca_err cli_open_key(const cli_globals *g, cli_token_opts *o, hsmca_hsm **out_hsm,
                       hsmca_token **out_tok, hsmca_key **out_key);

/* A serial given in hex (optional 0x), 1..HSMCA_STORE_SERIAL_MAX bytes.
 * HSMCA_E_USAGE naming the option on bad input. */
hsmca_err cli_parse_serial(const char *hex, uint8_t *out, size_t *out_len);

/* 1 if an --out value means stdout: no --out (NULL), or "-". */
int cli_is_stdout(const char *out);

/* Before any work is done: HSMCA_OK when out is stdout (cli_is_stdout) or
 * names no existing file (hsmca_file_check_new), so a command that could
 * not write its result fails before it uses a serial or the token. */
hsmca_err cli_check_out(const char *out);

/* A certificate as PEM into a new file (never overwritten), or to stdout
 * when out is NULL or "-". */
hsmca_err cli_write_cert(X509 *cert, const char *out);

/* Store, HSM (the issuer's module, or --module) and the issuer's CA,
 * logged in with the issuer's PIN source or pin_file. On failure the
 * caller still frees what was opened (*st, *hsm may be set). */
hsmca_err cli_open_ca(const cli_globals *g, const char *issuer, const char *pin_file,
                      hsmca_store **st, hsmca_hsm **hsm, hsmca_ca **ca);

/* A certificate file (PEM or DER, at most 1 MiB); errors name the file. */
hsmca_err cli_read_cert(const char *path, X509 **out);

/* Bytes into a new file (never overwritten), or to stdout when out is NULL
 * or "-" (refused for binary data when stdout is a terminal). */
hsmca_err cli_write_blob(const void *data, size_t len, const char *out, int binary);

/* A duration option (hsmca_clock_parse_duration: 90m, 12h, 4d); text NULL
 * leaves *out 0. A bad value is HSMCA_E_USAGE naming the option. */
hsmca_err cli_duration(const char *opt, const char *text, hsmca_time *out);

/* Hex of bytes into buf (2*n+1). */
const char *cli_hex(const uint8_t *p, size_t n, char *buf, size_t len);

int cli_cmd_hsm(const cli_globals *g, int argc, char **argv);
int cli_cmd_ceremony(const cli_globals *g, int argc, char **argv);
int cli_cmd_issuer(const cli_globals *g, int argc, char **argv);
int cli_cmd_issue(const cli_globals *g, int argc, char **argv);
int cli_cmd_ctlog(const cli_globals *g, int argc, char **argv);
int cli_cmd_verify(const cli_globals *g, int argc, char **argv);
int cli_cmd_cert(const cli_globals *g, int argc, char **argv);
int cli_cmd_revoke(const cli_globals *g, int argc, char **argv);
int cli_cmd_ocsp(const cli_globals *g, int argc, char **argv);
int cli_cmd_crl(const cli_globals *g, int argc, char **argv);
int cli_cmd_serve(const cli_globals *g, int argc, char **argv);
int cli_cmd_fixtures(const cli_globals *g, int argc, char **argv);

#endif
