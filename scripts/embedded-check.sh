#!/usr/bin/env bash
# embedded-check.sh — proves the embedded heap engines are embedded for real.
#
#  1. Cross-compiles every src/fixed/*.c, src/pool/*.c and src/arena/*.c with
#     arm-none-eabi-gcc for Cortex-M0+ and Cortex-M4 (-Os -ffreestanding
#     -nostdlib), links each module's objects together (ld -r) and fails if any
#     symbol is left undefined (no libc, no libgcc helpers). Prints the code
#     size (text) per file, module and CPU. Fails if the fixed heap's core
#     (src/fixed/fixed.c: init, alloc, aligned alloc, free, realloc, usable
#     size) is over 2 KiB of code on Cortex-M4.
#  2. Builds the fixed-heap tests with -m32 directly with cc (the library
#     files compiled in, no libown) and runs them.
#  3. Runs the libFuzzer target tests/fuzz/fuzz_fixed.c for FUZZ_SECONDS
#     (default 60) with clang -fsanitize=fuzzer,address,undefined.
# A missing tool is installed with apt-get when possible; otherwise that step
# prints "skipped: ..." and the script goes on (exit 0).
#
#   scripts/embedded-check.sh            # everything
#   FUZZ_SECONDS=10 scripts/embedded-check.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fuzz_seconds=${FUZZ_SECONDS:-60}
core_limit=2048
status=0

try_install() { # package
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get install -y -q "$1" >/dev/null 2>&1 || return 1
    return 0
  fi
  return 1
}

have_pkg() { dpkg -s "$1" >/dev/null 2>&1; }

# ---- 1. Cortex-M cross build ------------------------------------------------
echo "== freestanding cross build (arm-none-eabi-gcc -Os -ffreestanding -nostdlib)"
if ! command -v arm-none-eabi-gcc >/dev/null 2>&1; then
  try_install gcc-arm-none-eabi || true
fi
if ! command -v arm-none-eabi-gcc >/dev/null 2>&1; then
  echo "skipped: arm-none-eabi-gcc not found and not installable (Debian package gcc-arm-none-eabi)"
else
  cflags=(-std=c11 -Wall -Wextra -Wpedantic -Werror -Os -ffreestanding -nostdlib
          -ffunction-sections -fdata-sections -I"$root/include" -I"$root/src")
  printf '%-8s %-14s %-28s %8s\n' module cpu file text
  for cpu in cortex-m0plus cortex-m4; do
    for module in fixed pool arena; do
      shopt -s nullglob
      files=("$root"/src/$module/*.c)
      shopt -u nullglob
      [ ${#files[@]} -eq 0 ] && continue
      objs=()
      total=0
      for f in "${files[@]}"; do
        o="$work/$module-$cpu-$(basename "$f" .c).o"
        arm-none-eabi-gcc "${cflags[@]}" -mcpu=$cpu -mthumb -c "$f" -o "$o"
        text=$(arm-none-eabi-size "$o" | awk 'NR==2 {print $1}')
        total=$((total + text))
        printf '%-8s %-14s %-28s %8s\n' "$module" "$cpu" "$(basename "$f")" "$text"
        objs+=("$o")
        if [ "$module" = fixed ] && [ "$(basename "$f")" = fixed.c ] && [ "$cpu" = cortex-m4 ] &&
           [ "$text" -gt $core_limit ]; then
          echo "FAIL: fixed heap core is $text bytes of code on Cortex-M4, over $core_limit"
          status=1
        fi
      done
      printf '%-8s %-14s %-28s %8s\n' "$module" "$cpu" "(all files)" "$total"
      arm-none-eabi-ld -r "${objs[@]}" -o "$work/$module-$cpu.o"
      undef=$(arm-none-eabi-nm -u "$work/$module-$cpu.o" | awk '{print $2}' | tr '\n' ' ')
      if [ -n "$undef" ]; then
        echo "FAIL: $module on $cpu needs undefined symbols: $undef"
        status=1
      fi
    done
  done
fi

# ---- 2. 32-bit host tests ----------------------------------------------------
echo "== fixed-heap tests, -m32, built with cc directly"
if ! have_pkg gcc-multilib; then try_install gcc-multilib || true; fi
if ! echo 'int main(void){return 0;}' | cc -m32 -x c - -o "$work/m32probe" >/dev/null 2>&1; then
  echo "skipped: cc -m32 cannot link (Debian package gcc-multilib)"
else
  for t in "$root"/tests/test_fixed*.c; do
    exe="$work/$(basename "$t" .c)-m32"
    cc -m32 -std=c11 -O2 -Wall -Wextra -Wpedantic -Werror -D_GNU_SOURCE \
      -I"$root/include" -I"$root/src" -I"$root/tests" "$t" "$root"/src/fixed/*.c -o "$exe"
    if "$exe" >"$exe.log" 2>&1; then
      echo "ok:   $(basename "$t") (-m32): $(tail -1 "$exe.log")"
    else
      echo "FAIL: $(basename "$t") (-m32)"
      tail -20 "$exe.log"
      status=1
    fi
  done
fi

# ---- 3. fuzzing ----------------------------------------------------------------
echo "== libFuzzer: tests/fuzz/fuzz_fixed.c for ${fuzz_seconds}s"
if ! clang -fsanitize=fuzzer -x c - -o "$work/fuzzprobe" >/dev/null 2>&1 <<<'
#include <stdint.h>
#include <stddef.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }'; then
  try_install libclang-rt-14-dev || true
fi
if ! command -v clang >/dev/null 2>&1; then
  echo "skipped: clang not found"
elif ! clang -fsanitize=fuzzer -x c - -o "$work/fuzzprobe" >/dev/null 2>&1 <<<'
#include <stdint.h>
#include <stddef.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }'; then
  echo "skipped: clang's libFuzzer runtime is missing (Debian package libclang-rt-14-dev)"
else
  clang -g -O1 -std=c11 -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=all -I"$root/include" -I"$root/src" \
    "$root/tests/fuzz/fuzz_fixed.c" "$root"/src/fixed/*.c -o "$work/fuzz_fixed"
  mkdir -p "$work/corpus"
  if (cd "$work" && ./fuzz_fixed -max_total_time="$fuzz_seconds" -print_final_stats=1 corpus \
        >"$work/fuzz.log" 2>&1); then
    echo "ok:   $(grep -E '^stat::number_of_executed_units' "$work/fuzz.log" | awk '{print $2}') runs, no crash"
  else
    echo "FAIL: fuzzer found a crash"
    tail -40 "$work/fuzz.log"
    status=1
  fi
fi

exit $status
