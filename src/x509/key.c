/* hsmca — keys as src/x509 sees them: type, algorithm identifiers, key
 * identifiers, throwaway keys for pre-signing, and serial numbers. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "x509/x509_int.h"

/* BR 7.1.3.2 / CONFORMANCE.md §2: the exact signature AlgorithmIdentifiers. */
static const uint8_t sigalg_rsa_sha256[] = {   /* sha256WithRSAEncryption, NULL */
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00
};
static const uint8_t sigalg_ecdsa_sha256[] = { /* ecdsa-with-SHA256, absent params */
    0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02
};
static const uint8_t sigalg_ecdsa_sha384[] = { /* ecdsa-with-SHA384, absent params */
    0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03
};

/* BR 7.1.3.1 / CONFORMANCE.md §2: the exact SPKI AlgorithmIdentifiers. */
static const uint8_t spkialg_rsa[] = {
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00
};
static const uint8_t spkialg_p256[] = {
    0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
    0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07
};
static const uint8_t spkialg_p384[] = {
    0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
    0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22
};

hsmca_err x509_key_classify(EVP_PKEY *key, x509_key_class *out)
{
    x509_key_class kc;

    memset(&kc, 0, sizeof kc);
    if (key == NULL)
        return hsmca_err_setf(HSMCA_E_USAGE, "no key given");
    kc.bits = EVP_PKEY_get_bits(key);
    /* EVP_PKEY_is_a answers for provider keys and for the legacy RSA /
     * EC_KEY keys libp11 hands out. "RSA" excludes id-RSASSA-PSS keys,
     * which BR 7.1.3.1 forbids. */
    if (EVP_PKEY_is_a(key, "RSA")) {
        kc.is_rsa = 1;
        kc.profile_type = kc.bits == 2048   ? HSMCA_PROFILE_KEY_RSA2048
                          : kc.bits == 3072 ? HSMCA_PROFILE_KEY_RSA3072
                          : kc.bits == 4096 ? HSMCA_PROFILE_KEY_RSA4096 : 0;
        /* BR 7.1.3.2.1: RSASSA-PKCS1-v1_5 with SHA-256 for any RSA size. */
        kc.sign_md = EVP_sha256();
        snprintf(kc.desc, sizeof kc.desc, "RSA %d", kc.bits);
    } else if (EVP_PKEY_is_a(key, "EC")) {
        char group[64];
        size_t glen = 0;
        int nid = NID_undef;

        if (EVP_PKEY_get_group_name(key, group, sizeof group, &glen) != 1)
            return hsmca_err_openssl(HSMCA_E_INPUT, "cannot read the curve of an EC key "
                                     "(only named curves P-256 and P-384 are supported)");
        nid = OBJ_sn2nid(group);
        if (nid == NID_undef)
            nid = EC_curve_nist2nid(group);
        if (nid == NID_X9_62_prime256v1) {
            kc.ec_nid = nid;
            kc.profile_type = HSMCA_PROFILE_KEY_P256;
            kc.sign_md = EVP_sha256();  /* BR 7.1.3.2.2: the curve picks the hash */
            snprintf(kc.desc, sizeof kc.desc, "ECDSA P-256");
        } else if (nid == NID_secp384r1) {
            kc.ec_nid = nid;
            kc.profile_type = HSMCA_PROFILE_KEY_P384;
            kc.sign_md = EVP_sha384();
            snprintf(kc.desc, sizeof kc.desc, "ECDSA P-384");
        } else {
            snprintf(kc.desc, sizeof kc.desc, "EC %.36s", group);
        }
    } else {
        const char *name = EVP_PKEY_get0_type_name(key);

        snprintf(kc.desc, sizeof kc.desc, "%.40s key", name ? name : "unknown");
    }
    *out = kc;
    return HSMCA_OK;
}

const uint8_t *x509_sigalg_der(const x509_key_class *kc, size_t *len)
{
    if (kc->is_rsa) {
        *len = sizeof sigalg_rsa_sha256;
        return sigalg_rsa_sha256;
    }
    if (kc->ec_nid == NID_X9_62_prime256v1) {
        *len = sizeof sigalg_ecdsa_sha256;
        return sigalg_ecdsa_sha256;
    }
    if (kc->ec_nid == NID_secp384r1) {
        *len = sizeof sigalg_ecdsa_sha384;
        return sigalg_ecdsa_sha384;
    }
    *len = 0;
    return NULL;
}

const uint8_t *x509_spkialg_der(const x509_key_class *kc, size_t *len)
{
    if (kc->is_rsa) {
        *len = sizeof spkialg_rsa;
        return spkialg_rsa;
    }
    if (kc->ec_nid == NID_X9_62_prime256v1) {
        *len = sizeof spkialg_p256;
        return spkialg_p256;
    }
    if (kc->ec_nid == NID_secp384r1) {
        *len = sizeof spkialg_p384;
        return spkialg_p384;
    }
    *len = 0;
    return NULL;
}

hsmca_err x509_spki_der(EVP_PKEY *key, uint8_t **out, size_t *out_len)
{
    hsmca_err err = HSMCA_OK;
    unsigned char *der = NULL;
    int n;

    /* i2d_PUBKEY works for provider keys and for libp11's legacy keys. */
    n = i2d_PUBKEY(key, &der);
    HSMCA_OSSL(n > 0, "cannot encode a public key as SubjectPublicKeyInfo");
    *out = der;
    *out_len = (size_t)n;
    der = NULL;
out:
    OPENSSL_free(der);
    return err;
}

hsmca_err x509_key_id_of(const X509_PUBKEY *xpk, uint8_t out[20])
{
    hsmca_err err = HSMCA_OK;
    const unsigned char *bits = NULL;
    int nbits = 0;

    /* RFC 5280 §4.2.1.2 method 1: SHA-1 over the subjectPublicKey BIT STRING
     * value, without tag, length or unused-bits octet. get0_param returns
     * exactly those octets. */
    HSMCA_OSSL(xpk != NULL && X509_PUBKEY_get0_param(NULL, &bits, &nbits, NULL, xpk) == 1 &&
                   nbits > 0,
               "cannot read the subjectPublicKey bits");
    HSMCA_OSSL(SHA1(bits, (size_t)nbits, out) != NULL, "SHA-1 failed");
out:
    return err;
}

hsmca_err hsmca_x509_key_id(EVP_PKEY *key, uint8_t out[20])
{
    hsmca_err err = HSMCA_OK;
    X509_PUBKEY *xpk = NULL;

    HSMCA_ENSURE(key != NULL && out != NULL, HSMCA_E_USAGE, "hsmca_x509_key_id: no key");
    HSMCA_OSSL(X509_PUBKEY_set(&xpk, key) == 1, "cannot encode the public key");
    HSMCA_GUARD(x509_key_id_of(xpk, out));
out:
    X509_PUBKEY_free(xpk);
    return err;
}

/* Throwaway keys, one per key class, made on first use and shared for the
 * life of the process. Generating one per certificate made issuance with
 * RSA issuers crawl (an RSA-2048 key takes tens to hundreds of
 * milliseconds, several token signatures' worth); the key signs nothing
 * that is published or trusted, so reusing it changes nothing BR 4.3.1.2
 * asks for. Entries are never removed; at most a handful of classes exist
 * (RSA sizes, P-256, P-384). */
#define THROWAWAY_SLOTS 8

typedef struct throwaway_slot {
    int is_rsa;
    int bits;
    int ec_nid;
    EVP_PKEY *key;
} throwaway_slot;

static pthread_mutex_t throwaway_lock = PTHREAD_MUTEX_INITIALIZER;
static throwaway_slot throwaway_cache[THROWAWAY_SLOTS];

static int throwaway_same_class(const throwaway_slot *s, const x509_key_class *kc)
{
    return s->key != NULL && s->is_rsa == kc->is_rsa && s->bits == kc->bits &&
           s->ec_nid == kc->ec_nid;
}

/* The cached key of this class with a reference for the caller, or NULL. */
static EVP_PKEY *throwaway_lookup(const x509_key_class *kc)
{
    EVP_PKEY *k = NULL;

    pthread_mutex_lock(&throwaway_lock);
    for (size_t i = 0; i < THROWAWAY_SLOTS && k == NULL; i++)
        if (throwaway_same_class(&throwaway_cache[i], kc) &&
            EVP_PKEY_up_ref(throwaway_cache[i].key) == 1)
            k = throwaway_cache[i].key;
    pthread_mutex_unlock(&throwaway_lock);
    return k;
}

/* Keep *k for later callers. If another thread cached a key of the class
 * meanwhile, *k is swapped for that one, so every caller shares one key;
 * with the cache full, *k is simply not kept. */
static void throwaway_store(const x509_key_class *kc, EVP_PKEY **k)
{
    pthread_mutex_lock(&throwaway_lock);
    for (size_t i = 0; i < THROWAWAY_SLOTS; i++) {
        throwaway_slot *s = &throwaway_cache[i];

        if (throwaway_same_class(s, kc)) {
            if (EVP_PKEY_up_ref(s->key) == 1) {
                EVP_PKEY_free(*k);
                *k = s->key;
            }
            break;
        }
        if (s->key == NULL) {
            if (EVP_PKEY_up_ref(*k) == 1)
                *s = (throwaway_slot){kc->is_rsa, kc->bits, kc->ec_nid, *k};
            break;
        }
    }
    pthread_mutex_unlock(&throwaway_lock);
}

hsmca_err hsmca_x509_throwaway_key(EVP_PKEY *like, EVP_PKEY **out)
{
    hsmca_err err = HSMCA_OK;
    x509_key_class kc;
    EVP_PKEY *k = NULL;

    HSMCA_ENSURE(like != NULL && out != NULL, HSMCA_E_USAGE,
                 "hsmca_x509_throwaway_key: no key given");
    HSMCA_GUARD(x509_key_classify(like, &kc));
    /* BR 4.3.1.2: the lint copy is signed by a key of the same type, so the
     * TBS (signature AlgorithmIdentifier included) is the one the token signs. */
    if (kc.is_rsa) {
        HSMCA_ENSURE(kc.bits >= 2048 && kc.bits % 8 == 0, HSMCA_E_INPUT,
                     "cannot make a throwaway key like a %s key (BR 6.1.5: at least 2048 "
                     "bits, a multiple of 8)", kc.desc);
    } else if (kc.ec_nid == 0) {
        HSMCA_FAIL(HSMCA_E_INPUT, "cannot make a throwaway key like a %s: hsmca signs "
                   "with RSA, ECDSA P-256 or ECDSA P-384 keys", kc.desc);
    }
    k = throwaway_lookup(&kc);
    if (k == NULL) {
        /* Generated outside the lock: an RSA key takes long, and a thread
         * wanting another class must not wait for it. */
        if (kc.is_rsa)
            k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)kc.bits);
        else
            k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", OBJ_nid2sn(kc.ec_nid));
        HSMCA_OSSL(k != NULL, "generating a throwaway %s key failed", kc.desc);
        throwaway_store(&kc, &k);
    }
    *out = k;
    k = NULL;
out:
    EVP_PKEY_free(k);
    return err;
}

hsmca_err hsmca_x509_serial_from_random(const uint8_t *rnd, size_t n, uint8_t *out,
                                        size_t *out_len)
{
    hsmca_err err = HSMCA_OK;
    uint8_t tmp[HSMCA_X509_SERIAL_MAX];
    size_t take, skip = 0;

    HSMCA_ENSURE(rnd != NULL && out != NULL && out_len != NULL, HSMCA_E_USAGE,
                 "hsmca_x509_serial_from_random: missing argument");
    /* CONFORMANCE.md §1 / BR 7.1.2.x: at least 64 CSPRNG bits survive the
     * cleared top bit only with 9 or more octets. */
    HSMCA_ENSURE(n >= 9, HSMCA_E_INPUT,
                 "a serial needs at least 9 random octets (64 CSPRNG bits after the sign "
                 "bit), got %zu", n);
    /* RFC 5280 §4.1.2.2: at most 20 octets. */
    take = n < sizeof tmp ? n : sizeof tmp;
    memcpy(tmp, rnd, take);
    /* Positive without a 0x00 pad octet, so never 21 octets: clear the top
     * bit (CONFORMANCE.md §1). */
    tmp[0] &= 0x7f;
    /* DER INTEGER is minimal: drop leading zero octets, except one before
     * an octet with its top bit set (X.690 §8.3.2), which keeps it positive. */
    while (skip + 1 < take && tmp[skip] == 0 && tmp[skip + 1] < 0x80)
        skip++;
    HSMCA_ENSURE(skip + 1 < take || tmp[skip] != 0, HSMCA_E_INPUT,
                 "the random octets for a serial are all zero: the source of randomness "
                 "is broken (RFC 5280 §4.1.2.2: serials are positive)");
    memcpy(out, tmp + skip, take - skip);
    *out_len = take - skip;
out:
    OPENSSL_cleanse(tmp, sizeof tmp);
    return err;
}
