/* cmd_dashboard: `batchtop` with no command opens the dashboard. */
#include "cli.h"

const bt_cmd_help cmd_dashboard_help = {"[--theme NAME]", "open the dashboard on the store",
                                        "  --theme NAME   default, light, high-contrast or mono\n"};

int cmd_dashboard(bt_cli *cli, int argc, char **argv) {
  (void)cli;
  (void)argc;
  (void)argv;
  return cli_not_built("dashboard", "issue #6");
}
