"""test_supply_collect.py - collect's supply-chain kinds: the collecting
account's profile and tokens, the latest versions' attestations and the
bulk advisories, against the fixture org (fixtures/acme/README.md, "Supply
chain") served by scripts/fake_registry.py."""
import hashlib
import json
import os
import signal
import subprocess
import sys
import unittest

import harness
from harness import FIXTURE, FIXTURE_TOKEN, SCRIPTS, Case, read_dump, read_ndjson_gz, \
    server_log, wait_for

REG = harness.load_json(os.path.join(FIXTURE, "registry.json"))
ATTESTATIONS = harness.load_json(os.path.join(FIXTURE, "attestations.json"))
ORG = REG["org"]
SUPPLY = ["collector_profile", "collector_tokens", "attestations", "advisories"]
BULK = "/-/npm/v1/security/advisories/bulk"


def packument(name):
    return harness.load_json(os.path.join(FIXTURE, "packuments",
                                          name.replace("/", "%2f") + ".json"))


DOCS = {name: packument(name) for name in REG["packages"]}
VERSIONS = {name: list(d["versions"]) for name, d in DOCS.items()}
# "name@latest" of each package whose latest version has dist.attestations
ATTESTED = sorted("%s@%s" % (n, d["dist-tags"]["latest"]) for n, d in DOCS.items()
                  if "attestations" in d["versions"][d["dist-tags"]["latest"]]["dist"])


def token_key(token):
    return hashlib.sha512(token.encode()).hexdigest()


def att_path(subject):
    name, _, version = subject.rpartition("@")
    return "/-/npm/v1/attestations/%s@%s" % (name.replace("/", "%2f"), version)


class SupplyCase(Case):
    def run_collect(self, *server_args, out="dump", args=(), env=None, token=FIXTURE_TOKEN):
        log = self.path("requests-%d.log" % len(self.servers))
        srv = self.registry("--log", log, *server_args)
        e = self.env(NPM_TOKEN=token, **(env or {}))
        res = self.collect(srv, self.path(out), *args, env=e)
        return res, log

    def assertOnlyKindFailed(self, manifest, kind, failed=1):
        for k, c in manifest["counts"].items():
            self.assertEqual(c["failed"], failed if k == kind else 0,
                             "failed records of %s (only %s should have failed)" % (k, kind))
        self.assertIs(manifest["complete"], False)


class CleanRunTest(SupplyCase):
    @classmethod
    def setUpClass(cls):
        cls.case = SupplyCase("setUp")  # a helper instance owning the server and the tmp dir
        cls.case.setUp()
        cls.res, cls.log = cls.case.run_collect()
        cls.kinds, cls.manifest = read_dump(cls.case.path("dump"))

    @classmethod
    def tearDownClass(cls):
        cls.case.tearDown()

    def test_every_supply_kind_is_collected_with_the_fixture_counts_and_subjects(self):
        self.assertExit(self.res, 0)
        want = {"collector_profile": [ORG], "collector_tokens": [ORG], "attestations": ATTESTED,
                "advisories": [ORG]}
        for kind in SUPPLY:
            got = sorted(r["subject"] for r in self.kinds[kind])
            self.assertEqual(got, sorted(want[kind]), "subjects of %s" % kind)
            c = self.manifest["counts"][kind]
            self.assertEqual((c["ok"], c["failed"]), (len(want[kind]), 0), "counts of %s" % kind)
        self.assertEqual(ATTESTED, ["@acme/auth-client@0.4.1", "@acme/core@2.0.0",
                                    "@acme/logger@3.2.0", "@acme/ui-button@1.1.0"])

    def test_collector_profile_and_tokens_are_the_registrys_answers(self):
        (prof,) = self.kinds["collector_profile"]
        self.assertEqual(prof["request"], {"method": "GET", "path": "/-/npm/v1/user"})
        self.assertEqual(prof["body"], REG["npm_user"])
        self.assertEqual(prof["body"]["tfa"]["mode"], "auth-and-writes")
        (toks,) = self.kinds["collector_tokens"]
        self.assertEqual(toks["request"], {"method": "GET", "path": "/-/npm/v1/tokens"})
        self.assertEqual(toks["body"]["objects"], REG["tokens"])

    def test_token_key_is_the_sha512_hex_of_the_token_and_names_it_in_the_list(self):
        (toks,) = self.kinds["collector_tokens"]
        self.assertEqual(toks["token_key"], token_key(FIXTURE_TOKEN))
        listed = [o for o in toks["body"]["objects"] if o["key"] == toks["token_key"]]
        self.assertEqual(len(listed), 1, "the collecting token must be found by its key")
        self.assertIs(listed[0]["readonly"], False)

    def test_attestations_are_asked_at_the_registrys_own_path_for_the_latest_version(self):
        for rec in self.kinds["attestations"]:
            s = rec["subject"]
            self.assertEqual(rec["request"], {"method": "GET", "path": att_path(s)}, s)
            self.assertEqual(rec["status"], 200, s)
            self.assertEqual(rec["body"], ATTESTATIONS[s], s)
        asked = sorted(r["path"] for r in server_log(self.log) if "/attestations/" in r["path"])
        self.assertEqual(asked, sorted(att_path(s) for s in ATTESTED),
                         "one attestation request per package whose latest is attested")

    def test_advisories_ask_every_version_of_every_package_in_one_gzip_post(self):
        (adv,) = self.kinds["advisories"]
        self.assertEqual(adv["request"]["method"], "POST")
        self.assertEqual(adv["request"]["path"], BULK)
        self.assertEqual(adv["request"]["body"], VERSIONS)
        self.assertEqual(adv["body"], REG["advisories"])
        posts = [r for r in server_log(self.log) if r["method"] == "POST"]
        self.assertEqual(len(posts), 1)
        self.assertIs(posts[0]["req_gzip"], True, "the bulk body must be sent gzip-encoded")
        self.assertEqual(posts[0]["req"], VERSIONS)

    def test_the_collecting_token_that_can_publish_is_warned_about_once(self):
        err = self.res.err.decode()
        self.assertEqual(err.count("a read-only token is enough"), 1, err)
        self.assertIn("created 2026-01-15", err)

    def test_nothing_of_the_token_is_in_the_dump(self):
        secret = FIXTURE_TOKEN[6:].encode()  # beyond the registry's listed prefix
        for rel, data in harness.written_bytes(self.case.path("dump")):
            self.assertNotIn(FIXTURE_TOKEN.encode(), data, rel)
            self.assertNotIn(secret, data, rel)


class BatchTest(SupplyCase):
    def test_advisory_batches_cover_every_version_of_every_package_exactly_once(self):
        res, log = self.run_collect(env={"J1NPM_ADVISORY_BATCH_BYTES": "300"})
        self.assertExit(res, 0)
        kinds, manifest = read_dump(self.path("dump"))
        batches = kinds["advisories"]
        self.assertGreater(len(batches), 2, "a 300-byte bound must split the fixture's versions")
        seen = {}
        for b in batches:
            body = b["request"]["body"]
            text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
            if len(body) > 1:
                self.assertLessEqual(len(text.encode()), 300, "batch over the bound: %s" % text)
            for name, versions in body.items():
                self.assertNotIn(name, seen, "%s asked in two batches" % name)
                seen[name] = versions
            want = {n: a for n, a in REG["advisories"].items() if n in body}
            self.assertEqual(b["body"], want, "answer of the batch %s" % sorted(body))
        self.assertEqual(seen, VERSIONS)
        posts = [r for r in server_log(log) if r["method"] == "POST"]
        self.assertEqual(sorted(json.dumps(p["req"], sort_keys=True) for p in posts),
                         sorted(json.dumps(b["request"]["body"], sort_keys=True)
                                for b in batches))
        self.assertTrue(all(p["req_gzip"] for p in posts))
        self.assertEqual(manifest["counts"]["advisories"]["ok"], len(batches))

    def test_a_failed_batch_is_recorded_with_what_it_asked_and_only_advisories_are_partial(self):
        res, _ = self.run_collect("--fail-advisory", "@acme/logger", args=("--retries", "0"),
                                  env={"J1NPM_ADVISORY_BATCH_BYTES": "300"})
        self.assertExit(res, 3)
        kinds, manifest = read_dump(self.path("dump"))
        failed = [b for b in kinds["advisories"] if b["status"] != 200]
        self.assertEqual(len(failed), 1)
        self.assertIn("@acme/logger", failed[0]["request"]["body"])
        self.assertEqual(failed[0]["status"], 500)
        self.assertOnlyKindFailed(manifest, "advisories")


class StreamTest(SupplyCase):
    def test_stream_writes_attestations_and_advisories_after_every_packument(self):
        srv = self.registry()
        res = self.run_prog("collect", "--org", ORG, "--registry", srv.url, "--out", "-",
                            env=self.env(NPM_TOKEN=FIXTURE_TOKEN))
        self.assertExit(res, 0)
        recs = read_ndjson_gz(res.out)
        order = [r.get("kind", "manifest") for r in recs]
        last_doc = max(i for i, k in enumerate(order) if k == "packuments")
        first_after = min(i for i, k in enumerate(order) if k in ("attestations", "advisories"))
        self.assertLess(last_doc, first_after, "kinds in stream order: %s" % order)
        self.assertEqual(order[-1], "manifest")
        self.assertEqual(order.count("attestations"), len(ATTESTED))
        self.assertEqual(order.count("advisories"), 1)
        for k in ("collector_profile", "collector_tokens"):
            self.assertLess(order.index(k), order.index("packuments"))


class FailureTest(SupplyCase):
    ENDPOINTS = {
        "collector_profile": "/-/npm/v1/user",
        "collector_tokens": "/-/npm/v1/tokens",
        "attestations": att_path("@acme/core@2.0.0"),
        "advisories": BULK,
    }

    def test_a_404_of_each_supply_endpoint_is_an_answer(self):
        for kind, path in self.ENDPOINTS.items():
            with self.subTest(kind=kind):
                out = "dump-404-" + kind
                res, _ = self.run_collect("--not-found-path", path, out=out)
                self.assertExit(res, 0)
                kinds, manifest = read_dump(self.path(out))
                self.assertIs(manifest["complete"], True)
                statuses = [r["status"] for r in kinds[kind]]
                self.assertIn(404, statuses, kind)
                self.assertEqual(manifest["counts"][kind]["failed"], 0)

    def test_a_failing_supply_endpoint_marks_exactly_its_kind_partial(self):
        for kind, path in self.ENDPOINTS.items():
            with self.subTest(kind=kind):
                out = "dump-500-" + kind
                res, _ = self.run_collect("--fail-path", path, out=out, args=("--retries", "0"))
                self.assertExit(res, 3)
                kinds, manifest = read_dump(self.path(out))
                self.assertOnlyKindFailed(manifest, kind)
                (bad,) = [r for r in kinds[kind] if r["status"] != 200]
                self.assertEqual(bad["status"], 500)


class TokenTest(SupplyCase):
    def test_a_read_only_collecting_token_is_not_warned_about(self):
        ro = "npm_FixtureReadToken0000000000000000000"
        res, _ = self.run_collect("--token", ro, token=ro)
        self.assertExit(res, 0)
        self.assertNotIn("read-only token is enough", res.err.decode())
        kinds, _ = read_dump(self.path("dump"))
        self.assertEqual(kinds["collector_tokens"][0]["token_key"], token_key(ro))

    def test_token_list_pages_are_followed_through_urls_next(self):
        res, log = self.run_collect("--tokens-per-page", "2")
        self.assertExit(res, 0)
        kinds, manifest = read_dump(self.path("dump"))
        pages = kinds["collector_tokens"]
        self.assertEqual(len(pages), 2)
        self.assertEqual(sorted(r["request"]["path"] for r in pages),
                         ["/-/npm/v1/tokens", "/-/npm/v1/tokens?page=1&perPage=2"])
        self.assertTrue(all(r["token_key"] == token_key(FIXTURE_TOKEN) for r in pages))
        self.assertEqual(sorted(o["key"] for r in pages for o in r["body"]["objects"]),
                         sorted(t["key"] for t in REG["tokens"]))
        self.assertEqual(res.err.decode().count("a read-only token is enough"), 1)


class SinceTest(SupplyCase):
    def test_since_carries_attestations_and_asks_the_rest_again(self):
        log = self.path("since.log")
        srv = self.registry("--log", log)
        self.assertExit(self.collect(srv, self.path("first")), 0)
        before = len(server_log(log))
        res = self.collect(srv, self.path("second"), "--since", self.path("first"))
        self.assertExit(res, 0)
        kinds, manifest = read_dump(self.path("second"))
        reqs = server_log(log)[before:]
        self.assertFalse([r for r in reqs if "/attestations/" in r["path"]],
                         "an attestation never changes: carried, not asked")
        self.assertEqual(sorted(r["subject"] for r in kinds["attestations"]), ATTESTED)
        self.assertTrue(all(r.get("revalidated") for r in kinds["attestations"]))
        self.assertEqual(manifest["counts"]["packuments"].get("revalidated"), len(DOCS),
                         "the fixture's documents did not change: all 304")
        # The documents were not downloaded, yet every version is asked about.
        (adv,) = kinds["advisories"]
        self.assertEqual(adv["request"]["body"], VERSIONS)
        self.assertEqual(adv["body"], REG["advisories"])
        for path in ("/-/npm/v1/user", "/-/npm/v1/tokens", BULK):
            self.assertEqual(len([r for r in reqs if r["path"] == path]), 1, path)


class ResumeTest(Case):
    def test_a_resumed_run_asks_what_an_uninterrupted_one_asks(self):
        # A generated org (gen_org: provenance on ~30% of latest versions)
        # with latency, so the interrupt lands among the package documents:
        # the kept documents' facts come from the work area.
        org = self.path("org")
        subprocess.check_call([sys.executable, os.path.join(SCRIPTS, "gen_org.py"), "--out", org,
                               "--packages", "60", "--users", "20", "--teams", "5", "--seed", "3",
                               "--size-profile", "small"], stdout=subprocess.DEVNULL)
        token = harness.load_json(os.path.join(org, "registry.json"))["token"]
        log = self.path("requests.log")
        srv = self.registry("--log", log, "--latency-ms", "30", fixture=org)
        env = self.env(NPM_TOKEN=token)
        argv = ["--org", "synth", "--registry", srv.url, "--concurrency", "2", "--quiet"]
        self.assertExit(self.run_prog("collect", *argv, "--out", self.path("full"), env=env), 0)
        before = len(server_log(log))
        p = subprocess.Popen([harness.program("collect")] + argv + ["--out", self.path("d")],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        docs = lambda: sum(1 for r in server_log(log)[before:]
                           if r["path"].startswith("/@synth") or r["path"].startswith("/synth"))
        wait_for(lambda: docs() >= 30 or p.poll() is not None, 60, "half the documents")
        self.assertIsNone(p.poll(), "the run ended before it could be interrupted")
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=20)
        self.assertTrue(os.path.isdir(self.path("d", ".j1-npm-work")))
        mid = len(server_log(log))
        res = self.run_prog("collect", *argv, "--resume", self.path("d"), env=env)
        self.assertExit(res, 0)
        before = mid
        self.assertLess(docs(), 60, "the resumed run must keep the documents it had")
        full, _ = read_dump(self.path("full"))
        resumed, manifest = read_dump(self.path("d"))
        self.assertIs(manifest["complete"], True)
        self.assertTrue(full["attestations"], "gen_org published some versions with provenance")
        self.assertEqual(sorted(r["subject"] for r in resumed["attestations"]),
                         sorted(r["subject"] for r in full["attestations"]))
        asked = lambda kinds: sorted((n, v) for r in kinds["advisories"]
                                     for n, vs in r["request"]["body"].items() for v in vs)
        self.assertEqual(asked(resumed), asked(full), "every version of every package, once")


if __name__ == "__main__":
    unittest.main()
