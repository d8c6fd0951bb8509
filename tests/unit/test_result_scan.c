/* Unit tests: the result-line scanner (core/result_scan.c) against the jansson path. Every
 * line goes through both: when the scanner takes it, the two results must agree field for
 * field; each test also says whether the scanner should take the line or leave it to jansson
 * (lines jansson refuses, and lines the scanner is not sure of). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider_impl.h"
#include "result_scan.h"
#include "results.h"
#include "testutil.h"

static void assert_same_str(const char *a, const char *b) {
  if (!a || !b)
    assert_ptr_equal(a, b);
  else
    assert_string_equal(a, b);
}

/* Parse with both paths; compare when the scanner takes the line. Returns 1 when it did, with
 * the result in *out (caller cleans up), else 0. jansson_ok: whether jansson accepts it. */
static int both(bt_provider_kind kind, const char *line, size_t len, bt_result *out,
                int *jansson_ok) {
  bt_result fast, slow;
  bt_error err;
  int taken = result_scan(kind, line, len, &fast);
  bt_status st = provider_parse_result_json(kind, line, len, &slow, &err);
  *jansson_ok = st == BT_OK;
  if (!taken) {
    /* Declined: out owns nothing, and the public entry gives exactly jansson's answer. */
    assert_null(fast.custom_id);
    assert_null(fast.response);
    bt_result pub;
    bt_error perr;
    assert_int_equal(provider_parse_result(kind, line, len, &pub, &perr), st);
    if (st == BT_OK) {
      assert_same_str(pub.custom_id, slow.custom_id);
      assert_same_str(pub.output, slow.output);
      assert_same_str(pub.error_code, slow.error_code);
      result_cleanup(&pub);
      result_cleanup(&slow);
    } else {
      assert_string_equal(perr.message, err.message);
      assert_int_equal(perr.column, err.column);
    }
    return 0;
  }
  assert_int_equal(st, BT_OK);
  assert_same_str(fast.custom_id, slow.custom_id);
  assert_int_equal(fast.state, slow.state);
  assert_int_equal(fast.http_status, slow.http_status);
  assert_same_str(fast.output, slow.output);
  assert_same_str(fast.response, slow.response);
  assert_same_str(fast.error_code, slow.error_code);
  assert_same_str(fast.error_message, slow.error_message);
  assert_int_equal(fast.input_tokens, slow.input_tokens);
  assert_int_equal(fast.output_tokens, slow.output_tokens);
  assert_int_equal(fast.cached_tokens, slow.cached_tokens);
  result_cleanup(&slow);
  *out = fast;
  return 1;
}

/* The scanner takes the line (and agrees with jansson); *out holds the result. */
static void taken(bt_provider_kind kind, const char *line, bt_result *out) {
  int ok;
  if (!both(kind, line, strlen(line), out, &ok))
    fail_msg("the scanner declined: %s", line);
}

/* The scanner leaves the line to jansson; jansson_ok says whether jansson accepts it. */
static void declined_n(bt_provider_kind kind, const char *line, size_t len, int jansson_ok) {
  bt_result r;
  int ok;
  if (both(kind, line, len, &r, &ok)) {
    result_cleanup(&r);
    fail_msg("the scanner took: %.*s", (int)len, line);
  }
  assert_int_equal(ok, jansson_ok);
}

static void declined(bt_provider_kind kind, const char *line, int jansson_ok) {
  declined_n(kind, line, strlen(line), jansson_ok);
}

/* A complete OpenAI output line around a body (the shape of bench/ingest/gen.py). */
static char *oa_line(const char *custom_id, int status, const char *body, const char *error) {
  static const char fmt[] = "{\"id\":\"batch_req_1\",\"custom_id\":\"%s\",\"response\":{"
                            "\"status_code\":%d,\"request_id\":\"req_1\",\"body\":%s},"
                            "\"error\":%s}";
  size_t n = strlen(fmt) + strlen(custom_id) + strlen(body) + strlen(error) + 16;
  char *s = malloc(n);
  assert_non_null(s);
  snprintf(s, n, fmt, custom_id, status, body, error);
  return s;
}

static char *oa_chat(const char *content_json) {
  static const char fmt[] =
      "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1711652795,"
      "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
      "\"content\":%s,\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
      "\"usage\":{\"prompt_tokens\":22,\"completion_tokens\":2,\"total_tokens\":24,"
      "\"prompt_tokens_details\":{\"cached_tokens\":16,\"audio_tokens\":0}},"
      "\"system_fingerprint\":\"fp_1\"}";
  size_t n = strlen(fmt) + strlen(content_json) + 1;
  char *s = malloc(n);
  assert_non_null(s);
  snprintf(s, n, fmt, content_json);
  return s;
}

static void test_openai_ok(void **state) {
  (void)state;
  char *body = oa_chat("\"label 2\"");
  char *line = oa_line("row-7", 200, body, "null");
  bt_result r;
  taken(PROVIDER_OPENAI, line, &r);
  assert_string_equal(r.custom_id, "row-7");
  assert_int_equal(r.state, TASK_SUCCEEDED);
  assert_int_equal(r.http_status, 200);
  assert_string_equal(r.output, "label 2");
  assert_int_equal(r.input_tokens, 22);
  assert_int_equal(r.output_tokens, 2);
  assert_int_equal(r.cached_tokens, 16);
  assert_string_equal(r.response, line);
  assert_null(r.error_code);
  result_cleanup(&r);
  /* The public entry takes the same line through the scanner. */
  bt_error err;
  assert_int_equal(provider_parse_result(PROVIDER_OPENAI, line, strlen(line), &r, &err), BT_OK);
  assert_string_equal(r.output, "label 2");
  result_cleanup(&r);
  free(line);
  free(body);
  /* The response is the line as given, trailing newline and all. */
  const char *nl = "{\"custom_id\":\"c\",\"response\":{\"status_code\":200,\"body\":{}}}\r\n";
  taken(PROVIDER_OPENAI, nl, &r);
  assert_string_equal(r.response, nl);
  assert_null(r.output);
  result_cleanup(&r);
}

static void test_openai_reordered(void **state) {
  (void)state;
  bt_result r;
  taken(PROVIDER_OPENAI,
        " {\"error\" : null ,\"response\":{\"body\":{\"usage\":{\"completion_tokens\":7,"
        "\"prompt_tokens_details\":{\"cached_tokens\":1},\"prompt_tokens\":3},\"extra\":[[{}],"
        "{\"a\":[true,false,null,-0,1.5e-3]}],\"choices\":[{\"message\":{\"content\":\"x\","
        "\"role\":\"assistant\"}},{\"message\":{\"content\":\"second\"}}]},\"status_code\":201},"
        "\"custom_id\":\"row-4\",\"id\":\"b\"}\t",
        &r);
  assert_string_equal(r.custom_id, "row-4");
  assert_int_equal(r.http_status, 201);
  assert_string_equal(r.output, "x"); /* the first choice only */
  assert_int_equal(r.input_tokens, 3);
  assert_int_equal(r.output_tokens, 7);
  assert_int_equal(r.cached_tokens, 1);
  result_cleanup(&r);
}

static void test_escapes(void **state) {
  (void)state;
  char *body = oa_chat("\"q\\\"\\\\\\/\\b\\f\\n\\r\\t \\u00e9\\u20AC\\ud83d\\ude00 caf\xc3\xa9 "
                       "\xf4\x8f\xbf\xbf \\u0001\x7f\"");
  char *line = oa_line("r\\u00e9-\\\"1\\\"", 200, body, "null");
  bt_result r;
  taken(PROVIDER_OPENAI, line, &r);
  assert_string_equal(r.custom_id, "r\xc3\xa9-\"1\"");
  assert_string_equal(r.output, "q\"\\/\b\f\n\r\t \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 caf\xc3\xa9 "
                                "\xf4\x8f\xbf\xbf \x01\x7f");
  result_cleanup(&r);
  free(line);
  free(body);
}

static void test_big_output(void **state) {
  (void)state;
  size_t n = 1 << 20;
  char *content = malloc(n + 3);
  assert_non_null(content);
  content[0] = '"';
  for (size_t i = 1; i <= n; i++)
    content[i] = i % 1000 == 0 ? '\\' : (char)('a' + i % 26);
  for (size_t i = 1000; i <= n; i += 1000)
    content[i + 1] = 'n'; /* every backslash starts a \n */
  content[n + 1] = '"';
  content[n + 2] = '\0';
  char *body = oa_chat(content);
  char *line = oa_line("big", 200, body, "null");
  bt_result r;
  taken(PROVIDER_OPENAI, line, &r);
  assert_int_equal(strlen(r.output), n - n / 1000);
  assert_int_equal(r.output[999], '\n');
  result_cleanup(&r);
  free(line);
  free(body);
  free(content);
}

static void test_openai_failed(void **state) {
  (void)state;
  bt_result r;
  const char *nf = "{\"id\":\"batch_req_2\",\"custom_id\":\"row-3\",\"response\":{"
                   "\"status_code\":404,\"body\":{\"error\":{\"message\":\"The model does not "
                   "exist\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":"
                   "\"model_not_found\"}}},\"error\":null}";
  taken(PROVIDER_OPENAI, nf, &r);
  assert_int_equal(r.state, TASK_FAILED);
  assert_int_equal(r.http_status, 404);
  assert_string_equal(r.error_code, "model_not_found");
  assert_string_equal(r.error_message, "The model does not exist");
  result_cleanup(&r);
  /* code null: the type; no error at all: http_<status> */
  taken(PROVIDER_OPENAI,
        "{\"custom_id\":\"a\",\"response\":{\"status_code\":429,\"body\":{\"error\":{"
        "\"message\":\"slow down\",\"type\":\"rate_limit_error\",\"code\":null}}}}",
        &r);
  assert_string_equal(r.error_code, "rate_limit_error");
  result_cleanup(&r);
  taken(PROVIDER_OPENAI, "{\"custom_id\":\"a\",\"response\":{\"status_code\":500,\"body\":\"x\"}}",
        &r);
  assert_string_equal(r.error_code, "http_500");
  assert_null(r.error_message);
  result_cleanup(&r);
  /* the error file: response null, error object */
  taken(PROVIDER_OPENAI,
        "{\"id\":\"batch_req_3\",\"custom_id\":\"row-4\",\"response\":null,\"error\":{\"code\":"
        "\"batch_expired\",\"message\":\"This request could not be executed before the "
        "completion window expired.\"}}",
        &r);
  assert_int_equal(r.state, TASK_EXPIRED);
  result_cleanup(&r);
  taken(PROVIDER_OPENAI,
        "{\"custom_id\":\"row-5\",\"response\":null,\"error\":{\"code\":\"batch_cancelled\","
        "\"message\":\"cancelled\"}}",
        &r);
  assert_int_equal(r.state, TASK_CANCELLED);
  result_cleanup(&r);
  /* 2xx with an error object fails; the body's error comes first, then the line's */
  taken(PROVIDER_OPENAI,
        "{\"custom_id\":\"a\",\"error\":{\"code\":\"server_error\",\"message\":\"boom\"},"
        "\"response\":{\"status_code\":200,\"body\":{\"error\":{\"message\":\"m\"},\"choices\":"
        "[{\"message\":{\"content\":\"ignored\"}}]}}}",
        &r);
  assert_int_equal(r.state, TASK_FAILED);
  assert_string_equal(r.error_code, "server_error");
  assert_string_equal(r.error_message, "m");
  assert_null(r.output);
  result_cleanup(&r);
  /* nothing to go on; a status that is not an integer counts 0 */
  taken(PROVIDER_OPENAI, "{\"custom_id\":\"a\"}", &r);
  assert_string_equal(r.error_code, "unknown_error");
  result_cleanup(&r);
  taken(PROVIDER_OPENAI, "{\"custom_id\":\"a\",\"response\":{\"status_code\":200.0}}", &r);
  assert_int_equal(r.http_status, 0);
  assert_string_equal(r.error_code, "unknown_error");
  result_cleanup(&r);
  taken(PROVIDER_OPENAI, "{\"custom_id\":\"a\",\"response\":{\"status_code\":-3},\"error\":{}}",
        &r);
  assert_string_equal(r.error_code, "http_-3");
  result_cleanup(&r);
  /* empty strings are absent */
  taken(PROVIDER_OPENAI,
        "{\"custom_id\":\"a\",\"response\":{\"status_code\":400,\"body\":{\"error\":{\"code\":"
        "\"\",\"type\":\"\",\"message\":\"\"}}},\"error\":{\"code\":\"x_cancelled\"}}",
        &r);
  assert_string_equal(r.error_code, "x_cancelled");
  assert_int_equal(r.state, TASK_CANCELLED);
  result_cleanup(&r);
}

static void test_openai_odd_answers(void **state) {
  (void)state;
  bt_result r;
  const char *lines[] = {
      "{\"custom_id\":\"a\",\"response\":{\"status_code\":200,\"body\":{\"choices\":[]}}}",
      "{\"custom_id\":\"a\",\"response\":{\"status_code\":200,\"body\":{\"choices\":[1,{"
      "\"message\":{\"content\":\"no\"}}]}}}",
      "{\"custom_id\":\"a\",\"response\":{\"status_code\":200,\"body\":{\"choices\":[{"
      "\"message\":{\"content\":null}}]}}}",
      "{\"custom_id\":\"a\",\"response\":{\"status_code\":200,\"body\":{\"choices\":[{"
      "\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"parts\"}]}}]}}}",
      "{\"custom_id\":\"a\",\"response\":{\"status_code\":200,\"body\":{\"choices\":[{"
      "\"message\":\"hi\"}]}}}",
      "{\"custom_id\":\"a\",\"response\":{\"status_code\":200,\"body\":{\"choices\":{}}}}",
      "{\"custom_id\":\"a\",\"response\":{\"status_code\":200,\"body\":[]}}",
      "{\"custom_id\":\"a\",\"response\":{\"status_code\":200,\"body\":{\"choices\":[{"
      "\"message\":{\"content\":\"\"}}]}}}",
      /* both answer forms: the text blocks win */
      "{\"custom_id\":\"a\",\"response\":{\"status_code\":200,\"body\":{\"choices\":[{"
      "\"message\":{\"content\":\"chat\"}}],\"content\":[{\"text\":\"blocks\"}]}}}",
      /* usage: the first name present wins even when it is no integer */
      "{\"custom_id\":\"a\",\"response\":{\"status_code\":200,\"body\":{\"usage\":{"
      "\"prompt_tokens\":null,\"input_tokens\":5,\"output_tokens\":6,\"completion_tokens\":2.0,"
      "\"prompt_tokens_details\":{},\"cache_read_input_tokens\":9}}}}",
      "{\"custom_id\":\"a\",\"response\":{\"status_code\":200,\"body\":{\"usage\":{"
      "\"prompt_tokens_details\":null,\"input_tokens\":9223372036854775807,"
      "\"output_tokens\":-9223372036854775808,\"cache_read_input_tokens\":\"3\"}}}}",
      "{\"custom_id\":\"a\",\"response\":{\"status_code\":200,\"body\":{\"usage\":7}}}",
  };
  for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
    taken(PROVIDER_OPENAI, lines[i], &r);
    result_cleanup(&r);
  }
  taken(PROVIDER_OPENAI, lines[8], &r);
  assert_string_equal(r.output, "blocks");
  result_cleanup(&r);
  taken(PROVIDER_OPENAI, lines[9], &r);
  assert_int_equal(r.input_tokens, 0);
  assert_int_equal(r.output_tokens, 0);
  assert_int_equal(r.cached_tokens, 9);
  result_cleanup(&r);
  taken(PROVIDER_OPENAI, lines[10], &r);
  assert_int_equal(r.input_tokens, INT64_MAX);
  assert_int_equal(r.output_tokens, INT64_MIN);
  result_cleanup(&r);
}

static void test_anthropic(void **state) {
  (void)state;
  bt_result r;
  taken(PROVIDER_ANTHROPIC,
        "{\"custom_id\":\"a\",\"result\":{\"type\":\"succeeded\",\"message\":{\"id\":\"msg_1\","
        "\"type\":\"message\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"hmm\"},{\"type\":"
        "\"text\",\"text\":\"Hel\"},{\"type\":\"tool_use\",\"input\":{\"text\":[1]}},7,{\"type\":"
        "\"text\",\"text\":\"lo\\n\"}],\"usage\":{\"input_tokens\":10,\"output_tokens\":34,"
        "\"cache_read_input_tokens\":4}}}}",
        &r);
  assert_int_equal(r.state, TASK_SUCCEEDED);
  assert_int_equal(r.http_status, 200);
  assert_string_equal(r.output, "Hello\n");
  assert_int_equal(r.input_tokens, 10);
  assert_int_equal(r.output_tokens, 34);
  assert_int_equal(r.cached_tokens, 4);
  result_cleanup(&r);
  taken(PROVIDER_ANTHROPIC,
        "{\"result\":{\"error\":{\"type\":\"error\",\"error\":{\"message\":\"max_tokens: too "
        "large\",\"type\":\"invalid_request_error\"},\"request_id\":\"req_1\"},\"type\":"
        "\"errored\"},\"custom_id\":\"x\"}",
        &r);
  assert_int_equal(r.state, TASK_FAILED);
  assert_string_equal(r.error_code, "invalid_request_error");
  assert_string_equal(r.error_message, "max_tokens: too large");
  result_cleanup(&r);
  const char *more[] = {
      "{\"custom_id\":\"z\",\"result\":{\"type\":\"expired\"}}",
      "{\"custom_id\":\"y\",\"result\":{\"type\":\"canceled\"}}",
      "{\"custom_id\":\"y\",\"result\":{\"type\":\"errored\"}}",
      "{\"custom_id\":\"y\",\"result\":{\"type\":\"\"}}",
      "{\"custom_id\":\"y\",\"result\":{\"type\":5}}",
      "{\"custom_id\":\"y\",\"result\":[]}",
      "{\"custom_id\":\"y\"}",
      "{\"custom_id\":\"y\",\"result\":{\"type\":\"succ\\u0065eded\",\"message\":{\"content\":[]}}"
      "}",
      "{\"custom_id\":\"y\",\"result\":{\"type\":\"succeeded\",\"message\":null}}",
      "{\"custom_id\":\"y\",\"result\":{\"type\":\"succeeded\",\"message\":{\"content\":\"s\"}}}",
      "{\"custom_id\":\"y\",\"result\":{\"type\":\"succeeded\",\"message\":{\"content\":[{"
      "\"text\":\"\"},{\"text\":null}]}}}",
  };
  for (size_t i = 0; i < sizeof more / sizeof *more; i++) {
    taken(PROVIDER_ANTHROPIC, more[i], &r);
    result_cleanup(&r);
  }
  taken(PROVIDER_ANTHROPIC, more[2], &r);
  assert_string_equal(r.error_code, "errored");
  result_cleanup(&r);
  taken(PROVIDER_ANTHROPIC, more[7], &r);
  assert_int_equal(r.state, TASK_SUCCEEDED);
  assert_string_equal(r.output, "");
  result_cleanup(&r);
  /* The same line read as the other provider's also agrees. */
  taken(PROVIDER_OPENAI, more[7], &r);
  assert_string_equal(r.error_code, "unknown_error");
  result_cleanup(&r);
}

/* Lines jansson refuses: the scanner must leave every one to it. */
static void test_jansson_refuses(void **state) {
  (void)state;
  const char *bad[] = {
      "",
      "   ",
      "[]",
      "\"x\"",
      "{\"custom_id\":\"a\"",
      "{\"custom_id\":\"a\"} x",
      "{\"custom_id\":\"a\"}{}",
      "{\"custom_id\":\"a\",}",
      "{\"custom_id\":\"a\",\"x\":[1,]}",
      "{\"custom_id\" \"a\"}",
      "{custom_id:\"a\"}",
      "{\"custom_id\":'a'}",
      "{\"custom_id\":\"a\",\"x\":01}",
      "{\"custom_id\":\"a\",\"x\":1.}",
      "{\"custom_id\":\"a\",\"x\":.5}",
      "{\"custom_id\":\"a\",\"x\":-}",
      "{\"custom_id\":\"a\",\"x\":+1}",
      "{\"custom_id\":\"a\",\"x\":1e}",
      "{\"custom_id\":\"a\",\"x\":tru}",
      "{\"custom_id\":\"a\",\"x\":nulls}",
      "{\"custom_id\":\"a\",\"x\":NaN}",
      "{\"custom_id\":\"a\",\"x\":9223372036854775808}",
      "{\"custom_id\":\"a\",\"x\":-9223372036854775809}",
      "{\"custom_id\":\"a\",\"x\":123456789012345678901234567890}",
      "{\"custom_id\":\"a\",\"x\":1e400}",
      "{\"custom_id\":\"a\",\"x\":-2e308}",
      "{\"custom_id\":\"a\\u0000b\"}",
      "{\"custom_id\":\"a\",\"x\\u0000\":1}",
      "{\"custom_id\":\"a\\ud800\"}",
      "{\"custom_id\":\"a\\ud800x\"}",
      "{\"custom_id\":\"a\\ud800\\u0041\"}",
      "{\"custom_id\":\"a\\udc00\\ud800\"}",
      "{\"custom_id\":\"a\\u12\"}",
      "{\"custom_id\":\"a\\uzzzz\"}",
      "{\"custom_id\":\"a\\x\"}",
      "{\"custom_id\":\"a\\'\"}",
      "{\"custom_id\":\"a\tb\"}",
      "{\"custom_id\":\"a\nb\"}",
      "{\"custom_id\":\"\xc0\x80\"}",
      "{\"custom_id\":\"\xc3\"}",
      "{\"custom_id\":\"\x80\"}",
      "{\"custom_id\":\"\xed\xa0\x80\"}",
      "{\"custom_id\":\"\xe0\x9f\xbf\"}",
      "{\"custom_id\":\"\xf0\x8f\xbf\xbf\"}",
      "{\"custom_id\":\"\xf4\x90\x80\x80\"}",
      "{\"custom_id\":\"\xf8\x88\x80\x80\x80\"}",
      "{\"custom_id\":\"\xff\"}",
      "\xef\xbb\xbf{\"custom_id\":\"a\"}",
      "{\"custom_id\":\"a\"}\xc2\xa0",
      "{\"custom_id\":\"a\"}\f",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    declined(PROVIDER_OPENAI, bad[i], 0);
  /* a NUL byte inside and after the object */
  declined_n(PROVIDER_OPENAI, "{\"custom_id\":\"a\0\"}", 17, 0);
  declined_n(PROVIDER_OPENAI, "{\"custom_id\":\"a\"}\0", 18, 0);
  /* a line cut short anywhere */
  const char *full = "{\"custom_id\":\"a\\ud83d\\ude00\",\"response\":{\"status_code\":200,"
                     "\"body\":{\"choices\":[{\"message\":{\"content\":\"\xc3\xa9\"}}]}}}";
  for (size_t n = 0; n < strlen(full); n++)
    declined_n(PROVIDER_ANTHROPIC, full, n, 0);
}

/* Lines jansson accepts but the scanner leaves to it all the same. */
static void test_declined_valid(void **state) {
  (void)state;
  const char *lines[] = {
      /* a member we read given twice (jansson keeps the last) */
      "{\"custom_id\":\"a\",\"custom_id\":\"b\"}",
      "{\"custom_id\":\"a\",\"response\":{\"status_code\":200,\"status_code\":500}}",
      "{\"custom_id\":\"a\",\"response\":{\"status_code\":200,\"body\":{\"choices\":[{"
      "\"message\":{\"content\":\"x\",\"content\":\"y\"}}]}}}",
      /* a key spelt with escapes */
      "{\"custom\\u005fid\":\"a\"}",
      "{\"custom_id\":\"a\",\"respons\\u0065\":null}",
      /* numbers near jansson's limits */
      "{\"custom_id\":\"a\",\"x\":1e300}",
      "{\"custom_id\":\"a\",\"x\":0.1e301}",
  };
  for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
    declined(PROVIDER_OPENAI, lines[i], 1);
  /* no usable custom_id: jansson's path words the error */
  const char *no_id[] = {"{\"id\":\"x\"}", "{\"custom_id\":\"\"}", "{\"custom_id\":7}",
                         "{\"custom_id\":null}"};
  for (size_t i = 0; i < sizeof no_id / sizeof *no_id; i++) {
    declined(PROVIDER_OPENAI, no_id[i], 0);
    declined(PROVIDER_ANTHROPIC, no_id[i], 0);
  }
  /* duplicates of keys we do not read, escapes in them, and reals well inside the range are
   * fine */
  bt_result r;
  taken(PROVIDER_OPENAI,
        "{\"custom_id\":\"a\",\"x\":1,\"x\":2,\"y\":{\"\\u0078\":1},\"z\":[1e299,-1.5E+10,0."
        "000001e-400,"
        "123456789012345678]}",
        &r);
  result_cleanup(&r);
  /* deep nesting */
  char deep[512];
  size_t n = (size_t)snprintf(deep, sizeof deep, "{\"custom_id\":\"a\",\"x\":");
  for (int i = 0; i < 100; i++)
    deep[n++] = '[';
  for (int i = 0; i < 100; i++)
    deep[n++] = ']';
  deep[n++] = '}';
  deep[n] = '\0';
  declined(PROVIDER_OPENAI, deep, 1);
  /* more text blocks than the scanner keeps */
  char many[1024];
  n = (size_t)snprintf(many, sizeof many,
                       "{\"custom_id\":\"a\",\"result\":{\"type\":\"succeeded\",\"message\":{"
                       "\"content\":[");
  for (int i = 0; i < 9; i++)
    n += (size_t)snprintf(many + n, sizeof many - n, "%s{\"text\":\"t%d\"}", i ? "," : "", i);
  snprintf(many + n, sizeof many - n, "]}}}");
  declined(PROVIDER_ANTHROPIC, many, 1);
}

/* ---- flat input rows (json_flat_get, through results_csv_inputs) ---- */

static const char *const flat_names[] = {"id", "text", "a", NULL, ""};
enum { FLAT_NF = sizeof flat_names / sizeof flat_names[0] };

/* The cells results_csv_inputs writes for text (into a heap string), and whether the flat
 * reader took it. They must equal jansson's cells. */
static char *flat_cells(const char *text, int *taken) {
  size_t len = strlen(text);
  json_flat_value vals[FLAT_NF];
  *taken = json_flat_get(text, len, flat_names, FLAT_NF, vals) == 0;
  char *fast = NULL, *slow = NULL, *scratch = malloc(len + 1);
  size_t nfast = 0, nslow = 0;
  FILE *f = open_memstream(&fast, &nfast), *g = open_memstream(&slow, &nslow);
  results_csv_inputs(f, text, len, flat_names, FLAT_NF, vals, scratch);
  results_csv_inputs_json(g, text, flat_names, FLAT_NF);
  fclose(f);
  fclose(g);
  assert_string_equal(fast, slow);
  free(slow);
  free(scratch);
  return fast;
}

static void flat_case(const char *text, int want_taken, const char *want_cells) {
  int taken;
  char *cells = flat_cells(text, &taken);
  assert_int_equal(taken, want_taken);
  assert_string_equal(cells, want_cells);
  free(cells);
}

static void test_flat_rows(void **state) {
  (void)state;
  flat_case("{\"id\":\"1\",\"text\":\"a, b\"}", 1, "1,\"a, b\",,,");
  flat_case("{\"id\":42,\"a\":true,\"text\":false,\"\":null}", 1, "42,false,true,,");
  flat_case("{\"id\":-0}", 1, "0,,,,");                 /* jansson writes -0 back as 0 */
  flat_case("{\"id\":\"x\",\"id\":\"y\"}", 1, "y,,,,"); /* the last one */
  flat_case("{\"text\":\"say \\\"hi\\\"\\n\\u00e9\\ud83d\\ude00\"}", 1,
            ",\"say \"\"hi\"\"\n\xc3\xa9\xf0\x9f\x98\x80\",,,");
  flat_case(" { \"a\" : \"spaced\" , \"other\" : {\"deep\":[1,2.5]} } ", 1, ",,spaced,,");
  flat_case("{}", 1, ",,,,");
  /* declined: jansson prints these itself */
  flat_case("{\"a\":1.5}", 0, ",,1.5,,");
  flat_case("{\"a\":{\"b\":1}}", 0, ",,\"{\"\"b\"\":1}\",,");
  flat_case("{\"a\":[1,\"x\"]}", 0, ",,\"[1,\"\"x\"\"]\",,");
  flat_case("{\"te\\u0078t\":\"escaped key\"}", 0, ",escaped key,,,");
  /* declined: jansson refuses the text, so every cell is empty */
  flat_case("{\"a\":\"\\u0000\"}", 0, ",,,,");
  flat_case("{\"a\":\"\\udc00\"}", 0, ",,,,");
  flat_case("{\"a\":\"\\q\"}", 0, ",,,,");
  flat_case("{\"a\":\"x\"} trailing", 0, ",,,,");
  flat_case("{\"a\":\"\xff\"}", 0, ",,,,");
  flat_case("{\"a\":012}", 0, ",,,,");
  flat_case("{\"a\":99999999999999999999}", 0, ",,,,");
  flat_case("[1,2]", 0, ",,,,");
  flat_case("", 0, ",,,,");
}

static void cost_case(double v) {
  char a[512], b[512];
  results_fmt_cost(a, v);
  snprintf(b, sizeof b, "%.8f", v);
  assert_string_equal(a, b);
}

static void test_fmt_cost_is_printf(void **state) {
  (void)state;
  const double edge[] = {0.0,        -0.0,      0.000000005,   0.000000015,      0.000000025,
                         0.00000225, 1.0 / 3.0, 123.456789125, 999999.999999995, 1e6,
                         1e300,      -0.5,      0.1 + 0.2};
  for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++)
    cost_case(edge[i]);
  /* costs as the store holds them: tokens times a per-million price, over many magnitudes */
  uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < 200000; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    double tokens = (double)(x % 2000000), price = (double)((x >> 24) % 6000) / 100.0;
    cost_case(tokens * price / 1e6);
    cost_case((double)(x >> 11) / 9007199254740992.0 * (i % 2 ? 1e6 : 10.0));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_flat_rows),      cmocka_unit_test(test_fmt_cost_is_printf),
      cmocka_unit_test(test_openai_ok),      cmocka_unit_test(test_openai_reordered),
      cmocka_unit_test(test_escapes),        cmocka_unit_test(test_big_output),
      cmocka_unit_test(test_openai_failed),  cmocka_unit_test(test_openai_odd_answers),
      cmocka_unit_test(test_anthropic),      cmocka_unit_test(test_jansson_refuses),
      cmocka_unit_test(test_declined_valid),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
