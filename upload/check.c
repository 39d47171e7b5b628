/* check.c — see check.h. The key set is open addressing (linear probing)
 * over pairs of 64-bit words; the low bit of the second word says "an
 * entity's key", the rest is the digest (127 bits). An all-zero slot is
 * empty. The table fills to 4/5 before it doubles: 200,000 keys fit in
 * 2^18 slots (4 MB), and at that load a probe still stays within a few
 * cache lines. */
#include "check.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "log.h"
#include "siphash.h"

#define MAX_WARNINGS 10

struct slot {
    uint64_t a, b;
};

struct checker {
    struct siphash_key sk;
    struct slot *t;
    size_t cap, n;
    struct check_stats st;
    struct buf scratch;
};

struct checker *checker_new(struct err *e)
{
    struct checker *c = calloc(1, sizeof *c);
    if (c) {
        c->cap = 1024;
        c->t = calloc(c->cap, sizeof *c->t);
    }
    if (!c || !c->t) {
        free(c);
        err_set(e, ERR_FAIL, "out of memory");
        return NULL;
    }
    siphash_random_key(&c->sk);
    return c;
}

void checker_free(struct checker *c)
{
    if (!c)
        return;
    free(c->t);
    buf_free(&c->scratch);
    free(c);
}

const struct check_stats *checker_stats(const struct checker *c)
{
    return &c->st;
}

static struct slot digest(struct checker *c, const struct gstr *s)
{
    uint64_t h[2];
    const char *p = s->p;
    size_t n = s->n;
    if (s->esc) {
        buf_reset(&c->scratch);
        if (gstr_decode(s, &c->scratch) == 0) {
            p = c->scratch.p ? c->scratch.p : "";
            n = c->scratch.len;
        }
    }
    siphash128(&c->sk, p, n, h);
    struct slot sl = {h[0], h[1] & ~(uint64_t)1};
    if (sl.a == 0 && sl.b == 0)
        sl.a = 1;
    return sl;
}

static struct slot *find(struct checker *c, struct slot d)
{
    size_t mask = c->cap - 1;
    for (size_t i = d.a & mask;; i = (i + 1) & mask) {
        struct slot *s = &c->t[i];
        if ((s->a == 0 && s->b == 0) || (s->a == d.a && (s->b & ~(uint64_t)1) == d.b))
            return s;
    }
}

/* A zeroed table. Lookups are random accesses, so a large table is put on
 * huge pages where the kernel offers them (fewer TLB misses). */
static struct slot *table(size_t cap)
{
    size_t bytes = cap * sizeof(struct slot), huge = (size_t)2 << 20;
    if (bytes < huge)
        return calloc(cap, sizeof(struct slot));
    void *p = NULL;
    if (posix_memalign(&p, huge, bytes) != 0)
        return NULL;
    madvise(p, bytes, MADV_HUGEPAGE);
    memset(p, 0, bytes);
    return p;
}

static int grow(struct checker *c)
{
    size_t ncap = c->cap * 2;
    struct slot *nt = table(ncap), *old = c->t;
    if (!nt)
        return -1;
    size_t ocap = c->cap;
    c->t = nt;
    c->cap = ncap;
    for (size_t i = 0; i < ocap; i++)
        if (old[i].a || old[i].b) {
            struct slot d = {old[i].a, old[i].b & ~(uint64_t)1};
            *find(c, d) = old[i];
        }
    free(old);
    return 0;
}

void checker_where(const struct source_obj *o, const struct gobj *g, struct buf *out)
{
    if (o->file && strcmp(o->file, "stdin") == 0)
        buf_printf(out, "stdin:%llu", (unsigned long long)o->index);
    else
        buf_printf(out, "%s %s[%llu]", o->file ? o->file : "?",
                   o->kind == GOBJ_ENTITY ? "entities" : "relationships",
                   (unsigned long long)o->index);
    if (g->key.p) {
        buf_puts(out, " (_key \"");
        gstr_display(&g->key, 200, out);
        buf_puts(out, "\")");
    }
}

static void warn_limited(uint64_t n, const char *what, const struct source_obj *o,
                         const struct gobj *g, const char *detail)
{
    struct buf w = BUF_INIT;
    checker_where(o, g, &w);
    enum log_level lvl = n <= MAX_WARNINGS ? LOG_WARN : LOG_DEBUG;
    log_msg(lvl, "%s %s: %s", what, w.p ? w.p : "", detail);
    if (n == MAX_WARNINGS)
        log_warn("more %s warnings are counted in the summary (--verbose lists them)", what);
    buf_free(&w);
}

static void check_end(struct checker *c, const struct source_obj *o, const struct gobj *g,
                      const struct gstr *end, const char *which)
{
    struct slot d = digest(c, end);
    struct slot *s = find(c, d);
    if ((s->a || s->b) && (s->b & 1))
        return;
    c->st.dangling++;
    struct buf msg = BUF_INIT;
    buf_printf(&msg, "%s \"", which);
    gstr_display(end, 200, &msg);
    buf_puts(&msg, "\" is not the _key of any entity in this input");
    warn_limited(c->st.dangling, "dangling relationship", o, g, msg.p ? msg.p : "");
    buf_free(&msg);
}

enum check_verdict checker_check(struct checker *c, const struct source_obj *o, struct gobj *g,
                                 struct buf *why)
{
    buf_reset(why);
    if (gobj_check(o->text, o->len, o->kind, g) < 0) {
        c->st.invalid++;
        checker_where(o, g, why);
        buf_printf(why, ": %s", g->problem);
        if (!g->type.p || !g->key.p)
            return CHECK_FATAL;
        return CHECK_DROP;
    }
    if ((c->n + 1) * 5 > c->cap * 4 && grow(c) < 0) {
        buf_puts(why, "out of memory");
        return CHECK_FATAL;
    }
    struct slot d = digest(c, &g->key);
    struct slot *s = find(c, d);
    if (s->a || s->b) {
        c->st.duplicates++;
        checker_where(o, g, why);
        buf_printf(why, ": this _key was already used by an earlier %s",
                   (s->b & 1) ? "entity" : "relationship");
        return CHECK_DROP;
    }
    s->a = d.a;
    s->b = d.b | (o->kind == GOBJ_ENTITY ? 1u : 0u);
    c->n++;
    if (o->kind == GOBJ_RELATIONSHIP) {
        if (!gobj_known_relationship_class(&g->cls)) {
            c->st.unknown_class++;
            struct buf msg = BUF_INIT;
            buf_puts(&msg, "_class \"");
            gstr_display(&g->cls, 64, &msg);
            buf_puts(&msg, "\" is not a relationship class of the JupiterOne data model");
            warn_limited(c->st.unknown_class, "relationship class", o, g, msg.p ? msg.p : "");
            buf_free(&msg);
        }
        if (g->from.p && g->to.p) {
            check_end(c, o, g, &g->from, "_fromEntityKey");
            check_end(c, o, g, &g->to, "_toEntityKey");
        }
    }
    return CHECK_OK;
}
