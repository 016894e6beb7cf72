/* expect: -Wanalyzer-malloc-leak */
/* A weak reference that is never dropped keeps the allocation forever. */
#include <own/rc.h>

int parent_id(void) {
  int *a = OWN_RC_OF(int, NULL, NULL, 1);
  own_rc_weak_t *w = own_rc_downgrade(a);
  own_rc_drop(a);
  return own_rc_weak_strong_count(w) == 0;
}
