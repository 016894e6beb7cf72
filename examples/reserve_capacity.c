/* reserve_capacity.c — the seeds' advice against heap fragmentation, in C:
 *
 *   std::vector<double> values;
 *   values.reserve(10);
 *   for (int i = 0; i < 10; i++) values.push_back(double(i));
 *
 * The same loop with own_vec, run with and without the reserve, on own's heap
 * seen through a small allocator that counts the requests reaching it. Each
 * request a growing vec makes is a new block (or a block moved), and a
 * freed old block is a hole for fragmentation: reserve makes it one.
 */
#include <stdio.h>

#include "own/allocator.h"
#include "own/str.h"
#include "own/vec.h"

/* Forwards to own's general heap and counts allocations and resizes. */
static size_t requests;
static void *count_alloc(void *ctx, own_layout_t l) {
  (void)ctx;
  requests++;
  return own_allocator_alloc(NULL, l);
}
static void *count_resize(void *ctx, void *p, own_layout_t old, size_t n) {
  (void)ctx;
  requests++;
  return own_allocator_resize(NULL, p, old, n);
}
static void count_free(void *ctx, void *p, own_layout_t l) {
  (void)ctx;
  own_allocator_free(NULL, p, l);
}
static const own_allocator_t counted = {count_alloc, count_resize, count_free, NULL};

/* Pushes n doubles, after reserving room for them when `reserve` is set;
 * returns how many allocation requests that took. */
static size_t push_values(int n, int reserve) {
  requests = 0;
  OWN_VEC(double) values = OWN_VEC_INIT_IN(&counted);
  if (reserve) own_vec_reserve(&values, (size_t)n);
  for (int i = 0; i < n; i++) own_vec_push(&values, (double)i);
  if (own_vec_len(&values) != (size_t)n || values.data[n - 1] != (double)(n - 1)) return (size_t)-1;
  own_vec_drop(&values);
  return requests;
}

int main(void) {
  printf("%10s  %18s  %15s\n", "elements", "without reserve", "with reserve");
  for (int n = 10; n <= 10000000; n *= 10)
    printf("%10d  %18zu  %15zu\n", n, push_values(n, 0), push_values(n, 1));

  /* The same holds for strings: reserve once, then append. */
  requests = 0;
  own_str_t line = OWN_STR_INIT_IN(&counted);
  own_str_reserve(&line, 64);
  own_str_append_cstr(&line, "values:");
  for (int i = 0; i < 10; i++) own_str_appendf(&line, " %d", i);
  printf("\n\"%s\": %zu allocation(s)\n", own_str_cstr(&line), requests);
  own_str_drop(&line);
  return 0;
}
