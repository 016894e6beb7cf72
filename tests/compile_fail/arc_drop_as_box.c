/* expect: -Wanalyzer-mismatching-deallocation */
/* expect: 'own_box_drop' called on 'a' returned from a mismatched allocation function */
/* An arc released with the Box drop function. */
#include <own/arc.h>

void wrong(void) {
  long *a = OWN_ARC_OF(long, NULL, NULL, 1);
  own_box_drop(a);
}
