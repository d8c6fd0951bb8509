/* Golden screens: the inspector of one task (input, request, response, error, tokens, attempts,
 * raw JSON) at 80x24 and 120x40 with colour elements; scrolling; no API key ever shows. */
#include "secret.h"
#include "golden.h"

/* Expected screens (tests/render/regen.sh rewrites them); kept as the screen shows them. */
/* clang-format off */
/* golden inspector_80x24 */
static const char inspector_80x24[] =
    " batchtop jobs › feedback-label › task… 2 running · 243 in flight · today $0.18\n"
    " row-621  row 621 (line 622)  failed  2 attempts\n"
    "\n"
    " Input row\n"
    "   id            621\n"
    "   feedback      Please add a dark mode, my eyes hurt at night. #621\n"
    "\n"
    " Request\n"
    "   system        You label customer feedback.\n"
    "   user          Label this feedback as bug, feature, praise or other. Answer\n"
    "                 with the label only.\n"
    "\n"
    "                 Feedback: Please add a dark mode, my eyes hurt at night. #621\n"
    "   params        model=gpt-4o-mini  max_tokens=50  temperature=0\n"
    "                 url=/v1/chat/completions\n"
    "\n"
    " Response\n"
    "   no response: the request failed with rate_limit_exceeded (the error is below)\n"
    "\n"
    " Error\n"
    "   rate_limit_exceeded: Rate limit reached for gpt-4o-mini in organization\n"
    "   org-demo on requests per day (RPD): Limit 10000, Used 10000.\n"
    " lines 1-21 of 64 · R retries this task · y copies its id\n"
    "PgDn page-down  PgUp page-up  / filter  y copy  Esc back  ? help  q quit\n";
/* end inspector_80x24 */

/* golden inspector_80x24_elems */
static const char inspector_80x24_elems[] =
    "bbbbbbbbbbaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
    ".hhhhhhhhhhhhhhhhhhhhhhhhhhhhhqqqqqqhhhhhhhhhhhh................................\n"
    "................................................................................\n"
    ".eeeeeeeee......................................................................\n"
    "...ff...........................................................................\n"
    "...ffffffff.....................................................................\n"
    "................................................................................\n"
    ".eeeeeee........................................................................\n"
    "...ffffff.......................................................................\n"
    "...ffff.........................................................................\n"
    "................................................................................\n"
    "................................................................................\n"
    "................................................................................\n"
    "...ffffff.......................................................................\n"
    "................................................................................\n"
    "................................................................................\n"
    ".eeeeeeee.......................................................................\n"
    "...ggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg\n"
    "................................................................................\n"
    ".eeeee..........................................................................\n"
    "...BBBBBBBBBBBBBBBBBBB..........................................................\n"
    "................................................................................\n"
    "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\n"
    "iiiijjjjjjjjjjjjiiiijjjjjjjjjjijjjjjjjjjijjjjjjjiiijjjjjjjijjjjjjjijjjjjjjjjjjjj\n";
/* end inspector_80x24_elems */

/* golden inspector_120x40 */
static const char inspector_120x40[] =
    " batchtop jobs › feedback-label › tasks rate_limit_exceeded › ro… 2 running · 243 in flight · today $0.18 · total $0.18\n"
    " row-621  row 621 (line 622)  failed  2 attempts\n"
    "\n"
    " Input row\n"
    "   id            621\n"
    "   feedback      Please add a dark mode, my eyes hurt at night. #621\n"
    "\n"
    " Request\n"
    "   system        You label customer feedback.\n"
    "   user          Label this feedback as bug, feature, praise or other. Answer with the label only.\n"
    "\n"
    "                 Feedback: Please add a dark mode, my eyes hurt at night. #621\n"
    "   params        model=gpt-4o-mini  max_tokens=50  temperature=0  url=/v1/chat/completions\n"
    "\n"
    " Response\n"
    "   no response: the request failed with rate_limit_exceeded (the error is below)\n"
    "\n"
    " Error\n"
    "   rate_limit_exceeded: Rate limit reached for gpt-4o-mini in organization org-demo on requests per day (RPD): Limit\n"
    "   10000, Used 10000.\n"
    "\n"
    " Tokens and cost\n"
    "   input 0 · output 0 · cached 0 · cost $0.00\n"
    "\n"
    " Attempts\n"
    "   #1  batch_6745a1f77b30 failed    HTTP 500 ended 22s ago  server_error: The server had an error while processing your\n"
    "   request.\n"
    "   #2  batch_6745a2c01f77 failed    HTTP 429 ended 6s ago  rate_limit_exceeded: Rate limit reached for gpt-4o-mini in\n"
    "   organization org-demo on requests per day (RPD): Limit 10000, Used 10000.\n"
    "\n"
    " Raw response (JSON)\n"
    "   {\n"
    "     \"error\": {\n"
    "       \"message\": \"Rate limit reached\",\n"
    "       \"type\": \"requests\",\n"
    "       \"code\": \"rate_limit_exceeded\"\n"
    "     }\n"
    "   }\n"
    " lines 1-37 of 60 · R retries this task · y copies its id\n"
    "PgDn page-down  PgUp page-up  / filter  R retry-selected  y copy  n search-next  v pager  Esc back  ? help  q quit\n";
/* end inspector_120x40 */

/* golden inspector_end_80x24 */
static const char inspector_end_80x24[] =
    " batchtop jobs › feedback-label › task… 2 running · 243 in flight · today $0.18\n"
    "     \"custom_id\": \"row-621\",\n"
    "     \"method\": \"POST\",\n"
    "     \"url\": \"/v1/chat/completions\",\n"
    "     \"body\": {\n"
    "       \"model\": \"gpt-4o-mini\",\n"
    "       \"max_tokens\": 50,\n"
    "       \"temperature\": 0,\n"
    "       \"messages\": [\n"
    "         {\n"
    "           \"role\": \"system\",\n"
    "           \"content\": \"You label customer feedback.\"\n"
    "         },\n"
    "         {\n"
    "           \"role\": \"user\",\n"
    "           \"content\": \"Label this feedback as bug, feature, praise or other.\n"
    "   Answer with the label only.\\n\\nFeedback: Please add a dark mode, my eyes\n"
    "   hurt at night. #621\"\n"
    "         }\n"
    "       ]\n"
    "     }\n"
    "   }\n"
    " lines 44-64 of 64 · R retries this task · y copies its id\n"
    "PgDn page-down  PgUp page-up  / filter  y copy  Esc back  ? help  q quit\n";
/* end inspector_end_80x24 */

/* golden inspector_ok_80x24 */
static const char inspector_ok_80x24[] =
    " batchtop jobs › feedback-label › task… 2 running · 243 in flight · today $0.18\n"
    " row-1  row 1 (line 2)  succeeded  1 attempt\n"
    "\n"
    " Input row\n"
    "   id            1\n"
    "   feedback      Please add a dark mode, my eyes hurt at night. #1\n"
    "   note          key ************************\n"
    "\n"
    " Request\n"
    "   system        You label customer feedback.\n"
    "   user          Label this feedback as bug, feature, praise or other. Answer\n"
    "                 with the label only.\n"
    "\n"
    "                 Feedback: Please add a dark mode, my eyes hurt at night. #1\n"
    "   params        model=gpt-4o-mini  max_tokens=50  temperature=0\n"
    "                 url=/v1/chat/completions\n"
    "\n"
    " Response\n"
    "   feature\n"
    "\n"
    " Tokens and cost\n"
    "   input 181 · output 1 · cached 0 · cost $0.0000278\n"
    " lines 1-21 of 70 · R retries this task · y copies its id\n"
    "PgDn page-down  PgUp page-up  / filter  y copy  Esc back  ? help  q quit\n";
/* end inspector_ok_80x24 */
/* golden inspector_search_80x24 */
static const char inspector_search_80x24[] =
    " batchtop jobs › feedback-label › task… 2 running · 243 in flight · today $0.18\n"
    " row-621  row 621 (line 622)  failed  2 attempts\n"
    "\n"
    " Input row\n"
    "   id            621\n"
    "   feedback      Please add a dark mode, my eyes hurt at night. #621\n"
    "\n"
    " Request\n"
    "   system        You label customer feedback.\n"
    "   user          Label this feedback as bug, feature, praise or other. Answer\n"
    "                 with the label only.\n"
    "\n"
    "                 Feedback: Please add a dark mode, my eyes hurt at night. #621\n"
    "   params        model=gpt-4o-mini  max_tokens=50  temperature=0\n"
    "                 url=/v1/chat/completions\n"
    "\n"
    " Response\n"
    "   no response: the request failed with rate_limit_exceeded (the error is below)\n"
    "\n"
    " Error\n"
    "   rate_limit_exceeded: Rate limit reached for gpt-4o-mini in organization\n"
    "   org-demo on requests per day (RPD): Limit 10000, Used 10000.\n"
    " lines 1-21 of 64 · search: ROW-621 · R retries this task · y copies its id\n"
    "PgDn page-down  PgUp page-up  / filter  y copy  Esc back  ? help  q quit\n";
/* end inspector_search_80x24 */

/* clang-format on */

/* keys move the inspector's first row shown in direction dir. */
static void inspector_scroll_moves(bt_app *app, const char *keys, int dir) {
  app_draw(app);
  bt_buf before, after;
  buf_init(&before, 0);
  buf_init(&after, 0);
  assert_int_equal(ui_dump_text(stdscr, &before), BT_OK);
  golden_keys(app, keys);
  app_draw(app);
  assert_int_equal(ui_dump_text(stdscr, &after), BT_OK);
  /* "lines A-B of N" in the status line: A moved the right way. */
  const char *pb = strstr(buf_str(&before), " lines "), *pa = strstr(buf_str(&after), " lines ");
  assert_non_null(pb);
  assert_non_null(pa);
  long a0 = strtol(pb + 7, NULL, 10), a1 = strtol(pa + 7, NULL, 10);
  if (dir > 0)
    assert_true(a1 > a0);
  else
    assert_true(a1 < a0);
  buf_cleanup(&before);
  buf_cleanup(&after);
}

static void test_inspector(void **state) {
  (void)state;
  golden_store g = golden_store_open();
  bt_store *s = g.s;
  bt_app *app = golden_app(s, NULL, 24, 80);
  golden_keys(app, "j\n\n\n"); /* feedback-label, rate_limit_exceeded, row 621 */
  golden_check(app, "inspector_80x24", inspector_80x24, inspector_80x24_elems);
  app_resize(app, 40, 120);
  golden_check(app, "inspector_120x40", inspector_120x40, NULL);
  app_resize(app, 24, 80);
  golden_keys(app, "G");
  golden_check(app, "inspector_end_80x24", inspector_end_80x24, NULL);
  /* / searches the task (case-insensitively); n and N go between the matches, wrapping. */
  golden_keys(app, "g/ROW-621\n");
  assert_string_equal(app->message, "");
  golden_check(app, "inspector_search_80x24", inspector_search_80x24, NULL);
  inspector_scroll_moves(app, "n", 1);
  inspector_scroll_moves(app, "N", -1);
  golden_keys(app, "/\x15no such words\n"); /* C-u clears the last search */
  assert_string_equal(app->message, "'no such words' is not in this task");
  app_free(app);
  golden_store_close(&g);
}

/* Why there is no response, for each state that has none. */
static void test_no_response(void **state) {
  (void)state;
  golden_store g = golden_store_open();
  bt_app *app = golden_app(g.s, NULL, 40, 120);
  struct {
    const char *keys, *want;
  } cases[] = {
      {"gj\n\n\n", "no response: the request failed with rate_limit_exceeded (the error is below)"},
      {"gj\njj\n\n", "no response: the batch expired before this request ran"},
      {"gj\nt\n", NULL}, /* row 1 succeeded: its output */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    while (app->depth > 1)
      app_pop(app);
    golden_keys(app, cases[i].keys);
    assert_string_equal(app->stack[app->depth - 1].ops->name, "inspector");
    app_draw(app);
    bt_buf text;
    buf_init(&text, 0);
    assert_int_equal(ui_dump_text(stdscr, &text), BT_OK);
    if (cases[i].want)
      assert_non_null(strstr(buf_str(&text), cases[i].want));
    else
      assert_null(strstr(buf_str(&text), "no response"));
    buf_cleanup(&text);
  }
  app_free(app);
  golden_store_close(&g);
}

/* A succeeded task, with a registered secret planted in its input: it shows as stars. */
static void test_inspector_ok_and_secret(void **state) {
  (void)state;
  golden_store g = golden_store_open();
  bt_store *s = g.s;
  bt_error err;
  assert_int_equal(store_exec(s,
                              "UPDATE task_inputs SET input = json_set(input, '$.note',"
                              " 'key sk-test-0123456789abcdef') WHERE task_id = (SELECT id"
                              " FROM tasks WHERE job_id = 'fb7k2m9q' AND row_no = 1)",
                              &err),
                   BT_OK);
  secret_register("sk-test-0123456789abcdef");
  bt_app *app = golden_app(s, NULL, 24, 80);
  golden_keys(app, "j\nt\n"); /* feedback-label, all its tasks, row 1 */
  golden_check(app, "inspector_ok_80x24", inspector_ok_80x24, NULL);
  bt_buf text;
  buf_init(&text, 0);
  for (int page = 0; page < 6; page++) {
    app_draw(app);
    assert_int_equal(ui_dump_text(stdscr, &text), BT_OK);
    app_key(app, KEY_NPAGE);
  }
  assert_null(strstr(buf_str(&text), "sk-test-0123456789abcdef"));
  assert_non_null(strstr(buf_str(&text), "key ************************"));
  buf_cleanup(&text);
  secret_clear();
  app_free(app);
  golden_store_close(&g);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_inspector),
                                     cmocka_unit_test(test_inspector_ok_and_secret),
                                     cmocka_unit_test(test_no_response)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
