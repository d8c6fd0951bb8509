/* cmd_retry: `batchtop retry`: new attempts for the selected tasks only, in new batches. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_status.h"
#include "lease.h"
#include "retry.h"

const bt_cmd_help cmd_retry_help = {
    "JOB [--only failed|expired|cancelled|CODE] [--max-cost USD] [--wait]",
    "new attempt for the selected tasks only",
    "  --only WHAT      failed, expired, cancelled or an error code (default: all three "
    "states)\n"
    "  --max-cost USD   refuse (exit 4) when the retry's estimate is higher; the engine stops\n"
    "                   the retry's chunks when its spend plus estimates would pass it\n"
    "  --wait           wait until every task has ended (exit 0, 2 or 3)\n"
    "The latest success wins: a task that succeeded is never retried.\n"};

int cmd_retry(bt_cli *cli, int argc, char **argv) {
  static const struct option longopts[] = {{"only", required_argument, NULL, 'o'},
                                           {"max-cost", required_argument, NULL, 'x'},
                                           {"wait", no_argument, NULL, 'w'},
                                           {0, 0, 0, 0}};
  const char *only = NULL;
  double max_cost = -1;
  int wait = 0, c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    if (c == 'o') {
      only = optarg;
    } else if (c == 'x') {
      char *end;
      max_cost = strtod(optarg, &end);
      if (end == optarg || *end || !isfinite(max_cost) || max_cost < 0)
        return cli_usage_error("retry", "--max-cost wants an amount in USD");
    } else if (c == 'w') {
      wait = 1;
    } else {
      return cli_usage_error("retry", "unknown option");
    }
  }
  if (optind != argc - 1)
    return cli_usage_error("retry", "give one JOB");
  bt_store *s;
  if (cli_open_store("retry", &s))
    return EXIT_USAGE;
  char id[BT_JOB_ID_LEN + 1];
  if (cmd_resolve_job("retry", s, argv[optind], id)) {
    store_close(s);
    return EXIT_USAGE;
  }
  bt_error err;
  error_clear(&err);
  int64_t n = 0;
  bt_status st = retry_apply(s, id, only, 0, max_cost, &n, &err);
  int held = 0;
  if (!st)
    st = lease_held(s, id, NULL, &held, &err);
  store_close(s);
  if (st) {
    cli_error("retry", &err);
    return st == BT_ERR_BUDGET ? EXIT_BUDGET : EXIT_USAGE;
  }
  fprintf(stderr, "batchtop retry: %lld task%s to retry\n", (long long)n, n == 1 ? "" : "s");
  if (held) {
    fprintf(stderr,
            "batchtop retry: another batchtop process drives job %s; it takes the "
            "retry from here\n",
            id);
    return EXIT_OK;
  }
  if (n == 0 && !wait)
    return EXIT_OK;
  return cmd_drive_job(cli, "retry", id, wait ? DRIVE_UNTIL_DONE : DRIVE_UNTIL_SUBMITTED);
}
