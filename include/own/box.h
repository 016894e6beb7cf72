/* own/box.h — single ownership of a heap value (Rust's Box<T>), with an
 * optional drop function that runs before the memory is freed (RAII: close a
 * file, release a lock, drop the boxes a struct owns).
 *
 * A box is a plain `T *` to the value. A small header sits in front of the
 * value, at a fixed negative offset, holding the drop function, the value's
 * layout and a tag that marks the box live. Two header forms:
 *  - the heap form (16 bytes), for the common case: own's heap (allocator
 *    NULL), alignment at most 16, size below 2^29 bytes. The block is
 *    own_malloc(16 + size), freed with own_free; see "ABI" below.
 *  - the general form (32 bytes, the allocator recorded too), for every other
 *    box: the value at the first offset after the header that its alignment
 *    allows, computed with own_layout_extend, so it keeps its own alignment
 *    however large (32, 64, 4096 bytes).
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
 * be read up to 32 bytes before its address, and a pointer inside a heap-form
 * box (not its start) whose 4 preceding bytes happen to equal the live tag
 * is taken for a box (the tag is the check on the drop's fast path; see
 * docs/ownership.md).
 *
 * Errors: the plain constructors never return NULL; on allocation failure
 * (or a layout too large to describe) they call own_out_of_memory (own/core.h),
 * which does not return. The try_ variants return NULL with errno = ENOMEM
 * instead. A layout whose alignment is not a power of two is reported as
 * OWN_ERR_BAD_ALIGNMENT; try_ variants then return NULL with errno = EINVAL,
 * plain ones abort.
 *
 * Cost: with the allocator and the layout known at compile time (OWN_BOX_NEW,
 * OWN_BOX_OF, ... with NULL), a heap-form constructor is one call into the
 * heap, _own_box_alloc, which runs own_malloc's fast path and writes the
 * header; the drop is one call, which for a heap-form box without a drop
 * function, dropped by the thread that made it, runs own_free's owner path
 * itself (segment check, tag check, "dead" mark, free-list push): Box new +
 * drop costs what own_malloc + own_free of its block cost. bench/ownership
 * measures it.
 *
 * Thread safety: a box is owned by one thread at a time; it may be handed to
 * another thread (moved) and dropped there. Functions are reentrant.
 * Time: O(1) plus the allocator's time and the drop function's.
 */
#ifndef OWN_BOX_H
#define OWN_BOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "allocator.h"
#include "core.h"
#include "heap.h"
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

/* ---- ABI: heap-form boxes ---------------------------------------------------
 * A box whose allocator is NULL (own's heap), whose alignment is a power of
 * two at most 16 and whose size is below OWN_BOX_HEAP_SIZE_LIMIT is one block
 * of own_malloc(OWN_BOX_HEAP_HEADER + size), freed with own_free:
 *
 *   block +  0  own_drop_fn_t drop    the drop function, or NULL
 *   block +  8  uint32_t layout       size << 3 | log2(alignment)
 *   block + 12  uint32_t tag          "ownb" while live, "dead" once dropped
 *   block + 16  the value             16-byte aligned (own_malloc's promise)
 *
 * The inline constructors below build such boxes with one call from the
 * caller's code: _own_box_alloc (or _own_box_try_alloc) allocates the block
 * as own_malloc would, writes the header and returns the value pointer. So
 * the block size, the use of own_malloc / own_free and the layout word are
 * part of libown's ABI; the header's other fields and the general form are
 * the library's alone.
 * Define OWN_BOX_NO_INLINE before including this header to always call the
 * library functions instead (the same boxes, a few instructions slower). */
#define OWN_BOX_HEAP_HEADER 16
#define OWN_BOX_HEAP_SIZE_LIMIT ((size_t)1 << 29)

/* True when a box of layout l from allocator a takes the heap form. The
 * alignment test is a bit lookup (bits 1, 2, 4, 8, 16 of 0x10116): the usual
 * x & (x - 1) form becomes a population count that clang expands into a dozen
 * instructions on plain x86-64. */
#define _OWN_BOX_HEAP_FORM(a, l)                                                \
  ((a) == NULL && (l).align - 1 < 16 && ((0x10116u >> (l).align) & 1) != 0 &&  \
   (l).size < OWN_BOX_HEAP_SIZE_LIMIT)
/* The header's layout word for such a layout. */
#define _OWN_BOX_HEAP_LAYOUT(l) \
  ((uint32_t)((l).size << 3) | (uint32_t)__builtin_ctzll((unsigned long long)(l).align))

/* A heap-form box: allocates OWN_BOX_HEAP_HEADER + (layout >> 3) bytes from
 * own's heap (as own_malloc), writes the header (`layout` is
 * _OWN_BOX_HEAP_LAYOUT of the value's layout, so its size is below
 * OWN_BOX_HEAP_SIZE_LIMIT) and returns the value pointer, uninitialised. Out of
 * memory: calls own_out_of_memory (does not return). The block goes back with
 * own_box_drop. For the inline constructors only. Time: own_malloc's. */
OWN_API void *_own_box_alloc(uint32_t layout, own_drop_fn_t drop)
    OWN_DEALLOC_BY(own_box_drop, 1) OWN_RETURNS_NONNULL OWN_NODISCARD OWN_OWNERSHIP_RETURNS;
/* As _own_box_alloc, but out of memory gives NULL with errno = ENOMEM. */
OWN_API void *_own_box_try_alloc(uint32_t layout, own_drop_fn_t drop)
    OWN_DEALLOC_BY(own_box_drop, 1) OWN_NODISCARD OWN_OWNERSHIP_RETURNS;

/* The inline constructors: the heap form in the caller when the allocator and
 * the layout are known at compile time to select it (__builtin_constant_p,
 * after inlining, with optimisation on), else a call to the library function.
 * The function-like macros of the same names route calls through them;
 * (own_box_new)(...) or &own_box_new still name the library functions.
 * `clang --analyze` gets the plain functions (its reports then stay on the
 * caller's lines); gcc -fanalyzer sees _own_box_alloc's attributes. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(OWN_BOX_NO_INLINE) && \
    !defined(__clang_analyzer__)

#define _OWN_BOX_INLINE static inline __attribute__((always_inline))
/* Whether the test itself is a constant, not each operand: GCC's
 * __builtin_constant_p is 0 for a null pointer. */
#define _OWN_BOX_CONST_HEAP(a, l) \
  (__builtin_constant_p(_OWN_BOX_HEAP_FORM(a, l)) && _OWN_BOX_HEAP_FORM(a, l))

_OWN_BOX_INLINE void *_own_box_new_inline(const own_allocator_t *a, own_layout_t l,
                                          own_drop_fn_t drop) {
  if (_OWN_BOX_CONST_HEAP(a, l))
    return _own_box_alloc(_OWN_BOX_HEAP_LAYOUT(l), drop);
  return (own_box_new)(a, l, drop);
}
_OWN_BOX_INLINE void *_own_box_try_new_inline(const own_allocator_t *a, own_layout_t l,
                                              own_drop_fn_t drop) {
  if (_OWN_BOX_CONST_HEAP(a, l))
    return _own_box_try_alloc(_OWN_BOX_HEAP_LAYOUT(l), drop);
  return (own_box_try_new)(a, l, drop);
}
_OWN_BOX_INLINE void *_own_box_new_zeroed_inline(const own_allocator_t *a, own_layout_t l,
                                                 own_drop_fn_t drop) {
  if (_OWN_BOX_CONST_HEAP(a, l)) {
    void *p = _own_box_alloc(_OWN_BOX_HEAP_LAYOUT(l), drop);
    __builtin_memset(p, 0, l.size);
    return p;
  }
  return (own_box_new_zeroed)(a, l, drop);
}
_OWN_BOX_INLINE void *_own_box_try_new_zeroed_inline(const own_allocator_t *a, own_layout_t l,
                                                     own_drop_fn_t drop) {
  if (_OWN_BOX_CONST_HEAP(a, l)) {
    void *p = _own_box_try_alloc(_OWN_BOX_HEAP_LAYOUT(l), drop);
    if (p) __builtin_memset(p, 0, l.size);
    return p;
  }
  return (own_box_try_new_zeroed)(a, l, drop);
}
_OWN_BOX_INLINE void *_own_box_from_inline(const own_allocator_t *a, own_layout_t l,
                                           own_drop_fn_t drop, const void *value) {
  if (_OWN_BOX_CONST_HEAP(a, l)) {
    void *p = _own_box_alloc(_OWN_BOX_HEAP_LAYOUT(l), drop);
    __builtin_memcpy(p, value, l.size);
    return p;
  }
  return (own_box_from)(a, l, drop, value);
}
_OWN_BOX_INLINE void *_own_box_try_from_inline(const own_allocator_t *a, own_layout_t l,
                                               own_drop_fn_t drop, const void *value) {
  if (_OWN_BOX_CONST_HEAP(a, l)) {
    void *p = _own_box_try_alloc(_OWN_BOX_HEAP_LAYOUT(l), drop);
    if (p) __builtin_memcpy(p, value, l.size);
    return p;
  }
  return (own_box_try_from)(a, l, drop, value);
}

/* Variadic, so that an argument holding a top-level comma, such as the
 * compound literal (own_layout_t){16, 8}, passes through whole. */
#define own_box_new(...) _own_box_new_inline(__VA_ARGS__)
#define own_box_try_new(...) _own_box_try_new_inline(__VA_ARGS__)
#define own_box_new_zeroed(...) _own_box_new_zeroed_inline(__VA_ARGS__)
#define own_box_try_new_zeroed(...) _own_box_try_new_zeroed_inline(__VA_ARGS__)
#define own_box_from(...) _own_box_from_inline(__VA_ARGS__)
#define own_box_try_from(...) _own_box_try_from_inline(__VA_ARGS__)

#endif

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
