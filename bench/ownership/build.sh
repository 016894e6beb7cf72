#!/bin/sh
# build.sh — builds and runs the ownership benchmark with cc directly (no
# CMake): libown's os, core, alloc and ownership layers compiled from source
# at -O2 into one program (DWARF 4: the debug info valgrind 3.19 reads), then
#   1. the timing table (bench_ownership),
#   2. instructions per call under callgrind, when valgrind is installed,
#   3. the machine code of the Box loop, _own_box_init, own_box_drop,
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
  # Inclusive instructions of each benchmark loop, divided by its iterations.
  callgrind_annotate --inclusive=yes "$OUT/callgrind.out" 2>/dev/null | awk -v n=$N '
    function row(label, key) { if (key in ir) printf "  %-50s %6.1f\n", label, ir[key] / n }
    /bench_ownership\.c:[a-z_0-9]+ / {
      c = $1; gsub(",", "", c)
      f = $0; sub(/.*bench_ownership\.c:/, "", f); sub(/ .*/, "", f); ir[f] = c
    }
    END {
      printf "  %-50s %6s\n", "loop (per iteration)", "instr"
      row("own_malloc + own_free of Box'"'"'s block (16-byte value)", "malloc_one_16")
      row("own_alloc + own_dealloc of Box'"'"'s block", "alloc_one_16")
      row("own_box_new + own_box_drop (constant layout)", "box_one_16")
      row("  the same, 1000 live: malloc", "malloc_batch_16")
      row("  the same, 1000 live: alloc", "alloc_batch_16")
      row("  the same, 1000 live: box", "box_batch_16")
      row("own_box_new + own_box_drop, run-time layout", "box_one_rt")
      row("align 64: own_alloc + own_dealloc of the block", "alloc_one_a64")
      row("align 64: own_box_new + own_box_drop", "box_one_a64")
      row("own_rc_clone + own_rc_drop", "rc_pair")
      row("own_arc_clone + own_arc_drop", "arc_pair")
    }'
fi

if command -v objdump >/dev/null 2>&1; then
  echo
  echo "== machine code"
  for f in box_one_16 _own_box_init own_box_drop own_rc_clone own_rc_drop; do
    objdump -d --no-show-raw-insn "$OUT/bench_ownership" |
      awk -v f="$f" '$0 ~ "<"f">:$" { p = 1 } p && /^$/ { exit } p'
  done
fi
