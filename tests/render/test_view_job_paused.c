/* Golden screen: the job view of a job no process can drive (no API key: jobs.paused) whose
 * model has no known price: the state says paused, the status line gives the whole reason,
 * and the costs are ? instead of $0.00, in the jobs list too; the jobs list says paused (not
 * the stored submitting) with no ETA, and the header counts it neither as running nor its
 * tasks as in flight (issue 14, items 2 and 9). */
#include "golden.h"

/* Expected screens (tests/render/regen.sh rewrites them); kept as the screen shows them. */
/* clang-format off */
/* golden job_paused_80x24 */
static const char job_paused_80x24[] =
    " batchtop jobs › feedback-label           1 running · 0 in flight · today $0.18\n"
    " feedback-label  fb7k2m9q openai/gpt-5-turbo-x  paused          created 12m ago\n"
    " ██████████████████████████████████████████████████▓▓▓▓▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒░   74%\n"
    " ■ 620 succeeded  ■ 40 failed  ■ 5 expired  ■ 325 running  ■ 10 pending\n"
    " Estimate ? (no price)   Spent ?   Tokens in 112k / out 620\n"
    " Paused no API key for openai: set OPENAI_API_KEY in the environment or\n"
    "        openai_api_key in the config file\n"
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
    " paused: no API key for openai: set OPENAI_API_KEY in the environment or openai…\n"
    "Enter open  Tab focus  r retry  R retry-selected  Esc back  ? help  q quit\n";
/* end job_paused_80x24 */

/* golden jobs_paused_80x24 */
static const char jobs_paused_80x24[] =
    " batchtop jobs              1 running · 0 in flight · today $0.18 · total $0.18\n"
    " NAME                STATE     PROGRESS         DONE/TOTAL   RATE    ETA    COST\n"
    " draft-summaries     draft     ░░░░░░░░░░░   0%       0/10      -      -   $0.00\n"
    " feedback-label      paused    ████████▓▒▒  74%   747/1000  106/m      -       ?\n"
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
/* end jobs_paused_80x24 */
/* clang-format on */

static void test_job_paused(void **state) {
  (void)state;
  golden_store g = golden_store_open();
  bt_error err;
  assert_int_equal(store_exec(g.s,
                              "UPDATE jobs SET state = 'submitting', model = 'gpt-5-turbo-x',"
                              " paused = 'no API key for openai: set OPENAI_API_KEY in the"
                              " environment or openai_api_key in the config file'"
                              " WHERE id = 'fb7k2m9q'",
                              &err),
                   BT_OK);
  bt_app *app = golden_app(g.s, NULL, 24, 80);
  /* The jobs list: that row's estimate and spend are ?, the others' still dollars. */
  app_draw(app);
  bt_buf text;
  buf_init(&text, 0);
  assert_int_equal(ui_dump_text(stdscr, &text), BT_OK);
  const char *row = strstr(buf_str(&text), " feedback-label ");
  assert_non_null(row);
  const char *eol = strchr(row, '\n');
  char line[512];
  snprintf(line, sizeof line, "%.*s", (int)(eol - row), row);
  size_t n = strlen(line);
  if (n < 2 || strcmp(line + n - 2, " ?") != 0 || strchr(line, '$'))
    fail_msg("jobs row of an unpriced model: '%s'", line);
  assert_non_null(strstr(eol, "$")); /* priced rows keep their costs */
  buf_cleanup(&text);
  /* The list says paused too, not the stored submitting (issue 14, item 9). */
  golden_check(app, "jobs_paused_80x24", jobs_paused_80x24, NULL);
  golden_keys(app, "j\n"); /* feedback-label */
  golden_check(app, "job_paused_80x24", job_paused_80x24, NULL);
  app_free(app);
  golden_store_close(&g);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_job_paused)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
