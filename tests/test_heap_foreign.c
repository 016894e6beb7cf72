/* test_heap_foreign.c — the foreign cache: blocks of 64..1024 bytes a thread
 * frees from another thread's default heap stay with it and serve its
 * allocations of their size once its own page of that size has no free
 * block (src/alloc/foreign.c).
 *
 * What is checked, each in its own scenario:
 *   - reuse: the freeing thread gets exactly those blocks back, newest first,
 *     once it has no free block of its own in the class (it uses those first);
 *     own_stats does not count them as allocated meanwhile;
 *   - what is never kept: blocks below 64 or above 1024 bytes, and blocks of
 *     first-class heaps (their heap can be destroyed under the cache);
 *   - the limit (OWN_THREAD_CACHE_KIB): over it, blocks go back to the owner;
 *     with 0 nothing is kept;
 *   - thread exit and own_collect give every kept block back (the owner sees
 *     its pages empty);
 *   - the owner exiting while another thread keeps its blocks: they are
 *     handed out again and freed without harm, and nothing is left over;
 *   - pages adopted from an exited thread are not kept from: their blocks,
 *     freed by another thread, go back to the adopting thread's page;
 *   - fork: in the child, the blocks kept by threads that did not survive the
 *     fork are back with their pages.
 * The owner's view comes from own_heap_visit, which counts a kept block as
 * live (its page still does) and a returned one as free.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "own/heap.h"
#include "testing.h"

enum { N = 100, SIZE = 256 };

static bool count_size(void *block, size_t usable, void *arg) {
  (void)block;
  if (usable == SIZE) ++*(size_t *)arg;
  return true;
}

/* Live blocks of SIZE bytes in the calling thread's default heap. */
static size_t live_in_my_heap(void) {
  size_t n = 0;
  own_heap_visit(NULL, count_size, &n);
  return n;
}

static size_t class_blocks(size_t block_size) {
  own_stats_t s;
  own_stats(&s);
  for (size_t i = 0; i < s.class_count; i++)
    if (s.classes[i].block_size == block_size) return s.classes[i].blocks;
  return 0;
}

static bool contains(void **set, size_t n, const void *p) {
  if (!set) return false;
  for (size_t i = 0; i < n; i++)
    if (set[i] == p) return true;
  return false;
}

/* ---- a worker that runs steps on request ---------------------------------- */

typedef enum { W_FREE, W_MALLOC, W_FREE_MINE, W_COLLECT, W_EXIT } step_t;

typedef struct worker {
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  step_t step;
  bool pending;
  void **blocks; /* W_FREE frees these; W_MALLOC fills mine */
  size_t count, size;
  void *mine[N];
  size_t got_back; /* W_MALLOC: how many of `blocks` came back */
} worker_t;

static void *worker_main(void *arg) {
  worker_t *w = arg;
  /* A thread keeps foreign blocks once it has a heap, i.e. once it has
   * allocated; one that only ever frees gives every block back at once. */
  own_free(own_malloc(16));
  for (;;) {
    pthread_mutex_lock(&w->lock);
    while (!w->pending) pthread_cond_wait(&w->cond, &w->lock);
    step_t step = w->step;
    pthread_mutex_unlock(&w->lock);
    switch (step) {
    case W_FREE:
      for (size_t i = 0; i < w->count; i++) own_free(w->blocks[i]);
      break;
    case W_MALLOC:
      w->got_back = 0;
      for (size_t i = 0; i < w->count; i++) {
        w->mine[i] = own_malloc(w->size);
        memset(w->mine[i], 0x5a, w->size);
        if (contains(w->blocks, w->count, w->mine[i])) w->got_back++;
      }
      break;
    case W_FREE_MINE:
      for (size_t i = 0; i < w->count; i++) own_free(w->mine[i]);
      break;
    case W_COLLECT:
      own_collect();
      break;
    case W_EXIT:
      break;
    }
    pthread_mutex_lock(&w->lock);
    w->pending = false;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    if (step == W_EXIT) return NULL;
  }
}

static void worker_start(worker_t *w) {
  memset(w, 0, sizeof *w);
  pthread_mutex_init(&w->lock, NULL);
  pthread_cond_init(&w->cond, NULL);
  pthread_create(&w->thread, NULL, worker_main, w);
}

static void worker_do(worker_t *w, step_t step, void **blocks, size_t count, size_t size) {
  pthread_mutex_lock(&w->lock);
  w->step = step;
  w->blocks = blocks;
  w->count = count;
  w->size = size;
  w->pending = true;
  pthread_cond_broadcast(&w->cond);
  while (w->pending) pthread_cond_wait(&w->cond, &w->lock);
  pthread_mutex_unlock(&w->lock);
}

static void worker_stop(worker_t *w) {
  worker_do(w, W_EXIT, NULL, 0, 0);
  pthread_join(w->thread, NULL);
  pthread_mutex_destroy(&w->lock);
  pthread_cond_destroy(&w->cond);
}

static void alloc_blocks(void **b, size_t n, size_t size) {
  for (size_t i = 0; i < n; i++) {
    b[i] = own_malloc(size);
    memset(b[i], 0xa5, size);
  }
}

/* ---- scenarios ------------------------------------------------------------- */

static void test_reuse(void) {
  void *b[N];
  size_t before = class_blocks(SIZE);
  alloc_blocks(b, N, SIZE);
  OWN_CHECK_EQ(live_in_my_heap(), N);
  worker_t w;
  worker_start(&w);
  worker_do(&w, W_FREE, b, N, SIZE);
  OWN_CHECK_EQ(live_in_my_heap(), N);     /* kept by the worker: its page counts it */
  OWN_CHECK_EQ(class_blocks(SIZE), before); /* ... but the program has it back */
  worker_do(&w, W_MALLOC, b, N, SIZE);
  OWN_CHECK_EQ(w.got_back, N);            /* every one, before any block of its own */
  OWN_CHECK(w.mine[0] == b[N - 1]);       /* newest first */
  worker_do(&w, W_FREE_MINE, b, N, SIZE); /* kept again */
  OWN_CHECK_EQ(live_in_my_heap(), N);
  worker_do(&w, W_COLLECT, NULL, 0, 0); /* own_collect gives them back */
  OWN_CHECK_EQ(live_in_my_heap(), 0);
  alloc_blocks(b, N, SIZE);
  worker_do(&w, W_FREE, b, N, SIZE);
  OWN_CHECK_EQ(live_in_my_heap(), N); /* kept once more ... */
  worker_stop(&w);
  OWN_CHECK_EQ(live_in_my_heap(), 0); /* ... and back at thread exit */
  OWN_CHECK_EQ(class_blocks(SIZE), before);
}

/* A thread with free blocks of its own in the class uses those first: a
 * foreign free does not switch the class over to the kept list (a steady mix
 * of local and foreign frees would otherwise switch it back and forth, a slow
 * path per foreign block). */
static void test_own_page_first(void) {
  void *b[N];
  worker_t w;
  worker_start(&w);
  worker_do(&w, W_MALLOC, NULL, N, SIZE);
  worker_do(&w, W_FREE_MINE, NULL, N, SIZE); /* N free blocks on its page */
  alloc_blocks(b, N, SIZE);
  worker_do(&w, W_FREE, b, N, SIZE); /* kept */
  OWN_CHECK_EQ(live_in_my_heap(), N);
  worker_do(&w, W_MALLOC, b, N, SIZE);
  OWN_CHECK_EQ(w.got_back, 0); /* its own blocks first */
  worker_do(&w, W_FREE_MINE, NULL, N, SIZE);
  worker_do(&w, W_COLLECT, NULL, 0, 0);
  OWN_CHECK_EQ(live_in_my_heap(), 0);
  worker_stop(&w);
}

static bool count_any(void *block, size_t usable, void *arg) {
  (void)block;
  (void)usable;
  ++*(size_t *)arg;
  return true;
}

static void test_not_kept(void) {
  static const size_t sizes[] = {16, 48, 2048, 8192};
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    void *b[N];
    alloc_blocks(b, N, sizes[k]);
    worker_t w;
    worker_start(&w);
    worker_do(&w, W_FREE, b, N, sizes[k]);
    worker_do(&w, W_MALLOC, b, N, sizes[k]);
    if (w.got_back != 0) fprintf(stderr, "size %zu: %zu blocks kept\n", sizes[k], w.got_back);
    OWN_CHECK_EQ(w.got_back, 0);
    worker_do(&w, W_FREE_MINE, b, N, sizes[k]);
    worker_stop(&w);
  }
  /* First-class heap: its blocks always go back to it. */
  own_heap_t *h = own_heap_new();
  void *b[N];
  for (size_t i = 0; i < N; i++) b[i] = own_heap_malloc(h, SIZE);
  worker_t w;
  worker_start(&w);
  worker_do(&w, W_FREE, b, N, SIZE);
  size_t live = 0;
  own_heap_visit(h, count_any, &live);
  OWN_CHECK_EQ(live, 0);
  worker_do(&w, W_MALLOC, b, N, SIZE);
  OWN_CHECK_EQ(w.got_back, 0);
  own_heap_destroy(h);
  worker_do(&w, W_FREE_MINE, b, N, SIZE);
  worker_stop(&w);
}

static void test_limit(void) {
  long saved = own_option_get(OWN_OPT_THREAD_CACHE_KIB);
  /* 29 KiB over 29 classes: 1 KiB each, 4 blocks of 256 bytes. */
  own_option_set(OWN_OPT_THREAD_CACHE_KIB, 29);
  void *b[N];
  alloc_blocks(b, N, SIZE);
  worker_t w;
  worker_start(&w); /* the limit is read when the thread starts */
  worker_do(&w, W_FREE, b, N, SIZE);
  size_t live = live_in_my_heap();
  OWN_CHECK(live <= 4);
  worker_do(&w, W_MALLOC, b, N, SIZE);
  OWN_CHECK_EQ(w.got_back, live);
  worker_do(&w, W_FREE_MINE, b, N, SIZE);
  worker_stop(&w);

  own_option_set(OWN_OPT_THREAD_CACHE_KIB, 0);
  alloc_blocks(b, N, SIZE);
  worker_start(&w);
  worker_do(&w, W_FREE, b, N, SIZE);
  OWN_CHECK_EQ(live_in_my_heap(), 0);
  worker_do(&w, W_MALLOC, b, N, SIZE);
  OWN_CHECK_EQ(w.got_back, 0);
  worker_do(&w, W_FREE_MINE, b, N, SIZE);
  worker_stop(&w);
  own_option_set(OWN_OPT_THREAD_CACHE_KIB, saved);
}

/* The owner exits while the worker keeps its blocks. */
typedef struct {
  void **b;
} owner_arg_t;

static void *owner_main(void *arg) {
  owner_arg_t *a = arg;
  alloc_blocks(a->b, N, SIZE);
  return NULL;
}

static void test_owner_exits(void) {
  size_t before = class_blocks(SIZE);
  void *b[N];
  owner_arg_t a = {b};
  worker_t w;
  worker_start(&w);
  /* The owner allocates and exits; its segment is abandoned holding N live
   * blocks. The worker frees them (the owner is gone: back to the page, the
   * worker adopts) — then, with a second owner still alive this time, the
   * worker keeps them, the owner exits, and the worker reuses them. */
  pthread_t t;
  pthread_create(&t, NULL, owner_main, &a);
  pthread_join(t, NULL);
  worker_do(&w, W_FREE, b, N, SIZE);
  OWN_CHECK_EQ(class_blocks(SIZE), before);
  /* The adopted page, empty now, goes back: the worker has no block of its
   * own of this size, so its next mallocs come from what it keeps. */
  worker_do(&w, W_COLLECT, NULL, 0, 0);

  worker_t owner;
  worker_start(&owner);
  worker_do(&owner, W_MALLOC, NULL, N, SIZE);
  for (size_t i = 0; i < N; i++) b[i] = owner.mine[i];
  worker_do(&w, W_FREE, b, N, SIZE); /* kept by w */
  worker_stop(&owner);               /* the owner exits: its segment is abandoned */
  worker_do(&w, W_MALLOC, b, N, SIZE);
  OWN_CHECK_EQ(w.got_back, N);
  worker_do(&w, W_FREE_MINE, b, N, SIZE); /* blocks of an abandoned segment */
  worker_do(&w, W_COLLECT, NULL, 0, 0);
  worker_stop(&w);
  own_collect();
  OWN_CHECK_EQ(class_blocks(SIZE), before);
}

/* The owner exits; the main thread adopts its segment (by freeing one of its
 * blocks); a worker then frees the rest. They go back to the adopted page,
 * not into the worker's cache: the worker's next allocations of their size
 * are blocks of its own, and the main thread's heap has them free. */
static void test_adopted_page(void) {
  size_t before = class_blocks(SIZE);
  void *b[N];
  owner_arg_t a = {b};
  pthread_t t;
  pthread_create(&t, NULL, owner_main, &a);
  pthread_join(t, NULL);
  own_free(b[0]); /* the owner is gone: this thread adopts its segment */
  OWN_CHECK_EQ(live_in_my_heap(), N - 1);
  worker_t w;
  worker_start(&w);
  worker_do(&w, W_FREE, b + 1, N - 1, SIZE);
  OWN_CHECK_EQ(live_in_my_heap(), 0); /* back with the page at once */
  worker_do(&w, W_MALLOC, b + 1, N - 1, SIZE);
  OWN_CHECK_EQ(w.got_back, 0);
  worker_do(&w, W_FREE_MINE, NULL, N - 1, SIZE);
  worker_stop(&w);
  own_collect();
  OWN_CHECK_EQ(class_blocks(SIZE), before);
}

static void test_fork(void) {
  void *b[N];
  alloc_blocks(b, N, SIZE);
  worker_t w;
  worker_start(&w);
  worker_do(&w, W_FREE, b, N, SIZE);
  OWN_CHECK_EQ(live_in_my_heap(), N);
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    /* Only this thread lives on: the worker's kept blocks are back. */
    size_t live = live_in_my_heap();
    void *p = own_malloc(SIZE); /* the heap still works */
    own_free(p);
    _exit(live == 0 ? 0 : 1);
  }
  int status = 0;
  OWN_CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
  OWN_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  OWN_CHECK_EQ(live_in_my_heap(), N); /* the parent's worker still keeps them */
  worker_stop(&w);
  OWN_CHECK_EQ(live_in_my_heap(), 0);
}

int main(void) {
  own_free(own_malloc(1)); /* the main thread's heap exists before any worker */
  test_reuse();
  test_own_page_first();
  test_not_kept();
  test_limit();
  test_owner_exits();
  test_adopted_page();
  test_fork();
  return own_test_done();
}
