#!/bin/sh
# npm-pin.sh — install pinned npm packages once into a cache directory and
# print its path: the one installer behind the tests and benchmarks that run
# node tools (scripts/sdk-cli.sh: the official uploader; tests/schema/run.sh:
# the data-model schemas).
#
# usage: scripts/npm-pin.sh [--ignore-scripts] NAME PKG@VERSION...
#
# The packages go into
#   ${J1NPM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/j1-npm}/NAME
# through a temporary directory moved into place once every package is
# verified to be there at its pinned version, so an interrupted install never
# looks finished; a stamp file names what was installed, and a later call
# with the same packages reuses the directory.
#
# Exit status: 0 (the directory on stdout); 77 skip (node/npm missing, or the
# registry unreachable; the reason on stdout as "SKIP: ..."); 2 other
# failures (the reason on stderr).
set -u

scripts=
if [ "${1:-}" = "--ignore-scripts" ]; then
    scripts=--ignore-scripts
    shift
fi
if [ $# -lt 2 ]; then
    echo "usage: $0 [--ignore-scripts] NAME PKG@VERSION..." >&2
    exit 2
fi
name=$1
shift
stamp="$*"

missing=
command -v node >/dev/null 2>&1 || missing="node"
command -v npm >/dev/null 2>&1 || missing="${missing:+$missing and }npm"
if [ -n "$missing" ]; then
    echo "SKIP: $missing not found in PATH"
    exit 77
fi

cache_root=${J1NPM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/j1-npm}
prefix=$cache_root/$name

# Every PKG@VERSION is installed in DIR at that version.
complete() {
    for spec in "$@"; do
        pkg=${spec%@*}
        want=${spec##*@}
        got=$(cd "$dir" && node -p "require('./node_modules/$pkg/package.json').version" 2>/dev/null)
        if [ "$got" != "$want" ]; then
            why="installed $pkg@${got:-nothing}, expected $want"
            return 1
        fi
    done
}

installed() {
    [ "$(cat "$prefix/.j1npm-stamp" 2>/dev/null)" = "$stamp" ] && dir=$prefix && complete "$@"
}

if installed "$@"; then
    echo "$prefix"
    exit 0
fi
mkdir -p "$cache_root" || { echo "cannot create $cache_root" >&2; exit 2; }
tmp=$(mktemp -d "$cache_root/.$name-install.XXXXXX") || exit 2
chmod 755 "$tmp"
printf '{"name":"j1-npm-pinned","version":"0.0.0","private":true}\n' >"$tmp/package.json"
log=$tmp/npm-install.log
if ! (cd "$tmp" &&
      npm install --no-audit --no-fund --no-package-lock --save-exact $scripts \
          --fetch-retries=1 --fetch-retry-mintimeout=2000 \
          --fetch-retry-maxtimeout=10000 --fetch-timeout=60000 "$@") >"$log" 2>&1; then
    code=$(sed -n -e 's/^npm ERR! code \([A-Z0-9_]*\).*/\1/p' \
                 -e 's/^npm error code \([A-Z0-9_]*\).*/\1/p' "$log" | head -n 1)
    detail=
    for pat in 'reason:' 'request to ' 'notarget|404|ENOTCACHED|network'; do
        [ -n "$detail" ] && break
        detail=$(grep -E -m 1 "$pat" "$log" | sed -e 's/^npm ERR! //' -e 's/^npm error //')
    done
    [ -n "$detail" ] || detail=$(tail -n 1 "$log")
    rm -rf "$tmp"
    case "$code" in
    ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ESOCKETTIMEDOUT|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ENETDOWN|ENOTCACHED|ECONNABORTED|EPROTO|ERR_SOCKET_TIMEOUT|FETCH_ERROR|E5[0-9][0-9]|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE|CERT_HAS_EXPIRED)
        echo "SKIP: npm registry unreachable ($code: $detail)"
        exit 77
        ;;
    esac
    echo "npm install $* failed (${code:-unknown}): $detail" >&2
    exit 2
fi
dir=$tmp
if ! complete "$@"; then
    rm -rf "$tmp"
    echo "$why" >&2
    exit 2
fi
rm -f "$log"
printf '%s\n' "$stamp" >"$tmp/.j1npm-stamp"
if installed "$@"; then
    rm -rf "$tmp" # another run finished first
else
    rm -rf "$prefix"
    # .bin links are relative, so the tree may move.
    mv "$tmp" "$prefix" || { rm -rf "$tmp"; echo "cannot populate $prefix" >&2; exit 2; }
fi
echo "$prefix"
