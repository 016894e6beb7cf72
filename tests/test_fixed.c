/* test_fixed.c — edge cases of the fixed heap (own/fixed.h): creation over
 * odd buffers, NULL / zero / huge sizes, alignments, invalid and double
 * frees, realloc in place, added regions, diagnostics, walker, locks and the
 * allocator interface. Every case ends with the full invariant check.
 */
#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#include "own/fixed.h"
#include "testing.h"

#if defined(OWN_FIXED_TEST_REPORT)
#include "own/core.h"
static int reported[16];
static void count_errors(own_error_t err, const char *msg, const void *ptr, void *ctx) {
  (void)msg;
  (void)ptr;
  (void)ctx;
  if ((unsigned)err < 16) reported[err]++;
}
#endif

#define A OWN_FIXED_ALIGN

/* Read at run time, so the compiler does not reject the huge sizes. */
static volatile size_t size_max = SIZE_MAX;

static alignas(64) unsigned char buf1[1 << 16];
static alignas(64) unsigned char buf2[1 << 14];

static own_fixed_diag_t diag(own_fixed_t *h) {
  own_fixed_diag_t d;
  memset(&d, 0xEE, sizeof d);
  OWN_CHECK(own_fixed_diag(h, &d));
  return d;
}

static void test_init(void) {
  OWN_CHECK(own_fixed_init(NULL, 4096) == NULL);
  OWN_CHECK(own_fixed_init(buf1, 0) == NULL);
  OWN_CHECK(own_fixed_init(buf1, 1) == NULL);
  OWN_CHECK(own_fixed_init(buf1, 16) == NULL);
  OWN_CHECK(own_fixed_init(buf1, 64) == NULL);
  /* A wrapping buffer end. */
  OWN_CHECK(own_fixed_init((void *)(UINTPTR_MAX - 100), 4096) == NULL);
  /* Find the smallest buffer that works: it must hold at least one block. */
  size_t smallest = 0;
  for (size_t n = 1; n < 4096; n++) {
    own_fixed_t *h = own_fixed_init(buf1, n);
    if (h) {
      smallest = n;
      void *p = own_fixed_alloc(h, 1);
      OWN_CHECK(p != NULL);
      OWN_CHECK(own_fixed_check(h));
      break;
    }
  }
  OWN_CHECK(smallest > 0 && smallest <= 1024);
  /* Misaligned buffers: alignment is handled inside. */
  for (size_t off = 1; off < 2 * A; off++) {
    own_fixed_t *h = own_fixed_init(buf1 + off, 4096);
    OWN_CHECK(h != NULL);
    if (!h) continue;
    OWN_CHECK((uintptr_t)h % sizeof(void *) == 0);
    void *p = own_fixed_alloc(h, 10);
    OWN_CHECK(p != NULL && (uintptr_t)p % A == 0);
    OWN_CHECK((unsigned char *)p >= buf1 + off && (unsigned char *)p + 10 <= buf1 + off + 4096);
    OWN_CHECK(own_fixed_check(h));
  }
}

static void test_sizes(void) {
  own_fixed_t *h = own_fixed_init(buf1, sizeof buf1);
  OWN_CHECK(h != NULL);
  own_fixed_diag_t d0 = diag(h);
  OWN_CHECK(d0.capacity > sizeof buf1 - 4096 && d0.capacity < sizeof buf1);
  OWN_CHECK_EQ(d0.allocated, 0);
  OWN_CHECK_EQ(d0.free_blocks, 1);
  OWN_CHECK_EQ(d0.largest_free, d0.capacity);
  OWN_CHECK_EQ(d0.fragmentation_permille, 0);

  OWN_CHECK(own_fixed_alloc(NULL, 8) == NULL);
  size_t huge[] = {SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - A, SIZE_MAX / 2, SIZE_MAX / 2 + 1,
                   (size_t)PTRDIFF_MAX, d0.max_block, d0.capacity + 1, sizeof buf1};
  for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
    OWN_CHECK(own_fixed_alloc(h, huge[i]) == NULL);
    OWN_CHECK(own_fixed_alloc_aligned(h, huge[i], 64) == NULL);
    OWN_CHECK(own_fixed_realloc(h, NULL, huge[i]) == NULL);
  }
  own_fixed_diag_t d = diag(h);
  OWN_CHECK_EQ(d.oom_count, 3 * (sizeof huge / sizeof huge[0]));
  OWN_CHECK_EQ(d.allocated, 0);
  OWN_CHECK(own_fixed_check(h));

  /* Size 0: a real, distinct, freeable block. */
  void *z1 = own_fixed_alloc(h, 0), *z2 = own_fixed_alloc(h, 0);
  OWN_CHECK(z1 && z2 && z1 != z2);
  OWN_CHECK(own_fixed_usable_size(h, z1) >= A);
  own_fixed_free(h, z1);
  own_fixed_free(h, z2);

  /* The whole capacity in one block. */
  void *all = own_fixed_alloc(h, d0.capacity - A);
  OWN_CHECK(all != NULL);
  OWN_CHECK(own_fixed_alloc(h, 1) == NULL);
  OWN_CHECK(own_fixed_check(h));
  own_fixed_free(h, all);

  /* Usable size: at least what was asked, all writable. */
  for (size_t n = 0; n < 300; n++) {
    unsigned char *p = own_fixed_alloc(h, n);
    OWN_CHECK(p != NULL && (uintptr_t)p % A == 0);
    size_t u = own_fixed_usable_size(h, p);
    OWN_CHECK(u >= n && u < n + 4 * A);
    memset(p, 0xAB, u);
    OWN_CHECK(own_fixed_check(h));
    own_fixed_free(h, p);
  }
  OWN_CHECK_EQ(diag(h).allocated, 0);
  OWN_CHECK_EQ(diag(h).free_blocks, 1);
  OWN_CHECK(own_fixed_check(h));
}

static void test_alignment(void) {
  own_fixed_t *h = own_fixed_init(buf1, sizeof buf1);
  size_t bad[] = {0, 3, 6, 24, 100, (size_t)3 << 20, SIZE_MAX};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    OWN_CHECK(own_fixed_alloc_aligned(h, 16, bad[i]) == NULL);
    OWN_CHECK(own_fixed_realloc_aligned(h, NULL, 16, bad[i]) == NULL);
  }
  void *ps[64];
  int n = 0;
  for (size_t al = 1; al <= 8192; al <<= 1) {
    for (size_t sz = 0; sz < 200; sz += 67) {
      void *p = own_fixed_alloc_aligned(h, sz, al);
      OWN_CHECK(p != NULL && (uintptr_t)p % al == 0 && (uintptr_t)p % A == 0);
      if (p) memset(p, 0x5A, sz);
      if (p && n < 64) ps[n++] = p;
      OWN_CHECK(own_fixed_check(h));
    }
  }
  /* Alignments larger than the heap fail cleanly. */
  OWN_CHECK(own_fixed_alloc_aligned(h, 1, (size_t)1 << 20) == NULL);
  OWN_CHECK(own_fixed_alloc_aligned(h, 1, (size_t)1 << (sizeof(size_t) * 8 - 1)) == NULL);
  for (int i = 0; i < n; i++) own_fixed_free(h, ps[i]);
  OWN_CHECK_EQ(diag(h).allocated, 0);
  OWN_CHECK_EQ(diag(h).free_blocks, 1);
  OWN_CHECK(own_fixed_check(h));
}

static void test_invalid_free(void) {
  own_fixed_t *h = own_fixed_init(buf1, sizeof buf1);
  own_fixed_t *h2 = own_fixed_init(buf2, sizeof buf2);
#if defined(OWN_FIXED_TEST_REPORT)
  memset(reported, 0, sizeof reported);
  own_error_handler_t old = own_set_error_handler(count_errors, NULL);
#endif
  char *a = own_fixed_alloc(h, 100), *b = own_fixed_alloc(h, 100), *c = own_fixed_alloc(h, 100);
  char *other = own_fixed_alloc(h2, 100);
  OWN_CHECK(a && b && c && other);
  memset(a, 0, 100);
  memset(b, 0, 100);
  memset(c, 0, 100);
  int local;
  uint64_t expected = 0;
  own_fixed_free(h, NULL); /* no effect, not counted */
  own_fixed_free(h, &local), expected++;            /* outside the heap */
  own_fixed_free(h, b + 1), expected++;             /* misaligned */
  own_fixed_free(h, b + A), expected++;             /* inside a block */
  own_fixed_free(h, b + 4 * A), expected++;         /* inside a block */
  own_fixed_free(h, other), expected++;             /* another heap's block */
  own_fixed_free(h, (char *)h), expected++;         /* the control block */
  own_fixed_free(h, buf1 + sizeof buf1 - A), expected++; /* past the last block */
  OWN_CHECK(own_fixed_usable_size(h, b + A) == 0);
  OWN_CHECK(own_fixed_usable_size(h, other) == 0);
  OWN_CHECK(own_fixed_realloc(h, b + A, 10) == NULL);
  expected++;
  own_fixed_free(h, b);
  own_fixed_free(h, b), expected++;                 /* double free */
  own_fixed_free(h, a);
  own_fixed_free(h, b), expected++;                 /* merged into a's block */
  own_fixed_free(h, a), expected++;
  own_fixed_diag_t d = diag(h);
  OWN_CHECK_EQ(d.invalid_free_count, expected);
  OWN_CHECK_EQ(d.live_blocks, 1);
  OWN_CHECK(own_fixed_check(h));
  OWN_CHECK(own_fixed_check(h2));
  OWN_CHECK_EQ(diag(h2).invalid_free_count, 0);
  /* The heap still works and c is intact. */
  for (int i = 0; i < 100; i++) OWN_CHECK(c[i] == 0);
  void *again = own_fixed_alloc(h, 250);
  OWN_CHECK(again != NULL);
  own_fixed_free(h, again);
  own_fixed_free(h, c);
  OWN_CHECK_EQ(diag(h).allocated, 0);
  OWN_CHECK(own_fixed_check(h));
#if defined(OWN_FIXED_TEST_REPORT)
  own_set_error_handler(old, NULL);
  OWN_CHECK_EQ(reported[OWN_ERR_DOUBLE_FREE], 2);
  OWN_CHECK_EQ(reported[OWN_ERR_DOUBLE_FREE] + reported[OWN_ERR_INVALID_FREE], expected);
#endif
  /* NULL heap: harmless. */
  own_fixed_free(NULL, a);
  OWN_CHECK(own_fixed_usable_size(NULL, a) == 0);
  OWN_CHECK(!own_fixed_check(NULL) && !own_fixed_check_fast(NULL));
  OWN_CHECK(!own_fixed_diag(NULL, &d) && !own_fixed_diag(h, NULL));
}

static void test_realloc(void) {
  own_fixed_t *h = own_fixed_init(buf1, sizeof buf1);
  unsigned char *p = own_fixed_realloc(h, NULL, 100);
  OWN_CHECK(p != NULL);
  for (int i = 0; i < 100; i++) p[i] = (unsigned char)i;
  /* Grow into the free space that follows: stays in place. */
  unsigned char *q = own_fixed_realloc(h, p, 1000);
  OWN_CHECK(q == p);
  OWN_CHECK(own_fixed_usable_size(h, q) >= 1000);
  for (int i = 0; i < 100; i++) OWN_CHECK(q[i] == (unsigned char)i);
  /* Shrink: in place, the tail goes back. */
  size_t before = diag(h).allocated;
  q = own_fixed_realloc(h, p, 50);
  OWN_CHECK(q == p);
  OWN_CHECK(diag(h).allocated < before);
  for (int i = 0; i < 50; i++) OWN_CHECK(q[i] == (unsigned char)i);
  OWN_CHECK(own_fixed_check(h));
  /* Blocked by a neighbour: moves, contents kept. */
  void *blocker = own_fixed_alloc(h, 10);
  OWN_CHECK(blocker != NULL);
  q = own_fixed_realloc(h, p, 3000);
  OWN_CHECK(q != NULL && q != p);
  for (int i = 0; i < 50; i++) OWN_CHECK(q[i] == (unsigned char)i);
  OWN_CHECK(own_fixed_check(h));
  /* Free neighbour after a freed block: grows in place again. */
  unsigned char *r = own_fixed_alloc(h, 64);
  unsigned char *s = own_fixed_alloc(h, 64);
  unsigned char *t = own_fixed_alloc(h, 64);
  own_fixed_free(h, s);
  memset(r, 7, 64);
  OWN_CHECK(own_fixed_realloc(h, r, 64 + 48) == r);
  for (int i = 0; i < 64; i++) OWN_CHECK(r[i] == 7);
  OWN_CHECK(own_fixed_check(h));
  /* Size 0 shrinks to a minimal block, never NULL. */
  void *z = own_fixed_realloc(h, t, 0);
  OWN_CHECK(z == t);
  /* Too large: NULL, block untouched. */
  OWN_CHECK(own_fixed_realloc(h, r, size_max) == NULL);
  OWN_CHECK(own_fixed_realloc(h, r, sizeof buf1) == NULL);
  for (int i = 0; i < 64; i++) OWN_CHECK(r[i] == 7);
  /* Aligned realloc keeps the alignment when it moves. */
  void *al = own_fixed_alloc_aligned(h, 40, 512);
  OWN_CHECK(al && (uintptr_t)al % 512 == 0);
  void *blk2 = own_fixed_alloc(h, 8);
  void *al2 = own_fixed_realloc_aligned(h, al, 5000, 512);
  OWN_CHECK(al2 && (uintptr_t)al2 % 512 == 0);
  own_fixed_free(h, blk2);
  own_fixed_free(h, al2);
  own_fixed_free(h, z);
  own_fixed_free(h, r);
  own_fixed_free(h, q);
  own_fixed_free(h, blocker);
  OWN_CHECK_EQ(diag(h).allocated, 0);
  OWN_CHECK_EQ(diag(h).free_blocks, 1);
  OWN_CHECK(own_fixed_check(h));
}

struct walk_acc {
  size_t used, free, blocks;
  char map[256];
};
static bool walk_cb(void *p, size_t size, bool used, void *ctx) {
  struct walk_acc *w = ctx;
  (void)p;
  if (used) w->used += size;
  else w->free += size;
  if (w->blocks < sizeof w->map - 1) w->map[w->blocks] = used ? 'u' : '-';
  w->blocks++;
  return true;
}
static bool walk_stop(void *p, size_t size, bool used, void *ctx) {
  (void)p, (void)size, (void)used;
  ++*(int *)ctx;
  return false;
}

static void test_regions_and_walk(void) {
  static alignas(16) unsigned char r1[2048], r2[8192], r3[4096];
  own_fixed_t *h = own_fixed_init(r1, sizeof r1);
  OWN_CHECK(h != NULL);
  size_t cap1 = diag(h).capacity;
  OWN_CHECK(!own_fixed_add_region(NULL, r2, sizeof r2));
  OWN_CHECK(!own_fixed_add_region(h, NULL, sizeof r2));
  OWN_CHECK(!own_fixed_add_region(h, r2, 8));
  OWN_CHECK(own_fixed_add_region(h, r2 + 3, sizeof r2 - 3)); /* misaligned */
  OWN_CHECK(own_fixed_add_region(h, r3, sizeof r3));
  OWN_CHECK(own_fixed_check(h));
  own_fixed_diag_t d = diag(h);
  OWN_CHECK(d.capacity > cap1 + 8192 + 4096 - 256);
  /* More than the first region holds. */
  void *ps[100];
  int n = 0;
  size_t got = 0;
  for (; n < 100; n++) {
    ps[n] = own_fixed_alloc(h, 200);
    if (!ps[n]) break;
    got += 200;
    memset(ps[n], n, 200);
  }
  OWN_CHECK(got > 2 * sizeof r1);
  OWN_CHECK(own_fixed_check(h));
  /* Blocks of an added region are recognised on free; foreign ones not. */
  for (int i = 0; i < n; i += 2) own_fixed_free(h, ps[i]);
  OWN_CHECK(own_fixed_check(h));
  struct walk_acc w;
  memset(&w, 0, sizeof w);
  OWN_CHECK(own_fixed_walk(h, walk_cb, &w));
  d = diag(h);
  OWN_CHECK_EQ(w.blocks, d.free_blocks + d.live_blocks);
  OWN_CHECK_EQ(w.used + d.live_blocks * A, d.allocated);
  OWN_CHECK_EQ(w.free + d.free_blocks * A, d.free_bytes);
  int calls = 0;
  OWN_CHECK(own_fixed_walk(h, walk_stop, &calls));
  OWN_CHECK_EQ(calls, 1);
  OWN_CHECK(!own_fixed_walk(h, NULL, NULL));
  for (int i = 1; i < n; i += 2) own_fixed_free(h, ps[i]);
  d = diag(h);
  OWN_CHECK_EQ(d.allocated, 0);
  OWN_CHECK(own_fixed_check(h));
  /* A large region added to a small heap is split into blocks the class
   * range can hold; it is still all usable. */
  own_fixed_t *small = own_fixed_init(r1, 600);
  OWN_CHECK(small != NULL);
  OWN_CHECK(own_fixed_add_region(small, r2, sizeof r2));
  OWN_CHECK(own_fixed_check(small));
  size_t mb = diag(small).max_block;
  OWN_CHECK(mb < sizeof r2);
  /* Added regions are cut into blocks of half the largest block. */
  OWN_CHECK(own_fixed_alloc(small, (mb + A) / 2 - A) != NULL);
  OWN_CHECK(own_fixed_alloc(small, mb) == NULL);
  OWN_CHECK(own_fixed_check(small));
}

static void test_diag(void) {
  own_fixed_t *h = own_fixed_init(buf1, sizeof buf1);
  const size_t B = (1000 + A + A - 1) / A * A; /* block of a 1000-byte request */
  void *p[10];
  for (int i = 0; i < 10; i++) p[i] = own_fixed_alloc(h, 1000);
  own_fixed_diag_t d = diag(h);
  OWN_CHECK_EQ(d.live_blocks, 10);
  OWN_CHECK_EQ(d.allocated, 10 * B);
  OWN_CHECK_EQ(d.peak_allocated, 10 * B);
  OWN_CHECK_EQ(d.alloc_count, 10);
  for (int i = 0; i < 10; i += 2) own_fixed_free(h, p[i]);
  d = diag(h);
  OWN_CHECK_EQ(d.allocated, 5 * B);
  OWN_CHECK_EQ(d.peak_allocated, 10 * B);
  OWN_CHECK_EQ(d.free_blocks, 6);
  OWN_CHECK_EQ(d.largest_free, d.capacity - 10 * B);
  OWN_CHECK_EQ(d.free_bytes, d.capacity - 5 * B);
  /* 1000 * (1 - largest / free), rounded down in the fraction. */
  OWN_CHECK_EQ(d.fragmentation_permille,
               1000 - (unsigned)((d.largest_free * 1000) / d.free_bytes));
  OWN_CHECK(d.fragmentation_permille > 0 && d.fragmentation_permille < 100);
  OWN_CHECK(d.band_bytes > 0 && d.band_bytes <= d.capacity / 8);
  /* Fill the rest with small blocks: all free memory is in B-byte holes. */
  void *rest = own_fixed_alloc(h, d.largest_free - A);
  OWN_CHECK(rest != NULL);
  d = diag(h);
  OWN_CHECK_EQ(d.largest_free, B);
  OWN_CHECK_EQ(d.fragmentation_permille, 800); /* 5 equal holes */
  OWN_CHECK(own_fixed_alloc(h, 1500) == NULL);
  OWN_CHECK_EQ(diag(h).oom_count, 1);
  OWN_CHECK(own_fixed_check_fast(h));
}

static int lock_depth, lock_calls, lock_bad;
static void do_lock(void *ctx) {
  if (ctx != &lock_depth) lock_bad++;
  if (lock_depth++ != 0) lock_bad++;
  lock_calls++;
}
static void do_unlock(void *ctx) {
  if (ctx != &lock_depth) lock_bad++;
  if (--lock_depth != 0) lock_bad++;
}

static void test_lock(void) {
  own_fixed_t *h = own_fixed_init(buf1, sizeof buf1);
  own_fixed_set_lock(h, do_lock, do_unlock, &lock_depth);
  void *p = own_fixed_alloc(h, 10);
  p = own_fixed_realloc(h, p, 100);
  own_fixed_free(h, p);
#if defined(OWN_FIXED_TEST_REPORT)
  own_error_handler_t old = own_set_error_handler(count_errors, NULL);
#endif
  own_fixed_free(h, p); /* invalid: still locked and unlocked */
#if defined(OWN_FIXED_TEST_REPORT)
  own_set_error_handler(old, NULL);
#endif
  own_fixed_diag_t d;
  own_fixed_diag(h, &d);
  own_fixed_check(h);
  OWN_CHECK(lock_calls >= 6);
  OWN_CHECK_EQ(lock_depth, 0);
  OWN_CHECK_EQ(lock_bad, 0);
  own_fixed_set_lock(h, NULL, NULL, NULL);
  int before = lock_calls;
  own_fixed_free(h, own_fixed_alloc(h, 1));
  OWN_CHECK_EQ(lock_calls, before);
}

static void test_allocator(void) {
  own_fixed_t *h = own_fixed_init(buf1, sizeof buf1);
  own_allocator_t a = own_fixed_allocator(h);
  OWN_CHECK(a.ctx == h && a.alloc && a.resize && a.free);
  own_layout_t l = {100, 128};
  unsigned char *p = a.alloc(a.ctx, l);
  OWN_CHECK(p && (uintptr_t)p % 128 == 0);
  memset(p, 3, 100);
  void *blocker = a.alloc(a.ctx, (own_layout_t){8, 8});
  unsigned char *q = a.resize(a.ctx, p, l, 4000);
  OWN_CHECK(q && (uintptr_t)q % 128 == 0);
  for (int i = 0; i < 100; i++) OWN_CHECK(q[i] == 3);
  a.free(a.ctx, q, (own_layout_t){4000, 128});
  a.free(a.ctx, blocker, (own_layout_t){8, 8});
  OWN_CHECK_EQ(diag(h).allocated, 0);
  OWN_CHECK(own_fixed_check(h));
}

static void test_footprint_and_bound(void) {
  OWN_CHECK_EQ(own_fixed_footprint(1, 3), SIZE_MAX);
  OWN_CHECK_EQ(own_fixed_footprint(SIZE_MAX, 1), SIZE_MAX);
  for (size_t n = 0; n < 5000; n += 37) {
    size_t f = own_fixed_footprint(n, 1);
    OWN_CHECK(f >= n + A && f <= n + 3 * A && f % A == 0);
    OWN_CHECK(own_fixed_footprint(n, 256) <= n + 256 + 3 * A);
  }
  OWN_CHECK_EQ(own_fixed_required_size(SIZE_MAX, 64), 0);
  OWN_CHECK_EQ(own_fixed_required_size(1024, 0), 0);
  size_t need = own_fixed_required_size(64 * 1024, 1024);
  OWN_CHECK(need > 3 * 64 * 1024);
  /* The documented inequality holds for the heap that size gives. */
  static alignas(64) unsigned char big[4 << 20];
  if (need <= sizeof big) {
    own_fixed_t *h = own_fixed_init(big, need);
    OWN_CHECK(h != NULL);
    own_fixed_diag_t d = diag(h);
    size_t k = 0;
    for (size_t v = 2 * A; v < 1024; v <<= 1) k++;
    k += 1;
    OWN_CHECK(d.capacity >= k * (3 * 64 * 1024 + d.band_bytes));
  }
}

int main(void) {
  test_init();
  test_sizes();
  test_alignment();
  test_invalid_free();
  test_realloc();
  test_regions_and_walk();
  test_diag();
  test_lock();
  test_allocator();
  test_footprint_and_bound();
  return own_test_done();
}
