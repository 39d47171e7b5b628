"""test_upload_habits.py - j1-npm-upload's habits of the official uploader
(`j1-integration sync`) and the mistakes a new user makes (issue 10).

  - -p/--project-path reads DIR/.j1-integration, and is the default (the
    current directory) when --in is not given; --in and -p together are a
    usage error;
  - -u/--upload-batch-size caps objects per batch, -ur (the SDK's spelling)
    relationships per batch; --batch-bytes still applies, whichever first;
  - --wait[=S]: FINISHED exits as usual with the final counters, a job that
    ends otherwise exits 1, time running out exits 5;
  - a dump of j1-npm-collect, piped or as a directory, is refused before any
    job exists; a missing --in exits 1; an input that declares partial types
    exits 3.

Each test starts its own fake JupiterOne API (scripts/fake_j1.py) with a
record file and asserts what the fake saw, including that no job was
created where none should be.
"""
import gzip
import json
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Case, Shared, read_graph  # noqa: E402

KEY = "test-api-key-0123456789"
ACCOUNT = "acct-1"
INSTANCE = "11111111-2222-4333-8444-555555555555"

shared = None
GRAPH = None   # transform's storage directory of the fixture org
STREAM = None  # transform's --out - stream of the same


def setUpModule():
    global shared, GRAPH, STREAM
    shared = Shared()
    GRAPH, STREAM = shared.graph()


def tearDownModule():
    if shared:
        shared.close()


class HabitCase(Case):
    def start(self, *args):
        rec = self.path("record-%d.json" % len(self.servers))
        s = self.j1("--record", rec, *args, key=KEY, account=ACCOUNT)
        s.record = rec
        return s

    def jobs(self, server):
        with open(server.record, encoding="utf-8") as f:
            return json.load(f)["jobs"]

    def only_job(self, server):
        jobs = self.jobs(server)
        self.assertEqual(len(jobs), 1, "expected exactly one job, got %d" % len(jobs))
        return jobs[0]

    def assertNoJob(self, server, res):
        self.assertEqual(self.jobs(server), [], "expected no job to be created: %r" % res)

    def upload(self, server, *args, input=None, cwd=None):
        argv = [harness.program("upload"), "--api-base-url", server.url, "-i", INSTANCE]
        argv += list(args)
        env = self.env(JUPITERONE_API_KEY=KEY, JUPITERONE_ACCOUNT=ACCOUNT)
        p = subprocess.run(argv, env=env, input=input, cwd=cwd, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        report = harness.sanitizer_report(p.stderr)
        if report:
            self.fail("sanitizer report from j1-npm-upload %s:\n%s" % (args, report))
        return harness.Result(args, p.returncode, p.stdout, p.stderr, 0.0)

    def uploads(self, job, kind):
        return [r for r in job["requests"]
                if r["path"].endswith("/" + kind) and r["status"] == 200]

    def summary(self, res):
        """The summary of --log-format json (its last line of stderr)."""
        last = res.err.decode().strip().splitlines()[-1]
        return json.loads(last)["summary"]

    def project(self, name="proj"):
        proj = self.path(name)
        os.makedirs(proj)
        shutil.copytree(GRAPH, os.path.join(proj, ".j1-integration"))
        return proj


class ProjectPath(HabitCase):
    def test_project_path_reads_its_j1_integration_directory(self):
        proj = self.project()
        s = self.start()
        res = self.upload(s, "-p", proj)
        self.assertExit(res, 0)
        ents, rels = read_graph(GRAPH)
        job = self.only_job(s)
        self.assertEqual(set(job["entityKeys"]), set(ents))
        self.assertEqual(set(job["relationshipKeys"]), set(rels))

    def test_without_in_or_p_the_current_directory_is_the_project(self):
        proj = self.project()
        s = self.start()
        res = self.upload(s, cwd=proj)
        self.assertExit(res, 0)
        ents, _ = read_graph(GRAPH)
        self.assertEqual(set(self.only_job(s)["entityKeys"]), set(ents))

    def test_project_path_without_j1_integration_is_bad_input_and_no_job(self):
        s = self.start()
        empty = self.path("empty")
        os.makedirs(empty)
        res = self.upload(s, "--project-path", empty)
        self.assertExit(res, 1)
        self.assertIn(b"has no .j1-integration/", res.err)
        self.assertNoJob(s, res)
        res = self.upload(s, cwd=empty)  # the default, -p .
        self.assertExit(res, 1)
        self.assertNoJob(s, res)

    def test_a_storage_directory_given_to_p_is_not_taken_for_a_project(self):
        # -p means DIR/.j1-integration, exactly as the official tool reads it.
        s = self.start()
        res = self.upload(s, "-p", GRAPH)
        self.assertExit(res, 1)
        self.assertNoJob(s, res)

    def test_in_and_project_path_together_are_a_usage_error(self):
        s = self.start()
        res = self.upload(s, "--in", GRAPH, "-p", self.project())
        self.assertExit(res, 2)
        self.assertIn(b"not both", res.err)
        self.assertNoJob(s, res)


class BatchSizes(HabitCase):
    def test_u_caps_objects_per_batch_of_both_kinds(self):
        ents, rels = read_graph(GRAPH)
        s = self.start()
        res = self.upload(s, "--in", GRAPH, "-u", "7")
        self.assertExit(res, 0)
        job = self.only_job(s)
        for kind, want in (("entities", ents), ("relationships", rels)):
            counts = [r["objects"] for r in self.uploads(job, kind)]
            self.assertEqual(sum(counts), len(want), kind)
            self.assertTrue(counts and max(counts) <= 7, "%s batches: %s" % (kind, counts))
            self.assertEqual(len(counts), -(-len(want) // 7),
                             "expected %s in batches of 7, got %s" % (kind, counts))

    def test_ur_overrides_u_for_relationships_in_the_sdk_spelling(self):
        ents, rels = read_graph(GRAPH)
        self.assertGreater(len(rels), 3, "the fixture needs a few relationships")
        for spelling in (["-ur", "3"], ["-ur3"], ["--upload-relationship-batch-size=3"]):
            s = self.start()
            res = self.upload(s, "--in", GRAPH, "-u", "1000", *spelling)
            self.assertExit(res, 0)
            job = self.only_job(s)
            ec = [r["objects"] for r in self.uploads(job, "entities")]
            rc = [r["objects"] for r in self.uploads(job, "relationships")]
            self.assertEqual(ec, [len(ents)], "entities in one batch with -u 1000: %s" % spelling)
            self.assertEqual(sum(rc), len(rels))
            self.assertEqual(len(rc), -(-len(rels) // 3), "%s: %s" % (spelling, rc))

    def test_the_byte_cap_still_applies_under_a_large_u(self):
        ents, _ = read_graph(GRAPH)
        s = self.start()
        res = self.upload(s, "--in", GRAPH, "-u", "100000", "--batch-bytes", "4000")
        self.assertExit(res, 0)
        job = self.only_job(s)
        counts = [r["objects"] for r in self.uploads(job, "entities")]
        self.assertEqual(sum(counts), len(ents))
        self.assertGreater(len(counts), 1, "expected --batch-bytes 4000 to split the entities")
        self.assertTrue(all(r["rawBytes"] <= 4000 for r in self.uploads(job, "entities")))

    def test_ur_as_the_value_of_another_option_is_left_alone(self):
        s = self.start()
        res = self.upload(s, "--in", GRAPH, "--scope", "-ur", "3")
        self.assertExit(res, 2)  # "3" is then a stray argument, not -ur's value
        self.assertNoJob(s, res)


class Wait(HabitCase):
    def test_wait_polls_until_finished_and_prints_the_final_counters(self):
        ents, rels = read_graph(GRAPH)
        s = self.start("--finalize-delay", "2")
        res = self.upload(s, "--in", GRAPH, "--wait=30", "--log-format", "json")
        self.assertExit(res, 0)
        job = self.only_job(s)
        self.assertEqual(job["status"], "FINISHED")
        reads = [r for r in job["requests"] if r["method"] == "GET"]
        self.assertGreaterEqual(len(reads), 1, "expected the job to be read while it finished")
        sm = self.summary(res)
        self.assertEqual(sm["status"], "FINISHED", sm)
        self.assertEqual(sm["waitTimedOut"], False)
        self.assertEqual(sm["numEntitiesCreated"], len(ents), sm)
        self.assertEqual(sm["numRelationshipsCreated"], len(rels), sm)

    def test_bare_wait_and_a_separate_value_are_accepted(self):
        for spelling in (["--wait"], ["--wait", "20"]):
            s = self.start("--finalize-delay", "1")
            res = self.upload(s, "--in", GRAPH, *spelling)
            self.assertExit(res, 0)
            self.assertIn(b"FINISHED", res.err, spelling)
            self.assertIn(b"created", res.err, spelling)

    def test_a_job_that_ends_in_error_exits_1_and_is_not_aborted(self):
        s = self.start("--finalize-delay", "1", "--finalize-status", "ERROR_BAD_DATA")
        res = self.upload(s, "--in", GRAPH, "--wait=30")
        self.assertExit(res, 1)
        self.assertIn(b"ERROR_BAD_DATA", res.err)
        job = self.only_job(s)
        self.assertEqual(job["status"], "ERROR_BAD_DATA")
        self.assertFalse([r for r in job["requests"] if r["path"].endswith("/abort")],
                         "a finalized job must not be aborted")

    def test_time_running_out_exits_5_with_the_job_still_pending(self):
        s = self.start("--finalize-delay", "30")
        res = self.upload(s, "--in", GRAPH, "--wait=2", "--log-format", "json")
        self.assertExit(res, 5)
        self.assertEqual(self.only_job(s)["status"], "FINALIZE_PENDING")
        sm = self.summary(res)
        self.assertEqual((sm["waitTimedOut"], sm["status"]), (True, "FINALIZE_PENDING"), sm)

    def test_a_signal_during_the_wait_ends_it_and_leaves_the_finalized_job_alone(self):
        import signal
        import time
        s = self.start("--finalize-delay", "60")
        env = self.env(JUPITERONE_API_KEY=KEY, JUPITERONE_ACCOUNT=ACCOUNT)
        p = subprocess.Popen([harness.program("upload"), "--api-base-url", s.url, "-i", INSTANCE,
                              "--in", GRAPH, "--wait"], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        harness.wait_for(lambda: os.path.exists(s.record) and self.jobs(s)
                         and self.jobs(s)[0]["status"] == "FINALIZE_PENDING",
                         what="the job to be finalized")
        time.sleep(0.5)
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=15)
        self.assertEqual(p.returncode, 130, err)
        self.assertLess(time.monotonic() - t0, 3.0)
        self.assertIn(b"was finalized", err)
        job = self.only_job(s)
        self.assertEqual(job["status"], "FINALIZE_PENDING")
        self.assertFalse([r for r in job["requests"] if r["path"].endswith("/abort")])

    def test_without_wait_upload_ends_at_finalize(self):
        s = self.start("--finalize-delay", "30")
        res = self.upload(s, "--in", GRAPH)
        self.assertExit(res, 0)
        job = self.only_job(s)
        self.assertFalse([r for r in job["requests"] if r["method"] == "GET"])


class Mistakes(HabitCase):
    def test_collect_stream_piped_into_upload_is_refused_before_any_job(self):
        dump = shared.run("collect", "--org", "acme", "--registry", shared.server.url,
                          "--out", "-")
        self.assertEqual(dump.rc, 0, dump)
        s = self.start()
        res = self.upload(s, "--in", "-", input=dump.out)
        self.assertExit(res, 1)
        self.assertIn(b"this is a dump from j1-npm-collect; run j1-npm-transform first", res.err)
        self.assertNoJob(s, res)

    def test_collect_dump_directory_is_refused_before_any_job(self):
        s = self.start()
        res = self.upload(s, "--in", shared.dump)
        self.assertExit(res, 1)
        self.assertIn(b"this is a dump from j1-npm-collect; run j1-npm-transform first", res.err)
        self.assertNoJob(s, res)
        # Cut short (no manifest yet): its .ndjson.gz files still give it away.
        d = self.path("dump-cut")
        shutil.copytree(shared.dump, d)
        os.unlink(os.path.join(d, "manifest.json"))
        res = self.upload(s, "--in", d)
        self.assertExit(res, 1)
        self.assertIn(b"this is a dump from j1-npm-collect", res.err)
        proj = self.path("proj-dump")
        shutil.copytree(shared.dump, proj)
        res = self.upload(s, "-p", proj)
        self.assertExit(res, 1)
        self.assertIn(b"this is a dump from j1-npm-collect", res.err)
        self.assertNoJob(s, res)

    def test_a_stream_that_is_not_a_graph_stream_is_refused_before_any_job(self):
        s = self.start()
        res = self.upload(s, "--in", "-", input=gzip.compress(b'{"hello": "world"}\n'))
        self.assertExit(res, 1)
        self.assertNoJob(s, res)
        res = self.upload(s, "--in", "-", input=b"")
        self.assertExit(res, 1)
        self.assertIn(b"empty", res.err)
        self.assertNoJob(s, res)

    def test_missing_in_directory_is_bad_input_exit_1(self):
        s = self.start()
        res = self.upload(s, "--in", self.path("nowhere"))
        self.assertExit(res, 1)
        self.assertIn(b"nowhere", res.err)
        self.assertNoJob(s, res)

    def test_a_stream_declaring_partial_types_exits_3_and_pipefail_sees_it(self):
        lines = gzip.decompress(STREAM).splitlines()
        last = json.loads(lines[-1])
        last["summary"]["metadata"]["partialDatasets"]["types"] = ["npm_package"]
        lines[-1] = json.dumps(last).encode()
        data = gzip.compress(b"\n".join(lines) + b"\n")
        s = self.start()
        res = self.upload(s, "--in", "-", input=data)
        self.assertExit(res, 3)
        job = self.only_job(s)
        self.assertEqual(job["status"], "FINISHED")
        self.assertEqual(job["finalizeBody"], {"partialDatasets": {"types": ["npm_package"]}})
        # The README's pipe: under pipefail, the pipe's status is upload's 3.
        src = self.path("partial.gz")
        with open(src, "wb") as f:
            f.write(data)
        env = self.env(JUPITERONE_API_KEY=KEY, JUPITERONE_ACCOUNT=ACCOUNT)
        p = subprocess.run(["bash", "-c", 'set -o pipefail; cat "$1" | "$2" --api-base-url "$3" '
                            '-i "$4" --in -', "sh", src, harness.program("upload"), s.url,
                            INSTANCE], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120)
        self.assertEqual(p.returncode, 3, p.stderr)

    def test_a_whole_input_still_exits_0(self):
        s = self.start()
        res = self.upload(s, "--in", "-", input=STREAM)
        self.assertExit(res, 0)
        self.assertEqual(self.only_job(s)["status"], "FINISHED")


if __name__ == "__main__":
    unittest.main()
