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

static hsmca_serial_state state_from_text(const unsigned char *t)
{
    for (int s = HSMCA_SERIAL_RESERVED; s <= HSMCA_SERIAL_FINAL; s++) {
        if (t != NULL && strcmp((const char *)t, state_names[s]) == 0)
            return (hsmca_serial_state)s;
    }
    return (hsmca_serial_state)0;
}

/* The serial's state (0 when the issuer never reserved it). Inside op. */
static hsmca_err serial_state(store_op *op, int64_t issuer_id, const uint8_t *serial,
                              size_t serial_len, hsmca_serial_state *out)
{
    hsmca_err err = HSMCA_OK;
    sqlite3_stmt *s = NULL;
    int rc;

    *out = (hsmca_serial_state)0;
    HSMCA_GUARD(hsmca_store_op_prepare(
        op, "SELECT state FROM serials WHERE issuer_id = ?1 AND serial = ?2", &s));
    rc = sqlite3_bind_int64(s, 1, issuer_id);
    if (rc == SQLITE_OK)
        rc = hsmca_store_bind_blob(s, 2, serial, serial_len);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *out = state_from_text(sqlite3_column_text(s, 0));
        HSMCA_ENSURE(*out != 0, HSMCA_E_INTERNAL, "%s: the stored state is unknown", op->what);
    } else if (rc != SQLITE_DONE) {
        STORE_OP_FAIL(op, rc);
    }
out:
    sqlite3_finalize(s);
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
        *changes = sqlite3_changes(op->st->db);
out:
    return err;
}

hsmca_err hsmca_store_serial_reserve(hsmca_store *st, int64_t issuer_id, const uint8_t *serial,
                                     size_t serial_len, hsmca_time now)
{
    hsmca_err err = HSMCA_OK;
    store_op op = {0};
    sqlite3_stmt *s = NULL;
    char hex[HSMCA_STORE_HEX_MAX], name[HSMCA_STORE_NAME_MAX + 1];
    hsmca_serial_state state;
    int rc;

    HSMCA_GUARD(hsmca_store_check_serial(serial, serial_len));
    hsmca_store_hex(serial, serial_len, hex);
    HSMCA_GUARD(hsmca_store_issuer_name(st, issuer_id, "cannot reserve a serial", name));
    HSMCA_GUARD(hsmca_store_op_begin(&op, st, 1, "cannot reserve serial %s for issuer '%s'", hex,
                                     name));
    HSMCA_GUARD(serial_state(&op, issuer_id, serial, serial_len, &state));
    HSMCA_ENSURE(state == 0, HSMCA_E_EXISTS,
                 "serial %s of issuer '%s' is already used (state %s); a serial is never "
                 "reused",
                 hex, name, hsmca_store_serial_state_name(state));
    HSMCA_GUARD(hsmca_store_op_prepare(&op,
                                       "INSERT INTO serials (issuer_id, serial, state, reserved_at)"
                                       " VALUES (?1, ?2, 'reserved', ?3)",
                                       &s));
    rc = sqlite3_bind_int64(s, 1, issuer_id);
    if (rc == SQLITE_OK)
        rc = hsmca_store_bind_blob(s, 2, serial, serial_len);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 3, now);
    HSMCA_GUARD(run(&op, s, rc, NULL));
    HSMCA_GUARD(hsmca_store_op_event(&op, issuer_id, serial, serial_len, "reserve", NULL, now));
out:
    sqlite3_finalize(s);
    return hsmca_store_op_end(&op, err);
}

hsmca_err hsmca_store_precert_record(hsmca_store *st, int64_t issuer_id, const uint8_t *serial,
                                     size_t serial_len, const uint8_t *der, size_t der_len,
                                     hsmca_time not_before, hsmca_time not_after, hsmca_time now)
{
    hsmca_err err = HSMCA_OK;
    store_op op = {0};
    sqlite3_stmt *s = NULL;
    char hex[HSMCA_STORE_HEX_MAX], name[HSMCA_STORE_NAME_MAX + 1];
    char nb[32], na[32], detail[96];
    hsmca_serial_state state;
    int rc, changes = 0;

    HSMCA_GUARD(hsmca_store_check_serial(serial, serial_len));
    hsmca_store_hex(serial, serial_len, hex);
    HSMCA_ENSURE(der != NULL && der_len > 0, HSMCA_E_INPUT,
                 "no precertificate given for serial %s", hex);
    HSMCA_ENSURE(not_after >= not_before, HSMCA_E_INPUT,
                 "the precertificate for serial %s ends (%s) before it begins (%s)", hex,
                 hsmca_clock_format(not_after, na, sizeof na),
                 hsmca_clock_format(not_before, nb, sizeof nb));
    HSMCA_GUARD(
        hsmca_store_issuer_name(st, issuer_id, "cannot record a precertificate", name));
    HSMCA_GUARD(hsmca_store_op_begin(&op, st, 1,
                                     "cannot record the precertificate for serial %s of issuer "
                                     "'%s'",
                                     hex, name));
    HSMCA_GUARD(serial_state(&op, issuer_id, serial, serial_len, &state));
    HSMCA_ENSURE(state != 0, HSMCA_E_STATE,
                 "%s: the serial was never reserved (reserve it before the token signs)", op.what);
    HSMCA_ENSURE(state == HSMCA_SERIAL_RESERVED, HSMCA_E_STATE,
                 "%s: it already has one (state %s)", op.what,
                 hsmca_store_serial_state_name(state));
    HSMCA_GUARD(hsmca_store_op_prepare(
        &op,
        "UPDATE serials SET state = 'precert', precert_der = ?3, not_before = ?4, "
        "not_after = ?5, precert_at = ?6 "
        "WHERE issuer_id = ?1 AND serial = ?2 AND state = 'reserved'",
        &s));
    rc = sqlite3_bind_int64(s, 1, issuer_id);
    if (rc == SQLITE_OK)
        rc = hsmca_store_bind_blob(s, 2, serial, serial_len);
    if (rc == SQLITE_OK)
        rc = hsmca_store_bind_blob(s, 3, der, der_len);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 4, not_before);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 5, not_after);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 6, now);
    HSMCA_GUARD(run(&op, s, rc, &changes));
    HSMCA_ENSURE(changes == 1, HSMCA_E_STATE, "%s: the serial is no longer reserved", op.what);
    snprintf(detail, sizeof detail, "not_before=%s not_after=%s",
             hsmca_clock_format(not_before, nb, sizeof nb),
             hsmca_clock_format(not_after, na, sizeof na));
    HSMCA_GUARD(
        hsmca_store_op_event(&op, issuer_id, serial, serial_len, "precert", detail, now));
out:
    sqlite3_finalize(s);
    return hsmca_store_op_end(&op, err);
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

static hsmca_err insert_scts(store_op *op, int64_t issuer_id, const uint8_t *serial,
                             size_t serial_len, const hsmca_store_sct *scts, size_t n)
{
    hsmca_err err = HSMCA_OK;
    sqlite3_stmt *s = NULL;
    int rc;

    if (n == 0)
        return HSMCA_OK;
    HSMCA_GUARD(hsmca_store_op_prepare(
        op,
        "INSERT INTO scts (issuer_id, serial, position, log_id, timestamp, tls) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        &s));
    for (size_t i = 0; i < n; i++) {
        rc = sqlite3_reset(s);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(s, 1, issuer_id);
        if (rc == SQLITE_OK)
            rc = hsmca_store_bind_blob(s, 2, serial, serial_len);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(s, 3, (sqlite3_int64)i);
        if (rc == SQLITE_OK)
            rc = hsmca_store_bind_blob(s, 4, scts[i].log_id, sizeof scts[i].log_id);
        /* SQLite integers are signed 64-bit: store the bits, read them back
         * as uint64_t. Real timestamps (ms since 1970) are far below 2^63. */
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(s, 5, (sqlite3_int64)scts[i].timestamp);
        if (rc == SQLITE_OK)
            rc = hsmca_store_bind_blob(s, 6, scts[i].tls, scts[i].tls_len);
        HSMCA_GUARD(run(op, s, rc, NULL));
    }
out:
    sqlite3_finalize(s);
    return err;
}

hsmca_err hsmca_store_final_record(hsmca_store *st, int64_t issuer_id, const uint8_t *serial,
                                   size_t serial_len, const uint8_t *der, size_t der_len,
                                   const hsmca_store_sct *scts, size_t n_scts, hsmca_time now)
{
    hsmca_err err = HSMCA_OK;
    store_op op = {0};
    sqlite3_stmt *s = NULL;
    char hex[HSMCA_STORE_HEX_MAX], name[HSMCA_STORE_NAME_MAX + 1], detail[64];
    hsmca_serial_state state;
    int rc, changes = 0;

    HSMCA_GUARD(hsmca_store_check_serial(serial, serial_len));
    hsmca_store_hex(serial, serial_len, hex);
    HSMCA_ENSURE(der != NULL && der_len > 0, HSMCA_E_INPUT,
                 "no final certificate given for serial %s", hex);
    HSMCA_GUARD(check_scts(scts, n_scts, hex));
    HSMCA_GUARD(
        hsmca_store_issuer_name(st, issuer_id, "cannot record a final certificate", name));
    HSMCA_GUARD(hsmca_store_op_begin(&op, st, 1,
                                     "cannot record the final certificate for serial %s of "
                                     "issuer '%s'",
                                     hex, name));
    HSMCA_GUARD(serial_state(&op, issuer_id, serial, serial_len, &state));
    HSMCA_ENSURE(state != 0, HSMCA_E_STATE, "%s: the serial was never reserved", op.what);
    HSMCA_ENSURE(state != HSMCA_SERIAL_RESERVED, HSMCA_E_STATE,
                 "%s: it has no precertificate (state reserved)", op.what);
    HSMCA_ENSURE(state != HSMCA_SERIAL_FINAL, HSMCA_E_EXISTS,
                 "%s: it already has one, and a precertificate gets at most one final "
                 "certificate",
                 op.what);
    HSMCA_GUARD(hsmca_store_op_prepare(
        &op,
        "UPDATE serials SET state = 'final', final_der = ?3, final_at = ?4 "
        "WHERE issuer_id = ?1 AND serial = ?2 AND state = 'precert'",
        &s));
    rc = sqlite3_bind_int64(s, 1, issuer_id);
    if (rc == SQLITE_OK)
        rc = hsmca_store_bind_blob(s, 2, serial, serial_len);
    if (rc == SQLITE_OK)
        rc = hsmca_store_bind_blob(s, 3, der, der_len);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 4, now);
    HSMCA_GUARD(run(&op, s, rc, &changes));
    HSMCA_ENSURE(changes == 1, HSMCA_E_EXISTS, "%s: it is no longer a precertificate alone",
                 op.what);
    HSMCA_GUARD(insert_scts(&op, issuer_id, serial, serial_len, scts, n_scts));
    snprintf(detail, sizeof detail, "scts=%zu", n_scts);
    HSMCA_GUARD(hsmca_store_op_event(&op, issuer_id, serial, serial_len, "final", detail, now));
out:
    sqlite3_finalize(s);
    return hsmca_store_op_end(&op, err);
}

void hsmca_store_cert_free(hsmca_store_cert *c)
{
    if (c == NULL)
        return;
    free(c->precert_der);
    free(c->final_der);
    for (size_t i = 0; c->scts != NULL && i < c->n_scts; i++)
        free(c->scts[i].tls);
    free(c->scts);
    free(c);
}

static hsmca_err read_scts(store_op *op, hsmca_store_cert *c)
{
    hsmca_err err = HSMCA_OK;
    sqlite3_stmt *s = NULL;
    size_t cap = 0;
    int rc;

    HSMCA_GUARD(hsmca_store_op_prepare(op,
                                       "SELECT log_id, timestamp, tls FROM scts "
                                       "WHERE issuer_id = ?1 AND serial = ?2 ORDER BY position",
                                       &s));
    rc = sqlite3_bind_int64(s, 1, c->issuer_id);
    if (rc == SQLITE_OK)
        rc = hsmca_store_bind_blob(s, 2, c->serial, c->serial_len);
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
    sqlite3_finalize(s);
    return err;
}

hsmca_err hsmca_store_cert_get(hsmca_store *st, int64_t issuer_id, const uint8_t *serial,
                               size_t serial_len, hsmca_store_cert **out)
{
    hsmca_err err = HSMCA_OK;
    store_op op = {0};
    sqlite3_stmt *s = NULL;
    hsmca_store_cert *c = NULL;
    char hex[HSMCA_STORE_HEX_MAX], name[HSMCA_STORE_NAME_MAX + 1];
    int rc;

    HSMCA_ENSURE(out != NULL, HSMCA_E_USAGE, "hsmca_store_cert_get: no output");
    *out = NULL;
    HSMCA_GUARD(hsmca_store_check_serial(serial, serial_len));
    hsmca_store_hex(serial, serial_len, hex);
    HSMCA_GUARD(hsmca_store_issuer_name(st, issuer_id, "cannot read a serial", name));
    HSMCA_GUARD(
        hsmca_store_op_begin(&op, st, 0, "cannot read serial %s of issuer '%s'", hex, name));
    HSMCA_GUARD(hsmca_store_op_prepare(
        &op,
        "SELECT s.state, s.reserved_at, s.precert_der, s.not_before, s.not_after, s.final_der,"
        " r.serial IS NOT NULL, r.revoked_at, r.reason "
        "FROM serials AS s LEFT JOIN revocations AS r"
        " ON r.issuer_id = s.issuer_id AND r.serial = s.serial "
        "WHERE s.issuer_id = ?1 AND s.serial = ?2",
        &s));
    rc = sqlite3_bind_int64(s, 1, issuer_id);
    if (rc == SQLITE_OK)
        rc = hsmca_store_bind_blob(s, 2, serial, serial_len);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc == SQLITE_DONE)
        HSMCA_FAIL(HSMCA_E_NOT_FOUND, "issuer '%s' never reserved serial %s", name, hex);
    if (rc != SQLITE_ROW)
        STORE_OP_FAIL(&op, rc);
    c = calloc(1, sizeof *c);
    HSMCA_ALLOC(c);
    c->issuer_id = issuer_id;
    memcpy(c->serial, serial, serial_len);
    c->serial_len = serial_len;
    c->state = state_from_text(sqlite3_column_text(s, 0));
    HSMCA_ENSURE(c->state != 0, HSMCA_E_INTERNAL, "%s: the stored state is unknown", op.what);
    c->reserved_at = sqlite3_column_int64(s, 1);
    HSMCA_GUARD(hsmca_store_col_blob(s, 2, &c->precert_der, &c->precert_len));
    c->not_before = sqlite3_column_int64(s, 3); /* NULL reads as 0 */
    c->not_after = sqlite3_column_int64(s, 4);
    HSMCA_GUARD(hsmca_store_col_blob(s, 5, &c->final_der, &c->final_len));
    c->revoked = sqlite3_column_int(s, 6);
    c->revoked_at = c->revoked ? sqlite3_column_int64(s, 7) : 0;
    c->reason = c->revoked && sqlite3_column_type(s, 8) != SQLITE_NULL ? sqlite3_column_int(s, 8)
                                                                       : -1;
    sqlite3_finalize(s);
    s = NULL;
    if (c->state == HSMCA_SERIAL_FINAL)
        HSMCA_GUARD(read_scts(&op, c));
    *out = c;
    c = NULL;
out:
    sqlite3_finalize(s);
    hsmca_store_cert_free(c);
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
