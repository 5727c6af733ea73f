/* hsmca — signing a built certificate, and moving certificates in and out
 * of bytes. */
#include <limits.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "hsmca/ossl.h"
#include "x509/x509_int.h"

/* The class of a key hsmca may sign with: RSA, ECDSA P-256 or P-384. */
static hsmca_err classify_signer(EVP_PKEY *key, x509_key_class *kc)
{
    hsmca_err err = HSMCA_OK;

    HSMCA_GUARD(x509_key_classify(key, kc));
    HSMCA_ENSURE(kc->sign_md != NULL, HSMCA_E_INPUT,
                 "cannot sign with a %s key: hsmca signs with RSA, ECDSA P-256 or ECDSA "
                 "P-384 (BR 7.1.3.2)", kc->desc);
out:
    return err;
}

/* Sign, check the algorithm identifiers, and verify with verify_key unless
 * it is NULL (throwaway keys only). */
static hsmca_err sign_cert(X509 *cert, EVP_PKEY *key, EVP_PKEY *verify_key)
{
    hsmca_err err = HSMCA_OK;
    x509_key_class kc;
    const X509_ALGOR *tbs_alg = NULL, *outer_alg = NULL;
    unsigned char *d1 = NULL, *d2 = NULL;
    const uint8_t *want;
    size_t want_len;
    int n1, n2;

    HSMCA_GUARD(classify_signer(key, &kc));
    /* X509_sign goes through EVP_DigestSign, which uses the key's own
     * methods: a libp11 token key signs inside the token. It writes the
     * algorithm into tbs.signature and signatureAlgorithm alike. */
    HSMCA_OSSL(X509_sign(cert, key, kc.sign_md) > 0, "signing the certificate with the %s key "
               "failed", kc.desc);
    /* BR 7.1.3.2 / CONFORMANCE.md §2: exact bytes, the same in both places. */
    X509_get0_signature(NULL, &outer_alg, cert);
    tbs_alg = X509_get0_tbs_sigalg(cert);
    n1 = i2d_X509_ALGOR(tbs_alg, &d1);
    n2 = i2d_X509_ALGOR(outer_alg, &d2);
    want = x509_sigalg_der(&kc, &want_len);
    HSMCA_ENSURE(n1 > 0 && n2 == n1 && want != NULL && (size_t)n1 == want_len &&
                     memcmp(d1, want, want_len) == 0 && memcmp(d2, want, want_len) == 0,
                 HSMCA_E_INTERNAL, "the %s signature's algorithm identifier is not the one BR "
                 "7.1.3.2 requires", kc.desc);
    /* CONFORMANCE.md §2: verify every signature a token makes. */
    if (verify_key != NULL && X509_verify(cert, verify_key) != 1)
        HSMCA_GUARD(hsmca_err_openssl(HSMCA_E_VERIFY, "the certificate's signature does not "
                                      "verify with the issuer's public key (wrong key, or a "
                                      "faulty token signature)"));
out:
    OPENSSL_free(d1);
    OPENSSL_free(d2);
    return err;
}

hsmca_err hsmca_x509_sign(X509 *cert, EVP_PKEY *key, EVP_PKEY *verify_key)
{
    if (cert == NULL || key == NULL || verify_key == NULL)
        return hsmca_err_setf(HSMCA_E_USAGE, "hsmca_x509_sign: certificate, signing key and "
                              "verification key are needed");
    return sign_cert(cert, key, verify_key);
}

hsmca_err hsmca_x509_sign_throwaway(X509 *cert, EVP_PKEY *throwaway)
{
    if (cert == NULL || throwaway == NULL)
        return hsmca_err_setf(HSMCA_E_USAGE, "hsmca_x509_sign_throwaway: certificate and "
                              "throwaway key are needed");
    return sign_cert(cert, throwaway, NULL);
}

/* The DER an i2d call wrote (n octets at der; n <= 0 when it failed) as
 * the caller's buffer; what names the structure in the error. */
static hsmca_err hand_over_der(int n, unsigned char *der, const char *what, uint8_t **out,
                               size_t *out_len)
{
    hsmca_err err = HSMCA_OK;

    HSMCA_OSSL(n > 0, "cannot encode %s", what);
    *out = der;
    *out_len = (size_t)n;
    der = NULL;
out:
    OPENSSL_free(der);
    return err;
}

hsmca_err hsmca_x509_tbs_der(X509 *cert, uint8_t **out, size_t *out_len)
{
    unsigned char *der = NULL;
    int n;

    if (cert == NULL || out == NULL || out_len == NULL)
        return hsmca_err_setf(HSMCA_E_USAGE, "hsmca_x509_tbs_der: missing argument");
    /* i2d_re_X509_tbs re-encodes from the fields, not a cached copy. */
    n = i2d_re_X509_tbs(cert, &der);
    return hand_over_der(n, der, "the TBSCertificate", out, out_len);
}

hsmca_err hsmca_x509_to_der(X509 *cert, uint8_t **out, size_t *out_len)
{
    unsigned char *der = NULL;
    int n;

    if (cert == NULL || out == NULL || out_len == NULL)
        return hsmca_err_setf(HSMCA_E_USAGE, "hsmca_x509_to_der: missing argument");
    n = i2d_X509(cert, &der);
    return hand_over_der(n, der, "the certificate", out, out_len);
}

hsmca_err hsmca_x509_to_pem(X509 *cert, char **out, size_t *out_len)
{
    hsmca_err err = HSMCA_OK;
    BIO *bio = BIO_new(BIO_s_mem());

    HSMCA_ENSURE(cert != NULL && out != NULL && out_len != NULL, HSMCA_E_USAGE,
                 "hsmca_x509_to_pem: missing argument");
    HSMCA_ALLOC(bio);
    HSMCA_OSSL(PEM_write_bio_X509(bio, cert) == 1, "cannot write the certificate as PEM");
    HSMCA_GUARD(hsmca_bio_to_buf(bio, "the certificate as PEM", out, out_len));
out:
    BIO_free(bio);
    return err;
}

hsmca_err hsmca_x509_pubkey_to_pem(EVP_PKEY *key, char **out, size_t *out_len)
{
    hsmca_err err = HSMCA_OK;
    BIO *bio = BIO_new(BIO_s_mem());

    HSMCA_ALLOC(bio);
    HSMCA_OSSL(PEM_write_bio_PUBKEY(bio, key) == 1, "cannot write the public key as PEM");
    HSMCA_GUARD(hsmca_bio_to_buf(bio, "the public key as PEM", out, out_len));
out:
    BIO_free(bio);
    return err;
}

hsmca_err hsmca_x509_sign_digest(EVP_PKEY *key, const EVP_MD **out)
{
    hsmca_err err = HSMCA_OK;
    x509_key_class kc;

    HSMCA_GUARD(classify_signer(key, &kc));
    *out = kc.sign_md;
out:
    return err;
}

/* PEM ("-----BEGIN" after optional white space) or DER? */
static int looks_pem(const uint8_t *data, size_t len)
{
    static const char tag[] = "-----BEGIN";
    size_t skip = 0;

    while (skip < len && (data[skip] == ' ' || data[skip] == '\t' || data[skip] == '\r' ||
                          data[skip] == '\n'))
        skip++;
    return len - skip >= sizeof tag - 1 && memcmp(data + skip, tag, sizeof tag - 1) == 0;
}

hsmca_err hsmca_x509_pubkey_from_bytes(const uint8_t *data, size_t len, EVP_PKEY **out)
{
    hsmca_err err = HSMCA_OK;
    EVP_PKEY *key = NULL;
    BIO *bio = NULL;

    HSMCA_ENSURE(data != NULL && len > 0 && len <= INT_MAX, HSMCA_E_INPUT, "no public key bytes");
    if (looks_pem(data, len)) {
        bio = BIO_new_mem_buf(data, (int)len);
        HSMCA_ALLOC(bio);
        key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
        HSMCA_OSSL(key != NULL, "not a PEM public key (expected -----BEGIN PUBLIC KEY-----)");
    } else {
        const unsigned char *p = data;
        key = d2i_PUBKEY(NULL, &p, (long)len);
        HSMCA_OSSL(key != NULL, "not a DER or PEM SubjectPublicKeyInfo");
        HSMCA_ENSURE(p == data + len, HSMCA_E_INPUT, "%zu bytes after the DER public key",
                     (size_t)(data + len - p));
    }
    *out = key;
    key = NULL;
out:
    BIO_free(bio);
    EVP_PKEY_free(key);
    return err;
}

hsmca_err hsmca_x509_csr_key_from_bytes(const uint8_t *data, size_t len, EVP_PKEY **out)
{
    hsmca_err err = HSMCA_OK;
    X509_REQ *req = NULL;
    EVP_PKEY *key = NULL;
    BIO *bio = NULL;

    HSMCA_ENSURE(data != NULL && len > 0 && len <= INT_MAX, HSMCA_E_INPUT, "no request bytes");
    if (looks_pem(data, len)) {
        bio = BIO_new_mem_buf(data, (int)len);
        HSMCA_ALLOC(bio);
        req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
        HSMCA_OSSL(req != NULL, "not a PEM certificate request (expected -----BEGIN "
                   "CERTIFICATE REQUEST-----)");
    } else {
        const unsigned char *p = data;
        req = d2i_X509_REQ(NULL, &p, (long)len);
        HSMCA_OSSL(req != NULL, "not a DER or PEM certificate request (PKCS#10)");
        HSMCA_ENSURE(p == data + len, HSMCA_E_INPUT, "%zu bytes after the DER request",
                     (size_t)(data + len - p));
    }
    key = X509_REQ_get_pubkey(req);
    HSMCA_OSSL(key != NULL, "the request's public key is unusable");
    /* RFC 2986 §3: the request is signed by its own key (proof of possession). */
    if (X509_REQ_verify(req, key) != 1) {
        ERR_clear_error();
        HSMCA_FAIL(HSMCA_E_VERIFY, "the request's signature does not verify with its own key "
                   "(corrupted or forged request)");
    }
    *out = key;
    key = NULL;
out:
    BIO_free(bio);
    X509_REQ_free(req);
    EVP_PKEY_free(key);
    return err;
}

hsmca_err hsmca_x509_from_bytes(const uint8_t *data, size_t len, X509 **out)
{
    hsmca_err err = HSMCA_OK;
    X509 *cert = NULL;
    BIO *bio = NULL;

    HSMCA_ENSURE(data != NULL && out != NULL && len > 0 && len <= INT_MAX, HSMCA_E_INPUT,
                 "no certificate bytes");
    if (looks_pem(data, len)) {
        bio = BIO_new_mem_buf(data, (int)len);
        HSMCA_ALLOC(bio);
        cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        HSMCA_OSSL(cert != NULL, "not a PEM certificate (expected -----BEGIN CERTIFICATE-----)");
    } else {
        const unsigned char *p = data;

        cert = d2i_X509(NULL, &p, (long)len);
        HSMCA_OSSL(cert != NULL, "not a DER or PEM certificate");
        HSMCA_ENSURE(p == data + len, HSMCA_E_INPUT,
                     "%zu bytes after the DER certificate", (size_t)(data + len - p));
    }
    *out = cert;
    cert = NULL;
out:
    BIO_free(bio);
    X509_free(cert);
    return err;
}
