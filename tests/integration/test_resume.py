"""test_resume.py - an interrupted j1-npm-collect keeps its answers in
DIR/.j1-npm-work, and --resume DIR finishes the dump (issue 11, "Keep and
resume"), against the fake registry serving a generated 60-package org with
latency, so an interrupt lands mid-run. Interruptions: Ctrl-C, SIGTERM,
SIGKILL (a crash keeps what reached the disk), during the org lists, during
a Retry-After wait, and a run that stopped on its own (exit 4).
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

    def runs(self, d):
        return sorted(n for n in os.listdir(os.path.join(d, ".j1-npm-work"))
                      if n.startswith("run-"))

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
        res = self.run_collect("--out", self.path("d"))
        self.assertExit(res, 2)
        self.assertIn(b"--resume", res.err)
        self.assertEqual(self.requests(), before, "a refusal asks nothing")
        self.assertKept(self.path("d"))

    def killed(self, after, *args):
        """A run killed outright (SIGKILL: nothing of ours runs)."""
        rc, err = self.interrupted(after, *args, sig=signal.SIGKILL)
        self.assertEqual(rc, -signal.SIGKILL, err.decode())
        return err

    def test_force_starts_over_removing_the_work_area(self):
        n, graph = self.uninterrupted()
        self.killed(n // 2, "--out", self.path("d"))
        self.assertExit(self.run_collect("--out", self.path("d"), "--force"), 0)
        self.assertFalse(os.path.exists(self.path("d", ".j1-npm-work")))
        self.assertEqual(self.transform("d"), graph)

    def test_killed_at_half_then_resumed_matches_an_uninterrupted_run(self):
        n, graph = self.uninterrupted()
        start = self.requests()
        self.killed(n // 2, "--out", self.path("d"))
        self.assertKept(self.path("d"))
        self.assertEqual(len(self.runs(self.path("d"))), 1)
        time.sleep(0.5)  # the answers in flight reach the fake's log
        first = self.requests() - start
        res = self.run_collect("--resume", self.path("d"))
        self.assertExit(res, 0)
        total = self.requests() - start
        self.assertLessEqual(total, 1.05 * n, "%d requests (%d before the kill) against %d "
                             "uninterrupted" % (total, first, n))
        self.assertFalse(os.path.exists(self.path("d", ".j1-npm-work")), "work area removed")
        self.assertEqual(self.transform("d"), graph)

    def test_a_resumed_run_killed_keeps_the_earlier_answers_and_resumes_again(self):
        n, graph = self.uninterrupted()
        start = self.requests()
        rc, _ = self.interrupted(n // 3, "--out", self.path("d"))
        self.assertEqual(rc, 130)
        self.killed(n // 3, "--resume", self.path("d"))
        self.assertKept(self.path("d"))
        # the earlier run's directory is untouched beside the killed one's
        self.assertEqual(len(self.runs(self.path("d"))), 2)
        self.killed(n // 6, "--resume", self.path("d"))
        self.assertEqual(len(self.runs(self.path("d"))), 3)
        self.assertExit(self.run_collect("--resume", self.path("d")), 0)
        total = self.requests() - start
        # each interruption costs at most the org lists again (4), what is
        # always asked anew (the collector's profile and tokens, and the one
        # advisory batch of this org: 3) and the requests in flight or
        # queued (2 x concurrency)
        self.assertLessEqual(total, n + 3 * (4 + 3 + 4),
                             "%d requests against %d uninterrupted" % (total, n))
        self.assertEqual(self.transform("d"), graph)

    def test_a_clean_stop_folds_the_runs_into_one(self):
        n, graph = self.uninterrupted()
        self.killed(n // 3, "--out", self.path("d"))
        rc, _ = self.interrupted(n // 3, "--resume", self.path("d"))
        self.assertEqual(rc, 130)
        self.assertEqual(len(self.runs(self.path("d"))), 1, "one run holds every answer")
        self.assertExit(self.run_collect("--resume", self.path("d")), 0)
        self.assertEqual(self.transform("d"), graph)

    def test_interrupted_while_the_org_lists_are_fetched(self):
        n, graph = self.uninterrupted()
        start = self.requests()
        rc, _ = self.interrupted(n // 2, "--out", self.path("d"))
        self.assertEqual(rc, 130)
        # The org's package list stalls, so each interrupt below lands
        # while the org lists are being fetched, however late the signal.
        port = self.srv.port
        self.srv.stop()
        self.srv = self.registry("--port", str(port), "--log", self.log, "--latency-ms", "30",
                                 "--slow-path", "/-/org/%s/package" % ORG, "--slow-ms", "20000",
                                 fixture=self.org)
        # a first run stopped before it had any per-item answer keeps nothing
        before = self.requests()
        rc, err = self.interrupted(2, "--out", self.path("early"))
        self.assertEqual(rc, 130, err.decode())
        self.assertFalse(os.path.exists(self.path("early")), "nothing kept, nothing left")
        early = self.requests() - before
        # a resumed run stopped there keeps the earlier run's answers
        rc, err = self.interrupted(2, "--resume", self.path("d"))
        self.assertEqual(rc, 130, err.decode())
        self.assertKept(self.path("d"))
        self.srv.stop()
        self.srv = self.registry("--port", str(port), "--log", self.log, "--latency-ms", "30",
                                 fixture=self.org)
        self.assertExit(self.run_collect("--resume", self.path("d")), 0)
        total = self.requests() - start - early
        # each interruption costs at most the org lists again (4), the
        # collector's profile and tokens and the advisory batch (3) and the
        # requests in flight or queued (2 x concurrency)
        self.assertLessEqual(total, n + 2 * (4 + 3 + 4), "%d requests against %d" % (total, n))
        self.assertEqual(self.transform("d"), graph)

    def test_a_commit_cut_short_between_renames_is_resumed(self):
        """The state a crash between the renames of a commit leaves:
        commit.json names the run, some kind files are under their final
        names, no manifest."""
        n, graph = self.uninterrupted()
        rc, _ = self.interrupted(n // 2, "--out", self.path("d"))
        self.assertEqual(rc, 130)
        run = os.path.join(self.path("d"), ".j1-npm-work", self.runs(self.path("d"))[0])
        with open(os.path.join(self.path("d"), ".j1-npm-work", "commit.json"), "w") as f:
            json.dump({"run": os.path.basename(run)}, f)
        for k in ("packuments", "org_users", "user_profiles"):
            os.rename(os.path.join(run, k + ".ndjson.gz"), self.path("d", k + ".ndjson.gz"))
        res = self.run_prog("transform", "--in", self.path("d"), "--out", self.path("g"))
        self.assertNotEqual(res.rc, 0, "no manifest: not a dump")
        start = self.requests()
        self.assertExit(self.run_collect("--resume", self.path("d")), 0)
        self.assertLessEqual(self.requests() - start, 0.75 * n, "the moved answers were carried")
        self.assertEqual(self.transform("d"), graph)

    def test_kind_files_without_manifest_or_commit_record_are_refused(self):
        n, _ = self.uninterrupted()
        rc, _ = self.interrupted(n // 2, "--out", self.path("d"))
        self.assertEqual(rc, 130)
        with open(self.path("d", "packuments.ndjson.gz"), "wb") as f:
            f.write(b"not ours")
        res = self.run_collect("--resume", self.path("d"))
        self.assertExit(res, 2)
        self.assertIn(b"no record of a commit", res.err)
        self.assertTrue(os.path.exists(self.path("d", ".j1-npm-work", "work.json")))

    def test_a_run_stopped_with_exit_4_is_resumed(self):
        n, graph = self.uninterrupted()
        port = self.srv.port
        start = self.requests()
        p = subprocess.Popen(self.argv("--out", self.path("d")), env=self.env(NPM_TOKEN=self.token),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        wait_for(lambda: self.requests() - start >= n // 2, 60, "the crawl to get going")
        # the token is revoked during the run: the registry answers 401
        self.srv.stop()
        self.srv = self.registry("--port", str(port), "--token", "revoked-token", "--log",
                                 self.log, fixture=self.org)
        _, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 4, err.decode())
        manifest = harness.load_json(self.path("d", "manifest.json"))
        self.assertFalse(manifest["complete"])
        self.srv.stop()
        self.srv = self.registry("--port", str(port), "--log", self.log, "--latency-ms", "30",
                                 fixture=self.org)
        # a refusal leaves the incomplete dump as it was
        res = self.run_collect("--resume", self.path("d"), "--since", self.path("nowhere"))
        self.assertExit(res, 2)
        self.assertFalse(harness.load_json(self.path("d", "manifest.json"))["complete"])
        before = self.requests()
        res = self.run_collect("--resume", self.path("d"))
        self.assertExit(res, 0)
        self.assertLessEqual(self.requests() - before, 0.75 * n, "the answers were carried")
        self.assertTrue(harness.load_json(self.path("d", "manifest.json"))["complete"])
        self.assertFalse(os.path.exists(self.path("d", ".j1-npm-work")), "work area removed")
        self.assertEqual(self.transform("d"), graph)
        # a finished dump is refused, pointing to --since
        res = self.run_collect("--resume", self.path("d"))
        self.assertExit(res, 2)
        self.assertIn(b"--since", res.err)

    def test_a_resumed_run_stopped_with_exit_4_keeps_the_earlier_answers(self):
        n, graph = self.uninterrupted()
        port = self.srv.port
        start = self.requests()
        rc, _ = self.interrupted(n // 2, "--out", self.path("d"))
        self.assertEqual(rc, 130)
        time.sleep(0.5)
        mid = self.requests()
        p = subprocess.Popen(self.argv("--resume", self.path("d")),
                             env=self.env(NPM_TOKEN=self.token), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        wait_for(lambda: self.requests() - mid >= 15, 60, "the resumed crawl to get going")
        self.srv.stop()
        self.srv = self.registry("--port", str(port), "--token", "revoked-token", "--log",
                                 self.log, fixture=self.org)
        _, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 4, err.decode())
        self.assertFalse(harness.load_json(self.path("d", "manifest.json"))["complete"])
        # the first run's answers the stopped run had not got to are still kept
        self.assertTrue(self.runs(self.path("d")), "the earlier run is kept")
        self.srv.stop()
        self.srv = self.registry("--port", str(port), "--log", self.log, "--latency-ms", "30",
                                 fixture=self.org)
        self.assertExit(self.run_collect("--resume", self.path("d")), 0)
        total = self.requests() - start
        self.assertLessEqual(total, n + 2 * (4 + 4) + 10,
                             "%d requests against %d uninterrupted" % (total, n))
        self.assertFalse(os.path.exists(self.path("d", ".j1-npm-work")), "work area removed")
        self.assertEqual(self.transform("d"), graph)

    def test_resumed_404s_are_counted_as_404(self):
        # profiles the registry does not have, packages without a document
        with open(os.path.join(self.org, "registry.json"), encoding="utf-8") as f:
            reg = json.load(f)
        gone = sorted(reg["profiles"])[::4]
        for u in gone:
            del reg["profiles"][u]
        with open(os.path.join(self.org, "registry.json"), "w", encoding="utf-8") as f:
            json.dump(reg, f)
        docs = sorted(os.listdir(os.path.join(self.org, "packuments")))
        for d in docs[::6]:
            os.remove(os.path.join(self.org, "packuments", d))
        self.srv.stop()
        self.srv = self.registry("--log", self.log, "--latency-ms", "30", fixture=self.org)
        n, graph = self.uninterrupted()
        full = harness.load_json(self.path("full", "manifest.json"))["counts"]
        self.assertGreater(full["user_profiles"]["status"].get("4xx", 0), 0)
        rc, _ = self.interrupted(int(n * 0.7), "--out", self.path("d"))
        self.assertEqual(rc, 130)
        time.sleep(0.5)
        before = len(server_log(self.log))
        self.assertExit(self.run_collect("--resume", self.path("d")), 0)
        asked = {r["path"] for r in server_log(self.log)[before:]}
        carried = [u for u in gone if "/-/user/org.couchdb.user:" + u not in asked]
        self.assertTrue(carried, "some 404 profiles were carried, not asked again")
        self.assertEqual(harness.load_json(self.path("d", "manifest.json"))["counts"], full)
        self.assertEqual(self.transform("d"), graph)


class RetryAfter(Case):
    """An interrupt during a Retry-After wait stops promptly and keeps."""

    def test_interrupted_during_a_retry_after_wait(self):
        org = self.path("org")
        subprocess.check_call([sys.executable, os.path.join(SCRIPTS, "gen_org.py"), "--out", org,
                               "--packages", "40", "--users", "10", "--teams", "3", "--seed",
                               "2"], stdout=subprocess.DEVNULL)
        token = harness.load_json(os.path.join(org, "registry.json"))["token"]
        log = self.path("requests.log")
        srv = self.registry("--log", log, "--latency-ms", "20", "--faults", "429",
                            "--fault-rate", "0.1", "--retry-after", "60", "--seed", "29",
                            fixture=org)
        ref = self.registry(fixture=org)

        def argv(url, *args):
            return [harness.program("collect"), "--org", ORG, "--registry", url, "--concurrency",
                    "2", "--quiet"] + list(args)

        env = self.env(NPM_TOKEN=token)
        self.assertExit(self.run_prog("collect", *argv(ref.url, "--out", self.path("full"))[1:],
                                      env=env), 0)
        p = subprocess.Popen(argv(srv.url, "--out", self.path("d")), env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        # seed 29 draws its first fault for the 20th request, after some
        # answers: the crawl then waits 60 s
        wait_for(lambda: any(r.get("fault") == "429" for r in server_log(log)) or
                 p.poll() is not None, 60, "a 429")
        self.assertIsNone(p.poll())
        time.sleep(0.5)
        t0 = time.time()
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=20)
        self.assertEqual(p.returncode, 130, err.decode())
        self.assertLess(time.time() - t0, 5, "an interrupt does not wait out Retry-After")
        self.assertIn(b"kept", err)
        self.assertIn("work.json", os.listdir(self.path("d", ".j1-npm-work")))
        self.assertNotIn("manifest.json", os.listdir(self.path("d")))
        res = self.run_prog("collect", *argv(srv.url, "--resume", self.path("d"),
                                             "--max-retry-wait", "1")[1:], env=env)
        self.assertExit(res, 0)

        def graph(dump, url):
            out = self.path("graph-" + dump)
            self.assertExit(self.run_prog("transform", "--in", self.path(dump), "--out", out), 0)
            return {k: v.replace(url.encode().rstrip(b"/"), b"REGISTRY")
                    for k, v in tree_bytes(out).items()}

        self.assertEqual(graph("d", srv.url), graph("full", ref.url))
