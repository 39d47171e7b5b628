/*
 * npmvalue.c — see npmvalue.h.
 *
 * The email rule is JSON Schema's "email" format as ajv-formats checks it,
 * because JupiterOne's User schema checks `email` that way: an address it
 * would refuse is left out rather than sent. Names are checked only for
 * what would break an output (length, control bytes): npm's own naming
 * rules changed over the years, and an old name is still a name.
 */
#include "npmvalue.h"

#include <ctype.h>
#include <string.h>

static bool local_part_ok(const char *s, size_t ll)
{
    static const char local_ok[] = "!#$%&'*+/=?^_`{|}~-";
    for (size_t i = 0; i < ll; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (i == 0 || i == ll - 1 || s[i - 1] == '.')
                return false;
        } else if (c == '\0' || (!isalnum(c) && !strchr(local_ok, c))) {
            return false; /* a NUL first: strchr would find local_ok's own */
        }
    }
    return true;
}

/* At least two labels of [A-Za-z0-9-], none empty, longer than 63 bytes,
 * or starting or ending with '-'. */
static bool domain_ok(const char *d, size_t dl)
{
    size_t label = 0, labels = 0;
    for (size_t i = 0; i <= dl; i++) {
        if (i == dl || d[i] == '.') {
            if (label == 0 || label > 63 || d[i - 1] == '-')
                return false;
            labels++;
            label = 0;
            continue;
        }
        unsigned char c = (unsigned char)d[i];
        if (!(isalnum(c) || c == '-') || (label == 0 && c == '-'))
            return false;
        label++;
    }
    return labels >= 2;
}

bool npm_email_normalize(const char *s, size_t n, struct buf *out)
{
    buf_reset(out);
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    const char *at = memchr(s, '@', n);
    if (!at || at == s || n > 254)
        return false;
    size_t ll = (size_t)(at - s), dl = n - ll - 1;
    if (ll > 64 || dl == 0 || !local_part_ok(s, ll) || !domain_ok(at + 1, dl))
        return false;
    for (size_t i = 0; i < n; i++)
        buf_putc(out, (char)tolower((unsigned char)s[i]));
    return true;
}

int npm_person_string(const char *s, struct buf *name, struct buf *email)
{
    const char *lt = strchr(s, '<'), *paren = strchr(s, '(');
    const char *end = lt ? lt : paren ? paren : s + strlen(s);
    while (end > s && end[-1] == ' ')
        end--;
    buf_append(name, s, (size_t)(end - s));
    if (!npm_name_ok(name->p, name->len))
        return -1;
    const char *gt = lt ? strchr(lt, '>') : NULL;
    if (gt && !npm_email_normalize(lt + 1, (size_t)(gt - lt - 1), email))
        buf_reset(email);
    return 0;
}

int npm_person(const struct jdoc *d, int i, struct buf *name, struct buf *email)
{
    buf_reset(name);
    buf_reset(email);
    if (jdoc_is(d, i, JT_STRING)) {
        struct buf raw = BUF_INIT;
        int rc = jdoc_str(d, i, &raw) == 0 ? npm_person_string(raw.p, name, email) : -1;
        buf_free(&raw);
        return rc;
    }
    if (!jdoc_is(d, i, JT_OBJECT))
        return -1;
    int n = jdoc_get(d, i, "name"), em = jdoc_get(d, i, "email");
    if (n < 0 || jdoc_str(d, n, name) < 0 || !npm_name_ok(name->p, name->len))
        return -1;
    if (em >= 0) {
        struct buf raw = BUF_INIT;
        if (jdoc_str(d, em, &raw) < 0 || !npm_email_normalize(raw.p, raw.len, email))
            buf_reset(email);
        buf_free(&raw);
    }
    return 0;
}

const char *npm_perm_normalize(const char *p)
{
    if (strcmp(p, "read") == 0)
        return "read-only";
    if (strcmp(p, "write") == 0)
        return "read-write";
    return p;
}

void npm_weblink(struct buf *out, const char *prefix, const char *name)
{
    buf_reset(out);
    buf_printf(out, "https://www.npmjs.com/%s", prefix);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (isalnum(*p) || strchr("-._~@/", *p))
            buf_putc(out, (char)*p);
        else
            buf_printf(out, "%%%02X", *p);
    }
}
