/* hsmca hsm — tokens and keys. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "cli.h"
#include "hsmca/file.h"
#include "hsmca/secret.h"
#include "hsmca/x509.h"

static const char hsm_help[] =
    "Usage: hsmca [GLOBAL OPTIONS] hsm COMMAND [OPTIONS]\n"
    "\n"
    "PKCS#11 tokens and the keys inside them.\n"
    "\n"
    "Commands:\n"
    "  tokens       list the tokens of the PKCS#11 module\n"
    "  init-token   initialise a token and set its SO and user PINs\n"
    "  keys         list the key pairs in a token\n"
    "  keygen       generate a key pair inside a token\n"
    "  pubkey       write a key's public key (PEM SubjectPublicKeyInfo)\n"
    "  sign         sign a file with a key in the token\n"
    "\n"
    "Run 'hsmca hsm COMMAND --help' for a command's options.\n";

/* Shared option handling: the token/key options, -h, and per-command
 * extras; hsm commands take no positional arguments. */
typedef int (*extra_fn)(void *ctx, int opt, const char *arg);

struct hsm_opts_ctx {
    cli_token_opts *o;
    const char *cmd;
    extra_fn take_extra;
    void *ctx;
};

static int take_hsm_opt(void *vctx, int opt, const char *arg)
{
    struct hsm_opts_ctx *h = vctx;
    int r = cli_token_opts_take(h->o, h->cmd, opt, arg);

    if (r != 0)
        return r;
    return h->take_extra != NULL ? h->take_extra(h->ctx, opt, arg) : 0;
}

/* Which of the shared options a command takes; the others are unknown to
 * it (getopt refuses them) rather than accepted and ignored. */
enum {
    USE_SLOT = 1u << 0,   /* --slot */
    USE_TOKEN = 1u << 1,  /* --token, --token-serial, --slot */
    USE_PIN = 1u << 2,    /* --pin-file, --pin-env, --no-prompt */
    USE_KEY = 1u << 3,    /* --key, --key-id */
};

static int parse_opts(int argc, char **argv, const char *cmd, const char *usage, unsigned use,
                      const struct option *extra, extra_fn take_extra, void *ctx,
                      cli_token_opts *o, int *done)
{
    static const struct {
        unsigned use;
        struct option opt;
    } common[] = {
        {USE_TOKEN, {"token", required_argument, NULL, OPT_TOKEN}},
        {USE_TOKEN, {"token-serial", required_argument, NULL, OPT_TOKEN_SERIAL}},
        {USE_TOKEN | USE_SLOT, {"slot", required_argument, NULL, OPT_SLOT}},
        {USE_PIN, {"pin-file", required_argument, NULL, OPT_PIN_FILE}},
        {USE_PIN, {"pin-env", required_argument, NULL, OPT_PIN_ENV}},
        {USE_PIN, {"no-prompt", no_argument, NULL, OPT_NO_PROMPT}},
        {USE_KEY, {"key", required_argument, NULL, OPT_KEY}},
        {USE_KEY, {"key-id", required_argument, NULL, OPT_KEY_ID}},
    };
    struct option opts[32];
    size_t n = 0;
    struct hsm_opts_ctx h = {o, cmd, take_extra, ctx};
    int rc;

    for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
        if (common[i].use & use)
            opts[n++] = common[i].opt;
    opts[n++] = (struct option){"help", no_argument, NULL, 'h'};
    for (size_t i = 0; extra != NULL && extra[i].name != NULL && n < 31; i++)
        opts[n++] = extra[i];
    memset(&opts[n], 0, sizeof(opts[n]));
    rc = cli_parse(argc, argv, cmd, usage, opts, take_hsm_opt, &h, done);
    if (rc == CLI_OK && !*done && optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    return rc;
}

/* ---- tokens ---- */

static const char tokens_help[] =
    "Usage: hsmca hsm tokens\n"
    "\n"
    "List every slot of the PKCS#11 module that holds a token: slot id, label,\n"
    "serial, model and state. Needs no PIN.\n";

static int cmd_tokens(const cli_globals *g, int argc, char **argv)
{
    cli_token_opts o;
    hsmca_hsm *hsm = NULL;
    hsmca_token_info *list = NULL;
    size_t n = 0;
    int done, rc;

    cli_token_opts_init(&o);
    rc = parse_opts(argc, argv, "hsmca hsm tokens", tokens_help, 0, NULL, NULL, NULL, &o, &done);
    if (rc != CLI_OK || done)
        goto out;
    if (hsmca_hsm_open(g->module, &hsm) != HSMCA_OK || hsmca_hsm_tokens(hsm, &list, &n) != HSMCA_OK) {
        rc = cli_fail();
        goto out;
    }
    printf("module: %s\n", hsmca_hsm_get0_module(hsm));
    printf("%-10s %-32s %-16s %-16s %s\n", "SLOT", "LABEL", "SERIAL", "MODEL", "STATE");
    for (size_t i = 0; i < n; i++) {
        const hsmca_token_info *t = &list[i];
        const char *state = !t->initialized    ? "uninitialised"
                            : !t->user_pin_set ? "no-user-pin"
                            : t->pin_locked    ? "pin-locked"
                            : t->pin_final_try ? "pin-final-try"
                                               : "ready";
        printf("%-10lu %-32s %-16s %-16s %s\n", t->slot_id, t->initialized ? t->label : "-",
               t->initialized ? t->serial : "-", t->model, state);
    }
out:
    free(list);
    hsmca_hsm_free(hsm);
    cli_token_opts_clear(&o);
    return rc;
}

/* ---- init-token ---- */

static const char init_help[] =
    "Usage: hsmca hsm init-token (--slot N | --free) --label LABEL [options]\n"
    "\n"
    "Initialise a token (C_InitToken) and set its user PIN. The SO PIN and the\n"
    "user PIN are read from files, variables or the terminal, never from argv.\n"
    "\n"
    "  --slot N             the slot whose token to initialise\n"
    "  --free               the first slot with an uninitialised token\n"
    "  --label LABEL        the new token label (1 to 32 bytes, unique)\n"
    "  --so-pin-file FILE   SO PIN from FILE (else $HSMCA_SO_PIN, else prompt)\n"
    "  --pin-file FILE      user PIN from FILE (else $HSMCA_PIN, else prompt)\n"
    "  --pin-env VAR        user PIN from $VAR instead of $HSMCA_PIN\n"
    "  --no-prompt          never prompt on the terminal\n"
    "  --reinit             allow erasing an already initialised token\n"
    "\n"
    "A prompted PIN is read once: prefer PIN files or variables you have checked.\n";

struct init_ctx {
    const char *label;
    const char *so_pin_file;
    int free_slot;
    int reinit;
};

enum { OPT_LABEL = CLI_TOKEN_OPT_LAST + 1, OPT_FREE, OPT_SO_PIN_FILE, OPT_REINIT, OPT_TYPE,
       OPT_OUT, OPT_IN, OPT_DIGEST };

static int init_take(void *vctx, int opt, const char *arg)
{
    struct init_ctx *c = vctx;

    switch (opt) {
    case OPT_LABEL: c->label = arg; return 1;
    case OPT_FREE: c->free_slot = 1; return 1;
    case OPT_SO_PIN_FILE: c->so_pin_file = arg; return 1;
    case OPT_REINIT: c->reinit = 1; return 1;
    default: return 0;
    }
}

static int cmd_init_token(const cli_globals *g, int argc, char **argv)
{
    static const struct option extra[] = {
        {"label", required_argument, NULL, OPT_LABEL},
        {"free", no_argument, NULL, OPT_FREE},
        {"so-pin-file", required_argument, NULL, OPT_SO_PIN_FILE},
        {"reinit", no_argument, NULL, OPT_REINIT},
        {NULL, 0, NULL, 0}};
    const char *cmd = "hsmca hsm init-token";
    struct init_ctx c = {NULL, NULL, 0, 0};
    cli_token_opts o;
    hsmca_hsm *hsm = NULL;
    hsmca_token_info *list = NULL;
    size_t n = 0;
    hsmca_secret *so_pin = NULL, *user_pin = NULL;
    long slot = -1;
    int done, rc;

    cli_token_opts_init(&o);
    rc = parse_opts(argc, argv, cmd, init_help, USE_SLOT | USE_PIN, extra, init_take, &c, &o, &done);
    if (rc != CLI_OK || done)
        goto out;
    if (c.label == NULL) {
        rc = cli_usage_error(cmd, "--label is required");
        goto out;
    }
    if ((o.sel.slot_id >= 0) == (c.free_slot != 0)) {
        rc = cli_usage_error(cmd, "give exactly one of --slot N and --free");
        goto out;
    }
    if (hsmca_hsm_open(g->module, &hsm) != HSMCA_OK || hsmca_hsm_tokens(hsm, &list, &n) != HSMCA_OK) {
        rc = cli_fail();
        goto out;
    }
    slot = o.sel.slot_id;
    for (size_t i = 0; c.free_slot && i < n && slot < 0; i++)
        if (!list[i].initialized)
            slot = (long)list[i].slot_id;
    if (slot < 0) {
        hsmca_err_setf(HSMCA_E_TOKEN_NOT_FOUND, "module %s has no slot with an uninitialised "
                       "token", hsmca_hsm_get0_module(hsm));
        rc = cli_fail();
        goto out;
    }
    {
        hsmca_pin_source so_src = {c.so_pin_file, "HSMCA_SO_PIN", !o.no_prompt,
                                   "SO PIN for the new token"};
        hsmca_pin_source user_src = {o.pin_file, o.pin_env, !o.no_prompt,
                                     "user PIN for the new token"};
        if (hsmca_secret_read_pin(&so_src, &so_pin) != HSMCA_OK ||
            hsmca_secret_read_pin(&user_src, &user_pin) != HSMCA_OK ||
            hsmca_hsm_token_init(hsm, (unsigned long)slot, c.label, so_pin, user_pin,
                                 c.reinit) != HSMCA_OK) {
            rc = cli_fail();
            goto out;
        }
    }
    printf("initialised token '%s' (was slot %ld)\n", c.label, slot);
out:
    hsmca_secret_free(so_pin);
    hsmca_secret_free(user_pin);
    free(list);
    hsmca_hsm_free(hsm);
    cli_token_opts_clear(&o);
    return rc;
}

/* ---- keys ---- */

static const char keys_help[] =
    "Usage: hsmca hsm keys --token LABEL [options]\n"
    "\n"
    "List the key pairs in a token: label, CKA_ID, type, and the private key's\n"
    "protection (sensitive, never-extractable) and usages. Logs in, so private\n"
    "halves are shown.\n"
    "\n"
    "Token (one of these):\n" CLI_TOKEN_SELECT_HELP CLI_PIN_HELP;

static const char *tri(int v, const char *yes, const char *no)
{
    return v < 0 ? "?" : v ? yes : no;
}

static int cmd_keys(const cli_globals *g, int argc, char **argv)
{
    cli_token_opts o;
    hsmca_hsm *hsm = NULL;
    hsmca_token *tok = NULL;
    hsmca_key_info *list = NULL;
    size_t n = 0;
    char hex[2 * HSMCA_KEY_ID_MAX + 1];
    int done, rc;

    cli_token_opts_init(&o);
    rc = parse_opts(argc, argv, "hsmca hsm keys", keys_help, USE_TOKEN | USE_PIN, NULL, NULL, NULL, &o, &done);
    if (rc != CLI_OK || done)
        goto out;
    if (cli_open_token(g, &o, 1, &hsm, &tok) != HSMCA_OK ||
        hsmca_hsm_keys(tok, &list, &n) != HSMCA_OK) {
        rc = cli_fail();
        goto out;
    }
    printf("token: %s (serial %s)\n", hsmca_hsm_token_info(tok)->label,
           hsmca_hsm_token_info(tok)->serial);
    printf("%-24s %-40s %-8s %s\n", "LABEL", "ID", "TYPE", "PRIVATE KEY");
    for (size_t i = 0; i < n; i++) {
        const hsmca_key_info *k = &list[i];
        char prot[128];
        if (k->has_private)
            snprintf(prot, sizeof(prot), "%s,%s,%s%s%s", tri(k->sensitive, "sensitive", "NOT-SENSITIVE"),
                     tri(k->extractable, "EXTRACTABLE", "never-extractable"),
                     tri(k->can_sign, "sign", "no-sign"), k->can_decrypt > 0 ? ",DECRYPT" : "",
                     k->can_unwrap > 0 ? ",UNWRAP" : "");
        else
            snprintf(prot, sizeof(prot), "(public key only)");
        printf("%-24s %-40s %-8s %s\n", k->label, cli_hex(k->id, k->id_len, hex, sizeof(hex)),
               k->type ? hsmca_hsm_key_type_name(k->type) : "other", prot);
    }
out:
    free(list);
    hsmca_hsm_token_free(tok);
    hsmca_hsm_free(hsm);
    cli_token_opts_clear(&o);
    return rc;
}

/* ---- keygen and pubkey ---- */

static hsmca_err write_pubkey_pem(EVP_PKEY *pub, const char *path)
{
    hsmca_err err = HSMCA_OK;
    char *pem = NULL;
    size_t len = 0;

    HSMCA_GUARD(hsmca_x509_pubkey_to_pem(pub, &pem, &len));
    HSMCA_GUARD(cli_write_blob(pem, len, path, 0));
out:
    OPENSSL_free(pem);
    return err;
}

static const char keygen_help[] =
    "Usage: hsmca hsm keygen --token LABEL --key LABEL --type TYPE [options]\n"
    "\n"
    "Generate a key pair inside the token. The private key is sensitive, never\n"
    "extractable, sign-only (no decrypt, unwrap or derive); its CKA_ID comes from\n"
    "the token's RNG. hsmca reads the attributes back and checks a test signature\n"
    "before it reports success; a key that fails is destroyed. A label that\n"
    "exists in the token is refused.\n"
    "\n"
    "  --type TYPE          rsa2048, rsa3072, rsa4096, p256 or p384\n"
    "  --out FILE           also write the public key (PEM) to FILE (never\n"
    "                       overwritten; checked before the key is generated)\n"
    "\n" CLI_TOKEN_HELP CLI_KEY_HELP;

struct keygen_ctx {
    const char *type;
    const char *out;
    const char *in;
    const char *digest;
};

static int keygen_take(void *vctx, int opt, const char *arg)
{
    struct keygen_ctx *c = vctx;

    switch (opt) {
    case OPT_TYPE: c->type = arg; return 1;
    case OPT_OUT: c->out = arg; return 1;
    case OPT_IN: c->in = arg; return 1;
    case OPT_DIGEST: c->digest = arg; return 1;
    default: return 0;
    }
}

static int cmd_keygen(const cli_globals *g, int argc, char **argv)
{
    static const struct option extra[] = {
        {"type", required_argument, NULL, OPT_TYPE},
        {"out", required_argument, NULL, OPT_OUT},
        {NULL, 0, NULL, 0}};
    const char *cmd = "hsmca hsm keygen";
    struct keygen_ctx c = {NULL, NULL, NULL, NULL};
    cli_token_opts o;
    hsmca_hsm *hsm = NULL;
    hsmca_token *tok = NULL;
    hsmca_key *key = NULL;
    hsmca_key_type type;
    char hex[2 * HSMCA_KEY_ID_MAX + 1];
    int done, rc;

    cli_token_opts_init(&o);
    rc = parse_opts(argc, argv, cmd, keygen_help, USE_TOKEN | USE_PIN | USE_KEY, extra, keygen_take, &c, &o, &done);
    if (rc != CLI_OK || done)
        goto out;
    if (c.type == NULL || o.key_label == NULL) {
        rc = cli_usage_error(cmd, "--type and --key LABEL are required");
        goto out;
    }
    type = hsmca_hsm_key_type_parse(c.type);
    if (type == 0) {
        rc = cli_usage_error(cmd, "--type '%s' is not one of rsa2048, rsa3072, rsa4096, p256, "
                             "p384", c.type);
        goto out;
    }
    if (cli_check_out(c.out) != HSMCA_OK || cli_open_token(g, &o, 1, &hsm, &tok) != HSMCA_OK ||
        hsmca_hsm_keygen(tok, type, o.key_label, &key) != HSMCA_OK) {
        rc = cli_fail();
        goto out;
    }
    printf("generated %s key '%s' id %s in token '%s' (sensitive, never extractable, "
           "self-test signature verified)\n",
           hsmca_hsm_key_type_name(type), hsmca_hsm_key_info(key)->label,
           cli_hex(hsmca_hsm_key_info(key)->id, hsmca_hsm_key_info(key)->id_len, hex, sizeof(hex)),
           hsmca_hsm_token_info(tok)->label);
    if (c.out != NULL && write_pubkey_pem(hsmca_hsm_key_get0_public(key), c.out) != HSMCA_OK) {
        hsmca_err_context("the key was generated, but its public key could not be written "
                          "(export it with 'hsmca hsm pubkey')");
        rc = cli_fail();
    }
out:
    hsmca_hsm_key_free(key);
    hsmca_hsm_token_free(tok);
    hsmca_hsm_free(hsm);
    cli_token_opts_clear(&o);
    return rc;
}

static const char pubkey_help[] =
    "Usage: hsmca hsm pubkey --token LABEL --key LABEL [--out FILE]\n"
    "\n"
    "Write a key's public key as a PEM SubjectPublicKeyInfo, built from the\n"
    "token's public attributes. --out FILE is never overwritten; default stdout.\n"
    "\n" CLI_TOKEN_HELP CLI_KEY_HELP;

static int cmd_pubkey(const cli_globals *g, int argc, char **argv)
{
    static const struct option extra[] = {{"out", required_argument, NULL, OPT_OUT},
                                          {NULL, 0, NULL, 0}};
    struct keygen_ctx c = {NULL, NULL, NULL, NULL};
    cli_token_opts o;
    hsmca_hsm *hsm = NULL;
    hsmca_token *tok = NULL;
    hsmca_key *key = NULL;
    int done, rc;

    cli_token_opts_init(&o);
    rc = parse_opts(argc, argv, "hsmca hsm pubkey", pubkey_help,
                    USE_TOKEN | USE_PIN | USE_KEY, extra, keygen_take, &c, &o, &done);
    if (rc != CLI_OK || done)
        goto out;
    if (cli_check_out(c.out) != HSMCA_OK || cli_open_key(g, &o, &hsm, &tok, &key) != HSMCA_OK ||
        write_pubkey_pem(hsmca_hsm_key_get0_public(key), c.out) != HSMCA_OK)
        rc = cli_fail();
out:
    hsmca_hsm_key_free(key);
    hsmca_hsm_token_free(tok);
    hsmca_hsm_free(hsm);
    cli_token_opts_clear(&o);
    return rc;
}

/* ---- sign ---- */

static const char sign_help[] =
    "Usage: hsmca hsm sign --token LABEL --key LABEL --in FILE --out SIG [options]\n"
    "\n"
    "Hash FILE in OpenSSL and sign the digest in the token (RSA PKCS#1 v1.5 or\n"
    "ECDSA, DER-encoded), in the format 'openssl dgst -verify' reads:\n"
    "  openssl dgst -sha256 -verify pub.pem -signature SIG FILE\n"
    "\n"
    "  --in FILE            the data to sign (at most 64 MiB)\n"
    "  --out SIG            where to write the signature (never overwritten)\n"
    "  --digest NAME        sha256 (default), sha384 or sha512\n"
    "\n" CLI_TOKEN_HELP CLI_KEY_HELP;

#define SIGN_MAX_INPUT (64u * 1024 * 1024)

/* The --digest names 'hsm sign' takes. */
static int digest_allowed(const char *name)
{
    return strcmp(name, "sha256") == 0 || strcmp(name, "sha384") == 0 ||
           strcmp(name, "sha512") == 0;
}

static hsmca_err sign_file(hsmca_key *key, const char *digest, const char *in, const char *out)
{
    hsmca_err err = HSMCA_OK;
    uint8_t *data = NULL, *sig = NULL;
    size_t len = 0, siglen = 0;
    EVP_MD_CTX *md = NULL;
    const EVP_MD *alg = EVP_get_digestbyname(digest);

    HSMCA_ENSURE(alg != NULL && digest_allowed(digest), HSMCA_E_USAGE,
                 "--digest '%s' is not sha256, sha384 or sha512", digest);
    HSMCA_GUARD(hsmca_file_read(in, SIGN_MAX_INPUT, &data, &len));
    md = EVP_MD_CTX_new();
    HSMCA_ALLOC(md);
    HSMCA_OSSL(EVP_DigestSignInit(md, NULL, alg, NULL, hsmca_hsm_key_get0_signer(key)) > 0 &&
                   EVP_DigestSign(md, NULL, &siglen, data, len) > 0,
               "cannot start signing with key '%s'", hsmca_hsm_key_info(key)->label);
    sig = OPENSSL_malloc(siglen);
    HSMCA_ALLOC(sig);
    HSMCA_OSSL(EVP_DigestSign(md, sig, &siglen, data, len) > 0,
               "the token failed to sign with key '%s'", hsmca_hsm_key_info(key)->label);
    HSMCA_GUARD(hsmca_file_write_new(out, sig, siglen, 0644));
out:
    EVP_MD_CTX_free(md);
    OPENSSL_free(sig);
    free(data);
    return err;
}

static int cmd_sign(const cli_globals *g, int argc, char **argv)
{
    static const struct option extra[] = {{"in", required_argument, NULL, OPT_IN},
                                          {"out", required_argument, NULL, OPT_OUT},
                                          {"digest", required_argument, NULL, OPT_DIGEST},
                                          {NULL, 0, NULL, 0}};
    const char *cmd = "hsmca hsm sign";
    struct keygen_ctx c = {NULL, NULL, NULL, "sha256"};
    cli_token_opts o;
    hsmca_hsm *hsm = NULL;
    hsmca_token *tok = NULL;
    hsmca_key *key = NULL;
    int done, rc;

    cli_token_opts_init(&o);
    rc = parse_opts(argc, argv, cmd, sign_help, USE_TOKEN | USE_PIN | USE_KEY, extra, keygen_take, &c, &o, &done);
    if (rc != CLI_OK || done)
        goto out;
    if (c.in == NULL || c.out == NULL) {
        rc = cli_usage_error(cmd, "--in and --out are required");
        goto out;
    }
    if (!digest_allowed(c.digest)) {
        /* Before the token is opened: a typo costs no PIN attempt. */
        rc = cli_usage_error(cmd, "--digest '%s' is not sha256, sha384 or sha512", c.digest);
        goto out;
    }
    if (hsmca_file_check_new(c.out) != HSMCA_OK || cli_open_key(g, &o, &hsm, &tok, &key) != HSMCA_OK ||
        sign_file(key, c.digest, c.in, c.out) != HSMCA_OK)
        rc = cli_fail();
out:
    hsmca_hsm_key_free(key);
    hsmca_hsm_token_free(tok);
    hsmca_hsm_free(hsm);
    cli_token_opts_clear(&o);
    return rc;
}

int cli_cmd_hsm(const cli_globals *g, int argc, char **argv)
{
    static const cli_command cmds[] = {
        {"tokens", cmd_tokens, "list tokens"},
        {"init-token", cmd_init_token, "initialise a token"},
        {"keys", cmd_keys, "list keys"},
        {"keygen", cmd_keygen, "generate a key pair"},
        {"pubkey", cmd_pubkey, "write a public key"},
        {"sign", cmd_sign, "sign a file"},
        {NULL, NULL, NULL}};

    return cli_dispatch(g, "hsmca hsm", cmds, hsm_help, argc - 1, argv + 1);
}
