/* test_heap_release.c — memory goes back to the OS.
 *
 * The heap's promise: after a program frees most of its memory and idles for
 * a second, its resident set shrinks to near its live data; own_collect()
 * shrinks it at once. Each scenario runs in a fresh child process (so one
 * scenario's leftovers cannot blame another) and reads VmRSS from
 * /proc/self/status with plain open/read — nothing that calls into the heap
 * happens between the last free and the measurement, other than sleeping.
 * The arrays of pointers live in mmap'd memory that is unmapped before
 * measuring, so the live data is close to nothing.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "own/heap.h"
#include "testing.h"

#define KiB ((size_t)1024)
#define MiB ((size_t)1024 * 1024)
#define TOTAL (512 * MiB)
#define LIMIT (64 * MiB) /* "near the live data" */

/* VmRSS in bytes, read without allocating. */
static size_t rss(void) {
  char buf[4096];
  int fd = open("/proc/self/status", O_RDONLY);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  const char *s = strstr(buf, "VmRSS:");
  if (!s) return 0;
  s += 6;
  while (*s == ' ' || *s == '\t') s++;
  size_t kb = 0;
  while (*s >= '0' && *s <= '9') kb = kb * 10 + (size_t)(*s++ - '0');
  return kb * KiB;
}

static void idle(double seconds) {
  struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

typedef struct blocks {
  void **p;
  size_t n, cap;
} blocks_t;

static void *map(size_t len) {
  void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return m == MAP_FAILED ? NULL : m;
}

/* Allocates `total` bytes in small blocks (64 .. 1024 bytes), every byte
 * written. */
static bool fill_small(blocks_t *b, size_t total) {
  b->cap = total / 64 + 16;
  b->p = map(b->cap * sizeof(void *));
  if (!b->p) return false;
  b->n = 0;
  uint64_t x = 0x853c49e6748fea9bull;
  size_t got = 0;
  while (got < total && b->n < b->cap) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    size_t n = 64 + (size_t)(x >> 20) % 961;
    void *p = malloc(n);
    if (!p) return false;
    memset(p, (int)(b->n & 0xff) | 1, n);
    b->p[b->n++] = p;
    got += n;
  }
  return true;
}
static void free_all(blocks_t *b) {
  for (size_t i = 0; i < b->n; i++) free(b->p[i]);
  munmap(b->p, b->cap * sizeof(void *));
  b->p = NULL;
  b->n = 0;
}

/* The peak must show the allocation was real (>= 3/4 of it resident); the
 * resident set after must be below LIMIT. */
static int report(const char *what, size_t total, size_t peak, size_t after) {
  printf("%-44s peak %4zu MiB, after %4zu MiB\n", what, peak / MiB, after / MiB);
  fflush(stdout);
  int bad = 0;
  if (peak < total / 4 * 3) {
    fprintf(stderr, "%s: the allocation did not become resident (%zu MiB)\n", what, peak / MiB);
    bad++;
  }
  if (after >= LIMIT) {
    fprintf(stderr, "%s: resident set %zu MiB after freeing, want < %zu MiB\n", what, after / MiB,
            LIMIT / MiB);
    bad++;
  }
  return bad;
}

/* 1. one thread frees everything, then idles */
static int idle_after_free(void) {
  blocks_t b;
  if (!fill_small(&b, TOTAL)) return 1;
  size_t peak = rss();
  free_all(&b);
  idle(1.1);
  return report("small blocks, freed, idle 1.1 s", TOTAL, peak, rss());
}

/* 2. the same with own_collect: at once */
static int collect_after_free(void) {
  blocks_t b;
  if (!fill_small(&b, TOTAL)) return 1;
  size_t peak = rss();
  free_all(&b);
  own_collect();
  return report("small blocks, freed, own_collect", TOTAL, peak, rss());
}

/* 3. a thread frees its blocks and stays alive but idle */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int stage;
static size_t worker_peak;

static void *idle_worker(void *arg) {
  (void)arg;
  blocks_t b;
  bool ok = fill_small(&b, TOTAL / 2);
  worker_peak = rss();
  if (ok) free_all(&b);
  pthread_mutex_lock(&mu);
  stage = ok ? 1 : -1;
  pthread_cond_broadcast(&cv);
  while (stage != 2) pthread_cond_wait(&cv, &mu); /* idle, holding its heap */
  pthread_mutex_unlock(&mu);
  return NULL;
}
static int idle_thread(void) {
  pthread_t t;
  if (pthread_create(&t, NULL, idle_worker, NULL) != 0) return 1;
  pthread_mutex_lock(&mu);
  while (stage == 0) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  idle(1.1);
  size_t after = rss();
  pthread_mutex_lock(&mu);
  int failed = stage < 0;
  stage = 2;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  pthread_join(t, NULL);
  return failed + report("a live thread frees its blocks and idles", TOTAL / 2, worker_peak, after);
}

/* 4. blocks freed by another thread (remote frees), the owner idles */
static blocks_t shared;
static void *remote_freer(void *arg) {
  (void)arg;
  free_all(&shared);
  return NULL;
}
static int remote_free(void) {
  if (!fill_small(&shared, TOTAL / 2)) return 1;
  size_t peak = rss();
  pthread_t t;
  if (pthread_create(&t, NULL, remote_freer, NULL) != 0) return 1;
  pthread_join(t, NULL);
  idle(1.1);
  return report("freed by another thread, owner idles", TOTAL / 2, peak, rss());
}

/* 5. huge blocks */
static int huge_blocks(void) {
  enum { H = 8 };
  void *h[H];
  for (int i = 0; i < H; i++) {
    h[i] = malloc(32 * MiB);
    if (!h[i]) return 1;
    memset(h[i], 0x11, 32 * MiB);
  }
  size_t peak = rss();
  for (int i = 0; i < H; i++) free(h[i]);
  idle(1.1);
  return report("8 huge blocks of 32 MiB, freed, idle", H * 32 * MiB, peak, rss());
}

/* 6. OWN_PURGE_KIB = 0: pages go back as they empty, no idling needed */
static int purge_at_once(void) {
  own_option_set(OWN_OPT_PURGE_KIB, 0);
  blocks_t b;
  if (!fill_small(&b, TOTAL / 2)) return 1;
  size_t peak = rss();
  free_all(&b);
  return report("OWN_PURGE_KIB=0: freed, measured at once", TOTAL / 2, peak, rss());
}

/* 7. a thread exits; the thread started next reuses its memory without
 * asking the OS, and what nobody reuses goes back after a short delay */
static size_t map_calls(void) {
  own_stats_t s;
  own_stats(&s);
  return s.os_map_calls;
}
static void *fill_and_free(void *arg) {
  blocks_t b;
  if (fill_small(&b, *(size_t *)arg)) free_all(&b);
  else *(size_t *)arg = 0;
  return NULL;
}
static int thread_handover(void) {
  size_t amount = 16 * MiB;
  pthread_t t;
  if (pthread_create(&t, NULL, fill_and_free, &amount) != 0 || pthread_join(t, NULL) != 0 || !amount) return 1;
  own_stats_t s;
  own_stats(&s);
  size_t kept = s.abandoned_segments;
  size_t maps = s.os_map_calls;
  int bad = 0;
  if (kept == 0) {
    fprintf(stderr, "thread handover: the exited thread left no segment for the next one\n");
    bad++;
  }
  /* Half of what the kept segments hold fits whatever the size classes. */
  amount = kept * 2 * MiB;
  if (pthread_create(&t, NULL, fill_and_free, &amount) != 0 || pthread_join(t, NULL) != 0 || !amount) return 1;
  if (map_calls() != maps) {
    fprintf(stderr, "thread handover: the next thread mapped %zu segments of its own (%zu were kept)\n",
            map_calls() - maps, kept);
    bad++;
  }
  idle(0.2);
  free(malloc(100)); /* any heap activity gives back what waited too long */
  own_stats(&s);
  if (s.abandoned_segments != 0 || s.committed > 8 * MiB) {
    fprintf(stderr, "thread handover: after idling, %zu abandoned segments, %zu MiB committed\n",
            s.abandoned_segments, s.committed / MiB);
    bad++;
  }
  printf("%-44s kept %zu segments, reused without mmap\n", "a thread exits, the next reuses its memory", kept);
  fflush(stdout);
  return bad;
}

static void run(int (*fn)(void), const char *what) {
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    alarm(60);
    _exit(fn() == 0 ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!ok) fprintf(stderr, "scenario '%s' failed (status 0x%x)\n", what, status);
  OWN_CHECK(ok);
}

int main(void) {
  run(idle_after_free, "idle after free");
  run(collect_after_free, "own_collect after free");
  run(idle_thread, "idle thread");
  run(remote_free, "remote free");
  run(huge_blocks, "huge blocks");
  run(purge_at_once, "purge at once");
  run(thread_handover, "thread handover");
  return own_test_done();
}
