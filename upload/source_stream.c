/*
 * source_stream.c — the graph stream on stdin (`--in -`, graphfmt.h):
 * gzip or plain NDJSON, one record a line, read by ndjson.h.
 *
 * A line is an envelope with one member. The compact spelling transform
 * writes ({"entity":...}, graphfmt.h's GF_HEAD_*) is recognised by its
 * head, so the hot path costs a memcmp; anything else is walked with
 * json_each_member. Objects are handed out as they are (the planner
 * minifies them). The summary record must come last and must come: a
 * stream that ends without it was cut off upstream, and is an error.
 *
 * The first record is read at open, before any job exists, and held for
 * the first source_next: a stream that is not a graph stream at all (above
 * all j1-npm-collect's dump, piped here by mistake past transform) or that
 * holds nothing is refused before JupiterOne sees a job it must abort.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "cli.h"
#include "dumpfmt.h"
#include "graphfmt.h"
#include "json.h"
#include "ndjson.h"
#include "source_impl.h"

struct stream {
    struct source base;
    struct ndr *ndr;
    bool saw_rel, ended;
    bool held; /* the first line, read at open, waits for stream_next */
    const char *held_line;
    size_t held_len;
};

static bool is_ws(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

struct env_walk {
    int members;
    bool dump_kind, dump_request, dump_manifest; /* members a collect dump's record has */
    const char *key;
    size_t klen;
    const char *val;
    size_t vlen;
};

static int env_member(void *ctx, const char *k, size_t kl, const char *v, size_t vl)
{
    struct env_walk *w = ctx;
    w->members++;
    if (json_key_is(k, kl, DF_KIND))
        w->dump_kind = true;
    else if (json_key_is(k, kl, DF_REQUEST) || json_key_is(k, kl, DF_SUBJECT))
        w->dump_request = true;
    else if (json_key_is(k, kl, DM_STREAM_KEY))
        w->dump_manifest = true;
    w->key = k;
    w->klen = kl;
    w->val = v;
    w->vlen = vl;
    return 0;
}

enum rec { REC_ENTITY, REC_RELATIONSHIP, REC_SUMMARY, REC_NONE };

/* A record of the compact spelling (graphfmt.h's heads): its kind and
 * value, found with a memcmp. */
static enum rec by_head(const char *p, size_t n, const char **val, size_t *vlen)
{
    static const struct {
        const char *head;
        size_t len;
    } heads[] = {{GF_HEAD_ENTITY, GF_HEAD_ENTITY_LEN},
                 {GF_HEAD_RELATIONSHIP, GF_HEAD_RELATIONSHIP_LEN},
                 {GF_HEAD_SUMMARY, GF_HEAD_SUMMARY_LEN}};
    if (n == 0 || p[n - 1] != '}')
        return REC_NONE;
    for (int k = REC_ENTITY; k < REC_NONE; k++)
        if (n >= heads[k].len && memcmp(p, heads[k].head, heads[k].len) == 0) {
            *val = p + heads[k].len;
            *vlen = n - heads[k].len - 1;
            return (enum rec)k;
        }
    return REC_NONE;
}

/* The record p[0, n) (trimmed, not empty): its kind and its value. */
static int classify(const char *p, size_t n, unsigned long ln, enum rec *kind, const char **val,
                    size_t *vlen, struct err *e)
{
    if ((*kind = by_head(p, n, val, vlen)) != REC_NONE)
        return 0;
    struct env_walk w = {0};
    const char *q = json_each_member(p, p + n, env_member, &w, NULL);
    if (!q || json_skip_ws(q, p + n) != p + n)
        return err_set(e, ERR_FAIL, "stdin:%lu: not a JSON object", ln);
    if ((w.dump_kind && w.dump_request) || (w.members == 1 && w.dump_manifest))
        return err_set(e, ERR_FAIL,
                       "stdin:%lu: this is a dump from j1-npm-collect; run j1-npm-transform "
                       "first (j1-npm-collect --out - | j1-npm-transform --in - --out - | "
                       "j1-npm-upload --in -)",
                       ln);
    if (w.members == 1) {
        *kind = json_key_is(w.key, w.klen, GF_ENTITY)         ? REC_ENTITY
                : json_key_is(w.key, w.klen, GF_RELATIONSHIP) ? REC_RELATIONSHIP
                : json_key_is(w.key, w.klen, GF_SUMMARY)      ? REC_SUMMARY
                                                              : REC_NONE;
        *val = w.val;
        *vlen = w.vlen;
    }
    if (*kind == REC_NONE)
        return err_set(e, ERR_FAIL,
                       "stdin:%lu: expected one of {\"entity\": ...}, {\"relationship\": "
                       "...} or {\"summary\": ...} (is this j1-npm-transform's --out - "
                       "stream?)",
                       ln);
    return 0;
}

/* After the summary record: only blank lines, then the end. */
static int after_summary(struct stream *s, struct err *e)
{
    const char *line;
    size_t n;
    int r;
    while ((r = ndr_next(s->ndr, &line, &n, e)) == 1)
        if (json_skip_ws(line, line + n) != line + n)
            return err_set(e, ERR_FAIL, "stdin:%lu: a record after the summary record",
                           ndr_lineno(s->ndr));
    return r;
}

static int stream_next(struct source *base, struct source_obj *o, struct err *e)
{
    struct stream *s = (struct stream *)base;
    const char *line;
    size_t n;
    for (;;) {
        if (s->ended)
            return after_summary(s, e);
        int r = 1;
        if (s->held) {
            line = s->held_line;
            n = s->held_len;
            s->held = false;
        } else {
            r = ndr_next(s->ndr, &line, &n, e);
        }
        if (r < 0)
            return -1;
        if (r == 0)
            return err_set(e, ERR_FAIL,
                           "the input stream ended after %lu line(s) without its {\"summary\": "
                           "...} record: the program writing it failed or was stopped, so the "
                           "graph may be incomplete",
                           ndr_lineno(s->ndr));
        while (n && is_ws(line[n - 1]))
            n--;
        const char *p = json_skip_ws(line, line + n);
        n -= (size_t)(p - line);
        if (n == 0)
            continue;
        unsigned long ln = ndr_lineno(s->ndr);
        const char *val = NULL;
        size_t vlen = 0;
        enum rec kind;
        if (classify(p, n, ln, &kind, &val, &vlen, e) < 0)
            return -1;
        if (kind == REC_SUMMARY) {
            char where[64];
            snprintf(where, sizeof where, "stdin:%lu", ln);
            if (source_summary(base, val, vlen, where, e) < 0)
                return -1;
            s->ended = true;
            continue;
        }
        if (kind == REC_ENTITY && s->saw_rel)
            return err_set(e, ERR_FAIL,
                           "stdin:%lu: an entity after relationships; the stream must hold every "
                           "entity first",
                           ln);
        if (kind == REC_RELATIONSHIP)
            s->saw_rel = true;
        o->kind = kind == REC_ENTITY ? GOBJ_ENTITY : GOBJ_RELATIONSHIP;
        o->text = val;
        o->len = vlen;
        o->minified = false;
        o->file = "stdin";
        o->index = ln;
        return 1;
    }
}

static uint64_t stream_bytes(const struct source *base)
{
    const struct stream *s = (const struct stream *)base;
    return s->ndr ? ndr_bytes_out(s->ndr) : 0;
}

static void stream_free(struct source *base)
{
    struct stream *s = (struct stream *)base;
    if (s->ndr)
        ndr_close(s->ndr);
    free(s);
}

/* Reads the first record that is not blank and checks what it is (see the
 * top of the file); it stays in the reader's buffer, held for stream_next. */
static int peek_first(struct stream *s, struct err *e)
{
    const char *line;
    size_t n;
    for (;;) {
        int r = ndr_next(s->ndr, &line, &n, e);
        if (r < 0)
            return -1;
        if (r == 0)
            return err_set(e, ERR_FAIL,
                           "the input stream is empty: the program writing it failed or was "
                           "stopped before its first record; nothing was uploaded");
        const char *p = json_skip_ws(line, line + n);
        size_t m = n - (size_t)(p - line);
        while (m && is_ws(p[m - 1]))
            m--;
        if (m == 0)
            continue;
        const char *val;
        size_t vlen;
        enum rec kind;
        if (classify(p, m, ndr_lineno(s->ndr), &kind, &val, &vlen, e) < 0)
            return -1;
        s->held = true;
        s->held_line = line;
        s->held_len = n;
        return 0;
    }
}

static const struct source_ops stream_ops = {stream_next, stream_bytes, stream_free};

struct source *source_stream_open(struct err *e)
{
    if (isatty(STDIN_FILENO)) {
        err_set(e, ERR_USAGE,
                "--in - reads a graph stream from standard input, which is a terminal; pipe "
                "one in (j1-npm-transform --out - | ...)");
        return NULL;
    }
    struct stream *s = xcalloc(1, sizeof *s);
    s->base.ops = &stream_ops;
    s->base.ptypes = (struct strlist)STRLIST_INIT;
    s->base.name = xstrdup("stdin");
    int fd = dup(STDIN_FILENO);
    if (fd < 0) {
        err_set(e, ERR_FAIL, "cannot read standard input");
        source_close(&s->base);
        return NULL;
    }
    if (!(s->ndr = ndr_new(fd, "stdin", SOURCE_MAX_OBJECT + 64, e))) {
        source_close(&s->base);
        return NULL;
    }
    ndr_watch(s->ndr, &cli_interrupted); /* a signal stops a stalled pipe's read at once */
    if (peek_first(s, e) < 0) {
        source_close(&s->base);
        return NULL;
    }
    return &s->base;
}
