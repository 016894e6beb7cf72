/* own.h — everything own offers, in one include.
 *
 *   own/core.h        errors, handlers, attributes
 *   own/layout.h      size + alignment (Rust's Layout)
 *   own/allocator.h   the allocator interface every heap engine offers
 *   own/heap.h        the general heap: malloc family, Layout API, heaps, stats
 *   own/fixed.h       a deterministic O(1) heap over a caller's buffer
 *   own/pool.h        fixed-size block pools
 *   own/arena.h       bump arenas with marks
 *   own/box.h         single ownership with a drop function
 *   own/rc.h          shared ownership, one thread (Rc, Weak)
 *   own/arc.h         shared ownership across threads (Arc, Weak)
 *   own/cell.h        runtime-checked borrows
 *   own/scope.h       drop at end of scope
 *   own/vec.h         growable typed arrays
 *   own/str.h         growable byte strings
 *   own/stack.h       guarded stacks, overflow reports, on-demand growth
 */
#ifndef OWN_H
#define OWN_H

#include "own/core.h"
#include "own/layout.h"
#include "own/allocator.h"
#include "own/heap.h"
#if __has_include("own/fixed.h")
#include "own/fixed.h"
#endif
#if __has_include("own/pool.h")
#include "own/pool.h"
#endif
#if __has_include("own/arena.h")
#include "own/arena.h"
#endif
#if __has_include("own/box.h")
#include "own/box.h"
#endif
#if __has_include("own/rc.h")
#include "own/rc.h"
#endif
#if __has_include("own/arc.h")
#include "own/arc.h"
#endif
#if __has_include("own/cell.h")
#include "own/cell.h"
#endif
#if __has_include("own/scope.h")
#include "own/scope.h"
#endif
#if __has_include("own/vec.h")
#include "own/vec.h"
#endif
#if __has_include("own/str.h")
#include "own/str.h"
#endif
#if __has_include("own/stack.h")
#include "own/stack.h"
#endif

#endif
