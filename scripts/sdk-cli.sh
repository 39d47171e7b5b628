#!/bin/sh
# sdk-cli.sh — install (once) the official JupiterOne uploader,
# `j1-integration` from @jupiterone/integration-sdk-cli, and print the path of
# its executable. The upload interop test and the upload benchmark run it.
#
# Version 8.41.0: the newest that installs from the npm registry we can reach
# (13.x and 17.x need packages the registry does not have). scripts/npm-pin.sh
# installs it into the cache directory sdk-cli-8.41.0.
#
# Exit status: 0 (path on stdout); 77 skip (node/npm missing, or the registry
# unreachable; the reason on stdout as "SKIP: ..."); 2 other failures.
set -u

VERSION=8.41.0
here=$(cd "$(dirname "$0")" && pwd) || exit 2
prefix=$("$here/npm-pin.sh" "sdk-cli-$VERSION" "@jupiterone/integration-sdk-cli@$VERSION")
rc=$?
if [ $rc -ne 0 ]; then
    [ -n "$prefix" ] && echo "$prefix"
    exit $rc
fi
bin=$prefix/node_modules/.bin/j1-integration
if [ ! -x "$bin" ]; then
    echo "installed @jupiterone/integration-sdk-cli@$VERSION has no j1-integration executable" >&2
    exit 2
fi
echo "$bin"
