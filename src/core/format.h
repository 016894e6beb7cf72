/* core/format.h — a small printf that never allocates and is async-signal-safe,
 * for messages written from inside malloc or from a signal handler.
 *
 * Conversions: %s %c %% %p, and d i u x X with the length modifiers l, ll, z
 * (e.g. %zu, %lld, %lx); a field width and the flags '0' and '-' are accepted.
 * Output is always NUL-terminated and truncated to fit; the return value is
 * the number of characters written (excluding the NUL).
 */
#ifndef OWN_CORE_FORMAT_H
#define OWN_CORE_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

size_t _own_vformat(char *buf, size_t size, const char *fmt, va_list ap);
size_t _own_format(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Formats and writes to fd in one write (up to 1 KiB). */
void _own_fdprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
