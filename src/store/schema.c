/* hsmca — the store's schema and its migrations (docs/store.md).
 *
 * The schema version is PRAGMA user_version. migrations[] is ordered; entry
 * i takes the database from version i to i + 1 and is applied in its own
 * BEGIN IMMEDIATE transaction together with the new user_version, so a
 * crash or a failure leaves the database at the old version, whole. Rules:
 *
 *   - never edit a migration that has shipped: append a new one;
 *   - a migration only adds (tables, columns with defaults, indexes,
 *     triggers) or copies; it never drops data an OCSP or CRL answer needs;
 *   - a database at a version newer than the code is refused, never
 *     downgraded (an older hsmca cannot know what the newer columns mean).
 *
 * The tables are STRICT (SQLite 3.37+): a wrong type is an error, not a
 * silent conversion. The life-cycle rules of include/hsmca/store.h are
 * enforced here too, by CHECK constraints and triggers, so that no code path
 * (ours or a later module's) can break them: a serial is born RESERVED,
 * moves only RESERVED -> PRECERT -> FINAL, what was recorded never changes,
 * and serials and events are never deleted.
 */
#include <stdio.h>
#include <string.h>

#include "store_int.h"

struct migration {
    const char *what;   /* for error messages */
    const char *const *sql; /* constant statements, NULL-terminated */
};

/* Version 1 (issue #4): issuers, serials with their precertificate and final
 * certificate, SCTs, and for issue #5 revocations and CRL numbers (created
 * now so that issuance and revocation share one schema version), plus the
 * event log. Times are seconds since the epoch (hsmca_time), SCT timestamps
 * milliseconds; serials are the DER INTEGER content octets (positive,
 * minimal, 1..20 octets, RFC 5280 §4.1.2.2). */
static const char *const migration_1[] = {
    "CREATE TABLE issuers (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),\n"
    "  cert_der BLOB NOT NULL UNIQUE CHECK (length(cert_der) > 0),\n"
    "  module TEXT,\n"
    "  token_label TEXT,\n"
    "  token_serial TEXT,\n"
    "  key_label TEXT,\n"
    "  key_id BLOB,\n"
    "  pin_file TEXT,\n"
    "  pin_env TEXT,\n"
    "  profile TEXT,\n"
    "  base_url TEXT,\n"
    "  ocsp_cert_der BLOB,\n"
    "  ocsp_key_label TEXT,\n"
    "  created_at INTEGER NOT NULL\n"
    ") STRICT;\n",
    /* One row per serial an issuer ever used. state says how far it got:
     * reserved (nothing signed was returned), precert (assigned: OCSP must
     * answer good or revoked, BR 4.9.9), final. The CHECK ties the columns
     * to the state; the triggers below make the life cycle one-way. */
    "CREATE TABLE serials (\n"
    "  issuer_id INTEGER NOT NULL REFERENCES issuers(id),\n"
    "  serial BLOB NOT NULL CHECK (length(serial) BETWEEN 1 AND 20),\n"
    "  state TEXT NOT NULL CHECK (state IN ('reserved', 'precert', 'final')),\n"
    "  reserved_at INTEGER NOT NULL,\n"
    "  precert_der BLOB,\n"
    "  not_before INTEGER,\n"
    "  not_after INTEGER,\n"
    "  precert_at INTEGER,\n"
    "  final_der BLOB,\n"
    "  final_at INTEGER,\n"
    "  PRIMARY KEY (issuer_id, serial),\n"
    "  CHECK (CASE state\n"
    "    WHEN 'reserved' THEN precert_der IS NULL AND not_before IS NULL\n"
    "      AND not_after IS NULL AND precert_at IS NULL\n"
    "      AND final_der IS NULL AND final_at IS NULL\n"
    "    WHEN 'precert' THEN length(precert_der) > 0 AND not_before IS NOT NULL\n"
    "      AND not_after >= not_before AND precert_at IS NOT NULL\n"
    "      AND final_der IS NULL AND final_at IS NULL\n"
    "    WHEN 'final' THEN length(precert_der) > 0 AND not_before IS NOT NULL\n"
    "      AND not_after >= not_before AND precert_at IS NOT NULL\n"
    "      AND length(final_der) > 0 AND final_at IS NOT NULL\n"
    "    ELSE 0 END)\n"
    ") STRICT;\n",
    "CREATE INDEX serials_by_state ON serials (issuer_id, state);\n",
    /* Reserve before signing (issue #4): every serial starts reserved. */
    "CREATE TRIGGER serials_born_reserved BEFORE INSERT ON serials\n"
    "WHEN NEW.state IS NOT 'reserved'\n"
    "BEGIN SELECT RAISE(ABORT, 'a serial is inserted only as reserved'); END;\n",
    /* One way, and nothing recorded is rewritten: in particular a final,
     * once recorded, can never be replaced (a precert gets at most one). */
    "CREATE TRIGGER serials_life_cycle BEFORE UPDATE ON serials\n"
    "WHEN NOT (NEW.issuer_id IS OLD.issuer_id AND NEW.serial IS OLD.serial\n"
    "  AND NEW.reserved_at IS OLD.reserved_at\n"
    "  AND ((OLD.state = 'reserved' AND NEW.state = 'precert')\n"
    "    OR (OLD.state = 'precert' AND NEW.state = 'final'\n"
    "      AND NEW.precert_der IS OLD.precert_der\n"
    "      AND NEW.not_before IS OLD.not_before AND NEW.not_after IS OLD.not_after\n"
    "      AND NEW.precert_at IS OLD.precert_at)))\n"
    "BEGIN SELECT RAISE(ABORT, 'a serial only moves reserved -> precert -> final"
    " and what was recorded never changes'); END;\n",
    /* A serial is never reused, so its row is never removed. */
    "CREATE TRIGGER serials_kept BEFORE DELETE ON serials\n"
    "BEGIN SELECT RAISE(ABORT, 'serials are never deleted'); END;\n",
    /* The SCTs embedded in the final, in embedding order. */
    "CREATE TABLE scts (\n"
    "  issuer_id INTEGER NOT NULL,\n"
    "  serial BLOB NOT NULL,\n"
    "  position INTEGER NOT NULL CHECK (position >= 0),\n"
    "  log_id BLOB NOT NULL CHECK (length(log_id) = 32),\n"
    "  timestamp INTEGER NOT NULL,\n"
    "  tls BLOB NOT NULL CHECK (length(tls) BETWEEN 1 AND 65535),\n"
    "  PRIMARY KEY (issuer_id, serial, position),\n"
    "  FOREIGN KEY (issuer_id, serial) REFERENCES serials (issuer_id, serial)\n"
    ") STRICT, WITHOUT ROWID;\n",
    "CREATE TRIGGER scts_of_final BEFORE INSERT ON scts\n"
    "WHEN (SELECT state FROM serials WHERE issuer_id = NEW.issuer_id\n"
    "      AND serial = NEW.serial) IS NOT 'final'\n"
    "BEGIN SELECT RAISE(ABORT, 'SCTs are recorded with the final certificate'); END;\n",
    "CREATE TRIGGER scts_kept_u BEFORE UPDATE ON scts\n"
    "BEGIN SELECT RAISE(ABORT, 'recorded SCTs never change'); END;\n",
    "CREATE TRIGGER scts_kept_d BEFORE DELETE ON scts\n"
    "BEGIN SELECT RAISE(ABORT, 'recorded SCTs never change'); END;\n",
    /* Issue #5. One revocation per serial (precert-only serials included);
     * reason is the RFC 5280 §5.3.1 CRLReason code, NULL for none (BR
     * 7.2.2: unspecified is expressed by omitting the reasonCode entry).
     * Which reasons the CA accepts (no certificateHold) is API policy. */
    "CREATE TABLE revocations (\n"
    "  issuer_id INTEGER NOT NULL,\n"
    "  serial BLOB NOT NULL,\n"
    "  revoked_at INTEGER NOT NULL,\n"
    "  reason INTEGER CHECK (reason IS NULL OR reason IN (0,1,2,3,4,5,6,8,9,10)),\n"
    "  recorded_at INTEGER NOT NULL,\n"
    "  PRIMARY KEY (issuer_id, serial),\n"
    "  FOREIGN KEY (issuer_id, serial) REFERENCES serials (issuer_id, serial)\n"
    ") STRICT, WITHOUT ROWID;\n",
    "CREATE TRIGGER revocations_kept BEFORE DELETE ON revocations\n"
    "BEGIN SELECT RAISE(ABORT, 'revocations are never deleted'); END;\n",
    /* Issue #5: the last CRL number used per issuer and scope ('' = the
     * full CRL, else a partition name). RFC 5280 §5.2.3: monotonically
     * increasing; enforced here so a concurrent or buggy writer cannot
     * reuse one. */
    "CREATE TABLE crl_numbers (\n"
    "  issuer_id INTEGER NOT NULL REFERENCES issuers(id),\n"
    "  scope TEXT NOT NULL DEFAULT '',\n"
    "  last_number INTEGER NOT NULL CHECK (last_number >= 0),\n"
    "  updated_at INTEGER NOT NULL,\n"
    "  PRIMARY KEY (issuer_id, scope)\n"
    ") STRICT, WITHOUT ROWID;\n",
    "CREATE TRIGGER crl_numbers_increase BEFORE UPDATE ON crl_numbers\n"
    "WHEN NEW.last_number <= OLD.last_number OR NEW.issuer_id IS NOT OLD.issuer_id\n"
    "  OR NEW.scope IS NOT OLD.scope\n"
    "BEGIN SELECT RAISE(ABORT, 'CRL numbers only increase'); END;\n",
    "CREATE TRIGGER crl_numbers_kept BEFORE DELETE ON crl_numbers\n"
    "BEGIN SELECT RAISE(ABORT, 'CRL numbers are never deleted'); END;\n",
    /* Append-only log, written in the same transaction as the change it
     * describes. AUTOINCREMENT: ids are never reused, so they order events
     * across processes. */
    "CREATE TABLE events (\n"
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  time INTEGER NOT NULL,\n"
    "  issuer_id INTEGER REFERENCES issuers(id),\n"
    "  serial BLOB CHECK (serial IS NULL OR length(serial) BETWEEN 1 AND 20),\n"
    "  kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 32),\n"
    "  detail TEXT\n"
    ") STRICT;\n",
    "CREATE INDEX events_by_serial ON events (issuer_id, serial) WHERE serial IS NOT NULL;\n",
    "CREATE TRIGGER events_kept_u BEFORE UPDATE ON events\n"
    "BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;\n",
    "CREATE TRIGGER events_kept_d BEFORE DELETE ON events\n"
    "BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;\n",
    NULL,
};

/* Version 2 (issue #5): the per-issuer OCSP policy switch (what precert-only
 * and unassigned serials are answered; the defaults are the only correct
 * answers, BR 4.9.9 / MRSP 5.4), the signed CRLs (serve publishes the
 * newest), and the revocation rules the API applies, enforced here as
 * well: only an assigned serial (a precertificate exists) is revoked, and a
 * revocation never changes. */
static const char *const migration_2[] = {
    "ALTER TABLE issuers ADD COLUMN ocsp_precert_policy TEXT NOT NULL DEFAULT 'good'\n"
    "  CHECK (ocsp_precert_policy IN ('good', 'unknown', 'revoked', 'unauthorized'));\n",
    "ALTER TABLE issuers ADD COLUMN ocsp_unassigned_policy TEXT NOT NULL DEFAULT 'unknown'\n"
    "  CHECK (ocsp_unassigned_policy IN ('good', 'unknown', 'revoked', 'unauthorized'));\n",
    "CREATE TRIGGER revocations_assigned BEFORE INSERT ON revocations\n"
    "WHEN (SELECT state FROM serials WHERE issuer_id = NEW.issuer_id\n"
    "      AND serial = NEW.serial) NOT IN ('precert', 'final')\n"
    "  OR NOT EXISTS (SELECT 1 FROM serials WHERE issuer_id = NEW.issuer_id\n"
    "      AND serial = NEW.serial)\n"
    "BEGIN SELECT RAISE(ABORT, 'only an assigned serial can be revoked'); END;\n",
    "CREATE TRIGGER revocations_kept_u BEFORE UPDATE ON revocations\n"
    "BEGIN SELECT RAISE(ABORT, 'a revocation never changes'); END;\n",
    "CREATE INDEX revocations_by_issuer ON revocations (issuer_id);\n",
    /* Every CRL signed, by number; the number must have been taken from
     * crl_numbers first (so a recorded CRL never reuses one). */
    "CREATE TABLE crls (\n"
    "  issuer_id INTEGER NOT NULL REFERENCES issuers(id),\n"
    "  scope TEXT NOT NULL DEFAULT '',\n"
    "  number INTEGER NOT NULL CHECK (number > 0),\n"
    "  this_update INTEGER NOT NULL,\n"
    "  next_update INTEGER NOT NULL CHECK (next_update > this_update),\n"
    "  der BLOB NOT NULL CHECK (length(der) > 0),\n"
    "  recorded_at INTEGER NOT NULL,\n"
    "  PRIMARY KEY (issuer_id, scope, number)\n"
    ") STRICT, WITHOUT ROWID;\n",
    "CREATE TRIGGER crls_numbered BEFORE INSERT ON crls\n"
    "WHEN NEW.number > coalesce((SELECT last_number FROM crl_numbers\n"
    "      WHERE issuer_id = NEW.issuer_id AND scope = NEW.scope), 0)\n"
    "BEGIN SELECT RAISE(ABORT, 'a CRL number must be taken before it is used'); END;\n",
    "CREATE TRIGGER crls_kept_u BEFORE UPDATE ON crls\n"
    "BEGIN SELECT RAISE(ABORT, 'recorded CRLs never change'); END;\n",
    "CREATE TRIGGER crls_kept_d BEFORE DELETE ON crls\n"
    "BEGIN SELECT RAISE(ABORT, 'recorded CRLs are never deleted'); END;\n",
    NULL,
};

/* Version 3: a final certificate is claimed, and the claim committed,
 * before the token signs it (src/ca). The claim holds the SHA-256 of the
 * final's TBS; a precertificate gets one claim, so after a crash between
 * signing and recording only that same final can be signed again and
 * recorded: the token never signs two different finals for one serial
 * (BR 7.1.2.9; CONFORMANCE.md §1, §10). */
static const char *const migration_3[] = {
    "CREATE TABLE final_claims (\n"
    "  issuer_id INTEGER NOT NULL,\n"
    "  serial BLOB NOT NULL,\n"
    "  tbs_sha256 BLOB NOT NULL CHECK (length(tbs_sha256) = 32),\n"
    /* the SCT list the claimed final embeds (RFC 6962 §3.3), so that a
     * final cut off after its claim can be finished with it */
    "  sct_list BLOB,\n"
    "  claimed_at INTEGER NOT NULL,\n"
    "  PRIMARY KEY (issuer_id, serial),\n"
    "  FOREIGN KEY (issuer_id, serial) REFERENCES serials (issuer_id, serial)\n"
    ") STRICT, WITHOUT ROWID;\n",
    "CREATE TRIGGER final_claims_of_precert BEFORE INSERT ON final_claims\n"
    "WHEN (SELECT state FROM serials WHERE issuer_id = NEW.issuer_id\n"
    "      AND serial = NEW.serial) IS NOT 'precert'\n"
    "BEGIN SELECT RAISE(ABORT, 'only a precertificate without a final can be claimed'); END;\n",
    "CREATE TRIGGER final_claims_kept_u BEFORE UPDATE ON final_claims\n"
    "BEGIN SELECT RAISE(ABORT, 'a final claim never changes'); END;\n",
    "CREATE TRIGGER final_claims_kept_d BEFORE DELETE ON final_claims\n"
    "BEGIN SELECT RAISE(ABORT, 'final claims are never deleted'); END;\n",
    /* Set with the move to 'final' (serials_life_cycle lets it be). */
    "ALTER TABLE serials ADD COLUMN final_tbs_sha256 BLOB\n"
    "  CHECK (final_tbs_sha256 IS NULL OR length(final_tbs_sha256) = 32);\n",
    "CREATE TRIGGER serials_final_as_claimed BEFORE UPDATE OF state ON serials\n"
    "WHEN NEW.state = 'final' AND EXISTS (SELECT 1 FROM final_claims AS c\n"
    "  WHERE c.issuer_id = NEW.issuer_id AND c.serial = NEW.serial\n"
    "    AND c.tbs_sha256 IS NOT NEW.final_tbs_sha256)\n"
    "BEGIN SELECT RAISE(ABORT, 'the final differs from the one claimed before signing'); END;\n",
    NULL,
};

static const struct migration migrations[] = {
    {"create the issuance schema", migration_1},
    {"add revocation, the OCSP policy and CRLs", migration_2},
    {"claim each final before it is signed", migration_3},
};

#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

int hsmca_store_schema_latest(void)
{
    return N_MIGRATIONS;
}

/* Read a one-integer PRAGMA. */
static hsmca_err pragma_int(hsmca_store *st, const char *sql, int *out)
{
    hsmca_err err = HSMCA_OK;
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);

    if (rc != SQLITE_OK)
        STORE_DB_FAIL(st->db, rc, "cannot read %s (%s)", st->path, sql);
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW)
        STORE_DB_FAIL(st->db, rc, "cannot read %s (%s)", st->path, sql);
    *out = sqlite3_column_int(s, 0);
out:
    sqlite3_finalize(s);
    return err;
}

int hsmca_store_user_version(hsmca_store *st)
{
    int v = -1;

    if (pragma_int(st, "PRAGMA user_version", &v) != HSMCA_OK)
        return -1;
    return v;
}

/* Is this file ours (or new)? A database with tables but no hsmca version,
 * or another application's id, is not something to migrate over. version
 * -1: check the application id only. */
static hsmca_err check_foreign(hsmca_store *st, int version)
{
    hsmca_err err = HSMCA_OK;
    int app = 0, tables = 0;

    HSMCA_GUARD(pragma_int(st, "PRAGMA application_id", &app));
    HSMCA_ENSURE(app == 0 || app == HSMCA_STORE_APPLICATION_ID, HSMCA_E_STATE,
                 "%s belongs to another application (SQLite application_id 0x%08x); "
                 "hsmca will not use it as its store",
                 st->path, (unsigned)app);
    if (version == 0) {
        HSMCA_GUARD(pragma_int(st, "SELECT count(*) FROM sqlite_schema", &tables));
        HSMCA_ENSURE(tables == 0, HSMCA_E_STATE,
                     "%s holds %d schema objects but no hsmca schema version; it is not an "
                     "hsmca store (move it away to start a new one)",
                     st->path, tables);
    }
out:
    return err;
}

static hsmca_err exec(hsmca_store *st, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);

    sqlite3_free(msg); /* sqlite3_errmsg() has the same text */
    if (rc != SQLITE_OK)
        return hsmca_store_fail_db(st->db, rc, "%s", "statement failed");
    return HSMCA_OK;
}

static void rollback(hsmca_store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        (void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Apply migration i (version i -> i + 1) unless another process did first. */
static hsmca_err apply(hsmca_store *st, int i)
{
    hsmca_err err = HSMCA_OK;
    char sql[96];
    int version = 0;

    HSMCA_GUARD(exec(st, "BEGIN IMMEDIATE"));
    /* Re-read under the write lock: a concurrent hsmca may have migrated. */
    HSMCA_GUARD(pragma_int(st, "PRAGMA user_version", &version));
    if (version <= i) {
        HSMCA_GUARD(check_foreign(st, version));
        for (const char *const *q = migrations[i].sql; *q != NULL; q++)
            HSMCA_GUARD(exec(st, *q));
        /* PRAGMA takes no bound parameters; these are our own constants. */
        snprintf(sql, sizeof sql, "PRAGMA application_id = %ld; PRAGMA user_version = %d",
                 (long)HSMCA_STORE_APPLICATION_ID, i + 1);
        HSMCA_GUARD(exec(st, sql));
    }
    HSMCA_GUARD(exec(st, "COMMIT"));
out:
    if (err != HSMCA_OK) {
        rollback(st);
        hsmca_err_context("cannot migrate %s to schema version %d (%s)", st->path, i + 1,
                          migrations[i].what);
    }
    return err;
}

hsmca_err hsmca_store_migrate(hsmca_store *st)
{
    hsmca_err err = HSMCA_OK;
    int version = 0;

    HSMCA_GUARD(pragma_int(st, "PRAGMA user_version", &version));
    HSMCA_ENSURE(version >= 0, HSMCA_E_STATE, "%s has a negative schema version (%d)", st->path,
                 version);
    HSMCA_ENSURE(version <= N_MIGRATIONS, HSMCA_E_STATE,
                 "%s is at schema version %d, newer than this hsmca knows (%d): it was "
                 "written by a newer hsmca, which is needed to use it (a store is never "
                 "downgraded)",
                 st->path, version, N_MIGRATIONS);
    /* Only the application id here: whether a version-0 file is empty is
     * decided under the write lock (apply), since a concurrent first open
     * may be creating the schema right now. */
    HSMCA_GUARD(check_foreign(st, version > 0 ? version : -1));
    for (int i = version; i < N_MIGRATIONS; i++)
        HSMCA_GUARD(apply(st, i));
out:
    return err;
}
