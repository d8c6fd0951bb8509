/* Golden screens: the preview of examples/label.tmpl over examples/feedback.csv at 80x24 and
 * 120x40 with colour elements (the substituted values are marked); stepping through rows, the
 * submit confirmation with its cost, and `n` on the jobs view with file-name completion. */
#include <unistd.h>

#include "golden.h"

/* Expected screens (tests/render/regen.sh rewrites them); kept as the screen shows them. */
/* clang-format off */
/* golden preview_80x24 */
static const char preview_80x24[] =
    " batchtop jobs › preview label.tmpl     2 running · 243 in flight · today $0.18\n"
    " examples/label.tmpl over examples/feedback.csv · openai/gpt-4o-mini\n"
    " 200 requests in 1 batch · input 14k tokens · output ~600 (1.0k at most)\n"
    " batch $0.0012 ($0.0013 at most) · standard $0.0024 · batch saves 50%\n"
    "\n"
    " Row 1 of 200 (line 2) · row-1 · ~69 input tokens\n"
    "\n"
    " Input row\n"
    "   id            fb-0001\n"
    "   customer      Chen\n"
    "   channel       survey\n"
    "   feedback      Love how fast it is to share from the checkout!\n"
    "\n"
    " Request (substituted values marked)\n"
    "   system    You label customer feedback for a product team. Answer with one\n"
    "             word.\n"
    "   user      Label this feedback as bug, feature, praise or other. Answer with\n"
    "             the label only.\n"
    "\n"
    "             Channel: survey\n"
    "             Feedback: Love how fast it is to share from the checkout!\n"
    "   params    model=gpt-4o-mini  max_tokens=5  temperature=0\n"
    " row 1 of 200 · j/k step through rows · PgDn scrolls · S submits\n"
    "j down  k up  PgDn page-down  S submit  Esc back  ? help  q quit\n";
/* end preview_80x24 */

/* golden preview_80x24_elems */
static const char preview_80x24_elems[] =
    "bbbbbbbbbbaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
    ".ggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg............\n"
    "................................................................................\n"
    ".fffff.hhhhhhh.....................ffffffff.....................................\n"
    "................................................................................\n"
    ".hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh...............................\n"
    "................................................................................\n"
    ".eeeeeeeee......................................................................\n"
    "...ff...........................................................................\n"
    "...ffffffff.....................................................................\n"
    "...fffffff......................................................................\n"
    "...ffffffff.....................................................................\n"
    "................................................................................\n"
    ".eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee............................................\n"
    "...ffffff.......................................................................\n"
    "................................................................................\n"
    "...ffff.........................................................................\n"
    "................................................................................\n"
    "................................................................................\n"
    "......................CCCCCC....................................................\n"
    ".......................CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC..........\n"
    "...ffffff.......................................................................\n"
    "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\n"
    "ijjjjjjjijjjjjiiiijjjjjjjjjjjjijjjjjjjjjiiijjjjjjjijjjjjjjijjjjjjjjjjjjjjjjjjjjj\n";
/* end preview_80x24_elems */

/* golden preview_120x40 */
static const char preview_120x40[] =
    " batchtop jobs › preview label.tmpl                               2 running · 243 in flight · today $0.18 · total $0.18\n"
    " examples/label.tmpl over examples/feedback.csv · openai/gpt-4o-mini\n"
    " 200 requests in 1 batch · input 14k tokens · output ~600 (1.0k at most)\n"
    " batch $0.0012 ($0.0013 at most) · standard $0.0024 · batch saves 50%\n"
    "\n"
    " Row 1 of 200 (line 2) · row-1 · ~69 input tokens\n"
    "\n"
    " Input row\n"
    "   id            fb-0001\n"
    "   customer      Chen\n"
    "   channel       survey\n"
    "   feedback      Love how fast it is to share from the checkout!\n"
    "\n"
    " Request (substituted values marked)\n"
    "   system    You label customer feedback for a product team. Answer with one word.\n"
    "   user      Label this feedback as bug, feature, praise or other. Answer with the label only.\n"
    "\n"
    "             Channel: survey\n"
    "             Feedback: Love how fast it is to share from the checkout!\n"
    "   params    model=gpt-4o-mini  max_tokens=5  temperature=0\n"
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
    " row 1 of 200 · j/k step through rows · PgDn scrolls · S submits\n"
    "j down  k up  PgDn page-down  S submit  Esc back  ? help  q quit\n";
/* end preview_120x40 */

/* golden preview_row2_80x24 */
static const char preview_row2_80x24[] =
    " batchtop jobs › preview label.tmpl     2 running · 243 in flight · today $0.18\n"
    " examples/label.tmpl over examples/feedback.csv · openai/gpt-4o-mini\n"
    " 200 requests in 1 batch · input 14k tokens · output ~600 (1.0k at most)\n"
    " batch $0.0012 ($0.0013 at most) · standard $0.0024 · batch saves 50%\n"
    "\n"
    " Row 2 of 200 (line 3) · row-2 · ~68 input tokens\n"
    "\n"
    " Input row\n"
    "   id            fb-0002\n"
    "   customer      Quinn\n"
    "   channel       app store\n"
    "   feedback      Crashes when I filter in the export to CSV\n"
    "\n"
    " Request (substituted values marked)\n"
    "   system    You label customer feedback for a product team. Answer with one\n"
    "             word.\n"
    "   user      Label this feedback as bug, feature, praise or other. Answer with\n"
    "             the label only.\n"
    "\n"
    "             Channel: app store\n"
    "             Feedback: Crashes when I filter in the export to CSV\n"
    "   params    model=gpt-4o-mini  max_tokens=5  temperature=0\n"
    " row 2 of 200 · j/k step through rows · PgDn scrolls · S submits\n"
    "j down  k up  PgDn page-down  S submit  Esc back  ? help  q quit\n";
/* end preview_row2_80x24 */

/* golden preview_submit_80x24 */
static const char preview_submit_80x24[] =
    " batchtop jobs › preview label.tmpl     2 running · 243 in flight · today $0.18\n"
    " examples/label.tmpl over examples/feedback.csv · openai/gpt-4o-mini\n"
    " 200 requests in 1 batch · input 14k tokens · output ~600 (1.0k at most)\n"
    " batch $0.0012 ($0.0013 at most) · standard $0.0024 · batch saves 50%\n"
    "\n"
    " Row 2 of 200 (line 3) · row-2 · ~68 input tokens\n"
    "\n"
    " Input row\n"
    "   id            fb-0002\n"
    "   custo┌─ Submit ─────────────────────────────────────────────────────┐\n"
    "   chann│                                                              │\n"
    "   feedb│ Submit 200 requests to openai gpt-4o-mini as a batch job?    │\n"
    "        │ Estimated cost at batch prices: $0.0012 (at most $0.0013).   │\n"
    " Request│                                                              │\n"
    "   syste└─                                               y yes · n no ─┘ one\n"
    "             word.\n"
    "   user      Label this feedback as bug, feature, praise or other. Answer with\n"
    "             the label only.\n"
    "\n"
    "             Channel: app store\n"
    "             Feedback: Crashes when I filter in the export to CSV\n"
    "   params    model=gpt-4o-mini  max_tokens=5  temperature=0\n"
    " row 2 of 200 · j/k step through rows · PgDn scrolls · S submits\n"
    "j down  k up  PgDn page-down  S submit  Esc back  ? help  q quit\n";
/* end preview_submit_80x24 */

/* golden preview_prompt_80x24 */
static const char preview_prompt_80x24[] =
    " batchtop jobs            2 running · 243 in flight · today $0.18 · total $0.18\n"
    " NAME                STATE     PROGRESS         DONE/TOTAL   RATE    ETA    COST\n"
    " draft-summaries     draft     ░░░░░░░░░░░   0%       0/10      -      -   $0.00\n"
    " feedback-label      running   ████████▓▒▒  74%   747/1000  106/m  2m23s   $0.02\n"
    " triage              running   12/12›4/8›2/4         18/24  2.0/m      - $0.0043\n"
    " support-triage      completed ███████████ 100%    200/200  6.7/m      -   $0.16\n"
    " product-tags 🚀 ün… failed    ███████▓▓▓▓ 100%      50/50  0.8/m      -   $0.00\n"
    "\n"
    "\n"
    "        ┌─ New job: template file ─────────────────────────────────────┐\n"
    "        │                                                              │\n"
    "        │ examples/label.tmpl                                          │\n"
    "        │                                                              │\n"
    "        └─                       Tab complete · Enter ok · Esc cancel ─┘\n"
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
/* end preview_prompt_80x24 */
/* clang-format on */

static void in_source_dir(void) {
  char *src = tu_source_path("");
  assert_int_equal(chdir(src), 0);
  free(src);
}

static void test_preview(void **state) {
  (void)state;
  in_source_dir();
  golden_store g = golden_store_open();
  bt_store *s = g.s;
  bt_app *app = golden_app(s, NULL, 24, 80);
  bt_view_arg arg = {0};
  arg.state = -1;
  arg.template_path = "examples/label.tmpl";
  arg.input_path = "examples/feedback.csv";
  assert_int_equal(app_push(app, &view_preview_ops, &arg), BT_OK);
  golden_check(app, "preview_80x24", preview_80x24, preview_80x24_elems);
  app_resize(app, 40, 120);
  golden_check(app, "preview_120x40", preview_120x40, NULL);
  app_resize(app, 24, 80);
  golden_keys(app, "j");
  golden_check(app, "preview_row2_80x24", preview_row2_80x24, NULL);
  /* Without an engine (--read-only) S refuses before asking. */
  golden_keys(app, "S");
  assert_int_equal(app->modal.kind, 0);
  assert_non_null(strstr(app->message, "cannot submit: this dashboard only watches the store"));
  /* With one, S states the cost first; yes creates the job and hands it over, by name. */
  bt_config ecfg;
  bt_engine *engine = golden_engine(&g, &ecfg);
  app->engine = engine;
  golden_keys(app, "S");
  golden_check(app, "preview_submit_80x24", preview_submit_80x24, NULL);
  golden_keys(app, "y");
  assert_non_null(strstr(app->message, "submitted "));
  assert_non_null(strstr(app->message, " (job "));
  app->engine = NULL;
  engine_free(engine);
  config_cleanup(&ecfg);
  app_free(app);
  golden_store_close(&g);
}

/* n asks for the two files, with Tab completing their names, then opens the preview. */
static void test_new_job_prompts(void **state) {
  (void)state;
  in_source_dir();
  golden_store g = golden_store_open();
  bt_store *s = g.s;
  bt_app *app = golden_app(s, NULL, 24, 80);
  golden_keys(app, "nexamples/lab\t");
  golden_check(app, "preview_prompt_80x24", preview_prompt_80x24, NULL);
  assert_string_equal(app->modal.input, "examples/label.tmpl");
  golden_keys(app, "\nexamples/fe\t\n");
  assert_ptr_equal(app->stack[app->depth - 1].ops, &view_preview_ops);
  /* A template that does not exist: the view does not open and the message says why. */
  app_key(app, 27);
  golden_keys(app, "nnope.tmpl\nexamples/feedback.csv\n");
  assert_ptr_equal(app->stack[app->depth - 1].ops, &view_jobs_ops);
  assert_non_null(strstr(app->message, "nope.tmpl"));
  app_free(app);
  golden_store_close(&g);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_preview),
                                     cmocka_unit_test(test_new_job_prompts)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
