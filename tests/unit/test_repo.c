/* test_repo.c — which repository a `repository` value names, and that its
 * credentials are never part of the answer or of what is written
 * (transform/repo.c). The rows are real-world spellings; the ones marked
 * "hgi" are read the way npm's own parser (hosted-git-info) reads them. */
#include <string.h>

#include "t.h"
#include "transform/repo.h"

#define S(lit) lit, sizeof(lit) - 1 /* a literal with its length: NULs count */

struct row {
    const char *url;
    size_t n;
    enum repo_kind kind;
    const char *host, *owner, *name;
};

#define MAP(lit, h, o, nm)                                                                         \
    {                                                                                              \
        S(lit), REPO_MAPPED, h, o, nm                                                              \
    }
#define NOMAP(lit)                                                                                 \
    {                                                                                              \
        S(lit), REPO_UNKNOWN, NULL, NULL, NULL                                                     \
    }
#define GIST(lit)                                                                                  \
    {                                                                                              \
        S(lit), REPO_GIST, NULL, NULL, NULL                                                        \
    }
#define NONE(lit)                                                                                  \
    {                                                                                              \
        S(lit), REPO_NONE, NULL, NULL, NULL                                                        \
    }

static const struct row rows[] = {
    /* the common spellings, as npm writes them */
    MAP("git+https://github.com/AcmeCorp/core.git", "github.com", "AcmeCorp", "core"),
    MAP("https://github.com/AcmeCorp/auth-client", "github.com", "AcmeCorp", "auth-client"),
    MAP("git+ssh://git@github.com/acmecorp/logger.git", "github.com", "acmecorp", "logger"),
    MAP("git://github.com/owner/repo.git", "github.com", "owner", "repo"),
    MAP("http://github.com/owner/repo", "github.com", "owner", "repo"),
    MAP("git@github.com:owner/repo.git", "github.com", "owner", "repo"),
    MAP("github:acmecorp/legacy-sdk", "github.com", "acmecorp", "legacy-sdk"),
    MAP("GitHub:Foo/Bar", "github.com", "Foo", "Bar"),
    MAP("acmecorp/eslint-config", "github.com", "acmecorp", "eslint-config"),
    MAP("foo/bar.git#semver:^1.0.0", "github.com", "foo", "bar"),
    MAP("https://www.github.com/o/r", "www.github.com", "o", "r"),
    MAP("https://GitHub.COM/Owner/Repo", "github.com", "Owner", "Repo"),
    /* trailing slashes, .git, fragments, queries, surrounding space */
    MAP("https://github.com/o/r/", "github.com", "o", "r"),
    MAP("https://github.com/o/r.git/", "github.com", "o", "r"),
    MAP("https://github.com/o/r.GIT", "github.com", "o", "r"),
    MAP("git+https://github.com/o/r.git#v1.2.3", "github.com", "o", "r"),
    MAP("https://github.com/o/r?tab=readme-ov-file#usage", "github.com", "o", "r"),
    MAP("github:o/r/", "github.com", "o", "r"),
    MAP("  https://github.com/o/r \n", "github.com", "o", "r"),
    /* web links into a repository */
    MAP("https://github.com/o/r/tree/main/packages/x", "github.com", "o", "r"),
    MAP("https://github.com/o/r/issues", "github.com", "o", "r"),
    MAP("https://bitbucket.org/o/r/src/main/", "bitbucket.org", "o", "r"),
    MAP("https://gitlab.com/grp/proj/-/tree/main/pkg", "gitlab.com", "grp", "proj"),
    /* scheme://host:path — the scp path after a URL's host (hgi) */
    MAP("git+ssh://git@github.com:owner/repo.git", "github.com", "owner", "repo"),
    MAP("ssh://git@github.com:owner/repo", "github.com", "owner", "repo"),
    MAP("git+ssh://github.com:foo/bar", "github.com", "foo", "bar"),
    MAP("git+ssh://git@git.unlucky.com:RND/electron-tools/some-tool#2.0.1", "git.unlucky.com",
        "RND/electron-tools", "some-tool"),
    MAP("git+ssh://git@gitlab.com:foo/bar/baz.git", "gitlab.com", "foo/bar", "baz"),
    MAP("ssh://git@github.com:/owner/repo.git", "github.com", "owner", "repo"),
    /* a real port stays a port */
    MAP("ssh://git@git.example.com:2222/grp/repo.git", "git.example.com", "grp", "repo"),
    MAP("https://github.com:443/o/r", "github.com", "o", "r"),
    MAP("git+ssh://git@gitlab.example.com:7999/team/sub/repo.git", "gitlab.example.com", "team/sub",
        "repo"),
    NOMAP("ssh://git@git.example.com:99999/o/r"),
    NOMAP("git+ssh://git@github.com:"),
    NOMAP("ssh://git@git.example.com:2222"),
    /* credentials: never in the owner (hgi) */
    MAP("github:user@foo/bar", "github.com", "foo", "bar"),
    MAP("github:user:password@foo/bar.git", "github.com", "foo", "bar"),
    MAP("github::password@foo/bar", "github.com", "foo", "bar"),
    MAP("gitlab:user:password@foo/bar/baz", "gitlab.com", "foo/bar", "baz"),
    MAP("user:password@gitlab.com:foo/bar/baz", "gitlab.com", "foo/bar", "baz"),
    MAP(":password@github.com:foo/bar", "github.com", "foo", "bar"),
    MAP("user@github.com:foo/bar.git#fix/bug", "github.com", "foo", "bar"),
    MAP("https://user:password@github.com/foo/bar.git", "github.com", "foo", "bar"),
    MAP("https://x-access-token:ghp_abc@github.com/o/r", "github.com", "o", "r"),
    MAP("https://user:p@ss@github.com/o/r", "github.com", "o", "r"),
    MAP("git+ssh://user:password@github.com:foo/bar.git", "github.com", "foo", "bar"),
    MAP("https://oauth2:glpat-xyz@gitlab.com/grp/sub/repo.git", "gitlab.com", "grp/sub", "repo"),
    NOMAP("user@foo/bar"),
    NOMAP("user:password@foo/bar"),
    NOMAP("https://user:pa/ss@github.com/o/r"),
    /* GitLab, Bitbucket, sourcehut, self-hosted */
    MAP("https://gitlab.com/acme-group/frontend/widgets.git", "gitlab.com", "acme-group/frontend",
        "widgets"),
    MAP("gitlab:grp/repo", "gitlab.com", "grp", "repo"),
    MAP("bitbucket:o/r", "bitbucket.org", "o", "r"),
    MAP("git@bitbucket.org:o/r.git", "bitbucket.org", "o", "r"),
    MAP("https://git.corp.example/team/sub/repo.git", "git.corp.example", "team/sub", "repo"),
    MAP("git@git.corp.example:team/repo.git", "git.corp.example", "team", "repo"),
    MAP("sourcehut:~sir/repo", "git.sr.ht", "~sir", "repo"),
    MAP("github.com:foo/bar", "github.com", "foo",
        "bar"), /* scp without a user (git reads it so) */
    /* gists are not code repositories */
    /* "host://path" after a user: scp or a URL of scheme "host"? It names
     * nothing for certain, and redacting the user would change which
     * (found by fuzz/repo, fuzz/crashes/repo/). */
    NOMAP("git@github.com://owner/repo"),
    NOMAP("t[@it.g://g/wp"),
    NOMAP("@b.://///o/r"),
    GIST("gist:11081aaa281"),
    GIST("gist:user:password@foo/feedbeef"),
    GIST("https://gist.github.com/foo/feedbeef"),
    GIST("git@gist.github.com:feedbeef.git"),
    GIST("git://www.gist.github.com/feedbeef.git"),
    /* on GitHub a clone URL or shorthand is owner/name, nothing deeper */
    NOMAP("github:foo/bar/baz"),
    NOMAP("git@github.com:o/r/x.git"),
    NOMAP("git+ssh://git@github.com/RND/electron-tools/some-tool"),
    NOMAP("git://github.com/o/r/tree/main"),
    /* names something, but no repository that can be read for certain */
    NOMAP("https://google.com"),
    NOMAP("https://gitlab.com/foo"),
    NOMAP("foo"),
    NOMAP("foo/bar/"),
    NOMAP("npm/npm/npm"),
    NOMAP("./packages/x"),
    NOMAP("/home/me/repo"),
    NOMAP("@scope/pkg"),
    NOMAP("file:../repo"),
    NOMAP("git+file:///foo/bar"),
    NOMAP("https:github.com/o/r"),
    NOMAP("::"),
    NOMAP("https://github.com/o%20x/r"),
    NOMAP("https://github.com/o r"),
    NOMAP("https://github.com//r"),
    NOMAP("https://github.com/o//r"),
    NOMAP("https://github.com/o/.git"),
    NOMAP("https://github.com/o/.."),
    NOMAP("https://[::1]/o/r"),
    NOMAP("https://github.com/o\xc3\xa9/r"),
    NOMAP("TBD"),
    /* empty, and embedded NULs and control characters */
    NONE(""),
    NONE("   "),
    NOMAP("\0"),
    NOMAP("https://github.com/o/\0"),
    NOMAP("https://github.com/o/r\0.git"),
    NOMAP("\0https://github.com/o/r"),
    NOMAP("https://github.com/o\n/r"),
    NOMAP("https://github.com/o/r\x1b[31m"),
};

TEST(test_repo_every_spelling_maps_to_its_repository_or_to_none)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct row *w = &rows[i];
        struct repo r;
        struct buf got = BUF_INIT, exp = BUF_INIT, in = BUF_INIT;
        repo_parse(w->url, w->n, &r);
        static const char *kinds[] = {"none", "mapped", "gist", "no mapping"};
        if (r.kind == REPO_MAPPED)
            buf_printf(&got, "%s %s %s", r.host, r.owner, r.name);
        else
            buf_puts(&got, kinds[r.kind]);
        if (w->kind == REPO_MAPPED)
            buf_printf(&exp, "%s %s %s", w->host, w->owner, w->name);
        else
            buf_puts(&exp, kinds[w->kind]);
        bool ok = strcmp(got.p, exp.p) == 0 &&
                  (r.kind == REPO_MAPPED || r.kind == REPO_NONE || (r.why && r.why[0]));
        if (!ok) {
            t_escape(&in, w->url, w->n, 200);
            t_fail(__FILE__, __LINE__, NULL, "%s: expected %s, got %s%s%s", in.p, exp.p, got.p,
                   r.why ? ": " : "", r.why ? r.why : "");
        }
        buf_free(&got);
        buf_free(&exp);
        buf_free(&in);
        if (!ok)
            return;
    }
}

TEST(test_repo_mapped_names_are_never_empty_and_hold_no_credentials)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct repo r;
        if (repo_parse(rows[i].url, rows[i].n, &r) != REPO_MAPPED)
            continue;
        T_TRUE(r.host[0] && r.owner[0] && r.name[0]);
        T_TRUE(!strchr(r.owner, '@') && !strchr(r.owner, ':') && !strchr(r.name, '@'));
        T_NOT_CONTAINS(r.owner, strlen(r.owner), "user", 4);
    }
}

/* The secrets the rows above hold; none may survive repo_redact. */
static const char *const secrets[] = {"password", "ghp_abc", "glpat", "pa/ss", "p@ss", "x-access"};

TEST(test_repo_redact_never_writes_a_credential_of_any_row)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct buf out = BUF_INIT;
        int rc = repo_redact(rows[i].url, rows[i].n, &out);
        for (size_t k = 0; rc >= 0 && k < sizeof secrets / sizeof secrets[0]; k++)
            if (!t_not_contains(out.p, out.len, secrets[k], strlen(secrets[k]), __FILE__, __LINE__,
                                rows[i].url))
                break;
        /* Leaving the credentials out never changes the answer. */
        struct repo a, b;
        repo_parse(rows[i].url, rows[i].n, &a);
        repo_parse(out.p, out.len, &b);
        if (a.kind == REPO_MAPPED)
            T_CHECK_BOOL(true, b.kind == REPO_MAPPED && strcmp(a.host, b.host) == 0 &&
                                   strcmp(a.owner, b.owner) == 0 && strcmp(a.name, b.name) == 0);
        buf_free(&out);
        T_INT(0, rc < 0);
        if (t_failed())
            return;
    }
}

TEST(test_repo_redact_keeps_everything_but_the_credentials)
{
    static const struct {
        const char *in;
        size_t n;
        const char *out;
        size_t out_n;
        int cut;
    } cases[] = {
        {S("git+ssh://git@github.com/o/r.git"), S("git+ssh://git@github.com/o/r.git"), 0},
        {S("git@github.com:o/r.git"), S("git@github.com:o/r.git"), 0},
        {S("ssh://alice@git.corp.example:2222/o/r.git"),
         S("ssh://alice@git.corp.example:2222/o/r.git"), 0},
        {S("https://github.com/o/r#user:pw@x"), S("https://github.com/o/r#user:pw@x"), 0},
        {S("https://user:password@github.com/o/r.git"), S("https://github.com/o/r.git"), 1},
        {S("https://ghp_abc@github.com/o/r"), S("https://github.com/o/r"), 1},
        {S("git+ssh://user:password@github.com:foo/bar.git"), S("git+ssh://github.com:foo/bar.git"),
         1},
        {S("user:password@gitlab.com:foo/bar/baz"), S("gitlab.com:foo/bar/baz"), 1},
        {S("github:user:password@foo/bar"), S("github:foo/bar"), 1},
        {S("github:user@foo/bar"), S("github:foo/bar"), 1},
        {S("https://github.com/o/r?private_token=glpat-x#main"), S("https://github.com/o/r#main"),
         1},
        /* not read for certain: everything up to the last '@' goes */
        {S("https://user:pa/ss@github.com/o/r"), S("https://github.com/o/r"), 1},
        {S("user:secret@foo/bar"), S("foo/bar"), 1},
        {S("gist:user:password@feedbeef"), S("gist:feedbeef"), 1},
        {S("git@github.com:o/r/x.git"), S("git@github.com:o/r/x.git"), 0},
        {S("ghp_abc@github.com/o/r/x"), S("github.com/o/r/x"), 1},
        {S("https://user:pw@github.com/o/r\0"), S("https://github.com/o/r\0"), 1},
        {S(" https://u:p@github.com/o/r "), S(" https://github.com/o/r "), 1},
        {S(""), S(""), 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct buf out = BUF_INIT;
        int rc = repo_redact(cases[i].in, cases[i].n, &out);
        bool same = out.len == cases[i].out_n && memcmp(out.p, cases[i].out, out.len) == 0;
        if (!same)
            t_mem(cases[i].out, cases[i].out_n, out.p, out.len, __FILE__, __LINE__, cases[i].in);
        buf_free(&out);
        T_TRUE(same);
        T_INT(cases[i].cut, rc);
    }
}

/* Random values from the characters that matter to the parser: any answer
 * is allowed, but a mapped one is never empty and never holds a character
 * no repository name holds, and the value written is never longer than the
 * one given. (Under make SAN=1 this is also a small fuzzer.) */
TEST(test_repo_random_values_keep_the_invariants)
{
    static const char alphabet[] = "ab.-_~/:@#?% \t\0\x01\xc3gitlab:hub:ssh://+0123";
    static const char *const stems[] = {
        "", "https://", "git+ssh://git@", "github:", "git@", "gitlab:", "ssh://u:p@h.x:22/"};
    struct t_rng rng;
    t_rng_init(&rng, 8);
    char v[96];
    for (int iter = 0; iter < 20000; iter++) {
        const char *stem = stems[t_rng_below(&rng, sizeof stems / sizeof stems[0])];
        size_t n = strlen(stem);
        memcpy(v, stem, n);
        size_t extra = t_rng_below(&rng, (unsigned)(sizeof v - n));
        for (size_t i = 0; i < extra; i++)
            v[n++] = alphabet[t_rng_below(&rng, sizeof alphabet - 1)];
        struct repo r;
        struct buf out = BUF_INIT;
        enum repo_kind k = repo_parse(v, n, &r);
        int rc = repo_redact(v, n, &out);
        bool ok = rc >= 0 && out.len <= n;
        if (k == REPO_MAPPED) {
            ok = ok && r.host[0] && r.owner[0] && r.name[0];
            for (const char *c = r.owner; ok && *c; c++)
                ok = *c == '/' || strchr("-._~", *c) || (*c >= '0' && *c <= '9') ||
                     ((*c | 0x20) >= 'a' && (*c | 0x20) <= 'z');
            ok = ok && !strpbrk(r.name, "/@:%?# ");
        }
        buf_free(&out);
        if (!ok) {
            struct buf in = BUF_INIT;
            t_escape(&in, v, n, 200);
            t_fail(__FILE__, __LINE__, NULL, "%s: kind %d, owner \"%s\", name \"%s\", redact %d",
                   in.p, (int)k, r.owner, r.name, rc);
            buf_free(&in);
            return;
        }
    }
}

/* README's "Repository mapping" paragraph, phrase by phrase: each spelling
 * it names, and each case it says gets no mapping. */
TEST(test_repo_readme_spellings_each_map_as_the_readme_says)
{
    static const struct row readme[] = {
        /* "in any of npm's spellings" */
        MAP("git+https://github.com/Owner/Repo.git", "github.com", "Owner", "Repo"),
        MAP("git+ssh://git@github.com/o/r.git", "github.com", "o", "r"),
        MAP("https://github.com/o/r", "github.com", "o", "r"),
        MAP("git://github.com/o/r.git", "github.com", "o", "r"),
        MAP("ssh://git@host.example:2222/o/r.git", "host.example", "o", "r"),
        MAP("git@host.example:o/r.git", "host.example", "o", "r"),
        MAP("git+ssh://git@host.example:o/r.git", "host.example", "o", "r"),
        MAP("github:o/r", "github.com", "o", "r"),
        MAP("gitlab:g/r", "gitlab.com", "g", "r"),
        MAP("bitbucket:o/r", "bitbucket.org", "o", "r"),
        MAP("sourcehut:~u/r", "git.sr.ht", "~u", "r"),
        MAP("o/r", "github.com", "o", "r"),
        /* the bare shorthand: one slash, not first or last, no '@' or ':',
         * not starting with '.' */
        NOMAP("/o/r"),
        NOMAP("o/r/"),
        NOMAP("o/r/x"),
        NOMAP(".o/r"),
        /* "the host is lower-cased"; owner and name keep their case */
        MAP("https://GITHUB.com/Owner/Repo", "github.com", "Owner", "Repo"),
        /* "a deeper path is a link into the repository only in a web URL" */
        MAP("https://github.com/o/r/tree/main/pkg", "github.com", "o", "r"),
        NOMAP("git+ssh://git@github.com/o/r/x.git"),
        NOMAP("github:o/r/x"),
        /* "On GitLab and self-hosted hosts the owner is the whole group path" */
        MAP("https://gitlab.com/group/sub/r.git", "gitlab.com", "group/sub", "r"),
        MAP("https://git.example/group/sub/r", "git.example", "group/sub", "r"),
        MAP("https://gitlab.com/group/sub/r/-/tree/main", "gitlab.com", "group/sub", "r"),
        /* "A trailing .git and trailing slashes are dropped; a fragment and a
         * query never change the repository" */
        MAP("https://github.com/o/r.git//", "github.com", "o", "r"),
        MAP("https://github.com/o/r#branch", "github.com", "o", "r"),
        MAP("https://github.com/o/r?private_token=x", "github.com", "o", "r"),
        /* "another form (TBD, a local path, file:), a host without
         * owner/name, a space, a control character or a NUL, %-escapes" */
        NOMAP("TBD"),
        NOMAP("../repo"),
        NOMAP("file:../repo"),
        NOMAP("https://github.com/"),
        NOMAP("https://github.com/o /r"),
        NOMAP("https://github.com/o/r\x01"),
        NOMAP("https://github.com/o/r\0"),
        NOMAP("https://github.com/o%2Fx/r"),
        /* gists */
        GIST("gist:feedbeef"),
        GIST("https://gist.github.com/o/feedbeef"),
        /* "(none, or an empty one)" */
        NONE(""),
        /* credentials never reach an owner or a name */
        MAP("https://user:pass@github.com/o/r", "github.com", "o", "r"),
        MAP("https://ghp_token@github.com/o/r", "github.com", "o", "r"),
        MAP("github:user:pass@o/r", "github.com", "o", "r"),
        MAP("user:pass@host.example:o/r", "host.example", "o", "r"),
    };
    for (size_t i = 0; i < sizeof readme / sizeof readme[0]; i++) {
        const struct row *w = &readme[i];
        struct repo r;
        struct buf in = BUF_INIT;
        enum repo_kind k = repo_parse(w->url, w->n, &r);
        bool ok = k == w->kind && (k != REPO_MAPPED || (strcmp(r.host, w->host) == 0 &&
                                                        strcmp(r.owner, w->owner) == 0 &&
                                                        strcmp(r.name, w->name) == 0));
        if (!ok) {
            t_escape(&in, w->url, w->n, 200);
            t_fail(__FILE__, __LINE__, NULL, "%s: expected kind %d %s/%s, got kind %d %s/%s", in.p,
                   (int)w->kind, w->owner ? w->owner : "", w->name ? w->name : "", (int)k,
                   k == REPO_MAPPED ? r.owner : "", k == REPO_MAPPED ? r.name : "");
        }
        buf_free(&in);
        if (!ok)
            return;
    }
}
