/* batchtop-sim's faults, auth and direct endpoints over real HTTP (real clock): 429 bursts with
 * their headers in both envelopes, 5xx and 529, dropped connections, slow bodies, content rules
 * on direct calls with fail_first, keys, the admin config, config files. BT_TEST_TSAN. */
#include <unistd.h>

#include "test_sim_http.h"

static int setup(void **state) {
  sim_config cfg;
  sim_config_defaults(&cfg);
  snprintf(cfg.openai_key, sizeof cfg.openai_key, "sk-test");
  cfg.seed = 7;
  th_start(&cfg, false);
  return 0;
}

static int teardown(void **state) {
  th_stop();
  return 0;
}

static void admin(const char *json) {
  th_resp r = th_call("POST", "/admin/config", json, TH_NONE, NULL);
  if (r.status != 200)
    fail_msg("admin config %s: %ld %s", json, r.status, r.body);
  th_free(&r);
}

static const char *chat = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\","
                          "\"content\":\"Is the sky blue?\"}]}";
static const char *message = "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":20,\"messages\":[{"
                             "\"role\":\"user\",\"content\":\"Is the sky blue?\"}]}";

static void test_burst_429_openai_and_anthropic(void **state) {
  admin("{\"burst_429\":2,\"retry_after_ms\":1500}");
  th_resp r = th_call("POST", "/v1/chat/completions", chat, TH_OPENAI, NULL);
  char v[128];
  assert_int_equal(r.status, 429);
  assert_string_equal(th_header(&r, "retry-after-ms", v, sizeof v), "1500");
  assert_string_equal(th_header(&r, "retry-after", v, sizeof v), "2");
  assert_string_equal(th_header(&r, "x-ratelimit-remaining-requests", v, sizeof v), "0");
  assert_string_equal(th_header(&r, "x-ratelimit-reset-requests", v, sizeof v), "1.5s");
  json_t *j = json_loads(r.body, 0, NULL);
  assert_string_equal(th_str(json_object_get(j, "error"), "code"), "rate_limit_exceeded");
  json_decref(j);
  th_free(&r);
  r = th_call("POST", "/v1/messages", message, TH_ANTHROPIC, NULL);
  assert_int_equal(r.status, 429);
  assert_non_null(th_header(&r, "retry-after", v, sizeof v));
  assert_string_equal(th_header(&r, "anthropic-ratelimit-requests-remaining", v, sizeof v), "0");
  j = json_loads(r.body, 0, NULL);
  assert_string_equal(th_str(j, "type"), "error");
  assert_string_equal(th_str(json_object_get(j, "error"), "type"), "rate_limit_error");
  json_decref(j);
  th_free(&r);
  r = th_call("POST", "/v1/chat/completions", chat, TH_OPENAI, NULL); /* burst spent */
  assert_int_equal(r.status, 200);
  assert_string_equal(th_header(&r, "x-ratelimit-remaining-requests", v, sizeof v), "9999");
  th_free(&r);
  json_t *st = th_json("GET", "/admin/stats", NULL, TH_NONE, 200);
  assert_int_equal(th_int(json_object_get(st, "faults"), "429"), 2);
  assert_int_equal(th_int(json_object_get(st, "config"), "burst_429"), 0);
  json_decref(st);
}

static void test_5xx_drop_and_slow(void **state) {
  admin("{\"burst_5xx\":2,\"error_codes\":[529]}");
  th_resp r = th_call("POST", "/v1/messages", message, TH_ANTHROPIC, NULL);
  assert_int_equal(r.status, 529);
  json_t *j = json_loads(r.body, 0, NULL);
  assert_string_equal(th_str(json_object_get(j, "error"), "type"), "overloaded_error");
  json_decref(j);
  th_free(&r);
  r = th_call("GET", "/v1/batches", NULL, TH_OPENAI, NULL);
  assert_int_equal(r.status, 503); /* OpenAI has no 529 */
  th_free(&r);

  admin("{\"drop_next\":1}");
  r = th_call("GET", "/v1/batches", NULL, TH_OPENAI, NULL);
  assert_int_equal(r.curl, CURLE_GOT_NOTHING);
  th_free(&r);
  r = th_call("GET", "/v1/batches", NULL, TH_OPENAI, NULL);
  assert_int_equal(r.status, 200);
  th_free(&r);

  admin("{\"slow_body_ms\":400}");
  r = th_call("POST", "/v1/chat/completions", chat, TH_OPENAI, NULL);
  assert_int_equal(r.status, 200);
  assert_true(r.seconds >= 0.3);
  j = json_loads(r.body, 0, NULL);
  assert_non_null(j); /* the whole body arrives */
  json_decref(j);
  th_free(&r);
  admin("{\"slow_body_ms\":0}");
  r = th_call("GET", "/admin/stats", NULL, TH_NONE, NULL); /* admin is never faulted */
  assert_int_equal(r.status, 200);
  th_free(&r);
}

static const char *mb_create = "{\"requests\":[{\"custom_id\":\"a\",\"params\":{\"model\":"
                               "\"claude-haiku-4-5\",\"max_tokens\":5,\"messages\":[{\"role\":"
                               "\"user\",\"content\":\"hi\"}]}}]}";

static long long anthropic_batches(void) {
  json_t *st = th_json("GET", "/admin/stats", NULL, TH_NONE, 200);
  long long n =
      json_integer_value(json_object_get(json_object_get(st, "batches_created"), "anthropic"));
  json_decref(st);
  return n;
}

/* The create path's faults: a held create exists only once performed, a lost answer still
 * leaves the batch, HTML and cut JSON come with a 200, lists garble or fail, skip spares one. */
static void test_create_and_list_faults(void **state) {
  admin("{\"create_delay_ms\":300}");
  th_resp r = th_call("POST", "/v1/messages/batches", mb_create, TH_ANTHROPIC, NULL);
  assert_int_equal(r.status, 200);
  assert_true(r.seconds >= 0.25);
  th_free(&r);
  assert_int_equal(anthropic_batches(), 1);
  admin("{\"create_delay_ms\":0,\"create_fault_skip\":1,\"create_lost_next\":1,"
        "\"create_html_next\":1,\"create_cut_next\":1}");
  r = th_call("POST", "/v1/messages/batches", mb_create, TH_ANTHROPIC, NULL); /* skipped */
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "message_batch"));
  th_free(&r);
  r = th_call("POST", "/v1/messages/batches", mb_create, TH_ANTHROPIC, NULL);
  assert_int_equal(r.curl, CURLE_GOT_NOTHING); /* lost, but made */
  th_free(&r);
  assert_int_equal(anthropic_batches(), 3);
  r = th_call("POST", "/v1/messages/batches", mb_create, TH_ANTHROPIC, NULL);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "<html>"));
  th_free(&r);
  r = th_call("POST", "/v1/messages/batches", mb_create, TH_ANTHROPIC, NULL);
  assert_int_equal(r.status, 200);
  json_t *j = json_loads(r.body, 0, NULL);
  assert_null(j); /* half of it */
  th_free(&r);
  assert_int_equal(anthropic_batches(), 5);
  admin("{\"list_5xx_next\":1,\"list_html_next\":1,\"list_cut_next\":1}");
  r = th_call("GET", "/v1/messages/batches", NULL, TH_ANTHROPIC, NULL);
  assert_int_equal(r.status, 500);
  th_free(&r);
  r = th_call("GET", "/v1/messages/batches", NULL, TH_ANTHROPIC, NULL);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "<html>"));
  th_free(&r);
  r = th_call("GET", "/v1/messages/batches", NULL, TH_ANTHROPIC, NULL);
  assert_int_equal(r.status, 200);
  j = json_loads(r.body, 0, NULL);
  assert_null(j);
  th_free(&r);
  r = th_call("GET", "/v1/messages/batches", NULL, TH_ANTHROPIC, NULL); /* spent */
  assert_int_equal(r.status, 200);
  j = json_loads(r.body, 0, NULL);
  assert_int_equal(json_array_size(json_object_get(j, "data")), 5);
  json_decref(j);
  th_free(&r);
}

static void test_hanging_direct_call_is_closed_after_the_window(void **state) {
  admin("{\"hang_if_contains\":\"stall\",\"window_ms\":300}");
  const char *stall = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
                      "\"please stall\"}]}";
  th_resp r = th_call("POST", "/v1/chat/completions", stall, TH_OPENAI, NULL);
  if (r.curl != CURLE_GOT_NOTHING)
    fail_msg("curl %d status %ld after %.2fs: %s", r.curl, r.status, r.seconds, r.body);
  assert_true(r.seconds >= 0.25);
  th_free(&r);
  r = th_call("POST", "/v1/chat/completions", chat, TH_OPENAI, NULL); /* others still answered */
  assert_int_equal(r.status, 200);
  th_free(&r);
  /* a connection still held when the server stops (teardown) is released, not leaked */
  admin("{\"window_ms\":600000}");
  th_timeout_s = 1;
  r = th_call("POST", "/v1/messages",
              "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\","
              "\"content\":\"stall\"}]}",
              TH_ANTHROPIC, NULL);
  th_timeout_s = 20;
  assert_int_equal(r.curl, CURLE_OPERATION_TIMEDOUT);
  th_free(&r);
}

static void test_auth(void **state) {
  th_resp r = th_call("GET", "/v1/batches", NULL, TH_NONE, NULL);
  assert_int_equal(r.status, 401);
  json_t *j = json_loads(r.body, 0, NULL);
  assert_true(json_is_null(json_object_get(json_object_get(j, "error"), "code")));
  json_decref(j);
  th_free(&r);
  const char *wrong[] = {"Authorization: Bearer sk-wrong", NULL};
  r = th_call("GET", "/v1/batches", NULL, TH_NONE, wrong);
  assert_int_equal(r.status, 401);
  assert_null(strstr(r.body, "sk-wrong")); /* keys are never echoed */
  j = json_loads(r.body, 0, NULL);
  assert_string_equal(th_str(json_object_get(j, "error"), "code"), "invalid_api_key");
  json_decref(j);
  th_free(&r);
  /* Anthropic: any key by default, as x-api-key or Bearer; anthropic-version required */
  const char *bearer[] = {"Authorization: Bearer sk-ant-any", "anthropic-version: 2023-06-01",
                          NULL};
  r = th_call("GET", "/v1/messages/batches", NULL, TH_NONE, bearer);
  assert_int_equal(r.status, 200);
  th_free(&r);
  const char *nover[] = {"x-api-key: k", NULL};
  r = th_call("GET", "/v1/messages/batches", NULL, TH_NONE, nover);
  assert_int_equal(r.status, 400);
  th_free(&r);
  const char *none[] = {"anthropic-version: 2023-06-01", NULL};
  r = th_call("GET", "/v1/messages/batches", NULL, TH_NONE, none);
  assert_int_equal(r.status, 401);
  j = json_loads(r.body, 0, NULL);
  assert_string_equal(th_str(json_object_get(j, "error"), "type"), "authentication_error");
  json_decref(j);
  th_free(&r);
}

static void test_direct_endpoints_and_fail_first(void **state) {
  admin("{\"fail_if_contains\":\"DOUBLE-charged\",\"fail_first\":1}");
  const char *bad = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":"
                    "\"I was double-charged\"}]}";
  th_resp r = th_call("POST", "/v1/chat/completions", bad, TH_OPENAI, NULL);
  assert_int_equal(r.status, 500);
  th_free(&r);
  r = th_call("POST", "/v1/chat/completions", bad, TH_OPENAI, NULL); /* the retry succeeds */
  assert_int_equal(r.status, 200);
  th_free(&r);
  json_t *j = th_json("POST", "/v1/responses",
                      "{\"model\":\"gpt-5\",\"input\":\"Rate as low, medium or high.\","
                      "\"max_output_tokens\":50}",
                      TH_OPENAI, 200);
  assert_string_equal(th_str(j, "object"), "response");
  const char *text =
      th_str(json_array_get(
                 json_object_get(json_array_get(json_object_get(j, "output"), 0), "content"), 0),
             "text");
  assert_true(!strcmp(text, "low") || !strcmp(text, "medium") || !strcmp(text, "high"));
  json_decref(j);
  j = th_json("POST", "/v1/embeddings",
              "{\"model\":\"text-embedding-3-small\",\"input\":[\"a\",\"b\"],\"dimensions\":8}",
              TH_OPENAI, 200);
  json_t *data = json_object_get(j, "data");
  assert_int_equal(json_array_size(data), 2);
  assert_int_equal(json_array_size(json_object_get(json_array_get(data, 1), "embedding")), 8);
  json_decref(j);
  j = th_json("POST", "/v1/chat/completions", "{\"model\":\"m\"}", TH_OPENAI, 400);
  json_decref(j);
  j = th_json("POST", "/v1/chat/completions", "{not json", TH_OPENAI, 400);
  json_decref(j);
  j = th_json("GET", "/v1/nothing/here", NULL, TH_OPENAI, 404);
  json_decref(j);
  json_t *st = th_json("GET", "/admin/stats", NULL, TH_NONE, 200);
  assert_int_equal(th_int(json_object_get(st, "calls"), "POST /v1/chat/completions"), 4);
  assert_int_equal(th_int(st, "direct_executions"), 4);
  json_decref(st);
}

static void test_config_file_and_flags(void **state) {
  char *dir = tu_tmpdir();
  char *good = tu_write_file(dir, "good.conf",
                             "# a comment\n"
                             "request_ms = 5   # fast\n"
                             "\n"
                             "token-limit = gpt-4o-mini=1000\n"
                             "fix = true\n");
  sim_config cfg;
  sim_config_defaults(&cfg);
  char err[256];
  assert_int_equal(sim_config_load_file(&cfg, good, err, sizeof err), 0);
  assert_true(cfg.request_ms == 5);
  assert_true(cfg.fix);
  assert_int_equal(cfg.n_token_limits, 1);
  assert_int_equal(cfg.token_limits[0].limit, 1000);
  char *bad = tu_write_file(dir, "bad.conf", "request_ms = 5\nwindow_ms = soon\n");
  assert_int_equal(sim_config_load_file(&cfg, bad, err, sizeof err), -1);
  assert_non_null(strstr(err, "bad.conf:2:13:"));
  char *js = tu_write_file(dir, "c.json", "{\"burst_429\": 3, \"error_rate\": 0.5}");
  assert_int_equal(sim_config_load_file(&cfg, js, err, sizeof err), 0);
  assert_int_equal(cfg.burst_429, 3);
  assert_int_equal(sim_config_set(&cfg, "fail_status", "700", err, sizeof err), -1);
  assert_int_equal(sim_config_set(&cfg, "error_codes", "500,418", err, sizeof err), -1);
  assert_int_equal(sim_config_set(&cfg, "nope", "1", err, sizeof err), -1);
  sim_config before = cfg;
  /* JSON is all or nothing */
  assert_int_equal(
      sim_config_apply_json(&cfg, "{\"fix\":false,\"threads\":0}", 26, err, sizeof err), -1);
  assert_true(cfg.fix == before.fix);
  free(good);
  free(bad);
  free(js);
  tu_rmtree(dir);
  free(dir);
}

/* faults_poll.c: poll_fault, poll_status, echo_key and conflict_results rewrite answers. */
static void test_poll_key_and_conflict_faults(void **state) {
  json_t *b = th_json("POST", "/v1/messages/batches",
                      "{\"requests\":[{\"custom_id\":\"c1\",\"params\":{\"model\":"
                      "\"claude-haiku-4-5\",\"max_tokens\":9,\"messages\":[{\"role\":\"user\","
                      "\"content\":\"Is the sky blue?\"}]}}]}",
                      TH_ANTHROPIC, 200);
  char path[128];
  snprintf(path, sizeof path, "/v1/messages/batches/%s", th_str(b, "id"));
  json_decref(b);
  char v[128];
  admin("{\"poll_fault\":\"html\"}");
  th_resp r = th_call("GET", path, NULL, TH_ANTHROPIC, NULL);
  assert_int_equal(r.status, 200);
  assert_string_equal(th_header(&r, "content-type", v, sizeof v), "text/html");
  assert_non_null(strstr(r.body, "<html>"));
  th_free(&r);
  admin("{\"poll_fault\":\"cut\"}");
  r = th_call("GET", path, NULL, TH_ANTHROPIC, NULL);
  assert_int_equal(r.status, 200);
  assert_null(json_loadb(r.body, r.len, 0, NULL));
  assert_true(r.len > 10);
  th_free(&r);
  admin("{\"poll_fault\":\"404\"}");
  r = th_call("GET", path, NULL, TH_ANTHROPIC, NULL);
  assert_int_equal(r.status, 404);
  assert_non_null(strstr(r.body, "not_found_error"));
  th_free(&r);
  r = th_call("POST", "/admin/config", "{\"poll_fault\":\"teapot\"}", TH_NONE, NULL);
  assert_int_equal(r.status, 400); /* only 404, html, cut */
  th_free(&r);
  admin("{\"poll_fault\":\"\",\"poll_status\":\"pondering\"}");
  b = th_json("GET", path, NULL, TH_ANTHROPIC, 200);
  assert_string_equal(th_str(b, "processing_status"), "pondering");
  json_decref(b);
  admin("{\"poll_status\":\"\"}");
  b = th_json("GET", path, NULL, TH_ANTHROPIC, 200);
  assert_string_equal(th_str(b, "processing_status"), "in_progress");
  json_decref(b);

  /* echo_key: the caller's key in a 4xx body (here the 401 of a wrong key) */
  admin("{\"echo_key\":true,\"conflict_results\":true}");
  const char *const wrong[] = {"Authorization: Bearer sk-wrong-1", NULL};
  r = th_call("GET", "/v1/batches", NULL, TH_NONE, wrong);
  assert_int_equal(r.status, 401);
  assert_non_null(strstr(r.body, "sk-wrong-1"));
  th_free(&r);

  /* conflict_results and echo_key on the results: 500, cut, success, 500 for c1; the errored
   * lines carry the key */
  for (int i = 0; i < 100; i++) {
    b = th_json("GET", path, NULL, TH_ANTHROPIC, 200);
    int ended = !strcmp(th_str(b, "processing_status"), "ended");
    json_decref(b);
    if (ended)
      break;
    usleep(20000);
  }
  char rpath[160];
  snprintf(rpath, sizeof rpath, "%s/results", path);
  r = th_call("GET", rpath, NULL, TH_ANTHROPIC, NULL);
  assert_int_equal(r.status, 200);
  int lines = 0, errored = 0, succeeded = 0, unreadable = 0, echoed = 0;
  for (char *line = strtok(r.body, "\n"); line; line = strtok(NULL, "\n")) {
    lines++;
    echoed += strstr(line, "sk-ant-test") != NULL;
    json_t *j = json_loads(line, 0, NULL);
    if (!j) {
      unreadable++;
      continue;
    }
    assert_string_equal(th_str(j, "custom_id"), "c1");
    const char *type = th_str(json_object_get(j, "result"), "type");
    errored += !strcmp(type, "errored");
    succeeded += !strcmp(type, "succeeded");
    json_decref(j);
  }
  assert_int_equal(lines, 4);
  assert_int_equal(succeeded, 1);
  assert_int_equal(errored, 2);
  assert_int_equal(unreadable, 1);
  assert_int_equal(echoed, 2);
  th_free(&r);
}

int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_burst_429_openai_and_anthropic, setup, teardown),
      cmocka_unit_test_setup_teardown(test_5xx_drop_and_slow, setup, teardown),
      cmocka_unit_test_setup_teardown(test_create_and_list_faults, setup, teardown),
      cmocka_unit_test_setup_teardown(test_hanging_direct_call_is_closed_after_the_window, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_auth, setup, teardown),
      cmocka_unit_test_setup_teardown(test_poll_key_and_conflict_faults, setup, teardown),
      cmocka_unit_test_setup_teardown(test_direct_endpoints_and_fail_first, setup, teardown),
      cmocka_unit_test(test_config_file_and_flags),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
