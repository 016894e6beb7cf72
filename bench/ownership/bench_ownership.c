/* bench_ownership.c — what ownership costs over the allocation it wraps.
 *
 *   box      own_box_new + own_box_drop (default heap) vs own_alloc +
 *            own_dealloc of the very block Box allocates (header + value),
 *            and of the bare value; one at a time, and 1000 live at once.
 *   rc/arc   a clone + drop pair on a live value (the count goes 1 -> 2 -> 1).
 *
 * Times are the median of 9 runs, in ns per operation (per new+drop pair or
 * per clone+drop pair). `--count N` runs only N rc, arc and box operations,
 * for instruction counts under callgrind (see build.sh).
 */
#include <own/arc.h>
#include <own/box.h>
#include <own/heap.h>
#include <own/rc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUNS 9
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

typedef void (*bench_fn)(long n, own_layout_t l);

/* Times f(n, l) RUNS times; returns the median in ns per iteration. */
static double measure(bench_fn f, long n, own_layout_t l) {
  double t[RUNS];
  f(n / 10, l); /* warm up */
  for (int r = 0; r < RUNS; r++) {
    double t0 = now_ns();
    f(n, l);
    t[r] = (now_ns() - t0) / (double)n;
  }
  qsort(t, RUNS, sizeof t[0], cmp_double);
  return t[RUNS / 2];
}

/* Times two loops alternately (a run of one, then a run of the other), so
 * drift in the machine's speed affects both alike; medians in *ta, *tb. */
static void measure2(bench_fn fa, own_layout_t la, bench_fn fb, own_layout_t lb, long n,
                     double *ta, double *tb) {
  double a[RUNS], b[RUNS];
  fa(n / 10, la);
  fb(n / 10, lb);
  for (int r = 0; r < RUNS; r++) {
    double t0 = now_ns();
    fa(n, la);
    double t1 = now_ns();
    fb(n, lb);
    double t2 = now_ns();
    a[r] = (t1 - t0) / (double)n;
    b[r] = (t2 - t1) / (double)n;
  }
  qsort(a, RUNS, sizeof a[0], cmp_double);
  qsort(b, RUNS, sizeof b[0], cmp_double);
  *ta = a[RUNS / 2];
  *tb = b[RUNS / 2];
}

/* The block Box allocates for a value of layout l: a 32-byte header, then the
 * value at its alignment (own/box.h). */
static own_layout_t box_block(own_layout_t l) {
  own_layout_t hdr = {32, 8}, out;
  size_t off;
  own_layout_extend(hdr, l, &out, &off);
  return own_layout_pad_to_align(out);
}

static __attribute__((noinline)) void raw_one(long n, own_layout_t l) {
  for (long i = 0; i < n; i++) {
    void *p = own_alloc(l);
    *(char *)p = 1;
    keep(p);
    own_dealloc(p, l);
  }
}
static __attribute__((noinline)) void box_one(long n, own_layout_t l) {
  for (long i = 0; i < n; i++) {
    void *p = own_box_new(NULL, l, NULL);
    *(char *)p = 1;
    keep(p);
    own_box_drop(p);
  }
}
static void *slots[BATCH];
static __attribute__((noinline)) void raw_batch(long n, own_layout_t l) {
  for (long i = 0; i < n; i += BATCH) {
    for (int j = 0; j < BATCH; j++) {
      slots[j] = own_alloc(l);
      *(char *)slots[j] = 1;
    }
    keep(slots);
    for (int j = 0; j < BATCH; j++) own_dealloc(slots[j], l);
  }
}
static __attribute__((noinline)) void box_batch(long n, own_layout_t l) {
  for (long i = 0; i < n; i += BATCH) {
    for (int j = 0; j < BATCH; j++) {
      slots[j] = own_box_new(NULL, l, NULL);
      *(char *)slots[j] = 1;
    }
    keep(slots);
    for (int j = 0; j < BATCH; j++) own_box_drop(slots[j]);
  }
}

static void *shared_rc, *shared_arc;
static __attribute__((noinline)) void rc_pair(long n, own_layout_t l) {
  (void)l;
  for (long i = 0; i < n; i++) {
    void *c = own_rc_clone(shared_rc);
    keep(c);
    own_rc_drop(c);
  }
}
static __attribute__((noinline)) void arc_pair(long n, own_layout_t l) {
  (void)l;
  for (long i = 0; i < n; i++) {
    void *c = own_arc_clone(shared_arc);
    keep(c);
    own_arc_drop(c);
  }
}

int main(int argc, char **argv) {
  own_layout_t l16 = {16, 8};
  shared_rc = own_rc_new(NULL, l16, NULL);
  shared_arc = own_arc_new(NULL, l16, NULL);

  if (argc > 2 && strcmp(argv[1], "--count") == 0) {
    long n = atol(argv[2]);
    rc_pair(n, l16);
    arc_pair(n, l16);
    box_one(n, l16);
    raw_one(n, box_block(l16));
    box_batch(n, l16);
    raw_batch(n, box_block(l16));
    own_rc_drop(shared_rc);
    own_arc_drop(shared_arc);
    return 0;
  }

  long n = argc > 1 ? atol(argv[1]) : 5000000;
  static const size_t sizes[] = {16, 64, 256};
  printf("%-34s %10s %10s %10s %8s\n", "operation (ns per new+drop)", "raw value", "raw block",
         "box", "box/blk");
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    own_layout_t l = {sizes[i], 8};
    own_layout_t b = box_block(l);
    double rv = measure(raw_one, n, l), rb, bx;
    measure2(raw_one, b, box_one, l, n, &rb, &bx);
    printf("one at a time, %4zu-byte value     %10.2f %10.2f %10.2f %+7.1f%%\n", sizes[i], rv, rb, bx,
           100.0 * (bx / rb - 1));
    rv = measure(raw_batch, n, l);
    measure2(raw_batch, b, box_batch, l, n, &rb, &bx);
    printf("1000 live,     %4zu-byte value     %10.2f %10.2f %10.2f %+7.1f%%\n", sizes[i], rv, rb, bx,
           100.0 * (bx / rb - 1));
  }
  own_layout_t big = {64, 64};
  double rb, bx;
  measure2(raw_one, box_block(big), box_one, big, n, &rb, &bx);
  printf("one at a time, 64-byte, align 64   %10s %10.2f %10.2f %+7.1f%%\n", "-", rb, bx,
         100.0 * (bx / rb - 1));
  printf("\n%-34s %10s\n", "operation", "ns per pair");
  printf("%-34s %10.2f\n", "own_rc_clone + own_rc_drop", measure(rc_pair, n, l16));
  printf("%-34s %10.2f\n", "own_arc_clone + own_arc_drop", measure(arc_pair, n, l16));
  own_rc_drop(shared_rc);
  own_arc_drop(shared_arc);
  return 0;
}
