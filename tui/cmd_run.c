/* cmd_run: `batchtop run`: chained stages (stage N+1 reads stage N's results). */
#include "cli.h"

const bt_cmd_help cmd_run_help = {
    "PIPELINE [--wait]",
    "chained stages (stage N+1 reads stage N's results)",
    "  --wait   wait until every stage has ended\n"
    ""};

int cmd_run(bt_cli *cli, int argc, char **argv) {
  (void)cli;
  (void)argc;
  (void)argv;
  return cli_not_built("run", "issue #7");
}
