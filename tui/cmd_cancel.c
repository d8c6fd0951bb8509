/* cmd_cancel: `batchtop cancel`: cancel a job's running batches. */
#include "cli.h"

const bt_cmd_help cmd_cancel_help = {
    "JOB",
    "cancel a job's running batches",
    ""};

int cmd_cancel(bt_cli *cli, int argc, char **argv) {
  (void)cli;
  (void)argc;
  (void)argv;
  return cli_not_built("cancel", "issue #5");
}
