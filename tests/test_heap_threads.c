/* test_heap_threads.c — the general heap under many threads.
 *
 * Rounds of worker threads allocate blocks of random sizes (8 B .. 8 MiB,
 * skewed to small), keep some, free some, realloc some, and hand some to an
 * exchange from which other threads take and free them (remote frees). When a
 * round ends its threads exit still holding blocks; those "orphans" stay valid
 * and are freed by the next round's threads (blocks of dead threads). Every
 * block carries a pattern derived from its id and size, checked before it is
 * freed or reallocated, so a block handed out twice, an overlap or a write by
 * the heap into a live block is caught.
 *
 * At the end everything is freed: after own_collect, own_stats must show the
 * live bytes back at the start value, no thread heaps but main's, and the
 * committed memory shrunk.
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

enum { THREADS = 8, ROUNDS = 5, OPS = 30000, KEEP = 1500, XCHG = 4096, ORPHANS = THREADS * KEEP };

typedef struct blk {
  uint8_t *p;
  size_t size;
  uint32_t id;
} blk_t;

static atomic_uint next_id = 1;
static atomic_int bad = 0;
static atomic_long huge_count = 0, remote_frees = 0, orphan_frees = 0, reallocs = 0;

static uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}
static inline uint8_t pbyte(uint64_t s, size_t i) { return (uint8_t)((s >> ((i & 7) * 8)) + (i >> 3)); }

/* The pattern covers small blocks entirely; of a big block the first and last
 * 512 bytes and 8 bytes of every 64 KiB (so that a huge block costs few page
 * faults). */
#define STRIDE (64 * KiB)
static void pat_fill(const blk_t *b) {
  uint64_t s = mix(b->id);
  size_t n = b->size;
  if (n <= 4096) {
    for (size_t i = 0; i < n; i++) b->p[i] = pbyte(s, i);
    return;
  }
  for (size_t i = 0; i < 512; i++) b->p[i] = pbyte(s, i);
  for (size_t i = n - 512; i < n; i++) b->p[i] = pbyte(s, i);
  for (size_t k = STRIDE; k + 8 <= n; k += STRIDE)
    for (size_t i = k; i < k + 8; i++) b->p[i] = pbyte(s, i);
}
/* Checks the pattern over [0, limit) (limit <= size). */
static bool pat_check_upto(const blk_t *b, size_t limit) {
  uint64_t s = mix(b->id);
  size_t n = b->size;
  if (n <= 4096) {
    for (size_t i = 0; i < limit; i++)
      if (b->p[i] != pbyte(s, i)) return false;
    return true;
  }
  for (size_t i = 0; i < 512 && i < limit; i++)
    if (b->p[i] != pbyte(s, i)) return false;
  for (size_t i = n - 512; i < n && i < limit; i++)
    if (b->p[i] != pbyte(s, i)) return false;
  for (size_t k = STRIDE; k + 8 <= n && k + 8 <= limit; k += STRIDE)
    for (size_t i = k; i < k + 8; i++)
      if (b->p[i] != pbyte(s, i)) return false;
  return true;
}
static void check_and_free(blk_t *b, const char *who) {
  if (!pat_check_upto(b, b->size)) {
    if (atomic_fetch_add(&bad, 1) < 5)
      fprintf(stderr, "%s: block %u (%zu bytes at %p) corrupted\n", who, b->id, b->size,
              (void *)b->p);
  }
  free(b->p);
  b->p = NULL;
}

static size_t rnd(uint64_t *x) {
  *x ^= *x << 13;
  *x ^= *x >> 7;
  *x ^= *x << 17;
  return (size_t)(*x >> 11);
}
/* 8 B .. 8 MiB, skewed: mostly small, a few medium and large, rarely huge. */
static size_t random_size(uint64_t *x) {
  size_t r = rnd(x) % 10000;
  if (r < 7000) return 8 + rnd(x) % ((size_t)8 << (rnd(x) % 8)); /* 8 .. 1 KiB */
  if (r < 9300) return 1 * KiB + rnd(x) % (63 * KiB);           /* .. 64 KiB  */
  if (r < 9985) return 64 * KiB + rnd(x) % (960 * KiB);         /* .. 1 MiB   */
  atomic_fetch_add(&huge_count, 1);
  return 1 * MiB + rnd(x) % (7 * MiB);                          /* .. 8 MiB   */
}

/* Allocates through malloc (most), calloc (checked zero), aligned_alloc and
 * posix_memalign (checked aligned; such blocks may start inside a larger
 * one, which frees from other threads must still find). */
static bool new_block(blk_t *b, size_t size, uint64_t *x) {
  size_t how = rnd(x) % 20, align = (size_t)16 << (rnd(x) % 9);
  void *p = NULL;
  if (how < 14) {
    p = malloc(size);
  } else if (how < 16) {
    p = calloc(1, size);
    const uint8_t *z = p;
    for (size_t i = 0; z && i < size && i < 4096; i++)
      if (z[i]) {
        if (atomic_fetch_add(&bad, 1) < 5) fprintf(stderr, "calloc(%zu) not zeroed\n", size);
        break;
      }
  } else if (how < 19) {
    p = aligned_alloc(align, size);
  } else if (posix_memalign(&p, align, size) != 0) {
    p = NULL;
  }
  if (p && how >= 16 && ((uintptr_t)p & (align - 1)) != 0 && atomic_fetch_add(&bad, 1) < 5)
    fprintf(stderr, "block of %zu bytes at %p not aligned to %zu\n", size, p, align);
  b->p = p;
  if (!b->p) {
    if (atomic_fetch_add(&bad, 1) < 5) fprintf(stderr, "allocation of %zu failed\n", size);
    return false;
  }
  b->size = size;
  b->id = atomic_fetch_add(&next_id, 1);
  pat_fill(b);
  return true;
}

/* ---- the exchange: blocks handed from one thread to another ---- */
static pthread_mutex_t xlock = PTHREAD_MUTEX_INITIALIZER;
static blk_t xchg[XCHG];
static size_t xcount;

static bool xchg_put(blk_t *b) {
  pthread_mutex_lock(&xlock);
  bool ok = xcount < XCHG;
  if (ok) xchg[xcount++] = *b;
  pthread_mutex_unlock(&xlock);
  if (ok) b->p = NULL;
  return ok;
}
static bool xchg_take(blk_t *out, uint64_t *x) {
  pthread_mutex_lock(&xlock);
  bool ok = xcount > 0;
  if (ok) {
    size_t i = rnd(x) % xcount;
    *out = xchg[i];
    xchg[i] = xchg[--xcount];
  }
  pthread_mutex_unlock(&xlock);
  return ok;
}

/* ---- orphans: blocks left by threads that exited ---- */
static pthread_mutex_t olock = PTHREAD_MUTEX_INITIALIZER;
static blk_t orphans[ORPHANS];
static size_t ocount;

static void *worker(void *arg) {
  uint64_t x = mix((uintptr_t)arg + 1) | 1;
  static _Thread_local blk_t kept[KEEP];
  memset(kept, 0, sizeof kept);

  /* Free a share of the blocks the previous round's threads left behind
   * (together the new threads take them all). */
  for (int taken = 0; taken < KEEP; taken++) {
    blk_t b;
    pthread_mutex_lock(&olock);
    bool got = ocount > 0;
    if (got) b = orphans[--ocount];
    pthread_mutex_unlock(&olock);
    if (!got) break;
    check_and_free(&b, "orphan");
    atomic_fetch_add(&orphan_frees, 1);
  }

  for (int op = 0; op < OPS; op++) {
    blk_t *k = &kept[rnd(&x) % KEEP];
    if (!k->p) {
      new_block(k, random_size(&x), &x);
    } else {
      size_t act = rnd(&x) % 100;
      if (act < 55) {
        check_and_free(k, "owner");
      } else if (act < 85) {
        if (!xchg_put(k)) check_and_free(k, "owner");
      } else {
        /* realloc: the prefix survives, then the new size gets the pattern */
        if (!pat_check_upto(k, k->size) && atomic_fetch_add(&bad, 1) < 5)
          fprintf(stderr, "block %u corrupted before realloc\n", k->id);
        size_t ns = random_size(&x);
        uint8_t *q = realloc(k->p, ns);
        if (!q) {
          if (atomic_fetch_add(&bad, 1) < 5) fprintf(stderr, "realloc(%zu) failed\n", ns);
          continue;
        }
        blk_t old = *k;
        old.p = q;
        size_t keep = ns < k->size ? ns : k->size;
        if (keep > 512) keep = 512;
        if (!pat_check_upto(&old, keep) && atomic_fetch_add(&bad, 1) < 5)
          fprintf(stderr, "realloc %zu -> %zu lost the contents of block %u\n", k->size, ns, k->id);
        k->p = q;
        k->size = ns;
        pat_fill(k);
        atomic_fetch_add(&reallocs, 1);
      }
    }
    /* own_collect and own_stats while the other threads run */
    if (op % 5000 == 4999) {
      if ((uintptr_t)arg % 2) {
        own_collect();
      } else {
        own_stats_t st;
        own_stats(&st);
        if (st.threads == 0 || st.committed == 0) atomic_fetch_add(&bad, 1);
      }
    }
    if (rnd(&x) % 4 == 0) {
      blk_t b;
      if (xchg_take(&b, &x)) {
        if (rnd(&x) % 4 == 0) {
          /* realloc by a thread that does not own the block */
          if (!pat_check_upto(&b, b.size) && atomic_fetch_add(&bad, 1) < 5)
            fprintf(stderr, "block %u from the exchange corrupted\n", b.id);
          size_t ns = random_size(&x);
          uint8_t *q = realloc(b.p, ns);
          if (!q) {
            atomic_fetch_add(&bad, 1);
            continue;
          }
          blk_t moved = b;
          moved.p = q;
          size_t keep = ns < b.size ? ns : b.size;
          if (!pat_check_upto(&moved, keep > 512 ? 512 : keep) && atomic_fetch_add(&bad, 1) < 5)
            fprintf(stderr, "remote realloc %zu -> %zu lost block %u\n", b.size, ns, b.id);
          b.p = q;
          b.size = ns;
          pat_fill(&b);
        }
        if (own_malloc_usable_size(b.p) < b.size && atomic_fetch_add(&bad, 1) < 5)
          fprintf(stderr, "usable size of block %u below its size\n", b.id);
        check_and_free(&b, "exchange");
        atomic_fetch_add(&remote_frees, 1);
      }
    }
  }

  /* Exit holding blocks: they go to the orphan list, still live. */
  pthread_mutex_lock(&olock);
  for (int i = 0; i < KEEP; i++)
    if (kept[i].p) {
      if (ocount < ORPHANS) orphans[ocount++] = kept[i];
      else check_and_free(&kept[i], "owner");
    }
  pthread_mutex_unlock(&olock);
  return NULL;
}

int main(void) {
  own_collect();
  own_stats_t s0, s1;
  own_stats(&s0);
  size_t peak = 0;
  int bad_counts = 0;

  for (int round = 0; round < ROUNDS; round++) {
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
      OWN_CHECK_EQ(pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(round * THREADS + i)), 0);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    own_stats(&s1);
    if (s1.committed > peak) peak = s1.committed;
    /* Threads are quiet now, so the count is exact (own/heap.h): the blocks
     * live are the orphans and the exchange's, plus what main held before. */
    size_t live = ocount + xcount;
    if (s1.allocated_blocks > s0.allocated_blocks + live + 8 ||
        s1.allocated_blocks + 8 < s0.allocated_blocks + live) {
      fprintf(stderr, "round %d: own_stats counts %zu live blocks, the test holds %zu\n", round,
              s1.allocated_blocks, s0.allocated_blocks + live);
      bad_counts++;
    }
    printf("round %d: allocated %zu KiB in %zu blocks, committed %zu KiB, abandoned %zu, "
           "orphans %zu\n",
           round, s1.allocated / KiB, s1.allocated_blocks, s1.committed / KiB,
           s1.abandoned_segments, ocount);
  }
  OWN_CHECK_EQ(bad_counts, 0);
  OWN_CHECK(atomic_load(&remote_frees) > 10000);
  OWN_CHECK(atomic_load(&orphan_frees) > 1000);
  OWN_CHECK(atomic_load(&huge_count) > 10);

  /* Free what is left: the last orphans and the exchange, from main. */
  for (size_t i = 0; i < ocount; i++) check_and_free(&orphans[i], "final orphan");
  ocount = 0;
  for (size_t i = 0; i < xcount; i++) check_and_free(&xchg[i], "final exchange");
  xcount = 0;
  OWN_CHECK_EQ(atomic_load(&bad), 0);

  own_collect();
  own_stats(&s1);
  printf("after collect: allocated %zu B in %zu blocks (start %zu B in %zu), committed %zu KiB "
         "(start %zu KiB, peak %zu KiB), threads %zu, abandoned %zu\n",
         s1.allocated, s1.allocated_blocks, s0.allocated, s0.allocated_blocks, s1.committed / KiB,
         s0.committed / KiB, s1.peak_committed / KiB, s1.threads, s1.abandoned_segments);
  /* live data back to (near) the start: only stdio's buffers may differ */
  OWN_CHECK(s1.allocated <= s0.allocated + 64 * KiB);
  OWN_CHECK(s1.allocated_blocks <= s0.allocated_blocks + 8);
  OWN_CHECK_EQ(s1.threads, 1);
  OWN_CHECK_EQ(s1.abandoned_segments, 0);
  OWN_CHECK(s1.peak_committed >= peak);
  OWN_CHECK(s1.committed <= s0.committed + 16 * MiB);
  OWN_CHECK(s1.committed < s1.peak_committed / 4);
  return own_test_done();
}
