/* test_box.c — Box: construction, drop exactly once and in order, moves,
 * alignment of over-aligned values, failure injection, out-of-memory in its
 * own process, run-time detection of double and mismatched drops, and the
 * default heap (when the alloc layer is built). Every test checks that the
 * counting allocator ends with zero live blocks. */
#include <errno.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "own/box.h"
#include "own/rc.h"
#include "test_ownership_common.h"
#include "testing.h"

static test_alloc_t ta;
static own_allocator_t A;

#define CHECK_NO_LEAK() OWN_CHECK_EQ(atomic_load(&ta.live_blocks), 0)
#define CHECK_FREES_OK() OWN_CHECK_EQ(atomic_load(&ta.bad_frees), 0)

/* ---- drop functions that record what happened ---------------------------- */

static int drops;
static int drop_seen_value;
__attribute__((unused)) static void count_drop(void *v) { /* heap-form tests only */
  (void)v;
  drops++;
}
static void record_drop(void *v) {
  drops++;
  drop_seen_value = *(int *)v; /* the value is still intact when drop runs */
}

/* A struct that owns two boxes; its drop function runs first, then drops the
 * fields in declaration order (as Rust drops a struct's fields), recording
 * the order of every drop. */
static char order[16];
static int norder;
static void leaf_drop(void *v) { order[norder++] = *(char *)v; }
struct pair {
  char *left;
  char *right;
  char tag;
};
static void pair_drop(void *v) {
  struct pair *p = (struct pair *)v;
  order[norder++] = p->tag;
  own_box_drop(OWN_TAKE(p->left));
  own_box_drop(OWN_TAKE(p->right));
}

static void test_new_drop(void) {
  drops = 0;
  int *p = OWN_BOX_NEW(int, &A, record_drop);
  OWN_CHECK(p != NULL);
  *p = 41;
  OWN_CHECK_EQ(atomic_load(&ta.live_blocks), 1);
  OWN_CHECK(own_box_allocator(p) == &A);
  OWN_CHECK(own_box_drop_fn(p) == record_drop);
  OWN_CHECK_EQ(own_box_layout(p).size, sizeof(int));
  OWN_CHECK_EQ(own_box_layout(p).align, alignof(int));
  own_box_drop(p);
  OWN_CHECK_EQ(drops, 1);
  OWN_CHECK_EQ(drop_seen_value, 41);
  CHECK_NO_LEAK();
  own_box_drop(NULL); /* no-op */
  OWN_CHECK_EQ(drops, 1);
}

struct point {
  int x, y;
};

static void test_box_of(void) {
  int *e = OWN_BOX_OF(int, &A, NULL, 7);
  OWN_CHECK_EQ(*e, 7);
  struct point *q = OWN_BOX_OF(struct point, &A, NULL, .x = 1, .y = 2);
  OWN_CHECK_EQ(q->x, 1);
  OWN_CHECK_EQ(q->y, 2);
  OWN_CHECK_EQ(atomic_load(&ta.live_blocks), 2);
  own_box_drop(q);
  own_box_drop(e);
  CHECK_NO_LEAK();

  unsigned char *z = own_box_new_zeroed(&A, (own_layout_t){100, 1}, NULL);
  int nonzero = 0;
  for (int i = 0; i < 100; i++) nonzero += z[i] != 0;
  OWN_CHECK_EQ(nonzero, 0);
  own_box_drop(z);
  z = own_box_try_new_zeroed(&A, (own_layout_t){100, 1}, NULL);
  OWN_CHECK(z != NULL && z[99] == 0);
  own_box_drop(z);
  CHECK_NO_LEAK();
}

static void test_take_and_into_inner(void) {
  drops = 0;
  int *a = OWN_BOX_OF(int, &A, record_drop, 5);
  int *b = OWN_TAKE(a); /* move: a is now empty */
  OWN_CHECK(a == NULL);
  OWN_CHECK_EQ(*b, 5);
  OWN_DROP(own_box, a); /* dropping the moved-from name does nothing */
  OWN_CHECK_EQ(drops, 0);
  OWN_DROP(own_box, b);
  OWN_CHECK(b == NULL);
  OWN_CHECK_EQ(drops, 1);

  drops = 0;
  struct point *p = OWN_BOX_OF(struct point, &A, record_drop, 3, 4);
  struct point out = {0, 0};
  own_box_into_inner(p, &out); /* value moved out: no drop */
  OWN_CHECK_EQ(out.x, 3);
  OWN_CHECK_EQ(out.y, 4);
  OWN_CHECK_EQ(drops, 0);
  CHECK_NO_LEAK();
}

static void test_drop_order(void) {
  norder = 0;
  struct pair *p = OWN_BOX_NEW(struct pair, &A, pair_drop);
  p->tag = 'P';
  p->left = OWN_BOX_OF(char, &A, leaf_drop, 'L');
  p->right = OWN_BOX_OF(char, &A, leaf_drop, 'R');
  OWN_CHECK_EQ(atomic_load(&ta.live_blocks), 3);
  own_box_drop(p);
  order[norder] = 0;
  OWN_CHECK(strcmp(order, "PLR") == 0);
  CHECK_NO_LEAK();
}

/* ---- alignment --------------------------------------------------------- */

struct al32 {
  alignas(32) char c;
};
struct al64 {
  alignas(64) double d[3];
};
struct al4096 {
  alignas(4096) char page[100];
};

static void check_align(const own_allocator_t *a, size_t align, size_t size) {
  own_layout_t l = {0, 1};
  OWN_CHECK(own_layout_from_size_align(size, align, &l));
  void *boxes[8];
  for (int i = 0; i < 8; i++) {
    boxes[i] = own_box_new(a, l, NULL);
    OWN_CHECK_EQ((uintptr_t)boxes[i] % align, 0);
    memset(boxes[i], 0x5a, size); /* the whole value is writable */
    OWN_CHECK_EQ(own_box_layout(boxes[i]).align, align);
    OWN_CHECK_EQ(own_box_layout(boxes[i]).size, size);
  }
  for (int i = 0; i < 8; i++) own_box_drop(boxes[i]);
}

static void test_alignment(void) {
  struct al32 *p32 = OWN_BOX_NEW(struct al32, &A, NULL);
  struct al64 *p64 = OWN_BOX_NEW(struct al64, &A, NULL);
  struct al4096 *p4k = OWN_BOX_NEW(struct al4096, &A, NULL);
  OWN_CHECK_EQ((uintptr_t)p32 % 32, 0);
  OWN_CHECK_EQ((uintptr_t)p64 % 64, 0);
  OWN_CHECK_EQ((uintptr_t)p4k % 4096, 0);
  memset(p4k, 1, sizeof *p4k);
  own_box_drop(p4k);
  own_box_drop(p64);
  own_box_drop(p32);
  static const size_t aligns[] = {1, 2, 8, 16, 32, 64, 128, 4096, 65536};
  for (size_t i = 0; i < sizeof aligns / sizeof aligns[0]; i++) {
    check_align(&A, aligns[i], 1);
    check_align(&A, aligns[i], 40);
    check_align(&A, aligns[i], 5000);
  }
  check_align(&A, 8, 0); /* zero-size values are boxes too */
  CHECK_NO_LEAK();
  CHECK_FREES_OK();
}

/* ---- failure ------------------------------------------------------------ */

static void test_try_failures(void) {
  test_alloc_fail_nth(&ta, 1);
  errno = 0;
  int *p = OWN_BOX_TRY_NEW(int, &A, record_drop);
  OWN_CHECK(p == NULL);
  OWN_CHECK_EQ(errno, ENOMEM);
  p = OWN_BOX_TRY_OF(int, &A, NULL, 1); /* the next one succeeds */
  OWN_CHECK(p != NULL);
  own_box_drop(p);
  CHECK_NO_LEAK();

  /* Fail the 3rd of several: the two before it stay valid and are dropped. */
  test_alloc_fail_nth(&ta, 3);
  int *x = OWN_BOX_TRY_OF(int, &A, NULL, 1);
  int *y = OWN_BOX_TRY_OF(int, &A, NULL, 2);
  int *z = OWN_BOX_TRY_OF(int, &A, NULL, 3);
  OWN_CHECK(x && y && !z);
  own_box_drop(y);
  own_box_drop(x);
  CHECK_NO_LEAK();

  /* A size no layout can describe: NULL, ENOMEM, and the allocator is never asked. */
  long before = atomic_load(&ta.allocs);
  errno = 0;
  OWN_CHECK(own_box_try_new(&A, (own_layout_t){SIZE_MAX - 8, 8}, NULL) == NULL);
  OWN_CHECK_EQ(errno, ENOMEM);
  OWN_CHECK(own_box_try_new(&A, (own_layout_t){(size_t)PTRDIFF_MAX, 4096}, NULL) == NULL);
  OWN_CHECK_EQ(atomic_load(&ta.allocs), before);

  /* A bad alignment: reported, NULL, EINVAL. */
  capture_begin();
  errno = 0;
  OWN_CHECK(own_box_try_new(&A, (own_layout_t){8, 24}, NULL) == NULL);
  OWN_CHECK_EQ(errno, EINVAL);
  OWN_CHECK_EQ(captured.last, OWN_ERR_BAD_ALIGNMENT);
  OWN_CHECK(strstr(captured.msg, "24") != NULL);
  OWN_CHECK(own_box_try_new(&A, (own_layout_t){8, 0}, NULL) == NULL);
  capture_end();
  CHECK_NO_LEAK();
}

/* In their own processes: the plain constructors never return NULL. */
static void oom_plain_new(void *arg) {
  (void)arg;
  test_alloc_fail_nth(&ta, 1);
  int *p = OWN_BOX_NEW(int, &A, NULL);
  printf("returned %p\n", (void *)p); /* not reached */
}
static void oom_plain_huge(void *arg) {
  (void)arg;
  void *p = own_box_new(&A, (own_layout_t){SIZE_MAX / 2, 8}, NULL);
  printf("returned %p\n", p);
}
static void my_oom(size_t size) {
  fprintf(stderr, "custom oom handler: %zu bytes\n", size);
  fflush(stderr);
  _exit(42);
}
static void oom_custom_handler(void *arg) {
  (void)arg;
  own_set_oom_handler(my_oom);
  test_alloc_fail_nth(&ta, 1);
  void *p = own_box_from(&A, OWN_LAYOUT_OF(long), NULL, &(long){1});
  printf("returned %p\n", p);
}
static void bad_align_plain(void *arg) {
  (void)arg;
  void *p = own_box_new(&A, (own_layout_t){8, 3}, NULL);
  printf("returned %p\n", p);
}

static void test_oom_death(void) {
  OWN_EXPECT_DEATH(oom_plain_new, NULL, SIGABRT, "out of memory");
  OWN_EXPECT_DEATH(oom_plain_huge, NULL, SIGABRT, "out of memory");
  OWN_EXPECT_DEATH(oom_custom_handler, NULL, 0, "custom oom handler");
  OWN_EXPECT_DEATH(bad_align_plain, NULL, SIGABRT, "not a power of two");
}

/* ---- run-time detection of misuse ------------------------------------------ */

static void test_double_and_wrong_drop(void) {
  keep_alloc_t k;
  own_allocator_t KA = keep_alloc_make(&k);
  drops = 0;
  int *p = OWN_BOX_OF(int, &KA, record_drop, 9);
  int *again = launder(p); /* the same box under a name the compiler cannot follow */
  own_box_drop(p);
  OWN_CHECK_EQ(drops, 1);
  capture_begin();
  own_box_drop(again); /* memory kept: the tag says "already dropped" */
  OWN_CHECK_EQ(captured.count, 1);
  OWN_CHECK_EQ(captured.last, OWN_ERR_DOUBLE_FREE);
  OWN_CHECK(strstr(captured.msg, "already dropped") != NULL);
  OWN_CHECK_EQ(drops, 1);   /* the drop function did not run again */
  OWN_CHECK_EQ(k.frees, 1); /* and nothing was freed twice */

  int *r = OWN_RC_OF(int, &KA, NULL, 3);
  own_box_drop(launder(r)); /* an rc is not a box */
  OWN_CHECK_EQ(captured.last, OWN_ERR_INVALID_FREE);
  OWN_CHECK(strstr(captured.msg, "not an own box") != NULL);
  OWN_CHECK_EQ(own_rc_strong_count(r), 1);
  capture_end();
  own_rc_drop(r);
  keep_release_all(&k);
  OWN_CHECK_EQ(atomic_load(&k.inner.live_blocks), 0);
}

/* A drop function that drops its own box again is caught, not a double free. */
static void *self_ref;
static void self_drop(void *v) {
  (void)v;
  own_box_drop(self_ref);
}
static void test_reentrant_drop(void) {
  keep_alloc_t k;
  own_allocator_t KA = keep_alloc_make(&k);
  self_ref = own_box_new(&KA, OWN_LAYOUT_OF(int), self_drop);
  capture_begin();
  own_box_drop(self_ref);
  OWN_CHECK_EQ(captured.last, OWN_ERR_DOUBLE_FREE);
  capture_end();
  OWN_CHECK_EQ(k.frees, 1);
  keep_release_all(&k);
}

/* ---- the default heap ------------------------------------------------------- */

static void test_default_heap(void) {
#ifndef OWN_TEST_NO_HEAP
  drops = 0;
  int *p = OWN_BOX_OF(int, NULL, record_drop, 12);
  OWN_CHECK(own_box_allocator(p) == NULL);
  OWN_CHECK_EQ(*p, 12);
  own_box_drop(p);
  OWN_CHECK_EQ(drops, 1);
  static const size_t aligns[] = {1, 16, 32, 64, 4096};
  for (size_t i = 0; i < sizeof aligns / sizeof aligns[0]; i++) {
    check_align(NULL, aligns[i], 24);
    check_align(NULL, aligns[i], 10000);
  }
  errno = 0;
  OWN_CHECK(own_box_try_new(NULL, (own_layout_t){(size_t)PTRDIFF_MAX - 4096, 8}, NULL) == NULL);
  OWN_CHECK_EQ(errno, ENOMEM);
#endif
}

/* ---- the heap form (own/box.h "ABI") ------------------------------------------
 * Default heap, alignment <= 16: the block is own_malloc'd and starts
 * OWN_BOX_HEAP_HEADER bytes before the value. Made inline (constant layout)
 * or by the library (layout known at run time, or the parenthesised name):
 * the same boxes either way. */

#ifndef OWN_TEST_NO_HEAP
static void *heap_block(const void *box) { return (char *)(uintptr_t)box - OWN_BOX_HEAP_HEADER; }

static int block_live_at_drop;
static void check_live_drop(void *v) {
  drops++;
  drop_seen_value = *(int *)v;
  block_live_at_drop = own_is_live_block(heap_block(v)); /* not freed yet */
}

static own_layout_t volatile runtime_layout; /* a layout the compiler cannot see */

static void check_heap_box(void *p, size_t size, size_t align, own_drop_fn_t drop) {
  OWN_CHECK(p != NULL);
  OWN_CHECK_EQ((uintptr_t)p % align, 0);
  OWN_CHECK_EQ((uintptr_t)p % 16, 0);
  OWN_CHECK(own_is_live_block(heap_block(p)));
  OWN_CHECK(own_malloc_usable_size(heap_block(p)) >= OWN_BOX_HEAP_HEADER + size);
  OWN_CHECK_EQ(own_box_layout(p).size, size);
  OWN_CHECK_EQ(own_box_layout(p).align, align);
  OWN_CHECK(own_box_allocator(p) == NULL);
  OWN_CHECK(own_box_drop_fn(p) == drop);
}

struct three {
  int a, b, c;
};
struct al16 {
  alignas(16) char c[20];
};

static void test_heap_form(void) {
  /* Constant layouts: the inline constructors. */
  drops = 0;
  int *i = OWN_BOX_OF(int, NULL, check_live_drop, 77);
  check_heap_box(i, sizeof(int), alignof(int), check_live_drop);
  OWN_CHECK_EQ(*i, 77);
  void *blk = launder(heap_block(i));
  own_box_drop(i);
  OWN_CHECK_EQ(drops, 1);
  OWN_CHECK_EQ(drop_seen_value, 77);
  OWN_CHECK(block_live_at_drop);       /* the drop function ran first */
  OWN_CHECK(!own_is_live_block(blk));  /* then the block was freed */

  struct three *t = OWN_BOX_NEW(struct three, NULL, NULL);
  check_heap_box(t, sizeof *t, alignof(struct three), NULL);
  t->a = 1, t->c = 3;
  struct al16 *a16 = OWN_BOX_NEW(struct al16, NULL, NULL);
  check_heap_box(a16, sizeof *a16, 16, NULL);
  memset(a16, 7, sizeof *a16);
  unsigned char *z = own_box_new_zeroed(NULL, (own_layout_t){48, 2}, NULL);
  check_heap_box(z, 48, 2, NULL);
  int nonzero = 0;
  for (int k = 0; k < 48; k++) nonzero += z[k] != 0;
  OWN_CHECK_EQ(nonzero, 0);
  struct three *f = OWN_BOX_TRY_OF(struct three, NULL, NULL, 4, 5, 6);
  check_heap_box(f, sizeof *f, alignof(struct three), NULL);
  OWN_CHECK(f->a == 4 && f->b == 5 && f->c == 6);
  long *tn = OWN_BOX_TRY_NEW(long, NULL, record_drop);
  check_heap_box(tn, sizeof(long), alignof(long), record_drop);
  unsigned char *tz = own_box_try_new_zeroed(NULL, (own_layout_t){0, 1}, NULL);
  check_heap_box(tz, 0, 1, NULL);
  struct three out = {0, 0, 0};
  own_box_into_inner(f, &out); /* moved out: freed, no drop */
  OWN_CHECK(out.a == 4 && out.c == 6);
  *tn = 5;
  drops = 0;
  own_box_drop(tn);
  OWN_CHECK_EQ(drops, 1);
  own_box_drop(tz);
  own_box_drop(z);
  own_box_drop(a16);
  own_box_drop(t);

  /* Layouts known only at run time: the library's constructors. */
  static const size_t aligns[] = {1, 2, 4, 8, 16};
  static const size_t sizes[] = {0, 1, 24, 1000, 70000};
  for (size_t ai = 0; ai < sizeof aligns / sizeof aligns[0]; ai++) {
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
      runtime_layout = (own_layout_t){sizes[si], aligns[ai]};
      own_layout_t l = runtime_layout;
      void *b[6];
      b[0] = own_box_new(NULL, l, NULL);
      b[1] = own_box_try_new(NULL, l, count_drop); /* sizes 0 and 1 hold no int */
      b[2] = own_box_new_zeroed(NULL, l, NULL);
      b[3] = own_box_try_new_zeroed(NULL, l, NULL);
      b[4] = own_box_from(NULL, l, NULL, b[2]);
      b[5] = own_box_try_from(NULL, l, NULL, b[2]);
      for (int k = 0; k < 6; k++) {
        check_heap_box(b[k], l.size, l.align, k == 1 ? count_drop : NULL);
        memset(b[k], 0x33, l.size);
      }
      drops = 0;
      for (int k = 5; k >= 0; k--) own_box_drop(b[k]);
      OWN_CHECK_EQ(drops, 1);
    }
  }
  /* The library function itself, under its own name. */
  void *lib = (own_box_new)(NULL, OWN_LAYOUT_OF(int), NULL);
  check_heap_box(lib, sizeof(int), alignof(int), NULL);
  own_box_drop(lib);

  /* Not the heap form: an allocator given, alignment above 16, 2^29 bytes or
   * more. The last is only described, never allocated: try_ with a layout
   * too large to allocate at all still reaches the general form's errors. */
  struct al32 *a32 = OWN_BOX_NEW(struct al32, NULL, NULL);
  OWN_CHECK_EQ((uintptr_t)a32 % 32, 0);
  OWN_CHECK(!own_is_live_block(heap_block(a32)) || (uintptr_t)a32 % 64 != 16);
  OWN_CHECK_EQ(own_box_layout(a32).align, 32);
  own_box_drop(a32);
  errno = 0;
  OWN_CHECK(own_box_try_new(NULL, (own_layout_t){(size_t)PTRDIFF_MAX - 64, 16}, NULL) == NULL);
  OWN_CHECK_EQ(errno, ENOMEM);
}

/* The one-call constructor, _own_box_alloc: the fast path (a block of at most
 * 1 KiB from the thread's direct table), the general path (larger blocks,
 * through own_malloc), the same header either way, and a thread whose very
 * first allocation is a box (its heap is not set up yet: the slow path). */
static void check_entry_box(uint32_t layout, own_drop_fn_t drop, bool try_) {
  size_t size = layout >> 3, align = (size_t)1 << (layout & 7);
  unsigned char *p = try_ ? _own_box_try_alloc(layout, drop) : _own_box_alloc(layout, drop);
  check_heap_box(p, size, align, drop);
  memset(p, 0x5a, size);        /* the whole value is writable */
  OWN_CHECK_EQ(own_box_layout(p).size, size); /* and the header intact */
  void *blk = launder(heap_block(p));
  drops = 0;
  own_box_drop(p);
  OWN_CHECK_EQ(drops, drop ? 1 : 0);
  OWN_CHECK(!own_is_live_block(blk));
}

static void *first_alloc_is_box(void *arg) {
  (void)arg;
  int *b = OWN_BOX_OF(int, NULL, NULL, 41);
  int ok = b != NULL && *b == 41 && own_is_live_block(heap_block(b)) &&
           own_box_layout(b).size == sizeof(int);
  own_box_drop(b);
  return ok ? b : NULL; /* only compared with NULL */
}

static void test_heap_form_entry(void) {
  static const size_t sizes[] = {0, 1, 8, 16, 100, 1008, 1009, 5000};
  for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
    for (unsigned lg = 0; lg <= 4; lg++) {
      uint32_t layout = (uint32_t)(sizes[si] << 3) | lg;
      check_entry_box(layout, NULL, false);
      check_entry_box(layout, count_drop, true);
    }
  }
  /* Many at once: every block distinct and live until its own drop. */
  enum { N = 300 };
  void *b[N];
  for (int k = 0; k < N; k++) {
    b[k] = _own_box_alloc((uint32_t)((size_t)(k % 50) << 3) | 3u, NULL);
    memset(b[k], k, (size_t)(k % 50));
  }
  int bad = 0;
  for (int k = 0; k < N; k++) {
    for (size_t j = 0; j < (size_t)(k % 50); j++) bad += ((unsigned char *)b[k])[j] != (unsigned char)k;
    bad += !own_is_live_block(heap_block(b[k]));
  }
  OWN_CHECK_EQ(bad, 0);
  for (int k = N - 1; k >= 0; k--) own_box_drop(b[k]);
}

/* Run first in main: creating a thread makes the C library calloc its TLS
 * block from own's heap, and under OWN_VALGRIND memcheck then reports the
 * heap's zeroing of memory that held large blocks freed earlier (a heap
 * matter, not Box's). */
static void test_heap_form_entry_new_thread(void) {
  pthread_t t;
  void *res = NULL;
  OWN_CHECK_EQ(pthread_create(&t, NULL, first_alloc_is_box, NULL), 0);
  OWN_CHECK_EQ(pthread_join(t, &res), 0);
  OWN_CHECK(res != NULL);
}

/* Out of memory on the one-call constructor, in a child whose address space
 * is capped: the largest heap-form value (2^29 - 1 bytes) cannot be had.
 * try_ gives NULL with ENOMEM, the plain one calls the out-of-memory handler. */
static void entry_oom(void *arg) {
  (void)arg;
  struct rlimit rl;
  FILE *f = fopen("/proc/self/statm", "r");
  unsigned long pages = 0;
  if (!f || fscanf(f, "%lu", &pages) != 1) exit(3);
  fclose(f);
  rl.rlim_cur = rl.rlim_max = (rlim_t)pages * 4096 + ((rlim_t)64 << 20);
  if (setrlimit(RLIMIT_AS, &rl) != 0) exit(4);
  uint32_t biggest = (uint32_t)((OWN_BOX_HEAP_SIZE_LIMIT - 1) << 3) | 3u;
  errno = 0;
  void *p = _own_box_try_alloc(biggest, NULL);
  if (p != NULL || errno != ENOMEM) exit(5);
  p = _own_box_alloc(biggest, NULL);
  printf("returned %p\n", p);
}

/* Run-time checks on heap-form boxes. Another block of the same size stays
 * live throughout, so the dropped block's page is not given back and its tag
 * can be read again. */
static void self_drop_heap(void *v) {
  drops++;
  own_box_drop(launder(v)); /* drops its own box again: reported, not freed */
}
static void test_heap_form_misuse(void) {
  int *guard = OWN_BOX_OF(int, NULL, NULL, 0);
  drops = 0;
  int *p = OWN_BOX_OF(int, NULL, record_drop, 9);
  int *again = launder(p);
  own_box_drop(p);
  OWN_CHECK_EQ(drops, 1);
  capture_begin();
  own_box_drop(again); /* the block is free, its tag says "dead" */
  OWN_CHECK_EQ(captured.count, 1);
  OWN_CHECK_EQ(captured.last, OWN_ERR_DOUBLE_FREE);
  OWN_CHECK(strstr(captured.msg, "already dropped") != NULL);
  OWN_CHECK_EQ(drops, 1); /* the drop function did not run again */
  capture_end();

  /* A drop function dropping its own box: one report, one free (a second
   * free would be own's heap reporting a double free: count 2). */
  drops = 0;
  capture_begin();
  int *s = OWN_BOX_OF(int, NULL, self_drop_heap, 1);
  void *sblk = launder(heap_block(s));
  own_box_drop(s);
  OWN_CHECK_EQ(drops, 1);
  OWN_CHECK_EQ(captured.count, 1);
  OWN_CHECK_EQ(captured.last, OWN_ERR_DOUBLE_FREE);
  OWN_CHECK(!own_is_live_block(sblk));
  capture_end();

  /* Wrong kinds, both ways. */
  capture_begin();
  int *b = OWN_BOX_OF(int, NULL, NULL, 2);
  own_rc_drop(launder(b)); /* a box is not an rc */
  OWN_CHECK_EQ(captured.last, OWN_ERR_INVALID_FREE);
  OWN_CHECK(strstr(captured.msg, "this is an own box, not an own rc") != NULL);
  OWN_CHECK(own_is_live_block(heap_block(b))); /* and it was left alone */
  OWN_CHECK_EQ(*b, 2);
  int *r = OWN_RC_OF(int, NULL, NULL, 3);
  own_box_drop(launder(r)); /* an rc is not a box */
  OWN_CHECK_EQ(captured.last, OWN_ERR_INVALID_FREE);
  OWN_CHECK(strstr(captured.msg, "this is an own rc, not an own box") != NULL);
  OWN_CHECK_EQ(own_rc_strong_count(r), 1);
  capture_end();
  own_rc_drop(r);
  own_box_drop(b);
  own_box_drop(guard);
}

/* own_box_drop's common case (alloc/box_entry.c: a heap-form box without a
 * drop function, dropped by its segment's owner thread) and every case it
 * hands on: a second drop, a pointer inside a box, a box dropped by another
 * thread, a box in a huge block, NULL. */
static void *drop_on_thread(void *arg) {
  own_box_drop(arg);
  return NULL;
}
static void test_heap_form_fast_drop(void) {
  int *guard = OWN_BOX_OF(int, NULL, NULL, 0); /* keeps the page (and tags) in place */
  capture_begin();

  /* Dropped twice: freed once, then reported; the free list stays sound. */
  long *p = OWN_BOX_OF(long, NULL, NULL, 1);
  void *blk = launder(heap_block(p));
  long *again = launder(p);
  own_box_drop(p);
  OWN_CHECK(!own_is_live_block(blk));
  OWN_CHECK_EQ(captured.count, 0);
  own_box_drop(again);
  OWN_CHECK_EQ(captured.count, 1);
  OWN_CHECK_EQ(captured.last, OWN_ERR_DOUBLE_FREE);
  long *q1 = OWN_BOX_OF(long, NULL, NULL, 2), *q2 = OWN_BOX_OF(long, NULL, NULL, 3);
  OWN_CHECK(q1 != q2);
  OWN_CHECK(*q1 == 2 && *q2 == 3);
  own_box_drop(q2);
  own_box_drop(q1);

  /* A pointer inside a box: not a box, reported, the box left alone. */
  unsigned char *big = own_box_new(NULL, (own_layout_t){64, 16}, NULL);
  memset(big, 0x11, 64);
  own_box_drop(launder(big + 16));
  OWN_CHECK_EQ(captured.count, 2);
  OWN_CHECK_EQ(captured.last, OWN_ERR_INVALID_FREE);
  OWN_CHECK(own_is_live_block(heap_block(big)));
  own_box_drop(big);

  /* NULL: nothing at all. */
  own_box_drop(NULL);
  OWN_CHECK_EQ(captured.count, 2);
  capture_end();

  /* Made here, dropped by another thread: the remote path of own_free. */
  enum { N = 64 };
  void *b[N];
  for (int k = 0; k < N; k++) b[k] = OWN_BOX_OF(int, NULL, NULL, k);
  for (int k = 0; k < N; k++) {
    pthread_t t;
    OWN_CHECK_EQ(pthread_create(&t, NULL, drop_on_thread, b[k]), 0);
    OWN_CHECK_EQ(pthread_join(t, NULL), 0);
  }
  /* A heap-form box in a huge block (8 MiB value). */
  unsigned char *h = own_box_new(NULL, (own_layout_t){(size_t)8 << 20, 8}, NULL);
  h[0] = 1, h[((size_t)8 << 20) - 1] = 2;
  void *hblk = launder(heap_block(h));
  own_box_drop(h);
  OWN_CHECK(!own_is_live_block(hblk));
  own_box_drop(guard);
}
#endif

/* The misuse tests read the tags of boxes already dropped, on purpose: under
 * memcheck (which sees own's blocks in an OWN_VALGRIND build) those reads are
 * rightly reported, so they run only outside valgrind. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define UNDER_VALGRIND() (RUNNING_ON_VALGRIND != 0)
#else
#define UNDER_VALGRIND() 0
#endif

int main(void) {
  A = test_alloc_make(&ta);
#ifndef OWN_TEST_NO_HEAP
  test_heap_form_entry_new_thread();
#endif
  test_new_drop();
  test_box_of();
  test_take_and_into_inner();
  test_drop_order();
  test_alignment();
  test_try_failures();
  test_oom_death();
  if (!UNDER_VALGRIND()) {
    test_double_and_wrong_drop();
    test_reentrant_drop();
  }
  test_default_heap();
#ifndef OWN_TEST_NO_HEAP
  test_heap_form();
  test_heap_form_entry();
  /* A capped address space starves valgrind and the sanitizers' runtimes. */
  if (!UNDER_VALGRIND() && !SANITIZED) OWN_EXPECT_DEATH(entry_oom, NULL, SIGABRT, "out of memory");
  if (!UNDER_VALGRIND()) test_heap_form_misuse();
  if (!UNDER_VALGRIND()) test_heap_form_fast_drop();
#endif
  CHECK_NO_LEAK();
  CHECK_FREES_OK();
  return own_test_done();
}
