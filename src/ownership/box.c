/* ownership/box.c — Box: one owner, one block (header + value), a drop
 * function run exactly once before the block is freed (own/box.h).
 *
 * Drop order: the tag is changed to "dead" before the drop function runs, so
 * a drop function that (wrongly) drops its own box again is reported as a
 * double drop instead of freeing twice.
 */
#include <errno.h>
#include <string.h>

#include "own/heap.h"

#include "ownership/ownership.h"

#define BOX_HDR sizeof(_own_meta_t)

/* own_box_new is the one constructor worth a hand-written short path: it is
 * what Box costs over the allocation it wraps (bench/ownership). */
void *own_box_new(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop) {
  if (OWN_LIKELY(_OWN_SMALL_VALUE(layout))) {
    own_layout_t bl = _own_small_block(BOX_HDR, layout.size);
    char *block = a ? a->alloc(a->ctx, bl) : own_alloc(bl);
    if (OWN_UNLIKELY(!block)) return _own_block_fail(ENOMEM, layout, bl.size, _OWN_MUST, "own_box_new");
    _own_meta_t *m = (_own_meta_t *)block;
    m->alloc = a;
    m->drop = drop;
    m->size = layout.size;
    m->align_log2 = (uint32_t)__builtin_ctzll((unsigned long long)layout.align);
    m->magic = _OWN_MAGIC_BOX;
    return block + BOX_HDR;
  }
  return _own_block_new(a, BOX_HDR, layout, drop, _OWN_MAGIC_BOX, NULL, false, _OWN_MUST,
                        "own_box_new");
}

void *own_box_try_new(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop) {
  return _own_block_new(a, BOX_HDR, layout, drop, _OWN_MAGIC_BOX, NULL, false, _OWN_TRY,
                        "own_box_try_new");
}

void *own_box_new_zeroed(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop) {
  return _own_block_new(a, BOX_HDR, layout, drop, _OWN_MAGIC_BOX, NULL, true, _OWN_MUST,
                        "own_box_new_zeroed");
}

void *own_box_try_new_zeroed(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop) {
  return _own_block_new(a, BOX_HDR, layout, drop, _OWN_MAGIC_BOX, NULL, true, _OWN_TRY,
                        "own_box_try_new_zeroed");
}

void *own_box_from(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop,
                   const void *value) {
  return _own_block_new(a, BOX_HDR, layout, drop, _OWN_MAGIC_BOX, value, false, _OWN_MUST,
                        "own_box_from");
}

void *own_box_try_from(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop,
                       const void *value) {
  return _own_block_new(a, BOX_HDR, layout, drop, _OWN_MAGIC_BOX, value, false, _OWN_TRY,
                        "own_box_try_from");
}

void own_box_drop(void *box) {
  if (!box) return;
  _own_meta_t *m = _own_meta(box);
  if (OWN_UNLIKELY(m->magic != _OWN_MAGIC_BOX)) {
    _own_report_bad_tag(box, _OWN_MAGIC_BOX, "own_box_drop");
    return;
  }
  m->magic = _OWN_MAGIC_DEAD;
  if (m->drop) m->drop(box);
  if (OWN_LIKELY(m->align_log2 <= 3)) { /* the short path of own_box_new */
    own_layout_t bl = _own_small_block(BOX_HDR, m->size);
    const own_allocator_t *a = m->alloc;
    if (a) a->free(a->ctx, m, bl);
    else own_dealloc(m, bl);
    return;
  }
  _own_block_free(box, BOX_HDR);
}

void own_box_into_inner(void *box, void *out) {
  if (!box) {
    own_report(OWN_ERR_USAGE, NULL, "own_box_into_inner: NULL box");
    return;
  }
  _own_meta_t *m = _own_meta(box);
  if (OWN_UNLIKELY(m->magic != _OWN_MAGIC_BOX)) {
    _own_report_bad_tag(box, _OWN_MAGIC_BOX, "own_box_into_inner");
    return;
  }
  if (out) memmove(out, box, m->size);
  _own_block_free(box, BOX_HDR);
}

own_layout_t own_box_layout(const void *box) { return _own_value_layout(_own_meta(box)); }

const own_allocator_t *own_box_allocator(const void *box) { return _own_meta(box)->alloc; }

own_drop_fn_t own_box_drop_fn(const void *box) { return _own_meta(box)->drop; }
