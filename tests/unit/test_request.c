/* Unit tests: request lines per provider (checked with jansson field by field), the JSON string
 * escaper, custom_id rules, endpoints, and the chunker's limits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "chunker.h"
#include "request.h"
#include "testutil.h"

static json_t *build(bt_provider p, bt_endpoint e, const char *model, int64_t mt,
                     const char *params, const char *sys, const char *user) {
  bt_request_spec spec = {p, e, model, mt, params};
  bt_buf out;
  buf_init(&out, 0);
  assert_int_equal(
      request_build(&spec, "row-1", 5, sys, sys ? strlen(sys) : 0, user, strlen(user), &out),
      BT_OK);
  assert_null(strchr(buf_str(&out), '\n')); /* one line */
  json_error_t je;
  json_t *j = json_loads(buf_str(&out), JSON_REJECT_DUPLICATES, &je);
  if (!j)
    fail_msg("invalid JSON (%s): %s", je.text, buf_str(&out));
  buf_cleanup(&out);
  return j;
}

static const char *str_at(json_t *j, const char *path) {
  /* path like "body.messages.0.content" */
  char buf[256];
  snprintf(buf, sizeof buf, "%s", path);
  json_t *cur = j;
  for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, "."))
    cur = json_is_array(cur) ? json_array_get(cur, (size_t)atoi(tok)) : json_object_get(cur, tok);
  return json_string_value(cur);
}

static void test_openai_chat(void **state) {
  (void)state;
  const char *user = "Q: \"quoted\" \\ back\nnew\ttab \x01 ctl \xe2\x80\xa8 ls \xf0\x9f\x99\x82";
  json_t *j = build(BT_PROVIDER_OPENAI, BT_EP_CHAT, "gpt-4o-mini", 5, ",\"temperature\":0",
                    "Be brief.", user);
  assert_int_equal(json_object_size(j), 4);
  assert_string_equal(str_at(j, "custom_id"), "row-1");
  assert_string_equal(str_at(j, "method"), "POST");
  assert_string_equal(str_at(j, "url"), "/v1/chat/completions");
  assert_string_equal(str_at(j, "body.model"), "gpt-4o-mini");
  assert_string_equal(str_at(j, "body.messages.0.role"), "system");
  assert_string_equal(str_at(j, "body.messages.0.content"), "Be brief.");
  assert_string_equal(str_at(j, "body.messages.1.role"), "user");
  assert_string_equal(str_at(j, "body.messages.1.content"), user); /* round trip, U+2028 kept */
  json_t *body = json_object_get(j, "body");
  assert_int_equal(json_integer_value(json_object_get(body, "max_tokens")), 5);
  assert_int_equal(json_integer_value(json_object_get(body, "temperature")), 0);
  assert_null(json_object_get(body, "stream"));
  json_decref(j);
  /* no system: the user message is the only one; reasoning models get max_completion_tokens */
  j = build(BT_PROVIDER_OPENAI, BT_EP_CHAT, "gpt-5-mini", 7, "", NULL, "hi");
  body = json_object_get(j, "body");
  assert_int_equal(json_array_size(json_object_get(body, "messages")), 1);
  assert_int_equal(json_integer_value(json_object_get(body, "max_completion_tokens")), 7);
  assert_null(json_object_get(body, "max_tokens"));
  json_decref(j);
}

static void test_escaper_raw(void **state) {
  (void)state;
  bt_buf b;
  buf_init(&b, 0);
  assert_int_equal(request_put_json_string(&b, "a\"b\\c\n\x1f\x7f\xe2\x80\xa8", 11), BT_OK);
  assert_string_equal(buf_str(&b), "\"a\\\"b\\\\c\\n\\u001f\x7f\xe2\x80\xa8\"");
  /* every byte below 0x20 escaped, nothing else touched */
  char all[128];
  for (int i = 1; i < 128; i++)
    all[i - 1] = (char)i;
  buf_reset(&b);
  assert_int_equal(request_put_json_string(&b, all, 127), BT_OK);
  json_error_t je;
  json_t *j = json_loads(buf_str(&b), JSON_DECODE_ANY, &je);
  if (!j)
    fail_msg("%s at %d: %s", je.text, je.position, buf_str(&b));
  assert_int_equal(json_string_length(j), 127);
  assert_memory_equal(json_string_value(j), all, 127);
  json_decref(j);
  buf_cleanup(&b);
}

static void test_openai_other_endpoints(void **state) {
  (void)state;
  json_t *j = build(BT_PROVIDER_OPENAI, BT_EP_RESPONSES, "gpt-5", 100, "", "Sys", "Hello");
  assert_string_equal(str_at(j, "url"), "/v1/responses");
  assert_string_equal(str_at(j, "body.instructions"), "Sys");
  assert_string_equal(str_at(j, "body.input"), "Hello");
  assert_int_equal(
      json_integer_value(json_object_get(json_object_get(j, "body"), "max_output_tokens")), 100);
  json_decref(j);
  j = build(BT_PROVIDER_OPENAI, BT_EP_EMBEDDINGS, "text-embedding-3-small", 100, "", NULL,
            "embed me");
  assert_string_equal(str_at(j, "url"), "/v1/embeddings");
  assert_string_equal(str_at(j, "body.input"), "embed me");
  assert_int_equal(json_object_size(json_object_get(j, "body")), 2);
  json_decref(j);
}

static void test_anthropic(void **state) {
  (void)state;
  json_t *j = build(BT_PROVIDER_ANTHROPIC, BT_EP_MESSAGES, "claude-haiku-4-5", 64,
                    ",\"temperature\":0.5", "You are terse.", "Hi");
  assert_int_equal(json_object_size(j), 2);
  assert_string_equal(str_at(j, "custom_id"), "row-1");
  json_t *p = json_object_get(j, "params");
  assert_string_equal(str_at(p, "model"), "claude-haiku-4-5");
  assert_int_equal(json_integer_value(json_object_get(p, "max_tokens")), 64);
  assert_string_equal(str_at(p, "system"), "You are terse.");
  assert_int_equal(json_array_size(json_object_get(p, "messages")), 1);
  assert_string_equal(str_at(p, "messages.0.role"), "user");
  assert_string_equal(str_at(p, "messages.0.content"), "Hi");
  assert_true(json_real_value(json_object_get(p, "temperature")) == 0.5);
  json_decref(j);
}

static void test_local(void **state) {
  (void)state;
  json_t *j = build(BT_PROVIDER_LOCAL, BT_EP_CHAT, "llama", 10, "", "S", "U");
  assert_null(json_object_get(j, "custom_id"));
  assert_string_equal(str_at(j, "model"), "llama");
  assert_string_equal(str_at(j, "messages.0.content"), "S");
  assert_string_equal(str_at(j, "messages.1.content"), "U");
  assert_int_equal(json_integer_value(json_object_get(j, "max_tokens")), 10);
  json_decref(j);
}

static void test_names_and_ids(void **state) {
  (void)state;
  bt_provider p;
  bt_endpoint e;
  bt_error err;
  assert_int_equal(request_provider_parse("anthropic", &p, &err), BT_OK);
  assert_int_equal(p, BT_PROVIDER_ANTHROPIC);
  assert_int_equal(request_provider_parse("gemini", &p, &err), BT_ERR_USAGE);
  assert_int_equal(request_endpoint_parse(BT_PROVIDER_ANTHROPIC, NULL, &e, &err), BT_OK);
  assert_string_equal(request_endpoint_path(e), "/v1/messages");
  assert_int_equal(request_endpoint_parse(BT_PROVIDER_OPENAI, NULL, &e, &err), BT_OK);
  assert_string_equal(request_endpoint_path(e), "/v1/chat/completions");
  assert_int_equal(request_endpoint_parse(BT_PROVIDER_OPENAI, "/v1/responses", &e, &err), BT_OK);
  assert_int_equal(e, BT_EP_RESPONSES);
  assert_int_equal(request_endpoint_parse(BT_PROVIDER_OPENAI, "/v1/embeddings", &e, &err), BT_OK);
  assert_int_equal(request_endpoint_parse(BT_PROVIDER_OPENAI, "/v1/messages", &e, &err),
                   BT_ERR_USAGE);
  assert_int_equal(request_endpoint_parse(BT_PROVIDER_LOCAL, "/v1/responses", &e, &err),
                   BT_ERR_USAGE);
  const char *why;
  assert_true(request_custom_id_ok(BT_PROVIDER_ANTHROPIC, "row-1_A", 7, &why));
  assert_false(request_custom_id_ok(BT_PROVIDER_ANTHROPIC, "row 1", 5, &why));
  assert_false(request_custom_id_ok(BT_PROVIDER_ANTHROPIC, "", 0, &why));
  char long_id[66];
  memset(long_id, 'a', 65);
  long_id[65] = '\0';
  assert_false(request_custom_id_ok(BT_PROVIDER_ANTHROPIC, long_id, 65, &why));
  assert_non_null(strstr(why, "64"));
  assert_true(request_custom_id_ok(BT_PROVIDER_ANTHROPIC, long_id, 64, &why));
  assert_true(request_custom_id_ok(BT_PROVIDER_OPENAI, "row 1/é", 8, &why));
  bt_provider_limits lim;
  request_limits(BT_PROVIDER_OPENAI, &lim);
  assert_int_equal(lim.max_requests, 50000);
  assert_int_equal(lim.max_file_bytes, 200000000);
  request_limits(BT_PROVIDER_ANTHROPIC, &lim);
  assert_int_equal(lim.max_requests, 100000);
  assert_int_equal(lim.max_file_bytes, 256000000);
}

static void test_chunker(void **state) {
  (void)state;
  bt_chunker c;
  int64_t chunk;
  int starts;
  bt_error err;
  chunker_init_limits(&c, 3, 100);
  for (int i = 0; i < 3; i++) { /* 10 bytes each with the newline */
    assert_int_equal(chunker_add(&c, 9, &chunk, &starts, &err), BT_OK);
    assert_int_equal(chunk, 0);
    assert_int_equal(starts, i == 0);
  }
  assert_int_equal(chunker_add(&c, 9, &chunk, &starts, &err), BT_OK); /* 4th: count limit */
  assert_int_equal(chunk, 1);
  assert_int_equal(starts, 1);
  assert_int_equal(chunker_add(&c, 89, &chunk, &starts, &err), BT_OK); /* 10 + 90 = 100 fits */
  assert_int_equal(chunk, 1);
  assert_int_equal(chunker_add(&c, 0, &chunk, &starts, &err), BT_OK); /* 101 > 100: new one */
  assert_int_equal(chunk, 2);
  assert_int_equal(chunker_add(&c, 100, &chunk, &starts, &err), BT_ERR_LIMIT); /* 101 alone */
  assert_int_equal(chunker_count(&c), 3);
  assert_int_equal(c.total_requests, 6);
  /* provider limits and --chunk-size */
  chunker_init(&c, BT_PROVIDER_OPENAI, 0);
  assert_int_equal(c.max_requests, 50000);
  assert_true(c.max_bytes > 199000000 && c.max_bytes < 200000000);
  chunker_init(&c, BT_PROVIDER_ANTHROPIC, 250);
  assert_int_equal(c.max_requests, 250);
  chunker_init(&c, BT_PROVIDER_OPENAI, 70000); /* above the provider's limit: the limit wins */
  assert_int_equal(c.max_requests, 50000);
  for (int i = 0; i < 50001; i++)
    assert_int_equal(chunker_add(&c, 100, &chunk, NULL, &err), BT_OK);
  assert_int_equal(chunker_count(&c), 2);
  chunker_init(&c, BT_PROVIDER_LOCAL, 0);
  assert_int_equal(c.max_requests, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_openai_chat),
      cmocka_unit_test(test_escaper_raw),
      cmocka_unit_test(test_openai_other_endpoints),
      cmocka_unit_test(test_anthropic),
      cmocka_unit_test(test_local),
      cmocka_unit_test(test_names_and_ids),
      cmocka_unit_test(test_chunker),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
