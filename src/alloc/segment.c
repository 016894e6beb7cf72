/* alloc/segment.c — segments: 4 MiB windows from the OS, carved into runs of
 * 64 KiB slices ("spans") for pages.
 *
 * A segment's free slices are one 64-bit mask, so finding a run of n free
 * slices is a few shifts and ands (O(log n)), with no free lists to keep.
 * Memory goes back to the OS in two ways: a thread whose free-but-resident
 * slices exceed OWN_PURGE_KIB purges them (madvise DONTNEED, the range stays
 * reserved and reads as zero later: purged_mask remembers that, so a page built
 * there needs no zeroing for calloc); an empty segment beyond the small
 * per-thread cache is unmapped at once.
 *
 * Segments of exited threads are "abandoned": kept on a global list until a
 * thread that needs a segment adopts one, collecting the frees other threads
 * made meanwhile. An exiting thread leaves its free memory resident, empty
 * segments included, up to abandoned_keep() in all, so that the thread started
 * next (a pool replacing a worker, a server's thread per connection) reuses
 * it without page faults; what nobody adopts within ABANDONED_DELAY_NS is
 * purged (empty segments unmapped) by the next thread that frees a span or
 * needs one. The global lock guards only rare paths (OS mappings, thread
 * exit, adoption, statistics).
 */
#include <stdatomic.h>
#include <string.h>

#include "alloc/internal.h"
#include "core/options.h"
#include "os/os.h"

#define ALL_SLICES (~(uint64_t)1) /* every slice but the header */

_Atomic uint64_t _own_segmap[((size_t)1 << (SEGMAP_BITS - SEGMENT_SHIFT)) / 64];
_Atomic uint64_t _own_hugemap[((size_t)1 << (SEGMAP_BITS - SEGMENT_SHIFT)) / 64];
own_segment_t *_own_all_segments;
own_segment_t *_own_huge_segments;
static own_segment_t *abandoned;         /* newest first (global lock)            */
static size_t abandoned_resident;        /* free, unpurged bytes on it (global lock) */
static _Atomic uint64_t abandoned_due_ns; /* earliest expiry on it, 0: none          */
_Atomic size_t _own_committed, _own_peak_committed, _own_abandoned_count;

static atomic_flag global_lock = ATOMIC_FLAG_INIT;

void _own_lock(void) {
  while (atomic_flag_test_and_set_explicit(&global_lock, memory_order_acquire)) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
}
void _own_unlock(void) { atomic_flag_clear_explicit(&global_lock, memory_order_release); }

void _own_segmap_set(uintptr_t seg, bool on) {
  uintptr_t i = seg >> SEGMENT_SHIFT;
  if (i >= ((uintptr_t)1 << (SEGMAP_BITS - SEGMENT_SHIFT))) return;
  uint64_t bit = (uint64_t)1 << (i & 63);
  if (on) atomic_fetch_or_explicit(&_own_segmap[i >> 6], bit, memory_order_release);
  else atomic_fetch_and_explicit(&_own_segmap[i >> 6], ~bit, memory_order_release);
}

void _own_hugemap_set(uintptr_t start, size_t size, bool on) {
  for (uintptr_t w = start & ~(uintptr_t)SEGMENT_MASK; w < start + size; w += SEGMENT_SIZE) {
    uintptr_t i = w >> SEGMENT_SHIFT;
    if (i >= ((uintptr_t)1 << (SEGMAP_BITS - SEGMENT_SHIFT))) return;
    uint64_t bit = (uint64_t)1 << (i & 63);
    if (on) atomic_fetch_or_explicit(&_own_hugemap[i >> 6], bit, memory_order_release);
    else atomic_fetch_and_explicit(&_own_hugemap[i >> 6], ~bit, memory_order_release);
  }
}

void _own_committed_add(size_t n) {
  size_t now = atomic_fetch_add_explicit(&_own_committed, n, memory_order_relaxed) + n;
  size_t peak = atomic_load_explicit(&_own_peak_committed, memory_order_relaxed);
  while (now > peak &&
         !atomic_compare_exchange_weak_explicit(&_own_peak_committed, &peak, now,
                                                memory_order_relaxed, memory_order_relaxed)) {
  }
}
void _own_committed_sub(size_t n) { atomic_fetch_sub_explicit(&_own_committed, n, memory_order_relaxed); }

static inline size_t bytes_of(uint64_t mask) { return (size_t)__builtin_popcountll(mask) << SLICE_SHIFT; }

/* Bits i..i+n-1 set, for 1 <= n <= 63. */
static inline uint64_t run_mask(unsigned i, size_t n) {
  return (n >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << n) - 1)) << i;
}

/* Index of the first run of n set bits in m, or -1. */
static int find_run(uint64_t m, size_t n) {
  uint64_t r = m;
  size_t len = 1;
  while (len < n && r) {
    size_t s = len < n - len ? len : n - len;
    r &= r >> s;
    len += s;
  }
  return r ? __builtin_ctzll(r) : -1;
}

/* ---- lists ---- */

static void tld_push(own_segment_t **list, own_segment_t *seg) {
  seg->prev = NULL;
  seg->next = *list;
  if (*list) (*list)->prev = seg;
  *list = seg;
}
static void tld_append(own_segment_t **list, own_segment_t *seg) {
  own_segment_t *last = *list;
  seg->next = NULL;
  if (!last) {
    seg->prev = NULL;
    *list = seg;
    return;
  }
  while (last->next) last = last->next;
  last->next = seg;
  seg->prev = last;
}
static void tld_remove(own_segment_t **list, own_segment_t *seg) {
  if (seg->prev) seg->prev->next = seg->next;
  else *list = seg->next;
  if (seg->next) seg->next->prev = seg->prev;
  seg->next = seg->prev = NULL;
}

/* ---- segments from and back to the OS ---- */

/* A new segment. Memory that freed huge blocks left in the huge pool comes
 * first: a program that frees a large buffer and then grows in small blocks
 * reuses those resident pages instead of faulting in new ones next to them.
 * Slices holding pooled pages count as free and resident (the purge policy
 * gives them back if they stay unused); the rest read as zero. */
static own_segment_t *segment_map(own_tld_t *tld) {
  size_t resident = 0;
  own_segment_t *seg = _own_huge_pool_segment(&resident);
  if (seg) {
    memset(seg, 0, sizeof *seg); /* pooled pages hold old bytes */
  } else {
    seg = _own_os_map(SEGMENT_SIZE, SEGMENT_SIZE);
    if (!seg) return NULL;
  }
  /* Slices 1..n-1 hold pooled pages, n = slices touched by the first
   * `resident` bytes. */
  size_t n = (resident + SLICE_SIZE - 1) >> SLICE_SHIFT;
  uint64_t old = n > 1 ? run_mask(1, n - 1) : 0;
  seg->magic = SEGMENT_MAGIC;
  seg->kind = SEG_NORMAL;
  seg->free_mask = ALL_SLICES;
  seg->purged_mask = ALL_SLICES & ~old; /* fresh memory: not resident, reads as zero */
  seg->tld = tld;
  atomic_store_explicit(&seg->thread_id, tld->thread_id, memory_order_relaxed);
  for (unsigned i = 0; i < SLICES; i++) seg->owner[i] = (uint8_t)i;
  seg->owner[SLICES] = 0;
  _own_committed_add(SLICE_SIZE + bytes_of(old)); /* the header slice, pooled slices */
  tld->free_resident += bytes_of(old);
  _own_lock();
  seg->all_next = _own_all_segments;
  seg->all_prev = NULL;
  if (_own_all_segments) _own_all_segments->all_prev = seg;
  _own_all_segments = seg;
  _own_unlock();
  _own_segmap_set((uintptr_t)seg, true);
  return seg;
}

static void segment_unmap(own_segment_t *seg) {
  _own_segmap_set((uintptr_t)seg, false);
  _own_lock();
  if (seg->all_prev) seg->all_prev->all_next = seg->all_next;
  else _own_all_segments = seg->all_next;
  if (seg->all_next) seg->all_next->all_prev = seg->all_prev;
  _own_unlock();
  _own_committed_sub(SLICE_SIZE + bytes_of(ALL_SLICES & ~seg->purged_mask));
  seg->magic = 0;
  _own_os_unmap(seg, SEGMENT_SIZE);
}

/* An empty segment leaves tld->segments for the cache. The cache may hold
 * OWN_SEGMENT_CACHE segments, or as many as the thread has in use if that is
 * more: a program that frees half its memory and allocates it again (in
 * another size) reuses its segments instead of unmapping and mapping them.
 * What is over the limit goes back to the OS, oldest first; what stays is
 * purged by maybe_purge like any free memory. */
static void segment_release(own_tld_t *tld, own_segment_t *seg) {
  tld_remove(&tld->segments, seg);
  tld->segment_count--;
  tld_push(&tld->cache, seg);
  tld->cache_count++;
  size_t limit = (size_t)_own_option(OWN_OPT_SEGMENT_CACHE);
  if (limit < tld->segment_count) limit = tld->segment_count;
  while (tld->cache_count > limit) {
    own_segment_t *old = tld->cache;
    while (old->next) old = old->next;
    tld_remove(&tld->cache, old);
    tld->cache_count--;
    tld->free_resident -= bytes_of(old->free_mask & ~old->purged_mask);
    segment_unmap(old);
  }
}

static void purge_segment(own_segment_t *seg) {
  uint64_t m = seg->free_mask & ~seg->purged_mask;
  while (m) {
    unsigned i = (unsigned)__builtin_ctzll(m);
    uint64_t rest = ~(m >> i);
    unsigned n = rest ? (unsigned)__builtin_ctzll(rest) : 64 - i;
    _own_os_purge((uint8_t *)seg + ((size_t)i << SLICE_SHIFT), (size_t)n << SLICE_SHIFT);
    m &= ~run_mask(i, n);
  }
  m = seg->free_mask & ~seg->purged_mask;
  seg->purged_mask |= m;
  _own_committed_sub(bytes_of(m));
}

void _own_segments_purge(own_tld_t *tld) {
  for (own_segment_t *s = tld->segments; s; s = s->next) purge_segment(s);
  for (own_segment_t *s = tld->cache; s; s = s->next) purge_segment(s);
  tld->free_resident = 0;
}

/* Free memory above the threshold is given back once it has stayed free for
 * PURGE_DELAY_NS: pages freed and taken again at once (a program moving from
 * one size to another) are not purged and faulted back in, while a program
 * that frees and stops still gives its memory back within milliseconds. */
#define PURGE_DELAY_NS ((uint64_t)10 * 1000 * 1000)

static void abandoned_expire(void);

static void maybe_purge(own_tld_t *tld) {
  abandoned_expire();
  _own_huge_cache_expire();
  if (tld->free_resident <= (size_t)_own_option(OWN_OPT_PURGE_KIB) * 1024) {
    tld->purge_due_ns = 0;
    return;
  }
  uint64_t now = _own_os_now_ns();
  if (tld->purge_due_ns == 0) {
    tld->purge_due_ns = now + PURGE_DELAY_NS;
    if (_own_option(OWN_OPT_PURGE_KIB) != 0) return;
  } else if (now < tld->purge_due_ns) {
    return;
  }
  _own_segments_purge(tld);
  tld->purge_due_ns = 0;
}

/* ---- spans ---- */

static own_page_t *span_take(own_tld_t *tld, own_segment_t *seg, unsigned i, size_t n) {
  uint64_t bits = run_mask(i, n);
  seg->free_mask &= ~bits;
  uint64_t purged = seg->purged_mask & bits;
  tld->free_resident -= bytes_of(bits & ~purged);
  if (tld->purge_due_ns && tld->free_resident <= (size_t)_own_option(OWN_OPT_PURGE_KIB) * 1024)
    tld->purge_due_ns = 0; /* reused in time */
  _own_committed_add(bytes_of(purged));
  seg->purged_mask &= ~bits;
  for (size_t j = i; j < i + n; j++) seg->owner[j] = (uint8_t)i;
  own_page_t *page = &seg->pages[i];
  memset(page, 0, sizeof *page);
  page->slice_count = (uint8_t)n;
  page->start = (uint8_t *)seg + ((size_t)i << SLICE_SHIFT);
  page->is_zero = purged == bits;
  if (seg->free_mask == 0 && seg->next) {
    /* Full segments go to the back so searches meet free space first. */
    tld_remove(&tld->segments, seg);
    tld_append(&tld->segments, seg);
  }
  return page;
}

own_page_t *_own_span_alloc(own_tld_t *tld, size_t n) {
  /* Segments of exited threads are adopted as fresh pages are needed, so
   * their blocks freed by others (and their free space) come back into use. */
  if (atomic_load_explicit(&_own_abandoned_count, memory_order_relaxed) > 0) {
    abandoned_expire();
    _own_segments_reclaim(tld->heap, 1);
  }
  for (own_segment_t *s = tld->segments; s; s = s->next) {
    if (s->free_mask == 0) break; /* full segments are at the back */
    int i = find_run(s->free_mask, n);
    if (i >= 0) return span_take(tld, s, (unsigned)i, n);
  }
  /* A segment from the cache, from an exited thread, or from the OS. */
  own_segment_t *seg = tld->cache;
  if (seg) {
    tld_remove(&tld->cache, seg);
    tld->cache_count--;
  } else {
    seg = segment_map(tld);
    if (!seg) return NULL;
  }
  tld_push(&tld->segments, seg);
  tld->segment_count++;
  return span_take(tld, seg, 1, n);
}

void _own_span_free(own_tld_t *tld, own_page_t *page) {
  own_segment_t *seg = _own_segment_of(page->start);
  unsigned i = (unsigned)(page - seg->pages);
  size_t n = page->slice_count;
  uint64_t bits = run_mask(i, n);
  page->area = 0;
  page->reserved = 0; /* no block start here any more (_own_is_block_start) */
  seg->foreign_bin[i] = 0;
  page->slice_count = 0;
  page->heap = NULL;
  bool was_full = seg->free_mask == 0;
  seg->free_mask |= bits;
  if (page->purged) { /* given back already by a remote purge */
    seg->purged_mask |= bits;
    _own_committed_sub(bytes_of(bits));
    page->purged = 0;
  } else {
    tld->free_resident += bytes_of(bits);
  }
  if (seg->free_mask == ALL_SLICES) {
    segment_release(tld, seg);
  } else if (was_full && seg->prev) {
    tld_remove(&tld->segments, seg);
    tld_push(&tld->segments, seg);
  }
  maybe_purge(tld);
}

/* ---- abandonment and adoption ---- */

/* Free memory of exited threads kept resident for the next thread, in all
 * (8 x OWN_PURGE_KIB: 32 MiB by default), and for how long. */
#define ABANDONED_DELAY_NS ((uint64_t)100 * 1000 * 1000)
static size_t abandoned_keep(void) { return (size_t)_own_option(OWN_OPT_PURGE_KIB) * 1024 * 8; }

static inline size_t resident_of(const own_segment_t *seg) {
  return bytes_of(seg->free_mask & ~seg->purged_mask);
}

/* Whether an abandoned segment has memory to give back once it expires. */
static inline bool expires(const own_segment_t *seg) {
  return resident_of(seg) != 0 || seg->free_mask == ALL_SLICES;
}

static void abandon_at_locked(own_segment_t *seg, uint64_t at) {
  seg->tld = NULL;
  atomic_store_explicit(&seg->thread_id, 0, memory_order_release);
  seg->abandoned = true;
  seg->abandoned_ns = at;
  seg->prev = NULL;
  seg->next = abandoned;
  if (abandoned) abandoned->prev = seg;
  abandoned = seg;
  abandoned_resident += resident_of(seg);
  if (expires(seg) && atomic_load_explicit(&abandoned_due_ns, memory_order_relaxed) == 0)
    atomic_store_explicit(&abandoned_due_ns, at + ABANDONED_DELAY_NS, memory_order_relaxed);
  atomic_fetch_add_explicit(&_own_abandoned_count, 1, memory_order_relaxed);
}

void _own_segment_abandon_locked(own_segment_t *seg) { abandon_at_locked(seg, _own_os_now_ns()); }

/* Gives a segment's free memory back (an empty one is unmapped) and leaves
 * the rest on the abandoned list, still dated `at`. Not on any list, no lock. */
static void give_back_and_abandon(own_segment_t *seg, uint64_t at) {
  if (seg->free_mask == ALL_SLICES) {
    segment_unmap(seg);
    return;
  }
  purge_segment(seg);
  _own_lock();
  abandon_at_locked(seg, at);
  _own_unlock();
}

static void unabandon_locked(own_segment_t *seg) {
  if (seg->prev) seg->prev->next = seg->next;
  else abandoned = seg->next;
  if (seg->next) seg->next->prev = seg->prev;
  seg->next = seg->prev = NULL;
  seg->abandoned = false;
  abandoned_resident -= resident_of(seg);
  atomic_fetch_sub_explicit(&_own_abandoned_count, 1, memory_order_relaxed);
}

/* Gives back the free memory of segments abandoned more than
 * ABANDONED_DELAY_NS ago: empty ones are unmapped, the others purged. Cheap
 * when nothing is due (one relaxed load). */
static void abandoned_expire(void) {
  uint64_t due = atomic_load_explicit(&abandoned_due_ns, memory_order_relaxed);
  if (due == 0) return;
  uint64_t now = _own_os_now_ns();
  if (now < due) return;
  own_segment_t *expired = NULL;
  uint64_t next_due = 0;
  _own_lock();
  own_segment_t *seg = abandoned;
  while (seg) {
    own_segment_t *next = seg->next;
    if (expires(seg)) {
      if (now - seg->abandoned_ns >= ABANDONED_DELAY_NS) {
        unabandon_locked(seg);
        seg->next = expired;
        expired = seg;
      } else if (next_due == 0 || seg->abandoned_ns + ABANDONED_DELAY_NS < next_due) {
        next_due = seg->abandoned_ns + ABANDONED_DELAY_NS;
      }
    }
    seg = next;
  }
  atomic_store_explicit(&abandoned_due_ns, next_due, memory_order_relaxed);
  _own_unlock();
  /* Off the list, nobody adopts them while the system calls run. */
  while (expired) {
    own_segment_t *s = expired;
    expired = s->next;
    give_back_and_abandon(s, s->abandoned_ns);
  }
}

/* Thread exit: every segment goes on the abandoned list (empty ones too, while
 * the resident budget lasts; beyond it empty segments are unmapped and the
 * free slices of the others purged). */
void _own_segments_abandon(own_tld_t *tld) {
  abandoned_expire();
  size_t keep = abandoned_keep();
  uint64_t now = _own_os_now_ns();
  for (int pass = 0; pass < 2; pass++) {
    own_segment_t **list = pass == 0 ? &tld->segments : &tld->cache;
    while (*list) {
      own_segment_t *seg = *list;
      tld_remove(list, seg);
      _own_lock();
      bool fits = abandoned_resident + resident_of(seg) <= keep;
      if (fits) abandon_at_locked(seg, now);
      _own_unlock();
      if (!fits) give_back_and_abandon(seg, now);
    }
  }
  tld->segment_count = 0;
  tld->cache_count = 0;
  tld->free_resident = 0;
}

static void adopt(own_heap_t *heap, own_segment_t *seg) {
  own_tld_t *tld = heap->tld;
  seg->tld = tld;
  atomic_store_explicit(&seg->thread_id, tld->thread_id, memory_order_release);
  tld->free_resident += resident_of(seg);
  if (seg->free_mask == ALL_SLICES) { /* an empty segment left by an exited thread */
    tld_push(&tld->cache, seg);
    tld->cache_count++;
    return;
  }
  if (seg->free_mask) tld_push(&tld->segments, seg);
  else tld_append(&tld->segments, seg);
  tld->segment_count++;
  /* Adopt every page in use; adopting may free pages (and even the whole
   * segment), so first note which slices head a page. */
  uint64_t heads = 0;
  for (unsigned i = 1; i < SLICES; i++)
    if (seg->owner[i] == i && seg->pages[i].area != 0) heads |= (uint64_t)1 << i;
  while (heads) {
    unsigned i = (unsigned)__builtin_ctzll(heads);
    heads &= heads - 1;
    _own_page_adopt(heap, &seg->pages[i]);
  }
}

bool _own_segments_reclaim(own_heap_t *heap, size_t max) {
  bool any = false;
  for (size_t k = 0; k < max; k++) {
    _own_lock();
    own_segment_t *seg = abandoned;
    if (seg) unabandon_locked(seg);
    _own_unlock();
    if (!seg) break;
    any = true;
    adopt(heap, seg);
  }
  return any;
}

/* A thread freed a block into an abandoned segment: it adopts the segment, so
 * that the blocks of exited threads come back as their users free them
 * instead of waiting for some thread to need a fresh segment. */
void _own_segment_reclaim_on_free(own_segment_t *seg) {
  own_heap_t *heap = _own_tl_heap;
  if (heap == &_own_heap_empty) return;
  _own_lock();
  bool mine = seg->abandoned;
  if (mine) unabandon_locked(seg);
  _own_unlock();
  if (mine) adopt(heap, seg);
}

/* Frees empty pages of every heap of this thread back to their segments and
 * adopts all abandoned segments, then purges. For own_collect. */
void _own_segments_collect(own_tld_t *tld) {
  _own_segments_reclaim(tld->heap, (size_t)-1);
  for (own_heap_t *h = tld->heaps; h; h = h->next_heap) _own_heap_release_pages(h, false);
  while (tld->cache) {
    own_segment_t *seg = tld->cache;
    tld_remove(&tld->cache, seg);
    tld->free_resident -= bytes_of(seg->free_mask & ~seg->purged_mask);
    segment_unmap(seg);
  }
  tld->cache_count = 0;
  _own_segments_purge(tld);
}
