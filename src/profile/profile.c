/* hsmca — certificate profiles from YAML (include/hsmca/profile.h).
 *
 * The format is documented for users in docs/profiles.md; keep the two in
 * step. This file checks that a profile is well formed. Whether the
 * certificates it produces meet the BRs is src/lint's job: a profile may
 * describe a deliberately broken certificate for a negative fixture, and the
 * lint is where that gets caught, named and (if asked) waived.
 */
#include "hsmca/profile.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile/profile_int.h"
#include "profile/yaml.h"

#define DAY_SECONDS 86400LL

/* ---- name tables ---- */

static const char *const kind_names[] = {
    [HSMCA_PROFILE_ROOT] = "root",
    [HSMCA_PROFILE_SUBORDINATE] = "subordinate",
    [HSMCA_PROFILE_OCSP_RESPONDER] = "ocsp-responder",
    [HSMCA_PROFILE_TLS_SERVER] = "tls-server",
    [HSMCA_PROFILE_PRECERT_SIGNER] = "precert-signer",
};
#define N_KINDS (sizeof kind_names / sizeof kind_names[0])

static const struct {
    const char *name;
    unsigned bit;
} key_types[] = {
    { "rsa2048", HSMCA_PROFILE_KEY_RSA2048 },
    { "rsa3072", HSMCA_PROFILE_KEY_RSA3072 },
    { "rsa4096", HSMCA_PROFILE_KEY_RSA4096 },
    { "p256", HSMCA_PROFILE_KEY_P256 },
    { "p384", HSMCA_PROFILE_KEY_P384 },
};
#define N_KEY_TYPES (sizeof key_types / sizeof key_types[0])

/* Subject attribute names and RFC 5280 Appendix A upper bounds (characters);
 * streetAddress has none in RFC 5280, X.520's ub-street-address is 128. */
static const struct {
    const char *name;
    size_t max_len;
} attrs[HSMCA_PROFILE_ATTR__COUNT] = {
    [HSMCA_PROFILE_ATTR_C] = { "C", 2 },
    [HSMCA_PROFILE_ATTR_ST] = { "ST", 128 },
    [HSMCA_PROFILE_ATTR_L] = { "L", 128 },
    [HSMCA_PROFILE_ATTR_POSTAL_CODE] = { "postalCode", 40 },
    [HSMCA_PROFILE_ATTR_STREET] = { "street", 128 },
    [HSMCA_PROFILE_ATTR_O] = { "O", 64 },
    [HSMCA_PROFILE_ATTR_OU] = { "OU", 64 },
    [HSMCA_PROFILE_ATTR_CN] = { "CN", 64 },
};

/* RFC 5280 §4.2.1.3 names, indexed by bit. */
static const char *const ku_names[] = {
    "digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment",
    "keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly",
};
#define N_KU (sizeof ku_names / sizeof ku_names[0])

/* EKU names a profile may use instead of the dotted OID. The ones the BRs
 * forbid for a kind are still accepted here: the lint rejects them, and a
 * negative fixture may want them. */
static const struct {
    const char *name;
    const char *oid;
} eku_names[] = {
    { "serverAuth", "1.3.6.1.5.5.7.3.1" },             /* RFC 5280 4.2.1.12 */
    { "clientAuth", "1.3.6.1.5.5.7.3.2" },
    { "codeSigning", "1.3.6.1.5.5.7.3.3" },
    { "emailProtection", "1.3.6.1.5.5.7.3.4" },
    { "timeStamping", "1.3.6.1.5.5.7.3.8" },
    { "OCSPSigning", "1.3.6.1.5.5.7.3.9" },
    { "precertSigning", "1.3.6.1.4.1.11129.2.4.4" },   /* RFC 6962 3.1 */
    { "anyExtendedKeyUsage", "2.5.29.37.0" },
};
#define N_EKU (sizeof eku_names / sizeof eku_names[0])

/* ---- small helpers ---- */

static hsmca_err line_errf(const char *file, unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static hsmca_err line_errf(const char *file, unsigned long line, const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return hsmca_err_setf(HSMCA_E_INPUT, "%s:%lu: %s", file, line, msg);
}

static void strs_clear(hsmca_profile_strs *s)
{
    hsmca_yaml_strv_free(s->v);
    s->v = NULL;
    s->n = 0;
}

/* An empty list, so that a loaded profile never has v == NULL. */
static hsmca_err strs_empty(hsmca_profile_strs *s)
{
    if (s->v != NULL)
        return HSMCA_OK;
    s->v = calloc(1, sizeof *s->v);
    if (s->v == NULL)
        return hsmca_err_setf(HSMCA_E_NOMEM, "out of memory");
    s->n = 0;
    return HSMCA_OK;
}

/* The list under `key` (absent: empty list). */
static hsmca_err get_strs(const hsmca_yaml_node *map, const char *key,
                          hsmca_profile_strs *out, const hsmca_yaml_node **out_node)
{
    hsmca_err err = HSMCA_OK;

    *out_node = hsmca_yaml_get(map, key);
    HSMCA_GUARD(hsmca_yaml_opt_strv(map, key, &out->v, &out->n));
    HSMCA_GUARD(strs_empty(out));
out:
    return err;
}

/* Item i of the list whose node is n: the node to blame for item i. */
static const hsmca_yaml_node *item_at(const hsmca_yaml_node *n, size_t i)
{
    const hsmca_yaml_node *it = hsmca_yaml_item(n, i);

    return it != NULL ? it : n;
}

/* A repeated entry is almost always a copy-paste slip, and for most lists
 * here RFC 5280 or the BRs forbid it outright. */
static hsmca_err check_unique(const hsmca_yaml_node *n, const char *name,
                              const hsmca_profile_strs *s, const char *why)
{
    for (size_t i = 1; i < s->n; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(s->v[i], s->v[j]) == 0)
                return hsmca_yaml_errf(item_at(n, i), "'%s' lists '%s' twice%s%s", name,
                                       s->v[i], why ? ": " : "", why ? why : "");
        }
    }
    return HSMCA_OK;
}

/* Number of characters (UTF-8 code points) in s. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++) {
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    }
    return n;
}

/* ---- value checks ---- */

/* Dotted-decimal OID (X.660): at least two arcs, first 0..2, second < 40
 * under 0 and 1, decimal arcs without leading zeros. Arcs may be large (2.25
 * UUID arcs are 128-bit), so no bound per arc. */
static hsmca_err check_oid(const hsmca_yaml_node *at, const char *name, const char *s)
{
    const char *p = s;
    size_t arcs = 0;
    unsigned long first = 0, second = 0;

    if (strlen(s) > 200)
        goto bad;
    for (;;) {
        const char *start = p;
        unsigned long v = 0;

        while (*p >= '0' && *p <= '9') {
            if (v < 1000)
                v = v * 10 + (unsigned long)(*p - '0');
            p++;
        }
        if (p == start || (*start == '0' && p - start > 1))
            goto bad;
        if (arcs == 0)
            first = v;
        else if (arcs == 1)
            second = v;
        arcs++;
        if (*p == '\0')
            break;
        if (*p != '.')
            goto bad;
        p++;
    }
    if (arcs < 2 || first > 2 || (first < 2 && second > 39))
        goto bad;
    return HSMCA_OK;
bad:
    return hsmca_yaml_errf(at, "'%s': '%s' is not a dotted OID (like 2.23.140.1.2.1)", name, s);
}

/* A URL template. Placeholders are {base_url} (only at the start: it carries
 * the scheme and host, without a trailing slash) and {issuer}; src/x509
 * substitutes both. The result must be a URI (RFC 3986) made of printable
 * ASCII, as GeneralName's uniformResourceIdentifier is an IA5String (RFC 5280
 * 4.2.1.6). Whether the scheme is the one the BRs want (http for AIA and
 * CRLDP) is the lint's call. */
static hsmca_err check_url(const hsmca_yaml_node *at, const char *name, const char *s)
{
    static const char base[] = "{base_url}";
    static const char issuer[] = "{issuer}";
    const char *p = s;
    const char *why = NULL;

    if (strncmp(s, base, sizeof base - 1) == 0) {
        p = s + sizeof base - 1;
        if (*p != '\0' && *p != '/') {
            why = "{base_url} must be followed by '/' or nothing";
            goto bad;
        }
    } else {
        const char *c = s;

        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z'))) {
            why = "it must start with a scheme (http://...) or {base_url}";
            goto bad;
        }
        while ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
               (*c >= '0' && *c <= '9') || *c == '+' || *c == '-' || *c == '.')
            c++;
        if (*c != ':' || c[1] == '\0') {
            why = "it must start with a scheme (http://...) or {base_url}";
            goto bad;
        }
    }
    for (; *p != '\0'; p++) {
        unsigned char ch = (unsigned char)*p;

        if (ch == '{') {
            if (strncmp(p, issuer, sizeof issuer - 1) == 0) {
                p += sizeof issuer - 2;
                continue;
            }
            why = strncmp(p, base, sizeof base - 1) == 0
                      ? "{base_url} may only start a URL"
                      : "the only placeholders are {base_url} and {issuer}";
            goto bad;
        }
        if (ch == '}') {
            why = "unmatched '}'";
            goto bad;
        }
        if (ch <= 0x20 || ch >= 0x7f) {
            why = "URLs are printable ASCII without spaces (percent-encode others)";
            goto bad;
        }
    }
    return HSMCA_OK;
bad:
    return hsmca_yaml_errf(at, "'%s': bad URL '%s': %s", name, s, why);
}

static hsmca_err check_urls(const hsmca_yaml_node *n, const char *name,
                            const hsmca_profile_strs *s, const char *dup_why)
{
    hsmca_err err = HSMCA_OK;

    for (size_t i = 0; i < s->n; i++)
        HSMCA_GUARD(check_url(item_at(n, i), name, s->v[i]));
    HSMCA_GUARD(check_unique(n, name, s, dup_why));
out:
    return err;
}

/* A dNSName constraint (RFC 5280 4.2.1.10): "" (every name: the BR 7.1.2.5.2
 * whole-namespace exclusion), or LDH labels separated by dots, optionally
 * with one leading dot. No wildcards. */
static hsmca_err check_dns(const hsmca_yaml_node *at, const char *s)
{
    const char *p = s;
    size_t label = 0;

    if (*s == '\0')
        return HSMCA_OK;
    if (strlen(s) > 253)
        goto bad;
    if (*p == '.')
        p++;
    for (; *p != '\0'; p++) {
        char c = *p;

        if (c == '.') {
            if (label == 0 || p[-1] == '-')
                goto bad;
            label = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-'))
            goto bad;
        if (c == '-' && label == 0)
            goto bad;
        if (++label > 63)
            goto bad;
    }
    if (label == 0 || p[-1] == '-')
        goto bad;
    return HSMCA_OK;
bad:
    return hsmca_yaml_errf(at, "'dns': '%s' is not a DNS name constraint (like example.com; "
                           "\"\" for all names)", s);
}

/* "192.0.2.0/24" or "2001:db8::/32", host bits zero. */
static hsmca_err parse_cidr(const hsmca_yaml_node *at, const char *s,
                            hsmca_profile_ip_range *out)
{
    char addr[64];
    const char *slash = strchr(s, '/');
    const char *p;
    size_t alen;
    unsigned prefix = 0, max, nbytes;
    hsmca_profile_ip_range r;

    memset(&r, 0, sizeof r);
    if (slash == NULL || slash[1] == '\0')
        goto bad;
    alen = (size_t)(slash - s);
    if (alen == 0 || alen >= sizeof addr)
        goto bad;
    memcpy(addr, s, alen);
    addr[alen] = '\0';
    if (inet_pton(AF_INET, addr, r.addr) == 1) {
        r.family = 4;
        max = 32;
    } else if (inet_pton(AF_INET6, addr, r.addr) == 1) {
        r.family = 6;
        max = 128;
    } else {
        goto bad;
    }
    /* Decimal, no leading zero, at most the address width. */
    if (slash[1] == '0' && slash[2] != '\0')
        goto bad;
    for (p = slash + 1; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            goto bad;
        prefix = prefix * 10 + (unsigned)(*p - '0');
        if (prefix > max)
            goto bad;
    }
    nbytes = max / 8;
    for (unsigned bit = prefix; bit < nbytes * 8; bit++) {
        if (r.addr[bit / 8] & (0x80u >> (bit % 8)))
            return hsmca_yaml_errf(at, "'ip': '%s' has bits set after the /%u prefix "
                                   "(did you mean the network address?)", s, prefix);
    }
    r.prefix_len = prefix;
    *out = r;
    return HSMCA_OK;
bad:
    return hsmca_yaml_errf(at, "'ip': '%s' is not an address range in CIDR form "
                           "(like 192.0.2.0/24 or 2001:db8::/32)", s);
}

static int attr_lookup(const char *name)
{
    for (int i = 0; i < HSMCA_PROFILE_ATTR__COUNT; i++) {
        if (strcmp(attrs[i].name, name) == 0)
            return i;
    }
    return -1;
}

static void attr_list(char *buf, size_t len)
{
    const char *names[HSMCA_PROFILE_ATTR__COUNT];

    for (size_t i = 0; i < HSMCA_PROFILE_ATTR__COUNT; i++)
        names[i] = attrs[i].name;
    join_names(buf, len, names, HSMCA_PROFILE_ATTR__COUNT);
}

/* A list of attribute names into a bit set. */
static hsmca_err parse_attr_set(const hsmca_yaml_node *n, const char *name, unsigned *out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_profile_strs s = { NULL, 0 };
    unsigned set = 0;
    char list[128];

    HSMCA_GUARD(hsmca_yaml_to_strv(n, name, &s.v, &s.n));
    for (size_t i = 0; i < s.n; i++) {
        int a = attr_lookup(s.v[i]);

        if (a < 0) {
            attr_list(list, sizeof list);
            HSMCA_GUARD(hsmca_yaml_errf(item_at(n, i), "'%s': unknown subject attribute '%s' "
                                        "(allowed: %s)", name, s.v[i], list));
        }
        if (set & HSMCA_PROFILE_ATTR_BIT(a))
            HSMCA_GUARD(hsmca_yaml_errf(item_at(n, i), "'%s' lists '%s' twice", name, s.v[i]));
        set |= HSMCA_PROFILE_ATTR_BIT(a);
    }
    *out = set;
out:
    strs_clear(&s);
    return err;
}

/* One attribute value of a directoryName. */
static hsmca_err check_attr_value(const hsmca_yaml_node *at, hsmca_profile_attr a,
                                  const char *v)
{
    if (*v == '\0')
        return hsmca_yaml_errf(at, "'%s' must not be empty", attrs[a].name);
    /* X.520 / ISO 3166-1 alpha-2, a PrintableString (BR 7.1.4.2). */
    if (a == HSMCA_PROFILE_ATTR_C &&
        !(strlen(v) == 2 && v[0] >= 'A' && v[0] <= 'Z' && v[1] >= 'A' && v[1] <= 'Z'))
        return hsmca_yaml_errf(at, "'C' must be a two-letter upper-case country code "
                               "(ISO 3166-1), got '%s'", v);
    if (utf8_chars(v) > attrs[a].max_len)
        return hsmca_yaml_errf(at, "'%s' is longer than %zu characters (RFC 5280 "
                               "Appendix A)", attrs[a].name, attrs[a].max_len);
    return HSMCA_OK;
}

/* ---- extensions ---- */

static const char *const keys_bc[] = { "critical", "ca", "path_len", NULL };
static const char *const keys_usages[] = { "critical", "usages", NULL };
static const char *const keys_cp[] = { "critical", "policies", NULL };
static const char *const keys_aia[] = { "critical", "ocsp", "ca_issuers", NULL };
static const char *const keys_crldp[] = { "critical", "uris", NULL };
static const char *const keys_nc[] = { "critical", "permitted", "excluded", NULL };
static const char *const keys_flag[] = { "critical", NULL };

typedef hsmca_err (*ext_parser)(const hsmca_yaml_node *body, const char *where,
                                hsmca_profile_ext *e);

static hsmca_err parse_bc(const hsmca_yaml_node *body, const char *where, hsmca_profile_ext *e);
static hsmca_err parse_ku(const hsmca_yaml_node *body, const char *where, hsmca_profile_ext *e);
static hsmca_err parse_eku(const hsmca_yaml_node *body, const char *where, hsmca_profile_ext *e);
static hsmca_err parse_cp(const hsmca_yaml_node *body, const char *where, hsmca_profile_ext *e);
static hsmca_err parse_aia(const hsmca_yaml_node *body, const char *where, hsmca_profile_ext *e);
static hsmca_err parse_crldp(const hsmca_yaml_node *body, const char *where,
                             hsmca_profile_ext *e);
static hsmca_err parse_nc(const hsmca_yaml_node *body, const char *where, hsmca_profile_ext *e);

/* Default criticality: what the BRs require or recommend for the kinds that
 * use the extension (RFC 5280 where the BRs are silent). */
static const struct ext_info {
    const char *name;
    int critical;
    const char *const *keys;
    ext_parser parse;          /* NULL: no fields besides critical */
} ext_info[HSMCA_PROFILE_EXT__COUNT] = {
    /* BR 7.1.2.10.4, 7.1.2.7.8, 7.1.2.8.4: critical wherever present. */
    [HSMCA_PROFILE_EXT_BASIC_CONSTRAINTS] = { "basic_constraints", 1, keys_bc, parse_bc },
    /* BR 7.1.2.10.7 (CA: MUST critical), 7.1.2.7.11 (leaf: SHOULD), 7.1.2.8.7. */
    [HSMCA_PROFILE_EXT_KEY_USAGE] = { "key_usage", 1, keys_usages, parse_ku },
    /* BR 7.1.2.10.6, 7.1.2.7.10: not critical. */
    [HSMCA_PROFILE_EXT_EXTENDED_KEY_USAGE] = { "extended_key_usage", 0, keys_usages, parse_eku },
    /* BR 7.1.2.10.5, 7.1.2.7.9: not critical. */
    [HSMCA_PROFILE_EXT_CERTIFICATE_POLICIES] = { "certificate_policies", 0, keys_cp, parse_cp },
    /* RFC 5280 4.2.2.1: MUST be non-critical. */
    [HSMCA_PROFILE_EXT_AUTHORITY_INFO_ACCESS] = { "authority_info_access", 0, keys_aia,
                                                  parse_aia },
    /* BR 7.1.2.11.2: not critical. */
    [HSMCA_PROFILE_EXT_CRL_DISTRIBUTION_POINTS] = { "crl_distribution_points", 0, keys_crldp,
                                                    parse_crldp },
    /* BR 7.1.2.10.8: SHOULD be critical (RFC 5280 4.2.1.10: MUST). */
    [HSMCA_PROFILE_EXT_NAME_CONSTRAINTS] = { "name_constraints", 1, keys_nc, parse_nc },
    /* RFC 5280 4.2.1.2 and 4.2.1.1: MUST be non-critical. */
    [HSMCA_PROFILE_EXT_SUBJECT_KEY_IDENTIFIER] = { "subject_key_identifier", 0, keys_flag, NULL },
    [HSMCA_PROFILE_EXT_AUTHORITY_KEY_IDENTIFIER] = { "authority_key_identifier", 0, keys_flag,
                                                     NULL },
    /* RFC 6960 4.2.2.2.1; BR 7.1.2.8.6: not critical. */
    [HSMCA_PROFILE_EXT_OCSP_NOCHECK] = { "ocsp_nocheck", 0, keys_flag, NULL },
    /* RFC 5280 4.2.1.6 / BR 7.1.2.7.12: critical only when the subject is
     * empty; a DV leaf carries a CN, so not critical. */
    [HSMCA_PROFILE_EXT_SUBJECT_ALT_NAME] = { "subject_alt_name", 0, keys_flag, NULL },
    /* RFC 9608 §2: MUST be non-critical. */
    [HSMCA_PROFILE_EXT_NO_REV_AVAIL] = { "no_rev_avail", 0, keys_flag, NULL },
};

static hsmca_err parse_bc(const hsmca_yaml_node *body, const char *where, hsmca_profile_ext *e)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_yaml_node *n;
    long long path_len = -1;

    HSMCA_GUARD(hsmca_yaml_need(body, "ca", where, &n));
    HSMCA_GUARD(hsmca_yaml_to_bool(n, "ca", &e->bc.ca));
    HSMCA_GUARD(hsmca_yaml_opt_int(body, "path_len", 0, 255, &path_len));
    /* RFC 5280 4.2.1.9: "CAs MUST NOT include the pathLenConstraint field
     * unless the cA boolean is asserted". */
    if (path_len >= 0 && !e->bc.ca)
        HSMCA_GUARD(hsmca_yaml_errf(hsmca_yaml_get_key(body, "path_len"),
                                    "'path_len' needs 'ca: true' (RFC 5280 4.2.1.9)"));
    e->bc.path_len = (int)path_len;
out:
    return err;
}

static hsmca_err parse_ku(const hsmca_yaml_node *body, const char *where, hsmca_profile_ext *e)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_yaml_node *n;
    hsmca_profile_strs s = { NULL, 0 };
    char list[256];

    HSMCA_GUARD(hsmca_yaml_need(body, "usages", where, &n));
    HSMCA_GUARD(hsmca_yaml_to_strv(n, "usages", &s.v, &s.n));
    /* RFC 5280 4.2.1.3: at least one bit MUST be set. */
    HSMCA_ENSURE(s.n > 0, HSMCA_E_INPUT, "%s:%lu: 'usages' must list at least one key usage "
                 "(RFC 5280 4.2.1.3)", hsmca_yaml_file(n), hsmca_yaml_line(n));
    for (size_t i = 0; i < s.n; i++) {
        unsigned bit = N_KU;

        for (unsigned b = 0; b < N_KU; b++) {
            if (strcmp(s.v[i], ku_names[b]) == 0)
                bit = b;
        }
        if (strcmp(s.v[i], "contentCommitment") == 0) /* the newer name of bit 1 */
            bit = 1;
        if (bit == N_KU) {
            join_names(list, sizeof list, ku_names, N_KU);
            HSMCA_GUARD(hsmca_yaml_errf(item_at(n, i), "unknown key usage '%s' (allowed: %s)",
                                        s.v[i], list));
        }
        if (e->ku.usages & (1u << bit))
            HSMCA_GUARD(hsmca_yaml_errf(item_at(n, i), "'usages' lists '%s' twice", s.v[i]));
        e->ku.usages |= 1u << bit;
    }
out:
    strs_clear(&s);
    return err;
}

static hsmca_err parse_eku(const hsmca_yaml_node *body, const char *where,
                           hsmca_profile_ext *e)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_yaml_node *n;
    hsmca_profile_strs *s = &e->eku.oids;

    HSMCA_GUARD(hsmca_yaml_need(body, "usages", where, &n));
    HSMCA_GUARD(hsmca_yaml_to_strv(n, "usages", &s->v, &s->n));
    /* RFC 5280 4.2.1.12: KeyPurposeId SIZE (1..MAX). */
    HSMCA_ENSURE(s->n > 0, HSMCA_E_INPUT, "%s:%lu: 'usages' must list at least one extended "
                 "key usage (RFC 5280 4.2.1.12)", hsmca_yaml_file(n), hsmca_yaml_line(n));
    for (size_t i = 0; i < s->n; i++) {
        const char *oid = NULL;

        for (size_t j = 0; j < N_EKU; j++) {
            if (strcmp(s->v[i], eku_names[j].name) == 0)
                oid = eku_names[j].oid;
        }
        if (oid != NULL) {
            char *c = NULL;

            HSMCA_GUARD(dup_str(oid, &c));
            free(s->v[i]);
            s->v[i] = c;
        } else if (!(s->v[i][0] >= '0' && s->v[i][0] <= '9')) {
            const char *names[N_EKU];
            char list[256];

            for (size_t j = 0; j < N_EKU; j++)
                names[j] = eku_names[j].name;
            join_names(list, sizeof list, names, N_EKU);
            HSMCA_GUARD(hsmca_yaml_errf(item_at(n, i), "unknown extended key usage '%s' "
                                        "(allowed: %s, or a dotted OID)", s->v[i], list));
        } else {
            HSMCA_GUARD(check_oid(item_at(n, i), "usages", s->v[i]));
        }
    }
    HSMCA_GUARD(check_unique(n, "usages", s, NULL));
out:
    return err;
}

static const char *const keys_policy[] = { "oid", "cps", NULL };

static hsmca_err parse_cp(const hsmca_yaml_node *body, const char *where, hsmca_profile_ext *e)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_yaml_node *list, *n;
    size_t count;

    HSMCA_GUARD(hsmca_yaml_need(body, "policies", where, &list));
    HSMCA_GUARD(hsmca_yaml_expect_seq(list, "policies"));
    count = hsmca_yaml_count(list);
    /* RFC 5280 4.2.1.4: certificatePolicies SIZE (1..MAX). */
    HSMCA_ENSURE(count > 0, HSMCA_E_INPUT, "%s:%lu: 'policies' must list at least one policy "
                 "(RFC 5280 4.2.1.4)", hsmca_yaml_file(list), hsmca_yaml_line(list));
    e->cp.policies = calloc(count, sizeof *e->cp.policies);
    HSMCA_ALLOC(e->cp.policies);
    for (size_t i = 0; i < count; i++) {
        const hsmca_yaml_node *item = hsmca_yaml_item(list, i);
        hsmca_profile_policy *pol = &e->cp.policies[i];
        const char *oid, *cps = NULL;

        if (hsmca_yaml_kind_of(item) != HSMCA_YAML_MAPPING)
            HSMCA_GUARD(hsmca_yaml_errf(item, "each item of 'policies' must be a mapping "
                                        "like {oid: 2.23.140.1.2.1}, got %s",
                                        hsmca_yaml_describe(item)));
        HSMCA_GUARD(hsmca_yaml_check_keys(item, keys_policy, "a policy"));
        HSMCA_GUARD(hsmca_yaml_need(item, "oid", "a policy", &n));
        HSMCA_GUARD(hsmca_yaml_to_str(n, "oid", &oid));
        HSMCA_GUARD(check_oid(n, "oid", oid));
        /* RFC 5280 4.2.1.4: "a certificate policy OID MUST NOT appear more
         * than once". */
        for (size_t j = 0; j < i; j++) {
            if (strcmp(e->cp.policies[j].oid, oid) == 0)
                HSMCA_GUARD(hsmca_yaml_errf(n, "policy %s is listed twice (RFC 5280 4.2.1.4)",
                                            oid));
        }
        HSMCA_GUARD(hsmca_yaml_opt_str(item, "cps", &cps));
        if (cps != NULL)
            HSMCA_GUARD(check_url(hsmca_yaml_get(item, "cps"), "cps", cps));
        HSMCA_GUARD(dup_str(oid, &pol->oid));
        e->cp.n = i + 1;
        if (cps != NULL)
            HSMCA_GUARD(dup_str(cps, &pol->cps));
    }
out:
    return err;
}

static hsmca_err parse_aia(const hsmca_yaml_node *body, const char *where,
                           hsmca_profile_ext *e)
{
    /* BR 7.1.2.10.3 / 7.1.2.7.7: each accessLocation unique per method. */
    static const char *const dup_why = "each location must be unique (BR 7.1.2.7.7)";
    hsmca_err err = HSMCA_OK;
    const hsmca_yaml_node *ocsp, *ca_issuers;

    HSMCA_GUARD(get_strs(body, "ocsp", &e->aia.ocsp, &ocsp));
    HSMCA_GUARD(get_strs(body, "ca_issuers", &e->aia.ca_issuers, &ca_issuers));
    if (ocsp != NULL)
        HSMCA_GUARD(check_urls(ocsp, "ocsp", &e->aia.ocsp, dup_why));
    if (ca_issuers != NULL)
        HSMCA_GUARD(check_urls(ca_issuers, "ca_issuers", &e->aia.ca_issuers, dup_why));
    /* RFC 5280 4.2.2.1: AuthorityInfoAccessSyntax SIZE (1..MAX). */
    if (e->aia.ocsp.n + e->aia.ca_issuers.n == 0)
        HSMCA_GUARD(hsmca_yaml_errf(body, "%s needs at least one 'ocsp' or 'ca_issuers' URL "
                                    "(RFC 5280 4.2.2.1)", where));
out:
    return err;
}

static hsmca_err parse_crldp(const hsmca_yaml_node *body, const char *where,
                             hsmca_profile_ext *e)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_yaml_node *n;

    HSMCA_GUARD(hsmca_yaml_need(body, "uris", where, &n));
    HSMCA_GUARD(hsmca_yaml_to_strv(n, "uris", &e->crldp.uris.v, &e->crldp.uris.n));
    HSMCA_ENSURE(e->crldp.uris.n > 0, HSMCA_E_INPUT,
                 "%s:%lu: 'uris' must list at least one URL", hsmca_yaml_file(n),
                 hsmca_yaml_line(n));
    HSMCA_GUARD(check_urls(n, "uris", &e->crldp.uris, NULL));
out:
    return err;
}

static const char *const keys_subtrees[] = { "dns", "ip", "directory", NULL };

static hsmca_err parse_dirname(const hsmca_yaml_node *n, hsmca_profile_dirname *d)
{
    hsmca_err err = HSMCA_OK;
    size_t count = hsmca_yaml_count(n);
    char list[128];

    if (hsmca_yaml_kind_of(n) != HSMCA_YAML_MAPPING || count == 0)
        HSMCA_GUARD(hsmca_yaml_errf(n, "each item of 'directory' must be a mapping of "
                                    "subject attributes like {C: US, O: Example}, got %s",
                                    hsmca_yaml_describe(n)));
    d->avas = calloc(count, sizeof *d->avas);
    HSMCA_ALLOC(d->avas);
    for (size_t i = 0; i < count; i++) {
        const hsmca_yaml_node *k = hsmca_yaml_key(n, i), *v = hsmca_yaml_value(n, i);
        int a = attr_lookup(hsmca_yaml_text(k));
        const char *value;

        if (a < 0) {
            attr_list(list, sizeof list);
            HSMCA_GUARD(hsmca_yaml_errf(k, "unknown attribute '%s' in a directory name "
                                        "(allowed: %s)", hsmca_yaml_text(k), list));
        }
        HSMCA_GUARD(hsmca_yaml_to_str(v, attrs[a].name, &value));
        HSMCA_GUARD(check_attr_value(v, (hsmca_profile_attr)a, value));
        d->avas[i].attr = (hsmca_profile_attr)a;
        HSMCA_GUARD(dup_str(value, &d->avas[i].value));
        d->n_avas = i + 1;
    }
out:
    return err;
}

static hsmca_err parse_subtrees(const hsmca_yaml_node *n, const char *name,
                                hsmca_profile_subtrees *t)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_yaml_node *dns, *ip = NULL, *dir = NULL;
    hsmca_profile_strs ips = { NULL, 0 };
    char where[32];

    snprintf(where, sizeof where, "'%s'", name);
    HSMCA_GUARD(hsmca_yaml_expect_map(n, name));
    HSMCA_GUARD(hsmca_yaml_check_keys(n, keys_subtrees, where));

    HSMCA_GUARD(get_strs(n, "dns", &t->dns, &dns));
    for (size_t i = 0; i < t->dns.n; i++)
        HSMCA_GUARD(check_dns(item_at(dns, i), t->dns.v[i]));
    HSMCA_GUARD(check_unique(dns, "dns", &t->dns, NULL));

    HSMCA_GUARD(get_strs(n, "ip", &ips, &ip));
    HSMCA_GUARD(check_unique(ip, "ip", &ips, NULL));
    if (ips.n > 0) {
        t->ips = calloc(ips.n, sizeof *t->ips);
        HSMCA_ALLOC(t->ips);
    }
    for (size_t i = 0; i < ips.n; i++) {
        HSMCA_GUARD(parse_cidr(item_at(ip, i), ips.v[i], &t->ips[i]));
        t->n_ips = i + 1;
    }

    dir = hsmca_yaml_get(n, "directory");
    if (dir != NULL) {
        size_t count;

        HSMCA_GUARD(hsmca_yaml_expect_seq(dir, "directory"));
        count = hsmca_yaml_count(dir);
        if (count > 0) {
            t->dirs = calloc(count, sizeof *t->dirs);
            HSMCA_ALLOC(t->dirs);
        }
        for (size_t i = 0; i < count; i++) {
            t->n_dirs = i + 1;
            HSMCA_GUARD(parse_dirname(hsmca_yaml_item(dir, i), &t->dirs[i]));
        }
    }
    /* GeneralSubtrees ::= SEQUENCE SIZE (1..MAX) (RFC 5280 4.2.1.10). */
    if (t->dns.n + t->n_ips + t->n_dirs == 0)
        HSMCA_GUARD(hsmca_yaml_errf(n, "'%s' lists no names: give dns, ip or directory "
                                    "entries, or remove it", name));
out:
    strs_clear(&ips);
    return err;
}

static hsmca_err parse_nc(const hsmca_yaml_node *body, const char *where, hsmca_profile_ext *e)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_yaml_node *permitted = hsmca_yaml_get(body, "permitted");
    const hsmca_yaml_node *excluded = hsmca_yaml_get(body, "excluded");

    /* RFC 5280 4.2.1.10: "MUST NOT issue certificates where name
     * constraints is an empty sequence". */
    if (permitted == NULL && excluded == NULL)
        HSMCA_GUARD(hsmca_yaml_errf(body, "%s needs 'permitted' or 'excluded' "
                                    "(RFC 5280 4.2.1.10)", where));
    if (permitted != NULL)
        HSMCA_GUARD(parse_subtrees(permitted, "permitted", &e->nc.permitted));
    if (excluded != NULL)
        HSMCA_GUARD(parse_subtrees(excluded, "excluded", &e->nc.excluded));
    HSMCA_GUARD(strs_empty(&e->nc.permitted.dns));
    HSMCA_GUARD(strs_empty(&e->nc.excluded.dns));
out:
    return err;
}

static void subtrees_clear(hsmca_profile_subtrees *t)
{
    strs_clear(&t->dns);
    free(t->ips);
    for (size_t i = 0; i < t->n_dirs; i++) {
        for (size_t j = 0; j < t->dirs[i].n_avas; j++)
            free(t->dirs[i].avas[j].value);
        free(t->dirs[i].avas);
    }
    free(t->dirs);
}

static void ext_clear(hsmca_profile_ext *e)
{
    switch (e->kind) {
    case HSMCA_PROFILE_EXT_EXTENDED_KEY_USAGE:
        strs_clear(&e->eku.oids);
        break;
    case HSMCA_PROFILE_EXT_CERTIFICATE_POLICIES:
        for (size_t i = 0; i < e->cp.n; i++) {
            free(e->cp.policies[i].oid);
            free(e->cp.policies[i].cps);
        }
        free(e->cp.policies);
        break;
    case HSMCA_PROFILE_EXT_AUTHORITY_INFO_ACCESS:
        strs_clear(&e->aia.ocsp);
        strs_clear(&e->aia.ca_issuers);
        break;
    case HSMCA_PROFILE_EXT_CRL_DISTRIBUTION_POINTS:
        strs_clear(&e->crldp.uris);
        break;
    case HSMCA_PROFILE_EXT_NAME_CONSTRAINTS:
        subtrees_clear(&e->nc.permitted);
        subtrees_clear(&e->nc.excluded);
        break;
    default:
        break;
    }
}

static hsmca_err parse_extensions(const hsmca_yaml_node *list, hsmca_profile *p)
{
    hsmca_err err = HSMCA_OK;
    size_t count;
    const char *names[HSMCA_PROFILE_EXT__COUNT];
    char allowed[512];

    HSMCA_GUARD(hsmca_yaml_expect_seq(list, "extensions"));
    count = hsmca_yaml_count(list);
    for (size_t i = 0; i < HSMCA_PROFILE_EXT__COUNT; i++)
        names[i] = ext_info[i].name;
    join_names(allowed, sizeof allowed, names, HSMCA_PROFILE_EXT__COUNT);
    if (count > 0) {
        p->exts = calloc(count, sizeof *p->exts);
        HSMCA_ALLOC(p->exts);
    }
    for (size_t i = 0; i < count; i++) {
        const hsmca_yaml_node *item = hsmca_yaml_item(list, i);
        const hsmca_yaml_node *key, *body;
        const struct ext_info *info = NULL;
        hsmca_profile_ext *e = &p->exts[i];
        const char *name;
        char where[64];

        if (hsmca_yaml_kind_of(item) != HSMCA_YAML_MAPPING || hsmca_yaml_count(item) != 1) {
            if (hsmca_yaml_kind_of(item) == HSMCA_YAML_MAPPING && hsmca_yaml_count(item) > 1)
                HSMCA_GUARD(hsmca_yaml_errf(
                    hsmca_yaml_key(item, 1),
                    "each item of 'extensions' names one extension, but this one also has "
                    "'%s': indent the extension's fields under '%s:'",
                    hsmca_yaml_text(hsmca_yaml_key(item, 1)),
                    hsmca_yaml_text(hsmca_yaml_key(item, 0))));
            HSMCA_GUARD(hsmca_yaml_errf(item, "each item of 'extensions' must be one "
                                        "extension like '- key_usage: {usages: [...]}', "
                                        "got %s", hsmca_yaml_describe(item)));
        }
        key = hsmca_yaml_key(item, 0);
        body = hsmca_yaml_value(item, 0);
        name = hsmca_yaml_text(key);
        for (size_t k = 1; k < HSMCA_PROFILE_EXT__COUNT; k++) {
            if (strcmp(ext_info[k].name, name) == 0) {
                info = &ext_info[k];
                e->kind = (hsmca_profile_ext_kind)k;
            }
        }
        if (info == NULL)
            HSMCA_GUARD(hsmca_yaml_errf(key, "unknown extension '%s' (allowed: %s)", name,
                                        allowed));
        /* RFC 5280 4.2: "A certificate MUST NOT include more than one instance
         * of a particular extension." */
        for (size_t j = 0; j < i; j++) {
            if (p->exts[j].kind == e->kind)
                HSMCA_GUARD(hsmca_yaml_errf(key, "duplicate extension '%s' (first at line "
                                            "%lu; RFC 5280 4.2 allows one of each)", name,
                                            p->exts[j].line));
        }
        e->line = hsmca_yaml_line(key);
        p->n_exts = i + 1; /* e is now owned by p, for freeing */
        snprintf(where, sizeof where, "extension '%s'", name);
        HSMCA_GUARD(hsmca_yaml_expect_map(body, name));
        HSMCA_GUARD(hsmca_yaml_check_keys(body, info->keys, where));
        e->critical = info->critical;
        HSMCA_GUARD(hsmca_yaml_opt_bool(body, "critical", &e->critical));
        if (info->parse != NULL)
            HSMCA_GUARD(info->parse(body, where, e));
    }
out:
    return err;
}

/* ---- the profile ---- */

static const char *const keys_top[] = {
    "kind", "description", "legacy", "key_types", "validity", "subject", "extensions", NULL,
};
static const char *const keys_validity[] = { "days", "seconds_adjust", "backdate_seconds",
                                             NULL };
static const char *const keys_subject[] = { "required", "allowed", "cn_from_san", NULL };

static hsmca_err parse_kind(const hsmca_yaml_node *root, hsmca_profile *p)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_yaml_node *n;
    const char *s;
    char list[128];

    HSMCA_GUARD(hsmca_yaml_need(root, "kind", "the profile", &n));
    HSMCA_GUARD(hsmca_yaml_to_str(n, "kind", &s));
    for (size_t k = 1; k < N_KINDS; k++) {
        if (strcmp(kind_names[k], s) == 0)
            p->kind = (hsmca_profile_kind)k;
    }
    if (p->kind == 0) {
        join_names(list, sizeof list, kind_names, N_KINDS);
        HSMCA_GUARD(hsmca_yaml_errf(n, "unknown profile kind '%s' (allowed: %s)", s, list));
    }
    HSMCA_GUARD(hsmca_yaml_opt_bool(root, "legacy", &p->legacy));
    /* The file must say so itself, so that whoever copies it reads why. */
    if (p->kind == HSMCA_PROFILE_PRECERT_SIGNER && !p->legacy) {
        if (hsmca_yaml_get(root, "legacy") != NULL)
            n = hsmca_yaml_get(root, "legacy");
        HSMCA_GUARD(hsmca_yaml_errf(n, "a precert-signer profile must say 'legacy: true': "
                                    "BR 7.1.2.4 precertificate signing CAs are forbidden "
                                    "from 2026-03-15 (ballot SC-092)"));
    }
out:
    return err;
}

static hsmca_err parse_key_types(const hsmca_yaml_node *root, hsmca_profile *p)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_yaml_node *n;
    hsmca_profile_strs s = { NULL, 0 };

    HSMCA_GUARD(hsmca_yaml_need(root, "key_types", "the profile", &n));
    HSMCA_GUARD(hsmca_yaml_to_strv(n, "key_types", &s.v, &s.n));
    HSMCA_ENSURE(s.n > 0, HSMCA_E_INPUT, "%s:%lu: 'key_types' must list at least one key type",
                 hsmca_yaml_file(n), hsmca_yaml_line(n));
    for (size_t i = 0; i < s.n; i++) {
        unsigned bit = 0;

        for (size_t k = 0; k < N_KEY_TYPES; k++) {
            if (strcmp(key_types[k].name, s.v[i]) == 0)
                bit = key_types[k].bit;
        }
        if (bit == 0)
            HSMCA_GUARD(hsmca_yaml_errf(item_at(n, i), "unknown key type '%s' (allowed: "
                                        "rsa2048, rsa3072, rsa4096, p256, p384)", s.v[i]));
        if (p->key_types & bit)
            HSMCA_GUARD(hsmca_yaml_errf(item_at(n, i), "'key_types' lists '%s' twice", s.v[i]));
        p->key_types |= bit;
    }
out:
    strs_clear(&s);
    return err;
}

static hsmca_err parse_validity(const hsmca_yaml_node *root, hsmca_profile *p)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_yaml_node *v, *n;
    long long days = 0, adjust = 0, backdate = 0;

    HSMCA_GUARD(hsmca_yaml_need(root, "validity", "the profile", &v));
    HSMCA_GUARD(hsmca_yaml_expect_map(v, "validity"));
    HSMCA_GUARD(hsmca_yaml_check_keys(v, keys_validity, "'validity'"));
    HSMCA_GUARD(hsmca_yaml_need(v, "days", "'validity'", &n));
    HSMCA_GUARD(hsmca_yaml_to_int(n, "days", 1, 36500, &days));
    /* Under a day either way, so days stays the headline number. */
    HSMCA_GUARD(hsmca_yaml_opt_int(v, "seconds_adjust", -86399, 86399, &adjust));
    /* 2 days: BR 7.1.2.7 lets a leaf's notBefore be up to 48 h before
     * signing; the lint applies the tighter per-kind limits. */
    HSMCA_GUARD(hsmca_yaml_opt_int(v, "backdate_seconds", 0, 2 * DAY_SECONDS, &backdate));
    p->validity_seconds = days * DAY_SECONDS + adjust;
    p->backdate_seconds = backdate;
out:
    return err;
}

static hsmca_err parse_subject(const hsmca_yaml_node *root, hsmca_profile *p)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_yaml_node *s, *n;

    HSMCA_GUARD(hsmca_yaml_need(root, "subject", "the profile", &s));
    HSMCA_GUARD(hsmca_yaml_expect_map(s, "subject"));
    HSMCA_GUARD(hsmca_yaml_check_keys(s, keys_subject, "'subject'"));
    HSMCA_GUARD(hsmca_yaml_need(s, "allowed", "'subject'", &n));
    HSMCA_GUARD(parse_attr_set(n, "allowed", &p->subject.allowed));
    n = hsmca_yaml_get(s, "required");
    if (n != NULL)
        HSMCA_GUARD(parse_attr_set(n, "required", &p->subject.required));
    p->subject.allowed |= p->subject.required;
    HSMCA_GUARD(hsmca_yaml_opt_bool(s, "cn_from_san", &p->subject.cn_from_san));
    if (p->subject.cn_from_san &&
        !(p->subject.allowed & HSMCA_PROFILE_ATTR_BIT(HSMCA_PROFILE_ATTR_CN)))
        HSMCA_GUARD(hsmca_yaml_errf(hsmca_yaml_get(s, "cn_from_san"),
                                    "'cn_from_san: true' needs CN in 'allowed'"));
out:
    return err;
}

static int is_ca_kind(hsmca_profile_kind k)
{
    return k == HSMCA_PROFILE_ROOT || k == HSMCA_PROFILE_SUBORDINATE ||
           k == HSMCA_PROFILE_PRECERT_SIGNER;
}

/* Contradictions RFC 5280 rules out whatever the BRs say; the BR rules are
 * the lint's. */
static hsmca_err check_coherent(const hsmca_yaml_node *root, hsmca_profile *p)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_profile_ext *bc = hsmca_profile_find_ext(p, HSMCA_PROFILE_EXT_BASIC_CONSTRAINTS);
    const hsmca_profile_ext *ku = hsmca_profile_find_ext(p, HSMCA_PROFILE_EXT_KEY_USAGE);
    const hsmca_profile_ext *nc = hsmca_profile_find_ext(p, HSMCA_PROFILE_EXT_NAME_CONSTRAINTS);
    const hsmca_profile_ext *san = hsmca_profile_find_ext(p, HSMCA_PROFILE_EXT_SUBJECT_ALT_NAME);
    const char *kind = kind_names[p->kind];
    int ca = bc != NULL && bc->bc.ca;
    unsigned long bc_line =
        bc != NULL ? bc->line : hsmca_yaml_line(hsmca_yaml_get_key(root, "extensions"));

    /* RFC 5280 4.2.1.9: a CA certificate's basicConstraints has cA TRUE. */
    if (is_ca_kind(p->kind) && !ca)
        HSMCA_GUARD(line_errf(p->path, bc_line, "profile kind '%s' needs basic_constraints with "
                              "'ca: true' (RFC 5280 4.2.1.9)", kind));
    if (!is_ca_kind(p->kind) && ca)
        HSMCA_GUARD(line_errf(p->path, bc_line, "profile kind '%s' is not a CA: basic_constraints "
                              "must not say 'ca: true'", kind));
    /* RFC 5280 4.2.1.3: keyCertSign only with cA TRUE. */
    if (ku != NULL && (ku->ku.usages & HSMCA_PROFILE_KU_KEY_CERT_SIGN) && !ca)
        HSMCA_GUARD(line_errf(p->path, ku->line, "keyCertSign needs basic_constraints with "
                              "'ca: true' (RFC 5280 4.2.1.3)"));
    /* RFC 5280 4.2.1.10: "MUST be used only in a CA certificate". */
    if (nc != NULL && !ca)
        HSMCA_GUARD(line_errf(p->path, nc->line, "name_constraints is only for CA "
                              "certificates (RFC 5280 4.2.1.10)"));
    if (p->subject.cn_from_san && san == NULL)
        HSMCA_GUARD(hsmca_yaml_errf(hsmca_yaml_get(hsmca_yaml_get(root, "subject"), "cn_from_san"),
                                    "'cn_from_san: true' needs the subject_alt_name extension"));
out:
    return err;
}

static hsmca_err parse_profile(const hsmca_yaml_node *root, hsmca_profile *p)
{
    hsmca_err err = HSMCA_OK;
    const hsmca_yaml_node *n;
    const char *desc = "";

    if (hsmca_yaml_kind_of(root) != HSMCA_YAML_MAPPING)
        HSMCA_GUARD(hsmca_yaml_errf(root, "a profile must be a mapping (key: value lines), "
                                    "got %s", hsmca_yaml_describe(root)));
    HSMCA_GUARD(hsmca_yaml_check_keys(root, keys_top, "the profile"));
    HSMCA_GUARD(parse_kind(root, p));
    HSMCA_GUARD(hsmca_yaml_opt_str(root, "description", &desc));
    HSMCA_GUARD(dup_str(desc, &p->description));
    HSMCA_GUARD(parse_key_types(root, p));
    HSMCA_GUARD(parse_validity(root, p));
    HSMCA_GUARD(parse_subject(root, p));
    HSMCA_GUARD(hsmca_yaml_need(root, "extensions", "the profile", &n));
    HSMCA_GUARD(parse_extensions(n, p));
    HSMCA_GUARD(check_coherent(root, p));
out:
    return err;
}

/* "dir/tls-server.yaml" -> "tls-server". */
static hsmca_err name_from_path(const char *path, char **out)
{
    const char *base = strrchr(path, '/');
    size_t len;
    char *name;

    base = base != NULL ? base + 1 : path;
    len = strlen(base);
    if (len > 5 && strcmp(base + len - 5, ".yaml") == 0)
        len -= 5;
    else if (len > 4 && strcmp(base + len - 4, ".yml") == 0)
        len -= 4;
    name = strndup(base, len);
    if (name == NULL)
        return hsmca_err_setf(HSMCA_E_NOMEM, "out of memory");
    *out = name;
    return HSMCA_OK;
}

hsmca_err hsmca_profile_load(const char *path, hsmca_profile **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_yaml_doc *doc = NULL;
    hsmca_profile *p = NULL;

    HSMCA_ENSURE(path != NULL && out != NULL, HSMCA_E_USAGE,
                 "hsmca_profile_load: missing argument");
    HSMCA_GUARD(hsmca_yaml_load_file(path, &doc));
    p = calloc(1, sizeof *p);
    HSMCA_ALLOC(p);
    HSMCA_GUARD(dup_str(path, &p->path));
    HSMCA_GUARD(name_from_path(path, &p->name));
    HSMCA_GUARD(parse_profile(hsmca_yaml_root(doc), p));
    *out = p;
    p = NULL;
out:
    hsmca_profile_free(p);
    hsmca_yaml_free(doc);
    return err;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);

    return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

static int is_bare_name(const char *s)
{
    if (*s == '\0' || *s == '.' || ends_with(s, ".yaml") || ends_with(s, ".yml"))
        return 0;
    for (const char *c = s; *c != '\0'; c++) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '_' || *c == '.'))
            return 0;
    }
    return 1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "root, subordinate, ..." for the not-found message; "" if none. */
static void list_profiles(const char *dir, char *buf, size_t len)
{
    DIR *d = opendir(dir);
    char *names[64];
    size_t n = 0, o = 0;
    struct dirent *de;

    buf[0] = '\0';
    if (d == NULL)
        return;
    while ((de = readdir(d)) != NULL && n < sizeof names / sizeof names[0]) {
        if (de->d_name[0] == '.' || !ends_with(de->d_name, ".yaml"))
            continue;
        names[n] = strndup(de->d_name, strlen(de->d_name) - 5);
        if (names[n] != NULL)
            n++;
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (o < len) {
            int w = snprintf(buf + o, len - o, "%s%s", i ? ", " : "", names[i]);
            if (w > 0)
                o += (size_t)w;
        }
        free(names[i]);
    }
}

hsmca_err hsmca_profile_load_named(const char *name_or_path, const char *search_dir,
                                   hsmca_profile **out)
{
    hsmca_err err = HSMCA_OK;
    char *path = NULL;
    char known[512];
    size_t len;

    HSMCA_ENSURE(name_or_path != NULL && out != NULL, HSMCA_E_USAGE,
                 "hsmca_profile_load_named: missing argument");
    if (!is_bare_name(name_or_path)) {
        HSMCA_GUARD(hsmca_profile_load(name_or_path, out));
        goto out;
    }
    HSMCA_ENSURE(search_dir != NULL, HSMCA_E_USAGE,
                 "profile '%s': no profile directory to look in (give a path to the file)",
                 name_or_path);
    len = strlen(search_dir) + strlen(name_or_path) + sizeof "/.yaml";
    path = malloc(len);
    HSMCA_ALLOC(path);
    snprintf(path, len, "%s/%s.yaml", search_dir, name_or_path);
    err = hsmca_profile_load(path, out);
    if (err == HSMCA_E_NOT_FOUND) {
        list_profiles(search_dir, known, sizeof known);
        HSMCA_FAIL(HSMCA_E_NOT_FOUND, "no profile '%s': %s does not exist (profiles in %s: %s)",
                   name_or_path, path, search_dir, known[0] ? known : "none");
    }
out:
    free(path);
    return err;
}

void hsmca_profile_free(hsmca_profile *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n_exts; i++)
        ext_clear(&p->exts[i]);
    free(p->exts);
    free(p->description);
    free(p->name);
    free(p->path);
    free(p);
}

hsmca_err hsmca_profile_check_usable(const hsmca_profile *p, int allow_legacy)
{
    if (p->legacy && !allow_legacy) {
        if (p->kind == HSMCA_PROFILE_PRECERT_SIGNER)
            return hsmca_err_setf(HSMCA_E_USAGE,
                                  "profile '%s' is legacy: the BRs forbid precertificate "
                                  "signing CAs from 2026-03-15 (BR 7.1.2.4, ballot SC-092); "
                                  "allow legacy profiles explicitly to use it for tests",
                                  p->name);
        return hsmca_err_setf(HSMCA_E_USAGE,
                              "profile '%s' is marked legacy; allow legacy profiles "
                              "explicitly to use it", p->name);
    }
    return HSMCA_OK;
}

const hsmca_profile_ext *hsmca_profile_find_ext(const hsmca_profile *p,
                                                hsmca_profile_ext_kind kind)
{
    for (size_t i = 0; i < p->n_exts; i++) {
        if (p->exts[i].kind == kind)
            return &p->exts[i];
    }
    return NULL;
}

int hsmca_profile_allows_key(const hsmca_profile *p, unsigned key_type)
{
    return key_type != 0 && (p->key_types & key_type) == key_type;
}

const char *hsmca_profile_kind_name(hsmca_profile_kind kind)
{
    if ((size_t)kind >= N_KINDS || kind_names[kind] == NULL)
        return "?";
    return kind_names[kind];
}

const char *hsmca_profile_ext_name(hsmca_profile_ext_kind kind)
{
    if ((unsigned)kind >= HSMCA_PROFILE_EXT__COUNT || ext_info[kind].name == NULL)
        return "?";
    return ext_info[kind].name;
}

const char *hsmca_profile_key_type_name(unsigned key_type)
{
    for (size_t k = 0; k < N_KEY_TYPES; k++) {
        if (key_types[k].bit == key_type)
            return key_types[k].name;
    }
    return "?";
}

const char *hsmca_profile_attr_name(hsmca_profile_attr attr)
{
    if ((unsigned)attr >= HSMCA_PROFILE_ATTR__COUNT)
        return "?";
    return attrs[attr].name;
}

const char *hsmca_profile_ku_name(unsigned bit)
{
    return bit < N_KU ? ku_names[bit] : "?";
}

int hsmca_profile_ext_default_critical(hsmca_profile_ext_kind kind)
{
    if ((unsigned)kind >= HSMCA_PROFILE_EXT__COUNT)
        return 0;
    return ext_info[kind].critical;
}
