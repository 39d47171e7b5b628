/*
 * ndjson.c — the gzip NDJSON reader (struct ndr, common/ndjson.c) over any
 * bytes, and the writer/reader round trip.
 *
 * 1. The raw input as a file, with a small line limit taken from its first
 *    byte: plain text must come out as exactly the lines a reference split
 *    gives (split at '\n', one trailing '\r' dropped, a last line without
 *    '\n' kept), and fail iff a line is longer than the limit; gzip input
 *    (corrupt, cut, concatenated, with trailing garbage) must end in lines
 *    or an error, never a crash, a hang or a line holding '\n'. The raw
 *    byte count and SHA-256 are those of the file.
 * 2. The input written through struct gzw (in pieces, with flushes) and read
 *    back gives the reference lines, and both ends agree on the SHA-256.
 * The reader inflates on a worker thread: each run starts and joins one.
 */
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "ndjson.h"
#include "sha256.h"

struct lines {
    const char *p;
    size_t n, off;
};

/* The next line of the reference split; false at the end. */
static bool ref_next(struct lines *l, const char **line, size_t *len, size_t *raw)
{
    if (l->off >= l->n)
        return false;
    const char *s = l->p + l->off;
    const char *nl = memchr(s, '\n', l->n - l->off);
    size_t k = nl ? (size_t)(nl - s) : l->n - l->off;
    *raw = k;
    l->off += k + (nl ? 1 : 0);
    if (nl && k && s[k - 1] == '\r')
        k--;
    *line = s;
    *len = k;
    return true;
}

/* Reads fd to the end, comparing with the reference split of [p, p+n) when
 * p is not NULL. Returns the reader's verdict (0 or -1). */
static int read_all(int fd, size_t max_line, const char *p, size_t n, char sha[65])
{
    struct err e = {0};
    struct ndr *r = ndr_new(fd, "fuzz", max_line, &e);
    FUZZ_CHECK(r != NULL);
    struct lines ref = {p, n, 0};
    const char *line;
    size_t len;
    int rc;
    unsigned long count = 0;
    while ((rc = ndr_next(r, &line, &len, &e)) == 1) {
        count++;
        FUZZ_CHECK(ndr_lineno(r) == count);
        FUZZ_CHECK(memchr(line, '\n', len) == NULL);
        FUZZ_CHECK(len <= (max_line ? max_line : NDR_DEFAULT_MAX_LINE));
        if (p) {
            const char *rl;
            size_t rlen, raw;
            FUZZ_CHECK(ref_next(&ref, &rl, &rlen, &raw));
            FUZZ_CHECK(rlen == len && memcmp(rl, line, len) == 0);
        }
    }
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc < 0)
        FUZZ_CHECK(e.msg[0] != '\0');
    if (rc == 0) {
        const char *rl;
        size_t rlen, raw;
        if (p)
            FUZZ_CHECK(!ref_next(&ref, &rl, &rlen, &raw));
        if (sha)
            ndr_sha256(r, sha);
        /* Asking again at the end stays at the end. */
        FUZZ_CHECK(ndr_next(r, &line, &len, &e) == 0);
    }
    ndr_close(r);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    const char *p = (const char *)data;
    bool gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;

    /* 1. the raw bytes */
    size_t max_line = 8 + (size ? data[size - 1] : 0);
    int fd = fuzz_memfd(data, size);
    FUZZ_CHECK(fd >= 0);
    char sha[65] = "";
    int rc = read_all(fd, max_line, gz ? NULL : p, size, sha);
    if (!gz) {
        struct lines ref = {p, size, 0};
        const char *rl;
        size_t rlen, raw;
        bool too_long = false;
        while (ref_next(&ref, &rl, &rlen, &raw))
            too_long |= raw > max_line;
        FUZZ_CHECK((rc == 0) == !too_long);
    }
    if (rc == 0) {
        struct sha256 h;
        char want[65];
        sha256_init(&h);
        sha256_update(&h, data, size);
        sha256_hex(&h, want);
        FUZZ_CHECK(strcmp(sha, want) == 0);
    }

    /* 2. written by gzw, read back */
    if (size > 65536)
        return 0;
    fd = fuzz_memfd("", 0);
    FUZZ_CHECK(fd >= 0);
    struct err e = {0};
    struct gzw *w = gzw_new(fd, 1 + (int)(size % 9), "fuzz", &e);
    FUZZ_CHECK(w != NULL);
    size_t off = 0, step = 1 + (size ? data[0] : 0);
    while (off < size) {
        size_t k = size - off < step ? size - off : step;
        FUZZ_CHECK(gzw_write(w, p + off, k, &e) == 0);
        if ((off / step) % 3 == 1)
            FUZZ_CHECK(gzw_flush(w, &e) == 0);
        off += k;
    }
    FUZZ_CHECK(gzw_finish(w, &e) == 0);
    FUZZ_CHECK(gzw_bytes_in(w) == size);
    char wsha[65];
    snprintf(wsha, sizeof wsha, "%s", gzw_sha256(w));
    FUZZ_CHECK(lseek(fd, 0, SEEK_SET) == 0);
    FUZZ_CHECK(read_all(fd, 0, p, size, sha) == 0);
    FUZZ_CHECK(strcmp(sha, wsha) == 0);
    gzw_free(w);
    return 0;
}
