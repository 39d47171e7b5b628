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
 *   github:owner/repo  gitlab:grp/repo  bitbucket:owner/repo  owner/repo
 *
 * Owner and name keep the case the URL spells. On GitHub and Bitbucket the
 * owner is the first path segment and the name the second (deeper paths such
 * as /tree/main/pkg are links into the repository); elsewhere (GitLab and
 * self-hosted) the owner is every segment but the last, which is how GitLab
 * nests groups (group/sub), and GitLab's "/-/" marks the end of the project
 * path. A monorepo's `directory` does not change the repository.
 */
#ifndef J1NPM_TRANSFORM_REPO_H
#define J1NPM_TRANSFORM_REPO_H

#include <stdbool.h>
#include <stddef.h>

struct repo {
    char host[128];
    char owner[256];
    char name[256];
};

/* Parses a repository URL or shorthand; false if it names no repository. */
bool repo_parse(const char *url, size_t n, struct repo *out);

#endif
