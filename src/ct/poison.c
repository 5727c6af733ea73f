/* hsmca — the precertificate poison extension (RFC 6962 §3.1).
 *
 * RFC 6962 §3.1: "The Precertificate is constructed from the certificate to
 * be issued by adding a special critical poison extension (OID
 * 1.3.6.1.4.1.11129.2.4.3, whose extnValue OCTET STRING contains ASN.1 NULL
 * data (0x05 0x00))". CONFORMANCE.md §9: exactly one, critical, the whole
 * extension 3013060a2b06010401d6790204030101ff04020500, and no SCT list.
 */
#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ct/ct_int.h"

static int count_nid(const X509 *cert, int nid)
{
    int n = 0, loc = -1;

    if (cert == NULL)
        return 0;
    while ((loc = X509_get_ext_by_NID(cert, nid, loc)) >= 0)
        n++;
    return n;
}

int hsmca_ct_poison_count(const X509 *cert)
{
    return count_nid(cert, NID_ct_precert_poison);
}

int hsmca_ct_sct_list_count(const X509 *cert)
{
    return count_nid(cert, NID_ct_precert_scts);
}

hsmca_err hsmca_ct_add_poison(X509 *cert)
{
    hsmca_err err = HSMCA_OK;
    static const unsigned char null_der[] = { 0x05, 0x00 }; /* ASN.1 NULL */
    ASN1_OCTET_STRING *value = NULL;
    X509_EXTENSION *ext = NULL;

    HSMCA_ENSURE(cert != NULL, HSMCA_E_USAGE, "hsmca_ct_add_poison: no certificate");
    HSMCA_ENSURE(hsmca_ct_poison_count(cert) == 0, HSMCA_E_INPUT,
                 "the certificate already has a CT poison extension (RFC 6962 §3.1 allows "
                 "exactly one)");
    /* A certificate with embedded SCTs is a final certificate; poisoning it
     * would make a precert that no log may accept (CONFORMANCE.md §9). */
    HSMCA_ENSURE(hsmca_ct_sct_list_count(cert) == 0, HSMCA_E_INPUT,
                 "the certificate carries an SCT list extension: a precertificate must not "
                 "(CONFORMANCE.md §9)");
    value = ASN1_OCTET_STRING_new();
    HSMCA_ALLOC(value);
    HSMCA_OSSL(ASN1_OCTET_STRING_set(value, null_der, (int)sizeof null_der),
               "cannot build the poison extension value");
    /* Built from the bytes rather than through an X509V3 method, so the
     * encoding is exactly the one RFC 6962 names, whatever OpenSSL's
     * extension table says. */
    ext = X509_EXTENSION_create_by_NID(NULL, NID_ct_precert_poison, 1, value);
    HSMCA_OSSL(ext != NULL, "cannot build the poison extension");
    HSMCA_OSSL(X509_add_ext(cert, ext, -1), "cannot add the poison extension");
out:
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(value);
    return err;
}
