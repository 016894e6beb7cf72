/* test_fixed_random.c — randomized differential test of the fixed heap.
 *
 * Millions of allocate / aligned allocate / free / realloc operations with
 * random sizes and alignments, checked against a reference model (an array of
 * live blocks with their ids, sizes and alignments):
 *  - every block is filled with a pattern derived from its id and verified on
 *    free, on realloc (the kept prefix) and in periodic full sweeps, so any
 *    overlap or stray write by the heap shows up;
 *  - own_fixed_check_fast after every operation, own_fixed_check and a walk
 *    compared with the model (same live pointers, same count) every N;
 *  - an allocation that fails must be one the heap does not promise: the
 *    largest free block is then smaller than the block size it needed
 *    rounded up to a power of two (the classes it searches).
 * Deterministic: the seed is fixed (or given as argv[1]).
 */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "own/fixed.h"
#include "testing.h"

#define A OWN_FIXED_ALIGN
#define SLOTS 3000

typedef struct {
  unsigned char *p;
  size_t size, align;
  uint32_t id;
} slot_t;

static slot_t slots[SLOTS];
static size_t nlive;
static uint64_t rng_state;
static uint32_t next_id = 1;

static uint64_t rnd(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1DULL;
}

static unsigned char pat(uint32_t id, size_t i) { return (unsigned char)((id * 131u) ^ (i * 7u) ^ (i >> 8)); }

static void fill(slot_t *s) {
  for (size_t i = 0; i < s->size; i++) s->p[i] = pat(s->id, i);
}
static int verify(const slot_t *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s->p[i] != pat(s->id, i)) return 0;
  return 1;
}

static size_t rand_size(void) {
  uint64_t r = rnd();
  switch (r % 16) {
    case 0: return 0;
    case 1: case 2: case 3: case 4: case 5: case 6: return (r >> 8) % 64;
    case 7: case 8: case 9: case 10: return (r >> 8) % 512;
    case 11: case 12: return (r >> 8) % 4096;
    case 13: return (r >> 8) % 32768;
    case 14: return (r >> 8) % 200000;
    default: return (size_t)1 << ((r >> 8) % 12);
  }
}
static size_t rand_align(void) {
  uint64_t r = rnd();
  if (r % 4 != 0) return 1;
  return (size_t)1 << ((r >> 4) % 13);
}

/* The free block size that guarantees success: the heap searches the classes
 * at or above ceil(log2 need), so it promises nothing for a free block
 * between `need` and the next power of two. */
static size_t block_need(size_t size, size_t align) {
  size_t s = (size + A + A - 1) & ~(A - 1);
  if (s < 2 * A) s = 2 * A;
  if (align > A) s += align + A;
  size_t p = 1;
  while (p < s) p <<= 1;
  return p;
}

static own_fixed_t *h;
static long failures_checked, fails_bad;

static int cmp_ptr(const void *a, const void *b) {
  uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
  return x < y ? -1 : x > y;
}

struct collect {
  uintptr_t *ptrs;
  size_t n, cap;
};
static bool collect_cb(void *p, size_t size, bool used, void *ctx) {
  struct collect *c = ctx;
  (void)size;
  if (used && c->n < c->cap) c->ptrs[c->n++] = (uintptr_t)p;
  return true;
}

static void full_check(void) {
  OWN_CHECK(own_fixed_check(h));
  static uintptr_t model[SLOTS], walked[SLOTS + 1];
  size_t n = 0;
  for (size_t i = 0; i < SLOTS; i++)
    if (slots[i].p) {
      model[n++] = (uintptr_t)slots[i].p;
      if (!verify(&slots[i], slots[i].size)) {
        OWN_CHECK(!"block contents changed");
        return;
      }
    }
  struct collect c = {walked, 0, SLOTS + 1};
  OWN_CHECK(own_fixed_walk(h, collect_cb, &c));
  OWN_CHECK_EQ(c.n, n);
  qsort(model, n, sizeof model[0], cmp_ptr);
  qsort(walked, c.n, sizeof walked[0], cmp_ptr);
  OWN_CHECK(c.n == n && memcmp(model, walked, n * sizeof model[0]) == 0);
  own_fixed_diag_t d;
  own_fixed_diag(h, &d);
  OWN_CHECK_EQ(d.live_blocks, n);
}

static void on_fail(size_t size, size_t align) {
  own_fixed_diag_t d;
  own_fixed_diag(h, &d);
  failures_checked++;
  if (d.largest_free >= block_need(size, align) && block_need(size, align) <= (d.max_block + A) / 2) {
    fails_bad++;
    if (fails_bad < 5)
      fprintf(stderr, "failed alloc(%zu, align %zu) with a free block of %zu\n", size, align,
              d.largest_free);
  }
}

static void run(size_t heap_bytes, long ops, uint64_t seed) {
  unsigned char *mem = malloc(heap_bytes + 64);
  OWN_CHECK(mem != NULL);
  /* An odd offset on purpose: the heap aligns internally. */
  h = own_fixed_init(mem + 8 + (seed % 5), heap_bytes);
  OWN_CHECK(h != NULL);
  memset(slots, 0, sizeof slots);
  nlive = 0;
  rng_state = seed;
  long bad_content = 0;
  for (long op = 0; op < ops; op++) {
    size_t i = rnd() % SLOTS;
    slot_t *s = &slots[i];
    uint64_t kind = rnd() % 10;
    if (!s->p) {
      size_t size = rand_size(), align = rand_align();
      unsigned char *p = align == 1 && (kind & 1) ? own_fixed_alloc(h, size)
                                                  : own_fixed_alloc_aligned(h, size, align);
      if (!p) {
        on_fail(size, align);
      } else {
        if ((uintptr_t)p % align != 0 || (uintptr_t)p % A != 0) OWN_CHECK(!"misaligned block");
        if (own_fixed_usable_size(h, p) < size) OWN_CHECK(!"usable size too small");
        s->p = p;
        s->size = size;
        s->align = align;
        s->id = next_id++;
        fill(s);
        nlive++;
      }
    } else if (kind < 6) {
      if (!verify(s, s->size)) bad_content++;
      own_fixed_free(h, s->p);
      s->p = NULL;
      nlive--;
    } else {
      size_t size = rand_size();
      unsigned char *q = s->align > A ? own_fixed_realloc_aligned(h, s->p, size, s->align)
                                      : own_fixed_realloc(h, s->p, size);
      if (!q) {
        on_fail(size, s->align);
        if (!verify(s, s->size)) bad_content++; /* untouched on failure */
      } else {
        size_t keep = size < s->size ? size : s->size;
        if (!verify(&(slot_t){q, keep, s->align, s->id}, keep)) bad_content++;
        if ((uintptr_t)q % s->align != 0) OWN_CHECK(!"realloc lost alignment");
        if (own_fixed_usable_size(h, q) < size) OWN_CHECK(!"usable size too small");
        s->p = q;
        s->size = size;
        s->id = next_id++;
        fill(s);
      }
    }
    if (!own_fixed_check_fast(h)) {
      OWN_CHECK(!"check_fast failed");
      break;
    }
    if (op % 20000 == 0) full_check();
  }
  OWN_CHECK_EQ(bad_content, 0);
  full_check();
  /* Free everything: the heap must be one free block again. */
  for (size_t i = 0; i < SLOTS; i++)
    if (slots[i].p) {
      own_fixed_free(h, slots[i].p);
      slots[i].p = NULL;
    }
  own_fixed_diag_t d;
  own_fixed_diag(h, &d);
  OWN_CHECK_EQ(d.allocated, 0);
  OWN_CHECK_EQ(d.free_blocks, 1);
  OWN_CHECK_EQ(d.largest_free, d.capacity);
  OWN_CHECK_EQ(d.invalid_free_count, 0);
  OWN_CHECK(own_fixed_check(h));
  free(mem);
}

int main(int argc, char **argv) {
  uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 0x0123456789ABCDEFULL;
  /* A roomy heap (few failures), a tight one (many), and a small one. */
  run((size_t)8 << 20, 1200000, seed);
  run((size_t)1 << 20, 800000, seed + 1);
  run((size_t)64 << 10, 600000, seed + 2);
  OWN_CHECK_EQ(fails_bad, 0);
  printf("allocation failures examined: %ld (none with a fitting free block)\n", failures_checked);
  return own_test_done();
}
