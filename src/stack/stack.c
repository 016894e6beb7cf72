/* stack/stack.c — guarded stacks, per-thread stack records, on-demand growth
 * (own_maybe_grow), measurement.
 *
 * A stack is one reservation with no access, of which two parts are then
 * opened read-write: the header page at the bottom (the own_stack_t) and the
 * usable part above the low guard. Putting the header below the guard keeps
 * it out of reach of an overflow; the top guard catches an underflow.
 *
 * Growth: each thread caches the lowest usable address of the stack it runs
 * on in _own_stack_limit (static TLS). own_maybe_grow compares the stack
 * pointer with it and, on the fast path, simply calls fn. The slow path takes
 * a segment (from the thread's cache, else a new mapping), points the limit
 * at it, switches to it (switch.S), runs fn, switches back and restores the
 * limit. Segments nest: a segment's fn may grow again; each level saves the
 * outer segment and limit in its own C frame, so the chain is the C stack.
 *
 * Invariants: _own_stack_limit == (segment ? segment->lo : own stack's lo)
 * whenever a thread runs its own code; a cached segment is on exactly one
 * thread's list; counters only count (they drive no decision).
 *
 * The main thread's bounds come from pthread_getattr_np, which derives them
 * from RLIMIT_STACK: its lowest address is the lowest the kernel will grow it
 * to, not what is mapped now.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "os/os.h"
#include "own/core.h"
#include "stack/stack_internal.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define OWN_STACK_HAVE_VALGRIND 1
#endif
#endif
#ifndef OWN_STACK_HAVE_VALGRIND
#define OWN_STACK_HAVE_VALGRIND 0
#endif

__thread _own_stack_thread_t _own_stack_self;
__thread uintptr_t _own_stack_limit = UINTPTR_MAX;
_own_stack_counters_t _own_stack_counters;

/* What a painted stack holds where it was never used. Odd and irregular, so
 * that neither a pointer nor a small integer nor zero fill matches it. */
#define PAINT ((uintptr_t)0x5ca1ab1ef00dfeedull)

/* Segments a thread keeps for reuse; the rest are unmapped on return. */
#define CACHE_MAX 4

/* Sizes above this are refused as absurd (1/8 of the address space). */
#define ABSURD ((size_t)1 << (sizeof(size_t) * 8 - 3))

static size_t round_up(size_t n, size_t page) { return (n + page - 1) & ~(page - 1); }

own_stack_t *_own_stack_map(size_t size, unsigned flags) {
  size_t page = _own_os_page_size();
  size_t guard = round_up(OWN_STACK_GUARD, page);
  if (size > ABSURD) {
    errno = ENOMEM;
    return NULL;
  }
  size = round_up(size, page);
  size_t total = page + guard + size + page;
  uintptr_t m = (uintptr_t)_own_os_reserve(total);
  if (!m) {
    errno = ENOMEM;
    return NULL;
  }
  uintptr_t lo = m + page + guard;
  if (!_own_os_protect_rw((void *)m, page) || !_own_os_protect_rw((void *)lo, size)) {
    _own_os_unmap((void *)m, total);
    errno = ENOMEM;
    return NULL;
  }
  own_stack_t *s = (own_stack_t *)m;
  memset(s, 0, sizeof *s);
  s->map = m;
  s->map_size = total;
  s->lo = lo;
  s->hi = lo + size;
  s->guard = guard;
  if (flags & OWN_STACK_PAINT) {
    for (uintptr_t *w = (uintptr_t *)s->lo; w < (uintptr_t *)s->hi; w++) *w = PAINT;
    s->painted = 1;
  }
#if OWN_STACK_HAVE_VALGRIND
  if (flags & OWN_STACK_VALGRIND) s->vg_id = VALGRIND_STACK_REGISTER(s->lo, s->hi);
#endif
  return s;
}

void _own_stack_unmap(own_stack_t *s) {
#if OWN_STACK_HAVE_VALGRIND
  if (s->vg_id) VALGRIND_STACK_DEREGISTER(s->vg_id);
#endif
  _own_os_unmap((void *)s->map, s->map_size);
}

/* ---- Public stacks -------------------------------------------------------- */

own_stack_t *own_stack_new(size_t size) {
  if (size == 0) {
    own_report(OWN_ERR_USAGE, NULL, "own_stack_new: a stack of 0 bytes");
    errno = EINVAL;
    return NULL;
  }
  if (size > ABSURD) {
    own_report(OWN_ERR_OVERFLOW, NULL, "own_stack_new: a stack of %zu bytes", size);
    errno = EINVAL;
    return NULL;
  }
  if (size < OWN_STACK_MIN_SIZE) size = OWN_STACK_MIN_SIZE;
  own_stack_t *s = _own_stack_map(size, OWN_STACK_PAINT | OWN_STACK_VALGRIND);
  if (s) _own_stack_count(&_own_stack_counters.stacks_live, 1);
  return s;
}

void own_stack_free(own_stack_t *s) {
  if (!s) return;
  _own_stack_count(&_own_stack_counters.stacks_live, -1);
  _own_stack_unmap(s);
}

void *own_stack_bottom(const own_stack_t *s) { return s ? (void *)s->lo : NULL; }
void *own_stack_top(const own_stack_t *s) { return s ? (void *)s->hi : NULL; }
size_t own_stack_size(const own_stack_t *s) { return s ? s->hi - s->lo : 0; }
size_t own_stack_guard_size(const own_stack_t *s) { return s ? s->guard : 0; }

size_t own_stack_high_water(const own_stack_t *s) {
  if (!s || !s->painted) return 0;
  /* Volatile: another thread may be running on the stack right now. */
  const volatile uintptr_t *w = (const volatile uintptr_t *)s->lo;
  const volatile uintptr_t *end = (const volatile uintptr_t *)s->hi;
#if OWN_STACK_HAVE_VALGRIND
  /* Below a thread's stack pointer valgrind counts the memory as freed:
   * reading the paint there is what this function is for. */
  VALGRIND_DISABLE_ERROR_REPORTING;
#endif
  while (w < end && *w == PAINT) w++;
#if OWN_STACK_HAVE_VALGRIND
  VALGRIND_ENABLE_ERROR_REPORTING;
#endif
  return s->hi - (uintptr_t)w;
}

/* ---- Thread records ------------------------------------------------------- */

static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

static void free_cache(_own_stack_thread_t *t) {
  while (t->cache) {
    own_stack_t *s = t->cache;
    t->cache = s->next;
    t->ncached--;
    _own_stack_count(&_own_stack_counters.segments_cached, -1);
    _own_stack_count(&_own_stack_counters.segment_unmaps, 1);
    _own_stack_unmap(s);
  }
}

/* Runs when a thread that set up a record exits: its segments and its
 * alternate stack go back to the OS. The record is reset so that code
 * running after this destructor sets it up afresh. */
static void thread_exit(void *p) {
  _own_stack_thread_t *t = p;
  free_cache(t);
  _own_stack_altstack_release(t);
  t->exit_hook = 0;
}

static void make_exit_key(void) { (void)pthread_key_create(&exit_key, thread_exit); }

static int record_bounds(_own_stack_thread_t *t, const own_stack_t *own) {
  size_t page = _own_os_page_size();
  uintptr_t lo, hi, glo, ghi;
  if (own) {
    lo = own->lo;
    hi = own->hi;
    glo = lo - own->guard;
    ghi = lo;
  } else {
    pthread_attr_t a;
    void *addr = NULL;
    size_t size = 0, guard = 0;
    if (pthread_getattr_np(pthread_self(), &a) != 0) return EINVAL;
    int rc = pthread_attr_getstack(&a, &addr, &size);
    (void)pthread_attr_getguardsize(&a, &guard);
    pthread_attr_destroy(&a);
    if (rc != 0 || !addr || size == 0) return EINVAL;
    lo = (uintptr_t)addr;
    hi = lo + size;
    if ((long)getpid() == _own_os_tid()) {
      /* The main thread: the kernel grows its stack on demand and refuses
       * below lo (RLIMIT_STACK). The fault lands just below lo; a frame that
       * skips pages lands further down, in the gap the kernel keeps free
       * under a stack (stack_guard_gap, 1 MiB by default). */
      size_t g = round_up(OWN_STACK_GUARD, page);
      glo = lo > g ? lo - g : 0;
      ghi = lo + page;
    } else {
      if (guard < page) guard = page;
      glo = lo > guard ? lo - guard : 0;
      ghi = lo;
    }
  }
  t->lo = lo;
  t->hi = hi;
  t->guard_lo = glo;
  t->guard_hi = ghi;
  /* The handler may run at any instruction: publish the bounds first. */
  atomic_signal_fence(memory_order_seq_cst);
  t->known = 1;
  atomic_signal_fence(memory_order_seq_cst);
  if (!t->segment) _own_stack_limit = lo;
  return 0;
}

int _own_stack_thread_setup(const own_stack_t *own) {
  _own_stack_thread_t *t = &_own_stack_self;
  if (!t->known) {
    int rc = record_bounds(t, own);
    if (rc != 0) {
      _own_stack_limit = 0; /* unknown: never grow, report 0 remaining */
      return rc;
    }
  }
  if (!t->exit_hook && pthread_once(&exit_once, make_exit_key) == 0 &&
      pthread_setspecific(exit_key, t) == 0)
    t->exit_hook = 1;
  if (_own_stack_handler_installed()) return _own_stack_altstack_setup(t);
  return 0;
}

int own_stack_guard_thread_init(void) { return _own_stack_thread_setup(NULL); }

size_t own_stack_remaining(void) {
  uintptr_t sp = _own_stack_sp();
  if (OWN_UNLIKELY(_own_stack_limit == UINTPTR_MAX)) (void)_own_stack_thread_setup(NULL);
  uintptr_t lim = _own_stack_limit;
  return sp > lim ? sp - lim : 0;
}

/* ---- Growth --------------------------------------------------------------- */

static own_stack_t *cache_take(_own_stack_thread_t *t, size_t need) {
  for (own_stack_t **p = &t->cache; *p; p = &(*p)->next) {
    own_stack_t *s = *p;
    if (s->hi - s->lo >= need) {
      *p = s->next;
      s->next = NULL;
      t->ncached--;
      _own_stack_count(&_own_stack_counters.segments_cached, -1);
      return s;
    }
  }
  return NULL;
}

static void cache_put(_own_stack_thread_t *t, own_stack_t *s) {
  if (t->ncached < CACHE_MAX) {
    s->next = t->cache;
    t->cache = s;
    t->ncached++;
    _own_stack_count(&_own_stack_counters.segments_cached, 1);
  } else {
    _own_stack_count(&_own_stack_counters.segment_unmaps, 1);
    _own_stack_unmap(s);
  }
}

void own_stack_trim(void) { free_cache(&_own_stack_self); }

static __attribute__((noinline)) int grow_slow(size_t red_zone, size_t segment_size,
                                               void (*fn)(void *), void *arg) {
  if (!fn) {
    own_report(OWN_ERR_USAGE, NULL, "own_maybe_grow: no function to run");
    return EINVAL;
  }
  _own_stack_thread_t *t = &_own_stack_self;
  if (!t->known) {
    /* First call on this thread: learn its bounds, then decide again. */
    (void)_own_stack_thread_setup(NULL);
    uintptr_t sp = _own_stack_sp(), lim = _own_stack_limit;
    if (sp > lim && sp - lim >= red_zone) {
      fn(arg);
      return 0;
    }
  }
  if (red_zone > ABSURD || segment_size > ABSURD) {
    own_report(OWN_ERR_USAGE, NULL, "own_maybe_grow: absurd sizes (red zone %zu, segment %zu)",
               red_zone, segment_size);
    return EINVAL;
  }
#if OWN_STACK_CAN_SWITCH
  size_t need = segment_size > 2 * red_zone ? segment_size : 2 * red_zone;
  if (need < OWN_STACK_MIN_SIZE) need = OWN_STACK_MIN_SIZE;
  need = round_up(need, _own_os_page_size());
  own_stack_t *s = cache_take(t, need);
  if (!s) {
    s = _own_stack_map(need, OWN_STACK_VALGRIND);
    if (!s) own_out_of_memory(need);
    _own_stack_count(&_own_stack_counters.segment_maps, 1);
  }
  own_stack_t *outer = t->segment;
  uintptr_t outer_limit = _own_stack_limit;
  t->segment = s;
  _own_stack_limit = s->lo;
  _own_stack_count(&_own_stack_counters.segments_live, 1);
  _own_stack_count(&_own_stack_counters.grows, 1);
  _own_stack_call(arg, fn, (void *)s->hi);
  _own_stack_count(&_own_stack_counters.segments_live, -1);
  _own_stack_limit = outer_limit;
  t->segment = outer;
  cache_put(t, s);
#else
  /* No stack switching on this architecture: run in place. */
  fn(arg);
#endif
  return 0;
}

int own_maybe_grow(size_t red_zone, size_t segment_size, void (*fn)(void *), void *arg) {
  uintptr_t sp = _own_stack_sp(), lim = _own_stack_limit;
  if (OWN_LIKELY(sp > lim && sp - lim >= red_zone && fn)) {
    fn(arg);
    return 0;
  }
  return grow_slow(red_zone, segment_size, fn, arg);
}

/* ---- Statistics ----------------------------------------------------------- */

void own_stack_stats(own_stack_stats_t *out) {
  if (!out) return;
  _own_stack_counters_t *c = &_own_stack_counters;
  out->stacks_live = atomic_load_explicit(&c->stacks_live, memory_order_relaxed);
  out->segments_live = atomic_load_explicit(&c->segments_live, memory_order_relaxed);
  out->segments_cached = atomic_load_explicit(&c->segments_cached, memory_order_relaxed);
  out->segment_maps = atomic_load_explicit(&c->segment_maps, memory_order_relaxed);
  out->segment_unmaps = atomic_load_explicit(&c->segment_unmaps, memory_order_relaxed);
  out->grows = atomic_load_explicit(&c->grows, memory_order_relaxed);
  out->threads_guarded = atomic_load_explicit(&c->threads_guarded, memory_order_relaxed);
}
