/* own/rc.h — shared ownership within one thread (Rust's std::rc::Rc and
 * std::rc::Weak).
 *
 * An rc is a plain `T *` to the value, like a box; a header in front of it
 * holds two counts:
 *   strong  the number of rc references (each own_rc_new / own_rc_clone /
 *           successful own_rc_upgrade makes one, each own_rc_drop ends one);
 *   weak    the number of own_rc_weak_t references, plus one held by all the
 *           strong references together.
 * When strong reaches 0 the value is dropped (its drop function runs, exactly
 * once) and the collective weak reference is released; when weak reaches 0
 * the memory is freed. A weak reference does not keep the value alive: it
 * upgrades to a new strong reference only while strong > 0. Weak references
 * break cycles (a child points to its parent weakly).
 *
 * Every reference is owned: each clone, upgrade and downgrade returns a new
 * reference that must be dropped exactly once. Constructors and clones are
 * annotated so `gcc -fanalyzer` tracks each reference separately (a clone that
 * is never dropped is a leak; dropping the same reference twice is a double
 * drop), see docs/ownership.md.
 *
 * NOT THREAD-SAFE: the counts are plain integers. An rc and its weak
 * references must only be used by one thread at a time (all of them together
 * may move to another thread). Use own/arc.h to share across threads.
 *
 * Errors: plain constructors never return NULL (own_out_of_memory); try_
 * variants return NULL with errno = ENOMEM (EINVAL for a bad alignment).
 * A count that would exceed PTRDIFF_MAX is reported as OWN_ERR_REFCOUNT and
 * the program aborts (a wrapped count would free memory still in use).
 * Dropping a reference to a value that is already dropped is reported as
 * OWN_ERR_DOUBLE_FREE and ignored (best effort, while the memory is not reused).
 * Time: every function is O(1), plus the allocator and the drop function.
 */
#ifndef OWN_RC_H
#define OWN_RC_H

#include <stdbool.h>
#include <stddef.h>

#include "allocator.h"
#include "box.h"
#include "core.h"
#include "layout.h"

OWN_EXTERN_C_BEGIN

/* A weak reference (opaque; never dereference it). NULL is a valid "empty"
 * weak reference (Rust's Weak::new()): it never upgrades, dropping it does
 * nothing. */
typedef struct own_rc_weak own_rc_weak_t;

/* Ends one strong reference. On the last one the value's drop function runs,
 * and the memory is freed unless weak references remain. NULL does nothing. */
OWN_API void own_rc_drop(void *rc) OWN_OWNERSHIP_TAKES(1);

/* Moves the value out when `rc` is the only strong reference (Rc::into_inner):
 * copies its bytes to `out` (may be NULL to discard), the drop function does
 * NOT run (the caller owns the value now), weak references stop upgrading,
 * and returns true. Otherwise returns false. Either way `rc` is consumed
 * (this strong reference is gone). */
OWN_API bool own_rc_into_inner(void *rc, void *out) OWN_OWNERSHIP_TAKES(1);

/* A new value with strong = 1, weak = 1 (the collective one): uninitialised
 * contents of layout `layout`, from `a` (NULL: own's heap), dropped by `drop`
 * (may be NULL). Never NULL. */
OWN_API void *own_rc_new(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop)
    OWN_DEALLOC_BY(own_rc_drop, 1) OWN_DEALLOC_BY(own_rc_into_inner, 1) OWN_RETURNS_NONNULL
        OWN_NODISCARD OWN_OWNERSHIP_RETURNS;
OWN_API void *own_rc_try_new(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop)
    OWN_DEALLOC_BY(own_rc_drop, 1) OWN_DEALLOC_BY(own_rc_into_inner, 1) OWN_NODISCARD
        OWN_OWNERSHIP_RETURNS;

/* As own_rc_new, holding a copy of the layout.size bytes at `value`. */
OWN_API void *own_rc_from(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop,
                          const void *value)
    OWN_DEALLOC_BY(own_rc_drop, 1) OWN_DEALLOC_BY(own_rc_into_inner, 1) OWN_RETURNS_NONNULL
        OWN_NODISCARD;
OWN_API void *own_rc_try_from(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop,
                              const void *value)
    OWN_DEALLOC_BY(own_rc_drop, 1) OWN_DEALLOC_BY(own_rc_into_inner, 1) OWN_NODISCARD;

/* A new strong reference to the same value (returns `rc`; strong + 1).
 * The result is a separate reference: drop it separately. */
OWN_API void *own_rc_clone(const void *rc) OWN_RELEASED_BY(own_rc_drop, 1)
    OWN_RELEASED_BY(own_rc_into_inner, 1) OWN_RETURNS_NONNULL OWN_NODISCARD;

/* Moves the value out only when `rc` is the only strong reference
 * (Rc::try_unwrap): then as own_rc_into_inner and returns true; otherwise
 * returns false and `rc` is untouched and still owned by the caller. */
OWN_API bool own_rc_try_unwrap(void *rc, void *out);

/* The value for writing when `rc` is the only reference of either kind
 * (strong == 1 and no weak references; Rc::get_mut), else NULL. */
OWN_API void *own_rc_get_mut(void *rc);

/* The number of strong references (>= 1 while you hold one). */
OWN_API size_t own_rc_strong_count(const void *rc);

/* The number of weak references (not counting the collective one). */
OWN_API size_t own_rc_weak_count(const void *rc);

/* True when a and b are references to the same value. */
static inline bool own_rc_ptr_eq(const void *a, const void *b) { return a == b; }

/* ---- Weak ------------------------------------------------------------------ */

/* Ends one weak reference; frees the memory when it was the last reference of
 * any kind. NULL does nothing. */
OWN_API void own_rc_weak_drop(own_rc_weak_t *w) OWN_OWNERSHIP_TAKES(1);

/* A new weak reference to rc's value (weak + 1). Never NULL. */
OWN_API own_rc_weak_t *own_rc_downgrade(const void *rc) OWN_RELEASED_BY(own_rc_weak_drop, 1)
    OWN_RETURNS_NONNULL OWN_NODISCARD;

/* A new strong reference from a weak one, or NULL when the value has been
 * dropped (strong == 0) or w is NULL. */
OWN_API void *own_rc_upgrade(const own_rc_weak_t *w) OWN_RELEASED_BY(own_rc_drop, 1)
    OWN_RELEASED_BY(own_rc_into_inner, 1) OWN_NODISCARD;

/* A new weak reference to the same value; NULL for NULL. */
OWN_API own_rc_weak_t *own_rc_weak_clone(const own_rc_weak_t *w)
    OWN_RELEASED_BY(own_rc_weak_drop, 1) OWN_NODISCARD;

/* Counts seen through a weak reference: strong (0 once the value is dropped)
 * and weak (0 once the value is dropped, as Rust's Weak::weak_count). Both 0
 * for NULL. */
OWN_API size_t own_rc_weak_strong_count(const own_rc_weak_t *w);
OWN_API size_t own_rc_weak_weak_count(const own_rc_weak_t *w);

/* True when both weak references point to the same allocation (or both NULL). */
static inline bool own_rc_weak_ptr_eq(const own_rc_weak_t *a, const own_rc_weak_t *b) {
  return a == b;
}

OWN_EXTERN_C_END

/* Typed forms, as for Box (own/box.h). */
#define OWN_RC_NEW(T, alloc, drop) ((T *)own_rc_new((alloc), OWN_LAYOUT_OF(T), (drop)))
#define OWN_RC_TRY_NEW(T, alloc, drop) ((T *)own_rc_try_new((alloc), OWN_LAYOUT_OF(T), (drop)))
#define OWN_RC_OF(T, alloc, drop, ...) \
  ((T *)own_rc_from((alloc), OWN_LAYOUT_OF(T), (drop), &(T){__VA_ARGS__}))
#define OWN_RC_TRY_OF(T, alloc, drop, ...) \
  ((T *)own_rc_try_from((alloc), OWN_LAYOUT_OF(T), (drop), &(T){__VA_ARGS__}))
/* A typed clone: OWN_RC_CLONE(p) has p's type. */
#define OWN_RC_CLONE(p) ((__typeof__(p))own_rc_clone(p))

#endif
