/* hsmca — a small YAML document model with schema helpers (private to
 * src/profile; later also used for ceremony scripts).
 *
 * src/profile/yaml.c is the only file in hsmca that includes libyaml's
 * <yaml.h> (DESIGN.md: one module wraps each third-party library). Include
 * this header as "profile/yaml.h"; it exposes no libyaml type.
 *
 * A document is a tree of nodes: scalars (text), sequences and mappings. Every
 * node knows its file name and 1-based source line, so every error can say
 * "FILE:LINE: ...". What the loader accepts is deliberately narrow:
 *
 *   - exactly one document, not empty;
 *   - mapping keys are scalars and unique (a duplicate is an error naming both
 *     lines: YAML 1.2 §3.2.1.1 requires unique keys, and a silent "last one
 *     wins" would hide typos);
 *   - no anchors (&a), aliases (*a) or explicit tags (!!str): a profile or
 *     ceremony script is read by people, so every value is written out;
 *   - no NUL character inside a scalar; at most HSMCA_YAML_MAX_DEPTH levels of
 *     nesting, HSMCA_YAML_MAX_ITEMS entries per collection and
 *     HSMCA_YAML_MAX_FILE bytes per file.
 *
 * Scalars keep their source text: nothing is resolved to bool, int or null by
 * the loader (so a country code NO stays "NO"). The typed getters below decide,
 * and they are strict: a bool is a plain `true` or `false`, an integer is a
 * plain decimal without leading zeros, a string is any scalar except a plain
 * null (empty, `~`, `null`); write "" for an empty string.
 *
 * Every error is HSMCA_E_INPUT (or HSMCA_E_NOT_FOUND / HSMCA_E_IO when the
 * file cannot be read, HSMCA_E_NOMEM) with the message set through
 * hsmca_err_setf.
 * Nodes are owned by their document and borrowed by every accessor: they stay
 * valid until hsmca_yaml_free().
 */
#ifndef HSMCA_PROFILE_YAML_H
#define HSMCA_PROFILE_YAML_H

#include <stddef.h>

#include "hsmca/err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HSMCA_YAML_MAX_FILE (1024 * 1024)
#define HSMCA_YAML_MAX_DEPTH 64
#define HSMCA_YAML_MAX_ITEMS 4096

typedef enum hsmca_yaml_kind {
    HSMCA_YAML_SCALAR = 1,
    HSMCA_YAML_SEQUENCE,
    HSMCA_YAML_MAPPING
} hsmca_yaml_kind;

typedef struct hsmca_yaml_doc hsmca_yaml_doc;
typedef struct hsmca_yaml_node hsmca_yaml_node;

/* ---- loading ---- */

/* Read and parse a file. `path` is also the name used in messages.
 * HSMCA_E_NOT_FOUND if it does not exist, HSMCA_E_IO if it cannot be read,
 * HSMCA_E_INPUT if it is larger than HSMCA_YAML_MAX_FILE, has a syntax error
 * ("FILE:LINE:COL: YAML syntax error: ...") or a refused construct. */
hsmca_err hsmca_yaml_load_file(const char *path, hsmca_yaml_doc **out);

/* Parse len bytes of text; `name` is used in messages as the file name. */
hsmca_err hsmca_yaml_load_string(const char *name, const char *text, size_t len,
                                 hsmca_yaml_doc **out);

/* Frees the document and all its nodes. Accepts NULL. */
void hsmca_yaml_free(hsmca_yaml_doc *doc);

/* The top node; never NULL for a loaded document. */
const hsmca_yaml_node *hsmca_yaml_root(const hsmca_yaml_doc *doc);

/* ---- nodes (all borrowed) ---- */

hsmca_yaml_kind hsmca_yaml_kind_of(const hsmca_yaml_node *n);
/* 1-based line where the node starts. */
unsigned long hsmca_yaml_line(const hsmca_yaml_node *n);
/* The file name given at load time. */
const char *hsmca_yaml_file(const hsmca_yaml_node *n);
/* The scalar's text (NUL-terminated, no embedded NUL), or NULL for a
 * collection. */
const char *hsmca_yaml_text(const hsmca_yaml_node *n);
/* 1 for a plain (unquoted, non-block) scalar. */
int hsmca_yaml_is_plain(const hsmca_yaml_node *n);
/* 1 for a plain scalar that YAML reads as null: empty, "~", "null". */
int hsmca_yaml_is_null(const hsmca_yaml_node *n);
/* "a mapping", "a list", "null", or the quoted text of a scalar (shortened,
 * control characters escaped) for messages: valid until the next call. */
const char *hsmca_yaml_describe(const hsmca_yaml_node *n);

/* Entries of a sequence or mapping; 0 for a scalar. */
size_t hsmca_yaml_count(const hsmca_yaml_node *n);
/* Item i of a sequence (NULL if out of range or not a sequence). */
const hsmca_yaml_node *hsmca_yaml_item(const hsmca_yaml_node *seq, size_t i);
/* Key / value of entry i of a mapping, in document order (NULL if out of
 * range or not a mapping). Keys are scalars. */
const hsmca_yaml_node *hsmca_yaml_key(const hsmca_yaml_node *map, size_t i);
const hsmca_yaml_node *hsmca_yaml_value(const hsmca_yaml_node *map, size_t i);
/* The value for `key`, or NULL when absent or when `map` is not a mapping. */
const hsmca_yaml_node *hsmca_yaml_get(const hsmca_yaml_node *map, const char *key);
/* The key node for `key` (for its line), or NULL. */
const hsmca_yaml_node *hsmca_yaml_get_key(const hsmca_yaml_node *map, const char *key);

/* ---- errors ---- */

/* Set HSMCA_E_INPUT with "FILE:LINE: " + the formatted message, where FILE and
 * LINE are `at`'s. Returns HSMCA_E_INPUT. */
hsmca_err hsmca_yaml_errf(const hsmca_yaml_node *at, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- schema helpers ----
 *
 * `name` is the key or field being checked, `where` a phrase naming the
 * enclosing mapping ("the profile", "extension 'key_usage'"): both appear in
 * messages. A plain null (`key:` with nothing after it) counts as an empty
 * mapping wherever a mapping is expected, so `- subject_key_identifier:` and
 * `- subject_key_identifier: {}` mean the same. */

/* "FILE:LINE: 'name' must be a mapping, got a list". A null is accepted. */
hsmca_err hsmca_yaml_expect_map(const hsmca_yaml_node *n, const char *name);
/* "FILE:LINE: 'name' must be a list, got 'x'". */
hsmca_err hsmca_yaml_expect_seq(const hsmca_yaml_node *n, const char *name);

/* Every key of `map` must be in `allowed` (NULL-terminated). Else, at the
 * key's line: "unknown key 'foo' in extension 'key_usage' (allowed: critical,
 * usages)". A null map has no keys and passes. */
hsmca_err hsmca_yaml_check_keys(const hsmca_yaml_node *map,
                                const char *const *allowed, const char *where);

/* The value for a required key; else, at the mapping's line: "extension
 * 'certificate_policies' is missing required key 'policies'". */
hsmca_err hsmca_yaml_need(const hsmca_yaml_node *map, const char *key,
                          const char *where, const hsmca_yaml_node **out);

/* Typed conversions of one node. */
hsmca_err hsmca_yaml_to_bool(const hsmca_yaml_node *n, const char *name, int *out);
hsmca_err hsmca_yaml_to_int(const hsmca_yaml_node *n, const char *name,
                            long long min, long long max, long long *out);
/* Borrowed text of a non-null scalar. */
hsmca_err hsmca_yaml_to_str(const hsmca_yaml_node *n, const char *name,
                            const char **out);
/* A list of strings: *out is a NULL-terminated array of *out_n owned copies
 * (an empty list gives a one-element array holding NULL); free it with
 * hsmca_yaml_strv_free. out_n may be NULL. */
hsmca_err hsmca_yaml_to_strv(const hsmca_yaml_node *n, const char *name,
                             char ***out, size_t *out_n);
void hsmca_yaml_strv_free(char **v);

/* Optional keys: when `key` is absent, *out is left as it is (the caller
 * pre-sets the default) and HSMCA_OK is returned; when present it must
 * convert. */
hsmca_err hsmca_yaml_opt_bool(const hsmca_yaml_node *map, const char *key, int *out);
hsmca_err hsmca_yaml_opt_int(const hsmca_yaml_node *map, const char *key,
                             long long min, long long max, long long *out);
hsmca_err hsmca_yaml_opt_str(const hsmca_yaml_node *map, const char *key,
                             const char **out);
hsmca_err hsmca_yaml_opt_strv(const hsmca_yaml_node *map, const char *key,
                              char ***out, size_t *out_n);

#ifdef __cplusplus
}
#endif
#endif
