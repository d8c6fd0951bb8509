/* cmd_submit: `batchtop submit`: create a job; prints its id; --wait blocks until done. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_status.h"
#include "job.h"

const bt_cmd_help cmd_submit_help = {
    "TEMPLATE INPUT --provider P --model M [--name NAME] [--chunk-size N] [--max-cost USD] "
    "[--wait]",
    "create a job; prints its id; --wait blocks until done",
    "  --provider P      openai, anthropic or local\n"
    "  --model M         overrides the template's model\n"
    "  --name NAME       a name for the job\n"
    "  --chunk-size N    at most N requests per batch\n"
    "  --max-cost USD    refuse (exit 4) when the estimate is higher; the engine also stops\n"
    "                    submitting chunks when estimate plus actual spend would pass it\n"
    "  --id-field NAME   use this input column as custom_id (default row-N)\n"
    "  --wait            wait until every task has ended (exit 0, 2 or 3)\n"
    "Without --wait the batches are created at the provider and submit returns; `status JOB\n"
    "--wait` or the dashboard collects the results. Provider local runs the requests in this\n"
    "process, so submit returns when they are done.\n"};

static int parse_num(const char *s, double *out) {
  char *end;
  *out = strtod(s, &end);
  return end != s && *end == '\0' && isfinite(*out) && *out >= 0;
}

int cmd_submit(bt_cli *cli, int argc, char **argv) {
  static const struct option longopts[] = {
      {"provider", required_argument, NULL, 'p'}, {"model", required_argument, NULL, 'm'},
      {"name", required_argument, NULL, 'n'},     {"chunk-size", required_argument, NULL, 'c'},
      {"max-cost", required_argument, NULL, 'x'}, {"id-field", required_argument, NULL, 'i'},
      {"wait", no_argument, NULL, 'w'},           {0, 0, 0, 0}};
  bt_job_opts o;
  job_opts_init(&o);
  int wait = 0, c;
  double v;
  optind = 1;
  while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
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
    default:
      return cli_usage_error("submit", "unknown option");
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
  bt_store *s;
  if (cli_open_store("submit", &s))
    return EXIT_USAGE;
  bt_error err;
  error_clear(&err);
  char id[BT_JOB_ID_LEN + 1];
  bt_status st = job_create_from_render(s, argv[optind], argv[optind + 1], &o, id, &err);
  store_close(s);
  if (st) {
    cli_error("submit", &err);
    return st == BT_ERR_BUDGET ? EXIT_BUDGET : EXIT_USAGE;
  }
  printf("%s\n", id);
  fflush(stdout);
  return cmd_drive_job(cli, "submit", id, wait ? DRIVE_UNTIL_DONE : DRIVE_UNTIL_SUBMITTED);
}
