"""test_collect.py - what a user relies on from j1-npm-collect (issue 2),
checked against the fake registry serving the fixture org (fixtures/acme).

The clean dump that most read-only tests look at is collected once for the
module (harness.Shared); every test that changes the server or the run
starts its own registry. Expectations come from fixtures/acme/registry.json
and packuments/, so a change to the fixture changes them too.
"""
import gzip
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys
import time
import unittest
import zlib

import harness
from harness import FIXTURE, FIXTURE_TOKEN, Case, by_subject, dump_records, read_dump, load_json, \
    read_ndjson_gz, server_log, stable_record, wait_for, written_bytes


REG = load_json(FIXTURE, "registry.json")
ORG = REG["org"]
# In the dump format's order (common/dumpfmt.h): a stream writes them so.
KINDS = ["whoami", "org_users", "org_teams", "team_users", "team_packages", "org_packages",
         "user_profiles", "package_visibility", "package_collaborators",
         "collector_profile", "collector_tokens", "packuments", "attestations", "advisories"]
# Kinds whose subjects come from the package documents.
FROM_DOCS = ("attestations", "advisories")
# Profiles: every member, and every collaborator from outside the org.
OUTSIDE_COLLABORATORS = sorted({u for p in REG["packages"].values() for u in p["collaborators"]}
                               - set(REG["users"]))
PROFILE_SUBJECTS = list(REG["users"]) + OUTSIDE_COLLABORATORS
EXPECTED_RECORDS = {
    "whoami": 1, "org_users": 1, "org_teams": 1,
    "team_users": len(REG["teams"]), "team_packages": len(REG["teams"]),
    "org_packages": 1, "user_profiles": len(PROFILE_SUBJECTS),
    "package_visibility": len(REG["packages"]),
    "package_collaborators": len(REG["packages"]), "packuments": len(REG["packages"]),
    # the collecting account's profile and token list (one page), the latest
    # versions with provenance (core, logger, auth-client, ui-button: see
    # fixtures/acme/README.md), one advisory batch for every package
    "collector_profile": 1, "collector_tokens": 1, "attestations": 4, "advisories": 1,
}
ATTESTATIONS = load_json(FIXTURE, "attestations.json")
WRONG_TOKEN = "npm_WrongToken11111111111111111111111"
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")

SHARED = None


def setUpModule():
    global SHARED
    SHARED = harness.Shared()


def tearDownModule():
    SHARED.close()


def packument_file(name):
    return os.path.join(FIXTURE, "packuments", name.replace("/", "%2f") + ".json")


def expected_body(kind, subject):
    """(status, body) the fixture implies for one record."""
    team = subject.split(":", 1)[1] if ":" in subject else None
    if kind == "whoami":
        return 200, {"username": REG["whoami"]}
    if kind == "org_users":
        return 200, REG["users"]
    if kind == "org_teams":
        return 200, ["%s:%s" % (ORG, t) for t in REG["teams"]]
    if kind == "team_users":
        return 200, REG["teams"][team]["users"]
    if kind == "team_packages":
        return 200, REG["teams"][team]["packages"]
    if kind == "org_packages":
        return 200, {k: v["access"] for k, v in REG["packages"].items()}
    if kind == "user_profiles":
        if subject not in REG["profiles"]:
            return 404, {"error": "Not found"}
        return 200, REG["profiles"][subject]
    if kind == "package_visibility":
        return 200, {"public": REG["packages"][subject]["public"]}
    if kind == "package_collaborators":
        return 200, REG["packages"][subject]["collaborators"]
    if kind == "packuments":
        with open(packument_file(subject), encoding="utf-8") as f:
            return 200, json.load(f)
    if kind == "collector_profile":
        return 200, REG["npm_user"]
    if kind == "collector_tokens":
        return 200, {"objects": REG["tokens"], "total": len(REG["tokens"]), "urls": {}}
    if kind == "attestations":
        return 200, ATTESTATIONS[subject]
    if kind == "advisories":
        # every package's versions are asked: each fixture advisory hits one
        return 200, REG["advisories"]
    raise AssertionError("unknown kind " + kind)


def expected_subjects(kind):
    if kind in ("whoami", "org_users", "org_teams", "org_packages"):
        return [ORG]
    if kind in ("team_users", "team_packages"):
        return ["%s:%s" % (ORG, t) for t in REG["teams"]]
    if kind == "user_profiles":
        return PROFILE_SUBJECTS
    if kind in ("collector_profile", "collector_tokens", "advisories"):
        return [ORG]
    if kind == "attestations":
        return ["@acme/core@2.0.0", "@acme/logger@3.2.0", "@acme/auth-client@0.4.1",
                "@acme/ui-button@1.1.0"]
    return list(REG["packages"])


def overlap(log):
    """The most requests the server was answering at one time, counted at
    each request's midpoint (robust to the sub-millisecond skew between
    the server's bookkeeping and the client's)."""
    spans = [(r["t"], r["t"] + r["ms"] / 1000.0) for r in log]
    best = 0
    for a, b in spans:
        mid = (a + b) / 2
        best = max(best, sum(1 for x, y in spans if x <= mid < y))
    return best


class CollectCase(Case):
    def registry_with_log(self, *args):
        log = self.path("requests-%d.log" % len(self.servers))
        return self.registry("--log", log, *args), log

    def assertSameAsClean(self, records, skip=()):
        """Every record equals the clean run's (bodies, statuses, paths,
        headers but Date), except the (kind, subject) pairs in skip."""
        clean = by_subject(dump_records(SHARED.dump))
        got = by_subject(records)
        for key in skip:
            clean.pop(key, None)
            got.pop(key, None)
        self.assertEqual(sorted(got), sorted(clean),
                         "the run recorded other (kind, subject) pairs than the clean run")
        for key in sorted(clean):
            self.assertEqual(got[key], clean[key],
                             "record %s %s differs from the clean run's" % key)

    def assertNoToken(self, token, blobs):
        for name, data in blobs:
            self.assertNotIn(token.encode(), data, "the token was written to %s" % name)

    def assertWaitedAfter429(self, log, at_least_s):
        """After each 429 the same path is asked again no sooner than
        at_least_s seconds later."""
        seen = 0
        for i, r in enumerate(log):
            if r["status"] != 429:
                continue
            later = [x for x in log[i + 1:] if x["path"] == r["path"]]
            self.assertTrue(later, "a 429 for %s was never retried" % r["path"])
            gap = later[0]["t"] - r["t"]
            self.assertGreaterEqual(gap, at_least_s,
                                    "%s was retried %.2f s after its 429; expected the "
                                    "Retry-After wait of at least %.1f s" %
                                    (r["path"], gap, at_least_s))
            seen += 1
        return seen


class CleanRunTest(CollectCase):
    """The fixture org collected once, without faults (harness.Shared)."""

    def test_clean_run_exits_0_and_writes_every_kind_with_the_fixture_counts(self):
        self.assertExit(SHARED.result, 0)
        kinds, manifest = read_dump(SHARED.dump)
        self.assertEqual(sorted(kinds), sorted(KINDS))
        for kind in KINDS:
            self.assertEqual(len(kinds[kind]), EXPECTED_RECORDS[kind],
                             "records of %s: expected %d (from the fixture), got %d" %
                             (kind, EXPECTED_RECORDS[kind], len(kinds[kind])))
            self.assertEqual(sorted(r["subject"] for r in kinds[kind]),
                             sorted(expected_subjects(kind)), "subjects of %s" % kind)

    def test_dump_directory_holds_only_the_kind_files_the_manifest_and_the_sums(self):
        names = sorted(os.listdir(SHARED.dump))
        self.assertEqual(names, sorted([k + ".ndjson.gz" for k in KINDS] +
                                       ["manifest.json", "SHA256SUMS"]))

    def test_manifest_is_complete_and_describes_each_file(self):
        manifest = load_json(SHARED.dump, "manifest.json")
        version = SHARED.run("collect", "--version").out.decode().split()[-1]
        self.assertEqual(manifest["tool"], "j1-npm-collect")
        self.assertEqual(manifest["version"], version)
        self.assertEqual(manifest["org"], ORG)
        self.assertEqual(manifest["registry"], SHARED.server.url)
        self.assertIs(manifest["complete"], True)
        for k in ("started_at", "finished_at"):
            self.assertRegex(manifest[k], ISO_UTC, "manifest %s is not UTC ISO-8601" % k)
        self.assertLessEqual(manifest["started_at"], manifest["finished_at"])
        self.assertEqual(sorted(f["kind"] for f in manifest["files"]), sorted(KINDS),
                         "the manifest must list each kind's file once")
        for f in manifest["files"]:
            path = os.path.join(SHARED.dump, f["file"])
            with open(path, "rb") as fh:
                data = fh.read()
            self.assertEqual(f["file"], f["kind"] + ".ndjson.gz")
            self.assertEqual(f["bytes"], len(data), "bytes of %s" % f["file"])
            self.assertEqual(f["sha256"], hashlib.sha256(data).hexdigest(),
                             "sha256 of %s" % f["file"])
            self.assertEqual(f["records"], len(read_ndjson_gz(path)), "records of %s" % f["file"])
        for kind in KINDS:
            c = manifest["counts"][kind]
            self.assertEqual((c["ok"], c["failed"]), (EXPECTED_RECORDS[kind], 0),
                             "counts of %s: expected every item ok, none failed" % kind)

    def test_dump_files_are_readable_only_by_their_owner(self):
        mode = stat.S_IMODE(os.stat(SHARED.dump).st_mode)
        self.assertEqual(mode, 0o700, "dump directory mode: expected 0700, got %o" % mode)
        for name in os.listdir(SHARED.dump):
            mode = stat.S_IMODE(os.stat(os.path.join(SHARED.dump, name)).st_mode)
            self.assertEqual(mode, 0o600, "%s mode: expected 0600, got %o" % (name, mode))

    def test_dump_files_are_compressed_at_zlibs_fastest_level(self):
        # Compressing shares collect's one thread with starting requests: at
        # level 6 the bench saw collect 1.1 x slower than curl on the same URLs.
        # A gzip header's XFL byte is 4 ("fastest") for zlib level 1.
        for name in sorted(os.listdir(SHARED.dump)):
            if not name.endswith(".gz"):
                continue
            with open(os.path.join(SHARED.dump, name), "rb") as f:
                head = f.read(10)
            self.assertEqual(len(head), 10, "%s: shorter than a gzip header" % name)
            self.assertEqual(head[8], 4, "%s: gzip XFL %d, expected 4 (zlib's fastest level)"
                             % (name, head[8]))

    def test_every_record_has_the_documented_envelope(self):
        for rec in dump_records(SHARED.dump):
            what = "%s %s" % (rec.get("kind"), rec.get("subject"))
            for k in ("kind", "subject", "request", "status", "headers", "fetched_at",
                      "elapsed_ms", "attempts", "body"):
                self.assertIn(k, rec, "%s: no %r" % (what, k))
            self.assertEqual(rec["request"]["method"],
                             "POST" if rec["kind"] == "advisories" else "GET", what)
            self.assertTrue(rec["request"]["path"].startswith("/"), what)
            self.assertIn("content-type", rec["headers"], what)
            self.assertRegex(rec["fetched_at"], ISO_UTC, what)
            self.assertIsInstance(rec["elapsed_ms"], int, what)
            self.assertGreaterEqual(rec["elapsed_ms"], 0, what)
            self.assertEqual(rec["attempts"], 1, "%s: a clean run needs one attempt" % what)
            self.assertNotIn("error", rec, what)

    def test_bodies_equal_the_fixture_documents(self):
        for rec in dump_records(SHARED.dump):
            status, body = expected_body(rec["kind"], rec["subject"])
            what = "%s %s" % (rec["kind"], rec["subject"])
            self.assertEqual(rec["status"], status, "status of " + what)
            self.assertEqual(rec["body"], body, "body of " + what)

    def test_package_documents_are_kept_verbatim(self):
        # Verbatim: key order and escapes as the registry sent them (the
        # compact @acme/payments uses \\uXXXX escapes); only line breaks,
        # which are whitespace in JSON, may go so a record stays one line.
        with gzip.open(os.path.join(SHARED.dump, "packuments.ndjson.gz"), "rb") as f:
            lines = f.read().split(b"\n")
        for name in REG["packages"]:
            with open(packument_file(name), "rb") as f:
                raw = f.read().replace(b"\r", b"").replace(b"\n", b"")
            line = next(l for l in lines if json.loads(l)["subject"] == name)
            self.assertIn(raw, line, "the document of %s is not in the dump byte for byte" % name)

    def test_scoped_package_names_are_url_encoded_in_paths(self):
        for rec in dump_records(SHARED.dump):
            if rec["kind"] == "packuments" and rec["subject"].startswith("@"):
                scope, name = rec["subject"].split("/")
                self.assertEqual(rec["request"]["path"].lower(), "/%s%%2f%s" % (scope, name),
                                 "path of %s" % rec["subject"])

    def test_a_missing_profile_is_an_answer_not_a_failure(self):
        kinds, manifest = read_dump(SHARED.dump)
        judy = [r for r in kinds["user_profiles"] if r["subject"] == "judy"]
        self.assertEqual(len(judy), 1)
        self.assertEqual(judy[0]["status"], 404)
        self.assertNotIn("error", judy[0], "a 404 is recorded as an answer, with its body")
        self.assertIn("body", judy[0])
        self.assertEqual(manifest["counts"]["user_profiles"]["failed"], 0)
        self.assertIs(manifest["complete"], True)


class OutputTest(CollectCase):
    def test_stream_holds_the_same_records_in_kind_order_and_ends_with_the_manifest(self):
        res = SHARED.run("collect", "--org", ORG, "--registry", SHARED.server.url, "--out", "-")
        self.assertExit(res, 0)
        recs = read_ndjson_gz(res.out)
        self.assertTrue(recs, "the stream is empty")
        last = recs[-1]
        self.assertEqual(list(last), ["manifest"], "the last record must be {\"manifest\": ...}")
        body = recs[:-1]
        self.assertFalse(any("manifest" in r for r in body), "a manifest record before the end")
        order = [KINDS.index(r["kind"]) for r in body]
        self.assertEqual(order, sorted(order),
                         "kinds out of the documented order: %s" % [r["kind"] for r in body])
        first_doc = next(i for i, r in enumerate(body) if r["kind"] == "packuments")
        last_doc = max(i for i, r in enumerate(body) if r["kind"] == "packuments")
        self.assertTrue(all(r["kind"] not in ("packuments",) + FROM_DOCS
                            for r in body[:first_doc]))
        self.assertTrue(all(r["kind"] == "packuments" for r in body[first_doc:last_doc + 1]),
                        "every other record must come before the first packuments record")
        self.assertTrue(all(r["kind"] in FROM_DOCS for r in body[last_doc + 1:]),
                        "attestations and advisories follow every packuments record")
        self.assertSameAsClean(body)
        m = last["manifest"]
        dir_manifest = load_json(SHARED.dump, "manifest.json")
        self.assertIs(m["complete"], True)
        self.assertEqual(m["org"], ORG)
        self.assertNotIn("files", m, "the stream's manifest has no per-file fields")
        self.assertEqual(m["counts"], dir_manifest["counts"])

    def test_a_write_error_in_the_middle_of_a_stream_exits_1_and_says_why(self):
        # Package documents are written by a thread of their own; its error
        # must still stop the run, reach the exit status and name the output.
        # RLIMIT_FSIZE lets the small records through and fails a document.
        def small_files():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (16384, 16384))
        srv = self.registry()
        outp = self.path("stream.gz")
        with open(outp, "wb") as f:
            p = subprocess.run([harness.program("collect"), "--org", ORG, "--registry", srv.url,
                                "--out", "-"], env=self.env(NPM_TOKEN=FIXTURE_TOKEN), stdout=f,
                               stderr=subprocess.PIPE, preexec_fn=small_files, timeout=120)
        self.assertIsNone(harness.sanitizer_report(p.stderr), harness.sanitizer_report(p.stderr))
        self.assertEqual(p.returncode, 1, "expected exit 1 when the output cannot grow, got %d: %s"
                         % (p.returncode, p.stderr.decode()))
        self.assertIn(b"cannot write standard output", p.stderr)
        with open(outp, "rb") as f:
            data = f.read()
        self.assertGreater(len(data), 0, "the small records should have been written")
        text = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data)
        self.assertIn(b'"kind":"packuments"', text, "the error should come from a document")
        self.assertNotIn(b'{"manifest"', text, "a stream cut short must not end with a manifest")

    def test_stream_to_a_terminal_is_refused(self):
        import pty
        master, slave = pty.openpty()
        try:
            srv = SHARED.server
            t0 = time.time()
            p = subprocess.run([harness.program("collect"), "--org", ORG, "--registry", srv.url,
                                "--out", "-"], env=SHARED.env(), stdout=slave,
                               stderr=subprocess.PIPE, timeout=60)
        finally:
            os.close(slave)
            os.close(master)
        self.assertEqual(p.returncode, 2, "expected exit 2 (usage), got %d after %.1fs: %s" %
                         (p.returncode, time.time() - t0, p.stderr.decode()))
        self.assertIn(b"terminal", p.stderr)
        self.assertIsNone(harness.sanitizer_report(p.stderr))

    def test_quiet_run_prints_only_the_one_line_summary(self):
        srv = self.registry()
        res = self.collect(srv, self.path("d"), "--quiet")
        self.assertExit(res, 0)
        lines = res.err.decode().strip().splitlines()
        # The fixture's token can publish: the one warning --quiet keeps.
        warned = [l for l in lines if "a read-only token is enough" in l]
        self.assertEqual(len(warned), 1, res.err.decode())
        lines = [l for l in lines if l not in warned]
        self.assertEqual(len(lines), 1, "expected one summary line, got:\n" + res.err.decode())
        self.assertIn("complete", lines[0])
        self.assertEqual(res.out, b"", "nothing goes to stdout in directory mode")

    def test_progress_on_a_terminal_shows_a_line_per_phase(self):
        rc, err, _ = harness.run_on_terminal(
            ["collect", "--org", ORG, "--registry", SHARED.server.url, "--out", self.path("d")],
            SHARED.env(TERM="xterm"))
        self.assertEqual(rc, 0, err.decode("utf-8", "replace"))
        self.assertIsNone(harness.sanitizer_report(err))
        text = err.decode("utf-8", "replace")
        for kind in (k for k in KINDS if EXPECTED_RECORDS[k]):  # asked kinds have a line
            self.assertRegex(text, r"%s +%d/%d" % (kind, EXPECTED_RECORDS[kind],
                                                   EXPECTED_RECORDS[kind]),
                             "no finished progress line for %s" % kind)
        self.assertIn("collected acme", text, "the summary line ends the run")

    def test_without_a_terminal_there_is_no_progress_display(self):
        srv = self.registry()
        res = self.collect(srv, self.path("d"))
        self.assertExit(res, 0)
        self.assertNotIn(b"\x1b[", res.err, "terminal control sequences on a pipe")
        self.assertNotIn(b"\r", res.err)
        for kind in KINDS:
            self.assertNotRegex(res.err.decode(), r"\n +%s +\d" % kind, "a progress line on a pipe")

    def test_json_log_lines_parse(self):
        srv = self.registry()
        res = self.collect(srv, self.path("d"), "--verbose", "--log-format", "json")
        self.assertExit(res, 0)
        lines = res.err.decode().splitlines()
        self.assertTrue(lines, "no log lines")
        for line in lines:
            try:
                obj = json.loads(line)
            except ValueError:
                self.fail("not a JSON log line: %r" % line)
            self.assertIsInstance(obj, dict)
            self.assertIn("level", obj, line)
            self.assertIn("msg", obj, line)
        summary = json.loads(lines[-1]).get("summary")
        self.assertIsNotNone(summary, "the last line carries the summary fields")
        self.assertEqual((summary["users"], summary["teams"], summary["packages"]),
                         (len(REG["users"]), len(REG["teams"]), len(REG["packages"])))
        self.assertIs(summary["complete"], True)
        # an error, too, is a JSON line
        res = self.collect(srv, self.path("e"), "--log-format", "json", token=WRONG_TOKEN)
        self.assertExit(res, 4)
        for line in res.err.decode().splitlines():
            json.loads(line)
        self.assertIn("error", [json.loads(l)["level"] for l in res.err.decode().splitlines()])

    def test_org_may_be_given_with_its_at_sign(self):
        srv = self.registry()
        res = self.run_prog("collect", "--org", "@" + ORG, "--registry", srv.url, "--out",
                            self.path("d"), env=self.env(NPM_TOKEN=FIXTURE_TOKEN))
        self.assertExit(res, 0)
        self.assertEqual(load_json(self.path("d", "manifest.json"))["org"], ORG)


class FaultTest(CollectCase):
    def test_injected_faults_are_retried_until_the_dump_equals_a_clean_one(self):
        srv, log = self.registry_with_log("--fault-rate", "0.2", "--seed", "1",
                                          "--faults", "429,500,503,reset,truncate",
                                          "--retry-after", "1")
        res = self.collect(srv, self.path("d"), "--max-retry-wait", "2")
        self.assertExit(res, 0)
        requests = server_log(log)
        faults = {r["fault"] for r in requests}
        for f in ("429", "500", "503", "reset", "truncate"):
            self.assertIn(f, faults, "the server injected no %s fault; the test proves "
                          "nothing about it (change --seed)" % f)
        _, manifest = read_dump(self.path("d"))
        self.assertIs(manifest["complete"], True)
        self.assertSameAsClean(dump_records(self.path("d")))
        retried = [r for r in dump_records(self.path("d")) if r["attempts"] > 1]
        self.assertTrue(retried, "no record says it needed more than one attempt")
        self.assertGreater(self.assertWaitedAfter429(requests, 0.9), 0)

    def test_retry_after_as_an_http_date_is_honoured(self):
        srv, log = self.registry_with_log("--fault-rate", "0.08", "--seed", "3", "--faults", "429",
                                          "--retry-after", "1", "--retry-after-date")
        res = self.collect(srv, self.path("d"), "--max-retry-wait", "10")
        self.assertExit(res, 0)
        self.assertSameAsClean(dump_records(self.path("d")))
        # client and server clocks agree; "now + 1 s" in whole seconds is 1 s away
        self.assertGreater(self.assertWaitedAfter429(server_log(log), 0.9), 0,
                           "the server sent no 429")

    def test_retry_after_longer_than_max_retry_wait_is_cut_to_it(self):
        srv, log = self.registry_with_log("--fault-rate", "0.08", "--seed", "1", "--faults", "429",
                                          "--retry-after", "600")
        res = self.collect(srv, self.path("d"), "--max-retry-wait", "1")
        self.assertExit(res, 0)
        requests = server_log(log)
        self.assertIn(429, [r["status"] for r in requests], "the server sent no 429")
        self.assertLess(res.seconds, 30, "a Retry-After of 600 s must be cut to "
                        "--max-retry-wait 1; the run took %.1f s" % res.seconds)
        self.assertSameAsClean(dump_records(self.path("d")))

    def test_an_answer_slower_than_the_timeout_is_retried(self):
        # A stall far longer than the run may take: one stall waited out
        # would fail the bound below, however loaded the machine is.
        srv, log = self.registry_with_log("--fault-rate", "0.1", "--seed", "2", "--faults", "slow",
                                          "--slow-ms", "60000")
        res = self.collect(srv, self.path("d"), "--timeout", "1", "--max-retry-wait", "1")
        self.assertExit(res, 0)
        retried = [r for r in dump_records(self.path("d")) if r["attempts"] > 1]
        self.assertTrue(retried, "no record needed a second attempt: was a slow answer injected?")
        self.assertLess(res.seconds, 30, "a stalled answer must be abandoned after --timeout 1 "
                        "and retried; the run took %.1f s" % res.seconds)
        self.assertSameAsClean(dump_records(self.path("d")))

    def test_a_package_that_always_fails_is_recorded_as_failed_and_exits_3(self):
        srv = self.registry("--fail-path", "/@acme%2fcore")
        res = self.collect(srv, self.path("d"), "--retries", "2", "--max-retry-wait", "1")
        self.assertExit(res, 3)
        self.assertIn(b"@acme/core", res.err, "the warning names the failed package")
        kinds, manifest = read_dump(self.path("d"))
        failed = [r for r in kinds["packuments"] if r["subject"] == "@acme/core"]
        self.assertEqual(len(failed), 1, "one record for the failed package")
        self.assertIsInstance(failed[0].get("error"), str,
                              "a failed item's record carries an \"error\" message")
        self.assertTrue(failed[0]["error"])
        self.assertNotIn("body", failed[0])
        self.assertEqual(failed[0]["attempts"], 3, "1 attempt + --retries 2")
        self.assertIs(manifest["complete"], False)
        self.assertEqual(manifest["counts"]["packuments"]["failed"], 1)
        self.assertEqual(manifest["counts"]["packuments"]["ok"], len(REG["packages"]) - 1)
        for kind in KINDS:
            if kind != "packuments":
                self.assertEqual(manifest["counts"][kind]["failed"], 0, kind)
        # Its document unread, @acme/core's attestations and advisories are not asked.
        self.assertSameAsClean(dump_records(self.path("d")),
                               skip=[("packuments", "@acme/core"),
                                     ("attestations", "@acme/core@2.0.0"), ("advisories", ORG)])
        self.assertNotIn(("attestations", "@acme/core@2.0.0"),
                         [(r["kind"], r["subject"]) for r in dump_records(self.path("d"))])
        (adv,) = kinds["advisories"]
        self.assertEqual(sorted(adv["request"]["body"]),
                         sorted(n for n in REG["packages"] if n != "@acme/core"))

    def test_an_org_list_that_always_fails_leaves_an_incomplete_dump_and_exits_3(self):
        srv = self.registry("--fail-path", "/-/org/acme/package")
        res = self.collect(srv, self.path("d"), "--retries", "1", "--max-retry-wait", "0")
        self.assertExit(res, 3)
        kinds, manifest = read_dump(self.path("d"))
        self.assertIs(manifest["complete"], False)
        self.assertEqual(manifest["counts"]["org_packages"]["failed"], 1)
        self.assertIn("error", kinds["org_packages"][0])
        self.assertEqual(len(kinds["team_users"]), len(REG["teams"]),
                         "what does not hang off the failed list is still collected")


    def test_a_registry_that_goes_down_midway_keeps_what_was_fetched(self):
        srv, log = self.registry_with_log("--max-requests", "40")
        res = self.collect(srv, self.path("d"), "--retries", "1", "--max-retry-wait", "0")
        self.assertExit(res, 3)
        kinds, manifest = read_dump(self.path("d"))
        self.assertIs(manifest["complete"], False)
        answered = [r for r in dump_records(self.path("d")) if "error" not in r]
        failed = [r for r in dump_records(self.path("d")) if "error" in r]
        self.assertTrue(answered and failed, "expected answers before the outage, failures after")
        self.assertEqual(sum(c["failed"] for c in manifest["counts"].values()), len(failed))
        skip = [(r["kind"], r["subject"]) for r in failed]
        if any(k == "package_collaborators" for k, _ in skip):
            # Outside collaborators' profiles come from the collaborator lists.
            skip += [("user_profiles", u) for u in OUTSIDE_COLLABORATORS]
        # What is asked of attestations and advisories depends on the
        # documents read before the outage: compared apart.
        clean = by_subject(dump_records(SHARED.dump))
        for r in answered:
            if r["kind"] in FROM_DOCS:
                skip.append((r["kind"], r["subject"]))
                if r["kind"] == "attestations":
                    self.assertEqual(stable_record(r), clean[(r["kind"], r["subject"])])
        skip += [k for k in clean if k[0] in FROM_DOCS]
        self.assertSameAsClean(answered, skip=skip)
        for kind in KINDS:
            if kind in FROM_DOCS:
                self.assertLessEqual(len(kinds[kind]), EXPECTED_RECORDS[kind], kind)
                continue
            if kind == "user_profiles":
                # Outside collaborators are only known from answered collaborator lists.
                self.assertGreaterEqual(len(kinds[kind]), len(REG["users"]),
                                        "user_profiles: every member gets a record")
                continue
            self.assertEqual(len(kinds[kind]), EXPECTED_RECORDS[kind],
                             "%s: every item gets a record, answered or failed" % kind)


class AuthTest(CollectCase):
    def test_a_wrong_token_exits_4_naming_the_cause(self):
        srv = self.registry()
        res = self.collect(srv, self.path("d"), token=WRONG_TOKEN)
        self.assertExit(res, 4)
        err = res.err.decode()
        self.assertRegex(err, r"token", "the message names the token")
        self.assertRegex(err, r"wrong|expired|revoked|invalid", "the message names the cause")
        self.assertIn("NPM_TOKEN", err, "the message says where the token came from")
        self.assertNotIn(WRONG_TOKEN, err + res.out.decode(), "the token itself is never printed")
        self.assertFalse(os.path.exists(self.path("d", "manifest.json")))

    def test_not_a_member_of_the_org_exits_4_with_the_not_a_member_message(self):
        srv = self.registry("--forbid-org")
        res = self.collect(srv, self.path("d"))
        self.assertExit(res, 4)
        self.assertIn("not a member", res.err.decode())
        self.assertFalse(os.path.exists(self.path("d", "manifest.json")))

    def test_an_unknown_org_exits_1_with_a_clear_message_and_no_dump(self):
        srv = self.registry()
        out = self.path("d")
        res = self.run_prog("collect", "--org", "nosuchorg", "--registry", srv.url, "--out", out,
                            env=self.env(NPM_TOKEN=FIXTURE_TOKEN))
        self.assertExit(res, 1)
        self.assertRegex(res.err.decode(), r"nosuchorg.*not found|not found.*nosuchorg")
        self.assertFalse(os.path.exists(out), "an unknown org leaves no dump behind")


class SecretTest(CollectCase):
    def test_the_token_appears_in_no_byte_written(self):
        srv = self.registry()
        res = self.collect(srv, self.path("d"), "--verbose", "--log-format", "json")
        self.assertExit(res, 0)
        self.assertNoToken(FIXTURE_TOKEN, list(written_bytes(self.path("d"))) +
                           [("stdout", res.out), ("stderr", res.err)])
        res = self.collect(srv, "-", "--verbose")
        self.assertExit(res, 0)
        self.assertNoToken(FIXTURE_TOKEN, [("the stream", gzip.decompress(res.out)),
                                           ("stdout", res.out), ("stderr", res.err)])
        # nor left anywhere else: HOME and TMPDIR are this test's directory
        self.assertNoToken(FIXTURE_TOKEN, written_bytes(self.tmp))

    def test_the_token_appears_in_no_byte_written_by_a_failing_run(self):
        srv = self.registry("--fail-path", "/@acme%2fcore", "--fail-path", "/-/team/acme/core/user")
        res = self.collect(srv, self.path("d"), "--verbose", "--log-format", "json",
                           "--retries", "1", "--max-retry-wait", "0")
        self.assertExit(res, 3)
        self.assertNoToken(FIXTURE_TOKEN, list(written_bytes(self.path("d"))) +
                           [("stdout", res.out), ("stderr", res.err)])
        srv = self.registry("--forbid-org")
        res = self.collect(srv, self.path("e"), "--verbose")
        self.assertExit(res, 4)
        self.assertNoToken(FIXTURE_TOKEN, [("stdout", res.out), ("stderr", res.err)])

    def test_a_registry_that_echoes_the_token_never_gets_it_into_any_output(self):
        # Error pages and JSON bodies (200/401/404) and etags that echo the
        # Authorization header, in every kind: the dump, the stream, the
        # graph transform makes of them hold "[REDACTED]", never the token.
        srv = self.registry("--echo-auth")
        d = self.path("d")
        res = self.collect(srv, d, "--verbose")
        self.assertExit(res, 0)
        self.assertIn(b"held the npm token", res.err)
        self.assertNoToken(FIXTURE_TOKEN, list(written_bytes(d)) +
                           [("stdout", res.out), ("stderr", res.err)])
        manifest = load_json(d, "manifest.json")
        echoed = 0
        for rec in dump_records(d):
            body = rec.get("body")
            if isinstance(body, dict) and rec["status"] == 200:
                self.assertTrue(rec.get("redacted"), "%s %s" % (rec["kind"], rec["subject"]))
                self.assertIn("[REDACTED]", body.get("echo", ""))
                echoed += 1
        self.assertGreater(echoed, 20)
        for kind in ("whoami", "org_users", "package_visibility", "package_collaborators",
                     "packuments", "user_profiles"):
            self.assertGreater(manifest["counts"][kind].get("redacted", 0), 0, kind)
        # the graph made from it
        g = self.path("g")
        res = self.run_prog("transform", "--in", d, "--out", g)
        self.assertIn(res.rc, (0, 3), res.err)
        self.assertNoToken(FIXTURE_TOKEN, list(written_bytes(g)) +
                           [("stdout", res.out), ("stderr", res.err)])
        # and the stream, and the graph stream made from the stream
        res = self.collect(srv, "-")
        self.assertExit(res, 0)
        self.assertNoToken(FIXTURE_TOKEN, [("the stream", gzip.decompress(res.out)),
                                           ("stderr", res.err)])
        t = self.run_prog("transform", "--in", "-", "--out", "-", input=res.out)
        self.assertIn(t.rc, (0, 3), t.err)
        self.assertNoToken(FIXTURE_TOKEN, [("the graph stream", gzip.decompress(t.out)),
                                           ("stderr", t.err)])
        self.assertNoToken(FIXTURE_TOKEN, written_bytes(self.tmp))

    def test_a_token_on_the_command_line_is_refused(self):
        srv = self.registry()
        res = self.run_prog("collect", "--org", ORG, "--registry", srv.url, "--out",
                            self.path("d"), "--token", FIXTURE_TOKEN, env=self.env())
        self.assertExit(res, 2)
        self.assertNotIn(FIXTURE_TOKEN.encode(), res.err, "the refused token is not echoed")
        self.assertIn(b"NPM_TOKEN", res.err, "the message says what to use instead")
        self.assertFalse(os.path.exists(self.path("d")))


class TokenSourceTest(CollectCase):
    """Where the token comes from: --token-file, else NPM_TOKEN, else the npm
    user config ($NPM_CONFIG_USERCONFIG or ~/.npmrc) with ${VAR} expansion."""

    def run_with(self, srv, *args, **env):
        """collect with no NPM_TOKEN unless given; HOME is the test's directory."""
        return self.run_prog("collect", "--org", ORG, "--registry", srv.url, "--out",
                             self.path("d%d" % time.monotonic_ns()), *args, env=self.env(**env))

    def assertAuthenticated(self, res, log):
        self.assertExit(res, 0)
        auth = {r["auth"] for r in server_log(log) if r["path"].startswith("/-/")}
        self.assertEqual(auth, {"ok"}, "every /-/ request must carry the fixture token")

    def npmrc_line(self, srv, value):
        return "//127.0.0.1:%d/:_authToken=%s\n" % (srv.port, value)

    def test_token_from_a_token_file(self):
        srv, log = self.registry_with_log()
        tf = self.path("token")
        with open(tf, "w") as f:
            f.write(FIXTURE_TOKEN + "\n")
        os.chmod(tf, 0o600)
        self.assertAuthenticated(self.run_with(srv, "--token-file", tf), log)

    def test_token_from_home_npmrc_with_variable_expansion(self):
        srv, log = self.registry_with_log()
        with open(self.path(".npmrc"), "w") as f:
            f.write("registry=%s\n" % srv.url)
            f.write(self.npmrc_line(srv, "${J1NPM_TEST_TOKEN}"))
        self.assertAuthenticated(self.run_with(srv, J1NPM_TEST_TOKEN=FIXTURE_TOKEN), log)

    def test_token_from_npm_config_userconfig_with_variable_expansion(self):
        srv, log = self.registry_with_log()
        with open(self.path(".npmrc"), "w") as f:  # not read: the user config replaces it
            f.write(self.npmrc_line(srv, WRONG_TOKEN))
        uc = self.path("userconfig")
        with open(uc, "w") as f:
            f.write(self.npmrc_line(srv, "${J1NPM_TEST_TOKEN}"))
        self.assertAuthenticated(
            self.run_with(srv, NPM_CONFIG_USERCONFIG=uc, J1NPM_TEST_TOKEN=FIXTURE_TOKEN), log)

    def test_token_file_wins_over_npm_token(self):
        srv, log = self.registry_with_log()
        tf = self.path("token")
        with open(tf, "w") as f:
            f.write(FIXTURE_TOKEN)
        os.chmod(tf, 0o600)
        self.assertAuthenticated(self.run_with(srv, "--token-file", tf, NPM_TOKEN=WRONG_TOKEN), log)

    def test_npm_token_wins_over_npmrc(self):
        srv, log = self.registry_with_log()
        with open(self.path(".npmrc"), "w") as f:
            f.write(self.npmrc_line(srv, WRONG_TOKEN))
        self.assertAuthenticated(self.run_with(srv, NPM_TOKEN=FIXTURE_TOKEN), log)

    def test_an_npmrc_token_for_another_registry_is_not_sent(self):
        srv, log = self.registry_with_log()
        with open(self.path(".npmrc"), "w") as f:
            f.write("//registry.npmjs.org/:_authToken=%s\n" % FIXTURE_TOKEN)
        res = self.run_with(srv)
        self.assertExit(res, 2)
        self.assertEqual(server_log(log), [], "nothing is sent without a token")

    def test_no_token_anywhere_is_a_usage_error_that_says_where_to_put_one(self):
        srv = self.registry()
        res = self.run_with(srv)
        self.assertExit(res, 2)
        self.assertIn(b"NPM_TOKEN", res.err)
        self.assertIn(b"--token-file", res.err)

    def test_an_unset_variable_in_npmrc_is_reported_by_name(self):
        srv = self.registry()
        with open(self.path(".npmrc"), "w") as f:
            f.write(self.npmrc_line(srv, "${J1NPM_UNSET_VAR}"))
        res = self.run_with(srv)
        self.assertExit(res, 2)
        self.assertIn(b"J1NPM_UNSET_VAR", res.err)


class NameRuleTest(CollectCase):
    """collect and transform hold names to one rule (common/npm.h): a name
    collect accepts is never one transform refuses."""

    def test_a_name_longer_than_npm_allows_is_skipped_by_collect_and_refused_by_transform(self):
        fixture = self.path("fixture")
        shutil.copytree(FIXTURE, fixture)
        with open(os.path.join(fixture, "registry.json")) as f:
            reg = json.load(f)
        long_name = "u" * 429  # one byte past a scope and a name of 214 each
        reg["users"][long_name] = "developer"
        reg["users"]["u" * 428] = "developer"  # the longest npm could make: kept
        with open(os.path.join(fixture, "registry.json"), "w") as f:
            json.dump(reg, f)
        srv = self.registry(fixture=fixture)
        res = self.collect(srv, self.path("d"))
        self.assertExit(res, 3)
        self.assertIn(b"org_users: skipping an entry that is not a plausible name", res.err)
        kinds, manifest = read_dump(self.path("d"))
        self.assertFalse(manifest["complete"])
        subjects = [r["subject"] for r in kinds["user_profiles"]]
        self.assertIn("u" * 428, subjects)
        self.assertNotIn(long_name, subjects)
        # The dump keeps the answer verbatim; transform holds it to the same
        # rule and refuses the list by file, line and name, writing nothing.
        out = self.run_prog("transform", "--in", self.path("d"), "--out", self.path("g"),
                            env=self.env())
        self.assertExit(out, 1)
        self.assertIn(b"org_users.ndjson.gz:1: unexpected shape", out.err)
        self.assertIn(b"is not a name npm allows (429 bytes; at most 428", out.err)
        self.assertFalse(os.path.exists(self.path("g")))


class UsageTest(CollectCase):
    def collect_args(self, *args, env=None):
        return self.run_prog("collect", *args, env=env or self.env(NPM_TOKEN=FIXTURE_TOKEN))

    def test_missing_org_is_a_usage_error(self):
        res = self.collect_args("--registry", SHARED.server.url, "--out", self.path("d"))
        self.assertExit(res, 2)
        self.assertIn(b"--org", res.err)
        self.assertFalse(os.path.exists(self.path("d")))

    def test_bad_concurrency_is_a_usage_error(self):
        for bad in ("0", "-1", "abc", "1e3", "100000", ""):
            res = self.collect_args("--org", ORG, "--registry", SHARED.server.url,
                                    "--concurrency", bad, "--out", self.path("d"))
            self.assertEqual(res.rc, 2, "--concurrency %r: expected exit 2, got %r" % (bad, res))
            self.assertIn(b"--concurrency", res.err)

    def test_unknown_option_is_a_usage_error(self):
        res = self.collect_args("--org", ORG, "--no-such-flag")
        self.assertExit(res, 2)
        self.assertIn(b"--no-such-flag", res.err)

    def test_a_mistyped_option_never_echoes_its_value(self):
        # --tokn=... is a typo away from a secret: the message names the option only.
        for prog in ("collect", "transform", "upload"):
            res = self.run_prog(prog, "--tokn=npm_SecretValue123")
            self.assertEqual(res.rc, 2, "%s: expected exit 2, got %r" % (prog, res))
            self.assertIn(b"--tokn", res.err, prog)
            self.assertNotIn(b"npm_SecretValue123", res.err + res.out, prog)

    def test_help_and_version_exit_0(self):
        res = self.collect_args("--help")
        self.assertExit(res, 0)
        self.assertIn(b"--org", res.out)
        res = self.collect_args("--version")
        self.assertExit(res, 0)
        self.assertRegex(res.out.decode(), r"^j1-npm-collect \S+\n$")

    def test_a_non_empty_out_without_force_is_refused_and_left_alone(self):
        out = self.path("d")
        os.mkdir(out)
        with open(os.path.join(out, "keep.txt"), "w") as f:
            f.write("mine")
        res = self.collect_args("--org", ORG, "--registry", SHARED.server.url, "--out", out)
        self.assertExit(res, 2)
        self.assertIn(b"--force", res.err, "the message says how to replace a dump")
        self.assertEqual(os.listdir(out), ["keep.txt"])
        with open(os.path.join(out, "keep.txt")) as f:
            self.assertEqual(f.read(), "mine")

    def test_an_existing_empty_out_is_used(self):
        out = self.path("d")
        os.mkdir(out, 0o755)
        res = self.collect_args("--org", ORG, "--registry", SHARED.server.url, "--out", out)
        self.assertExit(res, 0)
        self.assertTrue(os.path.exists(os.path.join(out, "manifest.json")))
        self.assertEqual(stat.S_IMODE(os.stat(out).st_mode), 0o700,
                         "the directory is made private (profiles carry emails)")

    def test_force_replaces_an_earlier_dump(self):
        import shutil
        out = self.path("d")
        shutil.copytree(SHARED.dump, out)
        harness.rewrite_dump_file(out, "whoami", lambda lines: [])
        m = load_json(out, "manifest.json")
        m["started_at"] = "2000-01-01T00:00:00.000Z"
        with open(os.path.join(out, "manifest.json"), "w") as f:
            json.dump(m, f)
        res = self.collect_args("--org", ORG, "--registry", SHARED.server.url, "--out", out,
                                "--force")
        self.assertExit(res, 0)
        kinds, manifest = read_dump(out)
        self.assertNotEqual(manifest["started_at"], "2000-01-01T00:00:00.000Z",
                            "the old manifest is still there")
        self.assertEqual(len(kinds["whoami"]), 1, "the old whoami file is still there")
        self.assertSameAsClean(dump_records(out))

    def test_force_refuses_a_directory_with_foreign_files(self):
        import shutil
        out = self.path("d")
        shutil.copytree(SHARED.dump, out)
        with open(os.path.join(out, "notes.txt"), "w") as f:
            f.write("mine")
        before = harness.tree_bytes(out)
        res = self.collect_args("--org", ORG, "--registry", SHARED.server.url, "--out", out,
                                "--force")
        self.assertExit(res, 2)
        self.assertIn(b"notes.txt", res.err, "the message names the foreign file")
        self.assertEqual(harness.tree_bytes(out), before, "nothing in the directory was touched")

    def test_plain_http_to_a_remote_host_is_refused(self):
        for args, env in ((["--registry", "http://registry.example.invalid/"], {}),
                          ([], {"npm_config_registry": "http://registry.example.invalid/"}),
                          ([], {"NPM_CONFIG_REGISTRY": "http://10.1.2.3:8080/"})):
            res = self.collect_args("--org", ORG, "--out", self.path("d"), *args,
                                    env=self.env(NPM_TOKEN=FIXTURE_TOKEN, **env))
            self.assertEqual(res.rc, 2, "%s %s: expected exit 2, got %r" % (args, env, res))
            self.assertIn(b"--allow-insecure-http", res.err)
            self.assertLess(res.seconds, 10)
            self.assertFalse(os.path.exists(self.path("d")))


class InterruptTest(CollectCase):
    def start(self, out, stdout=subprocess.DEVNULL, server_args=("--latency-ms", "300"),
              args=(), requests=6):
        srv, log = self.registry_with_log(*server_args)
        p = subprocess.Popen([harness.program("collect"), "--org", ORG, "--registry", srv.url,
                              "--out", out, "--concurrency", "2"] + list(args),
                             env=self.env(NPM_TOKEN=FIXTURE_TOKEN), stdout=stdout,
                             stderr=subprocess.PIPE)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        wait_for(lambda: len(server_log(log)) >= requests or p.poll() is not None, 30,
                 "the crawl to get going")
        self.assertIsNone(p.poll(), "the run ended before it could be interrupted")
        return p

    def interrupt(self, p):
        t0 = time.time()
        p.send_signal(signal.SIGINT)
        try:
            _, err = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            self.fail("SIGINT did not stop the run within 10 s")
        took = time.time() - t0
        self.assertIsNone(harness.sanitizer_report(err), harness.sanitizer_report(err))
        self.assertLess(took, 5, "Ctrl-C must stop promptly; it took %.1f s" % took)
        self.assertEqual(p.returncode, 130, "expected exit 130 after SIGINT, got %d: %s" %
                         (p.returncode, err.decode()))
        return err

    def test_a_signal_during_a_retry_after_wait_stops_within_a_second(self):
        # Every answer a 429 with Retry-After: 60: the run is waiting out the
        # gate when SIGTERM comes.
        out = self.path("d")
        p = self.start(out, server_args=("--fault-rate", "1", "--faults", "429",
                                         "--retry-after", "60"), requests=1)
        time.sleep(1.0)
        t0 = time.time()
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=10)
        self.assertLess(time.time() - t0, 1.5, err.decode())
        self.assertEqual(p.returncode, 143, err.decode())
        self.assertFalse(os.path.exists(os.path.join(out, "manifest.json")))

    def test_an_interrupted_run_stops_promptly_and_leaves_no_dump(self):
        out = self.path("d")
        err = self.interrupt(self.start(out))
        left = os.listdir(out) if os.path.exists(out) else []
        self.assertNotIn("manifest.json", left, "an interrupted run leaves no manifest")
        finals = [k + ".ndjson.gz" for k in KINDS]
        self.assertEqual([n for n in left if n in finals], [],
                         "an interrupted run leaves no file under a final name")
        self.assertEqual([n for n in left if n != ".j1-npm-work"], [],
                         "temporary files are cleaned up too; the answers are kept in the "
                         "work area, for --resume")
        self.assertIn(b"interrupted", err)

    def test_ctrl_c_during_a_long_retry_after_wait_stops_promptly(self):
        # the real registry answers 429 with retry-after: 65
        out = self.path("d")
        p = self.start(out, server_args=("--faults", "429", "--fault-rate", "1",
                                         "--retry-after", "600"),
                       args=("--max-retry-wait", "600"), requests=1)
        self.interrupt(p)
        self.assertFalse(os.path.exists(os.path.join(out, "manifest.json")))

    def test_an_interrupted_stream_ends_without_a_manifest(self):
        outp = self.path("stream.gz")
        with open(outp, "wb") as f:
            self.interrupt(self.start("-", stdout=f))
        with open(outp, "rb") as f:
            data = f.read()
        text = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data) if data else b""
        for line in text.split(b"\n"):
            self.assertFalse(line.startswith(b'{"manifest"'),
                             "an interrupted stream must not end with a manifest record")


class SpeedTest(CollectCase):
    def test_requests_overlap(self):
        srv, log = self.registry_with_log("--latency-ms", "100")
        res = self.collect(srv, self.path("d"))
        self.assertExit(res, 0)
        requests = server_log(log)
        sequential = len(requests) * 0.1
        self.assertGreaterEqual(overlap(requests), 4,
                                "expected several requests in flight at once (default "
                                "--concurrency 16), saw at most %d" % overlap(requests))
        self.assertLess(res.seconds, sequential / 3,
                        "%d requests of 100 ms took %.1f s: hardly faster than one at a time "
                        "(%.1f s)" % (len(requests), res.seconds, sequential))

    def test_no_more_requests_in_flight_than_concurrency(self):
        srv, log = self.registry_with_log("--latency-ms", "50")
        res = self.collect(srv, self.path("d"), "--concurrency", "3")
        self.assertExit(res, 0)
        seen = overlap(server_log(log))
        self.assertLessEqual(seen, 3, "--concurrency 3, but %d requests were in flight" % seen)
        self.assertGreaterEqual(seen, 2, "--concurrency 3, but requests never overlapped")


class RegistryResolutionTest(Case):
    """The registry is resolved in the order README gives (issue 10): --registry,
    then npm's environment (npm_config_registry in any case), then the org's
    scoped registry (@acme:registry=), then registry= in the user config,
    then https://registry.npmjs.org/. Each case points the winner at the fake
    registry and every loser at a refused port, so a wrong order fails the
    run, and --verbose must name the winner's source. Where npm is installed,
    npm itself resolves the same config to the same URL."""

    LOSER = "http://127.0.0.1:9/%s/"

    def setUp(self):
        super().setUp()
        self.srv = self.registry()

    def npmrc(self, *lines):
        path = self.path("npmrc")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def resolve(self, *args, **env):
        out = self.path("d%d" % len(os.listdir(self.tmp)))
        res = self.run_prog("collect", "--org", "acme", "--out", out, "--verbose",
                            "--retries", "0", *args, env=self.env(**env))
        m = re.search(rb"debug: registry (\S+) \(from ([^)]*)\)", res.err)
        return res, (m.group(1).decode() if m else None), (m.group(2).decode() if m else None)

    def assertResolved(self, res, url, source_part, got_url, got_from):
        self.assertEqual(got_url, url, "expected the registry %s, got %r" % (url, res))
        self.assertIn(source_part, got_from)
        self.assertExit(res, 0)

    def npm_says(self, key, userconfig, *args, **env):
        """What `npm config get KEY` answers for the same config, or None
        when npm is not installed."""
        npm = shutil.which("npm")
        if not npm:
            return None
        e = self.env(**env)
        e["PATH"] = os.environ.get("PATH", e["PATH"])
        p = subprocess.run([npm, "config", "get", key, "--userconfig", userconfig] + list(args),
                           env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                           cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout.decode().strip()

    def assertNpmAgrees(self, key, url, userconfig, *args, **env):
        said = self.npm_says(key, userconfig, *args, **env)
        if said is None:
            print("SKIP npm comparison: npm is not installed", file=sys.stderr)
            return
        self.assertEqual(said.rstrip("/") + "/", url,
                         "npm config get %s answers %s for the same config" % (key, said))

    def test_flag_beats_env_scoped_and_registry_line(self):
        rc = self.npmrc("@acme:registry=" + self.LOSER % "scoped",
                        "registry=" + self.LOSER % "plain")
        env = dict(NPM_CONFIG_USERCONFIG=rc, npm_config_registry=self.LOSER % "env",
                   NPM_TOKEN=FIXTURE_TOKEN)
        res, url, src = self.resolve("--registry", self.srv.url, **env)
        self.assertResolved(res, self.srv.url, "--registry", url, src)
        self.assertNpmAgrees("registry", self.srv.url, rc, "--registry", self.srv.url, **env)

    def test_env_in_any_case_beats_scoped_and_registry_line(self):
        rc = self.npmrc("@acme:registry=" + self.LOSER % "scoped",
                        "registry=" + self.LOSER % "plain")
        env = dict(NPM_CONFIG_USERCONFIG=rc, NPM_CONFIG_REGISTRY=self.srv.url,
                   NPM_TOKEN=FIXTURE_TOKEN)
        res, url, src = self.resolve(**env)
        self.assertResolved(res, self.srv.url, "$NPM_CONFIG_REGISTRY", url, src)
        self.assertNpmAgrees("registry", self.srv.url, rc, **env)
        env = dict(NPM_CONFIG_USERCONFIG=rc, Npm_Config_Registry=self.srv.url,
                   NPM_TOKEN=FIXTURE_TOKEN)
        res, url, src = self.resolve(**env)
        self.assertResolved(res, self.srv.url, "$Npm_Config_Registry", url, src)

    def test_scoped_registry_of_the_org_beats_registry_line_with_expansion(self):
        rc = self.npmrc("registry=" + self.LOSER % "plain",
                        "@other:registry=" + self.LOSER % "other",
                        "@acme:registry=${ACME_REG}")
        env = dict(NPM_CONFIG_USERCONFIG=rc, ACME_REG=self.srv.url, NPM_TOKEN=FIXTURE_TOKEN)
        res, url, src = self.resolve(**env)
        self.assertResolved(res, self.srv.url, "@acme:registry= in " + rc, url, src)
        self.assertNpmAgrees("@acme:registry", self.srv.url, rc, **env)

    def test_scoped_registry_from_the_environment_beats_the_config_lines(self):
        rc = self.npmrc("@acme:registry=" + self.LOSER % "scoped",
                        "registry=" + self.LOSER % "plain")
        env = {"NPM_CONFIG_USERCONFIG": rc, "npm_config_@acme:registry": self.srv.url,
               "NPM_TOKEN": FIXTURE_TOKEN}
        res, url, src = self.resolve(**env)
        self.assertResolved(res, self.srv.url, "$npm_config_@acme:registry", url, src)
        self.assertNpmAgrees("@acme:registry", self.srv.url, rc, **env)
        # ... but not the plain registry from the environment
        env["npm_config_registry"] = self.srv.url
        env["npm_config_@acme:registry"] = self.LOSER % "envscoped"
        res, url, src = self.resolve(**env)
        self.assertResolved(res, self.srv.url, "$npm_config_registry", url, src)

    def test_registry_line_beats_the_default_and_its_token_is_found(self):
        host = self.srv.url[len("http:"):]  # //127.0.0.1:PORT/
        rc = self.npmrc("@other:registry=" + self.LOSER % "other",
                        "registry=" + self.srv.url,
                        host + ":_authToken=${MY_NPM_TOKEN}")
        env = dict(NPM_CONFIG_USERCONFIG=rc, MY_NPM_TOKEN=FIXTURE_TOKEN)
        res, url, src = self.resolve(**env)
        self.assertResolved(res, self.srv.url, "registry= in " + rc, url, src)
        self.assertNpmAgrees("registry", self.srv.url, rc, **env)

    def test_default_is_the_public_registry(self):
        rc = self.npmrc("@other:registry=" + self.LOSER % "other")
        # No token anywhere: the run stops before any request, naming the
        # registry it resolved.
        res, url, src = self.resolve(NPM_CONFIG_USERCONFIG=rc)
        self.assertEqual(url, "https://registry.npmjs.org/", res)
        self.assertEqual(src, "the default")
        self.assertExit(res, 2)
        self.assertIn(b"holds a token for https://registry.npmjs.org/", res.err)
        self.assertNpmAgrees("registry", "https://registry.npmjs.org/", rc)

    def test_unset_variable_in_the_registry_line_is_named(self):
        rc = self.npmrc("registry=${NO_SUCH_REGISTRY_VAR}")
        res = self.run_prog("collect", "--org", "acme", "--out", self.path("d"),
                            env=self.env(NPM_CONFIG_USERCONFIG=rc, NPM_TOKEN=FIXTURE_TOKEN))
        self.assertExit(res, 2)
        self.assertIn(b"${NO_SUCH_REGISTRY_VAR}", res.err)
        self.assertIn(rc.encode(), res.err)


class AuthMessageTest(CollectCase):
    """Every 401/403 message names the request that was refused (kind and
    path) and a cause that fits that request (issue 10)."""

    def test_403_on_whoami_does_not_blame_org_membership(self):
        srv = self.registry("--forbid-whoami")
        res = self.collect(srv, self.path("d"))
        self.assertExit(res, 4)
        err = res.err.decode()
        self.assertIn("HTTP 403 on GET /-/whoami", err)
        self.assertIn("does not involve org 'acme'", err)
        self.assertRegex(err, r"lacks the rights|wrong kind")
        self.assertNotIn("not a member", err)
        self.assertIn("NPM_TOKEN", err, "the message says where the token came from")
        self.assertFalse(os.path.exists(self.path("d", "manifest.json")))

    def test_401_on_whoami_names_the_request_and_a_bad_token(self):
        srv = self.registry()
        res = self.collect(srv, self.path("d"), token=WRONG_TOKEN)
        self.assertExit(res, 4)
        err = res.err.decode()
        self.assertIn("HTTP 401 on whoami, GET /-/whoami", err)
        self.assertRegex(err, r"wrong, expired or revoked")

    def test_403_on_an_org_list_names_the_list_its_path_and_the_user(self):
        srv = self.registry("--forbid-org")
        res = self.collect(srv, self.path("d"))
        self.assertExit(res, 4)
        err = res.err.decode()
        self.assertRegex(err, r"HTTP 403 on org_(users|teams|packages), GET /-/org/acme/"
                              r"(user|team|package)")
        self.assertIn("for user %s" % REG["whoami"], err)
        self.assertIn("not a member of that org", err)


class UnreachableRegistryTest(Case):
    """Before anything has answered, a transport failure is most likely a
    mistake in the URL (issue 10): a name that does not resolve fails at
    once, and other failures are retried with a warning that says so."""

    def test_a_host_that_does_not_resolve_fails_fast_naming_it(self):
        # .invalid never resolves (RFC 2606), with or without a network.
        res = self.run_prog("collect", "--org", "acme", "--registry",
                            "https://registry.npmjs.invalid/", "--out", self.path("d"),
                            env=self.env(NPM_TOKEN=FIXTURE_TOKEN))
        self.assertExit(res, 1)
        err = res.err.decode()
        self.assertIn("'registry.npmjs.invalid' does not resolve", err)
        self.assertIn("misspelt", err)
        self.assertNotIn("retrying", err, "a DNS failure before any answer is not retried")
        self.assertLess(res.seconds, 10, "the old behaviour retried for 40-50 s")
        self.assertFalse(os.path.exists(self.path("d", "manifest.json")))

    def test_a_refused_port_is_retried_with_one_warning_that_says_so(self):
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()  # nothing listens there now: connections are refused
        res = self.run_prog("collect", "--org", "acme", "--registry",
                            "http://127.0.0.1:%d/" % port, "--out", self.path("d"),
                            "--retries", "3", env=self.env(NPM_TOKEN=FIXTURE_TOKEN))
        self.assertExit(res, 1)
        err = res.err.decode()
        warnings = [l for l in err.splitlines() if "warning: no answer yet from" in l]
        self.assertEqual(len(warnings), 1,
                         "expected one warning for one cause, got:\n%s" % err)
        self.assertIn("127.0.0.1:%d" % port, warnings[0])
        self.assertIn("retrying GET http://127.0.0.1:%d/-/whoami up to 3 more" % port,
                      warnings[0])
        self.assertIn("cannot reach the registry", err)
        self.assertLess(res.seconds, 20)

    def test_an_error_answer_is_no_reachability_warning(self):
        srv = self.registry("--fail-path", "/@acme%2fcore")
        res = self.run_prog("collect", "--org", "acme", "--registry", srv.url, "--out",
                            self.path("d"), "--retries", "1", "--max-retry-wait", "0",
                            env=self.env(NPM_TOKEN=FIXTURE_TOKEN))
        self.assertExit(res, 3)
        self.assertNotIn(b"no answer yet", res.err)


if __name__ == "__main__":
    unittest.main()
