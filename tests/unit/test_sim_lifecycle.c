/* Batch lifecycles of batchtop-sim over HTTP, on a fake clock: OpenAI validating -> in_progress
 * (counts rising) -> finalizing -> completed, validation failures, expiry with partial results,
 * cancel and 409, list paging, token limits; Anthropic processing counts, results, cancel,
 * delete, paging; and the stats endpoint. The server is threaded: BT_TEST_TSAN. */
#include "test_sim_http.h"

#define LINE(id, text)                                                                             \
  "{\"custom_id\":\"" id "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{"      \
  "\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"" text "\"}]}}\n"

static int setup(void **state) {
  sim_config cfg;
  sim_config_defaults(&cfg);
  cfg.validate_ms = 1000;
  cfg.request_ms = 100;
  cfg.finalize_ms = 1000;
  cfg.cancel_ms = 500;
  cfg.window_ms = 100000;
  snprintf(cfg.fail_if_contains, sizeof cfg.fail_if_contains, "explode");
  snprintf(cfg.hang_if_contains, sizeof cfg.hang_if_contains, "forever");
  cfg.seed = 42;
  th_start(&cfg, true);
  return 0;
}

static int teardown(void **state) {
  th_stop();
  return 0;
}

static json_t *create_batch(const char *input) {
  char *fid = th_upload(input);
  char body[256];
  snprintf(body, sizeof body,
           "{\"input_file_id\":\"%s\",\"endpoint\":\"/v1/chat/completions\","
           "\"completion_window\":\"24h\",\"metadata\":{\"job\":\"t\"}}",
           fid);
  free(fid);
  return th_json("POST", "/v1/batches", body, TH_OPENAI, 200);
}

static json_t *get_batch(const char *id) {
  char path[128];
  snprintf(path, sizeof path, "/v1/batches/%s", id);
  return th_json("GET", path, NULL, TH_OPENAI, 200);
}

static char *file_content(const char *fid) {
  char path[128];
  snprintf(path, sizeof path, "/v1/files/%s/content", fid);
  th_resp r = th_call("GET", path, NULL, TH_OPENAI, NULL);
  assert_int_equal(r.status, 200);
  char ct[64];
  assert_non_null(th_header(&r, "content-type", ct, sizeof ct));
  assert_string_equal(ct, "application/octet-stream");
  char *body = r.body;
  r.body = NULL;
  th_free(&r);
  return body;
}

/* custom_id -> line, for a JSONL file */
static json_t *by_custom_id(const char *text) {
  json_t *lines = th_jsonl(text), *map = json_object();
  size_t i;
  json_t *l;
  json_array_foreach(lines, i, l) json_object_set(map, th_str(l, "custom_id"), l);
  json_decref(lines);
  return map;
}

static void test_openai_happy_path(void **state) {
  json_t *b = create_batch(LINE("a", "Label this as bug, feature or praise.")
                               LINE("b", "hello there") LINE("c", "please explode"));
  const char *id = th_str(b, "id");
  char bid[64];
  snprintf(bid, sizeof bid, "%s", id);
  assert_string_equal(th_str(b, "status"), "validating");
  assert_string_equal(th_str(b, "object"), "batch");
  assert_int_equal(th_int(b, "request_counts.total"), 0);
  assert_int_equal(th_int(b, "created_at"), 1790000000);
  assert_true(json_is_null(json_object_get(b, "in_progress_at")));
  assert_true(json_is_null(json_object_get(b, "output_file_id")));
  assert_string_equal(th_str(json_object_get(b, "metadata"), "job"), "t");
  /* every key of the Batch object is present */
  static const char *const keys[] = {"id",
                                     "object",
                                     "endpoint",
                                     "model",
                                     "errors",
                                     "input_file_id",
                                     "completion_window",
                                     "status",
                                     "output_file_id",
                                     "error_file_id",
                                     "created_at",
                                     "in_progress_at",
                                     "expires_at",
                                     "finalizing_at",
                                     "completed_at",
                                     "failed_at",
                                     "expired_at",
                                     "cancelling_at",
                                     "cancelled_at",
                                     "request_counts",
                                     "usage",
                                     "metadata"};
  for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
    assert_non_null(json_object_get(b, keys[k]));
  json_decref(b);

  th_advance(999);
  b = get_batch(bid);
  assert_string_equal(th_str(b, "status"), "validating");
  json_decref(b);
  th_advance(1);
  b = get_batch(bid);
  assert_string_equal(th_str(b, "status"), "in_progress");
  assert_int_equal(th_int(b, "request_counts.total"), 3);
  assert_int_equal(th_int(b, "request_counts.completed"), 0);
  assert_string_equal(th_str(b, "model"), "gpt-4o-mini");
  json_decref(b);
  th_advance(100); /* counts rise one request at a time */
  b = get_batch(bid);
  assert_int_equal(th_int(b, "request_counts.completed"), 1);
  assert_string_equal(th_str(b, "status"), "in_progress");
  json_decref(b);
  th_advance(200);
  b = get_batch(bid);
  assert_string_equal(th_str(b, "status"), "finalizing");
  assert_int_equal(th_int(b, "request_counts.completed"), 2);
  assert_int_equal(th_int(b, "request_counts.failed"), 1);
  assert_true(json_is_null(json_object_get(b, "output_file_id")));
  json_decref(b);
  th_advance(1000);
  b = get_batch(bid);
  assert_string_equal(th_str(b, "status"), "completed");
  assert_int_equal(th_int(b, "completed_at"), 1790000002);
  assert_true(th_int(b, "usage.input_tokens") > 0);

  char *out = file_content(th_str(b, "output_file_id"));
  char *err = file_content(th_str(b, "error_file_id"));
  json_t *ok = by_custom_id(out), *bad = by_custom_id(err);
  assert_int_equal(json_object_size(ok), 2);
  assert_int_equal(json_object_size(bad), 1);
  json_t *a = json_object_get(ok, "a");
  assert_int_equal(th_int(a, "response.status_code"), 200);
  const char *answer = th_str(
      json_object_get(
          json_array_get(
              json_object_get(json_object_get(json_object_get(a, "response"), "body"), "choices"),
              0),
          "message"),
      "content");
  assert_true(!strcmp(answer, "bug") || !strcmp(answer, "feature") || !strcmp(answer, "praise"));
  json_t *c = json_object_get(bad, "c");
  assert_int_equal(th_int(c, "response.status_code"), 500);
  assert_true(json_is_null(json_object_get(c, "error")));
  json_decref(ok);
  json_decref(bad);
  free(out);
  free(err);

  /* cancelling a finished batch: 409 */
  char path[128];
  snprintf(path, sizeof path, "/v1/batches/%s/cancel", bid);
  json_t *e = th_json("POST", path, NULL, TH_OPENAI, 409);
  assert_non_null(strstr(th_str(json_object_get(e, "error"), "message"), "completed"));
  json_decref(e);
  json_decref(b);
}

static void test_openai_validation_fails_async(void **state) {
  json_t *b = create_batch("not json\n"
                           "{\"custom_id\":\"x\",\"method\":\"POST\",\"body\":{}}\n"
                           "{\"custom_id\":\"y\",\"method\":\"POST\",\"url\":\"/v1/embeddings\","
                           "\"body\":{\"model\":\"m\",\"messages\":[]}}\n" LINE("z", "ok")
                               LINE("z", "again"));
  char bid[64];
  snprintf(bid, sizeof bid, "%s", th_str(b, "id"));
  assert_string_equal(th_str(b, "status"), "validating"); /* a 200 create */
  json_decref(b);
  th_advance(1000);
  b = get_batch(bid);
  assert_string_equal(th_str(b, "status"), "failed");
  assert_int_equal(th_int(b, "failed_at"), 1790000000 + 1);
  json_t *data = json_object_get(json_object_get(b, "errors"), "data");
  assert_int_equal(json_array_size(data), 4);
  assert_string_equal(th_str(json_array_get(data, 0), "code"), "invalid_json_line");
  assert_int_equal(th_int(json_array_get(data, 0), "line"), 1);
  assert_string_equal(th_str(json_array_get(data, 1), "code"), "missing_required_parameter");
  assert_string_equal(th_str(json_array_get(data, 1), "param"), "url");
  assert_string_equal(th_str(json_array_get(data, 2), "code"), "invalid_url");
  assert_string_equal(th_str(json_array_get(data, 3), "code"), "duplicate_custom_id");
  assert_int_equal(th_int(json_array_get(data, 3), "line"), 5);
  assert_int_equal(th_int(b, "request_counts.total"), 0);
  json_decref(b);

  /* a missing input file is not a create-time error either */
  b = th_json("POST", "/v1/batches",
              "{\"input_file_id\":\"file-nope\",\"endpoint\":\"/v1/chat/completions\","
              "\"completion_window\":\"24h\"}",
              TH_OPENAI, 200);
  snprintf(bid, sizeof bid, "%s", th_str(b, "id"));
  json_decref(b);
  th_advance(1000);
  b = get_batch(bid);
  assert_string_equal(th_str(b, "status"), "failed");
  json_t *e0 = json_array_get(json_object_get(json_object_get(b, "errors"), "data"), 0);
  assert_string_equal(th_str(e0, "code"), "invalid_request");
  assert_string_equal(th_str(e0, "param"), "file_id");
  assert_true(json_is_null(json_object_get(e0, "line")));
  json_decref(b);

  /* create-body errors are immediate 400s */
  json_t *e = th_json("POST", "/v1/batches",
                      "{\"input_file_id\":\"f\",\"endpoint\":\"/v1/nope\",\"completion_window\":"
                      "\"24h\"}",
                      TH_OPENAI, 400);
  assert_string_equal(th_str(json_object_get(e, "error"), "code"), "invalid_value");
  assert_string_equal(th_str(json_object_get(e, "error"), "param"), "endpoint");
  json_decref(e);
  e = th_json("POST", "/v1/batches",
              "{\"input_file_id\":\"f\",\"endpoint\":\"/v1/chat/completions\","
              "\"completion_window\":\"48h\"}",
              TH_OPENAI, 400);
  assert_string_equal(th_str(json_object_get(e, "error"), "param"), "completion_window");
  json_decref(e);
  e = th_json("POST", "/v1/batches",
              "{\"input_file_id\":\"f\",\"endpoint\":\"/v1/chat/completions\","
              "\"completion_window\":\"24h\",\"metadata\":{\"tags\":[1]}}",
              TH_OPENAI, 400);
  assert_string_equal(th_str(json_object_get(e, "error"), "param"), "metadata.tags");
  assert_string_equal(th_str(json_object_get(e, "error"), "code"), "invalid_type");
  json_decref(e);
  e = th_json("GET", "/v1/batches/batch_nope", NULL, TH_OPENAI, 404);
  json_decref(e);
}

static void test_openai_expiry_keeps_partial_results(void **state) {
  json_t *b = create_batch(LINE("p", "fine") LINE("q", "wait forever") LINE("r", "also fine"));
  char bid[64];
  snprintf(bid, sizeof bid, "%s", th_str(b, "id"));
  assert_int_equal(th_int(b, "expires_at"), 1790000000 + 100);
  json_decref(b);
  th_advance(5000);
  b = get_batch(bid);
  assert_string_equal(th_str(b, "status"), "in_progress"); /* one request never finishes */
  assert_int_equal(th_int(b, "request_counts.completed"), 2);
  json_decref(b);
  th_advance(95000);
  b = get_batch(bid);
  assert_string_equal(th_str(b, "status"), "expired");
  assert_int_equal(th_int(b, "expired_at"), 1790000000 + 100);
  char *out = file_content(th_str(b, "output_file_id"));
  char *err = file_content(th_str(b, "error_file_id"));
  json_t *ok = by_custom_id(out), *bad = by_custom_id(err);
  assert_int_equal(json_object_size(ok), 2);
  json_t *q = json_object_get(bad, "q");
  assert_true(json_is_null(json_object_get(q, "response")));
  assert_string_equal(th_str(json_object_get(q, "error"), "code"), "batch_expired");
  json_decref(ok);
  json_decref(bad);
  free(out);
  free(err);
  json_decref(b);
}

static void test_openai_cancel(void **state) {
  json_t *b = create_batch(LINE("c1", "one") LINE("c2", "two") LINE("c3", "three"));
  char bid[64], path[128];
  snprintf(bid, sizeof bid, "%s", th_str(b, "id"));
  json_decref(b);
  th_advance(1100); /* one request done */
  snprintf(path, sizeof path, "/v1/batches/%s/cancel", bid);
  b = th_json("POST", path, NULL, TH_OPENAI, 200);
  assert_string_equal(th_str(b, "status"), "cancelling");
  assert_int_equal(th_int(b, "cancelling_at"), 1790000000 + 1);
  json_decref(b);
  b = th_json("POST", path, NULL, TH_OPENAI, 200); /* again: fine */
  json_decref(b);
  th_advance(500);
  b = get_batch(bid);
  assert_string_equal(th_str(b, "status"), "cancelled");
  assert_int_equal(th_int(b, "request_counts.completed"), 1);
  assert_int_equal(th_int(b, "request_counts.failed"), 0);
  char *err = file_content(th_str(b, "error_file_id"));
  json_t *bad = by_custom_id(err);
  assert_int_equal(json_object_size(bad), 2);
  assert_string_equal(th_str(json_object_get(json_object_get(bad, "c3"), "error"), "code"),
                      "batch_cancelled");
  json_decref(bad);
  free(err);
  json_decref(b);
  b = th_json("POST", path, NULL, TH_OPENAI, 200); /* cancelled: still a 200 no-op */
  assert_string_equal(th_str(b, "status"), "cancelled");
  json_decref(b);
}

static void test_openai_list_pages_newest_first(void **state) {
  char ids[3][64];
  for (int i = 0; i < 3; i++) {
    json_t *b = create_batch(LINE("l", "x"));
    snprintf(ids[i], sizeof ids[i], "%s", th_str(b, "id"));
    json_decref(b);
  }
  json_t *page = th_json("GET", "/v1/batches?limit=2", NULL, TH_OPENAI, 200);
  json_t *data = json_object_get(page, "data");
  assert_int_equal(json_array_size(data), 2);
  assert_string_equal(th_str(json_array_get(data, 0), "id"), ids[2]);
  assert_string_equal(th_str(json_array_get(data, 1), "id"), ids[1]);
  assert_true(json_is_true(json_object_get(page, "has_more")));
  assert_string_equal(th_str(page, "first_id"), ids[2]);
  assert_string_equal(th_str(page, "last_id"), ids[1]);
  char path[128];
  snprintf(path, sizeof path, "/v1/batches?limit=2&after=%s", ids[1]);
  json_decref(page);
  page = th_json("GET", path, NULL, TH_OPENAI, 200);
  assert_string_equal(th_str(json_array_get(json_object_get(page, "data"), 0), "id"), ids[0]);
  json_decref(page);
  json_t *e = th_json("GET", "/v1/batches?limit=0", NULL, TH_OPENAI, 400);
  json_decref(e);
}

static void test_openai_token_limit(void **state) {
  th_resp r =
      th_call("POST", "/admin/config", "{\"token_limit\":{\"gpt-4o-mini\":5}}", TH_NONE, NULL);
  assert_int_equal(r.status, 200);
  th_free(&r);
  json_t *b = create_batch(LINE("t", "a prompt long enough to need more than five tokens"));
  char bid[64];
  snprintf(bid, sizeof bid, "%s", th_str(b, "id"));
  json_decref(b);
  th_advance(1000);
  b = get_batch(bid);
  assert_string_equal(th_str(b, "status"), "failed");
  json_t *e0 = json_array_get(json_object_get(json_object_get(b, "errors"), "data"), 0);
  assert_string_equal(th_str(e0, "code"), "token_limit_exceeded");
  assert_non_null(strstr(th_str(e0, "message"), "Enqueued token limit reached for gpt-4o-mini"));
  json_decref(b);
  r = th_call("POST", "/admin/config", "{\"token_limit\":{}}", TH_NONE, NULL);
  th_free(&r);
}

static json_t *get_mb(const char *id) {
  char path[128];
  snprintf(path, sizeof path, "/v1/messages/batches/%s", id);
  return th_json("GET", path, NULL, TH_ANTHROPIC, 200);
}

#define AREQ(id, text, extra)                                                                      \
  "{\"custom_id\":\"" id "\",\"params\":{\"model\":\"claude-haiku-4-5\"," extra                    \
  "\"messages\":[{\"role\":\"user\",\"content\":\"" text "\"}]}}"

static void test_anthropic_lifecycle(void **state) {
  json_t *b = th_json(
      "POST", "/v1/messages/batches",
      "{\"requests\":[" AREQ("m1", "Classify as good or bad.", "\"max_tokens\":9,") "," AREQ(
          "m2", "no max tokens", "") "," AREQ("m3", "explode", "\"max_tokens\":9,") "]}",
      TH_ANTHROPIC, 200);
  char bid[64];
  snprintf(bid, sizeof bid, "%s", th_str(b, "id"));
  assert_string_equal(th_str(b, "type"), "message_batch");
  assert_string_equal(th_str(b, "processing_status"), "in_progress");
  assert_string_equal(th_str(b, "created_at"), "2026-09-21T14:13:20.000000Z");
  assert_string_equal(th_str(b, "expires_at"), "2026-09-21T14:15:00.000000Z");
  assert_true(json_is_null(json_object_get(b, "results_url")));
  json_decref(b);
  th_advance(1250); /* two of three requests ran: still all in processing */
  b = get_mb(bid);
  assert_int_equal(th_int(b, "request_counts.processing"), 3);
  assert_int_equal(th_int(b, "request_counts.succeeded"), 0);
  json_decref(b);
  th_advance(1100);
  b = get_mb(bid);
  assert_string_equal(th_str(b, "processing_status"), "ended");
  assert_int_equal(th_int(b, "request_counts.processing"), 0);
  assert_int_equal(th_int(b, "request_counts.succeeded"), 1);
  assert_int_equal(th_int(b, "request_counts.errored"), 2);
  const char *url = th_str(b, "results_url");
  assert_non_null(url);
  const char *path = strstr(url, "/v1/");
  th_resp r = th_call("GET", path, NULL, TH_ANTHROPIC, NULL);
  assert_int_equal(r.status, 200);
  json_t *res = by_custom_id(r.body);
  th_free(&r);
  json_t *m1 = json_object_get(json_object_get(res, "m1"), "result");
  assert_string_equal(th_str(m1, "type"), "succeeded");
  json_t *content0 = json_array_get(json_object_get(json_object_get(m1, "message"), "content"), 0);
  assert_true(!strcmp(th_str(content0, "text"), "good") ||
              !strcmp(th_str(content0, "text"), "bad"));
  json_t *m2 = json_object_get(json_object_get(res, "m2"), "result");
  assert_string_equal(th_str(m2, "type"), "errored");
  /* the doubly nested error */
  json_t *inner = json_object_get(json_object_get(m2, "error"), "error");
  assert_string_equal(th_str(inner, "type"), "invalid_request_error");
  json_t *m3 = json_object_get(json_object_get(res, "m3"), "result");
  assert_string_equal(th_str(json_object_get(json_object_get(m3, "error"), "error"), "type"),
                      "api_error");
  json_decref(res);
  json_decref(b);

  char p[160];
  snprintf(p, sizeof p, "/v1/messages/batches/%s", bid);
  json_t *d = th_json("DELETE", p, NULL, TH_ANTHROPIC, 200);
  assert_string_equal(th_str(d, "type"), "message_batch_deleted");
  json_decref(d);
  d = th_json("GET", p, NULL, TH_ANTHROPIC, 404);
  assert_string_equal(th_str(d, "type"), "error");
  assert_string_equal(th_str(json_object_get(d, "error"), "type"), "not_found_error");
  json_decref(d);
}

static void test_anthropic_cancel_delete_and_create_errors(void **state) {
  json_t *b = th_json("POST", "/v1/messages/batches",
                      "{\"requests\":[" AREQ("k1", "a", "\"max_tokens\":5,") "," AREQ(
                          "k2", "b", "\"max_tokens\":5,") "]}",
                      TH_ANTHROPIC, 200);
  char bid[64], p[160];
  snprintf(bid, sizeof bid, "%s", th_str(b, "id"));
  json_decref(b);
  snprintf(p, sizeof p, "/v1/messages/batches/%s", bid);
  json_t *e = th_json("DELETE", p, NULL, TH_ANTHROPIC, 400); /* not ended */
  json_decref(e);
  th_advance(1100);
  snprintf(p, sizeof p, "/v1/messages/batches/%s/cancel", bid);
  b = th_json("POST", p, NULL, TH_ANTHROPIC, 200);
  assert_string_equal(th_str(b, "processing_status"), "canceling");
  assert_false(json_is_null(json_object_get(b, "cancel_initiated_at")));
  json_decref(b);
  th_advance(500);
  b = get_mb(bid);
  assert_string_equal(th_str(b, "processing_status"), "ended");
  assert_int_equal(th_int(b, "request_counts.succeeded"), 1);
  assert_int_equal(th_int(b, "request_counts.canceled"), 1);
  json_decref(b);

  e = th_json("POST", "/v1/messages/batches",
              "{\"requests\":[" AREQ("this-custom-id-is-far-too-long-for-anthropic-because-it-"
                                     "has-more-than-64-chars",
                                     "x", "\"max_tokens\":5,") "]}",
              TH_ANTHROPIC, 400);
  assert_string_equal(th_str(json_object_get(e, "error"), "message"),
                      "requests.0.custom_id: String should have at most 64 characters");
  json_decref(e);
  e = th_json("POST", "/v1/messages/batches",
              "{\"requests\":[" AREQ("d", "x", "") "," AREQ("d", "y", "") "]}", TH_ANTHROPIC, 400);
  json_decref(e);
}

static void test_anthropic_list_paging(void **state) {
  char ids[3][64];
  for (int i = 0; i < 3; i++) {
    json_t *b =
        th_json("POST", "/v1/messages/batches",
                "{\"requests\":[" AREQ("one", "x", "\"max_tokens\":5,") "]}", TH_ANTHROPIC, 200);
    snprintf(ids[i], sizeof ids[i], "%s", th_str(b, "id"));
    json_decref(b);
  }
  json_t *page = th_json("GET", "/v1/messages/batches?limit=2", NULL, TH_ANTHROPIC, 200);
  assert_string_equal(th_str(page, "first_id"), ids[2]);
  assert_string_equal(th_str(page, "last_id"), ids[1]);
  assert_true(json_is_true(json_object_get(page, "has_more")));
  json_decref(page);
  char path[160];
  snprintf(path, sizeof path, "/v1/messages/batches?limit=2&after_id=%s", ids[1]);
  page = th_json("GET", path, NULL, TH_ANTHROPIC, 200);
  assert_string_equal(th_str(page, "first_id"), ids[0]);
  json_decref(page);
  snprintf(path, sizeof path, "/v1/messages/batches?limit=1&before_id=%s", ids[0]);
  page = th_json("GET", path, NULL, TH_ANTHROPIC, 200);
  assert_string_equal(th_str(page, "first_id"), ids[1]);
  assert_true(json_is_true(json_object_get(page, "has_more")));
  json_decref(page);
}

static void test_stats_and_retry_switch(void **state) {
  th_resp r = th_call("POST", "/admin/reset", "", TH_NONE, NULL);
  th_free(&r);
  r = th_call("POST", "/admin/config", "{\"fail_first\":1}", TH_NONE, NULL);
  th_free(&r);
  /* the first execution fails, the retry (same custom_id, new batch) succeeds */
  for (int attempt = 0; attempt < 2; attempt++) {
    json_t *b = create_batch(LINE("retry-me", "explode once"));
    char bid[64];
    snprintf(bid, sizeof bid, "%s", th_str(b, "id"));
    json_decref(b);
    th_advance(2200);
    b = get_batch(bid);
    assert_string_equal(th_str(b, "status"), "completed");
    assert_int_equal(th_int(b, "request_counts.failed"), attempt == 0 ? 1 : 0);
    json_decref(b);
  }
  json_t *st = th_json("GET", "/admin/stats", NULL, TH_NONE, 200);
  assert_int_equal(th_int(st, "executions.retry-me"), 2);
  assert_int_equal(th_int(st, "batches_created.openai"), 2);
  assert_int_equal(th_int(st, "files_uploaded"), 2);
  assert_int_equal(th_int(json_object_get(st, "calls"), "POST /v1/batches"), 2);
  assert_true(th_int(st, "max_executions_per_custom_id") == 2);
  json_decref(st);

  /* fix: the rule stops applying at all */
  r = th_call("POST", "/admin/config", "{\"fix\":true,\"fail_first\":0}", TH_NONE, NULL);
  th_free(&r);
  json_t *b = create_batch(LINE("never-fails", "explode"));
  char bid[64];
  snprintf(bid, sizeof bid, "%s", th_str(b, "id"));
  json_decref(b);
  th_advance(2200);
  b = get_batch(bid);
  assert_int_equal(th_int(b, "request_counts.failed"), 0);
  json_decref(b);
  json_t *bad = th_json("POST", "/admin/config", "{\"no_such_setting\":1}", TH_NONE, 400);
  json_decref(bad);
  r = th_call("POST", "/admin/config", "{\"fix\":false}", TH_NONE, NULL);
  th_free(&r);
}

int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_openai_happy_path, setup, teardown),
      cmocka_unit_test_setup_teardown(test_openai_validation_fails_async, setup, teardown),
      cmocka_unit_test_setup_teardown(test_openai_expiry_keeps_partial_results, setup, teardown),
      cmocka_unit_test_setup_teardown(test_openai_cancel, setup, teardown),
      cmocka_unit_test_setup_teardown(test_openai_list_pages_newest_first, setup, teardown),
      cmocka_unit_test_setup_teardown(test_openai_token_limit, setup, teardown),
      cmocka_unit_test_setup_teardown(test_anthropic_lifecycle, setup, teardown),
      cmocka_unit_test_setup_teardown(test_anthropic_cancel_delete_and_create_errors, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_anthropic_list_paging, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stats_and_retry_switch, setup, teardown),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
