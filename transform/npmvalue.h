/*
 * npmvalue.h — the rules for npm's own values, as this transform reads and
 * writes them: names, email addresses, people ("name <email> (url)" or
 * {name, email}), permissions and npmjs.com web links.
 *
 * Each rule lives here once, so every reader (the list answers, profiles,
 * package documents) applies the same one, and a rule shared with collect
 * can later replace one of these by swapping one function body.
 */
#ifndef J1NPM_TRANSFORM_NPMVALUE_H
#define J1NPM_TRANSFORM_NPMVALUE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "json.h"
#include "npm.h" /* npm_name_ok: the name rule collect applies too */

/* A valid address as JSON Schema's "email" format (ajv-formats) accepts
 * it, surrounding space trimmed and lower-cased into out; false (out
 * empty) for anything else. */
bool npm_email_normalize(const char *s, size_t n, struct buf *out);

/* npm's person string "name <email> (url)", email and url optional: the
 * name (required, npm_name_ok) into name, the email into email when it is
 * valid (else email is left empty). -1 when there is no usable name. The
 * caller resets both buffers. */
int npm_person_string(const char *s, struct buf *name, struct buf *email);

/* A person in a document: {name, email} or the string form above. Both
 * buffers are reset first; -1 when it names nobody usable. */
int npm_person(const struct jdoc *d, int i, struct buf *name, struct buf *email);

/* "read"/"write" (the registry's cli spelling) -> "read-only"/"read-write";
 * any other spelling is returned as it is. */
const char *npm_perm_normalize(const char *p);

/* https://www.npmjs.com/ + prefix + name into out, the name percent-encoded
 * except for the characters npm names use ('@' and '/' of a scope included). */
void npm_weblink(struct buf *out, const char *prefix, const char *name);

#endif
