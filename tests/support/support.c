/* hsmca — helpers shared by the cmocka tests (support.h). */
/* nftw(3) is X/Open, not C11. */
#define _XOPEN_SOURCE 700
#include "support.h"

#include "hsmca/profile.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int hsmca_test_mkdtemp(char *out, size_t len)
{
    const char *tmp = getenv("TMPDIR");
    int w;

    if (tmp == NULL || tmp[0] == '\0')
        tmp = "/tmp";
    w = snprintf(out, len, "%s/hsmca-test-XXXXXX", tmp);
    if (w < 0 || (size_t)w >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return mkdtemp(out) != NULL ? 0 : -1;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

int hsmca_test_rmtree(const char *dir)
{
    struct stat st;

    if (lstat(dir, &st) != 0 && errno == ENOENT)
        return 0;
    /* Depth first so directories are empty when removed; FTW_PHYS so a
     * symlink in a test directory is removed, not followed. */
    return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int hsmca_test_write_file(const char *path, const void *data, size_t n, mode_t mode)
{
    const char *p = data;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    if (fd < 0)
        return -1;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    if (fchmod(fd, mode) != 0) {
        close(fd);
        return -1;
    }
    return close(fd);
}

int hsmca_test_path(char *out, size_t len, const char *dir, const char *name)
{
    int w = snprintf(out, len, "%s/%s", dir, name);

    if (w < 0 || (size_t)w >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int hsmca_test_capture_stderr(hsmca_test_capture *c)
{
    char path[] = "/tmp/hsmca-stderr-XXXXXX";

    c->saved_fd = -1;
    c->tmp_fd = mkstemp(path);
    if (c->tmp_fd < 0)
        return -1;
    (void)unlink(path); /* anonymous from here on */
    fflush(stderr);
    c->saved_fd = dup(STDERR_FILENO);
    if (c->saved_fd < 0 || dup2(c->tmp_fd, STDERR_FILENO) < 0) {
        close(c->tmp_fd);
        if (c->saved_fd >= 0)
            close(c->saved_fd);
        c->tmp_fd = c->saved_fd = -1;
        return -1;
    }
    return 0;
}

char *hsmca_test_capture_end(hsmca_test_capture *c)
{
    char *text = NULL;
    off_t size;

    if (c->tmp_fd < 0)
        return NULL;
    fflush(stderr);
    (void)dup2(c->saved_fd, STDERR_FILENO);
    close(c->saved_fd);
    size = lseek(c->tmp_fd, 0, SEEK_END);
    if (size >= 0 && (text = calloc(1, (size_t)size + 1)) != NULL) {
        if (pread(c->tmp_fd, text, (size_t)size, 0) != size) {
            free(text);
            text = NULL;
        }
    }
    close(c->tmp_fd);
    c->tmp_fd = c->saved_fd = -1;
    return text;
}

const char *hsmca_test_source_dir(void)
{
    const char *d = getenv("HSMCA_SOURCE_DIR");

    return d != NULL && d[0] != '\0' ? d : NULL;
}

struct hsmca_profile *hsmca_test_profile(const char *name)
{
    char dir[4096];
    const char *src = hsmca_test_source_dir();
    hsmca_profile *p = NULL;

    if (src == NULL) {
        hsmca_err_setf(HSMCA_E_USAGE, "HSMCA_SOURCE_DIR is not set (run the tests through ctest)");
        return NULL;
    }
    snprintf(dir, sizeof dir, "%s/profiles", src);
    return hsmca_profile_load_named(name, dir, &p) == HSMCA_OK ? p : NULL;
}
