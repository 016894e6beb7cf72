/* test_heap_first_class.c — first-class heaps: own_heap_new, allocation from
 * a heap, frees from other threads, own_heap_visit, own_heap_destroy with
 * live blocks, and the default heap being left alone by all of it.
 */
#include <errno.h>
#include <malloc.h>
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

static inline size_t opq(size_t n) {
  __asm__ volatile("" : "+r"(n));
  return n;
}

static atomic_int reported[OWN_ERR_STACK_OVERFLOW + 1];
static void counting_handler(own_error_t err, const char *msg, const void *ptr, void *ctx) {
  (void)msg, (void)ptr, (void)ctx;
  if ((unsigned)err <= OWN_ERR_STACK_OVERFLOW) atomic_fetch_add(&reported[err], 1);
}
static int count_all(void) {
  int n = 0;
  for (int i = 0; i <= OWN_ERR_STACK_OVERFLOW; i++) n += atomic_load(&reported[i]);
  return n;
}

typedef struct rec {
  uintptr_t p;
  size_t size;   /* requested */
  int seen;      /* times the visitor reported it */
  bool live;
} rec_t;

static int cmp_rec(const void *a, const void *b) {
  uintptr_t x = ((const rec_t *)a)->p, y = ((const rec_t *)b)->p;
  return x < y ? -1 : x > y;
}

typedef struct visit_state {
  rec_t *recs;
  size_t n;
  size_t calls, unknown, too_small, dead;
  size_t stop_after; /* 0: never stop */
  uintptr_t last;    /* the previous block visited */
  size_t disorder;   /* blocks of one 64 KiB slice visited out of address order */
} visit_state_t;

static bool visitor(void *block, size_t usable, void *arg) {
  visit_state_t *v = arg;
  v->calls++;
  /* Pages are runs of whole 64 KiB slices and are walked one at a time in
   * address order: two blocks in a row from the same slice must ascend. */
  if (v->calls > 1 && ((uintptr_t)block >> 16) == (v->last >> 16) && (uintptr_t)block <= v->last)
    v->disorder++;
  v->last = (uintptr_t)block;
  rec_t key = {(uintptr_t)block, 0, 0, false};
  rec_t *r = bsearch(&key, v->recs, v->n, sizeof *r, cmp_rec);
  if (!r) {
    if (v->unknown++ < 3) fprintf(stderr, "visit: unknown block %p (%zu bytes)\n", block, usable);
  } else {
    r->seen++;
    if (!r->live) v->dead++;
    if (usable < r->size) v->too_small++;
  }
  return v->stop_after == 0 || v->calls < v->stop_after;
}

static uint8_t pbyte(uintptr_t p, size_t i) { return (uint8_t)((p >> 4) + i * 3); }

typedef struct remote {
  rec_t *recs;
  size_t n;
} remote_t;
/* Frees every third block, from a thread that does not own the heap. */
static void *remote_free(void *arg) {
  remote_t *r = arg;
  for (size_t i = 0; i < r->n; i++)
    if (i % 3 == 1) {
      free((void *)r->recs[i].p);
      r->recs[i].live = false;
    }
  return NULL;
}

static void test_heap_lifecycle(void) {
  own_collect();
  own_stats_t s0, s1, s2;

  /* blocks of the default heap that must come through untouched */
  enum { D = 500 };
  static uint8_t *dflt[D];
  for (int i = 0; i < D; i++) {
    dflt[i] = malloc(opq(24 + (size_t)i * 5));
    memset(dflt[i], i & 0xff, 24 + (size_t)i * 5);
  }
  own_stats(&s0);

  own_heap_t *h = own_heap_new();
  OWN_CHECK(h != NULL);
  OWN_CHECK(h != own_heap_default());
  if (!h) return;

  /* an empty heap has nothing to visit */
  visit_state_t v0 = {0};
  OWN_CHECK(own_heap_visit(h, visitor, &v0));
  OWN_CHECK_EQ(v0.calls, 0);

  enum { N = 6000 };
  rec_t *recs = calloc(N, sizeof *recs);
  uint64_t x = 0x9E3779B97F4A7C15ull;
  size_t total = 0;
  for (size_t i = 0; i < N; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    size_t r = (size_t)(x >> 16);
    size_t n;
    switch (i % 10) {
      case 0: n = 20 * KiB + r % (40 * KiB); break;     /* medium */
      case 1:
        n = (i % 100 == 1) ? 2 * MiB + r % MiB                      /* huge  */
            : (i % 20 == 1) ? 64 * KiB + r % (300 * KiB) : r % 2000; /* large */
        break;
      default: n = r % 900; break;                      /* small, 0 included */
    }
    void *p;
    switch (i % 4) {
      case 0: p = own_heap_malloc(h, opq(n)); break;
      case 1: p = own_heap_calloc(h, opq(n), 1); break;
      case 2: {
        own_layout_t l = {n, (size_t)16 << (i % 8)};
        p = own_heap_alloc(h, l);
        if (p && ((uintptr_t)p & (l.align - 1))) OWN_CHECK(!"own_heap_alloc misaligned");
        break;
      }
      default: {
        own_layout_t l = {n, 64};
        p = own_heap_alloc_zeroed(h, l);
        break;
      }
    }
    OWN_CHECK(p != NULL);
    if (!p) continue;
    if (i % 4 == 1 || i % 4 == 3) {
      const uint8_t *b = p;
      for (size_t k = 0; k < n; k++)
        if (b[k]) {
          OWN_CHECK(!"heap calloc / alloc_zeroed not zeroed");
          break;
        }
    }
    for (size_t k = 0; k < n && k < 4096; k++) ((uint8_t *)p)[k] = pbyte((uintptr_t)p, k);
    recs[i] = (rec_t){(uintptr_t)p, n, 0, true};
    total += n;
  }
  /* own_heap_realloc moves blocks of the default heap into h */
  enum { R = 50 };
  void *moved[R];
  for (int i = 0; i < R; i++) {
    void *d = malloc(opq(100));
    memset(d, 0xab, 100);
    moved[i] = own_heap_realloc(h, d, opq(3000));
    OWN_CHECK(moved[i] && ((uint8_t *)moved[i])[99] == 0xab);
  }

  own_stats(&s1);
  OWN_CHECK(s1.allocated >= s0.allocated + total);
  OWN_CHECK(s1.allocated_blocks >= s0.allocated_blocks + N);

  /* free a third here, a third from another thread */
  for (size_t i = 0; i < N; i++)
    if (i % 3 == 0 && recs[i].p) {
      free((void *)recs[i].p);
      recs[i].live = false;
    }
  remote_t job = {recs, N};
  pthread_t t;
  pthread_create(&t, NULL, remote_free, &job);
  pthread_join(t, NULL);

  /* the remaining blocks are intact */
  bool intact = true;
  for (size_t i = 0; i < N; i++) {
    if (!recs[i].live || !recs[i].p) continue;
    const uint8_t *b = (const uint8_t *)recs[i].p;
    for (size_t k = 0; k < recs[i].size && k < 4096; k++)
      if (b[k] != pbyte(recs[i].p, k)) {
        intact = false;
        break;
      }
  }
  OWN_CHECK(intact);

  /* own_heap_visit reports exactly the live blocks, each once */
  qsort(recs, N, sizeof *recs, cmp_rec);
  rec_t *all = malloc((N + R) * sizeof *all);
  memcpy(all, recs, N * sizeof *recs);
  for (int i = 0; i < R; i++) all[N + i] = (rec_t){(uintptr_t)moved[i], 3000, 0, true};
  qsort(all, N + R, sizeof *all, cmp_rec);
  size_t live = 0;
  for (size_t i = 0; i < N + R; i++) live += all[i].live && all[i].p;
  visit_state_t v = {all, N + R, 0, 0, 0, 0, 0, 0, 0};
  OWN_CHECK(own_heap_visit(h, visitor, &v));
  size_t once = 0, twice = 0, missed = 0;
  for (size_t i = 0; i < N + R; i++) {
    if (!all[i].p) continue;
    if (all[i].live && all[i].seen == 1) once++;
    if (all[i].seen > 1) twice++;
    if (all[i].live && all[i].seen == 0) missed++;
  }
  printf("visit: %zu calls, %zu live, %zu once, %zu missed, %zu twice, %zu freed-but-visited, "
         "%zu unknown\n",
         v.calls, live, once, missed, twice, v.dead, v.unknown);
  OWN_CHECK_EQ(v.calls, live);
  OWN_CHECK_EQ(once, live);
  OWN_CHECK_EQ(v.unknown, 0);
  OWN_CHECK_EQ(v.dead, 0);
  OWN_CHECK_EQ(v.too_small, 0);
  OWN_CHECK_EQ(v.disorder, 0);

  /* the walk stops when the visitor says so */
  visit_state_t vs = {all, N + R, 0, 0, 0, 0, 10, 0, 0};
  OWN_CHECK(!own_heap_visit(h, visitor, &vs));
  OWN_CHECK_EQ(vs.calls, 10);

  /* destroy with live blocks: they are all released at once */
  own_stats(&s1);
  own_heap_destroy(h);
  own_stats(&s2);
  printf("destroy: allocated %zu -> %zu KiB, blocks %zu -> %zu\n", s1.allocated / KiB,
         s2.allocated / KiB, s1.allocated_blocks, s2.allocated_blocks);
  OWN_CHECK(s2.allocated_blocks <= s1.allocated_blocks - live);
  /* what is left is the default heap's: as before plus this test's arrays */
  OWN_CHECK(s2.allocated <= s0.allocated + malloc_usable_size(recs) + malloc_usable_size(all) +
                                 64 * KiB);
  own_collect();
  own_stats(&s2);
  printf("destroy: committed %zu -> %zu KiB\n", s1.committed / KiB, s2.committed / KiB);
  OWN_CHECK(s2.committed + 8 * MiB < s1.committed);
  /* its blocks are no longer live */
  size_t still_live = 0;
  for (size_t i = 0; i < N + R; i++)
    if (all[i].p && all[i].live && own_is_live_block((void *)all[i].p)) still_live++;
  OWN_CHECK_EQ(still_live, 0);
  free(all);
  free(recs);

  /* the default heap is untouched */
  bool dflt_ok = true;
  for (int i = 0; i < D; i++) {
    if (!own_is_live_block(dflt[i])) dflt_ok = false;
    for (size_t k = 0; k < 24 + (size_t)i * 5; k++)
      if (dflt[i][k] != (uint8_t)(i & 0xff)) {
        dflt_ok = false;
        break;
      }
    free(dflt[i]);
  }
  OWN_CHECK(dflt_ok);
  void *after = malloc(opq(1000));
  OWN_CHECK(after && own_is_live_block(after));
  free(after);
}

static void test_heap_errors(void) {
  own_heap_t *h = own_heap_new();
  OWN_CHECK(h != NULL);
  errno = 0;
  OWN_CHECK(own_heap_malloc(h, opq(SIZE_MAX)) == NULL);
  OWN_CHECK_EQ(errno, ENOMEM);
  errno = 0;
  OWN_CHECK(own_heap_calloc(h, opq(SIZE_MAX / 2), 3) == NULL);
  OWN_CHECK_EQ(errno, ENOMEM);
  errno = 0;
  OWN_CHECK(own_heap_alloc(h, (own_layout_t){16, 3}) == NULL);
  OWN_CHECK_EQ(errno, EINVAL);
  errno = 0;
  OWN_CHECK(own_heap_alloc_zeroed(h, (own_layout_t){SIZE_MAX, 16}) == NULL);
  OWN_CHECK_EQ(errno, ENOMEM);
  void *p = own_heap_malloc(h, opq(100));
  memset(p, 1, 100);
  errno = 0;
  OWN_CHECK(own_heap_realloc(h, p, opq(SIZE_MAX)) == NULL);
  OWN_CHECK_EQ(errno, ENOMEM);
  OWN_CHECK(((uint8_t *)p)[99] == 1 && own_is_live_block(p));
  void *z = own_heap_malloc(h, opq(0));
  OWN_CHECK(z != NULL);
  own_heap_destroy(h);

  /* destroying the default heap is reported and ignored */
  void *d = malloc(opq(64));
  memset(d, 0x42, 64);
  int before = atomic_load(&reported[OWN_ERR_USAGE]);
  own_heap_destroy(own_heap_default());
  OWN_CHECK_EQ(atomic_load(&reported[OWN_ERR_USAGE]), before + 1);
  OWN_CHECK(own_is_live_block(d) && ((uint8_t *)d)[63] == 0x42);
  void *e = malloc(opq(64));
  OWN_CHECK(e && e != d && own_is_live_block(e));
  free(e);
  free(d);
  /* NULL is a no-op */
  before = count_all();
  own_heap_destroy(NULL);
  OWN_CHECK_EQ(count_all(), before);
}

/* A heap used and destroyed entirely on another thread; and many heaps. */
static void *heap_on_thread(void *arg) {
  (void)arg;
  int bad = 0;
  for (int r = 0; r < 20; r++) {
    own_heap_t *h = own_heap_new();
    if (!h) return (void *)1;
    for (int i = 0; i < 2000; i++) {
      char *p = own_heap_malloc(h, 16 + (size_t)(i % 300));
      if (!p) bad++;
      else p[0] = 1;
      if (i % 5 == 0) free(p);
    }
    own_heap_destroy(h);
  }
  return (void *)(uintptr_t)bad;
}

static void test_many_heaps(void) {
  pthread_t t;
  void *ret = (void *)1;
  pthread_create(&t, NULL, heap_on_thread, NULL);
  pthread_join(t, &ret);
  OWN_CHECK(ret == NULL);

  own_collect();
  own_stats_t s0, s1;
  own_stats(&s0);
  for (int round = 0; round < 3; round++) {
    enum { H = 1000 };
    static own_heap_t *hs[H];
    int bad = 0;
    for (int i = 0; i < H; i++) {
      hs[i] = own_heap_new();
      if (!hs[i] || !own_heap_malloc(hs[i], 32)) bad++;
    }
    for (int i = 0; i < H; i++) own_heap_destroy(hs[i]);
    OWN_CHECK_EQ(bad, 0);
  }
  own_collect();
  own_stats(&s1);
  printf("1000 heaps x 3: committed %zu -> %zu KiB\n", s0.committed / KiB, s1.committed / KiB);
  OWN_CHECK(s1.committed <= s0.committed + 8 * MiB);
  OWN_CHECK(s1.allocated <= s0.allocated + 64 * KiB);
}

/* Zeroed blocks carved where freed medium and large blocks were: the slow
 * path zeroes them (under memcheck, only once they are live again). */
static void *zeroed_on_thread(void *arg) {
  size_t n = *(size_t *)arg;
  unsigned char *z = calloc(1, n);
  bool ok = z != NULL;
  for (size_t i = 0; ok && i < n; i++) ok = z[i] == 0;
  free(z);
  return ok ? arg : NULL;
}

static void test_zeroed_reuse(void) {
  static size_t sizes[] = {60016, 200000, 900000};
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    size_t n = sizes[k];
    unsigned char *p = own_malloc(n);
    OWN_CHECK(p != NULL);
    memset(p, 0xee, n);
    own_free(p);
    unsigned char *z = own_calloc(1, n);
    OWN_CHECK(z != NULL);
    bool zero = true;
    for (size_t i = 0; zero && i < n; i++) zero = z[i] == 0;
    OWN_CHECK(zero);
    own_free(z);
    pthread_t t;
    void *r = NULL;
    OWN_CHECK_EQ(pthread_create(&t, NULL, zeroed_on_thread, &sizes[k]), 0);
    OWN_CHECK_EQ(pthread_join(t, &r), 0);
    OWN_CHECK(r == &sizes[k]);
  }
}

int main(void) {
  own_set_error_handler(counting_handler, NULL);
  test_zeroed_reuse();
  test_heap_lifecycle();
  test_heap_errors();
  test_many_heaps();
  /* nothing but the deliberate default-heap destroy was reported */
  OWN_CHECK_EQ(count_all(), 1);
  return own_test_done();
}
