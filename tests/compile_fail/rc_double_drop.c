/* expect: -Wanalyzer-double-free */
/* One reference dropped twice (the other clone is then dropped too, so the
 * value would be dropped while a third party may still hold it). */
#include <own/rc.h>

void twice(void) {
  int *a = OWN_RC_OF(int, NULL, NULL, 1);
  int *b = own_rc_clone(a);
  own_rc_drop(b);
  own_rc_drop(b);
  own_rc_drop(a);
}
