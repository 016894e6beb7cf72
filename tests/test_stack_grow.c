/* test_stack_grow.c — on-demand stack growth (own_maybe_grow).
 *
 * A sum 1 + 2 + ... + n computed by a recursion one level per number, each
 * level going through own_maybe_grow: ten million levels by default (about
 * a gigabyte of stack, far beyond the 8 MiB main thread), fewer when a depth
 * is given as the first argument (the valgrind run). Also: many nested
 * segments, pointers into the old stack staying valid, the segment cache,
 * growth on own threads and plain pthreads, and the exit of a thread giving
 * its cached segments back. Built with -fstack-clash-protection.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "own/stack.h"
#include "testing.h"

typedef struct level {
  uint64_t n;
  uint64_t sum;
  size_t red_zone, segment;
  size_t max_live;        /* deepest segment nesting seen (at n == 0) */
  size_t min_remaining;   /* smallest own_stack_remaining seen */
  struct level *parent;   /* a pointer into the previous (maybe old) stack */
} level_t;

static long chain_broken;

static void level(void *p) {
  level_t *l = p;
  size_t rem = own_stack_remaining();
  if (l->n == 0) {
    own_stack_stats_t st;
    own_stack_stats(&st);
    l->max_live = st.segments_live;
    l->min_remaining = rem;
    l->sum = 0;
    /* Walk back up through frames on older segments and the thread's stack. */
    for (const level_t *c = l; c->parent; c = c->parent)
      if (c->parent->n != c->n + 1) chain_broken++;
    return;
  }
  level_t child = {l->n - 1, 0, l->red_zone, l->segment, 0, rem, l};
  own_maybe_grow(l->red_zone, l->segment, level, &child);
  /* The child ran on another stack maybe; this frame and `l` never moved. */
  l->sum = child.sum + l->n;
  l->max_live = child.max_live;
  l->min_remaining = child.min_remaining < rem ? child.min_remaining : rem;
}

/* Pointers into old stacks: every level writes its result through `l`, which
 * points into its caller's frame, often on the stack before a switch. */

static uint64_t run_levels(uint64_t n, size_t red_zone, size_t segment, size_t *max_live) {
  level_t top = {n, 0, red_zone, segment, 0, (size_t)-1, NULL};
  level(&top);
  if (max_live) *max_live = top.max_live;
  return top.sum;
}

static uint64_t depth = 10000000;

static void check_quiescent(const char *when) {
  own_stack_stats_t st;
  own_stack_stats(&st);
  OWN_CHECK_EQ(st.segments_live, 0);
  OWN_CHECK(st.segments_cached <= 4);
  OWN_CHECK_EQ(st.segment_maps - st.segment_unmaps, st.segments_cached);
  if (st.segments_live != 0) fprintf(stderr, "after %s: %zu live\n", when, st.segments_live);
}

static void test_ten_million(void) {
  own_stack_stats_t before, after;
  own_stack_stats(&before);
  size_t live = 0;
  uint64_t got = run_levels(depth, OWN_STACK_RED_ZONE, OWN_STACK_SEGMENT_SIZE, &live);
  OWN_CHECK(got == depth * (depth + 1) / 2);
  if (got != depth * (depth + 1) / 2)
    fprintf(stderr, "sum of 1..%llu: got %llu\n", (unsigned long long)depth, (unsigned long long)got);
  own_stack_stats(&after);
  OWN_CHECK(after.grows > before.grows);
  OWN_CHECK(live >= 2); /* the deepest level ran several segments deep */
  OWN_CHECK_EQ(chain_broken, 0);
  check_quiescent("ten million");
}

static void test_nested(void) {
  /* Small segments: a few thousand levels need dozens of nested segments. */
  size_t live = 0;
  own_stack_stats_t before, after;
  own_stack_stats(&before);
  /* Start from a red zone larger than the whole main stack: grow at once. */
  uint64_t n = depth < 200000 ? depth : 200000;
  uint64_t got = run_levels(n, 16 * 1024, 64 * 1024, &live);
  OWN_CHECK(got == n * (n + 1) / 2);
  own_stack_stats(&after);
  OWN_CHECK(live >= 50);
  OWN_CHECK_EQ(chain_broken, 0);
  OWN_CHECK(after.grows - before.grows >= 50);
  check_quiescent("nested");
}

static int noop_calls;
static void noop(void *arg) {
  size_t *rem = arg;
  *rem = own_stack_remaining();
  noop_calls++;
}

/* Runs on an own thread with a 256 KiB stack, so that "more than what is
 * left" is a modest red zone even when the main thread's stack is unlimited. */
static void *cache_reuse(void *arg) {
  (void)arg;
  own_stack_trim();
  own_stack_stats_t a, b;
  own_stack_stats(&a);
  OWN_CHECK_EQ(a.segments_cached, 0);
  size_t rem = 0, red = own_stack_remaining() + 4096;
  for (int i = 0; i < 1000; i++) {
    /* A red zone larger than what is left forces a switch every time. */
    OWN_CHECK_EQ(own_maybe_grow(red, 256 * 1024, noop, &rem), 0);
  }
  own_stack_stats(&b);
  OWN_CHECK_EQ(noop_calls, 1000);
  OWN_CHECK_EQ(b.grows - a.grows, 1000);
  OWN_CHECK_EQ(b.segment_maps - a.segment_maps, 1); /* one mmap, 999 reuses */
  OWN_CHECK_EQ(b.segments_cached, 1);
  /* Inside the segment, what remains is the segment's: at least twice the
   * red zone (so that one level always fits), not much more. */
  OWN_CHECK(rem > 2 * red - 4096 && rem <= 2 * red + 4096);
  /* No growth needed: runs in place, no switch. */
  OWN_CHECK_EQ(own_maybe_grow(1024, 256 * 1024, noop, &rem), 0);
  own_stack_stats(&a);
  OWN_CHECK_EQ(a.grows, b.grows);
  own_stack_trim();
  own_stack_stats(&a);
  OWN_CHECK_EQ(a.segments_cached, 0);
  return NULL;
}

static void test_cache_reuse(void) {
  own_thread_t t;
  OWN_CHECK_EQ(own_thread_spawn(&t, "cache", 256 * 1024, cache_reuse, NULL), 0);
  OWN_CHECK_EQ(own_thread_join(&t, NULL), 0);
}

static void *grow_on_thread(void *arg) {
  uint64_t *n = arg;
  uint64_t got = run_levels(*n, 16 * 1024, 128 * 1024, NULL);
  return (void *)(uintptr_t)(got == *n * (*n + 1) / 2);
}

static void test_threads(void) {
  uint64_t n = depth < 300000 ? depth : 300000;
  own_stack_stats_t before, after;
  own_stack_stats(&before);
  own_thread_t t;
  int rc = own_thread_spawn(&t, "grower", 64 * 1024, grow_on_thread, &n);
  OWN_CHECK_EQ(rc, 0);
  if (rc != 0) return;
  size_t size = own_stack_size(t.stack);
  void *ok = NULL;
  OWN_CHECK_EQ(own_thread_join(&t, &ok), 0);
  OWN_CHECK(ok == (void *)1);
  OWN_CHECK(t.stack_high_water > 0 && t.stack_high_water <= size);

  pthread_t th;
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, 128 * 1024);
  OWN_CHECK_EQ(pthread_create(&th, &a, grow_on_thread, &n), 0);
  ok = NULL;
  pthread_join(th, &ok);
  OWN_CHECK(ok == (void *)1);
  own_stack_stats(&after);
  OWN_CHECK(after.grows - before.grows >= 20);
  /* Both threads exited: their cached segments went back to the OS. */
  OWN_CHECK_EQ(after.segments_cached, before.segments_cached);
  check_quiescent("threads");
}

int main(int argc, char **argv) {
  /* The promise is about an ordinary 8 MiB main thread: make it one, even
   * under `ulimit -s unlimited` (the limit is read when own first looks). */
  struct rlimit rl;
  if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur > ((rlim_t)8 << 20)) {
    rl.rlim_cur = (rlim_t)8 << 20;
    setrlimit(RLIMIT_STACK, &rl);
  }
  const char *d = argc > 1 ? argv[1] : getenv("OWN_STACK_TEST_DEPTH");
  if (d) depth = strtoull(d, NULL, 10);
  if (depth < 1000) depth = 1000;
  test_cache_reuse();
  test_nested();
  test_threads();
  test_ten_million();
  return own_test_done();
}
