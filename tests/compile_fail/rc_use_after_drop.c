/* expect: -Wanalyzer-use-after-free */
/* Using a reference after dropping it, even though another clone keeps the
 * value alive: the dropped name no longer owns anything. */
#include <own/rc.h>

int late(void) {
  int *a = OWN_RC_OF(int, NULL, NULL, 1);
  int *b = own_rc_clone(a);
  own_rc_drop(a);
  int v = *a;
  own_rc_drop(b);
  return v;
}
