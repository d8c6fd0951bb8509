/* libFuzzer target: the JSONL reader on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  bt_input *in = NULL;
  bt_error err;
  if (input_open_mem((const char *)data, size, "fuzz.jsonl", BT_INPUT_JSONL, &in, &err) != BT_OK)
    return 0;
  const bt_record *rec;
  while (input_next(in, &rec, &err) == BT_OK && rec) {
    for (size_t i = 0; i < rec->n; i++) {
      if (strlen(rec->values[i]) != rec->lens[i])
        __builtin_trap();
      if (record_find(rec, rec->names[i]) != (long)i) /* keys are unique */
        __builtin_trap();
    }
  }
  input_close(in);
  return 0;
}
