/* hsmca — importing fixture keys into a token (issue #8). FIXTURES ONLY.
 *
 * A fixture corpus must be reproducible from its seed, key material
 * included, so `hsmca fixtures` derives its hierarchy keys in software and
 * imports them here (include/hsmca/hsm.h, hsmca_hsm_key_import_fixture).
 * Nothing else in hsmca imports keys: ceremonies and issuance generate them
 * inside the token (DESIGN.md). The label prefix check below keeps it so.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "hsm_int.h"
#include "hsmca/log.h"

#define FIXTURE_PREFIX "hsmca-fixture-"

static const uint8_t oid_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};

/* One big-endian integer attribute value (malloc'd), from a BIGNUM param;
 * pad > 0 left-pads to that many bytes (EC private values are fixed-size). */
static hsmca_err bn_param(EVP_PKEY *k, const char *name, int pad, uint8_t **out, size_t *len)
{
    hsmca_err err = HSMCA_OK;
    BIGNUM *bn = NULL;
    int n;

    *out = NULL;
    HSMCA_OSSL(EVP_PKEY_get_bn_param(k, name, &bn) == 1, "the key has no %s", name);
    n = pad > 0 ? pad : BN_num_bytes(bn);
    HSMCA_ENSURE(n > 0 && BN_num_bytes(bn) <= n, HSMCA_E_INPUT, "the key's %s is too large", name);
    *out = malloc((size_t)n);
    HSMCA_ALLOC(*out);
    HSMCA_OSSL(BN_bn2binpad(bn, *out, n) == n, "cannot encode the key's %s", name);
    *len = (size_t)n;
out:
    if (err != HSMCA_OK) {
        free(*out);
        *out = NULL;
    }
    BN_clear_free(bn);
    return err;
}

/* CKA_ID: SHA-256 of the SubjectPublicKeyInfo, first 20 bytes. */
static hsmca_err spki_id(EVP_PKEY *k, uint8_t id[20])
{
    hsmca_err err = HSMCA_OK;
    unsigned char *der = NULL;
    uint8_t md[32];
    int n = i2d_PUBKEY(k, &der);

    HSMCA_OSSL(n > 0, "cannot encode the public key");
    HSMCA_OSSL(EVP_Digest(der, (size_t)n, md, NULL, EVP_sha256(), NULL) == 1,
               "cannot hash the public key");
    memcpy(id, md, 20);
out:
    OPENSSL_free(der);
    return err;
}

/* An existing object with this label: the key, if it is this pair. */
static hsmca_err reuse_existing(hsmca_token *tok, EVP_PKEY *priv, const char *label,
                                hsmca_key **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_key_sel sel = {label, NULL, 0};
    hsmca_key *key = NULL;

    err = hsmca_hsm_key_find(tok, &sel, &key);
    if (err != HSMCA_OK) {
        hsmca_err_context("token '%s' already has an object labelled '%s' that is not a "
                          "usable key pair", tok->info.label, label);
        err = HSMCA_E_KEY_EXISTS;
        goto out;
    }
    HSMCA_ENSURE(EVP_PKEY_eq(hsmca_hsm_key_get0_public(key), priv) == 1, HSMCA_E_KEY_EXISTS,
                 "token '%s' already has a key labelled '%s', and it is not the one derived "
                 "from this seed; use another seed or remove it", tok->info.label, label);
    *out = key;
    key = NULL;
out:
    ERR_clear_error();
    hsmca_hsm_key_free(key);
    return err;
}

hsmca_err hsmca_hsm_key_import_fixture(hsmca_token *tok, EVP_PKEY *priv, const char *label,
                                       hsmca_key **out, int *out_imported)
{
    hsmca_err err = HSMCA_OK;
    CK_FUNCTION_LIST_PTR fl = NULL;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_OBJECT_CLASS pub_cls = CKO_PUBLIC_KEY, priv_cls = CKO_PRIVATE_KEY;
    CK_KEY_TYPE kt = 0;
    CK_OBJECT_HANDLE pub = CK_INVALID_HANDLE, prv = CK_INVALID_HANDLE;
    uint8_t id[20];
    /* RSA: n, e, d, p, q, dp, dq, qinv; EC: params, value, point */
    uint8_t *v[8] = {NULL};
    size_t vl[8] = {0};
    uint8_t point[1 + 2 * 66], *point_os = NULL;
    size_t point_len = 0;
    const uint8_t *oid = NULL;
    size_t oid_len = 0;
    hsmca_key *key = NULL;
    CK_ULONG label_len;
    int exists = 0, locked = 0, is_rsa;
    CK_RV rv;

    if (out_imported != NULL)
        *out_imported = 0;
    HSMCA_ENSURE(tok != NULL && priv != NULL && label != NULL && out != NULL, HSMCA_E_USAGE,
                 "hsmca_hsm_key_import_fixture: missing argument");
    fl = tok->hsm->fl;
    HSMCA_ENSURE(strncmp(label, FIXTURE_PREFIX, strlen(FIXTURE_PREFIX)) == 0 &&
                     label[strlen(FIXTURE_PREFIX)] != '\0',
                 HSMCA_E_USAGE,
                 "key label '%s': only fixture keys are imported, and their labels start "
                 "with '" FIXTURE_PREFIX "' (ceremonies generate keys inside the token)",
                 label);
    label_len = (CK_ULONG)strlen(label);
    HSMCA_ENSURE(label_len <= 127, HSMCA_E_USAGE, "key label '%s' is longer than 127 bytes",
                 label);
    HSMCA_ENSURE(tok->logged_in, HSMCA_E_STATE, "log in to token '%s' before importing a key",
                 tok->info.label);

    is_rsa = EVP_PKEY_is_a(priv, "RSA");
    if (is_rsa) {
        int bits = EVP_PKEY_get_bits(priv);
        HSMCA_ENSURE(bits == 2048 || bits == 3072 || bits == 4096, HSMCA_E_INPUT,
                     "fixture key '%s': RSA %d bits; hsmca uses 2048, 3072 or 4096", label,
                     bits);
        kt = CKK_RSA;
        HSMCA_GUARD(bn_param(priv, OSSL_PKEY_PARAM_RSA_N, 0, &v[0], &vl[0]));
        HSMCA_GUARD(bn_param(priv, OSSL_PKEY_PARAM_RSA_E, 0, &v[1], &vl[1]));
        HSMCA_GUARD(bn_param(priv, OSSL_PKEY_PARAM_RSA_D, 0, &v[2], &vl[2]));
        HSMCA_GUARD(bn_param(priv, OSSL_PKEY_PARAM_RSA_FACTOR1, 0, &v[3], &vl[3]));
        HSMCA_GUARD(bn_param(priv, OSSL_PKEY_PARAM_RSA_FACTOR2, 0, &v[4], &vl[4]));
        HSMCA_GUARD(bn_param(priv, OSSL_PKEY_PARAM_RSA_EXPONENT1, 0, &v[5], &vl[5]));
        HSMCA_GUARD(bn_param(priv, OSSL_PKEY_PARAM_RSA_EXPONENT2, 0, &v[6], &vl[6]));
        HSMCA_GUARD(bn_param(priv, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, 0, &v[7], &vl[7]));
    } else if (EVP_PKEY_is_a(priv, "EC")) {
        char group[32];
        int field;
        ASN1_OCTET_STRING *os = NULL;
        int n = 0;

        HSMCA_OSSL(EVP_PKEY_get_utf8_string_param(priv, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                                  sizeof group, NULL) == 1,
                   "fixture key '%s': cannot read its curve", label);
        if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) {
            oid = oid_p256, oid_len = sizeof oid_p256, field = 32;
        } else if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0) {
            oid = oid_p384, oid_len = sizeof oid_p384, field = 48;
        } else {
            HSMCA_FAIL(HSMCA_E_INPUT, "fixture key '%s': curve %s; hsmca uses P-256 and P-384",
                       label, group);
        }
        kt = CKK_EC;
        HSMCA_GUARD(bn_param(priv, OSSL_PKEY_PARAM_PRIV_KEY, field, &v[0], &vl[0]));
        HSMCA_OSSL(EVP_PKEY_get_octet_string_param(priv, OSSL_PKEY_PARAM_PUB_KEY, point,
                                                   sizeof point, &point_len) == 1 &&
                       point_len == (size_t)(1 + 2 * field) && point[0] == 0x04,
                   "fixture key '%s': cannot read its uncompressed public point", label);
        /* PKCS#11 v2.40 §2.3.3: CKA_EC_POINT is the DER OCTET STRING. */
        os = ASN1_OCTET_STRING_new();
        HSMCA_ALLOC(os);
        if (ASN1_OCTET_STRING_set(os, point, (int)point_len) != 1 ||
            (n = i2d_ASN1_OCTET_STRING(os, &point_os)) <= 0) {
            ASN1_OCTET_STRING_free(os);
            HSMCA_GUARD(hsmca_err_openssl(HSMCA_E_CRYPTO, "cannot encode CKA_EC_POINT"));
        }
        ASN1_OCTET_STRING_free(os);
        point_len = (size_t)n;
    } else {
        HSMCA_FAIL(HSMCA_E_INPUT, "fixture key '%s' is neither RSA nor EC", label);
    }
    HSMCA_GUARD(spki_id(priv, id));

    pthread_mutex_lock(&tok->hsm->lock);
    locked = 1;
    HSMCA_GUARD(hsmca_hsm_int_label_in_use(tok, label, &exists));
    if (exists) {
        pthread_mutex_unlock(&tok->hsm->lock);
        locked = 0;
        HSMCA_GUARD(reuse_existing(tok, priv, label, out));
        hsmca_log_debug("fixture key '%s' already in token '%s': reused", label,
                        tok->info.label);
        goto out;
    }

    {
        CK_ATTRIBUTE pub_tmpl[16], prv_tmpl[24];
        CK_ULONG np = 0, nv = 0;

        /* common public attributes */
        pub_tmpl[np++] = (CK_ATTRIBUTE){CKA_CLASS, &pub_cls, sizeof pub_cls};
        pub_tmpl[np++] = (CK_ATTRIBUTE){CKA_KEY_TYPE, &kt, sizeof kt};
        pub_tmpl[np++] = (CK_ATTRIBUTE){CKA_TOKEN, &yes, sizeof yes};
        pub_tmpl[np++] = (CK_ATTRIBUTE){CKA_PRIVATE, &no, sizeof no};
        pub_tmpl[np++] = (CK_ATTRIBUTE){CKA_LABEL, (void *)(uintptr_t)label, label_len};
        pub_tmpl[np++] = (CK_ATTRIBUTE){CKA_ID, id, sizeof id};
        pub_tmpl[np++] = (CK_ATTRIBUTE){CKA_VERIFY, &yes, sizeof yes};
        pub_tmpl[np++] = (CK_ATTRIBUTE){CKA_ENCRYPT, &no, sizeof no};
        pub_tmpl[np++] = (CK_ATTRIBUTE){CKA_WRAP, &no, sizeof no};
        pub_tmpl[np++] = (CK_ATTRIBUTE){CKA_DERIVE, &no, sizeof no};
        /* common private attributes: as hsmca_hsm_keygen's (DESIGN.md) */
        prv_tmpl[nv++] = (CK_ATTRIBUTE){CKA_CLASS, &priv_cls, sizeof priv_cls};
        prv_tmpl[nv++] = (CK_ATTRIBUTE){CKA_KEY_TYPE, &kt, sizeof kt};
        prv_tmpl[nv++] = (CK_ATTRIBUTE){CKA_TOKEN, &yes, sizeof yes};
        prv_tmpl[nv++] = (CK_ATTRIBUTE){CKA_PRIVATE, &yes, sizeof yes};
        prv_tmpl[nv++] = (CK_ATTRIBUTE){CKA_SENSITIVE, &yes, sizeof yes};
        prv_tmpl[nv++] = (CK_ATTRIBUTE){CKA_EXTRACTABLE, &no, sizeof no};
        prv_tmpl[nv++] = (CK_ATTRIBUTE){CKA_LABEL, (void *)(uintptr_t)label, label_len};
        prv_tmpl[nv++] = (CK_ATTRIBUTE){CKA_ID, id, sizeof id};
        prv_tmpl[nv++] = (CK_ATTRIBUTE){CKA_SIGN, &yes, sizeof yes};
        prv_tmpl[nv++] = (CK_ATTRIBUTE){CKA_DECRYPT, &no, sizeof no};
        prv_tmpl[nv++] = (CK_ATTRIBUTE){CKA_UNWRAP, &no, sizeof no};
        prv_tmpl[nv++] = (CK_ATTRIBUTE){CKA_DERIVE, &no, sizeof no};
        if (is_rsa) {
            static const CK_ATTRIBUTE_TYPE rsa_types[8] = {
                CKA_MODULUS, CKA_PUBLIC_EXPONENT, CKA_PRIVATE_EXPONENT, CKA_PRIME_1,
                CKA_PRIME_2, CKA_EXPONENT_1, CKA_EXPONENT_2, CKA_COEFFICIENT};
            pub_tmpl[np++] = (CK_ATTRIBUTE){CKA_MODULUS, v[0], vl[0]};
            pub_tmpl[np++] = (CK_ATTRIBUTE){CKA_PUBLIC_EXPONENT, v[1], vl[1]};
            for (int i = 0; i < 8; i++)
                prv_tmpl[nv++] = (CK_ATTRIBUTE){rsa_types[i], v[i], vl[i]};
        } else {
            pub_tmpl[np++] = (CK_ATTRIBUTE){CKA_EC_PARAMS, (void *)(uintptr_t)oid, oid_len};
            pub_tmpl[np++] = (CK_ATTRIBUTE){CKA_EC_POINT, point_os, point_len};
            prv_tmpl[nv++] = (CK_ATTRIBUTE){CKA_EC_PARAMS, (void *)(uintptr_t)oid, oid_len};
            prv_tmpl[nv++] = (CK_ATTRIBUTE){CKA_VALUE, v[0], vl[0]};
        }
        rv = fl->C_CreateObject(tok->session, prv_tmpl, nv, &prv);
        if (rv != CKR_OK) {
            prv = CK_INVALID_HANDLE;
            err = hsmca_hsm_fail_ckr(HSMCA_E_PKCS11, rv,
                                     "token '%s' refused to import fixture private key '%s'",
                                     tok->info.label, label);
            goto out;
        }
        rv = fl->C_CreateObject(tok->session, pub_tmpl, np, &pub);
        if (rv != CKR_OK) {
            pub = CK_INVALID_HANDLE;
            err = hsmca_hsm_fail_ckr(HSMCA_E_PKCS11, rv,
                                     "token '%s' refused to import fixture public key '%s'",
                                     tok->info.label, label);
            goto out;
        }
    }
    HSMCA_GUARD(hsmca_hsm_int_key_from_private(tok, prv, &key));
    {
        const hsmca_key_info *k = hsmca_hsm_key_info(key);
        HSMCA_ENSURE(k->sensitive == 1 && k->extractable == 0 && k->can_sign == 1 &&
                         k->can_decrypt == 0 && k->can_unwrap == 0 && k->can_derive == 0,
                     HSMCA_E_VERIFY,
                     "the token imported fixture key '%s' with other attributes than asked "
                     "(sensitive, not extractable, sign only); it was destroyed", label);
    }
    HSMCA_ENSURE(EVP_PKEY_eq(hsmca_hsm_key_get0_public(key), priv) == 1, HSMCA_E_VERIFY,
                 "the token's public key for imported fixture key '%s' is not the imported "
                 "one; it was destroyed", label);
    pthread_mutex_unlock(&tok->hsm->lock);
    locked = 0;
    HSMCA_GUARD(hsmca_hsm_int_key_self_test(key));
    hsmca_log_info("imported fixture key '%s' into token '%s'", label, tok->info.label);
    if (out_imported != NULL)
        *out_imported = 1;
    *out = key;
    key = NULL;
    pub = prv = CK_INVALID_HANDLE;
out:
    if (!locked && (pub != CK_INVALID_HANDLE || prv != CK_INVALID_HANDLE)) {
        pthread_mutex_lock(&tok->hsm->lock);
        locked = 1;
    }
    if (prv != CK_INVALID_HANDLE)
        fl->C_DestroyObject(tok->session, prv);
    if (pub != CK_INVALID_HANDLE)
        fl->C_DestroyObject(tok->session, pub);
    if (locked)
        pthread_mutex_unlock(&tok->hsm->lock);
    hsmca_hsm_key_free(key);
    for (int i = 0; i < 8; i++) {
        if (v[i] != NULL)
            OPENSSL_cleanse(v[i], vl[i]);
        free(v[i]);
    }
    OPENSSL_free(point_os);
    return err;
}
