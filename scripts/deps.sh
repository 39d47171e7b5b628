#!/bin/sh
# deps.sh — install the Debian packages j1-npm needs, only those that are
# missing (so a ready machine pays one dpkg query). The one installer of the
# tree: fuzz/deps.sh calls it for clang.
#
#   scripts/deps.sh              the build and test packages (`make deps`)
#   scripts/deps.sh PACKAGE...   those packages instead (DEPS_FOR names the
#                                make target to run as root, for the hint)
#
# Build: gcc, make, pkg-config, libcurl (OpenSSL flavour), zlib, jsmn.
# Tests: python3 (the fake servers), ca-certificates, chromium (renders the
# org report's HTML headless: test_report.py); benchmarks: time (GNU time,
# for peak RSS). `make deb` asks for dpkg-dev (dpkg-shlibdeps) when it
# runs; the tests render man pages with man, else groff (skipped without
# either). node/npm are optional
# (schema conformance and interop tests skip visibly without them).
set -eu

need="gcc make pkg-config libcurl4-openssl-dev zlib1g-dev libjsmn-dev python3 ca-certificates time chromium"
[ $# -gt 0 ] && need="$*"
target=${DEPS_FOR:-make deps}
missing=""
for p in $need; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=sudo
    else
        echo "deps: these Debian packages are missing:$missing" >&2
        echo "deps: run '$target' as root (or install them yourself)" >&2
        exit 1
    fi
else
    SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! $SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null; then
    # Package lists may be stale or absent on a fresh machine.
    $SUDO apt-get update -q >/dev/null
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
fi
