/* ownership/box.c — Box: one owner, one block (header + value), a drop
 * function run exactly once before the block is freed (own/box.h).
 *
 * Two header forms, told apart by the tag just before the value:
 *  - heap form, tag "ownb" (own/box.h, "ABI"): 16 bytes {drop, layout word,
 *    tag}; allocator NULL, alignment <= 16, size < 2^29. The block is
 *    own_malloc(16 + size) and goes back with own_free: no layout arithmetic,
 *    no allocator dispatch. The inline constructors of own/box.h make these
 *    with one call, _own_box_alloc (alloc/box_entry.c: own_malloc's fast
 *    path plus the header stores); own_box_new makes the same ones through it
 *    when its arguments are only known at run time.
 *  - general form, tag "ownB": the 32-byte _own_meta_t shared with Rc and Arc
 *    (ownership/ownership.h), built by _own_block_new; any allocator, any
 *    alignment.
 * Both keep the tag in the 4 bytes before the value, where Rc and Arc keep
 * theirs, so every kind recognises the others' values (and reports a box
 * dropped as an rc as such).
 *
 * Drop order: the tag is changed to "dead" before the drop function runs, so
 * a drop function that (wrongly) drops its own box again is reported as a
 * double drop instead of freeing twice. own_box_drop's common case (a
 * heap-form box without a drop function, on its owner thread) is in
 * alloc/box_entry.c; _own_box_drop below is the rest, and own_box_drop
 * itself when there is no heap.
 *
 * Built without the alloc layer (OWN_BOX_NO_HEAP, src/ownership/sources.cmake)
 * there is no own_malloc / own_free: the default allocator's boxes then take
 * the general form through own_alloc, and no heap-form box can exist.
 */
#include <errno.h>
#include <string.h>

#include "own/heap.h"

#include "ownership/ownership.h"

#define BOX_HDR sizeof(_own_meta_t)

/* The heap-form header (ownership/ownership.h); its layout is the ABI
 * described in own/box.h. */
typedef _own_box_heap_hdr_t heap_hdr_t;

_Static_assert(sizeof(heap_hdr_t) == OWN_BOX_HEAP_HEADER, "the heap-form header is 16 bytes");
_Static_assert(offsetof(heap_hdr_t, tag) + 4 == sizeof(heap_hdr_t) &&
                   offsetof(_own_meta_t, magic) + 4 == sizeof(_own_meta_t),
               "both forms keep the tag just before the value");

static inline heap_hdr_t *heap_hdr(const void *box) {
  return (heap_hdr_t *)((uintptr_t)box - sizeof(heap_hdr_t));
}

static inline own_layout_t heap_layout(const heap_hdr_t *h) {
  own_layout_t l = {h->layout >> 3, (size_t)1 << (h->layout & 7)};
  return l;
}

#ifdef OWN_BOX_NO_HEAP
#define HEAP_FORM(a, l) false
static void heap_free(heap_hdr_t *h) {
  own_layout_t l = heap_layout(h);
  own_layout_t bl = {sizeof(heap_hdr_t) + l.size, 16};
  own_dealloc(h, bl);
}
#else
#define HEAP_FORM(a, l) _OWN_BOX_HEAP_FORM(a, l)
#define heap_free(h) own_free(h)
#endif

/* ---- the heap form -------------------------------------------------------- */

/* The heap form for a layout known only at run time (HEAP_FORM(NULL, l)):
 * what the inline constructors of own/box.h do, in one place. */
static inline void *heap_new(own_layout_t l, own_drop_fn_t drop, _own_fail_t fail) {
#ifndef OWN_BOX_NO_HEAP
  uint32_t layout = _OWN_BOX_HEAP_LAYOUT(l);
  return fail == _OWN_MUST ? _own_box_alloc(layout, drop) : _own_box_try_alloc(layout, drop);
#else
  (void)l, (void)drop, (void)fail;
  return NULL; /* not reached: HEAP_FORM is false */
#endif
}

/* ---- constructors ----------------------------------------------------------
 * The parenthesised names keep own/box.h's function-like macros of the same
 * names from expanding here. */

/* own_box_new for everything but the heap form; out of line, so that the
 * heap form's path saves only the registers it needs. Values aligned to at
 * most 8 skip the general layout arithmetic (the common case with an
 * allocator given). */
__attribute__((noinline)) static void *general_new(const own_allocator_t *a, own_layout_t layout,
                                                   own_drop_fn_t drop) {
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

void *(own_box_new)(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop) {
  if (OWN_LIKELY(HEAP_FORM(a, layout))) return heap_new(layout, drop, _OWN_MUST);
  return general_new(a, layout, drop);
}

void *(own_box_try_new)(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop) {
  if (HEAP_FORM(a, layout)) return heap_new(layout, drop, _OWN_TRY);
  return _own_block_new(a, BOX_HDR, layout, drop, _OWN_MAGIC_BOX, NULL, false, _OWN_TRY,
                        "own_box_try_new");
}

void *(own_box_new_zeroed)(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop) {
  if (HEAP_FORM(a, layout)) return memset(heap_new(layout, drop, _OWN_MUST), 0, layout.size);
  return _own_block_new(a, BOX_HDR, layout, drop, _OWN_MAGIC_BOX, NULL, true, _OWN_MUST,
                        "own_box_new_zeroed");
}

void *(own_box_try_new_zeroed)(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop) {
  if (HEAP_FORM(a, layout)) {
    void *p = heap_new(layout, drop, _OWN_TRY);
    return p ? memset(p, 0, layout.size) : NULL;
  }
  return _own_block_new(a, BOX_HDR, layout, drop, _OWN_MAGIC_BOX, NULL, true, _OWN_TRY,
                        "own_box_try_new_zeroed");
}

void *(own_box_from)(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop,
                     const void *value) {
  if (HEAP_FORM(a, layout)) return memcpy(heap_new(layout, drop, _OWN_MUST), value, layout.size);
  return _own_block_new(a, BOX_HDR, layout, drop, _OWN_MAGIC_BOX, value, false, _OWN_MUST,
                        "own_box_from");
}

void *(own_box_try_from)(const own_allocator_t *a, own_layout_t layout, own_drop_fn_t drop,
                         const void *value) {
  if (HEAP_FORM(a, layout)) {
    void *p = heap_new(layout, drop, _OWN_TRY);
    return p ? memcpy(p, value, layout.size) : NULL;
  }
  return _own_block_new(a, BOX_HDR, layout, drop, _OWN_MAGIC_BOX, value, false, _OWN_TRY,
                        "own_box_try_from");
}

/* ---- drop --------------------------------------------------------------- */

/* A heap-form box with a drop function: kept out of own_box_drop so that its
 * path without one needs no stack frame (both end in a tail call). */
__attribute__((noinline)) static void heap_drop_with_fn(void *box, own_drop_fn_t drop) {
  drop(box);
  heap_free(heap_hdr(box));
}

/* Every box that is not heap-form, and every pointer that is not a live box. */
__attribute__((noinline)) static void general_drop(void *box) {
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

/* The whole of own_box_drop. With the alloc layer, own_box_drop itself is in
 * alloc/box_entry.c: it frees the common heap-form box (no drop function,
 * the owner thread's segment) on own_free's owner path and calls this for
 * everything else. */
#ifdef OWN_BOX_NO_HEAP
#define box_drop own_box_drop
#else
#define box_drop _own_box_drop
#endif
void box_drop(void *box) {
  if (!box) return;
  heap_hdr_t *h = heap_hdr(box);
  if (OWN_LIKELY(h->tag == _OWN_MAGIC_BOX_HEAP)) {
    h->tag = _OWN_MAGIC_DEAD;
    own_drop_fn_t drop = h->drop;
    if (drop) heap_drop_with_fn(box, drop);
    else heap_free(h);
    return;
  }
  general_drop(box);
}

/* ---- moving out and inspection -------------------------------------------- */

void own_box_into_inner(void *box, void *out) {
  if (!box) {
    own_report(OWN_ERR_USAGE, NULL, "own_box_into_inner: NULL box");
    return;
  }
  heap_hdr_t *h = heap_hdr(box);
  if (h->tag == _OWN_MAGIC_BOX_HEAP) {
    if (out) memmove(out, box, h->layout >> 3);
    h->tag = _OWN_MAGIC_DEAD;
    heap_free(h);
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

own_layout_t own_box_layout(const void *box) {
  const heap_hdr_t *h = heap_hdr(box);
  if (h->tag == _OWN_MAGIC_BOX_HEAP) return heap_layout(h);
  return _own_value_layout(_own_meta(box));
}

const own_allocator_t *own_box_allocator(const void *box) {
  if (heap_hdr(box)->tag == _OWN_MAGIC_BOX_HEAP) return NULL;
  return _own_meta(box)->alloc;
}

own_drop_fn_t own_box_drop_fn(const void *box) {
  const heap_hdr_t *h = heap_hdr(box);
  if (h->tag == _OWN_MAGIC_BOX_HEAP) return h->drop;
  return _own_meta(box)->drop;
}
