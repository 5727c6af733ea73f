/* src/store private definitions. Only the .c files of src/store include this
 * (and so <sqlite3.h>: DESIGN.md, one module per third-party library). */
#ifndef HSMCA_STORE_INT_H
#define HSMCA_STORE_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "hsmca/store.h"

/* How long a call waits for another process's write transaction before it
 * gives up with "database is locked" (SQLITE_BUSY). Issuance transactions
 * are short (no signing happens inside one), so this is generous. */
#define HSMCA_STORE_BUSY_TIMEOUT_MS 10000

/* PRAGMA application_id: "hsCA", so `file hsmca.db` and our own open can
 * tell an hsmca database from any other SQLite file. */
#define HSMCA_STORE_APPLICATION_ID 0x68734341

/* Longest issuer name (they appear in URLs and file names). */
#define HSMCA_STORE_NAME_MAX 64

/* Hex of a serial: 2 digits per octet plus the NUL. */
#define HSMCA_STORE_HEX_MAX (2 * HSMCA_STORE_SERIAL_MAX + 1)

struct hsmca_store {
    sqlite3 *db;            /* the writing connection, SQLITE_OPEN_FULLMUTEX */
    /* A read-only connection for the calls that only read (OCSP and CRL
     * status, lookups, the event log): they take a WAL snapshot and never
     * wait for a writer, so they must not queue behind a write call that
     * waits (busy timeout) for another process's write lock. */
    sqlite3 *rdb;
    char *dir;              /* the state directory */
    char *path;             /* dir/hsmca.db */
    /* Serialise whole API calls on each connection: a transaction spans
     * several statements, so SQLite's own per-call mutex is not enough. */
    pthread_mutex_t lock;   /* db */
    pthread_mutex_t rlock;  /* rdb */
};

/* Set an error for a failed SQLite call: code from rc (busy/locked, I/O and
 * a damaged file are HSMCA_E_IO, constraint failures HSMCA_E_STATE, out of
 * memory HSMCA_E_NOMEM, anything else HSMCA_E_INTERNAL), the message from
 * fmt, and as the detail the extended result code's name and the
 * connection's message ("SQLITE_BUSY: database is locked"). Returns the
 * code. db may be NULL (then only rc is used). */
hsmca_err hsmca_store_fail_db(sqlite3 *db, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* hsmca_store_fail_db and goto out (needs `hsmca_err err` and `out:`). */
#define STORE_DB_FAIL(db, rc, ...)                                            \
    do {                                                                      \
        err = hsmca_store_fail_db((db), (rc), __VA_ARGS__);                   \
        goto out;                                                             \
    } while (0)

/* "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_BUSY", ... for an (extended) result
 * code; never NULL. */
const char *hsmca_store_rc_name(int rc);

/* Bring the schema to the newest version, one transaction per migration.
 * HSMCA_E_STATE for a database from a newer hsmca or a foreign file. */
hsmca_err hsmca_store_migrate(hsmca_store *st);
/* The newest schema version this code knows. */
int hsmca_store_schema_latest(void);
/* PRAGMA user_version, or -1 with the error set. Caller holds st->lock. */
int hsmca_store_user_version(hsmca_store *st);

/* One API call: the lock, its transaction, and what it is doing (the start
 * of every error message it sets: "cannot reserve serial 01ab for issuer
 * 'sub'").
 * Zero-initialise ({0}) so that store_op_end is safe before store_op_begin. */
typedef struct store_op {
    hsmca_store *st;
    sqlite3 *db;            /* the connection of this call (st->db or st->rdb) */
    pthread_mutex_t *lock;  /* and its lock */
    int active;             /* lock held and transaction open */
    char what[320];
    /* The event INSERT, prepared on the call's first event and reused for
     * the next ones (a batch logs one event per row); finalized by
     * store_op_end. */
    sqlite3_stmt *event;
} store_op;

/* Lock st, set op->what from fmt, and BEGIN IMMEDIATE (write) or BEGIN
 * (read: a WAL snapshot that never blocks writers nor waits for them). */
hsmca_err hsmca_store_op_begin(store_op *op, hsmca_store *st, int write, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* COMMIT if err is HSMCA_OK (a failed COMMIT becomes the error), else
 * ROLLBACK keeping err's message; unlock. Returns the final error. */
hsmca_err hsmca_store_op_end(store_op *op, hsmca_err err);
/* prepare with op->what as the message on failure. */
hsmca_err hsmca_store_op_prepare(store_op *op, const char *sql, sqlite3_stmt **out);
/* hsmca_store_fail_db with op->what as the message, for rc from a step or
 * bind on op's connection. */
hsmca_err hsmca_store_op_fail(store_op *op, int rc);

/* hsmca_store_op_fail and goto out. */
#define STORE_OP_FAIL(op, rc)                                                 \
    do {                                                                      \
        err = hsmca_store_op_fail((op), (rc));                                \
        goto out;                                                             \
    } while (0)

/* An issuer's name by id into name (HSMCA_STORE_NAME_MAX + 1 bytes);
 * HSMCA_E_NOT_FOUND when there is none ("what: no issuer with id 7 ...").
 * Called before a call's transaction begins, so that every message of the
 * call, including "database is locked" from BEGIN, names the issuer. It
 * reads outside a transaction (in WAL this never waits for a writer);
 * issuers are never renamed or deleted (events and serials reference
 * them), so the answer still holds inside the transaction that follows. */
hsmca_err hsmca_store_issuer_name(hsmca_store *st, int64_t id, const char *what, char *name);

/* Append an event row inside op's transaction. */
hsmca_err hsmca_store_op_event(store_op *op, int64_t issuer_id, const uint8_t *serial,
                               size_t serial_len, const char *kind, const char *detail,
                               hsmca_time now);

/* Bind helpers: NULL (or an empty blob) binds SQL NULL. Data must outlive
 * the step (SQLITE_STATIC). Return SQLite result codes. */
int hsmca_store_bind_blob(sqlite3_stmt *s, int i, const void *p, size_t n);
int hsmca_store_bind_text(sqlite3_stmt *s, int i, const char *t);
/* ?1 = issuer_id and ?2 = serial: the key of a serials, scts or
 * revocations row. */
int hsmca_store_bind_serial(sqlite3_stmt *s, int64_t issuer_id, const uint8_t *serial,
                            size_t serial_len);

/* Column copies (malloc'd; NULL for SQL NULL). HSMCA_E_NOMEM on failure. */
hsmca_err hsmca_store_col_blob(sqlite3_stmt *s, int i, uint8_t **out, size_t *out_len);
hsmca_err hsmca_store_col_text(sqlite3_stmt *s, int i, char **out);

/* Input checks, with messages that say what is allowed. */
hsmca_err hsmca_store_check_name(const char *name);
/* hsmca_store_check_serial is public (store.h). */

/* "reserved" -> HSMCA_SERIAL_RESERVED ...; 0 for anything else. */
hsmca_serial_state hsmca_store_state_from_text(const unsigned char *t);

/* Lower-case hex of a serial into buf (HSMCA_STORE_HEX_MAX bytes); returns
 * buf. Longer input is cut (it has been validated before). */
const char *hsmca_store_hex(const uint8_t *b, size_t n, char *buf);

#endif
