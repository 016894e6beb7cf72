/* stack/stack_internal.h — what the files of the stack layer share.
 *
 * Glossary:
 *   stack     an own_stack_t: one mapping [header | low guard | usable | top guard]
 *             (own/stack.h draws it). The header page holds the own_stack_t.
 *   segment   a stack that own_maybe_grow runs a function on; segments are
 *             cached per thread and reused.
 *   thread record
 *             _own_stack_self, one per thread (static TLS, so a signal
 *             handler may read it): the bounds of the thread's own stack, the
 *             region whose fault counts as its overflow, the segment it runs
 *             on now, its segment cache and its alternate signal stack.
 *   limit     _own_stack_limit: the lowest usable address of the stack the
 *             thread runs on now (its own stack or the current segment);
 *             UINTPTR_MAX until the thread record is set up, 0 when the
 *             bounds cannot be known. own_maybe_grow's fast path reads only this.
 */
#ifndef OWN_STACK_INTERNAL_H
#define OWN_STACK_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "own/stack.h"

/* Stack switching exists for these architectures (switch.S). */
#if defined(__x86_64__) || defined(__aarch64__)
#define OWN_STACK_CAN_SWITCH 1
#else
#define OWN_STACK_CAN_SWITCH 0
#endif

struct own_stack {
  uintptr_t map;          /* start of the whole mapping (= this header)       */
  size_t map_size;        /* bytes of the whole mapping                       */
  uintptr_t lo;           /* lowest usable address                            */
  uintptr_t hi;           /* one past the highest usable address (page aligned) */
  size_t guard;           /* bytes of the low guard, just below lo            */
  own_stack_t *next;      /* link in a thread's segment cache                 */
  unsigned vg_id;         /* valgrind's id for the stack (0: not registered)  */
  int painted;            /* usable part was filled with the paint pattern    */
  /* own_thread_spawn's start, read by the new thread before fn runs. */
  void *(*start_fn)(void *);
  void *start_arg;
  char name[16];          /* thread name, NUL-terminated, "" for none         */
};

/* Flags of _own_stack_map. */
enum { OWN_STACK_PAINT = 1, OWN_STACK_VALGRIND = 2 };

/* Maps a stack of at least `size` usable bytes (rounded up to the page size).
 * NULL with errno = ENOMEM when the size wraps or the OS refuses. */
own_stack_t *_own_stack_map(size_t size, unsigned flags);
void _own_stack_unmap(own_stack_t *s);

typedef struct _own_stack_thread {
  uintptr_t lo, hi;             /* usable bounds of the thread's own stack    */
  uintptr_t guard_lo, guard_hi; /* a fault in [guard_lo, guard_hi) is an overflow */
  own_stack_t *segment;         /* segment running now, NULL: own stack       */
  own_stack_t *cache;           /* free segments, linked by ->next            */
  size_t ncached;
  own_stack_t *altstack;        /* alternate signal stack own gave it, or NULL */
  int known;                    /* the fields above lo..guard_hi are valid     */
  int exit_hook;                /* the exit destructor is registered           */
} _own_stack_thread_t;

extern __thread _own_stack_thread_t _own_stack_self;
extern __thread uintptr_t _own_stack_limit;

/* Records the calling thread's stack bounds (from `own` when it runs on an
 * own stack, else from the C library) and, when the overflow handler is
 * installed, gives it an alternate signal stack. Idempotent. 0 or errno. */
int _own_stack_thread_setup(const own_stack_t *own);

/* guard.c */
int _own_stack_handler_install(void);  /* process-wide part of the install */
int _own_stack_handler_installed(void);
int _own_stack_altstack_setup(_own_stack_thread_t *t);
void _own_stack_altstack_release(_own_stack_thread_t *t);

/* thread.c: the C library's pthread_create, bypassing own's wrapper. */
int _own_stack_real_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *),
                           void *arg);

/* switch.S: switches to the stack whose top is `top` (16-byte aligned), calls
 * fn(arg) there, switches back. */
void _own_stack_call(void *arg, void (*fn)(void *), void *top);

/* Counters (own_stack_stats). */
typedef struct _own_stack_counters {
  _Atomic size_t stacks_live, segments_live, segments_cached, segment_maps, segment_unmaps,
      grows, threads_guarded;
} _own_stack_counters_t;
extern _own_stack_counters_t _own_stack_counters;

static inline void _own_stack_count(_Atomic size_t *c, long d) {
  if (d >= 0) atomic_fetch_add_explicit(c, (size_t)d, memory_order_relaxed);
  else atomic_fetch_sub_explicit(c, (size_t)-d, memory_order_relaxed);
}

/* The stack pointer of the caller (close enough: within its frame). */
static inline __attribute__((always_inline)) uintptr_t _own_stack_sp(void) {
  uintptr_t sp;
#if defined(__x86_64__)
  __asm__ volatile("movq %%rsp, %0" : "=r"(sp));
#elif defined(__aarch64__)
  __asm__ volatile("mov %0, sp" : "=r"(sp));
#else
  sp = (uintptr_t)__builtin_frame_address(0);
#endif
  return sp;
}

#endif
