/* test_cell.c — borrow flags: shared XOR mutable, try_ forms, releases, the
 * report naming the cell and the conflicting borrow (as death tests with the
 * default handler, which aborts), and what a returning handler sees. */
#include "own/cell.h"
#include "own/scope.h"
#include "test_ownership_common.h"
#include "testing.h"

struct config {
  int verbose;
  int level;
};
typedef OWN_REFCELL(struct config) config_cell;

static void test_shared_xor_mut(void) {
  own_cell_t c = OWN_CELL_INIT("c");
  OWN_CHECK(!own_cell_is_borrowed(&c));
  OWN_CHECK(OWN_CELL_BORROW(&c) == &c);
  OWN_CHECK(OWN_CELL_BORROW(&c) == &c);
  OWN_CHECK_EQ(own_cell_shared_count(&c), 2);
  OWN_CHECK(!OWN_CELL_TRY_BORROW_MUT(&c)); /* shared borrows out */
  OWN_CHECK(OWN_CELL_TRY_BORROW(&c));
  own_cell_release(&c);
  own_cell_release(&c);
  own_cell_release(&c);
  OWN_CHECK(!own_cell_is_borrowed(&c));
  OWN_CHECK(OWN_CELL_TRY_BORROW_MUT(&c));
  OWN_CHECK(own_cell_is_borrowed_mut(&c));
  OWN_CHECK(!OWN_CELL_TRY_BORROW(&c));
  OWN_CHECK(!OWN_CELL_TRY_BORROW_MUT(&c));
  own_cell_release(&c);
  OWN_CHECK(!own_cell_is_borrowed(&c));
  OWN_CHECK(c.file == NULL);
  own_cell_release(NULL);

  own_cell_t d;
  own_cell_init(&d, NULL);
  OWN_CHECK(OWN_CELL_BORROW_MUT(&d) == &d);
  own_cell_release(&d);
}

static void test_typed(void) {
  config_cell cfg = {OWN_CELL_INIT("config"), {0, 1}};
  const struct config *r1 = OWN_REFCELL_BORROW(&cfg);
  const struct config *r2 = OWN_REFCELL_BORROW(&cfg);
  OWN_CHECK(r1 == &cfg.value && r2 == r1);
  OWN_CHECK_EQ(r1->level, 1);
  OWN_CHECK(OWN_REFCELL_TRY_BORROW_MUT(&cfg) == NULL);
  OWN_REFCELL_RELEASE(&cfg);
  OWN_REFCELL_RELEASE(&cfg);
  struct config *w = OWN_REFCELL_BORROW_MUT(&cfg);
  w->level = 3;
  OWN_CHECK(OWN_REFCELL_TRY_BORROW(&cfg) == NULL);
  OWN_REFCELL_RELEASE(&cfg);
  OWN_CHECK_EQ(cfg.value.level, 3);
  const struct config *t = OWN_REFCELL_TRY_BORROW(&cfg);
  OWN_CHECK(t != NULL);
  OWN_REFCELL_RELEASE(&cfg);
}

/* Scope-bound borrows: released on every exit. */
static int read_level(config_cell *cfg, int early) {
  OWN_SCOPED_BORROW(c, cfg);
  if (early) return -c->level; /* released here too */
  return c->level;
}
static void test_scoped_borrows(void) {
  config_cell cfg = {OWN_CELL_INIT("config"), {0, 9}};
  OWN_CHECK_EQ(read_level(&cfg, 0), 9);
  OWN_CHECK_EQ(read_level(&cfg, 1), -9);
  OWN_CHECK(!own_cell_is_borrowed(&cfg.cell));
  for (int i = 0; i < 3; i++) {
    OWN_SCOPED_BORROW_MUT(m, &cfg);
    m->level++;
    OWN_CHECK(own_cell_is_borrowed_mut(&cfg.cell));
    if (i == 1) break; /* released on break */
  }
  OWN_CHECK(!own_cell_is_borrowed(&cfg.cell));
  OWN_CHECK_EQ(cfg.value.level, 11);
}

/* ---- violations ------------------------------------------------------------ */

static void mut_while_shared(void *arg) {
  (void)arg;
  config_cell cfg = {OWN_CELL_INIT("config"), {0, 0}};
  const struct config *r = OWN_REFCELL_BORROW(&cfg);
  struct config *w = OWN_REFCELL_BORROW_MUT(&cfg); /* aborts */
  printf("%p %p\n", (const void *)r, (void *)w);
}
static void shared_while_mut(void *arg) {
  (void)arg;
  own_cell_t c = OWN_CELL_INIT("table");
  OWN_CELL_BORROW_MUT(&c);
  OWN_CELL_BORROW(&c);
}
static void mut_while_mut(void *arg) {
  (void)arg;
  own_cell_t c = OWN_CELL_INIT("table");
  OWN_CELL_BORROW_MUT(&c);
  OWN_CELL_BORROW_MUT(&c);
}
static void release_unborrowed(void *arg) {
  (void)arg;
  own_cell_t c = OWN_CELL_INIT("lonely");
  own_cell_release(&c);
}
static void scoped_conflict(void *arg) {
  (void)arg;
  config_cell cfg = {OWN_CELL_INIT("scoped"), {0, 0}};
  OWN_SCOPED_BORROW(a, &cfg);
  OWN_SCOPED_BORROW_MUT(b, &cfg);
  printf("%p %p\n", (const void *)a, (void *)b);
}

static void test_violations_abort(void) {
  OWN_EXPECT_DEATH(mut_while_shared, NULL, SIGABRT,
                   "borrow violation: cannot borrow cell 'config' as mutable at");
  OWN_EXPECT_DEATH(mut_while_shared, NULL, SIGABRT, "it is borrowed as shared (1 borrow, the first at");
  OWN_EXPECT_DEATH(shared_while_mut, NULL, SIGABRT,
                   "cannot borrow cell 'table' as shared at");
  OWN_EXPECT_DEATH(shared_while_mut, NULL, SIGABRT, "already borrowed as mutable at");
  OWN_EXPECT_DEATH(mut_while_mut, NULL, SIGABRT, "cannot borrow cell 'table' as mutable");
  OWN_EXPECT_DEATH(release_unborrowed, NULL, SIGABRT, "cell 'lonely' released but not borrowed");
  OWN_EXPECT_DEATH(scoped_conflict, NULL, SIGABRT, "cell 'scoped'");
}

/* With a handler that returns, a refused borrow is NULL and changes nothing. */
static void test_returning_handler(void) {
  own_cell_t c = OWN_CELL_INIT("soft");
  capture_begin();
  OWN_CHECK(OWN_CELL_BORROW_MUT(&c) == &c);
  int mut_line = __LINE__ - 1;
  OWN_CHECK(OWN_CELL_BORROW(&c) == NULL);
  OWN_CHECK_EQ(captured.count, 1);
  OWN_CHECK_EQ(captured.last, OWN_ERR_BORROW);
  char where[64];
  snprintf(where, sizeof where, "test_cell.c:%d", mut_line);
  OWN_CHECK(strstr(captured.msg, where) != NULL); /* names the conflicting borrow's site */
  OWN_CHECK(own_cell_is_borrowed_mut(&c));
  own_cell_release(&c);
  own_cell_release(&c); /* not borrowed any more */
  OWN_CHECK_EQ(captured.count, 2);
  capture_end();
}

int main(void) {
  test_shared_xor_mut();
  test_typed();
  test_scoped_borrows();
  test_violations_abort();
  test_returning_handler();
  return own_test_done();
}
