/* hsmca — serials, precertificates, final certificates and SCTs in the store
 * (include/hsmca/store.h).
 *
 * Each function checks the serial's state and changes it in one BEGIN
 * IMMEDIATE transaction, so the check still holds when the row is written;
 * the UPDATEs also carry the expected state in their WHERE clause and must
 * change exactly one row, and the schema's triggers refuse any other
 * transition (schema.c). Three independent locks on one rule: a serial is
 * never reused and a precertificate gets at most one final certificate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* Longest SCT encoding: opaque SerializedSCT<1..2^16-1> (RFC 6962 §3.3). */
#define SCT_TLS_MAX 65535

static const char *const state_names[] = {
    [HSMCA_SERIAL_RESERVED] = "reserved",
    [HSMCA_SERIAL_PRECERT] = "precert",
    [HSMCA_SERIAL_FINAL] = "final",
};

const char *hsmca_store_serial_state_name(hsmca_serial_state s)
{
    if (s < HSMCA_SERIAL_RESERVED || s > HSMCA_SERIAL_FINAL)
        return "unknown";
    return state_names[s];
}

hsmca_serial_state hsmca_store_state_from_text(const unsigned char *t)
{
    for (int s = HSMCA_SERIAL_RESERVED; s <= HSMCA_SERIAL_FINAL; s++) {
        if (t != NULL && strcmp((const char *)t, state_names[s]) == 0)
            return (hsmca_serial_state)s;
    }
    return (hsmca_serial_state)0;
}

/* The statements of one call, prepared on first use and reused for every
 * row of a batch (sqlite3_reset between rows); finalized by stmts_free. */
typedef struct cert_stmts {
    sqlite3_stmt *state, *reserve, *precert, *final, *sct;  /* writes */
    sqlite3_stmt *claim, *claimed;
    sqlite3_stmt *row, *sct_rows;                            /* reads */
} cert_stmts;

static void stmts_free(cert_stmts *cs)
{
    sqlite3_finalize(cs->state);
    sqlite3_finalize(cs->reserve);
    sqlite3_finalize(cs->precert);
    sqlite3_finalize(cs->final);
    sqlite3_finalize(cs->sct);
    sqlite3_finalize(cs->claim);
    sqlite3_finalize(cs->claimed);
    sqlite3_finalize(cs->row);
    sqlite3_finalize(cs->sct_rows);
    memset(cs, 0, sizeof *cs);
}

/* *slot ready for new bindings: prepared now, or reset if it was. */
static hsmca_err stmt(store_op *op, sqlite3_stmt **slot, const char *sql)
{
    if (*slot != NULL) {
        sqlite3_reset(*slot);
        sqlite3_clear_bindings(*slot);
        return HSMCA_OK;
    }
    return hsmca_store_op_prepare(op, sql, slot);
}

/* The serial's state (0 when the issuer never reserved it). Inside op. */
static hsmca_err serial_state(store_op *op, cert_stmts *cs, int64_t issuer_id,
                              const uint8_t *serial, size_t serial_len, hsmca_serial_state *out)
{
    hsmca_err err = HSMCA_OK;
    sqlite3_stmt *s;
    int rc;

    *out = (hsmca_serial_state)0;
    HSMCA_GUARD(stmt(op, &cs->state,
                     "SELECT state FROM serials WHERE issuer_id = ?1 AND serial = ?2"));
    s = cs->state;
    rc = hsmca_store_bind_serial(s, issuer_id, serial, serial_len);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *out = hsmca_store_state_from_text(sqlite3_column_text(s, 0));
        HSMCA_ENSURE(*out != 0, HSMCA_E_INTERNAL, "%s: the stored state is unknown", op->what);
    } else if (rc != SQLITE_DONE) {
        STORE_OP_FAIL(op, rc);
    }
out:
    if (cs->state != NULL)
        sqlite3_reset(cs->state);
    return err;
}

/* Run an INSERT/UPDATE whose parameters are bound; *changes = rows. */
static hsmca_err run(store_op *op, sqlite3_stmt *s, int rc, int *changes)
{
    hsmca_err err = HSMCA_OK;

    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc != SQLITE_DONE)
        STORE_OP_FAIL(op, rc);
    if (changes != NULL)
        *changes = sqlite3_changes(op->db);
out:
    sqlite3_reset(s);
    return err;
}

/* Every serial of a batch well-formed; *bad = the index of the first that
 * is not (unchanged when all are). */
static hsmca_err check_serials(const hsmca_store_serial *v, size_t n, size_t *bad)
{
    for (size_t i = 0; i < n; i++) {
        hsmca_err err = hsmca_store_check_serial(v[i].b, v[i].len);
        if (err != HSMCA_OK) {
            *bad = i;
            return err;
        }
    }
    return HSMCA_OK;
}

/* End a batch's transaction: COMMIT, or ROLLBACK when err is set.
 * *out_index (when asked for) is i, the row that failed, or n when none
 * did. */
static hsmca_err batch_end(store_op *op, cert_stmts *cs, hsmca_err err, size_t i, size_t n,
                           size_t *out_index)
{
    stmts_free(cs);
    err = hsmca_store_op_end(op, err);
    if (out_index != NULL)
        *out_index = err != HSMCA_OK ? i : n;
    return err;
}

/* "cannot record the <kind> for serial <hex> of issuer '<name>'": how the
 * messages about one row of a batch start. */
static void row_what(char *what, size_t len, const char *kind, const hsmca_store_serial *sn,
                     const char *name)
{
    char hex[HSMCA_STORE_HEX_MAX];

    hsmca_store_hex(sn->b, sn->len, hex);
    snprintf(what, len, "cannot record the %s for serial %s of issuer '%s'", kind, hex, name);
}

/* Begin the write transaction that records n (>= 1) certificates of one
 * kind ("precertificate", "final certificate") for the issuer, whose name
 * goes into name: the messages of a single one name its serial (first),
 * those of a batch its size. */
static hsmca_err record_begin(store_op *op, hsmca_store *st, int64_t issuer_id, const char *kind,
                              const hsmca_store_serial *first, size_t n, char *name)
{
    hsmca_err err = HSMCA_OK;
    char what[sizeof op->what];

    snprintf(what, sizeof what, n == 1 ? "cannot record a %s" : "cannot record %ss", kind);
    HSMCA_GUARD(hsmca_store_issuer_name(st, issuer_id, what, name));
    if (n == 1) {
        row_what(what, sizeof what, kind, first, name);
        err = hsmca_store_op_begin(op, st, 1, "%s", what);
    } else {
        err = hsmca_store_op_begin(op, st, 1, "cannot record %zu %ss of issuer '%s'", n, kind,
                                   name);
    }
out:
    return err;
}

/* One serial into the batch form; a malformed one is reported as the
 * single-row functions always did. */
static hsmca_err serial_of(const uint8_t *serial, size_t serial_len, hsmca_store_serial *out)
{
    hsmca_err err = hsmca_store_check_serial(serial, serial_len);

    if (err != HSMCA_OK)
        return err;
    memset(out, 0, sizeof *out);
    memcpy(out->b, serial, serial_len);
    out->len = serial_len;
    return HSMCA_OK;
}

hsmca_err hsmca_store_serials_reserve(hsmca_store *st, int64_t issuer_id,
                                      const hsmca_store_serial *serials, size_t n, hsmca_time now,
                                      size_t *out_index)
{
    hsmca_err err = HSMCA_OK;
    store_op op = {0};
    cert_stmts cs = {0};
    char hex[HSMCA_STORE_HEX_MAX], name[HSMCA_STORE_NAME_MAX + 1];
    hsmca_serial_state state;
    size_t i = n;
    int rc;

    HSMCA_ENSURE(n == 0 || serials != NULL, HSMCA_E_USAGE,
                 "hsmca_store_serials_reserve: %zu serials announced, none given", n);
    HSMCA_GUARD(check_serials(serials, n, &i));
    if (n == 0)
        goto out;
    hsmca_store_hex(serials[0].b, serials[0].len, hex);
    HSMCA_GUARD(hsmca_store_issuer_name(st, issuer_id,
                                        n == 1 ? "cannot reserve a serial"
                                               : "cannot reserve serials", name));
    if (n == 1)
        err = hsmca_store_op_begin(&op, st, 1, "cannot reserve serial %s for issuer '%s'", hex,
                                   name);
    else
        err = hsmca_store_op_begin(&op, st, 1, "cannot reserve %zu serials for issuer '%s'", n,
                                   name);
    HSMCA_GUARD(err);
    /* One transaction for the batch: all reserved at one durable commit, or
     * none (the first used serial rolls the others back). A serial given
     * twice is found used by its second row. */
    for (i = 0; i < n; i++) {
        const hsmca_store_serial *sn = &serials[i];

        hsmca_store_hex(sn->b, sn->len, hex);
        HSMCA_GUARD(serial_state(&op, &cs, issuer_id, sn->b, sn->len, &state));
        HSMCA_ENSURE(state == 0, HSMCA_E_EXISTS,
                     "serial %s of issuer '%s' is already used (state %s); a serial is never "
                     "reused",
                     hex, name, hsmca_store_serial_state_name(state));
        HSMCA_GUARD(stmt(&op, &cs.reserve,
                         "INSERT INTO serials (issuer_id, serial, state, reserved_at)"
                         " VALUES (?1, ?2, 'reserved', ?3)"));
        rc = hsmca_store_bind_serial(cs.reserve, issuer_id, sn->b, sn->len);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(cs.reserve, 3, now);
        HSMCA_GUARD(run(&op, cs.reserve, rc, NULL));
        HSMCA_GUARD(hsmca_store_op_event(&op, issuer_id, sn->b, sn->len, "reserve", NULL, now));
    }
out:
    return batch_end(&op, &cs, err, i, n, out_index);
}

hsmca_err hsmca_store_serial_reserve(hsmca_store *st, int64_t issuer_id, const uint8_t *serial,
                                     size_t serial_len, hsmca_time now)
{
    hsmca_store_serial sn;
    hsmca_err err = serial_of(serial, serial_len, &sn);

    return err != HSMCA_OK ? err : hsmca_store_serials_reserve(st, issuer_id, &sn, 1, now, NULL);
}

/* The checks a precertificate row needs before any transaction. */
static hsmca_err check_precert(const hsmca_store_precert *r)
{
    hsmca_err err = HSMCA_OK;
    char hex[HSMCA_STORE_HEX_MAX], nb[32], na[32];

    HSMCA_GUARD(hsmca_store_check_serial(r->serial.b, r->serial.len));
    hsmca_store_hex(r->serial.b, r->serial.len, hex);
    HSMCA_ENSURE(r->der != NULL && r->der_len > 0, HSMCA_E_INPUT,
                 "no precertificate given for serial %s", hex);
    HSMCA_ENSURE(r->not_after >= r->not_before, HSMCA_E_INPUT,
                 "the precertificate for serial %s ends (%s) before it begins (%s)", hex,
                 hsmca_clock_format(r->not_after, na, sizeof na),
                 hsmca_clock_format(r->not_before, nb, sizeof nb));
out:
    return err;
}

hsmca_err hsmca_store_precerts_record(hsmca_store *st, int64_t issuer_id,
                                      const hsmca_store_precert *recs, size_t n, hsmca_time now,
                                      size_t *out_index)
{
    hsmca_err err = HSMCA_OK;
    store_op op = {0};
    cert_stmts cs = {0};
    char name[HSMCA_STORE_NAME_MAX + 1];
    char nb[32], na[32], detail[96], what[sizeof op.what];
    hsmca_serial_state state;
    size_t i = 0;
    int rc, changes = 0;

    HSMCA_ENSURE(n == 0 || recs != NULL, HSMCA_E_USAGE,
                 "hsmca_store_precerts_record: %zu precertificates announced, none given", n);
    for (i = 0; i < n; i++)
        HSMCA_GUARD(check_precert(&recs[i]));
    if (n == 0)
        goto out;
    HSMCA_GUARD(record_begin(&op, st, issuer_id, "precertificate", &recs[0].serial, n, name));
    for (i = 0; i < n; i++) {
        const hsmca_store_precert *r = &recs[i];

        /* Row messages name the serial, as the one-row call does. */
        row_what(what, sizeof what, "precertificate", &r->serial, name);
        HSMCA_GUARD(serial_state(&op, &cs, issuer_id, r->serial.b, r->serial.len, &state));
        HSMCA_ENSURE(state != 0, HSMCA_E_STATE,
                     "%s: the serial was never reserved (reserve it before the token signs)",
                     what);
        HSMCA_ENSURE(state == HSMCA_SERIAL_RESERVED, HSMCA_E_STATE,
                     "%s: it already has one (state %s)", what,
                     hsmca_store_serial_state_name(state));
        HSMCA_GUARD(stmt(&op, &cs.precert,
                         "UPDATE serials SET state = 'precert', precert_der = ?3, "
                         "not_before = ?4, not_after = ?5, precert_at = ?6 "
                         "WHERE issuer_id = ?1 AND serial = ?2 AND state = 'reserved'"));
        rc = hsmca_store_bind_serial(cs.precert, issuer_id, r->serial.b, r->serial.len);
        if (rc == SQLITE_OK)
            rc = hsmca_store_bind_blob(cs.precert, 3, r->der, r->der_len);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(cs.precert, 4, r->not_before);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(cs.precert, 5, r->not_after);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(cs.precert, 6, now);
        HSMCA_GUARD(run(&op, cs.precert, rc, &changes));
        HSMCA_ENSURE(changes == 1, HSMCA_E_STATE, "%s: the serial is no longer reserved", what);
        snprintf(detail, sizeof detail, "not_before=%s not_after=%s",
                 hsmca_clock_format(r->not_before, nb, sizeof nb),
                 hsmca_clock_format(r->not_after, na, sizeof na));
        HSMCA_GUARD(hsmca_store_op_event(&op, issuer_id, r->serial.b, r->serial.len, "precert",
                                         detail, now));
    }
out:
    return batch_end(&op, &cs, err, i, n, out_index);
}

hsmca_err hsmca_store_precert_record(hsmca_store *st, int64_t issuer_id, const uint8_t *serial,
                                     size_t serial_len, const uint8_t *der, size_t der_len,
                                     hsmca_time not_before, hsmca_time not_after, hsmca_time now)
{
    hsmca_store_precert r;
    hsmca_err err = serial_of(serial, serial_len, &r.serial);

    if (err != HSMCA_OK)
        return err;
    r.der = der;
    r.der_len = der_len;
    r.not_before = not_before;
    r.not_after = not_after;
    return hsmca_store_precerts_record(st, issuer_id, &r, 1, now, NULL);
}

static hsmca_err check_scts(const hsmca_store_sct *scts, size_t n, const char *hex)
{
    if (n > 0 && scts == NULL)
        return hsmca_err_setf(HSMCA_E_USAGE, "%zu SCTs announced for serial %s but none given", n,
                              hex);
    for (size_t i = 0; i < n; i++) {
        if (scts[i].tls == NULL || scts[i].tls_len == 0 || scts[i].tls_len > SCT_TLS_MAX)
            return hsmca_err_setf(HSMCA_E_INPUT,
                                  "SCT %zu for serial %s has no encoding or one longer than "
                                  "%d octets (RFC 6962 §3.3)",
                                  i + 1, hex, SCT_TLS_MAX);
    }
    return HSMCA_OK;
}

static hsmca_err check_final(const hsmca_store_final *r)
{
    hsmca_err err = HSMCA_OK;
    char hex[HSMCA_STORE_HEX_MAX];

    HSMCA_GUARD(hsmca_store_check_serial(r->serial.b, r->serial.len));
    hsmca_store_hex(r->serial.b, r->serial.len, hex);
    HSMCA_ENSURE(r->der != NULL && r->der_len > 0, HSMCA_E_INPUT,
                 "no final certificate given for serial %s", hex);
    HSMCA_GUARD(check_scts(r->scts, r->n_scts, hex));
out:
    return err;
}

static hsmca_err insert_scts(store_op *op, cert_stmts *cs, int64_t issuer_id,
                             const uint8_t *serial, size_t serial_len, const hsmca_store_sct *scts,
                             size_t n)
{
    hsmca_err err = HSMCA_OK;
    int rc;

    for (size_t i = 0; i < n; i++) {
        HSMCA_GUARD(stmt(op, &cs->sct,
                         "INSERT INTO scts (issuer_id, serial, position, log_id, timestamp, "
                         "tls) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
        rc = hsmca_store_bind_serial(cs->sct, issuer_id, serial, serial_len);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(cs->sct, 3, (sqlite3_int64)i);
        if (rc == SQLITE_OK)
            rc = hsmca_store_bind_blob(cs->sct, 4, scts[i].log_id, sizeof scts[i].log_id);
        /* SQLite integers are signed 64-bit: store the bits, read them back
         * as uint64_t. Real timestamps (ms since 1970) are far below 2^63. */
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(cs->sct, 5, (sqlite3_int64)scts[i].timestamp);
        if (rc == SQLITE_OK)
            rc = hsmca_store_bind_blob(cs->sct, 6, scts[i].tls, scts[i].tls_len);
        HSMCA_GUARD(run(op, cs->sct, rc, NULL));
    }
out:
    return err;
}

/* The TBS hash claimed for a serial, if any (*out_claimed 0: none). */
static hsmca_err claimed_hash(store_op *op, cert_stmts *cs, int64_t issuer_id,
                              const hsmca_store_serial *sn, uint8_t out[32], int *out_claimed)
{
    hsmca_err err = HSMCA_OK;
    int rc;

    *out_claimed = 0;
    HSMCA_GUARD(stmt(op, &cs->claimed,
                     "SELECT tbs_sha256 FROM final_claims WHERE issuer_id = ?1 AND serial = ?2"));
    rc = hsmca_store_bind_serial(cs->claimed, issuer_id, sn->b, sn->len);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(cs->claimed);
    if (rc == SQLITE_ROW) {
        HSMCA_ENSURE(sqlite3_column_bytes(cs->claimed, 0) == 32, HSMCA_E_INTERNAL,
                     "%s: the stored claim is not a SHA-256", op->what);
        memcpy(out, sqlite3_column_blob(cs->claimed, 0), 32);
        *out_claimed = 1;
    } else if (rc != SQLITE_DONE) {
        STORE_OP_FAIL(op, rc);
    }
out:
    if (cs->claimed != NULL)
        sqlite3_reset(cs->claimed);
    return err;
}

hsmca_err hsmca_store_finals_claim(hsmca_store *st, int64_t issuer_id,
                                   const hsmca_store_final_claim *claims, size_t n,
                                   hsmca_time now, size_t *out_index)
{
    hsmca_err err = HSMCA_OK;
    store_op op = {0};
    cert_stmts cs = {0};
    char name[HSMCA_STORE_NAME_MAX + 1], hex[HSMCA_STORE_HEX_MAX], what[sizeof op.what];
    hsmca_serial_state state;
    uint8_t prior[32];
    size_t i = 0;
    int rc, claimed = 0;

    HSMCA_ENSURE(n == 0 || claims != NULL, HSMCA_E_USAGE,
                 "hsmca_store_finals_claim: %zu claims announced, none given", n);
    for (i = 0; i < n; i++)
        HSMCA_GUARD(hsmca_store_check_serial(claims[i].serial.b, claims[i].serial.len));
    if (n == 0)
        goto out;
    HSMCA_GUARD(hsmca_store_issuer_name(st, issuer_id, "cannot claim a final certificate", name));
    if (n == 1) {
        hsmca_store_hex(claims[0].serial.b, claims[0].serial.len, hex);
        err = hsmca_store_op_begin(&op, st, 1, "cannot claim serial %s of issuer '%s' for its "
                                   "final certificate", hex, name);
    } else {
        err = hsmca_store_op_begin(&op, st, 1, "cannot claim %zu final certificates of issuer "
                                   "'%s'", n, name);
    }
    HSMCA_GUARD(err);
    for (i = 0; i < n; i++) {
        const hsmca_store_final_claim *c = &claims[i];

        hsmca_store_hex(c->serial.b, c->serial.len, hex);
        snprintf(what, sizeof what, "cannot claim serial %s of issuer '%s' for its final "
                 "certificate", hex, name);
        HSMCA_GUARD(serial_state(&op, &cs, issuer_id, c->serial.b, c->serial.len, &state));
        HSMCA_ENSURE(state != 0, HSMCA_E_STATE, "%s: the serial was never reserved", what);
        HSMCA_ENSURE(state != HSMCA_SERIAL_RESERVED, HSMCA_E_STATE,
                     "%s: it has no precertificate (state reserved)", what);
        HSMCA_ENSURE(state != HSMCA_SERIAL_FINAL, HSMCA_E_EXISTS,
                     "%s: it already has one, and a precertificate gets at most one final "
                     "certificate", what);
        HSMCA_GUARD(claimed_hash(&op, &cs, issuer_id, &c->serial, prior, &claimed));
        if (claimed) {
            /* BR 7.1.2.9: the token may already have signed the claimed
             * final; only that one may be signed (again) and recorded. */
            HSMCA_ENSURE(memcmp(prior, c->tbs_sha256, 32) == 0, HSMCA_E_EXISTS,
                         "%s: another final (with other SCTs) was claimed for it before, and "
                         "the token may have signed it; a precertificate gets one final, so "
                         "finish it with the same SCTs in the same order (hsmca issue final "
                         "--serial without --sct uses the claimed ones)", what);
            continue;
        }
        HSMCA_GUARD(stmt(&op, &cs.claim,
                         "INSERT INTO final_claims (issuer_id, serial, tbs_sha256, claimed_at, "
                         "sct_list) VALUES (?1, ?2, ?3, ?4, ?5)"));
        rc = hsmca_store_bind_serial(cs.claim, issuer_id, c->serial.b, c->serial.len);
        if (rc == SQLITE_OK)
            rc = hsmca_store_bind_blob(cs.claim, 3, c->tbs_sha256, 32);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(cs.claim, 4, now);
        if (rc == SQLITE_OK)
            rc = c->sct_list != NULL && c->sct_list_len > 0
                     ? hsmca_store_bind_blob(cs.claim, 5, c->sct_list, c->sct_list_len)
                     : sqlite3_bind_null(cs.claim, 5);
        HSMCA_GUARD(run(&op, cs.claim, rc, NULL));
        HSMCA_GUARD(hsmca_store_op_event(&op, issuer_id, c->serial.b, c->serial.len,
                                         "final-claim", NULL, now));
    }
out:
    return batch_end(&op, &cs, err, i, n, out_index);
}

hsmca_err hsmca_store_finals_record(hsmca_store *st, int64_t issuer_id,
                                    const hsmca_store_final *recs, size_t n, hsmca_time now,
                                    size_t *out_index)
{
    hsmca_err err = HSMCA_OK;
    store_op op = {0};
    cert_stmts cs = {0};
    char name[HSMCA_STORE_NAME_MAX + 1], detail[64], what[sizeof op.what];
    hsmca_serial_state state;
    uint8_t claim[32];
    size_t i = 0;
    int rc, changes = 0, claimed = 0;

    HSMCA_ENSURE(n == 0 || recs != NULL, HSMCA_E_USAGE,
                 "hsmca_store_finals_record: %zu final certificates announced, none given", n);
    for (i = 0; i < n; i++)
        HSMCA_GUARD(check_final(&recs[i]));
    if (n == 0)
        goto out;
    HSMCA_GUARD(record_begin(&op, st, issuer_id, "final certificate", &recs[0].serial, n, name));
    for (i = 0; i < n; i++) {
        const hsmca_store_final *r = &recs[i];

        row_what(what, sizeof what, "final certificate", &r->serial, name);
        HSMCA_GUARD(serial_state(&op, &cs, issuer_id, r->serial.b, r->serial.len, &state));
        HSMCA_ENSURE(state != 0, HSMCA_E_STATE, "%s: the serial was never reserved", what);
        HSMCA_ENSURE(state != HSMCA_SERIAL_RESERVED, HSMCA_E_STATE,
                     "%s: it has no precertificate (state reserved)", what);
        /* A second final in the same batch finds the first one's row. */
        HSMCA_ENSURE(state != HSMCA_SERIAL_FINAL, HSMCA_E_EXISTS,
                     "%s: it already has one, and a precertificate gets at most one final "
                     "certificate",
                     what);
        /* A claimed serial takes only the claimed final (the
         * serials_final_as_claimed trigger refuses another; say so first). */
        HSMCA_GUARD(claimed_hash(&op, &cs, issuer_id, &r->serial, claim, &claimed));
        HSMCA_ENSURE(!claimed || (r->tbs_sha256 != NULL && memcmp(claim, r->tbs_sha256, 32) == 0),
                     HSMCA_E_EXISTS,
                     "%s: it differs from the final claimed for the serial before signing",
                     what);
        HSMCA_GUARD(stmt(&op, &cs.final,
                         "UPDATE serials SET state = 'final', final_der = ?3, final_at = ?4, "
                         "final_tbs_sha256 = ?5 "
                         "WHERE issuer_id = ?1 AND serial = ?2 AND state = 'precert'"));
        rc = hsmca_store_bind_serial(cs.final, issuer_id, r->serial.b, r->serial.len);
        if (rc == SQLITE_OK)
            rc = hsmca_store_bind_blob(cs.final, 3, r->der, r->der_len);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(cs.final, 4, now);
        if (rc == SQLITE_OK)
            rc = r->tbs_sha256 != NULL ? hsmca_store_bind_blob(cs.final, 5, r->tbs_sha256, 32)
                                       : sqlite3_bind_null(cs.final, 5);
        HSMCA_GUARD(run(&op, cs.final, rc, &changes));
        HSMCA_ENSURE(changes == 1, HSMCA_E_EXISTS, "%s: it is no longer a precertificate alone",
                     what);
        HSMCA_GUARD(insert_scts(&op, &cs, issuer_id, r->serial.b, r->serial.len, r->scts,
                                r->n_scts));
        snprintf(detail, sizeof detail, "scts=%zu", r->n_scts);
        HSMCA_GUARD(hsmca_store_op_event(&op, issuer_id, r->serial.b, r->serial.len, "final",
                                         detail, now));
    }
out:
    return batch_end(&op, &cs, err, i, n, out_index);
}

hsmca_err hsmca_store_final_record(hsmca_store *st, int64_t issuer_id, const uint8_t *serial,
                                   size_t serial_len, const uint8_t *der, size_t der_len,
                                   const hsmca_store_sct *scts, size_t n_scts, hsmca_time now)
{
    hsmca_store_final r;
    hsmca_err err = serial_of(serial, serial_len, &r.serial);

    if (err != HSMCA_OK)
        return err;
    r.der = der;
    r.der_len = der_len;
    r.scts = scts;
    r.n_scts = n_scts;
    r.tbs_sha256 = NULL;
    return hsmca_store_finals_record(st, issuer_id, &r, 1, now, NULL);
}

void hsmca_store_cert_free(hsmca_store_cert *c)
{
    if (c == NULL)
        return;
    free(c->precert_der);
    free(c->final_der);
    free(c->claim_sct_list);
    for (size_t i = 0; c->scts != NULL && i < c->n_scts; i++)
        free(c->scts[i].tls);
    free(c->scts);
    free(c);
}

static hsmca_err read_scts(store_op *op, cert_stmts *cs, hsmca_store_cert *c)
{
    hsmca_err err = HSMCA_OK;
    sqlite3_stmt *s;
    size_t cap = 0;
    int rc;

    HSMCA_GUARD(stmt(op, &cs->sct_rows,
                     "SELECT log_id, timestamp, tls FROM scts "
                     "WHERE issuer_id = ?1 AND serial = ?2 ORDER BY position"));
    s = cs->sct_rows;
    rc = hsmca_store_bind_serial(s, c->issuer_id, c->serial, c->serial_len);
    if (rc != SQLITE_OK)
        STORE_OP_FAIL(op, rc);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        hsmca_store_sct *sct;
        const void *id;
        if (c->n_scts == cap) {
            size_t ncap = cap == 0 ? 4 : 2 * cap;
            hsmca_store_sct *nv = realloc(c->scts, ncap * sizeof *nv);
            HSMCA_ALLOC(nv);
            c->scts = nv;
            cap = ncap;
        }
        sct = &c->scts[c->n_scts];
        memset(sct, 0, sizeof *sct);
        id = sqlite3_column_blob(s, 0);
        HSMCA_ENSURE(id != NULL && sqlite3_column_bytes(s, 0) == (int)sizeof sct->log_id,
                     HSMCA_E_INTERNAL, "%s: a stored SCT has a malformed log id", op->what);
        memcpy(sct->log_id, id, sizeof sct->log_id);
        sct->timestamp = (uint64_t)sqlite3_column_int64(s, 1);
        c->n_scts++;
        HSMCA_GUARD(hsmca_store_col_blob(s, 2, &sct->tls, &sct->tls_len));
    }
    if (rc != SQLITE_DONE)
        STORE_OP_FAIL(op, rc);
out:
    if (cs->sct_rows != NULL)
        sqlite3_reset(cs->sct_rows);
    return err;
}

/* One serial's record inside op; *out NULL when the issuer never reserved
 * it. */
static hsmca_err cert_read(store_op *op, cert_stmts *cs, int64_t issuer_id, const uint8_t *serial,
                           size_t serial_len, hsmca_store_cert **out)
{
    hsmca_err err = HSMCA_OK;
    sqlite3_stmt *s;
    hsmca_store_cert *c = NULL;
    int rc;

    *out = NULL;
    HSMCA_GUARD(stmt(
        op, &cs->row,
        "SELECT s.state, s.reserved_at, s.precert_der, s.not_before, s.not_after, s.final_der,"
        " r.serial IS NOT NULL, r.revoked_at, r.reason,"
        " c.serial IS NOT NULL, c.claimed_at, c.sct_list "
        "FROM serials AS s LEFT JOIN revocations AS r"
        " ON r.issuer_id = s.issuer_id AND r.serial = s.serial "
        "LEFT JOIN final_claims AS c ON c.issuer_id = s.issuer_id AND c.serial = s.serial "
        "WHERE s.issuer_id = ?1 AND s.serial = ?2"));
    s = cs->row;
    rc = hsmca_store_bind_serial(s, issuer_id, serial, serial_len);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc == SQLITE_DONE)
        goto out;
    if (rc != SQLITE_ROW)
        STORE_OP_FAIL(op, rc);
    c = calloc(1, sizeof *c);
    HSMCA_ALLOC(c);
    c->issuer_id = issuer_id;
    memcpy(c->serial, serial, serial_len);
    c->serial_len = serial_len;
    c->state = hsmca_store_state_from_text(sqlite3_column_text(s, 0));
    HSMCA_ENSURE(c->state != 0, HSMCA_E_INTERNAL, "%s: the stored state is unknown", op->what);
    c->reserved_at = sqlite3_column_int64(s, 1);
    HSMCA_GUARD(hsmca_store_col_blob(s, 2, &c->precert_der, &c->precert_len));
    c->not_before = sqlite3_column_int64(s, 3); /* NULL reads as 0 */
    c->not_after = sqlite3_column_int64(s, 4);
    HSMCA_GUARD(hsmca_store_col_blob(s, 5, &c->final_der, &c->final_len));
    c->revoked = sqlite3_column_int(s, 6);
    c->revoked_at = c->revoked ? sqlite3_column_int64(s, 7) : 0;
    c->reason = c->revoked && sqlite3_column_type(s, 8) != SQLITE_NULL ? sqlite3_column_int(s, 8)
                                                                       : -1;
    c->claimed = sqlite3_column_int(s, 9);
    c->claimed_at = c->claimed ? sqlite3_column_int64(s, 10) : 0;
    HSMCA_GUARD(hsmca_store_col_blob(s, 11, &c->claim_sct_list, &c->claim_sct_list_len));
    sqlite3_reset(s);
    if (c->state == HSMCA_SERIAL_FINAL)
        HSMCA_GUARD(read_scts(op, cs, c));
    *out = c;
    c = NULL;
out:
    if (cs->row != NULL)
        sqlite3_reset(cs->row);
    hsmca_store_cert_free(c);
    return err;
}

hsmca_err hsmca_store_cert_get(hsmca_store *st, int64_t issuer_id, const uint8_t *serial,
                               size_t serial_len, hsmca_store_cert **out)
{
    hsmca_err err = HSMCA_OK;
    store_op op = {0};
    cert_stmts cs = {0};
    hsmca_store_cert *c = NULL;
    char hex[HSMCA_STORE_HEX_MAX], name[HSMCA_STORE_NAME_MAX + 1];

    HSMCA_ENSURE(out != NULL, HSMCA_E_USAGE, "hsmca_store_cert_get: no output");
    *out = NULL;
    HSMCA_GUARD(hsmca_store_check_serial(serial, serial_len));
    hsmca_store_hex(serial, serial_len, hex);
    HSMCA_GUARD(hsmca_store_issuer_name(st, issuer_id, "cannot read a serial", name));
    HSMCA_GUARD(
        hsmca_store_op_begin(&op, st, 0, "cannot read serial %s of issuer '%s'", hex, name));
    HSMCA_GUARD(cert_read(&op, &cs, issuer_id, serial, serial_len, &c));
    HSMCA_ENSURE(c != NULL, HSMCA_E_NOT_FOUND, "issuer '%s' never reserved serial %s", name,
                 hex);
    *out = c;
    c = NULL;
out:
    stmts_free(&cs);
    hsmca_store_cert_free(c);
    return hsmca_store_op_end(&op, err);
}

hsmca_err hsmca_store_certs_get(hsmca_store *st, int64_t issuer_id,
                                const hsmca_store_serial *serials, size_t n,
                                hsmca_store_cert **out)
{
    hsmca_err err = HSMCA_OK;
    store_op op = {0};
    cert_stmts cs = {0};
    char name[HSMCA_STORE_NAME_MAX + 1];
    size_t bad = 0;

    HSMCA_ENSURE(n == 0 || (serials != NULL && out != NULL), HSMCA_E_USAGE,
                 "hsmca_store_certs_get: %zu serials announced, no serials or no output", n);
    for (size_t i = 0; i < n; i++)
        out[i] = NULL;
    HSMCA_GUARD(check_serials(serials, n, &bad));
    if (n == 0)
        goto out;
    HSMCA_GUARD(hsmca_store_issuer_name(st, issuer_id, "cannot read serials", name));
    /* One read transaction: every record from the same WAL snapshot. */
    HSMCA_GUARD(hsmca_store_op_begin(&op, st, 0, "cannot read %zu serials of issuer '%s'", n,
                                     name));
    for (size_t i = 0; i < n; i++)
        HSMCA_GUARD(cert_read(&op, &cs, issuer_id, serials[i].b, serials[i].len, &out[i]));
out:
    stmts_free(&cs);
    if (err != HSMCA_OK && out != NULL) {
        for (size_t i = 0; i < n; i++) {
            hsmca_store_cert_free(out[i]);
            out[i] = NULL;
        }
    }
    return hsmca_store_op_end(&op, err);
}

hsmca_err hsmca_store_count(hsmca_store *st, int64_t issuer_id, hsmca_serial_state state,
                            size_t *out)
{
    hsmca_err err = HSMCA_OK;
    store_op op = {0};
    sqlite3_stmt *s = NULL;
    char name[HSMCA_STORE_NAME_MAX + 1];
    int rc;

    HSMCA_ENSURE(out != NULL, HSMCA_E_USAGE, "hsmca_store_count: no output");
    *out = 0;
    HSMCA_ENSURE(state >= HSMCA_SERIAL_RESERVED && state <= HSMCA_SERIAL_FINAL, HSMCA_E_USAGE,
                 "hsmca_store_count: unknown serial state %d", (int)state);
    HSMCA_GUARD(hsmca_store_issuer_name(st, issuer_id, "cannot count serials", name));
    HSMCA_GUARD(hsmca_store_op_begin(&op, st, 0, "cannot count the %s serials of issuer '%s'",
                                     hsmca_store_serial_state_name(state), name));
    HSMCA_GUARD(hsmca_store_op_prepare(
        &op, "SELECT count(*) FROM serials WHERE issuer_id = ?1 AND state = ?2", &s));
    rc = sqlite3_bind_int64(s, 1, issuer_id);
    if (rc == SQLITE_OK)
        rc = hsmca_store_bind_text(s, 2, hsmca_store_serial_state_name(state));
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc != SQLITE_ROW)
        STORE_OP_FAIL(&op, rc);
    *out = (size_t)sqlite3_column_int64(s, 0);
out:
    sqlite3_finalize(s);
    return hsmca_store_op_end(&op, err);
}
