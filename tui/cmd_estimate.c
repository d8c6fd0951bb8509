/* cmd_estimate: `batchtop estimate`: tokens and cost: batch price beside standard price. */
#include "cli.h"

const bt_cmd_help cmd_estimate_help = {
    "TEMPLATE INPUT [--provider P] [--model M]",
    "tokens and cost: batch price beside standard price",
    "  --provider P   openai, anthropic or local\n"
    "  --model M      overrides the template's model\n"
    "  --prices FILE  price table in LiteLLM's JSON format\n"
    ""};

int cmd_estimate(bt_cli *cli, int argc, char **argv) {
  (void)cli;
  (void)argc;
  (void)argv;
  return cli_not_built("estimate", "issue #3");
}
