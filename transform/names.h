/*
 * names.h — the one reader of list answers in transform: the org roster,
 * the team list, the package list, a team's members and permissions, a
 * package's collaborators.
 *
 * A body must be an object {name: string} (the roster, the package list,
 * permissions, collaborators) or an array of names (teams, team members).
 * Each name is decoded and checked by npm_name_ok() (npmvalue.h), then
 * handed to the visitor with its value ("" in an array), in document
 * order; an empty name is no fact (no user, team or package is named ""):
 * warned about once per list and skipped. Repeats are handed on: the
 * caller decides what a repeat means. Anything else is bad input, reported
 * with the record's place (`where`).
 *
 * The body is read in one pass by npm.h's walker (a collaborator list
 * names thousands of users). Invalid JSON found after some names were
 * handed on fails the record, and so the run, all the same.
 */
#ifndef J1NPM_TRANSFORM_NAMES_H
#define J1NPM_TRANSFORM_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "npm.h"

/* name: NUL-terminated, n bytes, npm_name_ok; value: NUL-terminated. */
typedef int (*names_visit)(void *ctx, const char *name, size_t n, const char *value, struct err *e);

/* Walks the body [body, body+len) of the record at `where`. Returns 0, or
 * -1 with e set (by the walker, or by fn, which stops the walk). */
int names_walk(const char *body, size_t len, const char *where, enum npm_shape shape,
               names_visit fn, void *ctx, struct err *e);

#endif
