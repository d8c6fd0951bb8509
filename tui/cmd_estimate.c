/* cmd_estimate: `batchtop estimate`: tokens and cost: batch price beside standard price. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cmd_render.h"
#include "estimate.h"
#include "prices.h"
#include "tokens.h"
#include "util.h"

enum { OPT_PRICES = RCLI_FIRST_FREE, OPT_JSON };
const struct option cmd_estimate_options[] = {{"prices", required_argument, NULL, OPT_PRICES},
                                              {"json", no_argument, NULL, OPT_JSON},
                                              RCLI_LONG_OPTIONS,
                                              RCLI_CHUNK_OPTION,
                                              {NULL, 0, NULL, 0}};
const bt_cmd_help cmd_estimate_help = {
    "TEMPLATE INPUT [--provider P] [--model M] [--prices FILE] [--json]",
    "tokens and cost: batch price beside standard price",
    "  --prices FILE       price table in LiteLLM's JSON format (default: config 'prices',\n"
    "                      else the built-in table dated " PRICES_DATE ")\n"
    "  --json              print the numbers as one JSON object\n" RCLI_HELP RCLI_CHUNK_HELP "\n"
    "  Input tokens are estimated from the rendered text (typically within 15% for English\n"
    "  prose). Output: worst case = max_tokens per request; expected = half of it.\n"
    "  submit --max-cost compares against the worst case at batch prices.\n"};

/* 1234567 -> "1,234,567" */
static const char *fmt_int(int64_t v, char *buf, size_t size) {
  char raw[32];
  snprintf(raw, sizeof raw, "%lld", (long long)(v < 0 ? -v : v));
  size_t n = strlen(raw), o = 0;
  if (v < 0 && o + 1 < size)
    buf[o++] = '-';
  for (size_t i = 0; i < n && o + 2 < size; i++) {
    if (i && (n - i) % 3 == 0)
      buf[o++] = ',';
    buf[o++] = raw[i];
  }
  buf[o] = '\0';
  return buf;
}

static const char *fmt_usd(double usd, char *buf, size_t size) {
  if (usd < 0.01)
    snprintf(buf, size, "$%.4f", usd);
  else if (usd < 100)
    snprintf(buf, size, "$%.2f", usd);
  else {
    char n[48];
    fmt_int((int64_t)(usd + 0.5), n, sizeof n);
    snprintf(buf, size, "$%s", n);
  }
  return buf;
}

static int print_json(const bt_render_info *info, const char *model, const bt_estimate *e,
                      const bt_prices *prices, const bt_price *price, const bt_cost *cost) {
  json_t *o = json_object();
  json_object_set_new(o, "provider", json_string(info ? info->provider : ""));
  json_object_set_new(o, "model", json_string(model));
  json_object_set_new(o, "rows", json_integer(e->rows));
  json_object_set_new(o, "requests", json_integer(e->requests));
  json_object_set_new(o, "batches", json_integer(estimate_batches(e)));
  json_object_set_new(o, "bytes", json_integer(e->request_bytes));
  json_object_set_new(o, "input_tokens", json_integer(e->input_tokens));
  json_object_set_new(o, "output_tokens",
                      json_pack("{s:I,s:I,s:b}", "expected", (json_int_t)e->output_expected,
                                "worst", (json_int_t)e->output_worst, "worst_assumed",
                                e->worst_assumed));
  if (price) {
    json_object_set_new(o, "prices",
                        json_pack("{s:s,s:s,s:f,s:f,s:f,s:f,s:b}", "source", prices_source(prices),
                                  "model", price->model, "input", price->input, "output",
                                  price->output, "batch_input", price->batch_input, "batch_output",
                                  price->batch_output, "batch_computed", price->batch_computed));
    json_object_set_new(o, "cost_usd",
                        json_pack("{s:{s:f,s:f},s:{s:f,s:f},s:{s:f,s:f}}", "standard", "expected",
                                  cost->standard_expected, "worst", cost->standard_worst, "batch",
                                  "expected", cost->batch_expected, "worst", cost->batch_worst,
                                  "saving", "usd", cost->saving_expected, "percent",
                                  cost->saving_pct));
  } else {
    json_object_set_new(o, "prices", json_null());
    json_object_set_new(o, "cost_usd", json_null());
    char note[300];
    snprintf(note, sizeof note, "no price known for %s", model);
    json_object_set_new(o, "note", json_string(note));
  }
  char *s = json_dumps(o, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
  json_decref(o);
  if (!s)
    return EXIT_USAGE;
  puts(s);
  free(s);
  return EXIT_OK;
}

int cmd_estimate(bt_cli *cli, int argc, char **argv) {
  const char *cmd = "estimate";
  rcli_opts o;
  rcli_init(&o, cli);
  const char *prices_path = cli ? cli->cfg.prices : NULL;
  int as_json = 0;
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":", cmd_estimate_options, NULL)) != -1) {
    int r = rcli_option(&o, cmd, c, optarg);
    if (r < 0)
      return EXIT_USAGE;
    if (r)
      continue;
    if (c == OPT_PRICES)
      prices_path = optarg;
    else if (c == OPT_JSON)
      as_json = 1;
    else if (c == ':')
      return cli_usage_error(cmd, "an option needs a value");
    else
      return cli_bad_option(cmd, argv, cmd_estimate_options);
  }
  if (rcli_positionals(&o, cmd, argc, argv, optind))
    return EXIT_USAGE;

  bt_error err;
  error_clear(&err);
  bt_prices *prices = NULL;
  if (prices_path ? prices_load_litellm(prices_path, &prices, &err)
                  : prices_builtin(&prices, &err)) {
    cli_error(cmd, &err);
    return EXIT_USAGE;
  }
  bt_render *r = NULL;
  if (render_open(o.template_path, o.input_path, &o.ro, &r, &err)) {
    cli_error(cmd, &err);
    prices_free(prices);
    return EXIT_USAGE;
  }
  const bt_render_info *info = render_info(r);
  bt_estimate e;
  estimate_init(&e, info->provider_id, info->endpoint_id, o.chunk_size);
  const bt_rendered *row;
  bt_status s;
  while (!(s = render_next(r, &row, &err)) && row)
    if ((s = estimate_add(&e, row, &err)))
      break;
  if (s) {
    cli_error(cmd, &err);
    render_close(r);
    prices_free(prices);
    return EXIT_USAGE;
  }
  const bt_price *price = prices_find(prices, info->model, info->provider);
  bt_cost cost;
  estimate_cost(&e, price, &cost);
  int rc = EXIT_OK;
  if (as_json) {
    rc = print_json(info, info->model, &e, prices, price, &cost);
  } else {
    char a[64], b[64], c3[64];
    printf("%s over %s\n", o.template_path, o.input_path);
    printf("  provider        %s, model %s, %s\n", info->provider, info->model, info->endpoint);
    printf("  rows            %14s\n", fmt_int(e.rows, a, sizeof a));
    printf("  requests        %14s\n", fmt_int(e.requests, a, sizeof a));
    printf("  batches         %14s\n", fmt_int(estimate_batches(&e), a, sizeof a));
    printf("  input tokens    %14s   (estimated, typically within 15%%)\n",
           fmt_int(e.input_tokens, a, sizeof a));
    if (e.has_output) {
      printf("  output tokens   %14s   expected (half of max_tokens)\n",
             fmt_int(e.output_expected, a, sizeof a));
      printf("                  %14s   worst case (%s)\n", fmt_int(e.output_worst, a, sizeof a),
             e.worst_assumed ? "no max_tokens: 4,096 per request assumed"
                             : "every answer as long as max_tokens allows");
    } else {
      printf("  output tokens   %14s   (embeddings)\n", "0");
    }
    printf("\n");
    if (!price) {
      printf("  cost: no price known for %s (%s); try --prices FILE\n", info->model,
             prices_source(prices));
    } else {
      printf("  cost            %14s %14s %14s\n", "standard", "batch", "saving");
      double pct_w = cost.standard_worst > 0
                         ? 100.0 * (cost.standard_worst - cost.batch_worst) / cost.standard_worst
                         : 0;
      char sa[80], sb[80];
      snprintf(sa, sizeof sa, "%s (%.0f%%)", fmt_usd(cost.saving_expected, c3, sizeof c3),
               cost.saving_pct);
      printf("    expected      %14s %14s %14s\n", fmt_usd(cost.standard_expected, a, sizeof a),
             fmt_usd(cost.batch_expected, b, sizeof b), sa);
      snprintf(sb, sizeof sb, "%s (%.0f%%)",
               fmt_usd(cost.standard_worst - cost.batch_worst, c3, sizeof c3), pct_w);
      printf("    worst case    %14s %14s %14s\n", fmt_usd(cost.standard_worst, a, sizeof a),
             fmt_usd(cost.batch_worst, b, sizeof b), sb);
      printf("\n  prices: %s, %s: $%g in / $%g out per 1M tokens; batch $%g / $%g%s\n",
             prices_source(prices), price->model, price->input, price->output, price->batch_input,
             price->batch_output, price->batch_computed ? " (50% of standard)" : "");
    }
  }
  render_close(r);
  prices_free(prices);
  return rc;
}
