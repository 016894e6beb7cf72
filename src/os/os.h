/* os/os.h — the only door to the operating system for the layers above.
 *
 * Memory is handled in three steps: reserve address space (no memory behind
 * it yet), commit (memory may be touched; on Linux a commit is free and the
 * kernel supplies zeroed pages on first touch), decommit (give the physical
 * pages back; the range stays reserved and reads as zero when touched again).
 * Plus page protection for guard pages, a thread id, a clock, the environment
 * and raw writes for messages. Nothing here allocates from any heap, so every
 * function is safe inside malloc; those marked AS-safe are also
 * async-signal-safe.
 */
#ifndef OWN_OS_H
#define OWN_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The OS page size (4096 on x86-64 Linux; 16 KiB or 64 KiB on some aarch64). */
size_t _own_os_page_size(void);

/* Reserves and commits `size` bytes (a multiple of the page size), read-write,
 * zero-filled, aligned to `align` (a power of two, >= page size). NULL on
 * failure. Counts one OS mapping. */
void *_own_os_map(size_t size, size_t align);

/* As _own_os_map, but the returned p satisfies (p + offset) % align == 0
 * (offset < align, a multiple of the page size). */
void *_own_os_map_at(size_t size, size_t align, size_t offset);

/* Reserves `size` bytes with no access (for stacks and guard regions), aligned
 * to the page size. NULL on failure. */
void *_own_os_reserve(size_t size);

/* Unmaps [p, p+size). Counts one mapping fewer. */
void _own_os_unmap(void *p, size_t size);

/* Gives the physical pages of [p, p+size) back to the OS; the range stays
 * mapped read-write and reads as zeros afterwards. Page-aligned arguments. */
void _own_os_purge(void *p, size_t size);

/* Changes the protection of [p, p+size): none (guard page) or read-write.
 * Returns false on failure. AS-safe. */
bool _own_os_protect_none(void *p, size_t size);
bool _own_os_protect_rw(void *p, size_t size);

/* Grows or shrinks the mapping [p, p+old_size) to new_size, moving it if needed
 * to a place aligned to `align`; returns the new address or NULL (the old
 * mapping is then unchanged). */
void *_own_os_remap(void *p, size_t old_size, size_t new_size, size_t align);

/* Moves the pages of [src, src+size) (inside one mapping) over
 * [dst, dst+size) (inside another): page tables move, no byte is copied, and
 * src is unmapped afterwards. Page-aligned arguments. Returns false on failure
 * (nothing moved). */
bool _own_os_move(void *src, size_t size, void *dst);
/* The caller split one mapping into `delta` more (or joined -delta into
 * others): keeps the count of live mappings right. */
void _own_os_count_mappings(long delta);
/* An id of the calling thread, never 0, cheap (a register read). AS-safe. */
static inline uintptr_t _own_thread_id(void) {
#if defined(__x86_64__)
  uintptr_t tp;
  __asm__("movq %%fs:0, %0" : "=r"(tp));
  return tp;
#elif defined(__aarch64__)
  uintptr_t tp;
  __asm__("mrs %0, tpidr_el0" : "=r"(tp));
  return tp;
#else
  return (uintptr_t)__builtin_thread_pointer();
#endif
}

/* The kernel's thread id (gettid). AS-safe. */
long _own_os_tid(void);

/* Monotonic clock in nanoseconds. AS-safe. */
uint64_t _own_os_now_ns(void);

/* The value of environment variable `name`, read without allocating, or NULL.
 * Safe before main and inside malloc. */
const char *_own_os_getenv(const char *name);

/* Writes all of buf to fd, retrying on EINTR; no allocation. AS-safe. */
void _own_os_write(int fd, const char *buf, size_t len);

/* Counters of OS activity (for own_stats). */
typedef struct _own_os_counters {
  size_t mappings;    /* live mappings                 */
  size_t map_calls;   /* mmap calls                    */
  size_t unmap_calls; /* munmap calls                  */
  size_t purge_calls; /* madvise(DONTNEED) calls       */
  size_t reserved;    /* bytes of live mappings        */
} _own_os_counters_t;
void _own_os_counters(_own_os_counters_t *out);

#endif
