/* hsmca — issuance (include/hsmca/ca.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "hsmca/ca.h"
#include "hsmca/log.h"
#include "hsmca/profile.h"
#include "hsmca/x509.h"

struct hsmca_ca {
    hsmca_store *store;
    hsmca_store_issuer *issuer;
    X509 *cert;
    hsmca_token *tok;
    hsmca_key *key;
};

/* Crash tests (issue #4): HSMCA_FAULT=<point> ends the process abruptly at
 * that point, as a power cut would, without any cleanup. */
static void fault_point(const char *point)
{
    const char *want = getenv("HSMCA_FAULT");

    if (want != NULL && strcmp(want, point) == 0) {
        fprintf(stderr, "hsmca: HSMCA_FAULT=%s: exiting here\n", point);
        _exit(99);
    }
}

static void hex(const uint8_t *p, size_t n, char *out, size_t len)
{
    size_t o = 0;

    out[0] = '\0';
    for (size_t i = 0; i < n && o + 3 <= len; i++)
        o += (size_t)snprintf(out + o, len - o, "%02x", p[i]);
}

hsmca_err hsmca_ca_open(hsmca_store *st, hsmca_hsm *hsm, const char *issuer_name,
                        const hsmca_secret *pin, hsmca_ca **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_ca *ca = NULL;
    hsmca_secret *read_pin = NULL;
    hsmca_token_sel sel = HSMCA_TOKEN_SEL_INIT;
    hsmca_key_sel ks;
    char what[160];

    ca = calloc(1, sizeof(*ca));
    HSMCA_ALLOC(ca);
    ca->store = st;
    HSMCA_GUARD(hsmca_store_issuer_get(st, issuer_name, &ca->issuer));
    HSMCA_GUARD(hsmca_x509_from_bytes(ca->issuer->cert_der, ca->issuer->cert_len, &ca->cert));
    sel.label = ca->issuer->token_label;
    sel.serial = ca->issuer->token_serial;
    HSMCA_GUARD(hsmca_hsm_token_open(hsm, &sel, &ca->tok));
    if (pin == NULL) {
        hsmca_pin_source src = {ca->issuer->pin_file, ca->issuer->pin_env,
                                ca->issuer->pin_file == NULL && ca->issuer->pin_env == NULL,
                                what};
        snprintf(what, sizeof(what), "user PIN for token '%s' (issuer '%s')",
                 hsmca_hsm_token_info(ca->tok)->label, issuer_name);
        HSMCA_GUARD(hsmca_secret_read_pin(&src, &read_pin));
        pin = read_pin;
    }
    HSMCA_GUARD(hsmca_hsm_token_login(ca->tok, pin));
    ks = (hsmca_key_sel){ca->issuer->key_label, ca->issuer->key_id, ca->issuer->key_id_len};
    HSMCA_GUARD(hsmca_hsm_key_find(ca->tok, &ks, &ca->key));
    /* The token key must still be the certificate's key (a token swapped or
     * re-initialised since `issuer add` is caught here). */
    HSMCA_ENSURE(EVP_PKEY_eq(X509_get0_pubkey(ca->cert), hsmca_hsm_key_get0_public(ca->key)) == 1,
                 HSMCA_E_VERIFY, "issuer '%s': key '%s' in token '%s' is not the key of the "
                 "issuer certificate", issuer_name, hsmca_hsm_key_info(ca->key)->label,
                 hsmca_hsm_token_info(ca->tok)->label);
    *out = ca;
    ca = NULL;
out:
    hsmca_secret_free(read_pin);
    hsmca_ca_free(ca);
    return err;
}

void hsmca_ca_free(hsmca_ca *ca)
{
    if (ca == NULL)
        return;
    hsmca_hsm_key_free(ca->key);
    hsmca_hsm_token_free(ca->tok);
    X509_free(ca->cert);
    hsmca_store_issuer_free(ca->issuer);
    free(ca);
}

X509 *hsmca_ca_get0_cert(const hsmca_ca *ca)
{
    return ca->cert;
}

const hsmca_store_issuer *hsmca_ca_get0_issuer(const hsmca_ca *ca)
{
    return ca->issuer;
}

static hsmca_err load_profile(const hsmca_ca *ca, const hsmca_ca_request *req, hsmca_profile **out)
{
    hsmca_err err = HSMCA_OK;
    const char *name = req->profile;
    hsmca_profile *p = NULL;

    if (name == NULL)
        name = ca->issuer->profile != NULL ? ca->issuer->profile : "tls-server";
    HSMCA_GUARD(hsmca_profile_load_named(name, req->profiles_dir, &p));
    HSMCA_GUARD(hsmca_profile_check_usable(p, 0));
    HSMCA_ENSURE(p->kind == HSMCA_PROFILE_TLS_SERVER, HSMCA_E_INPUT,
                 "profile '%s' is a %s profile; precertificates are issued from tls-server "
                 "profiles", p->name, hsmca_profile_kind_name(p->kind));
    *out = p;
    p = NULL;
out:
    hsmca_profile_free(p);
    return err;
}

/* Build the precert TBS with a fresh serial and the poison, and lint it. */
static hsmca_err build_linted(hsmca_ca *ca, const hsmca_ca_request *req, const hsmca_profile *p,
                              hsmca_time now, X509 **out, uint8_t *serial, size_t *serial_len,
                              uint8_t **tbs, size_t *tbs_len)
{
    hsmca_err err = HSMCA_OK;
    uint8_t rnd[16];
    X509 *cert = NULL;
    hsmca_lint_result *res = NULL;
    hsmca_x509_subject subject;
    hsmca_x509_request xr;
    hsmca_lint_input in;

    /* CONFORMANCE.md §1: 16 bytes from the token's RNG, top bit cleared. */
    HSMCA_GUARD(hsmca_hsm_random(ca->tok, rnd, sizeof(rnd)));
    HSMCA_GUARD(hsmca_x509_serial_from_random(rnd, sizeof(rnd), serial, serial_len));
    memset(&subject, 0, sizeof(subject));
    xr = (hsmca_x509_request){
        .profile = p, .subject = &subject, .subject_key = req->subject_key, .issuer = ca->cert,
        .signer_public = hsmca_hsm_key_get0_public(ca->key), .serial = serial,
        .serial_len = *serial_len, .now = now, .base_url = ca->issuer->base_url,
        .issuer_id = ca->issuer->name, .dns_names = req->dns_names, .n_dns = req->n_dns,
        .ip_addrs = req->ip_addrs, .n_ips = req->n_ips};
    HSMCA_GUARD(hsmca_x509_build(&xr, &cert));
    /* RFC 6962 §3.1: the poison makes it a precertificate. */
    HSMCA_GUARD(hsmca_ct_add_poison(cert));
    in = (hsmca_lint_input){NULL, HSMCA_PROFILE_TLS_SERVER, ca->cert, now, req->skip_lints, 1};
    err = hsmca_ca_presign_lint(cert, hsmca_hsm_key_get0_public(ca->key), &in, tbs, tbs_len, &res);
    if (err != HSMCA_OK) {
        hsmca_err_context("precertificate refused before signing (no serial was used)");
        goto out;
    }
    *out = cert;
    cert = NULL;
out:
    OPENSSL_cleanse(rnd, sizeof(rnd));
    hsmca_lint_result_free(res);
    X509_free(cert);
    return err;
}

hsmca_err hsmca_ca_issue_precert(hsmca_ca *ca, const hsmca_ca_request *req, X509 **out,
                                 uint8_t *out_serial, size_t *out_serial_len)
{
    hsmca_err err = HSMCA_OK;
    hsmca_profile *p = NULL;
    X509 *cert = NULL;
    uint8_t serial[HSMCA_X509_SERIAL_MAX], *tbs = NULL, *der = NULL;
    size_t serial_len = 0, tbs_len = 0, der_len = 0;
    hsmca_time now = hsmca_clock_now();
    char sx[2 * HSMCA_X509_SERIAL_MAX + 1];
    int attempt;

    HSMCA_ENSURE(req->subject_key != NULL, HSMCA_E_USAGE, "no subject public key");
    HSMCA_ENSURE(req->n_dns + req->n_ips > 0, HSMCA_E_INPUT,
                 "a TLS certificate needs at least one DNS name or IP address (BR 7.1.2.7.12)");
    HSMCA_GUARD(load_profile(ca, req, &p));
    /* A 127-bit serial collides with a used one with negligible probability;
     * if it ever does, the store refuses it and a new one is drawn. */
    for (attempt = 0;; attempt++) {
        X509_free(cert);
        cert = NULL;
        OPENSSL_free(tbs);
        tbs = NULL;
        HSMCA_GUARD(build_linted(ca, req, p, now, &cert, serial, &serial_len, &tbs, &tbs_len));
        /* Reserved before the token signs: never used twice, even after a
         * crash (DESIGN.md "What it does" 2). */
        err = hsmca_store_serial_reserve(ca->store, ca->issuer->id, serial, serial_len, now);
        if (err != HSMCA_E_EXISTS || attempt >= 3)
            break;
        hsmca_log_warn("serial collision with a used serial; drawing another");
    }
    HSMCA_GUARD(err);
    fault_point("after-reserve");
    HSMCA_GUARD(hsmca_ca_token_sign(cert, hsmca_hsm_key_get0_signer(ca->key),
                                    hsmca_hsm_key_get0_public(ca->key), tbs, tbs_len));
    fault_point("after-precert-sign");
    HSMCA_GUARD(hsmca_x509_to_der(cert, &der, &der_len));
    /* Recorded before it is returned: an assigned serial is known to OCSP. */
    HSMCA_GUARD(hsmca_store_precert_record(ca->store, ca->issuer->id, serial, serial_len, der,
                                           der_len, now - p->backdate_seconds,
                                           now - p->backdate_seconds + p->validity_seconds, now));
    fault_point("after-precert-record");
    hex(serial, serial_len, sx, sizeof(sx));
    hsmca_log_info("issuer '%s': precertificate %s issued", ca->issuer->name, sx);
    memcpy(out_serial, serial, serial_len);
    *out_serial_len = serial_len;
    *out = cert;
    cert = NULL;
out:
    hsmca_profile_free(p);
    X509_free(cert);
    OPENSSL_free(tbs);
    OPENSSL_free(der);
    return err;
}

hsmca_err hsmca_ca_find_precert(hsmca_ca *ca, X509 *precert, uint8_t *out_serial,
                                size_t *out_serial_len)
{
    hsmca_err err = HSMCA_OK;
    hsmca_store_cert *c = NULL;
    uint8_t *der = NULL;
    size_t der_len = 0;
    BIGNUM *bn = NULL;
    uint8_t serial[HSMCA_X509_SERIAL_MAX];
    int n;
    char sx[2 * HSMCA_X509_SERIAL_MAX + 1];

    HSMCA_ENSURE(X509_NAME_cmp(X509_get_issuer_name(precert), X509_get_subject_name(ca->cert)) == 0,
                 HSMCA_E_INPUT, "the precertificate was not issued by '%s'", ca->issuer->name);
    bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(precert), NULL);
    HSMCA_OSSL(bn != NULL, "cannot read the precertificate's serial");
    n = BN_num_bytes(bn);
    HSMCA_ENSURE(n >= 1 && n <= HSMCA_X509_SERIAL_MAX && !BN_is_negative(bn), HSMCA_E_INPUT,
                 "the precertificate's serial is out of range");
    BN_bn2bin(bn, serial);
    hex(serial, (size_t)n, sx, sizeof(sx));
    err = hsmca_store_cert_get(ca->store, ca->issuer->id, serial, (size_t)n, &c);
    if (err == HSMCA_E_NOT_FOUND)
        HSMCA_FAIL(HSMCA_E_NOT_FOUND, "issuer '%s' never issued serial %s", ca->issuer->name, sx);
    HSMCA_GUARD(err);
    HSMCA_ENSURE(c->precert_der != NULL, HSMCA_E_NOT_FOUND,
                 "issuer '%s' has no precertificate with serial %s", ca->issuer->name, sx);
    HSMCA_GUARD(hsmca_x509_to_der(precert, &der, &der_len));
    HSMCA_ENSURE(der_len == c->precert_len && memcmp(der, c->precert_der, der_len) == 0,
                 HSMCA_E_VERIFY, "the precertificate given for serial %s differs from the one "
                 "issuer '%s' issued (tampered copy?)", sx, ca->issuer->name);
    memcpy(out_serial, serial, (size_t)n);
    *out_serial_len = (size_t)n;
out:
    BN_free(bn);
    OPENSSL_free(der);
    hsmca_store_cert_free(c);
    return err;
}

hsmca_err hsmca_ca_issue_final(hsmca_ca *ca, const uint8_t *serial, size_t serial_len,
                               hsmca_sct *const *scts, size_t n_scts, const hsmca_ct_log *logs,
                               size_t n_logs, X509 **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_store_cert *c = NULL;
    X509 *precert = NULL, *final = NULL;
    hsmca_store_sct *stored = NULL;
    hsmca_lint_result *res = NULL;
    uint8_t *tbs = NULL, *der = NULL;
    size_t tbs_len = 0, der_len = 0;
    hsmca_time now = hsmca_clock_now();
    char sx[2 * HSMCA_X509_SERIAL_MAX + 1];
    hsmca_lint_input in;

    hex(serial, serial_len, sx, sizeof(sx));
    HSMCA_ENSURE(n_scts >= 1, HSMCA_E_INPUT, "a final certificate needs at least one SCT");
    err = hsmca_store_cert_get(ca->store, ca->issuer->id, serial, serial_len, &c);
    if (err == HSMCA_E_NOT_FOUND)
        HSMCA_FAIL(HSMCA_E_NOT_FOUND, "issuer '%s' has no precertificate with serial %s",
                   ca->issuer->name, sx);
    HSMCA_GUARD(err);
    HSMCA_ENSURE(c->state != HSMCA_SERIAL_FINAL, HSMCA_E_EXISTS,
                 "serial %s of issuer '%s' already has its final certificate; a "
                 "precertificate gets at most one (BR 7.1.2.9, MRSP 5.2)", sx, ca->issuer->name);
    HSMCA_ENSURE(c->state == HSMCA_SERIAL_PRECERT && c->precert_der != NULL, HSMCA_E_STATE,
                 "serial %s of issuer '%s' was reserved but has no precertificate (its "
                 "issuance was interrupted before the precertificate was recorded)", sx,
                 ca->issuer->name);
    HSMCA_GUARD(hsmca_x509_from_bytes(c->precert_der, c->precert_len, &precert));

    /* Every SCT must come from a known log and be signed over this
     * precertificate entry (RFC 6962 §3.2, CONFORMANCE.md §11). */
    HSMCA_ENSURE(n_logs > 0, HSMCA_E_USAGE, "no CT log keys to verify the SCTs against");
    stored = calloc(n_scts, sizeof(*stored));
    HSMCA_ALLOC(stored);
    for (size_t i = 0; i < n_scts; i++) {
        const hsmca_ct_log *log = hsmca_ct_log_find(logs, n_logs, scts[i]->log_id);
        char lx[65];

        hex(scts[i]->log_id, 32, lx, sizeof(lx));
        HSMCA_ENSURE(log != NULL, HSMCA_E_VERIFY, "SCT %zu is from log %s, which is not one "
                     "of the %zu configured logs", i + 1, lx, n_logs);
        for (size_t j = 0; j < i; j++)
            HSMCA_ENSURE(memcmp(scts[j]->log_id, scts[i]->log_id, 32) != 0, HSMCA_E_INPUT,
                         "SCTs %zu and %zu are from the same log (%s)", j + 1, i + 1, log->name);
        err = hsmca_ct_sct_verify(scts[i], log->key, precert, ca->cert);
        if (err != HSMCA_OK) {
            hsmca_err_context("SCT %zu from log '%s'", i + 1, log->name);
            goto out;
        }
        memcpy(stored[i].log_id, scts[i]->log_id, 32);
        stored[i].timestamp = scts[i]->timestamp;
        HSMCA_GUARD(hsmca_ct_sct_encode(scts[i], &stored[i].tls, &stored[i].tls_len));
    }

    HSMCA_GUARD(hsmca_ct_final_from_precert(precert, scts, n_scts, &final));
    in = (hsmca_lint_input){NULL, HSMCA_PROFILE_TLS_SERVER, ca->cert, now, NULL, 0};
    err = hsmca_ca_presign_lint(final, hsmca_hsm_key_get0_public(ca->key), &in, &tbs, &tbs_len,
                                &res);
    if (err != HSMCA_OK) {
        hsmca_err_context("final certificate refused before signing");
        goto out;
    }
    /* BR 7.1.2.9, RFC 6962 §3.2: prove the correspondence on what will be
     * signed, before the token signs it. */
    HSMCA_GUARD(hsmca_ct_correspond(precert, final));
    HSMCA_GUARD(hsmca_ca_token_sign(final, hsmca_hsm_key_get0_signer(ca->key),
                                    hsmca_hsm_key_get0_public(ca->key), tbs, tbs_len));
    HSMCA_GUARD(hsmca_ct_correspond(precert, final));
    fault_point("after-final-sign");
    HSMCA_GUARD(hsmca_x509_to_der(final, &der, &der_len));
    HSMCA_GUARD(hsmca_store_final_record(ca->store, ca->issuer->id, serial, serial_len, der,
                                         der_len, stored, n_scts, now));
    hsmca_log_info("issuer '%s': final certificate %s issued with %zu SCTs", ca->issuer->name,
                   sx, n_scts);
    *out = final;
    final = NULL;
out:
    if (stored != NULL)
        for (size_t i = 0; i < n_scts; i++)
            free(stored[i].tls);
    free(stored);
    hsmca_store_cert_free(c);
    hsmca_lint_result_free(res);
    X509_free(precert);
    X509_free(final);
    OPENSSL_free(tbs);
    OPENSSL_free(der);
    return err;
}
