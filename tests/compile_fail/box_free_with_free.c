/* expect: -Wanalyzer-mismatching-deallocation */
/* expect: should have been deallocated with 'own_box_drop' but was deallocated with 'free' */
/* A box released with free(): the header in front of the value is not a
 * malloc block, and the drop function would never run. */
#include <own/box.h>
#include <stdlib.h>

void wrong(void) {
  int *p = OWN_BOX_OF(int, NULL, NULL, 7);
  free(p);
}
