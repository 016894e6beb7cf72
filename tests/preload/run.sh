#!/bin/sh
# run.sh — runs a real program with and without LD_PRELOAD=libown.so and
# compares what it prints.
#
#   sh run.sh /path/to/libown.so CASE      CASE: python sqlite git perl gcc
#
# Each case is a shell function below that does some allocation-heavy work in
# the current directory and prints results that depend only on the work. It
# runs twice, in two fresh temporary directories: once as is, once with
# LD_PRELOAD=libown.so and OWN_VERBOSE=1 (own then prints "own heap
# statistics" to stderr when each process exits — the proof that the preload
# took effect). The test passes when stdout and the exit code are the same,
# the preloaded run shows own's statistics, and own reported no error.
# Exit 77 (ctest's SKIP_RETURN_CODE) when the program is not installed.
set -u

LIB=${1:?usage: run.sh /path/to/libown.so CASE}
CASE=${2:?usage: run.sh /path/to/libown.so CASE}
HERE=$(cd "$(dirname "$0")" && pwd)
SKIP=77

if [ ! -f "$LIB" ]; then
  echo "run.sh: $LIB does not exist"
  exit 1
fi
case "$LIB" in /*) ;; *) LIB=$(pwd)/$LIB ;; esac

TMP=$(mktemp -d "${TMPDIR:-/tmp}/own-preload.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM

need() {
  for p in "$@"; do
    if ! command -v "$p" >/dev/null 2>&1; then
      echo "SKIP: $p is not installed"
      exit $SKIP
    fi
  done
}

# ---- the cases -------------------------------------------------------------

case_python() {
  python3 "$HERE/alloc.py"
}

case_sqlite() {
  sqlite3 test.db <<'SQL'
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, grp INTEGER, val REAL, note TEXT);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 100000)
INSERT INTO t SELECT i, printf('name-%08d', (i * 7919) % 100003), i % 97, (i * 31 % 1000) / 8.0,
                     substr('abcdefghijklmnopqrstuvwxyz', 1 + i % 26) || printf('%d', i * i)
FROM c;
CREATE INDEX t_grp ON t(grp, name);
SELECT count(*), sum(grp), sum(val) FROM t;
SELECT grp, count(*), min(name), max(name) FROM t GROUP BY grp ORDER BY grp LIMIT 12;
SELECT name FROM t WHERE grp = 42 ORDER BY name DESC LIMIT 5;
UPDATE t SET name = name || '-updated', note = upper(note) WHERE id % 3 = 0;
DELETE FROM t WHERE id % 5 = 0;
SELECT count(*), sum(length(name)), sum(length(note)) FROM t;
SELECT group_concat(id) FROM (SELECT id FROM t ORDER BY note, id LIMIT 25);
SELECT a.grp, count(*) FROM t a JOIN t b ON a.id = b.id + 1 WHERE a.grp < 5 GROUP BY a.grp;
VACUUM;
PRAGMA integrity_check;
SQL
}

case_git() {
  export HOME="$PWD" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null \
    GIT_AUTHOR_NAME=own GIT_AUTHOR_EMAIL=own@example.org \
    GIT_COMMITTER_NAME=own GIT_COMMITTER_EMAIL=own@example.org \
    GIT_AUTHOR_DATE='2024-01-01T00:00:00+0000' GIT_COMMITTER_DATE='2024-01-01T00:00:00+0000'
  git init -q -b main repo && cd repo || return 1
  git config gc.auto 0
  # 800 files in 20 directories
  awk 'BEGIN {
    for (d = 0; d < 20; d++) {
      system("mkdir -p dir" d)
      for (f = 0; f < 40; f++) {
        name = "dir" d "/file" f ".txt"
        for (l = 0; l < 20 + (d * 40 + f) % 50; l++) print "line " l " of file " f " in dir " d > name
        close(name)
      }
    }
  }'
  git add -A && git commit -q -m "first commit" || return 1
  awk 'BEGIN { for (d = 0; d < 20; d += 3) for (f = 0; f < 40; f += 2) {
    name = "dir" d "/file" f ".txt"; print "changed " d " " f >> name; close(name) } }'
  git rm -q -r dir19
  git commit -q -a -m "second commit" || return 1
  git checkout -q -b side
  echo "side" > side.txt && git add side.txt && git commit -q -m "on a side branch"
  git checkout -q main
  git merge -q --no-edit side || return 1
  git log --format='%H %s' --stat
  git gc -q --aggressive
  git count-objects -v | grep -E '^(count|in-pack|packs):'
  git fsck --full --no-progress && echo "fsck ok"
  git rev-parse HEAD HEAD~1 HEAD~2
  git ls-tree -r HEAD | wc -l
  git diff --stat HEAD~2 HEAD | tail -n 1
  git grep -c 'changed' | head -n 5
  git log --all --oneline | wc -l
}

case_perl() {
  perl "$HERE/hash.pl"
}

case_gcc() {
  cp "$HERE/prog.c" prog.c
  gcc -O2 -Wall -o prog prog.c || return 1
  ./prog || return 1
  gcc -O2 -S -o prog.s prog.c || return 1
  cksum < prog.s
  gcc -O0 -g -c -o prog.o prog.c || return 1
  echo "object built: $(test -s prog.o && echo yes)"
}

# ---- run and compare ---------------------------------------------------------

case "$CASE" in
  python) need python3 ;;
  sqlite) need sqlite3 ;;
  git) need git awk ;;
  perl) need perl ;;
  gcc) need gcc ;;
  *) echo "run.sh: unknown case '$CASE'"; exit 2 ;;
esac

mkdir "$TMP/plain" "$TMP/own"
(cd "$TMP/plain" && unset LD_PRELOAD && "case_$CASE") >"$TMP/plain.out" 2>"$TMP/plain.err"
rc_plain=$?
(cd "$TMP/own" && export LD_PRELOAD="$LIB" OWN_VERBOSE=1 && "case_$CASE") \
  >"$TMP/own.out" 2>"$TMP/own.err"
rc_own=$?

fail=0
if [ "$rc_plain" -ne 0 ]; then
  echo "FAIL: the case itself fails without own (exit $rc_plain):"
  head -n 20 "$TMP/plain.err"
  fail=1
fi
if [ "$rc_plain" -ne "$rc_own" ]; then
  echo "FAIL: exit code $rc_own under own, $rc_plain without"
  fail=1
fi
if ! cmp -s "$TMP/plain.out" "$TMP/own.out"; then
  echo "FAIL: output differs under own (- without, + with):"
  diff -u "$TMP/plain.out" "$TMP/own.out" | head -n 40
  fail=1
fi
stats=$(grep -c '^own heap statistics' "$TMP/own.err")
if [ "$stats" -eq 0 ]; then
  echo "FAIL: no 'own heap statistics' on stderr: the preload did not take effect"
  fail=1
fi
if grep -E '^own: ' "$TMP/own.err" >"$TMP/errors"; then
  echo "FAIL: own reported errors under $CASE:"
  sort "$TMP/errors" | uniq -c | sort -rn | head -n 10
  fail=1
fi
if [ $fail -ne 0 ]; then
  echo "---- stderr under own (first lines) ----"
  grep -v -E '^(own heap statistics|  )' "$TMP/own.err" | head -n 20
  exit 1
fi
echo "$CASE: same output ($(wc -l <"$TMP/plain.out") lines) and exit code with libown;" \
  "$stats processes reported own's statistics"
exit 0
