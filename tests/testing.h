/* testing.h — the little test harness every test of own uses.
 *
 *   OWN_CHECK(cond)            record a failure (with file:line) and go on
 *   OWN_CHECK_EQ(a, b)         integers compared, both values printed on failure
 *   OWN_EXPECT_DEATH(fn, arg, sig, text)
 *                              run fn(arg) in a forked child; pass when the child
 *                              ends by signal `sig` (0: any non-zero exit) and its
 *                              stderr contains `text` (NULL: anything)
 *   return own_test_done();    from main: prints "N passed, N failed", exit code
 *
 * Header-only so every test stands alone. Uses fork/pipe: hosted Linux only.
 */
#ifndef OWN_TESTS_TESTING_H
#define OWN_TESTS_TESTING_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int own_test_passed_ = 0;
static int own_test_failed_ = 0;

#define OWN_CHECK(cond)                                                          \
  do {                                                                           \
    if (cond) {                                                                  \
      own_test_passed_++;                                                        \
    } else {                                                                     \
      own_test_failed_++;                                                        \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
    }                                                                            \
  } while (0)

#define OWN_CHECK_EQ(a, b)                                                       \
  do {                                                                           \
    long long own_a_ = (long long)(a), own_b_ = (long long)(b);                  \
    if (own_a_ == own_b_) {                                                      \
      own_test_passed_++;                                                        \
    } else {                                                                     \
      own_test_failed_++;                                                        \
      fprintf(stderr, "%s:%d: check failed: %s == %s (%lld != %lld)\n",          \
              __FILE__, __LINE__, #a, #b, own_a_, own_b_);                       \
    }                                                                            \
  } while (0)

/* Runs fn(arg) in a child process with stderr captured. Returns 1 when the
 * child ended as expected: by signal `sig` (or, with sig == 0, by a non-zero
 * exit status or any signal) and with `text` in its stderr. */
static inline int own_test_death_(void (*fn)(void *), void *arg, int sig, const char *text,
                                  const char *what, const char *file, int line) {
  int fds[2];
  if (pipe(fds) != 0) return 0;
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], 2);
    signal(SIGABRT, SIG_DFL);
    fn(arg);
    _exit(0);
  }
  close(fds[1]);
  static char buf[65536];
  size_t len = 0;
  ssize_t r;
  while ((r = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0) len += (size_t)r;
  buf[len] = 0;
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  int ok;
  if (sig != 0) ok = WIFSIGNALED(status) && WTERMSIG(status) == sig;
  else ok = WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0);
  if (ok && text && !strstr(buf, text)) ok = 0;
  if (ok) {
    own_test_passed_++;
  } else {
    own_test_failed_++;
    fprintf(stderr, "%s:%d: death test failed: %s (status 0x%x, wanted signal %d and \"%s\")\n"
                    "---- child stderr ----\n%s----------------------\n",
            file, line, what, status, sig, text ? text : "", buf);
  }
  return ok;
}
#define OWN_EXPECT_DEATH(fn, arg, sig, text) \
  own_test_death_((fn), (arg), (sig), (text), #fn, __FILE__, __LINE__)

static inline int own_test_done(void) {
  printf("%d passed, %d failed\n", own_test_passed_, own_test_failed_);
  return own_test_failed_ ? 1 : 0;
}

#endif
