/* test_arena.c — own_arena (own/arena.h): fixed and chunked arenas, aligned
 * and checked requests, pop and in-place resize, marks nested across chunks,
 * reset/trim/destroy and what they give back to the parent, stats, the
 * allocator interface, and randomized runs against a reference model with
 * every live block's contents checked. */
#include <stdalign.h>

#include "own/arena.h"
#include "own/pool.h"
#include "testing.h"

/* ---- reports through own_report are recorded ----------------------------- */

static int reported[16];
static void record_error(own_error_t err, const char *msg, const void *ptr, void *ctx) {
  (void)msg;
  (void)ptr;
  (void)ctx;
  if ((unsigned)err < 16) reported[err]++;
}

/* ---- a parent allocator over libc that checks how it is used -------------- */

enum { MAX_CHUNKS = 256 };
typedef struct parent {
  void *ptr[MAX_CHUNKS];
  own_layout_t layout[MAX_CHUNKS];
  size_t live, allocs, frees, calls, bad;
  size_t fail_after; /* allocs that succeed before every further one fails (0: never) */
  size_t last_size;
} parent_t;

static void *parent_alloc(void *ctx, own_layout_t l) {
  parent_t *p = ctx;
  p->calls++;
  p->last_size = l.size;
  if (p->fail_after && p->allocs >= p->fail_after) return NULL;
  if (!own_is_pow2(l.align) || l.size == 0 || l.size > ((size_t)1 << 30)) return NULL;
  void *q = aligned_alloc(l.align < sizeof(void *) ? sizeof(void *) : l.align,
                          (l.size + 15) / 16 * 16);
  if (!q) return NULL;
  for (size_t i = 0; i < MAX_CHUNKS; i++)
    if (!p->ptr[i]) {
      p->ptr[i] = q;
      p->layout[i] = l;
      p->live++;
      p->allocs++;
      return q;
    }
  free(q);
  return NULL;
}

static void parent_free(void *ctx, void *q, own_layout_t l) {
  parent_t *p = ctx;
  for (size_t i = 0; i < MAX_CHUNKS; i++)
    if (p->ptr[i] == q) {
      if (p->layout[i].size != l.size || p->layout[i].align != l.align) p->bad++;
      p->ptr[i] = NULL;
      p->live--;
      p->frees++;
      free(q);
      return;
    }
  p->bad++; /* not ours */
}

static own_allocator_t parent_allocator(parent_t *p) {
  memset(p, 0, sizeof *p);
  own_allocator_t a = {parent_alloc, NULL, parent_free, p};
  return a;
}

static alignas(4096) unsigned char buffer[1 << 16];

static uint64_t rng_state = 0x2545f4914f6cdd1du;
static uint64_t rng(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1du;
}

/* ---- fixed arenas --------------------------------------------------------- */

static void test_fixed_errors(void) {
  own_arena_t a;
  OWN_CHECK(!own_arena_init(NULL, buffer, 64));
  OWN_CHECK(!own_arena_init(&a, NULL, 64));
  OWN_CHECK(own_arena_alloc(&a, 1, 1) == NULL);
  OWN_CHECK(!own_arena_init(&a, buffer, 0));
  OWN_CHECK(own_arena_alloc(&a, 0, 1) == NULL);
  OWN_CHECK_EQ(own_arena_stats(&a).failures, 1);
  own_arena_restore(&a, own_arena_mark(&a)); /* harmless on an empty arena */
  own_arena_reset(&a);
  own_arena_trim(&a);
  own_arena_destroy(&a);
  OWN_CHECK_EQ(own_arena_stats(&a).errors, 0);

  /* NULL arenas are harmless. */
  OWN_CHECK(own_arena_alloc(NULL, 8, 8) == NULL);
  OWN_CHECK(own_arena_alloc_array(NULL, 2, 8, 8) == NULL);
  OWN_CHECK(own_arena_resize(NULL, buffer, 1, 2, 1) == NULL);
  own_arena_free(NULL, buffer);
  own_arena_restore(NULL, own_arena_mark(NULL));
  own_arena_reset(NULL);
  own_arena_trim(NULL);
  own_arena_destroy(NULL);
  OWN_CHECK_EQ(own_arena_stats(NULL).capacity, 0);
}

static void test_fixed_alloc(void) {
  memset(reported, 0, sizeof reported);
  own_arena_t a;
  OWN_CHECK(own_arena_init(&a, buffer + 1, 4000)); /* a misaligned buffer is fine */
  OWN_CHECK_EQ(own_arena_stats(&a).capacity, 4000);
  OWN_CHECK_EQ(own_arena_stats(&a).chunks, 0);
  /* Every power-of-two alignment is honoured. */
  for (size_t al = 1; al <= 1024; al *= 2) {
    unsigned char *p = own_arena_alloc(&a, 3, al);
    OWN_CHECK(p != NULL && (uintptr_t)p % al == 0);
    OWN_CHECK(p >= buffer + 1 && p + 3 <= buffer + 1 + 4000);
  }
  /* Bad alignments fail, are counted and reported. */
  size_t f = own_arena_stats(&a).failures;
  OWN_CHECK(own_arena_alloc(&a, 8, 0) == NULL);
  OWN_CHECK(own_arena_alloc(&a, 8, 3) == NULL);
  OWN_CHECK(own_arena_alloc(&a, 8, 24) == NULL);
  OWN_CHECK(own_arena_alloc(&a, 8, SIZE_MAX) == NULL);
  OWN_CHECK_EQ(own_arena_stats(&a).failures, f + 4);
  OWN_CHECK_EQ(own_arena_stats(&a).errors, 4);
  OWN_CHECK_EQ(reported[OWN_ERR_BAD_ALIGNMENT], 4);
  /* Sizes that cannot fit or would wrap fail, never a small block. */
  OWN_CHECK(own_arena_alloc(&a, SIZE_MAX, 1) == NULL);
  OWN_CHECK(own_arena_alloc(&a, SIZE_MAX - 8, 16) == NULL);
  OWN_CHECK(own_arena_alloc(&a, 8, (size_t)1 << (sizeof(size_t) * 8 - 1)) == NULL);
  OWN_CHECK(own_arena_alloc_array(&a, SIZE_MAX / 2, 3, 1) == NULL);
  OWN_CHECK(own_arena_alloc_array(&a, (size_t)1 << (sizeof(size_t) * 4), (size_t)1 << (sizeof(size_t) * 4), 1) == NULL);
  OWN_CHECK(own_arena_alloc(&a, 5000, 1) == NULL);
  OWN_CHECK_EQ(own_arena_stats(&a).failures, f + 10);
  /* Zero-size requests get distinct addresses. */
  void *z1 = own_arena_alloc(&a, 0, 1), *z2 = own_arena_alloc(&a, 0, 1);
  OWN_CHECK(z1 && z2 && z1 != z2);
  /* Exhaustion: the exact remainder fits, then nothing does. */
  own_arena_stats_t s = own_arena_stats(&a);
  size_t left = s.capacity - s.used;
  unsigned char *rest = own_arena_alloc(&a, left, 1);
  OWN_CHECK(rest != NULL && rest + left == buffer + 1 + 4000);
  memset(rest, 0x5A, left);
  OWN_CHECK(own_arena_alloc(&a, 1, 1) == NULL);
  OWN_CHECK(own_arena_alloc(&a, 0, 1) == NULL);
  s = own_arena_stats(&a);
  OWN_CHECK_EQ(s.used, s.capacity);
  OWN_CHECK_EQ(s.peak, s.capacity);
  /* Typed helpers. */
  own_arena_reset(&a);
  OWN_CHECK_EQ(own_arena_stats(&a).used, 0);
  OWN_CHECK_EQ(own_arena_stats(&a).peak, 4000);
  double *d = OWN_ARENA_NEW(&a, double);
  OWN_CHECK(d && (uintptr_t)d % alignof(double) == 0);
  long *arr = OWN_ARENA_NEW_ARRAY(&a, long, 100);
  OWN_CHECK(arr && (uintptr_t)arr % alignof(long) == 0);
  for (int i = 0; i < 100; i++) arr[i] = i;
  *d = 1.5;
  OWN_CHECK(arr[99] == 99 && *d == 1.5);
}

static void test_pop_and_resize(void) {
  own_arena_t a;
  OWN_CHECK(own_arena_init(&a, buffer, 1024));
  unsigned char *x = own_arena_alloc(&a, 10, 1);
  unsigned char *y = own_arena_alloc(&a, 10, 16);
  size_t used = own_arena_stats(&a).used;
  own_arena_free(&a, x); /* not the most recent: nothing */
  OWN_CHECK_EQ(own_arena_stats(&a).used, used);
  own_arena_free(&a, y); /* the most recent: popped, padding too */
  OWN_CHECK_EQ(own_arena_stats(&a).used, 10);
  own_arena_free(&a, x); /* one level only: x is not "most recent" now */
  OWN_CHECK_EQ(own_arena_stats(&a).used, 10);
  OWN_CHECK(own_arena_alloc(&a, 10, 16) == y); /* reused */
  own_arena_free(&a, NULL);
  unsigned char local[16];
  own_arena_free(&a, local);                  /* foreign: nothing */
  own_arena_free(&a, buffer + 4000);          /* inside the buffer, not a block: nothing */
  OWN_CHECK_EQ(own_arena_stats(&a).used, used);
  OWN_CHECK(own_arena_alloc(&a, 1, 1) == y + 10); /* the arena carries on where it was */

  /* The most recent block grows and shrinks in place. */
  own_arena_reset(&a);
  unsigned char *p = own_arena_alloc(&a, 16, 8);
  for (int i = 0; i < 16; i++) p[i] = (unsigned char)i;
  OWN_CHECK(own_arena_resize(&a, p, 16, 100, 8) == p);
  OWN_CHECK_EQ(own_arena_stats(&a).used, 100);
  OWN_CHECK(own_arena_resize(&a, p, 100, 40, 8) == p);
  OWN_CHECK_EQ(own_arena_stats(&a).used, 40);
  OWN_CHECK(own_arena_resize(&a, p, 40, 0, 8) == p); /* keeps one byte */
  OWN_CHECK_EQ(own_arena_stats(&a).used, 1);
  OWN_CHECK(own_arena_resize(&a, p, 1, 1024, 8) == p); /* exactly all of it */
  OWN_CHECK(own_arena_resize(&a, p, 1024, 1025, 8) == NULL); /* no room anywhere */
  OWN_CHECK_EQ(own_arena_stats(&a).used, 1024);
  OWN_CHECK(own_arena_resize(&a, p, 1024, SIZE_MAX, 8) == NULL);
  OWN_CHECK(own_arena_resize(&a, p, 1024, 16, 8) == p);
  for (int i = 0; i < 16; i++) OWN_CHECK_EQ(p[i], i); /* contents kept */

  /* An older block moves when it grows; its contents come along. */
  unsigned char *q = own_arena_alloc(&a, 8, 1);
  OWN_CHECK(q != NULL);
  unsigned char *p2 = own_arena_resize(&a, p, 16, 64, 8);
  OWN_CHECK(p2 != NULL && p2 != p && (uintptr_t)p2 % 8 == 0);
  for (int i = 0; i < 16; i++) OWN_CHECK_EQ(p2[i], i);
  OWN_CHECK(own_arena_resize(&a, p, 16, 4, 8) == p); /* shrinking never moves */
  OWN_CHECK(own_arena_resize(&a, NULL, 0, 8, 8) != NULL); /* NULL: alloc */
  OWN_CHECK(own_arena_resize(&a, p, 16, 32, 3) == NULL);  /* bad alignment */

  /* A mark stops popping below it. */
  own_arena_reset(&a);
  void *b = own_arena_alloc(&a, 8, 8);
  own_arena_mark_t m = own_arena_mark(&a);
  own_arena_free(&a, b);
  OWN_CHECK_EQ(own_arena_stats(&a).used, 8);
  OWN_CHECK(own_arena_resize(&a, b, 8, 16, 8) != b); /* not in place across the mark */
  own_arena_restore(&a, m);
  OWN_CHECK_EQ(own_arena_stats(&a).used, 8);
}

static void test_fixed_marks(void) {
  memset(reported, 0, sizeof reported);
  own_arena_t a;
  OWN_CHECK(own_arena_init(&a, buffer, 4096));
  own_arena_mark_t m[6];
  void *first[6];
  size_t used[6];
  for (int i = 0; i < 6; i++) {
    m[i] = own_arena_mark(&a);
    used[i] = own_arena_stats(&a).used;
    first[i] = own_arena_alloc(&a, 50 + (size_t)i, 8);
    OWN_CHECK(own_arena_alloc(&a, 7, 1) != NULL);
  }
  /* Restore inner to outer; after each, the same request gets the same address. */
  for (int i = 5; i >= 0; i--) {
    own_arena_restore(&a, m[i]);
    OWN_CHECK_EQ(own_arena_stats(&a).used, used[i]);
    OWN_CHECK(own_arena_alloc(&a, 50 + (size_t)i, 8) == first[i]);
    own_arena_restore(&a, m[i]); /* again: marks can be restored many times */
  }
  OWN_CHECK_EQ(own_arena_stats(&a).errors, 0);
  /* A mark taken after the position restored to is stale. */
  void *x = own_arena_alloc(&a, 16, 1);
  (void)x;
  own_arena_mark_t inner = own_arena_mark(&a);
  OWN_CHECK(own_arena_alloc(&a, 16, 1) != NULL);
  own_arena_restore(&a, m[0]);
  size_t before = own_arena_stats(&a).used;
  own_arena_restore(&a, inner);
  OWN_CHECK_EQ(own_arena_stats(&a).errors, 1);
  OWN_CHECK_EQ(reported[OWN_ERR_USAGE], 1);
  OWN_CHECK_EQ(own_arena_stats(&a).used, before);
  /* Reset voids every mark. */
  own_arena_mark_t r = own_arena_mark(&a);
  own_arena_reset(&a);
  own_arena_restore(&a, r);
  OWN_CHECK_EQ(own_arena_stats(&a).errors, 2);
  /* A mark of another arena is refused. */
  own_arena_t b;
  own_arena_init(&b, buffer + 8192, 128);
  own_arena_restore(&a, own_arena_mark(&b));
  OWN_CHECK_EQ(own_arena_stats(&a).errors, 3);
}

/* ---- chunked arenas ------------------------------------------------------- */

static void test_chunked_growth(void) {
  parent_t pt;
  own_allocator_t par = parent_allocator(&pt);
  own_arena_t a;
  OWN_CHECK(!own_arena_init_chunked(NULL, &par, 256, 1024));
  OWN_CHECK(!own_arena_init_chunked(&a, &par, OWN_ARENA_CHUNK_HEADER, 1024)); /* no room */
  OWN_CHECK(own_arena_alloc(&a, 1, 1) == NULL);
  own_allocator_t broken = {NULL, NULL, NULL, NULL};
  OWN_CHECK(!own_arena_init_chunked(&a, &broken, 256, 1024));

  OWN_CHECK(own_arena_init_chunked(&a, &par, 256, 1024));
  OWN_CHECK_EQ(pt.calls, 0); /* lazy */
  OWN_CHECK_EQ(own_arena_stats(&a).next_chunk, 256);
  /* Fill chunk after chunk with 40-byte blocks: sizes 256, 512, 1024, 1024. */
  size_t sizes[5] = {0};
  size_t nchunks = 0;
  for (int i = 0; i < 80; i++) {
    size_t calls = pt.calls;
    OWN_CHECK(own_arena_alloc(&a, 40, 8) != NULL);
    if (pt.calls != calls && nchunks < 5) sizes[nchunks++] = pt.last_size;
  }
  OWN_CHECK_EQ(sizes[0], 256);
  OWN_CHECK_EQ(sizes[1], 512);
  OWN_CHECK_EQ(sizes[2], 1024);
  OWN_CHECK_EQ(sizes[3], 1024);
  own_arena_stats_t s = own_arena_stats(&a);
  OWN_CHECK_EQ(s.chunks, pt.live);
  OWN_CHECK_EQ(s.next_chunk, 1024);
  OWN_CHECK_EQ(s.used, 80 * 40);
  OWN_CHECK(s.capacity >= s.used);
  /* A request larger than a chunk gets a chunk of its own, of its size. */
  size_t calls = pt.calls;
  unsigned char *big = own_arena_alloc(&a, 5000, 64);
  OWN_CHECK(big != NULL && (uintptr_t)big % 64 == 0);
  OWN_CHECK_EQ(pt.calls, calls + 1);
  /* 5000 + 63 (padding) + header, rounded up to a multiple of the largest
   * ordinary chunk. */
  OWN_CHECK_EQ(pt.last_size, (5000 + 63 + OWN_ARENA_CHUNK_HEADER + 1023) / 1024 * 1024);
  memset(big, 1, 5000);
  OWN_CHECK_EQ(own_arena_stats(&a).next_chunk, 1024); /* unchanged */
  /* A big alignment in a chunked arena. */
  void *al = own_arena_alloc(&a, 10, 4096);
  OWN_CHECK(al != NULL && (uintptr_t)al % 4096 == 0);
  /* Overflowing requests never reach the parent. */
  calls = pt.calls;
  OWN_CHECK(own_arena_alloc(&a, SIZE_MAX, 1) == NULL);
  OWN_CHECK(own_arena_alloc(&a, SIZE_MAX - 100, 64) == NULL);
  OWN_CHECK(own_arena_alloc(&a, (size_t)PTRDIFF_MAX, 1) == NULL);
  OWN_CHECK(own_arena_alloc_array(&a, SIZE_MAX / 4, 8, 8) == NULL);
  OWN_CHECK_EQ(pt.calls, calls);

  /* Reset keeps the chunks and replays without asking the parent. */
  size_t held = pt.live;
  own_arena_reset(&a);
  OWN_CHECK_EQ(own_arena_stats(&a).used, 0);
  calls = pt.calls;
  for (int i = 0; i < 80; i++) OWN_CHECK(own_arena_alloc(&a, 40, 8) != NULL);
  OWN_CHECK(own_arena_alloc(&a, 5000, 64) != NULL);
  OWN_CHECK_EQ(pt.calls, calls);
  OWN_CHECK_EQ(pt.live, held);

  /* Trim gives back the chunks after the current one. */
  own_arena_reset(&a);
  OWN_CHECK(own_arena_alloc(&a, 40, 8) != NULL);
  own_arena_trim(&a);
  OWN_CHECK_EQ(pt.live, 1);
  OWN_CHECK_EQ(own_arena_stats(&a).chunks, 1);
  OWN_CHECK_EQ(own_arena_stats(&a).capacity, 256 - OWN_ARENA_CHUNK_HEADER);
  /* Destroy gives back everything; the arena is usable again from scratch. */
  own_arena_destroy(&a);
  OWN_CHECK_EQ(pt.live, 0);
  OWN_CHECK_EQ(pt.bad, 0);
  OWN_CHECK_EQ(own_arena_stats(&a).chunks, 0);
  OWN_CHECK_EQ(own_arena_stats(&a).capacity, 0);
  OWN_CHECK_EQ(own_arena_stats(&a).next_chunk, 256);
  OWN_CHECK(own_arena_alloc(&a, 8, 8) != NULL);
  OWN_CHECK_EQ(pt.last_size, 256);
  own_arena_destroy(&a);
  own_arena_destroy(&a); /* twice is fine */
  OWN_CHECK_EQ(pt.live, 0);
  OWN_CHECK_EQ(pt.frees, pt.allocs);
  OWN_CHECK_EQ(pt.bad, 0);
}

static void test_chunked_parent_failure(void) {
  parent_t pt;
  own_allocator_t par = parent_allocator(&pt);
  own_arena_t a;
  OWN_CHECK(own_arena_init_chunked(&a, &par, 128, 128));
  pt.fail_after = 2;
  int got = 0;
  while (own_arena_alloc(&a, 16, 8)) got++;
  OWN_CHECK(got > 0 && got < 16); /* two chunks' worth */
  OWN_CHECK_EQ(pt.live, 2);
  own_arena_stats_t s = own_arena_stats(&a);
  OWN_CHECK_EQ(s.failures, 1);
  OWN_CHECK_EQ(s.chunks, 2);
  OWN_CHECK_EQ(s.used, (size_t)got * 16);
  /* The arena is intact: a request the current chunk can still meet... */
  own_arena_reset(&a);
  OWN_CHECK(own_arena_alloc(&a, 16, 8) != NULL);
  /* ...and the chunks are given back. */
  own_arena_destroy(&a);
  OWN_CHECK_EQ(pt.live, 0);
  OWN_CHECK_EQ(pt.bad, 0);
  /* A parent that fails at once. */
  own_arena_t b;
  pt.fail_after = 1;
  pt.allocs = 1;
  OWN_CHECK(own_arena_init_chunked(&b, &par, 0, 0));
  OWN_CHECK(own_arena_alloc(&b, 1, 1) == NULL);
  OWN_CHECK_EQ(own_arena_stats(&b).chunks, 0);
  OWN_CHECK_EQ(own_arena_stats(&b).next_chunk, OWN_ARENA_DEFAULT_CHUNK);
  own_arena_mark_t m = own_arena_mark(&b);
  own_arena_restore(&b, m);
  OWN_CHECK_EQ(own_arena_stats(&b).errors, 0);
}

/* Marks nested several deep, each in a different chunk, restored inner to
 * outer; the blocks before each mark keep their contents. */
static void test_marks_across_chunks(void) {
  parent_t pt;
  own_allocator_t par = parent_allocator(&pt);
  own_arena_t a;
  OWN_CHECK(own_arena_init_chunked(&a, &par, 200, 400));
  enum { DEPTH = 8, PER = 12 };
  own_arena_mark_t marks[DEPTH];
  size_t used_at[DEPTH], chunks_at[DEPTH];
  unsigned char *blocks[DEPTH][PER];
  own_arena_mark_t before_any = own_arena_mark(&a);
  for (int d = 0; d < DEPTH; d++) {
    marks[d] = own_arena_mark(&a);
    used_at[d] = own_arena_stats(&a).used;
    chunks_at[d] = own_arena_stats(&a).chunks;
    for (int i = 0; i < PER; i++) {
      blocks[d][i] = own_arena_alloc(&a, 24, 8);
      OWN_CHECK(blocks[d][i] != NULL);
      memset(blocks[d][i], d * PER + i, 24);
    }
  }
  OWN_CHECK(own_arena_stats(&a).chunks >= DEPTH / 2); /* the marks span chunks */
  OWN_CHECK(chunks_at[DEPTH - 1] > chunks_at[1]);
  size_t held = pt.live;
  for (int d = DEPTH - 1; d >= 0; d--) {
    own_arena_restore(&a, marks[d]);
    OWN_CHECK_EQ(own_arena_stats(&a).used, used_at[d]);
    for (int e = 0; e < d; e++)
      for (int i = 0; i < PER; i++)
        for (int k = 0; k < 24; k++)
          if (blocks[e][i][k] != (unsigned char)(e * PER + i)) OWN_CHECK(!"contents lost");
    /* The first block after the mark comes back at the same address. */
    OWN_CHECK(own_arena_alloc(&a, 24, 8) == blocks[d][0]);
    own_arena_restore(&a, marks[d]);
  }
  OWN_CHECK_EQ(pt.live, held); /* chunks kept for reuse */
  own_arena_restore(&a, before_any);
  OWN_CHECK_EQ(own_arena_stats(&a).used, 0);
  /* Re-filling reuses the same chunks. */
  size_t calls = pt.calls;
  for (int d = 0; d < DEPTH; d++)
    for (int i = 0; i < PER; i++) OWN_CHECK(own_arena_alloc(&a, 24, 8) == blocks[d][i]);
  OWN_CHECK_EQ(pt.calls, calls);
  OWN_CHECK_EQ(own_arena_stats(&a).errors, 0);
  /* Trim voids the marks: a later restore is refused, not a use after free. */
  own_arena_restore(&a, marks[2]);
  own_arena_trim(&a);
  OWN_CHECK(pt.live < held);
  own_arena_restore(&a, marks[6]);
  OWN_CHECK_EQ(own_arena_stats(&a).errors, 1);
  own_arena_destroy(&a);
  OWN_CHECK_EQ(pt.live, 0);
  OWN_CHECK_EQ(pt.bad, 0);
}

/* Reset after reset with requests of every size, some far above the largest
 * chunk: the chunks held stay within a small factor of the most ever in use
 * at once, and the spares are found rather than reallocated. */
static void test_chunk_reuse_bounded(void) {
  static parent_t pt; /* many chunks: keep it off the stack */
  own_allocator_t par = parent_allocator(&pt);
  own_arena_t a;
  OWN_CHECK(own_arena_init_chunked(&a, &par, 256, 8192));
  size_t peak_held = 0, most_used = 0;
  for (int cycle = 0; cycle < 20000; cycle++) {
    own_arena_reset(&a);
    int n = (int)(rng() % 200);
    for (int i = 0; i < n; i++) {
      uint64_t r = rng();
      size_t size = r % 8 == 0 ? (size_t)((r >> 8) % 20000) : (size_t)((r >> 8) % 64);
      OWN_CHECK(own_arena_alloc(&a, size, 8) != NULL);
    }
    own_arena_stats_t s = own_arena_stats(&a);
    if (s.used > most_used) most_used = s.used;
    if (s.capacity > peak_held) peak_held = s.capacity;
  }
  OWN_CHECK(peak_held <= 3 * most_used);
  OWN_CHECK(pt.allocs < 100); /* MAX_CHUNKS in the parent was never a limit */
  own_arena_destroy(&a);
  OWN_CHECK_EQ(pt.live, 0);
  OWN_CHECK_EQ(pt.bad, 0);
}

/* A pool can be an arena's parent: the arena's chunks are pool blocks. */
static void test_pool_parent(void) {
  static alignas(16) unsigned char pbuf[OWN_POOL_BUFFER_SIZE(4, 512, 16)];
  own_pool_t pool;
  OWN_CHECK(own_pool_init(&pool, pbuf, sizeof pbuf, 512, 16));
  own_allocator_t pa = own_pool_allocator(&pool);
  own_arena_t a;
  OWN_CHECK(own_arena_init_chunked(&a, &pa, 512, 512));
  int n = 0;
  while (own_arena_alloc(&a, 100, 4)) n++;
  OWN_CHECK_EQ(own_pool_stats(&pool).used, own_pool_capacity(&pool));
  OWN_CHECK_EQ(n, (int)own_pool_capacity(&pool) * ((512 - (int)OWN_ARENA_CHUNK_HEADER) / 100));
  OWN_CHECK(own_arena_alloc(&a, 600, 8) == NULL); /* bigger than a pool block */
  own_arena_destroy(&a);
  own_pool_stats_t s = own_pool_stats(&pool);
  OWN_CHECK_EQ(s.used, 0);
  OWN_CHECK_EQ(s.invalid_frees + s.double_frees, 0);
}

/* ---- the allocator interface ---------------------------------------------- */

static void test_allocator_interface(void) {
  own_arena_t a;
  OWN_CHECK(own_arena_init(&a, buffer, 512));
  own_allocator_t al = own_arena_allocator(&a);
  int *x = own_allocator_alloc(&al, OWN_LAYOUT_OF(int));
  OWN_CHECK(x != NULL && (uintptr_t)x % alignof(int) == 0);
  *x = 7;
  void *y = own_allocator_alloc(&al, (own_layout_t){100, 64});
  OWN_CHECK(y != NULL && (uintptr_t)y % 64 == 0);
  size_t used = own_arena_stats(&a).used;
  own_allocator_free(&al, x, OWN_LAYOUT_OF(int)); /* not the last: no-op */
  OWN_CHECK_EQ(own_arena_stats(&a).used, used);
  OWN_CHECK(al.resize(al.ctx, y, (own_layout_t){100, 64}, 200) == y); /* in place */
  own_allocator_free(&al, y, (own_layout_t){200, 64});                 /* pops */
  OWN_CHECK_EQ(own_arena_stats(&a).used, sizeof(int));
  void *z = own_allocator_alloc(&al, (own_layout_t){0, 1});
  OWN_CHECK(z != NULL);
  OWN_CHECK(own_allocator_alloc(&al, (own_layout_t){1000, 1}) == NULL);
  int *x2 = al.resize(al.ctx, x, OWN_LAYOUT_OF(int), 2 * sizeof(int)); /* moves */
  OWN_CHECK(x2 != NULL && x2 != x && x2[0] == 7);
  OWN_CHECK_EQ(*x, 7);
}

/* ---- randomized: allocations, marks, restores, pops, resets vs a model ---- */

typedef struct {
  unsigned char *p;
  size_t size, align;
  uint32_t tag;
} blk_t;

static int check_block(const blk_t *b) {
  for (size_t i = 0; i < b->size; i++)
    if (b->p[i] != (unsigned char)(b->tag + i * 7)) return 1;
  return 0;
}

static void random_run(own_arena_t *a, parent_t *pt, int steps) {
  enum { MAXB = 4096, MAXM = 32 };
  static blk_t live[MAXB];
  size_t nlive = 0;
  struct {
    own_arena_mark_t m;
    size_t nlive, used;
  } marks[MAXM];
  size_t nmarks = 0, bad = 0, fails = 0;
  uint32_t tag = 1;
  for (int step = 0; step < steps; step++) {
    uint64_t r = rng();
    int op = (int)(r % 1000);
    if (op < 700 && nlive < MAXB) { /* alloc */
      size_t size = (r >> 10) % 8 == 0 ? (size_t)((r >> 16) % 3000) : (size_t)((r >> 16) % 64);
      size_t align = (size_t)1 << ((r >> 32) % 8);
      unsigned char *p = own_arena_alloc(a, size, align);
      if (!p) {
        fails++;
        continue;
      }
      if ((uintptr_t)p % align) bad++;
      blk_t b = {p, size, align, tag++};
      for (size_t i = 0; i < size; i++) p[i] = (unsigned char)(b.tag + i * 7);
      live[nlive++] = b;
    } else if (op < 780 && nmarks < MAXM) { /* mark */
      marks[nmarks].m = own_arena_mark(a);
      marks[nmarks].nlive = nlive;
      marks[nmarks].used = own_arena_stats(a).used;
      nmarks++;
    } else if (op < 850 && nmarks) { /* restore the innermost, sometimes keep it */
      nmarks--;
      own_arena_restore(a, marks[nmarks].m);
      nlive = marks[nmarks].nlive;
      if (own_arena_stats(a).used != marks[nmarks].used) bad++;
      if (r & (1u << 20)) nmarks++;
    } else if (op < 870 && nmarks > 2) { /* restore an outer mark, dropping inner ones */
      size_t k = (size_t)(r >> 12) % nmarks;
      own_arena_restore(a, marks[k].m);
      nlive = marks[k].nlive;
      nmarks = k + 1;
      if (own_arena_stats(a).used != marks[k].used) bad++;
    } else if (op < 940 && nlive) { /* pop or grow the most recent block */
      blk_t *b = &live[nlive - 1];
      if (nmarks && marks[nmarks - 1].nlive == nlive) continue; /* below a mark */
      if (r & (1u << 21)) {
        own_arena_free(a, b->p);
        nlive--;
      } else {
        size_t ns = b->size + (size_t)((r >> 24) % 200);
        unsigned char *q = own_arena_resize(a, b->p, b->size, ns, b->align);
        if (!q) {
          fails++;
          continue;
        }
        if ((uintptr_t)q % b->align) bad++;
        for (size_t i = 0; i < b->size; i++)
          if (q[i] != (unsigned char)(b->tag + i * 7)) bad++;
        if (q != b->p) { /* moved: the old block stays allocated */
          if (nlive == MAXB) continue;
          live[nlive] = *b;
          live[nlive].p = q;
          b = &live[nlive++];
        }
        for (size_t i = b->size; i < ns; i++) q[i] = (unsigned char)(b->tag + i * 7);
        b->size = ns;
      }
    } else if (op < 945) { /* reset */
      own_arena_reset(a);
      nlive = nmarks = 0;
      if (own_arena_stats(a).used != 0) bad++;
    } else if (op < 947 && pt) { /* trim: all marks go */
      own_arena_trim(a);
      nmarks = 0;
    }
    size_t sum = 0;
    for (size_t i = 0; i < nlive; i++) sum += live[i].size;
    if (own_arena_stats(a).used < sum) bad++;
    if (step % 50 == 0)
      for (size_t i = 0; i < nlive; i++) bad += (size_t)check_block(&live[i]);
  }
  for (size_t i = 0; i < nlive; i++) bad += (size_t)check_block(&live[i]);
  OWN_CHECK_EQ(bad, 0);
  OWN_CHECK_EQ(own_arena_stats(a).errors, 0);
  OWN_CHECK_EQ(own_arena_stats(a).failures, fails);
  if (pt) {
    OWN_CHECK_EQ(own_arena_stats(a).chunks, pt->live);
    own_arena_destroy(a);
    OWN_CHECK_EQ(pt->live, 0);
    OWN_CHECK_EQ(pt->bad, 0);
  } else {
    OWN_CHECK(fails > 0); /* the fixed buffer did fill up */
  }
}

static void test_random(void) {
  own_arena_t a;
  OWN_CHECK(own_arena_init(&a, buffer + 3, 20000));
  random_run(&a, NULL, 100000);
  parent_t pt;
  own_allocator_t par = parent_allocator(&pt);
  OWN_CHECK(own_arena_init_chunked(&a, &par, 256, 8192));
  random_run(&a, &pt, 100000);
  OWN_CHECK(pt.allocs > 10);
}

/* With own's heap built in, a NULL parent means the heap. */
static void test_default_parent(void) {
#if defined(OWN_TEST_HAVE_HEAP)
  own_arena_t a;
  OWN_CHECK(own_arena_init_chunked(&a, NULL, 0, 0));
  for (int i = 0; i < 1000; i++) {
    unsigned char *p = own_arena_alloc(&a, 100, 16);
    OWN_CHECK(p != NULL && (uintptr_t)p % 16 == 0);
    if (p) memset(p, i, 100);
  }
  OWN_CHECK(own_arena_stats(&a).chunks > 1);
  own_arena_destroy(&a);
  OWN_CHECK_EQ(own_arena_stats(&a).chunks, 0);
#else
  own_arena_t a;
  OWN_CHECK(!own_arena_init_chunked(&a, NULL, 0, 0)); /* no heap to default to */
#endif
}

/* The sizes docs/arena.md states. */
static void test_documented_sizes(void) {
  OWN_CHECK_EQ(OWN_ARENA_CHUNK_HEADER, 2 * sizeof(void *));
  OWN_CHECK_EQ(sizeof(own_arena_t), 22 * sizeof(void *));
  OWN_CHECK_EQ(sizeof(own_arena_mark_t), 4 * sizeof(void *));
}

int main(void) {
  own_set_error_handler(record_error, NULL);
  test_fixed_errors();
  test_fixed_alloc();
  test_pop_and_resize();
  test_fixed_marks();
  test_chunked_growth();
  test_chunked_parent_failure();
  test_marks_across_chunks();
  test_chunk_reuse_bounded();
  test_pool_parent();
  test_allocator_interface();
  test_random();
  test_default_parent();
  test_documented_sizes();
  return own_test_done();
}
