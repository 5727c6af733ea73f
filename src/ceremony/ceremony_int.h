/* src/ceremony private declarations. */
#ifndef HSMCA_CEREMONY_INT_H
#define HSMCA_CEREMONY_INT_H

#include <stddef.h>

#include "hsmca/ceremony.h"
#include "hsmca/clock.h"

/* Lower-case hex SHA-256 of bytes / of a file's contents. */
hsmca_err hsmca_ceremony_sha256_hex(const void *data, size_t len,
                                    char out[HSMCA_TRANSCRIPT_HASH_HEX]);
hsmca_err hsmca_ceremony_file_sha256(const char *path, char out[HSMCA_TRANSCRIPT_HASH_HEX]);

/* A transcript being written (see transcript.c for the format). */
typedef struct hsmca_transcript hsmca_transcript;

/* Create path (never replacing a file) and write the header. */
hsmca_err hsmca_transcript_create(const char *path, hsmca_transcript **out);
void hsmca_transcript_free(hsmca_transcript *t);
const char *hsmca_transcript_path(const hsmca_transcript *t);
/* The hash of the last committed entry (64 zeros before the first). */
const char *hsmca_transcript_head(const hsmca_transcript *t);

/* Start an entry: number, prev, time, event. */
void hsmca_transcript_begin(hsmca_transcript *t, const char *event);
/* Add "key: value" (value escaped to one line). */
void hsmca_transcript_field(hsmca_transcript *t, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Hash the entry, append it and fsync. */
hsmca_err hsmca_transcript_commit(hsmca_transcript *t);

#endif
