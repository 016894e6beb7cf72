/* expect: -Wanalyzer-use-after-free */
/* Reading a scoped box after an early drop (which did clear it) through a
 * second name taken before the drop. */
#include <own/scope.h>

int f(int x) {
  OWN_AUTO_BOX(int) p = OWN_BOX_OF(int, NULL, NULL, x);
  int *alias = p;
  OWN_DROP(own_box, p);
  return *alias;
}
