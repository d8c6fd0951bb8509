/* libFuzzer target: the result-line scanner against jansson. Whenever result_scan() takes a
 * line, for either provider, its bt_result must equal provider_parse_result_json()'s field for
 * field; a line the scanner declines is jansson's alone, so nothing is asked of it. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "provider_impl.h"
#include "result_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_str(const char *a, const char *b) {
  return (!a && !b) || (a && b && !strcmp(a, b));
}

static void check(bt_provider_kind kind, const char *line, size_t size) {
  bt_result fast, slow;
  if (!result_scan(kind, line, size, &fast))
    return;
  bt_error err;
  if (provider_parse_result_json(kind, line, size, &slow, &err) != BT_OK)
    __builtin_trap(); /* the scanner took a line jansson refuses */
  if (!same_str(fast.custom_id, slow.custom_id) || fast.state != slow.state ||
      fast.http_status != slow.http_status || !same_str(fast.output, slow.output) ||
      !same_str(fast.error_code, slow.error_code) ||
      !same_str(fast.error_message, slow.error_message) || fast.input_tokens != slow.input_tokens ||
      fast.output_tokens != slow.output_tokens || fast.cached_tokens != slow.cached_tokens ||
      !fast.response || !slow.response || memcmp(fast.response, slow.response, size + 1))
    __builtin_trap();
  result_cleanup(&fast);
  result_cleanup(&slow);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check(PROVIDER_OPENAI, (const char *)data, size);
  check(PROVIDER_ANTHROPIC, (const char *)data, size);
  return 0;
}
