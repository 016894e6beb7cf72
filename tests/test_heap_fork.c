/* test_heap_fork.c — fork from a program whose threads are busy in the heap.
 *
 * Worker threads allocate and free without pause (small, large and now and
 * then huge blocks, so that both the thread-local paths and the heap's global
 * lock are in use at any moment). Main forks several times meanwhile. Each
 * child — whose only thread is a copy of main, with the heap in whatever state
 * the fork caught it — checks and frees blocks that the (absent) workers own,
 * allocates and frees a lot itself, also large and huge blocks and on a new
 * thread, and exits 0. A child that deadlocks is killed by alarm() and counts
 * as a failure.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "own/heap.h"
#include "testing.h"

#define KiB ((size_t)1024)
#define MiB ((size_t)1024 * 1024)

enum { WORKERS = 3, FORKS = 10, GIFTS = 500 };

static atomic_bool stop;
static atomic_int worker_bad;
static atomic_long worker_ops;

/* Blocks allocated by each worker at its start and left untouched until the
 * end: in a child they belong to a thread that does not exist there. */
static uint8_t *gifts[WORKERS][GIFTS];
static atomic_int gifts_ready;

static size_t gift_size(int w, int i) { return 16 + (size_t)((w * 977 + i * 131) % 5000); }
static uint8_t gift_byte(int w, int i, size_t k) { return (uint8_t)(w * 31 + i * 7 + k); }

static void *worker(void *arg) {
  int w = (int)(uintptr_t)arg;
  for (int i = 0; i < GIFTS; i++) {
    size_t n = gift_size(w, i);
    gifts[w][i] = malloc(n);
    for (size_t k = 0; k < n; k++) gifts[w][i][k] = gift_byte(w, i, k);
  }
  atomic_fetch_add(&gifts_ready, 1);

  enum { SLOTS = 256 };
  uint8_t *slot[SLOTS] = {0};
  size_t size[SLOTS] = {0};
  uint64_t x = 0x2545F4914F6CDD1Dull * (uint64_t)(w + 1);
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    int s = (int)(x % SLOTS);
    if (slot[s]) {
      if (slot[s][0] != (uint8_t)s || slot[s][size[s] - 1] != (uint8_t)~s)
        atomic_fetch_add(&worker_bad, 1);
      free(slot[s]);
      slot[s] = NULL;
    } else {
      size_t r = (size_t)(x >> 24) % 1000;
      size_t n = r < 900 ? 8 + r : r < 995 ? 10 * KiB + r * 500 : 2 * MiB + r * 1000;
      slot[s] = malloc(n);
      if (!slot[s]) {
        atomic_fetch_add(&worker_bad, 1);
        continue;
      }
      size[s] = n;
      slot[s][0] = (uint8_t)s;
      slot[s][n - 1] = (uint8_t)~s;
    }
    atomic_fetch_add_explicit(&worker_ops, 1, memory_order_relaxed);
  }
  for (int s = 0; s < SLOTS; s++) free(slot[s]);
  return NULL;
}

static void *child_thread(void *arg) {
  (void)arg;
  int bad = 0;
  for (int round = 0; round < 20; round++) {
    void *p[500];
    for (int i = 0; i < 500; i++) {
      p[i] = malloc(16 + (size_t)i * 3);
      if (!p[i]) bad++;
      else memset(p[i], i, 16);
    }
    for (int i = 0; i < 500; i++) free(p[i]);
  }
  return (void *)(uintptr_t)bad;
}

/* Everything the child does; returns the number of problems. */
static int child_work(void) {
  int bad = 0;
  /* blocks of threads that are not in this process */
  for (int w = 0; w < WORKERS; w++)
    for (int i = 0; i < GIFTS; i++) {
      size_t n = gift_size(w, i);
      for (size_t k = 0; k < n; k++)
        if (gifts[w][i][k] != gift_byte(w, i, k)) {
          bad++;
          break;
        }
      free(gifts[w][i]);
    }
  /* lots of small blocks, then large and huge ones */
  enum { N = 20000 };
  static uint8_t *p[N];
  for (int i = 0; i < N; i++) {
    size_t n = 8 + (size_t)(i % 700);
    p[i] = malloc(n);
    if (!p[i]) {
      bad++;
      continue;
    }
    p[i][0] = (uint8_t)i;
    p[i][n - 1] = (uint8_t)(i >> 3);
  }
  for (int i = 0; i < N; i++) {
    size_t n = 8 + (size_t)(i % 700);
    if (p[i] && (p[i][0] != (uint8_t)i || p[i][n - 1] != (uint8_t)(i >> 3))) bad++;
    free(p[i]);
  }
  static const size_t big[] = {100 * KiB, 700 * KiB, 1 * MiB, 3 * MiB, 9 * MiB, 17 * MiB};
  for (int r = 0; r < 2; r++)
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
      uint8_t *b = malloc(big[i]);
      if (!b) {
        bad++;
        continue;
      }
      memset(b, 0x77, big[i]);
      uint8_t *c = realloc(b, big[i] * 2);
      if (!c || c[big[i] - 1] != 0x77) bad++;
      free(c ? c : b);
    }
  void *z = calloc(1000, 1000);
  if (!z) bad++;
  free(z);
  /* a thread in the child */
  pthread_t t;
  void *ret = (void *)1;
  if (pthread_create(&t, NULL, child_thread, NULL) != 0) return bad + 1;
  pthread_join(t, &ret);
  bad += (int)(uintptr_t)ret;
  own_collect();
  own_stats_t s;
  own_stats(&s);
  if (s.allocated > 64 * MiB) bad++;
  return bad;
}

int main(void) {
  pthread_t t[WORKERS];
  for (int w = 0; w < WORKERS; w++)
    OWN_CHECK_EQ(pthread_create(&t[w], NULL, worker, (void *)(uintptr_t)w), 0);
  while (atomic_load(&gifts_ready) < WORKERS) sched_yield();

  int children_ok = 0;
  for (int f = 0; f < FORKS; f++) {
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL); /* let the workers run between forks */
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
      alarm(30); /* a deadlock in the child ends in SIGALRM */
      int bad = child_work();
      _exit(bad == 0 ? 0 : 1);
    }
    OWN_CHECK(pid > 0);
    int status = 0;
    waitpid(pid, &status, 0);
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok)
      fprintf(stderr, "fork %d: child %s %d\n", f, WIFSIGNALED(status) ? "killed by signal" : "exit",
              WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    children_ok += ok;
  }
  OWN_CHECK_EQ(children_ok, FORKS);

  atomic_store(&stop, true);
  for (int w = 0; w < WORKERS; w++) pthread_join(t[w], NULL);
  OWN_CHECK(atomic_load(&worker_ops) > 1000);
  OWN_CHECK_EQ(atomic_load(&worker_bad), 0);
  /* the parent's copies of the gifts are intact and freed here */
  int bad = 0;
  for (int w = 0; w < WORKERS; w++)
    for (int i = 0; i < GIFTS; i++) {
      if (gifts[w][i][0] != gift_byte(w, i, 0)) bad++;
      free(gifts[w][i]);
    }
  OWN_CHECK_EQ(bad, 0);
  return own_test_done();
}
