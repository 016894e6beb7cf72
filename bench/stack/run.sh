#!/bin/sh
# Builds bench_stack from the sources of the layers it needs (os, core, stack)
# with cc directly, and runs it. Usage: bench/stack/run.sh [calls]
#   CC=clang bench/stack/run.sh       another compiler
#   STRACE=1 bench/stack/run.sh       also count the mmap system calls with strace -c
set -e
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${BUILD_DIR:-/tmp/own-bench-stack}
mkdir -p "$out"
${CC:-cc} -std=c11 -O2 -D_GNU_SOURCE -DOWN_BUILD -ftls-model=initial-exec \
  -I"$root/include" -I"$root/src" \
  "$here/bench_stack.c" "$root"/src/os/*.c "$root"/src/core/format.c "$root"/src/core/error.c "$root"/src/core/options.c \
  "$root"/src/stack/*.c "$root"/src/stack/*.S \
  -lpthread -o "$out/bench_stack"
"$out/bench_stack" "$@"
if [ -n "$STRACE" ] && command -v strace >/dev/null; then
  echo
  echo "system calls of the cached-growth loop alone (1,000,000 growths; calls=100000000/100):"
  strace -f -c -e trace=mmap,munmap,mprotect "$out/bench_stack" 100000000 2>&1 >/dev/null | tail -8
fi
