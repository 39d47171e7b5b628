/*
 * names.c — see names.h.
 *
 * npm.h's walker reads the body (the same one-pass raw walk for every
 * shape); this file adds what transform makes of an entry: an empty name
 * is warned about once and skipped, any other name must pass npm_name_ok,
 * and every fault is reported with the record's place.
 */
#include "names.h"

#include "buf.h"
#include "log.h"
#include "npmvalue.h"

struct walk {
    const char *where;
    enum npm_shape shape;
    names_visit fn;
    void *ctx;
    bool warned_empty;
    struct err *e;
};

static int take(void *vctx, const char *name, size_t n, const char *value, size_t vn)
{
    struct walk *w = vctx;
    (void)vn;
    if (n == 0) {
        if (!w->warned_empty)
            log_warn("%s: an empty name in the list; ignored", w->where);
        w->warned_empty = true;
        return 0;
    }
    if (!npm_name_ok(name, n)) { /* also refuses an embedded NUL */
        /* A list holding what npm could not have named is not the list
         * the registry documents: the run fails, as for any wrong shape,
         * and says which name broke which rule. */
        char q[ERR_QUOTE_MAX];
        struct buf shown = BUF_INIT;
        log_escape_controls(name, n, &shown);
        err_set(w->e, ERR_FAIL,
                "%s: unexpected shape: %s; '%s' is not a name npm allows (%zu bytes; at most %d, "
                "no control character)",
                w->where, npm_shape_desc(w->shape), err_quote(shown.p, q), n, NPM_NAME_MAX);
        buf_free(&shown);
        return -1;
    }
    return w->fn(w->ctx, name, n, value, w->e);
}

int names_walk(const char *body, size_t len, const char *where, enum npm_shape shape,
               names_visit fn, void *ctx, struct err *e)
{
    struct walk w = {where, shape, fn, ctx, false, e};
    switch (npm_list_walk(body, len, shape, 0, take, &w, e)) {
    case NPM_LIST_OK: return 0;
    case NPM_LIST_STOPPED: return -1; /* take or fn said why */
    default: return err_wrap(e, "%s", where);
    }
}
