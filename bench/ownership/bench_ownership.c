/* bench_ownership.c — what ownership costs over the allocation it wraps.
 *
 *   box      own_box_new + own_box_drop (default heap) against the raw
 *            allocation of the very block Box uses (own/box.h: heap form,
 *            16-byte header + value), made two ways: the Layout API
 *            (own_alloc + own_dealloc, what Rust's Box::new calls) and the
 *            malloc family (own_malloc + own_free, the cheapest way in). One
 *            at a time, and 1000 live at once. The layout is a compile-time
 *            constant, as with OWN_BOX_NEW(T, NULL, ...); one row gives Box a
 *            layout known only at run time (the library call), one a 64-byte
 *            aligned value (the general form).
 *   rc/arc   a clone + drop pair on a live value (the count goes 1 -> 2 -> 1).
 *
 * Times are in ns per operation (per new+drop pair or per clone+drop pair),
 * over 21 runs of each loop: the median, and the fastest run (on a shared
 * machine noise only ever adds time, so the fastest is the steadier figure).
 * The loops compared in one row run alternately, run after run, so drift in
 * the machine's speed affects them alike. `--count N` runs each loop N times
 * only, for instruction counts under callgrind (see build.sh).
 */
#include <own/arc.h>
#include <own/box.h>
#include <own/heap.h>
#include <own/rc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUNS 21
#define BATCH 1000

static inline void keep(void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

typedef void (*bench_fn)(long n);

/* Times the k loops f[0..k) alternately, RUNS times; the median run of
 * each, in ns per iteration, into med[0..k), the fastest into min[0..k). */
static void measure(int k, const bench_fn *f, long n, double *med, double *min) {
  double all[4][RUNS];
  for (int j = 0; j < k; j++) f[j](n / 10); /* warm up */
  for (int r = 0; r < RUNS; r++) {
    for (int j = 0; j < k; j++) {
      double t0 = now_ns();
      f[j](n);
      all[j][r] = (now_ns() - t0) / (double)n;
    }
  }
  for (int j = 0; j < k; j++) {
    qsort(all[j], RUNS, sizeof all[j][0], cmp_double);
    min[j] = all[j][0];
    med[j] = all[j][RUNS / 2];
  }
}

/* ---- the loops -------------------------------------------------------------
 * Each body is inlined into one function per layout, so the layout is a
 * constant there, as in real code. */

static inline __attribute__((always_inline)) void alloc_one(long n, own_layout_t l) {
  for (long i = 0; i < n; i++) {
    void *p = own_alloc(l);
    *(char *)p = 1;
    keep(p);
    own_dealloc(p, l);
  }
}
static inline __attribute__((always_inline)) void malloc_one(long n, size_t size) {
  for (long i = 0; i < n; i++) {
    void *p = own_malloc(size);
    *(char *)p = 1;
    keep(p);
    own_free(p);
  }
}
static inline __attribute__((always_inline)) void box_one(long n, own_layout_t l) {
  for (long i = 0; i < n; i++) {
    void *p = own_box_new(NULL, l, NULL);
    *(char *)p = 1;
    keep(p);
    own_box_drop(p);
  }
}
static void *slots[BATCH];
static inline __attribute__((always_inline)) void alloc_batch(long n, own_layout_t l) {
  for (long i = 0; i < n; i += BATCH) {
    for (int j = 0; j < BATCH; j++) {
      slots[j] = own_alloc(l);
      *(char *)slots[j] = 1;
    }
    keep(slots);
    for (int j = 0; j < BATCH; j++) own_dealloc(slots[j], l);
  }
}
static inline __attribute__((always_inline)) void malloc_batch(long n, size_t size) {
  for (long i = 0; i < n; i += BATCH) {
    for (int j = 0; j < BATCH; j++) {
      slots[j] = own_malloc(size);
      *(char *)slots[j] = 1;
    }
    keep(slots);
    for (int j = 0; j < BATCH; j++) own_free(slots[j]);
  }
}
static inline __attribute__((always_inline)) void box_batch(long n, own_layout_t l) {
  for (long i = 0; i < n; i += BATCH) {
    for (int j = 0; j < BATCH; j++) {
      slots[j] = own_box_new(NULL, l, NULL);
      *(char *)slots[j] = 1;
    }
    keep(slots);
    for (int j = 0; j < BATCH; j++) own_box_drop(slots[j]);
  }
}

/* The block Box allocates for a value of N bytes, alignment <= 16 (own/box.h). */
#define HEAP_BLOCK(N) ((own_layout_t){OWN_BOX_HEAP_HEADER + (N), 16})
#define VALUE(N) ((own_layout_t){(N), 8})

#define LOOPS(N)                                                                            \
  static __attribute__((noinline)) void alloc_one_##N(long n) { alloc_one(n, HEAP_BLOCK(N)); } \
  static __attribute__((noinline)) void malloc_one_##N(long n) {                            \
    malloc_one(n, OWN_BOX_HEAP_HEADER + (N));                                              \
  }                                                                                         \
  static __attribute__((noinline)) void box_one_##N(long n) { box_one(n, VALUE(N)); }         \
  static __attribute__((noinline)) void alloc_batch_##N(long n) {                           \
    alloc_batch(n, HEAP_BLOCK(N));                                                          \
  }                                                                                         \
  static __attribute__((noinline)) void malloc_batch_##N(long n) {                          \
    malloc_batch(n, OWN_BOX_HEAP_HEADER + (N));                                            \
  }                                                                                         \
  static __attribute__((noinline)) void box_batch_##N(long n) { box_batch(n, VALUE(N)); }
LOOPS(16)
LOOPS(64)
LOOPS(256)

/* Box with a layout the compiler cannot see: the library's own_box_new. */
static own_layout_t runtime_layout;
static __attribute__((noinline)) void box_one_rt(long n) { box_one(n, runtime_layout); }

/* A 64-byte aligned value: Box's general form (32-byte header, value at 64). */
static own_layout_t general_block(own_layout_t l) {
  own_layout_t hdr = {32, 8}, out;
  size_t off;
  own_layout_extend(hdr, l, &out, &off);
  return own_layout_pad_to_align(out);
}
static __attribute__((noinline)) void alloc_one_a64(long n) {
  alloc_one(n, ((own_layout_t){128, 64})); /* general_block({64, 64}) */
}
static __attribute__((noinline)) void box_one_a64(long n) { box_one(n, ((own_layout_t){64, 64})); }

static void *shared_rc, *shared_arc;
static __attribute__((noinline)) void rc_pair(long n) {
  for (long i = 0; i < n; i++) {
    void *c = own_rc_clone(shared_rc);
    keep(c);
    own_rc_drop(c);
  }
}
static __attribute__((noinline)) void arc_pair(long n) {
  for (long i = 0; i < n; i++) {
    void *c = own_arc_clone(shared_arc);
    keep(c);
    own_arc_drop(c);
  }
}

static double pct(double x, double base) { return 100.0 * (x / base - 1); }

/* One row: raw malloc+free, raw alloc+dealloc and Box new+drop side by side,
 * medians, Box's difference to each; then the same differences for the
 * fastest runs. */
static void row(const char *what, bench_fn fm, bench_fn fa, bench_fn fb, long n) {
  bench_fn f[3] = {fm, fa, fb};
  double med[3], min[3];
  measure(3, f, n, med, min);
  printf("%-34s %7.2f %7.2f %7.2f %+8.1f%% %+8.1f%%  | %+8.1f%% %+8.1f%%\n", what, med[0], med[1],
         med[2], pct(med[2], med[1]), pct(med[2], med[0]), pct(min[2], min[1]),
         pct(min[2], min[0]));
}

int main(int argc, char **argv) {
  own_layout_t l16 = {16, 8};
  runtime_layout = l16;
  shared_rc = own_rc_new(NULL, l16, NULL);
  shared_arc = own_arc_new(NULL, l16, NULL);
  if (general_block((own_layout_t){64, 64}).size != 128) return 1; /* alloc_one_a64's block */

  if (argc > 2 && strcmp(argv[1], "--count") == 0) {
    long n = atol(argv[2]);
    static const bench_fn counted[] = {rc_pair,        arc_pair,        box_one_16,  alloc_one_16,
                                       malloc_one_16,  box_batch_16,    alloc_batch_16,
                                       malloc_batch_16, box_one_rt,     box_one_a64, alloc_one_a64};
    for (size_t i = 0; i < sizeof counted / sizeof counted[0]; i++) counted[i](n);
    own_rc_drop(shared_rc);
    own_arc_drop(shared_arc);
    return 0;
  }

  long n = argc > 1 ? atol(argv[1]) : 5000000;
  printf("%-34s %-41s | %s\n", "", "median of 21 runs, ns per new+drop", "fastest of 21");
  printf("%-34s %7s %7s %7s %9s %9s  | %9s %9s\n", "Box's block: raw vs boxed", "malloc",
         "alloc", "box", "vs alloc", "vs malloc", "vs alloc", "vs malloc");
  row("one at a time,   16-byte value", malloc_one_16, alloc_one_16, box_one_16, n);
  row("1000 live,       16-byte value", malloc_batch_16, alloc_batch_16, box_batch_16, n);
  row("one at a time,   64-byte value", malloc_one_64, alloc_one_64, box_one_64, n);
  row("1000 live,       64-byte value", malloc_batch_64, alloc_batch_64, box_batch_64, n);
  row("one at a time,  256-byte value", malloc_one_256, alloc_one_256, box_one_256, n);
  row("1000 live,      256-byte value", malloc_batch_256, alloc_batch_256, box_batch_256, n);
  row("16-byte, layout known at run time", malloc_one_16, alloc_one_16, box_one_rt, n);
  {
    bench_fn f[2] = {alloc_one_a64, box_one_a64};
    double med[2], min[2];
    measure(2, f, n, med, min);
    printf("%-34s %7s %7.2f %7.2f %+8.1f%% %9s  | %+8.1f%%\n", "64-byte, align 64 (general form)",
           "-", med[0], med[1], pct(med[1], med[0]), "-", pct(min[1], min[0]));
  }
  printf("\n%-34s %7s %7s\n", "operation, ns per pair", "median", "fastest");
  bench_fn f[2] = {rc_pair, arc_pair};
  double med[2], min[2];
  measure(2, f, n, med, min);
  printf("%-34s %7.2f %7.2f\n", "own_rc_clone + own_rc_drop", med[0], min[0]);
  printf("%-34s %7.2f %7.2f\n", "own_arc_clone + own_arc_drop", med[1], min[1]);
  own_rc_drop(shared_rc);
  own_arc_drop(shared_arc);
  return 0;
}
