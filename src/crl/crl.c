/* hsmca — CRLs (include/hsmca/crl.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "hsmca/crl.h"
#include "hsmca/ossl.h"
#include "hsmca/x509.h"

/* BR 7.2.2: the reasons a CRL entry may carry. certificateHold (6) is
 * forbidden; unspecified (0) is expressed by leaving the extension out. */
static const struct {
    int code;
    const char *name;
} reasons[] = {
    {1, "keyCompromise"},
    {3, "affiliationChanged"},
    {4, "superseded"},
    {5, "cessationOfOperation"},
    {9, "privilegeWithdrawn"},
};

hsmca_err hsmca_crl_reason_parse(const char *name, int *out)
{
    if (strcmp(name, "unspecified") == 0) {
        *out = HSMCA_CRL_REASON_NONE;
        return HSMCA_OK;
    }
    for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
        if (strcmp(name, reasons[i].name) == 0) {
            *out = reasons[i].code;
            return HSMCA_OK;
        }
    }
    if (strcmp(name, "certificateHold") == 0)
        return hsmca_err_setf(HSMCA_E_INPUT, "revocation reason certificateHold is forbidden "
                              "(BR 7.2.2)");
    return hsmca_err_setf(HSMCA_E_INPUT,
                          "unknown revocation reason '%s' (allowed by BR 7.2.2: unspecified, "
                          "keyCompromise, affiliationChanged, superseded, cessationOfOperation, "
                          "privilegeWithdrawn)", name);
}

const char *hsmca_crl_reason_name(int reason)
{
    if (reason == HSMCA_CRL_REASON_NONE)
        return "unspecified";
    for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
        if (reasons[i].code == reason)
            return reasons[i].name;
    return "?";
}

static int reason_allowed(int reason)
{
    return strcmp(hsmca_crl_reason_name(reason), "?") != 0;
}

static hsmca_err add_entry(X509_CRL *crl, const hsmca_crl_entry *e)
{
    hsmca_err err = HSMCA_OK;
    X509_REVOKED *rev = NULL;
    ASN1_INTEGER *serial = NULL;
    ASN1_TIME *when = NULL;
    ASN1_ENUMERATED *code = NULL;
    BIGNUM *bn = NULL;

    HSMCA_ENSURE(e->serial_len > 0 && e->serial_len <= HSMCA_X509_SERIAL_MAX, HSMCA_E_INPUT,
                 "CRL entry: serial must be 1 to %d octets", HSMCA_X509_SERIAL_MAX);
    HSMCA_ENSURE(e->reason == HSMCA_CRL_REASON_NONE || reason_allowed(e->reason), HSMCA_E_INPUT,
                 "CRL entry: reason code %d is not allowed (BR 7.2.2)", e->reason);
    /* BR 7.2.2: an entry for a CA certificate MUST carry a reasonCode. */
    HSMCA_ENSURE(!e->is_ca || e->reason != HSMCA_CRL_REASON_NONE, HSMCA_E_INPUT,
                 "CRL entry for a CA certificate needs a reason (BR 7.2.2)");
    rev = X509_REVOKED_new();
    HSMCA_ALLOC(rev);
    bn = BN_bin2bn(e->serial, (int)e->serial_len, NULL);
    HSMCA_OSSL(bn != NULL, "CRL entry: bad serial");
    serial = BN_to_ASN1_INTEGER(bn, NULL);
    HSMCA_OSSL(serial != NULL && X509_REVOKED_set_serialNumber(rev, serial),
               "CRL entry: cannot set the serial");
    when = ASN1_TIME_set(NULL, (time_t)e->revoked_at);
    HSMCA_OSSL(when != NULL && X509_REVOKED_set_revocationDate(rev, when),
               "CRL entry: cannot set the revocation date");
    if (e->reason != HSMCA_CRL_REASON_NONE) {
        code = ASN1_ENUMERATED_new();
        HSMCA_ALLOC(code);
        /* BR 7.2.2: reasonCode non-critical. */
        HSMCA_OSSL(ASN1_ENUMERATED_set(code, e->reason) &&
                       X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, code, 0, 0) == 1,
                   "CRL entry: cannot add the reason");
    }
    HSMCA_OSSL(X509_CRL_add0_revoked(crl, rev), "CRL: cannot add an entry");
    rev = NULL;
out:
    X509_REVOKED_free(rev);
    ASN1_INTEGER_free(serial);
    ASN1_TIME_free(when);
    ASN1_ENUMERATED_free(code);
    BN_free(bn);
    return err;
}

hsmca_err hsmca_crl_build(const hsmca_crl_request *req, X509_CRL **out)
{
    hsmca_err err = HSMCA_OK;
    X509_CRL *crl = NULL;
    ASN1_TIME *t = NULL;
    ASN1_INTEGER *number = NULL;
    AUTHORITY_KEYID *akid = NULL;
    const ASN1_OCTET_STRING *ski;

    HSMCA_ENSURE(req->issuer != NULL, HSMCA_E_USAGE, "CRL: no issuer certificate");
    HSMCA_ENSURE(req->next_update > req->this_update, HSMCA_E_INPUT,
                 "CRL: nextUpdate must be after thisUpdate");
    HSMCA_ENSURE(req->number > 0, HSMCA_E_INPUT, "CRL: the CRL number must be positive");
    ski = X509_get0_subject_key_id(req->issuer);
    HSMCA_ENSURE(ski != NULL, HSMCA_E_INPUT,
                 "CRL: the issuer certificate has no subject key identifier, so the CRL "
                 "cannot carry the AKI BR 7.2.2 requires");
    for (size_t i = 0; i < req->n_entries; i++)
        for (size_t j = 0; j < i; j++)
            HSMCA_ENSURE(req->entries[i].serial_len != req->entries[j].serial_len ||
                             memcmp(req->entries[i].serial, req->entries[j].serial,
                                    req->entries[i].serial_len) != 0,
                         HSMCA_E_INPUT, "CRL: a serial is listed twice");

    crl = X509_CRL_new();
    HSMCA_ALLOC(crl);
    HSMCA_OSSL(X509_CRL_set_version(crl, X509_CRL_VERSION_2), "CRL: cannot set v2");
    /* BR 7.1.4.1 / RFC 5280 §5.1.2.3: issuer byte-identical to the CA's subject. */
    HSMCA_OSSL(X509_CRL_set_issuer_name(crl, X509_get_subject_name(req->issuer)),
               "CRL: cannot set the issuer");
    /* ASN1_TIME_set picks UTCTime through 2049 (RFC 5280 §5.1.2.4). */
    t = ASN1_TIME_set(NULL, (time_t)req->this_update);
    HSMCA_OSSL(t != NULL && X509_CRL_set1_lastUpdate(crl, t), "CRL: cannot set thisUpdate");
    ASN1_TIME_free(t);
    t = ASN1_TIME_set(NULL, (time_t)req->next_update);
    HSMCA_OSSL(t != NULL && X509_CRL_set1_nextUpdate(crl, t), "CRL: cannot set nextUpdate");

    for (size_t i = 0; i < req->n_entries; i++)
        HSMCA_GUARD(add_entry(crl, &req->entries[i]));
    HSMCA_OSSL(X509_CRL_sort(crl), "CRL: cannot sort the entries");

    /* BR 7.2.2: AKI keyIdentifier only, equal to the issuer's SKI. */
    akid = AUTHORITY_KEYID_new();
    HSMCA_ALLOC(akid);
    akid->keyid = ASN1_OCTET_STRING_dup(ski);
    HSMCA_ALLOC(akid->keyid);
    HSMCA_OSSL(X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid, 0, 0) == 1,
               "CRL: cannot add the AKI");
    /* RFC 5280 §5.2.3, BR 7.2.2: cRLNumber, non-critical. */
    number = ASN1_INTEGER_new();
    HSMCA_ALLOC(number);
    HSMCA_OSSL(ASN1_INTEGER_set_uint64(number, req->number) &&
                   X509_CRL_add1_ext_i2d(crl, NID_crl_number, number, 0, 0) == 1,
               "CRL: cannot add the CRL number");
    *out = crl;
    crl = NULL;
out:
    X509_CRL_free(crl);
    ASN1_TIME_free(t);
    ASN1_INTEGER_free(number);
    AUTHORITY_KEYID_free(akid);
    return err;
}

hsmca_err hsmca_crl_sign(X509_CRL *crl, EVP_PKEY *key, EVP_PKEY *verify_key)
{
    hsmca_err err = HSMCA_OK;

    const EVP_MD *md = NULL;

    /* BR 7.1.3.2: the digest follows the signing key, as for certificates. */
    HSMCA_GUARD(hsmca_x509_sign_digest(verify_key, &md));
    HSMCA_OSSL(X509_CRL_sign(crl, key, md) > 0, "CRL: signing failed");
    if (X509_CRL_verify(crl, verify_key) != 1) {
        ERR_clear_error();
        HSMCA_FAIL(HSMCA_E_VERIFY, "CRL: the signature does not verify with the issuer's key");
    }
out:
    return err;
}

hsmca_err hsmca_crl_to_der(X509_CRL *crl, uint8_t **out, size_t *out_len)
{
    unsigned char *der = NULL;
    int n = i2d_X509_CRL(crl, &der);

    if (n <= 0)
        return hsmca_err_openssl(HSMCA_E_CRYPTO, "CRL: cannot encode");
    *out = der;
    *out_len = (size_t)n;
    return HSMCA_OK;
}

hsmca_err hsmca_crl_to_pem(X509_CRL *crl, char **out, size_t *out_len)
{
    hsmca_err err = HSMCA_OK;
    BIO *mem = BIO_new(BIO_s_mem());

    HSMCA_ALLOC(mem);
    HSMCA_OSSL(PEM_write_bio_X509_CRL(mem, crl), "CRL: cannot encode PEM");
    HSMCA_GUARD(hsmca_bio_to_buf(mem, "the CRL as PEM", out, out_len));
out:
    BIO_free(mem);
    return err;
}

hsmca_err hsmca_crl_issue(hsmca_store *st, const hsmca_store_issuer *issuer, X509 *issuer_cert,
                          EVP_PKEY *key, hsmca_time now, hsmca_time validity, uint8_t **der,
                          size_t *der_len, uint64_t *number)
{
    hsmca_err err = HSMCA_OK;
    hsmca_store_status *revoked = NULL;
    hsmca_crl_entry *entries = NULL;
    X509_CRL *crl = NULL;
    hsmca_crl_request req;
    hsmca_time next, not_after = 0;
    size_t n = 0;
    uint64_t num = 0;

    HSMCA_ENSURE(st != NULL && issuer != NULL && issuer_cert != NULL && key != NULL &&
                     der != NULL && der_len != NULL,
                 HSMCA_E_USAGE, "hsmca_crl_issue: missing argument");
    *der = NULL;
    *der_len = 0;
    if (validity == 0)
        validity = HSMCA_CRL_VALIDITY_DEFAULT;
    HSMCA_ENSURE(validity > 0 && validity <= HSMCA_CRL_VALIDITY_MAX, HSMCA_E_USAGE,
                 "a CRL validity of %lld s is more than the 10 days BR 4.9.7 allows a "
                 "subscriber CRL",
                 (long long)validity);
    HSMCA_GUARD(hsmca_ossl_time(X509_get0_notAfter(issuer_cert), "the issuer's notAfter",
                                &not_after));
    next = now + validity;
    if (next > not_after)
        next = not_after; /* MRSP 6: not past the CA certificate */
    HSMCA_ENSURE(next > now, HSMCA_E_STATE,
                 "issuer '%s': its certificate has expired; no CRL can be signed", issuer->name);
    /* The number is taken last before signing, with the list, in one
     * transaction: a refused request (bad validity, expired CA) does not
     * use one, and two signers never list less under a higher number. */
    HSMCA_GUARD(hsmca_store_crl_take(st, issuer->id, "", now, &num, &revoked, &n));
    if (n > 0) {
        entries = calloc(n, sizeof *entries);
        HSMCA_ALLOC(entries);
    }
    for (size_t i = 0; i < n; i++) {
        /* Leaves only: the store holds what this CA issued to subscribers. */
        entries[i] = (hsmca_crl_entry){revoked[i].serial.b, revoked[i].serial.len,
                                       revoked[i].revoked_at, revoked[i].reason, 0};
    }
    req = (hsmca_crl_request){issuer_cert, now, next, num, entries, n};
    HSMCA_GUARD(hsmca_crl_build(&req, &crl));
    HSMCA_GUARD(hsmca_crl_sign(crl, key, X509_get0_pubkey(issuer_cert)));
    HSMCA_GUARD(hsmca_crl_to_der(crl, der, der_len));
    HSMCA_GUARD(hsmca_store_crl_record(st, issuer->id, "", num, now, next, *der, *der_len, now));
    if (number != NULL)
        *number = num;
out:
    if (err != HSMCA_OK && der != NULL) {
        OPENSSL_free(*der);
        *der = NULL;
        *der_len = 0;
    }
    X509_CRL_free(crl);
    free(entries);
    free(revoked);
    return err;
}
