/* alloc/huge.c — blocks above LARGE_MAX (1 MiB): one OS mapping each, with a
 * segment header in front so that free finds it like any other block
 * ((p - 1) & ~(4 MiB - 1) is the header, thread_id 0 sends every free here).
 *
 * The block sits HUGE_HEADER (64 KiB) into the mapping, or at `align` for an
 * alignment up to 4 MiB; for larger alignments the header sits 4 MiB below
 * the block (only its first page is ever touched). A huge block may be freed
 * from any thread: the global list is taken under the global lock, which is
 * cheap next to the mmap/munmap every huge block costs. Growth uses mremap,
 * which moves page tables, not bytes.
 */
#include <errno.h>
#include <string.h>

#include "alloc/internal.h"
#include "os/os.h"

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
  (void)zero; /* fresh mappings read as zero */
  if (heap == &_own_heap_empty) heap = _own_thread_init();
  size_t page = _own_os_page_size();
  size_t off = huge_offset(align);
  if (size > (size_t)PTRDIFF_MAX - off - SEGMENT_SIZE) {
    errno = ENOMEM;
    return NULL;
  }
  size_t map_size = (off + size + page - 1) & ~(page - 1);
  own_segment_t *seg = align > SEGMENT_SIZE ? _own_os_map_at(map_size, align, off)
                                            : _own_os_map(map_size, SEGMENT_SIZE);
  if (!seg) {
    errno = ENOMEM;
    return NULL;
  }
  seg->magic = SEGMENT_MAGIC;
  seg->kind = SEG_HUGE;
  atomic_store_explicit(&seg->thread_id, 0, memory_order_relaxed);
  seg->map_base = (uint8_t *)seg;
  seg->map_size = map_size;
  seg->huge_block = (uint8_t *)seg + off;
  seg->huge_size = map_size - off;
  seg->huge_heap = heap;
  _own_committed_add(map_size);
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
  seg->magic = 0;
  _own_committed_sub(seg->map_size);
  _own_os_unmap(seg->map_base, seg->map_size);
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
    OWN_TRACK_FREE(dead->huge_block);
    dead->magic = 0;
    _own_committed_sub(dead->map_size);
    _own_os_unmap(dead->map_base, dead->map_size);
    dead = next;
  }
}
