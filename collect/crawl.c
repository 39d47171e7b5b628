/*
 * crawl.c — see crawl.h.
 *
 * The crawl is a feeder on top of the HTTP engine. Org-level lists (the
 * roster, the teams, the packages) are requested once whoami has proved the
 * token; each answer fills a subject list (deduplicated). A feeder keeps at
 * most 2 × concurrency per-item requests outstanding, taking subjects from
 * the lists in a fixed kind order (team data, profiles, package metadata,
 * then package documents), so memory holds the subject names and a small
 * window of requests — never one request object per item of a 10,000-
 * package org.
 *
 * Stream mode adds one rule: packuments start only after every other kind
 * is finished, so that dump.c can write all small records first.
 *
 * Stopping: a 401 anywhere, or a 403 on an org-level list, means the token
 * cannot do this job: everything in flight is cancelled and the run ends
 * with ERR_AUTH. An org-level 404 means the org does not exist. If the crawl
 * had already recorded per-item answers, the dump is still committed (marked
 * incomplete, with the reason), so nothing fetched is lost.
 */
#include "crawl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "dump.h"
#include "dumpfmt.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "progress.h"
#include "strset.h"
#include "timeutil.h"

#define MAX_LIST_ITEMS 1000000 /* no real org is near this; a hostile answer could be */
#define MAX_LIST_BYTES ((size_t)256 << 20)
#define MAX_NAME 512
#define MAX_FAILURE_WARNINGS 20

struct item {
    struct http_req req;
    enum dump_kind kind;
    char *subject;
    char *path;
    char *url;
};

struct team {
    char *full; /* "org:team" as the registry spells it */
    char *org;
    char *name;
};

struct list {
    char **v;
    size_t n, cap;
    struct strset seen;
};

struct crawl {
    const struct crawl_opts *o;
    struct http_client *http;
    struct dump *dump;
    struct progress prog;
    int phase[K_COUNT];
    struct list users, packages, team_names;
    struct team *teams;
    size_t nteams, capteams;
    size_t cursor[K_COUNT];
    unsigned outstanding[K_COUNT];
    unsigned total_outstanding;
    bool list_done[K_COUNT];
    bool fatal;
    struct err fatal_err;
    uint64_t item_records;
    size_t members; /* the roster's size (users also holds outside collaborators) */
    int warnings;
    char whoami[MAX_NAME];
};

static const enum dump_kind feed_order[] = {
    K_TEAM_USERS,         K_TEAM_PACKAGES,         K_USER_PROFILES,
    K_PACKAGE_VISIBILITY, K_PACKAGE_COLLABORATORS, K_PACKUMENTS};

static bool org_level(enum dump_kind k)
{
    return k == K_WHOAMI || k == K_ORG_USERS || k == K_ORG_TEAMS || k == K_ORG_PACKAGES;
}

/* The list a per-item kind takes its subjects from, and its parent kind. */
static size_t subjects_of(const struct crawl *c, enum dump_kind k, enum dump_kind *parent)
{
    switch (k) {
    case K_TEAM_USERS:
    case K_TEAM_PACKAGES: *parent = K_ORG_TEAMS; return c->nteams;
    case K_USER_PROFILES: *parent = K_ORG_USERS; return c->users.n;
    case K_PACKAGE_VISIBILITY:
    case K_PACKAGE_COLLABORATORS:
    case K_PACKUMENTS: *parent = K_ORG_PACKAGES; return c->packages.n;
    default: *parent = k; return 0;
    }
}

static void set_fatal(struct crawl *c, enum err_class cls, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_fatal(struct crawl *c, enum err_class cls, const char *fmt, ...)
{
    if (!c->fatal) {
        va_list ap;
        va_start(ap, fmt);
        err_vset(&c->fatal_err, cls, fmt, ap);
        va_end(ap);
        c->fatal = true;
    }
    http_cancel_all(c->http);
}

static void item_free(struct item *it)
{
    if (!it)
        return;
    http_req_release(&it->req);
    free(it->subject);
    free(it->path);
    free(it->url);
    free(it);
}

static int submit(struct crawl *c, enum dump_kind k, const char *subject, const char *path)
{
    struct item *it = calloc(1, sizeof *it);
    struct buf url = BUF_INIT;
    if (!it)
        return -1;
    it->kind = k;
    it->subject = strdup(subject);
    it->path = strdup(path);
    if (buf_puts(&url, c->o->registry) < 0 || buf_puts(&url, path + 1) < 0 || !it->subject ||
        !it->path) {
        buf_free(&url);
        item_free(it);
        return -1;
    }
    it->url = buf_detach(&url);
    it->req.url = it->url;
    it->req.method = "GET";
    it->req.ud = it;
    c->outstanding[k]++;
    c->total_outstanding++;
    http_submit(c->http, &it->req);
    return 0;
}

static int submit_org_level(struct crawl *c)
{
    struct buf enc = BUF_INIT, p = BUF_INIT;
    int rc = url_encode(&enc, c->o->org) < 0 ? -1 : 0;
    const struct {
        enum dump_kind k;
        const char *suffix;
    } lists[] = {
        {K_ORG_USERS, "/user"},
        {K_ORG_TEAMS, "/team?format=cli"},
        {K_ORG_PACKAGES, "/package"},
    };
    for (size_t i = 0; i < sizeof lists / sizeof lists[0] && rc == 0; i++) {
        buf_reset(&p);
        if (buf_printf(&p, "/-/org/%s%s", enc.p, lists[i].suffix) < 0 ||
            submit(c, lists[i].k, c->o->org, p.p) < 0)
            rc = -1;
    }
    buf_free(&enc);
    buf_free(&p);
    return rc;
}

static int item_path(const struct crawl *c, enum dump_kind k, size_t i, struct buf *p,
                     const char **subject)
{
    struct buf a = BUF_INIT, b = BUF_INIT;
    int rc = -1;
    switch (k) {
    case K_TEAM_USERS:
    case K_TEAM_PACKAGES: {
        const struct team *t = &c->teams[i];
        *subject = t->full;
        if (url_encode(&a, t->org) == 0 && url_encode(&b, t->name) == 0)
            rc = buf_printf(p, "/-/team/%s/%s/%s", a.p ? a.p : "", b.p ? b.p : "",
                            k == K_TEAM_USERS ? "user?format=cli" : "package");
        break;
    }
    case K_USER_PROFILES:
        *subject = c->users.v[i];
        if (url_encode(&a, c->users.v[i]) == 0)
            rc = buf_printf(p, "/-/user/org.couchdb.user:%s", a.p ? a.p : "");
        break;
    case K_PACKAGE_VISIBILITY:
    case K_PACKAGE_COLLABORATORS:
    case K_PACKUMENTS:
        *subject = c->packages.v[i];
        if (url_encode_package(&a, c->packages.v[i]) == 0) {
            if (k == K_PACKUMENTS)
                rc = buf_printf(p, "/%s", a.p ? a.p : "");
            else
                rc = buf_printf(p, "/-/package/%s/%s", a.p ? a.p : "",
                                k == K_PACKAGE_VISIBILITY ? "visibility" : "collaborators");
        }
        break;
    default: break;
    }
    buf_free(&a);
    buf_free(&b);
    return rc;
}

/* Every kind but packuments has nothing left to do. */
static bool small_kinds_finished(const struct crawl *c)
{
    if (!c->list_done[K_WHOAMI] || !c->list_done[K_ORG_USERS] || !c->list_done[K_ORG_TEAMS] ||
        !c->list_done[K_ORG_PACKAGES])
        return false;
    for (int k = 0; k < K_PACKUMENTS; k++) {
        enum dump_kind parent;
        if (c->outstanding[k] || c->cursor[k] < subjects_of(c, (enum dump_kind)k, &parent))
            return false;
    }
    return true;
}

/* Collaborator answers can still add profiles to fetch. */
static bool collaborators_pending(const struct crawl *c)
{
    return !c->list_done[K_ORG_PACKAGES] || c->outstanding[K_PACKAGE_COLLABORATORS] ||
           c->cursor[K_PACKAGE_COLLABORATORS] < c->packages.n;
}

static void update_phases(struct crawl *c)
{
    for (int k = 0; k < K_COUNT; k++) {
        enum dump_kind parent;
        size_t n = subjects_of(c, (enum dump_kind)k, &parent);
        if (k == K_USER_PROFILES && collaborators_pending(c))
            continue;
        if (c->list_done[parent] && !c->outstanding[k] && c->cursor[k] >= n &&
            (org_level((enum dump_kind)k) ? c->list_done[k] : true) &&
            !c->prog.ph[c->phase[k]].finished) {
            progress_total(&c->prog, c->phase[k], org_level((enum dump_kind)k) ? 1 : n);
            progress_finish(&c->prog, c->phase[k]);
            const struct dump_counts *dc = dump_get_counts(c->dump, (enum dump_kind)k);
            log_debug("%s: %llu fetched, %llu failed", dump_kind_names[k],
                      (unsigned long long)dc->ok, (unsigned long long)dc->failed);
        }
    }
}

static void feed(struct crawl *c)
{
    unsigned limit = (unsigned)c->o->concurrency * 2;
    while (!c->fatal && c->total_outstanding < limit) {
        bool submitted = false;
        for (size_t j = 0; j < sizeof feed_order / sizeof feed_order[0]; j++) {
            enum dump_kind k = feed_order[j], parent;
            size_t n = subjects_of(c, k, &parent);
            if (c->cursor[k] >= n)
                continue;
            if (k == K_PACKUMENTS && dump_is_stream(c->dump)) {
                if (!small_kinds_finished(c))
                    break;
                struct err e = {0};
                if (dump_release_small(c->dump, &e) < 0) {
                    set_fatal(c, ERR_FAIL, "%s", e.msg);
                    return;
                }
            }
            struct buf p = BUF_INIT;
            const char *subject = NULL;
            size_t i = c->cursor[k]++;
            if (item_path(c, k, i, &p, &subject) < 0 || submit(c, k, subject, p.p) < 0) {
                buf_free(&p);
                set_fatal(c, ERR_FAIL, "out of memory");
                return;
            }
            buf_free(&p);
            submitted = true;
            break;
        }
        if (!submitted)
            break;
    }
}

/* ---- lists ---------------------------------------------------------------- */

static bool plausible_name(const char *s, size_t n)
{
    if (n == 0 || n > MAX_NAME - 1)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

static int list_add(struct list *l, const char *s, size_t n)
{
    int r = strset_add(&l->seen, s, n, NULL);
    if (r <= 0)
        return r; /* duplicate (0) or out of memory (-1) */
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 64;
        char **nv = realloc(l->v, nc * sizeof *nv);
        if (!nv)
            return -1;
        l->v = nv;
        l->cap = nc;
    }
    if (!(l->v[l->n] = strndup(s, n)))
        return -1;
    l->n++;
    return 1;
}

static void list_free(struct list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    strset_free(&l->seen, NULL);
}

static int add_team(struct crawl *c, const char *s, size_t n)
{
    int r = list_add(&c->team_names, s, n);
    if (r <= 0)
        return r;
    if (c->nteams == c->capteams) {
        size_t nc = c->capteams ? c->capteams * 2 : 16;
        struct team *nt = realloc(c->teams, nc * sizeof *nt);
        if (!nt)
            return -1;
        c->teams = nt;
        c->capteams = nc;
    }
    struct team *t = &c->teams[c->nteams];
    const char *colon = memchr(s, ':', n);
    t->full = strndup(s, n);
    if (colon) {
        t->org = strndup(s, (size_t)(colon - s));
        t->name = strndup(colon + 1, n - (size_t)(colon - s) - 1);
    } else {
        t->org = strdup(c->o->org);
        t->name = strndup(s, n);
    }
    if (!t->full || !t->org || !t->name) {
        free(t->full);
        free(t->org);
        free(t->name);
        return -1;
    }
    c->nteams++;
    return 1;
}

/* Reads an org-level list answer into the subject lists. Returns false when
 * the body does not have the shape the registry documents. */
static bool take_list(struct crawl *c, enum dump_kind k, struct http_req *r)
{
    struct buf body = BUF_INIT;
    struct jdoc d = JDOC_INIT;
    struct err e = {0};
    bool ok = false;
    if (http_body_load(&r->body, &body, MAX_LIST_BYTES, &e) < 0 ||
        jdoc_parse(&d, body.p ? body.p : "", body.len, &e) < 0) {
        log_warn("%s: unreadable answer: %s", dump_kind_names[k], e.msg);
        goto out;
    }
    if (k == K_WHOAMI) {
        int u = jdoc_get(&d, 0, "username");
        struct buf name = BUF_INIT;
        if (u >= 0 && jdoc_str(&d, u, &name) == 0 && plausible_name(name.p, name.len))
            snprintf(c->whoami, sizeof c->whoami, "%s", name.p);
        buf_free(&name);
        ok = true; /* the status proved the token; the name is only for messages */
        goto out;
    }
    bool want_object = k != K_ORG_TEAMS;
    if (!jdoc_is(&d, 0, want_object ? JT_OBJECT : JT_ARRAY)) {
        log_warn("%s: expected a JSON %s, got something else", dump_kind_names[k],
                 want_object ? "object" : "array");
        goto out;
    }
    if (d.t[0].size > MAX_LIST_ITEMS) {
        log_warn("%s: %d entries is more than this tool accepts (%d)", dump_kind_names[k],
                 d.t[0].size, MAX_LIST_ITEMS);
        goto out;
    }
    ok = true;
    struct buf s = BUF_INIT;
    for (int x = jdoc_first(&d, 0); x > 0;
         x = want_object ? jdoc_after_member(&d, 0, x) : jdoc_after_elem(&d, 0, x)) {
        buf_reset(&s);
        if (jdoc_str(&d, x, &s) < 0 || !plausible_name(s.p, s.len)) {
            log_warn("%s: skipping an entry that is not a plausible name", dump_kind_names[k]);
            ok = false;
            continue;
        }
        if (k == K_ORG_USERS)
            c->members++;
        int r2 = k == K_ORG_USERS      ? list_add(&c->users, s.p, s.len)
                 : k == K_ORG_PACKAGES ? list_add(&c->packages, s.p, s.len)
                                       : add_team(c, s.p, s.len);
        if (r2 < 0) {
            set_fatal(c, ERR_FAIL, "out of memory reading %s", dump_kind_names[k]);
            ok = false;
            break;
        }
    }
    buf_free(&s);
out:
    jdoc_free(&d);
    buf_free(&body);
    return ok;
}

/* Collaborators from outside the org are people a security team wants to
 * identify: their profiles (emails) are fetched too. The user list is a set,
 * so members named again are not fetched twice. */
static void take_collaborators(struct crawl *c, struct http_req *r)
{
    struct buf body = BUF_INIT, name = BUF_INIT;
    struct jdoc d = JDOC_INIT;
    if (http_body_load(&r->body, &body, MAX_LIST_BYTES, NULL) < 0 ||
        jdoc_parse(&d, body.p ? body.p : "", body.len, NULL) < 0 || !jdoc_is(&d, 0, JT_OBJECT))
        goto out; /* the record is kept as it came; transform judges its shape */
    for (int k = jdoc_first(&d, 0); k > 0; k = jdoc_after_member(&d, 0, k)) {
        buf_reset(&name);
        if (c->users.n < MAX_LIST_ITEMS && jdoc_str(&d, k, &name) == 0 &&
            plausible_name(name.p, name.len) && list_add(&c->users, name.p, name.len) < 0) {
            set_fatal(c, ERR_FAIL, "out of memory");
            break;
        }
    }
    progress_total(&c->prog, c->phase[K_USER_PROFILES], c->users.n);
out:
    jdoc_free(&d);
    buf_free(&body);
    buf_free(&name);
}

/* ---- completion ---------------------------------------------------------- */

static void on_auth_refused(struct crawl *c, enum dump_kind k, long status, const char *subject)
{
    const char *origin = c->o->token->origin;
    if (status == 401)
        set_fatal(c, ERR_AUTH,
                  "the registry refused the token (HTTP 401 on %s %s): it is wrong, expired or "
                  "revoked. Check %s, or create a new read-only token with `npm token create "
                  "--read-only`",
                  dump_kind_names[k], subject, origin);
    else
        set_fatal(c, ERR_AUTH,
                  "the registry refused access to org '%s' (HTTP 403 on %s)%s%s: the token's user "
                  "is not a member of that org, or the token lacks the rights to read it (%s)",
                  c->o->org, dump_kind_names[k], c->whoami[0] ? " for user " : "", c->whoami,
                  origin);
}

static void on_done(struct http_req *r, void *ctx)
{
    struct crawl *c = ctx;
    struct item *it = r->ud;
    enum dump_kind k = it->kind;
    c->outstanding[k]--;
    c->total_outstanding--;
    if (r->outcome == HTTP_CANCELLED) {
        item_free(it);
        return;
    }
    bool answered = r->outcome == HTTP_ANSWER;
    long st = r->status;
    bool ok2xx = answered && st >= 200 && st < 300;
    bool usable = answered;

    if (answered && (st == 401 || (st == 403 && org_level(k)))) {
        on_auth_refused(c, k, st, it->subject);
        usable = false;
    } else if (answered && st == 404 && org_level(k) && k != K_WHOAMI) {
        char qb[ERR_QUOTE_MAX];
        set_fatal(c, ERR_FAIL,
                  "org '%s' was not found on %s (HTTP 404 on %s): check the --org spelling and "
                  "the --registry",
                  c->o->org, err_quote(c->o->registry, qb), dump_kind_names[k]);
        usable = false;
    } else if (k == K_WHOAMI && !ok2xx) {
        char qb[ERR_QUOTE_MAX];
        if (answered)
            set_fatal(c, ERR_FAIL,
                      "the registry %s answered whoami with HTTP %ld: is it an npm "
                      "registry?",
                      err_quote(c->o->registry, qb), st);
        else
            set_fatal(c, ERR_FAIL, "cannot reach the registry %s: %s",
                      err_quote(c->o->registry, qb), r->error);
        usable = false;
    } else if (org_level(k)) {
        usable = ok2xx && take_list(c, k, r);
    } else if (k == K_PACKAGE_COLLABORATORS && ok2xx) {
        take_collaborators(c, r);
    }

    struct err e = {0};
    if (dump_record(c->dump, k, it->subject, it->path, r, usable, &e) < 0) {
        set_fatal(c, ERR_FAIL, "cannot write the dump: %s", e.msg);
        item_free(it);
        return;
    }
    if (!org_level(k))
        c->item_records++;
    progress_done(&c->prog, c->phase[k], 1);
    if (r->attempts > 1)
        for (int i = 1; i < r->attempts; i++)
            progress_retry(&c->prog, c->phase[k]);

    if (!answered && !c->fatal) {
        if (c->warnings++ < MAX_FAILURE_WARNINGS)
            log_warn("%s %s: no answer after %d attempts (%s); recorded as failed",
                     dump_kind_names[k], it->subject, r->attempts, r->error);
        else if (c->warnings == MAX_FAILURE_WARNINGS + 1)
            log_warn("more items failed; the summary counts them all");
    } else if (answered && org_level(k) && !usable && !c->fatal) {
        log_warn("%s: HTTP %ld; the items it lists cannot be collected", dump_kind_names[k], st);
    }

    if (org_level(k))
        c->list_done[k] = true;
    if (k == K_WHOAMI && ok2xx && !c->fatal) {
        if (c->whoami[0])
            log_debug("authenticated to %s as %s", c->o->registry, c->whoami);
        if (submit_org_level(c) < 0)
            set_fatal(c, ERR_FAIL, "out of memory");
    }
    if (org_level(k) && k != K_WHOAMI) {
        enum dump_kind parent;
        for (int j = 0; j < K_COUNT; j++) {
            size_t n = subjects_of(c, (enum dump_kind)j, &parent);
            if (parent == k && j != (int)k)
                progress_total(&c->prog, c->phase[j], n);
        }
    }
    item_free(it);
    update_phases(c);
    feed(c);
}

static void tick(void *ctx)
{
    struct crawl *c = ctx;
    progress_draw(&c->prog, false);
}

/* ---- run ------------------------------------------------------------------- */

int crawl_run(const struct crawl_opts *o, struct crawl_summary *s, struct err *e)
{
    struct crawl c;
    memset(&c, 0, sizeof c);
    memset(s, 0, sizeof *s);
    c.o = o;
    int64_t t0 = time_mono_ms();
    char ua[64];
    snprintf(ua, sizeof ua, "j1-npm-collect/%s", J1NPM_VERSION);
    static const char *const headers[] = {"Accept: application/json", NULL};
    struct http_opts ho = {
        .concurrency = o->concurrency,
        .timeout_s = o->timeout_s,
        .retries = o->retries,
        .max_retry_wait_s = o->max_retry_wait_s,
        .cacert = o->cacert,
        .user_agent = ua,
        .bearer = o->token,
        .headers = headers,
    };
    struct dump_opts dopts = {o->out, o->force, o->org, o->registry, J1NPM_VERSION};
    c.dump = dump_open(&dopts, e);
    if (!c.dump)
        return -1;
    c.http = http_client_new(&ho, on_done, &c, e);
    if (!c.http) {
        dump_abort(c.dump);
        dump_free(c.dump);
        return -1;
    }
    progress_init(&c.prog, o->progress);
    for (int k = 0; k < K_COUNT; k++)
        c.phase[k] = progress_add(&c.prog, dump_kind_names[k]);
    progress_total(&c.prog, c.phase[K_WHOAMI], 1);

    int rc = 0;
    if (submit(&c, K_WHOAMI, o->org, "/-/whoami") < 0) {
        rc = err_set(e, ERR_FAIL, "out of memory");
    } else if (http_run(c.http, &cli_interrupted, tick, e) < 0) {
        s->interrupted = true;
        rc = -1;
    }
    progress_end(&c.prog);

    struct http_stats hs = http_get_stats(c.http);
    s->requests = hs.attempts;
    s->retries = hs.retries;
    s->users = c.members;
    s->outsiders = c.users.n - c.members;
    s->teams = c.nteams;
    s->packages = c.packages.n;
    for (int k = 0; k < K_COUNT; k++)
        s->failed_items += dump_get_counts(c.dump, (enum dump_kind)k)->failed;

    if (rc < 0) {
        dump_abort(c.dump); /* interrupted: no manifest, no final names */
    } else if (c.fatal && c.item_records == 0) {
        dump_abort(c.dump); /* nothing worth keeping was fetched */
        *e = c.fatal_err;
        rc = -1;
    } else {
        s->complete = !c.fatal && s->failed_items == 0;
        if (dump_commit(c.dump, s->complete, c.fatal ? c.fatal_err.msg : NULL, e) < 0) {
            dump_abort(c.dump);
            rc = -1;
        } else if (c.fatal) {
            *e = c.fatal_err;
            rc = -1;
        } else if (!s->complete) {
            rc = err_set(e, ERR_PARTIAL, "%llu item(s) failed and are recorded as failed",
                         (unsigned long long)s->failed_items);
        }
    }
    s->bytes_out = dump_bytes_written(c.dump);
    s->wall_ms = time_mono_ms() - t0;

    http_client_free(c.http);
    dump_free(c.dump);
    list_free(&c.users);
    list_free(&c.packages);
    list_free(&c.team_names);
    for (size_t i = 0; i < c.nteams; i++) {
        free(c.teams[i].full);
        free(c.teams[i].org);
        free(c.teams[i].name);
    }
    free(c.teams);
    return rc;
}
