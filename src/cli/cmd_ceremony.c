/* hsmca ceremony — run ceremony scripts, verify transcripts. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "hsmca/ceremony.h"
#include "hsmca/script.h"

static const char ceremony_help[] =
    "Usage: hsmca [GLOBAL OPTIONS] ceremony COMMAND [OPTIONS]\n"
    "\n"
    "Key ceremonies: generate keys inside tokens, sign the root, the online\n"
    "subordinate and the OCSP responder, sign CRLs, and keep a transcript.\n"
    "\n"
    "Commands:\n"
    "  run SCRIPT                 run a ceremony script (docs/ceremony.md)\n"
    "  verify-transcript FILE     check a transcript's hash chain\n";

static const char run_help[] =
    "Usage: hsmca ceremony run SCRIPT [--hsm FILE] [--out DIR] [--check]\n"
    "\n"
    "Run a ceremony script. Everything is checked before any token is touched:\n"
    "the script and its profiles, that no output exists (outputs are never\n"
    "overwritten, so a second run stops here), the tokens and PINs, and the\n"
    "keys. Each certificate is linted (signed first with a throwaway key)\n"
    "before the token signs it; its signature and chain are verified after.\n"
    "Outputs appear only when every step has succeeded; if a step fails, keys\n"
    "this run generated are destroyed and the transcript is kept as\n"
    "<transcript>.failed-<time>. At the end the transcript's head hash is\n"
    "printed: note it in the ceremony's paper log.\n"
    "\n"
    "  --hsm FILE       an overlay file whose hsm: block replaces the script's\n"
    "                   (rehearsal vs production: hsm/ceremonies/*.hsm.yaml)\n"
    "  --out DIR        output directory (default: the script's output_dir)\n"
    "  --profiles DIR   where profile names are looked up (default: the\n"
    "                   shipped profiles, or $HSMCA_PROFILES_DIR)\n"
    "  --check          run every check, then stop: nothing is written\n";

static const char verify_help[] =
    "Usage: hsmca ceremony verify-transcript FILE [--files DIR] [--head HASH]\n"
    "\n"
    "Check a ceremony transcript: entries numbered in order, each chained to\n"
    "the previous one by its SHA-256, each entry's hash matching its text. An\n"
    "edited, removed or reordered entry is reported with its line. Prints the\n"
    "number of entries and the head hash.\n"
    "\n"
    "  --files DIR      also check each output's SHA-256 against DIR/<name>\n"
    "  --head HASH      the head hash noted at the ceremony: detects entries\n"
    "                   removed from the end\n";

enum { OPT_HSM = 0x200, OPT_OUT, OPT_PROFILES, OPT_CHECK, OPT_FILES, OPT_HEAD };

struct run_args {
    const char *hsm, *profiles;
    hsmca_ceremony_opts o;
    const char *files, *head;
};

static int take_run(void *vctx, int opt, const char *arg)
{
    struct run_args *a = vctx;

    switch (opt) {
    case OPT_HSM: a->hsm = arg; return 1;
    case OPT_OUT: a->o.output_dir = arg; return 1;
    case OPT_PROFILES: a->profiles = arg; return 1;
    case OPT_CHECK: a->o.check_only = 1; return 1;
    case OPT_FILES: a->files = arg; return 1;
    case OPT_HEAD: a->head = arg; return 1;
    default: return 0;
    }
}

static int cmd_run(const cli_globals *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"hsm", required_argument, NULL, OPT_HSM},
        {"out", required_argument, NULL, OPT_OUT},
        {"profiles", required_argument, NULL, OPT_PROFILES},
        {"check", no_argument, NULL, OPT_CHECK},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *cmd = "hsmca ceremony run";
    struct run_args a = {NULL, NULL, {NULL, NULL, 0, stdout}, NULL, NULL};
    hsmca_script *script = NULL;
    char head[HSMCA_TRANSCRIPT_HASH_HEX];
    int done, rc;

    rc = cli_parse(argc, argv, cmd, run_help, opts, take_run, &a, &done);
    if (rc != CLI_OK || done)
        return rc;
    if (optind != argc - 1)
        return cli_usage_error(cmd, "give exactly one ceremony script");
    if (g->module != NULL)
        return cli_usage_error(cmd, "--module does not apply: the script's hsm: block names "
                               "the module");
    a.o.profiles_dir = cli_profiles_dir(a.profiles);
    if (hsmca_script_load(argv[optind], a.hsm, &script) != HSMCA_OK ||
        hsmca_ceremony_run(script, &a.o, head) != HSMCA_OK) {
        rc = cli_fail();
        goto out;
    }
    if (!a.o.check_only)
        printf("transcript head: %s\n", head);
out:
    hsmca_script_free(script);
    return rc;
}

static int cmd_verify(const cli_globals *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"files", required_argument, NULL, OPT_FILES},
        {"head", required_argument, NULL, OPT_HEAD},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *cmd = "hsmca ceremony verify-transcript";
    struct run_args a = {NULL, NULL, {NULL, NULL, 0, NULL}, NULL, NULL};
    char head[HSMCA_TRANSCRIPT_HASH_HEX];
    size_t n = 0;
    int done, rc;

    (void)g;
    rc = cli_parse(argc, argv, cmd, verify_help, opts, take_run, &a, &done);
    if (rc != CLI_OK || done)
        return rc;
    if (optind != argc - 1)
        return cli_usage_error(cmd, "give exactly one transcript file");
    if (hsmca_ceremony_verify_transcript(argv[optind], a.files, &n, head) != HSMCA_OK)
        return cli_fail();
    if (a.head != NULL && strcasecmp(a.head, head) != 0) {
        hsmca_err_setf(HSMCA_E_VERIFY, "%s: head hash is %s, not the noted %s (entries were "
                       "removed from the end, or it is another transcript)", argv[optind], head,
                       a.head);
        return cli_fail();
    }
    printf("%s: %zu entries, chain intact%s\nhead: %s\n", argv[optind], n,
           a.files != NULL ? ", outputs match" : "", head);
    return CLI_OK;
}

int cli_cmd_ceremony(const cli_globals *g, int argc, char **argv)
{
    static const cli_command cmds[] = {
        {"run", cmd_run, "run a ceremony script"},
        {"verify-transcript", cmd_verify, "check a transcript"},
        {NULL, NULL, NULL}};

    return cli_dispatch(g, "hsmca ceremony", cmds, ceremony_help, argc - 1, argv + 1);
}
