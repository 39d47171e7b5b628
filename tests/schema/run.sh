#!/bin/sh
# Schema conformance test: validates every entity file found under
# GRAPH_DIR (graph/**/entities/*.json in the JupiterOne SDK storage layout)
# against the @jupiterone/data-model schemas, using validate-entities.js.
#
# usage: tests/schema/run.sh GRAPH_DIR
#   GRAPH_DIR may be the .j1-integration directory (containing graph/) or the
#   graph directory itself.
#
# The pinned node packages are installed once (scripts/npm-pin.sh) into
#   ${J1NPM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/j1-npm}/schema-node_modules-<data-model version>
# and reused afterwards.
#
# Exit status: 0 pass, 1 conformance failures, 2 usage/setup error,
# 77 skipped (node/npm missing, or the npm registry is unreachable).
set -u

DATA_MODEL_VERSION=0.64.2
AJV_VERSION=8.17.1
AJV_FORMATS_VERSION=2.1.1

case $0 in
*/*) here=${0%/*} ;;
*) here=. ;;
esac
here=$(cd "$here" && pwd) || exit 2

if [ $# -ne 1 ]; then
    echo "usage: $0 GRAPH_DIR" >&2
    exit 2
fi
graph_arg=$1
if [ ! -d "$graph_arg" ]; then
    echo "FAIL: schema conformance: $graph_arg is not a directory" >&2
    exit 2
fi

prefix=$("$here/../../scripts/npm-pin.sh" --ignore-scripts "schema-node_modules-$DATA_MODEL_VERSION" \
    "@jupiterone/data-model@$DATA_MODEL_VERSION" "ajv@$AJV_VERSION" \
    "ajv-formats@$AJV_FORMATS_VERSION")
rc=$?
case $rc in
0) ;;
77) echo "SKIP: schema conformance (${prefix#SKIP: })"; exit 77 ;;
*) echo "FAIL: schema conformance: cannot install the pinned node packages" >&2; exit 2 ;;
esac

if [ -d "$graph_arg/graph" ]; then
    search=$graph_arg/graph
else
    search=$graph_arg
fi

list=$(mktemp) || exit 2
trap 'rm -f "$list"' EXIT
find "$search" -type f -path '*/entities/*.json' | LC_ALL=C sort >"$list"

NODE_PATH="$prefix/node_modules" node "$here/validate-entities.js" \
    --require-data-model-version "$DATA_MODEL_VERSION" --files-from "$list"
