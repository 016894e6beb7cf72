/* own/stack.h — stacks you can see the end of.
 *
 * Four tools (docs/stacks.md tells when to use which):
 *
 *  1. Guarded stacks. own_stack_new maps a stack between inaccessible guard
 *     pages; own_thread_spawn runs a function on such a stack, with a name and
 *     a size, and own_thread_join collects it.
 *  2. Overflow reports. After own_stack_guard_install(), a thread that runs
 *     into its guard prints
 *         thread 'worker-3' (tid 4242) has overflowed its stack (2048 KiB, guard at 0x7f...)
 *     and a backtrace on stderr, then aborts (SIGABRT), instead of dying of a
 *     bare SIGSEGV. A fault that is not a stack overflow behaves exactly as it
 *     did before (a previous handler is chained; otherwise the default action).
 *  3. On-demand growth. own_maybe_grow runs a function on a fresh stack
 *     segment when the current stack is nearly used up, so a recursion can go
 *     as deep as memory allows. The old stack never moves.
 *  4. Measurement. own_stack_remaining (bytes left, on any thread) and
 *     own_stack_high_water (the deepest use of an own stack so far).
 *
 * Linux on x86-64 and aarch64 (stack switching is a few lines of assembly for
 * each); hosted only. Errors follow own's rules: a mapping that cannot be made
 * returns NULL / ENOMEM; misuse (a zero size, a NULL function, sizes that would
 * wrap) is reported through own_report (own/core.h) and fails cleanly.
 */
#ifndef OWN_STACK_H
#define OWN_STACK_H

#include <pthread.h>
#include <stddef.h>

#include "core.h"

OWN_EXTERN_C_BEGIN

/* ---- Guarded stacks --------------------------------------------------------
 *
 * A stack's mapping, low addresses first:
 *
 *   [ header page | low guard (OWN_STACK_GUARD) | usable stack | top guard page ]
 *
 * The stack grows down from the top of the usable part towards the low guard.
 * The low guard is large (64 KiB by default) so that a frame that skips a few
 * pages still lands in it; code compiled with -fstack-clash-protection probes
 * every page and always lands in its first page. Guards cost address space
 * only, never memory. */

typedef struct own_stack own_stack_t;

/* Bytes of the low guard of every stack own maps (rounded up to the page
 * size at run time, so it is at least one page). */
#define OWN_STACK_GUARD ((size_t)64 * 1024)
/* Usable size of own_thread_spawn's stack when it is given 0. */
#define OWN_STACK_DEFAULT_SIZE ((size_t)2 * 1024 * 1024)
/* Smallest usable size own_stack_new hands out (smaller requests are raised). */
#define OWN_STACK_MIN_SIZE ((size_t)16 * 1024)

/* Maps a guarded stack with at least `size` usable bytes (rounded up to the
 * page size; at least OWN_STACK_MIN_SIZE) and paints its usable part with a
 * pattern for own_stack_high_water. Painting touches every page: a stack's
 * memory is committed when it is made, not on first use.
 * Returns NULL with errno = ENOMEM when the OS refuses the mapping, and NULL
 * with errno = EINVAL (reported as OWN_ERR_USAGE / OWN_ERR_OVERFLOW) for a
 * size of 0 or one whose mapping size would wrap. The caller owns the result
 * and frees it with own_stack_free. O(size) (painting). Thread-safe. */
OWN_API own_stack_t *own_stack_new(size_t size) OWN_NODISCARD;

/* Unmaps a stack from own_stack_new. NULL does nothing. The stack must not be
 * in use by any thread. O(1). Thread-safe. */
OWN_API void own_stack_free(own_stack_t *s);

/* The usable part of a stack is [own_stack_bottom, own_stack_top): a thread
 * starts at the top and must never go below the bottom. NULL for NULL. */
OWN_API void *own_stack_bottom(const own_stack_t *s);
OWN_API void *own_stack_top(const own_stack_t *s);
/* Usable bytes (top - bottom), and the bytes of the low guard. 0 for NULL. */
OWN_API size_t own_stack_size(const own_stack_t *s);
OWN_API size_t own_stack_guard_size(const own_stack_t *s);

/* The deepest use of the stack so far, in bytes from its top: the distance
 * from the top to the lowest word that no longer holds the paint pattern.
 * Accurate to the word unless the code stored the pattern itself (then it
 * under-reports by that word's depth). It counts everything on the stack,
 * including what the C library keeps at the top of a thread's stack (thread
 * descriptor and TLS, a few KiB). 0 for NULL. O(size) in the worst case.
 * May be called while a thread runs on the stack (a snapshot). */
OWN_API size_t own_stack_high_water(const own_stack_t *s);

/* ---- Threads on guarded stacks ---------------------------------------------
 *
 * own_thread_spawn starts fn(arg) on a new thread whose stack is an own stack
 * of `stack_size` usable bytes (0: OWN_STACK_DEFAULT_SIZE; raised to the C
 * library's minimum, PTHREAD_STACK_MIN, when below it). The thread gets
 * the name `name` (truncated to 15 bytes, the kernel's limit; NULL: no name),
 * its own alternate signal stack, and overflow reports: spawning installs the
 * overflow handler (own_stack_guard_install) if it is not installed yet. */

typedef struct own_thread {
  pthread_t handle;         /* the pthread; valid between spawn and join     */
  own_stack_t *stack;       /* its stack; freed by own_thread_join           */
  size_t stack_high_water;  /* set by own_thread_join: deepest use, bytes    */
} own_thread_t;

/* Returns 0 and fills *t, or an error number with *t untouched: EINVAL (t or
 * fn NULL, reported), ENOMEM (no stack), or pthread_create's error (EAGAIN).
 * Every spawned thread must be joined with own_thread_join (there is no
 * detach: the stack is freed at join). Thread-safe. */
OWN_API int own_thread_spawn(own_thread_t *t, const char *name, size_t stack_size,
                             void *(*fn)(void *), void *arg);

/* Waits for the thread, stores fn's result in *result (if result is not NULL),
 * records the stack's high-water mark in t->stack_high_water and frees the
 * stack. Returns 0, or EINVAL for a NULL / already joined thread, or
 * pthread_join's error. Call once per spawned thread, from another thread. */
OWN_API int own_thread_join(own_thread_t *t, void **result);

/* ---- Overflow reports ------------------------------------------------------ */

/* Installs the SIGSEGV / SIGBUS handler that reports stack overflows, and
 * sets up the calling thread (its stack bounds and an alternate signal stack,
 * on which the handler runs: an overflowed stack has no room for it).
 * Call it early from main(): the main thread is covered from then on.
 * Idempotent: later calls only set up the calling thread. Returns 0, or an
 * errno value (the handler or the alternate stack could not be installed).
 *
 * Which threads are covered after it:
 *  - the thread that called it (normally main);
 *  - every thread own_thread_spawn starts;
 *  - threads created with pthread_create after it: libown wraps
 *    pthread_create so their start sets them up (set OWN_STACK_WRAP=0 in the
 *    environment to turn the wrapper off);
 *  - any other thread once it calls own_stack_guard_thread_init() or any
 *    function of this header.
 * A thread with none of these has no alternate stack: its overflow still ends
 * in a plain SIGSEGV, as without own.
 *
 * A fault that is not an overflow of the faulting thread's stack (a null
 * pointer, a wild write, even one into another thread's guard) is passed on:
 * to the handler that was installed before own's (which is kept and called),
 * or to the default action (the process dies of SIGSEGV as it would have).
 * Thread-safe. */
OWN_API int own_stack_guard_install(void);

/* Sets up the calling thread: records its stack bounds and, when the handler
 * is installed, gives it an alternate signal stack (unless it has one). The
 * alternate stack is freed when the thread exits. Idempotent; returns 0 or
 * an errno value. */
OWN_API int own_stack_guard_thread_init(void);

/* ---- On-demand growth ------------------------------------------------------
 *
 * own_maybe_grow(red_zone, segment_size, fn, arg) calls fn(arg) on the
 * current stack when at least red_zone bytes of it remain; otherwise it takes
 * a guarded segment of at least segment_size bytes from the calling thread's
 * cache (or maps one), runs fn(arg) on it, switches back and puts the segment
 * back in the cache. The old stack never moves: pointers into it stay valid.
 *
 * Call it at every level of a deep recursion, with red_zone at least the
 * stack one level needs between two calls:
 *
 *     static void visit(void *p) { ...; own_maybe_grow(64 << 10, 1 << 20, visit, child); ... }
 *
 * The segment is at least 2 * red_zone (so one level always fits). Returns 0
 * when fn ran. Returns EINVAL without calling fn (reported as OWN_ERR_USAGE)
 * when fn is NULL or the sizes are absurd (more than 1/8 of the address
 * space). When no segment can be mapped, own_out_of_memory is called (it does
 * not return). Fast path (no growth): a compare with a per-thread limit, a few
 * nanoseconds; a growth with a cached segment makes no system call.
 * Thread-safe (each thread has its own segments). Backtraces and debuggers
 * can usually unwind across the switch, but that is not promised. */
OWN_API int own_maybe_grow(size_t red_zone, size_t segment_size, void (*fn)(void *), void *arg);

/* Suggested arguments for own_maybe_grow. */
#define OWN_STACK_RED_ZONE ((size_t)64 * 1024)
#define OWN_STACK_SEGMENT_SIZE ((size_t)1024 * 1024)

/* Bytes of stack left below the caller's frame on the stack it runs on: the
 * thread's stack (main thread: up to RLIMIT_STACK; others: their mapping) or
 * the segment own_maybe_grow switched to. 0 when the bounds cannot be known.
 * The first call on a thread reads its bounds (pthread_getattr_np; may
 * allocate); later calls are O(1). Thread-safe. */
OWN_API size_t own_stack_remaining(void);

/* Frees the calling thread's cached segments (a thread's cache is freed at
 * its exit anyway). O(cached segments). */
OWN_API void own_stack_trim(void);

/* Process-wide counters. */
typedef struct own_stack_stats {
  size_t stacks_live;      /* own_stack_new stacks not yet freed              */
  size_t segments_live;    /* segments own_maybe_grow is running on now       */
  size_t segments_cached;  /* segments waiting in threads' caches             */
  size_t segment_maps;     /* segments ever mapped (each one mmap)            */
  size_t segment_unmaps;   /* segments ever unmapped                          */
  size_t grows;            /* own_maybe_grow calls that switched stacks       */
  size_t threads_guarded;  /* threads given an alternate signal stack by own  */
} own_stack_stats_t;

/* Fills *out (NULL: nothing). Counters are read one by one (relaxed), so
 * they are consistent only when no other thread grows meanwhile. */
OWN_API void own_stack_stats(own_stack_stats_t *out);

OWN_EXTERN_C_END

#endif
