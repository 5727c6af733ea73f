/* hsmca — helpers shared by the cmocka tests.
 *
 * Every helper returns 0 on success and -1 (with errno set) on failure, so a
 * test can `assert_int_equal(helper(...), 0)`; none of them call cmocka, so
 * they are also safe in a forked child.
 */
#ifndef HSMCA_TEST_SUPPORT_H
#define HSMCA_TEST_SUPPORT_H

#include <stddef.h>
#include <sys/types.h>

/* A fresh private (0700) directory under $TMPDIR (or /tmp), path into out. */
int hsmca_test_mkdtemp(char *out, size_t len);

/* Remove a directory tree (no symlinks followed). Accepts a missing path. */
int hsmca_test_rmtree(const char *dir);

/* Create or replace path with exactly n bytes and the given mode (umask
 * does not apply: the mode is set with fchmod). */
int hsmca_test_write_file(const char *path, const void *data, size_t n, mode_t mode);

/* dir + "/" + name into out. */
int hsmca_test_path(char *out, size_t len, const char *dir, const char *name);

/* Redirect stderr (fd 2) into a temporary file until the matching _end,
 * which returns what was written there as a malloc'd NUL-terminated string
 * (caller frees), or NULL on failure. Not nestable. */
typedef struct hsmca_test_capture {
    int saved_fd;
    int tmp_fd;
} hsmca_test_capture;

int hsmca_test_capture_stderr(hsmca_test_capture *c);
char *hsmca_test_capture_end(hsmca_test_capture *c);

/* $HSMCA_SOURCE_DIR (CTest sets it), or NULL when it is unset or empty. */
const char *hsmca_test_source_dir(void);

/* A shipped profile (profiles/NAME.yaml of the source tree), or NULL with
 * the hsmca error set. Free with hsmca_profile_free. */
struct hsmca_profile;
struct hsmca_profile *hsmca_test_profile(const char *name);

#endif
