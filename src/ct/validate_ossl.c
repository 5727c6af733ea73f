/* hsmca — OpenSSL's CT validation of embedded SCTs (include/hsmca/ct.h).
 *
 * OpenSSL can only fill a CTLOG_STORE from a configuration file, so the
 * known logs are written to a private temporary file first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ct.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "hsmca/ct.h"

static hsmca_err write_log_config(const hsmca_ct_log *logs, size_t n, char *path, size_t len)
{
    hsmca_err err = HSMCA_OK;
    const char *tmp = getenv("TMPDIR");
    FILE *f = NULL;
    int fd;

    snprintf(path, len, "%s/hsmca-ctlogs-XXXXXX", tmp != NULL && tmp[0] ? tmp : "/tmp");
    fd = mkstemp(path);
    HSMCA_ENSURE(fd >= 0, HSMCA_E_IO, "cannot create a temporary file for OpenSSL's log list");
    f = fdopen(fd, "w");
    HSMCA_ENSURE(f != NULL, HSMCA_E_IO, "cannot write OpenSSL's log list");
    fprintf(f, "enabled_logs = ");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%slog%zu", i ? "," : "", i);
    fprintf(f, "\n");
    for (size_t i = 0; i < n; i++) {
        unsigned char *der = NULL, *b64 = NULL;
        int dlen = i2d_PUBKEY(logs[i].key, &der);

        HSMCA_OSSL(dlen > 0, "cannot encode log key %zu", i);
        b64 = OPENSSL_malloc((size_t)(4 * ((dlen + 2) / 3) + 1));
        if (b64 == NULL) {
            OPENSSL_free(der);
            HSMCA_FAIL(HSMCA_E_NOMEM, "out of memory");
        }
        EVP_EncodeBlock(b64, der, dlen);
        fprintf(f, "[log%zu]\ndescription = %s\nkey = %s\n", i, logs[i].name, (char *)b64);
        OPENSSL_free(der);
        OPENSSL_free(b64);
    }
out:
    if (f != NULL)
        fclose(f);
    else if (fd >= 0)
        close(fd);
    return err;
}

hsmca_err hsmca_ct_openssl_validate(X509 *final, X509 *issuer, const hsmca_ct_log *logs,
                                    size_t n_logs, uint64_t now_ms, size_t *valid,
                                    size_t *total)
{
    hsmca_err err = HSMCA_OK;
    char path[512] = "";
    CTLOG_STORE *store = NULL;
    CT_POLICY_EVAL_CTX *ctx = NULL;
    STACK_OF(SCT) *scts = NULL;

    *valid = *total = 0;
    HSMCA_GUARD(write_log_config(logs, n_logs, path, sizeof(path)));
    store = CTLOG_STORE_new();
    HSMCA_ALLOC(store);
    HSMCA_OSSL(CTLOG_STORE_load_file(store, path) == 1, "OpenSSL cannot load the log list");
    scts = X509_get_ext_d2i(final, NID_ct_precert_scts, NULL, NULL);
    HSMCA_OSSL(scts != NULL, "the certificate has no SCT list OpenSSL can read");
    ctx = CT_POLICY_EVAL_CTX_new();
    HSMCA_ALLOC(ctx);
    HSMCA_OSSL(CT_POLICY_EVAL_CTX_set1_cert(ctx, final) == 1 &&
                   CT_POLICY_EVAL_CTX_set1_issuer(ctx, issuer) == 1,
               "cannot set up OpenSSL's CT validation");
    CT_POLICY_EVAL_CTX_set_shared_CTLOG_STORE(ctx, store);
    CT_POLICY_EVAL_CTX_set_time(ctx, now_ms);
    /* The return value says whether all are valid; count them one by one. */
    (void)SCT_LIST_validate(scts, ctx);
    ERR_clear_error();
    *total = (size_t)sk_SCT_num(scts);
    for (int i = 0; i < sk_SCT_num(scts); i++)
        if (SCT_get_validation_status(sk_SCT_value(scts, i)) == SCT_VALIDATION_STATUS_VALID)
            (*valid)++;
out:
    if (path[0] != '\0')
        unlink(path);
    SCT_LIST_free(scts);
    CT_POLICY_EVAL_CTX_free(ctx);
    CTLOG_STORE_free(store);
    return err;
}
