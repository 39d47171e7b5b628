/*
 * orgreport.c — see orgreport.h.
 *
 * Markdown and HTML are written through one small sink (heading,
 * paragraph, table, row), so the two say the same thing section by
 * section; JSON is written from the same helpers with the json.h writer.
 * The per-package and per-user views the sections need (teams that may
 * write a package, which users are in a team) are computed once from the
 * facts' sorted lists.
 */
#include "orgreport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "fsutil.h"
#include "json.h"
#include "orgpicture.h"
#include "timeutil.h"

/* ---- escaping ------------------------------------------------------------- */

void orep_md_escape(struct buf *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '<')
            buf_puts(out, "&lt;");
        else if (c == '>')
            buf_puts(out, "&gt;");
        else if (c == '&')
            buf_puts(out, "&amp;");
        else if (c == '"')
            buf_puts(out, "&quot;");
        else if (c < 0x20 || c == 0x7f)
            buf_putc(out, ' ');
        else {
            if (strchr("\\`*_[]|~", c))
                buf_putc(out, '\\');
            buf_putc(out, (char)c);
        }
    }
}

/* ---- the sink: Markdown or HTML -------------------------------------------- */

struct sink {
    enum orep_format fmt;
    struct buf *b;
    size_t ncols; /* of the open table */
};

/* Text from the input (or ours), escaped for the sink. */
static void text(struct sink *k, const char *s)
{
    if (k->fmt == OREP_MD)
        orep_md_escape(k->b, s);
    else
        pic_xml_escape(k->b, s, 0);
}

static void heading(struct sink *k, int level, const char *s)
{
    if (k->fmt == OREP_MD) {
        buf_printf(k->b, "%.*s ", level, "####");
        text(k, s);
        buf_puts(k->b, "\n\n");
    } else {
        buf_printf(k->b, "<h%d>", level);
        text(k, s);
        buf_printf(k->b, "</h%d>\n", level);
    }
}

static void para(struct sink *k, const char *s)
{
    if (k->fmt == OREP_MD) {
        text(k, s);
        buf_puts(k->b, "\n\n");
    } else {
        buf_puts(k->b, "<p>");
        text(k, s);
        buf_puts(k->b, "</p>\n");
    }
}

/* n cells; past them, up to the table's columns, empty ones. */
static void row(struct sink *k, const char *const *cells, size_t n, bool head)
{
    if (k->fmt == OREP_MD) {
        buf_puts(k->b, "|");
        for (size_t i = 0; i < k->ncols; i++) {
            buf_putc(k->b, ' ');
            text(k, i < n && cells[i] ? cells[i] : "");
            buf_puts(k->b, " |");
        }
        buf_putc(k->b, '\n');
        if (head) {
            buf_puts(k->b, "|");
            for (size_t i = 0; i < k->ncols; i++)
                buf_puts(k->b, " --- |");
            buf_putc(k->b, '\n');
        }
    } else {
        buf_puts(k->b, "<tr>");
        for (size_t i = 0; i < k->ncols; i++) {
            buf_puts(k->b, head ? "<th>" : "<td>");
            text(k, i < n && cells[i] ? cells[i] : "");
            buf_puts(k->b, head ? "</th>" : "</td>");
        }
        buf_puts(k->b, "</tr>\n");
    }
}

static void table(struct sink *k, size_t ncols, const char *const *head)
{
    k->ncols = ncols;
    if (k->fmt == OREP_HTML)
        buf_puts(k->b, "<table>\n");
    row(k, head, ncols, true);
}

static void table_end(struct sink *k)
{
    buf_puts(k->b, k->fmt == OREP_MD ? "\n" : "</table>\n");
}

/* ---- views over the facts ---------------------------------------------------- */

struct view {
    const struct ofacts *f;
    int64_t as_of;
    bool *in_team;        /* by user index */
    size_t *team_writers; /* by package index: teams with read-write */
    unsigned *risk;       /* by package index */
    size_t members, owners, admins, pub, priv, outsiders, teamless;
    /* which supply-chain properties the graph has at all */
    bool has_prov, has_downgrade, has_install, has_first, has_adv, has_mismatch;
};

static bool is_outsider(const struct view *v, const struct of_user *u)
{
    size_t n;
    return u->member == 0 && (ofacts_edges_from(v->f, OE_USER_PKG, u->name, &n) ||
                              ofacts_grants_of(v->f, u->name, &n));
}

static void view_build(struct view *v, const struct orep_in *in)
{
    const struct ofacts *f = in->f;
    memset(v, 0, sizeof *v);
    v->f = f;
    v->as_of = in->as_of;
    v->in_team = xcalloc(f->nusers + 1, sizeof *v->in_team);
    v->team_writers = xcalloc(f->npkgs + 1, sizeof *v->team_writers);
    v->risk = xcalloc(f->npkgs + 1, sizeof *v->risk);
    for (size_t i = 0; i < f->nedges[OE_TEAM_USER]; i++) {
        const struct of_user *u = ofacts_user(f, f->edges[OE_TEAM_USER][i].b);
        if (u)
            v->in_team[u - f->users] = true;
    }
    for (size_t i = 0; i < f->nedges[OE_TEAM_PKG]; i++) {
        const struct of_edge *x = &f->edges[OE_TEAM_PKG][i];
        const struct of_pkg *p = ofacts_pkg(f, x->b);
        if (p && x->perm && !strcmp(x->perm, "read-write"))
            v->team_writers[p - f->pkgs]++;
    }
    for (size_t i = 0; i < f->nusers; i++) {
        const struct of_user *u = &f->users[i];
        if (u->member == 1) {
            v->members++;
            v->owners += u->role && !strcmp(u->role, "owner");
            v->admins += u->role && !strcmp(u->role, "admin");
            v->teamless += !v->in_team[i];
        } else if (is_outsider(v, u)) {
            v->outsiders++;
        }
    }
    for (size_t i = 0; i < f->npkgs; i++) {
        const struct of_pkg *p = &f->pkgs[i];
        v->pub += p->pub == 1;
        v->priv += p->pub == 0;
        v->risk[i] = pic_risks(f, p);
        v->has_prov |= p->provenance != OF_ABSENT;
        v->has_downgrade |= p->downgrade != OF_ABSENT;
        v->has_install |= p->install != OF_ABSENT;
        v->has_first |= p->first_time != OF_ABSENT;
        v->has_adv |= p->adv != OF_NONE;
        v->has_mismatch |= p->mismatch != OF_ABSENT;
    }
}

static void view_free(struct view *v)
{
    free(v->in_team);
    free(v->team_writers);
    free(v->risk);
}

static void date_of(int64_t ms, char out[32])
{
    if (ms <= 0) {
        out[0] = '\0';
        return;
    }
    time_iso8601(ms, out);
    out[10] = '\0';
}

static bool stale(const struct view *v, const struct of_pkg *p)
{
    return v->as_of > 0 && p->published_on != OF_NONE && p->published_on > 0 &&
           p->published_on < v->as_of - OREP_STALE_MS;
}

static const char *vis(const struct of_pkg *p)
{
    return p->pub == 1 ? "public" : p->pub == 0 ? "private" : "unknown";
}

static void risk_list(struct buf *b, unsigned r)
{
    for (int k = 0; k < RISK_COUNT; k++)
        if (r & (1u << k))
            buf_printf(b, "%s%s", b->len ? ", " : "", pic_risk_names[k]);
}

/* The names of the packages an outsider has with permission perm (NULL:
 * the ones it maintains), comma-joined into b. */
static void outsider_pkgs(const struct ofacts *f, const char *user, const char *perm, struct buf *b)
{
    if (!perm) {
        size_t n;
        const struct of_edge *x = ofacts_edges_from(f, OE_USER_PKG, user, &n);
        for (size_t i = 0; i < n; i++)
            buf_printf(b, "%s%s", b->len ? ", " : "", x[i].b);
        return;
    }
    size_t n;
    const struct of_edge *const *g = ofacts_grants_of(f, user, &n);
    for (size_t i = 0; i < n; i++)
        if (g[i]->perm && !strcmp(g[i]->perm, perm))
            buf_printf(b, "%s%s", b->len ? ", " : "", g[i]->a);
}

static void team_pkgs(const struct ofacts *f, const char *team, const char *perm, struct buf *b)
{
    size_t n;
    const struct of_edge *x = ofacts_edges_from(f, OE_TEAM_PKG, team, &n);
    for (size_t i = 0; i < n; i++)
        if (x[i].perm && !strcmp(x[i].perm, perm))
            buf_printf(b, "%s%s", b->len ? ", " : "", x[i].b);
}

static void team_members(const struct ofacts *f, const char *team, struct buf *b)
{
    size_t n;
    const struct of_edge *x = ofacts_edges_from(f, OE_TEAM_USER, team, &n);
    for (size_t i = 0; i < n; i++)
        buf_printf(b, "%s%s", b->len ? ", " : "", x[i].b);
}

/* The advisory ids of a package; with sev, each followed by its severity
 * when the graph has the advisory ("1234 (high)"). */
static void pkg_advisory_ids(const struct ofacts *f, const char *pkg, bool sev, struct buf *b)
{
    for (size_t i = 0; i < f->nedges[OE_ADV_PKG]; i++) {
        const struct of_edge *x = &f->edges[OE_ADV_PKG][i];
        if (strcmp(x->b, pkg) != 0)
            continue;
        const struct of_adv *a = sev ? ofacts_adv(f, x->a) : NULL;
        buf_printf(b, "%s%s", b->len ? ", " : "", x->a);
        if (a && a->severity)
            buf_printf(b, " (%s)", a->severity);
    }
}

static const char *yn(ofbool b)
{
    return b == 1 ? "yes" : b == 0 ? "no" : "unknown";
}

/* ---- Markdown and HTML ------------------------------------------------------ */

static const char *NOT_IN_GRAPH = "Not in this graph: its packages do not carry the property "
                                  "(a transform from before the supply-chain properties).";

static void sec_summary(struct sink *k, const struct view *v, const struct orep_in *in)
{
    const struct ofacts *f = v->f;
    struct buf s = BUF_INIT;
    char when[32];
    buf_printf(&s, "npm org report: %s", f->org ? f->org : "(unknown org)");
    heading(k, 1, s.p);
    buf_reset(&s);
    if (in->as_of > 0) {
        time_iso8601(in->as_of, when);
        buf_printf(&s, "As of %s (the collect's start)", when);
    } else {
        buf_puts(&s, "Date unknown (the dump has no start time)");
    }
    if (f->collected_as)
        buf_printf(&s, "; collected as %s", f->collected_as);
    buf_puts(&s, ".");
    para(k, s.p);
    static const char *const h[] = {"What", "Count"};
    table(k, 2, h);
    struct {
        const char *what;
        size_t n;
    } rows[] = {{"Members", v->members},
                {"Owners", v->owners},
                {"Admins", v->admins},
                {"Members outside every team", v->teamless},
                {"Outside collaborators and maintainers", v->outsiders},
                {"Teams", f->nteams},
                {"Packages", f->npkgs},
                {"Public packages", v->pub},
                {"Private packages", v->priv}};
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        char n[32];
        snprintf(n, sizeof n, "%zu", rows[i].n);
        const char *c[] = {rows[i].what, n};
        row(k, c, sizeof c / sizeof *c, false);
    }
    table_end(k);
    buf_free(&s);
}

static void sec_people(struct sink *k, const struct view *v)
{
    const struct ofacts *f = v->f;
    heading(k, 2, "Owners and admins");
    static const char *const h[] = {"User", "Role"};
    table(k, 2, h);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < f->nusers; i++) {
            const struct of_user *u = &f->users[i];
            if (u->member == 1 && u->role && !strcmp(u->role, pass ? "admin" : "owner")) {
                const char *c[] = {u->name, u->role};
                row(k, c, sizeof c / sizeof *c, false);
            }
        }
    table_end(k);

    heading(k, 2, "Members outside every team");
    if (!v->teamless) {
        para(k, "None: every member is in at least one team.");
    } else {
        table(k, 2, h);
        for (size_t i = 0; i < f->nusers; i++) {
            const struct of_user *u = &f->users[i];
            if (u->member == 1 && !v->in_team[i]) {
                const char *c[] = {u->name, u->role ? u->role : ""};
                row(k, c, sizeof c / sizeof *c, false);
            }
        }
        table_end(k);
    }

    heading(k, 2, "Outside collaborators and maintainers");
    if (!v->outsiders) {
        para(k, "None: no user outside the org has access to a package.");
        return;
    }
    para(k, "Users who are not members of the org but have a package granted to them, or "
            "maintain one. Read-write means they can publish it.");
    static const char *const ho[] = {"User", "Can publish (read-write)", "Read-only", "Maintains"};
    table(k, 4, ho);
    struct buf rw = BUF_INIT, ro = BUF_INIT, mt = BUF_INIT;
    for (size_t i = 0; i < f->nusers; i++) {
        const struct of_user *u = &f->users[i];
        if (!is_outsider(v, u))
            continue;
        buf_reset(&rw);
        buf_reset(&ro);
        buf_reset(&mt);
        buf_puts(&rw, "");
        buf_puts(&ro, "");
        buf_puts(&mt, "");
        outsider_pkgs(f, u->name, "read-write", &rw);
        outsider_pkgs(f, u->name, "read-only", &ro);
        outsider_pkgs(f, u->name, NULL, &mt);
        const char *c[] = {u->name, rw.p, ro.p, mt.p};
        row(k, c, sizeof c / sizeof *c, false);
    }
    table_end(k);
    buf_free(&rw);
    buf_free(&ro);
    buf_free(&mt);
}

static void sec_teams(struct sink *k, const struct view *v)
{
    const struct ofacts *f = v->f;
    heading(k, 2, "Teams and their package permissions");
    if (!f->nteams) {
        para(k, "No teams.");
        return;
    }
    static const char *const h[] = {"Team", "Members", "Read-write packages", "Read-only packages"};
    table(k, 4, h);
    struct buf m = BUF_INIT, rw = BUF_INIT, ro = BUF_INIT;
    for (size_t i = 0; i < f->nteams; i++) {
        buf_reset(&m);
        buf_reset(&rw);
        buf_reset(&ro);
        buf_puts(&m, "");
        buf_puts(&rw, "");
        buf_puts(&ro, "");
        team_members(f, f->teams[i].id, &m);
        team_pkgs(f, f->teams[i].id, "read-write", &rw);
        team_pkgs(f, f->teams[i].id, "read-only", &ro);
        const char *c[] = {f->teams[i].name, m.p, rw.p, ro.p};
        row(k, c, sizeof c / sizeof *c, false);
    }
    table_end(k);
    buf_free(&m);
    buf_free(&rw);
    buf_free(&ro);
}

static void sec_packages(struct sink *k, const struct view *v)
{
    const struct ofacts *f = v->f;
    heading(k, 2, "Packages");
    struct buf s = BUF_INIT;
    buf_printf(&s, "%zu public, %zu private", v->pub, v->priv);
    if (f->npkgs > v->pub + v->priv)
        buf_printf(&s, ", %zu of unknown visibility", f->npkgs - v->pub - v->priv);
    buf_puts(&s, ".");
    para(k, s.p);
    static const char *const h[] = {
        "Package", "Visibility", "Latest", "Published", "Teams that can publish", "Risks"};
    table(k, 6, h);
    for (size_t i = 0; i < f->npkgs; i++) {
        const struct of_pkg *p = &f->pkgs[i];
        char when[32], n[32];
        date_of(p->published_on == OF_NONE ? 0 : p->published_on, when);
        snprintf(n, sizeof n, "%zu", v->team_writers[i]);
        buf_reset(&s);
        buf_puts(&s, "");
        risk_list(&s, v->risk[i]);
        const char *c[] = {p->name, vis(p), p->version ? p->version : "", when, n, s.p};
        row(k, c, sizeof c / sizeof *c, false);
    }
    table_end(k);
    buf_free(&s);
}

/* One supply-chain list: a heading, then "not in this graph", "none", or
 * the table the caller fills. Returns whether to fill it. */
static bool sc_begin(struct sink *k, const char *title, bool known, size_t count, size_t ncols,
                     const char *const *head)
{
    heading(k, 3, title);
    if (!known) {
        para(k, NOT_IN_GRAPH);
        return false;
    }
    if (!count) {
        para(k, "None.");
        return false;
    }
    table(k, ncols, head);
    return true;
}

static void sec_supply_chain(struct sink *k, const struct view *v)
{
    const struct ofacts *f = v->f;
    heading(k, 2, "Supply chain");
    size_t noprov = 0, down = 0, inst = 0, first = 0, adv = 0, mism = 0, dep = 0, old = 0;
    for (size_t i = 0; i < f->npkgs; i++) {
        const struct of_pkg *p = &f->pkgs[i];
        noprov += p->provenance == 0;
        down += p->downgrade == 1;
        inst += p->install == 1;
        first += p->first_time == 1;
        adv += p->adv > 0;
        mism += p->mismatch == 1;
        dep += p->deprecated == 1;
        old += stale(v, p);
    }
    static const char *const h1[] = {"Package", "Latest", "Latest trust"};
    if (sc_begin(k, "Latest version without provenance", v->has_prov, noprov, 3, h1)) {
        for (size_t i = 0; i < f->npkgs; i++) {
            const struct of_pkg *p = &f->pkgs[i];
            const char *c[] = {p->name, p->version, p->latest_trust};
            if (p->provenance == 0)
                row(k, c, sizeof c / sizeof *c, false);
        }
        table_end(k);
    }
    if (sc_begin(k, "Trust downgrades", v->has_downgrade, down, 3, h1)) {
        for (size_t i = 0; i < f->npkgs; i++) {
            const struct of_pkg *p = &f->pkgs[i];
            const char *c[] = {p->name, p->version, p->latest_trust};
            if (p->downgrade == 1)
                row(k, c, sizeof c / sizeof *c, false);
        }
        table_end(k);
    }
    static const char *const h2[] = {"Package", "Latest", "Scripts"};
    if (sc_begin(k, "Install scripts", v->has_install, inst, 3, h2)) {
        for (size_t i = 0; i < f->npkgs; i++) {
            const struct of_pkg *p = &f->pkgs[i];
            const char *c[] = {p->name, p->version, p->install_scripts};
            if (p->install == 1)
                row(k, c, sizeof c / sizeof *c, false);
        }
        table_end(k);
    }
    static const char *const h3[] = {"Package", "Latest", "Publisher", "Publisher is a member"};
    if (sc_begin(k, "First-time publishers", v->has_first, first, 4, h3)) {
        for (size_t i = 0; i < f->npkgs; i++) {
            const struct of_pkg *p = &f->pkgs[i];
            const char *c[] = {p->name, p->version, p->publisher, yn(p->publisher_member)};
            if (p->first_time == 1)
                row(k, c, sizeof c / sizeof *c, false);
        }
        table_end(k);
    }
    static const char *const h4[] = {"Package",  "Advisories", "Critical",        "High",
                                     "Moderate", "Low",        "Latest affected", "Advisory ids"};
    if (sc_begin(k, "Advisories", v->has_adv, adv, 8, h4)) {
        struct buf ids = BUF_INIT;
        for (size_t i = 0; i < f->npkgs; i++) {
            const struct of_pkg *p = &f->pkgs[i];
            if (p->adv <= 0)
                continue;
            char n[5][24];
            long long vals[5] = {p->adv, p->crit, p->high, p->moderate, p->low};
            for (int j = 0; j < 5; j++)
                snprintf(n[j], sizeof n[j], "%lld", vals[j] == OF_NONE ? 0 : vals[j]);
            buf_reset(&ids);
            buf_puts(&ids, "");
            pkg_advisory_ids(f, p->name, true, &ids);
            const char *c[] = {p->name, n[0], n[1], n[2], n[3], n[4], yn(p->latest_affected),
                               ids.p};
            row(k, c, sizeof c / sizeof *c, false);
        }
        table_end(k);
        buf_free(&ids);
    }
    static const char *const h5[] = {"Package", "Latest"};
    if (sc_begin(k, "Provenance from another repository", v->has_mismatch, mism, 2, h5)) {
        for (size_t i = 0; i < f->npkgs; i++) {
            const struct of_pkg *p = &f->pkgs[i];
            const char *c[] = {p->name, p->version};
            if (p->mismatch == 1)
                row(k, c, sizeof c / sizeof *c, false);
        }
        table_end(k);
    }
    if (sc_begin(k, "Deprecated", true, dep, 2, h5)) {
        for (size_t i = 0; i < f->npkgs; i++) {
            const struct of_pkg *p = &f->pkgs[i];
            const char *c[] = {p->name, p->version};
            if (p->deprecated == 1)
                row(k, c, sizeof c / sizeof *c, false);
        }
        table_end(k);
    }
    static const char *const h6[] = {"Package", "Latest", "Last published"};
    heading(k, 3, "Not published for two years");
    if (v->as_of <= 0) {
        para(k, "Unknown: the dump has no start time to count from.");
    } else if (!old) {
        para(k, "None.");
    } else {
        table(k, 3, h6);
        for (size_t i = 0; i < f->npkgs; i++) {
            const struct of_pkg *p = &f->pkgs[i];
            char when[32];
            date_of(p->published_on, when);
            const char *c[] = {p->name, p->version, when};
            if (stale(v, p))
                row(k, c, sizeof c / sizeof *c, false);
        }
        table_end(k);
    }
}

static void sec_collector(struct sink *k, const struct ofacts *f)
{
    if (!f->tfa_mode && f->token_read_only == OF_ABSENT && f->token_age_days == OF_NONE)
        return;
    heading(k, 2, "The collecting account");
    static const char *const h[] = {"Property", "Value"};
    table(k, 2, h);
    char age[32];
    snprintf(age, sizeof age, "%lld", f->token_age_days);
    const char *rows[][2] = {
        {"Two-factor authentication", f->tfa_mode},
        {"Token is read-only", f->token_read_only == OF_ABSENT ? NULL : yn(f->token_read_only)},
        {"Token age (days)", f->token_age_days == OF_NONE ? NULL : age}};
    for (size_t i = 0; i < 3; i++)
        if (rows[i][1])
            row(k, rows[i], 2, false);
    table_end(k);
}

static void sec_changes(struct sink *k, const struct od_changes *ch)
{
    if (!ch)
        return;
    heading(k, 2, "Changes since the previous run");
    if (!ch->n) {
        para(k, "No changes.");
        return;
    }
    static const char *const h[] = {"Class", "Subject", "Change"};
    table(k, 3, h);
    for (size_t i = 0; i < ch->n; i++) {
        const char *c[] = {od_classes[ch->v[i].cls].name, ch->v[i].subject, ch->v[i].detail};
        row(k, c, sizeof c / sizeof *c, false);
    }
    table_end(k);
    if (ch->unlisted) {
        struct buf s = BUF_INIT;
        buf_printf(&s, "%zu more changes are not listed (at most %d of a class are):", ch->unlisted,
                   OD_MAX_LISTED);
        for (int c = 0; c < OD_COUNT; c++)
            if (ch->count[c] > OD_MAX_LISTED)
                buf_printf(&s, " %s %zu in all;", od_classes[c].name, ch->count[c]);
        s.p[s.len - 1] = '.';
        para(k, s.p);
        buf_free(&s);
    }
}

static const char *const CSS =
    "body{font-family:sans-serif;margin:2em;color:#222;max-width:80em}"
    "table{border-collapse:collapse;margin:0 0 1.5em}"
    "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}"
    "th{background:#eef3f8}h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}"
    "h3{font-size:1.05em}figure{margin:0;overflow-x:auto}";

static void render_doc(const struct orep_in *in, enum orep_format fmt, struct buf *out)
{
    struct view v;
    struct sink k = {fmt, out, 0};
    view_build(&v, in);
    if (fmt == OREP_HTML) {
        buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                      "style-src 'unsafe-inline'\">\n<title>");
        buf_puts(out, "npm org report: ");
        pic_xml_escape(out, in->f->org ? in->f->org : "(unknown org)", 0);
        buf_printf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n", CSS);
    }
    sec_summary(&k, &v, in);
    sec_changes(&k, in->changes);
    sec_people(&k, &v);
    sec_teams(&k, &v);
    sec_packages(&k, &v);
    sec_supply_chain(&k, &v);
    sec_collector(&k, in->f);
    heading(&k, 2, "Access map");
    if (fmt == OREP_HTML) {
        buf_puts(out, "<figure id=\"access-map\">\n");
        pic_svg(in->f, out);
        buf_puts(out, "</figure>\n</body>\n</html>\n");
    } else {
        para(&k, "The picture of packages against teams and outside collaborators is in the "
                 "HTML report, and on its own with --picture FILE.svg.");
    }
    view_free(&v);
}

/* ---- JSON ------------------------------------------------------------------- */

static void jw_kstr_or_null(struct jw *w, const char *k, const char *v)
{
    jw_key(w, k);
    jw_str(w, v); /* NULL writes null */
}

static void jw_kofbool(struct jw *w, const char *k, ofbool b)
{
    jw_key(w, k);
    if (b == OF_ABSENT)
        jw_null(w);
    else
        jw_bool(w, b == 1);
}

static void jw_kdate(struct jw *w, const char *k, long long ms)
{
    char when[32];
    jw_key(w, k);
    if (ms == OF_NONE || ms <= 0) {
        jw_null(w);
        return;
    }
    time_iso8601(ms, when);
    jw_str(w, when);
}

/* A comma-joined list as a JSON array of strings. */
static void jw_list(struct jw *w, const char *k, const char *joined)
{
    jw_key(w, k);
    jw_arr(w);
    while (joined && *joined) {
        const char *c = strstr(joined, ", ");
        size_t n = c ? (size_t)(c - joined) : strlen(joined);
        jw_strn(w, joined, n);
        joined += n + (c ? 2 : 0);
    }
    jw_arr_end(w);
}

static void json_pkgs_where(struct jw *w, const char *k, const struct view *v, bool known,
                            bool (*pred)(const struct view *, const struct of_pkg *))
{
    jw_key(w, k);
    if (!known) {
        jw_null(w);
        return;
    }
    jw_arr(w);
    for (size_t i = 0; i < v->f->npkgs; i++)
        if (pred(v, &v->f->pkgs[i]))
            jw_str(w, v->f->pkgs[i].name);
    jw_arr_end(w);
}

static bool p_noprov(const struct view *v, const struct of_pkg *p)
{
    (void)v;
    return p->provenance == 0;
}
static bool p_mismatch(const struct view *v, const struct of_pkg *p)
{
    (void)v;
    return p->mismatch == 1;
}
static bool p_deprecated(const struct view *v, const struct of_pkg *p)
{
    (void)v;
    return p->deprecated == 1;
}

static void render_json(const struct orep_in *in, struct buf *out)
{
    const struct ofacts *f = in->f;
    struct view v;
    struct jw w;
    struct buf s = BUF_INIT;
    view_build(&v, in);
    jw_init(&w, out);
    jw_obj(&w);
    jw_kstr(&w, "format", "j1-npm-org-report/1");
    jw_kstr_or_null(&w, "org", f->org);
    jw_kdate(&w, "asOf", in->as_of > 0 ? in->as_of : OF_NONE);
    jw_kstr_or_null(&w, "collectedAs", f->collected_as);

    jw_key(&w, "counts");
    jw_obj(&w);
    jw_kint(&w, "members", (long long)v.members);
    jw_kint(&w, "owners", (long long)v.owners);
    jw_kint(&w, "admins", (long long)v.admins);
    jw_kint(&w, "membersOutsideTeams", (long long)v.teamless);
    jw_kint(&w, "outsideCollaborators", (long long)v.outsiders);
    jw_kint(&w, "teams", (long long)f->nteams);
    jw_kint(&w, "packages", (long long)f->npkgs);
    jw_kint(&w, "publicPackages", (long long)v.pub);
    jw_kint(&w, "privatePackages", (long long)v.priv);
    jw_obj_end(&w);

    jw_key(&w, "ownersAndAdmins");
    jw_arr(&w);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < f->nusers; i++) {
            const struct of_user *u = &f->users[i];
            if (u->member == 1 && u->role && !strcmp(u->role, pass ? "admin" : "owner")) {
                jw_obj(&w);
                jw_kstr(&w, "name", u->name);
                jw_kstr(&w, "role", u->role);
                jw_obj_end(&w);
            }
        }
    jw_arr_end(&w);

    jw_key(&w, "membersOutsideTeams");
    jw_arr(&w);
    for (size_t i = 0; i < f->nusers; i++)
        if (f->users[i].member == 1 && !v.in_team[i]) {
            jw_obj(&w);
            jw_kstr(&w, "name", f->users[i].name);
            jw_kstr_or_null(&w, "role", f->users[i].role);
            jw_obj_end(&w);
        }
    jw_arr_end(&w);

    jw_key(&w, "outsideCollaborators");
    jw_arr(&w);
    for (size_t i = 0; i < f->nusers; i++) {
        const struct of_user *u = &f->users[i];
        if (!is_outsider(&v, u))
            continue;
        jw_obj(&w);
        jw_kstr(&w, "name", u->name);
        static const char *const keys[] = {"readWrite", "readOnly", "maintains"};
        static const char *const perms[] = {"read-write", "read-only", NULL};
        for (int j = 0; j < 3; j++) {
            buf_reset(&s);
            buf_puts(&s, "");
            outsider_pkgs(f, u->name, perms[j], &s);
            jw_list(&w, keys[j], s.p);
        }
        jw_obj_end(&w);
    }
    jw_arr_end(&w);

    jw_key(&w, "teams");
    jw_arr(&w);
    for (size_t i = 0; i < f->nteams; i++) {
        size_t n;
        jw_obj(&w);
        jw_kstr(&w, "name", f->teams[i].name);
        jw_kstr(&w, "id", f->teams[i].id);
        buf_reset(&s);
        buf_puts(&s, "");
        team_members(f, f->teams[i].id, &s);
        jw_list(&w, "members", s.p);
        jw_key(&w, "packages");
        jw_arr(&w);
        const struct of_edge *x = ofacts_edges_from(f, OE_TEAM_PKG, f->teams[i].id, &n);
        for (size_t j = 0; j < n; j++) {
            jw_obj(&w);
            jw_kstr(&w, "name", x[j].b);
            jw_kstr_or_null(&w, "permission", x[j].perm);
            jw_obj_end(&w);
        }
        jw_arr_end(&w);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);

    jw_key(&w, "packages");
    jw_arr(&w);
    for (size_t i = 0; i < f->npkgs; i++) {
        const struct of_pkg *p = &f->pkgs[i];
        jw_obj(&w);
        jw_kstr(&w, "name", p->name);
        jw_kofbool(&w, "public", p->pub);
        jw_kstr_or_null(&w, "version", p->version);
        jw_kdate(&w, "publishedOn", p->published_on);
        jw_kstr_or_null(&w, "publisher", p->publisher);
        jw_kofbool(&w, "deprecated", p->deprecated);
        jw_kofbool(&w, "provenance", p->provenance);
        jw_kstr_or_null(&w, "latestTrust", p->latest_trust);
        jw_kint(&w, "teamsThatCanPublish", (long long)v.team_writers[i]);
        jw_key(&w, "risks");
        jw_arr(&w);
        for (int k = 0; k < RISK_COUNT; k++)
            if (v.risk[i] & (1u << k))
                jw_str(&w, pic_risk_names[k]);
        jw_arr_end(&w);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);

    jw_key(&w, "supplyChain");
    jw_obj(&w);
    json_pkgs_where(&w, "noProvenance", &v, v.has_prov, p_noprov);
    jw_key(&w, "trustDowngrades");
    if (!v.has_downgrade) {
        jw_null(&w);
    } else {
        jw_arr(&w);
        for (size_t i = 0; i < f->npkgs; i++)
            if (f->pkgs[i].downgrade == 1) {
                jw_obj(&w);
                jw_kstr(&w, "name", f->pkgs[i].name);
                jw_kstr_or_null(&w, "version", f->pkgs[i].version);
                jw_kstr_or_null(&w, "latestTrust", f->pkgs[i].latest_trust);
                jw_obj_end(&w);
            }
        jw_arr_end(&w);
    }
    jw_key(&w, "installScripts");
    if (!v.has_install) {
        jw_null(&w);
    } else {
        jw_arr(&w);
        for (size_t i = 0; i < f->npkgs; i++)
            if (f->pkgs[i].install == 1) {
                jw_obj(&w);
                jw_kstr(&w, "name", f->pkgs[i].name);
                jw_kstr_or_null(&w, "version", f->pkgs[i].version);
                jw_list(&w, "scripts", f->pkgs[i].install_scripts);
                jw_obj_end(&w);
            }
        jw_arr_end(&w);
    }
    jw_key(&w, "firstTimePublishers");
    if (!v.has_first) {
        jw_null(&w);
    } else {
        jw_arr(&w);
        for (size_t i = 0; i < f->npkgs; i++)
            if (f->pkgs[i].first_time == 1) {
                jw_obj(&w);
                jw_kstr(&w, "name", f->pkgs[i].name);
                jw_kstr_or_null(&w, "version", f->pkgs[i].version);
                jw_kstr_or_null(&w, "publisher", f->pkgs[i].publisher);
                jw_kofbool(&w, "publisherIsOrgMember", f->pkgs[i].publisher_member);
                jw_obj_end(&w);
            }
        jw_arr_end(&w);
    }
    jw_key(&w, "advisories");
    if (!v.has_adv) {
        jw_null(&w);
    } else {
        jw_arr(&w);
        for (size_t i = 0; i < f->npkgs; i++) {
            const struct of_pkg *p = &f->pkgs[i];
            if (p->adv <= 0)
                continue;
            jw_obj(&w);
            jw_kstr(&w, "name", p->name);
            jw_kint(&w, "count", p->adv);
            jw_kint(&w, "critical", p->crit == OF_NONE ? 0 : p->crit);
            jw_kint(&w, "high", p->high == OF_NONE ? 0 : p->high);
            jw_kint(&w, "moderate", p->moderate == OF_NONE ? 0 : p->moderate);
            jw_kint(&w, "low", p->low == OF_NONE ? 0 : p->low);
            jw_kofbool(&w, "latestVersionAffected", p->latest_affected);
            buf_reset(&s);
            buf_puts(&s, "");
            pkg_advisory_ids(f, p->name, false, &s);
            jw_list(&w, "ids", s.p);
            jw_obj_end(&w);
        }
        jw_arr_end(&w);
    }
    json_pkgs_where(&w, "repositoryMismatch", &v, v.has_mismatch, p_mismatch);
    json_pkgs_where(&w, "deprecated", &v, true, p_deprecated);
    jw_key(&w, "notPublishedForTwoYears");
    if (v.as_of <= 0) {
        jw_null(&w);
    } else {
        jw_arr(&w);
        for (size_t i = 0; i < f->npkgs; i++)
            if (stale(&v, &f->pkgs[i])) {
                jw_obj(&w);
                jw_kstr(&w, "name", f->pkgs[i].name);
                jw_kdate(&w, "publishedOn", f->pkgs[i].published_on);
                jw_obj_end(&w);
            }
        jw_arr_end(&w);
    }
    jw_obj_end(&w);

    jw_key(&w, "collector");
    if (!f->tfa_mode && f->token_read_only == OF_ABSENT && f->token_age_days == OF_NONE) {
        jw_null(&w);
    } else {
        jw_obj(&w);
        jw_kstr_or_null(&w, "tfaMode", f->tfa_mode);
        jw_kofbool(&w, "tokenReadOnly", f->token_read_only);
        jw_key(&w, "tokenAgeDays");
        if (f->token_age_days == OF_NONE)
            jw_null(&w);
        else
            jw_int(&w, f->token_age_days);
        jw_obj_end(&w);
    }

    jw_key(&w, "changes");
    if (!in->changes) {
        jw_null(&w);
    } else {
        jw_obj(&w);
        jw_key(&w, "counts");
        jw_obj(&w);
        for (int c = 0; c < OD_COUNT; c++)
            jw_kint(&w, od_classes[c].name, (long long)in->changes->count[c]);
        jw_obj_end(&w);
        jw_kint(&w, "unlisted", (long long)in->changes->unlisted);
        jw_key(&w, "list");
        jw_arr(&w);
        for (size_t i = 0; i < in->changes->n; i++) {
            const struct od_change *c = &in->changes->v[i];
            jw_obj(&w);
            jw_kstr(&w, "class", od_classes[c->cls].name);
            jw_kstr(&w, "subject", c->subject);
            jw_kstr(&w, "detail", c->detail);
            jw_obj_end(&w);
        }
        jw_arr_end(&w);
        jw_obj_end(&w);
    }
    jw_obj_end(&w);
    buf_putc(out, '\n');
    buf_free(&s);
    view_free(&v);
}

/* ---- entry points ------------------------------------------------------------ */

int orep_format_of(const char *path, enum orep_format *fmt, struct err *e)
{
    const char *dot = strrchr(path, '.');
    if (dot && !strcmp(dot, ".md"))
        *fmt = OREP_MD;
    else if (dot && !strcmp(dot, ".json"))
        *fmt = OREP_JSON;
    else if (dot && (!strcmp(dot, ".html") || !strcmp(dot, ".htm")))
        *fmt = OREP_HTML;
    else
        return err_set(e, ERR_USAGE,
                       "--report %s: the name must end in .md, .json or .html (the format)", path);
    return 0;
}

void orep_render(const struct orep_in *in, enum orep_format fmt, struct buf *out)
{
    if (fmt == OREP_JSON)
        render_json(in, out);
    else
        render_doc(in, fmt, out);
}

int orep_write_file(const char *path, const struct buf *b, struct err *e)
{
    struct afile af;
    if (afile_open(&af, path, 0600, e) < 0)
        return -1;
    if (write_all(af.fd, b->p, b->len, path, e) < 0) {
        afile_abort(&af);
        return -1;
    }
    return afile_commit(&af, e);
}
