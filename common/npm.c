/*
 * npm.c — see npm.h.
 *
 * The walker is on transform's hot path (collaborator lists name thousands
 * of users per package), so it never tokenises: an object goes through
 * json_each_member, which validates as it walks, and an array of strings is
 * scanned here with json_skip per element. A name without a backslash is
 * copied as it stands; only escaped ones go through json_unescape.
 *
 * Faults are judged in one order: a body that is not valid JSON is invalid
 * JSON, whatever else is wrong with it (the whole body is validated again
 * only on that error path); only a valid body can have the wrong shape.
 */
#include "npm.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "json.h"
#include "strset.h"
#include "url.h"

bool npm_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > NPM_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

bool npm_org_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > NPM_ORG_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

struct npm_team npm_team_split(const char *full, size_t n, const char *default_org)
{
    struct npm_team t;
    const char *colon = memchr(full, ':', n);
    if (colon) {
        t.org = full;
        t.org_len = (size_t)(colon - full);
        t.name = colon + 1;
        t.name_len = n - t.org_len - 1;
    } else {
        t.org = default_org ? default_org : "";
        t.org_len = strlen(t.org);
        t.name = full;
        t.name_len = n;
    }
    return t;
}

static const struct {
    bool object;
    const char *desc, *value;
} shapes[NPM_SHAPE_COUNT] = {
    [NPM_ROSTER] = {true, "the org roster must be an object {user: role}", "role"},
    [NPM_TEAMS] = {false, "the team list must be an array of \"org:team\" strings", ""},
    [NPM_PACKAGES] = {true, "the package list must be an object {package: access}", "access"},
    [NPM_TEAM_MEMBERS] = {false, "a team's member list must be an array of user names", ""},
    [NPM_TEAM_PACKAGES] = {true,
                           "a team's package permissions must be an object {package: permission}",
                           "permission"},
    [NPM_COLLABORATORS] = {true, "collaborators must be an object {user: permission}",
                           "permission"},
};

bool npm_shape_is_object(enum npm_shape s)
{
    return shapes[s].object;
}

const char *npm_shape_desc(enum npm_shape s)
{
    return shapes[s].desc;
}

const char *npm_shape_value(enum npm_shape s)
{
    return shapes[s].value;
}

/* ---- the walker ------------------------------------------------------------ */

struct walk {
    const char *body;
    size_t len;
    enum npm_shape shape;
    unsigned flags;
    npm_entry_fn fn;
    void *ctx;
    struct err *e;
    enum npm_list_status st;
    struct strset seen;
    struct buf name, val;
};

/* Raw JSON string content [p, p+n) (between the quotes) into out, decoded. */
static void raw_str(struct buf *out, const char *p, size_t n)
{
    buf_reset(out);
    if (!memchr(p, '\\', n))
        buf_append(out, p, n);
    else
        json_unescape(out, p, n);
}

/* The fault found at a byte of a body, or earlier: invalid JSON wins. */
static enum npm_list_status fault(struct walk *w, enum npm_list_status st)
{
    size_t bad = 0;
    if (!json_validate(w->body, w->len, &bad)) {
        err_set(w->e, ERR_FAIL, "invalid JSON at byte %zu", bad);
        return NPM_LIST_INVALID;
    }
    if (st == NPM_LIST_NOT_STRING && shapes[w->shape].object)
        err_set(w->e, ERR_FAIL, "unexpected shape: the %s of '%s' is not a string",
                shapes[w->shape].value, w->name.p);
    else
        err_set(w->e, ERR_FAIL, "unexpected shape: %s", shapes[w->shape].desc);
    return st;
}

/* name: w->name, or NULL for an array entry that is not a string. */
static int hand_out(struct walk *w, const char *name, const char *value, size_t vn)
{
    if (name && (w->flags & NPM_LIST_DEDUPE) &&
        strset_add(&w->seen, w->name.p, w->name.len, NULL) == 0)
        return 0;
    if (w->fn(w->ctx, name, name ? w->name.len : 0, value, vn) < 0) {
        w->st = NPM_LIST_STOPPED;
        return -1;
    }
    return 0;
}

static int member(void *vctx, const char *k, size_t kl, const char *v, size_t vn)
{
    struct walk *w = vctx;
    raw_str(&w->name, k, kl);
    if (vn < 2 || v[0] != '"') {
        if (!(w->flags & NPM_LIST_LENIENT)) {
            w->st = NPM_LIST_NOT_STRING;
            return -1;
        }
        return hand_out(w, w->name.p, NULL, 0);
    }
    raw_str(&w->val, v + 1, vn - 2);
    return hand_out(w, w->name.p, w->val.p, w->val.len);
}

static enum npm_list_status walk_object(struct walk *w, const char *p, const char *end)
{
    const char *bad = NULL;
    const char *q = json_each_member(p, end, member, w, &bad);
    if (!q && !bad) /* the callback stopped, and w->st says why */
        return w->st == NPM_LIST_NOT_STRING ? fault(w, NPM_LIST_NOT_STRING) : w->st;
    if (q && json_skip_ws(q, end) != end)
        bad = json_skip_ws(q, end), q = NULL;
    if (!q) {
        err_set(w->e, ERR_FAIL, "invalid JSON at byte %zu", (size_t)(bad - w->body));
        return NPM_LIST_INVALID;
    }
    return NPM_LIST_OK;
}

/* One element at p (not whitespace); the byte after it, or NULL. */
static const char *element(struct walk *w, const char *p, const char *end)
{
    const char *q = json_skip(p, end, NULL);
    if (!q) {
        w->st = NPM_LIST_INVALID;
        return NULL;
    }
    if (*p != '"') {
        if (!(w->flags & NPM_LIST_LENIENT)) {
            w->st = NPM_LIST_NOT_STRING;
            return NULL;
        }
        return hand_out(w, NULL, "", 0) < 0 ? NULL : q;
    }
    raw_str(&w->name, p + 1, (size_t)(q - p) - 2);
    return hand_out(w, w->name.p, "", 0) < 0 ? NULL : q;
}

static enum npm_list_status walk_array(struct walk *w, const char *p, const char *end)
{
    p = json_skip_ws(p + 1, end);
    if (p < end && *p == ']') {
        p++;
    } else {
        for (;;) {
            if (!(p = element(w, p, end)))
                return w->st == NPM_LIST_STOPPED ? w->st : fault(w, w->st);
            p = json_skip_ws(p, end);
            if (p < end && *p == ',') {
                p = json_skip_ws(p + 1, end);
                continue;
            }
            if (p < end && *p == ']') {
                p++;
                break;
            }
            return fault(w, NPM_LIST_INVALID);
        }
    }
    if (json_skip_ws(p, end) != end)
        return fault(w, NPM_LIST_INVALID);
    return NPM_LIST_OK;
}

enum npm_list_status npm_list_walk(const char *body, size_t n, enum npm_shape shape, unsigned flags,
                                   npm_entry_fn fn, void *ctx, struct err *e)
{
    struct walk w = {body, n,           shape,       flags,    fn,      ctx,
                     e,    NPM_LIST_OK, STRSET_INIT, BUF_INIT, BUF_INIT};
    const char *end = body + n, *p = json_skip_ws(body, end);
    char open = shapes[shape].object ? '{' : '[';
    enum npm_list_status st;
    if (p >= end || *p != open)
        st = fault(&w, NPM_LIST_WRONG_TYPE);
    else if (shapes[shape].object)
        st = walk_object(&w, p, end);
    else
        st = walk_array(&w, p, end);
    strset_free(&w.seen, NULL);
    buf_free(&w.name);
    buf_free(&w.val);
    return st;
}

/* ---- request paths --------------------------------------------------------- */

static void path_team(struct buf *out, const char *org, const char *full, const char *what)
{
    struct npm_team t = npm_team_split(full, strlen(full), org);
    char *o = xmemdup0(t.org, t.org_len), *name = xmemdup0(t.name, t.name_len);
    buf_puts(out, "/-/team/");
    url_encode(out, o);
    buf_putc(out, '/');
    url_encode(out, name);
    buf_puts(out, what);
    free(o);
    free(name);
}

void npm_request_path(struct buf *out, enum dump_kind k, const char *org, const char *subject)
{
    switch (k) {
    case K_WHOAMI: buf_puts(out, "/-/whoami"); return;
    case K_ORG_USERS:
    case K_ORG_TEAMS:
    case K_ORG_PACKAGES:
        buf_puts(out, "/-/org/");
        url_encode(out, subject);
        buf_puts(out, k == K_ORG_USERS   ? "/user"
                      : k == K_ORG_TEAMS ? "/team?format=cli"
                                         : "/package");
        return;
    case K_TEAM_USERS: path_team(out, org, subject, "/user?format=cli"); return;
    case K_TEAM_PACKAGES: path_team(out, org, subject, "/package"); return;
    case K_USER_PROFILES:
        buf_puts(out, "/-/user/org.couchdb.user:");
        url_encode(out, subject);
        return;
    case K_PACKAGE_VISIBILITY:
    case K_PACKAGE_COLLABORATORS:
        buf_puts(out, "/-/package/");
        url_encode_package(out, subject);
        buf_puts(out, k == K_PACKAGE_VISIBILITY ? "/visibility" : "/collaborators");
        return;
    case K_PACKUMENTS:
        buf_putc(out, '/');
        url_encode_package(out, subject);
        return;
    case K_COLLECTOR_PROFILE: buf_puts(out, "/-/npm/v1/user"); return;
    case K_COLLECTOR_TOKENS: buf_puts(out, "/-/npm/v1/tokens"); return;
    case K_ATTESTATIONS: {
        /* "<name>@<version>": the version follows the last '@' (a scoped
         * name starts with one). */
        const char *at = strrchr(subject, '@');
        if (!at || at == subject) {
            buf_puts(out, "/-/npm/v1/attestations/");
            url_encode(out, subject);
            return;
        }
        struct buf name = BUF_INIT;
        buf_append(&name, subject, (size_t)(at - subject));
        buf_puts(out, "/-/npm/v1/attestations/");
        url_encode_package(out, name.p);
        buf_putc(out, '@');
        url_encode(out, at + 1);
        buf_free(&name);
        return;
    }
    case K_ADVISORIES: buf_puts(out, "/-/npm/v1/security/advisories/bulk"); return;
    case K_COUNT: break;
    }
}
