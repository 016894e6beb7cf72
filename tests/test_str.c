/* test_str.c — own_str (own/str.h): every operation and edge case, NUL
 * termination after every change, allocation counts with and without
 * reserve, checked overflow, failure injection, zero leaks, and a randomized
 * run against a plain byte array as the reference model.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "own/str.h"
#if __has_include("own/scope.h")
#include "own/scope.h"
#endif
#include "testing.h"

/* ---- Without the general heap, libc-backed stand-ins let libown.a link. --- */
#include "own/heap.h"
#ifndef OWN_TEST_HAVE_HEAP
void *own_alloc(own_layout_t l) {
  void *p = NULL;
  return posix_memalign(&p, l.align < sizeof(void *) ? sizeof(void *) : l.align, l.size ? l.size : 1)
             ? NULL
             : p;
}
void own_dealloc(void *p, own_layout_t l) {
  (void)l;
  free(p);
}
void *own_realloc(void *p, own_layout_t l, size_t n) {
  void *q = own_alloc((own_layout_t){n, l.align});
  if (q) {
    memcpy(q, p, l.size < n ? l.size : n);
    free(p);
  }
  return q;
}
#endif

/* ---- A counting, checking allocator with failure injection --------------- */

#define MAX_LIVE 64
typedef struct counting {
  size_t requests;   /* alloc + resize calls                        */
  size_t fail_at;    /* fail request number fail_at; 0: never       */
  size_t fail_every; /* with fail_at: fail from fail_at on          */
  size_t live;       /* blocks outstanding                          */
  size_t bad_layout; /* frees/resizes with a layout the block lacks */
  struct {
    void *p;
    own_layout_t l;
  } blocks[MAX_LIVE];
} counting_t;

static int find_block(counting_t *c, void *p) {
  for (int i = 0; i < MAX_LIVE; i++)
    if (c->blocks[i].p == p) return i;
  return -1;
}
static bool should_fail(counting_t *c) {
  c->requests++;
  if (!c->fail_at) return false;
  return c->fail_every ? c->requests >= c->fail_at : c->requests == c->fail_at;
}
static void *raw_alloc(counting_t *c, own_layout_t l) {
  void *p = malloc(l.size ? l.size : 1);
  if (!p) return NULL;
  int slot = find_block(c, NULL);
  if (slot < 0) abort();
  c->blocks[slot].p = p;
  c->blocks[slot].l = l;
  c->live++;
  return p;
}
static void raw_free(counting_t *c, void *p, own_layout_t l) {
  int i = find_block(c, p);
  if (i < 0 || c->blocks[i].l.size != l.size || c->blocks[i].l.align != l.align) c->bad_layout++;
  if (i >= 0) {
    c->blocks[i].p = NULL;
    c->live--;
  }
  free(p);
}
static void *c_alloc(void *ctx, own_layout_t l) {
  counting_t *c = ctx;
  return should_fail(c) ? NULL : raw_alloc(c, l);
}
static void *c_resize(void *ctx, void *p, own_layout_t old, size_t n) {
  counting_t *c = ctx;
  if (should_fail(c)) return NULL;
  void *q = raw_alloc(c, (own_layout_t){n, old.align});
  if (!q) return NULL;
  memcpy(q, p, old.size < n ? old.size : n);
  raw_free(c, p, old);
  return q;
}
static void c_free(void *ctx, void *p, own_layout_t l) { raw_free(ctx, p, l); }

static counting_t counter;
static const own_allocator_t counting = {c_alloc, c_resize, c_free, &counter};
static void counter_reset(void) { memset(&counter, 0, sizeof counter); }
static void counter_check_clean(void) {
  OWN_CHECK_EQ(counter.live, 0);
  OWN_CHECK_EQ(counter.bad_layout, 0);
}

#include "test_errors.h"

/* The string holds exactly `want` (a C string) and is NUL-terminated. */
static bool is(const own_str_t *s, const char *want) {
  size_t n = strlen(want);
  return own_str_len(s) == n && strcmp(own_str_cstr(s), want) == 0 && own_str_cstr(s)[n] == '\0' &&
         own_str_len(s) <= own_str_capacity(s) + (s->cap == 0);
}

/* ---- Tests ---------------------------------------------------------------- */

static void test_empty(void) {
  counter_reset();
  own_str_t s = OWN_STR_INIT_IN(&counting);
  OWN_CHECK(is(&s, ""));
  OWN_CHECK(own_str_cstr(&s) != NULL);
  OWN_CHECK_EQ(own_str_capacity(&s), 0);
  OWN_CHECK_EQ(counter.requests, 0);
  own_str_t t;
  own_str_init(&t, &counting);
  OWN_CHECK(own_str_eq(&s, &t));
  OWN_CHECK_EQ(own_str_cmp(&s, &t), 0);
  OWN_CHECK(own_str_eq_cstr(&s, ""));
  own_str_clear(&s);
  own_str_truncate(&s, 0);
  own_str_shrink_to_fit(&s);
  OWN_CHECK(own_str_remove_range(&s, 0, 0));
  own_str_append(&s, NULL, 0); /* nothing to append: fine */
  own_str_drop(&s);
  own_str_drop(&s);
  CHECK_QUIET();
  OWN_CHECK_EQ(counter.requests, 0);
  counter_check_clean();
}

static void test_push_append(void) {
  counter_reset();
  own_str_t s = OWN_STR_INIT_IN(&counting);
  own_str_push(&s, 'h');
  OWN_CHECK(is(&s, "h"));
  OWN_CHECK_EQ(own_str_capacity(&s), 15); /* the first block: 15 + NUL */
  own_str_append(&s, "ello, world", 4);
  OWN_CHECK(is(&s, "hello"));
  own_str_append_cstr(&s, " world");
  OWN_CHECK(is(&s, "hello world"));
  own_str_t t;
  own_str_from_cstr(&t, &counting, "!?");
  own_str_append_str(&s, &t);
  OWN_CHECK(is(&s, "hello world!?"));
  own_str_append_str(&s, &s); /* appending itself, across a growth */
  OWN_CHECK(is(&s, "hello world!?hello world!?"));
  own_str_shrink_to_fit(&s);
  OWN_CHECK_EQ(own_str_capacity(&s), 26);
  own_str_append(&s, s.data + 6, 5); /* bytes from inside s, across a growth */
  OWN_CHECK(is(&s, "hello world!?hello world!?world"));
  /* embedded NUL bytes are content */
  own_str_t b;
  own_str_from(&b, &counting, "a\0b", 3);
  OWN_CHECK_EQ(own_str_len(&b), 3);
  OWN_CHECK(memcmp(b.data, "a\0b", 4) == 0);
  own_str_push(&b, '\0');
  OWN_CHECK_EQ(own_str_len(&b), 4);
  OWN_CHECK_EQ(b.data[4], 0);
  own_str_drop(&b);
  own_str_drop(&t);
  own_str_drop(&s);
  CHECK_QUIET();
  counter_check_clean();
}

static void test_insert_remove(void) {
  counter_reset();
  own_str_t s;
  own_str_from_cstr(&s, &counting, "held");
  own_str_insert_cstr(&s, 2, "llo wor");
  OWN_CHECK(is(&s, "hello world"));
  own_str_insert(&s, 0, ">> ", 3);
  OWN_CHECK(is(&s, ">> hello world"));
  own_str_insert_cstr(&s, own_str_len(&s), "!");
  OWN_CHECK(is(&s, ">> hello world!"));
  OWN_CHECK(own_str_remove_range(&s, 0, 3));
  OWN_CHECK(is(&s, "hello world!"));
  OWN_CHECK(own_str_remove_range(&s, 5, 11));
  OWN_CHECK(is(&s, "hello!"));
  OWN_CHECK(own_str_remove_range(&s, 5, 6));
  OWN_CHECK(is(&s, "hello"));
  CHECK_QUIET();
  /* inserting parts of itself: below, across and above the position */
  own_str_shrink_to_fit(&s);
  own_str_insert(&s, 2, s.data, 2); /* "he" below pos 2 */
  OWN_CHECK(is(&s, "hehello"));
  own_str_insert(&s, 1, s.data + 3, 3); /* "ell", above pos 1 */
  OWN_CHECK(is(&s, "hellehello"));
  own_str_insert(&s, 4, s.data + 2, 4); /* "lleh", straddling pos 4 */
  OWN_CHECK(is(&s, "hellllehehello"));
  CHECK_QUIET();
  /* out of range: reported, unchanged */
  own_str_insert_cstr(&s, 15, "x");
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK(strstr(last_msg, "position 15 out of range (len 14)") != NULL);
  OWN_CHECK_EQ(own_str_try_insert(&s, SIZE_MAX, "x", 1), OWN_ERR_USAGE);
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK(!own_str_remove_range(&s, 3, 2));
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK(!own_str_remove_range(&s, 0, 15));
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK(is(&s, "hellllehehello"));
  /* truncate and clear keep the block */
  size_t cap = own_str_capacity(&s);
  own_str_truncate(&s, 100);
  OWN_CHECK(is(&s, "hellllehehello"));
  own_str_truncate(&s, 3);
  OWN_CHECK(is(&s, "hel"));
  own_str_clear(&s);
  OWN_CHECK(is(&s, ""));
  OWN_CHECK_EQ(own_str_capacity(&s), cap);
  own_str_drop(&s);
  counter_check_clean();
}

static void test_appendf(void) {
  counter_reset();
  own_str_t s = OWN_STR_INIT_IN(&counting);
  own_str_appendf(&s, "%d-%s-%c", 42, "abc", 'z');
  OWN_CHECK(is(&s, "42-abc-z"));
  own_str_appendf(&s, "%s", ""); /* empty output */
  OWN_CHECK(is(&s, "42-abc-z"));
  /* one that fits in the spare capacity formats once, in place */
  own_str_reserve(&s, 100);
  size_t req = counter.requests;
  own_str_appendf(&s, "|%5.2f|", 3.14159);
  OWN_CHECK(is(&s, "42-abc-z| 3.14|"));
  OWN_CHECK_EQ(counter.requests, req);
  /* one that does not fit grows once and formats again */
  own_str_shrink_to_fit(&s);
  req = counter.requests;
  own_str_appendf(&s, "%0200d", 7);
  OWN_CHECK_EQ(counter.requests, req + 1);
  OWN_CHECK_EQ(own_str_len(&s), 15 + 200);
  OWN_CHECK(s.data[15] == '0' && s.data[214] == '7' && s.data[215] == '\0');
  own_str_truncate(&s, 15);
  OWN_CHECK(is(&s, "42-abc-z| 3.14|"));
  /* a long formatted text into an empty string */
  own_str_t big = OWN_STR_INIT_IN(&counting);
  char want[5001];
  memset(want, 'x', 5000);
  want[5000] = 0;
  own_str_appendf(&big, "%s", want);
  OWN_CHECK(is(&big, want));
  own_str_drop(&big);
  /* a vsnprintf failure (a wide character the C locale cannot encode): unchanged */
  own_str_reserve(&s, 10);
  OWN_CHECK_EQ(own_str_try_appendf(&s, "abc%ls", L"\xe9"), OWN_ERR_USAGE);
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK(is(&s, "42-abc-z| 3.14|"));
  own_str_appendf(&s, "abc%ls", L"\xe9");
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK(is(&s, "42-abc-z| 3.14|"));
  /* NULL format: misuse */
  OWN_CHECK_EQ(own_str_try_appendf(&s, NULL), OWN_ERR_USAGE);
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK(is(&s, "42-abc-z| 3.14|"));
  /* failure while growing: the truncated first pass is undone */
  own_str_shrink_to_fit(&s);
  counter.fail_at = counter.requests + 1;
  OWN_CHECK_EQ(own_str_try_appendf(&s, "%s and more", "some text"), OWN_ERR_OUT_OF_MEMORY);
  OWN_CHECK(is(&s, "42-abc-z| 3.14|"));
  counter.fail_at = 0;
  CHECK_QUIET();
  own_str_drop(&s);
  counter_check_clean();
}

static void test_eq_cmp(void) {
  counter_reset();
  own_str_t a, b, c, e = OWN_STR_INIT;
  own_str_from_cstr(&a, &counting, "abc");
  own_str_from_cstr(&b, &counting, "abd");
  own_str_from_cstr(&c, &counting, "ab");
  OWN_CHECK(!own_str_eq(&a, &b));
  OWN_CHECK(own_str_eq(&a, &a));
  OWN_CHECK(own_str_eq_cstr(&a, "abc"));
  OWN_CHECK(!own_str_eq_cstr(&a, "ab"));
  OWN_CHECK(!own_str_eq_cstr(&a, "abcd"));
  OWN_CHECK(own_str_cmp(&a, &b) < 0);
  OWN_CHECK(own_str_cmp(&b, &a) > 0);
  OWN_CHECK(own_str_cmp(&c, &a) < 0); /* a prefix sorts first */
  OWN_CHECK(own_str_cmp(&a, &c) > 0);
  OWN_CHECK(own_str_cmp(&e, &c) < 0);
  OWN_CHECK_EQ(own_str_cmp(&a, &a), 0);
  own_str_truncate(&b, 2);
  OWN_CHECK(own_str_eq(&b, &c)); /* same content, different capacities */
  own_str_t hi;
  own_str_from(&hi, &counting, "\xff", 1); /* bytes compare unsigned */
  OWN_CHECK(own_str_cmp(&hi, &a) > 0);
  CHECK_QUIET();
  own_str_drop(&a);
  own_str_drop(&b);
  own_str_drop(&c);
  own_str_drop(&hi);
  counter_check_clean();
}

/* The seeds' example for strings: reserve first, then append, allocates once;
 * without reserve, n pushes allocate O(log n) times. */
static void test_allocation_counts(void) {
  counter_reset();
  own_str_t s = OWN_STR_INIT_IN(&counting);
  own_str_reserve(&s, 100000);
  for (int i = 0; i < 100000; i++) own_str_push(&s, (char)('a' + i % 26));
  OWN_CHECK_EQ(counter.requests, 1);
  OWN_CHECK_EQ(own_str_len(&s), 100000);
  OWN_CHECK_EQ(s.data[100000], 0);
  OWN_CHECK_EQ(s.data[99999], 'a' + 99999 % 26);
  own_str_drop(&s);

  counter_reset();
  size_t growths = 0, prev = 0;
  bool doubling = true;
  for (int i = 0; i < 1000000; i++) {
    own_str_push(&s, 'x');
    if (s.cap != prev) {
      if (prev && s.cap < 2 * prev) doubling = false;
      prev = s.cap;
      growths++;
    }
  }
  OWN_CHECK(doubling);
  OWN_CHECK_EQ(counter.requests, growths);
  OWN_CHECK_EQ(counter.requests, 18); /* 15, 30, ..., 15 * 2^17 >= 1e6 */
  own_str_drop(&s);

  counter_reset();
  own_str_with_capacity(&s, &counting, 64);
  OWN_CHECK_EQ(own_str_capacity(&s), 64);
  OWN_CHECK(is(&s, ""));
  for (int i = 0; i < 8; i++) own_str_append_cstr(&s, "12345678");
  OWN_CHECK_EQ(counter.requests, 1);
  OWN_CHECK_EQ(own_str_len(&s), 64);
  own_str_reserve_exact(&s, 1);
  OWN_CHECK_EQ(own_str_capacity(&s), 65);
  own_str_reserve(&s, 2); /* 66 > 65: max(130, 66) */
  OWN_CHECK_EQ(own_str_capacity(&s), 130);
  own_str_shrink_to_fit(&s);
  OWN_CHECK_EQ(own_str_capacity(&s), 64);
  own_str_clear(&s);
  own_str_shrink_to_fit(&s);
  OWN_CHECK_EQ(own_str_capacity(&s), 0);
  OWN_CHECK(is(&s, ""));
  OWN_CHECK_EQ(counter.live, 0);
  own_str_drop(&s);
  counter_check_clean();
}

static void test_overflow(void) {
  counter_reset();
  own_str_t s;
  own_str_from_cstr(&s, &counting, "abc");
  own_str_t before = s;
  size_t req = counter.requests;
  OWN_CHECK_EQ(own_str_try_reserve(&s, SIZE_MAX), OWN_ERR_OVERFLOW);
  OWN_CHECK_EQ(own_str_try_reserve(&s, SIZE_MAX - 3), OWN_ERR_OVERFLOW);
  OWN_CHECK_EQ(own_str_try_reserve_exact(&s, (size_t)PTRDIFF_MAX), OWN_ERR_OVERFLOW);
  OWN_CHECK_EQ(own_str_try_reserve_exact(&s, (size_t)PTRDIFF_MAX - 3), OWN_ERR_OVERFLOW);
  OWN_CHECK_EQ(own_str_try_append(&s, "x", SIZE_MAX), OWN_ERR_OVERFLOW);
  OWN_CHECK_EQ(counter.requests, req);
  /* valid but impossible: the allocator says no */
  OWN_CHECK_EQ(own_str_try_reserve_exact(&s, (size_t)PTRDIFF_MAX - 4), OWN_ERR_OUT_OF_MEMORY);
  OWN_CHECK(memcmp(&before, &s, sizeof s) == 0);
  OWN_CHECK(is(&s, "abc"));
  own_str_t t;
  OWN_CHECK_EQ(own_str_try_with_capacity(&t, &counting, SIZE_MAX), OWN_ERR_OVERFLOW);
  OWN_CHECK(is(&t, ""));
  CHECK_QUIET();
  own_str_drop(&t);
  own_str_drop(&s);
  counter_check_clean();
}

static void test_bad_input(void) {
  own_str_t *ns = NULL;
  own_str_push(ns, 'a');
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK(strstr(last_msg, "NULL string") != NULL);
  OWN_CHECK_EQ(own_str_try_push(ns, 'a'), OWN_ERR_USAGE);
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK_EQ(own_str_len(ns), 0);
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK_EQ(own_str_capacity(ns), 0);
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK(strcmp(own_str_cstr(ns), "") == 0);
  CHECK_REPORTED(OWN_ERR_USAGE);
  own_str_append_cstr(ns, "x");
  CHECK_REPORTED(OWN_ERR_USAGE);
  own_str_appendf(ns, "%d", 1);
  CHECK_REPORTED(OWN_ERR_USAGE);
  own_str_reserve(ns, SIZE_MAX);
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK(!own_str_remove_range(ns, 0, 0));
  CHECK_REPORTED(OWN_ERR_USAGE);
  own_str_truncate(ns, 0);
  CHECK_REPORTED(OWN_ERR_USAGE);
  own_str_from_cstr(ns, NULL, "x");
  CHECK_REPORTED(OWN_ERR_USAGE);
  own_str_init(ns, NULL);
  CHECK_REPORTED(OWN_ERR_USAGE);
  own_str_drop(ns); /* no-op, like free(NULL) */
  CHECK_QUIET();

  counter_reset();
  own_str_t s = OWN_STR_INIT_IN(&counting);
  own_str_append_cstr(&s, NULL);
  CHECK_REPORTED(OWN_ERR_USAGE);
  own_str_append(&s, NULL, 4);
  CHECK_REPORTED(OWN_ERR_USAGE);
  own_str_insert(&s, 0, NULL, 1);
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK_EQ(own_str_try_append_str(&s, NULL), OWN_ERR_USAGE);
  CHECK_REPORTED(OWN_ERR_USAGE);
  own_str_t t;
  OWN_CHECK_EQ(own_str_try_from_cstr(&t, &counting, NULL), OWN_ERR_USAGE);
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK(is(&t, "")); /* still a valid empty string */
  OWN_CHECK_EQ(own_str_try_from(&t, &counting, NULL, 2), OWN_ERR_USAGE);
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK(!own_str_eq(&s, NULL));
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK(!own_str_eq_cstr(&s, NULL));
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK(own_str_cmp(NULL, &s) < 0);
  CHECK_REPORTED(OWN_ERR_USAGE);
  OWN_CHECK(is(&s, ""));
  OWN_CHECK_EQ(counter.requests, 0);
  own_str_drop(&s);
  counter_check_clean();
}

static void test_failure_injection(void) {
  counter_reset();
  own_str_t s;
  own_str_from_cstr(&s, &counting, "0123456789abcde"); /* full: cap 15 */
  OWN_CHECK_EQ(own_str_capacity(&s), 15);
  own_str_t before = s;
  counter.fail_at = counter.requests + 1;
  counter.fail_every = 1;
  OWN_CHECK_EQ(own_str_try_push(&s, 'x'), OWN_ERR_OUT_OF_MEMORY);
  OWN_CHECK_EQ(own_str_try_append_cstr(&s, "xyz"), OWN_ERR_OUT_OF_MEMORY);
  OWN_CHECK_EQ(own_str_try_append_str(&s, &s), OWN_ERR_OUT_OF_MEMORY);
  OWN_CHECK_EQ(own_str_try_insert_cstr(&s, 3, "xyz"), OWN_ERR_OUT_OF_MEMORY);
  OWN_CHECK_EQ(own_str_try_appendf(&s, "%d", 12345), OWN_ERR_OUT_OF_MEMORY);
  OWN_CHECK_EQ(own_str_try_reserve(&s, 1), OWN_ERR_OUT_OF_MEMORY);
  OWN_CHECK_EQ(own_str_try_reserve_exact(&s, 1), OWN_ERR_OUT_OF_MEMORY);
  OWN_CHECK(memcmp(&before, &s, sizeof s) == 0);
  OWN_CHECK(is(&s, "0123456789abcde"));
  own_str_t t;
  OWN_CHECK_EQ(own_str_try_from_cstr(&t, &counting, "abc"), OWN_ERR_OUT_OF_MEMORY);
  OWN_CHECK(is(&t, ""));
  CHECK_QUIET();
  /* removal needs no memory */
  OWN_CHECK(own_str_remove_range(&s, 0, 10));
  OWN_CHECK_EQ(own_str_try_append_cstr(&s, "0123456789"), OWN_ERR_NONE);
  OWN_CHECK(is(&s, "abcde0123456789"));
  counter.fail_at = 0;
  counter.fail_every = 0;
  OWN_CHECK_EQ(own_str_try_push(&s, '!'), OWN_ERR_NONE);
  OWN_CHECK(is(&s, "abcde0123456789!"));
  own_str_drop(&s);
  counter_check_clean();
}

static void die_push_oom(void *arg) {
  (void)arg;
  own_set_error_handler(NULL, NULL);
  counter_reset();
  counter.fail_at = 1;
  own_str_t s = OWN_STR_INIT_IN(&counting);
  own_str_push(&s, 'a');
  _exit(0);
}
static void die_reserve_overflow(void *arg) {
  (void)arg;
  own_set_error_handler(NULL, NULL);
  own_str_t s = OWN_STR_INIT_IN(&counting);
  own_str_reserve(&s, SIZE_MAX);
  _exit(0);
}
static void report_size_and_exit(size_t size) {
  fprintf(stderr, "oom handler got %zu\n", size);
  _exit(3);
}
static void die_appendf_oom(void *arg) {
  (void)arg;
  own_set_oom_handler(report_size_and_exit);
  counter_reset();
  counter.fail_at = 1;
  own_str_t s = OWN_STR_INIT_IN(&counting);
  own_str_appendf(&s, "%099d", 1); /* 99 bytes: a block of max(99, 15) + 1 */
  _exit(0);
}
static void test_plain_functions_call_oom_handler(void) {
  OWN_EXPECT_DEATH(die_push_oom, NULL, SIGABRT, "could not allocate 16 bytes");
  OWN_EXPECT_DEATH(die_reserve_overflow, NULL, SIGABRT, "size overflow: own_str_reserve");
  OWN_EXPECT_DEATH(die_appendf_oom, NULL, 0, "oom handler got 100");
}

static void test_cleanup_attribute(void) {
  counter_reset();
  {
    own_str_t s OWN_STR_AUTO = OWN_STR_INIT_IN(&counting);
    own_str_append_cstr(&s, "scoped");
    OWN_CHECK_EQ(counter.live, 1);
  }
  OWN_CHECK_EQ(counter.live, 0);
#if __has_include("own/scope.h")
  { /* the two forms of own/scope.h */
    OWN_SCOPED(own_str) own_str_t a = OWN_STR_INIT_IN(&counting);
    own_str_t b = OWN_STR_INIT_IN(&counting);
    OWN_DROP_AT_SCOPE_END(own_str, b);
    own_str_push(&a, 1);
    own_str_push(&b, 2);
    OWN_CHECK_EQ(counter.live, 2);
  }
  OWN_CHECK_EQ(counter.live, 0);
#endif
  counter_check_clean();
}

static void test_default_allocator(void) {
#ifdef OWN_TEST_HAVE_HEAP
  own_stats_t before, after;
  own_stats(&before);
#endif
  own_str_t s = OWN_STR_INIT;
  for (int i = 0; i < 1000; i++) own_str_appendf(&s, "%d,", i);
  OWN_CHECK(strncmp(own_str_cstr(&s), "0,1,2,3,", 8) == 0);
  OWN_CHECK(strstr(own_str_cstr(&s), ",998,999,") != NULL);
  own_str_shrink_to_fit(&s);
  OWN_CHECK_EQ(own_str_capacity(&s), own_str_len(&s));
  own_str_t t;
  own_str_from_cstr(&t, NULL, own_str_cstr(&s));
  OWN_CHECK(own_str_eq(&s, &t));
  own_str_drop(&t);
  own_str_drop(&s);
  CHECK_QUIET();
#ifdef OWN_TEST_HAVE_HEAP
  own_stats(&after); /* every block the strings took from own's heap went back */
  OWN_CHECK_EQ(after.allocated_blocks, before.allocated_blocks);
#endif
}

/* ---- Randomized: the string against a plain byte array -------------------- */

static uint64_t rng_state = 0x2545f4914f6cdd1du;
static uint64_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

#define MODEL_MAX 8192
static char model[MODEL_MAX + 1];
static size_t model_len;

static void model_insert(size_t pos, const char *p, size_t n) {
  memmove(model + pos + n, model + pos, model_len - pos);
  memcpy(model + pos, p, n);
  model_len += n;
}

static void test_randomized(void) {
  counter_reset();
  own_str_t s = OWN_STR_INIT_IN(&counting);
  model_len = 0;
  bool agree = true;
  size_t failures = 0;
  char buf[64], copy[MODEL_MAX];
  for (int step = 0; step < 200000 && agree; step++) {
    counter.fail_at = (rng() % 16 == 0) ? counter.requests + 1 : 0;
    size_t n = rng() % 40, pos = rng() % (model_len + 1);
    for (size_t k = 0; k < n; k++) buf[k] = (char)(1 + rng() % 255); /* some NUL-free bytes */
    buf[n] = 0;
    own_error_t e = OWN_ERR_NONE;
    int kind = (int)(rng() % 12);
    if (model_len + 2 * n + 40 > MODEL_MAX && kind < 7) kind = 7; /* keep the model bounded */
    switch (kind) {
      case 0:
        e = own_str_try_push(&s, buf[0]);
        if (!e) model_insert(model_len, buf, 1);
        break;
      case 1:
        e = own_str_try_append(&s, buf, n);
        if (!e) model_insert(model_len, buf, n);
        break;
      case 2:
        e = own_str_try_append_cstr(&s, buf);
        if (!e) model_insert(model_len, buf, n);
        break;
      case 3:
        e = own_str_try_insert(&s, pos, buf, n);
        if (!e) model_insert(pos, buf, n);
        break;
      case 4: { /* a piece of itself, inserted anywhere */
        size_t from = model_len ? rng() % model_len : 0;
        size_t len = model_len - from < n ? model_len - from : n;
        memcpy(copy, model + from, len);
        e = own_str_try_insert(&s, pos, s.data ? s.data + from : NULL, len);
        if (!e) model_insert(pos, copy, len);
        break;
      }
      case 5: {
        unsigned u = (unsigned)rng();
        int m = snprintf(copy, sizeof copy, "[%u:%s]", u, buf);
        e = own_str_try_appendf(&s, "[%u:%s]", u, buf);
        if (!e) model_insert(model_len, copy, (size_t)m);
        break;
      }
      case 6:
        if (model_len < 200) {
          memcpy(copy, model, model_len);
          e = own_str_try_append_str(&s, &s);
          if (!e) model_insert(model_len, copy, model_len);
        }
        break;
      case 7: {
        size_t a = rng() % (model_len + 1), b = a + rng() % (model_len - a + 1);
        agree &= own_str_remove_range(&s, a, b);
        memmove(model + a, model + b, model_len - b);
        model_len -= b - a;
        break;
      }
      case 8: {
        size_t t = rng() % (model_len + 5);
        own_str_truncate(&s, t);
        if (t < model_len) model_len = t;
        break;
      }
      case 9:
        if (rng() % 8 == 0) {
          own_str_clear(&s);
          model_len = 0;
        }
        break;
      case 10:
        e = own_str_try_reserve(&s, rng() % 100);
        break;
      case 11:
        if (rng() % 3 == 0) own_str_shrink_to_fit(&s);
        else e = own_str_try_reserve_exact(&s, rng() % 30);
        break;
    }
    if (e) {
      failures++;
      agree &= e == OWN_ERR_OUT_OF_MEMORY;
    }
    counter.fail_at = 0;
    agree &= own_str_len(&s) == model_len && own_str_cstr(&s)[model_len] == '\0' &&
             memcmp(own_str_cstr(&s), model, model_len) == 0 && s.len <= s.cap + (s.cap == 0);
  }
  OWN_CHECK(agree);
  OWN_CHECK(failures > 100);
  CHECK_QUIET();
  own_str_drop(&s);
  counter_check_clean();
}

int main(void) {
  own_set_error_handler(record_error, NULL);
  test_empty();
  test_push_append();
  test_insert_remove();
  test_appendf();
  test_eq_cmp();
  test_allocation_counts();
  test_overflow();
  test_bad_input();
  test_failure_injection();
  test_plain_functions_call_oom_handler();
  test_cleanup_attribute();
  test_default_allocator();
  test_randomized();
  return own_test_done();
}
