/* own/pool.h — fixed-size block pools over a caller's buffer.
 *
 * A pool carves a buffer into equal blocks and hands them out one at a time.
 * Every block has the same size, so any free block serves any request: a pool
 * cannot fragment, and alloc and free take constant time. This is the
 * allocator for the embedded case of own's design (a fixed amount of RAM, no
 * virtual memory, a program that runs for months): message buffers, timers,
 * network packets, list nodes, anything of one type that comes and goes.
 *
 *   static unsigned char buf[OWN_POOL_BUFFER_SIZE(32, sizeof(msg_t), _Alignof(msg_t))];
 *   static own_pool_t msgs;
 *   own_pool_init(&msgs, buf, sizeof buf, sizeof(msg_t), _Alignof(msg_t));   // 32 blocks
 *   msg_t *m = own_pool_alloc(&msgs);     // NULL when all 32 are in use
 *   own_pool_free(&msgs, m);
 *
 * Layout of the buffer: the blocks start at the first address aligned to the
 * block alignment, one every `stride` bytes; after the last block comes a
 * bitmap with one bit per block (set = allocated) that catches double frees.
 * The pool's own state is the own_pool_t the caller provides, never the
 * buffer's bytes in front of a block, so an overflow off the end of one block
 * corrupts at most its neighbour's contents or a free block's link (which alloc
 * checks before trusting it).
 *
 * Sizes: stride = max(block_size, sizeof(void *)) rounded up to
 * max(block_align, _Alignof(void *)) — a free block holds the free-list link,
 * so a block is never smaller than a pointer. A buffer of n blocks needs
 * n * stride + ceil(n / 8) bytes plus up to align - 1 bytes lost to a
 * misaligned start: OWN_POOL_BUFFER_SIZE computes exactly that.
 *
 * Time: every function here runs in O(1), with a constant bound that does not
 * depend on the number of blocks (init does not touch the buffer; blocks are
 * taken from a never-used region or the free list, whichever has one).
 *
 * Errors: free of a pointer that is not a block of this pool (outside the
 * buffer, or not on a block boundary) and free of a block that is already
 * free are detected, ignored and counted in the stats; the library build also
 * reports them through own_report (own/core.h: OWN_ERR_INVALID_FREE,
 * OWN_ERR_DOUBLE_FREE). A free-list link found overwritten (a write after
 * free) is reported as OWN_ERR_CORRUPTION and the pool stops handing out
 * blocks from its free list rather than return memory it does not own.
 * Compiled alone (the freestanding files without the rest of own), nothing is
 * reported: the counters are the only record.
 *
 * Thread and interrupt safety: a pool has no lock of its own. One pool must
 * not be entered by two threads, or by a thread and an interrupt handler, at
 * the same time; the caller serialises (a mutex, or masking the interrupt
 * around the call in thread context). Under that rule every function is safe
 * to call from an interrupt handler: it takes no hidden lock, never blocks,
 * never calls out to another allocator or to the OS, and runs in bounded time.
 * Only when the library build reports an error does it call own_report, whose
 * handler is the caller's choice. Different pools are independent.
 *
 * Freestanding: this header and src/pool/pool.c use only <stddef.h>,
 * <stdint.h>, <stdbool.h> and own's core/layout/allocator headers.
 */
#ifndef OWN_POOL_H
#define OWN_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "allocator.h"
#include "core.h"
#include "layout.h"

OWN_EXTERN_C_BEGIN

/* A pool. The caller owns the struct (static, on the stack, anywhere) and the
 * buffer; own_pool_init fills the struct in. The fields are private: read them
 * through the functions below. Moving the struct is fine; moving the buffer
 * is not. */
typedef struct own_pool {
  unsigned char *base;   /* first block; aligned to `align`                   */
  unsigned char *bitmap; /* one bit per block after the blocks; 1 = allocated */
  void *free_list;       /* freed blocks, linked through their first word     */
  size_t stride;         /* bytes from one block to the next                  */
  size_t block_size;     /* bytes asked for at init (<= stride)               */
  size_t align;          /* guaranteed alignment of every block               */
  size_t capacity;       /* number of blocks                                  */
  size_t fresh;          /* blocks [fresh, capacity) were never handed out    */
  size_t odd_shift;      /* stride = odd << odd_shift ...                     */
  size_t odd_inverse;    /* ... and odd * odd_inverse == 1 (mod 2^N)          */
  size_t used;           /* blocks allocated now                              */
  size_t peak;           /* most blocks allocated at once since init/reset    */
  size_t failures;       /* allocs that returned NULL                         */
  size_t invalid_frees;  /* frees of pointers not blocks of this pool         */
  size_t double_frees;   /* frees of blocks already free                      */
  size_t corruptions;    /* free-list links found overwritten                 */
} own_pool_t;

/* What a pool reports about itself. All counts are since init (used and
 * peak: since the last reset too). */
typedef struct own_pool_stats {
  size_t block_size;    /* usable bytes of each block (as given to init)   */
  size_t stride;        /* bytes each block occupies in the buffer          */
  size_t align;         /* every block is aligned to at least this          */
  size_t capacity;      /* number of blocks                                 */
  size_t used;          /* blocks allocated now                             */
  size_t peak;          /* most blocks allocated at once                    */
  size_t failures;      /* allocs that returned NULL (pool empty, or a
                           layout the blocks cannot hold)                   */
  size_t invalid_frees; /* frees ignored: pointer outside the pool or not
                           at the start of a block                         */
  size_t double_frees;  /* frees ignored: block already free               */
  size_t corruptions;   /* free-list links found overwritten               */
} own_pool_stats_t;

/* ---- Sizing (compile-time constants when the arguments are) ----------------
 * OWN_POOL_STRIDE: bytes per block for blocks of `size` bytes aligned to
 * `align` (a power of two; 0 means _Alignof(max_align_t)).
 * OWN_POOL_BUFFER_SIZE: a buffer of at least this many bytes holds `n` such
 * blocks whatever its own alignment. Both assume no overflow (use them for
 * static buffers; own_pool_buffer_size is the checked function). */
#define OWN_POOL_ALIGN_(align)                                                   \
  ((align) == 0 ? _Alignof(max_align_t)                                          \
                : ((align) > _Alignof(void *) ? (align) : _Alignof(void *)))
#define OWN_POOL_STRIDE(size, align)                                             \
  ((((size) > sizeof(void *) ? (size) : sizeof(void *)) + OWN_POOL_ALIGN_(align) - 1) & \
   ~(OWN_POOL_ALIGN_(align) - 1))
#define OWN_POOL_BUFFER_SIZE(n, size, align)                                     \
  ((n) * OWN_POOL_STRIDE(size, align) + ((n) + 7) / 8 + OWN_POOL_ALIGN_(align) - 1)

/* The checked OWN_POOL_BUFFER_SIZE: the bytes a buffer needs to hold `count`
 * blocks of `block_size` bytes aligned to `block_align` (0: max_align_t),
 * whatever the buffer's own alignment. 0 when block_size or count is 0, the
 * alignment is not a power of two, or the result would exceed PTRDIFF_MAX.
 * O(1); pure; thread-safe. */
OWN_API size_t own_pool_buffer_size(size_t count, size_t block_size, size_t block_align);

/* Makes `pool` a pool of blocks of `block_size` bytes, each aligned to
 * `block_align` (a power of two; 0 means _Alignof(max_align_t)), carved from
 * buf[0, size). The buffer may have any alignment; the bytes before the first
 * aligned address are skipped. The pool borrows the buffer until the caller
 * stops using the pool (there is nothing to destroy); the buffer's contents
 * are not read or cleared by init.
 *
 * Returns true with own_pool_capacity(pool) >= 1. Returns false when pool is
 * NULL, buf is NULL, block_size is 0, block_align is not a power of two, the
 * stride would overflow, or not one block fits; the pool is then still valid
 * and empty (capacity 0: every alloc returns NULL), unless pool is NULL.
 * O(1). Not thread-safe with respect to other uses of the same pool. */
OWN_API bool own_pool_init(own_pool_t *pool, void *buf, size_t size, size_t block_size,
                           size_t block_align);

/* A free block (block_size bytes, contents unspecified), or NULL when every
 * block is in use (counted in failures) or pool is NULL. The block belongs to
 * the caller until own_pool_free. Not declared malloc-like: the block is part
 * of the caller's buffer and its bytes may still hold old pointers.
 * O(1). Serialise calls on one pool (see the top of this file). */
OWN_API void *own_pool_alloc(own_pool_t *pool);

/* Returns block p to the pool. NULL p, or NULL pool, does nothing. A p that is
 * not a block of this pool, or a block that is already free, is ignored and
 * counted (invalid_frees, double_frees) and, in the library build, reported.
 * O(1). Serialise calls on one pool. */
OWN_API void own_pool_free(own_pool_t *pool, void *p);

/* True when p points at the start of a block of this pool (allocated or not).
 * O(1). */
OWN_API bool own_pool_owns(const own_pool_t *pool, const void *p);

/* Frees every block at once: the pool is as it was after init (stats except
 * used and peak are kept). Blocks handed out before become invalid.
 * O(1). */
OWN_API void own_pool_reset(own_pool_t *pool);

/* Number of blocks (0 for NULL or a pool whose init failed). O(1). */
OWN_API size_t own_pool_capacity(const own_pool_t *pool);
/* Usable bytes of each block (block_size from init). O(1). */
OWN_API size_t own_pool_block_size(const own_pool_t *pool);
/* Current counters (all zero for NULL). O(1). */
OWN_API own_pool_stats_t own_pool_stats(const own_pool_t *pool);

/* The pool behind own_allocator_t, for own's owning types and collections.
 * alloc(layout) returns a block when layout.size <= block_size and
 * layout.align <= the block alignment, and NULL otherwise (counted in
 * failures) or when the pool is empty. resize keeps the block when the new
 * size still fits (returns p) and fails (NULL, p untouched) otherwise. free
 * is own_pool_free. The allocator refers to *pool, which must outlive it.
 * O(1); the same serialisation rule applies. */
OWN_API own_allocator_t own_pool_allocator(own_pool_t *pool);

OWN_EXTERN_C_END

#endif
