/* prices: what a model costs per token, standard and batch, from the built-in table (written
 * by us from protocols.md §4.2, dated PRICES_DATE) or from a file in LiteLLM's public JSON
 * format (`--prices FILE`, config `prices = FILE`).
 *
 * All prices are USD per 1,000,000 tokens. A batch price the source does not list is 50% of
 * the standard price (OpenAI, Anthropic and Gemini document that discount); batch_computed
 * says so. An unknown model has no price: callers say "no price known" instead of guessing.
 *
 * Ownership: prices_builtin()/prices_load_litellm() give a table freed with prices_free().
 * A loaded table is read-only; any thread may look up in it. */
#ifndef BT_PRICES_H
#define BT_PRICES_H

#include <stddef.h>

#include "status.h"

#define PRICES_DATE "2026-07-24"

typedef struct bt_price {
  const char *model;
  double input, output;             /* standard */
  double batch_input, batch_output; /* batch APIs */
  double cached_input;              /* < 0 when unknown */
  int batch_computed;               /* 1: batch = 50% of standard, not listed by the source */
} bt_price;

typedef struct bt_prices bt_prices;

/* The built-in table. */
bt_status prices_builtin(bt_prices **out, bt_error *err) BT_WUR;
/* A LiteLLM `model_prices_and_context_window.json` (or a subset of it): keeps entries that
 * are objects with `litellm_provider` and an input or output price. */
bt_status prices_load_litellm(const char *path, bt_prices **out, bt_error *err) BT_WUR;
void prices_free(bt_prices *p);

/* The price of model, or NULL. Tries the name as given, then with the provider's prefix
 * ("anthropic/..."), without a provider prefix, without a date suffix (-2024-07-18 or
 * -20250219) and without "-latest". provider may be NULL. */
const bt_price *prices_find(const bt_prices *p, const char *model, const char *provider);

/* "built-in table (2026-07-24)" or the file's path. */
const char *prices_source(const bt_prices *p);
size_t prices_count(const bt_prices *p);

#endif
