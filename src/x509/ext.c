/* hsmca — the certificate extensions a profile names, each encoded with
 * OpenSSL's own types and appended in the profile's order. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "x509/x509_int.h"

/* "profile 'root': key_usage (line 12)" for messages. */
static const char *where(const x509_ext_ctx *c, const hsmca_profile_ext *e, char *buf,
                         size_t len)
{
    snprintf(buf, len, "profile '%s': %s (line %lu)", c->profile->name,
             hsmca_profile_ext_name(e->kind), e->line);
    return buf;
}

/* ---- GeneralName helpers ---- */

static hsmca_err gn_ia5(int type, const char *s, GENERAL_NAME **out)
{
    hsmca_err err = HSMCA_OK;
    GENERAL_NAME *gn = GENERAL_NAME_new();
    ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();

    HSMCA_ALLOC(gn);
    HSMCA_ALLOC(ia5);
    HSMCA_OSSL(ASN1_STRING_set(ia5, s, (int)strlen(s)) == 1, "cannot store a name");
    GENERAL_NAME_set0_value(gn, type, ia5);
    ia5 = NULL;
    *out = gn;
    gn = NULL;
out:
    ASN1_IA5STRING_free(ia5);
    GENERAL_NAME_free(gn);
    return err;
}

static hsmca_err gn_ip(const uint8_t *octets, size_t n, GENERAL_NAME **out)
{
    hsmca_err err = HSMCA_OK;
    GENERAL_NAME *gn = GENERAL_NAME_new();
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();

    HSMCA_ALLOC(gn);
    HSMCA_ALLOC(os);
    HSMCA_OSSL(ASN1_OCTET_STRING_set(os, octets, (int)n) == 1, "cannot store an address");
    GENERAL_NAME_set0_value(gn, GEN_IPADD, os);
    os = NULL;
    *out = gn;
    gn = NULL;
out:
    ASN1_OCTET_STRING_free(os);
    GENERAL_NAME_free(gn);
    return err;
}

static hsmca_err push_gn(GENERAL_NAMES *names, GENERAL_NAME **gn)
{
    if (sk_GENERAL_NAME_push(names, *gn) <= 0)
        return hsmca_err_setf(HSMCA_E_NOMEM, "out of memory");
    *gn = NULL;
    return HSMCA_OK;
}

/* A profile URL with {base_url} and {issuer} replaced (docs/profiles.md);
 * *out freed with free(). */
static hsmca_err subst_url(const x509_ext_ctx *c, const hsmca_profile_ext *e,
                           const char *tmpl, char **out)
{
    static const char base[] = "{base_url}", issuer[] = "{issuer}";
    hsmca_err err = HSMCA_OK;
    const char *bu = c->req->base_url, *id = c->req->issuer_id;
    char *res = NULL, w[160];
    size_t len = 0;

    /* Two passes: measure, then write. */
    for (int pass = 0; pass < 2; pass++) {
        size_t o = 0;

        for (const char *p = tmpl; *p != '\0';) {
            const char *val = NULL;
            size_t skip = 0;

            if (strncmp(p, base, sizeof base - 1) == 0) {
                HSMCA_ENSURE(bu != NULL, HSMCA_E_INPUT,
                             "%s: URL '%s' uses {base_url}, but the request gives no base URL",
                             where(c, e, w, sizeof w), tmpl);
                val = bu;
                skip = sizeof base - 1;
            } else if (strncmp(p, issuer, sizeof issuer - 1) == 0) {
                HSMCA_ENSURE(id != NULL, HSMCA_E_INPUT,
                             "%s: URL '%s' uses {issuer}, but the request gives no issuer id",
                             where(c, e, w, sizeof w), tmpl);
                val = id;
                skip = sizeof issuer - 1;
            }
            if (val != NULL) {
                size_t vl = strlen(val);

                if (pass == 1)
                    memcpy(res + o, val, vl);
                o += vl;
                p += skip;
            } else {
                if (pass == 1)
                    res[o] = *p;
                o++;
                p++;
            }
        }
        if (pass == 0) {
            len = o;
            res = malloc(len + 1);
            HSMCA_ALLOC(res);
        } else {
            res[o] = '\0';
        }
    }
    *out = res;
    res = NULL;
out:
    free(res);
    return err;
}

/* URIs (GeneralName uniformResourceIdentifier) for a list of templates. */
static hsmca_err push_urls(const x509_ext_ctx *c, const hsmca_profile_ext *e,
                           const hsmca_profile_strs *urls, GENERAL_NAMES *names)
{
    hsmca_err err = HSMCA_OK;
    GENERAL_NAME *gn = NULL;
    char *url = NULL;

    for (size_t i = 0; i < urls->n; i++) {
        HSMCA_GUARD(subst_url(c, e, urls->v[i], &url));
        HSMCA_GUARD(gn_ia5(GEN_URI, url, &gn));
        HSMCA_GUARD(push_gn(names, &gn));
        free(url);
        url = NULL;
    }
out:
    free(url);
    GENERAL_NAME_free(gn);
    return err;
}

/* Encode an OpenSSL extension structure and append it. */
static hsmca_err append_i2d(X509 *cert, int nid, int critical, void *value, const char *what)
{
    hsmca_err err = HSMCA_OK;
    X509_EXTENSION *ext = X509V3_EXT_i2d(nid, critical, value);

    HSMCA_OSSL(ext != NULL, "%s: cannot encode the extension", what);
    HSMCA_OSSL(X509_add_ext(cert, ext, -1) == 1, "%s: cannot add the extension", what);
out:
    X509_EXTENSION_free(ext);
    return err;
}

/* An extension whose value is ASN.1 NULL (ocsp_nocheck, no_rev_avail). */
static hsmca_err append_null(X509 *cert, const char *oid, int critical, const char *what)
{
    static const unsigned char der_null[] = { 0x05, 0x00 };
    hsmca_err err = HSMCA_OK;
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    X509_EXTENSION *ext = NULL;

    HSMCA_OSSL(obj != NULL, "%s: bad OID %s", what, oid);
    HSMCA_ALLOC(os);
    HSMCA_OSSL(ASN1_OCTET_STRING_set(os, der_null, sizeof der_null) == 1, "out of memory");
    ext = X509_EXTENSION_create_by_OBJ(NULL, obj, critical, os);
    HSMCA_OSSL(ext != NULL, "%s: cannot make the extension", what);
    HSMCA_OSSL(X509_add_ext(cert, ext, -1) == 1, "%s: cannot add the extension", what);
out:
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(obj);
    return err;
}

/* ---- one function per extension kind ---- */

static hsmca_err add_bc(X509 *cert, const hsmca_profile_ext *e, const char *w)
{
    hsmca_err err = HSMCA_OK;
    BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();

    HSMCA_ALLOC(bc);
    /* cA is BOOLEAN DEFAULT FALSE: FALSE is left out entirely (X.690 §11.5),
     * giving 300c0603551d130101ff04023000 for a critical cA FALSE
     * (CONFORMANCE.md §7). */
    bc->ca = e->bc.ca ? 0xff : 0;
    if (e->bc.path_len >= 0) {
        bc->pathlen = ASN1_INTEGER_new();
        HSMCA_ALLOC(bc->pathlen);
        HSMCA_OSSL(ASN1_INTEGER_set(bc->pathlen, e->bc.path_len) == 1, "%s: path_len", w);
    }
    HSMCA_GUARD(append_i2d(cert, NID_basic_constraints, e->critical, bc, w));
out:
    BASIC_CONSTRAINTS_free(bc);
    return err;
}

static hsmca_err add_ku(X509 *cert, const hsmca_profile_ext *e, const char *w)
{
    hsmca_err err = HSMCA_OK;
    ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();

    HSMCA_ALLOC(ku);
    HSMCA_ENSURE(e->ku.usages != 0, HSMCA_E_INPUT, "%s: no key usages", w);
    /* RFC 5280 §4.2.1.3 bit n = profile bit n. set_bit clears the explicit
     * "bits left" flag, so i2d writes the minimal DER BIT STRING (no
     * trailing zero bits, X.690 §11.2.2). */
    for (int bit = 0; bit <= 8; bit++)
        if (e->ku.usages & (1u << bit))
            HSMCA_OSSL(ASN1_BIT_STRING_set_bit(ku, bit, 1) == 1, "%s: cannot set a bit", w);
    HSMCA_GUARD(append_i2d(cert, NID_key_usage, e->critical, ku, w));
out:
    ASN1_BIT_STRING_free(ku);
    return err;
}

static hsmca_err add_eku(X509 *cert, const hsmca_profile_ext *e, const char *w)
{
    hsmca_err err = HSMCA_OK;
    EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
    ASN1_OBJECT *obj = NULL;

    HSMCA_ALLOC(eku);
    for (size_t i = 0; i < e->eku.oids.n; i++) {
        obj = OBJ_txt2obj(e->eku.oids.v[i], 1);
        HSMCA_OSSL(obj != NULL, "%s: bad OID %s", w, e->eku.oids.v[i]);
        HSMCA_ENSURE(sk_ASN1_OBJECT_push(eku, obj) > 0, HSMCA_E_NOMEM, "out of memory");
        obj = NULL;
    }
    HSMCA_GUARD(append_i2d(cert, NID_ext_key_usage, e->critical, eku, w));
out:
    ASN1_OBJECT_free(obj);
    sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
    return err;
}

static hsmca_err add_cp(X509 *cert, const hsmca_profile_ext *e, const x509_ext_ctx *c,
                        const char *w)
{
    hsmca_err err = HSMCA_OK;
    CERTIFICATEPOLICIES *cp = sk_POLICYINFO_new_null();
    POLICYINFO *pi = NULL;
    POLICYQUALINFO *q = NULL;
    char *cps = NULL;

    HSMCA_ALLOC(cp);
    for (size_t i = 0; i < e->cp.n; i++) {
        const hsmca_profile_policy *pol = &e->cp.policies[i];

        pi = POLICYINFO_new();
        HSMCA_ALLOC(pi);
        ASN1_OBJECT_free(pi->policyid);
        pi->policyid = OBJ_txt2obj(pol->oid, 1);
        HSMCA_OSSL(pi->policyid != NULL, "%s: bad policy OID %s", w, pol->oid);
        if (pol->cps != NULL) {
            /* BR 7.1.2.10.5 / 7.1.2.7.9: id-qt-cps is the only qualifier
             * allowed, an IA5String URI. */
            HSMCA_GUARD(subst_url(c, e, pol->cps, &cps));
            q = POLICYQUALINFO_new();
            HSMCA_ALLOC(q);
            q->pqualid = OBJ_nid2obj(NID_id_qt_cps);
            q->d.cpsuri = ASN1_IA5STRING_new();
            HSMCA_ALLOC(q->d.cpsuri);
            HSMCA_OSSL(ASN1_STRING_set(q->d.cpsuri, cps, (int)strlen(cps)) == 1,
                       "out of memory");
            free(cps);
            cps = NULL;
            pi->qualifiers = sk_POLICYQUALINFO_new_null();
            HSMCA_ALLOC(pi->qualifiers);
            HSMCA_ENSURE(sk_POLICYQUALINFO_push(pi->qualifiers, q) > 0, HSMCA_E_NOMEM,
                         "out of memory");
            q = NULL;
        }
        HSMCA_ENSURE(sk_POLICYINFO_push(cp, pi) > 0, HSMCA_E_NOMEM, "out of memory");
        pi = NULL;
    }
    HSMCA_GUARD(append_i2d(cert, NID_certificate_policies, e->critical, cp, w));
out:
    free(cps);
    POLICYQUALINFO_free(q);
    POLICYINFO_free(pi);
    sk_POLICYINFO_pop_free(cp, POLICYINFO_free);
    return err;
}

static hsmca_err push_access(AUTHORITY_INFO_ACCESS *aia, int nid, const x509_ext_ctx *c,
                             const hsmca_profile_ext *e, const hsmca_profile_strs *urls)
{
    hsmca_err err = HSMCA_OK;
    ACCESS_DESCRIPTION *ad = NULL;
    GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();

    HSMCA_ALLOC(names);
    HSMCA_GUARD(push_urls(c, e, urls, names));
    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        ad = ACCESS_DESCRIPTION_new();
        HSMCA_ALLOC(ad);
        ASN1_OBJECT_free(ad->method);
        ad->method = OBJ_nid2obj(nid);
        GENERAL_NAME_free(ad->location);
        ad->location = sk_GENERAL_NAME_value(names, i);
        sk_GENERAL_NAME_set(names, i, NULL);
        HSMCA_ENSURE(sk_ACCESS_DESCRIPTION_push(aia, ad) > 0, HSMCA_E_NOMEM, "out of memory");
        ad = NULL;
    }
out:
    ACCESS_DESCRIPTION_free(ad);
    sk_GENERAL_NAME_pop_free(names, GENERAL_NAME_free);
    return err;
}

static hsmca_err add_aia(X509 *cert, const hsmca_profile_ext *e, const x509_ext_ctx *c,
                         const char *w)
{
    hsmca_err err = HSMCA_OK;
    AUTHORITY_INFO_ACCESS *aia = sk_ACCESS_DESCRIPTION_new_null();

    HSMCA_ALLOC(aia);
    /* RFC 5280 §4.2.2.1; BR 7.1.2.7.7: id-ad-ocsp entries (in preference
     * order), then id-ad-caIssuers. */
    HSMCA_GUARD(push_access(aia, NID_ad_OCSP, c, e, &e->aia.ocsp));
    HSMCA_GUARD(push_access(aia, NID_ad_ca_issuers, c, e, &e->aia.ca_issuers));
    HSMCA_ENSURE(sk_ACCESS_DESCRIPTION_num(aia) > 0, HSMCA_E_INPUT, "%s: no URLs", w);
    HSMCA_GUARD(append_i2d(cert, NID_info_access, e->critical, aia, w));
out:
    sk_ACCESS_DESCRIPTION_pop_free(aia, ACCESS_DESCRIPTION_free);
    return err;
}

static hsmca_err add_crldp(X509 *cert, const hsmca_profile_ext *e, const x509_ext_ctx *c,
                           const char *w)
{
    hsmca_err err = HSMCA_OK;
    CRL_DIST_POINTS *cdp = sk_DIST_POINT_new_null();
    DIST_POINT *dp = NULL;

    HSMCA_ALLOC(cdp);
    HSMCA_ENSURE(e->crldp.uris.n > 0, HSMCA_E_INPUT, "%s: no URLs", w);
    /* BR 7.1.2.11.2: one DistributionPoint, fullName URIs only; no reasons,
     * no cRLIssuer. */
    dp = DIST_POINT_new();
    HSMCA_ALLOC(dp);
    dp->distpoint = DIST_POINT_NAME_new();
    HSMCA_ALLOC(dp->distpoint);
    dp->distpoint->type = 0; /* fullName */
    dp->distpoint->name.fullname = sk_GENERAL_NAME_new_null();
    HSMCA_ALLOC(dp->distpoint->name.fullname);
    HSMCA_GUARD(push_urls(c, e, &e->crldp.uris, dp->distpoint->name.fullname));
    HSMCA_ENSURE(sk_DIST_POINT_push(cdp, dp) > 0, HSMCA_E_NOMEM, "out of memory");
    dp = NULL;
    HSMCA_GUARD(append_i2d(cert, NID_crl_distribution_points, e->critical, cdp, w));
out:
    DIST_POINT_free(dp);
    sk_DIST_POINT_pop_free(cdp, DIST_POINT_free);
    return err;
}

/* GeneralSubtrees for one side of name constraints; NULL when empty. */
static hsmca_err subtrees(const hsmca_profile_subtrees *t, const char *w,
                          STACK_OF(GENERAL_SUBTREE) **out)
{
    hsmca_err err = HSMCA_OK;
    STACK_OF(GENERAL_SUBTREE) *sk = NULL;
    GENERAL_SUBTREE *st = NULL;
    GENERAL_NAME *gn = NULL;
    X509_NAME *dn = NULL;
    size_t total = t->dns.n + t->n_ips + t->n_dirs;

    *out = NULL;
    if (total == 0)
        return HSMCA_OK;
    sk = sk_GENERAL_SUBTREE_new_null();
    HSMCA_ALLOC(sk);
    for (size_t i = 0; i < total; i++) {
        if (i < t->dns.n) {
            /* "" is the whole-namespace exclusion of BR 7.1.2.5.2. */
            HSMCA_GUARD(gn_ia5(GEN_DNS, t->dns.v[i], &gn));
        } else if (i < t->dns.n + t->n_ips) {
            /* RFC 5280 §4.2.1.10: address then mask, 8 or 32 octets. */
            const hsmca_profile_ip_range *r = &t->ips[i - t->dns.n];
            size_t alen = r->family == 6 ? 16 : 4;
            uint8_t oct[32];

            HSMCA_ENSURE((r->family == 4 || r->family == 6) && r->prefix_len <= alen * 8,
                         HSMCA_E_INPUT, "%s: bad IP range", w);
            memset(oct, 0, sizeof oct);
            memcpy(oct, r->addr, alen);
            for (unsigned b = 0; b < r->prefix_len; b++)
                oct[alen + b / 8] |= (uint8_t)(0x80u >> (b % 8));
            for (size_t k = 0; k < alen; k++)
                oct[k] &= oct[alen + k];
            HSMCA_GUARD(gn_ip(oct, alen * 2, &gn));
        } else {
            err = x509_name_from_dirname(&t->dirs[i - t->dns.n - t->n_ips], &dn);
            if (err != HSMCA_OK) {
                hsmca_err_context("%s: ", w);
                goto out;
            }
            gn = GENERAL_NAME_new();
            HSMCA_ALLOC(gn);
            GENERAL_NAME_set0_value(gn, GEN_DIRNAME, dn);
            dn = NULL;
        }
        /* minimum 0 and no maximum: both left out (RFC 5280 §4.2.1.10). */
        st = GENERAL_SUBTREE_new();
        HSMCA_ALLOC(st);
        GENERAL_NAME_free(st->base);
        st->base = gn;
        gn = NULL;
        HSMCA_ENSURE(sk_GENERAL_SUBTREE_push(sk, st) > 0, HSMCA_E_NOMEM, "out of memory");
        st = NULL;
    }
    *out = sk;
    sk = NULL;
out:
    X509_NAME_free(dn);
    GENERAL_NAME_free(gn);
    GENERAL_SUBTREE_free(st);
    sk_GENERAL_SUBTREE_pop_free(sk, GENERAL_SUBTREE_free);
    return err;
}

static hsmca_err add_nc(X509 *cert, const hsmca_profile_ext *e, const char *w)
{
    hsmca_err err = HSMCA_OK;
    NAME_CONSTRAINTS *nc = NAME_CONSTRAINTS_new();

    HSMCA_ALLOC(nc);
    HSMCA_GUARD(subtrees(&e->nc.permitted, w, &nc->permittedSubtrees));
    HSMCA_GUARD(subtrees(&e->nc.excluded, w, &nc->excludedSubtrees));
    /* RFC 5280 §4.2.1.10: never an empty NameConstraints. */
    HSMCA_ENSURE(nc->permittedSubtrees != NULL || nc->excludedSubtrees != NULL, HSMCA_E_INPUT,
                 "%s: neither permitted nor excluded names", w);
    HSMCA_GUARD(append_i2d(cert, NID_name_constraints, e->critical, nc, w));
out:
    NAME_CONSTRAINTS_free(nc);
    return err;
}

static hsmca_err add_ski(X509 *cert, const hsmca_profile_ext *e, const x509_ext_ctx *c,
                         const char *w)
{
    hsmca_err err = HSMCA_OK;
    ASN1_OCTET_STRING *ski = ASN1_OCTET_STRING_new();

    HSMCA_ALLOC(ski);
    /* RFC 5280 §4.2.1.2 method 1; BR 7.1.2.11.4. */
    HSMCA_OSSL(ASN1_OCTET_STRING_set(ski, c->ski, 20) == 1, "out of memory");
    HSMCA_GUARD(append_i2d(cert, NID_subject_key_identifier, e->critical, ski, w));
out:
    ASN1_OCTET_STRING_free(ski);
    return err;
}

static hsmca_err add_aki(X509 *cert, const hsmca_profile_ext *e, const x509_ext_ctx *c,
                         const char *w)
{
    hsmca_err err = HSMCA_OK;
    AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();

    HSMCA_ALLOC(akid);
    HSMCA_ENSURE(c->aki != NULL, HSMCA_E_INTERNAL, "%s: no issuer key identifier", w);
    /* BR 7.1.2.11.1: keyIdentifier only, the issuer's SKI; no
     * authorityCertIssuer, no authorityCertSerialNumber. */
    akid->keyid = ASN1_OCTET_STRING_dup(c->aki);
    HSMCA_ALLOC(akid->keyid);
    HSMCA_GUARD(append_i2d(cert, NID_authority_key_identifier, e->critical, akid, w));
out:
    AUTHORITY_KEYID_free(akid);
    return err;
}

static hsmca_err add_san(X509 *cert, const hsmca_profile_ext *e, const x509_ext_ctx *c,
                         const char *w)
{
    /* BR 7.1.2.7.12: at least one entry; build() has checked it. */
    if (c->san == NULL || sk_GENERAL_NAME_num(c->san) == 0)
        return hsmca_err_setf(HSMCA_E_INTERNAL, "%s: no names", w);
    return append_i2d(cert, NID_subject_alt_name, e->critical, c->san, w);
}

hsmca_err x509_ext_add(X509 *cert, const hsmca_profile_ext *e, const x509_ext_ctx *c)
{
    char w[160];

    where(c, e, w, sizeof w);
    switch (e->kind) {
    case HSMCA_PROFILE_EXT_BASIC_CONSTRAINTS:
        return add_bc(cert, e, w);
    case HSMCA_PROFILE_EXT_KEY_USAGE:
        return add_ku(cert, e, w);
    case HSMCA_PROFILE_EXT_EXTENDED_KEY_USAGE:
        return add_eku(cert, e, w);
    case HSMCA_PROFILE_EXT_CERTIFICATE_POLICIES:
        return add_cp(cert, e, c, w);
    case HSMCA_PROFILE_EXT_AUTHORITY_INFO_ACCESS:
        return add_aia(cert, e, c, w);
    case HSMCA_PROFILE_EXT_CRL_DISTRIBUTION_POINTS:
        return add_crldp(cert, e, c, w);
    case HSMCA_PROFILE_EXT_NAME_CONSTRAINTS:
        return add_nc(cert, e, w);
    case HSMCA_PROFILE_EXT_SUBJECT_KEY_IDENTIFIER:
        return add_ski(cert, e, c, w);
    case HSMCA_PROFILE_EXT_AUTHORITY_KEY_IDENTIFIER:
        return add_aki(cert, e, c, w);
    case HSMCA_PROFILE_EXT_OCSP_NOCHECK:
        /* RFC 6960 §4.2.2.2.1 id-pkix-ocsp-nocheck, value NULL (BR 7.1.2.8.6). */
        return append_null(cert, "1.3.6.1.5.5.7.48.1.5", e->critical, w);
    case HSMCA_PROFILE_EXT_SUBJECT_ALT_NAME:
        return add_san(cert, e, c, w);
    case HSMCA_PROFILE_EXT_NO_REV_AVAIL:
        /* RFC 9608 id-ce-noRevAvail, value NULL. */
        return append_null(cert, "2.5.29.56", e->critical, w);
    case HSMCA_PROFILE_EXT__COUNT:
        break;
    }
    return hsmca_err_setf(HSMCA_E_INTERNAL, "%s: unknown extension kind %d", w, (int)e->kind);
}

/* ---- subjectAltName from the request ---- */

hsmca_err x509_san_build(const hsmca_x509_request *req, GENERAL_NAMES **out)
{
    hsmca_err err = HSMCA_OK;
    GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
    GENERAL_NAME *gn = NULL;
    const char *pn = req->profile->name;

    HSMCA_ALLOC(names);
    for (size_t i = 0; i < req->n_dns; i++) {
        const char *d = req->dns_names[i];

        HSMCA_ENSURE(d != NULL && *d != '\0', HSMCA_E_INPUT,
                     "profile '%s': DNS name %zu is empty", pn, i + 1);
        /* dNSName is an IA5String (RFC 5280 §4.2.1.6); IDNs go in as
         * A-labels (xn--). Whether the name is acceptable is the lint's call
         * (BR 7.1.2.7.12). */
        for (const char *p = d; *p != '\0'; p++)
            HSMCA_ENSURE((unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f, HSMCA_E_INPUT,
                         "profile '%s': DNS name '%s' has a character that is not printable "
                         "ASCII (write internationalised names as A-labels, xn--...)",
                         pn, d);
        HSMCA_GUARD(gn_ia5(GEN_DNS, d, &gn));
        HSMCA_GUARD(push_gn(names, &gn));
    }
    for (size_t i = 0; i < req->n_ips; i++) {
        const char *t = req->ip_addrs[i];
        uint8_t a[16];
        size_t alen = 0;

        HSMCA_ENSURE(t != NULL, HSMCA_E_INPUT, "profile '%s': IP address %zu is missing", pn,
                     i + 1);
        /* RFC 5280 §4.2.1.6: iPAddress is 4 octets (IPv4) or 16 (IPv6). */
        if (inet_pton(AF_INET, t, a) == 1)
            alen = 4;
        else if (inet_pton(AF_INET6, t, a) == 1)
            alen = 16;
        HSMCA_ENSURE(alen != 0, HSMCA_E_INPUT,
                     "profile '%s': '%s' is not an IPv4 or IPv6 address (like 192.0.2.1 or "
                     "2001:db8::1)", pn, t);
        HSMCA_GUARD(gn_ip(a, alen, &gn));
        HSMCA_GUARD(push_gn(names, &gn));
    }
    *out = names;
    names = NULL;
out:
    GENERAL_NAME_free(gn);
    sk_GENERAL_NAME_pop_free(names, GENERAL_NAME_free);
    return err;
}
