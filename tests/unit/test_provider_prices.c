/* Unit tests: the engine's costs follow the configured price table (LiteLLM format) instead of
 * the built-in one. Its own program: the table is loaded once per process. */
#include <stdlib.h>

#include "provider.h"
#include "testutil.h"

static void test_costs_from_litellm_file(void **state) {
  (void)state;
  char *path = tu_shared_path("data/litellm-model-prices-subset.json");
  provider_prices_use(path);
  free(path);
  /* gpt-3.5-turbo is in the LiteLLM file, not in the built-in table: $0.50 / $1.50 per 1M
   * tokens, no batch price listed, so batch = 50%. */
  double batch = provider_cost_usd("openai", "gpt-3.5-turbo", 1000000, 1000000);
  double standard = provider_cost_std_usd("openai", "gpt-3.5-turbo", 1000000, 1000000);
  assert_true(batch > 0.9999 && batch < 1.0001);
  assert_true(standard > 1.9999 && standard < 2.0001);
  /* Listed batch prices are used as listed (gpt-4o-mini: $0.075 / $0.30). */
  double mini = provider_cost_usd("openai", "gpt-4o-mini", 1000000, 1000000);
  assert_true(mini > 0.3749 && mini < 0.3751);
  /* Unknown models and the local provider cost nothing rather than a guess. */
  assert_true(provider_cost_usd("openai", "no-such-model", 1000, 1000) == 0.0);
  assert_true(provider_cost_usd("local", "gpt-4o-mini", 1000, 1000) == 0.0);
}

int main(void) {
  int need = tu_require_shared("data/litellm-model-prices-subset.json");
  if (need)
    return need;
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_costs_from_litellm_file)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
