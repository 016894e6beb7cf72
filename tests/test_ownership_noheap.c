/* test_ownership_noheap.c — linked into the ownership tests only when the
 * build leaves out the alloc layer (OWN_LAYERS without "alloc"): stands in for
 * own's Layout API so the library links, and fails loudly if a test reaches
 * the default heap anyway (those tests are compiled out: OWN_TEST_NO_HEAP). */
#include <stdio.h>
#include <stdlib.h>

#include "own/heap.h"

static void no_heap(const char *fn) {
  fprintf(stderr, "%s: this build has no alloc layer (OWN_LAYERS)\n", fn);
  abort();
}

void *own_alloc(own_layout_t layout) {
  (void)layout;
  no_heap("own_alloc");
  return NULL;
}
void own_dealloc(void *p, own_layout_t layout) {
  (void)p;
  (void)layout;
  no_heap("own_dealloc");
}
void *own_realloc(void *p, own_layout_t layout, size_t new_size) {
  (void)p;
  (void)layout;
  (void)new_size;
  no_heap("own_realloc");
  return NULL;
}
