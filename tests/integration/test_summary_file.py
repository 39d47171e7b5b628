"""test_summary_file.py - --summary-file FILE on all three programs (issue 10).

A scheduler reads FILE after the run: one JSON object with the program, its
exit status, the same "summary" object as the last line of --log-format
json, and the error when the status is not 0. It must say what happened on
a failing run too, and never show the previous run's figures.
"""
import json
import os
import stat
import unittest

import re

from harness import ROOT, Case, Shared

KEY = "test-api-key-0123456789"
ACCOUNT = "acct-1"
INSTANCE = "11111111-2222-4333-8444-555555555555"

with open(os.path.join(ROOT, "common", "cli.h"), encoding="utf-8") as _f:
    VERSION = re.search(r'#define J1NPM_VERSION "([^"]+)"', _f.read()).group(1)

shared = None
GRAPH = None


def setUpModule():
    global shared, GRAPH
    shared = Shared()
    GRAPH = shared.graph()[0]


def tearDownModule():
    if shared:
        shared.close()


def last_json_line(err):
    lines = [l for l in err.decode("utf-8").splitlines() if l.strip()]
    return json.loads(lines[-1])


class SummaryFileCase(Case):
    def read(self, path):
        with open(path, encoding="utf-8") as f:
            return json.load(f)

    def assertSameSummaryAsLog(self, res, path, program, status):
        doc = self.read(path)
        self.assertEqual(doc["program"], "j1-npm-" + program)
        self.assertEqual(doc["version"], VERSION)
        self.assertEqual(doc["exit_status"], status)
        self.assertEqual(res.rc, status, "the file's status is the exit status: %r" % res)
        line = last_json_line(res.err)
        self.assertIn("summary", line, "expected a summary on the last log line, got %r" % line)
        self.assertEqual(doc["summary"], line["summary"])
        return doc

    def assertNoTempLeft(self):
        left = [n for n in os.listdir(self.tmp) if ".tmp-" in n]
        self.assertEqual(left, [], "temporary files left beside the summary file")


class TestSummaryFile(SummaryFileCase):
    def test_collect_writes_the_log_lines_summary_with_its_status(self):
        s = self.registry()
        path = self.path("collect.json")
        with open(path, "w") as f:
            f.write('{"program":"an older run"}')  # replaced, not appended to
        res = self.collect(s, self.path("dump"), "--summary-file", path, "--log-format", "json")
        doc = self.assertSameSummaryAsLog(res, path, "collect", 0)
        self.assertNotIn("error", doc)
        self.assertTrue(doc["summary"]["complete"])
        self.assertEqual(doc["summary"]["org"], "acme")
        mode = stat.S_IMODE(os.stat(path).st_mode)
        self.assertEqual(mode & 0o022, 0, "group/other must not write it: %o" % mode)
        self.assertEqual(mode & 0o600, 0o600)
        self.assertNoTempLeft()

    def test_collect_refused_token_still_writes_the_status_and_why_without_the_token(self):
        s = self.registry()
        path = self.path("collect.json")
        wrong = "npm_WrongToken11111111111111111111111"
        res = self.collect(s, self.path("dump"), "--summary-file", path, token=wrong)
        self.assertExit(res, 4)
        doc = self.read(path)
        self.assertEqual(doc["program"], "j1-npm-collect")
        self.assertEqual(doc["exit_status"], 4)
        self.assertIsNone(doc["summary"], "no summary is made when nothing was collected")
        self.assertIn("401", doc["error"])
        with open(path, encoding="utf-8") as f:
            self.assertNotIn(wrong, f.read())

    def test_partial_collect_says_exit_3_and_what_failed(self):
        s = self.registry("--fail-path", "/@acme%2fcore")
        path = self.path("collect.json")
        res = self.collect(s, self.path("dump"), "--summary-file", path, "--log-format", "json",
                           "--retries", "0")
        doc = self.assertSameSummaryAsLog(res, path, "collect", 3)
        self.assertFalse(doc["summary"]["complete"])
        self.assertGreaterEqual(doc["summary"]["failed"], 1)
        self.assertIn("failed", doc["error"])

    def test_transform_writes_its_summary(self):
        path = self.path("transform.json")
        res = self.run_prog("transform", "--in", shared.dump, "--out", self.path("graph"),
                            "--summary-file", path, "--log-format", "json")
        doc = self.assertSameSummaryAsLog(res, path, "transform", 0)
        self.assertGreater(doc["summary"]["entities"], 0)
        self.assertNotIn("error", doc)

    def test_transform_failure_writes_its_status_and_the_error(self):
        path = self.path("transform.json")
        res = self.run_prog("transform", "--in", self.path("no-such-dump"), "--out",
                            self.path("graph"), "--summary-file", path)
        self.assertExit(res, 2)  # a missing input is a usage error for transform
        doc = self.read(path)
        self.assertEqual(doc["exit_status"], 2)
        self.assertIsNone(doc["summary"])
        self.assertIn("no-such-dump", doc["error"])

    def test_upload_writes_its_summary(self):
        s = self.j1("--api-key", KEY, account=ACCOUNT)
        path = self.path("upload.json")
        res = self.run_prog("upload", "--api-base-url", s.url, "-i", INSTANCE, "--in", GRAPH,
                            "--summary-file", path, "--log-format", "json",
                            env=self.env(JUPITERONE_API_KEY=KEY, JUPITERONE_ACCOUNT=ACCOUNT))
        doc = self.assertSameSummaryAsLog(res, path, "upload", 0)
        self.assertTrue(doc["summary"]["ok"])
        self.assertNotIn("error", doc)

    def test_upload_refused_key_writes_status_4_and_the_error(self):
        s = self.j1(key=KEY, account=ACCOUNT)
        path = self.path("upload.json")
        res = self.run_prog("upload", "--api-base-url", s.url, "-i", INSTANCE, "--in", GRAPH,
                            "--summary-file", path, "--log-format", "json",
                            env=self.env(JUPITERONE_API_KEY="wrong-key-000000000000",
                                         JUPITERONE_ACCOUNT=ACCOUNT))
        doc = self.assertSameSummaryAsLog(res, path, "upload", 4)
        self.assertFalse(doc["summary"]["ok"])
        self.assertTrue(doc["error"])
        self.assertNotIn("wrong-key-000000000000", json.dumps(doc))

    def test_usage_error_after_the_option_is_in_the_file(self):
        path = self.path("collect.json")
        res = self.run_prog("collect", "--summary-file", path, "--registry", "http://127.0.0.1:1/")
        self.assertExit(res, 2)
        doc = self.read(path)
        self.assertEqual(doc["exit_status"], 2)
        self.assertIn("--org", doc["error"])

    def test_unwritable_summary_file_fails_a_run_that_otherwise_worked(self):
        path = self.path("missing-dir", "transform.json")
        res = self.run_prog("transform", "--in", shared.dump, "--out", self.path("graph"),
                            "--summary-file", path)
        self.assertExit(res, 1)
        self.assertIn(b"--summary-file", res.err)


class ShortSharedOptionsTest(Case):
    """-h, -V, -q, -v mean --help, --version, --quiet, --verbose in all three
    programs (issue 10; the other shared option added with --summary-file)."""

    def test_all_three_programs_take_the_short_names(self):
        for name in ("collect", "transform", "upload"):
            v = self.run_prog(name, "-V")
            self.assertExit(v, 0)
            self.assertEqual(v.out.decode(), "j1-npm-%s %s\n" % (name, VERSION))
            h = self.run_prog(name, "-h")
            self.assertExit(h, 0)
            self.assertEqual(h.out, self.run_prog(name, "--help").out)
            for short in (b"-h, --help", b"-V, --version", b"-q, --quiet", b"-v, --verbose"):
                self.assertIn(short, h.out, "j1-npm-%s --help" % name)

    def test_q_and_v_change_what_is_logged(self):
        srv = self.registry()
        quiet = self.collect(srv, self.path("q"), "-q")
        self.assertExit(quiet, 0)
        verbose = self.collect(srv, self.path("v"), "-v")
        self.assertExit(verbose, 0)
        self.assertNotIn(b"debug:", quiet.err)
        self.assertIn(b"debug:", verbose.err)
        self.assertIn(b"collected acme", quiet.err, "the summary is printed with -q too")


if __name__ == "__main__":
    unittest.main()
