/* stack/guard.c — the stack overflow report: a SIGSEGV / SIGBUS handler that
 * runs on a per-thread alternate signal stack.
 *
 * A thread that overflows has no stack left for a handler, so the handler runs
 * on an alternate stack (sigaltstack), which is per thread: each thread own
 * covers gets one (a small guarded own stack), freed at thread exit.
 *
 * The handler decides "overflow" only from the faulting thread's own record
 * (static TLS, safe to read in a handler): the fault address lies in the guard
 * of the stack the thread runs on (its own stack, or the segment
 * own_maybe_grow put it on). Then it prints one line and a backtrace with
 * async-signal-safe calls only (prctl, write, backtrace with the unwinder
 * loaded in advance) and aborts. Anything else is passed on untouched: to the
 * handler that was there before own's, or to the default action, which the
 * faulting instruction then meets again when the handler returns.
 */
#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/format.h"
#include "os/os.h"
#include "stack/stack_internal.h"

/* Usable bytes of each alternate signal stack: the handler formats a line
 * and unwinds the faulting stack (libgcc's unwinder needs a few KiB). */
#define ALTSTACK_SIZE ((size_t)64 * 1024)

static struct sigaction prev_segv, prev_bus;
static atomic_int installed;
static pthread_mutex_t install_lock = PTHREAD_MUTEX_INITIALIZER;

int _own_stack_handler_installed(void) { return atomic_load_explicit(&installed, memory_order_acquire); }

static void pass_on(int sig, siginfo_t *info, void *uctx) {
  struct sigaction *prev = sig == SIGSEGV ? &prev_segv : &prev_bus;
  if ((prev->sa_flags & SA_SIGINFO) && prev->sa_sigaction) {
    prev->sa_sigaction(sig, info, uctx);
    return;
  }
  if (!(prev->sa_flags & SA_SIGINFO) && prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN) {
    prev->sa_handler(sig);
    return;
  }
  /* Default action: uninstall ourselves for this signal. A fault re-executes
   * the instruction on return and dies of the signal; a signal that was sent
   * (kill, raise) is sent again, to be delivered once the handler returns. */
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(sig, &dfl, NULL);
  if (!info || info->si_code <= 0) syscall(SYS_tgkill, (long)getpid(), _own_os_tid(), sig);
}

static OWN_NORETURN void report(uintptr_t fault, uintptr_t guard, size_t size, int segment) {
  char name[32];
  long tid = _own_os_tid();
  if ((long)getpid() == tid) {
    memcpy(name, "main", 5);
  } else {
    memset(name, 0, sizeof name);
    if (prctl(PR_GET_NAME, (unsigned long)name, 0, 0, 0) != 0 || !name[0])
      memcpy(name, "<unnamed>", 10);
  }
  _own_fdprintf(2, "\nthread '%s' (tid %ld) has overflowed its %s (%zu KiB, guard at %p)\n", name,
                tid, segment ? "stack segment" : "stack", size / 1024, (void *)guard);
  _own_fdprintf(2, "own: stack overflow: fault at %p; backtrace (innermost first):\n",
                (void *)fault);
  void *frames[48];
  int n = backtrace(frames, 48);
  if (n > 0) backtrace_symbols_fd(frames, n, 2);
  _own_fdprintf(2, "own: aborting\n");
  /* Die of SIGABRT even if the program handles it: its handler would run on
   * the overflowed stack. */
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(SIGABRT, &dfl, NULL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGABRT);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  abort();
}

static void handler(int sig, siginfo_t *info, void *uctx) {
  int saved = errno;
  const _own_stack_thread_t *t = &_own_stack_self;
  /* si_code > 0: the kernel raised it for a fault, so si_addr is meaningful. */
  if (info && info->si_code > 0 && t->known) {
    uintptr_t a = (uintptr_t)info->si_addr;
    const own_stack_t *seg = t->segment;
    if (seg && a >= seg->lo - seg->guard && a < seg->lo)
      report(a, seg->lo - seg->guard, seg->hi - seg->lo, 1);
    if (a >= t->guard_lo && a < t->guard_hi) report(a, t->guard_lo, t->hi - t->lo, 0);
  }
  pass_on(sig, info, uctx);
  errno = saved;
}

int _own_stack_handler_install(void) {
  if (_own_stack_handler_installed()) return 0;
  pthread_mutex_lock(&install_lock);
  int rc = 0;
  if (!atomic_load(&installed)) {
    /* Load the unwinder (libgcc_s) now: backtrace() loads it on first use,
     * which a signal handler must not do. Also fix the page size. */
    void *frames[2];
    (void)backtrace(frames, 2);
    (void)_own_os_page_size();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, &prev_segv) != 0 || sigaction(SIGBUS, &sa, &prev_bus) != 0) {
      rc = errno;
    } else {
      atomic_store_explicit(&installed, 1, memory_order_release);
    }
  }
  pthread_mutex_unlock(&install_lock);
  return rc;
}

int own_stack_guard_install(void) {
  int rc = _own_stack_handler_install();
  if (rc != 0) return rc;
  return _own_stack_thread_setup(NULL);
}

int _own_stack_altstack_setup(_own_stack_thread_t *t) {
  if (t->altstack) return 0;
  stack_t old;
  if (sigaltstack(NULL, &old) == 0 && !(old.ss_flags & SS_DISABLE)) return 0; /* has one */
  size_t size = ALTSTACK_SIZE;
#ifdef _SC_SIGSTKSZ
  long min = sysconf(_SC_SIGSTKSZ); /* grows with the CPU's register state */
  if (min > 0 && (size_t)min * 4 > size) size = (size_t)min * 4;
#endif
  own_stack_t *s = _own_stack_map(size, 0);
  if (!s) return ENOMEM;
  stack_t ss;
  memset(&ss, 0, sizeof ss);
  ss.ss_sp = (void *)s->lo;
  ss.ss_size = s->hi - s->lo;
  if (sigaltstack(&ss, NULL) != 0) {
    int rc = errno;
    _own_stack_unmap(s);
    return rc;
  }
  t->altstack = s;
  _own_stack_count(&_own_stack_counters.threads_guarded, 1);
  return 0;
}

void _own_stack_altstack_release(_own_stack_thread_t *t) {
  own_stack_t *s = t->altstack;
  if (!s) return;
  stack_t cur;
  /* Only if it is still the one in use (the program may have replaced it). */
  if (sigaltstack(NULL, &cur) == 0 && (uintptr_t)cur.ss_sp == s->lo) {
    stack_t off;
    memset(&off, 0, sizeof off);
    off.ss_flags = SS_DISABLE;
    if (sigaltstack(&off, NULL) != 0) return; /* running on it: keep it */
  }
  t->altstack = NULL;
  _own_stack_unmap(s);
}
