/* libFuzzer target: the export's flat reading of input rows against jansson. For any text,
 * results_csv_inputs (json_flat_get when it takes the row, jansson when it declines) must
 * write the same cells as jansson alone; and results_fmt_cost must print any double as
 * "%.8f" does. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"id", "text", "a", "", "\xc3\xa9", NULL, "b", "a"};
enum { NF = sizeof names / sizeof names[0] };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  char *fast = NULL, *slow = NULL, *scratch = malloc(size + 1);
  size_t nfast = 0, nslow = 0;
  FILE *f = open_memstream(&fast, &nfast), *g = open_memstream(&slow, &nslow);
  json_flat_value vals[NF];
  results_csv_inputs(f, text, size, names, NF, vals, scratch);
  results_csv_inputs_json(g, text, names, NF);
  fclose(f);
  fclose(g);
  if (nfast != nslow || memcmp(fast, slow, nfast))
    __builtin_trap();
  free(fast);
  free(slow);
  free(scratch);
  free(text);
  if (size >= sizeof(double)) {
    double v;
    memcpy(&v, data, sizeof v);
    char a[RESULTS_COST_MAX], b[RESULTS_COST_MAX];
    results_fmt_cost(a, v);
    snprintf(b, sizeof b, "%.8f", v);
    if (strcmp(a, b))
      __builtin_trap();
  }
  return 0;
}
