/* fuzz_fixed.c — libFuzzer target for the fixed heap (own/fixed.h).
 *
 * The input is a program: the first bytes choose the heap size and buffer
 * offset, then every 4 bytes are one operation (alloc, aligned alloc, free,
 * realloc, add region, bad free) on 16 slots. Each live block holds a pattern
 * checked before it is freed or resized; the constant-time check runs after
 * every operation and the full check at the end. Any mismatch aborts.
 *
 * Built and run by scripts/embedded-check.sh: clang -fsanitize=fuzzer,address,
 * undefined with this file and every .c file of src/fixed.
 */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "own/fixed.h"

#define SLOTS 16

static alignas(64) unsigned char arena[1 << 18];
static alignas(64) unsigned char extra[1 << 14];

struct slot {
  unsigned char *p;
  size_t size;
  unsigned char tag;
};

static void fill(struct slot *s) { memset(s->p, s->tag, s->size); }
static void verify(const struct slot *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s->p[i] != s->tag) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
  if (len < 3) return 0;
  size_t heap_size = ((size_t)data[0] << 10 | (size_t)data[1] << 2) % sizeof arena;
  size_t offset = data[2] % 32;
  data += 3;
  len -= 3;
  if (heap_size + offset > sizeof arena) heap_size = sizeof arena - offset;
  own_fixed_t *h = own_fixed_init(arena + offset, heap_size);
  if (!h) return 0;
  struct slot slots[SLOTS];
  memset(slots, 0, sizeof slots);
  bool added = false;
  uint64_t expected_invalid = 0;
  unsigned char tag = 1;
  for (size_t i = 0; i + 4 <= len; i += 4) {
    uint8_t op = data[i] % 8;
    struct slot *s = &slots[data[i + 1] % SLOTS];
    size_t size = (size_t)data[i + 2] << ((data[i + 3] >> 4) % 12) | data[i + 3];
    size_t align = (size_t)1 << (data[i + 3] % 14);
    switch (op) {
      case 0:
      case 1:
      case 2:
        if (s->p) {
          verify(s, s->size);
          own_fixed_free(h, s->p);
          s->p = NULL;
        }
        s->p = op == 2 ? own_fixed_alloc_aligned(h, size, align) : own_fixed_alloc(h, size);
        if (s->p) {
          if (op == 2 && (uintptr_t)s->p % align) abort();
          if (own_fixed_usable_size(h, s->p) < size) abort();
          s->size = size;
          s->tag = tag++;
          fill(s);
        }
        break;
      case 3:
        if (s->p) {
          verify(s, s->size);
          own_fixed_free(h, s->p);
          s->p = NULL;
        }
        break;
      case 4: {
        unsigned char *q = own_fixed_realloc(h, s->p, size);
        if (q) {
          size_t keep = s->p ? (size < s->size ? size : s->size) : 0;
          for (size_t k = 0; k < keep; k++)
            if (q[k] != s->tag) abort();
          s->p = q;
          s->size = size;
          s->tag = tag++;
          fill(s);
        } else if (s->p) {
          verify(s, s->size);
        }
        break;
      }
      case 5:
        if (!added) added = own_fixed_add_region(h, extra + data[i + 2] % 16, sizeof extra - 16);
        break;
      case 6:
        /* A pointer that is not a live block: inside one, or already freed. */
        if (s->p && s->size >= 2 * OWN_FIXED_ALIGN) {
          own_fixed_free(h, s->p + OWN_FIXED_ALIGN);
          expected_invalid++;
        }
        break;
      default:
        if (s->p) verify(s, s->size);
        break;
    }
    if (!own_fixed_check_fast(h)) abort();
  }
  own_fixed_diag_t d;
  if (!own_fixed_diag(h, &d) || d.invalid_free_count < expected_invalid) abort();
  if (!own_fixed_check(h)) abort();
  for (int k = 0; k < SLOTS; k++)
    if (slots[k].p) {
      verify(&slots[k], slots[k].size);
      own_fixed_free(h, slots[k].p);
    }
  if (!own_fixed_diag(h, &d) || d.allocated != 0 || !own_fixed_check(h)) abort();
  return 0;
}
