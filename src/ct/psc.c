/* hsmca — the legacy Precertificate Signing Certificate form (RFC 6962
 * §3.1, §3.2; include/hsmca/ct.h). BR 7.1.2.4 forbids PSCs from 2026-03-15
 * (ballot SC-092, CONFORMANCE.md §8): hsmca builds these only for negative
 * and legacy fixtures (`hsmca fixtures`), never when it issues.
 *
 * A precertificate signed by a PSC carries the PSC as its issuer (name and
 * authorityKeyIdentifier). What a log signs, and what the final
 * certificate must equal, is that precertificate's TBS with the poison
 * removed and the issuer name and keyIdentifier of the CA that issues the
 * final (the PSC's issuer); issuer_key_hash is that CA's key hash.
 *
 * Unlike hsmca_ct_precert_tbs, which cuts the poison out of the DER as
 * signed, these TBS bytes come from OpenSSL re-encoding the changed fields:
 * the final certificate is built from the same fields by the same encoder
 * (and OpenSSL's SCT validation rebuilds the entry from the final the same
 * way), so the three agree.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "ct_int.h"
#include "hsmca/ossl.h"

hsmca_err hsmca_ct_set_issuer(X509 *cert, X509 *issuer)
{
    hsmca_err err = HSMCA_OK;
    AUTHORITY_KEYID *akid = NULL;
    const ASN1_OCTET_STRING *ski;

    HSMCA_ENSURE(cert != NULL && issuer != NULL, HSMCA_E_USAGE,
                 "hsmca_ct_set_issuer: missing argument");
    HSMCA_OSSL(X509_set_issuer_name(cert, X509_get_subject_name(issuer)) == 1,
               "cannot set the issuer name");
    if (X509_get_ext_by_NID(cert, NID_authority_key_identifier, -1) < 0)
        goto out;
    ski = X509_get0_subject_key_id(issuer);
    HSMCA_ENSURE(ski != NULL, HSMCA_E_INPUT, "the issuer has no subjectKeyIdentifier for the "
                 "authorityKeyIdentifier (BR 7.1.2.11.1)");
    akid = AUTHORITY_KEYID_new();
    HSMCA_ALLOC(akid);
    akid->keyid = ASN1_OCTET_STRING_dup(ski);
    HSMCA_ALLOC(akid->keyid);
    /* X509V3_ADD_REPLACE keeps the extension's position (and it is not
     * critical, RFC 5280 §4.2.1.1). */
    HSMCA_OSSL(X509_add1_ext_i2d(cert, NID_authority_key_identifier, akid, 0,
                                 X509V3_ADD_REPLACE) == 1,
               "cannot replace the authorityKeyIdentifier");
out:
    AUTHORITY_KEYID_free(akid);
    return err;
}

hsmca_err hsmca_ct_precert_tbs_psc(X509 *precert, X509 *final_issuer, uint8_t **out,
                                   size_t *out_len)
{
    hsmca_err err = HSMCA_OK;
    X509 *c = NULL;
    unsigned char *der = NULL;
    uint8_t *copy = NULL;
    int i, n;

    HSMCA_ENSURE(precert != NULL && final_issuer != NULL && out != NULL && out_len != NULL,
                 HSMCA_E_USAGE, "hsmca_ct_precert_tbs_psc: missing argument");
    HSMCA_ENSURE(hsmca_ct_poison_count(precert) == 1 && hsmca_ct_sct_list_count(precert) == 0,
                 HSMCA_E_INPUT, "a precertificate has exactly one poison and no SCT list "
                 "(RFC 6962 §3.1)");
    c = X509_dup(precert);
    HSMCA_ALLOC(c);
    i = X509_get_ext_by_NID(c, NID_ct_precert_poison, -1);
    X509_EXTENSION_free(X509_delete_ext(c, i));
    HSMCA_GUARD(hsmca_ct_set_issuer(c, final_issuer));
    n = i2d_re_X509_tbs(c, &der);
    HSMCA_OSSL(n > 0, "cannot encode the precertificate's TBS");
    /* ct.h: free(), like hsmca_ct_precert_tbs */
    copy = malloc((size_t)n);
    HSMCA_ALLOC(copy);
    memcpy(copy, der, (size_t)n);
    *out = copy;
    *out_len = (size_t)n;
out:
    X509_free(c);
    OPENSSL_free(der);
    return err;
}

hsmca_err hsmca_ct_final_from_psc_precert(X509 *precert, X509 *final_issuer,
                                          hsmca_sct *const *scts, size_t n, X509 **out)
{
    hsmca_err err = HSMCA_OK;
    X509 *fin = NULL;

    HSMCA_ENSURE(final_issuer != NULL && out != NULL, HSMCA_E_USAGE,
                 "hsmca_ct_final_from_psc_precert: missing argument");
    HSMCA_GUARD(hsmca_ct_final_from_precert(precert, scts, n, &fin));
    HSMCA_GUARD(hsmca_ct_set_issuer(fin, final_issuer));
    *out = fin;
    fin = NULL;
out:
    X509_free(fin);
    return err;
}
