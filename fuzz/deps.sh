#!/bin/sh
# deps.sh — make sure clang can build libFuzzer targets for `make fuzz`; if
# it cannot, install clang and its libFuzzer runtime through scripts/deps.sh
# (the tree's one installer: Debian, as root or with sudo). The normal build
# and `make test` do not need them.
set -eu
cc=${1:-clang}
if command -v "$cc" >/dev/null 2>&1 &&
    echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){(void)d;(void)n;return 0;}' |
    "$cc" -x c -fsanitize=fuzzer -o /dev/null - >/dev/null 2>&1; then
    exit 0
fi
echo "fuzz: $cc cannot build libFuzzer targets; installing clang and libclang-rt-dev" >&2
DEPS_FOR="make fuzz" exec "$(dirname "$0")/../scripts/deps.sh" clang libclang-rt-dev
