/* hsmca — files written whole or not at all.
 *
 * Outputs (certificates, public keys, CRLs, transcripts) are never
 * overwritten and never left half-written (DESIGN.md "Habits"): data goes to
 * a temporary file in the same directory, is flushed to disk, and is then
 * linked into place with link(2), which fails if the name exists.
 */
#ifndef HSMCA_FILE_H
#define HSMCA_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hsmca/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Create `path` with exactly these bytes and permissions `mode`.
 * HSMCA_E_EXISTS if it exists (before or at the moment of linking);
 * HSMCA_E_IO otherwise. On failure nothing is left behind. */
hsmca_err hsmca_file_write_new(const char *path, const void *data, size_t len, mode_t mode);

/* Fail with HSMCA_E_EXISTS if `path` exists, HSMCA_E_IO if its directory
 * does not: lets a command refuse before it touches a token. */
hsmca_err hsmca_file_check_new(const char *path);

/* Write path whole, replacing it atomically if it exists (rename(2) of a
 * fsynced temporary file): a reader sees the old or the new content, never
 * a part. For outputs that are refreshed, like pre-signed OCSP responses;
 * everything else uses hsmca_file_write_new. Refuses to replace anything
 * but a regular file. */
hsmca_err hsmca_file_write_replace(const char *path, const void *data, size_t len, mode_t mode);

/* Read a whole file of at most `max` bytes. *out is NUL-terminated (not
 * counted in *out_len) and freed with free(). */
hsmca_err hsmca_file_read(const char *path, size_t max, uint8_t **out, size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
