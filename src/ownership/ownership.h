/* ownership/ownership.h — the block shape shared by Box, Rc and Arc.
 *
 * One allocation per owned value:
 *
 *   block start                      value (the pointer users hold)
 *   |  padding  | counts | meta      |  value bytes ...  | padding |
 *               <------ header ------>
 *
 * The header is `hdr_size` bytes (Box's general form: meta only; Rc/Arc: two
 * counts, then meta) and always ends exactly where the value starts, so it is found at a
 * fixed negative offset from the value pointer. The block layout is
 * own_layout_extend({hdr_size, 8}, value) padded to its alignment: the value
 * sits at the first offset >= hdr_size that is a multiple of its alignment,
 * and the block is allocated with max(8, value.align) alignment. Padding, if
 * any, is at the front (values aligned more than 8) or the back.
 *
 * Invariants: meta.magic is the kind's live tag from construction until the
 * block is freed (or, for Rc/Arc, until the value is dropped, when it becomes
 * the "value dropped" tag); `size` and `align_log2` reproduce the value layout
 * given to the constructor, from which the block layout is recomputed at free.
 */
#ifndef OWN_OWNERSHIP_INTERNAL_H
#define OWN_OWNERSHIP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "own/allocator.h"
#include "own/box.h"

/* Tags in meta.magic: "ownB", "ownR", "ownA" while live, "drop" once the value
 * is dropped but Weak references keep the memory, "dead" once freed. Boxes of
 * own's heap use a shorter header of their own ("heap form", box.c and
 * own/box.h) that keeps its tag, "ownb", at the same place: the 4 bytes just
 * before the value. */
#define _OWN_MAGIC_BOX 0x6f776e42u
#define _OWN_MAGIC_BOX_HEAP 0x6f776e62u
#define _OWN_MAGIC_RC 0x6f776e52u
#define _OWN_MAGIC_ARC 0x6f776e41u
#define _OWN_MAGIC_DROPPED 0x64726f70u
#define _OWN_MAGIC_DEAD 0x64656164u

/* The heap form's header (own/box.h, "ABI"): written by _own_box_alloc
 * (alloc/box_entry.c), read by box.c. */
typedef struct _own_box_heap_hdr {
  own_drop_fn_t drop; /* may be NULL                          */
  uint32_t layout;    /* size << 3 | log2(align)              */
  uint32_t tag;       /* _OWN_MAGIC_BOX_HEAP, then _DEAD       */
} _own_box_heap_hdr_t;

/* own_box_drop for every box that alloc/box_entry.c's fast path does not
 * take (box.c). */
void _own_box_drop(void *box);

typedef struct _own_meta {
  const own_allocator_t *alloc; /* NULL: own's heap (own_alloc/own_dealloc)     */
  own_drop_fn_t drop;           /* runs on the value before it goes; may be NULL */
  size_t size;                  /* value size in bytes                           */
  uint32_t align_log2;          /* value alignment is 1 << align_log2            */
  uint32_t magic;               /* _OWN_MAGIC_*                                   */
} _own_meta_t;

_Static_assert(sizeof(_own_meta_t) % 8 == 0, "the header keeps 8-byte alignment");

static inline _own_meta_t *_own_meta(const void *value) {
  return (_own_meta_t *)((uintptr_t)value - sizeof(_own_meta_t));
}

static inline own_layout_t _own_value_layout(const _own_meta_t *m) {
  own_layout_t l = {m->size, (size_t)1 << m->align_log2};
  return l;
}

/* How a constructor reacts to failure: return NULL, or never return. */
typedef enum { _OWN_TRY, _OWN_MUST } _own_fail_t;

/* Allocates a block for a header of hdr_size bytes (a multiple of 8, ending
 * in _own_meta_t) and a value of layout vl; fills meta; copies `init` into
 * the value (when not NULL) or zeroes it (when zero). Returns the value
 * pointer, or NULL (errno set) when fail == _OWN_TRY. `who` names the calling
 * function in reports. */
void *_own_block_new(const own_allocator_t *a, size_t hdr_size, own_layout_t vl,
                     own_drop_fn_t drop, uint32_t magic, const void *init, bool zero,
                     _own_fail_t fail, const char *who);

/* The failure path of a constructor: reports (bad alignment) or calls the
 * out-of-memory handler (fail == _OWN_MUST), else sets errno = why (EINVAL or
 * ENOMEM) and returns NULL. `bytes` is the size that could not be allocated. */
void *_own_block_fail(int why, own_layout_t vl, size_t bytes, _own_fail_t fail, const char *who);

/* The short path shared by every kind: a value aligned to at most 8 bytes
 * (bits 1, 2, 4, 8 of 0x116, as _OWN_BOX_HEAP_FORM tests) and
 * not absurdly large starts right after the header, and the block is the
 * header plus the value rounded up to 8 bytes. This is exactly what
 * own_layout_extend + own_layout_pad_to_align compute for such values. */
#define _OWN_SMALL_VALUE(vl)                                                   \
  ((vl).align - 1 < 8 && ((0x116u >> (vl).align) & 1) != 0 &&                  \
   (vl).size <= (size_t)PTRDIFF_MAX - 4096)
static inline own_layout_t _own_small_block(size_t hdr_size, size_t value_size) {
  own_layout_t b = {(hdr_size + value_size + 7) & ~(size_t)7, 8};
  return b;
}

/* Frees the block of `value` (header of hdr_size bytes), marking it dead first.
 * Does not run the drop function. */
void _own_block_free(void *value, size_t hdr_size);

/* Reports a drop or access of a pointer whose tag is not `want`, naming the
 * operation; returns nothing, the caller then ignores the call. */
void _own_report_bad_tag(const void *value, uint32_t want, const char *who);

/* Reports a reference count that would pass its limit; never returns. */
OWN_NORETURN void _own_refcount_overflow(const void *value, const char *what);

#endif
