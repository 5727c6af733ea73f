/* hsmca — the durable state (SQLite, WAL), in a state directory.
 *
 * src/store is the only module that includes <sqlite3.h> (DESIGN.md). It
 * holds everything later OCSP and CRL answers need: issuers, serials and
 * their life cycle, precertificates, final certificates, SCTs, revocations,
 * CRL numbers, and an append-only event log.
 *
 * Every function is one transaction (BEGIN IMMEDIATE ... COMMIT, durable:
 * synchronous=FULL in WAL mode; functions that only read use a deferred
 * BEGIN, a WAL snapshot that neither blocks writers nor waits for them), so a
 * crash leaves the database at a transaction boundary. Layout, schema and
 * backups: docs/store.md. The issuance discipline (DESIGN.md, issue #4):
 *
 *   reserve serial (commit) -> token signs precert -> record precert (commit)
 *   -> token signs final -> record final (commit)
 *
 * A serial is never reused: reserving an existing (issuer, serial) fails,
 * whatever its state. A precertificate has at most one final certificate
 * (enforced by the schema, not only by checks: the serial's primary key
 * gives it one final column, and a trigger refuses any rewrite of it).
 *
 * Serials are the DER INTEGER content octets as in the certificate: 1..20
 * octets, positive and minimal (HSMCA_E_INPUT otherwise), so that one number
 * has one key.
 *
 * One hsmca_store may be used from several threads; calls are serialised
 * inside (SQLite in serialized mode plus a busy timeout for other processes).
 */
#ifndef HSMCA_STORE_H
#define HSMCA_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "hsmca/clock.h"
#include "hsmca/err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hsmca_store hsmca_store;

#define HSMCA_STATE_ENV "HSMCA_STATE"
#define HSMCA_STORE_DB_NAME "hsmca.db"
#define HSMCA_STORE_SERIAL_MAX 20

/* Open (creating the directory, mode 0700, and the database if needed) and
 * migrate the schema to the current version. A database from a newer hsmca
 * is refused (HSMCA_E_STATE) rather than downgraded. state_dir NULL or "":
 * $HSMCA_STATE. Only the last component is created: a missing parent is
 * HSMCA_E_IO. */
hsmca_err hsmca_store_open(const char *state_dir, hsmca_store **out);
void hsmca_store_close(hsmca_store *st);
/* The schema version the database is at. */
int hsmca_store_schema_version(hsmca_store *st);
const char *hsmca_store_dir(const hsmca_store *st);

/* ---- issuers ---- */

/* An issuing CA registered from a ceremony's outputs. Strings may be NULL
 * where optional. PINs are never stored: only where to read them from. */
typedef struct hsmca_store_issuer {
    int64_t id;                 /* set by the store */
    char *name;                 /* unique, [A-Za-z0-9._-]+, used in URLs ({issuer}) */
    uint8_t *cert_der;          /* the CA certificate */
    size_t cert_len;
    char *module;               /* PKCS#11 module path, or NULL for the default */
    char *token_label;          /* token holding the key (label or serial) */
    char *token_serial;
    char *key_label;            /* key in that token (label and/or id) */
    uint8_t *key_id;
    size_t key_id_len;
    char *pin_file;             /* where the user PIN comes from (or NULL) */
    char *pin_env;
    char *profile;              /* default leaf profile name, e.g. "tls-server" */
    char *base_url;             /* for {base_url} in profile URLs */
    uint8_t *ocsp_cert_der;     /* delegated OCSP responder certificate, or NULL */
    size_t ocsp_cert_len;
    char *ocsp_key_label;       /* its key, in the same token */
    hsmca_time created_at;
    /* What OCSP answers for precert-only and for unassigned serials (issue
     * #5; hsmca_store_issuer_set_policy). Ignored by hsmca_store_issuer_add,
     * which always starts at the correct answers. */
    int ocsp_precert_policy;    /* hsmca_store_answer: GOOD by default */
    int ocsp_unassigned_policy; /* UNKNOWN by default */
} hsmca_store_issuer;

/* An OCSP answer an issuer's policy can pick (docs/revocation.md):
 * MRSP 5.4 and BR 4.9.9 make GOOD the only correct answer for a
 * precert-only serial and forbid GOOD for an unassigned one (UNKNOWN is
 * ours); the other values exist to test clients against wrong responders. */
typedef enum hsmca_store_answer {
    HSMCA_ANSWER_GOOD = 1,
    HSMCA_ANSWER_UNKNOWN,
    HSMCA_ANSWER_REVOKED,
    HSMCA_ANSWER_UNAUTHORIZED
} hsmca_store_answer;

/* "good", "unknown", "revoked", "unauthorized"; NULL for other values. */
const char *hsmca_store_answer_name(int answer);
/* The reverse; HSMCA_E_INPUT naming the allowed values. */
hsmca_err hsmca_store_answer_parse(const char *name, int *out);

/* Set an issuer's OCSP policy (either may be 0: unchanged). Logged as an
 * "ocsp-policy" event. */
hsmca_err hsmca_store_issuer_set_policy(hsmca_store *st, int64_t issuer_id, int precert_only,
                                        int unassigned, hsmca_time now);

/* Add an issuer. HSMCA_E_EXISTS if the name or the certificate is already
 * registered; HSMCA_E_INPUT for a bad name, no certificate, no key (label or
 * id), or a delegated OCSP certificate without its key label (or the
 * reverse). in->id is ignored; in->created_at 0 means now; *out_id (may be
 * NULL) receives the new id. */
hsmca_err hsmca_store_issuer_add(hsmca_store *st, const hsmca_store_issuer *in, int64_t *out_id);
/* By name; HSMCA_E_NOT_FOUND naming the known issuers. */
hsmca_err hsmca_store_issuer_get(hsmca_store *st, const char *name, hsmca_store_issuer **out);
hsmca_err hsmca_store_issuer_get_by_id(hsmca_store *st, int64_t id, hsmca_store_issuer **out);
/* All issuers, by name; *out is an array of *out_n pointers, free with
 * hsmca_store_issuers_free. */
hsmca_err hsmca_store_issuers(hsmca_store *st, hsmca_store_issuer ***out, size_t *out_n);
void hsmca_store_issuers_free(hsmca_store_issuer **v, size_t n);
void hsmca_store_issuer_free(hsmca_store_issuer *is);

/* ---- serials and certificates ---- */

typedef enum hsmca_serial_state {
    HSMCA_SERIAL_RESERVED = 1,  /* reserved; nothing signed was returned */
    HSMCA_SERIAL_PRECERT,       /* precertificate issued: assigned (BR 4.9.9) */
    HSMCA_SERIAL_FINAL          /* final certificate issued too */
} hsmca_serial_state;

const char *hsmca_store_serial_state_name(hsmca_serial_state s);

/* HSMCA_E_INPUT, with a message saying why, unless serial is 1..20 octets
 * of a positive, minimal DER INTEGER (the rule above); every call that
 * takes a serial applies it first. */
hsmca_err hsmca_store_check_serial(const uint8_t *serial, size_t len);

/* Reserve a serial for an issuer before anything is signed. HSMCA_E_EXISTS
 * if the issuer has ever used it (whatever its state). */
hsmca_err hsmca_store_serial_reserve(hsmca_store *st, int64_t issuer_id, const uint8_t *serial,
                                     size_t serial_len, hsmca_time now);

/* Record the signed precertificate for a reserved serial: RESERVED ->
 * PRECERT. HSMCA_E_STATE if the serial is not reserved (unknown, or already
 * has a precertificate). */
hsmca_err hsmca_store_precert_record(hsmca_store *st, int64_t issuer_id, const uint8_t *serial,
                                     size_t serial_len, const uint8_t *der, size_t der_len,
                                     hsmca_time not_before, hsmca_time not_after, hsmca_time now);

/* One SCT as it is embedded: its TLS encoding (RFC 6962 §3.2) plus the
 * fields the store indexes. */
typedef struct hsmca_store_sct {
    uint8_t log_id[32];
    uint64_t timestamp;        /* ms since the epoch */
    uint8_t *tls;              /* the encoded SignedCertificateTimestamp */
    size_t tls_len;
} hsmca_store_sct;

/* Record the signed final certificate and its SCTs: PRECERT -> FINAL.
 * HSMCA_E_EXISTS if the serial already has a final (a precert gets at most
 * one); HSMCA_E_STATE if it has no precertificate. */
hsmca_err hsmca_store_final_record(hsmca_store *st, int64_t issuer_id, const uint8_t *serial,
                                   size_t serial_len, const uint8_t *der, size_t der_len,
                                   const hsmca_store_sct *scts, size_t n_scts, hsmca_time now);

typedef struct hsmca_store_cert {
    int64_t issuer_id;
    uint8_t serial[HSMCA_STORE_SERIAL_MAX];
    size_t serial_len;
    hsmca_serial_state state;
    hsmca_time reserved_at;
    uint8_t *precert_der;      /* NULL in state RESERVED */
    size_t precert_len;
    uint8_t *final_der;        /* NULL unless FINAL */
    size_t final_len;
    hsmca_time not_before, not_after;  /* 0 in state RESERVED */
    hsmca_store_sct *scts;     /* of the final */
    size_t n_scts;
    int revoked;               /* revocation (issue #5) */
    hsmca_time revoked_at;
    int reason;                /* RFC 5280 code, -1 = none */
    int claimed;               /* a final was claimed (hsmca_store_finals_claim) */
    hsmca_time claimed_at;
    uint8_t *claim_sct_list;   /* its SCT list (TLS), or NULL */
    size_t claim_sct_list_len;
} hsmca_store_cert;

/* HSMCA_E_NOT_FOUND if the issuer never reserved this serial. */
hsmca_err hsmca_store_cert_get(hsmca_store *st, int64_t issuer_id, const uint8_t *serial,
                               size_t serial_len, hsmca_store_cert **out);
void hsmca_store_cert_free(hsmca_store_cert *c);

/* ---- batches: many rows, one transaction, one durable commit ----
 *
 * Each batch call is one transaction that does, row by row, what the
 * one-row call above does, and commits all rows together or none: the first
 * row that fails rolls the whole batch back (nothing of it is written, no
 * event is logged) and *out_index (may be NULL) names that row; it is n when
 * the failure is not one row's (store unreachable, commit failed) and on
 * success. The error is the one-row call's for that row (HSMCA_E_EXISTS for
 * a used serial, HSMCA_E_STATE for a serial in the wrong state, ...). A
 * serial given twice in one batch is refused by its second row, as two
 * one-row calls would refuse the second. Malformed rows are refused before
 * the transaction starts. n = 0 does nothing and succeeds. The one-row calls
 * are these with n = 1. */

/* A serial as the store keys it (see hsmca_store_check_serial's rules). */
typedef struct hsmca_store_serial {
    uint8_t b[HSMCA_STORE_SERIAL_MAX];
    size_t len;
} hsmca_store_serial;

/* Reserve n serials (state RESERVED), as hsmca_store_serial_reserve. */
hsmca_err hsmca_store_serials_reserve(hsmca_store *st, int64_t issuer_id,
                                      const hsmca_store_serial *serials, size_t n, hsmca_time now,
                                      size_t *out_index);

/* One signed precertificate, as hsmca_store_precert_record takes it. */
typedef struct hsmca_store_precert {
    hsmca_store_serial serial;
    const uint8_t *der;
    size_t der_len;
    hsmca_time not_before, not_after;
} hsmca_store_precert;

/* Record n precertificates (RESERVED -> PRECERT). */
hsmca_err hsmca_store_precerts_record(hsmca_store *st, int64_t issuer_id,
                                      const hsmca_store_precert *recs, size_t n, hsmca_time now,
                                      size_t *out_index);

/* One signed final certificate and its SCTs, as hsmca_store_final_record
 * takes them. tbs_sha256: the SHA-256 of its TBSCertificate, or NULL; a
 * serial with a claim (hsmca_store_finals_claim) is recorded only with the
 * claimed hash. */
typedef struct hsmca_store_final {
    hsmca_store_serial serial;
    const uint8_t *der;
    size_t der_len;
    const hsmca_store_sct *scts;
    size_t n_scts;
    const uint8_t *tbs_sha256;
} hsmca_store_final;

/* A final certificate about to be signed: its serial and the SHA-256 of
 * the TBSCertificate the token will sign. */
typedef struct hsmca_store_final_claim {
    hsmca_store_serial serial;
    uint8_t tbs_sha256[32];
    const uint8_t *sct_list;      /* the TLS SignedCertificateTimestampList the */
    size_t sct_list_len;          /* final embeds (kept to finish it), or NULL/0 */
} hsmca_store_final_claim;

/* Claim n finals before the token signs them, in one transaction (the
 * batch rules of hsmca_store_serials_reserve: all or none, *out_index the
 * failing row or n). A precertificate is claimed once: the same claim again
 * (a retry after a crash, same SCTs in the same order) succeeds; another
 * TBS is refused with HSMCA_E_EXISTS, as are a serial with a final
 * (HSMCA_E_EXISTS) and one without a precertificate (HSMCA_E_STATE). */
hsmca_err hsmca_store_finals_claim(hsmca_store *st, int64_t issuer_id,
                                   const hsmca_store_final_claim *claims, size_t n,
                                   hsmca_time now, size_t *out_index);

/* Record n final certificates (PRECERT -> FINAL). */
hsmca_err hsmca_store_finals_record(hsmca_store *st, int64_t issuer_id,
                                    const hsmca_store_final *recs, size_t n, hsmca_time now,
                                    size_t *out_index);

/* Read n serials of an issuer in one read transaction (one snapshot).
 * out[i] (an array of n pointers) receives the record of serials[i], or
 * NULL when the issuer never reserved it: unknown serials are not an error
 * here. Free each with hsmca_store_cert_free. On error every out[i] is
 * NULL. */
hsmca_err hsmca_store_certs_get(hsmca_store *st, int64_t issuer_id,
                                const hsmca_store_serial *serials, size_t n,
                                hsmca_store_cert **out);

/* Counts by state, for `hsmca issuer list` and tests. */
hsmca_err hsmca_store_count(hsmca_store *st, int64_t issuer_id, hsmca_serial_state state,
                            size_t *out);

/* ---- revocation (issue #5) ---- */

/* Revoke an assigned serial (state PRECERT or FINAL: a precert-only serial
 * is revocable, MRSP 5.4) at revoked_at with an RFC 5280 §5.3.1 reason code
 * (-1: none, i.e. unspecified; which codes are acceptable is the caller's
 * policy, the schema refuses only codes RFC 5280 does not define).
 * HSMCA_E_NOT_FOUND for a serial the issuer never used, HSMCA_E_STATE for a
 * serial only reserved (nothing was issued under it), HSMCA_E_EXISTS if it
 * is already revoked (revocations are final: no change, no second entry),
 * HSMCA_E_INPUT for a revocation time after now. Logged as a "revoke"
 * event in the same transaction. */
hsmca_err hsmca_store_revoke(hsmca_store *st, int64_t issuer_id, const uint8_t *serial,
                             size_t serial_len, hsmca_time revoked_at, int reason,
                             hsmca_time now);

/* What OCSP and CRLs need of a serial: no certificate bytes. */
typedef struct hsmca_store_status {
    hsmca_store_serial serial;
    hsmca_serial_state state;  /* 0: the issuer never used this serial */
    hsmca_time not_after;      /* 0 in state RESERVED */
    hsmca_time changed_at;     /* the last change: precert, final or revocation */
    int revoked;
    hsmca_time revoked_at;
    int reason;                /* RFC 5280 code, -1 = none */
} hsmca_store_status;

/* The status of n serials in one snapshot. out[i].serial is copied from
 * serials[i]; out[i].state is 0 for a serial never used. Malformed serials
 * (hsmca_store_check_serial) are reported as never used, not refused: an
 * OCSP request may name anything. */
hsmca_err hsmca_store_statuses_get(hsmca_store *st, int64_t issuer_id,
                                   const hsmca_store_serial *serials, size_t n,
                                   hsmca_store_status *out);

/* Every serial of an issuer that a revocation answer must cover, in serial
 * order: assigned ones (PRECERT, FINAL) if `assigned`, else only the
 * revoked ones (what a CRL lists). *out malloc'd (free()), *out_n
 * entries. */
hsmca_err hsmca_store_statuses_list(hsmca_store *st, int64_t issuer_id, int assigned,
                                    hsmca_store_status **out, size_t *out_n);

/* ---- CRLs (issue #5) ---- */

/* Take the next CRL number of an issuer and scope ("" or NULL = the full
 * CRL): one more than the last one taken, 1 for the first (RFC 5280
 * §5.2.3, strictly increasing; the schema refuses a decrease). The number
 * is used up even if the CRL is never signed: numbers may skip, never
 * repeat. In the same transaction, list the revoked serials (as
 * hsmca_store_statuses_list with assigned = 0), so that every later
 * number lists at least what an earlier one did. *revoked malloc'd
 * (free()). */
hsmca_err hsmca_store_crl_take(hsmca_store *st, int64_t issuer_id, const char *scope,
                               hsmca_time now, uint64_t *number, hsmca_store_status **revoked,
                               size_t *n_revoked);

/* Keep a signed CRL (the one serve publishes: the highest number). */
hsmca_err hsmca_store_crl_record(hsmca_store *st, int64_t issuer_id, const char *scope,
                                 uint64_t number, hsmca_time this_update,
                                 hsmca_time next_update, const uint8_t *der, size_t der_len,
                                 hsmca_time now);

/* The newest recorded CRL of an issuer and scope: HSMCA_E_NOT_FOUND if none.
 * *der malloc'd. Any of the outputs but der may be NULL. */
hsmca_err hsmca_store_crl_latest(hsmca_store *st, int64_t issuer_id, const char *scope,
                                 uint64_t *number, hsmca_time *this_update,
                                 hsmca_time *next_update, uint8_t **der, size_t *der_len);

/* ---- event log ---- */

/* Append an event (kind: "reserve", "precert", "final", "refused", ...:
 * lower-case letters, digits, . _ -, at most 32). issuer_id may be 0 (none);
 * serial may be NULL. Done inside the same transaction as the matching state
 * change by the functions above; this one is for events without one. */
hsmca_err hsmca_store_event(hsmca_store *st, int64_t issuer_id, const uint8_t *serial,
                            size_t serial_len, const char *kind, const char *detail,
                            hsmca_time now);

/* The id of the newest event (0 when there is none). Every state change
 * writes one in its transaction, so a reader that sees this id change
 * knows the store changed (hsmca serve notices other processes' changes
 * this way). */
hsmca_err hsmca_store_last_event(hsmca_store *st, int64_t *out);

/* One event, as a change notice. */
typedef struct hsmca_store_change {
    int64_t id;
    int64_t issuer_id;         /* 0: none */
    hsmca_store_serial serial; /* len 0: none */
    char kind[33];
} hsmca_store_change;

/* The events after id `after`, oldest first, at most max of them. *out
 * malloc'd (free()). */
hsmca_err hsmca_store_events_since(hsmca_store *st, int64_t after, size_t max,
                                   hsmca_store_change **out, size_t *out_n);

#ifdef __cplusplus
}
#endif
#endif
