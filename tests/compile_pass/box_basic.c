/* Correct Box use: create, use, move, drop; every path drops exactly once. */
#include <own/box.h>
#include <stdio.h>

struct point {
  int x, y;
};

static struct point *make(int x, int y) { return OWN_BOX_OF(struct point, NULL, NULL, x, y); }

int area(int w, int h) {
  struct point *p = make(w, h);
  struct point *q = OWN_TAKE(p); /* moved: p is NULL now */
  int a = q->x * q->y;
  own_box_drop(p); /* no-op */
  own_box_drop(q);
  return a;
}

int try_path(void) {
  int *p = OWN_BOX_TRY_OF(int, NULL, NULL, 3);
  if (!p) return -1;
  int v = *p;
  OWN_DROP(own_box, p);
  return v;
}
