/* Unit tests: certificate profiles (src/profile/profile.c).
 *
 * The shipped profiles under profiles/ load and say what CONFORMANCE.md
 * needs for their kind; every malformed profile under
 * tests/unit/data/profile/ fails with HSMCA_E_INPUT and a message that names
 * the file and the line to fix. Files are found through HSMCA_SOURCE_DIR,
 * which CTest sets.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hsmca/err.h"
#include "hsmca/profile.h"
#include "require.h"

#define DAY 86400

static const char *profiles_dir(void)
{
    static char buf[4096];

    snprintf(buf, sizeof buf, "%s/profiles", hsmca_test_require_source_dir());
    return buf;
}

static const char *data_path(const char *file)
{
    static char buf[4096];

    snprintf(buf, sizeof buf, "%s/tests/unit/data/profile/%s", hsmca_test_require_source_dir(),
             file);
    return buf;
}

static hsmca_profile *load_shipped(const char *name)
{
    hsmca_profile *p = NULL;
    hsmca_err err = hsmca_profile_load_named(name, profiles_dir(), &p);

    if (err != HSMCA_OK)
        fail_msg("loading shipped profile %s: %s", name, hsmca_err_message());
    assert_non_null(p);
    assert_string_equal(p->name, name);
    return p;
}

/* The extension kinds of p, in order, must be exactly `kinds`. */
static void assert_ext_order(const hsmca_profile *p, const hsmca_profile_ext_kind *kinds,
                             size_t n)
{
    if (p->n_exts != n)
        fail_msg("%s: %zu extensions, expected %zu", p->name, p->n_exts, n);
    for (size_t i = 0; i < n; i++) {
        if (p->exts[i].kind != kinds[i])
            fail_msg("%s: extension %zu is %s, expected %s", p->name, i,
                     hsmca_profile_ext_name(p->exts[i].kind), hsmca_profile_ext_name(kinds[i]));
    }
}

static const hsmca_profile_ext *need_ext(const hsmca_profile *p, hsmca_profile_ext_kind k)
{
    const hsmca_profile_ext *e = hsmca_profile_find_ext(p, k);

    if (e == NULL)
        fail_msg("%s: no %s extension", p->name, hsmca_profile_ext_name(k));
    return e;
}

#define ATTR(a) HSMCA_PROFILE_ATTR_BIT(HSMCA_PROFILE_ATTR_##a)
#define CA_SUBJECT_ALLOWED (ATTR(C) | ATTR(ST) | ATTR(L) | ATTR(O) | ATTR(CN))
#define CA_SUBJECT_REQUIRED (ATTR(C) | ATTR(O) | ATTR(CN))
#define ALL_KEYS                                                                              \
    (HSMCA_PROFILE_KEY_RSA2048 | HSMCA_PROFILE_KEY_RSA3072 | HSMCA_PROFILE_KEY_RSA4096 |      \
     HSMCA_PROFILE_KEY_P256 | HSMCA_PROFILE_KEY_P384)

/* ---- shipped profiles ---- */

static void test_root(void **state)
{
    static const hsmca_profile_ext_kind order[] = {
        HSMCA_PROFILE_EXT_BASIC_CONSTRAINTS, HSMCA_PROFILE_EXT_KEY_USAGE,
        HSMCA_PROFILE_EXT_SUBJECT_KEY_IDENTIFIER, HSMCA_PROFILE_EXT_AUTHORITY_KEY_IDENTIFIER,
    };
    hsmca_profile *p = load_shipped("root");
    const hsmca_profile_ext *e;

    (void)state;
    assert_int_equal(p->kind, HSMCA_PROFILE_ROOT);
    assert_false(p->legacy);
    /* BR 7.1.2.1.1: 2922..9132 days, counted as notAfter - notBefore + 1 s. */
    assert_true(p->validity_seconds + 1 >= 2922LL * DAY);
    assert_true(p->validity_seconds + 1 <= 9132LL * DAY);
    assert_int_equal(p->validity_seconds, 9131LL * DAY - 1);
    assert_int_equal(p->backdate_seconds, 0);
    assert_false(hsmca_profile_allows_key(p, HSMCA_PROFILE_KEY_RSA2048));
    assert_true(hsmca_profile_allows_key(p, HSMCA_PROFILE_KEY_RSA4096));
    assert_true(hsmca_profile_allows_key(p, HSMCA_PROFILE_KEY_P384));
    /* BR 7.1.2.10.2: C, O, CN; no OU. */
    assert_int_equal(p->subject.required, CA_SUBJECT_REQUIRED);
    assert_int_equal(p->subject.allowed, CA_SUBJECT_ALLOWED);
    assert_false(p->subject.allowed & ATTR(OU));
    assert_ext_order(p, order, sizeof order / sizeof order[0]);

    e = need_ext(p, HSMCA_PROFILE_EXT_BASIC_CONSTRAINTS);
    assert_true(e->critical);
    assert_true(e->bc.ca);
    assert_int_equal(e->bc.path_len, -1);
    e = need_ext(p, HSMCA_PROFILE_EXT_KEY_USAGE);
    assert_true(e->critical);
    assert_int_equal(e->ku.usages, HSMCA_PROFILE_KU_KEY_CERT_SIGN | HSMCA_PROFILE_KU_CRL_SIGN);
    assert_false(need_ext(p, HSMCA_PROFILE_EXT_SUBJECT_KEY_IDENTIFIER)->critical);
    assert_false(need_ext(p, HSMCA_PROFILE_EXT_AUTHORITY_KEY_IDENTIFIER)->critical);
    /* BR 7.1.2.1.2: no EKU, no CRLDP. */
    assert_null(hsmca_profile_find_ext(p, HSMCA_PROFILE_EXT_EXTENDED_KEY_USAGE));
    assert_null(hsmca_profile_find_ext(p, HSMCA_PROFILE_EXT_CRL_DISTRIBUTION_POINTS));
    assert_int_equal(hsmca_profile_check_usable(p, 0), HSMCA_OK);
    hsmca_profile_free(p);
}

static void test_subordinate(void **state)
{
    static const hsmca_profile_ext_kind order[] = {
        HSMCA_PROFILE_EXT_BASIC_CONSTRAINTS,      HSMCA_PROFILE_EXT_KEY_USAGE,
        HSMCA_PROFILE_EXT_EXTENDED_KEY_USAGE,     HSMCA_PROFILE_EXT_SUBJECT_KEY_IDENTIFIER,
        HSMCA_PROFILE_EXT_AUTHORITY_KEY_IDENTIFIER, HSMCA_PROFILE_EXT_AUTHORITY_INFO_ACCESS,
        HSMCA_PROFILE_EXT_CRL_DISTRIBUTION_POINTS, HSMCA_PROFILE_EXT_CERTIFICATE_POLICIES,
    };
    hsmca_profile *p = load_shipped("subordinate");
    const hsmca_profile_ext *e;

    (void)state;
    assert_int_equal(p->kind, HSMCA_PROFILE_SUBORDINATE);
    assert_false(p->legacy);
    /* CRP 1.3.1.3: at most 3 years. */
    assert_true(p->validity_seconds + 1 <= 3 * 365LL * DAY);
    assert_int_equal(p->key_types, ALL_KEYS);
    assert_int_equal(p->subject.required, CA_SUBJECT_REQUIRED);
    assert_int_equal(p->subject.allowed, CA_SUBJECT_ALLOWED);
    assert_ext_order(p, order, sizeof order / sizeof order[0]);

    e = need_ext(p, HSMCA_PROFILE_EXT_BASIC_CONSTRAINTS);
    assert_true(e->critical);
    assert_true(e->bc.ca);
    assert_int_equal(e->bc.path_len, 0);
    e = need_ext(p, HSMCA_PROFILE_EXT_KEY_USAGE);
    assert_true(e->critical);
    assert_int_equal(e->ku.usages, HSMCA_PROFILE_KU_DIGITAL_SIGNATURE |
                                       HSMCA_PROFILE_KU_KEY_CERT_SIGN | HSMCA_PROFILE_KU_CRL_SIGN);
    /* BR 7.1.2.10.6 and CRP 1.3.2: serverAuth only, not critical. */
    e = need_ext(p, HSMCA_PROFILE_EXT_EXTENDED_KEY_USAGE);
    assert_false(e->critical);
    assert_int_equal(e->eku.oids.n, 1);
    assert_string_equal(e->eku.oids.v[0], "1.3.6.1.5.5.7.3.1");
    assert_null(e->eku.oids.v[1]);
    e = need_ext(p, HSMCA_PROFILE_EXT_AUTHORITY_INFO_ACCESS);
    assert_false(e->critical);
    assert_int_equal(e->aia.ocsp.n, 0);
    assert_null(e->aia.ocsp.v[0]);
    assert_int_equal(e->aia.ca_issuers.n, 1);
    assert_string_equal(e->aia.ca_issuers.v[0], "{base_url}/ca/{issuer}.der");
    e = need_ext(p, HSMCA_PROFILE_EXT_CRL_DISTRIBUTION_POINTS);
    assert_false(e->critical);
    assert_int_equal(e->crldp.uris.n, 1);
    assert_string_equal(e->crldp.uris.v[0], "{base_url}/crl/{issuer}.crl");
    /* BR 7.1.2.10.5: exactly one reserved policy (DV). */
    e = need_ext(p, HSMCA_PROFILE_EXT_CERTIFICATE_POLICIES);
    assert_false(e->critical);
    assert_int_equal(e->cp.n, 1);
    assert_string_equal(e->cp.policies[0].oid, "2.23.140.1.2.1");
    assert_null(e->cp.policies[0].cps);
    hsmca_profile_free(p);
}

static void test_ocsp_responder(void **state)
{
    static const hsmca_profile_ext_kind order[] = {
        HSMCA_PROFILE_EXT_KEY_USAGE, HSMCA_PROFILE_EXT_EXTENDED_KEY_USAGE,
        HSMCA_PROFILE_EXT_SUBJECT_KEY_IDENTIFIER, HSMCA_PROFILE_EXT_AUTHORITY_KEY_IDENTIFIER,
        HSMCA_PROFILE_EXT_OCSP_NOCHECK,
    };
    hsmca_profile *p = load_shipped("ocsp-responder");
    const hsmca_profile_ext *e;

    (void)state;
    assert_int_equal(p->kind, HSMCA_PROFILE_OCSP_RESPONDER);
    assert_false(p->legacy);
    assert_int_equal(p->validity_seconds, 90LL * DAY - 1);
    assert_ext_order(p, order, sizeof order / sizeof order[0]);
    /* BR 7.1.2.8.7: critical, digitalSignature only. */
    e = need_ext(p, HSMCA_PROFILE_EXT_KEY_USAGE);
    assert_true(e->critical);
    assert_int_equal(e->ku.usages, HSMCA_PROFILE_KU_DIGITAL_SIGNATURE);
    /* BR 7.1.2.8.5: OCSPSigning only. */
    e = need_ext(p, HSMCA_PROFILE_EXT_EXTENDED_KEY_USAGE);
    assert_int_equal(e->eku.oids.n, 1);
    assert_string_equal(e->eku.oids.v[0], "1.3.6.1.5.5.7.3.9");
    /* BR 7.1.2.8.6: nocheck, not critical. */
    assert_false(need_ext(p, HSMCA_PROFILE_EXT_OCSP_NOCHECK)->critical);
    /* BR 7.1.2.8.2: MUST NOT. */
    assert_null(hsmca_profile_find_ext(p, HSMCA_PROFILE_EXT_CRL_DISTRIBUTION_POINTS));
    assert_null(hsmca_profile_find_ext(p, HSMCA_PROFILE_EXT_SUBJECT_ALT_NAME));
    assert_null(hsmca_profile_find_ext(p, HSMCA_PROFILE_EXT_NAME_CONSTRAINTS));
    assert_null(hsmca_profile_find_ext(p, HSMCA_PROFILE_EXT_CERTIFICATE_POLICIES));
    assert_null(hsmca_profile_find_ext(p, HSMCA_PROFILE_EXT_BASIC_CONSTRAINTS));
    hsmca_profile_free(p);
}

static void test_tls_server(void **state)
{
    static const hsmca_profile_ext_kind order[] = {
        HSMCA_PROFILE_EXT_KEY_USAGE,
        HSMCA_PROFILE_EXT_EXTENDED_KEY_USAGE,
        HSMCA_PROFILE_EXT_AUTHORITY_KEY_IDENTIFIER,
        HSMCA_PROFILE_EXT_AUTHORITY_INFO_ACCESS,
        HSMCA_PROFILE_EXT_CRL_DISTRIBUTION_POINTS,
        HSMCA_PROFILE_EXT_CERTIFICATE_POLICIES,
        HSMCA_PROFILE_EXT_SUBJECT_ALT_NAME,
    };
    hsmca_profile *p = load_shipped("tls-server");
    const hsmca_profile_ext *e;

    (void)state;
    assert_int_equal(p->kind, HSMCA_PROFILE_TLS_SERVER);
    assert_false(p->legacy);
    /* BR 6.3.2: 200 days from 2026-03-15, one day under. */
    assert_int_equal(p->validity_seconds + 1, 199LL * DAY);
    /* BR 7.1.2.7: notBefore at most 48 h before signing. */
    assert_true(p->backdate_seconds >= 0 && p->backdate_seconds <= 2 * DAY);
    assert_int_equal(p->key_types, ALL_KEYS);
    /* BR 7.1.2.7.2 (DV): at most a CN copied from the SAN. */
    assert_int_equal(p->subject.required, 0);
    assert_int_equal(p->subject.allowed, ATTR(CN));
    assert_true(p->subject.cn_from_san);
    assert_ext_order(p, order, sizeof order / sizeof order[0]);

    e = need_ext(p, HSMCA_PROFILE_EXT_KEY_USAGE);
    assert_true(e->critical);
    assert_int_equal(e->ku.usages, HSMCA_PROFILE_KU_DIGITAL_SIGNATURE);
    e = need_ext(p, HSMCA_PROFILE_EXT_EXTENDED_KEY_USAGE);
    assert_false(e->critical);
    assert_int_equal(e->eku.oids.n, 1);
    assert_string_equal(e->eku.oids.v[0], "1.3.6.1.5.5.7.3.1");
    e = need_ext(p, HSMCA_PROFILE_EXT_AUTHORITY_INFO_ACCESS);
    assert_int_equal(e->aia.ocsp.n, 1);
    assert_string_equal(e->aia.ocsp.v[0], "{base_url}/ocsp/{issuer}");
    assert_int_equal(e->aia.ca_issuers.n, 1);
    e = need_ext(p, HSMCA_PROFILE_EXT_CERTIFICATE_POLICIES);
    assert_int_equal(e->cp.n, 1);
    assert_string_equal(e->cp.policies[0].oid, "2.23.140.1.2.1");
    assert_false(need_ext(p, HSMCA_PROFILE_EXT_SUBJECT_ALT_NAME)->critical);
    /* No SKI (NOT RECOMMENDED), no basicConstraints, no noRevAvail. */
    assert_null(hsmca_profile_find_ext(p, HSMCA_PROFILE_EXT_SUBJECT_KEY_IDENTIFIER));
    assert_null(hsmca_profile_find_ext(p, HSMCA_PROFILE_EXT_BASIC_CONSTRAINTS));
    assert_null(hsmca_profile_find_ext(p, HSMCA_PROFILE_EXT_NO_REV_AVAIL));
    hsmca_profile_free(p);
}

static void test_precert_signer(void **state)
{
    hsmca_profile *p = load_shipped("precert-signer");
    const hsmca_profile_ext *e;

    (void)state;
    assert_int_equal(p->kind, HSMCA_PROFILE_PRECERT_SIGNER);
    assert_true(p->legacy);
    e = need_ext(p, HSMCA_PROFILE_EXT_BASIC_CONSTRAINTS);
    assert_true(e->bc.ca);
    assert_int_equal(e->bc.path_len, 0);
    /* BR 7.1.2.4: EKU exactly 1.3.6.1.4.1.11129.2.4.4. */
    e = need_ext(p, HSMCA_PROFILE_EXT_EXTENDED_KEY_USAGE);
    assert_int_equal(e->eku.oids.n, 1);
    assert_string_equal(e->eku.oids.v[0], "1.3.6.1.4.1.11129.2.4.4");
    need_ext(p, HSMCA_PROFILE_EXT_SUBJECT_KEY_IDENTIFIER);
    need_ext(p, HSMCA_PROFILE_EXT_AUTHORITY_KEY_IDENTIFIER);

    /* SC-092: refused unless legacy is explicitly allowed. */
    hsmca_err_clear();
    assert_int_equal(hsmca_profile_check_usable(p, 0), HSMCA_E_USAGE);
    assert_non_null(strstr(hsmca_err_message(), "SC-092"));
    assert_int_equal(hsmca_profile_check_usable(p, 1), HSMCA_OK);
    hsmca_profile_free(p);
}

/* ---- every option of the format ---- */

static void test_good_everything(void **state)
{
    hsmca_profile *p = NULL;
    const hsmca_profile_ext *e;
    const hsmca_profile_subtrees *t;
    static const uint8_t v4[4] = { 192, 0, 2, 0 };
    static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
    static const uint8_t zero[16] = { 0 };

    (void)state;
    if (hsmca_profile_load(data_path("good_everything.yaml"), &p) != HSMCA_OK)
        fail_msg("%s", hsmca_err_message());
    assert_string_equal(p->name, "good_everything");
    assert_string_equal(p->path, data_path("good_everything.yaml"));
    assert_string_equal(p->description, "Constrained test CA: every option");
    assert_int_equal(p->validity_seconds, 30LL * DAY + 1);
    assert_int_equal(p->backdate_seconds, 600);
    assert_int_equal(p->key_types, HSMCA_PROFILE_KEY_RSA2048 | HSMCA_PROFILE_KEY_P384);
    assert_int_equal(p->subject.required, ATTR(CN) | ATTR(O));
    /* allowed includes required */
    assert_int_equal(p->subject.allowed, ATTR(C) | ATTR(ST) | ATTR(L) | ATTR(POSTAL_CODE) |
                                             ATTR(STREET) | ATTR(OU) | ATTR(CN) | ATTR(O));
    assert_false(p->subject.cn_from_san);
    assert_int_equal(p->n_exts, 12);

    e = &p->exts[0];
    assert_int_equal(e->kind, HSMCA_PROFILE_EXT_BASIC_CONSTRAINTS);
    assert_int_equal(e->bc.path_len, 2);
    assert_int_equal(e->line, 13);

    e = &p->exts[1]; /* critical: false overrides the default */
    assert_false(e->critical);
    assert_int_equal(e->ku.usages, HSMCA_PROFILE_KU_CRL_SIGN | HSMCA_PROFILE_KU_KEY_CERT_SIGN |
                                       HSMCA_PROFILE_KU_CONTENT_COMMITMENT);

    e = &p->exts[2]; /* names become OIDs, in order; dotted OIDs pass */
    assert_int_equal(e->eku.oids.n, 3);
    assert_string_equal(e->eku.oids.v[0], "1.3.6.1.5.5.7.3.1");
    assert_string_equal(e->eku.oids.v[1], "1.3.6.1.5.5.7.3.2");
    assert_string_equal(e->eku.oids.v[2], "1.2.3.4.5");

    e = &p->exts[3];
    assert_int_equal(e->cp.n, 2);
    assert_string_equal(e->cp.policies[0].oid, "2.23.140.1.2.2");
    assert_string_equal(e->cp.policies[0].cps, "http://cps.example.test/cps");
    assert_string_equal(e->cp.policies[1].oid, "1.3.6.1.4.1.99999.1");
    assert_null(e->cp.policies[1].cps);

    e = &p->exts[4]; /* placeholders are kept verbatim */
    assert_int_equal(e->aia.ocsp.n, 2);
    assert_string_equal(e->aia.ocsp.v[0], "http://ocsp.example.test/{issuer}");
    assert_string_equal(e->aia.ocsp.v[1], "{base_url}/ocsp");
    assert_int_equal(e->aia.ca_issuers.n, 0);
    assert_non_null(e->aia.ca_issuers.v);

    e = &p->exts[5];
    assert_true(e->critical);
    assert_string_equal(e->crldp.uris.v[0], "{base_url}");

    e = &p->exts[6];
    assert_int_equal(e->kind, HSMCA_PROFILE_EXT_NAME_CONSTRAINTS);
    assert_false(e->critical);
    t = &e->nc.permitted;
    assert_int_equal(t->dns.n, 2);
    assert_string_equal(t->dns.v[1], ".example.org");
    assert_int_equal(t->n_ips, 2);
    assert_int_equal(t->ips[0].family, 4);
    assert_memory_equal(t->ips[0].addr, v4, 4);
    assert_int_equal(t->ips[0].prefix_len, 24);
    assert_int_equal(t->ips[1].family, 6);
    assert_memory_equal(t->ips[1].addr, v6, 16);
    assert_int_equal(t->ips[1].prefix_len, 32);
    assert_int_equal(t->n_dirs, 2);
    assert_int_equal(t->dirs[0].n_avas, 2);
    assert_int_equal(t->dirs[0].avas[0].attr, HSMCA_PROFILE_ATTR_C);
    assert_string_equal(t->dirs[0].avas[0].value, "US");
    assert_int_equal(t->dirs[0].avas[1].attr, HSMCA_PROFILE_ATTR_O);
    assert_string_equal(t->dirs[0].avas[1].value, "Example Test CA");
    assert_string_equal(t->dirs[1].avas[0].value, "Z\xc3\xbcrich");
    t = &e->nc.excluded;
    assert_int_equal(t->dns.n, 1);
    assert_string_equal(t->dns.v[0], "");
    assert_int_equal(t->n_ips, 2);
    assert_int_equal(t->ips[0].prefix_len, 0);
    assert_memory_equal(t->ips[0].addr, zero, 4);
    assert_int_equal(t->ips[1].family, 6);
    assert_int_equal(t->ips[1].prefix_len, 0);
    assert_int_equal(t->n_dirs, 0);

    /* `- subject_key_identifier:` (null) is the same as {} */
    assert_int_equal(p->exts[7].kind, HSMCA_PROFILE_EXT_SUBJECT_KEY_IDENTIFIER);
    assert_false(p->exts[7].critical);
    assert_int_equal(p->exts[8].kind, HSMCA_PROFILE_EXT_AUTHORITY_KEY_IDENTIFIER);
    assert_int_equal(p->exts[9].kind, HSMCA_PROFILE_EXT_OCSP_NOCHECK);
    assert_true(p->exts[9].critical);
    assert_int_equal(p->exts[10].kind, HSMCA_PROFILE_EXT_SUBJECT_ALT_NAME);
    assert_int_equal(p->exts[11].kind, HSMCA_PROFILE_EXT_NO_REV_AVAIL);
    assert_false(p->exts[11].critical);
    hsmca_profile_free(p);
}

/* ---- malformed profiles ---- */

struct bad_case {
    const char *file;
    hsmca_err code;
    const char *where;  /* "file.yaml:LINE:" that must appear */
    const char *what;   /* another part of the message */
};

static const struct bad_case bad_cases[] = {
    { "unknown_key.yaml", HSMCA_E_INPUT, "unknown_key.yaml:11:",
      "unknown key 'usage' in extension 'key_usage' (allowed: critical, usages)" },
    { "unknown_top_key.yaml", HSMCA_E_INPUT, "unknown_top_key.yaml:7:",
      "unknown key 'extension' in the profile" },
    { "unknown_extension.yaml", HSMCA_E_INPUT, "unknown_extension.yaml:10:",
      "unknown extension 'sct_list'" },
    { "wrong_type_int.yaml", HSMCA_E_INPUT, "wrong_type_int.yaml:4:",
      "'days' must be an integer from 1 to 36500, got 'abc'" },
    { "wrong_type_bool.yaml", HSMCA_E_INPUT, "wrong_type_bool.yaml:9:",
      "'critical' must be true or false, got 'yes'" },
    { "wrong_type_list.yaml", HSMCA_E_INPUT, "wrong_type_list.yaml:2:",
      "'key_types' must be a list" },
    { "out_of_range.yaml", HSMCA_E_INPUT, "out_of_range.yaml:5:",
      "'seconds_adjust' must be an integer from -86399 to 86399, got '-86400'" },
    { "missing_field.yaml", HSMCA_E_INPUT, "missing_field.yaml:4:",
      "'validity' is missing required key 'days'" },
    { "missing_kind.yaml", HSMCA_E_INPUT, "missing_kind.yaml:2:",
      "missing required key 'kind'" },
    { "missing_policies.yaml", HSMCA_E_INPUT, "missing_policies.yaml:8:",
      "extension 'certificate_policies' is missing required key 'policies'" },
    { "bad_oid.yaml", HSMCA_E_INPUT, "bad_oid.yaml:11:",
      "'2.23.140.01.2.2' is not a dotted OID" },
    { "duplicate_key.yaml", HSMCA_E_INPUT, "duplicate_key.yaml:6:",
      "duplicate key 'days' (first at line 4)" },
    { "duplicate_extension.yaml", HSMCA_E_INPUT, "duplicate_extension.yaml:12:",
      "duplicate extension 'key_usage' (first at line 8" },
    { "bad_key_type.yaml", HSMCA_E_INPUT, "bad_key_type.yaml:4:",
      "unknown key type 'ed25519'" },
    { "bad_ku.yaml", HSMCA_E_INPUT, "bad_ku.yaml:11:", "unknown key usage 'keyCertsign'" },
    { "bad_eku.yaml", HSMCA_E_INPUT, "bad_eku.yaml:9:",
      "unknown extended key usage 'serverauth'" },
    { "bad_url.yaml", HSMCA_E_INPUT, "bad_url.yaml:10:", "bad URL '{baseurl}/ca.der'" },
    { "bad_cidr.yaml", HSMCA_E_INPUT, "bad_cidr.yaml:12:", "'10.0.0.1/8' has bits set" },
    { "bad_subject_attr.yaml", HSMCA_E_INPUT, "bad_subject_attr.yaml:7:",
      "unknown subject attribute 'emailAddress'" },
    { "syntax_error.yaml", HSMCA_E_INPUT, "syntax_error.yaml:3:", "YAML syntax error" },
    { "syntax_indent.yaml", HSMCA_E_INPUT, "syntax_indent.yaml:5:", "YAML syntax error" },
    { "anchor.yaml", HSMCA_E_INPUT, "anchor.yaml:2:", "anchors (&keys) are not supported" },
    { "empty.yaml", HSMCA_E_INPUT, "empty.yaml:1:", "empty" },
    { "extension_indent.yaml", HSMCA_E_INPUT, "extension_indent.yaml:9:",
      "indent the extension's fields under 'key_usage:'" },
    { "path_len_non_ca.yaml", HSMCA_E_INPUT, "path_len_non_ca.yaml:10:",
      "'path_len' needs 'ca: true'" },
    { "ca_without_bc.yaml", HSMCA_E_INPUT, "ca_without_bc.yaml:7:",
      "profile kind 'root' needs basic_constraints with 'ca: true'" },
    { "leaf_with_ca.yaml", HSMCA_E_INPUT, "leaf_with_ca.yaml:10:",
      "profile kind 'ocsp-responder' is not a CA" },
    { "keycertsign_leaf.yaml", HSMCA_E_INPUT, "keycertsign_leaf.yaml:9:",
      "keyCertSign needs basic_constraints with 'ca: true'" },
    { "nc_on_leaf.yaml", HSMCA_E_INPUT, "nc_on_leaf.yaml:8:",
      "name_constraints is only for CA certificates" },
    { "cn_from_san_without_san.yaml", HSMCA_E_INPUT, "cn_from_san_without_san.yaml:7:",
      "needs the subject_alt_name extension" },
    { "psc_not_legacy.yaml", HSMCA_E_INPUT, "psc_not_legacy.yaml:1:", "legacy: true" },
};

static void test_bad_profiles(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        hsmca_profile *p = NULL;
        hsmca_err err;

        hsmca_err_clear();
        err = hsmca_profile_load(data_path(c->file), &p);
        if (err != c->code || p != NULL)
            fail_msg("%s: got %s (%s), expected %s", c->file, hsmca_err_code_name(err),
                     hsmca_err_message(), hsmca_err_code_name(c->code));
        if (strstr(hsmca_err_message(), c->where) == NULL ||
            strstr(hsmca_err_message(), c->what) == NULL)
            fail_msg("%s: message \"%s\" lacks \"%s\" or \"%s\"", c->file, hsmca_err_message(),
                     c->where, c->what);
    }
}

/* Every file in the data directory is a case above or a good_*.yaml that
 * loads, so a new bad file cannot sit there untested. */
static void test_every_data_file_used(void **state)
{
    char dir[4200];
    DIR *d;
    struct dirent *de;
    size_t seen = 0;

    (void)state;
    snprintf(dir, sizeof dir, "%s/tests/unit/data/profile", hsmca_test_require_source_dir());
    d = opendir(dir);
    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        int known = 0;

        if (de->d_name[0] == '.')
            continue;
        seen++;
        for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
            if (strcmp(bad_cases[i].file, de->d_name) == 0)
                known = 1;
        }
        if (!known && strncmp(de->d_name, "good_", 5) == 0) {
            hsmca_profile *p = NULL;

            if (hsmca_profile_load(data_path(de->d_name), &p) != HSMCA_OK)
                fail_msg("%s: %s", de->d_name, hsmca_err_message());
            hsmca_profile_free(p);
            known = 1;
        }
        if (!known)
            fail_msg("%s is neither a bad case in test_profile.c nor a good_*.yaml",
                     de->d_name);
    }
    closedir(d);
    assert_true(seen > sizeof bad_cases / sizeof bad_cases[0]);
}

static void test_missing_file(void **state)
{
    hsmca_profile *p = NULL;

    (void)state;
    assert_int_equal(hsmca_profile_load(data_path("no-such-file.yaml"), &p), HSMCA_E_NOT_FOUND);
    assert_null(p);
    assert_non_null(strstr(hsmca_err_message(), "no-such-file.yaml"));
    /* A directory is not a profile. */
    assert_int_not_equal(hsmca_profile_load(profiles_dir(), &p), HSMCA_OK);
    assert_null(p);
}

/* ---- names and paths ---- */

static void test_load_named(void **state)
{
    hsmca_profile *p = NULL;
    char path[4200];

    (void)state;
    /* A path (has '/', or ends in .yaml) is used as is. */
    snprintf(path, sizeof path, "%s/tls-server.yaml", profiles_dir());
    assert_int_equal(hsmca_profile_load_named(path, NULL, &p), HSMCA_OK);
    assert_string_equal(p->name, "tls-server");
    assert_string_equal(p->path, path);
    hsmca_profile_free(p);
    p = NULL;

    /* An unknown bare name lists what exists. */
    assert_int_equal(hsmca_profile_load_named("intermediate", profiles_dir(), &p),
                     HSMCA_E_NOT_FOUND);
    assert_null(p);
    assert_non_null(strstr(hsmca_err_message(), "no profile 'intermediate'"));
    assert_non_null(strstr(hsmca_err_message(),
                           "ocsp-responder, precert-signer, root, subordinate, tls-server"));

    /* A bare name needs a directory. */
    assert_int_equal(hsmca_profile_load_named("root", NULL, &p), HSMCA_E_USAGE);
    /* "../x" is a path, never resolved inside the profile directory. */
    assert_int_equal(hsmca_profile_load_named("../no-such", profiles_dir(), &p),
                     HSMCA_E_NOT_FOUND);
    assert_null(p);
    /* Errors inside a named profile still point at the file. */
    snprintf(path, sizeof path, "%s/tests/unit/data/profile", hsmca_test_require_source_dir());
    assert_int_equal(hsmca_profile_load_named("bad_oid", path, &p), HSMCA_E_INPUT);
    assert_non_null(strstr(hsmca_err_message(), "bad_oid.yaml:11:"));
    assert_int_equal(hsmca_profile_load_named(NULL, path, &p), HSMCA_E_USAGE);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(hsmca_profile_kind_name(HSMCA_PROFILE_OCSP_RESPONDER), "ocsp-responder");
    assert_string_equal(hsmca_profile_kind_name((hsmca_profile_kind)99), "?");
    assert_string_equal(hsmca_profile_ext_name(HSMCA_PROFILE_EXT_NO_REV_AVAIL), "no_rev_avail");
    assert_string_equal(hsmca_profile_ext_name((hsmca_profile_ext_kind)0), "?");
    assert_string_equal(hsmca_profile_key_type_name(HSMCA_PROFILE_KEY_RSA3072), "rsa3072");
    assert_string_equal(hsmca_profile_key_type_name(0), "?");
    assert_string_equal(hsmca_profile_attr_name(HSMCA_PROFILE_ATTR_POSTAL_CODE), "postalCode");
    assert_string_equal(hsmca_profile_ku_name(6), "cRLSign");
    assert_string_equal(hsmca_profile_ku_name(9), "?");
}

/* The defaults docs/profiles.md promises, each with its rule. */
static void test_default_criticality(void **state)
{
    (void)state;
    assert_true(hsmca_profile_ext_default_critical(HSMCA_PROFILE_EXT_BASIC_CONSTRAINTS));
    assert_true(hsmca_profile_ext_default_critical(HSMCA_PROFILE_EXT_KEY_USAGE));
    assert_true(hsmca_profile_ext_default_critical(HSMCA_PROFILE_EXT_NAME_CONSTRAINTS));
    assert_false(hsmca_profile_ext_default_critical(HSMCA_PROFILE_EXT_EXTENDED_KEY_USAGE));
    assert_false(hsmca_profile_ext_default_critical(HSMCA_PROFILE_EXT_CERTIFICATE_POLICIES));
    assert_false(hsmca_profile_ext_default_critical(HSMCA_PROFILE_EXT_AUTHORITY_INFO_ACCESS));
    assert_false(hsmca_profile_ext_default_critical(HSMCA_PROFILE_EXT_CRL_DISTRIBUTION_POINTS));
    assert_false(hsmca_profile_ext_default_critical(HSMCA_PROFILE_EXT_SUBJECT_KEY_IDENTIFIER));
    assert_false(hsmca_profile_ext_default_critical(HSMCA_PROFILE_EXT_AUTHORITY_KEY_IDENTIFIER));
    assert_false(hsmca_profile_ext_default_critical(HSMCA_PROFILE_EXT_OCSP_NOCHECK));
    assert_false(hsmca_profile_ext_default_critical(HSMCA_PROFILE_EXT_SUBJECT_ALT_NAME));
    assert_false(hsmca_profile_ext_default_critical(HSMCA_PROFILE_EXT_NO_REV_AVAIL));
}

static void test_free_null(void **state)
{
    (void)state;
    hsmca_profile_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_root),
        cmocka_unit_test(test_subordinate),
        cmocka_unit_test(test_ocsp_responder),
        cmocka_unit_test(test_tls_server),
        cmocka_unit_test(test_precert_signer),
        cmocka_unit_test(test_good_everything),
        cmocka_unit_test(test_bad_profiles),
        cmocka_unit_test(test_every_data_file_used),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_load_named),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_default_criticality),
        cmocka_unit_test(test_free_null),
    };

    return cmocka_run_group_tests_name("profile", tests, NULL, NULL);
}
