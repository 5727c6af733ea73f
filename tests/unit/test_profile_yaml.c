/* Unit tests: the YAML document model and schema helpers
 * (src/profile/yaml.c, private header profile/yaml.h). */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hsmca/err.h"
#include "profile/yaml.h"

static hsmca_yaml_doc *load_ok(const char *text)
{
    hsmca_yaml_doc *doc = NULL;

    if (hsmca_yaml_load_string("t.yaml", text, strlen(text), &doc) != HSMCA_OK)
        fail_msg("unexpected error: %s", hsmca_err_message());
    assert_non_null(doc);
    return doc;
}

/* Loading fails with HSMCA_E_INPUT and a message containing both parts. */
static void load_fails(const char *text, size_t len, const char *where, const char *what)
{
    hsmca_yaml_doc *doc = NULL;
    hsmca_err err;

    hsmca_err_clear();
    err = hsmca_yaml_load_string("t.yaml", text, len, &doc);
    if (err != HSMCA_E_INPUT || doc != NULL)
        fail_msg("%s: got %s (%s)", text, hsmca_err_code_name(err), hsmca_err_message());
    if (strstr(hsmca_err_message(), where) == NULL || strstr(hsmca_err_message(), what) == NULL)
        fail_msg("message \"%s\" lacks \"%s\" or \"%s\"", hsmca_err_message(), where, what);
}

static void assert_msg(const char *part)
{
    if (strstr(hsmca_err_message(), part) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", hsmca_err_message(), part);
}

static void test_tree(void **state)
{
    hsmca_yaml_doc *doc = load_ok("# comment\n"
                                  "a: 1\n"
                                  "b:\n"
                                  "  - x\n"
                                  "  - 'y z'\n"
                                  "c: {d: true}\n"
                                  "e:\n"
                                  "f: \"\"\n");
    const hsmca_yaml_node *root = hsmca_yaml_root(doc), *n;

    (void)state;
    assert_int_equal(hsmca_yaml_kind_of(root), HSMCA_YAML_MAPPING);
    assert_int_equal(hsmca_yaml_count(root), 5);
    /* keys keep document order */
    assert_string_equal(hsmca_yaml_text(hsmca_yaml_key(root, 0)), "a");
    assert_string_equal(hsmca_yaml_text(hsmca_yaml_key(root, 4)), "f");
    assert_null(hsmca_yaml_key(root, 5));
    assert_int_equal(hsmca_yaml_line(hsmca_yaml_key(root, 1)), 3);
    assert_string_equal(hsmca_yaml_file(root), "t.yaml");

    n = hsmca_yaml_get(root, "b");
    assert_int_equal(hsmca_yaml_kind_of(n), HSMCA_YAML_SEQUENCE);
    assert_int_equal(hsmca_yaml_count(n), 2);
    assert_int_equal(hsmca_yaml_line(hsmca_yaml_item(n, 1)), 5);
    assert_string_equal(hsmca_yaml_text(hsmca_yaml_item(n, 1)), "y z");
    assert_true(hsmca_yaml_is_plain(hsmca_yaml_item(n, 0)));
    assert_false(hsmca_yaml_is_plain(hsmca_yaml_item(n, 1)));
    assert_null(hsmca_yaml_item(n, 2));
    assert_null(hsmca_yaml_text(n));
    assert_null(hsmca_yaml_get(n, "x")); /* not a mapping */

    assert_true(hsmca_yaml_is_null(hsmca_yaml_get(root, "e")));
    /* a quoted empty string is a string, not null */
    assert_false(hsmca_yaml_is_null(hsmca_yaml_get(root, "f")));
    assert_string_equal(hsmca_yaml_describe(hsmca_yaml_get(root, "f")), "''");
    assert_null(hsmca_yaml_get(root, "zz"));
    assert_int_equal(hsmca_yaml_line(hsmca_yaml_get_key(root, "c")), 6);
    hsmca_yaml_free(doc);
    hsmca_yaml_free(NULL);
}

static void test_refused(void **state)
{
    static const char nul[] = "a: \"x\\0y\"\n";
    static const char bad_utf8[] = "a: b\nc: \xff\n";
    char deep[400];
    size_t o = 0;

    (void)state;
    load_fails("a: 1\nb: 2\na: 3\n", 15, "t.yaml:3:1:", "duplicate key 'a' (first at line 1)");
    load_fails("a: &x 1\n", 8, "t.yaml:1:4:", "anchors (&x) are not supported");
    load_fails("a: [1]\nb: *x\n", 13, "t.yaml:2:4:", "aliases (*x) are not supported");
    load_fails("a: !!str 1\n", 11, "t.yaml:1:4:", "tags (tag:yaml.org,2002:str)");
    load_fails("a: 1\n---\nb: 2\n", 14, "t.yaml:2:1:", "a second YAML document");
    load_fails("", 0, "t.yaml:1:", "the file is empty");
    load_fails("# only a comment\n", 17, "t.yaml:1:", "the file is empty");
    load_fails(nul, sizeof nul - 1, "t.yaml:1:4:", "NUL");
    load_fails(bad_utf8, sizeof bad_utf8 - 1, "t.yaml:2:4:", "cannot read YAML");
    load_fails("? [a]\n: 1\n", 10, "t.yaml:1:3:", "a mapping key must be a plain word, not a list");
    load_fails("a: 1\n*x : 2\n", 12, "t.yaml:2:1:", "aliases (*x) are not supported");
    load_fails("a:\n  b: 1\n c: 2\n", 16, "t.yaml:3:", "YAML syntax error");
    load_fails("a: [1, 2\n", 9, "t.yaml:2:", "YAML syntax error");
    load_fails("\"\": 1\n", 6, "t.yaml:1:1:", "a mapping key must not be empty or null");
    load_fails("~: 1\n", 5, "t.yaml:1:1:", "must not be empty or null");

    /* Nesting deeper than HSMCA_YAML_MAX_DEPTH. */
    for (int i = 0; i < HSMCA_YAML_MAX_DEPTH + 1; i++)
        deep[o++] = '[';
    for (int i = 0; i < HSMCA_YAML_MAX_DEPTH + 1; i++)
        deep[o++] = ']';
    deep[o] = '\0';
    load_fails(deep, o, "t.yaml:1:", "nested more than");

    /* More than HSMCA_YAML_MAX_ITEMS entries in one list. */
    {
        size_t len = 2 + 2 * (HSMCA_YAML_MAX_ITEMS + 1) + 2;
        char *many = malloc(len);

        assert_non_null(many);
        o = 0;
        many[o++] = '[';
        for (int i = 0; i < HSMCA_YAML_MAX_ITEMS + 1; i++) {
            many[o++] = '0';
            many[o++] = ',';
        }
        many[o - 1] = ']';
        many[o] = '\0';
        load_fails(many, o, "t.yaml:1:", "more than 4096 entries in one list");
        free(many);
    }
}

static void test_load_file(void **state)
{
    hsmca_yaml_doc *doc = NULL;

    (void)state;
    assert_int_equal(hsmca_yaml_load_file("/nonexistent/x.yaml", &doc), HSMCA_E_NOT_FOUND);
    assert_null(doc);
    assert_msg("/nonexistent/x.yaml");
    assert_int_equal(hsmca_yaml_load_file(NULL, &doc), HSMCA_E_USAGE);
}

static void test_int(void **state)
{
    hsmca_yaml_doc *doc = load_ok("ok: 36500\nneg: -1\nzero: 0\nlead: 010\nplus: +5\n"
                                  "big: 9223372036854775808\nunder: 1_000\nquoted: \"5\"\n"
                                  "float: 1.5\nnothing:\nhex: 0x10\n");
    const hsmca_yaml_node *root = hsmca_yaml_root(doc);
    static const char *const bad[] = { "lead", "plus", "big", "under", "quoted", "float",
                                       "nothing", "hex" };
    long long v = 77;

    (void)state;
    assert_int_equal(hsmca_yaml_opt_int(root, "ok", 1, 36500, &v), HSMCA_OK);
    assert_int_equal(v, 36500);
    assert_int_equal(hsmca_yaml_opt_int(root, "neg", -5, 5, &v), HSMCA_OK);
    assert_int_equal(v, -1);
    assert_int_equal(hsmca_yaml_opt_int(root, "zero", 0, 0, &v), HSMCA_OK);
    assert_int_equal(v, 0);
    /* absent: untouched */
    v = 77;
    assert_int_equal(hsmca_yaml_opt_int(root, "absent", 0, 100, &v), HSMCA_OK);
    assert_int_equal(v, 77);
    /* out of range */
    assert_int_equal(hsmca_yaml_opt_int(root, "ok", 1, 36499, &v), HSMCA_E_INPUT);
    assert_msg("t.yaml:1: 'ok' must be an integer from 1 to 36499, got '36500'");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        hsmca_err_clear();
        if (hsmca_yaml_opt_int(root, bad[i], LLONG_MIN + 1, LLONG_MAX, &v) != HSMCA_E_INPUT)
            fail_msg("'%s' was accepted as an integer", bad[i]);
        assert_msg("must be an integer");
    }
    assert_int_equal(v, 77);
    hsmca_yaml_free(doc);
}

static void test_bool_str(void **state)
{
    hsmca_yaml_doc *doc = load_ok("t: true\nf: false\ny: yes\nT: True\nq: 'true'\n"
                                  "s: hello\nn: ~\nl: [a, b]\nm: {}\nempty: []\n"
                                  "mixed: [a, {b: c}]\n");
    const hsmca_yaml_node *root = hsmca_yaml_root(doc);
    int b = -1;
    const char *s = NULL;
    char **v = NULL;
    size_t n = 99;

    (void)state;
    assert_int_equal(hsmca_yaml_opt_bool(root, "t", &b), HSMCA_OK);
    assert_int_equal(b, 1);
    assert_int_equal(hsmca_yaml_opt_bool(root, "f", &b), HSMCA_OK);
    assert_int_equal(b, 0);
    assert_int_equal(hsmca_yaml_opt_bool(root, "y", &b), HSMCA_E_INPUT);
    assert_msg("t.yaml:3: 'y' must be true or false, got 'yes'");
    assert_int_equal(hsmca_yaml_opt_bool(root, "T", &b), HSMCA_E_INPUT);
    assert_int_equal(hsmca_yaml_opt_bool(root, "q", &b), HSMCA_E_INPUT);
    assert_int_equal(hsmca_yaml_opt_bool(root, "l", &b), HSMCA_E_INPUT);
    assert_msg("got a list");

    assert_int_equal(hsmca_yaml_opt_str(root, "s", &s), HSMCA_OK);
    assert_string_equal(s, "hello");
    /* YAML 1.1 booleans stay strings (the "Norway problem" cannot happen) */
    assert_int_equal(hsmca_yaml_opt_str(root, "y", &s), HSMCA_OK);
    assert_string_equal(s, "yes");
    assert_int_equal(hsmca_yaml_opt_str(root, "n", &s), HSMCA_E_INPUT);
    assert_msg("t.yaml:7: 'n' must be a string, got nothing (null)");
    assert_int_equal(hsmca_yaml_opt_str(root, "m", &s), HSMCA_E_INPUT);
    assert_msg("got a mapping");

    assert_int_equal(hsmca_yaml_opt_strv(root, "l", &v, &n), HSMCA_OK);
    assert_int_equal(n, 2);
    assert_string_equal(v[0], "a");
    assert_string_equal(v[1], "b");
    assert_null(v[2]);
    hsmca_yaml_strv_free(v);
    v = NULL;
    assert_int_equal(hsmca_yaml_opt_strv(root, "empty", &v, &n), HSMCA_OK);
    assert_int_equal(n, 0);
    assert_non_null(v);
    assert_null(v[0]);
    hsmca_yaml_strv_free(v);
    v = NULL;
    assert_int_equal(hsmca_yaml_opt_strv(root, "absent", &v, &n), HSMCA_OK);
    assert_null(v);
    assert_int_equal(hsmca_yaml_opt_strv(root, "mixed", &v, &n), HSMCA_E_INPUT);
    assert_msg("t.yaml:11: 'mixed' must be a list of strings; item 2 is a mapping");
    assert_null(v);
    assert_int_equal(hsmca_yaml_opt_strv(root, "s", &v, &n), HSMCA_E_INPUT);
    assert_msg("'s' must be a list, got 'hello' (write [hello])");
    hsmca_yaml_strv_free(NULL);
    hsmca_yaml_free(doc);
}

static void test_schema(void **state)
{
    static const char *const allowed[] = { "critical", "usages", NULL };
    hsmca_yaml_doc *doc = load_ok("ext:\n  critical: true\n  usage: [x]\nnull_ext:\n"
                                  "seq: [1]\n");
    const hsmca_yaml_node *root = hsmca_yaml_root(doc);
    const hsmca_yaml_node *ext = hsmca_yaml_get(root, "ext");
    const hsmca_yaml_node *null_ext = hsmca_yaml_get(root, "null_ext");
    const hsmca_yaml_node *n = NULL;

    (void)state;
    assert_int_equal(hsmca_yaml_check_keys(ext, allowed, "extension 'key_usage'"),
                     HSMCA_E_INPUT);
    assert_msg("t.yaml:3: unknown key 'usage' in extension 'key_usage' (allowed: critical, "
               "usages)");
    assert_int_equal(hsmca_yaml_need(ext, "usages", "extension 'key_usage'", &n),
                     HSMCA_E_INPUT);
    assert_msg("t.yaml:2: extension 'key_usage' is missing required key 'usages'");
    assert_null(n);
    assert_int_equal(hsmca_yaml_need(ext, "critical", "x", &n), HSMCA_OK);
    assert_int_equal(hsmca_yaml_line(n), 2);

    /* a null counts as an empty mapping */
    assert_int_equal(hsmca_yaml_expect_map(null_ext, "null_ext"), HSMCA_OK);
    assert_int_equal(hsmca_yaml_check_keys(null_ext, allowed, "x"), HSMCA_OK);
    assert_int_equal(hsmca_yaml_need(null_ext, "usages", "extension 'x'", &n), HSMCA_E_INPUT);
    assert_msg("t.yaml:4:");
    assert_int_equal(hsmca_yaml_expect_map(hsmca_yaml_get(root, "seq"), "seq"), HSMCA_E_INPUT);
    assert_msg("t.yaml:5: 'seq' must be a mapping (key: value lines), got a list");
    assert_int_equal(hsmca_yaml_expect_seq(ext, "ext"), HSMCA_E_INPUT);
    assert_msg("'ext' must be a list, got a mapping");

    assert_int_equal(hsmca_yaml_errf(ext, "custom %d", 42), HSMCA_E_INPUT);
    assert_string_equal(hsmca_err_message(), "t.yaml:2: custom 42");
    hsmca_yaml_free(doc);
}

static void test_describe(void **state)
{
    hsmca_yaml_doc *doc = load_ok("a: \"tab\\there\"\n"
                                  "b: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n");
    const hsmca_yaml_node *root = hsmca_yaml_root(doc);
    const char *d;

    (void)state;
    assert_string_equal(hsmca_yaml_describe(hsmca_yaml_get(root, "a")), "'tab\\x09here'");
    d = hsmca_yaml_describe(hsmca_yaml_get(root, "b"));
    assert_true(strlen(d) < 80);
    assert_non_null(strstr(d, "...'"));
    hsmca_yaml_free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree),     cmocka_unit_test(test_refused),
        cmocka_unit_test(test_load_file), cmocka_unit_test(test_int),
        cmocka_unit_test(test_bool_str), cmocka_unit_test(test_schema),
        cmocka_unit_test(test_describe),
    };

    return cmocka_run_group_tests_name("profile_yaml", tests, NULL, NULL);
}
