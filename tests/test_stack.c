/* test_stack.c — guarded stacks, overflow reports, measurement (own/stack.h).
 *
 * Every overflow is provoked in a child process (OWN_EXPECT_DEATH forks). The
 * main-thread case needs a real main thread, which a forked child of a
 * single-threaded test has, but to be sure of a fresh process the child
 * re-executes this program with an argument naming the scenario.
 *
 * Built with -fstack-clash-protection (tests/stack.cmake), so the one large
 * frame below probes every page on its way down and meets the guard.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "os/os.h"
#include "own/stack.h"
#ifdef OWN_TEST_HAVE_HEAP
#include "own/heap.h"
#endif
#include "testing.h"

/* ---- helpers -------------------------------------------------------------- */

static volatile unsigned long never = (unsigned long)-1;

/* Recurses until the stack ends (never is never reached). Not static, so
 * that the backtrace (linked with -rdynamic) can name it. */
unsigned long stack_test_recurse(unsigned long n);
__attribute__((noinline)) unsigned long stack_test_recurse(unsigned long n) {
  volatile char pad[200];
  pad[0] = (char)n;
  if (n == never) return 0;
  return stack_test_recurse(n + 1) + (unsigned long)pad[0];
}

/* One frame of 1 MiB: much larger than any guard. */
static volatile size_t first_index = 0;
static __attribute__((noinline)) void large_frame(void) {
  volatile char big[1 << 20];
  /* Indices the compiler cannot see, so it must keep the whole array. */
  big[first_index] = 1;
  big[sizeof big - 1 - first_index] = 2;
}

/* Recurses until less than 100 KiB remain, then takes one 1 MiB frame. */
static __attribute__((noinline)) unsigned long fill_then_large(size_t left) {
  volatile char pad[4096];
  pad[first_index] = 1;
  if (left < 100 * 1024) {
    large_frame();
    return 0;
  }
  return fill_then_large(own_stack_remaining()) + (unsigned long)pad[first_index];
}

static int noop_calls;
static void noop(void *arg) {
  (void)arg;
  noop_calls++;
}

static int errors_seen;
static void count_errors(own_error_t e, const char *m, const void *p, void *c) {
  (void)e, (void)m, (void)p, (void)c;
  errors_seen++;
}

/* Runs fn(arg) in a child with stderr captured; returns the wait status. */
static int run_child(void (*fn)(void *), void *arg, char *out, size_t cap) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], 2);
    fn(arg);
    _exit(0);
  }
  close(fds[1]);
  size_t len = 0;
  ssize_t r;
  while (len + 1 < cap && (r = read(fds[0], out + len, cap - 1 - len)) > 0) len += (size_t)r;
  out[len] = 0;
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

static const char *self_exe = "/proc/self/exe";

/* ---- death scenarios ------------------------------------------------------ */

static void exec_self(void *scenario) {
  execl(self_exe, "test_stack", (const char *)scenario, (char *)NULL);
  _exit(127);
}

static void *overflow_thread(void *arg) {
  (void)arg;
  return (void *)stack_test_recurse(0);
}

static void *large_frame_thread(void *arg) {
  (void)arg;
  large_frame();
  return NULL;
}

static void die_on_own_thread(void *arg) {
  own_thread_t t;
  if (own_thread_spawn(&t, "worker-3", 256 * 1024, arg ? large_frame_thread : overflow_thread, NULL) != 0)
    _exit(90);
  own_thread_join(&t, NULL);
  _exit(91); /* not reached: the thread aborts the process */
}

static void *named_plain(void *arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "plain-7");
  return (void *)stack_test_recurse(0);
}

static void die_on_plain_pthread(void *arg) {
  (void)arg;
  if (own_stack_guard_install() != 0) _exit(92);
  pthread_t th;
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, 512 * 1024);
  if (pthread_create(&th, &a, named_plain, NULL) != 0) _exit(93);
  pthread_join(th, NULL);
  _exit(94);
}

/* A thread created before the handler exists opts in by itself. */
static volatile int go;
static void *early_thread(void *arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "early-1");
  while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE)) usleep(1000);
  if (own_stack_guard_thread_init() != 0) _exit(95);
  return (void *)stack_test_recurse(0);
}
static void die_on_early_pthread(void *arg) {
  (void)arg;
  pthread_t th;
  if (pthread_create(&th, NULL, early_thread, NULL) != 0) _exit(96);
  if (own_stack_guard_install() != 0) _exit(97);
  __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
  pthread_join(th, NULL);
  _exit(98);
}

/* Overflow inside a segment own_maybe_grow switched to. */
static void segment_body(void *arg) {
  (void)arg;
  stack_test_recurse(0);
}
static void *segment_thread(void *arg) {
  (void)arg;
  /* A red zone larger than what is left forces the switch. */
  own_maybe_grow(own_stack_remaining() + 4096, 128 * 1024, segment_body, NULL);
  return NULL;
}
static void die_in_segment(void *arg) {
  (void)arg;
  own_thread_t t;
  if (own_thread_spawn(&t, "seg-user", 256 * 1024, segment_thread, NULL) != 0) _exit(99);
  own_thread_join(&t, NULL);
  _exit(100);
}

/* With the wrapper turned off, a plain pthread that never calls own has no
 * alternate stack: its overflow is the plain SIGSEGV it always was. */
static void die_unwrapped(void *arg) {
  (void)arg;
  setenv("OWN_STACK_WRAP", "0", 1);
  if (own_stack_guard_install() != 0) _exit(92);
  pthread_t th;
  if (pthread_create(&th, NULL, named_plain, NULL) != 0) _exit(93);
  pthread_join(th, NULL);
  _exit(94);
}

/* A write through a null pointer is what the test is about: UBSan's null
 * check must not turn it into a report of its own. */
#if defined(__GNUC__)
#define OWN_NO_UBSAN __attribute__((no_sanitize("undefined")))
#else
#define OWN_NO_UBSAN
#endif
OWN_NO_UBSAN static void null_write(void *arg) {
  (void)arg;
  own_stack_guard_install();
  volatile int *volatile p = NULL;
  *p = 1;
  _exit(101);
}

static void user_handler(int sig, siginfo_t *info, void *uc) {
  (void)sig, (void)uc;
  static const char msg[] = "user handler saw the fault\n";
  if (info->si_addr == NULL) {
    write(2, msg, sizeof msg - 1);
    _exit(7);
  }
  _exit(8);
}
OWN_NO_UBSAN static void null_write_chained(void *arg) {
  (void)arg;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = user_handler;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);
  own_stack_guard_install();
  volatile int *volatile p = NULL;
  *p = 1;
  _exit(102);
}

/* A write into another stack's guard is a bug, but not this thread's overflow. */
static void foreign_guard_write(void *arg) {
  (void)arg;
  own_stack_guard_install();
  own_stack_t *s = own_stack_new(64 * 1024);
  volatile char *g = (volatile char *)own_stack_bottom(s) - 100;
  *g = 1;
  _exit(103);
}

static void top_guard_write(void *arg) {
  (void)arg;
  own_stack_t *s = own_stack_new(64 * 1024);
  volatile char *g = (volatile char *)own_stack_top(s);
  *g = 1;
  _exit(104);
}

static void sent_segv(void *arg) {
  (void)arg;
  own_stack_guard_install();
  raise(SIGSEGV);
  _exit(105);
}

/* ---- tests ---------------------------------------------------------------- */

static void test_overflow_reports(void) {
  OWN_EXPECT_DEATH(exec_self, "overflow-main", SIGABRT, "thread 'main' (tid ");
  OWN_EXPECT_DEATH(exec_self, "overflow-main", SIGABRT, "has overflowed its stack (");
  OWN_EXPECT_DEATH(exec_self, "large-frame-main", SIGABRT, "thread 'main' (tid ");
  OWN_EXPECT_DEATH(die_on_own_thread, NULL, SIGABRT,
                   "thread 'worker-3' (tid ");
  OWN_EXPECT_DEATH(die_on_own_thread, NULL, SIGABRT, "has overflowed its stack (256 KiB, guard at 0x");
  OWN_EXPECT_DEATH(die_on_own_thread, (void *)1, SIGABRT,
                   "thread 'worker-3'");
  OWN_EXPECT_DEATH(die_on_plain_pthread, NULL, SIGABRT, "thread 'plain-7' (tid ");
  OWN_EXPECT_DEATH(die_on_early_pthread, NULL, SIGABRT, "thread 'early-1' (tid ");
  OWN_EXPECT_DEATH(die_in_segment, NULL, SIGABRT,
                   "thread 'seg-user' (tid ");
  OWN_EXPECT_DEATH(die_in_segment, NULL, SIGABRT, "has overflowed its stack segment (");
  /* The backtrace names the recursing function (the test links with
   * -rdynamic, so global functions have names). */
  OWN_EXPECT_DEATH(die_on_own_thread, NULL, SIGABRT, "backtrace (innermost first)");
  OWN_EXPECT_DEATH(die_on_own_thread, NULL, SIGABRT, "(stack_test_recurse+0x");
  OWN_EXPECT_DEATH(exec_self, "overflow-main", SIGABRT, "(stack_test_recurse+0x");
}

static void test_not_overflows(void) {
  char out[8192];
  int st = run_child(null_write, NULL, out, sizeof out);
  OWN_CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
  OWN_CHECK(strstr(out, "overflow") == NULL);

  st = run_child(null_write_chained, NULL, out, sizeof out);
  OWN_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7);
  OWN_CHECK(strstr(out, "user handler saw the fault") != NULL);
  OWN_CHECK(strstr(out, "overflow") == NULL);

  st = run_child(foreign_guard_write, NULL, out, sizeof out);
  OWN_CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
  OWN_CHECK(strstr(out, "overflow") == NULL);

  st = run_child(top_guard_write, NULL, out, sizeof out);
  OWN_CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);

  st = run_child(die_unwrapped, NULL, out, sizeof out);
  OWN_CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
  OWN_CHECK(strstr(out, "overflow") == NULL);

  st = run_child(sent_segv, NULL, out, sizeof out);
  OWN_CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
  OWN_CHECK(strstr(out, "overflow") == NULL);
}

static void test_stack_object(void) {
  own_stack_t *s = own_stack_new(100 * 1000);
  OWN_CHECK(s != NULL);
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  OWN_CHECK(own_stack_size(s) >= 100 * 1000);
  OWN_CHECK_EQ(own_stack_size(s) % page, 0);
  OWN_CHECK_EQ((uintptr_t)own_stack_top(s) % 16, 0);
  OWN_CHECK_EQ((char *)own_stack_top(s) - (char *)own_stack_bottom(s), (long long)own_stack_size(s));
  OWN_CHECK(own_stack_guard_size(s) >= OWN_STACK_GUARD);
  OWN_CHECK_EQ(own_stack_high_water(s), 0); /* painted, never used */
  /* Usable memory is writable end to end. */
  memset(own_stack_bottom(s), 0x11, own_stack_size(s));
  OWN_CHECK_EQ(own_stack_high_water(s), (long long)own_stack_size(s));
  own_stack_stats_t st;
  own_stack_stats(&st);
  OWN_CHECK_EQ(st.stacks_live, 1);
  own_stack_free(s);
  own_stack_stats(&st);
  OWN_CHECK_EQ(st.stacks_live, 0);
  own_stack_free(NULL);

  own_stack_t *small = own_stack_new(1);
  OWN_CHECK(small && own_stack_size(small) >= OWN_STACK_MIN_SIZE);
  own_stack_free(small);
}

static void test_bad_input(void) {
  own_error_handler_t old = own_set_error_handler(count_errors, NULL);
  errors_seen = 0;
  errno = 0;
  OWN_CHECK(own_stack_new(0) == NULL);
  OWN_CHECK_EQ(errno, EINVAL);
  errno = 0;
  OWN_CHECK(own_stack_new(SIZE_MAX) == NULL);
  OWN_CHECK_EQ(errno, EINVAL);
  OWN_CHECK(own_stack_new(SIZE_MAX / 2) == NULL);
  OWN_CHECK_EQ(errors_seen, 3);
  OWN_CHECK(own_stack_size(NULL) == 0 && own_stack_top(NULL) == NULL && own_stack_bottom(NULL) == NULL);
  OWN_CHECK_EQ(own_stack_high_water(NULL), 0);

  OWN_CHECK_EQ(own_maybe_grow(1024, 1 << 20, NULL, NULL), EINVAL);
  OWN_CHECK_EQ(own_maybe_grow(SIZE_MAX, 1 << 20, segment_body, NULL), EINVAL);
  OWN_CHECK_EQ(own_maybe_grow(1024, SIZE_MAX, noop, NULL), 0); /* no growth needed */
  OWN_CHECK_EQ(noop_calls, 1);
  OWN_CHECK_EQ(own_thread_spawn(NULL, "x", 0, overflow_thread, NULL), EINVAL);
  own_thread_t t;
  OWN_CHECK_EQ(own_thread_spawn(&t, "x", 0, NULL, NULL), EINVAL);
  OWN_CHECK_EQ(own_thread_join(NULL, NULL), EINVAL);
  OWN_CHECK_EQ(errors_seen, 8);
  own_stack_stats(NULL);
  own_set_error_handler(old, NULL);
}

/* ---- measurement ---------------------------------------------------------- */

static uintptr_t deepest;

static __attribute__((noinline)) unsigned known_recursion(unsigned n) {
  volatile char buf[256];
  for (unsigned i = 0; i < sizeof buf; i++) buf[i] = (char)(n + i + 1);
  if (n == 0) {
    deepest = (uintptr_t)&buf[0];
    return buf[0];
  }
  return known_recursion(n - 1) + buf[1];
}

typedef struct measure {
  size_t remaining_at_start, remaining_deeper;
  uintptr_t top;
} measure_t;

static __attribute__((noinline)) size_t remaining_below(void) {
  volatile char buf[16384];
  buf[first_index] = 1;
  buf[sizeof buf - 1 - first_index] = 1;
  return own_stack_remaining() + (size_t)buf[first_index] - 1;
}

static void *measure_thread(void *arg) {
  measure_t *m = arg;
  m->remaining_at_start = own_stack_remaining();
  m->remaining_deeper = remaining_below();
  known_recursion(400); /* about 400 * 300 bytes */
  return NULL;
}

static void test_high_water(void) {
  measure_t m = {0, 0, 0};
  own_thread_t t;
  OWN_CHECK_EQ(own_thread_spawn(&t, "measure", 1 << 20, measure_thread, &m), 0);
  uintptr_t top = (uintptr_t)own_stack_top(t.stack);
  size_t size = own_stack_size(t.stack);
  void *res = (void *)1;
  OWN_CHECK_EQ(own_thread_join(&t, &res), 0);
  OWN_CHECK(res == NULL);
  OWN_CHECK(t.stack == NULL);
  size_t truth = top - deepest;
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  OWN_CHECK(truth > 400 * 256);
  OWN_CHECK(t.stack_high_water + page >= truth);
  OWN_CHECK(t.stack_high_water <= truth + page);
  if (t.stack_high_water + page < truth || t.stack_high_water > truth + page)
    fprintf(stderr, "high water %zu, true use %zu\n", t.stack_high_water, truth);
  /* Remaining on an own thread: below the size, and it shrinks with depth. */
  OWN_CHECK(m.remaining_at_start < size && m.remaining_at_start > size - 64 * 1024);
  OWN_CHECK(m.remaining_deeper + 16384 <= m.remaining_at_start);
  OWN_CHECK_EQ(own_thread_join(&t, NULL), EINVAL); /* already joined (reported) */
}

static void *remaining_plain(void *arg) {
  size_t *out = arg;
  out[0] = own_stack_remaining();
  out[1] = remaining_below();
  return NULL;
}

static void test_remaining(void) {
  struct rlimit rl;
  getrlimit(RLIMIT_STACK, &rl);
  size_t r = own_stack_remaining();
  OWN_CHECK(r > 64 * 1024);
  if (rl.rlim_cur != RLIM_INFINITY) OWN_CHECK(r < rl.rlim_cur);
  size_t deeper = remaining_below();
  OWN_CHECK(deeper + 16384 <= r && deeper + 65536 > r);

  size_t out[2] = {0, 0};
  pthread_t th;
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, 256 * 1024);
  OWN_CHECK_EQ(pthread_create(&th, &a, remaining_plain, out), 0);
  pthread_join(th, NULL);
  OWN_CHECK(out[0] > 128 * 1024 && out[0] <= 256 * 1024);
  OWN_CHECK(out[1] + 16384 <= out[0]);
}

/* Threads come and go without leaving mappings behind: stacks, alternate
 * signal stacks and cached segments are all given back. */
static void *churn(void *arg) {
  size_t *rem = arg;
  *rem = own_stack_remaining();
  own_maybe_grow(*rem + 4096, 64 * 1024, noop, NULL); /* leaves a cached segment */
  return NULL;
}

static void test_thread_churn(void) {
  OWN_CHECK_EQ(own_stack_guard_install(), 0);
  OWN_CHECK_EQ(own_stack_guard_install(), 0); /* idempotent */
  own_stack_trim();
  own_stack_stats_t a, b;
  own_stack_stats(&a);
#ifdef OWN_TEST_HAVE_HEAP
  own_collect(); /* the heap keeps exited threads' segments for a while */
#endif
#ifndef OWN_TEST_SHARED /* libown.so does not export the os layer */
  _own_os_counters_t ca, cb;
  _own_os_counters(&ca);
#endif
  for (int i = 0; i < 20; i++) {
    size_t rem = 0;
    own_thread_t t;
    OWN_CHECK_EQ(own_thread_spawn(&t, "churn", 128 * 1024, churn, &rem), 0);
    OWN_CHECK_EQ(own_thread_join(&t, NULL), 0);
    OWN_CHECK(rem > 64 * 1024 && rem < 128 * 1024);
    pthread_t th;
    OWN_CHECK_EQ(pthread_create(&th, NULL, churn, &rem), 0);
    OWN_CHECK_EQ(pthread_join(th, NULL), 0);
    OWN_CHECK(rem > 64 * 1024);
  }
  own_stack_stats(&b);
#ifdef OWN_TEST_HAVE_HEAP
  own_collect();
#endif
#ifndef OWN_TEST_SHARED
  _own_os_counters(&cb);
  OWN_CHECK_EQ(cb.mappings, ca.mappings);
#endif
  OWN_CHECK_EQ(b.stacks_live, a.stacks_live);
  OWN_CHECK_EQ(b.segments_cached, a.segments_cached);
  OWN_CHECK_EQ(b.segment_maps - a.segment_maps, 40); /* each new thread maps its own */
  OWN_CHECK_EQ(b.segment_unmaps - a.segment_unmaps, 40);
  /* Every thread got an alternate stack: the own ones and the wrapped ones. */
  OWN_CHECK_EQ(b.threads_guarded - a.threads_guarded, 40);
}

int main(int argc, char **argv) {
  if (argc > 1) {
    /* An unlimited main stack would eat memory up to the heap before it
     * overflowed: give the scenario an ordinary 8 MiB one. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur > ((rlim_t)8 << 20)) {
      rl.rlim_cur = (rlim_t)8 << 20;
      setrlimit(RLIMIT_STACK, &rl);
    }
  }
  if (argc > 1 && strcmp(argv[1], "overflow-main") == 0) {
    if (own_stack_guard_install() != 0) return 2;
    return (int)stack_test_recurse(0);
  }
  if (argc > 1 && strcmp(argv[1], "large-frame-main") == 0) {
    if (own_stack_guard_install() != 0) return 2;
    /* Use up all but about 100 KiB, then one 1 MiB frame. */
    return (int)fill_then_large(own_stack_remaining());
  }
  test_stack_object();
  test_bad_input();
  test_remaining();
  test_high_water();
  test_not_overflows();
  test_overflow_reports();
  test_thread_churn(); /* last: installs the handler in this process */
  return own_test_done();
}
