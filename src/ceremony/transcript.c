/* hsmca — ceremony transcripts: hash-chained entries, written and checked.
 *
 *   # hsmca ceremony transcript v1
 *   --- entry 1
 *   prev: 0000...0000
 *   time: 2026-11-28T12:00:00Z
 *   event: ceremony-start
 *   script: hsm/ceremonies/rehearsal.yaml sha256=...
 *   hash: 3f5a...
 *
 * hash is the SHA-256 of the entry's lines from "--- entry N" through the
 * line before "hash:", each with its newline. prev is the previous entry's
 * hash (64 zeros for the first). Values are one line: control characters
 * are written as \xNN, and a backslash as \\.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ceremony_int.h"
#include "hsmca/file.h"

#define HEADER "# hsmca ceremony transcript v1\n"
#define MAX_ENTRY (64 * 1024)
#define MAX_TRANSCRIPT (16 * 1024 * 1024)

struct hsmca_transcript {
    int fd;
    char *path;
    size_t entries;
    char prev[HSMCA_TRANSCRIPT_HASH_HEX];
    char *buf;          /* the entry being built */
    size_t len;
    int overflow;
};

static void to_hex(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

hsmca_err hsmca_ceremony_sha256_hex(const void *data, size_t len, char out[HSMCA_TRANSCRIPT_HASH_HEX])
{
    uint8_t md[32];
    unsigned int mdlen = 0;

    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
        return hsmca_err_openssl(HSMCA_E_CRYPTO, "SHA-256 failed");
    to_hex(md, 32, out);
    return HSMCA_OK;
}

hsmca_err hsmca_ceremony_file_sha256(const char *path, char out[HSMCA_TRANSCRIPT_HASH_HEX])
{
    hsmca_err err = HSMCA_OK;
    uint8_t *data = NULL;
    size_t len = 0;

    HSMCA_GUARD(hsmca_file_read(path, 64u * 1024 * 1024, &data, &len));
    HSMCA_GUARD(hsmca_ceremony_sha256_hex(data, len, out));
out:
    free(data);
    return err;
}

static hsmca_err write_all(int fd, const char *p, size_t n, const char *path)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return hsmca_err_setf(HSMCA_E_IO, "cannot write %s: %s", path, strerror(errno));
        p += w;
        n -= (size_t)w;
    }
    return HSMCA_OK;
}

hsmca_err hsmca_transcript_create(const char *path, hsmca_transcript **out)
{
    hsmca_err err = HSMCA_OK;
    hsmca_transcript *t = NULL;

    t = calloc(1, sizeof(*t));
    HSMCA_ALLOC(t);
    t->fd = -1;
    t->path = strdup(path);
    HSMCA_ALLOC(t->path);
    t->buf = malloc(MAX_ENTRY);
    HSMCA_ALLOC(t->buf);
    memset(t->prev, '0', 64);
    t->prev[64] = '\0';
    /* O_EXCL: a transcript is never overwritten. */
    t->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    HSMCA_ENSURE(t->fd >= 0, errno == EEXIST ? HSMCA_E_EXISTS : HSMCA_E_IO,
                 "cannot create transcript %s: %s", path, strerror(errno));
    HSMCA_GUARD(write_all(t->fd, HEADER, strlen(HEADER), path));
    *out = t;
    t = NULL;
out:
    if (t != NULL && t->fd >= 0) {
        close(t->fd);
        unlink(path);
        t->fd = -1;
    }
    hsmca_transcript_free(t);
    return err;
}

void hsmca_transcript_free(hsmca_transcript *t)
{
    if (t == NULL)
        return;
    if (t->fd >= 0)
        close(t->fd);
    free(t->path);
    free(t->buf);
    free(t);
}

const char *hsmca_transcript_path(const hsmca_transcript *t)
{
    return t->path;
}

const char *hsmca_transcript_head(const hsmca_transcript *t)
{
    return t->prev;
}

/* Append raw text to the entry buffer. */
static void append(hsmca_transcript *t, const char *s, size_t n)
{
    if (t->overflow || t->len + n >= MAX_ENTRY) {
        t->overflow = 1;
        return;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
}

void hsmca_transcript_begin(hsmca_transcript *t, const char *event)
{
    char line[128];
    char when[32];
    int n;

    t->len = 0;
    t->overflow = 0;
    n = snprintf(line, sizeof(line), "--- entry %zu\nprev: %s\n", t->entries + 1, t->prev);
    append(t, line, (size_t)n);
    hsmca_transcript_field(t, "time", "%s", hsmca_clock_format(hsmca_clock_now(), when,
                                                                sizeof(when)));
    hsmca_transcript_field(t, "event", "%s", event);
}

void hsmca_transcript_field(hsmca_transcript *t, const char *key, const char *fmt, ...)
{
    char value[4096];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(value, sizeof(value), fmt, ap);
    va_end(ap);
    append(t, key, strlen(key));
    append(t, ": ", 2);
    /* One line per field: escape what would break the line format. */
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        char esc[5];
        if (*p == '\\') {
            append(t, "\\\\", 2);
        } else if (*p < 0x20 || *p == 0x7f) {
            snprintf(esc, sizeof(esc), "\\x%02x", *p);
            append(t, esc, 4);
        } else {
            append(t, (const char *)p, 1);
        }
    }
    append(t, "\n", 1);
}

hsmca_err hsmca_transcript_commit(hsmca_transcript *t)
{
    hsmca_err err = HSMCA_OK;
    char hash[HSMCA_TRANSCRIPT_HASH_HEX];
    char line[80];
    int n;

    HSMCA_ENSURE(!t->overflow, HSMCA_E_INTERNAL, "transcript entry longer than %d bytes",
                 MAX_ENTRY);
    HSMCA_GUARD(hsmca_ceremony_sha256_hex(t->buf, t->len, hash));
    n = snprintf(line, sizeof(line), "hash: %s\n", hash);
    append(t, line, (size_t)n);
    HSMCA_GUARD(write_all(t->fd, t->buf, t->len, t->path));
    /* Each entry is on disk before the ceremony moves on: a crash leaves a
     * transcript that verifies up to the last completed step. */
    HSMCA_ENSURE(fsync(t->fd) == 0, HSMCA_E_IO, "cannot write %s: fsync: %s", t->path,
                 strerror(errno));
    memcpy(t->prev, hash, sizeof(hash));
    t->entries++;
out:
    t->len = 0;
    return err;
}

/* ---- verification ---- */

static hsmca_err verify_output_line(const char *value, const char *files_dir, unsigned long lineno)
{
    hsmca_err err = HSMCA_OK;
    char name[1024], want[HSMCA_TRANSCRIPT_HASH_HEX], got[HSMCA_TRANSCRIPT_HASH_HEX];
    char path[2048];
    const char *sp = strstr(value, " sha256=");

    HSMCA_ENSURE(sp != NULL && strlen(sp + 8) == 64 && (size_t)(sp - value) < sizeof(name),
                 HSMCA_E_VERIFY, "line %lu: malformed output line", lineno);
    memcpy(name, value, (size_t)(sp - value));
    name[sp - value] = '\0';
    /* Outputs are plain file names; a crafted transcript must not make the
     * verifier read files outside files_dir. */
    HSMCA_ENSURE(name[0] != '\0' && strchr(name, '/') == NULL && strcmp(name, "..") != 0 &&
                     strchr(name, '\\') == NULL,
                 HSMCA_E_VERIFY, "line %lu: output name '%s' is not a plain file name", lineno,
                 name);
    memcpy(want, sp + 8, 65);
    snprintf(path, sizeof(path), "%s/%s", files_dir, name);
    err = hsmca_ceremony_file_sha256(path, got);
    if (err != HSMCA_OK) {
        hsmca_err_context("line %lu: output %s", lineno, name);
        goto out;
    }
    HSMCA_ENSURE(strcmp(want, got) == 0, HSMCA_E_VERIFY,
                 "line %lu: %s has SHA-256 %s, the transcript says %s", lineno, path, got, want);
out:
    return err;
}

hsmca_err hsmca_ceremony_verify_transcript(const char *path, const char *files_dir,
                                           size_t *entries,
                                           char head[HSMCA_TRANSCRIPT_HASH_HEX])
{
    hsmca_err err = HSMCA_OK;
    uint8_t *data = NULL;
    size_t len = 0, count = 0;
    char prev[HSMCA_TRANSCRIPT_HASH_HEX], hash[HSMCA_TRANSCRIPT_HASH_HEX];
    const char *p, *end, *entry_start = NULL;
    unsigned long lineno = 1;
    int saw_prev = 0;

    HSMCA_GUARD(hsmca_file_read(path, MAX_TRANSCRIPT, &data, &len));
    memset(prev, '0', 64);
    prev[64] = '\0';
    HSMCA_ENSURE(len >= strlen(HEADER) && memcmp(data, HEADER, strlen(HEADER)) == 0,
                 HSMCA_E_VERIFY, "%s: line 1 is not '%.*s'", path, (int)strlen(HEADER) - 1,
                 HEADER);
    p = (const char *)data + strlen(HEADER);
    end = (const char *)data + len;
    lineno = 2;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n;

        HSMCA_ENSURE(nl != NULL, HSMCA_E_VERIFY, "%s:%lu: the last line is incomplete "
                     "(a write was cut off?)", path, lineno);
        n = (size_t)(nl - p);
        if (n > 10 && strncmp(p, "--- entry ", 10) == 0) {
            char want[32];
            HSMCA_ENSURE(entry_start == NULL, HSMCA_E_VERIFY,
                         "%s:%lu: entry %zu has no hash line", path, lineno, count);
            snprintf(want, sizeof(want), "--- entry %zu", count + 1);
            HSMCA_ENSURE(n == strlen(want) && strncmp(p, want, n) == 0, HSMCA_E_VERIFY,
                         "%s:%lu: expected '%s', found '%.*s' (an entry was removed or "
                         "reordered)", path, lineno, want, (int)n, p);
            entry_start = p;
            saw_prev = 0;
        } else if (entry_start == NULL) {
            HSMCA_FAIL(HSMCA_E_VERIFY, "%s:%lu: text outside an entry", path, lineno);
        } else if (n > 6 && strncmp(p, "prev: ", 6) == 0 && !saw_prev) {
            HSMCA_ENSURE(n == 6 + 64 && strncmp(p + 6, prev, 64) == 0, HSMCA_E_VERIFY,
                         "%s:%lu: entry %zu does not follow entry %zu (prev hash differs: "
                         "an entry was removed, reordered or edited)",
                         path, lineno, count + 1, count);
            saw_prev = 1;
        } else if (n > 6 && strncmp(p, "hash: ", 6) == 0) {
            HSMCA_ENSURE(saw_prev, HSMCA_E_VERIFY, "%s:%lu: entry without prev line", path,
                         lineno);
            HSMCA_GUARD(hsmca_ceremony_sha256_hex(entry_start, (size_t)(p - entry_start), hash));
            HSMCA_ENSURE(n == 6 + 64 && strncmp(p + 6, hash, 64) == 0, HSMCA_E_VERIFY,
                         "%s:%lu: entry %zu was edited (its hash does not match its text)",
                         path, lineno, count + 1);
            memcpy(prev, hash, sizeof(hash));
            count++;
            entry_start = NULL;
        } else {
            const char *colon = memchr(p, ':', n);
            HSMCA_ENSURE(saw_prev && colon != NULL && colon + 1 < nl && colon[1] == ' ',
                         HSMCA_E_VERIFY, "%s:%lu: malformed line '%.*s'", path, lineno,
                         (int)(n > 60 ? 60 : n), p);
            if (files_dir != NULL && colon - p == 6 && strncmp(p, "output", 6) == 0) {
                char value[2048];
                size_t vlen = (size_t)(nl - colon - 2);
                HSMCA_ENSURE(vlen < sizeof(value), HSMCA_E_VERIFY, "%s:%lu: line too long",
                             path, lineno);
                memcpy(value, colon + 2, vlen);
                value[vlen] = '\0';
                HSMCA_GUARD(verify_output_line(value, files_dir, lineno));
            }
        }
        p = nl + 1;
        lineno++;
    }
    HSMCA_ENSURE(entry_start == NULL, HSMCA_E_VERIFY, "%s: the last entry has no hash line "
                 "(the transcript was cut off)", path);
    HSMCA_ENSURE(count > 0, HSMCA_E_VERIFY, "%s: no entries", path);
    if (entries != NULL)
        *entries = count;
    if (head != NULL)
        memcpy(head, prev, HSMCA_TRANSCRIPT_HASH_HEX);
out:
    free(data);
    return err;
}
