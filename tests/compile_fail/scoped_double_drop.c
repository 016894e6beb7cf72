/* expect: -Wanalyzer-double-free */
/* A scoped box dropped by hand without OWN_DROP/OWN_TAKE: the scope drop
 * then drops it a second time. Caught at -O1 and above (see docs). */
#include <own/scope.h>

int f(int x) {
  OWN_AUTO_BOX(int) p = OWN_BOX_OF(int, NULL, NULL, x);
  int v = *p;
  own_box_drop(p);
  return v;
}
