/* hsmca — lint rules for CA certificates: what BR 7.1.2.10 says of every CA
 * certificate, and the root (7.1.2.1), TLS subordinate (7.1.2.6, 7.1.2.5)
 * and legacy precertificate signing CA (7.1.2.4) profiles. The table is
 * rules.def.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "lint_int.h"

#define DAY 86400

/* BR 7.1.2.4 as amended by ballot SC-092: 2026-03-15T00:00:00Z. */
#define SC092_EFFECTIVE ((hsmca_time)1773532800)

static int has_attr(const lint_ctx *c, int nid)
{
    for (size_t i = 0; i < c->lc.n_avas; i++)
        if (c->lc.avas[i].nid == nid)
            return 1;
    return 0;
}

/* ---- every CA and responder certificate (BR 7.1.2.10) ---- */

/* cabf.ca.not_before_window: BR 7.1.2.1.1 (root), 7.1.2.10.1 (CA),
 * 7.1.2.8.1 (responder): one day before signing <= notBefore <= signing. */
hsmca_err hsmca_lint_check_not_before_window(lint_ctx *c)
{
    char a[32], b[32];

    if (!c->not_before.ok)
        return hsmca_lint_report(c, "notBefore cannot be read");
    if (c->not_before.t > c->in->now)
        return hsmca_lint_report(c, "notBefore %s is after the signing time %s",
                                 hsmca_clock_format(c->not_before.t, a, sizeof a),
                                 hsmca_clock_format(c->in->now, b, sizeof b));
    if (c->not_before.t < c->in->now - DAY)
        return hsmca_lint_report(c, "notBefore %s is more than one day before the signing "
                                    "time %s",
                                 hsmca_clock_format(c->not_before.t, a, sizeof a),
                                 hsmca_clock_format(c->in->now, b, sizeof b));
    return HSMCA_OK;
}

/* cabf.ca.subject_required: BR 7.1.2.10.2 (also 7.1.2.8 for responders) */
hsmca_err hsmca_lint_check_subject_required(lint_ctx *c)
{
    static const int required[] = {NID_countryName, NID_organizationName, NID_commonName};
    hsmca_err err = HSMCA_OK;

    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!has_attr(c, required[i]))
            HSMCA_GUARD(hsmca_lint_report(c, "subject has no %s", OBJ_nid2ln(required[i])));
out:
    return err;
}

/* cabf.ca.subject_ou: BR 7.1.2.10.2 organizationalUnitName MUST NOT */
hsmca_err hsmca_lint_check_subject_ou(lint_ctx *c)
{
    if (has_attr(c, NID_organizationalUnitName))
        return hsmca_lint_report(c, "subject has organizationalUnitName");
    return HSMCA_OK;
}

/* cabf.ca.ski_missing: BR 7.1.2.11.4 MUST on CA certificates */
hsmca_err hsmca_lint_check_ski_missing(lint_ctx *c)
{
    return hsmca_lint_ext_required(c, NID_subject_key_identifier, "subjectKeyIdentifier");
}

/* cabf.ca.basic_constraints_missing: BR 7.1.2.10.4 */
hsmca_err hsmca_lint_check_bc_missing(lint_ctx *c)
{
    return hsmca_lint_ext_required(c, NID_basic_constraints, "basicConstraints");
}

/* cabf.ca.basic_constraints_not_critical: BR 7.1.2.10.4 */
hsmca_err hsmca_lint_check_bc_not_critical(lint_ctx *c)
{
    return hsmca_lint_ext_critical(c, NID_basic_constraints, "basicConstraints");
}

/* cabf.ca.basic_constraints_not_ca: BR 7.1.2.10.4 cA MUST be TRUE */
hsmca_err hsmca_lint_check_bc_not_ca(lint_ctx *c)
{
    const lint_ext *e;
    BASIC_CONSTRAINTS *bc =
        hsmca_lint_ext_get(c, NID_basic_constraints, ASN1_ITEM_rptr(BASIC_CONSTRAINTS), &e);
    hsmca_err err = HSMCA_OK;

    if (e == NULL)
        return HSMCA_OK;
    if (bc == NULL)
        return hsmca_lint_report(c, "basicConstraints is malformed");
    if (!bc->ca)
        err = hsmca_lint_report(c, "basicConstraints has cA FALSE");
    BASIC_CONSTRAINTS_free(bc);
    return err;
}

/* cabf.ca.key_usage_missing: BR 7.1.2.10.7 */
hsmca_err hsmca_lint_check_ku_missing(lint_ctx *c)
{
    return hsmca_lint_ext_required(c, NID_key_usage, "keyUsage");
}

/* cabf.ca.key_usage_not_critical: BR 7.1.2.10.7 */
hsmca_err hsmca_lint_check_ku_not_critical(lint_ctx *c)
{
    return hsmca_lint_ext_critical(c, NID_key_usage, "keyUsage");
}

/* keyUsage names, RFC 5280 §4.2.1.3 bit order. */
static const char *const ku_names[] = {
    "digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment",
    "keyAgreement",     "keyCertSign",    "cRLSign",         "encipherOnly",
    "decipherOnly",
};

long hsmca_lint_ku_mask(const lint_ext *e)
{
    ASN1_BIT_STRING *ku = hsmca_lint_ext_decode(e, ASN1_ITEM_rptr(ASN1_BIT_STRING));
    long mask = 0;

    if (ku == NULL)
        return -1;
    for (int n = 0; n < ASN1_STRING_length(ku) * 8; n++) {
        if (!ASN1_BIT_STRING_get_bit(ku, n))
            continue;
        if (n > 8) {
            mask = -1;
            break;
        }
        mask |= 1L << n;
    }
    ASN1_BIT_STRING_free(ku);
    return mask;
}

const char *hsmca_lint_ku_text(long mask, char *buf, size_t len)
{
    size_t o = 0;

    buf[0] = '\0';
    for (int n = 0; n <= 8; n++) {
        if (!(mask & (1L << n)))
            continue;
        int w = snprintf(buf + o, len - o, "%s%s", o ? ", " : "", ku_names[n]);

        if (w < 0 || (size_t)w >= len - o)
            break;
        o += (size_t)w;
    }
    return buf;
}

/* cabf.ca.key_usage_bits: BR 7.1.2.10.7: keyCertSign and cRLSign MUST,
 * digitalSignature MAY (needed to sign OCSP responses), others MUST NOT. */
hsmca_err hsmca_lint_check_ku_bits(lint_ctx *c)
{
    const long need = 1L << 5 | 1L << 6, may = 1L << 0;
    const lint_ext *e = hsmca_lint_ext_find(c, NID_key_usage);
    hsmca_err err = HSMCA_OK;
    long mask;
    char buf[160];

    if (e == NULL)
        return HSMCA_OK;
    mask = hsmca_lint_ku_mask(e);
    if (mask < 0)
        return hsmca_lint_report(c, "keyUsage is malformed");
    if ((mask & need) != need)
        HSMCA_GUARD(hsmca_lint_report(c, "keyUsage lacks %s",
                                      hsmca_lint_ku_text(need & ~mask, buf, sizeof buf)));
    if (mask & ~(need | may))
        HSMCA_GUARD(hsmca_lint_report(
            c, "keyUsage has %s", hsmca_lint_ku_text(mask & ~(need | may), buf, sizeof buf)));
out:
    return err;
}

/* ---- certificate policies of a subordinate CA (BR 7.1.2.10.5) ---- */

/* BR 7.1.6.1 reserved policy identifiers, in the order of
 * lint_policy_type. */
int hsmca_lint_reserved_policy(const ASN1_OBJECT *oid)
{
    static const char *const reserved[] = {
        "2.23.140.1.2.1", "2.23.140.1.2.2", "2.23.140.1.2.3", "2.23.140.1.1",
    };
    char buf[80];

    if (OBJ_obj2txt(buf, sizeof buf, oid, 1) <= 0)
        return LINT_POLICY_NONE;
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(buf, reserved[i]) == 0)
            return (int)i + LINT_POLICY_DV;
    return LINT_POLICY_NONE;
}

/* cabf.ca.cp_missing: BR 7.1.2.6.1, 7.1.2.4.1 (MUST) */
hsmca_err hsmca_lint_check_cp_missing(lint_ctx *c)
{
    return hsmca_lint_ext_required(c, NID_certificate_policies, "certificatePolicies");
}

/* cabf.ca.cp_policy_ids: BR 7.1.2.10.5: either a single anyPolicy (an
 * affiliated CA), or at least one reserved identifier and no anyPolicy;
 * RFC 5280 §4.2.1.4: no policy OID twice. */
hsmca_err hsmca_lint_check_cp_policy_ids(lint_ctx *c)
{
    const lint_ext *e;
    CERTIFICATEPOLICIES *cp =
        hsmca_lint_ext_get(c, NID_certificate_policies, ASN1_ITEM_rptr(CERTIFICATEPOLICIES), &e);
    hsmca_err err = HSMCA_OK;
    int n, any = 0, reserved = 0;

    if (e == NULL)
        return HSMCA_OK;
    if (cp == NULL)
        return hsmca_lint_report(c, "certificatePolicies is malformed");
    n = sk_POLICYINFO_num(cp);
    for (int i = 0; i < n; i++) {
        const POLICYINFO *pi = sk_POLICYINFO_value(cp, i);

        any += OBJ_obj2nid(pi->policyid) == NID_any_policy;
        reserved += hsmca_lint_reserved_policy(pi->policyid) != LINT_POLICY_NONE;
        HSMCA_GUARD(hsmca_lint_cp_repeated(c, cp, i));
    }
    if (any > 0 && n > 1)
        HSMCA_GUARD(hsmca_lint_report(c, "anyPolicy appears with other policies"));
    else if (any == 0 && reserved == 0)
        HSMCA_GUARD(hsmca_lint_report(c, "no reserved policy identifier (2.23.140.1.2.1, "
                                         "2.23.140.1.2.2, 2.23.140.1.2.3 or 2.23.140.1.1)"));
out:
    CERTIFICATEPOLICIES_free(cp);
    return err;
}

/* cabf.ca.cp_reserved_first: BR 7.1.2.10.5 RECOMMENDS the reserved
 * identifier first. */
hsmca_err hsmca_lint_check_cp_reserved_first(lint_ctx *c)
{
    const lint_ext *e;
    CERTIFICATEPOLICIES *cp =
        hsmca_lint_ext_get(c, NID_certificate_policies, ASN1_ITEM_rptr(CERTIFICATEPOLICIES), &e);
    hsmca_err err = HSMCA_OK;
    int reserved = 0, any = 0;

    if (cp == NULL)
        return HSMCA_OK; /* absent or malformed: the rules above */
    for (int i = 0; i < sk_POLICYINFO_num(cp); i++) {
        reserved += hsmca_lint_reserved_policy(sk_POLICYINFO_value(cp, i)->policyid) !=
                    LINT_POLICY_NONE;
        any += OBJ_obj2nid(sk_POLICYINFO_value(cp, i)->policyid) == NID_any_policy;
    }
    /* With anyPolicy the order is moot: cabf.ca.cp_policy_ids judges it. */
    if (reserved > 0 && any == 0 &&
        hsmca_lint_reserved_policy(sk_POLICYINFO_value(cp, 0)->policyid) == LINT_POLICY_NONE)
        err = hsmca_lint_report(c, "the first policy is not a reserved policy identifier");
    CERTIFICATEPOLICIES_free(cp);
    return err;
}

/* 1 if the CPS URI is http:// or https:// (BR 7.1.2.10.5 cPSuri). */
static int cps_uri_ok(const ASN1_IA5STRING *s)
{
    const unsigned char *d = ASN1_STRING_get0_data(s);
    int n = ASN1_STRING_length(s);

    if (hsmca_lint_is_http_uri(s))
        return 1;
    return n > 8 && strncasecmp((const char *)d, "https://", 8) == 0;
}

/* cabf.ca.cp_qualifiers: BR 7.1.2.10.5: id-qt-cps MAY (an HTTP or HTTPS
 * URL); any other qualifier MUST NOT. */
hsmca_err hsmca_lint_check_cp_qualifiers(lint_ctx *c)
{
    const lint_ext *e;
    CERTIFICATEPOLICIES *cp =
        hsmca_lint_ext_get(c, NID_certificate_policies, ASN1_ITEM_rptr(CERTIFICATEPOLICIES), &e);
    hsmca_err err = HSMCA_OK;
    char buf[80];

    if (cp == NULL)
        return HSMCA_OK;
    for (int i = 0; i < sk_POLICYINFO_num(cp); i++) {
        const POLICYINFO *pi = sk_POLICYINFO_value(cp, i);

        for (int k = 0; k < sk_POLICYQUALINFO_num(pi->qualifiers); k++) {
            const POLICYQUALINFO *q = sk_POLICYQUALINFO_value(pi->qualifiers, k);

            if (OBJ_obj2nid(q->pqualid) != NID_id_qt_cps) {
                OBJ_obj2txt(buf, sizeof buf, q->pqualid, 0);
                HSMCA_GUARD(hsmca_lint_report(c, "policy %d has qualifier %s", i + 1, buf));
            } else if (!cps_uri_ok(q->d.cpsuri)) {
                HSMCA_GUARD(hsmca_lint_report(c, "policy %d has a CPS URI that is not "
                                                 "http:// or https://",
                                              i + 1));
            }
        }
    }
out:
    CERTIFICATEPOLICIES_free(cp);
    return err;
}

/* cabf.ca.cp_qualifiers_present: BR 7.1.2.10.5 policyQualifiers NOT
 * RECOMMENDED */
hsmca_err hsmca_lint_check_cp_qualifiers_present(lint_ctx *c)
{
    const lint_ext *e;
    CERTIFICATEPOLICIES *cp =
        hsmca_lint_ext_get(c, NID_certificate_policies, ASN1_ITEM_rptr(CERTIFICATEPOLICIES), &e);
    hsmca_err err = HSMCA_OK;

    if (cp == NULL)
        return HSMCA_OK;
    for (int i = 0; i < sk_POLICYINFO_num(cp); i++) {
        if (sk_POLICYQUALINFO_num(sk_POLICYINFO_value(cp, i)->qualifiers) > 0) {
            err = hsmca_lint_report(c, "policy %d has policyQualifiers", i + 1);
            break;
        }
    }
    CERTIFICATEPOLICIES_free(cp);
    return err;
}

/* cabf.ca.crldp_missing: BR 7.1.2.6.1, 7.1.2.4.1 (MUST) */
hsmca_err hsmca_lint_check_crldp_missing(lint_ctx *c)
{
    return hsmca_lint_ext_required(c, NID_crl_distribution_points, "cRLDistributionPoints");
}

/* cabf.ca.aia_missing: BR 7.1.2.10.3 (SHOULD) */
hsmca_err hsmca_lint_check_aia_missing(lint_ctx *c)
{
    return hsmca_lint_ext_required(c, NID_info_access, "authorityInfoAccess");
}

/* crp.subordinate.validity_period: Chrome Root Program Policy 1.3.1.3:
 * subordinate CA certificates SHOULD be valid for at most 3 years, taken as
 * calendar years from notBefore (3 x 365 days, plus a leap day if one
 * falls in between). */
hsmca_err hsmca_lint_check_subca_validity(lint_ctx *c)
{
    hsmca_time period, limit;
    time_t nb;
    struct tm tm;

    if (!hsmca_lint_validity_period(c, &period))
        return HSMCA_OK;
    nb = (time_t)c->not_before.t;
    if (gmtime_r(&nb, &tm) == NULL)
        return HSMCA_OK;
    tm.tm_year += 3;
    limit = (hsmca_time)timegm(&tm) - c->not_before.t;
    if (period > limit)
        return hsmca_lint_report(c, "validity period is %lld days%s, more than 3 years "
                                    "(%lld days from this notBefore)",
                                 (long long)(period / DAY), period % DAY ? " and a part" : "",
                                 (long long)(limit / DAY));
    return HSMCA_OK;
}

/* ---- root (BR 7.1.2.1) ---- */

/* cabf.root.validity_period: BR 7.1.2.1.1: 2922 <= days <= 9132, counted as
 * BR 6.3.2 does. */
hsmca_err hsmca_lint_check_root_validity(lint_ctx *c)
{
    hsmca_time period;

    if (!hsmca_lint_validity_period(c, &period))
        return hsmca_lint_report(c, "the validity cannot be read");
    if (period < (hsmca_time)2922 * DAY || period > (hsmca_time)9132 * DAY)
        return hsmca_lint_report(c, "validity period is %lld s (%lld days%s); a root needs "
                                    "2922 to 9132 days",
                                 (long long)period, (long long)(period / DAY),
                                 period % DAY ? " and a part" : "");
    return HSMCA_OK;
}

/* cabf.root.aki_missing: BR 7.1.2.1.2 RECOMMENDED */
hsmca_err hsmca_lint_check_root_aki_missing(lint_ctx *c)
{
    return hsmca_lint_ext_required(c, NID_authority_key_identifier, "authorityKeyIdentifier");
}

/* The pathLenConstraint: -2 no/malformed basicConstraints, -1 absent. */
static long path_len(const lint_ctx *c)
{
    const lint_ext *e;
    BASIC_CONSTRAINTS *bc =
        hsmca_lint_ext_get(c, NID_basic_constraints, ASN1_ITEM_rptr(BASIC_CONSTRAINTS), &e);
    long v = -2;

    if (e == NULL)
        return -2;
    if (bc != NULL) {
        v = bc->pathlen == NULL ? -1 : ASN1_INTEGER_get(bc->pathlen);
        if (v < -1)
            v = LONG_MAX; /* negative or huge: report as present */
        BASIC_CONSTRAINTS_free(bc);
    }
    return v;
}

/* cabf.root.path_len_present: BR 7.1.2.1.4 pathLenConstraint NOT
 * RECOMMENDED */
hsmca_err hsmca_lint_check_root_path_len(lint_ctx *c)
{
    if (path_len(c) >= 0)
        return hsmca_lint_report(c, "basicConstraints has a pathLenConstraint");
    return HSMCA_OK;
}

/* cabf.root.eku_present: BR 7.1.2.1.2 extKeyUsage MUST NOT */
hsmca_err hsmca_lint_check_root_eku(lint_ctx *c)
{
    return hsmca_lint_ext_unwanted(c, NID_ext_key_usage, "a root", "extKeyUsage");
}

/* cabf.root.cp_present: BR 7.1.2.1.2 NOT RECOMMENDED */
hsmca_err hsmca_lint_check_root_cp(lint_ctx *c)
{
    return hsmca_lint_ext_unwanted(c, NID_certificate_policies, "a root", "certificatePolicies");
}

/* cabf.root.crldp_present: BR 7.1.2.1.2 (not in the root profile) */
hsmca_err hsmca_lint_check_root_crldp(lint_ctx *c)
{
    return hsmca_lint_ext_unwanted(
        c, NID_crl_distribution_points, "a root", "cRLDistributionPoints");
}

/* ---- TLS subordinate CA (BR 7.1.2.6, 7.1.2.5) ---- */

/* cabf.subordinate.path_len: CONFORMANCE §6 advises 0 (BR 7.1.2.10.4: MAY) */
hsmca_err hsmca_lint_check_sub_path_len(lint_ctx *c)
{
    long v = path_len(c);

    if (v == -1)
        return hsmca_lint_report(c, "no pathLenConstraint: 0 keeps this CA from signing "
                                    "other CAs");
    if (v > 0)
        return hsmca_lint_report(c, "pathLenConstraint is %ld: 0 keeps this CA from signing "
                                    "other CAs",
                                 v);
    return HSMCA_OK;
}

/* BR 7.1.2.10.6 (TLS): MUST NOT values. */
static const int sub_eku_forbidden[] = {
    NID_anyExtendedKeyUsage, NID_OCSP_sign,  NID_code_sign,
    NID_email_protect,       NID_time_stamp, NID_ct_precert_signer,
};
#define N_SUB_EKU_FORBIDDEN (sizeof sub_eku_forbidden / sizeof sub_eku_forbidden[0])

/* cabf.subordinate.eku_missing: BR 7.1.2.6.1 (MUST) */
hsmca_err hsmca_lint_check_sub_eku_missing(lint_ctx *c)
{
    return hsmca_lint_ext_required(c, NID_ext_key_usage, "extKeyUsage");
}

/* cabf.subordinate.eku_server_auth: BR 7.1.2.10.6 id-kp-serverAuth MUST
 * (hsmca_lint_check_eku_server_auth, rules_common.c) */

/* cabf.subordinate.eku_forbidden: BR 7.1.2.10.6 MUST NOT values */
hsmca_err hsmca_lint_check_sub_eku_forbidden(lint_ctx *c)
{
    return hsmca_lint_eku_forbidden(c, sub_eku_forbidden, N_SUB_EKU_FORBIDDEN);
}

/* cabf.subordinate.eku_other: BR 7.1.2.10.6 any other value NOT
 * RECOMMENDED */
hsmca_err hsmca_lint_check_sub_eku_other(lint_ctx *c)
{
    return hsmca_lint_eku_other(c, sub_eku_forbidden, N_SUB_EKU_FORBIDDEN);
}

/* cabf.subordinate.name_constraints_not_critical: BR 7.1.2.10.8 SHOULD be
 * critical (MAY be non-critical for legacy clients) */
hsmca_err hsmca_lint_check_sub_nc_critical(lint_ctx *c)
{
    return hsmca_lint_ext_critical(c, NID_name_constraints, "nameConstraints");
}

/* cabf.subordinate.name_constraints_subtree_bounds: BR 7.1.2.5.2 and
 * RFC 5280 §4.2.1.10: minimum and maximum MUST NOT be present. */
hsmca_err hsmca_lint_check_sub_nc_bounds(lint_ctx *c)
{
    const lint_ext *e;
    NAME_CONSTRAINTS *nc =
        hsmca_lint_ext_get(c, NID_name_constraints, ASN1_ITEM_rptr(NAME_CONSTRAINTS), &e);
    hsmca_err err = HSMCA_OK;

    if (e == NULL)
        return HSMCA_OK;
    if (nc == NULL)
        return hsmca_lint_report(c, "nameConstraints is malformed");
    for (int which = 0; which < 2; which++) {
        STACK_OF(GENERAL_SUBTREE) *st = which == 0 ? nc->permittedSubtrees
                                                   : nc->excludedSubtrees;

        for (int i = 0; i < sk_GENERAL_SUBTREE_num(st); i++) {
            const GENERAL_SUBTREE *s = sk_GENERAL_SUBTREE_value(st, i);

            if (s->minimum != NULL || s->maximum != NULL)
                HSMCA_GUARD(hsmca_lint_report(c, "%s subtree %d has %s",
                                              which == 0 ? "permitted" : "excluded", i + 1,
                                              s->minimum != NULL ? "minimum" : "maximum"));
        }
    }
out:
    NAME_CONSTRAINTS_free(nc);
    return err;
}

static int subtrees_have(STACK_OF(GENERAL_SUBTREE) *st, int type)
{
    for (int i = 0; i < sk_GENERAL_SUBTREE_num(st); i++)
        if (sk_GENERAL_SUBTREE_value(st, i)->base->type == type)
            return 1;
    return 0;
}

/* An excluded iPAddress of `len` zero octets: all of IPv4 (8) or IPv6 (32). */
static int excludes_all_ip(STACK_OF(GENERAL_SUBTREE) *st, int len)
{
    for (int i = 0; i < sk_GENERAL_SUBTREE_num(st); i++) {
        const GENERAL_NAME *gn = sk_GENERAL_SUBTREE_value(st, i)->base;
        const unsigned char *d;
        int k;

        if (gn->type != GEN_IPADD || ASN1_STRING_length(gn->d.iPAddress) != len)
            continue;
        d = ASN1_STRING_get0_data(gn->d.iPAddress);
        for (k = 0; k < len && d[k] == 0; k++)
            ;
        if (k == len)
            return 1;
    }
    return 0;
}

static int excludes_all_dns(STACK_OF(GENERAL_SUBTREE) *st)
{
    for (int i = 0; i < sk_GENERAL_SUBTREE_num(st); i++) {
        const GENERAL_NAME *gn = sk_GENERAL_SUBTREE_value(st, i)->base;

        if (gn->type == GEN_DNS && ASN1_STRING_length(gn->d.dNSName) == 0)
            return 1;
    }
    return 0;
}

/* cabf.subordinate.name_constraints_technically_constrained: BR 7.1.2.5.2:
 * permittedSubtrees MUST hold a directoryName, and a dNSName and an iPAddress
 * unless that whole type is excluded (empty dNSName; 0.0.0.0/0 and ::/0). */
hsmca_err hsmca_lint_check_sub_nc_tc(lint_ctx *c)
{
    const lint_ext *e;
    NAME_CONSTRAINTS *nc =
        hsmca_lint_ext_get(c, NID_name_constraints, ASN1_ITEM_rptr(NAME_CONSTRAINTS), &e);
    hsmca_err err = HSMCA_OK;
    char why[160] = "";
    size_t o = 0;

    if (nc == NULL)
        return HSMCA_OK; /* absent, or malformed: the bounds rule says so */
#define WHY(text)                                                             \
    do {                                                                      \
        int w_ = snprintf(why + o, sizeof why - o, "%s%s", o ? "; " : "", (text)); \
        if (w_ > 0 && (size_t)w_ < sizeof why - o)                            \
            o += (size_t)w_;                                                  \
    } while (0)
    if (!subtrees_have(nc->permittedSubtrees, GEN_DIRNAME))
        WHY("no permitted directoryName");
    if (!subtrees_have(nc->permittedSubtrees, GEN_DNS) && !excludes_all_dns(nc->excludedSubtrees))
        WHY("dNSName neither permitted nor wholly excluded");
    if (!subtrees_have(nc->permittedSubtrees, GEN_IPADD) &&
        !(excludes_all_ip(nc->excludedSubtrees, 8) && excludes_all_ip(nc->excludedSubtrees, 32)))
        WHY("iPAddress neither permitted nor wholly excluded (0.0.0.0/0 and ::/0)");
#undef WHY
    if (o > 0)
        err = hsmca_lint_report(c, "not technically constrained: %s", why);
    NAME_CONSTRAINTS_free(nc);
    return err;
}

/* ---- precertificate signing CA, legacy (BR 7.1.2.4) ---- */

/* cabf.precert_signer.forbidden: ballot SC-092 removed the profile: none
 * may be issued from 2026-03-15. A ceremony that builds one on purpose (a
 * negative fixture) names this id in skip_lints. */
hsmca_err hsmca_lint_check_psc_forbidden(lint_ctx *c)
{
    char buf[32];

    if (c->in->now >= SC092_EFFECTIVE)
        return hsmca_lint_report(c, "precertificate signing CAs may not be issued from "
                                    "2026-03-15 (signing time %s)",
                                 hsmca_clock_format(c->in->now, buf, sizeof buf));
    return HSMCA_OK;
}

/* cabf.precert_signer.eku: BR 7.1.2.4.2: the Precertificate Signing
 * Certificate purpose MUST, any other MUST NOT. */
hsmca_err hsmca_lint_check_psc_eku(lint_ctx *c)
{
    const lint_ext *e;
    EXTENDED_KEY_USAGE *eku =
        hsmca_lint_ext_get(c, NID_ext_key_usage, ASN1_ITEM_rptr(EXTENDED_KEY_USAGE), &e);
    hsmca_err err = HSMCA_OK;

    if (e == NULL)
        return hsmca_lint_report(c, "no extKeyUsage");
    if (eku == NULL)
        return hsmca_lint_report(c, "extKeyUsage is malformed");
    if (sk_ASN1_OBJECT_num(eku) != 1 || !hsmca_lint_eku_has(eku, NID_ct_precert_signer))
        err = hsmca_lint_report(c, "extKeyUsage has %d value(s), not exactly "
                                   "1.3.6.1.4.1.11129.2.4.4",
                                sk_ASN1_OBJECT_num(eku));
    EXTENDED_KEY_USAGE_free(eku);
    return err;
}

/* cabf.precert_signer.issuer_algorithm: BR 7.1.2.4: the PSC signs
 * precertificates whose signature field is the issuing CA's (RFC 6962 §3.2
 * leaves it unchanged), so its key MUST be of the issuer's public key
 * algorithm; for ECDSA the curve fixes the hash, so the AlgorithmIdentifier
 * must match byte for byte. */
hsmca_err hsmca_lint_check_psc_issuer_alg(lint_ctx *c)
{
    hsmca_err err = HSMCA_OK;
    X509_PUBKEY *xpk = X509_get_X509_PUBKEY(c->issuer);
    X509_ALGOR *alg = NULL;
    unsigned char *der = NULL;
    int len;

    HSMCA_ENSURE(xpk != NULL && X509_PUBKEY_get0_param(NULL, NULL, NULL, &alg, xpk) &&
                     alg != NULL,
                 HSMCA_E_CRYPTO, "cannot read the issuing CA's public key algorithm");
    len = i2d_X509_ALGOR(alg, &der);
    HSMCA_OSSL(len > 0, "cannot encode the issuing CA's public key algorithm");
    if ((size_t)len != c->lc.spki_alg.der_len || memcmp(der, c->lc.spki_alg.der, (size_t)len))
        err = hsmca_lint_report(c, "the public key algorithm differs from the issuing CA's");
out:
    OPENSSL_free(der);
    return err;
}
