/* expect: -Wanalyzer-malloc-leak */
/* A clone handed to nobody: the Arc never reaches zero. */
#include <own/arc.h>

long shared(long *a) {
  long *mine = own_arc_clone(a);
  long *other = own_arc_clone(a);
  long v = *other + *mine;
  own_arc_drop(mine);
  return v;
}
