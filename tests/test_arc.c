/* test_arc.c — Arc and Weak: the Rc behaviours again with atomic counts, and
 * the concurrent ones: many threads cloning, dropping, downgrading and
 * upgrading one value, which must be dropped exactly once, by whichever
 * thread releases last, with every block returned to the counting allocator;
 * into_inner racing on the last references (exactly one winner); get_mut
 * racing with downgrade. */
#include <errno.h>
#include <pthread.h>
#include <stdalign.h>

#include "ownership/ownership.h"
#include "own/arc.h"
#include "own/box.h"
#include "test_ownership_common.h"
#include "testing.h"

static test_alloc_t ta;
static own_allocator_t A;

#define CHECK_NO_LEAK() OWN_CHECK_EQ(atomic_load(&ta.live_blocks), 0)

static atomic_int drops;
static void record_drop(void *v) {
  (void)v;
  atomic_fetch_add(&drops, 1);
}

static void test_single_thread(void) {
  atomic_store(&drops, 0);
  long *a = OWN_ARC_OF(long, &A, record_drop, 42);
  long *b = OWN_ARC_CLONE(a);
  OWN_CHECK(own_arc_ptr_eq(a, b));
  OWN_CHECK_EQ(own_arc_strong_count(a), 2);
  own_arc_weak_t *w = own_arc_downgrade(b);
  OWN_CHECK_EQ(own_arc_weak_count(a), 1);
  OWN_CHECK_EQ(own_arc_weak_weak_count(w), 1);
  OWN_CHECK(own_arc_get_mut(a) == NULL);
  own_arc_drop(b);
  OWN_CHECK(own_arc_get_mut(a) == NULL); /* weak still there */
  long *c = own_arc_upgrade(w);
  OWN_CHECK(c == a);
  own_arc_drop(c);
  own_arc_drop(a);
  OWN_CHECK_EQ(atomic_load(&drops), 1);
  OWN_CHECK(own_arc_upgrade(w) == NULL);
  OWN_CHECK_EQ(own_arc_weak_strong_count(w), 0);
  OWN_CHECK_EQ(own_arc_weak_weak_count(w), 0);
  OWN_CHECK_EQ(atomic_load(&ta.live_blocks), 1);
  own_arc_weak_t *w2 = own_arc_weak_clone(w);
  own_arc_weak_drop(w);
  own_arc_weak_drop(w2);
  CHECK_NO_LEAK();

  a = OWN_ARC_OF(long, &A, record_drop, 5);
  long *m = own_arc_get_mut(a);
  OWN_CHECK(m == a);
  *m = 6;
  long out = 0;
  b = own_arc_clone(a);
  OWN_CHECK(!own_arc_try_unwrap(a, &out));
  OWN_CHECK(!own_arc_into_inner(b, &out)); /* consumed b only */
  OWN_CHECK_EQ(own_arc_strong_count(a), 1);
  OWN_CHECK(own_arc_try_unwrap(a, &out));
  OWN_CHECK_EQ(out, 6);
  OWN_CHECK_EQ(atomic_load(&drops), 1); /* moved out, not dropped */
  CHECK_NO_LEAK();

  struct big {
    alignas(128) char c[3];
  };
  struct big *g = OWN_ARC_NEW(struct big, &A, NULL);
  OWN_CHECK_EQ((uintptr_t)g % 128, 0);
  own_arc_drop(g);
  test_alloc_fail_nth(&ta, 1);
  errno = 0;
  OWN_CHECK(OWN_ARC_TRY_NEW(long, &A, NULL) == NULL);
  OWN_CHECK_EQ(errno, ENOMEM);
  CHECK_NO_LEAK();
}

/* ---- threads ------------------------------------------------------------------ */

#define THREADS 8
#define ROUNDS 20000

typedef struct {
  long *shared;           /* a strong reference owned by this thread */
  own_arc_weak_t *weak;   /* a weak reference owned by this thread */
  long upgrades_ok;
  pthread_barrier_t *start;
} worker_t;

/* Checks made on worker threads are counted here and asserted by main
 * (the harness counters are not thread-safe). */
static atomic_long thread_errors;

static void *churn(void *arg) {
  worker_t *w = (worker_t *)arg;
  pthread_barrier_wait(w->start);
  for (int i = 0; i < ROUNDS; i++) {
    long *c = own_arc_clone(w->shared);
    if (*c != 1234) atomic_fetch_add(&thread_errors, 1); /* alive while referenced */
    own_arc_weak_t *wk = own_arc_downgrade(c);
    own_arc_drop(c);
    long *u = own_arc_upgrade(wk);
    if (u) {
      w->upgrades_ok++;
      own_arc_drop(u);
    }
    own_arc_weak_drop(wk);
  }
  own_arc_drop(OWN_TAKE(w->shared)); /* threads finish in any order: the last one drops */
  /* After our strong reference is gone, the weak one may or may not upgrade. */
  for (int i = 0; i < 1000; i++) {
    long *u = own_arc_upgrade(w->weak);
    if (!u) break;
    if (*u != 1234) atomic_fetch_add(&thread_errors, 1);
    own_arc_drop(u);
  }
  own_arc_weak_drop(OWN_TAKE(w->weak));
  return NULL;
}

static void test_threads_clone_drop(void) {
  for (int rep = 0; rep < 5; rep++) {
    atomic_store(&drops, 0);
    long *v = OWN_ARC_OF(long, &A, record_drop, 1234);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, THREADS);
    worker_t ws[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
      ws[i] = (worker_t){own_arc_clone(v), own_arc_downgrade(v), 0, &start};
    }
    own_arc_drop(OWN_TAKE(v)); /* the main thread lets go before the threads run */
    for (int i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, churn, &ws[i]);
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);
    OWN_CHECK_EQ(atomic_load(&drops), 1);
    OWN_CHECK_EQ(atomic_load(&thread_errors), 0);
    CHECK_NO_LEAK();
    long ok = 0;
    for (int i = 0; i < THREADS; i++) ok += ws[i].upgrades_ok;
    OWN_CHECK_EQ(ok, (long)THREADS * ROUNDS); /* a strong ref was held: every upgrade works */
  }
}

/* into_inner on the last references from several threads: exactly one wins. */
typedef struct {
  long *ref;
  long out;
  bool won;
  pthread_barrier_t *start;
} racer_t;
static void *race_into_inner(void *arg) {
  racer_t *r = (racer_t *)arg;
  pthread_barrier_wait(r->start);
  r->won = own_arc_into_inner(OWN_TAKE(r->ref), &r->out);
  return NULL;
}
static void test_into_inner_race(void) {
  for (int rep = 0; rep < 200; rep++) {
    atomic_store(&drops, 0);
    long *v = OWN_ARC_OF(long, &A, record_drop, rep);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, 4);
    racer_t rs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) rs[i] = (racer_t){i ? own_arc_clone(v) : v, -1, false, &start};
    for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, race_into_inner, &rs[i]);
    int winners = 0;
    for (int i = 0; i < 4; i++) {
      pthread_join(th[i], NULL);
      if (rs[i].won) {
        winners++;
        OWN_CHECK_EQ(rs[i].out, rep);
      }
    }
    pthread_barrier_destroy(&start);
    OWN_CHECK_EQ(winners, 1);
    OWN_CHECK_EQ(atomic_load(&drops), 0);
    CHECK_NO_LEAK();
  }
}

/* get_mut while another thread downgrades/upgrades: get_mut must never hand
 * out the value while a weak reference that could upgrade exists. */
typedef struct {
  long *arc;
  atomic_bool stop;
  atomic_long upgraded;
} gm_t;
static void *downgrader(void *arg) {
  gm_t *g = (gm_t *)arg;
  long *mine = own_arc_clone(g->arc);
  while (!atomic_load(&g->stop)) {
    own_arc_weak_t *w = own_arc_downgrade(mine);
    long *u = own_arc_upgrade(w);
    if (u) {
      atomic_fetch_add(&g->upgraded, 1);
      own_arc_drop(u);
    }
    own_arc_weak_drop(w);
  }
  own_arc_drop(mine);
  return NULL;
}
static void test_get_mut_race(void) {
  gm_t g;
  g.arc = OWN_ARC_OF(long, &A, NULL, 0);
  atomic_init(&g.stop, false);
  atomic_init(&g.upgraded, 0);
  pthread_t th;
  pthread_create(&th, NULL, downgrader, &g);
  int unique = 0;
  for (int i = 0; i < 20000; i++) {
    if (own_arc_get_mut(g.arc)) unique++; /* possible only after the thread's own drop */
  }
  atomic_store(&g.stop, true);
  pthread_join(th, NULL);
  OWN_CHECK(own_arc_get_mut(g.arc) == g.arc); /* now alone again */
  OWN_CHECK_EQ(own_arc_strong_count(g.arc), 1);
  OWN_CHECK_EQ(own_arc_weak_count(g.arc), 0);
  own_arc_drop(g.arc);
  (void)unique;
  CHECK_NO_LEAK();
}

/* ---- death tests --------------------------------------------------------------- */

typedef struct {
  _Atomic size_t strong, weak;
  _own_meta_t meta;
} arc_hdr_view;
static arc_hdr_view *view(void *v) { return (arc_hdr_view *)((char *)v - sizeof(arc_hdr_view)); }

static void strong_overflow(void *arg) {
  (void)arg;
  long *a = OWN_ARC_OF(long, &A, NULL, 1);
  atomic_store(&view(a)->strong, (size_t)PTRDIFF_MAX + 1);
  long *b = own_arc_clone(a);
  printf("returned %p\n", (void *)b);
}
static void weak_overflow(void *arg) {
  (void)arg;
  long *a = OWN_ARC_OF(long, &A, NULL, 1);
  atomic_store(&view(a)->weak, (size_t)PTRDIFF_MAX);
  own_arc_weak_t *w = own_arc_downgrade(a);
  printf("returned %p\n", (void *)w);
}
static void upgrade_overflow(void *arg) {
  (void)arg;
  long *a = OWN_ARC_OF(long, &A, NULL, 1);
  own_arc_weak_t *w = own_arc_downgrade(a);
  atomic_store(&view(a)->strong, (size_t)PTRDIFF_MAX);
  long *b = own_arc_upgrade(w);
  printf("returned %p\n", (void *)b);
}
static void oom_plain(void *arg) {
  (void)arg;
  test_alloc_fail_nth(&ta, 1);
  long *a = OWN_ARC_NEW(long, &A, NULL);
  printf("returned %p\n", (void *)a);
}

static void test_deaths(void) {
  OWN_EXPECT_DEATH(strong_overflow, NULL, SIGABRT, "reference count overflow");
  OWN_EXPECT_DEATH(weak_overflow, NULL, SIGABRT, "reference count overflow");
  OWN_EXPECT_DEATH(upgrade_overflow, NULL, SIGABRT, "reference count overflow");
  OWN_EXPECT_DEATH(oom_plain, NULL, SIGABRT, "out of memory");
}

static void test_misuse_detected(void) {
  keep_alloc_t k;
  own_allocator_t KA = keep_alloc_make(&k);
  atomic_store(&drops, 0);
  long *a = OWN_ARC_OF(long, &KA, record_drop, 1);
  own_arc_weak_t *w = own_arc_downgrade(a); /* keeps the memory after the drop */
  long *again = launder(a);
  own_arc_drop(a);
  capture_begin();
  own_arc_drop(again);
  OWN_CHECK_EQ(captured.last, OWN_ERR_DOUBLE_FREE);
  OWN_CHECK_EQ(atomic_load(&drops), 1);
  OWN_CHECK_EQ(own_arc_weak_strong_count(w), 0); /* count restored, not wrapped */
  long *b = OWN_BOX_OF(long, &KA, NULL, 1);
  own_arc_drop(launder(b));
  OWN_CHECK_EQ(captured.last, OWN_ERR_INVALID_FREE);
  capture_end();
  own_box_drop(b);
  own_arc_weak_drop(w);
  OWN_CHECK_EQ(k.frees, 2);
  keep_release_all(&k);
}

static void test_default_heap(void) {
#ifndef OWN_TEST_NO_HEAP
  atomic_store(&drops, 0);
  long *v = OWN_ARC_OF(long, NULL, record_drop, 1234);
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, THREADS);
  worker_t ws[THREADS];
  pthread_t th[THREADS];
  for (int i = 0; i < THREADS; i++) ws[i] = (worker_t){own_arc_clone(v), own_arc_downgrade(v), 0, &start};
  own_arc_drop(OWN_TAKE(v));
  for (int i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, churn, &ws[i]);
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  pthread_barrier_destroy(&start);
  OWN_CHECK_EQ(atomic_load(&drops), 1);
#endif
}

int main(void) {
  A = test_alloc_make(&ta);
  test_single_thread();
  test_threads_clone_drop();
  test_into_inner_race();
  test_get_mut_race();
  test_deaths();
  test_misuse_detected();
  test_default_heap();
  CHECK_NO_LEAK();
  OWN_CHECK_EQ(atomic_load(&ta.bad_frees), 0);
  return own_test_done();
}
