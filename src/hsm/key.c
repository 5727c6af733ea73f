/* hsmca — key pairs in a token: generation, lookup, public keys, signers.
 *
 * Generation uses raw C_GenerateKeyPair on our read-write session because
 * libp11 0.4.12 cannot generate EC keys (DESIGN.md). Signing uses libp11's
 * EVP_PKEY, which hashes in OpenSSL and signs with plain CKM_RSA_PKCS /
 * CKM_ECDSA in the token. Public keys are rebuilt from public attributes,
 * never through PKCS11_get_public_key (it leaks a PIN copy in 0.4.12).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/asn1.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include "hsm_int.h"
#include "hsmca/log.h"

/* DER OIDs for CKA_EC_PARAMS (namedCurve only, BR 7.1.3.1). */
static const uint8_t oid_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};

/* CKA_ID length: 20 octets, the length of a SHA-1 key identifier that many
 * tools expect, but drawn from the token's RNG (issue #2). */
#define KEY_ID_LEN 20

static const struct {
    hsmca_key_type type;
    const char *name;
    const char *aliases[4];
} key_types[] = {
    {HSMCA_KEY_RSA2048, "rsa2048", {"rsa-2048", "rsa:2048", NULL}},
    {HSMCA_KEY_RSA3072, "rsa3072", {"rsa-3072", "rsa:3072", NULL}},
    {HSMCA_KEY_RSA4096, "rsa4096", {"rsa-4096", "rsa:4096", NULL}},
    {HSMCA_KEY_EC_P256, "p256", {"ec-p256", "ecdsa-p256", "p-256", "prime256v1"}},
    {HSMCA_KEY_EC_P384, "p384", {"ec-p384", "ecdsa-p384", "p-384", "secp384r1"}},
};

hsmca_key_type hsmca_hsm_key_type_parse(const char *name)
{
    for (size_t i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++) {
        if (strcasecmp(name, key_types[i].name) == 0)
            return key_types[i].type;
        for (size_t j = 0; j < 4 && key_types[i].aliases[j] != NULL; j++)
            if (strcasecmp(name, key_types[i].aliases[j]) == 0)
                return key_types[i].type;
    }
    return 0;
}

const char *hsmca_hsm_key_type_name(hsmca_key_type t)
{
    for (size_t i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++)
        if (key_types[i].type == t)
            return key_types[i].name;
    return "unknown";
}

static int is_rsa(hsmca_key_type t)
{
    return t == HSMCA_KEY_RSA2048 || t == HSMCA_KEY_RSA3072 || t == HSMCA_KEY_RSA4096;
}

/* ---- attribute helpers (caller holds hsm->lock) ---- */

/* Read one variable-length attribute into a fresh buffer. */
static CK_RV get_attr(hsmca_token *tok, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type,
                      uint8_t **out, size_t *out_len)
{
    CK_ATTRIBUTE a = {type, NULL, 0};
    CK_RV rv = tok->hsm->fl->C_GetAttributeValue(tok->session, obj, &a, 1);

    *out = NULL;
    *out_len = 0;
    if (rv != CKR_OK)
        return rv;
    if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
        return CKR_ATTRIBUTE_TYPE_INVALID;
    a.pValue = malloc(a.ulValueLen ? a.ulValueLen : 1);
    if (a.pValue == NULL)
        return CKR_HOST_MEMORY;
    rv = tok->hsm->fl->C_GetAttributeValue(tok->session, obj, &a, 1);
    if (rv != CKR_OK) {
        free(a.pValue);
        return rv;
    }
    *out = a.pValue;
    *out_len = a.ulValueLen;
    return CKR_OK;
}

/* A CK_BBOOL attribute: 1, 0, or -1 when the token does not say. */
static int get_bool(hsmca_token *tok, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type)
{
    CK_BBOOL v = CK_FALSE;
    CK_ATTRIBUTE a = {type, &v, sizeof(v)};

    if (tok->hsm->fl->C_GetAttributeValue(tok->session, obj, &a, 1) != CKR_OK)
        return -1;
    return v ? 1 : 0;
}

static CK_RV find_objects(hsmca_token *tok, CK_ATTRIBUTE *tmpl, CK_ULONG n,
                          CK_OBJECT_HANDLE **out, CK_ULONG *out_n)
{
    CK_FUNCTION_LIST_PTR fl = tok->hsm->fl;
    CK_OBJECT_HANDLE *list = NULL, *grown;
    CK_ULONG count = 0, cap = 0, got = 0;
    CK_RV rv;

    *out = NULL;
    *out_n = 0;
    rv = fl->C_FindObjectsInit(tok->session, tmpl, n);
    if (rv != CKR_OK)
        return rv;
    do {
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            grown = realloc(list, cap * sizeof(*list));
            if (grown == NULL) {
                rv = CKR_HOST_MEMORY;
                break;
            }
            list = grown;
        }
        rv = fl->C_FindObjects(tok->session, list + count, cap - count, &got);
        if (rv != CKR_OK)
            break;
        count += got;
    } while (got > 0);
    fl->C_FindObjectsFinal(tok->session);
    if (rv != CKR_OK) {
        free(list);
        return rv;
    }
    *out = list;
    *out_n = count;
    return CKR_OK;
}

/* Public key from CKA_MODULUS/CKA_PUBLIC_EXPONENT or CKA_EC_PARAMS/CKA_EC_POINT.
 * CKA_EC_POINT comes back DER-wrapped in an OCTET STRING (DESIGN.md); accept
 * the raw point too, as some modules return it. */
static hsmca_err public_from_object(hsmca_token *tok, CK_OBJECT_HANDLE obj, CK_KEY_TYPE kt,
                                    EVP_PKEY **out)
{
    hsmca_err err = HSMCA_OK;
    uint8_t *a = NULL, *b = NULL;
    size_t alen = 0, blen = 0;
    BIGNUM *n = NULL, *e = NULL;
    ASN1_OCTET_STRING *os = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    EVP_PKEY *pkey = NULL;
    CK_RV rv;

    bld = OSSL_PARAM_BLD_new();
    HSMCA_ALLOC(bld);
    if (kt == CKK_RSA) {
        if ((rv = get_attr(tok, obj, CKA_MODULUS, &a, &alen)) != CKR_OK ||
            (rv = get_attr(tok, obj, CKA_PUBLIC_EXPONENT, &b, &blen)) != CKR_OK) {
            err = hsmca_hsm_fail_ckr(HSMCA_E_PKCS11, rv, "cannot read the RSA public key");
            goto out;
        }
        n = BN_bin2bn(a, (int)alen, NULL);
        e = BN_bin2bn(b, (int)blen, NULL);
        HSMCA_OSSL(n != NULL && e != NULL, "cannot convert the RSA public key");
        HSMCA_OSSL(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
                       OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e),
                   "cannot build the RSA public key");
        pctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    } else if (kt == CKK_EC) {
        const char *group = NULL;
        const uint8_t *p, *point;
        size_t point_len;

        if ((rv = get_attr(tok, obj, CKA_EC_PARAMS, &a, &alen)) != CKR_OK ||
            (rv = get_attr(tok, obj, CKA_EC_POINT, &b, &blen)) != CKR_OK) {
            err = hsmca_hsm_fail_ckr(HSMCA_E_PKCS11, rv, "cannot read the EC public key");
            goto out;
        }
        if (alen == sizeof(oid_p256) && memcmp(a, oid_p256, alen) == 0)
            group = "P-256";
        else if (alen == sizeof(oid_p384) && memcmp(a, oid_p384, alen) == 0)
            group = "P-384";
        HSMCA_ENSURE(group != NULL, HSMCA_E_INPUT,
                     "EC key on a curve hsmca does not use (P-256 and P-384 only)");
        p = b;
        os = d2i_ASN1_OCTET_STRING(NULL, &p, (long)blen);
        if (os != NULL && p == b + blen) {
            point = ASN1_STRING_get0_data(os);
            point_len = (size_t)ASN1_STRING_length(os);
        } else {
            point = b;
            point_len = blen;
        }
        ERR_clear_error();
        HSMCA_OSSL(OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) &&
                       OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point,
                                                        point_len),
                   "cannot build the EC public key");
        pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    } else {
        HSMCA_FAIL(HSMCA_E_INPUT, "key type %lu is neither RSA nor EC", (unsigned long)kt);
    }
    params = OSSL_PARAM_BLD_to_param(bld);
    HSMCA_OSSL(params != NULL && pctx != NULL, "cannot build the public key");
    HSMCA_OSSL(EVP_PKEY_fromdata_init(pctx) > 0 &&
                   EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) > 0,
               "the token's public key is not valid");
    *out = pkey;
    pkey = NULL;
out:
    free(a);
    free(b);
    BN_free(n);
    BN_free(e);
    ASN1_OCTET_STRING_free(os);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(pctx);
    EVP_PKEY_free(pkey);
    return err;
}

static hsmca_key_type key_type_of(EVP_PKEY *pub)
{
    int bits = EVP_PKEY_get_bits(pub);

    if (EVP_PKEY_is_a(pub, "RSA"))
        return bits == 2048 ? HSMCA_KEY_RSA2048
             : bits == 3072 ? HSMCA_KEY_RSA3072
             : bits == 4096 ? HSMCA_KEY_RSA4096 : 0;
    if (EVP_PKEY_is_a(pub, "EC"))
        return bits == 256 ? HSMCA_KEY_EC_P256 : bits == 384 ? HSMCA_KEY_EC_P384 : 0;
    return 0;
}

static void read_private_flags(hsmca_token *tok, CK_OBJECT_HANDLE priv, hsmca_key_info *info)
{
    info->sensitive = get_bool(tok, priv, CKA_SENSITIVE);
    info->extractable = get_bool(tok, priv, CKA_EXTRACTABLE);
    info->always_sensitive = get_bool(tok, priv, CKA_ALWAYS_SENSITIVE);
    info->never_extractable = get_bool(tok, priv, CKA_NEVER_EXTRACTABLE);
    info->can_sign = get_bool(tok, priv, CKA_SIGN);
    info->can_decrypt = get_bool(tok, priv, CKA_DECRYPT);
    info->can_unwrap = get_bool(tok, priv, CKA_UNWRAP);
    info->can_derive = get_bool(tok, priv, CKA_DERIVE);
}

/* Label and id of an object into info (truncating an over-long label). */
static hsmca_err read_label_id(hsmca_token *tok, CK_OBJECT_HANDLE obj, hsmca_key_info *info)
{
    uint8_t *v = NULL;
    size_t n = 0;
    CK_RV rv;

    rv = get_attr(tok, obj, CKA_LABEL, &v, &n);
    if (rv == CKR_OK) {
        if (n >= sizeof(info->label))
            n = sizeof(info->label) - 1;
        memcpy(info->label, v, n);
        info->label[n] = '\0';
    }
    free(v);
    rv = get_attr(tok, obj, CKA_ID, &v, &n);
    if (rv == CKR_OK && n <= HSMCA_KEY_ID_MAX) {
        memcpy(info->id, v, n);
        info->id_len = n;
    }
    free(v);
    return HSMCA_OK;
}

/* ---- listing ---- */

static hsmca_key_info *find_info(hsmca_key_info *list, size_t n, const hsmca_key_info *k)
{
    for (size_t i = 0; i < n; i++)
        if (list[i].id_len == k->id_len && memcmp(list[i].id, k->id, k->id_len) == 0 &&
            strcmp(list[i].label, k->label) == 0)
            return &list[i];
    return NULL;
}

hsmca_err hsmca_hsm_keys(hsmca_token *tok, hsmca_key_info **out, size_t *out_n)
{
    hsmca_err err = HSMCA_OK;
    CK_OBJECT_CLASS classes[2] = {CKO_PRIVATE_KEY, CKO_PUBLIC_KEY};
    CK_OBJECT_HANDLE *objs = NULL;
    CK_ULONG nobjs = 0;
    hsmca_key_info *list = NULL, *grown;
    size_t n = 0, cap = 0;
    EVP_PKEY *pub = NULL;
    CK_RV rv;

    pthread_mutex_lock(&tok->hsm->lock);
    for (int c = 0; c < 2; c++) {
        CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &classes[c], sizeof(classes[c])}};

        rv = find_objects(tok, tmpl, 1, &objs, &nobjs);
        if (rv != CKR_OK) {
            err = hsmca_hsm_fail_ckr(HSMCA_E_PKCS11, rv, "cannot list keys on token '%s'",
                                     tok->info.label);
            goto out;
        }
        for (CK_ULONG i = 0; i < nobjs; i++) {
            hsmca_key_info k, *slot;
            CK_KEY_TYPE kt = 0;
            CK_ATTRIBUTE ka = {CKA_KEY_TYPE, &kt, sizeof(kt)};

            memset(&k, 0, sizeof(k));
            HSMCA_GUARD(read_label_id(tok, objs[i], &k));
            slot = find_info(list, n, &k);
            if (slot == NULL) {
                if (n == cap) {
                    cap = cap ? cap * 2 : 8;
                    grown = realloc(list, cap * sizeof(*list));
                    HSMCA_ALLOC(grown);
                    list = grown;
                }
                slot = &list[n++];
                *slot = k;
            }
            if (classes[c] == CKO_PRIVATE_KEY) {
                slot->has_private = 1;
                read_private_flags(tok, objs[i], slot);
            } else {
                slot->has_public = 1;
                if (tok->hsm->fl->C_GetAttributeValue(tok->session, objs[i], &ka, 1) == CKR_OK &&
                    public_from_object(tok, objs[i], kt, &pub) == HSMCA_OK) {
                    slot->type = key_type_of(pub);
                    slot->bits = (unsigned)EVP_PKEY_get_bits(pub);
                }
                hsmca_err_clear(); /* an unusable public key is listed, not fatal */
                EVP_PKEY_free(pub);
                pub = NULL;
            }
        }
        free(objs);
        objs = NULL;
    }
    *out = list;
    list = NULL;
    *out_n = n;
out:
    pthread_mutex_unlock(&tok->hsm->lock);
    free(objs);
    free(list);
    EVP_PKEY_free(pub);
    return err;
}

/* ---- lookup ---- */

/* Objects of a class with this label and/or id. */
static hsmca_err find_by_sel(hsmca_token *tok, CK_OBJECT_CLASS cls, const hsmca_key_sel *sel,
                             CK_OBJECT_HANDLE **out, CK_ULONG *out_n)
{
    CK_ATTRIBUTE tmpl[3];
    CK_ULONG nt = 0;
    CK_RV rv;

    tmpl[nt++] = (CK_ATTRIBUTE){CKA_CLASS, &cls, sizeof(cls)};
    if (sel->label != NULL)
        tmpl[nt++] = (CK_ATTRIBUTE){CKA_LABEL, (void *)(uintptr_t)sel->label, strlen(sel->label)};
    if (sel->id != NULL)
        tmpl[nt++] = (CK_ATTRIBUTE){CKA_ID, (void *)(uintptr_t)sel->id, sel->id_len};
    rv = find_objects(tok, tmpl, nt, out, out_n);
    if (rv != CKR_OK)
        return hsmca_hsm_fail_ckr(HSMCA_E_PKCS11, rv, "cannot search token '%s'",
                                  tok->info.label);
    return HSMCA_OK;
}

static void describe_key_sel(const hsmca_key_sel *sel, char *buf, size_t len)
{
    size_t n = 0;

    buf[0] = '\0';
    if (sel->label != NULL)
        n += (size_t)snprintf(buf, len, "label '%s'", sel->label);
    if (sel->id != NULL && n < len) {
        n += (size_t)snprintf(buf + n, len - n, "%sid ", n ? " and " : "");
        for (size_t i = 0; i < sel->id_len && n + 3 < len; i++)
            n += (size_t)snprintf(buf + n, len - n, "%02x", sel->id[i]);
    }
}

/* libp11's private key with this id and label, as an EVP_PKEY we own.
 * PKCS11_KEY pointers go stale when libp11 re-enumerates, so only the
 * EVP_PKEY is kept (DESIGN.md). */
static hsmca_err libp11_signer(hsmca_token *tok, const hsmca_key_info *info, EVP_PKEY **out)
{
    hsmca_err err = HSMCA_OK;
    PKCS11_KEY *keys = NULL;
    unsigned int nkeys = 0;
    EVP_PKEY *pkey = NULL;

    if (PKCS11_enumerate_keys(tok->slot->token, &keys, &nkeys) != 0) {
        CK_RV rv = hsmca_hsm_take_libp11_ckr();
        err = hsmca_hsm_fail_ckr(HSMCA_E_PKCS11, rv, "cannot enumerate keys on token '%s'",
                                 tok->info.label);
        goto out;
    }
    for (unsigned int i = 0; i < nkeys; i++) {
        PKCS11_KEY *k = &keys[i];
        const char *label = k->label ? k->label : "";
        if (!k->isPrivate || k->id_len != info->id_len ||
            memcmp(k->id, info->id, info->id_len) != 0 || strcmp(label, info->label) != 0)
            continue;
        pkey = PKCS11_get_private_key(k);
        if (pkey == NULL) {
            CK_RV rv = hsmca_hsm_take_libp11_ckr();
            err = hsmca_hsm_fail_ckr(HSMCA_E_PKCS11, rv,
                                     "cannot use private key '%s' on token '%s'", info->label,
                                     tok->info.label);
            goto out;
        }
        break;
    }
    HSMCA_ENSURE(pkey != NULL, HSMCA_E_KEY_NOT_FOUND,
                 "libp11 does not see private key '%s' on token '%s'", info->label,
                 tok->info.label);
    *out = pkey;
    pkey = NULL;
out:
    EVP_PKEY_free(pkey);
    return err;
}

/* Sign a fixed message in the token and verify it in OpenSSL with the public
 * key from the token's attributes: proves the pair belongs together and the
 * signer works before anything is built on it. */
static hsmca_err self_test(const hsmca_key *key)
{
    hsmca_err err = HSMCA_OK;
    static const char msg[] = "hsmca key self-test";
    EVP_MD_CTX *md = NULL;
    uint8_t *sig = NULL;
    size_t siglen = 0;

    md = EVP_MD_CTX_new();
    HSMCA_ALLOC(md);
    HSMCA_OSSL(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key->signer) > 0 &&
                   EVP_DigestSign(md, NULL, &siglen, (const uint8_t *)msg, sizeof(msg)) > 0,
               "key '%s': cannot start a test signature", key->info.label);
    sig = OPENSSL_malloc(siglen);
    HSMCA_ALLOC(sig);
    if (EVP_DigestSign(md, sig, &siglen, (const uint8_t *)msg, sizeof(msg)) <= 0) {
        CK_RV rv = hsmca_hsm_take_libp11_ckr();
        err = hsmca_hsm_fail_ckr(HSMCA_E_PKCS11, rv, "key '%s': the token failed to sign",
                                 key->info.label);
        goto out;
    }
    EVP_MD_CTX_free(md);
    md = EVP_MD_CTX_new();
    HSMCA_ALLOC(md);
    HSMCA_OSSL(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key->pub) > 0,
               "key '%s': cannot verify the test signature", key->info.label);
    if (EVP_DigestVerify(md, sig, siglen, (const uint8_t *)msg, sizeof(msg)) != 1) {
        ERR_clear_error();
        HSMCA_FAIL(HSMCA_E_VERIFY,
                   "key '%s': the token's signature does not verify with its public key",
                   key->info.label);
    }
out:
    EVP_MD_CTX_free(md);
    OPENSSL_free(sig);
    return err;
}

/* Build a hsmca_key from a private key handle (lock held). */
static hsmca_err key_from_private(hsmca_token *tok, CK_OBJECT_HANDLE priv, hsmca_key **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_key *key = NULL;
    CK_OBJECT_HANDLE *pubs = NULL;
    CK_ULONG npubs = 0;
    CK_KEY_TYPE kt = 0;
    CK_ATTRIBUTE ka = {CKA_KEY_TYPE, &kt, sizeof(kt)};
    hsmca_key_sel by_id;
    CK_RV rv;

    key = calloc(1, sizeof(*key));
    HSMCA_ALLOC(key);
    key->tok = tok;
    HSMCA_GUARD(read_label_id(tok, priv, &key->info));
    key->info.has_private = 1;
    read_private_flags(tok, priv, &key->info);
    rv = tok->hsm->fl->C_GetAttributeValue(tok->session, priv, &ka, 1);
    if (rv != CKR_OK) {
        err = hsmca_hsm_fail_ckr(HSMCA_E_PKCS11, rv, "cannot read the type of key '%s'",
                                 key->info.label);
        goto out;
    }
    HSMCA_ENSURE(kt == CKK_RSA || kt == CKK_EC, HSMCA_E_INPUT,
                 "key '%s' is neither RSA nor EC", key->info.label);

    /* The public half: the one public-key object with the same CKA_ID and
     * label. An empty or unreadable CKA_ID would pair with any such object. */
    HSMCA_ENSURE(key->info.id_len > 0, HSMCA_E_INPUT,
                 "key '%s' on token '%s' has no usable CKA_ID (empty or longer than %d "
                 "bytes), so its public half cannot be told apart", key->info.label,
                 tok->info.label, HSMCA_KEY_ID_MAX);
    by_id = (hsmca_key_sel){key->info.label, key->info.id, key->info.id_len};
    HSMCA_GUARD(find_by_sel(tok, CKO_PUBLIC_KEY, &by_id, &pubs, &npubs));
    HSMCA_ENSURE(npubs == 1, HSMCA_E_KEY_NOT_FOUND,
                 "key '%s' has %lu public-key objects with the same CKA_ID and label on "
                 "token '%s' (exactly one is needed)", key->info.label, (unsigned long)npubs,
                 tok->info.label);
    HSMCA_GUARD(public_from_object(tok, pubs[0], kt, &key->pub));
    key->info.has_public = 1;
    key->info.type = key_type_of(key->pub);
    key->info.bits = (unsigned)EVP_PKEY_get_bits(key->pub);
    HSMCA_ENSURE(key->info.type != 0, HSMCA_E_INPUT,
                 "key '%s' is a %u-bit %s key; hsmca uses RSA 2048/3072/4096 and "
                 "ECDSA P-256/P-384", key->info.label, key->info.bits,
                 kt == CKK_RSA ? "RSA" : "EC");
    HSMCA_GUARD(libp11_signer(tok, &key->info, &key->signer));
    *out = key;
    key = NULL;
out:
    free(pubs);
    hsmca_hsm_key_free(key);
    return err;
}

hsmca_err hsmca_hsm_key_find(hsmca_token *tok, const hsmca_key_sel *sel, hsmca_key **out)
{
    hsmca_err err = HSMCA_OK;
    CK_OBJECT_HANDLE *objs = NULL;
    CK_ULONG n = 0;
    char want[256];

    HSMCA_ENSURE(sel->label != NULL || sel->id != NULL, HSMCA_E_USAGE,
                 "no key chosen: give a key label or id");
    describe_key_sel(sel, want, sizeof(want));
    HSMCA_ENSURE(tok->logged_in, HSMCA_E_STATE,
                 "token '%s' is not logged in; private keys are invisible", tok->info.label);
    pthread_mutex_lock(&tok->hsm->lock);
    err = find_by_sel(tok, CKO_PRIVATE_KEY, sel, &objs, &n);
    if (err == HSMCA_OK && n == 0)
        err = hsmca_err_setf(HSMCA_E_KEY_NOT_FOUND,
                             "no private key with %s on token '%s' (list them with "
                             "'hsmca hsm keys')", want, tok->info.label);
    else if (err == HSMCA_OK && n > 1)
        err = hsmca_err_setf(HSMCA_E_INPUT,
                             "%lu private keys match %s on token '%s'; choose one by id",
                             (unsigned long)n, want, tok->info.label);
    if (err == HSMCA_OK)
        err = key_from_private(tok, objs[0], out);
    if (err == HSMCA_OK)
        hsmca_log_debug("found %s key %s on token '%s'", hsmca_hsm_key_type_name((*out)->info.type),
                        want, tok->info.label);
    pthread_mutex_unlock(&tok->hsm->lock);
out:
    free(objs);
    return err;
}

void hsmca_hsm_key_free(hsmca_key *key)
{
    if (key == NULL)
        return;
    EVP_PKEY_free(key->signer);
    EVP_PKEY_free(key->pub);
    free(key);
}

hsmca_err hsmca_hsm_key_destroy(hsmca_key *key)
{
    hsmca_err err = HSMCA_OK;
    hsmca_token *tok;
    CK_OBJECT_HANDLE *objs = NULL;
    CK_ULONG n = 0;
    CK_OBJECT_CLASS classes[2] = {CKO_PRIVATE_KEY, CKO_PUBLIC_KEY};
    hsmca_key_sel sel;
    int locked = 0;
    CK_RV rv;

    if (key == NULL)
        return HSMCA_OK;
    tok = key->tok;
    sel = (hsmca_key_sel){key->info.label, key->info.id, key->info.id_len};
    pthread_mutex_lock(&tok->hsm->lock);
    locked = 1;
    for (int c = 0; c < 2; c++) {
        HSMCA_GUARD(find_by_sel(tok, classes[c], &sel, &objs, &n));
        for (CK_ULONG i = 0; i < n; i++) {
            rv = tok->hsm->fl->C_DestroyObject(tok->session, objs[i]);
            if (rv != CKR_OK) {
                err = hsmca_hsm_fail_ckr(HSMCA_E_PKCS11, rv, "cannot destroy key '%s' on token '%s'",
                                         key->info.label, tok->info.label);
                goto out;
            }
        }
        free(objs);
        objs = NULL;
    }
    hsmca_log_info("destroyed key '%s' on token '%s'", key->info.label, tok->info.label);
out:
    if (locked)
        pthread_mutex_unlock(&tok->hsm->lock);
    free(objs);
    hsmca_hsm_key_free(key);
    return err;
}

const hsmca_key_info *hsmca_hsm_key_info(const hsmca_key *key)
{
    return &key->info;
}

EVP_PKEY *hsmca_hsm_key_get0_signer(const hsmca_key *key)
{
    return key->signer;
}

EVP_PKEY *hsmca_hsm_key_get0_public(const hsmca_key *key)
{
    return key->pub;
}

/* ---- generation ---- */

/* Does any object (key or certificate, public or private) carry this label? */
static hsmca_err label_in_use(hsmca_token *tok, const char *label, int *out)
{
    CK_ATTRIBUTE tmpl[] = {{CKA_LABEL, (void *)(uintptr_t)label, strlen(label)}};
    CK_OBJECT_HANDLE *objs = NULL;
    CK_ULONG n = 0;
    CK_RV rv = find_objects(tok, tmpl, 1, &objs, &n);

    free(objs);
    if (rv != CKR_OK)
        return hsmca_hsm_fail_ckr(HSMCA_E_PKCS11, rv, "cannot search token '%s'",
                                  tok->info.label);
    *out = n > 0;
    return HSMCA_OK;
}

/* Check what the token says it made against what we asked for: a module that
 * silently ignores CKA_SENSITIVE or CKA_EXTRACTABLE must not be trusted with
 * a CA key. */
static hsmca_err check_generated(const hsmca_key_info *k)
{
    struct {
        const char *name;
        int got, want;
    } checks[] = {
        {"CKA_SENSITIVE", k->sensitive, 1},
        {"CKA_EXTRACTABLE", k->extractable, 0},
        {"CKA_ALWAYS_SENSITIVE", k->always_sensitive, 1},
        {"CKA_NEVER_EXTRACTABLE", k->never_extractable, 1},
        {"CKA_SIGN", k->can_sign, 1},
        {"CKA_DECRYPT", k->can_decrypt, 0},
        {"CKA_UNWRAP", k->can_unwrap, 0},
        {"CKA_DERIVE", k->can_derive, 0},
    };

    for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
        if (checks[i].got != checks[i].want)
            return hsmca_err_setf(HSMCA_E_VERIFY,
                                  "the token made key '%s' with %s %s (asked for %s); "
                                  "the key was destroyed",
                                  k->label, checks[i].name,
                                  checks[i].got < 0 ? "unreadable" : checks[i].got ? "true" : "false",
                                  checks[i].want ? "true" : "false");
    }
    return HSMCA_OK;
}

hsmca_err hsmca_hsm_keygen(hsmca_token *tok, hsmca_key_type type, const char *label,
                           hsmca_key **out)
{
    hsmca_err err = HSMCA_OK;
    CK_FUNCTION_LIST_PTR fl = tok->hsm->fl;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_OBJECT_CLASS pub_cls = CKO_PUBLIC_KEY, priv_cls = CKO_PRIVATE_KEY;
    CK_KEY_TYPE kt = is_rsa(type) ? CKK_RSA : CKK_EC;
    CK_ULONG bits = type == HSMCA_KEY_RSA2048 ? 2048 : type == HSMCA_KEY_RSA3072 ? 3072 : 4096;
    CK_BYTE exponent[] = {0x01, 0x00, 0x01}; /* 65537: BR 6.1.6 */
    CK_MECHANISM mech = {is_rsa(type) ? CKM_RSA_PKCS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN, NULL, 0};
    uint8_t id[KEY_ID_LEN];
    CK_OBJECT_HANDLE pub = CK_INVALID_HANDLE, priv = CK_INVALID_HANDLE;
    hsmca_key *key = NULL;
    CK_ULONG label_len;
    int exists = 0, locked = 0;
    CK_RV rv;

    HSMCA_ENSURE(type >= HSMCA_KEY_RSA2048 && type <= HSMCA_KEY_EC_P384, HSMCA_E_USAGE,
                 "unknown key type %d", (int)type);
    HSMCA_ENSURE(label != NULL && label[0] != '\0', HSMCA_E_USAGE, "a key needs a label");
    label_len = (CK_ULONG)strlen(label);
    HSMCA_ENSURE(label_len <= 127, HSMCA_E_USAGE, "key label '%s' is longer than 127 bytes",
                 label);
    HSMCA_ENSURE(tok->logged_in, HSMCA_E_STATE,
                 "log in to token '%s' before generating a key", tok->info.label);

    /* The id first (hsmca_hsm_random takes the lock itself), then the label
     * check and the generation under one lock, so two threads cannot both
     * find a label free. */
    HSMCA_GUARD(hsmca_hsm_random(tok, id, sizeof(id)));
    pthread_mutex_lock(&tok->hsm->lock);
    locked = 1;
    HSMCA_GUARD(label_in_use(tok, label, &exists));
    HSMCA_ENSURE(!exists, HSMCA_E_KEY_EXISTS,
                 "token '%s' already has an object labelled '%s'; choose another label "
                 "(keys are never replaced)", tok->info.label, label);

    {
        CK_ATTRIBUTE pub_tmpl[] = {
            {CKA_CLASS, &pub_cls, sizeof(pub_cls)},
            {CKA_KEY_TYPE, &kt, sizeof(kt)},
            {CKA_TOKEN, &yes, sizeof(yes)},
            {CKA_PRIVATE, &no, sizeof(no)},
            {CKA_LABEL, (void *)(uintptr_t)label, label_len},
            {CKA_ID, id, sizeof(id)},
            /* Every usage explicit: SoftHSM's defaults allow encrypt/wrap. */
            {CKA_VERIFY, &yes, sizeof(yes)},
            {CKA_ENCRYPT, &no, sizeof(no)},
            {CKA_WRAP, &no, sizeof(no)},
            {CKA_DERIVE, &no, sizeof(no)},
            /* the last two vary by algorithm */
            {CKA_MODULUS_BITS, &bits, sizeof(bits)},
            {CKA_PUBLIC_EXPONENT, exponent, sizeof(exponent)},
        };
        CK_ATTRIBUTE priv_tmpl[] = {
            {CKA_CLASS, &priv_cls, sizeof(priv_cls)},
            {CKA_KEY_TYPE, &kt, sizeof(kt)},
            {CKA_TOKEN, &yes, sizeof(yes)},
            {CKA_PRIVATE, &yes, sizeof(yes)},
            {CKA_SENSITIVE, &yes, sizeof(yes)},
            {CKA_EXTRACTABLE, &no, sizeof(no)},
            {CKA_LABEL, (void *)(uintptr_t)label, label_len},
            {CKA_ID, id, sizeof(id)},
            {CKA_SIGN, &yes, sizeof(yes)},
            {CKA_DECRYPT, &no, sizeof(no)},
            {CKA_UNWRAP, &no, sizeof(no)},
            {CKA_DERIVE, &no, sizeof(no)},
        };
        CK_ULONG npub = sizeof(pub_tmpl) / sizeof(pub_tmpl[0]);

        if (!is_rsa(type)) {
            const uint8_t *oid = type == HSMCA_KEY_EC_P256 ? oid_p256 : oid_p384;
            size_t oid_len = type == HSMCA_KEY_EC_P256 ? sizeof(oid_p256) : sizeof(oid_p384);
            pub_tmpl[npub - 2] = (CK_ATTRIBUTE){CKA_EC_PARAMS, (void *)(uintptr_t)oid, oid_len};
            npub--;
        }
        rv = fl->C_GenerateKeyPair(tok->session, &mech, pub_tmpl, npub, priv_tmpl,
                                   sizeof(priv_tmpl) / sizeof(priv_tmpl[0]), &pub, &priv);
        if (rv != CKR_OK) {
            pub = priv = CK_INVALID_HANDLE;
            err = hsmca_hsm_fail_ckr(HSMCA_E_PKCS11, rv,
                                     "token '%s' could not generate a %s key '%s'",
                                     tok->info.label, hsmca_hsm_key_type_name(type), label);
            goto out;
        }
    }

    HSMCA_GUARD(key_from_private(tok, priv, &key));
    HSMCA_GUARD(check_generated(&key->info));
    HSMCA_ENSURE(key->info.type == type, HSMCA_E_VERIFY,
                 "the token made a %s key when %s was asked for; the key was destroyed",
                 hsmca_hsm_key_type_name(key->info.type), hsmca_hsm_key_type_name(type));
    pthread_mutex_unlock(&tok->hsm->lock);
    locked = 0;
    /* Outside the lock: signing runs through libp11's own session pool. */
    HSMCA_GUARD(self_test(key));

    hsmca_log_info("generated %s key '%s' in token '%s'", hsmca_hsm_key_type_name(type), label,
                   tok->info.label);
    *out = key;
    key = NULL;
    pub = priv = CK_INVALID_HANDLE;
out:
    if (!locked && (pub != CK_INVALID_HANDLE || priv != CK_INVALID_HANDLE)) {
        pthread_mutex_lock(&tok->hsm->lock);
        locked = 1;
    }
    /* Nothing half-made survives: destroy both halves on any failure. */
    if (priv != CK_INVALID_HANDLE)
        fl->C_DestroyObject(tok->session, priv);
    if (pub != CK_INVALID_HANDLE)
        fl->C_DestroyObject(tok->session, pub);
    if (locked)
        pthread_mutex_unlock(&tok->hsm->lock);
    hsmca_hsm_key_free(key);
    return err;
}

/* ---- for import.c (fixture keys) ---- */

hsmca_err hsmca_hsm_int_key_from_private(hsmca_token *tok, CK_OBJECT_HANDLE priv,
                                         hsmca_key **out)
{
    return key_from_private(tok, priv, out);
}

hsmca_err hsmca_hsm_int_key_self_test(const hsmca_key *key)
{
    return self_test(key);
}

hsmca_err hsmca_hsm_int_label_in_use(hsmca_token *tok, const char *label, int *out)
{
    return label_in_use(tok, label, out);
}
