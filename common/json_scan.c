/*
 * json_scan.c — the pointer scanner (json.h, tool 2): json_skip,
 * json_validate and the member walkers over a value held in memory.
 *
 * One grammar, written three times on purpose: this scanner is the fast
 * path for documents already in memory (it validates as it skips, and is
 * how transform reads multi-MB package documents), the push machine
 * (json_push.c) validates bytes as they arrive from the network, and the
 * writer's UTF-8 repair (json_write.c) uses the same byte classes
 * (json_bytes.h). tests/unit/test_json.c feeds one corpus of valid and
 * invalid texts to both validators and checks they agree, and the
 * json_validate fuzz target does the same on any bytes.
 */
#include "json.h"

#include <string.h>

#include "json_bytes.h"

const char *json_skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

/* p points just after the opening quote. */
static const char *skip_string(const char *p, const char *end, const char **bad)
{
    for (;;) {
        p = plain_run(p, end);
        if (p >= end)
            goto fail;
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            return p + 1;
        if (c == '\\') {
            if (p + 1 >= end)
                goto fail;
            switch (p[1]) {
            case '"':
            case '\\':
            case '/':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't': p += 2; break;
            case 'u':
                if (end - p < 6 || !is_hex((unsigned char)p[2]) || !is_hex((unsigned char)p[3]) ||
                    !is_hex((unsigned char)p[4]) || !is_hex((unsigned char)p[5]))
                    goto fail;
                p += 6;
                break;
            default: goto fail;
            }
        } else if (c >= 0x80) {
            size_t n = utf8_len((const unsigned char *)p, (const unsigned char *)end);
            if (!n)
                goto fail;
            p += n;
        } else {
            goto fail; /* raw control character */
        }
    }
fail:
    if (bad)
        *bad = p;
    return NULL;
}

static const char *skip_number(const char *p, const char *end, const char **bad)
{
    const char *s = p;
    if (p < end && *p == '-')
        p++;
    if (p >= end)
        goto fail;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    else
        goto fail;
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9')
            goto fail;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || *p < '0' || *p > '9')
            goto fail;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    return p;
fail:
    if (bad)
        *bad = p < end ? p : s;
    return NULL;
}

static const char *skip_lit(const char *p, const char *end, const char *lit, size_t n,
                            const char **bad)
{
    if ((size_t)(end - p) < n || memcmp(p, lit, n) != 0) {
        if (bad)
            *bad = p;
        return NULL;
    }
    return p + n;
}

static const char *skip_value(const char *p, const char *end, int depth, const char **bad)
{
    p = json_skip_ws(p, end);
    if (p >= end)
        goto fail;
    switch (*p) {
    case '{':
        if (depth >= JSON_MAX_DEPTH)
            goto fail;
        p = json_skip_ws(p + 1, end);
        if (p < end && *p == '}')
            return p + 1;
        for (;;) {
            if (p >= end || *p != '"')
                goto fail;
            if (!(p = skip_string(p + 1, end, bad)))
                return NULL;
            p = json_skip_ws(p, end);
            if (p >= end || *p != ':')
                goto fail;
            if (!(p = skip_value(p + 1, end, depth + 1, bad)))
                return NULL;
            p = json_skip_ws(p, end);
            if (p < end && *p == ',') {
                p = json_skip_ws(p + 1, end);
                continue;
            }
            if (p < end && *p == '}')
                return p + 1;
            goto fail;
        }
    case '[':
        if (depth >= JSON_MAX_DEPTH)
            goto fail;
        p = json_skip_ws(p + 1, end);
        if (p < end && *p == ']')
            return p + 1;
        for (;;) {
            if (!(p = skip_value(p, end, depth + 1, bad)))
                return NULL;
            p = json_skip_ws(p, end);
            if (p < end && *p == ',') {
                p++;
                continue;
            }
            if (p < end && *p == ']')
                return p + 1;
            goto fail;
        }
    case '"': return skip_string(p + 1, end, bad);
    case 't': return skip_lit(p, end, "true", 4, bad);
    case 'f': return skip_lit(p, end, "false", 5, bad);
    case 'n': return skip_lit(p, end, "null", 4, bad);
    default: return skip_number(p, end, bad);
    }
fail:
    if (bad)
        *bad = p;
    return NULL;
}

const char *json_skip(const char *p, const char *end, const char **bad)
{
    return skip_value(p, end, 0, bad);
}

const char *json_walk_members(const char *p, const char *end, json_walk_fn fn, void *ctx,
                              const char **bad)
{
    p = json_skip_ws(p, end);
    if (p >= end || *p != '{')
        goto fail;
    p = json_skip_ws(p + 1, end);
    if (p < end && *p == '}')
        return p + 1;
    for (;;) {
        if (p >= end || *p != '"')
            goto fail;
        const char *k = p + 1;
        if (!(p = skip_string(k, end, bad)))
            return NULL;
        size_t klen = (size_t)(p - 1 - k);
        p = json_skip_ws(p, end);
        if (p >= end || *p != ':')
            goto fail;
        const char *v = json_skip_ws(p + 1, end);
        if (!(p = fn(ctx, k, klen, v, end, bad)))
            return NULL;
        p = json_skip_ws(p, end);
        if (p < end && *p == ',') {
            p = json_skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == '}')
            return p + 1;
        goto fail;
    }
fail:
    if (bad)
        *bad = p;
    return NULL;
}

struct each_ctx {
    json_member_fn fn;
    void *ctx;
};

static const char *each_one(void *vctx, const char *k, size_t klen, const char *v, const char *end,
                            const char **bad)
{
    struct each_ctx *ec = vctx;
    const char *q = skip_value(v, end, 1, bad);
    if (q && ec->fn && ec->fn(ec->ctx, k, klen, v, (size_t)(q - v)) < 0) {
        if (bad)
            *bad = NULL;
        return NULL;
    }
    return q;
}

const char *json_each_member(const char *p, const char *end, json_member_fn fn, void *ctx,
                             const char **bad)
{
    struct each_ctx ec = {fn, ctx};
    return json_walk_members(p, end, each_one, &ec, bad);
}

bool json_key_is(const char *key, size_t klen, const char *s)
{
    size_t n = strlen(s);
    return klen == n && memcmp(key, s, n) == 0;
}

bool json_validate(const char *p, size_t n, size_t *bad_off)
{
    const char *end = p + n, *bad = p;
    const char *q = json_skip(p, end, &bad);
    if (q) {
        q = json_skip_ws(q, end);
        if (q == end)
            return true;
        bad = q;
    }
    if (bad_off)
        *bad_off = (size_t)(bad - p);
    return false;
}
