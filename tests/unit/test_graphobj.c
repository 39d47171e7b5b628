/* test_graphobj.c — which graph objects upload takes, and what it says of
 * the ones it refuses (common/graphobj.h). */
#include <string.h>

#include "buf.h"
#include "graphobj.h"
#include "t.h"

#define ENT GOBJ_ENTITY
#define REL GOBJ_RELATIONSHIP

static int check(const char *json, enum gobj_kind kind, struct gobj *g)
{
    return gobj_check(json, strlen(json), kind, g);
}

/* The problem of a refused object ("" when it was accepted). */
static const char *why(const char *json, enum gobj_kind kind)
{
    static struct gobj g;
    if (check(json, kind, &g) == 0)
        return "";
    return g.problem;
}

#define T_ACCEPTS(json, kind) T_STR("", why((json), (kind)))
#define T_REFUSES(json, kind, msg) T_CONTAINS(why((json), (kind)), (msg))

TEST(test_graphobj_accepts_an_entity_and_reads_its_key_and_type)
{
    struct gobj g;
    T_INT(0, check(" {\"_key\":\"npm_user:alice\",\"_type\":\"npm_user\",\"_class\":\"User\","
                   "\"name\":\"alice\",\"active\":true,\"n\":3,\"x\":null,\"tags\":[\"a\",\"b\"]} ",
                   ENT, &g));
    T_STR("", g.problem);
    T_MEM("npm_user:alice", 14, g.key.p, g.key.n);
    T_MEM("npm_user", 8, g.type.p, g.type.n);
    T_FALSE(g.has_raw_data);
}

TEST(test_graphobj_accepts_an_entity_class_list_but_not_a_relationship_one)
{
    T_ACCEPTS("{\"_key\":\"k\",\"_type\":\"t\",\"_class\":[\"User\",\"Person\"]}", ENT);
    T_REFUSES("{\"_key\":\"k\",\"_type\":\"t\",\"_class\":[]}", ENT, "_class is an empty array");
    T_REFUSES("{\"_key\":\"k\",\"_type\":\"t\",\"_class\":[\"\"]}", ENT,
              "_class array must hold non-empty strings");
    T_REFUSES("{\"_key\":\"k\",\"_type\":\"t\",\"_class\":[\"HAS\"],\"_fromEntityKey\":\"a\","
              "\"_toEntityKey\":\"b\"}",
              REL, "_class is an array, must be a string");
    T_REFUSES("{\"_key\":\"k\",\"_type\":\"t\",\"_class\":3}", ENT,
              "_class is a number, must be a string or an array of strings");
}

TEST(test_graphobj_refuses_a_missing_or_empty_key_type_or_class)
{
    T_REFUSES("{\"_type\":\"t\",\"_class\":\"C\"}", ENT, "_key must be a non-empty string");
    T_REFUSES("{\"_key\":\"\",\"_type\":\"t\",\"_class\":\"C\"}", ENT,
              "_key must be a non-empty string");
    T_REFUSES("{\"_key\":\"k\",\"_class\":\"C\"}", ENT, "_type must be a non-empty string");
    T_REFUSES("{\"_key\":\"k\",\"_type\":\"t\"}", ENT, "_class is missing");
    T_REFUSES("{\"_key\":\"k\",\"_type\":\"t\",\"_class\":\"\"}", ENT, "_class is empty");
}

TEST(test_graphobj_refuses_nested_and_mixed_property_values)
{
    T_REFUSES("{\"_key\":\"k\",\"_type\":\"t\",\"_class\":\"C\",\"o\":{}}", ENT,
              "property \"o\" is an object");
    T_REFUSES("{\"_key\":\"k\",\"_type\":\"t\",\"_class\":\"C\",\"a\":[1,\"x\"]}", ENT,
              "property \"a\" is a mixed-type array");
    T_REFUSES("{\"_key\":\"k\",\"_type\":\"t\",\"_class\":\"C\",\"a\":[null]}", ENT,
              "property \"a\" is an array holding null values");
    T_REFUSES("{\"_key\":\"k\",\"_type\":\"t\",\"_class\":\"C\",\"a\":[[1]]}", ENT,
              "property \"a\" is an array holding an array values");
    T_ACCEPTS("{\"_key\":\"k\",\"_type\":\"t\",\"_class\":\"C\",\"a\":[],\"b\":[1,2.5],"
              "\"c\":[true,false]}",
              ENT);
}

TEST(test_graphobj_refuses_reserved_names_and_repeated_system_members)
{
    T_REFUSES("{\"_key\":\"k\",\"_type\":\"t\",\"_class\":\"C\",\"_secret\":1}", ENT,
              "property \"_secret\" starts with \"_\", which is reserved");
    T_REFUSES("{\"_key\":\"k\",\"_type\":\"t\",\"_class\":\"C\",\"_fromEntityKey\":\"a\"}", ENT,
              "property \"_fromEntityKey\" starts with \"_\"");
    T_REFUSES("{\"_key\":\"k\",\"_key\":\"j\",\"_type\":\"t\",\"_class\":\"C\"}", ENT,
              "_key appears twice in the object");
    T_ACCEPTS("{\"_key\":\"k\",\"_type\":\"t\",\"_class\":\"C\",\"_scope\":\"s\",\"_id\":\"i\"}",
              ENT);
    /* An escaped name means what it spells: "\u005fsecret" is "_secret". */
    T_REFUSES("{\"_key\":\"k\",\"_type\":\"t\",\"_class\":\"C\",\"\\u005fsecret\":1}", ENT,
              "property \"_secret\" starts with \"_\"");
}

TEST(test_graphobj_checks_raw_data_entries)
{
    struct gobj g;
    T_INT(0, check("{\"_key\":\"k\",\"_type\":\"t\",\"_class\":\"C\",\"_rawData\":[{\"name\":"
                   "\"default\",\"rawData\":{\"x\":{\"deep\":[1]}}},{\"name\":\"b\",\"rawData\":"
                   "\"text\"}]}",
                   ENT, &g));
    T_TRUE(g.has_raw_data);
    T_REFUSES("{\"_key\":\"k\",\"_type\":\"t\",\"_class\":\"C\",\"_rawData\":{}}", ENT,
              "_rawData is an object, must be an array of {name, rawData}");
    T_REFUSES("{\"_key\":\"k\",\"_type\":\"t\",\"_class\":\"C\",\"_rawData\":[{\"name\":\"a\"}]}",
              ENT, "_rawData[0] needs both name and rawData");
    T_REFUSES("{\"_key\":\"k\",\"_type\":\"t\",\"_class\":\"C\",\"_rawData\":[{\"name\":\"a\","
              "\"rawData\":{}},{\"name\":\"a\",\"rawData\":{}}]}",
              ENT, "_rawData[1].name repeats an earlier name");
    T_REFUSES("{\"_key\":\"k\",\"_type\":\"t\",\"_class\":\"C\",\"_rawData\":[{\"name\":\"a\","
              "\"rawData\":1}]}",
              ENT, "_rawData[0] rawData must be an object or a string");
    T_REFUSES("{\"_key\":\"k\",\"_type\":\"t\",\"_class\":\"C\",\"_rawData\":[3]}", ENT,
              "_rawData[0] is a number, must be an object {name, rawData}");
}

TEST(test_graphobj_a_relationship_needs_exactly_one_way_to_its_ends)
{
    struct gobj g;
    T_INT(0, check("{\"_key\":\"r\",\"_type\":\"t\",\"_class\":\"HAS\",\"_fromEntityKey\":\"a\","
                   "\"_toEntityKey\":\"b\"}",
                   REL, &g));
    T_MEM("HAS", 3, g.cls.p, g.cls.n);
    T_MEM("a", 1, g.from.p, g.from.n);
    T_MEM("b", 1, g.to.p, g.to.n);
    T_FALSE(g.mapped);
    T_ACCEPTS("{\"_key\":\"r\",\"_type\":\"t\",\"_class\":\"HAS\",\"_fromEntityId\":\"a\","
              "\"_toEntityId\":\"b\"}",
              REL);
    T_REFUSES("{\"_key\":\"r\",\"_type\":\"t\",\"_class\":\"HAS\"}", REL,
              "needs _fromEntityKey and _toEntityKey, or a _mapping");
    T_REFUSES("{\"_key\":\"r\",\"_type\":\"t\",\"_class\":\"HAS\",\"_fromEntityKey\":\"a\"}", REL,
              "_fromEntityKey needs _toEntityKey too");
    T_REFUSES("{\"_key\":\"r\",\"_type\":\"t\",\"_class\":\"HAS\",\"_fromEntityKey\":\"a\","
              "\"_toEntityKey\":\"b\",\"_fromEntityId\":\"a\",\"_toEntityId\":\"b\"}",
              REL, "has more than one of");
    T_REFUSES("{\"_key\":\"r\",\"_type\":\"t\",\"_class\":\"HAS\",\"_fromEntityKey\":\"\","
              "\"_toEntityKey\":\"b\"}",
              REL, "_fromEntityKey must be a non-empty string");
}

TEST(test_graphobj_checks_a_mapped_relationship)
{
    struct gobj g;
    T_INT(0, check("{\"_key\":\"r\",\"_type\":\"t\",\"_class\":\"HAS\",\"_mapping\":{"
                   "\"relationshipDirection\":\"FORWARD\",\"sourceEntityKey\":\"a\","
                   "\"targetEntity\":{\"_type\":\"x\",\"name\":\"n\"},\"targetFilterKeys\":"
                   "[[\"_type\",\"name\"]],\"skipTargetCreation\":false}}",
                   REL, &g));
    T_TRUE(g.mapped);
    T_REFUSES("{\"_key\":\"r\",\"_type\":\"t\",\"_class\":\"HAS\",\"_mapping\":{"
              "\"relationshipDirection\":\"SIDEWAYS\",\"sourceEntityKey\":\"a\",\"targetEntity\":"
              "{\"name\":\"n\"},\"targetFilterKeys\":[[\"name\"]]}}",
              REL, "_mapping.relationshipDirection must be \"FORWARD\" or \"REVERSE\"");
    T_REFUSES("{\"_key\":\"r\",\"_type\":\"t\",\"_class\":\"HAS\",\"_mapping\":{"
              "\"relationshipDirection\":\"REVERSE\",\"sourceEntityKey\":\"a\",\"targetEntity\":"
              "{\"name\":\"n\"},\"targetFilterKeys\":[[\"other\"]]}}",
              REL, "which targetEntity lacks");
    T_REFUSES("{\"_key\":\"r\",\"_type\":\"t\",\"_class\":\"HAS\",\"_mapping\":{"
              "\"relationshipDirection\":\"REVERSE\",\"sourceEntityKey\":\"a\",\"targetEntity\":"
              "{\"name\":\"n\"},\"targetFilterKeys\":[[\"name\"]],\"extra\":1}}",
              REL, "_mapping has an unknown member \"extra\"");
    T_REFUSES("{\"_key\":\"r\",\"_type\":\"t\",\"_class\":\"HAS\",\"_mapping\":{"
              "\"relationshipDirection\":\"REVERSE\",\"sourceEntityKey\":\"a\",\"targetEntity\":"
              "{\"o\":{}},\"targetFilterKeys\":[[\"o\"]]}}",
              REL, "_mapping.targetEntity property \"o\" is an object");
}

TEST(test_graphobj_refuses_what_is_not_one_json_object)
{
    T_REFUSES("[1,2]", ENT, "is an array, not an object");
    T_REFUSES("\"x\"", ENT, "is a string, not an object");
    T_REFUSES("{\"_key\":", ENT, "is not valid JSON");
    T_REFUSES("{\"_key\":\"k\",\"_type\":\"t\",\"_class\":\"C\"} {}", ENT,
              "has text after the object");
    T_REFUSES("", ENT, "is not valid JSON");
}

TEST(test_graphobj_a_refused_object_can_still_be_named)
{
    struct gobj g;
    T_INT(-1, check("{\"_key\":\"k1\",\"o\":{},\"_type\":\"t\",\"_class\":\"C\"}", ENT, &g));
    T_MEM("k1", 2, g.key.p, g.key.n); /* read on after the first problem */
    T_MEM("t", 1, g.type.p, g.type.n);
    /* Invalid JSON: nothing after the break can be trusted, so no names. */
    T_INT(-1, check("{\"_key\":\"k1\",\"_type\":\"t\",", ENT, &g));
    T_TRUE(g.key.p == NULL);
    T_TRUE(g.type.p == NULL);
}

TEST(test_graphobj_decodes_and_displays_escaped_keys_safely)
{
    struct gobj g;
    T_INT(0, check("{\"_key\":\"a\\u0041\\nb\",\"_type\":\"t\",\"_class\":\"C\"}", ENT, &g));
    T_TRUE(g.key.esc);
    struct buf d = BUF_INIT, shown = BUF_INIT;
    T_INT(0, gstr_decode(&g.key, &d));
    T_BUF("aA\nb", d);
    gstr_display(&g.key, 200, &shown);
    T_BUF("aA?b", shown); /* a control character cannot forge a log line */
    buf_reset(&shown);
    gstr_display(&g.key, 2, &shown);
    T_BUF("aA...", shown);
    struct gstr none = {NULL, 0, false};
    buf_reset(&shown);
    gstr_display(&none, 10, &shown);
    T_BUF("(none)", shown);
    buf_free(&d);
    buf_free(&shown);
}

TEST(test_graphobj_knows_the_data_model_relationship_classes)
{
    struct gstr has = {"HAS", 3, false}, esc = {"\\u0048AS", 8, true}, odd = {"LIKES", 5, false};
    T_TRUE(gobj_known_relationship_class(&has));
    T_TRUE(gobj_known_relationship_class(&esc));
    T_FALSE(gobj_known_relationship_class(&odd));
}
