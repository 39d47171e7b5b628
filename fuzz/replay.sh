#!/bin/sh
# replay.sh — replay every fuzz target's seed corpus and kept crashes on
# the normal build (no clang needed); part of `make test`.
#
# Environment: J1NPM_FUZZ_REPLAY (the directory holding replay-<target>),
# J1NPM_FUZZ_TARGETS (the targets' names). Exit status 1 if any input
# breaks an invariant or crashes.
set -u
cd "$(dirname "$0")/.." || exit 2
: "${J1NPM_FUZZ_REPLAY:=build/rel/fuzz}"
failed=0
for t in ${J1NPM_FUZZ_TARGETS:-}; do
    if ! "$J1NPM_FUZZ_REPLAY/replay-$t" "fuzz/corpus/$t" "fuzz/crashes/$t" 2>"$J1NPM_FUZZ_REPLAY/replay-$t.log"; then
        echo "FAIL fuzz replay $t:"
        tail -20 "$J1NPM_FUZZ_REPLAY/replay-$t.log"
        failed=1
    else
        n=$(awk '/^replayed/ {n += $2} END {print n + 0}' "$J1NPM_FUZZ_REPLAY/replay-$t.log")
        echo "ok   fuzz replay $t: $n inputs"
    fi
done
exit $failed
