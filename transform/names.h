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
 * An object is read in one pass (json_each_member validates as it goes,
 * and a name without escapes is taken as it stands): a collaborator list
 * names thousands of users. Invalid JSON found after some names were
 * handed on fails the record, and so the run, all the same. An array
 * (team lists and members: short) goes through jdoc.
 *
 * names_walk() is the whole walker, with no knowledge of the model, so a
 * common npm-list walker can take its place.
 */
#ifndef J1NPM_TRANSFORM_NAMES_H
#define J1NPM_TRANSFORM_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* name: NUL-terminated, n bytes, npm_name_ok; value: NUL-terminated. */
typedef int (*names_visit)(void *ctx, const char *name, size_t n, const char *value, struct err *e);

struct names_spec {
    bool with_values;  /* an object {name: value}; else an array of names */
    const char *shape; /* what the body must be, for the message */
    const char *vname; /* what its values are ("role", "permission") */
};

/* Walks the body [body, body+len) of the record at `where`. Returns 0, or
 * -1 with e set (by the walker, or by fn, which stops the walk). */
int names_walk(const char *body, size_t len, const char *where, const struct names_spec *spec,
               names_visit fn, void *ctx, struct err *e);

#endif
