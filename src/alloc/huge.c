/* alloc/huge.c — blocks above LARGE_MAX (1 MiB): one OS mapping each, with a
 * segment header in front so that free finds it like any other block
 * ((p - 1) & ~(4 MiB - 1) is the header, thread_id 0 sends every free here).
 *
 * The block sits HUGE_HEADER (64 KiB) into the mapping, or at `align` for an
 * alignment up to 4 MiB; for larger alignments the header sits 4 MiB below
 * the block (only its first page is ever touched). A huge block may be freed
 * from any thread: the global list is taken under the global lock, which is
 * cheap next to the mmap/munmap a huge block costs. Growth uses mremap,
 * which moves page tables, not bytes.
 *
 * A small cache of freed mappings (at most HUGE_CACHE_BYTES, none older than
 * HUGE_CACHE_NS when the next huge operation looks) spares a program that
 * allocates and frees multi-megabyte buffers in a loop the mmap, munmap and
 * page faults of every round, while bounding what an idle program keeps.
 */
#include <errno.h>
#include <string.h>

#include "alloc/internal.h"
#include "os/os.h"

#define HUGE_CACHE_BYTES ((size_t)32 << 20)
#define HUGE_CACHE_NS ((uint64_t)2000000000) /* 2 s */

static own_segment_t *cache;    /* freed mappings, newest first (global lock) */
static _Atomic size_t cache_bytes; /* written under the lock, read without it */

static void unmap_segment(own_segment_t *seg) {
  seg->magic = 0;
  _own_committed_sub(seg->map_size);
  _own_os_unmap(seg->map_base, seg->map_size);
}

/* Takes out of the cache what is too old (or everything); returns a list of
 * segments to unmap once the lock is released. Global lock held. */
static own_segment_t *cache_expire_locked(bool all) {
  uint64_t now = _own_os_now_ns();
  own_segment_t *dead = NULL, **link = &cache;
  while (*link) {
    own_segment_t *seg = *link;
    if (all || now - (uint64_t)seg->huge_size > HUGE_CACHE_NS) {
      *link = seg->all_next;
      cache_bytes -= seg->map_size;
      seg->all_next = dead;
      dead = seg;
    } else {
      link = &seg->all_next;
    }
  }
  return dead;
}

static void unmap_list(own_segment_t *dead) {
  while (dead) {
    own_segment_t *next = dead->all_next;
    unmap_segment(dead);
    dead = next;
  }
}

void _own_huge_cache_flush(void) {
  _own_lock();
  own_segment_t *dead = cache_expire_locked(true);
  _own_unlock();
  unmap_list(dead);
}

/* The smallest cached mapping of at least map_size bytes and at most four times that. */
static own_segment_t *cache_take(size_t map_size) {
  if (atomic_load_explicit(&cache_bytes, memory_order_relaxed) == 0) return NULL;
  _own_lock();
  own_segment_t *dead = cache_expire_locked(false);
  own_segment_t *best = NULL, **best_link = NULL;
  for (own_segment_t **link = &cache; *link; link = &(*link)->all_next) {
    own_segment_t *s = *link;
    if (s->map_size >= map_size && s->map_size / 4 <= map_size && (!best || s->map_size < best->map_size)) {
      best = s;
      best_link = link;
    }
  }
  if (best) {
    *best_link = best->all_next;
    cache_bytes -= best->map_size;
  }
  _own_unlock();
  unmap_list(dead);
  return best;
}

/* Keeps a freed default-aligned mapping for reuse; false if it does not fit. */
static bool cache_put(own_segment_t *seg) {
  if (seg->huge_block != (uint8_t *)seg + HUGE_HEADER || seg->map_size > HUGE_CACHE_BYTES) return false;
  _own_lock();
  own_segment_t *dead = cache_expire_locked(false);
  bool kept = cache_bytes + seg->map_size <= HUGE_CACHE_BYTES;
  if (kept) {
    seg->huge_size = (size_t)_own_os_now_ns(); /* while cached: when it was freed */
    seg->all_next = cache;
    cache = seg;
    cache_bytes += seg->map_size;
  }
  _own_unlock();
  unmap_list(dead);
  return kept;
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
  own_segment_t *seg = off == HUGE_HEADER ? cache_take(map_size) : NULL;
  if (seg) {
    map_size = seg->map_size;
    if (zero) memset((uint8_t *)seg + off, 0, size);
  } else {
    seg = align > SEGMENT_SIZE ? _own_os_map_at(map_size, align, off) : _own_os_map(map_size, SEGMENT_SIZE);
    if (!seg) {
      errno = ENOMEM;
      return NULL;
    }
    _own_committed_add(map_size);
    if (map_size >= ((size_t)4 << 20)) _own_os_huge_pages(seg, map_size);
  }
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
  if (!cache_put(seg)) unmap_segment(seg);
}

void *_own_huge_realloc(own_segment_t *seg, void *p, size_t size) {
  if (seg->huge_block != (uint8_t *)seg + HUGE_HEADER) return NULL; /* over-aligned: copy */
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
