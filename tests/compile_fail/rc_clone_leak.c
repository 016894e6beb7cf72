/* expect: -Wanalyzer-malloc-leak */
/* expect: leak of 'extra' */
/* Every clone is a reference of its own: this one is never dropped, so the
 * strong count never returns to zero and the value leaks. */
#include <own/rc.h>

int peek(void) {
  int *a = OWN_RC_OF(int, NULL, NULL, 1);
  int *extra = own_rc_clone(a);
  int v = *extra;
  own_rc_drop(a);
  return v;
}
