"""test_resume.py - an interrupted j1-npm-collect keeps its answers in
DIR/.j1-npm-work, and --resume DIR finishes the dump (issue 11, "Keep and
resume"), against the fake registry serving a generated 60-package org with
latency, so an interrupt lands mid-run.
"""
import json
import os
import signal
import subprocess
import sys
import time

import harness
from harness import SCRIPTS, Case, server_log, tree_bytes, wait_for

ORG = "synth"
KIND_FILES = ["whoami", "org_users", "org_teams", "team_users", "team_packages", "org_packages",
              "user_profiles", "package_visibility", "package_collaborators", "packuments"]


class Resume(Case):
    def setUp(self):
        super().setUp()
        self.org = self.path("org")
        subprocess.check_call([sys.executable, os.path.join(SCRIPTS, "gen_org.py"), "--out",
                               self.org, "--packages", "60", "--users", "20", "--teams", "5",
                               "--seed", "1"], stdout=subprocess.DEVNULL)
        with open(os.path.join(self.org, "registry.json"), encoding="utf-8") as f:
            self.token = json.load(f)["token"]
        self.log = self.path("requests.log")
        self.srv = self.registry("--log", self.log, "--latency-ms", "30", fixture=self.org)

    def argv(self, *args):
        return [harness.program("collect"), "--org", ORG, "--registry", self.srv.url,
                "--concurrency", "2", "--quiet"] + list(args)

    def run_collect(self, *args):
        return self.run_prog("collect", *self.argv(*args)[1:],
                             env=self.env(NPM_TOKEN=self.token))

    def requests(self):
        return len(server_log(self.log))

    def uninterrupted(self):
        """A clean run's request count and transform output."""
        before = self.requests()
        self.assertExit(self.run_collect("--out", self.path("full")), 0)
        return self.requests() - before, self.transform("full")

    def transform(self, dump):
        out = self.path("graph-" + dump)
        res = self.run_prog("transform", "--in", self.path(dump), "--out", out)
        self.assertExit(res, 0)
        return tree_bytes(out)

    def interrupted(self, after, *args, sig=signal.SIGINT):
        """Starts a collect and sends sig once the fake has seen `after`
        more requests."""
        before = self.requests()
        p = subprocess.Popen(self.argv(*args), env=self.env(NPM_TOKEN=self.token),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        wait_for(lambda: self.requests() - before >= after or p.poll() is not None, 60,
                 "the crawl to get going")
        self.assertIsNone(p.poll(), "the run ended before it could be interrupted")
        p.send_signal(sig)
        _, err = p.communicate(timeout=20)
        self.assertIsNone(harness.sanitizer_report(err), harness.sanitizer_report(err))
        return p.returncode, err

    def assertKept(self, d):
        left = os.listdir(d)
        self.assertNotIn("manifest.json", left)
        self.assertEqual([n for n in left if n in [k + ".ndjson.gz" for k in KIND_FILES]], [],
                         "nothing under a final name")
        self.assertIn(".j1-npm-work", left)
        work = os.path.join(d, ".j1-npm-work")
        self.assertIn("work.json", os.listdir(work))

    def test_interrupted_at_half_then_resumed_matches_an_uninterrupted_run(self):
        n, graph = self.uninterrupted()
        start = self.requests()
        rc, err = self.interrupted(n // 2, "--out", self.path("d"))
        self.assertEqual(rc, 130, err.decode())
        self.assertIn(b"--resume", err)
        self.assertIn(b"kept", err)
        self.assertKept(self.path("d"))
        res = self.run_collect("--resume", self.path("d"))
        self.assertExit(res, 0)
        total = self.requests() - start
        self.assertLessEqual(total, 1.05 * n, "%d requests against %d uninterrupted" % (total, n))
        self.assertFalse(os.path.exists(self.path("d", ".j1-npm-work")), "work area removed")
        self.assertEqual(self.transform("d"), graph)

    def test_a_resumed_run_interrupted_and_resumed_again(self):
        n, graph = self.uninterrupted()
        start = self.requests()
        rc, _ = self.interrupted(n // 3, "--out", self.path("d"))
        self.assertEqual(rc, 130)
        rc, err = self.interrupted(n // 3, "--resume", self.path("d"))
        self.assertEqual(rc, 130, err.decode())
        self.assertKept(self.path("d"))
        self.assertExit(self.run_collect("--resume", self.path("d")), 0)
        total = self.requests() - start
        # each interruption costs at most the org lists again (4) and the
        # requests in flight (2 x concurrency)
        self.assertLessEqual(total, n + 2 * (4 + 4),
                             "%d requests against %d uninterrupted" % (total, n))
        self.assertEqual(self.transform("d"), graph)

    def test_sigterm_keeps_the_answers_too(self):
        n, graph = self.uninterrupted()
        rc, _ = self.interrupted(n // 2, "--out", self.path("d"), sig=signal.SIGTERM)
        self.assertEqual(rc, 143)
        self.assertKept(self.path("d"))
        self.assertExit(self.run_collect("--resume", self.path("d")), 0)
        self.assertEqual(self.transform("d"), graph)

    def test_resume_combines_with_since(self):
        n, graph = self.uninterrupted()
        rc, _ = self.interrupted(n // 2, "--out", self.path("d"))
        self.assertEqual(rc, 130)
        res = self.run_collect("--resume", self.path("d"), "--since", self.path("full"))
        self.assertExit(res, 0)
        self.assertEqual(self.transform("d"), graph)

    def test_refusals(self):
        os.makedirs(self.path("empty"))
        res = self.run_collect("--resume", self.path("empty"))
        self.assertExit(res, 2)
        self.assertIn(b"no work area", res.err)
        self.assertExit(self.run_collect("--out", self.path("full")), 0)
        res = self.run_collect("--resume", self.path("full"))
        self.assertExit(res, 2)
        self.assertIn(b"already finished", res.err)
        rc, _ = self.interrupted(40, "--out", self.path("d"))
        self.assertEqual(rc, 130)
        time.sleep(0.5)  # the answers in flight at the interrupt reach the fake's log
        before = self.requests()
        res = self.run_prog("collect", "--org", "other", "--registry", self.srv.url, "--resume",
                            self.path("d"), env=self.env(NPM_TOKEN=self.token))
        self.assertExit(res, 2)
        self.assertIn(b"'synth', not 'other'", res.err)
        other = self.registry(fixture=self.org)
        res = self.run_prog("collect", "--org", ORG, "--registry", other.url, "--resume",
                            self.path("d"), env=self.env(NPM_TOKEN=self.token))
        self.assertExit(res, 2)
        self.assertIn(b"--registry", res.err)
        res = self.run_collect("--resume", self.path("d"), "--out", self.path("elsewhere"))
        self.assertExit(res, 2)
        self.assertEqual(self.requests(), before, "a refusal asks nothing")
        self.assertKept(self.path("d"))
