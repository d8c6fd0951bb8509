/* cmd_render: `batchtop render`: write provider-ready JSONL (stdout by default). */
#include "cli.h"

const bt_cmd_help cmd_render_help = {
    "TEMPLATE INPUT [-o FILE] [--provider P] [--model M]",
    "write provider-ready JSONL (stdout by default)",
    "  -o, --output FILE   write to FILE instead of stdout\n"
    "  --split DIR         write one file per chunk into DIR\n"
    "  --provider P        openai, anthropic or local\n"
    "  --model M           overrides the template's model\n"
    ""};

int cmd_render(bt_cli *cli, int argc, char **argv) {
  (void)cli;
  (void)argc;
  (void)argv;
  return cli_not_built("render", "issue #3");
}
