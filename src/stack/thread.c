/* stack/thread.c — threads on guarded stacks (own_thread_spawn / join), and
 * the pthread_create wrapper that gives plain threads an overflow report.
 *
 * own_thread_spawn maps an own stack, stores the start function and name in
 * the stack's header page (so spawning allocates nothing else) and starts a
 * pthread on it. The new thread names itself, records its bounds from the
 * header and takes an alternate signal stack before running the function.
 *
 * The wrapper: libown defines pthread_create. It finds the C library's with
 * dlsym(RTLD_NEXT) and, until own_stack_guard_install() has run (or with
 * OWN_STACK_WRAP=0), simply calls it. Afterwards it starts each thread through
 * a small trampoline that sets the thread up (bounds, alternate stack) before
 * the thread's function runs. This is how a plain pthread gets a report: the
 * alternate stack must be installed by the thread itself, before it overflows.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "os/os.h"
#include "own/core.h"
#include "stack/stack_internal.h"

typedef int (*create_fn_t)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

static _Atomic(create_fn_t) real_create;
static atomic_int wrap_state; /* 0: not read yet, 1: wrap, 2: do not wrap */

static create_fn_t resolve_create(void) {
  create_fn_t f = atomic_load_explicit(&real_create, memory_order_acquire);
  if (!f) {
    /* A union converts the object pointer dlsym returns to a function
     * pointer without a cast that ISO C frowns upon. */
    union {
      void *obj;
      create_fn_t fn;
    } u;
    u.obj = dlsym(RTLD_NEXT, "pthread_create");
    f = u.fn;
    atomic_store_explicit(&real_create, f, memory_order_release);
  }
  return f;
}

int _own_stack_real_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *),
                           void *arg) {
  create_fn_t f = resolve_create();
  return f ? f(th, attr, fn, arg) : EAGAIN;
}

static int should_wrap(void) {
  if (!_own_stack_handler_installed()) return 0;
  int w = atomic_load_explicit(&wrap_state, memory_order_relaxed);
  if (w == 0) {
    const char *e = _own_os_getenv("OWN_STACK_WRAP");
    w = (e && e[0] == '0') ? 2 : 1;
    atomic_store_explicit(&wrap_state, w, memory_order_relaxed);
  }
  return w == 1;
}

typedef struct wrapped {
  void *(*fn)(void *);
  void *arg;
} wrapped_t;

static void *wrapped_start(void *p) {
  wrapped_t w = *(wrapped_t *)p;
  free(p);
  (void)_own_stack_thread_setup(NULL);
  return w.fn(w.arg);
}

OWN_API int pthread_create(pthread_t *restrict th, const pthread_attr_t *restrict attr,
                           void *(*fn)(void *), void *restrict arg) {
  if (should_wrap()) {
    wrapped_t *w = malloc(sizeof *w);
    if (w) {
      w->fn = fn;
      w->arg = arg;
      int rc = _own_stack_real_create(th, attr, wrapped_start, w);
      if (rc != 0) free(w);
      return rc;
    }
  }
  return _own_stack_real_create(th, attr, fn, arg);
}

/* ---- own threads ---------------------------------------------------------- */

static void *own_start(void *p) {
  own_stack_t *s = p;
  if (s->name[0]) (void)pthread_setname_np(pthread_self(), s->name);
  (void)_own_stack_thread_setup(s);
  return s->start_fn(s->start_arg);
}

int own_thread_spawn(own_thread_t *t, const char *name, size_t stack_size, void *(*fn)(void *),
                     void *arg) {
  if (!t || !fn) {
    own_report(OWN_ERR_USAGE, t, "own_thread_spawn: %s is NULL", t ? "the function" : "the thread");
    return EINVAL;
  }
  int rc = _own_stack_handler_install();
  if (rc != 0) return rc;
  if (stack_size == 0) stack_size = OWN_STACK_DEFAULT_SIZE;
  long min = sysconf(_SC_THREAD_STACK_MIN); /* 16 KiB on x86-64, 128 KiB on aarch64 */
  if (min > 0 && stack_size < (size_t)min) stack_size = (size_t)min;
  own_stack_t *s = own_stack_new(stack_size);
  if (!s) return errno ? errno : ENOMEM;
  s->start_fn = fn;
  s->start_arg = arg;
  if (name) {
    size_t n = strlen(name);
    if (n > sizeof s->name - 1) n = sizeof s->name - 1;
    memcpy(s->name, name, n);
    s->name[n] = 0;
  }
  pthread_attr_t a;
  if ((rc = pthread_attr_init(&a)) != 0) {
    own_stack_free(s);
    return rc;
  }
  rc = pthread_attr_setstack(&a, (void *)s->lo, s->hi - s->lo);
  if (rc == 0) rc = _own_stack_real_create(&t->handle, &a, own_start, s);
  pthread_attr_destroy(&a);
  if (rc != 0) {
    own_stack_free(s);
    return rc;
  }
  t->stack = s;
  t->stack_high_water = 0;
  return 0;
}

int own_thread_join(own_thread_t *t, void **result) {
  if (!t || !t->stack) {
    own_report(OWN_ERR_USAGE, t, "own_thread_join: %s", t ? "thread already joined" : "NULL thread");
    return EINVAL;
  }
  int rc = pthread_join(t->handle, result);
  if (rc != 0) return rc;
  t->stack_high_water = own_stack_high_water(t->stack);
  own_stack_free(t->stack);
  t->stack = NULL;
  return 0;
}
