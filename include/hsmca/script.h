/* hsmca — ceremony scripts (YAML), parsed by src/profile, run by src/ceremony.
 *
 * A ceremony script names the tokens it uses (the `hsm:` block, inline or in
 * a separate overlay file so rehearsal and production differ only there) and
 * a list of steps: `key`, `root`, `intermediate`, `ocsp-responder`, `crl`.
 * The format is documented in docs/ceremony.md; an example is
 * hsm/ceremonies/rehearsal.yaml.
 *
 * Parsing checks the form of everything (unknown keys, wrong types, missing
 * fields, unknown key types, undefined ${VAR}s, a step naming a token the
 * hsm block does not define, two steps writing the same output) with
 * "FILE:LINE: " errors (HSMCA_E_INPUT). Whether files, tokens and keys exist
 * is the runner's business.
 */
#ifndef HSMCA_SCRIPT_H
#define HSMCA_SCRIPT_H

#include <stddef.h>

#include "hsmca/err.h"
#include "hsmca/profile.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One token of the hsm block. Exactly one of label/serial is set; at most
 * one PIN source (pin_file, pin_env); neither means "prompt". */
typedef struct hsmca_script_token {
    char *name;             /* script-local name used by steps ("offline") */
    char *label;
    char *serial;
    char *pin_file;         /* ${VAR}s expanded, made absolute against the
                               directory of the file that holds the hsm block */
    char *pin_env;          /* variable name */
    unsigned long line;
} hsmca_script_token;

typedef struct hsmca_script_hsm {
    char *file;             /* the file the block came from (script or overlay) */
    char *module;           /* NULL: $HSMCA_PKCS11_MODULE or the default */
    /* Environment variables to set before the module is loaded (e.g.
     * SOFTHSM2_CONF, or a vendor's configuration path). ${VAR}s expanded. */
    char **env_names;
    char **env_values;
    size_t n_env;
    hsmca_script_token *tokens;
    size_t n_tokens;
} hsmca_script_hsm;

typedef enum hsmca_script_step_kind {
    HSMCA_STEP_KEY = 1,         /* "key" */
    HSMCA_STEP_ROOT,            /* "root" */
    HSMCA_STEP_INTERMEDIATE,    /* "intermediate" */
    HSMCA_STEP_OCSP_RESPONDER,  /* "ocsp-responder" */
    HSMCA_STEP_CRL              /* "crl" */
} hsmca_script_step_kind;

typedef struct hsmca_script_revoke {
    char *certificate;      /* the revoked CA certificate (file, output dir) */
    char *reason;           /* a BR 7.2.2 reason name; CA entries need one */
    char *time;             /* RFC 3339, or NULL for the step's time */
    unsigned long line;
} hsmca_script_revoke;

/* A step. Which fields are set depends on the kind (docs/ceremony.md):
 *
 *   key:             token, key, key_type, output (public key PEM)
 *   root:            token, key, profile, subject, output
 *   intermediate:    token, key (the issuer's), issuer, profile, subject,
 *                    public_key or csr, output
 *   ocsp-responder:  same as intermediate
 *   crl:             token, key, issuer, crl_number, next_update_days,
 *                    revoke[], output
 *
 * File names (issuer, public_key, csr, output, revoke[].certificate) are
 * relative to the ceremony's output directory, where earlier steps wrote
 * them; profile is a shipped profile name, or a path relative to the
 * script's directory. */
typedef struct hsmca_script_step {
    hsmca_script_step_kind kind;
    unsigned long line;
    const hsmca_script_token *token; /* points into the script's hsm block */
    char *key;              /* key label in that token */
    char *key_type;         /* key: "p384", "rsa3072", ... */
    char *profile;
    char *subject[HSMCA_PROFILE_ATTR__COUNT]; /* by hsmca_profile_attr; NULL = absent */
    char *issuer;
    char *public_key;
    char *csr;
    char *output;
    char **skip_lints;      /* NULL-terminated (never NULL) */
    size_t n_skip_lints;
    int allow_legacy;       /* needed for a legacy profile (precert-signer) */
    long long crl_number;
    long long next_update_days;
    hsmca_script_revoke *revoke;
    size_t n_revoke;
} hsmca_script_step;

typedef struct hsmca_script {
    char *path;             /* the script file */
    char *dir;              /* its directory (absolute) */
    char *name;             /* `ceremony:` */
    char *description;      /* "" when absent */
    char *base_url;         /* for {base_url} in profile URLs; NULL if absent */
    char *output_dir;       /* `output_dir:`, relative to dir; NULL if absent */
    char *transcript;       /* file name in the output dir; default "transcript.log" */
    hsmca_script_hsm hsm;
    hsmca_script_step *steps;
    size_t n_steps;
} hsmca_script;

/* Read a script. hsm_file, when not NULL, is an overlay file whose `hsm:`
 * block replaces the script's (the CLI's --hsm). *out owned by the caller. */
hsmca_err hsmca_script_load(const char *path, const char *hsm_file, hsmca_script **out);
void hsmca_script_free(hsmca_script *s);

const char *hsmca_script_step_name(hsmca_script_step_kind kind);

#ifdef __cplusplus
}
#endif
#endif
