/* workloads.c — the entry point of the workload program.
 *
 *   own-bench-workloads NAME [SCALE]     run one workload, print its checksum
 *   own-bench-workloads --list           print the workload names
 *
 * The program is linked against the system libc; the allocator under test is
 * put in with LD_PRELOAD. It prints "checksum HEX", "seconds S" (time inside
 * the workload, without process start-up) and any "metric NAME VALUE" lines
 * the workload adds; the runner compares checksums across allocators.
 */
#include "bench_common.h"
#include "workloads.h"

#include <time.h>

static const struct {
    const char *name;
    bench_workload_fn fn;
} workloads[] = {
    { "churn", wl_churn },
    { "fixed", wl_fixed },
    { "larson", wl_larson },
    { "xmalloc", wl_xmalloc },
    { "cache-scratch", wl_cache_scratch },
    { "cache-thrash", wl_cache_thrash },
    { "pareto", wl_pareto },
    { "mstress", wl_mstress },
    { "realloc", wl_realloc },
    { "large", wl_large },
    { "frag", wl_frag },
    { "giveback", wl_giveback },
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    size_t n = sizeof workloads / sizeof workloads[0];
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < n; i++)
            puts(workloads[i].name);
        return 0;
    }
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s NAME [SCALE] | --list\n", argv[0]);
        return 2;
    }
    double scale = 1.0;
    if (argc == 3) {
        char *end;
        scale = strtod(argv[2], &end);
        if (*end != '\0' || !(scale > 0.0 && scale <= 100.0)) {
            fprintf(stderr, "bad scale '%s': expected a number in (0, 100]\n", argv[2]);
            return 2;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(argv[1], workloads[i].name) == 0) {
            double t0 = now();
            uint64_t sum = workloads[i].fn(scale);
            double t1 = now();
            printf("checksum %016llx\n", (unsigned long long)sum);
            printf("seconds %.6f\n", t1 - t0);
            return fflush(stdout) == 0 ? 0 : 1;
        }
    }
    fprintf(stderr, "unknown workload '%s' (try --list)\n", argv[1]);
    return 2;
}
