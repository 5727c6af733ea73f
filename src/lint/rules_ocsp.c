/* hsmca — lint rules for the delegated OCSP responder certificate
 * (BR 7.1.2.8; RFC 6960 §4.2.2.2; CONFORMANCE.md §7). The table is
 * rules.def; the subject, validity and AKI rules it shares with CA
 * certificates are in rules_ca.c and rules_common.c.
 */
#include <stdio.h>

#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "lint_int.h"

/* cabf.ocsp_responder.eku: BR 7.1.2.8.5: id-kp-OCSPSigning MUST, any other
 * value MUST NOT. */
hsmca_err hsmca_lint_check_ocsp_eku(lint_ctx *c)
{
    const lint_ext *e;
    EXTENDED_KEY_USAGE *eku =
        hsmca_lint_ext_get(c, NID_ext_key_usage, ASN1_ITEM_rptr(EXTENDED_KEY_USAGE), &e);
    hsmca_err err = HSMCA_OK;
    int found = 0;
    char buf[80];

    if (e == NULL)
        return hsmca_lint_report(c, "no extKeyUsage");
    if (eku == NULL)
        return hsmca_lint_report(c, "extKeyUsage is malformed");
    for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
        const ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);

        if (OBJ_obj2nid(o) == NID_OCSP_sign) {
            found = 1;
            continue;
        }
        OBJ_obj2txt(buf, sizeof buf, o, 0);
        HSMCA_GUARD(hsmca_lint_report(c, "extKeyUsage has %s besides OCSPSigning", buf));
    }
    if (!found)
        HSMCA_GUARD(hsmca_lint_report(c, "extKeyUsage has no id-kp-OCSPSigning"));
out:
    EXTENDED_KEY_USAGE_free(eku);
    return err;
}

/* cabf.ocsp_responder.nocheck: BR 7.1.2.8.6 / RFC 6960 §4.2.2.2.1:
 * id-pkix-ocsp-nocheck, non-critical, value NULL; CONFORMANCE §7 gives the
 * whole extension's bytes. */
hsmca_err hsmca_lint_check_ocsp_nocheck(lint_ctx *c)
{
    const lint_ext *e = hsmca_lint_ext_find(c, NID_id_pkix_OCSP_noCheck);
    char hex[80];

    if (e == NULL)
        return hsmca_lint_report(c, "no id-pkix-ocsp-nocheck");
    if (!LINT_TLV_EQUALS_HEX(&e->der, "300f06092b060105050730010504020500"))
        return hsmca_lint_report(c, "id-pkix-ocsp-nocheck is %s, not "
                                    "300f06092b060105050730010504020500 (non-critical, NULL)",
                                 hsmca_lint_hex(e->der.der, e->der.der_len, hex, sizeof hex));
    return HSMCA_OK;
}

/* cabf.ocsp_responder.key_usage: BR 7.1.2.8.7: MUST, critical,
 * digitalSignature MUST, every other bit MUST NOT. */
hsmca_err hsmca_lint_check_ocsp_ku(lint_ctx *c)
{
    const lint_ext *e = hsmca_lint_ext_find(c, NID_key_usage);
    ASN1_BIT_STRING *ku;
    hsmca_err err = HSMCA_OK;
    int others = 0;

    if (e == NULL)
        return hsmca_lint_report(c, "no keyUsage");
    if (!e->critical)
        HSMCA_GUARD(hsmca_lint_report(c, "keyUsage is not critical"));
    ku = hsmca_lint_ext_decode(e, ASN1_ITEM_rptr(ASN1_BIT_STRING));
    if (ku == NULL)
        return hsmca_lint_report(c, "keyUsage is malformed");
    for (int n = 1; n < ASN1_STRING_length(ku) * 8; n++)
        others += ASN1_BIT_STRING_get_bit(ku, n);
    if (!ASN1_BIT_STRING_get_bit(ku, 0))
        err = hsmca_lint_report(c, "keyUsage lacks digitalSignature");
    else if (others > 0)
        err = hsmca_lint_report(c, "keyUsage has bits besides digitalSignature");
    ASN1_BIT_STRING_free(ku);
out:
    return err;
}

/* cabf.ocsp_responder.basic_constraints: BR 7.1.2.8.4: MAY; if present,
 * critical with cA FALSE (the DER default, so an empty SEQUENCE) and no
 * pathLenConstraint: exactly these bytes (CONFORMANCE §7). */
hsmca_err hsmca_lint_check_ocsp_bc(lint_ctx *c)
{
    const lint_ext *e = hsmca_lint_ext_find(c, NID_basic_constraints);
    char hex[80];

    if (e == NULL || LINT_TLV_EQUALS_HEX(&e->der, "300c0603551d130101ff04023000"))
        return HSMCA_OK;
    return hsmca_lint_report(c, "basicConstraints is %s, not 300c0603551d130101ff04023000 "
                                "(critical, empty)",
                             hsmca_lint_hex(e->der.der, e->der.der_len, hex, sizeof hex));
}

/* cabf.ocsp_responder.ski_missing: BR 7.1.2.8.2 SHOULD */
hsmca_err hsmca_lint_check_ocsp_ski(lint_ctx *c)
{
    return hsmca_lint_ext_required(c, NID_subject_key_identifier, "subjectKeyIdentifier");
}

/* cabf.ocsp_responder.forbidden_extension: BR 7.1.2.8.2 MUST NOT */
hsmca_err hsmca_lint_check_ocsp_forbidden_ext(lint_ctx *c)
{
    static const int forbidden[] = {NID_crl_distribution_points, NID_subject_alt_name,
                                    NID_name_constraints};
    hsmca_err err = HSMCA_OK;

    for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++)
        if (hsmca_lint_ext_find(c, forbidden[i]) != NULL)
            HSMCA_GUARD(hsmca_lint_report(c, "a responder has %s", OBJ_nid2sn(forbidden[i])));
out:
    return err;
}

/* cabf.ocsp_responder.aia_present: BR 7.1.2.8.3 NOT RECOMMENDED */
hsmca_err hsmca_lint_check_ocsp_aia(lint_ctx *c)
{
    return hsmca_lint_ext_unwanted(c, NID_info_access, "a responder", "authorityInfoAccess");
}

/* cabf.ocsp_responder.cp_present: BR 7.1.2.8.2 SHOULD NOT */
hsmca_err hsmca_lint_check_ocsp_cp(lint_ctx *c)
{
    return hsmca_lint_ext_unwanted(
        c, NID_certificate_policies, "a responder", "certificatePolicies");
}
