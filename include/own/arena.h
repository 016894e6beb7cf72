/* own/arena.h — bump arenas with marks.
 *
 * An arena hands out memory by moving a pointer forward, and takes it all
 * back at once: reset releases everything, restore releases everything
 * allocated since a mark. There is no per-block free (freeing the most recent
 * block is the one exception), so there is nothing to fragment and nothing to
 * leak block by block: a frame, a request, a parse, a boot phase allocates
 * into an arena and drops the arena's contents when it ends. This is the
 * stack's discipline (allocation by moving a pointer, release by moving it
 * back) for data whose size is only known at run time.
 *
 * Two kinds:
 *  - fixed: over a caller's buffer (static RAM on a microcontroller, a stack
 *    array). Never calls anything; alloc fails when the buffer is full.
 *  - chunked: grows in chunks taken from another own_allocator_t (own's heap,
 *    the fixed heap, a pool, ...). Each new chunk is twice the previous, up to
 *    a limit; a request that does not fit a chunk of the current size gets a
 *    chunk of its own (its size rounded up to a multiple of the largest power
 *    of two not above max(limit, size / 8), so the chunk is reusable). Reset
 *    and restore keep the chunks and reuse them; own_arena_trim and
 *    own_arena_destroy give them back.
 *
 *   static unsigned char ram[8192];
 *   own_arena_t a;
 *   own_arena_init(&a, ram, sizeof ram);
 *   own_arena_mark_t m = own_arena_mark(&a);
 *   point_t *pts = OWN_ARENA_NEW_ARRAY(&a, point_t, n);   // NULL when full
 *   ...
 *   own_arena_restore(&a, m);                             // pts released
 *
 * Sizes: a fixed arena's whole buffer is usable (the state lives in the
 * own_arena_t); each allocation costs its size plus the padding its alignment
 * needs, and a request for 0 bytes takes 1 so that every block has its own
 * address. A chunk of a chunked arena starts with a header of
 * OWN_ARENA_CHUNK_HEADER bytes; the chunk sizes given at init include it.
 *
 * Errors: a request that cannot be met returns NULL (counted in failures),
 * never a smaller block: sizes are checked, so SIZE_MAX or a size plus
 * padding that would wrap fails. An alignment that is not a power of two
 * fails too, and in the library build is reported as OWN_ERR_BAD_ALIGNMENT.
 * Restoring a mark that is no longer valid is ignored, counted in errors and
 * reported (library build) as OWN_ERR_USAGE; see own_arena_restore.
 *
 * Thread and interrupt safety: an arena has no lock. One arena must not be
 * entered by two threads, or a thread and an interrupt handler, at the same
 * time: the caller serialises. A fixed arena is then safe to use from an
 * interrupt handler (no hidden lock, no call out, bounded time); a chunked
 * arena is exactly as safe as its parent allocator, which it calls when it
 * needs a chunk.
 *
 * Freestanding: this header and src/arena/arena.c use only <stddef.h>,
 * <stdint.h>, <stdbool.h> and own's core/layout/allocator headers; a chunked
 * arena reaches memory only through its parent's own_allocator_t.
 */
#ifndef OWN_ARENA_H
#define OWN_ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "allocator.h"
#include "core.h"
#include "layout.h"

OWN_EXTERN_C_BEGIN

/* The head of each chunk of a chunked arena (private). */
typedef struct own_arena_chunk {
  struct own_arena_chunk *next; /* the chunk used after this one            */
  size_t size;                  /* bytes of the chunk, this header included */
} own_arena_chunk_t;

/* Bytes at the start of every chunk that the arena keeps for itself. */
#define OWN_ARENA_CHUNK_HEADER sizeof(own_arena_chunk_t)
/* Chunk sizes a chunked arena uses when init is given 0. */
#define OWN_ARENA_DEFAULT_CHUNK ((size_t)4096)
#define OWN_ARENA_DEFAULT_MAX_CHUNK ((size_t)1 << 20)

/* An arena. The caller owns the struct; the init functions fill it in. The
 * fields are private: use the functions below. */
typedef struct own_arena {
  unsigned char *ptr;        /* next free byte of the current region           */
  unsigned char *end;        /* end of the current region                      */
  unsigned char *begin;      /* start of the current region                    */
  unsigned char *last;       /* the most recent block, or NULL                 */
  unsigned char *last_from;  /* ptr before that block (its padding included)   */
  own_arena_chunk_t *chunk;  /* current chunk (chunked; NULL before the first) */
  own_arena_chunk_t *first;  /* the chunk reset returns to (chunked)           */
  own_allocator_t parent;    /* where chunks come from (chunked)               */
  bool chunked;              /* false: one fixed buffer [begin, end)           */
  size_t first_chunk;        /* bytes of the first chunk (init's argument)     */
  size_t next_chunk;         /* bytes of the next ordinary chunk               */
  size_t max_chunk;          /* next_chunk doubles up to this                  */
  size_t epoch;              /* bumped by reset/trim/destroy: voids old marks  */
  size_t used;               /* bytes allocated (padding included)             */
  size_t peak;               /* largest `used` since init                      */
  size_t capacity;           /* bytes that blocks can occupy, in all chunks    */
  size_t chunks;             /* chunks held                                    */
  size_t failures;           /* allocations that returned NULL                 */
  size_t errors;             /* bad marks and bad alignments                   */
} own_arena_t;

/* A position in an arena: everything allocated after it can be released at
 * once by own_arena_restore. A plain value: copy it, keep it anywhere. */
typedef struct own_arena_mark {
  own_arena_chunk_t *chunk;
  unsigned char *ptr;
  size_t used;
  size_t epoch;
} own_arena_mark_t;

typedef struct own_arena_stats {
  size_t used;       /* bytes allocated now, alignment padding included;
                        the unused tail of a chunk left behind is not      */
  size_t peak;       /* largest `used` since init                          */
  size_t capacity;   /* bytes blocks can occupy: buffer, or chunks minus
                        their headers                                       */
  size_t chunks;     /* chunks held (0 for a fixed arena)                  */
  size_t next_chunk; /* bytes of the next ordinary chunk (0: fixed)        */
  size_t failures;   /* allocations that returned NULL                     */
  size_t errors;     /* ignored restores of invalid marks, bad alignments  */
} own_arena_stats_t;

/* Makes `arena` a fixed arena over buf[0, size). The arena borrows the buffer
 * (there is nothing to destroy). False when arena is NULL, buf is NULL or size
 * is 0; the arena is then valid and empty (every alloc returns NULL), unless
 * arena is NULL. O(1). */
OWN_API bool own_arena_init(own_arena_t *arena, void *buf, size_t size);

/* Makes `arena` a chunked arena whose chunks come from *parent (copied: the
 * allocator value need not outlive this call, but its ctx must outlive the
 * arena). The first chunk has first_chunk bytes (0: OWN_ARENA_DEFAULT_CHUNK),
 * each further one twice the previous, at most max_chunk bytes
 * (0: OWN_ARENA_DEFAULT_MAX_CHUNK; raised to first_chunk if smaller). No chunk
 * is allocated until the first request. parent == NULL means own's general
 * heap in the library build (when built with its heap); compiled alone,
 * NULL is rejected. False when
 * arena is NULL, parent is NULL (freestanding) or first_chunk is not larger
 * than OWN_ARENA_CHUNK_HEADER; the arena is then valid and empty.
 * O(1). Call own_arena_destroy to give the chunks back. */
OWN_API bool own_arena_init_chunked(own_arena_t *arena, const own_allocator_t *parent,
                                    size_t first_chunk, size_t max_chunk);

/* A block of `size` bytes aligned to `align` (any power of two), or NULL when
 * arena is NULL, align is not a power of two, or the memory is not there
 * (full buffer, parent out of memory, size + padding would overflow). The
 * contents are unspecified. size 0 is served as 1 byte. The block lives until
 * reset, a restore to a mark taken before it, or destroy. Not declared
 * malloc-like: the block is part of a buffer the caller can also see.
 * O(1); a chunked arena calls parent->alloc at most once. Not thread-safe. */
OWN_API void *own_arena_alloc(own_arena_t *arena, size_t size, size_t align);

/* n blocks of `size` bytes each, contiguous; NULL also when n * size
 * overflows. O(1). */
OWN_API void *own_arena_alloc_array(own_arena_t *arena, size_t n, size_t size, size_t align);

/* Typed conveniences: one T, or an array of n T. NULL as above. */
#define OWN_ARENA_NEW(arena, T) ((T *)own_arena_alloc((arena), sizeof(T), _Alignof(T)))
#define OWN_ARENA_NEW_ARRAY(arena, T, n) \
  ((T *)own_arena_alloc_array((arena), (n), sizeof(T), _Alignof(T)))

/* Releases p when it is the most recent block (its bytes are reused by the
 * next request); otherwise does nothing (the block lives until reset or
 * restore). NULL does nothing. Only one level: after a pop, the block before
 * it is not "most recent". O(1). */
OWN_API void own_arena_free(own_arena_t *arena, void *p);

/* Resizes block p (old_size bytes, aligned to align) to new_size bytes:
 *  - p is the most recent block and the room is there: grows or shrinks in
 *    place and returns p;
 *  - otherwise new_size <= old_size: returns p (the tail is not reclaimed);
 *  - otherwise a new block: the first old_size bytes are copied, p stays
 *    allocated until reset/restore, and the new block is returned.
 * NULL (p untouched) when the memory is not there or align is invalid;
 * p == NULL acts as own_arena_alloc(arena, new_size, align).
 * O(1) plus the copy (old_size bytes, a plain loop: no libc). */
OWN_API void *own_arena_resize(own_arena_t *arena, void *p, size_t old_size, size_t new_size,
                               size_t align);

/* The current position. O(1). Also ends "most recent block" popping across
 * the mark (own_arena_free cannot reach below it). */
OWN_API own_arena_mark_t own_arena_mark(own_arena_t *arena);

/* Releases everything allocated after `mark` was taken, in every chunk;
 * chunks after the mark's are kept for reuse. Marks nest: restoring an outer
 * mark after an inner one is fine, and a mark can be restored many times.
 * A mark is invalid once the arena was reset, trimmed or destroyed after it
 * was taken, or when it lies beyond the current position (a mark taken after
 * the position restored to since). Invalid marks from reset, trim and
 * destroy are always detected, the others when the arena has less in use
 * now than at the mark: such restores are ignored, counted in errors and
 * reported in the library build. O(1). */
OWN_API void own_arena_restore(own_arena_t *arena, own_arena_mark_t mark);

/* Releases every block at once and voids all marks. A chunked arena keeps
 * its chunks and starts again from the first. O(1). */
OWN_API void own_arena_reset(own_arena_t *arena);

/* Chunked: gives the chunks after the current one back to the parent (they
 * hold no live block) and voids all marks. Fixed: does nothing.
 * O(number of chunks freed). */
OWN_API void own_arena_trim(own_arena_t *arena);

/* Chunked: releases every block and gives every chunk back to the parent;
 * the arena stays usable (as after init). Fixed: same as reset.
 * O(number of chunks). */
OWN_API void own_arena_destroy(own_arena_t *arena);

/* Counters (all zero for NULL). O(1). */
OWN_API own_arena_stats_t own_arena_stats(const own_arena_t *arena);

/* The arena behind own_allocator_t, for own's owning types and collections.
 * alloc is own_arena_alloc(layout.size, layout.align); free is
 * own_arena_free (a no-op unless p is the most recent block); resize is
 * own_arena_resize (in place for the most recent block when possible). The
 * allocator refers to *arena, which must outlive it. O(1) as above. */
OWN_API own_allocator_t own_arena_allocator(own_arena_t *arena);

OWN_EXTERN_C_END

#endif
