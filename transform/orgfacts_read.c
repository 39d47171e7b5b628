/*
 * orgfacts_read.c — a previous run's facts for --compare (orgfacts.h).
 *
 * What PREV is, is told by what it holds: summary.json and graph/ make a
 * graph directory (transform's --out; .j1-integration/ inside a project
 * directory is looked for too), manifest.json a dump directory. A graph
 * directory is read file by file (graph/<step>/<entities|relationships>/
 * *.json, each at most a few MB as transform writes them: a file over
 * PREV_FILE_MAX is refused), one file in memory at a time. A dump goes
 * through the same model as the current run, into a graph whose objects
 * are handed to the facts and never written.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "buf.h"
#include "dumpfmt.h"
#include "fsutil.h"
#include "graph.h"
#include "graphfmt.h"
#include "input.h"
#include "json.h"
#include "log.h"
#include "model.h"
#include "orgfacts.h"

#define PREV_FILE_MAX ((size_t)64 << 20)

static bool exists(const char *dir, const char *name, bool want_dir)
{
    char *p = path_join(dir, name);
    struct stat st;
    bool ok = stat(p, &st) == 0 && (want_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
    free(p);
    return ok;
}

/* One graph file: {"entities":[...]} or {"relationships":[...]}. */
static int read_graph_file(struct ofacts *f, const char *path, struct err *e)
{
    struct buf b = BUF_INIT, type = BUF_INIT;
    struct jdoc d = JDOC_INIT;
    int rc = -1;
    if (read_file(path, PREV_FILE_MAX, &b, e) < 0 || jdoc_parse(&d, b.p, b.len, e) < 0) {
        err_wrap(e, "%s", path);
        goto out;
    }
    int arr = jdoc_get(&d, 0, GF_ENTITIES);
    if (arr < 0)
        arr = jdoc_get(&d, 0, GF_RELATIONSHIPS);
    if (arr < 0 || !jdoc_is(&d, arr, JT_ARRAY)) {
        err_set(e, ERR_FAIL, "%s: not a graph file (no \"entities\" or \"relationships\" array)",
                path);
        goto out;
    }
    for (int x = jdoc_first(&d, arr); x > 0; x = jdoc_after_elem(&d, arr, x)) {
        int t = jdoc_get(&d, x, "_type");
        size_t n;
        const char *text = jdoc_text(&d, x, &n);
        buf_reset(&type);
        if (t < 0 || jdoc_str(&d, t, &type) < 0 || !text) {
            err_set(e, ERR_FAIL, "%s: an object without a \"_type\" string", path);
            goto out;
        }
        if (ofacts_add(f, type.p, text, n, e) < 0) {
            err_wrap(e, "%s", path);
            goto out;
        }
    }
    rc = 0;
out:
    jdoc_free(&d);
    buf_free(&b);
    buf_free(&type);
    return rc;
}

/* Every *.json below dir (depth-first; order does not matter: the facts
 * are sorted). */
static int read_tree(struct ofacts *f, const char *dir, int depth, struct err *e)
{
    DIR *d = opendir(dir);
    if (!d)
        return err_set(e, ERR_FAIL, "cannot open %s: %s", dir, strerror(errno));
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char *p = path_join(dir, de->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode) && depth < 3)
            rc = read_tree(f, p, depth + 1, e);
        else if (S_ISREG(st.st_mode)) {
            size_t n = strlen(de->d_name);
            if (n > 5 && !strcmp(de->d_name + n - 5, ".json"))
                rc = read_graph_file(f, p, e);
        }
        free(p);
    }
    closedir(d);
    return rc;
}

static int add_obj(void *ctx, enum gtype t, const char *json, size_t n, struct err *e)
{
    return ofacts_add(ctx, gtypes[t].type, json, n, e);
}

/* A dump through the model, into a graph that is only read back. */
static int read_dump(struct ofacts *f, const char *dir, struct err *e)
{
    struct model_opts mo = {0};
    struct input_info info;
    unsigned partial = 0;
    struct graph *g = graph_new(e);
    struct model *m = g ? model_new(&mo, g) : NULL;
    int rc = -1;
    if (m && input_read(dir, false, model_record, m, &info, e) == 0 &&
        model_finish(m, &info, &partial, e) == 0 && graph_each(g, add_obj, f, e) == 0)
        rc = 0;
    if (rc < 0)
        err_wrap(e, "--compare %s", dir);
    model_free(m);
    graph_free(g);
    return rc;
}

int ofacts_read_prev(struct ofacts *f, const char *path, struct err *e)
{
    int rc;
    if (exists(path, GF_SUMMARY_FILE, false) && exists(path, GF_GRAPH_DIR, true)) {
        char *g = path_join(path, GF_GRAPH_DIR);
        rc = read_tree(f, g, 0, e);
        free(g);
    } else if (exists(path, GF_PROJECT_DIR, true)) {
        char *p = path_join(path, GF_PROJECT_DIR);
        rc = ofacts_read_prev(f, p, e);
        free(p);
        return rc;
    } else if (exists(path, DUMP_MANIFEST, false)) {
        rc = read_dump(f, path, e);
    } else {
        return err_set(e, ERR_USAGE,
                       "--compare %s: neither a graph directory (summary.json and graph/) nor a "
                       "dump directory (manifest.json)",
                       path);
    }
    if (rc == 0)
        ofacts_finish(f);
    return rc;
}
