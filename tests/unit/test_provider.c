/* Unit tests: provider parsers on the JSON shapes of protocols.md (batch objects, list pages,
 * output/error lines, Anthropic results, local chat completions), and request building. */
#include <stdlib.h>
#include <string.h>

#include "provider.h"
#include "testutil.h"

#define PARSE_BATCH(kind, json, out)                                                       \
  do {                                                                                     \
    bt_error e_;                                                                           \
    assert_int_equal(provider_parse_batch(kind, json, strlen(json), out, &e_), BT_OK);      \
  } while (0)

static void test_openai_batch(void **state) {
  (void)state;
  const char *j =
      "{\"id\":\"batch_abc123\",\"object\":\"batch\",\"endpoint\":\"/v1/chat/completions\","
      "\"errors\":null,\"input_file_id\":\"file-abc123\",\"completion_window\":\"24h\","
      "\"status\":\"in_progress\",\"output_file_id\":null,\"error_file_id\":\"\","
      "\"created_at\":1711471533,\"in_progress_at\":1711471538,\"expires_at\":1711557933,"
      "\"finalizing_at\":null,\"completed_at\":null,\"failed_at\":null,\"expired_at\":null,"
      "\"request_counts\":{\"total\":100,\"completed\":95,\"failed\":2},"
      "\"metadata\":{\"batchtop_tag\":\"bt-abc-1-1\",\"batchtop_job\":\"abc\"}}";
  bt_remote_batch b;
  PARSE_BATCH(PROVIDER_OPENAI, j, &b);
  assert_string_equal(b.id, "batch_abc123");
  assert_string_equal(b.status, "in_progress");
  assert_false(b.terminal);
  assert_int_equal(b.total, 100);
  assert_int_equal(b.succeeded, 95);
  assert_int_equal(b.failed, 2);
  assert_null(b.output_file_id);
  assert_null(b.error_file_id); /* "" is absent (gotcha 15) */
  assert_string_equal(b.tag, "bt-abc-1-1");
  assert_int_equal(b.created_at_ms, 1711471533000LL);
  remote_batch_cleanup(&b);
  /* all failed: completed with no output file (gotcha 3); validation failure with errors */
  const char *f = "{\"id\":\"batch_x\",\"status\":\"failed\",\"errors\":{\"object\":\"list\","
                  "\"data\":[{\"code\":\"token_limit_exceeded\",\"message\":\"Enqueued token "
                  "limit reached\",\"param\":null,\"line\":null}]},\"request_counts\":"
                  "{\"total\":0,\"completed\":0,\"failed\":0},\"failed_at\":1711471600}";
  PARSE_BATCH(PROVIDER_OPENAI, f, &b);
  assert_true(b.terminal);
  assert_string_equal(b.error_code, "token_limit_exceeded");
  assert_int_equal(b.ended_at_ms, 1711471600000LL);
  remote_batch_cleanup(&b);
  bt_error err;
  assert_int_not_equal(provider_parse_batch(PROVIDER_OPENAI, "{}", 2, &b, &err), BT_OK);
}

static void test_openai_lines(void **state) {
  (void)state;
  bt_result r;
  bt_error err;
  const char *ok =
      "{\"id\":\"batch_req_1\",\"custom_id\":\"row-2\",\"response\":{\"status_code\":200,"
      "\"request_id\":\"req_1\",\"body\":{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\","
      "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"bug\"},"
      "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":22,\"completion_tokens\":2,"
      "\"total_tokens\":24,\"prompt_tokens_details\":{\"cached_tokens\":16}}}},\"error\":null}";
  assert_int_equal(provider_parse_result(PROVIDER_OPENAI, ok, strlen(ok), &r, &err), BT_OK);
  assert_string_equal(r.custom_id, "row-2");
  assert_int_equal(r.state, TASK_SUCCEEDED);
  assert_string_equal(r.output, "bug");
  assert_int_equal(r.input_tokens, 22);
  assert_int_equal(r.output_tokens, 2);
  assert_int_equal(r.cached_tokens, 16);
  assert_non_null(r.response);
  result_cleanup(&r);
  const char *http = "{\"id\":\"batch_req_2\",\"custom_id\":\"row-3\",\"response\":{"
                     "\"status_code\":404,\"body\":{\"error\":{\"message\":\"The model does not "
                     "exist\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":"
                     "\"model_not_found\"}}},\"error\":null}";
  assert_int_equal(provider_parse_result(PROVIDER_OPENAI, http, strlen(http), &r, &err), BT_OK);
  assert_int_equal(r.state, TASK_FAILED);
  assert_int_equal(r.http_status, 404);
  assert_string_equal(r.error_code, "model_not_found");
  result_cleanup(&r);
  const char *exp = "{\"id\":\"batch_req_3\",\"custom_id\":\"row-4\",\"response\":null,"
                    "\"error\":{\"code\":\"batch_expired\",\"message\":\"This request could not "
                    "be executed before the completion window expired.\"}}";
  assert_int_equal(provider_parse_result(PROVIDER_OPENAI, exp, strlen(exp), &r, &err), BT_OK);
  assert_int_equal(r.state, TASK_EXPIRED);
  result_cleanup(&r);
  const char *can = "{\"custom_id\":\"row-5\",\"response\":null,\"error\":{\"code\":"
                    "\"batch_cancelled\",\"message\":\"cancelled\"}}";
  assert_int_equal(provider_parse_result(PROVIDER_OPENAI, can, strlen(can), &r, &err), BT_OK);
  assert_int_equal(r.state, TASK_CANCELLED);
  result_cleanup(&r);
  assert_int_not_equal(provider_parse_result(PROVIDER_OPENAI, "{\"x\":1", 6, &r, &err), BT_OK);
  assert_int_not_equal(provider_parse_result(PROVIDER_OPENAI, "{}", 2, &r, &err), BT_OK);
}

static void test_anthropic(void **state) {
  (void)state;
  const char *j = "{\"id\":\"msgbatch_01\",\"type\":\"message_batch\",\"processing_status\":"
                  "\"ended\",\"request_counts\":{\"processing\":0,\"succeeded\":3,\"errored\":1,"
                  "\"canceled\":0,\"expired\":1},\"ended_at\":\"2024-09-24T19:37:24.100435Z\","
                  "\"created_at\":\"2024-09-24T18:37:24.100435Z\",\"expires_at\":"
                  "\"2024-09-25T18:37:24.100435Z\",\"archived_at\":null,\"cancel_initiated_at\":"
                  "null,\"results_url\":\"http://x/v1/messages/batches/msgbatch_01/results\"}";
  bt_remote_batch b;
  PARSE_BATCH(PROVIDER_ANTHROPIC, j, &b);
  assert_true(b.terminal);
  assert_string_equal(b.status, "completed");
  assert_int_equal(b.total, 5); /* all five buckets (gotcha 13) */
  assert_int_equal(b.succeeded, 3);
  assert_int_equal(b.created_at_ms, 1727203044100LL);
  assert_non_null(b.results_url);
  remote_batch_cleanup(&b);
  const char *p = "{\"id\":\"msgbatch_02\",\"processing_status\":\"canceling\","
                  "\"request_counts\":{\"processing\":2,\"succeeded\":0,\"errored\":0,"
                  "\"canceled\":0,\"expired\":0},\"created_at\":\"2024-09-24T18:37:24Z\","
                  "\"cancel_initiated_at\":\"2024-09-24T18:40:00Z\",\"results_url\":null}";
  PARSE_BATCH(PROVIDER_ANTHROPIC, p, &b);
  assert_false(b.terminal);
  assert_string_equal(b.status, "cancelling");
  assert_int_equal(b.total, 2);
  remote_batch_cleanup(&b);
  bt_result r;
  bt_error err;
  const char *ok = "{\"custom_id\":\"a\",\"result\":{\"type\":\"succeeded\",\"message\":{"
                   "\"id\":\"msg_1\",\"type\":\"message\",\"content\":[{\"type\":\"text\","
                   "\"text\":\"Hel\"},{\"type\":\"text\",\"text\":\"lo\"}],\"usage\":{"
                   "\"input_tokens\":10,\"output_tokens\":34}}}}";
  assert_int_equal(provider_parse_result(PROVIDER_ANTHROPIC, ok, strlen(ok), &r, &err), BT_OK);
  assert_int_equal(r.state, TASK_SUCCEEDED);
  assert_string_equal(r.output, "Hello");
  assert_int_equal(r.input_tokens, 10);
  assert_int_equal(r.output_tokens, 34);
  result_cleanup(&r);
  const char *bad = "{\"custom_id\":\"x\",\"result\":{\"type\":\"errored\",\"error\":{\"type\":"
                    "\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"max_"
                    "tokens: too large\"},\"request_id\":\"req_1\"}}}";
  assert_int_equal(provider_parse_result(PROVIDER_ANTHROPIC, bad, strlen(bad), &r, &err), BT_OK);
  assert_int_equal(r.state, TASK_FAILED);
  assert_string_equal(r.error_code, "invalid_request_error");
  assert_string_equal(r.error_message, "max_tokens: too large");
  result_cleanup(&r);
  const char *ex = "{\"custom_id\":\"z\",\"result\":{\"type\":\"expired\"}}";
  assert_int_equal(provider_parse_result(PROVIDER_ANTHROPIC, ex, strlen(ex), &r, &err), BT_OK);
  assert_int_equal(r.state, TASK_EXPIRED);
  result_cleanup(&r);
  const char *ca = "{\"custom_id\":\"y\",\"result\":{\"type\":\"canceled\"}}";
  assert_int_equal(provider_parse_result(PROVIDER_ANTHROPIC, ca, strlen(ca), &r, &err), BT_OK);
  assert_int_equal(r.state, TASK_CANCELLED);
  result_cleanup(&r);
  assert_int_equal(provider_parse_rfc3339("1970-01-01T00:00:01.5Z"), 1500);
  assert_int_equal(provider_parse_rfc3339("1970-01-01T01:00:00+01:00"), 0);
}

static void test_list(void **state) {
  (void)state;
  const char *j = "{\"object\":\"list\",\"data\":[{\"id\":\"batch_2\",\"status\":\"completed\","
                  "\"metadata\":{\"batchtop_tag\":\"t2\"}},{\"id\":\"batch_1\",\"status\":"
                  "\"validating\",\"metadata\":null}],\"first_id\":\"batch_2\",\"last_id\":"
                  "\"batch_1\",\"has_more\":true}";
  bt_remote_batch *items;
  size_t n;
  char *after;
  int more;
  bt_error err;
  assert_int_equal(
      provider_parse_list(PROVIDER_OPENAI, j, strlen(j), &items, &n, &after, &more, &err),
      BT_OK);
  assert_int_equal(n, 2);
  assert_true(more);
  assert_string_equal(after, "batch_1");
  assert_string_equal(items[0].tag, "t2");
  assert_null(items[1].tag);
  for (size_t i = 0; i < n; i++)
    remote_batch_cleanup(&items[i]);
  free(items);
  free(after);
}

static void test_local_exec(void **state) {
  (void)state;
  bt_result r;
  bt_error err;
  const char *ok = "{\"id\":\"chatcmpl-1\",\"choices\":[{\"message\":{\"role\":\"assistant\","
                   "\"content\":\"praise\"}}],\"usage\":{\"prompt_tokens\":5,"
                   "\"completion_tokens\":1}}";
  assert_int_equal(provider_parse_exec(200, ok, strlen(ok), &r, &err), BT_OK);
  assert_int_equal(r.state, TASK_SUCCEEDED);
  assert_string_equal(r.output, "praise");
  result_cleanup(&r);
  const char *bad = "{\"error\":{\"message\":\"bad\",\"type\":\"invalid_request_error\","
                    "\"code\":null}}";
  assert_int_equal(provider_parse_exec(400, bad, strlen(bad), &r, &err), BT_OK);
  assert_int_equal(r.state, TASK_FAILED);
  assert_string_equal(r.error_code, "invalid_request_error");
  result_cleanup(&r);
}

static void test_init_needs_key(void **state) {
  (void)state;
  bt_config cfg;
  config_init(&cfg);
  bt_provider_conn p;
  bt_error err;
  assert_int_equal(provider_init(&p, "openai", &cfg, &err), BT_ERR_AUTH);
  assert_non_null(strstr(err.message, "OPENAI_API_KEY"));
  assert_int_equal(provider_init(&p, "nope", &cfg, &err), BT_ERR_USAGE);
  assert_int_equal(provider_init(&p, "local", &cfg, &err), BT_OK);
  assert_string_equal(p.base_url, "http://127.0.0.1:8080/v1");
  provider_cleanup(&p);
  config_cleanup(&cfg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_openai_batch), cmocka_unit_test(test_openai_lines),
      cmocka_unit_test(test_anthropic),    cmocka_unit_test(test_list),
      cmocka_unit_test(test_local_exec),   cmocka_unit_test(test_init_needs_key),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
