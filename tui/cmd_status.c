/* cmd_status: `batchtop status`: one job: batches, counts, cost, errors summary. */
#include "cli.h"

const bt_cmd_help cmd_status_help = {
    "JOB [--json] [--wait]",
    "one job: batches, counts, cost, errors summary",
    "  --json   machine-readable output (cli.md)\n"
    "  --wait   drive the job until every task has ended\n"
    ""};

int cmd_status(bt_cli *cli, int argc, char **argv) {
  (void)cli;
  (void)argc;
  (void)argv;
  return cli_not_built("status", "issue #5");
}
