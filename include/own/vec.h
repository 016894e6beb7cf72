/* own/vec.h — growable typed arrays (Rust's Vec, C++'s std::vector).
 *
 * The seeds' advice for heap fragmentation is "reserve capacity wherever
 * possible": a vec that knows how many elements are coming allocates once.
 *
 *   OWN_VEC(double) values = OWN_VEC_INIT;      // empty, no allocation yet
 *   own_vec_reserve(&values, 10);               // one allocation
 *   for (int i = 0; i < 10; i++)
 *     own_vec_push(&values, (double)i);         // no allocation
 *   double *x = own_vec_get(&values, 3);        // bounds-checked, typed
 *   own_vec_drop(&values);
 *
 * Two levels:
 *  - The typed API: OWN_VEC(T) is a type; the own_vec_* macros check the
 *    element type at compile time, need no casts and evaluate each argument
 *    exactly once. They need gcc or clang (__typeof__, statement expressions).
 *  - The raw API: own_vec_raw_* functions over own_vec_raw_t that take the
 *    element layout (own_layout_t: size and alignment, over-aligned types
 *    included). The typed macros are thin wrappers over it; use it directly
 *    for generic code.
 *
 * Memory: a vec owns one block from its allocator (`alloc`, NULL = own's
 * general heap, own/heap.h) holding `cap` elements, `len` of them in use.
 * The block is aligned to the element's alignment. A vec holding no block has
 * data == NULL and cap == 0. Growth goes through own_allocator_resize.
 *
 * Growth policy: a push into a full vec (and own_vec_reserve) grows the
 * capacity to max(2 * cap, len + additional, 4) (8 for 1-byte elements, 1 for
 * elements above 1 KiB): at least doubling, so n pushes cost O(log n)
 * allocations and O(n) copying in all. reserve_exact grows to exactly
 * len + additional. Nothing ever shrinks the block except shrink_to_fit and
 * drop.
 *
 * Errors:
 *  - Every size computation is checked: when cap * element size would exceed
 *    PTRDIFF_MAX (or wrap), the request fails with OWN_ERR_OVERFLOW; a vec
 *    never gets a smaller block than it asked for.
 *  - try_ functions return own_error_t: OWN_ERR_NONE (0) on success, else
 *    OWN_ERR_OUT_OF_MEMORY, OWN_ERR_OVERFLOW or OWN_ERR_USAGE, and leave the
 *    vec exactly as it was (contents, len, cap, data pointer). They report
 *    only misuse (OWN_ERR_USAGE) through own_report; memory exhaustion and
 *    overflow are the caller's to handle.
 *  - The plain functions never fail for lack of memory: on allocation failure
 *    or overflow they call own_out_of_memory (own/core.h), which does not
 *    return (after reporting OWN_ERR_OVERFLOW first, for an overflow).
 *  - Misuse (a NULL vec, an index out of range, an element layout that
 *    differs from the one the vec was created with, an element size of 0) is
 *    reported as OWN_ERR_USAGE through own_report and the call does nothing:
 *    accessors return NULL / false / 0.
 *
 * Time: push, pop, swap_remove, get, len, capacity, truncate (plus clear)
 * are O(1) (push amortized; a growth copies len elements); insert and remove
 * are O(len - index); extend is O(n) amortized; reserve, reserve_exact and
 * shrink_to_fit are O(len) when they move the block, else O(1).
 *
 * Thread safety: none inside a vec — a vec is owned by one thread at a time
 * (hand it over with your own synchronization); distinct vecs are
 * independent. The allocator must be usable from the calling thread.
 *
 * Elements are moved with memcpy: elements must be trivially relocatable
 * (every C type is, unless it holds pointers into itself). The vec never
 * drops what its elements own: clear, truncate and drop forget elements; free
 * what they point to first.
 */
#ifndef OWN_VEC_H
#define OWN_VEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "allocator.h"
#include "core.h"
#include "layout.h"

OWN_EXTERN_C_BEGIN

/* ---- Raw API ---------------------------------------------------------------
 * Every raw function takes the element layout `elem` (size > 0, alignment a
 * power of two; the stride between elements is the size rounded up to the
 * alignment). A vec remembers the layout it was first used with (elem_size,
 * elem_align) so that drop needs no layout; passing a different one later
 * is reported as OWN_ERR_USAGE. */

typedef struct own_vec_raw {
  void *data;                   /* cap elements, aligned to elem_align; NULL iff cap == 0 */
  size_t len;                   /* elements in use, <= cap                             */
  size_t cap;                   /* elements the block holds                            */
  size_t elem_size;             /* bytes per element (stride); 0 until first used      */
  size_t elem_align;            /* element alignment; 0 until first used               */
  const own_allocator_t *alloc; /* where the block comes from; NULL = own's heap        */
} own_vec_raw_t;

/* An empty vec on own's heap / on allocator `a` (held by pointer: `*a` must
 * outlive the vec). No allocation. */
#define OWN_VEC_RAW_INIT {NULL, 0, 0, 0, 0, NULL}
#define OWN_VEC_RAW_INIT_IN(a) {NULL, 0, 0, 0, 0, (a)}

/* Makes *v an empty vec on allocator a (NULL: own's heap). *v is treated as
 * uninitialized: a block it held is not freed. O(1). */
OWN_API void own_vec_raw_init(own_vec_raw_t *v, const own_allocator_t *a);

/* Makes *v an empty vec on `a` with room for exactly n elements (n == 0: no
 * allocation). On failure *v is still an empty, valid vec. */
OWN_API own_error_t own_vec_raw_try_with_capacity(own_vec_raw_t *v, const own_allocator_t *a,
                                                  own_layout_t elem, size_t n) OWN_NODISCARD;
OWN_API void own_vec_raw_with_capacity(own_vec_raw_t *v, const own_allocator_t *a,
                                       own_layout_t elem, size_t n);

/* Ensures cap >= len + additional, growing by the policy above (at least
 * doubling). Does nothing when there is room already. */
OWN_API own_error_t own_vec_raw_try_reserve(own_vec_raw_t *v, own_layout_t elem,
                                            size_t additional) OWN_NODISCARD;
OWN_API void own_vec_raw_reserve(own_vec_raw_t *v, own_layout_t elem, size_t additional);

/* Ensures cap >= len + additional, growing to exactly len + additional. */
OWN_API own_error_t own_vec_raw_try_reserve_exact(own_vec_raw_t *v, own_layout_t elem,
                                                  size_t additional) OWN_NODISCARD;
OWN_API void own_vec_raw_reserve_exact(own_vec_raw_t *v, own_layout_t elem, size_t additional);

/* Shrinks the block to len elements (frees it when len == 0). When the
 * allocator cannot resize, the vec keeps its larger block: nothing is lost
 * and no error is raised. The data pointer may change. */
OWN_API void own_vec_raw_shrink_to_fit(own_vec_raw_t *v, own_layout_t elem);

/* Appends a copy of the elem.size bytes at `value` (which may point into the
 * vec itself). */
OWN_API own_error_t own_vec_raw_try_push(own_vec_raw_t *v, own_layout_t elem,
                                         const void *value) OWN_NODISCARD;
OWN_API void own_vec_raw_push(own_vec_raw_t *v, own_layout_t elem, const void *value);

/* Inserts a copy of *value before index i (0 <= i <= len), shifting the tail
 * up by one. i > len is misuse. */
OWN_API own_error_t own_vec_raw_try_insert(own_vec_raw_t *v, own_layout_t elem, size_t i,
                                           const void *value) OWN_NODISCARD;
OWN_API void own_vec_raw_insert(own_vec_raw_t *v, own_layout_t elem, size_t i, const void *value);

/* Appends n elements copied from src (which may point into the vec itself).
 * src may be NULL only when n == 0. */
OWN_API own_error_t own_vec_raw_try_extend(own_vec_raw_t *v, own_layout_t elem, const void *src,
                                           size_t n) OWN_NODISCARD;
OWN_API void own_vec_raw_extend(own_vec_raw_t *v, own_layout_t elem, const void *src, size_t n);

/* Removes the last element, copying it to *out (out may be NULL). False when
 * the vec is empty (not an error: nothing is reported). */
OWN_API bool own_vec_raw_pop(own_vec_raw_t *v, own_layout_t elem, void *out);

/* Removes element i (< len), copying it to *out (may be NULL): remove keeps
 * the order of the rest (O(len - i)), swap_remove moves the last element into
 * the hole (O(1)). False, reported as misuse, when i >= len. */
OWN_API bool own_vec_raw_remove(own_vec_raw_t *v, own_layout_t elem, size_t i, void *out);
OWN_API bool own_vec_raw_swap_remove(own_vec_raw_t *v, own_layout_t elem, size_t i, void *out);

/* The address of element i, or NULL (reported as misuse) when i >= len. The
 * address is valid until the next call that may grow or shrink the block. */
OWN_API void *own_vec_raw_get(const own_vec_raw_t *v, own_layout_t elem, size_t i);

/* Drops the elements from index n on (n >= len: nothing happens). Keeps the
 * block. */
OWN_API void own_vec_raw_truncate(own_vec_raw_t *v, size_t n);

/* len = 0; keeps the block (the next n pushes up to cap do not allocate). */
OWN_API void own_vec_raw_clear(own_vec_raw_t *v);

/* Frees the block and leaves *v an empty vec on the same allocator, ready for
 * reuse. v == NULL does nothing. */
OWN_API void own_vec_raw_drop(own_vec_raw_t *v);

/* own_vec_raw_drop for any vec (typed or raw), taking a pointer to it: the
 * signature __attribute__((cleanup(...))) wants, so a vec can be dropped when
 * its variable goes out of scope:
 *
 *   OWN_VEC(int) v OWN_VEC_AUTO = OWN_VEC_INIT;   // dropped at the closing brace
 *
 * (OWN_VEC_AUTO is gcc/clang's cleanup attribute; a longjmp or exit past the
 * scope skips it.) */
OWN_API void own_vec_cleanup(void *vec);
#define OWN_VEC_AUTO __attribute__((cleanup(own_vec_cleanup)))

/* The same drop as a kind of own/scope.h, so that its two forms work on vecs:
 *   OWN_SCOPED(own_vec) OWN_VEC(int) v = OWN_VEC_INIT;
 *   OWN_VEC(int) w = OWN_VEC_INIT;  OWN_DROP_AT_SCOPE_END(own_vec, w); */
static inline void own_vec_scope_drop(void *vec) { own_vec_cleanup(vec); }
static inline void own_vec_scope_guard(void *guard) { own_vec_cleanup(*(void **)guard); }

/* ---- Typed API -------------------------------------------------------------
 *
 * OWN_VEC(T) is an anonymous type: each use is a distinct type. To pass a vec
 * between functions, name it: OWN_VEC_TYPE(doubles_t, double); or
 * typedef OWN_VEC(double) doubles_t;
 *
 * A typed vec is a union of the raw vec and a `T *data` that aliases
 * raw.data, so v.data[i] is a typed, unchecked element access (valid for
 * i < own_vec_len(&v)); raw.len and raw.cap are the length and capacity.
 * T is any complete object type with sizeof(T) > 0, neither an array type
 * (wrap arrays in a struct) nor const-qualified (elements are assigned).
 *
 * The macros take a pointer to a typed vec `v`; a null pointer of vec type is
 * reported as misuse. Type checks, at compile time:
 *  - a value pushed or inserted converts to T as C's assignment does, except
 *    that a floating value into an integer T, a pointer into an integer T and
 *    a non-pointer into a pointer T are refused (static assertion); a value of
 *    another struct type does not compile; a pointer to another type is the
 *    compiler's incompatible-pointer-types diagnostic (an error under -Werror,
 *    and in gcc >= 14 by default);
 *  - out pointers (pop, remove, swap_remove) must be T * (or NULL where
 *    allowed), source arrays (extend) T * or const T *, exactly.
 */

#define OWN_VEC(T)                                                                               \
  union {                                                                                        \
    own_vec_raw_t raw;                                                                           \
    T *data;                                                                                     \
  }
#define OWN_VEC_TYPE(name, T) typedef OWN_VEC(T) name

/* Initializers: an empty vec on own's heap / on allocator a. */
#define OWN_VEC_INIT {OWN_VEC_RAW_INIT}
#define OWN_VEC_INIT_IN(a) {OWN_VEC_RAW_INIT_IN(a)}

/* Internal: the raw vec behind typed vec pointer v (the unevaluated branch
 * checks that v points to a typed vec), the element layout, the element type. */
#define OWN_VEC_RAW_(v) (0 ? &(v)->raw : (own_vec_raw_t *)(void *)(v))
#define OWN_VEC_ELEM_(v) ((own_layout_t){sizeof(*(v)->data), _Alignof(__typeof__(*(v)->data))})
#define OWN_VEC_T_(v) __typeof__(*(v)->data)
/* __builtin_classify_type: 1..4 integer, char, enum, bool; 5 pointer; 8 real. */
#define OWN_VEC_INTLIKE_(x) (__builtin_classify_type(x) >= 1 && __builtin_classify_type(x) <= 4)
#define OWN_VEC_VALUE_OK_(slot, x)                                                               \
  (!(OWN_VEC_INTLIKE_(slot) && !OWN_VEC_INTLIKE_(x)) &&                                          \
   !(__builtin_classify_type(slot) == 5 && __builtin_classify_type(x) != 5))
#define OWN_VEC_OUT_OK_(v, out)                                                                  \
  (__builtin_types_compatible_p(__typeof__(out), __typeof__((v)->data)) ||                       \
   __builtin_types_compatible_p(__typeof__(out), void *))
#define OWN_VEC_SRC_OK_(v, src)                                                                  \
  (__builtin_types_compatible_p(__typeof__(*(src)), OWN_VEC_T_(v)))

/* Makes *v empty on allocator a (NULL: own's heap); see own_vec_raw_init. */
#define own_vec_init(v, a) own_vec_raw_init(OWN_VEC_RAW_(v), (a))

/* Makes *v empty on allocator a with room for exactly n elements. */
#define own_vec_with_capacity(v, a, n) own_vec_raw_with_capacity(OWN_VEC_RAW_(v), (a), OWN_VEC_ELEM_(v), (n))
#define own_vec_try_with_capacity(v, a, n)                                                      \
  own_vec_raw_try_with_capacity(OWN_VEC_RAW_(v), (a), OWN_VEC_ELEM_(v), (n))

/* Room for `additional` more elements: amortized / exact (see above). */
#define own_vec_reserve(v, additional) own_vec_raw_reserve(OWN_VEC_RAW_(v), OWN_VEC_ELEM_(v), (additional))
#define own_vec_try_reserve(v, additional)                                                       \
  own_vec_raw_try_reserve(OWN_VEC_RAW_(v), OWN_VEC_ELEM_(v), (additional))
#define own_vec_reserve_exact(v, additional)                                                     \
  own_vec_raw_reserve_exact(OWN_VEC_RAW_(v), OWN_VEC_ELEM_(v), (additional))
#define own_vec_try_reserve_exact(v, additional)                                                 \
  own_vec_raw_try_reserve_exact(OWN_VEC_RAW_(v), OWN_VEC_ELEM_(v), (additional))
#define own_vec_shrink_to_fit(v) own_vec_raw_shrink_to_fit(OWN_VEC_RAW_(v), OWN_VEC_ELEM_(v))

/* Length and capacity in elements (0 for a null vec pointer, reported). */
#define own_vec_len(v) own_vec_raw_len(OWN_VEC_RAW_(v))
#define own_vec_capacity(v) own_vec_raw_capacity(OWN_VEC_RAW_(v))
/* The elements, typed and unchecked (NULL while the vec has no block). */
#define own_vec_data(v) ((v)->data)

/* Appends value x. The fast path (room left) is inline: a compare and a copy. */
#define own_vec_push(v, x)                                                                      \
  __extension__({                                                                                \
    own_vec_raw_t *own_r_ = OWN_VEC_RAW_(v);                                                     \
    OWN_VEC_T_(v) own_x_ = (x);                                                                  \
    _Static_assert(OWN_VEC_VALUE_OK_(own_x_, x), "own_vec: value of the wrong kind for element type"); \
    if (OWN_LIKELY(own_r_ && own_r_->len < own_r_->cap))                                         \
      ((__typeof__((v)->data))own_r_->data)[own_r_->len++] = own_x_;                             \
    else                                                                                         \
      own_vec_raw_push(own_r_, OWN_VEC_ELEM_(v), &own_x_);                                       \
    (void)0;                                                                                     \
  })
#define own_vec_try_push(v, x)                                                                  \
  __extension__({                                                                                \
    OWN_VEC_T_(v) own_x_ = (x);                                                                  \
    _Static_assert(OWN_VEC_VALUE_OK_(own_x_, x), "own_vec: value of the wrong kind for element type"); \
    own_vec_raw_try_push(OWN_VEC_RAW_(v), OWN_VEC_ELEM_(v), &own_x_);                            \
  })

/* Inserts value x before index i (i <= len). */
#define own_vec_insert(v, i, x)                                                                 \
  __extension__({                                                                                \
    OWN_VEC_T_(v) own_x_ = (x);                                                                  \
    _Static_assert(OWN_VEC_VALUE_OK_(own_x_, x), "own_vec: value of the wrong kind for element type"); \
    own_vec_raw_insert(OWN_VEC_RAW_(v), OWN_VEC_ELEM_(v), (i), &own_x_);                         \
  })
#define own_vec_try_insert(v, i, x)                                                             \
  __extension__({                                                                                \
    OWN_VEC_T_(v) own_x_ = (x);                                                                  \
    _Static_assert(OWN_VEC_VALUE_OK_(own_x_, x), "own_vec: value of the wrong kind for element type"); \
    own_vec_raw_try_insert(OWN_VEC_RAW_(v), OWN_VEC_ELEM_(v), (i), &own_x_);                     \
  })

/* Removes the last element into *out (a T *, or NULL to discard). Returns
 * false when the vec is empty. */
#define own_vec_pop(v, out)                                                                     \
  __extension__({                                                                                \
    _Static_assert(OWN_VEC_OUT_OK_(v, out), "own_vec: out must be a pointer to the element type"); \
    own_vec_raw_pop(OWN_VEC_RAW_(v), OWN_VEC_ELEM_(v), (out));                                   \
  })

/* Removes element i into *out (T * or NULL); false (reported) if i >= len. */
#define own_vec_remove(v, i, out)                                                               \
  __extension__({                                                                                \
    _Static_assert(OWN_VEC_OUT_OK_(v, out), "own_vec: out must be a pointer to the element type"); \
    own_vec_raw_remove(OWN_VEC_RAW_(v), OWN_VEC_ELEM_(v), (i), (out));                           \
  })
#define own_vec_swap_remove(v, i, out)                                                          \
  __extension__({                                                                                \
    _Static_assert(OWN_VEC_OUT_OK_(v, out), "own_vec: out must be a pointer to the element type"); \
    own_vec_raw_swap_remove(OWN_VEC_RAW_(v), OWN_VEC_ELEM_(v), (i), (out));                      \
  })

/* A T * to element i, or NULL (reported as OWN_ERR_USAGE) when i >= len. */
#define own_vec_get(v, i)                                                                       \
  ((__typeof__((v)->data))own_vec_raw_get(OWN_VEC_RAW_(v), OWN_VEC_ELEM_(v), (i)))

/* Appends the n elements of array src (T * or const T *). */
#define own_vec_extend(v, src, n)                                                               \
  __extension__({                                                                                \
    _Static_assert(OWN_VEC_SRC_OK_(v, src), "own_vec: source must be an array of the element type"); \
    own_vec_raw_extend(OWN_VEC_RAW_(v), OWN_VEC_ELEM_(v), (src), (n));                           \
  })
#define own_vec_try_extend(v, src, n)                                                           \
  __extension__({                                                                                \
    _Static_assert(OWN_VEC_SRC_OK_(v, src), "own_vec: source must be an array of the element type"); \
    own_vec_raw_try_extend(OWN_VEC_RAW_(v), OWN_VEC_ELEM_(v), (src), (n));                       \
  })

#define own_vec_truncate(v, n) own_vec_raw_truncate(OWN_VEC_RAW_(v), (n))
#define own_vec_clear(v) own_vec_raw_clear(OWN_VEC_RAW_(v))
#define own_vec_drop(v) own_vec_raw_drop(OWN_VEC_RAW_(v))

/* Length and capacity in elements of a raw vec; 0 for NULL (reported as
 * OWN_ERR_USAGE). O(1). */
static inline size_t own_vec_raw_len(const own_vec_raw_t *v) {
  if (OWN_UNLIKELY(!v)) {
    own_report(OWN_ERR_USAGE, NULL, "own_vec_len: NULL vec");
    return 0;
  }
  return v->len;
}
static inline size_t own_vec_raw_capacity(const own_vec_raw_t *v) {
  if (OWN_UNLIKELY(!v)) {
    own_report(OWN_ERR_USAGE, NULL, "own_vec_capacity: NULL vec");
    return 0;
  }
  return v->cap;
}

OWN_EXTERN_C_END

#endif
