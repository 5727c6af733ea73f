/* hsmca — src/x509 internals shared by its .c files (not a public API). */
#ifndef HSMCA_X509_INT_H
#define HSMCA_X509_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "hsmca/err.h"
#include "hsmca/profile.h"
#include "hsmca/x509.h"

/* What hsmca needs to know about a key: the profile key type it is (0 when
 * none of rsa2048/3072/4096, p256, p384), whether it is RSA, and which
 * digest BR 7.1.3.2 pairs with it when it signs. */
typedef struct x509_key_class {
    unsigned profile_type;      /* HSMCA_PROFILE_KEY_* or 0 */
    int is_rsa;                 /* RSA (rsaEncryption) */
    int ec_nid;                 /* NID_X9_62_prime256v1, NID_secp384r1, or 0 */
    int bits;
    const EVP_MD *sign_md;      /* NULL: hsmca does not sign with this key type */
    char desc[48];              /* "RSA 2048", "ECDSA P-256", "EC secp256k1" */
} x509_key_class;

/* Classify a key (public, software or token). Fails only when the key's
 * type cannot be read at all; an unusual key gets profile_type 0 and a
 * description for the caller's message. */
hsmca_err x509_key_classify(EVP_PKEY *key, x509_key_class *out);

/* The DER AlgorithmIdentifier BR 7.1.3.2 requires in a signature by a key of
 * this class (CONFORMANCE.md §2), or NULL when there is none. */
const uint8_t *x509_sigalg_der(const x509_key_class *kc, size_t *len);

/* The DER SubjectPublicKeyInfo AlgorithmIdentifier BR 7.1.3.1 requires for a
 * key of this class, or NULL. */
const uint8_t *x509_spkialg_der(const x509_key_class *kc, size_t *len);

/* The method-1 key identifier (RFC 5280 §4.2.1.2) of an encoded key, e.g.
 * X509_get_X509_PUBKEY(cert): no re-encoding of the key. */
hsmca_err x509_key_id_of(const X509_PUBKEY *xpk, uint8_t out[20]);

/* The subjectPublicKeyInfo DER of key into *out (OPENSSL_free). */
hsmca_err x509_spki_der(EVP_PKEY *key, uint8_t **out, size_t *out_len);

/* Build a Name from values indexed by hsmca_profile_attr, in BR 7.1.4.2
 * order, one AVA per RDN; `what` names it in messages ("subject",
 * "a name constraint's directoryName"). Values are checked (non-empty, C two
 * capital letters, RFC 5280 upper bounds, valid UTF-8). */
hsmca_err x509_name_build(const char *const values[HSMCA_PROFILE_ATTR__COUNT],
                          const char *what, X509_NAME **out);

/* Same, from a directoryName of the profile: attributes may repeat, and
 * are written in BR 7.1.4.2 order (stable for repeats). */
hsmca_err x509_name_from_dirname(const hsmca_profile_dirname *d, X509_NAME **out);

/* What the extension writers need besides the profile entry. */
typedef struct x509_ext_ctx {
    const hsmca_profile *profile;
    const hsmca_x509_request *req;
    const uint8_t *ski;               /* the subject key's method-1 SKI (20 octets) */
    const ASN1_OCTET_STRING *aki;     /* issuer's SKI (own SKI for a root); NULL if none */
    GENERAL_NAMES *san;               /* from the request; NULL when none given */
} x509_ext_ctx;

/* Append the extension e to cert (at the end: the profile's order is the
 * certificate's order). Errors name the profile, the extension and its line. */
hsmca_err x509_ext_add(X509 *cert, const hsmca_profile_ext *e, const x509_ext_ctx *ctx);

/* GeneralNames for subjectAltName from the request's DNS names and IP
 * texts (dNSName entries first, then iPAddress, each in request order). */
hsmca_err x509_san_build(const hsmca_x509_request *req, GENERAL_NAMES **out);

#endif
