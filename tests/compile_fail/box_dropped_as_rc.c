/* expect: -Wanalyzer-mismatching-deallocation */
/* expect: should have been deallocated with 'own_box_drop' but was deallocated with 'own_rc_drop' */
/* A box dropped with the Rc drop function. */
#include <own/box.h>
#include <own/rc.h>

void wrong(void) {
  int *p = OWN_BOX_OF(int, NULL, NULL, 7);
  own_rc_drop(p);
}
