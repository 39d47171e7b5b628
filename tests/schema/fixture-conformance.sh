#!/bin/sh
# fixture-conformance.sh — the fixture org, collected from the fake registry
# and transformed, must validate against the JupiterOne data model.
# Exit: 0 pass, 1 fail, 77 skip (run.sh decides: no node/npm or no registry).
set -u
cd "$(dirname "$0")/../.." || exit 2
: "${J1NPM_BIN:=bin}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/j1npm-schema-XXXXXX") || exit 2
trap 'kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
python3 scripts/fake_registry.py --fixture fixtures/acme --port-file "$tmp/port" 2>"$tmp/registry.log" &
srv=$!
i=0
while [ ! -s "$tmp/port" ]; do
    i=$((i + 1))
    [ $i -gt 300 ] && { echo "FAIL: fake registry did not start" >&2; exit 1; }
    sleep 0.05
done
token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' fixtures/acme/registry.json)
NPM_TOKEN=$token HOME=$tmp "$J1NPM_BIN/j1-npm-collect" --org acme --quiet \
    --registry "http://127.0.0.1:$(cat "$tmp/port")/" --out "$tmp/dump" || { echo "FAIL: collect" >&2; exit 1; }
"$J1NPM_BIN/j1-npm-transform" --quiet --in "$tmp/dump" --out "$tmp/graph" --account-name "Acme npm" ||
    { echo "FAIL: transform" >&2; exit 1; }
tests/schema/run.sh "$tmp/graph"
