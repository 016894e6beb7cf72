/* Correct scope-bound drops: every exit drops each owner once; early drops
 * and moves clear the name so the scope drop does nothing. */
#include <own/scope.h>
#include <stdio.h>

struct file_box {
  FILE *f;
};
static void close_file_box(void *v) {
  struct file_box *fb = v;
  if (fb->f) fclose(fb->f);
}

OWN_SCOPE_KIND(stdio, FILE *, fclose);

int count_lines(const char *path) {
  OWN_SCOPED(stdio) FILE *f = fopen(path, "r");
  if (!f) return -1;
  int n = 0, c;
  while ((c = fgetc(f)) != EOF) n += c == '\n';
  return n;
}

int first_byte(const char *path) {
  OWN_SCOPED(own_box) struct file_box *fb = OWN_BOX_NEW(struct file_box, NULL, close_file_box);
  fb->f = fopen(path, "r");
  if (!fb->f) return -1; /* dropped here */
  return fgetc(fb->f);   /* and here */
}

int *keep_one(int a, int b) {
  OWN_AUTO_BOX(int) x = OWN_BOX_OF(int, NULL, NULL, a);
  OWN_AUTO_BOX(int) y = OWN_BOX_OF(int, NULL, NULL, b);
  if (*x > *y) return OWN_TAKE(x); /* moved out: y dropped, x not */
  OWN_DROP(own_box, x);            /* early drop: not dropped again */
  return OWN_TAKE(y);
}

int loop_sum(int n) {
  int s = 0;
  for (int i = 0; i < n; i++) {
    OWN_AUTO_BOX(int) v = OWN_BOX_OF(int, NULL, NULL, i);
    if (i == 5) break;
    if (i % 2) continue;
    s += *v;
  }
  return s;
}

/* The defer-shaped form. (gcc 12's analyzer follows it on a scope with one
 * exit; with several exits it reports a false leak: docs/ownership.md.) */
int loop_sum_defer(int n) {
  int s = 0;
  for (int i = 0; i < n; i++) {
    int *v = OWN_BOX_OF(int, NULL, NULL, i);
    OWN_DROP_AT_SCOPE_END(own_box, v);
    s += *v;
  }
  return s;
}
