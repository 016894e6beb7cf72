/* fixed/fixed_region.c — adding memory to a fixed heap (own/fixed.h).
 *
 * A region starts with a small record (next region, first block, sentinel) so
 * the walker and the checker can visit it, then its blocks, then a sentinel.
 * Its space goes in as free blocks of 2^top bytes (half the largest block),
 * the last one up to max_merge: the class range, fixed when the heap was
 * created, cannot file larger blocks. Adjacent chunks stay apart because their
 * sum exceeds max_merge, the one case where two free blocks may touch. Regions are linked behind the first one.
 */
#include "fixed/fixed_internal.h"

bool own_fixed_add_region(own_fixed_t *h, void *buf, size_t size) {
  if (!live_heap(h) || !buf) return false;
  uintptr_t a = (uintptr_t)buf;
  if (size > UINTPTR_MAX - a) return false;
  uintptr_t start = (a + G - 1) & ~(uintptr_t)(G - 1);
  uintptr_t end = (a + size) & ~(uintptr_t)(G - 1);
  size_t rec = (sizeof(region_t) + G - 1) & ~(size_t)(G - 1);
  if (end <= start || end - start < rec + G + 2 * MINB) return false;
  LOCK(h);
  region_t *r = (region_t *)start;
  blk_t *first = (blk_t *)(start + rec);
  size_t u = (size_t)(end - start) - rec - G;
  blk_t *sent = (blk_t *)((char *)first + u);
  r->first = first;
  r->end = sent;
  first->prev = h->key;
  sent->size = F_BLK | F_USED;
  /* Chunks of 2^top (half the largest block), the last one up to max_merge:
   * neighbours then sum to more than max_merge. */
  size_t chunk = (h->max_merge + G) / 2;
  blk_t *b = first;
  size_t left = u;
  while (left) {
    size_t c = left <= h->max_merge ? left : chunk; /* left - chunk >= 2^top - G */
    set_free_hdr(h, b, c);
    _own_fixed_insert(h, b, c);
    b = (blk_t *)((char *)b + c);
    left -= c;
  }
  r->next = h->first_region.next;
  h->first_region.next = r;
  if ((uintptr_t)first < h->lo) h->lo = (uintptr_t)first;
  if ((uintptr_t)sent > h->hi) h->hi = (uintptr_t)sent;
  h->capacity += u;
  UNLOCK(h);
  return true;
}
