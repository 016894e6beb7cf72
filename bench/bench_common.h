/* bench_common.h — helpers shared by the allocator workloads.
 *
 * Every workload is linked against the system libc only; the allocator under
 * test is swapped in with LD_PRELOAD, so the same binary runs on every
 * allocator. What a workload needs from here: a small deterministic random
 * generator (the same sequence under every allocator, so results can be
 * compared), a way to stamp a block with a pattern derived from a tag and to
 * check it before the block is freed (an allocator that hands out overlapping
 * or corrupted blocks is caught), a checksum accumulator, and a fatal-error
 * exit that the runner reports as a failed run.
 *
 * Checksums are sums of tags and sizes, never of addresses or timing, so they
 * are the same under every allocator and every thread interleaving.
 */
#ifndef OWN_BENCH_COMMON_H
#define OWN_BENCH_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Exit code of a workload whose own verification failed (the runner shows
 * it as WRONG rather than as a crash). */
#define BENCH_EXIT_WRONG 3

__attribute__((format(printf, 1, 2), noreturn)) static inline void bench_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("workload check failed: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(BENCH_EXIT_WRONG);
}

/* Allocation failure is not what is measured: stop with a clear message. */
static inline void *bench_check_ptr(void *p, size_t size)
{
    if (p == NULL && size != 0)
        bench_fail("allocation of %zu bytes returned NULL", size);
    return p;
}

/* xorshift64*: fast, good enough for picking sizes and slots. */
typedef struct bench_rng {
    uint64_t s;
} bench_rng_t;

static inline bench_rng_t bench_rng_seed(uint64_t seed)
{
    bench_rng_t r = { seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull };
    if (r.s == 0)
        r.s = 1;
    return r;
}

static inline uint64_t bench_rng_next(bench_rng_t *r)
{
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

__extension__ typedef unsigned __int128 bench_u128;

/* Uniform in [0, n), n > 0 (the bias of the multiply-shift is negligible). */
static inline size_t bench_rng_below(bench_rng_t *r, size_t n)
{
    return (size_t)(((bench_u128)bench_rng_next(r) * n) >> 64);
}

/* Uniform double in [0, 1). */
static inline double bench_rng_unit(bench_rng_t *r)
{
    return (double)(bench_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Stamp a block: the first and last word (or byte, for tiny blocks) carry a
 * value derived from the tag, so a block that overlaps another or was
 * scribbled on by the allocator fails bench_verify. */
static inline uint64_t bench_pattern(uint64_t tag)
{
    return (tag + 1) * 0xD6E8FEB86659FD93ull;
}

static inline void bench_stamp(void *p, size_t size, uint64_t tag)
{
    uint64_t v = bench_pattern(tag);
    unsigned char *b = (unsigned char *)p;
    if (size >= 2 * sizeof v) {
        memcpy(b, &v, sizeof v);
        memcpy(b + size - sizeof v, &v, sizeof v);
    } else if (size > 0) {
        b[0] = (unsigned char)v;
        b[size - 1] = (unsigned char)(v >> 8);
    }
}

static inline void bench_verify(const void *p, size_t size, uint64_t tag)
{
    uint64_t v = bench_pattern(tag), a, z;
    const unsigned char *b = (const unsigned char *)p;
    if (size >= 2 * sizeof v) {
        memcpy(&a, b, sizeof a);
        memcpy(&z, b + size - sizeof z, sizeof z);
        if (a != v || z != v)
            bench_fail("block of %zu bytes (tag %llu) was corrupted", size, (unsigned long long)tag);
    } else if (size > 0) {
        if (b[0] != (unsigned char)v || b[size - 1] != (unsigned char)(v >> 8))
            bench_fail("block of %zu bytes (tag %llu) was corrupted", size, (unsigned long long)tag);
    }
}

/* Checksum accumulation: order-independent (a sum), so thread interleavings
 * do not change it. */
static inline uint64_t bench_mix(uint64_t tag, size_t size)
{
    uint64_t x = tag * 0x9E3779B97F4A7C15ull ^ (uint64_t)size;
    x ^= x >> 31;
    return x * 0xBF58476D1CE4E5B9ull;
}

/* A live block with what is needed to verify it: the working-set workloads
 * keep arrays of these. */
typedef struct slot {
    void *p;
    size_t size;
    uint64_t tag;
} slot_t;

static inline void slot_fill(slot_t *s, size_t size, uint64_t tag)
{
    s->p = bench_check_ptr(malloc(size), size);
    s->size = size;
    s->tag = tag;
    bench_stamp(s->p, size, tag);
}

static inline uint64_t slot_drop(slot_t *s)
{
    if (s->p == NULL)
        return 0;
    bench_verify(s->p, s->size, s->tag);
    free(s->p);
    s->p = NULL;
    return bench_mix(s->tag, s->size);
}

static inline slot_t *slots_new(size_t n)
{
    slot_t *s = (slot_t *)calloc(n, sizeof *s);
    return (slot_t *)bench_check_ptr(s, n * sizeof *s);
}

/* Every workload: run at the given scale (1.0 = full size; the quick mode
 * passes about 0.05) and return the checksum of what it verified. Extra
 * figures are printed as "metric NAME VALUE" lines on stdout. */
typedef uint64_t (*bench_workload_fn)(double scale);

static inline size_t bench_scaled(size_t full, double scale, size_t min)
{
    double v = (double)full * scale;
    return v < (double)min ? min : (size_t)v;
}

/* Keep the compiler from removing a malloc/free pair or a store. */
static inline void bench_escape(void *p)
{
    __asm__ volatile("" : : "g"(p) : "memory");
}

#endif
