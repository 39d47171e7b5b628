/*
 * dump.c — see dump.h.
 *
 * Memory: the records queued for the writer (below), a bounded copy of a
 * non-JSON body (body_text is capped at BODY_TEXT_MAX), and zlib state per
 * kind file. Bodies themselves are streamed from the HTTP engine's
 * memory-or-spill storage straight into the compressor.
 *
 * The writer thread. Compressing a record is most of collect's CPU; done
 * on the crawl's thread it delays the next request of every slot that
 * finished meanwhile, and on a busy machine that showed as 11-12 requests
 * in flight of 16 while package documents came in. So dump_record() only
 * builds the record's head and moves the body out of the request into a
 * job; one writer thread (workq.h) compresses and writes jobs in the order
 * they were queued (so the files are what a single thread would write). The
 * queue is bounded (WRITER_JOBS jobs, WRITER_MEM bytes of in-memory bodies;
 * bodies over 1 MiB are already in spill files): when it is full,
 * dump_record() waits, so memory stays bounded if the disk is slower than
 * the network. Only the writer touches the sinks while it runs; the crawl's
 * thread touches them again after workq_drain() (stream release, commit), and
 * the mutex hand-over orders those accesses. A write error stops the
 * writer from writing; the next dump_record() or dump_commit() reports it.
 * The level is zlib's fastest (DUMP_GZIP_LEVEL): level 6 cost twice the
 * CPU for a dump 12% smaller.
 *
 * Crash safety (directory mode). The kind files are written in this run's
 * directory of the work area (work.h) from the first record on. After a
 * record, the writer flushes every kind file written to since its last
 * flush (Z_SYNC_FLUSH: the stream goes on, and a reader inflates every
 * record before the flush point) when no other record is waiting for it,
 * and at least every FLUSH_MS while records keep coming; every SYNC_MS it
 * also syncs them. So a SIGKILL loses only the records queued or in
 * flight (and a power loss at most SYNC_MS more); prev.h reads a file cut
 * short. The flush per record when the writer is idle costs 0.3% in size
 * on a generated 300-package org (packuments are most of a dump; the small
 * kinds grow by a third); a busy writer flushes once a second.
 *
 * SHA256SUMS. A directory dump also gets the checksums in `sha256sum`
 * format ("<hex>  <file>" per kind file, then manifest.json's own), so the
 * far side of an air gap can check it with standard tools before it runs
 * anything of ours. The kind files' sums are the ones the manifest records
 * (taken while they were written); the manifest's is of the bytes about to
 * be written. SHA256SUMS is committed just before manifest.json, which
 * stays the last file to appear: a dump with a manifest always has its
 * sums. The stream mode has no files to sum (the stream's manifest record
 * carries no "files" either). transform does not read SHA256SUMS; it checks
 * the manifest's sums itself.
 */
#include "dump.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "fsutil.h"
#include "json.h"
#include "log.h"
#include "ndjson.h"
#include "sha256.h"
#include "timeutil.h"
#include "work.h"
#include "workq.h"

#define BODY_TEXT_MAX (1u << 20)
#define DUMP_GZIP_LEVEL 1
#define WRITER_JOBS 64
#define WRITER_MEM ((size_t)8 << 20)
#define REDACTED_MEMBER ",\"" DF_REDACTED "\":true" /* a record's last member, when set */
#define FLUSH_MS 1000 /* directory mode: see "Crash safety" at the top */
#define SYNC_MS 5000

struct sink {
    int fd;         /* directory mode: the kind file in the run directory, or -1 */
    bool dirty;     /* directory mode: written since the last flush */
    bool unsynced;  /* directory mode: flushed since the last sync */
    struct gzw *gz; /* directory mode: this kind's file; stream: unused */
    FILE *spool;    /* stream mode, small kinds */
};

/* One record for the writer: its head (the whole record when has_body is
 * false) and the JSON body, moved out of the request. */
struct job {
    enum dump_kind k;
    struct buf head;
    bool has_body;
    bool redact; /* the body holds the token: copy it through the redactor */
    struct http_body body;
};

struct dump {
    uint64_t redacted_records; /* answers that held the token, for the warnings */
    struct dump_opts o;
    char *dir;
    bool stream;
    bool created_dir;
    bool released; /* stream: small kinds written out */
    struct sink sink[K_COUNT];
    struct gzw *out; /* stream mode: stdout */
    struct dump_counts counts[K_COUNT];
    struct workq w; /* the writer thread */
    char *run;      /* directory mode: this run's directory in the work area (work.h) */
    bool finishing; /* directory mode: a commit or keep began; abort keeps the run */
    int64_t flushed_ms, synced_ms; /* the writer's last flush and sync */
    int64_t started_ms;
    uint64_t stream_bytes;
    uint64_t revalidated_bytes;
};

static int writer_start(struct dump *d, struct err *e);

/* ---- opening ------------------------------------------------------------ */

static bool is_dump_entry(const char *name)
{
    if (strcmp(name, DUMP_MANIFEST) == 0 || strcmp(name, DUMP_SUMS) == 0 ||
        strcmp(name, WORK_DIR) == 0)
        return true;
    for (int k = 0; k < K_COUNT; k++)
        if (strcmp(name, dump_kind_files[k]) == 0)
            return true;
    /* our own temporary files: ".<file>.tmp-XXXXXX" */
    return name[0] == '.' && strstr(name, ".tmp-") != NULL;
}

/* --force: remove an earlier dump's files (the manifest first, so the
 * directory never looks whole while half-deleted), and refuse to touch
 * anything that is not ours. */
static int clear_old_dump(const char *dir, struct err *e)
{
    DIR *d = opendir(dir);
    if (!d)
        return err_set(e, ERR_USAGE, "cannot open %s: %s", dir, strerror(errno));
    struct dirent *de;
    char foreign[256] = "";
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (!is_dump_entry(de->d_name) && !foreign[0])
            snprintf(foreign, sizeof foreign, "%s", de->d_name);
    }
    closedir(d);
    if (foreign[0])
        return err_set(e, ERR_USAGE,
                       "%s holds '%s', which is not part of a dump; --force only replaces a "
                       "dump. Choose another --out or empty it yourself",
                       dir, foreign);
    char *m = path_join(dir, DUMP_MANIFEST);
    if (unlink(m) < 0 && errno != ENOENT) {
        err_set(e, ERR_FAIL, "cannot remove %s: %s", m, strerror(errno));
        free(m);
        return -1;
    }
    free(m);
    fsync_dir(dir);
    d = opendir(dir);
    if (!d)
        return err_set(e, ERR_FAIL, "cannot open %s: %s", dir, strerror(errno));
    int rc = 0;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char *p = path_join(dir, de->d_name);
        if (strcmp(de->d_name, WORK_DIR) == 0) { /* an interrupted run's answers */
            rc = rmtree(p, e);
            free(p);
            if (rc < 0)
                break;
            continue;
        }
        if (unlink(p) < 0 && errno != ENOENT) {
            rc = err_set(e, ERR_FAIL, "cannot remove %s: %s", p, strerror(errno));
            free(p);
            break;
        }
        free(p);
    }
    closedir(d);
    return rc;
}

static int prepare_dir(struct dump *d, struct err *e)
{
    bool missing = false;
    int empty = dir_is_empty(d->dir, &missing, e);
    if (empty < 0)
        return -1;
    if (missing) {
        if (mkdir_p(d->dir, 0700, e) < 0)
            return -1;
        d->created_dir = true;
        return 0;
    }
    if (!empty && !d->o.resume) { /* resuming: work.h checked what DIR holds */
        char *w = work_path(d->dir);
        struct stat st;
        bool kept = stat(w, &st) == 0;
        free(w);
        if (!d->o.force && kept)
            return err_set(e, ERR_USAGE,
                           "%s holds the answers of an interrupted collect (" WORK_DIR
                           "); continue it with --resume %s, or pass --force to start over",
                           d->dir, d->dir);
        if (!d->o.force)
            return err_set(e, ERR_USAGE,
                           "%s is not empty; choose a new directory or pass --force to replace "
                           "the dump in it",
                           d->dir);
        if (clear_old_dump(d->dir, e) < 0)
            return -1;
    }
    if (chmod(d->dir, 0700) < 0)
        return err_set(e, ERR_FAIL, "cannot chmod %s: %s", d->dir, strerror(errno));
    return 0;
}

struct dump *dump_open(const struct dump_opts *o, struct err *e)
{
    struct dump *d = xcalloc(1, sizeof *d);
    d->o = *o;
    for (int k = 0; k < K_COUNT; k++)
        d->sink[k].fd = -1;
    d->started_ms = time_wall_ms();
    d->stream = strcmp(o->out, "-") == 0;
    if (d->stream) {
        for (int k = 0; k < K_COUNT; k++) {
            if (k == K_PACKUMENTS)
                continue;
            FILE *f = NULL;
            const char *tmp = getenv("TMPDIR");
            struct buf p = BUF_INIT;
            buf_printf(&p, "%s/j1-npm-spool-XXXXXX", tmp && *tmp ? tmp : "/tmp");
            int fd = mkstemp(p.p);
            if (fd >= 0) {
                unlink(p.p);
                f = fdopen(fd, "w+b");
                if (!f)
                    close(fd);
            }
            buf_free(&p);
            if (!f) {
                err_set(e, ERR_FAIL, "cannot create a spool file in %s: %s",
                        tmp && *tmp ? tmp : "/tmp", strerror(errno));
                dump_free(d);
                return NULL;
            }
            d->sink[k].spool = f;
        }
        d->out = gzw_new(STDOUT_FILENO, DUMP_GZIP_LEVEL, "standard output", e);
        if (!d->out || writer_start(d, e) < 0) {
            dump_free(d);
            return NULL;
        }
        return d;
    }
    d->dir = xstrdup(o->out);
    if (prepare_dir(d, e) < 0) {
        dump_free(d);
        return NULL;
    }
    /* The kind files live in this run's directory of the work area from
     * the first record on (work.h): a crash keeps what reached the disk. */
    if (!(d->run = work_new_run(d->dir, o->org, o->registry, d->started_ms, e))) {
        dump_abort(d);
        dump_free(d);
        return NULL;
    }
    for (int k = 0; k < K_COUNT; k++) {
        char *p = path_join(d->run, dump_kind_files[k]);
        d->sink[k].fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (d->sink[k].fd < 0)
            err_set(e, ERR_FAIL, "cannot create %s: %s", p, strerror(errno));
        else
            d->sink[k].gz = gzw_new(d->sink[k].fd, DUMP_GZIP_LEVEL, p, e);
        free(p);
        if (!d->sink[k].gz) {
            dump_abort(d);
            dump_free(d);
            return NULL;
        }
    }
    if (writer_start(d, e) < 0) {
        dump_abort(d);
        dump_free(d);
        return NULL;
    }
    return d;
}

bool dump_is_stream(const struct dump *d)
{
    return d->stream;
}

const char *dump_location(const struct dump *d)
{
    return d->stream ? "standard output" : d->dir;
}

/* ---- writing records -------------------------------------------------- */

static int sink_write(struct dump *d, enum dump_kind k, const void *p, size_t n, struct err *e)
{
    if (d->stream) {
        if (k != K_PACKUMENTS) {
            if (fwrite(p, 1, n, d->sink[k].spool) != n)
                return err_set(e, ERR_FAIL, "cannot write the spool file: %s", strerror(errno));
            return 0;
        }
        return gzw_write(d->out, p, n, e);
    }
    return gzw_write(d->sink[k].gz, p, n, e);
}

struct body_copy {
    struct dump *d;
    enum dump_kind k;
    struct redact_stream rs; /* the token never reaches the dump */
};

/* Copies a JSON body, dropping CR and LF: in valid JSON they can only be
 * insignificant whitespace, never part of a string. */
static int copy_json(void *vctx, const char *p, size_t n, struct err *e)
{
    struct body_copy *bc = vctx;
    const char *end = p + n;
    while (p < end) {
        const char *q = p;
        while (q < end && *q != '\n' && *q != '\r')
            q++;
        if (q > p && sink_write(bc->d, bc->k, p, (size_t)(q - p), e) < 0)
            return -1;
        p = q;
        while (p < end && (*p == '\n' || *p == '\r'))
            p++;
    }
    return 0;
}

/* Through the redactor first: a token inside a JSON string becomes
 * "[REDACTED]" there, so the body stays valid JSON (a token elsewhere would
 * have made it invalid already). */
static int copy_json_redacted(void *vctx, const char *p, size_t n, struct err *e)
{
    struct body_copy *bc = vctx;
    return redact_feed(&bc->rs, p, n, copy_json, bc, e);
}

static int discard(void *vctx, const char *p, size_t n, struct err *e)
{
    (void)vctx, (void)p, (void)n, (void)e;
    return 0;
}

static int count_secrets(void *vctx, const char *p, size_t n, struct err *e)
{
    return redact_feed(vctx, p, n, discard, NULL, e);
}

struct text_copy {
    struct buf *b;
    bool truncated;
    struct redact_stream rs;
};

static int keep_text(void *vctx, const char *p, size_t n, struct err *e)
{
    struct text_copy *tc = vctx;
    size_t room = BODY_TEXT_MAX - tc->b->len;
    if (n > room) {
        n = room;
        tc->truncated = true;
    }
    (void)e;
    buf_append(tc->b, p, n);
    return 0;
}

/* Redacted before it is cut to BODY_TEXT_MAX: a cut must not leave part of
 * a token that no longer matches it. */
static int copy_text(void *vctx, const char *p, size_t n, struct err *e)
{
    struct text_copy *tc = vctx;
    return redact_feed(&tc->rs, p, n, keep_text, tc, e);
}

/* ---- the writer thread ------------------------------------------------- */

static void job_free(void *vj)
{
    struct job *j = vj;
    buf_free(&j->head);
    http_body_reset(&j->body);
    free(j);
}

/* No record is waiting for the writer (it runs on the writer's thread;
 * workq.h has no call for this, its counters are read under its lock). */
static bool writer_idle(struct dump *d)
{
    pthread_mutex_lock(&d->w.mu);
    bool idle = d->w.queued == 0;
    pthread_mutex_unlock(&d->w.mu);
    return idle;
}

/* Directory mode, after a record: see "Crash safety" at the top. */
static int flush_sinks(struct dump *d, struct err *e)
{
    int64_t now = time_mono_ms();
    if (!writer_idle(d) && now - d->flushed_ms < FLUSH_MS)
        return 0;
    bool sync = now - d->synced_ms >= SYNC_MS;
    d->flushed_ms = now;
    for (int k = 0; k < K_COUNT; k++) {
        struct sink *s = &d->sink[k];
        if (s->dirty && gzw_flush(s->gz, e) < 0)
            return -1;
        s->unsynced = s->unsynced || s->dirty;
        s->dirty = false;
        if (sync && s->unsynced && fdatasync(s->fd) < 0)
            return err_set(e, ERR_FAIL, "cannot sync %s/%s: %s", d->run, dump_kind_files[k],
                           strerror(errno));
        s->unsynced = s->unsynced && !sync;
    }
    if (sync)
        d->synced_ms = now;
    return 0;
}

static int write_job(void *vd, void *vj, struct err *e)
{
    struct dump *d = vd;
    struct job *j = vj;
    if (sink_write(d, j->k, j->head.p, j->head.len, e) < 0)
        return -1;
    if (j->has_body) {
        /* "...,"body": + the verbatim JSON (the token redacted) + "}\n" */
        struct body_copy bc = {d, j->k, REDACT_STREAM_INIT};
        int rc = j->redact ? (http_body_foreach(&j->body, copy_json_redacted, &bc, e) < 0 ||
                              redact_end(&bc.rs, copy_json, &bc, e) < 0)
                           : http_body_foreach(&j->body, copy_json, &bc, e) < 0;
        redact_free(&bc.rs);
        if (rc ||
            (j->redact &&
             sink_write(d, j->k, REDACTED_MEMBER, sizeof REDACTED_MEMBER - 1, e) < 0) ||
            sink_write(d, j->k, "}\n", 2, e) < 0)
            return -1;
    }
    if (d->stream && j->k == K_PACKUMENTS && gzw_flush(d->out, e) < 0)
        return -1;
    if (!d->stream) {
        d->sink[j->k].dirty = true;
        return flush_sinks(d, e);
    }
    return 0;
}

static int writer_start(struct dump *d, struct err *e)
{
    struct workq_opts o = {WRITER_JOBS, WRITER_MEM, write_job, job_free, d};
    return workq_start(&d->w, &o, e) < 0 ? err_wrap(e, "the dump writer") : 0;
}

/* The record up to its body: kind, subject, request, status, headers,
 * timing. */
static void record_head(struct jw *w, enum dump_kind k, const char *subject, const char *path,
                        const struct http_req *r, const char *req_json, const char *token_key)
{
    char ts[32];
    jw_obj(w);
    jw_kstr(w, DF_KIND, dump_kind_names[k]);
    jw_kstr(w, DF_SUBJECT, subject);
    jw_key(w, DF_REQUEST);
    jw_obj(w);
    jw_kstr(w, DF_METHOD, r->method ? r->method : "GET");
    jw_kstr(w, DF_PATH, path);
    if (req_json) {
        jw_key(w, DF_REQ_BODY);
        jw_raw(w, req_json, strlen(req_json));
    }
    jw_obj_end(w);
    if (token_key)
        jw_kstr(w, DF_TOKEN_KEY, token_key);
    jw_key(w, DF_STATUS);
    if (r->status)
        jw_int(w, r->status);
    else
        jw_null(w);
    if (r->outcome == HTTP_ANSWER) {
        jw_key(w, DF_HEADERS);
        jw_obj(w);
        if (r->content_type[0])
            jw_kstr(w, DF_H_CONTENT_TYPE, r->content_type);
        if (r->etag[0])
            jw_kstr(w, DF_H_ETAG, r->etag);
        if (r->last_modified[0])
            jw_kstr(w, DF_H_LAST_MODIFIED, r->last_modified);
        if (r->date[0])
            jw_kstr(w, DF_H_DATE, r->date);
        jw_obj_end(w);
    }
    time_iso8601(r->started_wall_ms ? r->started_wall_ms : time_wall_ms(), ts);
    jw_kstr(w, DF_FETCHED_AT, ts);
    jw_kint(w, DF_ELAPSED_MS, r->elapsed_ms);
    jw_kint(w, DF_ATTEMPTS, r->attempts);
}

/* A body that is not JSON, as a string (redacted, then cut to
 * BODY_TEXT_MAX); *redacted counts the tokens replaced. */
static int record_body_text(struct jw *w, struct http_req *r, unsigned long *redacted,
                            struct err *e)
{
    struct buf text = BUF_INIT;
    struct text_copy tc = {&text, false, REDACT_STREAM_INIT};
    int rc = -1;
    if (http_body_foreach(&r->body, copy_text, &tc, e) == 0 &&
        redact_end(&tc.rs, keep_text, &tc, e) == 0) {
        *redacted += tc.rs.hits;
        jw_key(w, DF_BODY_TEXT);
        jw_strn(w, text.p, text.len);
        if (tc.truncated)
            jw_kbool(w, DF_BODY_TEXT_TRUNCATED, true);
        rc = 0;
    }
    redact_free(&tc.rs);
    buf_free(&text);
    return rc;
}

/* A JSON body is copied by the writer; whether it holds the token is found
 * here (a fast pass), so the record says so and the warning comes from this
 * thread. */
static int count_body_secrets(struct http_req *r, unsigned long *redacted, struct err *e)
{
    struct redact_stream rs = REDACT_STREAM_INIT;
    int rc = http_body_foreach(&r->body, count_secrets, &rs, e) < 0 ||
                     redact_end(&rs, discard, NULL, e) < 0
                 ? -1
                 : 0;
    *redacted += rs.hits;
    redact_free(&rs);
    return rc;
}

static void warn_redacted(struct dump *d, const struct http_req *r, const char *path)
{
    /* Said for the first few; an echoing proxy echoes every answer. */
    if (++d->redacted_records <= 3)
        log_warn("the answer to %s %s held the npm token; it is replaced by [REDACTED] in "
                 "the dump, and the record says \"redacted\": true. A registry or proxy that "
                 "echoes credentials is a risk of its own%s",
                 r->method ? r->method : "GET", path,
                 d->redacted_records == 3 ? " (further such answers are only counted, in "
                                            "the manifest's counts)"
                                          : "");
}

int dump_record(struct dump *d, enum dump_kind k, const char *subject, const char *path,
                struct http_req *r, bool usable, struct err *e)
{
    return dump_record_ex(d, k, subject, path, r, usable, NULL, NULL, e);
}

int dump_record_ex(struct dump *d, enum dump_kind k, const char *subject, const char *path,
                   struct http_req *r, bool usable, const char *req_json, const char *token_key,
                   struct err *e)
{
    struct dump_counts *c = &d->counts[k];
    struct jw w;
    bool answered = r->outcome == HTTP_ANSWER;
    bool json_body = answered && http_body_is_json(&r->body);
    unsigned long redacted = 0;
    struct job *j = xcalloc(1, sizeof *j);
    j->k = k;
    jpush_init(&j->body.json);

    jw_init(&w, &j->head);
    record_head(&w, k, subject, path, r, req_json, token_key);
    if (!answered) {
        jw_kstr(&w, DF_ERROR, r->error[0] ? r->error : "no answer");
    } else if (json_body) {
        jw_key(&w, DF_BODY); /* the body itself follows, written by the writer */
    } else if (record_body_text(&w, r, &redacted, e) < 0) {
        job_free(j);
        return -1;
    }
    /* Headers, the error text, a subject from the server: anything in the
     * head that echoes the token is replaced too. */
    if (log_has_secret(j->head.p, j->head.len)) {
        struct buf clean = BUF_INIT;
        log_redact(j->head.p, j->head.len, &clean);
        buf_free(&j->head);
        j->head = clean;
        redacted++;
    }
    if (json_body) {
        if (count_body_secrets(r, &redacted, e) < 0) {
            job_free(j);
            return -1;
        }
        j->redact = redacted > 0; /* also for a head that held it: the record says so */
        /* The body moves to the job; the request keeps an empty one. */
        j->has_body = true;
        j->body = r->body;
        memset(&r->body, 0, sizeof r->body);
        jpush_init(&r->body.json);
    } else {
        if (redacted)
            buf_puts(&j->head, REDACTED_MEMBER);
        buf_puts(&j->head, "}\n");
    }
    if (redacted) {
        c->redacted++;
        warn_redacted(d, r, path);
    }
    if (workq_put(&d->w, j, j->head.len + j->body.mem.len, e) < 0)
        return -1;

    c->records++;
    if (answered && usable)
        c->ok++;
    else
        c->failed++;
    int cls = r->status >= 100 && r->status <= 599 ? (int)(r->status / 100) : 0;
    if (answered)
        c->by_status[cls]++;
    return 0;
}

/* ---- stream release, commit, manifest ------------------------------- */

struct carry_sink {
    struct dump *d;
    enum dump_kind k;
};

static int carry_write(void *vctx, const char *p, size_t n, struct err *e)
{
    struct carry_sink *cs = vctx;
    return sink_write(cs->d, cs->k, p, n, e);
}

/* Kind k's records carried from the previous dump (see the top of dump.h);
 * the writer thread is drained, so this thread owns the sinks. */
static int carry(struct dump *d, enum dump_kind k, struct err *e)
{
    struct carry_sink cs = {d, k};
    struct dump_counts *c = &d->counts[k];
    uint64_t n = 0, bytes = 0;
    /* A carried record is a definitive answer (a 2xx or a 404, prev.h),
     * counted as ok under its own status class, as when it was fetched. */
    if (d->o.resume &&
        prev_carry(d->o.resume, k, carry_write, &cs, &n, c->by_status, &bytes, e) < 0)
        return -1;
    c->records += n;
    c->ok += n;
    if (!d->o.since)
        return 0;
    n = 0;
    if (prev_carry(d->o.since, k, carry_write, &cs, &n, c->by_status, &d->revalidated_bytes, e) < 0)
        return -1;
    c->records += n;
    c->ok += n;
    c->revalidated += n;
    return 0;
}

/* Stream mode: kind k's carried records and its spool, to stdout. */
static int release_kind(struct dump *d, enum dump_kind k, struct err *e)
{
    char chunk[65536];
    if (carry(d, k, e) < 0)
        return -1;
    FILE *f = d->sink[k].spool;
    if (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0)
        return err_set(e, ERR_FAIL, "cannot read back the spool file: %s", strerror(errno));
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (gzw_write(d->out, chunk, n, e) < 0)
            return -1;
    if (ferror(f))
        return err_set(e, ERR_FAIL, "cannot read back the spool file");
    fclose(f);
    d->sink[k].spool = NULL;
    return 0;
}

int dump_release_small(struct dump *d, struct err *e)
{
    if (!d->stream || d->released)
        return 0;
    if (workq_drain(&d->w, e) < 0)
        return -1;
    d->released = true;
    for (int k = 0; k < K_PACKUMENTS; k++)
        if (release_kind(d, (enum dump_kind)k, e) < 0)
            return -1;
    return gzw_flush(d->out, e);
}

static void manifest_body(struct dump *d, struct jw *w, bool complete, const char *stop_reason,
                          bool with_files)
{
    char ts[32];
    jw_kstr(w, DM_FORMAT, DUMP_FORMAT);
    jw_kstr(w, DM_TOOL, "j1-npm-collect");
    jw_kstr(w, DM_VERSION, d->o.tool_version);
    jw_kstr(w, DM_ORG, d->o.org);
    jw_kstr(w, DM_REGISTRY, d->o.registry);
    time_iso8601(d->started_ms, ts);
    jw_kstr(w, DM_STARTED_AT, ts);
    time_iso8601(time_wall_ms(), ts);
    jw_kstr(w, DM_FINISHED_AT, ts);
    jw_kbool(w, DM_COMPLETE, complete);
    jw_key(w, DM_STOPPED);
    jw_str(w, stop_reason);
    if (with_files) {
        jw_key(w, DM_FILES);
        jw_arr(w);
        for (int k = 0; k < K_COUNT; k++) {
            jw_obj(w);
            jw_kstr(w, DF_KIND, dump_kind_names[k]);
            jw_kstr(w, DM_FILE, dump_kind_files[k]);
            jw_kint(w, DM_RECORDS, (long long)d->counts[k].records);
            jw_kint(w, DM_BYTES, (long long)gzw_bytes_out(d->sink[k].gz));
            jw_kstr(w, DM_SHA256, gzw_sha256(d->sink[k].gz));
            jw_obj_end(w);
        }
        jw_arr_end(w);
    }
    jw_key(w, DM_COUNTS);
    jw_obj(w);
    for (int k = 0; k < K_COUNT; k++) {
        const struct dump_counts *c = &d->counts[k];
        jw_key(w, dump_kind_names[k]);
        jw_obj(w);
        jw_kint(w, DM_OK, (long long)c->ok);
        jw_kint(w, DM_FAILED, (long long)c->failed);
        jw_key(w, DF_STATUS);
        jw_obj(w);
        static const char *const cls[] = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
        for (int i = 0; i < 6; i++)
            if (c->by_status[i])
                jw_kint(w, cls[i], (long long)c->by_status[i]);
        jw_obj_end(w);
        if (c->redacted)
            jw_kint(w, DF_REDACTED, (long long)c->redacted);
        if (c->revalidated)
            jw_kint(w, DM_REVALIDATED, (long long)c->revalidated);
        jw_obj_end(w);
    }
    jw_obj_end(w);
}

/* One file written whole under its final name (0600), or not at all. */
static int write_whole(const struct dump *d, const char *name, const struct buf *b, struct err *e)
{
    struct afile f;
    char *p = path_join(d->dir, name);
    int rc = afile_open(&f, p, 0600, e);
    free(p);
    if (rc < 0)
        return -1;
    if (write_all(f.fd, b->p, b->len, name, e) < 0) {
        afile_abort(&f);
        return -1;
    }
    return afile_commit(&f, e);
}

/* SHA256SUMS for the kind files and the manifest text m (see the top). */
static int write_sums(const struct dump *d, const struct buf *m, struct err *e)
{
    struct buf s = BUF_INIT;
    for (int k = 0; k < K_COUNT; k++)
        buf_printf(&s, "%s  %s\n", gzw_sha256(d->sink[k].gz), dump_kind_files[k]);
    struct sha256 h;
    char hex[65];
    sha256_init(&h);
    sha256_update(&h, m->p, m->len);
    sha256_hex(&h, hex);
    buf_printf(&s, "%s  %s\n", hex, DUMP_MANIFEST);
    int rc = write_whole(d, DUMP_SUMS, &s, e);
    buf_free(&s);
    return rc;
}

/* Directory mode, the writer drained: carries the marked records into
 * every kind file, ends each gzip stream and syncs the files. */
static int finish_sinks(struct dump *d, struct err *e)
{
    for (int k = 0; k < K_COUNT; k++) {
        if (carry(d, (enum dump_kind)k, e) < 0 || gzw_finish(d->sink[k].gz, e) < 0)
            return -1;
        if (fsync(d->sink[k].fd) < 0)
            return err_set(e, ERR_FAIL, "cannot sync %s/%s: %s", d->run, dump_kind_files[k],
                           strerror(errno));
    }
    fsync_dir(d->run);
    return 0;
}

int dump_commit(struct dump *d, bool complete, const char *stop_reason, struct err *e)
{
    d->finishing = true;
    if (workq_drain(&d->w, e) < 0)
        return -1;
    workq_stop(&d->w, false);
    struct buf m = BUF_INIT;
    struct jw w;
    jw_init(&w, &m);
    if (d->stream) {
        if (dump_release_small(d, e) < 0 || carry(d, K_PACKUMENTS, e) < 0)
            goto fail;
        for (int k = K_PACKUMENTS + 1; k < K_COUNT; k++)
            if (release_kind(d, (enum dump_kind)k, e) < 0)
                goto fail;
        jw_obj(&w);
        jw_key(&w, DM_STREAM_KEY);
        jw_obj(&w);
        manifest_body(d, &w, complete, stop_reason, false);
        jw_obj_end(&w);
        jw_obj_end(&w);
        buf_putc(&m, '\n');
        if (gzw_write(d->out, m.p, m.len, e) < 0 || gzw_finish(d->out, e) < 0)
            goto fail;
        d->stream_bytes = gzw_bytes_out(d->out);
        buf_free(&m);
        return 0;
    }
    /* The run's files are ended and synced, commit.json names the run,
     * the files move to their final names, the manifest comes last
     * (work.h: a crash anywhere in between is resumable). */
    if (finish_sinks(d, e) < 0 || work_commit_begin(d->dir, d->run, e) < 0)
        goto fail;
    for (int k = 0; k < K_COUNT; k++) {
        char *from = path_join(d->run, dump_kind_files[k]);
        char *to = path_join(d->dir, dump_kind_files[k]);
        int r = rename(from, to);
        if (r < 0)
            err_set(e, ERR_FAIL, "cannot move %s to %s: %s", from, to, strerror(errno));
        free(from);
        free(to);
        if (r < 0)
            goto fail;
    }
    fsync_dir(d->dir);
    jw_obj(&w);
    manifest_body(d, &w, complete, stop_reason, true);
    jw_obj_end(&w);
    buf_putc(&m, '\n');
    if (write_sums(d, &m, e) < 0 || write_whole(d, DUMP_MANIFEST, &m, e) < 0)
        goto fail;
    fsync_dir(d->dir);
    buf_free(&m);
    return work_end_commit(d->dir, d->run, !complete && d->o.resume, e);
fail:
    buf_free(&m);
    return -1;
}

int dump_keep(struct dump *d, struct err *e)
{
    if (d->stream)
        return err_set(e, ERR_FAIL, "a stream keeps no work area");
    d->finishing = true;
    if (workq_drain(&d->w, e) < 0)
        return -1;
    workq_stop(&d->w, false);
    /* This run's files now hold the earlier runs' answers too: only once
     * they are whole and synced do the earlier runs go. */
    if (finish_sinks(d, e) < 0)
        return -1;
    return work_fold(d->dir, d->run, e);
}

void dump_abort(struct dump *d)
{
    workq_stop(&d->w, true);
    for (int k = 0; k < K_COUNT; k++)
        if (d->sink[k].fd >= 0) {
            close(d->sink[k].fd);
            d->sink[k].fd = -1;
        }
    /* A run that began to commit or keep holds answers: it stays for
     * --resume. One abandoned before has nothing worth keeping. */
    if (d->run && !d->finishing)
        work_drop_run(d->dir, d->run);
    if (d->created_dir && d->dir && !d->finishing)
        rmdir(d->dir); /* only if empty */
}

void dump_free(struct dump *d)
{
    if (!d)
        return;
    workq_stop(&d->w, true);
    for (int k = 0; k < K_COUNT; k++) {
        gzw_free(d->sink[k].gz);
        if (d->sink[k].spool)
            fclose(d->sink[k].spool);
        if (d->sink[k].fd >= 0)
            close(d->sink[k].fd);
    }
    gzw_free(d->out);
    free(d->run);
    free(d->dir);
    free(d);
}

uint64_t dump_bytes_revalidated(const struct dump *d)
{
    return d->revalidated_bytes;
}

const struct dump_counts *dump_get_counts(const struct dump *d, enum dump_kind k)
{
    return &d->counts[k];
}

uint64_t dump_bytes_written(const struct dump *d)
{
    if (d->stream)
        return d->out ? gzw_bytes_out(d->out) : d->stream_bytes;
    uint64_t n = 0;
    for (int k = 0; k < K_COUNT; k++)
        if (d->sink[k].gz)
            n += gzw_bytes_out(d->sink[k].gz);
    return n;
}
