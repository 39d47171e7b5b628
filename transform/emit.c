/*
 * emit.c — see emit.h: the parts every object shares.
 *
 * Property rules (JupiterOne data model 0.64): values are strings, numbers,
 * booleans, null or arrays of those, except _rawData; an optional property
 * whose value is unknown is left out rather than set to null (a null fails
 * a typed schema property), but User's required properties are always
 * present (null when unknown). Times are epoch milliseconds.
 */
#include "emit.h"

#include <stdlib.h>
#include <string.h>

#include "npmvalue.h"

void emit_key(struct buf *b, enum gtype t, const char *name)
{
    buf_reset(b);
    buf_printf(b, "%s%s", gtypes[t].prefix, name);
}

void ent_begin(struct model *m, struct jw *w, enum gtype t, const char *key)
{
    buf_reset(&m->obj);
    jw_init(w, &m->obj);
    jw_obj(w);
    jw_kstr(w, "_key", key);
    jw_kstr(w, "_type", gtypes[t].type);
    jw_key(w, "_class");
    jw_arr(w);
    jw_str(w, gtypes[t].cls);
    jw_arr_end(w);
}

void ent_tags(struct model *m, struct jw *w)
{
    if (m->o.account_name)
        jw_kstr(w, "tag.AccountName", m->o.account_name);
    struct buf k = BUF_INIT;
    for (size_t i = 0; i < m->o.ntags; i++) {
        buf_reset(&k);
        buf_printf(&k, "tag.%s", m->o.tags[i].key);
        jw_kstr(w, k.p, m->o.tags[i].value);
    }
    buf_free(&k);
}

void ent_weblink(struct jw *w, const char *prefix, const char *name)
{
    struct buf b = BUF_INIT;
    npm_weblink(&b, prefix, name);
    jw_kstr(w, "webLink", b.p);
    buf_free(&b);
}

void raw_begin(struct jw *w, const char *name)
{
    jw_obj(w);
    jw_kstr(w, "name", name);
    jw_key(w, "rawData");
}

int obj_finish(struct model *m, struct jw *w, enum gtype t, const char *key, struct err *e)
{
    jw_obj_end(w);
    if (w->err) /* a writer bug: the object would not be valid JSON */
        return err_set(e, ERR_FAIL, "internal error: the %s object '%s' is malformed",
                       gtypes[t].type, key);
    return graph_add(m->g, t, key, strlen(key), m->obj.p, m->obj.len, e);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void emit_sort(struct strlist *v)
{
    if (v->n > 1)
        qsort(v->v, v->n, sizeof *v->v, cmp_str);
}

void str_array(struct jw *w, const struct strlist *v)
{
    jw_arr(w);
    for (size_t i = 0; i < v->n; i++)
        jw_str(w, v->v[i]);
    jw_arr_end(w);
}

void rel_begin(struct model *m, struct jw *w, struct buf *key, enum gtype t, const char *from,
               const char *to)
{
    const char *cls = gtypes[t].cls;
    buf_reset(key);
    buf_printf(key, "%s|%s|%s", from, gtypes[t].verb, to);
    buf_reset(&m->obj);
    jw_init(w, &m->obj);
    jw_obj(w);
    jw_kstr(w, "_key", key->p);
    jw_kstr(w, "_type", gtypes[t].type);
    jw_kstr(w, "_class", cls);
    jw_kstr(w, "_fromEntityKey", from);
    jw_kstr(w, "_toEntityKey", to);
    jw_kstr(w, "displayName", cls);
}

int rel_direct(struct model *m, enum gtype t, const char *from, const char *to,
               const char *permission, struct err *e)
{
    struct buf key = BUF_INIT;
    struct jw w;
    rel_begin(m, &w, &key, t, from, to);
    if (permission)
        jw_kstr(&w, "permission", permission);
    int rc = obj_finish(m, &w, t, key.p, e);
    buf_free(&key);
    return rc;
}
