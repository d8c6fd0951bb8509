/* cmd_submit: `batchtop submit`: create a job; prints its id; --wait blocks until done. */
#include "cli.h"

const bt_cmd_help cmd_submit_help = {
    "TEMPLATE INPUT --provider P --model M [--name NAME] [--chunk-size N] [--max-cost USD] [--wait]",
    "create a job; prints its id; --wait blocks until done",
    "  --provider P      openai, anthropic or local\n"
    "  --model M         overrides the template's model\n"
    "  --name NAME       a name for the job\n"
    "  --chunk-size N    at most N requests per batch\n"
    "  --max-cost USD    refuse (exit 4) when the estimate is higher\n"
    "  --wait            wait until every task has ended\n"
    ""};

int cmd_submit(bt_cli *cli, int argc, char **argv) {
  (void)cli;
  (void)argc;
  (void)argv;
  return cli_not_built("submit", "issue #5");
}
