/* Golden screens: a job's tasks at 80x24 and 120x40 with colour elements; the state filter,
 * the search prompt, paging to the end of a long list. */
#include "golden.h"

/* Expected screens (tests/render/regen.sh rewrites them); kept as the screen shows them. */
/* clang-format off */
/* golden tasks_80x24 */
static const char tasks_80x24[] =
    " batchtop jobs › feedback-label › tasks 2 running · 243 in flight · today $0.18\n"
    " Filter state any  error any  text -                                 1000 tasks\n"
    "    ROW CUSTOM ID    STATE     TRIES ERROR          OUTPUT / MESSAGE\n"
    "      1 row-1        succeeded     1                feature\n"
    "      2 row-2        succeeded     1                praise\n"
    "      3 row-3        succeeded     1                bug\n"
    "      4 row-4        succeeded     1                other\n"
    "      5 row-5        succeeded     1                bug\n"
    "      6 row-6        succeeded     1                feature\n"
    "      7 row-7        succeeded     1                praise\n"
    "      8 row-8        succeeded     1                bug\n"
    "      9 row-9        succeeded     1                other\n"
    "     10 row-10       succeeded     1                bug\n"
    "     11 row-11       succeeded     1                feature\n"
    "     12 row-12       succeeded     1                praise\n"
    "     13 row-13       succeeded     1                bug\n"
    "     14 row-14       succeeded     1                other\n"
    "     15 row-15       succeeded     1                bug\n"
    "     16 row-16       succeeded     1                feature\n"
    "     17 row-17       succeeded     1                praise\n"
    "     18 row-18       succeeded     1                bug\n"
    "     19 row-19       succeeded     1                other\n"
    " task 1 of 1000 · sort: row · f cycles the state · Enter inspects\n"
    "Enter open  f filter-state  / filter  s sort  y copy  Esc back  ? help  q quit\n";
/* end tasks_80x24 */

/* golden tasks_80x24_elems */
static const char tasks_80x24_elems[] =
    "bbbbbbbbbbaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
    ".fffffffggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg.\n"
    "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\n"
    "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd\n"
    ".gggggg..............ppppppppp.......BBBBBBBBBBBBBB.............................\n"
    ".gggggg..............ppppppppp.......BBBBBBBBBBBBBB.............................\n"
    ".gggggg..............ppppppppp.......BBBBBBBBBBBBBB.............................\n"
    ".gggggg..............ppppppppp.......BBBBBBBBBBBBBB.............................\n"
    ".gggggg..............ppppppppp.......BBBBBBBBBBBBBB.............................\n"
    ".gggggg..............ppppppppp.......BBBBBBBBBBBBBB.............................\n"
    ".gggggg..............ppppppppp.......BBBBBBBBBBBBBB.............................\n"
    ".gggggg..............ppppppppp.......BBBBBBBBBBBBBB.............................\n"
    ".gggggg..............ppppppppp.......BBBBBBBBBBBBBB.............................\n"
    ".gggggg..............ppppppppp.......BBBBBBBBBBBBBB.............................\n"
    ".gggggg..............ppppppppp.......BBBBBBBBBBBBBB.............................\n"
    ".gggggg..............ppppppppp.......BBBBBBBBBBBBBB.............................\n"
    ".gggggg..............ppppppppp.......BBBBBBBBBBBBBB.............................\n"
    ".gggggg..............ppppppppp.......BBBBBBBBBBBBBB.............................\n"
    ".gggggg..............ppppppppp.......BBBBBBBBBBBBBB.............................\n"
    ".gggggg..............ppppppppp.......BBBBBBBBBBBBBB.............................\n"
    ".gggggg..............ppppppppp.......BBBBBBBBBBBBBB.............................\n"
    ".gggggg..............ppppppppp.......BBBBBBBBBBBBBB.............................\n"
    "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\n"
    "iiiiijjjjjjjijjjjjjjjjjjjjjjijjjjjjjjjijjjjjjjijjjjjjjiiijjjjjjjijjjjjjjijjjjjjj\n";
/* end tasks_80x24_elems */

/* golden tasks_120x40 */
static const char tasks_120x40[] =
    " batchtop jobs › feedback-label › tasks                           2 running · 243 in flight · today $0.18 · total $0.18\n"
    " Filter state any  error any  text -                                                                         1000 tasks\n"
    "    ROW CUSTOM ID        STATE     TRIES     COST TOKENS ERROR             OUTPUT / MESSAGE\n"
    "      1 row-1            succeeded     1  $0.0000    182                   feature\n"
    "      2 row-2            succeeded     1  $0.0000    182                   praise\n"
    "      3 row-3            succeeded     1  $0.0000    182                   bug\n"
    "      4 row-4            succeeded     1  $0.0000    182                   other\n"
    "      5 row-5            succeeded     1  $0.0000    182                   bug\n"
    "      6 row-6            succeeded     1  $0.0000    182                   feature\n"
    "      7 row-7            succeeded     1  $0.0000    182                   praise\n"
    "      8 row-8            succeeded     1  $0.0000    182                   bug\n"
    "      9 row-9            succeeded     1  $0.0000    182                   other\n"
    "     10 row-10           succeeded     1  $0.0000    182                   bug\n"
    "     11 row-11           succeeded     1  $0.0000    182                   feature\n"
    "     12 row-12           succeeded     1  $0.0000    182                   praise\n"
    "     13 row-13           succeeded     1  $0.0000    182                   bug\n"
    "     14 row-14           succeeded     1  $0.0000    182                   other\n"
    "     15 row-15           succeeded     1  $0.0000    182                   bug\n"
    "     16 row-16           succeeded     1  $0.0000    182                   feature\n"
    "     17 row-17           succeeded     1  $0.0000    182                   praise\n"
    "     18 row-18           succeeded     1  $0.0000    182                   bug\n"
    "     19 row-19           succeeded     1  $0.0000    182                   other\n"
    "     20 row-20           succeeded     1  $0.0000    182                   bug\n"
    "     21 row-21           succeeded     1  $0.0000    182                   feature\n"
    "     22 row-22           succeeded     1  $0.0000    182                   praise\n"
    "     23 row-23           succeeded     1  $0.0000    182                   bug\n"
    "     24 row-24           succeeded     1  $0.0000    182                   other\n"
    "     25 row-25           succeeded     1  $0.0000    182                   bug\n"
    "     26 row-26           succeeded     1  $0.0000    182                   feature\n"
    "     27 row-27           succeeded     1  $0.0000    182                   praise\n"
    "     28 row-28           succeeded     1  $0.0000    182                   bug\n"
    "     29 row-29           succeeded     1  $0.0000    182                   other\n"
    "     30 row-30           succeeded     1  $0.0000    182                   bug\n"
    "     31 row-31           succeeded     1  $0.0000    182                   feature\n"
    "     32 row-32           succeeded     1  $0.0000    182                   praise\n"
    "     33 row-33           succeeded     1  $0.0000    182                   bug\n"
    "     34 row-34           succeeded     1  $0.0000    182                   other\n"
    "     35 row-35           succeeded     1  $0.0000    182                   bug\n"
    " task 1 of 1000 · sort: row · f cycles the state · Enter inspects\n"
    "Enter open  f filter-state  / filter  s sort  I reverse  r retry  R retry-selected  y copy  Esc back  ? help  q quit\n";
/* end tasks_120x40 */

/* golden tasks_failed_80x24 */
static const char tasks_failed_80x24[] =
    " batchtop jobs › feedback-label › tasks 2 running · 243 in flight · today $0.18\n"
    " Filter state failed  error any  text -                                40 tasks\n"
    "    ROW CUSTOM ID    STATE     TRIES ERROR          OUTPUT / MESSAGE\n"
    "    642 row-642      failed        1 rate_limit_ex… Rate limit reached for gpt…\n"
    "    643 row-643      failed        1 rate_limit_ex… Rate limit reached for gpt…\n"
    "    644 row-644      failed        1 rate_limit_ex… Rate limit reached for gpt…\n"
    "    645 row-645      failed        1 rate_limit_ex… Rate limit reached for gpt…\n"
    "    646 row-646      failed        1 invalid_reque… Invalid 'messages[1].conte…\n"
    "    647 row-647      failed        1 invalid_reque… Invalid 'messages[1].conte…\n"
    "    648 row-648      failed        1 invalid_reque… Invalid 'messages[1].conte…\n"
    "    649 row-649      failed        1 invalid_reque… Invalid 'messages[1].conte…\n"
    "    650 row-650      failed        1 invalid_reque… Invalid 'messages[1].conte…\n"
    "    651 row-651      failed        1 invalid_reque… Invalid 'messages[1].conte…\n"
    "    652 row-652      failed        1 invalid_reque… Invalid 'messages[1].conte…\n"
    "    653 row-653      failed        1 invalid_reque… Invalid 'messages[1].conte…\n"
    "    654 row-654      failed        1 invalid_reque… Invalid 'messages[1].conte…\n"
    "    655 row-655      failed        1 invalid_reque… Invalid 'messages[1].conte…\n"
    "    656 row-656      failed        1 invalid_reque… Invalid 'messages[1].conte…\n"
    "    657 row-657      failed        1 invalid_reque… Invalid 'messages[1].conte…\n"
    "    658 row-658      failed        1 invalid_reque… Invalid 'messages[1].conte…\n"
    "    659 row-659      failed        1 invalid_reque… Invalid 'messages[1].conte…\n"
    "    660 row-660      failed        1 invalid_reque… Invalid 'messages[1].conte…\n"
    " task 40 of 40 · sort: row · f cycles the state · Enter inspects\n"
    "Enter open  f filter-state  / filter  s sort  y copy  Esc back  ? help  q quit\n";
/* end tasks_failed_80x24 */

/* golden tasks_search_80x24 */
static const char tasks_search_80x24[] =
    " batchtop jobs › feedback-label › tasks 2 running · 243 in flight · today $0.18\n"
    " Filter state succeeded  error any  text CSV                          124 tasks\n"
    "    ROW CUSTOM ID    STATE     TRIES ERROR          OUTPUT / MESSAGE\n"
    "      3 row-3        succeeded     1                bug\n"
    "      8 row-8        succeeded     1                bug\n"
    "     13 row-13       succeeded     1                bug\n"
    "     18 row-18       succeeded     1                bug\n"
    "     23 row-23       succeeded     1                bug\n"
    "     28 row-28       succeeded     1                bug\n"
    "     33 row-33       succeeded     1                bug\n"
    "     38 row-38       succeeded     1                bug\n"
    "     43 row-43       succeeded     1                bug\n"
    "     48 row-48       succeeded     1                bug\n"
    "     53 row-53       succeeded     1                bug\n"
    "     58 row-58       succeeded     1                bug\n"
    "     63 row-63       succeeded     1                bug\n"
    "     68 row-68       succeeded     1                bug\n"
    "     73 row-73       succeeded     1                bug\n"
    "     78 row-78       succeeded     1                bug\n"
    "     83 row-83       succeeded     1                bug\n"
    "     88 row-88       succeeded     1                bug\n"
    "     93 row-93       succeeded     1                bug\n"
    " task 1 of 124 · sort: row · f cycles the state · Enter inspects\n"
    "Enter open  f filter-state  / filter  s sort  y copy  Esc back  ? help  q quit\n";
/* end tasks_search_80x24 */
/* golden tasks_by_state_120x40 */
static const char tasks_by_state_120x40[] =
    " batchtop jobs › feedback-label › tasks                           2 running · 243 in flight · today $0.18 · total $0.18\n"
    " Filter state any  error any  text -                                                                         1000 tasks\n"
    "    ROW CUSTOM ID        STATE     TRIES     COST TOKENS ERROR             OUTPUT / MESSAGE\n"
    "    621 row-621          failed        2        -      - rate_limit_excee… Rate limit reached for gpt-4o-mini in organ…\n"
    "    622 row-622          failed        1        -      - rate_limit_excee… Rate limit reached for gpt-4o-mini in organ…\n"
    "    623 row-623          failed        1        -      - rate_limit_excee… Rate limit reached for gpt-4o-mini in organ…\n"
    "    624 row-624          failed        1        -      - rate_limit_excee… Rate limit reached for gpt-4o-mini in organ…\n"
    "    625 row-625          failed        1        -      - rate_limit_excee… Rate limit reached for gpt-4o-mini in organ…\n"
    "    626 row-626          failed        1        -      - rate_limit_excee… Rate limit reached for gpt-4o-mini in organ…\n"
    "    627 row-627          failed        1        -      - rate_limit_excee… Rate limit reached for gpt-4o-mini in organ…\n"
    "    628 row-628          failed        1        -      - rate_limit_excee… Rate limit reached for gpt-4o-mini in organ…\n"
    "    629 row-629          failed        1        -      - rate_limit_excee… Rate limit reached for gpt-4o-mini in organ…\n"
    "    630 row-630          failed        1        -      - rate_limit_excee… Rate limit reached for gpt-4o-mini in organ…\n"
    "    631 row-631          failed        1        -      - rate_limit_excee… Rate limit reached for gpt-4o-mini in organ…\n"
    "    632 row-632          failed        1        -      - rate_limit_excee… Rate limit reached for gpt-4o-mini in organ…\n"
    "    633 row-633          failed        1        -      - rate_limit_excee… Rate limit reached for gpt-4o-mini in organ…\n"
    "    634 row-634          failed        1        -      - rate_limit_excee… Rate limit reached for gpt-4o-mini in organ…\n"
    "    635 row-635          failed        1        -      - rate_limit_excee… Rate limit reached for gpt-4o-mini in organ…\n"
    "    636 row-636          failed        1        -      - rate_limit_excee… Rate limit reached for gpt-4o-mini in organ…\n"
    "    637 row-637          failed        1        -      - rate_limit_excee… Rate limit reached for gpt-4o-mini in organ…\n"
    "    638 row-638          failed        1        -      - rate_limit_excee… Rate limit reached for gpt-4o-mini in organ…\n"
    "    639 row-639          failed        1        -      - rate_limit_excee… Rate limit reached for gpt-4o-mini in organ…\n"
    "    640 row-640          failed        1        -      - rate_limit_excee… Rate limit reached for gpt-4o-mini in organ…\n"
    "    641 row-641          failed        1        -      - rate_limit_excee… Rate limit reached for gpt-4o-mini in organ…\n"
    "    642 row-642          failed        1        -      - rate_limit_excee… Rate limit reached for gpt-4o-mini in organ…\n"
    "    643 row-643          failed        1        -      - rate_limit_excee… Rate limit reached for gpt-4o-mini in organ…\n"
    "    644 row-644          failed        1        -      - rate_limit_excee… Rate limit reached for gpt-4o-mini in organ…\n"
    "    645 row-645          failed        1        -      - rate_limit_excee… Rate limit reached for gpt-4o-mini in organ…\n"
    "    646 row-646          failed        1        -      - invalid_request_… Invalid 'messages[1].content': string too l…\n"
    "    647 row-647          failed        1        -      - invalid_request_… Invalid 'messages[1].content': string too l…\n"
    "    648 row-648          failed        1        -      - invalid_request_… Invalid 'messages[1].content': string too l…\n"
    "    649 row-649          failed        1        -      - invalid_request_… Invalid 'messages[1].content': string too l…\n"
    "    650 row-650          failed        1        -      - invalid_request_… Invalid 'messages[1].content': string too l…\n"
    "    651 row-651          failed        1        -      - invalid_request_… Invalid 'messages[1].content': string too l…\n"
    "    652 row-652          failed        1        -      - invalid_request_… Invalid 'messages[1].content': string too l…\n"
    "    653 row-653          failed        1        -      - invalid_request_… Invalid 'messages[1].content': string too l…\n"
    "    654 row-654          failed        1        -      - invalid_request_… Invalid 'messages[1].content': string too l…\n"
    "    655 row-655          failed        1        -      - invalid_request_… Invalid 'messages[1].content': string too l…\n"
    "tasks sorted by state\n"
    "Enter open  f filter-state  / filter  s sort  I reverse  r retry  R retry-selected  y copy  Esc back  ? help  q quit\n";
/* end tasks_by_state_120x40 */

/* golden tasks_by_cost_120x40 */
static const char tasks_by_cost_120x40[] =
    " batchtop jobs › feedback-label › tasks                           2 running · 243 in flight · today $0.18 · total $0.18\n"
    " Filter state any  error any  text -                                                                         1000 tasks\n"
    "    ROW CUSTOM ID        STATE     TRIES     COST TOKENS ERROR             OUTPUT / MESSAGE\n"
    "      1 row-1            succeeded     1  $0.0000    182                   feature\n"
    "      2 row-2            succeeded     1  $0.0000    182                   praise\n"
    "      3 row-3            succeeded     1  $0.0000    182                   bug\n"
    "      4 row-4            succeeded     1  $0.0000    182                   other\n"
    "      5 row-5            succeeded     1  $0.0000    182                   bug\n"
    "      6 row-6            succeeded     1  $0.0000    182                   feature\n"
    "      7 row-7            succeeded     1  $0.0000    182                   praise\n"
    "      8 row-8            succeeded     1  $0.0000    182                   bug\n"
    "      9 row-9            succeeded     1  $0.0000    182                   other\n"
    "     10 row-10           succeeded     1  $0.0000    182                   bug\n"
    "     11 row-11           succeeded     1  $0.0000    182                   feature\n"
    "     12 row-12           succeeded     1  $0.0000    182                   praise\n"
    "     13 row-13           succeeded     1  $0.0000    182                   bug\n"
    "     14 row-14           succeeded     1  $0.0000    182                   other\n"
    "     15 row-15           succeeded     1  $0.0000    182                   bug\n"
    "     16 row-16           succeeded     1  $0.0000    182                   feature\n"
    "     17 row-17           succeeded     1  $0.0000    182                   praise\n"
    "     18 row-18           succeeded     1  $0.0000    182                   bug\n"
    "     19 row-19           succeeded     1  $0.0000    182                   other\n"
    "     20 row-20           succeeded     1  $0.0000    182                   bug\n"
    "     21 row-21           succeeded     1  $0.0000    182                   feature\n"
    "     22 row-22           succeeded     1  $0.0000    182                   praise\n"
    "     23 row-23           succeeded     1  $0.0000    182                   bug\n"
    "     24 row-24           succeeded     1  $0.0000    182                   other\n"
    "     25 row-25           succeeded     1  $0.0000    182                   bug\n"
    "     26 row-26           succeeded     1  $0.0000    182                   feature\n"
    "     27 row-27           succeeded     1  $0.0000    182                   praise\n"
    "     28 row-28           succeeded     1  $0.0000    182                   bug\n"
    "     29 row-29           succeeded     1  $0.0000    182                   other\n"
    "     30 row-30           succeeded     1  $0.0000    182                   bug\n"
    "     31 row-31           succeeded     1  $0.0000    182                   feature\n"
    "     32 row-32           succeeded     1  $0.0000    182                   praise\n"
    "     33 row-33           succeeded     1  $0.0000    182                   bug\n"
    "     34 row-34           succeeded     1  $0.0000    182                   other\n"
    "     35 row-35           succeeded     1  $0.0000    182                   bug\n"
    "tasks sorted by cost\n"
    "Enter open  f filter-state  / filter  s sort  I reverse  r retry  R retry-selected  y copy  Esc back  ? help  q quit\n";
/* end tasks_by_cost_120x40 */

/* clang-format on */

static void test_tasks(void **state) {
  (void)state;
  golden_store g = golden_store_open();
  bt_store *s = g.s;
  bt_app *app = golden_app(s, NULL, 24, 80);
  golden_keys(app, "j\nt"); /* feedback-label, all its tasks */
  golden_check(app, "tasks_80x24", tasks_80x24, tasks_80x24_elems);
  app_resize(app, 40, 120);
  golden_check(app, "tasks_120x40", tasks_120x40, NULL);
  app_resize(app, 24, 80);
  /* f cycles pending, running, succeeded, failed; G goes to the last failed task. */
  golden_keys(app, "ffffG");
  golden_check(app, "tasks_failed_80x24", tasks_failed_80x24, NULL);
  /* / with words and a state. */
  golden_keys(app, "/");
  for (int i = 0; i < 20; i++)
    app_key(app, KEY_BACKSPACE);
  golden_keys(app, "state:succeeded CSV\n");
  golden_check(app, "tasks_search_80x24", tasks_search_80x24, NULL);
  /* s cycles the sort (row, state, tries, cost, tokens), I reverses it; ties in row order. */
  golden_keys(app, "/");
  for (int i = 0; i < 40; i++)
    app_key(app, KEY_BACKSPACE);
  golden_keys(app, "\n");
  app_resize(app, 40, 120);
  golden_keys(app, "s");
  golden_check(app, "tasks_by_state_120x40", tasks_by_state_120x40, NULL);
  golden_keys(app, "ss");
  assert_string_equal(app->message, "tasks sorted by cost");
  golden_check(app, "tasks_by_cost_120x40", tasks_by_cost_120x40, NULL);
  golden_keys(app, "ssI"); /* row order, reversed: the last row first */
  assert_string_equal(app->message, "tasks sorted by row, reversed");
  assert_int_equal(app_message_expire(app, app->message_at + 5000), 1);
  app_draw(app);
  bt_buf text;
  buf_init(&text, 0);
  assert_int_equal(ui_dump_text(stdscr, &text), BT_OK);
  assert_non_null(strstr(buf_str(&text), "   1000 row-1000"));
  assert_non_null(strstr(buf_str(&text), "sort: row (reversed)"));
  buf_cleanup(&text);
  app_free(app);
  golden_store_close(&g);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_tasks)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
