/* check.c — see check.h.
 *
 * The key set. Of each _key's SipHash-128 digest (random key per run), 12
 * bits pick one of 4,096 segments and 55 other bits are stored there,
 * beside one bit that says "an entity's key": 7 bytes a key, 67 bits
 * compared in all. Within a segment: open addressing, linear probing from
 * a home slot taken from the stored bits' top (so a segment can be rehashed
 * from what it holds); a stored 0 is an empty slot.
 *
 * Memory is what this file is about: the key set is most of the uploader's
 * own peak, beside a floor of ~10 MB that is libcurl and OpenSSL. A
 * segment grows by an eighth when it is 85% full, on its own, so the set
 * is always 75-85% full (not 40-80%, as a table that doubles), and growing
 * holds two copies of one small segment, never of the whole set (a single
 * table doubling from 2^17 to 2^18 slots of 16 bytes held 6 MB for a
 * moment, a third of the uploader's peak). Segments stay small (~400
 * bytes at 200,000 keys), so a probe stays within a cache line or two
 * (fuller, the probes of new keys grew long enough to show in a profile).
 * 200,000 keys take about 1.8 MB.
 */
#include "check.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "log.h"
#include "siphash.h"

#define MAX_WARNINGS 10
#define SEGMENT_BITS 12
#define SEGMENTS (1u << SEGMENT_BITS)
#define SEGMENT_MIN 8 /* slots */
#define SLOT 7        /* bytes */
#define SLOT_MASK (((uint64_t)1 << (8 * SLOT)) - 1)

struct digest {
    uint32_t seg; /* the segment */
    uint64_t fp;  /* what is stored: 55 bits, << 1; never 0 */
};

struct segment {
    unsigned char *t; /* cap slots of SLOT bytes, little-endian */
    uint32_t cap, n;
};

struct checker {
    struct siphash_key sk;
    struct segment *seg; /* SEGMENTS of them */
    struct check_stats st;
    struct buf scratch;
};

/* Slots are read and written 8 bytes at a time (each table has one byte
 * of slack at its end), masked to the slot's 7. */
static uint64_t slot_get(const struct segment *g, uint32_t i)
{
    const unsigned char *p = g->t + (size_t)i * SLOT;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v & SLOT_MASK;
#else
    uint64_t v = 0;
    for (int k = SLOT - 1; k >= 0; k--)
        v = v << 8 | p[k];
    return v;
#endif
}

static void slot_put(struct segment *g, uint32_t i, uint64_t v)
{
    unsigned char *p = g->t + (size_t)i * SLOT;
    for (int k = 0; k < SLOT; k++, v >>= 8)
        p[k] = (unsigned char)v;
}

static unsigned char *table(uint32_t cap)
{
    return xcalloc((size_t)cap * SLOT + 1, 1);
}

struct checker *checker_new(void)
{
    struct checker *c = xcalloc(1, sizeof *c);
    c->scratch = (struct buf)BUF_INIT;
    c->seg = xcalloc(SEGMENTS, sizeof *c->seg);
    for (size_t i = 0; i < SEGMENTS; i++) {
        c->seg[i].cap = SEGMENT_MIN;
        c->seg[i].t = table(SEGMENT_MIN);
    }
    siphash_random_key(&c->sk);
    return c;
}

void checker_free(struct checker *c)
{
    if (!c)
        return;
    for (size_t i = 0; c->seg && i < SEGMENTS; i++)
        free(c->seg[i].t);
    free(c->seg);
    buf_free(&c->scratch);
    free(c);
}

const struct check_stats *checker_stats(const struct checker *c)
{
    return &c->st;
}

static struct digest digest(struct checker *c, const struct gstr *s)
{
    uint64_t h[2];
    const char *p = s->p;
    size_t n = s->n;
    if (s->esc) {
        buf_reset(&c->scratch);
        if (gstr_decode(s, &c->scratch) == 0) {
            p = c->scratch.p;
            n = c->scratch.len;
        }
    }
    siphash128(&c->sk, p, n, h);
    struct digest d = {(uint32_t)(h[0] >> (64 - SEGMENT_BITS)), h[1] & SLOT_MASK & ~(uint64_t)1};
    if (d.fp == 0)
        d.fp = 2;
    return d;
}

/* The slot of fp in g: where it is, or the empty slot where it would go.
 * The home slot is (fp's top 32 bits) * cap / 2^32: capacities need not be
 * powers of 2. */
static uint32_t find(const struct segment *g, uint64_t fp)
{
    uint32_t i = (uint32_t)(((fp >> (8 * SLOT - 32)) * g->cap) >> 32);
    for (;;) {
        uint64_t v = slot_get(g, i);
        if (v == 0 || (v & ~(uint64_t)1) == fp)
            return i;
        if (++i == g->cap)
            i = 0;
    }
}

static void grow(struct segment *g)
{
    uint32_t ocap = g->cap, ncap = ocap + ocap / 8;
    if (ncap < ocap)
        oom_die(0); /* a segment past 2^32 slots: a size that overflows (alloc.h) */
    unsigned char *nt = table(ncap), *old = g->t;
    struct segment o = {old, ocap, 0};
    g->t = nt;
    g->cap = ncap;
    for (uint32_t i = 0; i < ocap; i++) {
        uint64_t v = slot_get(&o, i);
        if (v)
            slot_put(g, find(g, v & ~(uint64_t)1), v);
    }
    free(old);
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
    log_msg(lvl, "%s %s: %s", what, w.p, detail);
    if (n == MAX_WARNINGS)
        log_warn("more %s warnings are counted in the summary (--verbose lists them)", what);
    buf_free(&w);
}

static void check_end(struct checker *c, const struct source_obj *o, const struct gobj *g,
                      const struct gstr *end, const char *which)
{
    struct digest d = digest(c, end);
    const struct segment *sg = &c->seg[d.seg];
    if (slot_get(sg, find(sg, d.fp)) & 1)
        return;
    c->st.dangling++;
    struct buf msg = BUF_INIT;
    buf_printf(&msg, "%s \"", which);
    gstr_display(end, 200, &msg);
    buf_puts(&msg, "\" is not the _key of any entity in this input");
    warn_limited(c->st.dangling, "dangling relationship", o, g, msg.p);
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
        /* Left out, its _type is declared partial so JupiterOne keeps its
         * old copy; that needs the _type (a missing _key does not matter). */
        if (!g->type.p)
            return CHECK_FATAL;
        return CHECK_DROP;
    }
    struct digest d = digest(c, &g->key);
    struct segment *sg = &c->seg[d.seg];
    if (((uint64_t)sg->n + 1) * 20 > (uint64_t)sg->cap * 17)
        grow(sg);
    uint32_t at = find(sg, d.fp);
    uint64_t v = slot_get(sg, at);
    if (v) {
        c->st.duplicates++;
        checker_where(o, g, why);
        buf_printf(why, ": this _key was already used by an earlier %s",
                   (v & 1) ? "entity" : "relationship");
        return CHECK_DROP;
    }
    slot_put(sg, at, d.fp | (o->kind == GOBJ_ENTITY ? 1u : 0u));
    sg->n++;
    if (o->kind == GOBJ_RELATIONSHIP) {
        if (!gobj_known_relationship_class(&g->cls)) {
            c->st.unknown_class++;
            struct buf msg = BUF_INIT;
            buf_puts(&msg, "_class \"");
            gstr_display(&g->cls, 64, &msg);
            buf_puts(&msg, "\" is not a relationship class of the JupiterOne data model");
            warn_limited(c->st.unknown_class, "relationship class", o, g, msg.p);
            buf_free(&msg);
        }
        if (g->from.p && g->to.p) {
            check_end(c, o, g, &g->from, "_fromEntityKey");
            check_end(c, o, g, &g->to, "_toEntityKey");
        }
    }
    return CHECK_OK;
}
