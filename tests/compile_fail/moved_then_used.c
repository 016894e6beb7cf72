/* expect: -Wanalyzer-use-after-free */
/* A box moved into a function that drops it (own_box_drop is the sink),
 * then read through the old name. */
#include <own/box.h>

static void consume(int *p) { own_box_drop(p); }

int f(void) {
  int *p = OWN_BOX_OF(int, NULL, NULL, 3);
  consume(p);
  return *p;
}
