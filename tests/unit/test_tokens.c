/* Unit tests: the token estimator's rules and the estimate totals and costs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estimate.h"
#include "testutil.h"
#include "tokens.h"

static int64_t est(const char *s) {
  return tokens_estimate(s, strlen(s));
}

static void test_rules(void **state) {
  (void)state;
  assert_int_equal(est(""), 0);
  assert_int_equal(est("   "), 0);
  assert_int_equal(est("hello world"), 2);
  assert_int_equal(est("internationalization"), 4); /* 20 letters: 4 runs of 6 */
  assert_int_equal(est("123456"), 2);
  assert_int_equal(est("1234567"), 3);
  assert_int_equal(est("a, b."), 4);
  assert_int_equal(est("a\n\n\nb"), 3);                 /* a line-break run counts once */
  assert_int_equal(est("\xe4\xbd\xa0\xe5\xa5\xbd"), 2); /* two CJK characters */
  assert_int_equal(est("\xf0\x9f\x99\x82"), 2);         /* an emoji */
  assert_int_equal(est("\xd0\xbf\xd1\x80\xd0\xb8"), 1); /* three Cyrillic letters */
  /* English prose lands near 4 characters a token */
  const char *prose = "Label this feedback as bug, feature, praise or other. Answer with the "
                      "label only. The checkout page freezes every time I try to pay with a "
                      "gift card, and support has not answered my emails for a week.";
  int64_t t = est(prose);
  double chars_per_token = (double)strlen(prose) / (double)t;
  assert_true(chars_per_token > 3.3 && chars_per_token < 5.0);
  assert_int_equal(tokens_request(NULL, 0, "hi", 2), TOKENS_PER_REQUEST + TOKENS_PER_MESSAGE + 1);
  assert_int_equal(tokens_request("sys", 3, "hi", 2),
                   TOKENS_PER_REQUEST + 2 * TOKENS_PER_MESSAGE + 2);
}

static void test_estimate(void **state) {
  (void)state;
  bt_estimate e;
  bt_error err;
  estimate_init(&e, BT_PROVIDER_OPENAI, BT_EP_CHAT, 2);
  bt_rendered row = {0};
  row.request_bytes = 100;
  row.est_input_tokens = 1000;
  row.max_output_tokens = 10;
  for (int i = 0; i < 5; i++)
    assert_int_equal(estimate_add(&e, &row, &err), BT_OK);
  assert_int_equal(e.rows, 5);
  assert_int_equal(estimate_batches(&e), 3); /* chunk size 2 */
  assert_int_equal(e.input_tokens, 5000);
  assert_int_equal(e.output_worst, 50);
  assert_int_equal(e.output_expected, 25);
  assert_false(e.worst_assumed);
  bt_price price = {"m", 2.0, 10.0, 1.0, 5.0, -1, 0};
  bt_cost c;
  estimate_cost(&e, &price, &c);
  assert_true(c.priced);
  /* 5000 * 2 / 1e6 + 25 * 10 / 1e6 */
  assert_true(c.standard_expected > 0.010249 && c.standard_expected < 0.010251);
  assert_true(c.batch_worst > 0.005249 && c.batch_worst < 0.005251);
  assert_true(c.saving_pct > 49.99 && c.saving_pct < 50.01);
  estimate_cost(&e, NULL, &c);
  assert_false(c.priced);
  /* no max_tokens: worst case assumed; embeddings: no output at all */
  row.max_output_tokens = 0;
  assert_int_equal(estimate_add(&e, &row, &err), BT_OK);
  assert_true(e.worst_assumed);
  assert_int_equal(e.output_worst, 50 + ESTIMATE_NO_MAX_OUTPUT);
  assert_int_equal(e.output_expected, 25 + ESTIMATE_DEFAULT_OUTPUT);
  estimate_init(&e, BT_PROVIDER_OPENAI, BT_EP_EMBEDDINGS, 0);
  assert_int_equal(estimate_add(&e, &row, &err), BT_OK);
  assert_int_equal(e.output_worst, 0);
  assert_int_equal(e.output_expected, 0);
  assert_int_equal(estimate_output_expected(1, 1), 1);
  assert_int_equal(estimate_output_expected(5, 1), 3);
}

static void test_estimate_file(void **state) {
  (void)state;
  char *tpl = tu_source_path("examples/label.tmpl");
  char *csv = tu_source_path("examples/feedback.csv");
  bt_estimate e;
  char model[128];
  bt_error err;
  assert_int_equal(estimate_file(tpl, csv, NULL, 0, &e, model, &err), BT_OK);
  assert_string_equal(model, "gpt-4o-mini");
  assert_int_equal(e.rows, 200);
  assert_int_equal(estimate_batches(&e), 1);
  assert_int_equal(e.output_worst, 200 * 5);
  assert_true(e.input_tokens > 200 * 40 && e.input_tokens < 200 * 120);
  free(tpl);
  free(csv);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rules),
      cmocka_unit_test(test_estimate),
      cmocka_unit_test(test_estimate_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
