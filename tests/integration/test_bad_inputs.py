"""test_bad_inputs.py - the bad-input matrix: one row per class of hostile or
broken input, across the three programs.

This tool feeds a security graph, and its output is believed, so every row
asserts the same four things whatever the input:
  - the exit status (1 bad input, 2 usage, 3 partial, ...) and a message
    that says what is wrong (a regular expression over stderr);
  - nothing is left under a final name (no dump, no graph, no summary) when
    the run failed, and no temporary directory beside it;
  - no secret (the npm token, the JupiterOne API key) in any byte the
    program wrote: stdout, stderr, every file under the test's directory;
  - no sanitizer report (under `make SAN=1 test`).
Rows for upload also check the job's final state at the fake API.

A row is (id, class, build, rc, message): build(case) prepares the input in
the case's temporary directory and returns (program, args, stdin bytes or
None, [paths that must not exist afterwards]).
"""
import gzip
import json
import os
import re
import shutil
import subprocess
import zlib

import harness
from harness import FIXTURE_TOKEN, Case, rewrite_dump_file, edit_record

SHARED = None
API_KEY = "test-api-key-0123456789"


def setUpModule():
    global SHARED
    SHARED = harness.Shared()


def tearDownModule():
    SHARED.close()


# ---- builders -------------------------------------------------------------


def dump_copy(case, name="dump"):
    d = case.path(name)
    shutil.copytree(SHARED.dump, d)
    return d


def transform_of(d, case, *extra):
    out = case.path("graph")
    return "transform", ["--in", d, "--out", out] + list(extra), None, [out]


def with_dump(edit):
    """A row whose dump is the fixture's, changed by edit(case, dir)."""
    def build(case):
        d = dump_copy(case)
        edit(case, d)
        return transform_of(d, case)
    return build


def raw_edit(kind, change):
    """Rewrites the bytes of one dump file without fixing the manifest."""
    def edit(case, d):
        m = harness.load_json(os.path.join(d, "manifest.json"))
        entry = next(f for f in m["files"] if f["kind"] == kind)
        p = os.path.join(d, entry["file"])
        with open(p, "rb") as f:
            data = f.read()
        with open(p, "wb") as f:
            f.write(change(data))
    return edit


def line_edit(kind, change, index=0):
    """Replaces line `index` of a kind with change(raw line bytes); the
    manifest is updated, so only the record itself is wrong."""
    def edit(case, d):
        def lines_edit(lines):
            lines[index] = change(lines[index])
            return lines
        rewrite_dump_file(d, kind, lines_edit)
    return edit


def record_edit(kind, change, index=0):
    def edit(case, d):
        rewrite_dump_file(d, kind, edit_record(index, change))
    return edit


def body_set(kind, body, index=0):
    return record_edit(kind, lambda r: r.update(body=body), index)


def packument_edit(change):
    def edit(case, d):
        def lines_edit(lines):
            rec = json.loads(lines[0])
            change(rec["body"])
            lines[0] = json.dumps(rec).encode()
            return lines
        rewrite_dump_file(d, "packuments", lines_edit)
    return edit


def stream_of(case, lines):
    """A dump stream (as collect --out - writes it) of the given raw lines."""
    return gzip.compress(b"".join(l + b"\n" for l in lines), mtime=0)


def dump_lines():
    out = []
    for entry in harness.load_json(os.path.join(SHARED.dump, "manifest.json"))["files"]:
        with gzip.open(os.path.join(SHARED.dump, entry["file"]), "rb") as f:
            out += [l for l in f.read().split(b"\n") if l]
    return out


def stream_row(change):
    def build(case):
        out = case.path("graph")
        return "transform", ["--in", "-", "--out", out], stream_of(case, change(dump_lines())), [out]
    return build


def out_is(kind):
    """--out already holds something that is not graph output."""
    def build(case):
        out = case.path("graph")
        if kind == "file":
            with open(out, "w") as f:
                f.write("precious\n")
        else:
            os.makedirs(os.path.join(out, "src"))
            with open(os.path.join(out, "src", "main.c"), "w") as f:
                f.write("int main(void) { return 0; }\n")
        return "transform", ["--in", SHARED.dump, "--out", out], None, []
    return build


def refused_flag(*args):
    def build(case):
        out = case.path("graph")
        return "transform", list(args) + ["--out", out], None, [out]
    return build


ROWS = [
    # -- transform: the dump is not whole or not what its manifest says --------
    ("t-no-manifest", "incomplete dump", with_dump(
        lambda c, d: os.unlink(os.path.join(d, "manifest.json"))), 1, r"no manifest\.json"),
    ("t-file-missing", "incomplete dump", with_dump(
        lambda c, d: os.unlink(os.path.join(d, "team_users.ndjson.gz"))), 1, r"team_users"),
    ("t-file-changed", "tampered dump", with_dump(raw_edit(
        "org_users", lambda b: gzip.compress(gzip.decompress(b) + b"\n", mtime=0))),
        1, r"org_users.*(manifest|SHA-256|size|does not match)"),
    ("t-truncated-gzip", "corrupt file", with_dump(raw_edit(
        "packuments", lambda b: b[:len(b) // 2])), 1, r"packuments"),
    ("t-corrupt-gzip", "corrupt file", with_dump(raw_edit(
        "org_teams", lambda b: b[:12] + bytes(x ^ 0x55 for x in b[12:40]) + b[40:])),
        1, r"org_teams"),
    ("t-not-gzip", "corrupt file", with_dump(raw_edit(
        "whoami", lambda b: b"this is not gzip\n")), 1, r"whoami"),
    # -- transform: a record that is not a record ------------------------------
    ("t-invalid-json-line", "malformed record", with_dump(line_edit(
        "org_users", lambda l: l[:-5])), 1, r"org_users\.ndjson\.gz:1: invalid JSON"),
    ("t-record-not-object", "malformed record", with_dump(line_edit(
        "org_users", lambda l: b"[1,2,3]")), 1, r"org_users\.ndjson\.gz:1"),
    ("t-no-kind", "malformed record", with_dump(record_edit(
        "org_users", lambda r: r.pop("kind"))), 1, r"without a \"kind\""),
    ("t-unknown-kind", "malformed record", with_dump(record_edit(
        "org_users", lambda r: r.update(kind="org_secrets"))), 1, r"unknown record kind"),
    ("t-kind-in-wrong-file", "malformed record", with_dump(record_edit(
        "org_users", lambda r: r.update(kind="org_teams"))), 1, r"another kind than its file"),
    ("t-no-subject", "malformed record", with_dump(record_edit(
        "org_users", lambda r: r.pop("subject"))), 1, r"without a \"subject\""),
    ("t-empty-subject", "malformed record", with_dump(record_edit(
        "org_users", lambda r: r.update(subject=""))), 1, r"empty or unusable \"subject\""),
    ("t-nul-subject", "malformed record", with_dump(record_edit(
        "org_users", lambda r: r.update(subject="acme\u0000evil"))), 1, r"unusable \"subject\""),
    ("t-status-not-http", "malformed record", with_dump(record_edit(
        "org_users", lambda r: r.update(status=999))), 1, r"not an HTTP status"),
    ("t-status-string", "malformed record", with_dump(record_edit(
        "org_users", lambda r: r.update(status="200"))), 1, r"not an HTTP status"),
    ("t-no-body", "malformed record", with_dump(record_edit(
        "org_users", lambda r: r.pop("body"))), 1, r"neither \"body\""),
    ("t-error-not-string", "malformed record", with_dump(record_edit(
        "org_users", lambda r: r.update(error=42))), 1, r"\"error\" must be a string"),
    # -- transform: an answer of the wrong shape ---------------------------------
    ("t-roster-array", "wrong shape", with_dump(body_set("org_users", ["alice"])),
        1, r"org roster must be an object"),
    ("t-role-number", "wrong shape", with_dump(body_set("org_users", {"alice": 1})),
        1, r"role of 'alice' is not a string"),
    ("t-teams-object", "wrong shape", with_dump(body_set("org_teams", {"acme:dev": 1})),
        1, r"team list must be an array"),
    ("t-team-members-object", "wrong shape", with_dump(body_set("team_users", {"a": 1})),
        1, r"member list must be an array"),
    ("t-collaborators-array", "wrong shape", with_dump(body_set(
        "package_collaborators", ["alice"])), 1, r"collaborators must be an object"),
    ("t-visibility-string", "wrong shape", with_dump(body_set(
        "package_visibility", "public")), 1, r"package_visibility"),
    ("t-packument-array", "wrong shape", with_dump(body_set("packuments", [1, 2])),
        1, r"packuments.*not a valid JSON object|package document"),
    ("t-name-control-char", "wrong shape", with_dump(body_set(
        "org_users", {"al\u0007ice": "developer"})), 1, r"org roster"),
    # -- transform: a field present with the wrong shape asserts nothing --------
    ("t-maintainers-string", "malformed field", with_dump(packument_edit(
        lambda doc: doc.update(maintainers="bob"))), 3, r"'maintainers' is not an array"),
    ("t-maintainer-number", "malformed field", with_dump(packument_edit(
        lambda doc: doc.update(maintainers=[42]))), 3, r"'maintainers' is not people"),
    ("t-versions-array", "malformed field", with_dump(packument_edit(
        lambda doc: doc.update(versions=[]))), 3, r"'versions' is not an object"),
    ("t-deprecated-number", "malformed field", with_dump(packument_edit(
        lambda doc: [v.update(deprecated=7) for v in doc["versions"].values()])),
        3, r"deprecated"),
    # -- transform: names that name nothing ------------------------------------------
    ("t-empty-user-name", "empty name", with_dump(record_edit(
        "org_users", lambda r: r["body"].update({"": "owner"}))), 0, r"empty name in the list"),
    ("t-empty-whoami", "empty name", with_dump(body_set("whoami", {"username": ""})),
        0, r"empty or unusable username"),
    ("t-empty-version-key", "empty name", with_dump(packument_edit(
        lambda doc: doc["versions"].update({"": {}}))), 0, r"version\(s\) with an empty name"),
    # -- transform: outside text in messages ---------------------------------------
    ("t-escape-in-subject", "terminal injection", with_dump(record_edit(
        "org_users", lambda r: r.update(subject="acme\n\u001b[31mforged", status=700))),
        1, r"not an HTTP status"),
    # -- transform: a stream that is not one ------------------------------------------
    ("t-stream-out-of-order", "malformed stream", stream_row(
        lambda ls: [l for l in ls if b'"kind":"team_users"' in l][:1] + ls),
        1, r"record out of order"),
    ("t-stream-after-manifest", "malformed stream",
        stream_row(lambda ls: ls + [ls[0]]), 1, r"data after the manifest record|out of order"),
    ("t-stream-no-manifest", "incomplete dump",
        stream_row(lambda ls: [l for l in ls if not l.startswith(b'{"manifest"')]),
        1, r"manifest"),
    ("t-stream-garbage", "malformed stream", lambda c: (
        "transform", ["--in", "-", "--out", c.path("graph")], b"\x1f\x8b\x08garbage",
        [c.path("graph")]), 1, r"standard input"),
    ("t-stream-empty", "malformed stream", lambda c: (
        "transform", ["--in", "-", "--out", c.path("graph")], b"", [c.path("graph")]),
        1, r"."),
    # -- transform: where the output goes ------------------------------------------------
    ("t-out-is-a-file", "refused output", out_is("file"), 2, r"graph"),
    ("t-out-holds-other-files", "refused output", out_is("dir"), 2, r"graph output|not.*replace"),
    ("t-in-missing", "usage", refused_flag("--in", "/nonexistent/dump"), 2, r"/nonexistent/dump"),
    ("t-in-a-file", "usage", lambda c: (
        "transform", ["--in", os.path.join(SHARED.dump, "manifest.json"), "--out",
                      c.path("graph")], None, [c.path("graph")]), 2, r"not a directory"),
    ("t-unknown-flag", "usage", refused_flag("--in", SHARED.dump if SHARED else "x",
                                             "--colour"), 2, r"colour"),
    ("t-tag-bad-key", "usage", lambda c: (
        "transform", ["--in", SHARED.dump, "--out", c.path("graph"), "--tag", "a/b=v"],
        None, [c.path("graph")]), 2, r"--tag"),
]


# -- collect ------------------------------------------------------------------


def collect_row(*server_args, org="acme", token=FIXTURE_TOKEN, extra=(), out="dump",
                registry=None):
    """collect against a fresh fake registry started with server_args."""
    def build(case):
        url = registry if registry is not None else case.registry(*server_args).url
        d = case.path(out) if out != "-" else "-"
        case.row_env = {"NPM_TOKEN": token}
        return ("collect", ["--org", org, "--registry", url, "--out", d] + list(extra), None,
                [d] if d != "-" else [])
    return build


def collect_out_exists(kind):
    def build(case):
        d = case.path("dump")
        if kind == "file":
            with open(d, "w") as f:
                f.write("precious\n")
        else:
            os.makedirs(d)
            with open(os.path.join(d, "notes.txt"), "w") as f:
                f.write("mine\n")
        case.row_env = {"NPM_TOKEN": FIXTURE_TOKEN}
        return ("collect", ["--org", "acme", "--registry", case.registry().url, "--out", d],
                None, [])
    return build


def collect_token_file(content, mode=0o600):
    def build(case):
        tf = case.path("token")
        with open(tf, "wb") as f:
            f.write(content)
        os.chmod(tf, mode)
        d = case.path("dump")
        case.row_env = {}
        return ("collect", ["--org", "acme", "--registry", case.registry().url, "--out", d,
                            "--token-file", tf], None, [d])
    return build


ROWS += [
    ("c-token-on-argv", "secret on the command line", collect_row(
        extra=("--token", FIXTURE_TOKEN)), 2, r"NPM_TOKEN"),
    ("c-no-token", "missing credential", collect_row(token=""), 2, r"token"),
    ("c-token-file-empty", "missing credential", collect_token_file(b"\r\n \r\n"), 2,
        r"is empty"),
    ("c-token-file-space", "malformed credential", collect_token_file(b"npm_a b\n"), 2,
        r"space or control character"),
    ("c-token-file-missing", "missing credential", collect_row(
        token="", registry="http://127.0.0.1:1/", extra=("--token-file", "/nonexistent/token")),
        2, r"/nonexistent/token"),
    ("c-wrong-token", "refused credential", collect_row(token="npm_WrongToken0000000000000000"),
        4, r"401|token"),
    ("c-not-a-member", "refused credential", collect_row("--forbid-org"), 4, r"403"),
    ("c-unknown-org", "bad argument", collect_row(org="nosuchorg"), 1, r"not found"),
    ("c-org-empty", "bad argument", collect_row(org=""), 2, r"not an npm organization name"),
    ("c-org-slash", "bad argument", collect_row(org="acme/../x"), 2, r"org"),
    ("c-registry-ftp", "bad URL", collect_row(registry="ftp://127.0.0.1/"), 2,
        r"only http:// and https://"),
    ("c-registry-credentials", "secret in a URL", collect_row(
        registry="https://user:%s@registry.example/" % FIXTURE_TOKEN), 2,
        r"must not carry credentials"),
    ("c-registry-plain-http", "token in clear", collect_row(
        registry="http://registry.example.com/"), 2, r"plain http"),
    ("c-registry-long-path", "long outside value", collect_row(
        registry="http://127.0.0.1:1/" + "a" * 3000), 2, r"path too long"),
    ("c-registry-unreachable", "network", collect_row(
        registry="http://127.0.0.1:1/", extra=("--retries", "0")), 1, r"cannot reach"),
    ("c-bad-concurrency", "usage", collect_row(extra=("--concurrency", "0")), 2,
        r"--concurrency"),
    ("c-bad-timeout", "usage", collect_row(extra=("--timeout", "-5")), 2, r"--timeout"),
    ("c-out-is-a-file", "refused output", collect_out_exists("file"), 2, r"dump"),
    ("c-out-holds-other-files", "refused output", collect_out_exists("dir"), 2, r"dump|empty"),
    ("c-registry-echoes-token", "secret echoed", collect_row("--echo-auth"), 0,
        r"held the npm token"),
    ("c-package-fails", "partial", collect_row(
        "--fail-path", "/@acme%2fcore", extra=("--retries", "1", "--max-retry-wait", "0")),
        3, r"failed|incomplete|partial"),
    ("c-registry-dies", "partial", collect_row(
        "--max-requests", "40", extra=("--retries", "1", "--max-retry-wait", "0")),
        3, r"."),
]


# -- upload -------------------------------------------------------------------


GRAPH_DIR = None  # the fixture's graph, made once


def graph_dir():
    global GRAPH_DIR
    if GRAPH_DIR is None:
        GRAPH_DIR = os.path.join(SHARED.tmp, "graph-of-fixture")
        r = SHARED.run("transform", "--in", SHARED.dump, "--out", GRAPH_DIR)
        assert r.rc == 0, r.err
    return GRAPH_DIR


def upload_row(edit=None, extra=(), stdin=None, job=None, key=API_KEY, server_args=()):
    """upload to a fresh fake API of a copy of the fixture's graph changed
    by edit(case, dir); job: the state the job must end in (None: no job
    may be created)."""
    def build(case):
        srv = case.j1("--record", case.path("record.json"), *server_args, key=API_KEY,
                      account="acct-1")
        d = case.path("g")
        shutil.copytree(graph_dir(), d)
        if edit:
            edit(case, d)
        case.row_env = {"JUPITERONE_API_KEY": key, "JUPITERONE_ACCOUNT": "acct-1"}

        def after():
            with open(case.path("record.json")) as f:
                jobs = json.load(f)["jobs"]
            if job is None:
                case.assertEqual(jobs, [], "no job may be created")
            else:
                case.assertEqual([j["status"] for j in jobs], [job])
        case.row_after = after
        args = ["--api-base-url", srv.url, "-i", "11111111-2222-4333-8444-555555555555"]
        args += ["--in", "-" if stdin is not None else d] + list(extra)
        return "upload", args, stdin(case) if stdin else None, []
    return build


def symlink_step(case, d):
    step = os.path.join(d, "graph", "fetch-org-teams")
    shutil.move(step, case.path("elsewhere"))
    os.symlink(case.path("elsewhere"), step)


def symlink_file(case, d):
    ents = os.path.join(d, "graph", "fetch-org-teams", "entities")
    os.symlink(os.path.join(ents, "npm_team-0001.json"), os.path.join(ents, "npm_team-0009.json"))


def stray_file(case, d):
    with open(os.path.join(d, "graph", "fetch-org-teams", "notes.txt"), "w") as f:
        f.write("hello\n")


def no_graph(case, d):
    shutil.rmtree(os.path.join(d, "graph"))


def graph_file_edit(change):
    def edit(case, d):
        p = os.path.join(d, "graph", "fetch-org-teams", "entities", "npm_team-0001.json")
        with open(p) as f:
            doc = json.load(f)
        change(doc)
        with open(p, "w") as f:
            json.dump(doc, f)
    return edit


def broken_graph_file(case, d):
    p = os.path.join(d, "graph", "fetch-org-teams", "entities", "npm_team-0001.json")
    with open(p, "rb") as f:
        data = f.read()
    with open(p, "wb") as f:
        f.write(data[: len(data) // 2])


def dump_stream(case):
    return gzip.compress(b"".join(l + b"\n" for l in dump_lines()), mtime=0)


ROWS += [
    ("u-symlinked-step", "skipped input", upload_row(symlink_step), 1, r"symbolic link"),
    ("u-symlinked-file", "skipped input", upload_row(symlink_file), 1, r"symbolic link"),
    ("u-stray-file", "unrecognised input", upload_row(stray_file, job="ABORTED"), 1,
        r"not a JSON graph file"),
    ("u-no-graph", "empty upload", upload_row(no_graph), 1, r"--allow-empty"),
    ("u-empty-stream", "empty upload", upload_row(stdin=lambda c: gzip.compress(
        b'{"summary":{"integrationStepResults":[],"metadata":{"partialDatasets":'
        b'{"types":[]}}}}\n'), job="ABORTED"), 1, r"--allow-empty"),
    ("u-broken-file", "malformed input", upload_row(broken_graph_file, job="ABORTED"), 1,
        r"npm_team-0001\.json"),
    ("u-entity-without-key", "malformed object", upload_row(graph_file_edit(
        lambda doc: doc["entities"][0].pop("_key")), job="FINISHED"), 3, r"_key"),
    ("u-entity-without-type", "malformed object", upload_row(graph_file_edit(
        lambda doc: doc["entities"][0].pop("_type")), job="ABORTED"), 1, r"_type"),
    ("u-key-on-argv", "secret on the command line", upload_row(
        extra=("--api-key", API_KEY)), 2, r"JUPITERONE_API_KEY|api-key"),
    ("u-wrong-key", "refused credential", upload_row(key="wrong-key-00000000000000"), 4,
        r"refused the API key"),
    ("u-dump-as-input", "wrong input", upload_row(stdin=dump_stream), 1,
        r"this is a dump from j1-npm-collect; run j1-npm-transform first"),
]


class BadInputMatrix(Case):
    SECRETS = [FIXTURE_TOKEN.encode(), API_KEY.encode()]

    def check_row(self, row):
        rid, cls, build, want_rc, want_msg = row
        self.row_env = {"NPM_TOKEN": FIXTURE_TOKEN}
        self.row_after = None
        prog, args, stdin, absent = build(self)
        before = set(os.listdir(self.tmp))
        p = subprocess.run([harness.program(prog)] + args, env=self.env(**self.row_env),
                           input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120)
        err = p.stderr.decode("utf-8", "replace")
        if getattr(self, "row_after", None):
            self.row_after()
            self.row_after = None
        self.assertIsNone(harness.sanitizer_report(p.stderr), rid)
        self.assertEqual(p.returncode, want_rc, "%s (%s): %s" % (rid, cls, err))
        self.assertRegex(err, want_msg, "%s (%s)" % (rid, cls))
        if want_rc not in (0, 3):
            for path in absent:
                self.assertFalse(os.path.exists(path), "%s: %s was written" % (rid, path))
            after = set(os.listdir(self.tmp)) - before
            self.assertEqual(sorted(n for n in after if not n.endswith(".port")
                                    and not n.endswith(".stderr")), [],
                             "%s: left behind" % rid)
        # No secret in any byte written, nor a raw control character in a
        # message (outside text is escaped).
        for s in self.SECRETS:
            self.assertNotIn(s, p.stdout, rid)
            self.assertNotIn(s, p.stderr, rid)
        self.assertNotRegex(p.stderr, rb"[\x00-\x08\x0b-\x1f\x7f]", "%s: raw control" % rid)
        for root, _, files in os.walk(self.tmp):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    data = f.read()
                if name.endswith(".gz"):
                    try:
                        data += gzip.decompress(data)
                    except (OSError, EOFError, ValueError, zlib.error):
                        pass
                for s in self.SECRETS:
                    self.assertNotIn(s, data, "%s: secret in %s" % (rid, name))

    def test_every_row(self):
        self.assertGreaterEqual(len(ROWS), 60)
        ids = [r[0] for r in ROWS]
        self.assertEqual(len(ids), len(set(ids)), "row ids are unique")
        for row in ROWS:
            with self.subTest(row=row[0]):
                # each row in a directory of its own
                sub = os.path.join(self.tmp, row[0])
                os.makedirs(sub)
                saved, self.tmp = self.tmp, sub
                try:
                    self.check_row(row)
                finally:
                    self.tmp = saved
