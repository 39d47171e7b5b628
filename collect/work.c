/*
 * work.c — see work.h.
 *
 * Keeping: the kind files are finished (their gzip streams ended) and
 * fsynced by dump.c before they come here; they are renamed into a fresh
 * DIR/.j1-npm-work-XXXXXX with work.json, which then takes the place of
 * DIR/.j1-npm-work (the old one is first renamed aside, then removed). The
 * renames stay in DIR's file system, so no record is copied. A crash
 * between the two renames leaves the new area under its temporary name
 * (resume then says there is no work area, but nothing is under a final
 * name either).
 */
#include "work.h"

#include <errno.h>
#include <fcntl.h>
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

char *work_path(const char *dir)
{
    return path_join(dir, WORK_DIR);
}

static int refuse(struct err *e, const char *dir, const char *why)
{
    return err_set(e, ERR_USAGE, "--resume %s: %s", dir, why);
}

int work_meta_check(const char *text, size_t n, const char *dir, const char *org,
                    const char *registry, struct err *e)
{
    struct jdoc d = JDOC_INIT;
    struct buf s = BUF_INIT;
    struct err fe = {0};
    char why[1024];
    int rc = -1;
    if (jdoc_parse(&d, text, n, &fe) < 0 || !jdoc_is(&d, 0, JT_OBJECT) ||
        !jdoc_streq(&d, jdoc_get(&d, 0, DM_FORMAT), WORK_FORMAT)) {
        refuse(e, dir, "its " WORK_DIR "/" WORK_META " is not a " WORK_FORMAT " file");
        goto out;
    }
    if (jdoc_str(&d, jdoc_get(&d, 0, DM_ORG), &s) < 0 || strcmp(s.p, org) != 0) {
        snprintf(why, sizeof why,
                 "the interrupted run collected org '%.200s', not '%.200s'; resume with "
                 "--org %.200s",
                 s.p ? s.p : "?", org, s.p ? s.p : "?");
        refuse(e, dir, why);
        goto out;
    }
    buf_reset(&s);
    if (jdoc_str(&d, jdoc_get(&d, 0, DM_REGISTRY), &s) < 0 || strcmp(s.p, registry) != 0) {
        snprintf(why, sizeof why,
                 "the interrupted run collected from %.250s, not %.250s; resume with the same "
                 "--registry",
                 s.p ? s.p : "?", registry);
        refuse(e, dir, why);
        goto out;
    }
    rc = 0;
out:
    jdoc_free(&d);
    buf_free(&s);
    return rc;
}

int work_check(const char *dir, const char *org, const char *registry, struct err *e)
{
    struct stat st;
    if (strcmp(dir, "-") == 0)
        return err_set(e, ERR_USAGE,
                       "--resume needs a dump directory: a stream (--out -) keeps nothing to "
                       "resume from");
    char *m = path_join(dir, DUMP_MANIFEST);
    bool finished = stat(m, &st) == 0;
    free(m);
    if (finished)
        return refuse(e, dir,
                      "the dump there is already finished (it has a manifest.json); there is "
                      "nothing to resume");
    char *w = work_path(dir), *meta = path_join(w, WORK_META);
    struct buf b = BUF_INIT;
    struct err fe = {0};
    int rc = read_file(meta, META_MAX, &b, &fe);
    if (rc < 0)
        refuse(e, dir,
               "it holds no work area of an interrupted collect (" WORK_DIR "/" WORK_META
               "); run without --resume");
    else
        rc = work_meta_check(b.p, b.len, dir, org, registry, e);
    buf_free(&b);
    free(meta);
    free(w);
    return rc;
}

static int write_meta(const char *wdir, const char *org, const char *registry, int64_t started_ms,
                      struct err *e)
{
    struct buf b = BUF_INIT;
    struct jw w;
    char ts[32];
    jw_init(&w, &b);
    jw_obj(&w);
    jw_kstr(&w, DM_FORMAT, WORK_FORMAT);
    jw_kstr(&w, DM_ORG, org);
    jw_kstr(&w, DM_REGISTRY, registry);
    time_iso8601(started_ms, ts);
    jw_kstr(&w, DM_STARTED_AT, ts);
    jw_obj_end(&w);
    buf_putc(&b, '\n');
    char *p = path_join(wdir, WORK_META);
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int rc = fd < 0 ? err_set(e, ERR_FAIL, "cannot create %s: %s", p, strerror(errno))
                    : write_all(fd, b.p, b.len, p, e);
    if (fd >= 0 && rc == 0 && fsync(fd) < 0)
        rc = err_set(e, ERR_FAIL, "cannot sync %s: %s", p, strerror(errno));
    if (fd >= 0)
        close(fd);
    free(p);
    buf_free(&b);
    return rc;
}

int work_keep(const char *dir, char *const tmp[K_COUNT], const char *org, const char *registry,
              int64_t started_ms, struct err *e)
{
    char *fresh = path_join(dir, WORK_DIR "-XXXXXX");
    char *w = work_path(dir), *old = path_join(dir, WORK_DIR "-old");
    int rc = -1;
    if (!mkdtemp(fresh)) {
        err_set(e, ERR_FAIL, "cannot create a work area in %s: %s", dir, strerror(errno));
        goto out;
    }
    for (int k = 0; k < K_COUNT; k++) {
        char *to = path_join(fresh, dump_kind_files[k]);
        int r = tmp[k] ? rename(tmp[k], to) : 0;
        if (r < 0)
            err_set(e, ERR_FAIL, "cannot move %s to %s: %s", tmp[k], to, strerror(errno));
        free(to);
        if (r < 0)
            goto out;
    }
    if (write_meta(fresh, org, registry, started_ms, e) < 0)
        goto out;
    fsync_dir(fresh);
    struct stat st;
    if (stat(w, &st) == 0) {
        if (rmtree(old, e) < 0 || rename(w, old) < 0) {
            if (e->cls == ERR_NONE)
                err_set(e, ERR_FAIL, "cannot move %s aside: %s", w, strerror(errno));
            goto out;
        }
    }
    if (rename(fresh, w) < 0) {
        err_set(e, ERR_FAIL, "cannot rename %s to %s: %s", fresh, w, strerror(errno));
        goto out;
    }
    fsync_dir(dir);
    rc = rmtree(old, e);
out:
    free(fresh);
    free(w);
    free(old);
    return rc;
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
