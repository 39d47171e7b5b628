/*
 * json.h — JSON in and out.
 *
 * Three tools, each for a job the programs really have:
 *
 *  1. A writer (struct jw) that produces correct JSON by construction: it
 *     tracks commas and nesting itself, escapes every string, and repairs
 *     invalid UTF-8 (each bad byte becomes U+FFFD) so that no input, however
 *     hostile, makes us emit invalid JSON. A write that would make invalid
 *     JSON (a value without its key, nesting past JSON_MAX_DEPTH) sets
 *     jw.err, which is sticky: check it once at the end.
 *
 *  2. A strict RFC 8259 validator in two forms:
 *     - json_skip(): a fast pointer scanner over a value held in memory. It
 *       validates as it skips (strings, escapes, UTF-8, number grammar, depth)
 *       and is what transform uses to walk multi-MB package documents without
 *       tokenising them.
 *     - struct jpush: the same grammar as a byte-at-a-time state machine fed
 *       in chunks, so that collect can validate a response while it downloads
 *       (bodies larger than memory are spilled to disk, never re-read to check).
 *
 *  3. A reader over jsmn (struct jdoc): tokenises one small-to-medium document
 *     (a roster, a team list, one version object) after json_validate() has
 *     accepted it — jsmn alone is lenient, so it never sees unvalidated input.
 *     Helpers find object members, decode strings and numbers, and skip
 *     subtrees; every accessor checks the token type and bounds.
 *
 * One file each: json_write.c (1), json_scan.c and json_push.c (2),
 * json_doc.c (3); json_bytes.h holds the byte classes they share.
 */
#ifndef J1NPM_JSON_H
#define J1NPM_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

#define JSON_MAX_DEPTH 256

/* ---- writer ---------------------------------------------------------- */

struct jw {
    struct buf *b;
    int depth;
    bool after_key;
    bool err;
    unsigned char first[JSON_MAX_DEPTH + 1];
    unsigned char is_obj[JSON_MAX_DEPTH + 1];
};

void jw_init(struct jw *w, struct buf *b);
void jw_obj(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_key(struct jw *w, const char *k);
/* A key given as raw JSON string content (escaped, without quotes), as
 * json_each_member reports keys: copied as is. */
void jw_key_raw(struct jw *w, const char *k, size_t n);
void jw_keyn(struct jw *w, const char *k, size_t n);
void jw_str(struct jw *w, const char *s); /* NULL writes null */
void jw_strn(struct jw *w, const char *s, size_t n);
void jw_int(struct jw *w, long long v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
/* A value that is already valid JSON (the caller guarantees it). */
void jw_raw(struct jw *w, const char *json, size_t n);
/* Convenience: key + value. */
void jw_kstr(struct jw *w, const char *k, const char *v);
void jw_kint(struct jw *w, const char *k, long long v);
void jw_kbool(struct jw *w, const char *k, bool v);

/* Appends s as a quoted JSON string: escapes, and U+FFFD for invalid UTF-8.
 * Always returns 0 (memory: alloc.h). */
int json_quote(struct buf *b, const char *s, size_t n);
/* Like json_quote without the surrounding quotes. */
int json_escape(struct buf *b, const char *s, size_t n);

/* ---- validation ------------------------------------------------------ */

/* Skips whitespace, then one JSON value starting at p. Returns the byte just
 * after the value, or NULL if the text there is not valid JSON (then *bad, if
 * not NULL, points at the offending byte). */
const char *json_skip(const char *p, const char *end, const char **bad);
const char *json_skip_ws(const char *p, const char *end);
/* The whole of [p, p+n) is exactly one JSON value, with optional whitespace. */
bool json_validate(const char *p, size_t n, size_t *bad_off);

/* Walks the members of the object at p (which must be '{'), validating as it
 * goes, and calls fn with each raw key (between the quotes, still escaped)
 * and the whole text of its value. fn returns 0 to go on, -1 to stop.
 * Returns the byte after the closing '}', or NULL: invalid JSON (*bad points
 * at the offending byte) or fn stopped (*bad == NULL). One pass, no
 * allocation: this is how transform reads multi-MB package documents. */
typedef int (*json_member_fn)(void *ctx, const char *key, size_t klen, const char *val,
                              size_t vlen);
const char *json_each_member(const char *p, const char *end, json_member_fn fn, void *ctx,
                             const char **bad);
/* Like json_each_member, but fn consumes each value itself: it gets the
 * value's first byte and must return the byte after it (validating it, e.g.
 * with json_skip or json_each_member), or NULL with *bad set. This lets a
 * caller descend into one member without scanning it twice. */
typedef const char *(*json_walk_fn)(void *ctx, const char *key, size_t klen, const char *val,
                                    const char *end, const char **bad);
const char *json_walk_members(const char *p, const char *end, json_walk_fn fn, void *ctx,
                              const char **bad);
/* The raw key [key, key+klen) equals the plain ASCII string s (no escapes). */
bool json_key_is(const char *key, size_t klen, const char *s);

struct jpush {
    uint64_t off; /* bytes consumed */
    int state;
    int depth;
    int ucont;                /* UTF-8 continuation bytes still expected */
    unsigned char umin, umax; /* allowed range of the next continuation byte */
    int hex;                  /* \u hex digits still expected */
    int lit;                  /* which literal (true/false/null) is being matched */
    int lit_i;                /* how much of it has matched */
    bool key;                 /* the string being read is an object key */
    bool failed;
    unsigned char stack[JSON_MAX_DEPTH / 8 + 1]; /* 1 bit a level: 1 = object */
};

void jpush_init(struct jpush *v);
/* Returns false once the input can no longer be valid JSON. */
bool jpush_feed(struct jpush *v, const void *data, size_t n);
/* True if everything fed so far is exactly one complete JSON value. */
bool jpush_finish(struct jpush *v);

/* ---- reader over jsmn --------------------------------------------------- */

/* json_doc.c holds jsmn's implementation; everyone else sees its declarations. */
#ifndef JSMN_H
#define JSMN_HEADER
#define JSMN_PARENT_LINKS /* as in json_doc.c: it changes jsmntok_t */
#include <jsmn.h>
#endif

enum jtype {
    JT_OBJECT = JSMN_OBJECT,
    JT_ARRAY = JSMN_ARRAY,
    JT_STRING = JSMN_STRING,
    JT_PRIMITIVE = JSMN_PRIMITIVE
};

struct jdoc {
    const char *js;
    size_t len;
    jsmntok_t *t; /* t[0] is the root */
    int n;
    unsigned cap;
};

#define JDOC_INIT                                                                                  \
    {                                                                                              \
        NULL, 0, NULL, 0, 0                                                                        \
    }

/* Validates then tokenises js (not copied: it must outlive the jdoc).
 * Documents of 2 GiB or more are refused (jsmn offsets are int). */
int jdoc_parse(struct jdoc *d, const char *js, size_t len, struct err *e);
void jdoc_free(struct jdoc *d);

/* Index just after the subtree rooted at i. */
int jdoc_next(const struct jdoc *d, int i);
bool jdoc_is(const struct jdoc *d, int i, enum jtype t);
/* Value of member `key` of object i, or -1 (also if i is not an object). */
int jdoc_get(const struct jdoc *d, int obj, const char *key);
/* Iterate an object: for (int k = jdoc_first(d, o); k > 0; k = jdoc_after_member(d, o, k))
 * k is the key token and k + 1 its value. Arrays: for (int x = jdoc_first(d, a); x > 0;
 * x = jdoc_after_elem(d, a, x)). Both return -1 when there are no (more) members. */
int jdoc_first(const struct jdoc *d, int container);
int jdoc_after_member(const struct jdoc *d, int container, int key);
int jdoc_after_elem(const struct jdoc *d, int container, int elem);
/* Decodes string token i into out (appended, NUL-terminated). -1 if not a string. */
int jdoc_str(const struct jdoc *d, int i, struct buf *out);
/* Decoded string i equals s. */
bool jdoc_streq(const struct jdoc *d, int i, const char *s);
/* Raw text of token i (for strings: without quotes, still escaped). */
const char *jdoc_raw(const struct jdoc *d, int i, size_t *n);
/* Whole JSON text of the value at i (for strings: with quotes). */
const char *jdoc_text(const struct jdoc *d, int i, size_t *n);
int jdoc_i64(const struct jdoc *d, int i, long long *v);
int jdoc_bool(const struct jdoc *d, int i, bool *v);
bool jdoc_is_null(const struct jdoc *d, int i);

/* Decodes the JSON string body (between the quotes) in [p, p+n) into out.
 * The text must already be valid (validated). */
int json_unescape(struct buf *out, const char *p, size_t n);

#endif
