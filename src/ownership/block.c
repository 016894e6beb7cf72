/* ownership/block.c — allocation and release of the header + value blocks
 * that Box, Rc and Arc share (layout in ownership/ownership.h), and the
 * reports they make on misuse.
 *
 * The default allocator (a == NULL) is called directly as own_alloc /
 * own_dealloc rather than through own_allocator_default(): the same heap,
 * one indirect call less on the path Box promises to keep as short as the raw
 * allocation it wraps.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ownership/ownership.h"
#include "own/heap.h"

/* The block layout and the value's offset in it; false when too large.
 * Values aligned to at most 8 (nearly all) take the short path: the value
 * starts right after the header and the block is padded to 8, which is what
 * own_layout_extend + own_layout_pad_to_align compute for them. The size
 * bound leaves room for the header and the padding. */
static inline bool block_layout(size_t hdr_size, own_layout_t vl, own_layout_t *block,
                                size_t *offset) {
  if (OWN_LIKELY(_OWN_SMALL_VALUE(vl))) {
    *offset = hdr_size;
    *block = _own_small_block(hdr_size, vl.size);
    return true;
  }
  own_layout_t hl = {hdr_size, 8};
  own_layout_t b;
  if (!own_layout_extend(hl, vl, &b, offset)) return false;
  *block = own_layout_pad_to_align(b);
  return true;
}

static unsigned log2_of(size_t pow2) { return (unsigned)__builtin_ctzll((unsigned long long)pow2); }

/* The failure paths of the constructors, out of the way of the fast path. */
__attribute__((noinline, cold)) void *_own_block_fail(int why, own_layout_t vl, size_t bytes,
                                                      _own_fail_t fail, const char *who) {
  if (why == EINVAL) {
    own_report(OWN_ERR_BAD_ALIGNMENT, NULL, "%s: alignment %zu is not a power of two", who,
               vl.align);
    if (fail == _OWN_MUST) abort();
  } else if (fail == _OWN_MUST) {
    own_out_of_memory(bytes);
  }
  errno = why;
  return NULL;
}

/* gcc 12's analyzer reports the block as leaked when the function returns a
 * pointer into it (block + offset) rather than its start: a false positive. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif
void *_own_block_new(const own_allocator_t *a, size_t hdr_size, own_layout_t vl,
                     own_drop_fn_t drop, uint32_t magic, const void *init, bool zero,
                     _own_fail_t fail, const char *who) {
  own_layout_t bl;
  size_t offset;
  if (OWN_UNLIKELY(!own_is_pow2(vl.align))) return _own_block_fail(EINVAL, vl, 0, fail, who);
  if (OWN_UNLIKELY(!block_layout(hdr_size, vl, &bl, &offset)))
    return _own_block_fail(ENOMEM, vl, vl.size, fail, who);
  char *block = a ? a->alloc(a->ctx, bl) : own_alloc(bl);
  if (OWN_UNLIKELY(!block)) return _own_block_fail(ENOMEM, vl, bl.size, fail, who);
  char *value = block + offset;
  /* Pointer arithmetic rather than _own_meta's integer round trip, so the
   * analyzer (-fanalyzer on the library) keeps track of the block. */
  _own_meta_t *m = (_own_meta_t *)(void *)(value - sizeof(_own_meta_t));
  m->alloc = a;
  m->drop = drop;
  m->size = vl.size;
  m->align_log2 = log2_of(vl.align);
  m->magic = magic;
  if (init) memcpy(value, init, vl.size);
  else if (zero) memset(value, 0, vl.size);
  return value;
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

void _own_block_free(void *value, size_t hdr_size) {
  _own_meta_t *m = _own_meta(value);
  own_layout_t bl = {0, 1};
  size_t offset = 0;
  /* Cannot fail: the same computation succeeded at construction. */
  (void)block_layout(hdr_size, _own_value_layout(m), &bl, &offset);
  const own_allocator_t *a = m->alloc;
  m->magic = _OWN_MAGIC_DEAD;
  char *block = (char *)value - offset;
  if (a) a->free(a->ctx, block, bl);
  else own_dealloc(block, bl);
}

static const char *tag_kind(uint32_t tag) {
  switch (tag) {
    case _OWN_MAGIC_BOX:
    case _OWN_MAGIC_BOX_HEAP: return "box";
    case _OWN_MAGIC_RC: return "rc";
    case _OWN_MAGIC_ARC: return "arc";
    default: return "owned value";
  }
}

void _own_report_bad_tag(const void *value, uint32_t want, const char *who) {
  uint32_t tag = _own_meta(value)->magic;
  if (tag == _OWN_MAGIC_DEAD || tag == _OWN_MAGIC_DROPPED) {
    own_report(OWN_ERR_DOUBLE_FREE, value, "%s(%p): this %s was already dropped", who, value,
               tag_kind(want));
  } else if (tag == _OWN_MAGIC_BOX || tag == _OWN_MAGIC_BOX_HEAP || tag == _OWN_MAGIC_RC ||
             tag == _OWN_MAGIC_ARC) {
    own_report(OWN_ERR_INVALID_FREE, value, "%s(%p): this is an own %s, not an own %s", who,
               value, tag_kind(tag), tag_kind(want));
  } else {
    own_report(OWN_ERR_INVALID_FREE, value, "%s(%p): not an own %s", who, value, tag_kind(want));
  }
}

void _own_refcount_overflow(const void *value, const char *what) {
  own_report(OWN_ERR_REFCOUNT, value, "%s(%p): reference count overflow", what, value);
  abort();
}
