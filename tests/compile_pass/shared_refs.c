/* Correct Rc/Arc/Weak use: each reference (new, clone, upgrade, downgrade)
 * dropped exactly once, by hand or by scope. */
#include <own/scope.h>

struct node {
  int id;
  own_rc_weak_t *parent;
};

static void node_drop(void *v) {
  struct node *n = v;
  own_rc_weak_drop(OWN_TAKE(n->parent));
}

int tree(void) {
  struct node *root = OWN_RC_OF(struct node, NULL, node_drop, .id = 1);
  struct node *kid = OWN_RC_OF(struct node, NULL, node_drop, .id = 2);
  kid->parent = own_rc_downgrade(root);
  struct node *p = own_rc_upgrade(kid->parent);
  int id = p ? p->id : -1;
  own_rc_drop(p);
  own_rc_drop(kid);
  own_rc_drop(root);
  return id;
}

long arcs(void) {
  OWN_AUTO_ARC(long) a = OWN_ARC_OF(long, NULL, NULL, 40);
  OWN_AUTO_ARC(long) b = own_arc_clone(a);
  OWN_SCOPED(own_arc_weak) own_arc_weak_t *w = own_arc_downgrade(b);
  long *c = own_arc_upgrade(w);
  long v = *a + *b + (c ? 2 : 0);
  own_arc_drop(c);
  return v;
}

int unwrap(void) {
  int *a = OWN_RC_OF(int, NULL, NULL, 5);
  int out = 0;
  if (!own_rc_into_inner(a, &out)) return -1;
  return out;
}
