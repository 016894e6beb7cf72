/* test_heap_churn.c — threads that exit leave their blocks valid, and the
 * memory of those blocks is reused once other threads free them.
 *
 * Many rounds: a few threads start, free the blocks the previous round's
 * threads left behind (checking their contents), allocate a mix of sizes,
 * free half and exit holding the other half. The live data stays about the
 * same from round to round, so the memory the heap holds from the OS
 * (own_stats committed) must level off: if abandoned segments were never
 * reused or given back, it would grow with every round. No own_collect runs
 * during the rounds — reuse has to happen on its own.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "own/heap.h"
#include "testing.h"

#define KiB ((size_t)1024)
#define MiB ((size_t)1024 * 1024)

enum { ROUNDS = 60, THREADS = 4, PER_THREAD = 3000, LEFT = PER_THREAD / 2 };

typedef struct blk {
  uint8_t *p;
  size_t size;
  uint32_t id;
} blk_t;

static blk_t left[2][THREADS][LEFT]; /* [round parity][thread]: blocks left behind */
static atomic_int bad = 0;
static atomic_uint next_id = 1;

static inline uint8_t pbyte(uint32_t id, size_t i) { return (uint8_t)(id * 7u + i * 13u + (i >> 8)); }
static void pat_fill(blk_t *b) {
  size_t n = b->size < 2048 ? b->size : 2048; /* head of big blocks only */
  for (size_t i = 0; i < n; i++) b->p[i] = pbyte(b->id, i);
  if (b->size >= 4096) memset(b->p + b->size - 64, (int)(b->id & 0xff), 64); /* and its tail */
}
static bool pat_ok(const blk_t *b) {
  size_t n = b->size < 2048 ? b->size : 2048;
  for (size_t i = 0; i < n; i++)
    if (b->p[i] != pbyte(b->id, i)) return false;
  if (b->size >= 4096)
    for (size_t i = b->size - 64; i < b->size; i++)
      if (b->p[i] != (uint8_t)(b->id & 0xff)) return false;
  return true;
}

typedef struct job {
  int round, index;
} job_t;

static void *worker(void *arg) {
  job_t *j = arg;
  uint64_t x = (uint64_t)(j->round * 131 + j->index) * 0x9E3779B97F4A7C15ull | 1;
  /* the previous round's thread with the same index left these */
  blk_t *prev = left[(j->round + 1) % 2][j->index];
  for (int i = 0; i < LEFT; i++)
    if (prev[i].p) {
      if (!pat_ok(&prev[i]) && atomic_fetch_add(&bad, 1) < 5)
        fprintf(stderr, "block %u of an exited thread changed\n", prev[i].id);
      free(prev[i].p);
      prev[i].p = NULL;
    }
  static _Thread_local blk_t mine[PER_THREAD];
  for (int i = 0; i < PER_THREAD; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    size_t r = (size_t)(x >> 20);
    size_t size = r % 100 < 90 ? 16 + r % 512 : r % 100 < 99 ? 1024 + r % (32 * KiB)
                                                              : 100 * KiB + r % (400 * KiB);
    if (i == 0) size = 2 * MiB + r % MiB; /* one huge block per thread */
    mine[i].p = malloc(size);
    if (!mine[i].p) {
      atomic_fetch_add(&bad, 1);
      continue;
    }
    mine[i].size = size;
    mine[i].id = atomic_fetch_add(&next_id, 1);
    pat_fill(&mine[i]);
  }
  /* free the odd half here, leave the even half for the next round */
  blk_t *out = left[j->round % 2][j->index];
  for (int i = 0; i < PER_THREAD; i++) {
    if (i % 2 == 0) out[i / 2].p = NULL;
    if (!mine[i].p) continue;
    if (i % 2) {
      if (!pat_ok(&mine[i])) atomic_fetch_add(&bad, 1);
      free(mine[i].p);
    } else {
      out[i / 2] = mine[i];
    }
  }
  return NULL;
}

/* ---- malloc and free in thread-local destructors ----
 * A destructor registered after own started runs after own's own thread-exit
 * work (glibc runs key destructors in key order), so it allocates and frees
 * on a thread whose heap has already been handed back. That must work, and
 * what it allocates must stay valid after the thread is gone. */
enum { DTOR_THREADS = 16 };
static pthread_key_t late_key;
static void *dtor_out[DTOR_THREADS];
static atomic_int dtor_runs;

static void late_destructor(void *v) {
  blk_t *b = v; /* allocated by this thread before it exited */
  if (!pat_ok(b)) atomic_fetch_add(&bad, 1);
  free(b->p);
  free(b);
  for (int i = 0; i < 100; i++) {
    void *q = malloc(16 + (size_t)i * 40);
    if (!q) atomic_fetch_add(&bad, 1);
    else memset(q, i, 16 + (size_t)i * 40);
    free(q);
  }
  int me = atomic_fetch_add(&dtor_runs, 1);
  if (me < DTOR_THREADS) {
    dtor_out[me] = malloc(5000); /* outlives the thread; main frees it */
    if (dtor_out[me]) memset(dtor_out[me], 0x3c, 5000);
  }
}

static void *dtor_thread(void *arg) {
  (void)arg;
  blk_t *b = malloc(sizeof *b);
  b->size = 3000;
  b->id = atomic_fetch_add(&next_id, 1);
  b->p = malloc(b->size);
  pat_fill(b);
  pthread_setspecific(late_key, b);
  void *junk[200];
  for (int i = 0; i < 200; i++) junk[i] = malloc(64);
  for (int i = 0; i < 200; i += 2) free(junk[i]); /* the rest leaves with the thread */
  return NULL;
}

static void test_late_destructors(void) {
  void *first = malloc(8); /* own is up before the key is made */
  free(first);
  OWN_CHECK_EQ(pthread_key_create(&late_key, late_destructor), 0);
  pthread_t t[DTOR_THREADS];
  for (int i = 0; i < DTOR_THREADS; i++) pthread_create(&t[i], NULL, dtor_thread, NULL);
  for (int i = 0; i < DTOR_THREADS; i++) pthread_join(t[i], NULL);
  OWN_CHECK_EQ(atomic_load(&dtor_runs), DTOR_THREADS);
  int ok = 0;
  for (int i = 0; i < DTOR_THREADS; i++) {
    const uint8_t *b = dtor_out[i];
    bool good = b != NULL && own_is_live_block(b);
    for (int k = 0; good && k < 5000; k++)
      if (b[k] != 0x3c) good = false;
    ok += good;
    free(dtor_out[i]);
  }
  OWN_CHECK_EQ(ok, DTOR_THREADS);
  OWN_CHECK_EQ(atomic_load(&bad), 0);
  pthread_key_delete(late_key);
}

/* ---- many threads alive at once ---- */
enum { MANY = 300 };
static pthread_barrier_t many_bar;
static void *many_thread(void *arg) {
  (void)arg;
  void *p[50];
  for (int i = 0; i < 50; i++) p[i] = malloc(16 + (size_t)i * 100);
  pthread_barrier_wait(&many_bar); /* everyone holds blocks */
  pthread_barrier_wait(&many_bar); /* main has looked */
  for (int i = 0; i < 50; i++) free(p[i]);
  return NULL;
}
static void test_many_threads(void) {
  free(malloc(16)); /* main has its heap before counting */
  own_stats_t s0, s;
  own_stats(&s0);
  pthread_t t[MANY];
  pthread_barrier_init(&many_bar, NULL, MANY + 1);
  int made = 0;
  for (int i = 0; i < MANY; i++) made += pthread_create(&t[i], NULL, many_thread, NULL) == 0;
  OWN_CHECK_EQ(made, MANY);
  pthread_barrier_wait(&many_bar);
  own_stats(&s);
  OWN_CHECK_EQ(s.threads, s0.threads + MANY);
  /* (pthread_create allocates a little from main's heap too) */
  OWN_CHECK(s.allocated_blocks >= s0.allocated_blocks + MANY * 50);
  pthread_barrier_wait(&many_bar);
  for (int i = 0; i < MANY; i++) pthread_join(t[i], NULL);
  pthread_barrier_destroy(&many_bar);
  own_stats(&s);
  OWN_CHECK_EQ(s.threads, s0.threads);
  OWN_CHECK(s.allocated_blocks <= s0.allocated_blocks + 16);
}

int main(void) {
  test_many_threads();
  test_late_destructors();
  own_collect();
  own_stats_t s0, s;
  own_stats(&s0);
  size_t early_max = 0, late_max = 0, late_abandoned = 0, early_abandoned = 0;
  for (int round = 0; round < ROUNDS; round++) {
    pthread_t t[THREADS];
    job_t jobs[THREADS];
    for (int i = 0; i < THREADS; i++) {
      jobs[i] = (job_t){round, i};
      OWN_CHECK_EQ(pthread_create(&t[i], NULL, worker, &jobs[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    own_stats(&s);
    if (round % 10 == 0 || round == ROUNDS - 1)
      printf("round %2d: committed %6zu KiB, allocated %6zu KiB, abandoned segments %zu, "
             "threads %zu\n",
             round, s.committed / KiB, s.allocated / KiB, s.abandoned_segments, s.threads);
    if (round >= 5 && round < 20) {
      if (s.committed > early_max) early_max = s.committed;
      if (s.abandoned_segments > early_abandoned) early_abandoned = s.abandoned_segments;
    }
    if (round >= ROUNDS - 20) {
      if (s.committed > late_max) late_max = s.committed;
      if (s.abandoned_segments > late_abandoned) late_abandoned = s.abandoned_segments;
    }
  }
  printf("committed: max of rounds 5-19 %zu KiB, max of the last 20 rounds %zu KiB\n",
         early_max / KiB, late_max / KiB);
  /* Without reuse, each round would add its threads' segments (at least
   * 4 x 4 MiB): 40 rounds later that is far beyond this bound. */
  OWN_CHECK(late_max <= early_max + early_max / 4 + 16 * MiB);
  OWN_CHECK(late_abandoned <= early_abandoned * 2 + 16); /* it varies; a leak grows it */
  OWN_CHECK_EQ(atomic_load(&bad), 0);

  /* main frees the last round's blocks; then all goes back */
  for (int p = 0; p < 2; p++)
    for (int i = 0; i < THREADS; i++)
      for (int k = 0; k < LEFT; k++)
        if (left[p][i][k].p) {
          if (!pat_ok(&left[p][i][k])) atomic_fetch_add(&bad, 1);
          free(left[p][i][k].p);
          left[p][i][k].p = NULL;
        }
  OWN_CHECK_EQ(atomic_load(&bad), 0);
  own_collect();
  own_stats(&s);
  printf("after collect: committed %zu KiB (start %zu KiB), allocated %zu B (start %zu B), "
         "abandoned %zu, threads %zu\n",
         s.committed / KiB, s0.committed / KiB, s.allocated, s0.allocated, s.abandoned_segments,
         s.threads);
  OWN_CHECK(s.allocated <= s0.allocated + 64 * KiB);
  OWN_CHECK(s.committed <= s0.committed + 8 * MiB);
  OWN_CHECK_EQ(s.abandoned_segments, 0);
  OWN_CHECK_EQ(s.threads, 1);
  return own_test_done();
}
