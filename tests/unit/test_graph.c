/* test_graph.c — the graph's external sort (transform/graph.c): objects come
 * in any order, go out sorted by _key with repeats dropped, through many
 * spilled runs and merges of runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "t.h"
#include "transform/graph.h"

static int add_user(struct graph *g, unsigned id, const char *which, struct err *e)
{
    char key[32], json[128];
    int kn = snprintf(key, sizeof key, "npm-user:u%06u", id);
    int jn = snprintf(json, sizeof json, "{\"_key\":\"%s\",\"_type\":\"npm_user\",\"n\":\"%s\"}",
                      key, which);
    return graph_add(g, T_USER, key, (size_t)kn, json, (size_t)jn, e);
}

TEST(test_graph_sorts_and_deduplicates_through_many_runs_and_merges)
{
    enum { N = 20000, DUPS = 2000 };
    struct err e = {0};
    struct graph *g = graph_new(&e);
    T_TRUE(g != NULL);
    /* ~90 entries a run and a merge every 4 runs: hundreds of runs, dozens
     * of intermediate merges. */
    graph_tune(g, 4096, 4);
    int rc = 0;
    /* A permutation of 0..N-1 (7919 is prime to N), then repeats of every
     * tenth key, made later: the first one made must win. */
    for (unsigned i = 0; i < N && rc == 0; i++)
        rc = add_user(g, (i * 7919u) % N, "first", &e);
    for (unsigned i = 0; i < DUPS && rc == 0; i++)
        rc = add_user(g, i * 10, "second", &e);
    T_CHECK_INT(0, rc);
    struct buf out = BUF_INIT;
    buf_printf(&out, "%s/out", t_tmpdir());
    T_CHECK_INT(0, rc == 0 ? graph_write(g, out.p, 0, &e) : -1);
    T_CHECK_INT(N, graph_count(g, T_USER));
    T_CHECK_INT(DUPS, graph_duplicates(g));
    /* Read the files back in order: every key once, ascending, all "first". */
    unsigned next = 0;
    bool second = false;
    for (int f = 1; f <= N / GRAPH_FILE_MAX_OBJECTS + 1; f++) {
        struct buf p = BUF_INIT;
        buf_printf(&p, "%s/graph/fetch-org-users/entities/npm_user-%04d.json", out.p, f);
        FILE *fp = fopen(p.p, "rb");
        buf_free(&p);
        if (!fp)
            break;
        char line[256];
        while (fgets(line, sizeof line, fp)) {
            unsigned id;
            const char *k = strstr(line, "\"_key\":\"npm-user:u");
            if (!k)
                continue;
            if (sscanf(k + strlen("\"_key\":\"npm-user:u"), "%6u", &id) != 1 || id != next)
                break;
            next++;
            if (strstr(line, "second"))
                second = true;
        }
        fclose(fp);
    }
    T_CHECK_INT(N, next);
    T_CHECK_BOOL(false, second);
    buf_free(&out);
    graph_free(g);
}
