/* collections/vec.c — the untyped core of own_vec (own/vec.h): one block of
 * `cap` elements of a runtime layout, `len` of them in use.
 *
 * Invariants (for a vec that was initialized):
 *   len <= cap;  data == NULL iff cap == 0;
 *   cap > 0  =>  data came from `alloc` with layout {cap * elem_size, elem_align}
 *                and elem_size/elem_align are the layout of its elements
 *                (recorded each time a block is obtained, checked while one is held).
 *
 * Growth: every new capacity is computed with checked arithmetic
 * (own_layout_array: cap * stride <= PTRDIFF_MAX - (align - 1)); a request that
 * does not fit is OWN_ERR_OVERFLOW, never a small block. Amortized growth takes
 * max(2 * cap, needed, a small minimum), so n pushes allocate O(log n) times.
 *
 * Failure atomicity: every try_ path validates and allocates before it changes
 * anything, so a failed call leaves data, len, cap and contents untouched.
 * Values and source arrays may point into the vec itself: their offset is
 * taken before the block can move.
 */
#include <stdint.h>
#include <string.h>

#include "own/vec.h"

/* Checks v and elem, reports misuse. On success *stride is the element stride. */
static own_error_t check(const own_vec_raw_t *v, own_layout_t elem, const char *fn,
                         size_t *stride) {
  if (OWN_UNLIKELY(!v)) {
    own_report(OWN_ERR_USAGE, NULL, "%s: NULL vec", fn);
    return OWN_ERR_USAGE;
  }
  own_layout_t l;
  if (OWN_UNLIKELY(elem.size == 0 || !own_layout_from_size_align(elem.size, elem.align, &l))) {
    own_report(OWN_ERR_USAGE, v, "%s: invalid element layout (size %zu, align %zu)", fn, elem.size,
               elem.align);
    return OWN_ERR_USAGE;
  }
  size_t s = own_layout_padded_size(l);
  if (OWN_UNLIKELY(v->cap != 0 && (v->elem_size != s || v->elem_align != elem.align))) {
    own_report(OWN_ERR_USAGE, v,
               "%s: element layout (size %zu, align %zu) differs from the vec's (size %zu, align %zu)",
               fn, s, elem.align, v->elem_size, v->elem_align);
    return OWN_ERR_USAGE;
  }
  *stride = s;
  return OWN_ERR_NONE;
}

/* Resizes the block to exactly new_cap > 0 elements. *bytes gets the size
 * asked for (for the out-of-memory message). */
static own_error_t set_capacity(own_vec_raw_t *v, own_layout_t elem, size_t new_cap, size_t *bytes) {
  own_layout_t nl;
  if (!own_layout_array(elem, new_cap, &nl)) {
    *bytes = SIZE_MAX;
    return OWN_ERR_OVERFLOW;
  }
  *bytes = nl.size;
  void *p;
  if (v->cap == 0) {
    p = own_allocator_alloc(v->alloc, nl);
  } else {
    own_layout_t old = {v->cap * v->elem_size, v->elem_align};
    p = own_allocator_resize(v->alloc, v->data, old, nl.size);
  }
  if (!p) return OWN_ERR_OUT_OF_MEMORY;
  v->data = p;
  v->cap = new_cap;
  v->elem_size = own_layout_padded_size(elem);
  v->elem_align = elem.align;
  return OWN_ERR_NONE;
}

/* Ensures cap >= len + additional (v and elem already checked). */
static own_error_t reserve(own_vec_raw_t *v, own_layout_t elem, size_t stride, size_t additional,
                           bool exact, size_t *bytes) {
  size_t need;
  *bytes = SIZE_MAX;
  if (__builtin_add_overflow(v->len, additional, &need)) return OWN_ERR_OVERFLOW;
  if (need <= v->cap) return OWN_ERR_NONE;
  size_t max = ((size_t)PTRDIFF_MAX - (elem.align - 1)) / stride;
  if (need > max) return OWN_ERR_OVERFLOW;
  size_t new_cap = need;
  if (!exact) {
    size_t doubled = v->cap > max / 2 ? max : v->cap * 2;
    size_t least = stride == 1 ? 8 : stride <= 1024 ? 4 : 1;
    if (least > max) least = max;
    if (doubled > new_cap) new_cap = doubled;
    if (least > new_cap) new_cap = least;
  }
  return set_capacity(v, elem, new_cap, bytes);
}

/* The plain functions' failure path: misuse was reported already and the call
 * simply does nothing; exhaustion and overflow do not return. */
static void fail(own_error_t err, const own_vec_raw_t *v, const char *fn, size_t bytes) {
  if (err == OWN_ERR_OVERFLOW) {
    own_report(OWN_ERR_OVERFLOW, v, "%s: capacity * element size overflows", fn);
    own_out_of_memory(SIZE_MAX);
  }
  if (err == OWN_ERR_OUT_OF_MEMORY) own_out_of_memory(bytes);
}

/* Offset of p inside v's block, or SIZE_MAX when p is elsewhere. */
static size_t offset_in(const own_vec_raw_t *v, const void *p) {
  uintptr_t a = (uintptr_t)p, b = (uintptr_t)v->data;
  if (v->cap == 0 || a < b || a - b >= v->cap * v->elem_size) return SIZE_MAX;
  return (size_t)(a - b);
}

void own_vec_raw_init(own_vec_raw_t *v, const own_allocator_t *a) {
  if (!v) {
    own_report(OWN_ERR_USAGE, NULL, "own_vec_init: NULL vec");
    return;
  }
  *v = (own_vec_raw_t){NULL, 0, 0, 0, 0, a};
}

static own_error_t try_with_capacity(own_vec_raw_t *v, const own_allocator_t *a, own_layout_t elem,
                                     size_t n, size_t *bytes) {
  *bytes = 0;
  if (!v) {
    own_report(OWN_ERR_USAGE, NULL, "own_vec_with_capacity: NULL vec");
    return OWN_ERR_USAGE;
  }
  *v = (own_vec_raw_t){NULL, 0, 0, 0, 0, a};
  size_t stride;
  own_error_t e = check(v, elem, "own_vec_with_capacity", &stride);
  if (e) return e;
  return reserve(v, elem, stride, n, true, bytes);
}

own_error_t own_vec_raw_try_with_capacity(own_vec_raw_t *v, const own_allocator_t *a,
                                          own_layout_t elem, size_t n) {
  size_t bytes;
  return try_with_capacity(v, a, elem, n, &bytes);
}

void own_vec_raw_with_capacity(own_vec_raw_t *v, const own_allocator_t *a, own_layout_t elem,
                               size_t n) {
  size_t bytes;
  own_error_t e = try_with_capacity(v, a, elem, n, &bytes);
  if (e) fail(e, v, "own_vec_with_capacity", bytes);
}

static own_error_t try_reserve(own_vec_raw_t *v, own_layout_t elem, size_t additional, bool exact,
                               const char *fn, size_t *bytes) {
  size_t stride;
  *bytes = 0;
  own_error_t e = check(v, elem, fn, &stride);
  if (e) return e;
  return reserve(v, elem, stride, additional, exact, bytes);
}

own_error_t own_vec_raw_try_reserve(own_vec_raw_t *v, own_layout_t elem, size_t additional) {
  size_t bytes;
  return try_reserve(v, elem, additional, false, "own_vec_reserve", &bytes);
}

void own_vec_raw_reserve(own_vec_raw_t *v, own_layout_t elem, size_t additional) {
  size_t bytes;
  own_error_t e = try_reserve(v, elem, additional, false, "own_vec_reserve", &bytes);
  if (e) fail(e, v, "own_vec_reserve", bytes);
}

own_error_t own_vec_raw_try_reserve_exact(own_vec_raw_t *v, own_layout_t elem, size_t additional) {
  size_t bytes;
  return try_reserve(v, elem, additional, true, "own_vec_reserve_exact", &bytes);
}

void own_vec_raw_reserve_exact(own_vec_raw_t *v, own_layout_t elem, size_t additional) {
  size_t bytes;
  own_error_t e = try_reserve(v, elem, additional, true, "own_vec_reserve_exact", &bytes);
  if (e) fail(e, v, "own_vec_reserve_exact", bytes);
}

void own_vec_raw_shrink_to_fit(own_vec_raw_t *v, own_layout_t elem) {
  size_t stride;
  if (check(v, elem, "own_vec_shrink_to_fit", &stride)) return;
  if (v->cap == v->len) return;
  if (v->len == 0) {
    own_allocator_free(v->alloc, v->data, (own_layout_t){v->cap * stride, elem.align});
    v->data = NULL;
    v->cap = 0;
    return;
  }
  size_t bytes;
  (void)set_capacity(v, elem, v->len, &bytes); /* failure keeps the larger block */
}

static own_error_t try_insert(own_vec_raw_t *v, own_layout_t elem, size_t i, const void *value,
                              const char *fn, size_t *bytes) {
  size_t stride;
  *bytes = 0;
  own_error_t e = check(v, elem, fn, &stride);
  if (e) return e;
  if (OWN_UNLIKELY(!value)) {
    own_report(OWN_ERR_USAGE, v, "%s: NULL value", fn);
    return OWN_ERR_USAGE;
  }
  if (OWN_UNLIKELY(i > v->len)) {
    own_report(OWN_ERR_USAGE, v, "%s: index %zu out of range (len %zu)", fn, i, v->len);
    return OWN_ERR_USAGE;
  }
  size_t off = offset_in(v, value);
  if (v->len == v->cap) {
    e = reserve(v, elem, stride, 1, false, bytes);
    if (e) return e;
    if (off != SIZE_MAX) value = (char *)v->data + off;
  }
  char *at = (char *)v->data + i * stride;
  if (i < v->len) {
    memmove(at + stride, at, (v->len - i) * stride);
    if (off != SIZE_MAX && off >= i * stride) value = (const char *)value + stride;
  }
  memcpy(at, value, elem.size);
  v->len++;
  return OWN_ERR_NONE;
}

own_error_t own_vec_raw_try_push(own_vec_raw_t *v, own_layout_t elem, const void *value) {
  size_t bytes;
  return try_insert(v, elem, v ? v->len : 0, value, "own_vec_push", &bytes);
}

void own_vec_raw_push(own_vec_raw_t *v, own_layout_t elem, const void *value) {
  size_t bytes;
  own_error_t e = try_insert(v, elem, v ? v->len : 0, value, "own_vec_push", &bytes);
  if (e) fail(e, v, "own_vec_push", bytes);
}

own_error_t own_vec_raw_try_insert(own_vec_raw_t *v, own_layout_t elem, size_t i, const void *value) {
  size_t bytes;
  return try_insert(v, elem, i, value, "own_vec_insert", &bytes);
}

void own_vec_raw_insert(own_vec_raw_t *v, own_layout_t elem, size_t i, const void *value) {
  size_t bytes;
  own_error_t e = try_insert(v, elem, i, value, "own_vec_insert", &bytes);
  if (e) fail(e, v, "own_vec_insert", bytes);
}

static own_error_t try_extend(own_vec_raw_t *v, own_layout_t elem, const void *src, size_t n,
                              size_t *bytes) {
  size_t stride;
  *bytes = 0;
  own_error_t e = check(v, elem, "own_vec_extend", &stride);
  if (e) return e;
  if (n == 0) return OWN_ERR_NONE;
  if (OWN_UNLIKELY(!src)) {
    own_report(OWN_ERR_USAGE, v, "own_vec_extend: NULL source with %zu elements", n);
    return OWN_ERR_USAGE;
  }
  size_t off = offset_in(v, src);
  e = reserve(v, elem, stride, n, false, bytes);
  if (e) return e;
  if (off != SIZE_MAX) src = (const char *)v->data + off;
  /* A source inside the vec lies wholly below len * stride, so it cannot
   * overlap the destination; memmove anyway, for a source that straddles. */
  memmove((char *)v->data + v->len * stride, src, n * stride);
  v->len += n;
  return OWN_ERR_NONE;
}

own_error_t own_vec_raw_try_extend(own_vec_raw_t *v, own_layout_t elem, const void *src, size_t n) {
  size_t bytes;
  return try_extend(v, elem, src, n, &bytes);
}

void own_vec_raw_extend(own_vec_raw_t *v, own_layout_t elem, const void *src, size_t n) {
  size_t bytes;
  own_error_t e = try_extend(v, elem, src, n, &bytes);
  if (e) fail(e, v, "own_vec_extend", bytes);
}

bool own_vec_raw_pop(own_vec_raw_t *v, own_layout_t elem, void *out) {
  size_t stride;
  if (check(v, elem, "own_vec_pop", &stride)) return false;
  if (v->len == 0) return false;
  v->len--;
  if (out) memcpy(out, (char *)v->data + v->len * stride, elem.size);
  return true;
}

/* Checks v, elem and that i < len. */
static bool check_index(const own_vec_raw_t *v, own_layout_t elem, size_t i, const char *fn,
                        size_t *stride) {
  if (check(v, elem, fn, stride)) return false;
  if (OWN_UNLIKELY(i >= v->len)) {
    own_report(OWN_ERR_USAGE, v, "%s: index %zu out of range (len %zu)", fn, i, v->len);
    return false;
  }
  return true;
}

bool own_vec_raw_remove(own_vec_raw_t *v, own_layout_t elem, size_t i, void *out) {
  size_t stride;
  if (!check_index(v, elem, i, "own_vec_remove", &stride)) return false;
  char *at = (char *)v->data + i * stride;
  if (out) memcpy(out, at, elem.size);
  memmove(at, at + stride, (v->len - i - 1) * stride);
  v->len--;
  return true;
}

bool own_vec_raw_swap_remove(own_vec_raw_t *v, own_layout_t elem, size_t i, void *out) {
  size_t stride;
  if (!check_index(v, elem, i, "own_vec_swap_remove", &stride)) return false;
  char *at = (char *)v->data + i * stride;
  if (out) memcpy(out, at, elem.size);
  v->len--;
  if (i != v->len) memcpy(at, (char *)v->data + v->len * stride, elem.size);
  return true;
}

void *own_vec_raw_get(const own_vec_raw_t *v, own_layout_t elem, size_t i) {
  size_t stride;
  if (!check_index(v, elem, i, "own_vec_get", &stride)) return NULL;
  return (char *)v->data + i * stride;
}

void own_vec_raw_truncate(own_vec_raw_t *v, size_t n) {
  if (!v) {
    own_report(OWN_ERR_USAGE, NULL, "own_vec_truncate: NULL vec");
    return;
  }
  if (n < v->len) v->len = n;
}

void own_vec_raw_clear(own_vec_raw_t *v) {
  if (!v) {
    own_report(OWN_ERR_USAGE, NULL, "own_vec_clear: NULL vec");
    return;
  }
  v->len = 0;
}

void own_vec_raw_drop(own_vec_raw_t *v) {
  if (!v) return;
  if (v->cap) own_allocator_free(v->alloc, v->data, (own_layout_t){v->cap * v->elem_size, v->elem_align});
  *v = (own_vec_raw_t){NULL, 0, 0, 0, 0, v->alloc};
}

void own_vec_cleanup(void *vec) { own_vec_raw_drop((own_vec_raw_t *)vec); }
