/*
 * source.c — see source.h: which backend reads the input (source_impl.h),
 * and what both share — the accessors and the summary's partial datasets.
 */
#include "source.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "graphfmt.h"
#include "json.h"
#include "log.h"
#include "source_impl.h"

struct source *source_open(const char *in, struct err *e)
{
    if (strcmp(in, "-") == 0)
        return source_stream_open(e);
    struct stat st;
    if (stat(in, &st) < 0) {
        err_set(e, ERR_USAGE, "cannot read --in %s: %s", in, strerror(errno));
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        err_set(e, ERR_USAGE, "--in %s is not a directory; for a saved stream use --in - < %s", in,
                in);
        return NULL;
    }
    return source_dir_open(in, e);
}

int source_next(struct source *s, struct source_obj *o, struct err *e)
{
    return s->ops->next(s, o, e);
}

size_t source_partial_count(const struct source *s)
{
    return s->ptypes.n;
}

const char *source_partial_type(const struct source *s, size_t i)
{
    return i < s->ptypes.n ? s->ptypes.v[i] : NULL;
}

const char *source_name(const struct source *s)
{
    return s->name ? s->name : "?";
}

uint64_t source_files(const struct source *s)
{
    return s->files;
}

bool source_is_empty(const struct source *s)
{
    return s->empty;
}

uint64_t source_size(const struct source *s)
{
    return s->size;
}

uint64_t source_bytes(const struct source *s)
{
    return s->ops->bytes(s);
}

void source_close(struct source *s)
{
    if (!s)
        return;
    strlist_free(&s->ptypes);
    free(s->name);
    s->ops->free(s); /* the backend frees s itself */
}

/* ---- the summary: metadata.partialDatasets.types ------------------------------- */

struct sum_walk {
    struct source *s;
    int level; /* 0 root, 1 metadata, 2 partialDatasets */
    bool found;
    const char *err;
};

static void type_elem(struct sum_walk *w, const char *p, const char *q)
{
    struct buf t = BUF_INIT;
    if (*p != '"' || q - p <= 2 || json_unescape(&t, p + 1, (size_t)(q - p - 2)) < 0) {
        w->err = "partialDatasets.types must hold non-empty strings";
    } else if (memchr(t.p, '\0', t.len) || t.len > 1024) {
        w->err = "partialDatasets.types holds an implausible type name";
    } else {
        strlist_add_unique(&w->s->ptypes, t.p, t.len);
    }
    buf_free(&t);
}

static const char *sum_member(void *ctx, const char *k, size_t kl, const char *v, const char *end,
                              const char **bad)
{
    struct sum_walk *w = ctx;
    static const char *const path[] = {GF_SUMMARY_METADATA, GF_SUMMARY_PARTIAL, GF_SUMMARY_TYPES};
    if (w->level < 3 && json_key_is(k, kl, path[w->level])) {
        if (w->level < 2) {
            if (*v != '{') {
                w->err = w->level == 0 ? "metadata is not an object"
                                       : "metadata.partialDatasets is not an object";
                return json_skip(v, end, bad);
            }
            w->level++;
            const char *q = json_walk_members(v, end, sum_member, w, bad);
            w->level--;
            return q;
        }
        const char *q = json_skip(v, end, bad);
        if (!q)
            return NULL;
        w->found = true;
        if (*v != '[') {
            w->err = "metadata.partialDatasets.types is not an array";
            return q;
        }
        const char *p = json_skip_ws(v + 1, q);
        while (p < q && *p != ']') {
            const char *e2 = json_skip(p, q, NULL);
            if (!e2)
                break;
            type_elem(w, p, e2);
            p = json_skip_ws(e2, q);
            if (p < q && *p == ',')
                p = json_skip_ws(p + 1, q);
        }
        return q;
    }
    return json_skip(v, end, bad);
}

int source_summary(struct source *s, const char *p, size_t n, const char *where, struct err *e)
{
    struct sum_walk w = {s, 0, false, NULL};
    const char *bad = NULL;
    const char *end = p + n;
    const char *q = json_walk_members(p, end, sum_member, &w, &bad);
    if (!q || json_skip_ws(q, end) != end)
        return err_set(e, ERR_FAIL, "%s: the summary is not a valid JSON object", where);
    if (w.err)
        return err_set(e, ERR_FAIL, "%s: %s", where, w.err);
    if (!w.found)
        log_warn("%s: no metadata.partialDatasets.types; finalizing with no partial datasets",
                 where);
    return 0;
}
