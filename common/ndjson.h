/*
 * ndjson.h — gzip-compressed NDJSON, written and read as streams.
 *
 * Writer (struct gzw): deflates whatever it is given into a fixed 256 KiB
 * output buffer and writes that to a file descriptor, hashing (SHA-256) and
 * counting the compressed bytes on the way, so the dump manifest can name
 * each file's size and checksum without reading it back. Memory is constant.
 *
 * Reader (struct ndr): inflates from a file descriptor and hands out one
 * line at a time. Lines may be of any length (a package document is one line
 * of tens of MB): the line buffer grows to the longest line seen, bounded by
 * max_line. Concatenated gzip members are read as one stream (that is what
 * `cat a.gz b.gz` makes); trailing garbage, a corrupt stream and a stream
 * cut short are errors that name the file and line. Input that does not start
 * with the gzip magic is read as plain NDJSON, so `zcat dump | ...` works too.
 * The reader hashes the raw bytes it reads, so a caller can check a file
 * against a manifest's checksum without a second pass.
 */
#ifndef J1NPM_NDJSON_H
#define J1NPM_NDJSON_H

#include <stdbool.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct gzw;

/* level: zlib level 1..9 (6 is a good default; 1 for speed). The fd is not
 * closed by gzw. name is used in error messages. */
struct gzw *gzw_new(int fd, int level, const char *name, struct err *e);
int gzw_write(struct gzw *w, const void *data, size_t n, struct err *e);
/* Writes out everything deflated so far without ending the stream, so a
 * reader at the other end of a pipe sees complete lines promptly. */
int gzw_flush(struct gzw *w, struct err *e);
/* Ends the gzip stream (writes the trailer). */
int gzw_finish(struct gzw *w, struct err *e);
uint64_t gzw_bytes_in(const struct gzw *w);
uint64_t gzw_bytes_out(const struct gzw *w);
/* SHA-256 of the compressed bytes; valid after gzw_finish. */
const char *gzw_sha256(const struct gzw *w);
void gzw_free(struct gzw *w);

struct ndr;

#define NDR_DEFAULT_MAX_LINE ((size_t)1 << 30)

/* Takes ownership of fd (closed by ndr_close). */
struct ndr *ndr_new(int fd, const char *name, size_t max_line, struct err *e);
/* 1: a line (without its '\n', pointer valid until the next call);
 * 0: end of input; -1: error (e names file and line). */
int ndr_next(struct ndr *r, const char **line, size_t *len, struct err *e);
/* Like ndr_next, but hands out a line in pieces of at most the reader's
 * buffer (256 KiB), so memory stays fixed however long the line: *eol says
 * whether the piece ends its line (the '\n' is not included). A piece may
 * be empty. Do not mix with ndr_next on one reader. */
int ndr_next_piece(struct ndr *r, const char **p, size_t *len, bool *eol, struct err *e);
/* Once *flag turns nonzero (a signal handler's), ndr_next returns -1
 * ("interrupted") within about 0.2 s, even while the input stalls. */
void ndr_watch(struct ndr *r, const volatile sig_atomic_t *flag);
unsigned long ndr_lineno(const struct ndr *r);
uint64_t ndr_bytes_out(const struct ndr *r); /* decompressed bytes so far */
uint64_t ndr_bytes_in(const struct ndr *r);  /* raw (compressed) bytes read so far */
/* SHA-256 of the raw bytes read; meaningful once ndr_next returned 0. */
void ndr_sha256(struct ndr *r, char out[65]);
const char *ndr_name(const struct ndr *r);
void ndr_close(struct ndr *r);

#endif
