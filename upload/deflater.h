/*
 * deflater.h — zlib on a second thread, for the batch builder (batch.h).
 *
 * Compression is a third of the uploader's CPU, and it needs nothing but
 * the text: the thread that reads, checks and batches objects hands the
 * batch's JSON over in chunks (a batch is ~1.5 MB of JSON in ~50 chunks of 32 KB)
 * and goes on with the next chunk while this thread compresses the last.
 * One chunk in work, one being filled: the caller waits only when it
 * fills a chunk before the previous one is compressed.
 *
 * One job at a time, on a workq of one (workq.h): while a job runs, its
 * z_stream, output buffer and input belong to this thread; deflater_wait
 * hands them back. Signals are blocked in the thread (the main thread
 * takes Ctrl-C). The first failure ends the work, as in workq.h: the
 * z_stream is spoilt, so every later post and wait report it too. If the
 * thread cannot be started, deflater_new returns NULL and the builder
 * compresses in the caller, as before.
 */
#ifndef J1NPM_UPLOAD_DEFLATER_H
#define J1NPM_UPLOAD_DEFLATER_H

#include <stddef.h>
#include <zlib.h>

#include "buf.h"

struct deflater;

struct deflater *deflater_new(void);
/* Waits for the job before, then starts deflate(z, flush) over in[0, n)
 * appending to out. in, z and out must stay untouched until the next
 * deflater_post or deflater_wait returns. 0, or -1 when a job before
 * failed (a zlib error; memory cannot fail, alloc.h): this one is not run. */
int deflater_post(struct deflater *d, z_stream *z, struct buf *out, const char *in, size_t n,
                  int flush);
/* Waits until no job runs; 0, or -1 when a job failed. */
int deflater_wait(struct deflater *d);
void deflater_free(struct deflater *d);

/* deflate(z, flush) over all of in, into out, growing it: the step both the
 * thread and a caller without one run. 0, or -1 (a zlib error). */
int deflater_run(z_stream *z, struct buf *out, const char *in, size_t n, int flush);

#endif
