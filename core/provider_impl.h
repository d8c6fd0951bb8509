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
/* Answer text, usage and the compact body of a chat completion or Message into out. */
void provider_take_answer(json_t *body, bt_result *out);
/* Owned copy of a JSON string member; NULL when absent or "". */
char *provider_str(json_t *o, const char *key);

#endif
