/* fixed_story.c — the ten-byte heap of the fragmentation story, replayed on
 * own's fixed heap.
 *
 * The story: allocate A (5 units), B (1), free A, allocate C (2), then ask for
 * 5 units for A again: 7 units are free, but not in one piece. Here one unit
 * is one block granule (OWN_FIXED_ALIGN bytes, which is also the size of a
 * block header), and the heap is sized so that its blocks span 13 units: the
 * story's ten plus one header for each of A, B and C. At the end 8 units are
 * free, in holes of 3 and 5: A, which needs 6, does not fit. After each step the heap map is drawn
 * from own_fixed_walk: one letter per unit of a live block (its header shown
 * as the letter too), '-' per free unit.
 */
#include <stdalign.h>
#include <stdio.h>
#include <string.h>

#include "own/fixed.h"

#define U OWN_FIXED_ALIGN

static alignas(64) unsigned char memory[4096];
static own_fixed_t *heap;
static void *owner_ptr[3];
static const char owner_name[3] = {'a', 'b', 'c'};

struct map {
  char cells[128];
  size_t n;
};

static bool draw(void *ptr, size_t size, bool used, void *ctx) {
  struct map *m = ctx;
  char c = '-';
  if (used) {
    c = '?';
    for (int i = 0; i < 3; i++)
      if (owner_ptr[i] == ptr) c = owner_name[i];
  }
  for (size_t i = 0; i < (size + U) / U && m->n < sizeof m->cells - 1; i++) m->cells[m->n++] = c;
  return true;
}

static void show(const char *step) {
  struct map m;
  memset(&m, 0, sizeof m);
  own_fixed_walk(heap, draw, &m);
  own_fixed_diag_t d;
  own_fixed_diag(heap, &d);
  printf("%-26s %s   free %2zu units in %zu block(s), largest %2zu\n", step, m.cells,
         d.free_bytes / U, d.free_blocks, d.largest_free / U);
}

/* A block of `units` units; the header takes one of them. */
static void *alloc_units(size_t units) { return own_fixed_alloc(heap, (units - 1) * U); }

int main(void) {
  /* Find the buffer size whose heap has exactly 13 units of blocks: the
   * control block comes out of the same buffer. */
  for (size_t bytes = 64; bytes < sizeof memory; bytes += U) {
    heap = own_fixed_init(memory, bytes);
    own_fixed_diag_t d;
    if (heap && own_fixed_diag(heap, &d) && d.capacity == 13 * U) break;
    heap = NULL;
  }
  if (!heap) {
    printf("no buffer size gives a 13-unit heap on this target\n");
    return 1;
  }
  printf("one unit = %zu bytes; a block is its header unit plus its data units\n\n", (size_t)U);
  show("empty heap");
  owner_ptr[0] = alloc_units(5 + 1);
  show("allocate A (5 + header)");
  owner_ptr[1] = alloc_units(1 + 1);
  show("allocate B (1 + header)");
  own_fixed_free(heap, owner_ptr[0]);
  owner_ptr[0] = NULL;
  show("free A");
  owner_ptr[2] = alloc_units(2 + 1);
  show("allocate C (2 + header)");
  void *again = alloc_units(5 + 1);
  show(again ? "allocate A again: placed" : "allocate A again: fails");
  own_fixed_diag_t d;
  own_fixed_diag(heap, &d);
  printf("\nfree units: %zu, largest free block: %zu units, fragmentation %u per mille,"
         " failed allocations: %llu\n",
         d.free_bytes / U, d.largest_free / U, d.fragmentation_permille,
         (unsigned long long)d.oom_count);
  printf("heap check: %s\n", own_fixed_check(heap) ? "ok" : "DAMAGED");
  return 0;
}
