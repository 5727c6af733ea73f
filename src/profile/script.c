/* hsmca — ceremony scripts from YAML (include/hsmca/script.h).
 *
 * The format is documented for users in docs/ceremony.md; keep the two in
 * step. This file checks the form of a script: keys, types, names, file
 * names, ${VAR}s, token references, duplicate outputs. Whether the files,
 * tokens, keys and profiles exist is the runner's business (src/ceremony):
 * a script is read once, in full, before anything touches a token, so a
 * typo in step 5 fails before step 1 has generated a key.
 */
#include "hsmca/script.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile/profile_int.h"
#include "profile/yaml.h"

#define DEFAULT_TRANSCRIPT "transcript.log"
/* PKCS#11 v2.40 §3.2 CK_TOKEN_INFO: label is 32 bytes and serialNumber 16,
 * blank padded; a longer name can never match a token. */
#define TOKEN_LABEL_MAX 32
#define TOKEN_SERIAL_MAX 16
/* RFC 5280 §5.2.3 allows CRL numbers up to 20 octets; 2^62 is more than any
 * ceremony needs and fits a long long with room to spare. */
#define CRL_NUMBER_MAX (1LL << 62)
/* BR 4.9.7: a CA's CRL nextUpdate is at most twelve months after thisUpdate. */
#define CRL_DAYS_MAX 365

static const char *const step_names[] = {
    [HSMCA_STEP_KEY] = "key",
    [HSMCA_STEP_ROOT] = "root",
    [HSMCA_STEP_INTERMEDIATE] = "intermediate",
    [HSMCA_STEP_OCSP_RESPONDER] = "ocsp-responder",
    [HSMCA_STEP_CRL] = "crl",
};
#define N_STEP_NAMES (sizeof step_names / sizeof step_names[0])

static const char *const keys_top[] = {
    "ceremony", "description", "base_url", "output_dir", "transcript", "hsm", "steps", NULL,
};
static const char *const keys_overlay[] = { "hsm", NULL };
static const char *const keys_hsm[] = { "module", "environment", "tokens", NULL };
static const char *const keys_token[] = { "label", "serial", "pin", NULL };
static const char *const keys_pin[] = { "file", "env", NULL };
static const char *const keys_step_key[] = { "token", "label", "type", "output", NULL };
static const char *const keys_step_root[] = {
    "token", "key", "profile", "subject", "output", "skip_lints", "allow_legacy", NULL,
};
/* intermediate and ocsp-responder */
static const char *const keys_step_sign[] = {
    "token", "key", "issuer", "profile", "subject", "public_key", "csr", "output",
    "skip_lints", "allow_legacy", NULL,
};
static const char *const keys_step_crl[] = {
    "token", "key", "issuer", "number", "next_update_days", "revoke", "output", NULL,
};
static const char *const keys_revoke[] = { "certificate", "reason", "time", NULL };

/* What the parser keeps while it reads one script. */
struct ctx {
    hsmca_script *s;
    unsigned long transcript_line;  /* 0: the default name */
};

/* ---- small helpers ---- */

/* A non-empty string. */
static hsmca_err to_text(const hsmca_yaml_node *n, const char *name, const char **out)
{
    hsmca_err err = HSMCA_OK;
    const char *v;

    HSMCA_GUARD(hsmca_yaml_to_str(n, name, &v));
    if (*v == '\0')
        HSMCA_GUARD(hsmca_yaml_errf(n, "'%s' must not be empty", name));
    *out = v;
out:
    return err;
}

/* A required non-empty string, copied into *out. */
static hsmca_err need_text(const hsmca_yaml_node *map, const char *key, const char *where,
                           const hsmca_yaml_node **out_node, char **out)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_yaml_node *n;
    const char *v;

    HSMCA_GUARD(hsmca_yaml_need(map, key, where, &n));
    HSMCA_GUARD(to_text(n, key, &v));
    HSMCA_GUARD(dup_str(v, out));
    if (out_node != NULL)
        *out_node = n;
out:
    return err;
}

/* POSIX environment variable names (letters, digits, '_', not starting with
 * a digit); upper_only for the `environment:` block, whose names are
 * configuration variables by convention. */
static int is_var_name(const char *s, size_t len, int upper_only)
{
    if (len == 0 || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              (!upper_only && c >= 'a' && c <= 'z')))
            return 0;
    }
    return 1;
}

/* A growing NUL-terminated string. */
struct sbuf {
    char *p;
    size_t len, cap;
};

static hsmca_err sbuf_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *p = realloc(b->p, cap);

        if (p == NULL)
            return hsmca_err_setf(HSMCA_E_NOMEM, "out of memory");
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return HSMCA_OK;
}

/* ${VAR} expansion, so that one script serves every machine: the rehearsal
 * writes ${HSMCA_HSM_DIR}/softhsm2.conf, production a vendor path. `$$` is a
 * literal '$'; any other '$' is an error rather than a guess. An empty
 * variable is refused like an unset one: "${X}/pins" would silently become
 * "/pins". */
static hsmca_err expand(const hsmca_yaml_node *at, const char *name, const char *in,
                        char **out)
{
    hsmca_err err = HSMCA_OK;
    struct sbuf b = { NULL, 0, 0 };
    const char *p = in;

    HSMCA_GUARD(sbuf_add(&b, "", 0));
    while (*p != '\0') {
        const char *v, *val;
        size_t l;
        char var[256];

        if (*p != '$') {
            l = strcspn(p, "$");
            HSMCA_GUARD(sbuf_add(&b, p, l));
            p += l;
            continue;
        }
        if (p[1] == '$') {
            HSMCA_GUARD(sbuf_add(&b, "$", 1));
            p += 2;
            continue;
        }
        if (p[1] != '{')
            HSMCA_GUARD(hsmca_yaml_errf(at, "'%s': a '$' must start ${NAME} (write $$ for a "
                                        "literal '$')", name));
        v = p + 2;
        l = strcspn(v, "}");
        if (v[l] != '}' || !is_var_name(v, l, 0) || l >= sizeof var)
            HSMCA_GUARD(hsmca_yaml_errf(at, "'%s': bad variable reference '%.*s': write "
                                        "${NAME}, NAME made of letters, digits and '_'",
                                        name, (int)(v[l] == '}' ? l + 3 : l + 2), p));
        memcpy(var, v, l);
        var[l] = '\0';
        val = getenv(var);
        if (val == NULL || *val == '\0')
            HSMCA_GUARD(hsmca_yaml_errf(at, "${%s} is not set (used in '%s'; an empty value "
                                        "counts as unset): export it before running the "
                                        "ceremony", var, name));
        HSMCA_GUARD(sbuf_add(&b, val, strlen(val)));
        p = v + l + 1;
    }
    *out = b.p;
    b.p = NULL;
out:
    free(b.p);
    return err;
}

/* dir + "/" + path, or a copy of path if it is absolute. */
static hsmca_err make_abs(const char *dir, const char *path, char **out)
{
    hsmca_err err = HSMCA_OK;
    char *r = NULL;
    size_t len;

    if (path[0] == '/')
        return dup_str(path, out);
    len = strlen(dir) + strlen(path) + 2;
    r = malloc(len);
    HSMCA_ALLOC(r);
    snprintf(r, len, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", path);
    *out = r;
    r = NULL;
out:
    free(r);
    return err;
}

/* The absolute, symlink-free directory that holds `path`. */
static hsmca_err abs_dir_of(const char *path, char **out)
{
    hsmca_err err = HSMCA_OK;
    char *d = NULL, *r = NULL;
    char *slash;

    HSMCA_GUARD(dup_str(path, &d));
    slash = strrchr(d, '/');
    if (slash == NULL) {
        free(d);
        d = NULL;
        HSMCA_GUARD(dup_str(".", &d));
    } else if (slash == d) {
        slash[1] = '\0';
    } else {
        *slash = '\0';
    }
    r = realpath(d, NULL);
    HSMCA_ENSURE(r != NULL, errno == ENOMEM ? HSMCA_E_NOMEM : HSMCA_E_IO,
                 "cannot resolve the directory of %s: %s", path, strerror(errno));
    *out = r;
    r = NULL;
out:
    free(r);
    free(d);
    return err;
}

/* The next component of a relative path, skipping empty and "." ones, or
 * NULL at the end. */
static const char *next_comp(const char **p, size_t *len)
{
    const char *s = *p;

    for (;;) {
        size_t l;

        while (*s == '/')
            s++;
        if (*s == '\0') {
            *p = s;
            return NULL;
        }
        l = strcspn(s, "/");
        if (l == 1 && s[0] == '.') {
            s++;
            continue;
        }
        *p = s + l;
        *len = l;
        return s;
    }
}

/* 1 if two relative file names name the same file ("a/./b" = "a//b"). */
static int same_file(const char *a, const char *b)
{
    for (;;) {
        size_t la = 0, lb = 0;
        const char *ca = next_comp(&a, &la);
        const char *cb = next_comp(&b, &lb);

        if (ca == NULL || cb == NULL)
            return ca == cb;
        if (la != lb || memcmp(ca, cb, la) != 0)
            return 0;
    }
}

/* Files that steps read and write live in the ceremony's output directory:
 * an absolute name or a ".." component would reach outside it (and an
 * output outside it would escape the never-overwrite check of the run). */
static hsmca_err check_file_name(const hsmca_yaml_node *at, const char *name, const char *v)
{
    const char *p = v;
    const char *c;
    size_t len = 0;
    int any = 0;

    if (*v == '\0')
        return hsmca_yaml_errf(at, "'%s' must not be empty", name);
    if (v[0] == '/')
        return hsmca_yaml_errf(at, "'%s': '%s' is an absolute path; file names are relative "
                               "to the ceremony's output directory, where outputs land",
                               name, v);
    while ((c = next_comp(&p, &len)) != NULL) {
        if (len == 2 && c[0] == '.' && c[1] == '.')
            return hsmca_yaml_errf(at, "'%s': '%s' has a '..' component; file names stay "
                                   "inside the ceremony's output directory, where outputs "
                                   "land", name, v);
        any = 1;
    }
    if (!any || v[strlen(v) - 1] == '/')
        return hsmca_yaml_errf(at, "'%s': '%s' names a directory, not a file", name, v);
    return HSMCA_OK;
}

/* ---- the hsm block ---- */

static hsmca_err parse_pin(const hsmca_yaml_node *n, const char *tname, const char *dir,
                           hsmca_script_token *t)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_yaml_node *file, *env;
    const char *v;
    char *expanded = NULL;
    char where[160];

    /* Never echo the value: it may be the PIN itself. */
    if (hsmca_yaml_kind_of(n) == HSMCA_YAML_SCALAR && !hsmca_yaml_is_null(n) &&
        strcmp(hsmca_yaml_text(n), "prompt") == 0)
        goto out; /* the default */
    if (hsmca_yaml_kind_of(n) != HSMCA_YAML_MAPPING)
        HSMCA_GUARD(hsmca_yaml_errf(n, "'pin' of token '%s' must be {file: PATH}, {env: VAR} "
                                    "or prompt: a PIN is never written in the script (it "
                                    "would end up in backups, version control and "
                                    "transcripts); it comes from a file, an environment "
                                    "variable or the prompt", tname));
    if (hsmca_yaml_get(n, "value") != NULL)
        HSMCA_GUARD(hsmca_yaml_errf(hsmca_yaml_get_key(n, "value"),
                                    "'pin' of token '%s': a PIN is never written in the "
                                    "script (it would end up in backups, version control and "
                                    "transcripts); use {file: PATH}, {env: VAR} or prompt",
                                    tname));
    snprintf(where, sizeof where, "'pin' of token '%s'", tname);
    HSMCA_GUARD(hsmca_yaml_check_keys(n, keys_pin, where));
    file = hsmca_yaml_get(n, "file");
    env = hsmca_yaml_get(n, "env");
    if (file != NULL && env != NULL)
        HSMCA_GUARD(hsmca_yaml_errf(n, "%s has both 'file' and 'env': give exactly one",
                                    where));
    if (file == NULL && env == NULL)
        HSMCA_GUARD(hsmca_yaml_errf(n, "%s needs 'file' or 'env' (or write 'pin: prompt')",
                                    where));
    if (file != NULL) {
        HSMCA_GUARD(to_text(file, "file", &v));
        HSMCA_GUARD(expand(file, "file", v, &expanded));
        HSMCA_GUARD(make_abs(dir, expanded, &t->pin_file));
    } else {
        HSMCA_GUARD(hsmca_yaml_to_str(env, "env", &v));
        if (!is_var_name(v, strlen(v), 0))
            HSMCA_GUARD(hsmca_yaml_errf(env, "%s: 'env' must name an environment variable "
                                        "(letters, digits and '_', not starting with a digit)",
                                        where));
        HSMCA_GUARD(dup_str(v, &t->pin_env));
    }
out:
    free(expanded);
    return err;
}

static hsmca_err parse_token(const hsmca_yaml_node *key, const hsmca_yaml_node *body,
                             const char *dir, hsmca_script_token *t)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_yaml_node *label, *serial, *pin;
    const char *name = hsmca_yaml_text(key);
    const char *v;
    char where[160];

    t->line = hsmca_yaml_line(key);
    if (*name == '\0')
        HSMCA_GUARD(hsmca_yaml_errf(key, "a token name must not be empty"));
    HSMCA_GUARD(dup_str(name, &t->name));
    snprintf(where, sizeof where, "token '%s'", name);
    HSMCA_GUARD(hsmca_yaml_expect_map(body, name));
    HSMCA_GUARD(hsmca_yaml_check_keys(body, keys_token, where));
    label = hsmca_yaml_get(body, "label");
    serial = hsmca_yaml_get(body, "serial");
    if (label != NULL && serial != NULL)
        HSMCA_GUARD(hsmca_yaml_errf(serial, "%s has both 'label' and 'serial': give exactly "
                                    "one", where));
    if (label == NULL && serial == NULL)
        HSMCA_GUARD(hsmca_yaml_errf(key, "%s needs 'label' or 'serial' to find it", where));
    if (label != NULL) {
        HSMCA_GUARD(to_text(label, "label", &v));
        if (strlen(v) > TOKEN_LABEL_MAX)
            HSMCA_GUARD(hsmca_yaml_errf(label, "'label' is longer than %d bytes, so no token "
                                        "has it (PKCS#11 CK_TOKEN_INFO)", TOKEN_LABEL_MAX));
        HSMCA_GUARD(dup_str(v, &t->label));
    } else {
        HSMCA_GUARD(to_text(serial, "serial", &v));
        if (strlen(v) > TOKEN_SERIAL_MAX)
            HSMCA_GUARD(hsmca_yaml_errf(serial, "'serial' is longer than %d characters, so no "
                                        "token has it (PKCS#11 CK_TOKEN_INFO)",
                                        TOKEN_SERIAL_MAX));
        HSMCA_GUARD(dup_str(v, &t->serial));
    }
    pin = hsmca_yaml_get(body, "pin");
    if (pin != NULL)
        HSMCA_GUARD(parse_pin(pin, name, dir, t));
out:
    return err;
}

/* `h` is the block, `file` the file that holds it, `dir` that file's
 * absolute directory (relative paths in the block are made absolute
 * against it, so they mean the same whatever the working directory). */
static hsmca_err parse_hsm(const hsmca_yaml_node *h, const char *file, const char *dir,
                           hsmca_script_hsm *out)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_yaml_node *n;
    const char *v;
    char *expanded = NULL;
    size_t count;

    HSMCA_GUARD(dup_str(file, &out->file));
    HSMCA_GUARD(hsmca_yaml_expect_map(h, "hsm"));
    HSMCA_GUARD(hsmca_yaml_check_keys(h, keys_hsm, "the hsm block"));

    n = hsmca_yaml_get(h, "module");
    if (n != NULL) {
        HSMCA_GUARD(to_text(n, "module", &v));
        HSMCA_GUARD(expand(n, "module", v, &expanded));
        HSMCA_GUARD(make_abs(dir, expanded, &out->module));
    }

    n = hsmca_yaml_get(h, "environment");
    if (n != NULL) {
        HSMCA_GUARD(hsmca_yaml_expect_map(n, "environment"));
        count = hsmca_yaml_count(n);
        out->env_names = calloc(count + 1, sizeof *out->env_names);
        HSMCA_ALLOC(out->env_names);
        out->env_values = calloc(count + 1, sizeof *out->env_values);
        HSMCA_ALLOC(out->env_values);
        out->n_env = count;
        for (size_t i = 0; i < count; i++) {
            const hsmca_yaml_node *k = hsmca_yaml_key(n, i);
            const char *name = hsmca_yaml_text(k);

            if (!is_var_name(name, strlen(name), 1))
                HSMCA_GUARD(hsmca_yaml_errf(k, "'environment': '%s' is not a variable name "
                                            "(upper-case letters, digits and '_', not "
                                            "starting with a digit)", name));
            HSMCA_GUARD(dup_str(name, &out->env_names[i]));
            HSMCA_GUARD(hsmca_yaml_to_str(hsmca_yaml_value(n, i), name, &v));
            HSMCA_GUARD(expand(hsmca_yaml_value(n, i), name, v, &out->env_values[i]));
        }
    }

    HSMCA_GUARD(hsmca_yaml_need(h, "tokens", "the hsm block", &n));
    HSMCA_GUARD(hsmca_yaml_expect_map(n, "tokens"));
    count = hsmca_yaml_count(n);
    if (count == 0)
        HSMCA_GUARD(hsmca_yaml_errf(n, "'tokens' must name at least one token"));
    out->tokens = calloc(count, sizeof *out->tokens);
    HSMCA_ALLOC(out->tokens);
    out->n_tokens = count;
    for (size_t i = 0; i < count; i++)
        HSMCA_GUARD(parse_token(hsmca_yaml_key(n, i), hsmca_yaml_value(n, i), dir,
                                &out->tokens[i]));
out:
    free(expanded);
    return err;
}

/* An overlay file: a single top-level `hsm:` block. `from` is the script's
 * `hsm:` value that names it, or NULL for the caller's hsm_file. */
static hsmca_err load_overlay(const char *path, const hsmca_yaml_node *from, hsmca_script *s)
{
    hsmca_err err = HSMCA_OK;
    hsmca_yaml_doc *doc = NULL;
    const hsmca_yaml_node *root, *h;
    char *dir = NULL;

    err = hsmca_yaml_load_file(path, &doc);
    if (err == HSMCA_E_NOT_FOUND || err == HSMCA_E_IO) {
        if (from != NULL)
            hsmca_err_context("%s:%lu: hsm overlay", hsmca_yaml_file(from),
                              hsmca_yaml_line(from));
        else
            hsmca_err_context("hsm overlay");
    }
    if (err != HSMCA_OK)
        goto out;
    root = hsmca_yaml_root(doc);
    if (hsmca_yaml_kind_of(root) != HSMCA_YAML_MAPPING)
        HSMCA_GUARD(hsmca_yaml_errf(root, "an hsm overlay file must be a mapping with one key, "
                                    "'hsm', got %s", hsmca_yaml_describe(root)));
    HSMCA_GUARD(hsmca_yaml_check_keys(root, keys_overlay, "the hsm overlay file"));
    HSMCA_GUARD(hsmca_yaml_need(root, "hsm", "the hsm overlay file", &h));
    HSMCA_GUARD(abs_dir_of(path, &dir));
    HSMCA_GUARD(parse_hsm(h, path, dir, &s->hsm));
out:
    free(dir);
    hsmca_yaml_free(doc);
    return err;
}

static hsmca_err parse_hsm_source(const hsmca_yaml_node *root, const char *hsm_file,
                                  hsmca_script *s)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_yaml_node *n;
    const char *v;
    char *path = NULL;

    /* The overlay replaces the script's block whole, unread: production
     * must not inherit a rehearsal token by accident. */
    if (hsm_file != NULL) {
        HSMCA_GUARD(load_overlay(hsm_file, NULL, s));
        goto out;
    }
    n = hsmca_yaml_get(root, "hsm");
    if (n == NULL)
        HSMCA_GUARD(hsmca_yaml_errf(root, "the ceremony script has no 'hsm' block: write one, "
                                    "name an overlay file (hsm: FILE), or give one with "
                                    "--hsm FILE"));
    if (hsmca_yaml_kind_of(n) == HSMCA_YAML_SCALAR && !hsmca_yaml_is_null(n)) {
        HSMCA_GUARD(to_text(n, "hsm", &v));
        HSMCA_GUARD(make_abs(s->dir, v, &path));
        HSMCA_GUARD(load_overlay(path, n, s));
    } else {
        HSMCA_GUARD(parse_hsm(n, s->path, s->dir, &s->hsm));
    }
out:
    free(path);
    return err;
}

/* ---- steps ---- */

static hsmca_err parse_token_ref(const hsmca_yaml_node *body, const char *where,
                                 const hsmca_script *s, hsmca_script_step *st)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_yaml_node *n;
    const char *name;
    const char **names = NULL;
    char list[512];

    HSMCA_GUARD(hsmca_yaml_need(body, "token", where, &n));
    HSMCA_GUARD(to_text(n, "token", &name));
    for (size_t i = 0; i < s->hsm.n_tokens; i++) {
        if (strcmp(s->hsm.tokens[i].name, name) == 0) {
            st->token = &s->hsm.tokens[i];
            goto out;
        }
    }
    names = calloc(s->hsm.n_tokens + 1, sizeof *names);
    HSMCA_ALLOC(names);
    for (size_t i = 0; i < s->hsm.n_tokens; i++)
        names[i] = s->hsm.tokens[i].name;
    join_names(list, sizeof list, names, s->hsm.n_tokens);
    HSMCA_GUARD(hsmca_yaml_errf(n, "unknown token '%s' (the hsm block in %s defines: %s)", name,
                                s->hsm.file, list));
out:
    free(names);
    return err;
}

/* A file name under `key` (required). */
static hsmca_err need_file(const hsmca_yaml_node *body, const char *key, const char *where,
                           char **out)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_yaml_node *n;
    const char *v;

    HSMCA_GUARD(hsmca_yaml_need(body, key, where, &n));
    HSMCA_GUARD(hsmca_yaml_to_str(n, key, &v));
    HSMCA_GUARD(check_file_name(n, key, v));
    HSMCA_GUARD(dup_str(v, out));
out:
    return err;
}

/* `at` is the node to blame (the output, or the label it defaults from). */
static hsmca_err set_output(const struct ctx *c, size_t idx, const hsmca_yaml_node *at,
                            const char *v)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_script *s = c->s;
    hsmca_script_step *st = &s->steps[idx];

    HSMCA_GUARD(check_file_name(at, "output", v));
    if (same_file(v, s->transcript)) {
        if (c->transcript_line != 0)
            HSMCA_GUARD(hsmca_yaml_errf(at, "output '%s' is the transcript's file (line %lu): "
                                        "name them differently", v, c->transcript_line));
        HSMCA_GUARD(hsmca_yaml_errf(at, "output '%s' is the transcript's default file name: "
                                    "name the output differently, or set 'transcript:'", v));
    }
    /* Outputs are never overwritten: a second writer would fail mid-run,
     * after the token has signed. */
    for (size_t j = 0; j < idx; j++) {
        if (s->steps[j].output != NULL && same_file(v, s->steps[j].output))
            HSMCA_GUARD(hsmca_yaml_errf(at, "output '%s' is also written by the '%s' step at "
                                        "line %lu: give each step its own output", v,
                                        hsmca_script_step_name(s->steps[j].kind),
                                        s->steps[j].line));
    }
    HSMCA_GUARD(dup_str(v, &st->output));
out:
    return err;
}

static hsmca_err parse_key_type(const hsmca_yaml_node *body, const char *where,
                                hsmca_script_step *st)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_yaml_node *n;
    const char *v;
    const char *names[5];
    char list[128];

    HSMCA_GUARD(hsmca_yaml_need(body, "type", where, &n));
    HSMCA_GUARD(to_text(n, "type", &v));
    /* The names are the profiles' (hsmca_profile_key_type_name), so a
     * script and the profile it uses speak of key types the same way. */
    for (unsigned i = 0; i < 5; i++) {
        names[i] = hsmca_profile_key_type_name(1u << i);
        if (strcmp(names[i], v) == 0) {
            HSMCA_GUARD(dup_str(v, &st->key_type));
            goto out;
        }
    }
    join_names(list, sizeof list, names, 5);
    HSMCA_GUARD(hsmca_yaml_errf(n, "unknown key type '%s' (allowed: %s)", v, list));
out:
    return err;
}

static hsmca_err parse_subject(const hsmca_yaml_node *body, const char *where,
                               hsmca_script_step *st)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_yaml_node *n;
    const char *names[HSMCA_PROFILE_ATTR__COUNT];
    char list[160];

    for (int a = 0; a < HSMCA_PROFILE_ATTR__COUNT; a++)
        names[a] = hsmca_profile_attr_name((hsmca_profile_attr)a);
    HSMCA_GUARD(hsmca_yaml_need(body, "subject", where, &n));
    HSMCA_GUARD(hsmca_yaml_expect_map(n, "subject"));
    if (hsmca_yaml_count(n) == 0)
        HSMCA_GUARD(hsmca_yaml_errf(n, "'subject' must give at least one attribute (like "
                                    "{CN: ...})"));
    for (size_t i = 0; i < hsmca_yaml_count(n); i++) {
        const hsmca_yaml_node *k = hsmca_yaml_key(n, i);
        const char *attr = hsmca_yaml_text(k);
        const char *v;
        int found = -1;

        for (int a = 0; a < HSMCA_PROFILE_ATTR__COUNT; a++) {
            if (strcmp(names[a], attr) == 0)
                found = a;
        }
        if (found < 0) {
            join_names(list, sizeof list, names, HSMCA_PROFILE_ATTR__COUNT);
            HSMCA_GUARD(hsmca_yaml_errf(k, "unknown subject attribute '%s' (allowed: %s)", attr,
                                        list));
        }
        /* Duplicates cannot happen: the YAML layer refuses repeated keys. */
        HSMCA_GUARD(to_text(hsmca_yaml_value(n, i), attr, &v));
        HSMCA_GUARD(dup_str(v, &st->subject[found]));
    }
out:
    return err;
}

static hsmca_err parse_skip_lints(const hsmca_yaml_node *body, hsmca_script_step *st)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_yaml_node *n = hsmca_yaml_get(body, "skip_lints");

    HSMCA_GUARD(hsmca_yaml_opt_strv(body, "skip_lints", &st->skip_lints, &st->n_skip_lints));
    if (st->skip_lints == NULL) {
        st->skip_lints = calloc(1, sizeof *st->skip_lints);
        HSMCA_ALLOC(st->skip_lints);
        st->n_skip_lints = 0;
    }
    for (size_t i = 0; i < st->n_skip_lints; i++) {
        const hsmca_yaml_node *it = hsmca_yaml_item(n, i);

        if (st->skip_lints[i][0] == '\0')
            HSMCA_GUARD(hsmca_yaml_errf(it, "'skip_lints': item %zu is empty", i + 1));
        for (size_t j = 0; j < i; j++) {
            if (strcmp(st->skip_lints[i], st->skip_lints[j]) == 0)
                HSMCA_GUARD(hsmca_yaml_errf(it, "'skip_lints' lists '%s' twice",
                                            st->skip_lints[i]));
        }
    }
out:
    return err;
}

/* root, intermediate, ocsp-responder: a certificate from a profile. */
static hsmca_err parse_cert_fields(const hsmca_yaml_node *body, const char *where,
                                   hsmca_script_step *st)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_yaml_node *pk, *csr;

    HSMCA_GUARD(need_text(body, "key", where, NULL, &st->key));
    HSMCA_GUARD(need_text(body, "profile", where, NULL, &st->profile));
    HSMCA_GUARD(parse_subject(body, where, st));
    HSMCA_GUARD(parse_skip_lints(body, st));
    HSMCA_GUARD(hsmca_yaml_opt_bool(body, "allow_legacy", &st->allow_legacy));
    if (st->kind == HSMCA_STEP_ROOT)
        goto out;
    HSMCA_GUARD(need_file(body, "issuer", where, &st->issuer));
    pk = hsmca_yaml_get(body, "public_key");
    csr = hsmca_yaml_get(body, "csr");
    if (pk != NULL && csr != NULL)
        HSMCA_GUARD(hsmca_yaml_errf(csr, "%s has both 'public_key' and 'csr': give exactly one "
                                    "(the subject's key comes from one of them)", where));
    if (pk == NULL && csr == NULL)
        HSMCA_GUARD(hsmca_yaml_errf(body, "%s needs 'public_key' or 'csr' (exactly one): the "
                                    "key to certify", where));
    if (pk != NULL)
        HSMCA_GUARD(need_file(body, "public_key", where, &st->public_key));
    else
        HSMCA_GUARD(need_file(body, "csr", where, &st->csr));
out:
    return err;
}

static hsmca_err parse_revoke(const hsmca_yaml_node *body, hsmca_script_step *st)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_yaml_node *n = hsmca_yaml_get(body, "revoke");
    const char *v;

    if (n == NULL)
        goto out;
    HSMCA_GUARD(hsmca_yaml_expect_seq(n, "revoke"));
    st->revoke = calloc(hsmca_yaml_count(n) + 1, sizeof *st->revoke);
    HSMCA_ALLOC(st->revoke);
    st->n_revoke = hsmca_yaml_count(n);
    for (size_t i = 0; i < st->n_revoke; i++) {
        const hsmca_yaml_node *it = hsmca_yaml_item(n, i);
        const hsmca_yaml_node *t;
        hsmca_script_revoke *r = &st->revoke[i];

        r->line = hsmca_yaml_line(it);
        HSMCA_GUARD(hsmca_yaml_expect_map(it, "revoke"));
        HSMCA_GUARD(hsmca_yaml_check_keys(it, keys_revoke, "a 'revoke' entry"));
        HSMCA_GUARD(need_file(it, "certificate", "a 'revoke' entry", &r->certificate));
        for (size_t j = 0; j < i; j++) {
            if (same_file(r->certificate, st->revoke[j].certificate))
                HSMCA_GUARD(hsmca_yaml_errf(hsmca_yaml_get(it, "certificate"),
                                            "'%s' is revoked twice in this step (first at "
                                            "line %lu)", r->certificate, st->revoke[j].line));
        }
        HSMCA_GUARD(need_text(it, "reason", "a 'revoke' entry", NULL, &r->reason));
        t = hsmca_yaml_get(it, "time");
        if (t != NULL) {
            HSMCA_GUARD(to_text(t, "time", &v));
            HSMCA_GUARD(dup_str(v, &r->time));
        }
    }
out:
    return err;
}

static hsmca_err parse_crl_fields(const hsmca_yaml_node *body, const char *where,
                                  hsmca_script_step *st)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_yaml_node *n;

    HSMCA_GUARD(need_text(body, "key", where, NULL, &st->key));
    HSMCA_GUARD(need_file(body, "issuer", where, &st->issuer));
    HSMCA_GUARD(hsmca_yaml_need(body, "number", where, &n));
    HSMCA_GUARD(hsmca_yaml_to_int(n, "number", 1, CRL_NUMBER_MAX, &st->crl_number));
    HSMCA_GUARD(hsmca_yaml_need(body, "next_update_days", where, &n));
    HSMCA_GUARD(hsmca_yaml_to_int(n, "next_update_days", 1, LLONG_MAX, &st->next_update_days));
    if (st->next_update_days > CRL_DAYS_MAX)
        HSMCA_GUARD(hsmca_yaml_errf(n, "'next_update_days' must be an integer from 1 to %d, "
                                    "got %lld: a CA's CRL is valid at most twelve months "
                                    "(BR 4.9.7)", CRL_DAYS_MAX, st->next_update_days));
    HSMCA_GUARD(parse_revoke(body, st));
    HSMCA_GUARD(parse_skip_lints(body, st)); /* none allowed: an empty list */
out:
    return err;
}

static hsmca_err parse_step(struct ctx *c, size_t idx, const hsmca_yaml_node *item)
{
    hsmca_err err = HSMCA_OK;
    hsmca_script *s = c->s;
    hsmca_script_step *st = &s->steps[idx];
    const hsmca_yaml_node *k, *body, *n;
    const char *kind;
    const char *const *keys = NULL;
    char *def = NULL;
    char where[64], list[128];

    st->line = hsmca_yaml_line(item);
    join_names(list, sizeof list, step_names, N_STEP_NAMES);
    if (hsmca_yaml_kind_of(item) != HSMCA_YAML_MAPPING || hsmca_yaml_count(item) == 0)
        HSMCA_GUARD(hsmca_yaml_errf(item, "a step is a mapping with one key, the step kind (%s), "
                                    "got %s", list, hsmca_yaml_describe(item)));
    k = hsmca_yaml_key(item, 0);
    kind = hsmca_yaml_text(k);
    if (hsmca_yaml_count(item) > 1)
        HSMCA_GUARD(hsmca_yaml_errf(hsmca_yaml_key(item, 1), "a step has one key, the step kind "
                                    "(%s), but this one also has '%s': indent the step's "
                                    "fields under '%s:'", list,
                                    hsmca_yaml_text(hsmca_yaml_key(item, 1)), kind));
    for (size_t i = 1; i < N_STEP_NAMES; i++) {
        if (strcmp(step_names[i], kind) == 0)
            st->kind = (hsmca_script_step_kind)i;
    }
    if (st->kind == 0)
        HSMCA_GUARD(hsmca_yaml_errf(k, "unknown step kind '%s' (allowed: %s)", kind, list));
    switch (st->kind) {
    case HSMCA_STEP_KEY:
        keys = keys_step_key;
        break;
    case HSMCA_STEP_ROOT:
        keys = keys_step_root;
        break;
    case HSMCA_STEP_INTERMEDIATE:
    case HSMCA_STEP_OCSP_RESPONDER:
        keys = keys_step_sign;
        break;
    case HSMCA_STEP_CRL:
        keys = keys_step_crl;
        break;
    }
    body = hsmca_yaml_value(item, 0);
    snprintf(where, sizeof where, "the '%s' step", kind);
    HSMCA_GUARD(hsmca_yaml_expect_map(body, kind));
    HSMCA_GUARD(hsmca_yaml_check_keys(body, keys, where));
    HSMCA_GUARD(parse_token_ref(body, where, s, st));

    if (st->kind == HSMCA_STEP_KEY) {
        HSMCA_GUARD(need_text(body, "label", where, &n, &st->key));
        HSMCA_GUARD(parse_key_type(body, where, st));
        HSMCA_GUARD(parse_skip_lints(body, st)); /* none allowed: an empty list */
        if (hsmca_yaml_get(body, "output") == NULL) {
            /* Default "<label>.pub.pem", checked like a written one but
             * blamed on the label it comes from. */
            size_t len = strlen(st->key) + sizeof ".pub.pem";

            def = malloc(len);
            HSMCA_ALLOC(def);
            snprintf(def, len, "%s.pub.pem", st->key);
            HSMCA_GUARD(set_output(c, idx, n, def));
        }
    } else if (st->kind == HSMCA_STEP_CRL) {
        HSMCA_GUARD(parse_crl_fields(body, where, st));
    } else {
        HSMCA_GUARD(parse_cert_fields(body, where, st));
    }
    if (st->output == NULL) {
        const char *v;

        HSMCA_GUARD(hsmca_yaml_need(body, "output", where, &n));
        HSMCA_GUARD(hsmca_yaml_to_str(n, "output", &v));
        HSMCA_GUARD(set_output(c, idx, n, v));
    }
out:
    free(def);
    return err;
}

static hsmca_err parse_steps(struct ctx *c, const hsmca_yaml_node *root)
{
    hsmca_err err = HSMCA_OK;
    hsmca_script *s = c->s;
    const hsmca_yaml_node *n;
    size_t count;

    HSMCA_GUARD(hsmca_yaml_need(root, "steps", "the ceremony script", &n));
    HSMCA_GUARD(hsmca_yaml_expect_seq(n, "steps"));
    count = hsmca_yaml_count(n);
    if (count == 0)
        HSMCA_GUARD(hsmca_yaml_errf(n, "'steps' must list at least one step"));
    s->steps = calloc(count, sizeof *s->steps);
    HSMCA_ALLOC(s->steps);
    s->n_steps = count;
    for (size_t i = 0; i < count; i++)
        HSMCA_GUARD(parse_step(c, i, hsmca_yaml_item(n, i)));
out:
    return err;
}

/* ---- the script ---- */

/* The origin that replaces {base_url} in profile URLs: scheme and host,
 * no trailing slash (the profiles write {base_url}/path). */
static hsmca_err check_base_url(const hsmca_yaml_node *at, const char *v)
{
    const char *rest;

    if (strncmp(v, "http://", 7) == 0)
        rest = v + 7;
    else if (strncmp(v, "https://", 8) == 0)
        rest = v + 8;
    else
        return hsmca_yaml_errf(at, "'base_url' must start with http:// or https://, got %s",
                               hsmca_yaml_describe(at));
    if (*rest == '\0' || *rest == '/')
        return hsmca_yaml_errf(at, "'base_url' %s has no host", hsmca_yaml_describe(at));
    if (v[strlen(v) - 1] == '/')
        return hsmca_yaml_errf(at, "'base_url' %s must not end with '/' (profiles write "
                               "{base_url}/path)", hsmca_yaml_describe(at));
    for (const char *p = v; *p != '\0'; p++) {
        unsigned char ch = (unsigned char)*p;

        /* RFC 5280 4.2.1.6: URIs in certificates are IA5String. */
        if (ch <= 0x20 || ch >= 0x7f || ch == '{' || ch == '}')
            return hsmca_yaml_errf(at, "'base_url' %s must be printable ASCII without spaces "
                                   "or braces (percent-encode others)",
                                   hsmca_yaml_describe(at));
    }
    return HSMCA_OK;
}

static hsmca_err parse_script(struct ctx *c, const hsmca_yaml_node *root, const char *hsm_file)
{
    hsmca_err err = HSMCA_OK;
    hsmca_script *s = c->s;
    const hsmca_yaml_node *n;
    const char *v;

    if (hsmca_yaml_kind_of(root) != HSMCA_YAML_MAPPING)
        HSMCA_GUARD(hsmca_yaml_errf(root, "a ceremony script must be a mapping (key: value "
                                    "lines), got %s", hsmca_yaml_describe(root)));
    HSMCA_GUARD(hsmca_yaml_check_keys(root, keys_top, "the ceremony script"));
    HSMCA_GUARD(need_text(root, "ceremony", "the ceremony script", NULL, &s->name));

    v = "";
    HSMCA_GUARD(hsmca_yaml_opt_str(root, "description", &v));
    HSMCA_GUARD(dup_str(v, &s->description));

    n = hsmca_yaml_get(root, "base_url");
    if (n != NULL) {
        HSMCA_GUARD(to_text(n, "base_url", &v));
        HSMCA_GUARD(check_base_url(n, v));
        HSMCA_GUARD(dup_str(v, &s->base_url));
    }

    n = hsmca_yaml_get(root, "output_dir");
    if (n != NULL) {
        HSMCA_GUARD(to_text(n, "output_dir", &v));
        HSMCA_GUARD(dup_str(v, &s->output_dir));
    }

    v = DEFAULT_TRANSCRIPT;
    n = hsmca_yaml_get(root, "transcript");
    if (n != NULL) {
        HSMCA_GUARD(to_text(n, "transcript", &v));
        if (strchr(v, '/') != NULL || strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
            HSMCA_GUARD(hsmca_yaml_errf(n, "'transcript' must be a file name without '/': it "
                                        "is written in the ceremony's output directory"));
        c->transcript_line = hsmca_yaml_line(n);
    }
    HSMCA_GUARD(dup_str(v, &s->transcript));

    /* Tokens first: steps point into them. */
    HSMCA_GUARD(parse_hsm_source(root, hsm_file, s));
    HSMCA_GUARD(parse_steps(c, root));
out:
    return err;
}

hsmca_err hsmca_script_load(const char *path, const char *hsm_file, hsmca_script **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_yaml_doc *doc = NULL;
    hsmca_script *s = NULL;
    struct ctx c;

    HSMCA_ENSURE(path != NULL && out != NULL, HSMCA_E_USAGE,
                 "hsmca_script_load: missing argument");
    HSMCA_GUARD(hsmca_yaml_load_file(path, &doc));
    s = calloc(1, sizeof *s);
    HSMCA_ALLOC(s);
    HSMCA_GUARD(dup_str(path, &s->path));
    HSMCA_GUARD(abs_dir_of(path, &s->dir));
    memset(&c, 0, sizeof c);
    c.s = s;
    HSMCA_GUARD(parse_script(&c, hsmca_yaml_root(doc), hsm_file));
    *out = s;
    s = NULL;
out:
    hsmca_script_free(s);
    hsmca_yaml_free(doc);
    return err;
}

static void hsm_clear(hsmca_script_hsm *h)
{
    free(h->file);
    free(h->module);
    for (size_t i = 0; i < h->n_env; i++) {
        free(h->env_names[i]);
        free(h->env_values[i]);
    }
    free(h->env_names);
    free(h->env_values);
    for (size_t i = 0; i < h->n_tokens; i++) {
        hsmca_script_token *t = &h->tokens[i];

        free(t->name);
        free(t->label);
        free(t->serial);
        free(t->pin_file);
        free(t->pin_env);
    }
    free(h->tokens);
}

static void step_clear(hsmca_script_step *st)
{
    free(st->key);
    free(st->key_type);
    free(st->profile);
    for (size_t a = 0; a < HSMCA_PROFILE_ATTR__COUNT; a++)
        free(st->subject[a]);
    free(st->issuer);
    free(st->public_key);
    free(st->csr);
    free(st->output);
    hsmca_yaml_strv_free(st->skip_lints);
    for (size_t i = 0; i < st->n_revoke; i++) {
        free(st->revoke[i].certificate);
        free(st->revoke[i].reason);
        free(st->revoke[i].time);
    }
    free(st->revoke);
}

void hsmca_script_free(hsmca_script *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n_steps; i++)
        step_clear(&s->steps[i]);
    free(s->steps);
    hsm_clear(&s->hsm);
    free(s->path);
    free(s->dir);
    free(s->name);
    free(s->description);
    free(s->base_url);
    free(s->output_dir);
    free(s->transcript);
    free(s);
}

const char *hsmca_script_step_name(hsmca_script_step_kind kind)
{
    if ((size_t)kind >= N_STEP_NAMES || step_names[kind] == NULL)
        return "?";
    return step_names[kind];
}
