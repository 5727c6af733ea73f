/* hsmca — CT logs: log ids, a test-log SCT signer, SCT verification, and
 * sets of known log keys.
 *
 * RFC 6962 §2.1.4: logs sign with ECDSA over NIST P-256 or RSA (at least
 * 2048 bits), always with SHA-256; the DigitallySigned struct names them as
 * hash 4 (sha256) and signature 3 (ecdsa) or 1 (rsa) (RFC 5246 §7.4.1.4.1).
 * RFC 6962 §3.2: the log id is the SHA-256 of the log's public key as a DER
 * SubjectPublicKeyInfo.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "hsmca/file.h"
#include "ct/ct_int.h"

/* Largest PEM public key file we read (an RSA-8192 key is under 2 KiB). */
#define LOG_KEY_FILE_MAX (64 * 1024)
#define LOG_OPERATOR_FILE_MAX 1024

/* The DigitallySigned signature algorithm for a log key, or an error for a
 * key RFC 6962 §2.1.4 does not allow. */
static hsmca_err log_key_sig_alg(EVP_PKEY *key, uint8_t *out)
{
    hsmca_err err = HSMCA_OK;
    char group[64];
    size_t glen = 0;

    HSMCA_ENSURE(key != NULL, HSMCA_E_USAGE, "no log key");
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_EC:
        HSMCA_ENSURE(EVP_PKEY_get_group_name(key, group, sizeof group, &glen) == 1 &&
                         (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0),
                     HSMCA_E_INPUT,
                     "a CT log's ECDSA key must be on NIST P-256 (RFC 6962 §2.1.4), not %s",
                     glen > 0 ? group : "an unknown curve");
        *out = CT_SIG_ECDSA;
        break;
    case EVP_PKEY_RSA:
        HSMCA_ENSURE(EVP_PKEY_get_bits(key) >= 2048, HSMCA_E_INPUT,
                     "a CT log's RSA key must have at least 2048 bits (RFC 6962 §2.1.4), not %d",
                     EVP_PKEY_get_bits(key));
        *out = CT_SIG_RSA;
        break;
    default:
        HSMCA_FAIL(HSMCA_E_INPUT, "a CT log key must be ECDSA P-256 or RSA (RFC 6962 §2.1.4), "
                   "not %s", EVP_PKEY_get0_type_name(key) != NULL ?
                   EVP_PKEY_get0_type_name(key) : "an unknown key type");
    }
out:
    return err;
}

/* The SubjectPublicKeyInfo DER of a named-curve P-256 or P-384 key with an
 * uncompressed point, written directly into buf: the bytes i2d_PUBKEY
 * gives (RFC 5480 §2), without OpenSSL 3.0's encoder, which costs as much
 * as the SCT's ECDSA verification. 0 (and nothing to use) for any other key,
 * which then goes through i2d_PUBKEY. */
static size_t ec_spki_der(EVP_PKEY *key, uint8_t *buf, size_t cap)
{
    /* AlgorithmIdentifier { id-ecPublicKey, namedCurve } (RFC 5480 §2.1.1). */
    static const uint8_t alg_p256[] = {0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d,
                                       0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
                                       0x03, 0x01, 0x07};
    static const uint8_t alg_p384[] = {0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d,
                                       0x02, 0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
    char text[64];
    uint8_t pt[97];
    size_t pt_len = 0, alg_len = 0, want_pt = 0, n = 0;
    const uint8_t *alg = NULL;

    /* Failed lookups below only mean "not this kind of key": their errors
     * are dropped, nothing else on OpenSSL's queue. */
    ERR_set_mark();
    if (!EVP_PKEY_is_a(key, "EC") ||
        EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_EC_ENCODING, text, sizeof text,
                                       NULL) != 1 ||
        strcmp(text, OSSL_PKEY_EC_ENCODING_GROUP) != 0 ||
        EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, text,
                                       sizeof text, NULL) != 1 ||
        strcmp(text, OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED) != 0 ||
        EVP_PKEY_get_group_name(key, text, sizeof text, NULL) != 1)
        goto out;
    if (strcmp(text, "prime256v1") == 0 || strcmp(text, "P-256") == 0) {
        alg = alg_p256;
        alg_len = sizeof alg_p256;
        want_pt = 65;
    } else if (strcmp(text, "secp384r1") == 0 || strcmp(text, "P-384") == 0) {
        alg = alg_p384;
        alg_len = sizeof alg_p384;
        want_pt = 97;
    } else {
        goto out;
    }
    if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof pt,
                                        &pt_len) != 1 ||
        pt_len != want_pt || pt[0] != 0x04)
        goto out;
    /* SEQUENCE { alg, BIT STRING { 0 unused bits, point } }: every length
     * is below 128, so one length octet each. */
    if (2 + alg_len + 3 + pt_len > cap || alg_len + 3 + pt_len >= 128)
        goto out;
    buf[0] = 0x30;
    buf[1] = (uint8_t)(alg_len + 3 + pt_len);
    memcpy(buf + 2, alg, alg_len);
    buf[2 + alg_len] = 0x03;
    buf[3 + alg_len] = (uint8_t)(pt_len + 1);
    buf[4 + alg_len] = 0x00;
    memcpy(buf + 5 + alg_len, pt, pt_len);
    n = 2 + alg_len + 3 + pt_len;
out:
    ERR_pop_to_mark();
    return n;
}

hsmca_err hsmca_ct_log_id(EVP_PKEY *log_key, uint8_t out[32])
{
    hsmca_err err = HSMCA_OK;
    unsigned char *der = NULL;
    uint8_t buf[160];
    size_t fast;
    int n;

    HSMCA_ENSURE(log_key != NULL && out != NULL, HSMCA_E_USAGE,
                 "hsmca_ct_log_id: missing argument");
    /* RFC 6962 §3.2: "SHA-256 hash of the log's public key, calculated
     * over the DER encoding of the key represented as SubjectPublicKeyInfo". */
    fast = ec_spki_der(log_key, buf, sizeof buf);
    if (fast > 0) {
        HSMCA_OSSL(SHA256(buf, fast, out) != NULL, "SHA-256 failed");
        goto out;
    }
    n = i2d_PUBKEY(log_key, &der);
    HSMCA_OSSL(n > 0, "cannot encode the log's public key");
    HSMCA_OSSL(SHA256(der, (size_t)n, out) != NULL, "SHA-256 failed");
out:
    OPENSSL_free(der);
    return err;
}

/* The signed data for an SCT over (precert, issuer); psc: the precert was
 * signed by a Precertificate Signing Certificate and issuer is the PSC's
 * issuer, which issues the final (RFC 6962 §3.2). */
static hsmca_err signed_data_for(const hsmca_sct *sct, X509 *precert, X509 *issuer, int psc,
                                 uint8_t **out, size_t *out_len)
{
    hsmca_err err = HSMCA_OK;
    uint8_t ikh[32];
    uint8_t *tbs = NULL;
    size_t tbs_len = 0;

    HSMCA_GUARD(hsmca_ct_issuer_key_hash(issuer, ikh));
    if (psc)
        HSMCA_GUARD(hsmca_ct_precert_tbs_psc(precert, issuer, &tbs, &tbs_len));
    else
        HSMCA_GUARD(hsmca_ct_precert_tbs(precert, &tbs, &tbs_len));
    HSMCA_GUARD(hsmca_ct_precert_signed_data(ikh, tbs, tbs_len, sct->timestamp,
                                             sct->extensions, sct->extensions_len, out,
                                             out_len));
out:
    free(tbs);
    return err;
}

/* 1 if sig verifies over data with key, 0 if not; OpenSSL detail left on
 * its queue for the caller. */
static int signature_ok(EVP_PKEY *key, const uint8_t *data, size_t len, const uint8_t *sig,
                        size_t sig_len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = 0;

    if (md != NULL && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1)
        ok = EVP_DigestVerify(md, sig, sig_len, data, len) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

/* The signed data of an x509_entry over cert's DER. */
static hsmca_err x509_data_for(const hsmca_sct *sct, X509 *cert, uint8_t **out, size_t *out_len)
{
    hsmca_err err = HSMCA_OK;
    unsigned char *der = NULL;
    int n = i2d_X509(cert, &der);

    HSMCA_OSSL(n > 0, "cannot encode the certificate to log");
    HSMCA_GUARD(hsmca_ct_x509_signed_data(der, (size_t)n, sct->timestamp, sct->extensions,
                                          sct->extensions_len, out, out_len));
out:
    OPENSSL_free(der);
    return err;
}

/* Sign an SCT with the log key: over (precert, issuer) for a precert_entry
 * (psc: in the PSC form), or over cert for an x509_entry (precert NULL). */
static hsmca_err sign_sct(EVP_PKEY *log_key, X509 *precert, X509 *issuer, int psc, X509 *cert,
                          uint64_t timestamp, hsmca_sct **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_sct *sct = NULL;
    uint8_t *data = NULL;
    size_t data_len = 0, sig_len = 0;
    EVP_MD_CTX *md = NULL;

    *out = NULL;
    sct = calloc(1, sizeof *sct);
    HSMCA_ALLOC(sct);
    sct->version = CT_SCT_V1;
    sct->timestamp = timestamp;
    sct->hash_alg = CT_HASH_SHA256;
    HSMCA_GUARD(log_key_sig_alg(log_key, &sct->sig_alg));
    HSMCA_GUARD(hsmca_ct_log_id(log_key, sct->log_id));
    /* No CtExtensions: RFC 6962 defines none (static-ct-api's leaf_index
     * belongs to logs with a tree, which the test log is not). */
    if (precert != NULL)
        HSMCA_GUARD(signed_data_for(sct, precert, issuer, psc, &data, &data_len));
    else
        HSMCA_GUARD(x509_data_for(sct, cert, &data, &data_len));

    md = EVP_MD_CTX_new();
    HSMCA_ALLOC(md);
    /* ECDSA gives a DER Ecdsa-Sig-Value and RSA PKCS #1 v1.5, the
     * encodings RFC 6962 §2.1.4 names. */
    HSMCA_OSSL(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, log_key) == 1,
               "cannot start signing the SCT with the log key");
    HSMCA_OSSL(EVP_DigestSign(md, NULL, &sig_len, data, data_len) == 1 && sig_len > 0,
               "cannot size the SCT signature");
    sct->signature = malloc(sig_len);
    HSMCA_ALLOC(sct->signature);
    HSMCA_OSSL(EVP_DigestSign(md, sct->signature, &sig_len, data, data_len) == 1,
               "signing the SCT with the log key failed");
    sct->signature_len = sig_len;
    /* DESIGN.md: check what a key (possibly a token's) signed. */
    if (!signature_ok(log_key, data, data_len, sct->signature, sct->signature_len))
        HSMCA_GUARD(hsmca_err_openssl(HSMCA_E_VERIFY, "the log key's SCT signature does not "
                                      "verify with its own public key"));
    *out = sct;
    sct = NULL;
out:
    EVP_MD_CTX_free(md);
    free(data);
    hsmca_sct_free(sct);
    return err;
}

hsmca_err hsmca_ct_sct_sign(EVP_PKEY *log_key, X509 *precert, X509 *issuer, uint64_t timestamp,
                            hsmca_sct **out)
{
    if (log_key == NULL || precert == NULL || issuer == NULL || out == NULL)
        return hsmca_err_setf(HSMCA_E_USAGE, "hsmca_ct_sct_sign: missing argument");
    return sign_sct(log_key, precert, issuer, 0, NULL, timestamp, out);
}

hsmca_err hsmca_ct_sct_sign_psc(EVP_PKEY *log_key, X509 *precert, X509 *final_issuer,
                                uint64_t timestamp, hsmca_sct **out)
{
    if (log_key == NULL || precert == NULL || final_issuer == NULL || out == NULL)
        return hsmca_err_setf(HSMCA_E_USAGE, "hsmca_ct_sct_sign_psc: missing argument");
    return sign_sct(log_key, precert, final_issuer, 1, NULL, timestamp, out);
}

hsmca_err hsmca_ct_sct_sign_x509(EVP_PKEY *log_key, X509 *cert, uint64_t timestamp,
                                 hsmca_sct **out)
{
    if (log_key == NULL || cert == NULL || out == NULL)
        return hsmca_err_setf(HSMCA_E_USAGE, "hsmca_ct_sct_sign_x509: missing argument");
    return sign_sct(log_key, NULL, NULL, 0, cert, timestamp, out);
}

static void hex8(const uint8_t *p, char *buf)
{
    for (size_t i = 0; i < 8; i++)
        snprintf(buf + 2 * i, 3, "%02x", p[i]);
}

hsmca_err hsmca_ct_sct_verify(const hsmca_sct *sct, EVP_PKEY *log_key, X509 *precert,
                              X509 *issuer)
{
    hsmca_err err = HSMCA_OK;
    uint8_t id[32], want_alg = 0;
    uint8_t *data = NULL;
    size_t data_len = 0;
    char got[17], want[17];

    HSMCA_ENSURE(sct != NULL && log_key != NULL && precert != NULL && issuer != NULL,
                 HSMCA_E_USAGE, "hsmca_ct_sct_verify: missing argument");
    HSMCA_GUARD(log_key_sig_alg(log_key, &want_alg));
    /* RFC 6962 §3.2: v1 is the only version this format defines. */
    HSMCA_ENSURE(sct->version == CT_SCT_V1, HSMCA_E_VERIFY,
                 "SCT check failed: version %u is not v1 (0)", sct->version);
    HSMCA_GUARD(hsmca_ct_log_id(log_key, id));
    if (memcmp(id, sct->log_id, sizeof id) != 0) {
        hex8(sct->log_id, got);
        hex8(id, want);
        HSMCA_FAIL(HSMCA_E_VERIFY, "SCT check failed: its log id %s... is not this log's "
                   "(%s...): the SCT comes from another log", got, want);
    }
    HSMCA_ENSURE(sct->hash_alg == CT_HASH_SHA256, HSMCA_E_VERIFY,
                 "SCT check failed: hash algorithm %u is not sha256 (4, RFC 6962 §2.1.4)",
                 sct->hash_alg);
    HSMCA_ENSURE(sct->sig_alg == want_alg, HSMCA_E_VERIFY,
                 "SCT check failed: signature algorithm %u does not match the log's %s key "
                 "(expected %u)", sct->sig_alg, want_alg == CT_SIG_ECDSA ? "ECDSA" : "RSA",
                 want_alg);
    HSMCA_ENSURE(sct->signature_len > 0 && sct->signature != NULL, HSMCA_E_VERIFY,
                 "SCT check failed: the signature is empty");
    HSMCA_GUARD(signed_data_for(sct, precert, issuer, 0, &data, &data_len));
    /* The timestamp is not judged here: an SCT from the future is a policy
     * question (CONFORMANCE.md §11 [NEG]), not a cryptographic one. */
    if (!signature_ok(log_key, data, data_len, sct->signature, sct->signature_len))
        HSMCA_GUARD(hsmca_err_openssl(HSMCA_E_VERIFY, "SCT check failed: the signature does "
                                      "not verify over the precert entry (wrong issuer, a "
                                      "changed TBS, timestamp or extensions, or a bad "
                                      "signature)"));
out:
    free(data);
    return err;
}

/* ---- sets of logs ---- */

void hsmca_ct_logs_free(hsmca_ct_log *logs, size_t n)
{
    if (logs == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        free(logs[i].name);
        free(logs[i].operator_name);
        EVP_PKEY_free(logs[i].key);
    }
    free(logs);
}

const hsmca_ct_log *hsmca_ct_log_find(const hsmca_ct_log *logs, size_t n,
                                      const uint8_t log_id[32])
{
    if (logs == NULL || log_id == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (memcmp(logs[i].log_id, log_id, 32) == 0)
            return &logs[i];
    return NULL;
}

/* "dir/test-log-1.pem" -> "test-log-1". */
static hsmca_err name_from_path(const char *path, char **out)
{
    hsmca_err err = HSMCA_OK;
    const char *base = strrchr(path, '/'), *dot;
    size_t len;

    base = base != NULL ? base + 1 : path;
    dot = strrchr(base, '.');
    len = dot != NULL && dot != base ? (size_t)(dot - base) : strlen(base);
    HSMCA_ENSURE(len > 0, HSMCA_E_INPUT, "%s: cannot name a log after this file name", path);
    *out = strndup(base, len);
    HSMCA_ALLOC(*out);
out:
    return err;
}

/* PATH.operator if it exists (one line), else "unknown". */
static hsmca_err operator_for(const char *path, char **out)
{
    hsmca_err err = HSMCA_OK;
    char *opath = NULL;
    uint8_t *buf = NULL;
    size_t len = 0, plen = strlen(path);

    opath = malloc(plen + sizeof ".operator");
    HSMCA_ALLOC(opath);
    memcpy(opath, path, plen);
    memcpy(opath + plen, ".operator", sizeof ".operator");
    err = hsmca_file_read(opath, LOG_OPERATOR_FILE_MAX, &buf, &len);
    if (err == HSMCA_E_NOT_FOUND) {
        hsmca_err_clear();
        err = HSMCA_OK;
        *out = strdup("unknown");
        HSMCA_ALLOC(*out);
        goto out;
    }
    HSMCA_GUARD(err);
    if (len > 0 && buf[len - 1] == '\n')
        len--;
    if (len > 0 && buf[len - 1] == '\r')
        len--;
    HSMCA_ENSURE(len > 0, HSMCA_E_INPUT, "%s: empty operator name", opath);
    for (size_t i = 0; i < len; i++)
        HSMCA_ENSURE(!iscntrl(buf[i]), HSMCA_E_INPUT,
                     "%s: the operator name must be one line of text", opath);
    *out = strndup((const char *)buf, len);
    HSMCA_ALLOC(*out);
out:
    free(opath);
    free(buf);
    return err;
}

hsmca_err hsmca_ct_logs_load(const char *const *pem_files, size_t n, hsmca_ct_log **out,
                             size_t *out_n)
{
    hsmca_err err = HSMCA_OK;
    hsmca_ct_log *logs = NULL;
    uint8_t *pem = NULL;
    size_t pem_len = 0, done = 0;
    BIO *bio = NULL;
    uint8_t alg;

    HSMCA_ENSURE(out != NULL && out_n != NULL && (pem_files != NULL || n == 0), HSMCA_E_USAGE,
                 "hsmca_ct_logs_load: missing argument");
    logs = calloc(n > 0 ? n : 1, sizeof *logs);
    HSMCA_ALLOC(logs);
    for (size_t i = 0; i < n; i++) {
        hsmca_ct_log *l = &logs[i];

        done = i + 1;
        HSMCA_ENSURE(pem_files[i] != NULL, HSMCA_E_USAGE, "log key file %zu: no path", i + 1);
        HSMCA_GUARD(hsmca_file_read(pem_files[i], LOG_KEY_FILE_MAX, &pem, &pem_len));
        bio = BIO_new_mem_buf(pem, (int)pem_len);
        HSMCA_ALLOC(bio);
        l->key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
        if (l->key == NULL)
            HSMCA_GUARD(hsmca_err_openssl(HSMCA_E_INPUT, "%s: not a PEM public key (\"-----"
                                          "BEGIN PUBLIC KEY-----\")", pem_files[i]));
        err = log_key_sig_alg(l->key, &alg);
        if (err != HSMCA_OK) {
            hsmca_err_context("%s: ", pem_files[i]);
            goto out;
        }
        HSMCA_GUARD(hsmca_ct_log_id(l->key, l->log_id));
        HSMCA_GUARD(name_from_path(pem_files[i], &l->name));
        HSMCA_GUARD(operator_for(pem_files[i], &l->operator_name));
        for (size_t j = 0; j < i; j++) {
            HSMCA_ENSURE(memcmp(logs[j].log_id, l->log_id, 32) != 0, HSMCA_E_INPUT,
                         "%s and %s hold the same log key", pem_files[j], pem_files[i]);
            HSMCA_ENSURE(strcmp(logs[j].name, l->name) != 0, HSMCA_E_INPUT,
                         "%s and %s give two logs the same name \"%s\"", pem_files[j],
                         pem_files[i], l->name);
        }
        BIO_free(bio);
        bio = NULL;
        free(pem);
        pem = NULL;
    }
    *out = logs;
    *out_n = n;
    logs = NULL;
out:
    BIO_free(bio);
    free(pem);
    hsmca_ct_logs_free(logs, done);
    return err;
}
