/* own/scope.h — drop at the end of a scope ("when an owner goes out of
 * scope, the value is dropped").
 *
 * Two forms, both dropping on every exit from the enclosing block (falling
 * off its end, return, break, continue, goto out of it), in reverse order of
 * declaration, exactly once:
 *
 *  1. A scoped declaration (GCC/clang __attribute__((cleanup))):
 *
 *       OWN_SCOPED(own_box) struct file_box *f = OWN_BOX_NEW(struct file_box, NULL, close_fb);
 *       OWN_SCOPED(own_rc)  struct node *n = own_rc_clone(root);
 *       OWN_AUTO_BOX(int)   e = OWN_BOX_OF(int, NULL, NULL, 7);    // int *e
 *
 *  2. A drop registered after an ordinary declaration, in the shape of C2y's
 *     `defer` (TS 25755). Where the compiler defines __STDC_DEFER_TS25755__
 *     this IS `defer kind_scope_drop(&var)`; elsewhere a hidden guard
 *     variable with a cleanup attribute does the same:
 *
 *       struct node *n = own_rc_clone(root);
 *       OWN_DROP_AT_SCOPE_END(own_rc, n);
 *
 * An early drop and the scope drop never both run: drop early with
 * OWN_DROP(kind, p) (own/box.h), which leaves NULL in p; move the value out
 * with OWN_TAKE(p) (return it, store it elsewhere) likewise. The scope drop
 * does nothing for NULL. (Calling own_box_drop(p) directly on a scoped p,
 * without clearing it, is a double drop: gcc -fanalyzer -O2 reports it; the
 * tag check of own_box_drop reports it at run time.)
 *
 * Kinds: own_box, own_rc, own_rc_weak, own_arc, own_arc_weak, own_cell (a
 * borrow token: released). Your own kinds, for any handle with a release
 * function, come from OWN_SCOPE_KIND:
 *
 *       OWN_SCOPE_KIND(stdio, FILE *, fclose)      // at file scope
 *       OWN_SCOPED(stdio) FILE *f = fopen(path, "r");
 *
 * Not covered (C has no unwinding): longjmp out of the scope and thread
 * cancellation skip the drops (with GCC, -fexceptions makes pthread_cancel
 * run them); exit() and abort() skip them as they skip all of C's cleanup.
 * A scoped variable must be initialised in its declaration (jumping into its
 * scope past the declaration is refused by the compiler).
 *
 * Requires GCC or clang (or a compiler with TS 25755 defer for form 2);
 * elsewhere OWN_HAVE_SCOPE is 0 and the macros are not defined.
 */
#ifndef OWN_SCOPE_H
#define OWN_SCOPE_H

#include "arc.h"
#include "box.h"
#include "cell.h"
#include "rc.h"

#if defined(__GNUC__) || defined(__clang__)
#define OWN_HAVE_SCOPE 1
#elif defined(__STDC_DEFER_TS25755__)
#define OWN_HAVE_SCOPE 2 /* form 2 only */
#else
#define OWN_HAVE_SCOPE 0
#endif

#define OWN_SCOPE_CAT2_(a, b) a##b
#define OWN_SCOPE_CAT_(a, b) OWN_SCOPE_CAT2_(a, b)

/* OWN_SCOPE_KIND(kind, T, release): defines kind_scope_drop(T *slot), which
 * clears *slot and calls release on its old value when that is not NULL, and
 * kind_scope_guard (used by OWN_DROP_AT_SCOPE_END). T is a pointer type; the
 * own_box/own_rc/own_arc kinds read a `U *` variable as `void *` (GCC and
 * clang let every object pointer type alias void *). Plain typed accesses,
 * not memcpy: gcc's analyzer follows them and sees the drop. */
#define OWN_SCOPE_KIND(kind, T, release)                                      \
  static inline void kind##_scope_drop(void *slot_) {                          \
    T *s_ = (T *)slot_;                                                        \
    if (*s_) {                                                                 \
      T v_ = *s_;                                                              \
      *s_ = 0;                                                                 \
      (void)release(v_);                                                       \
    }                                                                          \
  }                                                                            \
  static inline void kind##_scope_guard(void *guard_) {                        \
    kind##_scope_drop(*(void **)guard_);                                       \
  }                                                                            \
  typedef int kind##_scope_kind_defined_

#if OWN_HAVE_SCOPE == 1

/* Form 1: a declaration specifier. `unused`: a variable that only exists to
 * be dropped (a guard) is not a mistake; clang would warn otherwise. */
#define OWN_SCOPED(kind) __attribute__((cleanup(kind##_scope_drop), unused))

/* A scoped box of T: declares a T * dropped with own_box_drop. */
#define OWN_AUTO_BOX(T) OWN_SCOPED(own_box) T *
#define OWN_AUTO_RC(T) OWN_SCOPED(own_rc) T *
#define OWN_AUTO_ARC(T) OWN_SCOPED(own_arc) T *

/* Borrows of an OWN_REFCELL for the rest of the scope:
 *   OWN_SCOPED_BORROW(cfg, &cell);       // const T *cfg
 *   OWN_SCOPED_BORROW_MUT(cfg, &cell);   // T *cfg
 * The borrow is released at scope end. On a conflict (reported, and the
 * default handler aborts) the pointer is NULL. */
#define OWN_SCOPED_BORROW(name, rc)                                            \
  OWN_SCOPED(own_cell)                                                         \
  own_cell_t *OWN_SCOPE_CAT_(own_borrow_, name) = OWN_CELL_BORROW(&(rc)->cell); \
  const __typeof__((rc)->value) *name =                                        \
      OWN_SCOPE_CAT_(own_borrow_, name) ? &(rc)->value : NULL
#define OWN_SCOPED_BORROW_MUT(name, rc)                                        \
  OWN_SCOPED(own_cell)                                                         \
  own_cell_t *OWN_SCOPE_CAT_(own_borrow_, name) = OWN_CELL_BORROW_MUT(&(rc)->cell); \
  __typeof__((rc)->value) *name = OWN_SCOPE_CAT_(own_borrow_, name) ? &(rc)->value : NULL

#endif

#if OWN_HAVE_SCOPE != 0

/* Form 2: after `T *var = ...;`, drop var at the end of the scope. */
#if defined(__STDC_DEFER_TS25755__)
#include <stddefer.h>
#define OWN_DROP_AT_SCOPE_END(kind, var) defer kind##_scope_drop(&(var))
#else
#define OWN_DROP_AT_SCOPE_END(kind, var)                                       \
  __attribute__((cleanup(kind##_scope_guard), unused)) void *OWN_SCOPE_CAT_(   \
      own_scope_guard_, __COUNTER__) = &(var)
#endif

OWN_SCOPE_KIND(own_box, void *, own_box_drop);
OWN_SCOPE_KIND(own_rc, void *, own_rc_drop);
OWN_SCOPE_KIND(own_rc_weak, own_rc_weak_t *, own_rc_weak_drop);
OWN_SCOPE_KIND(own_arc, void *, own_arc_drop);
OWN_SCOPE_KIND(own_arc_weak, own_arc_weak_t *, own_arc_weak_drop);
OWN_SCOPE_KIND(own_cell, own_cell_t *, own_cell_release);

#endif

#endif
