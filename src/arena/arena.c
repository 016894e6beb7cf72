/* arena/arena.c — bump arenas with marks (own/arena.h).
 *
 * Algorithm. The arena allocates from one region [begin, end) by moving `ptr`
 * forward past the alignment padding and the block. A fixed arena's region is
 * the caller's buffer. A chunked arena's region is the data part of its
 * current chunk; chunks form a singly linked list in the order they are used:
 *
 *     first -> ... -> chunk (current) -> spare -> spare -> NULL
 *
 * When a request does not fit the current chunk, it looks at the next few
 * spares (SPARE_LOOKAHEAD); the first that fits from its start moves up to
 * follow the current chunk and becomes current. Otherwise a new chunk is
 * allocated from the parent and linked in right after the current one (the
 * spares behind it stay for later). So a request looks at a constant number
 * of chunks, and the list order is always the order of allocation: every
 * block in a chunk before the current one is older than every block in the
 * current one. That is what makes marks work across chunks: a mark is
 * (chunk, ptr, used), and restoring it just makes that chunk current again at
 * that ptr. Chunks after it hold no live block: they stay linked as spares,
 * and their order is free to change.
 *
 * An ordinary chunk has `next_chunk` bytes, and next_chunk doubles after each
 * one up to max_chunk. A request that would not fit an ordinary chunk (with
 * worst-case padding) gets a chunk of its own and leaves next_chunk alone;
 * its size is rounded up to a multiple of a power of two near max_chunk (or
 * near 1/8 of itself when that is larger), so that after a reset it can serve
 * another large request of a different size. Without the lookahead and the rounding, a loop of
 * resets with varying large requests kept adding chunks beside spares that
 * were just too small (held memory grew to ten times the peak in use; with
 * them it stays near twice: see test_chunk_reuse_bounded).
 *
 * Invariants: begin <= ptr <= end within the current region; last, when not
 * NULL, is the most recent block and lies in [last_from, ptr) of the current
 * region; chunk == NULL (chunked) only when no chunk is held; used is the sum
 * of the advances of ptr since reset, minus pops and restores; every mark
 * with the current epoch names a chunk the arena still holds.
 *
 * Freestanding: no libc, no OS; chunked arenas call only their parent
 * allocator. With OWN_WITH_CORE (the library build; see sources.cmake) misuse
 * is also reported through own_report; with OWN_WITH_HEAP (libown with its
 * general heap) a NULL parent means own's heap.
 */
#include "own/arena.h"

#if defined(OWN_WITH_CORE)
#define ARENA_REPORT(err, p, ...) own_report((err), (p), __VA_ARGS__)
#else
#define ARENA_REPORT(err, p, ...) ((void)(p))
#endif

/* Chunks are asked for with the header's own alignment, the weakest a parent
 * can be asked for (a pool of pointer-aligned blocks can be a parent); larger
 * alignments are met by padding inside the chunk. */
#define CHUNK_ALIGN _Alignof(own_arena_chunk_t)

/* How many spare chunks a request looks at before it asks the parent. */
#define SPARE_LOOKAHEAD 4

static unsigned char *chunk_data(own_arena_chunk_t *c) { return (unsigned char *)(c + 1); }
static unsigned char *chunk_end(own_arena_chunk_t *c) { return (unsigned char *)c + c->size; }

static size_t span(const unsigned char *from, const unsigned char *to) {
  return (size_t)((uintptr_t)to - (uintptr_t)from);
}

/* Field by field: a struct assignment may compile to a memset call. */
static void clear_fields(own_arena_t *a) {
  a->ptr = a->end = a->begin = a->last = a->last_from = NULL;
  a->chunk = a->first = NULL;
  a->parent.alloc = NULL;
  a->parent.resize = NULL;
  a->parent.free = NULL;
  a->parent.ctx = NULL;
  a->chunked = false;
  a->first_chunk = a->next_chunk = a->max_chunk = a->epoch = 0;
  a->used = a->peak = a->capacity = a->chunks = a->failures = a->errors = 0;
}

static void enter_region(own_arena_t *a, unsigned char *begin, unsigned char *end) {
  a->begin = begin;
  a->ptr = begin;
  a->end = end;
}

/* Carves the block from the current region, or returns NULL leaving
 * everything as it was. Integer arithmetic: the region may be empty (NULL). */
static void *bump(own_arena_t *a, size_t size, size_t align) {
  size_t avail = span(a->ptr, a->end);
  size_t pad = (size_t)(-(uintptr_t)a->ptr) & (align - 1);
  if (pad > avail || size > avail - pad) return NULL;
  unsigned char *p = a->ptr + pad;
  a->last_from = a->ptr;
  a->last = p;
  a->ptr = p + size;
  a->used += pad + size;
  if (a->used > a->peak) a->peak = a->used;
  return p;
}

static bool fits_from_start(own_arena_chunk_t *c, size_t size, size_t align) {
  unsigned char *d = chunk_data(c);
  size_t avail = span(d, chunk_end(c));
  size_t pad = (size_t)(-(uintptr_t)d) & (align - 1);
  return pad <= avail && size <= avail - pad;
}

/* The current region is too small: move to a spare chunk or a new one. */
static void *alloc_slow(own_arena_t *a, size_t size, size_t align) {
  if (!a->chunked) return NULL;
  own_arena_chunk_t *spare = a->chunk ? a->chunk->next : NULL;
  /* Look a few spares ahead; one that fits moves up to follow the current
   * chunk (spares hold no live block, so their order is free to change). */
  own_arena_chunk_t *prev = NULL, *s = spare;
  for (int i = 0; s && i < SPARE_LOOKAHEAD; i++, prev = s, s = s->next) {
    if (!fits_from_start(s, size, align)) continue;
    if (prev) {
      prev->next = s->next;
      s->next = spare;
      a->chunk->next = s;
    }
    a->chunk = s;
    enter_region(a, chunk_data(s), chunk_end(s));
    return bump(a, size, align);
  }
  size_t need;
  if (__builtin_add_overflow(size, align - 1, &need) ||
      __builtin_add_overflow(need, OWN_ARENA_CHUNK_HEADER, &need))
    return NULL;
  bool ordinary = need <= a->next_chunk;
  size_t csize = a->next_chunk;
  if (!ordinary) {
    /* Its own chunk, rounded up so that after a reset it can serve other
     * large requests rather than sit beside a new one: to a multiple of the
     * largest power of two not above max(max_chunk, need / 8). A power of two
     * keeps this to a mask (no division: Cortex-M0 has none), and the loop
     * runs at most once per bit of size_t. */
    size_t x = need / 8 > a->max_chunk ? need / 8 : a->max_chunk, unit = 1;
    while (unit <= x / 2) unit <<= 1;
    if (__builtin_add_overflow(need, unit - 1, &csize)) csize = need;
    else csize &= ~(unit - 1);
  }
  own_layout_t l;
  if (!own_layout_from_size_align(csize, CHUNK_ALIGN, &l)) return NULL;
  own_arena_chunk_t *c = a->parent.alloc(a->parent.ctx, l);
  if (!c) return NULL;
  c->size = l.size;
  c->next = spare;
  if (a->chunk) a->chunk->next = c;
  else a->first = c;
  a->chunk = c;
  a->chunks++;
  a->capacity += l.size - OWN_ARENA_CHUNK_HEADER;
  if (ordinary) {
    a->next_chunk = a->next_chunk > a->max_chunk / 2 ? a->max_chunk : a->next_chunk * 2;
  }
  enter_region(a, chunk_data(c), chunk_end(c));
  return bump(a, size, align);
}

bool own_arena_init(own_arena_t *arena, void *buf, size_t size) {
  if (!arena) return false;
  clear_fields(arena);
  if (!buf || size == 0) return false;
  enter_region(arena, buf, (unsigned char *)buf + size);
  arena->capacity = size;
  return true;
}

bool own_arena_init_chunked(own_arena_t *arena, const own_allocator_t *parent,
                            size_t first_chunk, size_t max_chunk) {
  if (!arena) return false;
  clear_fields(arena);
#if defined(OWN_WITH_HEAP)
  if (!parent) parent = own_allocator_default();
#endif
  if (!parent || !parent->alloc || !parent->free) return false;
  if (first_chunk == 0) first_chunk = OWN_ARENA_DEFAULT_CHUNK;
  if (max_chunk == 0) max_chunk = OWN_ARENA_DEFAULT_MAX_CHUNK;
  if (max_chunk < first_chunk) max_chunk = first_chunk;
  if (first_chunk <= OWN_ARENA_CHUNK_HEADER) return false;
  arena->parent.alloc = parent->alloc;
  arena->parent.resize = parent->resize;
  arena->parent.free = parent->free;
  arena->parent.ctx = parent->ctx;
  arena->chunked = true;
  arena->first_chunk = first_chunk;
  arena->next_chunk = first_chunk;
  arena->max_chunk = max_chunk;
  return true;
}

void *own_arena_alloc(own_arena_t *arena, size_t size, size_t align) {
  if (!arena) return NULL;
  if (OWN_UNLIKELY(!own_is_pow2(align))) {
    arena->failures++;
    arena->errors++;
    ARENA_REPORT(OWN_ERR_BAD_ALIGNMENT, NULL,
                 "arena %p: alignment %zu is not a power of two", (void *)arena, align);
    return NULL;
  }
  if (size == 0) size = 1;
  void *p = bump(arena, size, align);
  if (OWN_UNLIKELY(!p)) {
    p = alloc_slow(arena, size, align);
    if (!p) arena->failures++;
  }
  return p;
}

void *own_arena_alloc_array(own_arena_t *arena, size_t n, size_t size, size_t align) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) {
    if (arena) arena->failures++;
    return NULL;
  }
  return own_arena_alloc(arena, total, align);
}

void own_arena_free(own_arena_t *arena, void *p) {
  if (!arena || !p || p != arena->last) return;
  arena->used -= span(arena->last_from, arena->ptr);
  arena->ptr = arena->last_from;
  arena->last = NULL;
}

/* A plain byte loop rather than memcpy: the file stays free of libc, and the
 * source and destination never overlap (the new block lies past the old). */
static void copy_bytes(unsigned char *dst, const unsigned char *src, size_t n) {
  for (size_t i = 0; i < n; i++) dst[i] = src[i];
}

void *own_arena_resize(own_arena_t *arena, void *p, size_t old_size, size_t new_size,
                       size_t align) {
  if (!arena) return NULL;
  if (!p) return own_arena_alloc(arena, new_size, align);
  if (!own_is_pow2(align)) return own_arena_alloc(arena, new_size, align); /* fails, counted */
  size_t want = new_size ? new_size : 1;
  if (p == arena->last && want <= span(arena->last, arena->end)) {
    arena->used = arena->used - span(arena->last, arena->ptr) + want;
    if (arena->used > arena->peak) arena->peak = arena->used;
    arena->ptr = arena->last + want;
    return p;
  }
  if (new_size <= old_size) return p;
  unsigned char *q = own_arena_alloc(arena, new_size, align);
  if (q) copy_bytes(q, p, old_size);
  return q;
}

own_arena_mark_t own_arena_mark(own_arena_t *arena) {
  own_arena_mark_t m;
  m.chunk = arena ? arena->chunk : NULL;
  m.ptr = arena ? arena->ptr : NULL;
  m.used = arena ? arena->used : 0;
  m.epoch = arena ? arena->epoch : 0;
  if (arena) arena->last = NULL;
  return m;
}

static bool within(const unsigned char *p, const unsigned char *lo, const unsigned char *hi) {
  return (uintptr_t)p >= (uintptr_t)lo && (uintptr_t)p <= (uintptr_t)hi;
}

void own_arena_restore(own_arena_t *arena, own_arena_mark_t mark) {
  if (!arena) return;
  bool ok = mark.epoch == arena->epoch && mark.used <= arena->used;
  if (ok && !arena->chunked) {
    ok = mark.chunk == NULL && within(mark.ptr, arena->begin, arena->end);
  } else if (ok && mark.chunk) {
    ok = within(mark.ptr, chunk_data(mark.chunk), chunk_end(mark.chunk));
  } else if (ok) {
    ok = mark.ptr == NULL; /* taken before the first chunk */
  }
  if (!ok) {
    arena->errors++;
    ARENA_REPORT(OWN_ERR_USAGE, mark.ptr,
                 "arena %p: restore of a mark that is no longer valid (ignored)", (void *)arena);
    return;
  }
  arena->last = NULL;
  arena->used = mark.used;
  if (!arena->chunked) {
    arena->ptr = mark.ptr;
  } else if (!mark.chunk) {
    /* Taken before the first chunk: back to the start of the first. */
    arena->chunk = arena->first;
    if (arena->first) enter_region(arena, chunk_data(arena->first), chunk_end(arena->first));
  } else {
    arena->chunk = mark.chunk;
    enter_region(arena, chunk_data(mark.chunk), chunk_end(mark.chunk));
    arena->ptr = mark.ptr;
  }
}

void own_arena_reset(own_arena_t *arena) {
  if (!arena) return;
  arena->epoch++;
  arena->used = 0;
  arena->last = NULL;
  if (!arena->chunked) {
    arena->ptr = arena->begin;
    return;
  }
  arena->chunk = arena->first;
  if (arena->first) enter_region(arena, chunk_data(arena->first), chunk_end(arena->first));
}

static void free_chunks(own_arena_t *a, own_arena_chunk_t *c) {
  while (c) {
    own_arena_chunk_t *next = c->next;
    own_layout_t l = {c->size, CHUNK_ALIGN};
    a->capacity -= c->size - OWN_ARENA_CHUNK_HEADER;
    a->chunks--;
    a->parent.free(a->parent.ctx, c, l);
    c = next;
  }
}

void own_arena_trim(own_arena_t *arena) {
  if (!arena || !arena->chunked || !arena->chunk) return;
  arena->epoch++;
  free_chunks(arena, arena->chunk->next);
  arena->chunk->next = NULL;
}

void own_arena_destroy(own_arena_t *arena) {
  if (!arena) return;
  if (!arena->chunked) {
    own_arena_reset(arena);
    return;
  }
  free_chunks(arena, arena->first);
  arena->epoch++;
  arena->first = arena->chunk = NULL;
  arena->begin = arena->ptr = arena->end = NULL;
  arena->last = arena->last_from = NULL;
  arena->used = 0;
  arena->next_chunk = arena->first_chunk;
}

own_arena_stats_t own_arena_stats(const own_arena_t *arena) {
  own_arena_stats_t s;
  bool a = arena != NULL;
  s.used = a ? arena->used : 0;
  s.peak = a ? arena->peak : 0;
  s.capacity = a ? arena->capacity : 0;
  s.chunks = a ? arena->chunks : 0;
  s.next_chunk = a && arena->chunked ? arena->next_chunk : 0;
  s.failures = a ? arena->failures : 0;
  s.errors = a ? arena->errors : 0;
  return s;
}

/* ---- own_allocator_t ------------------------------------------------------ */

static void *iface_alloc(void *ctx, own_layout_t l) {
  return own_arena_alloc(ctx, l.size, l.align);
}

static void *iface_resize(void *ctx, void *p, own_layout_t old, size_t new_size) {
  return own_arena_resize(ctx, p, old.size, new_size, old.align);
}

static void iface_free(void *ctx, void *p, own_layout_t l) {
  (void)l;
  own_arena_free(ctx, p);
}

own_allocator_t own_arena_allocator(own_arena_t *arena) {
  own_allocator_t a = {iface_alloc, iface_resize, iface_free, arena};
  return a;
}
