/* expect: -Wanalyzer-double-free */
/* The same box dropped twice. */
#include <own/box.h>

void twice(void) {
  int *p = OWN_BOX_OF(int, NULL, NULL, 7);
  own_box_drop(p);
  own_box_drop(p);
}
