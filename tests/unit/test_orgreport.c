/* test_orgreport.c — the org report's pure parts: the facts it keeps
 * (transform/orgfacts.c), the changes between two runs (orgdiff.c), the
 * escaping and folding of the picture (orgpicture.c) and the report's
 * independence from the order objects came in (orgreport.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "t.h"
#include "transform/orgdiff.h"
#include "transform/orgfacts.h"
#include "transform/orgpicture.h"
#include "transform/orgreport.h"

static void add(struct ofacts *f, const char *type, const char *json)
{
    struct err e = {0};
    if (ofacts_add(f, type, json, strlen(json), &e) < 0)
        t_fail(__FILE__, __LINE__, json, "ofacts_add: %s", e.msg);
}

static void user(struct ofacts *f, const char *name, const char *role, bool member)
{
    char j[512];
    snprintf(j, sizeof j, "{\"_key\":\"npm-user:%s\",\"role\":%s%s%s,\"orgMember\":%s}", name,
             role ? "\"" : "", role ? role : "null", role ? "\"" : "", member ? "true" : "false");
    add(f, "npm_user", j);
}

static void pkg(struct ofacts *f, const char *name, const char *extra)
{
    char j[1024];
    snprintf(j, sizeof j, "{\"_key\":\"npm-package:%s\",\"version\":\"1.0.0\"%s%s}", name,
             extra && *extra ? "," : "", extra ? extra : "");
    add(f, "npm_package", j);
}

static void rel(struct ofacts *f, const char *type, const char *from, const char *to,
                const char *extra)
{
    char j[1024];
    snprintf(j, sizeof j,
             "{\"_key\":\"%s|x|%s\",\"_fromEntityKey\":\"%s\",\"_toEntityKey\":\"%s\"%s%s}", from,
             to, from, to, extra && *extra ? "," : "", extra ? extra : "");
    add(f, type, j);
}

TEST(test_orgreport_xml_escape_leaves_no_markup_and_cuts_on_a_character)
{
    struct buf b = BUF_INIT;
    pic_xml_escape(&b, "<script>\"a\"&'b'\x01", 0);
    T_CHECK_INT(0, strcmp(b.p, "&lt;script&gt;&quot;a&quot;&amp;&#39;b&#39;?"));
    buf_reset(&b);
    pic_xml_escape(&b, "ab\xc3\xa9z", 3); /* "abé z": byte 3 is inside é */
    T_CHECK_INT(0, strcmp(b.p, "ab..."));
    buf_free(&b);
}

TEST(test_orgreport_markdown_escape_keeps_names_from_making_markup)
{
    struct buf b = BUF_INIT;
    orep_md_escape(&b, "a|b*c_<img src=x>\n[l](u)");
    T_CHECK_INT(0, strcmp(b.p, "a\\|b\\*c\\_&lt;img src=x&gt; \\[l\\](u)"));
    buf_free(&b);
}

TEST(test_orgfacts_sorts_and_keeps_the_first_of_repeats)
{
    struct ofacts f;
    ofacts_init(&f);
    user(&f, "zed", "developer", true);
    user(&f, "amy", "owner", true);
    user(&f, "zed", "owner", true); /* a repeat: the first wins */
    pkg(&f, "b", "\"public\":true");
    pkg(&f, "a", "");
    rel(&f, "npm_team_allows_package", "npm-team:o:t", "npm-package:b",
        "\"permission\":\"read-write\"");
    rel(&f, "npm_team_allows_package", "npm-team:o:t", "npm-package:a",
        "\"permission\":\"read-only\"");
    ofacts_finish(&f);
    T_CHECK_INT(2, f.nusers);
    T_CHECK_INT(0, strcmp(f.users[0].name, "amy"));
    T_CHECK_INT(0, strcmp(f.users[1].role, "developer"));
    T_CHECK_INT(0, strcmp(f.pkgs[0].name, "a"));
    T_CHECK_INT(OF_ABSENT, f.pkgs[0].pub); /* absent, not false */
    T_CHECK_INT(1, f.pkgs[1].pub);
    size_t n = 0;
    const struct of_edge *x = ofacts_edges_from(&f, OE_TEAM_PKG, "o:t", &n);
    T_CHECK_INT(2, n);
    if (x)
        T_CHECK_INT(0, strcmp(x[0].b, "a"));
    T_CHECK_BOOL(false, f.have_supply_chain);
    ofacts_free(&f);
}

/* The fixture for the diff: prev and cur differ in one way per class. */
static void org(struct ofacts *f, bool now)
{
    ofacts_init(f);
    add(f, "npm_account", "{\"_key\":\"npm-account:o\",\"name\":\"o\"}");
    user(f, "amy", "owner", true);
    user(f, "bob", now ? "owner" : "developer", true); /* role-changed, new-owner */
    user(f, "cat", now ? "admin" : "developer", true); /* role-changed, new-admin */
    user(f, now ? "dan" : "eve", "developer", true);   /* dan joined, eve left */
    user(f, "out", NULL, false);
    add(f, "npm_team",
        now ? "{\"_key\":\"npm-team:o:new\",\"name\":\"new\"}"
            : "{\"_key\":\"npm-team:o:old\",\"name\":\"old\"}");
    add(f, "npm_team", "{\"_key\":\"npm-team:o:dev\",\"name\":\"dev\"}");
    rel(f, "npm_team_has_user", "npm-team:o:dev", now ? "npm-user:dan" : "npm-user:eve", NULL);
    rel(f, "npm_team_allows_package", "npm-team:o:dev", "npm-package:p",
        now ? "\"permission\":\"read-write\"" : "\"permission\":\"read-only\"");
    rel(f, "npm_package_allows_user", "npm-package:p", "npm-user:out",
        now ? "\"permission\":\"read-write\",\"orgMember\":false"
            : "\"permission\":\"read-only\",\"orgMember\":false");
    if (now)
        rel(f, "npm_user_manages_package", "npm-user:out", "npm-package:p", NULL);
    pkg(f, "p",
        now ? "\"public\":true,\"provenance\":false,\"trustDowngrade\":true,"
              "\"hasInstallScript\":true,\"installScripts\":[\"postinstall\"],\"advisoryCount\":2"
            : "\"public\":false,\"provenance\":true,\"trustDowngrade\":false,"
              "\"hasInstallScript\":false,\"advisoryCount\":1");
    pkg(f, "q", now ? "\"public\":false" : "\"public\":true");
    pkg(f, now ? "new-pkg" : "old-pkg", "");
    ofacts_finish(f);
}

TEST(test_orgdiff_finds_one_change_of_every_class_in_order)
{
    struct ofacts p, c;
    struct od_changes ch;
    org(&p, false);
    org(&c, true);
    od_diff(&p, &c, &ch);
    for (int k = 0; k < OD_COUNT; k++)
        if (!ch.count[k])
            t_fail(__FILE__, __LINE__, od_classes[k].name, "no change of class %s was found",
                   od_classes[k].name);
    for (size_t i = 1; i < ch.n; i++)
        if (ch.v[i - 1].cls > ch.v[i].cls ||
            (ch.v[i - 1].cls == ch.v[i].cls && strcmp(ch.v[i - 1].subject, ch.v[i].subject) > 0))
            t_fail(__FILE__, __LINE__, "order", "changes %zu and %zu are out of order", i - 1, i);
    T_CHECK_INT(1, ch.count[OD_NEW_OUTSIDE_COLLABORATOR]); /* read-only -> read-write */
    T_CHECK_INT(2, ch.count[OD_ROLE_CHANGED]);
    od_free(&ch);
    /* The same facts on both sides: nothing changed. */
    od_diff(&c, &c, &ch);
    T_CHECK_INT(0, ch.n);
    od_free(&ch);
    ofacts_free(&p);
    ofacts_free(&c);
}

TEST(test_orgdiff_an_absent_fact_is_no_change)
{
    struct ofacts p, c;
    struct od_changes ch;
    ofacts_init(&p);
    ofacts_init(&c);
    pkg(&p, "x", "\"public\":true"); /* a graph from before provenance */
    pkg(&c, "x", "\"public\":true,\"provenance\":false,\"trustDowngrade\":true");
    ofacts_finish(&p);
    ofacts_finish(&c);
    od_diff(&p, &c, &ch);
    T_CHECK_INT(0, ch.n);
    od_free(&ch);
    ofacts_free(&p);
    ofacts_free(&c);
}

TEST(test_orgdiff_parses_fail_on_classes_and_names_the_known_ones)
{
    unsigned long m = 0;
    struct err e = {0};
    T_OK(od_parse_classes("made-public,trust-downgrade", &m, &e), &e);
    T_CHECK_INT((1ul << OD_MADE_PUBLIC) | (1ul << OD_TRUST_DOWNGRADE), m);
    T_OK(od_parse_classes("any", &m, &e), &e);
    T_CHECK_INT((1ul << OD_COUNT) - 1, m);
    T_INT(-1, od_parse_classes("made-public,bogus", &m, &e));
    T_INT(ERR_USAGE, e.cls);
    T_CONTAINS(e.msg, "'bogus'");
    T_CONTAINS(e.msg, "new-outside-collaborator");
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

TEST(test_orgpicture_folds_rows_past_the_limit_and_shares_equal_rows)
{
    struct ofacts f;
    ofacts_init(&f);
    /* 8 teams, 256 packages each with its own set of writer teams (no
     * risk, all distinct rows), plus 10 packages no team may write (one
     * shared row). */
    for (int t = 0; t < 8; t++) {
        char j[128];
        snprintf(j, sizeof j, "{\"_key\":\"npm-team:o:t%d\",\"name\":\"t%d\"}", t, t);
        add(&f, "npm_team", j);
    }
    for (int p = 0; p < 266; p++) {
        char name[32], from[32], to[48];
        snprintf(name, sizeof name, "p%03d", p);
        pkg(&f, name, "\"public\":true");
        for (int t = 0; p < 256 && t < 8; t++)
            if (p & (1 << t)) {
                snprintf(from, sizeof from, "npm-team:o:t%d", t);
                snprintf(to, sizeof to, "npm-package:%s", name);
                rel(&f, "npm_team_allows_package", from, to, "\"permission\":\"read-write\"");
            }
    }
    ofacts_finish(&f);
    struct buf b = BUF_INIT;
    pic_svg(&f, &b);
    T_CHECK_INT(PIC_MAX_ROWS, count(b.p, "<g class=\"row\">"));
    T_CONTAINS(b.p, "... 197 more packages (folded)");
    T_CONTAINS(b.p, "11 packages: p000, p256, p257"); /* p000 has no writer either */
    buf_free(&b);
    ofacts_free(&f);
}

TEST(test_orgpicture_and_report_escape_hostile_names)
{
    static const char *const evil = "<script>alert(1)</script>";
    struct ofacts f;
    ofacts_init(&f);
    add(&f, "npm_account", "{\"_key\":\"npm-account:o\",\"name\":\"o<b>\"}");
    user(&f, "x\\\" onload=\\\"alert(2)", NULL, false);
    pkg(&f, "<script>alert(1)</script>", "\"public\":true");
    rel(&f, "npm_package_allows_user", "npm-package:<script>alert(1)</script>",
        "npm-user:x\\\" onload=\\\"alert(2)", "\"permission\":\"read-write\",\"orgMember\":false");
    ofacts_finish(&f);
    T_CHECK_INT(1, f.nusers);
    struct buf b = BUF_INIT;
    pic_svg(&f, &b);
    T_NOT_CONTAINS(b.p, b.len, evil, strlen(evil));
    T_NOT_CONTAINS(b.p, b.len, "\" onload", 8);
    T_NOT_CONTAINS(b.p, b.len, "o<b>", 4);
    T_CONTAINS(b.p, "&lt;script&gt;");
    T_CONTAINS(b.p, "outsider-can-publish");
    struct orep_in in = {&f, NULL, 0};
    static const enum orep_format markup[] = {OREP_MD, OREP_HTML};
    for (size_t i = 0; i < 2; i++) {
        buf_reset(&b);
        orep_render(&in, markup[i], &b);
        T_NOT_CONTAINS(b.p, b.len, evil, strlen(evil));
        T_NOT_CONTAINS(b.p, b.len, "\" onload", 8);
    }
    /* JSON holds the names as they are, as valid JSON strings. */
    buf_reset(&b);
    orep_render(&in, OREP_JSON, &b);
    T_TRUE(json_validate(b.p, b.len, NULL));
    T_CONTAINS(b.p, "\"x\\\" onload=\\\"alert(2)\"");
    buf_free(&b);
    ofacts_free(&f);
}

TEST(test_orgreport_is_the_same_bytes_whatever_order_the_objects_came_in)
{
    struct ofacts a, z;
    struct buf ba = BUF_INIT, bz = BUF_INIT;
    org(&a, true);
    /* The same objects, in another order. */
    ofacts_init(&z);
    pkg(&z, "new-pkg", "");
    pkg(&z, "q", "\"public\":false");
    pkg(&z, "p",
        "\"public\":true,\"provenance\":false,\"trustDowngrade\":true,"
        "\"hasInstallScript\":true,\"installScripts\":[\"postinstall\"],"
        "\"advisoryCount\":2");
    rel(&z, "npm_user_manages_package", "npm-user:out", "npm-package:p", NULL);
    rel(&z, "npm_package_allows_user", "npm-package:p", "npm-user:out",
        "\"permission\":\"read-write\",\"orgMember\":false");
    rel(&z, "npm_team_allows_package", "npm-team:o:dev", "npm-package:p",
        "\"permission\":\"read-write\"");
    rel(&z, "npm_team_has_user", "npm-team:o:dev", "npm-user:dan", NULL);
    add(&z, "npm_team", "{\"_key\":\"npm-team:o:dev\",\"name\":\"dev\"}");
    add(&z, "npm_team", "{\"_key\":\"npm-team:o:new\",\"name\":\"new\"}");
    user(&z, "out", NULL, false);
    user(&z, "dan", "developer", true);
    user(&z, "cat", "admin", true);
    user(&z, "bob", "owner", true);
    user(&z, "amy", "owner", true);
    add(&z, "npm_account", "{\"_key\":\"npm-account:o\",\"name\":\"o\"}");
    ofacts_finish(&z);
    for (int fmt = OREP_MD; fmt <= OREP_HTML; fmt++) {
        struct orep_in ia = {&a, NULL, 1700000000000LL}, iz = {&z, NULL, 1700000000000LL};
        buf_reset(&ba);
        buf_reset(&bz);
        orep_render(&ia, (enum orep_format)fmt, &ba);
        orep_render(&iz, (enum orep_format)fmt, &bz);
        T_CHECK_INT(0, ba.len == bz.len ? memcmp(ba.p, bz.p, ba.len) : 1);
    }
    buf_free(&ba);
    buf_free(&bz);
    ofacts_free(&a);
    ofacts_free(&z);
}

TEST(test_orgpicture_names_a_package_risks_from_its_facts)
{
    struct ofacts f;
    ofacts_init(&f);
    user(&f, "out", NULL, false);
    pkg(&f, "calm",
        "\"provenance\":false,\"firstTimePublisher\":true,\"publisherIsOrgMember\":true");
    pkg(&f, "ci",
        "\"firstTimePublisher\":true,\"publisherIsOrgMember\":false,"
        "\"latestTrust\":\"trusted-publisher\"");
    pkg(&f, "new", "\"firstTimePublisher\":true,\"publisherIsOrgMember\":false");
    pkg(&f, "many",
        "\"trustDowngrade\":true,\"hasInstallScript\":true,"
        "\"latestVersionAffected\":true,\"repositoryMismatch\":true");
    pkg(&f, "kept", "");
    pkg(&f, "read", "");
    rel(&f, "npm_user_manages_package", "npm-user:out", "npm-package:kept", NULL);
    rel(&f, "npm_package_allows_user", "npm-package:read", "npm-user:out",
        "\"permission\":\"read-only\",\"orgMember\":false");
    ofacts_finish(&f);
    T_CHECK_INT(0, pic_risks(&f, ofacts_pkg(&f, "calm"))); /* no provenance is no mark */
    T_CHECK_INT(0, pic_risks(&f, ofacts_pkg(&f, "ci")));   /* a trusted publisher's first */
    T_CHECK_INT(RISK_FIRST_TIME_PUBLISHER, pic_risks(&f, ofacts_pkg(&f, "new")));
    T_CHECK_INT(RISK_TRUST_DOWNGRADE | RISK_INSTALL_SCRIPT | RISK_VULNERABLE | RISK_REPO_MISMATCH,
                pic_risks(&f, ofacts_pkg(&f, "many")));
    T_CHECK_INT(RISK_OUTSIDE_WRITE, pic_risks(&f, ofacts_pkg(&f, "kept"))); /* maintains */
    T_CHECK_INT(0, pic_risks(&f, ofacts_pkg(&f, "read"))); /* read-only is not publishing */
    ofacts_free(&f);
}

TEST(test_orgreport_says_which_supply_chain_facts_the_graph_lacks)
{
    struct ofacts f;
    struct buf b = BUF_INIT;
    ofacts_init(&f);
    pkg(&f, "old", "\"public\":true,\"deprecated\":true,\"publishedOn\":1000");
    ofacts_finish(&f);
    struct orep_in in = {&f, NULL, 1700000000000LL};
    orep_render(&in, OREP_MD, &b);
    T_CONTAINS(b.p, "### Trust downgrades\n\nNot in this graph");
    T_CONTAINS(b.p, "### Deprecated\n\n| Package | Latest |\n| --- | --- |\n| old | 1.0.0 |");
    T_CONTAINS(b.p, "### Not published for two years\n\n| Package");
    T_NOT_CONTAINS(b.p, b.len, "The collecting account", 22);
    buf_reset(&b);
    orep_render(&in, OREP_JSON, &b);
    T_CONTAINS(b.p, "\"trustDowngrades\":null");
    T_CONTAINS(b.p, "\"deprecated\":[\"old\"]");
    ofacts_free(&f);

    ofacts_init(&f);
    pkg(&f, "cli",
        "\"provenance\":false,\"trustDowngrade\":true,\"latestTrust\":\"none\","
        "\"hasInstallScript\":false");
    pkg(&f, "core",
        "\"provenance\":true,\"trustDowngrade\":false,\"latestTrust\":\"provenance\","
        "\"hasInstallScript\":false");
    ofacts_finish(&f);
    buf_reset(&b);
    in.as_of = 0;
    orep_render(&in, OREP_MD, &b);
    T_CONTAINS(b.p, "### Trust downgrades\n\n| Package | Latest | Latest trust |\n| --- | --- | "
                    "--- |\n| cli | 1.0.0 | none |\n\n");
    T_CONTAINS(b.p, "### Install scripts\n\nNone.");
    T_CONTAINS(b.p, "### Not published for two years\n\nUnknown");
    buf_free(&b);
    ofacts_free(&f);
}

TEST(test_orgdiff_lists_at_most_a_thousand_changes_of_a_class_but_counts_all)
{
    struct ofacts p, c;
    struct od_changes ch;
    ofacts_init(&p);
    ofacts_init(&c);
    for (int i = 0; i < OD_MAX_LISTED + 5; i++) {
        char name[32];
        snprintf(name, sizeof name, "p%05d", i);
        pkg(&p, name, "");
    }
    pkg(&c, "kept", "");
    ofacts_finish(&p);
    ofacts_finish(&c);
    od_diff(&p, &c, &ch);
    T_CHECK_INT(OD_MAX_LISTED + 5, ch.count[OD_PACKAGE_DELETED]);
    T_CHECK_INT(1, ch.count[OD_PACKAGE_CREATED]);
    T_CHECK_INT(OD_MAX_LISTED + 1, ch.n);
    T_CHECK_INT(5, ch.unlisted);
    if (ch.n)
        T_CHECK_INT(0, strcmp(ch.v[ch.n - 1].subject, "p00999")); /* the first ones, in order */
    od_free(&ch);
    ofacts_free(&p);
    ofacts_free(&c);
}
