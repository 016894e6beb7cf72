#!/usr/bin/env bash
# Builds own and runs every test, the way CI does (.ci/run calls this):
#   1. gcc, release build, all tests
#   2. clang, release build, all tests
#   3. gcc with -fsanitize=undefined, all tests
#   4. a valgrind build (OWN_VALGRIND=ON: the heap reports its blocks to
#      memcheck), tests labelled "valgrind" run under memcheck
#   5. the embedded checks: Cortex-M cross-builds and sizes, -m32, fuzzing
# Debian packages a step needs are installed when this runs as root with
# apt-get; a step whose tools are missing is skipped with a message.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)
ROOT=build/check

need_pkgs=()
have() { command -v "$1" >/dev/null 2>&1; }
want() { dpkg -s "$1" >/dev/null 2>&1 || need_pkgs+=("$1"); }
if have dpkg; then
  for p in clang valgrind gcc-arm-none-eabi gcc-multilib libclang-rt-14-dev sqlite3 perl git python3; do want "$p"; done
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && have apt-get; then
    echo "== installing Debian packages: ${need_pkgs[*]}"
    (apt-get install -y --no-install-recommends "${need_pkgs[@]}" >/dev/null 2>&1 ||
      { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends "${need_pkgs[@]}" >/dev/null 2>&1; }) ||
      echo "   (some packages could not be installed; the steps that need them are skipped)"
  else
    echo "== not installing ${need_pkgs[*]} (needs root and apt-get); steps that need them are skipped"
  fi
fi

failed=()
step() { # name, then the command
  local name=$1; shift
  echo
  echo "================ $name"
  if "$@"; then echo "---------------- $name: passed"; else echo "---------------- $name: FAILED"; failed+=("$name"); fi
}

build_and_test() { # dir, ctest args..., -- cmake args...
  local dir=$1; shift
  local ctest_args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do ctest_args+=("$1"); shift; done
  [ "${1:-}" = "--" ] && shift
  mkdir -p "$dir"
  if ! { cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" && cmake --build "$dir" -j "$JOBS"; } \
      >"$dir/build.log" 2>&1; then
    grep -vE '^\[ *[0-9]+%\]' "$dir/build.log" | tail -40
    return 1
  fi
  ctest --test-dir "$dir" -j "$JOBS" --output-on-failure "${ctest_args[@]}"
}

step "gcc" build_and_test $ROOT/gcc -- -DCMAKE_C_COMPILER=gcc
if have clang; then
  step "clang" build_and_test $ROOT/clang -- -DCMAKE_C_COMPILER=clang
else
  echo "== clang: skipped (clang is not installed)"
fi
# UBSan's own SIGSEGV handler would stand between the stack tests and theirs.
export UBSAN_OPTIONS=handle_segv=0:handle_sigbus=0:handle_abort=0:print_stacktrace=1
step "gcc -fsanitize=undefined" build_and_test $ROOT/ubsan -LE nosanitize -- -DCMAKE_C_COMPILER=gcc -DOWN_SANITIZE=undefined -DOWN_BENCH=OFF
if have valgrind; then
  step "valgrind" build_and_test $ROOT/valgrind -L valgrind -- -DCMAKE_C_COMPILER=gcc -DOWN_VALGRIND=ON -DOWN_BENCH=OFF
else
  echo "== valgrind: skipped (valgrind is not installed)"
fi
if [ -x scripts/embedded-check.sh ] || [ -f scripts/embedded-check.sh ]; then
  step "embedded" bash scripts/embedded-check.sh
fi

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "check: FAILED: ${failed[*]}"
  exit 1
fi
echo "check: every step passed"
