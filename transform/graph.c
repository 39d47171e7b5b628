/*
 * graph.c — see graph.h.
 */
#include "graph.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "json.h"
#include "log.h"
#include "ndjson.h"

struct ientry {
    uint64_t off;    /* in the spool */
    uint64_t keyoff; /* in the key arena */
    uint32_t len;
    uint32_t klen;
    uint32_t type;
};

struct graph {
    FILE *spool;
    uint64_t spool_len;
    struct ientry *ix;
    size_t n, cap;
    struct buf keys;
    uint64_t count[T_COUNT];
    uint64_t dups;
};

static FILE *temp_file(void)
{
    const char *dir = getenv("TMPDIR");
    struct buf p = BUF_INIT;
    if (buf_printf(&p, "%s/j1-npm-graph-XXXXXX", dir && *dir ? dir : "/tmp") < 0)
        return NULL;
    int fd = mkstemp(p.p);
    if (fd >= 0)
        unlink(p.p);
    buf_free(&p);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "w+b");
    if (!f)
        close(fd);
    return f;
}

struct graph *graph_new(struct err *e)
{
    struct graph *g = calloc(1, sizeof *g);
    if (!g || !(g->spool = temp_file())) {
        free(g);
        err_set(e, ERR_FAIL, "cannot create a temporary file: %s", strerror(errno));
        return NULL;
    }
    return g;
}

void graph_free(struct graph *g)
{
    if (!g)
        return;
    if (g->spool)
        fclose(g->spool);
    free(g->ix);
    buf_free(&g->keys);
    free(g);
}

int graph_add(struct graph *g, enum gtype t, const char *key, size_t klen, const char *json,
              size_t n, struct err *e)
{
    if (n > UINT32_MAX || klen > UINT32_MAX)
        return err_set(e, ERR_FAIL, "graph object %.*s is too large", (int)(klen > 80 ? 80 : klen),
                       key);
    if (g->n == g->cap) {
        size_t nc = g->cap ? g->cap * 2 : 1024;
        struct ientry *nx = realloc(g->ix, nc * sizeof *nx);
        if (!nx)
            return err_set(e, ERR_FAIL, "out of memory");
        g->ix = nx;
        g->cap = nc;
    }
    struct ientry *x = &g->ix[g->n];
    x->off = g->spool_len;
    x->len = (uint32_t)n;
    x->keyoff = g->keys.len;
    x->klen = (uint32_t)klen;
    x->type = (uint32_t)t;
    if (buf_append(&g->keys, key, klen) < 0)
        return err_set(e, ERR_FAIL, "out of memory");
    if (fwrite(json, 1, n, g->spool) != n)
        return err_set(e, ERR_FAIL, "cannot write a temporary file: %s", strerror(errno));
    g->spool_len += n;
    g->n++;
    g->count[t]++;
    return 0;
}

uint64_t graph_count(const struct graph *g, enum gtype t)
{
    return g->count[t];
}

uint64_t graph_duplicates(const struct graph *g)
{
    return g->dups;
}

static const char *sort_keys; /* qsort has no context argument */

static int cmp_ix(const void *a, const void *b)
{
    const struct ientry *x = a, *y = b;
    if (x->type != y->type)
        return x->type < y->type ? -1 : 1;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(sort_keys + x->keyoff, sort_keys + y->keyoff, n);
    if (c)
        return c;
    if (x->klen != y->klen)
        return x->klen < y->klen ? -1 : 1;
    return x->off < y->off ? -1 : x->off > y->off; /* equal keys: first made wins */
}

static int read_obj(struct graph *g, const struct ientry *x, struct buf *b, struct err *e)
{
    buf_reset(b);
    if (buf_reserve(b, x->len) < 0)
        return err_set(e, ERR_FAIL, "out of memory");
    ssize_t r = pread(fileno(g->spool), b->p, x->len, (off_t)x->off);
    if (r != (ssize_t)x->len)
        return err_set(e, ERR_FAIL, "cannot read back a temporary file");
    b->len = x->len;
    b->p[b->len] = '\0';
    return 0;
}

/* Drops later objects whose (type, _key) repeats an earlier one. */
static void dedupe(struct graph *g)
{
    size_t w = 0;
    for (size_t i = 0; i < g->n; i++) {
        if (w > 0) {
            const struct ientry *p = &g->ix[w - 1], *x = &g->ix[i];
            if (p->type == x->type && p->klen == x->klen &&
                memcmp(g->keys.p + p->keyoff, g->keys.p + x->keyoff, x->klen) == 0) {
                g->dups++;
                g->count[x->type]--;
                continue;
            }
        }
        g->ix[w++] = g->ix[i];
    }
    g->n = w;
}

/* ---- summary.json ----------------------------------------------------- */

static void type_list(struct jw *w, enum gstep s, unsigned mask)
{
    jw_arr(w);
    for (int t = 0; t < T_COUNT; t++)
        if (gtypes[t].step == s && (mask & TB(t)))
            jw_str(w, gtypes[t].type);
    jw_arr_end(w);
}

static int summary_json(const struct graph *g, unsigned partial, struct buf *out)
{
    struct jw w;
    unsigned encountered = 0, all = (1u << T_COUNT) - 1;
    for (int t = 0; t < T_COUNT; t++)
        if (g->count[t])
            encountered |= TB(t);
    jw_init(&w, out);
    jw_obj(&w);
    jw_key(&w, "integrationStepResults");
    jw_arr(&w);
    for (int s = 0; s < S_COUNT; s++) {
        bool failed = false;
        for (int t = 0; t < T_COUNT; t++)
            if (gtypes[t].step == (enum gstep)s && (partial & TB(t)))
                failed = true;
        jw_obj(&w);
        jw_kstr(&w, "id", gsteps[s].id);
        jw_kstr(&w, "name", gsteps[s].name);
        if (gsteps[s].depends_on) {
            jw_key(&w, "dependsOn");
            jw_arr(&w);
            jw_str(&w, gsteps[s].depends_on);
            jw_arr_end(&w);
        }
        jw_key(&w, "declaredTypes");
        type_list(&w, (enum gstep)s, all);
        jw_key(&w, "partialTypes");
        type_list(&w, (enum gstep)s, partial);
        jw_key(&w, "encounteredTypes");
        type_list(&w, (enum gstep)s, encountered);
        jw_kstr(&w, "status", failed ? "failure" : "success");
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_key(&w, "metadata");
    jw_obj(&w);
    jw_key(&w, "partialDatasets");
    jw_obj(&w);
    jw_key(&w, "types");
    jw_arr(&w);
    for (int t = 0; t < T_COUNT; t++)
        if (partial & TB(t))
            jw_str(&w, gtypes[t].type);
    jw_arr_end(&w);
    jw_obj_end(&w);
    jw_obj_end(&w);
    jw_obj_end(&w);
    return w.err ? -1 : 0;
}

/* ---- directory output ------------------------------------------------- */

static int write_file(const char *path, const struct buf *b, struct err *e)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return err_set(e, ERR_FAIL, "cannot create %s: %s", path, strerror(errno));
    int rc = write_all(fd, b->p, b->len, path, e);
    if (close(fd) < 0 && rc == 0)
        rc = err_set(e, ERR_FAIL, "cannot write %s: %s", path, strerror(errno));
    return rc;
}

/* Writes one type's sorted objects [from, to) as numbered files. */
static int write_type_files(struct graph *g, const char *root, size_t from, size_t to,
                            struct err *e)
{
    enum gtype t = (enum gtype)g->ix[from].type;
    const char *kind = gtypes[t].relationship ? "relationships" : "entities";
    struct buf dir = BUF_INIT, path = BUF_INIT, file = BUF_INIT, obj = BUF_INIT;
    int rc = -1, seq = 0;
    if (buf_printf(&dir, "%s/graph/%s/%s", root, gsteps[gtypes[t].step].id, kind) < 0 ||
        mkdir_p(dir.p, 0755, e) < 0)
        goto out;
    size_t i = from;
    while (i < to) {
        buf_reset(&file);
        buf_printf(&file, "{\"%s\":[\n", kind);
        size_t in_file = 0;
        while (i < to && in_file < GRAPH_FILE_MAX_OBJECTS &&
               (in_file == 0 || file.len + g->ix[i].len < GRAPH_FILE_MAX_BYTES)) {
            if (read_obj(g, &g->ix[i], &obj, e) < 0)
                goto out;
            if ((in_file && buf_puts(&file, ",\n") < 0) || buf_append(&file, obj.p, obj.len) < 0) {
                err_set(e, ERR_FAIL, "out of memory");
                goto out;
            }
            in_file++;
            i++;
        }
        if (buf_puts(&file, "\n]}\n") < 0) {
            err_set(e, ERR_FAIL, "out of memory");
            goto out;
        }
        buf_reset(&path);
        buf_printf(&path, "%s/%s-%04d.json", dir.p, gtypes[t].type, ++seq);
        if (write_file(path.p, &file, e) < 0)
            goto out;
    }
    rc = 0;
out:
    buf_free(&dir);
    buf_free(&path);
    buf_free(&file);
    buf_free(&obj);
    return rc;
}

/* An existing --out may be replaced only if it looks like graph output:
 * empty, or holding nothing but what an SDK storage directory holds. */
static int check_replaceable(const char *out, struct err *e)
{
    DIR *d = opendir(out);
    if (!d)
        return err_set(e, ERR_USAGE, "cannot open %s: %s", out, strerror(errno));
    static const char *const ok[] = {"graph", "index", "summary.json", "logs", "cache", NULL};
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        bool known = false;
        for (const char *const *k = ok; *k; k++)
            if (!strcmp(de->d_name, *k))
                known = true;
        if (!known) {
            rc = err_set(e, ERR_USAGE,
                         "%s holds '%s', which is not part of a graph output; refusing to "
                         "replace it (choose another --out)",
                         out, de->d_name);
            break;
        }
    }
    closedir(d);
    return rc;
}

static int write_dir(struct graph *g, const char *out, const struct buf *summary, struct err *e)
{
    struct stat st;
    bool exists = stat(out, &st) == 0;
    if (exists && !S_ISDIR(st.st_mode))
        return err_set(e, ERR_USAGE, "%s exists and is not a directory", out);
    if (exists && check_replaceable(out, e) < 0)
        return -1;

    /* Build beside the target, then swap. */
    char *copy = strdup(out);
    struct buf tmp = BUF_INIT, old = BUF_INIT, p = BUF_INIT;
    int rc = -1;
    if (!copy)
        return err_set(e, ERR_FAIL, "out of memory");
    char *parent = dirname(copy);
    if (mkdir_p(parent, 0755, e) < 0)
        goto out;
    buf_printf(&tmp, "%s.tmp-XXXXXX", out);
    if (!tmp.p || !mkdtemp(tmp.p)) {
        err_set(e, ERR_FAIL, "cannot create a directory beside %s: %s", out, strerror(errno));
        goto out;
    }
    chmod(tmp.p, 0755);
    size_t i = 0;
    while (i < g->n) {
        size_t j = i;
        while (j < g->n && g->ix[j].type == g->ix[i].type)
            j++;
        if (write_type_files(g, tmp.p, i, j, e) < 0)
            goto fail;
        i = j;
    }
    buf_printf(&p, "%s/summary.json", tmp.p);
    struct buf sj = BUF_INIT;
    buf_append(&sj, summary->p, summary->len);
    buf_putc(&sj, '\n');
    int wr = write_file(p.p, &sj, e);
    buf_free(&sj);
    if (wr < 0)
        goto fail;
    if (exists) {
        buf_printf(&old, "%s.old-XXXXXX", out);
        if (!old.p || !mkdtemp(old.p) || rmdir(old.p) < 0 || rename(out, old.p) < 0) {
            err_set(e, ERR_FAIL, "cannot move the old %s aside: %s", out, strerror(errno));
            goto fail;
        }
    }
    if (rename(tmp.p, out) < 0) {
        err_set(e, ERR_FAIL, "cannot rename %s to %s: %s", tmp.p, out, strerror(errno));
        if (exists)
            rename(old.p, out);
        goto fail;
    }
    if (exists)
        rmtree(old.p, NULL);
    rc = 0;
    goto out;
fail:
    rmtree(tmp.p, NULL);
out:
    free(copy);
    buf_free(&tmp);
    buf_free(&old);
    buf_free(&p);
    return rc;
}

/* ---- stream output ----------------------------------------------------- */

static int write_stream(struct graph *g, const struct buf *summary, struct err *e)
{
    struct gzw *w = gzw_new(STDOUT_FILENO, 6, "standard output", e);
    struct buf obj = BUF_INIT;
    int rc = -1;
    if (!w)
        return -1;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < g->n; i++) {
            bool rel = gtypes[g->ix[i].type].relationship;
            if (rel != (pass == 1))
                continue;
            const char *head = rel ? "{\"relationship\":" : "{\"entity\":";
            if (read_obj(g, &g->ix[i], &obj, e) < 0 || gzw_write(w, head, strlen(head), e) < 0 ||
                gzw_write(w, obj.p, obj.len, e) < 0 || gzw_write(w, "}\n", 2, e) < 0)
                goto out;
        }
    }
    if (gzw_write(w, "{\"summary\":", 11, e) < 0 || gzw_write(w, summary->p, summary->len, e) < 0 ||
        gzw_write(w, "}\n", 2, e) < 0 || gzw_finish(w, e) < 0)
        goto out;
    rc = 0;
out:
    gzw_free(w);
    buf_free(&obj);
    return rc;
}

int graph_write(struct graph *g, const char *out, unsigned partial, struct err *e)
{
    if (fflush(g->spool) != 0)
        return err_set(e, ERR_FAIL, "cannot write a temporary file: %s", strerror(errno));
    sort_keys = g->keys.p;
    if (g->n)
        qsort(g->ix, g->n, sizeof *g->ix, cmp_ix);
    dedupe(g);
    struct buf summary = BUF_INIT;
    if (summary_json(g, partial, &summary) < 0) {
        buf_free(&summary);
        return err_set(e, ERR_FAIL, "out of memory");
    }
    int rc = strcmp(out, "-") == 0 ? write_stream(g, &summary, e) : write_dir(g, out, &summary, e);
    buf_free(&summary);
    return rc;
}
