/* expect: -Wanalyzer-malloc-leak */
/* A box that is never dropped: the owner goes out of scope, the value leaks. */
#include <own/box.h>

int sum(int a, int b) {
  int *p = OWN_BOX_OF(int, NULL, NULL, a);
  *p += b;
  return *p;
}
