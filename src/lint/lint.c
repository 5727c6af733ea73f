/* hsmca — the lint engine: the rule catalogue, reading the certificate as
 * encoded, running the rules that apply to the kind, and the result.
 *
 * BR 4.3.1.2: every certificate is linted before the token signs it. The
 * caller signs the TBS with a throwaway key, hands the certificate here, and
 * lets the token sign only if hsmca_lint_result_check() passes.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "lint_int.h"

/* ---- the catalogue (rules.def, expanded twice in the same order) ---- */

static const hsmca_lint_rule rules[] = {
#define LINT_RULE(fn, id, level, source, summary, kinds)                      \
    {id, level, source, summary, kinds, HSMCA_LINT_CERTIFICATE},
#define LINT_RULE_ON(object, fn, id, level, source, summary, kinds)           \
    {id, level, source, summary, kinds, object},
#include "rules.def"
#undef LINT_RULE
#undef LINT_RULE_ON
};

static lint_check_fn *const checks[] = {
#define LINT_RULE(fn, id, level, source, summary, kinds) hsmca_lint_check_##fn,
#define LINT_RULE_ON(object, fn, id, level, source, summary, kinds) hsmca_lint_check_##fn,
#include "rules.def"
#undef LINT_RULE
#undef LINT_RULE_ON
};

#define N_RULES (sizeof rules / sizeof rules[0])
_Static_assert(sizeof checks / sizeof checks[0] == sizeof rules / sizeof rules[0],
               "rules.def expands to one check per rule");

const hsmca_lint_rule *hsmca_lint_rules(size_t *n)
{
    if (n != NULL)
        *n = N_RULES;
    return rules;
}

const hsmca_lint_rule *hsmca_lint_rule_find(const char *id)
{
    if (id == NULL)
        return NULL;
    for (size_t i = 0; i < N_RULES; i++)
        if (strcmp(rules[i].id, id) == 0)
            return &rules[i];
    return NULL;
}

/* ---- findings ---- */

/* Room for one more element in an array of *cap elements of `size` bytes,
 * n of them used: the array (moved if it had to grow), or NULL when out of
 * memory (the array is left as it was). */
static void *grow(void *array, size_t n, size_t *cap, size_t size)
{
    size_t ncap;
    void *grown;

    if (n < *cap)
        return array;
    ncap = *cap ? *cap * 2 : 16;
    grown = realloc(array, ncap * size);
    if (grown != NULL)
        *cap = ncap;
    return grown;
}

hsmca_err hsmca_lint_report(lint_ctx *c, const char *fmt, ...)
{
    hsmca_lint_finding *f, *grown = grow(c->findings, c->n, &c->cap, sizeof(*c->findings));
    va_list ap;

    if (grown == NULL)
        return hsmca_err_setf(HSMCA_E_NOMEM, "out of memory recording a lint finding");
    c->findings = grown;
    f = &c->findings[c->n++];
    memset(f, 0, sizeof(*f));
    f->rule = c->rule;
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof f->message, fmt, ap);
    va_end(ap);
    return HSMCA_OK;
}

/* ---- extensions ---- */

const lint_ext *hsmca_lint_ext_find(const lint_ctx *c, int nid)
{
    for (size_t i = 0; i < c->lc.n_exts; i++)
        if (c->lc.exts[i].nid == nid && nid != NID_undef)
            return &c->lc.exts[i];
    return NULL;
}

void *hsmca_lint_ext_decode(const lint_ext *e, const ASN1_ITEM *it)
{
    const unsigned char *p = e->value;
    void *v;

    if (e->value_len > LONG_MAX)
        return NULL;
    v = ASN1_item_d2i(NULL, &p, (long)e->value_len, it);
    if (v != NULL && p != e->value + e->value_len) {
        ASN1_item_free(v, it); /* trailing bytes after the value */
        v = NULL;
    }
    return v;
}

void *hsmca_lint_ext_get(const lint_ctx *c, int nid, const ASN1_ITEM *it,
                         const lint_ext **out_e)
{
    const lint_ext *e = hsmca_lint_ext_find(c, nid);

    *out_e = e;
    return e != NULL ? hsmca_lint_ext_decode(e, it) : NULL;
}

const char *hsmca_lint_ext_name(const lint_ext *e, char *buf, size_t len)
{
    return hsmca_lint_oid_name(&e->oid, e->nid, buf, len);
}

const char *hsmca_lint_oid_name(const lint_tlv *oid, int nid, char *buf, size_t len)
{
    const unsigned char *p = oid->der;
    ASN1_OBJECT *obj;

    if (nid != NID_undef)
        return OBJ_nid2sn(nid);
    snprintf(buf, len, "?");
    obj = d2i_ASN1_OBJECT(NULL, &p, (long)oid->der_len);
    if (obj != NULL) {
        OBJ_obj2txt(buf, (int)len, obj, 1);
        ASN1_OBJECT_free(obj);
    }
    return buf;
}

/* ---- reading the certificate (RFC 5280 §4.1) ---- */

static void lint_cert_clear(lint_cert *lc)
{
    OPENSSL_free(lc->der);
    free(lc->exts);
    free(lc->avas);
    memset(lc, 0, sizeof(*lc));
}

#define DER_NEXT(r, t, what)                                                  \
    HSMCA_ENSURE(hsmca_lint_der_next((r), (t)) == 1, HSMCA_E_INPUT,           \
                 "certificate is not DER: cannot read %s", (what))
#define DER_EXPECT(r, t, tag_, what)                                          \
    do {                                                                      \
        DER_NEXT(r, t, what);                                                 \
        HSMCA_ENSURE((t)->tag == (tag_), HSMCA_E_INPUT,                       \
                     "certificate is not X.509: %s has tag 0x%02x", (what),   \
                     (t)->tag);                                               \
    } while (0)
#define DER_OPTIONAL(r, tag_, t, what)                                        \
    HSMCA_ENSURE(hsmca_lint_der_optional((r), (tag_), (t)) >= 0, HSMCA_E_INPUT, \
                 "certificate is not DER: cannot read %s", (what))

/* Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue } */
static hsmca_err parse_extensions(lint_cert *lc)
{
    hsmca_err err = HSMCA_OK;
    lint_der outer, seq, er;
    lint_tlv list, t, crit;
    lint_ext *exts = NULL;
    size_t n = 0, cap = 0;

    hsmca_lint_der_enter(&lc->extensions, &outer);
    DER_EXPECT(&outer, &list, 0x30, "extensions");
    HSMCA_ENSURE(hsmca_lint_der_at_end(&outer), HSMCA_E_INPUT,
                 "certificate is not DER: bytes after the extensions");
    hsmca_lint_der_enter(&list, &seq);
    while (!hsmca_lint_der_at_end(&seq)) {
        lint_ext e, *grown;

        memset(&e, 0, sizeof e);
        DER_EXPECT(&seq, &e.der, 0x30, "an extension");
        hsmca_lint_der_enter(&e.der, &er);
        DER_EXPECT(&er, &e.oid, V_ASN1_OBJECT, "an extension's OID");
        crit.der = NULL;
        DER_OPTIONAL(&er, V_ASN1_BOOLEAN, &crit, "an extension's critical flag");
        if (crit.der != NULL) {
            HSMCA_ENSURE(crit.len == 1, HSMCA_E_INPUT,
                         "certificate is not DER: critical flag of %zu octets", crit.len);
            e.critical = crit.val[0] != 0;
        }
        DER_EXPECT(&er, &t, V_ASN1_OCTET_STRING, "an extension's value");
        HSMCA_ENSURE(hsmca_lint_der_at_end(&er), HSMCA_E_INPUT,
                     "certificate is not X.509: bytes after an extension's value");
        e.value = t.val;
        e.value_len = t.len;
        e.nid = hsmca_lint_der_oid_nid(&e.oid);
        grown = grow(exts, n, &cap, sizeof(*exts));
        HSMCA_ALLOC(grown);
        exts = grown;
        exts[n++] = e;
    }
    lc->exts = exts;
    lc->n_exts = n;
    exts = NULL;
out:
    free(exts);
    return err;
}

/* Name ::= SEQUENCE OF RelativeDistinguishedName (SET OF AttributeTypeAndValue) */
static hsmca_err parse_subject(lint_cert *lc)
{
    hsmca_err err = HSMCA_OK;
    lint_der names, set, ava;
    lint_tlv rdn, atv;
    lint_ava *avas = NULL;
    size_t n = 0, cap = 0, n_rdn = 0;

    hsmca_lint_der_enter(&lc->subject, &names);
    while (!hsmca_lint_der_at_end(&names)) {
        size_t first = n;

        DER_EXPECT(&names, &rdn, 0x31, "a subject RDN");
        hsmca_lint_der_enter(&rdn, &set);
        while (!hsmca_lint_der_at_end(&set)) {
            lint_ava a, *grown;

            memset(&a, 0, sizeof a);
            DER_EXPECT(&set, &atv, 0x30, "a subject attribute");
            hsmca_lint_der_enter(&atv, &ava);
            DER_EXPECT(&ava, &a.oid, V_ASN1_OBJECT, "a subject attribute type");
            DER_NEXT(&ava, &a.value, "a subject attribute value");
            HSMCA_ENSURE(hsmca_lint_der_at_end(&ava), HSMCA_E_INPUT,
                         "certificate is not X.509: bytes after a subject attribute");
            a.rdn = n_rdn;
            a.nid = hsmca_lint_der_oid_nid(&a.oid);
            grown = grow(avas, n, &cap, sizeof(*avas));
            HSMCA_ALLOC(grown);
            avas = grown;
            avas[n++] = a;
        }
        for (size_t i = first; i < n; i++)
            avas[i].n_in_rdn = n - first;
        n_rdn++;
    }
    lc->avas = avas;
    lc->n_avas = n;
    avas = NULL;
out:
    free(avas);
    return err;
}

static hsmca_err lint_cert_parse(X509 *cert, lint_cert *out)
{
    hsmca_err err = HSMCA_OK;
    lint_cert lc;
    lint_der top, cr, tr, vr, sr;
    lint_tlv certificate, sig;
    unsigned char *der = NULL;
    int len;

    memset(&lc, 0, sizeof lc);
    len = i2d_X509(cert, &der);
    HSMCA_OSSL(len > 0, "cannot encode the certificate to lint");
    lc.der = der;
    lc.der_len = (size_t)len;
    der = NULL;

    /* Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue } */
    hsmca_lint_der_init(&top, lc.der, lc.der_len);
    DER_EXPECT(&top, &certificate, 0x30, "the certificate");
    hsmca_lint_der_enter(&certificate, &cr);
    DER_EXPECT(&cr, &lc.tbs, 0x30, "tbsCertificate");
    DER_EXPECT(&cr, &lc.outer_sig_alg, 0x30, "signatureAlgorithm");
    DER_EXPECT(&cr, &sig, V_ASN1_BIT_STRING, "signatureValue");

    hsmca_lint_der_enter(&lc.tbs, &tr);
    DER_OPTIONAL(&tr, 0xa0, &lc.version, "version");
    DER_EXPECT(&tr, &lc.serial, V_ASN1_INTEGER, "serialNumber");
    DER_EXPECT(&tr, &lc.sig_alg, 0x30, "signature");
    DER_EXPECT(&tr, &lc.issuer, 0x30, "issuer");
    DER_EXPECT(&tr, &lc.validity, 0x30, "validity");
    DER_EXPECT(&tr, &lc.subject, 0x30, "subject");
    DER_EXPECT(&tr, &lc.spki, 0x30, "subjectPublicKeyInfo");
    DER_OPTIONAL(&tr, 0x81, &lc.issuer_uid, "issuerUniqueID");
    DER_OPTIONAL(&tr, 0x82, &lc.subject_uid, "subjectUniqueID");
    DER_OPTIONAL(&tr, 0xa3, &lc.extensions, "extensions");
    HSMCA_ENSURE(hsmca_lint_der_at_end(&tr), HSMCA_E_INPUT,
                 "certificate is not X.509: unexpected field at the end of the TBS");

    hsmca_lint_der_enter(&lc.validity, &vr);
    DER_NEXT(&vr, &lc.not_before, "notBefore");
    DER_NEXT(&vr, &lc.not_after, "notAfter");
    HSMCA_ENSURE(hsmca_lint_der_at_end(&vr), HSMCA_E_INPUT,
                 "certificate is not X.509: bytes after notAfter");

    hsmca_lint_der_enter(&lc.spki, &sr);
    DER_EXPECT(&sr, &lc.spki_alg, 0x30, "the public key algorithm");

    HSMCA_GUARD(parse_subject(&lc));
    if (lc.extensions.der != NULL)
        HSMCA_GUARD(parse_extensions(&lc));

    *out = lc;
    memset(&lc, 0, sizeof lc);
out:
    OPENSSL_free(der);
    lint_cert_clear(&lc);
    return err;
}

/* ---- times (RFC 5280 §4.1.2.5) ---- */

static int digits(const uint8_t *p, size_t n, int *out)
{
    int v = 0;

    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 1;
}

/* Strict: UTCTime YYMMDDHHMMSSZ, GeneralizedTime YYYYMMDDHHMMSSZ. */
static int strict_time(const lint_tlv *t, hsmca_time *out, int64_t *year)
{
    const uint8_t *p = t->val;
    struct tm tm, back;
    int y, mo, d, h, mi, s, off;
    time_t tt;

    if (t->tag == V_ASN1_UTCTIME && t->len == 13) {
        if (!digits(p, 2, &y))
            return 0;
        y += y >= 50 ? 1900 : 2000; /* RFC 5280 §4.1.2.5.1 */
        off = 2;
    } else if (t->tag == V_ASN1_GENERALIZEDTIME && t->len == 15) {
        if (!digits(p, 4, &y))
            return 0;
        off = 4;
    } else {
        return 0;
    }
    if (!digits(p + off, 2, &mo) || !digits(p + off + 2, 2, &d) ||
        !digits(p + off + 4, 2, &h) || !digits(p + off + 6, 2, &mi) ||
        !digits(p + off + 8, 2, &s) || p[off + 10] != 'Z')
        return 0;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59)
        return 0;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    tt = timegm(&tm);
    /* timegm normalises 31 April to 1 May: refuse dates that moved. */
    if (gmtime_r(&tt, &back) == NULL || back.tm_mday != d || back.tm_mon != mo - 1)
        return 0;
    *out = (hsmca_time)tt;
    *year = y;
    return 1;
}

/* Strictly if possible; else as OpenSSL reads it, so the date rules can still
 * judge a badly formatted time (rfc5280.validity.time_format reports that). */
static lint_time read_time(const lint_tlv *t, const ASN1_TIME *parsed)
{
    lint_time lt;
    struct tm tm;

    memset(&lt, 0, sizeof lt);
    if (strict_time(t, &lt.t, &lt.year)) {
        lt.ok = lt.strict = 1;
        return lt;
    }
    memset(&tm, 0, sizeof tm);
    if (parsed != NULL && ASN1_TIME_to_tm(parsed, &tm)) {
        lt.t = (hsmca_time)timegm(&tm);
        lt.year = (int64_t)tm.tm_year + 1900;
        lt.ok = 1;
    }
    return lt;
}

/* ---- running ---- */

/* Every id to skip names a rule, and one that judges what this run
 * lints: skipping a CRL rule on a certificate would silently do nothing. */
static hsmca_err check_skips(const char *const *skip, hsmca_lint_object object)
{
    static const char *const names[] = {"certificates", "CRLs", "OCSP responses"};

    if (skip == NULL)
        return HSMCA_OK;
    for (size_t i = 0; skip[i] != NULL; i++) {
        const hsmca_lint_rule *r = hsmca_lint_rule_find(skip[i]);

        if (r == NULL)
            return hsmca_err_setf(HSMCA_E_USAGE,
                                  "unknown lint id to skip: \"%s\" (see docs/lint.md or "
                                  "`hsmca lint --list`)",
                                  skip[i]);
        if (r->object != object)
            return hsmca_err_setf(HSMCA_E_USAGE,
                                  "lint id \"%s\" judges %s, not %s: skipping it here would do "
                                  "nothing", skip[i], names[r->object], names[object]);
    }
    return HSMCA_OK;
}

static int is_skipped(const char *const *skip, const char *id)
{
    if (skip == NULL)
        return 0;
    for (size_t i = 0; skip[i] != NULL; i++)
        if (strcmp(skip[i], id) == 0)
            return 1;
    return 0;
}

/* The findings of a run as a result (skips marked, levels counted); the
 * findings move to *out. */
static hsmca_err lint_finish(lint_ctx *c, const char *const *skip, hsmca_lint_result **out)
{
    hsmca_lint_result *res = calloc(1, sizeof(*res));

    if (res == NULL)
        return hsmca_err_setf(HSMCA_E_NOMEM, "out of memory");
    for (size_t i = 0; i < c->n; i++) {
        hsmca_lint_finding *f = &c->findings[i];

        if (is_skipped(skip, f->rule->id)) {
            f->skipped = 1;
            res->skipped++;
        } else if (f->rule->level == HSMCA_LINT_ERROR) {
            res->errors++;
        } else if (f->rule->level == HSMCA_LINT_WARN) {
            res->warnings++;
        }
    }
    res->findings = c->findings;
    res->n = c->n;
    c->findings = NULL;
    *out = res;
    return HSMCA_OK;
}

/* Run the rules for `object` (certificates: those for bit's kind). */
static hsmca_err lint_rules(lint_ctx *c, hsmca_lint_object object, unsigned bit)
{
    hsmca_err err = HSMCA_OK;

    for (size_t i = 0; i < N_RULES; i++) {
        if (rules[i].object != object || (bit != 0 && (rules[i].kinds & bit) == 0))
            continue;
        c->rule = &rules[i];
        HSMCA_GUARD(checks[i](c));
    }
out:
    return err;
}

hsmca_err hsmca_lint_run(const hsmca_lint_input *in, hsmca_lint_result **out)
{
    hsmca_err err = HSMCA_OK;
    lint_ctx c;

    memset(&c, 0, sizeof c);
    /* Decoding a malformed value is a finding, not a failure: whatever
     * OpenSSL queues while the rules run is dropped at the end, and the
     * caller's queue is left as it was. */
    ERR_set_mark();
    HSMCA_ENSURE(in != NULL && out != NULL && in->cert != NULL, HSMCA_E_USAGE,
                 "lint: no certificate given");
    HSMCA_ENSURE(in->kind >= HSMCA_PROFILE_ROOT && in->kind <= HSMCA_PROFILE_PRECERT_SIGNER,
                 HSMCA_E_USAGE, "lint: unknown certificate kind %d", (int)in->kind);
    HSMCA_GUARD(check_skips(in->skip, HSMCA_LINT_CERTIFICATE));
    /* The signature algorithm and AKI follow the issuer (BR 7.1.3.2,
     * 7.1.2.11.1): a root is its own issuer; anything else needs it. */
    HSMCA_ENSURE(in->kind == HSMCA_PROFILE_ROOT || in->issuer != NULL, HSMCA_E_USAGE,
                 "lint: a %s certificate needs its issuing CA certificate",
                 hsmca_profile_kind_name(in->kind));

    c.in = in;
    c.cert = in->cert;
    c.issuer = in->kind == HSMCA_PROFILE_ROOT ? in->cert : in->issuer;
    c.issuer_key = X509_get0_pubkey(c.issuer); /* NULL: a finding, not a failure */
    HSMCA_GUARD(lint_cert_parse(in->cert, &c.lc));
    c.not_before = read_time(&c.lc.not_before, X509_get0_notBefore(in->cert));
    c.not_after = read_time(&c.lc.not_after, X509_get0_notAfter(in->cert));

    HSMCA_GUARD(lint_rules(&c, HSMCA_LINT_CERTIFICATE, LINT_KIND(in->kind)));
    HSMCA_GUARD(lint_finish(&c, in->skip, out));
out:
    free(c.findings);
    lint_cert_clear(&c.lc);
    ERR_pop_to_mark();
    return err;
}

/* ---- CRLs and OCSP responses (hsmca_lint_run_signed) ---- */

/* The next element of r, which must have this tag; `what` names it in the
 * error about object. */
static hsmca_err signed_expect(lint_der *r, lint_tlv *t, unsigned tag, const char *object,
                               const char *what)
{
    if (hsmca_lint_der_next(r, t) != 1)
        return hsmca_err_setf(HSMCA_E_INPUT, "%s is not DER: cannot read %s", object, what);
    if (t->tag != tag)
        return hsmca_err_setf(HSMCA_E_INPUT, "%s is malformed: %s has tag 0x%02x", object, what,
                              t->tag);
    return HSMCA_OK;
}

/* SEQUENCE { tbs, signatureAlgorithm, signature BIT STRING, rest } at p:
 * the shape of a CertificateList (RFC 5280 §5.1) and of a
 * BasicOCSPResponse (RFC 6960 §4.2.1, whose rest is the optional certs). */
static hsmca_err signed_parse(const uint8_t *p, size_t len, const char *object, int whole,
                              lint_signed *out)
{
    hsmca_err err = HSMCA_OK;
    lint_der top, r;
    lint_tlv seq, sig;

    hsmca_lint_der_init(&top, p, len);
    HSMCA_GUARD(signed_expect(&top, &seq, 0x30, object, object));
    HSMCA_ENSURE(hsmca_lint_der_at_end(&top), HSMCA_E_INPUT, "%s is not DER: bytes after it",
                 object);
    hsmca_lint_der_enter(&seq, &r);
    HSMCA_GUARD(signed_expect(&r, &out->tbs, 0x30, object, "the signed data"));
    HSMCA_GUARD(signed_expect(&r, &out->sig_alg, 0x30, object, "signatureAlgorithm"));
    HSMCA_GUARD(signed_expect(&r, &sig, V_ASN1_BIT_STRING, object, "the signature"));
    HSMCA_ENSURE(!whole || hsmca_lint_der_at_end(&r), HSMCA_E_INPUT,
                 "%s is malformed: unexpected field after the signature", object);
out:
    return err;
}

/* CertificateList: tbsCertList ::= SEQUENCE { version INTEGER OPTIONAL,
 * signature AlgorithmIdentifier, ... } (RFC 5280 §5.1). */
static hsmca_err crl_parse(const uint8_t *p, size_t len, lint_signed *out)
{
    hsmca_err err = HSMCA_OK;
    lint_der tr;
    lint_tlv version;

    HSMCA_GUARD(signed_parse(p, len, "the CRL", 1, out));
    hsmca_lint_der_enter(&out->tbs, &tr);
    HSMCA_ENSURE(hsmca_lint_der_optional(&tr, V_ASN1_INTEGER, &version) >= 0, HSMCA_E_INPUT,
                 "the CRL is not DER: cannot read its version");
    HSMCA_GUARD(signed_expect(&tr, &out->tbs_sig_alg, 0x30, "the CRL", "tbsCertList.signature"));
out:
    return err;
}

/* OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, responseBytes [0]
 * EXPLICIT SEQUENCE { responseType OID, response OCTET STRING } OPTIONAL }
 * (RFC 6960 §4.2.1). *is_signed 0: an error status, unsigned. */
static hsmca_err ocsp_parse(const uint8_t *p, size_t len, lint_signed *out, int *is_signed)
{
    hsmca_err err = HSMCA_OK;
    static const char what[] = "the OCSP response";
    lint_der top, r, er, br;
    lint_tlv resp, status, bytes, rb, type, octets;

    *is_signed = 0;
    hsmca_lint_der_init(&top, p, len);
    HSMCA_GUARD(signed_expect(&top, &resp, 0x30, what, what));
    HSMCA_ENSURE(hsmca_lint_der_at_end(&top), HSMCA_E_INPUT, "%s is not DER: bytes after it",
                 what);
    hsmca_lint_der_enter(&resp, &r);
    HSMCA_GUARD(signed_expect(&r, &status, V_ASN1_ENUMERATED, what, "responseStatus"));
    HSMCA_ENSURE(status.len == 1, HSMCA_E_INPUT, "%s is malformed: responseStatus of %zu octets",
                 what, status.len);
    if (status.val[0] != 0) /* RFC 6960 §2.3: error responses are unsigned */
        goto out;
    HSMCA_GUARD(signed_expect(&r, &bytes, 0xa0, what, "responseBytes"));
    hsmca_lint_der_enter(&bytes, &er);
    HSMCA_GUARD(signed_expect(&er, &rb, 0x30, what, "responseBytes"));
    hsmca_lint_der_enter(&rb, &br);
    HSMCA_GUARD(signed_expect(&br, &type, V_ASN1_OBJECT, what, "responseType"));
    /* id-pkix-ocsp-basic, 1.3.6.1.5.5.7.48.1.1: the only type RFC 6960 defines */
    HSMCA_ENSURE(LINT_TLV_EQUALS_HEX(&type, "06092b0601050507300101"), HSMCA_E_INPUT,
                 "%s is not a BasicOCSPResponse (responseType is not id-pkix-ocsp-basic)", what);
    HSMCA_GUARD(signed_expect(&br, &octets, V_ASN1_OCTET_STRING, what, "response"));
    HSMCA_GUARD(signed_parse(octets.val, octets.len, "the BasicOCSPResponse", 0, out));
    *is_signed = 1;
out:
    return err;
}

hsmca_err hsmca_lint_run_signed(const hsmca_lint_signed_input *in, hsmca_lint_result **out)
{
    hsmca_err err = HSMCA_OK;
    lint_ctx c;
    int is_signed = 1;

    memset(&c, 0, sizeof c);
    ERR_set_mark();
    HSMCA_ENSURE(in != NULL && out != NULL && in->der != NULL && in->der_len > 0, HSMCA_E_USAGE,
                 "lint: no CRL or OCSP response given");
    HSMCA_ENSURE(in->object == HSMCA_LINT_CRL || in->object == HSMCA_LINT_OCSP_RESPONSE,
                 HSMCA_E_USAGE, "lint: object %d is not a CRL or an OCSP response",
                 (int)in->object);
    HSMCA_ENSURE(in->signer != NULL, HSMCA_E_USAGE,
                 "lint: a %s needs the certificate whose key signed it",
                 in->object == HSMCA_LINT_CRL ? "CRL" : "OCSP response");
    HSMCA_GUARD(check_skips(in->skip, in->object));
    c.issuer = in->signer;
    c.issuer_key = X509_get0_pubkey(in->signer); /* NULL: a finding, not a failure */
    if (in->object == HSMCA_LINT_CRL)
        HSMCA_GUARD(crl_parse(in->der, in->der_len, &c.so));
    else
        HSMCA_GUARD(ocsp_parse(in->der, in->der_len, &c.so, &is_signed));
    if (is_signed)
        HSMCA_GUARD(lint_rules(&c, in->object, 0));
    HSMCA_GUARD(lint_finish(&c, in->skip, out));
out:
    free(c.findings);
    ERR_pop_to_mark();
    return err;
}

void hsmca_lint_result_free(hsmca_lint_result *r)
{
    if (r == NULL)
        return;
    free(r->findings);
    free(r);
}

hsmca_err hsmca_lint_result_check(const hsmca_lint_result *r)
{
    /* Longer than the error record: it marks its own cut with "...". */
    char msg[2048];
    size_t used = 0;

    if (r == NULL || r->errors == 0)
        return HSMCA_OK;
    msg[0] = '\0';
    for (size_t i = 0; i < r->n; i++) {
        const hsmca_lint_finding *f = &r->findings[i];
        int w;

        if (f->skipped || f->rule->level != HSMCA_LINT_ERROR)
            continue;
        w = snprintf(msg + used, sizeof msg - used, "%s%s (%s): %s", used ? "; " : "",
                     f->rule->id, f->rule->source, f->message);
        if (w < 0 || (size_t)w >= sizeof msg - used) {
            /* Full: the error record marks the cut with "...". */
            used = sizeof msg - 1;
            break;
        }
        used += (size_t)w;
    }
    return hsmca_err_setf(HSMCA_E_VERIFY, "%s", msg);
}
