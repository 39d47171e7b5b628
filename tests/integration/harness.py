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
import fcntl
import gzip
import json
import os
import pty
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("J1NPM_BIN") or os.path.join(ROOT, "bin")
if not os.path.isabs(BIN):
    BIN = os.path.join(ROOT, BIN)
SCRIPTS = os.path.join(ROOT, "scripts")
FIXTURE = os.path.join(ROOT, "fixtures", "acme")


def load_json(*path):
    """The JSON in the file at os.path.join(*path)."""
    with open(os.path.join(*path), encoding="utf-8") as f:
        return json.load(f)


FIXTURE_TOKEN = load_json(os.path.join(FIXTURE, "registry.json"))["token"]


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
                with open(self.log_path) as f:
                    raise RuntimeError("%s exited at start: %s" % (script, f.read()))
            if time.time() > deadline:
                raise RuntimeError("%s did not start" % script)
            time.sleep(0.02)
        with open(self.port_file) as f:
            self.port = int(f.read().strip())
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
        # Under J1NPM_BIN=build/san/bin a sanitizer report fails the test,
        # whatever the exit status.
        report = sanitizer_report(p.stderr)
        if report:
            self.fail("sanitizer report from j1-npm-%s %s:\n%s" % (name, " ".join(args), report))
        return Result(args, p.returncode, p.stdout, p.stderr, time.time() - t0)

    def collect(self, server, out, *args, token=FIXTURE_TOKEN, env=None):
        return self.run_prog("collect", "--org", "acme", "--registry", server.url, "--out", out,
                             *args, env=env or self.env(NPM_TOKEN=token))

    def assertExit(self, res, code):
        self.assertEqual(res.rc, code, "expected exit %d, got %r" % (code, res))


def official_sdk_cli(case):
    """The path of the official `j1-integration` CLI (scripts/sdk-cli.sh
    installs it once into the cache); skips `case` only when node/npm or
    the registry is unavailable (sdk-cli.sh exit 77), fails it otherwise."""
    cache = os.environ.get("J1NPM_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "j1-npm")
    p = subprocess.run([os.path.join(ROOT, "scripts", "sdk-cli.sh")],
                       env=dict(os.environ, J1NPM_CACHE=cache), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=600)
    if p.returncode == 77:
        case.skipTest("official j1-integration unavailable: %s"
                      % p.stdout.decode().strip().replace("SKIP: ", ""))
    case.assertEqual(p.returncode, 0, "installing the official CLI failed: %s"
                     % p.stderr.decode()[-2000:])
    return p.stdout.decode().strip().splitlines()[-1]


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
    manifest = load_json(os.path.join(d, "manifest.json"))
    kinds = {}
    for f in manifest["files"]:
        kinds[f["kind"]] = read_ndjson_gz(os.path.join(d, f["file"]))
    return kinds, manifest


def read_graph(d):
    """{_key: object} for entities and relationships of an SDK storage dir."""
    ents, rels = {}, {}
    for root, _, files in os.walk(os.path.join(d, "graph")):
        for name in files:
            doc = load_json(os.path.join(root, name))
            for o in doc.get("entities", []):
                ents[o["_key"]] = o
            for o in doc.get("relationships", []):
                rels[o["_key"]] = o
    return ents, rels


# ---- shared helpers for the collect and transform tests --------------------

VOLATILE_FIELDS = ("fetched_at", "elapsed_ms", "attempts")


def stable_record(rec):
    """A dump record without what differs between two runs of the same
    crawl: fetch time, elapsed time, attempts, the Date header."""
    r = {k: v for k, v in rec.items() if k not in VOLATILE_FIELDS}
    if isinstance(r.get("headers"), dict):
        r["headers"] = {k: v for k, v in r["headers"].items() if k != "date"}
    return r


def by_subject(records):
    """{(kind, subject): stable record}; a repeated (kind, subject) fails."""
    out = {}
    for rec in records:
        key = (rec["kind"], rec["subject"])
        if key in out:
            raise AssertionError("two records for %s %s" % key)
        out[key] = stable_record(rec)
    return out


def dump_records(d):
    """Every record of a dump directory, in file order (kinds in manifest order)."""
    kinds, _ = read_dump(d)
    return [r for recs in kinds.values() for r in recs]


def rewrite_dump_file(d, kind, edit):
    """Replaces the records of one kind of a dump directory with
    edit(list of raw lines) and updates the manifest's records, bytes and
    sha256 to match, so the dump stays consistent except for what the edit
    did to the records themselves."""
    import hashlib
    mpath = os.path.join(d, "manifest.json")
    with open(mpath, encoding="utf-8") as f:
        manifest = json.load(f)
    entry = next(f for f in manifest["files"] if f["kind"] == kind)
    path = os.path.join(d, entry["file"])
    with gzip.open(path, "rb") as f:
        lines = [l for l in f.read().split(b"\n") if l]
    lines = edit(lines)
    data = gzip.compress(b"".join(l + b"\n" for l in lines), mtime=0)
    with open(path, "wb") as f:
        f.write(data)
    entry.update(records=len(lines), bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    with open(mpath, "w") as f:
        json.dump(manifest, f)


def edit_record(index, change):
    """An edit for rewrite_dump_file: change(record dict) on line `index`."""
    def edit(lines):
        rec = json.loads(lines[index])
        change(rec)
        lines[index] = json.dumps(rec, ensure_ascii=False).encode("utf-8")
        return lines
    return edit


def tree_bytes(d):
    """{relative path: bytes} of every file under d."""
    out = {}
    for root, _, files in os.walk(d):
        for name in files:
            p = os.path.join(root, name)
            with open(p, "rb") as f:
                out[os.path.relpath(p, d)] = f.read()
    return out


def written_bytes(d):
    """(path, bytes) of every file under d, gzip files also decompressed."""
    for rel, data in sorted(tree_bytes(d).items()):
        yield rel, data
        if rel.endswith(".gz"):
            yield rel + " (decompressed)", gzip.decompress(data)


def server_log(path):
    """The lines of a fake registry's --log FILE, parsed."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def wait_for(pred, timeout=20, what="a condition"):
    """Polls pred() until it is true; fails after timeout seconds."""
    deadline = time.time() + timeout
    while not pred():
        if time.time() > deadline:
            raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))
        time.sleep(0.02)


def sanitizer_report(err):
    """The AddressSanitizer/UBSan/LeakSanitizer report in a program's stderr
    (bytes), or None. Under J1NPM_BIN=build/san/bin a report is a failure
    whatever the exit status."""
    for marker in (b"==ERROR: ", b"Sanitizer", b"runtime error: "):
        i = err.find(marker)
        if i >= 0:
            return err[max(0, i - 200):i + 3000].decode("utf-8", "replace")
    return None


def set_terminal_size(fd, cols, rows=24):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def run_on_terminal(argv, env, cols=None, resize_to=None):
    """Runs j1-npm-ARGV[0] with stderr on a pseudo-terminal (cols wide, if
    given; narrowed to resize_to once the first escape sequence is out).
    Returns (exit status, stderr bytes, whether it was resized)."""
    master, slave = pty.openpty()
    if cols:
        set_terminal_size(slave, cols)
    p = subprocess.Popen([program(argv[0])] + list(argv[1:]), env=env,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    err, resized = b"", False
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the program closed the terminal
                break
            if not chunk:
                break
            err += chunk
            if resize_to and not resized and b"\x1b[" in err and p.poll() is None:
                set_terminal_size(master, resize_to)
                resized = True
    finally:
        os.close(master)
        p.wait(60)
    return p.returncode, err, resized


class Shared:
    """One fake registry and one clean dump of the fixture org, made once for
    a whole test module (setUpModule/tearDownModule), for the tests that only
    read them."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="j1npm-shared-")
        self.server = Server("fake_registry.py", ["--fixture", FIXTURE], self.tmp, "registry")
        self.dump = os.path.join(self.tmp, "dump")
        self.result = self.run("collect", "--org", "acme", "--registry", self.server.url,
                               "--out", self.dump)

    def env(self, **extra):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.tmp,
               "TMPDIR": self.tmp, "LC_ALL": "C", "NPM_TOKEN": FIXTURE_TOKEN}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        env.update(extra)
        return env

    def run(self, name, *args, input=None, timeout=120):
        t0 = time.time()
        p = subprocess.run([program(name)] + list(args), env=self.env(), input=input,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        report = sanitizer_report(p.stderr)
        if report:
            raise AssertionError("sanitizer report from j1-npm-%s %s:\n%s" %
                                 (name, " ".join(args), report))
        return Result(args, p.returncode, p.stdout, p.stderr, time.time() - t0)

    def graph(self):
        """transform's storage directory and --out - stream of the clean
        dump, made once; raises when collect or transform failed."""
        if getattr(self, "_graph", None) is None:
            if self.result.rc != 0:
                raise RuntimeError("collect failed: %r" % self.result)
            d = os.path.join(self.tmp, "graph")
            r = self.run("transform", "--in", self.dump, "--out", d)
            if r.rc != 0:
                raise RuntimeError("transform failed: %r" % r)
            r = self.run("transform", "--in", self.dump, "--out", "-")
            if r.rc != 0:
                raise RuntimeError("transform --out - failed: %r" % r)
            self._graph = (d, r.out)
        return self._graph

    def close(self):
        self.server.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
