#!/usr/bin/env python3
"""gen_graph.py - a large JupiterOne SDK storage directory of npm objects,
for the upload benchmark.

    gen_graph.py --out DIR [--objects N] [--seed S] [--compact]

Writes DIR/graph/<step>/{entities,relationships}/<uuid>.json and
DIR/summary.json as the official SDK lays them out: each file holds one
_type and at most 500 objects, pretty-printed (the SDK's default; --compact
for one line per file). About N objects in all (default 200,000): the
entities an npm organization of that size has (account, users, teams,
packages, each with a modest _rawData as the npm registry answered) and
the relationships between them (account HAS user/team/package, team HAS
user, team ALLOWS package, user MANAGES package, package published from a
repository as a mapped relationship). Shapes and keys follow
j1-npm-transform's output; the values are made up, deterministically from
--seed, so every run writes the same bytes.
"""
import argparse
import json
import os
import random
import shutil
import sys
import uuid

PER_FILE = 500
T0 = 1600000000000


class Writer:
    def __init__(self, out, rng, pretty):
        self.out, self.rng, self.pretty = out, rng, pretty
        self.count = 0
        self.types = {}

    def put(self, step, kind, objs):
        """Writes objs (one _type) into files of at most PER_FILE objects."""
        d = os.path.join(self.out, "graph", step, kind)
        os.makedirs(d, exist_ok=True)
        for i in range(0, len(objs), PER_FILE):
            chunk = objs[i:i + PER_FILE]
            name = str(uuid.UUID(int=self.rng.getrandbits(128), version=4)) + ".json"
            with open(os.path.join(d, name), "w", encoding="utf-8") as f:
                if self.pretty:
                    json.dump({kind: chunk}, f, indent=2, ensure_ascii=False)
                else:
                    json.dump({kind: chunk}, f, separators=(",", ":"), ensure_ascii=False)
            self.count += len(chunk)
        if objs:
            self.types.setdefault(step, []).append(objs[0]["_type"])


def word(rng, n=8):
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, n)))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True)
    p.add_argument("--objects", type=int, default=200000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--compact", action="store_true")
    a = p.parse_args()
    if os.path.exists(a.out):
        shutil.rmtree(a.out)
    rng = random.Random(a.seed)
    w = Writer(a.out, rng, not a.compact)
    n = a.objects
    org = "bigorg"
    n_pkg, n_user, n_team = max(1, n * 20 // 100), max(1, n * 75 // 1000), max(1, n * 5 // 1000)

    acct_key = "npm-account:" + org
    account = {"_key": acct_key, "_type": "npm_account", "_class": ["Account"], "id": org,
               "name": org, "displayName": org, "vendor": "npm", "org": org,
               "webLink": "https://www.npmjs.com/org/" + org, "memberCount": n_user,
               "teamCount": n_team, "packageCount": n_pkg,
               "_rawData": [{"name": "default", "rawData": {"org": org}}]}
    w.put("fetch-account", "entities", [account])

    users, roles = [], ("owner", "admin", "developer")
    for i in range(n_user):
        name = "%s%d" % (word(rng), i)
        role = roles[0] if i < 3 else rng.choice(roles[1:] + ("developer",) * 6)
        email = "%s@%s.example" % (name, org)
        users.append({
            "_key": "npm-user:" + name, "_type": "npm_user", "_class": ["User"], "id": name,
            "name": name, "displayName": name, "username": [name], "shortLoginId": [name],
            "firstName": None, "lastName": None, "email": [email],
            "emailDomain": [org + ".example"], "role": role, "admin": role != "developer",
            "isAdmin": role != "developer", "orgMember": True, "active": True, "isActive": True,
            "webLink": "https://www.npmjs.com/~" + name,
            "_rawData": [{"name": "default", "rawData": {"username": name, "organizationRole": role}},
                         {"name": "profile", "rawData": {"_id": "org.couchdb.user:" + name,
                                                         "name": name, "email": email}}]})
    w.put("fetch-org-users", "entities", users)
    w.put("fetch-org-users", "relationships", [
        {"_key": "%s|has|%s" % (acct_key, u["_key"]), "_type": "npm_account_has_user",
         "_class": "HAS", "_fromEntityKey": acct_key, "_toEntityKey": u["_key"],
         "displayName": "HAS", "role": u["role"]} for u in users])

    teams, members = [], []
    for i in range(n_team):
        name = "%s-%d" % (word(rng), i)
        key = "npm-team:%s:%s" % (org, name)
        teams.append({"_key": key, "_type": "npm_team", "_class": ["UserGroup"],
                      "id": "%s:%s" % (org, name), "name": name, "displayName": name,
                      "org": org, "webLink": "https://www.npmjs.com/settings/%s/teams/team/%s"
                      % (org, name),
                      "_rawData": [{"name": "default", "rawData": {"team": "%s:%s" % (org, name)}}]})
        for u in rng.sample(users, min(len(users), 20)):
            members.append({"_key": "%s|has|%s" % (key, u["_key"]), "_type": "npm_team_has_user",
                            "_class": "HAS", "_fromEntityKey": key, "_toEntityKey": u["_key"],
                            "displayName": "HAS"})
    w.put("fetch-org-teams", "entities", teams)
    w.put("fetch-org-teams", "relationships", members)
    w.put("fetch-org-teams", "relationships", [
        {"_key": "%s|has|%s" % (acct_key, t["_key"]), "_type": "npm_account_has_team",
         "_class": "HAS", "_fromEntityKey": acct_key, "_toEntityKey": t["_key"],
         "displayName": "HAS"} for t in teams])

    pkgs, allows, manages, published = [], [], [], []
    for i in range(n_pkg):
        short = "%s-%s-%d" % (word(rng), word(rng), i)
        name = "@%s/%s" % (org, short) if i % 3 else short
        key = "npm-package:" + name
        ver = "%d.%d.%d" % (rng.randint(0, 9), rng.randint(0, 30), rng.randint(0, 99))
        desc = " ".join(word(rng) for _ in range(rng.randint(4, 14)))
        repo = "https://github.com/%s/%s" % (org, short)
        pkgs.append({
            "_key": key, "_type": "npm_package", "_class": ["CodeModule"], "id": name,
            "name": short, "displayName": name, "scope": org if name.startswith("@") else None,
            "access": rng.choice(("read-only", "read-write")), "public": i % 4 == 0,
            "version": ver, "description": desc, "license": rng.choice(("MIT", "ISC", "UNLICENSED")),
            "homepage": repo + "#readme", "keywords": [word(rng) for _ in range(rng.randint(0, 5))],
            "repository": repo, "repositoryHost": "github.com", "repositoryOwner": org,
            "repositoryName": short, "createdOn": T0 + i * 1000, "updatedOn": T0 + i * 2000,
            "deprecated": i % 50 == 0, "versionCount": rng.randint(1, 200),
            "webLink": "https://www.npmjs.com/package/" + name,
            "_rawData": [{"name": "default", "rawData": {
                "name": name, "dist-tags": {"latest": ver}, "description": desc,
                "repository": {"type": "git", "url": "git+%s.git" % repo},
                "maintainers": [{"name": u["name"]} for u in rng.sample(users, min(2, len(users)))],
                "time": {"created": "2020-06-25T07:07:11.042Z", "modified": "2024-01-02T03:04:05.000Z"}}}]})
        t = teams[i % len(teams)]
        allows.append({"_key": "%s|allows|%s" % (t["_key"], key), "_type": "npm_team_allows_package",
                       "_class": "ALLOWS", "_fromEntityKey": t["_key"], "_toEntityKey": key,
                       "displayName": "ALLOWS", "permission": rng.choice(("read-only", "read-write"))})
        if rng.random() < 0.7:
            u = users[rng.randrange(len(users))]
            manages.append({"_key": "%s|manages|%s" % (u["_key"], key),
                            "_type": "npm_user_manages_package", "_class": "MANAGES",
                            "_fromEntityKey": u["_key"], "_toEntityKey": key,
                            "displayName": "MANAGES"})
        if rng.random() < 0.1:
            published.append({"_key": "repo:published:" + key, "_type": "repo_published_npm_package",
                              "_class": "PUBLISHED", "displayName": "PUBLISHED",
                              "_mapping": {"relationshipDirection": "REVERSE", "sourceEntityKey": key,
                                           "targetFilterKeys": [["_class", "name", "owner"]],
                                           "targetEntity": {"_class": "CodeRepo", "name": short,
                                                            "owner": org},
                                           "skipTargetCreation": True}})
    w.put("fetch-org-packages", "entities", pkgs)
    w.put("fetch-org-packages", "relationships", [
        {"_key": "%s|has|%s" % (acct_key, p["_key"]), "_type": "npm_account_has_package",
         "_class": "HAS", "_fromEntityKey": acct_key, "_toEntityKey": p["_key"],
         "displayName": "HAS"} for p in pkgs])
    w.put("fetch-org-packages", "relationships", allows)
    w.put("fetch-org-packages", "relationships", manages)
    w.put("fetch-org-packages", "relationships", published)

    steps = [("fetch-account", "Fetch Account", None), ("fetch-org-users", "Fetch Organization Users",
             "fetch-account"), ("fetch-org-teams", "Fetch Organization Teams", "fetch-org-users"),
             ("fetch-org-packages", "Fetch Organization Packages", "fetch-org-teams")]
    results = []
    for sid, sname, dep in steps:
        r = {"id": sid, "name": sname}
        if dep:
            r["dependsOn"] = [dep]
        r.update({"declaredTypes": w.types.get(sid, []), "partialTypes": [],
                  "encounteredTypes": w.types.get(sid, []), "status": "success"})
        results.append(r)
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump({"integrationStepResults": results,
                   "metadata": {"partialDatasets": {"types": []}}}, f, separators=(",", ":"))
    print("%d objects in %s" % (w.count, a.out), file=sys.stderr)


if __name__ == "__main__":
    main()
