/* cmd_errors: `batchtop errors`: failed tasks grouped by error code. */
#include "cli.h"

const bt_cmd_help cmd_errors_help = {
    "JOB [--json]",
    "failed tasks grouped by error code",
    "  --json   machine-readable output\n"
    ""};

int cmd_errors(bt_cli *cli, int argc, char **argv) {
  (void)cli;
  (void)argc;
  (void)argv;
  return cli_not_built("errors", "issue #5");
}
