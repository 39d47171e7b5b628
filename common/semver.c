/*
 * semver.c — see semver.h. A range is read one set at a time and each set
 * is tested as soon as it is read, so nothing but one set's comparators
 * (a fixed array) is held. Every set is read even after one matched, so
 * that a range with an unreadable part is refused whatever the version.
 */
#include "semver.h"

#include <stdio.h>
#include <string.h>

#define MAX_SAFE 9007199254740991ull /* 2^53 - 1, node-semver's bound */

/* ---- versions ------------------------------------------------------------------- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_ident_char(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

/* A number without leading zeros at *p; advances *p. */
static bool read_num(const char **p, const char *end, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (s >= end || !is_digit(*s))
        return false;
    if (*s == '0' && s + 1 < end && is_digit(s[1]))
        return false;
    for (; s < end && is_digit(*s); s++) {
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > MAX_SAFE)
            return false;
    }
    *p = s;
    *out = v;
    return true;
}

/* Dot-separated identifiers at *p (after a '-' or '+'); numeric ones
 * without leading zeros when `numeric_rule`. Copies them into out (if not
 * NULL) and advances *p. */
static bool read_idents(const char **p, const char *end, bool numeric_rule, char *out)
{
    const char *s = *p, *start = s;
    for (;;) {
        const char *id = s;
        bool all_digits = true;
        while (s < end && is_ident_char(*s)) {
            all_digits &= is_digit(*s);
            s++;
        }
        if (s == id)
            return false;
        if (numeric_rule && all_digits && *id == '0' && s - id > 1)
            return false;
        if (s < end && *s == '.') {
            s++;
            continue;
        }
        break;
    }
    if (out) {
        if ((size_t)(s - start) > SEMVER_MAX_PRE)
            return false;
        memcpy(out, start, (size_t)(s - start));
        out[s - start] = '\0';
    }
    *p = s;
    return true;
}

/* A version, possibly partial or with x's: the number of numbers given
 * (0..3; parts after an x are wildcards, as node-semver treats them), the
 * numbers and, for a full version, its prerelease. */
struct partial {
    int n;
    struct semver v;
};

static bool is_x(char c)
{
    return c == 'x' || c == 'X' || c == '*';
}

static bool read_partial(const char *s, const char *end, struct partial *pv)
{
    memset(pv, 0, sizeof *pv);
    if (s < end && (*s == 'v' || *s == '='))
        s++;
    if (s == end)
        return true; /* "" is "*" */
    uint64_t *nums[3] = {&pv->v.major, &pv->v.minor, &pv->v.patch};
    bool wild = false;
    for (int i = 0; i < 3; i++) {
        if (i > 0) {
            if (s == end || *s != '.')
                break;
            s++;
        }
        if (s < end && is_x(*s)) {
            s++;
            wild = true;
        } else if (!read_num(&s, end, nums[i])) {
            return false;
        } else if (wild) {
            /* a number after an x: still a wildcard (1.x.3 is 1.x) */
        } else {
            pv->n = i + 1;
        }
    }
    if (s < end && *s == '-') {
        if (pv->n < 3 || wild)
            return false;
        s++;
        if (!read_idents(&s, end, true, pv->v.pre))
            return false;
    }
    if (s < end && *s == '+') {
        s++;
        if (!read_idents(&s, end, false, NULL))
            return false;
    }
    if (wild)
        for (int i = pv->n; i < 3; i++)
            *nums[i] = 0;
    return s == end;
}

int semver_parse(const char *s, size_t n, struct semver *v)
{
    const char *end = s + n;
    while (s < end && *s == ' ')
        s++;
    while (end > s && end[-1] == ' ')
        end--;
    struct partial pv;
    if (!read_partial(s, end, &pv) || pv.n != 3)
        return -1;
    *v = pv.v;
    return 0;
}

static int cmp_u(uint64_t a, uint64_t b)
{
    return a < b ? -1 : a > b;
}

/* Compares two prerelease identifier lists (both non-empty). */
static int cmp_pre(const char *a, const char *b)
{
    for (;;) {
        size_t la = strcspn(a, "."), lb = strcspn(b, ".");
        bool na = strspn(a, "0123456789") >= la, nb = strspn(b, "0123456789") >= lb;
        int c;
        if (na && nb)
            c = la != lb ? (la < lb ? -1 : 1) : memcmp(a, b, la); /* no leading zeros */
        else if (na || nb)
            c = na ? -1 : 1;
        else {
            c = memcmp(a, b, la < lb ? la : lb);
            if (!c && la != lb)
                c = la < lb ? -1 : 1;
        }
        if (c)
            return c < 0 ? -1 : 1;
        a += la;
        b += lb;
        if (!*a || !*b)
            return !*a && !*b ? 0 : !*a ? -1 : 1;
        a++;
        b++;
    }
}

int semver_cmp(const struct semver *a, const struct semver *b)
{
    int c = cmp_u(a->major, b->major);
    if (!c)
        c = cmp_u(a->minor, b->minor);
    if (!c)
        c = cmp_u(a->patch, b->patch);
    if (c)
        return c;
    if (!a->pre[0] || !b->pre[0])
        return !a->pre[0] && !b->pre[0] ? 0 : !a->pre[0] ? 1 : -1;
    return cmp_pre(a->pre, b->pre);
}

/* ---- ranges ---------------------------------------------------------------------- */

enum op { OP_ANY, OP_NONE, OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ };

struct cmpr {
    enum op op;
    struct semver v;
};

struct set {
    struct cmpr c[SEMVER_MAX_COMPARATORS];
    int n;
};

static bool add(struct set *s, enum op op, uint64_t ma, uint64_t mi, uint64_t pa, const char *pre)
{
    if (s->n == SEMVER_MAX_COMPARATORS)
        return false;
    struct cmpr *c = &s->c[s->n++];
    memset(c, 0, sizeof *c);
    c->op = op;
    c->v.major = ma;
    c->v.minor = mi;
    c->v.patch = pa;
    if (pre)
        snprintf(c->v.pre, sizeof c->v.pre, "%s", pre); /* fits: both are SEMVER_MAX_PRE */
    return true;
}

/* The upper bound "below the next major/minor", as node-semver writes it:
 * <X.Y.Z-0 (below every prerelease of it too). */
static bool below(struct set *s, uint64_t ma, uint64_t mi, uint64_t pa)
{
    return add(s, OP_LT, ma, mi, pa, "0");
}

/* The version just above a partial's last given number, as an exclusive
 * upper bound: 1 -> <2.0.0-0, 1.2 -> <1.3.0-0. */
static bool below_next(struct set *s, const struct partial *p)
{
    if (p->n == 1)
        return below(s, p->v.major + 1, 0, 0);
    return below(s, p->v.major, p->v.minor + 1, 0);
}

static bool at_least(struct set *s, const struct partial *p)
{
    return add(s, OP_GE, p->v.major, p->v.minor, p->v.patch, p->v.pre);
}

/* One comparator token [t, e): its operator and its (partial) version. */
static bool comparator(struct set *s, const char *t, const char *e)
{
    static const struct {
        const char *text;
        char op; /* '<' '(' (<=) '>' ')' (>=) '=' '~' '^' */
    } ops[] = {{">=", ')'}, {"<=", '('}, {"~>", '~'}, {">", '>'},
               {"<", '<'},  {"=", '='},  {"~", '~'},  {"^", '^'}};
    char op = 0;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        size_t l = strlen(ops[i].text);
        if ((size_t)(e - t) >= l && memcmp(t, ops[i].text, l) == 0) {
            op = ops[i].op;
            t += l;
            break;
        }
    }
    struct partial p;
    if (!read_partial(t, e, &p))
        return false;
    const struct semver *v = &p.v;
    switch (op) {
    case 0:
    case '=':
        if (p.n == 0)
            return add(s, OP_ANY, 0, 0, 0, NULL);
        if (p.n == 3)
            return add(s, OP_EQ, v->major, v->minor, v->patch, v->pre);
        return at_least(s, &p) && below_next(s, &p);
    case '>':
        if (p.n == 0)
            return add(s, OP_NONE, 0, 0, 0, NULL);
        if (p.n == 3)
            return add(s, OP_GT, v->major, v->minor, v->patch, v->pre);
        if (p.n == 1)
            return add(s, OP_GE, v->major + 1, 0, 0, NULL);
        return add(s, OP_GE, v->major, v->minor + 1, 0, NULL);
    case ')': return p.n == 0 ? add(s, OP_ANY, 0, 0, 0, NULL) : at_least(s, &p);
    case '<':
        if (p.n == 0)
            return add(s, OP_NONE, 0, 0, 0, NULL);
        if (p.n == 3)
            return add(s, OP_LT, v->major, v->minor, v->patch, v->pre);
        return below(s, v->major, p.n == 2 ? v->minor : 0, 0);
    case '(':
        if (p.n == 0)
            return add(s, OP_ANY, 0, 0, 0, NULL);
        if (p.n == 3)
            return add(s, OP_LE, v->major, v->minor, v->patch, v->pre);
        return below_next(s, &p);
    case '~':
        if (p.n == 0)
            return add(s, OP_ANY, 0, 0, 0, NULL);
        return at_least(s, &p) &&
               (p.n == 1 ? below(s, v->major + 1, 0, 0) : below(s, v->major, v->minor + 1, 0));
    case '^':
        if (p.n == 0)
            return add(s, OP_ANY, 0, 0, 0, NULL);
        if (!at_least(s, &p))
            return false;
        if (v->major > 0 || p.n == 1)
            return below(s, v->major + 1, 0, 0);
        if (v->minor > 0 || p.n == 2)
            return below(s, 0, v->minor + 1, 0);
        return below(s, 0, 0, v->patch + 1);
    }
    return false;
}

/* A hyphen range "A - B": inclusive at both ends, a partial B meaning
 * "below the next" (1.2.3 - 2 is >=1.2.3 <3.0.0-0). */
static bool hyphen(struct set *s, const char *a, const char *ae, const char *b, const char *be)
{
    struct partial pa, pb;
    if (!read_partial(a, ae, &pa) || !read_partial(b, be, &pb))
        return false;
    if (pa.n > 0 && !at_least(s, &pa))
        return false;
    if (pb.n == 3)
        return add(s, OP_LE, pb.v.major, pb.v.minor, pb.v.patch, pb.v.pre);
    if (pb.n > 0)
        return below_next(s, &pb);
    return pa.n > 0 || add(s, OP_ANY, 0, 0, 0, NULL);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Reads one set [p, e) into s. */
static bool read_set(struct set *s, const char *p, const char *e)
{
    const char *tok[SEMVER_MAX_COMPARATORS][2];
    int nt = 0;
    s->n = 0;
    while (p < e) {
        while (p < e && is_space(*p))
            p++;
        if (p == e)
            break;
        const char *t = p;
        while (p < e && (*p == '<' || *p == '>' || *p == '=' || *p == '~' || *p == '^'))
            p++;
        if (p > t) /* an operator may be followed by spaces: ">= 1.2.3" */
            while (p < e && is_space(*p))
                p++;
        while (p < e && !is_space(*p))
            p++;
        if (nt == SEMVER_MAX_COMPARATORS)
            return false;
        tok[nt][0] = t;
        tok[nt][1] = p;
        nt++;
    }
    if (nt == 3 && tok[1][1] - tok[1][0] == 1 && *tok[1][0] == '-')
        return hyphen(s, tok[0][0], tok[0][1], tok[2][0], tok[2][1]);
    if (nt == 0)
        return add(s, OP_ANY, 0, 0, 0, NULL);
    for (int i = 0; i < nt; i++) {
        /* strip the spaces between an operator and its version */
        char buf[SEMVER_MAX_RANGE + 1];
        size_t n = 0;
        for (const char *q = tok[i][0]; q < tok[i][1]; q++)
            if (!is_space(*q))
                buf[n++] = *q;
        if (!comparator(s, buf, buf + n))
            return false;
    }
    return true;
}

static bool holds(const struct cmpr *c, const struct semver *v)
{
    int r = semver_cmp(v, &c->v);
    switch (c->op) {
    case OP_ANY: return true;
    case OP_NONE: return false;
    case OP_LT: return r < 0;
    case OP_LE: return r <= 0;
    case OP_GT: return r > 0;
    case OP_GE: return r >= 0;
    case OP_EQ: return r == 0;
    }
    return false;
}

static bool set_holds(const struct set *s, const struct semver *v)
{
    for (int i = 0; i < s->n; i++)
        if (!holds(&s->c[i], v))
            return false;
    if (!v->pre[0])
        return true;
    /* A prerelease only where the set names one of the same release. */
    for (int i = 0; i < s->n; i++) {
        const struct semver *w = &s->c[i].v;
        if (s->c[i].op != OP_ANY && s->c[i].op != OP_NONE && w->pre[0] && w->major == v->major &&
            w->minor == v->minor && w->patch == v->patch)
            return true;
    }
    return false;
}

int semver_satisfies(const struct semver *v, const char *r, size_t n)
{
    if (n > SEMVER_MAX_RANGE || memchr(r, '\0', n))
        return -1;
    const char *p = r, *end = r + n;
    bool any = false;
    struct set s;
    for (;;) {
        const char *bar = p;
        while (bar + 1 < end && !(bar[0] == '|' && bar[1] == '|'))
            bar++;
        const char *se = bar + 1 < end ? bar : end;
        for (const char *q = p; q < se; q++)
            if (*q == '|')
                return -1; /* a lone '|' */
        if (!read_set(&s, p, se))
            return -1;
        if (!any && set_holds(&s, v))
            any = true;
        if (se == end)
            break;
        p = se + 2;
    }
    return any;
}
