/* pool/pool.c — fixed-size block pools (own/pool.h).
 *
 * Algorithm. The buffer holds `capacity` blocks, `stride` bytes apart from
 * `base`, then a bitmap (bit i set = block i allocated). Blocks are handed out
 * from two places: the free list (blocks freed since init, linked through
 * their first word, LIFO) and, when it is empty, the never-used region
 * [fresh, capacity), which advances one block at a time. That second source
 * is what makes init O(1): nothing in the buffer is linked or cleared up
 * front. A bitmap byte is cleared when `fresh` first enters it, so the bits of
 * blocks >= fresh are stale and never read.
 *
 * From a pointer to its block index without a division: free must check that
 * p is on a block boundary, and the stride need not be a power of two (a
 * division would also call a libgcc helper on Cortex-M0). Write
 * stride = odd << k. An offset x is a multiple of stride iff its low k bits
 * are zero and y = x >> k is a multiple of odd; y * inverse(odd) mod 2^N is
 * then exactly y / odd, and otherwise it is larger than (2^N - 1) / odd, which
 * is >= capacity. So "low bits clear and (y * inverse) < capacity" is the test,
 * and its result is the index.
 *
 * Invariants: every block on the free list has index < fresh and its bit
 * clear; every allocated block has index < fresh and its bit set;
 * used = fresh - (length of the free list); links read back from free blocks
 * are checked against the first invariant before they are trusted.
 *
 * Freestanding: no libc, no OS, no division, no calls out except own_report
 * when built with OWN_WITH_CORE (the library build; see sources.cmake).
 */
#include "own/pool.h"

#if defined(OWN_WITH_CORE)
#define POOL_REPORT(err, p, ...) own_report((err), (p), __VA_ARGS__)
#else
#define POOL_REPORT(err, p, ...) ((void)(p))
#endif

/* n / d for d != 0 by shift and subtract: at most one pass per bit of size_t,
 * so the bound is constant. Used only by init, which runs once. */
static size_t udiv(size_t n, size_t d, size_t *rem) {
  size_t q = 0, r = 0;
  for (int bit = (int)(sizeof(size_t) * 8) - 1; bit >= 0; bit--) {
    r = (r << 1) | ((n >> bit) & 1u);
    if (r >= d) {
      r -= d;
      q |= (size_t)1 << bit;
    }
  }
  if (rem) *rem = r;
  return q;
}

/* The inverse of an odd number modulo 2^N by Newton's iteration: x = d is
 * right to 3 bits (d * d == 1 mod 8), and each step doubles that, so five
 * steps cover 96 bits. */
static size_t odd_inverse(size_t odd) {
  size_t x = odd;
  for (int i = 0; i < 5; i++) x *= 2 - odd * x;
  return x;
}

static bool bit_get(const own_pool_t *pool, size_t i) {
  return (pool->bitmap[i >> 3] >> (i & 7)) & 1u;
}
static void bit_set(own_pool_t *pool, size_t i) {
  pool->bitmap[i >> 3] = (unsigned char)(pool->bitmap[i >> 3] | (1u << (i & 7)));
}
static void bit_clear(own_pool_t *pool, size_t i) {
  pool->bitmap[i >> 3] = (unsigned char)(pool->bitmap[i >> 3] & ~(1u << (i & 7)));
}

/* The index of the block starting at p, or false when p is not the start of
 * one of the pool's blocks. Integer compares: p may point anywhere. */
static bool block_index(const own_pool_t *pool, const void *p, size_t *index) {
  uintptr_t a = (uintptr_t)p, b = (uintptr_t)pool->base;
  if (a < b) return false;
  size_t off = (size_t)(a - b);
  if (off >= pool->capacity * pool->stride) return false;
  if (off & (((size_t)1 << pool->odd_shift) - 1)) return false;
  size_t q = (off >> pool->odd_shift) * pool->odd_inverse;
  if (q >= pool->capacity) return false;
  *index = q;
  return true;
}

/* Field by field: a struct assignment may compile to a memset call. */
static void make_empty(own_pool_t *pool) {
  pool->base = pool->bitmap = NULL;
  pool->free_list = NULL;
  pool->stride = pool->block_size = pool->align = pool->capacity = pool->fresh = 0;
  pool->odd_shift = 0;
  pool->odd_inverse = 1;
  pool->used = pool->peak = pool->failures = 0;
  pool->invalid_frees = pool->double_frees = pool->corruptions = 0;
}

size_t own_pool_buffer_size(size_t count, size_t block_size, size_t block_align) {
  if (count == 0 || block_size == 0) return 0;
  if (block_align == 0) block_align = _Alignof(max_align_t);
  if (!own_is_pow2(block_align)) return 0;
  size_t align = block_align > _Alignof(void *) ? block_align : _Alignof(void *);
  size_t size = block_size > sizeof(void *) ? block_size : sizeof(void *);
  size_t stride, blocks, total;
  if (__builtin_add_overflow(size, align - 1, &stride)) return 0;
  stride &= ~(align - 1);
  if (__builtin_mul_overflow(count, stride, &blocks)) return 0;
  if (__builtin_add_overflow(blocks, count / 8 + (count % 8 != 0), &total)) return 0;
  if (__builtin_add_overflow(total, align - 1, &total)) return 0;
  return total <= (size_t)PTRDIFF_MAX ? total : 0; /* no object is larger */
}

bool own_pool_init(own_pool_t *pool, void *buf, size_t size, size_t block_size,
                   size_t block_align) {
  if (!pool) return false;
  make_empty(pool);
  if (!buf || block_size == 0) return false;
  if (block_align == 0) block_align = _Alignof(max_align_t);
  if (!own_is_pow2(block_align)) return false;
  size_t align = block_align > _Alignof(void *) ? block_align : _Alignof(void *);
  size_t stride = block_size > sizeof(void *) ? block_size : sizeof(void *);
  if (__builtin_add_overflow(stride, align - 1, &stride)) return false;
  stride &= ~(align - 1);

  size_t pad = (size_t)(-(uintptr_t)buf) & (align - 1);
  if (pad >= size) return false;
  size_t usable = size - pad;

  /* The most blocks n with n * stride + ceil(n / 8) <= usable. Since
   * n * (8 * stride + 1) <= 8 * usable, n <= floor(8 * usable / (8 * stride + 1)):
   * start there and step down past the rounding of ceil (at most twice). */
  size_t n, r;
  if (stride <= (SIZE_MAX / 8 - 1) / 8) {
    size_t d = 8 * stride + 1; /* <= SIZE_MAX / 8, so 8 * r below fits */
    size_t q = udiv(usable, d, &r);
    n = 8 * q + udiv(8 * r, d, NULL);
  } else {
    n = udiv(usable, stride, NULL); /* a huge stride: n < 64 */
  }
  while (n > 0 && n * stride + (n / 8 + (n % 8 != 0)) > usable) n--;
  if (n == 0) return false;

  size_t shift = 0, odd = stride;
  while ((odd & 1u) == 0) {
    odd >>= 1;
    shift++;
  }
  pool->base = (unsigned char *)buf + pad;
  pool->bitmap = pool->base + n * stride;
  pool->stride = stride;
  pool->block_size = block_size;
  pool->align = align;
  pool->capacity = n;
  pool->odd_shift = shift;
  pool->odd_inverse = odd_inverse(odd);
  return true;
}

/* A link read back from a free block: NULL, or a block that was handed out
 * before and is free now. Anything else means the block was written after
 * it was freed. */
static bool link_ok(const own_pool_t *pool, const void *next) {
  size_t i;
  if (!next) return true;
  return block_index(pool, next, &i) && i < pool->fresh && !bit_get(pool, i);
}

void *own_pool_alloc(own_pool_t *pool) {
  if (!pool) return NULL;
  unsigned char *b = pool->free_list;
  size_t i = 0;
  if (b) {
    (void)block_index(pool, b, &i); /* b is on the list: always a block */
    void *next = *(void **)b;
    if (OWN_UNLIKELY(!link_ok(pool, next))) {
      pool->corruptions++;
      pool->free_list = NULL; /* drop the rest rather than follow a bad link */
      POOL_REPORT(OWN_ERR_CORRUPTION, b,
                  "pool %p: free block %p was written after free (link %p)", (void *)pool,
                  (void *)b, next);
    } else {
      pool->free_list = next;
    }
  } else if (pool->fresh < pool->capacity) {
    i = pool->fresh++;
    b = pool->base + i * pool->stride;
    if ((i & 7) == 0) pool->bitmap[i >> 3] = 0;
  } else {
    pool->failures++;
    return NULL;
  }
  bit_set(pool, i);
  if (++pool->used > pool->peak) pool->peak = pool->used;
  return b;
}

void own_pool_free(own_pool_t *pool, void *p) {
  if (!pool || !p) return;
  size_t i;
  if (!block_index(pool, p, &i) || i >= pool->fresh) {
    pool->invalid_frees++;
    POOL_REPORT(OWN_ERR_INVALID_FREE, p, "pool %p: free of %p, which is not a block of the pool",
                (void *)pool, p);
    return;
  }
  if (!bit_get(pool, i)) {
    pool->double_frees++;
    POOL_REPORT(OWN_ERR_DOUBLE_FREE, p, "pool %p: block %p freed twice", (void *)pool, p);
    return;
  }
  bit_clear(pool, i);
  *(void **)p = pool->free_list;
  pool->free_list = p;
  pool->used--;
}

bool own_pool_owns(const own_pool_t *pool, const void *p) {
  size_t i;
  return pool && p && block_index(pool, p, &i);
}

void own_pool_reset(own_pool_t *pool) {
  if (!pool) return;
  pool->free_list = NULL;
  pool->fresh = 0;
  pool->used = 0;
  pool->peak = 0;
}

size_t own_pool_capacity(const own_pool_t *pool) { return pool ? pool->capacity : 0; }

size_t own_pool_block_size(const own_pool_t *pool) { return pool ? pool->block_size : 0; }

own_pool_stats_t own_pool_stats(const own_pool_t *pool) {
  own_pool_stats_t s;
  bool p = pool != NULL;
  s.block_size = p ? pool->block_size : 0;
  s.stride = p ? pool->stride : 0;
  s.align = p ? pool->align : 0;
  s.capacity = p ? pool->capacity : 0;
  s.used = p ? pool->used : 0;
  s.peak = p ? pool->peak : 0;
  s.failures = p ? pool->failures : 0;
  s.invalid_frees = p ? pool->invalid_frees : 0;
  s.double_frees = p ? pool->double_frees : 0;
  s.corruptions = p ? pool->corruptions : 0;
  return s;
}

/* ---- own_allocator_t ------------------------------------------------------ */

static bool layout_fits(const own_pool_t *pool, own_layout_t l) {
  return l.size <= pool->block_size && own_is_pow2(l.align) && l.align <= pool->align;
}

static void *iface_alloc(void *ctx, own_layout_t l) {
  own_pool_t *pool = ctx;
  if (!pool) return NULL;
  if (!layout_fits(pool, l)) {
    pool->failures++;
    return NULL;
  }
  return own_pool_alloc(pool);
}

static void *iface_resize(void *ctx, void *p, own_layout_t old, size_t new_size) {
  own_pool_t *pool = ctx;
  (void)old;
  if (!pool || new_size > pool->block_size) return NULL;
  return p;
}

static void iface_free(void *ctx, void *p, own_layout_t l) {
  (void)l;
  own_pool_free(ctx, p);
}

own_allocator_t own_pool_allocator(own_pool_t *pool) {
  own_allocator_t a = {iface_alloc, iface_resize, iface_free, pool};
  return a;
}
