/* test_ownership_alloc.h — allocators for the ownership tests.
 *
 * A counting allocator over libc's malloc that records live blocks
 * and bytes, checks that every free passes the layout the block was
 * allocated with, and can be told to fail the N-th allocation from now
 * (failure injection). Thread-safe (atomics), so the Arc tests can share it.
 */
#ifndef OWN_TEST_OWNERSHIP_ALLOC_H
#define OWN_TEST_OWNERSHIP_ALLOC_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "own/allocator.h"

typedef struct test_alloc {
  atomic_long live_blocks;   /* allocations not yet freed      */
  atomic_long live_bytes;    /* their layout sizes              */
  atomic_long allocs;        /* allocation calls that succeeded */
  atomic_long frees;         /* free calls                      */
  atomic_long fail_at;       /* fail the allocation when this reaches 1 (0: never) */
  atomic_long bad_frees;     /* frees whose layout did not match */
} test_alloc_t;

/* libc's own allocator, by the names that stay libc's even when libown (built
 * with OWN_OVERRIDE) takes over malloc/free in the test program: the counting
 * allocator must not route through the heap it is compared against. */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define OWN_TEST_SANITIZED 1 /* sanitizers own malloc: use the standard names */
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define OWN_TEST_SANITIZED 1
#endif
#endif
#if defined(__GLIBC__) && !defined(OWN_TEST_SANITIZED)
extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *p);
#define TEST_LIBC_ALIGNED(align, size) __libc_memalign((align), (size))
#define TEST_LIBC_FREE(p) __libc_free(p)
#else
#define TEST_LIBC_ALIGNED(align, size) aligned_alloc((align), (size))
#define TEST_LIBC_FREE(p) free(p)
#endif

/* Each block carries its layout in a 64-byte prefix so frees can be checked. */
#define TEST_ALLOC_PREFIX 64

static void *test_alloc_alloc(void *ctx, own_layout_t l) {
  test_alloc_t *t = (test_alloc_t *)ctx;
  long f = atomic_load(&t->fail_at);
  if (f > 0 && atomic_fetch_sub(&t->fail_at, 1) == 1) return NULL;
  size_t align = l.align > TEST_ALLOC_PREFIX ? l.align : TEST_ALLOC_PREFIX;
  size_t pre = align; /* keeps the user block aligned to `align` */
  size_t total = pre + l.size;
  total = (total + align - 1) & ~(align - 1);
  char *base = (char *)TEST_LIBC_ALIGNED(align, total);
  if (!base) return NULL;
  char *p = base + pre;
  size_t rec[3] = {l.size, l.align, pre};
  memcpy(p - sizeof rec, rec, sizeof rec);
  atomic_fetch_add(&t->live_blocks, 1);
  atomic_fetch_add(&t->live_bytes, (long)l.size);
  atomic_fetch_add(&t->allocs, 1);
  return p;
}

static void test_alloc_free(void *ctx, void *p, own_layout_t l) {
  test_alloc_t *t = (test_alloc_t *)ctx;
  size_t rec[3];
  memcpy(rec, (char *)p - sizeof rec, sizeof rec);
  if (rec[0] != l.size || rec[1] != l.align) atomic_fetch_add(&t->bad_frees, 1);
  atomic_fetch_sub(&t->live_blocks, 1);
  atomic_fetch_sub(&t->live_bytes, (long)rec[0]);
  atomic_fetch_add(&t->frees, 1);
  memset(p, 0xdd, rec[0]); /* freed memory must not be read again */
  TEST_LIBC_FREE((char *)p - rec[2]);
}

static inline own_allocator_t test_alloc_make(test_alloc_t *t) {
  memset(t, 0, sizeof *t);
  own_allocator_t a = {test_alloc_alloc, NULL, test_alloc_free, t};
  return a;
}

/* Fails the n-th allocation from now (1: the next one). */
static inline void test_alloc_fail_nth(test_alloc_t *t, long n) { atomic_store(&t->fail_at, n); }

#endif
