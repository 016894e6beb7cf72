/* core/format.c — see format.h. Digits are produced right to left into a
 * small local buffer; nothing here touches errno, locks or the heap. */
#include "core/format.h"

#include <stdint.h>

#include "os/os.h"

typedef struct out {
  char *buf;
  size_t size; /* capacity including the NUL */
  size_t len;
} out_t;

static void put(out_t *o, char c) {
  if (o->len + 1 < o->size) o->buf[o->len] = c;
  o->len++;
}

static void put_num(out_t *o, unsigned long long v, int neg, unsigned base, int upper, int width,
                    int zero, int left) {
  char tmp[24];
  int n = 0;
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  do {
    tmp[n++] = digits[v % base];
    v /= base;
  } while (v);
  int len = n + (neg ? 1 : 0);
  if (!left && !zero)
    for (; width > len; width--) put(o, ' ');
  if (neg) put(o, '-');
  if (!left && zero)
    for (; width > len; width--) put(o, '0');
  while (n) put(o, tmp[--n]);
  if (left)
    for (; width > len; width--) put(o, ' ');
}

size_t _own_vformat(char *buf, size_t size, const char *fmt, va_list ap) {
  out_t o = {buf, size, 0};
  for (const char *f = fmt; *f; f++) {
    if (*f != '%') {
      put(&o, *f);
      continue;
    }
    f++;
    int zero = 0, left = 0, width = 0, lng = 0;
    for (;; f++) {
      if (*f == '0') zero = 1;
      else if (*f == '-') left = 1;
      else break;
    }
    while (*f >= '0' && *f <= '9') width = width * 10 + (*f++ - '0');
    for (;; f++) {
      if (*f == 'l') lng++;
      else if (*f == 'z') lng = 3;
      else break;
    }
    switch (*f) {
      case 'd':
      case 'i': {
        long long v = lng == 0 ? va_arg(ap, int) : lng == 1 ? va_arg(ap, long)
                    : lng == 2 ? va_arg(ap, long long) : (long long)va_arg(ap, ptrdiff_t);
        unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
        put_num(&o, u, v < 0, 10, 0, width, zero, left);
        break;
      }
      case 'u':
      case 'x':
      case 'X': {
        unsigned long long v = lng == 0 ? va_arg(ap, unsigned) : lng == 1 ? va_arg(ap, unsigned long)
                             : lng == 2 ? va_arg(ap, unsigned long long) : va_arg(ap, size_t);
        put_num(&o, v, 0, *f == 'u' ? 10 : 16, *f == 'X', width, zero, left);
        break;
      }
      case 'p': {
        uintptr_t v = (uintptr_t)va_arg(ap, void *);
        put(&o, '0');
        put(&o, 'x');
        put_num(&o, v, 0, 16, 0, width > 2 ? width - 2 : 0, zero, left);
        break;
      }
      case 'c':
        put(&o, (char)va_arg(ap, int));
        break;
      case 's': {
        const char *s = va_arg(ap, const char *);
        if (!s) s = "(null)";
        int n = 0;
        while (s[n]) n++;
        if (!left)
          for (int w = width; w > n; w--) put(&o, ' ');
        for (int i = 0; i < n; i++) put(&o, s[i]);
        if (left)
          for (int w = width; w > n; w--) put(&o, ' ');
        break;
      }
      case '%':
        put(&o, '%');
        break;
      case 0:
        f--;
        break;
      default:
        put(&o, '%');
        put(&o, *f);
        break;
    }
  }
  if (size) buf[o.len < size ? o.len : size - 1] = 0;
  return o.len < size ? o.len : (size ? size - 1 : 0);
}

size_t _own_format(char *buf, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t n = _own_vformat(buf, size, fmt, ap);
  va_end(ap);
  return n;
}

void _own_fdprintf(int fd, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  size_t n = _own_vformat(buf, sizeof buf, fmt, ap);
  va_end(ap);
  _own_os_write(fd, buf, n);
}
