/* own/arc.h — shared ownership across threads (Rust's std::sync::Arc and
 * std::sync::Weak).
 *
 * The same shape and rules as own/rc.h (strong and weak counts, the strong
 * references together holding one weak; the value dropped exactly once when
 * the last strong reference goes, the memory freed when the last weak one
 * goes; upgrade fails once strong is 0) with atomic counts, so references to
 * one value may be cloned, dropped, downgraded and upgraded from any number
 * of threads at once. The memory orders are Rust's:
 *   clone, weak clone   relaxed increment (a new reference is made from one
 *                       already held, so nothing needs to be published);
 *   drop, weak drop     release decrement; the thread that takes a count to 0
 *                       issues an acquire fence before it drops / frees, so
 *                       every other thread's use of the value happens before;
 *   upgrade             CAS loop, acquire on success, that never increments
 *                       from 0 (a dropped value is never revived);
 *   downgrade           CAS loop on weak, acquire, waiting while get_mut holds
 *                       the weak count locked;
 *   get_mut             locks weak (CAS 1 -> locked, acquire), reads strong
 *                       (acquire), unlocks (release store).
 *
 * Thread safety: every function is thread-safe with respect to other
 * references to the same value. Each single reference (one pointer value you
 * own) is used by one thread at a time, as any owned object. The VALUE itself
 * gets no protection: guard shared mutable data with a lock or atomics.
 *
 * Errors: plain constructors never return NULL (own_out_of_memory); try_
 * variants return NULL with errno = ENOMEM (EINVAL for a bad alignment). A
 * count that would exceed PTRDIFF_MAX is reported as OWN_ERR_REFCOUNT and the
 * program aborts. Dropping a reference to a value already dropped is reported
 * as OWN_ERR_DOUBLE_FREE and ignored (best effort).
 * Time: O(1) per call except upgrade/downgrade, which retry while other
 * threads change the same count (lock-free); plus allocator and drop function.
 */
#ifndef OWN_ARC_H
#define OWN_ARC_H

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
typedef struct own_arc_weak own_arc_weak_t;

/* Ends one strong reference. On the last one the value's drop function runs,
 * and the memory is freed unless weak references remain. NULL does nothing. */
OWN_API void own_arc_drop(void *arc) OWN_OWNERSHIP_TAKES(1);

/* Moves the value out when `arc` is the only strong reference
 * (Arc::into_inner; when threads call it on the last references at once,
 * exactly one of them gets the value):
 * copies its bytes to `out` (may be NULL to discard), the drop function does
 * NOT run (the caller owns the value now), weak references stop upgrading,
 * and returns true. Otherwise returns false. Either way `arc` is consumed
 * (this strong reference is gone). */
OWN_API bool own_arc_into_inner(void *arc, void *out) OWN_OWNERSHIP_TAKES(1);

/* A new value with strong = 1, weak = 1 (the collective one): uninitialised
 * contents of layout `layout`, from `a` (NULL: own's heap), dropped by `drop`
 * (may be NULL). Never NULL. */
OWN_API void *own_arc_new(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop)
    OWN_DEALLOC_BY(own_arc_drop, 1) OWN_DEALLOC_BY(own_arc_into_inner, 1) OWN_RETURNS_NONNULL
        OWN_NODISCARD OWN_OWNERSHIP_RETURNS;
OWN_API void *own_arc_try_new(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop)
    OWN_DEALLOC_BY(own_arc_drop, 1) OWN_DEALLOC_BY(own_arc_into_inner, 1) OWN_NODISCARD
        OWN_OWNERSHIP_RETURNS;

/* As own_arc_new, holding a copy of the layout.size bytes at `value`. */
OWN_API void *own_arc_from(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop,
                           const void *value)
    OWN_DEALLOC_BY(own_arc_drop, 1) OWN_DEALLOC_BY(own_arc_into_inner, 1) OWN_RETURNS_NONNULL
        OWN_NODISCARD;
OWN_API void *own_arc_try_from(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop,
                               const void *value)
    OWN_DEALLOC_BY(own_arc_drop, 1) OWN_DEALLOC_BY(own_arc_into_inner, 1) OWN_NODISCARD;

/* A new strong reference to the same value (returns `arc`; strong + 1).
 * The result is a separate reference: drop it separately. */
OWN_API void *own_arc_clone(const void *arc) OWN_RELEASED_BY(own_arc_drop, 1)
    OWN_RELEASED_BY(own_arc_into_inner, 1) OWN_RETURNS_NONNULL OWN_NODISCARD;

/* Moves the value out only when `arc` is the only strong reference
 * (Arc::try_unwrap): then as own_arc_into_inner and returns true; otherwise
 * returns false and `arc` is untouched and still owned by the caller. */
OWN_API bool own_arc_try_unwrap(void *arc, void *out);

/* The value for writing when `arc` is the only reference of either kind
 * (strong == 1 and no weak references; Arc::get_mut), else NULL. */
OWN_API void *own_arc_get_mut(void *arc);

/* The number of strong references (>= 1 while you hold one). A snapshot:
 * other threads may change it at any time. */
OWN_API size_t own_arc_strong_count(const void *arc);

/* The number of weak references (not counting the collective one). */
OWN_API size_t own_arc_weak_count(const void *arc);

/* True when a and b are references to the same value. */
static inline bool own_arc_ptr_eq(const void *a, const void *b) { return a == b; }

/* ---- Weak ------------------------------------------------------------------ */

/* Ends one weak reference; frees the memory when it was the last reference of
 * any kind. NULL does nothing. */
OWN_API void own_arc_weak_drop(own_arc_weak_t *w) OWN_OWNERSHIP_TAKES(1);

/* A new weak reference to arc's value (weak + 1). Never NULL. */
OWN_API own_arc_weak_t *own_arc_downgrade(const void *arc) OWN_RELEASED_BY(own_arc_weak_drop, 1)
    OWN_RETURNS_NONNULL OWN_NODISCARD;

/* A new strong reference from a weak one, or NULL when the value has been
 * dropped (strong == 0) or w is NULL. */
OWN_API void *own_arc_upgrade(const own_arc_weak_t *w) OWN_RELEASED_BY(own_arc_drop, 1)
    OWN_RELEASED_BY(own_arc_into_inner, 1) OWN_NODISCARD;

/* A new weak reference to the same value; NULL for NULL. */
OWN_API own_arc_weak_t *own_arc_weak_clone(const own_arc_weak_t *w)
    OWN_RELEASED_BY(own_arc_weak_drop, 1) OWN_NODISCARD;

/* Counts seen through a weak reference: strong (0 once the value is dropped)
 * and weak (0 once the value is dropped, as Rust's Weak::weak_count). Both 0
 * for NULL. */
OWN_API size_t own_arc_weak_strong_count(const own_arc_weak_t *w);
OWN_API size_t own_arc_weak_weak_count(const own_arc_weak_t *w);

/* True when both weak references point to the same allocation (or both NULL). */
static inline bool own_arc_weak_ptr_eq(const own_arc_weak_t *a, const own_arc_weak_t *b) {
  return a == b;
}

OWN_EXTERN_C_END

/* Typed forms, as for Box (own/box.h). */
#define OWN_ARC_NEW(T, alloc, drop) ((T *)own_arc_new((alloc), OWN_LAYOUT_OF(T), (drop)))
#define OWN_ARC_TRY_NEW(T, alloc, drop) ((T *)own_arc_try_new((alloc), OWN_LAYOUT_OF(T), (drop)))
#define OWN_ARC_OF(T, alloc, drop, ...) \
  ((T *)own_arc_from((alloc), OWN_LAYOUT_OF(T), (drop), &(T){__VA_ARGS__}))
#define OWN_ARC_TRY_OF(T, alloc, drop, ...) \
  ((T *)own_arc_try_from((alloc), OWN_LAYOUT_OF(T), (drop), &(T){__VA_ARGS__}))
/* A typed clone: OWN_ARC_CLONE(p) has p's type. */
#define OWN_ARC_CLONE(p) ((__typeof__(p))own_arc_clone(p))

#endif
