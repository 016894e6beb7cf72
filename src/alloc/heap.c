/* alloc/heap.c — threads and heaps: process start-up, a thread's first
 * allocation, thread exit, fork, and first-class heaps.
 *
 * A thread starts on _own_heap_empty, whose every direct entry is an empty
 * page, so its first malloc falls into the slow path, which lands here and
 * builds the thread's tld and default heap. Heap structures come from a small
 * pool of OS memory that is never unmapped (type-stable), so a late notifier
 * can never touch unmapped memory. At thread exit a pthread key destructor
 * abandons the thread's segments for others to adopt; its blocks stay valid.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "alloc/internal.h"
#include "core/options.h"
#include "os/os.h"

#define E1 &_own_page_empty
#define E8 E1, E1, E1, E1, E1, E1, E1, E1
own_heap_t _own_heap_empty = {.direct = {E8, E8, E8, E8, E8, E8, E8, E8, E1}};
_Static_assert(DIRECT_COUNT == 65, "direct table initializer");
__thread own_heap_t *_own_tl_heap __attribute__((tls_model("initial-exec"))) = &_own_heap_empty;

/* ---- the meta pool: tlds and heaps, never unmapped ---- */

typedef union meta {
  struct {
    own_tld_t tld;
    own_heap_t heap;
  } thread;
  own_heap_t heap;
  union meta *next_free;
} meta_t;

static meta_t *meta_free_list; /* guarded by the global lock */
static uint8_t *meta_chunk, *meta_chunk_end;

static meta_t *meta_alloc(void) {
  _own_lock();
  meta_t *m = meta_free_list;
  if (m) {
    meta_free_list = m->next_free;
  } else {
    if (meta_chunk == NULL || meta_chunk + sizeof(meta_t) > meta_chunk_end) {
      size_t size = 64 * 1024;
      meta_chunk = _own_os_map(size, 0);
      meta_chunk_end = meta_chunk ? meta_chunk + size : NULL;
    }
    if (meta_chunk) {
      m = (meta_t *)meta_chunk;
      meta_chunk += (sizeof(meta_t) + 63) & ~(size_t)63;
    }
  }
  _own_unlock();
  if (m) memset(m, 0, sizeof *m);
  return m;
}

static void meta_free(meta_t *m) {
  _own_lock();
  m->next_free = meta_free_list;
  meta_free_list = m;
  _own_unlock();
}

/* ---- process ---- */

static pthread_key_t thread_key;
static _Atomic int process_state; /* 0 not started, 1 starting, 2 ready */
static _Atomic size_t thread_count;
static _Atomic int hooks_done;

static void thread_done(void *arg);

static void tlds_unlink_locked(own_tld_t *tld) {
  own_tld_t **link = &_own_all_tlds;
  while (*link && *link != tld) link = &(*link)->all_next;
  if (*link) *link = tld->all_next;
}

static void tlds_unlink(own_tld_t *tld) {
  _own_lock();
  tlds_unlink_locked(tld);
  _own_unlock();
}

static void fork_prepare(void) { _own_lock(); }
static void fork_parent(void) { _own_unlock(); }
static void fork_child(void) {
  /* Only the forking thread lives on: every other thread's segments are
   * abandoned so that the child's threads can adopt them. */
  uintptr_t self = _own_thread_id();
  for (own_segment_t *seg = _own_all_segments; seg; seg = seg->all_next) {
    uintptr_t owner = atomic_load_explicit(&seg->thread_id, memory_order_relaxed);
    if (owner == self || owner == 0) continue;
    /* A thread that was notifying or purging when the process forked will
     * never finish in the child: clear those passing states. */
    for (unsigned i = 1; i < SLICES; i++) {
      own_page_t *page = &seg->pages[i];
      uintptr_t x = atomic_load_explicit(&page->xfree, memory_order_relaxed);
      uintptr_t st = x & XF_STATE;
      if (st == XF_NOTIFYING || st == XF_CLAIMED)
        atomic_store_explicit(&page->xfree, x & ~(uintptr_t)XF_STATE, memory_order_relaxed);
    }
    _own_segment_abandon_locked(seg);
  }
  /* The other threads' foreign caches: their blocks go back to their pages
   * (after the unlock: giving back may adopt a segment, which locks). */
  own_tld_t *gone = NULL;
  for (own_tld_t *tld = _own_all_tlds, *next; tld; tld = next) {
    next = tld->all_next;
    if (tld->thread_id == self) continue;
    tlds_unlink_locked(tld);
    tld->all_next = gone;
    gone = tld;
  }
  atomic_store_explicit(&thread_count, 1, memory_order_relaxed);
  _own_unlock();
  for (own_tld_t *tld = gone; tld; tld = tld->all_next) _own_foreign_flush_all(tld->heap, true);
}

static void print_stats_at_exit(void) {
  if (_own_option(OWN_OPT_VERBOSE)) own_stats_print(2);
}

static void process_init(void) {
  int expected = 0;
  if (atomic_compare_exchange_strong(&process_state, &expected, 1)) {
    _own_options_init();
    pthread_key_create(&thread_key, thread_done);
    atomic_store(&process_state, 2);
  }
  while (atomic_load(&process_state) != 2) {
  }
}

/* Hooks whose registration may itself allocate: run once the calling thread
 * has a heap, so that nested malloc calls succeed. */
static void process_hooks(void) {
  int expected = 0;
  if (!atomic_compare_exchange_strong(&hooks_done, &expected, 1)) return;
  pthread_atfork(fork_prepare, fork_parent, fork_child);
  atexit(print_stats_at_exit);
}

static void heap_init(own_heap_t *heap, own_tld_t *tld) {
  for (unsigned i = 0; i < DIRECT_COUNT; i++) heap->direct[i] = &_own_page_empty;
  heap->tld = tld;
  heap->next_heap = tld->heaps;
  tld->heaps = heap;
}

own_heap_t *_own_thread_init(void) {
  if (_own_tl_heap != &_own_heap_empty) return _own_tl_heap;
  process_init();
  meta_t *m = meta_alloc();
  if (!m) return NULL;
  own_tld_t *tld = &m->thread.tld;
  own_heap_t *heap = &m->thread.heap;
  tld->thread_id = _own_thread_id();
  tld->heap = heap;
  heap_init(heap, tld);
  heap->is_default = true;
  _own_foreign_init(heap);
  _own_lock();
  tld->all_next = _own_all_tlds;
  _own_all_tlds = tld;
  _own_unlock();
  _own_tl_heap = heap;
  atomic_fetch_add_explicit(&thread_count, 1, memory_order_relaxed);
  pthread_setspecific(thread_key, tld);
  process_hooks();
  return heap;
}

static void heap_abandon(own_heap_t *heap) {
  _own_heap_release_pages(heap, false);
  for (unsigned bin = 0; bin <= BIN_COUNT; bin++) {
    own_page_queue_t *q = bin < BIN_COUNT ? &heap->queues[bin] : &heap->full;
    for (own_page_t *page = q->first; page; page = page->next) _own_page_set_never(page);
  }
  _own_heap_drain_notified(heap);
  _own_huge_orphan(heap, false);
}

static void thread_done(void *arg) {
  own_tld_t *tld = arg;
  if (!tld) return;
  _own_foreign_flush_all(tld->heap, false);
  tlds_unlink(tld);
  for (own_heap_t *h = tld->heaps; h; h = h->next_heap) heap_abandon(h);
  _own_segments_abandon(tld);
  _own_tl_heap = &_own_heap_empty;
  own_heap_t *h = tld->heaps;
  while (h) {
    own_heap_t *next = h->next_heap;
    if (!h->is_default) meta_free((meta_t *)h);
    h = next;
  }
  meta_free((meta_t *)tld);
  atomic_fetch_sub_explicit(&thread_count, 1, memory_order_relaxed);
}

size_t _own_thread_count(void) { return atomic_load_explicit(&thread_count, memory_order_relaxed); }

/* ---- first-class heaps ---- */

own_heap_t *own_heap_default(void) {
  own_heap_t *h = _own_heap_get();
  if (!h) errno = ENOMEM;
  return h;
}

own_heap_t *own_heap_new(void) {
  own_heap_t *def = _own_heap_get();
  if (!def) {
    errno = ENOMEM;
    return NULL;
  }
  meta_t *m = meta_alloc();
  if (!m) {
    errno = ENOMEM;
    return NULL;
  }
  own_heap_t *heap = &m->heap;
  heap_init(heap, def->tld);
  return heap;
}

#if defined(OWN_VALGRIND)
static bool forget_block(void *block, size_t size, void *arg) {
  (void)size;
  (void)arg;
  OWN_TRACK_FREE(block);
  return true;
}
#endif

void own_heap_destroy(own_heap_t *heap) {
  if (!heap) return;
  if (heap->is_default) {
    own_report(OWN_ERR_USAGE, heap, "own_heap_destroy: the default heap of a thread cannot be destroyed");
    return;
  }
  own_tld_t *tld = heap->tld;
  if (!tld || tld->thread_id != _own_thread_id()) {
    own_report(OWN_ERR_USAGE, heap, "own_heap_destroy: heap %p belongs to another thread", (void *)heap);
    return;
  }
#if defined(OWN_VALGRIND)
  own_heap_visit(heap, forget_block, NULL); /* its live blocks die here */
#endif
  _own_heap_release_pages(heap, true);
  _own_huge_orphan(heap, true);
  own_heap_t **link = &tld->heaps;
  while (*link && *link != heap) link = &(*link)->next_heap;
  if (*link) *link = heap->next_heap;
  meta_free((meta_t *)heap);
}

/* ---- walking a heap ---- */

static bool visit_page(own_page_t *page, own_block_visitor_t visit, void *arg) {
  _own_page_collect(page);
  uint64_t freebits[SLICE_SIZE / BLOCK_ALIGN / 64] = {0}; /* one bit per block of a small page */
  uint32_t n = page->capacity;
  bool small = page->reserved <= sizeof freebits * 8;
  if (small) {
    size_t guard = 0;
    for (own_block_t *b = page->free; b && guard <= n; b = _own_link_next(b), guard++) {
      uintptr_t off = (uintptr_t)b - (uintptr_t)page->start;
      size_t i = off / page->block_size;
      if (i < n) freebits[i / 64] |= (uint64_t)1 << (i % 64);
    }
  }
  for (uint32_t i = 0; i < n; i++) {
    uint8_t *p = page->start + (size_t)i * page->block_size;
    if (small && ((freebits[i / 64] >> (i % 64)) & 1)) continue;
    if (!small) { /* rare: scan the free list for this block */
      bool is_free = false;
      size_t guard = 0;
      for (own_block_t *b = page->free; b && guard <= n; b = _own_link_next(b), guard++)
        if ((uint8_t *)b == p) {
          is_free = true;
          break;
        }
      if (is_free) continue;
    }
    if (!visit(p, page->block_size, arg)) return false;
  }
  return true;
}

bool own_heap_visit(own_heap_t *heap, own_block_visitor_t visit, void *arg) {
  if (!heap) heap = _own_heap_get();
  if (!heap || !visit) return true;
  _own_heap_drain_notified(heap);
  for (unsigned bin = 0; bin <= BIN_COUNT; bin++) {
    own_page_queue_t *q = bin < BIN_COUNT ? &heap->queues[bin] : &heap->full;
    for (own_page_t *page = q->first; page; page = page->next)
      if (!visit_page(page, visit, arg)) return false;
  }
  /* Huge blocks, in address order, one at a time: visit runs outside the
   * lock (it may allocate from another heap). */
  uintptr_t last = 0;
  for (;;) {
    void *block = NULL;
    size_t size = 0;
    _own_lock();
    for (own_segment_t *s = _own_huge_segments; s; s = s->all_next)
      if (s->huge_heap == heap && (uintptr_t)s->huge_block > last &&
          (!block || s->huge_block < (uint8_t *)block)) {
        block = s->huge_block;
        size = s->huge_size;
      }
    _own_unlock();
    if (!block) break;
    last = (uintptr_t)block;
    if (!visit(block, size, arg)) return false;
  }
  return true;
}
