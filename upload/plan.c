/* plan.c — see plan.h. */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "deflater.h"
#include "json.h"
#include "log.h"
#include "alloc.h"
#include "strlist.h"

#define MAX_DROP_WARNINGS 100
#define VERBOSE_BODY_MAX 2000

struct planner {
    struct source *src;
    struct checker *chk;
    size_t limit;
    size_t max_objs[2]; /* -u / -ur: objects per batch by kind; 0: no cap */
    size_t json_cap;    /* where the batch being built closes (see BATCH_GZ_TARGET) */
    int level;
    struct batch_builder bb;
    struct deflater *w;
    struct buf obj; /* the minified object waiting to be placed */
    enum gobj_kind obj_kind;
    bool have_obj;
    bool ended;
    struct buf why, stripped;
    struct strlist ptypes; /* the partial datasets, unique, in order */
    bool summary_merged;
    struct plan_stats st;
};

static void add_ptype(struct planner *p, const char *t)
{
    if (*t)
        strlist_add_unique(&p->ptypes, t, strlen(t));
}

/* The summary's types come first; a directory's are known at open. */
static void merge_summary(struct planner *p)
{
    if (p->summary_merged)
        return;
    struct strlist dropped = p->ptypes;
    p->ptypes = (struct strlist)STRLIST_INIT;
    for (size_t i = 0; i < source_partial_count(p->src); i++)
        add_ptype(p, source_partial_type(p->src, i));
    for (size_t i = 0; i < dropped.n; i++)
        add_ptype(p, dropped.v[i]);
    strlist_free(&dropped);
    p->summary_merged = true;
}

struct planner *planner_new(struct source *src, size_t batch_bytes)
{
    struct planner *p = xcalloc(1, sizeof *p);
    p->ptypes = (struct strlist)STRLIST_INIT;
    p->obj = p->why = p->stripped = (struct buf)BUF_INIT;
    p->src = src;
    p->limit = batch_bytes;
    p->json_cap = BATCH_GZ_TARGET * 4; /* until a batch shows the ratio */
    p->level = BATCH_GZIP_LEVEL;
    p->chk = checker_new();
    /* Without the thread (it could not start), the builder compresses here. */
    if ((p->w = deflater_new()))
        bb_use_deflater(&p->bb, p->w);
    return p;
}

void planner_free(struct planner *p)
{
    if (!p)
        return;
    bb_discard(&p->bb);
    deflater_free(p->w);
    checker_free(p->chk);
    buf_free(&p->obj);
    buf_free(&p->why);
    buf_free(&p->stripped);
    strlist_free(&p->ptypes);
    free(p);
}

void planner_drop(struct planner *p, const char *why, const char *type)
{
    p->st.dropped++;
    enum log_level lvl = p->st.dropped <= MAX_DROP_WARNINGS ? LOG_WARN : LOG_DEBUG;
    log_msg(lvl, "not sent: %s", why);
    if (p->st.dropped == MAX_DROP_WARNINGS)
        log_warn("more objects are not sent; the summary counts them (--verbose lists them)");
    if (type && *type) {
        add_ptype(p, type);
        log_debug("%s is marked a partial dataset: JupiterOne keeps what it has of it", type);
    }
}

static void log_body(const struct source_obj *o)
{
    if (log_enabled(LOG_DEBUG))
        log_debug("the object: %.*s%s",
                  (int)(o->len > VERBOSE_BODY_MAX ? VERBOSE_BODY_MAX : o->len), o->text,
                  o->len > VERBOSE_BODY_MAX ? "..." : "");
}

static void drop_obj(struct planner *p, const struct source_obj *o, const struct gobj *g,
                     const char *why)
{
    struct buf t = BUF_INIT;
    gstr_decode(&g->type, &t);
    log_body(o);
    planner_drop(p, why, t.p);
    buf_free(&t);
}

/* Reads the next object into p->obj (minified, stripped if it must be).
 * 1: have one; 0: end of input; -1: error. */
static int next_object(struct planner *p, struct err *e)
{
    for (;;) {
        struct source_obj o;
        int r = source_next(p->src, &o, e);
        if (r <= 0)
            return r;
        struct gobj g;
        enum check_verdict v = checker_check(p->chk, &o, &g, &p->why);
        if (v == CHECK_FATAL) {
            log_body(&o);
            return err_set(e, ERR_FAIL,
                           "%s. Without a usable _type it cannot be left out safely "
                           "(JupiterOne could not be told to keep its old copy)",
                           p->why.len ? p->why.p : "an invalid object");
        }
        if (v == CHECK_DROP) {
            drop_obj(p, &o, &g, p->why.len ? p->why.p : "an invalid object");
            continue;
        }
        buf_reset(&p->obj);
        if (o.minified)
            buf_append(&p->obj, o.text, o.len);
        else
            batch_minify(o.text, o.len, &p->obj);
        size_t room = p->limit - batch_overhead(o.kind);
        if (p->obj.len > room && g.has_raw_data) {
            buf_reset(&p->stripped);
            if (batch_strip_raw_data(p->obj.p, p->obj.len, &p->stripped) < 0)
                return err_set(
                    e, ERR_FAIL,
                    "internal error: an object that was checked could not be read again");
            buf_reset(&p->why);
            checker_where(&o, &g, &p->why);
            if (p->stripped.len <= room)
                log_warn("%s is %zu bytes of JSON, more than a batch may hold (--batch-bytes "
                         "%zu); sending it without its _rawData (%zu bytes)",
                         p->why.p, p->obj.len, p->limit, p->stripped.len);
            struct buf tmp = p->obj;
            p->obj = p->stripped;
            p->stripped = tmp;
            p->st.stripped++;
        }
        if (p->obj.len > room) {
            buf_reset(&p->why);
            checker_where(&o, &g, &p->why);
            buf_printf(&p->why,
                       ": too large to send: %zu bytes of JSON%s, more than a batch may hold "
                       "(--batch-bytes %zu)",
                       p->obj.len, g.has_raw_data ? " even without its _rawData" : "", p->limit);
            if (g.has_raw_data)
                p->st.stripped--;
            p->st.too_large++;
            drop_obj(p, &o, &g, p->why.p);
            continue;
        }
        p->obj_kind = o.kind;
        return 1;
    }
}

static int close_batch(struct planner *p, struct batch **out, struct err *e)
{
    struct batch *b = bb_finish(&p->bb, e);
    if (!b)
        return -1;
    b->seq = (unsigned long)(p->st.batches[0] + p->st.batches[1] + 1);
    p->st.batches[b->kind]++;
    p->st.json_bytes += b->json_len;
    p->st.gz_bytes += b->gz.len;
    if (b->gz.len)
        p->json_cap = (size_t)((double)BATCH_GZ_TARGET * (double)b->json_len / (double)b->gz.len);
    if (p->json_cap < BATCH_GZ_TARGET)
        p->json_cap = BATCH_GZ_TARGET;
    *out = b;
    return 1;
}

int planner_next(struct planner *p, struct batch **out, struct err *e)
{
    return planner_step(p, out, SIZE_MAX, e);
}

int planner_step(struct planner *p, struct batch **out, size_t budget, struct err *e)
{
    *out = NULL;
    if (p->ended)
        return 0;
    size_t used = 0;
    for (;;) {
        if (used >= budget)
            return 2;
        if (!p->have_obj) {
            int r = next_object(p, e);
            if (r < 0)
                return -1;
            if (r == 0) {
                merge_summary(p);
                if (bb_active(&p->bb))
                    return close_batch(p, out, e);
                p->ended = true;
                return 0;
            }
            p->have_obj = true;
        }
        if (bb_active(&p->bb) &&
            (p->bb.b->kind != p->obj_kind ||
             (p->max_objs[p->obj_kind] && bb_objects(&p->bb) >= p->max_objs[p->obj_kind]) ||
             bb_size_with(&p->bb, p->obj.len) > p->limit ||
             bb_size_with(&p->bb, p->obj.len) > p->json_cap))
            return close_batch(p, out, e);
        if (!bb_active(&p->bb) && bb_start(&p->bb, p->obj_kind, p->level, e) < 0)
            return -1;
        if (bb_add(&p->bb, p->obj.p, p->obj.len, e) < 0)
            return -1;
        used += p->obj.len;
        p->st.objects[p->obj_kind]++;
        p->have_obj = false;
    }
}

void planner_set_max_objects(struct planner *p, size_t entities, size_t relationships)
{
    p->max_objs[GOBJ_ENTITY] = entities;
    p->max_objs[GOBJ_RELATIONSHIP] = relationships;
}

void planner_set_level(struct planner *p, int level)
{
    p->level = level < 0 ? 0 : level > BATCH_GZIP_MAX ? BATCH_GZIP_MAX : level;
}

size_t planner_partial_count(const struct planner *p)
{
    return p->ptypes.n;
}

const char *planner_partial_type(const struct planner *p, size_t i)
{
    return i < p->ptypes.n ? p->ptypes.v[i] : NULL;
}

void planner_finalize_body(const struct planner *p, struct buf *out)
{
    struct jw w;
    buf_reset(out);
    jw_init(&w, out);
    jw_obj(&w);
    jw_key(&w, "partialDatasets");
    jw_obj(&w);
    jw_key(&w, "types");
    jw_arr(&w);
    for (size_t i = 0; i < p->ptypes.n; i++)
        jw_str(&w, p->ptypes.v[i]);
    jw_arr_end(&w);
    jw_obj_end(&w);
    jw_obj_end(&w);
}

const struct plan_stats *planner_stats(const struct planner *p)
{
    return &p->st;
}

const struct source *planner_source(const struct planner *p)
{
    return p->src;
}

const struct check_stats *planner_check_stats(const struct planner *p)
{
    return checker_stats(p->chk);
}

size_t planner_batch_bytes(const struct planner *p)
{
    return p->limit;
}
