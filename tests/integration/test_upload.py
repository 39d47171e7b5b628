"""test_upload.py - j1-npm-upload against the fake JupiterOne API.

The input is the fixture org run through collect and transform once for the
module (a storage directory and the --out - stream). Each test starts its own
scripts/fake_j1.py with the faults it needs and a record file, and compares
what the fake accepted with what went in. Loopback only; the interop test
with the official `j1-integration sync` skips visibly without node/npm.
"""
import gzip
import json
import os
import shutil
import subprocess
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Case, Shared, ROOT, official_sdk_cli, read_graph  # noqa: E402

KEY = "test-api-key-0123456789"
ACCOUNT = "acct-1"
INSTANCE = "11111111-2222-4333-8444-555555555555"

shared = None
GRAPH = None      # transform's storage directory of the fixture org
STREAM = None     # transform's --out - stream of the same


def setUpModule():
    global shared, GRAPH, STREAM
    shared = Shared()
    GRAPH, STREAM = shared.graph()


def tearDownModule():
    if shared:
        shared.close()


def alone_too_big(o, limit, kind="entities"):
    """The planner sends an object without _rawData when it cannot fit a
    batch of --batch-bytes on its own: {"entities":[ + the object + ]}."""
    n = len(json.dumps(o, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    return n + len(kind) + 7 > limit


def without_raw(o):
    return {n: v for n, v in o.items() if n != "_rawData"}


def keyed(objs):
    out = {}
    for o in objs:
        out.setdefault(o["_key"], []).append(o)
    return out


SANITIZER_MARKS = (b"AddressSanitizer", b"LeakSanitizer", b"UndefinedBehaviorSanitizer",
                   b"runtime error:")


class UploadCase(Case):
    def run_prog(self, name, *args, **kw):
        res = super().run_prog(name, *args, **kw)
        for m in SANITIZER_MARKS:  # a report must not hide behind an expected exit status
            self.assertNotIn(m, res.err, "sanitizer report from %s %s:\n%s"
                             % (name, args, res.err.decode("utf-8", "replace")[-4000:]))
        return res

    def start(self, *args, key=KEY):
        """A fake JupiterOne API with a record file; returns the server."""
        rec = self.path("record-%d.json" % len(self.servers))
        s = self.j1("--record", rec, *args, key=key, account=ACCOUNT)
        s.record = rec
        return s

    def record(self, server):
        with open(server.record, encoding="utf-8") as f:
            return json.load(f)

    def only_job(self, server):
        jobs = self.record(server)["jobs"]
        self.assertEqual(len(jobs), 1, "expected exactly one job, got %d" % len(jobs))
        return jobs[0]

    def upload(self, server, *args, key=KEY, account=ACCOUNT, input=None, instance=INSTANCE,
               env=None, timeout=120):
        base = ["--api-base-url", server.url] if server else []
        inst = ["-i", instance] if instance else []
        e = env or self.env(JUPITERONE_API_KEY=key, JUPITERONE_ACCOUNT=account)
        return self.run_prog("upload", *(base + inst + list(args)), env=e, input=input,
                             timeout=timeout)

    def assertArrivedExactly(self, job, ents, rels):
        """The job holds each object exactly once, equal to the input."""
        for kind, want in (("entities", ents), ("relationships", rels)):
            got = keyed(job[kind])
            twice = sorted(k for k, v in got.items() if len(v) > 1)
            self.assertEqual(twice, [], "expected every %s once, got these more than once: %s"
                             % (kind, twice[:10]))
            missing = sorted(set(want) - set(got))
            extra = sorted(set(got) - set(want))
            self.assertEqual((missing, extra), ([], []),
                             "expected the input's %d %s; missing %s, unexpected %s"
                             % (len(want), kind, missing[:10], extra[:10]))
            differ = sorted(k for k in want if got[k][0] != want[k])
            self.assertEqual(differ, [], "expected %s equal to the input; these differ: %s"
                             % (kind, differ[:10]))

    def uploads(self, job):
        return [r for r in job["requests"] if r["path"].endswith(("/entities", "/relationships"))]


class CleanUpload(UploadCase):
    def test_clean_upload_delivers_exactly_the_input_and_finalizes(self):
        s = self.start()
        res = self.upload(s, "--in", GRAPH)
        self.assertExit(res, 0)
        job = self.only_job(s)
        ents, rels = read_graph(GRAPH)
        self.assertArrivedExactly(job, ents, rels)
        self.assertEqual(job["status"], "FINISHED", "expected a FINISHED job, got %s" % job["status"])
        self.assertEqual(job["finalizeBody"], {"partialDatasets": {"types": []}})
        self.assertEqual((job["source"], job["integrationInstanceId"]),
                         ("integration-managed", INSTANCE))
        self.assertEqual(job["accountHeader"], "JupiterOne-Account")
        ups = self.uploads(job)
        self.assertTrue(ups and all(r["contentEncoding"] == "gzip" for r in ups),
                        "expected every upload gzip-compressed, got %s"
                        % sorted(set(r["contentEncoding"] for r in ups)))
        ids = [r["correlationId"] for r in ups]
        self.assertTrue(all(ids) and len(set(ids)) == len(ids),
                        "expected one distinct JupiterOne-Correlation-Id per batch, got %s" % ids)
        kinds = [r["path"].rsplit("/", 1)[1] for r in ups]
        self.assertEqual(kinds, sorted(kinds), "expected every entity batch before any "
                         "relationship batch, got %s" % kinds)
        self.assertIn(b"finalized", res.err)

    def test_stream_from_transform_is_uploaded(self):
        s = self.start()
        res = self.upload(s, "--in", "-", input=STREAM)
        self.assertExit(res, 0)
        ents, rels = read_graph(GRAPH)
        self.assertArrivedExactly(self.only_job(s), ents, rels)

    def test_stream_piped_from_transform_is_uploaded(self):
        s = self.start()
        env = self.env(JUPITERONE_API_KEY=KEY, JUPITERONE_ACCOUNT=ACCOUNT)
        tr = subprocess.Popen([program_path("transform"), "--in", shared.dump, "--out", "-"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        up = subprocess.run([program_path("upload"), "--in", "-", "--api-base-url", s.url,
                             "-i", INSTANCE], stdin=tr.stdout, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, timeout=120)
        tr.stdout.close()
        self.assertEqual((tr.wait(60), up.returncode), (0, 0),
                         "expected transform | upload to exit 0 0, got %s %s: %s"
                         % (tr.returncode, up.returncode, up.stderr[-2000:]))
        ents, rels = read_graph(GRAPH)
        self.assertArrivedExactly(self.only_job(s), ents, rels)

    def test_many_small_batches_with_concurrency(self):
        s = self.start()
        res = self.upload(s, "--in", GRAPH, "--batch-bytes", "6000", "--concurrency", "4")
        self.assertExit(res, 0)
        job = self.only_job(s)
        ents, rels = read_graph(GRAPH)
        for k, o in list(ents.items()):  # too big for a batch alone: sent without _rawData
            if alone_too_big(o, 6000):
                ents[k] = without_raw(o)
        self.assertArrivedExactly(job, ents, rels)
        self.assertGreater(len(self.uploads(job)), 10, "expected many batches")

    def test_skip_finalize_leaves_the_job_open(self):
        s = self.start()
        res = self.upload(s, "--in", GRAPH, "--skip-finalize")
        self.assertExit(res, 0)
        job = self.only_job(s)
        self.assertEqual((job["status"], job["finalizeBody"]), ("AWAITING_UPLOADS", None))
        self.assertIn(b'Job will remain in "AWAITING_UPLOADS" state', res.err)

    def test_source_api_with_scope(self):
        s = self.start()
        res = self.upload(s, "--in", GRAPH, "--source", "api", "--scope", "npm-acme",
                          instance=None)
        self.assertExit(res, 0)
        job = self.only_job(s)
        self.assertEqual((job["source"], job["scope"], job["integrationInstanceId"]),
                         ("api", "npm-acme", None))


class ShapedLink(UploadCase):
    """fake_j1.py's shaped link, which the upload benchmark relies on. Only
    lower bounds: a busy machine can make anything slower, never faster."""

    def test_shaped_link_costs_a_round_trip_a_request_and_paces_the_bytes(self):
        s = self.start("--rtt-ms", "150", "--bandwidth-mbit", "0.4")
        t0 = time.monotonic()
        res = self.upload(s, "--in", GRAPH)
        took = time.monotonic() - t0
        self.assertExit(res, 0)
        job = self.only_job(s)
        ents, rels = read_graph(GRAPH)
        self.assertArrivedExactly(job, ents, rels)
        reqs = job["requests"]
        sent = sum(r["bytes"] for r in reqs)
        # the control calls (create, finalize, status) one round trip each,
        # one after another; uploads may overlap their round trips, but
        # not their bytes: every body at 50,000 bytes a second, one link
        control = [r for r in reqs if not r["path"].endswith(("/entities", "/relationships"))]
        floor = len(control) * 0.150 + sent / 50000.0
        self.assertGreaterEqual(took, floor * 0.95,
                                "expected at least %.2f s for %d requests and %d bytes behind "
                                "the shaped link, took %.2f s" % (floor, len(reqs), sent, took))
        opts = self.record(s)["options"]
        self.assertEqual((opts["rttMs"], opts["bandwidthMbit"]), (150.0, 0.4))
        self.assertGreaterEqual(opts["receiveBuffer"], 64 << 10)

class Failures(UploadCase):
    def test_faults_every_object_arrives_exactly_once(self):
        # 20% of uploads fail (429, 500, 503, reset, reset-after = a lost
        # answer), after a script that makes the first lost answers certain.
        s = self.start("--fault-script", "reset-after,ok,reset,reset-after,429",
                       "--fault-rate", "0.2", "--faults", "429,500,503,reset,reset-after",
                       "--retry-after", "0", "--seed", "5")
        res = self.upload(s, "--in", GRAPH, "--batch-bytes", "8000", "--max-retry-wait", "2")
        self.assertExit(res, 0)
        job = self.only_job(s)
        self.assertEqual(job["status"], "FINISHED")
        ents, rels = read_graph(GRAPH)
        for k, o in list(ents.items()):
            if alone_too_big(o, 8000):
                ents[k] = without_raw(o)
        self.assertArrivedExactly(job, ents, rels)
        faults = [r["fault"] for r in job["requests"] if r["fault"]]
        self.assertIn("reset-after", faults, "expected the run to meet lost answers")
        by_id = {}
        for r in self.uploads(job):
            by_id.setdefault(r["correlationId"], []).append(r)
        for cid, reqs in by_id.items():
            accepted = [r for r in reqs if r["accepted"]]
            self.assertLessEqual(len(accepted), 1, "batch %s was accepted %d times"
                                 % (cid, len(accepted)))
            self.assertEqual(len({r["objects"] for r in reqs if r["objects"] is not None}) <= 1,
                             True, "expected one batch per correlation id, got %s" % reqs)
        self.assertEqual(job["duplicateEntityKeys"], {})
        self.assertEqual(job["duplicateRelationshipKeys"], {})

    def test_413_splits_batches_until_they_fit(self):
        s = self.start("--body-limit", "2500")
        res = self.upload(s, "--in", GRAPH)
        self.assertExit(res, 0)
        job = self.only_job(s)
        ents, rels = read_graph(GRAPH)
        self.assertArrivedExactly(job, ents, rels)
        self.assertIn(413, [r["status"] for r in job["requests"]], "expected the fake to 413")

    def test_413_on_a_lone_object_sends_it_without_raw_data(self):
        s = self.start("--reject-key-substring", "npm-package:@acme/core")
        res = self.upload(s, "--in", GRAPH)
        self.assertExit(res, 0)
        job = self.only_job(s)
        ents, rels = read_graph(GRAPH)
        k = "npm-package:@acme/core"
        ents[k] = without_raw(ents[k])
        self.assertArrivedExactly(job, ents, rels)
        self.assertIn(b"npm-package:@acme/core", res.err)
        self.assertEqual(job["finalizeBody"], {"partialDatasets": {"types": []}})

    def test_object_too_large_even_without_raw_data_is_reported_and_partial(self):
        s = self.start("--reject-key-substring", "npm-user:oscar", "--reject-even-without-rawdata")
        res = self.upload(s, "--in", GRAPH)
        self.assertExit(res, 3)
        job = self.only_job(s)
        self.assertEqual(job["status"], "FINISHED")
        ents, rels = read_graph(GRAPH)
        gone_e = {k: v for k, v in ents.items() if "npm-user:oscar" in k}
        gone_r = {k: v for k, v in rels.items() if "npm-user:oscar" in k}
        self.assertTrue(gone_e and gone_r)
        self.assertArrivedExactly(job, {k: v for k, v in ents.items() if k not in gone_e},
                                  {k: v for k, v in rels.items() if k not in gone_r})
        types = job["finalizeBody"]["partialDatasets"]["types"]
        want = {o["_type"] for o in list(gone_e.values()) + list(gone_r.values())}
        self.assertEqual(set(types), want, "expected the dropped objects' types as partial "
                         "datasets, got %s" % types)
        for k in gone_e:
            self.assertIn(k.encode(), res.err, "expected %s reported by _key" % k)

    def test_wrong_key_exits_4_quickly_with_few_requests(self):
        s = self.start()
        t0 = time.time()
        res = self.upload(s, "--in", GRAPH, key="not-the-right-key-42")
        self.assertExit(res, 4)
        self.assertLess(time.time() - t0, 5, "expected exit 4 within seconds")
        rec = self.record(s)
        n = len(rec["otherRequests"]) + sum(len(j["requests"]) for j in rec["jobs"])
        self.assertLessEqual(n, 2, "expected at most 2 requests, got %d" % n)
        self.assertIn(b"JUPITERONE_API_KEY", res.err)

    def test_wrong_account_exits_4(self):
        s = self.start()
        res = self.upload(s, "--in", GRAPH, account="someone-else")
        self.assertExit(res, 4)
        self.assertIn(b"someone-else", res.err)

    def test_401_during_upload_aborts_once_and_exits_4(self):
        s = self.start("--fail-status", "401")
        t0 = time.time()
        res = self.upload(s, "--in", GRAPH, "--batch-bytes", "8000")
        self.assertExit(res, 4)
        self.assertLess(time.time() - t0, 5)
        job = self.only_job(s)
        aborts = [r for r in job["requests"] if r["path"].endswith("/abort")]
        self.assertEqual(len(aborts), 1, "expected one abort attempt, got %d" % len(aborts))
        self.assertEqual(job["status"], "ABORTED")
        self.assertLessEqual(len(self.uploads(job)), 6, "expected no retry storm")

    def test_persistent_400_aborts_the_job_with_a_reason(self):
        s = self.start("--fail-status", "400", "--fail-code", "SOME_CODE")
        res = self.upload(s, "--in", GRAPH)
        self.assertExit(res, 1)
        job = self.only_job(s)
        self.assertEqual(job["status"], "ABORTED")
        self.assertIn("SOME_CODE", job["abortReason"] or "",
                      "expected the API's code in the abort reason, got %r" % job["abortReason"])
        self.assertIsNone(job["finalizeBody"])
        self.assertLessEqual(len(self.uploads(job)), 2, "a 400 must not be retried")

    def test_stream_without_summary_aborts_and_never_finalizes(self):
        lines = gzip.decompress(STREAM).split(b"\n")
        lines = [l for l in lines if l and not l.startswith(b'{"summary"')]
        cut = gzip.compress(b"\n".join(lines) + b"\n")
        s = self.start()
        res = self.upload(s, "--in", "-", input=cut)
        self.assertNotEqual(res.rc, 0, "expected a failure, got %r" % res)
        job = self.only_job(s)
        self.assertEqual((job["status"], job["finalizeBody"]), ("ABORTED", None))
        self.assertIn("summary", job["abortReason"] or "")

    def test_job_ended_elsewhere_stops_without_abort(self):
        s = self.start("--fail-status", "400", "--fail-code", "JOB_NOT_AWAITING_UPLOADS")
        res = self.upload(s, "--in", GRAPH)
        self.assertExit(res, 1)
        job = self.only_job(s)
        self.assertEqual([r for r in job["requests"] if r["path"].endswith("/abort")], [])
        self.assertIn(b"no longer awaiting uploads", res.err)


class Inputs(UploadCase):
    def sdk_dir(self, root):
        """A storage directory as the official SDK writes it: pretty-printed
        files named by UUID, several per step, an index/ of symlinks, summary.json."""
        ents = [{"_key": "svc-user-%d" % i, "_type": "acme_user", "_class": ["User"],
                 "name": "user %d" % i, "displayName": "user %d" % i, "active": i % 2 == 0,
                 "tags": ["a", "b"], "createdOn": 1600000000000 + i,
                 "_rawData": [{"name": "default", "rawData": {"id": i, "nested": {"x": [1, 2]}}}]}
                for i in range(7)]
        ents += [{"_key": "svc-group-%d" % i, "_type": "acme_group", "_class": "UserGroup",
                  "name": "g\u00e9 %d" % i, "displayName": "group %d" % i, "score": 0.5}
                 for i in range(3)]
        rels = [{"_key": "svc-group-%d|has|svc-user-%d" % (i % 3, i), "_type": "acme_group_has_user",
                 "_class": "HAS", "_fromEntityKey": "svc-group-%d" % (i % 3),
                 "_toEntityKey": "svc-user-%d" % i, "displayName": "HAS"} for i in range(7)]
        rels.append({"_key": "svc-user-0|uses|repo", "_type": "acme_user_uses_repo",
                     "_class": "USES", "displayName": "USES",
                     "_mapping": {"relationshipDirection": "FORWARD", "sourceEntityKey": "svc-user-0",
                                  "targetFilterKeys": [["_class", "name"]],
                                  "targetEntity": {"_class": "CodeRepo", "name": "repo"}}})
        chunks = [("fetch-users", "entities", ents[0:4]), ("fetch-users", "entities", ents[4:7]),
                  ("fetch-groups", "entities", ents[7:]), ("fetch-groups", "relationships", rels[:4]),
                  ("fetch-groups", "relationships", rels[4:]),
                  ("fetch-users", "relationships", [])]
        for step, kind, objs in chunks:
            d = os.path.join(root, "graph", step, kind)
            os.makedirs(d, exist_ok=True)
            name = str(uuid.uuid4()) + ".json"
            with open(os.path.join(d, name), "w", encoding="utf-8") as f:
                json.dump({kind: objs}, f, indent=2, ensure_ascii=False)
            if objs:
                idx = os.path.join(root, "index", kind, objs[0]["_type"])
                os.makedirs(idx, exist_ok=True)
                os.symlink(os.path.join(d, name), os.path.join(idx, name))
        summary = {"integrationStepResults": [
            {"id": "fetch-users", "name": "Fetch Users", "declaredTypes": ["acme_user"],
             "partialTypes": [], "encounteredTypes": ["acme_user"], "status": "success"},
            {"id": "fetch-groups", "name": "Fetch Groups", "dependsOn": ["fetch-users"],
             "declaredTypes": ["acme_group", "acme_group_has_user"], "partialTypes": [],
             "encounteredTypes": ["acme_group", "acme_group_has_user"], "status": "failure"}],
            "metadata": {"partialDatasets": {"types": ["acme_group", "acme_group_has_user"]}}}
        with open(os.path.join(root, "summary.json"), "w") as f:
            json.dump(summary, f)
        return {o["_key"]: o for o in ents}, {o["_key"]: o for o in rels}

    def test_official_sdk_storage_directory_is_uploaded(self):
        root = self.path("sdk-storage")
        ents, rels = self.sdk_dir(root)
        s = self.start()
        res = self.upload(s, "--in", root)
        self.assertExit(res, 3)  # the summary declares two types partial
        job = self.only_job(s)
        self.assertArrivedExactly(job, ents, rels)
        self.assertEqual(job["finalizeBody"],
                         {"partialDatasets": {"types": ["acme_group", "acme_group_has_user"]}})

    def test_project_directory_holding_j1_integration_is_accepted(self):
        proj = self.path("project")
        os.makedirs(proj)
        shutil.copytree(GRAPH, os.path.join(proj, ".j1-integration"))
        s = self.start()
        res = self.upload(s, "--in", proj)
        self.assertExit(res, 0)
        ents, rels = read_graph(GRAPH)
        self.assertArrivedExactly(self.only_job(s), ents, rels)

    def test_partial_datasets_from_summary_go_to_finalize(self):
        d = self.path("graph-partial")
        shutil.copytree(GRAPH, d)
        p = os.path.join(d, "summary.json")
        with open(p, encoding="utf-8") as f:
            summary = json.load(f)
        summary["metadata"]["partialDatasets"]["types"] = ["npm_package", "npm_team_has_user"]
        with open(p, "w") as f:
            json.dump(summary, f)
        s = self.start()
        res = self.upload(s, "--in", d)
        self.assertExit(res, 3)  # partial input: the last status of a pipe says so
        self.assertEqual(self.only_job(s)["finalizeBody"],
                         {"partialDatasets": {"types": ["npm_package", "npm_team_has_user"]}})

    def test_directory_without_summary_is_refused_before_any_job(self):
        d = self.path("graph-nosummary")
        shutil.copytree(GRAPH, d)
        os.unlink(os.path.join(d, "summary.json"))
        s = self.start()
        res = self.upload(s, "--in", d)
        self.assertExit(res, 1)
        self.assertIn(b"summary.json", res.err)
        self.assertEqual(self.record(s)["jobs"], [])

    def test_invalid_object_is_reported_and_its_type_marked_partial(self):
        root = self.path("sdk-bad")
        ents, rels = self.sdk_dir(root)
        bad = {"_key": "svc-user-bad", "_type": "acme_user", "_class": ["User"],
               "name": "x", "nested": {"not": "allowed"}}
        dup = dict(ents["svc-user-1"], name="second copy")
        d = os.path.join(root, "graph", "fetch-users", "entities")
        with open(os.path.join(d, "zz-extra.json"), "w") as f:
            json.dump({"entities": [bad, dup]}, f, indent=2)
        s = self.start()
        res = self.upload(s, "--in", root)
        self.assertExit(res, 3)
        job = self.only_job(s)
        self.assertArrivedExactly(job, ents, rels)
        self.assertIn("acme_user", job["finalizeBody"]["partialDatasets"]["types"])
        self.assertIn(b"svc-user-bad", res.err)
        self.assertIn(b"nested", res.err)


    def test_pretty_printed_objects_arrive_as_they_were_also_across_read_buffers(self):
        root = self.path("sdk-large")
        ents, rels = self.sdk_dir(root)
        # Enough text that objects straddle the 256 KB read buffer, one of
        # them larger than it; whitespace inside strings must survive.
        big = [{"_key": "svc-big-%d" % i, "_type": "acme_blob", "_class": "Record",
                "text": "  two  spaces,\ta tab, a \"quote\" and \\ \n" * (40 if i else 20000),
                "n": i, "list": [1.5, -2, 3e3]} for i in range(400)]
        d = os.path.join(root, "graph", "fetch-blobs", "entities")
        os.makedirs(d)
        with open(os.path.join(d, "blobs.json"), "w", encoding="utf-8") as f:
            json.dump({"entities": big}, f, indent=4)
        ents.update({o["_key"]: o for o in big})
        s = self.start()
        res = self.upload(s, "--in", root)
        self.assertExit(res, 3)  # sdk_dir's summary declares two types partial
        self.assertArrivedExactly(self.only_job(s), ents, rels)

    def test_whitespace_joining_two_numbers_is_refused_not_merged(self):
        root = self.path("sdk-joined")
        ents, rels = self.sdk_dir(root)
        d = os.path.join(root, "graph", "fetch-users", "entities")
        with open(os.path.join(d, "zz-joined.json"), "w") as f:
            f.write('{\n  "entities": [\n    {\n      "_key": "svc-user-joined",\n'
                    '      "_type": "acme_user",\n      "_class": "User",\n'
                    '      "count": 1 2\n    }\n  ]\n}\n')
        s = self.start()
        res = self.upload(s, "--in", root)
        # Not JSON, so not an object whose _type could be marked partial:
        # the job is aborted, and "1 2" never travels as 12.
        self.assertExit(res, 1)
        self.assertIn(b"zz-joined.json entities[0]: is not valid JSON", res.err)
        job = self.only_job(s)
        self.assertEqual(job["status"], "ABORTED")
        self.assertNotIn("svc-user-joined", job["entityKeys"])

class Safety(UploadCase):
    def test_api_key_never_appears_in_any_output(self):
        key = "Sup3r-Secret-Key-7f3a9c0e21"
        s = self.start(key=key)
        bad = self.start("--fail-status", "400", key=key)
        runs = [
            self.upload(s, "--in", GRAPH, "--verbose", key=key),
            self.upload(s, "--in", GRAPH, "--verbose", "--log-format", "json", key=key),
            self.upload(s, "--in", "-", "--verbose", "--log-format", "json", key=key,
                        input=STREAM),
            self.upload(s, "--in", GRAPH, "--verbose", key=key, account="other-acct"),
            self.upload(bad, "--in", GRAPH, "--verbose", "--log-format", "json", key=key),
            self.upload(s, "--in", GRAPH, "--dry-run", "--verbose", key=key),
            self.upload(s, "--in", GRAPH, "--api-key", key, key=key),
            self.upload(s, "--in", GRAPH, "--api-key=" + key, key=key),
            self.upload(s, "--in", GRAPH, "--api-k=" + key, key=key),
        ]
        self.assertEqual([r.rc for r in runs], [0, 0, 0, 4, 1, 0, 2, 2, 2])
        for r in runs:
            for name, data in (("stdout", r.out), ("stderr", r.err)):
                self.assertNotIn(key.encode(), data, "the key appeared on %s of %s"
                                 % (name, r.args))
        for srv in (s, bad):
            with open(srv.record, "rb") as f:
                self.assertNotIn(key.encode(), f.read(), "the key reached the fake's record")

    def test_dry_run_touches_no_network_and_needs_no_key(self):
        s = self.start()
        env = self.env()  # no key, no account
        for args, inp in (([GRAPH], None), (["-"], STREAM)):
            res = self.run_prog("upload", "--in", *args, "--dry-run", "--api-base-url", s.url,
                                env=env, input=inp)
            self.assertExit(res, 0)
            out = res.out.decode()
            self.assertIn("/persister/synchronization/jobs/<job id>/entities", out)
            self.assertIn("/persister/synchronization/jobs/<job id>/relationships", out)
            self.assertIn('{"partialDatasets":{"types":[]}}', out)
        # And against a closed port: still fine, as nothing connects.
        res = self.run_prog("upload", "--in", GRAPH, "--dry-run", "--api-base-url",
                            "http://127.0.0.1:9/", env=env)
        self.assertExit(res, 0)
        rec = self.record(s)
        self.assertEqual((rec["jobs"], rec["otherRequests"]), ([], []),
                         "expected the fake to see no request")

    def test_usage_errors_exit_2(self):
        env = self.env(JUPITERONE_API_KEY=KEY, JUPITERONE_ACCOUNT=ACCOUNT)
        cases = [
            (["--in", GRAPH, "--api-key", "k"], b"JUPITERONE_API_KEY"),
            (["--in", GRAPH, "--source", "api"],
             b"Invalid configuration supplied. --source api requires --scope flag."),
            (["--in", GRAPH, "--source", "api", "--scope", "s", "-i", "x"],
             b"Invalid configuration supplied. Cannot specify both --source api and "
             b"--integrationInstanceId flags."),
            (["--in", GRAPH, "--source", "api", "--scope", "s", "--integrationInstanceId", "x"],
             b"Cannot specify both --source api and --integrationInstanceId flags."),
            (["--in", GRAPH],
             b"Invalid configuration supplied. --integrationInstanceId or --source api and "
             b"--scope required."),
            (["--in", GRAPH, "-i", "x", "--source", "nope"],
             b'--source must be one of "integration-managed", "integration-external", or "api"'),
            (["--in", GRAPH, "-i", "x", "--api-base-url", "http://example.com/"], b"plain http"),
            (["--in", GRAPH, "-i", "x", "--concurrency", "0"], b"--concurrency"),
            (["--in", GRAPH, "-p", GRAPH, "-i", "x"], b"not both"),
            (["--in", GRAPH, "-i", "x", "--wait", "--skip-finalize"], b"--skip-finalize"),
            (["--in", GRAPH, "-i", "x", "-u", "0"], b"--upload-batch-size"),
            (["--in", GRAPH, "-i", "x", "-ur", "x"], b"--upload-relationship-batch-size"),
            (["--in", GRAPH, "-i", "x", "--wait=0"], b"--wait"),
        ]
        for args, msg in cases:
            res = self.run_prog("upload", *args, env=env)
            self.assertEqual(res.rc, 2, "expected exit 2 for %s, got %r" % (args, res))
            self.assertIn(msg, res.err, "for %s" % args)
        res = self.run_prog("upload", "--in", GRAPH, "-i", "x", env=self.env(
            JUPITERONE_ACCOUNT=ACCOUNT))
        self.assertEqual(res.rc, 2)
        self.assertIn(b"The JUPITERONE_API_KEY environment variable must be set", res.err)

    def test_api_key_file_is_read(self):
        s = self.start()
        kf = self.path("key")
        with open(kf, "w") as f:
            f.write(KEY + "\n")
        os.chmod(kf, 0o600)
        res = self.upload(s, "--in", GRAPH, "--api-key-file", kf,
                          env=self.env(JUPITERONE_ACCOUNT=ACCOUNT))
        self.assertExit(res, 0)


def program_path(name):
    from harness import program
    return program(name)


class Interop(UploadCase):
    def test_official_sync_uploads_this_projects_transform_output(self):
        cli = official_sdk_cli(self)
        proj = self.path("project")
        os.makedirs(proj)
        shutil.copytree(GRAPH, os.path.join(proj, ".j1-integration"))
        s = self.start()
        env = self.env(JUPITERONE_API_KEY=KEY)
        r = subprocess.run([cli, "sync", "-p", proj, "--api-base-url", s.url.rstrip("/"),
                            "--account", ACCOUNT, "-i", INSTANCE], cwd=proj, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
        self.assertEqual(r.returncode, 0, "official sync failed: %s"
                         % (r.stdout + r.stderr).decode()[-3000:])
        job = self.only_job(s)
        ents, rels = read_graph(GRAPH)
        self.assertArrivedExactly(job, ents, rels)
        self.assertEqual(job["status"], "FINISHED")


if __name__ == "__main__":
    unittest.main()


class NeverFinalizeOverASkip(UploadCase):
    """Anything upload could not read stops the run before finalize; an
    empty upload that declares nothing partial is refused; a signal ends
    the run within seconds and still aborts the job."""

    def copy_graph(self, name="g"):
        d = self.path(name)
        shutil.copytree(GRAPH, d)
        return d

    def jobs(self, server):
        return self.record(server)["jobs"]

    def test_a_symlink_inside_the_input_stops_the_run_before_any_job(self):
        s = self.start()
        d = self.copy_graph()
        step = os.path.join(d, "graph", "fetch-org-teams")
        shutil.move(step, self.path("elsewhere"))
        os.symlink(self.path("elsewhere"), step)
        res = self.upload(s, "--in", d)
        self.assertExit(res, 1)
        self.assertIn(b"is a symbolic link", res.err)
        self.assertEqual(self.jobs(s), [], "no job is created")
        d2 = self.copy_graph("g2")
        f = os.path.join(d2, "graph", "fetch-org-teams", "entities", "npm_team-0002.json")
        os.symlink(os.path.join(d2, "graph", "fetch-org-teams", "entities", "npm_team-0001.json"), f)
        res = self.upload(s, "--in", d2)
        self.assertExit(res, 1)
        self.assertIn(b"is a symbolic link", res.err)
        self.assertEqual(self.jobs(s), [], "no job is created")

    def test_a_file_that_is_not_a_graph_file_aborts_the_job(self):
        s = self.start()
        d = self.copy_graph()
        with open(os.path.join(d, "graph", "fetch-org-teams", "notes.txt"), "w") as f:
            f.write("hello\n")
        res = self.upload(s, "--in", d)
        self.assertExit(res, 1)
        self.assertIn(b"not a JSON graph file", res.err)
        for job in self.jobs(s):
            self.assertEqual(job["status"], "ABORTED")

    def test_an_empty_upload_is_refused_unless_allowed(self):
        s = self.start()
        d = self.path("empty")
        os.makedirs(d)
        shutil.copy(os.path.join(GRAPH, "summary.json"), d)
        res = self.upload(s, "--in", d)
        self.assertExit(res, 1)
        self.assertIn(b"--allow-empty", res.err)
        self.assertEqual(self.jobs(s), [], "no job is created")
        res = self.upload(s, "--in", d, "--allow-empty")
        self.assertExit(res, 0)
        self.assertEqual(self.only_job(s)["status"], "FINISHED")
        # a stream that holds only its summary: known at its end, so the job
        # that was created is aborted, not finalized
        s2 = self.start()
        stream = gzip.compress(b'{"summary":{"integrationStepResults":[],'
                               b'"metadata":{"partialDatasets":{"types":[]}}}}\n')
        res = self.upload(s2, "--in", "-", input=stream)
        self.assertExit(res, 1)
        self.assertIn(b"--allow-empty", res.err)
        self.assertEqual(self.only_job(s2)["status"], "ABORTED")

    def test_an_entity_without_key_is_left_out_and_its_type_partial(self):
        s = self.start()
        d = self.copy_graph()
        p = os.path.join(d, "graph", "fetch-org-teams", "entities", "npm_team-0001.json")
        with open(p) as f:
            doc = json.load(f)
        doc["entities"][0].pop("_key")
        with open(p, "w") as f:
            json.dump(doc, f)
        res = self.upload(s, "--in", d)
        self.assertExit(res, 3)
        self.assertNotIn(b"usable _type", res.err)
        job = self.only_job(s)
        self.assertEqual(job["status"], "FINISHED")
        self.assertIn("npm_team", job["finalizeBody"]["partialDatasets"]["types"])

    def signal_upload(self, server, sig, args, feed=None):
        import signal as _s
        env = self.env(JUPITERONE_API_KEY=KEY, JUPITERONE_ACCOUNT=ACCOUNT)
        errf = open(self.path("upload.stderr"), "w+b")
        p = subprocess.Popen([program_path("upload"), "--api-base-url", server.url, "-i",
                              INSTANCE] + args, stdin=subprocess.PIPE if feed else None,
                             stdout=subprocess.DEVNULL, stderr=errf, env=env)
        if feed:
            p.stdin.write(feed)
            p.stdin.flush()
        time.sleep(1.5)
        self.assertIsNone(p.poll(), "upload ended before the signal")
        t0 = time.monotonic()
        p.send_signal(sig)
        try:
            rc = p.wait(timeout=15)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            if feed:
                p.stdin.close()
        took = time.monotonic() - t0
        errf.seek(0)
        err = errf.read().decode()
        errf.close()
        return rc, took, err

    def test_a_signal_on_a_stalled_pipe_ends_the_run_and_aborts_the_job(self):
        import signal as _s
        s = self.start()
        # More than the reader's first 256 KB chunk, so that the first record
        # was read and the job exists when the pipe stalls.
        lines = b"".join(b'{"entity":{"_key":"stall-%d","_type":"acme_user","_class":"User",'
                         b'"name":"%s"}}\n' % (i, b"x" * 200) for i in range(3000))
        rc, took, err = self.signal_upload(s, _s.SIGINT, ["--in", "-"],
                                           feed=gzip.compress(lines))
        self.assertEqual(rc, 130, err)
        self.assertLess(took, 3.0, err)
        self.assertEqual(self.only_job(s)["status"], "ABORTED", err)

    def test_a_signal_before_the_first_record_ends_the_run_with_no_job(self):
        import signal as _s
        s = self.start()
        rc, took, err = self.signal_upload(s, _s.SIGINT, ["--in", "-"],
                                           feed=STREAM[:len(STREAM) // 2])
        self.assertEqual(rc, 130, err)
        self.assertLess(took, 3.0, err)
        self.assertEqual(self.record(s)["jobs"], [], err)

    def test_a_signal_during_a_retry_after_wait_ends_the_run_and_aborts_the_job(self):
        import signal as _s
        s = self.start("--fault-script", "429,429,429", "--retry-after", "60")
        rc, took, err = self.signal_upload(s, _s.SIGTERM, ["--in", GRAPH])
        self.assertEqual(rc, 143, err)
        self.assertLess(took, 5.0, err)
        self.assertEqual(self.only_job(s)["status"], "ABORTED", err)
