/*
 * supply.c — the supply-chain kinds (dumpfmt.h): the collecting account's
 * profile and token list, the latest versions' attestations, and the
 * advisories of the org's packages.
 *
 * Order and memory. In a dump, attestations and advisories come after
 * every package document, and a package's entity is written as soon as its
 * document is read (model.h): its entity is already in the graph's spool
 * when its provenance and advisories arrive. Rather than hold entities (or
 * their documents) until then, a package's join entry keeps what the
 * document said that the late facts need (its latest version, the names
 * of its `repository`) and the late facts themselves (a few short strings
 * and counters); graph.c asks supply_amend() for them as it copies the
 * entity out, and they are spliced in. The PUBLISHED mapping, which the
 * provenance decides, is written at the end (emit_published). Advisories
 * are held once each by id (an org's distinct advisories are few) and
 * written at the end, when "open" (some package's latest version is
 * affected) is known; their package HAS advisory relationships are written as they are
 * read. So transform still reads the dump once and holds a few words per
 * package.
 *
 * Partial: a failed answer marks the types its kind feeds (schema.h); an
 * answer the dump should hold but does not (a latest version with
 * dist.attestations and no attestation record; a package with a document
 * that no advisories request named; the profile or token list absent)
 * marks them too — unless the dump was made before the kind existed (its
 * manifest does not count it, input.h): then its facts are absent and
 * nothing is expected of it. A failed advisories
 * batch leaves the counts of the packages its request named absent.
 * Every property whose source is missing is left out, never guessed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "attest.h"
#include "emit.h"
#include "json.h"
#include "log.h"
#include "semver.h"
#include "timeutil.h"

static bool ok2xx(const struct record *r)
{
    return !r->failed && r->status >= 200 && r->status < 300 && r->body;
}

/* A raw JSON string value (with quotes) decoded into out; false if not one. */
static bool raw_str(const char *v, size_t n, struct buf *out)
{
    buf_reset(out);
    return v && n >= 2 && v[0] == '"' && json_unescape(out, v + 1, n - 2) == 0 &&
           strlen(out->p) == out->len;
}

static int64_t raw_time(const char *v, size_t n)
{
    int64_t ms;
    if (!v || n < 2 || v[0] != '"')
        return -1;
    return time_parse_iso8601(v + 1, n - 2, &ms) ? ms : -1;
}

static char *dup_or_null(const struct buf *b)
{
    return b->len ? xstrdup(b->p) : NULL;
}

/* ---- the collecting account ------------------------------------------------------- */

/* An answer that is not a usable one (a failure, an error status): the
 * types the kind feeds are partial. A 404 of the profile or token list is
 * an answer (a registry that does not offer them: the facts are absent). */
static bool usable(struct model *m, const struct record *r)
{
    if (ok2xx(r))
        return true;
    if (!r->failed && r->status == 404 &&
        (r->kind == K_COLLECTOR_PROFILE || r->kind == K_COLLECTOR_TOKENS))
        return false;
    model_mark(m, r->kind);
    return false;
}

static int on_profile(struct model *m, const struct record *r)
{
    if (!usable(m, r))
        return 0;
    struct jdoc d = JDOC_INIT;
    struct buf mode = BUF_INIT;
    if (jdoc_parse(&d, r->body, r->body_len, NULL) < 0 || !jdoc_is(&d, 0, JT_OBJECT)) {
        log_warn("%s: the collecting account's profile is not a JSON object; collectorTfaMode is "
                 "left out",
                 r->where);
        model_mark(m, r->kind);
        goto out;
    }
    int tfa = jdoc_get(&d, 0, "tfa");
    bool b, pending = false;
    int pe = jdoc_get(&d, tfa, "pending");
    if (pe >= 0)
        jdoc_bool(&d, pe, &pending);
    free(m->coll.tfa_mode);
    m->coll.tfa_mode = NULL;
    /* as `npm profile get` reads it: off, or set up but pending, is disabled */
    if (tfa < 0 || jdoc_is_null(&d, tfa) || (jdoc_bool(&d, tfa, &b) == 0 && !b) || pending)
        m->coll.tfa_mode = xstrdup("disabled");
    else if (jdoc_str(&d, jdoc_get(&d, tfa, "mode"), &mode) == 0 &&
             (strcmp(mode.p, "auth-and-writes") == 0 || strcmp(mode.p, "auth-only") == 0))
        m->coll.tfa_mode = xstrdup(mode.p);
    else
        log_warn("%s: the collecting account's 2FA mode is not one npm names; collectorTfaMode is "
                 "left out",
                 r->where);
out:
    buf_free(&mode);
    jdoc_free(&d);
    return 0;
}

/* Hex digests compare without regard to case. */
static bool same_hex(const char *a, const char *b)
{
    return strlen(a) == strlen(b) && strcasecmp(a, b) == 0;
}

static int on_tokens(struct model *m, const struct record *r)
{
    struct collector *c = &m->coll;
    if (!usable(m, r))
        return 0;
    struct buf want = BUF_INIT, s = BUF_INIT;
    struct jdoc d = JDOC_INIT;
    if (!raw_str(r->token_key, r->token_key_len, &want) || !want.len) {
        c->no_token_key = true;
        goto out;
    }
    int list;
    if (jdoc_parse(&d, r->body, r->body_len, NULL) < 0 ||
        !jdoc_is(&d, (list = jdoc_get(&d, 0, "objects")), JT_ARRAY)) {
        log_warn("%s: the token list is not {\"objects\": [...]}; the collector token's facts are "
                 "left out",
                 r->where);
        model_mark(m, r->kind);
        goto out;
    }
    for (int x = jdoc_first(&d, list); x > 0; x = jdoc_after_elem(&d, list, x)) {
        buf_reset(&s);
        if (jdoc_str(&d, jdoc_get(&d, x, "key"), &s) < 0 || !same_hex(s.p, want.p))
            continue;
        c->token_found = true;
        int ro = jdoc_get(&d, x, "readonly"), cidr = jdoc_get(&d, x, "cidr_whitelist");
        bool b = false;
        c->readonly = ro >= 0 && jdoc_bool(&d, ro, &b) == 0 && b;
        strlist_free(&c->cidr);
        c->cidr_null = cidr < 0 || jdoc_is_null(&d, cidr);
        if (jdoc_is(&d, cidr, JT_ARRAY))
            for (int y = jdoc_first(&d, cidr); y > 0; y = jdoc_after_elem(&d, cidr, y)) {
                buf_reset(&s);
                if (jdoc_str(&d, y, &s) == 0 && s.len && strlen(s.p) == s.len)
                    strlist_add(&c->cidr, s.p, s.len);
            }
        size_t n;
        int cr = jdoc_get(&d, x, "created");
        const char *t = cr >= 0 ? jdoc_text(&d, cr, &n) : NULL;
        c->created = t ? raw_time(t, n) : -1;
        c->fetched = raw_time(r->fetched_at, r->fetched_at_len);
        break;
    }
out:
    buf_free(&want);
    buf_free(&s);
    jdoc_free(&d);
    return 0;
}

/* ---- attestations --------------------------------------------------------------- */

static int on_attestation(struct model *m, const struct record *r)
{
    const char *at = strrchr(r->subject, '@');
    struct package *p = NULL;
    if (at && at > r->subject) {
        char *name = xmemdup0(r->subject, (size_t)(at - r->subject));
        p = join_find_package(&m->j, name);
        free(name);
    }
    if (!p) {
        log_warn("%s: an attestation for '%s', which is not a version of the org's packages; "
                 "ignored",
                 r->where, r->subject);
        return 0;
    }
    if (!p->latest || strcmp(at + 1, p->latest) != 0) {
        log_warn("%s: an attestation for '%s', which is not the latest version of '%s'; ignored",
                 r->where, r->subject, p->name);
        return 0;
    }
    if (p->att_seen) {
        log_warn("%s: a second attestation answer for '%s'; ignored", r->where, r->subject);
        return 0;
    }
    p->att_seen = true;
    if (!r->failed && r->status == 404)
        return 0; /* an answer: the registry holds none */
    if (!usable(m, r))
        return 0;
    struct provfacts f;
    provfacts_init(&f);
    if (attest_read(r->body, r->body_len, r->where, &f) == 1) {
        if (f.repo_url.len) {
            p->prov_url = xstrdup(f.repo_url.p);
            p->prov_host = xstrdup(f.repo.host);
            p->prov_owner = xstrdup(f.repo.owner);
            p->prov_name = xstrdup(f.repo.name);
        } else {
            log_warn("%s: the provenance names no source repository this transform can read; "
                     "provenanceRepository is left out",
                     r->where);
        }
        p->prov_commit = dup_or_null(&f.commit);
        p->prov_workflow = dup_or_null(&f.workflow);
        p->prov_builder = dup_or_null(&f.builder);
        p->prov_trigger = dup_or_null(&f.trigger);
        p->prov_self_hosted = (signed char)f.self_hosted;
    }
    provfacts_free(&f);
    return 0;
}

/* ---- advisories ------------------------------------------------------------------- */

static const char *const severities[5] = {"critical", "high", "moderate", "low", "info"};
/* Finding.numericSeverity, on the data model's 0-10 scale. */
static const int severity_num[5] = {10, 7, 5, 3, 1};

struct advisory {
    char *id, *title, *url, *severity, *vector, *raw;
    char *from;  /* the package whose copy is kept: the first by name, so the
                    output does not depend on the order of the answers */
    char *score; /* the CVSS score's JSON number text; NULL: none */
    struct strlist cwe;
    bool open; /* some package's latest version is affected */
};

static void advisory_free(void *v)
{
    struct advisory *a = v;
    free(a->id);
    free(a->from);
    free(a->title);
    free(a->url);
    free(a->severity);
    free(a->vector);
    free(a->raw);
    free(a->score);
    strlist_free(&a->cwe);
    free(a);
}

static int severity_index(const char *s)
{
    for (int i = 0; i < 5; i++)
        if (s && strcmp(s, severities[i]) == 0)
            return i;
    return -1;
}

/* The advisory object's members but vulnerable_versions (which is the
 * package's: its HAS relationship says it). */
static int copy_but_range(void *ctx, const char *k, size_t kl, const char *v, size_t vl)
{
    struct jw *w = ctx;
    if (!json_key_is(k, kl, "vulnerable_versions")) {
        jw_key_raw(w, k, kl);
        jw_raw(w, v, vl);
    }
    return 0;
}

/* One advisory object at x, as package `pkg` lists it: the table's entry
 * (made on first sight, its facts taken from the first package by name);
 * NULL when it has no usable id. */
static struct advisory *advisory_of(struct model *m, const struct jdoc *d, int x, struct buf *s,
                                    const char *pkg)
{
    int idt = jdoc_get(d, x, "id");
    size_t n;
    const char *raw = idt >= 0 ? jdoc_raw(d, idt, &n) : NULL;
    long long num;
    buf_reset(s);
    if (!raw)
        return NULL;
    if (jdoc_is(d, idt, JT_PRIMITIVE) && jdoc_i64(d, idt, &num) == 0 && num >= 0)
        buf_printf(s, "%lld", num);
    else if (!jdoc_is(d, idt, JT_STRING) || jdoc_str(d, idt, s) < 0 || !s->len ||
             strlen(s->p) != s->len || strchr(s->p, '|'))
        return NULL;
    struct strset_entry *en;
    struct advisory *a;
    if (strset_add(&m->advisories, s->p, s->len, &en) == 0) {
        a = en->val;
        if (strcmp(pkg, a->from) >= 0)
            return a;
        bool open = a->open; /* another package's copy comes first: take its facts */
        char *id = a->id;
        a->id = NULL;
        advisory_free(a);
        a = xcalloc(1, sizeof *a);
        a->id = id;
        a->open = open;
    } else {
        a = xcalloc(1, sizeof *a);
        a->id = xstrdup(s->p);
    }
    en->val = a;
    a->from = xstrdup(pkg);
    struct buf t = BUF_INIT;
#define TAKE(key, field)                                                                           \
    buf_reset(&t);                                                                                 \
    if (jdoc_str(d, jdoc_get(d, x, key), &t) == 0 && t.len && strlen(t.p) == t.len)                \
        a->field = xstrdup(t.p);
    TAKE("title", title)
    TAKE("url", url)
    TAKE("severity", severity)
#undef TAKE
    int cvss = jdoc_get(d, x, "cvss");
    int sc = jdoc_get(d, cvss, "score");
    if (sc >= 0 && jdoc_is(d, sc, JT_PRIMITIVE) && !jdoc_is_null(d, sc)) {
        const char *v = jdoc_raw(d, sc, &n);
        if (n && (v[0] == '-' || (v[0] >= '0' && v[0] <= '9')))
            a->score = xmemdup0(v, n);
    }
    buf_reset(&t);
    if (jdoc_str(d, jdoc_get(d, cvss, "vectorString"), &t) == 0 && t.len && strlen(t.p) == t.len)
        a->vector = xstrdup(t.p);
    int cwe = jdoc_get(d, x, "cwe");
    if (jdoc_is(d, cwe, JT_ARRAY))
        for (int y = jdoc_first(d, cwe); y > 0; y = jdoc_after_elem(d, cwe, y)) {
            buf_reset(&t);
            if (jdoc_str(d, y, &t) == 0 && t.len && strlen(t.p) == t.len)
                strlist_add_unique(&a->cwe, t.p, t.len);
        }
    const char *text = jdoc_text(d, x, &n);
    struct jw w;
    buf_reset(&t);
    jw_init(&w, &t);
    jw_obj(&w);
    json_each_member(text, text + n, copy_but_range, &w, NULL);
    jw_obj_end(&w);
    a->raw = xstrdup(t.p);
    buf_free(&t);
    return a;
}

static int rel_has(struct model *m, const struct advisory *a, const struct package *p,
                   const char *range, int affected, struct err *e)
{
    struct buf from = BUF_INIT, to = BUF_INIT, key = BUF_INIT;
    struct jw w;
    emit_key(&from, T_PACKAGE, p->name);
    emit_key(&to, T_ADVISORY, a->id);
    rel_begin(m, &w, &key, T_PACKAGE_HAS_ADVISORY, from.p, to.p);
    if (range)
        jw_kstr(&w, "vulnerableVersions", range);
    if (affected >= 0)
        jw_kbool(&w, "latestVersionAffected", affected == 1);
    int rc = obj_finish(m, &w, T_PACKAGE_HAS_ADVISORY, key.p, e);
    buf_free(&from);
    buf_free(&to);
    buf_free(&key);
    return rc;
}

/* One package's list of advisories (value at list). */
static int package_advisories(struct model *m, const struct record *r, struct package *p,
                              const struct jdoc *d, int list, struct err *e)
{
    struct buf s = BUF_INIT, range = BUF_INIT;
    struct strset seen = STRSET_INIT;
    struct semver latest;
    bool have_latest = p->latest && semver_parse(p->latest, strlen(p->latest), &latest) == 0;
    int rc = -1;
    if (!jdoc_is(d, list, JT_ARRAY)) {
        log_warn("%s: the advisories of '%s' are not a list; its advisory facts are left out",
                 r->where, p->name);
        p->adv_failed = true;
        model_mark(m, K_ADVISORIES);
        rc = 0;
        goto out;
    }
    for (int x = jdoc_first(d, list); x > 0; x = jdoc_after_elem(d, list, x)) {
        struct advisory *a = jdoc_is(d, x, JT_OBJECT) ? advisory_of(m, d, x, &s, p->name) : NULL;
        if (!a) {
            log_warn("%s: an advisory of '%s' has no usable id; the package's advisory facts are "
                     "left out",
                     r->where, p->name);
            p->adv_failed = true;
            model_mark(m, K_ADVISORIES);
            continue;
        }
        if (strset_add(&seen, a->id, strlen(a->id), NULL) == 0)
            continue; /* listed twice for this package */
        int affected = -1;
        buf_reset(&range);
        int vv = jdoc_get(d, x, "vulnerable_versions");
        bool have_range = vv >= 0 && jdoc_str(d, vv, &range) == 0 && strlen(range.p) == range.len;
        if (have_range && have_latest) {
            affected = semver_satisfies(&latest, range.p, range.len);
            if (affected < 0)
                log_warn("%s: advisory %s of '%s': vulnerable_versions '%s' is not a range this "
                         "transform reads; latestVersionAffected is left out",
                         r->where, a->id, p->name, range.p);
        }
        if (affected < 0)
            p->adv_unreadable = true;
        if (affected == 1) {
            p->latest_affected = 1;
            a->open = true;
        }
        int si = severity_index(a->severity);
        if (si >= 0)
            p->adv[si]++;
        p->n_adv++;
        if (rel_has(m, a, p, have_range ? range.p : NULL, affected, e) < 0)
            goto out;
    }
    rc = 0;
out:
    strset_free(&seen, NULL);
    buf_free(&s);
    buf_free(&range);
    return rc;
}

/* The packages a batch asked about (request.body's names): flag is
 * adv_asked, or adv_failed for a failed batch. */
struct asked {
    struct model *m;
    bool failed;
    struct buf name;
};

static int on_asked(void *ctx, const char *k, size_t kl, const char *v, size_t vl)
{
    struct asked *a = ctx;
    (void)v, (void)vl;
    buf_reset(&a->name);
    if (json_unescape(&a->name, k, kl) < 0 || strlen(a->name.p) != a->name.len)
        return 0;
    struct package *p = join_find_package(&a->m->j, a->name.p);
    if (!p)
        return 0;
    p->adv_asked = true;
    if (a->failed)
        p->adv_failed = true;
    return 0;
}

static int on_advisories(struct model *m, const struct record *r, struct err *e)
{
    bool ok = ok2xx(r);
    struct asked as = {m, !ok, BUF_INIT};
    if (r->req_body && r->req_body_len && r->req_body[0] == '{')
        json_each_member(r->req_body, r->req_body + r->req_body_len, on_asked, &as, NULL);
    else
        log_warn("%s: an advisories batch without its request body: which packages it asked about "
                 "is unknown%s",
                 r->where, ok ? "" : " (their advisory facts are left out)");
    buf_free(&as.name);
    if (!usable(m, r))
        return 0;
    struct jdoc d = JDOC_INIT;
    int rc = 0;
    if (jdoc_parse(&d, r->body, r->body_len, NULL) < 0 || !jdoc_is(&d, 0, JT_OBJECT)) {
        log_warn("%s: the advisories answer is not a JSON object; the advisory facts of its "
                 "packages are left out",
                 r->where);
        as = (struct asked){m, true, BUF_INIT};
        if (r->req_body && r->req_body[0] == '{')
            json_each_member(r->req_body, r->req_body + r->req_body_len, on_asked, &as, NULL);
        buf_free(&as.name);
        model_mark(m, r->kind);
        goto out;
    }
    struct buf name = BUF_INIT;
    for (int k = jdoc_first(&d, 0); k > 0; k = jdoc_after_member(&d, 0, k)) {
        buf_reset(&name);
        struct package *p = jdoc_str(&d, k, &name) == 0 && strlen(name.p) == name.len
                                ? join_find_package(&m->j, name.p)
                                : NULL;
        if (!p) {
            log_warn("%s: advisories for '%s', which is not one of the org's packages; ignored",
                     r->where, name.p);
            continue;
        }
        if (!p->adv_asked) {
            log_warn("%s: advisories for '%s', which the batch did not ask about; ignored",
                     r->where, p->name);
            continue;
        }
        if ((rc = package_advisories(m, r, p, &d, k + 1, e)) < 0)
            break;
    }
    buf_free(&name);
out:
    jdoc_free(&d);
    return rc;
}

/* ---- the end -------------------------------------------------------------------- */

static int emit_advisory(struct model *m, const struct advisory *a, struct err *e)
{
    struct buf key = BUF_INIT, name = BUF_INIT;
    struct jw w;
    emit_key(&key, T_ADVISORY, a->id);
    ent_begin(m, &w, T_ADVISORY, key.p);
    jw_kstr(&w, "id", a->id);
    const char *ghsa = a->url ? strstr(a->url, "GHSA-") : NULL;
    if (a->title)
        buf_puts(&name, a->title);
    else
        buf_printf(&name, "npm advisory %s", ghsa ? ghsa : a->id);
    jw_kstr(&w, "name", name.p);
    jw_kstr(&w, "displayName", name.p);
    jw_kstr(&w, "category", "application");
    int si = severity_index(a->severity);
    jw_key(&w, "severity");
    jw_str(&w, a->severity); /* required: null when npm gives none */
    jw_key(&w, "numericSeverity");
    if (si >= 0)
        jw_int(&w, severity_num[si]);
    else
        jw_null(&w);
    jw_kbool(&w, "open", a->open);
    if (ghsa)
        jw_kstr(&w, "ghsaId", ghsa);
    if (a->url && strncmp(a->url, "https://", 8) == 0 && !strpbrk(a->url, " \"<>\\^`{|}"))
        jw_kstr(&w, "webLink", a->url);
    if (a->cwe.n) {
        jw_key(&w, "cwe");
        str_array(&w, &a->cwe);
    }
    if (a->score) {
        jw_key(&w, "cvssScore");
        jw_raw(&w, a->score, strlen(a->score));
    }
    if (a->vector)
        jw_kstr(&w, "cvssVector", a->vector);
    ent_tags(m, &w);
    jw_key(&w, "_rawData");
    jw_arr(&w);
    raw_begin(&w, "default");
    jw_raw(&w, a->raw, strlen(a->raw));
    jw_obj_end(&w);
    jw_arr_end(&w);
    int rc = obj_finish(m, &w, T_ADVISORY, key.p, e);
    buf_free(&key);
    buf_free(&name);
    return rc;
}

/* The dump's collect knew kind k: its answers are expected. */
static bool collected(const struct model *m, const struct input_info *info, enum dump_kind k)
{
    return m->seen[k] || info->counted[k];
}

int supply_finish(struct model *m, const struct input_info *info, struct err *e)
{
    if (collected(m, info, K_COLLECTOR_PROFILE) && !m->seen[K_COLLECTOR_PROFILE])
        model_mark(m, K_COLLECTOR_PROFILE);
    if (collected(m, info, K_COLLECTOR_TOKENS) && !m->seen[K_COLLECTOR_TOKENS])
        model_mark(m, K_COLLECTOR_TOKENS);
    if (m->coll.no_token_key)
        log_warn("the token list does not say which token collected (no \"token_key\"); the "
                 "collector token's facts are left out");
    else if (m->seen[K_COLLECTOR_TOKENS] && !m->coll.token_found && !(m->partial & TB(T_ACCOUNT)))
        log_warn("the collecting token is not in its account's token list; the collector token's "
                 "facts are left out");
    size_t no_att = 0, not_asked = 0;
    for (size_t i = 0; i < m->j.packages.cap; i++) {
        struct package *p = join_slot(&m->j.packages, i);
        if (!p)
            continue;
        if (p->att_expected && !p->att_seen)
            no_att++;
        if (p->latest && !p->adv_asked)
            not_asked++;
        if (p->adv_asked && !p->adv_failed && !p->adv_unreadable && p->latest_affected < 0 &&
            p->latest && semver_parse(p->latest, strlen(p->latest), &(struct semver){0}) == 0)
            p->latest_affected = 0;
        if (emit_published(m, p, e) < 0)
            return -1;
    }
    if (no_att && collected(m, info, K_ATTESTATIONS)) {
        model_mark(m, K_ATTESTATIONS);
        if (m->seen[K_ATTESTATIONS])
            log_warn("%zu package(s) have provenance but no attestation answer in the dump; their "
                     "provenance facts are left out",
                     no_att);
    }
    if (not_asked && collected(m, info, K_ADVISORIES))
        model_mark(m, K_ADVISORIES);
    struct strset_entry **v = strset_sorted(&m->advisories);
    int rc = 0;
    for (size_t i = 0; i < m->advisories.n && rc == 0; i++)
        rc = emit_advisory(m, v[i]->val, e);
    free(v);
    return rc;
}

int supply_record(struct model *m, const struct record *r, struct err *e)
{
    switch (r->kind) {
    case K_COLLECTOR_PROFILE: return on_profile(m, r);
    case K_COLLECTOR_TOKENS: return on_tokens(m, r);
    case K_ATTESTATIONS: return on_attestation(m, r);
    case K_ADVISORIES: return on_advisories(m, r, e);
    default: return 0;
    }
}

/* ---- the late facts of a package ------------------------------------------------------ */

static void kstr(struct buf *x, const char *k, const char *v)
{
    if (!v)
        return;
    if (x->len)
        buf_putc(x, ',');
    json_quote(x, k, strlen(k));
    buf_putc(x, ':');
    json_quote(x, v, strlen(v));
}

static void kraw(struct buf *x, const char *k, const char *raw)
{
    if (x->len)
        buf_putc(x, ',');
    json_quote(x, k, strlen(k));
    buf_putc(x, ':');
    buf_puts(x, raw);
}

static bool same_ci(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

void supply_amend(void *ctx, enum gtype t, const char *key, size_t klen, struct buf *x)
{
    struct model *m = ctx;
    size_t pl = strlen(gtypes[T_PACKAGE].prefix);
    if (t != T_PACKAGE || klen <= pl)
        return;
    char *name = xmemdup0(key + pl, klen - pl); /* the key is not NUL-terminated */
    struct package *p = join_find_package(&m->j, name);
    free(name);
    if (!p)
        return;
    kstr(x, "provenanceRepository", p->prov_url);
    kstr(x, "provenanceCommit", p->prov_commit);
    kstr(x, "provenanceWorkflow", p->prov_workflow);
    kstr(x, "provenanceBuilder", p->prov_builder);
    if (p->prov_self_hosted >= 0)
        kraw(x, "provenanceSelfHostedRunner", p->prov_self_hosted ? "true" : "false");
    kstr(x, "provenanceTrigger", p->prov_trigger);
    /* Only when both name a repository: GitHub and GitLab names are not
     * case-sensitive. */
    if (p->prov_url && p->repo_kind == REPO_MAPPED)
        kraw(x, "repositoryMismatch",
             same_ci(p->prov_host, p->repo_host) && same_ci(p->prov_owner, p->repo_owner) &&
                     same_ci(p->prov_name, p->repo_name)
                 ? "false"
                 : "true");
    if (p->adv_asked && !p->adv_failed) {
        static const char *const names[5] = {"criticalAdvisoryCount", "highAdvisoryCount",
                                             "moderateAdvisoryCount", "lowAdvisoryCount",
                                             "infoAdvisoryCount"};
        char num[32];
        snprintf(num, sizeof num, "%u", p->n_adv);
        kraw(x, "advisoryCount", num);
        for (int i = 0; i < 5; i++) {
            snprintf(num, sizeof num, "%u", p->adv[i]);
            kraw(x, names[i], num);
        }
        if (p->latest_affected >= 0)
            kraw(x, "latestVersionAffected", p->latest_affected ? "true" : "false");
    }
}

void supply_free(struct model *m)
{
    strset_free(&m->advisories, advisory_free);
    free(m->coll.tfa_mode);
    strlist_free(&m->coll.cidr);
}
