/* core/allocator.c — the default allocator (own's general heap behind the
 * own_allocator_t interface) and the generic resize. */
#include <string.h>

#include "own/allocator.h"
#include "own/heap.h"

static void *heap_alloc(void *ctx, own_layout_t l) {
  (void)ctx;
  return own_alloc(l);
}
static void *heap_resize(void *ctx, void *p, own_layout_t old, size_t new_size) {
  (void)ctx;
  return own_realloc(p, old, new_size);
}
static void heap_free(void *ctx, void *p, own_layout_t l) {
  (void)ctx;
  own_dealloc(p, l);
}

static const own_allocator_t default_allocator = {heap_alloc, heap_resize, heap_free, NULL};

const own_allocator_t *own_allocator_default(void) { return &default_allocator; }

void *own_allocator_resize(const own_allocator_t *a, void *p, own_layout_t old, size_t new_size) {
  if (!a) a = own_allocator_default();
  if (a->resize) return a->resize(a->ctx, p, old, new_size);
  own_layout_t nl;
  if (!own_layout_from_size_align(new_size, old.align, &nl)) return NULL;
  void *q = a->alloc(a->ctx, nl);
  if (!q) return NULL;
  memcpy(q, p, old.size < new_size ? old.size : new_size);
  a->free(a->ctx, p, old);
  return q;
}
