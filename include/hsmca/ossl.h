/* hsmca — small OpenSSL helpers shared by the modules. */
#ifndef HSMCA_OSSL_H
#define HSMCA_OSSL_H

#include <stddef.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>

#include "hsmca/clock.h"
#include "hsmca/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Copy what a memory BIO holds into a fresh NUL-terminated buffer (freed
 * with OPENSSL_free; the NUL is not counted in *out_len). `what` names the
 * content in the error ("the CRL as PEM"). */
hsmca_err hsmca_bio_to_buf(BIO *mem, const char *what, char **out, size_t *out_len);

/* An ASN1_TIME (UTCTime or GeneralizedTime) as seconds since the epoch;
 * HSMCA_E_INPUT naming `what` if OpenSSL cannot read it. */
hsmca_err hsmca_ossl_time(const ASN1_TIME *t, const char *what, hsmca_time *out);

#ifdef __cplusplus
}
#endif
#endif
