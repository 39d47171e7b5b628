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

#include "alloc.h"
#include "buf.h"
#include "cli.h"
#include "fsutil.h"
#include "graphfmt.h"
#include "json.h"
#include "log.h"
#include "ndjson.h"

struct ientry {
    uint64_t off; /* in the spool */
    uint32_t len;
    uint32_t type;
    uint32_t klen;
    uint32_t keyoff; /* in the run's key arena */
};

struct run {
    uint64_t start, end; /* byte range in the runs file */
};

struct graph {
    FILE *spool;
    uint64_t spool_len;
    struct ientry *ix; /* the run being collected */
    size_t n, cap;
    struct buf keys;
    FILE *runs; /* spilled runs: [type u32][klen u32][off u64][len u32][key] ... */
    uint64_t runs_len;
    struct run *rv;
    size_t nruns, caprun;
    uint64_t count[T_COUNT];
    uint64_t dups;
    size_t run_budget, max_runs; /* GRAPH_RUN_BUDGET, GRAPH_MAX_RUNS; graph_tune() */
    graph_amend_fn amend;
    void *amend_ctx;
    struct buf extra;
    graph_fn observe; /* graph_observe() */
    void *observe_ctx;
};

void graph_set_amend(struct graph *g, graph_amend_fn fn, void *ctx)
{
    g->amend = fn;
    g->amend_ctx = ctx;
}

static FILE *temp_file(void)
{
    const char *dir = getenv("TMPDIR");
    struct buf p = BUF_INIT;
    buf_printf(&p, "%s/j1-npm-graph-XXXXXX", dir && *dir ? dir : "/tmp");
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
    struct graph *g = xcalloc(1, sizeof *g);
    g->keys = g->extra = (struct buf)BUF_INIT;
    if (!(g->spool = temp_file())) {
        free(g);
        err_set(e, ERR_FAIL, "cannot create a temporary file: %s", strerror(errno));
        return NULL;
    }
    g->run_budget = GRAPH_RUN_BUDGET;
    g->max_runs = GRAPH_MAX_RUNS;
    return g;
}

void graph_tune(struct graph *g, size_t run_budget, size_t max_runs)
{
    g->run_budget = run_budget;
    g->max_runs = max_runs < 2 ? 2 : max_runs;
}

void graph_free(struct graph *g)
{
    if (!g)
        return;
    if (g->spool)
        fclose(g->spool);
    if (g->runs)
        fclose(g->runs);
    free(g->ix);
    free(g->rv);
    buf_free(&g->keys);
    buf_free(&g->extra);
    free(g);
}

void graph_observe(struct graph *g, graph_fn fn, void *ctx)
{
    g->observe = fn;
    g->observe_ctx = ctx;
}

uint64_t graph_count(const struct graph *g, enum gtype t)
{
    return g->count[t];
}

uint64_t graph_duplicates(const struct graph *g)
{
    return g->dups;
}

/* Output order: entities before relationships, then type, then _key; equal
 * keys keep the order they were made in (the spool offset grows). */
static int rank(uint32_t type)
{
    return (gtypes[type].relationship ? T_COUNT : 0) + (int)type;
}

static int cmp_parts(uint32_t ta, const char *ka, uint32_t kla, uint64_t oa, uint32_t tb,
                     const char *kb, uint32_t klb, uint64_t ob)
{
    if (ta != tb)
        return rank(ta) < rank(tb) ? -1 : 1;
    size_t n = kla < klb ? kla : klb;
    int c = memcmp(ka, kb, n);
    if (c)
        return c;
    if (kla != klb)
        return kla < klb ? -1 : 1;
    return oa < ob ? -1 : oa > ob;
}

static const char *sort_keys; /* qsort has no context argument */

static int cmp_ix(const void *a, const void *b)
{
    const struct ientry *x = a, *y = b;
    return cmp_parts(x->type, sort_keys + x->keyoff, x->klen, x->off, y->type,
                     sort_keys + y->keyoff, y->klen, y->off);
}

static void sort_run(struct graph *g)
{
    sort_keys = g->keys.p;
    if (g->n > 1)
        qsort(g->ix, g->n, sizeof *g->ix, cmp_ix);
}

static int compact_runs(struct graph *g, struct err *e);

/* One index entry of a run: [type u32][klen u32][off u64][len u32][key]. */
static int put_entry(FILE *f, uint32_t type, uint32_t klen, uint64_t off, uint32_t len,
                     const char *key, uint64_t *flen, struct err *e)
{
    unsigned char h[20];
    memcpy(h, &type, 4);
    memcpy(h + 4, &klen, 4);
    memcpy(h + 8, &off, 8);
    memcpy(h + 16, &len, 4);
    if (fwrite(h, 1, sizeof h, f) != sizeof h || fwrite(key, 1, klen, f) != klen)
        return err_set(e, ERR_FAIL, "cannot write a temporary file: %s", strerror(errno));
    *flen += sizeof h + klen;
    return 0;
}

/* Sorts the run in memory and appends it to the runs file; once there are
 * max_runs runs they are merged into one, so the merge's fan-in (one read
 * buffer per run) stays bounded however many objects come. */
static int spill_run(struct graph *g, struct err *e)
{
    if (!g->n)
        return 0;
    if (!g->runs && !(g->runs = temp_file()))
        return err_set(e, ERR_FAIL, "cannot create a temporary file: %s", strerror(errno));
    GROW(g->rv, g->nruns + 1, g->caprun);
    sort_run(g);
    uint64_t start = g->runs_len;
    for (size_t i = 0; i < g->n; i++) {
        const struct ientry *x = &g->ix[i];
        if (put_entry(g->runs, x->type, x->klen, x->off, x->len, g->keys.p + x->keyoff,
                      &g->runs_len, e) < 0)
            return -1;
    }
    g->rv[g->nruns].start = start;
    g->rv[g->nruns].end = g->runs_len;
    g->nruns++;
    g->n = 0;
    buf_reset(&g->keys);
    return g->nruns >= g->max_runs ? compact_runs(g, e) : 0;
}

int graph_add(struct graph *g, enum gtype t, const char *key, size_t klen, const char *json,
              size_t n, struct err *e)
{
    if (n > UINT32_MAX || klen > (1u << 20))
        return err_set(e, ERR_FAIL, "graph object %.*s is too large", (int)(klen > 80 ? 80 : klen),
                       key);
    if (g->n && (g->keys.len + klen + (g->n + 1) * sizeof *g->ix) > g->run_budget &&
        spill_run(g, e) < 0)
        return -1;
    GROW(g->ix, g->n + 1, g->cap);
    struct ientry *x = &g->ix[g->n];
    x->off = g->spool_len;
    x->len = (uint32_t)n;
    x->keyoff = (uint32_t)g->keys.len;
    x->klen = (uint32_t)klen;
    x->type = (uint32_t)t;
    buf_append(&g->keys, key, klen);
    if (fwrite(json, 1, n, g->spool) != n)
        return err_set(e, ERR_FAIL, "cannot write a temporary file: %s", strerror(errno));
    g->spool_len += n;
    g->n++;
    g->count[t]++;
    return 0;
}

/* ---- reading back in order ------------------------------------------------ */

struct item {
    uint32_t type, klen, len;
    uint64_t off;
    const char *key;
};

struct run_reader {
    int fd;
    uint64_t pos, end;
    char buf[GRAPH_RUN_READ_BUF];
    size_t have, at;
    struct buf key; /* the current record's key */
    struct item cur;
};

static int rr_fill(struct run_reader *r, size_t need)
{
    if (r->have - r->at >= need)
        return 0;
    memmove(r->buf, r->buf + r->at, r->have - r->at);
    r->have -= r->at;
    r->at = 0;
    while (r->have < need && r->pos < r->end) {
        size_t want = sizeof r->buf - r->have;
        if (want > r->end - r->pos)
            want = (size_t)(r->end - r->pos);
        ssize_t got = pread(r->fd, r->buf + r->have, want, (off_t)r->pos);
        if (got <= 0)
            return -1;
        r->have += (size_t)got;
        r->pos += (uint64_t)got;
    }
    return r->have >= need ? 0 : -1;
}

/* 1: a record; 0: the run is done; -1: read error. */
static int rr_next(struct run_reader *r)
{
    if (r->at == r->have && r->pos >= r->end)
        return 0;
    if (rr_fill(r, 20) < 0)
        return -1;
    const char *h = r->buf + r->at;
    memcpy(&r->cur.type, h, 4);
    memcpy(&r->cur.klen, h + 4, 4);
    memcpy(&r->cur.off, h + 8, 8);
    memcpy(&r->cur.len, h + 16, 4);
    r->at += 20;
    buf_reset(&r->key);
    size_t left = r->cur.klen;
    while (left) {
        if (rr_fill(r, 1) < 0)
            return -1;
        size_t take = r->have - r->at < left ? r->have - r->at : left;
        buf_append(&r->key, r->buf + r->at, take);
        r->at += take;
        left -= take;
    }
    r->cur.key = r->key.p;
    return 1;
}

struct cursor {
    struct graph *g;
    size_t i;              /* in-memory run position (when nothing was spilled) */
    struct run_reader *rr; /* spilled runs, merged */
    size_t *heap, nheap;   /* indexes into rr: a min-heap by current record */
    struct buf cur, last;  /* the key handed out, and the previous one */
    uint32_t last_type;
    bool have_last;
};

static bool rr_less(const struct cursor *c, size_t a, size_t b)
{
    const struct item *x = &c->rr[a].cur, *y = &c->rr[b].cur;
    return cmp_parts(x->type, x->key, x->klen, x->off, y->type, y->key, y->klen, y->off) < 0;
}

static void heap_down(struct cursor *c, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < c->nheap && rr_less(c, c->heap[l], c->heap[m]))
            m = l;
        if (r < c->nheap && rr_less(c, c->heap[r], c->heap[m]))
            m = r;
        if (m == i)
            return;
        size_t t = c->heap[i];
        c->heap[i] = c->heap[m];
        c->heap[m] = t;
        i = m;
    }
}

static int merge_open(struct cursor *c, struct graph *g, struct err *e);

static int cursor_open(struct cursor *c, struct graph *g, struct err *e)
{
    memset(c, 0, sizeof *c);
    c->g = g;
    if (fflush(g->spool) != 0)
        return err_set(e, ERR_FAIL, "cannot write a temporary file: %s", strerror(errno));
    if (!g->nruns) {
        sort_run(g);
        return 0;
    }
    if (spill_run(g, e) < 0)
        return -1;
    return merge_open(c, g, e);
}

/* A cursor over the spilled runs, merged. */
static int merge_open(struct cursor *c, struct graph *g, struct err *e)
{
    memset(c, 0, sizeof *c);
    c->g = g;
    if (fflush(g->runs) != 0)
        return err_set(e, ERR_FAIL, "cannot write a temporary file: %s", strerror(errno));
    c->rr = xcalloc(g->nruns, sizeof *c->rr);
    c->heap = xcalloc(g->nruns, sizeof *c->heap);
    for (size_t i = 0; i < g->nruns; i++) {
        c->rr[i].fd = fileno(g->runs);
        c->rr[i].pos = g->rv[i].start;
        c->rr[i].end = g->rv[i].end;
        int r = rr_next(&c->rr[i]);
        if (r < 0)
            return err_set(e, ERR_FAIL, "cannot read back a temporary file");
        if (r > 0)
            c->heap[c->nheap++] = i;
    }
    for (size_t i = c->nheap / 2 + 1; i-- > 0;)
        heap_down(c, i);
    return 0;
}

static void cursor_close(struct cursor *c)
{
    if (c->rr)
        for (size_t i = 0; i < c->g->nruns; i++)
            buf_free(&c->rr[i].key);
    free(c->rr);
    free(c->heap);
    buf_free(&c->cur);
    buf_free(&c->last);
}

/* Next object in output order; a repeated (type, _key) is dropped (the
 * first one made wins). 1: *it filled, its key valid until the next call;
 * 0: done; -1: error. */
static int cursor_next(struct cursor *c, struct item *it, struct err *e)
{
    if (cli_interrupted) /* a signal stops a long write (or merge) at once */
        return err_set(e, ERR_FAIL, "interrupted");
    for (;;) {
        if (!c->rr) {
            if (c->i >= c->g->n)
                return 0;
            const struct ientry *x = &c->g->ix[c->i++];
            it->type = x->type;
            it->klen = x->klen;
            it->len = x->len;
            it->off = x->off;
            it->key = c->g->keys.p + x->keyoff;
        } else {
            if (!c->nheap)
                return 0;
            size_t top = c->heap[0];
            *it = c->rr[top].cur;
            buf_reset(&c->cur);
            buf_append(&c->cur, it->key, it->klen);
            it->key = c->cur.p;
            int r = rr_next(&c->rr[top]);
            if (r < 0)
                return err_set(e, ERR_FAIL, "cannot read back a temporary file");
            if (r == 0)
                c->heap[0] = c->heap[--c->nheap];
            heap_down(c, 0);
        }
        if (c->have_last && c->last_type == it->type && c->last.len == it->klen &&
            memcmp(c->last.p, it->key, it->klen) == 0) {
            c->g->dups++;
            c->g->count[it->type]--;
            continue;
        }
        buf_reset(&c->last);
        buf_append(&c->last, it->key, it->klen);
        c->last_type = it->type;
        c->have_last = true;
        return 1;
    }
}

/* Merges every run into one, written to a fresh temporary file that
 * replaces the runs file (so the disk holds at most two copies of the
 * index). Repeated keys are dropped here already, as the final merge would:
 * the runs are merged in the order the objects were made. */
static int compact_runs(struct graph *g, struct err *e)
{
    struct cursor c;
    struct item it;
    uint64_t len = 0;
    int r = -1;
    FILE *out = temp_file();
    if (!out)
        return err_set(e, ERR_FAIL, "cannot create a temporary file: %s", strerror(errno));
    if (merge_open(&c, g, e) == 0) {
        while ((r = cursor_next(&c, &it, e)) > 0)
            if (put_entry(out, it.type, it.klen, it.off, it.len, it.key, &len, e) < 0) {
                r = -1;
                break;
            }
    }
    cursor_close(&c);
    if (r < 0) {
        fclose(out);
        return -1;
    }
    fclose(g->runs);
    g->runs = out;
    g->runs_len = len;
    g->rv[0].start = 0;
    g->rv[0].end = len;
    g->nruns = 1;
    return 0;
}

static int read_obj(struct graph *g, const struct item *x, struct buf *b, struct err *e)
{
    buf_reset(b);
    buf_reserve(b, x->len);
    ssize_t r = pread(fileno(g->spool), b->p, x->len, (off_t)x->off);
    if (r != (ssize_t)x->len)
        return err_set(e, ERR_FAIL, "cannot read back a temporary file");
    b->len = x->len;
    b->p[b->len] = '\0';
    if (!g->amend)
        return 0;
    buf_reset(&g->extra);
    g->amend(g->amend_ctx, (enum gtype)x->type, x->key, x->klen, &g->extra);
    if (g->extra.len && b->len >= 2 && b->p[b->len - 1] == '}') {
        /* splice ",<extra>" before the closing brace */
        b->len--;
        if (b->p[b->len - 1] != '{')
            buf_putc(b, ',');
        buf_append(b, g->extra.p, g->extra.len);
        buf_putc(b, '}');
    }
    return 0;
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
    jw_key(&w, GF_SUMMARY_METADATA);
    jw_obj(&w);
    jw_key(&w, GF_SUMMARY_PARTIAL);
    jw_obj(&w);
    jw_key(&w, GF_SUMMARY_TYPES);
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
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return err_set(e, ERR_FAIL, "cannot create %s: %s", path, strerror(errno));
    int rc = write_all(fd, b->p, b->len, path, e);
    if (close(fd) < 0 && rc == 0)
        rc = err_set(e, ERR_FAIL, "cannot write %s: %s", path, strerror(errno));
    return rc;
}

/* Writes every object, in order, as numbered files per type:
 * graph/<step>/<entities|relationships>/<type>-NNNN.json. */
static int write_graph_files(struct graph *g, const char *root, struct err *e)
{
    struct cursor c;
    struct buf dir = BUF_INIT, path = BUF_INIT, file = BUF_INIT, obj = BUF_INIT;
    struct item it = {0}; /* read only when cursor_next filled it; the analyzer cannot tell */
    int rc = -1, seq = 0, r;
    size_t in_file = 0;
    uint32_t type = UINT32_MAX;
    if (cursor_open(&c, g, e) < 0)
        goto out;
    for (;;) {
        if ((r = cursor_next(&c, &it, e)) < 0)
            goto out;
        bool switch_type = r > 0 && it.type != type;
        bool full =
            r > 0 && !switch_type && in_file &&
            (in_file >= GRAPH_FILE_MAX_OBJECTS || file.len + it.len + 8 > GRAPH_FILE_MAX_BYTES);
        if (in_file && (r == 0 || switch_type || full)) {
            buf_reset(&path);
            buf_printf(&path, "%s/%s-%04d.json", dir.p, gtypes[type].type, ++seq);
            buf_puts(&file, "\n]}\n");
            if (write_file(path.p, &file, e) < 0)
                goto out;
            in_file = 0;
        }
        if (r == 0)
            break;
        const char *kind = gtypes[it.type].relationship ? GF_RELATIONSHIPS : GF_ENTITIES;
        if (switch_type) {
            type = it.type;
            seq = 0;
            buf_reset(&dir);
            buf_printf(&dir, "%s/" GF_GRAPH_DIR "/%s/%s", root, gsteps[gtypes[type].step].id, kind);
            if (mkdir_p(dir.p, 0700, e) < 0)
                goto out;
        }
        if (in_file == 0) {
            buf_reset(&file);
            buf_printf(&file, "{\"%s\":[\n", kind);
        } else {
            buf_puts(&file, ",\n");
        }
        if (read_obj(g, &it, &obj, e) < 0 ||
            (g->observe && g->observe(g->observe_ctx, it.type, obj.p, obj.len, e) < 0))
            goto out;
        buf_append(&file, obj.p, obj.len);
        in_file++;
    }
    rc = 0;
out:
    cursor_close(&c);
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
    static const char *const ok[] = {GF_GRAPH_DIR, GF_INDEX_DIR, GF_SUMMARY_FILE,
                                     "logs",       "cache",      NULL};
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

static int write_dir_at(struct graph *g, const char *out, const struct buf *summary, struct err *e)
{
    struct stat st;
    bool exists = stat(out, &st) == 0;
    if (exists && !S_ISDIR(st.st_mode))
        return err_set(e, ERR_USAGE, "%s exists and is not a directory", out);
    if (exists && check_replaceable(out, e) < 0)
        return -1;

    /* Build beside the target, then swap. */
    char *copy = xstrdup(out);
    struct buf tmp = BUF_INIT, old = BUF_INIT, p = BUF_INIT;
    int rc = -1;
    char *parent = dirname(copy);
    if (mkdir_p(parent, 0755, e) < 0)
        goto out;
    buf_printf(&tmp, "%s.tmp-XXXXXX", out);
    if (!mkdtemp(tmp.p)) {
        err_set(e, ERR_FAIL, "cannot create a directory beside %s: %s", out, strerror(errno));
        goto out;
    }
    chmod(tmp.p, 0700); /* the graph holds emails: only the owner reads it */
    if (write_graph_files(g, tmp.p, e) < 0)
        goto fail;
    buf_printf(&p, "%s/" GF_SUMMARY_FILE, tmp.p);
    struct buf sj = BUF_INIT;
    buf_append(&sj, summary->p, summary->len);
    buf_putc(&sj, '\n');
    int wr = write_file(p.p, &sj, e);
    buf_free(&sj);
    if (wr < 0)
        goto fail;
    if (exists) {
        buf_printf(&old, "%s.old-XXXXXX", out);
        if (!mkdtemp(old.p) || rmdir(old.p) < 0 || rename(out, old.p) < 0) {
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

/* "out/" names the same directory as "out", but the temporary and old
 * directories are named by appending to it and must land beside it, not
 * inside it: drop trailing slashes first. */
static int write_dir(struct graph *g, const char *out, const struct buf *summary, struct err *e)
{
    char *base = xstrdup(out);
    for (size_t n = strlen(base); n > 1 && base[n - 1] == '/'; n--)
        base[n - 1] = '\0';
    int rc = write_dir_at(g, base, summary, e);
    free(base);
    return rc;
}

/* ---- stream output ----------------------------------------------------- */

static int write_stream(struct graph *g, const struct buf *summary, struct err *e)
{
    struct gzw *w = gzw_new(STDOUT_FILENO, 6, "standard output", e);
    struct buf obj = BUF_INIT;
    struct cursor c;
    struct item it = {0}; /* read only when cursor_next filled it; the analyzer cannot tell */
    int rc = -1, r;
    if (!w)
        return -1;
    if (cursor_open(&c, g, e) < 0)
        goto out;
    while ((r = cursor_next(&c, &it, e)) > 0) {
        bool rel = gtypes[it.type].relationship;
        if (read_obj(g, &it, &obj, e) < 0 ||
            (g->observe && g->observe(g->observe_ctx, it.type, obj.p, obj.len, e) < 0) ||
            gzw_write(w, rel ? GF_HEAD_RELATIONSHIP : GF_HEAD_ENTITY,
                      rel ? GF_HEAD_RELATIONSHIP_LEN : GF_HEAD_ENTITY_LEN, e) < 0 ||
            gzw_write(w, obj.p, obj.len, e) < 0 ||
            gzw_write(w, GF_RECORD_END, GF_RECORD_END_LEN, e) < 0)
            goto out;
    }
    if (r < 0)
        goto out;
    if (gzw_write(w, GF_HEAD_SUMMARY, GF_HEAD_SUMMARY_LEN, e) < 0 ||
        gzw_write(w, summary->p, summary->len, e) < 0 ||
        gzw_write(w, GF_RECORD_END, GF_RECORD_END_LEN, e) < 0 || gzw_finish(w, e) < 0)
        goto out;
    rc = 0;
out:
    cursor_close(&c);
    gzw_free(w);
    buf_free(&obj);
    return rc;
}

int graph_each(struct graph *g, graph_fn fn, void *ctx, struct err *e)
{
    struct cursor c;
    struct buf obj = BUF_INIT;
    struct item it = {0};
    int r = -1;
    if (cursor_open(&c, g, e) == 0)
        while ((r = cursor_next(&c, &it, e)) > 0)
            if (read_obj(g, &it, &obj, e) < 0 || fn(ctx, it.type, obj.p, obj.len, e) < 0) {
                r = -1;
                break;
            }
    cursor_close(&c);
    buf_free(&obj);
    return r < 0 ? -1 : 0;
}

int graph_write(struct graph *g, const char *out, unsigned partial, struct err *e)
{
    struct buf summary = BUF_INIT;
    if (summary_json(g, partial, &summary) < 0) {
        buf_free(&summary);
        return err_set(e, ERR_FAIL, "internal error: the summary is not valid JSON");
    }
    int rc = strcmp(out, "-") == 0 ? write_stream(g, &summary, e) : write_dir(g, out, &summary, e);
    buf_free(&summary);
    return rc;
}
