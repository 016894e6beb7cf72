/* wl_single.c — single-threaded allocator workloads.
 *
 * churn    a live working set of small objects; each step frees a random one
 *          and allocates a new one of a random small size (the common case of
 *          a long-running program's heap).
 * fixed    fixed-size malloc/free loops: pairs, and batches freed in
 *          allocation order, for sizes 16..256 (the fast path).
 * pareto   sizes drawn from a Pareto distribution (many tiny, a heavy tail up
 *          to 1 MiB) over a working set.
 * realloc  strings grown by small appends and arrays grown by doubling, many
 *          at once so blocks cannot always grow in place.
 * large    blocks of 64 KiB to 32 MiB (log-uniform), every page touched.
 * frag     fill with small blocks, free every other one, allocate blocks of
 *          twice the size; round after round the size doubles (memory freed by
 *          one size class must be reused by the next, or the peak grows).
 * giveback allocate 1 GiB in small blocks, free it all, idle one second, and
 *          report the resident memory left (VmRSS) beside the peak (VmHWM).
 *
 * Each stamps its blocks and verifies them before freeing; the returned
 * checksum depends only on the random sequence, never on the allocator.
 */
#include "bench_common.h"
#include "workloads.h"

#include <math.h>
#include <time.h>
#include <unistd.h>

/* 70% 8..64 bytes, 25% 64..512, 5% 512..4096. */
static size_t small_size(bench_rng_t *r)
{
    uint64_t x = bench_rng_below(r, 100);
    if (x < 70)
        return 8 + bench_rng_below(r, 57);
    if (x < 95)
        return 64 + bench_rng_below(r, 449);
    return 512 + bench_rng_below(r, 3585);
}

uint64_t wl_churn(double scale)
{
    size_t live = bench_scaled(50000, scale, 1000);
    size_t steps = bench_scaled(12000000, scale, 10000);
    bench_rng_t r = bench_rng_seed(1);
    slot_t *s = slots_new(live);
    uint64_t sum = 0, tag = 0;
    for (size_t i = 0; i < live; i++)
        slot_fill(&s[i], small_size(&r), tag++);
    for (size_t i = 0; i < steps; i++) {
        slot_t *x = &s[bench_rng_below(&r, live)];
        sum += slot_drop(x);
        slot_fill(x, small_size(&r), tag++);
    }
    for (size_t i = 0; i < live; i++)
        sum += slot_drop(&s[i]);
    free(s);
    return sum;
}

uint64_t wl_fixed(double scale)
{
    static const size_t sizes[] = { 16, 32, 64, 128, 256 };
    enum { BATCH = 512 };
    void *batch[BATCH];
    size_t rounds = bench_scaled(6000, scale, 20);
    uint64_t sum = 0, tag = 0;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        /* Pairs: the block is freed at once. */
        for (size_t i = 0; i < rounds * BATCH; i++) {
            void *p = bench_check_ptr(malloc(n), n);
            bench_stamp(p, n, tag);
            bench_verify(p, n, tag);
            sum += bench_mix(tag++, n);
            free(p);
        }
        /* Batches: allocate BATCH, free them in allocation order. */
        for (size_t i = 0; i < rounds; i++) {
            for (size_t j = 0; j < BATCH; j++) {
                batch[j] = bench_check_ptr(malloc(n), n);
                bench_stamp(batch[j], n, tag + j);
            }
            for (size_t j = 0; j < BATCH; j++) {
                bench_verify(batch[j], n, tag + j);
                sum += bench_mix(tag + j, n);
                free(batch[j]);
            }
            tag += BATCH;
        }
    }
    return sum;
}

/* Pareto with minimum 16 bytes and shape 1.3, capped at 1 MiB. */
static size_t pareto_size(bench_rng_t *r)
{
    double u = 1.0 - bench_rng_unit(r); /* (0, 1] */
    double x = 16.0 / pow(u, 1.0 / 1.3);
    return x > 1048576.0 ? 1048576 : (size_t)x;
}

uint64_t wl_pareto(double scale)
{
    size_t live = bench_scaled(20000, scale, 500);
    size_t steps = bench_scaled(8000000, scale, 10000);
    bench_rng_t r = bench_rng_seed(3);
    slot_t *s = slots_new(live);
    uint64_t sum = 0, tag = 0;
    for (size_t i = 0; i < live; i++)
        slot_fill(&s[i], pareto_size(&r), tag++);
    for (size_t i = 0; i < steps; i++) {
        slot_t *x = &s[bench_rng_below(&r, live)];
        sum += slot_drop(x);
        slot_fill(x, pareto_size(&r), tag++);
    }
    for (size_t i = 0; i < live; i++)
        sum += slot_drop(&s[i]);
    free(s);
    return sum;
}

/* ---- realloc ------------------------------------------------------------ */

typedef struct grow_str {
    char *p;
    size_t len;    /* bytes in use, excluding the terminating NUL */
    size_t target; /* length at which the string is checked and dropped */
    uint64_t hash; /* FNV-1a of the bytes appended so far */
} grow_str_t;

static uint64_t fnv(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001B3ull;
    }
    return h;
}

static void str_reset(grow_str_t *g, bench_rng_t *r)
{
    g->p = NULL;
    g->len = 0;
    g->hash = 0xCBF29CE484222325ull;
    /* Most strings stay short; some grow to tens of KiB. */
    g->target = bench_rng_below(r, 8) == 0 ? 4096 + bench_rng_below(r, 60000) : 16 + bench_rng_below(r, 1000);
}

static uint64_t str_finish(grow_str_t *g)
{
    if (g->p == NULL)
        return 0;
    if (strlen(g->p) != g->len || fnv(0xCBF29CE484222325ull, g->p, g->len) != g->hash)
        bench_fail("grown string of %zu bytes has wrong contents", g->len);
    free(g->p);
    return bench_mix(g->hash, g->len);
}

uint64_t wl_realloc(double scale)
{
    enum { NSTR = 2000, NARR = 16 };
    size_t steps = bench_scaled(3000000, scale, 20000);
    bench_rng_t r = bench_rng_seed(4);
    grow_str_t *strs = (grow_str_t *)bench_check_ptr(calloc(NSTR, sizeof *strs), NSTR * sizeof *strs);
    uint64_t *arr[NARR] = { 0 };
    size_t alen[NARR] = { 0 }, acap[NARR] = { 0 }, atarget[NARR];
    uint64_t sum = 0, value = 0;
    char piece[32];

    for (size_t i = 0; i < NSTR; i++)
        str_reset(&strs[i], &r);
    for (size_t i = 0; i < NARR; i++)
        atarget[i] = 1000 + bench_rng_below(&r, 200000);

    for (size_t step = 0; step < steps; step++) {
        if ((step & 15) != 0) {
            /* Append 1..31 bytes to a random string. */
            grow_str_t *g = &strs[bench_rng_below(&r, NSTR)];
            size_t add = 1 + bench_rng_below(&r, 31);
            for (size_t k = 0; k < add; k++)
                piece[k] = (char)('a' + bench_rng_below(&r, 26));
            char *np = (char *)realloc(g->p, g->len + add + 1);
            bench_check_ptr(np, g->len + add + 1);
            memcpy(np + g->len, piece, add);
            g->len += add;
            np[g->len] = '\0';
            g->p = np;
            g->hash = fnv(g->hash, piece, add);
            if (g->len >= g->target) {
                sum += str_finish(g);
                str_reset(g, &r);
            }
        } else {
            /* Push a few values on a random array; grow it by doubling. */
            size_t a = bench_rng_below(&r, NARR);
            for (int k = 0; k < 8; k++) {
                if (alen[a] == acap[a]) {
                    size_t ncap = acap[a] ? acap[a] * 2 : 4;
                    uint64_t *np = (uint64_t *)realloc(arr[a], ncap * sizeof *np);
                    bench_check_ptr(np, ncap * sizeof *np);
                    arr[a] = np;
                    acap[a] = ncap;
                }
                arr[a][alen[a]++] = value++;
            }
            if (alen[a] >= atarget[a]) {
                /* Values are consecutive within each push of 8. */
                uint64_t s = 0;
                for (size_t k = 0; k < alen[a]; k++) {
                    if (k % 8 != 0 && arr[a][k] != arr[a][k - 1] + 1)
                        bench_fail("grown array lost its contents at %zu", k);
                    s += arr[a][k];
                }
                sum += bench_mix(s, alen[a]);
                free(arr[a]);
                arr[a] = NULL;
                alen[a] = acap[a] = 0;
                atarget[a] = 1000 + bench_rng_below(&r, 200000);
            }
        }
    }
    for (size_t i = 0; i < NSTR; i++)
        sum += str_finish(&strs[i]);
    for (size_t i = 0; i < NARR; i++) {
        for (size_t k = 0; k < alen[i]; k++)
            sum += arr[i][k];
        free(arr[i]);
    }
    free(strs);
    return sum;
}

/* ---- large blocks --------------------------------------------------------- */

uint64_t wl_large(double scale)
{
    enum { LIVE = 6 };
    size_t steps = bench_scaled(500, scale, 20);
    bench_rng_t r = bench_rng_seed(5);
    slot_t s[LIVE] = { { 0 } };
    uint64_t sum = 0;
    for (size_t i = 0; i < steps; i++) {
        slot_t *x = &s[bench_rng_below(&r, LIVE)];
        sum += slot_drop(x);
        /* log-uniform in [64 KiB, 32 MiB]: 2^16 .. 2^25 */
        double e = 16.0 + 9.0 * bench_rng_unit(&r);
        size_t size = (size_t)exp2(e);
        slot_fill(x, size, i);
        /* Use the memory: one write per page, as a program would. */
        unsigned char *b = (unsigned char *)x->p;
        size_t touched = 0;
        for (size_t off = 64; off + 64 < size; off += 4096, touched++)
            b[off] = (unsigned char)(off >> 12);
        sum += touched + b[64 + 4096 * (touched / 2)];
    }
    for (size_t i = 0; i < LIVE; i++)
        sum += slot_drop(&s[i]);
    return sum;
}

/* ---- fragmentation ---------------------------------------------------------- */

uint64_t wl_frag(double scale)
{
    size_t bytes = bench_scaled((size_t)64 << 20, scale, (size_t)4 << 20);
    uint64_t sum = 0, tag = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t a = 16, n = bytes / a;
        slot_t *cur = slots_new(n);
        for (size_t i = 0; i < n; i++)
            slot_fill(&cur[i], a, tag++);
        while (a < 2048) {
            /* Free every other block: half the memory is now holes of size a. */
            for (size_t i = 1; i < n; i += 2)
                sum += slot_drop(&cur[i]);
            /* Allocate blocks of twice the size: they do not fit the holes. */
            size_t m = n / 2;
            slot_t *next = slots_new(m);
            for (size_t i = 0; i < m; i++)
                slot_fill(&next[i], 2 * a, tag++);
            for (size_t i = 0; i < n; i += 2)
                sum += slot_drop(&cur[i]);
            free(cur);
            cur = next;
            n = m;
            a *= 2;
        }
        for (size_t i = 0; i < n; i++)
            sum += slot_drop(&cur[i]);
        free(cur);
    }
    return sum;
}

/* ---- give-back ------------------------------------------------------------ */

/* A line "Key:   1234 kB" of /proc/self/status, in KiB (0 if absent). */
static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = 0;
    size_t klen = strlen(key);
    if (f == NULL)
        return 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            v = strtol(line + klen + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

uint64_t wl_giveback(double scale)
{
    size_t total = bench_scaled((size_t)1 << 30, scale, (size_t)16 << 20);
    bench_rng_t r = bench_rng_seed(7);
    /* The blocks form a list through their first word: no side array, so the
     * resident memory after the free is the allocator's alone. */
    void *head = NULL;
    size_t bytes = 0;
    uint64_t sum = 0, count = 0;
    while (bytes < total) {
        size_t size = 16 + bench_rng_below(&r, 241);
        void **p = (void **)bench_check_ptr(malloc(size), size);
        p[0] = head;
        p[1] = (void *)(uintptr_t)size;
        memset(p + 2, (int)(size & 0xff), size - 2 * sizeof(void *));
        head = p;
        bytes += size;
        count++;
    }
    long peak_kb = status_kb("VmRSS");
    while (head != NULL) {
        void **p = (void **)head;
        size_t size = (size_t)(uintptr_t)p[1];
        unsigned char *tail = (unsigned char *)p + size - 1;
        if (size > 2 * sizeof(void *) && *tail != (unsigned char)(size & 0xff))
            bench_fail("block of %zu bytes was corrupted", size);
        head = p[0];
        sum += bench_mix(count--, size);
        free(p);
    }
    if (count != 0)
        bench_fail("list of blocks lost %llu entries", (unsigned long long)count);
    /* Idle: an allocator that returns memory on a timer gets its chance. */
    struct timespec idle = { 1, 0 };
    while (nanosleep(&idle, &idle) != 0) {
    }
    printf("metric rss_before_free_kb %ld\n", peak_kb);
    printf("metric rss_after_idle_kb %ld\n", status_kb("VmRSS"));
    printf("metric hwm_kb %ld\n", status_kb("VmHWM"));
    return sum;
}
