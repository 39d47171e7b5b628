/*
 * graphobj.h — is this JSON text a graph object JupiterOne's synchronization
 * API will take?
 *
 * One validating pass over the object's text (json_walk_members), no
 * allocation, so it can run on every object of a 200,000-object upload. The
 * rules are those the API documents and the SDK's types state, the same set
 * scripts/fake_j1.py enforces:
 *
 *  - `_key` and `_type` non-empty strings; `_class` a non-empty string, or for
 *    an entity also a non-empty array of non-empty strings;
 *  - other properties: string, number, boolean, null, or an array holding
 *    only strings, only numbers or only booleans — nothing nested, except
 *    `_rawData`: [{"name": unique non-empty string, "rawData": object|string}];
 *  - names starting with "_" are reserved: only the system ones are allowed
 *    (_key _type _class _rawData _scope _id; for relationships also
 *    _fromEntityKey _toEntityKey _fromEntityId _toEntityId _mapping);
 *  - a relationship has exactly one of: _fromEntityKey + _toEntityKey,
 *    _fromEntityId + _toEntityId, or a _mapping {relationshipDirection
 *    FORWARD|REVERSE, sourceEntityKey, targetEntity (property values),
 *    targetFilterKeys (non-empty; each a name or a non-empty list of names
 *    present in targetEntity), skipTargetCreation?}.
 *
 * A system member given twice is refused (which copy would JupiterOne use?).
 * The result keeps pointers into the text (raw JSON string contents,
 * still escaped), so `_key` can be reported even when the object is refused
 * for something else. What the API does not check (the data-model schemas'
 * minimum lengths and property-name pattern) is not checked here; the
 * relationship class list is offered separately because an unknown class is
 * worth a warning, not a refusal.
 */
#ifndef J1NPM_GRAPHOBJ_H
#define J1NPM_GRAPHOBJ_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

enum gobj_kind { GOBJ_ENTITY, GOBJ_RELATIONSHIP };

/* The contents of a JSON string as they appear between the quotes. */
struct gstr {
    const char *p; /* NULL: absent (or not a string) */
    size_t n;
    bool esc; /* holds a backslash escape: decode before comparing */
};

struct gobj {
    struct gstr key, type;
    struct gstr cls;      /* a relationship's _class */
    struct gstr from, to; /* a direct relationship's _fromEntityKey/_toEntityKey */
    bool mapped;          /* a relationship with _mapping */
    bool has_raw_data;
    char problem[256]; /* "" when valid */
};

/* Checks that [p, p+n) is exactly one valid graph object of the given kind
 * (surrounding whitespace allowed). 0: valid; -1: g->problem says why, and
 * g->key / g->type are filled if they could be read. */
int gobj_check(const char *p, size_t n, enum gobj_kind kind, struct gobj *g);

/* Appends the decoded string to out (nothing when absent); -1 for an
 * escape the text cannot hold, which a checked object never has. */
int gstr_decode(const struct gstr *s, struct buf *out);
/* Appends s for a human: decoded, control characters shown as '?', cut at
 * max bytes with "..." (a _key in a message must not forge log lines). */
void gstr_display(const struct gstr *s, size_t max, struct buf *out);

/* _class is one of the 49 relationship classes of @jupiterone/data-model
 * 0.64.2 (the SDK refuses others when it creates a relationship). */
bool gobj_known_relationship_class(const struct gstr *cls);

#endif
