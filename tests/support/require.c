/* hsmca tests — checks that end the running cmocka test (require.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "require.h"

#include "hsmca/profile.h"
#include "support.h"

const char *hsmca_test_require_source_dir(void)
{
    const char *d = hsmca_test_source_dir();

    if (d == NULL)
        fail_msg("HSMCA_SOURCE_DIR is not set (run the tests through ctest)");
    return d;
}

struct hsmca_profile *hsmca_test_require_profile(const char *name)
{
    hsmca_profile *p = hsmca_test_profile(name);

    if (p == NULL)
        fail_msg("loading profile %s: %s", name, hsmca_err_message());
    return p;
}
