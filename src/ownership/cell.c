/* ownership/cell.c — the borrow flag of own/cell.h.
 *
 * state: 0 free, n > 0 shared borrows, -1 mutably borrowed. A borrow that
 * would break "shared XOR mutable" is refused and, unless it is a try_ form,
 * reported with the site of the borrow that is in the way: the cell records
 * where its mutable borrow, or the first of its current shared borrows, was
 * taken. (Only the first shared site is kept: recording every one would need
 * memory per borrow.)
 */
#include "own/cell.h"

void own_cell_init(own_cell_t *c, const char *name) {
  c->state = 0;
  c->name = name;
  c->file = NULL;
  c->line = 0;
}

static const char *or_unknown(const char *s) { return s ? s : "?"; }

static void report_conflict(own_cell_t *c, bool want_mut, const char *file, int line) {
  const char *name = c->name ? c->name : "(unnamed)";
  if (c->state < 0) {
    own_report(OWN_ERR_BORROW, c,
               "cannot borrow cell '%s' as %s at %s:%d: it is already borrowed as mutable at %s:%d",
               name, want_mut ? "mutable" : "shared", or_unknown(file), line,
               or_unknown(c->file), c->line);
  } else {
    own_report(OWN_ERR_BORROW, c,
               "cannot borrow cell '%s' as mutable at %s:%d: it is borrowed as shared "
               "(%ld borrow%s, the first at %s:%d)",
               name, or_unknown(file), line, (long)c->state, c->state == 1 ? "" : "s",
               or_unknown(c->file), c->line);
  }
}

bool own_cell_try_borrow_at(own_cell_t *c, const char *file, int line) {
  if (c->state < 0 || c->state == INTPTR_MAX) return false;
  if (c->state++ == 0) {
    c->file = file;
    c->line = line;
  }
  return true;
}

bool own_cell_try_borrow_mut_at(own_cell_t *c, const char *file, int line) {
  if (c->state != 0) return false;
  c->state = -1;
  c->file = file;
  c->line = line;
  return true;
}

own_cell_t *own_cell_borrow_at(own_cell_t *c, const char *file, int line) {
  if (OWN_LIKELY(own_cell_try_borrow_at(c, file, line))) return c;
  if (c->state == INTPTR_MAX) {
    own_report(OWN_ERR_BORROW, c, "cell '%s': too many shared borrows at %s:%d",
               c->name ? c->name : "(unnamed)", or_unknown(file), line);
  } else {
    report_conflict(c, false, file, line);
  }
  return NULL;
}

own_cell_t *own_cell_borrow_mut_at(own_cell_t *c, const char *file, int line) {
  if (OWN_LIKELY(own_cell_try_borrow_mut_at(c, file, line))) return c;
  report_conflict(c, true, file, line);
  return NULL;
}

void own_cell_release(own_cell_t *c) {
  if (!c) return;
  if (c->state < 0) {
    c->state = 0;
  } else if (c->state > 0) {
    c->state--;
  } else {
    own_report(OWN_ERR_BORROW, c, "cell '%s' released but not borrowed",
               c->name ? c->name : "(unnamed)");
    return;
  }
  if (c->state == 0) {
    c->file = NULL;
    c->line = 0;
  }
}
