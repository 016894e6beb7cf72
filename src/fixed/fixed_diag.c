/* fixed/fixed_diag.c — diagnostics of the fixed heap: the statistics, the
 * constant-time and the full invariant checks, and the block walker
 * (own/fixed.h). Separate from fixed.c so that a program that never calls them
 * does not carry their code.
 */
#include "fixed/fixed_internal.h"

bool own_fixed_diag(own_fixed_t *h, own_fixed_diag_t *out) {
  if (!live_heap(h) || !out) return false;
  LOCK(h);
  unsigned topc = 0;
  for (unsigned band = 0; band < h->nb; band++)
    if (get_top(h, band) > topc) topc = get_top(h, band);
  size_t largest = 0;
  if (topc) {
    unsigned j = topc - 1;
    for (unsigned band = 0; band < h->nb; band++)
      for (blk_t *b = h->heads[j * h->nb + band]; b; b = b->next_free)
        if (bsize(b) > largest) largest = bsize(b);
  }
  out->capacity = h->capacity;
  out->allocated = h->allocated;
  out->peak_allocated = h->peak;
  out->largest_free = largest;
  out->free_bytes = h->free_bytes;
  out->free_blocks = h->free_blocks;
  out->live_blocks = h->live_blocks;
  out->max_block = h->max_merge;
  out->band_bytes = band_width(h->mul, h->shift, h->rsize);
  out->alloc_count = h->alloc_count;
  out->oom_count = h->oom_count;
  out->invalid_free_count = h->invalid_count;
  out->fragmentation_permille = 0;
  if (h->free_bytes) {
    size_t l = largest, f = h->free_bytes;
    while (l > SIZE_MAX / 1000) {
      l >>= 1;
      f >>= 1;
    }
    out->fragmentation_permille = 1000u - (unsigned)udiv(l * 1000u, f);
  }
  UNLOCK(h);
  return true;
}

bool own_fixed_check_fast(own_fixed_t *h) {
  if (!live_heap(h)) return false;
  LOCK(h);
  bool ok = h->allocated + h->free_bytes == h->capacity && h->peak >= h->allocated &&
            h->nb >= 1 && h->nb <= NB_MAX && h->ncls >= 1 && h->ncls <= NCLS_MAX &&
            h->free_blocks <= h->free_bytes / MINB && h->live_blocks <= h->allocated / MINB &&
            (h->free_blocks == 0) == (h->free_bytes == 0);
  for (unsigned band = 0; ok && band < NB_MAX; band++) {
    uint32_t m = band < h->nb ? h->cib[band] : 0;
    if (h->ncls < 32 && (m >> h->ncls) != 0) ok = false;
    if (band >= h->nb && h->cib[band] != 0) ok = false;
    if (get_top(h, band) != (m ? log2_32(m) + 1 : 0)) ok = false;
  }
  UNLOCK(h);
  return ok;
}

/* Checks one region's blocks; adds to the counters. */
static bool check_region(const own_fixed_t *h, const region_t *r, size_t *used, size_t *freeb,
                         size_t *nfree, size_t *nused) {
  const blk_t *b = r->first;
  if ((size_t)(b->prev ^ h->key) != 0) return false;
  bool prev_free = false;
  size_t prev_size = 0;
  while (b != r->end) {
    if ((uintptr_t)b > (uintptr_t)r->end || !(b->size & F_BLK)) return false;
    size_t sz = bsize(b);
    if (sz < MINB || sz > (size_t)((uintptr_t)r->end - (uintptr_t)b)) return false;
    if (sz > h->max_merge) return false;
    if ((size_t)(b->prev ^ h->key) != prev_size) return false;
    bool fr = !bused(b);
    if (fr && prev_free && prev_size + sz <= h->max_merge) return false;
    if (fr) {
      *freeb += sz;
      (*nfree)++;
    } else {
      *used += sz;
      (*nused)++;
    }
    prev_free = fr;
    prev_size = sz;
    b = bnext(b);
  }
  return (size_t)(b->prev ^ h->key) == prev_size && bused(b) && bsize(b) == 0;
}

bool own_fixed_check(own_fixed_t *h) {
  if (!own_fixed_check_fast(h)) return false;
  LOCK(h);
  bool ok = true;
  size_t used = 0, freeb = 0, nfree = 0, nused = 0, cap = 0;
  for (const region_t *r = &h->first_region; ok && r; r = r->next) {
    ok = check_region(h, r, &used, &freeb, &nfree, &nused);
    cap += (size_t)((uintptr_t)r->end - (uintptr_t)r->first);
  }
  ok = ok && used == h->allocated && freeb == h->free_bytes && nfree == h->free_blocks &&
       nused == h->live_blocks && cap == h->capacity;
  /* Every list entry: a free block of the right class and band, inside the
   * span, with consistent links; as many entries as free blocks. */
  size_t entries = 0;
  for (unsigned c = 0; ok && c < h->ncls; c++) {
    for (unsigned band = 0; ok && band < h->nb; band++) {
      const blk_t *b = h->heads[c * h->nb + band];
      if ((b != NULL) != ((h->cib[band] >> c) & 1u)) ok = false;
      const blk_t *prev = NULL;
      for (; ok && b; prev = b, b = b->next_free) {
        if (++entries > h->free_blocks || (uintptr_t)b < h->lo || (uintptr_t)b >= h->hi ||
            ((uintptr_t)b & (G - 1)) != 0 || (b->size & (F_BLK | F_USED)) != F_BLK ||
            b->prev_free != prev || class_of(h, bsize(b)) != c || band_of(h, b) != band)
          ok = false;
      }
    }
  }
  ok = ok && entries == h->free_blocks;
  UNLOCK(h);
  return ok;
}

bool own_fixed_walk(own_fixed_t *h, own_fixed_walk_fn fn, void *ctx) {
  if (!live_heap(h) || !fn) return false;
  LOCK(h);
  bool ok = true;
  /* Regions in address order is not promised; the first region comes first. */
  for (const region_t *r = &h->first_region; ok && r; r = r->next) {
    blk_t *b = r->first;
    while (b != r->end) {
      size_t sz = bsize(b);
      if (!(b->size & F_BLK) || sz < MINB || sz > (size_t)((uintptr_t)r->end - (uintptr_t)b)) {
        ok = false;
        break;
      }
      if (!fn(payload(b), sz - G, bused(b), ctx)) {
        UNLOCK(h);
        return true;
      }
      b = bnext(b);
    }
  }
  UNLOCK(h);
  return ok;
}

