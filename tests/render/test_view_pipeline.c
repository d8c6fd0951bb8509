/* Golden screens: a pipeline (the fixture's triage: label, reply, priority) in the jobs list as
 * one row with its funnel, the pipeline view at 80x24 and 120x40 with its colour elements, its
 * keys (Enter opens a stage's job, r and c ask about the stage), and the inspector's lineage of
 * a row through the stages. */
#include "golden.h"
#include "secret.h"

/* Expected screens (tests/render/regen.sh rewrites them); kept as the screen shows them. */
/* clang-format off */
/* golden pipeline_80x24 */
static const char pipeline_80x24[] =
    " batchtop jobs › triage   2 running · 243 in flight · today $0.18 · total $0.18\n"
    " triage  tg7p1pe4 running                            3 stages · created 40m ago\n"
    " Input examples/feedback.csv   File examples/triage.pipeline.yaml\n"
    " Estimate $0.02 (standard $0.03)   Spent $0.0043   Tokens in 1.9k / out 85\n"
    "\n"
    " Stages 3 · held: rows can still flow in from the stage before\n"
    "  # STAGE      PROVIDER/MOD… STATE     PROGRESS      DONE/TOTAL SKIPPED    COST\n"
    "  1 label      openai/gpt-4… completed ███████▓ 100%      12/12       - $0.0006\n"
    "  2 reply      anthropic/cl… running   ████▒▒▒▒  50%        4/8       3 $0.0036\n"
    "  3 priority   openai/gpt-4… held      ████▒▒▒▒  50%        2/4       - $0.0001\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    " stage 1 of 3 · Enter opens its job · r retries its failures\n"
    "Enter open  r retry  c cancel  y copy  Esc back  ? help  q quit\n";
/* end pipeline_80x24 */

/* golden pipeline_80x24_elems */
static const char pipeline_80x24_elems[] =
    "bbbbbbbbbbaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
    ".hhhhhhhhgggggggggooooooohhgggggggggggggggggggggggggggggggggggggggggggggggggggg.\n"
    ".ffffff........................fffffgggggggggggggggggggggggggggggggg............\n"
    ".fffffffffyyyyyyyyyyyyyyyyyyyyyyyyyffffffxxxxxxxxxxfffffff......................\n"
    "................................................................................\n"
    ".eeeeee.ggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg.\n"
    "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\n"
    "dddddddddddddddddddddddddddddddddddddddtttttttuddddddddddddddddddddddddddddddddd\n"
    ".gg.hhhhhhhhhh.ggggggggggggg.ooooooooo.ttttvvvv.........................xxxxxxx.\n"
    ".gg.hhhhhhhhhh.ggggggggggggg.nnnnnnnnn.ttttvvvv.................ggggggg.xxxxxxx.\n"
    "................................................................................\n"
    "................................................................................\n"
    "................................................................................\n"
    "................................................................................\n"
    "................................................................................\n"
    "................................................................................\n"
    "................................................................................\n"
    "................................................................................\n"
    "................................................................................\n"
    "................................................................................\n"
    "................................................................................\n"
    "................................................................................\n"
    "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\n"
    "iiiiijjjjjjjijjjjjjjjijjjjjjjjjijjjjjjjiiijjjjjjjijjjjjjjijjjjjjjjjjjjjjjjjjjjjj\n";
/* end pipeline_80x24_elems */

/* golden pipeline_120x40 */
static const char pipeline_120x40[] =
    " batchtop jobs › triage                                           2 running · 243 in flight · today $0.18 · total $0.18\n"
    " triage  tg7p1pe4 running                                                                    3 stages · created 40m ago\n"
    " Input examples/feedback.csv   File examples/triage.pipeline.yaml\n"
    " Estimate $0.02 (standard $0.03)   Spent $0.0043   Tokens in 1.9k / out 85\n"
    "\n"
    " Stages 3 · held: rows can still flow in from the stage before\n"
    "  # STAGE          PROVIDER/MODEL             STATE     DRIVER  PROGRESS             DONE/TOTAL SKIPPED     EST    COST\n"
    "  1 label          openai/gpt-4o-mini         completed -       ██████████████▓ 100%      12/12       - $0.0009 $0.0006\n"
    "  2 reply          anthropic/claude-haiku-4-5 running   stalled ████████▒▒▒▒▒▒▒  50%        4/8       3   $0.01 $0.0036\n"
    "  3 priority       openai/gpt-4o-mini         held      stalled ████████▒▒▒▒▒▒▒  50%        2/4       - $0.0030 $0.0001\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    " stage 1 of 3 · Enter opens its job · r retries its failures\n"
    "Enter open  r retry  c cancel  y copy  Esc back  ? help  q quit\n";
/* end pipeline_120x40 */

/* golden lineage_80x24 */
static const char lineage_80x24[] =
    " batchtop jobs › triage › triage/label… 2 running · 243 in flight · today $0.18\n"
    "\n"
    " Attempts\n"
    "   #1  batch_67b0c1d2e3f4 failed    HTTP 500 ended 33m ago  server_error: The\n"
    "   server had an error while processing your request.\n"
    "   #2  batch_67b0c9a8b7c6 failed    HTTP 500 ended 25m ago  server_error: The\n"
    "   server had an error while processing your request.\n"
    "\n"
    " Lineage\n"
    "   row 12 through pipeline triage, stage by stage\n"
    "   ▸ 1 label      failed    openai/gpt-4o-mini\n"
    "       #1  batch_67b0c1d2e3f4     failed    server_error  in 0 / out 0  $0.00\n"
    "       #2  batch_67b0c9a8b7c6     failed    server_error  in 0 / out 0  $0.00\n"
    "     2 reply      blocked   anthropic/claude-haiku-4-5\n"
    "     3 priority   blocked   openai/gpt-4o-mini\n"
    "\n"
    " Raw response (JSON)\n"
    "   (none)\n"
    "\n"
    " Raw request (JSON)\n"
    "   {\n"
    "     \"custom_id\": \"row-12\",\n"
    " lines 21-41 of 55 · R retries this task · y copies its id\n"
    "PgDn page-down  PgUp page-up  / filter  y copy  Esc back  ? help  q quit\n";
/* end lineage_80x24 */

/* golden lineage_80x24_elems */
static const char lineage_80x24_elems[] =
    "bbbbbbbbbbaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
    "................................................................................\n"
    ".eeeeeeee.......................................................................\n"
    "..........................qqqqqq................................................\n"
    "................................................................................\n"
    "..........................qqqqqq................................................\n"
    "................................................................................\n"
    "................................................................................\n"
    ".eeeeeee........................................................................\n"
    "...gggggggggggggggggggggggggggggggggggggggggggggg...............................\n"
    "...hhhhhhhhhh.....qqqqqq........................................................\n"
    ".......gggggggggggggggggggggggggggqqqqqqggggBBBBBBBBBBBBggggggggggggggggggggg...\n"
    ".......gggggggggggggggggggggggggggqqqqqqggggBBBBBBBBBBBBggggggggggggggggggggg...\n"
    "..................sssssss.......................................................\n"
    "..................sssssss.......................................................\n"
    "................................................................................\n"
    ".eeeeeeeeeeeeeeeeeee............................................................\n"
    "................................................................................\n"
    "................................................................................\n"
    ".eeeeeeeeeeeeeeeeee.............................................................\n"
    "................................................................................\n"
    ".....DDDDDDDDDDD................................................................\n"
    "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\n"
    "iiiijjjjjjjjjjjjiiiijjjjjjjjjjijjjjjjjjjijjjjjjjiiijjjjjjjijjjjjjjijjjjjjjjjjjjj\n";
/* end lineage_80x24_elems */

/* golden lineage_120x40 */
static const char lineage_120x40[] =
    " batchtop jobs › triage › triage/label › tasks server_error › ro… 2 running · 243 in flight · today $0.18 · total $0.18\n"
    " row-12  row 12 (line 13)  failed  2 attempts\n"
    "\n"
    " Input row\n"
    "   id            fb-0012\n"
    "   customer      Chen\n"
    "   channel       email\n"
    "   feedback      Where do I change my billing address?\n"
    "\n"
    " Request\n"
    "   user          Label this feedback: Where do I change my billing address?\n"
    "   params        model=gpt-4o-mini  max_tokens=5  url=/v1/chat/completions\n"
    "\n"
    " Response\n"
    "   no response: the request failed with server_error (the error is below)\n"
    "\n"
    " Error\n"
    "   server_error: The server had an error while processing your request.\n"
    "\n"
    " Tokens and cost\n"
    "   input 0 · output 0 · cached 0 · cost $0.00\n"
    "\n"
    " Attempts\n"
    "   #1  batch_67b0c1d2e3f4 failed    HTTP 500 ended 33m ago  server_error: The server had an error while processing your\n"
    "   request.\n"
    "   #2  batch_67b0c9a8b7c6 failed    HTTP 500 ended 25m ago  server_error: The server had an error while processing your\n"
    "   request.\n"
    "\n"
    " Lineage\n"
    "   row 12 through pipeline triage, stage by stage\n"
    "   ▸ 1 label      failed    openai/gpt-4o-mini\n"
    "       #1  batch_67b0c1d2e3f4     failed    server_error  in 0 / out 0  $0.00\n"
    "       #2  batch_67b0c9a8b7c6     failed    server_error  in 0 / out 0  $0.00\n"
    "     2 reply      blocked   anthropic/claude-haiku-4-5\n"
    "     3 priority   blocked   openai/gpt-4o-mini\n"
    "\n"
    " Raw response (JSON)\n"
    "   (none)\n"
    " lines 1-37 of 54 · R retries this task · y copies its id\n"
    "PgDn page-down  PgUp page-up  / filter  R retry-selected  y copy  n search-next  v pager  Esc back  ? help  q quit\n";
/* end lineage_120x40 */

/* golden lineage_ok_120x40 */
static const char lineage_ok_120x40[] =
    " batchtop jobs › triage › triage/priority › tasks › row-2         2 running · 243 in flight · today $0.18 · total $0.18\n"
    " row-2  row 2 (line 3)  succeeded  1 attempt\n"
    "\n"
    " Input row\n"
    "   id            fb-0002\n"
    "   customer      Chen\n"
    "   channel       email\n"
    "   feedback      Crashes when I filter in the export to CSV\n"
    "   label.output  bug\n"
    "\n"
    " Request\n"
    "   params        model=gpt-4o-mini  max_tokens=3\n"
    "\n"
    " Response\n"
    "   high\n"
    "\n"
    " Tokens and cost\n"
    "   input 118 · output 1 · cached 0 · cost $0.0000600\n"
    "\n"
    " Attempts\n"
    "   #1  batch_67b0d4c3b2a1 succeeded          ended 6m ago\n"
    "\n"
    " Lineage\n"
    "   row 2 through pipeline triage, stage by stage\n"
    "     1 label      succeeded openai/gpt-4o-mini           bug\n"
    "       #1  batch_67b0c1d2e3f4     succeeded in 98 / out 1  $0.0000500\n"
    "     2 reply      succeeded anthropic/claude-haiku-4-5   Thanks Chen, we are on it and will write back w…\n"
    "       #1  msgbatch_01TgRp1Ab3Cd  succeeded in 150 / out 18  $0.0009\n"
    "   ▸ 3 priority   succeeded openai/gpt-4o-mini           high\n"
    "       #1  batch_67b0d4c3b2a1     succeeded in 118 / out 1  $0.0000600\n"
    "\n"
    " Raw response (JSON)\n"
    "   (none)\n"
    "\n"
    " Raw request (JSON)\n"
    "   {\n"
    "     \"custom_id\": \"row-2\",\n"
    "     \"body\": {\n"
    " lines 1-37 of 41 · R retries this task · y copies its id\n"
    "PgDn page-down  PgUp page-up  / filter  R retry-selected  y copy  n search-next  v pager  Esc back  ? help  q quit\n";
/* end lineage_ok_120x40 */
/* clang-format on */

static const char *top_name(bt_app *app) {
  return app->stack[app->depth - 1].ops->name;
}

static void test_pipeline(void **state) {
  (void)state;
  golden_store g = golden_store_open();
  bt_app *app = golden_app(g.s, NULL, 24, 80);
  golden_keys(app, "jj\n"); /* triage, the third row */
  assert_string_equal(top_name(app), "pipeline");
  golden_check(app, "pipeline_80x24", pipeline_80x24, pipeline_80x24_elems);
  app_resize(app, 40, 120);
  golden_check(app, "pipeline_120x40", pipeline_120x40, NULL);
  app_resize(app, 24, 80);
  /* r and c ask about the selected stage's job, as on a job in the jobs view: label has a
   * failed row to retry, reply has rows to cancel (with an engine to send them to). */
  bt_config ecfg;
  bt_engine *engine = golden_engine(&g, &ecfg);
  app->engine = engine;
  golden_keys(app, "r");
  assert_int_equal(app->modal.kind, 1);
  assert_non_null(strstr(app->modal.text, "triage/label"));
  golden_keys(app, "n");
  golden_keys(app, "jc");
  assert_int_equal(app->modal.kind, 1);
  assert_non_null(strstr(app->modal.text, "triage/reply"));
  golden_keys(app, "n");
  app->engine = NULL;
  engine_free(engine);
  config_cleanup(&ecfg);
  /* y copies the stage's job id; Enter opens the stage as a job; Esc comes back. */
  golden_keys(app, "y");
  assert_string_equal(app->clipboard, "tg2reply");
  golden_keys(app, "\n");
  assert_string_equal(top_name(app), "job");
  app_key(app, 27);
  assert_string_equal(top_name(app), "pipeline");
  app_key(app, 27);
  assert_string_equal(top_name(app), "jobs");
  /* On the pipeline's row, r says to act stage by stage instead of retrying nothing. */
  golden_keys(app, "r");
  assert_int_equal(app->modal.kind, 0);
  assert_non_null(strstr(app->message, "stage by stage"));
  app_free(app);
  golden_store_close(&g);
}

static void test_lineage(void **state) {
  (void)state;
  golden_store g = golden_store_open();
  bt_app *app = golden_app(g.s, NULL, 24, 80);
  /* triage, label, its error group (server_error), row 12: failed twice, blocked after. */
  golden_keys(app, "jj\n\n\n\n");
  assert_string_equal(top_name(app), "inspector");
  app_draw(app);           /* a page is as tall as the last draw showed */
  app_key(app, KEY_NPAGE); /* the second page: its attempts, then the lineage */
  golden_check(app, "lineage_80x24", lineage_80x24, lineage_80x24_elems);
  app_resize(app, 40, 120);
  golden_keys(app, "g");
  golden_check(app, "lineage_120x40", lineage_120x40, NULL);
  app_key(app, 27);
  app_key(app, 27);
  app_key(app, 27);
  /* priority, all its tasks, row 2: through every stage, with each stage's output. */
  golden_keys(app, "jj\nt\n");
  assert_string_equal(top_name(app), "inspector");
  golden_check(app, "lineage_ok_120x40", lineage_ok_120x40, NULL);
  app_free(app);
  golden_store_close(&g);
}

/* A registered key in a stage's output and a stage's name is drawn as stars in the jobs list,
 * the pipeline view and the lineage. */
static void test_secret_never_drawn(void **state) {
  (void)state;
  golden_store g = golden_store_open();
  bt_error err;
  assert_int_equal(store_exec(g.s,
                              "UPDATE jobs SET stage_name = 'reply sk-live-ABCDEFGH12345678'"
                              " WHERE id = 'tg2reply';"
                              "UPDATE tasks SET output = 'key sk-live-ABCDEFGH12345678 here'"
                              " WHERE job_id = 'tg2reply' AND row_no = 2",
                              &err),
                   BT_OK);
  secret_register("sk-live-ABCDEFGH12345678");
  bt_app *app = golden_app(g.s, NULL, 40, 120);
  bt_buf text;
  buf_init(&text, 0);
  const char *keys[] = {"", "jj\n", "jj\n", "\n", "\n"}; /* jobs, pipeline, priority, row 2 */
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    golden_keys(app, keys[i]);
    app_draw(app);
    assert_int_equal(ui_dump_text(stdscr, &text), BT_OK);
  }
  assert_string_equal(top_name(app), "inspector");
  assert_null(strstr(buf_str(&text), "ABCDEFGH"));
  assert_non_null(strstr(buf_str(&text), "reply ****"));
  assert_non_null(strstr(buf_str(&text), "key ****"));
  buf_cleanup(&text);
  secret_clear();
  app_free(app);
  golden_store_close(&g);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_pipeline),
                                     cmocka_unit_test(test_lineage),
                                     cmocka_unit_test(test_secret_never_drawn)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
