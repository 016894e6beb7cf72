/* fixed/fixed_internal.h — what the files of the fixed heap share: the block
 * and control-block layout, the bit helpers, and the band and class maps.
 * See fixed.c for the algorithm and its invariants. Freestanding.
 */
#ifndef OWN_FIXED_INTERNAL_H
#define OWN_FIXED_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "own/fixed.h"

#define W sizeof(void *)
#define G (2 * W)      /* granule, alignment and header size */
#define MINB (2 * G)   /* smallest block: header + two links  */
#define NB_MAX 32u     /* bands at most (bits of a uint32_t)  */
#define NCLS_MAX 32u   /* classes at most (bits of a uint32_t) */

#define F_USED ((uintptr_t)1)
#define F_BLK ((uintptr_t)2)
#define F_MASK ((uintptr_t)(G - 1))

#define FIXED_MAGIC ((uintptr_t)0x4F574E46u) /* "OWNF" */

typedef struct blk {
  uintptr_t prev;          /* previous block's size ^ key           */
  uintptr_t size;          /* size | F_BLK | F_USED                 */
  struct blk *next_free;   /* free blocks only: list links          */
  struct blk *prev_free;
} blk_t;

typedef struct region {
  struct region *next;
  blk_t *first;            /* first block                          */
  blk_t *end;              /* the sentinel                         */
} region_t;

struct own_fixed {
  uintptr_t magic;
  uintptr_t key;           /* XORed into every prev field          */
  region_t first_region;
  uintptr_t lo, hi;        /* [lo, hi): every block header lies here */
  uintptr_t base;          /* first region: first block address     */
  size_t rsize;            /* first region: bytes of blocks         */
  size_t max_merge;        /* largest block size (top class limit)  */
  uint32_t mul;            /* band = ((off >> shift) * mul) >> 16   */
  uint32_t shift;
  uint32_t nb;             /* bands                                 */
  uint32_t ncls;           /* classes                               */
  size_t capacity, allocated, peak, free_bytes, free_blocks, live_blocks;
  uint64_t alloc_count, oom_count, invalid_count;
  own_fixed_lock_fn lock, unlock;
  void *lock_ctx;
  uint32_t top[NB_MAX / 4]; /* per band: 1 + highest class, packed bytes */
  uint32_t cib[NB_MAX];     /* per band: classes present             */
  blk_t *heads[];           /* [class * nb + band]                   */
};


/* ---- Reporting: through own_report in libown, silent when freestanding ---- */
#if defined(OWN_FIXED_REPORT)
#define REPORT(err, p, what) own_report((err), (p), "fixed heap: %s %p", (what), (p))
#else
#define REPORT(err, p, what) ((void)(err), (void)(p), (void)(what))
#endif

#define LOCK(h) \
  do {          \
    if ((h)->lock) (h)->lock((h)->lock_ctx); \
  } while (0)
#define UNLOCK(h) \
  do {            \
    if ((h)->unlock) (h)->unlock((h)->lock_ctx); \
  } while (0)

/* ---- Bit helpers that need nothing from libgcc ---------------------------- */
static inline unsigned log2_32(uint32_t x) { /* x != 0 */
#if defined(__ARM_ARCH) && !defined(__ARM_FEATURE_CLZ)
  unsigned r = 0;
  if (x >> 16) { x >>= 16; r += 16; }
  if (x >> 8) { x >>= 8; r += 8; }
  if (x >> 4) { x >>= 4; r += 4; }
  if (x >> 2) { x >>= 2; r += 2; }
  if (x >> 1) r += 1;
  return r;
#else
  return 31u - (unsigned)__builtin_clz(x);
#endif
}

static inline unsigned log2_sz(size_t x) { /* x != 0 */
#if SIZE_MAX > 0xFFFFFFFFu
  return 63u - (unsigned)__builtin_clzll((unsigned long long)x);
#else
  return log2_32((uint32_t)x);
#endif
}

static inline unsigned ctz32(uint32_t x) { return log2_32(x & (0u - x)); }

static inline unsigned log2_ceil(size_t x) { return x <= 1 ? 0 : log2_sz(x - 1) + 1; }

#define LOG2_MINB (W == 8 ? 5u : 4u)

/* Division by shift and subtract: only at init and in diagnostics. */
static inline size_t udiv(size_t a, size_t b) {
  size_t q = 0, r = 0;
  for (int i = (int)(sizeof(size_t) * 8) - 1; i >= 0; i--) {
    r = (r << 1) | ((a >> i) & 1u);
    if (r >= b) {
      r -= b;
      q |= (size_t)1 << i;
    }
  }
  return q;
}

/* ---- Blocks ---------------------------------------------------------------- */
static inline size_t bsize(const blk_t *b) { return (size_t)(b->size & ~F_MASK); }
static inline bool bused(const blk_t *b) { return (b->size & F_USED) != 0; }
static inline blk_t *bnext(const blk_t *b) { return (blk_t *)((char *)b + bsize(b)); }
static inline void *payload(blk_t *b) { return (char *)b + G; }


static inline unsigned class_of(const own_fixed_t *h, size_t size) {
  unsigned c = log2_sz(size) - LOG2_MINB;
  return c < h->ncls ? c : h->ncls - 1;
}

static inline unsigned band_of(const own_fixed_t *h, const blk_t *b) {
  uintptr_t a = (uintptr_t)b;
  if (a < h->base) return 0;
  uintptr_t off = a - h->base;
  if (off >= h->rsize) return h->nb - 1;
  return (unsigned)((((uint32_t)(off >> h->shift)) * h->mul) >> 16);
}

static inline unsigned get_top(const own_fixed_t *h, unsigned band) {
  return (h->top[band >> 2] >> ((band & 3u) * 8u)) & 0xFFu;
}

static inline bool live_heap(const own_fixed_t *h) { return h && h->magic == FIXED_MAGIC; }

typedef struct lay {
  size_t ctrl;      /* bytes of the control block (multiple of G) */
  size_t usable;    /* bytes of the first region's blocks         */
  uint32_t ncls, nb, shift, mul;
  size_t max_merge;
} lay_t;

/* Plans a heap over `avail` bytes starting at a G-aligned address: control
 * block, first region, classes and bands. False when avail is too small. */
bool _own_fixed_plan(size_t avail, lay_t *l);

/* Files free block b of `size` bytes (its header already written). */
void _own_fixed_insert(own_fixed_t *h, blk_t *b, size_t size);

/* Writes a free header for b and the prev field of the block after it. */
static inline void set_free_hdr(own_fixed_t *h, blk_t *b, size_t size) {
  b->size = (uintptr_t)size | F_BLK;
  ((blk_t *)((char *)b + size))->prev = (uintptr_t)size ^ h->key;
}


/* The widest band of a region of `usable` bytes, in bytes: the B of the
 * fragmentation bound. Bands are ((off >> shift) * mul) >> 16. */
static inline size_t band_width(uint32_t mul, uint32_t shift, size_t usable) {
  size_t w = (udiv((size_t)1 << 16, mul) + 1) << shift;
  return w < usable ? w : usable;
}

#endif
