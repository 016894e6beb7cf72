/* ownership/rc.c — Rc and Weak for one thread (own/rc.h).
 *
 * Header in front of the value: {strong, weak, meta}. Counts follow Rust's
 * std::rc exactly:
 *   strong = live rc references;
 *   weak   = live weak references + 1 while strong > 0 (the strong references
 *            together hold one weak reference, released after the value drops).
 * Value dropped  <=> strong went 1 -> 0 (meta.magic becomes "dropped").
 * Memory freed   <=> weak went 1 -> 0 (which can only follow the value drop).
 * Every increment is checked against RC_MAX before it happens, so a count can
 * never wrap to a small number and free memory that is still referenced.
 */
#include <stdlib.h>
#include <string.h>

#include "ownership/ownership.h"
#include "own/rc.h"

typedef struct rc_hdr {
  size_t strong;
  size_t weak;
  _own_meta_t meta; /* last: ends where the value starts */
} rc_hdr_t;

_Static_assert(sizeof(rc_hdr_t) % 8 == 0, "the header keeps 8-byte alignment");

#define RC_MAX ((size_t)PTRDIFF_MAX)

static inline rc_hdr_t *hdr(const void *v) {
  return (rc_hdr_t *)((uintptr_t)v - sizeof(rc_hdr_t));
}

static void *rc_make(const own_allocator_t *a, own_layout_t l, own_drop_fn_t drop,
                     const void *init, _own_fail_t fail, const char *who) {
  void *v = _own_block_new(a, sizeof(rc_hdr_t), l, drop, _OWN_MAGIC_RC, init, false, fail, who);
  if (v) {
    rc_hdr_t *h = hdr(v);
    h->strong = 1;
    h->weak = 1;
  }
  return v;
}

void *own_rc_new(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop) {
  return rc_make(a, layout, drop, NULL, _OWN_MUST, "own_rc_new");
}
void *own_rc_try_new(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop) {
  return rc_make(a, layout, drop, NULL, _OWN_TRY, "own_rc_try_new");
}
void *own_rc_from(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop,
                  const void *value) {
  return rc_make(a, layout, drop, value, _OWN_MUST, "own_rc_from");
}
void *own_rc_try_from(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop,
                      const void *value) {
  return rc_make(a, layout, drop, value, _OWN_TRY, "own_rc_try_from");
}

/* A strong reference is valid only while the tag says "live rc". */
static inline bool check_live(const void *rc, const char *who) {
  if (OWN_LIKELY(hdr(rc)->meta.magic == _OWN_MAGIC_RC)) return true;
  _own_report_bad_tag(rc, _OWN_MAGIC_RC, who);
  return false;
}

/* Releases one weak reference (explicit or the collective one). */
static void release_weak(rc_hdr_t *h, void *v) {
  if (--h->weak == 0) _own_block_free(v, sizeof(rc_hdr_t));
}

/* A reference that cannot be made (NULL or dropped source): reported, then
 * abort, since these functions promise a valid reference. */
static OWN_NORETURN void no_reference(const void *rc, const char *who) {
  if (!rc) own_report(OWN_ERR_USAGE, NULL, "%s: NULL rc", who);
  abort();
}

void *own_rc_clone(const void *rc) {
  if (OWN_UNLIKELY(!rc || !check_live(rc, "own_rc_clone"))) no_reference(rc, "own_rc_clone");
  rc_hdr_t *h = hdr(rc);
  if (OWN_UNLIKELY(h->strong >= RC_MAX)) _own_refcount_overflow(rc, "own_rc_clone");
  h->strong++;
  return (void *)rc;
}

void own_rc_drop(void *rc) {
  if (!rc) return;
  if (OWN_UNLIKELY(!check_live(rc, "own_rc_drop"))) return;
  rc_hdr_t *h = hdr(rc);
  if (--h->strong != 0) return;
  /* Last strong reference: the value goes now. While its drop function runs,
   * strong is 0 (weak references no longer upgrade) and the collective weak
   * reference still keeps the memory. */
  h->meta.magic = _OWN_MAGIC_DROPPED;
  if (h->meta.drop) h->meta.drop(rc);
  release_weak(h, rc);
}

bool own_rc_try_unwrap(void *rc, void *out) {
  if (!rc || !check_live(rc, "own_rc_try_unwrap")) return false;
  rc_hdr_t *h = hdr(rc);
  if (h->strong != 1) return false;
  h->strong = 0;
  h->meta.magic = _OWN_MAGIC_DROPPED;
  if (out) memmove(out, rc, h->meta.size);
  release_weak(h, rc);
  return true;
}

bool own_rc_into_inner(void *rc, void *out) {
  if (!rc || !check_live(rc, "own_rc_into_inner")) return false;
  if (own_rc_try_unwrap(rc, out)) return true;
  own_rc_drop(rc); /* strong > 1: only this reference ends */
  return false;
}

void *own_rc_get_mut(void *rc) {
  if (!rc || !check_live(rc, "own_rc_get_mut")) return NULL;
  rc_hdr_t *h = hdr(rc);
  return h->strong == 1 && h->weak == 1 ? rc : NULL;
}

size_t own_rc_strong_count(const void *rc) { return rc ? hdr(rc)->strong : 0; }

size_t own_rc_weak_count(const void *rc) { return rc && hdr(rc)->strong ? hdr(rc)->weak - 1 : 0; }

/* ---- Weak ------------------------------------------------------------------ */

own_rc_weak_t *own_rc_downgrade(const void *rc) {
  if (OWN_UNLIKELY(!rc || !check_live(rc, "own_rc_downgrade"))) no_reference(rc, "own_rc_downgrade");
  rc_hdr_t *h = hdr(rc);
  if (OWN_UNLIKELY(h->weak >= RC_MAX)) _own_refcount_overflow(rc, "own_rc_downgrade");
  h->weak++;
  return (own_rc_weak_t *)rc;
}

/* A weak reference is valid while the memory is: tag "live" or "dropped". */
static inline bool weak_valid(const own_rc_weak_t *w, const char *who) {
  uint32_t tag = hdr(w)->meta.magic;
  if (OWN_LIKELY(tag == _OWN_MAGIC_RC || tag == _OWN_MAGIC_DROPPED)) return true;
  _own_report_bad_tag(w, _OWN_MAGIC_RC, who);
  return false;
}

void *own_rc_upgrade(const own_rc_weak_t *w) {
  if (!w || !weak_valid(w, "own_rc_upgrade")) return NULL;
  rc_hdr_t *h = hdr(w);
  if (h->strong == 0) return NULL;
  if (OWN_UNLIKELY(h->strong >= RC_MAX)) _own_refcount_overflow(w, "own_rc_upgrade");
  h->strong++;
  return (void *)w;
}

own_rc_weak_t *own_rc_weak_clone(const own_rc_weak_t *w) {
  if (!w || !weak_valid(w, "own_rc_weak_clone")) return NULL;
  rc_hdr_t *h = hdr(w);
  if (OWN_UNLIKELY(h->weak >= RC_MAX)) _own_refcount_overflow(w, "own_rc_weak_clone");
  h->weak++;
  return (own_rc_weak_t *)w;
}

void own_rc_weak_drop(own_rc_weak_t *w) {
  if (!w || !weak_valid(w, "own_rc_weak_drop")) return;
  release_weak(hdr(w), w);
}

size_t own_rc_weak_strong_count(const own_rc_weak_t *w) { return w ? hdr(w)->strong : 0; }

size_t own_rc_weak_weak_count(const own_rc_weak_t *w) {
  if (!w || hdr(w)->strong == 0) return 0;
  return hdr(w)->weak - 1;
}
