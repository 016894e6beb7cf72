/* alloc/alloc.c — the malloc family, the Layout API and the heap API: the
 * fast paths live here and everything else is a call into page.c / huge.c.
 *
 * malloc(n <= 1 KiB): thread-local heap -> direct[(n+15)/16] -> pop the page's
 * free list. free(p): segment = (p-1) & ~(4 MiB-1); check the segment map (a
 * pointer own never handed out is reported, never followed); owned by this
 * thread -> check p is a block start of its page (one multiply), push on the
 * page's free list; otherwise keep it in this thread's foreign cache
 * (foreign.c) or push it on the page's atomic remote list. No lock, no atomic
 * read-modify-write on the owner's path.
 *
 * With OWN_OVERRIDE the standard names are aliases of the own_ functions, so
 * libown.so under LD_PRELOAD, or libown.a linked in, replaces malloc.
 */
#include <errno.h>
#include <string.h>

#include "alloc/internal.h"
#include "os/os.h"

/* ---- allocation ---- */

static void *heap_malloc_generic(own_heap_t *heap, size_t n, bool zero) {
  if (OWN_UNLIKELY_(n > (size_t)PTRDIFF_MAX)) {
    errno = ENOMEM;
    return NULL;
  }
  if (n <= MEDIUM_MAX) {
    own_page_t *page = heap->queues[_own_bin(n)].first;
    if (page && page->free) {
      void *p = _own_heap_pop(page);
      if (zero) memset(p, 0, n);
      return p;
    }
  }
  return _own_malloc_slow(heap, n, zero);
}

static inline void *heap_malloc(own_heap_t *heap, size_t n) {
  if (OWN_LIKELY_(n <= DIRECT_MAX)) return _own_heap_malloc_small(heap, n);
  return heap_malloc_generic(heap, n, false);
}

static inline void *heap_calloc(own_heap_t *heap, size_t count, size_t size) {
  size_t n;
  if (OWN_UNLIKELY_(__builtin_mul_overflow(count, size, &n))) {
    errno = ENOMEM;
    return NULL;
  }
  if (OWN_LIKELY_(n <= DIRECT_MAX)) {
    own_page_t *page = _own_heap_direct_page(heap, n);
    if (OWN_LIKELY_(page->free != NULL)) return memset(_own_heap_pop(page), 0, n);
    return _own_malloc_slow(heap, n, true);
  }
  return heap_malloc_generic(heap, n, true);
}

void *_own_heap_malloc_aligned(own_heap_t *heap, size_t size, size_t align, bool zero) {
  if (OWN_UNLIKELY_(align == 0 || (align & (align - 1)) != 0)) {
    errno = EINVAL;
    return NULL;
  }
  if (align <= BLOCK_ALIGN) return zero ? heap_calloc(heap, 1, size) : heap_malloc(heap, size);
  if (OWN_UNLIKELY_(size > (size_t)PTRDIFF_MAX || align > ((size_t)PTRDIFF_MAX >> 1))) {
    errno = ENOMEM;
    return NULL;
  }
  if (align <= SLICE_SIZE) {
    /* A size class whose blocks are all multiples of `align` apart, on a page
     * that starts at a 64 KiB boundary, gives aligned blocks for free: round
     * the size up to a multiple of align and every class size qualifies. */
    size_t n = ((size ? size : 1) + align - 1) & ~(align - 1);
    if (n <= LARGE_MAX) return heap_malloc_generic(heap, n, zero);
  }
  return _own_huge_alloc(heap, size, align, zero);
}

/* ---- free ---- */

void _own_invalid_free(const void *p) {
  own_report(OWN_ERR_INVALID_FREE, p, "free(%p): not a block allocated by own (ignored)", p);
}

/* The free of a block this thread does not own (out of line, like
 * free_foreign: the owner's path in own_free keeps its registers). */
static __attribute__((noinline)) void free_other(own_segment_t *seg, void *p, uintptr_t owner) {
  if (owner == 0) { /* a huge block, or a segment whose thread exited */
    if (seg->kind == SEG_HUGE) {
      _own_huge_free(seg, p);
      return;
    }
    if (OWN_UNLIKELY_(seg->magic != SEGMENT_MAGIC)) {
      _own_invalid_free(p);
      return;
    }
  }
  own_page_t *page = _own_page_of(seg, p);
  if (OWN_UNLIKELY_(!_own_is_block_start(page, p))) {
    _own_invalid_free(p);
    return;
  }
  OWN_TRACK_FREE(p);
  OWN_TRACK_LINK_OPEN(p);
  _own_free_remote(page, (own_block_t *)p);
  /* Abandoned (perhaps just now, by an exiting owner): this thread adopts. */
  if (owner == 0 || OWN_UNLIKELY_(atomic_load_explicit(&seg->thread_id, memory_order_relaxed) == 0))
    _own_segment_reclaim_on_free(seg);
}

/* Another thread's block: kept in this thread's foreign cache when its page
 * allows (foreign.c); its class comes from the segment's foreign_bin line and
 * its check from this thread's list for the class, not from the owner's page. */
static __attribute__((noinline)) void free_foreign(own_segment_t *seg, void *p, uintptr_t owner) {
  if (owner != 0) {
    unsigned bin = seg->foreign_bin[((uintptr_t)p - (uintptr_t)seg) >> SLICE_SHIFT];
    own_heap_t *heap = _own_tl_heap;
    if (bin != 0 && OWN_LIKELY_(heap != &_own_heap_empty)) {
      if (OWN_UNLIKELY_(!_own_foreign_block_start(&heap->foreign[bin], p))) {
        _own_invalid_free(p);
        return;
      }
      OWN_TRACK_FREE(p);
      _own_foreign_push(heap, bin, (own_block_t *)p);
      return;
    }
  }
  free_other(seg, p, owner);
}

void own_free(void *p) {
  own_segment_t *seg = _own_segment_of(p);
  if (OWN_UNLIKELY_(!_own_segmap_has((uintptr_t)seg))) {
    if (p) _own_invalid_free(p);
    return;
  }
  uintptr_t owner = atomic_load_explicit(&seg->thread_id, memory_order_relaxed);
  if (OWN_LIKELY_(owner == _own_thread_id())) {
    own_page_t *page = _own_page_of(seg, p);
    __asm__("" : "+r"(page)); /* keep the pointer: compilers recompute it per use */
    if (OWN_UNLIKELY_(!_own_is_block_start(page, p))) {
      _own_invalid_free(p);
      return;
    }
    OWN_TRACK_FREE(p);
    _own_free_local(page, (own_block_t *)p);
    return;
  }
  free_foreign(seg, p, owner);
}

size_t _own_usable_size(const void *p) {
  own_segment_t *seg = _own_segment_of(p);
  if (!_own_segmap_has((uintptr_t)seg)) return 0;
  if (seg->kind == SEG_HUGE) return p == seg->huge_block ? seg->huge_size : 0;
  own_page_t *page = _own_page_of(seg, p);
  return _own_is_block_start(page, p) ? page->block_size : 0;
}

/* ---- realloc ---- */

static void *heap_realloc(own_heap_t *heap, void *p, size_t n) {
  if (!p) return heap_malloc(heap, n);
  size_t usable = _own_usable_size(p);
  if (OWN_UNLIKELY_(usable == 0)) {
    own_report(OWN_ERR_INVALID_FREE, p, "realloc(%p): not a block allocated by own", p);
    errno = EINVAL;
    return NULL;
  }
  if (n == 0) {
    void *q = heap_malloc(heap, 0);
    if (q) own_free(p);
    return q;
  }
  if (OWN_UNLIKELY_(n > (size_t)PTRDIFF_MAX)) {
    errno = ENOMEM;
    return NULL;
  }
  /* In place when it fits and does not waste more than half the block. */
  if (n <= usable && (n >= usable / 2 || usable <= 64)) return p;
  if (usable > LARGE_MAX && n > LARGE_MAX) {
    void *q = _own_huge_realloc(_own_segment_of(p), p, n);
    if (q) {
#if defined(OWN_VALGRIND)
      OWN_TRACK_FREE(p);
      OWN_TRACK_ALLOC(q, _own_usable_size(q), 1);
#endif
      return q;
    }
  }
  /* A block that outgrows its class moves up by a quarter at least: a string
   * grown by small appends then moves at most four times per doubling, though
   * the classes are finer than that. */
  size_t grown = usable + usable / 4;
  void *q = heap_malloc(heap, n > usable && n < grown && grown <= MEDIUM_MAX ? grown : n);
  if (!q) return NULL;
  memcpy(q, p, usable < n ? usable : n);
  own_free(p);
  return q;
}

/* ---- the own_ malloc family ---- */

void *own_malloc(size_t size) { return heap_malloc(_own_tl_heap, size); }
void *own_calloc(size_t n, size_t size) { return heap_calloc(_own_tl_heap, n, size); }
void *own_mrealloc(void *p, size_t size) { return heap_realloc(_own_tl_heap, p, size); }

void *own_reallocarray(void *p, size_t n, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) {
    errno = ENOMEM;
    return NULL;
  }
  return heap_realloc(_own_tl_heap, p, total);
}

int own_posix_memalign(void **out, size_t align, size_t size) {
  if (align == 0 || (align & (align - 1)) != 0 || align % sizeof(void *) != 0) return EINVAL;
  int saved = errno;
  void *p = _own_heap_malloc_aligned(_own_tl_heap, size, align, false);
  errno = saved;
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}

void *own_aligned_alloc(size_t align, size_t size) {
  return _own_heap_malloc_aligned(_own_tl_heap, size, align, false);
}
void *own_memalign(size_t align, size_t size) {
  return _own_heap_malloc_aligned(_own_tl_heap, size, align, false);
}
void *own_valloc(size_t size) {
  return _own_heap_malloc_aligned(_own_tl_heap, size, _own_os_page_size(), false);
}
void *own_pvalloc(size_t size) {
  size_t page = _own_os_page_size();
  if (size > (size_t)PTRDIFF_MAX) {
    errno = ENOMEM;
    return NULL;
  }
  size_t n = size ? (size + page - 1) & ~(page - 1) : page;
  return _own_heap_malloc_aligned(_own_tl_heap, n, page, false);
}

size_t own_malloc_usable_size(const void *p) { return p ? _own_usable_size(p) : 0; }

void own_free_sized(void *p, size_t size) {
  if (!p) return;
  size_t usable = _own_usable_size(p);
  if (usable != 0 && size > usable) {
    own_report(OWN_ERR_INVALID_FREE, p, "free_sized(%p, %zu): the block holds only %zu bytes (ignored)", p,
               size, usable);
    return;
  }
  own_free(p);
}

void own_free_aligned_sized(void *p, size_t align, size_t size) {
  if (!p) return;
  if (align == 0 || (align & (align - 1)) != 0 || ((uintptr_t)p & (align - 1)) != 0) {
    own_report(OWN_ERR_INVALID_FREE, p, "free_aligned_sized(%p, %zu, %zu): block is not so aligned (ignored)",
               p, align, size);
    return;
  }
  own_free_sized(p, size);
}

/* ---- Layout API ---- */

void *own_alloc(own_layout_t l) { return _own_heap_malloc_aligned(_own_tl_heap, l.size, l.align, false); }
void *own_alloc_zeroed(own_layout_t l) { return _own_heap_malloc_aligned(_own_tl_heap, l.size, l.align, true); }
void own_dealloc(void *p, own_layout_t l) {
  (void)l;
  own_free(p);
}

static void *heap_realloc_aligned(own_heap_t *heap, void *p, size_t align, size_t n) {
  if (align <= BLOCK_ALIGN) return heap_realloc(heap, p, n);
  if (!p) return _own_heap_malloc_aligned(heap, n, align, false);
  if (align & (align - 1)) {
    errno = EINVAL;
    return NULL;
  }
  size_t usable = _own_usable_size(p);
  if (usable == 0) {
    own_report(OWN_ERR_INVALID_FREE, p, "own_realloc(%p): not a block allocated by own", p);
    errno = EINVAL;
    return NULL;
  }
  if (n <= usable && n >= usable / 2 && ((uintptr_t)p & (align - 1)) == 0) return p;
  void *q = _own_heap_malloc_aligned(heap, n, align, false);
  if (!q) return NULL;
  memcpy(q, p, usable < n ? usable : n);
  own_free(p);
  return q;
}

void *own_realloc(void *p, own_layout_t l, size_t new_size) {
  return heap_realloc_aligned(_own_tl_heap, p, l.align, new_size);
}

/* ---- first-class heaps ---- */

static own_heap_t *heap_check(own_heap_t *heap) {
  if (!heap) return _own_heap_get();
  if (OWN_UNLIKELY_(heap->tld == NULL || heap->tld->thread_id != _own_thread_id())) {
    own_report(OWN_ERR_USAGE, heap, "heap %p used from a thread that does not own it", (void *)heap);
    return NULL;
  }
  return heap;
}

#define HEAP_OR_FAIL(h)   \
  do {                    \
    h = heap_check(h);    \
    if (!h) {             \
      errno = EINVAL;     \
      return NULL;        \
    }                     \
  } while (0)

void *own_heap_malloc(own_heap_t *heap, size_t size) {
  HEAP_OR_FAIL(heap);
  return heap_malloc(heap, size);
}
void *own_heap_calloc(own_heap_t *heap, size_t n, size_t size) {
  HEAP_OR_FAIL(heap);
  return heap_calloc(heap, n, size);
}
void *own_heap_realloc(own_heap_t *heap, void *p, size_t size) {
  HEAP_OR_FAIL(heap);
  return heap_realloc(heap, p, size);
}
void *own_heap_alloc(own_heap_t *heap, own_layout_t l) {
  HEAP_OR_FAIL(heap);
  return _own_heap_malloc_aligned(heap, l.size, l.align, false);
}
void *own_heap_alloc_zeroed(own_heap_t *heap, own_layout_t l) {
  HEAP_OR_FAIL(heap);
  return _own_heap_malloc_aligned(heap, l.size, l.align, true);
}

/* ---- pointers ---- */

static bool in_huge(own_segment_t *seg, const void *p) {
  return seg->kind == SEG_HUGE && (const uint8_t *)p >= seg->huge_block &&
         (const uint8_t *)p < seg->huge_block + seg->huge_size;
}

bool own_is_heap_pointer(const void *p) {
  if (!p) return false;
  own_segment_t *seg = _own_segment_of(p);
  if (_own_segmap_has((uintptr_t)seg)) {
    if (seg->kind == SEG_HUGE) return in_huge(seg, p);
    uintptr_t off = (uintptr_t)p - (uintptr_t)seg;
    if (off >= SLICE_SIZE && off < SEGMENT_SIZE) return true;
  }
  /* Deep inside a huge block: walk back to its header window. */
  uintptr_t win = (uintptr_t)p & ~(uintptr_t)SEGMENT_MASK;
  while (_own_hugemap_has(win)) {
    if (_own_segmap_has(win)) return in_huge((own_segment_t *)win, p);
    win -= SEGMENT_SIZE;
  }
  return false;
}

bool own_is_live_block(const void *p) {
  if (!p || _own_usable_size(p) == 0) return false;
  own_segment_t *seg = _own_segment_of(p);
  if (seg->kind == SEG_HUGE) return true;
  own_page_t *page = _own_page_of(seg, p);
  uint32_t index = (uint32_t)(((uintptr_t)p - (uintptr_t)page->start) / page->block_size);
  if (index >= page->capacity) return false;
  /* Walk both free lists; a bound on the walk keeps a racing list harmless. */
  size_t guard = 0;
  for (own_block_t *b = page->free; b && guard <= page->capacity; b = _own_link_next(b), guard++) {
    if (b == p) return false;
    if (!own_is_heap_pointer(b)) break;
  }
  uintptr_t x = atomic_load_explicit(&page->xfree, memory_order_acquire);
  guard = 0;
  for (own_block_t *b = _own_xf_list(x); b && guard <= page->capacity;
       b = _own_link_next(b), guard++) {
    if (b == p) return false;
    if (!own_is_heap_pointer(b)) break;
  }
  return true;
}

/* ---- the standard names ---- */

#if defined(OWN_OVERRIDE)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmissing-attributes" /* the aliases need not repeat them */
#endif
#define OWN_ALIAS(name) __attribute__((alias(#name), visibility("default"), used))
void *malloc(size_t size) OWN_ALIAS(own_malloc);
void free(void *p) OWN_ALIAS(own_free);
void *calloc(size_t n, size_t size) OWN_ALIAS(own_calloc);
void *realloc(void *p, size_t size) OWN_ALIAS(own_mrealloc);
void *reallocarray(void *p, size_t n, size_t size) OWN_ALIAS(own_reallocarray);
int posix_memalign(void **out, size_t align, size_t size) OWN_ALIAS(own_posix_memalign);
void *aligned_alloc(size_t align, size_t size) OWN_ALIAS(own_aligned_alloc);
void *memalign(size_t align, size_t size) OWN_ALIAS(own_memalign);
void *valloc(size_t size) OWN_ALIAS(own_valloc);
void *pvalloc(size_t size) OWN_ALIAS(own_pvalloc);
size_t malloc_usable_size(void *p) OWN_ALIAS(own_malloc_usable_size);
void free_sized(void *p, size_t size) OWN_ALIAS(own_free_sized);
void free_aligned_sized(void *p, size_t align, size_t size) OWN_ALIAS(own_free_aligned_sized);
void cfree(void *p) OWN_ALIAS(own_free);
#endif
