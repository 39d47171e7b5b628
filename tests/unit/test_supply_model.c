/* test_supply_model.c — the supply-chain records through the model
 * (transform/supply.c): an advisory that several packages list becomes one
 * entity with a relationship per package, a package's counts and
 * latestVersionAffected reach its entity as it is written out (the late
 * facts), and a failed batch leaves its packages' counts out. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "t.h"
#include "transform/graph.h"
#include "transform/model.h"
#include "transform/modelint.h"

static int feed(struct model *m, enum dump_kind k, const char *subject, long status,
                const char *body, const char *req_body, struct err *e)
{
    struct record r = {0};
    r.kind = k;
    r.subject = subject;
    r.status = status;
    r.failed = status < 0;
    r.body = body;
    r.body_len = body ? strlen(body) : 0;
    r.req_body = req_body;
    r.req_body_len = req_body ? strlen(req_body) : 0;
    r.where = "test:1";
    return model_record(m, &r, e);
}

static const char doc_x[] = "{\"name\":\"@a/x\",\"dist-tags\":{\"latest\":\"1.2.0\"},"
                            "\"versions\":{\"1.2.0\":{}},\"time\":{}}";
static const char doc_y[] = "{\"name\":\"@a/y\",\"dist-tags\":{\"latest\":\"2.0.0\"},"
                            "\"versions\":{\"2.0.0\":{}},\"time\":{}}";
static const char doc_z[] = "{\"name\":\"@a/z\",\"dist-tags\":{\"latest\":\"1.0.0\"},"
                            "\"versions\":{\"1.0.0\":{}},\"time\":{}}";

/* The late facts the graph writer would add to package `name`. */
static void late(struct model *m, const char *name, struct buf *out)
{
    char key[64];
    int n = snprintf(key, sizeof key, "npm-package:%s", name);
    buf_reset(out);
    supply_amend(m, T_PACKAGE, key, (size_t)n, out);
}

TEST(test_supply_one_advisory_entity_per_id_and_a_relationship_per_package)
{
    struct err e = {0};
    struct graph *g = graph_new(&e);
    T_TRUE(g != NULL);
    struct model_opts o = {0};
    struct model *m = model_new(&o, g);
    struct buf x = BUF_INIT;
    int rc =
        feed(m, K_ORG_PACKAGES, "a", 200,
             "{\"@a/x\":\"read-write\",\"@a/y\":\"read-write\",\"@a/z\":\"read-write\"}", NULL, &e);
    rc = rc ? rc : model_record(m, NULL, &e);
    rc = rc ? rc : feed(m, K_PACKUMENTS, "@a/x", 200, doc_x, NULL, &e);
    rc = rc ? rc : feed(m, K_PACKUMENTS, "@a/y", 200, doc_y, NULL, &e);
    rc = rc ? rc : feed(m, K_PACKUMENTS, "@a/z", 200, doc_z, NULL, &e);
    /* advisory 7 in both x (affected) and y (not); 8 only in y, listed twice */
    rc = rc ? rc
            : feed(m, K_ADVISORIES, "a", 200,
                   "{\"@a/x\":[{\"id\":7,\"title\":\"T\",\"severity\":\"high\","
                   "\"vulnerable_versions\":\"<=1.2.0\"}],"
                   "\"@a/y\":[{\"id\":7,\"title\":\"T\",\"severity\":\"high\","
                   "\"vulnerable_versions\":\"<1.0.0\"},{\"id\":8,\"severity\":\"low\","
                   "\"vulnerable_versions\":\">=2.0.0 <2.0.1\"},{\"id\":8,\"severity\":\"low\","
                   "\"vulnerable_versions\":\">=2.0.0 <2.0.1\"}]}",
                   "{\"@a/x\":[\"1.2.0\"],\"@a/y\":[\"2.0.0\"]}", &e);
    /* z's batch failed */
    rc = rc ? rc : feed(m, K_ADVISORIES, "a", -1, NULL, "{\"@a/z\":[\"1.0.0\"]}", &e);
    struct input_info info;
    memset(&info, 0, sizeof info);
    info.have_manifest = info.complete = true;
    unsigned partial = 0;
    rc = rc ? rc : model_finish(m, &info, &partial, &e);
    T_CHECK_INT(0, rc);
    T_CHECK_INT(2, (long long)graph_count(g, T_ADVISORY));
    T_CHECK_INT(3, (long long)graph_count(g, T_PACKAGE_HAS_ADVISORY));
    T_CHECK_BOOL(true, (partial & TB(T_ADVISORY)) != 0); /* the failed batch */
    late(m, "@a/x", &x);
    T_CHECK_BOOL(true, strstr(x.p, "\"advisoryCount\":1,\"criticalAdvisoryCount\":0,"
                                   "\"highAdvisoryCount\":1") != NULL);
    T_CHECK_BOOL(true, strstr(x.p, "\"latestVersionAffected\":true") != NULL);
    late(m, "@a/y", &x);
    T_CHECK_BOOL(true, strstr(x.p, "\"advisoryCount\":2,") != NULL);
    T_CHECK_BOOL(true, strstr(x.p, "\"lowAdvisoryCount\":1") != NULL);
    T_CHECK_BOOL(true, strstr(x.p, "\"latestVersionAffected\":true") != NULL);
    late(m, "@a/z", &x);
    T_CHECK_BOOL(true, strstr(x.p, "advisoryCount") == NULL); /* absent, not zero */
    T_CHECK_BOOL(true, strstr(x.p, "latestVersionAffected") == NULL);
    buf_free(&x);
    model_free(m);
    graph_free(g);
}
