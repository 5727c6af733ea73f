/* hsmca — issuers in the store (include/hsmca/store.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hsmca/clock.h"
#include "store_int.h"

#define ISSUER_COLUMNS                                                        \
    "id, name, cert_der, module, token_label, token_serial, key_label, key_id, pin_file, " \
    "pin_env, profile, base_url, ocsp_cert_der, ocsp_key_label, created_at, " \
    "ocsp_precert_policy, ocsp_unassigned_policy"

void hsmca_store_issuer_free(hsmca_store_issuer *is)
{
    if (is == NULL)
        return;
    free(is->name);
    free(is->cert_der);
    free(is->module);
    free(is->token_label);
    free(is->token_serial);
    free(is->key_label);
    free(is->key_id);
    free(is->pin_file);
    free(is->pin_env);
    free(is->profile);
    free(is->base_url);
    free(is->ocsp_cert_der);
    free(is->ocsp_key_label);
    free(is);
}

void hsmca_store_issuers_free(hsmca_store_issuer **v, size_t n)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        hsmca_store_issuer_free(v[i]);
    free(v);
}

static const char *const answer_names[] = {NULL, "good", "unknown", "revoked", "unauthorized"};
#define N_ANSWERS ((int)(sizeof answer_names / sizeof answer_names[0]))

const char *hsmca_store_answer_name(int answer)
{
    return answer > 0 && answer < N_ANSWERS ? answer_names[answer] : NULL;
}

hsmca_err hsmca_store_answer_parse(const char *name, int *out)
{
    hsmca_err err = HSMCA_OK;

    for (int i = 1; name != NULL && i < N_ANSWERS; i++) {
        if (strcmp(name, answer_names[i]) == 0) {
            *out = i;
            goto out;
        }
    }
    HSMCA_FAIL(HSMCA_E_INPUT, "unknown OCSP answer '%s' (one of good, unknown, revoked, "
               "unauthorized)", name != NULL ? name : "");
out:
    return err;
}

/* The schema's CHECK keeps the column to the four names. */
static int answer_from_text(const unsigned char *t)
{
    int a = 0;

    if (t == NULL || hsmca_store_answer_parse((const char *)t, &a) != HSMCA_OK)
        hsmca_err_clear();
    return a;
}

hsmca_err hsmca_store_issuer_set_policy(hsmca_store *st, int64_t issuer_id, int precert_only,
                                        int unassigned, hsmca_time now)
{
    hsmca_err err = HSMCA_OK;
    store_op op = {0};
    sqlite3_stmt *s = NULL;
    char name[HSMCA_STORE_NAME_MAX + 1], detail[96];
    int rc;

    HSMCA_ENSURE((precert_only == 0 || hsmca_store_answer_name(precert_only) != NULL) &&
                     (unassigned == 0 || hsmca_store_answer_name(unassigned) != NULL),
                 HSMCA_E_USAGE, "hsmca_store_issuer_set_policy: unknown answer %d/%d",
                 precert_only, unassigned);
    HSMCA_GUARD(hsmca_store_issuer_name(st, issuer_id, "cannot set the OCSP policy", name));
    HSMCA_GUARD(hsmca_store_op_begin(&op, st, 1, "cannot set the OCSP policy of issuer '%s'",
                                     name));
    HSMCA_GUARD(hsmca_store_op_prepare(
        &op,
        "UPDATE issuers SET ocsp_precert_policy = coalesce(?2, ocsp_precert_policy),"
        " ocsp_unassigned_policy = coalesce(?3, ocsp_unassigned_policy) WHERE id = ?1"
        " RETURNING ocsp_precert_policy, ocsp_unassigned_policy",
        &s));
    rc = sqlite3_bind_int64(s, 1, issuer_id);
    if (rc == SQLITE_OK)
        rc = hsmca_store_bind_text(s, 2, hsmca_store_answer_name(precert_only));
    if (rc == SQLITE_OK)
        rc = hsmca_store_bind_text(s, 3, hsmca_store_answer_name(unassigned));
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc != SQLITE_ROW)
        STORE_OP_FAIL(&op, rc);
    snprintf(detail, sizeof detail, "precert-only=%s unassigned=%s",
             (const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1));
    rc = sqlite3_step(s);
    if (rc != SQLITE_DONE)
        STORE_OP_FAIL(&op, rc);
    HSMCA_GUARD(hsmca_store_op_event(&op, issuer_id, NULL, 0, "ocsp-policy", detail, now));
out:
    sqlite3_finalize(s);
    return hsmca_store_op_end(&op, err);
}

/* The current row (ISSUER_COLUMNS) as a new issuer. */
static hsmca_err read_row(sqlite3_stmt *s, hsmca_store_issuer **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_store_issuer *is = calloc(1, sizeof *is);

    HSMCA_ALLOC(is);
    is->id = sqlite3_column_int64(s, 0);
    HSMCA_GUARD(hsmca_store_col_text(s, 1, &is->name));
    HSMCA_GUARD(hsmca_store_col_blob(s, 2, &is->cert_der, &is->cert_len));
    HSMCA_GUARD(hsmca_store_col_text(s, 3, &is->module));
    HSMCA_GUARD(hsmca_store_col_text(s, 4, &is->token_label));
    HSMCA_GUARD(hsmca_store_col_text(s, 5, &is->token_serial));
    HSMCA_GUARD(hsmca_store_col_text(s, 6, &is->key_label));
    HSMCA_GUARD(hsmca_store_col_blob(s, 7, &is->key_id, &is->key_id_len));
    HSMCA_GUARD(hsmca_store_col_text(s, 8, &is->pin_file));
    HSMCA_GUARD(hsmca_store_col_text(s, 9, &is->pin_env));
    HSMCA_GUARD(hsmca_store_col_text(s, 10, &is->profile));
    HSMCA_GUARD(hsmca_store_col_text(s, 11, &is->base_url));
    HSMCA_GUARD(hsmca_store_col_blob(s, 12, &is->ocsp_cert_der, &is->ocsp_cert_len));
    HSMCA_GUARD(hsmca_store_col_text(s, 13, &is->ocsp_key_label));
    is->created_at = sqlite3_column_int64(s, 14);
    is->ocsp_precert_policy = answer_from_text(sqlite3_column_text(s, 15));
    is->ocsp_unassigned_policy = answer_from_text(sqlite3_column_text(s, 16));
    HSMCA_ENSURE(is->ocsp_precert_policy != 0 && is->ocsp_unassigned_policy != 0,
                 HSMCA_E_INTERNAL, "issuer row %lld has an unknown OCSP policy",
                 (long long)is->id);
    HSMCA_ENSURE(is->name != NULL && is->cert_der != NULL, HSMCA_E_INTERNAL,
                 "issuer row %lld has no name or certificate", (long long)is->id);
    *out = is;
    is = NULL;
out:
    hsmca_store_issuer_free(is);
    return err;
}

static hsmca_err check_issuer(const hsmca_store_issuer *in)
{
    hsmca_err err = HSMCA_OK;

    HSMCA_ENSURE(in != NULL, HSMCA_E_USAGE, "no issuer given");
    HSMCA_GUARD(hsmca_store_check_name(in->name));
    HSMCA_ENSURE(in->cert_der != NULL && in->cert_len > 0, HSMCA_E_INPUT,
                 "issuer '%s' has no certificate", in->name);
    HSMCA_ENSURE((in->key_label != NULL && in->key_label[0] != '\0') ||
                     (in->key_id != NULL && in->key_id_len > 0),
                 HSMCA_E_INPUT,
                 "issuer '%s' names no key: give its label (or a pkcs11: URI) or its id",
                 in->name);
    HSMCA_ENSURE(in->key_id_len == 0 || in->key_id != NULL, HSMCA_E_USAGE,
                 "issuer '%s': key id length without data", in->name);
    HSMCA_ENSURE(in->ocsp_cert_len == 0 || in->ocsp_cert_der != NULL, HSMCA_E_USAGE,
                 "issuer '%s': OCSP certificate length without data", in->name);
    /* A delegated responder needs both its certificate and its key. */
    HSMCA_ENSURE((in->ocsp_cert_len > 0) == (in->ocsp_key_label != NULL &&
                                             in->ocsp_key_label[0] != '\0'),
                 HSMCA_E_INPUT,
                 "issuer '%s': a delegated OCSP responder needs both its certificate and "
                 "its key label",
                 in->name);
out:
    return err;
}

hsmca_err hsmca_store_issuer_add(hsmca_store *st, const hsmca_store_issuer *in, int64_t *out_id)
{
    hsmca_err err = HSMCA_OK;
    store_op op = {0};
    sqlite3_stmt *s = NULL;
    hsmca_time created;
    int64_t id;
    int rc;

    HSMCA_GUARD(check_issuer(in));
    created = in->created_at != 0 ? in->created_at : hsmca_clock_now();
    HSMCA_GUARD(hsmca_store_op_begin(&op, st, 1, "cannot add the issuer '%s'", in->name));

    HSMCA_GUARD(hsmca_store_op_prepare(&op, "SELECT 1 FROM issuers WHERE name = ?1", &s));
    rc = hsmca_store_bind_text(s, 1, in->name);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        HSMCA_FAIL(HSMCA_E_EXISTS, "an issuer named '%s' is already registered", in->name);
    if (rc != SQLITE_DONE)
        STORE_OP_FAIL(&op, rc);
    sqlite3_finalize(s);
    s = NULL;

    HSMCA_GUARD(hsmca_store_op_prepare(&op, "SELECT name FROM issuers WHERE cert_der = ?1", &s));
    rc = hsmca_store_bind_blob(s, 1, in->cert_der, in->cert_len);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const unsigned char *other = sqlite3_column_text(s, 0);
        HSMCA_FAIL(HSMCA_E_EXISTS,
                   "cannot add the issuer '%s': its certificate is already registered as "
                   "issuer '%s'",
                   in->name, other != NULL ? (const char *)other : "?");
    }
    if (rc != SQLITE_DONE)
        STORE_OP_FAIL(&op, rc);
    sqlite3_finalize(s);
    s = NULL;

    HSMCA_GUARD(hsmca_store_op_prepare(
        &op,
        "INSERT INTO issuers (name, cert_der, module, token_label, token_serial, key_label, "
        "key_id, pin_file, pin_env, profile, base_url, ocsp_cert_der, ocsp_key_label, "
        "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        &s));
    rc = hsmca_store_bind_text(s, 1, in->name);
    if (rc == SQLITE_OK)
        rc = hsmca_store_bind_blob(s, 2, in->cert_der, in->cert_len);
    if (rc == SQLITE_OK)
        rc = hsmca_store_bind_text(s, 3, in->module);
    if (rc == SQLITE_OK)
        rc = hsmca_store_bind_text(s, 4, in->token_label);
    if (rc == SQLITE_OK)
        rc = hsmca_store_bind_text(s, 5, in->token_serial);
    if (rc == SQLITE_OK)
        rc = hsmca_store_bind_text(s, 6, in->key_label);
    if (rc == SQLITE_OK)
        rc = hsmca_store_bind_blob(s, 7, in->key_id, in->key_id_len);
    if (rc == SQLITE_OK)
        rc = hsmca_store_bind_text(s, 8, in->pin_file);
    if (rc == SQLITE_OK)
        rc = hsmca_store_bind_text(s, 9, in->pin_env);
    if (rc == SQLITE_OK)
        rc = hsmca_store_bind_text(s, 10, in->profile);
    if (rc == SQLITE_OK)
        rc = hsmca_store_bind_text(s, 11, in->base_url);
    if (rc == SQLITE_OK)
        rc = hsmca_store_bind_blob(s, 12, in->ocsp_cert_der, in->ocsp_cert_len);
    if (rc == SQLITE_OK)
        rc = hsmca_store_bind_text(s, 13, in->ocsp_key_label);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 14, created);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc != SQLITE_DONE)
        STORE_OP_FAIL(&op, rc);
    id = sqlite3_last_insert_rowid(st->db);
    HSMCA_GUARD(hsmca_store_op_event(&op, id, NULL, 0, "issuer-add", in->name, created));
    if (out_id != NULL)
        *out_id = id;
out:
    sqlite3_finalize(s);
    return hsmca_store_op_end(&op, err);
}

/* "a, b, c" of every registered name into buf (", ..." when cut). */
static hsmca_err known_names(store_op *op, char *buf, size_t len)
{
    hsmca_err err = HSMCA_OK;
    sqlite3_stmt *s = NULL;
    size_t used = 0;
    int rc;

    buf[0] = '\0';
    HSMCA_GUARD(hsmca_store_op_prepare(op, "SELECT name FROM issuers ORDER BY name", &s));
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *n = (const char *)sqlite3_column_text(s, 0);
        int w;
        if (n == NULL)
            continue;
        w = snprintf(buf + used, len - used, "%s%s", used > 0 ? ", " : "", n);
        if (w < 0 || (size_t)w >= len - used) {
            /* Cut: end on a whole name plus a marker. */
            buf[used] = '\0';
            if (used + 6 < len)
                memcpy(buf + used, ", ...", 6);
            break;
        }
        used += (size_t)w;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        STORE_OP_FAIL(op, rc);
out:
    sqlite3_finalize(s);
    return err;
}

/* Inside op: the one issuer that sql (a SELECT of ISSUER_COLUMNS) finds
 * with ?1 = name, or ?1 = id when name is NULL; *out NULL when there is
 * none. */
static hsmca_err issuer_select(store_op *op, const char *sql, const char *name, int64_t id,
                               hsmca_store_issuer **out)
{
    hsmca_err err = HSMCA_OK;
    sqlite3_stmt *s = NULL;
    int rc;

    HSMCA_GUARD(hsmca_store_op_prepare(op, sql, &s));
    rc = name != NULL ? hsmca_store_bind_text(s, 1, name) : sqlite3_bind_int64(s, 1, id);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        HSMCA_GUARD(read_row(s, out));
    else if (rc != SQLITE_DONE)
        STORE_OP_FAIL(op, rc);
out:
    sqlite3_finalize(s);
    return err;
}

hsmca_err hsmca_store_issuer_get(hsmca_store *st, const char *name, hsmca_store_issuer **out)
{
    hsmca_err err = HSMCA_OK;
    store_op op = {0};
    char known[512];

    HSMCA_ENSURE(out != NULL, HSMCA_E_USAGE, "hsmca_store_issuer_get: no output");
    *out = NULL;
    HSMCA_ENSURE(name != NULL, HSMCA_E_USAGE, "no issuer name given");
    HSMCA_GUARD(hsmca_store_op_begin(&op, st, 0, "cannot read the issuer '%s'", name));
    HSMCA_GUARD(issuer_select(&op, "SELECT " ISSUER_COLUMNS " FROM issuers WHERE name = ?1", name,
                              0, out));
    if (*out == NULL) {
        HSMCA_GUARD(known_names(&op, known, sizeof known));
        if (known[0] == '\0')
            HSMCA_FAIL(HSMCA_E_NOT_FOUND,
                       "no issuer named '%s': no issuer is registered in %s yet (hsmca "
                       "issuer add)",
                       name, st->dir);
        HSMCA_FAIL(HSMCA_E_NOT_FOUND, "no issuer named '%s' (known issuers: %s)", name, known);
    }
out:
    return hsmca_store_op_end(&op, err);
}

hsmca_err hsmca_store_issuer_get_by_id(hsmca_store *st, int64_t id, hsmca_store_issuer **out)
{
    hsmca_err err = HSMCA_OK;
    store_op op = {0};

    HSMCA_ENSURE(out != NULL, HSMCA_E_USAGE, "hsmca_store_issuer_get_by_id: no output");
    *out = NULL;
    HSMCA_GUARD(hsmca_store_op_begin(&op, st, 0, "cannot read the issuer with id %lld",
                                     (long long)id));
    HSMCA_GUARD(issuer_select(&op, "SELECT " ISSUER_COLUMNS " FROM issuers WHERE id = ?1", NULL,
                              id, out));
    HSMCA_ENSURE(*out != NULL, HSMCA_E_NOT_FOUND, "no issuer with id %lld is registered",
                 (long long)id);
out:
    return hsmca_store_op_end(&op, err);
}

hsmca_err hsmca_store_issuers(hsmca_store *st, hsmca_store_issuer ***out, size_t *out_n)
{
    hsmca_err err = HSMCA_OK;
    store_op op = {0};
    sqlite3_stmt *s = NULL;
    hsmca_store_issuer **v = NULL;
    size_t n = 0, cap = 0;
    int rc;

    HSMCA_ENSURE(out != NULL && out_n != NULL, HSMCA_E_USAGE, "hsmca_store_issuers: no output");
    *out = NULL;
    *out_n = 0;
    HSMCA_GUARD(hsmca_store_op_begin(&op, st, 0, "cannot list the issuers"));
    HSMCA_GUARD(hsmca_store_op_prepare(&op, "SELECT " ISSUER_COLUMNS " FROM issuers ORDER BY name",
                                       &s));
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            size_t ncap = cap == 0 ? 8 : 2 * cap;
            hsmca_store_issuer **nv = realloc(v, ncap * sizeof *nv);
            HSMCA_ALLOC(nv);
            v = nv;
            cap = ncap;
        }
        HSMCA_GUARD(read_row(s, &v[n]));
        n++;
    }
    if (rc != SQLITE_DONE)
        STORE_OP_FAIL(&op, rc);
    *out = v;
    *out_n = n;
    v = NULL;
    n = 0;
out:
    sqlite3_finalize(s);
    hsmca_store_issuers_free(v, n);
    return hsmca_store_op_end(&op, err);
}
