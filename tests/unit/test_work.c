/* test_work.c — the pure parts of --resume (collect/work.h, the work-area
 * side of collect/prev.h): which work.json is accepted, which answers are
 * definitive, and reading a kind file a crash cut short. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collect/prev.h"
#include "collect/work.h"
#include "err.h"
#include "fsutil.h"
#include "ndjson.h"
#include "t.h"

#define META "{\"format\":\"j1-npm-work/2\",\"org\":\"acme\",\"registry\":\"http://r/\"}"

TEST(test_work_meta_of_the_same_org_and_registry_is_accepted)
{
    struct err e = {0};
    T_INT(0, work_meta_check(META, strlen(META), "d", "acme", "http://r/", &e));
}

TEST(test_work_meta_of_another_org_registry_or_format_is_refused)
{
    struct err e = {0};
    T_INT(-1, work_meta_check(META, strlen(META), "d", "other", "http://r/", &e));
    T_INT(ERR_USAGE, e.cls);
    T_CONTAINS(e.msg, "'acme', not 'other'");
    struct err e2 = {0};
    T_INT(-1, work_meta_check(META, strlen(META), "d", "acme", "http://s/", &e2));
    T_CONTAINS(e2.msg, "--registry");
    struct err e3 = {0};
    static const char bad[] = "{\"format\":\"j1-npm-dump/1\",\"org\":\"acme\"}";
    T_INT(-1, work_meta_check(bad, sizeof bad - 1, "d", "acme", "http://r/", &e3));
    struct err e4 = {0};
    T_INT(-1, work_meta_check("{", 1, "d", "acme", "http://r/", &e4));
}

TEST(test_work_definitive_answers_are_2xx_and_404)
{
    T_TRUE(prev_definitive(200));
    T_TRUE(prev_definitive(204));
    T_TRUE(prev_definitive(404));
    T_FALSE(prev_definitive(0));
    T_FALSE(prev_definitive(304));
    T_FALSE(prev_definitive(403));
    T_FALSE(prev_definitive(429));
    T_FALSE(prev_definitive(500));
}

#define REC(s, st)                                                                                 \
    "{\"kind\":\"packuments\",\"subject\":\"" s                                                    \
    "\",\"request\":{\"method\":\"GET\",\"path\":\"/" s "\"},\"status\":" #st                      \
    ",\"body\":{\"name\":\"" s "\"}}\n"

TEST(test_work_a_kind_file_cut_short_by_a_crash_keeps_its_whole_records)
{
    const char *dir = t_tmpdir();
    char *run = path_join(dir, "run-000001");
    T_INT(0, mkdir(run, 0700));
    char *p = path_join(run, "packuments.ndjson.gz");
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    struct err e = {0};
    struct gzw *w = gzw_new(fd, 1, p, &e);
    static const char recs[] = REC("a", 200) REC("b", 500) REC("c", 404) REC("d", 200);
    /* the last record is cut in the middle, and the stream never ended */
    T_INT(0, gzw_write(w, recs, sizeof recs - 1 - 20, &e));
    T_INT(0, gzw_flush(w, &e));
    gzw_free(w);
    close(fd);
    struct prev *pv = prev_open_work(dir, &e);
    T_TRUE(pv != NULL);
    T_TRUE(prev_has(pv, K_PACKUMENTS, "a", NULL));
    T_FALSE(prev_has(pv, K_PACKUMENTS, "b", NULL)); /* a 500 is asked again */
    T_TRUE(prev_has(pv, K_PACKUMENTS, "c", NULL));
    T_FALSE(prev_has(pv, K_PACKUMENTS, "d", NULL)); /* cut short */
    T_FALSE(prev_has(pv, K_WHOAMI, "a", NULL));     /* a kind with no file holds nothing */
    prev_free(pv);
    free(p);
    free(run);
}
