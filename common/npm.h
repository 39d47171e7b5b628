/*
 * npm.h — what this suite knows about the npm registry's org API, in one
 * place for collect (which asks) and transform (which reads the answers):
 *
 *  - the name rules: which org names npm allows, and which user, team and
 *    package names are plausible;
 *  - the "org:team" spelling of a team and how it splits;
 *  - the list shapes of the answers (the roster, the team list, the package
 *    list, a team's members and packages, a package's collaborators) and one
 *    fast walker over them;
 *  - the request paths, with npm's escaping of scoped names.
 *
 * The walker reads the raw body in one pass, without tokenising it (the
 * collaborator lists of a large org are half a dump's bytes): an object is
 * walked with json_each_member, an array of strings by a small scanner of
 * its own. Names and values are handed out decoded and NUL-terminated, in
 * document order. It applies no name rule: collect skips an implausible name
 * with a warning, transform refuses the record, so each caller decides.
 */
#ifndef J1NPM_NPM_H
#define J1NPM_NPM_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "dumpfmt.h"
#include "err.h"

/* An org (a scope) name as npm allows it: 1 to NPM_ORG_MAX bytes of ASCII
 * letters, digits, '-', '_' and '.'. Unlike npm_name_ok this one is strict:
 * it judges what a user typed (collect's --org) before any request is made,
 * and that name also names the default dump directory (npm-dump-ORG), where
 * a '/' must not get in. */
#define NPM_ORG_MAX 214
bool npm_org_name_ok(const char *s, size_t n);

/* npm allows 214 bytes for a package name and as many for its scope: a
 * scoped name "@scope/name" is at most 214 + 214 bytes. Users and teams are
 * held to the same bound. */
#define NPM_NAME_MAX 428

/* A plausible user, team or package name: 1 to NPM_NAME_MAX bytes, no
 * control character (so no embedded NUL either). Nothing stricter: the
 * registry is the judge of its names, this only keeps hostile ones out of
 * paths, logs and graph keys. */
bool npm_name_ok(const char *s, size_t n);

/* A team as "org:team" splits at its first ':'; a bare name (no ':')
 * belongs to default_org. The parts point into full or default_org. */
struct npm_team {
    const char *org;
    size_t org_len;
    const char *name;
    size_t name_len;
};
struct npm_team npm_team_split(const char *full, size_t n, const char *default_org);

/* The list-shaped answers. */
enum npm_shape {
    NPM_ROSTER,        /* {user: role}          (org_users) */
    NPM_TEAMS,         /* ["org:team", ...]     (org_teams) */
    NPM_PACKAGES,      /* {package: access}     (org_packages) */
    NPM_TEAM_MEMBERS,  /* [user, ...]           (team_users) */
    NPM_TEAM_PACKAGES, /* {package: permission} (team_packages) */
    NPM_COLLABORATORS, /* {user: permission}    (package_collaborators) */
    NPM_SHAPE_COUNT
};

/* True for the {name: value} shapes, false for the arrays of names. */
bool npm_shape_is_object(enum npm_shape s);
/* What the body must be, for messages: "the org roster must be an object
 * {user: role}". */
const char *npm_shape_desc(enum npm_shape s);
/* What an object shape's values are ("role", "access", "permission"), or "". */
const char *npm_shape_value(enum npm_shape s);

/* One entry: its decoded name [name, name+n) and, for an object shape, its
 * decoded value [value, value+vn); for an array shape value is "" (vn 0).
 * Both are NUL-terminated and valid during the call only. With
 * NPM_LIST_LENIENT, an entry that is not a string has name NULL (array) or
 * value NULL (object: the name is still given). Returns 0 to go on, -1 to
 * stop the walk (NPM_LIST_STOPPED; e is then the callback's business). */
typedef int (*npm_entry_fn)(void *ctx, const char *name, size_t n, const char *value, size_t vn);

#define NPM_LIST_DEDUPE 1u  /* a name given again is not handed out again */
#define NPM_LIST_LENIENT 2u /* an entry that is not a string is handed out, not refused */

enum npm_list_status {
    NPM_LIST_OK = 0,
    NPM_LIST_INVALID,    /* not valid JSON */
    NPM_LIST_WRONG_TYPE, /* valid JSON, but not the shape's object or array */
    NPM_LIST_NOT_STRING, /* an array entry, or an object's value, is not a string */
    NPM_LIST_STOPPED,    /* fn returned -1 */
};

/* Walks body [body, body+n) as shape, calling fn per entry. On a status
 * other than OK and STOPPED, e says what is wrong, without a prefix:
 * "invalid JSON at byte 12", "unexpected shape: the org roster must be an
 * object {user: role}", "unexpected shape: the role of 'alice' is not a
 * string". A body that is not valid JSON is reported as such even when its
 * shape is also wrong; entries before the fault have been handed out. */
enum npm_list_status npm_list_walk(const char *body, size_t n, enum npm_shape shape, unsigned flags,
                                   npm_entry_fn fn, void *ctx, struct err *e);

/* The request path (from the registry's base, starting with '/') of one
 * record of kind k, appended to out. subject: the org for the org-level
 * lists (whoami ignores it), "org:team" for the team kinds (a bare team
 * name belongs to org), the user for profiles, the package for the package
 * kinds (a scoped name is escaped as the npm CLI does: "@s%2fname"),
 * "<name>@<version>" for attestations; the collector kinds and advisories
 * ignore it. */
void npm_request_path(struct buf *out, enum dump_kind k, const char *org, const char *subject);

#endif
