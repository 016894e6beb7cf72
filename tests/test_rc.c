/* test_rc.c — Rc and Weak: counts as Rust defines them, the value dropped
 * exactly once with the last strong reference, the memory freed with the last
 * weak one, upgrade failing after that, get_mut / try_unwrap / into_inner,
 * a parent/child cycle broken by a weak reference, overflow as a death test,
 * failure injection. Zero live blocks at the end of each test. */
#include <errno.h>
#include <stdalign.h>

#include "ownership/ownership.h"
#include "own/box.h"
#include "own/rc.h"
#include "test_ownership_common.h"
#include "testing.h"

static test_alloc_t ta;
static own_allocator_t A;

#define CHECK_NO_LEAK() OWN_CHECK_EQ(atomic_load(&ta.live_blocks), 0)

static int drops;
static int strong_seen_in_drop = -1;
static own_rc_weak_t *watch; /* a weak reference observed from the drop function */
static void record_drop(void *v) {
  (void)v;
  drops++;
  if (watch) {
    strong_seen_in_drop = (int)own_rc_weak_strong_count(watch);
    OWN_CHECK(own_rc_upgrade(watch) == NULL); /* no revival from inside the drop */
  }
}

static void test_counts_and_drop_once(void) {
  drops = 0;
  int *a = OWN_RC_OF(int, &A, record_drop, 10);
  OWN_CHECK_EQ(own_rc_strong_count(a), 1);
  OWN_CHECK_EQ(own_rc_weak_count(a), 0);
  int *b = OWN_RC_CLONE(a);
  int *c = own_rc_clone(b);
  OWN_CHECK(own_rc_ptr_eq(a, b) && own_rc_ptr_eq(b, c));
  OWN_CHECK_EQ(own_rc_strong_count(a), 3);
  OWN_CHECK_EQ(*c, 10);
  OWN_CHECK_EQ(atomic_load(&ta.live_blocks), 1); /* one allocation shared */
  own_rc_drop(a);
  own_rc_drop(c);
  OWN_CHECK_EQ(drops, 0);
  OWN_CHECK_EQ(own_rc_strong_count(b), 1);
  own_rc_drop(b);
  OWN_CHECK_EQ(drops, 1);
  CHECK_NO_LEAK();
  own_rc_drop(NULL);
}

static void test_weak(void) {
  drops = 0;
  int *a = OWN_RC_OF(int, &A, record_drop, 5);
  own_rc_weak_t *w = own_rc_downgrade(a);
  own_rc_weak_t *w2 = own_rc_weak_clone(w);
  OWN_CHECK(own_rc_weak_ptr_eq(w, w2));
  OWN_CHECK_EQ(own_rc_weak_count(a), 2);
  OWN_CHECK_EQ(own_rc_weak_strong_count(w), 1);
  OWN_CHECK_EQ(own_rc_weak_weak_count(w), 2);

  int *up = own_rc_upgrade(w);
  OWN_CHECK(up == a);
  OWN_CHECK_EQ(own_rc_strong_count(a), 2);
  own_rc_drop(up);

  watch = w;
  own_rc_drop(a); /* last strong: value dropped, memory kept for the weaks */
  watch = NULL;
  OWN_CHECK_EQ(drops, 1);
  OWN_CHECK_EQ(strong_seen_in_drop, 0);
  OWN_CHECK_EQ(atomic_load(&ta.live_blocks), 1);
  OWN_CHECK(own_rc_upgrade(w) == NULL);
  OWN_CHECK(own_rc_upgrade(w2) == NULL);
  OWN_CHECK_EQ(own_rc_weak_strong_count(w), 0);
  OWN_CHECK_EQ(own_rc_weak_weak_count(w), 0);
  own_rc_weak_drop(w);
  OWN_CHECK_EQ(atomic_load(&ta.live_blocks), 1);
  own_rc_weak_drop(w2); /* last weak: memory freed */
  CHECK_NO_LEAK();
  OWN_CHECK_EQ(drops, 1);

  /* The empty weak reference. */
  OWN_CHECK(own_rc_upgrade(NULL) == NULL);
  OWN_CHECK(own_rc_weak_clone(NULL) == NULL);
  OWN_CHECK_EQ(own_rc_weak_strong_count(NULL), 0);
  own_rc_weak_drop(NULL);
}

static void test_get_mut_unwrap(void) {
  drops = 0;
  int *a = OWN_RC_OF(int, &A, record_drop, 1);
  int *m = own_rc_get_mut(a);
  OWN_CHECK(m == a);
  *m = 2;
  int *b = own_rc_clone(a);
  OWN_CHECK(own_rc_get_mut(a) == NULL); /* shared */
  int out = 0;
  OWN_CHECK(!own_rc_try_unwrap(a, &out)); /* a is still ours */
  OWN_CHECK_EQ(own_rc_strong_count(a), 2);
  own_rc_drop(b);
  own_rc_weak_t *w = own_rc_downgrade(a);
  OWN_CHECK(own_rc_get_mut(a) == NULL); /* a weak reference exists */
  OWN_CHECK(own_rc_try_unwrap(a, &out));  /* only strong: moved out, no drop */
  OWN_CHECK_EQ(out, 2);
  OWN_CHECK_EQ(drops, 0);
  OWN_CHECK(own_rc_upgrade(w) == NULL);
  own_rc_weak_drop(w);
  CHECK_NO_LEAK();

  /* into_inner: consumes the reference either way. */
  a = OWN_RC_OF(int, &A, record_drop, 7);
  b = own_rc_clone(a);
  out = 0;
  OWN_CHECK(!own_rc_into_inner(a, &out));
  OWN_CHECK_EQ(own_rc_strong_count(b), 1);
  OWN_CHECK(own_rc_into_inner(b, &out));
  OWN_CHECK_EQ(out, 7);
  OWN_CHECK_EQ(drops, 0);
  CHECK_NO_LEAK();
}

/* A tree: parents own children strongly, children point to parents weakly. */
struct node {
  int id;
  own_rc_weak_t *parent;
  struct node *child; /* strong */
};
static int node_drops;
static void node_drop(void *v) {
  struct node *n = (struct node *)v;
  node_drops++;
  own_rc_weak_drop(OWN_TAKE(n->parent));
  own_rc_drop(OWN_TAKE(n->child));
}

static void test_tree_no_cycle_leak(void) {
  node_drops = 0;
  struct node *root = OWN_RC_OF(struct node, &A, node_drop, .id = 1);
  struct node *kid = OWN_RC_OF(struct node, &A, node_drop, .id = 2);
  kid->parent = own_rc_downgrade(root);
  root->child = own_rc_clone(kid);
  struct node *p = own_rc_upgrade(kid->parent);
  OWN_CHECK(p == root && p->id == 1);
  own_rc_drop(p);
  own_rc_drop(kid);
  OWN_CHECK_EQ(node_drops, 0);
  own_rc_drop(root); /* root dropped, drops its child, whose weak parent ref frees root */
  OWN_CHECK_EQ(node_drops, 2);
  CHECK_NO_LEAK();
}

static void test_alignment_and_failure(void) {
  struct big {
    alignas(64) char c[70];
  };
  struct big *b = OWN_RC_NEW(struct big, &A, NULL);
  OWN_CHECK_EQ((uintptr_t)b % 64, 0);
  own_rc_drop(b);
  own_layout_t l = {10, 4096};
  void *p = own_rc_new(&A, l, NULL);
  OWN_CHECK_EQ((uintptr_t)p % 4096, 0);
  own_rc_drop(p);

  test_alloc_fail_nth(&ta, 1);
  errno = 0;
  OWN_CHECK(OWN_RC_TRY_NEW(int, &A, NULL) == NULL);
  OWN_CHECK_EQ(errno, ENOMEM);
  OWN_CHECK(own_rc_try_new(&A, (own_layout_t){SIZE_MAX / 2, 8}, NULL) == NULL);
  int *q = OWN_RC_TRY_OF(int, &A, NULL, 3);
  OWN_CHECK(q != NULL && *q == 3);
  own_rc_drop(q);
  CHECK_NO_LEAK();
}

static void oom_plain(void *arg) {
  (void)arg;
  test_alloc_fail_nth(&ta, 1);
  int *p = OWN_RC_OF(int, &A, NULL, 1);
  printf("returned %p\n", (void *)p);
}

/* Counts near their limit, set through the header (layout: ownership.h). */
typedef struct {
  size_t strong, weak;
  _own_meta_t meta;
} rc_hdr_view;
static void strong_overflow(void *arg) {
  (void)arg;
  int *a = OWN_RC_OF(int, &A, NULL, 1);
  ((rc_hdr_view *)((char *)a - sizeof(rc_hdr_view)))->strong = (size_t)PTRDIFF_MAX;
  int *b = own_rc_clone(a);
  printf("returned %p\n", (void *)b);
}
static void weak_overflow(void *arg) {
  (void)arg;
  int *a = OWN_RC_OF(int, &A, NULL, 1);
  ((rc_hdr_view *)((char *)a - sizeof(rc_hdr_view)))->weak = (size_t)PTRDIFF_MAX;
  own_rc_weak_t *w = own_rc_downgrade(a);
  printf("returned %p\n", (void *)w);
}

static void test_deaths(void) {
  OWN_EXPECT_DEATH(oom_plain, NULL, SIGABRT, "out of memory");
  OWN_EXPECT_DEATH(strong_overflow, NULL, SIGABRT, "reference count overflow");
  OWN_EXPECT_DEATH(weak_overflow, NULL, SIGABRT, "reference count overflow");
}

static void test_misuse_detected(void) {
  keep_alloc_t k;
  own_allocator_t KA = keep_alloc_make(&k);
  drops = 0;
  int *a = OWN_RC_OF(int, &KA, record_drop, 1);
  int *again = launder(a);
  own_rc_drop(a);
  capture_begin();
  own_rc_drop(again); /* the value is gone: reported, not dropped twice */
  OWN_CHECK_EQ(captured.last, OWN_ERR_DOUBLE_FREE);
  OWN_CHECK_EQ(drops, 1);
  int *b = OWN_BOX_OF(int, &KA, NULL, 1);
  own_rc_drop(launder(b));
  OWN_CHECK_EQ(captured.last, OWN_ERR_INVALID_FREE);
  OWN_CHECK(strstr(captured.msg, "own box, not an own rc") != NULL);
  capture_end();
  own_box_drop(b);
  OWN_CHECK_EQ(k.frees, 2);
  keep_release_all(&k);
}

static void test_default_heap(void) {
#ifndef OWN_TEST_NO_HEAP
  drops = 0;
  int *a = OWN_RC_OF(int, NULL, record_drop, 3);
  own_rc_weak_t *w = own_rc_downgrade(a);
  int *b = own_rc_upgrade(w);
  own_rc_drop(a);
  own_rc_drop(b);
  OWN_CHECK_EQ(drops, 1);
  OWN_CHECK(own_rc_upgrade(w) == NULL);
  own_rc_weak_drop(w);
#endif
}

int main(void) {
  A = test_alloc_make(&ta);
  test_counts_and_drop_once();
  test_weak();
  test_get_mut_unwrap();
  test_tree_no_cycle_leak();
  test_alignment_and_failure();
  test_deaths();
  test_misuse_detected();
  test_default_heap();
  CHECK_NO_LEAK();
  OWN_CHECK_EQ(atomic_load(&ta.bad_frees), 0);
  return own_test_done();
}
