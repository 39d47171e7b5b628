#!/bin/sh
# run-tests.sh — the whole test suite, as `make test` runs it.
#
# 1. unit tests of common/ and of the programs' modules (C, one binary);
# 2. integration tests (Python unittest) that run the programs against the
#    fake servers in scripts/, on loopback only;
# 3. schema conformance of the fixture org's graph (node; a visible SKIP
#    when node/npm or the npm registry are unavailable);
# 4. fuzz replay: every fuzz target's entry function, built with the normal
#    compiler, over its seed corpus and every input that ever crashed it
#    (fuzz/corpus/, fuzz/crashes/; see fuzz/README.md). No clang needed.
#
# Environment (set by the Makefile): J1NPM_BIN, J1NPM_UNIT, J1NPM_SAN,
# J1NPM_FUZZ_REPLAY, J1NPM_FUZZ_TARGETS.
set -u
cd "$(dirname "$0")/.." || exit 2
: "${J1NPM_BIN:=bin}"
: "${J1NPM_UNIT:=build/rel/unit-tests}"
export J1NPM_BIN

if [ "${J1NPM_SAN:-}" = 1 ]; then
    # Leaks and UB are failures; abort on the first report.
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:exitcode=86"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=86"
fi

failed=0
echo "== unit tests"
"$J1NPM_UNIT" || failed=1

echo "== integration tests"
# test_resume spends its time waiting on a registry with latency (little
# CPU): it runs beside the other modules, which nearly halves the wall time.
# Its own bounds are request counts, not times.
beside=test_resume
rest=$(cd tests/integration && ls test_*.py | sed 's/\.py$//' | grep -vx "$beside")
beside_out=$(mktemp) || exit 2
PYTHONPATH=tests/integration python3 -m unittest $beside ${J1NPM_TEST_VERBOSE:+-v} \
    >"$beside_out" 2>&1 &
beside_pid=$!
# shellcheck disable=SC2086 # one argument per module
PYTHONPATH=tests/integration python3 -m unittest $rest ${J1NPM_TEST_VERBOSE:+-v} || failed=1
wait "$beside_pid" || failed=1
echo "-- $beside (run beside the others):"
cat "$beside_out"
rm -f "$beside_out"

echo "== schema conformance"
tests/schema/fixture-conformance.sh
rc=$?
if [ $rc -eq 77 ]; then
    echo "SKIP: schema conformance (see the reason above)"
elif [ $rc -ne 0 ]; then
    failed=1
fi

echo "== fuzz replay"
if [ -n "${J1NPM_FUZZ_TARGETS:-}" ]; then
    fuzz/replay.sh || failed=1
else
    echo "SKIP: fuzz replay (J1NPM_FUZZ_TARGETS not set; run it through make test)"
fi

if [ $failed -ne 0 ]; then
    echo "FAILED"
    exit 1
fi
echo "all tests passed"
