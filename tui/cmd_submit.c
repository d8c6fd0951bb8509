/* cmd_submit: `batchtop submit`: create a job; prints its id; --wait blocks until done. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_status.h"
#include "job.h"
#include "job_report.h"
#include "prices.h"
#include "provider.h"
#include "util.h"

enum { OPT_PRICES = 256, OPT_ALLOW_DUP };
const struct option cmd_submit_options[] = {
    {"provider", required_argument, NULL, 'p'},
    {"model", required_argument, NULL, 'm'},
    {"name", required_argument, NULL, 'n'},
    {"chunk-size", required_argument, NULL, 'c'},
    {"max-cost", required_argument, NULL, 'x'},
    {"id-field", required_argument, NULL, 'i'},
    {"prices", required_argument, NULL, OPT_PRICES},
    {"allow-duplicate-name", no_argument, NULL, OPT_ALLOW_DUP},
    {"wait", no_argument, NULL, 'w'},
    {0, 0, 0, 0}};
const bt_cmd_help cmd_submit_help = {
    "TEMPLATE INPUT [--provider P] [--model M] [--name NAME] [--chunk-size N] [--max-cost USD] "
    "[--prices FILE] [--id-field NAME] [--allow-duplicate-name] [--wait]",
    "create a job; prints its id; --wait blocks until done",
    "  --provider P      openai, anthropic or local (default: the config's)\n"
    "  --model M         overrides the template's model\n"
    "  --name NAME       a name for the job (default: the template's file name); a name\n"
    "                    another job has is refused (exit 1)\n"
    "  --allow-duplicate-name  make the job even when another has that --name\n"
    "  --chunk-size N    at most N requests per batch\n"
    "  --max-cost USD    refuse (exit 4) when the estimate is higher, or when the model has\n"
    "                    no known price; the engine also stops submitting chunks when\n"
    "                    estimate plus actual spend would pass it\n"
    "  --prices FILE     price table in LiteLLM's JSON format (default: config 'prices')\n"
    "  --id-field NAME   use this input column as custom_id (default row-N)\n"
    "  --wait            wait until every task has ended (exit 0, 2 or 3)\n"
    "The job id goes to stdout, what was created and how to watch it to stderr. Without\n"
    "--wait the batches are created at the provider and submit returns; `status JOB --wait`\n"
    "or the dashboard collects the results. Provider local runs the requests in this\n"
    "process, so submit returns when they are done.\n"};

/* stderr: what was made and how to follow it (stdout has only the id, for scripts). */
static void tell_created(bt_store *s, const char *id, int wait) {
  json_t *o;
  bt_error err;
  if (job_report_json(s, id, 1, &o, &err))
    return;
  const char *provider = json_string_value(json_object_get(o, "provider"));
  const char *model = json_string_value(json_object_get(o, "model"));
  const char *family = cli_model_provider(model);
  if (family && provider && strcmp(provider, "local") != 0 && strcmp(family, provider) != 0)
    fprintf(stderr,
            "batchtop submit: warning: model '%s' belongs to %s, but the provider is %s; the"
            " provider will likely refuse it (give --provider %s, or another --model)\n",
            model, family, provider, family);
  char est[32];
  json_t *cost = json_object_get(o, "cost");
  if (json_is_true(json_object_get(o, "price_known")))
    util_fmt_usd(json_real_value(json_object_get(cost, "estimated_usd")), est, sizeof est);
  else
    snprintf(est, sizeof est, "? (no price known)");
  long long tasks =
      (long long)json_integer_value(json_object_get(json_object_get(o, "counts"), "total"));
  size_t batches = json_array_size(json_object_get(o, "batches"));
  fprintf(stderr,
          "batchtop submit: created job %s '%s': %lld task%s in %zu batch%s, %s %s, estimated"
          " %s at most\n",
          id, json_string_value(json_object_get(o, "name")), tasks, tasks == 1 ? "" : "s", batches,
          batches == 1 ? "" : "es", provider, model, est);
  if (!wait)
    fprintf(stderr,
            "batchtop submit: follow it with `batchtop status %s --wait` (or open `batchtop`)\n",
            id);
  json_decref(o);
}

static int parse_num(const char *s, double *out) {
  char *end;
  *out = strtod(s, &end);
  return end != s && *end == '\0' && isfinite(*out) && *out >= 0;
}

int cmd_submit(bt_cli *cli, int argc, char **argv) {
  bt_job_opts o;
  job_opts_init(&o);
  int wait = 0, c;
  const char *prices = NULL;
  double v;
  optind = 1;
  while ((c = getopt_long(argc, argv, "", cmd_submit_options, NULL)) != -1) {
    switch (c) {
    case 'p':
      o.provider = optarg;
      break;
    case 'm':
      o.model = optarg;
      break;
    case 'n':
      o.name = optarg;
      break;
    case 'i':
      o.id_field = optarg;
      break;
    case 'c':
      if (!parse_num(optarg, &v) || v < 1)
        return cli_usage_error("submit", "--chunk-size wants a positive number");
      o.chunk_size = (int64_t)v;
      break;
    case 'x':
      if (!parse_num(optarg, &v))
        return cli_usage_error("submit", "--max-cost wants an amount in USD");
      o.max_cost_usd = v;
      break;
    case 'w':
      wait = 1;
      break;
    case OPT_PRICES:
      prices = optarg;
      break;
    case OPT_ALLOW_DUP:
      o.allow_duplicate_name = 1;
      break;
    default:
      return cli_bad_option("submit", argv, cmd_submit_options);
    }
  }
  if (argc - optind != 2)
    return cli_usage_error("submit", "give TEMPLATE and INPUT");
  if (!o.provider)
    o.provider = cli->cfg.provider;
  if (!o.model)
    o.model = cli->cfg.model;
  if (o.max_cost_usd < 0 && cli->cfg.max_cost > 0)
    o.max_cost_usd = cli->cfg.max_cost;
  bt_error err;
  error_clear(&err);
  if (prices) {
    /* Checked here: the engine falls back to the built-in table on a bad file, quietly. */
    bt_prices *table;
    if (prices_load_litellm(prices, &table, &err)) {
      cli_error("submit", &err);
      return EXIT_USAGE;
    }
    prices_free(table);
    provider_prices_use(prices);
  }
  bt_store *s;
  if (cli_open_store("submit", &s))
    return EXIT_USAGE;
  char id[BT_JOB_ID_LEN + 1];
  bt_status st = job_create_from_render(s, argv[optind], argv[optind + 1], &o, id, &err);
  if (st) {
    store_close(s);
    cli_error("submit", &err);
    return st == BT_ERR_BUDGET ? EXIT_BUDGET : EXIT_USAGE;
  }
  printf("%s\n", id);
  fflush(stdout);
  tell_created(s, id, wait);
  store_close(s);
  return cmd_drive_job(cli, "submit", id, wait ? DRIVE_UNTIL_DONE : DRIVE_UNTIL_SUBMITTED);
}
