#!/bin/sh
# run.sh — the compile-time ownership checks.
#
#   sh run.sh CC INCLUDE_DIR            check every file (the ctest test)
#   sh run.sh CC INCLUDE_DIR --matrix   print which mistakes each flag set catches
#
# Each tests/compile_fail/*.c holds one ownership mistake and names the
# diagnostic it must produce in "expect:" lines at its top, e.g.
#   /* expect: -Wanalyzer-double-free */
# It must FAIL to compile under "$CC $FLAGS" and the output must contain every
# expected text. Each tests/compile_pass/*.c is correct code and must compile
# with no diagnostic at all. A file may add flags in a "flags:" line.
# FLAGS: C11, -O2 (the analyzer sees through the cleanup attribute only once
# the optimiser has turned the scoped variable into a plain value; see
# docs/ownership.md), the analyzer, all warnings as errors.
set -u
CC=${1:?usage: run.sh CC INCLUDE_DIR [--matrix]}
INC=${2:?usage: run.sh CC INCLUDE_DIR [--matrix]}
MODE=${3:-check}
HERE=$(cd "$(dirname "$0")" && pwd)
PASS_DIR=$HERE/../compile_pass
FLAGS="-std=c11 -O2 -fanalyzer -Wall -Wextra -Wpedantic -Werror -fdiagnostics-plain-output"
TMP=${TMPDIR:-/tmp}/own_compile_checks.$$
trap 'rm -f "$TMP" "$TMP.raw"' EXIT

# The text after "key:" on each matching comment line of file $2.
field() { sed -n "s|^[/ *]*$1:[[:space:]]*\(.*[^ */]\)[[:space:]]*\*/.*$|\1|p" "$2"; }

compile() { # file extra-flags...
  f=$1; shift
  # shellcheck disable=SC2086
  # ASCII quotes (LC_ALL=C); "-Werror=x" shown as "-Wx" to match "expect:".
  LC_ALL=C "$CC" $FLAGS "$@" -I"$INC" -c "$f" -o /dev/null >"$TMP.raw" 2>&1
  st=$?
  sed 's/-Werror=/-W/g' "$TMP.raw" >"$TMP"
  return $st
}

if [ "$MODE" = "--matrix" ]; then
  printf '%-34s %-32s %5s %5s %5s\n' "file" "expected" "-O0" "-O1" "-O2"
  for f in "$HERE"/*.c; do
    exp=$(field expect "$f" | head -n 1)
    row=""
    for o in -O0 -O1 -O2; do
      compile "$f" $(field flags "$f") "$o"
      if grep -q -- "$exp" "$TMP"; then row="$row  yes "; else row="$row   no "; fi
    done
    printf '%-34s %-32s%s\n' "$(basename "$f")" "$exp" "$row"
  done
  for f in "$PASS_DIR"/*.c; do
    row=""
    for o in -O0 -O1 -O2; do
      if compile "$f" $(field flags "$f") "$o" && [ ! -s "$TMP" ]; then row="$row clean"; else row="$row  WARN"; fi
    done
    printf '%-34s %-32s%s\n' "$(basename "$f")" "(must be clean)" "$row"
  done
  exit 0
fi

failed=0
checked=0
for f in "$HERE"/*.c; do
  checked=$((checked + 1))
  name=compile_fail/$(basename "$f")
  exps=$(field expect "$f")
  if [ -z "$exps" ]; then
    echo "FAIL $name: no 'expect:' line"
    failed=$((failed + 1))
    continue
  fi
  # shellcheck disable=SC2046
  if compile "$f" $(field flags "$f"); then
    echo "FAIL $name: compiled, but must be rejected"
    failed=$((failed + 1))
    continue
  fi
  missing=$(echo "$exps" | while IFS= read -r e; do grep -q -- "$e" "$TMP" || echo "$e"; done)
  if [ -n "$missing" ]; then
    echo "FAIL $name: rejected, but without: $missing"
    sed 's/^/    /' "$TMP"
    failed=$((failed + 1))
  else
    echo "ok   $name: $(echo "$exps" | tr '\n' ' ')"
  fi
done
for f in "$PASS_DIR"/*.c; do
  checked=$((checked + 1))
  name=compile_pass/$(basename "$f")
  # shellcheck disable=SC2046
  if compile "$f" $(field flags "$f") && [ ! -s "$TMP" ]; then
    echo "ok   $name: clean"
  else
    echo "FAIL $name: must compile clean"
    sed 's/^/    /' "$TMP"
    failed=$((failed + 1))
  fi
done
echo "$checked checked, $failed failed"
[ "$failed" -eq 0 ]
