/* bench_collections.c — what reserve buys: pushing n doubles into an own_vec
 * with and without a reserve first, against the loop people write by hand
 * (realloc on doubling) and against a single malloc (the lower bound), on
 * glibc's heap and on own's.
 *
 * Each figure is the best of REPEAT runs, in nanoseconds per element; a run
 * pushes n elements (rounds times, to take about TOTAL elements in all) and
 * frees the array. Build and run with build.sh (see docs/collections.md).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "own/allocator.h"
#include "own/heap.h"
#include "own/vec.h"

#define REPEAT 5
#define TOTAL 20000000.0

static volatile double sink;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* libc's heap behind own's allocator interface. */
static void *libc_alloc(void *ctx, own_layout_t l) {
  (void)ctx;
  void *p = NULL;
  return posix_memalign(&p, l.align < sizeof(void *) ? sizeof(void *) : l.align, l.size) ? NULL : p;
}
static void *libc_resize(void *ctx, void *p, own_layout_t old, size_t n) {
  (void)ctx;
  return old.align <= 16 ? realloc(p, n) : NULL; /* the benchmark's doubles: 8 */
}
static void libc_free(void *ctx, void *p, own_layout_t l) {
  (void)ctx;
  (void)l;
  free(p);
}
static const own_allocator_t libc_allocator = {libc_alloc, libc_resize, libc_free, NULL};

typedef void (*run_fn)(size_t n);

static void hand_realloc_libc(size_t n) {
  double *p = NULL;
  size_t len = 0, cap = 0;
  for (size_t i = 0; i < n; i++) {
    if (len == cap) {
      cap = cap ? 2 * cap : 4;
      double *q = realloc(p, cap * sizeof *p);
      if (!q) abort();
      p = q;
    }
    p[len++] = (double)i;
  }
  sink = p[n - 1];
  free(p);
}

static void hand_realloc_own(size_t n) {
  double *p = NULL;
  size_t len = 0, cap = 0;
  for (size_t i = 0; i < n; i++) {
    if (len == cap) {
      cap = cap ? 2 * cap : 4;
      double *q = own_mrealloc(p, cap * sizeof *p);
      if (!q) abort();
      p = q;
    }
    p[len++] = (double)i;
  }
  sink = p[n - 1];
  own_free(p);
}

static void malloc_once_libc(size_t n) {
  double *p = malloc(n * sizeof *p);
  if (!p) abort();
  for (size_t i = 0; i < n; i++) p[i] = (double)i;
  sink = p[n - 1];
  free(p);
}

static void alloc_once_own(size_t n) {
  double *p = own_malloc(n * sizeof *p);
  if (!p) abort();
  for (size_t i = 0; i < n; i++) p[i] = (double)i;
  sink = p[n - 1];
  own_free(p);
}

static void vec_push(size_t n, const own_allocator_t *a, int reserve) {
  OWN_VEC(double) v = OWN_VEC_INIT_IN(a);
  if (reserve) own_vec_reserve(&v, n);
  for (size_t i = 0; i < n; i++) own_vec_push(&v, (double)i);
  sink = v.data[n - 1];
  own_vec_drop(&v);
}
static void vec_libc(size_t n) { vec_push(n, &libc_allocator, 0); }
static void vec_libc_reserve(size_t n) { vec_push(n, &libc_allocator, 1); }
static void vec_own(size_t n) { vec_push(n, NULL, 0); }
static void vec_own_reserve(size_t n) { vec_push(n, NULL, 1); }

static double measure(run_fn f, size_t n) {
  size_t rounds = (size_t)(TOTAL / (double)n);
  if (rounds == 0) rounds = 1;
  double best = 1e30;
  for (int r = 0; r < REPEAT; r++) {
    uint64_t t0 = now_ns();
    for (size_t k = 0; k < rounds; k++) f(n);
    double ns = (double)(now_ns() - t0) / ((double)rounds * (double)n);
    if (ns < best) best = ns;
  }
  return best;
}

int main(void) {
  static const struct {
    const char *name;
    run_fn f;
  } runs[] = {
      {"malloc once, then store (glibc)", malloc_once_libc},
      {"hand realloc loop (glibc)", hand_realloc_libc},
      {"own_vec_push, glibc allocator", vec_libc},
      {"own_vec_reserve + push, glibc", vec_libc_reserve},
      {"malloc once, then store (own heap)", alloc_once_own},
      {"hand realloc loop (own heap)", hand_realloc_own},
      {"own_vec_push, own heap", vec_own},
      {"own_vec_reserve + push, own heap", vec_own_reserve},
  };
  static const size_t sizes[] = {100, 10000, 1000000, 10000000};
  printf("ns per pushed double (best of %d runs)\n\n%-34s", REPEAT, "");
  for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) printf("  n=%-9zu", sizes[s]);
  printf("\n");
  for (size_t r = 0; r < sizeof runs / sizeof *runs; r++) {
    printf("%-36s", runs[r].name);
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) printf("  %11.2f", measure(runs[r].f, sizes[s]));
    printf("\n");
    fflush(stdout);
  }
  return 0;
}
