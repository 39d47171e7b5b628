/*
 * source_dir.c — a storage directory (source.h): summary.json read at
 * open, then every regular file under graph/ in two passes over its file
 * list, entities then relationships.
 *
 * A graph file is parsed as it streams by (jsonrd.h): '{', members, each
 * "entities" or "relationships" array handed out element by element,
 * minified. The first pass reads only as far as a file's first member when
 * that is "relationships" (the SDK writes one member a file), so each
 * object is read once. Values that are skipped (unknown members, the other
 * kind's array) are scanned and discarded as they go. Memory holds the
 * file list and the object being handed out, never a file.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "fsutil.h"
#include "graphfmt.h"
#include "jsonrd.h"
#include "log.h"
#include "source_impl.h"

#define MAX_SUMMARY ((size_t)256 << 20)
#define MAX_FILES 1000000
#define MAX_DEPTH 32

struct gfile {
    char *rel;      /* path under the storage directory */
    bool has_rels;  /* holds a "relationships" member */
    bool rel_first; /* ... as its first member: pass 1 stopped there */
};

enum fstate { F_START, F_MEMBER, F_AFTER_MEMBER, F_ARRAY_FIRST, F_ARRAY_NEXT, F_END };

struct dir {
    struct source base;
    char *root; /* the storage directory */
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
    uint64_t bytes; /* of the files closed */
};

/* ---- the file list ------------------------------------------------------------- */

/* ---- directory walk ------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_file(struct dir *s, const char *rel, struct err *e)
{
    if (s->nfiles == MAX_FILES)
        return err_set(e, ERR_FAIL, "%s: more than %d graph files", s->root, MAX_FILES);
    GROW(s->files, s->nfiles + 1, s->capfiles);
    s->files[s->nfiles++] = (struct gfile){xstrdup(rel), false, false};
    return 0;
}

/* Adds the regular files under root/rel, each directory's entries in name order. */
static int walk(struct dir *s, const char *rel, int depth, struct err *e)
{
    char *dir = path_join(s->root, rel);
    DIR *d = opendir(dir);
    if (!d) {
        err_set(e, ERR_FAIL, "cannot read directory %s: %s", dir, strerror(errno));
        free(dir);
        return -1;
    }
    struct strlist names = STRLIST_INIT;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            strlist_add(&names, de->d_name, strlen(de->d_name));
    closedir(d);
    if (names.n > 1)
        qsort(names.v, names.n, sizeof *names.v, cmp_str);
    int rc = 0;
    for (size_t i = 0; i < names.n && rc == 0; i++) {
        char *r2 = path_join(rel, names.v[i]);
        char *full = path_join(s->root, r2);
        /* Nothing under graph/ is skipped: a skipped file's objects would
         * be missing from a job that declares nothing partial, and
         * JupiterOne would delete them. So anything that cannot be read as
         * it stands stops the run here, before a job exists. Symbolic links
         * are not followed (what they point at is not what was written). */
        struct stat lst;
        if (lstat(full, &lst) < 0) {
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
            else if ((rc = add_file(s, r2, e)) == 0)
                s->base.size += (uint64_t)lst.st_size;
        } else {
            rc = err_set(e, ERR_FAIL, "%s is not a regular file; nothing was uploaded", full);
        }
        free(r2);
        free(full);
    }
    strlist_free(&names);
    free(dir);
    return rc;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The storage directory: `in` itself, or the project directory's
 * .j1-integration/ (NULL: neither). */
static char *find_root(const char *in)
{
    char *graph = path_join(in, GF_GRAPH_DIR), *summary = path_join(in, GF_SUMMARY_FILE);
    char *proj = path_join(in, GF_PROJECT_DIR);
    struct stat st;
    char *root = NULL;
    if (is_dir(graph) || stat(summary, &st) == 0)
        root = xstrdup(in);
    else if (is_dir(proj))
        root = xstrdup(proj);
    free(graph);
    free(summary);
    free(proj);
    return root;
}

/* Reads summary.json (the SDK writes it last: without it the directory is
 * not whole), then lists graph/. */
static int open_dir(struct dir *s, const char *in, struct err *e)
{
    if (!(s->root = find_root(in)) && source_is_dump_dir(in))
        return source_dump_error(in, e);
    if (!s->root)
        return err_set(e, ERR_FAIL,
                       "%s is neither a JupiterOne SDK storage directory (graph/ and summary.json) "
                       "nor a project directory holding .j1-integration/",
                       in);
    s->base.name = xstrdup(s->root);
    char *summary = path_join(s->root, GF_SUMMARY_FILE), *graph = path_join(s->root, GF_GRAPH_DIR);
    struct buf text = BUF_INIT;
    struct stat st;
    int rc = 0;
    if (stat(summary, &st) < 0)
        rc = err_set(e, ERR_FAIL,
                     "%s has no summary.json: the run that wrote it did not finish (the SDK and "
                     "j1-npm-transform write it last), so its graph may be incomplete and "
                     "finalizing it could delete data in JupiterOne",
                     s->root);
    else if (read_file(summary, MAX_SUMMARY, &text, e) < 0 ||
             source_summary(&s->base, text.p, text.len, summary, e) < 0)
        rc = -1;
    else if (lstat(graph, &st) == 0 && S_ISLNK(st.st_mode))
        rc = err_set(e, ERR_FAIL,
                     "%s is a symbolic link: upload does not follow links inside its input; "
                     "nothing was uploaded",
                     graph);
    else if (is_dir(graph) && walk(s, GF_GRAPH_DIR, 0, e) < 0)
        rc = -1; /* no graph/ at all: no files; upload refuses that unless --allow-empty */
    buf_free(&text);
    free(graph);
    free(summary);
    return rc;
}

/* ---- directory objects ----------------------------------------------------- */

static void close_file(struct dir *s)
{
    if (s->open) {
        s->bytes += s->rd.base + s->rd.len;
        rd_close(&s->rd);
    }
    s->open = false;
    free(s->path);
    s->path = NULL;
}

static int fail_at(struct dir *s, struct err *e, const char *what)
{
    uint64_t at = s->rd.base + s->rd.pos;
    return err_set(e, ERR_FAIL, "%s: %s (at byte %llu)", s->files[s->cur].rel, what,
                   (unsigned long long)at);
}

/* At a member's name: reads it and starts its value. 0: go on; 1: the
 * file's first member is "relationships" in pass 1 (the whole file waits
 * for pass 2); -1: error. */
static int member_start(struct dir *s, struct gfile *f, struct err *e)
{
    const char *name = f->rel;
    char key[64], c;
    if (rd_key(&s->rd, name, key, sizeof key, e) < 0)
        return -1;
    if (rd_peek(&s->rd, name, &c, e) <= 0 || c != ':')
        return fail_at(s, e, "expected ':' after a member name");
    s->rd.pos++;
    if (rd_peek(&s->rd, name, &c, e) <= 0)
        return fail_at(s, e, "the file ends early (cut short?)");
    bool ents = strcmp(key, GF_ENTITIES) == 0, rels = strcmp(key, GF_RELATIONSHIPS) == 0;
    bool first = !s->members_seen;
    s->members_seen = true;
    if (!ents && !rels) {
        if (s->pass == 0 && !s->warned_unknown) {
            log_warn("%s: ignoring the member \"%s\" (a graph file holds \"entities\" "
                     "or \"relationships\")",
                     name, key);
            s->warned_unknown = true;
        }
        if (rd_value(&s->rd, name, false, NULL, NULL, e) < 0)
            return -1;
        s->st = F_AFTER_MEMBER;
        return 0;
    }
    if (c != '[')
        return fail_at(s, e,
                       ents ? "\"entities\" is not an array" : "\"relationships\" is not an array");
    if (s->pass == 0 && rels) {
        f->has_rels = true;
        if (first) {
            f->rel_first = true;
            return 1;
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
    return 0;
}

/* In an array at c (not ']'): 1 and the element in o when this pass hands
 * the array out, 0 when it skipped the element, -1 error. */
static int array_element(struct dir *s, struct gfile *f, char c, struct source_obj *o,
                         struct err *e)
{
    if (s->st == F_ARRAY_NEXT) {
        if (c != ',')
            return fail_at(s, e, "expected ',' or ']' in an array of graph objects");
        s->rd.pos++;
        if (rd_peek(&s->rd, f->rel, &c, e) <= 0)
            return fail_at(s, e, "the file ends early (cut short?)");
    }
    s->st = F_ARRAY_NEXT;
    if (!s->streaming)
        return rd_value(&s->rd, f->rel, false, NULL, NULL, e);
    if (rd_element(&s->rd, f->rel, &s->min, o, e) < 0)
        return -1;
    o->kind = s->arr_kind;
    o->file = f->rel;
    o->index = s->idx++;
    return 1;
}

/* Next object of the current pass from the open file: 1, 0 (file done), -1. */
static int file_next(struct dir *s, struct source_obj *o, struct err *e)
{
    struct gfile *f = &s->files[s->cur];
    char c;
    for (;;) {
        int pk = rd_peek(&s->rd, f->rel, &c, e), r;
        if (pk < 0)
            return -1;
        if (s->st == F_END)
            return pk ? fail_at(s, e, "text after the top-level object") : 0;
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
        case F_MEMBER:
            if (c == '}' && !s->members_seen) {
                s->rd.pos++;
                s->st = F_END;
                break;
            }
            if (c != '"')
                return fail_at(s, e, "expected a member name");
            if ((r = member_start(s, f, e)) != 0)
                return r < 0 ? -1 : 0;
            break;
        case F_AFTER_MEMBER:
            if (c != ',' && c != '}')
                return fail_at(s, e, "expected ',' or '}' after a member");
            s->rd.pos++;
            s->st = c == ',' ? F_MEMBER : F_END;
            break;
        case F_ARRAY_FIRST:
        case F_ARRAY_NEXT:
            if (c == ']') {
                s->rd.pos++;
                s->st = F_AFTER_MEMBER;
            } else if ((r = array_element(s, f, c, o, e)) != 0) {
                return r;
            }
            break;
        case F_END: break;
        }
    }
}

static int dir_next(struct dir *s, struct source_obj *o, struct err *e)
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
            if (rd_open(&s->rd, s->path, e) < 0)
                return -1;
            s->open = true;
            s->st = F_START;
            s->members_seen = false;
            s->streaming = false;
            s->warned_unknown = false;
            if (s->pass == 0)
                s->base.files++;
        }
        int r = file_next(s, o, e);
        if (r != 0)
            return r;
        close_file(s);
        s->cur++;
    }
    return 0;
}

/* ---- the backend ----------------------------------------------------------------- */

static int dir_next_obj(struct source *base, struct source_obj *o, struct err *e)
{
    return dir_next((struct dir *)base, o, e);
}

static uint64_t dir_bytes(const struct source *base)
{
    const struct dir *s = (const struct dir *)base;
    return s->bytes + (s->open ? s->rd.base + s->rd.pos : 0);
}

static void dir_free(struct source *base)
{
    struct dir *s = (struct dir *)base;
    close_file(s);
    rd_free(&s->rd);
    buf_free(&s->min);
    for (size_t i = 0; i < s->nfiles; i++)
        free(s->files[i].rel);
    free(s->files);
    free(s->root);
    free(s);
}

static const struct source_ops dir_ops = {dir_next_obj, dir_bytes, dir_free};

struct source *source_dir_open(const char *in, struct err *e)
{
    struct dir *s = xcalloc(1, sizeof *s);
    s->base.ops = &dir_ops;
    s->base.ptypes = (struct strlist)STRLIST_INIT;
    s->rd = (struct rd)RD_INIT;
    s->min = (struct buf)BUF_INIT;
    if (open_dir(s, in, e) < 0) {
        source_close(&s->base);
        return NULL;
    }
    s->base.empty = s->nfiles == 0;
    return &s->base;
}
