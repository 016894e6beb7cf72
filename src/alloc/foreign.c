/* alloc/foreign.c — the foreign cache: blocks a thread frees from other
 * threads' pages stay with it for its own next allocations.
 *
 * A server thread that frees what another thread allocated would otherwise
 * push every such block on the owner's xfree list (an atomic on a cache line
 * the owner also writes), and the owner would later pop a block whose link
 * word sits in the freeing core's cache: two cross-core transfers per block.
 * Kept here, the block is reused by the thread that just touched it.
 *
 * The lists are pseudo-pages in the default heap (internal.h), so heap->direct can
 * point at one and the malloc fast path pops from it unchanged. A push only
 * adds to the list; when the class's direct page runs dry, the slow path
 * serves the list first (making it the direct page) and the class's own
 * pages again when the list runs dry. Pointing the class at the list on
 * every push instead made a steady mix of local and foreign frees switch
 * the direct entries and take the slow path once per foreign block. A block
 * on the list still counts as used in its owner's page, so
 * the page (and its segment) stays put while the block is here, whatever the
 * owner does meanwhile, exiting included.
 *
 * The freeing thread learns the class and checks the block without reading
 * the owner's page: seg->foreign_bin (internal.h) names the class of each
 * one-slice page whose blocks may be kept, and the thread's own list for the
 * class carries the block check of such a page. The page's lines stay in the
 * owner's cache.
 *
 * Bounds: only the default heap's blocks of 64..1024 bytes are kept (smaller
 * ones share cache lines with blocks the owner keeps using; first-class heaps
 * can be destroyed under a block); at most OWN_THREAD_CACHE_KIB per thread,
 * split evenly over the classes. Over a class's share, half the list goes
 * back, one atomic push per run of blocks of the same page. Thread exit,
 * own_collect and fork (for the threads that did not survive it) give every
 * block back.
 */
#include "alloc/internal.h"
#include "core/options.h"
#include "os/os.h"

own_tld_t *_own_all_tlds;

void _own_foreign_init(own_heap_t *heap) {
  size_t classes = FOREIGN_BIN_MAX - FOREIGN_BIN_MIN + 1;
  size_t share = (size_t)_own_option(OWN_OPT_THREAD_CACHE_KIB) * 1024 / classes;
  for (unsigned bin = FOREIGN_BIN_MIN; bin <= FOREIGN_BIN_MAX; bin++) {
    own_page_t *f = &heap->foreign[bin];
    f->free = NULL;
    f->used = 0;
    f->bin = (uint8_t)bin;
    f->block_size = _own_bin_size[bin];
    f->direct_last = (uint8_t)(f->block_size / 16);
    _own_div_setup(f->block_size, &f->div_inv, &f->div_shift);
    f->reserved = (uint32_t)(SLICE_SIZE / f->block_size);
    size_t limit = share / f->block_size;
    f->keep_max = 0u - (uint32_t)(limit > UINT16_MAX ? UINT16_MAX : limit);
  }
}

/* Gives back the blocks first..last (n of them, all of `page`, in segment
 * seg); the thread may have adopted the segment since the blocks came. An
 * abandoned segment is adopted only if `adopt` (not by an exiting thread,
 * which would only abandon it again). */
static void give_back(own_segment_t *seg, own_page_t *page, own_block_t *first, own_block_t *last, size_t n,
                      bool adopt) {
  uintptr_t owner = atomic_load_explicit(&seg->thread_id, memory_order_relaxed);
  if (owner == _own_thread_id()) {
    for (own_block_t *b = first; n > 0; n--) {
      own_block_t *next = n > 1 ? _own_link_next(b) : NULL;
      _own_free_local(page, b);
      b = next;
    }
    return;
  }
  OWN_TRACK_LINK_OPEN(last);
  _own_free_remote_list(page, first, last, n);
  if (owner == 0 && adopt) _own_segment_reclaim_on_free(seg);
}

void _own_foreign_flush(own_heap_t *heap, unsigned bin, uint32_t keep, bool adopt) {
  own_page_t *f = &heap->foreign[bin];
  uint32_t count = _own_foreign_count(f);
  if (count <= keep) return;
  own_block_t *list;
  if (keep == 0) {
    list = f->free;
    f->free = NULL;
  } else {
    own_block_t *b = f->free;
    for (uint32_t i = 1; i < keep; i++) b = _own_link_next(b);
    list = _own_link_next(b);
    OWN_TRACK_LINK_OPEN(b);
    b->next = NULL;
    OWN_TRACK_LINK_CLOSE(b);
  }
  f->used = 0u - keep;
  while (list) {
    own_segment_t *seg = _own_segment_of(list);
    own_page_t *page = _own_page_of(seg, list);
    own_block_t *last = list, *next;
    size_t n = 1;
    while ((next = _own_link_next(last)) != NULL && _own_segment_of(next) == seg && _own_page_of(seg, next) == page) {
      last = next;
      n++;
    }
    give_back(seg, page, list, last, n, adopt);
    list = next;
  }
}

void _own_foreign_flush_all(own_heap_t *heap, bool adopt) {
  for (unsigned bin = FOREIGN_BIN_MIN; bin <= FOREIGN_BIN_MAX; bin++) _own_foreign_flush(heap, bin, 0, adopt);
}
