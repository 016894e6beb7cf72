/* collections/str.c — own_str (own/str.h): a growable byte string kept
 * NUL-terminated.
 *
 * Invariants (for an initialized string):
 *   len <= cap;  data == NULL iff cap == 0;
 *   cap > 0  =>  data is a block of cap + 1 bytes (alignment 1) from `alloc`,
 *                and data[len] == '\0'.
 *
 * Growth is the vec policy (max(2 * cap, needed, 15)) with checked
 * arithmetic: cap may not exceed PTRDIFF_MAX - 1, so cap + 1 never wraps.
 * Every try_ path validates and allocates before it changes anything, so a
 * failure leaves the string untouched. Sources that lie inside the string are
 * located by offset before the block can move.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "own/str.h"

#define STR_MAX ((size_t)PTRDIFF_MAX - 1) /* longest content: block = cap + 1 bytes */

static own_error_t check(const own_str_t *s, const char *fn) {
  if (OWN_UNLIKELY(!s)) {
    own_report(OWN_ERR_USAGE, NULL, "%s: NULL string", fn);
    return OWN_ERR_USAGE;
  }
  return OWN_ERR_NONE;
}

/* Makes the block hold exactly new_cap content bytes (new_cap <= STR_MAX, > 0). */
static own_error_t set_capacity(own_str_t *s, size_t new_cap, size_t *bytes) {
  *bytes = new_cap + 1;
  char *p;
  if (s->cap == 0) {
    p = own_allocator_alloc(s->alloc, (own_layout_t){new_cap + 1, 1});
    if (p) p[0] = '\0';
  } else {
    p = own_allocator_resize(s->alloc, s->data, (own_layout_t){s->cap + 1, 1}, new_cap + 1);
  }
  if (!p) return OWN_ERR_OUT_OF_MEMORY;
  s->data = p;
  s->cap = new_cap;
  return OWN_ERR_NONE;
}

static own_error_t reserve(own_str_t *s, size_t additional, bool exact, size_t *bytes) {
  size_t need;
  *bytes = SIZE_MAX;
  if (__builtin_add_overflow(s->len, additional, &need) || need > STR_MAX) return OWN_ERR_OVERFLOW;
  if (need <= s->cap) return OWN_ERR_NONE;
  size_t new_cap = need;
  if (!exact) {
    size_t doubled = s->cap > STR_MAX / 2 ? STR_MAX : s->cap * 2;
    if (doubled > new_cap) new_cap = doubled;
    if (new_cap < 15) new_cap = 15;
  }
  return set_capacity(s, new_cap, bytes);
}

static void fail(own_error_t err, const own_str_t *s, const char *fn, size_t bytes) {
  if (err == OWN_ERR_OVERFLOW) {
    own_report(OWN_ERR_OVERFLOW, s, "%s: string length overflows", fn);
    own_out_of_memory(SIZE_MAX);
  }
  if (err == OWN_ERR_OUT_OF_MEMORY) own_out_of_memory(bytes);
}

/* Offset of p inside s's block, or SIZE_MAX when p lies elsewhere. */
static size_t offset_in(const own_str_t *s, const void *p) {
  uintptr_t a = (uintptr_t)p, b = (uintptr_t)s->data;
  if (s->cap == 0 || a < b || a - b > s->cap) return SIZE_MAX;
  return (size_t)(a - b);
}

/* ---- Construction ---- */

void own_str_init(own_str_t *s, const own_allocator_t *a) {
  if (check(s, "own_str_init")) return;
  *s = (own_str_t){NULL, 0, 0, a};
}

static own_error_t try_init_bytes(own_str_t *s, const own_allocator_t *a, const void *bytes,
                                  size_t n, bool copy, const char *fn, size_t *bytes_out) {
  *bytes_out = 0;
  if (check(s, fn)) return OWN_ERR_USAGE;
  *s = (own_str_t){NULL, 0, 0, a};
  if (copy && n && !bytes) {
    own_report(OWN_ERR_USAGE, s, "%s: NULL bytes with length %zu", fn, n);
    return OWN_ERR_USAGE;
  }
  if (n == 0) return OWN_ERR_NONE;
  own_error_t e = reserve(s, n, true, bytes_out);
  if (e) return e;
  if (copy) {
    memcpy(s->data, bytes, n);
    s->len = n;
    s->data[n] = '\0';
  }
  return OWN_ERR_NONE;
}

own_error_t own_str_try_with_capacity(own_str_t *s, const own_allocator_t *a, size_t n) {
  size_t b;
  return try_init_bytes(s, a, NULL, n, false, "own_str_with_capacity", &b);
}
void own_str_with_capacity(own_str_t *s, const own_allocator_t *a, size_t n) {
  size_t b;
  own_error_t e = try_init_bytes(s, a, NULL, n, false, "own_str_with_capacity", &b);
  if (e) fail(e, s, "own_str_with_capacity", b);
}

own_error_t own_str_try_from(own_str_t *s, const own_allocator_t *a, const void *bytes, size_t n) {
  size_t b;
  return try_init_bytes(s, a, bytes, n, true, "own_str_from", &b);
}
void own_str_from(own_str_t *s, const own_allocator_t *a, const void *bytes, size_t n) {
  size_t b;
  own_error_t e = try_init_bytes(s, a, bytes, n, true, "own_str_from", &b);
  if (e) fail(e, s, "own_str_from", b);
}

own_error_t own_str_try_from_cstr(own_str_t *s, const own_allocator_t *a, const char *cstr) {
  size_t b;
  if (!cstr) {
    if (s) *s = (own_str_t){NULL, 0, 0, a};
    own_report(OWN_ERR_USAGE, s, "own_str_from_cstr: NULL C string");
    return OWN_ERR_USAGE;
  }
  return try_init_bytes(s, a, cstr, strlen(cstr), true, "own_str_from_cstr", &b);
}
void own_str_from_cstr(own_str_t *s, const own_allocator_t *a, const char *cstr) {
  size_t b = 0;
  own_error_t e = cstr ? try_init_bytes(s, a, cstr, strlen(cstr), true, "own_str_from_cstr", &b)
                       : own_str_try_from_cstr(s, a, cstr);
  if (e) fail(e, s, "own_str_from_cstr", b);
}

/* ---- Capacity ---- */

static own_error_t try_reserve(own_str_t *s, size_t additional, bool exact, const char *fn,
                               size_t *bytes) {
  *bytes = 0;
  if (check(s, fn)) return OWN_ERR_USAGE;
  return reserve(s, additional, exact, bytes);
}

own_error_t own_str_try_reserve(own_str_t *s, size_t additional) {
  size_t b;
  return try_reserve(s, additional, false, "own_str_reserve", &b);
}
void own_str_reserve(own_str_t *s, size_t additional) {
  size_t b;
  own_error_t e = try_reserve(s, additional, false, "own_str_reserve", &b);
  if (e) fail(e, s, "own_str_reserve", b);
}
own_error_t own_str_try_reserve_exact(own_str_t *s, size_t additional) {
  size_t b;
  return try_reserve(s, additional, true, "own_str_reserve_exact", &b);
}
void own_str_reserve_exact(own_str_t *s, size_t additional) {
  size_t b;
  own_error_t e = try_reserve(s, additional, true, "own_str_reserve_exact", &b);
  if (e) fail(e, s, "own_str_reserve_exact", b);
}

void own_str_shrink_to_fit(own_str_t *s) {
  if (check(s, "own_str_shrink_to_fit") || s->cap == s->len) return;
  if (s->len == 0) {
    own_allocator_free(s->alloc, s->data, (own_layout_t){s->cap + 1, 1});
    s->data = NULL;
    s->cap = 0;
    return;
  }
  size_t b;
  (void)set_capacity(s, s->len, &b); /* failure keeps the larger block */
}

/* ---- Appending and inserting ---- */

/* Inserts n bytes before pos; the bytes may lie inside s. */
static own_error_t try_insert(own_str_t *s, size_t pos, const void *bytes, size_t n, const char *fn,
                              size_t *bytes_out) {
  *bytes_out = 0;
  if (check(s, fn)) return OWN_ERR_USAGE;
  if (OWN_UNLIKELY(pos > s->len)) {
    own_report(OWN_ERR_USAGE, s, "%s: position %zu out of range (len %zu)", fn, pos, s->len);
    return OWN_ERR_USAGE;
  }
  if (n == 0) return OWN_ERR_NONE;
  if (OWN_UNLIKELY(!bytes)) {
    own_report(OWN_ERR_USAGE, s, "%s: NULL bytes with length %zu", fn, n);
    return OWN_ERR_USAGE;
  }
  size_t off = offset_in(s, bytes);
  own_error_t e = reserve(s, n, false, bytes_out);
  if (e) return e;
  char *d = s->data;
  memmove(d + pos + n, d + pos, s->len - pos + 1); /* the tail and its NUL */
  if (off == SIZE_MAX) {
    memcpy(d + pos, bytes, n);
  } else {
    /* The source was inside s: its part below pos stayed, the rest moved up by n. */
    size_t low = 0;
    if (off < pos) {
      low = (off + n < pos ? off + n : pos) - off;
      memcpy(d + pos, d + off, low);
    }
    memcpy(d + pos + low, d + (off > pos ? off : pos) + n, n - low);
  }
  s->len += n;
  return OWN_ERR_NONE;
}

#define PLAIN(call, fn)                        \
  do {                                         \
    size_t b_;                                 \
    own_error_t e_ = call;                     \
    if (e_) fail(e_, s, fn, b_);               \
  } while (0)

own_error_t own_str_try_push(own_str_t *s, char c) {
  size_t b;
  return try_insert(s, s ? s->len : 0, &c, 1, "own_str_push", &b);
}
void own_str_push(own_str_t *s, char c) {
  if (OWN_LIKELY(s && s->len < s->cap)) { /* fast path: room left */
    s->data[s->len++] = c;
    s->data[s->len] = '\0';
    return;
  }
  PLAIN(try_insert(s, s ? s->len : 0, &c, 1, "own_str_push", &b_), "own_str_push");
}

own_error_t own_str_try_append(own_str_t *s, const void *bytes, size_t n) {
  size_t b;
  return try_insert(s, s ? s->len : 0, bytes, n, "own_str_append", &b);
}
void own_str_append(own_str_t *s, const void *bytes, size_t n) {
  PLAIN(try_insert(s, s ? s->len : 0, bytes, n, "own_str_append", &b_), "own_str_append");
}

/* strlen of cstr, or SIZE_MAX (reported) when it is NULL. */
static size_t cstr_len(const own_str_t *s, const char *cstr, const char *fn) {
  if (!cstr) {
    own_report(OWN_ERR_USAGE, s, "%s: NULL C string", fn);
    return SIZE_MAX;
  }
  return strlen(cstr);
}

own_error_t own_str_try_append_cstr(own_str_t *s, const char *cstr) {
  size_t b, n = cstr_len(s, cstr, "own_str_append_cstr");
  if (n == SIZE_MAX) return OWN_ERR_USAGE;
  return try_insert(s, s ? s->len : 0, cstr, n, "own_str_append_cstr", &b);
}
void own_str_append_cstr(own_str_t *s, const char *cstr) {
  size_t n = cstr_len(s, cstr, "own_str_append_cstr");
  if (n == SIZE_MAX) return;
  PLAIN(try_insert(s, s ? s->len : 0, cstr, n, "own_str_append_cstr", &b_), "own_str_append_cstr");
}

own_error_t own_str_try_append_str(own_str_t *s, const own_str_t *t) {
  size_t b;
  if (check(t, "own_str_append_str")) return OWN_ERR_USAGE;
  return try_insert(s, s ? s->len : 0, t->data, t->len, "own_str_append_str", &b);
}
void own_str_append_str(own_str_t *s, const own_str_t *t) {
  if (check(t, "own_str_append_str")) return;
  PLAIN(try_insert(s, s ? s->len : 0, t->data, t->len, "own_str_append_str", &b_), "own_str_append_str");
}

own_error_t own_str_try_insert(own_str_t *s, size_t pos, const void *bytes, size_t n) {
  size_t b;
  return try_insert(s, pos, bytes, n, "own_str_insert", &b);
}
void own_str_insert(own_str_t *s, size_t pos, const void *bytes, size_t n) {
  PLAIN(try_insert(s, pos, bytes, n, "own_str_insert", &b_), "own_str_insert");
}
own_error_t own_str_try_insert_cstr(own_str_t *s, size_t pos, const char *cstr) {
  size_t b, n = cstr_len(s, cstr, "own_str_insert_cstr");
  if (n == SIZE_MAX) return OWN_ERR_USAGE;
  return try_insert(s, pos, cstr, n, "own_str_insert_cstr", &b);
}
void own_str_insert_cstr(own_str_t *s, size_t pos, const char *cstr) {
  size_t n = cstr_len(s, cstr, "own_str_insert_cstr");
  if (n == SIZE_MAX) return;
  PLAIN(try_insert(s, pos, cstr, n, "own_str_insert_cstr", &b_), "own_str_insert_cstr");
}

/* Formats into the spare capacity; when the text does not fit, grows once and
 * formats again from a copy of the arguments taken before the first pass. */
static own_error_t try_vappendf(own_str_t *s, const char *fmt, va_list ap, size_t *bytes) {
  *bytes = 0;
  if (check(s, "own_str_appendf")) return OWN_ERR_USAGE;
  if (OWN_UNLIKELY(!fmt)) {
    own_report(OWN_ERR_USAGE, s, "own_str_appendf: NULL format");
    return OWN_ERR_USAGE;
  }
  va_list again;
  va_copy(again, ap);
  size_t room = s->cap - s->len;
  int n = s->cap ? vsnprintf(s->data + s->len, room + 1, fmt, ap) : vsnprintf(NULL, 0, fmt, ap);
  own_error_t e = OWN_ERR_NONE;
  if (n < 0) {
    if (errno == EOVERFLOW) {
      e = OWN_ERR_OVERFLOW;
    } else {
      own_report(OWN_ERR_USAGE, s, "own_str_appendf: vsnprintf failed for format \"%s\"", fmt);
      e = OWN_ERR_USAGE;
    }
  } else if ((size_t)n <= room) {
    s->len += (size_t)n;
  } else {
    e = reserve(s, (size_t)n, false, bytes);
    if (!e) {
      vsnprintf(s->data + s->len, (size_t)n + 1, fmt, again);
      s->len += (size_t)n;
    }
  }
  if (e && s->cap) s->data[s->len] = '\0'; /* undo a truncated or failed first pass */
  va_end(again);
  return e;
}

own_error_t own_str_try_vappendf(own_str_t *s, const char *fmt, va_list ap) {
  size_t b;
  return try_vappendf(s, fmt, ap, &b);
}
void own_str_vappendf(own_str_t *s, const char *fmt, va_list ap) {
  size_t b;
  own_error_t e = try_vappendf(s, fmt, ap, &b);
  if (e) fail(e, s, "own_str_appendf", b);
}
own_error_t own_str_try_appendf(own_str_t *s, const char *fmt, ...) {
  size_t b;
  va_list ap;
  va_start(ap, fmt);
  own_error_t e = try_vappendf(s, fmt, ap, &b);
  va_end(ap);
  return e;
}
void own_str_appendf(own_str_t *s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  own_str_vappendf(s, fmt, ap);
  va_end(ap);
}

/* ---- Removing ---- */

bool own_str_remove_range(own_str_t *s, size_t start, size_t end) {
  if (check(s, "own_str_remove_range")) return false;
  if (OWN_UNLIKELY(start > end || end > s->len)) {
    own_report(OWN_ERR_USAGE, s, "own_str_remove_range: range [%zu, %zu) out of range (len %zu)",
               start, end, s->len);
    return false;
  }
  if (start == end) return true;
  memmove(s->data + start, s->data + end, s->len - end + 1);
  s->len -= end - start;
  return true;
}

void own_str_truncate(own_str_t *s, size_t n) {
  if (check(s, "own_str_truncate")) return;
  if (n >= s->len) return;
  s->len = n;
  s->data[n] = '\0';
}

void own_str_clear(own_str_t *s) { own_str_truncate(s, 0); }

void own_str_drop(own_str_t *s) {
  if (!s) return;
  if (s->cap) own_allocator_free(s->alloc, s->data, (own_layout_t){s->cap + 1, 1});
  *s = (own_str_t){NULL, 0, 0, s->alloc};
}

/* ---- Reading ---- */

const char *own_str_cstr(const own_str_t *s) {
  if (check(s, "own_str_cstr")) return "";
  return s->cap ? s->data : "";
}

bool own_str_eq(const own_str_t *a, const own_str_t *b) {
  if (check(a, "own_str_eq") || check(b, "own_str_eq")) return false;
  return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

bool own_str_eq_cstr(const own_str_t *a, const char *cstr) {
  if (check(a, "own_str_eq_cstr")) return false;
  size_t n = cstr_len(a, cstr, "own_str_eq_cstr");
  if (n == SIZE_MAX) return false;
  return a->len == n && (n == 0 || memcmp(a->data, cstr, n) == 0);
}

int own_str_cmp(const own_str_t *a, const own_str_t *b) {
  bool bad_a = check(a, "own_str_cmp") != OWN_ERR_NONE, bad_b = check(b, "own_str_cmp") != OWN_ERR_NONE;
  if (bad_a || bad_b) return bad_a && bad_b ? 0 : bad_a ? -1 : 1;
  size_t n = a->len < b->len ? a->len : b->len;
  int c = n ? memcmp(a->data, b->data, n) : 0;
  if (c) return c < 0 ? -1 : 1;
  return a->len < b->len ? -1 : a->len > b->len;
}
