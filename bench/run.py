#!/usr/bin/env python3
"""run.py -- the allocator benchmark: own against glibc, mimalloc, jemalloc
and tcmalloc.

Every workload (bench/wl_*.c, one program built against the system libc) and
every real program (python3, sqlite3, gcc) is run under every allocator, the
allocator being put in with LD_PRELOAD, so all of them run the same binaries.
Runs are interleaved (own, glibc, mimalloc, jemalloc, tcmalloc, then glibc,
mimalloc, jemalloc, tcmalloc, own, ...: each repetition starts one allocator
later, so none always runs first or always after the same one) and repeated;
the medians of wall time and peak RSS are reported. A row's target is judged
side by side: the median, over the repetitions, of own's time over the best
peer's time in the same repetition (runs seconds apart share the machine's
speed, which on a shared machine drifts by more than the differences
measured). Each run goes
through own-bench-measure (a small C program: fork, exec, wait4), which gives
the wall time, the peak RSS of the program and its children, and kills it at
the time limit; a crash, a time-out, a non-zero exit or a checksum that
differs from the other allocators' is reported as such in the table.

Instruction counts of the fast path come from callgrind: own-bench-fastpath
does N malloc+free pairs of one size inside one function and callgrind counts
only inside it (--toggle-collect), so the count divided by N is one pair.

Outputs (in --out-dir): results.md (tables, targets, machine), results.csv,
time_ratio.svg (time of each allocator relative to own), raw.json (every run).

    python3 bench/run.py --bin-dir BUILD/bench --libown BUILD/libown.so [--quick]
"""
import argparse
import hashlib
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ORDER = ["own", "glibc", "mimalloc", "jemalloc", "tcmalloc"]
PEER_SONAMES = {
    "mimalloc": ["libmimalloc.so.2", "libmimalloc.so"],
    "jemalloc": ["libjemalloc.so.2", "libjemalloc.so"],
    "tcmalloc": ["libtcmalloc_minimal.so.4", "libtcmalloc_minimal.so", "libtcmalloc.so.4"],
}
PEER_PACKAGES = {
    "mimalloc": "libmimalloc-dev",
    "jemalloc": "libjemalloc-dev",
    "tcmalloc": "libgoogle-perftools-dev",
}
FASTPATH_SIZES = [16, 64, 256]
# Bounds of the targets (see docs/benchmarks.md).
TARGET_GEO_VS_MIMALLOC = 0.95
TARGET_WORST_VS_BEST_PEER = 1.15
TARGET_GIVEBACK_FRACTION = 0.10


def log(msg):
    print(msg, flush=True)


# ---------------------------------------------------------------------------
# Allocators
# ---------------------------------------------------------------------------

def exports_malloc(path):
    """True if the shared object defines malloc and free (so LD_PRELOAD
    really replaces the allocator)."""
    for tool in (["nm", "-D", "--defined-only"], ["readelf", "--dyn-syms", "-W"]):
        if shutil.which(tool[0]) is None:
            continue
        try:
            out = subprocess.run(tool + [path], capture_output=True, text=True, timeout=60).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        names = set()
        for line in out.splitlines():
            parts = line.split()
            if tool[0] == "nm" and len(parts) >= 3 and parts[1] in ("T", "W", "i"):
                names.add(parts[2].split("@")[0])
            elif tool[0] == "readelf" and len(parts) >= 8 and parts[6] != "UND":
                names.add(parts[7].split("@")[0])
        return "malloc" in names and "free" in names
    return True  # no tool to tell: let the runs show it


def ldconfig_paths():
    paths = {}
    try:
        out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        try:
            out = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True, timeout=60).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
    for line in out.splitlines():
        m = re.match(r"\s*(\S+) \(([^)]*)\) => (\S+)", line)
        if not m:
            continue
        if platform.machine() == "x86_64" and "x86-64" not in m.group(2):
            continue  # a 32-bit library of the same name
        paths.setdefault(m.group(1), m.group(3))
    return paths


def find_peer(name, ldpaths):
    for soname in PEER_SONAMES[name]:
        if soname in ldpaths and os.path.exists(ldpaths[soname]):
            return ldpaths[soname]
        for d in ("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib",
                  "/usr/local/lib"):
            p = os.path.join(d, soname)
            if os.path.exists(p):
                return p
    # Ask dpkg which files the -dev package brought.
    try:
        out = subprocess.run(["dpkg", "-L", PEER_PACKAGES[name]], capture_output=True, text=True,
                             timeout=60).stdout
        for soname in PEER_SONAMES[name]:
            for line in out.splitlines():
                if os.path.basename(line) == soname and os.path.exists(line):
                    return line
    except (OSError, subprocess.SubprocessError):
        pass
    return None


def install_peers(names):
    """apt-get install the -dev packages of the missing peers (root only).
    Returns a message for the report, or None."""
    pkgs = [PEER_PACKAGES[n] for n in names]
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "not installed: %s (installing needs root and apt-get)" % " ".join(pkgs)
    log("bench: installing %s" % " ".join(pkgs))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y"] + pkgs
    try:
        if subprocess.run(cmd, capture_output=True, env=env, timeout=900).returncode != 0:
            subprocess.run(["apt-get", "update"], capture_output=True, env=env, timeout=900)
            if subprocess.run(cmd, capture_output=True, env=env, timeout=900).returncode != 0:
                return "apt-get install %s failed" % " ".join(pkgs)
    except (OSError, subprocess.SubprocessError) as e:
        return "apt-get install %s failed: %s" % (" ".join(pkgs), e)
    return None


def discover_allocators(args):
    """Returns ([(name, preload path or None)], [messages about skipped ones])."""
    wanted = [a for a in (args.allocators.split(",") if args.allocators else ORDER) if a]
    found, notes = [], []
    ldpaths = ldconfig_paths()
    missing = [n for n in wanted if n in PEER_SONAMES and find_peer(n, ldpaths) is None]
    if missing and not args.no_install:
        msg = install_peers(missing)
        if msg:
            notes.append(msg)
        ldpaths = ldconfig_paths()
    for name in wanted:
        if name == "own":
            lib = args.libown
            if not lib or not os.path.exists(lib):
                notes.append("own: skipped, %s not found (build the target `own`)" % (lib or "libown.so"))
            elif not exports_malloc(lib):
                notes.append("own: skipped, %s does not export malloc/free "
                             "(the general heap, src/alloc, is not in this build)" % lib)
            else:
                found.append(("own", os.path.abspath(lib)))
        elif name == "glibc":
            found.append(("glibc", None))
        elif name in PEER_SONAMES:
            path = find_peer(name, ldpaths)
            if path is None:
                notes.append("%s: skipped, not installed (apt-get install -y %s)" % (name, PEER_PACKAGES[name]))
            else:
                found.append((name, path))
        else:
            notes.append("%s: unknown allocator, ignored" % name)
    return found, notes


# ---------------------------------------------------------------------------
# Items: workloads and real programs
# ---------------------------------------------------------------------------

class Item:
    """One thing to time: argv, extra environment, how to get its checksum."""

    def __init__(self, name, kind, argv, env=None, checksum="line", output=None, timeout=None):
        self.name = name
        self.kind = kind          # "workload" or "program"
        self.argv = argv
        self.env = env or {}
        self.checksum = checksum  # "line": a "checksum X" line; "stdout": hash of stdout; "file": hash of output
        self.output = output
        self.timeout = timeout


def sqlite_script(rows):
    return """
PRAGMA cache_size = -200000;
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, grp INTEGER, val REAL, note TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {rows})
INSERT INTO t SELECT x, printf('user%07d', (x * 7919) % 1000003), x % 1000, ((x * 31) % 1000) / 7.0,
       substr('lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor',
              1 + x % 20, 10 + x % 40) || printf('-%d', x)
FROM c;
CREATE INDEX t_name ON t(name);
CREATE INDEX t_grp ON t(grp, val);
SELECT count(*), sum(length(note)), round(sum(val), 2) FROM t;
SELECT grp, count(*), round(avg(val), 3) FROM t GROUP BY grp ORDER BY 3 DESC, 1 LIMIT 5;
SELECT count(*) FROM t WHERE name BETWEEN 'user0100000' AND 'user0200000';
SELECT length(group_concat(note, ',')) FROM (SELECT note FROM t WHERE grp < 50 ORDER BY name);
UPDATE t SET note = note || '-updated-' || grp WHERE id % 3 = 0;
DELETE FROM t WHERE id % 5 = 0;
SELECT count(*), sum(length(note)) FROM t;
SELECT a.grp, count(*) FROM t a JOIN t b ON b.id = a.grp + 1 GROUP BY a.grp ORDER BY 2 DESC, 1 LIMIT 3;
SELECT name, note FROM t ORDER BY note DESC, id LIMIT 3;
""".format(rows=rows)


def build_items(args, work_dir, scale):
    items = []
    wl_bin = os.path.join(args.bin_dir, "own-bench-workloads")
    names = subprocess.run([wl_bin, "--list"], capture_output=True, text=True, check=True).stdout.split()
    for n in names:
        items.append(Item(n, "workload", [wl_bin, n, repr(scale)]))
    if args.no_programs:
        return items, []
    notes = []
    quick = args.quick
    # python3: the Debian interpreter if present (a real executable, not a
    # version-manager shim, which would put the shell under the allocator too).
    py = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else os.path.realpath(sys.executable)
    if py and os.path.exists(py):
        items.append(Item("python", "program", [py, os.path.join(HERE, "alloc_heavy.py"),
                                                 "0.05" if quick else "1"],
                          env={"PYTHONMALLOC": "malloc", "PYTHONHASHSEED": "0",
                               "PYTHONDONTWRITEBYTECODE": "1"}))
    else:
        notes.append("python: skipped, no python3 executable found")
    sqlite = shutil.which("sqlite3")
    if sqlite:
        sql = os.path.join(work_dir, "bench.sql")
        with open(sql, "w") as f:
            f.write(sqlite_script(20000 if quick else 300000))
        items.append(Item("sqlite", "program", [sqlite, ":memory:", ".read " + sql], checksum="stdout"))
    else:
        notes.append("sqlite: skipped, sqlite3 is not installed (apt-get install -y sqlite3)")
    cc = shutil.which("gcc")
    if cc:
        src = os.path.join(work_dir, "big.c")
        subprocess.run([sys.executable, os.path.join(HERE, "gen_big_c.py"), "10" if quick else "160", src],
                       check=True)
        obj = os.path.join(work_dir, "big.o")
        items.append(Item("gcc", "program", [cc, "-O2", "-c", src, "-o", obj], checksum="file", output=obj))
    else:
        notes.append("gcc: skipped, gcc is not installed")
    return items, notes


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------

def run_once(args, item, alloc, preload, work_dir):
    measure = os.path.join(args.bin_dir, "own-bench-measure")
    res_path = os.path.join(work_dir, "measure.txt")
    out_path = os.path.join(work_dir, "stdout.txt")
    err_path = os.path.join(work_dir, "stderr.txt")
    argv = [measure, "-t", str(item.timeout or args.timeout), "-o", res_path]
    if preload:
        argv += ["-e", "LD_PRELOAD=" + preload]
    for k, v in item.env.items():
        argv += ["-e", "%s=%s" % (k, v)]
    argv += ["--"] + item.argv
    if item.output and os.path.exists(item.output):
        os.unlink(item.output)
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    if os.path.exists(res_path):
        os.unlink(res_path)
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        try:
            subprocess.run(argv, stdout=out, stderr=err, env=env, cwd=work_dir,
                           timeout=(item.timeout or args.timeout) + 60)
        except (OSError, subprocess.SubprocessError) as e:
            err.write(("runner: %s\n" % e).encode())
    rec = {"item": item.name, "allocator": alloc}
    try:
        with open(res_path) as f:
            for line in f:
                k, _, v = line.strip().partition(" ")
                rec[k] = v
    except OSError:
        rec["status"] = "runner-error"
    rec["wall"] = float(rec.get("wall", "nan"))
    rec["maxrss_kb"] = int(rec.get("maxrss_kb", "0"))
    rec["cpu"] = float(rec.get("user", "nan")) + float(rec.get("sys", "nan"))
    with open(out_path, "rb") as f:
        stdout = f.read()
    with open(err_path, "rb") as f:
        rec["stderr"] = f.read()[-400:].decode("utf-8", "replace")
    text = stdout.decode("utf-8", "replace")
    rec["metrics"] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "metric":
            rec["metrics"][parts[1]] = float(parts[2])
    if item.checksum == "line":
        m = re.search(r"^checksum (\S+)$", text, re.M)
        rec["checksum"] = m.group(1) if m else None
    elif item.checksum == "stdout":
        rec["checksum"] = hashlib.sha256(stdout).hexdigest()[:16]
    elif item.checksum == "file":
        try:
            with open(item.output, "rb") as f:
                rec["checksum"] = hashlib.sha256(f.read()).hexdigest()[:16]
        except OSError:
            rec["checksum"] = None
    if rec.get("status") == "exit" and rec.get("code") != "0":
        rec["status"] = "wrong" if rec.get("code") == "3" and item.kind == "workload" else "exit"
    return rec


def run_failure(rec):
    """None if the run is good, else a short word for the table."""
    st = rec.get("status")
    if st == "exit" and rec.get("code") == "0":
        if rec.get("checksum") is None:
            return "NO OUTPUT"
        return None
    if st == "timeout":
        return "TIMEOUT"
    if st == "signal":
        sig = int(rec.get("code", "0"))
        names = {6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL", 11: "SIGSEGV"}
        return "CRASH " + names.get(sig, "signal %d" % sig)
    if st == "wrong":
        return "WRONG"
    if st == "exit":
        return "EXIT %s" % rec.get("code")
    return (st or "ERROR").upper()


def mark_checksums(records):
    """A run whose checksum differs from the majority of good runs of the same
    item is wrong: the allocator broke the program's results."""
    by_item = {}
    for r in records:
        if run_failure(r) is None:
            by_item.setdefault(r["item"], []).append(r["checksum"])
    for r in records:
        sums = by_item.get(r["item"])
        if not sums or run_failure(r) is not None:
            continue
        ref = max(set(sums), key=sums.count)
        if r["checksum"] != ref:
            r["status"] = "wrong"
            r["stderr"] = (r.get("stderr") or "") + "checksum %s, the other runs gave %s" % (r["checksum"], ref)


# ---------------------------------------------------------------------------
# Fast path instruction counts (callgrind)
# ---------------------------------------------------------------------------

def callgrind_count(args, preload, size, n, work_dir):
    """Instructions inside bench_fastpath_pairs for n pairs, and whether the
    preloaded object shows in the profile."""
    out = os.path.join(work_dir, "callgrind.out")
    if os.path.exists(out):
        os.unlink(out)
    argv = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
            "--toggle-collect=bench_fastpath_pairs", os.path.join(args.bin_dir, "own-bench-fastpath"),
            str(size), str(n)]
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    if preload:
        env["LD_PRELOAD"] = preload
    try:
        subprocess.run(argv, capture_output=True, env=env, timeout=300, check=True)
        with open(out) as f:
            text = f.read()
    except (OSError, subprocess.SubprocessError):
        return None, False
    m = re.search(r"^summary:\s+(\d+)", text, re.M) or re.search(r"^totals:\s+(\d+)", text, re.M)
    if not m:
        return None, False
    return int(m.group(1)), malloc_is_preloaded(out, preload)


def malloc_is_preloaded(profile, preload):
    """Whether the malloc that callgrind saw is the preloaded one: with a
    preload it must not be libc's, without one it must be. Callgrind, unlike
    memcheck, does not replace malloc, so this holds unless the preload failed."""
    if shutil.which("callgrind_annotate") is None:
        return True
    try:
        ann = subprocess.run(["callgrind_annotate", "--inclusive=no", profile], capture_output=True,
                             text=True, timeout=120).stdout
    except (OSError, subprocess.SubprocessError):
        return True
    m = re.search(r"\S+:malloc \[([^\]]*)\]", ann)
    if not m:
        return True
    in_libc = "libc.so" in m.group(1)
    return in_libc if preload is None else not in_libc


def fastpath(args, allocs, work_dir):
    results, notes = {}, []
    if args.no_callgrind:
        return results, ["fast path: skipped (--no-callgrind)"]
    if shutil.which("valgrind") is None:
        return results, ["fast path: skipped, valgrind is not installed (apt-get install -y valgrind)"]
    n1, n2 = (2000, 12000) if args.quick else (20000, 120000)
    for alloc, preload in allocs:
        for size in FASTPATH_SIZES:
            c1, s1 = callgrind_count(args, preload, size, n1, work_dir)
            c2, s2 = callgrind_count(args, preload, size, n2, work_dir)
            if c1 is None or c2 is None:
                results[(alloc, size)] = None
                notes.append("fast path: callgrind failed for %s, %d bytes" % (alloc, size))
                continue
            results[(alloc, size)] = (c2 - c1) / (n2 - n1)
            if not (s1 and s2):
                notes.append("fast path: for %s, %d bytes, callgrind attributed malloc to the wrong "
                             "library: the count may not be the preloaded allocator's" % (alloc, size))
        log("  fast path %-9s %s" % (alloc, "  ".join(
            "%d B: %s" % (s, "%.1f" % results[(alloc, s)] if results.get((alloc, s)) is not None else "n/a")
            for s in FASTPATH_SIZES)))
    return results, notes


# ---------------------------------------------------------------------------
# Summaries
# ---------------------------------------------------------------------------

def geomean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def summarize(records, items, allocs):
    """{(item, alloc): {"time", "rss", "fail", "runs", "metrics"}}"""
    table = {}
    for it in items:
        for a, _ in allocs:
            runs = [r for r in records if r["item"] == it.name and r["allocator"] == a]
            bad = [run_failure(r) for r in runs if run_failure(r) is not None]
            good = [r for r in runs if run_failure(r) is None]
            cell = {"runs": len(runs), "fail": bad[0] if bad else None, "time": None, "rss": None,
                    "cpu": None, "metrics": {}}
            if good and not bad:
                cell["time"] = statistics.median(r["wall"] for r in good)
                cell["cpu"] = statistics.median(r["cpu"] for r in good)
                cell["rss"] = statistics.median(r["maxrss_kb"] for r in good)
                keys = set().union(*(r["metrics"].keys() for r in good))
                cell["metrics"] = {k: statistics.median(r["metrics"][k] for r in good if k in r["metrics"])
                                   for k in keys}
            if bad:
                cell["detail"] = next(r for r in runs if run_failure(r) is not None).get("stderr", "")
            table[(it.name, a)] = cell
        if (it.name, "own") in table:
            peers = {a: table[(it.name, a)]["time"] for a, _ in allocs if a != "own"}
            peers = {a: t for a, t in peers.items() if t is not None}
            best = min(peers, key=peers.get) if peers else None
            table[(it.name, "own")]["side_by_side"] = side_by_side(records, it.name, best)
    return table


def side_by_side(records, item, best):
    """Median over the repetitions of own's time / the time of peer `best` in
    the same repetition (runs taken seconds apart share the machine's state),
    or None. `best` is the peer with the lowest median, the same one the
    ratio of medians uses: taking each repetition's fastest peer instead
    would favour the peers on a noisy machine (the least of four noisy times
    against one). Only repetitions where both succeeded."""
    if best is None:
        return None
    reps = {}
    for r in records:
        if r["item"] == item and r["allocator"] in ("own", best) and run_failure(r) is None:
            reps.setdefault(r["rep"], {})[r["allocator"]] = r["wall"]
    ratios = [d["own"] / d[best] for d in reps.values() if "own" in d and d.get(best, 0) > 0]
    return statistics.median(ratios) if ratios else None


def fmt_time(t):
    return "%.3f" % t if t < 10 else "%.2f" % t


def fmt_mib(kb):
    mib = kb / 1024.0
    return "%.1f" % mib if mib < 100 else "%.0f" % mib


def ratio(v, ref):
    if v is None or ref is None or ref <= 0:
        return None
    return v / ref


def build_report(args, items, allocs, table, fast, notes, machine, elapsed):
    names = [a for a, _ in allocs]
    ref = "own" if "own" in names else ("glibc" if "glibc" in names else names[0])
    complete = [it.name for it in items if all(table[(it.name, a)]["time"] is not None for a in names)]
    geo_t = {a: geomean([table[(i, a)]["time"] for i in complete]) for a in names}
    geo_r = {a: geomean([table[(i, a)]["rss"] for i in complete]) for a in names}
    geo_c = {a: geomean([table[(i, a)]["cpu"] for i in complete]) for a in names}
    L = []
    L.append("Median of %d run%s per cell, allocators interleaved; ratio = allocator / %s "
             "(below 1: faster or smaller than %s)." % (args.reps, "" if args.reps == 1 else "s", ref, ref))
    if ref == "own":
        L.append("")
        L.append("\"own vs best peer\" (the target) is side by side: the median, over the "
                 "repetitions, of own's time over the time of the peer with the best median in the "
                 "same repetition; runs seconds apart share the machine's speed, which drifts during "
                 "a run. \"ratio of medians\" is own's median over that peer's median, for reading. "
                 "Each repetition starts one allocator later than the one before.")
    if ref != "own":
        L.append("")
        L.append("**own was not measured** (%s); ratios are to %s." % (
            "; ".join(n for n in notes if n.startswith("own")) or "not requested", ref))
    for title, key, fmt in (("Wall time, seconds", "time", fmt_time), ("Peak RSS, MiB", "rss", fmt_mib),
                            ("CPU time (user + sys), seconds: less sensitive to a busy machine; no target",
                             "cpu", fmt_time)):
        L.append("")
        L.append("### " + title)
        L.append("")
        judged = key == "time" and ref == "own"
        hdr = "| workload | " + " | ".join(names) + (" | own vs best peer | ratio of medians |" if judged else " |")
        L.append(hdr)
        L.append("|" + "---|" * (len(names) + 1 + (2 if judged else 0)))
        for it in items:
            cells = []
            refv = table[(it.name, ref)][key]
            for a in names:
                c = table[(it.name, a)]
                if c["fail"]:
                    cells.append("**%s**" % c["fail"])
                elif a == ref:
                    cells.append(fmt(c[key]))
                else:
                    rr = ratio(c[key], refv)
                    cells.append("%s (%s)" % (fmt(c[key]), "%.2f" % rr if rr else "-"))
            extra = ""
            if judged:
                peers = [table[(it.name, a)]["time"] for a in names if a != "own"]
                peers = [p for p in peers if p is not None]
                ownt = table[(it.name, "own")]["time"]
                sbs = table[(it.name, "own")].get("side_by_side")
                if ownt is None:
                    extra = " **NOT MET: own failed** | - |"
                elif peers and sbs is not None:
                    extra = " %.2f%s | %.2f |" % (sbs, " **NOT MET (> %.2f)**" % TARGET_WORST_VS_BEST_PEER
                                                 if sbs > TARGET_WORST_VS_BEST_PEER else "", ownt / min(peers))
                else:
                    extra = " - | - |"
            name = it.name + (" *" if it.kind == "program" else "")
            L.append("| %s | %s |%s" % (name, " | ".join(cells), extra))
        geo = {"time": geo_t, "rss": geo_r, "cpu": geo_c}[key]
        gcells = []
        for a in names:
            g = geo[a]
            if key == "rss":
                g_txt = fmt_mib(g) if not math.isnan(g) else "-"
            else:
                g_txt = fmt_time(g) if not math.isnan(g) else "-"
            if a == ref:
                gcells.append("**%s**" % g_txt)
            else:
                rr = g / geo[ref] if geo[ref] and not math.isnan(g) else float("nan")
                gcells.append("**%s (%.2f)**" % (g_txt, rr))
        L.append("| **geometric mean** | %s |%s" % (" | ".join(gcells), " | |" if judged else ""))
    L.append("")
    L.append("`*` real program. Geometric means over the %d of %d rows that every allocator completed%s." % (
        len(complete), len(items),
        "" if len(complete) == len(items) else
        " (left out: %s)" % ", ".join(it.name for it in items if it.name not in complete)))

    # Give-back
    gb = [it for it in items if it.name == "giveback"]
    if gb:
        L.append("")
        L.append("### Give-back: 1 GiB in small blocks, all freed, one second idle" if not args.quick else
                 "### Give-back: small blocks, all freed, one second idle (quick mode: reduced size)")
        L.append("")
        L.append("| allocator | peak RSS, MiB | resident after free + idle, MiB | after / peak |")
        L.append("|---|---|---|---|")
        for a in names:
            c = table[("giveback", a)]
            m = c["metrics"]
            if c["fail"] or "rss_after_idle_kb" not in m:
                L.append("| %s | **%s** | | |" % (a, c["fail"] or "no figure"))
                continue
            peak = m.get("hwm_kb") or c["rss"]
            frac = m["rss_after_idle_kb"] / peak if peak else float("nan")
            mark = ""
            if a == "own" and frac > TARGET_GIVEBACK_FRACTION:
                mark = " **NOT MET (> %d%%)**" % int(TARGET_GIVEBACK_FRACTION * 100)
            L.append("| %s | %s | %s | %.1f%%%s |" % (a, fmt_mib(peak), fmt_mib(m["rss_after_idle_kb"]),
                                                     100 * frac, mark))

    # Fast path
    if fast:
        L.append("")
        L.append("### Fast path: instructions per malloc+free pair (callgrind)")
        L.append("")
        L.append("| size | " + " | ".join(names) + " |")
        L.append("|" + "---|" * (len(names) + 1))
        for s in FASTPATH_SIZES:
            row = []
            for a in names:
                v = fast.get((a, s))
                txt = "%.1f" % v if v is not None else "n/a"
                if a == "own" and v is not None and fast.get(("mimalloc", s)) is not None \
                        and v >= fast[("mimalloc", s)]:
                    txt = "**%s NOT MET**" % txt
                row.append(txt)
            L.append("| %d B | %s |" % (s, " | ".join(row)))
        L.append("")
        L.append("Counted inside the loop only (callgrind --toggle-collect), difference of two runs "
                 "with different pair counts divided by the difference; includes the loop and the "
                 "PLT jumps, the same for every allocator.")

    # Targets
    L.append("")
    L.append("### Targets")
    L.append("")
    targets = []
    if ref != "own":
        targets.append(("all targets", None, "not evaluated: own was not measured"))
    else:
        peers = [a for a in names if a != "own"]
        go = geo_t["own"]
        parts, ok = [], True
        if "mimalloc" in names:
            r = go / geo_t["mimalloc"]
            ok &= r <= TARGET_GEO_VS_MIMALLOC
            parts.append("own / mimalloc = %.3f (target <= %.2f)" % (r, TARGET_GEO_VS_MIMALLOC))
        for p in peers:
            if p == "mimalloc":
                continue
            r = go / geo_t[p]
            ok &= r < 1.0
            parts.append("own / %s = %.3f (target < 1)" % (p, r))
        targets.append(("geometric-mean time", ok, "; ".join(parts)))
        worst = []
        for it in items:
            ownt = table[(it.name, "own")]["time"]
            sbs = table[(it.name, "own")].get("side_by_side")
            if ownt is None:
                worst.append("%s (own failed: %s)" % (it.name, table[(it.name, "own")]["fail"]))
            elif sbs is not None and sbs > TARGET_WORST_VS_BEST_PEER:
                worst.append("%s (%.2f x best peer, side by side)" % (it.name, sbs))
        targets.append(("no workload slower than %.2f x the best peer" % TARGET_WORST_VS_BEST_PEER,
                        not worst, "slower: " + ", ".join(worst) if worst else "every row within bound"))
        if "mimalloc" in names:
            r = geo_r["own"] / geo_r["mimalloc"]
            targets.append(("geometric-mean peak RSS <= mimalloc's", r <= 1.0, "own / mimalloc = %.3f" % r))
        c = table.get(("giveback", "own"))
        if c and not c["fail"] and "rss_after_idle_kb" in c["metrics"]:
            peak = c["metrics"].get("hwm_kb") or c["rss"]
            frac = c["metrics"]["rss_after_idle_kb"] / peak
            targets.append(("give-back: resident after free + idle <= 10% of peak", frac <= TARGET_GIVEBACK_FRACTION,
                            "%.1f%% (%s of %s MiB)%s" % (100 * frac, fmt_mib(c["metrics"]["rss_after_idle_kb"]),
                                                        fmt_mib(peak),
                                                        "; quick mode: not 1 GiB, indicative only"
                                                        if args.quick else "")))
        elif c:
            targets.append(("give-back: resident after free + idle <= 10% of peak", False,
                            "own failed the give-back run: %s" % c["fail"]))
        if fast and "mimalloc" in names:
            parts, ok = [], True
            for s in FASTPATH_SIZES:
                o, m = fast.get(("own", s)), fast.get(("mimalloc", s))
                if o is None or m is None:
                    ok = False
                    parts.append("%d B: n/a" % s)
                else:
                    ok &= o < m
                    parts.append("%d B: %.1f vs %.1f" % (s, o, m))
            targets.append(("fast path: fewer instructions per pair than mimalloc", ok, "; ".join(parts)))
    L.append("| target | result | figures |")
    L.append("|---|---|---|")
    for name, ok, detail in targets:
        res = "n/a" if ok is None else ("met" if ok else "**NOT MET**")
        L.append("| %s | %s | %s |" % (name, res, detail))

    if notes:
        L.append("")
        L.append("Notes:")
        L.append("")
        for n in notes:
            L.append("- " + n)
    failures = [(k, c) for k, c in table.items() if c["fail"]]
    if failures:
        L.append("")
        L.append("Failed runs (last lines of stderr):")
        L.append("")
        for (item, a), c in failures:
            d = (c.get("detail") or "").strip().replace("\n", " / ")
            L.append("- %s under %s: %s%s" % (item, a, c["fail"], (": `%s`" % d[-200:]) if d else ""))

    L.append("")
    L.append("### Machine")
    L.append("")
    for k, v in machine:
        L.append("- %s: %s" % (k, v))
    L.append("- run took %.0f s" % elapsed)
    return "\n".join(L) + "\n", ref, geo_t


def machine_info(allocs, args):
    info = []
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info.append(("CPU", "%s, %d cores" % (cpu, os.cpu_count() or 0)))
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        info.append(("memory", "%.1f GiB" % (kb / 1048576)))
    except (OSError, ValueError, IndexError):
        pass
    info.append(("kernel", "%s %s" % (platform.system(), platform.release())))
    try:
        cc = subprocess.run(["cc", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
        info.append(("compiler", cc))
    except (OSError, IndexError):
        pass
    try:
        info.append(("glibc", os.confstr("CS_GNU_LIBC_VERSION")))
    except (ValueError, OSError):
        pass
    for a, p in allocs:
        if p is None or a == "own":
            continue
        ver = ""
        try:
            owner = subprocess.run(["dpkg", "-S", os.path.realpath(p)], capture_output=True, text=True).stdout
            pkg = owner.split(":")[0].strip()
            if pkg:
                ver = pkg + " " + subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg],
                                                 capture_output=True, text=True).stdout.strip()
        except OSError:
            pass
        info.append((a, "%s%s" % (p, " (%s)" % ver if ver else "")))
    own = [p for a, p in allocs if a == "own"]
    if own:
        rev = ""
        try:
            repo = os.path.dirname(HERE)
            rev = subprocess.run(["git", "-C", repo, "rev-parse", "--short", "HEAD"], capture_output=True,
                                 text=True, timeout=30).stdout.strip()
            dirty = subprocess.run(["git", "-C", repo, "status", "--porcelain", "--", "src/alloc", "src/os",
                                    "src/core"], capture_output=True, text=True, timeout=30).stdout.strip()
            if rev and dirty:
                rev += " with uncommitted changes in src/"
        except (OSError, subprocess.SubprocessError):
            pass
        info.append(("own", own[0] + (" (commit %s)" % rev if rev else "")))
    try:
        info.append(("load average (1, 5, 15 min) at the end", "%.2f %.2f %.2f" % os.getloadavg()))
    except OSError:
        pass
    info.append(("mode", "quick (CI smoke: small sizes, 1 repetition)" if args.quick else
                 "full, %d repetitions" % args.reps))
    return info


# ---------------------------------------------------------------------------
# CSV and SVG
# ---------------------------------------------------------------------------

def write_csv(path, items, allocs, table, ref, fast):
    names = [a for a, _ in allocs]
    with open(path, "w") as f:
        f.write("item,kind,allocator,status,runs,median_wall_s,median_peak_rss_kb,time_vs_%s,rss_vs_%s,"
                "giveback_rss_after_idle_kb,median_cpu_s,side_by_side_vs_best_peer\n" % (ref, ref))
        for it in items:
            rc = table[(it.name, ref)]
            for a in names:
                c = table[(it.name, a)]
                tr = ratio(c["time"], rc["time"])
                rr = ratio(c["rss"], rc["rss"])
                sbs = c.get("side_by_side")
                f.write("%s,%s,%s,%s,%d,%s,%s,%s,%s,%s,%s,%s\n" % (
                    it.name, it.kind, a, c["fail"] or "ok", c["runs"],
                    "%.6f" % c["time"] if c["time"] is not None else "",
                    "%d" % c["rss"] if c["rss"] is not None else "",
                    "%.4f" % tr if tr else "", "%.4f" % rr if rr else "",
                    "%d" % c["metrics"]["rss_after_idle_kb"] if "rss_after_idle_kb" in c["metrics"] else "",
                    "%.6f" % c["cpu"] if c["cpu"] is not None else "",
                    "%.4f" % sbs if sbs is not None else ""))
        for (a, s), v in sorted(fast.items()):
            f.write("fastpath-%d,instructions,%s,%s,1,,,,,%s,,\n" % (s, a, "ok" if v is not None else "failed",
                                                                  "" if v is None else "%.2f" % v))


def xml_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_svg(path, items, allocs, table, ref, geo_t):
    """Horizontal grouped bars: each allocator's time / ref's time on a log
    scale from 1/4 to 4 (bars beyond are clipped, their value in the label),
    one group per row and one for the geometric mean."""
    names = [a for a, _ in allocs if a != ref]
    colors = {"own": "#1b9e77", "glibc": "#7570b3", "mimalloc": "#d95f02", "jemalloc": "#e7298a",
              "tcmalloc": "#66a61e"}
    lo, hi = math.log(0.25), math.log(4.0)
    left, width, bar, gap, top = 120, 560, 9, 10, 56
    rows = [(it.name, {a: ratio(table[(it.name, a)]["time"], table[(it.name, ref)]["time"]) for a in names},
             {a: table[(it.name, a)]["fail"] or table[(it.name, ref)]["fail"] for a in names}) for it in items]
    if geo_t.get(ref):
        rows.append(("geometric mean", {a: geo_t[a] / geo_t[ref] if not math.isnan(geo_t[a]) else None
                                        for a in names}, {a: None for a in names}))
    group_h = bar * max(len(names), 1) + gap
    height = top + group_h * len(rows) + 44

    def x_of(r):
        v = min(max(math.log(r), lo), hi)
        return left + (v - lo) / (hi - lo) * width

    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
           'font-size="11">' % (left + width + 120, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="20" font-size="14">Wall time relative to %s: below 1, the peer is faster</text>'
           % (left, xml_escape(ref)),
           '<text x="%d" y="38" font-size="11" fill="#555">median per row, log scale</text>' % left]
    for t in (0.25, 0.5, 1, 2, 4):
        x = x_of(t)
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="%s"/>' % (
            x, top - 8, x, height - 36, "#000" if t == 1 else "#ccc", "1.5" if t == 1 else "1"))
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>' % (x, height - 22, "%g" % t))
    for gi, (name, ratios, fails) in enumerate(rows):
        y0 = top + gi * group_h
        weight = ' font-weight="bold"' if name == "geometric mean" else ""
        out.append('<text x="%d" y="%.1f" text-anchor="end"%s>%s</text>' % (
            left - 6, y0 + bar * len(names) / 2 + 4, weight, xml_escape(name)))
        for ai, a in enumerate(names):
            y = y0 + ai * bar
            r = ratios[a]
            if fails[a] or r is None:
                out.append('<text x="%d" y="%d" font-size="8" fill="#c00">%s: %s</text>' % (
                    left + 4, y + bar - 1, a, xml_escape(fails[a] or "n/a")))
                continue
            x1, x0 = x_of(r), x_of(1.0)
            out.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"><title>%s, %s: %.2f</title></rect>'
                       % (min(x0, x1), y, max(abs(x1 - x0), 1.0), bar - 1, colors.get(a, "#999"),
                          xml_escape(name), a, r))
            if r < 0.25 or r > 4:
                out.append('<text x="%.1f" y="%d" font-size="8" text-anchor="%s">%.2f</text>' % (
                    x1 + (3 if r > 1 else -3), y + bar - 1, "start" if r > 1 else "end", r))
    for ai, a in enumerate(names):
        y = top + ai * 16
        out.append('<rect x="%d" y="%d" width="12" height="10" fill="%s"/>' % (left + width + 20, y,
                                                                              colors.get(a, "#999")))
        out.append('<text x="%d" y="%d">%s</text>' % (left + width + 38, y + 9, a))
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


DOC_BEGIN = "<!-- bench results: begin (written by bench/run.py --doc) -->"
DOC_END = "<!-- bench results: end -->"


def write_doc(path, body):
    """Replace the part of the document between the markers with body, keeping
    the hand-written text around it (a new document gets only a heading)."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        text = "# Benchmarks\n\n%s\n%s\n" % (DOC_BEGIN, DOC_END)
    if DOC_BEGIN not in text or DOC_END not in text:
        text = text.rstrip("\n") + "\n\n%s\n%s\n" % (DOC_BEGIN, DOC_END)
    head, rest = text.split(DOC_BEGIN, 1)
    _, tail = rest.split(DOC_END, 1)
    with open(path, "w") as f:
        f.write(head + DOC_BEGIN + "\n\n" + body.rstrip("\n") + "\n\n" + DOC_END + tail)


# ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description="own's allocator benchmark")
    ap.add_argument("--bin-dir", required=True, help="build directory of bench/ (the own-bench-* programs)")
    ap.add_argument("--libown", help="path of libown.so")
    ap.add_argument("--out-dir", default="bench-results")
    ap.add_argument("--quick", action="store_true", help="CI smoke: 1 repetition, small sizes")
    ap.add_argument("--reps", type=int, help="repetitions (default 10, quick 1)")
    ap.add_argument("--scale", type=float, help="workload size (default 1, quick 0.05)")
    ap.add_argument("--only", help="comma-separated rows to run (workloads and python, sqlite, gcc)")
    ap.add_argument("--allocators", help="comma-separated, default own,glibc,mimalloc,jemalloc,tcmalloc")
    ap.add_argument("--timeout", type=int, help="seconds per run (default 120, quick 30)")
    ap.add_argument("--no-programs", action="store_true", help="skip python, sqlite and gcc")
    ap.add_argument("--no-callgrind", action="store_true", help="skip the fast-path instruction counts")
    ap.add_argument("--no-install", action="store_true",
                    help="do not apt-get install missing peers (they are skipped with a message)")
    ap.add_argument("--doc", help="also write the report, with the command, to this markdown file")
    ap.add_argument("--command", help="the command line to record in the report")
    args = ap.parse_args()
    args.bin_dir = os.path.abspath(args.bin_dir)
    args.out_dir = os.path.abspath(args.out_dir)
    if args.reps is None:
        args.reps = 1 if args.quick else 10
    if args.reps < 1:
        ap.error("--reps must be at least 1")
    scale = args.scale if args.scale is not None else (0.05 if args.quick else 1.0)
    if args.timeout is None:
        args.timeout = 30 if args.quick else 120
    for prog in ("own-bench-workloads", "own-bench-measure", "own-bench-fastpath"):
        if not os.path.exists(os.path.join(args.bin_dir, prog)):
            sys.exit("run.py: %s not found in %s (build the bench programs first)" % (prog, args.bin_dir))

    start = time.time()
    os.makedirs(args.out_dir, exist_ok=True)
    work_dir = tempfile.mkdtemp(prefix="own-bench-")
    allocs, notes = discover_allocators(args)
    for n in notes:
        log("bench: " + n)
    if not allocs:
        sys.exit("run.py: no allocator to measure")
    items, inotes = build_items(args, work_dir, scale)
    notes += inotes
    for n in inotes:
        log("bench: " + n)
    if args.only:
        keep = set(args.only.split(","))
        unknown = keep - {it.name for it in items}
        if unknown:
            sys.exit("run.py: unknown rows: %s" % ", ".join(sorted(unknown)))
        items = [it for it in items if it.name in keep]
    log("bench: allocators %s; %d rows; %d repetition(s); scale %g" % (
        ", ".join(a for a, _ in allocs), len(items), args.reps, scale))

    records = []
    for rep in range(args.reps):
        order = allocs[rep % len(allocs):] + allocs[:rep % len(allocs)]
        for it in items:
            line = []
            for a, preload in order:
                rec = run_once(args, it, a, preload, work_dir)
                rec["rep"] = rep
                records.append(rec)
                fail = run_failure(rec)
                line.append("%s %s" % (a, fail if fail else "%.3fs %.0fM" % (rec["wall"], rec["maxrss_kb"] / 1024)))
            log("  [%d/%d] %-14s %s" % (rep + 1, args.reps, it.name, " | ".join(line)))
    mark_checksums(records)

    fast, fnotes = fastpath(args, allocs, work_dir)
    notes += fnotes
    table = summarize(records, items, allocs)
    elapsed = time.time() - start
    machine = machine_info(allocs, args)
    report, ref, geo_t = build_report(args, items, allocs, table, fast, notes, machine, elapsed)

    command = args.command or "python3 bench/run.py " + " ".join(sys.argv[1:])
    with open(os.path.join(args.out_dir, "results.md"), "w") as f:
        f.write("Command: `%s`\n\n" % command)
        f.write(report)
    write_csv(os.path.join(args.out_dir, "results.csv"), items, allocs, table, ref, fast)
    write_svg(os.path.join(args.out_dir, "time_ratio.svg"), items, allocs, table, ref, geo_t)
    with open(os.path.join(args.out_dir, "raw.json"), "w") as f:
        json.dump({"records": records, "fastpath": {"%s/%d" % k: v for k, v in fast.items()},
                   "notes": notes}, f, indent=1)
    if args.doc:
        write_doc(args.doc, "Command: `%s`\n\n" % command + report)
    shutil.rmtree(work_dir, ignore_errors=True)
    print()
    print(report)
    log("bench: results in %s (results.md, results.csv, time_ratio.svg, raw.json)" % args.out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
