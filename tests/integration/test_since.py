"""test_since.py - j1-npm-collect --since PREV_DUMP (issue 11, "Revalidate
instead of downloading"), against the fake registry serving fixtures/acme.

A first collect makes the previous dump; a second one with --since asks for
each package document with If-None-Match and carries what the registry
answers 304 into its own, self-contained dump.
"""
import gzip
import json
import os
import shutil
import unittest

from harness import (FIXTURE, FIXTURE_TOKEN, Case, load_json, read_dump, rewrite_dump_file,
                     server_log, tree_bytes)


REG = load_json(FIXTURE, "registry.json")
PACKAGES = sorted(REG["packages"])


def doc_requests(log):
    """The log lines of package document requests (GET /:pkg), in arrival
    order: the fake registry writes a line when it has answered, so two
    concurrent requests can be logged out of the order they arrived in."""
    return sorted((l for l in log if l["method"] == "GET" and not l["path"].startswith("/-/")),
                  key=lambda l: l["seq"])


class Since(Case):
    def first(self, *server_args):
        """A registry, and a first dump of it (the previous dump)."""
        s = self.registry("--log", self.path("first.log"), *server_args)
        self.port = s.port
        res = self.collect(s, self.path("prev"))
        self.assertExit(res, 0)
        return s

    def again(self, *server_args):
        """The registry of the first run restarted with server_args, on the
        same URL (a dump is tied to its registry's URL)."""
        for s in self.servers:
            s.stop()
        return self.registry("--port", str(self.port), *server_args)

    def second(self, *server_args, prev="prev", out="new", extra=()):
        log = self.path(out + ".log")
        s = self.again("--log", log, *server_args)
        res = self.collect(s, self.path(out), "--since", self.path(prev), "--log-format", "json",
                           *extra)
        return res, server_log(log)

    def summary(self, res):
        for line in res.err.decode().splitlines():
            if '"summary"' in line:
                return json.loads(line)["summary"]
        self.fail("no summary line in %r" % res)

    def transform(self, dump, out):
        res = self.run_prog("transform", "--in", self.path(dump), "--out", self.path(out))
        self.assertExit(res, 0)
        return tree_bytes(self.path(out))

    def test_unchanged_org_is_revalidated_not_downloaded(self):
        self.first()
        first_bytes = sum(l["bytes"] for l in server_log(self.path("first.log")))
        res, log = self.second()
        self.assertExit(res, 0)
        docs = doc_requests(log)
        self.assertEqual(sorted(l["status"] for l in docs), [304] * len(PACKAGES),
                         "every package document should be answered 304")
        kinds, manifest = read_dump(self.path("new"))
        self.assertTrue(manifest["complete"])
        self.assertEqual(manifest["counts"]["packuments"]["revalidated"], len(PACKAGES))
        self.assertEqual(manifest["counts"]["packuments"]["ok"], len(PACKAGES))
        for rec in kinds["packuments"]:
            self.assertIs(rec.get("revalidated"), True, rec["subject"])
            self.assertIn("revalidated_at", rec)
        old, _ = read_dump(self.path("prev"))
        by = {r["subject"]: r for r in old["packuments"]}
        for rec in kinds["packuments"]:
            self.assertEqual(rec["body"], by[rec["subject"]]["body"], "body carried verbatim")
            self.assertEqual(rec["fetched_at"], by[rec["subject"]]["fetched_at"],
                             "fetched_at stays when the body was first downloaded")
        # transform reads it exactly like the first dump
        self.assertEqual(self.transform("prev", "g1"), self.transform("new", "g2"))
        second_bytes = sum(l["bytes"] for l in log)
        self.assertLess(second_bytes, first_bytes * 0.25,
                        "bytes received: %d, first run %d" % (second_bytes, first_bytes))
        s = self.summary(res)
        # and the latest versions' attestations, carried without a request
        self.assertEqual(s["revalidated"], len(PACKAGES) + manifest["counts"]["attestations"]["ok"])
        self.assertGreater(s["bytes_revalidated"], s["bytes_downloaded"])
        self.assertIn("MB revalidated", res.err.decode())

    def test_a_document_larger_than_the_read_buffer_is_carried_whole(self):
        # The earlier files are read in 256 KiB pieces: a long record must
        # come through byte for byte.
        fx = self.path("fixture")
        shutil.copytree(FIXTURE, fx)
        big = PACKAGES[0]
        path = os.path.join(fx, "packuments", big.replace("/", "%2f") + ".json")
        doc = load_json(path)
        doc["readme"] = "".join("line %d of a long readme \u00e9\n" % i for i in range(40000))
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        s = self.registry("--log", self.path("first.log"), fixture=fx)
        self.port = s.port
        self.assertExit(self.collect(s, self.path("prev")), 0)
        for srv in self.servers:
            srv.stop()
        s = self.registry("--port", str(self.port), "--log", self.path("new.log"), fixture=fx)
        res = self.collect(s, self.path("new"), "--since", self.path("prev"))
        self.assertExit(res, 0)
        self.assertEqual(sorted(l["status"] for l in doc_requests(server_log(self.path("new.log")))),
                         [304] * len(PACKAGES))
        old, _ = read_dump(self.path("prev"))
        new, _ = read_dump(self.path("new"))
        o = {r["subject"]: r["body"] for r in old["packuments"]}
        n = {r["subject"]: r["body"] for r in new["packuments"]}
        self.assertGreater(len(json.dumps(n[big])), 1 << 20)
        self.assertEqual(o, n)
        self.assertEqual(self.transform("prev", "g1"), self.transform("new", "g2"))

    def test_revalidated_dump_is_itself_a_previous_dump(self):
        self.first()
        res, _ = self.second()
        self.assertExit(res, 0)
        res, log = self.second(prev="new", out="third")
        self.assertExit(res, 0)
        self.assertEqual(sorted(l["status"] for l in doc_requests(log)), [304] * len(PACKAGES))
        kinds, _ = read_dump(self.path("third"))
        for rec in kinds["packuments"]:
            self.assertEqual(list(rec).count("revalidated"), 1)
        self.assertEqual(self.transform("prev", "g1"), self.transform("third", "g3"))

    def test_changed_package_is_downloaded_again(self):
        self.first()
        changed = PACKAGES[0]
        res, log = self.second("--bump", changed)
        self.assertExit(res, 0)
        full = [l for l in doc_requests(log) if l["status"] == 200]
        self.assertEqual(len(full), 1, full)
        self.assertEqual(sorted(l["status"] for l in doc_requests(log)).count(304),
                         len(PACKAGES) - 1)
        kinds, manifest = read_dump(self.path("new"))
        recs = {r["subject"]: r for r in kinds["packuments"]}
        self.assertEqual(sorted(recs), PACKAGES)
        self.assertNotIn("revalidated", recs[changed])
        self.assertIn("999.0.0", recs[changed]["body"]["versions"])
        self.assertEqual(manifest["counts"]["packuments"]["revalidated"], len(PACKAGES) - 1)

    def test_spurious_304_is_fetched_again_unconditionally(self):
        # The previous dump lacks the record: collect never sent a condition
        # for it, yet the registry (a cache in between) answers 304.
        self.first()
        victim = PACKAGES[1]
        rewrite_dump_file(self.path("prev"), "packuments",
                          lambda lines: [l for l in lines
                                         if json.loads(l)["subject"] != victim])
        res, log = self.second("--spurious-304", victim)
        self.assertExit(res, 0)
        mine = [l for l in doc_requests(log) if victim.replace("/", "%2f") in l["path"]]
        self.assertEqual([l["status"] for l in mine], [304, 200], mine)
        kinds, _ = read_dump(self.path("new"))
        recs = {r["subject"]: r for r in kinds["packuments"]}
        self.assertEqual(sorted(recs), PACKAGES, "never a hole")
        self.assertEqual(recs[victim]["status"], 200)
        self.assertNotIn("revalidated", recs[victim])

    def test_corrupted_previous_record_is_fetched_again(self):
        self.first()
        victim = PACKAGES[2]

        def corrupt(lines):
            out = []
            for l in lines:
                if json.loads(l)["subject"] == victim:
                    l = l[:-1]  # the record's closing brace is gone
                out.append(l)
            return out

        rewrite_dump_file(self.path("prev"), "packuments", corrupt)
        res, log = self.second()
        self.assertExit(res, 0)
        mine = [l for l in doc_requests(log) if victim.replace("/", "%2f") in l["path"]]
        self.assertEqual([l["status"] for l in mine], [200])
        kinds, manifest = read_dump(self.path("new"))
        self.assertEqual(len(kinds["packuments"]), len(PACKAGES))
        self.assertEqual(manifest["counts"]["packuments"]["revalidated"], len(PACKAGES) - 1)

    def test_since_works_with_stream_out(self):
        self.first()
        s = self.again("--log", self.path("s.log"))
        out = self.path("stream.ndjson.gz")
        with open(out, "wb") as f:
            res = self.run_prog("collect", "--org", "acme", "--registry", s.url, "--out", "-",
                                "--since", self.path("prev"),
                                env=self.env(NPM_TOKEN=FIXTURE_TOKEN))
            f.write(res.out)
        self.assertExit(res, 0)
        with open(out, "rb") as f:
            t = self.run_prog("transform", "--in", "-", "--out", self.path("g2"), stdin=f)
        self.assertExit(t, 0)
        self.assertEqual(self.transform("prev", "g1"), tree_bytes(self.path("g2")))
        self.assertEqual(sorted(l["status"] for l in doc_requests(server_log(self.path("s.log")))),
                         [304] * len(PACKAGES))

    # ---- refusals: before any request --------------------------------------

    def refused(self, prev, needle):
        log = self.path("refused.log")
        s = self.again("--log", log)
        res = self.collect(s, self.path("new"), "--since", prev)
        self.assertExit(res, 2)
        self.assertIn(needle, res.err.decode())
        self.assertEqual(server_log(log), [], "no request may be made")
        self.assertFalse(os.path.exists(self.path("new")), "no output directory")

    def test_refuses_a_dump_that_does_not_verify(self):
        self.first()
        path = self.path("prev", "org_users.ndjson.gz")
        with open(path, "ab") as f:  # still gzip, same records, other bytes
            f.write(gzip.compress(b""))
        self.refused(self.path("prev"), "org_users.ndjson.gz does not match its manifest")

    def test_refuses_a_damaged_file(self):
        self.first()
        path = self.path("prev", "org_users.ndjson.gz")
        with open(path, "r+b") as f:
            f.seek(20)
            b = f.read(1)
            f.seek(20)
            f.write(bytes([b[0] ^ 0xFF]))
        self.refused(self.path("prev"), "org_users.ndjson.gz: corrupt gzip data")

    def test_refuses_a_record_count_that_does_not_verify(self):
        self.first()
        m = load_json(self.path("prev", "manifest.json"))
        m["files"][0]["records"] += 1
        with open(self.path("prev", "manifest.json"), "w") as f:
            json.dump(m, f)
        self.refused(self.path("prev"), "its manifest says")

    def test_refuses_another_org(self):
        self.first()
        m = load_json(self.path("prev", "manifest.json"))
        m["org"] = "other"
        with open(self.path("prev", "manifest.json"), "w") as f:
            json.dump(m, f)
        self.refused(self.path("prev"), "org 'other'")

    def test_refuses_another_registry(self):
        self.first()
        m = load_json(self.path("prev", "manifest.json"))
        m["registry"] = "https://registry.example.com/"
        with open(self.path("prev", "manifest.json"), "w") as f:
            json.dump(m, f)
        self.refused(self.path("prev"), "registry.example.com")

    def test_refuses_an_incomplete_dump(self):
        self.first()
        m = load_json(self.path("prev", "manifest.json"))
        m["complete"] = False
        with open(self.path("prev", "manifest.json"), "w") as f:
            json.dump(m, f)
        self.refused(self.path("prev"), "incomplete")

    def test_refuses_its_own_output_directory(self):
        self.first()
        log = self.path("refused.log")
        s = self.again("--log", log)
        res = self.collect(s, self.path("prev"), "--force", "--since", self.path("prev"))
        self.assertExit(res, 2)
        self.assertIn("is the --out directory", res.err.decode())
        self.assertEqual(server_log(log), [])
        self.assertTrue(os.path.exists(self.path("prev", "manifest.json")), "PREV is untouched")

    def test_refuses_an_unfinished_or_stream_dump(self):
        self.first()
        os.unlink(self.path("prev", "manifest.json"))
        self.refused(self.path("prev"), "no manifest.json")
        with open(self.path("stream.gz"), "wb") as f:
            f.write(b"\x1f\x8b")
        self.refused(self.path("stream.gz"), "not a directory")


if __name__ == "__main__":
    unittest.main()
