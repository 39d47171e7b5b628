/* summary.c — see summary.h. */
#include "summary.h"

#include <stdio.h>
#include <string.h>

struct jw *summary_begin(struct summary *s)
{
    s->json = (struct buf)BUF_INIT;
    jw_init(&s->w, &s->json);
    jw_obj(&s->w);
    jw_key(&s->w, "summary");
    jw_obj(&s->w);
    return &s->w;
}

void summary_count(struct jw *w, const char *key, uint64_t v)
{
    char n[24];
    int l = snprintf(n, sizeof n, "%llu", (unsigned long long)v);
    jw_key(w, key);
    jw_raw(w, n, (size_t)l);
}

void summary_seconds(struct jw *w, const char *key, double seconds)
{
    char n[48];
    int l = snprintf(n, sizeof n, "%.3f", seconds);
    jw_key(w, key);
    jw_raw(w, n, l > 0 && (size_t)l < sizeof n ? (size_t)l : 0);
}

const char *summary_members(struct summary *s)
{
    jw_obj_end(&s->w);
    jw_obj_end(&s->w);
    if (s->w.err || s->json.len < 2)
        return "";
    /* "{" + members + "}": the members are what log_summary wants. */
    s->json.p[--s->json.len] = '\0';
    return s->json.p + 1;
}

void summary_free(struct summary *s)
{
    buf_free(&s->json);
}
