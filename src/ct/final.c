/* hsmca — the final certificate from a precertificate, and the proof that
 * the two correspond.
 *
 * RFC 6962 §3.1: the precertificate is the certificate to be issued plus
 * the poison; BR 7.1.2.9 and MRSP 5.4: the final certificate must be the
 * same certificate, so TBS(final) minus the SCT list equals TBS(precert)
 * minus the poison, byte for byte (CONFORMANCE.md §10). The check is a port
 * of Boulder's precert.Correspond (letsencrypt/boulder, precert/corr.go):
 * the seven leading TBS fields compared as raw DER elements, then the
 * extensions in order, skipping the poison in the precert and the SCT list
 * in the final. Unlike Boulder it also compares the (BR-forbidden) unique
 * IDs, and accepts a final without an SCT list (RFC 6962 §3.3 lets SCTs
 * reach the client by TLS extension or OCSP instead).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ct.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ct/ct_int.h"

hsmca_err hsmca_ct_final_from_precert(X509 *precert, hsmca_sct *const *scts, size_t n,
                                      X509 **out)
{
    hsmca_err err = HSMCA_OK;
    uint8_t *tls = NULL;
    unsigned char *reenc = NULL;
    size_t tls_len = 0;
    const unsigned char *p;
    STACK_OF(SCT) *sk = NULL;
    X509_EXTENSION *ext = NULL, *poison = NULL;
    X509 *final = NULL;
    int loc, m;

    HSMCA_ENSURE(precert != NULL && out != NULL && (scts != NULL || n == 0), HSMCA_E_USAGE,
                 "hsmca_ct_final_from_precert: missing argument");
    *out = NULL;
    HSMCA_ENSURE(n >= 1, HSMCA_E_INPUT,
                 "a final certificate needs at least one SCT to embed (RFC 6962 §3.3)");
    HSMCA_ENSURE(hsmca_ct_poison_count(precert) == 1, HSMCA_E_INPUT,
                 "not a precertificate: %d poison extensions (RFC 6962 §3.1 wants exactly one)",
                 hsmca_ct_poison_count(precert));
    HSMCA_ENSURE(hsmca_ct_sct_list_count(precert) == 0, HSMCA_E_INPUT,
                 "the precert already carries an SCT list extension (CONFORMANCE.md §9)");

    for (size_t i = 0; i < n; i++)
        HSMCA_ENSURE(scts[i] != NULL && scts[i]->version == 0, HSMCA_E_INPUT,
                     "SCT %zu is not a v1 SCT; only v1 (RFC 6962 §3.2) can be embedded", i + 1);
    /* The list in TLS form, then through OpenSSL's CT types (DESIGN.md):
     * o2i_SCT_LIST refuses what OpenSSL's own validation could not read. */
    HSMCA_GUARD(hsmca_ct_sct_list_encode(scts, n, &tls, &tls_len));
    p = tls;
    sk = o2i_SCT_LIST(NULL, &p, tls_len);
    if (sk == NULL || p != tls + tls_len)
        HSMCA_GUARD(hsmca_err_openssl(HSMCA_E_INPUT, "OpenSSL cannot read the SCT list (only "
                                      "v1 SCTs with sha256 + ECDSA or RSA signatures can be "
                                      "embedded)"));
    for (int i = 0; i < sk_SCT_num(sk); i++) {
        /* RFC 6962 §3.3: only precert_entry SCTs may be embedded. */
        HSMCA_OSSL(SCT_set_log_entry_type(sk_SCT_value(sk, i), CT_LOG_ENTRY_TYPE_PRECERT),
                   "cannot mark SCT %d as a precert entry", i + 1);
    }
    m = i2o_SCT_LIST(sk, &reenc);
    HSMCA_OSSL(m > 0, "cannot encode the SCT list");
    HSMCA_ENSURE((size_t)m == tls_len && memcmp(reenc, tls, tls_len) == 0, HSMCA_E_INTERNAL,
                 "OpenSSL re-encodes the SCT list differently from hsmca");
    /* extnValue = OCTET STRING { TLS SignedCertificateTimestampList }
     * (RFC 6962 §3.3): i2d_SCT_LIST makes the inner OCTET STRING and
     * X509V3_EXT_i2d wraps it in extnValue. Not critical (CONFORMANCE.md §11). */
    ext = X509V3_EXT_i2d(NID_ct_precert_scts, 0, sk);
    HSMCA_OSSL(ext != NULL, "cannot build the SCT list extension");

    final = X509_dup(precert);
    HSMCA_OSSL(final != NULL, "cannot copy the precert (is it signed?)");
    /* The SCT list takes the poison's place, so every other extension keeps
     * its position (CONFORMANCE.md §10: using the same slot is simplest). */
    loc = X509_get_ext_by_NID(final, NID_ct_precert_poison, -1);
    HSMCA_ENSURE(loc >= 0, HSMCA_E_INTERNAL, "the precert copy lost its poison extension");
    poison = X509_delete_ext(final, loc);
    HSMCA_OSSL(poison != NULL, "cannot remove the poison extension");
    HSMCA_OSSL(X509_add_ext(final, ext, loc), "cannot add the SCT list extension");
    /* Mark the TBS changed so no encoder reuses the precert's cached bytes
     * (X509_sign does this too, but correspondence may be checked first). */
    HSMCA_OSSL(i2d_re_X509_tbs(final, NULL) > 0, "cannot encode the final TBSCertificate");
    *out = final;
    final = NULL;
out:
    X509_free(final);
    X509_EXTENSION_free(ext);
    X509_EXTENSION_free(poison);
    SCT_LIST_free(sk);
    OPENSSL_free(reenc);
    free(tls);
    return err;
}

/* Index of the first byte where a and b differ (the shorter length when
 * one is a prefix of the other). */
static size_t first_diff(const ct_tlv *a, const ct_tlv *b)
{
    size_t i = 0;

    while (i < a->der_len && i < b->der_len && a->der[i] == b->der[i])
        i++;
    return i;
}

/* Hex of up to 12 bytes of t from `from`, with "..." where cut. */
static const char *hexcut(const ct_tlv *t, size_t from, char *buf, size_t len)
{
    size_t o = 0, end = t->der_len;

    buf[0] = '\0';
    if (from > end)
        from = end;
    if (end - from > 12)
        end = from + 12;
    if (from > 0)
        o += (size_t)snprintf(buf, len, "...");
    for (size_t i = from; i < end && o + 3 < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%02x", t->der[i]);
    if (end < t->der_len && o + 4 < len)
        snprintf(buf + o, len - o, "...");
    if (from == end && from == t->der_len && o + 6 < len)
        snprintf(buf + o, len - o, "(end)");
    return buf;
}

static int same(const ct_tlv *a, const ct_tlv *b)
{
    return a->der_len == b->der_len && memcmp(a->der, b->der, a->der_len) == 0;
}

/* The next extension that is not `skip`, counting the skipped ones;
 * *have = 0 at the end. *pos is the 1-based position in the list. */
static hsmca_err next_kept(hsmca_reader *r, const uint8_t skip[10], const char *what,
                           ct_ext *e, int *have, size_t *pos)
{
    hsmca_err err = HSMCA_OK;

    *have = 0;
    while (hsmca_reader_remaining(r) > 0) {
        HSMCA_GUARD(ct_ext_next(r, e, what));
        (*pos)++;
        if (!ct_ext_is(e, skip)) {
            *have = 1;
            break;
        }
    }
out:
    return err;
}

hsmca_err hsmca_ct_correspond(X509 *precert, X509 *final)
{
    hsmca_err err = HSMCA_OK;
    uint8_t *pder = NULL, *fder = NULL;
    size_t plen = 0, flen = 0, ppoison = 0, psct = 0, fpoison = 0, fsct = 0;
    size_t ppos = 0, fpos = 0;
    ct_tbs pt, ft;
    hsmca_reader pr, fr;
    ct_ext pe, fe;
    int phave, fhave;
    char h1[48], h2[48], d1[160], d2[160];

    HSMCA_ENSURE(precert != NULL && final != NULL, HSMCA_E_USAGE,
                 "hsmca_ct_correspond: missing certificate");
    HSMCA_GUARD(ct_cert_der(precert, "the precert", &pder, &plen));
    HSMCA_GUARD(ct_cert_der(final, "the final certificate", &fder, &flen));
    HSMCA_GUARD(ct_tbs_split_cert(pder, plen, "the precert", &pt));
    HSMCA_GUARD(ct_tbs_split_cert(fder, flen, "the final certificate", &ft));

    /* Boulder: "The first 7 fields of TBSCertificate must be byte-for-byte
     * identical." */
    for (size_t i = 0; i < CT_TBS_FIXED; i++) {
        size_t at;

        if (same(&pt.field[i], &ft.field[i]))
            continue;
        /* Show the DER from a few bytes before the first difference. */
        at = first_diff(&pt.field[i], &ft.field[i]);
        at = at > 4 ? at - 4 : 0;
        HSMCA_FAIL(HSMCA_E_VERIFY, "the final does not correspond to the precert: %s differs "
                   "(DER from byte %zu: %s in the precert, %s in the final)",
                   ct_tbs_field_names[i], at, hexcut(&pt.field[i], at, h1, sizeof h1),
                   hexcut(&ft.field[i], at, h2, sizeof h2));
    }
    /* RFC 5280 §4.1.2.8; forbidden by BR 7.1.2.9 anyway. */
    HSMCA_ENSURE(pt.has_issuer_uid == ft.has_issuer_uid &&
                     (!pt.has_issuer_uid || same(&pt.issuer_uid, &ft.issuer_uid)),
                 HSMCA_E_VERIFY, "the final does not correspond to the precert: "
                 "issuerUniqueID differs");
    HSMCA_ENSURE(pt.has_subject_uid == ft.has_subject_uid &&
                     (!pt.has_subject_uid || same(&pt.subject_uid, &ft.subject_uid)),
                 HSMCA_E_VERIFY, "the final does not correspond to the precert: "
                 "subjectUniqueID differs");

    HSMCA_GUARD(ct_tbs_count(&pt, "the precert", &ppoison, &psct));
    HSMCA_GUARD(ct_tbs_count(&ft, "the final certificate", &fpoison, &fsct));
    HSMCA_ENSURE(ppoison == 1, HSMCA_E_VERIFY,
                 "the precert has %zu poison extensions; RFC 6962 §3.1 wants exactly one",
                 ppoison);
    HSMCA_ENSURE(psct == 0, HSMCA_E_VERIFY,
                 "the precert carries an SCT list extension (CONFORMANCE.md §9: it must not)");
    HSMCA_ENSURE(fpoison == 0, HSMCA_E_VERIFY,
                 "the final certificate still carries the poison extension");
    HSMCA_ENSURE(fsct <= 1, HSMCA_E_VERIFY,
                 "the final certificate has %zu SCT list extensions; at most one is allowed "
                 "(RFC 5280 §4.2)", fsct);

    /* Every other extension, in order: same OID, criticality and value. */
    hsmca_reader_init(&pr, pt.has_exts ? pt.exts.val : NULL, pt.has_exts ? pt.exts.len : 0);
    hsmca_reader_init(&fr, ft.has_exts ? ft.exts.val : NULL, ft.has_exts ? ft.exts.len : 0);
    for (;;) {
        HSMCA_GUARD(next_kept(&pr, hsmca_ct_oid_poison, "the precert", &pe, &phave, &ppos));
        HSMCA_GUARD(next_kept(&fr, hsmca_ct_oid_sct_list, "the final certificate", &fe,
                              &fhave, &fpos));
        if (!phave && !fhave)
            break;
        HSMCA_ENSURE(phave, HSMCA_E_VERIFY,
                     "the final does not correspond to the precert: the final has an extra "
                     "extension %zu, %s", fpos,
                     ct_oid_describe(fe.oid, fe.oid_len, d2, sizeof d2));
        HSMCA_ENSURE(fhave, HSMCA_E_VERIFY,
                     "the final does not correspond to the precert: extension %zu of the "
                     "precert, %s, is missing from the final", ppos,
                     ct_oid_describe(pe.oid, pe.oid_len, d1, sizeof d1));
        if (same(&pe.tlv, &fe.tlv))
            continue;
        ct_oid_describe(pe.oid, pe.oid_len, d1, sizeof d1);
        if (pe.oid_len == fe.oid_len && memcmp(pe.oid, fe.oid, pe.oid_len) == 0) {
            /* The dotted form alone for the second mention. */
            char *sp = strchr(d1, ' ');
            size_t dl = sp != NULL ? (size_t)(sp - d1) : strlen(d1);

            HSMCA_FAIL(HSMCA_E_VERIFY, "the final does not correspond to the precert: "
                       "extension %zu differs: %s in the precert, %.*s %s in the final",
                       ppos, d1, (int)dl, d1,
                       pe.critical != fe.critical ? "with a different criticality"
                                                  : "with other bytes");
        }
        HSMCA_FAIL(HSMCA_E_VERIFY, "the final does not correspond to the precert: extension "
                   "%zu differs: %s in the precert, %s in the final", ppos, d1,
                   ct_oid_describe(fe.oid, fe.oid_len, d2, sizeof d2));
    }
out:
    OPENSSL_free(pder);
    OPENSSL_free(fder);
    return err;
}
