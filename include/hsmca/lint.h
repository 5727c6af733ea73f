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
 *
 * CRLs and OCSP responses are not pre-issuance linted (BR 4.3.1.2 speaks of
 * certificates), but BR 7.1.3.2 covers their signature algorithms too: a
 * few rules judge them (hsmca_lint_run_signed), for the fixture corpus and
 * for anyone checking what a responder or CRL signer produced.
 */
#ifndef HSMCA_LINT_H
#define HSMCA_LINT_H

#include <stddef.h>
#include <stdint.h>

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

/* What a rule judges. */
typedef enum hsmca_lint_object {
    HSMCA_LINT_CERTIFICATE = 0, /* certificates and precertificates (hsmca_lint_run) */
    HSMCA_LINT_CRL,             /* a CertificateList (hsmca_lint_run_signed) */
    HSMCA_LINT_OCSP_RESPONSE    /* an OCSPResponse (hsmca_lint_run_signed) */
} hsmca_lint_object;

typedef struct hsmca_lint_rule {
    const char *id;          /* stable: "cabf.root.validity_period" */
    hsmca_lint_level level;
    const char *source;      /* "BR 7.1.2.1.1", "RFC 5280 §4.1.2.5" */
    const char *summary;     /* one line: what the rule requires */
    unsigned kinds;          /* bit (1u << hsmca_profile_kind) per kind it applies to; for
                                CRL and OCSP rules, the kinds of certificate that sign them */
    hsmca_lint_object object;
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

/* A CRL or an OCSP response, as encoded, and the certificate whose key
 * signed it: a CRL's issuer; an OCSP response's delegated responder, or
 * the CA itself when it signs. */
typedef struct hsmca_lint_signed_input {
    hsmca_lint_object object;  /* HSMCA_LINT_CRL or HSMCA_LINT_OCSP_RESPONSE */
    const uint8_t *der;        /* borrowed for the call */
    size_t der_len;
    X509 *signer;
    hsmca_time now;            /* when it was signed (thisUpdate, producedAt) */
    const char *const *skip;   /* as for certificates; NULL-terminated, or NULL */
} hsmca_lint_signed_input;

/* Run every rule for in->object (the signature algorithm rules, BR
 * 7.1.3.2, RFC 5280 §5.1.1.2). An OCSP response whose status is not
 * successful is unsigned (RFC 6960 §2.3): no rule applies, the result is
 * empty. HSMCA_OK even when findings exist; HSMCA_E_USAGE for no DER, no
 * signer, an object that is not a CRL or OCSP response, or an unknown skip
 * id; HSMCA_E_INPUT for bytes that are not a DER CertificateList or
 * OCSPResponse (a successful one must hold a BasicOCSPResponse). *out freed
 * with hsmca_lint_result_free. */
hsmca_err hsmca_lint_run_signed(const hsmca_lint_signed_input *in, hsmca_lint_result **out);

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
