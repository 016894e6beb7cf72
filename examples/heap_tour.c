/* heap_tour — own's heap at work, in one minute of reading.
 *
 * The seeds describe the heap: an allocation finds a free block and marks it
 * used, a free returns it, the heap grows by asking the OS and gives memory
 * back. This program does each of those with own and prints what happened:
 * malloc/free (own replaces them when linked in), the Layout API, a
 * first-class heap walked and destroyed at once, blocks freed by another
 * thread, memory given back to the OS, and the statistics.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <own.h>

static size_t rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  size_t kib = 0;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "VmRSS:", 6) == 0) kib = strtoul(line + 6, NULL, 10);
  if (f) fclose(f);
  return kib;
}

static bool count_block(void *block, size_t size, void *arg) {
  (void)block;
  size_t *totals = arg;
  totals[0]++;
  totals[1] += size;
  return true;
}

static void *free_them(void *arg) {
  void **blocks = arg;
  for (int i = 0; i < 1000; i++) free(blocks[i]); /* blocks of another thread */
  return NULL;
}

int main(void) {
  printf("== malloc and free (own's, linked in)\n");
  char *s = malloc(100);
  snprintf(s, 100, "hello from the heap");
  printf("   %s: block at %p, usable size %zu, own's: %s\n", s, (void *)s, own_malloc_usable_size(s),
         own_is_live_block(s) ? "yes" : "no");
  free(s);
  int on_stack = 0;
  printf("   a stack address is own's: %s\n", own_is_heap_pointer(&on_stack) ? "yes" : "no");

  printf("\n== the Layout API (Rust's std::alloc)\n");
  own_layout_t layout;
  if (own_layout_from_size_align(24, 64, &layout)) {
    double *v = own_alloc_zeroed(layout);
    printf("   24 bytes aligned to 64: %p (address %% 64 = %zu), zeroed: %s\n", (void *)v,
           (size_t)((uintptr_t)v % 64), v[0] == 0.0 && v[2] == 0.0 ? "yes" : "no");
    own_dealloc(v, layout);
  }
  printf("   a layout of SIZE_MAX/2 elements of 8 bytes: %s\n",
         own_layout_array(OWN_LAYOUT_OF(double), SIZE_MAX / 2, &layout) ? "built (wrong!)" : "refused (overflow)");

  printf("\n== a first-class heap: many blocks, walked, then freed at once\n");
  own_heap_t *heap = own_heap_new();
  for (int i = 0; i < 10000; i++) own_heap_malloc(heap, 16 + (size_t)(i % 50) * 8);
  size_t totals[2] = {0, 0};
  own_heap_visit(heap, count_block, totals);
  printf("   the walk found %zu live blocks, %zu bytes\n", totals[0], totals[1]);
  own_heap_destroy(heap);
  printf("   destroyed: every block released in one call\n");

  printf("\n== blocks freed by another thread\n");
  void *blocks[1000];
  for (int i = 0; i < 1000; i++) blocks[i] = malloc(64);
  pthread_t t;
  pthread_create(&t, NULL, free_them, blocks);
  pthread_join(t, NULL);
  void *again = malloc(64);
  printf("   1000 blocks freed remotely; the next malloc reuses one of them: %s\n",
         own_is_heap_pointer(again) ? "yes" : "no");
  free(again);

  printf("\n== growing, and giving memory back\n");
  size_t before = rss_kib();
  enum { N = 1 << 20 };
  void **many = malloc(N * sizeof *many);
  for (size_t i = 0; i < N; i++) {
    many[i] = malloc(200);
    memset(many[i], 1, 200);
  }
  size_t peak = rss_kib();
  for (size_t i = 0; i < N; i++) free(many[i]);
  free(many);
  size_t after = rss_kib();
  printf("   resident: %zu MiB before, %zu MiB with 200 MiB of blocks, %zu MiB after freeing them\n",
         before / 1024, peak / 1024, after / 1024);

  printf("\n== statistics (own_stats_print)\n");
  fflush(stdout);
  own_stats_print(1);
  return 0;
}
