/* core/options.c — defaults, environment parsing and the public get/set. */
#include "core/options.h"

#include "os/os.h"

long _own_options[OWN_OPT_COUNT_] = {
    [OWN_OPT_VERBOSE] = 0,
    [OWN_OPT_ERROR_ABORT] = 0,
    [OWN_OPT_PURGE_KIB] = 4096,
    [OWN_OPT_SEGMENT_CACHE] = 2,
    [OWN_OPT_HUGE_CACHE_KIB] = 262144,
    [OWN_OPT_THREAD_CACHE_KIB] = 4096,
};

static const char *const option_env[OWN_OPT_COUNT_] = {
    [OWN_OPT_VERBOSE] = "OWN_VERBOSE",
    [OWN_OPT_ERROR_ABORT] = "OWN_ERROR_ABORT",
    [OWN_OPT_PURGE_KIB] = "OWN_PURGE_KIB",
    [OWN_OPT_SEGMENT_CACHE] = "OWN_SEGMENT_CACHE",
    [OWN_OPT_HUGE_CACHE_KIB] = "OWN_HUGE_CACHE_KIB",
    [OWN_OPT_THREAD_CACHE_KIB] = "OWN_THREAD_CACHE_KIB",
};

void _own_options_init(void) {
  for (int i = 0; i < OWN_OPT_COUNT_; i++) {
    const char *v = _own_os_getenv(option_env[i]);
    if (!v || !*v) continue;
    long n = 0;
    int ok = 1;
    for (const char *s = v; *s; s++) {
      if (*s < '0' || *s > '9' || n > 100000000L) {
        ok = 0;
        break;
      }
      n = n * 10 + (*s - '0');
    }
    if (ok) _own_options[i] = n;
  }
}

long own_option_get(own_option_t opt) {
  return (unsigned)opt < OWN_OPT_COUNT_ ? _own_options[opt] : -1;
}

void own_option_set(own_option_t opt, long value) {
  if ((unsigned)opt < OWN_OPT_COUNT_ && value >= 0) _own_options[opt] = value;
}
