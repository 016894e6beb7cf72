/* fixed/fixed_allocator.c — a fixed heap behind the own_allocator_t interface
 * (own/allocator.h), so owning types and collections can live in it. Layout
 * alignment is honoured on allocation and kept on resize.
 */
#include "fixed/fixed_internal.h"

static void *fa_alloc(void *ctx, own_layout_t l) {
  return own_fixed_alloc_aligned((own_fixed_t *)ctx, l.size, l.align);
}
static void *fa_resize(void *ctx, void *p, own_layout_t old, size_t n) {
  return own_fixed_realloc_aligned((own_fixed_t *)ctx, p, n, old.align);
}
static void fa_free(void *ctx, void *p, own_layout_t l) {
  (void)l;
  own_fixed_free((own_fixed_t *)ctx, p);
}

own_allocator_t own_fixed_allocator(own_fixed_t *h) {
  own_allocator_t a = {fa_alloc, fa_resize, fa_free, h};
  return a;
}
