/* alloc/internal.h — the general heap's types, constants and internal API.
 *
 * Glossary
 *   segment  4 MiB of address space, aligned to 4 MiB, owned by one thread.
 *            Slice 0 holds the segment header (all metadata of its pages), so
 *            a block's metadata is found from its address alone:
 *            segment = (p - 1) & ~(4 MiB - 1). Slices 1..63 hold blocks.
 *   slice    64 KiB, the unit a segment hands out.
 *   page     a run of slices holding blocks of one size: 1 slice for small
 *            blocks (<= 8 KiB), 8 slices for medium ones (<= 64 KiB), and for
 *            large blocks (<= 1 MiB) exactly one block spanning whole slices.
 *            A page's metadata (own_page_t) lives in the segment header.
 *   huge     a block above 1 MiB: its own OS mapping with a segment header in
 *            front (thread_id 0, kind SEG_HUGE).
 *   heap     per-thread (or first-class) set of page queues, one per size
 *            class, plus the "direct" table: for each size <= 1 KiB in 16-byte
 *            steps, the page to allocate from.
 *   tld      thread-local data: the thread's heaps, segments, segment cache.
 *
 * Block lists
 *   page->free     blocks ready to hand out; only the owning thread touches it.
 *                  free() by the owner pushes here directly.
 *   page->xfree    blocks freed by other threads: a lock-free stack in one
 *                  atomic word: the head pointer (blocks are 16-byte aligned
 *                  and below 2^48), the notify state in the low 3 bits and
 *                  the number of blocks on the list in the top 16 bits, so
 *                  the owner takes the whole list and its length with one
 *                  exchange and never walks it.
 *
 * Full pages and notification
 *   A page with no free block leaves its size-class queue for heap->full, so
 *   allocation never walks full pages. Its xfree state is set to NOTIFY: the
 *   next remote free moves it to NOTIFYING, pushes the page on the heap's
 *   atomic `notified` list, and sets it back to NORMAL. The owner drains that
 *   list in its slow path and puts the pages back in their queues. A thread
 *   that exits sets every page to NEVER (waiting out any NOTIFYING) before its
 *   heap structure can be reused, so a notifier never touches a stale heap.
 *
 * Remote purge
 *   When a page in heap->full (state NOTIFY) has all of its blocks on xfree
 *   (the count in the word says so), the freeing thread claims the list
 *   (CLAIMED), checks it by walking it, gives the page's memory back to the OS, notifies the
 *   heap and leaves the state PURGED. So memory freed by other threads goes
 *   back even while its owning thread sleeps.
 *
 * Invariants
 *   page->used = blocks handed out and not yet back on page->free (blocks on
 *   xfree still count as used until collected). A page with used == 0 is
 *   returned to its segment, except a one-slice page alone in its class's
 *   queue (keep_empty).
 *   seg->free_mask bit i <=> slice i is free; purged_mask subset of free_mask.
 *   Metadata is never inside a block a user can write to, except the link
 *   word of a free block.
 */
#ifndef OWN_ALLOC_INTERNAL_H
#define OWN_ALLOC_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "own/heap.h"

#define OWN_LIKELY_(x) __builtin_expect(!!(x), 1)
#define OWN_UNLIKELY_(x) __builtin_expect(!!(x), 0)
#define OWN_INTERNAL __attribute__((visibility("hidden")))

/* ---- geometry ---- */
#define SEGMENT_SHIFT 22
#define SEGMENT_SIZE ((size_t)1 << SEGMENT_SHIFT) /* 4 MiB */
#define SEGMENT_MASK (SEGMENT_SIZE - 1)
#define SLICE_SHIFT 16
#define SLICE_SIZE ((size_t)1 << SLICE_SHIFT) /* 64 KiB */
#define SLICES 64                             /* per segment; slice 0 = header */
#define MEDIUM_PAGE_SLICES 8                  /* 512 KiB pages for medium blocks */

#define SMALL_MAX ((size_t)8 * 1024)   /* blocks on 1-slice pages         */
#define MEDIUM_MAX ((size_t)64 * 1024) /* blocks on 8-slice pages         */
#define LARGE_MAX ((size_t)1024 * 1024) /* one block on a run of slices   */
#define DIRECT_MAX 1024                 /* sizes served by heap->direct   */
#define DIRECT_COUNT (DIRECT_MAX / 16 + 1)
#define BIN_COUNT 81 /* bins 1..80; bin 0 unused */
#define BLOCK_ALIGN 16
#define HUGE_HEADER SLICE_SIZE /* bytes in front of a huge block */
#define HUGE_PIECES 16         /* runs of pages a huge mapping is built from */
/* Classes a thread may keep in its foreign cache: blocks of a cache line or
 * more (smaller ones share lines with their owner's blocks, and reusing them
 * here would be false sharing) up to DIRECT_MAX (served by heap->direct). */
#define FOREIGN_BIN_MIN 4  /* 64 B   */
#define FOREIGN_BIN_MAX 32 /* 1024 B */

/* The size class of a request of n bytes (1 <= n <= MEDIUM_MAX): 16-byte steps
 * up to 256, then eight classes per power of two (waste <= 12.5%). Every class
 * size is a multiple of its step, and the steps are powers of two: aligned
 * allocation relies on it (alloc.c). */
static inline unsigned _own_bin(size_t n) {
  if (n <= 256) return (unsigned)((n + 15) >> 4) + (n == 0);
  size_t w = n - 1;
  unsigned b = 63u - (unsigned)__builtin_clzll((unsigned long long)w);
  return 17u + (b - 8u) * 8u + (unsigned)((w >> (b - 3)) & 7u);
}
extern const uint32_t _own_bin_size[BIN_COUNT] OWN_INTERNAL;

/* ---- blocks, pages, segments ---- */
typedef struct own_block {
  struct own_block *next;
} own_block_t;

typedef struct own_page own_page_t;
typedef struct own_segment own_segment_t;
typedef struct own_tld own_tld_t;

enum {
  XF_NORMAL = 0,    /* remote frees just push                                    */
  XF_NOTIFY = 1,    /* page is in heap->full: the next remote free notifies       */
  XF_NOTIFYING = 2, /* a remote thread is pushing the page on heap->notified      */
  XF_NEVER = 3,     /* never notify (the owning thread exited)                    */
  XF_CLAIMED = 4,   /* a remote thread found every block free and is purging them */
  XF_PURGED = 5,    /* all blocks were freed remotely and purged: the owner resets
                       the page when it next looks (internal.h, "remote purge")    */
  XF_STATE = 7
};
#define XF_COUNT_SHIFT 48
#define XF_COUNT_ONE ((uintptr_t)1 << XF_COUNT_SHIFT)
#define XF_PTR_MASK ((XF_COUNT_ONE - 1) & ~(uintptr_t)XF_STATE)
/* The parts of an xfree word. */
static inline struct own_block *_own_xf_list(uintptr_t x) { return (struct own_block *)(x & XF_PTR_MASK); }
static inline size_t _own_xf_count(uintptr_t x) { return (size_t)(x >> XF_COUNT_SHIFT); }

struct own_page {
  /* Set up once per use of the page; read by every free, from any thread. */
  uint8_t *start;           /* first block                                           */
  uint32_t block_size;      /* bytes per block                                       */
  uint32_t area;            /* bytes of blocks possible: reserved * block_size; 0 when
                               this slice is not the head of a page in use          */
  uint64_t div_inv;         /* inverse of block_size's odd part modulo 2^64          */
  own_heap_t *heap;         /* owning heap                                           */
  uint32_t reserved;        /* blocks that fit                                       */
  uint8_t slice_count;      /* slices this page spans (0: not a page)                */
  uint8_t bin;              /* size class, 0 for a large page                        */
  uint8_t div_shift;        /* trailing zero bits of block_size                      */
  /* Written by the owner on every malloc and free: a line of its own, so that
   * other threads' frees do not take it away from the owner's core. */
  _Alignas(64) own_block_t *free; /* blocks ready to allocate (owner only)           */
  uint32_t used;            /* blocks out (see invariants)                           */
  uint32_t capacity;        /* blocks carved so far                                  */
  uint8_t in_full;          /* in heap->full (owner only)                            */
  uint8_t is_zero;          /* uncarved part of the page reads as zeros              */
  uint8_t purged;           /* memory already given back (remote purge)              */
  uint8_t keep_empty;       /* alone in its bin's queue, one slice: stays in the heap
                               when its last block comes back, so that a malloc/free
                               loop does not return and fetch a page on every pair */
  uint8_t direct_last;      /* foreign pseudo-pages: the class's last direct entry    */
  uint32_t keep_max;        /* foreign pseudo-pages: 0 minus the most blocks kept     */
  own_page_t *next, *prev;  /* in the heap's queue (bin or full)                     */
  /* Written by other threads. */
  _Alignas(64) _Atomic uintptr_t xfree; /* remote frees | XF_ state                  */
  own_page_t *notify_next;  /* in heap->notified                                     */
  _Atomic uint8_t notify_queued; /* on heap->notified now                            */
};

enum { SEG_NORMAL = 1, SEG_HUGE = 2 };

struct own_segment {
  _Atomic uintptr_t thread_id; /* owner thread, 0 when abandoned or huge           */
  uint32_t kind;               /* SEG_NORMAL or SEG_HUGE                           */
  uint32_t magic;              /* SEGMENT_MAGIC while mapped: metadata sanity      */
  uint64_t free_mask;          /* bit i: slice i is free (owner only)              */
  uint64_t purged_mask;        /* bit i: slice i free and given back to the OS     */
  own_tld_t *tld;              /* owner                                            */
  own_segment_t *next, *prev;  /* in tld->segments, tld cache or abandoned list    */
  own_segment_t *all_next, *all_prev; /* in the global list of all segments        */
  /* huge segments only */
  size_t map_size;             /* bytes of the mapping                             */
  uint8_t *map_base;           /* start of the mapping (may precede the segment)   */
  uint8_t *huge_block;         /* the block                                        */
  size_t huge_size;            /* usable bytes                                     */
  own_heap_t *huge_heap;       /* heap it was allocated from (NULL: orphaned)      */
  uint32_t piece_count;        /* the mapping is this many runs of pages, each     */
  size_t pieces[HUGE_PIECES];  /* within one kernel mapping (huge.c, the pool)     */
  /* normal segments */
  uint8_t owner[SLICES + 1];   /* slice -> first slice of its page; owner[SLICES] = 0
                                  so that p == segment + 4 MiB maps to the header   */
  bool abandoned;              /* on the abandoned list (global lock)              */
  uint64_t abandoned_ns;       /* when it was abandoned                            */
  /* foreign_bin[i]: the size class of the one-slice page at slice i when its
   * blocks, freed by another thread, may stay in that thread's foreign cache
   * (a default heap's page of 64..1024-byte blocks), else 0; [SLICES] = 0.
   * Written by the owner when it sets up, adopts or frees a page; read by the
   * other threads' frees in place of the page (foreign.c). */
  _Alignas(64) uint8_t foreign_bin[SLICES + 1];
  own_page_t pages[SLICES];
};
#define SEGMENT_MAGIC 0x6f776e73u

typedef struct own_page_queue {
  own_page_t *first, *last;
} own_page_queue_t;

struct own_heap {
  own_page_t *direct[DIRECT_COUNT];  /* size/16 -> page to allocate from (never NULL) */
  own_page_queue_t queues[BIN_COUNT];/* pages that may have free blocks, per class */
  own_page_queue_t full;             /* pages without free blocks, and large pages  */
  _Atomic(own_page_t *) notified;    /* full pages that got remote frees            */
  _Atomic size_t remote_idle;        /* bytes of pages other threads emptied since the
                                        owner last drained `notified`               */
  own_tld_t *tld;                    /* owning thread's data                        */
  own_heap_t *next_heap;             /* in tld->heaps                               */
  bool is_default;
  /* Foreign cache (default heap only): blocks of other threads' pages this
   * thread freed, one list per size class, kept as pseudo-pages so that
   * heap->direct can point at them and the malloc fast path pops them
   * unchanged. In a pseudo-page only these fields mean something: free (the
   * list), used (0 minus the blocks on the list: the fast path's increment
   * keeps it exact), block_size, bin, keep_max and direct_last, the last
   * three on the same cache line as free and used; and div_inv, div_shift and
   * reserved, the block check of a one-slice page of the class. */
  own_page_t foreign[FOREIGN_BIN_MAX + 1];
};

struct own_tld {
  uintptr_t thread_id;
  own_heap_t *heap;               /* the default heap                              */
  own_heap_t *heaps;              /* every live heap of this thread                */
  own_segment_t *segments;        /* segments with pages in use or free slices     */
  size_t segment_count;           /* entries of `segments`                         */
  own_segment_t *cache;           /* empty segments kept for reuse                 */
  size_t cache_count;
  size_t free_resident;           /* bytes of free, unpurged slices in segments    */
  uint64_t purge_due_ns;          /* when free_resident may be purged (0: not over
                                     the threshold)                               */
  own_tld_t *next_free;           /* in the pool of unused tlds                    */
  own_tld_t *all_next;            /* in _own_all_tlds (global lock)                */
};
extern own_tld_t *_own_all_tlds OWN_INTERNAL; /* every live thread's tld (global lock) */

/* ---- per-thread state ---- */
extern __thread own_heap_t *_own_tl_heap __attribute__((tls_model("initial-exec")));
extern own_heap_t _own_heap_empty OWN_INTERNAL;
extern own_page_t _own_page_empty OWN_INTERNAL;

/* ---- segment map: is this 4 MiB window one of ours? ---- */
#define SEGMAP_BITS 48
extern _Atomic uint64_t _own_segmap[((size_t)1 << (SEGMAP_BITS - SEGMENT_SHIFT)) / 64] OWN_INTERNAL;
static inline bool _own_segmap_has(uintptr_t seg) {
  uintptr_t i = seg >> SEGMENT_SHIFT;
  if (i >= ((uintptr_t)1 << (SEGMAP_BITS - SEGMENT_SHIFT))) return false;
  return (atomic_load_explicit(&_own_segmap[i >> 6], memory_order_relaxed) >> (i & 63)) & 1;
}
void _own_segmap_set(uintptr_t seg, bool on) OWN_INTERNAL;
/* Windows covered by huge mappings beyond their header window, so that an
 * interior pointer of a huge block is recognised (own_is_heap_pointer). */
extern _Atomic uint64_t _own_hugemap[((size_t)1 << (SEGMAP_BITS - SEGMENT_SHIFT)) / 64] OWN_INTERNAL;
void _own_hugemap_set(uintptr_t start, size_t size, bool on) OWN_INTERNAL;
static inline bool _own_hugemap_has(uintptr_t win) {
  uintptr_t i = win >> SEGMENT_SHIFT;
  if (i >= ((uintptr_t)1 << (SEGMAP_BITS - SEGMENT_SHIFT))) return false;
  return (atomic_load_explicit(&_own_hugemap[i >> 6], memory_order_relaxed) >> (i & 63)) & 1;
}

static inline own_segment_t *_own_segment_of(const void *p) {
  return (own_segment_t *)(((uintptr_t)p - 1) & ~(uintptr_t)SEGMENT_MASK);
}

/* The page holding p in normal segment seg, and whether p is a block start of
 * a page in use (area == 0 for free slices and the header slice). */
static inline own_page_t *_own_page_of(own_segment_t *seg, const void *p) {
  size_t idx = ((uintptr_t)p - (uintptr_t)seg) >> SLICE_SHIFT;
  return &seg->pages[seg->owner[idx]];
}
/* Exact division by multiplication (Granlund and Montgomery): with block_size
 * = d * 2^k, d odd, the product off * d^-1 (mod 2^64) rotated right by k is
 * off / block_size when block_size divides off, and above 2^64 / block_size
 * otherwise; one compare with `reserved` (0 for a slice not heading a page in
 * use) checks both that off is a multiple and that it is in the page. */
static inline void _own_div_setup(uint32_t block_size, uint64_t *inv, uint8_t *shift) {
  unsigned k = (unsigned)__builtin_ctz(block_size);
  uint64_t odd = block_size >> k, x = odd;           /* odd * odd = 1 mod 8: 3 bits right */
  for (int i = 0; i < 5; i++) x *= 2 - odd * x;      /* Newton: 6, 12, .., 96 bits */
  *inv = x;
  *shift = (uint8_t)k;
}
static inline bool _own_block_offset_ok(uint64_t off, uint64_t inv, unsigned shift, uint32_t reserved) {
  uint64_t x = off * inv;
  x = (x >> shift) | (x << ((64 - shift) & 63));
  return x < reserved;
}
static inline bool _own_is_block_start(const own_page_t *page, const void *p) {
  return _own_block_offset_ok((uint64_t)(uintptr_t)p - (uint64_t)(uintptr_t)page->start, page->div_inv,
                              page->div_shift, page->reserved);
}

/* ---- global lock (rare paths: segments from the OS, thread exit, huge) ---- */
void _own_lock(void) OWN_INTERNAL;
void _own_unlock(void) OWN_INTERNAL;
extern own_segment_t *_own_all_segments OWN_INTERNAL; /* guarded by the global lock */
extern own_segment_t *_own_huge_segments OWN_INTERNAL;

/* ---- init ---- */
own_heap_t *_own_thread_init(void) OWN_INTERNAL; /* the calling thread's default heap */
static inline own_heap_t *_own_heap_get(void) {
  own_heap_t *h = _own_tl_heap;
  if (OWN_UNLIKELY_(h == &_own_heap_empty)) h = _own_thread_init();
  return h;
}

/* ---- segment.c ---- */
own_page_t *_own_span_alloc(own_tld_t *tld, size_t slices) OWN_INTERNAL;
void _own_span_free(own_tld_t *tld, own_page_t *page) OWN_INTERNAL;
void _own_segments_purge(own_tld_t *tld) OWN_INTERNAL;
void _own_segments_abandon(own_tld_t *tld) OWN_INTERNAL;
bool _own_segments_reclaim(own_heap_t *heap, size_t max) OWN_INTERNAL;
void _own_segment_reclaim_on_free(own_segment_t *seg) OWN_INTERNAL;
void _own_segments_collect(own_tld_t *tld) OWN_INTERNAL;
void _own_segment_abandon_locked(own_segment_t *seg) OWN_INTERNAL; /* global lock held */
size_t _own_thread_count(void) OWN_INTERNAL;
extern _Atomic size_t _own_committed OWN_INTERNAL, _own_peak_committed OWN_INTERNAL, _own_abandoned_count OWN_INTERNAL;
void _own_committed_add(size_t n) OWN_INTERNAL;
void _own_committed_sub(size_t n) OWN_INTERNAL;

/* ---- page.c ---- */
void *_own_malloc_slow(own_heap_t *heap, size_t size, bool zero) OWN_INTERNAL;
void _own_free_slow_local(own_page_t *page) OWN_INTERNAL;
void _own_free_remote_list(own_page_t *page, own_block_t *first, own_block_t *last, size_t n) OWN_INTERNAL;
static inline void _own_free_remote(own_page_t *page, own_block_t *b) { _own_free_remote_list(page, b, b, 1); }
void _own_direct_set(own_heap_t *heap, unsigned bin, own_page_t *page) OWN_INTERNAL;
size_t _own_page_collect(own_page_t *page) OWN_INTERNAL;
void _own_page_retire(own_heap_t *heap, own_page_t *page) OWN_INTERNAL;
void _own_heap_drain_notified(own_heap_t *heap) OWN_INTERNAL;
void _own_page_set_never(own_page_t *page) OWN_INTERNAL;
void _own_page_adopt(own_heap_t *heap, own_page_t *page) OWN_INTERNAL;
void _own_queue_remove(own_heap_t *heap, own_page_t *page) OWN_INTERNAL;
void _own_heap_release_pages(own_heap_t *heap, bool all) OWN_INTERNAL;
own_page_queue_t *_own_page_queue(own_heap_t *heap, own_page_t *page) OWN_INTERNAL;

/* ---- foreign.c ---- */
/* Whether p is a block start of a page of the foreign list f's class: those
 * pages span one slice and start at it, so the offset in the slice and the
 * check values f carries (div_inv, div_shift, reserved, as a page of the class
 * would) decide, without the page itself. */
static inline bool _own_foreign_block_start(const own_page_t *f, const void *p) {
  return _own_block_offset_ok((uint64_t)(uintptr_t)p & (SLICE_SIZE - 1), f->div_inv, f->div_shift, f->reserved);
}
void _own_foreign_init(own_heap_t *heap) OWN_INTERNAL;
void _own_foreign_flush(own_heap_t *heap, unsigned bin, uint32_t keep, bool adopt) OWN_INTERNAL;
void _own_foreign_flush_all(own_heap_t *heap, bool adopt) OWN_INTERNAL;
static inline uint32_t _own_foreign_count(const own_page_t *f) { return 0u - f->used; }

/* ---- huge.c ---- */
void *_own_huge_alloc(own_heap_t *heap, size_t size, size_t align, bool zero) OWN_INTERNAL;
void _own_huge_free(own_segment_t *seg, void *p) OWN_INTERNAL;
void *_own_huge_realloc(own_segment_t *seg, void *p, size_t size) OWN_INTERNAL;
void _own_huge_orphan(own_heap_t *heap, bool free_them) OWN_INTERNAL;
void _own_huge_cache_flush(void) OWN_INTERNAL;
void _own_huge_cache_expire(void) OWN_INTERNAL; /* cheap when nothing is due */
/* A SEGMENT_SIZE mapping, SEGMENT_SIZE aligned, built from the huge pool (the
 * memory of freed huge blocks kept resident), or NULL if the pool is empty.
 * Its first *resident bytes are pooled pages holding old bytes; the rest are
 * fresh zero pages. Not counted as committed: the caller counts what it uses. */
void *_own_huge_pool_segment(size_t *resident) OWN_INTERNAL;

/* ---- alloc.c ---- */
void *_own_heap_malloc_aligned(own_heap_t *heap, size_t size, size_t align, bool zero) OWN_INTERNAL;
size_t _own_usable_size(const void *p) OWN_INTERNAL; /* 0 if not a block start */
void _own_invalid_free(const void *p) OWN_INTERNAL;

/* ---- valgrind client requests (build option OWN_VALGRIND) ---- */
#if defined(OWN_VALGRIND) && __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define OWN_TRACK_ALLOC(p, size, zero) VALGRIND_MALLOCLIKE_BLOCK((p), (size), 0, (zero))
#define OWN_TRACK_FREE(p) VALGRIND_FREELIKE_BLOCK((p), 0)
#define OWN_TRACK_LINK_OPEN(b) VALGRIND_MAKE_MEM_DEFINED((b), 2 * sizeof(void *))
#define OWN_TRACK_LINK_CLOSE(b) VALGRIND_MAKE_MEM_NOACCESS((b), 2 * sizeof(void *))
#else
#define OWN_TRACK_ALLOC(p, size, zero) ((void)0)
#define OWN_TRACK_FREE(p) ((void)0)
#define OWN_TRACK_LINK_OPEN(b) ((void)0)
#define OWN_TRACK_LINK_CLOSE(b) ((void)0)
#endif

/* The link of a free block, read the way memcheck allows (free blocks are
 * inaccessible to the program, so own opens the link word around the read). */
static inline own_block_t *_own_link_next(own_block_t *b) {
  OWN_TRACK_LINK_OPEN(b);
  own_block_t *next = b->next;
  OWN_TRACK_LINK_CLOSE(b);
  return next;
}

/* ---- the small-allocation fast path ----
 * Shared by own_malloc (alloc.c) and Box's constructor (box_entry.c), so that
 * both run the same code: for n <= DIRECT_MAX the page is
 * heap->direct[(n+15)/16] (never NULL: a page without free blocks,
 * _own_page_empty included, sends the request to the slow path), and the
 * block is the first of its free list. */
static inline void *_own_heap_pop(own_page_t *page) {
  own_block_t *b = page->free;
  OWN_TRACK_LINK_OPEN(b);
  own_block_t *next = b->next;
  page->free = next;
  /* The next pop of this page reads next's link word, and the program then
   * writes the block: fetch its line now, while this call and the program's
   * use of b hide the wait (may be NULL: a prefetch never faults). */
  __builtin_prefetch(next, 1, 3);
  page->used++;
  OWN_TRACK_ALLOC(b, page->block_size, 0);
  return b;
}

static inline own_page_t *_own_heap_direct_page(own_heap_t *heap, size_t n) {
  return heap->direct[(n + 15) >> 4];
}

/* The owner's free of block b of page (already released to memcheck). */
static inline void _own_free_local(own_page_t *page, own_block_t *b) {
  /* Everything read first: the store to b's link word could otherwise be
   * taken to change the page's fields, and they would be read again. */
  own_block_t *head = page->free;
  uint32_t used = page->used - 1;
  bool slow = (used == 0 && !page->keep_empty) || page->in_full;
  OWN_TRACK_LINK_OPEN(b);
  b->next = head;
  OWN_TRACK_LINK_CLOSE(b);
  page->free = b;
  page->used = used;
  if (OWN_UNLIKELY_(slow)) _own_free_slow_local(page);
}

/* A block of `bin` from another thread's page, freed by this thread (heap is
 * its default heap): kept on the foreign list of its class, which serves the
 * class's mallocs when its direct page next runs dry. Over the limit, half
 * the list goes back to the owners (foreign.c). */
static inline void _own_foreign_push(own_heap_t *heap, unsigned bin, own_block_t *b) {
  own_page_t *f = &heap->foreign[bin];
  OWN_TRACK_LINK_OPEN(b);
  b->next = f->free;
  OWN_TRACK_LINK_CLOSE(b);
  f->free = b;
  uint32_t used = --f->used;
  if (OWN_UNLIKELY_((int32_t)used < (int32_t)f->keep_max)) _own_foreign_flush(heap, bin, (0u - f->keep_max) / 2, true);
}

static inline void *_own_heap_malloc_small(own_heap_t *heap, size_t n) {
  own_page_t *page = _own_heap_direct_page(heap, n);
  if (OWN_LIKELY_(page->free != NULL)) return _own_heap_pop(page);
  return _own_malloc_slow(heap, n, false);
}

#endif
