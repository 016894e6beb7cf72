/* own/str.h — growable byte strings (Rust's String, C++'s std::string),
 * always NUL-terminated so that own_str_cstr hands them to any C function.
 *
 *   own_str_t s = OWN_STR_INIT;                 // empty, no allocation yet
 *   own_str_reserve(&s, 64);                    // one allocation
 *   own_str_append_cstr(&s, "values:");
 *   for (int i = 0; i < 10; i++) own_str_appendf(&s, " %d", i);
 *   puts(own_str_cstr(&s));
 *   own_str_drop(&s);
 *
 * Memory: a string owns one block of cap + 1 bytes from its allocator (`alloc`,
 * NULL = own's general heap): `cap` bytes of content plus one for the
 * terminating NUL. **Capacity excludes the NUL**: own_str_capacity is the
 * longest content the block holds without growing. A string that holds no
 * block has data == NULL, cap == 0, and reads as "" through own_str_cstr.
 * Content is bytes: it may contain NUL bytes (len counts them; the C-string
 * view then ends at the first one). No encoding is assumed or checked.
 *
 * Growth policy (as own_vec): appending into a full string grows the capacity
 * to max(2 * cap, len + additional, 15): at least doubling, so n appends cost
 * O(log n) allocations. reserve_exact grows to exactly len + additional.
 * Only shrink_to_fit and drop shrink the block.
 *
 * Errors:
 *  - All size arithmetic is checked: a length that would exceed
 *    PTRDIFF_MAX - 1 (so that cap + 1 fits) fails with OWN_ERR_OVERFLOW, never
 *    a short block.
 *  - try_ functions return own_error_t: OWN_ERR_NONE (0) on success, else
 *    OWN_ERR_OUT_OF_MEMORY, OWN_ERR_OVERFLOW or OWN_ERR_USAGE, and leave the
 *    string exactly as it was. Only misuse is reported (own_report).
 *  - The plain functions call own_out_of_memory (own/core.h, does not return)
 *    on allocation failure or overflow (reporting OWN_ERR_OVERFLOW first).
 *  - Misuse — a NULL string, NULL bytes with a non-zero count, a position or
 *    range past the end, a NULL format — is reported as OWN_ERR_USAGE and the
 *    call does nothing (returns false / 0 / "").
 *
 * Time: push, len, capacity, cstr, truncate, clear are O(1) (push amortized);
 * append of n bytes O(n) amortized; insert and remove_range O(len); eq and cmp
 * O(min(len)); reserve, reserve_exact, shrink_to_fit O(len) when they move the
 * block, else O(1).
 *
 * Bytes passed to append and insert may point into the string itself (for
 * example own_str_append_str(&s, &s)): they are located before the block can
 * move. Arguments of appendf must not point into the string (vsnprintf writes
 * where they would be read).
 *
 * Thread safety: none inside one string; distinct strings are independent.
 */
#ifndef OWN_STR_H
#define OWN_STR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "allocator.h"
#include "core.h"

OWN_EXTERN_C_BEGIN

typedef struct own_str {
  char *data;                   /* len bytes then a NUL; NULL iff cap == 0 */
  size_t len;                   /* bytes of content, <= cap                */
  size_t cap;                   /* content bytes the block holds; the block is cap + 1 bytes */
  const own_allocator_t *alloc; /* where the block comes from; NULL = own's heap */
} own_str_t;

/* An empty string on own's heap / on allocator a (held by pointer: *a must
 * outlive the string). No allocation. */
#define OWN_STR_INIT {NULL, 0, 0, NULL}
#define OWN_STR_INIT_IN(a) {NULL, 0, 0, (a)}

/* ---- Construction (*s is treated as uninitialized: a block it held is not
 * freed). On failure *s is still a valid empty string on `a`. ---- */

/* An empty string on a (NULL: own's heap). O(1), no allocation. */
OWN_API void own_str_init(own_str_t *s, const own_allocator_t *a);

/* An empty string with room for exactly n bytes of content (n == 0: no
 * allocation). */
OWN_API own_error_t own_str_try_with_capacity(own_str_t *s, const own_allocator_t *a,
                                              size_t n) OWN_NODISCARD;
OWN_API void own_str_with_capacity(own_str_t *s, const own_allocator_t *a, size_t n);

/* A string holding a copy of the n bytes at `bytes` / of C string `cstr`. */
OWN_API own_error_t own_str_try_from(own_str_t *s, const own_allocator_t *a, const void *bytes,
                                     size_t n) OWN_NODISCARD;
OWN_API void own_str_from(own_str_t *s, const own_allocator_t *a, const void *bytes, size_t n);
OWN_API own_error_t own_str_try_from_cstr(own_str_t *s, const own_allocator_t *a,
                                          const char *cstr) OWN_NODISCARD;
OWN_API void own_str_from_cstr(own_str_t *s, const own_allocator_t *a, const char *cstr);

/* ---- Capacity ---- */

/* Ensures cap >= len + additional: amortized (at least doubling) / exact. */
OWN_API own_error_t own_str_try_reserve(own_str_t *s, size_t additional) OWN_NODISCARD;
OWN_API void own_str_reserve(own_str_t *s, size_t additional);
OWN_API own_error_t own_str_try_reserve_exact(own_str_t *s, size_t additional) OWN_NODISCARD;
OWN_API void own_str_reserve_exact(own_str_t *s, size_t additional);

/* Shrinks the block to len + 1 bytes (frees it when len == 0). If the
 * allocator cannot resize, the larger block is kept; no error. */
OWN_API void own_str_shrink_to_fit(own_str_t *s);

/* ---- Appending and inserting ---- */

/* Appends one byte (c may be '\0': it becomes content). */
OWN_API own_error_t own_str_try_push(own_str_t *s, char c) OWN_NODISCARD;
OWN_API void own_str_push(own_str_t *s, char c);

/* Appends n bytes / a C string / the content of string t (t may be s). */
OWN_API own_error_t own_str_try_append(own_str_t *s, const void *bytes, size_t n) OWN_NODISCARD;
OWN_API void own_str_append(own_str_t *s, const void *bytes, size_t n);
OWN_API own_error_t own_str_try_append_cstr(own_str_t *s, const char *cstr) OWN_NODISCARD;
OWN_API void own_str_append_cstr(own_str_t *s, const char *cstr);
OWN_API own_error_t own_str_try_append_str(own_str_t *s, const own_str_t *t) OWN_NODISCARD;
OWN_API void own_str_append_str(own_str_t *s, const own_str_t *t);

/* Appends printf-formatted text (gcc and clang check the arguments against
 * the format). Formats at most twice: straight into the spare capacity, and
 * once more after growing when it did not fit. A vsnprintf failure (an
 * encoding error, output over INT_MAX bytes) is OWN_ERR_USAGE / OWN_ERR_OVERFLOW
 * and leaves s unchanged. */
OWN_API own_error_t own_str_try_appendf(own_str_t *s, const char *fmt, ...) OWN_PRINTF(2, 3) OWN_NODISCARD;
OWN_API void own_str_appendf(own_str_t *s, const char *fmt, ...) OWN_PRINTF(2, 3);
OWN_API own_error_t own_str_try_vappendf(own_str_t *s, const char *fmt, va_list ap) OWN_PRINTF(2, 0) OWN_NODISCARD;
OWN_API void own_str_vappendf(own_str_t *s, const char *fmt, va_list ap) OWN_PRINTF(2, 0);

/* Inserts n bytes / a C string before byte position pos (pos <= len). */
OWN_API own_error_t own_str_try_insert(own_str_t *s, size_t pos, const void *bytes,
                                       size_t n) OWN_NODISCARD;
OWN_API void own_str_insert(own_str_t *s, size_t pos, const void *bytes, size_t n);
OWN_API own_error_t own_str_try_insert_cstr(own_str_t *s, size_t pos, const char *cstr) OWN_NODISCARD;
OWN_API void own_str_insert_cstr(own_str_t *s, size_t pos, const char *cstr);

/* ---- Removing (never allocates, keeps the block) ---- */

/* Removes bytes [start, end). False (reported) unless start <= end <= len. */
OWN_API bool own_str_remove_range(own_str_t *s, size_t start, size_t end);

/* Keeps the first n bytes (n >= len: nothing happens). */
OWN_API void own_str_truncate(own_str_t *s, size_t n);

/* len = 0 (the content becomes ""). */
OWN_API void own_str_clear(own_str_t *s);

/* Frees the block and leaves *s an empty string on the same allocator.
 * s == NULL does nothing. Its signature suits gcc/clang's cleanup attribute:
 *   own_str_t name OWN_STR_AUTO = OWN_STR_INIT;   // dropped at the closing brace */
OWN_API void own_str_drop(own_str_t *s);
#define OWN_STR_AUTO __attribute__((cleanup(own_str_drop)))

/* The same drop as a kind of own/scope.h, so that its two forms work on strings:
 *   OWN_SCOPED(own_str) own_str_t s = OWN_STR_INIT;
 *   own_str_t t = OWN_STR_INIT;  OWN_DROP_AT_SCOPE_END(own_str, t); */
static inline void own_str_scope_drop(void *s) { own_str_drop((own_str_t *)s); }
static inline void own_str_scope_guard(void *guard) { own_str_drop(*(own_str_t **)guard); }

/* ---- Reading ---- */

/* The content as a C string: never NULL ("" when empty, and for s == NULL,
 * reported). Valid until the next call that changes s. */
OWN_API const char *own_str_cstr(const own_str_t *s);

/* Equality of contents (byte for byte, lengths included) and a total order:
 * bytes compared as unsigned char, a prefix before the longer string; cmp
 * returns <0, 0 or >0. A NULL argument is reported; eq then returns false and
 * cmp orders NULL first. */
OWN_API bool own_str_eq(const own_str_t *a, const own_str_t *b);
OWN_API bool own_str_eq_cstr(const own_str_t *a, const char *cstr);
OWN_API int own_str_cmp(const own_str_t *a, const own_str_t *b);

/* Length and capacity in bytes (capacity excludes the NUL). 0 for NULL, reported. */
static inline size_t own_str_len(const own_str_t *s) {
  if (OWN_UNLIKELY(!s)) {
    own_report(OWN_ERR_USAGE, NULL, "own_str_len: NULL string");
    return 0;
  }
  return s->len;
}
static inline size_t own_str_capacity(const own_str_t *s) {
  if (OWN_UNLIKELY(!s)) {
    own_report(OWN_ERR_USAGE, NULL, "own_str_capacity: NULL string");
    return 0;
  }
  return s->cap;
}

OWN_EXTERN_C_END

#endif
