/* prog.c — compiled by gcc in the LD_PRELOAD test; the program it becomes
 * must print the same with and without own preloaded into the compiler. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
  struct node *left, *right;
  long key;
};

static struct node *insert(struct node *t, long key) {
  if (!t) {
    t = calloc(1, sizeof *t);
    if (!t) exit(1);
    t->key = key;
    return t;
  }
  if (key < t->key) t->left = insert(t->left, key);
  else if (key > t->key) t->right = insert(t->right, key);
  return t;
}

static long depth(const struct node *t) {
  if (!t) return 0;
  long l = depth(t->left), r = depth(t->right);
  return 1 + (l > r ? l : r);
}

static long sum(const struct node *t) { return t ? t->key + sum(t->left) + sum(t->right) : 0; }

static void drop(struct node *t) {
  if (!t) return;
  drop(t->left);
  drop(t->right);
  free(t);
}

int main(void) {
  struct node *root = NULL;
  unsigned long x = 88172645463325252ul;
  for (int i = 0; i < 100000; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    root = insert(root, (long)(x % 1000000));
  }
  char *s = NULL;
  size_t len = 0;
  for (int i = 0; i < 10000; i++) {
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%d;", i * 7);
    s = realloc(s, len + (size_t)n + 1);
    if (!s) return 1;
    memcpy(s + len, buf, (size_t)n + 1);
    len += (size_t)n;
  }
  printf("depth %ld sum %ld len %zu tail %s\n", depth(root), sum(root), len, s + len - 6);
  free(s);
  drop(root);
  return 0;
}
