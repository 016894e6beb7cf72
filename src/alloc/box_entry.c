/* alloc/box_entry.c — Box's heap-form constructor as one call into the heap
 * (own/box.h, "ABI"): allocate OWN_BOX_HEAP_HEADER + size bytes, write the
 * 16-byte header {drop, layout word, tag} and return the value pointer.
 *
 * Why here and not in the ownership layer: own_box_new must cost no more than
 * the allocation it wraps, and the call into own_malloc followed by a second
 * call that writes the header was the whole difference. This entry runs
 * own_malloc's own fast path (alloc/internal.h: the thread's heap, the
 * direct[] table, _own_heap_pop from the page's free list) and
 * writes the header before it returns, so a box costs one call, like the raw
 * allocation. Blocks above DIRECT_MAX bytes go through own_malloc.
 *
 * The block is an ordinary own_malloc block in every respect (own_free frees
 * it, valgrind sees it allocated by the pop, OWN_VALGRIND); only the header
 * words are Box's. The tag and the header shape come from
 * ownership/ownership.h. own_box_drop is here too: its common case frees
 * the block on own_free's owner path, and the ownership layer's
 * _own_box_drop does everything else. So this file is built only with the
 * ownership layer (alloc/sources.cmake).
 */
#include "alloc/internal.h"
#include "os/os.h"
#include "ownership/ownership.h"

/* The header words go in as one 8-byte store of {layout, tag} and one of drop. */
static inline void *box_write(void *block, uint32_t layout, own_drop_fn_t drop) {
  _own_box_heap_hdr_t *h = (_own_box_heap_hdr_t *)block;
  h->drop = drop;
  h->layout = layout;
  h->tag = _OWN_MAGIC_BOX_HEAP;
  return (char *)block + sizeof(_own_box_heap_hdr_t);
}

/* Blocks above DIRECT_MAX, and the out-of-memory path. */
__attribute__((noinline)) static void *box_alloc_general(uint32_t layout, own_drop_fn_t drop,
                                                         bool must) {
  size_t n = sizeof(_own_box_heap_hdr_t) + (layout >> 3);
  void *block = own_malloc(n);
  if (OWN_UNLIKELY_(!block)) {
    if (must) own_out_of_memory(n);
    return NULL; /* errno = ENOMEM, from own_malloc */
  }
  return box_write(block, layout, drop);
}

/* The fast path: the size is below 2^29 (the layout word has 29 bits for it),
 * so n never overflows. */
static inline void *box_alloc(uint32_t layout, own_drop_fn_t drop, bool must) {
  size_t n = sizeof(_own_box_heap_hdr_t) + (layout >> 3);
  if (OWN_LIKELY_(n <= DIRECT_MAX)) {
    own_page_t *page = _own_heap_direct_page(_own_tl_heap, n);
    if (OWN_LIKELY_(page->free != NULL)) return box_write(_own_heap_pop(page), layout, drop);
  }
  return box_alloc_general(layout, drop, must);
}

void *_own_box_alloc(uint32_t layout, own_drop_fn_t drop) { return box_alloc(layout, drop, true); }

void *_own_box_try_alloc(uint32_t layout, own_drop_fn_t drop) {
  return box_alloc(layout, drop, false);
}

/* own_box_drop's common case, on own_free's owner path: a heap-form box
 * without a drop function, dropped by the thread that owns its segment.
 * The segment map check comes first, so the header is read only inside one
 * of own's segments (and NULL, 16 bytes below zero, fails it). The tag stands
 * in for own_free's block-start check: a live heap-form tag is only ever
 * written by box_write at a block start and turned to "dead" by every drop.
 * Everything else (NULL, a drop function, another thread's or a huge
 * segment, any other tag) goes to ownership/box.c's _own_box_drop. */
void own_box_drop(void *box) {
  _own_box_heap_hdr_t *h = (_own_box_heap_hdr_t *)((uintptr_t)box - sizeof(_own_box_heap_hdr_t));
  own_segment_t *seg = _own_segment_of(h);
  if (OWN_LIKELY_(_own_segmap_has((uintptr_t)seg)) &&
      OWN_LIKELY_(atomic_load_explicit(&seg->thread_id, memory_order_relaxed) ==
                  _own_thread_id()) &&
      OWN_LIKELY_(h->tag == _OWN_MAGIC_BOX_HEAP) && OWN_LIKELY_(h->drop == NULL)) {
    h->tag = _OWN_MAGIC_DEAD;
    OWN_TRACK_FREE(h);
    _own_free_local(_own_page_of(seg, h), (own_block_t *)h);
    return;
  }
  _own_box_drop(box);
}
