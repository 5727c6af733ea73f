/* hsmca — small helpers shared by the files of src/profile (profile.c,
 * script.c). Private: include as "profile/profile_int.h".
 */
#ifndef HSMCA_PROFILE_INT_H
#define HSMCA_PROFILE_INT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hsmca/err.h"

/* An owned copy of s; HSMCA_E_NOMEM with a message on failure. */
static inline hsmca_err dup_str(const char *s, char **out)
{
    char *c = strdup(s);

    if (c == NULL)
        return hsmca_err_setf(HSMCA_E_NOMEM, "out of memory");
    *out = c;
    return HSMCA_OK;
}

/* "a, b, c" from a table of n names (NULL entries skipped), for the
 * "allowed: ..." hints in messages; truncated to fit buf. */
static inline void join_names(char *buf, size_t len, const char *const *names, size_t n)
{
    size_t o = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < n && o < len; i++) {
        int w;

        if (names[i] == NULL)
            continue;
        w = snprintf(buf + o, len - o, "%s%s", o ? ", " : "", names[i]);
        if (w < 0)
            break;
        o += (size_t)w;
    }
}

#endif
