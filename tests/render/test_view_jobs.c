/* Golden screens: the jobs view (home) at 80x24 and 120x40 with its colour elements; sorting,
 * filtering, the retry and cancel confirmations, and the ASCII fallback without UTF-8. */
#include "golden.h"
#include "secret.h"

/* Expected screens (tests/render/regen.sh rewrites them); kept as the screen shows them. */
/* clang-format off */
/* golden jobs_80x24 */
static const char jobs_80x24[] =
    " batchtop jobs            2 running · 243 in flight · today $0.18 · total $0.18\n"
    " NAME                STATE     PROGRESS         DONE/TOTAL   RATE    ETA    COST\n"
    " draft-summaries     draft     ░░░░░░░░░░░   0%       0/10      -      -   $0.00\n"
    " feedback-label      running   ████████▓▒▒  74%   747/1000  106/m  2m23s   $0.02\n"
    " triage              running   12/12›4/8›2/4         18/24  2.0/m      - $0.0043\n"
    " support-triage      completed ███████████ 100%    200/200  6.7/m      -   $0.16\n"
    " product-tags 🚀 ün… failed    ███████▓▓▓▓ 100%      50/50  0.8/m      -   $0.00\n"
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
    " job 1 of 5: 10 pending · sort: newest · watching the store (read-only)\n"
    "Enter open  n new  r retry  c cancel  / filter  s sort  y copy  ? help  q quit\n";
/* end jobs_80x24 */

/* golden jobs_80x24_elems */
static const char jobs_80x24_elems[] =
    "bbbbbbbbbbaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
    "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\n"
    "dddddddddddddddddddddddddddddddwwwwwwwwwwwdddddddddddddddddddddddddddddddddddddd\n"
    ".hhhhhhhhhhhhhhhhhhh.ooooooooo.ttttttttuvv...............................xxxxxxx\n"
    ".hhhhhhhhhhhhhhhhhhh.ooooooooo.pppppgooognnn.............................xxxxxxx\n"
    ".hhhhhhhhhhhhhhhhhhh.ppppppppp.ttttttttttt...............................xxxxxxx\n"
    ".hhhhhhhhhhhhhhhhhhh.qqqqqqqqq.tttttttuuuu...............................xxxxxxx\n"
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
    "................................................................................\n"
    "................................................................................\n"
    "................................................................................\n"
    "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\n"
    "iiiiijjjjjjjijjjjjjijjjjjjjjijjjjjjjjjijjjjjjjjjijjjjjjjijjjjjjjijjjjjjjijjjjjjj\n";
/* end jobs_80x24_elems */

/* golden jobs_120x40 */
static const char jobs_120x40[] =
    " batchtop jobs                                                    2 running · 243 in flight · today $0.18 · total $0.18\n"
    " NAME                  PROVIDER/MODEL STATE     DRIVER    PROGRESS         DONE/TOTAL   RATE    ETA     EST    COST  AGE\n"
    " draft-summaries       openai/gpt-4o  draft     -         ░░░░░░░░░░░   0%       0/10      -      -   $1.25   $0.00   3m\n"
    " feedback-label        openai/gpt-4o… running   here      ████████▓▒▒  74%   747/1000  106/m  2m23s   $0.04   $0.02  12m\n"
    " triage                3 stages       running   stalled   12/12›4/8›2/4         18/24  2.0/m      -   $0.02 $0.0043  40m\n"
    " support-triage        anthropic/cla… completed -         ███████████ 100%    200/200  6.7/m      -   $0.31   $0.16   2h\n"
    " product-tags 🚀 ünïc… local/llama3.… failed    -         ███████▓▓▓▓ 100%      50/50  0.8/m      -   $0.00   $0.00   1d\n"
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
    "\n"
    "\n"
    "\n"
    " job 1 of 5: 10 pending · sort: newest · watching the store (read-only)\n"
    "Enter open  n new  r retry  c cancel  / filter  s sort  p preview  y copy  ? help  q quit\n";
/* end jobs_120x40 */

/* golden jobs_sorted_80x24 */
static const char jobs_sorted_80x24[] =
    " batchtop jobs            2 running · 243 in flight · today $0.18 · total $0.18\n"
    " NAME                STATE     PROGRESS         DONE/TOTAL   RATE    ETA    COST\n"
    " draft-summaries     draft     ░░░░░░░░░░░   0%       0/10      -      -   $0.00\n"
    " feedback-label      running   ████████▓▒▒  74%   747/1000  106/m  2m23s   $0.02\n"
    " product-tags 🚀 ün… failed    ███████▓▓▓▓ 100%      50/50  0.8/m      -   $0.00\n"
    " support-triage      completed ███████████ 100%    200/200  6.7/m      -   $0.16\n"
    " triage              running   12/12›4/8›2/4         18/24  2.0/m      - $0.0043\n"
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
    " job 2 of 5: 620 succeeded, 40 failed, 5 expired, 325 running, 10 pending · dri…\n"
    "Enter open  n new  r retry  c cancel  / filter  s sort  y copy  ? help  q quit\n";
/* end jobs_sorted_80x24 */

/* golden jobs_retry_80x24 */
static const char jobs_retry_80x24[] =
    " batchtop jobs            2 running · 243 in flight · today $0.18 · total $0.18\n"
    " NAME                STATE     PROGRESS         DONE/TOTAL   RATE    ETA    COST\n"
    " draft-summaries     draft     ░░░░░░░░░░░   0%       0/10      -      -   $0.00\n"
    " feedback-label      running   ████████▓▒▒  74%   747/1000  106/m  2m23s   $0.02\n"
    " product-tags 🚀 ün… failed    ███████▓▓▓▓ 100%      50/50  0.8/m      -   $0.00\n"
    " support-triage      completed ███████████ 100%    200/200  6.7/m      -   $0.16\n"
    " triage              running   12/12›4/8›2/4         18/24  2.0/m      - $0.0043\n"
    "\n"
    "\n"
    "        ┌─ Retry ──────────────────────────────────────────────────────┐\n"
    "        │                                                              │\n"
    "        │ Retry 45 failed, expired or cancelled tasks of               │\n"
    "        │ feedback-label in new batches? Estimated cost: $0.0007.      │\n"
    "        │                                                              │\n"
    "        └─                                               y yes · n no ─┘\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "\n"
    " job 2 of 5: 620 succeeded, 40 failed, 5 expired, 325 running, 10 pending · dri…\n"
    "Enter open  n new  r retry  c cancel  / filter  s sort  y copy  ? help  q quit\n";
/* end jobs_retry_80x24 */

/* golden jobs_filter_80x24 */
static const char jobs_filter_80x24[] =
    " batchtop jobs            2 running · 243 in flight · today $0.18 · total $0.18\n"
    " NAME                STATE     PROGRESS         DONE/TOTAL   RATE    ETA    COST\n"
    " support-triage      completed ███████████ 100%    200/200  6.7/m      -   $0.16\n"
    " triage              running   12/12›4/8›2/4         18/24  2.0/m      - $0.0043\n"
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
    " job 1 of 2: 200 succeeded · sort: name · filter: anthropic · watching the stor…\n"
    "Enter open  n new  r retry  c cancel  / filter  s sort  y copy  ? help  q quit\n";
/* end jobs_filter_80x24 */

/* golden jobs_ascii_80x24 */
static const char jobs_ascii_80x24[] =
    " batchtop jobs            2 running | 243 in flight | today $0.18 | total $0.18\n"
    " NAME                STATE     PROGRESS         DONE/TOTAL   RATE    ETA    COST\n"
    " draft-summaries     draft     ...........   0%       0/10      -      -   $0.00\n"
    " feedback-label      running   ########x>>  74%   747/1000  106/m  2m23s   $0.02\n"
    " triage              running   12/12>4/8>2/4         18/24  2.0/m      - $0.0043\n"
    " support-triage      completed ########### 100%    200/200  6.7/m      -   $0.16\n"
    " product-tags ? ?n?~ failed    #######xxxx 100%      50/50  0.8/m      -   $0.00\n"
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
    " job 1 of 5: 10 pending | sort: newest | watching the store (read-only)\n"
    "Enter open  n new  r retry  c cancel  / filter  s sort  y copy  ? help  q quit\n";
/* end jobs_ascii_80x24 */
/* clang-format on */

static void test_jobs(void **state) {
  (void)state;
  golden_store g = golden_store_open();
  bt_store *s = g.s;
  bt_app *app = golden_app(s, NULL, 24, 80);
  golden_check(app, "jobs_80x24", jobs_80x24, jobs_80x24_elems);
  /* The footer's hints are where a mouse click finds them. */
  assert_int_equal(ui_footer_hit(&app->footer, 23, 0), ACT_OPEN);
  assert_int_equal(ui_footer_hit(&app->footer, 23, 13), ACT_NEW);
  assert_int_equal(ui_footer_hit(&app->footer, 23, 78), ACT_QUIT);
  assert_int_equal(ui_footer_hit(&app->footer, 22, 0), ACT_NONE);
  app_resize(app, 40, 120);
  golden_check(app, "jobs_120x40", jobs_120x40, NULL);
  app_resize(app, 24, 80);
  /* s: by name; the selection moves with the keys. */
  golden_keys(app, "ssj");
  golden_check(app, "jobs_sorted_80x24", jobs_sorted_80x24, NULL);
  /* r on feedback-label: the confirmation states how many tasks and what they cost; yes
   * hands the retry to the engine and says so by the job's name. */
  bt_config ecfg;
  bt_engine *engine = golden_engine(&g, &ecfg);
  app->engine = engine;
  golden_keys(app, "r");
  golden_check(app, "jobs_retry_80x24", jobs_retry_80x24, NULL);
  golden_keys(app, "y");
  assert_string_equal(app->message, "retry queued for feedback-label");
  /* A message stays a few seconds (5 s; an error 10 s), then the status line is the view's. */
  assert_int_equal(app_message_expire(app, app->message_at + 4000), 0);
  assert_string_equal(app->message, "retry queued for feedback-label");
  assert_int_equal(app_message_expire(app, app->message_at + 5000), 1);
  assert_string_equal(app->message, "");
  app_message(app, 1, "an error");
  assert_int_equal(app_message_expire(app, app->message_at + 9000), 0);
  assert_int_equal(app_message_expire(app, app->message_at + 10000), 1);
  /* c on a completed job asks nothing: there is nothing to cancel, and it says so. */
  golden_keys(app, "jj");
  app_draw(app);
  golden_keys(app, "c");
  assert_int_equal(app->modal.kind, 0);
  assert_string_equal(app->message, "support-triage has no unfinished tasks to cancel");
  /* Without an engine in the process (--read-only), r and c refuse up front, saying why. */
  app->engine = NULL;
  golden_keys(app, "kk");
  golden_keys(app, "r");
  assert_int_equal(app->modal.kind, 0);
  assert_non_null(strstr(app->message, "cannot retry feedback-label: this dashboard only watches"));
  golden_keys(app, "c");
  assert_int_equal(app->modal.kind, 0);
  assert_non_null(strstr(app->message, "cannot cancel feedback-label"));
  engine_free(engine);
  config_cleanup(&ecfg);
  /* / filters by a substring of name, provider, model, id or state. */
  golden_keys(app, "/anthropic\n");
  golden_check(app, "jobs_filter_80x24", jobs_filter_80x24, NULL);
  assert_int_equal(app_key(app, 'q') & UI_QUIT, UI_QUIT);
  app_free(app);

  /* A locale without UTF-8: ASCII bars, ellipsis and separators. */
  bt_app *ascii = golden_app(s, NULL, 24, 80);
  setlocale(LC_ALL, "C");
  golden_check(ascii, "jobs_ascii_80x24", jobs_ascii_80x24, NULL);
  app_free(ascii);
  golden_store_close(&g);
}

/* An empty store says what to do next. */
static void test_empty(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  char path[4096];
  snprintf(path, sizeof path, "%s/batchtop.db", dir);
  bt_store *s = NULL;
  bt_error err;
  assert_int_equal(store_open(path, &s, &err), BT_OK);
  bt_app *app = golden_app(s, NULL, 24, 80);
  app_draw(app);
  bt_buf text;
  buf_init(&text, 0);
  assert_int_equal(ui_dump_text(stdscr, &text), BT_OK);
  assert_non_null(strstr(buf_str(&text), "No jobs yet. Press n"));
  buf_cleanup(&text);
  app_free(app);
  store_close(s);
  tu_rmtree(dir);
  free(dir);
}

/* A registered API key in any text the store holds (a job name, an error message) is drawn as
 * stars on every view. */
static void test_secret_never_drawn(void **state) {
  (void)state;
  golden_store g = golden_store_open();
  bt_error err;
  assert_int_equal(
      store_exec(g.s,
                 "UPDATE jobs SET name = 'job sk-live-ABCDEFGH12345678'"
                 " WHERE id = 'fb7k2m9q';"
                 "UPDATE attempts SET error_message = 'bad key sk-live-ABCDEFGH12345678'"
                 " WHERE error_code = 'invalid_request_error'",
                 &err),
      BT_OK);
  secret_register("sk-live-ABCDEFGH12345678");
  bt_app *app = golden_app(g.s, NULL, 40, 120);
  bt_buf text;
  buf_init(&text, 0);
  const char *keys[] = {"", "j\n", "j", "\n", "\n"}; /* jobs, job, 2nd group, tasks, task */
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    golden_keys(app, keys[i]);
    app_draw(app);
    assert_int_equal(ui_dump_text(stdscr, &text), BT_OK);
  }
  assert_null(strstr(buf_str(&text), "ABCDEFGH"));
  assert_non_null(strstr(buf_str(&text), "job ************************"));
  assert_non_null(strstr(buf_str(&text), "bad key ****"));
  buf_cleanup(&text);
  secret_clear();
  app_free(app);
  golden_store_close(&g);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_jobs), cmocka_unit_test(test_empty),
                                     cmocka_unit_test(test_secret_never_drawn)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
