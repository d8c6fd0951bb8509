/* Every view drawn at many sizes, from tiny to huge, resizing in between: nothing crashes, the
 * title and footer stay on their rows, and (under ASan in CI) nothing reads or writes out of
 * bounds. The golden tests pin the exact screens at 80x24 and 120x40; this pins the rest. */
#include <unistd.h>

#include "golden.h"

static const int sizes[][2] = {{3, 10},   {6, 20},   {10, 40},  {24, 80},  {25, 81},
                               {30, 100}, {40, 120}, {50, 160}, {60, 230}, {12, 300}};

static void draw_all_sizes(bt_app *app, const char *what) {
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    app_resize(app, sizes[i][0], sizes[i][1]);
    app_draw(app);
    bt_buf text;
    buf_init(&text, 0);
    assert_int_equal(ui_dump_text(stdscr, &text), BT_OK);
    int rows = 0;
    for (const char *p = buf_str(&text); *p; p++)
      rows += *p == '\n';
    if (rows != sizes[i][0])
      fail_msg("%s at %dx%d: %d rows dumped", what, sizes[i][1], sizes[i][0], rows);
    /* (A dialog may cover the title on a tiny screen.) */
    if (sizes[i][0] >= 10 && (!app->modal.kind || sizes[i][0] >= 24) &&
        !strstr(buf_str(&text), "batchtop"))
      fail_msg("%s at %dx%d: no title", what, sizes[i][1], sizes[i][0]);
    buf_cleanup(&text);
  }
  app_resize(app, 24, 80);
}

static void test_sizes(void **state) {
  (void)state;
  char *src = tu_source_path("");
  assert_int_equal(chdir(src), 0);
  free(src);
  golden_store g = golden_store_open();
  bt_app *app = golden_app(g.s, NULL, 24, 80);
  draw_all_sizes(app, "jobs");
  golden_keys(app, "j\n");
  draw_all_sizes(app, "job");
  bt_config ecfg;
  bt_engine *engine = golden_engine(&g, &ecfg); /* dialogs open only with an engine */
  app->engine = engine;
  golden_keys(app, "R");
  assert_int_equal(app->modal.kind, 1);
  draw_all_sizes(app, "job with a dialog");
  golden_keys(app, "nt");
  draw_all_sizes(app, "tasks");
  golden_keys(app, "\n");
  draw_all_sizes(app, "inspector");
  golden_keys(app, "G");
  draw_all_sizes(app, "inspector at the end");
  golden_keys(app, "?");
  draw_all_sizes(app, "help");
  /* Back to the jobs list, then the pipeline (the third row) and a row's lineage. */
  while (app->depth > 1)
    app_pop(app);
  golden_keys(app, "gjj\n");
  assert_string_equal(app->stack[app->depth - 1].ops->name, "pipeline");
  draw_all_sizes(app, "pipeline");
  golden_keys(app, "\n\n\n");
  assert_string_equal(app->stack[app->depth - 1].ops->name, "inspector");
  draw_all_sizes(app, "inspector with a lineage");
  bt_view_arg arg = {0};
  arg.state = -1;
  arg.template_path = "examples/label.tmpl";
  arg.input_path = "examples/feedback.csv";
  assert_int_equal(app_push(app, &view_preview_ops, &arg), BT_OK);
  draw_all_sizes(app, "preview");
  golden_keys(app, "/");
  draw_all_sizes(app, "preview with a prompt");
  app_free(app);
  engine_free(engine);
  config_cleanup(&ecfg);
  golden_store_close(&g);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_sizes)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
