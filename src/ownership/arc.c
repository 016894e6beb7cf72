/* ownership/arc.c — Arc and Weak across threads (own/arc.h).
 *
 * Header in front of the value: {atomic strong, atomic weak, meta}; the counts
 * mean what they mean for Rc (ownership/rc.c). The memory orders follow Rust's
 * std::sync::Arc, for these reasons:
 *  - An increment from a reference already held (clone, weak clone) needs no
 *    ordering: the holder keeps the object alive, nothing is published.
 *  - A decrement is a release, so every access a thread made through its
 *    reference happens before the decrement; the thread that reaches 0 then
 *    fences with acquire, so all those accesses happen before it drops the
 *    value or frees the memory.
 *  - upgrade must not increment a strong count of 0 (the value may be gone),
 *    hence a CAS loop; acquire on success pairs with the release decrement of
 *    strong references dropped earlier.
 *  - get_mut must know no other reference exists *and* none can appear: weak
 *    is "locked" (set to WEAK_LOCKED by CAS from 1) while strong is read, and
 *    downgrade waits while it is locked, so no weak reference can be made and
 *    upgraded between the two reads.
 * An increment past ARC_MAX (PTRDIFF_MAX) aborts; the counts have SIZE_MAX -
 * PTRDIFF_MAX of head room, far more than the number of threads that can race
 * past the check at once.
 * Tags (meta.magic) are written only by the thread that frees the block, so
 * reading them in drop needs no atomics in a correct program.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ownership/ownership.h"
#include "own/arc.h"

typedef struct arc_hdr {
  _Atomic size_t strong;
  _Atomic size_t weak;
  _own_meta_t meta; /* last: ends where the value starts */
} arc_hdr_t;

_Static_assert(sizeof(arc_hdr_t) % 8 == 0, "the header keeps 8-byte alignment");

#define ARC_MAX ((size_t)PTRDIFF_MAX)
#define WEAK_LOCKED SIZE_MAX

/* ThreadSanitizer does not model fences: there, an acquire load of the count
 * gives the same ordering in a form it understands. */
#if defined(__SANITIZE_THREAD__)
#define ACQUIRE(count) ((void)atomic_load_explicit((count), memory_order_acquire))
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ACQUIRE(count) ((void)atomic_load_explicit((count), memory_order_acquire))
#endif
#endif
#ifndef ACQUIRE
#define ACQUIRE(count) atomic_thread_fence(memory_order_acquire)
#endif

static inline arc_hdr_t *hdr(const void *v) {
  return (arc_hdr_t *)((uintptr_t)v - sizeof(arc_hdr_t));
}

static void *arc_make(const own_allocator_t *a, own_layout_t l, own_drop_fn_t drop,
                      const void *init, _own_fail_t fail, const char *who) {
  void *v = _own_block_new(a, sizeof(arc_hdr_t), l, drop, _OWN_MAGIC_ARC, init, false, fail, who);
  if (v) {
    arc_hdr_t *h = hdr(v);
    atomic_init(&h->strong, 1);
    atomic_init(&h->weak, 1);
  }
  return v;
}

void *own_arc_new(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop) {
  return arc_make(a, layout, drop, NULL, _OWN_MUST, "own_arc_new");
}
void *own_arc_try_new(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop) {
  return arc_make(a, layout, drop, NULL, _OWN_TRY, "own_arc_try_new");
}
void *own_arc_from(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop,
                   const void *value) {
  return arc_make(a, layout, drop, value, _OWN_MUST, "own_arc_from");
}
void *own_arc_try_from(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop,
                       const void *value) {
  return arc_make(a, layout, drop, value, _OWN_TRY, "own_arc_try_from");
}

static inline bool check_tag(const void *arc, const char *who) {
  if (OWN_LIKELY(hdr(arc)->meta.magic == _OWN_MAGIC_ARC)) return true;
  _own_report_bad_tag(arc, _OWN_MAGIC_ARC, who);
  return false;
}

static OWN_NORETURN void no_reference(const void *arc, const char *who) {
  if (!arc) own_report(OWN_ERR_USAGE, NULL, "%s: NULL arc", who);
  abort();
}

/* Releases one weak reference (explicit or the collective one). */
static void release_weak(arc_hdr_t *h, void *v) {
  if (atomic_fetch_sub_explicit(&h->weak, 1, memory_order_release) != 1) return;
  ACQUIRE(&h->weak);
  _own_block_free(v, sizeof(arc_hdr_t));
}

/* The value's end: strong has just reached 0 and this thread has acquired. */
static void drop_value(arc_hdr_t *h, void *v) {
  if (h->meta.drop) h->meta.drop(v);
  release_weak(h, v);
}

void *own_arc_clone(const void *arc) {
  if (OWN_UNLIKELY(!arc)) no_reference(arc, "own_arc_clone");
  size_t old = atomic_fetch_add_explicit(&hdr(arc)->strong, 1, memory_order_relaxed);
  /* old == 0: a clone of a dropped value; old > ARC_MAX: overflow. */
  if (OWN_UNLIKELY(old - 1 >= ARC_MAX)) {
    if (old == 0) {
      own_report(OWN_ERR_USAGE, arc, "own_arc_clone(%p): the value was already dropped", arc);
      abort();
    }
    _own_refcount_overflow(arc, "own_arc_clone");
  }
  return (void *)arc;
}

void own_arc_drop(void *arc) {
  if (!arc) return;
  if (OWN_UNLIKELY(!check_tag(arc, "own_arc_drop"))) return;
  arc_hdr_t *h = hdr(arc);
  size_t old = atomic_fetch_sub_explicit(&h->strong, 1, memory_order_release);
  if (OWN_LIKELY(old != 1)) {
    if (OWN_UNLIKELY(old == 0)) {
      /* Only weak references remain: this reference was dropped before. */
      atomic_fetch_add_explicit(&h->strong, 1, memory_order_relaxed);
      own_report(OWN_ERR_DOUBLE_FREE, arc, "own_arc_drop(%p): this arc was already dropped", arc);
    }
    return;
  }
  ACQUIRE(&h->strong);
  drop_value(h, arc);
}

bool own_arc_try_unwrap(void *arc, void *out) {
  if (!arc || !check_tag(arc, "own_arc_try_unwrap")) return false;
  arc_hdr_t *h = hdr(arc);
  size_t one = 1;
  if (!atomic_compare_exchange_strong_explicit(&h->strong, &one, 0, memory_order_relaxed,
                                               memory_order_relaxed))
    return false;
  ACQUIRE(&h->strong);
  if (out) memmove(out, arc, h->meta.size);
  release_weak(h, arc);
  return true;
}

bool own_arc_into_inner(void *arc, void *out) {
  if (!arc || !check_tag(arc, "own_arc_into_inner")) return false;
  arc_hdr_t *h = hdr(arc);
  if (atomic_fetch_sub_explicit(&h->strong, 1, memory_order_release) != 1) return false;
  ACQUIRE(&h->strong);
  if (out) memmove(out, arc, h->meta.size);
  release_weak(h, arc);
  return true;
}

void *own_arc_get_mut(void *arc) {
  if (!arc || !check_tag(arc, "own_arc_get_mut")) return NULL;
  arc_hdr_t *h = hdr(arc);
  size_t one = 1;
  /* Acquire pairs with the release decrement of weak references dropped
   * after upgrading, so their strong increments are visible below. */
  if (!atomic_compare_exchange_strong_explicit(&h->weak, &one, WEAK_LOCKED, memory_order_acquire,
                                               memory_order_relaxed))
    return NULL;
  /* Acquire pairs with the release decrement of other strong references. */
  bool unique = atomic_load_explicit(&h->strong, memory_order_acquire) == 1;
  /* Release: a downgrade that follows cannot see weak == 1 before the read. */
  atomic_store_explicit(&h->weak, 1, memory_order_release);
  return unique ? arc : NULL;
}

size_t own_arc_strong_count(const void *arc) {
  return arc ? atomic_load_explicit(&hdr(arc)->strong, memory_order_relaxed) : 0;
}

size_t own_arc_weak_count(const void *arc) {
  if (!arc) return 0;
  size_t w = atomic_load_explicit(&hdr(arc)->weak, memory_order_relaxed);
  /* WEAK_LOCKED: get_mut holds the lock, which it takes only when weak was 1. */
  return w == WEAK_LOCKED ? 0 : w - 1;
}

/* ---- Weak ------------------------------------------------------------------ */

own_arc_weak_t *own_arc_downgrade(const void *arc) {
  if (OWN_UNLIKELY(!arc)) no_reference(arc, "own_arc_downgrade");
  arc_hdr_t *h = hdr(arc);
  size_t cur = atomic_load_explicit(&h->weak, memory_order_relaxed);
  for (;;) {
    if (cur == WEAK_LOCKED) { /* get_mut is reading strong: wait */
      cur = atomic_load_explicit(&h->weak, memory_order_relaxed);
      continue;
    }
    if (OWN_UNLIKELY(cur >= ARC_MAX)) _own_refcount_overflow(arc, "own_arc_downgrade");
    /* Acquire pairs with get_mut's release store of the unlocked count. */
    if (atomic_compare_exchange_weak_explicit(&h->weak, &cur, cur + 1, memory_order_acquire,
                                              memory_order_relaxed))
      return (own_arc_weak_t *)arc;
  }
}

void *own_arc_upgrade(const own_arc_weak_t *w) {
  if (!w) return NULL;
  arc_hdr_t *h = hdr(w);
  size_t cur = atomic_load_explicit(&h->strong, memory_order_relaxed);
  do {
    if (cur == 0) return NULL; /* never revive a dropped value */
    if (OWN_UNLIKELY(cur >= ARC_MAX)) _own_refcount_overflow(w, "own_arc_upgrade");
  } while (!atomic_compare_exchange_weak_explicit(&h->strong, &cur, cur + 1, memory_order_acquire,
                                                  memory_order_relaxed));
  return (void *)w;
}

own_arc_weak_t *own_arc_weak_clone(const own_arc_weak_t *w) {
  if (!w) return NULL;
  size_t old = atomic_fetch_add_explicit(&hdr(w)->weak, 1, memory_order_relaxed);
  if (OWN_UNLIKELY(old >= ARC_MAX)) _own_refcount_overflow(w, "own_arc_weak_clone");
  return (own_arc_weak_t *)w;
}

void own_arc_weak_drop(own_arc_weak_t *w) {
  if (!w) return;
  if (OWN_UNLIKELY(!check_tag(w, "own_arc_weak_drop"))) return;
  release_weak(hdr(w), w);
}

size_t own_arc_weak_strong_count(const own_arc_weak_t *w) {
  return w ? atomic_load_explicit(&hdr(w)->strong, memory_order_relaxed) : 0;
}

size_t own_arc_weak_weak_count(const own_arc_weak_t *w) {
  if (!w) return 0;
  size_t weak = atomic_load_explicit(&hdr(w)->weak, memory_order_acquire);
  size_t strong = atomic_load_explicit(&hdr(w)->strong, memory_order_relaxed);
  if (strong == 0) return 0;
  return weak == WEAK_LOCKED ? 0 : weak - 1;
}
