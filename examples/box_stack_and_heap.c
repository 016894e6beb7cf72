/* box_stack_and_heap.c — the stack and the heap, with a smart pointer.
 *
 * The Rust program this follows:
 *
 *   fn main() { let a = 2; let result = stack_only(a); dbg!(result); }
 *   fn stack_only(b: i32) { let c = 3; stack_and_heap(); }
 *   fn stack_and_heap() {
 *       let d = 5;
 *       let e = Box::new(7);
 *       // When the smart pointer goes out of scope,
 *       // it will make sure that the associated heap memory is freed.
 *   }
 *
 * In C with own: `e` is a scoped box. Its value 7 lives on own's heap; the
 * pointer to it lives in stack_and_heap's stack frame beside d. When the
 * function returns, the frame goes and the scope drop frees the heap block:
 * nobody writes a free, and nobody can forget one.
 */
#include <own/box.h>
#include <own/heap.h>
#include <own/scope.h>
#include <stdio.h>

static void announce_drop(void *value) {
  printf("  drop: Box(%d) at %p freed as stack_and_heap's frame goes\n", *(int *)value, value);
}

static void stack_and_heap(void) {
  int d = 5;
  OWN_AUTO_BOX(int) e = OWN_BOX_OF(int, NULL, announce_drop, 7);
  printf("  stack_and_heap: d = %d on the stack at %p\n", d, (void *)&d);
  printf("  stack_and_heap: e on the stack at %p -> %d on the heap at %p\n", (void *)&e, *e,
         (void *)e);
} /* e dropped here */

static void stack_only(int b) {
  int c = 3;
  printf(" stack_only: b = %d, c = %d on the stack at %p\n", b, c, (void *)&c);
  stack_and_heap();
  printf(" stack_only: back; the box is gone\n");
}

int main(void) {
  int a = 2;
  printf("main: a = %d on the stack at %p\n", a, (void *)&a);
  stack_only(a);
  printf("main: done\n");
  return 0;
}
