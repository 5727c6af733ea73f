/* hsmca — TLS-style byte builder and reader (include/hsmca/bytes.h).
 *
 * RFC 8446 §3.3: integers are big-endian ("network byte order").
 * RFC 8446 §3.4: a variable-length vector is prefixed by its length in as
 * many octets as needed for its declared maximum; RFC 6962 §3.2–3.3 uses
 * 2-octet (extensions, signatures, SCT lists) and 3-octet (certificates,
 * TBS) prefixes.
 *
 * The builder may hold key material or PIN-derived data in some callers, so
 * every buffer it lets go of is wiped first (OPENSSL_clear_realloc /
 * OPENSSL_clear_free).
 */
#include "hsmca/bytes.h"

#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>

/* Record the first failure and leave. Needs `err`, `b` and `out:`. */
#define BYTES_FAIL(code, ...)                                                 \
    do {                                                                      \
        err = hsmca_err_setf((code), __VA_ARGS__);                            \
        b->failed = err;                                                      \
        goto out;                                                             \
    } while (0)

#define BYTES_ENSURE(cond, code, ...)                                         \
    do {                                                                      \
        if (!(cond))                                                          \
            BYTES_FAIL((code), __VA_ARGS__);                                  \
    } while (0)

/* First growth step: SCTs and TBS structures are a few hundred bytes. */
#define BYTES_MIN_CAP 64

/* Largest value a `width`-octet length prefix can hold (width 1..3). */
static size_t width_max(unsigned width)
{
    return ((size_t)1 << (8 * width)) - 1;
}

void hsmca_bytes_init(hsmca_bytes *b)
{
    memset(b, 0, sizeof *b);
}

void hsmca_bytes_clear(hsmca_bytes *b)
{
    if (b == NULL)
        return;
    /* The whole capacity: bytes past len may be left from a shrunken vector
     * or a failed append. */
    OPENSSL_clear_free(b->data, b->cap);
    memset(b, 0, sizeof *b);
}

/* Make room for n more bytes. Checks size_t overflow of len + n and of the
 * doubling, so a huge n is an error and not a short buffer. */
static hsmca_err reserve(hsmca_bytes *b, size_t n)
{
    hsmca_err err = HSMCA_OK;
    size_t need, cap;
    uint8_t *p;

    if (b->failed != HSMCA_OK)
        return b->failed;
    BYTES_ENSURE(n <= SIZE_MAX - b->len, HSMCA_E_NOMEM,
                 "byte builder: %zu + %zu bytes overflows the address space",
                 b->len, n);
    need = b->len + n;
    if (need <= b->cap)
        goto out;
    cap = b->cap < BYTES_MIN_CAP ? BYTES_MIN_CAP : b->cap;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    /* Copies and wipes the old block, unlike realloc() which may leave the
     * old contents behind in freed memory. */
    p = OPENSSL_clear_realloc(b->data, b->cap, cap);
    BYTES_ENSURE(p != NULL, HSMCA_E_NOMEM,
                 "byte builder: out of memory growing to %zu bytes", cap);
    b->data = p;
    b->cap = cap;
out:
    return err;
}

/* Append v as `n` big-endian octets (RFC 8446 §3.3). */
static hsmca_err put_be(hsmca_bytes *b, uint64_t v, unsigned n)
{
    hsmca_err err = HSMCA_OK;

    HSMCA_GUARD(reserve(b, n));
    for (unsigned i = 0; i < n; i++)
        b->data[b->len + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    b->len += n;
out:
    return err;
}

hsmca_err hsmca_bytes_u8(hsmca_bytes *b, uint8_t v)
{
    return put_be(b, v, 1);
}

hsmca_err hsmca_bytes_u16(hsmca_bytes *b, uint16_t v)
{
    return put_be(b, v, 2);
}

hsmca_err hsmca_bytes_u24(hsmca_bytes *b, uint32_t v)
{
    hsmca_err err = HSMCA_OK;

    if (b->failed != HSMCA_OK)
        return b->failed;
    /* uint24 (RFC 8446 §3.3) cannot carry the top byte: silently dropping it
     * would write a wrong length. */
    BYTES_ENSURE(v <= 0xFFFFFFu, HSMCA_E_USAGE,
                 "byte builder: %lu does not fit in 24 bits", (unsigned long)v);
    HSMCA_GUARD(put_be(b, v, 3));
out:
    return err;
}

hsmca_err hsmca_bytes_u32(hsmca_bytes *b, uint32_t v)
{
    return put_be(b, v, 4);
}

hsmca_err hsmca_bytes_u64(hsmca_bytes *b, uint64_t v)
{
    return put_be(b, v, 8);
}

hsmca_err hsmca_bytes_put(hsmca_bytes *b, const void *p, size_t n)
{
    hsmca_err err = HSMCA_OK;

    if (b->failed != HSMCA_OK)
        return b->failed;
    if (n == 0)
        goto out; /* p may be NULL for an empty field */
    BYTES_ENSURE(p != NULL, HSMCA_E_USAGE, "byte builder: NULL data of %zu bytes", n);
    HSMCA_GUARD(reserve(b, n));
    memcpy(b->data + b->len, p, n);
    b->len += n;
out:
    return err;
}

hsmca_err hsmca_bytes_vec_begin(hsmca_bytes *b, unsigned width)
{
    hsmca_err err = HSMCA_OK;

    if (b->failed != HSMCA_OK)
        return b->failed;
    BYTES_ENSURE(width >= 1 && width <= 3, HSMCA_E_USAGE,
                 "byte builder: vector length width %u (must be 1, 2 or 3)", width);
    BYTES_ENSURE(b->depth < HSMCA_BYTES_MAX_DEPTH, HSMCA_E_USAGE,
                 "byte builder: vectors nested deeper than %d", HSMCA_BYTES_MAX_DEPTH);
    /* Placeholder prefix, filled in by vec_end once the length is known. */
    HSMCA_GUARD(reserve(b, width));
    b->open[b->depth] = b->len;
    b->width[b->depth] = (uint8_t)width;
    b->depth++;
    memset(b->data + b->len, 0, width);
    b->len += width;
out:
    return err;
}

hsmca_err hsmca_bytes_vec_end(hsmca_bytes *b)
{
    hsmca_err err = HSMCA_OK;
    size_t at, body;
    unsigned width;

    if (b->failed != HSMCA_OK)
        return b->failed;
    BYTES_ENSURE(b->depth > 0, HSMCA_E_USAGE, "byte builder: vec_end with no open vector");
    at = b->open[b->depth - 1];
    width = b->width[b->depth - 1];
    body = b->len - at - width;
    /* RFC 8446 §3.4: the length must be representable in the prefix; a
     * truncated length would make the peer mis-parse everything after it. */
    BYTES_ENSURE(body <= width_max(width), HSMCA_E_INPUT,
                 "byte builder: vector of %zu bytes exceeds the %u-octet length "
                 "limit of %zu", body, width, width_max(width));
    for (unsigned i = 0; i < width; i++)
        b->data[at + i] = (uint8_t)(body >> (8 * (width - 1 - i)));
    b->depth--;
out:
    return err;
}

hsmca_err hsmca_bytes_vec(hsmca_bytes *b, unsigned width, const void *p, size_t n)
{
    hsmca_err err = HSMCA_OK;

    if (b->failed != HSMCA_OK)
        return b->failed;
    BYTES_ENSURE(width >= 1 && width <= 3, HSMCA_E_USAGE,
                 "byte builder: vector length width %u (must be 1, 2 or 3)", width);
    /* Checked before copying so an oversized body is refused cheaply. */
    BYTES_ENSURE(n <= width_max(width), HSMCA_E_INPUT,
                 "byte builder: vector of %zu bytes exceeds the %u-octet length "
                 "limit of %zu", n, width, width_max(width));
    HSMCA_GUARD(hsmca_bytes_vec_begin(b, width));
    HSMCA_GUARD(hsmca_bytes_put(b, p, n));
    HSMCA_GUARD(hsmca_bytes_vec_end(b));
out:
    return err;
}

hsmca_err hsmca_bytes_finish(hsmca_bytes *b, uint8_t **out_data, size_t *out_len)
{
    hsmca_err err = HSMCA_OK;

    if (out_data == NULL || out_len == NULL) {
        /* Not a builder failure: the builder is left as it is. */
        return hsmca_err_setf(HSMCA_E_USAGE, "byte builder: finish needs out_data and out_len");
    }
    HSMCA_GUARD(b->failed);
    BYTES_ENSURE(b->depth == 0, HSMCA_E_USAGE,
                 "byte builder: %zu vector(s) still open at finish", b->depth);
    /* An empty result is still a buffer, so NULL always means failure. */
    if (b->data == NULL)
        HSMCA_GUARD(reserve(b, 1));
    *out_data = b->data;
    *out_len = b->len;
    memset(b, 0, sizeof *b);
out:
    if (err != HSMCA_OK)
        hsmca_bytes_clear(b);
    return err;
}

/* ---- reader ---- */

void hsmca_reader_init(hsmca_reader *r, const void *p, size_t len)
{
    r->p = p;
    r->len = p != NULL ? len : 0;
    r->off = 0;
}

size_t hsmca_reader_remaining(const hsmca_reader *r)
{
    return r->len - r->off;
}

/* Take n bytes or fail without moving. `n > remaining` rather than
 * `off + n > len` so a huge n cannot wrap around. */
static hsmca_err take(hsmca_reader *r, size_t n, const uint8_t **out)
{
    hsmca_err err = HSMCA_OK;

    HSMCA_ENSURE(n <= hsmca_reader_remaining(r), HSMCA_E_INPUT,
                 "truncated data: need %zu bytes at offset %zu, only %zu left",
                 n, r->off, hsmca_reader_remaining(r));
    /* hsmca_reader_init makes a NULL buffer empty, so this holds whenever
     * n > 0; checked so an uninitialised reader fails instead of crashing. */
    HSMCA_ENSURE(r->p != NULL || n == 0, HSMCA_E_USAGE, "reader: no buffer");
    *out = r->p != NULL ? r->p + r->off : NULL; /* NULL + 0 is undefined */
    r->off += n;
out:
    return err;
}

static hsmca_err read_be(hsmca_reader *r, unsigned n, uint64_t *out)
{
    hsmca_err err = HSMCA_OK;
    const uint8_t *p = NULL;
    uint64_t v = 0;

    HSMCA_GUARD(take(r, n, &p));
    for (unsigned i = 0; i < n; i++)
        v = (v << 8) | p[i];
    *out = v;
out:
    return err;
}

/* hsmca_reader_u8, _u16, _u24 and _u32: read_be narrowed to the output's
 * type (the value fits: it has at most n octets). *out is written only on
 * success. */
#define READER_UINT(name, type, n)                                            \
    hsmca_err name(hsmca_reader *r, type *out)                                \
    {                                                                         \
        uint64_t v = 0;                                                       \
        hsmca_err err = read_be(r, (n), &v);                                  \
                                                                              \
        if (err == HSMCA_OK)                                                  \
            *out = (type)v;                                                   \
        return err;                                                           \
    }

READER_UINT(hsmca_reader_u8, uint8_t, 1)
READER_UINT(hsmca_reader_u16, uint16_t, 2)
READER_UINT(hsmca_reader_u24, uint32_t, 3)
READER_UINT(hsmca_reader_u32, uint32_t, 4)
#undef READER_UINT

hsmca_err hsmca_reader_u64(hsmca_reader *r, uint64_t *out)
{
    return read_be(r, 8, out);
}

hsmca_err hsmca_reader_bytes(hsmca_reader *r, size_t n, const uint8_t **out)
{
    return take(r, n, out);
}

hsmca_err hsmca_reader_vec(hsmca_reader *r, unsigned width, hsmca_reader *out)
{
    hsmca_err err = HSMCA_OK;
    size_t start = r->off;
    const uint8_t *body = NULL;
    uint64_t n = 0;

    HSMCA_ENSURE(width >= 1 && width <= 3, HSMCA_E_USAGE,
                 "reader: vector length width %u (must be 1, 2 or 3)", width);
    HSMCA_GUARD(read_be(r, width, &n));
    HSMCA_ENSURE(n <= hsmca_reader_remaining(r), HSMCA_E_INPUT,
                 "truncated vector: its %u-octet prefix at offset %zu says %zu "
                 "bytes, only %zu left", width, start, (size_t)n,
                 hsmca_reader_remaining(r));
    HSMCA_GUARD(take(r, (size_t)n, &body));
    hsmca_reader_init(out, body, (size_t)n);
out:
    if (err != HSMCA_OK)
        r->off = start; /* a failed read consumes nothing */
    return err;
}

hsmca_err hsmca_reader_end(const hsmca_reader *r)
{
    hsmca_err err = HSMCA_OK;

    /* A structure is exactly its encoding: accepting trailing bytes would let
     * two different byte strings decode (and verify) as the same value. */
    HSMCA_ENSURE(hsmca_reader_remaining(r) == 0, HSMCA_E_INPUT,
                 "%zu unexpected trailing bytes at offset %zu",
                 hsmca_reader_remaining(r), r->off);
out:
    return err;
}
