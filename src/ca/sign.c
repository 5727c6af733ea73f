/* hsmca — linted signing (include/hsmca/ca.h): what was linted is what the
 * token signs (BR 4.3.1.2). Shared by issuance and the ceremonies. */
#include <string.h>

#include <openssl/crypto.h>

#include "hsmca/ca.h"
#include "hsmca/x509.h"

hsmca_err hsmca_ca_presign_lint(X509 *cert, EVP_PKEY *signer_public, hsmca_lint_input *in,
                                uint8_t **tbs, size_t *tbs_len, hsmca_lint_result **result)
{
    hsmca_err err = HSMCA_OK;
    EVP_PKEY *throwaway = NULL;
    uint8_t *der = NULL;
    size_t len = 0;

    *result = NULL;
    /* The same X509 is signed twice: first by the throwaway key (linted),
     * then by the token; X509_sign re-encodes the TBS each time. The
     * throwaway key is the process's shared one for this key type, and its
     * signature is not verified: only the token's is (CONFORMANCE.md §2). */
    HSMCA_GUARD(hsmca_x509_throwaway_key(signer_public, &throwaway));
    HSMCA_GUARD(hsmca_x509_sign_throwaway(cert, throwaway));
    HSMCA_GUARD(hsmca_x509_tbs_der(cert, &der, &len));
    in->cert = cert;
    HSMCA_GUARD(hsmca_lint_run(in, result));
    HSMCA_GUARD(hsmca_lint_result_check(*result));
    *tbs = der;
    *tbs_len = len;
    der = NULL;
out:
    EVP_PKEY_free(throwaway);
    OPENSSL_free(der);
    return err;
}

hsmca_err hsmca_ca_token_sign(X509 *cert, EVP_PKEY *signer, EVP_PKEY *signer_public,
                              const uint8_t *tbs, size_t tbs_len)
{
    hsmca_err err = HSMCA_OK;
    uint8_t *der = NULL;
    size_t len = 0;

    HSMCA_GUARD(hsmca_x509_sign(cert, signer, signer_public));
    HSMCA_GUARD(hsmca_x509_tbs_der(cert, &der, &len));
    HSMCA_ENSURE(len == tbs_len && memcmp(der, tbs, len) == 0, HSMCA_E_INTERNAL,
                 "the TBS the token signed differs from the TBS that was linted");
out:
    OPENSSL_free(der);
    return err;
}
