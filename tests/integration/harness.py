"""harness.py - what every integration test needs: the programs, the fake
servers, temporary directories, and readers for the files the programs write.

Tests import this module and subclass Case. Servers bind 127.0.0.1 on a free
port (they write it to a port file we poll), and are stopped in tearDown, so
a failing test leaves no process behind. Programs are run with a timeout and
a clean environment (no npm config of the machine leaks in: HOME points at
the test's temporary directory).

Paths come from the environment that scripts/run-tests.sh sets:
  J1NPM_BIN   directory holding j1-npm-collect, -transform, -upload
"""
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("J1NPM_BIN") or os.path.join(ROOT, "bin")
if not os.path.isabs(BIN):
    BIN = os.path.join(ROOT, BIN)
SCRIPTS = os.path.join(ROOT, "scripts")
FIXTURE = os.path.join(ROOT, "fixtures", "acme")
FIXTURE_TOKEN = json.load(open(os.path.join(FIXTURE, "registry.json")))["token"]


def program(name):
    return os.path.join(BIN, "j1-npm-" + name)


class Server:
    """A fake server process (scripts/fake_*.py) on a free loopback port."""

    def __init__(self, script, args, tmpdir, name):
        self.port_file = os.path.join(tmpdir, name + ".port")
        self.log_path = os.path.join(tmpdir, name + ".stderr")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(SCRIPTS, script), "--port-file", self.port_file] + args,
            stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.time() + 30
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited at start: %s" % (script, open(self.log_path).read()))
            if time.time() > deadline:
                raise RuntimeError("%s did not start" % script)
            time.sleep(0.02)
        self.port = int(open(self.port_file).read().strip())
        self.url = "http://127.0.0.1:%d/" % self.port

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Result:
    def __init__(self, args, rc, out, err, seconds):
        self.args, self.rc, self.out, self.err, self.seconds = args, rc, out, err, seconds

    def __repr__(self):
        return "exit %s after %.1fs\n--- stderr ---\n%s" % (
            self.rc, self.seconds, self.err.decode("utf-8", "replace")[-4000:])


class Case(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="j1npm-test-")
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def registry(self, *args, fixture=FIXTURE):
        s = Server("fake_registry.py", ["--fixture", fixture] + list(args), self.tmp,
                   "registry%d" % len(self.servers))
        self.servers.append(s)
        return s

    def j1(self, *args, key="test-api-key-0123456789", account="acct-1"):
        s = Server("fake_j1.py", ["--api-key", key, "--account", account] + list(args), self.tmp,
                   "j1-%d" % len(self.servers))
        self.servers.append(s)
        return s

    def env(self, **extra):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.tmp,
               "TMPDIR": self.tmp, "LC_ALL": "C"}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        env.update({k: v for k, v in extra.items() if v is not None})
        return env

    def run_prog(self, name, *args, env=None, stdin=None, input=None, timeout=120):
        t0 = time.time()
        p = subprocess.run([program(name)] + list(args), env=env or self.env(), stdin=stdin,
                           input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
        return Result(args, p.returncode, p.stdout, p.stderr, time.time() - t0)

    def collect(self, server, out, *args, token=FIXTURE_TOKEN, env=None):
        return self.run_prog("collect", "--org", "acme", "--registry", server.url, "--out", out,
                             *args, env=env or self.env(NPM_TOKEN=token))

    def assertExit(self, res, code):
        self.assertEqual(res.rc, code, "expected exit %d, got %r" % (code, res))


def read_ndjson_gz(path_or_bytes):
    """Records of a gzip NDJSON file (or bytes)."""
    if isinstance(path_or_bytes, bytes):
        data = gzip.decompress(path_or_bytes)
    else:
        with gzip.open(path_or_bytes, "rb") as f:
            data = f.read()
    return [json.loads(line) for line in data.split(b"\n") if line.strip()]


def read_dump(d):
    """{kind: [records]} and the manifest of a dump directory."""
    manifest = json.load(open(os.path.join(d, "manifest.json")))
    kinds = {}
    for f in manifest["files"]:
        kinds[f["kind"]] = read_ndjson_gz(os.path.join(d, f["file"]))
    return kinds, manifest


def read_graph(d):
    """{_key: object} for entities and relationships of an SDK storage dir."""
    ents, rels = {}, {}
    for root, _, files in os.walk(os.path.join(d, "graph")):
        for name in files:
            doc = json.load(open(os.path.join(root, name)))
            for o in doc.get("entities", []):
                ents[o["_key"]] = o
            for o in doc.get("relationships", []):
                rels[o["_key"]] = o
    return ents, rels
