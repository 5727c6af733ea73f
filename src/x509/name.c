/* hsmca — distinguished names: parsing a subject from text, and encoding a
 * Name the way BR 7.1.4 wants it. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/asn1.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>

#include "x509/x509_int.h"

/* NIDs and RFC 5280 Appendix A upper bounds (characters), indexed by
 * hsmca_profile_attr. streetAddress has no bound in RFC 5280; X.520's
 * ub-street-address is 128. */
static const struct {
    int nid;
    size_t max_chars;
} attr_info[HSMCA_PROFILE_ATTR__COUNT] = {
    [HSMCA_PROFILE_ATTR_C] = { NID_countryName, 2 },
    [HSMCA_PROFILE_ATTR_ST] = { NID_stateOrProvinceName, 128 },        /* ub-state-name */
    [HSMCA_PROFILE_ATTR_L] = { NID_localityName, 128 },                /* ub-locality-name */
    [HSMCA_PROFILE_ATTR_POSTAL_CODE] = { NID_postalCode, 40 },         /* ub-postal-code */
    [HSMCA_PROFILE_ATTR_STREET] = { NID_streetAddress, 128 },
    [HSMCA_PROFILE_ATTR_O] = { NID_organizationName, 64 },             /* ub-organization-name */
    [HSMCA_PROFILE_ATTR_OU] = { NID_organizationalUnitName, 64 },      /* ub-organizational-unit */
    [HSMCA_PROFILE_ATTR_CN] = { NID_commonName, 64 },                  /* ub-common-name */
};

static void attr_names(char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (int a = 0; a < HSMCA_PROFILE_ATTR__COUNT && used < len; a++) {
        int n = snprintf(buf + used, len - used, "%s%s", a ? ", " : "",
                         hsmca_profile_attr_name((hsmca_profile_attr)a));
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static int attr_lookup(const char *name)
{
    for (int a = 0; a < HSMCA_PROFILE_ATTR__COUNT; a++)
        if (strcasecmp(name, hsmca_profile_attr_name((hsmca_profile_attr)a)) == 0)
            return a;
    return -1;
}

static char *trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        *--e = '\0';
    return s;
}

/* Split one "NAME=value" component (already unescaped) into out. */
static hsmca_err parse_component(char *comp, const char *text, hsmca_x509_subject *out)
{
    hsmca_err err = HSMCA_OK;
    char *eq = strchr(comp, '=');
    char *name, *value;
    char known[96];
    int a;

    HSMCA_ENSURE(*trim(comp) != '\0', HSMCA_E_INPUT,
                 "subject '%s': an empty component (a stray separator?)", text);
    HSMCA_ENSURE(eq != NULL, HSMCA_E_INPUT,
                 "subject '%s': '%s' is not NAME=value (like \"C=US, O=Example, "
                 "CN=Example Root\")", text, trim(comp));
    *eq = '\0';
    name = trim(comp);
    value = trim(eq + 1);
    a = attr_lookup(name);
    if (a < 0) {
        attr_names(known, sizeof known);
        HSMCA_FAIL(HSMCA_E_INPUT, "subject '%s': unknown attribute '%s' (known: %s)", text,
                   name, known);
    }
    HSMCA_ENSURE(out->attr[a] == NULL, HSMCA_E_INPUT,
                 "subject '%s': attribute %s is given twice (hsmca writes one of each)", text,
                 hsmca_profile_attr_name((hsmca_profile_attr)a));
    HSMCA_ENSURE(*value != '\0', HSMCA_E_INPUT, "subject '%s': attribute %s has an empty value",
                 text, hsmca_profile_attr_name((hsmca_profile_attr)a));
    out->attr[a] = value;
out:
    return err;
}

hsmca_err hsmca_x509_subject_parse(const char *text, hsmca_x509_subject *out, char **buf)
{
    hsmca_err err = HSMCA_OK;
    hsmca_x509_subject subj;
    char *copy = NULL, *comp, *w;
    const char *r;
    char sep = ',';

    HSMCA_ENSURE(text != NULL && out != NULL && buf != NULL, HSMCA_E_USAGE,
                 "hsmca_x509_subject_parse: missing argument");
    memset(&subj, 0, sizeof subj);
    r = text;
    while (*r == ' ' || *r == '\t')
        r++;
    HSMCA_ENSURE(*r != '\0', HSMCA_E_INPUT,
                 "the subject is empty: give it like \"C=US, O=Example, CN=Example Root\"");
    /* OpenSSL's "/C=US/O=Example/CN=..." form: '/' separates, ',' is literal. */
    if (*r == '/') {
        sep = '/';
        r++;
    }
    copy = malloc(strlen(r) + 1);
    HSMCA_ALLOC(copy);
    /* Unescape in place into copy, cutting at unescaped separators: each
     * component ends with a NUL. "\," (or "\/") is a literal separator and
     * "\\" a literal backslash. */
    comp = w = copy;
    for (;; r++) {
        if (*r == '\\') {
            HSMCA_ENSURE(r[1] != '\0', HSMCA_E_INPUT,
                         "subject '%s': a backslash at the end escapes nothing", text);
            *w++ = *++r;
            continue;
        }
        if (*r == sep || *r == '\0') {
            *w++ = '\0';
            HSMCA_GUARD(parse_component(comp, text, &subj));
            comp = w;
            if (*r == '\0')
                break;
            continue;
        }
        *w++ = *r;
    }
    *out = subj;
    *buf = copy;
    copy = NULL;
out:
    free(copy);
    return err;
}

/* Characters of a UTF-8 string (continuation bytes not counted). */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    return n;
}

/* Append one AVA as its own RDN (set 0, loc -1: a new RDN at the end; BR
 * 7.1.4.1 allows one AVA per RDN only). */
static hsmca_err add_ava(X509_NAME *name, hsmca_profile_attr a, const char *value,
                         const char *what)
{
    hsmca_err err = HSMCA_OK;
    const char *an = hsmca_profile_attr_name(a);
    ASN1_STRING *checked = NULL;
    size_t chars;

    HSMCA_ENSURE(*value != '\0', HSMCA_E_INPUT, "%s: %s is empty", what, an);
    chars = utf8_chars(value);
    if (a == HSMCA_PROFILE_ATTR_C) {
        /* BR 7.1.4.2 / X.520: countryName is a PrintableString holding an
         * ISO 3166-1 alpha-2 code. */
        HSMCA_ENSURE(strlen(value) == 2 && isupper((unsigned char)value[0]) &&
                         isupper((unsigned char)value[1]) &&
                         (unsigned char)value[0] < 0x80 && (unsigned char)value[1] < 0x80,
                     HSMCA_E_INPUT,
                     "%s: C must be a two-letter upper-case country code (ISO 3166-1), "
                     "got '%s'", what, value);
        HSMCA_OSSL(X509_NAME_add_entry_by_NID(name, attr_info[a].nid, V_ASN1_PRINTABLESTRING,
                                              (const unsigned char *)value, 2, -1, 0) == 1,
                   "%s: cannot add C", what);
    } else {
        HSMCA_ENSURE(chars <= attr_info[a].max_chars, HSMCA_E_INPUT,
                     "%s: %s is %zu characters long; the limit is %zu (RFC 5280 Appendix A%s)",
                     what, an, chars, attr_info[a].max_chars,
                     a == HSMCA_PROFILE_ATTR_CN ? ", BR 7.1.4.2" : "");
        /* ASN1_mbstring_ncopy validates the UTF-8; the entry is then written
         * as a UTF8String explicitly (BR 7.1.4.2), not through OpenSSL's
         * process-wide string mask, which another caller could change. */
        HSMCA_ENSURE(ASN1_mbstring_ncopy(&checked, (const unsigned char *)value,
                                         (int)strlen(value), MBSTRING_UTF8, B_ASN1_UTF8STRING,
                                         1, 0) > 0,
                     HSMCA_E_INPUT, "%s: %s is not valid UTF-8", what, an);
        HSMCA_OSSL(X509_NAME_add_entry_by_NID(name, attr_info[a].nid, V_ASN1_UTF8STRING,
                                              ASN1_STRING_get0_data(checked),
                                              ASN1_STRING_length(checked), -1, 0) == 1,
                   "%s: cannot add %s", what, an);
    }
out:
    ASN1_STRING_free(checked);
    return err;
}

hsmca_err x509_name_build(const char *const values[HSMCA_PROFILE_ATTR__COUNT],
                          const char *what, X509_NAME **out)
{
    hsmca_err err = HSMCA_OK;
    X509_NAME *name = X509_NAME_new();

    HSMCA_ALLOC(name);
    /* BR 7.1.4.2: C, ST, L, postalCode, street, O, OU, CN -- the enum order. */
    for (int a = 0; a < HSMCA_PROFILE_ATTR__COUNT; a++)
        if (values[a] != NULL)
            HSMCA_GUARD(add_ava(name, (hsmca_profile_attr)a, values[a], what));
    *out = name;
    name = NULL;
out:
    X509_NAME_free(name);
    return err;
}

hsmca_err x509_name_from_dirname(const hsmca_profile_dirname *d, X509_NAME **out)
{
    hsmca_err err = HSMCA_OK;
    X509_NAME *name = X509_NAME_new();
    const char *what = "name_constraints directoryName";

    HSMCA_ALLOC(name);
    /* BR 7.1.4.2 order whatever the profile's order; repeats keep their
     * relative order (a stable pass per attribute). */
    for (int a = 0; a < HSMCA_PROFILE_ATTR__COUNT; a++)
        for (size_t i = 0; i < d->n_avas; i++)
            if ((int)d->avas[i].attr == a)
                HSMCA_GUARD(add_ava(name, (hsmca_profile_attr)a, d->avas[i].value, what));
    *out = name;
    name = NULL;
out:
    X509_NAME_free(name);
    return err;
}
