#!/usr/bin/env bash
# run.sh — builds and runs the fixed heap's worst-case measurement
# (bench/fixed/worst_case.c): exact instructions per allocate and per free,
# counted by single-stepping, for heaps from 4 KiB to 1 GiB. Needs Linux with
# ptrace on x86-64 (or i386); touches up to about 1 GiB of memory.
#
#   bench/fixed/run.sh            # -O2, the host compiler
#   CC=clang CFLAGS=-Os bench/fixed/run.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
${CC:-cc} -std=c11 ${CFLAGS:--O2} -Wall -Wextra -I"$root/include" -I"$root/src" \
  "$root/bench/fixed/worst_case.c" "$root"/src/fixed/*.c -o "$out/worst_case"
echo "compiler: $(${CC:-cc} --version | head -1), flags: ${CFLAGS:--O2}"
"$out/worst_case"
