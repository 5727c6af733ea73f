/* hsmca tests — checks that end the running cmocka test when they fail.
 *
 * support.h's helpers return -1 and never call cmocka, so a forked child
 * may use them; these call fail_msg() instead, for test bodies and setups.
 * Include after <cmocka.h>.
 */
#ifndef HSMCA_TEST_REQUIRE_H
#define HSMCA_TEST_REQUIRE_H

#include "hsmca/err.h"

/* Fail unless expr (an hsmca_err) is HSMCA_OK, naming the expression and
 * the hsmca error with its detail. */
#define ASSERT_OK(expr)                                                       \
    do {                                                                      \
        hsmca_err e_ = (expr);                                                \
        if (e_ != HSMCA_OK)                                                   \
            fail_msg("%s: %s (%s)", #expr, hsmca_err_message(), hsmca_err_detail()); \
    } while (0)

/* $HSMCA_SOURCE_DIR (CTest sets it), or fail. */
const char *hsmca_test_require_source_dir(void);

/* A shipped profile (profiles/NAME.yaml of the source tree), or fail. Free
 * with hsmca_profile_free. */
struct hsmca_profile;
struct hsmca_profile *hsmca_test_require_profile(const char *name);

#endif
