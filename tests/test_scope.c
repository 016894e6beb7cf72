/* test_scope.c — scope-bound drop: every exit (end of block, return, break,
 * continue, goto out) drops, in reverse declaration order, exactly once; an
 * early OWN_DROP or a move with OWN_TAKE leaves nothing for the scope drop;
 * both forms (OWN_SCOPED and OWN_DROP_AT_SCOPE_END); rc, arc and weak kinds;
 * a user-defined kind. */
#include <stdio.h>

#include "own/scope.h"
#include "test_ownership_common.h"
#include "testing.h"

static test_alloc_t ta;
static own_allocator_t A;

#define LIVE() atomic_load(&ta.live_blocks)

static char log_[64];
static int nlog;
static void log_drop(void *v) { log_[nlog++] = *(char *)v; }
static void log_reset(void) {
  nlog = 0;
  memset(log_, 0, sizeof log_);
}

static char *mk(char c) { return OWN_BOX_OF(char, &A, log_drop, c); }

static void end_of_block(void) {
  OWN_SCOPED(own_box) char *a = mk('a');
  OWN_AUTO_BOX(char) b = mk('b');
  char *c = mk('c');
  OWN_DROP_AT_SCOPE_END(own_box, c);
  OWN_CHECK_EQ(LIVE(), 3);
}

static int early_return(int x) {
  OWN_AUTO_BOX(char) a = mk('a');
  if (x == 1) return 1;
  OWN_AUTO_BOX(char) b = mk('b');
  if (x == 2) return 2;
  {
    OWN_AUTO_BOX(char) c = mk('c');
    if (x == 3) return 3;
  }
  return 0;
}

static void loops(void) {
  for (int i = 0; i < 4; i++) {
    OWN_AUTO_BOX(char) d = mk((char)('0' + i));
    if (i == 1) continue;
    if (i == 2) break;
  }
}

static int with_goto(int fail) {
  int rc = 0;
  {
    OWN_AUTO_BOX(char) a = mk('g');
    if (fail) {
      rc = -1;
      goto out;
    }
    OWN_AUTO_BOX(char) b = mk('h');
  }
out:
  return rc;
}

/* An early drop or a move leaves NULL: the scope drop then does nothing. */
static char *early_drop_and_move(void) {
  OWN_AUTO_BOX(char) a = mk('x');
  OWN_AUTO_BOX(char) b = mk('y');
  OWN_DROP(own_box, a); /* dropped now, once */
  OWN_CHECK(a == NULL);
  return OWN_TAKE(b); /* moved to the caller: not dropped here */
}

static void test_box_scopes(void) {
  log_reset();
  end_of_block();
  OWN_CHECK(strcmp(log_, "cba") == 0);
  OWN_CHECK_EQ(LIVE(), 0);

  static const char *want[] = {"cba", "a", "ba", "cba"};
  for (int x = 0; x < 4; x++) {
    log_reset();
    int r = early_return(x);
    OWN_CHECK_EQ(r, x);
    OWN_CHECK(strcmp(log_, want[x]) == 0);
    OWN_CHECK_EQ(LIVE(), 0);
  }

  log_reset();
  loops();
  OWN_CHECK(strcmp(log_, "012") == 0);
  OWN_CHECK_EQ(LIVE(), 0);

  log_reset();
  OWN_CHECK_EQ(with_goto(1), -1);
  OWN_CHECK(strcmp(log_, "g") == 0);
  log_reset();
  OWN_CHECK_EQ(with_goto(0), 0);
  OWN_CHECK(strcmp(log_, "hg") == 0);
  OWN_CHECK_EQ(LIVE(), 0);

  log_reset();
  char *moved = early_drop_and_move();
  OWN_CHECK(strcmp(log_, "x") == 0);
  OWN_CHECK_EQ(*moved, 'y');
  OWN_CHECK_EQ(LIVE(), 1);
  own_box_drop(moved);
  OWN_CHECK(strcmp(log_, "xy") == 0);
  OWN_CHECK_EQ(LIVE(), 0);
}

/* ---- rc, arc, weak kinds ----------------------------------------------------- */

static int val_drops;
static void count_drop(void *v) {
  (void)v;
  val_drops++;
}

static void test_shared_kinds(void) {
  val_drops = 0;
  int *keep;
  {
    OWN_AUTO_RC(int) r = OWN_RC_OF(int, &A, count_drop, 1);
    OWN_SCOPED(own_rc) int *r2 = own_rc_clone(r);
    OWN_SCOPED(own_rc_weak) own_rc_weak_t *w = own_rc_downgrade(r);
    keep = own_rc_clone(r2);
    OWN_CHECK_EQ(own_rc_strong_count(r), 3);
    OWN_CHECK_EQ(own_rc_weak_count(r), 1);
  }
  OWN_CHECK_EQ(own_rc_strong_count(keep), 1);
  OWN_CHECK_EQ(own_rc_weak_count(keep), 0);
  OWN_CHECK_EQ(val_drops, 0);
  {
    int *last = keep;
    OWN_DROP_AT_SCOPE_END(own_rc, last);
  }
  OWN_CHECK_EQ(val_drops, 1);
  OWN_CHECK_EQ(LIVE(), 0);

  {
    OWN_AUTO_ARC(long) a = OWN_ARC_OF(long, &A, count_drop, 2);
    OWN_SCOPED(own_arc_weak) own_arc_weak_t *w = own_arc_downgrade(a);
    OWN_SCOPED(own_arc) long *up = own_arc_upgrade(w);
    OWN_CHECK(up == a);
    OWN_CHECK_EQ(own_arc_strong_count(a), 2);
  }
  OWN_CHECK_EQ(val_drops, 2);
  OWN_CHECK_EQ(LIVE(), 0);
}

/* ---- a user-defined kind --------------------------------------------------------- */

static int closes;
static int close_handle(int *h) {
  closes++;
  *h = -1;
  return 0;
}
OWN_SCOPE_KIND(handle, int *, close_handle);

static void test_custom_kind(void) {
  int h1 = 3, h2 = 4;
  closes = 0;
  {
    OWN_SCOPED(handle) int *a = &h1;
    int *b = &h2;
    OWN_DROP_AT_SCOPE_END(handle, b);
    OWN_SCOPED(handle) int *none = NULL; /* nothing to close */
    (void)a;
    (void)none;
  }
  OWN_CHECK_EQ(closes, 2);
  OWN_CHECK_EQ(h1, -1);
  OWN_CHECK_EQ(h2, -1);
}

int main(void) {
  A = test_alloc_make(&ta);
  test_box_scopes();
  test_shared_kinds();
  test_custom_kind();
  OWN_CHECK_EQ(LIVE(), 0);
  return own_test_done();
}
