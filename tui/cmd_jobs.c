/* cmd_jobs: `batchtop jobs`: list jobs. */
#include "cli.h"

const bt_cmd_help cmd_jobs_help = {
    "[--json]",
    "list jobs",
    "  --json   machine-readable output (cli.md)\n"
    ""};

int cmd_jobs(bt_cli *cli, int argc, char **argv) {
  (void)cli;
  (void)argc;
  (void)argv;
  return cli_not_built("jobs", "issue #5");
}
