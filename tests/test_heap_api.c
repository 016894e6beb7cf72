/* test_heap_api.c — conformance of own's general heap to its contract
 * (own/heap.h) and to the C / POSIX / glibc malloc family it replaces.
 *
 * Every check runs twice: once through the plain names (malloc, free, ...,
 * which libown exports, so they are own's in this binary) and once through
 * the own_ names. Calls go through function pointers and sizes through
 * opaque() so the compiler cannot fold malloc semantics it thinks it knows
 * (malloc(0) != NULL, malloc(SIZE_MAX) == NULL) and the library itself is
 * what is tested.
 *
 * Misuse (free of a stack, static, mmap'd or interior pointer) runs in a
 * forked child with a counting error handler, so a heap that crashes or
 * corrupts itself there fails one check and leaves the rest intact.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "own/allocator.h"
#include "own/heap.h"
#include "own/layout.h"
#include "testing.h"

#define KiB ((size_t)1024)
#define MiB ((size_t)1024 * 1024)

/* C23 names that glibc 2.36 does not declare; tested when libown exports them. */
extern void free_sized(void *p, size_t size) __attribute__((weak));
extern void free_aligned_sized(void *p, size_t align, size_t size) __attribute__((weak));

/* ---- helpers ---------------------------------------------------------------- */

/* Hides a value from the optimizer (no folding of malloc semantics, no
 * -Wfree-nonheap-object / -Wuse-after-free on deliberate misuse). */
static inline void *opaque(void *p) {
  __asm__ volatile("" : "+r"(p));
  return p;
}
static inline size_t opq(size_t n) {
  __asm__ volatile("" : "+r"(n));
  return n;
}

static inline uint8_t pat_byte(size_t i, unsigned seed) {
  return (uint8_t)((i * 131u) ^ (i >> 9) ^ (seed * 0x9Du) ^ (seed >> 7));
}
static void fill(void *p, size_t n, unsigned seed) {
  uint8_t *b = p;
  for (size_t i = 0; i < n; i++) b[i] = pat_byte(i, seed);
}
/* True when p[0..n) still holds fill(p, n, seed). */
static bool intact(const void *p, size_t n, unsigned seed) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++)
    if (b[i] != pat_byte(i, seed)) return false;
  return true;
}
static bool all_zero(const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++)
    if (b[i]) return false;
  return true;
}
static bool aligned_to(const void *p, size_t a) { return ((uintptr_t)p & (a - 1)) == 0; }

static int cmp_ptr(const void *a, const void *b) {
  uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
  return x < y ? -1 : x > y;
}

/* Checks that [p[i], p[i] + len[i]) never overlap (sorts a copy). */
typedef struct span {
  uintptr_t start;
  size_t len;
} span_t;
static int cmp_span(const void *a, const void *b) { return cmp_ptr(a, b); }
static bool disjoint(span_t *s, size_t n) {
  qsort(s, n, sizeof *s, cmp_span);
  for (size_t i = 1; i < n; i++)
    if (s[i - 1].start + s[i - 1].len > s[i].start) return false;
  return true;
}

/* ---- the error handler: counts what is reported ---------------------------- */

static atomic_int reported[OWN_ERR_STACK_OVERFLOW + 1];
static const void *_Atomic reported_ptr;

static void counting_handler(own_error_t err, const char *msg, const void *ptr, void *ctx) {
  (void)msg;
  (void)ctx;
  if ((unsigned)err <= OWN_ERR_STACK_OVERFLOW) atomic_fetch_add(&reported[err], 1);
  atomic_store(&reported_ptr, ptr);
}
static int count_of(own_error_t e) { return atomic_load(&reported[e]); }
static int count_all(void) {
  int n = 0;
  for (int i = 0; i <= OWN_ERR_STACK_OVERFLOW; i++) n += atomic_load(&reported[i]);
  return n;
}

/* Runs fn in a forked child; passes when the child exits 0 (its own checks
 * all passed and it did not crash). */
static void in_child(void (*fn)(void), const char *what) {
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    alarm(60);
    own_test_failed_ = 0; /* count only the child's own failures */
    own_set_error_handler(counting_handler, NULL);
    fn();
    fflush(stderr);
    _exit(own_test_failed_ ? 1 : 0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!ok) fprintf(stderr, "child '%s' failed (status 0x%x)\n", what, status);
  OWN_CHECK(ok);
}

/* ---- the two faces of the malloc family ------------------------------------ */

typedef struct api {
  const char *name;
  void *(*malloc_)(size_t);
  void *(*calloc_)(size_t, size_t);
  void *(*realloc_)(void *, size_t);
  void *(*reallocarray_)(void *, size_t, size_t);
  void (*free_)(void *);
  size_t (*usable)(const void *);
  int (*posix_memalign_)(void **, size_t, size_t);
  void *(*aligned_alloc_)(size_t, size_t);
  void *(*memalign_)(size_t, size_t);
  void *(*valloc_)(size_t);
  void *(*pvalloc_)(size_t);
} api_t;

static size_t libc_usable(const void *p) { return malloc_usable_size((void *)(uintptr_t)p); }

static const api_t libc_api = {"libc names", malloc, calloc, realloc, reallocarray, free,
                               libc_usable, posix_memalign, aligned_alloc, memalign, valloc,
                               pvalloc};
static const api_t own_api = {"own_ names", own_malloc, own_calloc, own_mrealloc,
                              own_reallocarray, own_free, own_malloc_usable_size,
                              own_posix_memalign, own_aligned_alloc, own_memalign, own_valloc,
                              own_pvalloc};
static const api_t *apis[] = {&libc_api, &own_api};
#define FOR_EACH_API(a) for (const api_t *const *a##_it = apis, *a; a##_it < apis + 2 && (a = *a##_it, 1); a##_it++)

static size_t page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }

/* ---- the plain names really are own's ---------------------------------------- */

static void test_override_complete(void) {
  void *p = malloc(opq(10));
  OWN_CHECK(own_is_heap_pointer(p) && own_is_live_block(p));
  free(p);
  p = calloc(opq(3), 5);
  OWN_CHECK(own_is_heap_pointer(p));
  p = realloc(p, opq(5000));
  OWN_CHECK(own_is_heap_pointer(p));
  p = reallocarray(p, opq(10), 10);
  OWN_CHECK(own_is_heap_pointer(p));
  OWN_CHECK(malloc_usable_size(p) >= 100);
  free(p);
  void *q = NULL;
  OWN_CHECK_EQ(posix_memalign(&q, 64, opq(100)), 0);
  OWN_CHECK(own_is_heap_pointer(q));
  free(q);
  q = aligned_alloc(64, opq(128));
  OWN_CHECK(own_is_heap_pointer(q));
  free(q);
  q = memalign(64, opq(100));
  OWN_CHECK(own_is_heap_pointer(q));
  free(q);
  q = valloc(opq(100));
  OWN_CHECK(own_is_heap_pointer(q));
  free(q);
  q = pvalloc(opq(100));
  OWN_CHECK(own_is_heap_pointer(q));
  free(q);
  /* libc's own allocations (strdup, asprintf, getline, realpath,
   * open_memstream) come from own and go back to it. */
  char *s = strdup("own heap");
  OWN_CHECK(s && own_is_heap_pointer(s) && own_is_live_block(s));
  free(s);
  s = strndup("abcdefgh", 3);
  OWN_CHECK(s && own_is_heap_pointer(s) && strcmp(s, "abc") == 0);
  free(s);
  char *a = NULL;
  OWN_CHECK(asprintf(&a, "%d-%s", 42, "x") == 4);
  OWN_CHECK(a && own_is_heap_pointer(a) && strcmp(a, "42-x") == 0);
  free(a);
  char *r = realpath(".", NULL);
  OWN_CHECK(r && own_is_heap_pointer(r));
  free(r);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  OWN_CHECK(f != NULL);
  if (f) {
    for (int i = 0; i < 2000; i++) fprintf(f, "line %d\n", i);
    fclose(f);
    OWN_CHECK(buf && own_is_heap_pointer(buf) && len > 10000);
    free(buf);
  }
}

/* ---- malloc(0), free(NULL), tiny requests ------------------------------------ */

static void test_zero_and_null(void) {
  FOR_EACH_API(a) {
    enum { N = 1000 };
    static void *p[N];
    bool ok = true;
    for (int i = 0; i < N; i++) {
      p[i] = a->malloc_(opq(0));
      if (!p[i] || !aligned_to(p[i], 16) || !own_is_live_block(p[i])) ok = false;
    }
    OWN_CHECK(ok);
    void *s[N];
    memcpy(s, p, sizeof s);
    qsort(s, N, sizeof s[0], cmp_ptr);
    bool unique = true;
    for (int i = 1; i < N; i++)
      if (s[i] == s[i - 1]) unique = false;
    OWN_CHECK(unique); /* malloc(0) gives a distinct block every time */
    for (int i = 0; i < N; i++) a->free_(p[i]);

    void *c1 = a->calloc_(opq(0), 1000), *c2 = a->calloc_(1000, opq(0));
    OWN_CHECK(c1 && c2 && c1 != c2);
    a->free_(c1);
    a->free_(c2);
    void *r = a->realloc_(NULL, opq(0)); /* realloc(NULL, n) is malloc(n) */
    OWN_CHECK(r && own_is_live_block(r));
    a->free_(r);
    r = a->realloc_(NULL, opq(100));
    OWN_CHECK(r && a->usable(r) >= 100);
    a->free_(r);
    errno = 0;
    r = a->reallocarray_(NULL, opq(0), 16);
    OWN_CHECK(r != NULL);
    OWN_CHECK(errno != ENOMEM);
    a->free_(r);

    int before = count_all();
    a->free_(NULL); /* nothing happens, nothing reported */
    a->free_(opaque(NULL));
    OWN_CHECK_EQ(count_all(), before);
    OWN_CHECK_EQ(a->usable(NULL), 0);
  }
  int before = count_all();
  own_free_sized(NULL, 0);
  own_free_sized(NULL, 100);
  own_free_aligned_sized(NULL, 64, 100);
  OWN_CHECK_EQ(count_all(), before);
}

/* ---- size classes: the waste bound of heap.h ------------------------------------ */

/* Every request up to 64 KiB gets a block of at most 15 bytes more up to
 * 256 B and at most 12.5 % more above; block sizes are multiples of 16. */
static void test_class_waste(void) {
  int bad = 0;
  for (size_t n = 1; n <= 64 * 1024; n += n < 4096 ? 1 : 61) {
    void *p = own_malloc(n);
    size_t u = own_malloc_usable_size(p);
    size_t extra = u - n;
    bool ok = p && u >= n && u % 16 == 0 &&
              (n <= 256 ? extra <= 15 : extra * 8 <= n);
    if (!ok && bad++ < 5) fprintf(stderr, "request %zu: usable size %zu\n", n, u);
    own_free(p);
  }
  OWN_CHECK_EQ(bad, 0);
}

/* ---- sizes: alignment, usable size, every byte writable, no overlap ---------- */

static void test_sizes(void) {
  static const size_t sizes[] = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 48, 63, 64,
                                 65, 100, 127, 128, 129, 255, 256, 257, 500, 1000, 1023, 1024,
                                 1025, 2047, 2049, 4095, 4096, 4097, 8191, 8192, 8193, 16384,
                                 32767, 65535, 65536, 65537, 100000, 262144, 500000, 1 * MiB - 1,
                                 1 * MiB, 1 * MiB + 1, 2 * MiB, 4 * MiB - 100, 4 * MiB,
                                 5 * MiB, 9 * MiB + 5};
  enum { NS = sizeof sizes / sizeof sizes[0], REP = 3 };
  FOR_EACH_API(a) {
    void *p[NS * REP];
    span_t spans[NS * REP];
    size_t us[NS * REP];
    bool align_ok = true, usable_ok = true, live_ok = true;
    for (int r = 0; r < REP; r++)
      for (size_t i = 0; i < NS; i++) {
        size_t k = (size_t)r * NS + i;
        p[k] = a->malloc_(opq(sizes[i]));
        if (!p[k]) {
          align_ok = false;
          us[k] = 0;
          continue;
        }
        us[k] = a->usable(p[k]);
        if (!aligned_to(p[k], 16)) align_ok = false;
        if (us[k] < sizes[i]) usable_ok = false;
        if (!own_is_live_block(p[k])) live_ok = false;
        fill(p[k], us[k], (unsigned)k); /* all of the usable size is writable */
        spans[k].start = (uintptr_t)p[k];
        spans[k].len = us[k];
      }
    OWN_CHECK(align_ok);
    OWN_CHECK(usable_ok);
    OWN_CHECK(live_ok);
    bool kept = true;
    for (size_t k = 0; k < NS * REP; k++)
      if (p[k] && !intact(p[k], us[k], (unsigned)k)) kept = false;
    OWN_CHECK(kept);
    OWN_CHECK(disjoint(spans, NS * REP));
    for (size_t k = 0; k < NS * REP; k++) a->free_(p[k]);
  }

  /* Many random small and medium blocks at once: none overlaps another. */
  enum { M = 20000 };
  void **q = malloc(M * sizeof *q);
  span_t *sp = malloc(M * sizeof *sp);
  uint64_t x = 88172645463325252ull;
  bool ok = true;
  for (int i = 0; i < M; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    size_t n = (x % 8 == 0) ? (size_t)(x >> 20) % 70000 : (size_t)(x >> 20) % 600;
    q[i] = malloc(opq(n));
    if (!q[i]) {
      ok = false;
      sp[i].start = 0, sp[i].len = 0;
      continue;
    }
    sp[i].start = (uintptr_t)q[i];
    sp[i].len = malloc_usable_size(q[i]);
    if (sp[i].len < n) ok = false;
    memset(q[i], (int)(i & 0xff), sp[i].len);
  }
  OWN_CHECK(ok);
  for (int i = 0; i < M; i++) {
    const uint8_t *b = q[i];
    size_t n = malloc_usable_size(q[i]);
    for (size_t j = 0; j < n; j++)
      if (b[j] != (uint8_t)(i & 0xff)) {
        ok = false;
        break;
      }
  }
  OWN_CHECK(ok);
  OWN_CHECK(disjoint(sp, M));
  for (int i = 0; i < M; i++) free(q[i]);
  free(sp);
  free(q);

  /* 64 MiB + 8 (a block far above the largest class). */
  void *big = malloc(opq(64 * MiB + 8));
  OWN_CHECK(big && malloc_usable_size(big) >= 64 * MiB + 8);
  if (big) {
    memset(big, 0x5a, 64 * MiB + 8);
    free(big);
  }
}

/* ---- the alignment matrix ------------------------------------------------------ */

enum { VIA_POSIX, VIA_ALIGNED, VIA_MEMALIGN, VIA_LAYOUT, VIA_OWN_POSIX, VIA_OWN_ALIGNED,
       VIA_OWN_MEMALIGN, VIA_OWN_LAYOUT_ZEROED, VIA_COUNT };
static const char *const via_name[VIA_COUNT] = {
    "posix_memalign", "aligned_alloc",     "memalign",     "own_alloc",
    "own_posix_memalign", "own_aligned_alloc", "own_memalign", "own_alloc_zeroed"};

static void *alloc_via(int via, size_t align, size_t size) {
  void *p = NULL;
  own_layout_t l;
  switch (via) {
    case VIA_POSIX:
      if (posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, size) != 0) p = NULL;
      return p;
    case VIA_ALIGNED: return aligned_alloc(align, opq(size));
    case VIA_MEMALIGN: return memalign(align, opq(size));
    case VIA_LAYOUT: return own_layout_from_size_align(size, align, &l) ? own_alloc(l) : NULL;
    case VIA_OWN_POSIX:
      if (own_posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, size) != 0)
        p = NULL;
      return p;
    case VIA_OWN_ALIGNED: return own_aligned_alloc(align, opq(size));
    case VIA_OWN_MEMALIGN: return own_memalign(align, opq(size));
    case VIA_OWN_LAYOUT_ZEROED:
      return own_layout_from_size_align(size, align, &l) ? own_alloc_zeroed(l) : NULL;
  }
  return NULL;
}
static void free_via(int via, void *p, size_t align, size_t size) {
  own_layout_t l = {size, align};
  switch (via) {
    case VIA_POSIX:
    case VIA_ALIGNED:
    case VIA_MEMALIGN: free(p); break;
    case VIA_LAYOUT:
    case VIA_OWN_LAYOUT_ZEROED: own_dealloc(p, l); break;
    default: own_free(p); break;
  }
}

/* One byte value per block of a row (distinct within the row, never 0), so
 * that an overlap shows; memset/compare keep the matrix fast. */
static int mark(size_t i, int shift) { return 1 + (int)((i * 29 + (size_t)shift * 7) % 251); }
static bool all_equal(const void *p, size_t n, int v) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++)
    if (b[i] != (uint8_t)v) return false;
  return true;
}

static void test_alignment_matrix(void) {
  static const size_t sizes[] = {0, 1, 7, 8, 15, 16, 17, 31, 100, 255, 1000, 4095, 4096, 4097,
                                 65535, 65536, 100000, 1 * MiB, 1 * MiB + 1, 5 * MiB};
  enum { NS = sizeof sizes / sizeof sizes[0] };
  for (int via = 0; via < VIA_COUNT; via++) {
    int bad_null = 0, bad_align = 0, bad_usable = 0, bad_zero = 0, bad_kept = 0;
    for (int shift = 0; shift <= 27; shift++) {
      size_t align = (size_t)1 << shift;
      void *p[NS];
      size_t us[NS];
      span_t sp[NS];
      for (size_t i = 0; i < NS; i++) {
        p[i] = alloc_via(via, align, sizes[i]);
        us[i] = 0;
        sp[i].start = (uintptr_t)p[i];
        sp[i].len = 0;
        if (!p[i]) {
          if (bad_null++ == 0)
            fprintf(stderr, "%s(align %zu, size %zu) returned NULL\n", via_name[via], align,
                    sizes[i]);
          continue;
        }
        if (!aligned_to(p[i], align) || !aligned_to(p[i], 16)) {
          if (bad_align++ == 0)
            fprintf(stderr, "%s(align %zu, size %zu) = %p is misaligned\n", via_name[via], align,
                    sizes[i], p[i]);
        }
        us[i] = own_malloc_usable_size(p[i]);
        if (us[i] < sizes[i] && bad_usable++ == 0)
          fprintf(stderr, "%s(align %zu, size %zu): usable size %zu\n", via_name[via], align,
                  sizes[i], us[i]);
        if (via == VIA_OWN_LAYOUT_ZEROED && !all_zero(p[i], sizes[i]) && bad_zero++ == 0)
          fprintf(stderr, "own_alloc_zeroed(align %zu, size %zu) not zeroed\n", align, sizes[i]);
        memset(p[i], mark(i, shift), us[i]); /* every usable byte is writable */
        sp[i].len = us[i];
      }
      for (size_t i = 0; i < NS; i++)
        if (p[i] && !all_equal(p[i], us[i], mark(i, shift)) && bad_kept++ == 0)
          fprintf(stderr, "%s(align %zu, size %zu): contents overwritten\n", via_name[via], align,
                  sizes[i]);
      if (!disjoint(sp, NS) && bad_kept++ == 0)
        fprintf(stderr, "%s(align %zu): blocks overlap\n", via_name[via], align);
      for (size_t i = 0; i < NS; i++)
        if (p[i]) free_via(via, p[i], align, sizes[i]);
    }
    OWN_CHECK_EQ(bad_null, 0);
    OWN_CHECK_EQ(bad_align, 0);
    OWN_CHECK_EQ(bad_usable, 0);
    OWN_CHECK_EQ(bad_zero, 0);
    OWN_CHECK_EQ(bad_kept, 0);
  }

  /* Sizes 1..1024 at every alignment up to the size (the small-class edge
   * cases), ten at a time. */
  int bad = 0;
  for (size_t size = 1; size <= 1024; size += (size < 256 ? 1 : 7))
    for (size_t align = 1; align <= size; align *= 2) {
      void *p[10];
      for (int i = 0; i < 10; i++) {
        p[i] = aligned_alloc(align, opq(size));
        if (!p[i] || !aligned_to(p[i], align) || malloc_usable_size(p[i]) < size) bad++;
        else memset(p[i], 0xee, size);
      }
      for (int i = 0; i < 10; i++) free(p[i]);
    }
  OWN_CHECK_EQ(bad, 0);

  /* An aligned first allocation on a fresh heap (a new thread) — see
   * test_first_on_thread. Here: the same size/alignment pairs twice in a row
   * get reused memory that is still aligned. */
  for (int round = 0; round < 2; round++) {
    void *p = aligned_alloc(4096, opq(4097));
    OWN_CHECK(p && aligned_to(p, 4096) && malloc_usable_size(p) >= 4097);
    free(p);
  }
}

/* ---- posix_memalign error cases --------------------------------------------- */

static void test_posix_memalign_errors(void) {
  int (*pm[2])(void **, size_t, size_t) = {posix_memalign, own_posix_memalign};
  for (int k = 0; k < 2; k++) {
    static const size_t bad_align[] = {0, 1, 2, 3, 4, 5, 6, 7, 12, 24, 48, 100, 4095, 4097,
                                       (size_t)3 << 20, SIZE_MAX, SIZE_MAX / 2};
    for (size_t i = 0; i < sizeof bad_align / sizeof bad_align[0]; i++) {
      /* 1, 2, 4 are powers of two but not multiples of sizeof(void *). */
      if (bad_align[i] && own_is_pow2(bad_align[i]) && bad_align[i] % sizeof(void *) == 0)
        continue;
      void *out = &out;
      errno = 0;
      int rc = pm[k](&out, opq(bad_align[i]), 32);
      if (rc != EINVAL || out != &out)
        fprintf(stderr, "posix_memalign(align %zu) = %d, out %s\n", bad_align[i], rc,
                out == &out ? "untouched" : "changed");
      OWN_CHECK_EQ(rc, EINVAL);
      OWN_CHECK(out == &out);
    }
    static const size_t huge[] = {SIZE_MAX, SIZE_MAX - 15, SIZE_MAX / 2, (size_t)PTRDIFF_MAX + 1,
                                  (size_t)PTRDIFF_MAX};
    static const size_t aligns[] = {8, 16, 64, 4096, 1u << 20, 64u << 20};
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++)
      for (size_t j = 0; j < sizeof aligns / sizeof aligns[0]; j++) {
        void *out = &out;
        int rc = pm[k](&out, aligns[j], opq(huge[i]));
        if (rc != ENOMEM || out != &out)
          fprintf(stderr, "posix_memalign(align %zu, size %zu) = %d, out %s\n", aligns[j], huge[i],
                  rc, out == &out ? "untouched" : "changed");
        OWN_CHECK_EQ(rc, ENOMEM);
        OWN_CHECK(out == &out);
      }
    /* An alignment that is valid but cannot be met. */
    void *out = &out;
    int rc = pm[k](&out, opq((size_t)1 << 62), 16);
    OWN_CHECK_EQ(rc, ENOMEM);
    OWN_CHECK(out == &out);
    out = &out;
    rc = pm[k](&out, opq((size_t)1 << 63), 16);
    OWN_CHECK_EQ(rc, ENOMEM);
    OWN_CHECK(out == &out);
    /* Size 0 is fine and gives a block. */
    out = NULL;
    OWN_CHECK_EQ(pm[k](&out, sizeof(void *), opq(0)), 0);
    OWN_CHECK(out != NULL);
    own_free(out);
  }

  /* aligned_alloc / memalign: not a power of two -> NULL + EINVAL. */
  void *(*aa[4])(size_t, size_t) = {aligned_alloc, memalign, own_aligned_alloc, own_memalign};
  static const char *const aa_name[4] = {"aligned_alloc", "memalign", "own_aligned_alloc",
                                         "own_memalign"};
  for (int k = 0; k < 4; k++) {
    static const size_t bad_align[] = {0, 3, 6, 24, 100, 4097, SIZE_MAX};
    for (size_t i = 0; i < sizeof bad_align / sizeof bad_align[0]; i++) {
      errno = 0;
      void *p = aa[k](opq(bad_align[i]), 64);
      if (p || errno != EINVAL)
        fprintf(stderr, "%s(align %zu) = %p, errno %d (want NULL, EINVAL)\n", aa_name[k],
                bad_align[i], p, errno);
      OWN_CHECK(p == NULL);
      OWN_CHECK_EQ(errno, EINVAL);
      free(p);
    }
    errno = 0;
    void *p = aa[k](opq((size_t)1 << 62), 64);
    OWN_CHECK(p == NULL);
    OWN_CHECK_EQ(errno, ENOMEM);
    errno = 0;
    p = aa[k](4096, opq(SIZE_MAX - 100));
    OWN_CHECK(p == NULL);
    OWN_CHECK_EQ(errno, ENOMEM);
    /* The size need not be a multiple of the alignment. */
    p = aa[k](256, opq(100));
    OWN_CHECK(p && aligned_to(p, 256) && own_malloc_usable_size(p) >= 100);
    free(p);
  }
}

/* ---- out of memory: never a block, always ENOMEM ----------------------------- */

static void test_enomem(void) {
  static const size_t huge[] = {SIZE_MAX,     SIZE_MAX - 1,            SIZE_MAX - 4095,
                                SIZE_MAX / 2, (size_t)PTRDIFF_MAX + 1, (size_t)PTRDIFF_MAX,
                                (size_t)1 << 62};
  FOR_EACH_API(a) {
    int bad = 0;
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
      size_t n = opq(huge[i]);
#define EXPECT_ENOMEM(call)                                                                  \
  do {                                                                                       \
    errno = 0;                                                                               \
    void *r_ = (call);                                                                       \
    if (r_ != NULL || errno != ENOMEM) {                                                     \
      bad++;                                                                                 \
      fprintf(stderr, "%s: %s with size %zu gave %p, errno %d\n", a->name, #call, n, r_, errno); \
    }                                                                                        \
  } while (0)
      EXPECT_ENOMEM(a->malloc_(n));
      EXPECT_ENOMEM(a->calloc_(1, n));
      EXPECT_ENOMEM(a->calloc_(n, 1));
      EXPECT_ENOMEM(a->realloc_(NULL, n));
      EXPECT_ENOMEM(a->reallocarray_(NULL, n, 1));
      EXPECT_ENOMEM(a->aligned_alloc_(16, n));
      EXPECT_ENOMEM(a->memalign_(64, n));
      EXPECT_ENOMEM(a->valloc_(n));
      EXPECT_ENOMEM(a->pvalloc_(n)); /* rounding up to pages must not wrap to 0 */

      /* realloc of a live block: NULL, and the block is untouched. */
      void *p = a->malloc_(opq(200));
      fill(p, 200, 7);
      errno = 0;
      void *q = a->realloc_(p, n);
      if (q != NULL || errno != ENOMEM) {
        bad++;
        fprintf(stderr, "%s: realloc(p, %zu) gave %p, errno %d\n", a->name, n, q, errno);
      }
      if (!q) {
        OWN_CHECK(intact(p, 200, 7));
        OWN_CHECK(own_is_live_block(p));
        a->free_(p);
      } else {
        a->free_(q);
      }
    }
    OWN_CHECK_EQ(bad, 0);
  }
  /* The heap still works. */
  void *p = malloc(opq(1000));
  OWN_CHECK(p != NULL);
  free(p);
}

/* ---- calloc / reallocarray overflow ---------------------------------------- */

static void test_overflow(void) {
  static const size_t pairs[][2] = {
      {SIZE_MAX, SIZE_MAX},         {SIZE_MAX / 2 + 1, 2},  {2, SIZE_MAX / 2 + 1},
      {(size_t)1 << 32, (size_t)1 << 32}, {3, SIZE_MAX / 3 + 1}, {65537, (SIZE_MAX / 65537) + 1},
      {(size_t)1 << 33, (size_t)1 << 31}, /* = 2^64: wraps to exactly 0 */
      {(size_t)1 << 32, ((size_t)1 << 32) + 1}, /* wraps to 2^32: a plausible size */
      {(size_t)PTRDIFF_MAX / 4 + 1, 4}, /* no wrap, but above PTRDIFF_MAX */
  };
  FOR_EACH_API(a) {
    int bad = 0;
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
      size_t n = opq(pairs[i][0]), s = opq(pairs[i][1]);
      errno = 0;
      void *p = a->calloc_(n, s);
      if (p || errno != ENOMEM) {
        bad++;
        fprintf(stderr, "%s: calloc(%zu, %zu) gave %p, errno %d\n", a->name, n, s, p, errno);
        a->free_(p);
      }
      errno = 0;
      p = a->reallocarray_(NULL, n, s);
      if (p || errno != ENOMEM) {
        bad++;
        fprintf(stderr, "%s: reallocarray(NULL, %zu, %zu) gave %p, errno %d\n", a->name, n, s, p,
                errno);
        a->free_(p);
      }
      void *live = a->malloc_(opq(64));
      fill(live, 64, 3);
      errno = 0;
      p = a->reallocarray_(live, n, s);
      if (p || errno != ENOMEM) {
        bad++;
        fprintf(stderr, "%s: reallocarray(p, %zu, %zu) gave %p, errno %d\n", a->name, n, s, p,
                errno);
        a->free_(p);
      } else {
        OWN_CHECK(intact(live, 64, 3) && own_is_live_block(live));
        a->free_(live);
      }
    }
    OWN_CHECK_EQ(bad, 0);
    /* reallocarray without overflow is realloc(n * size). */
    int *v = a->reallocarray_(NULL, opq(10), sizeof(int));
    for (int i = 0; i < 10; i++) v[i] = i * i;
    v = a->reallocarray_(v, opq(100000), sizeof(int));
    OWN_CHECK(v != NULL && a->usable(v) >= 100000 * sizeof(int));
    bool ok = true;
    for (int i = 0; v && i < 10; i++)
      if (v[i] != i * i) ok = false;
    OWN_CHECK(ok);
    a->free_(v);
  }
}

/* ---- realloc ---------------------------------------------------------------- */

static void test_realloc(void) {
  static const size_t chain[] = {1,      7,        16,      17,      100,      1000,    4096,
                                 5000,   70000,    300000,  1 * MiB, 2 * MiB,  9 * MiB, 33 * MiB,
                                 9 * MiB, 3 * MiB, 1 * MiB + 1, 200000, 60000, 5000, 100, 17, 1,
                                 0,      64,       8 * MiB, 16};
  FOR_EACH_API(a) {
    size_t n = 10;
    unsigned seed = 1;
    void *p = a->malloc_(opq(n));
    fill(p, n, seed);
    int bad = 0;
    for (size_t i = 0; i < sizeof chain / sizeof chain[0]; i++) {
      size_t m = chain[i];
      void *q = a->realloc_(p, opq(m));
      if (!q) {
        bad++;
        fprintf(stderr, "%s: realloc(%zu -> %zu) failed\n", a->name, n, m);
        break;
      }
      size_t keep = n < m ? n : m;
      if (!intact(q, keep, seed) && bad++ == 0)
        fprintf(stderr, "%s: realloc(%zu -> %zu) lost contents\n", a->name, n, m);
      if (!aligned_to(q, 16) || a->usable(q) < m) bad++;
      p = q;
      n = m;
      seed++;
      fill(p, n, seed);
    }
    OWN_CHECK_EQ(bad, 0);
    a->free_(p);

    /* realloc(p, 0) with p != NULL: p is freed and a fresh minimal block comes
     * back (own/heap.h), never NULL. */
    void *old = a->malloc_(opq(300));
    void *old_copy = opaque(old);
    void *z = a->realloc_(old, opq(0));
    OWN_CHECK(z != NULL);
    OWN_CHECK(z == NULL || own_is_live_block(z));
    if (z != old_copy) OWN_CHECK(!own_is_live_block(old_copy));
    a->free_(z);

    /* Growing by small steps many times (a string builder). */
    char *s = NULL;
    size_t len = 0;
    bool ok = true;
    for (int i = 0; i < 20000; i++) {
      char *t = a->realloc_(s, opq(len + 2));
      if (!t) {
        ok = false;
        break;
      }
      s = t;
      s[len] = (char)('a' + i % 26);
      s[++len] = 0;
    }
    for (size_t i = 0; ok && i < len; i++)
      if (s[i] != (char)('a' + i % 26)) ok = false;
    OWN_CHECK(ok);
    a->free_(s);

    /* A block grown by 16 bytes at a time from 1 KiB to 64 KiB moves up by a
     * quarter at least (own/heap.h): 16 moves, where one per size class
     * would be 48. */
    void *grown = a->malloc_(opq(1024));
    size_t moves = 0;
    for (size_t m = 1024 + 16; grown && m <= 64 * 1024; m += 16) {
      void *t = a->realloc_(grown, opq(m));
      if (!t) break;
      if (t != grown) moves++;
      grown = t;
    }
    OWN_CHECK(grown != NULL);
    OWN_CHECK(moves <= 20);
    a->free_(grown);

    /* realloc of an over-aligned block keeps the contents. */
    void *al = a->aligned_alloc_(4096, opq(100));
    fill(al, 100, 99);
    void *g = a->realloc_(al, opq(20000));
    OWN_CHECK(g && intact(g, 100, 99));
    a->free_(g);
  }
}

/* ---- calloc zero-fills reused memory ------------------------------------------ */

typedef struct remote_job {
  void **blocks;
  int n;
} remote_job_t;
static void *remote_free_all(void *arg) {
  remote_job_t *j = arg;
  for (int i = 0; i < j->n; i++) free(j->blocks[i]);
  return NULL;
}

static void test_calloc_zero(void) {
  static const size_t sizes[] = {1,    8,     24,     100,    256,     1000,     4096,
                                 5000, 40000, 65536,  300000, 1 * MiB, 2 * MiB, 5 * MiB};
  int bad = 0;
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    size_t n = sizes[s];
    int iters = n > MiB ? 6 : 60;
    for (int it = 0; it < iters; it++) {
      /* dirty a block, free it, and calloc the same size: it must be zero */
      void *d = malloc(opq(n));
      memset(d, 0xA5, malloc_usable_size(d));
      free(d);
      void *c = calloc(opq(1), n);
      if (!c || !all_zero(c, n)) {
        if (bad++ < 3) fprintf(stderr, "calloc(%zu) after reuse not zero\n", n);
      }
      memset(c, 0x5A, n);
      free(c);
      c = own_calloc(opq(n), 1);
      if (!c || !all_zero(c, n)) bad++;
      memset(c, 0x5A, n);
      own_free(c);
      own_layout_t l = {n, it % 2 ? 64 : 4096};
      c = own_alloc_zeroed(l);
      if (!c || !all_zero(c, n) || !aligned_to(c, l.align)) {
        if (bad++ < 3) fprintf(stderr, "own_alloc_zeroed(%zu, %zu) not zero\n", n, l.align);
      }
      memset(c, 0x5A, n);
      own_dealloc(c, l);
    }
  }
  OWN_CHECK_EQ(bad, 0);

  /* Blocks dirtied here, freed by another thread (remote frees), then reused by
   * calloc on this thread. */
  enum { N = 4000 };
  static void *blocks[N];
  for (int round = 0; round < 5; round++) {
    for (int i = 0; i < N; i++) {
      size_t n = 16 + (size_t)(i % 64) * 16;
      blocks[i] = malloc(opq(n));
      memset(blocks[i], 0xC3, n);
    }
    remote_job_t job = {blocks, N};
    pthread_t t;
    pthread_create(&t, NULL, remote_free_all, &job);
    pthread_join(t, NULL);
    for (int i = 0; i < N; i++) {
      size_t n = 16 + (size_t)(i % 64) * 16;
      blocks[i] = calloc(opq(n), 1);
      if (!blocks[i] || !all_zero(blocks[i], n)) bad++;
    }
    for (int i = 0; i < N; i++) free(blocks[i]);
  }
  OWN_CHECK_EQ(bad, 0);
}

/* ---- usable size ------------------------------------------------------------- */

static void test_usable_size(void) {
  /* Writing all of the usable size of a block leaves its neighbours alone. */
  enum { N = 300 };
  static void *p[N];
  static size_t us[N];
  for (int i = 0; i < N; i++) {
    size_t n = (size_t)(i * 37) % 2000;
    p[i] = malloc(opq(n));
    us[i] = malloc_usable_size(p[i]);
    OWN_CHECK(us[i] >= n);
    OWN_CHECK_EQ(us[i], own_malloc_usable_size(p[i]));
    fill(p[i], us[i], (unsigned)i);
  }
  bool ok = true;
  for (int i = 0; i < N; i++)
    if (!intact(p[i], us[i], (unsigned)i)) ok = false;
  OWN_CHECK(ok);
  for (int i = 0; i < N; i++) free(p[i]);

  OWN_CHECK_EQ(own_malloc_usable_size(NULL), 0);
  OWN_CHECK_EQ(malloc_usable_size(NULL), 0);
  int local = 0;
  static int global_ = 0;
  OWN_CHECK_EQ(own_malloc_usable_size(opaque(&local)), 0);
  OWN_CHECK_EQ(own_malloc_usable_size(opaque(&global_)), 0);
  void *q = malloc(opq(100));
  OWN_CHECK_EQ(own_malloc_usable_size((char *)q + 8), 0); /* not a block start */
  free(q);
}

/* ---- valloc / pvalloc --------------------------------------------------------- */

static void test_valloc(void) {
  size_t ps = page_size();
  FOR_EACH_API(a) {
    static const size_t sizes[] = {0, 1, 100, 4095, 4096, 4097, 10000, 65536, 1 * MiB + 3};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
      size_t n = sizes[i];
      void *v = a->valloc_(opq(n));
      OWN_CHECK(v && aligned_to(v, ps) && a->usable(v) >= n);
      if (v) memset(v, 1, n);
      a->free_(v);
      void *pv = a->pvalloc_(opq(n));
      size_t rounded = (n + ps - 1) / ps * ps;
      OWN_CHECK(pv && aligned_to(pv, ps) && a->usable(pv) >= rounded);
      if (pv) memset(pv, 2, rounded); /* the whole rounded size is the caller's */
      a->free_(pv);
    }
  }
}

/* ---- free_sized / free_aligned_sized ----------------------------------------- */

static void test_free_sized(void) {
  int before = count_of(OWN_ERR_INVALID_FREE);
  for (size_t n = 0; n < 100000; n = n * 3 + 1) {
    void *p = own_malloc(opq(n));
    own_free_sized(p, n);
    void *q = own_aligned_alloc(256, opq(n));
    own_free_aligned_sized(q, 256, n);
    if (free_sized) {
      void *r = malloc(opq(n));
      free_sized(r, n);
    }
    if (free_aligned_sized) {
      void *r = aligned_alloc(128, opq(n));
      free_aligned_sized(r, 128, n);
    }
  }
  OWN_CHECK_EQ(count_of(OWN_ERR_INVALID_FREE), before);
  /* the memory went back: a fresh block of the same size is live */
  void *p = own_malloc(opq(1000));
  void *pc = opaque(p);
  OWN_CHECK(own_is_live_block(p));
  own_free_sized(p, 1000);
  OWN_CHECK(!own_is_live_block(pc));
}

static void child_free_sized_wrong(void) {
  void *p = own_malloc(opq(32));
  size_t wrong = own_malloc_usable_size(p) * 4 + 4096;
  own_free_sized(p, opq(wrong));
  OWN_CHECK_EQ(count_of(OWN_ERR_INVALID_FREE), 1);
  void *q = own_aligned_alloc(64, opq(64));
  own_free_aligned_sized(q, 64, opq(1 * MiB));
  OWN_CHECK_EQ(count_of(OWN_ERR_INVALID_FREE), 2);
  /* the heap works afterwards */
  void *r = malloc(opq(100));
  OWN_CHECK(r && own_is_live_block(r));
  free(r);
}

/* ---- Layout constructors ----------------------------------------------------- */

static void test_layout(void) {
  own_layout_t l = {123, 456}, sentinel = {123, 456};
  OWN_CHECK(own_layout_from_size_align(10, 8, &l) && l.size == 10 && l.align == 8);
  l = sentinel;
  OWN_CHECK(!own_layout_from_size_align(10, 3, &l) && l.size == 123 && l.align == 456);
  OWN_CHECK(!own_layout_from_size_align(10, 0, &l) && l.size == 123);
  OWN_CHECK(!own_layout_from_size_align(10, 24, &l) && l.size == 123);
  OWN_CHECK(own_layout_from_size_align(0, 1, &l) && l.size == 0 && l.align == 1);
  OWN_CHECK(own_layout_from_size_align((size_t)PTRDIFF_MAX, 1, &l));
  l = sentinel;
  OWN_CHECK(!own_layout_from_size_align((size_t)PTRDIFF_MAX, 2, &l) && l.size == 123);
  OWN_CHECK(own_layout_from_size_align((size_t)PTRDIFF_MAX - 15, 16, &l));
  OWN_CHECK(!own_layout_from_size_align((size_t)PTRDIFF_MAX - 14, 16, &l));
  OWN_CHECK(!own_layout_from_size_align(SIZE_MAX, 1, &l));
  OWN_CHECK(!own_layout_from_size_align((size_t)PTRDIFF_MAX + 1, 1, &l));
  OWN_CHECK(!own_layout_from_size_align(16, (size_t)1 << 63, &l)); /* padded size too big */
  OWN_CHECK(own_layout_from_size_align(0, (size_t)1 << 62, &l));

  OWN_CHECK_EQ(own_layout_padded_size((own_layout_t){13, 8}), 16);
  OWN_CHECK_EQ(own_layout_padded_size((own_layout_t){16, 8}), 16);
  OWN_CHECK_EQ(own_layout_padded_size((own_layout_t){0, 64}), 0);
  own_layout_t pa = own_layout_pad_to_align((own_layout_t){33, 32});
  OWN_CHECK(pa.size == 64 && pa.align == 32);

  OWN_CHECK(own_layout_align_to((own_layout_t){10, 4}, 64, &l) && l.size == 10 && l.align == 64);
  OWN_CHECK(own_layout_align_to((own_layout_t){10, 64}, 4, &l) && l.align == 64);
  l = sentinel;
  OWN_CHECK(!own_layout_align_to((own_layout_t){10, 4}, 3, &l) && l.size == 123);
  OWN_CHECK(!own_layout_align_to((own_layout_t){(size_t)PTRDIFF_MAX - 2, 1}, 8, &l));

  OWN_CHECK(own_layout_array((own_layout_t){12, 8}, 10, &l) && l.size == 160 && l.align == 8);
  OWN_CHECK(own_layout_array((own_layout_t){3, 4}, 0, &l) && l.size == 0 && l.align == 4);
  OWN_CHECK(own_layout_array((own_layout_t){1, 1}, (size_t)PTRDIFF_MAX, &l));
  l = sentinel;
  OWN_CHECK(!own_layout_array((own_layout_t){1, 1}, (size_t)PTRDIFF_MAX + 1, &l) && l.size == 123);
  OWN_CHECK(!own_layout_array((own_layout_t){16, 16}, SIZE_MAX / 8, &l) && l.size == 123);
  OWN_CHECK(!own_layout_array((own_layout_t){(size_t)1 << 32, 8}, (size_t)1 << 32, &l));
  OWN_CHECK(OWN_LAYOUT_ARRAY(double, 5, &l) && l.size == 40 && l.align == _Alignof(double));
  OWN_CHECK(!OWN_LAYOUT_ARRAY(double, SIZE_MAX / 4, &l));

  struct mixed {
    char c;
    double d;
  };
  own_layout_t ml = OWN_LAYOUT_OF(struct mixed);
  OWN_CHECK(ml.size == sizeof(struct mixed) && ml.align == _Alignof(struct mixed));

  size_t off = 999;
  OWN_CHECK(own_layout_extend((own_layout_t){1, 1}, (own_layout_t){8, 8}, &l, &off));
  OWN_CHECK(l.size == 16 && l.align == 8 && off == 8);
  OWN_CHECK(own_layout_extend((own_layout_t){12, 4}, (own_layout_t){2, 2}, &l, &off));
  OWN_CHECK(l.size == 14 && l.align == 4 && off == 12);
  OWN_CHECK_EQ(own_layout_pad_to_align(l).size, 16);
  OWN_CHECK(own_layout_extend((own_layout_t){0, 1}, (own_layout_t){0, 1}, &l, NULL) && l.size == 0);
  l = sentinel;
  off = 999;
  OWN_CHECK(!own_layout_extend((own_layout_t){(size_t)PTRDIFF_MAX - 2, 1}, (own_layout_t){8, 8},
                               &l, &off));
  OWN_CHECK(l.size == 123 && off == 999);
  OWN_CHECK(!own_layout_extend((own_layout_t){(size_t)PTRDIFF_MAX, 1}, (own_layout_t){1, 1}, &l,
                               NULL));
  /* a layout built from the fields of struct mixed matches the compiler's */
  own_layout_t acc = OWN_LAYOUT_OF(char);
  OWN_CHECK(own_layout_extend(acc, OWN_LAYOUT_OF(double), &acc, &off));
  OWN_CHECK_EQ(off, offsetof(struct mixed, d));
  OWN_CHECK_EQ(own_layout_pad_to_align(acc).size, sizeof(struct mixed));
}

/* ---- Layout API: own_alloc / own_alloc_zeroed / own_dealloc / own_realloc ----- */

static void test_layout_api(void) {
  /* invalid layouts (built by hand, bypassing the constructors) */
  own_layout_t bad_align[] = {{16, 3}, {16, 0}, {16, 24}, {0, 12}};
  for (size_t i = 0; i < sizeof bad_align / sizeof bad_align[0]; i++) {
    errno = 0;
    void *p = own_alloc(bad_align[i]);
    OWN_CHECK(p == NULL);
    OWN_CHECK_EQ(errno, EINVAL);
    errno = 0;
    p = own_alloc_zeroed(bad_align[i]);
    OWN_CHECK(p == NULL);
    OWN_CHECK_EQ(errno, EINVAL);
  }
  own_layout_t too_big[] = {{SIZE_MAX, 16},      {(size_t)PTRDIFF_MAX + 1, 1}, {SIZE_MAX - 8, 4096},
                            {(size_t)PTRDIFF_MAX, 1}, {16, (size_t)1 << 62},   {SIZE_MAX / 2, 64}};
  for (size_t i = 0; i < sizeof too_big / sizeof too_big[0]; i++) {
    errno = 0;
    void *p = own_alloc(too_big[i]);
    if (p || errno != ENOMEM)
      fprintf(stderr, "own_alloc({%zu, %zu}) = %p, errno %d\n", too_big[i].size, too_big[i].align,
              p, errno);
    OWN_CHECK(p == NULL);
    OWN_CHECK_EQ(errno, ENOMEM);
    errno = 0;
    p = own_alloc_zeroed(too_big[i]);
    OWN_CHECK(p == NULL);
    OWN_CHECK_EQ(errno, ENOMEM);
  }

  /* size 0: unique minimal blocks */
  void *z[64], *zs[64];
  for (int i = 0; i < 64; i++) {
    z[i] = own_alloc((own_layout_t){0, (size_t)1 << (i % 10)});
    OWN_CHECK(z[i] && aligned_to(z[i], (size_t)1 << (i % 10)));
    zs[i] = z[i];
  }
  qsort(zs, 64, sizeof zs[0], cmp_ptr);
  bool unique = true;
  for (int i = 1; i < 64; i++)
    if (zs[i] == zs[i - 1]) unique = false;
  OWN_CHECK(unique);
  for (int i = 0; i < 64; i++) own_dealloc(z[i], (own_layout_t){0, (size_t)1 << (i % 10)});

  /* a typed array */
  own_layout_t al;
  OWN_CHECK(OWN_LAYOUT_ARRAY(long double, 1000, &al));
  long double *arr = own_alloc_zeroed(al);
  OWN_CHECK(arr && aligned_to(arr, _Alignof(long double)));
  bool ok = true;
  for (int i = 0; arr && i < 1000; i++)
    if (arr[i] != 0) ok = false;
  OWN_CHECK(ok);
  own_dealloc(arr, al);

  /* own_realloc keeps the alignment and the contents */
  static const size_t aligns[] = {1, 16, 64, 256, 4096, 65536, 1 * MiB, 4 * MiB};
  for (size_t i = 0; i < sizeof aligns / sizeof aligns[0]; i++) {
    own_layout_t l = {100, aligns[i]};
    void *p = own_alloc(l);
    OWN_CHECK(p && aligned_to(p, l.align));
    fill(p, 100, 5);
    size_t valid = 100; /* leading bytes that hold the pattern */
    static const size_t steps[] = {5000, 10, 3 * MiB, 100000, 17};
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
      size_t m = steps[s];
      void *q = own_realloc(p, l, opq(m));
      OWN_CHECK(q != NULL);
      if (!q) break;
      OWN_CHECK(aligned_to(q, l.align));
      OWN_CHECK(intact(q, valid < m ? valid : m, 5));
      OWN_CHECK(own_malloc_usable_size(q) >= m);
      p = q;
      l.size = m;
      valid = m < 100 ? m : 100;
      fill(p, valid, 5);
    }
    /* failure: NULL, p untouched */
    fill(p, l.size, 77);
    errno = 0;
    void *f = own_realloc(p, l, opq(SIZE_MAX));
    OWN_CHECK(f == NULL);
    OWN_CHECK_EQ(errno, ENOMEM);
    f = own_realloc(p, l, opq((size_t)PTRDIFF_MAX + 1));
    OWN_CHECK(f == NULL);
    OWN_CHECK(intact(p, l.size, 77) && own_is_live_block(p));
    own_dealloc(p, l);
  }

  /* through the own_allocator_t interface */
  const own_allocator_t *a = own_allocator_default();
  OWN_CHECK(a != NULL && a->alloc && a->free);
  own_layout_t l = {48, 32};
  void *p = own_allocator_alloc(a, l);
  OWN_CHECK(p && aligned_to(p, 32) && own_is_live_block(p));
  fill(p, 48, 9);
  void *q = own_allocator_resize(a, p, l, 4000);
  OWN_CHECK(q && aligned_to(q, 32) && intact(q, 48, 9));
  own_allocator_free(a, q, (own_layout_t){4000, 32});
  own_allocator_free(a, NULL, l);
  p = own_allocator_alloc(NULL, (own_layout_t){0, 1});
  OWN_CHECK(p != NULL);
  own_allocator_free(NULL, p, (own_layout_t){0, 1});
}

/* ---- own_is_heap_pointer / own_is_live_block --------------------------------- */

static char static_area[8192] __attribute__((aligned(64)));

static void test_pointers(void) {
  enum { N = 200 };
  void *p[N];
  for (int i = 0; i < N; i++) p[i] = malloc(opq(48));
  for (int i = 0; i < N; i += 2) free(p[i]); /* odd ones stay live beside them */
  bool heap_ok = true, live_ok = true, freed_ok = true, interior_ok = true;
  for (int i = 0; i < N; i++) {
    void *x = opaque(p[i]);
    if (!own_is_heap_pointer(x)) heap_ok = false;
    if (i % 2 && !own_is_live_block(x)) live_ok = false;
    if (i % 2 == 0 && own_is_live_block(x)) freed_ok = false;
    if (i % 2 && (own_is_live_block((char *)x + 8) || own_is_live_block((char *)x + 1))) interior_ok = false;
    if (i % 2 && !own_is_heap_pointer((char *)x + 40)) heap_ok = false;
  }
  OWN_CHECK(heap_ok);
  OWN_CHECK(live_ok);
  OWN_CHECK(freed_ok);
  OWN_CHECK(interior_ok);
  for (int i = 1; i < N; i += 2) free(p[i]);

  /* medium, large, huge blocks */
  static const size_t sizes[] = {20000, 200000, 900 * KiB, 3 * MiB, 16 * MiB};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    char *b = malloc(opq(sizes[i]));
    OWN_CHECK(own_is_heap_pointer(b) && own_is_live_block(b));
    OWN_CHECK(own_is_heap_pointer(b + sizes[i] / 2) && own_is_heap_pointer(b + sizes[i] - 1));
    OWN_CHECK(!own_is_live_block(b + 4096) && !own_is_live_block(b + 16));
    char *copy = opaque(b);
    free(b);
    OWN_CHECK(!own_is_live_block(copy)); /* must not fault even if unmapped */
  }
  /* aligned blocks are live at the address handed out */
  void *al = aligned_alloc(4096, opq(100));
  OWN_CHECK(own_is_live_block(al));
  free(al);
  al = aligned_alloc(2 * MiB, opq(100));
  OWN_CHECK(own_is_live_block(al) && own_malloc_usable_size(al) >= 100);
  free(al);

  /* never ours */
  int local[16];
  void *map = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  const void *foreign[] = {NULL,
                           (void *)1,
                           (void *)16,
                           (void *)0x3990080,
                           local,
                           static_area,
                           static_area + 64,
                           map,
                           (char *)map + 4096,
                           (void *)(UINTPTR_MAX & ~(uintptr_t)15),
                           (void *)(uintptr_t)0xffff800000000000ull,
                           (void *)(uintptr_t)0x00007ffffffff000ull,
                           (void *)(uintptr_t)test_pointers};
  bool none = true;
  for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
    const void *f = opaque((void *)(uintptr_t)foreign[i]);
    if (own_is_heap_pointer(f) || own_is_live_block(f) || own_malloc_usable_size(f) != 0) {
      none = false;
      fprintf(stderr, "foreign pointer %p taken for own's\n", f);
    }
  }
  OWN_CHECK(none);
  munmap(map, 65536);
}

/* ---- free of pointers that are not blocks: reported, ignored, heap intact ----- */

/* After misuse: many allocations, none overlapping [lo, hi), all intact. */
static void heap_still_sound(const void *lo, const void *hi) {
  enum { N = 3000 };
  static void *p[N];
  bool ok = true;
  for (int i = 0; i < N; i++) {
    size_t n = 8 + (size_t)(i * 7919) % 3000;
    p[i] = malloc(opq(n));
    if (!p[i]) {
      ok = false;
      continue;
    }
    if ((uintptr_t)p[i] + n > (uintptr_t)lo && (uintptr_t)p[i] < (uintptr_t)hi) ok = false;
    fill(p[i], n, (unsigned)i);
  }
  for (int i = 0; i < N; i++)
    if (p[i] && !intact(p[i], 8 + (size_t)(i * 7919) % 3000, (unsigned)i)) ok = false;
  for (int i = 0; i < N; i++) free(p[i]);
  OWN_CHECK(ok);
}

static void child_free_stack(void) {
  char buf[512] __attribute__((aligned(64)));
  fill(buf, sizeof buf, 1);
  for (int off = 0; off < 512; off += 16) free(opaque(buf + off));
  OWN_CHECK_EQ(count_of(OWN_ERR_INVALID_FREE), 32);
  OWN_CHECK(atomic_load(&reported_ptr) == buf + 496 || atomic_load(&reported_ptr) == NULL);
  OWN_CHECK(intact(buf, sizeof buf, 1)); /* the heap wrote nothing there */
  heap_still_sound(buf, buf + sizeof buf);
  OWN_CHECK(intact(buf, sizeof buf, 1));
}

static void child_free_static(void) {
  fill(static_area, sizeof static_area, 2);
  free(opaque(static_area));
  free(opaque(static_area + 4096));
  own_free(opaque(static_area + 16));
  void *r = realloc(opaque(static_area + 32), opq(100)); /* realloc of a foreign pointer */
  OWN_CHECK(count_of(OWN_ERR_INVALID_FREE) >= 3);
  OWN_CHECK(r == NULL || own_is_live_block(r));
  free(r);
  OWN_CHECK(intact(static_area, sizeof static_area, 2));
  heap_still_sound(static_area, static_area + sizeof static_area);
  OWN_CHECK(intact(static_area, sizeof static_area, 2));
}

static void child_free_mmap(void) {
  size_t len = 16 * 65536;
  char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  OWN_CHECK(m != MAP_FAILED);
  fill(m, len, 3);
  free(m);
  free(m + 4096);
  free(m + 65536);
  OWN_CHECK_EQ(count_of(OWN_ERR_INVALID_FREE), 3);
  OWN_CHECK(!own_is_heap_pointer(m));
  OWN_CHECK(intact(m, len, 3));
  heap_still_sound(m, m + len);
  OWN_CHECK(intact(m, len, 3));
  munmap(m, len);
}

/* A foreign mapping aligned like one of own's 4 MiB segments, full of garbage
 * that might look like a segment header; and one whose first page (where a
 * segment header would be) is not mapped at all. */
static void child_free_fake_segment(void) {
  size_t seg = 4 * MiB, len = 3 * seg;
  char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  OWN_CHECK(m != MAP_FAILED);
  char *a = (char *)(((uintptr_t)m + seg - 1) & ~(uintptr_t)(seg - 1));
  memset(a, 0xff, 256 * KiB);
  fill(a + 256 * KiB, 64 * KiB, 4);
  free(a + 65536);
  free(a + 65536 + 16);
  free(a + 256 * KiB);
  OWN_CHECK_EQ(count_of(OWN_ERR_INVALID_FREE), 3);
  OWN_CHECK(!own_is_heap_pointer(a + 65536) && !own_is_live_block(a + 65536));
  OWN_CHECK_EQ(own_malloc_usable_size(a + 65536), 0);
  OWN_CHECK(intact(a + 256 * KiB, 64 * KiB, 4));
  /* the header page unmapped: the heap must not read it */
  munmap(a, 65536);
  free(a + 2 * 65536);
  OWN_CHECK_EQ(count_of(OWN_ERR_INVALID_FREE), 4);
  OWN_CHECK(!own_is_heap_pointer(a + 2 * 65536) && !own_is_live_block(a + 2 * 65536));
  heap_still_sound(m, m + len);
  munmap(m, len);
}

/* A foreign page placed right after one of own's segments: a pointer to its
 * start is one past the end of the segment. */
static void child_free_after_segment(void) {
  void *p = malloc(opq(64));
  uintptr_t seg = ((uintptr_t)p) & ~(uintptr_t)(4 * MiB - 1);
  char *after = (char *)(seg + 4 * MiB);
  char *m = mmap(after, 65536, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (m != after) {
    /* the next window is taken (by own or anyone): nothing to test here */
    if (m != MAP_FAILED) munmap(m, 65536);
    free(p);
    return;
  }
  fill(m, 65536, 6);
  OWN_CHECK(!own_is_heap_pointer(m));
  OWN_CHECK(!own_is_live_block(m));
  OWN_CHECK_EQ(own_malloc_usable_size(m), 0);
  free(m);
  OWN_CHECK_EQ(count_of(OWN_ERR_INVALID_FREE), 1);
  OWN_CHECK(intact(m, 65536, 6));
  free(p);
  heap_still_sound(m, m + 65536);
  OWN_CHECK(intact(m, 65536, 6));
  munmap(m, 65536);
}

static void child_free_interior(void) {
  static const size_t sizes[] = {100, 1000, 20000, 300000, 3 * MiB};
  int expect = 0;
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    char *p = malloc(opq(sizes[i]));
    fill(p, sizes[i], 8);
    free(opaque(p + 16));
    free(opaque(p + 8));
    if (sizes[i] > 4096) {
      free(opaque(p + 4096));
      expect++;
    }
    expect += 2;
    OWN_CHECK_EQ(count_of(OWN_ERR_INVALID_FREE), expect);
    OWN_CHECK(own_is_live_block(p));
    OWN_CHECK(intact(p, sizes[i], 8));
    int before = count_all();
    free(p); /* the real free still works, and is not reported */
    OWN_CHECK_EQ(count_all(), before);
  }
  heap_still_sound(NULL, NULL);
}

/* Interior pointers freed by a thread other than the owner: blocks of the
 * sizes another thread may keep (64..1024 bytes) are checked without the
 * owner's page (foreign.c), the others through it; none is kept or handed
 * out again. */
static char *interior_blocks[4];
static const size_t interior_sizes[4] = {40, 100, 256, 1000};

static void *free_interior_elsewhere(void *arg) {
  (void)arg;
  free(malloc(opq(16))); /* a heap of its own: it keeps foreign blocks */
  for (int i = 0; i < 4; i++) {
    free(opaque(interior_blocks[i] + 16));
    free(opaque(interior_blocks[i] + 8));
    free(opaque(interior_blocks[i] + 1));
  }
  bool ok = true;
  for (int i = 0; i < 4; i++) {
    for (int j = 0; j < 64; j++) { /* what it allocates now is never inside them */
      char *q = malloc(opq(interior_sizes[i]));
      for (int k = 0; k < 4; k++)
        if (q > interior_blocks[k] && q < interior_blocks[k] + interior_sizes[k]) ok = false;
      free(q);
    }
  }
  for (int i = 0; i < 4; i++) free(interior_blocks[i]); /* the real frees: kept */
  return ok ? NULL : arg;
}

static void child_free_interior_elsewhere(void) {
  for (int i = 0; i < 4; i++) {
    interior_blocks[i] = malloc(opq(interior_sizes[i]));
    fill(interior_blocks[i], interior_sizes[i], 9);
  }
  static int failed;
  pthread_t t;
  void *ret = &failed;
  OWN_CHECK(pthread_create(&t, NULL, free_interior_elsewhere, &failed) == 0);
  pthread_join(t, &ret);
  OWN_CHECK(ret == NULL);
  OWN_CHECK_EQ(count_of(OWN_ERR_INVALID_FREE), 12);
  heap_still_sound(NULL, NULL);
}

/* A block of a page its owner has since returned to the segment, freed by
 * another thread while the owner lives on: reported, not kept. */
static char *retired_block;
static atomic_int retire_step;

static void *retire_owner(void *arg) {
  (void)arg;
  void *keep = malloc(opq(5000)); /* keeps the segment in use */
  enum { M = 300 };                /* more than one page of 256-byte blocks */
  static void *b[M];
  for (int i = 0; i < M; i++) b[i] = malloc(opq(256));
  retired_block = b[0];
  for (int i = 0; i < M; i++) free(b[i]);
  own_collect(); /* the empty pages go back to the segment */
  atomic_store(&retire_step, 1);
  while (atomic_load(&retire_step) != 2) sched_yield();
  free(keep);
  return NULL;
}

static void child_free_retired_elsewhere(void) {
  free(malloc(opq(16)));
  pthread_t t;
  OWN_CHECK(pthread_create(&t, NULL, retire_owner, NULL) == 0);
  while (atomic_load(&retire_step) != 1) sched_yield();
  OWN_CHECK(own_is_heap_pointer(retired_block) && !own_is_live_block(retired_block));
  free(opaque(retired_block));
  OWN_CHECK_EQ(count_of(OWN_ERR_INVALID_FREE), 1);
  for (int j = 0; j < 64; j++) { /* and it is not handed out */
    void *q = malloc(opq(256));
    OWN_CHECK(q != retired_block);
    free(q);
  }
  atomic_store(&retire_step, 2);
  pthread_join(t, NULL);
  heap_still_sound(NULL, NULL);
}

static void child_free_wild(void) {
  free(opaque((void *)0x3990080)); /* an unmapped low address */
  free(opaque((void *)(uintptr_t)0xffff800000001000ull));
  free(opaque((void *)(uintptr_t)test_pointers));
  OWN_CHECK_EQ(count_of(OWN_ERR_INVALID_FREE), 3);
  heap_still_sound(NULL, NULL);
}

/* OWN_OPT_ERROR_ABORT: report, then abort. */
static void abort_on_error(void *arg) {
  (void)arg;
  own_set_error_handler(NULL, NULL); /* the default handler prints */
  own_option_set(OWN_OPT_ERROR_ABORT, 1);
  int local[4];
  free(opaque(local));
  _exit(0); /* not reached */
}

static void test_invalid_frees(void) {
  OWN_EXPECT_DEATH(abort_on_error, NULL, SIGABRT, "invalid free");
  in_child(child_free_stack, "free of stack addresses");
  in_child(child_free_static, "free of static addresses");
  in_child(child_free_mmap, "free of an mmap'd region");
  in_child(child_free_fake_segment, "free inside a fake segment");
  in_child(child_free_after_segment, "free one past a segment");
  in_child(child_free_interior, "free of interior pointers");
  in_child(child_free_interior_elsewhere, "free of interior pointers by another thread");
  in_child(child_free_retired_elsewhere, "free into a returned page by another thread");
  in_child(child_free_wild, "free of wild pointers");
  in_child(child_free_sized_wrong, "free_sized with a wrong size");
}

/* ---- statistics and options -------------------------------------------------- */

static void test_stats(void) {
  own_collect();
  own_stats_t s0, s1, s2;
  own_stats(&s0);
  OWN_CHECK(s0.threads >= 1);
  OWN_CHECK(s0.class_count <= OWN_STATS_CLASSES);
  OWN_CHECK(s0.peak_committed >= s0.committed);
  OWN_CHECK(s0.reserved >= s0.committed);

  void *p = malloc(opq(100000));
  own_stats(&s1);
  OWN_CHECK(s1.allocated >= s0.allocated + 100000);
  OWN_CHECK_EQ(s1.allocated_blocks, s0.allocated_blocks + 1);
  free(p);
  own_stats(&s2);
  OWN_CHECK_EQ(s2.allocated, s0.allocated);
  OWN_CHECK_EQ(s2.allocated_blocks, s0.allocated_blocks);

  /* Every live block is accounted for in the breakdown: in a class of
   * classes[], or as huge ("larger than the largest size class"). One block
   * of each kind: small, medium, between the largest class and 1 MiB, huge. */
  enum { N = 1000 };
  static void *q[N];
  for (int i = 0; i < N; i++) q[i] = malloc(opq(40));
  void *kinds[4] = {malloc(opq(3000)), malloc(opq(40000)), malloc(opq(200000)),
                    malloc(opq(3 * MiB))};
  own_stats(&s1);
  OWN_CHECK_EQ(s1.allocated_blocks, s0.allocated_blocks + N + 4);
  OWN_CHECK(s1.allocated >= s0.allocated + N * 40 + 3000 + 40000 + 200000 + 3 * MiB);
  size_t largest_class = 0;
  for (size_t c = 0; c < s1.class_count && c < OWN_STATS_CLASSES; c++)
    if (s1.classes[c].block_size > largest_class) largest_class = s1.classes[c].block_size;
  OWN_CHECK(s1.huge_blocks >= s0.huge_blocks + 1 + (200000 > largest_class));
  size_t in_classes = 0;
  bool class_seen = false;
  for (size_t c = 0; c < s1.class_count && c < OWN_STATS_CLASSES; c++) {
    in_classes += s1.classes[c].blocks;
    if (s1.classes[c].block_size >= 40 && s1.classes[c].block_size <= 64 &&
        s1.classes[c].blocks >= N)
      class_seen = true;
  }
  OWN_CHECK(class_seen);
  OWN_CHECK_EQ(in_classes + s1.huge_blocks, s1.allocated_blocks);
  for (int i = 0; i < N; i++) free(q[i]);
  for (int i = 0; i < 4; i++) free(kinds[i]);

  /* a huge block shows up as one, with its bytes committed (own_collect
   * first: the huge pool would otherwise lend it pages already counted) */
  own_collect();
  own_stats(&s0);
  void *h = malloc(opq(64 * MiB));
  memset(h, 1, 64 * MiB);
  own_stats(&s1);
  OWN_CHECK_EQ(s1.huge_blocks, s0.huge_blocks + 1);
  OWN_CHECK(s1.huge_bytes >= s0.huge_bytes + 64 * MiB);
  OWN_CHECK(s1.committed >= s0.committed + 64 * MiB);
  OWN_CHECK(s1.peak_committed >= s1.committed);
  OWN_CHECK(s1.os_map_calls >= s0.os_map_calls);
  free(h);
  own_collect();
  own_stats(&s2);
  OWN_CHECK_EQ(s2.huge_blocks, s0.huge_blocks);
  OWN_CHECK(s2.committed + 32 * MiB <= s1.committed);

  /* own_stats_print writes something readable to the fd */
  int fds[2];
  OWN_CHECK(pipe(fds) == 0);
  own_stats_print(fds[1]);
  close(fds[1]);
  char buf[4096];
  ssize_t n = read(fds[0], buf, sizeof buf - 1);
  close(fds[0]);
  OWN_CHECK(n > 20);

  /* options */
  long old = own_option_get(OWN_OPT_PURGE_KIB);
  OWN_CHECK(old >= 0);
  own_option_set(OWN_OPT_PURGE_KIB, 1234);
  OWN_CHECK_EQ(own_option_get(OWN_OPT_PURGE_KIB), 1234);
  own_option_set(OWN_OPT_PURGE_KIB, old);
  OWN_CHECK_EQ(own_option_get(OWN_OPT_PURGE_KIB), old);
}

/* ---- the empty page a size class keeps ---- */

/* Pages of the class of `size` (blocks on one-slice pages), over all heaps. */
static size_t class_pages(size_t size) {
  own_stats_t s;
  own_stats(&s);
  for (size_t c = 0; c < s.class_count && c < OWN_STATS_CLASSES; c++)
    if (s.classes[c].block_size >= size) return s.classes[c].pages;
  return 0;
}

/* A malloc/free loop keeps the class's only page, emptied on every pair,
 * instead of returning it to its segment and setting one up again; once a
 * class has several pages, the ones that empty go back until one is left.
 * Blocks of 7000 bytes: nine to a page, a class nothing else here uses. */
static void *kept_page_thread(void *arg) {
  (void)arg;
  enum { SIZE = 7000, MANY = 30 };
  size_t before = class_pages(SIZE);
  bool ok = true;
  for (int i = 0; i < 1000 && ok; i++) {
    void *p = malloc(opq(SIZE));
    ok = p != NULL;
    free(p);
    ok = ok && class_pages(SIZE) == before + 1;
  }
  void *q[MANY];
  for (int i = 0; i < MANY; i++) q[i] = malloc(opq(SIZE));
  ok = ok && class_pages(SIZE) >= before + 4;
  for (int i = 0; i < MANY; i++) free(q[i]);
  ok = ok && class_pages(SIZE) == before + 1;
  return ok ? arg : (void *)1;
}

static void test_kept_page(void) {
  pthread_t t;
  void *ret = (void *)1;
  OWN_CHECK(pthread_create(&t, NULL, kept_page_thread, NULL) == 0);
  pthread_join(t, &ret);
  OWN_CHECK(ret == NULL);
}

/* ---- threads: first use, heaps per thread ----------------------------------- */

static void *first_on_thread(void *arg) {
  (void)arg;
  /* the very first allocation of this thread is a zero-size aligned one */
  void *p = aligned_alloc(16, opq(0));
  bool ok = p && aligned_to(p, 16);
  free(p);
  void *q = own_aligned_alloc(64, opq(0));
  ok = ok && q && aligned_to(q, 64);
  own_free(q);
  void *z = calloc(opq(1000), 4);
  ok = ok && z && all_zero(z, 4000);
  free(z);
  ok = ok && own_heap_default() != NULL && own_heap_default() == own_heap_default();
  return ok ? own_heap_default() : NULL;
}

static void test_first_on_thread(void) {
  own_heap_t *mine = own_heap_default();
  OWN_CHECK(mine != NULL && mine == own_heap_default());
  for (int i = 0; i < 4; i++) {
    pthread_t t;
    void *ret = NULL;
    pthread_create(&t, NULL, first_on_thread, NULL);
    pthread_join(t, &ret);
    OWN_CHECK(ret != NULL);
    OWN_CHECK(ret != mine); /* each thread has its own default heap */
  }
}

/* ---- the huge pool: freed huge blocks' pages build the next ones ---- */

static long minor_faults(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

static bool all_bytes(const char *p, size_t n, char v) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != v) return false;
  return true;
}

static void test_huge_pool(void) {
  long saved = own_option_get(OWN_OPT_HUGE_CACHE_KIB);
  own_option_set(OWN_OPT_HUGE_CACHE_KIB, 64 * 1024);
  own_collect();
  own_stats_t s0, s1;

  /* The same size again: the freed mapping is used in place. */
  char *a = malloc(opq(24 * MiB));
  OWN_CHECK(a != NULL);
  memset(a, 0x5a, 24 * MiB);
  free(a);
  own_stats(&s0);
  long f0 = minor_faults();
  char *b = malloc(opq(24 * MiB));
  OWN_CHECK(b != NULL);
  memset(b, 0x33, 24 * MiB);
  long f1 = minor_faults();
  own_stats(&s1);
  OWN_CHECK_EQ(s1.os_map_calls, s0.os_map_calls);
  OWN_CHECK(f1 - f0 < (long)(24 * MiB / 4096 / 16));
  OWN_CHECK(all_bytes(b, 24 * MiB, 0x33));
  free(b);

  /* calloc over pooled pages still reads zeros. */
  char *c = calloc(1, opq(24 * MiB));
  OWN_CHECK(c != NULL && all_bytes(c, 24 * MiB, 0));
  free(c);

  /* Four freed 6 MiB blocks build one of 20 MiB: moved pages, few faults. */
  own_collect();
  char *x[4];
  for (int i = 0; i < 4; i++) {
    x[i] = malloc(opq(6 * MiB));
    OWN_CHECK(x[i] != NULL);
    memset(x[i], 0x40 + i, 6 * MiB);
  }
  for (int i = 0; i < 4; i++) free(x[i]);
  f0 = minor_faults();
  char *big = malloc(opq(20 * MiB));
  OWN_CHECK(big != NULL);
  memset(big, 0x77, 20 * MiB);
  f1 = minor_faults();
  OWN_CHECK(f1 - f0 < (long)(20 * MiB / 4096 / 4));
  OWN_CHECK(malloc_usable_size(big) >= 20 * MiB);
  OWN_CHECK(own_is_heap_pointer(big + 19 * MiB));
  /* growth of a block built from pieces copies, correctly */
  char *grown = realloc(big, opq(40 * MiB));
  OWN_CHECK(grown != NULL && all_bytes(grown, 20 * MiB, 0x77));
  memset(grown + 20 * MiB, 0x11, 20 * MiB);
  grown = realloc(grown, opq(3 * MiB));
  OWN_CHECK(grown != NULL && all_bytes(grown, 3 * MiB, 0x77));
  free(grown);

  /* What stays unused for a second goes back at the next huge operation. */
  own_stats(&s0);
  OWN_CHECK(s0.committed >= 20 * MiB); /* the pool holds memory now */
  struct timespec ts = {1, 100 * 1000 * 1000};
  nanosleep(&ts, NULL);
  void *tiny_huge = malloc(opq(2 * MiB));
  own_stats(&s1);
  OWN_CHECK(s1.committed + 16 * MiB <= s0.committed);
  free(tiny_huge);

  /* New segments are built from the pool too: small blocks allocated after
   * a large buffer is freed reuse its resident pages (few page faults, no
   * mapping) instead of growing the resident set beside them. */
  own_collect();
  a = malloc(opq(40 * MiB));
  OWN_CHECK(a != NULL);
  memset(a, 0x21, 40 * MiB);
  free(a);
  enum { SMALL_N = 32 * 1024 };
  char **small = malloc(SMALL_N * sizeof *small);
  OWN_CHECK(small != NULL);
  own_stats(&s0);
  f0 = minor_faults();
  for (int i = 0; i < SMALL_N; i++) { /* 32 MiB in blocks of 1 KiB */
    small[i] = malloc(opq(1024));
    OWN_CHECK(small[i] != NULL);
    memset(small[i], i & 0xff, 1024);
  }
  f1 = minor_faults();
  own_stats(&s1);
  OWN_CHECK(f1 - f0 < (long)(32 * MiB / 4096 / 2));
  OWN_CHECK_EQ(s1.os_map_calls, s0.os_map_calls);
  for (int i = 0; i < SMALL_N; i++) {
    OWN_CHECK(small[i][0] == (char)(i & 0xff) && small[i][1023] == (char)(i & 0xff));
    free(small[i]);
  }
  free(small);

  /* The pool keeps up to 64 MiB when idle, and up to OWN_HUGE_CACHE_KIB while
   * it serves: a program cycling 128 MiB of buffers soon builds every one of
   * them from the pool, without a mapping. */
  own_option_set(OWN_OPT_HUGE_CACHE_KIB, 256 * 1024);
  own_collect();
  size_t last_cycle_maps = 1;
  for (int cycle = 0; cycle < 6; cycle++) {
    own_stats(&s0);
    char *buf[4];
    for (int i = 0; i < 4; i++) {
      buf[i] = malloc(opq(32 * MiB));
      OWN_CHECK(buf[i] != NULL);
      for (size_t off = 0; off < 32 * MiB; off += 4096) buf[i][off] = (char)cycle;
    }
    own_stats(&s1);
    last_cycle_maps = s1.os_map_calls - s0.os_map_calls;
    for (int i = 0; i < 4; i++) free(buf[i]);
  }
  OWN_CHECK_EQ(last_cycle_maps, 0);

  /* OWN_HUGE_CACHE_KIB=0: a freed huge block is unmapped at once. */
  own_option_set(OWN_OPT_HUGE_CACHE_KIB, 0);
  own_collect();
  a = malloc(opq(24 * MiB));
  OWN_CHECK(a != NULL);
  memset(a, 1, 24 * MiB);
  own_stats(&s0);
  free(a);
  own_stats(&s1);
  OWN_CHECK(s1.committed + 24 * MiB <= s0.committed);
  OWN_CHECK_EQ(s1.os_unmap_calls, s0.os_unmap_calls + 1);
  own_option_set(OWN_OPT_HUGE_CACHE_KIB, saved);
}

int main(void) {
  own_set_error_handler(counting_handler, NULL);
  test_override_complete();
  test_zero_and_null();
  test_sizes();
  test_class_waste();
  test_alignment_matrix();
  test_posix_memalign_errors();
  test_enomem();
  test_overflow();
  test_realloc();
  test_calloc_zero();
  test_usable_size();
  test_valloc();
  test_free_sized();
  test_layout();
  test_layout_api();
  test_pointers();
  test_invalid_frees();
  test_stats();
  test_kept_page();
  test_first_on_thread();
  test_huge_pool();
  /* none of the above reported an error by mistake */
  OWN_CHECK_EQ(count_all(), 0);
  return own_test_done();
}
