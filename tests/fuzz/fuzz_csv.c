/* libFuzzer target: the CSV/TSV reader on arbitrary bytes (first byte picks the separator). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  bt_input_format fmt = size && (data[0] & 1) ? BT_INPUT_TSV : BT_INPUT_CSV;
  bt_input *in = NULL;
  bt_error err;
  if (input_open_mem((const char *)data, size, "fuzz.csv", fmt, &in, &err) != BT_OK)
    return 0;
  const bt_record *rec;
  size_t total = 0;
  while (input_next(in, &rec, &err) == BT_OK && rec) {
    if (rec->n != input_n_names(in))
      __builtin_trap(); /* a record always matches the header */
    for (size_t i = 0; i < rec->n; i++)
      if (strlen(rec->values[i]) != rec->lens[i])
        __builtin_trap();
      else
        total += rec->lens[i];
  }
  (void)total;
  input_close(in);
  return 0;
}
