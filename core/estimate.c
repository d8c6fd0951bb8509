/* estimate: token and cost totals over rendered requests. */
#include "estimate.h"

#include <string.h>

#include "util.h"

void estimate_init(bt_estimate *e, bt_provider provider, bt_endpoint endpoint, int64_t chunk_size) {
  memset(e, 0, sizeof *e);
  e->has_output = endpoint != BT_EP_EMBEDDINGS;
  chunker_init(&e->chunker, provider, chunk_size);
}

int64_t estimate_output_expected(int64_t max_tokens, int has_output) {
  if (!has_output)
    return 0;
  if (max_tokens <= 0)
    return ESTIMATE_DEFAULT_OUTPUT;
  int64_t x = (int64_t)((double)max_tokens * ESTIMATE_OUTPUT_FRACTION + 0.5);
  return x < 1 ? 1 : x;
}

bt_status estimate_add(bt_estimate *e, const bt_rendered *row, bt_error *err) {
  bt_status s = chunker_add(&e->chunker, row->request_bytes, NULL, NULL, err);
  if (s)
    return s;
  e->rows++;
  e->requests++;
  e->request_bytes += (int64_t)row->request_bytes + 1;
  e->input_tokens += row->est_input_tokens;
  e->output_expected += estimate_output_expected(row->max_output_tokens, e->has_output);
  if (e->has_output) {
    if (row->max_output_tokens > 0) {
      e->output_worst += row->max_output_tokens;
    } else {
      e->output_worst += ESTIMATE_NO_MAX_OUTPUT;
      e->worst_assumed = 1;
    }
  }
  return BT_OK;
}

int64_t estimate_batches(const bt_estimate *e) {
  return chunker_count(&e->chunker);
}

double estimate_usd(const bt_price *price, int64_t input_tokens, int64_t output_tokens, int batch) {
  if (!price)
    return 0;
  double in = batch ? price->batch_input : price->input;
  double out = batch ? price->batch_output : price->output;
  return ((double)input_tokens * in + (double)output_tokens * out) / 1e6;
}

void estimate_cost(const bt_estimate *e, const bt_price *price, bt_cost *out) {
  memset(out, 0, sizeof *out);
  if (!price)
    return;
  out->priced = 1;
  out->standard_expected = estimate_usd(price, e->input_tokens, e->output_expected, 0);
  out->standard_worst = estimate_usd(price, e->input_tokens, e->output_worst, 0);
  out->batch_expected = estimate_usd(price, e->input_tokens, e->output_expected, 1);
  out->batch_worst = estimate_usd(price, e->input_tokens, e->output_worst, 1);
  out->saving_expected = out->standard_expected - out->batch_expected;
  out->saving_pct =
      out->standard_expected > 0 ? 100.0 * out->saving_expected / out->standard_expected : 0;
}

bt_status estimate_file(const char *template_path, const char *input_path,
                        const bt_render_opts *opts, int64_t chunk_size, bt_estimate *out,
                        char model_out[128], bt_error *err) {
  bt_render *r = NULL;
  bt_status s = render_open(template_path, input_path, opts, &r, err);
  if (s)
    return s;
  if (model_out)
    util_strlcpy(model_out, render_info(r)->model, 128);
  s = estimate_render(r, chunk_size, out, err);
  render_close(r);
  return s;
}

bt_status estimate_render(bt_render *r, int64_t chunk_size, bt_estimate *out, bt_error *err) {
  const bt_render_info *info = render_info(r);
  estimate_init(out, info->provider_id, info->endpoint_id, chunk_size);
  const bt_rendered *row;
  bt_status s;
  while (!(s = render_next(r, &row, err)) && row)
    if ((s = estimate_add(out, row, err)))
      break;
  return s;
}
