/* workloads.h — the allocator workloads run by bench/run.py.
 *
 * Each takes a scale (1.0 = the full benchmark, about 0.05 for the quick
 * mode), verifies its own blocks (exiting with BENCH_EXIT_WRONG on a
 * corrupted one) and returns a checksum that is the same under every
 * allocator.
 */
#ifndef OWN_BENCH_WORKLOADS_H
#define OWN_BENCH_WORKLOADS_H

#include <stdint.h>

uint64_t wl_churn(double scale);
uint64_t wl_fixed(double scale);
uint64_t wl_pareto(double scale);
uint64_t wl_realloc(double scale);
uint64_t wl_large(double scale);
uint64_t wl_frag(double scale);
uint64_t wl_giveback(double scale);
uint64_t wl_larson(double scale);
uint64_t wl_xmalloc(double scale);
uint64_t wl_cache_scratch(double scale);
uint64_t wl_cache_thrash(double scale);
uint64_t wl_mstress(double scale);

#endif
