/* cmd_import: `batchtop import`: track batches created elsewhere. */
#include "cli.h"

const bt_cmd_help cmd_import_help = {
    "--provider P [REMOTE_BATCH_ID...]",
    "track batches created elsewhere",
    "  --provider P   openai or anthropic\n"
    ""};

int cmd_import(bt_cli *cli, int argc, char **argv) {
  (void)cli;
  (void)argc;
  (void)argv;
  return cli_not_built("import", "issue #5");
}
