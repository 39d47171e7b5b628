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
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "cli.h"
#include "dump.h"
#include "dumpfmt.h"
#include "fsutil.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "npm.h"
#include "pkgscan.h"
#include "prev.h"
#include "progress.h"
#include "strlist.h"
#include "supply.h"
#include "timeutil.h"
#include "work.h"

#define MAX_LIST_ITEMS 1000000 /* no real org is near this; a hostile answer could be */
#define MAX_LIST_BYTES ((size_t)256 << 20)
#define MAX_FAILURE_WARNINGS 20

struct item {
    struct http_req req;
    enum dump_kind kind;
    char *subject;
    char *path;
    char *url;
    const char *hdrs[4]; /* the condition (prev.h), or Cache-Control on a second ask;
                            a POST's content headers */
    bool conditional;
    bool asked_again;  /* after a 304 that could not be used */
    char *req_json;    /* advisories: the JSON body asked (recorded as request.body) */
    struct buf req_gz; /* ... as sent, gzip-compressed */
};

struct crawl {
    const struct crawl_opts *o;
    struct http_client *http;
    struct dump *dump;
    struct prev *since;  /* --since, or NULL */
    struct prev *resume; /* --resume: the work area, or NULL */
    struct progress prog;
    int phase[K_COUNT];
    /* The subjects, each list in the order first named, each name once;
     * teams as "org:team", as the registry spells them. */
    struct strlist users, packages, teams;
    size_t cursor[K_COUNT];
    unsigned outstanding[K_COUNT];
    unsigned total_outstanding;
    bool list_done[K_COUNT];
    struct err fatal; /* the first reason the crawl cannot go on (err_first) */
    uint64_t item_records;
    size_t members; /* the roster's size (users also holds outside collaborators) */
    int warnings;
    char whoami[NPM_NAME_MAX + 1];

    /* The supply-chain kinds. collector: the org, once whoami answered
     * (the subject of the collector's profile and token list). attested:
     * "name@version" of each package whose latest version has
     * dist.attestations. adv: the advisory batches (a batch's text is
     * freed once it is asked). unscanned: packages whose document this run
     * did not download (a 304, a kept record), whose facts come from the
     * earlier file once every document is in (pkgscan_file). */
    struct strlist collector, attested;
    struct supply_batcher adv;
    struct strset unscanned;
    bool facts_done; /* every package's facts are taken; the last batch closed */
    unsigned token_pages;
    bool token_warned;
    char token_key[129];
};

/* The supply-chain kinds come first: they are few, and a batch or an
 * attestation subject waiting in memory is freed once asked. */
static const enum dump_kind feed_order[] = {
    K_COLLECTOR_PROFILE, K_COLLECTOR_TOKENS,   K_ATTESTATIONS,
    K_ADVISORIES,        K_TEAM_USERS,         K_TEAM_PACKAGES,
    K_USER_PROFILES,     K_PACKAGE_VISIBILITY, K_PACKAGE_COLLABORATORS,
    K_PACKUMENTS};

static bool org_level(enum dump_kind k)
{
    return k == K_WHOAMI || k == K_ORG_USERS || k == K_ORG_TEAMS || k == K_ORG_PACKAGES;
}

/* An answer that makes a dump worth keeping when the crawl stops early:
 * anything about the org's items, not the org lists nor the collecting
 * account's own profile and tokens (asked as soon as whoami answers, they
 * say nothing of an org that then refuses us). */
static bool worth_keeping(enum dump_kind k)
{
    return !org_level(k) && k != K_COLLECTOR_PROFILE && k != K_COLLECTOR_TOKENS;
}

/* The list a per-item kind takes its subjects from (NULL for the org-level
 * kinds), and its parent kind. */
static const struct strlist *list_of(const struct crawl *c, enum dump_kind k,
                                     enum dump_kind *parent)
{
    switch (k) {
    case K_TEAM_USERS:
    case K_TEAM_PACKAGES: *parent = K_ORG_TEAMS; return &c->teams;
    case K_USER_PROFILES: *parent = K_ORG_USERS; return &c->users;
    case K_PACKAGE_VISIBILITY:
    case K_PACKAGE_COLLABORATORS:
    case K_PACKUMENTS: *parent = K_ORG_PACKAGES; return &c->packages;
    case K_COLLECTOR_PROFILE:
    case K_COLLECTOR_TOKENS: *parent = K_WHOAMI; return &c->collector;
    case K_ATTESTATIONS: *parent = K_PACKUMENTS; return &c->attested;
    case K_ADVISORIES: *parent = K_PACKUMENTS; return &c->adv.ready;
    default: *parent = k; return NULL;
    }
}

static size_t subjects_of(const struct crawl *c, enum dump_kind k, enum dump_kind *parent)
{
    const struct strlist *l = list_of(c, k, parent);
    return l ? l->n : 0;
}

static bool stopped(const struct crawl *c)
{
    return c->fatal.cls != ERR_NONE;
}

/* Every package document is in (fetched, failed, carried or kept). */
static bool packuments_done(const struct crawl *c)
{
    return c->list_done[K_ORG_PACKAGES] && !c->outstanding[K_PACKUMENTS] &&
           c->cursor[K_PACKUMENTS] >= c->packages.n;
}

/* The list a kind takes its subjects from is whole: its parent list
 * answered, or, for the kinds fed by package documents, every document is
 * in and its facts taken. */
static bool parent_done(const struct crawl *c, enum dump_kind k, enum dump_kind parent)
{
    if (k == K_ATTESTATIONS || k == K_ADVISORIES)
        return c->facts_done;
    return c->list_done[parent];
}

/* The records kind k has when finished: its subjects, and for the token
 * list each page. */
static size_t phase_total(const struct crawl *c, enum dump_kind k)
{
    enum dump_kind parent;
    size_t n = subjects_of(c, k, &parent);
    if (k == K_COLLECTOR_TOKENS && c->token_pages > n)
        n = c->token_pages;
    return n;
}

/* The crawl cannot go on: the first reason is kept, everything in flight
 * is cancelled. */
static void stop(struct crawl *c, enum err_class cls, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void stop(struct crawl *c, enum err_class cls, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vfirst(&c->fatal, cls, fmt, ap);
    va_end(ap);
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
    free(it->req_json);
    buf_free(&it->req_gz);
    free(it);
}

/* The kinds asked conditionally with --since (see crawl.h). The
 * supply-chain kinds are not: the collector's profile, its tokens and the
 * advisories are asked again every run, and an attestation is carried
 * without asking (prev_mark) since it never changes. */
static bool revalidatable(enum dump_kind k)
{
    return !org_level(k) && k != K_PACKAGE_COLLABORATORS && k != K_COLLECTOR_PROFILE &&
           k != K_COLLECTOR_TOKENS && k != K_ATTESTATIONS && k != K_ADVISORIES;
}

static void submit_at(struct crawl *c, enum dump_kind k, const char *subject, const char *at,
                      char *req_json);

/* Asks for the record of kind k about subject (the org for the org-level
 * kinds), at the path npm.h knows for it. */
static void submit(struct crawl *c, enum dump_kind k, const char *subject)
{
    submit_at(c, k, subject, NULL, NULL);
}

/* The same at another path of the registry (a next page), or, with
 * req_json (taken over), a POST of that body. */
static void submit_at(struct crawl *c, enum dump_kind k, const char *subject, const char *at,
                      char *req_json)
{
    struct item *it = xcalloc(1, sizeof *it);
    struct buf path = BUF_INIT, url = BUF_INIT;
    if (at)
        buf_puts(&path, at);
    else
        npm_request_path(&path, k, c->o->org, subject);
    buf_puts(&url, c->o->registry);
    buf_puts(&url, path.p + 1); /* the base ends in '/' */
    it->kind = k;
    it->subject = xstrdup(subject);
    it->path = buf_detach(&path);
    it->url = buf_detach(&url);
    it->req.url = it->url;
    it->req.method = "GET";
    it->req.ud = it;
    const char *cond = c->since && revalidatable(k) ? prev_condition(c->since, k, subject) : NULL;
    if (cond) {
        it->hdrs[0] = cond;
        it->req.headers = it->hdrs;
        it->conditional = true;
    }
    if (req_json) {
        struct err ge = {0};
        it->req_json = req_json;
        if (supply_gzip(req_json, strlen(req_json), &it->req_gz, &ge) < 0) {
            /* zlib failing on memory we hold: send it plain */
            buf_reset(&it->req_gz);
            buf_puts(&it->req_gz, req_json);
            it->hdrs[0] = "Content-Type: application/json";
        } else {
            it->hdrs[0] = "Content-Type: application/json";
            it->hdrs[1] = "Content-Encoding: gzip";
        }
        it->req.headers = it->hdrs;
        it->req.method = "POST";
        it->req.req_body = it->req_gz.p;
        it->req.req_body_len = it->req_gz.len;
    }
    c->outstanding[k]++;
    c->total_outstanding++;
    progress_start(&c->prog, c->phase[k]);
    http_submit(c->http, &it->req);
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
        if (k == K_USER_PROFILES && c->list_done[parent] && !c->prog.ph[c->phase[k]].total_final)
            progress_total(&c->prog, c->phase[k], n); /* no collaborator adds one now */
        if (c->phase[k] < 0)
            continue;
        if (parent_done(c, (enum dump_kind)k, parent) && !c->outstanding[k] && c->cursor[k] >= n &&
            (org_level((enum dump_kind)k) ? c->list_done[k] : true) &&
            !c->prog.ph[c->phase[k]].finished) {
            progress_total(&c->prog, c->phase[k],
                           org_level((enum dump_kind)k) ? 1 : phase_total(c, (enum dump_kind)k));
            progress_finish(&c->prog, c->phase[k]);
            const struct dump_counts *dc = dump_get_counts(c->dump, (enum dump_kind)k);
            log_debug("%s: %llu fetched, %llu failed", dump_kind_names[k],
                      (unsigned long long)dc->ok, (unsigned long long)dc->failed);
        }
    }
}

static void take_collaborator_names(struct crawl *c, const char *body, size_t n);

/* --resume: the work area already holds a definitive answer for subject,
 * which is marked to be carried instead of asked again. */
static bool take_kept(struct crawl *c, enum dump_kind k, const char *subject)
{
    const char *body = NULL;
    /* The collector's profile and tokens and the advisories are asked
     * again (the batches of this run are not those of the earlier one). */
    if (k == K_COLLECTOR_PROFILE || k == K_COLLECTOR_TOKENS || k == K_ADVISORIES)
        return false;
    if (k == K_ATTESTATIONS && c->since &&
        prev_mark(c->since, k, subject, time_wall_ms())) { /* it never changes */
        c->item_records++;
        progress_done(&c->prog, c->phase[k], 1);
        return true;
    }
    if (!c->resume || !prev_has(c->resume, k, subject, &body))
        return false;
    prev_mark(c->resume, k, subject, 0);
    if (k == K_PACKUMENTS && c->resume)
        strset_add(&c->unscanned, subject, strlen(subject), NULL);
    if (body)
        take_collaborator_names(c, body, strlen(body));
    c->item_records++;
    progress_done(&c->prog, c->phase[k], 1);
    return true;
}

static void take_all_facts(struct crawl *c);

static void feed(struct crawl *c)
{
    unsigned limit = (unsigned)c->o->concurrency * 2;
    if (!c->facts_done && !stopped(c) && packuments_done(c))
        take_all_facts(c);
    while (!stopped(c) && c->total_outstanding < limit) {
        bool submitted = false;
        for (size_t j = 0; j < sizeof feed_order / sizeof feed_order[0]; j++) {
            enum dump_kind k = feed_order[j], parent;
            const struct strlist *l = list_of(c, k, &parent);
            if (c->cursor[k] >= l->n)
                continue;
            if (k == K_PACKUMENTS && dump_is_stream(c->dump)) {
                if (!small_kinds_finished(c))
                    break;
                struct err e = {0};
                if (dump_release_small(c->dump, &e) < 0) {
                    stop(c, ERR_FAIL, "%s", e.msg);
                    return;
                }
            }
            if (k == K_ADVISORIES) { /* the batch's text moves to the request */
                char *body = c->adv.ready.v[c->cursor[k]];
                c->adv.ready.v[c->cursor[k]++] = NULL;
                submit_at(c, k, c->o->org, NULL, body);
                submitted = true;
                break;
            }
            const char *subject = l->v[c->cursor[k]++];
            if (!take_kept(c, k, subject))
                submit(c, k, subject);
            submitted = true;
            break;
        }
        if (!submitted)
            break;
    }
}

/* ---- lists ---------------------------------------------------------------- */

/* The names one list answer holds, gathered before any is added to the
 * subject lists: an answer that turns out unreadable or too long adds
 * nothing. The walker is lenient: collect reads only the names (a value
 * that is not a string is transform's to judge), and an entry that is not
 * a plausible name is skipped with a warning (warn), as for any name
 * npm.h's rule refuses. */
struct taken {
    enum dump_kind k;
    bool warn;
    bool skipped;
    size_t entries;
    struct strlist names;
};

static int take_entry(void *ctx, const char *name, size_t n, const char *value, size_t vn)
{
    struct taken *t = ctx;
    (void)value, (void)vn;
    if (++t->entries > MAX_LIST_ITEMS)
        return 0; /* only counted, for the message */
    if (!name || !npm_name_ok(name, n)) {
        if (t->warn)
            log_warn("%s: skipping an entry that is not a plausible name", dump_kind_names[t->k]);
        t->skipped = true;
        return 0;
    }
    strlist_add(&t->names, name, n);
    return 0;
}

/* Reads a list answer of kind k as shape into t. False (with a warning if
 * t->warn) when it cannot be read as that shape, or names too many. */
static bool take_names(struct http_req *r, enum npm_shape shape, struct taken *t)
{
    struct buf body = BUF_INIT;
    struct err e = {0};
    const char *kn = dump_kind_names[t->k];
    bool ok = false;
    if (http_body_load(&r->body, &body, MAX_LIST_BYTES, &e) < 0) {
        if (t->warn)
            log_warn("%s: unreadable answer: %s", kn, e.msg);
    } else {
        enum npm_list_status st =
            npm_list_walk(body.p, body.len, shape, NPM_LIST_LENIENT, take_entry, t, &e);
        if (st != NPM_LIST_OK && t->warn)
            log_warn(st == NPM_LIST_INVALID ? "%s: unreadable answer: %s" : "%s: %s", kn, e.msg);
        else if (t->entries > MAX_LIST_ITEMS && t->warn)
            log_warn("%s: %zu entries is more than this tool accepts (%d)", kn, t->entries,
                     MAX_LIST_ITEMS);
        ok = st == NPM_LIST_OK && t->entries <= MAX_LIST_ITEMS;
    }
    buf_free(&body);
    return ok;
}

/* The status proved the token; the name is only for messages. False when
 * the answer is not JSON. */
static bool take_whoami(struct crawl *c, struct http_req *r)
{
    struct buf body = BUF_INIT, name = BUF_INIT;
    struct jdoc d = JDOC_INIT;
    struct err e = {0};
    bool ok = false;
    if (http_body_load(&r->body, &body, MAX_LIST_BYTES, &e) < 0 ||
        jdoc_parse(&d, body.p, body.len, &e) < 0) {
        log_warn("%s: unreadable answer: %s", dump_kind_names[K_WHOAMI], e.msg);
    } else {
        ok = true;
        int u = jdoc_get(&d, 0, "username");
        if (u >= 0 && jdoc_str(&d, u, &name) == 0 && npm_name_ok(name.p, name.len))
            snprintf(c->whoami, sizeof c->whoami, "%s", name.p);
    }
    jdoc_free(&d);
    buf_free(&name);
    buf_free(&body);
    return ok;
}

/* Reads an org-level list answer into the subject lists. Returns false when
 * the body does not have the shape the registry documents, or names an
 * entry that was skipped. */
static bool take_list(struct crawl *c, enum dump_kind k, struct http_req *r)
{
    if (k == K_WHOAMI)
        return take_whoami(c, r);
    struct taken t = {k, true, false, 0, STRLIST_INIT};
    enum npm_shape shape = k == K_ORG_USERS   ? NPM_ROSTER
                           : k == K_ORG_TEAMS ? NPM_TEAMS
                                              : NPM_PACKAGES;
    struct strlist *to = k == K_ORG_USERS ? &c->users : k == K_ORG_TEAMS ? &c->teams : &c->packages;
    bool ok = take_names(r, shape, &t);
    if (ok) {
        for (size_t i = 0; i < t.names.n; i++)
            strlist_add_unique(to, t.names.v[i], strlen(t.names.v[i]));
        if (k == K_ORG_USERS)
            c->members += t.names.n;
        ok = !t.skipped;
    }
    strlist_free(&t.names);
    return ok;
}

/* Collaborators from outside the org are people a security team wants to
 * identify: their profiles (emails) are fetched too. The user list is a set,
 * so members named again are not fetched twice. A list of another shape is
 * kept in the dump as it came, for transform to judge. */
static void add_collaborators(struct crawl *c, struct taken *t)
{
    for (size_t i = 0; i < t->names.n && c->users.n < MAX_LIST_ITEMS; i++)
        strlist_add_unique(&c->users, t->names.v[i], strlen(t->names.v[i]));
    progress_total_so_far(&c->prog, c->phase[K_USER_PROFILES], c->users.n);
}

static void take_collaborators(struct crawl *c, struct http_req *r)
{
    struct taken t = {K_PACKAGE_COLLABORATORS, false, false, 0, STRLIST_INIT};
    if (take_names(r, NPM_COLLABORATORS, &t))
        add_collaborators(c, &t);
    strlist_free(&t.names);
}

/* The same for a collaborator list carried from the work area. */
static void take_collaborator_names(struct crawl *c, const char *body, size_t n)
{
    struct taken t = {K_PACKAGE_COLLABORATORS, false, false, 0, STRLIST_INIT};
    struct err e = {0};
    if (npm_list_walk(body, n, NPM_COLLABORATORS, NPM_LIST_LENIENT, take_entry, &t, &e) ==
            NPM_LIST_OK &&
        t.entries <= MAX_LIST_ITEMS)
        add_collaborators(c, &t);
    strlist_free(&t.names);
}

/* ---- supply-chain facts ------------------------------------------------ */

/* What one package document says for the supply-chain kinds: its latest
 * version's attestations to ask for, its versions to ask advisories of. */
static void take_facts(struct crawl *c, const char *name, struct pkgscan *ps)
{
    if (ps->latest_attested && c->attested.n < MAX_LIST_ITEMS) {
        struct buf subj = BUF_INIT;
        buf_printf(&subj, "%s@%s", name, ps->latest.p);
        strlist_add_unique(&c->attested, subj.p, subj.len);
        buf_free(&subj);
        progress_total_so_far(&c->prog, c->phase[K_ATTESTATIONS], c->attested.n);
    }
    if (ps->skipped)
        log_debug("packuments %s: %zu version(s) not asked about (implausible, or past %d)", name,
                  ps->skipped, PKGSCAN_MAX_VERSIONS);
    supply_batcher_add(&c->adv, name, (const char *const *)ps->versions.v, ps->versions.n);
    progress_total_so_far(&c->prog, c->phase[K_ADVISORIES], c->adv.ready.n + 1);
}

/* A document read back from an earlier file. Each package is taken once:
 * with --resume and --since both, a kept and a revalidated document are in
 * two files, and a file may hold a subject twice (the first counts). */
static void take_facts_cb(void *ctx, const char *name, struct pkgscan *ps)
{
    struct crawl *c = ctx;
    struct strset_entry *se = strset_get(&c->unscanned, name, strlen(name));
    if (!se || se->val)
        return;
    se->val = c; /* taken */
    take_facts(c, name, ps);
}

/* A fetched package document's facts, before the dump takes its body. A
 * document that cannot be read leaves its package out of both kinds. */
static void scan_packument(struct crawl *c, const char *name, struct http_req *r)
{
    struct pkgscan ps;
    struct err e = {0};
    pkgscan_init(&ps);
    if (pkgscan_body(&ps, &r->body, &e) == 0)
        take_facts(c, name, &ps);
    else
        log_warn("packuments %s: %s; its attestations and advisories are not asked", name, e.msg);
    pkgscan_free(&ps);
}

/* The earlier packuments files of prev (a dump, or the runs of the work
 * area, newest first) for the documents this run did not download. A work
 * area's file may lack (nothing was written to it) or be cut short by a
 * crash: the documents before the cut are read, and prev indexed no
 * record past it, so nothing carried goes unread. */
static void scan_earlier(struct crawl *c, const struct prev *p)
{
    for (size_t r = 0; r < prev_nruns(p) && c->unscanned.n; r++) {
        char *f = path_join(prev_run(p, r), dump_kind_files[K_PACKUMENTS]);
        struct err e = {0};
        if (prev_is_work(p) && access(f, F_OK) < 0 && errno == ENOENT) {
            free(f);
            continue;
        }
        if (pkgscan_file(f, &c->unscanned, take_facts_cb, c, &e) < 0) {
            if (prev_is_work(p))
                log_debug("%s: %s (a run cut short)", f, e.msg);
            else
                log_warn("cannot read the package documents carried from %s: %s; the packages "
                         "not read to there have no attestations or advisories asked",
                         prev_dir(p), e.msg);
        }
        free(f);
    }
}

/* Every document is in: the facts of the carried ones are read from their
 * earlier files, the last advisory batch is closed, and the two kinds'
 * lists are whole. */
static void take_all_facts(struct crawl *c)
{
    if (c->unscanned.n) {
        if (c->since)
            scan_earlier(c, c->since);
        if (c->resume)
            scan_earlier(c, c->resume);
    }
    supply_batcher_close(&c->adv);
    c->facts_done = true;
    progress_total(&c->prog, c->phase[K_ATTESTATIONS], c->attested.n);
    progress_total(&c->prog, c->phase[K_ADVISORIES], c->adv.ready.n);
}

/* A token list page: its next page is asked (bounded), and the collecting
 * token, when listed, is checked for being read-only. */
static void take_tokens_page(struct crawl *c, struct http_req *r)
{
    struct buf body = BUF_INIT;
    struct supply_tokens_page pg;
    struct err e = {0};
    memset(&pg, 0, sizeof pg);
    if (http_body_load(&r->body, &body, MAX_LIST_BYTES, &e) < 0 ||
        supply_tokens_read(body.p, body.len, c->token_key, c->o->registry, &pg, &e) < 0) {
        log_warn("%s: unreadable answer: %s", dump_kind_names[K_COLLECTOR_TOKENS], e.msg);
    } else {
        if (pg.found && !pg.readonly && !c->token_warned) {
            c->token_warned = true;
            log_warn("the token collect uses (%s%s%s) can publish: a read-only token is "
                     "enough. Create one with `npm token create --read-only`",
                     c->o->token->origin, pg.created[0] ? ", created " : "", pg.created);
        }
        if (pg.next.len && !stopped(c)) {
            if (c->token_pages >= SUPPLY_TOKEN_PAGES_MAX) {
                log_warn("%s: more than %d pages; the rest is not asked",
                         dump_kind_names[K_COLLECTOR_TOKENS], SUPPLY_TOKEN_PAGES_MAX);
            } else {
                c->token_pages++;
                progress_total_so_far(&c->prog, c->phase[K_COLLECTOR_TOKENS], c->token_pages);
                submit_at(c, K_COLLECTOR_TOKENS, c->o->org, pg.next.p, NULL);
            }
        }
    }
    supply_tokens_page_free(&pg);
    buf_free(&body);
}

/* ---- completion ---------------------------------------------------------- */

/* A 401, or a 403 on an org-level request: the message names the request
 * that was refused (kind and path) and the cause that fits it. whoami does
 * not involve the org, so a 403 there says nothing about membership; a 401
 * after whoami had accepted the token means it changed during the run or
 * this path wants other credentials. */
static void on_auth_refused(struct crawl *c, enum dump_kind k, long status, const char *path)
{
    const char *origin = c->o->token->origin, *kn = dump_kind_names[k];
    static const char fresh[] = "create a new read-only token with `npm token create --read-only`";
    if (status == 401 && c->list_done[K_WHOAMI])
        stop(c, ERR_AUTH,
             "the registry refused the token (HTTP 401 on %s, GET %s) after whoami had "
             "accepted it: it was revoked or expired during the run, or the registry wants other "
             "credentials for this path. Check %s, or %s",
             kn, path, origin, fresh);
    else if (status == 401)
        stop(c, ERR_AUTH,
             "the registry refused the token (HTTP 401 on %s, GET %s): it is wrong, expired or "
             "revoked. Check %s, or %s",
             kn, path, origin, fresh);
    else if (k == K_WHOAMI)
        stop(c, ERR_AUTH,
             "the registry refused the token's whoami (HTTP 403 on GET %s), which does not "
             "involve org '%s': the token lacks the rights for it or is the wrong kind (a "
             "granular access token without read access, or one limited to other IP "
             "ranges: see `npm token list`). Check %s, or %s",
             path, c->o->org, origin, fresh);
    else
        stop(c, ERR_AUTH,
             "the registry refused access to org '%s' (HTTP 403 on %s, GET %s)%s%s: the "
             "token's user is not a member of that org, or the token lacks the rights to read "
             "it (a granular access token not granted this org) (%s)",
             c->o->org, kn, path, c->whoami[0] ? " for user " : "", c->whoami, origin);
}

/* A 304: the earlier record is carried (true), or the item is asked again
 * without a condition (true), or, a second time, it is recorded as a failed
 * answer (false). */
static bool on_not_modified(struct crawl *c, struct item *it)
{
    enum dump_kind k = it->kind;
    if (it->conditional && prev_mark(c->since, k, it->subject, it->req.started_wall_ms)) {
        if (k == K_PACKUMENTS)
            strset_add(&c->unscanned, it->subject, strlen(it->subject), NULL);
        progress_done(&c->prog, c->phase[k], 1);
        if (worth_keeping(k))
            c->item_records++;
        item_free(it);
        update_phases(c);
        feed(c);
        return true;
    }
    if (it->asked_again)
        return false;
    log_debug("%s %s: HTTP 304 to a request %s; asking again without a condition",
              dump_kind_names[k], it->subject,
              it->conditional ? "whose earlier record is not held" : "that had no condition");
    static const char nocache[] = "Cache-Control: no-cache";
    http_req_release(&it->req);
    it->hdrs[0] = nocache;
    it->req.headers = it->hdrs;
    it->conditional = false;
    it->asked_again = true;
    c->outstanding[k]++;
    c->total_outstanding++;
    http_submit(c->http, &it->req);
    return true;
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
    if (answered && st == 304) {
        if (!stopped(c) && on_not_modified(c, it))
            return;
        usable = false; /* no body to use: recorded as failed */
    }

    if (answered && (st == 401 || (st == 403 && org_level(k)))) {
        on_auth_refused(c, k, st, it->path);
        usable = false;
    } else if (answered && st == 404 && org_level(k) && k != K_WHOAMI) {
        char qb[ERR_QUOTE_MAX];
        stop(c, ERR_FAIL,
             "org '%s' was not found on %s (HTTP 404 on %s): check the --org spelling and "
             "the --registry",
             c->o->org, err_quote(c->o->registry, qb), dump_kind_names[k]);
        usable = false;
    } else if (k == K_WHOAMI && !ok2xx) {
        char qb[ERR_QUOTE_MAX];
        if (answered)
            stop(c, ERR_FAIL,
                 "the registry %s answered whoami with HTTP %ld: is it an npm "
                 "registry?",
                 err_quote(c->o->registry, qb), st);
        else
            stop(c, ERR_FAIL, "cannot reach the registry %s: %s", err_quote(c->o->registry, qb),
                 r->error);
        usable = false;
    } else if (org_level(k)) {
        usable = ok2xx && take_list(c, k, r);
    } else if (k == K_PACKAGE_COLLABORATORS && ok2xx) {
        take_collaborators(c, r);
    } else if (k == K_PACKUMENTS && ok2xx && !stopped(c) && http_body_is_json(&r->body)) {
        scan_packument(c, it->subject, r);
    } else if (k == K_COLLECTOR_TOKENS && ok2xx && !stopped(c)) {
        take_tokens_page(c, r);
    }

    struct err e = {0};
    if (dump_record_ex(c->dump, k, it->subject, it->path, r, usable, it->req_json,
                       k == K_COLLECTOR_TOKENS ? c->token_key : NULL, &e) < 0) {
        stop(c, ERR_FAIL, "cannot write the dump: %s", e.msg);
        item_free(it);
        return;
    }
    if (worth_keeping(k))
        c->item_records++;
    progress_done(&c->prog, c->phase[k], 1);
    if (r->attempts > 1)
        for (int i = 1; i < r->attempts; i++)
            progress_retry(&c->prog, c->phase[k]);

    if (!answered && !stopped(c)) {
        if (c->warnings++ < MAX_FAILURE_WARNINGS)
            log_warn("%s %s: no answer after %d attempts (%s); recorded as failed",
                     dump_kind_names[k], it->subject, r->attempts, r->error);
        else if (c->warnings == MAX_FAILURE_WARNINGS + 1)
            log_warn("more items failed; the summary counts them all");
    } else if (answered && org_level(k) && !usable && !stopped(c)) {
        log_warn("%s: HTTP %ld; the items it lists cannot be collected", dump_kind_names[k], st);
    }

    if (org_level(k))
        c->list_done[k] = true;
    if (k == K_WHOAMI && ok2xx && !stopped(c)) {
        if (c->whoami[0])
            log_debug("authenticated to %s as %s", c->o->registry, c->whoami);
        submit(c, K_ORG_USERS, c->o->org);
        submit(c, K_ORG_TEAMS, c->o->org);
        submit(c, K_ORG_PACKAGES, c->o->org);
        /* The collecting account's own profile and tokens (fed below). */
        strlist_add(&c->collector, c->o->org, strlen(c->o->org));
        c->token_pages = 1;
        progress_total(&c->prog, c->phase[K_COLLECTOR_PROFILE], 1);
        progress_total_so_far(&c->prog, c->phase[K_COLLECTOR_TOKENS], 1);
    }
    if (org_level(k) && k != K_WHOAMI) {
        enum dump_kind parent;
        for (int j = 0; j < K_COUNT; j++) {
            size_t n = subjects_of(c, (enum dump_kind)j, &parent);
            if (parent == k && j != (int)k) {
                if (j == K_USER_PROFILES && collaborators_pending(c))
                    progress_total_so_far(&c->prog, c->phase[j], n);
                else
                    progress_total(&c->prog, c->phase[j], n);
            }
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

/* The previous dump of --since, refused when it is the --out directory
 * itself: with --force the new dump would replace the one it carries
 * records from. */
static struct prev *open_since(const struct crawl_opts *o, struct err *e)
{
    struct stat ps, os_;
    if (strcmp(o->out, "-") != 0 && stat(o->since, &ps) == 0 && stat(o->out, &os_) == 0 &&
        ps.st_dev == os_.st_dev && ps.st_ino == os_.st_ino) {
        err_set(e, ERR_USAGE,
                "--since %s is the --out directory: the new dump would replace the one it "
                "carries records from. Write the new dump elsewhere (and swap them after)",
                o->since);
        return NULL;
    }
    struct prev *p = prev_open(o->since, o->org, o->registry, e);
    if (p)
        log_debug("--since %s: %llu earlier answers can be revalidated", o->since,
                  (unsigned long long)prev_indexed(p));
    return p;
}

/* Interrupted: a directory run keeps what it had in the work area (a
 * resumed run all of its work area's answers too), else nothing. */
static void keep(struct crawl *c, struct crawl_summary *s)
{
    struct err ke = {0};
    if (dump_is_stream(c->dump) || (c->item_records == 0 && !c->resume)) {
        dump_abort(c->dump); /* no manifest, no final names */
        return;
    }
    if (c->resume)
        prev_mark_all(c->resume);
    if (dump_keep(c->dump, &ke) < 0) {
        log_error("could not keep the answers fetched so far: %s", ke.msg);
        dump_abort(c->dump);
        return;
    }
    s->kept = true;
    log_warn("the answers fetched so far are kept in %s/" WORK_DIR
             "; continue with: j1-npm-collect --org %s --resume %s",
             c->o->out, c->o->org, c->o->out);
}

/* --resume: the work area of out, checked against org and registry. */
static struct prev *open_resume(const struct crawl_opts *o, struct err *e)
{
    if (work_check(o->out, o->org, o->registry, e) < 0)
        return NULL;
    char *w = work_path(o->out);
    struct prev *p = prev_open_work(w, e);
    free(w);
    if (p)
        log_debug("--resume %s: %llu answers kept", o->out, (unsigned long long)prev_indexed(p));
    return p;
}

/* The dump's end: committed (complete or not) or abandoned, and the run's
 * outcome. rc < 0 on entry: interrupted. */
static int finish(struct crawl *c, struct crawl_summary *s, int rc, struct err *e)
{
    if (rc < 0) {
        keep(c, s);
        return -1;
    }
    if (stopped(c) && c->item_records == 0) {
        dump_abort(c->dump); /* nothing worth keeping was fetched */
        *e = c->fatal;
        return -1;
    }
    s->complete = !stopped(c) && s->failed_items == 0;
    if (dump_commit(c->dump, s->complete, stopped(c) ? c->fatal.msg : NULL, e) < 0) {
        dump_abort(c->dump);
        return -1;
    }
    if (stopped(c)) {
        *e = c->fatal;
        return -1;
    }
    if (!s->complete)
        return err_set(e, ERR_PARTIAL, "%llu item(s) failed and are recorded as failed",
                       (unsigned long long)s->failed_items);
    return 0;
}

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
    if (supply_batcher_init(&c.adv, 0, e) < 0)
        return -1;
    /* --since is checked first: --resume may change DIR (it takes an
     * incomplete dump back into the work area, work.h). */
    if (o->since && !(c.since = open_since(o, e)))
        goto fail;
    if (o->resume && !(c.resume = open_resume(o, e)))
        goto fail;
    struct dump_opts dopts = {o->out,        o->force, o->org,  o->registry,
                              J1NPM_VERSION, c.since,  c.resume};
    c.dump = dump_open(&dopts, e);
    if (!c.dump)
        goto fail;
    c.http = http_client_new(&ho, on_done, &c, e);
    if (!c.http) {
        dump_abort(c.dump);
        dump_free(c.dump);
        goto fail;
    }
    progress_init(&c.prog, o->progress);
    for (int k = 0; k < K_COUNT; k++)
        c.phase[k] = progress_add(&c.prog, dump_kind_names[k]);
    supply_token_key(o->token, c.token_key);
    progress_total(&c.prog, c.phase[K_WHOAMI], 1);

    int rc = 0;
    submit(&c, K_WHOAMI, o->org);
    if (http_run(c.http, &cli_interrupted, tick, e) < 0) {
        s->interrupted = true;
        rc = -1;
    }
    progress_end(&c.prog);

    struct http_stats hs = http_get_stats(c.http);
    s->requests = hs.attempts;
    s->retries = hs.retries;
    s->users = c.members;
    s->outsiders = c.users.n - c.members;
    s->teams = c.teams.n;
    s->packages = c.packages.n;
    for (int k = 0; k < K_COUNT; k++)
        s->failed_items += dump_get_counts(c.dump, (enum dump_kind)k)->failed;

    rc = finish(&c, s, rc, e);
    s->bytes_out = dump_bytes_written(c.dump);
    s->bytes_in = hs.bytes_in;
    s->since = c.since != NULL;
    for (int k = 0; k < K_COUNT; k++)
        s->revalidated += dump_get_counts(c.dump, (enum dump_kind)k)->revalidated;
    s->bytes_revalidated = dump_bytes_revalidated(c.dump);
    s->wall_ms = time_mono_ms() - t0;

    http_client_free(c.http);
    dump_free(c.dump);
    strlist_free(&c.collector);
    strlist_free(&c.attested);
    supply_batcher_free(&c.adv);
    strset_free(&c.unscanned, NULL);
    strlist_free(&c.users);
    strlist_free(&c.packages);
    strlist_free(&c.teams);
    prev_free(c.since);
    prev_free(c.resume);
    return rc;
fail:
    supply_batcher_free(&c.adv);
    prev_free(c.since);
    prev_free(c.resume);
    return -1;
}
