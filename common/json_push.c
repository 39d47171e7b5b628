/*
 * json_push.c — the push validator (json.h, tool 2): the JSON grammar as a
 * byte-at-a-time state machine fed in chunks, so that collect validates a
 * response while it downloads (bodies larger than memory are spilled to
 * disk, never re-read to check). Its verdict must not depend on how the
 * bytes are cut (the network decides that): the json_validate fuzz target
 * holds it to json_scan.c's verdict on any bytes, in any chunking.
 */
#include "json.h"

#include <string.h>

#include "json_bytes.h"

/* ---- push validator -----------------------------------------------------
 * States name what the machine expects next. A number has no terminator of
 * its own, so the byte that ends it is processed again in S_AFTER. */
enum {
    S_VALUE,     /* any value */
    S_ARR_FIRST, /* a value or ']' */
    S_OBJ_FIRST, /* a key or '}' */
    S_OBJ_KEY,   /* a key */
    S_COLON,
    S_AFTER,    /* ',' or a closer, or the end */
    S_STR,      /* inside a string */
    S_STR_ESC,  /* after a backslash */
    S_STR_HEX,  /* inside \uXXXX */
    S_STR_UTF8, /* inside a multi-byte UTF-8 sequence */
    S_LIT,      /* inside true/false/null */
    S_N_MINUS,
    S_N_ZERO,
    S_N_INT,
    S_N_DOT,
    S_N_FRAC,
    S_N_E,
    S_N_ESIGN,
    S_N_EXP,
    S_DONE,
};

static const char *const literals[] = {"true", "false", "null"};

void jpush_init(struct jpush *v)
{
    memset(v, 0, sizeof *v);
    v->state = S_VALUE;
}

static bool push_is_obj(const struct jpush *v)
{
    int d = v->depth - 1;
    return (v->stack[d / 8] >> (d % 8)) & 1;
}

static bool push_open(struct jpush *v, bool obj)
{
    if (v->depth >= JSON_MAX_DEPTH)
        return false;
    int d = v->depth++;
    if (obj)
        v->stack[d / 8] |= (unsigned char)(1u << (d % 8));
    else
        v->stack[d / 8] &= (unsigned char)~(1u << (d % 8));
    v->state = obj ? S_OBJ_FIRST : S_ARR_FIRST;
    return true;
}

static void push_value_done(struct jpush *v)
{
    v->state = v->depth == 0 ? S_DONE : S_AFTER;
}

static bool push_start_value(struct jpush *v, unsigned char c)
{
    switch (c) {
    case '{': return push_open(v, true);
    case '[': return push_open(v, false);
    case '"':
        v->key = false;
        v->state = S_STR;
        return true;
    case 't': v->lit = 0; break;
    case 'f': v->lit = 1; break;
    case 'n': v->lit = 2; break;
    case '-': v->state = S_N_MINUS; return true;
    case '0': v->state = S_N_ZERO; return true;
    default:
        if (c >= '1' && c <= '9') {
            v->state = S_N_INT;
            return true;
        }
        return false;
    }
    v->lit_i = 1;
    v->state = S_LIT;
    return true;
}

static bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* Outside strings, literals and numbers: whitespace, structure, and the
 * first byte of a value. */
static bool push_structure(struct jpush *v, unsigned char c)
{
    if (is_ws(c))
        return true; /* whitespace is allowed wherever structure is */
    switch (v->state) {
    case S_VALUE: return push_start_value(v, c);
    case S_ARR_FIRST:
        if (c == ']') {
            v->depth--;
            push_value_done(v);
            return true;
        }
        return push_start_value(v, c);
    case S_OBJ_FIRST:
    case S_OBJ_KEY:
        if (c == '}' && v->state == S_OBJ_FIRST) {
            v->depth--;
            push_value_done(v);
            return true;
        }
        if (c != '"')
            return false;
        v->key = true;
        v->state = S_STR;
        return true;
    case S_COLON:
        if (c != ':')
            return false;
        v->state = S_VALUE;
        return true;
    case S_AFTER:
        if (c == ',') {
            v->state = push_is_obj(v) ? S_OBJ_KEY : S_VALUE;
            return true;
        }
        if (c == (push_is_obj(v) ? '}' : ']')) {
            v->depth--;
            push_value_done(v);
            return true;
        }
        return false;
    default: return false; /* S_DONE: only whitespace may follow */
    }
}

/* The first byte of a multi-byte UTF-8 sequence decides the allowed range
 * of the second (no overlongs, surrogates or > U+10FFFF). */
static bool push_utf8_lead(struct jpush *v, unsigned char c)
{
    v->umin = 0x80;
    v->umax = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        v->ucont = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        v->ucont = 2;
        if (c == 0xE0)
            v->umin = 0xA0;
        else if (c == 0xED)
            v->umax = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        v->ucont = 3;
        if (c == 0xF0)
            v->umin = 0x90;
        else if (c == 0xF4)
            v->umax = 0x8F;
    } else {
        return false;
    }
    v->state = S_STR_UTF8;
    return true;
}

/* Inside a string (its escapes and UTF-8 sequences) or a literal. */
static bool push_string(struct jpush *v, unsigned char c)
{
    switch (v->state) {
    case S_STR:
        if (c == '"') {
            if (v->key)
                v->state = S_COLON;
            else
                push_value_done(v);
            return true;
        }
        if (c == '\\') {
            v->state = S_STR_ESC;
            return true;
        }
        if (c < 0x20)
            return false;
        return c < 0x80 || push_utf8_lead(v, c);
    case S_STR_UTF8:
        if (c < v->umin || c > v->umax)
            return false;
        v->umin = 0x80;
        v->umax = 0xBF;
        if (--v->ucont == 0)
            v->state = S_STR;
        return true;
    case S_STR_ESC:
        if (c == 'u') {
            v->hex = 4;
            v->state = S_STR_HEX;
            return true;
        }
        if (!strchr("\"\\/bfnrt", c) || c == '\0')
            return false;
        v->state = S_STR;
        return true;
    case S_STR_HEX:
        if (!is_hex(c))
            return false;
        if (--v->hex == 0)
            v->state = S_STR;
        return true;
    default: { /* S_LIT */
        const char *lit = literals[v->lit];
        if ((unsigned char)lit[v->lit_i] != c)
            return false;
        if (lit[++v->lit_i] == '\0')
            push_value_done(v);
        return true;
    }
    }
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Inside a number: 1 taken, 0 refused, -1 the number ended before c (which
 * belongs to what follows: a number has no terminator of its own). */
static int push_number(struct jpush *v, unsigned char c)
{
    switch (v->state) {
    case S_N_MINUS:
        if (c != '0' && !is_digit(c))
            return 0;
        v->state = c == '0' ? S_N_ZERO : S_N_INT;
        return 1;
    case S_N_ZERO:
    case S_N_INT:
    case S_N_FRAC:
        if (is_digit(c) && v->state != S_N_ZERO)
            return 1;
        if (c == '.' && v->state != S_N_FRAC) {
            v->state = S_N_DOT;
            return 1;
        }
        if (c == 'e' || c == 'E') {
            v->state = S_N_E;
            return 1;
        }
        break;
    case S_N_DOT:
        if (!is_digit(c))
            return 0;
        v->state = S_N_FRAC;
        return 1;
    case S_N_E:
        if (c == '+' || c == '-') {
            v->state = S_N_ESIGN;
            return 1;
        }
        /* fall through */
    case S_N_ESIGN:
        if (!is_digit(c))
            return 0;
        v->state = S_N_EXP;
        return 1;
    default: /* S_N_EXP */
        if (is_digit(c))
            return 1;
        break;
    }
    push_value_done(v);
    return -1;
}

static bool push_byte(struct jpush *v, unsigned char c)
{
    if (v->state >= S_N_MINUS && v->state <= S_N_EXP) {
        int r = push_number(v, c);
        if (r >= 0)
            return r == 1;
        /* the number ended: c is structure (S_AFTER or S_DONE) */
    }
    if (v->state >= S_STR && v->state <= S_LIT)
        return push_string(v, c);
    return push_structure(v, c);
}

bool jpush_feed(struct jpush *v, const void *data, size_t n)
{
    const unsigned char *p = data;
    if (v->failed)
        return false;
    for (size_t i = 0; i < n; i++) {
        /* Fast path: plain string bytes need no state change. */
        if (v->state == S_STR) {
            size_t j = (size_t)((const unsigned char *)plain_run((const char *)p + i,
                                                                 (const char *)p + n) -
                                p);
            v->off += j - i;
            i = j;
            if (i >= n)
                break;
        }
        if (!push_byte(v, p[i])) {
            v->failed = true;
            return false;
        }
        v->off++;
    }
    return true;
}

bool jpush_finish(struct jpush *v)
{
    if (v->failed)
        return false;
    switch (v->state) {
    case S_DONE: return true;
    case S_N_ZERO:
    case S_N_INT:
    case S_N_FRAC:
    case S_N_EXP: return v->depth == 0;
    default: return false;
    }
}
