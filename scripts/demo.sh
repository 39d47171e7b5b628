#!/bin/sh
# demo.sh — `make demo`: the whole pipeline on the bundled fixture org, with
# local stand-in servers and no credentials:
#
#   fake npm registry ──collect──▶ dump ──transform──▶ graph ──upload──▶ fake JupiterOne
#
# Everything binds 127.0.0.1 on free ports and stops when the demo ends.
# The files stay in out/demo/ so you can look at them afterwards.
set -eu
cd "$(dirname "$0")/.."
: "${J1NPM_BIN:=bin}"
out=out/demo
mkdir -p "$out"
rm -rf "$out/dump" "$out/graph" "$out"/*.port

reg_pid=
j1_pid=
cleanup() {
    for p in $reg_pid $j1_pid; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

wait_port() { # file pid
    i=0
    while [ ! -s "$1" ]; do
        kill -0 "$2" 2>/dev/null || { echo "demo: a fake server failed to start" >&2; exit 1; }
        i=$((i + 1))
        [ $i -gt 400 ] && { echo "demo: a fake server did not start" >&2; exit 1; }
        sleep 0.05
    done
}

python3 scripts/fake_registry.py --fixture fixtures/acme --port-file "$out/registry.port" \
    2>"$out/registry.log" &
reg_pid=$!
python3 scripts/fake_j1.py --api-key demo-api-key-not-secret --account demo-account \
    --port-file "$out/j1.port" --record "$out/j1-record.json" 2>"$out/j1.log" &
j1_pid=$!
wait_port "$out/registry.port" "$reg_pid"
wait_port "$out/j1.port" "$j1_pid"
registry="http://127.0.0.1:$(cat "$out/registry.port")/"
j1="http://127.0.0.1:$(cat "$out/j1.port")"
token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' fixtures/acme/registry.json)

echo "== 1. collect: the org 'acme' from the fake registry at $registry"
NPM_TOKEN=$token "$J1NPM_BIN/j1-npm-collect" --org acme --registry "$registry" --out "$out/dump"
echo "   the dump is in $out/dump:"
ls -l "$out/dump" | sed 's/^/     /'

echo
echo "== 2. transform: $out/dump -> JupiterOne graph in $out/graph (counts by _type)"
"$J1NPM_BIN/j1-npm-transform" --in "$out/dump" --out "$out/graph" --account-name "Acme (demo)" \
    --report "$out/report.md" --report "$out/report.html" --picture "$out/access-map.svg"

echo
echo "== 3. upload: $out/graph -> the fake JupiterOne API at $j1"
JUPITERONE_API_KEY=demo-api-key-not-secret JUPITERONE_ACCOUNT=demo-account \
    "$J1NPM_BIN/j1-npm-upload" --in "$out/graph" --api-base-url "$j1" \
    --integration-instance-id demo-instance

echo
echo "== the job, as the fake JupiterOne API recorded it"
python3 - "$out/j1-record.json" <<'PY'
import json, sys
rec = json.load(open(sys.argv[1]))
for job in rec["jobs"]:
    j = job["job"]
    print("   job %s: %s; %d entities and %d relationships uploaded; partial types: %s" % (
        j["id"], j["status"], j.get("numEntitiesUploaded", 0), j.get("numRelationshipsUploaded", 0),
        ((job.get("finalizeBody") or {}).get("partialDatasets") or {}).get("types") or "none"))
PY
echo
echo "demo: done. Files: $out/dump (raw responses), $out/graph (JupiterOne graph),"
echo "      $out/report.md and $out/report.html (the org report), $out/access-map.svg (who can publish what)."
