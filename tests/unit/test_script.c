/* Unit tests: ceremony scripts (src/profile/script.c).
 *
 * The good scripts under tests/unit/data/script/ load with every field as
 * written (defaults filled in, ${VAR}s expanded, relative PIN and module
 * paths made absolute against the file that holds the hsm block); an hsm
 * overlay replaces the script's block; every malformed script fails with
 * HSMCA_E_INPUT (or HSMCA_E_NOT_FOUND for a missing overlay) and a message
 * that names the file and the line to fix. Files are found through
 * HSMCA_SOURCE_DIR, which CTest sets.
 */
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "hsmca/err.h"
#include "hsmca/profile.h"
#include "hsmca/script.h"
#include "require.h"

#define HSM_DIR "/srv/hsmca-hsm"

static const char *data_dir(void)
{
    static char buf[4096];

    snprintf(buf, sizeof buf, "%s/tests/unit/data/script", hsmca_test_require_source_dir());
    return buf;
}

/* The data directory as the parser resolves it (no symlinks). */
static const char *real_data_dir(void)
{
    static char buf[PATH_MAX];

    if (realpath(data_dir(), buf) == NULL)
        fail_msg("realpath %s failed", data_dir());
    return buf;
}

static const char *data_path(const char *file)
{
    static char buf[4200];

    if (snprintf(buf, sizeof buf, "%s/%s", data_dir(), file) >= (int)sizeof buf)
        fail_msg("path too long: %s/%s", data_dir(), file);
    return buf;
}

/* real_data_dir() + "/" + rel, in one of two rotating buffers. */
static const char *real_path(const char *rel)
{
    static char bufs[2][PATH_MAX + 256];
    static int which;

    which ^= 1;
    snprintf(bufs[which], sizeof bufs[which], "%s/%s", real_data_dir(), rel);
    return bufs[which];
}

static hsmca_script *load_ok(const char *path, const char *hsm_file)
{
    hsmca_script *s = NULL;

    if (hsmca_script_load(path, hsm_file, &s) != HSMCA_OK)
        fail_msg("loading %s: %s", path, hsmca_err_message());
    assert_non_null(s);
    return s;
}

static int group_setup(void **state)
{
    (void)state;
    /* The good scripts expand ${HSMCA_TEST_HSM_DIR}; the bad ones rely on
     * HSMCA_TEST_UNDEFINED being unset and HSMCA_TEST_EMPTY being empty. */
    if (setenv("HSMCA_TEST_HSM_DIR", HSM_DIR, 1) != 0 || setenv("HSMCA_TEST_EMPTY", "", 1) != 0 ||
        unsetenv("HSMCA_TEST_UNDEFINED") != 0)
        return -1;
    return 0;
}

static void assert_subject(const hsmca_script_step *st, const char *c, const char *o,
                           const char *cn)
{
    for (int a = 0; a < HSMCA_PROFILE_ATTR__COUNT; a++) {
        const char *want = NULL;

        if (a == HSMCA_PROFILE_ATTR_C)
            want = c;
        else if (a == HSMCA_PROFILE_ATTR_O)
            want = o;
        else if (a == HSMCA_PROFILE_ATTR_CN)
            want = cn;
        if (want == NULL)
            assert_null(st->subject[a]);
        else
            assert_string_equal(st->subject[a], want);
    }
}

static void assert_no_lints(const hsmca_script_step *st)
{
    assert_non_null(st->skip_lints);
    assert_null(st->skip_lints[0]);
    assert_int_equal(st->n_skip_lints, 0);
}

/* Fields a step of this kind does not use stay empty. */
static void assert_key_step(const hsmca_script_step *st, unsigned long line,
                            const hsmca_script_token *tok, const char *label,
                            const char *type, const char *output)
{
    assert_int_equal(st->kind, HSMCA_STEP_KEY);
    assert_int_equal(st->line, line);
    assert_ptr_equal(st->token, tok);
    assert_string_equal(st->key, label);
    assert_string_equal(st->key_type, type);
    assert_string_equal(st->output, output);
    assert_null(st->profile);
    assert_null(st->issuer);
    assert_null(st->public_key);
    assert_null(st->csr);
    assert_subject(st, NULL, NULL, NULL);
    assert_no_lints(st);
    assert_int_equal(st->allow_legacy, 0);
    assert_int_equal(st->n_revoke, 0);
}

/* ---- good scripts ---- */

static void test_good_inline(void **state)
{
    hsmca_script *s;
    const hsmca_script_hsm *h;
    const hsmca_script_token *off, *on;
    const hsmca_script_step *st;

    (void)state;
    s = load_ok(data_path("good_inline.yaml"), NULL);
    assert_string_equal(s->path, data_path("good_inline.yaml"));
    assert_string_equal(s->dir, real_data_dir());
    assert_string_equal(s->name, "hsmca rehearsal hierarchy");
    assert_string_equal(s->description,
                        "Offline root, online subordinate, OCSP responder, root CRL");
    assert_string_equal(s->base_url, "http://127.0.0.1:8080");
    assert_string_equal(s->output_dir, "out");
    assert_string_equal(s->transcript, "transcript.log");

    h = &s->hsm;
    assert_string_equal(h->file, data_path("good_inline.yaml"));
    assert_string_equal(h->module, HSM_DIR "/lib/libsofthsm2.so");
    assert_int_equal(h->n_env, 2);
    assert_string_equal(h->env_names[0], "SOFTHSM2_CONF");
    assert_string_equal(h->env_values[0], HSM_DIR "/softhsm2.conf");
    assert_string_equal(h->env_names[1], "HSMCA_TEST_LITERAL");
    assert_string_equal(h->env_values[1], "price$5");

    assert_int_equal(h->n_tokens, 4);
    off = &h->tokens[0];
    assert_string_equal(off->name, "offline");
    assert_string_equal(off->label, "hsmca-offline-root");
    assert_null(off->serial);
    assert_string_equal(off->pin_file, HSM_DIR "/pins/offline.pin");
    assert_null(off->pin_env);
    assert_int_equal(off->line, 13);
    on = &h->tokens[1];
    assert_string_equal(on->name, "online");
    assert_null(on->label);
    assert_string_equal(on->serial, "57025ecba1e1db49");
    assert_null(on->pin_file);
    assert_string_equal(on->pin_env, "HSMCA_ONLINE_PIN");
    assert_string_equal(h->tokens[2].name, "spare");
    assert_string_equal(h->tokens[2].label, "hsmca-spare");
    assert_null(h->tokens[2].pin_file); /* prompt */
    assert_null(h->tokens[2].pin_env);
    assert_string_equal(h->tokens[3].name, "relative");
    /* Relative to the script's directory, not the working directory. */
    assert_string_equal(h->tokens[3].pin_file, real_path("pins/relative.pin"));

    assert_int_equal(s->n_steps, 7);
    /* Default output: "<label>.pub.pem". */
    assert_key_step(&s->steps[0], 26, off, "root-key", "p384", "root-key.pub.pem");
    assert_key_step(&s->steps[1], 30, on, "issuing-key", "rsa3072",
                    "keys/issuing-key.pub.pem");
    assert_key_step(&s->steps[2], 35, on, "ocsp-key", "p256", "ocsp-key.pub.pem");

    st = &s->steps[3];
    assert_int_equal(st->kind, HSMCA_STEP_ROOT);
    assert_int_equal(st->line, 40);
    assert_ptr_equal(st->token, off);
    assert_string_equal(st->key, "root-key");
    assert_null(st->key_type);
    assert_string_equal(st->profile, "root");
    assert_subject(st, "XX", "hsmca Test", "hsmca Test Root R1");
    assert_null(st->issuer);
    assert_null(st->public_key);
    assert_null(st->csr);
    assert_string_equal(st->output, "root.pem");
    assert_int_equal(st->n_skip_lints, 2);
    assert_string_equal(st->skip_lints[0], "cabf.root.validity_period");
    assert_string_equal(st->skip_lints[1], "cabf.root.key_usage");
    assert_null(st->skip_lints[2]);
    assert_int_equal(st->allow_legacy, 0);

    st = &s->steps[4];
    assert_int_equal(st->kind, HSMCA_STEP_INTERMEDIATE);
    assert_int_equal(st->line, 48);
    assert_ptr_equal(st->token, off);
    assert_string_equal(st->key, "root-key");
    assert_string_equal(st->issuer, "root.pem");
    assert_string_equal(st->profile, "subordinate");
    /* Stored by attribute, whatever order the script writes them in. */
    assert_subject(st, "XX", "hsmca Test", "hsmca Test Issuing CA 1");
    assert_string_equal(st->public_key, "keys/issuing-key.pub.pem");
    assert_null(st->csr);
    assert_string_equal(st->output, "subordinate.pem");
    assert_no_lints(st);
    assert_int_equal(st->allow_legacy, 1);

    st = &s->steps[5];
    assert_int_equal(st->kind, HSMCA_STEP_OCSP_RESPONDER);
    assert_int_equal(st->line, 60);
    assert_ptr_equal(st->token, on);
    assert_string_equal(st->key, "issuing-key");
    assert_string_equal(st->issuer, "subordinate.pem");
    assert_string_equal(st->profile, "ocsp-responder");
    assert_subject(st, NULL, "hsmca Test", "hsmca Test OCSP Responder 1");
    assert_null(st->public_key);
    assert_string_equal(st->csr, "ocsp.csr");
    assert_string_equal(st->output, "ocsp.pem");
    assert_no_lints(st);
    assert_int_equal(st->allow_legacy, 0);

    st = &s->steps[6];
    assert_int_equal(st->kind, HSMCA_STEP_CRL);
    assert_int_equal(st->line, 68);
    assert_ptr_equal(st->token, off);
    assert_string_equal(st->key, "root-key");
    assert_string_equal(st->issuer, "root.pem");
    assert_null(st->profile);
    assert_int_equal(st->crl_number, 1);
    assert_int_equal(st->next_update_days, 365);
    assert_int_equal(st->n_revoke, 2);
    assert_string_equal(st->revoke[0].certificate, "old-sub.pem");
    assert_string_equal(st->revoke[0].reason, "keyCompromise");
    assert_string_equal(st->revoke[0].time, "2026-11-01T00:00:00Z");
    assert_int_equal(st->revoke[0].line, 75);
    assert_string_equal(st->revoke[1].certificate, "older-sub.pem");
    assert_string_equal(st->revoke[1].reason, "superseded");
    assert_null(st->revoke[1].time);
    assert_string_equal(st->output, "root.crl");
    assert_no_lints(st);

    hsmca_script_free(s);
}

/* Tokens of good_inline.yaml's steps come from overlay/softhsm.yaml. */
static void assert_softhsm_overlay(const hsmca_script *s, const char *file)
{
    const hsmca_script_hsm *h = &s->hsm;

    assert_string_equal(h->file, file);
    /* Relative paths are against the overlay's directory. */
    assert_string_equal(h->module, real_path("overlay/lib/libvendor-pkcs11.so"));
    assert_int_equal(h->n_env, 0);
    assert_int_equal(h->n_tokens, 2);
    assert_string_equal(h->tokens[0].name, "offline");
    assert_string_equal(h->tokens[0].label, "overlay-offline");
    assert_null(h->tokens[0].serial);
    assert_string_equal(h->tokens[0].pin_file, real_path("overlay/pins/offline.pin"));
    assert_null(h->tokens[0].pin_env);
    assert_int_equal(h->tokens[0].line, 5);
    assert_string_equal(h->tokens[1].name, "online");
    assert_null(h->tokens[1].label);
    assert_string_equal(h->tokens[1].serial, "0123456789abcdef");
    assert_null(h->tokens[1].pin_file);
    assert_null(h->tokens[1].pin_env);
    for (size_t i = 0; i < s->n_steps; i++) {
        assert_true(s->steps[i].token >= h->tokens);
        assert_true(s->steps[i].token < h->tokens + h->n_tokens);
    }
}

static void test_good_overlay(void **state)
{
    hsmca_script *s;
    char cwd[PATH_MAX];

    (void)state;
    /* A bare file name: dir is still absolute. */
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(data_dir()), 0);
    s = load_ok("good_overlay.yaml", NULL);
    assert_int_equal(chdir(cwd), 0);

    assert_string_equal(s->path, "good_overlay.yaml");
    assert_string_equal(s->dir, real_data_dir());
    assert_string_equal(s->name, "overlay rehearsal");
    assert_string_equal(s->description, "");
    assert_null(s->base_url);
    assert_null(s->output_dir);
    assert_string_equal(s->transcript, "ceremony.log");
    assert_softhsm_overlay(s, real_path("overlay/softhsm.yaml"));

    assert_int_equal(s->n_steps, 2);
    assert_key_step(&s->steps[0], 6, &s->hsm.tokens[0], "root-key", "rsa4096",
                    "root-key.pub.pem");
    assert_int_equal(s->steps[1].kind, HSMCA_STEP_ROOT);
    /* A profile path is the runner's to resolve (relative to dir). */
    assert_string_equal(s->steps[1].profile, "../profiles/root.yaml");
    assert_subject(&s->steps[1], NULL, NULL, "Overlay Root");
    hsmca_script_free(s);
}

/* --hsm: the overlay replaces an inline block whole. */
static void test_hsm_override(void **state)
{
    hsmca_script *s;
    char overlay[4200];

    (void)state;
    snprintf(overlay, sizeof overlay, "%s", data_path("overlay/softhsm.yaml"));
    s = load_ok(data_path("good_inline.yaml"), overlay);
    assert_softhsm_overlay(s, overlay);
    assert_int_equal(s->n_steps, 7);
    assert_ptr_equal(s->steps[0].token, &s->hsm.tokens[0]);
    assert_ptr_equal(s->steps[1].token, &s->hsm.tokens[1]);
    hsmca_script_free(s);

    /* ... and stands in for a missing one. */
    s = load_ok(data_path("script_without_hsm.yaml"), overlay);
    assert_softhsm_overlay(s, overlay);
    assert_int_equal(s->n_steps, 1);
    hsmca_script_free(s);

    /* Without it, that script has no tokens. */
    s = NULL;
    assert_int_equal(hsmca_script_load(data_path("script_without_hsm.yaml"), NULL, &s),
                     HSMCA_E_INPUT);
    assert_null(s);
    assert_non_null(strstr(hsmca_err_message(), "script_without_hsm.yaml:2:"));
    assert_non_null(strstr(hsmca_err_message(), "no 'hsm' block"));
}

static void test_hsm_override_missing(void **state)
{
    hsmca_script *s = NULL;
    char overlay[4200];

    (void)state;
    snprintf(overlay, sizeof overlay, "%s", data_path("overlay/no-such-overlay.yaml"));
    assert_int_equal(hsmca_script_load(data_path("good_inline.yaml"), overlay, &s),
                     HSMCA_E_NOT_FOUND);
    assert_null(s);
    assert_non_null(strstr(hsmca_err_message(), overlay));

    /* An overlay's own errors name the overlay file. */
    snprintf(overlay, sizeof overlay, "%s", data_path("overlay/extra_key.yaml"));
    assert_int_equal(hsmca_script_load(data_path("good_inline.yaml"), overlay, &s),
                     HSMCA_E_INPUT);
    assert_null(s);
    assert_non_null(strstr(hsmca_err_message(), "extra_key.yaml:5:"));
}

/* ---- malformed scripts ---- */

struct bad_case {
    const char *file;
    hsmca_err code;
    const char *where;  /* "file.yaml:LINE:" that must appear */
    const char *what;   /* another part of the message */
    const char *absent; /* must not appear (a PIN), or NULL */
};

static const struct bad_case bad_cases[] = {
    { "bad_top_key.yaml", HSMCA_E_INPUT, "bad_top_key.yaml:5:",
      "unknown key 'step' in the ceremony script (allowed: ceremony, description, base_url, "
      "output_dir, transcript, hsm, steps)", NULL },
    { "bad_missing_ceremony.yaml", HSMCA_E_INPUT, "bad_missing_ceremony.yaml:1:",
      "the ceremony script is missing required key 'ceremony'", NULL },
    { "bad_not_mapping.yaml", HSMCA_E_INPUT, "bad_not_mapping.yaml:1:",
      "a ceremony script must be a mapping", NULL },
    { "bad_syntax.yaml", HSMCA_E_INPUT, "bad_syntax.yaml:", "YAML syntax error", NULL },
    { "bad_base_url.yaml", HSMCA_E_INPUT, "bad_base_url.yaml:2:", "must not end with '/'",
      NULL },
    { "bad_base_url_scheme.yaml", HSMCA_E_INPUT, "bad_base_url_scheme.yaml:2:",
      "'base_url' must start with http:// or https://", NULL },
    { "bad_transcript.yaml", HSMCA_E_INPUT, "bad_transcript.yaml:2:",
      "'transcript' must be a file name without '/'", NULL },
    { "bad_empty_steps.yaml", HSMCA_E_INPUT, "bad_empty_steps.yaml:5:",
      "'steps' must list at least one step", NULL },
    /* steps */
    { "bad_step_kind.yaml", HSMCA_E_INPUT, "bad_step_kind.yaml:15:",
      "unknown step kind 'subordinate' (allowed: key, root, intermediate, ocsp-responder, "
      "crl)", NULL },
    { "bad_step_key.yaml", HSMCA_E_INPUT, "bad_step_key.yaml:14:",
      "unknown key 'validity' in the 'root' step (allowed: token, key, profile, subject, "
      "output, skip_lints, allow_legacy)", NULL },
    { "bad_step_indent.yaml", HSMCA_E_INPUT, "bad_step_indent.yaml:10:",
      "indent the step's fields under 'key:'", NULL },
    { "bad_step_scalar.yaml", HSMCA_E_INPUT, "bad_step_scalar.yaml:9:",
      "a step is a mapping with one key, the step kind", NULL },
    { "bad_missing_subject.yaml", HSMCA_E_INPUT, "bad_missing_subject.yaml:10:",
      "the 'root' step is missing required key 'subject'", NULL },
    { "bad_both_pk_csr.yaml", HSMCA_E_INPUT, "bad_both_pk_csr.yaml:22:",
      "the 'intermediate' step has both 'public_key' and 'csr'", NULL },
    { "bad_neither_pk_csr.yaml", HSMCA_E_INPUT, "bad_neither_pk_csr.yaml:16:",
      "the 'ocsp-responder' step needs 'public_key' or 'csr'", NULL },
    { "bad_key_type.yaml", HSMCA_E_INPUT, "bad_key_type.yaml:12:",
      "unknown key type 'ed25519' (allowed: rsa2048, rsa3072, rsa4096, p256, p384)", NULL },
    { "bad_token.yaml", HSMCA_E_INPUT, "bad_token.yaml:10:",
      "unknown token 'ofline' (the hsm block in", NULL },
    { "bad_subject_attr.yaml", HSMCA_E_INPUT, "bad_subject_attr.yaml:13:",
      "unknown subject attribute 'emailAddress' (allowed: C, ST, L, postalCode, street, O, "
      "OU, CN)", NULL },
    { "bad_subject_empty.yaml", HSMCA_E_INPUT, "bad_subject_empty.yaml:13:",
      "'subject' must give at least one attribute", NULL },
    { "bad_bool.yaml", HSMCA_E_INPUT, "bad_bool.yaml:15:",
      "'allow_legacy' must be true or false, got 'yes'", NULL },
    { "bad_skip_lints_twice.yaml", HSMCA_E_INPUT, "bad_skip_lints_twice.yaml:15:",
      "'skip_lints' lists 'cabf.root.validity_period' twice", NULL },
    { "bad_crl_number.yaml", HSMCA_E_INPUT, "bad_crl_number.yaml:13:",
      "'number' must be an integer from 1 to 4611686018427387904, got '0'", NULL },
    { "bad_crl_number_big.yaml", HSMCA_E_INPUT, "bad_crl_number_big.yaml:13:",
      "'number' must be an integer from 1 to 4611686018427387904", NULL },
    { "bad_next_update.yaml", HSMCA_E_INPUT, "bad_next_update.yaml:14:",
      "'next_update_days' must be an integer from 1 to 365, got 366: a CA's CRL is valid at "
      "most twelve months (BR 4.9.7)", NULL },
    { "bad_revoke_no_reason.yaml", HSMCA_E_INPUT, "bad_revoke_no_reason.yaml:16:",
      "a 'revoke' entry is missing required key 'reason'", NULL },
    { "bad_revoke_twice.yaml", HSMCA_E_INPUT, "bad_revoke_twice.yaml:18:",
      "'./old.pem' is revoked twice in this step (first at line 16)", NULL },
    /* file names */
    { "bad_output_dotdot.yaml", HSMCA_E_INPUT, "bad_output_dotdot.yaml:13:",
      "'output': 'keys/../../root-key.pem' has a '..' component; file names stay inside the "
      "ceremony's output directory", NULL },
    { "bad_output_abs.yaml", HSMCA_E_INPUT, "bad_output_abs.yaml:13:",
      "'output': '/etc/root-key.pem' is an absolute path; file names are relative to the "
      "ceremony's output directory", NULL },
    { "bad_issuer_dotdot.yaml", HSMCA_E_INPUT, "bad_issuer_dotdot.yaml:18:",
      "'issuer': '../root.pem' has a '..' component", NULL },
    { "bad_revoke_abs.yaml", HSMCA_E_INPUT, "bad_revoke_abs.yaml:16:",
      "'certificate': '/tmp/old.pem' is an absolute path", NULL },
    { "bad_dup_output.yaml", HSMCA_E_INPUT, "bad_dup_output.yaml:19:",
      "output './root.pem' is also written by the 'root' step at line 9", NULL },
    { "bad_dup_default_output.yaml", HSMCA_E_INPUT, "bad_dup_default_output.yaml:15:",
      "output 'root-key.pub.pem' is also written by the 'key' step at line 9", NULL },
    { "bad_output_transcript.yaml", HSMCA_E_INPUT, "bad_output_transcript.yaml:13:",
      "output 'transcript.log' is the transcript's default file name", NULL },
    { "bad_output_named_transcript.yaml", HSMCA_E_INPUT,
      "bad_output_named_transcript.yaml:9:",
      "output 'root-key.pub.pem' is the transcript's file (line 2)", NULL },
    /* the hsm block */
    { "bad_no_hsm.yaml", HSMCA_E_INPUT, "bad_no_hsm.yaml:1:",
      "the ceremony script has no 'hsm' block", NULL },
    { "bad_hsm_key.yaml", HSMCA_E_INPUT, "bad_hsm_key.yaml:4:",
      "unknown key 'token' in the hsm block (allowed: module, environment, tokens)", NULL },
    { "bad_no_tokens.yaml", HSMCA_E_INPUT, "bad_no_tokens.yaml:4:",
      "'tokens' must name at least one token", NULL },
    { "bad_label_and_serial.yaml", HSMCA_E_INPUT, "bad_label_and_serial.yaml:6:",
      "token 'offline' has both 'label' and 'serial'", NULL },
    { "bad_token_no_label.yaml", HSMCA_E_INPUT, "bad_token_no_label.yaml:4:",
      "token 'offline' needs 'label' or 'serial'", NULL },
    { "bad_label_long.yaml", HSMCA_E_INPUT, "bad_label_long.yaml:5:",
      "'label' is longer than 32 bytes", NULL },
    { "bad_env_name.yaml", HSMCA_E_INPUT, "bad_env_name.yaml:4:",
      "'environment': 'softhsm2_conf' is not a variable name", NULL },
    { "bad_undefined_var.yaml", HSMCA_E_INPUT, "bad_undefined_var.yaml:4:",
      "${HSMCA_TEST_UNDEFINED} is not set (used in 'SOFTHSM2_CONF'", NULL },
    { "bad_empty_var.yaml", HSMCA_E_INPUT, "bad_empty_var.yaml:6:",
      "${HSMCA_TEST_EMPTY} is not set (used in 'file'", NULL },
    { "bad_dollar.yaml", HSMCA_E_INPUT, "bad_dollar.yaml:3:",
      "'module': a '$' must start ${NAME} (write $$ for a literal '$')", NULL },
    { "bad_var_syntax.yaml", HSMCA_E_INPUT, "bad_var_syntax.yaml:3:",
      "bad variable reference '${HSMCA TEST}'", NULL },
    { "bad_inline_pin.yaml", HSMCA_E_INPUT, "bad_inline_pin.yaml:6:",
      "a PIN is never written in the script", "987654" },
    { "bad_pin_value.yaml", HSMCA_E_INPUT, "bad_pin_value.yaml:6:",
      "a PIN is never written in the script", "987654" },
    { "bad_pin_both.yaml", HSMCA_E_INPUT, "bad_pin_both.yaml:6:",
      "'pin' of token 'offline' has both 'file' and 'env'", NULL },
    { "bad_overlay_missing.yaml", HSMCA_E_NOT_FOUND, "bad_overlay_missing.yaml:2:",
      "overlay/no-such-overlay.yaml", NULL },
    { "bad_overlay_extra_key.yaml", HSMCA_E_INPUT, "extra_key.yaml:5:",
      "unknown key 'steps' in the hsm overlay file (allowed: hsm)", NULL },
};

static void test_bad_scripts(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        hsmca_script *s = NULL;
        hsmca_err err;

        hsmca_err_clear();
        err = hsmca_script_load(data_path(c->file), NULL, &s);
        if (err != c->code || s != NULL)
            fail_msg("%s: got %s (%s), expected %s", c->file, hsmca_err_code_name(err),
                     hsmca_err_message(), hsmca_err_code_name(c->code));
        if (strstr(hsmca_err_message(), c->where) == NULL ||
            strstr(hsmca_err_message(), c->what) == NULL)
            fail_msg("%s: message \"%s\" lacks \"%s\" or \"%s\"", c->file, hsmca_err_message(),
                     c->where, c->what);
        if (c->absent != NULL && strstr(hsmca_err_message(), c->absent) != NULL)
            fail_msg("%s: message \"%s\" contains \"%s\"", c->file, hsmca_err_message(),
                     c->absent);
    }
}

/* Every file in the data directory is a case above, a good_*.yaml that
 * loads, or a script another test uses, so none sits there untested. */
static void test_every_data_file_used(void **state)
{
    static const char *const others[] = { "script_without_hsm.yaml" };
    DIR *d;
    struct dirent *de;
    size_t seen = 0;

    (void)state;
    d = opendir(data_dir());
    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        int known = 0;

        if (de->d_name[0] == '.')
            continue;
        assert_int_equal(stat(data_path(de->d_name), &st), 0);
        if (S_ISDIR(st.st_mode))
            continue; /* overlay/: read through the scripts */
        seen++;
        for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
            if (strcmp(bad_cases[i].file, de->d_name) == 0)
                known = 1;
        }
        for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
            if (strcmp(others[i], de->d_name) == 0)
                known = 1;
        }
        if (!known && strncmp(de->d_name, "good_", 5) == 0) {
            hsmca_script_free(load_ok(data_path(de->d_name), NULL));
            known = 1;
        }
        if (!known)
            fail_msg("%s is neither a case in test_script.c nor a good_*.yaml", de->d_name);
    }
    closedir(d);
    assert_true(seen > sizeof bad_cases / sizeof bad_cases[0]);
}

static void test_missing_script(void **state)
{
    hsmca_script *s = NULL;

    (void)state;
    assert_int_equal(hsmca_script_load(data_path("no-such-script.yaml"), NULL, &s),
                     HSMCA_E_NOT_FOUND);
    assert_null(s);
    assert_non_null(strstr(hsmca_err_message(), "no-such-script.yaml"));
    assert_int_equal(hsmca_script_load(NULL, NULL, &s), HSMCA_E_USAGE);
    assert_null(s);
}

static void test_step_names(void **state)
{
    (void)state;
    assert_string_equal(hsmca_script_step_name(HSMCA_STEP_KEY), "key");
    assert_string_equal(hsmca_script_step_name(HSMCA_STEP_ROOT), "root");
    assert_string_equal(hsmca_script_step_name(HSMCA_STEP_INTERMEDIATE), "intermediate");
    assert_string_equal(hsmca_script_step_name(HSMCA_STEP_OCSP_RESPONDER), "ocsp-responder");
    assert_string_equal(hsmca_script_step_name(HSMCA_STEP_CRL), "crl");
    assert_string_equal(hsmca_script_step_name((hsmca_script_step_kind)0), "?");
    assert_string_equal(hsmca_script_step_name((hsmca_script_step_kind)99), "?");
}

static void test_free_null(void **state)
{
    (void)state;
    hsmca_script_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_inline),
        cmocka_unit_test(test_good_overlay),
        cmocka_unit_test(test_hsm_override),
        cmocka_unit_test(test_hsm_override_missing),
        cmocka_unit_test(test_bad_scripts),
        cmocka_unit_test(test_every_data_file_used),
        cmocka_unit_test(test_missing_script),
        cmocka_unit_test(test_step_names),
        cmocka_unit_test(test_free_null),
    };

    return cmocka_run_group_tests(tests, group_setup, NULL);
}
