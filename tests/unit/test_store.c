/* Unit tests: the store (src/store, include/hsmca/store.h).
 *
 * Each test gets a fresh state directory. The tests look at the database
 * file with their own SQLite connection (the "raw" helpers below), so what
 * they check is what is on disk, not what the store says about itself: the
 * journal mode, the schema version, the rows, and the schema's own rules.
 * Tests that fork close every connection first: an SQLite connection must
 * not cross a fork (https://sqlite.org/howtocorrupt.html §2.6).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "hsmca/err.h"
#include "hsmca/log.h"
#include "hsmca/store.h"
#include "support.h"

/* The schema version this code creates (src/store/schema.c migrations). */
#define SCHEMA_LATEST 3

#define T0 1795867200 /* 2026-11-28T12:00:00Z */
#define DAY 86400

struct fixture {
    char tmp[256];
    char state[300];
    char db[400];
    hsmca_store *st;
    int64_t sub; /* the issuer "sub" */
};

/* ---- helpers ---- */

static int64_t add_issuer(hsmca_store *st, const char *name, uint8_t tag)
{
    uint8_t cert[48], key_id[4] = {1, 2, 3, tag};
    char nm[65], label[32], module[] = "/usr/lib/softhsm/libsofthsm2.so";
    hsmca_store_issuer in = {0};
    int64_t id = -1;

    memset(cert, tag, sizeof cert);
    cert[0] = 0x30;
    snprintf(nm, sizeof nm, "%s", name);
    snprintf(label, sizeof label, "%s-key", name);
    in.name = nm;
    in.cert_der = cert;
    in.cert_len = sizeof cert;
    in.module = module;
    in.key_label = label;
    in.key_id = key_id;
    in.key_id_len = sizeof key_id;
    in.created_at = T0;
    if (hsmca_store_issuer_add(st, &in, &id) != HSMCA_OK)
        fail_msg("cannot add issuer %s: %s (%s)", name, hsmca_err_message(), hsmca_err_detail());
    return id;
}

/* A positive, minimal 6-octet serial numbered n. */
static size_t serial_n(uint8_t *out, uint32_t n)
{
    out[0] = 0x11;
    out[1] = 0x22;
    out[2] = (uint8_t)(n >> 24);
    out[3] = (uint8_t)(n >> 16);
    out[4] = (uint8_t)(n >> 8);
    out[5] = (uint8_t)n;
    return 6;
}

static void expect_ok(hsmca_err err, const char *what)
{
    if (err != HSMCA_OK)
        fail_msg("%s: %s: %s (%s)", what, hsmca_err_code_name(err), hsmca_err_message(),
                 hsmca_err_detail());
}

static void expect_err(hsmca_err err, hsmca_err want, const char *needle)
{
    if (err != want)
        fail_msg("want %s, got %s: %s (%s)", hsmca_err_code_name(want), hsmca_err_code_name(err),
                 hsmca_err_message(), hsmca_err_detail());
    if (needle != NULL && strstr(hsmca_err_message(), needle) == NULL)
        fail_msg("message lacks '%s': %s", needle, hsmca_err_message());
}

static const uint8_t precert[] = {0x30, 0x03, 0x02, 0x01, 0x01};
static const uint8_t final1[] = {0x30, 0x04, 0x02, 0x02, 0x01, 0x01};
static const uint8_t final2[] = {0x30, 0x04, 0x02, 0x02, 0x02, 0x02};

static void do_precert(struct fixture *f, const uint8_t *sn, size_t n)
{
    expect_ok(hsmca_store_precert_record(f->st, f->sub, sn, n, precert, sizeof precert, T0,
                                         T0 + 90 * DAY, T0 + 1),
              "precert");
}

static void do_final(struct fixture *f, const uint8_t *sn, size_t n)
{
    expect_ok(hsmca_store_final_record(f->st, f->sub, sn, n, final1, sizeof final1, NULL, 0,
                                       T0 + 2),
              "final");
}

/* Our own connection to the database file. */
static sqlite3 *raw_open(struct fixture *f)
{
    sqlite3 *db = NULL;

    if (sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        fail_msg("raw open %s: %s", f->db, db ? sqlite3_errmsg(db) : "?");
    sqlite3_busy_timeout(db, 10000);
    return db;
}

/* First column of the first row of sql (?1 bound to blob when given). */
static long long raw_int(sqlite3 *db, const char *sql, const void *blob, size_t n)
{
    sqlite3_stmt *s = NULL;
    long long v;

    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        fail_msg("raw prepare %s: %s", sql, sqlite3_errmsg(db));
    if (blob != NULL)
        sqlite3_bind_blob(s, 1, blob, (int)n, SQLITE_TRANSIENT);
    if (sqlite3_step(s) != SQLITE_ROW)
        fail_msg("raw step %s: %s", sql, sqlite3_errmsg(db));
    v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

static void raw_text(sqlite3 *db, const char *sql, char *buf, size_t len)
{
    sqlite3_stmt *s = NULL;

    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW)
        fail_msg("raw %s: %s", sql, sqlite3_errmsg(db));
    snprintf(buf, len, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
}

/* An exec expected to be refused by the schema with a constraint error. */
static void raw_refused(sqlite3 *db, const char *sql)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

    if ((rc & 0xff) != SQLITE_CONSTRAINT)
        fail_msg("the schema accepted (rc %d): %s", rc, sql);
}

static long long events_of(sqlite3 *db, const char *kind, const uint8_t *sn, size_t n)
{
    char sql[160];

    snprintf(sql, sizeof sql, "SELECT count(*) FROM events WHERE kind = '%s' AND serial = ?1",
             kind);
    return raw_int(db, sql, sn, n);
}

static int reopen(struct fixture *f)
{
    hsmca_store_close(f->st);
    f->st = NULL;
    return hsmca_store_open(f->state, &f->st);
}

static void wait_child(pid_t pid, int want_exit)
{
    int status = 0;

    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (want_exit >= 0) {
        if (!WIFEXITED(status) || WEXITSTATUS(status) != want_exit)
            fail_msg("child status %#x, want exit %d", status, want_exit);
    } else if (!WIFSIGNALED(status) || WTERMSIG(status) != -want_exit) {
        fail_msg("child status %#x, want signal %d", status, -want_exit);
    }
}

/* ---- fixture ---- */

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);

    if (f == NULL || hsmca_test_mkdtemp(f->tmp, sizeof f->tmp) != 0) {
        free(f);
        return -1;
    }
    snprintf(f->state, sizeof f->state, "%s/state", f->tmp);
    snprintf(f->db, sizeof f->db, "%s/%s", f->state, HSMCA_STORE_DB_NAME);
    hsmca_log_set_level(HSMCA_LOG_ERROR);
    hsmca_err_clear();
    if (hsmca_store_open(f->state, &f->st) != HSMCA_OK) {
        fprintf(stderr, "setup: %s (%s)\n", hsmca_err_message(), hsmca_err_detail());
        hsmca_test_rmtree(f->tmp);
        free(f);
        return -1;
    }
    f->sub = add_issuer(f->st, "sub", 0xa1);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    hsmca_store_close(f->st);
    hsmca_test_rmtree(f->tmp);
    free(f);
    return 0;
}

/* ---- opening ---- */

static void test_open_creates(void **state)
{
    struct fixture *f = *state;
    char dir[400], mode[32];
    struct stat sb;
    hsmca_store *st = NULL;
    mode_t old;
    sqlite3 *db;

    /* The fixture's directory was created 0700 and holds the database. */
    assert_int_equal(stat(f->state, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0700);
    assert_int_equal(stat(f->db, &sb), 0);
    assert_int_equal(hsmca_store_schema_version(f->st), SCHEMA_LATEST);
    assert_string_equal(hsmca_store_dir(f->st), f->state);

    /* Exactly 0700 even under a umask that would leave it unwritable. */
    snprintf(dir, sizeof dir, "%s/other", f->tmp);
    old = umask(0277);
    expect_ok(hsmca_store_open(dir, &st), "open under umask 0277");
    umask(old);
    assert_int_equal(stat(dir, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0700);
    hsmca_store_close(st);

    db = raw_open(f);
    raw_text(db, "PRAGMA journal_mode", mode, sizeof mode);
    assert_string_equal(mode, "wal");
    assert_int_equal(raw_int(db, "PRAGMA user_version", NULL, 0), SCHEMA_LATEST);
    assert_int_equal(raw_int(db, "PRAGMA application_id", NULL, 0), 0x68734341);
    assert_int_equal(raw_int(db,
                             "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN "
                             "('issuers', 'serials', 'scts', 'revocations', 'crl_numbers', "
                             "'events')",
                             NULL, 0),
                     6);
    raw_text(db, "PRAGMA integrity_check", mode, sizeof mode);
    assert_string_equal(mode, "ok");
    sqlite3_close(db);
}

static void test_open_missing_parent(void **state)
{
    struct fixture *f = *state;
    char dir[512], parent[400];
    hsmca_store *st = NULL;
    struct stat sb;

    snprintf(parent, sizeof parent, "%s/missing", f->tmp);
    snprintf(dir, sizeof dir, "%s/state", parent);
    expect_err(hsmca_store_open(dir, &st), HSMCA_E_IO, "parent directory does not exist");
    assert_null(st);
    assert_int_not_equal(stat(parent, &sb), 0);
}

static void test_open_not_a_directory(void **state)
{
    struct fixture *f = *state;
    char path[400];
    hsmca_store *st = NULL;

    snprintf(path, sizeof path, "%s/file", f->tmp);
    assert_int_equal(hsmca_test_write_file(path, "x", 1, 0600), 0);
    expect_err(hsmca_store_open(path, &st), HSMCA_E_IO, "not a directory");
    assert_null(st);
}

static void test_open_from_env(void **state)
{
    struct fixture *f = *state;
    hsmca_store *st = NULL;
    hsmca_store_issuer *is = NULL;

    unsetenv(HSMCA_STATE_ENV);
    expect_err(hsmca_store_open(NULL, &st), HSMCA_E_USAGE, HSMCA_STATE_ENV);
    setenv(HSMCA_STATE_ENV, f->state, 1);
    expect_ok(hsmca_store_open(NULL, &st), "open from the environment");
    unsetenv(HSMCA_STATE_ENV);
    expect_ok(hsmca_store_issuer_get(st, "sub", &is), "get sub");
    hsmca_store_issuer_free(is);
    hsmca_store_close(st);
}

static void test_reopen_keeps_data(void **state)
{
    struct fixture *f = *state;
    uint8_t sn[8];
    size_t n = serial_n(sn, 1);
    hsmca_store_issuer *is = NULL;
    hsmca_store_cert *c = NULL;

    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, sn, n, T0), "reserve");
    do_precert(f, sn, n);
    expect_ok(reopen(f), "reopen");
    assert_int_equal(hsmca_store_schema_version(f->st), SCHEMA_LATEST);
    expect_ok(hsmca_store_issuer_get(f->st, "sub", &is), "get");
    assert_int_equal(is->id, f->sub);
    expect_ok(hsmca_store_cert_get(f->st, f->sub, sn, n, &c), "cert_get");
    assert_int_equal(c->state, HSMCA_SERIAL_PRECERT);
    assert_memory_equal(c->precert_der, precert, sizeof precert);
    hsmca_store_cert_free(c);
    hsmca_store_issuer_free(is);
}

static void test_newer_version_refused(void **state)
{
    struct fixture *f = *state;
    hsmca_store *st = NULL;
    sqlite3 *db;

    hsmca_store_close(f->st);
    f->st = NULL;
    db = raw_open(f);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 4", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    expect_err(hsmca_store_open(f->state, &st), HSMCA_E_STATE, "newer");
    assert_null(st);
    assert_non_null(strstr(hsmca_err_message(), "schema version 4"));
    /* Refused, not touched. */
    db = raw_open(f);
    assert_int_equal(raw_int(db, "PRAGMA user_version", NULL, 0), 4);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM issuers", NULL, 0), 1);
    sqlite3_close(db);
}

static void test_foreign_database_refused(void **state)
{
    struct fixture *f = *state;
    char dir[400], path[500];
    hsmca_store *st = NULL;
    sqlite3 *db = NULL;

    /* A database with tables but no version is not ours. */
    snprintf(dir, sizeof dir, "%s/foreign", f->tmp);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(path, sizeof path, "%s/%s", dir, HSMCA_STORE_DB_NAME);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    expect_err(hsmca_store_open(dir, &st), HSMCA_E_STATE, "not an hsmca store");

    /* Another application's id. */
    unlink(path);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA application_id = 42", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    expect_err(hsmca_store_open(dir, &st), HSMCA_E_STATE, "another application");

    /* Not SQLite at all: the detail names SQLite's code. */
    unlink(path);
    assert_int_equal(hsmca_test_write_file(path, "this is not a database, just text.........",
                                           42, 0600),
                     0);
    expect_err(hsmca_store_open(dir, &st), HSMCA_E_IO, path);
    assert_non_null(strstr(hsmca_err_detail(), "SQLITE_NOTADB"));
    assert_null(st);
}

/* ---- issuers ---- */

static void test_issuer_add_get_list(void **state)
{
    struct fixture *f = *state;
    uint8_t cert[] = {0x30, 0x01, 0x02}, ocsp[] = {0x30, 0x02, 0x05, 0x00}, kid[] = {9, 8};
    char name[] = "alpha", tl[] = "online", ts[] = "1234abcd", kl[] = "alpha-key",
         pf[] = "/run/pin", pe[] = "ALPHA_PIN", prof[] = "tls-server",
         url[] = "http://127.0.0.1:8080", ol[] = "alpha-ocsp";
    hsmca_store_issuer in = {0}, *is = NULL, **v = NULL;
    size_t n = 0;
    int64_t id = 0;
    sqlite3 *db;

    in.name = name;
    in.cert_der = cert;
    in.cert_len = sizeof cert;
    in.token_label = tl;
    in.token_serial = ts;
    in.key_label = kl;
    in.key_id = kid;
    in.key_id_len = sizeof kid;
    in.pin_file = pf;
    in.pin_env = pe;
    in.profile = prof;
    in.base_url = url;
    in.ocsp_cert_der = ocsp;
    in.ocsp_cert_len = sizeof ocsp;
    in.ocsp_key_label = ol;
    in.created_at = T0 + 5;
    in.id = 999; /* ignored */
    expect_ok(hsmca_store_issuer_add(f->st, &in, &id), "add alpha");
    assert_true(id > 0 && id != f->sub && id != 999);

    expect_ok(hsmca_store_issuer_get(f->st, "alpha", &is), "get alpha");
    assert_int_equal(is->id, id);
    assert_string_equal(is->name, "alpha");
    assert_int_equal(is->cert_len, sizeof cert);
    assert_memory_equal(is->cert_der, cert, sizeof cert);
    assert_null(is->module);
    assert_string_equal(is->token_label, tl);
    assert_string_equal(is->token_serial, ts);
    assert_string_equal(is->key_label, kl);
    assert_int_equal(is->key_id_len, sizeof kid);
    assert_memory_equal(is->key_id, kid, sizeof kid);
    assert_string_equal(is->pin_file, pf);
    assert_string_equal(is->pin_env, pe);
    assert_string_equal(is->profile, prof);
    assert_string_equal(is->base_url, url);
    assert_int_equal(is->ocsp_cert_len, sizeof ocsp);
    assert_memory_equal(is->ocsp_cert_der, ocsp, sizeof ocsp);
    assert_string_equal(is->ocsp_key_label, ol);
    assert_int_equal(is->created_at, T0 + 5);
    hsmca_store_issuer_free(is);
    is = NULL;

    expect_ok(hsmca_store_issuer_get_by_id(f->st, f->sub, &is), "get sub by id");
    assert_string_equal(is->name, "sub");
    assert_string_equal(is->module, "/usr/lib/softhsm/libsofthsm2.so");
    assert_null(is->ocsp_cert_der);
    assert_int_equal(is->ocsp_cert_len, 0);
    assert_null(is->pin_file);
    hsmca_store_issuer_free(is);
    is = NULL;
    expect_err(hsmca_store_issuer_get_by_id(f->st, 4242, &is), HSMCA_E_NOT_FOUND, "4242");
    assert_null(is);

    add_issuer(f->st, "Zed", 0xb2);
    expect_ok(hsmca_store_issuers(f->st, &v, &n), "list");
    assert_int_equal(n, 3);
    /* By name (SQLite's BINARY collation: upper case first). */
    assert_string_equal(v[0]->name, "Zed");
    assert_string_equal(v[1]->name, "alpha");
    assert_string_equal(v[2]->name, "sub");
    hsmca_store_issuers_free(v, n);

    db = raw_open(f);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM events WHERE kind = 'issuer-add'", NULL, 0),
                     3);
    sqlite3_close(db);
}

static void test_issuer_duplicates(void **state)
{
    struct fixture *f = *state;
    uint8_t cert[48];
    char name[] = "sub", other[] = "other", label[] = "k";
    hsmca_store_issuer in = {0};
    int64_t id = -7;
    sqlite3 *db;

    memset(cert, 0x11, sizeof cert);
    in.name = name;
    in.cert_der = cert;
    in.cert_len = sizeof cert;
    in.key_label = label;
    expect_err(hsmca_store_issuer_add(f->st, &in, &id), HSMCA_E_EXISTS, "'sub'");
    assert_int_equal(id, -7);

    /* Same certificate as "sub" (add_issuer's tag 0xa1) under a new name. */
    memset(cert, 0xa1, sizeof cert);
    cert[0] = 0x30;
    in.name = other;
    expect_err(hsmca_store_issuer_add(f->st, &in, &id), HSMCA_E_EXISTS,
               "already registered as issuer 'sub'");

    db = raw_open(f);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM issuers", NULL, 0), 1);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM events", NULL, 0), 1);
    sqlite3_close(db);
}

static void test_issuer_unknown(void **state)
{
    struct fixture *f = *state;
    hsmca_store_issuer *is = NULL;
    hsmca_store_issuer **v = NULL;
    size_t n = 9;
    char dir[400];
    hsmca_store *st = NULL;

    add_issuer(f->st, "alpha", 0xb3);
    expect_err(hsmca_store_issuer_get(f->st, "nope", &is), HSMCA_E_NOT_FOUND,
               "known issuers: alpha, sub");
    assert_non_null(strstr(hsmca_err_message(), "'nope'"));
    assert_null(is);

    /* An empty store says so. */
    snprintf(dir, sizeof dir, "%s/empty", f->tmp);
    expect_ok(hsmca_store_open(dir, &st), "open empty");
    expect_err(hsmca_store_issuer_get(st, "sub", &is), HSMCA_E_NOT_FOUND,
               "no issuer is registered");
    expect_ok(hsmca_store_issuers(st, &v, &n), "list empty");
    assert_int_equal(n, 0);
    hsmca_store_issuers_free(v, n);
    hsmca_store_close(st);
}

static void test_issuer_invalid(void **state)
{
    struct fixture *f = *state;
    static const char *const bad[] = {"", "a b", "a/b", "caf\xc3\xa9", "x\n",
                                      "12345678901234567890123456789012345678901234567890123456789012345"};
    uint8_t cert[4] = {0x30, 0x02, 0x05, 0x00};
    char name[80], label[] = "k", ol[] = "ocsp";
    hsmca_store_issuer in = {0};
    sqlite3 *db;

    in.name = name;
    in.cert_der = cert;
    in.cert_len = sizeof cert;
    in.key_label = label;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(name, sizeof name, "%s", bad[i]);
        expect_err(hsmca_store_issuer_add(f->st, &in, NULL), HSMCA_E_INPUT, "issuer name");
    }
    /* 64 characters are fine. */
    snprintf(name, sizeof name, "%s", "1234567890123456789012345678901234567890123456789012345678901234");
    expect_ok(hsmca_store_issuer_add(f->st, &in, NULL), "64-character name");

    snprintf(name, sizeof name, "fine");
    in.cert_len = 0;
    expect_err(hsmca_store_issuer_add(f->st, &in, NULL), HSMCA_E_INPUT, "no certificate");
    in.cert_len = sizeof cert;
    cert[3] = 1;
    in.key_label = NULL;
    expect_err(hsmca_store_issuer_add(f->st, &in, NULL), HSMCA_E_INPUT, "names no key");
    in.key_label = label;
    in.ocsp_key_label = ol;
    expect_err(hsmca_store_issuer_add(f->st, &in, NULL), HSMCA_E_INPUT, "OCSP");
    expect_err(hsmca_store_issuer_add(f->st, NULL, NULL), HSMCA_E_USAGE, NULL);

    db = raw_open(f);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM issuers", NULL, 0), 2);
    sqlite3_close(db);
}

/* ---- serials ---- */

static void test_serial_validation(void **state)
{
    struct fixture *f = *state;
    uint8_t sn[21] = {0};
    sqlite3 *db;

    sn[0] = 0x01;
    expect_err(hsmca_store_serial_reserve(f->st, f->sub, sn, 0, T0), HSMCA_E_INPUT, "no serial");
    expect_err(hsmca_store_serial_reserve(f->st, f->sub, NULL, 4, T0), HSMCA_E_INPUT, "no serial");
    expect_err(hsmca_store_serial_reserve(f->st, f->sub, sn, 21, T0), HSMCA_E_INPUT, "21 octets");
    sn[0] = 0x80;
    expect_err(hsmca_store_serial_reserve(f->st, f->sub, sn, 4, T0), HSMCA_E_INPUT, "negative");
    sn[0] = 0x00;
    sn[1] = 0x12;
    expect_err(hsmca_store_serial_reserve(f->st, f->sub, sn, 2, T0), HSMCA_E_INPUT,
               "serial 0012 is not minimally encoded");
    expect_err(hsmca_store_serial_reserve(f->st, f->sub, sn, 1, T0), HSMCA_E_INPUT,
               "not positive");
    /* The largest allowed: 20 octets, a 00 before a top bit. */
    sn[1] = 0x80;
    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, sn, 20, T0), "20 octets");
    sn[0] = 0x7f;
    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, sn, 20, T0), "20 octets, no pad");
    sn[0] = 0x05;
    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, sn, 1, T0), "one octet");
    /* Other calls check too. */
    sn[0] = 0x80;
    expect_err(hsmca_store_precert_record(f->st, f->sub, sn, 1, precert, sizeof precert, T0, T0,
                                          T0),
               HSMCA_E_INPUT, "negative");
    expect_err(hsmca_store_cert_get(f->st, f->sub, sn, 21, &(hsmca_store_cert *){NULL}),
               HSMCA_E_INPUT, NULL);

    db = raw_open(f);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM serials", NULL, 0), 3);
    sqlite3_close(db);
}

static void test_reserve_unknown_issuer(void **state)
{
    struct fixture *f = *state;
    uint8_t sn[8];
    size_t n = serial_n(sn, 1);

    expect_err(hsmca_store_serial_reserve(f->st, 77, sn, n, T0), HSMCA_E_NOT_FOUND,
               "no issuer with id 77");
    expect_err(hsmca_store_count(f->st, 77, HSMCA_SERIAL_RESERVED, &(size_t){0}),
               HSMCA_E_NOT_FOUND, NULL);
}

static void test_reserve_twice(void **state)
{
    struct fixture *f = *state;
    uint8_t sn[8];
    size_t n = serial_n(sn, 0xabcdef);
    int64_t other = add_issuer(f->st, "other", 0xb4);
    sqlite3 *db;

    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, sn, n, T0), "reserve");
    expect_err(hsmca_store_serial_reserve(f->st, f->sub, sn, n, T0), HSMCA_E_EXISTS,
               "serial 112200abcdef of issuer 'sub' is already used (state reserved)");
    do_precert(f, sn, n);
    expect_err(hsmca_store_serial_reserve(f->st, f->sub, sn, n, T0), HSMCA_E_EXISTS,
               "(state precert)");
    do_final(f, sn, n);
    expect_err(hsmca_store_serial_reserve(f->st, f->sub, sn, n, T0), HSMCA_E_EXISTS,
               "(state final)");
    /* Unique per issuer: another issuer may use the same number. */
    expect_ok(hsmca_store_serial_reserve(f->st, other, sn, n, T0), "other issuer");

    db = raw_open(f);
    assert_int_equal(events_of(db, "reserve", sn, n), 2);
    sqlite3_close(db);
}

static void test_precert_without_reserve(void **state)
{
    struct fixture *f = *state;
    uint8_t sn[8];
    size_t n = serial_n(sn, 2);
    sqlite3 *db;

    expect_err(hsmca_store_precert_record(f->st, f->sub, sn, n, precert, sizeof precert, T0,
                                          T0 + DAY, T0),
               HSMCA_E_STATE, "never reserved");
    assert_non_null(strstr(hsmca_err_message(), "112200000002"));
    assert_non_null(strstr(hsmca_err_message(), "'sub'"));
    db = raw_open(f);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM serials", NULL, 0), 0);
    assert_int_equal(events_of(db, "precert", sn, n), 0);
    sqlite3_close(db);
}

static void test_precert_twice(void **state)
{
    struct fixture *f = *state;
    uint8_t sn[8], other[] = {0x30, 0x00};
    size_t n = serial_n(sn, 3);
    hsmca_store_cert *c = NULL;

    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, sn, n, T0), "reserve");
    do_precert(f, sn, n);
    expect_err(hsmca_store_precert_record(f->st, f->sub, sn, n, other, sizeof other, T0 + 9,
                                          T0 + 10, T0 + 11),
               HSMCA_E_STATE, "already has one (state precert)");
    expect_ok(hsmca_store_cert_get(f->st, f->sub, sn, n, &c), "get");
    assert_int_equal(c->precert_len, sizeof precert);
    assert_memory_equal(c->precert_der, precert, sizeof precert);
    assert_int_equal(c->not_before, T0);
    hsmca_store_cert_free(c);
}

static void test_precert_bad_input(void **state)
{
    struct fixture *f = *state;
    uint8_t sn[8];
    size_t n = serial_n(sn, 4);
    hsmca_store_cert *c = NULL;

    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, sn, n, T0), "reserve");
    expect_err(hsmca_store_precert_record(f->st, f->sub, sn, n, precert, 0, T0, T0, T0),
               HSMCA_E_INPUT, "no precertificate");
    expect_err(hsmca_store_precert_record(f->st, f->sub, sn, n, precert, sizeof precert, T0,
                                          T0 - 1, T0),
               HSMCA_E_INPUT, "before it begins");
    expect_ok(hsmca_store_cert_get(f->st, f->sub, sn, n, &c), "get");
    assert_int_equal(c->state, HSMCA_SERIAL_RESERVED);
    hsmca_store_cert_free(c);
}

static void test_final_without_precert(void **state)
{
    struct fixture *f = *state;
    uint8_t sn[8];
    size_t n = serial_n(sn, 5);
    hsmca_store_cert *c = NULL;

    expect_err(hsmca_store_final_record(f->st, f->sub, sn, n, final1, sizeof final1, NULL, 0, T0),
               HSMCA_E_STATE, "never reserved");
    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, sn, n, T0), "reserve");
    expect_err(hsmca_store_final_record(f->st, f->sub, sn, n, final1, sizeof final1, NULL, 0, T0),
               HSMCA_E_STATE, "no precertificate");
    assert_non_null(strstr(hsmca_err_message(), "serial 112200000005 of issuer 'sub'"));
    expect_ok(hsmca_store_cert_get(f->st, f->sub, sn, n, &c), "get");
    assert_int_equal(c->state, HSMCA_SERIAL_RESERVED);
    assert_null(c->final_der);
    hsmca_store_cert_free(c);
}

static void test_final_twice(void **state)
{
    struct fixture *f = *state;
    uint8_t sn[8], tls[3] = {0, 1, 2};
    size_t n = serial_n(sn, 6);
    hsmca_store_sct sct = {.timestamp = 5, .tls = tls, .tls_len = sizeof tls};
    hsmca_store_cert *c = NULL;
    sqlite3 *db;

    memset(sct.log_id, 0x77, sizeof sct.log_id);
    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, sn, n, T0), "reserve");
    do_precert(f, sn, n);
    expect_ok(hsmca_store_final_record(f->st, f->sub, sn, n, final1, sizeof final1, &sct, 1,
                                       T0 + 3),
              "final");
    tls[0] = 9;
    expect_err(hsmca_store_final_record(f->st, f->sub, sn, n, final2, sizeof final2, &sct, 1,
                                        T0 + 4),
               HSMCA_E_EXISTS, "at most one final");
    assert_non_null(strstr(hsmca_err_message(), "serial 112200000006 of issuer 'sub'"));
    expect_ok(hsmca_store_cert_get(f->st, f->sub, sn, n, &c), "get");
    assert_int_equal(c->state, HSMCA_SERIAL_FINAL);
    assert_int_equal(c->final_len, sizeof final1);
    assert_memory_equal(c->final_der, final1, sizeof final1);
    assert_int_equal(c->n_scts, 1);
    assert_int_equal(c->scts[0].tls[0], 0);
    hsmca_store_cert_free(c);

    db = raw_open(f);
    assert_int_equal(raw_int(db, "SELECT final_at FROM serials WHERE serial = ?1", sn, n),
                     T0 + 3);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM scts", NULL, 0), 1);
    assert_int_equal(events_of(db, "final", sn, n), 1);
    sqlite3_close(db);
}

/* Another process holds the write lock: a write call of ours waits for it
 * (busy timeout), and a read call meanwhile answers from its own snapshot
 * on the read connection instead of queueing behind the write. */
struct waiting_writer {
    hsmca_store *st;
    int64_t issuer_id;
    hsmca_err err;
};

static void *write_one(void *arg)
{
    struct waiting_writer *w = arg;
    uint8_t sn[8];
    size_t n = serial_n(sn, 0xc00);

    w->err = hsmca_store_serial_reserve(w->st, w->issuer_id, sn, n, T0);
    return NULL;
}

static void test_reads_do_not_queue_behind_writes(void **state)
{
    struct fixture *f = *state;
    struct waiting_writer w = {f->st, f->sub, HSMCA_E_INTERNAL};
    struct timespec settle = {0, 200 * 1000 * 1000};
    uint8_t sn[8];
    size_t n = serial_n(sn, 0xc01);
    hsmca_store_cert *c = NULL;
    pthread_t t;
    sqlite3 *db;

    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, sn, n, T0), "reserve");
    do_precert(f, sn, n);
    db = raw_open(f);
    assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(pthread_create(&t, NULL, write_one, &w), 0);
    /* Let the writer reach SQLite's busy wait (if it has not, the read
     * below proves less; it cannot fail because of it). */
    nanosleep(&settle, NULL);
    expect_ok(hsmca_store_cert_get(f->st, f->sub, sn, n, &c), "read while a write waits");
    assert_int_equal(c->state, HSMCA_SERIAL_PRECERT);
    hsmca_store_cert_free(c);
    /* Only now is the writer let through. Had the read queued behind it,
     * the writer would have given up (busy timeout) first, and failed. */
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(pthread_join(t, NULL), 0);
    expect_ok(w.err, "the waiting write");
    sqlite3_close(db);
}

static void test_scts_round_trip(void **state)
{
    struct fixture *f = *state;
    enum { N = 5 };
    uint8_t sn[8], tls[N][40];
    size_t n = serial_n(sn, 7);
    hsmca_store_sct scts[N];
    hsmca_store_cert *c = NULL;

    for (int i = 0; i < N; i++) {
        /* Log ids and timestamps deliberately not in sorted order. */
        memset(scts[i].log_id, 0xf0 - 16 * i, sizeof scts[i].log_id);
        scts[i].log_id[31] = (uint8_t)i;
        scts[i].timestamp = 1795867200000ULL + (uint64_t)((i * 7919) % 11);
        memset(tls[i], 'a' + i, sizeof tls[i]);
        scts[i].tls = tls[i];
        scts[i].tls_len = 10 + (size_t)i * 7;
    }
    scts[3].timestamp = UINT64_MAX; /* the bits survive the signed column */
    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, sn, n, T0), "reserve");
    do_precert(f, sn, n);
    expect_ok(hsmca_store_final_record(f->st, f->sub, sn, n, final1, sizeof final1, scts, N, T0),
              "final");
    expect_ok(reopen(f), "reopen");
    expect_ok(hsmca_store_cert_get(f->st, f->sub, sn, n, &c), "get");
    assert_int_equal(c->n_scts, N);
    for (int i = 0; i < N; i++) {
        assert_memory_equal(c->scts[i].log_id, scts[i].log_id, 32);
        assert_true(c->scts[i].timestamp == scts[i].timestamp);
        assert_int_equal(c->scts[i].tls_len, scts[i].tls_len);
        assert_memory_equal(c->scts[i].tls, scts[i].tls, scts[i].tls_len);
    }
    hsmca_store_cert_free(c);
}

static void test_sct_bad_input(void **state)
{
    struct fixture *f = *state;
    uint8_t sn[8];
    size_t n = serial_n(sn, 8);
    hsmca_store_sct sct = {0};
    hsmca_store_cert *c = NULL;

    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, sn, n, T0), "reserve");
    do_precert(f, sn, n);
    expect_err(hsmca_store_final_record(f->st, f->sub, sn, n, final1, sizeof final1, &sct, 1, T0),
               HSMCA_E_INPUT, "SCT 1");
    expect_err(hsmca_store_final_record(f->st, f->sub, sn, n, final1, sizeof final1, NULL, 2, T0),
               HSMCA_E_USAGE, NULL);
    expect_err(hsmca_store_final_record(f->st, f->sub, sn, n, NULL, 0, NULL, 0, T0),
               HSMCA_E_INPUT, "no final certificate");
    expect_ok(hsmca_store_cert_get(f->st, f->sub, sn, n, &c), "get");
    assert_int_equal(c->state, HSMCA_SERIAL_PRECERT);
    hsmca_store_cert_free(c);
}

static void test_cert_get_states(void **state)
{
    struct fixture *f = *state;
    uint8_t a[8], b[8], d[8], u[8];
    size_t n = serial_n(a, 10);
    hsmca_store_cert *c = NULL;
    sqlite3 *db;

    serial_n(b, 11);
    serial_n(d, 12);
    serial_n(u, 13);
    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, a, n, T0 + 100), "reserve a");
    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, b, n, T0), "reserve b");
    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, d, n, T0), "reserve d");
    do_precert(f, b, n);
    do_precert(f, d, n);
    do_final(f, d, n);

    expect_ok(hsmca_store_cert_get(f->st, f->sub, a, n, &c), "get a");
    assert_int_equal(c->issuer_id, f->sub);
    assert_int_equal(c->serial_len, n);
    assert_memory_equal(c->serial, a, n);
    assert_int_equal(c->state, HSMCA_SERIAL_RESERVED);
    assert_int_equal(c->reserved_at, T0 + 100);
    assert_null(c->precert_der);
    assert_null(c->final_der);
    assert_int_equal(c->not_before, 0);
    assert_int_equal(c->not_after, 0);
    assert_int_equal(c->n_scts, 0);
    assert_int_equal(c->revoked, 0);
    assert_int_equal(c->reason, -1);
    hsmca_store_cert_free(c);

    expect_ok(hsmca_store_cert_get(f->st, f->sub, b, n, &c), "get b");
    assert_int_equal(c->state, HSMCA_SERIAL_PRECERT);
    assert_memory_equal(c->precert_der, precert, sizeof precert);
    assert_int_equal(c->not_before, T0);
    assert_int_equal(c->not_after, T0 + 90 * DAY);
    assert_null(c->final_der);
    hsmca_store_cert_free(c);

    expect_ok(hsmca_store_cert_get(f->st, f->sub, d, n, &c), "get d");
    assert_int_equal(c->state, HSMCA_SERIAL_FINAL);
    assert_memory_equal(c->precert_der, precert, sizeof precert);
    assert_memory_equal(c->final_der, final1, sizeof final1);
    assert_int_equal(c->n_scts, 0);
    hsmca_store_cert_free(c);

    c = NULL;
    expect_err(hsmca_store_cert_get(f->st, f->sub, u, n, &c), HSMCA_E_NOT_FOUND,
               "issuer 'sub' never reserved serial 11220000000d");
    assert_null(c);

    /* Issue #5 writes revocations; cert_get already reads them. */
    db = raw_open(f);
    {
        sqlite3_stmt *s = NULL;
        assert_int_equal(sqlite3_prepare_v2(db,
                                            "INSERT INTO revocations (issuer_id, serial, "
                                            "revoked_at, reason, recorded_at) VALUES (?1, ?2, "
                                            "?3, 1, ?3)",
                                            -1, &s, NULL),
                         SQLITE_OK);
        sqlite3_bind_int64(s, 1, f->sub);
        sqlite3_bind_blob(s, 2, b, (int)n, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, T0 + 50);
        assert_int_equal(sqlite3_step(s), SQLITE_DONE);
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    expect_ok(hsmca_store_cert_get(f->st, f->sub, b, n, &c), "get revoked b");
    assert_int_equal(c->revoked, 1);
    assert_int_equal(c->revoked_at, T0 + 50);
    assert_int_equal(c->reason, 1);
    hsmca_store_cert_free(c);
}

static void test_counts(void **state)
{
    struct fixture *f = *state;
    uint8_t sn[8];
    size_t n = 0, len;
    int64_t other = add_issuer(f->st, "other", 0xb5);

    for (uint32_t i = 0; i < 7; i++) {
        len = serial_n(sn, 100 + i);
        expect_ok(hsmca_store_serial_reserve(f->st, f->sub, sn, len, T0), "reserve");
        if (i < 4)
            do_precert(f, sn, len);
        if (i < 1)
            do_final(f, sn, len);
    }
    expect_ok(hsmca_store_serial_reserve(f->st, other, sn, len, T0), "other");
    expect_ok(hsmca_store_count(f->st, f->sub, HSMCA_SERIAL_RESERVED, &n), "count");
    assert_int_equal(n, 3);
    expect_ok(hsmca_store_count(f->st, f->sub, HSMCA_SERIAL_PRECERT, &n), "count");
    assert_int_equal(n, 3);
    expect_ok(hsmca_store_count(f->st, f->sub, HSMCA_SERIAL_FINAL, &n), "count");
    assert_int_equal(n, 1);
    expect_ok(hsmca_store_count(f->st, other, HSMCA_SERIAL_RESERVED, &n), "count");
    assert_int_equal(n, 1);
    expect_err(hsmca_store_count(f->st, f->sub, (hsmca_serial_state)9, &n), HSMCA_E_USAGE, NULL);
    assert_string_equal(hsmca_store_serial_state_name(HSMCA_SERIAL_PRECERT), "precert");
    assert_string_equal(hsmca_store_serial_state_name((hsmca_serial_state)0), "unknown");
}

/* ---- the event log and the transaction boundary ---- */

static void test_events(void **state)
{
    struct fixture *f = *state;
    uint8_t sn[8];
    size_t n = serial_n(sn, 20);
    char text[128];
    sqlite3 *db;

    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, sn, n, T0), "reserve");
    do_precert(f, sn, n);
    do_final(f, sn, n);
    expect_ok(hsmca_store_event(f->st, f->sub, sn, n, "refused", "lint: x", T0 + 9), "event");
    expect_ok(hsmca_store_event(f->st, 0, NULL, 0, "startup", NULL, T0 + 10), "event");
    expect_err(hsmca_store_event(f->st, 0, NULL, 0, "Bad Kind", NULL, T0), HSMCA_E_USAGE, NULL);
    expect_err(hsmca_store_event(f->st, 0, NULL, 0, "", NULL, T0), HSMCA_E_USAGE, NULL);
    expect_err(hsmca_store_event(f->st, 55, NULL, 0, "x", NULL, T0), HSMCA_E_NOT_FOUND, NULL);
    /* Failed calls write no event. */
    expect_err(hsmca_store_serial_reserve(f->st, f->sub, sn, n, T0), HSMCA_E_EXISTS, NULL);

    db = raw_open(f);
    assert_int_equal(events_of(db, "reserve", sn, n), 1);
    assert_int_equal(events_of(db, "precert", sn, n), 1);
    assert_int_equal(events_of(db, "final", sn, n), 1);
    assert_int_equal(events_of(db, "refused", sn, n), 1);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM events", NULL, 0), 6);
    raw_text(db, "SELECT group_concat(kind, ',') FROM (SELECT kind FROM events ORDER BY id)", text,
             sizeof text);
    assert_string_equal(text, "issuer-add,reserve,precert,final,refused,startup");
    raw_text(db, "SELECT detail FROM events WHERE kind = 'precert'", text, sizeof text);
    assert_string_equal(text, "not_before=2026-11-28T12:00:00Z not_after=2027-02-26T12:00:00Z");
    assert_int_equal(raw_int(db, "SELECT issuer_id IS NULL FROM events WHERE kind = 'startup'",
                             NULL, 0),
                     1);
    sqlite3_close(db);
}

/* The state change and its event are one transaction: when the event
 * cannot be written, the change is not made either. */
static void test_event_same_transaction(void **state)
{
    struct fixture *f = *state;
    uint8_t sn[8];
    size_t n = serial_n(sn, 21);
    hsmca_store_cert *c = NULL;
    sqlite3 *db = raw_open(f);

    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TRIGGER test_block BEFORE INSERT ON events "
                                  "WHEN NEW.kind IN ('reserve', 'precert', 'final') "
                                  "BEGIN SELECT RAISE(ABORT, 'test: events blocked'); END",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    expect_err(hsmca_store_serial_reserve(f->st, f->sub, sn, n, T0), HSMCA_E_STATE,
               "cannot reserve serial 112200000015 for issuer 'sub'");
    assert_non_null(strstr(hsmca_err_detail(), "SQLITE_CONSTRAINT_TRIGGER"));
    assert_non_null(strstr(hsmca_err_detail(), "test: events blocked"));
    assert_int_equal(raw_int(db, "SELECT count(*) FROM serials", NULL, 0), 0);

    assert_int_equal(sqlite3_exec(db, "DROP TRIGGER test_block", NULL, NULL, NULL), SQLITE_OK);
    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, sn, n, T0), "reserve");
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TRIGGER test_block BEFORE INSERT ON events "
                                  "WHEN NEW.kind = 'precert' "
                                  "BEGIN SELECT RAISE(ABORT, 'test: events blocked'); END",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    expect_err(hsmca_store_precert_record(f->st, f->sub, sn, n, precert, sizeof precert, T0, T0,
                                          T0),
               HSMCA_E_STATE, "cannot record the precertificate for serial 112200000015");
    expect_ok(hsmca_store_cert_get(f->st, f->sub, sn, n, &c), "get");
    assert_int_equal(c->state, HSMCA_SERIAL_RESERVED);
    hsmca_store_cert_free(c);
    sqlite3_close(db);
}

/* The schema enforces the life cycle by itself, whoever writes. */
static void test_schema_rules(void **state)
{
    struct fixture *f = *state;
    uint8_t sn[8];
    size_t n = serial_n(sn, 0x30);
    sqlite3 *db;

    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, sn, n, T0), "reserve");
    do_precert(f, sn, n);
    do_final(f, sn, n);
    db = raw_open(f);
    assert_int_equal(sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL), SQLITE_OK);
    /* A second final, or any rewrite of a recorded one. */
    raw_refused(db, "UPDATE serials SET final_der = x'3000'");
    raw_refused(db, "UPDATE serials SET state = 'precert', final_der = NULL, final_at = NULL");
    raw_refused(db, "UPDATE serials SET precert_der = x'3000'");
    /* Serials are born reserved, move forward only, and stay. */
    raw_refused(db, "INSERT INTO serials (issuer_id, serial, state, reserved_at, precert_der, "
                    "not_before, not_after, precert_at) VALUES (1, x'01', 'precert', 0, x'30', "
                    "0, 0, 0)");
    raw_refused(db, "DELETE FROM serials");
    raw_refused(db, "INSERT INTO serials (issuer_id, serial, state, reserved_at) "
                    "VALUES (1, x'0102030405060708090a0b0c0d0e0f101112131415', 'reserved', 0)");
    raw_refused(db, "INSERT INTO serials (issuer_id, serial, state, reserved_at) "
                    "VALUES (99, x'02', 'reserved', 0)");
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO serials (issuer_id, serial, state, reserved_at) "
                                  "VALUES (1, x'03', 'reserved', 0)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    raw_refused(db, "UPDATE serials SET state = 'final', precert_der = x'30', not_before = 0, "
                    "not_after = 0, precert_at = 0, final_der = x'30', final_at = 0 "
                    "WHERE serial = x'03'");
    raw_refused(db, "UPDATE serials SET state = 'precert' WHERE serial = x'03'");
    /* SCTs only with a final; the log is append-only. */
    raw_refused(db, "INSERT INTO scts VALUES (1, x'03', 0, zeroblob(32), 0, x'00')");
    raw_refused(db, "UPDATE events SET kind = 'x'");
    raw_refused(db, "DELETE FROM events");
    /* Issue #5's tables: reasons per RFC 5280, CRL numbers only go up. */
    raw_refused(db, "INSERT INTO revocations VALUES (1, x'03', 0, 7, 0)");
    raw_refused(db, "INSERT INTO revocations VALUES (1, x'04', 0, 1, 0)");
    assert_int_equal(sqlite3_exec(db, "INSERT INTO crl_numbers VALUES (1, '', 5, 0)", NULL, NULL,
                                  NULL),
                     SQLITE_OK);
    raw_refused(db, "UPDATE crl_numbers SET last_number = 5");
    raw_refused(db, "UPDATE crl_numbers SET last_number = 4");
    assert_int_equal(sqlite3_exec(db, "UPDATE crl_numbers SET last_number = 6", NULL, NULL, NULL),
                     SQLITE_OK);
    /* STRICT tables: a text serial is a type error, not a conversion. */
    assert_int_not_equal(sqlite3_exec(db,
                                      "INSERT INTO serials (issuer_id, serial, state, "
                                      "reserved_at) VALUES (1, 'abc', 'reserved', 0)",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
    sqlite3_close(db);
}

/* ---- volume and concurrency ---- */

static void test_many_random_serials(void **state)
{
    struct fixture *f = *state;
    enum { N = 10000 };
    uint8_t sn[16];
    size_t count = 0;
    sqlite3 *db;

    for (int i = 0; i < N; i++) {
        assert_int_equal(getrandom(sn, sizeof sn, 0), (ssize_t)sizeof sn);
        sn[0] &= 0x7f; /* positive */
        if (sn[0] == 0)
            sn[0] = 1; /* minimal */
        expect_ok(hsmca_store_serial_reserve(f->st, f->sub, sn, sizeof sn, T0 + i), "reserve");
    }
    expect_ok(hsmca_store_count(f->st, f->sub, HSMCA_SERIAL_RESERVED, &count), "count");
    assert_int_equal(count, N);
    db = raw_open(f);
    assert_int_equal(raw_int(db, "SELECT count(DISTINCT serial) FROM serials", NULL, 0), N);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM events WHERE kind = 'reserve'", NULL, 0),
                     N);
    sqlite3_close(db);
}

struct worker {
    hsmca_store *st;
    int64_t issuer;
    uint8_t tag;        /* first serial octet; equal tags contend */
    int n;
    int ok, exists, other;
    char first_error[256];
};

static void *reserve_worker(void *arg)
{
    struct worker *w = arg;
    uint8_t sn[8];

    for (int i = 0; i < w->n; i++) {
        size_t len = serial_n(sn, (uint32_t)i);
        hsmca_err err;
        sn[0] = w->tag;
        err = hsmca_store_serial_reserve(w->st, w->issuer, sn, len, T0);
        if (err == HSMCA_OK) {
            w->ok++;
        } else if (err == HSMCA_E_EXISTS) {
            w->exists++;
        } else {
            if (w->other++ == 0)
                snprintf(w->first_error, sizeof w->first_error, "%s (%s)", hsmca_err_message(),
                         hsmca_err_detail());
        }
    }
    return NULL;
}

static void run_workers(struct worker *w, int nw)
{
    pthread_t t[8];

    for (int i = 0; i < nw; i++)
        assert_int_equal(pthread_create(&t[i], NULL, reserve_worker, &w[i]), 0);
    for (int i = 0; i < nw; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    for (int i = 0; i < nw; i++) {
        if (w[i].other != 0)
            fail_msg("worker %d: %d unexpected errors, first: %s", i, w[i].other,
                     w[i].first_error);
    }
}

static void test_threads_distinct(void **state)
{
    struct fixture *f = *state;
    struct worker w[4];
    size_t count = 0;
    sqlite3 *db;

    for (int i = 0; i < 4; i++)
        w[i] = (struct worker){.st = f->st, .issuer = f->sub, .tag = (uint8_t)(0x10 + i),
                               .n = 250};
    run_workers(w, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(w[i].ok, 250);
        assert_int_equal(w[i].exists, 0);
    }
    expect_ok(hsmca_store_count(f->st, f->sub, HSMCA_SERIAL_RESERVED, &count), "count");
    assert_int_equal(count, 1000);
    db = raw_open(f);
    assert_int_equal(raw_int(db, "SELECT count(DISTINCT serial) FROM serials", NULL, 0), 1000);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM events WHERE kind = 'reserve'", NULL, 0),
                     1000);
    sqlite3_close(db);
}

/* Four threads race for the same serials: each is won exactly once. */
static void test_threads_contend(void **state)
{
    struct fixture *f = *state;
    struct worker w[4];
    int ok = 0, exists = 0;

    for (int i = 0; i < 4; i++)
        w[i] = (struct worker){.st = f->st, .issuer = f->sub, .tag = 0x42, .n = 200};
    run_workers(w, 4);
    for (int i = 0; i < 4; i++) {
        ok += w[i].ok;
        exists += w[i].exists;
    }
    assert_int_equal(ok, 200);
    assert_int_equal(exists, 600);
}

/* Another process holds the write lock; our call waits (busy timeout)
 * and then succeeds, after the other's commit. */
static void test_waits_for_other_process(void **state)
{
    struct fixture *f = *state;
    uint8_t sn[8];
    size_t n = serial_n(sn, 0x40);
    int p[2];
    char c = 0;
    pid_t pid;
    sqlite3 *db;

    hsmca_store_close(f->st);
    f->st = NULL;
    assert_int_equal(pipe(p), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sqlite3 *cdb = NULL;
        close(p[0]);
        if (sqlite3_open_v2(f->db, &cdb, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
            _exit(10);
        if (sqlite3_exec(cdb,
                         "BEGIN IMMEDIATE; INSERT INTO events (time, kind) "
                         "VALUES (0, 'test-holder')",
                         NULL, NULL, NULL) != SQLITE_OK)
            _exit(11);
        if (write(p[1], "x", 1) != 1)
            _exit(12);
        usleep(1500 * 1000); /* hold the lock */
        if (sqlite3_exec(cdb, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            _exit(13);
        sqlite3_close(cdb);
        _exit(0);
    }
    close(p[1]);
    assert_int_equal(read(p[0], &c, 1), 1); /* the child holds the lock */
    close(p[0]);
    expect_ok(hsmca_store_open(f->state, &f->st), "open while another process writes");
    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, sn, n, T0), "reserve after waiting");
    wait_child(pid, 0);
    /* Our write came after the other's commit. */
    db = raw_open(f);
    assert_true(raw_int(db, "SELECT id FROM events WHERE kind = 'test-holder'", NULL, 0) <
                raw_int(db, "SELECT id FROM events WHERE kind = 'reserve'", NULL, 0));
    sqlite3_close(db);
}

/* Several processes open a new state directory at once: one creates the
 * directory and the schema, the others wait and use it. */
static void test_concurrent_first_open(void **state)
{
    struct fixture *f = *state;
    enum { N = 6 };
    char dir[512], mode[16];
    pid_t pid[N];
    int gate[2];
    hsmca_store *st = NULL;
    sqlite3 *db = NULL;
    char path[600];

    snprintf(dir, sizeof dir, "%s/race", f->tmp);
    hsmca_store_close(f->st);
    f->st = NULL;
    assert_int_equal(pipe(gate), 0);
    for (int i = 0; i < N; i++) {
        pid[i] = fork();
        assert_true(pid[i] >= 0);
        if (pid[i] == 0) {
            char c;
            close(gate[1]);
            if (read(gate[0], &c, 1) != 0) /* released when the parent closes it */
                _exit(9);
            if (hsmca_store_open(dir, &st) != HSMCA_OK) {
                fprintf(stderr, "child %d: %s (%s)\n", i, hsmca_err_message(),
                        hsmca_err_detail());
                _exit(10);
            }
            _exit(hsmca_store_schema_version(st) == SCHEMA_LATEST ? 0 : 11);
        }
    }
    close(gate[0]);
    close(gate[1]);
    for (int i = 0; i < N; i++)
        wait_child(pid[i], 0);
    snprintf(path, sizeof path, "%s/%s", dir, HSMCA_STORE_DB_NAME);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(raw_int(db, "PRAGMA user_version", NULL, 0), SCHEMA_LATEST);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'serials'",
                             NULL, 0),
                     1);
    raw_text(db, "PRAGMA journal_mode", mode, sizeof mode);
    assert_string_equal(mode, "wal");
    sqlite3_close(db);
}

/* When the other process holds the lock past the busy timeout (10 s), the
 * call fails with a message naming what it was doing and SQLite's code,
 * and changes nothing. */
static void test_busy_timeout_message(void **state)
{
    struct fixture *f = *state;
    uint8_t sn[8];
    size_t n = serial_n(sn, 0x41);
    int up[2], down[2];
    char c = 0;
    pid_t pid;
    sqlite3 *db;

    hsmca_store_close(f->st);
    f->st = NULL;
    assert_int_equal(pipe(up), 0);
    assert_int_equal(pipe(down), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sqlite3 *cdb = NULL;
        close(up[0]);
        close(down[1]);
        if (sqlite3_open_v2(f->db, &cdb, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
            sqlite3_exec(cdb, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            _exit(10);
        if (write(up[1], "x", 1) != 1 || read(down[0], &c, 1) != 1) /* until told */
            _exit(11);
        sqlite3_exec(cdb, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close(cdb);
        _exit(0);
    }
    close(up[1]);
    close(down[0]);
    assert_int_equal(read(up[0], &c, 1), 1);
    expect_ok(hsmca_store_open(f->state, &f->st), "open");
    expect_err(hsmca_store_serial_reserve(f->st, f->sub, sn, n, T0), HSMCA_E_IO,
               "cannot reserve serial 112200000041 for issuer 'sub'");
    assert_non_null(strstr(hsmca_err_detail(), "SQLITE_BUSY"));
    assert_non_null(strstr(hsmca_err_detail(), "database is locked"));
    assert_int_equal(write(down[1], "x", 1), 1);
    close(up[0]);
    close(down[1]);
    wait_child(pid, 0);
    db = raw_open(f);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM serials", NULL, 0), 0);
    sqlite3_close(db);
    /* The lock is gone: the same call now works. */
    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, sn, n, T0), "reserve");
}

/* A process dies after the reservation committed (before the token signs
 * and the precertificate is recorded): the serial stays RESERVED, is never
 * handed out again, and the precertificate can still be recorded. */
static void test_crash_after_reserve(void **state)
{
    struct fixture *f = *state;
    uint8_t sn[8];
    size_t n = serial_n(sn, 0x50);
    hsmca_store_cert *c = NULL;
    pid_t pid;

    hsmca_store_close(f->st);
    f->st = NULL;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        hsmca_store *st = NULL;
        if (hsmca_store_open(f->state, &st) != HSMCA_OK)
            _exit(10);
        if (hsmca_store_serial_reserve(st, f->sub, sn, n, T0) != HSMCA_OK)
            _exit(11);
        _exit(1); /* no close, no precert */
    }
    wait_child(pid, 1);
    expect_ok(hsmca_store_open(f->state, &f->st), "reopen");
    expect_ok(hsmca_store_cert_get(f->st, f->sub, sn, n, &c), "get");
    assert_int_equal(c->state, HSMCA_SERIAL_RESERVED);
    hsmca_store_cert_free(c);
    expect_err(hsmca_store_serial_reserve(f->st, f->sub, sn, n, T0), HSMCA_E_EXISTS,
               "already used (state reserved)");

    /* Same, killed outright after the precertificate was recorded. */
    serial_n(sn, 0x51);
    hsmca_store_close(f->st);
    f->st = NULL;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        hsmca_store *st = NULL;
        if (hsmca_store_open(f->state, &st) != HSMCA_OK ||
            hsmca_store_serial_reserve(st, f->sub, sn, n, T0) != HSMCA_OK ||
            hsmca_store_precert_record(st, f->sub, sn, n, precert, sizeof precert, T0, T0, T0) !=
                HSMCA_OK)
            _exit(10);
        kill(getpid(), SIGKILL);
        _exit(11);
    }
    wait_child(pid, -SIGKILL);
    expect_ok(hsmca_store_open(f->state, &f->st), "reopen");
    expect_ok(hsmca_store_cert_get(f->st, f->sub, sn, n, &c), "get");
    assert_int_equal(c->state, HSMCA_SERIAL_PRECERT);
    hsmca_store_cert_free(c);
    do_final(f, sn, n); /* finishable later */
}

/* A process dies inside its write transaction: nothing of it remains and
 * the lock is gone. */
static void test_crash_mid_transaction(void **state)
{
    struct fixture *f = *state;
    uint8_t sn[8];
    size_t n = serial_n(sn, 0x60);
    hsmca_store_cert *c = NULL;
    pid_t pid;

    hsmca_store_close(f->st);
    f->st = NULL;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sqlite3 *cdb = NULL;
        sqlite3_stmt *s = NULL;
        if (sqlite3_open_v2(f->db, &cdb, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
            sqlite3_exec(cdb, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(cdb,
                               "INSERT INTO serials (issuer_id, serial, state, reserved_at) "
                               "VALUES (?1, ?2, 'reserved', 0)",
                               -1, &s, NULL) != SQLITE_OK)
            _exit(10);
        sqlite3_bind_int64(s, 1, f->sub);
        sqlite3_bind_blob(s, 2, sn, (int)n, SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_DONE)
            _exit(11);
        /* Make sure the uncommitted page reaches the WAL file. */
        sqlite3_db_cacheflush(cdb);
        kill(getpid(), SIGKILL);
        _exit(12);
    }
    wait_child(pid, -SIGKILL);
    expect_ok(hsmca_store_open(f->state, &f->st), "reopen");
    expect_err(hsmca_store_cert_get(f->st, f->sub, sn, n, &c), HSMCA_E_NOT_FOUND, NULL);
    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, sn, n, T0), "reserve");
}

/* ---- batches: one transaction for many rows ---- */

static hsmca_store_serial sv_n(uint32_t n)
{
    hsmca_store_serial sv;

    memset(&sv, 0, sizeof sv);
    sv.len = serial_n(sv.b, n);
    return sv;
}

static long long serial_rows(struct fixture *f, sqlite3 *db, const char *state)
{
    char sql[160];

    snprintf(sql, sizeof sql, "SELECT count(*) FROM serials WHERE issuer_id = %lld AND "
             "state = '%s'", (long long)f->sub, state);
    return raw_int(db, sql, NULL, 0);
}

/* Schema v3: a final is claimed (its TBS hash committed) before the token
 * signs it; after that only the claimed final is signed and recorded. */
static void test_final_claims(void **state)
{
    struct fixture *f = *state;
    hsmca_store_final_claim c[3];
    uint8_t tls[1] = {0}, h1[32], h2[32];
    hsmca_store_sct sct = {.timestamp = 5, .tls = tls, .tls_len = sizeof tls};
    hsmca_store_final fin;
    size_t bad = 99;
    sqlite3 *db;

    memset(h1, 0x11, sizeof h1);
    memset(h2, 0x22, sizeof h2);
    memset(sct.log_id, 0x77, sizeof sct.log_id);
    for (uint32_t i = 0; i < 3; i++) {
        c[i].serial = sv_n(800 + i);
        memcpy(c[i].tbs_sha256, h1, 32);
    }
    expect_ok(hsmca_store_serials_reserve(f->st, f->sub, &c[0].serial, 1, T0, NULL), "reserve");
    expect_ok(hsmca_store_serials_reserve(f->st, f->sub, &c[1].serial, 1, T0, NULL), "reserve");
    do_precert(f, c[0].serial.b, c[0].serial.len);
    db = raw_open(f);

    /* Not reserved / reserved only: refused, nothing claimed. */
    expect_err(hsmca_store_finals_claim(f->st, f->sub, &c[2], 1, T0 + 2, &bad), HSMCA_E_STATE,
               "never reserved");
    assert_int_equal(bad, 0);
    expect_err(hsmca_store_finals_claim(f->st, f->sub, c, 2, T0 + 2, &bad), HSMCA_E_STATE,
               "no precertificate (state reserved)");
    assert_int_equal(bad, 1);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM final_claims", NULL, 0), 0);

    /* Claimed; the same claim again (a retry after a crash) is fine. */
    expect_ok(hsmca_store_finals_claim(f->st, f->sub, c, 1, T0 + 2, &bad), "claim");
    assert_int_equal(bad, 1);
    expect_ok(hsmca_store_finals_claim(f->st, f->sub, c, 1, T0 + 3, NULL), "claim again");
    assert_int_equal(raw_int(db, "SELECT count(*) FROM final_claims", NULL, 0), 1);
    assert_int_equal(raw_int(db, "SELECT claimed_at FROM final_claims", NULL, 0), T0 + 2);
    /* Another TBS: refused, naming what to do. */
    memcpy(c[0].tbs_sha256, h2, 32);
    expect_err(hsmca_store_finals_claim(f->st, f->sub, c, 1, T0 + 4, NULL), HSMCA_E_EXISTS,
               "finish it with the same SCTs in the same order");
    /* Recording: without the hash, or with another, refused; the store
     * trigger refuses it too when the check is bypassed. */
    fin = (hsmca_store_final){c[0].serial, final1, sizeof final1, &sct, 1, NULL};
    expect_err(hsmca_store_finals_record(f->st, f->sub, &fin, 1, T0 + 5, NULL), HSMCA_E_EXISTS,
               "differs from the final claimed");
    fin.tbs_sha256 = h2;
    expect_err(hsmca_store_finals_record(f->st, f->sub, &fin, 1, T0 + 5, NULL), HSMCA_E_EXISTS,
               "differs from the final claimed");
    assert_int_not_equal(sqlite3_exec(db, "UPDATE serials SET state = 'final', final_der = x'00'"
                                          " WHERE serial IN (SELECT serial FROM final_claims)",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
    assert_non_null(strstr(sqlite3_errmsg(db), "differs from the one claimed"));
    assert_int_equal(serial_rows(f, db, "final"), 0);
    /* The claimed one: recorded; then a claim is refused (it has a final),
     * and claims never change. */
    fin.tbs_sha256 = h1;
    expect_ok(hsmca_store_finals_record(f->st, f->sub, &fin, 1, T0 + 6, NULL), "final");
    memcpy(c[0].tbs_sha256, h1, 32);
    expect_err(hsmca_store_finals_claim(f->st, f->sub, c, 1, T0 + 7, NULL), HSMCA_E_EXISTS,
               "already has one");
    assert_int_not_equal(sqlite3_exec(db, "UPDATE final_claims SET claimed_at = 0", NULL, NULL,
                                      NULL),
                         SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(db, "DELETE FROM final_claims", NULL, NULL, NULL),
                         SQLITE_OK);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM final_claims", NULL, 0), 1);
    sqlite3_close(db);
}

/* Reserve many serials at once: all of them, one event each; a batch with
 * one used, repeated or malformed serial reserves none of them and names
 * the row. */
static void test_batch_reserve(void **state)
{
    struct fixture *f = *state;
    hsmca_store_serial v[5];
    sqlite3 *db;
    size_t bad = 99;

    for (uint32_t i = 0; i < 5; i++)
        v[i] = sv_n(100 + i);
    expect_ok(hsmca_store_serials_reserve(f->st, f->sub, v, 5, T0, &bad), "batch reserve");
    assert_int_equal(bad, 5);
    db = raw_open(f);
    assert_int_equal(serial_rows(f, db, "reserved"), 5);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(events_of(db, "reserve", v[i].b, v[i].len), 1);

    /* Row 2 was used by the batch above: nothing of this batch is kept. */
    v[0] = sv_n(200);
    v[1] = sv_n(201);
    v[2] = sv_n(102);
    v[3] = sv_n(203);
    expect_err(hsmca_store_serials_reserve(f->st, f->sub, v, 4, T0, &bad), HSMCA_E_EXISTS,
               "never reused");
    assert_int_equal(bad, 2);
    assert_int_equal(serial_rows(f, db, "reserved"), 5);
    assert_int_equal(events_of(db, "reserve", v[0].b, v[0].len), 0);

    /* The same serial twice in one batch: the second row is refused. */
    v[2] = sv_n(200);
    expect_err(hsmca_store_serials_reserve(f->st, f->sub, v, 3, T0, &bad), HSMCA_E_EXISTS,
               NULL);
    assert_int_equal(bad, 2);
    assert_int_equal(serial_rows(f, db, "reserved"), 5);

    /* A malformed serial is refused before the transaction. */
    v[1].b[0] = 0x80;
    expect_err(hsmca_store_serials_reserve(f->st, f->sub, v, 2, T0, &bad), HSMCA_E_INPUT,
               "negative");
    assert_int_equal(bad, 1);
    v[1].len = 0;
    expect_err(hsmca_store_serials_reserve(f->st, f->sub, v, 2, T0, NULL), HSMCA_E_INPUT, NULL);

    /* An unknown issuer is the whole batch's failure: out_index is n. */
    v[1] = sv_n(201);
    expect_err(hsmca_store_serials_reserve(f->st, 9999, v, 2, T0, &bad), HSMCA_E_NOT_FOUND,
               NULL);
    assert_int_equal(bad, 2);
    expect_ok(hsmca_store_serials_reserve(f->st, f->sub, v, 0, T0, &bad), "empty batch");
    assert_int_equal(serial_rows(f, db, "reserved"), 5);
    sqlite3_close(db);
}

/* Record many precertificates, then many finals, each in one transaction;
 * a batch with one row in the wrong state records none of its rows. */
static void test_batch_records(void **state)
{
    struct fixture *f = *state;
    hsmca_store_serial v[4];
    hsmca_store_precert pre[4];
    hsmca_store_final fin[4];
    uint8_t sct_tls[] = {0x00, 0x01, 0x02};
    hsmca_store_sct sct = {{0}, 1234, sct_tls, sizeof sct_tls};
    sqlite3 *db;
    size_t bad = 99;

    for (uint32_t i = 0; i < 4; i++) {
        v[i] = sv_n(300 + i);
        pre[i] = (hsmca_store_precert){v[i], precert, sizeof precert, T0, T0 + 90 * DAY};
        fin[i] = (hsmca_store_final){v[i], final1, sizeof final1, &sct, 1, NULL};
    }
    expect_ok(hsmca_store_serials_reserve(f->st, f->sub, v, 3, T0, NULL), "reserve 3");
    db = raw_open(f);

    /* Row 3 was never reserved: no precertificate of the batch is kept. */
    expect_err(hsmca_store_precerts_record(f->st, f->sub, pre, 4, T0 + 1, &bad), HSMCA_E_STATE,
               "never reserved");
    assert_int_equal(bad, 3);
    assert_int_equal(serial_rows(f, db, "reserved"), 3);
    assert_int_equal(events_of(db, "precert", v[0].b, v[0].len), 0);
    expect_ok(hsmca_store_precerts_record(f->st, f->sub, pre, 3, T0 + 1, &bad), "precerts");
    assert_int_equal(bad, 3);
    assert_int_equal(serial_rows(f, db, "precert"), 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(events_of(db, "precert", v[i].b, v[i].len), 1);
    /* Recording one again is refused, within a batch too. */
    expect_err(hsmca_store_precerts_record(f->st, f->sub, &pre[1], 1, T0 + 1, &bad),
               HSMCA_E_STATE, "already has one");
    assert_int_equal(bad, 0);
    /* A malformed row is refused before anything. */
    pre[0].der_len = 0;
    expect_err(hsmca_store_precerts_record(f->st, f->sub, pre, 3, T0 + 1, &bad), HSMCA_E_INPUT,
               NULL);
    assert_int_equal(bad, 0);

    /* Finals: the same serial twice in a batch is refused by the second
     * row, and nothing of that batch is kept. */
    fin[2] = fin[0];
    expect_err(hsmca_store_finals_record(f->st, f->sub, fin, 3, T0 + 2, &bad), HSMCA_E_EXISTS,
               "at most one");
    assert_int_equal(bad, 2);
    assert_int_equal(serial_rows(f, db, "final"), 0);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM scts", NULL, 0), 0);
    fin[2] = (hsmca_store_final){v[2], final2, sizeof final2, &sct, 1, NULL};
    expect_ok(hsmca_store_finals_record(f->st, f->sub, fin, 3, T0 + 2, &bad), "finals");
    assert_int_equal(bad, 3);
    assert_int_equal(serial_rows(f, db, "final"), 3);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM scts", NULL, 0), 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(events_of(db, "final", v[i].b, v[i].len), 1);
    /* A second final, later: refused, the first stays. */
    fin[0].der = final2;
    expect_err(hsmca_store_finals_record(f->st, f->sub, fin, 1, T0 + 3, &bad), HSMCA_E_EXISTS,
               NULL);
    assert_int_equal(bad, 0);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM serials WHERE final_der = ?1", final1,
                             sizeof final1), 2);
    /* A serial without a precertificate. */
    fin[3] = (hsmca_store_final){v[3], final1, sizeof final1, &sct, 1, NULL};
    expect_err(hsmca_store_finals_record(f->st, f->sub, &fin[3], 1, T0 + 3, &bad),
               HSMCA_E_STATE, "never reserved");
    sqlite3_close(db);
}

/* Many records from one snapshot; unknown serials come back as NULL. */
static void test_certs_get(void **state)
{
    struct fixture *f = *state;
    hsmca_store_serial v[4] = {sv_n(400), sv_n(401), sv_n(402), sv_n(499)};
    hsmca_store_cert *out[4] = {NULL, NULL, NULL, NULL};

    expect_ok(hsmca_store_serials_reserve(f->st, f->sub, v, 3, T0, NULL), "reserve");
    do_precert(f, v[1].b, v[1].len);
    do_precert(f, v[2].b, v[2].len);
    do_final(f, v[2].b, v[2].len);
    expect_ok(hsmca_store_certs_get(f->st, f->sub, v, 4, out), "certs_get");
    assert_non_null(out[0]);
    assert_int_equal(out[0]->state, HSMCA_SERIAL_RESERVED);
    assert_null(out[0]->precert_der);
    assert_int_equal(out[1]->state, HSMCA_SERIAL_PRECERT);
    assert_int_equal(out[1]->precert_len, sizeof precert);
    assert_memory_equal(out[1]->precert_der, precert, sizeof precert);
    assert_int_equal(out[2]->state, HSMCA_SERIAL_FINAL);
    assert_int_equal(out[2]->final_len, sizeof final1);
    assert_memory_equal(out[2]->serial, v[2].b, v[2].len);
    assert_null(out[3]);
    for (size_t i = 0; i < 4; i++)
        hsmca_store_cert_free(out[i]);
    /* A malformed serial fails the call and leaves every output NULL. */
    v[3].b[0] = 0x80;
    expect_err(hsmca_store_certs_get(f->st, f->sub, v, 4, out), HSMCA_E_INPUT, NULL);
    for (size_t i = 0; i < 4; i++)
        assert_null(out[i]);
    expect_ok(hsmca_store_certs_get(f->st, f->sub, v, 0, out), "empty");
}

/* ---- revocation, statuses, CRL numbers, OCSP policy (issue #5) ---- */

static void do_revoke(struct fixture *f, const uint8_t *sn, size_t n, hsmca_time at, int reason,
                      hsmca_time now)
{
    expect_ok(hsmca_store_revoke(f->st, f->sub, sn, n, at, reason, now), "revoke");
}

static long long revocation_rows(sqlite3 *db)
{
    return raw_int(db, "SELECT count(*) FROM revocations", NULL, 0);
}

/* Only an assigned serial is revoked, once; the refusals change nothing. */
static void test_revoke_rules(void **state)
{
    struct fixture *f = *state;
    uint8_t res[8], pre[8], fin[8], unk[8], d[8];
    size_t n = serial_n(res, 0x500);
    hsmca_store_cert *c = NULL;
    char text[128];
    sqlite3 *db;

    serial_n(pre, 0x501);
    serial_n(fin, 0x502);
    serial_n(unk, 0x503);
    serial_n(d, 0x504);
    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, res, n, T0), "reserve");
    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, pre, n, T0), "reserve");
    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, fin, n, T0), "reserve");
    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, d, n, T0), "reserve");
    do_precert(f, pre, n);
    do_precert(f, fin, n);
    do_final(f, fin, n);
    do_precert(f, d, n);
    db = raw_open(f);

    expect_err(hsmca_store_revoke(f->st, f->sub, unk, n, T0 + 10, 1, T0 + 20), HSMCA_E_NOT_FOUND,
               "cannot revoke serial 112200000503 of issuer 'sub': the issuer never issued it");
    expect_err(hsmca_store_revoke(f->st, f->sub, res, n, T0 + 10, 1, T0 + 20), HSMCA_E_STATE,
               "reserved but nothing was issued under it");
    expect_err(hsmca_store_revoke(f->st, 9999, fin, n, T0 + 10, 1, T0 + 20), HSMCA_E_NOT_FOUND,
               NULL);
    assert_int_equal(revocation_rows(db), 0);

    /* Precert-only (MRSP 5.4) and final: both revocable. */
    do_revoke(f, pre, n, T0 + 10, -1, T0 + 20);
    do_revoke(f, fin, n, T0 + 30, 1, T0 + 40);
    assert_int_equal(revocation_rows(db), 2);

    /* A second revocation: refused, the first one kept as it was. */
    expect_err(hsmca_store_revoke(f->st, f->sub, fin, n, T0 + 50, 4, T0 + 60), HSMCA_E_EXISTS,
               "already revoked (since 1795867230, reason 1)");
    expect_err(hsmca_store_revoke(f->st, f->sub, pre, n, T0 + 15, 4, T0 + 60), HSMCA_E_EXISTS,
               "a revocation is final");
    expect_err(hsmca_store_revoke(f->st, f->sub, pre, n, T0 + 10, -1, T0 + 60), HSMCA_E_EXISTS,
               NULL);
    expect_ok(hsmca_store_cert_get(f->st, f->sub, fin, n, &c), "get");
    assert_int_equal(c->revoked, 1);
    assert_int_equal(c->revoked_at, T0 + 30);
    assert_int_equal(c->reason, 1);
    hsmca_store_cert_free(c);
    expect_ok(hsmca_store_cert_get(f->st, f->sub, pre, n, &c), "get");
    assert_int_equal(c->revoked, 1);
    assert_int_equal(c->revoked_at, T0 + 10);
    assert_int_equal(c->reason, -1);
    hsmca_store_cert_free(c);
    assert_int_equal(revocation_rows(db), 2);
    assert_int_equal(events_of(db, "revoke", fin, n), 1);
    assert_int_equal(events_of(db, "revoke", pre, n), 1);
    raw_text(db, "SELECT detail FROM events WHERE kind = 'revoke' ORDER BY id DESC LIMIT 1", text,
             sizeof text);
    assert_string_equal(text, "at=1795867230 reason=1");
    assert_int_equal(raw_int(db, "SELECT time FROM events WHERE kind = 'revoke' AND serial = ?1",
                             fin, n),
                     T0 + 40);
    assert_int_equal(raw_int(db, "SELECT recorded_at FROM revocations WHERE serial = ?1", fin,
                             n),
                     T0 + 40);

    /* A revocation time after now, and reasons RFC 5280 does not define
     * (7 is unused, 11 and -2 do not exist): refused, d stays good. */
    expect_err(hsmca_store_revoke(f->st, f->sub, d, n, T0 + 101, 1, T0 + 100), HSMCA_E_INPUT,
               "the revocation time is in the future (1 s after now)");
    /* ... or before the precertificate was signed (T0 + 1) */
    expect_err(hsmca_store_revoke(f->st, f->sub, d, n, T0, 1, T0 + 100), HSMCA_E_INPUT,
               "the revocation time is before the precertificate was signed (1 s earlier)");
    expect_err(hsmca_store_revoke(f->st, f->sub, d, n, T0 + 10, 7, T0 + 100), HSMCA_E_INPUT,
               "reason code 7 is not one BR 7.2.2 allows");
    expect_err(hsmca_store_revoke(f->st, f->sub, d, n, T0 + 10, 11, T0 + 100), HSMCA_E_INPUT,
               "reason code 11 is not one BR 7.2.2 allows");
    expect_err(hsmca_store_revoke(f->st, f->sub, d, n, T0 + 10, -2, T0 + 100), HSMCA_E_INPUT,
               "reason code -2 is not one BR 7.2.2 allows");
    d[0] = 0x80; /* negative: malformed */
    expect_err(hsmca_store_revoke(f->st, f->sub, d, n, T0 + 10, 1, T0 + 100), HSMCA_E_INPUT,
               NULL);
    d[0] = 0x11;
    expect_ok(hsmca_store_cert_get(f->st, f->sub, d, n, &c), "get");
    assert_int_equal(c->revoked, 0);
    assert_int_equal(c->reason, -1);
    hsmca_store_cert_free(c);
    assert_int_equal(revocation_rows(db), 2);
    assert_int_equal(events_of(db, "revoke", d, n), 0);
    /* Revoked exactly now, or exactly when signed, is fine. */
    do_revoke(f, d, n, T0 + 100, 9, T0 + 100);
    assert_int_equal(revocation_rows(db), 3);
    {
        uint8_t e[8];

        serial_n(e, 0x505);
        expect_ok(hsmca_store_serial_reserve(f->st, f->sub, e, n, T0), "reserve");
        do_precert(f, e, n);
        do_revoke(f, e, n, T0 + 1, -1, T0 + 100);
    }
    assert_int_equal(revocation_rows(db), 4);
    sqlite3_close(db);
}

/* The codes BR 7.2.2 lets a CRL carry are stored as given; the other RFC
 * 5280 §5.3.1 codes are refused (every later CRL would have to list them). */
static void test_revoke_reasons(void **state)
{
    struct fixture *f = *state;
    /* The reasons BR 7.2.2 lets a CRL carry; the others are refused. */
    static const int reasons[] = {-1, 1, 3, 4, 5, 9};
    static const int refused[] = {0, 2, 6, 8, 10};
    uint8_t sn[8];
    size_t n = 0;
    hsmca_store_cert *c = NULL;

    for (uint32_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
        n = serial_n(sn, 0x600 + i);
        expect_ok(hsmca_store_serial_reserve(f->st, f->sub, sn, n, T0), "reserve");
        do_precert(f, sn, n);
        do_revoke(f, sn, n, T0 + 1 + i, reasons[i], T0 + 50);
    }
    for (uint32_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
        n = serial_n(sn, 0x600 + i);
        expect_ok(hsmca_store_cert_get(f->st, f->sub, sn, n, &c), "get");
        assert_int_equal(c->revoked, 1);
        assert_int_equal(c->revoked_at, T0 + 1 + i);
        assert_int_equal(c->reason, reasons[i]);
        hsmca_store_cert_free(c);
    }
    for (uint32_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        n = serial_n(sn, 0x680 + i);
        expect_ok(hsmca_store_serial_reserve(f->st, f->sub, sn, n, T0), "reserve");
        do_precert(f, sn, n);
        expect_err(hsmca_store_revoke(f->st, f->sub, sn, n, T0 + 1, refused[i], T0 + 50),
                   HSMCA_E_INPUT, "is not one BR 7.2.2 allows");
    }
}

/* The revocation and its event are one transaction. */
static void test_revoke_event_same_transaction(void **state)
{
    struct fixture *f = *state;
    uint8_t sn[8];
    size_t n = serial_n(sn, 0x700);
    hsmca_store_cert *c = NULL;
    sqlite3 *db;

    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, sn, n, T0), "reserve");
    do_precert(f, sn, n);
    do_final(f, sn, n);
    db = raw_open(f);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TRIGGER test_block BEFORE INSERT ON events "
                                  "WHEN NEW.kind = 'revoke' "
                                  "BEGIN SELECT RAISE(ABORT, 'test: events blocked'); END",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    expect_err(hsmca_store_revoke(f->st, f->sub, sn, n, T0 + 5, 1, T0 + 10), HSMCA_E_STATE,
               "cannot revoke serial 112200000700 of issuer 'sub'");
    assert_non_null(strstr(hsmca_err_detail(), "test: events blocked"));
    assert_int_equal(revocation_rows(db), 0);
    expect_ok(hsmca_store_cert_get(f->st, f->sub, sn, n, &c), "get");
    assert_int_equal(c->revoked, 0);
    hsmca_store_cert_free(c);

    assert_int_equal(sqlite3_exec(db, "DROP TRIGGER test_block", NULL, NULL, NULL), SQLITE_OK);
    do_revoke(f, sn, n, T0 + 5, 1, T0 + 10);
    assert_int_equal(revocation_rows(db), 1);
    assert_int_equal(events_of(db, "revoke", sn, n), 1);
    sqlite3_close(db);
}

/* The schema refuses by itself what hsmca_store_revoke refuses. */
static void test_revoke_schema_rules(void **state)
{
    struct fixture *f = *state;
    uint8_t res[8], pre[8];
    size_t n = serial_n(res, 0x800);
    char sql[256];
    sqlite3 *db;

    serial_n(pre, 0x801);
    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, res, n, T0), "reserve");
    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, pre, n, T0), "reserve");
    do_precert(f, pre, n);
    db = raw_open(f);
    /* Foreign keys are off on this connection: the triggers alone refuse. */
    assert_int_equal(raw_int(db, "PRAGMA foreign_keys", NULL, 0), 0);
    snprintf(sql, sizeof sql,
             "INSERT INTO revocations VALUES (%lld, x'112200000800', 0, 1, 0)",
             (long long)f->sub);
    raw_refused(db, sql); /* reserved only */
    snprintf(sql, sizeof sql,
             "INSERT INTO revocations VALUES (%lld, x'112200000899', 0, 1, 0)",
             (long long)f->sub);
    raw_refused(db, sql); /* never used */
    raw_refused(db, "INSERT INTO revocations VALUES (4242, x'112200000801', 0, 1, 0)");
    snprintf(sql, sizeof sql,
             "INSERT INTO revocations VALUES (%lld, x'112200000801', 0, 11, 0)",
             (long long)f->sub);
    raw_refused(db, sql); /* not a CRLReason */
    snprintf(sql, sizeof sql,
             "INSERT INTO revocations VALUES (%lld, x'112200000801', 0, 7, 0)",
             (long long)f->sub);
    raw_refused(db, sql);
    assert_int_equal(revocation_rows(db), 0);
    /* An assigned serial: accepted; then never changed or removed. */
    snprintf(sql, sizeof sql,
             "INSERT INTO revocations VALUES (%lld, x'112200000801', %lld, NULL, %lld)",
             (long long)f->sub, (long long)T0 + 5, (long long)T0 + 6);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    raw_refused(db, "UPDATE revocations SET reason = 1");
    raw_refused(db, "UPDATE revocations SET revoked_at = 0");
    raw_refused(db, "UPDATE revocations SET recorded_at = recorded_at");
    raw_refused(db, "DELETE FROM revocations");
    /* A second row for it (the primary key). */
    snprintf(sql, sizeof sql,
             "INSERT INTO revocations VALUES (%lld, x'112200000801', 0, 1, 0)",
             (long long)f->sub);
    raw_refused(db, sql);
    assert_int_equal(revocation_rows(db), 1);
    assert_int_equal(raw_int(db, "SELECT revoked_at FROM revocations", NULL, 0), T0 + 5);
    assert_int_equal(raw_int(db, "SELECT reason IS NULL FROM revocations", NULL, 0), 1);
    sqlite3_close(db);
    /* And the API sees it as revoked. */
    expect_err(hsmca_store_revoke(f->st, f->sub, pre, n, T0 + 7, 1, T0 + 8), HSMCA_E_EXISTS,
               "already revoked");
}

/* Statuses of many serials in one call: known, unknown and malformed. */
static void test_statuses_get(void **state)
{
    struct fixture *f = *state;
    enum { N = 10 };
    hsmca_store_serial v[N];
    hsmca_store_status out[N];
    int64_t other = add_issuer(f->st, "other", 0xb6);

    for (uint32_t i = 0; i < 6; i++)
        v[i] = sv_n(0x900 + i);
    v[6] = sv_n(0x9ff);                 /* never used */
    v[7] = sv_n(0x900);
    v[7].b[0] = 0x80;                   /* negative */
    v[8] = sv_n(0x901);
    v[8].b[0] = 0x00;                   /* not minimal */
    v[9] = sv_n(0x902);
    v[9].len = 0;                       /* empty */
    /* 0 reserved, 1 precert, 2 final, 3 final revoked, 4 precert revoked,
     * 5 reserved by the other issuer only */
    expect_ok(hsmca_store_serials_reserve(f->st, f->sub, v, 5, T0, NULL), "reserve");
    expect_ok(hsmca_store_serials_reserve(f->st, other, &v[5], 1, T0, NULL), "reserve other");
    for (int i = 1; i <= 4; i++)
        do_precert(f, v[i].b, v[i].len);
    do_final(f, v[2].b, v[2].len);
    do_final(f, v[3].b, v[3].len);
    do_revoke(f, v[3].b, v[3].len, T0 + 30, 5, T0 + 40);
    do_revoke(f, v[4].b, v[4].len, T0 + 31, -1, T0 + 41);

    memset(out, 0xa5, sizeof out);
    expect_ok(hsmca_store_statuses_get(f->st, f->sub, v, N, out), "statuses");
    for (int i = 0; i < 9; i++) {
        assert_int_equal(out[i].serial.len, v[i].len);
        assert_memory_equal(out[i].serial.b, v[i].b, v[i].len);
    }
    assert_int_equal(out[0].state, HSMCA_SERIAL_RESERVED);
    assert_int_equal(out[0].not_after, 0);
    assert_int_equal(out[0].changed_at, T0);
    assert_int_equal(out[0].revoked, 0);
    assert_int_equal(out[0].reason, -1);
    assert_int_equal(out[1].state, HSMCA_SERIAL_PRECERT);
    assert_int_equal(out[1].not_after, T0 + 90 * DAY);
    assert_int_equal(out[1].changed_at, T0 + 1);
    assert_int_equal(out[1].revoked, 0);
    assert_int_equal(out[1].revoked_at, 0);
    assert_int_equal(out[1].reason, -1);
    assert_int_equal(out[2].state, HSMCA_SERIAL_FINAL);
    assert_int_equal(out[2].changed_at, T0 + 2);
    assert_int_equal(out[2].revoked, 0);
    assert_int_equal(out[3].state, HSMCA_SERIAL_FINAL);
    assert_int_equal(out[3].changed_at, T0 + 40); /* the revocation was recorded last */
    assert_int_equal(out[3].revoked, 1);
    assert_int_equal(out[3].revoked_at, T0 + 30);
    assert_int_equal(out[3].reason, 5);
    assert_int_equal(out[4].state, HSMCA_SERIAL_PRECERT);
    assert_int_equal(out[4].changed_at, T0 + 41);
    assert_int_equal(out[4].revoked, 1);
    assert_int_equal(out[4].revoked_at, T0 + 31);
    assert_int_equal(out[4].reason, -1);
    /* Another issuer's serial, an unused one and the malformed ones: never
     * used, not an error. */
    for (int i = 5; i < N; i++) {
        assert_int_equal(out[i].state, 0);
        assert_int_equal(out[i].revoked, 0);
        assert_int_equal(out[i].revoked_at, 0);
        assert_int_equal(out[i].not_after, 0);
    }
    expect_ok(hsmca_store_statuses_get(f->st, other, &v[5], 1, out), "other");
    assert_int_equal(out[0].state, HSMCA_SERIAL_RESERVED);
    expect_ok(hsmca_store_statuses_get(f->st, f->sub, v, 0, out), "none");
    expect_err(hsmca_store_statuses_get(f->st, 9999, v, 1, out), HSMCA_E_NOT_FOUND, NULL);
    expect_err(hsmca_store_statuses_get(f->st, f->sub, NULL, 1, out), HSMCA_E_USAGE, NULL);
}

/* What OCSP (assigned) and CRLs (revoked) must cover, in serial order. */
static void test_statuses_list(void **state)
{
    struct fixture *f = *state;
    hsmca_store_serial v[6];
    hsmca_store_status *out = NULL;
    size_t n = 99;
    int64_t other = add_issuer(f->st, "other", 0xb7);
    /* Reserved in a scrambled order: 5 final, 1 reserved, 3 precert,
     * 2 final revoked, 4 precert revoked, 0 reserved. */
    static const uint32_t order[] = {5, 1, 3, 2, 4, 0};

    for (int i = 0; i < 6; i++)
        v[i] = sv_n(0xa00 + order[i]);
    expect_ok(hsmca_store_serials_reserve(f->st, f->sub, v, 6, T0, NULL), "reserve");
    expect_ok(hsmca_store_serials_reserve(f->st, other, v, 6, T0, NULL), "reserve other");
    do_precert(f, v[0].b, v[0].len);
    do_final(f, v[0].b, v[0].len);
    do_precert(f, v[2].b, v[2].len);
    do_precert(f, v[3].b, v[3].len);
    do_final(f, v[3].b, v[3].len);
    do_precert(f, v[4].b, v[4].len);
    do_revoke(f, v[3].b, v[3].len, T0 + 20, 4, T0 + 21);
    do_revoke(f, v[4].b, v[4].len, T0 + 22, -1, T0 + 23);

    expect_ok(hsmca_store_statuses_list(f->st, f->sub, 1, &out, &n), "assigned");
    assert_int_equal(n, 4);
    for (uint32_t i = 0; i < 4; i++) {
        hsmca_store_serial want = sv_n(0xa02 + i);
        assert_int_equal(out[i].serial.len, want.len);
        assert_memory_equal(out[i].serial.b, want.b, want.len);
    }
    assert_int_equal(out[0].state, HSMCA_SERIAL_FINAL);
    assert_int_equal(out[0].revoked, 1);
    assert_int_equal(out[0].reason, 4);
    assert_int_equal(out[1].state, HSMCA_SERIAL_PRECERT);
    assert_int_equal(out[1].revoked, 0);
    assert_int_equal(out[2].state, HSMCA_SERIAL_PRECERT);
    assert_int_equal(out[2].revoked, 1);
    assert_int_equal(out[2].revoked_at, T0 + 22);
    assert_int_equal(out[2].reason, -1);
    assert_int_equal(out[3].state, HSMCA_SERIAL_FINAL);
    assert_int_equal(out[3].revoked, 0);
    assert_int_equal(out[3].not_after, T0 + 90 * DAY);
    free(out);

    /* Revoked only (what a CRL lists), a precert-only serial included. */
    expect_ok(hsmca_store_statuses_list(f->st, f->sub, 0, &out, &n), "revoked");
    assert_int_equal(n, 2);
    assert_memory_equal(out[0].serial.b, sv_n(0xa02).b, 6);
    assert_int_equal(out[0].state, HSMCA_SERIAL_FINAL);
    assert_int_equal(out[0].revoked_at, T0 + 20);
    assert_int_equal(out[0].reason, 4);
    assert_memory_equal(out[1].serial.b, sv_n(0xa04).b, 6);
    assert_int_equal(out[1].state, HSMCA_SERIAL_PRECERT);
    assert_int_equal(out[1].revoked_at, T0 + 22);
    assert_int_equal(out[1].reason, -1);
    free(out);

    /* The other issuer reserved the same serials but issued nothing. */
    expect_ok(hsmca_store_statuses_list(f->st, other, 1, &out, &n), "other assigned");
    assert_int_equal(n, 0);
    free(out);
    expect_ok(hsmca_store_statuses_list(f->st, other, 0, &out, &n), "other revoked");
    assert_int_equal(n, 0);
    free(out);
    expect_err(hsmca_store_statuses_list(f->st, 9999, 0, &out, &n), HSMCA_E_NOT_FOUND, NULL);
    expect_err(hsmca_store_statuses_list(f->st, f->sub, 0, NULL, &n), HSMCA_E_USAGE, NULL);
}

/* The next CRL number through the call hsmca_crl_issue makes (the revoked
 * list it also returns is not looked at here). */
static hsmca_err crl_next(hsmca_store *st, int64_t issuer_id, const char *scope, hsmca_time now,
                          uint64_t *number)
{
    hsmca_store_status *v = NULL;
    size_t n = 0;
    hsmca_err err = hsmca_store_crl_take(st, issuer_id, scope, now, number, &v, &n);

    free(v);
    return err;
}

/* RFC 5280 §5.2.3: per issuer and scope, 1, 2, 3, ...; never lower. */
static void test_crl_numbers(void **state)
{
    struct fixture *f = *state;
    int64_t other = add_issuer(f->st, "other", 0xb8);
    uint64_t num = 0;
    sqlite3 *db;
    char sql[160];

    for (uint64_t i = 1; i <= 3; i++) {
        expect_ok(crl_next(f->st, f->sub, "", T0 + (hsmca_time)i, &num),
                  "next");
        assert_int_equal(num, i);
    }
    expect_ok(crl_next(f->st, f->sub, "part-a", T0, &num), "part-a");
    assert_int_equal(num, 1);
    expect_ok(crl_next(f->st, f->sub, "part-a", T0, &num), "part-a");
    assert_int_equal(num, 2);
    expect_ok(crl_next(f->st, other, NULL, T0, &num), "other");
    assert_int_equal(num, 1);
    expect_ok(crl_next(f->st, f->sub, NULL, T0, &num), "NULL is ''");
    assert_int_equal(num, 4);
    /* Survives a reopen. */
    assert_int_equal(reopen(f), HSMCA_OK);
    expect_ok(crl_next(f->st, f->sub, "", T0, &num), "after reopen");
    assert_int_equal(num, 5);

    expect_err(crl_next(f->st, f->sub, "bad scope", T0, &num), HSMCA_E_INPUT,
               NULL);
    expect_err(crl_next(f->st, 9999, "", T0, &num), HSMCA_E_NOT_FOUND, NULL);
    expect_err(crl_next(f->st, f->sub, "", T0, NULL), HSMCA_E_USAGE, NULL);

    db = raw_open(f);
    snprintf(sql, sizeof sql,
             "UPDATE crl_numbers SET last_number = 4 WHERE issuer_id = %lld AND scope = ''",
             (long long)f->sub);
    raw_refused(db, sql);
    snprintf(sql, sizeof sql,
             "UPDATE crl_numbers SET last_number = 5 WHERE issuer_id = %lld AND scope = ''",
             (long long)f->sub);
    raw_refused(db, sql);
    raw_refused(db, "DELETE FROM crl_numbers");
    raw_refused(db, "UPDATE crl_numbers SET scope = 'x', last_number = last_number + 1");
    assert_int_equal(raw_int(db, "SELECT max(last_number) FROM crl_numbers", NULL, 0), 5);
    sqlite3_close(db);
    expect_ok(crl_next(f->st, f->sub, "", T0, &num), "next");
    assert_int_equal(num, 6);
}

/* Signed CRLs: only numbers that were taken, each once; the newest wins. */
static void test_crl_record_latest(void **state)
{
    struct fixture *f = *state;
    static const uint8_t crl1[] = {0x30, 0x01, 0x01};
    static const uint8_t crl2[] = {0x30, 0x02, 0x02, 0x02};
    uint64_t num = 0, latest = 0;
    hsmca_time tu = 0, nu = 0;
    uint8_t *der = NULL;
    size_t der_len = 0;
    sqlite3 *db;

    expect_err(hsmca_store_crl_latest(f->st, f->sub, "", &latest, &tu, &nu, &der, &der_len),
               HSMCA_E_NOT_FOUND, "issuer 'sub' has no CRL yet");
    assert_null(der);
    /* No number taken yet: number 1 may not be recorded. */
    expect_err(hsmca_store_crl_record(f->st, f->sub, "", 1, T0, T0 + 7 * DAY, crl1, sizeof crl1,
                                      T0),
               HSMCA_E_STATE, "cannot record CRL number 1 of issuer 'sub'");
    assert_non_null(strstr(hsmca_err_detail(), "must be taken before it is used"));

    expect_ok(crl_next(f->st, f->sub, "", T0, &num), "next");
    assert_int_equal(num, 1);
    expect_ok(hsmca_store_crl_record(f->st, f->sub, "", 1, T0, T0 + 7 * DAY, crl1, sizeof crl1,
                                     T0),
              "record 1");
    expect_ok(hsmca_store_crl_latest(f->st, f->sub, "", &latest, &tu, &nu, &der, &der_len),
              "latest");
    assert_int_equal(latest, 1);
    assert_int_equal(tu, T0);
    assert_int_equal(nu, T0 + 7 * DAY);
    assert_int_equal(der_len, sizeof crl1);
    assert_memory_equal(der, crl1, sizeof crl1);
    free(der);
    der = NULL;

    /* A duplicate, and one not taken yet. */
    expect_err(hsmca_store_crl_record(f->st, f->sub, "", 1, T0, T0 + 7 * DAY, crl2, sizeof crl2,
                                      T0),
               HSMCA_E_STATE, NULL);
    expect_err(hsmca_store_crl_record(f->st, f->sub, "", 2, T0, T0 + 7 * DAY, crl2, sizeof crl2,
                                      T0),
               HSMCA_E_STATE, NULL);
    /* Numbers are per scope: another scope's number does not count. */
    expect_ok(crl_next(f->st, f->sub, "part-a", T0, &num), "part-a");
    expect_ok(crl_next(f->st, f->sub, "part-a", T0, &num), "part-a");
    assert_int_equal(num, 2);
    expect_err(hsmca_store_crl_record(f->st, f->sub, "", 2, T0, T0 + 7 * DAY, crl2, sizeof crl2,
                                      T0),
               HSMCA_E_STATE, NULL);

    expect_ok(crl_next(f->st, f->sub, "", T0 + 5, &num), "next");
    assert_int_equal(num, 2);
    expect_ok(hsmca_store_crl_record(f->st, f->sub, "", 2, T0 + 5, T0 + 5 + 7 * DAY, crl2,
                                     sizeof crl2, T0 + 5),
              "record 2");
    /* The newest by number, also with only some outputs asked for. */
    expect_ok(hsmca_store_crl_latest(f->st, f->sub, "", &latest, NULL, NULL, &der, &der_len),
              "latest");
    assert_int_equal(latest, 2);
    assert_int_equal(der_len, sizeof crl2);
    assert_memory_equal(der, crl2, sizeof crl2);
    free(der);
    der = NULL;
    /* Other scope and other issuer: nothing recorded. */
    expect_err(hsmca_store_crl_latest(f->st, f->sub, "part-a", NULL, NULL, NULL, &der, &der_len),
               HSMCA_E_NOT_FOUND, NULL);
    expect_err(hsmca_store_crl_latest(f->st, add_issuer(f->st, "other", 0xb9), "", NULL, NULL,
                                      NULL, &der, &der_len),
               HSMCA_E_NOT_FOUND, NULL);
    assert_null(der);

    /* Malformed calls. */
    expect_err(hsmca_store_crl_record(f->st, f->sub, "", 2, T0, T0, crl2, sizeof crl2, T0),
               HSMCA_E_USAGE, NULL);
    expect_err(hsmca_store_crl_record(f->st, f->sub, "", 0, T0, T0 + 1, crl2, sizeof crl2, T0),
               HSMCA_E_USAGE, NULL);
    expect_err(hsmca_store_crl_record(f->st, f->sub, "", 2, T0, T0 + 1, NULL, 0, T0),
               HSMCA_E_USAGE, NULL);
    expect_err(hsmca_store_crl_latest(f->st, f->sub, "", NULL, NULL, NULL, NULL, &der_len),
               HSMCA_E_USAGE, NULL);

    db = raw_open(f);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM crls", NULL, 0), 2);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM events WHERE kind = 'crl'", NULL, 0), 2);
    raw_refused(db, "UPDATE crls SET der = x'3000'");
    raw_refused(db, "UPDATE crls SET number = number + 10");
    sqlite3_close(db);
}

/* The OCSP policy: correct by default, switchable, logged. */
static void test_issuer_policy(void **state)
{
    struct fixture *f = *state;
    hsmca_store_issuer *is = NULL, **all = NULL;
    size_t n_all = 0;
    uint8_t cert[48], key_id[2] = {7, 7};
    char name[] = "wrongdefaults", label[] = "k";
    hsmca_store_issuer in = {0};
    int64_t id = 0;
    sqlite3 *db;
    char text[128];

    expect_ok(hsmca_store_issuer_get(f->st, "sub", &is), "get");
    assert_int_equal(is->ocsp_precert_policy, HSMCA_ANSWER_GOOD);
    assert_int_equal(is->ocsp_unassigned_policy, HSMCA_ANSWER_UNKNOWN);
    hsmca_store_issuer_free(is);

    expect_ok(hsmca_store_issuer_set_policy(f->st, f->sub, HSMCA_ANSWER_REVOKED, 0, T0 + 1),
              "set");
    expect_ok(hsmca_store_issuer_get(f->st, "sub", &is), "get");
    assert_int_equal(is->ocsp_precert_policy, HSMCA_ANSWER_REVOKED);
    assert_int_equal(is->ocsp_unassigned_policy, HSMCA_ANSWER_UNKNOWN);
    hsmca_store_issuer_free(is);

    expect_ok(hsmca_store_issuer_set_policy(f->st, f->sub, 0, HSMCA_ANSWER_UNAUTHORIZED, T0 + 2),
              "set");
    expect_ok(hsmca_store_issuer_get_by_id(f->st, f->sub, &is), "get by id");
    assert_int_equal(is->ocsp_precert_policy, HSMCA_ANSWER_REVOKED);
    assert_int_equal(is->ocsp_unassigned_policy, HSMCA_ANSWER_UNAUTHORIZED);
    hsmca_store_issuer_free(is);

    expect_ok(hsmca_store_issuer_set_policy(f->st, f->sub, HSMCA_ANSWER_UNKNOWN,
                                            HSMCA_ANSWER_GOOD, T0 + 3),
              "set");
    expect_ok(hsmca_store_issuers(f->st, &all, &n_all), "list");
    assert_int_equal(n_all, 1);
    assert_int_equal(all[0]->ocsp_precert_policy, HSMCA_ANSWER_UNKNOWN);
    assert_int_equal(all[0]->ocsp_unassigned_policy, HSMCA_ANSWER_GOOD);
    hsmca_store_issuers_free(all, n_all);

    /* Bad values and issuers: refused, nothing changed. */
    expect_err(hsmca_store_issuer_set_policy(f->st, f->sub, 5, 0, T0), HSMCA_E_USAGE, NULL);
    expect_err(hsmca_store_issuer_set_policy(f->st, f->sub, 0, -1, T0), HSMCA_E_USAGE, NULL);
    expect_err(hsmca_store_issuer_set_policy(f->st, 9999, HSMCA_ANSWER_GOOD, 0, T0),
               HSMCA_E_NOT_FOUND, NULL);
    /* Back to the correct answers; both 0 changes nothing. */
    expect_ok(hsmca_store_issuer_set_policy(f->st, f->sub, HSMCA_ANSWER_GOOD,
                                            HSMCA_ANSWER_UNKNOWN, T0 + 4),
              "reset");
    expect_ok(hsmca_store_issuer_set_policy(f->st, f->sub, 0, 0, T0 + 5), "nothing");
    expect_ok(hsmca_store_issuer_get(f->st, "sub", &is), "get");
    assert_int_equal(is->ocsp_precert_policy, HSMCA_ANSWER_GOOD);
    assert_int_equal(is->ocsp_unassigned_policy, HSMCA_ANSWER_UNKNOWN);
    hsmca_store_issuer_free(is);

    db = raw_open(f);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM events WHERE kind = 'ocsp-policy'", NULL,
                             0),
                     5);
    raw_text(db, "SELECT detail FROM events WHERE kind = 'ocsp-policy' AND time = 1795867202",
             text, sizeof text);
    assert_string_equal(text, "precert-only=revoked unassigned=unauthorized");
    /* The schema keeps the columns to the four names. */
    raw_refused(db, "UPDATE issuers SET ocsp_precert_policy = 'maybe'");
    raw_refused(db, "UPDATE issuers SET ocsp_unassigned_policy = NULL");
    sqlite3_close(db);

    /* issuer_add ignores the policy fields: always the correct answers. */
    memset(cert, 0x5c, sizeof cert);
    cert[0] = 0x30;
    in.name = name;
    in.cert_der = cert;
    in.cert_len = sizeof cert;
    in.key_label = label;
    in.key_id = key_id;
    in.key_id_len = sizeof key_id;
    in.ocsp_precert_policy = HSMCA_ANSWER_UNKNOWN;
    in.ocsp_unassigned_policy = HSMCA_ANSWER_GOOD;
    expect_ok(hsmca_store_issuer_add(f->st, &in, &id), "add");
    expect_ok(hsmca_store_issuer_get_by_id(f->st, id, &is), "get");
    assert_int_equal(is->ocsp_precert_policy, HSMCA_ANSWER_GOOD);
    assert_int_equal(is->ocsp_unassigned_policy, HSMCA_ANSWER_UNKNOWN);
    hsmca_store_issuer_free(is);
}

static void test_answer_names(void **state)
{
    static const char *const names[] = {"good", "unknown", "revoked", "unauthorized"};
    static const char *const bad[] = {"", "GOOD", "good ", "goo", "unauthorised", "none"};
    int a;

    for (int i = 0; i < 4; i++) {
        assert_string_equal(hsmca_store_answer_name(HSMCA_ANSWER_GOOD + i), names[i]);
        a = 0;
        expect_ok(hsmca_store_answer_parse(names[i], &a), "parse");
        assert_int_equal(a, HSMCA_ANSWER_GOOD + i);
    }
    assert_int_equal(HSMCA_ANSWER_GOOD, 1);
    assert_int_equal(HSMCA_ANSWER_UNAUTHORIZED, 4);
    assert_null(hsmca_store_answer_name(0));
    assert_null(hsmca_store_answer_name(5));
    assert_null(hsmca_store_answer_name(-1));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        a = 42;
        expect_err(hsmca_store_answer_parse(bad[i], &a), HSMCA_E_INPUT,
                   "(one of good, unknown, revoked, unauthorized)");
        assert_int_equal(a, 42);
    }
    expect_err(hsmca_store_answer_parse("maybe", &a), HSMCA_E_INPUT,
               "unknown OCSP answer 'maybe'");
    a = 42;
    expect_err(hsmca_store_answer_parse(NULL, &a), HSMCA_E_INPUT, NULL);
    assert_int_equal(a, 42);
    (void)state;
}

/* Migration 2 on a version-1 store that holds data: the data stays, the
 * policy columns get the correct defaults and the new rules apply. The
 * version-1 store is made by undoing migration 2 on a fresh one. */
static void test_migration_2(void **state)
{
    struct fixture *f = *state;
    uint8_t pre[8], res[8];
    size_t n = serial_n(pre, 0xb00);
    hsmca_store_issuer *is = NULL;
    hsmca_store_cert *c = NULL;
    sqlite3 *db;
    char sql[200];

    uint8_t fin[8];

    serial_n(res, 0xb01);
    serial_n(fin, 0xb02);
    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, pre, n, T0), "reserve");
    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, res, n, T0), "reserve");
    /* a final too: version 3's new column and its CHECK meet an old row */
    expect_ok(hsmca_store_serial_reserve(f->st, f->sub, fin, n, T0), "reserve");
    do_precert(f, pre, n);
    do_precert(f, fin, n);
    do_final(f, fin, n);
    expect_ok(crl_next(f->st, f->sub, "", T0, &(uint64_t){0}), "crl number");
    hsmca_store_close(f->st);
    f->st = NULL;

    db = raw_open(f);
    assert_int_equal(sqlite3_exec(db,
                                  "BEGIN;"
                                  "DROP TRIGGER serials_final_as_claimed;"
                                  "DROP TRIGGER final_claims_of_precert;"
                                  "DROP TRIGGER final_claims_kept_u;"
                                  "DROP TRIGGER final_claims_kept_d;"
                                  "DROP TABLE final_claims;"
                                  "ALTER TABLE serials DROP COLUMN final_tbs_sha256;"
                                  "DROP TRIGGER revocations_assigned;"
                                  "DROP TRIGGER revocations_kept_u;"
                                  "DROP INDEX revocations_by_issuer;"
                                  "DROP TRIGGER crls_numbered;"
                                  "DROP TRIGGER crls_kept_u;"
                                  "DROP TABLE crls;"
                                  "ALTER TABLE issuers DROP COLUMN ocsp_precert_policy;"
                                  "ALTER TABLE issuers DROP COLUMN ocsp_unassigned_policy;"
                                  "PRAGMA user_version = 1;"
                                  "COMMIT;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    /* Version 1 had no rule against this. */
    snprintf(sql, sizeof sql, "INSERT INTO revocations VALUES (%lld, x'112200000b00', %lld, 1, "
             "%lld)", (long long)f->sub, (long long)T0 + 3, (long long)T0 + 4);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    expect_ok(hsmca_store_open(f->state, &f->st), "open migrates");
    assert_int_equal(hsmca_store_schema_version(f->st), SCHEMA_LATEST);
    expect_ok(hsmca_store_cert_get(f->st, f->sub, fin, n, &c), "the old final");
    assert_int_equal(c->state, HSMCA_SERIAL_FINAL);
    assert_int_equal(c->claimed, 0);
    assert_memory_equal(c->final_der, final1, sizeof final1);
    hsmca_store_cert_free(c);
    c = NULL;
    /* v3: the precertificate can be claimed for its final */
    {
        hsmca_store_final_claim cl = {.serial = sv_n(0xb00)};

        memset(cl.tbs_sha256, 0x33, 32);
        assert_memory_equal(cl.serial.b, pre, n);
        expect_ok(hsmca_store_finals_claim(f->st, f->sub, &cl, 1, T0 + 5, NULL), "claim");
    }
    expect_ok(hsmca_store_issuer_get(f->st, "sub", &is), "get");
    assert_int_equal(is->ocsp_precert_policy, HSMCA_ANSWER_GOOD);
    assert_int_equal(is->ocsp_unassigned_policy, HSMCA_ANSWER_UNKNOWN);
    hsmca_store_issuer_free(is);
    expect_ok(hsmca_store_cert_get(f->st, f->sub, pre, n, &c), "get");
    assert_int_equal(c->state, HSMCA_SERIAL_PRECERT);
    assert_int_equal(c->revoked, 1);
    assert_int_equal(c->revoked_at, T0 + 3);
    hsmca_store_cert_free(c);
    expect_err(hsmca_store_revoke(f->st, f->sub, res, n, T0 + 5, 1, T0 + 6), HSMCA_E_STATE,
               NULL);
    db = raw_open(f);
    raw_refused(db, "UPDATE revocations SET reason = 4");
    snprintf(sql, sizeof sql, "INSERT INTO revocations VALUES (%lld, x'112200000b01', 0, 1, 0)",
             (long long)f->sub);
    raw_refused(db, sql);
    sqlite3_close(db);
    {
        uint64_t num = 0;
        expect_ok(crl_next(f->st, f->sub, "", T0, &num), "crl number");
        assert_int_equal(num, 2);
    }
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_open_creates),
        T(test_open_missing_parent),
        T(test_open_not_a_directory),
        T(test_open_from_env),
        T(test_reopen_keeps_data),
        T(test_newer_version_refused),
        T(test_foreign_database_refused),
        T(test_issuer_add_get_list),
        T(test_issuer_duplicates),
        T(test_issuer_unknown),
        T(test_issuer_invalid),
        T(test_serial_validation),
        T(test_reserve_unknown_issuer),
        T(test_reserve_twice),
        T(test_precert_without_reserve),
        T(test_precert_twice),
        T(test_precert_bad_input),
        T(test_final_without_precert),
        T(test_final_twice),
        T(test_final_claims),
        T(test_reads_do_not_queue_behind_writes),
        T(test_scts_round_trip),
        T(test_sct_bad_input),
        T(test_cert_get_states),
        T(test_counts),
        T(test_events),
        T(test_event_same_transaction),
        T(test_schema_rules),
        T(test_many_random_serials),
        T(test_threads_distinct),
        T(test_threads_contend),
        T(test_waits_for_other_process),
        T(test_concurrent_first_open),
        T(test_busy_timeout_message),
        T(test_crash_after_reserve),
        T(test_crash_mid_transaction),
        T(test_batch_reserve),
        T(test_batch_records),
        T(test_certs_get),
        T(test_revoke_rules),
        T(test_revoke_reasons),
        T(test_revoke_event_same_transaction),
        T(test_revoke_schema_rules),
        T(test_statuses_get),
        T(test_statuses_list),
        T(test_crl_numbers),
        T(test_crl_record_latest),
        T(test_issuer_policy),
        T(test_answer_names),
        T(test_migration_2),
    };

    /* HSMCA_TEST_FILTER=test_crash* runs a subset while developing. */
    if (getenv("HSMCA_TEST_FILTER") != NULL)
        cmocka_set_test_filter(getenv("HSMCA_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
