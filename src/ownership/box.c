/* ownership/box.c — Box: one owner, one block (header + value), a drop
 * function run exactly once before the block is freed (own/box.h).
 *
 * Drop order: the tag is changed to "dead" before the drop function runs, so
 * a drop function that (wrongly) drops its own box again is reported as a
 * double drop instead of freeing twice.
 */
#include <string.h>

#include "ownership/ownership.h"

#define BOX_HDR sizeof(_own_meta_t)

void *own_box_new(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop) {
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
