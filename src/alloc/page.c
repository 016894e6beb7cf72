/* alloc/page.c — pages and the allocation slow path.
 *
 * The fast path (alloc.c) pops heap->direct[size/16]->free. When that list is
 * empty it comes here: drain the pages other threads notified, then walk the
 * size class's queue — for each page, take its remote frees, carve more fresh
 * blocks (a page is carved 4 KiB at a time, so a new page costs nothing until
 * used), and move the page to heap->full if nothing is left. Only when the
 * queue is exhausted does a new page come from a segment.
 *
 * The notify protocol on page->xfree (internal.h) keeps full pages out of
 * every walk and still lets their remote frees bring them back.
 */
#include <errno.h>
#include <string.h>

#include "alloc/internal.h"
#include "core/options.h"
#include "os/os.h"

own_page_t _own_page_empty;

#define BIN_SIZE_SMALL(b) ((b) * 16u)
#define MID_(b) ((b) >= 17 ? (b)-17u : 0u) /* class index from 288 B (never negative: */
                                           /* both branches of BS are compiled)       */
#define BIN_SIZE_LARGE(b) ((256u << MID_(b) / 8) + (MID_(b) % 8 + 1) * (32u << MID_(b) / 8))
#define BS(b) ((b) <= 16 ? BIN_SIZE_SMALL(b) : BIN_SIZE_LARGE(b))
#define BS8_(b) BS(b), BS(b + 1), BS(b + 2), BS(b + 3), BS(b + 4), BS(b + 5), BS(b + 6), BS(b + 7)
const uint32_t _own_bin_size[BIN_COUNT] = {0,       BS8_(1),  BS8_(9),  BS8_(17), BS8_(25), BS8_(33),
                                           BS8_(41), BS8_(49), BS8_(57), BS8_(65), BS8_(73)};
_Static_assert(BS(80) == 64 * 1024, "the last size class is MEDIUM_MAX");
_Static_assert(BS(16) == 256 && BS(17) == 288 && BS(24) == 512 && BS(25) == 576 && BS(32) == 1024 &&
                   BS(33) == 1152 && BS(73) == 36864,
               "16-byte steps to 256, then eight classes per power of two");

/* ---- queues ---- */

own_page_queue_t *_own_page_queue(own_heap_t *heap, own_page_t *page) {
  return page->in_full ? &heap->full : &heap->queues[page->bin];
}

/* Points the direct entries of `bin` (sizes of that class, in 16-byte steps)
 * at `page`. */
void _own_direct_set(own_heap_t *heap, unsigned bin, own_page_t *page) {
  unsigned lo = bin == 1 ? 0 : _own_bin_size[bin - 1] / 16 + 1;
  unsigned hi = _own_bin_size[bin] / 16;
  for (unsigned i = lo; i <= hi; i++) heap->direct[i] = page;
}

static void direct_update(own_heap_t *heap, unsigned bin) {
  if (bin == 0 || _own_bin_size[bin] > DIRECT_MAX) return;
  own_page_t *page = heap->queues[bin].first;
  _own_direct_set(heap, bin, page ? page : &_own_page_empty);
}

/* After every change to a queue: only a one-slice page alone in its queue may
 * stay when its last block comes back (page->keep_empty, read by the owner's
 * free without a call). Pages in heap->full take the slow path anyway. A page
 * outside every queue has keep_empty 0 (page_setup, queue_unlink), so only
 * the old and the new first page of a queue can change. */
static void queue_mark(own_page_queue_t *q) {
  own_page_t *first = q->first;
  if (first) first->keep_empty = first == q->last && first->slice_count == 1;
}

static void queue_push_front(own_page_queue_t *q, own_page_t *page) {
  page->prev = NULL;
  page->next = q->first;
  if (q->first) {
    q->first->prev = page;
    q->first->keep_empty = 0;
  } else {
    q->last = page;
  }
  q->first = page;
  queue_mark(q);
}

static void queue_push_back(own_page_queue_t *q, own_page_t *page) {
  page->next = NULL;
  page->prev = q->last;
  if (q->last) {
    q->last->next = page;
    q->last->keep_empty = 0;
  } else {
    q->first = page;
  }
  q->last = page;
  queue_mark(q);
}

static void queue_unlink(own_page_queue_t *q, own_page_t *page) {
  if (page->prev) page->prev->next = page->next;
  else q->first = page->next;
  if (page->next) page->next->prev = page->prev;
  else q->last = page->prev;
  page->next = page->prev = NULL;
  page->keep_empty = 0;
  queue_mark(q);
}

void _own_queue_remove(own_heap_t *heap, own_page_t *page) {
  own_page_queue_t *q = _own_page_queue(heap, page);
  bool was_first = q->first == page;
  queue_unlink(q, page);
  if (was_first && !page->in_full) direct_update(heap, page->bin);
}

/* ---- remote frees ---- */

/* The owner's view of a page whose blocks were all freed remotely and purged:
 * empty, to be carved again from memory that reads as zero. */
static void reset_purged(own_page_t *page) {
  page->free = NULL;
  page->used = 0;
  page->capacity = 0;
  page->is_zero = 1;
  page->purged = 1;
}

static inline bool is_busy(uintptr_t x) {
  uintptr_t st = x & XF_STATE;
  return st == XF_NOTIFYING || st == XF_CLAIMED;
}

static void wait_not_notifying(own_page_t *page) {
  while (is_busy(atomic_load_explicit(&page->xfree, memory_order_acquire))) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
}

size_t _own_page_collect(own_page_t *page) {
  uintptr_t x = atomic_load_explicit(&page->xfree, memory_order_relaxed);
  if ((x & XF_STATE) == XF_PURGED) {
    if (atomic_compare_exchange_strong_explicit(&page->xfree, &x, XF_NORMAL, memory_order_acquire,
                                                memory_order_relaxed)) {
      size_t n = page->used;
      reset_purged(page);
      return n;
    }
  }
  if ((x & ~(uintptr_t)XF_STATE) == 0) return 0;
  while (!atomic_compare_exchange_weak_explicit(&page->xfree, &x, x & XF_STATE, memory_order_acquire,
                                                memory_order_relaxed)) {
  }
  own_block_t *list = _own_xf_list(x);
  size_t n = _own_xf_count(x);
  if (!list) return 0;
  if (page->free) { /* join the lists: only now is a walk needed */
    own_block_t *tail = list;
    for (own_block_t *next; (next = _own_link_next(tail)) != NULL;) tail = next;
    OWN_TRACK_LINK_OPEN(tail);
    tail->next = page->free;
    OWN_TRACK_LINK_CLOSE(tail);
  }
  page->free = list;
  page->used -= (uint32_t)n;
  return n;
}

/* Puts the page on its heap's notified list; the caller holds the state at
 * NOTIFYING (or CLAIMED), which keeps the heap alive, and sets `final` after. */
static void notify_heap(own_page_t *page, uintptr_t final) {
  own_heap_t *heap = page->heap;
  /* At most once on the list: the flag is cleared by the drain that took it. */
  if (!atomic_exchange_explicit(&page->notify_queued, 1, memory_order_acq_rel)) {
    own_page_t *head = atomic_load_explicit(&heap->notified, memory_order_relaxed);
    do {
      page->notify_next = head;
    } while (!atomic_compare_exchange_weak_explicit(&heap->notified, &head, page, memory_order_release,
                                                    memory_order_relaxed));
  }
  uintptr_t x = atomic_load_explicit(&page->xfree, memory_order_relaxed);
  while (!atomic_compare_exchange_weak_explicit(&page->xfree, &x, (x & ~(uintptr_t)XF_STATE) | final,
                                                memory_order_release, memory_order_relaxed)) {
  }
}

/* Every block of a full page is on xfree (so the owner cannot touch the page's
 * memory): take the list, make sure, give the memory back. */
static void remote_purge(own_page_t *page) {
  uintptr_t x = atomic_load_explicit(&page->xfree, memory_order_relaxed);
  if ((x & XF_STATE) != XF_NOTIFY) return;
  if (!atomic_compare_exchange_strong_explicit(&page->xfree, &x, XF_CLAIMED, memory_order_acquire,
                                               memory_order_relaxed))
    return;
  own_block_t *list = _own_xf_list(x);
  size_t count = _own_xf_count(x);
  uintptr_t lo = (uintptr_t)page->start, hi = lo + page->area;
  size_t n = 0;
  own_block_t *tail = NULL;
  for (own_block_t *b = list; b && n <= page->reserved; b = _own_link_next(b)) {
    if ((uintptr_t)b < lo || (uintptr_t)b >= hi) break;
    tail = b;
    n++;
  }
  if (n != page->reserved || n != count || !tail || _own_link_next(tail) != NULL) {
    /* Not every block after all: put the list back and notify as usual. */
    x = atomic_load_explicit(&page->xfree, memory_order_relaxed);
    if (tail) OWN_TRACK_LINK_OPEN(tail);
    uintptr_t nx;
    do {
      own_block_t *arrived = _own_xf_list(x); /* pushed while we held the list */
      if (tail) tail->next = arrived;
      nx = (list ? (uintptr_t)list : (uintptr_t)arrived) | ((count + _own_xf_count(x)) << XF_COUNT_SHIFT) |
           XF_NOTIFYING;
    } while (!atomic_compare_exchange_weak_explicit(&page->xfree, &x, nx, memory_order_release,
                                                    memory_order_relaxed));
    notify_heap(page, XF_NOTIFY);
    return;
  }
  _own_os_purge(page->start, (size_t)page->slice_count << SLICE_SHIFT);
  notify_heap(page, XF_PURGED);
}

/* Pushes n blocks of the page, linked first..last, on its xfree list: one
 * compare-and-swap however many. The caller has opened last's link word. */
void _own_free_remote_list(own_page_t *page, own_block_t *first, own_block_t *last, size_t n) {
  bool queued = atomic_load_explicit(&page->notify_queued, memory_order_relaxed);
  uintptr_t x = atomic_load_explicit(&page->xfree, memory_order_relaxed);
  uintptr_t state, nx;
  size_t count;
  bool notify;
  do {
    state = x & XF_STATE;
    count = _own_xf_count(x) + n;
    last->next = _own_xf_list(x);
    notify = state == XF_NOTIFY && !queued && count < page->reserved;
    nx = (uintptr_t)first | ((uintptr_t)count << XF_COUNT_SHIFT) | (notify ? XF_NOTIFYING : state);
  } while (!atomic_compare_exchange_weak_explicit(&page->xfree, &x, nx, memory_order_release,
                                                  memory_order_relaxed));
  OWN_TRACK_LINK_CLOSE(last);
  if (state != XF_NOTIFY) return;
  if (count >= page->reserved) {
    size_t bytes = (size_t)page->slice_count << SLICE_SHIFT;
    size_t idle = atomic_fetch_add_explicit(&page->heap->remote_idle, bytes, memory_order_relaxed) + bytes;
    if (idle > (size_t)_own_option(OWN_OPT_PURGE_KIB) * 1024) remote_purge(page);
  } else if (notify) {
    /* This free made a full page usable again: tell its heap. While the state
     * is NOTIFYING the owner neither retires the page nor lets the heap go.
     * The page stays armed (NOTIFY) so that, if every block comes back while
     * the owner sleeps, the last free purges it. */
    notify_heap(page, XF_NOTIFY);
  }
}

void _own_page_set_never(own_page_t *page) {
  uintptr_t x = atomic_load_explicit(&page->xfree, memory_order_relaxed);
  for (;;) {
    if (is_busy(x)) {
      wait_not_notifying(page);
      x = atomic_load_explicit(&page->xfree, memory_order_relaxed);
      continue;
    }
    if ((x & XF_STATE) == XF_PURGED) {
      _own_page_collect(page);
      x = atomic_load_explicit(&page->xfree, memory_order_relaxed);
      continue;
    }
    if (atomic_compare_exchange_weak_explicit(&page->xfree, &x, (x & ~(uintptr_t)XF_STATE) | XF_NEVER,
                                              memory_order_acq_rel, memory_order_relaxed))
      return;
  }
}

/* Arms NOTIFY on a page that just went to heap->full. False when blocks
 * arrived meanwhile (the caller collects them) or a notification is pending. */
static bool arm_notify(own_page_t *page) {
  if (atomic_load_explicit(&page->notify_queued, memory_order_relaxed)) return true;
  uintptr_t x = atomic_load_explicit(&page->xfree, memory_order_relaxed);
  for (;;) {
    if ((x & XF_STATE) != XF_NORMAL) return true; /* NOTIFYING: a notice is on its way */
    if ((x & ~(uintptr_t)XF_STATE) != 0) return false;
    if (atomic_compare_exchange_weak_explicit(&page->xfree, &x, XF_NOTIFY, memory_order_acq_rel,
                                              memory_order_relaxed))
      return true;
  }
}

/* ---- full pages ---- */

static void to_full(own_heap_t *heap, own_page_t *page) {
  _own_queue_remove(heap, page);
  page->in_full = 1;
  queue_push_back(&heap->full, page);
}

static void disarm(own_page_t *page) {
  uintptr_t x = atomic_load_explicit(&page->xfree, memory_order_relaxed);
  for (;;) {
    if (is_busy(x)) {
      wait_not_notifying(page);
      x = atomic_load_explicit(&page->xfree, memory_order_relaxed);
      continue;
    }
    if ((x & XF_STATE) != XF_NOTIFY) return;
    if (atomic_compare_exchange_weak_explicit(&page->xfree, &x, x & ~(uintptr_t)XF_STATE,
                                              memory_order_acq_rel, memory_order_relaxed))
      return;
  }
}

static void unfull(own_heap_t *heap, own_page_t *page) {
  disarm(page);
  queue_unlink(&heap->full, page);
  page->in_full = 0;
  /* To the back: the current page keeps serving until it runs dry, and this
   * one gathers more free blocks before its turn (fewer slow paths, and
   * allocations stay together in memory). */
  own_page_queue_t *q = &heap->queues[page->bin];
  queue_push_back(q, page);
  if (q->first == page) direct_update(heap, page->bin);
}

/* Returns an empty page to its segment. A page still on heap->notified stays
 * where it is: the next drain sees it empty and retires it then (retiring it
 * now would leave a freed page on that list). */
void _own_page_retire(own_heap_t *heap, own_page_t *page) {
  wait_not_notifying(page);
  if (atomic_load_explicit(&page->notify_queued, memory_order_acquire)) return;
  _own_queue_remove(heap, page);
  page->in_full = 0;
  atomic_store_explicit(&page->xfree, XF_NORMAL, memory_order_relaxed);
  _own_span_free(heap->tld, page);
}

void _own_heap_drain_notified(own_heap_t *heap) {
  atomic_store_explicit(&heap->remote_idle, 0, memory_order_relaxed);
  own_page_t *page = atomic_exchange_explicit(&heap->notified, NULL, memory_order_acquire);
  while (page) {
    own_page_t *next = page->notify_next;
    wait_not_notifying(page);
    atomic_store_explicit(&page->notify_queued, 0, memory_order_relaxed);
    if (page->heap == heap && page->slice_count != 0 && page->in_full) {
      _own_page_collect(page);
      if (page->used == 0) _own_page_retire(heap, page);
      else if (page->free) unfull(heap, page);
      else if (!arm_notify(page)) {
        _own_page_collect(page);
        if (page->used == 0) _own_page_retire(heap, page);
        else unfull(heap, page);
      }
    }
    page = next;
  }
}

/* ---- fresh blocks ---- */

static void page_extend(own_page_t *page) {
  uint32_t bsize = page->block_size;
  uint32_t n = page->reserved - page->capacity;
  uint32_t want = bsize >= 4096 ? 1 : 4096 / bsize;
  if (n > want) n = want;
  uint8_t *first = page->start + (size_t)page->capacity * bsize;
  uint8_t *p = first;
  for (uint32_t i = 1; i < n; i++) {
    OWN_TRACK_LINK_OPEN(p);
    ((own_block_t *)p)->next = (own_block_t *)(p + bsize);
    OWN_TRACK_LINK_CLOSE(p);
    p += bsize;
  }
  OWN_TRACK_LINK_OPEN(p);
  ((own_block_t *)p)->next = page->free;
  OWN_TRACK_LINK_CLOSE(p);
  page->free = (own_block_t *)first;
  page->capacity += n;
  page->purged = 0;
}

/* Whether other threads may keep this page's blocks in their foreign caches. */
static bool foreign_ok(const own_heap_t *heap, unsigned bin) {
  return heap->is_default && bin >= FOREIGN_BIN_MIN && bin <= FOREIGN_BIN_MAX;
}
_Static_assert(BS(FOREIGN_BIN_MAX) <= SMALL_MAX, "foreign-cache classes live on one-slice pages");

static void set_foreign_bin(own_page_t *page, uint8_t bin) {
  own_segment_t *seg = _own_segment_of(page->start);
  seg->foreign_bin[page - seg->pages] = bin;
}

static void page_setup(own_heap_t *heap, own_page_t *page, uint32_t bsize, unsigned bin, uint32_t span) {
  page->block_size = bsize;
  page->reserved = span / bsize;
  page->area = page->reserved * bsize;
  _own_div_setup(bsize, &page->div_inv, &page->div_shift);
  page->bin = (uint8_t)bin;
  page->heap = heap;
  set_foreign_bin(page, foreign_ok(heap, bin) ? (uint8_t)bin : 0);
  page->capacity = 0;
  page->used = 0;
  page->free = NULL;
  page->in_full = 0;
  page->keep_empty = 0;
  atomic_store_explicit(&page->notify_queued, 0, memory_order_relaxed);
  atomic_store_explicit(&page->xfree, XF_NORMAL, memory_order_relaxed);
}

static own_page_t *page_new(own_heap_t *heap, unsigned bin) {
  uint32_t bsize = _own_bin_size[bin];
  size_t slices = bsize <= SMALL_MAX ? 1 : MEDIUM_PAGE_SLICES;
  own_page_t *page = _own_span_alloc(heap->tld, slices);
  if (!page) return NULL;
  page_setup(heap, page, bsize, bin, (uint32_t)(slices << SLICE_SHIFT));
  queue_push_front(&heap->queues[bin], page);
  direct_update(heap, bin);
  return page;
}

static void *large_alloc(own_heap_t *heap, size_t size, bool zero) {
  size_t slices = (size + SLICE_SIZE - 1) >> SLICE_SHIFT;
  own_page_t *page = _own_span_alloc(heap->tld, slices);
  if (!page) {
    errno = ENOMEM;
    return NULL;
  }
  uint32_t bytes = (uint32_t)(slices << SLICE_SHIFT);
  page_setup(heap, page, bytes, 0, bytes);
  page->capacity = 1;
  page->used = 1;
  page->in_full = 1;
  queue_push_back(&heap->full, page);
  atomic_store_explicit(&page->xfree, XF_NOTIFY, memory_order_release);
  OWN_TRACK_ALLOC(page->start, bytes, zero);
  if (zero && !page->is_zero) memset(page->start, 0, size);
  return page->start;
}

/* ---- the slow path ---- */

static inline void *page_pop(own_page_t *page, size_t size, bool zero) {
  own_block_t *b = page->free;
  OWN_TRACK_LINK_OPEN(b);
  page->free = b->next;
  page->used++;
  OWN_TRACK_ALLOC(b, page->block_size, zero); /* first: memcheck sees the block live */
  if (zero) memset(b, 0, size);
  return b;
}

void *_own_malloc_slow(own_heap_t *heap, size_t size, bool zero) {
  if (OWN_UNLIKELY_(heap == &_own_heap_empty)) heap = _own_thread_init();
  if (OWN_UNLIKELY_(!heap)) {
    errno = ENOMEM;
    return NULL;
  }
  if (size > MEDIUM_MAX) {
    if (size > LARGE_MAX) return _own_huge_alloc(heap, size, 0, zero);
    return large_alloc(heap, size, zero);
  }
  unsigned bin = _own_bin(size);
  if (bin >= FOREIGN_BIN_MIN && bin <= FOREIGN_BIN_MAX && heap->is_default) {
    /* The direct page ran dry: blocks freed here from other threads' pages
     * come first; when those run out, the class's own pages again. */
    own_page_t *f = &heap->foreign[bin];
    if (f->free) {
      _own_direct_set(heap, bin, f);
      return page_pop(f, size, zero);
    }
    if (heap->direct[f->direct_last] == f) direct_update(heap, bin);
  }
  if (atomic_load_explicit(&heap->notified, memory_order_relaxed)) _own_heap_drain_notified(heap);
  own_page_queue_t *q = &heap->queues[bin];
  own_page_t *page = q->first;
  while (page) {
    own_page_t *next = page->next;
    if (!page->free) _own_page_collect(page);
    if (!page->free && page->capacity < page->reserved) page_extend(page);
    if (page->free) {
      if (page != q->first) {
        queue_unlink(q, page);
        queue_push_front(q, page);
        direct_update(heap, bin);
      }
      return page_pop(page, size, zero);
    }
    to_full(heap, page);
    if (!arm_notify(page)) {
      _own_page_collect(page);
      unfull(heap, page);
      return page_pop(page, size, zero);
    }
    page = next;
  }
  page = page_new(heap, bin);
  if (!page) {
    errno = ENOMEM;
    return NULL;
  }
  page_extend(page);
  return page_pop(page, size, zero);
}

/* A local free found the page empty (used == 0) and not to be kept
 * (keep_empty), or in heap->full. */
void _own_free_slow_local(own_page_t *page) {
  own_heap_t *heap = page->heap;
  if (page->used == 0) _own_page_retire(heap, page);
  else if (page->in_full) unfull(heap, page);
}

/* ---- adoption, release ---- */

void _own_page_adopt(own_heap_t *heap, own_page_t *page) {
  page->heap = heap;
  /* The blocks still out were allocated by the thread that exited; those that
   * other threads free come back here (not to their foreign caches), so the
   * adopting thread gets the page's space back. A page set up anew (page_setup) is
   * open to the caches again. */
  set_foreign_bin(page, 0);
  page->in_full = 0;
  atomic_store_explicit(&page->notify_queued, 0, memory_order_relaxed);
  wait_not_notifying(page);
  _own_page_collect(page); /* takes a PURGED state before it is overwritten */
  uintptr_t x = atomic_load_explicit(&page->xfree, memory_order_relaxed);
  while (!atomic_compare_exchange_weak_explicit(&page->xfree, &x, (x & ~(uintptr_t)XF_STATE) | XF_NORMAL,
                                                memory_order_acq_rel, memory_order_relaxed)) {
  }
  _own_page_collect(page);
  if (page->used == 0) {
    page->in_full = 0;
    _own_span_free(heap->tld, page);
    return;
  }
  if (page->bin == 0) { /* a large block */
    page->in_full = 1;
    queue_push_back(&heap->full, page);
    if (!arm_notify(page)) {
      _own_page_collect(page);
      if (page->used == 0) _own_page_retire(heap, page);
    }
    return;
  }
  own_page_queue_t *q = &heap->queues[page->bin];
  if (q->first) {
    queue_push_back(q, page);
  } else {
    queue_push_front(q, page);
    direct_update(heap, page->bin);
  }
}

/* Returns pages to their segments: with `all`, every page of the heap (its
 * blocks die: own_heap_destroy); otherwise only pages with no block in use. */
void _own_heap_release_pages(own_heap_t *heap, bool all) {
  _own_heap_drain_notified(heap);
  for (unsigned bin = 0; bin <= BIN_COUNT; bin++) {
    own_page_queue_t *q = bin < BIN_COUNT ? &heap->queues[bin] : &heap->full;
    own_page_t *page = q->first;
    while (page) {
      own_page_t *next = page->next;
      _own_page_collect(page);
      if (all) {
        wait_not_notifying(page);
        page->used = 0;
      }
      if (page->used == 0) _own_page_retire(heap, page);
      page = next;
    }
  }
}
