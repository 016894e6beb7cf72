#!/bin/sh
# Builds and runs the collections benchmark with the C compiler directly:
# own's os, core, alloc, ownership (Box's heap entries live in alloc) and
# collections sources compiled into one program
# (malloc stays glibc's: no OWN_OVERRIDE), at -O2.
#
#   bench/collections/build.sh            # build into $OUT (default /tmp/own-bench-collections), run
#   CC=clang bench/collections/build.sh   # another compiler
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${OUT:-${TMPDIR:-/tmp}/own-bench-collections}
mkdir -p "$out"
${CC:-cc} -std=c11 -O2 -DNDEBUG -D_GNU_SOURCE -DOWN_BUILD \
  -I"$root/include" -I"$root/src" \
  "$root"/src/os/*.c "$root"/src/core/*.c "$root"/src/alloc/*.c "$root"/src/ownership/*.c \
  "$root"/src/collections/*.c \
  "$here/bench_collections.c" -o "$out/bench_collections" -lpthread
"$out/bench_collections"
