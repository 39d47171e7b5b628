/*
 * source.c — see source.h.
 *
 * A graph file is read through a small buffered reader (struct rd) and a
 * resumable parser of its framing: '{', members, each "entities" or
 * "relationships" array handed out element by element. Finding where an
 * element ends is a structural scan (strings, escapes, bracket depth), not
 * a validation: the caller's checker validates every object strictly, and
 * doing it twice would double the cost of the hot path. The same scan
 * copies the element without its whitespace (minify_value), so the checker
 * and the batch read the short form. Values that are skipped (unknown
 * members, the other kind's array) are scanned and discarded as they
 * stream by.
 *
 * The stream is read line by line (ndjson.h). A line is an envelope with one
 * member; the common compact spelling {"entity":...} is recognised by its
 * prefix, anything else is walked with json_each_member.
 */
#include "source.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "fsutil.h"
#include "graphfmt.h"
#include "json.h"
#include "log.h"
#include "ndjson.h"
#include "strset.h"

#define RD_CHUNK ((size_t)64 << 10)
#define MAX_SUMMARY ((size_t)256 << 20)
#define MAX_FILES 1000000
#define MAX_DEPTH 32

/* ---- buffered reader ------------------------------------------------------- */

struct rd {
    int fd;
    char *buf;
    size_t cap, pos, len; /* unread bytes: buf[pos, len) */
    uint64_t base;        /* file offset of buf[0] */
    bool eof;
};

/* The buffer outlives the file: one allocation for the whole run, not one
 * fresh (and freshly faulted-in) mapping for each of hundreds of files. */
static int rd_open(struct rd *r, const char *path, struct err *e)
{
    char *keep = r->buf;
    size_t keep_cap = r->cap;
    memset(r, 0, sizeof *r);
    r->buf = keep;
    r->cap = keep_cap;
    r->fd = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(e, ERR_FAIL, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return err_set(e, ERR_FAIL, "%s is not a regular file", path);
    }
    r->fd = fd;
    return 0;
}

static void rd_close(struct rd *r)
{
    if (r->fd >= 0)
        close(r->fd);
    char *keep = r->buf;
    size_t keep_cap = r->cap;
    if (keep_cap > 2 * RD_CHUNK) { /* grown for one large object: not kept */
        free(keep);
        keep = NULL;
        keep_cap = 0;
    }
    memset(r, 0, sizeof *r);
    r->buf = keep;
    r->cap = keep_cap;
    r->fd = -1;
}

static void rd_free(struct rd *r)
{
    rd_close(r);
    free(r->buf);
    r->buf = NULL;
    r->cap = 0;
}

/* Reads more input, keeping buf[pos, len). Returns bytes read (0 at end). */
static ssize_t rd_more(struct rd *r, const char *name, struct err *e)
{
    if (r->eof)
        return 0;
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->base += r->pos;
        r->len -= r->pos;
        r->pos = 0;
    }
    if (r->cap - r->len < RD_CHUNK / 2) {
        size_t ncap = r->cap ? r->cap * 2 : RD_CHUNK;
        if (ncap > SOURCE_MAX_OBJECT + RD_CHUNK) {
            err_set(e, ERR_FAIL, "%s: an object at byte %llu is larger than %zu MiB", name,
                    (unsigned long long)r->base, SOURCE_MAX_OBJECT >> 20);
            return -1;
        }
        char *nb = realloc(r->buf, ncap);
        if (!nb) {
            err_set(e, ERR_FAIL, "out of memory reading %s", name);
            return -1;
        }
        r->buf = nb;
        r->cap = ncap;
    }
    for (;;) {
        ssize_t n = read(r->fd, r->buf + r->len, r->cap - r->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err_set(e, ERR_FAIL, "cannot read %s: %s", name, strerror(errno));
            return -1;
        }
        if (n == 0)
            r->eof = true;
        r->len += (size_t)n;
        return n;
    }
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* Skips whitespace; *c = the next byte (not consumed). 1, 0 at end, -1 error. */
static int rd_peek(struct rd *r, const char *name, char *c, struct err *e)
{
    for (;;) {
        while (r->pos < r->len && is_ws(r->buf[r->pos]))
            r->pos++;
        if (r->pos < r->len) {
            *c = r->buf[r->pos];
            return 1;
        }
        ssize_t n = rd_more(r, name, e);
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
    }
}

/* Inside a string at b[i] (*esc: b[i] is escaped): the index just after
 * the closing quote (*closed), or len when the string goes on past the
 * data (*esc then says whether the next byte is escaped). Quotes are found
 * with memchr; one is escaped when an odd run of backslashes precedes it. */
static size_t string_end(const char *b, size_t i, size_t len, bool *esc, bool *closed)
{
    *closed = false;
    if (*esc) {
        if (i >= len)
            return len;
        i++;
        *esc = false;
    }
    size_t start = i;
    for (;;) {
        const char *q = memchr(b + i, '"', len - i);
        size_t qi = q ? (size_t)(q - b) : len, k = qi;
        while (k > start && b[k - 1] == '\\')
            k--;
        if (!q) {
            *esc = (len - k) % 2 == 1;
            return len;
        }
        if ((qi - k) % 2 == 0) {
            *closed = true;
            return qi + 1;
        }
        i = start = qi + 1; /* an escaped quote */
    }
}

/* Scans one JSON value starting at buf[pos] (not whitespace). keep: hand it
 * out in *p and *n (valid until the next read); else discard it as it goes. */
static int rd_value(struct rd *r, const char *name, bool keep, const char **p, size_t *n,
                    struct err *e)
{
    size_t i = r->pos;
    int depth = 0;
    bool in_str = false, esc = false;
    char first = r->buf[r->pos];
    bool primitive = first != '{' && first != '[' && first != '"';
    if (!primitive) {
        /* Fast path: the whole value is in the buffer and valid, which the
         * validating scanner finds at its own speed. Anything else (cut by
         * the buffer's end, or invalid) takes the byte loop below, which
         * needs no more than bracket structure to find the end. */
        const char *q = json_skip(r->buf + r->pos, r->buf + r->len, NULL);
        if (q) {
            i = (size_t)(q - r->buf);
            goto done;
        }
    }
    for (;;) {
        const char *b = r->buf;
        while (i < r->len) {
            if (in_str) {
                bool closed;
                i = string_end(b, i, r->len, &esc, &closed);
                if (!closed)
                    break;
                in_str = false;
                if (depth == 0) /* the value was this string */
                    goto done;
                continue;
            }
            char c = b[i];
            if (primitive) {
                if (c == ',' || c == ']' || c == '}' || is_ws(c))
                    goto done;
                i++;
                continue;
            }
            i++;
            if (c == '"')
                in_str = true;
            else if (c == '{' || c == '[')
                depth++;
            else if ((c == '}' || c == ']') && --depth == 0)
                goto done;
        }
        size_t off = i - r->pos;
        if (!keep) {
            r->pos = i;
            off = 0;
        }
        ssize_t got = rd_more(r, name, e);
        if (got < 0)
            return -1;
        i = r->pos + off;
        if (got == 0) {
            if (primitive)
                goto done;
            return err_set(e, ERR_FAIL, "%s: the file ends in the middle of a value (cut short?)",
                           name);
        }
    }
done:
    if (keep) {
        *p = r->buf + r->pos;
        *n = i - r->pos;
    }
    r->pos = i;
    return 0;
}

/* Reads a member name (raw, between quotes) into key (cut at its size). */
static int rd_key(struct rd *r, const char *name, char *key, size_t ksz, struct err *e)
{
    const char *p = NULL;
    size_t n = 0;
    if (rd_value(r, name, true, &p, &n, e) < 0)
        return -1;
    size_t kl = p && n >= 2 ? n - 2 : 0;
    if (kl >= ksz)
        kl = ksz - 1;
    if (kl)
        memcpy(key, p + 1, kl);
    key[kl] = '\0';
    return 0;
}

/* A byte that can end or start a number or a literal (true, false, null). */
static bool scalar_byte(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '+' || c == '.';
}

/* Copies the object or array at b[i] (i < len) into out without the
 * whitespace outside strings, so that the checker and the batch see each
 * object once more, not twice, and in its short form (the SDK's files are
 * pretty-printed, a third of them whitespace). Returns 1 and *next (the
 * index after it); 0 when the data ends first; -1 when whitespace joins two
 * numbers or literals, which dropping it would merge into a different text
 * (the caller then hands out the text as it is, for the checker to refuse).
 * It does not validate: the checker does, on what this writes. */
static int minify_value(const char *b, size_t i, size_t len, struct buf *out, size_t *next)
{
    if (buf_reserve(out, len - i) < 0)
        return -1;
    char *o = out->p + out->len, prev = 0;
    bool ws = false;
    int depth = 0;
    while (i < len) {
        char c = b[i];
        if (c == '"') {
            bool esc = false, closed;
            size_t q = string_end(b, i + 1, len, &esc, &closed);
            if (!closed)
                return 0;
            memcpy(o, b + i, q - i);
            o += q - i;
            i = q;
            prev = '"';
            ws = false;
            continue;
        }
        i++;
        if (is_ws(c)) {
            ws = true;
            continue;
        }
        if (ws && scalar_byte(prev) && scalar_byte(c))
            return -1;
        ws = false;
        *o++ = prev = c;
        if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (--depth <= 0) {
                out->len = (size_t)(o - out->p);
                out->p[out->len] = '\0';
                *next = i;
                return depth == 0 ? 1 : -1;
            }
        }
    }
    return 0;
}

/* The next array element, handed out minified (when it is an object or
 * array that can be) or as it is. */
static int rd_element(struct rd *r, const char *name, struct buf *min, struct source_obj *o,
                      struct err *e)
{
    char first = r->buf[r->pos];
    if (first == '{' || first == '[') {
        size_t next;
        buf_reset(min);
        int m = minify_value(r->buf, r->pos, r->len, min, &next);
        if (m == 1) { /* the common case: the element is in the buffer */
            o->text = min->p;
            o->len = min->len;
            o->minified = true;
            r->pos = next;
            return 0;
        }
        if (m == 0) { /* cut by the buffer's end: find its end, then minify it whole */
            const char *p = NULL;
            size_t n = 0;
            if (rd_value(r, name, true, &p, &n, e) < 0)
                return -1;
            buf_reset(min);
            size_t at = p ? (size_t)(p - r->buf) : 0;
            if (p && minify_value(r->buf, at, at + n, min, &next) == 1 && next == at + n) {
                o->text = min->p;
                o->len = min->len;
                o->minified = true;
            } else {
                o->text = p;
                o->len = n;
                o->minified = false;
            }
            return 0;
        }
    }
    o->minified = false;
    return rd_value(r, name, true, &o->text, &o->len, e);
}

/* ---- directories ------------------------------------------------------------- */

struct gfile {
    char *rel;      /* path under the storage directory */
    bool has_rels;  /* holds a "relationships" member */
    bool rel_first; /* ... as its first member: pass 1 stopped there */
};

enum fstate { F_START, F_MEMBER, F_AFTER_MEMBER, F_ARRAY_FIRST, F_ARRAY_NEXT, F_END };

struct source {
    char *root; /* storage directory */
    char *name;
    /* directory */
    struct gfile *files;
    size_t nfiles, capfiles;
    size_t cur;
    struct rd rd;
    struct buf min; /* the element handed out, minified */
    char *path;     /* of the open file */
    uint64_t idx;
    int pass; /* 0: entities, 1: relationships, 2: done */
    enum fstate st;
    enum gobj_kind arr_kind;
    bool open;
    bool members_seen;
    bool streaming; /* the current array is handed out */
    bool warned_unknown;
    /* stream */
    bool stream;
    bool saw_rel, ended;
    struct ndr *ndr;
    /* both */
    char **ptypes;
    size_t nptypes;
    struct strset ptype_set;
    uint64_t bytes, nread_files;
};

static int add_ptype(struct source *s, const char *t, size_t n)
{
    int r = strset_add(&s->ptype_set, t, n, NULL);
    if (r <= 0)
        return r;
    char **nv = realloc(s->ptypes, (s->nptypes + 1) * sizeof *nv);
    if (!nv)
        return -1;
    s->ptypes = nv;
    if (!(s->ptypes[s->nptypes] = strndup(t, n)))
        return -1;
    s->nptypes++;
    return 1;
}

/* ---- summary ------------------------------------------------------------------ */

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
    } else if (add_ptype(w->s, t.p, t.len) < 0) {
        w->err = "out of memory";
    }
    buf_free(&t);
}

static const char *sum_member(void *ctx, const char *k, size_t kl, const char *v, const char *end,
                              const char **bad)
{
    struct sum_walk *w = ctx;
    static const char *const path[] = {"metadata", "partialDatasets", "types"};
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

static int parse_summary(struct source *s, const char *p, size_t n, const char *where,
                         struct err *e)
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

/* ---- directory walk ------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_file(struct source *s, const char *rel, struct err *e)
{
    if (s->nfiles == MAX_FILES)
        return err_set(e, ERR_FAIL, "%s: more than %d graph files", s->root, MAX_FILES);
    if (s->nfiles == s->capfiles) {
        size_t nc = s->capfiles ? s->capfiles * 2 : 64;
        struct gfile *nf = realloc(s->files, nc * sizeof *nf);
        if (!nf)
            return err_set(e, ERR_FAIL, "out of memory");
        s->files = nf;
        s->capfiles = nc;
    }
    struct gfile *f = &s->files[s->nfiles];
    memset(f, 0, sizeof *f);
    if (!(f->rel = strdup(rel)))
        return err_set(e, ERR_FAIL, "out of memory");
    s->nfiles++;
    return 0;
}

/* Adds the regular files under root/rel, each directory's entries in name order. */
static int walk(struct source *s, const char *rel, int depth, struct err *e)
{
    char *dir = path_join(s->root, rel);
    if (!dir)
        return err_set(e, ERR_FAIL, "out of memory");
    DIR *d = opendir(dir);
    if (!d) {
        err_set(e, ERR_FAIL, "cannot read directory %s: %s", dir, strerror(errno));
        free(dir);
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) {
                rc = err_set(e, ERR_FAIL, "out of memory");
                break;
            }
            names = nn;
        }
        if (!(names[n] = strdup(de->d_name))) {
            rc = err_set(e, ERR_FAIL, "out of memory");
            break;
        }
        n++;
    }
    closedir(d);
    if (rc == 0 && n > 1)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *r2 = path_join(rel, names[i]);
        char *full = r2 ? path_join(s->root, r2) : NULL;
        /* Nothing under graph/ is skipped: a skipped file's objects would
         * be missing from a job that declares nothing partial, and
         * JupiterOne would delete them. So anything that cannot be read as
         * it stands stops the run here, before a job exists. Symbolic links
         * are not followed (what they point at is not what was written). */
        struct stat lst;
        if (!full) {
            rc = err_set(e, ERR_FAIL, "out of memory");
        } else if (lstat(full, &lst) < 0) {
            rc = err_set(e, ERR_FAIL, "cannot read %s: %s; nothing was uploaded", full,
                         strerror(errno));
        } else if (S_ISLNK(lst.st_mode)) {
            rc = err_set(e, ERR_FAIL,
                         "%s is a symbolic link: upload does not follow links inside its input "
                         "(copy what it points at in its place); nothing was uploaded",
                         full);
        } else if (S_ISDIR(lst.st_mode)) {
            if (depth >= MAX_DEPTH)
                rc = err_set(e, ERR_FAIL, "%s: directories nested deeper than %d", full, MAX_DEPTH);
            else
                rc = walk(s, r2, depth + 1, e);
        } else if (S_ISREG(lst.st_mode)) {
            if (access(full, R_OK) < 0)
                rc = err_set(e, ERR_FAIL, "cannot read %s: %s; nothing was uploaded", full,
                             strerror(errno));
            else
                rc = add_file(s, r2, e);
        } else {
            rc = err_set(e, ERR_FAIL, "%s is not a regular file; nothing was uploaded", full);
        }
        free(r2);
        free(full);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(dir);
    return rc;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int open_dir(struct source *s, const char *in, struct err *e)
{
    char *graph = path_join(in, "graph"), *summary = path_join(in, "summary.json");
    char *proj = path_join(in, ".j1-integration");
    int rc = 0;
    if (!graph || !summary || !proj) {
        rc = err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    struct stat st;
    if (is_dir(graph) || stat(summary, &st) == 0)
        s->root = strdup(in);
    else if (is_dir(proj))
        s->root = strdup(proj);
    else {
        rc = err_set(e, ERR_USAGE,
                     "%s is neither a JupiterOne SDK storage directory (graph/ and summary.json) "
                     "nor a project directory holding .j1-integration/",
                     in);
        goto out;
    }
    s->name = s->root ? strdup(s->root) : NULL;
    if (!s->root || !s->name) {
        rc = err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    free(summary);
    free(graph);
    summary = path_join(s->root, "summary.json");
    graph = path_join(s->root, "graph");
    struct buf text = BUF_INIT;
    if (!summary || !graph) {
        rc = err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    if (stat(summary, &st) < 0) {
        rc = err_set(e, ERR_FAIL,
                     "%s has no summary.json: the run that wrote it did not finish (the SDK and "
                     "j1-npm-transform write it last), so its graph may be incomplete and "
                     "finalizing it could delete data in JupiterOne",
                     s->root);
        goto out;
    }
    if (read_file(summary, MAX_SUMMARY, &text, e) < 0 ||
        parse_summary(s, text.p ? text.p : "", text.len, summary, e) < 0) {
        buf_free(&text);
        rc = -1;
        goto out;
    }
    buf_free(&text);
    struct stat gst;
    if (lstat(graph, &gst) == 0 && S_ISLNK(gst.st_mode))
        rc = err_set(e, ERR_FAIL,
                     "%s is a symbolic link: upload does not follow links inside its input; "
                     "nothing was uploaded",
                     graph);
    else if (is_dir(graph) && walk(s, "graph", 0, e) < 0)
        rc = -1; /* no graph/ at all: no files; upload refuses that unless --allow-empty */
out:
    free(graph);
    free(summary);
    free(proj);
    return rc;
}

/* ---- directory objects ----------------------------------------------------- */

static void close_file(struct source *s)
{
    if (s->open) {
        s->bytes += s->rd.base + s->rd.len;
        rd_close(&s->rd);
    }
    s->open = false;
    free(s->path);
    s->path = NULL;
}

static int fail_at(struct source *s, struct err *e, const char *what)
{
    uint64_t at = s->rd.base + s->rd.pos;
    return err_set(e, ERR_FAIL, "%s: %s (at byte %llu)", s->files[s->cur].rel, what,
                   (unsigned long long)at);
}

/* Next object of the current pass from the open file: 1, 0 (file done), -1. */
static int file_next(struct source *s, struct source_obj *o, struct err *e)
{
    struct gfile *f = &s->files[s->cur];
    const char *name = f->rel;
    char c;
    for (;;) {
        int pk = rd_peek(&s->rd, name, &c, e);
        if (pk < 0)
            return -1;
        if (s->st == F_END) {
            if (pk)
                return fail_at(s, e, "text after the top-level object");
            return 0;
        }
        if (!pk)
            return fail_at(s, e,
                           s->st == F_START ? "an empty file, not a graph file"
                                            : "the file ends early (cut short?)");
        switch (s->st) {
        case F_START:
            if (c != '{')
                return fail_at(s, e,
                               "not a JSON graph file (expected {\"entities\": [...]} or "
                               "{\"relationships\": [...]}; brotli-compressed SDK files are not "
                               "supported)");
            s->rd.pos++;
            s->st = F_MEMBER;
            break;
        case F_MEMBER: {
            if (c == '}' && !s->members_seen) {
                s->rd.pos++;
                s->st = F_END;
                break;
            }
            if (c != '"')
                return fail_at(s, e, "expected a member name");
            char key[64];
            if (rd_key(&s->rd, name, key, sizeof key, e) < 0)
                return -1;
            if (rd_peek(&s->rd, name, &c, e) <= 0 || c != ':')
                return fail_at(s, e, "expected ':' after a member name");
            s->rd.pos++;
            if (rd_peek(&s->rd, name, &c, e) <= 0)
                return fail_at(s, e, "the file ends early (cut short?)");
            bool ents = strcmp(key, "entities") == 0, rels = strcmp(key, "relationships") == 0;
            bool first = !s->members_seen;
            s->members_seen = true;
            if (ents || rels) {
                if (c != '[')
                    return fail_at(s, e,
                                   ents ? "\"entities\" is not an array"
                                        : "\"relationships\" is not an array");
                if (s->pass == 0 && rels) {
                    f->has_rels = true;
                    if (first) {
                        f->rel_first = true;
                        return 0; /* the whole file waits for pass 2 */
                    }
                }
                if (s->pass == 1 && ents && f->rel_first)
                    return fail_at(s, e,
                                   "\"entities\" after \"relationships\" in one file; every "
                                   "entity must be sent before any relationship");
                s->streaming = (s->pass == 0 && ents) || (s->pass == 1 && rels);
                s->arr_kind = ents ? GOBJ_ENTITY : GOBJ_RELATIONSHIP;
                s->rd.pos++;
                s->idx = 0;
                s->st = F_ARRAY_FIRST;
            } else {
                if (s->pass == 0 && !s->warned_unknown) {
                    log_warn("%s: ignoring the member \"%s\" (a graph file holds \"entities\" "
                             "or \"relationships\")",
                             name, key);
                    s->warned_unknown = true;
                }
                if (rd_value(&s->rd, name, false, NULL, NULL, e) < 0)
                    return -1;
                s->st = F_AFTER_MEMBER;
            }
            break;
        }
        case F_AFTER_MEMBER:
            if (c == ',') {
                s->rd.pos++;
                s->st = F_MEMBER;
            } else if (c == '}') {
                s->rd.pos++;
                s->st = F_END;
            } else {
                return fail_at(s, e, "expected ',' or '}' after a member");
            }
            break;
        case F_ARRAY_FIRST:
        case F_ARRAY_NEXT:
            if (c == ']') {
                s->rd.pos++;
                s->st = F_AFTER_MEMBER;
                break;
            }
            if (s->st == F_ARRAY_NEXT) {
                if (c != ',')
                    return fail_at(s, e, "expected ',' or ']' in an array of graph objects");
                s->rd.pos++;
                if (rd_peek(&s->rd, name, &c, e) <= 0)
                    return fail_at(s, e, "the file ends early (cut short?)");
            }
            s->st = F_ARRAY_NEXT;
            if (!s->streaming) {
                if (rd_value(&s->rd, name, false, NULL, NULL, e) < 0)
                    return -1;
                break;
            }
            if (rd_element(&s->rd, name, &s->min, o, e) < 0)
                return -1;
            o->kind = s->arr_kind;
            o->file = name;
            o->index = s->idx++;
            return 1;
        case F_END: break;
        }
    }
}

static int dir_next(struct source *s, struct source_obj *o, struct err *e)
{
    while (s->pass < 2) {
        if (s->cur >= s->nfiles) {
            s->pass++;
            s->cur = 0;
            continue;
        }
        struct gfile *f = &s->files[s->cur];
        if (s->pass == 1 && !f->has_rels) {
            s->cur++;
            continue;
        }
        if (!s->open) {
            s->path = path_join(s->root, f->rel);
            if (!s->path)
                return err_set(e, ERR_FAIL, "out of memory");
            if (rd_open(&s->rd, s->path, e) < 0)
                return -1;
            s->open = true;
            s->st = F_START;
            s->members_seen = false;
            s->streaming = false;
            s->warned_unknown = false;
            if (s->pass == 0)
                s->nread_files++;
        }
        int r = file_next(s, o, e);
        if (r != 0)
            return r;
        close_file(s);
        s->cur++;
    }
    return 0;
}

/* ---- stream ------------------------------------------------------------------ */

struct env_walk {
    int members;
    const char *key;
    size_t klen;
    const char *val;
    size_t vlen;
};

static int env_member(void *ctx, const char *k, size_t kl, const char *v, size_t vl)
{
    struct env_walk *w = ctx;
    w->members++;
    w->key = k;
    w->klen = kl;
    w->val = v;
    w->vlen = vl;
    return 0;
}

static bool has_prefix(const char *p, size_t n, const char *pre, size_t pl)
{
    return n >= pl && memcmp(p, pre, pl) == 0;
}

static int stream_next(struct source *s, struct source_obj *o, struct err *e)
{
    const char *line;
    size_t n;
    for (;;) {
        if (s->ended) {
            int r = ndr_next(s->ndr, &line, &n, e);
            if (r < 0)
                return -1;
            if (r == 1 && json_skip_ws(line, line + n) != line + n)
                return err_set(e, ERR_FAIL, "stdin:%lu: a record after the summary record",
                               ndr_lineno(s->ndr));
            if (r == 1)
                continue;
            s->bytes = ndr_bytes_out(s->ndr);
            return 0;
        }
        int r = ndr_next(s->ndr, &line, &n, e);
        if (r < 0)
            return -1;
        if (r == 0) {
            s->bytes = ndr_bytes_out(s->ndr);
            return err_set(e, ERR_FAIL,
                           "the input stream ended after %lu line(s) without its {\"summary\": "
                           "...} record: the program writing it failed or was stopped, so the "
                           "graph may be incomplete",
                           ndr_lineno(s->ndr));
        }
        while (n && is_ws(line[n - 1]))
            n--;
        const char *p = json_skip_ws(line, line + n);
        n -= (size_t)(p - line);
        if (n == 0)
            continue;
        unsigned long ln = ndr_lineno(s->ndr);
        const char *val = NULL;
        size_t vlen = 0;
        int kind = -1; /* 0 entity, 1 relationship, 2 summary */
        if (has_prefix(p, n, GF_HEAD_ENTITY, GF_HEAD_ENTITY_LEN) && p[n - 1] == '}') {
            kind = 0;
            val = p + GF_HEAD_ENTITY_LEN;
            vlen = n - GF_HEAD_ENTITY_LEN - 1;
        } else if (has_prefix(p, n, GF_HEAD_RELATIONSHIP, GF_HEAD_RELATIONSHIP_LEN) &&
                   p[n - 1] == '}') {
            kind = 1;
            val = p + GF_HEAD_RELATIONSHIP_LEN;
            vlen = n - GF_HEAD_RELATIONSHIP_LEN - 1;
        } else if (has_prefix(p, n, GF_HEAD_SUMMARY, GF_HEAD_SUMMARY_LEN) && p[n - 1] == '}') {
            kind = 2;
            val = p + GF_HEAD_SUMMARY_LEN;
            vlen = n - GF_HEAD_SUMMARY_LEN - 1;
        } else {
            struct env_walk w = {0, NULL, 0, NULL, 0};
            const char *q = json_each_member(p, p + n, env_member, &w, NULL);
            if (!q || json_skip_ws(q, p + n) != p + n)
                return err_set(e, ERR_FAIL, "stdin:%lu: not a JSON object", ln);
            if (w.members == 1) {
                kind = json_key_is(w.key, w.klen, GF_ENTITY)         ? 0
                       : json_key_is(w.key, w.klen, GF_RELATIONSHIP) ? 1
                       : json_key_is(w.key, w.klen, GF_SUMMARY)      ? 2
                                                                     : -1;
                val = w.val;
                vlen = w.vlen;
            }
            if (kind < 0)
                return err_set(e, ERR_FAIL,
                               "stdin:%lu: expected one of {\"entity\": ...}, {\"relationship\": "
                               "...} or {\"summary\": ...} (is this j1-npm-transform's --out - "
                               "stream?)",
                               ln);
        }
        if (kind == 2) {
            char where[64];
            snprintf(where, sizeof where, "stdin:%lu", ln);
            if (parse_summary(s, val, vlen, where, e) < 0)
                return -1;
            s->ended = true;
            continue;
        }
        if (kind == 0 && s->saw_rel)
            return err_set(e, ERR_FAIL,
                           "stdin:%lu: an entity after relationships; the stream must hold every "
                           "entity first",
                           ln);
        if (kind == 1)
            s->saw_rel = true;
        o->kind = kind == 0 ? GOBJ_ENTITY : GOBJ_RELATIONSHIP;
        o->text = val;
        o->len = vlen;
        o->minified = false;
        o->file = "stdin";
        o->index = ln;
        s->bytes = ndr_bytes_out(s->ndr);
        return 1;
    }
}

/* ---- public ----------------------------------------------------------------- */

struct source *source_open(const char *in, struct err *e)
{
    struct source *s = calloc(1, sizeof *s);
    if (!s) {
        err_set(e, ERR_FAIL, "out of memory");
        return NULL;
    }
    s->rd.fd = -1;
    if (strcmp(in, "-") == 0) {
        if (isatty(STDIN_FILENO)) {
            err_set(e, ERR_USAGE,
                    "--in - reads a graph stream from standard input, which is a terminal; pipe "
                    "one in (j1-npm-transform --out - | ...)");
            source_close(s);
            return NULL;
        }
        s->stream = true;
        s->name = strdup("stdin");
        int fd = dup(STDIN_FILENO);
        if (!s->name || fd < 0 || !(s->ndr = ndr_new(fd, "stdin", SOURCE_MAX_OBJECT + 64, e))) {
            if (fd < 0 || !s->name)
                err_set(e, ERR_FAIL, "cannot read standard input");
            source_close(s);
            return NULL;
        }
        ndr_watch(s->ndr, &cli_interrupted); /* a signal stops a stalled pipe's read at once */
        return s;
    }
    struct stat st;
    if (stat(in, &st) < 0) {
        err_set(e, ERR_USAGE, "cannot read --in %s: %s", in, strerror(errno));
        source_close(s);
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        err_set(e, ERR_USAGE, "--in %s is not a directory; for a saved stream use --in - < %s", in,
                in);
        source_close(s);
        return NULL;
    }
    if (open_dir(s, in, e) < 0) {
        source_close(s);
        return NULL;
    }
    return s;
}

int source_next(struct source *s, struct source_obj *o, struct err *e)
{
    return s->stream ? stream_next(s, o, e) : dir_next(s, o, e);
}

size_t source_partial_count(const struct source *s)
{
    return s->nptypes;
}

const char *source_partial_type(const struct source *s, size_t i)
{
    return i < s->nptypes ? s->ptypes[i] : NULL;
}

const char *source_name(const struct source *s)
{
    return s->name ? s->name : "?";
}

uint64_t source_files(const struct source *s)
{
    return s->stream ? 0 : s->nread_files;
}

bool source_is_empty(const struct source *s)
{
    return !s->stream && s->nfiles == 0;
}

uint64_t source_bytes(const struct source *s)
{
    if (s->stream)
        return s->ndr ? ndr_bytes_out(s->ndr) : 0;
    return s->bytes + (s->open ? s->rd.base + s->rd.pos : 0);
}

void source_close(struct source *s)
{
    if (!s)
        return;
    close_file(s);
    rd_free(&s->rd);
    buf_free(&s->min);
    if (s->ndr)
        ndr_close(s->ndr);
    for (size_t i = 0; i < s->nfiles; i++)
        free(s->files[i].rel);
    free(s->files);
    for (size_t i = 0; i < s->nptypes; i++)
        free(s->ptypes[i]);
    free(s->ptypes);
    strset_free(&s->ptype_set, NULL);
    free(s->root);
    free(s->name);
    free(s);
}
