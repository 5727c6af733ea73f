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

static const char *profiles_dir(const char *opt)
{
    const char *env = getenv("HSMCA_PROFILES_DIR");

    if (opt != NULL)
        return opt;
    if (env != NULL && env[0] != '\0')
        return env;
    return HSMCA_PROFILES_DIR;
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
    const char *cmd = "hsmca ceremony run", *hsm = NULL, *profiles = NULL;
    hsmca_ceremony_opts o = {NULL, NULL, 0, stdout};
    hsmca_script *script = NULL;
    char head[HSMCA_TRANSCRIPT_HASH_HEX];
    int c, rc = CLI_OK;

    (void)g;
    optind = 0; /* 0, not 1: glibc then re-reads the ordering mode ("+") */
    opterr = 0;
    /* Options may follow the file name (GNU permutation). */
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(run_help, stdout); return CLI_OK;
        case OPT_HSM: hsm = optarg; break;
        case OPT_OUT: o.output_dir = optarg; break;
        case OPT_PROFILES: profiles = optarg; break;
        case OPT_CHECK: o.check_only = 1; break;
        default:
            return cli_usage_error(cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error(cmd, "give exactly one ceremony script");
    if (g->module != NULL)
        return cli_usage_error(cmd, "--module does not apply: the script's hsm: block names "
                               "the module");
    o.profiles_dir = profiles_dir(profiles);
    if (hsmca_script_load(argv[optind], hsm, &script) != HSMCA_OK ||
        hsmca_ceremony_run(script, &o, head) != HSMCA_OK) {
        rc = cli_fail();
        goto out;
    }
    if (!o.check_only)
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
    const char *cmd = "hsmca ceremony verify-transcript", *files = NULL, *want = NULL;
    char head[HSMCA_TRANSCRIPT_HASH_HEX];
    size_t n = 0;
    int c;

    (void)g;
    optind = 0; /* 0, not 1: glibc then re-reads the ordering mode ("+") */
    opterr = 0;
    /* Options may follow the file name (GNU permutation). */
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(verify_help, stdout); return CLI_OK;
        case OPT_FILES: files = optarg; break;
        case OPT_HEAD: want = optarg; break;
        default:
            return cli_usage_error(cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error(cmd, "give exactly one transcript file");
    if (hsmca_ceremony_verify_transcript(argv[optind], files, &n, head) != HSMCA_OK)
        return cli_fail();
    if (want != NULL && strcasecmp(want, head) != 0) {
        hsmca_err_setf(HSMCA_E_VERIFY, "%s: head hash is %s, not the noted %s (entries were "
                       "removed from the end, or it is another transcript)", argv[optind], head,
                       want);
        return cli_fail();
    }
    printf("%s: %zu entries, chain intact%s\nhead: %s\n", argv[optind], n,
           files != NULL ? ", outputs match" : "", head);
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
