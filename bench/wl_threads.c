/* wl_threads.c — multithreaded allocator workloads (two threads: the machine
 * the figures are taken on has two cores).
 *
 * larson        server simulation: each thread replaces random blocks of a
 *               working set; after every round the threads swap working sets,
 *               so most frees are of blocks another thread allocated.
 * xmalloc       one thread allocates and fills blocks, the other verifies and
 *               frees them; batches pass through a single-producer,
 *               single-consumer ring.
 * cache-scratch the main thread allocates one small object per thread and
 *               hands it over; each thread frees it, then allocates, writes
 *               many times and frees small objects. An allocator that gives
 *               the two threads blocks on one cache line (passive false
 *               sharing) is slow here.
 * cache-thrash  the same without the hand-over (active false sharing).
 * mstress       power-of-two sizes; threads are created for a round, leave
 *               half their blocks to the next round's other thread, and exit.
 *
 * Rounds are separated by joins or barriers, so every thread's random
 * sequence, and with it the checksum, is the same under every allocator.
 */
#include "bench_common.h"
#include "workloads.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#define NTHREADS 2

static void start_threads(pthread_t *t, void *(*fn)(void *), void *ctx, size_t ctx_size)
{
    for (int i = 0; i < NTHREADS; i++) {
        if (pthread_create(&t[i], NULL, fn, (char *)ctx + (size_t)i * ctx_size) != 0)
            bench_fail("pthread_create failed");
    }
}

static void join_threads(pthread_t *t)
{
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
}

/* ---- larson ---------------------------------------------------------------- */

typedef struct larson_ctx {
    int id;
    size_t rounds, ops, live;
    slot_t **sets;
    pthread_barrier_t *barrier;
    uint64_t sum;
} larson_ctx_t;

static void *larson_thread(void *arg)
{
    larson_ctx_t *c = (larson_ctx_t *)arg;
    uint64_t sum = 0; /* local: the contexts share cache lines */
    for (size_t round = 0; round < c->rounds; round++) {
        size_t set = ((size_t)c->id + round) % NTHREADS;
        slot_t *s = c->sets[set];
        bench_rng_t r = bench_rng_seed(round * NTHREADS + set + 100);
        uint64_t tag = ((uint64_t)(round * NTHREADS + set + 1)) << 32;
        for (size_t i = 0; i < c->ops; i++) {
            slot_t *x = &s[bench_rng_below(&r, c->live)];
            sum += slot_drop(x);
            slot_fill(x, 16 + bench_rng_below(&r, 497), tag + i);
        }
        pthread_barrier_wait(c->barrier);
    }
    c->sum = sum;
    return NULL;
}

uint64_t wl_larson(double scale)
{
    size_t live = 10000;
    size_t rounds = bench_scaled(100, scale, 4);
    size_t ops = bench_scaled(40000, scale, 2000);
    slot_t *sets[NTHREADS];
    larson_ctx_t ctx[NTHREADS];
    pthread_t t[NTHREADS];
    pthread_barrier_t barrier;
    uint64_t sum = 0;
    bench_rng_t r = bench_rng_seed(99);
    for (int i = 0; i < NTHREADS; i++) {
        sets[i] = slots_new(live);
        for (size_t j = 0; j < live; j++)
            slot_fill(&sets[i][j], 16 + bench_rng_below(&r, 497), j);
    }
    pthread_barrier_init(&barrier, NULL, NTHREADS);
    for (int i = 0; i < NTHREADS; i++)
        ctx[i] = (larson_ctx_t){ i, rounds, ops, live, sets, &barrier, 0 };
    start_threads(t, larson_thread, ctx, sizeof ctx[0]);
    join_threads(t);
    pthread_barrier_destroy(&barrier);
    for (int i = 0; i < NTHREADS; i++) {
        sum += ctx[i].sum;
        for (size_t j = 0; j < live; j++)
            sum += slot_drop(&sets[i][j]);
        free(sets[i]);
    }
    return sum;
}

/* ---- xmalloc: producer / consumer ------------------------------------------- */

enum { XM_BATCH = 256, XM_RING = 64 };

typedef struct xm_batch {
    void *p[XM_BATCH];
    uint32_t size[XM_BATCH];
    uint64_t first_tag;
} xm_batch_t;

typedef struct xm_ring {
    xm_batch_t batch[XM_RING];
    _Atomic size_t head; /* batches produced (written by the producer only) */
    _Atomic size_t tail; /* batches consumed (written by the consumer only) */
    size_t total;        /* batches to pass */
    uint64_t sum;        /* consumer's checksum */
} xm_ring_t;

static void *xm_producer(void *arg)
{
    xm_ring_t *q = (xm_ring_t *)arg;
    bench_rng_t r = bench_rng_seed(11);
    for (size_t b = 0; b < q->total; b++) {
        while (b - atomic_load_explicit(&q->tail, memory_order_acquire) >= XM_RING)
            sched_yield();
        xm_batch_t *x = &q->batch[b % XM_RING];
        x->first_tag = (uint64_t)b * XM_BATCH;
        for (size_t i = 0; i < XM_BATCH; i++) {
            size_t size = 16 + bench_rng_below(&r, 241);
            x->p[i] = bench_check_ptr(malloc(size), size);
            x->size[i] = (uint32_t)size;
            bench_stamp(x->p[i], size, x->first_tag + i);
        }
        atomic_store_explicit(&q->head, b + 1, memory_order_release);
    }
    return NULL;
}

static void *xm_consumer(void *arg)
{
    xm_ring_t *q = (xm_ring_t *)arg;
    for (size_t b = 0; b < q->total; b++) {
        while (atomic_load_explicit(&q->head, memory_order_acquire) <= b)
            sched_yield();
        xm_batch_t *x = &q->batch[b % XM_RING];
        for (size_t i = 0; i < XM_BATCH; i++) {
            bench_verify(x->p[i], x->size[i], x->first_tag + i);
            q->sum += bench_mix(x->first_tag + i, x->size[i]);
            free(x->p[i]);
        }
        atomic_store_explicit(&q->tail, b + 1, memory_order_release);
    }
    return NULL;
}

uint64_t wl_xmalloc(double scale)
{
    xm_ring_t *q = (xm_ring_t *)bench_check_ptr(calloc(1, sizeof *q), sizeof *q);
    pthread_t prod, cons;
    q->total = bench_scaled(40000, scale, 200);
    atomic_init(&q->head, 0);
    atomic_init(&q->tail, 0);
    if (pthread_create(&prod, NULL, xm_producer, q) != 0 || pthread_create(&cons, NULL, xm_consumer, q) != 0)
        bench_fail("pthread_create failed");
    pthread_join(prod, NULL);
    pthread_join(cons, NULL);
    uint64_t sum = q->sum;
    free(q);
    return sum;
}

/* ---- cache-scratch / cache-thrash ------------------------------------------ */

enum { CACHE_OBJ = 8 };

typedef struct cache_ctx {
    unsigned char *given; /* object handed over by the main thread, or NULL */
    size_t objects, writes;
    uint64_t sum;
    char pad[64]; /* keep the contexts themselves on separate lines */
} cache_ctx_t;

static void *cache_thread(void *arg)
{
    cache_ctx_t *c = (cache_ctx_t *)arg;
    if (c->given != NULL)
        free(c->given);
    for (size_t i = 0; i < c->objects; i++) {
        volatile unsigned char *o = (volatile unsigned char *)bench_check_ptr(malloc(CACHE_OBJ), CACHE_OBJ);
        for (size_t k = 0; k < CACHE_OBJ; k++)
            o[k] = 0;
        for (size_t w = 0; w < c->writes; w++)
            for (size_t k = 0; k < CACHE_OBJ; k++)
                o[k]++;
        for (size_t k = 0; k < CACHE_OBJ; k++) {
            if (o[k] != (unsigned char)c->writes)
                bench_fail("small object lost a write");
            c->sum += o[k];
        }
        free((void *)o);
    }
    return NULL;
}

static uint64_t cache_run(double scale, int hand_over)
{
    cache_ctx_t ctx[NTHREADS];
    pthread_t t[NTHREADS];
    uint64_t sum = 0;
    for (int i = 0; i < NTHREADS; i++) {
        memset(&ctx[i], 0, sizeof ctx[i]);
        ctx[i].objects = 1000;
        ctx[i].writes = bench_scaled(100000, scale, 2000);
        if (hand_over)
            ctx[i].given = (unsigned char *)bench_check_ptr(malloc(CACHE_OBJ), CACHE_OBJ);
    }
    start_threads(t, cache_thread, ctx, sizeof ctx[0]);
    join_threads(t);
    for (int i = 0; i < NTHREADS; i++)
        sum += ctx[i].sum;
    return sum;
}

uint64_t wl_cache_scratch(double scale)
{
    return cache_run(scale, 1);
}

uint64_t wl_cache_thrash(double scale)
{
    return cache_run(scale, 0);
}

/* ---- mstress ---------------------------------------------------------------- */

enum { MS_LIVE = 4000 };

typedef struct mstress_ctx {
    int id;
    size_t round, ops;
    slot_t *take; /* blocks left by the previous round's other thread */
    slot_t *give; /* blocks this thread leaves to the next round */
    uint64_t sum;
} mstress_ctx_t;

static size_t pow2_size(bench_rng_t *r)
{
    /* 2^3 .. 2^12, smaller ones more often; rarely 2^16 .. 2^18. */
    if (bench_rng_below(r, 1000) == 0)
        return (size_t)1 << (16 + bench_rng_below(r, 3));
    size_t a = bench_rng_below(r, 10), b = bench_rng_below(r, 10);
    return (size_t)1 << (3 + (a < b ? a : b));
}

static void *mstress_thread(void *arg)
{
    mstress_ctx_t *c = (mstress_ctx_t *)arg;
    bench_rng_t r = bench_rng_seed(c->round * NTHREADS + (size_t)c->id + 1000);
    slot_t *s = slots_new(MS_LIVE);
    uint64_t sum = 0; /* local: the contexts share cache lines */
    uint64_t tag = ((uint64_t)(c->round * NTHREADS + (size_t)c->id + 1)) << 32;
    for (size_t i = 0; i < MS_LIVE / 2; i++)
        sum += slot_drop(&c->take[i]);
    for (size_t i = 0; i < MS_LIVE; i++)
        slot_fill(&s[i], pow2_size(&r), tag++);
    for (size_t i = 0; i < c->ops; i++) {
        slot_t *x = &s[bench_rng_below(&r, MS_LIVE)];
        sum += slot_drop(x);
        slot_fill(x, pow2_size(&r), tag++);
    }
    /* Leave every other block to the next round; free the rest. */
    for (size_t i = 0; i < MS_LIVE; i++) {
        if (i % 2 == 0)
            c->give[i / 2] = s[i];
        else
            sum += slot_drop(&s[i]);
    }
    free(s);
    c->sum = sum;
    return NULL;
}

uint64_t wl_mstress(double scale)
{
    size_t rounds = bench_scaled(200, scale, 6);
    size_t ops = bench_scaled(25000, scale, 2000);
    slot_t *pass[2][NTHREADS]; /* [round parity][thread] */
    mstress_ctx_t ctx[NTHREADS];
    pthread_t t[NTHREADS];
    uint64_t sum = 0;
    for (int p = 0; p < 2; p++)
        for (int i = 0; i < NTHREADS; i++)
            pass[p][i] = slots_new(MS_LIVE / 2);
    for (size_t round = 0; round < rounds; round++) {
        for (int i = 0; i < NTHREADS; i++) {
            ctx[i] = (mstress_ctx_t){ i, round, ops, pass[round % 2][(i + 1) % NTHREADS],
                                      pass[(round + 1) % 2][i], 0 };
        }
        start_threads(t, mstress_thread, ctx, sizeof ctx[0]);
        join_threads(t);
        for (int i = 0; i < NTHREADS; i++)
            sum += ctx[i].sum;
    }
    for (int p = 0; p < 2; p++)
        for (int i = 0; i < NTHREADS; i++) {
            for (size_t j = 0; j < MS_LIVE / 2; j++)
                sum += slot_drop(&pass[p][i][j]);
            free(pass[p][i]);
        }
    return sum;
}
