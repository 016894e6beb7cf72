/* test_fixed_bound.c — the fragmentation bound of own/fixed.h under attack.
 *
 * A program whose live footprints never sum to more than M and whose largest
 * footprint is n must never see an allocation fail in a heap of
 * own_fixed_required_size(M, n) bytes. Adversaries:
 *  - Robson-style doubling: fill the heap with blocks of one size, free every
 *    other block (in address order) so the holes are too small for the next,
 *    doubled size, and go on with that size; several rounds;
 *  - the same with an offset pattern (keep one block in three);
 *  - random sizes and random frees at the edge of M.
 * Every allocation is made only when it keeps the live footprint <= M; each
 * must succeed. Then the same adversaries run in smaller heaps to show that
 * fragmentation is real: they make allocations fail in heaps well above M.
 */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "own/fixed.h"
#include "testing.h"

#define A OWN_FIXED_ALIGN
#define MAXB 40000

typedef struct {
  unsigned char *p;
  size_t size, fp;
} live_t;

static live_t live[MAXB];
static size_t nlive, live_fp;
static own_fixed_t *h;
static long fails;      /* allocations that failed although live_fp + fp <= M */
static long allocs;
static uint64_t rng;

static uint64_t rnd(void) {
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 0x2545F4914F6CDD1DULL;
}

/* Allocates `size` if the live footprint stays <= M. False when it would
 * exceed M (the program would not ask) or when the allocation failed. */
static bool try_alloc(size_t size, size_t m) {
  size_t fp = own_fixed_footprint(size, 1);
  if (live_fp + fp > m || nlive >= MAXB) return false;
  unsigned char *p = own_fixed_alloc(h, size);
  allocs++;
  if (!p) {
    fails++;
    return false;
  }
  if (size) p[0] = p[size - 1] = 0x5A;
  live[nlive++] = (live_t){p, size, fp};
  live_fp += fp;
  return true;
}

static void free_at(size_t i) {
  own_fixed_free(h, live[i].p);
  live_fp -= live[i].fp;
  live[i] = live[--nlive];
}

static int by_addr(const void *a, const void *b) {
  uintptr_t x = (uintptr_t)((const live_t *)a)->p, y = (uintptr_t)((const live_t *)b)->p;
  return x < y ? -1 : x > y;
}

/* Keeps one block in `keep_every` (in address order), frees the rest. */
static void thin(size_t keep_every, size_t phase) {
  qsort(live, nlive, sizeof live[0], by_addr);
  size_t out = 0;
  for (size_t i = 0; i < nlive; i++) {
    if ((i + phase) % keep_every == 0) {
      live[out++] = live[i];
    } else {
      own_fixed_free(h, live[i].p);
      live_fp -= live[i].fp;
    }
  }
  nlive = out;
}

static void release_all(void) {
  while (nlive) free_at(nlive - 1);
}

/* Request sizes whose footprints double: 2A, 4A, ... up to max_fp. */
static void robson(size_t m, size_t max_fp, size_t keep_every, int rounds) {
  for (int r = 0; r < rounds; r++) {
    for (size_t fp = 2 * A; fp <= max_fp; fp *= 2) {
      size_t size = fp - 2 * A; /* footprint(fp - 2A) == fp for fp >= 3A */
      if (own_fixed_footprint(size, 1) > fp) size = 0;
      while (try_alloc(size, m)) {
      }
      thin(keep_every, (size_t)r);
    }
  }
  release_all();
}

static void random_attack(size_t m, size_t max_req, long ops) {
  for (long i = 0; i < ops; i++) {
    if (nlive && (rnd() % 3 == 0 || live_fp > m - m / 16)) {
      free_at(rnd() % nlive);
    } else {
      size_t size = (rnd() % 4 == 0) ? rnd() % (max_req + 1) : rnd() % 256;
      try_alloc(size, m);
    }
  }
  release_all();
}

/* Runs every adversary in a heap of `bytes`; returns the failures seen. */
static long attack(size_t bytes, size_t m, size_t max_req, long random_ops) {
  unsigned char *mem = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
  h = own_fixed_init(mem, bytes);
  if (!h) {
    free(mem);
    return -1;
  }
  fails = 0;
  size_t max_fp = own_fixed_footprint(max_req, 1);
  robson(m, max_fp, 2, 3);
  robson(m, max_fp, 3, 2);
  robson(m, max_fp / 2, 2, 4);
  rng = 42;
  random_attack(m, max_req, random_ops);
  OWN_CHECK(own_fixed_check(h));
  own_fixed_diag_t d;
  own_fixed_diag(h, &d);
  OWN_CHECK_EQ(d.allocated, 0);
  free(mem);
  return fails;
}

int main(void) {
  struct {
    size_t m, max_req;
  } cases[] = {{16 * 1024, 1000}, {64 * 1024, 2000}, {256 * 1024, 16000}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    size_t m = cases[c].m, max_req = cases[c].max_req;
    size_t n = own_fixed_footprint(max_req, 1);
    size_t need = own_fixed_required_size(m, n);
    OWN_CHECK(need > 3 * m);
    allocs = 0;
    long f = attack(need, m, max_req, 300000);
    printf("M=%zu n=%zu: documented heap %zu bytes (%.1f M): %ld failures in %ld allocations\n",
           m, n, need, (double)need / (double)m, f, allocs);
    OWN_CHECK_EQ(f, 0);
    /* Smaller heaps: find the largest one where the adversaries win. */
    size_t worst_fail = 0;
    for (size_t tenths = 10; tenths <= 60; tenths += 2) {
      size_t bytes = m * tenths / 10 + 4096;
      long ff = attack(bytes, m, max_req, 100000);
      if (ff > 0) worst_fail = bytes;
    }
    printf("  adversaries still make allocations fail in a heap of %zu bytes (%.1f M)\n",
           worst_fail, (double)worst_fail / (double)m);
    /* Fragmentation is real: a heap half again as large as M is not enough. */
    OWN_CHECK(worst_fail >= m + m / 2);
    OWN_CHECK(worst_fail < need);
  }
  return own_test_done();
}
