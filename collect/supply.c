/*
 * supply.c — see supply.h.
 *
 * A batch is built as text: its members are JSON strings quoted with
 * json_quote (names and versions come from package documents, so they are
 * escaped like any untrusted text, though pkgscan only passes plausible
 * versions). A token list page is small (a person's tokens) and read with
 * jdoc, bounded by the caller.
 */
#include "supply.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "json.h"
#include "sha512.h"

int supply_batcher_init(struct supply_batcher *b, size_t max, struct err *e)
{
    memset(b, 0, sizeof *b);
    b->max = max ? max : SUPPLY_BATCH_BYTES;
    const char *env = max ? NULL : getenv("J1NPM_ADVISORY_BATCH_BYTES");
    if (env && *env) {
        char *endp = NULL;
        unsigned long long v = strtoull(env, &endp, 10);
        if (*endp || v < SUPPLY_BATCH_MIN || v > ((size_t)64 << 20))
            return err_set(e, ERR_USAGE,
                           "J1NPM_ADVISORY_BATCH_BYTES must be a number of bytes from %zu to "
                           "%zu",
                           SUPPLY_BATCH_MIN, (size_t)64 << 20);
        b->max = (size_t)v;
    }
    return 0;
}

void supply_batcher_close(struct supply_batcher *b)
{
    if (!b->cur_packages)
        return;
    buf_putc(&b->cur, '}');
    strlist_add(&b->ready, b->cur.p, b->cur.len);
    buf_reset(&b->cur);
    b->cur_packages = 0;
}

void supply_batcher_add(struct supply_batcher *b, const char *name, const char *const *versions,
                        size_t n)
{
    if (n == 0)
        return;
    struct buf m = BUF_INIT; /* "name":["v",...] */
    json_quote(&m, name, strlen(name));
    buf_puts(&m, ":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_putc(&m, ',');
        json_quote(&m, versions[i], strlen(versions[i]));
    }
    buf_putc(&m, ']');
    /* "{" or "," before it, "}" after: 2 bytes */
    if (b->cur_packages && b->cur.len + m.len + 2 > b->max)
        supply_batcher_close(b);
    buf_putc(&b->cur, b->cur_packages ? ',' : '{');
    buf_append(&b->cur, m.p, m.len);
    b->cur_packages++;
    buf_free(&m);
}

void supply_batcher_free(struct supply_batcher *b)
{
    buf_free(&b->cur);
    strlist_free(&b->ready);
    memset(b, 0, sizeof *b);
}

int supply_gzip(const char *p, size_t n, struct buf *out, struct err *e)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return err_set(e, ERR_FAIL, "cannot start gzip compression");
    buf_reset(out);
    uLong bound = deflateBound(&z, (uLong)n) + 32;
    buf_reserve(out, (size_t)bound);
    z.next_in = (Bytef *)(uintptr_t)p;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out->p;
    z.avail_out = (uInt)bound;
    int rc = deflate(&z, Z_FINISH);
    size_t got = (size_t)bound - z.avail_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END)
        return err_set(e, ERR_FAIL, "gzip compression failed");
    out->len = got;
    return 0;
}

void supply_token_key(const struct secret *token, char out[129])
{
    struct sha512 s;
    sha512_init(&s);
    sha512_update(&s, token->value, token->len);
    sha512_hex(&s, out);
}

void supply_tokens_page_free(struct supply_tokens_page *pg)
{
    buf_free(&pg->next);
    memset(pg, 0, sizeof *pg);
}

static bool printable(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return false;
    return true;
}

/* urls.next as a path on this registry, into pg->next; left empty when it
 * names anything else. */
static void take_next(struct supply_tokens_page *pg, const char *v, size_t n, const char *registry)
{
    static const char list[] = "/-/npm/v1/tokens";
    size_t rl = strlen(registry);
    if (!printable(v, n))
        return;
    if (rl && n > rl && memcmp(v, registry, rl) == 0 && registry[rl - 1] == '/') {
        v += rl - 1; /* keep the '/' */
        n -= rl - 1;
    }
    if (n < sizeof list - 1 || memcmp(v, list, sizeof list - 1) != 0)
        return;
    if (n > sizeof list - 1 && v[sizeof list - 1] != '?' && v[sizeof list - 1] != '/')
        return;
    buf_append(&pg->next, v, n);
}

int supply_tokens_read(const char *body, size_t n, const char *token_key, const char *registry,
                       struct supply_tokens_page *pg, struct err *e)
{
    memset(pg, 0, sizeof *pg);
    struct jdoc d = JDOC_INIT;
    struct buf s = BUF_INIT;
    if (jdoc_parse(&d, body, n, e) < 0)
        return -1;
    if (!jdoc_is(&d, 0, JT_OBJECT)) {
        jdoc_free(&d);
        return err_set(e, ERR_FAIL, "the token list is not a JSON object");
    }
    int objs = jdoc_get(&d, 0, "objects");
    if (objs >= 0 && jdoc_is(&d, objs, JT_ARRAY)) {
        for (int o = jdoc_first(&d, objs); o > 0 && !pg->found; o = jdoc_after_elem(&d, objs, o)) {
            int key = jdoc_is(&d, o, JT_OBJECT) ? jdoc_get(&d, o, "key") : -1;
            if (key < 0 || !jdoc_streq(&d, key, token_key))
                continue;
            pg->found = true;
            int ro = jdoc_get(&d, o, "readonly");
            bool b = false;
            pg->readonly = ro >= 0 && jdoc_bool(&d, ro, &b) == 0 && b;
            int cr = jdoc_get(&d, o, "created");
            buf_reset(&s);
            if (cr >= 0 && jdoc_str(&d, cr, &s) == 0 && s.len < sizeof pg->created &&
                printable(s.p, s.len))
                memcpy(pg->created, s.p, s.len + 1);
        }
    }
    int urls = jdoc_get(&d, 0, "urls");
    int next = urls >= 0 && jdoc_is(&d, urls, JT_OBJECT) ? jdoc_get(&d, urls, "next") : -1;
    buf_reset(&s);
    if (next >= 0 && jdoc_str(&d, next, &s) == 0 && s.len)
        take_next(pg, s.p, s.len, registry);
    buf_free(&s);
    jdoc_free(&d);
    return 0;
}
