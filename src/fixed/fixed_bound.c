/* fixed/fixed_bound.c — the fragmentation bound of the fixed heap as numbers:
 * a request's footprint and the buffer size that guarantees no allocation
 * fails (own/fixed.h; the proof is in docs/fixed.md). Pure functions, kept out
 * of fixed.c so that programs that size their heap offline do not link them.
 */
#include "fixed/fixed_internal.h"

size_t own_fixed_footprint(size_t size, size_t align) {
  if (!own_is_pow2(align)) return SIZE_MAX;
  if (size > SIZE_MAX / 4) return SIZE_MAX;
  size_t s = (size + G + G - 1) & ~(size_t)(G - 1);
  if (s < MINB) s = MINB;
  if (align <= G) return s + G; /* a tail shorter than MINB stays attached */
  if (align > SIZE_MAX / 4) return SIZE_MAX;
  return s + align + G;
}

/* k * v, or SIZE_MAX on overflow (no multiply: k is small). */
static size_t mul_small(size_t k, size_t v) {
  size_t r = 0;
  for (size_t i = 0; i < k; i++) {
    if (r > SIZE_MAX - v) return SIZE_MAX;
    r += v;
  }
  return r;
}

size_t own_fixed_required_size(size_t max_live, size_t max_footprint) {
  if (max_footprint == 0 || max_footprint == SIZE_MAX || max_live == SIZE_MAX) return 0;
  if (max_live < max_footprint) max_live = max_footprint;
  unsigned kn = log2_ceil(max_footprint);
  if (kn < LOG2_MINB) kn = LOG2_MINB;
  size_t k = kn - LOG2_MINB + 1;
  if (max_live > SIZE_MAX / 3) return 0;
  size_t need0 = mul_small(k, 3 * max_live);
  if (need0 == SIZE_MAX) return 0;
  size_t buf = need0 + offsetof(own_fixed_t, heads) + G + NCLS_MAX * NB_MAX * sizeof(void *);
  if (buf < need0) return 0;
  for (int iter = 0; iter < 256; iter++) {
    lay_t l;
    if (!_own_fixed_plan(buf, &l)) return 0;
    size_t need = mul_small(k, 3 * max_live + band_width(l.mul, l.shift, l.usable));
    if (need == SIZE_MAX) return 0;
    if (l.usable >= need && l.max_merge >= max_footprint) return buf;
    size_t grow = need > l.usable ? need - l.usable : G;
    if (buf > SIZE_MAX - grow - G) return 0;
    buf += grow + G;
  }
  return 0;
}

