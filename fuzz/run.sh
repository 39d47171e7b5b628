#!/bin/sh
# run.sh — `make fuzz`: run each libFuzzer target for FUZZ_SECONDS seconds
# and print what it did.
#
#   fuzz/run.sh [TARGET...]        (default: every target the Makefile built)
#
# Environment: FUZZ_SECONDS (per target, default 10), FUZZ_BIN (where the
# fuzzers are, set by the Makefile), FUZZ_JOBS (targets run at once,
# default 1), FUZZ_ARGS (more libFuzzer flags).
#
# Each target starts from its seed corpus, fuzz/corpus/<target>/ (small,
# committed), and a working corpus under build/fuzz/corpus/<target>/ that
# grows across runs and is not committed. An input that crashes, leaks,
# times out (10 s) or runs out of memory is written to
# fuzz/crashes/<target>/, which `make test` replays on the normal build:
# commit it with the fix. One line a target at the end:
#   target  seconds-run  execs  exec/s  corpus-size  new-findings
set -u
cd "$(dirname "$0")/.." || exit 2
: "${FUZZ_SECONDS:=10}"
: "${FUZZ_BIN:=build/fuzz/bin}"
: "${FUZZ_JOBS:=1}"
: "${FUZZ_ARGS:=}"

if [ "${1:-}" = --one ]; then
    targets=$2
elif [ $# -gt 0 ]; then
    targets="$*"
else
    targets=$(ls "$FUZZ_BIN" | sed -n 's/^fuzz-//p')
fi
logs=build/fuzz/logs
mkdir -p "$logs"

run_one() {
    t=$1
    mkdir -p "build/fuzz/corpus/$t" "fuzz/crashes/$t"
    before=$(ls "fuzz/crashes/$t" | wc -l)
    t0=$(date +%s)
    # shellcheck disable=SC2086
    "$FUZZ_BIN/fuzz-$t" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="fuzz/crashes/$t/" $FUZZ_ARGS \
        "build/fuzz/corpus/$t" "fuzz/corpus/$t" >"$logs/$t.log" 2>&1
    rc=$?
    secs=$(($(date +%s) - t0))
    after=$(ls "fuzz/crashes/$t" | wc -l)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t.log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$logs/$t.log" | tail -1)
    corpus=$(ls "build/fuzz/corpus/$t" | wc -l)
    printf '%-16s %6ss %12s %8s/s %7s %4s%s\n' "$t" "$secs" "${execs:-?}" "${rate:-?}" \
        "$corpus" "$((after - before))" "$([ $rc -ne 0 ] && echo "  (exit $rc: see $logs/$t.log)")" \
        >"$logs/$t.line"
    cat "$logs/$t.line"
}

if [ "${1:-}" = --one ]; then # one target, for the pool below
    run_one "$2"
    exit 0
fi

printf '%-16s %7s %12s %10s %7s %4s\n' target time execs rate corpus new
status=0
for t in $targets; do
    if [ ! -x "$FUZZ_BIN/fuzz-$t" ]; then
        echo "fuzz: no target $t in $FUZZ_BIN" >&2
        exit 2
    fi
    rm -f "$logs/$t.line"
done
# FUZZ_JOBS at a time: the next target starts as soon as one ends.
printf '%s\n' $targets | xargs -P "$FUZZ_JOBS" -I{} "$0" --one {}
found=$(cat $(for t in $targets; do echo "$logs/$t.line"; done) 2>/dev/null | awk '$6 > 0' | wc -l)
if [ "$found" -gt 0 ]; then
    echo "fuzz: new findings under fuzz/crashes/ (replay one: build/rel/fuzz/replay-TARGET FILE)"
    status=1
fi
exit $status
