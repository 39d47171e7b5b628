/*
 * names.c — see names.h.
 */
#include "names.h"

#include <string.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "npmvalue.h"

struct walk {
    const char *where;
    const struct names_spec *spec;
    names_visit fn;
    void *ctx;
    bool warned_empty;
    struct buf name, val;
    struct err *e;
};

static int bad_shape(const struct walk *w)
{
    return err_set(w->e, ERR_FAIL, "%s: unexpected shape: %s", w->where, w->spec->shape);
}

/* Raw JSON string content [p, p+n) (between the quotes) into out, decoded. */
static int raw_str(struct buf *out, const char *p, size_t n)
{
    buf_reset(out);
    if (!memchr(p, '\\', n)) {
        buf_append(out, p, n);
        return 0;
    }
    return json_unescape(out, p, n);
}

/* w->name (and w->val) hold one entry: checked, then handed on. */
static int take(struct walk *w)
{
    if (w->name.len == 0) {
        if (!w->warned_empty)
            log_warn("%s: an empty name in the list; ignored", w->where);
        w->warned_empty = true;
        return 0;
    }
    if (!npm_name_ok(w->name.p, w->name.len)) /* also refuses an embedded NUL */
        return bad_shape(w);
    return w->fn(w->ctx, w->name.p, w->name.len, w->val.p, w->e);
}

static int on_member(void *vctx, const char *k, size_t kl, const char *v, size_t vn)
{
    struct walk *w = vctx;
    if (raw_str(&w->name, k, kl) < 0)
        return err_set(w->e, ERR_FAIL, "%s: a name in the list is not valid JSON", w->where);
    if (vn < 2 || v[0] != '"')
        return err_set(w->e, ERR_FAIL, "%s: unexpected shape: the %s of '%s' is not a string",
                       w->where, w->spec->vname, w->name.p);
    if (raw_str(&w->val, v + 1, vn - 2) < 0)
        return err_set(w->e, ERR_FAIL, "%s: a value in the list is not valid JSON", w->where);
    return take(w);
}

static int parse_body(struct jdoc *d, const char *body, size_t len, const struct walk *w)
{
    if (jdoc_parse(d, body, len, w->e) < 0)
        return err_wrap(w->e, "%s", w->where);
    return 0;
}

static int walk_object(struct walk *w, const char *body, size_t len)
{
    const char *end = body + len, *p = json_skip_ws(body, end), *bad = p;
    if (p >= end || *p != '{') {
        /* Not an object: invalid JSON is still reported as such. */
        if (json_validate(body, len, NULL))
            return bad_shape(w);
        struct jdoc d = JDOC_INIT;
        parse_body(&d, body, len, w);
        jdoc_free(&d);
        return -1;
    }
    const char *q = json_each_member(p, end, on_member, w, &bad);
    if (q && json_skip_ws(q, end) != end)
        bad = json_skip_ws(q, end), q = NULL;
    if (!q) {
        if (bad) /* else a callback failed and said why */
            err_set(w->e, ERR_FAIL, "%s: invalid JSON at byte %zu", w->where, (size_t)(bad - body));
        return -1;
    }
    return 0;
}

static int walk_array(struct walk *w, const char *body, size_t len)
{
    struct jdoc d = JDOC_INIT;
    int rc = -1;
    if (parse_body(&d, body, len, w) < 0)
        goto out;
    if (!jdoc_is(&d, 0, JT_ARRAY)) {
        bad_shape(w);
        goto out;
    }
    for (int k = jdoc_first(&d, 0); k > 0; k = jdoc_after_elem(&d, 0, k)) {
        buf_reset(&w->name);
        if (jdoc_str(&d, k, &w->name) < 0) {
            bad_shape(w);
            goto out;
        }
        if (take(w) < 0)
            goto out;
    }
    rc = 0;
out:
    jdoc_free(&d);
    return rc;
}

int names_walk(const char *body, size_t len, const char *where, const struct names_spec *spec,
               names_visit fn, void *ctx, struct err *e)
{
    struct walk w = {where, spec, fn, ctx, false, BUF_INIT, BUF_INIT, e};
    int rc = spec->with_values ? walk_object(&w, body, len) : walk_array(&w, body, len);
    buf_free(&w.name);
    buf_free(&w.val);
    return rc;
}
