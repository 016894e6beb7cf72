/* stack_overflow.c — what own prints when a thread runs off the end of its
 * stack, instead of a bare "Segmentation fault".
 *
 *   ./stack_overflow          overflow the main thread
 *   ./stack_overflow thread   overflow a thread named 'worker-3'
 *
 * Either way the program prints
 *   thread '<name>' (tid N) has overflowed its stack (... KiB, guard at 0x...)
 * and a backtrace, then dies of SIGABRT. Link with -rdynamic to see function
 * names in the backtrace.
 */
#include <stdio.h>
#include <string.h>

#include "own/stack.h"

static volatile unsigned long stop_at = (unsigned long)-1;

/* Each level keeps a buffer, so the stack fills quickly. */
unsigned long runaway(unsigned long depth);
__attribute__((noinline)) unsigned long runaway(unsigned long depth) {
  volatile char frame[512];
  frame[depth % sizeof frame] = (char)depth;
  if (depth == stop_at) return 0;
  return runaway(depth + 1) + (unsigned long)frame[depth % sizeof frame];
}

static void *worker(void *arg) {
  (void)arg;
  return (void *)runaway(0);
}

int main(int argc, char **argv) {
  if (own_stack_guard_install() != 0) {
    fprintf(stderr, "could not install the stack overflow handler\n");
    return 1;
  }
  printf("%zu KiB of stack left on the main thread; now recursing without end...\n",
         own_stack_remaining() / 1024);
  fflush(stdout);
  if (argc > 1 && strcmp(argv[1], "thread") == 0) {
    own_thread_t t;
    if (own_thread_spawn(&t, "worker-3", 256 * 1024, worker, NULL) != 0) return 1;
    own_thread_join(&t, NULL);
  } else {
    runaway(0);
  }
  printf("not reached\n");
  return 0;
}
