/* hsmca — byte builder and reader for TLS-style encodings (RFC 8446 §3,
 * as used by RFC 6962 §3.2 for SCTs): big-endian fixed-width integers and
 * vectors prefixed by a 1-, 2- or 3-octet length whose bounds are checked.
 *
 * Builder: append-only, grows as needed. Vectors nest: vec_begin reserves the
 * length prefix, vec_end fills it in and fails if the contents exceed the
 * width's maximum. The first failure sticks: later calls return it too, so a
 * sequence of appends can be checked once at the end (hsmca_bytes_finish).
 */
#ifndef HSMCA_BYTES_H
#define HSMCA_BYTES_H

#include <stddef.h>
#include <stdint.h>

#include "hsmca/err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HSMCA_BYTES_MAX_DEPTH 8

typedef struct hsmca_bytes {
    uint8_t *data;
    size_t len;
    size_t cap;
    hsmca_err failed;                       /* first error, sticky */
    size_t open[HSMCA_BYTES_MAX_DEPTH];      /* offsets of open length prefixes */
    uint8_t width[HSMCA_BYTES_MAX_DEPTH];    /* their widths (1..3) */
    size_t depth;
} hsmca_bytes;

/* Initialise an empty builder (no allocation yet). */
void hsmca_bytes_init(hsmca_bytes *b);
/* Release the buffer (wiped first) and reset. Accepts an all-zero builder. */
void hsmca_bytes_clear(hsmca_bytes *b);

hsmca_err hsmca_bytes_u8(hsmca_bytes *b, uint8_t v);
hsmca_err hsmca_bytes_u16(hsmca_bytes *b, uint16_t v);
hsmca_err hsmca_bytes_u24(hsmca_bytes *b, uint32_t v);   /* v < 2^24 */
hsmca_err hsmca_bytes_u32(hsmca_bytes *b, uint32_t v);
hsmca_err hsmca_bytes_u64(hsmca_bytes *b, uint64_t v);
hsmca_err hsmca_bytes_put(hsmca_bytes *b, const void *p, size_t n);

/* Open a vector whose length prefix is `width` octets (1, 2 or 3). */
hsmca_err hsmca_bytes_vec_begin(hsmca_bytes *b, unsigned width);
/* Close the innermost vector; fails if its length exceeds 2^(8*width)-1. */
hsmca_err hsmca_bytes_vec_end(hsmca_bytes *b);
/* A whole vector in one call: prefix + bytes. */
hsmca_err hsmca_bytes_vec(hsmca_bytes *b, unsigned width, const void *p, size_t n);

/* Check that no vector is left open and no append failed; on success hand the
 * buffer to the caller (*out_data must be freed with OPENSSL_free/free) and
 * reset the builder. On failure the builder is cleared. */
hsmca_err hsmca_bytes_finish(hsmca_bytes *b, uint8_t **out_data, size_t *out_len);

/* ---- reader ---- */

typedef struct hsmca_reader {
    const uint8_t *p;
    size_t len;
    size_t off;
} hsmca_reader;

void hsmca_reader_init(hsmca_reader *r, const void *p, size_t len);
hsmca_err hsmca_reader_u8(hsmca_reader *r, uint8_t *out);
hsmca_err hsmca_reader_u16(hsmca_reader *r, uint16_t *out);
hsmca_err hsmca_reader_u24(hsmca_reader *r, uint32_t *out);
hsmca_err hsmca_reader_u32(hsmca_reader *r, uint32_t *out);
hsmca_err hsmca_reader_u64(hsmca_reader *r, uint64_t *out);
/* n raw bytes: *out points into the reader's buffer. */
hsmca_err hsmca_reader_bytes(hsmca_reader *r, size_t n, const uint8_t **out);
/* A vector with a `width`-octet prefix; *out is a sub-reader over its body. */
hsmca_err hsmca_reader_vec(hsmca_reader *r, unsigned width, hsmca_reader *out);
/* HSMCA_OK iff every byte was consumed (TLS forbids trailing data). */
hsmca_err hsmca_reader_end(const hsmca_reader *r);
size_t hsmca_reader_remaining(const hsmca_reader *r);

/* ---- base64 (RFC 4648 §4, with padding, strict) ---- */

/* Decode exactly: the alphabet of §4, length a multiple of 4, '=' only as
 * final padding, unused bits zero. *out freed with free() (non-NULL even
 * for an empty input). HSMCA_E_INPUT names `field`. */
hsmca_err hsmca_base64_decode(const char *in, size_t in_len, const char *field, uint8_t **out,
                              size_t *out_len);
/* Encode; *out NUL-terminated, freed with free(). */
hsmca_err hsmca_base64_encode(const uint8_t *in, size_t len, char **out);

#ifdef __cplusplus
}
#endif
#endif
