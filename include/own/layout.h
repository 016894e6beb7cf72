/* own/layout.h — a block's size and alignment, as one value (Rust's Layout).
 *
 * Every constructor checks its arithmetic: alignment must be a power of two,
 * and the size rounded up to the alignment must not exceed PTRDIFF_MAX. A
 * constructor that cannot build a valid layout returns false and leaves *out
 * unchanged; none ever wraps around to a small size.
 *
 * Header-only and freestanding (no libc): embedded code may use it alone.
 * All functions run in O(1), are pure, and are thread-safe.
 */
#ifndef OWN_LAYOUT_H
#define OWN_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct own_layout {
  size_t size;  /* bytes; may be 0 */
  size_t align; /* bytes; a power of two, >= 1 */
} own_layout_t;

/* The layout of type T: its size and _Alignof. Always valid. */
#define OWN_LAYOUT_OF(T) ((own_layout_t){sizeof(T), _Alignof(T)})

/* The layout of an array of n T, or false on overflow. */
#define OWN_LAYOUT_ARRAY(T, n, out) own_layout_array(OWN_LAYOUT_OF(T), (n), (out))

/* True when x is a power of two (0 is not). Written as "x ^ (x - 1), the
 * mask up to x's lowest set bit, is above x - 1": four instructions and no
 * branch, where x != 0 && (x & (x - 1)) == 0 next to other tests becomes a
 * population count that clang expands into a dozen instructions on plain
 * x86-64. */
static inline bool own_is_pow2(size_t x) { return (x ^ (x - 1)) > x - 1; }

/* A layout of `size` bytes aligned to `align`. False when align is not a power
 * of two or when size rounded up to align would exceed PTRDIFF_MAX. */
static inline bool own_layout_from_size_align(size_t size, size_t align, own_layout_t *out) {
  if (!own_is_pow2(align)) return false;
  if (size > (size_t)PTRDIFF_MAX - (align - 1)) return false;
  out->size = size;
  out->align = align;
  return true;
}

/* The size rounded up to the alignment (a valid layout never overflows here). */
static inline size_t own_layout_padded_size(own_layout_t l) {
  return (l.size + l.align - 1) & ~(l.align - 1);
}

/* `l` with its size rounded up to its alignment: the stride of an array. */
static inline own_layout_t own_layout_pad_to_align(own_layout_t l) {
  own_layout_t r = {own_layout_padded_size(l), l.align};
  return r;
}

/* `l` with alignment max(l.align, align). False if align is not a power of two
 * or the padded size would overflow. */
static inline bool own_layout_align_to(own_layout_t l, size_t align, own_layout_t *out) {
  if (!own_is_pow2(align)) return false;
  return own_layout_from_size_align(l.size, align > l.align ? align : l.align, out);
}

/* An array of n elements of layout `elem` (each padded to its alignment).
 * False on overflow. */
static inline bool own_layout_array(own_layout_t elem, size_t n, own_layout_t *out) {
  size_t stride = own_layout_padded_size(elem);
  size_t total;
  if (__builtin_mul_overflow(stride, n, &total)) return false;
  return own_layout_from_size_align(total, elem.align, out);
}

/* The layout of a struct whose fields are `l` then `next` (C's rules): next
 * starts at l.size rounded up to next.align; the result's alignment is the
 * larger of the two. The offset of `next` goes to *offset (may be NULL). The
 * result is not padded at its end: call own_layout_pad_to_align for that.
 * False on overflow. */
static inline bool own_layout_extend(own_layout_t l, own_layout_t next, own_layout_t *out,
                                     size_t *offset) {
  size_t off = own_layout_padded_size((own_layout_t){l.size, next.align});
  size_t size;
  if (off < l.size || __builtin_add_overflow(off, next.size, &size)) return false;
  own_layout_t r;
  if (!own_layout_from_size_align(size, l.align > next.align ? l.align : next.align, &r))
    return false;
  if (offset) *offset = off;
  *out = r;
  return true;
}

#endif
