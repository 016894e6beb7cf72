/* raii_file.c — RAII for a file: a FILE* owned by a box whose drop function
 * closes it, dropped at the end of its scope on every path, the early return
 * on error included.
 *
 * Rust's version of the idea: a File is closed when its owner goes out of
 * scope; `drop(file)` closes it earlier. Here:
 *   - struct log_file owns a FILE*; log_file_drop closes it;
 *   - OWN_SCOPED(own_box) drops the box when the scope ends;
 *   - OWN_DROP(own_box, lf) closes early and leaves NULL, so the scope drop
 *     does nothing afterwards (never a double fclose).
 */
#include <own/box.h>
#include <own/scope.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct log_file {
  FILE *f;
  const char *path;
  int lines;
};

static void log_file_drop(void *value) {
  struct log_file *lf = value;
  if (lf->f) {
    fclose(lf->f);
    printf("closed %s after %d lines\n", lf->path, lf->lines);
  }
}

/* Opens path for writing; NULL if it cannot (the box is dropped then). */
static struct log_file *log_open(const char *path) {
  OWN_SCOPED(own_box) struct log_file *lf = OWN_BOX_NEW(struct log_file, NULL, log_file_drop);
  lf->path = path;
  lf->lines = 0;
  lf->f = fopen(path, "w");
  if (!lf->f) return NULL; /* lf dropped: nothing open, memory freed */
  return OWN_TAKE(lf);     /* moved to the caller: not dropped here */
}

static int write_report(const char *path, int n) {
  OWN_SCOPED(own_box) struct log_file *lf = log_open(path);
  if (!lf) {
    fprintf(stderr, "cannot open %s\n", path);
    return -1;
  }
  for (int i = 0; i < n; i++) {
    if (fprintf(lf->f, "line %d\n", i) < 0) return -1; /* closed on this path too */
    lf->lines++;
  }
  return lf->lines;
} /* closed here */

static int count_lines(const char *path) {
  OWN_SCOPED(own_box) struct log_file *lf = OWN_BOX_NEW(struct log_file, NULL, log_file_drop);
  lf->path = path;
  lf->lines = 0;
  lf->f = fopen(path, "r");
  if (!lf->f) return -1;
  int c;
  while ((c = fgetc(lf->f)) != EOF) lf->lines += c == '\n';
  int n = lf->lines;
  OWN_DROP(own_box, lf); /* close early, as Rust's drop(file) */
  printf("(the scope drop that follows does nothing)\n");
  return n;
}

int main(int argc, char **argv) {
  char path[256];
  snprintf(path, sizeof path, "%s", argc > 1 ? argv[1] : "raii_file_example.txt");
  int written = write_report(path, 3);
  int read = count_lines(path);
  printf("wrote %d lines, read %d lines\n", written, read);
  remove(path);
  return written == 3 && read == 3 ? 0 : 1;
}
