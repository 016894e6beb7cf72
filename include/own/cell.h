/* own/cell.h — runtime-checked borrows (Rust's RefCell): any number of
 * shared borrows XOR one mutable borrow, checked when the borrow is taken.
 *
 * An own_cell_t is a borrow flag that guards some data, usually the value
 * beside it in an OWN_REFCELL(T). Borrowing returns a token (the cell itself)
 * or NULL; every successful borrow is ended by exactly one own_cell_release.
 * A borrow that conflicts with a live one is reported as OWN_ERR_BORROW with
 * the cell's name and where the conflicting borrow was taken, e.g.
 *
 *   own: borrow violation: cannot borrow cell 'config' as mutable at main.c:42:
 *        it is borrowed as shared (2 borrows, the first at main.c:40)
 *
 * The default error handler aborts after OWN_ERR_BORROW. If an installed
 * handler returns instead, the borrow fails: NULL is returned and the cell is
 * unchanged. The try_ forms return false on conflict and report nothing.
 *
 *   typedef OWN_REFCELL(struct config) config_cell;
 *   config_cell c = {OWN_CELL_INIT("config"), {...}};
 *   const struct config *r = OWN_REFCELL_BORROW(&c);      // shared
 *   ...; OWN_REFCELL_RELEASE(&c);
 *   struct config *w = OWN_REFCELL_BORROW_MUT(&c);        // exclusive
 *   ...; OWN_REFCELL_RELEASE(&c);
 * With own/scope.h, OWN_SCOPED_BORROW / OWN_SCOPED_BORROW_MUT release at the
 * end of the enclosing scope.
 *
 * NOT THREAD-SAFE (like RefCell, which is not Sync): a cell and its borrows
 * belong to one thread at a time. Time: O(1) for every function.
 */
#ifndef OWN_CELL_H
#define OWN_CELL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"

OWN_EXTERN_C_BEGIN

typedef struct own_cell {
  intptr_t state;   /* 0: free; n > 0: n shared borrows; -1: mutably borrowed */
  const char *name; /* for reports; may be NULL                               */
  const char *file; /* where the mutable borrow, or the first of the shared   */
  int line;         /* borrows now live, was taken (NULL/0 when unknown)      */
} own_cell_t;

/* Static initialiser: own_cell_t c = OWN_CELL_INIT("name"); */
#define OWN_CELL_INIT(name) {0, (name), NULL, 0}

/* Initialises *c as unborrowed; `name` (may be NULL) is kept, not copied. */
OWN_API void own_cell_init(own_cell_t *c, const char *name);

/* A shared borrow: succeeds unless the cell is mutably borrowed. Returns c, or
 * NULL after reporting OWN_ERR_BORROW (when the error handler returns).
 * `file`/`line` name the borrow site for later reports (NULL/0 allowed). */
OWN_API own_cell_t *own_cell_borrow_at(own_cell_t *c, const char *file, int line);

/* A mutable borrow: succeeds only when the cell is not borrowed at all. */
OWN_API own_cell_t *own_cell_borrow_mut_at(own_cell_t *c, const char *file, int line);

/* As above, but return false on conflict without reporting. */
OWN_API bool own_cell_try_borrow_at(own_cell_t *c, const char *file, int line);
OWN_API bool own_cell_try_borrow_mut_at(own_cell_t *c, const char *file, int line);

/* Ends one borrow (shared or mutable: the state tells which). NULL does
 * nothing. Releasing a cell that is not borrowed is reported as
 * OWN_ERR_BORROW. */
OWN_API void own_cell_release(own_cell_t *c);

/* State queries (never report). */
static inline bool own_cell_is_borrowed(const own_cell_t *c) { return c->state != 0; }
static inline bool own_cell_is_borrowed_mut(const own_cell_t *c) { return c->state < 0; }
static inline size_t own_cell_shared_count(const own_cell_t *c) {
  return c->state > 0 ? (size_t)c->state : 0;
}

OWN_EXTERN_C_END

/* Borrow with the caller's location recorded. */
#define OWN_CELL_BORROW(c) own_cell_borrow_at((c), __FILE__, __LINE__)
#define OWN_CELL_BORROW_MUT(c) own_cell_borrow_mut_at((c), __FILE__, __LINE__)
#define OWN_CELL_TRY_BORROW(c) own_cell_try_borrow_at((c), __FILE__, __LINE__)
#define OWN_CELL_TRY_BORROW_MUT(c) own_cell_try_borrow_mut_at((c), __FILE__, __LINE__)

/* A value guarded by a cell. Declare the type once with typedef (two uses of
 * OWN_REFCELL(T) are different struct types). */
#define OWN_REFCELL(T) \
  struct {             \
    own_cell_t cell;   \
    T value;           \
  }

/* Typed borrows of an OWN_REFCELL: a const pointer to the value (shared), a
 * pointer to the value (mutable), or NULL when the borrow failed. GCC/clang. */
#define OWN_REFCELL_BORROW(rc) \
  (OWN_CELL_BORROW(&(rc)->cell) ? (const __typeof__((rc)->value) *)&(rc)->value : NULL)
#define OWN_REFCELL_BORROW_MUT(rc) (OWN_CELL_BORROW_MUT(&(rc)->cell) ? &(rc)->value : NULL)
#define OWN_REFCELL_TRY_BORROW(rc) \
  (OWN_CELL_TRY_BORROW(&(rc)->cell) ? (const __typeof__((rc)->value) *)&(rc)->value : NULL)
#define OWN_REFCELL_TRY_BORROW_MUT(rc) (OWN_CELL_TRY_BORROW_MUT(&(rc)->cell) ? &(rc)->value : NULL)
#define OWN_REFCELL_RELEASE(rc) own_cell_release(&(rc)->cell)

#endif
