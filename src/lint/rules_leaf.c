/* hsmca — lint rules for subscriber (tls-server) certificates and
 * precertificates: BR 7.1.2.7 (DV profile), 7.1.2.9 (precertificate), the
 * validity limits of BR 6.3.2 (ballot SC-081), the names of 7.1.2.7.12, and
 * the Certificate Transparency extensions of RFC 6962 (poison, SCT list),
 * including the two rules that keep those extensions off every other kind.
 * CONFORMANCE.md §3, §9-§11 and §14. The table is rules.def.
 *
 * A precertificate and its final certificate are judged by the same rules
 * (MRSP 5.4, RFC 6962 §3.1: a precertificate is judged as the certificate);
 * hsmca_lint_input.precert only selects which CT extension must be there.
 * The SCT list is read here with the bounded DER reader and a small walk of
 * the TLS lengths, not through src/ct, so the lint stands on its own.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "lint_int.h"

#define HOUR 3600
#define DAY 86400

/* BR 6.3.2 (ballot SC-081) and the Chrome Root Program dates, 00:00:00Z. */
#define T_2026_03_15 ((hsmca_time)1773532800)
#define T_2027_03_15 ((hsmca_time)1805068800)
#define T_2029_03_15 ((hsmca_time)1868227200)

/* The exact DER of the poison extension (RFC 6962 §3.1, CONFORMANCE §9)
 * and of noRevAvail (RFC 9608, CONFORMANCE §14). */
#define POISON_HEX "3013060a2b06010401d6790204030101ff04020500"
#define NO_REV_AVAIL_HEX "30090603551d3804020500"

/* ---- shared helpers ---- */

/* BR 6.3.2: the maximum validity period, in days, of a subscriber
 * certificate issued (signed) at `now`. */
static long max_validity_days(hsmca_time now)
{
    if (now < T_2026_03_15)
        return 398;
    if (now < T_2027_03_15)
        return 200;
    if (now < T_2029_03_15)
        return 100;
    return 47;
}

/* BR 1.6.1 "Short-lived Subscriber Certificate": a validity period of at
 * most 7 days (604800 s) if issued from 2026-03-15, 10 days (864000 s)
 * before. */
static int short_lived(const lint_ctx *c)
{
    hsmca_time period;

    if (!hsmca_lint_validity_period(c, &period))
        return 0;
    return period <= (hsmca_time)(c->in->now >= T_2026_03_15 ? 7 : 10) * DAY;
}

static const char *days_text(hsmca_time period, char *buf, size_t len)
{
    if (period % DAY == 0)
        snprintf(buf, len, "%lld days", (long long)(period / DAY));
    else
        snprintf(buf, len, "%lld days and %lld s", (long long)(period / DAY),
                 (long long)(period % DAY));
    return buf;
}

/* Printable ASCII of p, other octets as '?', cut with "..." to fit. */
static const char *safe_text(const unsigned char *p, size_t n, char *buf, size_t len)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        if (o + 1 + (i + 1 < n ? 3 : 0) >= len) {
            if (o + 4 <= len) {
                memcpy(buf + o, "...", 3);
                o += 3;
            }
            break;
        }
        buf[o++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
    }
    buf[o] = '\0';
    return buf;
}

/* Number of AccessDescriptions with this method; -1 if there is no
 * authorityInfoAccess or it is malformed. */
static int aia_count(const lint_ctx *c, int method)
{
    const lint_ext *e;
    AUTHORITY_INFO_ACCESS *aia =
        hsmca_lint_ext_get(c, NID_info_access, ASN1_ITEM_rptr(AUTHORITY_INFO_ACCESS), &e);
    int n = 0;

    if (aia == NULL)
        return -1;
    for (int i = 0; i < sk_ACCESS_DESCRIPTION_num(aia); i++)
        n += OBJ_obj2nid(sk_ACCESS_DESCRIPTION_value(aia, i)->method) == method;
    AUTHORITY_INFO_ACCESS_free(aia);
    return n;
}

static int has_ocsp_url(const lint_ctx *c)
{
    return aia_count(c, NID_ad_OCSP) > 0;
}

/* The subject key's type: EVP_PKEY_EC, EVP_PKEY_RSA, or 0 (unreadable or
 * another type: cabf.common.spki_algorithm_encoding reports it). */
static int subject_key_type(const lint_ctx *c)
{
    EVP_PKEY *k = X509_get0_pubkey(c->cert);
    int id = k != NULL ? EVP_PKEY_get_base_id(k) : 0;

    if (id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS)
        return EVP_PKEY_RSA;
    return id == EVP_PKEY_EC ? EVP_PKEY_EC : 0;
}

static GENERAL_NAMES *decode_san(const lint_ctx *c, const lint_ext **out_e)
{
    return hsmca_lint_ext_get(c, NID_subject_alt_name, ASN1_ITEM_rptr(GENERAL_NAMES), out_e);
}

/* The validation type the certificate asserts: the one reserved policy
 * identifier (lint_policy_type), LINT_POLICY_NONE when there is none, or -1
 * when there are several (cabf.leaf.cp.policy_ids reports both cases). */
static int asserted_policy(const lint_ctx *c)
{
    const lint_ext *e;
    CERTIFICATEPOLICIES *cp =
        hsmca_lint_ext_get(c, NID_certificate_policies, ASN1_ITEM_rptr(CERTIFICATEPOLICIES), &e);
    int found = LINT_POLICY_NONE;

    if (cp == NULL)
        return LINT_POLICY_NONE;
    for (int i = 0; i < sk_POLICYINFO_num(cp); i++) {
        int t = hsmca_lint_reserved_policy(sk_POLICYINFO_value(cp, i)->policyid);

        if (t == LINT_POLICY_NONE)
            continue;
        found = found == LINT_POLICY_NONE ? t : -1;
    }
    CERTIFICATEPOLICIES_free(cp);
    return found;
}

/* ---- validity: BR 6.3.2, 7.1.2.7 ---- */

/* cabf.leaf.validity.period: BR 6.3.2 as amended by ballot SC-081. The
 * limit follows the issuance date, i.e. the signing time (in->now). */
hsmca_err hsmca_lint_check_leaf_validity_period(lint_ctx *c)
{
    long max = max_validity_days(c->in->now);
    hsmca_time period;
    char a[48], b[32];

    if (!hsmca_lint_validity_period(c, &period))
        return hsmca_lint_report(c, "the validity cannot be read");
    if (period > (hsmca_time)max * DAY)
        return hsmca_lint_report(c, "validity period is %s; a subscriber certificate issued "
                                    "%s may be valid for at most %ld days",
                                 days_text(period, a, sizeof a),
                                 hsmca_clock_format(c->in->now, b, sizeof b), max);
    return HSMCA_OK;
}

/* cabf.leaf.validity.period_margin: BR 6.3.2 "SHOULD NOT ... greater than"
 * the maximum less one day. Over the maximum is the rule above. */
hsmca_err hsmca_lint_check_leaf_validity_margin(lint_ctx *c)
{
    long max = max_validity_days(c->in->now);
    hsmca_time period;
    char a[48];

    if (!hsmca_lint_validity_period(c, &period))
        return HSMCA_OK;
    if (period > (hsmca_time)(max - 1) * DAY && period <= (hsmca_time)max * DAY)
        return hsmca_lint_report(c, "validity period is %s: SHOULD be at most %ld days, one "
                                    "under the limit of %ld",
                                 days_text(period, a, sizeof a), max - 1, max);
    return HSMCA_OK;
}

/* cabf.leaf.validity.not_before_window: BR 7.1.2.7 notBefore "A value within
 * 48 hours of the certificate signing operation". A final certificate keeps
 * its precertificate's notBefore, so a late final fails here. */
hsmca_err hsmca_lint_check_leaf_not_before_window(lint_ctx *c)
{
    char a[32], b[32];
    hsmca_time d;

    if (!c->not_before.ok)
        return hsmca_lint_report(c, "notBefore cannot be read");
    d = c->not_before.t - c->in->now;
    if (d < -48 * HOUR || d > 48 * HOUR)
        return hsmca_lint_report(c, "notBefore %s is %lld hours %s the signing time %s: more "
                                    "than 48 hours",
                                 hsmca_clock_format(c->not_before.t, a, sizeof a),
                                 (long long)((d < 0 ? -d : d) / HOUR), d < 0 ? "before" : "after",
                                 hsmca_clock_format(c->in->now, b, sizeof b));
    return HSMCA_OK;
}

/* cabf.leaf.validity.not_before_future: a notBefore after the signing time
 * leaves the certificate unusable for a while (clients check it); hsmca
 * backdates instead (profiles/tls-server.yaml). */
hsmca_err hsmca_lint_check_leaf_not_before_future(lint_ctx *c)
{
    char a[32], b[32];

    if (c->not_before.ok && c->not_before.t > c->in->now)
        return hsmca_lint_report(c, "notBefore %s is after the signing time %s",
                                 hsmca_clock_format(c->not_before.t, a, sizeof a),
                                 hsmca_clock_format(c->in->now, b, sizeof b));
    return HSMCA_OK;
}

/* ---- subject: BR 7.1.2.7.2, 7.1.4.3 ---- */

/* cabf.leaf.subject.dv_attributes: BR 7.1.2.7.2: countryName MAY,
 * commonName NOT RECOMMENDED, any other attribute MUST NOT. The OV, IV and EV
 * subjects (7.1.2.7.3-.5) are not judged: hsmca issues DV. */
hsmca_err hsmca_lint_check_leaf_subject_dv(lint_ctx *c)
{
    hsmca_err err = HSMCA_OK;
    int type = asserted_policy(c);
    char buf[64];

    if (type == LINT_POLICY_OV || type == LINT_POLICY_IV || type == LINT_POLICY_EV)
        return HSMCA_OK;
    for (size_t i = 0; i < c->lc.n_avas; i++) {
        const lint_ava *a = &c->lc.avas[i];
        const char *name;

        if (a->nid == NID_countryName || a->nid == NID_commonName)
            continue;
        name = hsmca_lint_oid_name(&a->oid, a->nid, buf, sizeof buf);
        HSMCA_GUARD(hsmca_lint_report(c, "subject has %s: a domain-validated subject holds "
                                         "only countryName and commonName",
                                      name));
    }
out:
    return err;
}

/* Text of an iPAddress entry as BR 7.1.4.3 wants it in a commonName: RFC
 * 3986 dotted quad, RFC 5952 IPv6 (glibc's inet_ntop: lower case, longest
 * zero run compressed). NULL for other lengths. */
static const char *ip_text(const ASN1_OCTET_STRING *ip, char *buf, size_t len)
{
    int n = ASN1_STRING_length(ip);
    const unsigned char *d = ASN1_STRING_get0_data(ip);

    if (n == 4)
        return inet_ntop(AF_INET, d, buf, (socklen_t)len);
    if (n == 16)
        return inet_ntop(AF_INET6, d, buf, (socklen_t)len);
    return NULL;
}

/* 1 if the commonName value is one of the SAN entries, as BR 7.1.4.3 writes
 * it. */
static int cn_matches(const lint_tlv *v, const GENERAL_NAMES *san)
{
    char text[INET6_ADDRSTRLEN];

    for (int i = 0; i < sk_GENERAL_NAME_num(san); i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(san, i);
        const unsigned char *d = NULL;
        size_t n = 0;

        if (gn->type == GEN_DNS) {
            d = ASN1_STRING_get0_data(gn->d.dNSName);
            n = (size_t)ASN1_STRING_length(gn->d.dNSName);
        } else if (gn->type == GEN_IPADD && ip_text(gn->d.iPAddress, text, sizeof text)) {
            d = (const unsigned char *)text;
            n = strlen(text);
        }
        if (d != NULL && n == v->len && memcmp(d, v->val, n) == 0)
            return 1;
    }
    return 0;
}

/* cabf.leaf.subject.cn_in_san: BR 7.1.2.7.2 and 7.1.4.3: a commonName MUST
 * be one of the subjectAltName values, copied character for character (a
 * dNSName), or the address in its canonical text (an iPAddress). */
hsmca_err hsmca_lint_check_leaf_subject_cn_in_san(lint_ctx *c)
{
    const lint_ext *e;
    GENERAL_NAMES *san = decode_san(c, &e);
    hsmca_err err = HSMCA_OK;
    char buf[80];

    for (size_t i = 0; i < c->lc.n_avas; i++) {
        const lint_ava *a = &c->lc.avas[i];

        if (a->nid != NID_commonName)
            continue;
        if (san == NULL || !cn_matches(&a->value, san))
            HSMCA_GUARD(hsmca_lint_report(c, "commonName \"%s\" is not a subjectAltName entry "
                                             "written as BR 7.1.4.3 requires",
                                          safe_text(a->value.val, a->value.len, buf,
                                                    sizeof buf)));
    }
out:
    GENERAL_NAMES_free(san);
    return err;
}

/* cabf.leaf.subject.cn_present: BR 7.1.2.7.2 commonName NOT RECOMMENDED */
hsmca_err hsmca_lint_check_leaf_subject_cn_present(lint_ctx *c)
{
    for (size_t i = 0; i < c->lc.n_avas; i++)
        if (c->lc.avas[i].nid == NID_commonName)
            return hsmca_lint_report(c, "subject has commonName (NOT RECOMMENDED for DV; the "
                                        "names belong in subjectAltName)");
    return HSMCA_OK;
}

/* ---- subjectAltName: BR 7.1.2.7.12 ---- */

/* cabf.leaf.san.missing: BR 7.1.2.7.6 (MUST), 7.1.2.7.12 */
hsmca_err hsmca_lint_check_leaf_san_missing(lint_ctx *c)
{
    const lint_ext *e;
    GENERAL_NAMES *san = decode_san(c, &e);
    hsmca_err err = HSMCA_OK;
    int names = 0;

    if (e == NULL)
        return hsmca_lint_report(c, "no subjectAltName");
    if (san == NULL)
        return hsmca_lint_report(c, "subjectAltName is malformed");
    for (int i = 0; i < sk_GENERAL_NAME_num(san); i++) {
        int t = sk_GENERAL_NAME_value(san, i)->type;

        names += t == GEN_DNS || t == GEN_IPADD;
    }
    if (names == 0)
        err = hsmca_lint_report(c, "subjectAltName has no dNSName or iPAddress");
    GENERAL_NAMES_free(san);
    return err;
}

static const char *gn_type_name(int type)
{
    switch (type) {
    case GEN_OTHERNAME:
        return "otherName";
    case GEN_EMAIL:
        return "rfc822Name";
    case GEN_X400:
        return "x400Address";
    case GEN_DIRNAME:
        return "directoryName";
    case GEN_EDIPARTY:
        return "ediPartyName";
    case GEN_URI:
        return "uniformResourceIdentifier";
    case GEN_RID:
        return "registeredID";
    default:
        return "an unknown GeneralName";
    }
}

/* cabf.leaf.san.name_type: BR 7.1.2.7.12 table: only dNSName and iPAddress */
hsmca_err hsmca_lint_check_leaf_san_name_type(lint_ctx *c)
{
    const lint_ext *e;
    GENERAL_NAMES *san = decode_san(c, &e);
    hsmca_err err = HSMCA_OK;

    if (san == NULL)
        return HSMCA_OK; /* cabf.leaf.san.missing */
    for (int i = 0; i < sk_GENERAL_NAME_num(san); i++) {
        int t = sk_GENERAL_NAME_value(san, i)->type;

        if (t != GEN_DNS && t != GEN_IPADD)
            HSMCA_GUARD(hsmca_lint_report(c, "subjectAltName entry %d is %s", i + 1,
                                          gn_type_name(t)));
    }
out:
    GENERAL_NAMES_free(san);
    return err;
}

/* cabf.leaf.san.critical: BR 7.1.2.7.12: critical if the subject is an
 * empty SEQUENCE (RFC 5280 §4.2.1.6), otherwise MUST NOT be critical. */
hsmca_err hsmca_lint_check_leaf_san_critical(lint_ctx *c)
{
    const lint_ext *e = hsmca_lint_ext_find(c, NID_subject_alt_name);
    int empty = c->lc.subject.len == 0;

    if (e == NULL)
        return HSMCA_OK;
    if (empty && !e->critical)
        return hsmca_lint_report(c, "the subject is empty but subjectAltName is not critical");
    if (!empty && e->critical)
        return hsmca_lint_report(c, "subjectAltName is critical but the subject is not empty");
    return HSMCA_OK;
}

/* The name without one trailing dot (cabf.leaf.san.trailing_dot's case). */
static size_t without_root(const unsigned char *p, size_t n)
{
    return n > 0 && p[n - 1] == '.' ? n - 1 : n;
}

static int punycode_digit(unsigned char ch)
{
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a';
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 26;
    return -1;
}

/* RFC 3492 §6.2 decoding of the part after "xn--": 1 if it is valid
 * Punycode that encodes at least one code point. Decoded code points start
 * at 128, so that also means a non-ASCII result (an XN-label that decodes
 * to pure ASCII is no A-label, RFC 5890 §2.3.2.1). The IDNA2008 character
 * rules themselves are not checked. */
static int punycode_ok(const unsigned char *p, size_t n)
{
    enum { BASE = 36, TMIN = 1, TMAX = 26, SKEW = 38, DAMP = 700 };
    uint32_t out = 0, code = 128, bias = 72, i = 0;
    size_t b = 0, in;

    for (size_t k = 0; k < n; k++)
        if (p[k] == '-')
            b = k;
    out = (uint32_t)b; /* basic code points, before the last delimiter */
    in = b > 0 ? b + 1 : 0;
    if (in >= n)
        return 0; /* nothing encoded */
    while (in < n) {
        uint32_t old = i, w = 1, delta, numpoints;

        for (uint32_t k = BASE;; k += BASE) {
            int d;
            uint32_t t;

            if (in >= n || (d = punycode_digit(p[in++])) < 0)
                return 0;
            if ((uint32_t)d > (UINT32_MAX - i) / w)
                return 0;
            i += (uint32_t)d * w;
            t = k <= bias ? TMIN : k >= bias + TMAX ? TMAX : k - bias;
            if ((uint32_t)d < t)
                break;
            if (w > UINT32_MAX / (BASE - t))
                return 0;
            w *= BASE - t;
        }
        /* adapt(i - old, out + 1, old == 0) */
        numpoints = out + 1;
        delta = old == 0 ? (i - old) / DAMP : (i - old) / 2;
        delta += delta / numpoints;
        {
            uint32_t k = 0;

            while (delta > ((BASE - TMIN) * TMAX) / 2) {
                delta /= BASE - TMIN;
                k += BASE;
            }
            bias = k + (BASE - TMIN + 1) * delta / (delta + SKEW);
        }
        if (i / numpoints > 0x10ffff - code)
            return 0;
        code += i / numpoints;
        i %= numpoints;
        if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
            return 0;
        out++;
        i++;
        if (out > 63)
            return 0;
    }
    return 1;
}

/* Why a dNSName is not in preferred name syntax (BR 7.1.2.7.12: P-labels
 * or non-reserved LDH labels joined by "."), or NULL. Labels holding a "*"
 * are the wildcard rule's, a trailing dot the trailing-dot rule's. */
static const char *dns_syntax_problem(const unsigned char *p, size_t n)
{
    size_t len = without_root(p, n), start = 0, last_start = 0;
    int all_digits = 1;

    if (n == 0)
        return "is empty";
    if (len == 0)
        return "is only the root label";
    if (len > 253)
        return "is longer than 253 characters";
    for (size_t i = 0; i <= len; i++) {
        size_t ll;
        const unsigned char *l;

        if (i < len && p[i] != '.')
            continue;
        l = p + start;
        ll = i - start;
        last_start = start;
        start = i + 1;
        if (ll == 0)
            return "has an empty label";
        if (ll > 63)
            return "has a label longer than 63 characters";
        if (memchr(l, '*', ll) != NULL)
            continue;
        for (size_t k = 0; k < ll; k++) {
            if (l[k] >= 0x80)
                return "is not ASCII (an internationalized name is written as xn-- P-labels)";
            if (!isalnum(l[k]) && l[k] != '-')
                return "has a character other than a letter, digit or hyphen";
        }
        if (l[0] == '-' || l[ll - 1] == '-')
            return "has a label that starts or ends with a hyphen";
        if (ll >= 4 && l[2] == '-' && l[3] == '-') {
            if (tolower(l[0]) != 'x' || tolower(l[1]) != 'n')
                return "has a reserved LDH label (\"--\" in positions 3-4, not xn--)";
            if (!punycode_ok(l + 4, ll - 4))
                return "has an xn-- label that is not valid Punycode (not a P-label)";
        }
    }
    for (size_t k = last_start; k < len; k++)
        all_digits &= isdigit(p[k]) != 0;
    if (all_digits)
        return "ends in an all-numeric label (an address belongs in an iPAddress entry)";
    return NULL;
}

/* cabf.leaf.san.syntax: BR 7.1.2.7.12, RFC 5280 §4.2.1.6 (dNSName in the
 * preferred name syntax; iPAddress 4 or 16 octets) */
hsmca_err hsmca_lint_check_leaf_san_syntax(lint_ctx *c)
{
    const lint_ext *e;
    GENERAL_NAMES *san = decode_san(c, &e);
    hsmca_err err = HSMCA_OK;
    char buf[80];

    if (san == NULL)
        return HSMCA_OK;
    for (int i = 0; i < sk_GENERAL_NAME_num(san); i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(san, i);

        if (gn->type == GEN_DNS) {
            const unsigned char *d = ASN1_STRING_get0_data(gn->d.dNSName);
            size_t n = (size_t)ASN1_STRING_length(gn->d.dNSName);
            const char *why = dns_syntax_problem(d, n);

            if (why != NULL)
                HSMCA_GUARD(hsmca_lint_report(c, "dNSName \"%s\" %s",
                                              safe_text(d, n, buf, sizeof buf), why));
        } else if (gn->type == GEN_IPADD) {
            int n = ASN1_STRING_length(gn->d.iPAddress);

            if (n != 4 && n != 16)
                HSMCA_GUARD(hsmca_lint_report(c, "iPAddress entry %d has %d octets, neither "
                                                 "IPv4 (4) nor IPv6 (16)",
                                              i + 1, n));
        }
    }
out:
    GENERAL_NAMES_free(san);
    return err;
}

/* Calls fn for each dNSName of the SAN (a helper for the per-name rules). */
typedef const char *dns_rule_fn(const unsigned char *p, size_t n, char *detail, size_t len);

static hsmca_err each_dns_name(lint_ctx *c, dns_rule_fn *fn)
{
    const lint_ext *e;
    GENERAL_NAMES *san = decode_san(c, &e);
    hsmca_err err = HSMCA_OK;
    char buf[80], detail[64];

    if (san == NULL)
        return HSMCA_OK;
    for (int i = 0; i < sk_GENERAL_NAME_num(san); i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(san, i);
        const unsigned char *d;
        size_t n;
        const char *why;

        if (gn->type != GEN_DNS)
            continue;
        d = ASN1_STRING_get0_data(gn->d.dNSName);
        n = (size_t)ASN1_STRING_length(gn->d.dNSName);
        detail[0] = '\0';
        why = fn(d, n, detail, sizeof detail);
        if (why != NULL)
            HSMCA_GUARD(hsmca_lint_report(c, "dNSName \"%s\" %s%s",
                                          safe_text(d, n, buf, sizeof buf), why, detail));
    }
out:
    GENERAL_NAMES_free(san);
    return err;
}

static const char *trailing_dot_problem(const unsigned char *p, size_t n, char *detail,
                                        size_t len)
{
    (void)detail;
    (void)len;
    if (n > 0 && p[n - 1] == '.')
        return "ends with the root label \".\"";
    return NULL;
}

/* cabf.leaf.san.trailing_dot: BR 7.1.2.7.12 "The zero-length Domain Label
 * representing the root zone ... MUST NOT be included" */
hsmca_err hsmca_lint_check_leaf_san_trailing_dot(lint_ctx *c)
{
    return each_dns_name(c, trailing_dot_problem);
}

static const char *wildcard_problem(const unsigned char *p, size_t n, char *detail, size_t len)
{
    size_t l = without_root(p, n);

    (void)detail;
    (void)len;
    if (memchr(p, '*', n) == NULL)
        return NULL;
    if (l == 1 && p[0] == '*')
        return "is a bare \"*\"";
    if (l < 2 || p[0] != '*' || p[1] != '.')
        return "has a \"*\" that is not the whole leftmost label";
    if (memchr(p + 2, '*', l - 2) != NULL)
        return "has a \"*\" outside the leftmost label";
    if (memchr(p + 2, '.', l - 2) == NULL)
        return "is a wildcard directly on a top-level domain";
    return NULL;
}

/* cabf.leaf.san.wildcard: BR 7.1.2.7.12 and 1.6.1 (Wildcard Domain Name:
 * "*." prepended to an FQDN), 3.2.2.6 (not directly on a public suffix:
 * only the top-level domain is known here, see docs/lint.md) */
hsmca_err hsmca_lint_check_leaf_san_wildcard(lint_ctx *c)
{
    return each_dns_name(c, wildcard_problem);
}

/* Top-level domains that are not, and will not be, delegated in the root
 * zone, so names under them are Internal Names (BR 1.6.1): RFC 2606/6761
 * (test, example, invalid, localhost), RFC 6762 (local), RFC 9476 (alt),
 * ICANN's reservation of "internal" (2024), the name-collision TLDs ICANN
 * will not delegate (corp, home, mail), and common private suffixes. */
static const char *const internal_tlds[] = {
    "alt",  "corp",  "example",  "home",    "internal",    "intranet", "invalid",
    "lan",  "local", "localdomain", "localhost", "mail",   "private",  "test",
};

static const char *internal_problem(const unsigned char *p, size_t n, char *detail, size_t len)
{
    size_t l = without_root(p, n), dot;
    char name[254];

    if (l == 0 || l >= sizeof name)
        return NULL; /* cabf.leaf.san.syntax */
    for (size_t i = 0; i < l; i++)
        name[i] = (char)tolower(p[i]);
    name[l] = '\0';
    if (strchr(name, '.') == NULL)
        return "is a single label, not a registered domain name";
    dot = (size_t)(strrchr(name, '.') - name);
    for (size_t i = 0; i < sizeof internal_tlds / sizeof internal_tlds[0]; i++) {
        if (strcmp(name + dot + 1, internal_tlds[i]) == 0) {
            snprintf(detail, len, " (.%s)", internal_tlds[i]);
            return "is an Internal Name under a top-level domain that is not delegated";
        }
    }
    /* RFC 8375: home.arpa is for home networks. */
    if (strcmp(name, "home.arpa") == 0 ||
        (l > 10 && strcmp(name + l - 10, ".home.arpa") == 0))
        return "is an Internal Name under home.arpa (RFC 8375)";
    return NULL;
}

/* cabf.leaf.san.internal_name: BR 7.1.2.7.12 "MUST NOT contain an Internal
 * Name". Skippable (skip_lints) for test deployments on such names. */
hsmca_err hsmca_lint_check_leaf_san_internal_name(lint_ctx *c)
{
    return each_dns_name(c, internal_problem);
}

/* Special-purpose and non-unicast address blocks (BR 1.6.1 "Reserved IP
 * Address": any entry of the IANA IPv4 and IPv6 Special-Purpose Address
 * Registries; multicast and the IPv6 space outside 2000::/3 too). */
typedef struct ip_block {
    uint8_t prefix[16];
    unsigned bits;
    const char *name;
} ip_block;

static const ip_block v4_blocks[] = {
    {{0, 0, 0, 0}, 8, "0.0.0.0/8 (\"this network\")"},
    {{10, 0, 0, 0}, 8, "10.0.0.0/8 (private, RFC 1918)"},
    {{100, 64, 0, 0}, 10, "100.64.0.0/10 (shared address space, RFC 6598)"},
    {{127, 0, 0, 0}, 8, "127.0.0.0/8 (loopback)"},
    {{169, 254, 0, 0}, 16, "169.254.0.0/16 (link local)"},
    {{172, 16, 0, 0}, 12, "172.16.0.0/12 (private, RFC 1918)"},
    {{192, 0, 0, 0}, 24, "192.0.0.0/24 (IETF protocol assignments)"},
    {{192, 0, 2, 0}, 24, "192.0.2.0/24 (documentation, TEST-NET-1)"},
    {{192, 31, 196, 0}, 24, "192.31.196.0/24 (AS112-v4)"},
    {{192, 52, 193, 0}, 24, "192.52.193.0/24 (AMT)"},
    {{192, 88, 99, 0}, 24, "192.88.99.0/24 (6to4 relay anycast)"},
    {{192, 168, 0, 0}, 16, "192.168.0.0/16 (private, RFC 1918)"},
    {{192, 175, 48, 0}, 24, "192.175.48.0/24 (AS112 direct delegation)"},
    {{198, 18, 0, 0}, 15, "198.18.0.0/15 (benchmarking)"},
    {{198, 51, 100, 0}, 24, "198.51.100.0/24 (documentation, TEST-NET-2)"},
    {{203, 0, 113, 0}, 24, "203.0.113.0/24 (documentation, TEST-NET-3)"},
    {{224, 0, 0, 0}, 4, "224.0.0.0/4 (multicast)"},
    {{240, 0, 0, 0}, 4, "240.0.0.0/4 (reserved, with 255.255.255.255)"},
};

/* Inside 2000::/3 (global unicast); everything outside it is reported as
 * such (::, ::1, ::ffff:0:0/96, 64:ff9b::/96, 100::/64, fc00::/7,
 * fe80::/10, ff00::/8, ...). */
static const ip_block v6_blocks[] = {
    {{0x20, 0x01, 0x0d, 0xb8}, 32, "2001:db8::/32 (documentation)"},
    {{0x20, 0x01, 0x00, 0x00}, 23, "2001::/23 (IETF protocol assignments)"},
    {{0x20, 0x02}, 16, "2002::/16 (6to4)"},
    {{0x26, 0x20, 0x00, 0x4f, 0x80, 0x00}, 48, "2620:4f:8000::/48 (AS112 direct delegation)"},
    {{0x3f, 0xff, 0x00, 0x00}, 20, "3fff::/20 (documentation)"},
};

static int in_block(const uint8_t *a, const ip_block *b)
{
    unsigned full = b->bits / 8, rest = b->bits % 8;

    if (memcmp(a, b->prefix, full) != 0)
        return 0;
    return rest == 0 || ((a[full] ^ b->prefix[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

/* cabf.leaf.san.reserved_ip: BR 7.1.2.7.12 "MUST NOT contain a Reserved IP
 * Address". Skippable (skip_lints) for loopback test deployments. */
hsmca_err hsmca_lint_check_leaf_san_reserved_ip(lint_ctx *c)
{
    const lint_ext *e;
    GENERAL_NAMES *san = decode_san(c, &e);
    hsmca_err err = HSMCA_OK;
    char text[INET6_ADDRSTRLEN];

    if (san == NULL)
        return HSMCA_OK;
    for (int i = 0; i < sk_GENERAL_NAME_num(san); i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(san, i);
        const uint8_t *a;
        const char *why = NULL;
        int n;

        if (gn->type != GEN_IPADD)
            continue;
        a = ASN1_STRING_get0_data(gn->d.iPAddress);
        n = ASN1_STRING_length(gn->d.iPAddress);
        if (n == 4) {
            for (size_t k = 0; why == NULL && k < sizeof v4_blocks / sizeof v4_blocks[0]; k++)
                if (in_block(a, &v4_blocks[k]))
                    why = v4_blocks[k].name;
        } else if (n == 16) {
            if ((a[0] & 0xe0) != 0x20)
                why = "outside 2000::/3, the IPv6 global unicast space";
            for (size_t k = 0; why == NULL && k < sizeof v6_blocks / sizeof v6_blocks[0]; k++)
                if (in_block(a, &v6_blocks[k]))
                    why = v6_blocks[k].name;
        } else {
            continue; /* cabf.leaf.san.syntax */
        }
        if (why != NULL)
            HSMCA_GUARD(hsmca_lint_report(c, "iPAddress %s is reserved: %s",
                                          ip_text(gn->d.iPAddress, text, sizeof text), why));
    }
out:
    GENERAL_NAMES_free(san);
    return err;
}

/* ---- subjectPublicKeyInfo: BR 6.1.1.3, 6.1.5 ---- */

/* cabf.leaf.spki.p521: BR 6.1.5 allows P-521; CONFORMANCE §2 asks to check
 * client support (BoringSSL-based clients, among others, lack it). */
hsmca_err hsmca_lint_check_leaf_spki_p521(lint_ctx *c)
{
    if (hsmca_lint_ec_curve_nid(X509_get0_pubkey(c->cert)) == NID_secp521r1)
        return hsmca_lint_report(c, "the subscriber key is on P-521, which several TLS "
                                    "clients do not support");
    return HSMCA_OK;
}

/* floor(sqrt(n)) by Newton's method from a power of two above the root. */
static int bn_isqrt(BIGNUM *r, const BIGNUM *n, BN_CTX *ctx)
{
    BIGNUM *x = BN_new(), *y = BN_new();
    int ok = 0;

    if (x == NULL || y == NULL)
        goto out;
    if (BN_is_zero(n)) {
        BN_zero(r);
        ok = 1;
        goto out;
    }
    BN_zero(x);
    if (!BN_set_bit(x, (BN_num_bits(n) + 1) / 2 + 1))
        goto out;
    for (;;) {
        /* y = (x + n / x) / 2 */
        if (!BN_div(y, NULL, n, x, ctx) || !BN_add(y, y, x) || !BN_rshift1(y, y))
            goto out;
        if (BN_cmp(y, x) >= 0)
            break;
        if (!BN_copy(x, y))
            goto out;
    }
    ok = BN_copy(r, x) != NULL;
out:
    BN_free(x);
    BN_free(y);
    return ok;
}

/* 0 if x cannot be a perfect square: one of its residues mod 64, 63, 65
 * and 11 is not a square (about 1 non-square in 160 passes; H. Cohen, "A
 * Course in Computational Algebraic Number Theory", 1.7.3). Keeps Fermat's
 * method below from taking a square root every round. */
static int maybe_square(const BIGNUM *x)
{
    static const BN_ULONG mods[] = {64, 63, 65, 11};

    for (size_t k = 0; k < sizeof mods / sizeof mods[0]; k++) {
        BN_ULONG r = BN_mod_word(x, mods[k]);
        int square = 0;

        if (r == (BN_ULONG)-1)
            return 1; /* let the square root decide */
        for (BN_ULONG i = 0; i < mods[k] && !square; i++)
            square = (i * i) % mods[k] == r;
        if (!square)
            return 0;
    }
    return 1;
}

/* cabf.leaf.spki.close_primes: BR 6.1.1.3 (4): reject keys that Fermat's
 * factorization method breaks within 100 rounds. Round k tries
 * a = ceil(sqrt(n)) + k - 1: if a^2 - n is a square b^2,
 * n = (a - b)(a + b). a^2 - n grows by 2a + 1 from one round to the next. */
hsmca_err hsmca_lint_check_leaf_spki_close_primes(lint_ctx *c)
{
    EVP_PKEY *k = X509_get0_pubkey(c->cert);
    BIGNUM *n = NULL, *a = NULL, *b2 = NULL, *b = NULL, *t = NULL;
    BN_CTX *ctx = NULL;
    hsmca_err err = HSMCA_OK;
    int round = -1;

    if (subject_key_type(c) != EVP_PKEY_RSA ||
        !EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n))
        return HSMCA_OK;
    ctx = BN_CTX_new();
    a = BN_new();
    b2 = BN_new();
    b = BN_new();
    t = BN_new();
    HSMCA_ENSURE(ctx != NULL && a != NULL && b2 != NULL && b != NULL && t != NULL,
                 HSMCA_E_NOMEM, "out of memory");
    HSMCA_OSSL(bn_isqrt(a, n, ctx) && BN_sqr(t, a, ctx), "cannot take a square root");
    if (BN_cmp(t, n) < 0)
        HSMCA_OSSL(BN_add_word(a, 1), "cannot add");
    HSMCA_OSSL(BN_sqr(b2, a, ctx) && BN_sub(b2, b2, n), "cannot run Fermat's method");
    for (int i = 0; i < 100 && round < 0; i++) {
        if (maybe_square(b2)) {
            HSMCA_OSSL(bn_isqrt(b, b2, ctx) && BN_sqr(t, b, ctx), "cannot take a square root");
            if (BN_cmp(t, b2) == 0)
                round = i + 1;
        }
        /* (a + 1)^2 - n = a^2 - n + 2a + 1 */
        HSMCA_OSSL(BN_lshift1(t, a) && BN_add_word(t, 1) && BN_add(b2, b2, t) &&
                       BN_add_word(a, 1),
                   "cannot run Fermat's method");
    }
    if (round > 0)
        err = hsmca_lint_report(c, "the RSA modulus factors by Fermat's method in round %d: "
                                   "its primes are too close (a weak key)",
                                round);
out:
    BN_free(n);
    BN_free(a);
    BN_free(b2);
    BN_free(b);
    BN_free(t);
    BN_CTX_free(ctx);
    return err;
}

/* The small primes of the ROCA detector (Nemec et al., "The Return of
 * Coppersmith's Attack", CCS 2017, and their roca-detect tool). */
static const unsigned roca_primes[] = {3,   5,   7,   11,  13,  17,  19,  23,  29,  31,
                                       37,  41,  43,  47,  53,  59,  61,  67,  71,  73,
                                       79,  83,  89,  97,  101, 103, 107, 109, 113, 127,
                                       131, 137, 139, 149, 151, 157, 163, 167};

/* 1 if r is a power of 65537 modulo the small prime p. */
static int in_65537_subgroup(BN_ULONG r, unsigned p)
{
    unsigned long x = 1, g = 65537UL % p;

    for (unsigned k = 0; k < p; k++) {
        if (x == r)
            return 1;
        x = x * g % p;
    }
    return 0;
}

/* cabf.leaf.spki.roca: BR 6.1.1.3 (4) names ROCA keys (CVE-2017-15361).
 * Infineon's RSALib made primes p = k*M + (65537^a mod M), M the product of
 * the first primes, so the modulus is a power of 65537 modulo each of them.
 * The fingerprint is that test for every prime of the detector; a random
 * modulus passes it with a probability far below 2^-100. */
hsmca_err hsmca_lint_check_leaf_spki_roca(lint_ctx *c)
{
    EVP_PKEY *k = X509_get0_pubkey(c->cert);
    BIGNUM *n = NULL;
    hsmca_err err = HSMCA_OK;
    size_t i, count = sizeof roca_primes / sizeof roca_primes[0];

    if (subject_key_type(c) != EVP_PKEY_RSA ||
        !EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n))
        return HSMCA_OK;
    for (i = 0; i < count; i++) {
        BN_ULONG r = BN_mod_word(n, roca_primes[i]);

        HSMCA_OSSL(r != (BN_ULONG)-1, "cannot reduce the RSA modulus");
        if (!in_65537_subgroup(r, roca_primes[i]))
            break;
    }
    if (i == count)
        err = hsmca_lint_report(c, "the RSA modulus has the ROCA fingerprint (CVE-2017-15361): "
                                   "it was made by a vulnerable Infineon library and can be "
                                   "factored; generate the key again elsewhere");
out:
    BN_free(n);
    return err;
}

/* ---- keyUsage: BR 7.1.2.7.11 ---- */

#define KU_DS (1L << 0) /* digitalSignature */
#define KU_KE (1L << 2) /* keyEncipherment */
#define KU_DE (1L << 3) /* dataEncipherment */
#define KU_KA (1L << 4) /* keyAgreement */

/* cabf.leaf.key_usage.missing: BR 7.1.2.7.6 keyUsage SHOULD */
hsmca_err hsmca_lint_check_leaf_ku_missing(lint_ctx *c)
{
    return hsmca_lint_ext_required(c, NID_key_usage, "keyUsage");
}

/* cabf.leaf.key_usage.not_critical: BR 7.1.2.7.6 critical: Y */
hsmca_err hsmca_lint_check_leaf_ku_not_critical(lint_ctx *c)
{
    return hsmca_lint_ext_critical(c, NID_key_usage, "keyUsage");
}

/* cabf.leaf.key_usage.bits: BR 7.1.2.7.11 tables: permitted bits per key
 * type; ECDSA digitalSignature MUST; RSA at least one bit. */
hsmca_err hsmca_lint_check_leaf_ku_bits(lint_ctx *c)
{
    const lint_ext *e = hsmca_lint_ext_find(c, NID_key_usage);
    hsmca_err err = HSMCA_OK;
    int type = subject_key_type(c);
    long mask, allowed;
    char buf[160];

    if (e == NULL || type == 0)
        return HSMCA_OK;
    mask = hsmca_lint_ku_mask(e);
    if (mask < 0)
        return hsmca_lint_report(c, "keyUsage is malformed");
    allowed = type == EVP_PKEY_EC ? KU_DS | KU_KA : KU_DS | KU_KE | KU_DE;
    if (type == EVP_PKEY_EC && !(mask & KU_DS))
        HSMCA_GUARD(hsmca_lint_report(c, "keyUsage lacks digitalSignature, which an ECDSA key "
                                         "MUST have"));
    if (type == EVP_PKEY_RSA && mask == 0)
        HSMCA_GUARD(hsmca_lint_report(c, "keyUsage has no bit set"));
    if (mask & ~allowed)
        HSMCA_GUARD(hsmca_lint_report(c, "keyUsage has %s, not permitted for an %s key",
                                      hsmca_lint_ku_text(mask & ~allowed, buf, sizeof buf),
                                      type == EVP_PKEY_EC ? "ECDSA" : "RSA"));
out:
    return err;
}

/* cabf.leaf.key_usage.not_recommended: BR 7.1.2.7.11: keyAgreement (ECC)
 * and dataEncipherment (RSA) are NOT RECOMMENDED (pending prohibitions);
 * RSA digitalSignature SHOULD; digitalSignature with keyEncipherment NOT
 * RECOMMENDED (the note under the RSA table). */
hsmca_err hsmca_lint_check_leaf_ku_not_recommended(lint_ctx *c)
{
    const lint_ext *e = hsmca_lint_ext_find(c, NID_key_usage);
    hsmca_err err = HSMCA_OK;
    int type = subject_key_type(c);
    long mask;

    if (e == NULL || type == 0 || (mask = hsmca_lint_ku_mask(e)) < 0)
        return HSMCA_OK;
    if (type == EVP_PKEY_EC) {
        if (mask & KU_KA)
            HSMCA_GUARD(hsmca_lint_report(c, "keyUsage has keyAgreement (NOT RECOMMENDED for "
                                             "an ECDSA key)"));
        goto out;
    }
    if (mask & KU_DE)
        HSMCA_GUARD(hsmca_lint_report(c, "keyUsage has dataEncipherment (NOT RECOMMENDED)"));
    if (mask != 0 && !(mask & KU_DS))
        HSMCA_GUARD(hsmca_lint_report(c, "keyUsage lacks digitalSignature (SHOULD for an RSA "
                                         "key; TLS 1.3 needs it)"));
    if ((mask & KU_DS) && (mask & KU_KE))
        HSMCA_GUARD(hsmca_lint_report(c, "keyUsage has both digitalSignature and "
                                         "keyEncipherment (NOT RECOMMENDED)"));
out:
    return err;
}

/* ---- extKeyUsage: BR 7.1.2.7.10; Chrome Root Program Policy ---- */

/* BR 7.1.2.7.10 MUST NOT values. */
static const int leaf_eku_forbidden[] = {
    NID_anyExtendedKeyUsage, NID_code_sign, NID_email_protect,
    NID_time_stamp,          NID_OCSP_sign, NID_ct_precert_signer,
};
#define N_LEAF_EKU_FORBIDDEN (sizeof leaf_eku_forbidden / sizeof leaf_eku_forbidden[0])

/* cabf.leaf.eku.missing: BR 7.1.2.7.6 (MUST) */
hsmca_err hsmca_lint_check_leaf_eku_missing(lint_ctx *c)
{
    return hsmca_lint_ext_required(c, NID_ext_key_usage, "extKeyUsage");
}

/* cabf.leaf.eku.server_auth: BR 7.1.2.7.10 id-kp-serverAuth MUST
 * (hsmca_lint_check_eku_server_auth, rules_common.c) */

/* cabf.leaf.eku.forbidden: BR 7.1.2.7.10 MUST NOT values */
hsmca_err hsmca_lint_check_leaf_eku_forbidden(lint_ctx *c)
{
    return hsmca_lint_eku_forbidden(c, leaf_eku_forbidden, N_LEAF_EKU_FORBIDDEN);
}

/* cabf.leaf.eku.other: CONFORMANCE §9 "serverAuth, plus clientAuth at
 * most"; BR 7.1.2.7.10 calls any other value NOT RECOMMENDED, and the
 * Chrome Root Program wants hierarchies dedicated to TLS server
 * authentication. */
hsmca_err hsmca_lint_check_leaf_eku_other(lint_ctx *c)
{
    return hsmca_lint_eku_other(c, leaf_eku_forbidden, N_LEAF_EKU_FORBIDDEN);
}

static int has_client_auth(const lint_ctx *c)
{
    const lint_ext *e;
    EXTENDED_KEY_USAGE *eku =
        hsmca_lint_ext_get(c, NID_ext_key_usage, ASN1_ITEM_rptr(EXTENDED_KEY_USAGE), &e);
    int has = eku != NULL && hsmca_lint_eku_has(eku, NID_client_auth);

    EXTENDED_KEY_USAGE_free(eku);
    return has;
}

/* crp.leaf.eku.client_auth: Chrome Root Program Policy 1.8: leaves issued
 * from 2027-03-15 carry serverAuth only. */
hsmca_err hsmca_lint_check_leaf_eku_client_auth(lint_ctx *c)
{
    char b[32];

    if (c->in->now >= T_2027_03_15 && has_client_auth(c))
        return hsmca_lint_report(c, "extKeyUsage has id-kp-clientAuth, which a certificate "
                                    "issued %s must not have",
                                 hsmca_clock_format(c->in->now, b, sizeof b));
    return HSMCA_OK;
}

/* crp.leaf.eku.client_auth_phase_out: the same, as a warning before the
 * date. */
hsmca_err hsmca_lint_check_leaf_eku_client_auth_soon(lint_ctx *c)
{
    if (c->in->now < T_2027_03_15 && has_client_auth(c))
        return hsmca_lint_report(c, "extKeyUsage has id-kp-clientAuth: the Chrome Root "
                                    "Program refuses it in leaves issued from 2027-03-15");
    return HSMCA_OK;
}

/* ---- basicConstraints: BR 7.1.2.7.8 ---- */

/* cabf.leaf.basic_constraints.not_critical: BR 7.1.2.7.6 critical: Y */
hsmca_err hsmca_lint_check_leaf_bc_not_critical(lint_ctx *c)
{
    return hsmca_lint_ext_critical(c, NID_basic_constraints, "basicConstraints");
}

/* cabf.leaf.basic_constraints.ca: BR 7.1.2.7.8: cA MUST be FALSE,
 * pathLenConstraint MUST NOT be present. */
hsmca_err hsmca_lint_check_leaf_bc_ca(lint_ctx *c)
{
    const lint_ext *e;
    BASIC_CONSTRAINTS *bc =
        hsmca_lint_ext_get(c, NID_basic_constraints, ASN1_ITEM_rptr(BASIC_CONSTRAINTS), &e);
    hsmca_err err = HSMCA_OK;

    if (e == NULL)
        return HSMCA_OK;
    if (bc == NULL)
        return hsmca_lint_report(c, "basicConstraints is malformed");
    if (bc->ca)
        HSMCA_GUARD(hsmca_lint_report(c, "basicConstraints has cA TRUE"));
    if (bc->pathlen != NULL)
        HSMCA_GUARD(hsmca_lint_report(c, "basicConstraints has a pathLenConstraint"));
out:
    BASIC_CONSTRAINTS_free(bc);
    return err;
}

/* ---- the other extensions ---- */

/* cabf.leaf.ski.present: BR 7.1.2.7.6, 7.1.2.11.4 NOT RECOMMENDED */
hsmca_err hsmca_lint_check_leaf_ski_present(lint_ctx *c)
{
    return hsmca_lint_ext_unwanted(
        c, NID_subject_key_identifier, "a subscriber certificate", "subjectKeyIdentifier");
}

/* cabf.leaf.aia.missing: BR 7.1.2.7.6 (MUST); 7.1.2.7.7 "one or more
 * AccessDescriptions". Methods and URL schemes: cabf.common.aia_http. */
hsmca_err hsmca_lint_check_leaf_aia_missing(lint_ctx *c)
{
    const lint_ext *e;
    AUTHORITY_INFO_ACCESS *aia =
        hsmca_lint_ext_get(c, NID_info_access, ASN1_ITEM_rptr(AUTHORITY_INFO_ACCESS), &e);
    hsmca_err err = HSMCA_OK;

    if (e == NULL)
        return hsmca_lint_report(c, "no authorityInfoAccess");
    if (aia == NULL)
        return HSMCA_OK; /* cabf.common.aia_http reports it */
    if (sk_ACCESS_DESCRIPTION_num(aia) == 0)
        err = hsmca_lint_report(c, "authorityInfoAccess has no AccessDescription");
    AUTHORITY_INFO_ACCESS_free(aia);
    return err;
}

/* cabf.leaf.aia.ca_issuers: BR 7.1.2.7.7 id-ad-caIssuers SHOULD */
hsmca_err hsmca_lint_check_leaf_aia_ca_issuers(lint_ctx *c)
{
    if (aia_count(c, NID_ad_ca_issuers) == 0)
        return hsmca_lint_report(c, "authorityInfoAccess has no id-ad-caIssuers URL");
    return HSMCA_OK;
}

/* cabf.leaf.crldp.missing: BR 7.1.2.11.2: MUST in subscriber certificates
 * that are not short-lived and have no id-ad-ocsp URL. */
hsmca_err hsmca_lint_check_leaf_crldp_missing(lint_ctx *c)
{
    hsmca_time period;
    char a[48];

    if (hsmca_lint_ext_find(c, NID_crl_distribution_points) != NULL || short_lived(c) ||
        has_ocsp_url(c))
        return HSMCA_OK;
    if (!hsmca_lint_validity_period(c, &period))
        return HSMCA_OK; /* rfc5280.validity.* */
    return hsmca_lint_report(c, "no cRLDistributionPoints and no id-ad-ocsp URL, on a "
                                "certificate valid %s (short-lived: at most %d days)",
                             days_text(period, a, sizeof a),
                             c->in->now >= T_2026_03_15 ? 7 : 10);
}

/* cabf.leaf.cp.missing: BR 7.1.2.7.6 (MUST) */
hsmca_err hsmca_lint_check_leaf_cp_missing(lint_ctx *c)
{
    return hsmca_lint_ext_required(c, NID_certificate_policies, "certificatePolicies");
}

/* cabf.leaf.cp.policy_ids: BR 7.1.2.7.9: at least one PolicyInformation,
 * "exactly one Reserved Certificate Policy Identifier", anyPolicy MUST NOT;
 * other identifiers MAY appear. RFC 5280 §4.2.1.4: no policy OID twice. */
hsmca_err hsmca_lint_check_leaf_cp_policy_ids(lint_ctx *c)
{
    const lint_ext *e;
    CERTIFICATEPOLICIES *cp =
        hsmca_lint_ext_get(c, NID_certificate_policies, ASN1_ITEM_rptr(CERTIFICATEPOLICIES), &e);
    hsmca_err err = HSMCA_OK;
    int n, reserved = 0;

    if (e == NULL)
        return HSMCA_OK;
    if (cp == NULL)
        return hsmca_lint_report(c, "certificatePolicies is malformed");
    n = sk_POLICYINFO_num(cp);
    if (n == 0)
        HSMCA_GUARD(hsmca_lint_report(c, "certificatePolicies holds no PolicyInformation"));
    for (int i = 0; i < n; i++) {
        const POLICYINFO *pi = sk_POLICYINFO_value(cp, i);

        if (OBJ_obj2nid(pi->policyid) == NID_any_policy)
            HSMCA_GUARD(hsmca_lint_report(c, "certificatePolicies has anyPolicy"));
        reserved += hsmca_lint_reserved_policy(pi->policyid) != LINT_POLICY_NONE;
        HSMCA_GUARD(hsmca_lint_cp_repeated(c, cp, i));
    }
    if (n > 0 && reserved == 0)
        HSMCA_GUARD(hsmca_lint_report(c, "no reserved policy identifier (2.23.140.1.2.1 for "
                                         "DV, 2.23.140.1.2.2, 2.23.140.1.2.3 or "
                                         "2.23.140.1.1)"));
    else if (reserved > 1)
        HSMCA_GUARD(hsmca_lint_report(c, "%d reserved policy identifiers; exactly one is "
                                         "allowed",
                                      reserved));
out:
    CERTIFICATEPOLICIES_free(cp);
    return err;
}

/* cabf.leaf.name_constraints.present: BR 7.1.2.7.6 (MUST NOT) */
hsmca_err hsmca_lint_check_leaf_nc_present(lint_ctx *c)
{
    return hsmca_lint_ext_unwanted(
        c, NID_name_constraints, "a subscriber certificate", "nameConstraints");
}

/* cabf.leaf.no_rev_avail.conditions: RFC 9608: noRevAvail is non-critical
 * with a NULL value, and only for certificates with no revocation
 * information; CONFORMANCE §14 limits it to short-lived leaves (BR
 * 7.1.2.11.2 lets only those omit CRLDP and OCSP). */
hsmca_err hsmca_lint_check_leaf_no_rev_avail_conditions(lint_ctx *c)
{
    const lint_ext *e = hsmca_lint_ext_find(c, NID_no_rev_avail);
    hsmca_err err = HSMCA_OK;
    char hex[64];

    if (e == NULL)
        return HSMCA_OK;
    if (!LINT_TLV_EQUALS_HEX(&e->der, NO_REV_AVAIL_HEX))
        HSMCA_GUARD(hsmca_lint_report(c, "noRevAvail is %s, not " NO_REV_AVAIL_HEX
                                         " (non-critical, NULL)",
                                      hsmca_lint_hex(e->der.der, e->der.der_len, hex,
                                                     sizeof hex)));
    if (!short_lived(c))
        HSMCA_GUARD(hsmca_lint_report(c, "noRevAvail on a certificate that is not "
                                         "short-lived"));
    if (hsmca_lint_ext_find(c, NID_crl_distribution_points) != NULL)
        HSMCA_GUARD(hsmca_lint_report(c, "noRevAvail with cRLDistributionPoints"));
    if (has_ocsp_url(c))
        HSMCA_GUARD(hsmca_lint_report(c, "noRevAvail with an id-ad-ocsp URL"));
out:
    return err;
}

/* cabf.leaf.no_rev_avail.present: BR 7.1.2.11.5: any other extension NOT
 * RECOMMENDED (CONFORMANCE §14: off by default) */
hsmca_err hsmca_lint_check_leaf_no_rev_avail_present(lint_ctx *c)
{
    if (hsmca_lint_ext_find(c, NID_no_rev_avail) != NULL)
        return hsmca_lint_report(c, "noRevAvail is present (NOT RECOMMENDED)");
    return HSMCA_OK;
}

/* ---- Certificate Transparency: RFC 6962, BR 7.1.2.9, 7.1.2.11.3 ---- */

static size_t count_ext(const lint_ctx *c, int nid)
{
    size_t n = 0;

    for (size_t i = 0; i < c->lc.n_exts; i++)
        n += c->lc.exts[i].nid == nid;
    return n;
}

static int is_precert(const lint_ctx *c)
{
    return c->in->kind == HSMCA_PROFILE_TLS_SERVER && c->in->precert;
}

/* rfc6962.cert.poison: RFC 6962 §3.1 (the poison makes a precertificate
 * unusable: it must never reach a final certificate), BR 7.1.2.9; no other
 * profile lists it. */
hsmca_err hsmca_lint_check_ct_poison_misplaced(lint_ctx *c)
{
    size_t n = count_ext(c, NID_ct_precert_poison);

    if (n == 0 || is_precert(c))
        return HSMCA_OK;
    if (c->in->kind == HSMCA_PROFILE_TLS_SERVER)
        return hsmca_lint_report(c, "a final certificate carries the precertificate poison "
                                    "extension");
    return hsmca_lint_report(c, "a %s certificate carries the precertificate poison "
                                "extension",
                             hsmca_profile_kind_name(c->in->kind));
}

/* rfc6962.cert.sct_list: embedded SCTs belong to subscriber certificates
 * (RFC 6962 §3.3; BR 7.1.2.7.6); the CA and responder profiles do not list
 * the extension. */
hsmca_err hsmca_lint_check_ct_sct_list_misplaced(lint_ctx *c)
{
    if (count_ext(c, NID_ct_precert_scts) > 0)
        return hsmca_lint_report(c, "a %s certificate carries an SCT list",
                                 hsmca_profile_kind_name(c->in->kind));
    return HSMCA_OK;
}

/* rfc6962.precert.poison: RFC 6962 §3.1: "critical poison extension ...
 * whose extnValue OCTET STRING contains ASN.1 NULL data (0x05 0x00)";
 * CONFORMANCE §9: exactly one, exactly these bytes. */
hsmca_err hsmca_lint_check_precert_poison(lint_ctx *c)
{
    hsmca_err err = HSMCA_OK;
    size_t n = count_ext(c, NID_ct_precert_poison);
    char hex[96];

    if (!c->in->precert)
        return HSMCA_OK;
    if (n == 0)
        return hsmca_lint_report(c, "a precertificate without the poison extension "
                                    "(1.3.6.1.4.1.11129.2.4.3)");
    if (n > 1)
        HSMCA_GUARD(hsmca_lint_report(c, "%zu poison extensions; exactly one is allowed", n));
    for (size_t i = 0; i < c->lc.n_exts; i++) {
        const lint_ext *e = &c->lc.exts[i];

        if (e->nid != NID_ct_precert_poison || LINT_TLV_EQUALS_HEX(&e->der, POISON_HEX))
            continue;
        if (!e->critical)
            HSMCA_GUARD(hsmca_lint_report(c, "the poison extension is not critical"));
        else
            HSMCA_GUARD(hsmca_lint_report(
                c, "the poison extension is %s, not " POISON_HEX " (critical, NULL)",
                hsmca_lint_hex(e->der.der, e->der.der_len, hex, sizeof hex)));
    }
out:
    return err;
}

/* rfc6962.precert.sct_list: BR 7.1.2.9 (the precertificate profile omits
 * it); a precertificate is what the SCTs are about. */
hsmca_err hsmca_lint_check_precert_sct_list(lint_ctx *c)
{
    if (c->in->precert && count_ext(c, NID_ct_precert_scts) > 0)
        return hsmca_lint_report(c, "a precertificate carries an SCT list");
    return HSMCA_OK;
}

/* rfc6962.final.sct_list: RFC 6962 §3.3 (non-critical); one extension
 * (RFC 5280 §4.2) carries all the SCTs. The final MAY have none. */
hsmca_err hsmca_lint_check_final_sct_list(lint_ctx *c)
{
    hsmca_err err = HSMCA_OK;
    size_t n = count_ext(c, NID_ct_precert_scts);

    if (c->in->precert || n == 0)
        return HSMCA_OK;
    if (n > 1)
        HSMCA_GUARD(hsmca_lint_report(c, "%zu SCT list extensions; at most one is allowed", n));
    for (size_t i = 0; i < c->lc.n_exts; i++)
        if (c->lc.exts[i].nid == NID_ct_precert_scts && c->lc.exts[i].critical)
            HSMCA_GUARD(hsmca_lint_report(c, "the SCT list extension is critical"));
out:
    return err;
}

static unsigned get16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* An ECDSA signature in an SCT is a DER Ecdsa-Sig-Value (RFC 6962 §2.1.4,
 * RFC 5246 §4.7): SEQUENCE { INTEGER r, INTEGER s }, nothing after. */
static int ecdsa_sig_ok(const uint8_t *p, size_t n)
{
    lint_der r, s;
    lint_tlv seq, a, b;

    hsmca_lint_der_init(&r, p, n);
    if (hsmca_lint_der_next(&r, &seq) != 1 || seq.tag != 0x30 || !hsmca_lint_der_at_end(&r))
        return 0;
    hsmca_lint_der_enter(&seq, &s);
    return hsmca_lint_der_next(&s, &a) == 1 && a.tag == V_ASN1_INTEGER && a.len > 0 &&
           hsmca_lint_der_next(&s, &b) == 1 && b.tag == V_ASN1_INTEGER && b.len > 0 &&
           hsmca_lint_der_at_end(&s);
}

/* One SignedCertificateTimestamp v1 (RFC 6962 §3.2):
 *   version(1) log_id(32) timestamp(8) extensions<0..2^16-1>
 *   DigitallySigned { hash(1) sig(1) signature<0..2^16-1> }
 * Returns NULL if well-formed (and its timestamp), or why not. */
static const char *sct_problem(const uint8_t *p, size_t n, uint64_t *ts, char *why, size_t len)
{
    size_t o = 0, ext_len, sig_len;

    if (n < 1 + 32 + 8 + 2)
        return "is shorter than its fixed fields";
    if (p[0] != 0) {
        snprintf(why, len, "has version %u, not v1 (0)", p[0]);
        return why;
    }
    o = 1 + 32;
    *ts = 0;
    for (int i = 0; i < 8; i++)
        *ts = *ts << 8 | p[o + (size_t)i];
    o += 8;
    ext_len = get16(p + o);
    o += 2;
    if (ext_len > n - o)
        return "has an extensions length past its end";
    o += ext_len;
    if (n - o < 4)
        return "has no complete DigitallySigned";
    if (p[o] != 4) {
        snprintf(why, len, "has hash algorithm %u, not sha256 (4)", p[o]);
        return why;
    }
    if (p[o + 1] != 1 && p[o + 1] != 3) {
        snprintf(why, len, "has signature algorithm %u, not rsa (1) or ecdsa (3)", p[o + 1]);
        return why;
    }
    sig_len = get16(p + o + 2);
    if (sig_len == 0)
        return "has an empty signature";
    if (sig_len != n - o - 4) {
        snprintf(why, len, "has a signature length of %zu but %zu octets left", sig_len,
                 n - o - 4);
        return why;
    }
    if (p[o + 1] == 3 && !ecdsa_sig_ok(p + o + 4, sig_len))
        return "has an ECDSA signature that is not a DER Ecdsa-Sig-Value";
    return NULL;
}

/* Walk an SCT list extension: 1 if well-formed (calling fn for each SCT's
 * timestamp in milliseconds when fn is not NULL), 0 with *why set if not. */
typedef hsmca_err sct_fn(lint_ctx *c, size_t index, uint64_t ts_ms);

static int sct_list_walk(lint_ctx *c, const lint_ext *e, sct_fn *fn, hsmca_err *err,
                         char *why, size_t len)
{
    lint_der r;
    lint_tlv os;
    const uint8_t *p;
    size_t n, o = 2, count = 0;
    char detail[96];

    *err = HSMCA_OK;
    /* RFC 6962 §3.3: the extnValue holds an OCTET STRING whose contents are
     * the TLS-encoded list. */
    hsmca_lint_der_init(&r, e->value, e->value_len);
    if (hsmca_lint_der_next(&r, &os) != 1 || os.tag != V_ASN1_OCTET_STRING ||
        !hsmca_lint_der_at_end(&r)) {
        snprintf(why, len, "the extnValue is not one OCTET STRING wrapping the TLS list");
        return 0;
    }
    p = os.val;
    n = os.len;
    if (n < 2 || get16(p) != n - 2) {
        snprintf(why, len, "the list length %u does not match the %zu octets that follow",
                 n < 2 ? 0u : get16(p), n < 2 ? 0 : n - 2);
        return 0;
    }
    if (n == 2) {
        snprintf(why, len, "the list holds no SCT");
        return 0;
    }
    while (o < n) {
        size_t sl;
        uint64_t ts = 0;
        const char *bad;

        if (n - o < 2) {
            snprintf(why, len, "SCT %zu: its length is cut off", count + 1);
            return 0;
        }
        sl = get16(p + o);
        o += 2;
        if (sl == 0 || sl > n - o) {
            snprintf(why, len, "SCT %zu: length %zu but %zu octets left", count + 1, sl, n - o);
            return 0;
        }
        bad = sct_problem(p + o, sl, &ts, detail, sizeof detail);
        if (bad != NULL) {
            snprintf(why, len, "SCT %zu %s", count + 1, bad);
            return 0;
        }
        if (fn != NULL && (*err = fn(c, count, ts)) != HSMCA_OK)
            return 1;
        o += sl;
        count++;
    }
    return 1;
}

/* rfc6962.final.sct_list_encoding: RFC 6962 §3.3, §3.2 */
hsmca_err hsmca_lint_check_final_sct_list_encoding(lint_ctx *c)
{
    hsmca_err err = HSMCA_OK;
    char why[160];

    if (c->in->precert)
        return HSMCA_OK;
    for (size_t i = 0; i < c->lc.n_exts; i++) {
        hsmca_err walk_err;

        if (c->lc.exts[i].nid != NID_ct_precert_scts)
            continue;
        if (!sct_list_walk(c, &c->lc.exts[i], NULL, &walk_err, why, sizeof why))
            HSMCA_GUARD(hsmca_lint_report(c, "the SCT list is malformed: %s", why));
    }
out:
    return err;
}

static hsmca_err sct_not_future(lint_ctx *c, size_t index, uint64_t ts_ms)
{
    char a[32], b[32];

    if (c->in->now >= 0 && ts_ms > (uint64_t)c->in->now * 1000u)
        return hsmca_lint_report(c, "SCT %zu has timestamp %s (%llu ms), after the signing "
                                    "time %s",
                                 index + 1, hsmca_clock_format((hsmca_time)(ts_ms / 1000), a,
                                                               sizeof a),
                                 (unsigned long long)ts_ms,
                                 hsmca_clock_format(c->in->now, b, sizeof b));
    return HSMCA_OK;
}

/* rfc6962.final.sct_timestamp: an SCT from the future is refused by
 * clients; a log cannot have seen the precertificate after the final was
 * signed. */
hsmca_err hsmca_lint_check_final_sct_timestamp(lint_ctx *c)
{
    char why[160];

    if (c->in->precert)
        return HSMCA_OK;
    for (size_t i = 0; i < c->lc.n_exts; i++) {
        hsmca_err err = HSMCA_OK;

        if (c->lc.exts[i].nid != NID_ct_precert_scts)
            continue;
        /* A malformed list: rfc6962.final.sct_list_encoding. */
        sct_list_walk(c, &c->lc.exts[i], sct_not_future, &err, why, sizeof why);
        if (err != HSMCA_OK)
            return err;
    }
    return HSMCA_OK;
}
