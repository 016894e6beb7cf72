/* test_errors.h — an own error handler that records instead of printing, for
 * tests that check what the library reports. Install it with
 * own_set_error_handler(record_error, NULL). */
#ifndef OWN_TESTS_TEST_ERRORS_H
#define OWN_TESTS_TEST_ERRORS_H

#include <stdio.h>

#include "own/core.h"
#include "testing.h"

static int errors_seen;
static own_error_t last_error;
static char last_msg[256];

static void record_error(own_error_t err, const char *msg, const void *ptr, void *ctx) {
  (void)ptr;
  (void)ctx;
  errors_seen++;
  last_error = err;
  snprintf(last_msg, sizeof last_msg, "%s", msg);
}

/* Expects exactly one report of `err` since the last call. */
#define CHECK_REPORTED(err)            \
  do {                                 \
    OWN_CHECK_EQ(errors_seen, 1);      \
    OWN_CHECK_EQ(last_error, (err));   \
    errors_seen = 0;                   \
  } while (0)
#define CHECK_QUIET() OWN_CHECK_EQ(errors_seen, 0)

#endif
