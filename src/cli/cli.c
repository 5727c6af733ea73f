/* hsmca command line: error printing, dispatch, token/key/PIN options. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "hsmca/file.h"
#include "hsmca/secret.h"
#include "hsmca/x509.h"

#include <openssl/crypto.h>
#include <strings.h>

int cli_fail(void)
{
    const char *detail = hsmca_err_detail();

    if (detail[0] != '\0')
        fprintf(stderr, "hsmca: error: %s (%s)\n", hsmca_err_message(), detail);
    else
        fprintf(stderr, "hsmca: error: %s\n", hsmca_err_message());
    return hsmca_err_last() == HSMCA_E_USAGE ? CLI_USAGE : CLI_FAIL;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "hsmca: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help'.\n", cmd);
    return CLI_USAGE;
}

const char *cli_profiles_dir(const char *opt)
{
    const char *env = getenv("HSMCA_PROFILES_DIR");

    if (opt != NULL)
        return opt;
    return env != NULL && env[0] != '\0' ? env : HSMCA_PROFILES_DIR;
}

hsmca_err cli_state_dir(const cli_globals *g, const char **out)
{
    const char *env = getenv("HSMCA_STATE");

    if (g->state != NULL && g->state[0] != '\0')
        *out = g->state;
    else if (env != NULL && env[0] != '\0')
        *out = env;
    else
        return hsmca_err_setf(HSMCA_E_USAGE, "no state directory: pass --state DIR (before the "
                              "command) or set HSMCA_STATE");
    return HSMCA_OK;
}

int cli_parse(int argc, char **argv, const char *cmd, const char *usage,
              const struct option *opts, cli_take_fn take, void *ctx, int *done)
{
    int c, r;

    *done = 0;
    optind = 0; /* 0, not 1: glibc then re-reads the ordering mode */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            *done = 1;
            return CLI_OK;
        }
        if (c == '?' || c == ':')
            return cli_usage_error(cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
        r = take != NULL ? take(ctx, c, optarg) : 0;
        if (r < 0)
            return CLI_USAGE;
        if (r == 0)
            return cli_usage_error(cmd, "option '%s' does not apply here", argv[optind - 1]);
    }
    return CLI_OK;
}

int cli_dispatch(const cli_globals *g, const char *prefix, const cli_command *cmds,
                 const char *help, int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0 ||
        strcmp(argv[0], "help") == 0) {
        fputs(help, argc < 1 ? stderr : stdout);
        return argc < 1 ? CLI_USAGE : CLI_OK;
    }
    for (const cli_command *c = cmds; c->name != NULL; c++)
        if (strcmp(c->name, argv[0]) == 0)
            return c->fn(g, argc, argv);
    return cli_usage_error(prefix, "'%s' is not a command of '%s'", argv[0], prefix);
}

/* An even number of hex digits, at most max bytes, into out. 0 or -1. */
static int parse_hex(const char *s, uint8_t *out, size_t max, size_t *out_len)
{
    size_t n = strlen(s);

    if (n == 0 || n % 2 != 0 || n / 2 > max)
        return -1;
    for (size_t i = 0; i < n; i += 2) {
        unsigned v;
        if (!isxdigit((unsigned char)s[i]) || !isxdigit((unsigned char)s[i + 1]) ||
            sscanf(s + i, "%2x", &v) != 1)
            return -1;
        out[i / 2] = (uint8_t)v;
    }
    *out_len = n / 2;
    return 0;
}

hsmca_err cli_parse_serial(const char *hex, uint8_t *out, size_t *out_len)
{
    size_t n;

    if (strncasecmp(hex, "0x", 2) == 0)
        hex += 2;
    n = strlen(hex);
    if (n == 0 || n % 2 != 0 || n / 2 > HSMCA_STORE_SERIAL_MAX)
        return hsmca_err_setf(HSMCA_E_USAGE, "--serial '%s' is not an even number of hex digits "
                              "(1 to %d bytes)", hex, HSMCA_STORE_SERIAL_MAX);
    if (parse_hex(hex, out, HSMCA_STORE_SERIAL_MAX, out_len) != 0)
        return hsmca_err_setf(HSMCA_E_USAGE, "--serial '%s' is not hex", hex);
    return HSMCA_OK;
}

int cli_is_stdout(const char *out)
{
    return out == NULL || strcmp(out, "-") == 0;
}

hsmca_err cli_check_out(const char *out)
{
    return cli_is_stdout(out) ? HSMCA_OK : hsmca_file_check_new(out);
}

hsmca_err cli_write_cert(X509 *cert, const char *out)
{
    hsmca_err err = HSMCA_OK;
    char *pem = NULL;
    size_t len = 0;

    HSMCA_GUARD(hsmca_x509_to_pem(cert, &pem, &len));
    HSMCA_GUARD(cli_write_blob(pem, len, out, 0));
out:
    OPENSSL_free(pem);
    return err;
}

const char *cli_hex(const uint8_t *p, size_t n, char *buf, size_t len)
{
    size_t o = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < n && o + 3 <= len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%02x", p[i]);
    return buf;
}

void cli_token_opts_init(cli_token_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->sel.slot_id = -1;
    o->uri.slot_id = -1;
    o->pin_env = "HSMCA_PIN";
}

void cli_token_opts_clear(cli_token_opts *o)
{
    hsmca_hsm_uri_clear(&o->uri);
}

int cli_token_opts_take(cli_token_opts *o, const char *cmd, int opt, const char *arg)
{
    char *end = NULL;

    switch (opt) {
    case OPT_TOKEN:
        o->sel.label = arg;
        return 1;
    case OPT_TOKEN_SERIAL:
        o->sel.serial = arg;
        return 1;
    case OPT_SLOT:
        errno = 0;
        o->sel.slot_id = strtol(arg, &end, 10);
        if (errno != 0 || end == arg || *end != '\0' || o->sel.slot_id < 0) {
            cli_usage_error(cmd, "--slot '%s' is not a slot number", arg);
            return -1;
        }
        return 1;
    case OPT_KEY:
        /* Once only: the token and key fields may point into a parsed URI. */
        if (o->key_given) {
            cli_usage_error(cmd, "--key given twice");
            return -1;
        }
        o->key_given = 1;
        if (strncasecmp(arg, "pkcs11:", 7) == 0) {
            if (hsmca_hsm_uri_parse(arg, &o->uri) != HSMCA_OK) {
                cli_fail();
                return -1;
            }
            o->key_label = o->uri.object;
            if (o->uri.id != NULL) {
                memcpy(o->key_id, o->uri.id, o->uri.id_len);
                o->key_id_len = o->uri.id_len;
            }
            if (o->uri.token != NULL)
                o->sel.label = o->uri.token;
            if (o->uri.serial != NULL)
                o->sel.serial = o->uri.serial;
            if (o->uri.slot_id >= 0)
                o->sel.slot_id = o->uri.slot_id;
            if (o->uri.module_path != NULL)
                o->module = o->uri.module_path;
            if (o->uri.pin_source != NULL) {
                /* RFC 7512 §2.4 pin-source: a file path, optionally file: */
                o->pin_file = strncmp(o->uri.pin_source, "file:", 5) == 0
                                  ? o->uri.pin_source + 5 : o->uri.pin_source;
            }
        } else {
            o->key_label = arg;
        }
        return 1;
    case OPT_KEY_ID:
        if (parse_hex(arg, o->key_id, sizeof(o->key_id), &o->key_id_len) != 0) {
            cli_usage_error(cmd, "--key-id '%s' is not an even-length hex string of at most "
                            "%d bytes", arg, HSMCA_KEY_ID_MAX);
            return -1;
        }
        return 1;
    case OPT_PIN_FILE:
        o->pin_file = arg;
        return 1;
    case OPT_PIN_ENV:
        o->pin_env = arg;
        return 1;
    case OPT_NO_PROMPT:
        o->no_prompt = 1;
        return 1;
    default:
        return 0;
    }
}

hsmca_err cli_open_token(const cli_globals *g, cli_token_opts *o, int login, hsmca_hsm **out_hsm,
                         hsmca_token **out_tok)
{
    hsmca_err err = HSMCA_OK;
    hsmca_hsm *hsm = NULL;
    hsmca_token *tok = NULL;
    hsmca_secret *pin = NULL;
    char what[96];

    HSMCA_ENSURE(o->sel.label != NULL || o->sel.serial != NULL || o->sel.slot_id >= 0,
                 HSMCA_E_USAGE, "no token given: use --token LABEL, --token-serial, --slot, "
                 "or a pkcs11: URI with token=");
    HSMCA_GUARD(hsmca_hsm_open(g->module != NULL ? g->module : o->module, &hsm));
    HSMCA_GUARD(hsmca_hsm_token_open(hsm, &o->sel, &tok));
    if (login) {
        hsmca_pin_source src = {o->pin_file, o->pin_env, !o->no_prompt, what};
        snprintf(what, sizeof(what), "user PIN for token '%s'",
                 hsmca_hsm_token_info(tok)->label);
        HSMCA_GUARD(hsmca_secret_read_pin(&src, &pin));
        HSMCA_GUARD(hsmca_hsm_token_login(tok, pin));
    }
    *out_hsm = hsm;
    *out_tok = tok;
    hsm = NULL;
    tok = NULL;
out:
    hsmca_secret_free(pin);
    hsmca_hsm_token_free(tok);
    hsmca_hsm_free(hsm);
    return err;
}

hsmca_err cli_open_key(const cli_globals *g, cli_token_opts *o, hsmca_hsm **out_hsm,
                       hsmca_token **out_tok, hsmca_key **out_key)
{
    hsmca_err err = HSMCA_OK;
    hsmca_hsm *hsm = NULL;
    hsmca_token *tok = NULL;
    hsmca_key_sel ks = {o->key_label, o->key_id_len ? o->key_id : NULL, o->key_id_len};

    HSMCA_ENSURE(ks.label != NULL || ks.id != NULL, HSMCA_E_USAGE,
                 "no key given: use --key LABEL, --key-id HEX or --key pkcs11:...");
    HSMCA_GUARD(cli_open_token(g, o, 1, &hsm, &tok));
    HSMCA_GUARD(hsmca_hsm_key_find(tok, &ks, out_key));
    *out_hsm = hsm;
    *out_tok = tok;
    hsm = NULL;
    tok = NULL;
out:
    hsmca_hsm_token_free(tok);
    hsmca_hsm_free(hsm);
    return err;
}

hsmca_err cli_open_ca(const cli_globals *g, const char *issuer, const char *pin_file,
                      hsmca_store **st, hsmca_hsm **hsm, hsmca_ca **ca)
{
    hsmca_err err = HSMCA_OK;
    const char *state;
    hsmca_store_issuer *is = NULL;
    hsmca_secret *pin = NULL;

    HSMCA_ENSURE(issuer != NULL, HSMCA_E_USAGE, "--issuer NAME is required");
    HSMCA_GUARD(cli_state_dir(g, &state));
    HSMCA_GUARD(hsmca_store_open(state, st));
    HSMCA_GUARD(hsmca_store_issuer_get(*st, issuer, &is));
    HSMCA_GUARD(hsmca_hsm_open(g->module != NULL ? g->module : is->module, hsm));
    if (pin_file != NULL) {
        hsmca_pin_source src = {pin_file, NULL, 0, "user PIN"};
        HSMCA_GUARD(hsmca_secret_read_pin(&src, &pin));
    }
    HSMCA_GUARD(hsmca_ca_open(*st, *hsm, issuer, pin, ca));
out:
    hsmca_secret_free(pin);
    hsmca_store_issuer_free(is);
    return err;
}

hsmca_err cli_write_blob(const void *data, size_t len, const char *out, int binary)
{
    hsmca_err err = HSMCA_OK;

    if (cli_is_stdout(out)) {
        HSMCA_ENSURE(!binary || !isatty(STDOUT_FILENO), HSMCA_E_USAGE,
                     "not writing binary DER to a terminal: use --out FILE (or --pem)");
        HSMCA_ENSURE(fwrite(data, 1, len, stdout) == len && fflush(stdout) == 0, HSMCA_E_IO,
                     "cannot write to stdout");
    } else {
        HSMCA_GUARD(hsmca_file_write_new(out, data, len, 0644));
    }
out:
    return err;
}

hsmca_err cli_duration(const char *opt, const char *text, hsmca_time *out)
{
    *out = 0;
    if (text == NULL)
        return HSMCA_OK;
    if (hsmca_clock_parse_duration(text, out) != HSMCA_OK)
        return hsmca_err_setf(HSMCA_E_USAGE, "%s: %s", opt, hsmca_err_message());
    return HSMCA_OK;
}

hsmca_err cli_read_cert(const char *path, X509 **out)
{
    hsmca_err err = HSMCA_OK;
    uint8_t *data = NULL;
    size_t len = 0;

    HSMCA_GUARD(hsmca_file_read(path, 1024 * 1024, &data, &len));
    err = hsmca_x509_from_bytes(data, len, out);
    if (err != HSMCA_OK)
        hsmca_err_context("%s", path);
out:
    free(data);
    return err;
}
