/* Golden screens: the job view (summary, sparkline, batches with remote status and expiry,
 * error groups) at 80x24 and 120x40 with colour elements; focus, R on a group, drilling in. */
#include "golden.h"

/* Expected screens (tests/render/regen.sh rewrites them); kept as the screen shows them. */
/* clang-format off */
/* golden job_80x24 */
static const char job_80x24[] =
    " batchtop jobs › feedback-label         2 running · 243 in flight · today $0.18\n"
    " feedback-label  fb7k2m9q openai/gpt-4o-mini  running  driven here\n"
    " ██████████████████████████████████████████████████▓▓▓▓▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒░   74%\n"
    " ■ 620 succeeded  ■ 40 failed  ■ 5 expired  ■ 325 running  ■ 10 pending\n"
    " Estimate $0.04 (standard $0.08)   Spent $0.02   Tokens in 112k / out 620\n"
    " Rate 106/m   ETA 2m23s   Completions   ▁▂▂▂▂▂▂▂▂▂▂▂▃▃▃▃▃▃▃▃▄▄▄▅▆██ over 12m00s\n"
    "\n"
    " Batches 6 (N.R = chunk N, retry round R)\n"
    "    # REMOTE ID         STATUS      DONE/TOTAL FAILED CREATED  ENDED EXPIRES IN\n"
    "    1 batch_6745a1f0c2… completed      250/250      -     11m     6m          -\n"
    "    2 batch_6745a1f3d9… completed      250/250      -     11m     4m          -\n"
    "    3 batch_6745a1f77b… finalizing     165/250     45     11m      -     23h48m\n"
    "    4 batch_6745a1fa0c… in_progress     82/215      2     11m      -     23h48m\n"
    "    5 batch_6745a1fd5e… validating        0/35      -      1m      -     23h59m\n"
    "  1.2 batch_6745a2c01f… completed          1/1      1     14s     6s          -\n"
    "\n"
    " Errors 3 groups, 45 tasks\n"
    " ERROR                      TASKS SAMPLE MESSAGE\n"
    " rate_limit_exceeded           25 Rate limit reached for gpt-4o-mini in organi…\n"
    " invalid_request_error         15 Invalid 'messages[1].content': string too lo…\n"
    " expired                        5 Batch expired before this request ran.\n"
    "\n"
    " error group 1 of 3 · Enter lists its tasks · R retries it\n"
    "Enter open  Tab focus  r retry  R retry-selected  Esc back  ? help  q quit\n";
/* end job_80x24 */

/* golden job_80x24_elems */
static const char job_80x24_elems[] =
    "bbbbbbbbbbaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
    ".hhhhhhhhhhhhhhhhggggggggg....................ooooooo..ggggggggggg..............\n"
    ".ttttttttttttttttttttttttttttttttttttttttttttttttttuuuuvvvvvvvvvvvvvvvvvwhhhhhh.\n"
    ".tt...............uu...........uu...........vv.............ww...................\n"
    ".fffffffffyyyyyyyyyyyyyyyyyyyyyyyyyffffffxxxxxxxxfffffff........................\n"
    ".fffff........ffff........fffffffffffAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.ggggggggggg.\n"
    "................................................................................\n"
    ".eeeeeee.gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg.\n"
    "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\n"
    ".gggg...................ppppppppppp............gggggg.ggggggg.gggggg............\n"
    ".gggg...................ppppppppppp............gggggg.ggggggg.gggggg............\n"
    ".gggg...................ooooooooooo............qqqqqq.ggggggg.gggggg............\n"
    ".gggg...................ooooooooooo............qqqqqq.ggggggg.gggggg............\n"
    ".gggg...................ooooooooooo............gggggg.ggggggg.gggggg............\n"
    ".gggg...................ppppppppppp............qqqqqq.ggggggg.gggggg............\n"
    "................................................................................\n"
    ".eeeeee.ggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg.\n"
    "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\n"
    "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd\n"
    ".BBBBBBBBBBBBBBBBBBBBBBBBB........ggggggggggggggggggggggggggggggggggggggggggggg.\n"
    ".BBBBBBBBBBBBBBBBBBBBBBBBB........ggggggggggggggggggggggggggggggggggggggggggggg.\n"
    "................................................................................\n"
    "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\n"
    "iiiiijjjjjjjiiijjjjjjjjijjjjjjjjijjjjjjjjjjjjjjjjjiiijjjjjjjijjjjjjjijjjjjjjjjjj\n";
/* end job_80x24_elems */

/* golden job_120x40 */
static const char job_120x40[] =
    " batchtop jobs › feedback-label                                   2 running · 243 in flight · today $0.18 · total $0.18\n"
    " feedback-label  fb7k2m9q openai/gpt-4o-mini  running  driven here                                      created 12m ago\n"
    " ██████████████████████████████████████████████████████████████████████████████▓▓▓▓▓▓▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒░   74%\n"
    " ■ 620 succeeded  ■ 40 failed  ■ 5 expired  ■ 325 running  ■ 10 pending  (82 reported, results not in yet)\n"
    " Estimate $0.04 (standard $0.08)   Spent $0.02   Tokens in 112k / out 620\n"
    " Rate 106/m   ETA 2m23s   Completions     ▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▂▁▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▃▃▃▄▅█▁ over 12m00s\n"
    "\n"
    " Batches 6 (N.R = chunk N, retry round R)\n"
    "    # REMOTE ID                          STATUS      DONE/TOTAL FAILED CREATED  ENDED EXPIRES IN\n"
    "    1 batch_6745a1f0c2e8                 completed      250/250      -     11m     6m          -\n"
    "    2 batch_6745a1f3d9a1                 completed      250/250      -     11m     4m          -\n"
    "    3 batch_6745a1f77b30                 finalizing     165/250     45     11m      -     23h48m\n"
    "    4 batch_6745a1fa0c4d                 in_progress     82/215      2     11m      -     23h48m\n"
    "    5 batch_6745a1fd5e11                 validating        0/35      -      1m      -     23h59m\n"
    "  1.2 batch_6745a2c01f77                 completed          1/1      1     14s     6s          -\n"
    "\n"
    " Errors 3 groups, 45 tasks\n"
    " ERROR                       TASKS SAMPLE MESSAGE\n"
    " rate_limit_exceeded            25 Rate limit reached for gpt-4o-mini in organization org-demo on requests per day (RP…\n"
    " invalid_request_error          15 Invalid 'messages[1].content': string too long. Expected a string with maximum leng…\n"
    " expired                         5 Batch expired before this request ran.\n"
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
    " error group 1 of 3 · Enter lists its tasks · R retries it\n"
    "Enter open  Tab focus  r retry  R retry-selected  t tasks  c cancel  y copy  p preview  Esc back  ? help  q quit\n";
/* end job_120x40 */

/* golden job_retry_group_80x24 */
static const char job_retry_group_80x24[] =
    " batchtop jobs › feedback-label         2 running · 243 in flight · today $0.18\n"
    " feedback-label  fb7k2m9q openai/gpt-4o-mini  running  driven here\n"
    " ██████████████████████████████████████████████████▓▓▓▓▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒░   74%\n"
    " ■ 620 succeeded  ■ 40 failed  ■ 5 expired  ■ 325 running  ■ 10 pending\n"
    " Estimate $0.04 (standard $0.08)   Spent $0.02   Tokens in 112k / out 620\n"
    " Rate 106/m   ETA 2m23s   Completions   ▁▂▂▂▂▂▂▂▂▂▂▂▃▃▃▃▃▃▃▃▄▄▄▅▆██ over 12m00s\n"
    "\n"
    " Batches 6 (N.R = chunk N, retry round R)\n"
    "    # RE┌─ Retry ──────────────────────────────────────────────────────┐IRES IN\n"
    "    1 ba│                                                              │      -\n"
    "    2 ba│ Retry the 15 tasks of feedback-label that failed with        │      -\n"
    "    3 ba│ invalid_request_error, in new batches? Estimated cost:       │ 23h48m\n"
    "    4 ba│ $0.0002.                                                     │ 23h48m\n"
    "    5 ba│                                                              │ 23h59m\n"
    "  1.2 ba└─                                               y yes · n no ─┘      -\n"
    "\n"
    " Errors 3 groups, 45 tasks\n"
    " ERROR                      TASKS SAMPLE MESSAGE\n"
    " rate_limit_exceeded           25 Rate limit reached for gpt-4o-mini in organi…\n"
    " invalid_request_error         15 Invalid 'messages[1].content': string too lo…\n"
    " expired                        5 Batch expired before this request ran.\n"
    "\n"
    " error group 2 of 3 · Enter lists its tasks · R retries it\n"
    "Enter open  Tab focus  r retry  R retry-selected  Esc back  ? help  q quit\n";
/* end job_retry_group_80x24 */
/* golden job_waiting_80x24 */
static const char job_waiting_80x24[] =
    " batchtop jobs › feedback-label         2 running · 243 in flight · today $0.18\n"
    " feedback-label  fb7k2m9q openai/gpt-4o-mini  running  driven here\n"
    " ██████████████████████████████████████████████████▓▓▓▓▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒░   74%\n"
    " ■ 620 succeeded  ■ 40 failed  ■ 5 expired  ■ 325 running  ■ 10 pending\n"
    " Estimate $0.04 (standard $0.08)   Spent $0.02   Tokens in 112k / out 620\n"
    " Rate 106/m   ETA 2m23s   Completions   ▁▂▂▂▂▂▂▂▂▂▂▂▃▃▃▃▃▃▃▃▄▄▄▅▆██ over 12m00s\n"
    "\n"
    " Batches 7 (N.R = chunk N, retry round R)\n"
    "    # REMOTE ID         STATUS      DONE/TOTAL FAILED CREATED  ENDED EXPIRES IN\n"
    "    1 batch_6745a1f0c2… completed      250/250      -     11m     6m          -\n"
    "    2 batch_6745a1f3d9… completed      250/250      -     11m     4m          -\n"
    "    3 batch_6745a1f77b… finalizing     165/250     45     11m      -     23h48m\n"
    "    4 batch_6745a1fa0c… in_progress     82/215      2     11m      -     23h48m\n"
    "    5 batch_6745a1fd5e… validating        0/35      -      1m      -     23h59m\n"
    "    6 -                 held              0/10      -     20s      -          -\n"
    "  1.2 batch_6745a2c01f… completed          1/1      1     14s     6s          -\n"
    "\n"
    " Errors 3 groups, 45 tasks\n"
    " ERROR                      TASKS SAMPLE MESSAGE\n"
    " rate_limit_exceeded           25 Rate limit reached for gpt-4o-mini in organi…\n"
    " invalid_request_error         15 Invalid 'messages[1].content': string too lo…\n"
    " expired                        5 Batch expired before this request ran.\n"
    " waiting: enqueued-token limit (OpenAI), 1 chunk held, next try in 40 s\n"
    "Enter open  Tab focus  r retry  R retry-selected  Esc back  ? help  q quit\n";
/* end job_waiting_80x24 */
/* golden job_batch_tasks_80x24 */
static const char job_batch_tasks_80x24[] =
    " batchtop jobs › feedback-label › batc… 2 running · 243 in flight · today $0.18\n"
    " Batch 3  batch_6745a1f77b30  finalizing  120 succeeded, 45 failed of 250\n"
    " Files input file-in6745a1f77b30  output -  errors -\n"
    "\n"
    " Filter state any  error any  text -                                  250 tasks\n"
    "    ROW CUSTOM ID    STATE     TRIES ERROR          OUTPUT / MESSAGE\n"
    "    501 row-501      succeeded     1                feature\n"
    "    502 row-502      succeeded     1                praise\n"
    "    503 row-503      succeeded     1                bug\n"
    "    504 row-504      succeeded     1                other\n"
    "    505 row-505      succeeded     1                bug\n"
    "    506 row-506      succeeded     1                feature\n"
    "    507 row-507      succeeded     1                praise\n"
    "    508 row-508      succeeded     1                bug\n"
    "    509 row-509      succeeded     1                other\n"
    "    510 row-510      succeeded     1                bug\n"
    "    511 row-511      succeeded     1                feature\n"
    "    512 row-512      succeeded     1                praise\n"
    "    513 row-513      succeeded     1                bug\n"
    "    514 row-514      succeeded     1                other\n"
    "    515 row-515      succeeded     1                bug\n"
    "    516 row-516      succeeded     1                feature\n"
    " task 1 of 250 · sort: row · f cycles the state · Enter inspects\n"
    "Enter open  f filter-state  / filter  s sort  y copy  Esc back  ? help  q quit\n";
/* end job_batch_tasks_80x24 */

/* clang-format on */

static void test_job(void **state) {
  (void)state;
  golden_store g = golden_store_open();
  bt_store *s = g.s;
  bt_app *app = golden_app(s, NULL, 24, 80);
  golden_keys(app, "j\n"); /* feedback-label */
  golden_check(app, "job_80x24", job_80x24, job_80x24_elems);
  app_resize(app, 40, 120);
  golden_check(app, "job_120x40", job_120x40, NULL);
  app_resize(app, 24, 80);
  /* R on the second error group: its count and estimated cost (a dashboard with an engine;
   * without one R refuses before asking). */
  bt_config ecfg;
  bt_engine *engine = golden_engine(&g, &ecfg);
  app->engine = engine;
  golden_keys(app, "jR");
  golden_check(app, "job_retry_group_80x24", job_retry_group_80x24, NULL);
  golden_keys(app, "n");
  assert_string_equal(app->message, "nothing was done");
  app->engine = NULL;
  engine_free(engine);
  config_cleanup(&ecfg);
  /* Tab to the batches, y copies the remote id. */
  golden_keys(app, "\tjjy");
  assert_string_equal(app->clipboard, "batch_6745a1f77b30");
  /* Enter on that batch lists its tasks only, under its remote id, files and counts. */
  golden_keys(app, "\n");
  assert_ptr_equal(app->stack[app->depth - 1].ops, &view_tasks_ops);
  golden_check(app, "job_batch_tasks_80x24", job_batch_tasks_80x24, NULL);
  app_key(app, 27);
  assert_ptr_equal(app->stack[app->depth - 1].ops, &view_job_ops);
  /* Enter on an error group opens its tasks; Esc comes back. */
  golden_keys(app, "\t\n");
  assert_ptr_equal(app->stack[app->depth - 1].ops, &view_tasks_ops);
  app_key(app, 27);
  assert_ptr_equal(app->stack[app->depth - 1].ops, &view_job_ops);
  app_free(app);
  golden_store_close(&g);
}

/* The 10 pending rows held back by OpenAI's enqueued-token limit (retry_requeue_batch): a
 * chunk in state intent with a not-before time; the status line says so. */
static void test_job_waiting(void **state) {
  (void)state;
  golden_store g = golden_store_open();
  bt_store *s = g.s;
  bt_error err;
  char sql[1024];
  snprintf(sql, sizeof sql,
           "INSERT INTO batches (id, job_id, chunk_no, round, provider, tag, state, n_requests,"
           " created_at, next_poll_at, token_waits, updated_at) VALUES (99, 'fb7k2m9q', 6, 1,"
           " 'openai', 'bt-fb7k2m9q-6-1', 'intent', 10, %lld, %lld, 1, %lld);"
           "INSERT INTO attempts (task_id, batch_id, job_id, attempt_no, state, created_at)"
           " SELECT id, 99, 'fb7k2m9q', 1, 'running', %lld FROM tasks WHERE job_id = 'fb7k2m9q'"
           " AND row_no > 990;",
           (long long)FIXTURE_NOW - 20000, (long long)FIXTURE_NOW + 40000,
           (long long)FIXTURE_NOW - 20000, (long long)FIXTURE_NOW - 20000);
  assert_int_equal(store_exec(s, sql, &err), BT_OK);
  bt_app *app = golden_app(s, NULL, 24, 80);
  golden_keys(app, "j\n"); /* feedback-label */
  golden_check(app, "job_waiting_80x24", job_waiting_80x24, NULL);
  app_free(app);
  golden_store_close(&g);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_job),
                                     cmocka_unit_test(test_job_waiting)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
