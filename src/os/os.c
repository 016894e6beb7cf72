/* os/os.c — Linux implementation of os/os.h: mmap, madvise, mprotect, mremap.
 *
 * Aligned mappings are made by over-reserving size + align and unmapping the
 * ends that fall outside the aligned window, so no space is wasted. Counters
 * are relaxed atomics: they feed statistics, never decisions.
 */
#include "os/os.h"

#include <errno.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static _Atomic size_t os_mappings, os_map_calls, os_unmap_calls, os_purge_calls, os_reserved;

static void count(_Atomic size_t *c, size_t n) { atomic_fetch_add_explicit(c, n, memory_order_relaxed); }
static void uncount(_Atomic size_t *c, size_t n) { atomic_fetch_sub_explicit(c, n, memory_order_relaxed); }

size_t _own_os_page_size(void) {
  static size_t page;
  if (page == 0) {
    long p = sysconf(_SC_PAGESIZE);
    page = p > 0 ? (size_t)p : 4096;
  }
  return page;
}

static void *map_raw(size_t size, int prot) {
  int saved = errno;
  void *p = mmap(NULL, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  count(&os_map_calls, 1);
  errno = saved;
  return p == MAP_FAILED ? NULL : p;
}

static void unmap_raw(void *p, size_t size) {
  int saved = errno;
  munmap(p, size);
  count(&os_unmap_calls, 1);
  errno = saved;
}

/* Aligned mappings (segments: 4 MiB) would often cost three system calls:
 * map, find it misaligned, map larger and trim. Instead they are first asked
 * for at a hint: an aligned address in a window of address space that moves
 * up by each request's size. The window starts at a random place between
 * 2 TiB and 6 TiB (so addresses still differ from run to run) and wraps after
 * HINT_SPAN; when the hint is taken, the usual path follows. */
#define HINT_SPAN ((uintptr_t)16 << 40)
static _Atomic uintptr_t hint_next, hint_base;

static void *map_hinted(size_t size, size_t align) {
#if UINTPTR_MAX > 0xffffffffu
  uintptr_t base = atomic_load_explicit(&hint_base, memory_order_relaxed);
  if (base == 0) {
    int local;
    uintptr_t r = (uintptr_t)_own_os_now_ns() ^ ((uintptr_t)&local >> 12) ^ ((uintptr_t)&hint_base >> 12);
    r *= (uintptr_t)0x9e3779b97f4a7c15ull;
    uintptr_t want = ((uintptr_t)2 << 40) + ((r >> 32) % 4096) * ((uintptr_t)1 << 30);
    if (atomic_compare_exchange_strong(&hint_base, &base, want)) base = want;
    uintptr_t zero = 0;
    atomic_compare_exchange_strong(&hint_next, &zero, base);
  }
  uintptr_t step = (size + align - 1) & ~(uintptr_t)(align - 1);
  uintptr_t at = atomic_fetch_add_explicit(&hint_next, step, memory_order_relaxed);
  at = (at + align - 1) & ~(uintptr_t)(align - 1);
  if (at + step > base + HINT_SPAN) { /* wrap: later requests start over */
    atomic_store_explicit(&hint_next, base, memory_order_relaxed);
    return NULL;
  }
  int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
#ifdef MAP_FIXED_NOREPLACE
  flags |= MAP_FIXED_NOREPLACE;
#endif
  int saved = errno;
  void *p = mmap((void *)at, size, PROT_READ | PROT_WRITE, flags, -1, 0);
  count(&os_map_calls, 1);
  errno = saved;
  if (p == MAP_FAILED) return NULL;
  if (p != (void *)at) { /* a kernel that treats the address as a mere hint */
    unmap_raw(p, size);
    return NULL;
  }
  return p;
#else
  (void)size;
  (void)align;
  return NULL;
#endif
}

void *_own_os_map_at(size_t size, size_t align, size_t offset) {
  size_t page = _own_os_page_size();
  if (align < page) align = page;
  if (size == 0 || size > SIZE_MAX - 2 * align) return NULL;
  if (offset == 0 && align >= ((size_t)1 << 20)) {
    void *h = map_hinted(size, align);
    if (h) {
      count(&os_mappings, 1);
      count(&os_reserved, size);
      return h;
    }
  }
  void *p = map_raw(size, PROT_READ | PROT_WRITE);
  if (!p) return NULL;
  if ((((uintptr_t)p + offset) & (align - 1)) != 0) {
    /* Not aligned by luck: map size + align and trim both ends. */
    unmap_raw(p, size);
    uintptr_t raw = (uintptr_t)map_raw(size + align, PROT_READ | PROT_WRITE);
    if (!raw) return NULL;
    uintptr_t aligned = ((raw + offset + align - 1) & ~(uintptr_t)(align - 1)) - offset;
    if (aligned > raw) unmap_raw((void *)raw, aligned - raw);
    uintptr_t end = raw + size + align;
    if (end > aligned + size) unmap_raw((void *)(aligned + size), end - (aligned + size));
    p = (void *)aligned;
  }
  count(&os_mappings, 1);
  count(&os_reserved, size);
  return p;
}

void *_own_os_map(size_t size, size_t align) { return _own_os_map_at(size, align, 0); }

void *_own_os_reserve(size_t size) {
  void *p = map_raw(size, PROT_NONE);
  if (p) {
    count(&os_mappings, 1);
    count(&os_reserved, size);
  }
  return p;
}

void _own_os_unmap(void *p, size_t size) {
  if (!p || size == 0) return;
  unmap_raw(p, size);
  uncount(&os_mappings, 1);
  uncount(&os_reserved, size);
}

void _own_os_purge(void *p, size_t size) {
  if (size == 0) return;
  int saved = errno;
  madvise(p, size, MADV_DONTNEED);
  count(&os_purge_calls, 1);
  errno = saved;
}

bool _own_os_protect_none(void *p, size_t size) { return mprotect(p, size, PROT_NONE) == 0; }
bool _own_os_protect_rw(void *p, size_t size) { return mprotect(p, size, PROT_READ | PROT_WRITE) == 0; }

void *_own_os_remap(void *p, size_t old_size, size_t new_size, size_t align) {
  int saved = errno;
  void *q = mremap(p, old_size, new_size, 0); /* in place first */
  if (q == MAP_FAILED) {
    /* Move: reserve an aligned window, then let the kernel move the pages
     * (page tables only, no copy) into it. */
    size_t page = _own_os_page_size();
    if (align < page) align = page;
    uintptr_t raw = (uintptr_t)map_raw(new_size + align, PROT_NONE);
    if (!raw) {
      errno = saved;
      return NULL;
    }
    uintptr_t aligned = (raw + align - 1) & ~(uintptr_t)(align - 1);
    q = mremap(p, old_size, new_size, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)aligned);
    if (q == MAP_FAILED) {
      unmap_raw((void *)raw, new_size + align);
      errno = saved;
      return NULL;
    }
    if (aligned > raw) unmap_raw((void *)raw, aligned - raw);
    uintptr_t end = raw + new_size + align;
    if (end > aligned + new_size) unmap_raw((void *)(aligned + new_size), end - (aligned + new_size));
  }
  errno = saved;
  count(&os_reserved, new_size);
  uncount(&os_reserved, old_size);
  return q;
}

bool _own_os_move(void *src, size_t size, void *dst) {
  int saved = errno;
  void *q = mremap(src, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
  errno = saved;
  if (q == MAP_FAILED) return false;
  uncount(&os_reserved, size); /* dst's old pages were replaced */
  return true;
}

void _own_os_count_mappings(long delta) {
  if (delta >= 0) count(&os_mappings, (size_t)delta);
  else uncount(&os_mappings, (size_t)-delta);
}

long _own_os_tid(void) { return syscall(SYS_gettid); }

uint64_t _own_os_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

extern char **environ;

const char *_own_os_getenv(const char *name) {
  if (!environ || !name) return NULL;
  size_t n = 0;
  while (name[n]) n++;
  for (char **e = environ; *e; e++) {
    const char *s = *e;
    size_t i = 0;
    while (i < n && s[i] == name[i]) i++;
    if (i == n && s[i] == '=') return s + n + 1;
  }
  return NULL;
}

void _own_os_write(int fd, const char *buf, size_t len) {
  int saved = errno;
  while (len > 0) {
    ssize_t w = write(fd, buf, len);
    if (w < 0) {
      if (errno == EINTR) continue;
      break;
    }
    buf += w;
    len -= (size_t)w;
  }
  errno = saved;
}

void _own_os_counters(_own_os_counters_t *out) {
  out->mappings = atomic_load_explicit(&os_mappings, memory_order_relaxed);
  out->map_calls = atomic_load_explicit(&os_map_calls, memory_order_relaxed);
  out->unmap_calls = atomic_load_explicit(&os_unmap_calls, memory_order_relaxed);
  out->purge_calls = atomic_load_explicit(&os_purge_calls, memory_order_relaxed);
  out->reserved = atomic_load_explicit(&os_reserved, memory_order_relaxed);
}
