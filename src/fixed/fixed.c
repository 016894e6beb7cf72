/* fixed/fixed.c — the deterministic O(1) heap over caller memory (own/fixed.h).
 *
 * Blocks. A region is a run of blocks ending in a sentinel header. Every block
 * starts with a two-word header (OWN_FIXED_ALIGN bytes):
 *   prev  = size of the physically previous block XOR the heap's key
 *           (0 XOR key for the first block of a region);
 *   size  = block size (header included, a multiple of G) | BLK | USED.
 * A free block keeps its free-list links in its first two payload words, so
 * the smallest block is MINB = 2 * G. The sentinel is a USED block of size 0.
 *
 * Free lists. A free block of size x has class floor(log2 x) - log2 MINB and
 * band band_of(address): the first region is cut into nb equal bands (nb <= 32,
 * fewer for small heaps so that the list heads stay under 1/8 of the buffer).
 * heads[class * nb + band] is a doubly linked list; cib[band] has bit `class`
 * set when that list is non-empty, and the byte top[band] (packed four to a
 * word) holds 1 + the highest class present in the band (0: none).
 *
 * Allocation of block size s, order c = ceil(log2 s) - log2 MINB: the lowest
 * band whose top byte is > c (a SWAR compare over at most 8 words), then in it
 * the smallest class >= c (one ctz). Every block there has size >= 2^c >= s,
 * so the head of that list fits: no search, no loop over blocks. The front of
 * the block is used; a tail of at least MINB goes back as a free block.
 * Address-ordered first fit at band granularity is what docs/fixed.md uses to
 * prove the fragmentation bound.
 *
 * Invariants (own_fixed_check verifies all of them):
 *  - prev of every block (and sentinel) equals its predecessor's size ^ key;
 *  - no two physically adjacent blocks are both free unless their sizes sum to
 *    more than max_merge (the largest block the class range can hold);
 *  - a block is free iff it is on exactly the list of its class and band;
 *  - allocated + free_bytes == capacity; free_blocks counts list entries.
 *
 * Freestanding: no libc; no division, no 64-bit arithmetic on 32-bit targets
 * and no clz instruction where the core lacks one (Cortex-M0+), so nothing
 * from libgcc is needed either.
 */
#include "fixed/fixed_internal.h"

static inline void set_used_hdr(own_fixed_t *h, blk_t *b, size_t size) {
  b->size = (uintptr_t)size | F_BLK | F_USED;
  ((blk_t *)((char *)b + size))->prev = (uintptr_t)size ^ h->key;
}

static void set_top(own_fixed_t *h, unsigned band) {
  uint32_t m = h->cib[band];
  uint32_t v = m ? log2_32(m) + 1 : 0;
  unsigned sh = (band & 3u) * 8u;
  h->top[band >> 2] = (h->top[band >> 2] & ~((uint32_t)0xFFu << sh)) | (v << sh);
}

void _own_fixed_insert(own_fixed_t *h, blk_t *b, size_t size) {
  unsigned c = class_of(h, size), band = band_of(h, b);
  blk_t **head = &h->heads[c * h->nb + band];
  b->next_free = *head;
  b->prev_free = NULL;
  if (*head) (*head)->prev_free = b;
  *head = b;
  if (!(h->cib[band] & (1u << c))) {
    h->cib[band] |= 1u << c;
    set_top(h, band);
  }
  h->free_blocks++;
  h->free_bytes += size;
}

static void list_remove(own_fixed_t *h, blk_t *b) {
  size_t size = bsize(b);
  unsigned c = class_of(h, size), band = band_of(h, b);
  if (b->prev_free) {
    b->prev_free->next_free = b->next_free;
  } else {
    h->heads[c * h->nb + band] = b->next_free;
    if (!b->next_free) {
      h->cib[band] &= ~(1u << c);
      set_top(h, band);
    }
  }
  if (b->next_free) b->next_free->prev_free = b->prev_free;
  h->free_blocks--;
  h->free_bytes -= size;
}

/* Marks b (size bytes) free, merging with free neighbours when the sum stays
 * within max_merge, and files it. Headers that disappear are zeroed so that a
 * later free of their pointers is recognised as invalid. */
static void make_free(own_fixed_t *h, blk_t *b, size_t size) {
  blk_t *n = (blk_t *)((char *)b + size);
  if (!bused(n) && size + bsize(n) <= h->max_merge) {
    list_remove(h, n);
    size += bsize(n);
    n->size = 0;
  }
  size_t ps = (size_t)(b->prev ^ h->key);
  if (ps != 0) {
    blk_t *p = (blk_t *)((char *)b - ps);
    if (!bused(p) && ps + size <= h->max_merge) {
      list_remove(h, p);
      b->size = 0;
      b = p;
      size += ps;
    }
  }
  set_free_hdr(h, b, size);
  _own_fixed_insert(h, b, size);
}

/* Splits the used block b (its header says x bytes) down to s bytes when the
 * tail can stand alone as a free block; returns the resulting size. */
static size_t trim(own_fixed_t *h, blk_t *b, size_t x, size_t s) {
  if (x - s < MINB) return x;
  blk_t *t = (blk_t *)((char *)b + s);
  set_used_hdr(h, b, s); /* also writes t->prev */
  t->size = (uintptr_t)(x - s) | F_BLK;
  make_free(h, t, x - s);
  return s;
}

/* The block size for `size` user bytes, or 0 when it cannot exist. */
static inline size_t block_size(const own_fixed_t *h, size_t size) {
  if (size > h->max_merge) return 0;
  size_t s = (size + G + G - 1) & ~(size_t)(G - 1);
  if (s < MINB) s = MINB;
  return s <= h->max_merge ? s : 0;
}

/* Removes and returns a free block of at least s bytes (s <= max_merge), or
 * NULL. Constant time: a SWAR scan over at most 8 words of band tops. */
static blk_t *take(own_fixed_t *h, size_t s) {
  unsigned c = log2_ceil(s) - LOG2_MINB;
  blk_t *b = NULL;
  if (c < h->ncls) {
    uint32_t k = (uint32_t)(c + 1) * 0x01010101u;
    unsigned words = (h->nb + 3u) / 4u;
    for (unsigned i = 0; i < words; i++) {
      uint32_t t = ((h->top[i] | 0x80808080u) - k) & 0x80808080u;
      if (t) {
        unsigned band = i * 4u + ctz32(t) / 8u;
        unsigned j = ctz32(h->cib[band] & (~0u << c));
        b = h->heads[j * h->nb + band];
        break;
      }
    }
  } else {
    /* Larger than the top class's lower bound: only top-class blocks can fit,
     * and in the first region there is at most one of them. */
    unsigned j = h->ncls - 1;
    for (unsigned band = 0; band < h->nb; band++) {
      blk_t *cand = (h->cib[band] >> j) & 1u ? h->heads[j * h->nb + band] : NULL;
      if (cand && bsize(cand) >= s) {
        b = cand;
        break;
      }
    }
  }
  if (b) list_remove(h, b);
  return b;
}

static inline void count_alloc(own_fixed_t *h, size_t size) {
  h->allocated += size;
  if (h->allocated > h->peak) h->peak = h->allocated;
  h->live_blocks++;
  h->alloc_count++;
}

static void *alloc_impl(own_fixed_t *h, size_t size, size_t align) {
  size_t s = block_size(h, size);
  if (s == 0) goto fail;
  if (align <= G) {
    blk_t *b = take(h, s);
    if (!b) goto fail;
    size_t x = bsize(b);
    set_used_hdr(h, b, x);
    x = trim(h, b, x, s);
    count_alloc(h, x);
    return payload(b);
  }
  /* Over-allocate by align + G: the front pad is 0 or at least MINB. */
  if (align > h->max_merge || s > h->max_merge - align - G) goto fail;
  blk_t *b = take(h, s + align + G);
  if (!b) goto fail;
  size_t x = bsize(b);
  uintptr_t u = (uintptr_t)payload(b);
  size_t pad = (size_t)(((u + align - 1) & ~(uintptr_t)(align - 1)) - u);
  if (pad != 0 && pad < MINB) pad += align;
  if (pad) {
    blk_t *a = (blk_t *)((char *)b + pad);
    a->prev = (uintptr_t)pad ^ h->key;
    set_used_hdr(h, a, x - pad);
    b->size = (uintptr_t)pad | F_BLK;
    make_free(h, b, pad);
    b = a;
    x -= pad;
  } else {
    set_used_hdr(h, b, x);
  }
  x = trim(h, b, x, s);
  count_alloc(h, x);
  return payload(b);
fail:
  h->oom_count++;
  return NULL;
}

/* The block of p when p is a live block of h; otherwise NULL and *why says
 * what p looks like (OWN_ERR_DOUBLE_FREE or OWN_ERR_INVALID_FREE). */
static blk_t *validate(const own_fixed_t *h, const void *p, own_error_t *why) {
  uintptr_t a = (uintptr_t)p;
  *why = OWN_ERR_INVALID_FREE;
  if ((a & (G - 1)) != 0 || a < h->lo + G || a - G >= h->hi) return NULL;
  blk_t *b = (blk_t *)(a - G);
  if (!(b->size & F_BLK)) return NULL;
  size_t sz = bsize(b);
  if (sz < MINB || sz > h->hi - (uintptr_t)b) return NULL;
  blk_t *n = (blk_t *)((char *)b + sz);
  if ((size_t)(n->prev ^ h->key) != sz) return NULL;
  size_t ps = (size_t)(b->prev ^ h->key);
  if (ps != 0) {
    if ((ps & (G - 1)) != 0 || ps < MINB || ps > (uintptr_t)b - h->lo) return NULL;
    if (bsize((const blk_t *)((const char *)b - ps)) != ps) return NULL;
  }
  if (!bused(b)) {
    *why = OWN_ERR_DOUBLE_FREE;
    return NULL;
  }
  return b;
}

static void bad_pointer(own_fixed_t *h, const void *p, own_error_t why, const char *what) {
  h->invalid_count++;
  REPORT(why, p, what);
  (void)what;
}

static void free_impl(own_fixed_t *h, void *p) {
  own_error_t why;
  blk_t *b = validate(h, p, &why);
  if (!b) {
    bad_pointer(h, p, why, why == OWN_ERR_DOUBLE_FREE ? "double free of" : "free of invalid pointer");
    return;
  }
  size_t x = bsize(b);
  h->allocated -= x;
  h->live_blocks--;
  b->size = (uintptr_t)x | F_BLK; /* free, so make_free sees a consistent block */
  make_free(h, b, x);
}

static void copy_bytes(void *dst, const void *src, size_t n) {
  /* Both are payloads, aligned to G, and n is rounded up to words within the
   * smaller block, so copying whole words is safe. */
  uintptr_t *d = dst;
  const uintptr_t *s = src;
  for (size_t i = 0, words = (n + W - 1) / W; i < words; i++) d[i] = s[i];
}

static void *realloc_impl(own_fixed_t *h, void *p, size_t size, size_t align) {
  if (!p) return alloc_impl(h, size, align);
  own_error_t why;
  blk_t *b = validate(h, p, &why);
  if (!b) {
    bad_pointer(h, p, why, "realloc of invalid pointer");
    return NULL;
  }
  size_t s = block_size(h, size);
  size_t x = bsize(b), total = x;
  if (s == 0) {
    h->oom_count++;
    return NULL;
  }
  if (s > x) { /* grow into a free next block, or move */
    blk_t *n = bnext(b);
    total += bsize(n);
    if (bused(n) || total < s || total > h->max_merge) {
      void *q = alloc_impl(h, size, align);
      if (q) {
        copy_bytes(q, p, x - G < size ? x - G : size);
        free_impl(h, p);
      }
      return q;
    }
    list_remove(h, n);
    n->size = 0;
    set_used_hdr(h, b, total);
  }
  h->allocated += trim(h, b, total, s) - x;
  if (h->allocated > h->peak) h->peak = h->allocated;
  return p;
}


/* ---- Layout of a buffer ----------------------------------------------------- */

/* Plans a heap over `avail` bytes starting at a G-aligned address. */
bool _own_fixed_plan(size_t avail, lay_t *l) {
  avail &= ~(size_t)(G - 1);
  size_t fixed = offsetof(own_fixed_t, heads) + G; /* control without heads, sentinel */
  if (avail < fixed + sizeof(blk_t *) + G + MINB) return false;
  size_t u0 = avail - fixed;
  unsigned top = log2_sz(u0);
  uint32_t ncls = top - LOG2_MINB + 1;
  if (ncls > NCLS_MAX) return false;
  uint32_t nb = NB_MAX;
  while (nb > 1 && (size_t)ncls * nb * sizeof(blk_t *) > u0 / 8) nb >>= 1;
  size_t ctrl = (offsetof(own_fixed_t, heads) + (size_t)ncls * nb * sizeof(blk_t *) + G - 1) &
                ~(size_t)(G - 1);
  if (avail < ctrl + G + MINB) return false;
  size_t u = avail - ctrl - G;
  uint32_t shift = 0;
  while (((u - 1) >> shift) > 0xFFFFu) shift++;
  uint32_t span = (uint32_t)((u - 1) >> shift) + 1;
  uint32_t mul = (uint32_t)udiv((size_t)nb << 16, span);
  if (mul == 0) mul = 1;
  l->ctrl = ctrl;
  l->usable = u;
  l->ncls = ncls;
  l->nb = nb;
  l->shift = shift;
  l->mul = mul;
  l->max_merge = ((size_t)1 << (top + 1)) - G;
  return true;
}

/* ---- Public API ------------------------------------------------------------- */
own_fixed_t *own_fixed_init(void *buf, size_t size) {
  if (!buf) return NULL;
  uintptr_t a = (uintptr_t)buf;
  if (size > UINTPTR_MAX - a) return NULL;
  uintptr_t start = (a + G - 1) & ~(uintptr_t)(G - 1);
  uintptr_t end = (a + size) & ~(uintptr_t)(G - 1);
  if (end <= start) return NULL;
  lay_t l;
  if (!_own_fixed_plan((size_t)(end - start), &l)) return NULL;
  own_fixed_t *h = (own_fixed_t *)start;
  uintptr_t *w = (uintptr_t *)h;
  for (size_t i = 0; i < l.ctrl / sizeof(uintptr_t); i++) w[i] = 0;
  h->key = ((uintptr_t)h * (uintptr_t)0x9E3779B1u) ^ (uintptr_t)0x5A17C0DEu;
  h->ncls = l.ncls;
  h->nb = l.nb;
  h->shift = l.shift;
  h->mul = l.mul;
  h->max_merge = l.max_merge;
  blk_t *first = (blk_t *)(start + l.ctrl);
  blk_t *sent = (blk_t *)((char *)first + l.usable);
  h->base = (uintptr_t)first;
  h->rsize = l.usable;
  h->lo = (uintptr_t)first;
  h->hi = (uintptr_t)sent;
  h->first_region.first = first;
  h->first_region.end = sent;
  h->capacity = l.usable;
  first->prev = h->key;
  sent->size = F_BLK | F_USED;
  set_free_hdr(h, first, l.usable);
  _own_fixed_insert(h, first, l.usable);
  h->magic = FIXED_MAGIC;
  return h;
}

void *own_fixed_alloc_aligned(own_fixed_t *h, size_t size, size_t align) {
  if (!live_heap(h) || !own_is_pow2(align)) return NULL;
  LOCK(h);
  void *p = alloc_impl(h, size, align);
  UNLOCK(h);
  return p;
}

void *own_fixed_alloc(own_fixed_t *h, size_t size) { return own_fixed_alloc_aligned(h, size, 1); }

void own_fixed_free(own_fixed_t *h, void *p) {
  if (!live_heap(h) || !p) return;
  LOCK(h);
  free_impl(h, p);
  UNLOCK(h);
}

void *own_fixed_realloc_aligned(own_fixed_t *h, void *p, size_t size, size_t align) {
  if (!live_heap(h) || !own_is_pow2(align)) return NULL;
  LOCK(h);
  void *q = realloc_impl(h, p, size, align);
  UNLOCK(h);
  return q;
}

void *own_fixed_realloc(own_fixed_t *h, void *p, size_t size) {
  return own_fixed_realloc_aligned(h, p, size, 1);
}

size_t own_fixed_usable_size(own_fixed_t *h, const void *p) {
  if (!live_heap(h) || !p) return 0;
  LOCK(h);
  own_error_t why;
  blk_t *b = validate(h, p, &why);
  size_t n = b ? bsize(b) - G : 0;
  UNLOCK(h);
  return n;
}

void own_fixed_set_lock(own_fixed_t *h, own_fixed_lock_fn lock, own_fixed_lock_fn unlock,
                        void *ctx) {
  if (!live_heap(h)) return;
  h->lock = lock;
  h->unlock = unlock;
  h->lock_ctx = ctx;
}

