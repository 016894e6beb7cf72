/* test_vec.c — own_vec (own/vec.h): every operation and edge case, the
 * allocation counts that make reserve worth having, checked overflow,
 * failure injection, over-aligned elements, zero leaks, and a randomized run
 * against a plain array as the reference model.
 *
 * Allocations are counted by a test allocator over posix_memalign that also
 * checks that every free and resize names the layout the block has. Built
 * with -DOWN_VEC_COMPILE_CASE=n, this file is instead a small program that
 * must (n > 0) or must not (n == 0) compile: the typed API's type checks
 * (tests/collections.cmake runs those).
 */
#include <errno.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "own/vec.h"
#if __has_include("own/scope.h")
#include "own/scope.h"
#endif

#ifdef OWN_VEC_COMPILE_CASE
/* ---- Compile-time type checks --------------------------------------------- */
struct point {
  int x, y;
};
int main(void) {
  OWN_VEC(int) ints = OWN_VEC_INIT;
  OWN_VEC(int *) ptrs = OWN_VEC_INIT;
  OWN_VEC(double) dbls = OWN_VEC_INIT;
  OWN_VEC(struct point) pts = OWN_VEC_INIT;
  int i = 0, arr[2] = {1, 2};
  struct point p = {1, 2};
#if OWN_VEC_COMPILE_CASE == 0 /* the control: every correct use compiles */
  own_vec_push(&ints, 1);
  own_vec_push(&ints, 'c');
  own_vec_push(&dbls, 1);
  own_vec_push(&dbls, 2.5f);
  own_vec_push(&ptrs, &i);
  own_vec_push(&ptrs, NULL);
  own_vec_push(&pts, p);
  own_vec_extend(&ints, arr, 2);
  own_vec_extend(&ints, (const int *)arr, 2);
  int *ip = own_vec_get(&ints, 0);
  (void)ip;
  (void)own_vec_pop(&ints, &i);
  (void)own_vec_remove(&ints, 0, NULL);
  (void)own_vec_swap_remove(&pts, 0, &p);
#elif OWN_VEC_COMPILE_CASE == 1 /* a floating value into an integer element */
  own_vec_push(&ints, 1.5);
#elif OWN_VEC_COMPILE_CASE == 2 /* a struct into an integer element */
  own_vec_push(&ints, p);
#elif OWN_VEC_COMPILE_CASE == 3 /* a pointer into an integer element */
  own_vec_push(&ints, &i);
#elif OWN_VEC_COMPILE_CASE == 4 /* an integer into a pointer element */
  own_vec_insert(&ptrs, 0, 5);
#elif OWN_VEC_COMPILE_CASE == 5 /* an out pointer of another type */
  long l;
  (void)own_vec_pop(&ints, &l);
#elif OWN_VEC_COMPILE_CASE == 6 /* an array of another type */
  double d[2] = {1, 2};
  own_vec_extend(&ints, d, 2);
#elif OWN_VEC_COMPILE_CASE == 7 /* get returns T *, not anything */
  double *dp = own_vec_get(&ints, 0);
  (void)dp;
#elif OWN_VEC_COMPILE_CASE == 8 /* a pointer to another type (-Werror) */
  double x = 0;
  own_vec_push(&ptrs, &x);
#elif OWN_VEC_COMPILE_CASE == 9 /* a struct element from a number */
  own_vec_push(&pts, 3);
#endif
  own_vec_drop(&ints);
  own_vec_drop(&ptrs);
  own_vec_drop(&dbls);
  own_vec_drop(&pts);
  return 0;
}

#else /* the test program */

#include "testing.h"

/* ---- Without the general heap, own_allocator_default's heap functions are
 * provided here over libc, so that libown.a links (tests built with the
 * "alloc" layer use the real heap and test the default path too). ---- */
#include "own/heap.h"
#ifndef OWN_TEST_HAVE_HEAP
void *own_alloc(own_layout_t l) {
  void *p = NULL;
  return posix_memalign(&p, l.align < sizeof(void *) ? sizeof(void *) : l.align, l.size ? l.size : 1)
             ? NULL
             : p;
}
void own_dealloc(void *p, own_layout_t l) {
  (void)l;
  free(p);
}
void *own_realloc(void *p, own_layout_t l, size_t n) {
  void *q = own_alloc((own_layout_t){n, l.align});
  if (q) {
    memcpy(q, p, l.size < n ? l.size : n);
    free(p);
  }
  return q;
}
#endif

/* ---- A counting, checking allocator with failure injection --------------- */

#define MAX_LIVE 64
typedef struct counting {
  size_t requests;    /* alloc + resize calls                                 */
  size_t allocs;      /* alloc calls                                          */
  size_t resizes;     /* resize calls                                         */
  size_t frees;       /* free calls                                           */
  size_t fail_at;     /* fail request number fail_at (1-based); 0: never      */
  size_t fail_every;  /* with fail_at: fail every request from fail_at on     */
  size_t live;        /* blocks outstanding                                   */
  size_t bad_layout;  /* frees/resizes naming a layout the block does not have */
  struct {
    void *p;
    own_layout_t l;
  } blocks[MAX_LIVE];
} counting_t;

static int find_block(counting_t *c, void *p) {
  for (int i = 0; i < MAX_LIVE; i++)
    if (c->blocks[i].p == p) return i;
  return -1;
}

static bool should_fail(counting_t *c) {
  c->requests++;
  if (!c->fail_at) return false;
  return c->fail_every ? c->requests >= c->fail_at : c->requests == c->fail_at;
}

static void *raw_alloc(counting_t *c, own_layout_t l) {
  void *p = NULL;
  size_t a = l.align < sizeof(void *) ? sizeof(void *) : l.align;
  if (posix_memalign(&p, a, l.size ? l.size : 1)) return NULL;
  int slot = find_block(c, NULL);
  if (slot < 0) abort(); /* the tests never hold this many blocks */
  c->blocks[slot].p = p;
  c->blocks[slot].l = l;
  c->live++;
  return p;
}

static void raw_free(counting_t *c, void *p, own_layout_t l) {
  int i = find_block(c, p);
  if (i < 0 || c->blocks[i].l.size != l.size || c->blocks[i].l.align != l.align) c->bad_layout++;
  if (i >= 0) {
    c->blocks[i].p = NULL;
    c->live--;
  }
  free(p);
}

static void *c_alloc(void *ctx, own_layout_t l) {
  counting_t *c = ctx;
  c->allocs++;
  if (should_fail(c)) return NULL;
  return raw_alloc(c, l);
}

static void *c_resize(void *ctx, void *p, own_layout_t old, size_t n) {
  counting_t *c = ctx;
  c->resizes++;
  if (should_fail(c)) return NULL;
  void *q = raw_alloc(c, (own_layout_t){n, old.align});
  if (!q) return NULL;
  memcpy(q, p, old.size < n ? old.size : n);
  raw_free(c, p, old);
  return q;
}

static void c_free(void *ctx, void *p, own_layout_t l) {
  counting_t *c = ctx;
  c->frees++;
  raw_free(c, p, l);
}

static counting_t counter;
static const own_allocator_t counting = {c_alloc, c_resize, c_free, &counter};

static void counter_reset(void) { memset(&counter, 0, sizeof counter); }

/* Leak and layout check after each test: nothing outstanding, no bad frees. */
static void counter_check_clean(void) {
  OWN_CHECK_EQ(counter.live, 0);
  OWN_CHECK_EQ(counter.bad_layout, 0);
}

#include "test_errors.h"

OWN_VEC_TYPE(ints_t, int);
OWN_VEC_TYPE(doubles_t, double);

static bool ints_equal(const ints_t *v, const int *want, size_t n) {
  if (own_vec_len(v) != n) return false;
  for (size_t i = 0; i < n; i++)
    if (v->data[i] != want[i]) return false;
  return true;
}

/* ---- Tests ---------------------------------------------------------------- */

static void test_basic(void) {
  counter_reset();
  ints_t v = OWN_VEC_INIT_IN(&counting);
  OWN_CHECK_EQ(own_vec_len(&v), 0);
  OWN_CHECK_EQ(own_vec_capacity(&v), 0);
  OWN_CHECK(own_vec_data(&v) == NULL);
  OWN_CHECK_EQ(counter.requests, 0); /* an empty vec allocates nothing */
  for (int i = 0; i < 100; i++) own_vec_push(&v, i * 3);
  OWN_CHECK_EQ(own_vec_len(&v), 100);
  OWN_CHECK(own_vec_capacity(&v) >= 100);
  bool ok = true;
  for (int i = 0; i < 100; i++) ok &= *own_vec_get(&v, (size_t)i) == i * 3 && v.data[i] == i * 3;
  OWN_CHECK(ok);
  int x = -1;
  OWN_CHECK(own_vec_pop(&v, &x));
  OWN_CHECK_EQ(x, 99 * 3);
  OWN_CHECK_EQ(own_vec_len(&v), 99);
  OWN_CHECK(own_vec_pop(&v, NULL)); /* discard */
  OWN_CHECK_EQ(own_vec_len(&v), 98);
  own_vec_drop(&v);
  OWN_CHECK_EQ(own_vec_len(&v), 0);
  OWN_CHECK_EQ(own_vec_capacity(&v), 0);
  OWN_CHECK(v.raw.alloc == &counting); /* still usable, same allocator */
  own_vec_push(&v, 7);
  OWN_CHECK_EQ(v.data[0], 7);
  own_vec_drop(&v);
  own_vec_drop(&v); /* dropping an empty vec is fine */
  /* each macro argument is evaluated exactly once */
  ints_t vs[2] = {OWN_VEC_INIT_IN(&counting), OWN_VEC_INIT_IN(&counting)};
  ints_t *pv = vs;
  int k = 5;
  own_vec_push(pv++, k++);
  OWN_CHECK(pv == vs + 1 && k == 6);
  OWN_CHECK_EQ(own_vec_try_push(pv--, k++), OWN_ERR_NONE);
  OWN_CHECK(pv == vs && k == 7);
  int *first = own_vec_get(pv++, (size_t)(k++ - 7));
  OWN_CHECK(pv == vs + 1 && k == 8 && first == vs[0].data && *first == 5);
  OWN_CHECK_EQ(own_vec_len(pv--), 1);
  OWN_CHECK(pv == vs);
  OWN_CHECK(own_vec_pop(pv++, &k) && k == 5 && pv == vs + 1);
  own_vec_drop(&vs[0]);
  own_vec_drop(&vs[1]);
  CHECK_QUIET();
  counter_check_clean();
}

static void test_pop_empty(void) {
  counter_reset();
  ints_t v = OWN_VEC_INIT_IN(&counting);
  int x = 42;
  OWN_CHECK(!own_vec_pop(&v, &x));
  OWN_CHECK_EQ(x, 42);
  CHECK_QUIET(); /* popping an empty vec is not misuse */
  own_vec_drop(&v);
  counter_check_clean();
}

/* The seeds' example: reserve, then a loop of pushes, allocates once. */
static void test_reserve_then_push_allocates_once(void) {
  counter_reset();
  doubles_t v = OWN_VEC_INIT_IN(&counting);
  own_vec_reserve(&v, 10);
  OWN_CHECK_EQ(counter.requests, 1);
  OWN_CHECK(own_vec_capacity(&v) >= 10);
  for (int i = 0; i < 10; i++) own_vec_push(&v, (double)i);
  OWN_CHECK_EQ(counter.requests, 1);
  own_vec_drop(&v);

  counter_reset();
  own_vec_init(&v, &counting);
  own_vec_reserve(&v, 100000);
  size_t cap = own_vec_capacity(&v);
  for (int i = 0; i < 100000; i++) own_vec_push(&v, (double)i);
  OWN_CHECK_EQ(counter.requests, 1);
  OWN_CHECK_EQ(own_vec_capacity(&v), cap);
  OWN_CHECK(v.data[99999] == 99999.0);
  /* clear keeps the block: the next round of pushes is allocation-free too */
  own_vec_clear(&v);
  OWN_CHECK_EQ(own_vec_len(&v), 0);
  OWN_CHECK_EQ(own_vec_capacity(&v), cap);
  for (int i = 0; i < 100000; i++) own_vec_push(&v, (double)-i);
  OWN_CHECK_EQ(counter.requests, 1);
  own_vec_drop(&v);
  counter_check_clean();
}

/* Without reserve, n pushes take O(log n) allocations, each growth at least
 * doubling the capacity. */
static void test_geometric_growth(void) {
  counter_reset();
  ints_t v = OWN_VEC_INIT_IN(&counting);
  size_t n = 1000000, growths = 0, prev = 0;
  bool doubling = true;
  for (size_t i = 0; i < n; i++) {
    own_vec_push(&v, (int)i);
    size_t cap = own_vec_capacity(&v);
    if (cap != prev) {
      if (prev && cap < 2 * prev) doubling = false;
      prev = cap;
      growths++;
    }
  }
  OWN_CHECK(doubling);
  OWN_CHECK_EQ(counter.requests, growths);
  /* log2(1e6) ~ 20; starting at 4 elements: 19 growths */
  OWN_CHECK(counter.requests <= 20);
  OWN_CHECK(counter.requests >= 15);
  OWN_CHECK_EQ(counter.allocs, 1); /* one alloc, then resizes */
  OWN_CHECK_EQ(v.data[n - 1], (int)(n - 1));
  own_vec_drop(&v);

  /* minimum first capacities: 8 for bytes, 4 for small, 1 for large elements */
  OWN_VEC(char) bytes = OWN_VEC_INIT_IN(&counting);
  own_vec_push(&bytes, 'a');
  OWN_CHECK_EQ(own_vec_capacity(&bytes), 8);
  own_vec_drop(&bytes);
  own_vec_push(&v, 1);
  OWN_CHECK_EQ(own_vec_capacity(&v), 4);
  own_vec_drop(&v);
  typedef struct {
    char b[2000];
  } big_t;
  OWN_VEC(big_t) big = OWN_VEC_INIT_IN(&counting);
  big_t b = {{0}};
  own_vec_push(&big, b);
  OWN_CHECK_EQ(own_vec_capacity(&big), 1);
  own_vec_push(&big, b);
  OWN_CHECK_EQ(own_vec_capacity(&big), 2);
  own_vec_drop(&big);
  counter_check_clean();
}

static void test_reserve_exact_and_shrink(void) {
  counter_reset();
  ints_t v = OWN_VEC_INIT_IN(&counting);
  own_vec_reserve_exact(&v, 10);
  OWN_CHECK_EQ(own_vec_capacity(&v), 10);
  for (int i = 0; i < 10; i++) own_vec_push(&v, i);
  OWN_CHECK_EQ(counter.requests, 1);
  own_vec_reserve_exact(&v, 5);
  OWN_CHECK_EQ(own_vec_capacity(&v), 15);
  own_vec_reserve_exact(&v, 3); /* already room: nothing happens */
  OWN_CHECK_EQ(own_vec_capacity(&v), 15);
  OWN_CHECK_EQ(counter.requests, 2);
  /* amortized reserve: at least doubles */
  own_vec_reserve(&v, 6); /* len 10 + 6 = 16 > 15 -> max(30, 16) */
  OWN_CHECK_EQ(own_vec_capacity(&v), 30);
  own_vec_reserve(&v, 100); /* 110 > 60 */
  OWN_CHECK_EQ(own_vec_capacity(&v), 110);
  own_vec_shrink_to_fit(&v);
  OWN_CHECK_EQ(own_vec_capacity(&v), 10);
  int want[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  OWN_CHECK(ints_equal(&v, want, 10));
  size_t r = counter.requests;
  own_vec_shrink_to_fit(&v); /* already tight */
  OWN_CHECK_EQ(counter.requests, r);
  own_vec_truncate(&v, 0);
  own_vec_shrink_to_fit(&v); /* empty: the block is freed */
  OWN_CHECK_EQ(own_vec_capacity(&v), 0);
  OWN_CHECK(v.data == NULL);
  OWN_CHECK_EQ(counter.live, 0);
  own_vec_reserve(&v, 0); /* nothing to do */
  OWN_CHECK_EQ(own_vec_capacity(&v), 0);
  own_vec_drop(&v);
  CHECK_QUIET();

  /* with_capacity */
  counter_reset();
  own_vec_with_capacity(&v, &counting, 33);
  OWN_CHECK_EQ(own_vec_capacity(&v), 33);
  OWN_CHECK_EQ(own_vec_len(&v), 0);
  own_vec_drop(&v);
  OWN_CHECK_EQ(own_vec_try_with_capacity(&v, &counting, 0), OWN_ERR_NONE);
  OWN_CHECK_EQ(own_vec_capacity(&v), 0);
  OWN_CHECK_EQ(counter.requests, 1);
  own_vec_drop(&v);

  /* shrink_to_fit keeps the bigger block when the allocator refuses */
  counter_reset();
  own_vec_reserve_exact(&v, 100);
  own_vec_push(&v, 5);
  counter.fail_at = counter.requests + 1;
  own_vec_shrink_to_fit(&v);
  OWN_CHECK_EQ(own_vec_capacity(&v), 100);
  OWN_CHECK_EQ(v.data[0], 5);
  counter.fail_at = 0;
  own_vec_drop(&v);
  CHECK_QUIET();
  counter_check_clean();
}

static void test_insert_remove(void) {
  counter_reset();
  ints_t v = OWN_VEC_INIT_IN(&counting);
  own_vec_insert(&v, 0, 2);  /* [2] */
  own_vec_insert(&v, 0, 0);  /* [0 2] */
  own_vec_insert(&v, 1, 1);  /* [0 1 2] */
  own_vec_insert(&v, 3, 4);  /* [0 1 2 4] */
  own_vec_insert(&v, 3, 3);  /* [0 1 2 3 4] */
  int want1[] = {0, 1, 2, 3, 4};
  OWN_CHECK(ints_equal(&v, want1, 5));
  int x = -1;
  OWN_CHECK(own_vec_remove(&v, 1, &x)); /* [0 2 3 4] */
  OWN_CHECK_EQ(x, 1);
  int want2[] = {0, 2, 3, 4};
  OWN_CHECK(ints_equal(&v, want2, 4));
  OWN_CHECK(own_vec_remove(&v, 3, &x)); /* the last */
  OWN_CHECK_EQ(x, 4);
  OWN_CHECK(own_vec_remove(&v, 0, NULL)); /* [2 3] */
  int want3[] = {2, 3};
  OWN_CHECK(ints_equal(&v, want3, 2));
  CHECK_QUIET();

  own_vec_clear(&v);
  for (int i = 0; i < 6; i++) own_vec_push(&v, i * 10); /* [0 10 20 30 40 50] */
  OWN_CHECK(own_vec_swap_remove(&v, 1, &x));            /* [0 50 20 30 40] */
  OWN_CHECK_EQ(x, 10);
  int want4[] = {0, 50, 20, 30, 40};
  OWN_CHECK(ints_equal(&v, want4, 5));
  OWN_CHECK(own_vec_swap_remove(&v, 4, &x)); /* the last: [0 50 20 30] */
  OWN_CHECK_EQ(x, 40);
  int want5[] = {0, 50, 20, 30};
  OWN_CHECK(ints_equal(&v, want5, 4));
  CHECK_QUIET();

  /* out of range: reported, nothing changes */
  x = 77;
  OWN_CHECK(!own_vec_remove(&v, 4, &x));
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK(strstr(last_msg, "own_vec_remove: index 4 out of range (len 4)") != NULL);
  OWN_CHECK(!own_vec_swap_remove(&v, SIZE_MAX, &x));
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK_EQ(x, 77);
  own_vec_insert(&v, 5, 1);
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK_EQ(own_vec_try_insert(&v, 99, 1), OWN_ERR_USAGE);
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK(ints_equal(&v, want5, 4));
  own_vec_drop(&v);
  counter_check_clean();
}

static void test_get_bounds(void) {
  counter_reset();
  ints_t v = OWN_VEC_INIT_IN(&counting);
  OWN_CHECK(own_vec_get(&v, 0) == NULL);
  CHECK_REPORTED(OWN_ERR_USAGE);
  own_vec_push(&v, 5);
  own_vec_push(&v, 6);
  OWN_CHECK(own_vec_get(&v, 1) == &v.data[1]);
  CHECK_QUIET();
  OWN_CHECK(own_vec_get(&v, 2) == NULL);
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK(strstr(last_msg, "own_vec_get: index 2 out of range (len 2)") != NULL);
  OWN_CHECK(own_vec_get(&v, SIZE_MAX) == NULL);
  CHECK_REPORTED(OWN_ERR_USAGE);
  *own_vec_get(&v, 0) = 50; /* a writable element */
  OWN_CHECK_EQ(v.data[0], 50);
  const ints_t *cv = &v; /* get and len work through a const pointer */
  OWN_CHECK_EQ(*own_vec_get(cv, 1), 6);
  OWN_CHECK_EQ(own_vec_len(cv), 2);
  own_vec_drop(&v);
  counter_check_clean();
}

static void test_truncate_clear_extend(void) {
  counter_reset();
  ints_t v = OWN_VEC_INIT_IN(&counting);
  int src[] = {1, 2, 3, 4, 5};
  own_vec_extend(&v, src, 5);
  OWN_CHECK(ints_equal(&v, src, 5));
  OWN_CHECK_EQ(counter.requests, 1); /* one growth for the whole array */
  own_vec_extend(&v, src, 0);        /* nothing */
  own_vec_extend(&v, (const int *)NULL, 0);
  CHECK_QUIET();
  own_vec_extend(&v, (const int *)NULL, 3); /* NULL with a count: misuse */
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK_EQ(own_vec_len(&v), 5);
  own_vec_truncate(&v, 10); /* longer than len: nothing */
  OWN_CHECK_EQ(own_vec_len(&v), 5);
  own_vec_truncate(&v, 3);
  OWN_CHECK(ints_equal(&v, src, 3));
  size_t cap = own_vec_capacity(&v);
  /* extend from the vec itself, across a growth */
  own_vec_shrink_to_fit(&v);
  own_vec_extend(&v, v.data, 3);
  int want[] = {1, 2, 3, 1, 2, 3};
  OWN_CHECK(ints_equal(&v, want, 6));
  /* push and insert of an element of the vec itself, across a growth */
  own_vec_shrink_to_fit(&v);
  own_vec_push(&v, v.data[1]);
  int want2[] = {1, 2, 3, 1, 2, 3, 2};
  OWN_CHECK(ints_equal(&v, want2, 7));
  own_vec_shrink_to_fit(&v);
  own_vec_raw_insert(&v.raw, OWN_LAYOUT_OF(int), 0, &v.data[2]); /* value moves up */
  int want3[] = {3, 1, 2, 3, 1, 2, 3, 2};
  OWN_CHECK(ints_equal(&v, want3, 8));
  own_vec_raw_insert(&v.raw, OWN_LAYOUT_OF(int), 4, &v.data[0]); /* value stays below */
  int want4[] = {3, 1, 2, 3, 3, 1, 2, 3, 2};
  OWN_CHECK(ints_equal(&v, want4, 9));
  cap = own_vec_capacity(&v);
  own_vec_clear(&v);
  OWN_CHECK_EQ(own_vec_len(&v), 0);
  OWN_CHECK_EQ(own_vec_capacity(&v), cap);
  CHECK_QUIET();
  own_vec_drop(&v);
  counter_check_clean();
}

/* Over-aligned elements: the block and every element honour _Alignas. */
typedef struct {
  alignas(64) double x;
  int tag;
} line_t;
typedef struct {
  alignas(4096) char page[10];
} page_t;

static void test_over_aligned(void) {
  counter_reset();
  OWN_VEC(line_t) v = OWN_VEC_INIT_IN(&counting);
  bool aligned = true;
  for (int i = 0; i < 50; i++) {
    line_t l = {(double)i, i};
    own_vec_push(&v, l);
    aligned &= ((uintptr_t)own_vec_get(&v, (size_t)i) % 64) == 0;
  }
  OWN_CHECK(aligned);
  OWN_CHECK_EQ(sizeof(line_t), 64);
  bool ok = true;
  for (int i = 0; i < 50; i++) ok &= v.data[i].tag == i && v.data[i].x == (double)i;
  OWN_CHECK(ok);
  own_vec_shrink_to_fit(&v);
  OWN_CHECK((uintptr_t)v.data % 64 == 0);
  own_vec_drop(&v);

  OWN_VEC(page_t) pages = OWN_VEC_INIT_IN(&counting);
  page_t p = {{0}};
  aligned = true;
  for (int i = 0; i < 9; i++) {
    p.page[0] = (char)i;
    own_vec_push(&pages, p);
    for (int j = 0; j <= i; j++) aligned &= ((uintptr_t)&pages.data[j] % 4096) == 0 && pages.data[j].page[0] == j;
  }
  OWN_CHECK(aligned);
  OWN_CHECK_EQ(pages.raw.elem_align, 4096);
  own_vec_drop(&pages);
  CHECK_QUIET();
  counter_check_clean(); /* every free named the right size and alignment */
}

/* Overflow of capacity * element size is an error, never a small block. */
static void test_overflow(void) {
  counter_reset();
  doubles_t v = OWN_VEC_INIT_IN(&counting);
  own_vec_push(&v, 1.0);
  own_vec_push(&v, 2.0);
  void *data = v.data;
  size_t cap = own_vec_capacity(&v), req = counter.requests;
  OWN_CHECK_EQ(own_vec_try_reserve(&v, SIZE_MAX), OWN_ERR_OVERFLOW);      /* len + n wraps */
  OWN_CHECK_EQ(own_vec_try_reserve(&v, SIZE_MAX / 8 + 1), OWN_ERR_OVERFLOW); /* * 8 wraps */
  OWN_CHECK_EQ(own_vec_try_reserve_exact(&v, SIZE_MAX / 8), OWN_ERR_OVERFLOW);
  OWN_CHECK_EQ(own_vec_try_reserve_exact(&v, (size_t)PTRDIFF_MAX / 8), OWN_ERR_OVERFLOW); /* + len */
  OWN_CHECK_EQ(counter.requests, req); /* none reached the allocator */
  /* a size that is valid but that no allocator can give: out of memory */
  OWN_CHECK_EQ(own_vec_try_reserve_exact(&v, (size_t)PTRDIFF_MAX / 8 - 2), OWN_ERR_OUT_OF_MEMORY);
  OWN_CHECK_EQ(counter.requests, req + 1);
  CHECK_QUIET(); /* try_ reports nothing for exhaustion or overflow */
  OWN_CHECK(v.data == data);
  OWN_CHECK_EQ(own_vec_capacity(&v), cap);
  OWN_CHECK_EQ(own_vec_len(&v), 2);
  OWN_CHECK(v.data[0] == 1.0 && v.data[1] == 2.0);

  /* the raw API with huge elements: size * n overflows */
  own_vec_raw_t r = OWN_VEC_RAW_INIT_IN(&counting);
  own_layout_t huge = {(size_t)1 << 40, 1};
  OWN_CHECK_EQ(own_vec_raw_try_reserve(&r, huge, (size_t)1 << 30), OWN_ERR_OVERFLOW);
  OWN_CHECK_EQ(own_vec_raw_try_reserve_exact(&r, huge, (size_t)1 << 24), OWN_ERR_OVERFLOW);
  OWN_CHECK_EQ(r.cap, 0);
  /* the largest valid capacity goes to the allocator; one more is overflow */
  own_layout_t half = {(size_t)PTRDIFF_MAX / 3, 1};
  OWN_CHECK_EQ(own_vec_raw_try_reserve(&r, half, 2), OWN_ERR_OUT_OF_MEMORY);
  OWN_CHECK_EQ(own_vec_raw_try_reserve(&r, half, 4), OWN_ERR_OVERFLOW);
  CHECK_QUIET();
  own_vec_drop(&v);
  counter_check_clean();
}

/* Bad input: NULL vec pointers, invalid layouts, mismatched layouts. */
static void test_bad_input(void) {
  counter_reset();
  ints_t *nv = NULL;
  own_vec_push(nv, 1);
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK(strstr(last_msg, "NULL vec") != NULL);
  OWN_CHECK_EQ(own_vec_try_push(nv, 1), OWN_ERR_USAGE);
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK_EQ(own_vec_len(nv), 0);
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK_EQ(own_vec_capacity(nv), 0);
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK(own_vec_get(nv, 0) == NULL);
  CHECK_REPORTED(OWN_ERR_USAGE);
  int x;
  OWN_CHECK(!own_vec_pop(nv, &x));
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK(!own_vec_remove(nv, 0, &x));
  CHECK_REPORTED(OWN_ERR_USAGE);
  own_vec_reserve(nv, 10);
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK_EQ(own_vec_try_reserve(nv, SIZE_MAX), OWN_ERR_USAGE);
  CHECK_REPORTED(OWN_ERR_USAGE);
  own_vec_insert(nv, 0, 1);
  CHECK_REPORTED(OWN_ERR_USAGE);
  own_vec_extend(nv, &x, 1);
  CHECK_REPORTED(OWN_ERR_USAGE);
  own_vec_truncate(nv, 0);
  CHECK_REPORTED(OWN_ERR_USAGE);
  own_vec_clear(nv);
  CHECK_REPORTED(OWN_ERR_USAGE);
  own_vec_shrink_to_fit(nv);
  CHECK_REPORTED(OWN_ERR_USAGE);
  own_vec_init(nv, NULL);
  CHECK_REPORTED(OWN_ERR_USAGE);
  own_vec_with_capacity(nv, NULL, 4);
  CHECK_REPORTED(OWN_ERR_USAGE);
  own_vec_drop(nv); /* like free(NULL): no-op, not reported */
  own_vec_cleanup(NULL);
  CHECK_QUIET();

  own_vec_raw_t r = OWN_VEC_RAW_INIT_IN(&counting);
  int one = 1;
  OWN_CHECK_EQ(own_vec_raw_try_push(&r, (own_layout_t){0, 1}, &one), OWN_ERR_USAGE); /* size 0 */
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK_EQ(own_vec_raw_try_push(&r, (own_layout_t){4, 3}, &one), OWN_ERR_USAGE); /* align 3 */
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK_EQ(own_vec_raw_try_push(&r, (own_layout_t){SIZE_MAX, 8}, &one), OWN_ERR_USAGE);
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK_EQ(own_vec_raw_try_push(&r, OWN_LAYOUT_OF(int), NULL), OWN_ERR_USAGE); /* NULL value */
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK_EQ(r.cap, 0);
  OWN_CHECK_EQ(own_vec_raw_try_push(&r, OWN_LAYOUT_OF(int), &one), OWN_ERR_NONE);
  /* the vec holds ints now: another layout is misuse */
  double d = 1;
  OWN_CHECK_EQ(own_vec_raw_try_push(&r, OWN_LAYOUT_OF(double), &d), OWN_ERR_USAGE);
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK(strstr(last_msg, "differs") != NULL);
  OWN_CHECK(own_vec_raw_get(&r, OWN_LAYOUT_OF(double), 0) == NULL);
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK_EQ(r.len, 1);
  own_vec_raw_drop(&r);
  CHECK_QUIET();
  counter_check_clean();
}

/* Failure injection: a try_ call whose allocation fails returns the error and
 * leaves everything as it was. */
static void test_try_failure_leaves_vec_intact(void) {
  counter_reset();
  ints_t v = OWN_VEC_INIT_IN(&counting);
  for (int i = 0; i < 4; i++) OWN_CHECK_EQ(own_vec_try_push(&v, i), OWN_ERR_NONE);
  OWN_CHECK_EQ(own_vec_capacity(&v), 4); /* full: the next push must grow */
  int want[] = {0, 1, 2, 3};
  int src[] = {9, 9, 9};
  counter.fail_at = counter.requests + 1;
  counter.fail_every = 1;
  own_vec_raw_t before = v.raw;
  OWN_CHECK_EQ(own_vec_try_push(&v, 4), OWN_ERR_OUT_OF_MEMORY);
  OWN_CHECK(memcmp(&before, &v.raw, sizeof before) == 0);
  OWN_CHECK_EQ(own_vec_try_insert(&v, 0, 4), OWN_ERR_OUT_OF_MEMORY);
  OWN_CHECK(memcmp(&before, &v.raw, sizeof before) == 0);
  OWN_CHECK_EQ(own_vec_try_extend(&v, src, 3), OWN_ERR_OUT_OF_MEMORY);
  OWN_CHECK(memcmp(&before, &v.raw, sizeof before) == 0);
  OWN_CHECK_EQ(own_vec_try_reserve(&v, 1), OWN_ERR_OUT_OF_MEMORY);
  OWN_CHECK_EQ(own_vec_try_reserve_exact(&v, 1), OWN_ERR_OUT_OF_MEMORY);
  OWN_CHECK(memcmp(&before, &v.raw, sizeof before) == 0);
  OWN_CHECK(ints_equal(&v, want, 4));
  CHECK_QUIET();
  /* operations that need no memory still work while the allocator fails */
  int x;
  OWN_CHECK(own_vec_pop(&v, &x));
  OWN_CHECK_EQ(own_vec_try_push(&v, 3), OWN_ERR_NONE);
  OWN_CHECK(ints_equal(&v, want, 4));
  /* the allocator recovers: so does the vec */
  counter.fail_at = 0;
  counter.fail_every = 0;
  OWN_CHECK_EQ(own_vec_try_push(&v, 4), OWN_ERR_NONE);
  OWN_CHECK_EQ(own_vec_len(&v), 5);
  OWN_CHECK_EQ(v.data[4], 4);
  own_vec_drop(&v);

  /* try_with_capacity failing leaves an empty, valid vec */
  counter.fail_at = counter.requests + 1;
  OWN_CHECK_EQ(own_vec_try_with_capacity(&v, &counting, 10), OWN_ERR_OUT_OF_MEMORY);
  OWN_CHECK_EQ(own_vec_capacity(&v), 0);
  OWN_CHECK_EQ(own_vec_len(&v), 0);
  counter.fail_at = 0;
  own_vec_push(&v, 1);
  own_vec_drop(&v);

  /* fail the N-th allocation of a run, for every N: contents stay intact */
  for (size_t n = 1; n <= 12; n++) {
    counter_reset();
    own_vec_init(&v, &counting);
    counter.fail_at = n;
    int pushed = 0;
    own_error_t e = OWN_ERR_NONE;
    while (pushed < 5000 && (e = own_vec_try_push(&v, pushed)) == OWN_ERR_NONE) pushed++;
    OWN_CHECK_EQ(e, OWN_ERR_OUT_OF_MEMORY); /* 5000 pushes take 12 growths */
    OWN_CHECK_EQ(own_vec_len(&v), pushed);
    bool ok = true;
    for (int i = 0; i < pushed; i++) ok &= v.data[i] == i;
    OWN_CHECK(ok);
    own_vec_drop(&v);
    counter_check_clean();
  }
  counter_check_clean();
}

/* ---- Death tests: the plain functions call the out-of-memory handler ----- */

static void die_push_oom(void *arg) {
  (void)arg;
  own_set_error_handler(NULL, NULL);
  counter_reset();
  ints_t v = OWN_VEC_INIT_IN(&counting);
  for (int i = 0; i < 4; i++) own_vec_push(&v, i);
  counter.fail_at = counter.requests + 1;
  own_vec_push(&v, 4); /* must not return */
  _exit(0);
}

static void die_reserve_overflow(void *arg) {
  (void)arg;
  own_set_error_handler(NULL, NULL);
  doubles_t v = OWN_VEC_INIT_IN(&counting);
  own_vec_reserve(&v, SIZE_MAX / 4);
  _exit(0);
}

static void die_extend_oom(void *arg) {
  (void)arg;
  own_set_error_handler(NULL, NULL);
  counter_reset();
  counter.fail_at = 1;
  ints_t v = OWN_VEC_INIT_IN(&counting);
  int a[3] = {1, 2, 3};
  own_vec_extend(&v, a, 3);
  _exit(0);
}

static void report_size_and_exit(size_t size) {
  fprintf(stderr, "oom handler got %zu\n", size);
  _exit(3);
}

static void die_custom_oom_handler(void *arg) {
  (void)arg;
  own_set_oom_handler(report_size_and_exit);
  counter_reset();
  counter.fail_at = 1;
  OWN_VEC(int64_t) v = OWN_VEC_INIT_IN(&counting);
  own_vec_reserve_exact(&v, 1000);
  _exit(0);
}

static void test_plain_functions_call_oom_handler(void) {
  OWN_EXPECT_DEATH(die_push_oom, NULL, SIGABRT, "out of memory");
  OWN_EXPECT_DEATH(die_reserve_overflow, NULL, SIGABRT, "size overflow: own_vec_reserve");
  OWN_EXPECT_DEATH(die_extend_oom, NULL, SIGABRT, "could not allocate");
  OWN_EXPECT_DEATH(die_custom_oom_handler, NULL, 0, "oom handler got 8000");
}

/* ---- Scope-bound drop ------------------------------------------------------ */

static void test_cleanup_attribute(void) {
  counter_reset();
  {
    ints_t v OWN_VEC_AUTO = OWN_VEC_INIT_IN(&counting);
    for (int i = 0; i < 100; i++) own_vec_push(&v, i);
    OWN_CHECK_EQ(counter.live, 1);
  }
  OWN_CHECK_EQ(counter.live, 0);
#if __has_include("own/scope.h")
  { /* the two forms of own/scope.h */
    OWN_SCOPED(own_vec) ints_t a = OWN_VEC_INIT_IN(&counting);
    ints_t b = OWN_VEC_INIT_IN(&counting);
    OWN_DROP_AT_SCOPE_END(own_vec, b);
    own_vec_push(&a, 1);
    own_vec_push(&b, 2);
    OWN_CHECK_EQ(counter.live, 2);
  }
  OWN_CHECK_EQ(counter.live, 0);
#endif
  counter_check_clean();
}

/* ---- The default allocator (own's heap) ----------------------------------- */

static void test_default_allocator(void) {
#ifdef OWN_TEST_HAVE_HEAP
  own_stats_t before, after;
  own_stats(&before);
#endif
  doubles_t v = OWN_VEC_INIT;
  OWN_CHECK(v.raw.alloc == NULL);
  for (int i = 0; i < 10000; i++) own_vec_push(&v, i * 0.5);
  bool ok = true;
  for (int i = 0; i < 10000; i++) ok &= v.data[i] == i * 0.5;
  OWN_CHECK(ok);
  own_vec_shrink_to_fit(&v);
  OWN_CHECK_EQ(own_vec_capacity(&v), 10000);
  OWN_CHECK(v.data[9999] == 9999 * 0.5);
  own_vec_drop(&v);
  OWN_VEC(page_t) pages = OWN_VEC_INIT;
  page_t p = {{1}};
  for (int i = 0; i < 5; i++) own_vec_push(&pages, p);
  OWN_CHECK((uintptr_t)pages.data % 4096 == 0);
  OWN_CHECK_EQ(pages.data[4].page[0], 1);
  own_vec_drop(&pages);
  CHECK_QUIET();
#ifdef OWN_TEST_HAVE_HEAP
  own_stats(&after); /* every block the vecs took from own's heap went back */
  OWN_CHECK_EQ(after.allocated_blocks, before.allocated_blocks);
#endif
}

/* ---- Randomized: the vec against a plain array ----------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

typedef struct {
  uint32_t a;
  uint16_t b;
} rec_t;

#define MODEL_MAX 4096
static rec_t model[MODEL_MAX];
static size_t model_len;

static bool rec_eq(rec_t x, rec_t y) { return x.a == y.a && x.b == y.b; }

static void test_randomized(void) {
  counter_reset();
  OWN_VEC(rec_t) v = OWN_VEC_INIT_IN(&counting);
  model_len = 0;
  bool agree = true;
  size_t failures = 0;
  for (int step = 0; step < 200000 && agree; step++) {
    /* one request in 16 fails: try_ must then leave the vec as the model */
    counter.fail_at = (rng() % 16 == 0) ? counter.requests + 1 : 0;
    rec_t r = {(uint32_t)rng(), (uint16_t)rng()}, out = {0, 0};
    size_t i = model_len ? rng() % model_len : 0;
    own_error_t e;
    switch (rng() % 12) {
      case 0:
      case 1:
      case 2:
        if (model_len >= MODEL_MAX) break;
        e = own_vec_try_push(&v, r);
        if (e == OWN_ERR_NONE) model[model_len++] = r;
        else failures++, agree &= e == OWN_ERR_OUT_OF_MEMORY;
        break;
      case 3:
        agree &= own_vec_pop(&v, &out) == (model_len > 0);
        if (model_len) agree &= rec_eq(out, model[--model_len]);
        break;
      case 4:
        if (model_len >= MODEL_MAX) break;
        i = rng() % (model_len + 1);
        e = own_vec_try_insert(&v, i, r);
        if (e == OWN_ERR_NONE) {
          memmove(&model[i + 1], &model[i], (model_len - i) * sizeof(rec_t));
          model[i] = r;
          model_len++;
        } else {
          failures++, agree &= e == OWN_ERR_OUT_OF_MEMORY;
        }
        break;
      case 5:
        if (!model_len) break;
        agree &= own_vec_remove(&v, i, &out) && rec_eq(out, model[i]);
        memmove(&model[i], &model[i + 1], (model_len - i - 1) * sizeof(rec_t));
        model_len--;
        break;
      case 6:
        if (!model_len) break;
        agree &= own_vec_swap_remove(&v, i, &out) && rec_eq(out, model[i]);
        model[i] = model[--model_len];
        break;
      case 7: {
        size_t n = rng() % 20;
        if (model_len + n > MODEL_MAX) break;
        rec_t src[20];
        for (size_t k = 0; k < n; k++) src[k] = (rec_t){(uint32_t)rng(), (uint16_t)k};
        e = own_vec_try_extend(&v, src, n);
        if (e == OWN_ERR_NONE) {
          memcpy(&model[model_len], src, n * sizeof(rec_t));
          model_len += n;
        } else {
          failures++, agree &= e == OWN_ERR_OUT_OF_MEMORY;
        }
        break;
      }
      case 8: {
        size_t n = model_len ? rng() % (model_len + 2) : 0;
        own_vec_truncate(&v, n);
        if (n < model_len) model_len = n;
        break;
      }
      case 9:
        if (rng() % 8 == 0) {
          own_vec_clear(&v);
          model_len = 0;
        } else if (model_len) {
          rec_t *p = own_vec_get(&v, i);
          agree &= p && rec_eq(*p, model[i]);
        }
        break;
      case 10:
        e = own_vec_try_reserve(&v, rng() % 64);
        agree &= e == OWN_ERR_NONE || e == OWN_ERR_OUT_OF_MEMORY;
        break;
      case 11:
        if (rng() % 4 == 0) own_vec_shrink_to_fit(&v);
        else if (rng() % 2) agree &= own_vec_try_reserve_exact(&v, rng() % 16) != OWN_ERR_USAGE;
        break;
    }
    counter.fail_at = 0;
    agree &= own_vec_len(&v) == model_len && own_vec_len(&v) <= own_vec_capacity(&v);
    if (step % 64 == 0 || !agree)
      for (size_t k = 0; k < model_len && agree; k++) agree &= rec_eq(v.data[k], model[k]);
  }
  OWN_CHECK(agree);
  OWN_CHECK(failures > 100); /* the failure paths were exercised */
  for (size_t k = 0; k < model_len && agree; k++) agree &= rec_eq(v.data[k], model[k]);
  OWN_CHECK(agree);
  CHECK_QUIET();
  own_vec_drop(&v);
  counter_check_clean();
}

int main(void) {
  own_set_error_handler(record_error, NULL);
  test_basic();
  test_pop_empty();
  test_reserve_then_push_allocates_once();
  test_geometric_growth();
  test_reserve_exact_and_shrink();
  test_insert_remove();
  test_get_bounds();
  test_truncate_clear_extend();
  test_over_aligned();
  test_overflow();
  test_bad_input();
  test_try_failure_leaves_vec_intact();
  test_plain_functions_call_oom_handler();
  test_cleanup_attribute();
  test_default_allocator();
  test_randomized();
  return own_test_done();
}

#endif
