/* hsmca — revocations, serial statuses for OCSP and CRLs, CRL numbers and
 * signed CRLs in the store (include/hsmca/store.h, issue #5).
 *
 * As in cert.c, each call is one transaction that checks and writes, and
 * the schema (migration 2) refuses the same wrong transitions again: only
 * an assigned serial is revoked, a revocation never changes, CRL numbers
 * only increase and a recorded CRL carries a number that was taken.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* A serial's status columns, joined with its revocation. ?1 issuer id. */
#define STATUS_SELECT                                                         \
    "SELECT s.serial, s.state, s.not_after,"                                  \
    " max(s.reserved_at, coalesce(s.precert_at, 0), coalesce(s.final_at, 0),"  \
    "     coalesce(r.recorded_at, 0)),"                                       \
    " r.serial IS NOT NULL, r.revoked_at, r.reason, s.precert_at "            \
    "FROM serials AS s LEFT JOIN revocations AS r"                            \
    " ON r.issuer_id = s.issuer_id AND r.serial = s.serial "                  \
    "WHERE s.issuer_id = ?1"

/* The current row (STATUS_SELECT's columns) into out. */
static hsmca_err read_status(store_op *op, sqlite3_stmt *s, hsmca_store_status *out)
{
    hsmca_err err = HSMCA_OK;
    const void *serial = sqlite3_column_blob(s, 0);
    int len = sqlite3_column_bytes(s, 0);

    memset(out, 0, sizeof *out);
    HSMCA_ENSURE(serial != NULL && len > 0 && len <= HSMCA_STORE_SERIAL_MAX, HSMCA_E_INTERNAL,
                 "%s: a stored serial is malformed", op->what);
    memcpy(out->serial.b, serial, (size_t)len);
    out->serial.len = (size_t)len;
    out->state = hsmca_store_state_from_text(sqlite3_column_text(s, 1));
    HSMCA_ENSURE(out->state != 0, HSMCA_E_INTERNAL, "%s: the stored state is unknown", op->what);
    out->not_after = sqlite3_column_int64(s, 2); /* NULL reads as 0 */
    out->changed_at = sqlite3_column_int64(s, 3);
    out->revoked = sqlite3_column_int(s, 4);
    out->revoked_at = out->revoked ? sqlite3_column_int64(s, 5) : 0;
    out->reason = out->revoked && sqlite3_column_type(s, 6) != SQLITE_NULL
                      ? sqlite3_column_int(s, 6)
                      : -1;
out:
    return err;
}

hsmca_err hsmca_store_revoke(hsmca_store *st, int64_t issuer_id, const uint8_t *serial,
                             size_t serial_len, hsmca_time revoked_at, int reason,
                             hsmca_time now)
{
    hsmca_err err = HSMCA_OK;
    store_op op = {0};
    sqlite3_stmt *s = NULL;
    hsmca_store_status cur;
    char hex[HSMCA_STORE_HEX_MAX], name[HSMCA_STORE_NAME_MAX + 1], detail[64];
    int rc;

    HSMCA_GUARD(hsmca_store_check_serial(serial, serial_len));
    hsmca_store_hex(serial, serial_len, hex);
    /* What a CRL may carry (BR 7.2.2): a revocation is final and every
     * later CRL lists it, so one the CRL builder refuses would block them
     * all. */
    HSMCA_ENSURE(reason == -1 || reason == 1 || reason == 3 || reason == 4 || reason == 5 ||
                     reason == 9,
                 HSMCA_E_INPUT,
                 "cannot revoke serial %s: reason code %d is not one BR 7.2.2 allows (none, "
                 "1, 3, 4, 5, 9)", hex, reason);
    HSMCA_GUARD(hsmca_store_issuer_name(st, issuer_id, "cannot revoke a serial", name));
    HSMCA_GUARD(hsmca_store_op_begin(&op, st, 1, "cannot revoke serial %s of issuer '%s'", hex,
                                     name));
    HSMCA_ENSURE(revoked_at <= now, HSMCA_E_INPUT,
                 "%s: the revocation time is in the future (%lld s after now)", op.what,
                 (long long)(revoked_at - now));
    HSMCA_GUARD(hsmca_store_op_prepare(&op, STATUS_SELECT " AND s.serial = ?2", &s));
    rc = hsmca_store_bind_serial(s, issuer_id, serial, serial_len);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc == SQLITE_DONE)
        HSMCA_FAIL(HSMCA_E_NOT_FOUND, "%s: the issuer never issued it", op.what);
    if (rc != SQLITE_ROW)
        STORE_OP_FAIL(&op, rc);
    HSMCA_GUARD(read_status(&op, s, &cur));
    HSMCA_ENSURE(cur.state != HSMCA_SERIAL_RESERVED, HSMCA_E_STATE,
                 "%s: it was reserved but nothing was issued under it (the signing never "
                 "completed), so there is nothing to revoke; OCSP answers it as unassigned",
                 op.what);
    HSMCA_ENSURE(!cur.revoked, HSMCA_E_EXISTS,
                 "%s: it is already revoked (since %lld, reason %d); a revocation is final",
                 op.what, (long long)cur.revoked_at, cur.reason);
    /* A certificate is not revoked before it was signed: an earlier
     * compromise is what RFC 5280 §5.3.2's invalidityDate is for, not
     * revocationDate (which hsmca writes). */
    HSMCA_ENSURE(revoked_at >= sqlite3_column_int64(s, 7), HSMCA_E_INPUT,
                 "%s: the revocation time is before the precertificate was signed (%lld s "
                 "earlier)", op.what, (long long)(sqlite3_column_int64(s, 7) - revoked_at));
    sqlite3_finalize(s);
    s = NULL;
    HSMCA_GUARD(hsmca_store_op_prepare(
        &op,
        "INSERT INTO revocations (issuer_id, serial, revoked_at, reason, recorded_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5)",
        &s));
    rc = hsmca_store_bind_serial(s, issuer_id, serial, serial_len);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 3, revoked_at);
    if (rc == SQLITE_OK)
        rc = reason < 0 ? sqlite3_bind_null(s, 4) : sqlite3_bind_int(s, 4, reason);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 5, now);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc != SQLITE_DONE)
        STORE_OP_FAIL(&op, rc);
    snprintf(detail, sizeof detail, "at=%lld reason=%d", (long long)revoked_at, reason);
    HSMCA_GUARD(hsmca_store_op_event(&op, issuer_id, serial, serial_len, "revoke", detail, now));
out:
    sqlite3_finalize(s);
    return hsmca_store_op_end(&op, err);
}

hsmca_err hsmca_store_statuses_get(hsmca_store *st, int64_t issuer_id,
                                   const hsmca_store_serial *serials, size_t n,
                                   hsmca_store_status *out)
{
    hsmca_err err = HSMCA_OK;
    store_op op = {0};
    sqlite3_stmt *s = NULL;
    char name[HSMCA_STORE_NAME_MAX + 1];
    int rc;

    HSMCA_ENSURE(n == 0 || (serials != NULL && out != NULL), HSMCA_E_USAGE,
                 "hsmca_store_statuses_get: %zu serials announced, no serials or no output", n);
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        out[i].reason = -1;
        if (serials[i].len <= HSMCA_STORE_SERIAL_MAX)
            out[i].serial = serials[i];
    }
    if (n == 0)
        goto out;
    HSMCA_GUARD(hsmca_store_issuer_name(st, issuer_id, "cannot read serial statuses", name));
    HSMCA_GUARD(hsmca_store_op_begin(&op, st, 0, "cannot read %zu serial statuses of issuer '%s'",
                                     n, name));
    HSMCA_GUARD(hsmca_store_op_prepare(&op, STATUS_SELECT " AND s.serial = ?2", &s));
    for (size_t i = 0; i < n; i++) {
        if (hsmca_store_check_serial(serials[i].b, serials[i].len) != HSMCA_OK) {
            hsmca_err_clear(); /* never used: no serial of ours looks like it */
            continue;
        }
        sqlite3_reset(s);
        rc = hsmca_store_bind_serial(s, issuer_id, serials[i].b, serials[i].len);
        if (rc == SQLITE_OK)
            rc = sqlite3_step(s);
        if (rc == SQLITE_ROW)
            HSMCA_GUARD(read_status(&op, s, &out[i]));
        else if (rc != SQLITE_DONE)
            STORE_OP_FAIL(&op, rc);
    }
out:
    sqlite3_finalize(s);
    return hsmca_store_op_end(&op, err);
}

/* The statuses of an issuer's assigned (or only revoked) serials, inside
 * op, in serial order. */
static hsmca_err list_in(store_op *op, int64_t issuer_id, int assigned, hsmca_store_status **out,
                         size_t *out_n)
{
    hsmca_err err = HSMCA_OK;
    sqlite3_stmt *s = NULL;
    hsmca_store_status *v = NULL;
    size_t n = 0, cap = 0;
    int rc;

    HSMCA_GUARD(hsmca_store_op_prepare(
        op,
        assigned ? STATUS_SELECT " AND s.state IN ('precert', 'final') ORDER BY s.serial"
                 : STATUS_SELECT " AND r.serial IS NOT NULL ORDER BY s.serial",
        &s));
    rc = sqlite3_bind_int64(s, 1, issuer_id);
    if (rc != SQLITE_OK)
        STORE_OP_FAIL(op, rc);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            size_t ncap = cap == 0 ? 64 : 2 * cap;
            hsmca_store_status *nv = realloc(v, ncap * sizeof *nv);
            HSMCA_ALLOC(nv);
            v = nv;
            cap = ncap;
        }
        HSMCA_GUARD(read_status(op, s, &v[n]));
        n++;
    }
    if (rc != SQLITE_DONE)
        STORE_OP_FAIL(op, rc);
    *out = v;
    *out_n = n;
    v = NULL;
out:
    free(v);
    sqlite3_finalize(s);
    return err;
}

hsmca_err hsmca_store_statuses_list(hsmca_store *st, int64_t issuer_id, int assigned,
                                    hsmca_store_status **out, size_t *out_n)
{
    hsmca_err err = HSMCA_OK;
    store_op op = {0};
    char name[HSMCA_STORE_NAME_MAX + 1];

    HSMCA_ENSURE(out != NULL && out_n != NULL, HSMCA_E_USAGE,
                 "hsmca_store_statuses_list: no output");
    *out = NULL;
    *out_n = 0;
    HSMCA_GUARD(hsmca_store_issuer_name(st, issuer_id, "cannot list serials", name));
    HSMCA_GUARD(hsmca_store_op_begin(&op, st, 0, "cannot list the %s serials of issuer '%s'",
                                     assigned ? "assigned" : "revoked", name));
    HSMCA_GUARD(list_in(&op, issuer_id, assigned, out, out_n));
out:
    return hsmca_store_op_end(&op, err);
}

/* A CRL scope: "" (the full CRL) or a partition name like an issuer name. */
static hsmca_err check_scope(const char *scope)
{
    if (scope == NULL || *scope == '\0')
        return HSMCA_OK;
    return hsmca_store_check_name(scope);
}

/* ?1 = issuer_id and ?2 = scope: the key of a crl_numbers or crls row. */
static int bind_scope(sqlite3_stmt *s, int64_t issuer_id, const char *scope)
{
    int rc = sqlite3_bind_int64(s, 1, issuer_id);

    return rc == SQLITE_OK ? hsmca_store_bind_text(s, 2, scope != NULL ? scope : "") : rc;
}

/* Take the next CRL number inside op (a write transaction: no other
 * writer between the read and the write, so two processes never take the
 * same number). */
static hsmca_err take_in(store_op *op, int64_t issuer_id, const char *scope, hsmca_time now,
                         uint64_t *out)
{
    hsmca_err err = HSMCA_OK;
    sqlite3_stmt *s = NULL;
    int64_t number;
    int rc;

    HSMCA_GUARD(hsmca_store_op_prepare(
        op,
        "INSERT INTO crl_numbers (issuer_id, scope, last_number, updated_at)"
        " VALUES (?1, ?2, 1, ?3) ON CONFLICT (issuer_id, scope) DO UPDATE"
        " SET last_number = last_number + 1, updated_at = ?3 RETURNING last_number",
        &s));
    rc = bind_scope(s, issuer_id, scope);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 3, now);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc != SQLITE_ROW)
        STORE_OP_FAIL(op, rc);
    number = sqlite3_column_int64(s, 0);
    rc = sqlite3_step(s);
    if (rc != SQLITE_DONE)
        STORE_OP_FAIL(op, rc);
    HSMCA_ENSURE(number > 0, HSMCA_E_INTERNAL, "%s: the stored CRL number is %lld", op->what,
                 (long long)number);
    *out = (uint64_t)number;
out:
    sqlite3_finalize(s);
    return err;
}

hsmca_err hsmca_store_crl_take(hsmca_store *st, int64_t issuer_id, const char *scope,
                               hsmca_time now, uint64_t *number, hsmca_store_status **revoked,
                               size_t *n_revoked)
{
    hsmca_err err = HSMCA_OK;
    store_op op = {0};
    char name[HSMCA_STORE_NAME_MAX + 1];

    HSMCA_ENSURE(number != NULL && revoked != NULL && n_revoked != NULL, HSMCA_E_USAGE,
                 "hsmca_store_crl_take: no output");
    *revoked = NULL;
    *n_revoked = 0;
    HSMCA_GUARD(check_scope(scope));
    HSMCA_GUARD(hsmca_store_issuer_name(st, issuer_id, "cannot start a CRL", name));
    HSMCA_GUARD(hsmca_store_op_begin(&op, st, 1, "cannot start a CRL for issuer '%s'", name));
    /* One transaction: CRL N lists every revocation committed before it,
     * so a later number never lists less than an earlier one. */
    HSMCA_GUARD(take_in(&op, issuer_id, scope, now, number));
    HSMCA_GUARD(list_in(&op, issuer_id, 0, revoked, n_revoked));
out:
    if (err != HSMCA_OK && revoked != NULL) {
        free(*revoked);
        *revoked = NULL;
        *n_revoked = 0;
    }
    return hsmca_store_op_end(&op, err);
}

hsmca_err hsmca_store_crl_record(hsmca_store *st, int64_t issuer_id, const char *scope,
                                 uint64_t number, hsmca_time this_update,
                                 hsmca_time next_update, const uint8_t *der, size_t der_len,
                                 hsmca_time now)
{
    hsmca_err err = HSMCA_OK;
    store_op op = {0};
    sqlite3_stmt *s = NULL;
    char name[HSMCA_STORE_NAME_MAX + 1], detail[48];
    int rc;

    HSMCA_ENSURE(der != NULL && der_len > 0 && number > 0 && number <= INT64_MAX &&
                     next_update > this_update,
                 HSMCA_E_USAGE, "hsmca_store_crl_record: bad CRL");
    HSMCA_GUARD(check_scope(scope));
    HSMCA_GUARD(hsmca_store_issuer_name(st, issuer_id, "cannot record a CRL", name));
    HSMCA_GUARD(hsmca_store_op_begin(&op, st, 1, "cannot record CRL number %llu of issuer '%s'",
                                     (unsigned long long)number, name));
    HSMCA_GUARD(hsmca_store_op_prepare(
        &op,
        "INSERT INTO crls (issuer_id, scope, number, this_update, next_update, der,"
        " recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        &s));
    rc = bind_scope(s, issuer_id, scope);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 3, (int64_t)number);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 4, this_update);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 5, next_update);
    if (rc == SQLITE_OK)
        rc = hsmca_store_bind_blob(s, 6, der, der_len);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 7, now);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc != SQLITE_DONE)
        STORE_OP_FAIL(&op, rc);
    snprintf(detail, sizeof detail, "number=%llu", (unsigned long long)number);
    HSMCA_GUARD(hsmca_store_op_event(&op, issuer_id, NULL, 0, "crl", detail, now));
out:
    sqlite3_finalize(s);
    return hsmca_store_op_end(&op, err);
}

hsmca_err hsmca_store_crl_latest(hsmca_store *st, int64_t issuer_id, const char *scope,
                                 uint64_t *number, hsmca_time *this_update,
                                 hsmca_time *next_update, uint8_t **der, size_t *der_len)
{
    hsmca_err err = HSMCA_OK;
    store_op op = {0};
    sqlite3_stmt *s = NULL;
    char name[HSMCA_STORE_NAME_MAX + 1];
    int rc;

    HSMCA_ENSURE(der != NULL && der_len != NULL, HSMCA_E_USAGE,
                 "hsmca_store_crl_latest: no output");
    *der = NULL;
    *der_len = 0;
    HSMCA_GUARD(check_scope(scope));
    HSMCA_GUARD(hsmca_store_issuer_name(st, issuer_id, "cannot read a CRL", name));
    HSMCA_GUARD(hsmca_store_op_begin(&op, st, 0, "cannot read the newest CRL of issuer '%s'",
                                     name));
    HSMCA_GUARD(hsmca_store_op_prepare(
        &op,
        "SELECT number, this_update, next_update, der FROM crls"
        " WHERE issuer_id = ?1 AND scope = ?2 ORDER BY number DESC LIMIT 1",
        &s));
    rc = bind_scope(s, issuer_id, scope);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc == SQLITE_DONE)
        HSMCA_FAIL(HSMCA_E_NOT_FOUND, "issuer '%s' has no CRL yet (hsmca crl --issuer %s)", name,
                   name);
    if (rc != SQLITE_ROW)
        STORE_OP_FAIL(&op, rc);
    if (number != NULL)
        *number = (uint64_t)sqlite3_column_int64(s, 0);
    if (this_update != NULL)
        *this_update = sqlite3_column_int64(s, 1);
    if (next_update != NULL)
        *next_update = sqlite3_column_int64(s, 2);
    HSMCA_GUARD(hsmca_store_col_blob(s, 3, der, der_len));
out:
    sqlite3_finalize(s);
    return hsmca_store_op_end(&op, err);
}
