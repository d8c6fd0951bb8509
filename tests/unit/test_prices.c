/* Unit tests: the built-in price table, name matching, and the LiteLLM loader on the shared
 * subset file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prices.h"
#include "testutil.h"

static void test_builtin(void **state) {
  (void)state;
  bt_prices *p;
  bt_error err;
  assert_int_equal(prices_builtin(&p, &err), BT_OK);
  assert_non_null(strstr(prices_source(p), PRICES_DATE));
  const bt_price *pr = prices_find(p, "gpt-4o-mini", "openai");
  assert_non_null(pr);
  assert_true(pr->input == 0.15 && pr->output == 0.60);
  assert_true(pr->batch_input == 0.075 && pr->batch_output == 0.30);
  assert_true(pr->cached_input == 0.075);
  assert_false(pr->batch_computed);
  /* dated and prefixed names find their family */
  assert_ptr_equal(prices_find(p, "gpt-4o-mini-2024-07-18", NULL), pr);
  assert_ptr_equal(prices_find(p, "openai/gpt-4o-mini", NULL), pr);
  pr = prices_find(p, "claude-sonnet-4-6-20260101", "anthropic");
  assert_non_null(pr);
  assert_string_equal(pr->model, "claude-sonnet-4-6");
  assert_true(pr->batch_input == 1.5 && pr->batch_output == 7.5); /* Anthropic batch = 50% */
  assert_true(pr->batch_computed);
  assert_non_null(prices_find(p, "gemini-2.5-flash", "gemini"));
  assert_non_null(prices_find(p, "mistral-large-latest", "mistral"));
  /* every Anthropic model: batch is exactly half */
  for (const char *const *m =
           (const char *const[]){"claude-haiku-4-5", "claude-opus-4-1", "claude-fable-5", NULL};
       *m; m++) {
    pr = prices_find(p, *m, "anthropic");
    assert_non_null(pr);
    assert_true(pr->batch_input * 2 == pr->input && pr->batch_output * 2 == pr->output);
  }
  assert_null(prices_find(p, "gpt-99", "openai"));
  assert_null(prices_find(p, "", NULL));
  prices_free(p);
}

static void test_litellm(void **state) {
  (void)state;
  char *path = tu_shared_path("data/litellm-model-prices-subset.json");
  bt_prices *p;
  bt_error err;
  if (prices_load_litellm(path, &p, &err))
    fail_msg("%s: %s", path, err.message);
  assert_true(prices_count(p) > 100);
  assert_string_equal(prices_source(p), path);
  const bt_price *pr = prices_find(p, "gpt-4o-mini", "openai");
  assert_non_null(pr);
  assert_true(pr->input > 0.1499 && pr->input < 0.1501);
  assert_true(pr->batch_input > 0.0749 && pr->batch_input < 0.0751); /* listed *_batches */
  assert_false(pr->batch_computed);
  pr = prices_find(p, "claude-sonnet-4-6", "anthropic");
  assert_non_null(pr);
  assert_true(pr->output > 14.99 && pr->output < 15.01);
  assert_true(pr->batch_output > 7.49 && pr->batch_output < 7.51); /* computed 50% */
  assert_true(pr->batch_computed);
  assert_true(pr->cached_input > 0.299 && pr->cached_input < 0.301);
  assert_non_null(prices_find(p, "claude-3-7-sonnet-20250219", NULL));
  assert_null(prices_find(p, "no-such-model", NULL));
  prices_free(p);
  free(path);
}

static void test_litellm_bad(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  char *bad = tu_write_file(dir, "bad.json", "{\n  \"a\": 1,\n  oops\n}\n");
  char *arr = tu_write_file(dir, "arr.json", "[1, 2]\n");
  char *empty = tu_write_file(dir, "empty.json", "{\"sample_spec\": {\"x\": 1}}\n");
  bt_prices *p;
  bt_error err;
  assert_int_equal(prices_load_litellm(bad, &p, &err), BT_ERR_INPUT);
  assert_int_equal(err.line, 3);
  assert_string_equal(err.file, bad);
  assert_int_equal(prices_load_litellm(arr, &p, &err), BT_ERR_INPUT);
  assert_int_equal(prices_load_litellm(empty, &p, &err), BT_ERR_INPUT);
  assert_non_null(strstr(err.message, "no model"));
  assert_int_equal(prices_load_litellm("/nonexistent.json", &p, &err), BT_ERR_INPUT);
  free(bad);
  free(arr);
  free(empty);
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_builtin),
      cmocka_unit_test(test_litellm_bad),
  };
  const struct CMUnitTest shared[] = {
      cmocka_unit_test(test_litellm),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  /* The LiteLLM file comes from ../shared: without it (a clean clone) that part is skipped. */
  int need = tu_require_shared("data/litellm-model-prices-subset.json");
  if (rc || need)
    return rc ? rc : need;
  return cmocka_run_group_tests(shared, NULL, NULL);
}
