/* own/fixed.h — a deterministic heap over memory the caller gives.
 *
 * For embedded and real-time code: no OS, no libc, allocate and free in
 * constant time, and a heap size that provably never runs out for a program
 * whose live memory is bounded. The implementation (src/fixed/fixed.c) builds
 * with -ffreestanding and needs nothing but this header, own/core.h,
 * own/layout.h and own/allocator.h (see docs/fixed.md).
 *
 * Algorithm in one paragraph: boundary-tag blocks, immediately coalesced;
 * free blocks are segregated by size class (floor(log2 size)) and by address
 * band (the region is cut into up to 32 bands of equal width). An allocation
 * of block size s takes a free block from the lowest band that holds any
 * block of class >= ceil(log2 s) (so every candidate fits, no search), and in
 * that band the smallest such class. That is address-ordered first fit at band
 * granularity, done with bitmaps in constant time. It is what makes the
 * fragmentation bound below provable.
 *
 * Sizes. Every block carries a header of OWN_FIXED_ALIGN bytes and is a
 * multiple of OWN_FIXED_ALIGN; the smallest block is 2 * OWN_FIXED_ALIGN.
 * Every pointer returned is aligned to OWN_FIXED_ALIGN (2 * sizeof(void *):
 * 8 bytes on 32-bit targets, 16 on 64-bit ones) or to the requested alignment.
 *
 * Fragmentation bound. Let the footprint of a request be
 * own_fixed_footprint(size, align) (the block it may take, header included;
 * at most size + align + 3 * OWN_FIXED_ALIGN). Let M be the peak, over the
 * program's life, of the sum of footprints of the live blocks, and n the
 * largest footprint. Then a heap whose first region has a usable size U with
 *
 *     U >= K * (3 * M + B),   K = ceil(log2 n) - log2(2 * OWN_FIXED_ALIGN) + 1,
 *
 * where B is the band width of that heap (own_fixed_diag: band_bytes, about
 * U / 32), never fails an allocation of the program: own_fixed_alloc,
 * own_fixed_alloc_aligned and own_fixed_free are covered; own_fixed_realloc is
 * covered when it moves the block or shrinks it in place (the shrunk block
 * counts at its old footprint), not when it grows a block in place.
 * own_fixed_required_size(M, n) computes the buffer size to pass to
 * own_fixed_init for that guarantee. The derivation is in docs/fixed.md; in
 * short: blocks of order <= k never reach past base + (k - kmin + 1)(3M + B).
 *
 * Errors. Every allocating function returns NULL, and changes nothing, for a
 * size that does not fit in the heap's largest possible block (SIZE_MAX
 * included: no size wraps around to a small block), for an alignment that is
 * not a power of two, and when no free block is large enough (all counted as
 * oom_count). "Large enough" is decided in constant time: a block of size s
 * is served from the size classes at or above 2^ceil(log2 s), so a free block
 * between s and that power of two is not used (the bound above allows for
 * this). A request above half of max_block may fail while an added region
 * holds a block that would fit. Freeing a pointer that is not a live block of the heap is
 * detected when it is (1) outside the span of the heap's regions, (2) not
 * aligned to OWN_FIXED_ALIGN, (3) a block that is already free (double free),
 * or (4) not headed by a consistent block header: the header carries the
 * previous block's size XORed with a per-heap key, and the size must lead to a
 * next block whose header agrees. Such a free returns without effect, is
 * counted (invalid_free_count) and, in libown (not freestanding), reported
 * through own_report (OWN_ERR_DOUBLE_FREE or OWN_ERR_INVALID_FREE). A pointer
 * into the middle of a live block whose bytes happen to forge both headers is
 * not detected, nor is a free of a block already freed and handed out again.
 *
 * Time: own_fixed_alloc, own_fixed_alloc_aligned, own_fixed_free,
 * own_fixed_usable_size, own_fixed_check_fast and own_fixed_realloc when it
 * stays in place run in O(1) worst case: no loop depends on the heap size or
 * its fragmentation. (realloc that moves also copies the block.) The others
 * say their bound.
 *
 * Threads: a heap is not thread-safe by itself. Either use it from one thread
 * or install a lock with own_fixed_set_lock; every function then holds it.
 * Distinct heaps are independent.
 */
#ifndef OWN_FIXED_H
#define OWN_FIXED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "allocator.h"
#include "core.h"
#include "layout.h"

OWN_EXTERN_C_BEGIN

/* Alignment of every block and size of a block header, in bytes. */
#define OWN_FIXED_ALIGN (2 * sizeof(void *))

/* A heap. It lives inside the caller's buffer (at its start). */
typedef struct own_fixed own_fixed_t;

/* Creates a heap over buf[0, size). buf need not be aligned: the heap aligns
 * it internally and uses what remains. The heap's control block is taken from
 * the buffer (a few hundred bytes up to a few KiB for very large buffers).
 * Returns NULL when buf is NULL, buf + size wraps, too little remains for
 * the control block and one minimal block, or the buffer would need more than
 * 32 size classes (over 2^32 * 2 * OWN_FIXED_ALIGN bytes: 64 GiB on 32-bit
 * targets, 128 GiB on 64-bit ones; give such memory as several regions). The caller keeps ownership of buf and
 * must not touch it while the heap is in use; there is nothing to destroy:
 * drop the buffer when done. O(1). */
OWN_API own_fixed_t *own_fixed_init(void *buf, size_t size);

/* Adds buf[0, size) to the heap as another region (buf may be misaligned; it
 * must not overlap any region of any heap). Returns false, changing nothing,
 * when h or buf is NULL or the region is too small (fewer than 4 *
 * OWN_FIXED_ALIGN usable bytes). Blocks never span regions; the fragmentation
 * bound above speaks of the first region only. O(size / largest block). */
OWN_API bool own_fixed_add_region(own_fixed_t *h, void *buf, size_t size);

/* A block of at least `size` bytes aligned to OWN_FIXED_ALIGN, or NULL (see
 * Errors). size 0 gives a minimal block that must be freed like any other.
 * h == NULL returns NULL. O(1). */
OWN_API void *own_fixed_alloc(own_fixed_t *h, size_t size) OWN_MALLOC_ATTR OWN_ALLOC_SIZE(2);

/* A block of at least `size` bytes aligned to `align`, which must be a power
 * of two (NULL otherwise). Any alignment that fits in the heap works: the
 * heap over-allocates by align and returns the front as a free block. O(1). */
OWN_API void *own_fixed_alloc_aligned(own_fixed_t *h, size_t size, size_t align)
    OWN_MALLOC_ATTR OWN_ALLOC_SIZE(2);

/* Releases p, a block of h. p == NULL does nothing. An invalid p is detected
 * as described under Errors and ignored. O(1). */
OWN_API void own_fixed_free(own_fixed_t *h, void *p);

/* Resizes block p to `size` bytes, keeping its first min(old, size) bytes.
 * p == NULL: own_fixed_alloc(h, size). size 0: shrinks p to a minimal block.
 * In place when it can: shrinking always stays in place; growing stays when
 * the next block is free and large enough. Otherwise allocates, copies and
 * frees p. Returns the block (p or a new pointer), or NULL when the size is
 * too large, memory is short, or p is invalid (reported as for free); on NULL
 * p is untouched and still owned by the caller. A block from
 * own_fixed_alloc_aligned keeps its alignment only in place: use
 * own_fixed_realloc_aligned for those. O(1) in place, O(size) when moving. */
OWN_API void *own_fixed_realloc(own_fixed_t *h, void *p, size_t size) OWN_ALLOC_SIZE(3);

/* own_fixed_realloc that keeps (or establishes) alignment `align` (a power of
 * two; NULL otherwise) when the block has to move. */
OWN_API void *own_fixed_realloc_aligned(own_fixed_t *h, void *p, size_t size, size_t align);

/* The usable size of block p (>= the size asked for; all of it may be used),
 * or 0 when p is NULL or not a live block of h (not reported). O(1). */
OWN_API size_t own_fixed_usable_size(own_fixed_t *h, const void *p);

/* The footprint of a request (see the fragmentation bound): the bytes of heap
 * it may take, header and alignment slack included. SIZE_MAX when the request
 * is impossible (overflow, align not a power of two). Pure, O(1). */
OWN_API size_t own_fixed_footprint(size_t size, size_t align);

/* The buffer size to pass to own_fixed_init (with an aligned buffer) so that
 * no allocation of a program fails whose live footprints never sum to more
 * than max_live and whose largest footprint is at most max_footprint (see the
 * bound above). 0 when no buffer can give that guarantee (the sizes overflow,
 * or the size range is so wide that bands are too coarse). Pure; O(log) steps. */
OWN_API size_t own_fixed_required_size(size_t max_live, size_t max_footprint);

/* Diagnostics. All byte counts include block headers. */
typedef struct own_fixed_diag {
  size_t capacity;           /* bytes of all regions usable for blocks      */
  size_t allocated;          /* bytes in live blocks now                    */
  size_t peak_allocated;     /* highest `allocated` ever                    */
  size_t largest_free;       /* largest free block (its block size)         */
  size_t free_bytes;         /* bytes in free blocks                        */
  size_t free_blocks;        /* number of free blocks                       */
  size_t live_blocks;        /* number of live blocks                       */
  size_t max_block;          /* largest block the heap can ever hand out    */
  size_t band_bytes;         /* band width B of the first region (bound)    */
  uint64_t alloc_count;      /* successful allocations (realloc included)   */
  uint64_t oom_count;        /* allocations that failed for lack of memory  */
  uint64_t invalid_free_count; /* frees/reallocs of invalid pointers        */
  /* 1000 * (1 - largest_free / free_bytes), rounded down; 0 when nothing is
   * free. 0: all free memory is one block; near 1000: free memory is dust. */
  unsigned fragmentation_permille;
} own_fixed_diag_t;

/* Fills *out. h or out NULL: returns false. O(free blocks of the largest
 * size class) — O(1) when one free block is much larger than the others. */
OWN_API bool own_fixed_diag(own_fixed_t *h, own_fixed_diag_t *out);

/* Constant-time sanity check of the control block: magic, counters, bitmap
 * consistency. False when something is damaged (or h is NULL). O(1). */
OWN_API bool own_fixed_check_fast(own_fixed_t *h);

/* Full check: walks every block of every region and every free list and
 * verifies headers, sizes, neighbour links, coalescing, list membership,
 * bitmaps and counters. False at the first inconsistency. O(blocks). */
OWN_API bool own_fixed_check(own_fixed_t *h);

/* Calls fn(ptr, size, used, ctx) for every block in address order, region by
 * region: ptr is the block's user pointer, size its usable size. Stops early
 * when fn returns false. fn must not allocate from or free into h. Returns
 * false when h or fn is NULL or a damaged header stopped the walk. O(blocks). */
typedef bool (*own_fixed_walk_fn)(void *ptr, size_t size, bool used, void *ctx);
OWN_API bool own_fixed_walk(own_fixed_t *h, own_fixed_walk_fn fn, void *ctx);

/* Installs lock hooks: every function above (except footprint and
 * required_size) calls lock(ctx) on entry and unlock(ctx) before it returns.
 * Both NULL removes them. Call it before the heap is shared. */
typedef void (*own_fixed_lock_fn)(void *ctx);
OWN_API void own_fixed_set_lock(own_fixed_t *h, own_fixed_lock_fn lock, own_fixed_lock_fn unlock,
                                void *ctx);

/* The heap behind the own_allocator_t interface (own/allocator.h): layouts
 * with any power-of-two alignment; resize keeps the alignment. The allocator
 * holds h; it is valid as long as the heap is. */
OWN_API own_allocator_t own_fixed_allocator(own_fixed_t *h);

OWN_EXTERN_C_END

#endif
