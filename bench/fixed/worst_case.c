/* worst_case.c — measures the worst-case instruction count of the fixed
 * heap's allocate and free across heap sizes from 4 KiB to 1 GiB.
 *
 * Exact instruction counts, no timer noise: the measured program runs as a
 * traced child; each measured call sits between two int3 markers, and the
 * parent single-steps (ptrace) from the first marker to the second, counting
 * instructions. x86-64 and i386 Linux only.
 *
 * Workload per heap size (an adversarial fragmentation state):
 *  1. fill the heap with blocks of log-uniform random sizes (16 bytes up to
 *     heap/4096, at least 256) until an allocation fails;
 *  2. free every other block in address order, so every live block sits
 *     between two free blocks (each free then merges on both sides) and free
 *     memory is scattered over all bands and many classes;
 *  3. measure MEASURE allocations (log-uniform sizes up to heap/64, a quarter
 *     of them aligned to 64..4096) and then MEASURE frees of live blocks that
 *     have free neighbours.
 * The table gives the maximum and the mean per operation; the point is that
 * the maximum does not grow with the heap.
 *
 *   cc -O2 -Iinclude -Isrc bench/fixed/worst_case.c src/fixed/(all .c) && ./a.out
 *   (bench/fixed/run.sh does that)
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "own/fixed.h"

#define MEASURE 400
#define MAXLIVE (1u << 21)

#define MARK() __asm__ volatile("int3" ::: "memory")

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void) {
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 0x2545F4914F6CDD1DULL;
}
static size_t log_uniform(size_t lo, size_t hi) {
  unsigned bits = 0;
  while (((size_t)lo << (bits + 1)) <= hi) bits++;
  size_t base = lo << (rnd() % (bits + 1));
  return base + rnd() % base;
}

static int by_addr(const void *a, const void *b) {
  uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
  return x < y ? -1 : x > y;
}

/* The traced child: builds the state and runs the measured calls. */
static void child(size_t heap_bytes) {
  void **live = malloc(MAXLIVE * sizeof *live);
  unsigned char *mem = malloc(heap_bytes);
  if (!live || !mem) _exit(2);
  own_fixed_t *h = own_fixed_init(mem, heap_bytes);
  if (!h) _exit(3);
  size_t n = 0, top = heap_bytes / 4096 < 256 ? 256 : heap_bytes / 4096;
  for (;;) {
    void *p = own_fixed_alloc(h, log_uniform(16, top));
    if (!p || n == MAXLIVE) break;
    live[n++] = p;
  }
  /* Whatever space is left, in small blocks, so the heap is full. */
  for (void *p; n < MAXLIVE && (p = own_fixed_alloc(h, 0)) != NULL;) live[n++] = p;
  qsort(live, n, sizeof *live, by_addr);
  size_t kept = 0;
  for (size_t i = 0; i < n; i++) {
    if (i % 2) own_fixed_free(h, live[i]);
    else live[kept++] = live[i];
  }
  n = kept;
  /* Allocations: every one is one traced call. */
  void *got[MEASURE];
  size_t ngot = 0;
  size_t big = heap_bytes / 64 < 64 ? 64 : heap_bytes / 64;
  for (int i = 0; i < MEASURE; i++) {
    size_t size = log_uniform(8, big);
    size_t align = rnd() % 4 == 0 ? (size_t)64 << (rnd() % 7) : 0;
    void *p;
    if (align) {
      MARK();
      p = own_fixed_alloc_aligned(h, size, align);
      MARK();
    } else {
      MARK();
      p = own_fixed_alloc(h, size);
      MARK();
    }
    if (p) got[ngot++] = p;
  }
  for (size_t i = 0; i < ngot; i++) own_fixed_free(h, got[i]);
  /* Frees of blocks that have free neighbours on both sides. */
  for (int i = 0; i < MEASURE; i++) {
    size_t k = n ? rnd() % n : 0;
    void *p = n ? live[k] : NULL;
    if (n) live[k] = live[--n];
    MARK();
    own_fixed_free(h, p);
    MARK();
  }
  _exit(own_fixed_check(h) ? 0 : 4);
}

/* Runs the child and counts instructions between marker pairs. */
static int trace(size_t heap_bytes, long *counts, int max) {
  pid_t pid = fork();
  if (pid == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    raise(SIGSTOP);
    child(heap_bytes);
  }
  int status, n = 0;
  waitpid(pid, &status, 0);
  for (;;) {
    if (ptrace(PTRACE_CONT, pid, 0, 0) != 0) return -1;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status)) return WEXITSTATUS(status) == 0 ? n : -WEXITSTATUS(status);
    if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP) return -1;
    /* At a start marker: step until the next instruction is the end marker. */
    long steps = 0;
    struct user_regs_struct regs;
    for (;;) {
      ptrace(PTRACE_GETREGS, pid, 0, &regs);
#if defined(__x86_64__)
      uintptr_t ip = regs.rip;
#else
      uintptr_t ip = regs.eip;
#endif
      long word = ptrace(PTRACE_PEEKTEXT, pid, (void *)ip, 0);
      if ((word & 0xFF) == 0xCC) break;
      ptrace(PTRACE_SINGLESTEP, pid, 0, 0);
      waitpid(pid, &status, 0);
      if (WIFEXITED(status)) return -1;
      steps++;
    }
    /* Skip the end marker. */
#if defined(__x86_64__)
    regs.rip += 1;
#else
    regs.eip += 1;
#endif
    ptrace(PTRACE_SETREGS, pid, 0, &regs);
    if (n < max) counts[n++] = steps;
  }
}

int main(void) {
  static const size_t sizes[] = {4u << 10, 16u << 10, 64u << 10, 256u << 10, 1u << 20,
                                 4u << 20, 16u << 20, 64u << 20, 256u << 20, 1u << 30};
  static long counts[2 * MEASURE];
  printf("fixed heap: instructions per call (exact, ptrace single-step), %d calls each\n",
         MEASURE);
  printf("%10s  %10s %10s   %10s %10s\n", "heap", "alloc max", "alloc mean", "free max",
         "free mean");
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    int n = trace(sizes[i], counts, 2 * MEASURE);
    if (n != 2 * MEASURE) {
      printf("%10zu  run failed (%d)\n", sizes[i], n);
      continue;
    }
    long amax = 0, fmax = 0;
    double asum = 0, fsum = 0;
    for (int k = 0; k < MEASURE; k++) {
      if (counts[k] > amax) amax = counts[k];
      asum += (double)counts[k];
      if (counts[MEASURE + k] > fmax) fmax = counts[MEASURE + k];
      fsum += (double)counts[MEASURE + k];
    }
    char label[32];
    if (sizes[i] >= (1u << 30)) snprintf(label, sizeof label, "%zu GiB", sizes[i] >> 30);
    else if (sizes[i] >= (1u << 20)) snprintf(label, sizeof label, "%zu MiB", sizes[i] >> 20);
    else snprintf(label, sizeof label, "%zu KiB", sizes[i] >> 10);
    printf("%10s  %10ld %10.1f   %10ld %10.1f\n", label, amax, asum / MEASURE, fmax,
           fsum / MEASURE);
    fflush(stdout);
  }
  return 0;
}
