/* cmd_retry: `batchtop retry`: new attempt for the selected tasks only. */
#include "cli.h"

const bt_cmd_help cmd_retry_help = {
    "JOB [--only failed|expired|cancelled|CODE] [--wait]",
    "new attempt for the selected tasks only",
    "  --only WHAT   failed, expired, cancelled or an error code (default: all three states)\n"
    "  --wait        wait until the retried tasks have ended\n"
    ""};

int cmd_retry(bt_cli *cli, int argc, char **argv) {
  (void)cli;
  (void)argc;
  (void)argv;
  return cli_not_built("retry", "issue #5");
}
