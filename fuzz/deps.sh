#!/bin/sh
# deps.sh — install clang and its libFuzzer runtime for `make fuzz` when
# missing (Debian; as root or with sudo), as scripts/deps.sh does for the
# build. The normal build and `make test` do not need them.
set -eu
cc=${1:-clang}
if command -v "$cc" >/dev/null 2>&1 &&
    echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){(void)d;(void)n;return 0;}' |
    "$cc" -x c -fsanitize=fuzzer -o /dev/null - >/dev/null 2>&1; then
    exit 0
fi
echo "fuzz: installing clang and libclang-rt-dev (libFuzzer)" >&2
SUDO=
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=sudo
    else
        echo "fuzz: clang with libFuzzer is missing; run 'make fuzz' as root once," >&2
        echo "fuzz: or install the Debian packages clang and libclang-rt-dev" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -q --no-install-recommends clang libclang-rt-dev >/dev/null; then
    $SUDO apt-get update -q >/dev/null
    $SUDO apt-get install -y -q --no-install-recommends clang libclang-rt-dev >/dev/null
fi
