/*
 * orgdiff.h — what changed between a previous run's facts and this one's
 * (--compare), and which changes stop a run (--fail-on).
 *
 * Each change has a class (one name per kind of change, the names
 * --fail-on takes), a subject (the user, team or package it is about) and
 * a detail in words. The classes are listed once, in od_classes[], with a
 * line of help each (the README's table says the same). The list of
 * changes is sorted by class (table order), subject, detail: the same two
 * inputs give the same bytes.
 *
 * At most OD_MAX_LISTED changes of a class are kept in the list (the first
 * the walk over the sorted names finds, so the same inputs keep the same
 * ones); count[] counts them all. A reorganized org of 200,000 packages
 * must not make a report of a million lines, nor hold them.
 *
 * A fact absent from either side (a graph made before issue 12 has no
 * provenance properties) makes no change: "lost provenance" needs
 * provenance known true before and known false now.
 */
#ifndef J1NPM_TRANSFORM_ORGDIFF_H
#define J1NPM_TRANSFORM_ORGDIFF_H

#include <stddef.h>

#include "err.h"
#include "orgfacts.h"

#define OD_MAX_LISTED 1000

enum od_class {
    OD_MEMBER_JOINED,
    OD_MEMBER_LEFT,
    OD_ROLE_CHANGED,
    OD_NEW_OWNER,
    OD_NEW_ADMIN,
    OD_TEAM_CREATED,
    OD_TEAM_DELETED,
    OD_TEAM_MEMBER_ADDED,
    OD_TEAM_MEMBER_REMOVED,
    OD_TEAM_PERMISSION_CHANGED,
    OD_NEW_OUTSIDE_COLLABORATOR,
    OD_NEW_MAINTAINER,
    OD_PACKAGE_CREATED,
    OD_PACKAGE_DELETED,
    OD_MADE_PUBLIC,
    OD_MADE_PRIVATE,
    OD_LOST_PROVENANCE,
    OD_TRUST_DOWNGRADE,
    OD_NEW_INSTALL_SCRIPT,
    OD_NEW_ADVISORY,
    OD_COUNT
};

struct od_class_info {
    const char *name; /* as --fail-on and the report spell it */
    const char *help;
};

extern const struct od_class_info od_classes[OD_COUNT];

struct od_change {
    enum od_class cls;
    char *subject, *detail;
};

struct od_changes {
    struct od_change *v;
    size_t n, cap;
    size_t count[OD_COUNT]; /* every change found, listed or not */
    size_t unlisted;        /* changes counted but not in v (OD_MAX_LISTED) */
};

/* Fills out (empty before) with what changed from prev to cur, sorted. */
void od_diff(const struct ofacts *prev, const struct ofacts *cur, struct od_changes *out);
void od_free(struct od_changes *c);

/* "a,b,c" (or "any") to a bit set of classes; ERR_USAGE naming an unknown
 * class and the known ones. */
int od_parse_classes(const char *list, unsigned long *mask, struct err *e);

#endif
