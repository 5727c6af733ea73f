/* hsmca — SQLite result codes as hsmca errors (store_int.h).
 *
 * The detail of every store error names the extended result code
 * ("SQLITE_CONSTRAINT_UNIQUE", not "error 2067") and carries SQLite's own
 * message, the way PKCS#11 failures carry their CKR_ name (DESIGN.md).
 */
#include <stdarg.h>
#include <stdio.h>

#include "store_int.h"

struct rc_name {
    int rc;
    const char *name;
};

/* Every result code of SQLite 3.40 (Debian 12). Newer ones fall back to
 * their primary code's name plus the number. */
static const struct rc_name rc_names[] = {
#define RC(x) {x, #x}
    RC(SQLITE_OK),
    RC(SQLITE_ERROR),
    RC(SQLITE_INTERNAL),
    RC(SQLITE_PERM),
    RC(SQLITE_ABORT),
    RC(SQLITE_BUSY),
    RC(SQLITE_LOCKED),
    RC(SQLITE_NOMEM),
    RC(SQLITE_READONLY),
    RC(SQLITE_INTERRUPT),
    RC(SQLITE_IOERR),
    RC(SQLITE_CORRUPT),
    RC(SQLITE_NOTFOUND),
    RC(SQLITE_FULL),
    RC(SQLITE_CANTOPEN),
    RC(SQLITE_PROTOCOL),
    RC(SQLITE_EMPTY),
    RC(SQLITE_SCHEMA),
    RC(SQLITE_TOOBIG),
    RC(SQLITE_CONSTRAINT),
    RC(SQLITE_MISMATCH),
    RC(SQLITE_MISUSE),
    RC(SQLITE_NOLFS),
    RC(SQLITE_AUTH),
    RC(SQLITE_FORMAT),
    RC(SQLITE_RANGE),
    RC(SQLITE_NOTADB),
    RC(SQLITE_NOTICE),
    RC(SQLITE_WARNING),
    RC(SQLITE_ROW),
    RC(SQLITE_DONE),
    RC(SQLITE_ERROR_MISSING_COLLSEQ),
    RC(SQLITE_ERROR_RETRY),
#ifdef SQLITE_ERROR_SNAPSHOT
    RC(SQLITE_ERROR_SNAPSHOT),
#endif
    RC(SQLITE_IOERR_READ),
    RC(SQLITE_IOERR_SHORT_READ),
    RC(SQLITE_IOERR_WRITE),
    RC(SQLITE_IOERR_FSYNC),
    RC(SQLITE_IOERR_DIR_FSYNC),
    RC(SQLITE_IOERR_TRUNCATE),
    RC(SQLITE_IOERR_FSTAT),
    RC(SQLITE_IOERR_UNLOCK),
    RC(SQLITE_IOERR_RDLOCK),
    RC(SQLITE_IOERR_DELETE),
    RC(SQLITE_IOERR_BLOCKED),
    RC(SQLITE_IOERR_NOMEM),
    RC(SQLITE_IOERR_ACCESS),
    RC(SQLITE_IOERR_CHECKRESERVEDLOCK),
    RC(SQLITE_IOERR_LOCK),
    RC(SQLITE_IOERR_CLOSE),
    RC(SQLITE_IOERR_DIR_CLOSE),
    RC(SQLITE_IOERR_SHMOPEN),
    RC(SQLITE_IOERR_SHMSIZE),
    RC(SQLITE_IOERR_SHMLOCK),
    RC(SQLITE_IOERR_SHMMAP),
    RC(SQLITE_IOERR_SEEK),
    RC(SQLITE_IOERR_DELETE_NOENT),
    RC(SQLITE_IOERR_MMAP),
    RC(SQLITE_IOERR_GETTEMPPATH),
    RC(SQLITE_IOERR_CONVPATH),
    RC(SQLITE_IOERR_VNODE),
    RC(SQLITE_IOERR_AUTH),
#ifdef SQLITE_IOERR_BEGIN_ATOMIC
    RC(SQLITE_IOERR_BEGIN_ATOMIC),
#endif
#ifdef SQLITE_IOERR_COMMIT_ATOMIC
    RC(SQLITE_IOERR_COMMIT_ATOMIC),
#endif
#ifdef SQLITE_IOERR_ROLLBACK_ATOMIC
    RC(SQLITE_IOERR_ROLLBACK_ATOMIC),
#endif
#ifdef SQLITE_IOERR_DATA
    RC(SQLITE_IOERR_DATA),
#endif
#ifdef SQLITE_IOERR_CORRUPTFS
    RC(SQLITE_IOERR_CORRUPTFS),
#endif
    RC(SQLITE_LOCKED_SHAREDCACHE),
    RC(SQLITE_LOCKED_VTAB),
    RC(SQLITE_BUSY_RECOVERY),
    RC(SQLITE_BUSY_SNAPSHOT),
#ifdef SQLITE_BUSY_TIMEOUT
    RC(SQLITE_BUSY_TIMEOUT),
#endif
    RC(SQLITE_CANTOPEN_NOTEMPDIR),
    RC(SQLITE_CANTOPEN_ISDIR),
    RC(SQLITE_CANTOPEN_FULLPATH),
    RC(SQLITE_CANTOPEN_CONVPATH),
#ifdef SQLITE_CANTOPEN_DIRTYWAL
    RC(SQLITE_CANTOPEN_DIRTYWAL),
#endif
#ifdef SQLITE_CANTOPEN_SYMLINK
    RC(SQLITE_CANTOPEN_SYMLINK),
#endif
    RC(SQLITE_CORRUPT_VTAB),
    RC(SQLITE_CORRUPT_SEQUENCE),
#ifdef SQLITE_CORRUPT_INDEX
    RC(SQLITE_CORRUPT_INDEX),
#endif
    RC(SQLITE_READONLY_RECOVERY),
    RC(SQLITE_READONLY_CANTLOCK),
    RC(SQLITE_READONLY_ROLLBACK),
    RC(SQLITE_READONLY_DBMOVED),
#ifdef SQLITE_READONLY_CANTINIT
    RC(SQLITE_READONLY_CANTINIT),
#endif
#ifdef SQLITE_READONLY_DIRECTORY
    RC(SQLITE_READONLY_DIRECTORY),
#endif
    RC(SQLITE_ABORT_ROLLBACK),
    RC(SQLITE_CONSTRAINT_CHECK),
    RC(SQLITE_CONSTRAINT_COMMITHOOK),
    RC(SQLITE_CONSTRAINT_FOREIGNKEY),
    RC(SQLITE_CONSTRAINT_FUNCTION),
    RC(SQLITE_CONSTRAINT_NOTNULL),
    RC(SQLITE_CONSTRAINT_PRIMARYKEY),
    RC(SQLITE_CONSTRAINT_TRIGGER),
    RC(SQLITE_CONSTRAINT_UNIQUE),
    RC(SQLITE_CONSTRAINT_VTAB),
    RC(SQLITE_CONSTRAINT_ROWID),
#ifdef SQLITE_CONSTRAINT_PINNED
    RC(SQLITE_CONSTRAINT_PINNED),
#endif
#ifdef SQLITE_CONSTRAINT_DATATYPE
    RC(SQLITE_CONSTRAINT_DATATYPE),
#endif
    RC(SQLITE_NOTICE_RECOVER_WAL),
    RC(SQLITE_NOTICE_RECOVER_ROLLBACK),
    RC(SQLITE_WARNING_AUTOINDEX),
    RC(SQLITE_AUTH_USER),
#undef RC
};

const char *hsmca_store_rc_name(int rc)
{
    static _Thread_local char buf[64];
    int primary = rc & 0xff;

    for (size_t i = 0; i < sizeof rc_names / sizeof rc_names[0]; i++) {
        if (rc_names[i].rc == rc)
            return rc_names[i].name;
    }
    for (size_t i = 0; i < sizeof rc_names / sizeof rc_names[0]; i++) {
        if (rc_names[i].rc == primary) {
            snprintf(buf, sizeof buf, "%s (extended code %d)", rc_names[i].name, rc);
            return buf;
        }
    }
    snprintf(buf, sizeof buf, "SQLite result code %d", rc);
    return buf;
}

static hsmca_err code_of(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_NOMEM:
        return HSMCA_E_NOMEM;
    case SQLITE_CONSTRAINT:
        /* A rule of the schema (CHECK, trigger, key) refused the change:
         * the operation is not valid for the data as it stands. */
        return HSMCA_E_STATE;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_PROTOCOL:
    case SQLITE_NOLFS:
    case SQLITE_AUTH:
    case SQLITE_TOOBIG:
        return HSMCA_E_IO;
    default:
        return HSMCA_E_INTERNAL;
    }
}

hsmca_err hsmca_store_fail_db(sqlite3 *db, int rc, const char *fmt, ...)
{
    char msg[768];
    hsmca_err code = code_of(rc);
    const char *text = NULL;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    hsmca_err_setf(code, "%s", msg);
    /* The connection's message is the specific one ("UNIQUE constraint
     * failed: issuers.name"); sqlite3_errstr() is the generic text of the
     * code, for when there is no connection or it holds another error. */
    if (db != NULL && sqlite3_extended_errcode(db) == rc)
        text = sqlite3_errmsg(db);
    if (text == NULL || text[0] == '\0')
        text = sqlite3_errstr(rc);
    hsmca_err_detailf("%s: %s", hsmca_store_rc_name(rc), text);
    return code;
}
