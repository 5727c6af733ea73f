/* hsmca — conformance fixtures (issue #8): a labelled corpus of correct and
 * deliberately broken certificates, precertificates, SCTs, OCSP responses
 * and CRLs, signed by real token keys. docs/fixtures.md describes the corpus
 * and the manifest; docs/fixtures.schema.json is the manifest's JSON Schema.
 *
 * What one run makes, under opts->out_dir (which must not exist yet, or be
 * an empty directory):
 *
 *   manifest.json          every file below, labelled (format "hsmca-fixtures/1")
 *   logs/                  the test CT logs' public keys (+ .operator files)
 *                          and an OpenSSL ct_log_list.cnf
 *   valid/<key type>/      one complete, valid hierarchy per key type
 *                          (rsa2048, rsa3072, p256, p384): root, subordinate,
 *                          ocsp-responder, precertificate, SCTs, final,
 *                          OCSP responses (good, precert-only good, revoked,
 *                          unknown), CRLs of the root and the subordinate
 *   invalid/               negative fixtures, one rule broken each, issued by
 *                          a separate, clearly named hierarchy ("NEGATIVE" in
 *                          every subject) so that no broken artifact chains to
 *                          a valid root
 *
 * Determinism. Everything that is not a signature value is a function of
 * (seed, now): serials (HKDF of the seed and the fixture's name), subject
 * names (they carry a tag of the seed), validity (from now), SCT timestamps,
 * OCSP and CRL times, and the key material of every fixture hierarchy and
 * test log. Two runs with the same inputs differ only where a signature
 * algorithm is randomized (ECDSA in SoftHSM and OpenSSL 3.0); RSA PKCS#1
 * v1.5 signatures are deterministic, so files signed only with RSA are
 * byte-identical and the manifest marks them byte_stable.
 *
 * Keys. Fixture hierarchy keys are derived from the seed in software and
 * imported into the token with hsmca_hsm_key_import_fixture (CKA_SENSITIVE,
 * not extractable, labelled "hsmca-fixture-..."): a fixture corpus must be
 * reproducible, so its keys cannot be generated inside the token. This is
 * the only place hsmca imports keys; ceremonies and issuance always
 * generate keys inside the token (DESIGN.md). The imported keys are
 * destroyed at the end of the run unless opts->keep_keys is set; a run that
 * finds a fixture label already in the token reuses the key if it is the
 * derived one and refuses otherwise. Subscriber keys and test-log keys are
 * software keys derived from the seed (never imported).
 *
 * Linting. Every certificate is linted before the token signs it (BR
 * 4.3.1.2), valid or not: a valid fixture must have no error finding; a
 * negative fixture whose rule hsmca's lint has must be refused by exactly
 * that rule (it is signed with that one id skipped) and by no other at
 * error level, or generation fails. Every CRL and signed OCSP response is
 * judged the same way once made, by the lint's rules for them (their
 * signature algorithms, BR 7.1.3.2). Negative fixtures for rules the lint
 * does not carry (SCTs, OCSP answers and times, CRL contents and sequence,
 * correspondence, encoding defects that OpenSSL cannot parse) say so in
 * the manifest ("lint": null) instead of claiming a silent pass.
 *
 * Nothing is written outside out_dir: the OCSP responses come from a
 * temporary store in out_dir/.work, removed before returning. On failure
 * out_dir is left as it was made so far, without manifest.json, so a
 * half-made corpus is never mistaken for a whole one.
 */
#ifndef HSMCA_FIXTURES_H
#define HSMCA_FIXTURES_H

#include <stddef.h>
#include <stdint.h>

#include "hsmca/clock.h"
#include "hsmca/err.h"
#include "hsmca/hsm.h"
#include "hsmca/profile.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The manifest's "format" value; bump on incompatible changes. */
#define HSMCA_FIXTURES_FORMAT "hsmca-fixtures/1"
/* The seed when none is given. */
#define HSMCA_FIXTURES_DEFAULT_SEED "hsmca-fixtures"
/* Every key the fixtures import carries a label starting with this; the
 * import refuses any other label. */
#define HSMCA_FIXTURES_KEY_LABEL_PREFIX "hsmca-fixture-"

/* Key types of the fixture hierarchies (HSMCA_PROFILE_KEY_* bits). */
#define HSMCA_FIXTURES_KEY_TYPES_ALL                                          \
    (HSMCA_PROFILE_KEY_RSA2048 | HSMCA_PROFILE_KEY_RSA3072 |                  \
     HSMCA_PROFILE_KEY_P256 | HSMCA_PROFILE_KEY_P384)

typedef struct hsmca_fixtures_opts {
    const char *out_dir;      /* created; must not exist or be empty */
    hsmca_time now;           /* the issuance time of everything */
    const char *seed;         /* any text; NULL: HSMCA_FIXTURES_DEFAULT_SEED */
    hsmca_token *token;       /* logged in, read-write: keys are imported here */
    const char *profiles_dir; /* the shipped profiles (root, subordinate, ...) */
    unsigned key_types;       /* HSMCA_PROFILE_KEY_* bits; 0: all four */
    int valid_only;           /* 1: skip the negative fixtures */
    int keep_keys;            /* 1: leave the imported keys in the token */
} hsmca_fixtures_opts;

typedef struct hsmca_fixtures_summary {
    size_t files;             /* entries in manifest.json */
    size_t valid, invalid;    /* by expected verdict */
    size_t byte_stable;
    size_t keys_imported;     /* token keys this run imported */
    size_t keys_reused;       /* fixture keys found in the token already */
} hsmca_fixtures_summary;

/* Generate the corpus. HSMCA_E_USAGE for bad options; HSMCA_E_EXISTS when
 * out_dir is not empty; any generation error names the fixture it was
 * making ("fixture invalid/serial-zero.der: ..."). *summary may be NULL. */
hsmca_err hsmca_fixtures_generate(const hsmca_fixtures_opts *opts,
                                  hsmca_fixtures_summary *summary);

/* ---- the catalogue of negative fixtures ---- */

/* Where the defect is put in. */
typedef enum hsmca_fixtures_stage {
    HSMCA_FIXTURES_BEFORE_SIGNING = 1, /* TBS/data mutated, then the token signs */
    HSMCA_FIXTURES_AFTER_SIGNING,      /* encoding-level: bytes changed after signing */
    HSMCA_FIXTURES_STATE               /* correctly signed, wrong answer or sequence */
} hsmca_fixtures_stage;

/* One negative fixture, as listed in docs/fixtures.md. */
typedef struct hsmca_fixtures_negative {
    const char *name;         /* file stem under invalid/, e.g. "serial-zero" */
    const char *rule_id;      /* the rule broken: a lint id, or "fixtures.<...>" */
    const char *source;       /* "RFC 5280 §4.1.2.2; BR 7.1.2" */
    const char *section;      /* "CONFORMANCE.md §1" */
    const char *lint_rule;    /* the hsmca lint id that must refuse it, or NULL */
    const char *lint_also;    /* further ids the same defect trips (comma-separated;
                                 a duplicated poison is also rfc5280.ext.duplicate), or NULL */
    const char *note;         /* why lint_rule is NULL, or other remarks; may be NULL */
    hsmca_fixtures_stage stage;
    const char *description;  /* what was changed */
} hsmca_fixtures_negative;

/* The negative fixtures this build makes, in generation order. */
const hsmca_fixtures_negative *hsmca_fixtures_negatives(size_t *n);

/* ---- deterministic derivation (exposed for tests) ---- */

/* HKDF-SHA256 (RFC 5869): ikm = seed, salt = "hsmca-fixtures/1", info =
 * label; n <= 8160. The same (seed, label) always gives the same bytes. */
hsmca_err hsmca_fixtures_derive(const char *seed, const char *label, uint8_t *out, size_t n);

/* A software key pair derived from (seed, label):
 *   EC (p256, p384): private scalar = (HKDF output of the field size + 8
 *     bytes, as an integer) mod (n - 1) + 1;
 *   RSA (rsa2048, rsa3072, rsa4096): e = 65537; p and q are the first
 *     primes (BN_check_prime) at or above HKDF-derived odd candidates with
 *     their two top bits set, with gcd(p-1, e) = gcd(q-1, e) = 1 and
 *     |p - q| > 2^(bits/2 - 100) (FIPS 186-4 B.3.1); d = e^-1 mod
 *     lcm(p-1, q-1).
 * type is one HSMCA_PROFILE_KEY_* bit. *out freed with EVP_PKEY_free. */
hsmca_err hsmca_fixtures_derive_key(const char *seed, const char *label, unsigned type,
                                    EVP_PKEY **out);

#ifdef __cplusplus
}
#endif
#endif
