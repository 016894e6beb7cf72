/* test_pool.c — own_pool (own/pool.h): init arithmetic for every buffer
 * alignment and block shape, alloc/free/reset, foreign pointers, double
 * frees, overwritten links, stats, the allocator interface, and a randomized
 * run against a reference model with every block's contents checked. */
#include <stdalign.h>

#include "own/pool.h"
#include "testing.h"

/* ---- reports through own_report are recorded, not printed ---------------- */

static int reported[16];
static const void *reported_ptr;

static void record_error(own_error_t err, const char *msg, const void *ptr, void *ctx) {
  (void)msg;
  (void)ctx;
  if ((unsigned)err < 16) reported[err]++;
  reported_ptr = ptr;
}
static void clear_reports(void) {
  memset(reported, 0, sizeof reported);
  reported_ptr = NULL;
}

static alignas(64) unsigned char buffer[1 << 16];

/* A small deterministic generator (xorshift64*). */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rng(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1du;
}

static size_t max_sz(size_t a, size_t b) { return a > b ? a : b; }

/* What init should compute, by brute force. */
static size_t expected_capacity(uintptr_t addr, size_t size, size_t block, size_t align) {
  if (align == 0) align = alignof(max_align_t);
  align = max_sz(align, alignof(void *));
  size_t stride = (max_sz(block, sizeof(void *)) + align - 1) / align * align;
  size_t pad = (align - addr % align) % align;
  if (pad >= size) return 0;
  size_t usable = size - pad, n = 0;
  while ((n + 1) * stride + (n + 1 + 7) / 8 <= usable) n++;
  return n;
}

static void test_init_errors(void) {
  own_pool_t p;
  OWN_CHECK(!own_pool_init(NULL, buffer, sizeof buffer, 16, 8));
  OWN_CHECK(!own_pool_init(&p, NULL, sizeof buffer, 16, 8));
  OWN_CHECK_EQ(own_pool_capacity(&p), 0);
  OWN_CHECK(own_pool_alloc(&p) == NULL);
  OWN_CHECK(!own_pool_init(&p, buffer, sizeof buffer, 0, 8));   /* zero block size */
  OWN_CHECK(!own_pool_init(&p, buffer, 0, 16, 8));              /* zero buffer */
  OWN_CHECK(!own_pool_init(&p, buffer, sizeof buffer, 16, 3));  /* bad alignment */
  OWN_CHECK(!own_pool_init(&p, buffer, sizeof buffer, 16, 48)); /* bad alignment */
  OWN_CHECK(!own_pool_init(&p, buffer, sizeof buffer, SIZE_MAX, 8));       /* stride overflows */
  OWN_CHECK(!own_pool_init(&p, buffer, sizeof buffer, SIZE_MAX - 64, 16)); /* no buffer that large */
  OWN_CHECK(!own_pool_init(&p, buffer, sizeof buffer, 16, (size_t)1 << 20)); /* align > buffer */
  OWN_CHECK(!own_pool_init(&p, buffer + 1, 64, 16, 64)); /* misaligned, no room after padding */
  OWN_CHECK(!own_pool_init(&p, buffer, 8, 8, 8));        /* one block but no bitmap byte */
  OWN_CHECK(!own_pool_init(&p, buffer, sizeof buffer, sizeof buffer, 8)); /* block > buffer */
  /* A failed init leaves a valid empty pool. */
  OWN_CHECK_EQ(own_pool_capacity(&p), 0);
  size_t f = own_pool_stats(&p).failures;
  OWN_CHECK(own_pool_alloc(&p) == NULL);
  OWN_CHECK_EQ(own_pool_stats(&p).failures, f + 1);
  own_pool_free(&p, buffer); /* no block: an invalid free, ignored */
  OWN_CHECK_EQ(own_pool_stats(&p).invalid_frees, 1);
  own_pool_reset(&p);
  OWN_CHECK(!own_pool_owns(&p, buffer));

  /* NULL pools are harmless everywhere. */
  OWN_CHECK(own_pool_alloc(NULL) == NULL);
  own_pool_free(NULL, buffer);
  own_pool_reset(NULL);
  OWN_CHECK(!own_pool_owns(NULL, buffer));
  OWN_CHECK_EQ(own_pool_capacity(NULL), 0);
  OWN_CHECK_EQ(own_pool_block_size(NULL), 0);
  OWN_CHECK_EQ(own_pool_stats(NULL).capacity, 0);

  /* The smallest buffer that works: one block plus one bitmap byte. */
  OWN_CHECK(own_pool_init(&p, buffer, sizeof(void *) + 1, 1, 1));
  OWN_CHECK_EQ(own_pool_capacity(&p), 1);
}

/* Capacity, placement and alignment for many shapes and buffer offsets. */
static void test_init_geometry(void) {
  static const size_t blocks[] = {1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 17, 24, 31, 40, 48, 64, 96, 100, 250, 4096};
  static const size_t aligns[] = {0, 1, 2, 4, 8, 16, 32, 64, 128};
  static const size_t sizes[] = {1, 7, 8, 9, 15, 16, 17, 33, 64, 100, 257, 1000, 4099, 65000};
  int bad = 0;
  for (size_t bi = 0; bi < sizeof blocks / sizeof *blocks; bi++)
    for (size_t ai = 0; ai < sizeof aligns / sizeof *aligns; ai++)
      for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++)
        for (size_t off = 0; off < 9; off++) {
          size_t bs = blocks[bi], al = aligns[ai], sz = sizes[si];
          unsigned char *b = buffer + off * 7;
          own_pool_t p;
          size_t want = expected_capacity((uintptr_t)b, sz, bs, al);
          bool ok = own_pool_init(&p, b, sz, bs, al);
          if (ok != (want > 0) || own_pool_capacity(&p) != want) {
            if (bad++ < 5)
              fprintf(stderr, "block %zu align %zu size %zu off %zu: capacity %zu, want %zu\n", bs,
                      al, sz, off, own_pool_capacity(&p), want);
            continue;
          }
          if (!ok) continue;
          own_pool_stats_t s = own_pool_stats(&p);
          size_t eff = max_sz(al ? al : alignof(max_align_t), alignof(void *));
          if (s.align != eff || s.stride % eff != 0 || s.stride < bs || s.stride < sizeof(void *) ||
              s.block_size != bs) {
            bad++;
            continue;
          }
          /* Every block: aligned, inside the buffer, before the bitmap, distinct. */
          uintptr_t prev = 0;
          for (size_t i = 0; i < want; i++) {
            unsigned char *q = own_pool_alloc(&p);
            if (!q || (uintptr_t)q % eff != 0 || q < b || q + s.stride > b + sz ||
                (i && (uintptr_t)q != prev + s.stride)) {
              bad++;
              break;
            }
            prev = (uintptr_t)q;
            memset(q, 0xA5, bs); /* the whole block is writable */
          }
          /* The bitmap fits after the last block. */
          if (prev + s.stride + (want + 7) / 8 > (uintptr_t)b + sz) bad++;
          if (own_pool_alloc(&p) != NULL) bad++;
        }
  OWN_CHECK_EQ(bad, 0);
}

/* OWN_POOL_BUFFER_SIZE and own_pool_buffer_size: that many bytes hold n blocks
 * at any buffer alignment. */
static void test_buffer_size(void) {
  enum { N = 10 };
  static unsigned char sbuf[OWN_POOL_BUFFER_SIZE(N, 12, 4)];
  own_pool_t p;
  OWN_CHECK(own_pool_init(&p, sbuf, sizeof sbuf, 12, 4));
  OWN_CHECK(own_pool_capacity(&p) >= N);
  int bad = 0;
  for (size_t n = 1; n < 70; n += 3)
    for (size_t bs = 1; bs < 80; bs += 7)
      for (size_t al = 1; al <= 64; al *= 2) {
        size_t need = own_pool_buffer_size(n, bs, al);
        if (need != OWN_POOL_BUFFER_SIZE(n, bs, al)) bad++;
        for (size_t off = 0; off < 64; off += 5) {
          own_pool_init(&p, buffer + off, need, bs, al);
          if (own_pool_capacity(&p) < n) bad++;
        }
      }
  OWN_CHECK_EQ(bad, 0);
  OWN_CHECK_EQ(own_pool_buffer_size(4, 8, 0), OWN_POOL_BUFFER_SIZE(4, 8, 0));
  /* The table in docs/pool.md. */
  size_t w = sizeof(void *);
  OWN_CHECK_EQ(OWN_POOL_BUFFER_SIZE(32, 64, 4), 2048 + 4 + (w == 4 ? 3 : 7));
  OWN_CHECK_EQ(OWN_POOL_BUFFER_SIZE(100, 12, 4), (w == 4 ? 1200 + 13 + 3 : 1600 + 13 + 7));
  OWN_CHECK_EQ(OWN_POOL_BUFFER_SIZE(256, 2, 4), (w == 4 ? 1024 + 32 + 3 : 2048 + 32 + 7));
  OWN_CHECK_EQ(sizeof(own_pool_t), 16 * w);
  OWN_CHECK_EQ(own_pool_buffer_size(0, 8, 8), 0);
  OWN_CHECK_EQ(own_pool_buffer_size(8, 0, 8), 0);
  OWN_CHECK_EQ(own_pool_buffer_size(8, 8, 12), 0);
  OWN_CHECK_EQ(own_pool_buffer_size(SIZE_MAX / 8, 64, 8), 0);
  OWN_CHECK_EQ(own_pool_buffer_size(2, SIZE_MAX, 8), 0);
  OWN_CHECK_EQ(own_pool_buffer_size(1, SIZE_MAX / 2, 8), 0); /* > PTRDIFF_MAX */
  OWN_CHECK_EQ(own_pool_buffer_size(1, 100, 8), 104 + 1 + 7);
}

static void test_alloc_free(void) {
  own_pool_t p;
  OWN_CHECK(own_pool_init(&p, buffer, 1000, 24, 8));
  size_t cap = own_pool_capacity(&p);
  OWN_CHECK(cap > 30);
  OWN_CHECK_EQ(own_pool_block_size(&p), 24);
  void *blocks[64];
  for (size_t i = 0; i < cap; i++) {
    blocks[i] = own_pool_alloc(&p);
    OWN_CHECK(blocks[i] != NULL);
    OWN_CHECK(own_pool_owns(&p, blocks[i]));
    memset(blocks[i], (int)i, 24);
  }
  OWN_CHECK_EQ(own_pool_stats(&p).used, cap);
  OWN_CHECK(own_pool_alloc(&p) == NULL); /* exhausted */
  OWN_CHECK(own_pool_alloc(&p) == NULL);
  OWN_CHECK_EQ(own_pool_stats(&p).failures, 2);
  for (size_t i = 0; i < cap; i++) {
    unsigned char *b = blocks[i];
    for (size_t j = 0; j < 24; j++)
      if (b[j] != (unsigned char)i) OWN_CHECK(!"block contents changed");
  }
  /* Free in the middle; the next alloc reuses it (LIFO). */
  own_pool_free(&p, blocks[5]);
  own_pool_free(&p, blocks[9]);
  OWN_CHECK_EQ(own_pool_stats(&p).used, cap - 2);
  OWN_CHECK(own_pool_alloc(&p) == blocks[9]);
  OWN_CHECK(own_pool_alloc(&p) == blocks[5]);
  OWN_CHECK(own_pool_alloc(&p) == NULL);
  for (size_t i = 0; i < cap; i++) own_pool_free(&p, blocks[i]);
  own_pool_stats_t s = own_pool_stats(&p);
  OWN_CHECK_EQ(s.used, 0);
  OWN_CHECK_EQ(s.peak, cap);
  OWN_CHECK_EQ(s.capacity, cap);
  OWN_CHECK_EQ(s.invalid_frees + s.double_frees, 0);
  /* All blocks come back, each once. */
  for (size_t i = 0; i < cap; i++) blocks[i] = own_pool_alloc(&p);
  int dup = 0;
  for (size_t i = 0; i < cap; i++)
    for (size_t j = i + 1; j < cap; j++) dup += blocks[i] == blocks[j] || !blocks[i];
  OWN_CHECK_EQ(dup, 0);
  own_pool_free(&p, NULL); /* no-op */
  OWN_CHECK_EQ(own_pool_stats(&p).invalid_frees, 0);

  /* Reset: everything free again, peak restarted, counters kept. */
  own_pool_reset(&p);
  s = own_pool_stats(&p);
  OWN_CHECK_EQ(s.used, 0);
  OWN_CHECK_EQ(s.peak, 0);
  OWN_CHECK_EQ(s.failures, 3);
  size_t n = 0;
  while (own_pool_alloc(&p)) n++;
  OWN_CHECK_EQ(n, cap);
  /* A block handed out before the reset but not since is not allocated. */
  own_pool_reset(&p);
  void *a = own_pool_alloc(&p);
  own_pool_free(&p, blocks[cap - 1] == a ? blocks[0] : blocks[cap - 1]);
  OWN_CHECK_EQ(own_pool_stats(&p).invalid_frees, 1);
  OWN_CHECK_EQ(own_pool_stats(&p).used, 1);
}

/* Blocks smaller than a pointer still hold the free-list link. */
static void test_tiny_blocks(void) {
  own_pool_t p;
  OWN_CHECK(own_pool_init(&p, buffer + 3, 200, 1, 1));
  OWN_CHECK_EQ(own_pool_stats(&p).stride, sizeof(void *));
  size_t cap = own_pool_capacity(&p);
  unsigned char *b[64];
  for (size_t i = 0; i < cap; i++) {
    b[i] = own_pool_alloc(&p);
    OWN_CHECK(b[i] != NULL);
    *b[i] = (unsigned char)(i + 1);
  }
  for (size_t i = 0; i < cap; i += 2) own_pool_free(&p, b[i]);
  for (size_t i = 1; i < cap; i += 2) OWN_CHECK_EQ(*b[i], (unsigned char)(i + 1));
  for (size_t i = 0; i < cap; i += 2) OWN_CHECK(own_pool_alloc(&p) != NULL);
  OWN_CHECK(own_pool_alloc(&p) == NULL);
}

/* Foreign pointers: outside, inside but off a boundary, in the bitmap, and
 * blocks never handed out. Each is ignored and counted; the pool is intact. */
static void test_foreign_pointers(void) {
  clear_reports();
  own_pool_t p;
  OWN_CHECK(own_pool_init(&p, buffer, 4096, 40, 8)); /* stride 40: not a power of two */
  size_t cap = own_pool_capacity(&p);
  unsigned char *a = own_pool_alloc(&p), *b = own_pool_alloc(&p);
  unsigned char local;
  void *foreign[] = {&local, (void *)((uintptr_t)buffer - 8), buffer + 4096 + 64, a + 1, a + 8, b - 1, a + 39,
                     buffer + cap * 40,     /* the bitmap */
                     buffer + cap * 40 - 1, /* last byte of the last block */
                     buffer + 5 * 40,       /* a block never handed out */
                     (void *)(uintptr_t)UINTPTR_MAX, (void *)(uintptr_t)1};
  size_t n = sizeof foreign / sizeof *foreign;
  for (size_t i = 0; i < n; i++) {
    OWN_CHECK(!own_pool_owns(&p, foreign[i]) || foreign[i] == buffer + 5 * 40);
    own_pool_free(&p, foreign[i]);
  }
  own_pool_stats_t s = own_pool_stats(&p);
  OWN_CHECK_EQ(s.invalid_frees, n);
  OWN_CHECK_EQ(s.used, 2);
  OWN_CHECK_EQ(reported[OWN_ERR_INVALID_FREE], n);
  /* The pool still hands out every block exactly once. */
  size_t got = 2;
  while (own_pool_alloc(&p)) got++;
  OWN_CHECK_EQ(got, cap);

  /* Exhaustively: owns() is true exactly at block starts. */
  int bad = 0;
  for (size_t off = 0; off < 4096 + 64; off++) {
    bool want = off < cap * 40 && off % 40 == 0;
    if (own_pool_owns(&p, buffer + off) != want) bad++;
  }
  OWN_CHECK_EQ(bad, 0);
}

/* The divisibility test behind owns() and free() with many odd strides. */
static void test_odd_strides(void) {
  int bad = 0;
  for (size_t bs = 8; bs <= 200; bs += 8) {
    own_pool_t p;
    if (!own_pool_init(&p, buffer, 20000, bs, 8)) {
      bad++;
      continue;
    }
    size_t stride = own_pool_stats(&p).stride, cap = own_pool_capacity(&p);
    for (size_t off = 0; off < 20000; off++) {
      bool want = off % stride == 0 && off / stride < cap;
      if (own_pool_owns(&p, buffer + off) != want) bad++;
    }
  }
  OWN_CHECK_EQ(bad, 0);
}

static void test_double_free(void) {
  clear_reports();
  own_pool_t p;
  OWN_CHECK(own_pool_init(&p, buffer, 512, 16, 16));
  void *a = own_pool_alloc(&p), *b = own_pool_alloc(&p);
  own_pool_free(&p, a);
  own_pool_free(&p, a); /* double */
  own_pool_free(&p, b);
  own_pool_free(&p, a); /* still double, with another block on the list */
  own_pool_stats_t s = own_pool_stats(&p);
  OWN_CHECK_EQ(s.double_frees, 2);
  OWN_CHECK_EQ(s.used, 0);
  OWN_CHECK_EQ(reported[OWN_ERR_DOUBLE_FREE], 2);
  OWN_CHECK(reported_ptr == a);
  /* The free list was not corrupted: a and b come back once each. */
  void *x = own_pool_alloc(&p), *y = own_pool_alloc(&p), *z = own_pool_alloc(&p);
  OWN_CHECK(x == b && y == a);
  OWN_CHECK(z != a && z != b && z != NULL);
}

/* A write after free that overwrites the free-list link is caught at alloc. */
static void test_overwritten_link(void) {
  clear_reports();
  own_pool_t p;
  OWN_CHECK(own_pool_init(&p, buffer, 512, 16, 8));
  void *a = own_pool_alloc(&p), *b = own_pool_alloc(&p), *c = own_pool_alloc(&p);
  own_pool_free(&p, a);
  own_pool_free(&p, b);                    /* list: b -> a */
  *(void **)b = (unsigned char *)c + 4;    /* garbage link */
  OWN_CHECK(own_pool_alloc(&p) == b);      /* b itself is fine */
  OWN_CHECK_EQ(own_pool_stats(&p).corruptions, 1);
  OWN_CHECK_EQ(reported[OWN_ERR_CORRUPTION], 1);
  void *d = own_pool_alloc(&p);            /* the bad link was dropped, not followed */
  OWN_CHECK(d != (unsigned char *)c + 4 && d != NULL && d != c && d != b);
  /* A link to an allocated block is caught too. */
  void *e = own_pool_alloc(&p);
  own_pool_free(&p, e);
  *(void **)e = c;
  OWN_CHECK(own_pool_alloc(&p) == e);
  OWN_CHECK_EQ(own_pool_stats(&p).corruptions, 2);
}

static void corrupt_with_default_handler(void *arg) {
  (void)arg;
  own_set_error_handler(NULL, NULL);
  own_pool_t p;
  own_pool_init(&p, buffer, 512, 16, 8);
  void *a = own_pool_alloc(&p);
  own_pool_free(&p, a);
  *(void **)a = (void *)(uintptr_t)0x1234;
  (void)own_pool_alloc(&p);
}

static void invalid_free_with_default_handler(void *arg) {
  (void)arg;
  own_set_error_handler(NULL, NULL);
  own_pool_t p;
  own_pool_init(&p, buffer, 512, 16, 8);
  own_pool_free(&p, buffer + 3);
  if (own_pool_stats(&p).invalid_frees == 1) exit(3); /* reported and survived */
}

static void test_allocator_interface(void) {
  own_pool_t p;
  OWN_CHECK(own_pool_init(&p, buffer, 2048, 32, 16));
  own_allocator_t a = own_pool_allocator(&p);
  void *x = own_allocator_alloc(&a, (own_layout_t){32, 16});
  OWN_CHECK(x != NULL && (uintptr_t)x % 16 == 0);
  OWN_CHECK(own_allocator_alloc(&a, (own_layout_t){33, 1}) == NULL);  /* too big */
  OWN_CHECK(own_allocator_alloc(&a, (own_layout_t){8, 32}) == NULL);  /* over-aligned */
  OWN_CHECK(own_allocator_alloc(&a, (own_layout_t){8, 3}) == NULL);   /* not a power of 2 */
  OWN_CHECK(own_allocator_alloc(&a, (own_layout_t){SIZE_MAX, 1}) == NULL);
  OWN_CHECK_EQ(own_pool_stats(&p).failures, 4);
  void *z = own_allocator_alloc(&a, (own_layout_t){0, 1}); /* size 0: a real block */
  OWN_CHECK(z != NULL && z != x);
  OWN_CHECK(a.resize(a.ctx, x, (own_layout_t){32, 16}, 20) == x);
  OWN_CHECK(a.resize(a.ctx, x, (own_layout_t){20, 16}, 32) == x);
  OWN_CHECK(a.resize(a.ctx, x, (own_layout_t){32, 16}, 33) == NULL);
  OWN_CHECK(own_pool_owns(&p, x)); /* still allocated after a failed resize */
  OWN_CHECK_EQ(own_pool_stats(&p).used, 2);
  own_allocator_free(&a, x, (own_layout_t){32, 16});
  own_allocator_free(&a, z, (own_layout_t){0, 1});
  own_allocator_free(&a, NULL, (own_layout_t){0, 1});
  OWN_CHECK_EQ(own_pool_stats(&p).used, 0);
  /* Through the interface until empty. */
  size_t n = 0;
  while (own_allocator_alloc(&a, OWN_LAYOUT_OF(double))) n++;
  OWN_CHECK_EQ(n, own_pool_capacity(&p));
}

/* Random allocs and frees (and some invalid frees) against a reference
 * model: the model knows which blocks are live and what each holds. */
static void test_random_model(void) {
  clear_reports();
  enum { SLOTS = 300 };
  static struct {
    unsigned char *p;
    uint32_t tag;
  } live[SLOTS];
  size_t nlive = 0;
  own_pool_t p;
  size_t bs = 20;
  OWN_CHECK(own_pool_init(&p, buffer + 5, 4000, bs, 4));
  size_t cap = own_pool_capacity(&p);
  OWN_CHECK(cap < SLOTS);
  size_t bad = 0, invalid = 0, fails = 0;
  uint32_t next_tag = 1;
  for (int step = 0; step < 200000; step++) {
    uint64_t r = rng();
    int op = (int)(r % 100);
    if (op < 52) { /* alloc */
      unsigned char *b = own_pool_alloc(&p);
      if (nlive == cap) {
        fails++;
        if (b) bad++;
        continue;
      }
      if (!b) {
        bad++;
        continue;
      }
      for (size_t i = 0; i < nlive; i++)
        if (live[i].p == b) bad++; /* handed out twice */
      uint32_t tag = next_tag++;
      for (size_t i = 0; i < bs; i++) b[i] = (unsigned char)(tag * 31 + i);
      live[nlive].p = b;
      live[nlive].tag = tag;
      nlive++;
    } else if (op < 97) { /* free a random live block */
      if (nlive == 0) continue;
      size_t k = (size_t)(r >> 8) % nlive;
      own_pool_free(&p, live[k].p);
      live[k] = live[--nlive];
    } else { /* an invalid free: inside a live block, or off the end */
      if (nlive == 0) continue;
      own_pool_free(&p, live[(r >> 8) % nlive].p + 1 + (r >> 40) % (bs - 1));
      invalid++;
    }
    if (own_pool_stats(&p).used != nlive) bad++;
    if (step % 97 == 0 || nlive == cap) {
      for (size_t k = 0; k < nlive; k++)
        for (size_t i = 0; i < bs; i++)
          if (live[k].p[i] != (unsigned char)(live[k].tag * 31 + i)) bad++;
    }
  }
  OWN_CHECK_EQ(bad, 0);
  own_pool_stats_t s = own_pool_stats(&p);
  OWN_CHECK_EQ(s.failures, fails);
  OWN_CHECK_EQ(s.invalid_frees, invalid);
  OWN_CHECK_EQ(s.peak, cap);
  OWN_CHECK_EQ(s.double_frees, 0);
  OWN_CHECK_EQ(s.corruptions, 0);
  OWN_CHECK_EQ(reported[OWN_ERR_INVALID_FREE], invalid);
  OWN_CHECK(fails > 0);
}

int main(void) {
  own_set_error_handler(record_error, NULL);
  test_init_errors();
  test_init_geometry();
  test_buffer_size();
  test_alloc_free();
  test_tiny_blocks();
  test_foreign_pointers();
  test_odd_strides();
  test_double_free();
  test_overwritten_link();
  test_allocator_interface();
  test_random_model();
  OWN_EXPECT_DEATH(corrupt_with_default_handler, NULL, SIGABRT, "heap corruption");
  OWN_EXPECT_DEATH(invalid_free_with_default_handler, NULL, 0, "invalid free");
  return own_test_done();
}
