/* own/heap.h — own's general-purpose heap.
 *
 * A thread-safe heap with one heap per thread: malloc and free on a thread's
 * own blocks take no lock and no atomic read-modify-write; a free from another
 * thread pushes the block onto an atomic per-page list, taking no lock. The
 * heap asks the OS for memory in 4 MiB segments and gives it back when pages
 * and segments empty out (see docs/heap.md).
 *
 * Three ways in:
 *  1. The malloc family. libown exports malloc, free, calloc, realloc, ... (the
 *     build option OWN_OVERRIDE, on by default), so linking -lown or running
 *     under LD_PRELOAD=libown.so puts a program on own. The own_-prefixed
 *     functions below are the same functions under names that never clash
 *     with the system's, for programs that keep the system malloc.
 *  2. The Layout API (Rust's std::alloc): own_alloc / own_alloc_zeroed /
 *     own_dealloc / own_realloc with an own_layout_t.
 *  3. First-class heaps: own_heap_new, own_heap_malloc, ..., own_heap_destroy,
 *     which frees every block the heap still holds at once.
 *
 * Errors, for every function here: an allocation that cannot be satisfied
 * returns NULL with errno = ENOMEM; a size computation that overflows
 * (calloc, reallocarray) returns NULL with errno = ENOMEM; an alignment that is
 * not a power of two returns NULL with errno = EINVAL (posix_memalign returns
 * EINVAL instead and leaves its output alone). A request can never yield a
 * block smaller than asked. free of NULL does nothing; free of a pointer that
 * is not a block of own's heap is reported (OWN_ERR_INVALID_FREE, see
 * own/core.h) and ignored, never corrupting the heap.
 *
 * Time: malloc and free of small blocks are O(1) on the fast path; a slow path
 * (a fresh page, a new segment from the OS) is bounded by the page size.
 * Thread safety: every function is thread-safe unless its comment says
 * otherwise (first-class heaps allocate on their owning thread only).
 */
#ifndef OWN_HEAP_H
#define OWN_HEAP_H

#include <stdbool.h>
#include <stddef.h>

#include "core.h"
#include "layout.h"

OWN_EXTERN_C_BEGIN

/* ---- The malloc family, own_-prefixed -------------------------------------
 * Same contracts as the C and POSIX functions of the same name without the
 * prefix. Every block is aligned to at least 16 bytes (alignof(max_align_t)). */

OWN_API void own_free(void *p);
OWN_API void *own_malloc(size_t size) OWN_MALLOC_ATTR OWN_ALLOC_SIZE(1) OWN_DEALLOC_BY(own_free, 1);
OWN_API void *own_calloc(size_t n, size_t size) OWN_MALLOC_ATTR OWN_ALLOC_SIZE2(1, 2) OWN_DEALLOC_BY(own_free, 1);
/* realloc. (own_realloc is the Layout API's, as in Rust.) p == NULL: malloc.
 * size == 0 with p != NULL: frees p and returns a fresh minimal block (never
 * NULL unless out of memory). On failure p is untouched. A block stays in
 * place while the new size fits its usable size and is at least half of it.
 * A block that has to move to grow moves to one at least a quarter larger
 * than its usable size when that is at most 64 KiB, so growth by small steps
 * moves it at most four times per doubling. */
OWN_API void *own_mrealloc(void *p, size_t size) OWN_ALLOC_SIZE(2);
OWN_API void *own_reallocarray(void *p, size_t n, size_t size) OWN_ALLOC_SIZE2(2, 3);
/* Returns 0, EINVAL (align not a power of two or not a multiple of
 * sizeof(void *); *out untouched) or ENOMEM (*out untouched). */
OWN_API int own_posix_memalign(void **out, size_t align, size_t size);
/* C11 aligned_alloc; any power-of-two alignment is accepted (as glibc does),
 * the size need not be a multiple of it. */
OWN_API void *own_aligned_alloc(size_t align, size_t size) OWN_MALLOC_ATTR OWN_ALLOC_SIZE(2) OWN_DEALLOC_BY(own_free, 1);
OWN_API void *own_memalign(size_t align, size_t size) OWN_MALLOC_ATTR OWN_ALLOC_SIZE(2) OWN_DEALLOC_BY(own_free, 1);
OWN_API void *own_valloc(size_t size) OWN_MALLOC_ATTR OWN_ALLOC_SIZE(1) OWN_DEALLOC_BY(own_free, 1);
/* Page-aligned, size rounded up to a whole number of pages. */
OWN_API void *own_pvalloc(size_t size) OWN_MALLOC_ATTR OWN_DEALLOC_BY(own_free, 1);
/* The usable size of block p (>= the size asked for; all of it may be written).
 * 0 for NULL and for pointers that are not blocks of own's heap. For a plain
 * malloc of n <= 64 KiB it is n rounded up to its size class: a multiple of
 * 16, at most 15 bytes more up to 256 B and at most n/8 more above. */
OWN_API size_t own_malloc_usable_size(const void *p);
/* C23: free with the size (and alignment) the block was allocated with. A
 * size that does not fit the block is reported as OWN_ERR_INVALID_FREE. */
OWN_API void own_free_sized(void *p, size_t size);
OWN_API void own_free_aligned_sized(void *p, size_t align, size_t size);

/* ---- Layout API (Rust's std::alloc) --------------------------------------
 * A layout comes from the checked constructors of own/layout.h. layout.size
 * may be 0 (a unique minimal block). NULL + errno = ENOMEM on failure, EINVAL
 * for an invalid layout (alignment not a power of two). */

OWN_API void own_dealloc(void *p, own_layout_t layout);
OWN_API void *own_alloc(own_layout_t layout) OWN_MALLOC_ATTR OWN_DEALLOC_BY(own_dealloc, 1);
OWN_API void *own_alloc_zeroed(own_layout_t layout) OWN_MALLOC_ATTR OWN_DEALLOC_BY(own_dealloc, 1);
/* Resizes p (allocated with `layout`) to new_size bytes with the same
 * alignment. On failure returns NULL and p is untouched. */
OWN_API void *own_realloc(void *p, own_layout_t layout, size_t new_size);

/* ---- First-class heaps ---------------------------------------------------- */

typedef struct own_heap own_heap_t;

/* The calling thread's default heap: where malloc allocates. Never NULL. */
OWN_API own_heap_t *own_heap_default(void);

/* A new, empty heap owned by the calling thread. Allocate from it on that
 * thread only; its blocks may be freed (with free/own_free) from any thread.
 * NULL with errno = ENOMEM when out of memory. */
OWN_API own_heap_t *own_heap_new(void);

/* Releases every block the heap still holds at once and the heap itself.
 * Call on the owning thread; every block of the heap is invalid afterwards
 * (freeing one is undefined). Destroying the default heap is reported as
 * OWN_ERR_USAGE and ignored. NULL is a no-op. */
OWN_API void own_heap_destroy(own_heap_t *heap);

OWN_API void *own_heap_malloc(own_heap_t *heap, size_t size) OWN_MALLOC_ATTR OWN_ALLOC_SIZE(2);
OWN_API void *own_heap_calloc(own_heap_t *heap, size_t n, size_t size) OWN_MALLOC_ATTR OWN_ALLOC_SIZE2(2, 3);
/* realloc within `heap` (p may belong to any heap; the new block is heap's). */
OWN_API void *own_heap_realloc(own_heap_t *heap, void *p, size_t size) OWN_ALLOC_SIZE(3);
OWN_API void *own_heap_alloc(own_heap_t *heap, own_layout_t layout) OWN_MALLOC_ATTR;
OWN_API void *own_heap_alloc_zeroed(own_heap_t *heap, own_layout_t layout) OWN_MALLOC_ATTR;

/* Calls visit(block, usable_size, arg) for every live block of `heap`, in
 * address order within each page; stops early when visit returns false.
 * Returns false if stopped early. Call on the owning thread; blocks freed by
 * other threads while the walk runs may or may not be reported, and blocks
 * of the default heap that another thread freed and keeps in its foreign
 * cache (OWN_THREAD_CACHE_KIB below) are reported until they come back.
 * visit must not allocate from or free to `heap`. */
typedef bool (*own_block_visitor_t)(void *block, size_t usable_size, void *arg);
OWN_API bool own_heap_visit(own_heap_t *heap, own_block_visitor_t visit, void *arg);

/* ---- Pointers ------------------------------------------------------------- */

/* True when p lies inside memory own's heap manages (a segment or a huge
 * mapping), live or not. O(1), thread-safe, never faults. */
OWN_API bool own_is_heap_pointer(const void *p);

/* True when p is the start of a block that is currently allocated. Exact when
 * no other thread frees concurrently into the same page; O(blocks in p's page). */
OWN_API bool own_is_live_block(const void *p);

/* ---- Statistics and memory give-back -------------------------------------- */

#define OWN_STATS_CLASSES 96

typedef struct own_stats {
  size_t allocated;        /* bytes in live blocks (usable sizes)                 */
  size_t allocated_blocks; /* number of live blocks                               */
  size_t committed;        /* bytes of memory the heap holds from the OS (resident
                              or may become so): segments' committed pages + huge
                              blocks                                              */
  size_t peak_committed;   /* the largest `committed` has been                     */
  size_t reserved;         /* bytes of address space reserved                      */
  size_t os_mappings;      /* live OS mappings (segments + huge blocks)            */
  size_t os_map_calls;     /* mmap calls so far                                    */
  size_t os_unmap_calls;   /* munmap calls so far                                  */
  size_t os_purge_calls;   /* madvise calls that gave pages back                   */
  size_t threads;          /* threads that have a heap now                         */
  size_t abandoned_segments; /* segments of exited threads not yet adopted         */
  size_t huge_blocks;      /* live blocks larger than the largest size class (64 KiB):
                              included in allocated_blocks, not in `classes`      */
  size_t huge_bytes;       /* their bytes (included in allocated)                  */
  size_t class_count;      /* entries used in `classes`                            */
  struct {
    size_t block_size;     /* bytes                                                */
    size_t blocks;         /* live blocks of this size                             */
    size_t pages;          /* pages holding this size                              */
  } classes[OWN_STATS_CLASSES];
} own_stats_t;

/* Fills *out. allocated/allocated_blocks/classes are summed over every heap by
 * walking page metadata: exact when other threads are quiet, a close estimate
 * while they run. The other counters are exact. */
OWN_API void own_stats(own_stats_t *out);

/* Writes a readable summary of own_stats to file descriptor fd. */
OWN_API void own_stats_print(int fd);

/* Returns unused memory to the OS now: gives the blocks in the calling
 * thread's foreign cache back to their owners, frees its empty pages, adopts
 * and tidies segments of exited threads, and purges every free page and
 * cached segment. Other threads' caches are purged when they next free. */
OWN_API void own_collect(void);

/* ---- Options ---------------------------------------------------------------
 * Read once from the environment at start-up; also settable at run time.
 *  OWN_VERBOSE=1        print statistics to stderr at exit
 *  OWN_ERROR_ABORT=1    abort after reporting any error
 *  OWN_PURGE_KIB=n      free-but-resident memory a thread may keep; beyond it
 *                       free pages go back to the OS once they have stayed free
 *                       10 ms (default 4096 KiB; 0: give back at once). The
 *                       free memory of exited threads, kept for the threads
 *                       started next, is bounded by 8 times this, in all.
 *  OWN_SEGMENT_CACHE=n  empty segments a thread keeps for reuse, or as many as
 *                       it has in use if more (default 2)
 *  OWN_HUGE_CACHE_KIB=n memory of freed huge blocks (above 1 MiB) kept resident
 *                       to build the next huge blocks and segments from
 *                       without page faults: up to 64 MiB (or n if less)
 *                       always, up to n while the pool serves that much a
 *                       second; what stays unused for 1 s goes back at the
 *                       next heap activity (default 262144 KiB; 0: unmap at
 *                       free)
 *  OWN_THREAD_CACHE_KIB=n
 *                       blocks of 64..1024 bytes that a thread frees from
 *                       another thread's default heap stay with it, up to this
 *                       much per thread, and serve its next allocations of
 *                       their size (default 4096 KiB; 0: every such block goes
 *                       back to its owner at once). Read when a thread starts.
 *                       own_heap_visit still reports such a block as live in
 *                       its owner's heap until it goes back (thread exit,
 *                       own_collect in the keeping thread, or over the limit);
 *                       own_stats does not count it.
 */
typedef enum own_option {
  OWN_OPT_VERBOSE,
  OWN_OPT_ERROR_ABORT,
  OWN_OPT_PURGE_KIB,
  OWN_OPT_SEGMENT_CACHE,
  OWN_OPT_HUGE_CACHE_KIB,
  OWN_OPT_THREAD_CACHE_KIB,
  OWN_OPT_COUNT_
} own_option_t;

OWN_API long own_option_get(own_option_t opt);
OWN_API void own_option_set(own_option_t opt, long value);

OWN_EXTERN_C_END

#endif
