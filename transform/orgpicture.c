/*
 * orgpicture.c — see orgpicture.h.
 *
 * The grid is computed once (one byte a cell: package x column, about
 * 500 KB for 10,000 packages and 50 columns), then rows are formed and
 * drawn. Columns: the teams in id order (the first PIC_MAX_TEAMS, then one
 * folded column), then the outsiders in name order likewise.
 */
#include "orgpicture.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

const char *const pic_risk_names[RISK_COUNT] = {
    "outsider-can-publish", "trust-downgrade",     "install-script",
    "latest-vulnerable",    "repository-mismatch", "first-time-publisher",
};

enum { CELL_NONE = 0, CELL_RO = 1, CELL_RW = 2, CELL_PERM = 3, CELL_MAINT = 4 };

#define CW 18  /* cell width and height */
#define LW 360 /* row label width */
#define HH 150 /* column header height */
#define TOP 40 /* title band */
#define PAD 10

void pic_xml_escape(struct buf *out, const char *s, size_t max)
{
    size_t n = strlen(s);
    bool cut = false;
    if (max && n > max) {
        n = max;
        while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
        cut = true;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '&': buf_puts(out, "&amp;"); break;
        case '<': buf_puts(out, "&lt;"); break;
        case '>': buf_puts(out, "&gt;"); break;
        case '"': buf_puts(out, "&quot;"); break;
        case '\'': buf_puts(out, "&#39;"); break;
        default: buf_putc(out, c < 0x20 || c == 0x7f ? '?' : (char)c);
        }
    }
    if (cut)
        buf_puts(out, "...");
}

/* An outsider has read-write on the package, or maintains it. Outsiders
 * are few: each one's maintained packages are looked up by name. */
static bool outsider_write(const struct ofacts *f, const char *pkg)
{
    size_t n = 0;
    const struct of_edge *x = ofacts_edges_from(f, OE_PKG_USER, pkg, &n);
    for (size_t i = 0; i < n; i++)
        if (x[i].member == 0 && x[i].perm && !strcmp(x[i].perm, "read-write"))
            return true;
    for (size_t u = 0; u < f->nusers; u++) {
        if (f->users[u].member != 0)
            continue;
        const struct of_edge *m = ofacts_edges_from(f, OE_USER_PKG, f->users[u].name, &n);
        for (size_t i = 0; i < n; i++)
            if (!strcmp(m[i].b, pkg))
                return true;
    }
    return false;
}

unsigned pic_risks(const struct ofacts *f, const struct of_pkg *p)
{
    unsigned r = 0;
    if (outsider_write(f, p->name))
        r |= RISK_OUTSIDE_WRITE;
    if (p->downgrade == 1)
        r |= RISK_TRUST_DOWNGRADE;
    if (p->install == 1)
        r |= RISK_INSTALL_SCRIPT;
    if (p->latest_affected == 1)
        r |= RISK_VULNERABLE;
    if (p->mismatch == 1)
        r |= RISK_REPO_MISMATCH;
    /* A first publish by someone outside the org, unless a trusted
     * publisher (CI) made it: a first-time member is the normal case. */
    if (p->first_time == 1 && p->publisher_member != 1 &&
        !(p->latest_trust && !strcmp(p->latest_trust, "trusted-publisher")))
        r |= RISK_FIRST_TIME_PUBLISHER;
    return r;
}

struct col {
    const char *name; /* NULL: the folded column */
    size_t folded;
    bool outsider;
};

struct row {
    size_t first, count;   /* first package index; packages in the row */
    const size_t *members; /* the row's package indexes (count of them) */
    unsigned risk;
    const unsigned char *cells;
};

struct grid {
    const struct ofacts *f;
    struct col *cols;
    size_t ncols, nteamcols;
    unsigned char *cell; /* npkgs x ncols */
    const char **outsiders;
    size_t nout;
    unsigned *risk;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static long team_col(const struct grid *g, const char *id)
{
    const struct of_team *t = ofacts_team(g->f, id);
    if (!t)
        return -1;
    size_t i = (size_t)(t - g->f->teams);
    return i < PIC_MAX_TEAMS ? (long)i : (long)PIC_MAX_TEAMS;
}

static long out_col(const struct grid *g, const char *user)
{
    if (!g->nout) /* bsearch of no array is undefined */
        return -1;
    const char **hit = bsearch(&user, g->outsiders, g->nout, sizeof *g->outsiders, cmp_str);
    if (!hit)
        return -1;
    size_t i = (size_t)(hit - g->outsiders);
    return (long)g->nteamcols + (long)(i < PIC_MAX_OUTSIDERS ? i : PIC_MAX_OUTSIDERS);
}

static void set_cell(struct grid *g, const char *pkg, long col, unsigned char v)
{
    const struct of_pkg *p = ofacts_pkg(g->f, pkg);
    if (!p || col < 0)
        return;
    unsigned char *c = &g->cell[(size_t)(p - g->f->pkgs) * g->ncols + (size_t)col];
    if ((v & CELL_PERM) > (*c & CELL_PERM))
        *c = (unsigned char)((*c & ~CELL_PERM) | (v & CELL_PERM));
    *c |= v & CELL_MAINT;
}

static unsigned char perm_cell(const char *perm)
{
    return perm && !strcmp(perm, "read-write") ? CELL_RW : perm ? CELL_RO : CELL_NONE;
}

static void grid_build(struct grid *g, const struct ofacts *f)
{
    memset(g, 0, sizeof *g);
    g->f = f;
    /* Outsiders: non-members with a grant or a package they maintain. */
    bool *seen = xcalloc(f->nusers + 1, sizeof *seen);
    for (size_t k = 0; k < f->nedges[OE_PKG_USER]; k++) {
        const struct of_user *u = ofacts_user(f, f->edges[OE_PKG_USER][k].b);
        if (u)
            seen[u - f->users] = true;
    }
    g->outsiders = xcalloc(f->nusers + 1, sizeof *g->outsiders);
    for (size_t i = 0; i < f->nusers; i++) {
        const struct of_user *u = &f->users[i];
        size_t n = 0;
        if (u->member == 0 && (seen[i] || ofacts_edges_from(f, OE_USER_PKG, u->name, &n)))
            g->outsiders[g->nout++] = u->name; /* users are sorted: so is this */
    }
    free(seen);
    size_t tcols = f->nteams > PIC_MAX_TEAMS ? PIC_MAX_TEAMS + 1 : f->nteams;
    size_t ocols = g->nout > PIC_MAX_OUTSIDERS ? PIC_MAX_OUTSIDERS + 1 : g->nout;
    g->nteamcols = tcols;
    g->ncols = tcols + ocols;
    g->cols = xcalloc(g->ncols + 1, sizeof *g->cols);
    for (size_t i = 0; i < tcols; i++)
        g->cols[i] = i < PIC_MAX_TEAMS ? (struct col){f->teams[i].name, 0, false}
                                       : (struct col){NULL, f->nteams - PIC_MAX_TEAMS, false};
    for (size_t i = 0; i < ocols; i++)
        g->cols[tcols + i] = i < PIC_MAX_OUTSIDERS
                                 ? (struct col){g->outsiders[i], 0, true}
                                 : (struct col){NULL, g->nout - PIC_MAX_OUTSIDERS, true};
    g->cell = xcalloc(f->npkgs * g->ncols + 1, 1);
    for (size_t i = 0; i < f->nedges[OE_TEAM_PKG]; i++) {
        const struct of_edge *x = &f->edges[OE_TEAM_PKG][i];
        set_cell(g, x->b, team_col(g, x->a), perm_cell(x->perm));
    }
    for (size_t i = 0; i < f->nedges[OE_PKG_USER]; i++) {
        const struct of_edge *x = &f->edges[OE_PKG_USER][i];
        set_cell(g, x->a, out_col(g, x->b), perm_cell(x->perm));
    }
    for (size_t i = 0; i < f->nedges[OE_USER_PKG]; i++) {
        const struct of_edge *x = &f->edges[OE_USER_PKG][i];
        set_cell(g, x->b, out_col(g, x->a), CELL_MAINT);
    }
    g->risk = xcalloc(f->npkgs + 1, sizeof *g->risk);
    for (size_t i = 0; i < f->npkgs; i++)
        g->risk[i] = pic_risks(f, &f->pkgs[i]);
}

static void grid_free(struct grid *g)
{
    free(g->cols);
    free(g->cell);
    free((void *)g->outsiders);
    free(g->risk);
}

/* ---- rows ---------------------------------------------------------------- */

static const struct grid *sort_grid; /* qsort has no context argument */

/* Grouping order: risky packages apart (by name), the rest by their row's
 * bytes (visibility, then cells), then name. */
static int cmp_pkg_row(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    const struct grid *g = sort_grid;
    bool rx = g->risk[x] != 0, ry = g->risk[y] != 0;
    if (rx != ry)
        return rx ? -1 : 1;
    if (!rx) {
        ofbool px = g->f->pkgs[x].pub, py = g->f->pkgs[y].pub;
        if (px != py)
            return px < py ? -1 : 1;
        int c = memcmp(&g->cell[x * g->ncols], &g->cell[y * g->ncols], g->ncols);
        if (c)
            return c;
    }
    return x < y ? -1 : x > y; /* packages are in name order */
}

static bool same_row(const struct grid *g, size_t x, size_t y)
{
    return !g->risk[x] && !g->risk[y] && g->f->pkgs[x].pub == g->f->pkgs[y].pub &&
           !memcmp(&g->cell[x * g->ncols], &g->cell[y * g->ncols], g->ncols);
}

static int cmp_rows(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    if ((x->risk != 0) != (y->risk != 0))
        return x->risk ? -1 : 1;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first;
}

/* ---- drawing ------------------------------------------------------------- */

static const char *fill(unsigned char c)
{
    switch (c & CELL_PERM) {
    case CELL_RW: return "#1f4e79";
    case CELL_RO: return "#9dc3e6";
    default: return "#ffffff";
    }
}

static const char *perm_word(unsigned char c)
{
    switch (c & CELL_PERM) {
    case CELL_RW: return "read-write";
    case CELL_RO: return "read-only";
    default: return "none";
    }
}

static void col_label(struct buf *b, const struct col *c)
{
    if (c->name) {
        pic_xml_escape(b, c->name, PIC_LABEL_MAX);
        if (c->outsider)
            buf_puts(b, " (outside)");
    } else {
        buf_printf(b, "+%zu more %s", c->folded, c->outsider ? "outsiders" : "teams");
    }
}

/* A shared row names as many of its packages as fit in PIC_LABEL_MAX. */
static void row_label(struct buf *b, const struct grid *g, const struct row *r, bool folded)
{
    const struct of_pkg *p = &g->f->pkgs[r->first];
    if (folded) {
        buf_printf(b, "... %zu more packages (folded)", r->count);
        return;
    }
    if (r->count == 1) {
        pic_xml_escape(b, p->name, PIC_LABEL_MAX);
    } else {
        buf_printf(b, "%zu packages: ", r->count);
        size_t used = 0;
        for (size_t i = 0; i < r->count; i++) {
            const char *name = g->f->pkgs[r->members[i]].name;
            size_t n = strlen(name);
            if (i && used + n + 2 > PIC_LABEL_MAX - 12) {
                buf_puts(b, ", ...");
                break;
            }
            if (i)
                buf_puts(b, ", ");
            pic_xml_escape(b, name, PIC_LABEL_MAX / 2);
            used += n + 2;
        }
    }
    if (p->pub == 0)
        buf_puts(b, " (private)");
}

static void draw_row(struct buf *b, const struct grid *g, const struct row *r, size_t y,
                     bool folded)
{
    buf_printf(b, "<g class=\"row\"><text x=\"%d\" y=\"%zu\" class=\"%s\">", PAD + 14, y + 13,
               r->risk ? "risky" : "pkg");
    row_label(b, g, r, folded);
    buf_puts(b, "</text>");
    if (r->risk) {
        buf_printf(b,
                   "<path d=\"M%d %zu l6 -11 l6 11 z\" fill=\"#c00000\"><title>risky</title>"
                   "</path><text x=\"%d\" y=\"%zu\" class=\"risk\">",
                   PAD, y + 14, PAD + 14, y + 23);
        bool first = true;
        for (int k = 0; k < RISK_COUNT; k++)
            if (r->risk & (1u << k)) {
                buf_printf(b, "%s%s", first ? "" : ", ", pic_risk_names[k]);
                first = false;
            }
        buf_puts(b, "</text>");
    }
    for (size_t c = 0; c < g->ncols; c++) {
        unsigned char v = r->cells[c];
        size_t x = (size_t)(PAD + LW) + c * CW;
        buf_printf(b,
                   "<rect x=\"%zu\" y=\"%zu\" width=\"%d\" height=\"%d\" fill=\"%s\" "
                   "stroke=\"#d0d0d0\"><title>",
                   x, y, CW - 2, CW - 2, fill(v));
        row_label(b, g, r, folded);
        buf_puts(b, " / ");
        col_label(b, &g->cols[c]);
        buf_printf(b, ": %s%s</title></rect>", perm_word(v), v & CELL_MAINT ? ", maintainer" : "");
        if (v & CELL_MAINT)
            buf_printf(b, "<text x=\"%zu\" y=\"%zu\" class=\"m\">M</text>", x + 4, y + 12);
    }
    buf_puts(b, "</g>\n");
}

void pic_svg(const struct ofacts *f, struct buf *out)
{
    struct grid g;
    grid_build(&g, f);
    size_t *order = xcalloc(f->npkgs + 1, sizeof *order);
    for (size_t i = 0; i < f->npkgs; i++)
        order[i] = i;
    sort_grid = &g;
    if (f->npkgs > 1)
        qsort(order, f->npkgs, sizeof *order, cmp_pkg_row);
    struct row *rows = xcalloc(f->npkgs + 1, sizeof *rows);
    size_t nrows = 0;
    for (size_t i = 0; i < f->npkgs; i++) {
        size_t p = order[i];
        if (nrows && same_row(&g, rows[nrows - 1].first, p)) {
            rows[nrows - 1].count++;
            continue;
        }
        rows[nrows++] = (struct row){p, 1, &order[i], g.risk[p], &g.cell[p * g.ncols]};
    }
    if (nrows > 1)
        qsort(rows, nrows, sizeof *rows, cmp_rows);
    /* Fold the rows past the limit into one, cell by cell the highest. */
    unsigned char *fold = xcalloc(g.ncols + 1, 1);
    struct row folded = {0, 0, NULL, 0, fold};
    size_t shown = nrows;
    if (nrows > PIC_MAX_ROWS) {
        shown = PIC_MAX_ROWS - 1;
        for (size_t i = shown; i < nrows; i++) {
            folded.count += rows[i].count;
            for (size_t c = 0; c < g.ncols; c++) {
                unsigned char v = rows[i].cells[c];
                if ((v & CELL_PERM) > (fold[c] & CELL_PERM))
                    fold[c] = (unsigned char)((fold[c] & ~CELL_PERM) | (v & CELL_PERM));
                fold[c] |= v & CELL_MAINT;
            }
        }
    }
    size_t nshow = shown + (folded.count ? 1 : 0);
    size_t gridw = g.ncols * CW;
    size_t width = (size_t)(PAD + LW) + gridw + 160;
    if (width < 900)
        width = 900;
    size_t y0 = TOP + HH, legend_y = y0 + nshow * (CW + 10) + 20;
    size_t height = legend_y + 110;

    buf_printf(out,
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%zu\" height=\"%zu\" "
               "viewBox=\"0 0 %zu %zu\" role=\"img\" aria-labelledby=\"access-map-title\" "
               "font-family=\"sans-serif\" font-size=\"12\">\n",
               width, height, width, height);
    buf_puts(out, "<title id=\"access-map-title\">npm access map of ");
    pic_xml_escape(out, f->org ? f->org : "the org", PIC_LABEL_MAX);
    buf_puts(out, "</title>\n<style>.pkg{fill:#222}.risky{fill:#c00000;font-weight:bold}"
                  ".risk{fill:#c00000;font-size:9px}.team{fill:#222}.outsider{fill:#c00000;"
                  "font-weight:bold}.m{fill:#ffffff;font-size:10px;font-weight:bold}"
                  ".note{fill:#555;font-size:11px}</style>\n");
    buf_printf(out, "<rect width=\"%zu\" height=\"%zu\" fill=\"#ffffff\"/>\n", width, height);
    buf_printf(out, "<text x=\"%d\" y=\"24\" font-size=\"16\" font-weight=\"bold\">", PAD);
    buf_puts(out, "Who can publish what: ");
    pic_xml_escape(out, f->org ? f->org : "the org", PIC_LABEL_MAX);
    buf_printf(out, " (%zu packages, %zu teams, %zu outside collaborators)</text>\n", f->npkgs,
               f->nteams, g.nout);
    for (size_t c = 0; c < g.ncols; c++) {
        size_t x = (size_t)(PAD + LW) + c * CW + CW / 2;
        buf_printf(out, "<text transform=\"translate(%zu %zu) rotate(-55)\" class=\"%s\">", x,
                   y0 - 6, g.cols[c].outsider ? "outsider" : "team");
        col_label(out, &g.cols[c]);
        buf_puts(out, "</text>\n");
    }
    if (g.nout) {
        size_t x = (size_t)(PAD + LW) + g.nteamcols * CW - 1;
        buf_printf(out,
                   "<line x1=\"%zu\" y1=\"%zu\" x2=\"%zu\" y2=\"%zu\" stroke=\"#c00000\" "
                   "stroke-width=\"2\"/>\n",
                   x, y0 - 4, x, y0 + nshow * (CW + 10));
    }
    for (size_t i = 0; i < nshow; i++) {
        bool is_fold = i == shown;
        draw_row(out, &g, is_fold ? &folded : &rows[i], y0 + i * (CW + 10), is_fold);
    }
    /* The legend. */
    size_t ly = legend_y;
    buf_printf(out,
               "<g class=\"legend\"><text x=\"%d\" y=\"%zu\" font-weight=\"bold\">Legend</text>\n",
               PAD, ly);
    static const struct {
        const char *fill, *label;
    } keys[] = {{"#1f4e79", "read-write (can publish)"},
                {"#9dc3e6", "read-only"},
                {"#ffffff", "no access"}};
    for (size_t k = 0; k < 3; k++) {
        size_t x = (size_t)PAD + k * 190;
        buf_printf(out,
                   "<rect x=\"%zu\" y=\"%zu\" width=\"%d\" height=\"%d\" fill=\"%s\" "
                   "stroke=\"#999\"/><text x=\"%zu\" y=\"%zu\">%s</text>\n",
                   x, ly + 10, CW - 2, CW - 2, keys[k].fill, x + CW + 4, ly + 23, keys[k].label);
    }
    buf_printf(out,
               "<rect x=\"%zu\" y=\"%zu\" width=\"%d\" height=\"%d\" fill=\"#1f4e79\"/><text "
               "x=\"%zu\" y=\"%zu\" class=\"m\">M</text><text x=\"%zu\" y=\"%zu\">maintainer "
               "(outsider)</text>\n",
               (size_t)PAD + 570, ly + 10, CW - 2, CW - 2, (size_t)PAD + 574, ly + 22,
               (size_t)PAD + 570 + CW + 4, ly + 23);
    buf_printf(out,
               "<path d=\"M%d %zu l6 -11 l6 11 z\" fill=\"#c00000\"/><text x=\"%d\" y=\"%zu\" "
               "class=\"risky\">risky package:</text><text x=\"%d\" y=\"%zu\" class=\"note\">",
               PAD, ly + 50, PAD + 16, ly + 49, PAD + 120, ly + 49);
    for (int k = 0; k < RISK_COUNT; k++)
        buf_printf(out, "%s%s", k ? ", " : "", pic_risk_names[k]);
    buf_printf(out,
               "</text>\n<text x=\"%d\" y=\"%zu\" class=\"outsider\">red column: a user outside "
               "the org</text>\n<text x=\"%d\" y=\"%zu\" class=\"note\">Packages with no risk "
               "and the same access share a row; rows past %d fold into the last.</text></g>\n",
               PAD, ly + 72, PAD, ly + 92, PIC_MAX_ROWS);
    buf_puts(out, "</svg>\n");
    free(fold);
    free(rows);
    free(order);
    grid_free(&g);
}
