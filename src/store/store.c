/* hsmca — the store: opening the state directory and the database, and the
 * transaction discipline every call follows (include/hsmca/store.h,
 * docs/store.md).
 *
 * One connection per hsmca_store, opened SQLITE_OPEN_FULLMUTEX, plus our own
 * mutex around each call: a call is a whole transaction of several
 * statements, which SQLite's per-call mutex alone would interleave. Other
 * processes are kept apart by SQLite's file locks; a writer waits for them
 * up to HSMCA_STORE_BUSY_TIMEOUT_MS.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hsmca/log.h"
#include "store_int.h"

/* ---- small helpers ---- */

const char *hsmca_store_hex(const uint8_t *b, size_t n, char *buf)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    if (n > HSMCA_STORE_SERIAL_MAX)
        n = HSMCA_STORE_SERIAL_MAX;
    for (i = 0; b != NULL && i < n; i++) {
        buf[2 * i] = digits[b[i] >> 4];
        buf[2 * i + 1] = digits[b[i] & 0x0f];
    }
    buf[2 * i] = '\0';
    return buf;
}

hsmca_err hsmca_store_check_name(const char *name)
{
    size_t n;

    if (name == NULL)
        return hsmca_err_setf(HSMCA_E_USAGE, "no issuer name given");
    n = strlen(name);
    if (n == 0 || n > HSMCA_STORE_NAME_MAX)
        return hsmca_err_setf(HSMCA_E_INPUT,
                              "issuer name '%.80s' must be 1 to %d characters long (it has %zu)",
                              name, HSMCA_STORE_NAME_MAX, n);
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
        if (!ok)
            return hsmca_err_setf(HSMCA_E_INPUT,
                                  "issuer name '%s' has a character outside A-Z a-z 0-9 . _ - "
                                  "at position %zu (names appear in URLs and file names)",
                                  name, i + 1);
    }
    return HSMCA_OK;
}

hsmca_err hsmca_store_check_serial(const uint8_t *serial, size_t len)
{
    char hex[HSMCA_STORE_HEX_MAX];

    if (serial == NULL || len == 0)
        return hsmca_err_setf(HSMCA_E_INPUT, "no serial number given");
    if (len > HSMCA_STORE_SERIAL_MAX)
        return hsmca_err_setf(HSMCA_E_INPUT,
                              "a serial number of %zu octets is too long: at most %d "
                              "(RFC 5280 §4.1.2.2)",
                              len, HSMCA_STORE_SERIAL_MAX);
    hsmca_store_hex(serial, len, hex);
    /* The store keys serials by their DER INTEGER content octets, so the
     * same number must always have the same octets: positive and minimal
     * (X.690 §8.3.2), as in the certificate. Otherwise 0x0012 and 0x12
     * would be two serials. */
    if (serial[0] & 0x80)
        return hsmca_err_setf(HSMCA_E_INPUT,
                              "serial %s is negative; serial numbers are positive integers "
                              "(RFC 5280 §4.1.2.2)",
                              hex);
    if (len > 1 && serial[0] == 0 && !(serial[1] & 0x80))
        return hsmca_err_setf(HSMCA_E_INPUT,
                              "serial %s is not minimally encoded (a leading 00 octet only "
                              "precedes an octet with its top bit set, X.690 §8.3.2)",
                              hex);
    if (len == 1 && serial[0] == 0)
        return hsmca_err_setf(HSMCA_E_INPUT,
                              "serial 00 is not positive (RFC 5280 §4.1.2.2)");
    return HSMCA_OK;
}

int hsmca_store_bind_blob(sqlite3_stmt *s, int i, const void *p, size_t n)
{
    if (p == NULL || n == 0)
        return sqlite3_bind_null(s, i);
    return sqlite3_bind_blob64(s, i, p, (sqlite3_uint64)n, SQLITE_STATIC);
}

int hsmca_store_bind_text(sqlite3_stmt *s, int i, const char *t)
{
    if (t == NULL)
        return sqlite3_bind_null(s, i);
    return sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
}

int hsmca_store_bind_serial(sqlite3_stmt *s, int64_t issuer_id, const uint8_t *serial,
                            size_t serial_len)
{
    int rc = sqlite3_bind_int64(s, 1, issuer_id);

    return rc == SQLITE_OK ? hsmca_store_bind_blob(s, 2, serial, serial_len) : rc;
}

hsmca_err hsmca_store_col_blob(sqlite3_stmt *s, int i, uint8_t **out, size_t *out_len)
{
    const void *p;
    int n;

    *out = NULL;
    *out_len = 0;
    if (sqlite3_column_type(s, i) == SQLITE_NULL)
        return HSMCA_OK;
    /* blob first, then bytes: the order sqlite3_column_blob() documents. */
    p = sqlite3_column_blob(s, i);
    n = sqlite3_column_bytes(s, i);
    if (p == NULL && n > 0)
        return hsmca_err_setf(HSMCA_E_NOMEM, "out of memory reading the store");
    *out = malloc(n > 0 ? (size_t)n : 1);
    if (*out == NULL)
        return hsmca_err_setf(HSMCA_E_NOMEM, "out of memory");
    if (n > 0)
        memcpy(*out, p, (size_t)n);
    *out_len = (size_t)n;
    return HSMCA_OK;
}

hsmca_err hsmca_store_col_text(sqlite3_stmt *s, int i, char **out)
{
    const unsigned char *t;

    *out = NULL;
    if (sqlite3_column_type(s, i) == SQLITE_NULL)
        return HSMCA_OK;
    t = sqlite3_column_text(s, i);
    if (t == NULL)
        return hsmca_err_setf(HSMCA_E_NOMEM, "out of memory reading the store");
    *out = strdup((const char *)t);
    if (*out == NULL)
        return hsmca_err_setf(HSMCA_E_NOMEM, "out of memory");
    return HSMCA_OK;
}

/* ---- one call, one transaction ---- */

static void op_vwhat(store_op *op, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void op_vwhat(store_op *op, const char *fmt, va_list ap)
{
    vsnprintf(op->what, sizeof op->what, fmt, ap);
}

static void rollback_quietly(sqlite3 *db)
{
    /* A failed statement may already have rolled the transaction back
     * (SQLITE_FULL, SQLITE_IOERR, ...): only roll back an open one. The
     * error being reported stays the first one. */
    if (!sqlite3_get_autocommit(db))
        (void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

hsmca_err hsmca_store_op_begin(store_op *op, hsmca_store *st, int write, const char *fmt, ...)
{
    va_list ap;
    int rc;

    op->st = st;
    op->active = 0;
    va_start(ap, fmt);
    op_vwhat(op, fmt, ap);
    va_end(ap);
    if (st == NULL)
        return hsmca_err_setf(HSMCA_E_USAGE, "%s: no store", op->what);
    op->db = write || st->rdb == NULL ? st->db : st->rdb;
    op->lock = op->db == st->db ? &st->lock : &st->rlock;
    pthread_mutex_lock(op->lock);
    /* IMMEDIATE takes the write lock now, waiting (busy timeout) for other
     * writers, so the checks we make inside still hold when we write. */
    rc = sqlite3_exec(op->db, write ? "BEGIN IMMEDIATE" : "BEGIN", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        hsmca_err err = hsmca_store_fail_db(op->db, rc, "%s", op->what);
        rollback_quietly(op->db);
        pthread_mutex_unlock(op->lock);
        return err;
    }
    op->active = 1;
    return HSMCA_OK;
}

hsmca_err hsmca_store_op_end(store_op *op, hsmca_err err)
{
    sqlite3_finalize(op->event);
    op->event = NULL;
    if (!op->active)
        return err;
    if (err == HSMCA_OK) {
        /* synchronous=FULL: when COMMIT returns, the WAL is on disk. */
        int rc = sqlite3_exec(op->db, "COMMIT", NULL, NULL, NULL);
        if (rc != SQLITE_OK)
            err = hsmca_store_fail_db(op->db, rc, "%s", op->what);
    }
    if (err != HSMCA_OK)
        rollback_quietly(op->db);
    op->active = 0;
    pthread_mutex_unlock(op->lock);
    return err;
}

hsmca_err hsmca_store_op_prepare(store_op *op, const char *sql, sqlite3_stmt **out)
{
    int rc = sqlite3_prepare_v2(op->db, sql, -1, out, NULL);

    if (rc != SQLITE_OK) {
        sqlite3_finalize(*out);
        *out = NULL;
        return hsmca_store_fail_db(op->db, rc, "%s", op->what);
    }
    return HSMCA_OK;
}

hsmca_err hsmca_store_op_fail(store_op *op, int rc)
{
    return hsmca_store_fail_db(op->db, rc, "%s", op->what);
}

hsmca_err hsmca_store_issuer_name(hsmca_store *st, int64_t id, const char *what, char *name)
{
    hsmca_err err = HSMCA_OK;
    sqlite3 *db = NULL;
    pthread_mutex_t *lock = NULL;
    sqlite3_stmt *s = NULL;
    const unsigned char *t;
    int rc, locked = 0;

    HSMCA_ENSURE(st != NULL, HSMCA_E_USAGE, "%s: no store", what);
    /* A read: on the read connection (once open), not behind a writer */
    db = st->rdb != NULL ? st->rdb : st->db;
    lock = db == st->db ? &st->lock : &st->rlock;
    pthread_mutex_lock(lock);
    locked = 1;
    rc = sqlite3_prepare_v2(db, "SELECT name FROM issuers WHERE id = ?1", -1, &s, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 1, id);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc == SQLITE_DONE)
        HSMCA_FAIL(HSMCA_E_NOT_FOUND, "%s: no issuer with id %lld is registered", what,
                   (long long)id);
    if (rc != SQLITE_ROW)
        STORE_DB_FAIL(db, rc, "%s", what);
    t = sqlite3_column_text(s, 0);
    HSMCA_ENSURE(t != NULL, HSMCA_E_NOMEM, "out of memory reading the store");
    snprintf(name, HSMCA_STORE_NAME_MAX + 1, "%s", (const char *)t);
out:
    sqlite3_finalize(s);
    if (locked)
        pthread_mutex_unlock(lock);
    return err;
}

hsmca_err hsmca_store_op_event(store_op *op, int64_t issuer_id, const uint8_t *serial,
                               size_t serial_len, const char *kind, const char *detail,
                               hsmca_time now)
{
    hsmca_err err = HSMCA_OK;
    sqlite3_stmt *s = op->event;
    int rc;

    if (s == NULL) {
        HSMCA_GUARD(hsmca_store_op_prepare(op,
                                           "INSERT INTO events (time, issuer_id, serial, kind, "
                                           "detail) VALUES (?1, ?2, ?3, ?4, ?5)",
                                           &op->event));
        s = op->event;
    } else {
        /* Bindings are all rebound below. */
        sqlite3_reset(s);
    }
    rc = sqlite3_bind_int64(s, 1, now);
    if (rc == SQLITE_OK)
        rc = issuer_id > 0 ? sqlite3_bind_int64(s, 2, issuer_id) : sqlite3_bind_null(s, 2);
    if (rc == SQLITE_OK)
        rc = hsmca_store_bind_blob(s, 3, serial, serial_len);
    if (rc == SQLITE_OK)
        rc = hsmca_store_bind_text(s, 4, kind);
    if (rc == SQLITE_OK)
        rc = hsmca_store_bind_text(s, 5, detail);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc != SQLITE_DONE) {
        err = hsmca_store_op_fail(op, rc);
        hsmca_err_context("cannot log the event '%s'", kind);
        goto out;
    }
out:
    /* Bound blobs and texts are SQLITE_STATIC: let go of them now. */
    if (s != NULL) {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
    return err;
}

/* ---- opening ---- */

/* The state directory: used as is when it exists; otherwise created (the
 * last component only, mode 0700: it holds the CA's records and where its
 * PINs come from). */
static hsmca_err ensure_dir(const char *dir)
{
    struct stat sb;

    if (stat(dir, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode))
            return hsmca_err_setf(HSMCA_E_IO, "state directory %s is not a directory", dir);
        if (sb.st_mode & (S_IWGRP | S_IWOTH))
            hsmca_log_warn("state directory %s is writable by other users (mode %04o); "
                           "chmod 700 it",
                           dir, (unsigned)(sb.st_mode & 07777));
        return HSMCA_OK;
    }
    if (errno != ENOENT)
        return hsmca_err_setf(HSMCA_E_IO, "state directory %s: %s", dir, strerror(errno));
    if (mkdir(dir, 0700) != 0) {
        if (errno == ENOENT)
            return hsmca_err_setf(HSMCA_E_IO,
                                  "cannot create the state directory %s: its parent directory "
                                  "does not exist (hsmca creates only the last component)",
                                  dir);
        if (errno != EEXIST)
            return hsmca_err_setf(HSMCA_E_IO, "cannot create the state directory %s: %s", dir,
                                  strerror(errno));
        /* Created by a concurrent hsmca meanwhile: use it. */
        return ensure_dir(dir);
    }
    /* mkdir applies the umask, which may leave us without access. */
    if (chmod(dir, 0700) != 0)
        return hsmca_err_setf(HSMCA_E_IO, "cannot set the mode of %s: %s", dir, strerror(errno));
    return HSMCA_OK;
}

/* Run a PRAGMA that answers one row and return its first column as text
 * into buf (may be NULL). */
static hsmca_err pragma(hsmca_store *st, const char *sql, char *buf, size_t len)
{
    hsmca_err err = HSMCA_OK;
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);

    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        STORE_DB_FAIL(st->db, rc, "cannot open the store %s (%s)", st->path, sql);
    if (buf != NULL) {
        const unsigned char *t = rc == SQLITE_ROW ? sqlite3_column_text(s, 0) : NULL;
        snprintf(buf, len, "%s", t != NULL ? (const char *)t : "");
    }
out:
    sqlite3_finalize(s);
    return err;
}

/* WAL: readers (OCSP, CRL) never block the issuing writer, and a commit is
 * one append plus fsync. The mode is persistent in the file, so this only
 * changes something on the first open. Changing it needs an exclusive lock,
 * and SQLite answers SQLITE_BUSY at once, without the busy handler, when
 * another connection is in the way (lock upgrades do not wait, to avoid
 * deadlocks): several processes opening a new store together all get here,
 * so wait and retry up to the busy timeout ourselves. */
static hsmca_err set_wal(hsmca_store *st)
{
    hsmca_err err = HSMCA_OK;
    const struct timespec pause = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};
    sqlite3_stmt *s = NULL;
    char val[32] = "";
    int rc;

    for (int waited_ms = 0;; waited_ms += 10) {
        rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            const unsigned char *t = sqlite3_column_text(s, 0);
            snprintf(val, sizeof val, "%s", t != NULL ? (const char *)t : "");
            break;
        }
        if ((rc & 0xff) != SQLITE_BUSY || waited_ms >= HSMCA_STORE_BUSY_TIMEOUT_MS)
            STORE_DB_FAIL(st->db, rc, "cannot put the store %s in WAL mode", st->path);
        sqlite3_finalize(s);
        s = NULL;
        nanosleep(&pause, NULL);
    }
    HSMCA_ENSURE(strcmp(val, "wal") == 0, HSMCA_E_IO,
                 "cannot put the store %s in WAL mode (journal mode stays '%s'); is the state "
                 "directory on a file system without shared memory support, such as a "
                 "network file system?",
                 st->path, val);
out:
    sqlite3_finalize(s);
    return err;
}

/* What every connection of ours gets: extended result codes, the busy
 * timeout, defensive mode (no writable_schema or other ways for SQL to
 * damage the file) and an untrusted schema (triggers cannot call risky
 * functions). */
static int conn_settings(sqlite3 *db)
{
    int rc = sqlite3_extended_result_codes(db, 1);

    if (rc == SQLITE_OK)
        rc = sqlite3_busy_timeout(db, HSMCA_STORE_BUSY_TIMEOUT_MS);
    if (rc == SQLITE_OK)
        rc = sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
    return rc;
}

static hsmca_err configure(hsmca_store *st)
{
    hsmca_err err = HSMCA_OK;
    char val[32];
    int rc;

    rc = conn_settings(st->db);
    if (rc != SQLITE_OK)
        STORE_DB_FAIL(st->db, rc, "cannot configure the store %s", st->path);
    /* Per connection, and off by default: without it the REFERENCES
     * clauses are decoration. */
    HSMCA_GUARD(pragma(st, "PRAGMA foreign_keys = ON", NULL, 0));
    HSMCA_GUARD(pragma(st, "PRAGMA foreign_keys", val, sizeof val));
    HSMCA_ENSURE(strcmp(val, "1") == 0, HSMCA_E_INTERNAL,
                 "this SQLite cannot enforce foreign keys (built without them)");
    HSMCA_GUARD(set_wal(st));
    /* FULL: a commit is durable once it returns (NORMAL could lose the last
     * transactions on power loss, i.e. forget a reserved serial). */
    HSMCA_GUARD(pragma(st, "PRAGMA synchronous = FULL", NULL, 0));
out:
    return err;
}

hsmca_err hsmca_store_open(const char *state_dir, hsmca_store **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_store *st = NULL;
    size_t n;
    int rc;

    HSMCA_ENSURE(out != NULL, HSMCA_E_USAGE, "hsmca_store_open: no output");
    *out = NULL;
    if (state_dir == NULL || state_dir[0] == '\0')
        state_dir = getenv(HSMCA_STATE_ENV);
    HSMCA_ENSURE(state_dir != NULL && state_dir[0] != '\0', HSMCA_E_USAGE,
                 "no state directory: give --state DIR or set %s", HSMCA_STATE_ENV);
    st = calloc(1, sizeof *st);
    HSMCA_ALLOC(st);
    pthread_mutex_init(&st->lock, NULL);
    pthread_mutex_init(&st->rlock, NULL);
    st->dir = strdup(state_dir);
    HSMCA_ALLOC(st->dir);
    n = strlen(state_dir) + sizeof "/" HSMCA_STORE_DB_NAME;
    st->path = malloc(n);
    HSMCA_ALLOC(st->path);
    snprintf(st->path, n, "%s/%s", state_dir, HSMCA_STORE_DB_NAME);

    HSMCA_GUARD(ensure_dir(st->dir));
    /* NOFOLLOW: a symlinked database would put its -wal and -shm files
     * beside the link, where another opener would not find them. */
    rc = sqlite3_open_v2(st->path, &st->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX |
                             SQLITE_OPEN_NOFOLLOW,
                         NULL);
    if (rc != SQLITE_OK)
        STORE_DB_FAIL(st->db, rc, "cannot open the store %s", st->path);
    HSMCA_GUARD(configure(st));
    HSMCA_GUARD(hsmca_store_migrate(st));
    /* The read connection, once the schema is current (it never writes;
     * the file is in WAL mode already). */
    rc = sqlite3_open_v2(st->path, &st->rdb,
                         SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW, NULL);
    if (rc == SQLITE_OK)
        rc = conn_settings(st->rdb);
    if (rc != SQLITE_OK)
        STORE_DB_FAIL(st->rdb, rc, "cannot open the store %s for reading", st->path);
    *out = st;
    st = NULL;
out:
    hsmca_store_close(st);
    return err;
}

void hsmca_store_close(hsmca_store *st)
{
    if (st == NULL)
        return;
    /* Every statement is finalized by the call that prepared it, so this
     * closes now (and, as the last connection, checkpoints the WAL). */
    if (st->rdb != NULL)
        sqlite3_close_v2(st->rdb);
    if (st->db != NULL)
        sqlite3_close_v2(st->db);
    pthread_mutex_destroy(&st->lock);
    pthread_mutex_destroy(&st->rlock);
    free(st->dir);
    free(st->path);
    free(st);
}

int hsmca_store_schema_version(hsmca_store *st)
{
    int v;

    if (st == NULL)
        return -1;
    pthread_mutex_lock(&st->lock);
    v = hsmca_store_user_version(st);
    pthread_mutex_unlock(&st->lock);
    return v;
}

const char *hsmca_store_dir(const hsmca_store *st)
{
    return st != NULL ? st->dir : NULL;
}

/* ---- events ---- */

static hsmca_err check_kind(const char *kind)
{
    size_t n = kind != NULL ? strlen(kind) : 0;

    if (n == 0 || n > 32)
        return hsmca_err_setf(HSMCA_E_USAGE, "an event kind is 1 to 32 characters");
    for (size_t i = 0; i < n; i++) {
        char c = kind[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.'))
            return hsmca_err_setf(HSMCA_E_USAGE,
                                  "event kind '%s': use lower-case letters, digits, . _ -",
                                  kind);
    }
    return HSMCA_OK;
}

hsmca_err hsmca_store_event(hsmca_store *st, int64_t issuer_id, const uint8_t *serial,
                            size_t serial_len, const char *kind, const char *detail,
                            hsmca_time now)
{
    hsmca_err err = HSMCA_OK;
    store_op op = {0};
    char name[HSMCA_STORE_NAME_MAX + 1];

    HSMCA_GUARD(check_kind(kind));
    if (serial != NULL)
        HSMCA_GUARD(hsmca_store_check_serial(serial, serial_len));
    if (issuer_id != 0)
        HSMCA_GUARD(hsmca_store_issuer_name(st, issuer_id, "cannot log the event", name));
    HSMCA_GUARD(hsmca_store_op_begin(&op, st, 1, "cannot log the event '%s'", kind));
    HSMCA_GUARD(hsmca_store_op_event(&op, issuer_id, serial, serial_len, kind, detail, now));
out:
    return hsmca_store_op_end(&op, err);
}

hsmca_err hsmca_store_last_event(hsmca_store *st, int64_t *out)
{
    hsmca_err err = HSMCA_OK;
    store_op op = {0};
    sqlite3_stmt *s = NULL;
    int rc;

    HSMCA_ENSURE(out != NULL, HSMCA_E_USAGE, "hsmca_store_last_event: no output");
    *out = 0;
    HSMCA_GUARD(hsmca_store_op_begin(&op, st, 0, "cannot read the event log"));
    HSMCA_GUARD(hsmca_store_op_prepare(&op, "SELECT coalesce(max(id), 0) FROM events", &s));
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW)
        STORE_OP_FAIL(&op, rc);
    *out = sqlite3_column_int64(s, 0);
out:
    sqlite3_finalize(s);
    return hsmca_store_op_end(&op, err);
}

hsmca_err hsmca_store_events_since(hsmca_store *st, int64_t after, size_t max,
                                   hsmca_store_change **out, size_t *out_n)
{
    hsmca_err err = HSMCA_OK;
    store_op op = {0};
    sqlite3_stmt *s = NULL;
    hsmca_store_change *v = NULL;
    size_t n = 0;
    int rc;

    HSMCA_ENSURE(out != NULL && out_n != NULL && max > 0, HSMCA_E_USAGE,
                 "hsmca_store_events_since: no output");
    *out = NULL;
    *out_n = 0;
    v = calloc(max, sizeof *v);
    HSMCA_ALLOC(v);
    HSMCA_GUARD(hsmca_store_op_begin(&op, st, 0, "cannot read the event log"));
    HSMCA_GUARD(hsmca_store_op_prepare(
        &op,
        "SELECT id, coalesce(issuer_id, 0), serial, kind FROM events WHERE id > ?1"
        " ORDER BY id LIMIT ?2",
        &s));
    rc = sqlite3_bind_int64(s, 1, after);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
    if (rc != SQLITE_OK)
        STORE_OP_FAIL(&op, rc);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        hsmca_store_change *c = &v[n++];
        const void *serial = sqlite3_column_blob(s, 2);
        int len = sqlite3_column_bytes(s, 2);
        const unsigned char *kind = sqlite3_column_text(s, 3);

        c->id = sqlite3_column_int64(s, 0);
        c->issuer_id = sqlite3_column_int64(s, 1);
        if (serial != NULL && len > 0 && len <= HSMCA_STORE_SERIAL_MAX) {
            memcpy(c->serial.b, serial, (size_t)len);
            c->serial.len = (size_t)len;
        }
        snprintf(c->kind, sizeof c->kind, "%s", kind != NULL ? (const char *)kind : "");
    }
    if (rc != SQLITE_DONE)
        STORE_OP_FAIL(&op, rc);
    *out = v;
    *out_n = n;
    v = NULL;
out:
    free(v);
    sqlite3_finalize(s);
    return hsmca_store_op_end(&op, err);
}
