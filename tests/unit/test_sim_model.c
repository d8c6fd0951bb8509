/* batchtop-sim's deterministic model: label answers, digests, truncation on UTF-8, usage.
 * The expected values come from sim/model_ref.py (the reference implementation); the e2e test
 * test_sim_model.sh compares the two on many more prompts over HTTP. */
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"
#include "testutil.h"

typedef struct model_case {
  const char *request; /* chat or Anthropic body */
  const char *answer;
  long long in, out;
  bool truncated;
} model_case;

static const model_case cases[] = {
    {"{\"messages\":[{\"role\":\"system\",\"content\":\"You label.\"},{\"role\":\"user\","
     "\"content\":\"Label this feedback as bug, feature, praise or other. Answer with the label "
     "only.\\n\\nFeedback: Crashes on login\"}],\"max_tokens\":5}",
     "praise", 36, 2, false},
    {"{\"messages\":[{\"role\":\"user\",\"content\":\"Classify as 'yes', \\\"no\\\", or maybe? "
     "ok\"}]}",
     "no", 13, 1, false},
    {"{\"messages\":[{\"role\":\"user\",\"content\":\"   \"}]}", "sim: [ceb2bed7]", 4, 4, false},
    {"{\"messages\":[{\"role\":\"user\",\"content\":\"h\xc3\xa9llo w\xc3\xb6rld "
     "\xc3\xbcn\xc3\xaf"
     "code text that goes on and on\"}],\"max_tokens\":3}",
     "sim: h\xc3\xa9llo ", 15, 3, true},
    {"{\"messages\":[{\"role\":\"assistant\",\"content\":\"only assistant\"}]}",
     "sim: only assistant [eef4ca17]", 7, 8, false},
    {"{\"model\":\"m\",\"system\":[{\"type\":\"text\",\"text\":\"Sys\"}],\"messages\":[{\"role\":"
     "\"user\","
     "\"content\":[{\"type\":\"text\",\"text\":\"part one\"},{\"type\":\"text\",\"text\":\"Rate "
     "as low or high.\"}]}],\"max_tokens\":100}",
     "high", 14, 1, false},
};

static void test_answers_match_the_reference(void **state) {
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *body = json_loads(cases[i].request, 0, NULL);
    assert_non_null(body);
    sim_prompt p = {0};
    const char *param;
    if (json_object_get(body, "system"))
      assert_null(sim_prompt_from_anthropic(body, &p, &param));
    else
      assert_null(sim_prompt_from_chat(body, &p, &param));
    json_t *mt = json_object_get(body, "max_tokens");
    sim_answer a;
    sim_model_answer(&p, json_is_integer(mt) ? json_integer_value(mt) : 0, &a);
    assert_string_equal(a.text, cases[i].answer);
    assert_int_equal(a.input_tokens, cases[i].in);
    assert_int_equal(a.output_tokens, cases[i].out);
    assert_int_equal(a.truncated, cases[i].truncated);
    /* a pure function: the same prompt gives the same answer */
    sim_answer b;
    sim_model_answer(&p, json_is_integer(mt) ? json_integer_value(mt) : 0, &b);
    assert_string_equal(a.text, b.text);
    sim_answer_free(&a);
    sim_answer_free(&b);
    sim_prompt_free(&p);
    json_decref(body);
  }
}

static void test_labels_spread_over_the_options(void **state) {
  int seen[4] = {0};
  const char *opts[] = {"bug", "feature", "praise", "other"};
  for (int i = 0; i < 200; i++) {
    char text[160];
    snprintf(text, sizeof text, "Label this feedback as bug, feature, praise or other.\n%d", i);
    sim_prompt p = {0};
    sim_prompt_add(&p, "user", text, strlen(text));
    sim_answer a;
    sim_model_answer(&p, 0, &a);
    int hit = -1;
    for (int k = 0; k < 4; k++)
      if (strcmp(a.text, opts[k]) == 0)
        hit = k;
    assert_true(hit >= 0);
    seen[hit]++;
    sim_answer_free(&a);
    sim_prompt_free(&p);
  }
  for (int k = 0; k < 4; k++)
    assert_true(seen[k] > 20);
}

static void test_response_shapes(void **state) {
  json_t *body = json_loads("{\"model\":\"gpt-4o-mini\",\"max_tokens\":1,\"messages\":[{\"role\":"
                            "\"user\",\"content\":\"tell me a long story please\"}]}",
                            0, NULL);
  long long in, out;
  json_t *c = sim_model_chat(body, 1790000000123, &in, &out);
  json_t *choice = json_array_get(json_object_get(c, "choices"), 0);
  assert_string_equal(json_string_value(json_object_get(choice, "finish_reason")), "length");
  assert_int_equal(json_integer_value(json_object_get(c, "created")), 1790000000);
  assert_int_equal(out, 1);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(c, "usage"), "total_tokens")),
                   in + out);
  json_decref(c);
  json_object_set_new(body, "max_tokens", json_integer(1));
  json_t *m = sim_model_message(body, "batch", &in, &out);
  assert_string_equal(json_string_value(json_object_get(m, "stop_reason")), "max_tokens");
  assert_string_equal(
      json_string_value(json_object_get(json_object_get(m, "usage"), "service_tier")), "batch");
  json_decref(m);
  json_decref(body);
  /* the checks the batch validator uses */
  const char *param, *code;
  json_t *nomodel = json_loads("{\"messages\":[]}", 0, NULL);
  assert_non_null(sim_model_check_openai("/v1/chat/completions", nomodel, &param, &code));
  assert_string_equal(param, "body.model");
  json_decref(nomodel);
  json_t *stream = json_loads("{\"model\":\"m\",\"stream\":true,\"messages\":[{}]}", 0, NULL);
  assert_non_null(sim_model_check_openai("/v1/chat/completions", stream, &param, &code));
  assert_string_equal(code, "streaming_unsupported");
  json_decref(stream);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_answers_match_the_reference),
      cmocka_unit_test(test_labels_spread_over_the_options),
      cmocka_unit_test(test_response_shapes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
