#!/bin/sh
# build.sh — builds and runs the ownership benchmark with cc directly (no
# CMake): libown's os, core, alloc and ownership layers compiled from source
# at -O2 into one program (DWARF 4: the debug info valgrind 3.19 reads), then
#   1. the timing table (bench_ownership),
#   2. instructions per call under callgrind, when valgrind is installed,
#   3. the machine code of the Box loop, _own_box_alloc, own_box_drop,
#      own_rc_clone and own_rc_drop.
# Usage: sh bench/ownership/build.sh [iterations]   (from anywhere)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${OUT:-${TMPDIR:-/tmp}/own-bench-ownership}
CC=${CC:-cc}
mkdir -p "$OUT"
SRCS=$(ls "$ROOT"/src/os/*.c "$ROOT"/src/core/*.c "$ROOT"/src/alloc/*.c "$ROOT"/src/ownership/*.c)
# shellcheck disable=SC2086
$CC -std=c11 -O2 -gdwarf-4 -D_GNU_SOURCE -DOWN_BUILD -DOWN_OVERRIDE=1 -I"$ROOT/include" -I"$ROOT/src" \
    -ftls-model=initial-exec -o "$OUT/bench_ownership" "$HERE/bench_ownership.c" $SRCS -lpthread

echo "== timing ($CC -O2, $(uname -m))"
"$OUT/bench_ownership" "${1:-5000000}"

if command -v valgrind >/dev/null 2>&1 && command -v callgrind_annotate >/dev/null 2>&1; then
  N=100000
  echo
  echo "== instructions per call (valgrind --tool=callgrind, $N calls each)"
  valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out" \
      --soname-synonyms=somalloc=nouserintercepts "$OUT/bench_ownership" --count $N >/dev/null 2>&1
  # Inclusive instructions of each benchmark loop, divided by its iterations;
  # raw malloc+free, raw alloc+dealloc and Box side by side.
  callgrind_annotate --inclusive=yes "$OUT/callgrind.out" 2>/dev/null | awk -v n=$N '
    function v(key) { return (key in ir) ? ir[key] / n : -1 }
    function row(label, m, a, b) {
      printf "  %-34s %7s %7s %7.1f", label, m == "" ? "-" : sprintf("%.1f", v(m)),
             a == "" ? "-" : sprintf("%.1f", v(a)), v(b)
      printf " %+8.1f%%", 100 * (v(b) / v(a) - 1)
      if (m != "") printf " %+8.1f%%", 100 * (v(b) / v(m) - 1)
      printf "\n"
    }
    /bench_ownership\.c:[a-z_0-9]+ / {
      c = $1; gsub(",", "", c)
      f = $0; sub(/.*bench_ownership\.c:/, "", f); sub(/ .*/, "", f); ir[f] = c
    }
    END {
      printf "  %-34s %7s %7s %7s %9s %9s\n", "instructions per new+drop", "malloc", "alloc", "box",
             "vs alloc", "vs malloc"
      row("one at a time,   16-byte value", "malloc_one_16", "alloc_one_16", "box_one_16")
      row("1000 live,       16-byte value", "malloc_batch_16", "alloc_batch_16", "box_batch_16")
      row("16-byte, layout known at run time", "malloc_one_16", "alloc_one_16", "box_one_rt")
      row("64-byte, align 64 (general form)", "", "alloc_one_a64", "box_one_a64")
      printf "  %-34s %7.1f\n", "own_rc_clone + own_rc_drop", v("rc_pair")
      printf "  %-34s %7.1f\n", "own_arc_clone + own_arc_drop", v("arc_pair")
    }'
fi

if command -v objdump >/dev/null 2>&1; then
  echo
  echo "== machine code"
  for f in box_one_16 _own_box_alloc own_box_drop own_rc_clone own_rc_drop; do
    objdump -d --no-show-raw-insn "$OUT/bench_ownership" |
      awk -v f="$f" '$0 ~ "<"f">:$" { p = 1 } p && /^$/ { exit } p'
  done
fi
