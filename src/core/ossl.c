/* hsmca — small OpenSSL helpers (include/hsmca/ossl.h). */
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "hsmca/ossl.h"

hsmca_err hsmca_bio_to_buf(BIO *mem, const char *what, char **out, size_t *out_len)
{
    hsmca_err err = HSMCA_OK;
    char *data = NULL, *copy = NULL;
    long n = BIO_get_mem_data(mem, &data);

    HSMCA_OSSL(n > 0 && data != NULL, "cannot encode %s", what);
    copy = OPENSSL_malloc((size_t)n + 1);
    HSMCA_ALLOC(copy);
    memcpy(copy, data, (size_t)n);
    copy[n] = '\0';
    *out = copy;
    *out_len = (size_t)n;
    copy = NULL;
out:
    OPENSSL_free(copy);
    return err;
}

hsmca_err hsmca_ossl_time(const ASN1_TIME *t, const char *what, hsmca_time *out)
{
    hsmca_err err = HSMCA_OK;
    struct tm tm;

    memset(&tm, 0, sizeof tm);
    HSMCA_ENSURE(t != NULL && ASN1_TIME_to_tm(t, &tm) == 1, HSMCA_E_INPUT,
                 "cannot read %s", what);
    *out = (hsmca_time)timegm(&tm);
out:
    return err;
}
