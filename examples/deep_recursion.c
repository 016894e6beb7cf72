/* deep_recursion.c — a recursion ten million levels deep on an ordinary
 * 8 MiB main thread, with own_maybe_grow at every level.
 *
 * Each level adds its number to the sum of the levels below it. Without
 * own_maybe_grow the recursion needs about a gigabyte of stack and dies a few
 * hundred thousand levels down; with it, the recursion switches to a fresh
 * 1 MiB segment whenever less than 64 KiB of the current stack remain, and
 * back when it returns.
 *
 *   ./deep_recursion [levels]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "own/stack.h"

typedef struct call {
  uint64_t n;   /* this level's number */
  uint64_t sum; /* out: n + (n - 1) + ... + 1 */
} call_t;

static void sum_down(void *p) {
  call_t *c = p;
  if (c->n == 0) {
    c->sum = 0;
    return;
  }
  call_t below = {c->n - 1, 0};
  /* Runs sum_down(&below) here, or on a new segment when this one is
   * nearly full. `c` and `below` stay where they are either way. */
  own_maybe_grow(OWN_STACK_RED_ZONE, OWN_STACK_SEGMENT_SIZE, sum_down, &below);
  c->sum = below.sum + c->n;
}

int main(int argc, char **argv) {
  uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000;
  printf("main thread: %zu KiB of stack\n", own_stack_remaining() / 1024);
  call_t top = {n, 0};
  sum_down(&top);
  own_stack_stats_t st;
  own_stack_stats(&st);
  printf("sum of 1..%llu = %llu (expected %llu)\n", (unsigned long long)n,
         (unsigned long long)top.sum, (unsigned long long)(n * (n + 1) / 2));
  printf("stack switches: %zu, segments mapped: %zu, kept for reuse: %zu\n", st.grows,
         st.segment_maps, st.segments_cached);
  return top.sum == n * (n + 1) / 2 ? 0 : 1;
}
