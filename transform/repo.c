/*
 * repo.c — see repo.h.
 *
 * A value is read in two steps. scan() finds its form and cuts it into
 * parts (credentials, host, path, query) without judging them; parse then
 * checks every part and splits the path into owner and name by the host's
 * rules. Each check that fails is an answer, REPO_UNKNOWN with the reason:
 * the mapping this value feeds names a repository as the one that published
 * a package, and a wrong one is believed, so nothing here guesses.
 *
 * The forms, tried in this order on the value up to its first '#' (the
 * fragment names a branch or tag, never the repository):
 *
 *   shortcut  github:|gitlab:|bitbucket:|sourcehut:|gist: [cred@] path
 *   URL       scheme "://" [cred@] host [":" port] path — where the text
 *             after the host's colon is not a port (digits) it is the first
 *             segment of the path, as in scp (git+ssh://git@host:owner/repo)
 *   scp       [cred@] host ":" path, the host holding a dot
 *   bare      owner/repo (GitHub): one slash, not first or last; no '@', ':'
 *
 * Credentials are whatever precedes the last '@' before the host (or, in a
 * shortcut, before the path): they may hold ':' and '@' themselves, and they
 * are never part of the host, owner or name.
 */
#include "repo.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum form { F_NONE, F_SHORTCUT, F_URL, F_SCP, F_BARE };

struct shortcut {
    const char *prefix, *host;
};

static const struct shortcut shortcuts[] = {
    {"github:", "github.com"},   {"gitlab:", "gitlab.com"}, {"bitbucket:", "bitbucket.org"},
    {"sourcehut:", "git.sr.ht"}, {"gist:", NULL}, /* NULL: a gist */
};

struct parts {
    enum form form;
    const struct shortcut *sc; /* F_SHORTCUT */
    bool web;                  /* http(s) and git+http(s) URLs: deeper paths are links */
    bool ssh;                  /* ssh URLs and scp: a user name is not a secret */
    const char *why;           /* why scan() refused */
    const char *cred, *host, *path, *query;
    size_t cred_n, host_n, path_n, query_n; /* cred_n includes the '@' */
};

static const char *find(const char *s, const char *end, char c)
{
    return s < end ? memchr(s, c, (size_t)(end - s)) : NULL;
}

static const char *find_last(const char *s, const char *end, char c)
{
    const char *last = NULL;
    for (; s < end; s++)
        if (*s == c)
            last = s;
    return last;
}

static bool has_prefix(const char *s, size_t n, const char *pre)
{
    size_t l = strlen(pre);
    return n >= l && strncasecmp(s, pre, l) == 0;
}

/* The scheme before "://", if there is one: [A-Za-z][A-Za-z0-9+.-]*. */
static size_t scheme_len(const char *s, const char *end)
{
    if (s >= end || !isalpha((unsigned char)*s))
        return 0;
    const char *q = s + 1;
    while (q < end && (isalnum((unsigned char)*q) || *q == '+' || *q == '-' || *q == '.'))
        q++;
    return end - q >= 3 && memcmp(q, "://", 3) == 0 ? (size_t)(q - s) : 0;
}

static bool scheme_is(const char *s, size_t n, const char *name)
{
    return n == strlen(name) && strncasecmp(s, name, n) == 0;
}

/* Path and query of [p, end): the query starts at the first '?'. */
static void path_query(struct parts *pt, const char *p, const char *end)
{
    const char *q = find(p, end, '?');
    pt->path = p;
    pt->path_n = (size_t)((q ? q : end) - p);
    pt->query = q;
    pt->query_n = q ? (size_t)(end - q) : 0;
}

/* Cuts [s, end) — a value without its fragment — into parts by its form. */
static bool scan(const char *s, const char *end, struct parts *pt)
{
    memset(pt, 0, sizeof *pt);
    size_t n = (size_t)(end - s);

    for (size_t i = 0; i < sizeof shortcuts / sizeof shortcuts[0]; i++) {
        if (!has_prefix(s, n, shortcuts[i].prefix))
            continue;
        const char *rest = s + strlen(shortcuts[i].prefix);
        const char *slash = find(rest, end, '/');
        const char *at = find_last(rest, slash ? slash : end, '@');
        pt->form = F_SHORTCUT;
        pt->sc = &shortcuts[i];
        pt->cred = rest;
        pt->cred_n = at ? (size_t)(at + 1 - rest) : 0;
        path_query(pt, at ? at + 1 : rest, end);
        return true;
    }

    size_t sl = scheme_len(s, end);
    if (sl) {
        const char *a = s + sl + 3, *auth_end = a;
        while (auth_end < end && *auth_end != '/' && *auth_end != '?')
            auth_end++;
        const char *at = find_last(a, auth_end, '@');
        const char *h = at ? at + 1 : a;
        const char *colon = find(h, auth_end, ':');
        pt->form = F_URL;
        pt->web = scheme_is(s, sl, "http") || scheme_is(s, sl, "https") ||
                  scheme_is(s, sl, "git+http") || scheme_is(s, sl, "git+https");
        pt->ssh = scheme_is(s, sl, "ssh") || scheme_is(s, sl, "git+ssh");
        pt->cred = a;
        pt->cred_n = at ? (size_t)(at + 1 - a) : 0;
        pt->host = h;
        pt->host_n = (size_t)((colon ? colon : auth_end) - h);
        const char *path = auth_end;
        if (colon) {
            /* host:port, or host:path as scp writes it */
            size_t digits = 0, tail = (size_t)(auth_end - colon - 1);
            unsigned long port = 0;
            for (; digits < tail && isdigit((unsigned char)colon[1 + digits]); digits++)
                if (port <= 65535)
                    port = port * 10 + (unsigned long)(colon[1 + digits] - '0');
            if (digits < tail)
                path = colon + 1;
            else if (port > 65535 || (digits && port == 0)) {
                pt->why = "has a port out of range";
                return false;
            }
        }
        path_query(pt, path, end);
        return true;
    }

    const char *slash = find(s, end, '/');
    const char *at = find_last(s, slash ? slash : end, '@');
    const char *h = at ? at + 1 : s;
    const char *colon = find(h, slash ? slash : end, ':');
    /* Not "host://path": with a user before it that reads as scp, without
     * one as a URL of scheme "host", so it names no repository for certain
     * (and redacting the user would change what it names). */
    bool url_like = colon && end - colon > 2 && colon[1] == '/' && colon[2] == '/';
    if (colon && find(h, colon, '.') && !url_like) {
        pt->form = F_SCP;
        pt->ssh = true;
        pt->cred = s;
        pt->cred_n = at ? (size_t)(at + 1 - s) : 0;
        pt->host = h;
        pt->host_n = (size_t)(colon - h);
        path_query(pt, colon + 1, end);
        return true;
    }

    /* npm's GitHub shorthand, by hosted-git-info's rules: one slash, not
     * first (an absolute path) or last (a directory); not starting with '.'
     * (a relative path); no '@' (credentials or a scope) and no ':'. */
    if (slash && slash > s && !find(slash + 1, end, '/') && end[-1] != '/' && s[0] != '.' &&
        !find(s, end, '@') && !find(s, end, ':')) {
        pt->form = F_BARE;
        path_query(pt, s, end);
        return true;
    }
    pt->why = "is not a repository URL or shorthand";
    return false;
}

static bool host_is(const char *h, const char *name)
{
    return strcasecmp(h, name) == 0 ||
           (strncasecmp(h, "www.", 4) == 0 && strcasecmp(h + 4, name) == 0);
}

/* Letters, digits and "-._~": what GitHub, GitLab, Bitbucket, Gitea and
 * sourcehut allow in owner and repository names. Everything else — '%', '@',
 * ':', spaces, bytes past ASCII — is refused rather than decoded or guessed. */
static bool name_char(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static bool good_segment(const char *s, size_t n)
{
    if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!name_char((unsigned char)s[i]))
            return false;
    return true;
}

static enum repo_kind unknown(struct repo *r, const char *why)
{
    memset(r, 0, sizeof *r);
    r->kind = REPO_UNKNOWN;
    r->why = why;
    return r->kind;
}

/* Splits the path into owner and name by the host's rules (see repo.h).
 * two: GitHub and Bitbucket, where a repository is owner/name; deeper:
 * whether more segments may follow there (links in a web URL). */
static enum repo_kind split(struct repo *r, const char *p, size_t n, bool two, bool deeper)
{
    while (n && p[0] == '/')
        p++, n--;
    while (n && p[n - 1] == '/')
        n--;
    const char *seg[64];
    size_t len[64], k = 0;
    for (size_t i = 0, start = 0; i <= n; i++) {
        if (i < n && p[i] != '/')
            continue;
        if (i == start)
            return unknown(r, "has an empty path segment");
        if (k == sizeof seg / sizeof seg[0])
            return unknown(r, "has too many path segments");
        seg[k] = p + start;
        len[k++] = i - start;
        start = i + 1;
    }
    if (two) {
        if (k > 2 && !deeper)
            return unknown(r, "has more path than owner/name");
        if (k > 2)
            k = 2;
    } else {
        for (size_t i = 1; i < k; i++)
            if (len[i] == 1 && seg[i][0] == '-') { /* GitLab: /-/ starts the project's pages */
                k = i;
                break;
            }
    }
    if (k < 2)
        return unknown(r, "names no owner/name");
    size_t name_n = len[k - 1];
    if (name_n >= 4 && strncasecmp(seg[k - 1] + name_n - 4, ".git", 4) == 0)
        name_n -= 4;
    for (size_t i = 0; i + 1 < k; i++)
        if (!good_segment(seg[i], len[i]))
            return unknown(r, "has an owner with characters no repository host allows");
    if (!good_segment(seg[k - 1], name_n))
        return unknown(r, "has a name with characters no repository host allows");
    size_t owner_n = (size_t)(seg[k - 1] - 1 - seg[0]);
    if (owner_n >= sizeof r->owner || name_n >= sizeof r->name)
        return unknown(r, "has an owner or name too long");
    memcpy(r->owner, seg[0], owner_n);
    memcpy(r->name, seg[k - 1], name_n);
    r->kind = REPO_MAPPED;
    return r->kind;
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

enum repo_kind repo_parse(const char *s, size_t n, struct repo *r)
{
    memset(r, 0, sizeof *r);
    while (n && is_space((unsigned char)*s))
        s++, n--;
    while (n && is_space((unsigned char)s[n - 1]))
        n--;
    if (n == 0)
        return r->kind = REPO_NONE;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return unknown(r, "holds a control character");
    const char *end = find(s, s + n, '#');
    if (!end)
        end = s + n;
    if (find(s, end, ' '))
        return unknown(r, "holds a space");

    struct parts pt;
    if (!scan(s, end, &pt))
        return unknown(r, pt.why);
    if (pt.form == F_SHORTCUT && !pt.sc->host) {
        r->why = "is a gist, not a code repository";
        return r->kind = REPO_GIST;
    }
    if (pt.form == F_SHORTCUT || pt.form == F_BARE) {
        snprintf(r->host, sizeof r->host, "%s", pt.form == F_BARE ? "github.com" : pt.sc->host);
    } else {
        if (pt.host_n == 0)
            return unknown(r, "names no host");
        if (pt.host_n >= sizeof r->host)
            return unknown(r, "has a host name too long");
        for (size_t i = 0; i < pt.host_n; i++) {
            unsigned char c = (unsigned char)pt.host[i];
            if (!(isalnum(c) || c == '-' || c == '.' || c == '_'))
                return unknown(r, "has a host name with characters no host name holds");
            r->host[i] = (char)tolower(c);
        }
        if (host_is(r->host, "gist.github.com")) {
            memset(r, 0, sizeof *r);
            r->why = "is a gist, not a code repository";
            return r->kind = REPO_GIST;
        }
    }
    bool two = host_is(r->host, "github.com") || host_is(r->host, "bitbucket.org");
    return split(r, pt.path, pt.path_n, two, pt.form == F_URL && pt.web);
}

/* A user name that is not a secret: a plain name, on ssh. */
static bool keep_user(const char *u, size_t n, bool ssh)
{
    if (!ssh || n < 2) /* n counts the '@' */
        return false;
    for (size_t i = 0; i + 1 < n; i++)
        if (!name_char((unsigned char)u[i]))
            return false;
    return true;
}

int repo_redact(const char *s, size_t n, struct buf *out)
{
    struct repo r;
    struct parts pt;
    const char *frag = find(s, s + n, '#');
    const char *end = frag ? frag : s + n;
    /* Leading spaces would hide a shortcut or scheme from scan(). */
    const char *v = s;
    while (v < end && is_space((unsigned char)*v))
        v++;
    while (!frag && end > v && is_space((unsigned char)end[-1]))
        end--;
    const char *cut1 = NULL, *cut2 = NULL;
    size_t cut1_n = 0, cut2_n = 0;

    if (repo_parse(s, n, &r) == REPO_MAPPED && scan(v, end, &pt)) {
        /* Read for certain: the credentials are exactly the parts found. */
        if (pt.cred_n && !keep_user(pt.cred, pt.cred_n, pt.ssh))
            cut1 = pt.cred, cut1_n = pt.cred_n;
        cut2 = pt.query, cut2_n = pt.query_n;
    } else {
        /* Not read for certain, so the credentials' end is not known either:
         * everything from the start of the authority to the last '@' before
         * the fragment goes, and the query with it. */
        size_t sl = scheme_len(v, end);
        const char *a = sl ? v + sl + 3 : v;
        for (size_t i = 0; !sl && i < sizeof shortcuts / sizeof shortcuts[0]; i++)
            if (has_prefix(v, (size_t)(end - v), shortcuts[i].prefix))
                a = v + strlen(shortcuts[i].prefix);
        const char *q = find(a, end, '?');
        const char *at = find_last(a, q ? q : end, '@');
        if (at) {
            const char *after = at + 1, *slash = find(after, end, '/');
            bool ssh = sl ? scheme_is(v, sl, "ssh") || scheme_is(v, sl, "git+ssh")
                          : a == v && find(after, slash ? slash : end, ':') != NULL;
            if (!keep_user(a, (size_t)(at + 1 - a), ssh))
                cut1 = a, cut1_n = (size_t)(at + 1 - a);
        }
        if (q)
            cut2 = q, cut2_n = (size_t)(end - q);
    }

    const char *p = s;
    int cut = 0;
    const char *cuts[2] = {cut1, cut2};
    size_t cuts_n[2] = {cut1_n, cut2_n};
    for (int i = 0; i < 2; i++) {
        if (!cuts[i] || !cuts_n[i])
            continue;
        buf_append(out, p, (size_t)(cuts[i] - p));
        p = cuts[i] + cuts_n[i];
        cut = 1;
    }
    buf_append(out, p, (size_t)(s + n - p));
    return cut;
}
