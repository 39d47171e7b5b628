/*
 * graphobj.c — see graphobj.h.
 *
 * The walk never stops at the first problem: it records it and goes on
 * reading, only to find `_key` and `_type`, so that a refused object can
 * still be named. Invalid JSON does stop it (nothing after that point can
 * be trusted). Values are consumed with json_skip (which validates them);
 * the few nested shapes the API allows (_class arrays, _rawData, _mapping,
 * arrays of primitives) are walked element by element here.
 */
#include "graphobj.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

#define MAX_RAW_DATA_ENTRIES 256
#define MAX_FILTER_KEYS 64

enum sysbit {
    SB_KEY = 1u << 0,
    SB_TYPE = 1u << 1,
    SB_CLASS = 1u << 2,
    SB_RAW = 1u << 3,
    SB_FROM_KEY = 1u << 4,
    SB_TO_KEY = 1u << 5,
    SB_FROM_ID = 1u << 6,
    SB_TO_ID = 1u << 7,
    SB_MAPPING = 1u << 8,
    SB_OTHER = 1u << 9, /* _scope, _id: allowed, not interpreted */
};

struct walk {
    struct gobj *g;
    enum gobj_kind kind;
    bool failed;
    unsigned seen;
    bool from_id_ok, to_id_ok;
};

static void problem(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(struct walk *w, const char *fmt, ...)
{
    if (w->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->g->problem, sizeof w->g->problem, fmt, ap);
    va_end(ap);
    w->failed = true;
}

/* ---- strings ------------------------------------------------------------ */

int gstr_decode(const struct gstr *s, struct buf *out)
{
    if (!s->p)
        return 0;
    if (!s->esc) {
        buf_append(out, s->p, s->n);
        return 0;
    }
    return json_unescape(out, s->p, s->n);
}

void gstr_display(const struct gstr *s, size_t max, struct buf *out)
{
    struct buf d = BUF_INIT;
    if (!s->p) {
        buf_puts(out, "(none)");
        return;
    }
    if (gstr_decode(s, &d) < 0) {
        buf_free(&d);
        buf_puts(out, "(?)");
        return;
    }
    size_t n = d.len > max ? max : d.len;
    /* Do not cut a UTF-8 sequence in half. */
    while (n < d.len && n > 0 && ((unsigned char)d.p[n] & 0xC0) == 0x80)
        n--;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)d.p[i];
        buf_putc(out, c < 0x20 || c == 0x7f ? '?' : (char)c);
    }
    if (n < d.len)
        buf_puts(out, "...");
    buf_free(&d);
}

static bool gstr_is(const struct gstr *s, const char *lit)
{
    if (!s->p)
        return false;
    if (!s->esc)
        return json_key_is(s->p, s->n, lit);
    struct buf d = BUF_INIT;
    bool eq = gstr_decode(s, &d) == 0 && d.len == strlen(lit) && memcmp(d.p, lit, d.len) == 0;
    buf_free(&d);
    return eq;
}

static bool gstr_equal(const struct gstr *a, const struct gstr *b)
{
    if (!a->esc && !b->esc)
        return a->n == b->n && memcmp(a->p, b->p, a->n) == 0;
    struct buf x = BUF_INIT, y = BUF_INIT;
    bool eq = gstr_decode(a, &x) == 0 && gstr_decode(b, &y) == 0 && x.len == y.len &&
              (x.len == 0 || memcmp(x.p, y.p, x.len) == 0);
    buf_free(&x);
    buf_free(&y);
    return eq;
}

/* The string value [v, q) (with its quotes) as a gstr. */
static struct gstr str_of(const char *v, const char *q)
{
    struct gstr s = {v + 1, (size_t)(q - v - 2), false};
    s.esc = memchr(s.p, '\\', s.n) != NULL;
    return s;
}

/* ---- values ------------------------------------------------------------- */

enum vkind { V_STRING, V_NUMBER, V_BOOL, V_NULL, V_OBJECT, V_ARRAY };

static enum vkind kind_of(const char *v)
{
    switch (*v) {
    case '"': return V_STRING;
    case 't':
    case 'f': return V_BOOL;
    case 'n': return V_NULL;
    case '{': return V_OBJECT;
    case '[': return V_ARRAY;
    default: return V_NUMBER;
    }
}

static const char *const kind_names[] = {"a string", "a number",  "a boolean",
                                         "null",     "an object", "an array"};

/* Walks the array at v ('['): fn gets each element [s, q). Returns the byte
 * after ']', or NULL for invalid JSON. */
typedef void (*elem_fn)(void *ctx, size_t i, const char *s, const char *q);

static const char *walk_array(const char *v, const char *end, const char **bad, elem_fn fn,
                              void *ctx)
{
    const char *p = json_skip_ws(v + 1, end);
    if (p < end && *p == ']')
        return p + 1;
    for (size_t i = 0;; i++) {
        const char *q = json_skip(p, end, bad);
        if (!q)
            return NULL;
        if (fn)
            fn(ctx, i, p, q);
        p = json_skip_ws(q, end);
        if (p < end && *p == ',') {
            p = json_skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == ']')
            return p + 1;
        if (bad)
            *bad = p;
        return NULL;
    }
}

struct homog {
    enum vkind first;
    bool bad_elem, mixed;
    enum vkind bad_kind;
};

static void homog_elem(void *ctx, size_t i, const char *s, const char *q)
{
    (void)q;
    struct homog *h = ctx;
    enum vkind k = kind_of(s);
    if (k == V_NULL || k == V_OBJECT || k == V_ARRAY) {
        if (!h->bad_elem) {
            h->bad_elem = true;
            h->bad_kind = k;
        }
        return;
    }
    if (i == 0)
        h->first = k;
    else if (k != h->first)
        h->mixed = true;
}

/* A property value [v, q): primitive, null or a homogeneous array of one
 * primitive kind. what: how to name it in a message. */
static void check_value(struct walk *w, const char *what, size_t wl, const char *v, const char *q,
                        const char *end, const char **bad)
{
    (void)q;
    enum vkind k = kind_of(v);
    if (k == V_OBJECT) {
        problem(w,
                "property \"%.*s\" is an object; allowed are string, number, boolean, null or an "
                "array of one of those",
                (int)(wl > 64 ? 64 : wl), what);
        return;
    }
    if (k != V_ARRAY)
        return;
    struct homog h = {V_STRING, false, false, V_NULL};
    walk_array(v, end, bad, homog_elem, &h);
    if (h.bad_elem)
        problem(w,
                "property \"%.*s\" is an array holding %s values; only strings, numbers or "
                "booleans may be in an array",
                (int)(wl > 64 ? 64 : wl), what,
                h.bad_kind == V_NULL ? "null" : kind_names[h.bad_kind]);
    else if (h.mixed)
        problem(w,
                "property \"%.*s\" is a mixed-type array; an array must hold only strings, only "
                "numbers or only booleans",
                (int)(wl > 64 ? 64 : wl), what);
}

/* ---- _class ------------------------------------------------------------------- */

struct class_arr {
    struct walk *w;
    bool bad;
};

static void class_elem(void *ctx, size_t i, const char *s, const char *q)
{
    (void)i;
    struct class_arr *c = ctx;
    if (*s != '"' || q - s <= 2)
        c->bad = true;
}

static void check_class(struct walk *w, const char *v, const char *q, const char *end,
                        const char **bad)
{
    enum vkind k = kind_of(v);
    if (k == V_STRING) {
        if (q - v <= 2)
            problem(w, "_class is empty");
        else if (w->kind == GOBJ_RELATIONSHIP)
            w->g->cls = str_of(v, q);
        return;
    }
    if (k == V_ARRAY && w->kind == GOBJ_ENTITY) {
        struct class_arr c = {w, false};
        const char *p = json_skip_ws(v + 1, end);
        if (p < end && *p == ']') {
            problem(w, "_class is an empty array");
            return;
        }
        walk_array(v, end, bad, class_elem, &c);
        if (c.bad)
            problem(w, "_class array must hold non-empty strings");
        return;
    }
    if (w->kind == GOBJ_ENTITY)
        problem(w, "_class is %s, must be a string or an array of strings", kind_names[k]);
    else
        problem(w, "_class is %s, must be a string", kind_names[k]);
}

/* ---- _rawData ------------------------------------------------------------------ */

struct raw_entry {
    struct gstr name;
    bool has_name, has_raw;
    const char *why;
};

static int raw_member(void *ctx, const char *k, size_t kl, const char *v, size_t vl)
{
    struct raw_entry *r = ctx;
    if (json_key_is(k, kl, "name")) {
        if (*v != '"' || vl <= 2)
            r->why = "name must be a non-empty string";
        else
            r->name = str_of(v, v + vl);
        r->has_name = true;
    } else if (json_key_is(k, kl, "rawData")) {
        if (*v != '{' && *v != '"')
            r->why = "rawData must be an object or a string";
        r->has_raw = true;
    } else {
        r->why = "has a member other than name and rawData";
    }
    return 0;
}

struct raw_arr {
    struct walk *w;
    struct gstr names[MAX_RAW_DATA_ENTRIES];
    size_t n;
    const char *end;
    const char **bad;
    bool invalid_json;
};

static void raw_elem(void *ctx, size_t i, const char *s, const char *q)
{
    struct raw_arr *ra = ctx;
    struct walk *w = ra->w;
    if (*s != '{') {
        problem(w, "_rawData[%zu] is %s, must be an object {name, rawData}", i,
                kind_names[kind_of(s)]);
        return;
    }
    struct raw_entry r = {{NULL, 0, false}, false, false, NULL};
    if (!json_each_member(s, q, raw_member, &r, NULL)) {
        ra->invalid_json = true;
        return;
    }
    if (r.why) {
        problem(w, "_rawData[%zu] %s", i, r.why);
        return;
    }
    if (!r.has_name || !r.has_raw) {
        problem(w, "_rawData[%zu] needs both name and rawData", i);
        return;
    }
    for (size_t j = 0; j < ra->n; j++)
        if (gstr_equal(&ra->names[j], &r.name)) {
            problem(w, "_rawData[%zu].name repeats an earlier name; names must be unique", i);
            return;
        }
    if (ra->n == MAX_RAW_DATA_ENTRIES) {
        problem(w, "_rawData has more than %d entries", MAX_RAW_DATA_ENTRIES);
        return;
    }
    ra->names[ra->n++] = r.name;
}

static void check_raw_data(struct walk *w, const char *v, const char *end, const char **bad)
{
    w->g->has_raw_data = true;
    if (*v != '[') {
        problem(w, "_rawData is %s, must be an array of {name, rawData}", kind_names[kind_of(v)]);
        return;
    }
    struct raw_arr ra;
    ra.w = w;
    ra.n = 0;
    ra.end = end;
    ra.bad = bad;
    ra.invalid_json = false;
    walk_array(v, end, bad, raw_elem, &ra);
}

/* ---- _mapping -------------------------------------------------------------------- */

struct mapping {
    struct walk *w;
    bool dir, source, entity, filters;
    const char *te, *te_end;   /* targetEntity object text */
    const char *tfk, *tfk_end; /* targetFilterKeys array text */
};

static int target_member(void *ctx, const char *k, size_t kl, const char *v, size_t vl)
{
    struct walk *w = ctx;
    if (!w->failed) {
        struct gobj tmp;
        struct walk sub = *w;
        sub.g = &tmp;
        sub.failed = false;
        tmp.problem[0] = '\0';
        check_value(&sub, k, kl, v, v + vl, v + vl, NULL);
        if (sub.failed)
            problem(w, "_mapping.targetEntity %s", tmp.problem);
    }
    return 0;
}

static int mapping_member(void *ctx, const char *k, size_t kl, const char *v, size_t vl)
{
    struct mapping *m = ctx;
    struct walk *w = m->w;
    const char *q = v + vl;
    if (json_key_is(k, kl, "relationshipDirection")) {
        struct gstr s = *v == '"' ? str_of(v, q) : (struct gstr){NULL, 0, false};
        if (!gstr_is(&s, "FORWARD") && !gstr_is(&s, "REVERSE"))
            problem(w, "_mapping.relationshipDirection must be \"FORWARD\" or \"REVERSE\"");
        m->dir = true;
    } else if (json_key_is(k, kl, "sourceEntityKey")) {
        if (*v != '"' || vl <= 2)
            problem(w, "_mapping.sourceEntityKey must be a non-empty string");
        m->source = true;
    } else if (json_key_is(k, kl, "targetEntity")) {
        if (*v != '{') {
            problem(w, "_mapping.targetEntity must be an object");
        } else {
            m->te = v;
            m->te_end = q;
            json_each_member(v, q, target_member, w, NULL);
        }
        m->entity = true;
    } else if (json_key_is(k, kl, "targetFilterKeys")) {
        if (*v != '[')
            problem(w, "_mapping.targetFilterKeys must be a non-empty array of arrays of "
                       "property names");
        m->tfk = v;
        m->tfk_end = q;
        m->filters = true;
    } else if (json_key_is(k, kl, "skipTargetCreation")) {
        if (*v != 't' && *v != 'f' && *v != 'n')
            problem(w, "_mapping.skipTargetCreation must be a boolean");
    } else {
        problem(w, "_mapping has an unknown member \"%.*s\"", (int)(kl > 64 ? 64 : kl), k);
    }
    return 0;
}

struct name_find {
    const struct gstr *name;
    bool found;
};

static int find_member(void *ctx, const char *k, size_t kl, const char *v, size_t vl)
{
    (void)v;
    (void)vl;
    struct name_find *f = ctx;
    struct gstr key = {k, kl, memchr(k, '\\', kl) != NULL};
    if (gstr_equal(&key, f->name))
        f->found = true;
    return 0;
}

struct filter_walk {
    struct mapping *m;
    size_t list; /* index in targetFilterKeys */
    bool in_list;
};

static void filter_name(void *ctx, size_t i, const char *s, const char *q)
{
    struct filter_walk *fw = ctx;
    struct walk *w = fw->m->w;
    (void)i;
    if (*s != '"' || q - s <= 2) {
        problem(w, "_mapping.targetFilterKeys[%zu] must hold non-empty strings", fw->list);
        return;
    }
    struct gstr name = str_of(s, q);
    struct name_find f = {&name, false};
    if (fw->m->te)
        json_each_member(fw->m->te, fw->m->te_end, find_member, &f, NULL);
    if (!f.found)
        problem(w, "_mapping.targetFilterKeys[%zu] names \"%.*s\", which targetEntity lacks",
                fw->list, (int)(name.n > 64 ? 64 : name.n), name.p);
}

static void filter_list(void *ctx, size_t i, const char *s, const char *q)
{
    struct filter_walk *fw = ctx;
    fw->list = i;
    if (i >= MAX_FILTER_KEYS) {
        problem(fw->m->w, "_mapping.targetFilterKeys has more than %d entries", MAX_FILTER_KEYS);
        return;
    }
    if (*s == '"') {
        filter_name(ctx, 0, s, q);
        return;
    }
    const char *p = *s == '[' ? json_skip_ws(s + 1, q) : s;
    if (*s != '[' || (p < q && *p == ']')) {
        problem(fw->m->w,
                "_mapping.targetFilterKeys[%zu] must be a non-empty array of property "
                "names",
                i);
        return;
    }
    walk_array(s, q, NULL, filter_name, fw);
}

static void check_mapping(struct walk *w, const char *v, const char *q)
{
    w->g->mapped = true;
    if (*v != '{') {
        problem(w, "_mapping is %s, must be an object", kind_names[kind_of(v)]);
        return;
    }
    struct mapping m;
    memset(&m, 0, sizeof m);
    m.w = w;
    json_each_member(v, q, mapping_member, &m, NULL);
    if (!m.dir)
        problem(w, "_mapping.relationshipDirection must be \"FORWARD\" or \"REVERSE\"");
    if (!m.source)
        problem(w, "_mapping.sourceEntityKey must be a non-empty string");
    if (!m.entity)
        problem(w, "_mapping.targetEntity must be an object");
    if (!m.filters) {
        problem(w, "_mapping.targetFilterKeys must be a non-empty array of arrays of property "
                   "names");
        return;
    }
    if (w->failed || !m.tfk || *m.tfk != '[')
        return;
    const char *p = json_skip_ws(m.tfk + 1, m.tfk_end);
    if (p < m.tfk_end && *p == ']') {
        problem(w, "_mapping.targetFilterKeys must be a non-empty array of arrays of property "
                   "names");
        return;
    }
    struct filter_walk fw = {&m, 0, false};
    walk_array(m.tfk, m.tfk_end, NULL, filter_list, &fw);
}

/* ---- members ------------------------------------------------------------------ */

static const struct {
    const char *name;
    unsigned bit;
    bool rel_only;
} system_names[] = {
    {"_key", SB_KEY, false},
    {"_type", SB_TYPE, false},
    {"_class", SB_CLASS, false},
    {"_rawData", SB_RAW, false},
    {"_scope", SB_OTHER, false},
    {"_id", SB_OTHER, false},
    {"_fromEntityKey", SB_FROM_KEY, true},
    {"_toEntityKey", SB_TO_KEY, true},
    {"_fromEntityId", SB_FROM_ID, true},
    {"_toEntityId", SB_TO_ID, true},
    {"_mapping", SB_MAPPING, true},
};

static void endpoint(struct walk *w, const char *name, const char *v, const char *q,
                     struct gstr *out)
{
    if (*v != '"' || q - v <= 2) {
        problem(w, "%s must be a non-empty string", name);
        return;
    }
    if (out)
        *out = str_of(v, q);
}

static const char *member(void *ctx, const char *k, size_t kl, const char *v, const char *end,
                          const char **bad)
{
    struct walk *w = ctx;
    const char *q = json_skip(v, end, bad);
    if (!q)
        return NULL;
    struct buf dec = BUF_INIT;
    const char *name = k;
    size_t nl = kl;
    if (memchr(k, '\\', kl)) { /* an escaped name: compare what it means */
        if (json_unescape(&dec, k, kl) < 0) {
            problem(w, "has a member name with a broken escape");
            buf_free(&dec);
            return q;
        }
        name = dec.p;
        nl = dec.len;
    }
    if (nl == 0 || name[0] != '_') {
        if (!w->failed)
            check_value(w, name, nl, v, q, end, bad);
        buf_free(&dec);
        return q;
    }
    size_t i;
    for (i = 0; i < sizeof system_names / sizeof system_names[0]; i++)
        if (json_key_is(name, nl, system_names[i].name))
            break;
    if (i == sizeof system_names / sizeof system_names[0] ||
        (system_names[i].rel_only && w->kind == GOBJ_ENTITY)) {
        problem(w, "property \"%.*s\" starts with \"_\", which is reserved for system properties",
                (int)(nl > 64 ? 64 : nl), name);
        buf_free(&dec);
        return q;
    }
    unsigned bit = system_names[i].bit;
    if (bit != SB_OTHER && (w->seen & bit)) {
        problem(w, "%s appears twice in the object", system_names[i].name);
        buf_free(&dec);
        return q;
    }
    w->seen |= bit;
    switch (bit) {
    case SB_KEY:
    case SB_TYPE: {
        struct gstr *dst = bit == SB_KEY ? &w->g->key : &w->g->type;
        if (*v != '"' || q - v <= 2)
            problem(w, "%s must be a non-empty string", system_names[i].name);
        else
            *dst = str_of(v, q);
        break;
    }
    case SB_CLASS:
        if (!w->failed)
            check_class(w, v, q, end, bad);
        break;
    case SB_RAW:
        if (!w->failed)
            check_raw_data(w, v, end, bad);
        else
            w->g->has_raw_data = true;
        break;
    case SB_FROM_KEY: endpoint(w, "_fromEntityKey", v, q, &w->g->from); break;
    case SB_TO_KEY: endpoint(w, "_toEntityKey", v, q, &w->g->to); break;
    case SB_FROM_ID: endpoint(w, "_fromEntityId", v, q, NULL); break;
    case SB_TO_ID: endpoint(w, "_toEntityId", v, q, NULL); break;
    case SB_MAPPING:
        if (!w->failed)
            check_mapping(w, v, q);
        else
            w->g->mapped = true;
        break;
    default: /* _scope, _id: values like any property */
        if (!w->failed)
            check_value(w, name, nl, v, q, end, bad);
        break;
    }
    buf_free(&dec);
    return q;
}

static void check_endpoints(struct walk *w)
{
    unsigned s = w->seen;
    int forms = 0;
    if (s & (SB_FROM_KEY | SB_TO_KEY)) {
        if ((s & (SB_FROM_KEY | SB_TO_KEY)) != (SB_FROM_KEY | SB_TO_KEY)) {
            problem(w, "%s needs %s too", s & SB_FROM_KEY ? "_fromEntityKey" : "_toEntityKey",
                    s & SB_FROM_KEY ? "_toEntityKey" : "_fromEntityKey");
            return;
        }
        forms++;
    }
    if (s & (SB_FROM_ID | SB_TO_ID)) {
        if ((s & (SB_FROM_ID | SB_TO_ID)) != (SB_FROM_ID | SB_TO_ID)) {
            problem(w, "%s needs %s too", s & SB_FROM_ID ? "_fromEntityId" : "_toEntityId",
                    s & SB_FROM_ID ? "_toEntityId" : "_fromEntityId");
            return;
        }
        forms++;
    }
    if (s & SB_MAPPING)
        forms++;
    if (forms == 0)
        problem(w, "needs _fromEntityKey and _toEntityKey, or a _mapping");
    else if (forms > 1)
        problem(w, "has more than one of _fromEntityKey/_toEntityKey, _fromEntityId/_toEntityId "
                   "and _mapping; use exactly one");
}

int gobj_check(const char *p, size_t n, enum gobj_kind kind, struct gobj *g)
{
    memset(g, 0, sizeof *g);
    struct walk w;
    memset(&w, 0, sizeof w);
    w.g = g;
    w.kind = kind;
    const char *end = p + n;
    const char *s = json_skip_ws(p, end);
    if (s >= end || *s != '{') {
        if (s < end && json_skip(s, end, NULL) && json_skip_ws(json_skip(s, end, NULL), end) == end)
            problem(&w, "is %s, not an object", kind_names[kind_of(s)]);
        else
            problem(&w, "is not valid JSON");
        return -1;
    }
    const char *bad = NULL;
    const char *q = json_walk_members(s, end, member, &w, &bad);
    if (!q) {
        w.failed = false;
        problem(&w, "is not valid JSON (at byte %zu of the object)",
                bad ? (size_t)(bad - p) : (size_t)0);
        g->key.p = NULL; /* pointers may lead into the broken part */
        g->type.p = NULL;
        return -1;
    }
    if (json_skip_ws(q, end) != end) {
        w.failed = false;
        problem(&w, "has text after the object");
        return -1;
    }
    if (!(w.seen & SB_KEY))
        problem(&w, "_key must be a non-empty string");
    if (!(w.seen & SB_TYPE))
        problem(&w, "_type must be a non-empty string");
    if (!(w.seen & SB_CLASS))
        problem(&w, "_class is missing");
    if (kind == GOBJ_RELATIONSHIP && !w.failed)
        check_endpoints(&w);
    return w.failed ? -1 : 0;
}

/* @jupiterone/data-model 0.64.2, RelationshipClass (every value equals its name). */
static const char *const rel_classes[] = {
    "ALLOWS",    "APPROVED",  "ASSIGNED", "CONNECTS",   "CONTAINS",   "COMPLETED", "CREATED",
    "DEFINES",   "DENIES",    "DEPLOYED", "ENFORCES",   "EVALUATES",  "EXPLOITS",  "EXTENDS",
    "GENERATED", "HAS",       "HOSTS",    "IDENTIFIED", "IMPLEMENTS", "IS",        "KNOWS",
    "LIMITS",    "LINKS",     "LOGS",     "MANAGES",    "MITIGATES",  "MONITORS",  "NOTIFIES",
    "OPENED",    "OVERRIDES", "OWNS",     "PERFORMED",  "PROTECTS",   "PROVIDES",  "PUBLISHED",
    "PUBLISHES", "RESTRICTS", "REVIEWED", "REPORTED",   "RUNS",       "SCANS",     "SENDS",
    "SHARED",    "TRIGGERS",  "TRUSTS",   "UPDATED",    "USES",       "INSTALLED", "VIOLATES",
};

bool gobj_known_relationship_class(const struct gstr *cls)
{
    for (size_t i = 0; i < sizeof rel_classes / sizeof rel_classes[0]; i++)
        if (gstr_is(cls, rel_classes[i]))
            return true;
    return false;
}
