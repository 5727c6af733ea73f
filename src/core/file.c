/* hsmca — files written whole or not at all (see include/hsmca/file.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hsmca/file.h"

/* The directory part of path into buf ("." when there is none). */
static void dir_of(const char *path, char *buf, size_t len)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL)
        snprintf(buf, len, ".");
    else if (slash == path)
        snprintf(buf, len, "/");
    else
        snprintf(buf, len, "%.*s", (int)(slash - path), path);
}

hsmca_err hsmca_file_check_new(const char *path)
{
    char dir[PATH_MAX];
    struct stat st;

    if (lstat(path, &st) == 0)
        return hsmca_err_setf(HSMCA_E_EXISTS, "%s already exists; hsmca never overwrites "
                              "an output (move it away or choose another name)", path);
    if (errno != ENOENT)
        return hsmca_err_setf(HSMCA_E_IO, "%s: %s", path, strerror(errno));
    dir_of(path, dir, sizeof(dir));
    if (stat(dir, &st) != 0)
        return hsmca_err_setf(HSMCA_E_IO, "cannot write %s: directory %s: %s", path, dir,
                              strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return hsmca_err_setf(HSMCA_E_IO, "cannot write %s: %s is not a directory", path, dir);
    if (access(dir, W_OK) != 0)
        return hsmca_err_setf(HSMCA_E_IO, "cannot write %s: directory %s: %s", path, dir,
                              strerror(errno));
    return HSMCA_OK;
}

/* Write data to a new temporary file beside path (mode, fsynced) and
 * publish it under path: by link(2), which never replaces anything
 * (replace = 0), or by rename(2), which replaces atomically (replace = 1).
 * Either way a reader sees the old file or the whole new one. */
static hsmca_err write_whole(const char *path, const void *data, size_t len, mode_t mode,
                             int replace)
{
    hsmca_err err = HSMCA_OK;
    char dir[PATH_MAX], tmp[PATH_MAX];
    const uint8_t *p = data;
    int fd = -1, dfd = -1, have_tmp = 0;

    dir_of(path, dir, sizeof(dir));
    HSMCA_ENSURE((size_t)snprintf(tmp, sizeof(tmp), "%s/.hsmca-tmp-XXXXXX", dir) < sizeof(tmp),
                 HSMCA_E_IO, "path too long: %s", path);
    fd = mkstemp(tmp);
    HSMCA_ENSURE(fd >= 0, HSMCA_E_IO, "cannot create a file in %s: %s", dir, strerror(errno));
    have_tmp = 1;
    HSMCA_ENSURE(fchmod(fd, mode) == 0, HSMCA_E_IO, "%s: chmod: %s", tmp, strerror(errno));
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        HSMCA_ENSURE(w > 0, HSMCA_E_IO, "cannot write %s: %s", path, strerror(errno));
        p += w;
        len -= (size_t)w;
    }
    HSMCA_ENSURE(fsync(fd) == 0, HSMCA_E_IO, "cannot write %s: fsync: %s", path, strerror(errno));
    HSMCA_ENSURE(close(fd) == 0, HSMCA_E_IO, "cannot write %s: %s", path, strerror(errno));
    fd = -1;
    if (replace) {
        HSMCA_ENSURE(rename(tmp, path) == 0, HSMCA_E_IO, "cannot replace %s: %s", path,
                     strerror(errno));
        have_tmp = 0;
    } else if (link(tmp, path) != 0) {
        /* link(2) fails with EEXIST instead of replacing: no output is ever
         * overwritten, even by a concurrent writer. */
        if (errno == EEXIST)
            HSMCA_FAIL(HSMCA_E_EXISTS, "%s already exists; hsmca never overwrites an output",
                       path);
        HSMCA_FAIL(HSMCA_E_IO, "cannot create %s: %s", path, strerror(errno));
    }
    dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0)
        (void)fsync(dfd); /* make the new name durable */
out:
    if (fd >= 0)
        close(fd);
    if (dfd >= 0)
        close(dfd);
    if (have_tmp)
        unlink(tmp);
    return err;
}

hsmca_err hsmca_file_write_new(const char *path, const void *data, size_t len, mode_t mode)
{
    hsmca_err err = hsmca_file_check_new(path);

    if (err != HSMCA_OK)
        return err;
    return write_whole(path, data, len, mode, 0);
}

hsmca_err hsmca_file_write_replace(const char *path, const void *data, size_t len, mode_t mode)
{
    struct stat st;

    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return hsmca_err_setf(HSMCA_E_EXISTS, "%s exists and is not a regular file; it is "
                              "not replaced", path);
    return write_whole(path, data, len, mode, 1);
}

hsmca_err hsmca_file_read(const char *path, size_t max, uint8_t **out, size_t *out_len)
{
    hsmca_err err = HSMCA_OK;
    FILE *f = NULL;
    uint8_t *buf = NULL;
    size_t n;

    f = fopen(path, "rb");
    HSMCA_ENSURE(f != NULL, errno == ENOENT ? HSMCA_E_NOT_FOUND : HSMCA_E_IO, "cannot read %s: %s",
                 path, strerror(errno));
    buf = malloc(max + 2);
    HSMCA_ALLOC(buf);
    n = fread(buf, 1, max + 1, f);
    HSMCA_ENSURE(!ferror(f), HSMCA_E_IO, "cannot read %s", path);
    HSMCA_ENSURE(n <= max, HSMCA_E_INPUT, "%s is larger than %zu bytes", path, max);
    buf[n] = 0;
    *out = buf;
    buf = NULL;
    *out_len = n;
out:
    if (f != NULL)
        fclose(f);
    free(buf);
    return err;
}
