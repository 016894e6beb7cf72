#!/bin/sh
# bench/run.sh — build and run the allocator benchmark in one command.
#
#   bench/run.sh [--quick] [--reps N] [--only ROWS] [--allocators LIST] [...]
#
# Builds libown.so and the workload programs (Release) in $OWN_BENCH_BUILD
# (default: build-bench beside bench/), then runs bench/run.py with the
# options given here (see `python3 bench/run.py --help`); run.py installs the
# peer allocators from Debian when they are missing and it runs as root.
# Results: $OWN_BENCH_BUILD/bench-results/{results.md,results.csv,time_ratio.svg}.
#
# Only the layers the general heap needs are built (OWN_BENCH_LAYERS, default
# "os;core;alloc"), so work in progress elsewhere in the tree cannot break the
# benchmark. If libown.so does not build, the peers are still measured.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${OWN_BENCH_BUILD:-$root/build-bench}
layers=${OWN_BENCH_LAYERS:-os;core;alloc}

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release "-DOWN_LAYERS=$layers" \
      -DOWN_TESTS=OFF -DOWN_EXAMPLES=OFF >/dev/null
cmake --build "$build" -j2 --target own-bench-workloads own-bench-fastpath own-bench-measure >/dev/null
if ! cmake --build "$build" -j2 --target own >"$build/own-build.log" 2>&1; then
    echo "bench: libown.so did not build (see $build/own-build.log); measuring the peers only"
fi

exec python3 "$root/bench/run.py" --bin-dir "$build/bench" --libown "$build/libown.so" \
     --out-dir "$build/bench-results" --command "bench/run.sh $*" "$@"
