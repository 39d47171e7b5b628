/*
 * work.c — see work.h.
 *
 * Every change to the work area is a mkdir, a rename within DIR's file
 * system, or a file written under a temporary name and renamed, each
 * followed by an fsync of the directory it changed, so no record is ever
 * copied here and a crash leaves one of the states work.h lists. The
 * order of the steps is what makes those states the only ones: commit.json
 * before the first kind file leaves its run, the manifest after the last;
 * on adoption commit.json before the manifest goes.
 */
#include "work.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "fsutil.h"
#include "json.h"
#include "timeutil.h"

#define META_MAX (64 << 10)
#define MANIFEST_MAX (16 << 20)
#define RUN_DIGITS 6
#define RUN_MAX 999999u

char *work_path(const char *dir)
{
    return path_join(dir, WORK_DIR);
}

static int refuse(struct err *e, const char *dir, const char *why)
{
    return err_set(e, ERR_USAGE, "--resume %s: %s", dir, why);
}

static bool exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

unsigned work_run_number(const char *name)
{
    size_t pl = sizeof WORK_RUN_PREFIX - 1;
    if (strncmp(name, WORK_RUN_PREFIX, pl) != 0 || strlen(name) != pl + RUN_DIGITS)
        return 0;
    unsigned n = 0;
    for (const char *p = name + pl; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        n = n * 10 + (unsigned)(*p - '0');
    }
    return n;
}

/* org and registry of a work.json or a manifest (the same keys). */
static int check_origin(struct jdoc *d, const char *dir, const char *what, const char *org,
                        const char *registry, struct err *e)
{
    struct buf s = BUF_INIT;
    char why[1024];
    int rc = -1;
    if (jdoc_str(d, jdoc_get(d, 0, DM_ORG), &s) < 0 || strcmp(s.p, org) != 0) {
        snprintf(why, sizeof why,
                 "the %s collected org '%.200s', not '%.200s'; resume with --org %.200s", what,
                 s.p ? s.p : "?", org, s.p ? s.p : "?");
        refuse(e, dir, why);
        goto out;
    }
    buf_reset(&s);
    if (jdoc_str(d, jdoc_get(d, 0, DM_REGISTRY), &s) < 0 || strcmp(s.p, registry) != 0) {
        snprintf(why, sizeof why,
                 "the %s collected from %.250s, not %.250s; resume with the same --registry", what,
                 s.p ? s.p : "?", registry);
        refuse(e, dir, why);
        goto out;
    }
    rc = 0;
out:
    buf_free(&s);
    return rc;
}

int work_meta_check(const char *text, size_t n, const char *dir, const char *org,
                    const char *registry, struct err *e)
{
    struct jdoc d = JDOC_INIT;
    struct err fe = {0};
    int rc = -1;
    if (jdoc_parse(&d, text, n, &fe) < 0 || !jdoc_is(&d, 0, JT_OBJECT) ||
        !jdoc_streq(&d, jdoc_get(&d, 0, DM_FORMAT), WORK_FORMAT))
        refuse(e, dir,
               "its " WORK_DIR "/" WORK_META " is not a " WORK_FORMAT
               " file (an earlier version's work area cannot be resumed: collect anew)");
    else
        rc = check_origin(&d, dir, "interrupted run", org, registry, e);
    jdoc_free(&d);
    return rc;
}

int work_manifest_check(const char *text, size_t n, const char *dir, const char *org,
                        const char *registry, struct err *e)
{
    struct jdoc d = JDOC_INIT;
    struct err fe = {0};
    bool complete = true;
    int rc = -1;
    if (jdoc_parse(&d, text, n, &fe) < 0 || !jdoc_is(&d, 0, JT_OBJECT) ||
        !jdoc_streq(&d, jdoc_get(&d, 0, DM_FORMAT), DUMP_FORMAT) ||
        jdoc_bool(&d, jdoc_get(&d, 0, DM_COMPLETE), &complete) < 0)
        refuse(e, dir, "its manifest.json is not a " DUMP_FORMAT " manifest");
    else if (complete)
        refuse(e, dir,
               "the dump there is already finished (its manifest.json says complete: true); "
               "there is nothing to resume. To refresh it, collect into a new directory with "
               "--since");
    else if (check_origin(&d, dir, "incomplete dump", org, registry, e) == 0)
        rc = 1;
    jdoc_free(&d);
    return rc;
}

/* A small file written whole: a temporary name, synced, renamed. */
static int write_small(const char *dirp, const char *name, const struct buf *b, struct err *e)
{
    char *p = path_join(dirp, name);
    struct buf tmp = BUF_INIT;
    buf_printf(&tmp, "%s.tmp", p);
    int fd = open(tmp.p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = fd < 0 ? err_set(e, ERR_FAIL, "cannot create %s: %s", tmp.p, strerror(errno))
                    : write_all(fd, b->p, b->len, tmp.p, e);
    if (fd >= 0 && rc == 0 && fsync(fd) < 0)
        rc = err_set(e, ERR_FAIL, "cannot sync %s: %s", tmp.p, strerror(errno));
    if (fd >= 0)
        close(fd);
    if (rc == 0 && rename(tmp.p, p) < 0)
        rc = err_set(e, ERR_FAIL, "cannot rename %s: %s", tmp.p, strerror(errno));
    if (rc < 0)
        unlink(tmp.p);
    else
        fsync_dir(dirp);
    buf_free(&tmp);
    free(p);
    return rc;
}

/* The work area with its work.json, made if missing. */
static int ensure_area(const char *dir, const char *org, const char *registry, int64_t started_ms,
                       struct err *e)
{
    char *w = work_path(dir), *meta = path_join(w, WORK_META);
    int rc = 0;
    if (mkdir(w, 0700) < 0 && errno != EEXIST)
        rc = err_set(e, ERR_FAIL, "cannot create %s: %s", w, strerror(errno));
    else if (!exists(meta)) {
        struct buf b = BUF_INIT;
        struct jw jw;
        char ts[32];
        jw_init(&jw, &b);
        jw_obj(&jw);
        jw_kstr(&jw, DM_FORMAT, WORK_FORMAT);
        jw_kstr(&jw, DM_ORG, org);
        jw_kstr(&jw, DM_REGISTRY, registry);
        time_iso8601(started_ms, ts);
        jw_kstr(&jw, DM_STARTED_AT, ts);
        jw_obj_end(&jw);
        buf_putc(&b, '\n');
        rc = write_small(w, WORK_META, &b, e);
        buf_free(&b);
        fsync_dir(dir);
    }
    free(meta);
    free(w);
    return rc;
}

static int cmp_desc(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

int work_runs(const char *wdir, char ***runs, size_t *n, struct err *e)
{
    *runs = NULL;
    *n = 0;
    DIR *d = opendir(wdir);
    if (!d)
        return errno == ENOENT ? 0
                               : err_set(e, ERR_FAIL, "cannot open %s: %s", wdir, strerror(errno));
    unsigned *num = NULL;
    size_t cap = 0, cnt = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        unsigned r = work_run_number(de->d_name);
        if (!r)
            continue;
        GROW(num, cnt + 1, cap);
        num[cnt++] = r;
    }
    closedir(d);
    if (cnt)
        qsort(num, cnt, sizeof *num, cmp_desc);
    *runs = cnt ? xcalloc(cnt, sizeof **runs) : NULL;
    for (size_t i = 0; i < cnt; i++) {
        char name[32];
        snprintf(name, sizeof name, WORK_RUN_PREFIX "%0*u", RUN_DIGITS, num[i]);
        (*runs)[i] = path_join(wdir, name);
    }
    *n = cnt;
    free(num);
    return 0;
}

void work_runs_free(char **runs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(runs[i]);
    free(runs);
}

/* A new run directory in the work area w, numbered after the newest. */
static char *new_run_dir(const char *w, struct err *e)
{
    char **runs;
    size_t n;
    if (work_runs(w, &runs, &n, e) < 0)
        return NULL;
    unsigned next = n ? work_run_number(strrchr(runs[0], '/') + 1) + 1 : 1;
    work_runs_free(runs, n);
    if (next > RUN_MAX) {
        err_set(e, ERR_FAIL, "%s holds too many runs", w);
        return NULL;
    }
    char name[32];
    snprintf(name, sizeof name, WORK_RUN_PREFIX "%0*u", RUN_DIGITS, next);
    char *p = path_join(w, name);
    if (mkdir(p, 0700) < 0) {
        err_set(e, ERR_FAIL, "cannot create %s: %s", p, strerror(errno));
        free(p);
        return NULL;
    }
    fsync_dir(w);
    return p;
}

char *work_new_run(const char *dir, const char *org, const char *registry, int64_t started_ms,
                   struct err *e)
{
    if (ensure_area(dir, org, registry, started_ms, e) < 0)
        return NULL;
    char *w = work_path(dir);
    char *p = new_run_dir(w, e);
    free(w);
    return p;
}

/* commit.json's run (a new path), or NULL when there is none; -1 when it
 * is unreadable. */
static int read_commit(const char *w, char **run, struct err *e)
{
    char *p = path_join(w, WORK_COMMIT);
    struct buf b = BUF_INIT, s = BUF_INIT;
    struct jdoc d = JDOC_INIT;
    struct err fe = {0};
    int rc = 0;
    *run = NULL;
    if (!exists(p))
        goto out;
    rc = -1;
    if (read_file(p, META_MAX, &b, &fe) < 0 || jdoc_parse(&d, b.p, b.len, &fe) < 0 ||
        jdoc_str(&d, jdoc_get(&d, 0, "run"), &s) < 0 || !work_run_number(s.p)) {
        err_set(e, ERR_USAGE,
                "%s is damaged; it names the run whose files were being moved to their final "
                "names. Look at the run-* directories beside it before removing anything",
                p);
        goto out;
    }
    *run = path_join(w, s.p);
    rc = 0;
out:
    jdoc_free(&d);
    buf_free(&b);
    buf_free(&s);
    free(p);
    return rc;
}

int work_commit_begin(const char *dir, const char *run, struct err *e)
{
    char *w = work_path(dir);
    struct buf b = BUF_INIT;
    struct jw jw;
    jw_init(&jw, &b);
    jw_obj(&jw);
    jw_kstr(&jw, "run", strrchr(run, '/') + 1);
    jw_obj_end(&jw);
    buf_putc(&b, '\n');
    int rc = write_small(w, WORK_COMMIT, &b, e);
    buf_free(&b);
    free(w);
    return rc;
}

/* Moves the kind files under final names in dir back into run (a commit
 * cut short, or an incomplete dump adopted), then drops SHA256SUMS and
 * commit.json. A file in both places is refused: nothing is overwritten. */
static int move_back(const char *dir, const char *run, struct err *e)
{
    for (int k = 0; k < K_COUNT; k++) {
        char *from = path_join(dir, dump_kind_files[k]), *to = path_join(run, dump_kind_files[k]);
        int rc = 0;
        if (exists(from)) {
            if (exists(to))
                rc = refuse(e, dir,
                            "a kind file is both under its final name and in the work "
                            "area; move one of them away by hand");
            else if (rename(from, to) < 0)
                rc = err_set(e, ERR_FAIL, "cannot move %s to %s: %s", from, to, strerror(errno));
        }
        free(from);
        free(to);
        if (rc < 0)
            return -1;
    }
    fsync_dir(run);
    char *sums = path_join(dir, DUMP_SUMS);
    unlink(sums);
    free(sums);
    fsync_dir(dir);
    char *w = work_path(dir), *c = path_join(w, WORK_COMMIT);
    unlink(c);
    fsync_dir(w);
    free(c);
    free(w);
    return 0;
}

static bool any_final_file(const char *dir)
{
    for (int k = 0; k < K_COUNT; k++) {
        char *p = path_join(dir, dump_kind_files[k]);
        bool x = exists(p);
        free(p);
        if (x)
            return true;
    }
    return false;
}

/* An incomplete dump becomes the work area's newest run. */
static int adopt(const char *dir, const char *org, const char *registry, char **run, struct err *e)
{
    if (ensure_area(dir, org, registry, time_wall_ms(), e) < 0)
        return -1;
    char *w = work_path(dir);
    if (!*run) {
        *run = new_run_dir(w, e);
        if (!*run || work_commit_begin(dir, *run, e) < 0) {
            free(w);
            return -1;
        }
    }
    free(w);
    char *m = path_join(dir, DUMP_MANIFEST);
    int rc = unlink(m) < 0 && errno != ENOENT
                 ? err_set(e, ERR_FAIL, "cannot remove %s: %s", m, strerror(errno))
                 : 0;
    free(m);
    if (rc == 0)
        fsync_dir(dir);
    return rc;
}

int work_check(const char *dir, const char *org, const char *registry, struct err *e)
{
    if (strcmp(dir, "-") == 0)
        return err_set(e, ERR_USAGE,
                       "--resume needs a dump directory: a stream (--out -) keeps nothing to "
                       "resume from");
    char *m = path_join(dir, DUMP_MANIFEST), *w = work_path(dir), *meta = path_join(w, WORK_META);
    char *run = NULL;
    struct buf b = BUF_INIT;
    struct err fe = {0};
    int rc = -1;
    int incomplete = 0;
    if (exists(m)) {
        if (read_file(m, MANIFEST_MAX, &b, &fe) < 0) {
            refuse(e, dir, "its manifest.json cannot be read");
            goto out;
        }
        if ((incomplete = work_manifest_check(b.p, b.len, dir, org, registry, e)) < 0)
            goto out;
    }
    buf_reset(&b);
    if (exists(meta)) {
        if (read_file(meta, META_MAX, &b, &fe) < 0) {
            refuse(e, dir, "its " WORK_DIR "/" WORK_META " cannot be read");
            goto out;
        }
        if (work_meta_check(b.p, b.len, dir, org, registry, e) < 0)
            goto out;
    } else if (!incomplete) {
        refuse(e, dir,
               "it holds no work area of an interrupted collect (" WORK_DIR "/" WORK_META
               ") and no incomplete dump; run without --resume");
        goto out;
    }
    if (read_commit(w, &run, e) < 0)
        goto out;
    if (!run && !incomplete && any_final_file(dir)) {
        refuse(e, dir,
               "it holds kind files under their final names but no manifest.json and no record "
               "of a commit (" WORK_DIR "/" WORK_COMMIT "); they were not left by collect. Move "
               "them away, then resume");
        goto out;
    }
    if (incomplete && adopt(dir, org, registry, &run, e) < 0)
        goto out;
    rc = run ? move_back(dir, run, e) : 0;
out:
    free(run);
    buf_free(&b);
    free(meta);
    free(w);
    free(m);
    return rc;
}

int work_fold(const char *dir, const char *run, struct err *e)
{
    char *w = work_path(dir);
    char **runs;
    size_t n;
    int rc = work_runs(w, &runs, &n, e);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (strcmp(runs[i], run) != 0)
            rc = rmtree(runs[i], e);
    if (rc == 0)
        fsync_dir(w);
    work_runs_free(runs, n);
    free(w);
    return rc;
}

void work_drop_run(const char *dir, const char *run)
{
    struct err e = {0};
    char *w = work_path(dir);
    char **runs;
    size_t n;
    rmtree(run, &e);
    if (work_runs(w, &runs, &n, &e) == 0 && n == 0)
        rmtree(w, &e);
    else
        fsync_dir(w);
    work_runs_free(runs, n);
    free(w);
    fsync_dir(dir);
}

int work_remove(const char *dir, struct err *e)
{
    char *w = work_path(dir);
    int rc = rmtree(w, e);
    free(w);
    if (rc == 0)
        fsync_dir(dir);
    return rc;
}

int work_end_commit(const char *dir, const char *run, bool keep_earlier, struct err *e)
{
    if (!keep_earlier)
        return work_remove(dir, e);
    char *w = work_path(dir), *c = path_join(w, WORK_COMMIT);
    int rc = rmtree(run, e); /* its kind files have moved: only the directory is left */
    if (rc == 0 && unlink(c) < 0 && errno != ENOENT)
        rc = err_set(e, ERR_FAIL, "cannot remove %s: %s", c, strerror(errno));
    fsync_dir(w);
    free(c);
    free(w);
    return rc;
}
