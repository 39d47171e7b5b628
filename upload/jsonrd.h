/*
 * jsonrd.h — a buffered reader that hands out the JSON values of one file
 * as they stream by: what the directory source (source_dir.c) parses a
 * graph file's framing with ('{', member names, array elements).
 *
 * Memory holds the unread part of the file in a buffer that grows only to
 * hold one value (up to SOURCE_MAX_OBJECT bytes); a value handed out stays
 * valid until the next read. The buffer outlives the file it was opened
 * on: one allocation for the whole run, not one fresh (and freshly
 * faulted-in) mapping for each of hundreds of files.
 */
#ifndef J1NPM_UPLOAD_JSONRD_H
#define J1NPM_UPLOAD_JSONRD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "source.h"

struct rd {
    int fd;
    char *buf;
    size_t cap, pos, len; /* unread bytes: buf[pos, len) */
    uint64_t base;        /* file offset of buf[0] */
    bool eof;
};

/* A closed reader: struct rd r = RD_INIT (or rd.fd = -1 in a zeroed one). */
#define RD_INIT                                                                                    \
    {                                                                                              \
        -1, NULL, 0, 0, 0, 0, false                                                                \
    }

/* Opens a regular file (keeps the buffer). `name` in the calls below is
 * the file's name for messages. */
int rd_open(struct rd *r, const char *path, struct err *e);
void rd_close(struct rd *r);
void rd_free(struct rd *r); /* closes and frees the buffer */

static inline bool rd_is_ws(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* rd_peek's way when the buffer holds no more than whitespace. */
int rd_peek_more(struct rd *r, const char *name, char *c, struct err *e);

/* Skips whitespace; *c = the next byte (not consumed). 1, 0 at end, -1
 * error. Inline: it runs between every two tokens of a file's framing. */
static inline int rd_peek(struct rd *r, const char *name, char *c, struct err *e)
{
    while (r->pos < r->len && rd_is_ws(r->buf[r->pos]))
        r->pos++;
    if (r->pos < r->len) {
        *c = r->buf[r->pos];
        return 1;
    }
    return rd_peek_more(r, name, c, e);
}
/* Scans one JSON value starting at buf[pos] (not whitespace). keep: hand it
 * out in *p and *n (valid until the next read); else discard it as it goes. */
int rd_value(struct rd *r, const char *name, bool keep, const char **p, size_t *n, struct err *e);
/* Reads a member name (raw, between quotes) into key (cut at its size). */
int rd_key(struct rd *r, const char *name, char *key, size_t ksz, struct err *e);
/* The next array element into o->text, o->len, o->minified: minified into
 * min when it is an object or array that can be, else as it is. */
int rd_element(struct rd *r, const char *name, struct buf *min, struct source_obj *o,
               struct err *e);

#endif
