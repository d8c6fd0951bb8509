/* provider_impl: what provider.c shares with provider_openai.c and provider_anthropic.c
 * (internal; pure functions over jansson values, any thread). */
#ifndef BT_PROVIDER_IMPL_H
#define BT_PROVIDER_IMPL_H

#include <jansson.h>

#include "provider.h"

bt_status provider_openai_parse_batch(json_t *o, bt_remote_batch *out);
bt_status provider_anthropic_parse_batch(json_t *o, bt_remote_batch *out);
bt_status provider_openai_parse_result(json_t *o, bt_result *out);
bt_status provider_anthropic_parse_result(json_t *o, bt_result *out);
/* Answer text and usage of a chat completion or Message into out. */
void provider_take_answer(json_t *body, bt_result *out);
/* Owned copy of a JSON string member; NULL when absent or "". */
char *provider_str(json_t *o, const char *key);

/* provider_parse_result without the scanner (core/result_scan.h): jansson parses the line.
 * The reference the scanner is tested against (tests/unit/test_result_scan.c,
 * tests/fuzz/fuzz_result.c). */
bt_status provider_parse_result_json(bt_provider_kind kind, const char *line, size_t len,
                                     bt_result *out, bt_error *err) BT_WUR;
/* Heap copy of len bytes plus a NUL; NULL when out of memory (the result keeps no response). */
char *provider_line_copy(const char *line, size_t len);
/* A failed OpenAI request's state from its error code: expired, cancelled or failed. */
bt_task_state provider_state_for_code(const char *code);
/* Error messages of the Anthropic results that never ran. */
#define PROVIDER_MSG_CANCELED "the batch was cancelled before this request ran"
#define PROVIDER_MSG_EXPIRED "the batch expired before this request ran"

#endif
