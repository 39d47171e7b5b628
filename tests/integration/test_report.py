"""test_report.py - the org report (issue 13): j1-npm-transform --report,
--picture, --compare and --fail-on, and the managed questions file.

The fixture org is collected once (harness.Shared); its manifest's
started_at is then set to AS_OF, so the report's date (and what counts as
"not published for two years") is the same on every run, and the token
list's fetched_at to TOKENS_FETCHED_AT (the collector token's age).

The golden files tests/golden/report/acme.{md,json,html,svg} are the
report and picture of that dump. After a deliberate change of the report
(or of the graph it is built from, e.g. the supply-chain properties),
rewrite them with
    J1NPM_UPDATE_GOLDEN=1 J1NPM_BIN=build/rel/bin python3 -m unittest discover \\
        -s tests/integration -p test_report.py -t tests/integration
and review the diff (git diff tests/golden/report) before committing it.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET

import harness
from harness import ROOT, Case, edit_record, rewrite_dump_file

GOLDEN = os.path.join(ROOT, "tests", "golden", "report")
QUESTIONS = os.path.join(ROOT, "jupiterone", "questions", "questions.yaml")
AS_OF = "2023-06-01T00:00:00.000Z"
TOKENS_FETCHED_AT = "2026-06-01T00:00:00.000Z"
SVG = "{http://www.w3.org/2000/svg}"
EXIT_CHANGES = 6
CLASSES = ["member-joined", "member-left", "role-changed", "new-owner", "new-admin",
           "team-created", "team-deleted", "team-member-added", "team-member-removed",
           "team-permission-changed", "new-outside-collaborator", "new-maintainer",
           "package-created", "package-deleted", "made-public", "made-private",
           "lost-provenance", "trust-downgrade", "new-install-script", "new-advisory"]
# The classes whose facts come from the supply-chain properties (issue 12).
SUPPLY = {"lost-provenance": "provenance", "trust-downgrade": "trustDowngrade",
          "new-install-script": "hasInstallScript", "new-advisory": "advisoryCount"}

SHARED = None
DUMP = None
GRAPH = None


def setUpModule():
    global SHARED, DUMP, GRAPH
    SHARED = harness.Shared()
    if SHARED.result.rc != 0:
        raise RuntimeError("collect failed: %r" % SHARED.result)
    DUMP = os.path.join(SHARED.tmp, "dump-asof")
    shutil.copytree(SHARED.dump, DUMP)
    # The collector's token age is counted from its record's fetched_at:
    # fixed too (a date after the fixture token's creation).
    rewrite_dump_file(DUMP, "collector_tokens", lambda lines: [
        json.dumps(dict(json.loads(l), fetched_at=TOKENS_FETCHED_AT)).encode() for l in lines])
    mpath = os.path.join(DUMP, "manifest.json")
    m = harness.load_json(mpath)
    m["started_at"] = AS_OF
    with open(mpath, "w") as f:
        json.dump(m, f)
    GRAPH = os.path.join(SHARED.tmp, "graph-asof")
    r = SHARED.run("transform", "--in", DUMP, "--out", GRAPH)
    if r.rc != 0:
        raise RuntimeError("transform failed: %r" % r)


def tearDownModule():
    if SHARED:
        SHARED.close()


def read(path, mode="rb"):
    with open(path, mode) as f:
        return f.read()


def graph_objects(d):
    """[(path, kind, objects)] of a graph directory, to edit in place."""
    out = []
    for p in sorted(glob.glob(os.path.join(d, "graph", "*", "*", "*.json"))):
        doc = harness.load_json(p)
        kind = "entities" if "entities" in doc else "relationships"
        out.append((p, kind, doc[kind]))
    return out


def edit_graph(d, fn):
    """fn(list of objects, type) -> list of objects, for each graph file."""
    for p, kind, objs in graph_objects(d):
        t = objs[0]["_type"] if objs else None
        with open(p, "w") as f:
            json.dump({kind: fn(objs, t)}, f)


class ReportCase(Case):
    def transform(self, *args, dump=None):
        out = self.path("out-%d" % len(os.listdir(self.tmp)))
        return self.run_prog("transform", "--in", dump or DUMP, "--out", out, *args)

    def report(self, *exts, args=(), dump=None, expect=0):
        """Runs transform with one --report per extension (and --picture for
        "svg"); {ext: bytes}."""
        flags, paths = [], {}
        for ext in exts:
            p = self.path("report-%d.%s" % (len(os.listdir(self.tmp)), ext))
            flags += ["--picture" if ext == "svg" else "--report", p]
            paths[ext] = p
        r = self.transform(*flags, *args, dump=dump)
        self.assertExit(r, expect)
        return {ext: read(p) for ext, p in paths.items()}

    def json_report(self, *args, dump=None, expect=0):
        p = self.path("r%d.json" % len(os.listdir(self.tmp)))
        r = self.transform("--report", p, *args, dump=dump)
        self.assertExit(r, expect)
        return json.loads(read(p)), r

    def changed_prev(self):
        """A copy of the fixture's graph changed so that each access class
        (and each supply-chain class whose property the graph carries) has
        a change when the fixture's dump is compared with it."""
        prev = self.path("prev")
        shutil.copytree(GRAPH, prev)

        def fn(objs, t):
            out = []
            for o in objs:
                k = o["_key"]
                if t == "npm_user":
                    if k == "npm-user:judy":
                        continue                          # member-joined
                    if k == "npm-user:carol":
                        o["role"] = "developer"           # role-changed, new-admin
                    if k == "npm-user:bob":
                        o["role"] = "developer"           # new-owner
                if t == "npm_team" and k == "npm-team:acme:legacy":
                    continue                              # team-created
                if t == "npm_team_has_user" and k == "npm-team:acme:security|has|npm-user:grace":
                    continue                              # team-member-added
                if t == "npm_team_allows_package" and \
                        k == "npm-team:acme:readonly|allows|npm-package:acme-widgets":
                    continue                              # team-permission-changed
                if t == "npm_package_allows_user" and "peggy" in k:
                    continue                              # new-outside-collaborator
                if t == "npm_user_manages_package" and \
                        k == "npm-user:oscar|manages|npm-package:acme-widgets":
                    continue                              # new-maintainer
                if t == "npm_package":
                    if k == "npm-package:create-acme-app":
                        continue                          # package-created
                    if k == "npm-package:@acme/cli":
                        o["public"] = False               # made-public
                    if k == "npm-package:@acme/payments":
                        o["public"] = True                # made-private
                    if o.get("provenance") is False:
                        o["provenance"] = True            # lost-provenance
                    if o.get("trustDowngrade") is True:
                        o["trustDowngrade"] = False       # trust-downgrade
                    if o.get("hasInstallScript") is True:
                        o["hasInstallScript"] = False     # new-install-script
                    if o.get("advisoryCount"):
                        o["advisoryCount"] = 0            # new-advisory
                out.append(o)
            if t == "npm_user":                           # member-left
                out.append({"_key": "npm-user:zoe", "_type": "npm_user", "_class": ["User"],
                            "name": "zoe", "role": "developer", "orgMember": True})
            if t == "npm_team":                           # team-deleted, team-member-removed
                out.append({"_key": "npm-team:acme:ghost", "_type": "npm_team",
                            "_class": ["UserGroup"], "name": "ghost"})
            if t == "npm_team_has_user":
                out.append({"_key": "npm-team:acme:ghost|has|npm-user:alice",
                            "_type": "npm_team_has_user", "_class": "HAS",
                            "_fromEntityKey": "npm-team:acme:ghost",
                            "_toEntityKey": "npm-user:alice"})
            if t == "npm_package":                        # package-deleted
                out.append({"_key": "npm-package:@acme/old", "_type": "npm_package",
                            "_class": ["CodeModule"], "name": "old", "public": True})
            return out
        edit_graph(prev, fn)
        return prev

    def carried(self, prop):
        """Some package of the fixture's graph carries this property."""
        ents, _ = harness.read_graph(GRAPH)
        return any(prop in o for o in ents.values() if o["_type"] == "npm_package")


class GoldenReport(ReportCase):
    def test_fixture_org_report_and_picture_match_the_golden_files(self):
        got = self.report("md", "json", "html", "svg")
        if os.environ.get("J1NPM_UPDATE_GOLDEN") == "1":
            os.makedirs(GOLDEN, exist_ok=True)
            for ext, data in got.items():
                with open(os.path.join(GOLDEN, "acme." + ext), "wb") as f:
                    f.write(data)
            print("\nJ1NPM_UPDATE_GOLDEN=1: rewrote %s; review the diff" % GOLDEN)
        for ext, data in got.items():
            want = os.path.join(GOLDEN, "acme." + ext)
            self.assertTrue(os.path.exists(want), "no golden %s (J1NPM_UPDATE_GOLDEN=1 writes "
                            "it)" % want)
            self.assertEqual(read(want).decode(), data.decode(),
                             "the fixture org's %s report differs from %s" % (ext, want))

    def test_same_inputs_give_the_same_bytes(self):
        a = self.report("md", "json", "html", "svg")
        b = self.report("md", "json", "html", "svg")
        for ext in a:
            self.assertEqual(a[ext], b[ext], "two runs wrote different %s" % ext)

    def test_a_report_and_the_stream_output_say_the_same(self):
        """--out - writes no directory, but the report is built as the
        stream is written, the same as for a directory."""
        p = self.path("s.json")
        r = self.run_prog("transform", "--in", DUMP, "--out", "-", "--report", p)
        self.assertExit(r, 0)
        self.assertEqual(read(p), self.report("json")["json"])

    def test_report_format_is_chosen_by_the_extension(self):
        r = self.transform("--report", self.path("r.txt"))
        self.assertExit(r, 2)
        self.assertIn(".md, .json or .html", r.err.decode())
        r = self.transform("--picture", self.path("p.png"))
        self.assertExit(r, 2)


class ReportContent(ReportCase):
    def test_json_report_answers_the_questions_of_the_issue(self):
        rep, _ = self.json_report()
        self.assertEqual(rep["format"], "j1-npm-org-report/1")
        self.assertEqual(rep["org"], "acme")
        self.assertEqual(rep["asOf"], AS_OF)
        self.assertEqual(rep["ownersAndAdmins"],
                         [{"name": "alice", "role": "owner"}, {"name": "bob", "role": "owner"},
                          {"name": "carol", "role": "admin"}, {"name": "dave", "role": "admin"}])
        self.assertEqual(rep["membersOutsideTeams"], [])
        outs = {o["name"]: o for o in rep["outsideCollaborators"]}
        self.assertEqual(sorted(outs), ["oscar", "peggy"])
        self.assertEqual(outs["oscar"]["readWrite"], ["acme-widgets"])
        self.assertEqual(outs["oscar"]["maintains"], ["acme-widgets"])
        self.assertEqual(outs["peggy"]["readOnly"], ["@acme/payments"])
        self.assertEqual(outs["peggy"]["readWrite"], [])
        teams = {t["name"]: t for t in rep["teams"]}
        self.assertEqual(sorted(teams),
                         ["core", "developers", "legacy", "payments", "readonly", "security"])
        self.assertIn({"name": "@acme/payments", "permission": "read-write"},
                      teams["payments"]["packages"])
        self.assertEqual(rep["counts"]["publicPackages"], 10)
        self.assertEqual(rep["counts"]["privatePackages"], 3)
        private = sorted(p["name"] for p in rep["packages"] if p["public"] is False)
        self.assertEqual(private, ["@acme/auth-client", "@acme/payments", "@acme/secrets-vault"])
        widgets = next(p for p in rep["packages"] if p["name"] == "acme-widgets")
        self.assertIn("outsider-can-publish", widgets["risks"])
        self.assertEqual(rep["supplyChain"]["deprecated"], ["@acme/legacy-sdk"])
        self.assertIn("@acme/core", [p["name"] for p in
                                     rep["supplyChain"]["notPublishedForTwoYears"]])
        self.assertNotIn("create-acme-app", [p["name"] for p in
                                             rep["supplyChain"]["notPublishedForTwoYears"]])
        self.assertIsNone(rep["changes"], "no --compare, no changes member")
        # A supply-chain list is null exactly when no package carries its property.
        for member, prop in (("noProvenance", "provenance"),
                             ("trustDowngrades", "trustDowngrade"),
                             ("installScripts", "hasInstallScript"),
                             ("firstTimePublishers", "firstTimePublisher"),
                             ("advisories", "advisoryCount")):
            self.assertEqual(rep["supplyChain"][member] is None, not self.carried(prop),
                             "supplyChain.%s against the graph's %s" % (member, prop))

    def test_picture_marks_the_outsiders_and_their_package(self):
        svg = ET.fromstring(self.report("svg")["svg"])
        texts = {}
        for t in svg.iter(SVG + "text"):
            texts.setdefault(t.get("class"), []).append("".join(t.itertext()))
        self.assertEqual(sorted(texts.get("outsider", [])[:2]),
                         ["oscar (outside)", "peggy (outside)"])
        self.assertIn("acme-widgets", texts.get("risky", []), "the package oscar can publish "
                      "is marked risky")
        titles = ["".join(t.itertext()) for t in svg.iter(SVG + "title")]
        self.assertIn("acme-widgets / oscar (outside): read-write, maintainer", titles)
        self.assertIn("@acme/payments (private) / peggy (outside): read-only", titles)
        legend = [g for g in svg.iter(SVG + "g") if g.get("class") == "legend"]
        self.assertEqual(len(legend), 1, "one legend")

    def test_html_is_one_self_contained_page_with_the_picture(self):
        html = self.report("html")["html"].decode()
        self.assertIn("<svg", html)
        self.assertNotIn("<script", html.lower())
        self.assertIsNone(re.search(r"\s(src|href)\s*=", html), "nothing to fetch")
        self.assertIsNone(re.search(r"url\(", html), "no CSS url()")
        urls = set(re.findall(r"https?://[^\s\"'<)]+", html))
        self.assertEqual(urls, {"http://www.w3.org/2000/svg"}, "the only URL is the SVG "
                         "namespace, which nothing fetches")

    def test_html_renders_in_a_headless_browser(self):
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if not chromium:
            self.skipTest("chromium is not installed (make deps installs it)")
        p = self.path("r.html")
        self.assertExit(self.transform("--report", p), 0)
        prof = tempfile.mkdtemp(dir=self.tmp)
        r = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                            "--no-first-run", "--user-data-dir=" + prof, "--dump-dom",
                            "file://" + p], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=180, env=self.env(HOME=self.tmp))
        self.assertEqual(r.returncode, 0, r.stderr.decode()[-2000:])
        dom = r.stdout.decode()
        self.assertIn("<h1>npm org report: acme</h1>", dom)
        self.assertIn("<svg", dom, "the browser parsed the inline picture")
        self.assertIn("oscar (outside)", dom)
        self.assertIn("<td>peggy</td>", dom)


class Compare(ReportCase):
    def test_compare_with_a_changed_graph_lists_every_change(self):
        prev = self.changed_prev()
        rep, r = self.json_report("--compare", prev)
        ch = rep["changes"]
        got = {(c["class"], c["subject"]) for c in ch["list"]}
        for want in [("member-joined", "judy"), ("member-left", "zoe"),
                     ("role-changed", "carol"), ("new-admin", "carol"), ("new-owner", "bob"),
                     ("team-created", "legacy"), ("team-deleted", "ghost"),
                     ("team-member-added", "security"), ("team-member-removed", "ghost"),
                     ("team-permission-changed", "readonly"),
                     ("new-outside-collaborator", "peggy"), ("new-maintainer", "oscar"),
                     ("package-created", "create-acme-app"), ("package-deleted", "@acme/old"),
                     ("made-public", "@acme/cli"), ("made-private", "@acme/payments")]:
            self.assertIn(want, got)
        self.assertEqual(ch["list"], sorted(ch["list"], key=lambda c: (
            CLASSES.index(c["class"]), c["subject"].encode(), c["detail"].encode())),
            "changes are sorted by class, subject, detail")
        self.assertEqual(sum(ch["counts"].values()), len(ch["list"]))
        self.assertIn("made-public: @acme/cli: private -> public", r.err.decode())
        md = self.report("md", args=("--compare", prev))["md"].decode()
        self.assertIn("## Changes since the previous run", md)
        self.assertIn("| made\\-public |", md.replace("made-public", "made\\-public"))

    def test_compare_with_the_same_run_finds_nothing(self):
        for prev in (GRAPH, DUMP):
            rep, _ = self.json_report("--compare", prev, "--fail-on", "any")
            self.assertEqual(rep["changes"]["list"], [], "compared with %s" % prev)

    def test_compare_with_a_previous_dump_transforms_it_without_writing(self):
        """A previous dump is read through the model: the same changes as
        from its graph, and nothing written beside it."""
        old = self.path("old-dump")
        shutil.copytree(DUMP, old)
        kinds, _ = harness.read_dump(old)
        idx = next(i for i, rec in enumerate(kinds["org_users"]))
        rewrite_dump_file(old, "org_users", edit_record(idx, lambda rec: rec["body"].pop("judy")))
        before = sorted(os.listdir(old))
        rep, _ = self.json_report("--compare", old)
        self.assertIn({"class": "member-joined", "subject": "judy",
                       "detail": "joined as developer"}, rep["changes"]["list"])
        self.assertEqual(sorted(os.listdir(old)), before)

    def test_compare_may_name_the_output_it_replaces(self):
        out = self.path("same")
        self.assertExit(self.run_prog("transform", "--in", DUMP, "--out", out), 0)
        p = self.path("r.json")
        r = self.run_prog("transform", "--in", DUMP, "--out", out, "--compare", out,
                          "--report", p, "--fail-on", "any")
        self.assertExit(r, 0)
        self.assertEqual(json.loads(read(p))["changes"]["list"], [])

    def test_every_fail_on_class_has_its_exit_status(self):
        prev = self.changed_prev()
        for cls in CLASSES:
            with self.subTest(cls=cls):
                r = self.transform("--compare", prev, "--fail-on", cls)
                expect = EXIT_CHANGES
                if cls in SUPPLY and not self.carried(SUPPLY[cls]):
                    expect = 0  # the graph has no such facts: an absent fact is no change
                self.assertExit(r, expect)
                if expect:
                    self.assertIn("change %s (--fail-on)" % cls, r.err.decode())
        # A list, and a class with no change.
        self.assertExit(self.transform("--compare", prev, "--fail-on",
                                       "made-public,trust-downgrade"), EXIT_CHANGES)
        self.assertExit(self.transform("--compare", GRAPH, "--fail-on", "made-public"), 0)

    def test_fail_on_is_checked_before_anything_is_written(self):
        r = self.transform("--compare", GRAPH, "--fail-on", "made-public,nonsense")
        self.assertExit(r, 2)
        self.assertIn("'nonsense'", r.err.decode())
        self.assertIn("new-outside-collaborator", r.err.decode(), "the known classes are named")
        self.assertExit(self.transform("--fail-on", "any"), 2)  # without --compare
        r = self.transform("--compare", self.path("nowhere"))
        self.assertExit(r, 2)
        self.assertFalse(glob.glob(self.path("out-*")), "nothing written")


class Hostile(ReportCase):
    def test_hostile_names_are_escaped_in_every_format(self):
        """A user named to inject markup, from the dump (the report of this
        run), and a team and a package from a previous graph (its
        changes)."""
        evil_user = "<img src=x onerror=alert(1)>"
        evil_team = "t\"><script>alert(2)</script>"
        d = self.path("evil-dump")
        shutil.copytree(DUMP, d)
        rewrite_dump_file(d, "org_users", edit_record(
            0, lambda rec: rec["body"].__setitem__(evil_user, "developer")))
        prev = self.path("evil-prev")
        shutil.copytree(GRAPH, prev)

        def fn(objs, t):
            if t == "npm_package":
                objs.append({"_key": "npm-package:</td><script>alert(3)</script>",
                             "_type": "npm_package", "_class": ["CodeModule"], "public": True})
            if t == "npm_team":
                objs.append({"_key": "npm-team:acme:" + evil_team, "_type": "npm_team",
                             "_class": ["UserGroup"], "name": evil_team})
            return objs
        edit_graph(prev, fn)
        # 3: the new user has no profile record, so npm_user is partial
        got = self.report("md", "html", "svg", "json", args=("--compare", prev), dump=d,
                          expect=3)
        for ext in ("md", "html", "svg"):
            text = got[ext].decode()
            self.assertNotIn("<script", text, ext)
            self.assertNotIn("<img", text, ext)
            self.assertNotIn('t"><', text, ext)
        ET.fromstring(got["svg"])  # still well-formed XML
        rep = json.loads(got["json"])
        self.assertIn(evil_user, [m["name"] for m in rep["membersOutsideTeams"]])
        subjects = [c["subject"] for c in rep["changes"]["list"]]
        self.assertIn(evil_team, subjects)
        self.assertIn("</td><script>alert(3)</script>", subjects)
        self.assertIn("&lt;img src=x onerror=alert(1)&gt;", got["html"].decode())


class Questions(Case):
    def test_questions_file_is_valid_for_the_official_cli(self):
        cli = harness.official_sdk_cli(self)

        def validate(path):
            return subprocess.run([cli, "validate-question-file", "-p", path, "--dry-run"],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        r = validate(QUESTIONS)
        self.assertEqual(r.returncode, 0, r.stdout.decode()[-3000:])
        self.assertIn("Successfully validated", r.stdout.decode())
        # The validator does refuse a broken file (a question without its title).
        bad = self.path("bad.yaml")
        with open(bad, "w") as f:
            f.write(read(QUESTIONS, "r").replace("    title: Who are the owners", "    titel: Who",
                                                 1))
        self.assertNotEqual(validate(bad).returncode, 0, "the validator accepted a broken file")

    def test_questions_use_only_types_the_graph_has(self):
        text = read(QUESTIONS, "r")
        ents, rels = harness.read_graph(GRAPH)
        types = {o["_type"] for o in list(ents.values()) + list(rels.values())}
        used = set(re.findall(r"\b(npm_[a-z_]+)\b", text))
        props = {k for o in ents.values() for k in o}
        self.assertTrue(used and used <= types, "unknown types: %s" % (used - types))
        for prop in ("orgMember", "role", "public", "deprecated", "publishedOn"):
            self.assertIn(prop, props)
            self.assertIn(prop, text)


if __name__ == "__main__":
    unittest.main()
