/* Golden screens: the help, generated from the action list and the live bindings, at 80x24 and
 * 120x40 with colour elements; a binding from the config file shows in it. */
#include "golden.h"

/* Expected screens (tests/render/regen.sh rewrites them); kept as the screen shows them. */
/* clang-format off */
/* golden help_80x24 */
static const char help_80x24[] =
    " batchtop jobs › help     2 running · 243 in flight · today $0.18 · total $0.18\n"
    " Keys                      Action (config name)\n"
    "   k Up                    up               move up\n"
    "   j Down                  down             move down\n"
    "   PgUp C-b                page-up          page up\n"
    "   PgDn C-f Space          page-down        page down\n"
    "   g Home                  top              go to the top\n"
    "   G End                   bottom           go to the bottom\n"
    "   Enter Right l           open             open the selected item\n"
    "   Esc Backspace Left h    back             go back\n"
    "   Tab                     focus            switch between batches and errors\n"
    "   t                       tasks            list all the job's tasks\n"
    "   n                       new              new job: preview a template over an\n"
    "                                            input file\n"
    "   r                       retry            retry the job's failed, expired and\n"
    "                                            cancelled tasks\n"
    "   R                       retry-selected   retry the selected error group or\n"
    "                                            task\n"
    "   c                       cancel           cancel the selected job\n"
    "   S                       submit           submit the previewed job\n"
    "   /                       filter           filter or search\n"
    "   n                       search-next      next match of the search (inspector)\n"
    " batchtop 0.1.0 · watching the store (read-only) · q or Esc closes the help\n"
    "PgDn page-down  PgUp page-up  Esc back  ? help\n";
/* end help_80x24 */

/* golden help_80x24_elems */
static const char help_80x24_elems[] =
    "bbbbbbbbbbaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
    ".eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee.................................\n"
    "...ffff....................gg...................................................\n"
    "...ffffff..................gggg.................................................\n"
    "...ffffffff................ggggggg..............................................\n"
    "...ffffffffffffff..........ggggggggg............................................\n"
    "...ffffff..................ggg..................................................\n"
    "...fffff...................gggggg...............................................\n"
    "...fffffffffffff...........gggg.................................................\n"
    "...ffffffffffffffffffff....gggg.................................................\n"
    "...fff.....................ggggg................................................\n"
    "...f.......................ggggg................................................\n"
    "...f.......................ggg..................................................\n"
    "................................................................................\n"
    "...f.......................ggggg................................................\n"
    "................................................................................\n"
    "...f.......................gggggggggggggg.......................................\n"
    "................................................................................\n"
    "...f.......................gggggg...............................................\n"
    "...f.......................gggggg...............................................\n"
    "...f.......................gggggg...............................................\n"
    "...f.......................ggggggggggg..........................................\n"
    "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\n"
    "iiiijjjjjjjjjjjjiiiijjjjjjjjjjiiijjjjjjjijjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjj\n";
/* end help_80x24_elems */

/* golden help_120x40 */
static const char help_120x40[] =
    " batchtop jobs › help                                             2 running · 243 in flight · today $0.18 · total $0.18\n"
    " Keys                      Action (config name)\n"
    "   k Up                    up               move up\n"
    "   j Down                  down             move down\n"
    "   PgUp C-b                page-up          page up\n"
    "   PgDn C-f Space          page-down        page down\n"
    "   g Home                  top              go to the top\n"
    "   G End                   bottom           go to the bottom\n"
    "   Enter Right l           open             open the selected item\n"
    "   Esc Backspace Left h    back             go back\n"
    "   Tab                     focus            switch between batches and errors\n"
    "   t                       tasks            list all the job's tasks\n"
    "   n                       new              new job: preview a template over an input file\n"
    "   r                       retry            retry the job's failed, expired and cancelled tasks\n"
    "   R                       retry-selected   retry the selected error group or task\n"
    "   c                       cancel           cancel the selected job\n"
    "   S                       submit           submit the previewed job\n"
    "   /                       filter           filter or search\n"
    "   n                       search-next      next match of the search (inspector)\n"
    "   N                       search-prev      previous match of the search (inspector)\n"
    "   v                       pager            open the raw JSON in $PAGER (inspector)\n"
    "   f                       filter-state     cycle the task state filter\n"
    "   s                       sort             change the sort order\n"
    "   I                       reverse          reverse the sort order (tasks)\n"
    "   p                       preview          preview the job's template over its input\n"
    "   y                       copy             copy the selected id\n"
    "   ? F1                    help             show this help\n"
    "   C-l                     refresh          reload, redraw, and drive any job no one drives\n"
    "   q F10                   quit             quit (in this help: close it)\n"
    "\n"
    " Mouse\n"
    "   Click a row to select it, roll the wheel to scroll, click a key in the bottom bar to press it.\n"
    "\n"
    " Settings\n"
    "   Keys are rebound in the [keys] section of the config file, one action a line with its keys (the action names are in\n"
    "   the middle column above): e.g. 'retry = r C-r'. Key names: a character, C-x, F1-F12, Up, Down, Left, Right, PgUp,\n"
    "   PgDn, Home, End, Enter, Esc, Backspace, Tab, Space.\n"
    "   Theme: default. Choose with --theme NAME or 'theme = NAME' in the config (default, light, high-contrast, mono);\n"
    " batchtop 0.1.0 · watching the store (read-only) · q or Esc closes the help\n"
    "PgDn page-down  PgUp page-up  Esc back  ? help\n";
/* end help_120x40 */
/* clang-format on */

static void test_help(void **state) {
  (void)state;
  golden_store g = golden_store_open();
  bt_store *s = g.s;
  bt_config cfg;
  config_init(&cfg);
  bt_app *app = golden_app(s, &cfg, 24, 80);
  golden_keys(app, "?");
  golden_check(app, "help_80x24", help_80x24, help_80x24_elems);
  app_resize(app, 40, 120);
  golden_check(app, "help_120x40", help_120x40, NULL);
  /* q and Esc close the help (q quits everywhere else). */
  assert_int_equal(app_key(app, 'q') & UI_QUIT, 0);
  assert_string_equal(app->stack[app->depth - 1].ops->name, "jobs");
  golden_keys(app, "?");
  app_key(app, 27);
  assert_string_equal(app->stack[app->depth - 1].ops->name, "jobs");
  assert_int_equal(app_key(app, 'q') & UI_QUIT, UI_QUIT);
  app_free(app);

  /* [keys] retry = x: the help and the footer follow. */
  bt_keybinding b[1] = {{"retry", "x", 3}};
  cfg.keys = b;
  cfg.n_keys = 1;
  ui_keymap km;
  ui_keymap_default(&km);
  bt_error err;
  assert_int_equal(ui_keymap_apply_config(&km, &cfg, &err), BT_OK);
  ui_theme theme;
  ui_theme_builtin(&theme);
  bt_app_opts o = {&cfg, s, &theme, &km, NULL, 24, 100};
  assert_int_equal(app_new(&o, &app, &err), BT_OK);
  assert_int_equal(app_push(app, &view_jobs_ops, NULL), BT_OK);
  app_key(app, '?');
  app_key(app, KEY_NPAGE);
  app_draw(app);
  bt_buf text;
  buf_init(&text, 0);
  assert_int_equal(ui_dump_text(stdscr, &text), BT_OK);
  assert_non_null(
      strstr(buf_str(&text), "x                       retry            retry the job's failed"));
  buf_cleanup(&text);
  app_free(app);
  cfg.keys = NULL;
  cfg.n_keys = 0;
  config_cleanup(&cfg);
  golden_store_close(&g);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_help)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
