/* batch.c — see batch.h. */
#include "batch.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "deflater.h"
#include "json.h"

size_t batch_overhead(enum gobj_kind kind)
{
    return strlen(batch_member(kind)) + 7; /* {"X":[ ]} */
}

const char *batch_member(enum gobj_kind kind)
{
    return kind == GOBJ_ENTITY ? "entities" : "relationships";
}

void batch_free(struct batch *b)
{
    if (!b)
        return;
    buf_free(&b->gz);
    free(b);
}

/* ---- building -------------------------------------------------------------- */

#define CHUNK ((size_t)32 << 10) /* JSON handed to the deflater at a time */

static int run(struct batch_builder *bb, const char *p, size_t n, int flush, struct err *e)
{
    if (deflater_run(&bb->z, &bb->b->gz, p, n, flush) < 0)
        return err_set(e, ERR_FAIL, "zlib failed compressing a batch");
    return 0;
}

/* Hands the chunk being filled to the deflater; the other one, whose job
 * the post waited for, is filled next. */
static int hand_over(struct batch_builder *bb, int flush, struct err *e)
{
    struct buf *c = &bb->chunk[bb->cur];
    if (deflater_post(bb->w, &bb->z, &bb->b->gz, c->p, c->len, flush) < 0)
        return err_set(e, ERR_FAIL, "zlib failed compressing a batch");
    bb->cur ^= 1;
    buf_reset(&bb->chunk[bb->cur]);
    return 0;
}

static int feed(struct batch_builder *bb, const char *p, size_t n, struct err *e)
{
    if (!bb->w)
        return run(bb, p, n, Z_NO_FLUSH, e);
    struct buf *c = &bb->chunk[bb->cur];
    buf_append(c, p, n);
    return c->len >= CHUNK ? hand_over(bb, Z_NO_FLUSH, e) : 0;
}

void bb_use_deflater(struct batch_builder *bb, struct deflater *w)
{
    bb->w = w;
}

int bb_start(struct batch_builder *bb, enum gobj_kind kind, int level, struct err *e)
{
    bb->active = false;
    buf_reset(&bb->chunk[bb->cur]);
    bb->b = xcalloc(1, sizeof *bb->b);
    bb->b->gz = (struct buf)BUF_INIT;
    bb->b->kind = kind;
    /* Room for a batch of BATCH_GZ_TARGET up front: one mapping a batch,
     * not a chain of doublings, each a mremap (and a TLB flush). Pages not
     * written to are never resident. */
    buf_reserve(&bb->b->gz, BATCH_GZ_TARGET + BATCH_GZ_TARGET / 2);
    int zr;
    if (bb->z_ready) {
        zr = deflateReset(&bb->z);
        if (zr == Z_OK)
            zr = deflateParams(&bb->z, level, Z_DEFAULT_STRATEGY);
    } else {
        memset(&bb->z, 0, sizeof bb->z);
        zr = deflateInit2(&bb->z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
        bb->z_ready = zr == Z_OK;
    }
    if (zr != Z_OK) {
        bb_discard(bb);
        err_set(e, ERR_FAIL, "cannot initialise zlib");
        return -1;
    }
    bb->active = true;
    struct buf head = BUF_INIT;
    buf_printf(&head, "{\"%s\":[", batch_member(kind));
    int rc = feed(bb, head.p, head.len, e);
    if (rc == 0)
        bb->b->json_len = head.len;
    buf_free(&head);
    if (rc < 0)
        bb_discard(bb);
    return rc;
}

bool bb_active(const struct batch_builder *bb)
{
    return bb->active;
}

size_t bb_objects(const struct batch_builder *bb)
{
    return bb->active ? bb->b->nobj : 0;
}

size_t bb_size_with(const struct batch_builder *bb, size_t n)
{
    return bb->b->json_len + (bb->b->nobj ? 1 : 0) + n + 2;
}

int bb_add(struct batch_builder *bb, const char *obj, size_t n, struct err *e)
{
    if (bb->b->nobj && feed(bb, ",", 1, e) < 0)
        return -1;
    if (feed(bb, obj, n, e) < 0)
        return -1;
    bb->b->json_len += n + (bb->b->nobj ? 1 : 0);
    bb->b->nobj++;
    return 0;
}

struct batch *bb_finish(struct batch_builder *bb, struct err *e)
{
    int rc;
    if (!bb->w) {
        rc = run(bb, "]}", 2, Z_FINISH, e);
    } else {
        rc = feed(bb, "]}", 2, e);
        if (rc == 0)
            rc = hand_over(bb, Z_FINISH, e);
        if (rc == 0 && deflater_wait(bb->w) < 0)
            rc = err_set(e, ERR_FAIL, "zlib failed compressing a batch");
    }
    if (rc < 0) {
        bb_discard(bb);
        return NULL;
    }
    bb->b->json_len += 2;
    struct batch *b = bb->b;
    b->gz.p = xrealloc(b->gz.p, b->gz.len + 1); /* it waits a while: give back the slack */
    b->gz.cap = b->gz.len + 1;
    bb->b = NULL;
    bb->active = false;
    return b;
}

void bb_discard(struct batch_builder *bb)
{
    if (bb->w)
        deflater_wait(bb->w); /* a job may still hold z and the batch */
    buf_free(&bb->chunk[0]);
    buf_free(&bb->chunk[1]);
    if (bb->z_ready)
        deflateEnd(&bb->z);
    bb->z_ready = false;
    batch_free(bb->b);
    bb->b = NULL;
    bb->active = false;
}

/* ---- reading a batch back ------------------------------------------------------ */

int batch_inflate(const struct batch *b, struct buf *out, struct err *e)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 16) != Z_OK)
        return err_set(e, ERR_FAIL, "cannot initialise zlib");
    buf_reserve(out, b->json_len + 1);
    z.next_in = (Bytef *)(uintptr_t)b->gz.p;
    z.avail_in = (uInt)b->gz.len;
    z.next_out = (Bytef *)out->p + out->len;
    z.avail_out = (uInt)(out->cap - out->len - 1);
    int rc = inflate(&z, Z_FINISH);
    size_t got = (size_t)((char *)z.next_out - (out->p + out->len));
    inflateEnd(&z);
    if (rc != Z_STREAM_END || got != b->json_len)
        return err_set(e, ERR_FAIL, "a batch does not decompress to what was compressed");
    out->len += got;
    out->p[out->len] = '\0';
    return 0;
}

/* Offsets of the objects in a batch's JSON text. */
struct spans {
    const char **s;
    size_t *n;
    size_t cnt;
};

static int object_spans(const struct batch *b, const struct buf *json, struct spans *sp,
                        struct err *e)
{
    size_t hl = batch_overhead(b->kind) - 2;
    const char *p = json->p + hl, *end = json->p + json->len - 2;
    sp->s = xcalloc(b->nobj ? b->nobj : 1, sizeof *sp->s);
    sp->n = xcalloc(b->nobj ? b->nobj : 1, sizeof *sp->n);
    sp->cnt = 0;
    while (p < end && sp->cnt < b->nobj) {
        const char *q = json_skip(p, end, NULL);
        if (!q)
            break;
        sp->s[sp->cnt] = p;
        sp->n[sp->cnt] = (size_t)(q - p);
        sp->cnt++;
        p = q < end && *q == ',' ? q + 1 : q;
    }
    if (sp->cnt != b->nobj || p != end)
        return err_set(e, ERR_FAIL, "a batch does not hold the objects it was built from");
    return 0;
}

static struct batch *build(enum gobj_kind kind, const struct spans *sp, size_t from, size_t to,
                           struct err *e)
{
    struct batch_builder bb;
    memset(&bb, 0, sizeof bb);
    if (bb_start(&bb, kind, BATCH_GZIP_LEVEL, e) < 0)
        return NULL;
    for (size_t i = from; i < to; i++)
        if (bb_add(&bb, sp->s[i], sp->n[i], e) < 0) {
            bb_discard(&bb);
            return NULL;
        }
    struct batch *b = bb_finish(&bb, e);
    bb_discard(&bb); /* the zlib stream; b is handed over */
    return b;
}

int batch_split(const struct batch *b, struct batch **first, struct batch **second, struct err *e)
{
    struct buf json = BUF_INIT;
    struct spans sp = {NULL, NULL, 0};
    int rc = -1;
    *first = *second = NULL;
    if (b->nobj < 2) {
        err_set(e, ERR_FAIL, "cannot split a batch of one object");
    } else if (batch_inflate(b, &json, e) == 0 && object_spans(b, &json, &sp, e) == 0) {
        size_t half = b->nobj / 2;
        *first = build(b->kind, &sp, 0, half, e);
        *second = *first ? build(b->kind, &sp, half, b->nobj, e) : NULL;
        if (*first && *second)
            rc = 0;
        else {
            batch_free(*first);
            *first = NULL;
        }
    }
    free(sp.s);
    free(sp.n);
    buf_free(&json);
    return rc;
}

int batch_strip_lone(const struct batch *b, struct batch **out, struct buf *key, struct buf *type,
                     struct err *e)
{
    struct buf json = BUF_INIT, stripped = BUF_INIT;
    struct spans sp = {NULL, NULL, 0};
    int rc = -1;
    *out = NULL;
    if (b->nobj != 1) {
        err_set(e, ERR_FAIL, "not a batch of one object");
        goto done;
    }
    if (batch_inflate(b, &json, e) < 0 || object_spans(b, &json, &sp, e) < 0)
        goto done;
    struct gobj g;
    gobj_check(sp.s[0], sp.n[0], b->kind, &g);
    gstr_decode(&g.key, key);
    gstr_decode(&g.type, type);
    rc = 0;
    if (!g.has_raw_data)
        goto done;
    if (batch_strip_raw_data(sp.s[0], sp.n[0], &stripped) < 0) {
        rc = err_set(e, ERR_FAIL, "a batch's object is not a JSON object");
        goto done;
    }
    struct spans one = {NULL, NULL, 1};
    const char *s0 = stripped.p;
    size_t n0 = stripped.len;
    one.s = &s0;
    one.n = &n0;
    *out = build(b->kind, &one, 0, 1, e);
    if (!*out)
        rc = -1;
    else
        (*out)->stripped = true;
done:
    free(sp.s);
    free(sp.n);
    buf_free(&json);
    buf_free(&stripped);
    return rc;
}

/* ---- text ------------------------------------------------------------------ */

/* The byte after the closing quote of the string whose content starts at
 * p (the text is valid JSON, so there is one). */
static const char *string_end(const char *p, const char *end)
{
    const char *start = p;
    for (;;) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        if (!q)
            return end;
        const char *k = q;
        while (k > start && k[-1] == '\\')
            k--;
        if ((q - k) % 2 == 0)
            return q + 1;
        p = start = q + 1;
    }
}

void batch_minify(const char *p, size_t n, struct buf *out)
{
    buf_reserve(out, n + 1);
    char *o = out->p + out->len;
    const char *end = p + n;
    while (p < end) {
        char c = *p;
        if (c == '"') {
            const char *q = string_end(p + 1, end);
            memcpy(o, p, (size_t)(q - p));
            o += q - p;
            p = q;
        } else {
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
                *o++ = c;
            p++;
        }
    }
    out->len = (size_t)(o - out->p);
    out->p[out->len] = '\0';
}

struct strip_ctx {
    struct buf *out;
    bool any;
};

static int strip_member(void *ctx, const char *k, size_t kl, const char *v, size_t vl)
{
    struct strip_ctx *s = ctx;
    if (json_key_is(k, kl, "_rawData"))
        return 0;
    if (s->any)
        buf_putc(s->out, ',');
    buf_putc(s->out, '"');
    buf_append(s->out, k, kl);
    buf_puts(s->out, "\":");
    buf_append(s->out, v, vl);
    s->any = true;
    return 0;
}

int batch_strip_raw_data(const char *p, size_t n, struct buf *out)
{
    struct strip_ctx s = {out, false};
    buf_putc(out, '{');
    if (!json_each_member(p, p + n, strip_member, &s, NULL))
        return -1;
    buf_putc(out, '}');
    return 0;
}
