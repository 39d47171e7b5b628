#!/bin/sh
# sdk-cli.sh — install (once) the official JupiterOne uploader,
# `j1-integration` from @jupiterone/integration-sdk-cli, and print the path of
# its executable. The upload interop test and the upload benchmark run it.
#
# Version 8.41.0: the newest that installs from the npm registry we can reach
# (13.x and 17.x need packages the registry does not have). It goes into
#   ${J1NPM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/j1-npm}/sdk-cli-8.41.0
# through a temporary directory moved into place once the install is
# verified, so an interrupted install never looks finished.
#
# Exit status: 0 (path on stdout); 77 skip (node/npm missing, or the registry
# unreachable; the reason on stdout as "SKIP: ..."); 2 other failures.
set -u

VERSION=8.41.0
PKG=@jupiterone/integration-sdk-cli
STAMP="$PKG@$VERSION"

missing=
command -v node >/dev/null 2>&1 || missing="node"
command -v npm >/dev/null 2>&1 || missing="${missing:+$missing and }npm"
if [ -n "$missing" ]; then
    echo "SKIP: $missing not found in PATH"
    exit 77
fi

cache_root=${J1NPM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/j1-npm}
prefix=$cache_root/sdk-cli-$VERSION
bin=$prefix/node_modules/.bin/j1-integration

installed() {
    [ -f "$prefix/.j1npm-stamp" ] &&
        [ "$(cat "$prefix/.j1npm-stamp" 2>/dev/null)" = "$STAMP" ] && [ -x "$bin" ]
}

if ! installed; then
    mkdir -p "$cache_root" || { echo "cannot create $cache_root" >&2; exit 2; }
    tmp=$(mktemp -d "$cache_root/.sdk-cli-install.XXXXXX") || exit 2
    chmod 755 "$tmp"
    printf '{"name":"j1-npm-sdk-cli","version":"0.0.0","private":true}\n' >"$tmp/package.json"
    log=$tmp/npm-install.log
    if ! (cd "$tmp" &&
          npm install --no-audit --no-fund --no-package-lock --save-exact \
              --fetch-retries=1 --fetch-retry-mintimeout=2000 \
              --fetch-retry-maxtimeout=10000 --fetch-timeout=60000 \
              "$PKG@$VERSION") >"$log" 2>&1; then
        code=$(sed -n -e 's/^npm ERR! code \([A-Z0-9_]*\).*/\1/p' \
                     -e 's/^npm error code \([A-Z0-9_]*\).*/\1/p' "$log" | head -n 1)
        detail=$(grep -E -m 1 'reason:|request to |notarget|404|ENOTCACHED|network' "$log" |
                 sed -e 's/^npm ERR! //' -e 's/^npm error //')
        [ -n "$detail" ] || detail=$(tail -n 1 "$log")
        rm -rf "$tmp"
        case "$code" in
        ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ESOCKETTIMEDOUT|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ENETDOWN|ENOTCACHED|ECONNABORTED|EPROTO|ERR_SOCKET_TIMEOUT|FETCH_ERROR|E5[0-9][0-9]|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE|CERT_HAS_EXPIRED)
            echo "SKIP: npm registry unreachable ($code: $detail)"
            exit 77
            ;;
        esac
        echo "npm install $PKG@$VERSION failed (${code:-unknown}): $detail" >&2
        exit 2
    fi
    got=$(cd "$tmp" && node -p "require('./node_modules/$PKG/package.json').version" 2>/dev/null)
    if [ "$got" != "$VERSION" ] || [ ! -x "$tmp/node_modules/.bin/j1-integration" ]; then
        rm -rf "$tmp"
        echo "installed $PKG@$got, expected $VERSION with a j1-integration executable" >&2
        exit 2
    fi
    rm -f "$log"
    printf '%s\n' "$STAMP" >"$tmp/.j1npm-stamp"
    if installed; then
        rm -rf "$tmp" # another run finished first
    else
        rm -rf "$prefix"
        # .bin links are relative, so the tree may move.
        mv "$tmp" "$prefix" || { rm -rf "$tmp"; echo "cannot populate $prefix" >&2; exit 2; }
    fi
fi
echo "$bin"
