/*
 * schema.h — the graph this transform produces: its _types, the SDK steps
 * that own them, and which fetch kinds feed which types (so that a failed
 * fetch marks exactly the types it would have fed as partial).
 *
 * Keys and type names follow JupiterOne's official npm integration where it
 * has them (npm_user, npm_team, npm_package, npm_team_has_user,
 * repo_published_npm_package), so an account can switch integrations without
 * its entities being deleted and recreated; the rest follow the SDK's
 * generateRelationshipType rule (from type, class, to type minus the shared
 * prefix). The table below is the one place a _type, a _class or a _key
 * prefix is spelled.
 */
#ifndef J1NPM_TRANSFORM_SCHEMA_H
#define J1NPM_TRANSFORM_SCHEMA_H

#include <stdbool.h>

#include "dumpfmt.h"

enum gstep { S_ACCOUNT, S_USERS, S_TEAMS, S_PACKAGES, S_ADVISORIES, S_COUNT };

enum gtype {
    T_ACCOUNT,
    T_USER,
    T_ACCOUNT_HAS_USER,
    T_TEAM,
    T_TEAM_HAS_USER,
    T_ACCOUNT_HAS_TEAM,
    T_TEAM_ALLOWS_PACKAGE,
    T_PACKAGE,
    T_ACCOUNT_HAS_PACKAGE,
    T_USER_MANAGES_PACKAGE,
    T_PACKAGE_ALLOWS_USER,
    T_REPO_PUBLISHED_PACKAGE,
    T_ADVISORY,
    T_PACKAGE_HAS_ADVISORY,
    T_COUNT
};

struct gtype_info {
    const char *type;
    enum gstep step;
    bool relationship;
    const char *cls;    /* the _class (a relationship's, upper case) */
    const char *verb;   /* relationships: the _class as its _key spells it */
    const char *prefix; /* the _key's prefix: "npm-user:" + name; NULL for a
                           direct relationship, whose _key is from|verb|to */
};

static const struct gtype_info gtypes[T_COUNT] = {
    [T_ACCOUNT] = {"npm_account", S_ACCOUNT, false, "Account", NULL, "npm-account:"},
    [T_USER] = {"npm_user", S_USERS, false, "User", NULL, "npm-user:"},
    [T_ACCOUNT_HAS_USER] = {"npm_account_has_user", S_USERS, true, "HAS", "has", NULL},
    [T_TEAM] = {"npm_team", S_TEAMS, false, "UserGroup", NULL, "npm-team:"},
    [T_TEAM_HAS_USER] = {"npm_team_has_user", S_TEAMS, true, "HAS", "has", NULL},
    [T_ACCOUNT_HAS_TEAM] = {"npm_account_has_team", S_TEAMS, true, "HAS", "has", NULL},
    [T_TEAM_ALLOWS_PACKAGE] = {"npm_team_allows_package", S_TEAMS, true, "ALLOWS", "allows", NULL},
    [T_PACKAGE] = {"npm_package", S_PACKAGES, false, "CodeModule", NULL, "npm-package:"},
    [T_ACCOUNT_HAS_PACKAGE] = {"npm_account_has_package", S_PACKAGES, true, "HAS", "has", NULL},
    [T_USER_MANAGES_PACKAGE] = {"npm_user_manages_package", S_PACKAGES, true, "MANAGES", "manages",
                                NULL},
    [T_PACKAGE_ALLOWS_USER] = {"npm_package_allows_user", S_PACKAGES, true, "ALLOWS", "allows",
                               NULL},
    /* a mapped relationship (to a CodeRepo another integration made): its
     * _key is the prefix and the package's _key */
    [T_REPO_PUBLISHED_PACKAGE] = {"repo_published_npm_package", S_PACKAGES, true, "PUBLISHED",
                                  "published", "repo:published:"},
    /* A published advisory (GHSA): Finding, not Vulnerability — the data
     * model's Vulnerability requires a cveId, which npm's advisories do not
     * carry; Finding's required fields (category, severity,
     * numericSeverity, open) all have values. The package HAS the advisory:
     * the Finding and Vulnerability schemas speak of IMPACTS, but that is
     * not a RelationshipClass of the data model (upload would warn on every
     * one); HAS is, and is what integrations relate a resource to its
     * findings with. The relationship carries what is particular to that
     * package: its vulnerable range and whether its latest is in it. */
    [T_ADVISORY] = {"npm_advisory", S_ADVISORIES, false, "Finding", NULL, "npm-advisory:"},
    [T_PACKAGE_HAS_ADVISORY] = {"npm_package_has_advisory", S_ADVISORIES, true, "HAS", "has", NULL},
};

struct gstep_info {
    const char *id;
    const char *name;
    const char *depends_on; /* one step id, or NULL */
};

static const struct gstep_info gsteps[S_COUNT] = {
    [S_ACCOUNT] = {"fetch-account", "Fetch Account", NULL},
    [S_USERS] = {"fetch-org-users", "Fetch Organization Users", "fetch-account"},
    [S_TEAMS] = {"fetch-org-teams", "Fetch Organization Teams", "fetch-org-users"},
    [S_PACKAGES] = {"fetch-org-packages", "Fetch Organization Packages", "fetch-org-teams"},
    [S_ADVISORIES] = {"fetch-package-advisories", "Fetch Package Advisories", "fetch-org-packages"},
};

#define TB(t) (1u << (t))

/* The types each fetch kind feeds: a failed or missing fetch of that kind
 * makes these partial. */
static const unsigned kind_feeds[K_COUNT] = {
    [K_WHOAMI] = 0,
    [K_ORG_USERS] = TB(T_USER) | TB(T_ACCOUNT_HAS_USER),
    /* package ALLOWS user is written only for access the teams do not
     * explain, so every team list feeds it too. */
    [K_ORG_TEAMS] = TB(T_TEAM) | TB(T_TEAM_HAS_USER) | TB(T_ACCOUNT_HAS_TEAM) |
                    TB(T_TEAM_ALLOWS_PACKAGE) | TB(T_PACKAGE_ALLOWS_USER),
    [K_TEAM_USERS] = TB(T_TEAM) | TB(T_TEAM_HAS_USER) | TB(T_PACKAGE_ALLOWS_USER),
    [K_TEAM_PACKAGES] = TB(T_TEAM_ALLOWS_PACKAGE) | TB(T_PACKAGE_ALLOWS_USER),
    [K_ORG_PACKAGES] = TB(T_PACKAGE) | TB(T_ACCOUNT_HAS_PACKAGE) | TB(T_USER_MANAGES_PACKAGE) |
                       TB(T_PACKAGE_ALLOWS_USER) | TB(T_REPO_PUBLISHED_PACKAGE) |
                       TB(T_TEAM_ALLOWS_PACKAGE) |
                       TB(T_USER), /* outside maintainers/collaborators come only from packages */
    [K_USER_PROFILES] = TB(T_USER),
    [K_PACKAGE_VISIBILITY] = TB(T_PACKAGE),
    [K_PACKAGE_COLLABORATORS] = TB(T_PACKAGE_ALLOWS_USER) | TB(T_USER) | TB(T_PACKAGE),
    /* A package without its document is not asked about advisories. */
    [K_PACKUMENTS] = TB(T_PACKAGE) | TB(T_USER_MANAGES_PACKAGE) | TB(T_REPO_PUBLISHED_PACKAGE) |
                     TB(T_USER) | TB(T_ADVISORY) | TB(T_PACKAGE_HAS_ADVISORY),
    /* The collecting account's 2FA and token: properties of npm_account. */
    [K_COLLECTOR_PROFILE] = TB(T_ACCOUNT),
    [K_COLLECTOR_TOKENS] = TB(T_ACCOUNT),
    /* Provenance facts of npm_package, and the PUBLISHED mapping they choose. */
    [K_ATTESTATIONS] = TB(T_PACKAGE) | TB(T_REPO_PUBLISHED_PACKAGE),
    [K_ADVISORIES] = TB(T_PACKAGE) | TB(T_ADVISORY) | TB(T_PACKAGE_HAS_ADVISORY),
};

#endif
