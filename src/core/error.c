/* core/error.c — the one reporting channel of own (own/core.h): the error
 * handler, the out-of-memory handler, and the options read from the
 * environment. Messages are formatted without allocating, so reporting from
 * inside malloc is safe. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "core/format.h"
#include "core/options.h"
#include "os/os.h"
#include "own/core.h"

static _Atomic(own_error_handler_t) error_handler;
static _Atomic(void *) error_ctx;
static _Atomic(own_oom_handler_t) oom_handler;

const char *own_error_name(own_error_t err) {
  switch (err) {
    case OWN_ERR_NONE: return "no error";
    case OWN_ERR_INVALID_FREE: return "invalid free";
    case OWN_ERR_DOUBLE_FREE: return "double free";
    case OWN_ERR_CORRUPTION: return "heap corruption";
    case OWN_ERR_OUT_OF_MEMORY: return "out of memory";
    case OWN_ERR_OVERFLOW: return "size overflow";
    case OWN_ERR_BAD_ALIGNMENT: return "bad alignment";
    case OWN_ERR_BORROW: return "borrow violation";
    case OWN_ERR_REFCOUNT: return "reference count overflow";
    case OWN_ERR_USAGE: return "usage error";
    case OWN_ERR_STACK_OVERFLOW: return "stack overflow";
  }
  return "unknown error";
}

own_error_handler_t own_set_error_handler(own_error_handler_t h, void *ctx) {
  atomic_store(&error_ctx, ctx);
  return atomic_exchange(&error_handler, h);
}

static void default_handler(own_error_t err, const char *msg, const void *ptr, void *ctx) {
  (void)ptr;
  (void)ctx;
  _own_fdprintf(2, "own: %s: %s\n", own_error_name(err), msg);
  if (err == OWN_ERR_CORRUPTION || err == OWN_ERR_REFCOUNT || err == OWN_ERR_BORROW) abort();
}

void own_report(own_error_t err, const void *ptr, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  _own_vformat(msg, sizeof msg, fmt, ap);
  va_end(ap);
  own_error_handler_t h = atomic_load(&error_handler);
  if (h) h(err, msg, ptr, atomic_load(&error_ctx));
  else default_handler(err, msg, ptr, NULL);
  if (_own_option(OWN_OPT_ERROR_ABORT)) abort();
}

own_oom_handler_t own_set_oom_handler(own_oom_handler_t h) { return atomic_exchange(&oom_handler, h); }

void own_out_of_memory(size_t size) {
  own_oom_handler_t h = atomic_load(&oom_handler);
  if (h) h(size);
  own_report(OWN_ERR_OUT_OF_MEMORY, NULL, "could not allocate %zu bytes", size);
  abort();
}
