/* test_ownership_common.h — shared by the ownership tests: an error handler
 * that records reports instead of printing them, and a "keeping" allocator
 * whose free does not release memory (so a second drop of the same block can
 * be observed safely), freed for real at the end of the test. */
#ifndef OWN_TEST_OWNERSHIP_COMMON_H
#define OWN_TEST_OWNERSHIP_COMMON_H

#include <stdio.h>
#include <string.h>

#include "own/core.h"
#include "test_ownership_alloc.h"

/* Hides a pointer's origin from the compiler, for tests that misuse on
 * purpose (double drops, wrong drop functions) and must get past the very
 * compile-time checks they bypass. */
static inline void *launder(void *p) {
  void *volatile v = p;
  return v;
}

typedef struct captured {
  int count;
  own_error_t last;
  char msg[512];
} captured_t;

static captured_t captured;

static void capture_handler(own_error_t err, const char *msg, const void *ptr, void *ctx) {
  (void)ptr;
  captured_t *c = (captured_t *)ctx;
  c->count++;
  c->last = err;
  snprintf(c->msg, sizeof c->msg, "%s", msg);
}

static inline void capture_begin(void) {
  memset(&captured, 0, sizeof captured);
  own_set_error_handler(capture_handler, &captured);
}
static inline void capture_end(void) { own_set_error_handler(NULL, NULL); }

/* The keeping allocator: frees are recorded (layout checked) but the memory
 * stays readable until keep_release_all(). Single-threaded. */
#define KEEP_MAX 64
typedef struct keep_alloc {
  test_alloc_t inner;
  own_allocator_t inner_a;
  void *kept[KEEP_MAX];
  own_layout_t kept_l[KEEP_MAX];
  int nkept;
  long frees;
} keep_alloc_t;

static void *keep_alloc_alloc(void *ctx, own_layout_t l) {
  keep_alloc_t *k = (keep_alloc_t *)ctx;
  return k->inner_a.alloc(k->inner_a.ctx, l);
}
static void keep_alloc_free(void *ctx, void *p, own_layout_t l) {
  keep_alloc_t *k = (keep_alloc_t *)ctx;
  k->frees++;
  if (k->nkept < KEEP_MAX) {
    k->kept[k->nkept] = p;
    k->kept_l[k->nkept++] = l;
  }
}
static inline own_allocator_t keep_alloc_make(keep_alloc_t *k) {
  memset(k, 0, sizeof *k);
  k->inner_a = test_alloc_make(&k->inner);
  own_allocator_t a = {keep_alloc_alloc, NULL, keep_alloc_free, k};
  return a;
}
static inline void keep_release_all(keep_alloc_t *k) {
  for (int i = 0; i < k->nkept; i++) k->inner_a.free(k->inner_a.ctx, k->kept[i], k->kept_l[i]);
  k->nkept = 0;
}

#endif
