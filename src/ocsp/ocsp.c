/* hsmca — OCSP responses from the store (include/hsmca/ocsp.h, issue #5).
 *
 * The responder decides each answer from the store and the issuer's
 * policy, checks its signer and the validity window, and then builds and
 * signs the response with hsmca_ocsp_build (build.c), which encodes every
 * response hsmca makes. producedAt comes from our clock (the injectable
 * --now), so that responses are reproducible.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "hsmca/ocsp.h"
#include "hsmca/ossl.h"
#include "hsmca/x509.h"

/* One issuer as the responder matches CertIDs against it. */
typedef struct ocsp_issuer {
    hsmca_store_issuer *rec;
    X509 *cert;
    /* RFC 6960 §4.1.1: hashes of the issuer's DER subject and of the
     * value of its subjectPublicKey BIT STRING. */
    uint8_t name_sha1[20], key_sha1[20], name_sha256[32], key_sha256[32];
    int have_signer;
    hsmca_ocsp_signer signer;
    hsmca_time signer_not_before, signer_not_after;
} ocsp_issuer;

struct hsmca_ocsp_responder {
    hsmca_store *st;
    hsmca_ocsp_signer_fn get_signer;
    void *ctx;
    hsmca_time validity;
    ocsp_issuer *issuers;
    size_t n_issuers;
    pthread_mutex_t lock;      /* guards loading the signers */
};

const char *hsmca_ocsp_status_name(int status)
{
    switch (status) {
    case HSMCA_OCSP_SUCCESSFUL: return "successful";
    case HSMCA_OCSP_MALFORMED_REQUEST: return "malformedRequest";
    case HSMCA_OCSP_INTERNAL_ERROR: return "internalError";
    case HSMCA_OCSP_TRY_LATER: return "tryLater";
    case HSMCA_OCSP_SIG_REQUIRED: return "sigRequired";
    case HSMCA_OCSP_UNAUTHORIZED: return "unauthorized";
    default: return "unknown status";
    }
}

void hsmca_ocsp_decide(const hsmca_store_status *s, int precert_policy, int unassigned_policy,
                       hsmca_ocsp_answer *out)
{
    int assigned = s->state == HSMCA_SERIAL_PRECERT || s->state == HSMCA_SERIAL_FINAL;
    int policy;

    memset(out, 0, sizeof *out);
    out->reason = -1;
    if (assigned && s->revoked) {
        /* BR 7.3.2: the CRL's reason, none for unspecified. */
        out->cert_status = V_OCSP_CERTSTATUS_REVOKED;
        out->revoked_at = s->revoked_at;
        out->reason = s->reason;
        return;
    }
    if (s->state == HSMCA_SERIAL_FINAL) {
        out->cert_status = V_OCSP_CERTSTATUS_GOOD;
        return;
    }
    /* Precert only: good (MRSP 5.4, "a precertificate implies a
     * certificate"). Reserved or never used: not good (BR 4.9.9). */
    policy = assigned ? precert_policy : unassigned_policy;
    switch (policy) {
    case HSMCA_ANSWER_GOOD:
        out->cert_status = V_OCSP_CERTSTATUS_GOOD;
        break;
    case HSMCA_ANSWER_REVOKED:
        out->cert_status = V_OCSP_CERTSTATUS_REVOKED;
        if (assigned) {
            out->revoked_at = s->changed_at;
        } else {
            /* RFC 6960 §2.2: a non-issued certificate answered revoked. */
            out->revoked_at = 0;
            out->reason = OCSP_REVOKED_STATUS_CERTIFICATEHOLD;
            out->extended_revoke = 1;
        }
        break;
    case HSMCA_ANSWER_UNAUTHORIZED:
        out->cert_status = -1;
        break;
    case HSMCA_ANSWER_UNKNOWN:
    default:
        out->cert_status = V_OCSP_CERTSTATUS_UNKNOWN;
        break;
    }
}

static hsmca_err hash_into(const EVP_MD *md, const void *data, size_t len, uint8_t *out)
{
    hsmca_err err = HSMCA_OK;

    HSMCA_OSSL(EVP_Digest(data, len, out, NULL, md, NULL) == 1, "cannot hash for OCSP");
out:
    return err;
}

static hsmca_err issuer_load(hsmca_store_issuer *rec, ocsp_issuer *out)
{
    hsmca_err err = HSMCA_OK;
    unsigned char *name = NULL;
    const ASN1_BIT_STRING *key;
    int name_len;

    memset(out, 0, sizeof *out);
    out->rec = rec;
    HSMCA_GUARD(hsmca_x509_from_bytes(rec->cert_der, rec->cert_len, &out->cert));
    name_len = i2d_X509_NAME(X509_get_subject_name(out->cert), &name);
    HSMCA_OSSL(name_len > 0, "cannot encode the subject of issuer '%s'", rec->name);
    key = X509_get0_pubkey_bitstr(out->cert);
    HSMCA_OSSL(key != NULL, "issuer '%s' has no public key", rec->name);
    HSMCA_GUARD(hash_into(EVP_sha1(), name, (size_t)name_len, out->name_sha1));
    HSMCA_GUARD(hash_into(EVP_sha256(), name, (size_t)name_len, out->name_sha256));
    HSMCA_GUARD(hash_into(EVP_sha1(), ASN1_STRING_get0_data(key),
                          (size_t)ASN1_STRING_length(key), out->key_sha1));
    HSMCA_GUARD(hash_into(EVP_sha256(), ASN1_STRING_get0_data(key),
                          (size_t)ASN1_STRING_length(key), out->key_sha256));
out:
    OPENSSL_free(name);
    if (err != HSMCA_OK) {
        /* The caller still owns rec. */
        X509_free(out->cert);
        memset(out, 0, sizeof *out);
    }
    return err;
}

hsmca_err hsmca_ocsp_responder_new(hsmca_store *st, hsmca_ocsp_signer_fn get_signer, void *ctx,
                                   hsmca_time validity, hsmca_ocsp_responder **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_ocsp_responder *r = NULL;
    hsmca_store_issuer **recs = NULL;
    size_t n = 0;

    HSMCA_ENSURE(st != NULL && get_signer != NULL && out != NULL, HSMCA_E_USAGE,
                 "hsmca_ocsp_responder_new: missing argument");
    if (validity == 0)
        validity = HSMCA_OCSP_VALIDITY_DEFAULT;
    /* BR 4.9.9: (nextUpdate - thisUpdate) + 1 s within [8 h, 10 d]. */
    HSMCA_ENSURE(validity >= HSMCA_OCSP_VALIDITY_MIN && validity <= HSMCA_OCSP_VALIDITY_MAX,
                 HSMCA_E_USAGE,
                 "an OCSP validity of %lld s is outside BR 4.9.9's 8 hours to 10 days",
                 (long long)validity);
    r = calloc(1, sizeof *r);
    HSMCA_ALLOC(r);
    pthread_mutex_init(&r->lock, NULL);
    r->st = st;
    r->get_signer = get_signer;
    r->ctx = ctx;
    r->validity = validity;
    HSMCA_GUARD(hsmca_store_issuers(st, &recs, &n));
    if (n > 0) {
        r->issuers = calloc(n, sizeof *r->issuers);
        HSMCA_ALLOC(r->issuers);
    }
    for (; r->n_issuers < n; r->n_issuers++) {
        HSMCA_GUARD(issuer_load(recs[r->n_issuers], &r->issuers[r->n_issuers]));
        recs[r->n_issuers] = NULL;
    }
    *out = r;
    r = NULL;
out:
    hsmca_store_issuers_free(recs, n);
    hsmca_ocsp_responder_free(r);
    return err;
}

void hsmca_ocsp_responder_free(hsmca_ocsp_responder *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_issuers; i++) {
        hsmca_store_issuer_free(r->issuers[i].rec);
        X509_free(r->issuers[i].cert);
    }
    free(r->issuers);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* The issuer a CertID names (name and key hash), or NULL. */
static ocsp_issuer *match(hsmca_ocsp_responder *r, const hsmca_ocsp_certid *id)
{
    for (size_t i = 0; i < r->n_issuers; i++) {
        ocsp_issuer *is = &r->issuers[i];
        const uint8_t *nh = id->hash_nid == NID_sha1 ? is->name_sha1 : is->name_sha256;
        const uint8_t *kh = id->hash_nid == NID_sha1 ? is->key_sha1 : is->key_sha256;
        if (memcmp(nh, id->name_hash, id->hash_len) == 0 &&
            memcmp(kh, id->key_hash, id->hash_len) == 0)
            return is;
    }
    return NULL;
}

static ocsp_issuer *by_name(hsmca_ocsp_responder *r, const char *name)
{
    for (size_t i = 0; i < r->n_issuers; i++)
        if (strcmp(r->issuers[i].rec->name, name) == 0)
            return &r->issuers[i];
    return NULL;
}

/* The issuer's signer, loaded on first use. A delegated responder must be
 * certified by the issuer for OCSP signing (RFC 6960 §4.2.2.2); either
 * certificate must be valid now. */
static hsmca_err signer_of(hsmca_ocsp_responder *r, ocsp_issuer *is, hsmca_ocsp_signer *out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_ocsp_signer s;
    hsmca_time na = 0;

    pthread_mutex_lock(&r->lock);
    if (!is->have_signer) {
        memset(&s, 0, sizeof s);
        HSMCA_GUARD(r->get_signer(r->ctx, is->rec, &s));
        HSMCA_ENSURE(s.key != NULL && s.cert != NULL, HSMCA_E_INTERNAL,
                     "issuer '%s': no OCSP signer", is->rec->name);
        HSMCA_ENSURE(!s.delegated || X509_check_issued(is->cert, s.cert) == X509_V_OK,
                     HSMCA_E_INPUT, "issuer '%s': the delegated OCSP responder certificate is "
                     "not issued by it", is->rec->name);
        /* X509_check_issued compares names (and AKI/keyUsage), not the
         * signature: a responder certificate under the same name from another
         * key would pass it, and every client would then reject our answers. */
        HSMCA_OSSL(!s.delegated || X509_verify(s.cert, X509_get0_pubkey(is->cert)) == 1,
                   "issuer '%s': the delegated OCSP responder certificate is not signed by "
                   "its key", is->rec->name);
        /* RFC 6960 §4.2.2.2: a delegated responder carries id-kp-OCSPSigning. */
        HSMCA_ENSURE(!s.delegated || ((X509_get_extension_flags(s.cert) & EXFLAG_XKUSAGE) != 0 &&
                                      (X509_get_extended_key_usage(s.cert) & XKU_OCSP_SIGN) != 0),
                     HSMCA_E_INPUT, "issuer '%s': the delegated OCSP responder certificate "
                     "lacks extendedKeyUsage id-kp-OCSPSigning (RFC 6960 §4.2.2.2)",
                     is->rec->name);
        HSMCA_ENSURE(s.delegated || X509_cmp(s.cert, is->cert) == 0, HSMCA_E_INTERNAL,
                     "issuer '%s': a non-delegated signer must use the issuer certificate",
                     is->rec->name);
        HSMCA_ENSURE(EVP_PKEY_eq(X509_get0_pubkey(s.cert), s.key) == 1, HSMCA_E_VERIFY,
                     "issuer '%s': the OCSP signing key is not the key of its certificate",
                     is->rec->name);
        /* RFC 5280 §4.2.1.3, BR 7.1.2.10.7 (a CA that signs OCSP itself) and
         * 7.1.2.8.7 (a delegated responder): signing OCSP responses needs
         * digitalSignature. No keyUsage extension at all allows it. */
        HSMCA_ENSURE((X509_get_key_usage(s.cert) & KU_DIGITAL_SIGNATURE) != 0, HSMCA_E_STATE,
                     "issuer '%s': the %s certificate's keyUsage lacks digitalSignature, so it "
                     "may not sign OCSP responses (BR 7.1.2.10.7, RFC 5280 §4.2.1.3)%s",
                     is->rec->name, s.delegated ? "delegated OCSP responder" : "issuer",
                     s.delegated ? "" : "; register the issuer with a delegated responder "
                                        "(hsmca issuer add --ocsp-cert)");
        HSMCA_GUARD(hsmca_ossl_time(X509_get0_notAfter(s.cert), "the responder's notAfter",
                                    &na));
        HSMCA_GUARD(hsmca_ossl_time(X509_get0_notBefore(s.cert), "the responder's notBefore",
                                    &is->signer_not_before));
        is->signer = s;
        is->signer_not_after = na;
        is->have_signer = 1;
    }
    *out = is->signer;
out:
    pthread_mutex_unlock(&r->lock);
    return err;
}

hsmca_err hsmca_ocsp_error_response(int status, uint8_t **resp, size_t *resp_len)
{
    hsmca_err err = HSMCA_OK;
    OCSP_RESPONSE *or = NULL;
    unsigned char *der = NULL;
    int n;

    HSMCA_ENSURE(status != HSMCA_OCSP_SUCCESSFUL && status >= 0 && status <= 6 && status != 4,
                 HSMCA_E_USAGE, "hsmca_ocsp_error_response: status %d is not an error", status);
    or = OCSP_response_create(status, NULL);
    HSMCA_OSSL(or != NULL, "cannot build an OCSP error response");
    n = i2d_OCSP_RESPONSE(or, &der);
    HSMCA_OSSL(n > 0, "cannot encode an OCSP error response");
    *resp = der;
    *resp_len = (size_t)n;
    der = NULL;
out:
    OCSP_RESPONSE_free(or);
    OPENSSL_free(der);
    return err;
}

/* thisUpdate and nextUpdate for a response signed by `signer` now:
 * nextUpdate = thisUpdate + validity - 1 s, not past the responder's
 * notAfter (MRSP 6), and the window still at least BR 4.9.9's 8 hours. */
static hsmca_err window(hsmca_ocsp_responder *r, const ocsp_issuer *is, hsmca_time now,
                        hsmca_time *this_update, hsmca_time *next_update)
{
    hsmca_err err = HSMCA_OK;
    hsmca_time next = now + r->validity - 1;

    *this_update = *next_update = 0;
    char when[32];

    /* A response signed before its signer's validity begins would not
     * verify at thisUpdate. */
    HSMCA_ENSURE(now >= is->signer_not_before, HSMCA_E_STATE,
                 "issuer '%s': the OCSP responder certificate is not valid before %s",
                 is->rec->name, hsmca_clock_format(is->signer_not_before, when, sizeof when));
    if (next > is->signer_not_after)
        next = is->signer_not_after;
    HSMCA_ENSURE(next - now + 1 >= HSMCA_OCSP_VALIDITY_MIN, HSMCA_E_STATE,
                 "issuer '%s': the OCSP responder certificate expires at %s, too soon for a "
                 "response valid for 8 hours (BR 4.9.9, MRSP 6): renew it",
                 is->rec->name, hsmca_clock_format(is->signer_not_after, when, sizeof when));
    *this_update = now;
    *next_update = next;
out:
    return err;
}

/* Answer `ids` (all of issuer `is`) into a signed response, built by
 * hsmca_ocsp_build (build.c). cids are the CertIDs to echo (as requested).
 * q (may be NULL) carries the nonce, checked when it was parsed. */
static hsmca_err answer(hsmca_ocsp_responder *r, ocsp_issuer *is, OCSP_CERTID *const *cids,
                        const hsmca_store_serial *serials, size_t n, const hsmca_ocsp_request *q,
                        hsmca_time now, uint8_t **resp, size_t *resp_len,
                        hsmca_ocsp_outcome *o)
{
    hsmca_err err = HSMCA_OK;
    hsmca_store_status *status = NULL;
    hsmca_ocsp_single *singles = NULL;
    hsmca_ocsp_signer signer = {NULL, NULL, 0};
    hsmca_ocsp_build_req b;
    hsmca_time this_update = 0, next_update = 0;
    int pp, up;

    status = calloc(n, sizeof *status);
    HSMCA_ALLOC(status);
    singles = calloc(n, sizeof *singles);
    HSMCA_ALLOC(singles);
    HSMCA_GUARD(hsmca_store_statuses_get(r->st, is->rec->id, serials, n, status));
    /* The policy as it is now (hsmca_ocsp_responder_reload may change it). */
    pthread_mutex_lock(&r->lock);
    pp = is->rec->ocsp_precert_policy;
    up = is->rec->ocsp_unassigned_policy;
    pthread_mutex_unlock(&r->lock);
    /* Decide first: an unauthorized policy answer needs no signature. */
    for (size_t i = 0; i < n; i++) {
        singles[i].cid = cids[i];
        hsmca_ocsp_decide(&status[i], pp, up, &singles[i].answer);
        if (singles[i].answer.cert_status < 0) {
            o->status = HSMCA_OCSP_UNAUTHORIZED;
            snprintf(o->why, sizeof o->why,
                     "issuer '%s' answers this serial unauthorized (its OCSP policy)",
                     is->rec->name);
            goto out;
        }
    }
    err = signer_of(r, is, &signer);
    if (err == HSMCA_E_NOT_FOUND) {
        /* An issuer in the store that this responder does not sign for
         * (serve --issuer): not ours to answer (RFC 6960 §2.3). */
        o->status = HSMCA_OCSP_UNAUTHORIZED;
        snprintf(o->why, sizeof o->why, "%s", hsmca_err_message());
        hsmca_err_clear();
        err = HSMCA_OK;
        goto out;
    }
    HSMCA_GUARD(err);
    HSMCA_GUARD(window(r, is, now, &this_update, &next_update));
    memset(&b, 0, sizeof b);
    b.signer = &signer;
    b.singles = singles;
    b.n_singles = n;
    b.produced_at = now;
    b.this_update = this_update;
    b.next_update = next_update;
    /* RFC 9654 §2.1: echo the nonce (1..128 octets: checked when parsed). */
    if (q != NULL && q->has_nonce) {
        b.has_nonce = 1;
        b.nonce = q->nonce;
        b.nonce_len = q->nonce_len;
    }
    HSMCA_GUARD(hsmca_ocsp_build(&b, resp, resp_len));
    for (size_t i = 0; i < n; i++) {
        if (singles[i].answer.cert_status == V_OCSP_CERTSTATUS_REVOKED)
            o->revoked++;
        else if (singles[i].answer.cert_status == V_OCSP_CERTSTATUS_GOOD)
            o->good++;
        else
            o->unknown++;
    }
    o->status = HSMCA_OCSP_SUCCESSFUL;
    o->n_answers = n;
    o->nonce = b.has_nonce;
    /* ocsp.h: every requestExtension counts, the nonce too (serve keeps
     * only answers to plain requests). */
    o->extensions = q != NULL ? OCSP_REQUEST_get_ext_count((OCSP_REQUEST *)q->ossl) : 0;
    o->issuer_id = is->rec->id;
    o->serial = serials[0];
    o->this_update = this_update;
    o->next_update = next_update;
out:
    free(status);
    free(singles);
    return err;
}

/* Turn the current error into an internalError outcome (RFC 6960 §2.3). */
static void internal_error(hsmca_ocsp_outcome *o)
{
    const char *detail = hsmca_err_detail();
    /* hsmca_err_detail() is "" when there is none. */
    int has = detail != NULL && detail[0] != '\0';

    o->status = HSMCA_OCSP_INTERNAL_ERROR;
    snprintf(o->why, sizeof o->why, "%s%s%s%s", hsmca_err_message(), has ? " (" : "",
             has ? detail : "", has ? ")" : "");
}

/* Finish: an error response for any outcome that is not successful. */
static hsmca_err finish(hsmca_ocsp_outcome *o, uint8_t **resp, size_t *resp_len)
{
    if (o->status == HSMCA_OCSP_SUCCESSFUL)
        return HSMCA_OK;
    OPENSSL_free(*resp);
    *resp = NULL;
    *resp_len = 0;
    return hsmca_ocsp_error_response(o->status, resp, resp_len);
}

hsmca_err hsmca_ocsp_respond(hsmca_ocsp_responder *r, const uint8_t *req, size_t req_len,
                             hsmca_time now, uint8_t **resp, size_t *resp_len,
                             hsmca_ocsp_outcome *o)
{
    hsmca_err err = HSMCA_OK;
    hsmca_ocsp_request *q = NULL;
    ocsp_issuer *is = NULL;
    OCSP_CERTID **cids = NULL;
    hsmca_store_serial *serials = NULL;

    HSMCA_ENSURE(r != NULL && resp != NULL && resp_len != NULL && o != NULL, HSMCA_E_USAGE,
                 "hsmca_ocsp_respond: missing argument");
    memset(o, 0, sizeof *o);
    *resp = NULL;
    *resp_len = 0;
    if (hsmca_ocsp_request_parse(req, req_len, &q) != HSMCA_OK) {
        if (hsmca_err_last() == HSMCA_E_INPUT) {
            o->status = HSMCA_OCSP_MALFORMED_REQUEST;
            snprintf(o->why, sizeof o->why, "%s", hsmca_err_message());
        } else {
            internal_error(o);
        }
        hsmca_err_clear();
        goto out;
    }
    /* One response, one signer: every CertID must name the same issuer. */
    for (size_t i = 0; i < q->n_ids; i++) {
        ocsp_issuer *m = match(r, &q->ids[i]);
        if (m == NULL || (is != NULL && m != is)) {
            o->status = HSMCA_OCSP_UNAUTHORIZED;
            snprintf(o->why, sizeof o->why,
                     m == NULL ? "CertID %zu names an issuer this responder does not serve"
                               : "CertID %zu names another issuer than CertID 1; ask for one "
                                 "issuer per request",
                     i + 1);
            goto out;
        }
        is = m;
    }
    if (is == NULL)
        goto out; /* not reached: a parsed request has a CertID */
    snprintf(o->issuer, sizeof o->issuer, "%s", is->rec->name);
    cids = calloc(q->n_ids, sizeof *cids);
    serials = calloc(q->n_ids, sizeof *serials);
    if (cids == NULL || serials == NULL) {
        o->status = HSMCA_OCSP_INTERNAL_ERROR;
        snprintf(o->why, sizeof o->why, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < q->n_ids; i++) {
        cids[i] = OCSP_onereq_get0_id(OCSP_request_onereq_get0(q->ossl, (int)i));
        serials[i] = q->ids[i].serial;
    }
    if (answer(r, is, cids, serials, q->n_ids, q, now, resp, resp_len, o) != HSMCA_OK) {
        internal_error(o);
        hsmca_err_clear();
    }
out:
    free(cids);
    free(serials);
    hsmca_ocsp_request_free(q);
    if (err == HSMCA_OK)
        err = finish(o, resp, resp_len);
    return err;
}

hsmca_err hsmca_ocsp_respond_serial(hsmca_ocsp_responder *r, const char *issuer,
                                    const uint8_t *serial, size_t serial_len, const char *hash,
                                    hsmca_time now, uint8_t **resp, size_t *resp_len,
                                    hsmca_ocsp_outcome *o)
{
    hsmca_err err = HSMCA_OK;
    ocsp_issuer *is;
    const EVP_MD *md;
    ASN1_INTEGER *ai = NULL;
    BIGNUM *bn = NULL;
    OCSP_CERTID *cid = NULL;
    hsmca_store_serial s;

    HSMCA_ENSURE(r != NULL && issuer != NULL && resp != NULL && resp_len != NULL && o != NULL,
                 HSMCA_E_USAGE, "hsmca_ocsp_respond_serial: missing argument");
    memset(o, 0, sizeof *o);
    *resp = NULL;
    *resp_len = 0;
    HSMCA_GUARD(hsmca_store_check_serial(serial, serial_len));
    HSMCA_ENSURE(hash == NULL || strcmp(hash, "sha1") == 0 || strcmp(hash, "sha256") == 0,
                 HSMCA_E_USAGE, "unknown CertID hash '%s' (sha1 or sha256)", hash);
    md = hash != NULL && strcmp(hash, "sha256") == 0 ? EVP_sha256() : EVP_sha1();
    is = by_name(r, issuer);
    HSMCA_ENSURE(is != NULL, HSMCA_E_NOT_FOUND, "no issuer '%s' in the store", issuer);
    snprintf(o->issuer, sizeof o->issuer, "%s", is->rec->name);
    bn = BN_bin2bn(serial, (int)serial_len, NULL);
    HSMCA_ALLOC(bn);
    ai = BN_to_ASN1_INTEGER(bn, NULL);
    HSMCA_ALLOC(ai);
    cid = OCSP_cert_id_new(md, X509_get_subject_name(is->cert), X509_get0_pubkey_bitstr(is->cert),
                           ai);
    HSMCA_OSSL(cid != NULL, "cannot build a CertID");
    memset(&s, 0, sizeof s);
    memcpy(s.b, serial, serial_len);
    s.len = serial_len;
    HSMCA_GUARD(answer(r, is, &cid, &s, 1, NULL, now, resp, resp_len, o));
    HSMCA_GUARD(finish(o, resp, resp_len));
out:
    OCSP_CERTID_free(cid);
    ASN1_INTEGER_free(ai);
    BN_free(bn);
    return err;
}

hsmca_err hsmca_ocsp_responder_reload(hsmca_ocsp_responder *r)
{
    hsmca_err err = HSMCA_OK;
    hsmca_store_issuer **recs = NULL;
    size_t n = 0;

    HSMCA_GUARD(hsmca_store_issuers(r->st, &recs, &n));
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < r->n_issuers; i++) {
        for (size_t k = 0; k < n; k++) {
            if (recs[k]->id == r->issuers[i].rec->id) {
                r->issuers[i].rec->ocsp_precert_policy = recs[k]->ocsp_precert_policy;
                r->issuers[i].rec->ocsp_unassigned_policy = recs[k]->ocsp_unassigned_policy;
            }
        }
    }
    pthread_mutex_unlock(&r->lock);
out:
    hsmca_store_issuers_free(recs, n);
    return err;
}
