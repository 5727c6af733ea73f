/* hsmca — pre-issuance linting (BR 4.3.1.2).
 *
 * Before a token signs anything, the TBS is signed with a throwaway software
 * key of the same type, and that certificate is linted here. Each rule has a
 * stable id (e.g. "cabf.root.validity_period") and cites its source
 * ("BR 7.1.2.1.1"). zlint and pkilint cannot be installed on these machines,
 * so this module carries the checks (CONFORMANCE.md §0).
 *
 * Rules judge the certificate as encoded (DER bytes), not what we meant to
 * encode: exact AlgorithmIdentifier bytes, time types, string types,
 * criticality and extension values.
 */
#ifndef HSMCA_LINT_H
#define HSMCA_LINT_H

#include <stddef.h>

#include <openssl/x509.h>

#include "hsmca/clock.h"
#include "hsmca/err.h"
#include "hsmca/profile.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hsmca_lint_level {
    HSMCA_LINT_ERROR = 0,   /* a MUST / MUST NOT: blocks issuance */
    HSMCA_LINT_WARN,        /* a SHOULD / SHOULD NOT / NOT RECOMMENDED */
    HSMCA_LINT_NOTICE       /* informational */
} hsmca_lint_level;

typedef struct hsmca_lint_rule {
    const char *id;          /* stable: "cabf.root.validity_period" */
    hsmca_lint_level level;
    const char *source;      /* "BR 7.1.2.1.1", "RFC 5280 §4.1.2.5" */
    const char *summary;     /* one line: what the rule requires */
    unsigned kinds;          /* bit (1u << hsmca_profile_kind) per kind it applies to */
} hsmca_lint_rule;

typedef struct hsmca_lint_finding {
    const hsmca_lint_rule *rule;
    char message[256];       /* what is wrong in this certificate */
    int skipped;             /* the caller asked to skip this rule id */
} hsmca_lint_finding;

typedef struct hsmca_lint_result {
    hsmca_lint_finding *findings;
    size_t n;
    size_t errors;           /* ERROR findings not skipped: issuance blocked if > 0 */
    size_t warnings;
    size_t skipped;
} hsmca_lint_result;

typedef struct hsmca_lint_input {
    X509 *cert;              /* signed (by the throwaway key) certificate */
    hsmca_profile_kind kind; /* what it claims to be */
    X509 *issuer;            /* issuing CA certificate; NULL for a root */
    hsmca_time now;          /* signing time, for date-dependent rules */
    /* Rule ids the caller chose to skip: findings are still reported, marked
     * skipped, and do not count as errors. NULL-terminated, or NULL. */
    const char *const *skip;
    /* The certificate is a precertificate (RFC 6962 §3.1: carries the
     * poison); 0 for a final or any other certificate. */
    int precert;
} hsmca_lint_input;

/* Run every rule that applies to in->kind. HSMCA_OK even when findings exist
 * (look at result->errors); an error return means linting itself failed
 * (unparseable certificate, unknown skip id: HSMCA_E_USAGE naming it).
 * *out freed with hsmca_lint_result_free. */
hsmca_err hsmca_lint_run(const hsmca_lint_input *in, hsmca_lint_result **out);
void hsmca_lint_result_free(hsmca_lint_result *r);

/* When result->errors > 0: set the current error (HSMCA_E_VERIFY) to a
 * message listing each blocking finding as "id (source): message" and return
 * it; otherwise HSMCA_OK. */
hsmca_err hsmca_lint_result_check(const hsmca_lint_result *r);

/* The catalogue of rules, for docs and `hsmca lint --list`. */
const hsmca_lint_rule *hsmca_lint_rules(size_t *n);
const hsmca_lint_rule *hsmca_lint_rule_find(const char *id);

#ifdef __cplusplus
}
#endif
#endif
