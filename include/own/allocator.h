/* own/allocator.h — the one interface every heap engine of own offers, so the
 * owning types (Box, Rc, Vec, String, ...) work on any of them: the general
 * heap, a first-class heap, the fixed heap, a pool or an arena.
 *
 * An allocator is a context pointer plus three functions that take layouts.
 * Freestanding: includes only <stddef.h>, <stdint.h> and <stdbool.h>.
 *
 * Contract every implementation keeps:
 *  - alloc(ctx, layout): a block of at least layout.size bytes aligned to
 *    layout.align, or NULL when it cannot (no errno promised). layout.size may
 *    be 0: the result is then a block that can be freed like any other (or NULL).
 *  - resize(ctx, p, old, new_size): a block of new_size bytes with old.align
 *    holding the first min(old.size, new_size) bytes of p, possibly at p
 *    itself. On failure returns NULL and p is untouched and still owned by the
 *    caller. p is never NULL here.
 *  - free(ctx, p, layout): releases p, which came from this allocator with
 *    this layout (size as last allocated or resized). p is never NULL here.
 * `resize` may be NULL: callers then allocate, copy and free (own_allocator_resize
 * does that for them).
 */
#ifndef OWN_ALLOCATOR_H
#define OWN_ALLOCATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "layout.h"

OWN_EXTERN_C_BEGIN

typedef struct own_allocator {
  void *(*alloc)(void *ctx, own_layout_t layout);
  void *(*resize)(void *ctx, void *p, own_layout_t old, size_t new_size);
  void (*free)(void *ctx, void *p, own_layout_t layout);
  void *ctx;
} own_allocator_t;

/* own's general heap (the calling thread's default heap). Never NULL. The
 * owning types treat a NULL allocator pointer as this one. */
OWN_API const own_allocator_t *own_allocator_default(void);

/* Calls through an allocator (NULL: the default). They check nothing beyond
 * the interface: size 0 is passed on, p == NULL is a no-op for free. */
static inline void *own_allocator_alloc(const own_allocator_t *a, own_layout_t l) {
  if (!a) a = own_allocator_default();
  return a->alloc(a->ctx, l);
}
static inline void own_allocator_free(const own_allocator_t *a, void *p, own_layout_t l) {
  if (!p) return;
  if (!a) a = own_allocator_default();
  a->free(a->ctx, p, l);
}
/* Resizes through a->resize, or by alloc + copy + free when it is NULL. */
OWN_API void *own_allocator_resize(const own_allocator_t *a, void *p, own_layout_t old,
                                   size_t new_size);

OWN_EXTERN_C_END

#endif
