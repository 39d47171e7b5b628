#!/bin/sh
# bench_upload.sh — the upload benchmark (make bench runs it through
# scripts/bench.py): 200,000 graph objects to the fake JupiterOne API on
# loopback, j1-npm-upload beside the official `j1-integration sync`
# (@jupiterone/integration-sdk-cli 8.41.0, when node/npm are present).
#
# Both read the same SDK storage directory (scripts/gen_graph.py: npm users,
# teams, packages with modest _rawData, and their relationships; pretty-
# printed files of 500 objects, as the SDK writes them), and each uploads to
# a fresh fake_j1.py (--bench-accept: it checks headers and gzip and counts
# objects by their _key, but does not parse and validate them, so its own CPU
# does not decide a run on this 2-core machine). Measured: wall
# time, objects/s, peak RSS and CPU time of the uploader (scripts/measure.py,
# GNU time), plus the CPU the fake server spent meanwhile — it shares the
# machine, so it bounds what any uploader can reach here. Every run is
# checked: the job FINISHED with every object counted once.
#
# Environment: J1NPM_BIN (default bin), BENCH_DIR (default out/bench; the
# generated directory is kept and reused), BENCH_UPLOAD_OBJECTS (200000).
# Targets: >= 5x faster and <= 1/5 the peak memory of the official uploader.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=${J1NPM_BIN:-bin}
case $bin in /*) ;; *) bin=$root/$bin ;; esac
out=${BENCH_DIR:-$root/out/bench}
n=${BENCH_UPLOAD_OBJECTS:-200000}
key=bench-key-0123456789abcdef
account=bench-account
data=$out/upload-graph-$n
work=$(mktemp -d "${TMPDIR:-/tmp}/j1npm-bench-upload.XXXXXX")
fake_pid=

cleanup() {
    [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

mkdir -p "$out"
if [ "$(cat "$data/.complete" 2>/dev/null)" != "objects=$n seed=1" ]; then
    echo "generating $n graph objects in $data ..."
    rm -rf "$data"
    python3 "$here/gen_graph.py" --out "$data" --objects "$n" --seed 1
    echo "objects=$n seed=1" >"$data/.complete"
fi
echo "input: $(du -sh "$data" | cut -f1) in $(find "$data/graph" -type f | wc -l) files ($data)"

# On a machine with two or more cores the fake server and the uploader run
# on different cores (taskset), so that neither steals the other's CPU.
pin_fake=
pin_client=
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
    pin_fake="taskset -c 1"
    pin_client="taskset -c 0"
fi

# start_fake NAME: a fresh fake on a free port; sets fake_pid and fake_url.
start_fake() {
    rm -f "$work/$1.port"
    $pin_fake python3 "$here/fake_j1.py" --api-key "$key" --account "$account" --bench-accept \
        --port-file "$work/$1.port" 2>"$work/$1.fake.log" &
    fake_pid=$!
    i=0
    while [ ! -s "$work/$1.port" ]; do
        i=$((i + 1))
        if [ $i -gt 600 ] || ! kill -0 "$fake_pid" 2>/dev/null; then
            echo "fake_j1.py did not start:" >&2
            cat "$work/$1.fake.log" >&2
            exit 1
        fi
        sleep 0.05
    done
    fake_url=http://127.0.0.1:$(cat "$work/$1.port")
}

# CPU seconds used so far by the fake and its worker processes.
fake_cpu() {
    python3 - "$fake_pid" <<'EOF'
import os, sys
root = int(sys.argv[1])
tick = os.sysconf("SC_CLK_TCK")
total = 0
for p in os.listdir("/proc"):
    if not p.isdigit():
        continue
    try:
        f = open("/proc/%s/stat" % p).read().rsplit(")", 1)[1].split()
    except OSError:
        continue
    pid, ppid = int(p), int(f[1])
    if pid == root or ppid == root:
        total += int(f[11]) + int(f[12])
print("%.2f" % (total / tick))
EOF
}

stop_fake() {
    kill "$fake_pid" 2>/dev/null || true
    wait "$fake_pid" 2>/dev/null || true
    fake_pid=
}

# verify NAME: the fake's one job FINISHED with every key of the input once.
verify() {
    python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' \
        "$fake_url/__fake/state" >"$work/$1.state.json"
    python3 - "$work/$1.state.json" "$data" "$1" <<'EOF'
import json, os, sys
state, data, name = sys.argv[1:4]
jobs = json.load(open(state))["jobs"]
n_e = n_r = 0
for root, _, files in os.walk(os.path.join(data, "graph")):
    for f in files:
        doc = json.load(open(os.path.join(root, f)))
        n_e += len(doc.get("entities", []))
        n_r += len(doc.get("relationships", []))
# --bench-accept counts objects instead of recording keys: the job's upload
# counters must equal the input (exactly-once delivery under faults is what
# the integration tests check, with full validation).
j = jobs[-1]["job"] if jobs else {}
got_e, got_r = j.get("numEntitiesUploaded", 0), j.get("numRelationshipsUploaded", 0)
ok = (len(jobs) == 1 and jobs[0]["status"] == "FINISHED" and got_e == n_e and got_r == n_r)
print("%s: job %s, %d/%d entities, %d/%d relationships, %d requests: %s" % (
    name, jobs[-1]["status"] if jobs else None, got_e, n_e, got_r, n_r,
    len(jobs[-1].get("requests", [])) if jobs else 0, "ok" if ok else "FAILED"))
open(state + ".objects", "w").write(str(n_e + n_r))
sys.exit(0 if ok else 1)
EOF
}

# run NAME CMD...: measure one uploader against a fresh fake.
run() {
    name=$1
    shift
    start_fake "$name"
    cpu0=$(fake_cpu)
    python3 "$here/measure.py" --env JUPITERONE_API_KEY="$key" --env JUPITERONE_ACCOUNT="$account" \
        --stdout "$work/$name.out" --stderr "$work/$name.err" -- $pin_client "$@" "$fake_url" >"$work/$name.m"
    cpu1=$(fake_cpu)
    echo "$cpu0 $cpu1" >"$work/$name.cpu"
    if ! verify "$name"; then
        tail -n 20 "$work/$name.err" >&2
        stop_fake
        return 1
    fi
    stop_fake
}

status=0
run j1-npm-upload sh -c 'exec "$0" --in "$1" -i bench-instance --api-base-url "$2"' \
    "$bin/j1-npm-upload" "$data" || status=1

official=
cli=$("$here/sdk-cli.sh" 2>"$work/sdk-cli.err") && rc=0 || rc=$?
if [ $rc -eq 0 ]; then
    proj=$work/project
    mkdir -p "$proj"
    ln -s "$data" "$proj/.j1-integration"
    if run official sh -c 'cd "$1" && exec "$0" sync -p "$1" -i bench-instance --account "$2" --api-base-url "$3"' \
        "$cli" "$proj" "$account"; then
        official=yes
    else
        status=1
    fi
elif [ $rc -eq 77 ]; then
    echo "SKIP: official j1-integration sync (${cli#SKIP: })"
else
    echo "SKIP: official j1-integration sync (install failed: $(tail -n 1 "$work/sdk-cli.err"))"
fi

python3 - "$work" "$official" <<'EOF'
import json, sys
work, official = sys.argv[1], sys.argv[2] == "yes"
names = ["j1-npm-upload"] + (["official"] if official else [])
rows = {}
for n in names:
    m = json.load(open("%s/%s.m" % (work, n)))
    c0, c1 = (float(x) for x in open("%s/%s.cpu" % (work, n)).read().split())
    objs = int(open("%s/%s.state.json.objects" % (work, n)).read())
    rows[n] = dict(m, objs=objs, fake=c1 - c0)
print()
print("%-22s %9s %11s %12s %10s %12s" % ("uploader", "wall s", "objects/s", "peak RSS MB",
                                          "CPU s", "fake CPU s"))
for n in names:
    r = rows[n]
    label = n if n != "official" else "j1-integration sync"
    print("%-22s %9.2f %11.0f %12.1f %10.2f %12.2f" % (
        label, r["wall_s"], r["objs"] / r["wall_s"], r["maxrss_kb"] / 1024,
        r["user_s"] + r["sys_s"], r["fake"]))
ours = rows["j1-npm-upload"]
if official:
    off = rows["official"]
    speed = off["wall_s"] / ours["wall_s"]
    mem = off["maxrss_kb"] / ours["maxrss_kb"]
    cpu = (off["user_s"] + off["sys_s"]) / (ours["user_s"] + ours["sys_s"])
    print()
    print("speed:  %.1fx faster (target >= 5x)  %s" % (speed, "MET" if speed >= 5 else "NOT MET"))
    print("memory: %.1fx less peak RSS (target >= 5x)  %s" % (mem, "MET" if mem >= 5 else "NOT MET"))
    print("CPU:    %.1fx less CPU time" % cpu)
else:
    print("\n(no official uploader to compare with; peak RSS target <= 64 MB: %s)"
          % ("MET" if ours["maxrss_kb"] <= 64 * 1024 else "NOT MET"))
EOF
exit $status
