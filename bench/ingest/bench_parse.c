/* Result-line parsing alone: every line of a JSONL file through the jansson path
 * (provider_parse_result_json) and through provider_parse_result (the scanner, jansson when it
 * declines), best of three passes each; prints us per line and how many lines the scanner took.
 * Not part of ctest; see README.md ("Result-line scanner") for how to build and run it.
 *   bench_parse FILE.jsonl [openai|anthropic] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "provider_impl.h"
#include "result_scan.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef bt_status (*parse_fn)(bt_provider_kind, const char *, size_t, bt_result *, bt_error *);

/* Seconds for one pass over the lines; *bad counts lines the parser refused. */
static double pass(parse_fn fn, bt_provider_kind kind, char *data, size_t size, size_t *bad) {
  double t0 = now_s();
  *bad = 0;
  for (char *p = data, *end = data + size; p < end;) {
    char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
    bt_result r;
    bt_error err;
    if (fn(kind, p, len, &r, &err))
      ++*bad;
    else
      result_cleanup(&r);
    p += len + 1;
  }
  return now_s() - t0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_parse FILE.jsonl [openai|anthropic]\n");
    return 2;
  }
  bt_provider_kind kind =
      argc > 2 && !strcmp(argv[2], "anthropic") ? PROVIDER_ANTHROPIC : PROVIDER_OPENAI;
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    perror(argv[1]);
    return 1;
  }
  fseek(f, 0, SEEK_END);
  size_t size = (size_t)ftell(f);
  rewind(f);
  char *data = malloc(size + 1);
  if (!data || fread(data, 1, size, f) != size) {
    fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  fclose(f);
  size_t lines = 0, taken = 0;
  for (char *p = data, *end = data + size; p < end;) {
    char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
    bt_result r;
    lines++;
    if (result_scan(kind, p, len, &r)) {
      taken++;
      result_cleanup(&r);
    }
    p += len + 1;
  }
  double best[2] = {1e9, 1e9};
  size_t bad[2];
  parse_fn fns[2] = {provider_parse_result_json, provider_parse_result};
  for (int rep = 0; rep < 3; rep++) {
    for (int k = 0; k < 2; k++) {
      double t = pass(fns[k], kind, data, size, &bad[k]);
      if (t < best[k])
        best[k] = t;
    }
  }
  printf("%zu lines (%.1f MB), scanner took %zu\n", lines, (double)size / 1e6, taken);
  printf("jansson:            %.3f s  %.2f us/line  (%zu refused)\n", best[0],
         best[0] / (double)lines * 1e6, bad[0]);
  printf("scanner + fallback: %.3f s  %.2f us/line  (%zu refused)  %.1fx\n", best[1],
         best[1] / (double)lines * 1e6, bad[1], best[0] / best[1]);
  free(data);
  return 0;
}
