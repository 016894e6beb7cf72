/* alloc/stats.c — statistics (own_stats, own_stats_print) and own_collect.
 *
 * Counters that change on rare paths (OS calls, committed bytes) are kept
 * exactly as atomics. Live bytes and blocks are not counted on the fast path
 * at all: they are summed from page metadata (used * block_size) by walking
 * every segment under the global lock, which keeps malloc/free free of
 * bookkeeping. */
#include "alloc/internal.h"
#include "core/format.h"
#include "os/os.h"

/* Blocks freed by other threads and not yet taken back by the owner: they
 * still count in page->used. */
static size_t pending_remote(own_page_t *page) {
  uintptr_t x = atomic_load_explicit(&page->xfree, memory_order_acquire);
  if ((x & XF_STATE) == XF_PURGED) return page->used;
  size_t n = _own_xf_count(x);
  return n < page->used ? n : page->used;
}

_Static_assert(BIN_COUNT - 1 <= OWN_STATS_CLASSES, "own_stats_t has an entry for every size class");

void own_stats(own_stats_t *out) {
  if (!out) return;
  *out = (own_stats_t){0};
  out->class_count = BIN_COUNT - 1;
  for (unsigned b = 1; b < BIN_COUNT; b++)
    out->classes[b - 1].block_size = _own_bin_size[b];
  _own_lock();
  for (own_segment_t *seg = _own_all_segments; seg; seg = seg->all_next) {
    for (unsigned i = 1; i < SLICES; i++) {
      own_page_t *page = &seg->pages[i];
      if (seg->owner[i] != i || page->area == 0) continue;
      size_t live = page->used - pending_remote(page);
      out->allocated += live * page->block_size;
      out->allocated_blocks += live;
      if (page->bin > 0) {
        out->classes[page->bin - 1].blocks += live;
        out->classes[page->bin - 1].pages++;
      } else { /* a large block: above the largest class */
        out->huge_blocks += live;
        out->huge_bytes += live * page->block_size;
      }
    }
  }
  /* Blocks in foreign caches are free to the program, though their pages
   * count them as used (read racily: the owners may be running). */
  for (own_tld_t *tld = _own_all_tlds; tld; tld = tld->all_next) {
    for (unsigned b = FOREIGN_BIN_MIN; b <= FOREIGN_BIN_MAX; b++) {
      own_page_t *f = &tld->heap->foreign[b];
      size_t n = 0u - __atomic_load_n(&f->used, __ATOMIC_RELAXED);
      if (n > out->classes[b - 1].blocks) n = out->classes[b - 1].blocks;
      out->classes[b - 1].blocks -= n;
      out->allocated_blocks -= n;
      out->allocated -= n * f->block_size;
    }
  }
  size_t mapped_blocks = 0, mapped_bytes = 0;
  for (own_segment_t *seg = _own_huge_segments; seg; seg = seg->all_next) {
    mapped_blocks++;
    mapped_bytes += seg->huge_size;
  }
  _own_unlock();
  out->huge_blocks += mapped_blocks;
  out->huge_bytes += mapped_bytes;
  out->allocated += mapped_bytes;
  out->allocated_blocks += mapped_blocks;
  out->committed = atomic_load_explicit(&_own_committed, memory_order_relaxed);
  out->peak_committed = atomic_load_explicit(&_own_peak_committed, memory_order_relaxed);
  out->abandoned_segments = atomic_load_explicit(&_own_abandoned_count, memory_order_relaxed);
  out->threads = _own_thread_count();
  _own_os_counters_t os;
  _own_os_counters(&os);
  out->reserved = os.reserved;
  out->os_mappings = os.mappings;
  out->os_map_calls = os.map_calls;
  out->os_unmap_calls = os.unmap_calls;
  out->os_purge_calls = os.purge_calls;
}

static void print_size(char *buf, size_t n, size_t bytes) {
  if (bytes >= ((size_t)10 << 20)) _own_format(buf, n, "%zu MiB", bytes >> 20);
  else if (bytes >= ((size_t)10 << 10)) _own_format(buf, n, "%zu KiB", bytes >> 10);
  else _own_format(buf, n, "%zu B", bytes);
}

void own_stats_print(int fd) {
  own_stats_t s;
  own_stats(&s);
  char a[32], c[32], p[32], r[32], h[32];
  print_size(a, sizeof a, s.allocated);
  print_size(c, sizeof c, s.committed);
  print_size(p, sizeof p, s.peak_committed);
  print_size(r, sizeof r, s.reserved);
  print_size(h, sizeof h, s.huge_bytes);
  _own_fdprintf(fd,
                "own heap statistics\n"
                "  allocated      %s in %zu blocks\n"
                "  committed      %s (peak %s)\n"
                "  reserved       %s in %zu OS mappings\n"
                "  OS calls       %zu mmap, %zu munmap, %zu purge\n"
                "  huge blocks    %zu (%s)\n"
                "  threads        %zu (abandoned segments %zu)\n",
                a, s.allocated_blocks, c, p, r, s.os_mappings, s.os_map_calls, s.os_unmap_calls,
                s.os_purge_calls, s.huge_blocks, h, s.threads, s.abandoned_segments);
  _own_fdprintf(fd, "  %10s %12s %8s\n", "block size", "live blocks", "pages");
  for (size_t i = 0; i < s.class_count; i++)
    if (s.classes[i].pages)
      _own_fdprintf(fd, "  %10zu %12zu %8zu\n", s.classes[i].block_size, s.classes[i].blocks,
                    s.classes[i].pages);
}

void own_collect(void) {
  own_heap_t *heap = _own_heap_get();
  if (!heap) return;
  _own_foreign_flush_all(heap->tld->heap, true);
  _own_segments_collect(heap->tld);
  _own_huge_cache_flush();
}
