/* hsmca — YAML document model over libyaml (see profile/yaml.h).
 *
 * The only file in hsmca that includes <yaml.h> (DESIGN.md). It uses the event
 * API and builds its own tree instead of yaml_document_t so that it can refuse
 * anchors, aliases, tags, duplicate keys and deep nesting while parsing, with
 * the line of the offending token.
 */
#include "profile/yaml.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "hsmca/file.h"

struct hsmca_yaml_node {
    hsmca_yaml_kind kind;
    unsigned long line;        /* 1-based */
    const char *file;          /* owned by the document */
    char *text;                /* scalar only */
    int plain;                 /* scalar written without quotes */
    size_t n, cap;
    hsmca_yaml_node **items;   /* sequence items, or mapping values */
    hsmca_yaml_node **keys;    /* mapping keys (scalars), parallel to items */
};

struct hsmca_yaml_doc {
    char *file;
    hsmca_yaml_node *root;
};

struct loader {
    yaml_parser_t parser;
    const char *file;          /* the document's copy */
    const char *text;          /* input, for locating reader errors */
    size_t len;
};

/* ---- nodes ---- */

static void node_free(hsmca_yaml_node *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i < n->n; i++) {
        node_free(n->items[i]);
        if (n->keys != NULL)
            node_free(n->keys[i]);
    }
    free(n->items);
    free(n->keys);
    free(n->text);
    free(n);
}

static hsmca_err node_new(const struct loader *ld, hsmca_yaml_kind kind,
                          const yaml_mark_t *mark, hsmca_yaml_node **out)
{
    hsmca_yaml_node *n = calloc(1, sizeof *n);

    if (n == NULL)
        return hsmca_err_setf(HSMCA_E_NOMEM, "out of memory");
    n->kind = kind;
    n->line = (unsigned long)mark->line + 1;
    n->file = ld->file;
    *out = n;
    return HSMCA_OK;
}

/* Append (key, value) to a collection; key is NULL for sequences. On success
 * the collection owns both; on failure the caller still does. */
static hsmca_err node_append(hsmca_yaml_node *c, hsmca_yaml_node *key,
                             hsmca_yaml_node *value)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        hsmca_yaml_node **items = realloc(c->items, cap * sizeof *items);

        if (items == NULL)
            return hsmca_err_setf(HSMCA_E_NOMEM, "out of memory");
        c->items = items;
        if (c->kind == HSMCA_YAML_MAPPING) {
            hsmca_yaml_node **keys = realloc(c->keys, cap * sizeof *keys);

            if (keys == NULL)
                return hsmca_err_setf(HSMCA_E_NOMEM, "out of memory");
            c->keys = keys;
        }
        c->cap = cap;
    }
    c->items[c->n] = value;
    if (key != NULL)
        c->keys[c->n] = key;
    c->n++;
    return HSMCA_OK;
}

/* ---- loading ---- */

static hsmca_err mark_errf(const struct loader *ld, const yaml_mark_t *m,
                           const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static hsmca_err mark_errf(const struct loader *ld, const yaml_mark_t *m,
                           const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return hsmca_err_setf(HSMCA_E_INPUT, "%s:%lu:%lu: %s", ld->file,
                          (unsigned long)m->line + 1, (unsigned long)m->column + 1, msg);
}

/* libyaml's own diagnosis, with the position it gives. */
static hsmca_err parser_error(const struct loader *ld)
{
    const yaml_parser_t *p = &ld->parser;
    const char *problem = p->problem != NULL ? p->problem : "unknown error";

    switch (p->error) {
    case YAML_MEMORY_ERROR:
        return hsmca_err_setf(HSMCA_E_NOMEM, "%s: out of memory while parsing YAML", ld->file);
    case YAML_READER_ERROR: {
        /* Reader errors (bad UTF-8, control characters) carry a byte offset,
         * not a mark: count lines ourselves. */
        unsigned long line = 1, col = 1;
        size_t off = p->problem_offset < ld->len ? p->problem_offset : ld->len;

        for (size_t i = 0; i < off; i++) {
            if (ld->text[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return hsmca_err_setf(HSMCA_E_INPUT, "%s:%lu:%lu: cannot read YAML: %s (byte 0x%02x)",
                              ld->file, line, col, problem, (unsigned)p->problem_value & 0xffu);
    }
    case YAML_SCANNER_ERROR:
    case YAML_PARSER_ERROR:
    case YAML_COMPOSER_ERROR:
        if (p->context != NULL)
            return mark_errf(ld, &p->problem_mark, "YAML syntax error: %s (%s at line %lu)",
                             problem, p->context, (unsigned long)p->context_mark.line + 1);
        return mark_errf(ld, &p->problem_mark, "YAML syntax error: %s", problem);
    default:
        return hsmca_err_setf(HSMCA_E_INPUT, "%s: YAML error: %s", ld->file, problem);
    }
}

static hsmca_err next_event(struct loader *ld, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&ld->parser, ev))
        return parser_error(ld);
    return HSMCA_OK;
}

/* Anchors, aliases and tags make a file harder to read and review; profiles
 * and ceremony scripts never need them. */
static hsmca_err refuse_extras(const struct loader *ld, const yaml_event_t *ev,
                               const yaml_char_t *anchor, const yaml_char_t *tag)
{
    if (anchor != NULL)
        return mark_errf(ld, &ev->start_mark, "anchors (&%s) are not supported: write each "
                         "value out", (const char *)anchor);
    if (tag != NULL)
        return mark_errf(ld, &ev->start_mark,
                         "tags (%s) are not supported: remove the tag", (const char *)tag);
    return HSMCA_OK;
}

static hsmca_err build(struct loader *ld, const yaml_event_t *ev, unsigned depth,
                       hsmca_yaml_node **out);

static hsmca_err build_scalar(struct loader *ld, const yaml_event_t *ev,
                              hsmca_yaml_node **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_yaml_node *n = NULL;
    const char *value = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;

    HSMCA_GUARD(refuse_extras(ld, ev, ev->data.scalar.anchor, ev->data.scalar.tag));
    /* A NUL (from a "\0" escape) would silently cut every C string. */
    if (memchr(value, '\0', len) != NULL)
        HSMCA_GUARD(mark_errf(ld, &ev->start_mark, "a value contains a NUL character"));
    HSMCA_GUARD(node_new(ld, HSMCA_YAML_SCALAR, &ev->start_mark, &n));
    HSMCA_ALLOC(n); /* node_new sets it on success; tells -Wnull-dereference */
    n->text = malloc(len + 1);
    HSMCA_ALLOC(n->text);
    memcpy(n->text, value, len);
    n->text[len] = '\0';
    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    *out = n;
    n = NULL;
out:
    node_free(n);
    return err;
}

static hsmca_err build_collection(struct loader *ld, const yaml_event_t *ev,
                                  unsigned depth, hsmca_yaml_node **out)
{
    hsmca_err err = HSMCA_OK;
    int is_map = ev->type == YAML_MAPPING_START_EVENT;
    yaml_event_type_t end = is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
    hsmca_yaml_node *n = NULL, *key = NULL, *value = NULL;
    yaml_event_t sub;
    int have_sub = 0;

    if (is_map)
        HSMCA_GUARD(refuse_extras(ld, ev, ev->data.mapping_start.anchor,
                                  ev->data.mapping_start.tag));
    else
        HSMCA_GUARD(refuse_extras(ld, ev, ev->data.sequence_start.anchor,
                                  ev->data.sequence_start.tag));
    if (depth >= HSMCA_YAML_MAX_DEPTH)
        HSMCA_GUARD(mark_errf(ld, &ev->start_mark, "nested more than %d levels deep",
                              HSMCA_YAML_MAX_DEPTH));
    HSMCA_GUARD(node_new(ld, is_map ? HSMCA_YAML_MAPPING : HSMCA_YAML_SEQUENCE,
                         &ev->start_mark, &n));
    for (;;) {
        HSMCA_GUARD(next_event(ld, &sub));
        have_sub = 1;
        if (sub.type == end)
            break;
        if (n->n >= HSMCA_YAML_MAX_ITEMS)
            HSMCA_GUARD(mark_errf(ld, &sub.start_mark, "more than %d entries in one %s",
                                  HSMCA_YAML_MAX_ITEMS, is_map ? "mapping" : "list"));
        if (is_map) {
            if (sub.type == YAML_ALIAS_EVENT)
                HSMCA_GUARD(build(ld, &sub, depth + 1, &key)); /* refuses it */
            if (sub.type != YAML_SCALAR_EVENT)
                HSMCA_GUARD(mark_errf(ld, &sub.start_mark,
                                      "a mapping key must be a plain word, not a %s",
                                      sub.type == YAML_SEQUENCE_START_EVENT ? "list"
                                                                            : "mapping"));
            HSMCA_GUARD(build_scalar(ld, &sub, &key));
            if (key->text[0] == '\0' || hsmca_yaml_is_null(key))
                HSMCA_GUARD(mark_errf(ld, &sub.start_mark,
                                      "a mapping key must not be empty or null"));
            for (size_t i = 0; i < n->n; i++) {
                if (strcmp(n->keys[i]->text, key->text) == 0)
                    HSMCA_GUARD(mark_errf(ld, &sub.start_mark,
                                          "duplicate key '%s' (first at line %lu)",
                                          key->text, n->keys[i]->line));
            }
            yaml_event_delete(&sub);
            have_sub = 0;
            HSMCA_GUARD(next_event(ld, &sub));
            have_sub = 1;
        }
        HSMCA_GUARD(build(ld, &sub, depth + 1, &value));
        yaml_event_delete(&sub);
        have_sub = 0;
        HSMCA_GUARD(node_append(n, key, value));
        key = NULL;
        value = NULL;
    }
    *out = n;
    n = NULL;
out:
    if (have_sub)
        yaml_event_delete(&sub);
    node_free(key);
    node_free(value);
    node_free(n);
    return err;
}

static hsmca_err build(struct loader *ld, const yaml_event_t *ev, unsigned depth,
                       hsmca_yaml_node **out)
{
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return build_scalar(ld, ev, out);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        return build_collection(ld, ev, depth, out);
    case YAML_ALIAS_EVENT:
        return mark_errf(ld, &ev->start_mark,
                         "aliases (*%s) are not supported: write the value out",
                         (const char *)ev->data.alias.anchor);
    default:
        return mark_errf(ld, &ev->start_mark, "unexpected YAML event %d", (int)ev->type);
    }
}

/* STREAM-START DOCUMENT-START node DOCUMENT-END STREAM-END, nothing else. */
static hsmca_err load_stream(struct loader *ld, hsmca_yaml_node **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_yaml_node *root = NULL;
    yaml_event_t ev;
    int have_ev = 0;

    HSMCA_GUARD(next_event(ld, &ev)); /* STREAM-START */
    have_ev = 1;
    yaml_event_delete(&ev);
    have_ev = 0;

    HSMCA_GUARD(next_event(ld, &ev));
    have_ev = 1;
    if (ev.type == YAML_STREAM_END_EVENT)
        HSMCA_FAIL(HSMCA_E_INPUT, "%s:1: the file is empty (no YAML document)", ld->file);
    if (ev.type != YAML_DOCUMENT_START_EVENT)
        HSMCA_GUARD(mark_errf(ld, &ev.start_mark, "expected a YAML document"));
    yaml_event_delete(&ev);
    have_ev = 0;

    HSMCA_GUARD(next_event(ld, &ev));
    have_ev = 1;
    HSMCA_GUARD(build(ld, &ev, 0, &root));
    yaml_event_delete(&ev);
    have_ev = 0;

    HSMCA_GUARD(next_event(ld, &ev)); /* DOCUMENT-END */
    have_ev = 1;
    yaml_event_delete(&ev);
    have_ev = 0;

    HSMCA_GUARD(next_event(ld, &ev));
    have_ev = 1;
    if (ev.type != YAML_STREAM_END_EVENT)
        HSMCA_GUARD(mark_errf(ld, &ev.start_mark,
                              "a second YAML document ('---'): only one is allowed per file"));
    *out = root;
    root = NULL;
out:
    if (have_ev)
        yaml_event_delete(&ev);
    node_free(root);
    return err;
}

hsmca_err hsmca_yaml_load_string(const char *name, const char *text, size_t len,
                                 hsmca_yaml_doc **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_yaml_doc *doc = NULL;
    struct loader ld;
    int have_parser = 0;

    HSMCA_ENSURE(name != NULL && (text != NULL || len == 0) && out != NULL, HSMCA_E_USAGE,
                 "hsmca_yaml_load_string: missing argument");
    HSMCA_ENSURE(len <= HSMCA_YAML_MAX_FILE, HSMCA_E_INPUT, "%s is larger than %d bytes",
                 name, HSMCA_YAML_MAX_FILE);
    doc = calloc(1, sizeof *doc);
    HSMCA_ALLOC(doc);
    doc->file = strdup(name);
    HSMCA_ALLOC(doc->file);

    memset(&ld, 0, sizeof ld);
    HSMCA_ENSURE(yaml_parser_initialize(&ld.parser), HSMCA_E_NOMEM,
                 "out of memory (YAML parser)");
    have_parser = 1;
    ld.file = doc->file;
    ld.text = text != NULL ? text : "";
    ld.len = len;
    yaml_parser_set_input_string(&ld.parser, (const unsigned char *)ld.text, len);
    HSMCA_GUARD(load_stream(&ld, &doc->root));
    *out = doc;
    doc = NULL;
out:
    if (have_parser)
        yaml_parser_delete(&ld.parser);
    hsmca_yaml_free(doc);
    return err;
}

hsmca_err hsmca_yaml_load_file(const char *path, hsmca_yaml_doc **out)
{
    hsmca_err err = HSMCA_OK;
    uint8_t *buf = NULL;
    size_t len = 0;

    HSMCA_ENSURE(path != NULL && out != NULL, HSMCA_E_USAGE,
                 "hsmca_yaml_load_file: missing argument");
    HSMCA_GUARD(hsmca_file_read(path, HSMCA_YAML_MAX_FILE, &buf, &len));
    HSMCA_GUARD(hsmca_yaml_load_string(path, (const char *)buf, len, out));
out:
    free(buf);
    return err;
}

void hsmca_yaml_free(hsmca_yaml_doc *doc)
{
    if (doc == NULL)
        return;
    node_free(doc->root);
    free(doc->file);
    free(doc);
}

const hsmca_yaml_node *hsmca_yaml_root(const hsmca_yaml_doc *doc)
{
    return doc != NULL ? doc->root : NULL;
}

/* ---- accessors ---- */

hsmca_yaml_kind hsmca_yaml_kind_of(const hsmca_yaml_node *n)
{
    return n->kind;
}

unsigned long hsmca_yaml_line(const hsmca_yaml_node *n)
{
    return n->line;
}

const char *hsmca_yaml_file(const hsmca_yaml_node *n)
{
    return n->file;
}

const char *hsmca_yaml_text(const hsmca_yaml_node *n)
{
    return n->kind == HSMCA_YAML_SCALAR ? n->text : NULL;
}

int hsmca_yaml_is_plain(const hsmca_yaml_node *n)
{
    return n->kind == HSMCA_YAML_SCALAR && n->plain;
}

int hsmca_yaml_is_null(const hsmca_yaml_node *n)
{
    /* YAML 1.2 core schema §10.3.2: null | Null | NULL | ~ | (empty). */
    static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

    if (!hsmca_yaml_is_plain(n))
        return 0;
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++) {
        if (strcmp(n->text, nulls[i]) == 0)
            return 1;
    }
    return 0;
}

const char *hsmca_yaml_describe(const hsmca_yaml_node *n)
{
    static _Thread_local char buf[96];
    size_t o = 0;

    if (n->kind == HSMCA_YAML_MAPPING)
        return "a mapping";
    if (n->kind == HSMCA_YAML_SEQUENCE)
        return "a list";
    if (hsmca_yaml_is_null(n))
        return "nothing (null)";
    buf[o++] = '\'';
    for (const unsigned char *s = (const unsigned char *)n->text; *s != '\0'; s++) {
        if (o > 60) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (*s < 0x20 || *s == 0x7f)
            o += (size_t)snprintf(buf + o, sizeof buf - o, "\\x%02x", *s);
        else
            buf[o++] = (char)*s;
    }
    buf[o++] = '\'';
    buf[o] = '\0';
    return buf;
}

size_t hsmca_yaml_count(const hsmca_yaml_node *n)
{
    return n->kind == HSMCA_YAML_SCALAR ? 0 : n->n;
}

const hsmca_yaml_node *hsmca_yaml_item(const hsmca_yaml_node *seq, size_t i)
{
    if (seq->kind != HSMCA_YAML_SEQUENCE || i >= seq->n)
        return NULL;
    return seq->items[i];
}

const hsmca_yaml_node *hsmca_yaml_key(const hsmca_yaml_node *map, size_t i)
{
    if (map->kind != HSMCA_YAML_MAPPING || i >= map->n)
        return NULL;
    return map->keys[i];
}

const hsmca_yaml_node *hsmca_yaml_value(const hsmca_yaml_node *map, size_t i)
{
    if (map->kind != HSMCA_YAML_MAPPING || i >= map->n)
        return NULL;
    return map->items[i];
}

static long find_key(const hsmca_yaml_node *map, const char *key)
{
    if (map == NULL || map->kind != HSMCA_YAML_MAPPING)
        return -1;
    for (size_t i = 0; i < map->n; i++) {
        if (strcmp(map->keys[i]->text, key) == 0)
            return (long)i;
    }
    return -1;
}

const hsmca_yaml_node *hsmca_yaml_get(const hsmca_yaml_node *map, const char *key)
{
    long i = find_key(map, key);

    return i < 0 ? NULL : map->items[i];
}

const hsmca_yaml_node *hsmca_yaml_get_key(const hsmca_yaml_node *map, const char *key)
{
    long i = find_key(map, key);

    return i < 0 ? NULL : map->keys[i];
}

/* ---- errors and schema helpers ---- */

hsmca_err hsmca_yaml_errf(const hsmca_yaml_node *at, const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return hsmca_err_setf(HSMCA_E_INPUT, "%s:%lu: %s", at->file, at->line, msg);
}

hsmca_err hsmca_yaml_expect_map(const hsmca_yaml_node *n, const char *name)
{
    if (n->kind == HSMCA_YAML_MAPPING || hsmca_yaml_is_null(n))
        return HSMCA_OK;
    return hsmca_yaml_errf(n, "'%s' must be a mapping (key: value lines), got %s", name,
                           hsmca_yaml_describe(n));
}

hsmca_err hsmca_yaml_expect_seq(const hsmca_yaml_node *n, const char *name)
{
    if (n->kind == HSMCA_YAML_SEQUENCE)
        return HSMCA_OK;
    if (n->kind == HSMCA_YAML_SCALAR && !hsmca_yaml_is_null(n))
        return hsmca_yaml_errf(n, "'%s' must be a list, got %s (write [%s])", name,
                               hsmca_yaml_describe(n), n->text);
    return hsmca_yaml_errf(n, "'%s' must be a list, got %s", name, hsmca_yaml_describe(n));
}

hsmca_err hsmca_yaml_check_keys(const hsmca_yaml_node *map, const char *const *allowed,
                                const char *where)
{
    if (map->kind != HSMCA_YAML_MAPPING)
        return HSMCA_OK;
    for (size_t i = 0; i < map->n; i++) {
        const char *k = map->keys[i]->text;
        char list[512];
        size_t o = 0;
        int known = 0;

        for (size_t j = 0; allowed[j] != NULL; j++) {
            if (strcmp(allowed[j], k) == 0)
                known = 1;
        }
        if (known)
            continue;
        list[0] = '\0';
        for (size_t j = 0; allowed[j] != NULL && o < sizeof list; j++) {
            int w = snprintf(list + o, sizeof list - o, "%s%s", j ? ", " : "", allowed[j]);
            if (w < 0)
                break;
            o += (size_t)w;
        }
        return hsmca_yaml_errf(map->keys[i], "unknown key '%s' in %s (allowed: %s)", k, where,
                               list);
    }
    return HSMCA_OK;
}

hsmca_err hsmca_yaml_need(const hsmca_yaml_node *map, const char *key, const char *where,
                          const hsmca_yaml_node **out)
{
    const hsmca_yaml_node *v = hsmca_yaml_get(map, key);

    if (v == NULL)
        return hsmca_yaml_errf(map, "%s is missing required key '%s'", where, key);
    *out = v;
    return HSMCA_OK;
}

hsmca_err hsmca_yaml_to_bool(const hsmca_yaml_node *n, const char *name, int *out)
{
    /* Only the YAML 1.2 spellings: "yes", "on", "True" are YAML 1.1 booleans
     * in some readers and strings in others, so they are refused here. */
    if (hsmca_yaml_is_plain(n) && strcmp(n->text, "true") == 0) {
        *out = 1;
        return HSMCA_OK;
    }
    if (hsmca_yaml_is_plain(n) && strcmp(n->text, "false") == 0) {
        *out = 0;
        return HSMCA_OK;
    }
    return hsmca_yaml_errf(n, "'%s' must be true or false, got %s", name,
                           hsmca_yaml_describe(n));
}

hsmca_err hsmca_yaml_to_int(const hsmca_yaml_node *n, const char *name, long long min,
                            long long max, long long *out)
{
    const char *s;
    int neg = 0;
    unsigned long long v = 0;

    if (!hsmca_yaml_is_plain(n) || hsmca_yaml_is_null(n))
        goto bad;
    s = n->text;
    if (*s == '-') {
        neg = 1;
        s++;
    }
    /* Decimal only, no leading zeros: YAML 1.1 reads 010 as octal 8. */
    if (!isdigit((unsigned char)*s) || (s[0] == '0' && s[1] != '\0'))
        goto bad;
    for (; *s != '\0'; s++) {
        if (!isdigit((unsigned char)*s))
            goto bad;
        if (v > ((unsigned long long)LLONG_MAX - (unsigned)(*s - '0')) / 10)
            goto bad; /* out of range whatever min and max are */
        v = v * 10 + (unsigned)(*s - '0');
    }
    {
        long long x = neg ? -(long long)v : (long long)v;

        if (x < min || x > max)
            goto bad;
        *out = x;
        return HSMCA_OK;
    }
bad:
    return hsmca_yaml_errf(n, "'%s' must be an integer from %lld to %lld, got %s", name, min,
                           max, hsmca_yaml_describe(n));
}

hsmca_err hsmca_yaml_to_str(const hsmca_yaml_node *n, const char *name, const char **out)
{
    if (n->kind != HSMCA_YAML_SCALAR || hsmca_yaml_is_null(n))
        return hsmca_yaml_errf(n, "'%s' must be a string, got %s", name,
                               hsmca_yaml_describe(n));
    *out = n->text;
    return HSMCA_OK;
}

void hsmca_yaml_strv_free(char **v)
{
    if (v == NULL)
        return;
    for (char **p = v; *p != NULL; p++)
        free(*p);
    free(v);
}

hsmca_err hsmca_yaml_to_strv(const hsmca_yaml_node *n, const char *name, char ***out,
                             size_t *out_n)
{
    hsmca_err err = HSMCA_OK;
    char **v = NULL;

    HSMCA_GUARD(hsmca_yaml_expect_seq(n, name));
    v = calloc(n->n + 1, sizeof *v);
    HSMCA_ALLOC(v);
    for (size_t i = 0; i < n->n; i++) {
        const hsmca_yaml_node *it = n->items[i];

        if (it->kind != HSMCA_YAML_SCALAR || hsmca_yaml_is_null(it))
            HSMCA_GUARD(hsmca_yaml_errf(it, "'%s' must be a list of strings; item %zu is %s",
                                        name, i + 1, hsmca_yaml_describe(it)));
        v[i] = strdup(it->text);
        HSMCA_ALLOC(v[i]);
    }
    if (out_n != NULL)
        *out_n = n->n;
    *out = v;
    v = NULL;
out:
    hsmca_yaml_strv_free(v);
    return err;
}

hsmca_err hsmca_yaml_opt_bool(const hsmca_yaml_node *map, const char *key, int *out)
{
    const hsmca_yaml_node *v = hsmca_yaml_get(map, key);

    return v == NULL ? HSMCA_OK : hsmca_yaml_to_bool(v, key, out);
}

hsmca_err hsmca_yaml_opt_int(const hsmca_yaml_node *map, const char *key, long long min,
                             long long max, long long *out)
{
    const hsmca_yaml_node *v = hsmca_yaml_get(map, key);

    return v == NULL ? HSMCA_OK : hsmca_yaml_to_int(v, key, min, max, out);
}

hsmca_err hsmca_yaml_opt_str(const hsmca_yaml_node *map, const char *key, const char **out)
{
    const hsmca_yaml_node *v = hsmca_yaml_get(map, key);

    return v == NULL ? HSMCA_OK : hsmca_yaml_to_str(v, key, out);
}

hsmca_err hsmca_yaml_opt_strv(const hsmca_yaml_node *map, const char *key, char ***out,
                              size_t *out_n)
{
    const hsmca_yaml_node *v = hsmca_yaml_get(map, key);

    return v == NULL ? HSMCA_OK : hsmca_yaml_to_strv(v, key, out, out_n);
}
