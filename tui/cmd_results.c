/* cmd_results: `batchtop results`: input rows merged with outputs, in input order. */
#include "cli.h"

const bt_cmd_help cmd_results_help = {
    "JOB [-o FILE] [--format csv|jsonl]",
    "input rows merged with outputs, in input order",
    "  -o, --output FILE      write to FILE instead of stdout\n"
    "  --format csv|jsonl     default: the input's format\n"
    ""};

int cmd_results(bt_cli *cli, int argc, char **argv) {
  (void)cli;
  (void)argc;
  (void)argv;
  return cli_not_built("results", "issue #5");
}
