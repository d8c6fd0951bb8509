/* cmd_preview: `batchtop preview`: show rendered requests for rows, human-readable. */
#include "cli.h"

const bt_cmd_help cmd_preview_help = {
    "TEMPLATE INPUT [--row N]... [--tui]",
    "show rendered requests for rows, human-readable",
    "  --row N        show data row N (1-based; repeatable; default: the first 3)\n"
    "  --tui          open the dashboard's interactive preview\n"
    ""};

int cmd_preview(bt_cli *cli, int argc, char **argv) {
  (void)cli;
  (void)argc;
  (void)argv;
  return cli_not_built("preview", "issue #3");
}
