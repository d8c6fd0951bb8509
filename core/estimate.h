/* estimate: rows, requests, batches, tokens and cost of a render, before anything is sent.
 *
 * Input tokens come from tokens.h's estimator (expected error there). Output tokens:
 *   worst case = the request's max_tokens (ESTIMATE_NO_MAX_OUTPUT per request when the
 *                request sets none; worst_assumed is then 1);
 *   expected   = ESTIMATE_OUTPUT_FRACTION of max_tokens (at least 1), or
 *                ESTIMATE_DEFAULT_OUTPUT when there is no max_tokens. Answers usually stop
 *                well before the cap; this is a planning figure, not a promise.
 * Embeddings have no output tokens.
 *
 * `--max-cost` compares against batch_worst (batch prices, every answer as long as max_tokens
 * allows), so a bill can never exceed what was accepted on the estimate's terms.
 *
 * bt_estimate is a plain struct the caller embeds; one thread at a time. */
#ifndef BT_ESTIMATE_H
#define BT_ESTIMATE_H

#include <stdint.h>

#include "chunker.h"
#include "prices.h"
#include "render.h"
#include "status.h"

#define ESTIMATE_OUTPUT_FRACTION 0.5
#define ESTIMATE_DEFAULT_OUTPUT 256
#define ESTIMATE_NO_MAX_OUTPUT 4096

typedef struct bt_estimate {
  int64_t rows;
  int64_t requests;
  int64_t input_tokens;
  int64_t output_expected;
  int64_t output_worst;
  int worst_assumed; /* some request had no max_tokens: ESTIMATE_NO_MAX_OUTPUT was used */
  int has_output;    /* 0 for embeddings */
  int64_t request_bytes;
  bt_chunker chunker;
} bt_estimate;

typedef struct bt_cost {
  int priced; /* 0: no price known for the model (the other fields are 0) */
  double standard_expected, standard_worst;
  double batch_expected, batch_worst;
  double saving_expected; /* standard_expected - batch_expected */
  double saving_pct;      /* of standard_expected, 0..100 */
} bt_cost;

void estimate_init(bt_estimate *e, bt_provider provider, bt_endpoint endpoint, int64_t chunk_size);
/* Account one rendered request (batches follow the provider's limits and chunk_size). */
bt_status estimate_add(bt_estimate *e, const bt_rendered *row, bt_error *err) BT_WUR;
int64_t estimate_batches(const bt_estimate *e);
/* Expected output tokens of one request whose max_tokens is max_tokens (0: none). */
int64_t estimate_output_expected(int64_t max_tokens, int has_output);

/* Cost of the estimate under price (NULL: not priced). */
void estimate_cost(const bt_estimate *e, const bt_price *price, bt_cost *out);
/* USD for a token count at standard (batch = 0) or batch (batch = 1) prices. */
double estimate_usd(const bt_price *price, int64_t input_tokens, int64_t output_tokens, int batch);

/* Convenience: render a whole file and estimate it (what `estimate` and `submit --max-cost`
 * do). *info_out, when not NULL, gets the provider/model/endpoint copied (model up to 127
 * bytes). */
/* The same over a render already open (its remaining rows); the caller closes it. */
bt_status estimate_render(bt_render *r, int64_t chunk_size, bt_estimate *out,
                          bt_error *err) BT_WUR;
bt_status estimate_file(const char *template_path, const char *input_path,
                        const bt_render_opts *opts, int64_t chunk_size, bt_estimate *out,
                        char model_out[128], bt_error *err) BT_WUR;

#endif
