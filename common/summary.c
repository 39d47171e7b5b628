/* summary.c — see summary.h. */
#include "summary.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "fsutil.h"
#include "log.h"

static struct buf last = BUF_INIT; /* the last summary's object; see summary.h */
static bool have_last;

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
    static const char key[] = "{\"summary\":";
    if (s->json.len > sizeof key && memcmp(s->json.p, key, sizeof key - 1) == 0) {
        buf_reset(&last);
        buf_append(&last, s->json.p + sizeof key - 1, s->json.len - sizeof key);
        have_last = true;
    }
    /* "{" + members + "}": the members are what log_summary wants. */
    s->json.p[--s->json.len] = '\0';
    return s->json.p + 1;
}

void summary_free(struct summary *s)
{
    buf_free(&s->json);
}

const char *summary_last(void)
{
    return have_last ? last.p : NULL;
}

void summary_forget(void)
{
    buf_free(&last);
    have_last = false;
}

void summary_file_json(struct buf *out, const char *program, int exit_status, const char *error)
{
    struct jw w;
    jw_init(&w, out);
    jw_obj(&w);
    jw_kstr(&w, "program", program);
    jw_kstr(&w, "version", J1NPM_VERSION);
    jw_kint(&w, "exit_status", exit_status);
    jw_key(&w, "summary");
    if (have_last)
        jw_raw(&w, last.p, last.len);
    else
        jw_null(&w);
    if (error && *error) {
        struct buf r = BUF_INIT;
        log_redact(error, strlen(error), &r);
        jw_kstr(&w, "error", r.p);
        buf_free(&r);
    }
    jw_obj_end(&w);
    buf_putc(out, '\n');
}

int summary_write_file(const char *path, const char *program, int exit_status, const char *error,
                       struct err *e)
{
    struct buf j = BUF_INIT;
    struct afile f;
    summary_file_json(&j, program, exit_status, error);
    mode_t mask = umask(022); /* only read: set back at once */
    umask(mask);
    int rc = afile_open(&f, path, 0644 & ~mask, e);
    if (rc == 0 && (write_all(f.fd, j.p, j.len, path, e) < 0 || afile_commit(&f, e) < 0)) {
        afile_abort(&f);
        rc = -1;
    }
    buf_free(&j);
    return rc < 0 ? err_wrap(e, "--summary-file") : 0;
}
