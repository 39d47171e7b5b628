"""Transform: the supply-chain facts (issue 12) — provenance and trust of
the latest version, install scripts, first-time publishers, advisories as
npm_advisory entities, and the collecting account's 2FA and token.

The dump is the fixture org as collect writes it, with its four
supply-chain files rewritten here by hand (rewrite_dump_file keeps the
manifest consistent): so each case says exactly which answer it gives,
including malformed ones, whatever collect asks. The attestation bundles
are built here as npm serves them: a DSSE envelope whose payload is a
base64 in-toto statement with an SLSA v1 (GitHub Actions) or v0.2 (GitLab)
predicate, field names as npm's libnpmpublish and GitHub's buildtype
write them."""
import base64
import copy
import hashlib
import json
import os
import shutil
import unittest

import harness
from harness import Case, FIXTURE, read_graph, rewrite_dump_file, load_json



SHARED = None
REG = load_json(os.path.join(FIXTURE, "registry.json"))
FETCHED = "2026-03-01T12:00:00.000Z"


def setUpModule():
    global SHARED
    SHARED = harness.Shared()


def tearDownModule():
    SHARED.close()


def record(kind, subject, body=None, status=200, error=None, method="GET", path="/",
           req_body=None, **extra):
    r = {"kind": kind, "subject": subject, "request": {"method": method, "path": path}}
    if req_body is not None:
        r["request"]["body"] = req_body
    if error is not None:
        r.update(error=error)
    else:
        r.update(status=status, headers={}, fetched_at=FETCHED, elapsed_ms=1, attempts=1)
        r["body"] = body
    r.update(extra)
    return json.dumps(r).encode()


def statement_v1(repo, path, ref, commit, event, builder):
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "pkg:npm/x@1", "digest": {"sha512": "00"}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
                "externalParameters": {"workflow": {"ref": ref, "repository": repo,
                                                    "path": path}},
                "internalParameters": {"github": {"event_name": event,
                                                  "repository_id": "1",
                                                  "repository_owner_id": "2"}},
                "resolvedDependencies": [{"uri": "git+%s@%s" % (repo, ref),
                                          "digest": {"gitCommit": commit}}],
            },
            "runDetails": {"builder": {"id": builder},
                           "metadata": {"invocationId": repo + "/actions/runs/1/attempts/1"}},
        },
    }


def statement_v02_gitlab(project, commit, job, config, ref, source):
    return {
        "_type": "https://in-toto.io/Statement/v0.1",
        "subject": [{"name": "pkg:npm/x@1", "digest": {"sha512": "00"}}],
        "predicateType": "https://slsa.dev/provenance/v0.2",
        "predicate": {
            "buildType": "https://github.com/npm/cli/gitlab/v0alpha1",
            "builder": {"id": project + "/-/runners/12345"},
            "invocation": {
                "configSource": {"uri": "git+%s@%s" % (project, commit),
                                 "digest": {"sha1": commit}, "entryPoint": job},
                "parameters": {"CI_PIPELINE_SOURCE": source, "CI_CONFIG_PATH": config,
                               "CI_COMMIT_REF_NAME": ref, "CI_PROJECT_URL": project},
                "environment": {"name": "shared runner"},
            },
            "materials": [{"uri": "git+%s@%s" % (project, commit), "digest": {"sha1": commit}}],
        },
    }


def bundle(statement, predicate_type=None, payload=None):
    if payload is None:
        payload = base64.b64encode(json.dumps(statement).encode()).decode()
    return {"predicateType": predicate_type or statement["predicateType"],
            "bundle": {"mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.2",
                       "verificationMaterial": {},
                       "dsseEnvelope": {"payload": payload,
                                        "payloadType": "application/vnd.in-toto+json",
                                        "signatures": [{"sig": "AA==", "keyid": ""}]}}}


PUBLISH = {"predicateType": "https://github.com/npm/attestation/tree/main/specs/publish/v0.1",
           "bundle": {"dsseEnvelope": {"payload": base64.b64encode(b'{"predicateType":'
                                                                   b'"publish"}').decode(),
                                       "payloadType": "application/vnd.in-toto+json"}}}

HOSTED = "https://github.com/actions/runner/github-hosted"
SELF = "https://github.com/actions/runner/self-hosted"


def attestations():
    """subject -> answer, for the latest versions with dist.attestations."""
    return {
        "@acme/core@2.0.0": [PUBLISH, bundle(statement_v1(
            "https://github.com/AcmeCorp/core", ".github/workflows/release.yml",
            "refs/tags/v2.0.0", "c0ffee" * 6 + "abcd", "push", HOSTED))],
        "@acme/logger@3.2.0": [bundle(statement_v1(
            "https://github.com/acmecorp/logger", ".github/workflows/publish.yml",
            "refs/heads/main", "1" * 40, "workflow_dispatch", SELF))],
        "@acme/auth-client@0.4.1": [bundle(statement_v02_gitlab(
            "https://gitlab.com/acme-group/auth-client", "2" * 40, "publish",
            ".gitlab-ci.yml", "main", "push"))],
        "@acme/ui-button@1.1.0": [bundle(statement_v1(
            "https://github.com/AcmeCorp/ui-fork", ".github/workflows/npm.yml",
            "refs/heads/release", "3" * 40, "release", HOSTED))],
    }


def token_key():
    return hashlib.sha512(REG["token"].encode()).hexdigest()


def advisories_batches():
    """Two batches, as collect sends them: every version of every package."""
    names = sorted(REG["packages"])
    batches = []
    for part in (names[:7], names[7:]):
        req = {}
        for n in part:
            doc = load_json(FIXTURE, "packuments", n.replace("/", "%2f") + ".json")
            req[n] = sorted(doc["versions"])
        body = {n: REG["advisories"][n] for n in part if n in REG["advisories"]}
        batches.append((req, body))
    return batches


class SupplyCase(Case):
    def dump(self, profile=True, tokens=True, atts=None, advs=None, edit=None):
        """The shared dump with the four supply-chain files replaced.
        atts: {subject: list | (status, body) | "error"}; advs: [(req, body|"error")]."""
        d = self.path("dump")
        shutil.copytree(SHARED.dump, d)
        u = "collector_profile"
        rewrite_dump_file(d, u, lambda _: [record(u, "acme", REG["npm_user"],
                                                  path="/-/npm/v1/user")] if profile else [])
        t = "collector_tokens"
        rewrite_dump_file(d, t, lambda _: [record(
            t, "acme", {"objects": REG["tokens"], "total": len(REG["tokens"]), "urls": {}},
            path="/-/npm/v1/tokens", token_key=token_key())] if tokens else [])
        atts = attestations() if atts is None else atts
        lines = []
        for subject, a in sorted(atts.items()):
            if a == "error":
                lines.append(record("attestations", subject, error="HTTP 500"))
            elif isinstance(a, tuple):
                lines.append(record("attestations", subject, a[1], status=a[0]))
            else:
                lines.append(record("attestations", subject, {"attestations": a}))
        rewrite_dump_file(d, "attestations", lambda _: lines)
        advs = advisories_batches() if advs is None else advs
        alines = []
        for req, body in advs:
            if body == "error":
                alines.append(record("advisories", "acme", error="HTTP 503", method="POST",
                                     path="/-/npm/v1/security/advisories/bulk", req_body=req))
            else:
                alines.append(record("advisories", "acme", body, method="POST",
                                     path="/-/npm/v1/security/advisories/bulk", req_body=req))
        rewrite_dump_file(d, "advisories", lambda _: alines)
        if edit:
            edit(d)
        return d

    def graph(self, d, code=0):
        out = self.path("out")
        res = self.run_prog("transform", "--in", d, "--out", out, env=self.env())
        self.assertExit(res, code)
        by_key = read_graph(out)
        ents, rels = {}, {}
        for objs, into in ((by_key[0], ents), (by_key[1], rels)):
            for o in objs.values():
                into.setdefault(o["_type"], []).append(o)
        summary = load_json(out, "summary.json")
        return ents, rels, summary, res.err.decode()

    @staticmethod
    def pkg(ents, name):
        return next(e for e in ents["npm_package"] if e["_key"] == "npm-package:" + name)

    @staticmethod
    def partial(summary):
        return sorted(summary["metadata"]["partialDatasets"]["types"])


class SupplyTest(SupplyCase):
    def setUp(self):
        super().setUp()
        self.ents, self.rels, self.summary, self.err = self.graph(self.dump())

    def test_a_complete_dump_is_complete(self):
        self.assertEqual(self.partial(self.summary), [])

    def test_provenance_from_github_actions_on_a_hosted_runner(self):
        p = self.pkg(self.ents, "@acme/core")
        self.assertIs(p["provenance"], True)
        self.assertIs(p["trustedPublishing"], True)
        self.assertEqual(p["latestTrust"], "trusted-publisher")
        self.assertEqual(p["versionsWithProvenance"], 5)
        self.assertIs(p["trustDowngrade"], False)
        self.assertEqual(p["provenanceRepository"], "https://github.com/AcmeCorp/core")
        self.assertEqual(p["provenanceCommit"], "c0ffee" * 6 + "abcd")
        self.assertEqual(p["provenanceWorkflow"], ".github/workflows/release.yml@refs/tags/v2.0.0")
        self.assertEqual(p["provenanceBuilder"], HOSTED)
        self.assertIs(p["provenanceSelfHostedRunner"], False)
        self.assertEqual(p["provenanceTrigger"], "push")
        self.assertIs(p["repositoryMismatch"], False)

    def test_a_self_hosted_runner_is_said(self):
        p = self.pkg(self.ents, "@acme/logger")
        self.assertIs(p["provenanceSelfHostedRunner"], True)
        self.assertEqual(p["provenanceTrigger"], "workflow_dispatch")
        # the repository field spells it git+ssh and lower-case: the same repository
        self.assertIs(p["repositoryMismatch"], False)

    def test_gitlab_provenance_slsa_v02(self):
        p = self.pkg(self.ents, "@acme/auth-client")
        self.assertEqual(p["provenanceRepository"], "https://gitlab.com/acme-group/auth-client")
        self.assertEqual(p["provenanceCommit"], "2" * 40)
        self.assertEqual(p["provenanceWorkflow"], ".gitlab-ci.yml@main")
        self.assertEqual(p["provenanceBuilder"],
                         "https://gitlab.com/acme-group/auth-client/-/runners/12345")
        self.assertEqual(p["provenanceTrigger"], "push")
        self.assertNotIn("provenanceSelfHostedRunner", p, "GitLab's statement does not say")
        self.assertIs(p["repositoryMismatch"], True, "built on GitLab, `repository` names GitHub")

    def test_a_mismatched_repository_and_the_mapping_follows_the_provenance(self):
        p = self.pkg(self.ents, "@acme/ui-button")
        self.assertIs(p["repositoryMismatch"], True)
        self.assertEqual(p["provenanceRepository"], "https://github.com/AcmeCorp/ui-fork")
        rel = next(r for r in self.rels["repo_published_npm_package"]
                   if r["_mapping"]["sourceEntityKey"] == "npm-package:@acme/ui-button")
        self.assertEqual(rel["mappingSource"], "provenance")
        self.assertEqual(rel["_mapping"]["targetEntity"]["name"], "ui-fork")
        sources = {r["_mapping"]["sourceEntityKey"]: r["mappingSource"]
                   for r in self.rels["repo_published_npm_package"]}
        self.assertEqual(sources["npm-package:@acme/payments"], "repository")
        self.assertEqual(sources["npm-package:@acme/secrets-vault"], "name")

    def test_a_trust_downgrade(self):
        p = self.pkg(self.ents, "@acme/cli")
        self.assertIs(p["provenance"], False)
        self.assertEqual(p["latestTrust"], "none")
        self.assertIs(p["trustDowngrade"], True)
        for name in ("@acme/core", "@acme/i18n", "@acme/payments"):
            self.assertIs(self.pkg(self.ents, name)["trustDowngrade"], False, name)

    def test_install_scripts(self):
        p = self.pkg(self.ents, "@acme/secrets-vault")
        self.assertIs(p["hasInstallScript"], True)
        self.assertEqual(p["installScripts"], ["postinstall"])
        q = self.pkg(self.ents, "@acme/i18n")
        self.assertIs(q["hasInstallScript"], False)
        self.assertEqual(q["installScripts"], [])

    def test_first_time_publisher_outside_the_org(self):
        p = self.pkg(self.ents, "acme-widgets")
        self.assertEqual(p["publisher"], "oscar")
        self.assertIs(p["firstTimePublisher"], True)
        self.assertIs(p["publisherIsOrgMember"], False)
        q = self.pkg(self.ents, "@acme/payments")  # ken.tanaka published 4.1.0 too
        self.assertIs(q["firstTimePublisher"], False)
        self.assertIs(q["publisherIsOrgMember"], True)

    def test_advisories_are_one_entity_per_id_with_a_relationship_per_package(self):
        advs = {e["_key"]: e for e in self.ents["npm_advisory"]}
        self.assertEqual(sorted(advs), ["npm-advisory:1101001", "npm-advisory:1101002",
                                        "npm-advisory:1101003"])
        shared = advs["npm-advisory:1101003"]
        self.assertEqual(shared["_class"], ["Finding"])
        self.assertEqual(shared["severity"], "moderate")
        self.assertEqual(shared["numericSeverity"], 5)
        self.assertEqual(shared["cwe"], ["CWE-79"])
        self.assertEqual(shared["cvssScore"], 6.1)
        self.assertEqual(shared["webLink"], "https://github.com/advisories/GHSA-acm3-u1ds-0003")
        self.assertEqual(shared["ghsaId"], "GHSA-acm3-u1ds-0003")
        rels = {(r["_toEntityKey"], r["_fromEntityKey"]): r
                for r in self.rels["npm_package_has_advisory"]}
        self.assertEqual(len(rels), 4)
        for r in rels.values():
            self.assertEqual(r["_class"], "HAS")
        button = rels[("npm-advisory:1101003", "npm-package:@acme/ui-button")]
        self.assertEqual(button["vulnerableVersions"], "<1.1.0")
        self.assertIs(button["latestVersionAffected"], False)
        theme = rels[("npm-advisory:1101003", "npm-package:@acme/ui-theme")]
        self.assertIs(theme["latestVersionAffected"], True)
        self.assertIs(rels[("npm-advisory:1101001", "npm-package:@acme/logger")]
                      ["latestVersionAffected"], False)
        self.assertIs(advs["npm-advisory:1101001"]["open"], False)
        self.assertIs(advs["npm-advisory:1101002"]["open"], True)

    def test_package_advisory_counts(self):
        sdk = self.pkg(self.ents, "@acme/legacy-sdk")
        self.assertEqual(sdk["advisoryCount"], 1)
        self.assertEqual(sdk["highAdvisoryCount"], 1)
        self.assertEqual(sdk["criticalAdvisoryCount"], 0)
        self.assertIs(sdk["latestVersionAffected"], True)
        logger = self.pkg(self.ents, "@acme/logger")
        self.assertEqual(logger["criticalAdvisoryCount"], 1)
        self.assertIs(logger["latestVersionAffected"], False)
        clean = self.pkg(self.ents, "create-acme-app")
        self.assertEqual(clean["advisoryCount"], 0)
        self.assertIs(clean["latestVersionAffected"], False)
        for p in ("create-acme-app", "@acme/i18n", "acme-eslint-config", "@acme/payments"):
            e = self.pkg(self.ents, p)
            self.assertIs(e["provenance"], False, p)
            self.assertIs(e["hasInstallScript"], False, p)
            self.assertNotIn("provenanceRepository", e, p)

    def test_the_collecting_account(self):
        a = self.ents["npm_account"][0]
        self.assertEqual(a["collectorTfaMode"], "auth-and-writes")
        self.assertIs(a["collectorTokenReadOnly"], False)
        self.assertEqual(a["collectorTokenCidrWhitelist"], ["203.0.113.0/24", "10.0.0.0/8"])
        self.assertEqual(a["collectorTokenCreatedOn"], 1768471200000)  # 2026-01-15T10:00Z
        self.assertEqual(a["collectorTokenAgeDays"], 45)  # to 2026-03-01T12:00Z


class SupplyPartialTest(SupplyCase):
    SUPPLY_PROPS = ("provenanceRepository", "advisoryCount", "latestVersionAffected")

    def test_an_older_dump_without_the_kinds_transforms_without_them(self):
        def drop(d):
            m = load_json(d, "manifest.json")
            for kind in ("collector_profile", "collector_tokens", "attestations", "advisories"):
                entry = next(f for f in m["files"] if f["kind"] == kind)
                os.unlink(os.path.join(d, entry["file"]))
                m["files"].remove(entry)
                m["counts"].pop(kind, None)
            with open(os.path.join(d, "manifest.json"), "w") as f:
                json.dump(m, f)
        ents, rels, summary, _ = self.graph(self.dump(edit=drop), 0)
        self.assertEqual(self.partial(summary), [])
        core = self.pkg(ents, "@acme/core")
        self.assertIs(core["provenance"], True, "the document's facts stay")
        for prop in self.SUPPLY_PROPS:
            self.assertNotIn(prop, core)
        self.assertNotIn("collectorTfaMode", ents["npm_account"][0])
        self.assertNotIn("npm_advisory", ents)

    def test_each_failed_kind_marks_exactly_its_types(self):
        cases = {
            "profile": (dict(profile=False), ["npm_account"]),
            "tokens": (dict(tokens=False), ["npm_account"]),
            "attestations": (dict(atts=dict(attestations(), **{"@acme/core@2.0.0": "error"})),
                             ["npm_package", "repo_published_npm_package"]),
            "attestations (an error status)": (
                dict(atts=dict(attestations(), **{"@acme/core@2.0.0": (500, {"error": "x"})})),
                ["npm_package", "repo_published_npm_package"]),
            "advisories": (dict(advs=[(advisories_batches()[0][0], "error"),
                                      advisories_batches()[1]]),
                           ["npm_advisory", "npm_package", "npm_package_has_advisory"]),
        }
        for what, (kw, want) in cases.items():
            with self.subTest(what):
                shutil.rmtree(self.path("dump"), ignore_errors=True)
                shutil.rmtree(self.path("out"), ignore_errors=True)
                ents, _, summary, _ = self.graph(self.dump(**kw), 3)
                self.assertEqual(self.partial(summary), sorted(want))

    def test_a_failed_advisories_batch_leaves_its_packages_counts_out(self):
        first, second = advisories_batches()
        ents, _, _, _ = self.graph(self.dump(advs=[(first[0], "error"), second]), 3)
        for name in first[0]:
            p = self.pkg(ents, name)
            self.assertNotIn("advisoryCount", p, name)
            self.assertNotIn("latestVersionAffected", p, name)
        for name in second[0]:
            self.assertIn("advisoryCount", self.pkg(ents, name), name)

    def test_a_missing_attestation_answer_marks_packages_partial(self):
        atts = attestations()
        del atts["@acme/logger@3.2.0"]
        ents, _, summary, err = self.graph(self.dump(atts=atts), 3)
        self.assertEqual(self.partial(summary), ["npm_package", "repo_published_npm_package"])
        self.assertNotIn("provenanceRepository", self.pkg(ents, "@acme/logger"))
        self.assertIn("no attestation answer", err)

    def test_a_404_profile_or_token_list_is_an_answer(self):
        def not_offered(d):
            for kind in ("collector_profile", "collector_tokens"):
                rewrite_dump_file(d, kind, lambda lines, kind=kind: [record(
                    kind, "acme", {"error": "Not found"}, status=404)])
        ents, _, summary, _ = self.graph(self.dump(edit=not_offered), 0)
        self.assertEqual(self.partial(summary), [])
        account = ents["npm_account"][0]
        self.assertFalse([k for k in account if k.startswith("collector")], account)

    def test_a_404_attestation_is_an_answer(self):
        atts = attestations()
        atts["@acme/logger@3.2.0"] = (404, {"error": "not found"})
        ents, _, summary, _ = self.graph(self.dump(atts=atts), 0)
        p = self.pkg(ents, "@acme/logger")
        self.assertIs(p["provenance"], True)
        self.assertNotIn("provenanceRepository", p)

    def test_malformed_attestations_leave_the_facts_out_with_a_warning(self):
        bad = {
            "@acme/core@2.0.0": [bundle(None, "https://slsa.dev/provenance/v1", payload="%%%")],
            "@acme/logger@3.2.0": [bundle(None, "https://slsa.dev/provenance/v1",
                                          payload=base64.b64encode(b"{not json").decode())],
            "@acme/auth-client@0.4.1": (200, {"nothing": True}),
            "@acme/ui-button@1.1.0": (200, [1, 2]),
        }
        ents, _, summary, err = self.graph(self.dump(atts=bad), 0)
        for name in ("@acme/core", "@acme/logger", "@acme/auth-client", "@acme/ui-button"):
            p = self.pkg(ents, name)
            self.assertNotIn("provenanceRepository", p, name)
            self.assertNotIn("repositoryMismatch", p, name)
        self.assertIn("no base64 payload", err)
        self.assertIn("not a JSON object", err)
        self.assertIn("attestations.ndjson.gz:", err, "the warning names the record")

    def test_an_unreadable_range_leaves_latest_version_affected_out(self):
        first, second = advisories_batches()
        body = copy.deepcopy(second[1])
        body["@acme/ui-theme"][0]["vulnerable_versions"] = ">=1.0.0 <=banana"
        ents, rels, _, err = self.graph(self.dump(advs=[first, (second[0], body)]), 0)
        p = self.pkg(ents, "@acme/ui-theme")
        self.assertNotIn("latestVersionAffected", p)
        self.assertEqual(p["moderateAdvisoryCount"], 1)
        self.assertIn("not a range", err)


if __name__ == "__main__":
    unittest.main()
