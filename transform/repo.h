/*
 * repo.h — which source repository published a package, from the
 * `repository` field of its package document.
 *
 * The field is an object {type, url, directory} or a string; the URL comes
 * in many spellings, all of which name the same (host, owner, name):
 *
 *   git+https://github.com/Owner/Repo.git     https://github.com/owner/repo
 *   git+ssh://git@github.com/owner/repo.git   git://github.com/owner/repo.git
 *   git@github.com:owner/repo.git             ssh://git@gitlab.com/grp/sub/repo
 *   git+ssh://git@github.com:owner/repo.git   (scp path after a URL's host)
 *   github:owner/repo  gitlab:grp/repo  bitbucket:owner/repo  owner/repo
 *
 * Owner and name keep the case the URL spells; the host is lower-cased. On
 * GitHub and Bitbucket the owner is the first path segment and the name the
 * second; deeper paths (/tree/main/pkg) are accepted only in web URLs, where
 * they are links into the repository — in a clone URL or a shorthand they
 * name no repository. Elsewhere (GitLab and self-hosted) the owner is every
 * segment but the last, which is how GitLab nests groups (group/sub), and
 * GitLab's "/-/" marks the end of the project path. A monorepo's `directory`
 * does not change the repository.
 *
 * A wrong edge is worse than none: a value that names something this parser
 * cannot read for certain is REPO_UNKNOWN, never a guess. Gists are not code
 * repositories (REPO_GIST). Credentials in the value (user:password@, a token
 * given as the user name, a query string) never reach an owner or a name, and
 * repo_redact() writes the value without them.
 */
#ifndef J1NPM_TRANSFORM_REPO_H
#define J1NPM_TRANSFORM_REPO_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

enum repo_kind {
    REPO_NONE,    /* empty or only spaces: names no repository */
    REPO_MAPPED,  /* host, owner and name are known */
    REPO_GIST,    /* a gist: not a code repository */
    REPO_UNKNOWN, /* names something that cannot be read for certain */
};

struct repo {
    enum repo_kind kind;
    const char *why; /* REPO_UNKNOWN, REPO_GIST: why there is no mapping */
    char host[128];
    char owner[256];
    char name[256];
};

/* Reads a repository URL or shorthand of n bytes (which may hold NULs).
 * Returns and sets out->kind; host, owner and name are set only for
 * REPO_MAPPED, and are then non-empty. */
enum repo_kind repo_parse(const char *url, size_t n, struct repo *out);

/* Appends the value to out as it was given, but without its credentials:
 * a user name with a password, any user name in an http(s) or git:// URL
 * (where tokens go), and the query string. A bare user name on an ssh URL
 * (git@…) is kept. Returns 1 if something was left out, 0 if not. */
int repo_redact(const char *url, size_t n, struct buf *out);

#endif
