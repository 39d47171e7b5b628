#!/bin/sh
# Schema conformance test: validates every entity file found under
# GRAPH_DIR (graph/**/entities/*.json in the JupiterOne SDK storage layout)
# against the @jupiterone/data-model schemas, using validate-entities.js.
#
# usage: tests/schema/run.sh GRAPH_DIR
#   GRAPH_DIR may be the .j1-integration directory (containing graph/) or the
#   graph directory itself.
#
# The pinned node packages are installed once into
#   ${J1NPM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/j1-npm}/schema-node_modules-<data-model version>
# and reused afterwards.
#
# Exit status: 0 pass, 1 conformance failures, 2 usage/setup error,
# 77 skipped (node/npm missing, or the npm registry is unreachable).
set -u

DATA_MODEL_VERSION=0.64.2
AJV_VERSION=8.17.1
AJV_FORMATS_VERSION=2.1.1
STAMP="data-model=$DATA_MODEL_VERSION ajv=$AJV_VERSION ajv-formats=$AJV_FORMATS_VERSION"

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

missing=
command -v node >/dev/null 2>&1 || missing="node"
command -v npm >/dev/null 2>&1 || missing="${missing:+$missing and }npm"
if [ -n "$missing" ]; then
    echo "SKIP: schema conformance (npm not found)"
    echo "schema conformance: $missing not found in PATH" >&2
    exit 77
fi

cache_root=${J1NPM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/j1-npm}
prefix=$cache_root/schema-node_modules-$DATA_MODEL_VERSION

installed() {
    [ -f "$prefix/.j1npm-stamp" ] &&
        [ "$(cat "$prefix/.j1npm-stamp" 2>/dev/null)" = "$STAMP" ] &&
        [ -f "$prefix/node_modules/@jupiterone/data-model/package.json" ]
}

if ! installed; then
    mkdir -p "$cache_root" || { echo "FAIL: schema conformance: cannot create $cache_root" >&2; exit 2; }
    tmp=$(mktemp -d "$cache_root/.schema-install.XXXXXX") || exit 2
    chmod 755 "$tmp"
    printf '{"name":"j1-npm-schema-deps","version":"0.0.0","private":true}\n' >"$tmp/package.json"
    log=$tmp/npm-install.log
    if ! (cd "$tmp" &&
          npm install --no-audit --no-fund --ignore-scripts --no-package-lock \
              --save-exact --fetch-retries=1 --fetch-retry-mintimeout=2000 \
              --fetch-retry-maxtimeout=10000 --fetch-timeout=60000 \
              "@jupiterone/data-model@$DATA_MODEL_VERSION" \
              "ajv@$AJV_VERSION" "ajv-formats@$AJV_FORMATS_VERSION") >"$log" 2>&1; then
        code=$(sed -n -e 's/^npm ERR! code \([A-Z0-9_]*\).*/\1/p' \
                     -e 's/^npm error code \([A-Z0-9_]*\).*/\1/p' "$log" | head -n 1)
        detail=
        for pat in 'reason:' 'request to ' 'notarget|404|ENOTCACHED|network' ; do
            [ -n "$detail" ] && break
            detail=$(grep -E -m 1 "$pat" "$log" | sed -e 's/^npm ERR! //' -e 's/^npm error //')
        done
        [ -n "$detail" ] || detail=$(tail -n 1 "$log")
        rm -rf "$tmp"
        case "$code" in
        ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ESOCKETTIMEDOUT|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ENETDOWN|ENOTCACHED|ECONNABORTED|EPROTO|ERR_SOCKET_TIMEOUT|FETCH_ERROR|E5[0-9][0-9]|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE|CERT_HAS_EXPIRED)
            echo "SKIP: schema conformance (npm registry unreachable: ${code}: ${detail})"
            exit 77
            ;;
        esac
        echo "FAIL: schema conformance: npm install of pinned packages failed (${code:-unknown}): $detail" >&2
        exit 2
    fi
    got=$(cd "$tmp" && node -p "require('./node_modules/@jupiterone/data-model/package.json').version" 2>/dev/null)
    if [ "$got" != "$DATA_MODEL_VERSION" ]; then
        rm -rf "$tmp"
        echo "FAIL: schema conformance: installed @jupiterone/data-model@$got, expected $DATA_MODEL_VERSION" >&2
        exit 2
    fi
    rm -f "$log"
    printf '%s\n' "$STAMP" >"$tmp/.j1npm-stamp"
    if installed; then
        rm -rf "$tmp"       # another run finished first
    else
        rm -rf "$prefix"
        mv "$tmp" "$prefix" || { rm -rf "$tmp"; echo "FAIL: schema conformance: cannot populate $prefix" >&2; exit 2; }
    fi
fi

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
