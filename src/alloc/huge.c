/* alloc/huge.c — blocks above LARGE_MAX (1 MiB): one OS mapping each, with a
 * segment header in front so that free finds it like any other block
 * ((p - 1) & ~(4 MiB - 1) is the header, thread_id 0 sends every free here).
 *
 * The block sits HUGE_HEADER (64 KiB) into the mapping, or at `align` for an
 * alignment up to 4 MiB; for larger alignments the header sits 4 MiB below
 * the block (only its first page is ever touched). A huge block may be freed
 * from any thread: the global list is taken under the global lock, which is
 * cheap next to the system calls a huge block costs. Growth uses mremap,
 * which moves page tables, not bytes.
 *
 * The pool. A program that allocates and frees multi-megabyte buffers would
 * otherwise pay, every round, for mmap, munmap and a page fault (plus zeroing)
 * per page. Freed huge mappings stay resident in a pool of "chunks" (runs of
 * pages, each inside one kernel mapping), up to OWN_HUGE_CACHE_KIB in all. The
 * chunks are described in a small array, oldest first, not in their own first
 * bytes: looking through the pool then reads a few cache lines, not one page
 * per chunk (which cost a cache and TLB miss each, on every huge block). A new huge block is built
 * from them: an aligned chunk large enough is used in place (its tail stays in
 * the pool); otherwise a fresh aligned mapping is made and chunks are moved
 * into it with mremap (page tables move, no byte is copied, no page faults),
 * up to HUGE_PIECES - 1 of them; the rest of the block is fresh zero pages.
 * The block remembers its pieces, so each goes back to the pool as a chunk
 * that one mremap can move again. New segments are built from the pool the
 * same way (_own_huge_pool_segment). Chunks unused for HUGE_CACHE_NS go back
 * to the OS at the next heap activity that looks (huge alloc/free, a thread
 * freeing slices, own_collect); the oldest go first when the pool is over its
 * bound, which is POOL_IDLE_BOUND unless the pool is serving more than that
 * (pool_bound_locked).
 */
#include <errno.h>
#include <string.h>

#include "alloc/internal.h"
#include "core/options.h"
#include "os/os.h"

#define HUGE_CACHE_NS ((uint64_t)1000000000) /* 1 s */
#define POOL_MAX_CHUNKS 256

typedef struct chunk {
  uint8_t *at;
  size_t size;
  uint64_t freed_ns;
} chunk_t;

/* Room for the bound and one block's pieces, put in before the pool is trimmed. */
static chunk_t pool[POOL_MAX_CHUNKS + HUGE_PIECES]; /* oldest first (global lock) */
static size_t pool_count;            /* entries of pool (global lock)         */
static _Atomic size_t pool_bytes;    /* written under the lock, read without  */
static _Atomic uint64_t pool_due_ns; /* earliest expiry, 0: pool empty        */

/* Chunks on their way back to the OS, linked through their first bytes. */
typedef struct dead_chunk {
  struct dead_chunk *next;
  size_t size;
} dead_chunk_t;

static size_t pool_limit(void) {
#if defined(OWN_VALGRIND) && __has_include(<valgrind/memcheck.h>)
  if (RUNNING_ON_VALGRIND) return 0; /* memcheck tracks mappings, not moved pages */
#endif
  long kib = _own_option(OWN_OPT_HUGE_CACHE_KIB);
  return kib > 0 ? (size_t)kib * 1024 : 0;
}

/* How much the pool may hold now: up to POOL_IDLE_BOUND always, and up to
 * OWN_HUGE_CACHE_KIB while huge blocks are being built from it — as much as
 * it served in the last one-second window (or the one before). A program
 * cycling huge buffers keeps their pages; one that frees a pile of them and
 * goes idle (nothing then runs to expire the pool) keeps at most
 * POOL_IDLE_BOUND. Global lock held. */
#define POOL_IDLE_BOUND ((size_t)64 << 20)
static uint64_t served_window_ns; /* start of the current window           */
static size_t served_now;         /* bytes built from the pool in it        */
static size_t served_prev;        /* ... and in the window before           */

static void pool_served_locked(uint64_t now, size_t bytes) {
  if (now - served_window_ns >= HUGE_CACHE_NS) {
    served_prev = now - served_window_ns < 2 * HUGE_CACHE_NS ? served_now : 0;
    served_now = 0;
    served_window_ns = now;
  }
  served_now += bytes;
}

static size_t pool_bound_locked(uint64_t now) {
  size_t limit = pool_limit();
  uint64_t age = now - served_window_ns;
  size_t recent = 0; /* served in the last full window and the current one */
  if (age < HUGE_CACHE_NS) recent = served_now > served_prev ? served_now : served_prev;
  else if (age < 2 * HUGE_CACHE_NS) recent = served_now;
  size_t bound = recent > POOL_IDLE_BOUND ? recent : POOL_IDLE_BOUND;
  return bound < limit ? bound : limit;
}

static void unmap_segment(own_segment_t *seg) {
  seg->magic = 0;
  _own_committed_sub(seg->map_size);
  _own_os_unmap(seg->map_base, seg->map_size);
}

static void unmap_chunks(dead_chunk_t *dead) {
  while (dead) {
    dead_chunk_t *next = dead->next;
    _own_committed_sub(dead->size);
    _own_os_unmap(dead, dead->size);
    dead = next;
  }
}

static void pool_remove_locked(size_t i) {
  atomic_store_explicit(&pool_bytes, pool_bytes - pool[i].size, memory_order_relaxed);
  memmove(&pool[i], &pool[i + 1], (pool_count - i - 1) * sizeof pool[0]);
  pool_count--;
}

/* Takes out of the pool what is older than HUGE_CACHE_NS (or everything),
 * and the oldest chunks while it is over `limit` or POOL_MAX_CHUNKS; returns
 * them for unmapping once the lock is released. The array is oldest first
 * (chunks come in at the end, and a chunk that gives part of itself keeps its
 * place), so all of these are at its front. Global lock held. */
static dead_chunk_t *pool_trim_locked(bool all, size_t limit) {
  uint64_t now = _own_os_now_ns();
  dead_chunk_t *dead = NULL;
  size_t k = 0, bytes = pool_bytes;
  while (k < pool_count && (all || now - pool[k].freed_ns > HUGE_CACHE_NS || bytes > limit ||
                            pool_count - k > POOL_MAX_CHUNKS)) {
    dead_chunk_t *d = (dead_chunk_t *)pool[k].at;
    d->next = dead;
    d->size = pool[k].size;
    dead = d;
    bytes -= pool[k].size;
    k++;
  }
  memmove(&pool[0], &pool[k], (pool_count - k) * sizeof pool[0]);
  pool_count -= k;
  atomic_store_explicit(&pool_bytes, bytes, memory_order_relaxed);
  atomic_store_explicit(&pool_due_ns, pool_count ? pool[0].freed_ns + HUGE_CACHE_NS : 0, memory_order_relaxed);
  return dead;
}

void _own_huge_cache_flush(void) {
  _own_lock();
  dead_chunk_t *dead = pool_trim_locked(true, 0);
  _own_unlock();
  unmap_chunks(dead);
}

void _own_huge_cache_expire(void) {
  uint64_t due = atomic_load_explicit(&pool_due_ns, memory_order_relaxed);
  if (due == 0 || _own_os_now_ns() < due) return;
  _own_lock();
  dead_chunk_t *dead = pool_trim_locked(false, pool_bound_locked(_own_os_now_ns()));
  _own_unlock();
  unmap_chunks(dead);
}

/* A mapping of map_size bytes, 4 MiB aligned, built from the pool as far as it
 * goes (see the file comment). Fills pieces/count; *fresh is where the fresh
 * zero pages begin. NULL if the pool has nothing or the OS refuses. */
static own_segment_t *pool_build(size_t map_size, size_t *pieces, uint32_t *count, size_t *fresh) {
  if (atomic_load_explicit(&pool_bytes, memory_order_relaxed) == 0) return NULL;
  uint8_t *taken[HUGE_PIECES];
  size_t taken_size[HUGE_PIECES];
  unsigned n = 0;
  size_t got = 0;
  uint64_t now = _own_os_now_ns();
  _own_lock();
  dead_chunk_t *dead = pool_trim_locked(false, pool_bound_locked(now));
  /* An aligned chunk that holds the whole mapping: used in place. */
  size_t best = pool_count;
  for (size_t i = 0; i < pool_count; i++) {
    if (((uintptr_t)pool[i].at & SEGMENT_MASK) == 0 && pool[i].size >= map_size &&
        (best == pool_count || pool[i].size < pool[best].size))
      best = i;
  }
  if (best < pool_count) {
    uint8_t *at = pool[best].at;
    if (pool[best].size > map_size) { /* the tail stays in the pool, in its place */
      pool[best].at += map_size;
      pool[best].size -= map_size;
      atomic_store_explicit(&pool_bytes, pool_bytes - map_size, memory_order_relaxed);
      _own_os_count_mappings(1);
    } else {
      pool_remove_locked(best);
    }
    if (pool_count == 0) atomic_store_explicit(&pool_due_ns, 0, memory_order_relaxed);
    pool_served_locked(now, map_size);
    _own_unlock();
    unmap_chunks(dead);
    pieces[0] = map_size;
    *count = 1;
    *fresh = map_size;
    return (own_segment_t *)at;
  }
  /* Otherwise chunks moved into a fresh mapping, as few as possible: the
   * smallest chunk that holds what is missing (it gives its tail), else the
   * largest one, and again. */
  while (pool_count > 0 && got < map_size && n < HUGE_PIECES - 1) {
    size_t want = map_size - got;
    size_t fit = pool_count, largest = 0;
    for (size_t i = 0; i < pool_count; i++) {
      size_t sz = pool[i].size;
      if (sz >= want && (fit == pool_count || sz < pool[fit].size)) fit = i;
      if (sz > pool[largest].size) largest = i;
    }
    size_t i = fit < pool_count ? fit : largest;
    if (pool[i].size > want) {
      pool[i].size -= want;
      atomic_store_explicit(&pool_bytes, pool_bytes - want, memory_order_relaxed);
      taken[n] = pool[i].at + pool[i].size;
      taken_size[n++] = want;
      got += want;
      _own_os_count_mappings(1); /* the tail becomes a mapping of its own... */
    } else {
      taken[n] = pool[i].at;
      taken_size[n++] = pool[i].size;
      got += pool[i].size;
      pool_remove_locked(i);
    }
  }
  if (pool_count == 0) atomic_store_explicit(&pool_due_ns, 0, memory_order_relaxed);
  pool_served_locked(now, got);
  _own_unlock();
  unmap_chunks(dead);
  uint8_t *dst = _own_os_map(map_size, SEGMENT_SIZE);
  if (dst) _own_committed_add(map_size);
  size_t at = 0;
  uint32_t k = 0;
  for (unsigned i = 0; i < n; i++) {
    if (dst && _own_os_move(taken[i], taken_size[i], dst + at)) {
      _own_os_count_mappings(-1); /* ...and is now part of the block's */
      _own_committed_sub(taken_size[i]);
      pieces[k++] = taken_size[i];
      at += taken_size[i];
    } else { /* no mapping to move into, or the move failed: give it back */
      _own_committed_sub(taken_size[i]);
      _own_os_unmap(taken[i], taken_size[i]);
    }
  }
  if (!dst) return NULL;
  if (at < map_size) pieces[k++] = map_size - at;
  *count = k;
  *fresh = at;
  return (own_segment_t *)dst;
}

void *_own_huge_pool_segment(size_t *resident) {
  size_t pieces[HUGE_PIECES];
  uint32_t count;
  own_segment_t *seg = pool_build(SEGMENT_SIZE, pieces, &count, resident);
  if (seg) _own_committed_sub(SEGMENT_SIZE); /* the segment layer counts its own */
  return seg;
}

/* Keeps the pieces of a freed default-aligned mapping in the pool; false if
 * the pool is off (the caller unmaps). */
static bool pool_put(own_segment_t *seg) {
  size_t limit = pool_limit();
  if (seg->huge_block != (uint8_t *)seg + HUGE_HEADER || limit == 0) return false;
  uint32_t count = seg->piece_count;
  size_t pieces[HUGE_PIECES];
  memcpy(pieces, seg->pieces, sizeof pieces);
  seg->magic = 0;
  uint64_t now = _own_os_now_ns();
  _own_lock();
  uint8_t *at = (uint8_t *)seg;
  for (uint32_t i = 0; i < count; i++) { /* HUGE_PIECES at most: there is room */
    pool[pool_count++] = (chunk_t){at, pieces[i], now};
    atomic_store_explicit(&pool_bytes, pool_bytes + pieces[i], memory_order_relaxed);
    at += pieces[i];
  }
  _own_os_count_mappings((long)count - 1);
  if (atomic_load_explicit(&pool_due_ns, memory_order_relaxed) == 0)
    atomic_store_explicit(&pool_due_ns, now + HUGE_CACHE_NS, memory_order_relaxed);
  dead_chunk_t *dead = pool_trim_locked(false, pool_bound_locked(now));
  _own_unlock();
  unmap_chunks(dead);
  return true;
}

static size_t huge_offset(size_t align) {
  if (align <= HUGE_HEADER) return HUGE_HEADER;
  return align <= SEGMENT_SIZE ? align : SEGMENT_SIZE;
}

static void list_add(own_segment_t *seg) {
  _own_lock();
  seg->all_prev = NULL;
  seg->all_next = _own_huge_segments;
  if (_own_huge_segments) _own_huge_segments->all_prev = seg;
  _own_huge_segments = seg;
  _own_unlock();
}

static void list_remove_locked(own_segment_t *seg) {
  if (seg->all_prev) seg->all_prev->all_next = seg->all_next;
  else _own_huge_segments = seg->all_next;
  if (seg->all_next) seg->all_next->all_prev = seg->all_prev;
}

void *_own_huge_alloc(own_heap_t *heap, size_t size, size_t align, bool zero) {
  if (heap == &_own_heap_empty) heap = _own_thread_init();
  size_t page = _own_os_page_size();
  size_t off = huge_offset(align);
  if (size > (size_t)PTRDIFF_MAX - off - SEGMENT_SIZE) {
    errno = ENOMEM;
    return NULL;
  }
  size_t map_size = (off + size + page - 1) & ~(page - 1);
  size_t pieces[HUGE_PIECES];
  uint32_t count = 0;
  size_t fresh = 0;
  own_segment_t *seg = off == HUGE_HEADER ? pool_build(map_size, pieces, &count, &fresh) : NULL;
  if (seg) {
    memset(seg, 0, sizeof *seg); /* the header of a built mapping holds old bytes */
    if (zero && fresh > off) memset((uint8_t *)seg + off, 0, (fresh < off + size ? fresh : off + size) - off);
  } else {
    seg = align > SEGMENT_SIZE ? _own_os_map_at(map_size, align, off) : _own_os_map(map_size, SEGMENT_SIZE);
    if (!seg) {
      errno = ENOMEM;
      return NULL;
    }
    _own_committed_add(map_size);
    pieces[0] = map_size;
    count = 1;
  }
  memcpy(seg->pieces, pieces, sizeof pieces);
  seg->piece_count = count;
  seg->magic = SEGMENT_MAGIC;
  seg->kind = SEG_HUGE;
  atomic_store_explicit(&seg->thread_id, 0, memory_order_relaxed);
  seg->map_base = (uint8_t *)seg;
  seg->map_size = map_size;
  seg->huge_block = (uint8_t *)seg + off;
  seg->huge_size = map_size - off;
  seg->huge_heap = heap;
  list_add(seg);
  _own_hugemap_set((uintptr_t)seg, map_size, true);
  _own_segmap_set((uintptr_t)seg, true);
  OWN_TRACK_ALLOC(seg->huge_block, seg->huge_size, 1);
  return seg->huge_block;
}

void _own_huge_free(own_segment_t *seg, void *p) {
  if (seg->magic != SEGMENT_MAGIC || p != seg->huge_block) {
    _own_invalid_free(p);
    return;
  }
  OWN_TRACK_FREE(p);
  _own_segmap_set((uintptr_t)seg, false);
  _own_hugemap_set((uintptr_t)seg, seg->map_size, false);
  _own_lock();
  list_remove_locked(seg);
  _own_unlock();
  if (!pool_put(seg)) unmap_segment(seg);
}

void *_own_huge_realloc(own_segment_t *seg, void *p, size_t size) {
  /* Over-aligned, or built of pieces (one mremap moves one mapping): copy. */
  if (seg->huge_block != (uint8_t *)seg + HUGE_HEADER || seg->piece_count != 1) return NULL;
  size_t page = _own_os_page_size();
  if (size > (size_t)PTRDIFF_MAX - HUGE_HEADER - SEGMENT_SIZE) return NULL;
  size_t map_size = (HUGE_HEADER + size + page - 1) & ~(page - 1);
  if (map_size == seg->map_size) return p;
  size_t old_size = seg->map_size;
  _own_segmap_set((uintptr_t)seg, false);
  _own_hugemap_set((uintptr_t)seg, old_size, false);
  _own_lock();
  list_remove_locked(seg);
  _own_unlock();
  own_segment_t *nseg = _own_os_remap(seg, old_size, map_size, SEGMENT_SIZE);
  if (!nseg) { /* the old mapping is unchanged */
    list_add(seg);
    _own_hugemap_set((uintptr_t)seg, old_size, true);
    _own_segmap_set((uintptr_t)seg, true);
    return NULL;
  }
  nseg->map_base = (uint8_t *)nseg;
  nseg->map_size = map_size;
  nseg->huge_block = (uint8_t *)nseg + HUGE_HEADER;
  nseg->huge_size = map_size - HUGE_HEADER;
  nseg->pieces[0] = map_size;
  _own_committed_add(map_size);
  _own_committed_sub(old_size);
  list_add(nseg);
  _own_hugemap_set((uintptr_t)nseg, map_size, true);
  _own_segmap_set((uintptr_t)nseg, true);
  return nseg->huge_block;
}

void _own_huge_orphan(own_heap_t *heap, bool free_them) {
  own_segment_t *dead = NULL;
  _own_lock();
  own_segment_t *seg = _own_huge_segments;
  while (seg) {
    own_segment_t *next = seg->all_next;
    if (seg->huge_heap == heap) {
      if (free_them) {
        list_remove_locked(seg);
        seg->all_next = dead;
        dead = seg;
      } else {
        seg->huge_heap = NULL;
      }
    }
    seg = next;
  }
  _own_unlock();
  while (dead) {
    own_segment_t *next = dead->all_next;
    _own_segmap_set((uintptr_t)dead, false);
    _own_hugemap_set((uintptr_t)dead, dead->map_size, false);
    unmap_segment(dead); /* own_heap_destroy told memcheck already */
    dead = next;
  }
}
