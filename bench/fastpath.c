/* fastpath.c — N malloc+free pairs of one small size, for instruction counts.
 *
 *   own-bench-fastpath SIZE N
 *
 * Run under valgrind --tool=callgrind --toggle-collect=bench_fastpath_pairs:
 * only instructions executed inside bench_fastpath_pairs (and what it calls:
 * malloc and free of the preloaded allocator) are counted, so the total
 * divided by N is the cost of one pair on the fast path. A warm-up of the
 * same size runs first outside the counted function, so the first page, the
 * thread heap and lazy binding are already set up.
 */
#include "bench_common.h"

static void pairs(size_t size, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        void *p = malloc(size);
        bench_escape(p);
        free(p);
    }
}

__attribute__((noinline, used)) void bench_fastpath_warmup(size_t size, size_t n);
__attribute__((noinline, used)) void bench_fastpath_pairs(size_t size, size_t n);

void bench_fastpath_warmup(size_t size, size_t n)
{
    pairs(size, n);
}

void bench_fastpath_pairs(size_t size, size_t n)
{
    pairs(size, n);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s SIZE N\n", argv[0]);
        return 2;
    }
    char *e1, *e2;
    unsigned long long size = strtoull(argv[1], &e1, 10);
    unsigned long long n = strtoull(argv[2], &e2, 10);
    if (*e1 != '\0' || *e2 != '\0' || size == 0 || size > (1u << 20) || n == 0) {
        fprintf(stderr, "bad arguments: SIZE in 1..1048576, N > 0\n");
        return 2;
    }
    bench_fastpath_warmup((size_t)size, 10000);
    bench_fastpath_pairs((size_t)size, (size_t)n);
    printf("pairs %llu\n", n);
    return 0;
}
