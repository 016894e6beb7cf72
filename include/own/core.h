/* own/core.h — what every module of own shares: version, attributes, the one
 * error handler through which the library reports misuse, and the
 * out-of-memory handler that the "never NULL" functions call.
 *
 * Freestanding-safe: includes only <stddef.h> and <stdint.h>.
 */
#ifndef OWN_CORE_H
#define OWN_CORE_H

#include <stddef.h>
#include <stdint.h>

#define OWN_VERSION_MAJOR 0
#define OWN_VERSION_MINOR 1
#define OWN_VERSION_PATCH 0

#ifdef __cplusplus
#define OWN_EXTERN_C_BEGIN extern "C" {
#define OWN_EXTERN_C_END }
#else
#define OWN_EXTERN_C_BEGIN
#define OWN_EXTERN_C_END
#endif

/* OWN_API marks the functions libown exports (the library builds with hidden
 * visibility by default). */
#if defined(__GNUC__)
#define OWN_API __attribute__((visibility("default")))
#else
#define OWN_API
#endif

/* Attributes, spelled once. Each is empty where the compiler lacks it. */
#if defined(__GNUC__) || defined(__clang__)
#define OWN_NODISCARD __attribute__((warn_unused_result))
#define OWN_MALLOC_ATTR __attribute__((malloc))
#define OWN_ALLOC_SIZE(i) __attribute__((alloc_size(i)))
#define OWN_ALLOC_SIZE2(i, j) __attribute__((alloc_size(i, j)))
#define OWN_NORETURN __attribute__((noreturn))
#define OWN_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define OWN_LIKELY(x) __builtin_expect(!!(x), 1)
#define OWN_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define OWN_NODISCARD
#define OWN_MALLOC_ATTR
#define OWN_ALLOC_SIZE(i)
#define OWN_ALLOC_SIZE2(i, j)
#define OWN_NORETURN
#define OWN_PRINTF(f, a)
#define OWN_LIKELY(x) (x)
#define OWN_UNLIKELY(x) (x)
#endif

/* GCC >= 11 can pair an allocator with its deallocator, so that -fanalyzer
 * and -Wmismatched-dealloc report leaks, double frees and mismatched frees. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#define OWN_DEALLOC_BY(f, i) __attribute__((malloc, malloc(f, i)))
#else
#define OWN_DEALLOC_BY(f, i)
#endif

OWN_EXTERN_C_BEGIN

/* What went wrong. */
typedef enum own_error {
  OWN_ERR_NONE = 0,
  OWN_ERR_INVALID_FREE,   /* free of a pointer own did not hand out       */
  OWN_ERR_DOUBLE_FREE,    /* free of a block that is already free          */
  OWN_ERR_CORRUPTION,     /* own's metadata or a guard byte was overwritten */
  OWN_ERR_OUT_OF_MEMORY,  /* an allocation that must not fail failed       */
  OWN_ERR_OVERFLOW,       /* size arithmetic would wrap                    */
  OWN_ERR_BAD_ALIGNMENT,  /* alignment not a power of two, or too large    */
  OWN_ERR_BORROW,         /* a runtime borrow check failed (own_cell)      */
  OWN_ERR_REFCOUNT,       /* a reference count would overflow              */
  OWN_ERR_USAGE,          /* any other misuse of the API                   */
  OWN_ERR_STACK_OVERFLOW, /* a thread ran past the end of its stack        */
} own_error_t;

/* An error handler gets the error, a one-line message (no trailing newline),
 * the pointer involved (or NULL) and the context it was installed with. It
 * may return (the operation then fails safely: the bad free is ignored, the
 * allocation returns NULL) or not return (abort, longjmp).
 *
 * The default handler writes "own: <message>" to stderr and returns, except
 * for OWN_ERR_CORRUPTION, OWN_ERR_REFCOUNT and OWN_ERR_BORROW, after which it
 * aborts; with OWN_ERROR_ABORT=1 in the environment it aborts after every error. */
typedef void (*own_error_handler_t)(own_error_t err, const char *msg, const void *ptr, void *ctx);

/* Installs `h` (NULL: the default) and returns the previous handler.
 * Thread-safe; the handler may be called from any thread. */
OWN_API own_error_handler_t own_set_error_handler(own_error_handler_t h, void *ctx);

/* Reports an error through the installed handler. For use by own's modules
 * and by code built on own that wants one reporting channel. */
OWN_API void own_report(own_error_t err, const void *ptr, const char *fmt, ...) OWN_PRINTF(3, 4);

/* A short name for an error ("invalid free", "double free", ...). */
OWN_API const char *own_error_name(own_error_t err);

/* The out-of-memory handler: called by the functions that promise never to
 * return NULL (own_box_new, own_vec_push, ...: the plain ones; the try_
 * variants return an error instead). It receives the size that could not be
 * allocated. It must not return; if it does, own aborts. The default reports
 * OWN_ERR_OUT_OF_MEMORY and aborts. */
typedef void (*own_oom_handler_t)(size_t size);
OWN_API own_oom_handler_t own_set_oom_handler(own_oom_handler_t h);
OWN_API OWN_NORETURN void own_out_of_memory(size_t size);

OWN_EXTERN_C_END

#endif
