/* hsmca — small OpenSSL helpers (include/hsmca/ossl.h). */
#include <string.h>

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
