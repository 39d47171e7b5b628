/*
 * source.c — see source.h: which backend reads the input (source_impl.h),
 * and what both share — the accessors and the summary's partial datasets.
 */
#include "source.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "dumpfmt.h"
#include "fsutil.h"
#include "graphfmt.h"
#include "json.h"
#include "log.h"
#include "source_impl.h"

/* A dump of j1-npm-collect (dumpfmt.h): its manifest.json names the dump
 * format, or the directory holds its *.ndjson.gz files (a dump cut short
 * has no manifest yet). Only the directory itself is looked at. */
bool source_is_dump_dir(const char *dir)
{
    char *m = path_join(dir, DUMP_MANIFEST);
    struct buf t = BUF_INIT;
    bool dump = read_file(m, 1 << 20, &t, NULL) == 0 && t.len && strstr(t.p, DUMP_FORMAT);
    buf_free(&t);
    free(m);
    DIR *d = dump ? NULL : opendir(dir);
    struct dirent *de;
    const size_t sn = sizeof DUMP_FILE_SUFFIX - 1;
    while (d && !dump && (de = readdir(d))) {
        size_t n = strlen(de->d_name);
        dump = n > sn && strcmp(de->d_name + n - sn, DUMP_FILE_SUFFIX) == 0;
    }
    if (d)
        closedir(d);
    return dump;
}

int source_dump_error(const char *dir, struct err *e)
{
    return err_set(e, ERR_FAIL,
                   "%s: this is a dump from j1-npm-collect; run j1-npm-transform first "
                   "(j1-npm-transform --in %s --out GRAPHDIR, then j1-npm-upload --in GRAPHDIR); "
                   "nothing was uploaded",
                   dir, dir);
}

struct source *source_open_project(const char *project, struct err *e)
{
    struct stat st;
    if (stat(project, &st) < 0) {
        err_set(e, ERR_FAIL, "--project-path %s: %s", project, strerror(errno));
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        err_set(e, ERR_FAIL, "--project-path %s: not a directory", project);
        return NULL;
    }
    char *root = path_join(project, GF_PROJECT_DIR);
    struct source *s = NULL;
    if (stat(root, &st) == 0 && S_ISDIR(st.st_mode))
        s = source_dir_open(root, e);
    else if (source_is_dump_dir(project))
        source_dump_error(project, e);
    else
        err_set(e, ERR_FAIL,
                "%s has no %s/ (the storage directory that `j1-integration sync -p` reads); "
                "give the project directory with -p DIR, or a storage directory with --in DIR",
                project, GF_PROJECT_DIR);
    free(root);
    return s;
}

struct source *source_open(const char *in, struct err *e)
{
    if (strcmp(in, "-") == 0)
        return source_stream_open(e);
    struct stat st;
    if (stat(in, &st) < 0) {
        err_set(e, ERR_FAIL, "cannot read --in %s: %s", in, strerror(errno));
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        err_set(e, ERR_FAIL, "--in %s is not a directory; for a saved stream use --in - < %s", in,
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
