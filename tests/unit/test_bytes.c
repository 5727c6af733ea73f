/* Unit tests: TLS-style byte builder and reader (src/core/bytes.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/crypto.h>

#include "hsmca/bytes.h"

/* Finish b, compare with want, free. */
static void expect_bytes(hsmca_bytes *b, const uint8_t *want, size_t n)
{
    uint8_t *data = NULL;
    size_t len = 0;

    assert_int_equal(hsmca_bytes_finish(b, &data, &len), HSMCA_OK);
    assert_non_null(data);
    assert_int_equal(len, n);
    if (n > 0)
        assert_memory_equal(data, want, n);
    OPENSSL_free(data);
    /* finish resets the builder for reuse */
    assert_null(b->data);
    assert_int_equal(b->len, 0);
}

/* Finish must fail with code, hand nothing out and leave b cleared. */
static void expect_finish_fails(hsmca_bytes *b, hsmca_err code)
{
    uint8_t *data = NULL;
    size_t len = 99;

    assert_int_equal(hsmca_bytes_finish(b, &data, &len), code);
    assert_null(data);
    assert_int_equal(len, 99);
    assert_null(b->data);
    assert_int_equal(b->len, 0);
    assert_int_equal(b->failed, HSMCA_OK);
}

static void test_integers_big_endian(void **state)
{
    static const uint8_t want[] = {
        0xAB,
        0x12, 0x34,
        0x12, 0x34, 0x56,
        0x89, 0xAB, 0xCD, 0xEF,
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,
    };
    hsmca_bytes b;

    hsmca_bytes_init(&b);
    assert_int_equal(hsmca_bytes_u8(&b, 0xAB), HSMCA_OK);
    assert_int_equal(hsmca_bytes_u16(&b, 0x1234), HSMCA_OK);
    assert_int_equal(hsmca_bytes_u24(&b, 0x123456), HSMCA_OK);
    assert_int_equal(hsmca_bytes_u32(&b, 0x89ABCDEFu), HSMCA_OK);
    assert_int_equal(hsmca_bytes_u64(&b, UINT64_C(0x0102030405060708)), HSMCA_OK);
    assert_int_equal(hsmca_bytes_u64(&b, UINT64_C(0xFFFFFFFFFFFFFFFE)), HSMCA_OK);
    expect_bytes(&b, want, sizeof want);
}

static void test_u24_bounds(void **state)
{
    static const uint8_t want[] = {0xFF, 0xFF, 0xFF};
    hsmca_bytes b;

    hsmca_bytes_init(&b);
    assert_int_equal(hsmca_bytes_u24(&b, 0xFFFFFF), HSMCA_OK);
    expect_bytes(&b, want, sizeof want);

    hsmca_bytes_init(&b);
    assert_int_equal(hsmca_bytes_u24(&b, 0x1000000), HSMCA_E_USAGE);
    assert_non_null(strstr(hsmca_err_message(), "16777216"));
    assert_int_equal(b.len, 0);
    expect_finish_fails(&b, HSMCA_E_USAGE);
}

static void test_sticky_first_failure(void **state)
{
    hsmca_bytes b;

    hsmca_bytes_init(&b);
    assert_int_equal(hsmca_bytes_u8(&b, 1), HSMCA_OK);
    assert_int_equal(hsmca_bytes_vec_begin(&b, 4), HSMCA_E_USAGE);
    /* Later calls of every kind report the first failure and change nothing. */
    assert_int_equal(hsmca_bytes_u8(&b, 2), HSMCA_E_USAGE);
    assert_int_equal(hsmca_bytes_u16(&b, 2), HSMCA_E_USAGE);
    assert_int_equal(hsmca_bytes_u24(&b, 0x2000000), HSMCA_E_USAGE);
    assert_int_equal(hsmca_bytes_u32(&b, 2), HSMCA_E_USAGE);
    assert_int_equal(hsmca_bytes_u64(&b, 2), HSMCA_E_USAGE);
    assert_int_equal(hsmca_bytes_put(&b, "x", 1), HSMCA_E_USAGE);
    assert_int_equal(hsmca_bytes_vec(&b, 1, "x", 1), HSMCA_E_USAGE);
    assert_int_equal(hsmca_bytes_vec_begin(&b, 1), HSMCA_E_USAGE);
    assert_int_equal(hsmca_bytes_vec_end(&b), HSMCA_E_USAGE);
    assert_int_equal(b.len, 1);
    assert_int_equal(b.failed, HSMCA_E_USAGE);
    expect_finish_fails(&b, HSMCA_E_USAGE);
}

static void test_sticky_keeps_first_code(void **state)
{
    static uint8_t body[256];
    hsmca_bytes b;

    hsmca_bytes_init(&b);
    /* INPUT first (oversized vector), then a USAGE mistake: INPUT stays. */
    assert_int_equal(hsmca_bytes_vec(&b, 1, body, sizeof body), HSMCA_E_INPUT);
    assert_int_equal(hsmca_bytes_vec_begin(&b, 0), HSMCA_E_INPUT);
    expect_finish_fails(&b, HSMCA_E_INPUT);
}

static void check_vector_limit(unsigned width, size_t max)
{
    uint8_t *body = calloc(1, max + 1);
    uint8_t *data = NULL;
    size_t len = 0;
    hsmca_bytes b;

    assert_non_null(body);
    memset(body, 0x5A, max + 1);

    /* max fits, prefix is all ones */
    hsmca_bytes_init(&b);
    assert_int_equal(hsmca_bytes_vec(&b, width, body, max), HSMCA_OK);
    assert_int_equal(hsmca_bytes_finish(&b, &data, &len), HSMCA_OK);
    assert_int_equal(len, width + max);
    for (unsigned i = 0; i < width; i++)
        assert_int_equal(data[i], 0xFF);
    assert_int_equal(data[width], 0x5A);
    assert_int_equal(data[len - 1], 0x5A);
    OPENSSL_free(data);

    /* max + 1 does not, in one call ... */
    hsmca_bytes_init(&b);
    assert_int_equal(hsmca_bytes_vec(&b, width, body, max + 1), HSMCA_E_INPUT);
    assert_non_null(strstr(hsmca_err_message(), "exceeds"));
    expect_finish_fails(&b, HSMCA_E_INPUT);

    /* ... nor built piecewise (the check is in vec_end) */
    hsmca_bytes_init(&b);
    assert_int_equal(hsmca_bytes_vec_begin(&b, width), HSMCA_OK);
    assert_int_equal(hsmca_bytes_put(&b, body, max), HSMCA_OK);
    assert_int_equal(hsmca_bytes_u8(&b, 0), HSMCA_OK);
    assert_int_equal(hsmca_bytes_vec_end(&b), HSMCA_E_INPUT);
    expect_finish_fails(&b, HSMCA_E_INPUT);

    free(body);
}

static void test_vector_1_byte_limit(void **state)
{
    check_vector_limit(1, 255);
}

static void test_vector_2_byte_limit(void **state)
{
    check_vector_limit(2, 65535);
}

static void test_vector_3_byte_limit(void **state)
{
    check_vector_limit(3, 0xFFFFFF);
}

static void test_vector_bad_width(void **state)
{
    hsmca_bytes b;

    for (unsigned w = 0; w < 10; w += (w == 0 ? 4 : 5)) { /* 0, 4, 9 */
        hsmca_bytes_init(&b);
        assert_int_equal(hsmca_bytes_vec_begin(&b, w), HSMCA_E_USAGE);
        assert_non_null(strstr(hsmca_err_message(), "width"));
        hsmca_bytes_clear(&b);
        hsmca_bytes_init(&b);
        assert_int_equal(hsmca_bytes_vec(&b, w, "x", 1), HSMCA_E_USAGE);
        hsmca_bytes_clear(&b);
    }
}

static void test_nested_vectors(void **state)
{
    /* RFC 6962 §3.3 shape: SignedCertificateTimestampList is a 2-octet
     * vector of 2-octet vectors. */
    static const uint8_t want[] = {
        0x00, 0x09,                 /* outer: 9 bytes */
        0x00, 0x03, 'a', 'b', 'c',  /* inner 1 */
        0x00, 0x00,                 /* inner 2: empty */
        0x01, 'z',                  /* 1-octet vector */
        0x00,                       /* trailing empty 1-octet vector */
    };
    hsmca_bytes b;

    hsmca_bytes_init(&b);
    assert_int_equal(hsmca_bytes_vec_begin(&b, 2), HSMCA_OK);
    assert_int_equal(hsmca_bytes_vec_begin(&b, 2), HSMCA_OK);
    assert_int_equal(hsmca_bytes_put(&b, "abc", 3), HSMCA_OK);
    assert_int_equal(hsmca_bytes_vec_end(&b), HSMCA_OK);
    assert_int_equal(hsmca_bytes_vec(&b, 2, NULL, 0), HSMCA_OK);
    assert_int_equal(hsmca_bytes_vec(&b, 1, "z", 1), HSMCA_OK);
    assert_int_equal(hsmca_bytes_vec_end(&b), HSMCA_OK);
    assert_int_equal(hsmca_bytes_vec_begin(&b, 1), HSMCA_OK);
    assert_int_equal(hsmca_bytes_vec_end(&b), HSMCA_OK);
    expect_bytes(&b, want, sizeof want);
}

static void test_inner_limit_checked_per_vector(void **state)
{
    /* An outer 2-octet vector may hold more than a 1-octet inner one can. */
    static uint8_t body[300];
    hsmca_bytes b;

    hsmca_bytes_init(&b);
    assert_int_equal(hsmca_bytes_vec_begin(&b, 2), HSMCA_OK);
    assert_int_equal(hsmca_bytes_vec_begin(&b, 1), HSMCA_OK);
    assert_int_equal(hsmca_bytes_put(&b, body, sizeof body), HSMCA_OK);
    assert_int_equal(hsmca_bytes_vec_end(&b), HSMCA_E_INPUT);
    expect_finish_fails(&b, HSMCA_E_INPUT);
}

static void test_unclosed_vector_at_finish(void **state)
{
    hsmca_bytes b;

    hsmca_bytes_init(&b);
    assert_int_equal(hsmca_bytes_vec_begin(&b, 2), HSMCA_OK);
    assert_int_equal(hsmca_bytes_vec_begin(&b, 1), HSMCA_OK);
    assert_int_equal(hsmca_bytes_vec_end(&b), HSMCA_OK);
    expect_finish_fails(&b, HSMCA_E_USAGE);
    assert_non_null(strstr(hsmca_err_message(), "1 vector(s) still open"));
}

static void test_vec_end_without_begin(void **state)
{
    hsmca_bytes b;

    hsmca_bytes_init(&b);
    assert_int_equal(hsmca_bytes_vec_end(&b), HSMCA_E_USAGE);
    expect_finish_fails(&b, HSMCA_E_USAGE);
}

static void test_depth_limit(void **state)
{
    uint8_t want[HSMCA_BYTES_MAX_DEPTH];
    hsmca_bytes b;

    hsmca_bytes_init(&b);
    for (int i = 0; i < HSMCA_BYTES_MAX_DEPTH; i++)
        assert_int_equal(hsmca_bytes_vec_begin(&b, 1), HSMCA_OK);
    assert_int_equal(hsmca_bytes_vec_begin(&b, 1), HSMCA_E_USAGE);
    assert_non_null(strstr(hsmca_err_message(), "nested deeper than 8"));
    expect_finish_fails(&b, HSMCA_E_USAGE);

    /* Exactly MAX_DEPTH levels close properly: 07 06 05 ... 00 */
    hsmca_bytes_init(&b);
    for (int i = 0; i < HSMCA_BYTES_MAX_DEPTH; i++)
        assert_int_equal(hsmca_bytes_vec_begin(&b, 1), HSMCA_OK);
    for (int i = 0; i < HSMCA_BYTES_MAX_DEPTH; i++)
        assert_int_equal(hsmca_bytes_vec_end(&b), HSMCA_OK);
    for (int i = 0; i < HSMCA_BYTES_MAX_DEPTH; i++)
        want[i] = (uint8_t)(HSMCA_BYTES_MAX_DEPTH - 1 - i);
    expect_bytes(&b, want, sizeof want);
}

static void test_empty_finish_gives_buffer(void **state)
{
    hsmca_bytes b;

    hsmca_bytes_init(&b);
    expect_bytes(&b, NULL, 0);
}

static void test_finish_needs_outputs(void **state)
{
    uint8_t *data = NULL;
    size_t len = 0;
    hsmca_bytes b;

    hsmca_bytes_init(&b);
    assert_int_equal(hsmca_bytes_u8(&b, 7), HSMCA_OK);
    assert_int_equal(hsmca_bytes_finish(&b, NULL, &len), HSMCA_E_USAGE);
    assert_int_equal(hsmca_bytes_finish(&b, &data, NULL), HSMCA_E_USAGE);
    /* the builder survived the misuse */
    static const uint8_t want[] = {7};
    expect_bytes(&b, want, 1);
}

static void test_put_null(void **state)
{
    hsmca_bytes b;

    hsmca_bytes_init(&b);
    assert_int_equal(hsmca_bytes_put(&b, NULL, 0), HSMCA_OK);
    assert_int_equal(hsmca_bytes_put(&b, NULL, 1), HSMCA_E_USAGE);
    expect_finish_fails(&b, HSMCA_E_USAGE);
}

static void test_growth(void **state)
{
    enum { N = 100000 };
    uint8_t *data = NULL;
    size_t len = 0;
    hsmca_bytes b;

    hsmca_bytes_init(&b);
    for (size_t i = 0; i < N; i++)
        assert_int_equal(hsmca_bytes_u8(&b, (uint8_t)(i * 7)), HSMCA_OK);
    assert_true(b.cap >= N);
    assert_int_equal(hsmca_bytes_finish(&b, &data, &len), HSMCA_OK);
    assert_int_equal(len, N);
    for (size_t i = 0; i < N; i++)
        assert_int_equal(data[i], (uint8_t)(i * 7));
    OPENSSL_free(data);
}

static void test_size_overflow_refused(void **state)
{
    hsmca_bytes b;

    /* Pretend the buffer is nearly the whole address space: len + n would
     * wrap. The check must refuse before any allocation. */
    hsmca_bytes_init(&b);
    b.len = SIZE_MAX - 1;
    assert_int_equal(hsmca_bytes_u16(&b, 1), HSMCA_E_NOMEM);
    assert_non_null(strstr(hsmca_err_message(), "overflows"));
    assert_null(b.data);
    assert_int_equal(b.failed, HSMCA_E_NOMEM);
    hsmca_bytes_clear(&b);

    hsmca_bytes_init(&b);
    b.len = 10;
    assert_int_equal(hsmca_bytes_put(&b, "x", SIZE_MAX - 5), HSMCA_E_NOMEM);
    hsmca_bytes_clear(&b);
}

static void test_clear(void **state)
{
    hsmca_bytes b;

    memset(&b, 0, sizeof b);
    hsmca_bytes_clear(&b); /* all-zero builder */
    hsmca_bytes_clear(NULL);
    hsmca_bytes_init(&b);
    assert_int_equal(hsmca_bytes_put(&b, "secret", 6), HSMCA_OK);
    assert_int_equal(hsmca_bytes_vec_begin(&b, 2), HSMCA_OK);
    hsmca_bytes_clear(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    assert_int_equal(b.depth, 0);
    /* usable again after clear */
    assert_int_equal(hsmca_bytes_u8(&b, 1), HSMCA_OK);
    hsmca_bytes_clear(&b);
}

/* ---- reader ---- */

static void test_reader_integers(void **state)
{
    static const uint8_t in[] = {
        0xAB, 0x12, 0x34, 0x12, 0x34, 0x56, 0x89, 0xAB, 0xCD, 0xEF,
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
    };
    hsmca_reader r;
    uint8_t u8 = 0;
    uint16_t u16 = 0;
    uint32_t u24 = 0, u32 = 0;
    uint64_t u64 = 0;

    hsmca_reader_init(&r, in, sizeof in);
    assert_int_equal(hsmca_reader_u8(&r, &u8), HSMCA_OK);
    assert_int_equal(hsmca_reader_u16(&r, &u16), HSMCA_OK);
    assert_int_equal(hsmca_reader_u24(&r, &u24), HSMCA_OK);
    assert_int_equal(hsmca_reader_u32(&r, &u32), HSMCA_OK);
    assert_int_equal(hsmca_reader_u64(&r, &u64), HSMCA_OK);
    assert_int_equal(u8, 0xAB);
    assert_int_equal(u16, 0x1234);
    assert_int_equal(u24, 0x123456);
    assert_int_equal(u32, 0x89ABCDEFu);
    assert_true(u64 == UINT64_C(0x0102030405060708));
    assert_int_equal(hsmca_reader_remaining(&r), 0);
    assert_int_equal(hsmca_reader_end(&r), HSMCA_OK);
}

static void test_reader_truncation(void **state)
{
    static const uint8_t in[] = {1, 2, 3, 4, 5, 6, 7};
    hsmca_reader r;
    uint64_t u64 = 42;
    uint32_t u32 = 42;
    uint16_t u16 = 42;
    const uint8_t *p = NULL;

    hsmca_reader_init(&r, in, sizeof in);
    assert_int_equal(hsmca_reader_u64(&r, &u64), HSMCA_E_INPUT);
    assert_non_null(strstr(hsmca_err_message(), "truncated"));
    assert_true(u64 == 42);          /* output untouched */
    assert_int_equal(r.off, 0);      /* nothing consumed */
    assert_int_equal(hsmca_reader_u32(&r, &u32), HSMCA_OK);
    assert_int_equal(hsmca_reader_u32(&r, &u32), HSMCA_E_INPUT);
    assert_int_equal(hsmca_reader_u24(&r, &u32), HSMCA_OK);
    assert_int_equal(u32, 0x050607);
    assert_int_equal(hsmca_reader_u16(&r, &u16), HSMCA_E_INPUT);
    assert_int_equal(hsmca_reader_bytes(&r, 1, &p), HSMCA_E_INPUT);
    assert_int_equal(hsmca_reader_bytes(&r, 0, &p), HSMCA_OK);
    assert_int_equal(hsmca_reader_end(&r), HSMCA_OK);
}

static void test_reader_huge_length_no_wrap(void **state)
{
    static const uint8_t in[] = {1, 2, 3};
    hsmca_reader r;
    const uint8_t *p = NULL;

    hsmca_reader_init(&r, in, sizeof in);
    assert_int_equal(hsmca_reader_bytes(&r, 1, &p), HSMCA_OK);
    assert_int_equal(hsmca_reader_bytes(&r, SIZE_MAX, &p), HSMCA_E_INPUT);
    assert_int_equal(hsmca_reader_bytes(&r, SIZE_MAX - 1, &p), HSMCA_E_INPUT);
    assert_int_equal(r.off, 1);
    assert_int_equal(hsmca_reader_bytes(&r, 2, &p), HSMCA_OK);
    assert_ptr_equal(p, in + 1);
}

static void test_reader_trailing_bytes(void **state)
{
    static const uint8_t in[] = {0, 1, 0xEE};
    hsmca_reader r;
    uint16_t v;

    hsmca_reader_init(&r, in, sizeof in);
    assert_int_equal(hsmca_reader_u16(&r, &v), HSMCA_OK);
    assert_int_equal(hsmca_reader_end(&r), HSMCA_E_INPUT);
    assert_non_null(strstr(hsmca_err_message(), "1 unexpected trailing bytes at offset 2"));
}

static void test_reader_vectors(void **state)
{
    static const uint8_t in[] = {
        0x00, 0x06,                 /* 2-octet vector of 6 */
        0x03, 'a', 'b', 'c',        /* 1-octet vector of 3 */
        0x00, 0x00,                 /* 2-octet empty vector */
        0x00, 0x00, 0x01, 'z',      /* 3-octet vector of 1 */
    };
    hsmca_reader r, outer, inner, empty;
    const uint8_t *p = NULL;

    hsmca_reader_init(&r, in, sizeof in);
    assert_int_equal(hsmca_reader_vec(&r, 2, &outer), HSMCA_OK);
    assert_int_equal(hsmca_reader_remaining(&outer), 6);
    assert_int_equal(hsmca_reader_vec(&outer, 1, &inner), HSMCA_OK);
    assert_int_equal(hsmca_reader_bytes(&inner, 3, &p), HSMCA_OK);
    assert_memory_equal(p, "abc", 3);
    assert_int_equal(hsmca_reader_end(&inner), HSMCA_OK);
    assert_int_equal(hsmca_reader_vec(&outer, 2, &empty), HSMCA_OK);
    assert_int_equal(hsmca_reader_remaining(&empty), 0);
    assert_int_equal(hsmca_reader_end(&outer), HSMCA_OK);
    assert_int_equal(hsmca_reader_vec(&r, 3, &inner), HSMCA_OK);
    assert_int_equal(hsmca_reader_bytes(&inner, 1, &p), HSMCA_OK);
    assert_int_equal(*p, 'z');
    assert_int_equal(hsmca_reader_end(&r), HSMCA_OK);
}

static void test_reader_vector_truncated(void **state)
{
    static const uint8_t in[] = {0x00, 0x05, 'a', 'b', 'c'};
    hsmca_reader r, sub;

    hsmca_reader_init(&r, in, sizeof in);
    assert_int_equal(hsmca_reader_vec(&r, 2, &sub), HSMCA_E_INPUT);
    assert_non_null(strstr(hsmca_err_message(), "says 5 bytes, only 3 left"));
    assert_int_equal(r.off, 0); /* prefix not consumed either */
    /* truncated prefix */
    hsmca_reader_init(&r, in, 2);
    assert_int_equal(hsmca_reader_vec(&r, 3, &sub), HSMCA_E_INPUT);
    assert_int_equal(r.off, 0);
}

static void test_reader_vector_bad_width(void **state)
{
    static const uint8_t in[] = {0, 0, 0, 0, 0};
    hsmca_reader r, sub;

    hsmca_reader_init(&r, in, sizeof in);
    assert_int_equal(hsmca_reader_vec(&r, 0, &sub), HSMCA_E_USAGE);
    assert_int_equal(hsmca_reader_vec(&r, 4, &sub), HSMCA_E_USAGE);
    assert_int_equal(r.off, 0);
}

static void test_reader_empty(void **state)
{
    hsmca_reader r;
    uint8_t v;
    const uint8_t *p = NULL;

    hsmca_reader_init(&r, NULL, 10); /* NULL buffer reads as empty */
    assert_int_equal(hsmca_reader_remaining(&r), 0);
    assert_int_equal(hsmca_reader_u8(&r, &v), HSMCA_E_INPUT);
    assert_int_equal(hsmca_reader_bytes(&r, 0, &p), HSMCA_OK);
    assert_int_equal(hsmca_reader_end(&r), HSMCA_OK);
}

static void test_round_trip(void **state)
{
    uint8_t *data = NULL;
    size_t len = 0;
    hsmca_bytes b;
    hsmca_reader r, v;
    uint64_t ts = 0;
    uint16_t ext = 1;
    const uint8_t *p = NULL;

    /* A v1 SCT's signed fields (RFC 6962 §3.2) as a shape. */
    hsmca_bytes_init(&b);
    hsmca_bytes_u8(&b, 0);
    hsmca_bytes_u64(&b, UINT64_C(1795867200000));
    hsmca_bytes_vec(&b, 3, "tbs", 3);
    hsmca_bytes_vec(&b, 2, NULL, 0);
    assert_int_equal(hsmca_bytes_finish(&b, &data, &len), HSMCA_OK);
    assert_int_equal(len, 1 + 8 + 3 + 3 + 2);

    hsmca_reader_init(&r, data, len);
    uint8_t ver = 9;
    assert_int_equal(hsmca_reader_u8(&r, &ver), HSMCA_OK);
    assert_int_equal(ver, 0);
    assert_int_equal(hsmca_reader_u64(&r, &ts), HSMCA_OK);
    assert_true(ts == UINT64_C(1795867200000));
    assert_int_equal(hsmca_reader_vec(&r, 3, &v), HSMCA_OK);
    assert_int_equal(hsmca_reader_bytes(&v, 3, &p), HSMCA_OK);
    assert_memory_equal(p, "tbs", 3);
    assert_int_equal(hsmca_reader_u16(&r, &ext), HSMCA_OK);
    assert_int_equal(ext, 0);
    assert_int_equal(hsmca_reader_end(&r), HSMCA_OK);
    OPENSSL_free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers_big_endian),
        cmocka_unit_test(test_u24_bounds),
        cmocka_unit_test(test_sticky_first_failure),
        cmocka_unit_test(test_sticky_keeps_first_code),
        cmocka_unit_test(test_vector_1_byte_limit),
        cmocka_unit_test(test_vector_2_byte_limit),
        cmocka_unit_test(test_vector_3_byte_limit),
        cmocka_unit_test(test_vector_bad_width),
        cmocka_unit_test(test_nested_vectors),
        cmocka_unit_test(test_inner_limit_checked_per_vector),
        cmocka_unit_test(test_unclosed_vector_at_finish),
        cmocka_unit_test(test_vec_end_without_begin),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_empty_finish_gives_buffer),
        cmocka_unit_test(test_finish_needs_outputs),
        cmocka_unit_test(test_put_null),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_size_overflow_refused),
        cmocka_unit_test(test_clear),
        cmocka_unit_test(test_reader_integers),
        cmocka_unit_test(test_reader_truncation),
        cmocka_unit_test(test_reader_huge_length_no_wrap),
        cmocka_unit_test(test_reader_trailing_bytes),
        cmocka_unit_test(test_reader_vectors),
        cmocka_unit_test(test_reader_vector_truncated),
        cmocka_unit_test(test_reader_vector_bad_width),
        cmocka_unit_test(test_reader_empty),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
