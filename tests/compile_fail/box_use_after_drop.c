/* expect: -Wanalyzer-use-after-free */
/* Reading a box after it was dropped. */
#include <own/box.h>

int late(void) {
  int *p = OWN_BOX_OF(int, NULL, NULL, 7);
  own_box_drop(p);
  return *p;
}
