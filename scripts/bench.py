#!/usr/bin/env python3
"""bench.py - `make bench`: the benchmarks, each printing its figures side
by side with the baseline it is judged against, measured in the same run
(machines here are shared and noisy: ratios, not absolute times, are what
to read).

    scripts/bench.py [collect] [since] [resume] [transform] [upload]  (default: all five)

collect    A generated 2,000-package org (one package document of 20 MB),
           served by the fake registry with 50 ms latency a request.
           j1-npm-collect at --concurrency 16, then its peer: `curl
           --parallel --parallel-max 16` fetching the URLs collect
           requested (the registry's --log), in the same order, with the
           same Accept headers, from a fresh registry with the same latency
           (bodies to files; the token in a 0600 -K file, never on argv);
           then collect at --concurrency 1. The requests include the
           supply-chain ones (the collector's profile and tokens, the
           attestations of the ~30% of latest versions gen_org publishes
           with provenance, the bulk advisory POSTs, which curl replays
           with the logged bodies, gzip-encoded). Wall time, requests/s, MB
           received, peak RSS, each beside the ideal requests x 50 ms / 16.
           Targets: collect within 1.1x of curl's wall time and within
           1.5x of the ideal (its concurrency bound); peak RSS under 64 MB.
since      collect --since (issue 11) on the same 2,000-package org and
           latency: the collect section's dump (on the same registry URL)
           is the previous dump, else one made here; a second collect of
           the unchanged org with --since, then one with every tenth
           package document changed (the fake's --bump-every 10). Targets:
           response bytes received by the unchanged run <= 5% of the first
           run's, its transform byte-identical to the first dump's; with
           one package in ten changed, exactly those documents downloaded
           again (and only those answered 200).
resume     collect --resume (issue 11) on the same 2,000-package org and
           latency: an uninterrupted collect, then one sent SIGINT once
           the fake has answered half as many requests, resumed with
           --resume. Targets: the interrupted and the resumed run's
           requests together <= 1.05x the uninterrupted run's, and the
           resumed dump's transform byte-identical to the uninterrupted
           one's.
transform  An org shaped like real ones: 10,000 packages (heavy-tailed
           version counts, documents up to several MB), 2,000 members, 150
           teams, npm's developers team holding every member and every
           package. Collected once, then j1-npm-transform over the dump
           beside `zcat` over the same files (the floor no transform can
           beat). Targets: wall <= 1.5x zcat, peak RSS <= 64 MB. Then the
           worst case for the graph's size (1,500 packages, each with 3,000
           collaborators no team explains and 300 maintainers: about 5
           million relationships): peak RSS <= 64 MB.
upload     scripts/bench_upload.sh: 200,000 graph objects (130 MB of SDK
           storage files) to the fake JupiterOne API, beside the official
           `j1-integration sync` when node/npm are present, on two links:
           loopback, and a shaped one like a real link to JupiterOne
           (100 Mbit/s shared by all connections, 30 ms round trip a
           request and a new connection, a one-BDP receive window; the
           fake paces itself). Each pair runs five times in turns; each
           tool's fastest run is compared. Targets: >= 10x faster on the
           shaped link, >= 5x on loopback, <= 1/10 of its peak memory.

Generated data is kept in out/bench/ (BENCH_DIR) and reused by later runs.
BENCH_C1=0 skips the slow concurrency-1 collect run (about 6 minutes).
Peak RSS is measured with GNU time (scripts/measure.py).
"""
import gzip
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(ROOT, "scripts")
BIN = os.environ.get("J1NPM_BIN", "bin")
if not os.path.isabs(BIN):
    BIN = os.path.join(ROOT, BIN)
OUT = os.environ.get("BENCH_DIR", os.path.join(ROOT, "out", "bench"))
MB = 1e6


def log(msg):
    print(msg, flush=True)


def gen_org(name, *args):
    d = os.path.join(OUT, name)
    stamp = os.path.join(d, ".complete")
    want = " ".join(args)
    if os.path.exists(stamp) and open(stamp).read() == want:
        return d
    shutil.rmtree(d, ignore_errors=True)
    log("generating %s (%s) ..." % (name, want))
    subprocess.check_call([sys.executable, os.path.join(SCRIPTS, "gen_org.py"), "--out", d] +
                          list(args), stdout=subprocess.DEVNULL)
    open(stamp, "w").write(want)
    return d


def free_port():
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


class Registry:
    def __init__(self, org_dir, *args):
        self.port_file = os.path.join(OUT, "registry.port")
        if os.path.exists(self.port_file):
            os.unlink(self.port_file)
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(SCRIPTS, "fake_registry.py"), "--fixture", org_dir,
             "--port-file", self.port_file, "--preload"] + list(args),
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(OUT, "registry.log"), "wb"))
        t0 = time.time()
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None or time.time() - t0 > 300:
                raise SystemExit("bench: the fake registry did not start (see %s/registry.log)" % OUT)
            time.sleep(0.1)
        self.url = "http://127.0.0.1:%s/" % open(self.port_file).read().strip()
        self.token = json.load(open(os.path.join(org_dir, "registry.json")))["token"]

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def measure(cmd, env=None, stdout=None, stdin=None, stderr=None):
    m = [sys.executable, os.path.join(SCRIPTS, "measure.py")]
    for k, v in (env or {}).items():
        m += ["--env", "%s=%s" % (k, v)]
    if stdout:
        m += ["--stdout", stdout]
    if stderr:
        m += ["--stderr", stderr]
    if stdin:
        m += ["--stdin", stdin]
    res = subprocess.run(m + ["--"] + cmd, stdout=subprocess.PIPE, check=True)
    return json.loads(res.stdout.decode().strip().splitlines()[-1])


def summary_of(logfile):
    """The "summary" member of the program's JSON log (--log-format json)."""
    for line in open(logfile, encoding="utf-8", errors="replace"):
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if "summary" in rec:
            return rec["summary"]
    return {}


def verdict(ok):
    return "PASS" if ok else "MISS"


def bench_collect():
    """collect at concurrency 16 beside curl fetching the URL list collect
    requested, each against a fresh fake registry with the same latency;
    then, unless BENCH_C1=0, collect at concurrency 1."""
    def read_requests(reqlog):
        """The fake registry's --log: one record per request, in arrival order."""
        with open(reqlog, encoding="utf-8") as f:
            recs = [json.loads(line) for line in f if line.strip()]
        return sorted(recs, key=lambda r: r["seq"])

    def curl_peer(org, collected):
        """curl --parallel fetching, in the same order, the URLs collect
        requested, from a fresh registry with the same latency; collect's
        POSTs (the bulk advisory batches) replayed with the bodies the
        registry logged, gzip-encoded as collect sends them, each in a
        config group of its own (`next`), in the same parallel pool. The
        token goes in a 0600 config file (-K), never on argv. Returns
        (measure, requests as served)."""
        if any(r["method"] not in ("GET", "POST") for r in collected):
            raise SystemExit("bench: collect sent something other than GET and POST; curl "
                             "cannot replay it")
        reqlog = os.path.join(OUT, "requests-curl.ndjson")
        if os.path.exists(reqlog):
            os.unlink(reqlog)
        bodies = os.path.join(OUT, "curl2k")
        shutil.rmtree(bodies, ignore_errors=True)
        os.makedirs(bodies)
        cfg = os.path.join(OUT, "curl2k.cfg")
        codes = os.path.join(OUT, "curl2k.codes")
        q = lambda v: '"%s"' % v.replace("\\", "\\\\").replace('"', '\\"')
        reg = Registry(org, "--latency-ms", "50", "--log", reqlog)
        try:
            if os.path.exists(cfg):
                os.unlink(cfg)
            with os.fdopen(os.open(cfg, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
                def common():
                    # as collect: Accept: application/json, and every encoding libcurl decodes
                    f.write("header = %s\n" % q("Authorization: Bearer " + reg.token))
                    f.write("header = %s\n" % q("Accept: application/json"))
                    f.write("write-out = %s\n" % q("%{http_code}\\n"))
                common()
                posts = []
                for i, r in enumerate(collected):
                    if r["method"] == "POST":
                        posts.append((i, r))
                        continue
                    f.write("url = %s\noutput = %s\n" % (
                        q(reg.url + r["path"].lstrip("/")), q(os.path.join(bodies, str(i)))))
                for i, r in posts:
                    body = os.path.join(bodies, "%d.req.gz" % i)
                    with open(body, "wb") as b:
                        b.write(gzip.compress(json.dumps(r["req"], separators=(",", ":"),
                                                         ensure_ascii=False).encode(), mtime=0))
                    f.write("next\n")
                    common()
                    f.write("header = %s\nheader = %s\n" % (q("Content-Type: application/json"),
                                                            q("Content-Encoding: gzip")))
                    f.write("data-binary = %s\nurl = %s\noutput = %s\n" % (
                        q("@" + body), q(reg.url + r["path"].lstrip("/")),
                        q(os.path.join(bodies, str(i)))))
            m = measure(["curl", "--parallel", "--parallel-max", "16", "--no-progress-meter",
                         "--compressed", "-K", cfg], stdout=codes)
        finally:
            reg.stop()
            if os.path.exists(cfg):
                os.unlink(cfg)
        served = read_requests(reqlog)
        got = sorted(open(codes).read().split())
        want = sorted(str(r["status"]) for r in collected)
        if m["rc"] != 0 or got != want or any(not (c.startswith("2") or c == "404") for c in got):
            raise SystemExit("bench: curl exited %d; its answers differ from collect's or are "
                             "not all 2xx/404 (see %s)" % (m["rc"], codes))
        if sorted(r["path"] for r in served) != sorted(r["path"] for r in collected):
            raise SystemExit("bench: the registry did not see curl request collect's URLs "
                             "(see %s)" % reqlog)
        return m, served

    log("\n## collect: 2,000-package org, 50 ms latency per request")
    org = gen_org("org2k", "--packages", "2000", "--users", "500", "--teams", "50",
                  "--big-package-mb", "20", "--seed", "1")
    rows = []
    for c in [16] + ([1] if os.environ.get("BENCH_C1", "1") != "0" else []):
        reqlog = os.path.join(OUT, "requests-collect-c%d.ndjson" % c)
        if os.path.exists(reqlog):
            os.unlink(reqlog)
        reg = Registry(org, "--latency-ms", "50", "--log", reqlog)
        try:
            out = os.path.join(OUT, "dump2k-c%d" % c)
            shutil.rmtree(out, ignore_errors=True)
            logf = os.path.join(OUT, "collect-c%d.log" % c)
            m = measure([os.path.join(BIN, "j1-npm-collect"), "--org", "synth", "--registry",
                         reg.url, "--out", out, "--concurrency", str(c), "--log-format", "json",
                         "--quiet"], env={"NPM_TOKEN": reg.token}, stderr=logf)
        finally:
            reg.stop()
        s = summary_of(logf)
        if m["rc"] != 0 or not s.get("complete"):
            raise SystemExit("bench: collect at concurrency %d failed (see %s)" % (c, logf))
        rows.append(("collect", c, m, read_requests(reqlog)))
        if c == 16:
            rows.append(("curl", 16) + curl_peer(org, rows[0][3]))

    version = subprocess.run(["curl", "--version"], stdout=subprocess.PIPE,
                             universal_newlines=True).stdout.split()[1]
    log("peer: curl %s --parallel --parallel-max 16 --compressed, the same URLs and Accept "
        "headers, bodies to files" % version)
    log("%-8s %4s %8s %9s %7s %8s %8s %8s %8s" % ("", "conc", "wall s", "requests", "req/s",
                                               "MB in", "RSS MB", "ideal s", "x ideal"))
    for name, c, m, reqs in rows:
        ideal = len(reqs) * 0.050 / c
        log("%-8s %4d %8.1f %9d %7.0f %8.1f %8.1f %8.1f %8.2f" % (
            name, c, m["wall_s"], len(reqs), len(reqs) / m["wall_s"],
            sum(r["bytes"] for r in reqs) / MB, m["maxrss_kb"] / 1024, ideal, m["wall_s"] / ideal))
    ratio = rows[0][2]["wall_s"] / rows[1][2]["wall_s"]
    log("target: collect <= 1.1 x curl: %.2f x  %s" % (ratio, verdict(ratio <= 1.1)))
    reqs = rows[0][3]
    kinds = {"attestations": "/-/npm/v1/attestations/", "advisories": "/-/npm/v1/security/",
             "collector": "/-/npm/v1/user", "tokens": "/-/npm/v1/tokens"}
    log("supply-chain requests among them: %s" % ", ".join(
        "%s %d" % (k, sum(1 for r in reqs if r["path"].startswith(p))) for k, p in kinds.items()))
    x_ideal = rows[0][2]["wall_s"] / (len(reqs) * 0.050 / 16)
    log("target: collect <= 1.5 x its concurrency bound (requests x 50 ms / 16): %.2f x  %s"
        % (x_ideal, verdict(x_ideal <= 1.5)))
    peak = max(r[2]["maxrss_kb"] for r in rows if r[0] == "collect") / 1024
    log("target: peak RSS < 64 MB with a 20 MB document: %.1f MB  %s" % (peak, verdict(peak < 64)))
    if len(rows) > 2:
        log("speed-up of concurrency 16 over 1: %.1f x" % (rows[2][2]["wall_s"] /
                                                            rows[0][2]["wall_s"]))


def tree_bytes(d):
    out = {}
    for root, _, files in os.walk(d):
        for name in files:
            p = os.path.join(root, name)
            with open(p, "rb") as f:
                out[os.path.relpath(p, d)] = f.read()
    return out


def bench_since():
    """collect --since PREV on the 2,000-package org at 50 ms a request."""
    log("\n## collect --since: the 2,000-package org again, 50 ms latency per request")
    org = gen_org("org2k", "--packages", "2000", "--users", "500", "--teams", "50",
                  "--big-package-mb", "20", "--seed", "1")

    def read_log(path):
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def run(name, port, *extra, reg_args=()):
        reqlog = os.path.join(OUT, "requests-%s.ndjson" % name)
        if os.path.exists(reqlog):
            os.unlink(reqlog)
        reg = Registry(org, "--latency-ms", "50", "--log", reqlog, "--port", str(port), *reg_args)
        try:
            out = os.path.join(OUT, "dump2k-" + name)
            shutil.rmtree(out, ignore_errors=True)
            logf = os.path.join(OUT, "collect-%s.log" % name)
            m = measure([os.path.join(BIN, "j1-npm-collect"), "--org", "synth", "--registry",
                         reg.url, "--out", out, "--concurrency", "16", "--log-format", "json",
                         "--quiet"] + list(extra), env={"NPM_TOKEN": reg.token}, stderr=logf)
        finally:
            reg.stop()
        s = summary_of(logf)
        if m["rc"] != 0 or not s.get("complete"):
            raise SystemExit("bench: collect %s failed (see %s)" % (name, logf))
        return out, m, s, read_log(reqlog)

    # The previous dump: the collect section's, if its registry URL can be
    # served again (a dump is tied to its registry's URL), else our own.
    prev = os.path.join(OUT, "dump2k-c16")
    prev_log = os.path.join(OUT, "requests-collect-c16.ndjson")
    port = None
    try:
        url = json.load(open(os.path.join(prev, "manifest.json")))["registry"]
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        with socket.socket() as so:
            so.bind(("127.0.0.1", port))
        first = (prev, None, None, read_log(prev_log))
        log("previous dump: the collect section's (%s)" % prev)
    except (OSError, ValueError, KeyError, IndexError):
        port = free_port()
        first = run("first", port)
        prev = first[0]
        log("previous dump: collected here (%s)" % prev)
    unchanged = run("since", port, "--since", prev)
    changed = run("since-bumped", port, "--since", prev, reg_args=("--bump-every", "10"))

    def docs(reqs):
        return [r for r in reqs if not r["path"].startswith("/-/")]

    first_bytes = sum(r["bytes"] for r in first[3])
    log("%-22s %8s %9s %7s %7s %9s %8s" % ("", "wall s", "requests", "200s", "304s", "MB in",
                                            "RSS MB"))
    for label, r in (("first (full)", first), ("--since, unchanged", unchanged),
                     ("--since, 1 in 10 new", changed)):
        d = docs(r[3])
        log("%-22s %8s %9d %7d %7d %9.2f %8s" % (
            label, "%.1f" % r[1]["wall_s"] if r[1] else "-", len(r[3]),
            sum(1 for x in d if x["status"] == 200), sum(1 for x in d if x["status"] == 304),
            sum(x["bytes"] for x in r[3]) / MB,
            "%.1f" % (r[1]["maxrss_kb"] / 1024) if r[1] else "-"))
    s = unchanged[2]
    log("unchanged run's summary: %.2f MB downloaded, %.2f MB revalidated, %d answers carried"
        % (s.get("bytes_downloaded", 0) / MB, s.get("bytes_revalidated", 0) / MB,
           s.get("revalidated", 0)))
    got = sum(r["bytes"] for r in unchanged[3])
    frac = got / first_bytes if first_bytes else 1
    log("target: response bytes received <= 5%% of the first run's: %.2f%% (%.2f of %.2f MB)  %s"
        % (100 * frac, got / MB, first_bytes / MB, verdict(frac <= 0.05)))
    g1, g2 = os.path.join(OUT, "graph-since-prev"), os.path.join(OUT, "graph-since-new")
    for dump, g in ((prev, g1), (unchanged[0], g2)):
        shutil.rmtree(g, ignore_errors=True)
        rc = subprocess.call([os.path.join(BIN, "j1-npm-transform"), "--in", dump, "--out", g,
                              "--quiet"], stderr=subprocess.DEVNULL)
        if rc != 0:
            raise SystemExit("bench: transform of %s failed" % dump)
    same = tree_bytes(g1) == tree_bytes(g2)
    log("target: transform of the new dump byte-identical to the first's: %s  %s"
        % ("identical" if same else "DIFFERENT", verdict(same)))
    files = {urllib.parse.unquote(fn[:-5]) for fn in os.listdir(os.path.join(org, "packuments"))
             if fn.endswith(".json")}
    bumped = set(sorted(files)[::10])  # as the fake's --bump-every 10 picks them
    fetched = {urllib.parse.unquote(r["path"].lstrip("/")) for r in docs(changed[3])
               if r["status"] == 200}
    log("target: with %d of %d packages changed, exactly those downloaded again: %d downloaded, "
        "%d of them changed  %s" % (len(bumped), len(files), len(fetched), len(fetched & bumped),
                                    verdict(fetched == bumped)))


def bench_resume():
    """collect interrupted at half way, then --resume, on the 2,000-package
    org at 50 ms a request."""
    log("\n## collect --resume: the 2,000-package org, interrupted at half way, 50 ms latency")
    org = gen_org("org2k", "--packages", "2000", "--users", "500", "--teams", "50",
                  "--big-package-mb", "20", "--seed", "1")
    reqlog = os.path.join(OUT, "requests-resume.ndjson")
    if os.path.exists(reqlog):
        os.unlink(reqlog)
    reg = Registry(org, "--latency-ms", "50", "--log", reqlog)

    def count():
        if not os.path.exists(reqlog):
            return 0
        with open(reqlog, encoding="utf-8") as f:
            return sum(1 for line in f if line.strip())

    def cmd(*extra):
        return [os.path.join(BIN, "j1-npm-collect"), "--org", "synth", "--registry", reg.url,
                "--concurrency", "16", "--log-format", "json", "--quiet"] + list(extra)

    env = dict(os.environ, NPM_TOKEN=reg.token)
    full, part = os.path.join(OUT, "dump2k-resume-full"), os.path.join(OUT, "dump2k-resume")
    try:
        shutil.rmtree(full, ignore_errors=True)
        shutil.rmtree(part, ignore_errors=True)
        t0 = time.time()
        subprocess.run(cmd("--out", full), env=env, check=True, stderr=subprocess.DEVNULL)
        t_full, n_full = time.time() - t0, count()
        t0 = time.time()
        p = subprocess.Popen(cmd("--out", part), env=env, stderr=subprocess.DEVNULL)
        while count() - n_full < n_full // 2 and p.poll() is None:
            time.sleep(0.05)
        p.send_signal(signal.SIGINT)
        rc = p.wait()
        t_int = time.time() - t0
        time.sleep(0.5)  # the answers in flight reach the log
        n_int = count() - n_full
        t0 = time.time()
        r = subprocess.run(cmd("--resume", part), env=env, stderr=subprocess.DEVNULL)
        t_res, n_res = time.time() - t0, count() - n_full - n_int
    finally:
        reg.stop()
    if rc != 130 or r.returncode != 0:
        raise SystemExit("bench: the interrupted run exited %d, the resumed one %d" %
                         (rc, r.returncode))
    log("%-24s %8s %9s" % ("", "wall s", "requests"))
    for label, t, n in (("uninterrupted", t_full, n_full), ("interrupted at half", t_int, n_int),
                        ("resumed", t_res, n_res)):
        log("%-24s %8.1f %9d" % (label, t, n))
    ratio = (n_int + n_res) / n_full
    log("target: interrupted + resumed requests <= 1.05x uninterrupted: %.3fx (%d of %d)  %s"
        % (ratio, n_int + n_res, n_full, verdict(ratio <= 1.05)))
    g1, g2 = os.path.join(OUT, "graph-resume-full"), os.path.join(OUT, "graph-resume")
    for dump, g in ((full, g1), (part, g2)):
        shutil.rmtree(g, ignore_errors=True)
        if subprocess.call([os.path.join(BIN, "j1-npm-transform"), "--in", dump, "--out", g,
                            "--quiet"], stderr=subprocess.DEVNULL) != 0:
            raise SystemExit("bench: transform of %s failed" % dump)
    same = tree_bytes(g1) == tree_bytes(g2)
    log("target: transform of the resumed dump byte-identical to the uninterrupted one's: %s  %s"
        % ("identical" if same else "DIFFERENT", verdict(same)))


def collect_once(org, name):
    """Collects a generated org once (no latency) into OUT/name, reused."""
    dump = os.path.join(OUT, name)
    stamp = os.path.join(dump, ".from")
    if os.path.exists(stamp) and open(stamp).read() == org:
        return dump
    shutil.rmtree(dump, ignore_errors=True)
    log("collecting %s once from the fake registry (no latency) ..." % os.path.basename(org))
    reg = Registry(org)
    try:
        m = measure([os.path.join(BIN, "j1-npm-collect"), "--org", "synth", "--registry",
                     reg.url, "--out", dump, "--quiet"], env={"NPM_TOKEN": reg.token},
                    stderr=os.path.join(OUT, name + "-collect.log"))
    finally:
        reg.stop()
    if m["rc"] != 0:
        raise SystemExit("bench: collect of %s failed (see %s-collect.log)" % (org, name))
    log("  (collect: %.1f s, peak RSS %.1f MB)" % (m["wall_s"], m["maxrss_kb"] / 1024))
    open(stamp, "w").write(org)
    return dump


def transform_beside_zcat(dump, name):
    files = sorted(os.path.join(dump, f) for f in os.listdir(dump) if f.endswith(".ndjson.gz"))
    raw = sum(os.path.getsize(f) for f in files)
    graph = os.path.join(OUT, "graph-" + name)
    logf = os.path.join(OUT, "transform-%s.log" % name)
    zc = measure(["zcat"] + files)
    shutil.rmtree(graph, ignore_errors=True)
    tr = measure([os.path.join(BIN, "j1-npm-transform"), "--in", dump, "--out", graph,
                  "--log-format", "json", "--quiet"], stderr=logf)
    if tr["rc"] != 0:
        raise SystemExit("bench: transform failed (exit %d, see %s)" % (tr["rc"], logf))
    s = summary_of(logf)
    plain = sum(int(subprocess.run("zcat '%s' | wc -c" % f, shell=True, stdout=subprocess.PIPE,
                                   check=True).stdout) for f in files)
    log("dump: %.0f MB compressed, %.0f MB of JSON; graph: %d entities, %d relationships"
        % (raw / MB, plain / MB, s.get("entities", 0), s.get("relationships", 0)))
    types = s.get("types", {})
    log("  " + ", ".join("%s %d" % (t, types[t]) for t in sorted(types) if "_" in t and types[t]
                          and t.count("_") >= 2))
    log("%-12s %10s %12s %12s %10s" % ("", "wall s", "MB/s input", "peak RSS MB", "CPU s"))
    for label, m in (("zcat", zc), ("transform", tr)):
        log("%-12s %10.2f %12.0f %12.1f %10.2f" % (label, m["wall_s"], plain / MB / m["wall_s"],
                                                    m["maxrss_kb"] / 1024,
                                                    m["user_s"] + m["sys_s"]))
    return zc, tr


def bench_transform():
    # Shaped like a real org: npm's developers team holds every member and
    # read-write on every package, so nearly every collaborator is explained
    # by a team; version counts are heavy-tailed (most under 20, 1% in the
    # thousands), documents up to several MB.
    log("\n## transform: a realistic org — 10,000 packages, 2,000 members, 150 teams, "
        "the developers team on every package")
    org = gen_org("org10k-dev", "--packages", "10000", "--users", "2000", "--teams", "150",
                  "--developers-all", "--seed", "2")
    zc, tr = transform_beside_zcat(collect_once(org, "dump10k-dev"), "10k-dev")
    ratio = tr["wall_s"] / zc["wall_s"]
    log("target: transform <= 1.5 x zcat: %.2f x  %s" % (ratio, verdict(ratio <= 1.5)))
    log("target: peak RSS <= 64 MB: %.1f MB  %s" % (tr["maxrss_kb"] / 1024,
                                                  verdict(tr["maxrss_kb"] <= 64 * 1024)))

    # The worst case for the graph's size: every package with 3,000
    # collaborators that no team explains and 300 maintainers.
    log("\n## transform, worst case: 1,500 packages x 3,000 direct collaborators x 300 "
        "maintainers")
    org = gen_org("org-direct", "--packages", "1500", "--users", "3000", "--teams", "20",
                  "--maintainers", "300", "--direct-collaborators", "3000",
                  "--size-profile", "small", "--seed", "4")
    zc, tr = transform_beside_zcat(collect_once(org, "dump-direct"), "direct")
    log("target: peak RSS <= 64 MB with millions of relationships: %.1f MB  %s"
        % (tr["maxrss_kb"] / 1024, verdict(tr["maxrss_kb"] <= 64 * 1024)))


def bench_upload():
    log("\n## upload: 200,000 graph objects to the fake JupiterOne API, on loopback and "
        "behind 100 Mbit/s + 30 ms")
    script = os.path.join(SCRIPTS, "bench_upload.sh")
    if not os.path.exists(script):
        log("SKIP: %s is missing" % script)
        return
    # bench_upload.sh bounds each of its own waits; this is the last resort.
    try:
        subprocess.call([script], env=dict(os.environ, J1NPM_BIN=BIN, BENCH_DIR=OUT),
                        timeout=3 * 3600)
    except subprocess.TimeoutExpired:
        log("MISS: the upload benchmark did not finish within 3 hours")


def main():
    which = sys.argv[1:] or ["collect", "since", "resume", "transform", "upload"]
    os.makedirs(OUT, exist_ok=True)
    log("j1-npm benchmarks (%s); data in %s" % (", ".join(which), OUT))
    for w in which:
        {"collect": bench_collect, "since": bench_since, "resume": bench_resume,
         "transform": bench_transform,
         "upload": bench_upload}[w]()


if __name__ == "__main__":
    main()
