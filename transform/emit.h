/*
 * emit.h — writing the graph's objects: what every entity and every
 * relationship has (schema.h's _key, _type and _class, the tags, the
 * _rawData frame), and the emitters of the four entity kinds, each in its
 * own file (emit_account.c, emit_user.c, emit_team.c, emit_package.c).
 *
 * An object is built in the model's one buffer (m->obj) and handed to
 * graph.c, which spools it to disk: one object in memory at a time.
 */
#ifndef J1NPM_TRANSFORM_EMIT_H
#define J1NPM_TRANSFORM_EMIT_H

#include <stdbool.h>

#include "access.h"
#include "input.h"
#include "json.h"
#include "modelint.h"
#include "strlist.h"

/* An entity's _key: the type's prefix and the name, into b. */
void emit_key(struct buf *b, enum gtype t, const char *name);

/* Begins entity t in m->obj: _key, _type, _class. */
void ent_begin(struct model *m, struct jw *w, enum gtype t, const char *key);
/* The tags every entity has (the account name, --tag). */
void ent_tags(struct model *m, struct jw *w);
/* webLink: npm_weblink(prefix, name). */
void ent_weblink(struct jw *w, const char *prefix, const char *name);
/* One _rawData entry: {"name": name, "rawData": <the caller writes it>}. */
void raw_begin(struct jw *w, const char *name);
/* Ends the object in m->obj and hands it to the graph under key. */
int obj_finish(struct model *m, struct jw *w, enum gtype t, const char *key, struct err *e);
void str_array(struct jw *w, const struct strlist *v);
/* Sorts a list's items bytewise, in place (only their order changes): the
 * order arrays are written in. */
void emit_sort(struct strlist *v);

/* The SDK's createDirectRelationship: _key "<from>|<verb>|<to>". Begins
 * the object in m->obj with the properties every direct relationship has;
 * the caller adds its own and ends with obj_finish(..., key->p, ...). */
void rel_begin(struct model *m, struct jw *w, struct buf *key, enum gtype t, const char *from,
               const char *to);
/* A direct relationship, with a permission property unless it is NULL. */
int rel_direct(struct model *m, enum gtype t, const char *from, const char *to,
               const char *permission, struct err *e);

/* The four entity kinds, with the relationships each one starts. */
int emit_account(struct model *m, const struct input_info *info, struct err *e);
int emit_user(struct model *m, struct user *u, struct err *e);
int emit_team(struct model *m, struct team *t, struct err *e);
/* doc: the scanned document, or NULL when there is none; doc_absent: the
 * registry answered 404 for it (an answer: the package is unpublished). */
int emit_package(struct model *m, struct package *p, struct pkgdoc *doc, bool doc_absent,
                 struct err *e);
/* CodeRepo PUBLISHED package (mapped), written at the end: the provenance
 * repository, else `repository`, else the official guess (mappingSource). */
int emit_published(struct model *m, const struct package *p, struct err *e);
/* package ALLOWS user, for access the user's teams do not explain (team:
 * what they do grant). */
int emit_allows_user(struct model *m, const struct package *p, const struct user *u,
                     const char *perm, enum perm team, struct err *e);

#endif
