/* own/box.h — single ownership of a heap value (Rust's Box<T>), with an
 * optional drop function that runs before the memory is freed (RAII: close a
 * file, release a lock, drop the boxes a struct owns).
 *
 * A box is a plain `T *` to the value. A small header sits in front of the
 * value, at a negative offset computed from the value's layout with
 * own_layout_extend, so the value keeps its own alignment however large it is
 * (32, 64, 4096 bytes: the block is allocated with max(header, value)
 * alignment and the value placed at the first suitably aligned offset after
 * the header). The header records the allocator, the drop function, the
 * layout and a tag that marks the box live.
 *
 * Ownership rules, as Rust states them, and what they mean here:
 *  - one owner: the variable holding the pointer. Moving the box is moving
 *    the pointer and clearing the source: OWN_TAKE(p) yields p and leaves
 *    NULL behind, so the old name can no longer drop it.
 *  - when the owner goes out of scope the value is dropped: own_box_drop(p),
 *    or automatically with OWN_SCOPED(own_box) (own/scope.h).
 *
 * Compile-time checks: constructors carry GCC's malloc(deallocator)
 * attribute and clang's ownership_returns/ownership_takes, so
 * `gcc -fanalyzer` reports a leaked box, a double drop, a use after drop and
 * a drop with the wrong function (free(), own_rc_drop()). See docs/ownership.md.
 *
 * Run-time checks: own_box_drop verifies the header tag; a second drop of the
 * same box (while its memory is not yet reused) is reported as
 * OWN_ERR_DOUBLE_FREE, and a pointer that is not a box as OWN_ERR_INVALID_FREE;
 * both are then ignored. Best effort: a pointer that is not a box at all may
 * be read up to 32 bytes before its address.
 *
 * Errors: the plain constructors never return NULL; on allocation failure
 * (or a layout too large to describe) they call own_out_of_memory (own/core.h),
 * which does not return. The try_ variants return NULL with errno = ENOMEM
 * instead. A layout whose alignment is not a power of two is reported as
 * OWN_ERR_BAD_ALIGNMENT; try_ variants then return NULL with errno = EINVAL,
 * plain ones abort.
 *
 * Thread safety: a box is owned by one thread at a time; it may be handed to
 * another thread (moved) and dropped there. Functions are reentrant.
 * Time: O(1) plus the allocator's time and the drop function's.
 */
#ifndef OWN_BOX_H
#define OWN_BOX_H

#include <stdbool.h>
#include <stddef.h>

#include "allocator.h"
#include "core.h"
#include "layout.h"

/* ---- Attributes for ownership checking ------------------------------------
 * OWN_DEALLOC_BY(f, i) (own/core.h) makes a function an allocator whose result
 * must be released by f (GCC >= 11; also implies "malloc": the result aliases
 * nothing). OWN_RELEASED_BY(f, i) is the same pairing without the no-alias
 * promise, for functions that return a new *reference* to an existing object
 * (own_rc_clone returns its argument). OWN_OWNERSHIP_RETURNS / _TAKES(i) are
 * clang's static-analyzer attributes (honoured by `clang --analyze` in its
 * optimistic malloc mode: -analyzer-config unix.DynamicMemoryModeling:Optimistic=true).
 * Clang models an ownership_returns function as malloc, whose memory is
 * uninitialised, so only the constructors that return uninitialised values
 * carry it (the _from and _zeroed ones would draw false "garbage value"
 * reports). */
#ifndef __has_attribute
#define __has_attribute(x) 0
#endif

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#define OWN_RELEASED_BY(f, i) __attribute__((malloc(f, i)))
#else
#define OWN_RELEASED_BY(f, i)
#endif

#if defined(__clang__) && __has_attribute(ownership_returns)
#define OWN_OWNERSHIP_RETURNS __attribute__((ownership_returns(malloc)))
#define OWN_OWNERSHIP_TAKES(i) __attribute__((ownership_takes(malloc, i)))
#else
#define OWN_OWNERSHIP_RETURNS
#define OWN_OWNERSHIP_TAKES(i)
#endif

#if defined(__GNUC__) || defined(__clang__)
#define OWN_RETURNS_NONNULL __attribute__((returns_nonnull))
#else
#define OWN_RETURNS_NONNULL
#endif

/* ---- Moving ----------------------------------------------------------------
 * OWN_TAKE(p): evaluates to the value of pointer lvalue p and sets p to NULL
 * (Rust's move; also Option::take). p is evaluated twice: it must be a plain
 * lvalue without side effects (a variable, a struct member). GCC and clang. */
#define OWN_TAKE(p)                          \
  __extension__({                            \
    __typeof__(p) own_take_value_ = (p);     \
    (p) = NULL;                              \
    own_take_value_;                         \
  })

/* OWN_DROP(kind, p): drops p with kind##_drop and leaves NULL in p, e.g.
 * OWN_DROP(own_box, b), OWN_DROP(own_rc, r). A scope-bound drop of p that
 * runs later then does nothing. */
#define OWN_DROP(kind, p) kind##_drop(OWN_TAKE(p))

OWN_EXTERN_C_BEGIN

/* A drop function: releases what the value owns (closes its file, drops its
 * boxes). It receives a pointer to the value and must not free the value's
 * own memory: the owning type does that after it returns. */
typedef void (*own_drop_fn_t)(void *value);

/* Drops the box: runs its drop function (if any) on the value, then frees the
 * block through the allocator it was made with. NULL does nothing. The box and
 * every pointer into it are invalid afterwards. */
OWN_API void own_box_drop(void *box) OWN_OWNERSHIP_TAKES(1);

/* A new box for a value of layout `layout` (contents uninitialised) from
 * allocator `a` (NULL: own's heap). `drop` (may be NULL) runs on the value when
 * the box is dropped. Never NULL: calls own_out_of_memory on failure. */
OWN_API void *own_box_new(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop)
    OWN_DEALLOC_BY(own_box_drop, 1) OWN_RETURNS_NONNULL OWN_NODISCARD OWN_OWNERSHIP_RETURNS;

/* As own_box_new, but returns NULL (errno = ENOMEM, or EINVAL for a bad
 * alignment) on failure. */
OWN_API void *own_box_try_new(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop)
    OWN_DEALLOC_BY(own_box_drop, 1) OWN_NODISCARD OWN_OWNERSHIP_RETURNS;

/* As own_box_new / own_box_try_new, with the value's bytes zeroed. */
OWN_API void *own_box_new_zeroed(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop)
    OWN_DEALLOC_BY(own_box_drop, 1) OWN_RETURNS_NONNULL OWN_NODISCARD;
OWN_API void *own_box_try_new_zeroed(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop)
    OWN_DEALLOC_BY(own_box_drop, 1) OWN_NODISCARD;

/* A new box holding a copy of the layout.size bytes at `value` (Box::new(v)).
 * `value` is read, not kept; the copy is owned by the box. */
OWN_API void *own_box_from(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop,
                           const void *value)
    OWN_DEALLOC_BY(own_box_drop, 1) OWN_RETURNS_NONNULL OWN_NODISCARD;
OWN_API void *own_box_try_from(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop,
                               const void *value)
    OWN_DEALLOC_BY(own_box_drop, 1) OWN_NODISCARD;

/* Moves the value out of the box (Rust's *box / Box::into_inner): copies its
 * bytes to `out` (layout.size bytes; may be NULL to discard them) and frees
 * the box WITHOUT running its drop function: the caller now owns whatever the
 * value owns. `box` must not be NULL. */
OWN_API void own_box_into_inner(void *box, void *out) OWN_OWNERSHIP_TAKES(1);

/* The value's layout, as given to the constructor. */
OWN_API own_layout_t own_box_layout(const void *box);

/* The allocator the box was made with (NULL: own's heap). */
OWN_API const own_allocator_t *own_box_allocator(const void *box);

/* The drop function the box was made with (may be NULL). */
OWN_API own_drop_fn_t own_box_drop_fn(const void *box);

OWN_EXTERN_C_END

/* ---- Typed forms -----------------------------------------------------------
 *   struct point *p = OWN_BOX_NEW(struct point, NULL, NULL);   uninitialised
 *   int *e = OWN_BOX_OF(int, NULL, NULL, 7);                    Box::new(7)
 *   struct point *q = OWN_BOX_OF(struct point, NULL, NULL, .x = 1, .y = 2);
 * The variadic argument is the initializer of a compound literal (T){...}. */
#define OWN_BOX_NEW(T, alloc, drop) ((T *)own_box_new((alloc), OWN_LAYOUT_OF(T), (drop)))
#define OWN_BOX_TRY_NEW(T, alloc, drop) ((T *)own_box_try_new((alloc), OWN_LAYOUT_OF(T), (drop)))
#define OWN_BOX_OF(T, alloc, drop, ...) \
  ((T *)own_box_from((alloc), OWN_LAYOUT_OF(T), (drop), &(T){__VA_ARGS__}))
#define OWN_BOX_TRY_OF(T, alloc, drop, ...) \
  ((T *)own_box_try_from((alloc), OWN_LAYOUT_OF(T), (drop), &(T){__VA_ARGS__}))

#endif
