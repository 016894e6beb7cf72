/* bench_stack.c — what own's stack tools cost.
 *
 *   fast path       own_maybe_grow when enough stack is left: fn runs in place
 *   baseline        the same fn called through a function pointer
 *   grow, cached    own_maybe_grow that must switch, with a segment in the cache
 *   grow, uncached  the same with the cache emptied every time (mmap + munmap)
 *                   (both on a thread with a 64 KiB stack: 256 KiB segments)
 *   remaining       own_stack_remaining
 *   deep recursion  ten million levels through own_maybe_grow, per level
 *
 * mmaps are counted by the library (own_stack_stats: segment_maps). Build and
 * run with bench/stack/run.sh.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "own/stack.h"

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static volatile uint64_t sink;
static __attribute__((noinline)) void work(void *arg) { sink += (uintptr_t)arg; }
static void (*volatile work_ptr)(void *) = work;

typedef struct row {
  const char *what;
  double ns;
  size_t mmaps;
  uint64_t calls;
} row_t;

static row_t fast_path(uint64_t n) {
  void (*f)(void *) = work_ptr;
  own_stack_stats_t a, b;
  own_maybe_grow(4096, 1 << 20, f, NULL); /* first call sets the thread up */
  own_stack_stats(&a);
  uint64_t t0 = now_ns();
  for (uint64_t i = 0; i < n; i++) own_maybe_grow(64 * 1024, 1 << 20, f, (void *)(uintptr_t)i);
  uint64_t t1 = now_ns();
  own_stack_stats(&b);
  return (row_t){"own_maybe_grow, no growth", (double)(t1 - t0) / (double)n,
                 b.segment_maps - a.segment_maps, n};
}

static row_t baseline(uint64_t n) {
  void (*f)(void *) = work_ptr;
  uint64_t t0 = now_ns();
  for (uint64_t i = 0; i < n; i++) f((void *)(uintptr_t)i);
  uint64_t t1 = now_ns();
  return (row_t){"direct call through a pointer", (double)(t1 - t0) / (double)n, 0, n};
}

static row_t grow(uint64_t n, int cached) {
  void (*f)(void *) = work_ptr;
  size_t red = own_stack_remaining() + 4096; /* more than is left: always grow */
  own_stack_stats_t a, b;
  own_maybe_grow(red, 256 * 1024, f, NULL); /* warm: one segment in the cache */
  own_stack_stats(&a);
  uint64_t t0 = now_ns();
  for (uint64_t i = 0; i < n; i++) {
    own_maybe_grow(red, 256 * 1024, f, (void *)(uintptr_t)i);
    if (!cached) own_stack_trim();
  }
  uint64_t t1 = now_ns();
  own_stack_stats(&b);
  return (row_t){cached ? "own_maybe_grow, growth, cached segment"
                        : "own_maybe_grow, growth, no cache (mmap)",
                 (double)(t1 - t0) / (double)n, b.segment_maps - a.segment_maps, n};
}

/* Growth is measured on a thread with a 64 KiB stack, so the forced red
 * zone (and with it the segment) has a realistic size: 256 KiB. */
typedef struct grow_job {
  uint64_t n;
  int cached;
  row_t row;
} grow_job_t;
static void *grow_thread(void *p) {
  grow_job_t *j = p;
  j->row = grow(j->n, j->cached);
  return NULL;
}
static row_t on_small_thread(uint64_t n, int cached) {
  grow_job_t j = {n, cached, {0, 0, 0, 0}};
  own_thread_t t;
  if (own_thread_spawn(&t, "bench-grow", 64 * 1024, grow_thread, &j) != 0) {
    fprintf(stderr, "spawn failed\n");
    exit(1);
  }
  own_thread_join(&t, NULL);
  return j.row;
}

static row_t remaining(uint64_t n) {
  uint64_t t0 = now_ns();
  size_t acc = 0;
  for (uint64_t i = 0; i < n; i++) acc += own_stack_remaining();
  uint64_t t1 = now_ns();
  sink += acc;
  return (row_t){"own_stack_remaining", (double)(t1 - t0) / (double)n, 0, n};
}

typedef struct level {
  uint64_t n, sum;
} level_t;
static void level(void *p) {
  level_t *l = p;
  if (l->n == 0) return;
  level_t below = {l->n - 1, 0};
  own_maybe_grow(OWN_STACK_RED_ZONE, OWN_STACK_SEGMENT_SIZE, level, &below);
  l->sum = below.sum + l->n;
}

static row_t deep(uint64_t n, int second) {
  own_stack_stats_t a, b;
  own_stack_stats(&a);
  level_t top = {n, 0};
  uint64_t t0 = now_ns();
  level(&top);
  uint64_t t1 = now_ns();
  own_stack_stats(&b);
  if (top.sum != n * (n + 1) / 2) fprintf(stderr, "wrong sum\n");
  return (row_t){second ? "deep recursion (again), per level" : "deep recursion 10M, per level",
                 (double)(t1 - t0) / (double)n, b.segment_maps - a.segment_maps, n};
}

int main(int argc, char **argv) {
  uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000000;
  row_t rows[8];
  int k = 0;
  rows[k++] = baseline(n);
  rows[k++] = fast_path(n);
  rows[k++] = remaining(n);
  rows[k++] = on_small_thread(n / 100, 1);
  rows[k++] = on_small_thread(n / 1000, 0);
  rows[k++] = deep(10000000, 0);
  rows[k++] = deep(10000000, 1);
  printf("%-42s %12s %12s %10s\n", "operation", "calls", "ns/call", "mmaps");
  for (int i = 0; i < k; i++)
    printf("%-42s %12llu %12.2f %10zu\n", rows[i].what, (unsigned long long)rows[i].calls,
           rows[i].ns, rows[i].mmaps);
  return 0;
}
