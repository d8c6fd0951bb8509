/* cmd_dashboard: `batchtop` with no command opens the dashboard; also the entry of
 * `batchtop preview ... --tui`. Everything that can fail with a message (flags, theme file,
 * key bindings, the store) is checked before the screen is taken over, so errors print on a
 * normal terminal. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "actions.h"
#include "app.h"
#include "cli.h"
#include "store.h"

const bt_cmd_help cmd_dashboard_help = {
    "[--theme NAME] [--read-only]", "open the dashboard on the store",
    "  --theme NAME   default, light, high-contrast, mono, or a path to a .theme file\n"
    "  --read-only    watch the store only: drive no job (another process may)\n"};

/* Theme, keys, store, screen; then the first view and the loop. */
static int run(bt_cli *cli, const char *cmd, const char *theme_opt, int read_only,
               const bt_view_ops *first, const bt_view_arg *arg) {
  bt_error err;
  error_clear(&err);
  ui_theme theme;
  if (ui_theme_load(ui_theme_choose(theme_opt, cli->cfg.theme), &theme, &err) != BT_OK) {
    cli_error(cmd, &err);
    return EXIT_USAGE;
  }
  ui_keymap km;
  ui_keymap_default(&km);
  if (ui_keymap_apply_config(&km, &cli->cfg, &err) != BT_OK) {
    cli_error(cmd, &err);
    return EXIT_USAGE;
  }
  bt_store *store = NULL;
  if (cli_open_store(cmd, &store) != 0)
    return EXIT_USAGE;
  /* The same engine as `submit --wait`, in this process, unless only watching. If it cannot
   * start, the dashboard still shows the store and says why. */
  void *engine = NULL;
  char engine_msg[600] = "";
  if (!read_only && actions_engine_start(&cli->cfg, &engine, &err) != BT_OK) {
    error_format(&err, engine_msg, sizeof engine_msg);
    error_clear(&err);
  }
  bt_app_opts o = {&cli->cfg, store, &theme, &km, engine, 0, 0};
  bt_app *app = NULL;
  if (app_new(&o, &app, &err) != BT_OK) {
    actions_engine_stop(engine);
    store_close(store);
    cli_error(cmd, &err);
    return EXIT_USAGE;
  }
  int rc = EXIT_OK;
  if (app_push(app, &view_jobs_ops, NULL) != BT_OK ||
      (first && app_push(app, first, arg) != BT_OK && first != &view_jobs_ops)) {
    /* The preview could not open: say why after the screen is given back. */
    char msg[256];
    snprintf(msg, sizeof msg, "%s", app->message);
    app_free(app);
    actions_engine_stop(engine);
    store_close(store);
    fprintf(stderr, "batchtop %s: %s\n", cmd, msg[0] ? msg : "cannot open the view");
    return EXIT_USAGE;
  }
  if (engine_msg[0] && !app->message[0])
    app_message(app, 1, "watching only: %s", engine_msg);
  rc = app_run(app);
  app_free(app);
  actions_engine_stop(engine); /* after the app: it borrowed the engine */
  store_close(store);
  return rc;
}

int cmd_dashboard(bt_cli *cli, int argc, char **argv) {
  static const struct option opts[] = {{"theme", required_argument, NULL, 't'},
                                       {"read-only", no_argument, NULL, 'r'},
                                       {NULL, 0, NULL, 0}};
  const char *theme = NULL;
  int read_only = 0;
  int c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
    case 't':
      theme = optarg;
      break;
    case 'r':
      read_only = 1;
      break;
    default: {
      char what[128];
      if (optopt)
        snprintf(what, sizeof what, "option -%c needs a value or is unknown", optopt);
      else
        snprintf(what, sizeof what, "unknown option '%s'", argv[optind - 1]);
      if (optopt == 't' || (optind > 0 && strcmp(argv[optind - 1], "--theme") == 0))
        snprintf(what, sizeof what, "--theme needs a NAME");
      fprintf(stderr, "batchtop: %s; try 'batchtop --help'\n", what);
      return EXIT_USAGE;
    }
    }
  }
  if (optind < argc) {
    fprintf(stderr, "batchtop: unexpected argument '%s'; try 'batchtop --help'\n", argv[optind]);
    return EXIT_USAGE;
  }
  return run(cli, "dashboard", theme, read_only, NULL, NULL);
}

int dashboard_preview(bt_cli *cli, const char *template_path, const char *input_path,
                      const bt_render_opts *opts) {
  bt_view_arg arg = {0};
  arg.state = -1;
  arg.template_path = template_path;
  arg.input_path = input_path;
  arg.render_opts = opts;
  return run(cli, "preview", NULL, 0, &view_preview_ops, &arg);
}
