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
 * job; one writer thread compresses and writes jobs in the order they were
 * queued (so the files are what a single thread would write). The queue is
 * bounded (WRITER_JOBS jobs, WRITER_MEM bytes of in-memory bodies; bodies
 * over 1 MiB are already in spill files): when it is full, dump_record()
 * waits, so memory stays bounded if the disk is slower than the network.
 * Only the writer touches the sinks while it runs; the crawl's thread
 * touches them again after writer_drain() (stream release, commit), and
 * the mutex hand-over orders those accesses. A write error stops the
 * writer from writing; the next dump_record() or dump_commit() reports it.
 * The level is zlib's fastest (DUMP_GZIP_LEVEL): level 6 cost twice the
 * CPU for a dump 12% smaller.
 */
#include "dump.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "json.h"
#include "log.h"
#include "ndjson.h"
#include "timeutil.h"

#define BODY_TEXT_MAX (1u << 20)
#define DUMP_GZIP_LEVEL 1
#define WRITER_JOBS 64
#define WRITER_MEM ((size_t)8 << 20)

struct sink {
    struct afile file; /* directory mode */
    struct gzw *gz;    /* directory mode: this kind's file; stream: unused */
    FILE *spool;       /* stream mode, small kinds */
};

/* One record for the writer: its head (the whole record when has_body is
 * false) and the JSON body, moved out of the request. */
struct job {
    struct job *next;
    enum dump_kind k;
    struct buf head;
    bool has_body;
    bool redact; /* the body holds the token: copy it through the redactor */
    struct http_body body;
};

struct writer {
    pthread_t thread;
    bool running;
    pthread_mutex_t mu;
    pthread_cond_t work; /* a job was queued, or stop */
    pthread_cond_t room; /* a job was written */
    struct job *first, *last;
    unsigned jobs; /* queued or being written */
    size_t mem;    /* their bytes in memory */
    bool stop, discard, failed;
    struct err err;
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
    struct writer w;
    int64_t started_ms;
    uint64_t stream_bytes;
};

/* ---- opening ------------------------------------------------------------ */

static bool is_dump_entry(const char *name)
{
    if (strcmp(name, DUMP_MANIFEST) == 0)
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
    if (!m)
        return err_set(e, ERR_FAIL, "out of memory");
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
        if (!p || (unlink(p) < 0 && errno != ENOENT)) {
            rc = err_set(e, ERR_FAIL, "cannot remove %s: %s", p ? p : de->d_name, strerror(errno));
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
    if (!empty) {
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

static int writer_start(struct dump *d, struct err *e);

struct dump *dump_open(const struct dump_opts *o, struct err *e)
{
    struct dump *d = calloc(1, sizeof *d);
    if (!d) {
        err_set(e, ERR_FAIL, "out of memory");
        return NULL;
    }
    d->o = *o;
    d->started_ms = time_wall_ms();
    d->stream = strcmp(o->out, "-") == 0;
    if (d->stream) {
        for (int k = 0; k < K_PACKUMENTS; k++) {
            FILE *f = NULL;
            const char *tmp = getenv("TMPDIR");
            struct buf p = BUF_INIT;
            buf_printf(&p, "%s/j1-npm-spool-XXXXXX", tmp && *tmp ? tmp : "/tmp");
            int fd = p.p ? mkstemp(p.p) : -1;
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
    d->dir = strdup(o->out);
    if (!d->dir) {
        err_set(e, ERR_FAIL, "out of memory");
        dump_free(d);
        return NULL;
    }
    if (prepare_dir(d, e) < 0) {
        dump_free(d);
        return NULL;
    }
    for (int k = 0; k < K_COUNT; k++) {
        char *p = path_join(d->dir, dump_kind_files[k]);
        if (!p || afile_open(&d->sink[k].file, p, 0600, e) < 0) {
            if (!p)
                err_set(e, ERR_FAIL, "out of memory");
            free(p);
            dump_abort(d);
            dump_free(d);
            return NULL;
        }
        d->sink[k].gz = gzw_new(d->sink[k].file.fd, DUMP_GZIP_LEVEL, p, e);
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
    if (n && buf_append(tc->b, p, n) < 0)
        return err_set(e, ERR_FAIL, "out of memory");
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

static void job_free(struct job *j)
{
    buf_free(&j->head);
    http_body_reset(&j->body);
    free(j);
}

static size_t job_mem(const struct job *j)
{
    return j->head.len + j->body.mem.len;
}

static int write_job(struct dump *d, struct job *j, struct err *e)
{
    if (sink_write(d, j->k, j->head.p, j->head.len, e) < 0)
        return -1;
    if (j->has_body) {
        /* "...,"body": + the verbatim JSON (the token redacted) + "}\n" */
        struct body_copy bc = {d, j->k, REDACT_STREAM_INIT};
        int rc = j->redact ? (http_body_foreach(&j->body, copy_json_redacted, &bc, e) < 0 ||
                              redact_end(&bc.rs, copy_json, &bc, e) < 0)
                           : http_body_foreach(&j->body, copy_json, &bc, e) < 0;
        redact_free(&bc.rs);
        if (rc || (j->redact && sink_write(d, j->k, ",\"redacted\":true", 16, e) < 0) ||
            sink_write(d, j->k, "}\n", 2, e) < 0)
            return -1;
    }
    if (d->stream && j->k == K_PACKUMENTS && gzw_flush(d->out, e) < 0)
        return -1;
    return 0;
}

static void *writer_main(void *arg)
{
    struct dump *d = arg;
    struct writer *w = &d->w;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->first && !w->stop)
            pthread_cond_wait(&w->work, &w->mu);
        struct job *j = w->first;
        if (!j)
            break; /* stopped, and nothing left */
        w->first = j->next;
        if (!w->first)
            w->last = NULL;
        bool skip = w->failed || w->discard;
        pthread_mutex_unlock(&w->mu);
        struct err e = {0};
        int rc = skip ? 0 : write_job(d, j, &e);
        size_t mem = job_mem(j);
        job_free(j);
        pthread_mutex_lock(&w->mu);
        if (rc < 0 && !w->failed) {
            w->failed = true;
            w->err = e;
        }
        w->jobs--;
        w->mem -= mem;
        pthread_cond_broadcast(&w->room);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static int writer_start(struct dump *d, struct err *e)
{
    struct writer *w = &d->w;
    if (pthread_mutex_init(&w->mu, NULL) != 0)
        return err_set(e, ERR_FAIL, "cannot start the dump writer");
    if (pthread_cond_init(&w->work, NULL) != 0) {
        pthread_mutex_destroy(&w->mu);
        return err_set(e, ERR_FAIL, "cannot start the dump writer");
    }
    if (pthread_cond_init(&w->room, NULL) != 0) {
        pthread_cond_destroy(&w->work);
        pthread_mutex_destroy(&w->mu);
        return err_set(e, ERR_FAIL, "cannot start the dump writer");
    }
    /* Signals (Ctrl-C) stay with the crawl's thread, which polls for them. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&w->thread, NULL, writer_main, d);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&w->room);
        pthread_cond_destroy(&w->work);
        pthread_mutex_destroy(&w->mu);
        return err_set(e, ERR_FAIL, "cannot start the dump writer: %s", strerror(rc));
    }
    w->running = true;
    return 0;
}

/* Ends the thread: after writing every queued job, or (discard) dropping
 * them. The sinks are the caller's again afterwards. */
static void writer_stop(struct dump *d, bool discard)
{
    struct writer *w = &d->w;
    if (!w->running)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    w->discard = w->discard || discard;
    pthread_cond_broadcast(&w->work);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->room);
    pthread_cond_destroy(&w->work);
    pthread_mutex_destroy(&w->mu);
    w->running = false;
}

/* Waits until every queued job is written; the first write error, if any. */
static int writer_drain(struct dump *d, struct err *e)
{
    struct writer *w = &d->w;
    int rc = 0;
    if (!w->running)
        return w->failed ? (*e = w->err, -1) : 0;
    pthread_mutex_lock(&w->mu);
    while (w->jobs && !w->failed)
        pthread_cond_wait(&w->room, &w->mu);
    if (w->failed) {
        *e = w->err;
        rc = -1;
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

/* Queues a job, waiting while the queue is full. Takes j in every case. */
static int writer_put(struct dump *d, struct job *j, struct err *e)
{
    struct writer *w = &d->w;
    size_t mem = job_mem(j);
    pthread_mutex_lock(&w->mu);
    while (!w->failed && w->jobs && (w->jobs >= WRITER_JOBS || w->mem + mem > WRITER_MEM))
        pthread_cond_wait(&w->room, &w->mu);
    if (w->failed) {
        *e = w->err;
        pthread_mutex_unlock(&w->mu);
        job_free(j);
        return -1;
    }
    j->next = NULL;
    if (w->last)
        w->last->next = j;
    else
        w->first = j;
    w->last = j;
    w->jobs++;
    w->mem += mem;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->mu);
    return 0;
}

int dump_record(struct dump *d, enum dump_kind k, const char *subject, const char *path,
                struct http_req *r, bool usable, struct err *e)
{
    struct dump_counts *c = &d->counts[k];
    struct jw w;
    char ts[32];
    bool answered = r->outcome == HTTP_ANSWER;
    unsigned long redacted = 0;
    struct job *j = calloc(1, sizeof *j);
    if (!j)
        return err_set(e, ERR_FAIL, "out of memory");
    j->k = k;
    jpush_init(&j->body.json);

    jw_init(&w, &j->head);
    jw_obj(&w);
    jw_kstr(&w, "kind", dump_kind_names[k]);
    jw_kstr(&w, "subject", subject);
    jw_key(&w, "request");
    jw_obj(&w);
    jw_kstr(&w, "method", r->method ? r->method : "GET");
    jw_kstr(&w, "path", path);
    jw_obj_end(&w);
    jw_key(&w, "status");
    if (r->status)
        jw_int(&w, r->status);
    else
        jw_null(&w);
    if (answered) {
        jw_key(&w, "headers");
        jw_obj(&w);
        if (r->content_type[0])
            jw_kstr(&w, "content-type", r->content_type);
        if (r->etag[0])
            jw_kstr(&w, "etag", r->etag);
        if (r->last_modified[0])
            jw_kstr(&w, "last-modified", r->last_modified);
        if (r->date[0])
            jw_kstr(&w, "date", r->date);
        jw_obj_end(&w);
    }
    time_iso8601(r->started_wall_ms ? r->started_wall_ms : time_wall_ms(), ts);
    jw_kstr(&w, "fetched_at", ts);
    jw_kint(&w, "elapsed_ms", r->elapsed_ms);
    jw_kint(&w, "attempts", r->attempts);

    bool json_body = answered && http_body_is_json(&r->body);
    if (!answered) {
        jw_kstr(&w, "error", r->error[0] ? r->error : "no answer");
    } else if (json_body) {
        jw_key(&w, "body");
        /* the body itself follows, written by the writer */
    } else {
        struct buf text = BUF_INIT;
        struct text_copy tc = {&text, false, REDACT_STREAM_INIT};
        if (http_body_foreach(&r->body, copy_text, &tc, e) < 0 ||
            redact_end(&tc.rs, keep_text, &tc, e) < 0) {
            redact_free(&tc.rs);
            buf_free(&text);
            job_free(j);
            return -1;
        }
        redacted += tc.rs.hits;
        redact_free(&tc.rs);
        jw_key(&w, "body_text");
        jw_strn(&w, text.p, text.len);
        if (tc.truncated)
            jw_kbool(&w, "body_text_truncated", true);
        buf_free(&text);
    }
    if (w.err) {
        job_free(j);
        return err_set(e, ERR_FAIL, "out of memory");
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
    /* A JSON body is copied by the writer; whether it holds the token is
     * found here (a fast pass), so the record says so and the warning
     * comes from this thread. */
    if (json_body) {
        struct redact_stream rs = REDACT_STREAM_INIT;
        int rc = http_body_foreach(&r->body, count_secrets, &rs, e) < 0 ||
                         redact_end(&rs, discard, NULL, e) < 0
                     ? -1
                     : 0;
        redacted += rs.hits;
        j->redact = redacted > 0; /* also for a head that held it: the record says so */
        redact_free(&rs);
        if (rc < 0) {
            job_free(j);
            return -1;
        }
    }
    if (!json_body && ((redacted && buf_puts(&j->head, ",\"redacted\":true") < 0) ||
                       buf_puts(&j->head, "}\n") < 0)) {
        job_free(j);
        return err_set(e, ERR_FAIL, "out of memory");
    }
    if (redacted) {
        c->redacted++;
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
    if (json_body) {
        /* The body moves to the job; the request keeps an empty one. */
        j->has_body = true;
        j->body = r->body;
        memset(&r->body, 0, sizeof r->body);
        jpush_init(&r->body.json);
    }
    if (writer_put(d, j, e) < 0)
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

int dump_release_small(struct dump *d, struct err *e)
{
    if (!d->stream || d->released)
        return 0;
    if (writer_drain(d, e) < 0)
        return -1;
    d->released = true;
    char chunk[65536];
    for (int k = 0; k < K_PACKUMENTS; k++) {
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
    }
    return gzw_flush(d->out, e);
}

static void manifest_body(struct dump *d, struct jw *w, bool complete, const char *stop_reason,
                          bool with_files)
{
    char ts[32];
    jw_kstr(w, "format", DUMP_FORMAT);
    jw_kstr(w, "tool", "j1-npm-collect");
    jw_kstr(w, "version", d->o.tool_version);
    jw_kstr(w, "org", d->o.org);
    jw_kstr(w, "registry", d->o.registry);
    time_iso8601(d->started_ms, ts);
    jw_kstr(w, "started_at", ts);
    time_iso8601(time_wall_ms(), ts);
    jw_kstr(w, "finished_at", ts);
    jw_kbool(w, "complete", complete);
    jw_key(w, "stopped");
    jw_str(w, stop_reason);
    if (with_files) {
        jw_key(w, "files");
        jw_arr(w);
        for (int k = 0; k < K_COUNT; k++) {
            jw_obj(w);
            jw_kstr(w, "kind", dump_kind_names[k]);
            jw_kstr(w, "file", dump_kind_files[k]);
            jw_kint(w, "records", (long long)d->counts[k].records);
            jw_kint(w, "bytes", (long long)gzw_bytes_out(d->sink[k].gz));
            jw_kstr(w, "sha256", gzw_sha256(d->sink[k].gz));
            jw_obj_end(w);
        }
        jw_arr_end(w);
    }
    jw_key(w, "counts");
    jw_obj(w);
    for (int k = 0; k < K_COUNT; k++) {
        const struct dump_counts *c = &d->counts[k];
        jw_key(w, dump_kind_names[k]);
        jw_obj(w);
        jw_kint(w, "ok", (long long)c->ok);
        jw_kint(w, "failed", (long long)c->failed);
        jw_key(w, "status");
        jw_obj(w);
        static const char *const cls[] = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
        for (int i = 0; i < 6; i++)
            if (c->by_status[i])
                jw_kint(w, cls[i], (long long)c->by_status[i]);
        jw_obj_end(w);
        if (c->redacted)
            jw_kint(w, "redacted", (long long)c->redacted);
        jw_obj_end(w);
    }
    jw_obj_end(w);
}

int dump_commit(struct dump *d, bool complete, const char *stop_reason, struct err *e)
{
    if (writer_drain(d, e) < 0)
        return -1;
    writer_stop(d, false);
    struct buf m = BUF_INIT;
    struct jw w;
    jw_init(&w, &m);
    if (d->stream) {
        if (dump_release_small(d, e) < 0)
            goto fail;
        jw_obj(&w);
        jw_key(&w, "manifest");
        jw_obj(&w);
        manifest_body(d, &w, complete, stop_reason, false);
        jw_obj_end(&w);
        jw_obj_end(&w);
        if (w.err || buf_putc(&m, '\n') < 0) {
            err_set(e, ERR_FAIL, "out of memory");
            goto fail;
        }
        if (gzw_write(d->out, m.p, m.len, e) < 0 || gzw_finish(d->out, e) < 0)
            goto fail;
        d->stream_bytes = gzw_bytes_out(d->out);
        buf_free(&m);
        return 0;
    }
    for (int k = 0; k < K_COUNT; k++)
        if (gzw_finish(d->sink[k].gz, e) < 0)
            goto fail;
    for (int k = 0; k < K_COUNT; k++)
        if (afile_commit(&d->sink[k].file, e) < 0)
            goto fail;
    fsync_dir(d->dir);
    jw_obj(&w);
    manifest_body(d, &w, complete, stop_reason, true);
    jw_obj_end(&w);
    if (w.err || buf_putc(&m, '\n') < 0) {
        err_set(e, ERR_FAIL, "out of memory");
        goto fail;
    }
    struct afile mf;
    char *mp = path_join(d->dir, DUMP_MANIFEST);
    if (!mp || afile_open(&mf, mp, 0600, e) < 0) {
        free(mp);
        goto fail;
    }
    free(mp);
    if (write_all(mf.fd, m.p, m.len, DUMP_MANIFEST, e) < 0) {
        afile_abort(&mf);
        goto fail;
    }
    if (afile_commit(&mf, e) < 0)
        goto fail;
    fsync_dir(d->dir);
    buf_free(&m);
    return 0;
fail:
    buf_free(&m);
    return -1;
}

void dump_abort(struct dump *d)
{
    writer_stop(d, true);
    for (int k = 0; k < K_COUNT; k++)
        afile_abort(&d->sink[k].file);
    if (d->created_dir && d->dir)
        rmdir(d->dir); /* only if empty */
}

void dump_free(struct dump *d)
{
    if (!d)
        return;
    writer_stop(d, true);
    for (int k = 0; k < K_COUNT; k++) {
        gzw_free(d->sink[k].gz);
        if (d->sink[k].spool)
            fclose(d->sink[k].spool);
        afile_abort(&d->sink[k].file);
    }
    gzw_free(d->out);
    free(d->dir);
    free(d);
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
