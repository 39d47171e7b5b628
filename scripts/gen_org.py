#!/usr/bin/env python3
"""gen_org.py - generate a large synthetic npm org in the fixture layout.

What it is for
    fixtures/acme/ is small and hand-made: it pins down behaviour. Load,
    memory and speed tests need orgs the size of real big ones (thousands of
    packages, megabyte package documents, a 20 MB monster). This script writes
    such an org in the same layout, so scripts/fake_registry.py can serve it:
        DIR/registry.json        org, token, whoami, users, profiles, teams,
                                 packages (access, public, collaborators)
        DIR/packuments/*.json    one full package document per package, name
                                 with "/" spelled "%2f"
        DIR/attestations.json    the attestation bundles of the latest versions
                                 published with provenance
    and, in registry.json, the supply-chain answers: advisories for some
    packages, the token owner's profile (npm_user) and token list (tokens).

    The supply-chain facts (about 30% of latest versions with provenance,
    SLSA v1 from GitHub Actions, a few from self-hosted runners; an advisory
    on about 5% of packages, half of them affecting the latest version)
    come from a second random.Random, so the rest of the org is what the
    same seed gave before they were added.

How it works
    Everything comes from one random.Random(seed), consumed in a fixed order,
    and nothing iterates a set, so a seed gives byte-identical output.
    The org (users, outsiders, teams, packages and their metadata) is small and
    built as Python objects, written with json.dump. Package documents are the
    bulk (hundreds of MB), so they are built as strings: the per-package parts
    (name, repository, maintainers, ...) are JSON-encoded once with json.dumps,
    then every version object is one %-format of a template, and the document
    is joined and written in one go. Strings that may hold anything go through
    json.dumps, so the output is valid JSON; the end of a run parses a sample
    of documents (all of them with --check) to prove it.

    Sizes (--size-profile realistic): most documents 5-100 KB, a tail with
    hundreds to a few thousand versions (1-4 MB); readmes up to 64 KB as npm
    keeps. --size-profile small keeps every document a few KB.
    --big-package-mb M adds one private package whose document is about M MB.

    Shape: --developers-all gives the `developers` team (every member) read-
    write on every package, as npm does by default, so nearly every
    collaborator is explained by a team — the shape of real orgs, used by the
    benchmark. --maintainers N and --direct-collaborators N put N maintainers
    and N directly granted collaborators on every package: the worst case for
    the graph's size (packages x N relationships), used by the memory test.

The mix mirrors what the transform must cope with: scoped and unscoped,
public and private (only scoped ones can be private, as on npm), repository
in every form (object git+https / git+ssh / https, "github:o/r", bare "o/r",
a plain URL string, GitLab nested groups, monorepo with "directory", none),
deprecated packages, a latest dist-tag that is not the highest version,
maintainers and collaborators who are not org members, members without a
profile, an empty team.
"""

import argparse
import base64
import hashlib
import json
import os
import random
import sys
import time

FIRST = ("ada alan alex amir ana anya arjun ben bianca boris carla chen chloe dan "
         "dara diego dmitri eli elena emma eric eva farid fatima felix gia hana "
         "hugo ian ines ivan jade jan jonas jose julia kai kara kenji lars lea "
         "leo lina luca maya mei milan mira nadia nico noah nora olga omar oskar "
         "paula pedro priya quinn rafael rosa ruth sam sara sofia tariq tom una "
         "uri vera victor wei xena yara yusuf zoe").split()
LAST = ("abe adams bauer becker berg brown chavez cohen costa cruz diaz dubois "
        "eriksen fischer garcia gupta hansen hoffmann ito jensen kaur kim klein "
        "kowalski lee lopez marino meyer molina moreau nakamura novak okafor "
        "olsen park patel perez petrov quist reyes rossi sato schmidt silva "
        "smith tanaka torres varga vogel wagner walker wang weber wong yilmaz "
        "young zhang ziegler").split()
WORDS = ("account admin agent alert analytics api app audit auth backup billing "
         "blob bridge broker build cache cart catalog chart checkout cli client "
         "cloud codec config connect console core cron crypto dash data db "
         "deploy design dev diff dns docs editor email engine env event export "
         "feed file flags flow forms gateway geo graph grid hash health hooks "
         "http i18n icons identity image import index infra ingest invoice "
         "jobs json kafka kit lambda layout ledger lint loader locale log mail "
         "map media mesh metrics migrate mobile mock model monitor notify oauth "
         "orders parser pay pdf perf pipeline platform plugin policy portal "
         "proxy pubsub queue react redis render report router rpc rules runtime "
         "s3 sandbox schema scheduler search secrets sdk server session shell "
         "sitemap sms socket sql sso stats storage stream style sync table "
         "tasks telemetry template tenant test theme tokens tracing types ui "
         "upload utils validate vault video web webhook widget worker").split()
UNICODE_BITS = ["f\u00fcr", "na\u00efve", "caf\u00e9", "\u00c5ngstr\u00f6m",
                "\u6771\u4eac", "S\u00e3o Paulo", "\u2014", "\u2728", "\U0001F680",
                "\"quoted\"", "back\\slash", "tab\there"]
LICENSES = ["MIT", "MIT", "MIT", "Apache-2.0", "ISC", "BSD-3-Clause"]
NODE_VERSIONS = ["14.21.3", "16.20.2", "18.17.1", "18.19.0", "20.10.0", "20.11.0"]
NPM_VERSIONS = ["6.14.18", "8.19.4", "9.6.7", "9.8.1", "10.2.3", "10.2.4"]
KEYID = "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA"
EPOCH = 1483228800  # 2017-01-01T00:00:00Z
README_CAP = 64 * 1024

dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def iso(t):
    """Epoch seconds (float) -> npm's 2023-01-02T03:04:05.678Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(t))) + ".%03dZ" % int(t * 1000 % 1000)


class Gen:
    def __init__(self, a):
        self.a = a
        self.r = random.Random(a.seed)
        self.sr = random.Random(a.seed * 7919 + 17)  # supply-chain facts only
        self.attestations = {}  # "name@version" -> answer
        self.advisories = {}    # name -> [advisory]
        self.org = a.org
        self.paragraphs = self.make_paragraphs()

    # -- people -----------------------------------------------------------

    def person_names(self, n, taken):
        r = self.r
        out = []
        while len(out) < n:
            f, l = r.choice(FIRST), r.choice(LAST)
            style = r.random()
            if style < 0.35:
                name = f + l
            elif style < 0.6:
                name = "%s.%s" % (f, l)
            elif style < 0.8:
                name = "%s-%s" % (f, l)
            elif style < 0.9:
                name = "%s%s%d" % (f[0], l, r.randint(1, 99))
            else:
                name = "%s_%s%d" % (f, l[:3], r.randint(1, 999))
            if name in taken:
                name = "%s%d" % (name, r.randint(2, 9999))
            if name in taken:
                continue
            taken[name] = True
            out.append(name)
        return out

    def email(self, name, member):
        r = self.r.random()
        if not member:
            return "%s@%s" % (name, self.r.choice(["example.com", "example.net", "contractor.example"]))
        if r < 0.85:
            return "%s@%s.example" % (name, self.org)
        if r < 0.93:
            return "%s@%s.example" % (name.replace("-", ".").title(), self.org.title())
        return "%s@example.net" % name

    # -- text -------------------------------------------------------------

    def make_paragraphs(self):
        r = self.r
        paras = []
        for i in range(300):
            kind = i % 6
            words = [r.choice(WORDS) for _ in range(r.randint(20, 120))]
            if r.random() < 0.15:
                words.insert(r.randrange(len(words)), r.choice(UNICODE_BITS))
            text = " ".join(words)
            if kind == 0:
                paras.append("## %s\n\n%s.\n" % (" ".join(words[:3]).title(), text.capitalize()))
            elif kind == 1:
                paras.append("```js\nconst %s = require('%s');\n%s.%s({ %s: true });\n```\n"
                             % (words[0], words[1], words[0], words[2], words[3]))
            elif kind == 2:
                paras.append("".join("- `%s` %s\n" % (w, " ".join(words[j:j + 6]))
                                     for j, w in enumerate(words[:8])))
            elif kind == 3:
                paras.append("| option | default | meaning |\n|---|---|---|\n" + "".join(
                    "| `%s` | `%d` | %s |\n" % (w, j, " ".join(words[j:j + 5])) for j, w in enumerate(words[:10])))
            else:
                paras.append(text.capitalize() + ".\n")
        return paras

    def readme(self, name, desc, size):
        r = self.r
        parts = ["# %s\n\n%s\n\n## Install\n\n```sh\nnpm install %s\n```\n\n" % (name, desc, name)]
        n = len(parts[0])
        while n < size:
            p = r.choice(self.paragraphs)
            parts.append(p)
            parts.append("\n")
            n += len(p) + 1
        return "".join(parts)[:README_CAP]

    # -- versions ---------------------------------------------------------

    def version_list(self, n):
        """n semver strings in publication order, with a few prereleases."""
        r = self.r
        major, minor, patch = (0, 1, 0) if r.random() < 0.3 else (1, 0, 0)
        out = ["%d.%d.%d" % (major, minor, patch)]
        while len(out) < n:
            x = r.random()
            if x < 0.03 and len(out) + 3 <= n:
                for b in range(r.randint(1, 3)):
                    out.append("%d.0.0-beta.%d" % (major + 1, b))
                major, minor, patch = major + 1, 0, 0
            elif x < 0.07:
                major, minor, patch = major + 1, 0, 0
            elif x < 0.30:
                minor, patch = minor + 1, 0
            else:
                patch += 1
            out.append("%d.%d.%d" % (major, minor, patch))
        return out[:n]

    def version_count(self):
        r = self.r
        if self.a.size_profile == "small":
            return r.randint(1, 8)
        x = r.random()
        if x < 0.70:
            return r.randint(1, 20)
        if x < 0.95:
            return r.randint(20, 60)
        if x < 0.99:
            return r.randint(80, 400)
        return r.randint(400, 2500)

    def readme_size(self):
        r = self.r
        if self.a.size_profile == "small":
            return r.randint(300, 3000)
        x = r.random()
        if x < 0.1:
            return 0
        if x < 0.85:
            return int(r.uniform(1000, 12000))
        return int(r.uniform(12000, 70000))

    # -- the org ----------------------------------------------------------

    def build(self):
        a, r, org = self.a, self.r, self.org
        taken = {}
        members = self.person_names(a.users, taken)
        n_out = max(2, a.users // 20)
        outsiders = self.person_names(n_out, taken)

        users = {}
        n_owner = max(1, a.users // 50)
        n_admin = max(1, a.users // 12)
        for i, u in enumerate(members):
            users[u] = "owner" if i < n_owner else "admin" if i < n_owner + n_admin else "developer"
        emails, profiles = {}, {}
        for u in members:
            emails[u] = self.email(u, True)
            if r.random() >= 0.03 or u == members[0]:
                profiles[u] = {"_id": "org.couchdb.user:" + u, "name": u, "email": emails[u]}
        for u in outsiders:
            emails[u] = self.email(u, False)
            if r.random() < 0.8:
                profiles[u] = {"_id": "org.couchdb.user:" + u, "name": u, "email": emails[u]}

        # packages: names and per-package facts
        names, seen = [], {}
        while len(names) < a.packages:
            w = "%s-%s" % (r.choice(WORDS), r.choice(WORDS))
            if r.random() < 0.15:
                w += "-" + r.choice(WORDS)
            if r.random() < 0.05:
                w += "-v%d" % r.randint(2, 5)
            n = "@%s/%s" % (org, w) if r.random() < 0.7 else "%s-%s" % (org, w)
            if n in seen:
                continue
            seen[n] = True
            names.append(n)
        monorepos = ["%s-%s" % (r.choice(WORDS), r.choice(["monorepo", "packages", "platform", "web"]))
                     for _ in range(max(1, a.packages // 25))]
        owners = ["%sCorp" % org.title(), org, "%s-oss" % org, "%sHQ" % org.title()]
        pkgs = []
        for n in names:
            p = {"name": n, "scoped": n.startswith("@")}
            p["public"] = (not p["scoped"]) or r.random() < 0.4
            p["repo"] = self.repository(n, owners, monorepos)
            k = r.choice([1, 1, 1, 2, 2, 3, 4])
            if a.maintainers:
                k = a.maintainers
            p["maintainers"] = r.sample(members, min(k, len(members)))
            if r.random() < 0.08:
                p["maintainers"].append(r.choice(outsiders))
            p["deprecated"] = r.random() < 0.03
            p["latest_not_highest"] = r.random() < 0.02
            p["nversions"] = self.version_count()
            p["readme_size"] = self.readme_size()
            pkgs.append(p)
        if a.big_package_mb > 0:
            big = {"name": "@%s/mega-monolith" % org, "scoped": True, "public": False,
                   "repo": {"type": "git", "url": "git+https://github.com/%s/mega-monolith.git" % owners[0]},
                   "maintainers": members[:2], "deprecated": False, "latest_not_highest": False,
                   "nversions": 0, "readme_size": README_CAP, "target_bytes": int(a.big_package_mb * 1e6)}
            pkgs.append(big)

        # teams
        team_names = ["developers"]
        tseen = {"developers": True}
        while len(team_names) < a.teams:
            t = r.choice(WORDS) + r.choice(["", "-team", "-eng", "-ops", "-readonly", "-admins"])
            if t in tseen:
                t = "%s-%d" % (t, r.randint(2, 99))
            if t in tseen:
                continue
            tseen[t] = True
            team_names.append(t)
        all_names = [p["name"] for p in pkgs]
        teams = {}
        for i, t in enumerate(team_names):
            if i == 0:
                tu = list(members)
                tp = r.sample(all_names, min(len(all_names), r.randint(20, 60)))
                if a.developers_all:  # npm's default: every member, every package
                    tp = list(all_names)
            elif i == 1:  # always one empty team
                tu, tp = [], []
            else:
                tu = r.sample(members, min(len(members), int(r.expovariate(1 / 10.0)) + (0 if r.random() < 0.1 else 1)))
                tp = r.sample(all_names, min(len(all_names), int(r.expovariate(1 / 35.0))))
            teams[t] = {"users": tu, "packages": {
                n: ("read-only" if r.random() < 0.35 else "read-write") for n in tp}}
            if i == 0 and a.developers_all:
                teams[t]["packages"] = {n: "read-write" for n in tp}

        # org access and collaborators (teams + maintainers + a few outsiders)
        collab = {p["name"]: {} for p in pkgs}
        for t in teams.values():
            for n, perm in t["packages"].items():
                c = collab[n]
                for u in t["users"]:
                    if c.get(u) != "read-write":
                        c[u] = perm
        packages = {}
        for p in pkgs:
            c = collab[p["name"]]
            for u in p["maintainers"]:
                c[u] = "read-write"
            if r.random() < 0.05:
                c[r.choice(outsiders)] = r.choice(["read-only", "read-write"])
            if a.direct_collaborators:
                for u in r.sample(members, min(a.direct_collaborators, len(members))):
                    c[u] = "read-write"
            packages[p["name"]] = {"access": "read-only" if r.random() < 0.08 else "read-write",
                                   "public": p["public"], "collaborators": c}

        reg = {"org": org, "token": a.token, "whoami": members[0], "users": users,
               "profiles": profiles, "teams": teams, "packages": packages}
        return reg, pkgs, emails

    def repository(self, name, owners, monorepos):
        r = self.r
        base = name.split("/")[-1]
        owner = r.choice(owners)
        x = r.random()
        if x < 0.35:
            return {"type": "git", "url": "git+https://github.com/%s/%s.git" % (owner, base)}
        if x < 0.43:
            return {"type": "git", "url": "git+ssh://git@github.com/%s/%s.git" % (owner.lower(), base)}
        if x < 0.50:
            return {"type": "git", "url": "https://github.com/%s/%s" % (owner, base)}
        if x < 0.55:
            return "github:%s/%s" % (owner.lower(), base)
        if x < 0.60:
            return "%s/%s" % (owner.lower(), base)
        if x < 0.65:
            return "git+https://github.com/%s/%s.git" % (owner, base)
        if x < 0.70:
            return {"type": "git", "url": "https://gitlab.com/%s-group/%s/%s.git"
                    % (self.org, r.choice(["frontend", "backend", "platform/shared"]), base)}
        if x < 0.85:
            return {"type": "git", "url": "git+https://github.com/%s/%s.git" % (owners[0], r.choice(monorepos)),
                    "directory": "packages/%s" % base}
        return None

    # -- one package document --------------------------------------------

    def packument(self, p, emails):
        r = self.r
        name = p["name"]
        base = name.split("/")[-1]
        jname = dumps(name)
        desc = "%s %s for %s" % (r.choice(["Utilities", "Client", "Helpers", "SDK", "Service", "Bindings"]),
                                 " ".join(r.sample(WORDS, 3)), self.org)
        if r.random() < 0.05:
            desc += " " + r.choice(UNICODE_BITS)
        jdesc = dumps(desc)
        repo = p["repo"]
        repo_part = '"repository":%s,' % dumps(repo) if repo is not None else ""
        if isinstance(repo, dict) and "github.com" in repo["url"]:
            slug = repo["url"].split("github.com", 1)[1][1:].replace(".git", "")
            hb = {"homepage": "https://github.com/%s#readme" % slug,
                  "bugs": {"url": "https://github.com/%s/issues" % slug}}
        else:
            hb = {}
        hb_part = "".join('"%s":%s,' % (k, dumps(v)) for k, v in hb.items())
        author = {"name": "%s Corp" % self.org.title(), "email": "oss@%s.example" % self.org}
        jauthor = dumps(author)
        lic = r.choice(LICENSES) if p["public"] else "UNLICENSED"
        jlic = dumps(lic)
        kw = r.sample(WORDS, r.randint(0, 6))
        jkw = dumps(kw)
        maint = [{"name": u, "email": emails[u]} for u in p["maintainers"]]
        jmaint = dumps(maint)
        jusers = [dumps({"name": u, "email": emails[u]}) for u in p["maintainers"]]
        deps = {r.choice(WORDS) + "-" + r.choice(WORDS): "^%d.%d.%d" % (r.randint(0, 9), r.randint(0, 20), r.randint(0, 9))
                for _ in range(r.randint(0, 9))}
        jdeps = dumps(deps)
        jdev = dumps({"typescript": "^5.%d.0" % r.randint(0, 4), "jest": "^29.%d.0" % r.randint(0, 7)})
        jscripts = dumps({"build": "tsc -p .", "test": "jest"})
        deprecated = ',"deprecated":%s' % dumps("%s is deprecated; use @%s/%s instead"
                                                % (name, self.org, r.choice(WORDS))) if p["deprecated"] else ""
        tar_prefix = "https://registry.npmjs.org/%s/-/%s-" % (name, base)

        # One %-template per package for its version objects; every fixed
        # part is already JSON and has its "%" doubled.
        q = lambda x: x.replace("%", "%%")
        tmpl = ('"%s":{"name":' + q(jname) + ',"version":"%s","description":' + q(jdesc)
                + ',"main":"dist/index.js","types":"dist/index.d.ts","scripts":' + q(jscripts)
                + ',' + q(repo_part) + q(hb_part) + '"author":' + q(jauthor) + ',"license":' + q(jlic)
                + ',"keywords":' + q(jkw) + ',"dependencies":' + q(jdeps)
                + ',"devDependencies":' + q(jdev) + ',"gitHead":"%040x","_id":' + q(jname[:-1])
                + '@%s","_nodeVersion":"%s","_npmVersion":"%s","dist":{"integrity":"sha512-%s",'
                '"shasum":"%040x","tarball":"' + q(tar_prefix) + '%s.tgz","fileCount":%d,'
                '"unpackedSize":%d,"signatures":[{"keyid":"' + KEYID + '","sig":"MEUCI%s"}]},'
                '"_npmUser":%s,"directories":{},"maintainers":' + q(jmaint)
                + ',"_hasShrinkwrap":false' + q(deprecated) + '}')

        target = p.get("target_bytes")
        if target:
            vers = self.version_list(200000)
        else:
            vers = self.version_list(p["nversions"])
        t = EPOCH + r.uniform(0, 6 * 365 * 86400)
        created = iso(t + 60)
        vparts, tparts = [], []
        size = 0
        rb, gb, b64 = r.randbytes, r.getrandbits, base64.b64encode
        nv = 0
        for i, v in enumerate(vers):
            t += r.expovariate(1 / (86400 * 6.0)) + 60
            vparts.append(tmpl % (v, v, gb(160), v, NODE_VERSIONS[i % 6], NPM_VERSIONS[i % 6],
                                  b64(rb(64)).decode(), gb(160), v, r.randint(3, 400),
                                  r.randint(2000, 3000000), b64(rb(66)).decode(),
                                  jusers[i % len(jusers)]))
            tparts.append('"%s":"%s"' % (v, iso(t)))
            nv += 1
            if target:
                size += len(vparts[-1]) + len(tparts[-1]) + 2
                if size >= target - README_CAP - 4096:
                    break
        vers = vers[:nv]
        releases = [v for v in vers if "-" not in v] or vers
        latest = releases[-1]
        tags = {"latest": latest}
        if p["latest_not_highest"] and len(releases) >= 2:
            tags = {"latest": releases[-2], "next": releases[-1]}
        elif vers[-1] != latest:
            tags["beta"] = vers[-1]
        self.supply(p, vers, tags["latest"], vparts, repo)
        modified = iso(t + r.uniform(0, 86400 * 30))
        readme = self.readme(name, desc, p["readme_size"]) if p["readme_size"] else ""
        stars = {u: True for u in r.sample(p["maintainers"], min(len(p["maintainers"]), r.randint(0, 2)))}

        head = ('{"_id":%s,"_rev":"%d-%032x","name":%s,"dist-tags":%s,"versions":{'
                % (jname, nv + r.randint(1, 9), gb(128), jname, dumps(tags)))
        tail = ('},"time":{"created":"%s","modified":"%s",%s},%s"author":%s,"license":%s,%s"keywords":%s,'
                '"description":%s,"maintainers":%s,"readme":%s,"readmeFilename":%s,"users":%s}\n'
                % (created, modified, ",".join(tparts), hb_part, jauthor, jlic, repo_part, jkw,
                   jdesc, jmaint, dumps(readme), '"README.md"' if readme else '""', dumps(stars)))
        return "".join((head, ",".join(vparts), tail))


    def supply(self, p, vers, latest, vparts, repo):
        """The package's supply-chain facts, from self.sr: provenance on the
        latest version (dist.attestations in its document, its bundles in
        self.attestations) and an advisory (self.advisories)."""
        sr, name = self.sr, p["name"]
        if sr.random() < 0.30 and latest in vers:
            i = vers.index(latest)
            url = "https://registry.npmjs.org/-/npm/v1/attestations/%s@%s" % (
                name.replace("/", "%2f"), latest)
            att = ',"attestations":{"url":%s,"provenance":{"predicateType":' \
                  '"https://slsa.dev/provenance/v1"}}' % json.dumps(url)
            vparts[i] = vparts[i].replace('"}]},"_npmUser"', '"}]' + att + '},"_npmUser"', 1)
            src = "https://github.com/%s/%s" % (self.org, name.split("/")[-1])
            if isinstance(repo, dict) and repo.get("url", "").startswith("git+https://github.com/"):
                src = repo["url"][4:].replace(".git", "")
            runner = "self-hosted" if sr.random() < 0.1 else "github-hosted"
            commit = "%040x" % sr.getrandbits(160)
            stmt = {"_type": "https://in-toto.io/Statement/v1",
                    "subject": [{"name": "pkg:npm/%s@%s" % (name.replace("@", "%40", 1), latest),
                                 "digest": {"sha512": "%0128x" % sr.getrandbits(512)}}],
                    "predicateType": "https://slsa.dev/provenance/v1",
                    "predicate": {"buildDefinition": {
                        "buildType": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
                        "externalParameters": {"workflow": {"ref": "refs/heads/main", "repository": src,
                                                            "path": ".github/workflows/release.yml"}},
                        "internalParameters": {"github": {"event_name": "push"}},
                        "resolvedDependencies": [{"uri": "git+%s@refs/heads/main" % src,
                                                  "digest": {"gitCommit": commit}}]},
                        "runDetails": {"builder": {"id": "https://github.com/actions/runner/" + runner},
                                       "metadata": {"invocationId": "%s/actions/runs/%d/attempts/1"
                                                    % (src, sr.randint(10**9, 10**10))}}}}
            payload = base64.b64encode(json.dumps(stmt, separators=(",", ":")).encode()).decode()
            fake = lambda n: base64.b64encode(sr.randbytes(n)).decode()
            bundle = {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                      "verificationMaterial": {"certificate": {"rawBytes": fake(900)},
                                               "tlogEntries": [{"logIndex": str(sr.randint(10**7, 10**8)),
                                                                "canonicalizedBody": fake(1200)}]},
                      "dsseEnvelope": {"payload": payload,
                                       "payloadType": "application/vnd.in-toto+json",
                                       "signatures": [{"sig": fake(71), "keyid": ""}]}}
            self.attestations["%s@%s" % (name, latest)] = {"attestations": [
                {"predicateType": "https://slsa.dev/provenance/v1", "bundle": bundle}]}
        if sr.random() < 0.05 and vers:
            bound = latest if sr.random() < 0.5 else vers[len(vers) // 2]
            op = "<=" if bound == latest else "<"
            n = sr.randint(1000, 9999)
            self.advisories[name] = [{
                "id": 1000000 + len(self.advisories), "url": "https://github.com/advisories/GHSA-%04d-synt-h%03d" % (n, len(self.advisories) % 1000),
                "title": "Synthetic advisory for %s" % name,
                "severity": sr.choice(["critical", "high", "moderate", "low"]),
                "vulnerable_versions": "%s%s" % (op, bound), "cwe": ["CWE-%d" % sr.choice([79, 400, 1321, 94])],
                "cvss": {"score": round(sr.uniform(3, 9.8), 1),
                         "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}}]


def main(argv=None):
    ap = argparse.ArgumentParser(description="Generate a synthetic npm org in the fixture layout "
                                             "(registry.json + packuments/). Deterministic per seed.")
    ap.add_argument("--out", required=True, metavar="DIR", help="output directory (created)")
    ap.add_argument("--packages", type=int, default=2000, metavar="N")
    ap.add_argument("--users", type=int, default=500, metavar="N", help="org members")
    ap.add_argument("--teams", type=int, default=50, metavar="N")
    ap.add_argument("--seed", type=int, default=1, metavar="S")
    ap.add_argument("--big-package-mb", type=float, default=0, metavar="M",
                    help="add one private package whose document is about M MB")
    ap.add_argument("--developers-all", action="store_true",
                    help="the developers team has read-write on every package, as npm gives by "
                         "default (else on 20-60 of them)")
    ap.add_argument("--maintainers", type=int, default=0, metavar="N",
                    help="every package has N maintainers (default: 1-4, mostly 1)")
    ap.add_argument("--direct-collaborators", type=int, default=0, metavar="N",
                    help="every package gets N read-write collaborators from the members, "
                         "granted directly (stress: packages x N edges no team explains)")
    ap.add_argument("--size-profile", choices=["small", "realistic"], default="realistic")
    ap.add_argument("--org", default="synth", help="org (scope) name, default synth")
    ap.add_argument("--token", default="npm_SyntheticFixtureToken000000000000000",
                    help="the (fake) token written into registry.json")
    ap.add_argument("--check", action="store_true", help="parse every written document, not a sample")
    a = ap.parse_args(argv)
    if a.packages < 1 or a.users < 2 or a.teams < 2:
        ap.error("need --packages >= 1, --users >= 2, --teams >= 2")

    t0 = time.time()
    g = Gen(a)
    reg, pkgs, emails = g.build()
    pdir = os.path.join(a.out, "packuments")
    os.makedirs(pdir, exist_ok=True)
    for fn in os.listdir(pdir):
        if fn.endswith(".json"):
            os.unlink(os.path.join(pdir, fn))
    total, largest, largest_name, written = 0, 0, "", []
    for p in pkgs:
        doc = g.packument(p, emails).encode("utf-8")
        path = os.path.join(pdir, p["name"].replace("/", "%2f") + ".json")
        with open(path, "wb") as f:
            f.write(doc)
        total += len(doc)
        written.append((p["name"], path))
        if len(doc) > largest:
            largest, largest_name = len(doc), p["name"]
    # The supply-chain answers (after the documents, which decide them).
    reg["advisories"] = g.advisories
    owner = reg["whoami"]
    reg["npm_user"] = {"tfa": {"pending": False, "mode": "auth-and-writes"}, "name": owner,
                       "email": emails.get(owner, owner + "@example.invalid"),
                       "email_verified": True, "created": "2017-01-01T00:00:00.000Z",
                       "updated": "2024-01-01T00:00:00.000Z", "cidr_whitelist": None}
    reg["tokens"] = [{"key": hashlib.sha512(reg["token"].encode()).hexdigest(),
                      "token": reg["token"][:6], "cidr_whitelist": None, "readonly": True,
                      "automation": False, "created": "2024-01-01T00:00:00.000Z",
                      "updated": "2024-01-01T00:00:00.000Z"}]
    with open(os.path.join(a.out, "registry.json"), "w", encoding="utf-8") as f:
        json.dump(reg, f, ensure_ascii=False, indent=1)
        f.write("\n")
    with open(os.path.join(a.out, "attestations.json"), "w", encoding="utf-8") as f:
        json.dump(g.attestations, f, separators=(",", ":"))
        f.write("\n")

    sample = written if a.check else (random.Random(a.seed).sample(written, min(25, len(written)))
                                      + [w for w in written if w[0] == largest_name]
                                      + ([written[-1]] if a.big_package_mb > 0 else []))
    for name, path in sample:
        with open(path, "rb") as f:
            d = json.loads(f.read())
        if d.get("name") != name or d["dist-tags"]["latest"] not in d["versions"]:
            print("gen_org: generated document for %s is inconsistent" % name, file=sys.stderr)
            return 1

    scoped = sum(1 for p in pkgs if p["scoped"])
    private = sum(1 for p in pkgs if not p["public"])
    print("gen_org: %d packages (%d scoped, %d private), %d users + %d outsiders, %d teams; "
          "packuments %.1f MB (largest %.1f MB %s); %d checked; %.1f s -> %s"
          % (len(pkgs), scoped, private, len(reg["users"]),
             len(emails) - len(reg["users"]), len(reg["teams"]), total / 1e6, largest / 1e6,
             largest_name, len(sample), time.time() - t0, a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
