/* Golden screens: a job's tasks at 80x24 and 120x40 with colour elements; the state filter,
 * the search prompt, paging to the end of a long list. */
#include "golden.h"

/* Expected screens (tests/render/regen.sh rewrites them); kept as the screen shows them. */
/* clang-format off */
/* golden tasks_80x24 */
static const char tasks_80x24[] =
    " batchtop jobs › feedback-label › tasks 2 running · 331 in flight · today $0.18\n"
    " Filter state any  error any  text -                                 1000 tasks\n"
    "    ROW CUSTOM ID      STATE     TRIES ERROR           OUTPUT / MESSAGE\n"
    "      1 row-1          succeeded     1                 feature\n"
    "      2 row-2          succeeded     1                 praise\n"
    "      3 row-3          succeeded     1                 bug\n"
    "      4 row-4          succeeded     1                 other\n"
    "      5 row-5          succeeded     1                 bug\n"
    "      6 row-6          succeeded     1                 feature\n"
    "      7 row-7          succeeded     1                 praise\n"
    "      8 row-8          succeeded     1                 bug\n"
    "      9 row-9          succeeded     1                 other\n"
    "     10 row-10         succeeded     1                 bug\n"
    "     11 row-11         succeeded     1                 feature\n"
    "     12 row-12         succeeded     1                 praise\n"
    "     13 row-13         succeeded     1                 bug\n"
    "     14 row-14         succeeded     1                 other\n"
    "     15 row-15         succeeded     1                 bug\n"
    "     16 row-16         succeeded     1                 feature\n"
    "     17 row-17         succeeded     1                 praise\n"
    "     18 row-18         succeeded     1                 bug\n"
    "     19 row-19         succeeded     1                 other\n"
    " task 1 of 1000 · f cycles the state · Enter inspects\n"
    "Enter open  f filter-state  / filter  r retry  Esc back  ? help  q quit\n";
/* end tasks_80x24 */

/* golden tasks_80x24_elems */
static const char tasks_80x24_elems[] =
    "bbbbbbbbbbaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
    ".fffffffggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg.\n"
    "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\n"
    "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd\n"
    ".gggggg................ppppppppp.......BBBBBBBBBBBBBBB..........................\n"
    ".gggggg................ppppppppp.......BBBBBBBBBBBBBBB..........................\n"
    ".gggggg................ppppppppp.......BBBBBBBBBBBBBBB..........................\n"
    ".gggggg................ppppppppp.......BBBBBBBBBBBBBBB..........................\n"
    ".gggggg................ppppppppp.......BBBBBBBBBBBBBBB..........................\n"
    ".gggggg................ppppppppp.......BBBBBBBBBBBBBBB..........................\n"
    ".gggggg................ppppppppp.......BBBBBBBBBBBBBBB..........................\n"
    ".gggggg................ppppppppp.......BBBBBBBBBBBBBBB..........................\n"
    ".gggggg................ppppppppp.......BBBBBBBBBBBBBBB..........................\n"
    ".gggggg................ppppppppp.......BBBBBBBBBBBBBBB..........................\n"
    ".gggggg................ppppppppp.......BBBBBBBBBBBBBBB..........................\n"
    ".gggggg................ppppppppp.......BBBBBBBBBBBBBBB..........................\n"
    ".gggggg................ppppppppp.......BBBBBBBBBBBBBBB..........................\n"
    ".gggggg................ppppppppp.......BBBBBBBBBBBBBBB..........................\n"
    ".gggggg................ppppppppp.......BBBBBBBBBBBBBBB..........................\n"
    ".gggggg................ppppppppp.......BBBBBBBBBBBBBBB..........................\n"
    ".gggggg................ppppppppp.......BBBBBBBBBBBBBBB..........................\n"
    ".gggggg................ppppppppp.......BBBBBBBBBBBBBBB..........................\n"
    "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\n"
    "iiiiijjjjjjjijjjjjjjjjjjjjjjijjjjjjjjjijjjjjjjjiiijjjjjjjijjjjjjjijjjjjjjjjjjjjj\n";
/* end tasks_80x24_elems */

/* golden tasks_120x40 */
static const char tasks_120x40[] =
    " batchtop jobs › feedback-label › tasks                           2 running · 331 in flight · today $0.18 · total $0.18\n"
    " Filter state any  error any  text -                                                                         1000 tasks\n"
    "    ROW CUSTOM ID             STATE     TRIES ERROR                 OUTPUT / MESSAGE\n"
    "      1 row-1                 succeeded     1                       feature\n"
    "      2 row-2                 succeeded     1                       praise\n"
    "      3 row-3                 succeeded     1                       bug\n"
    "      4 row-4                 succeeded     1                       other\n"
    "      5 row-5                 succeeded     1                       bug\n"
    "      6 row-6                 succeeded     1                       feature\n"
    "      7 row-7                 succeeded     1                       praise\n"
    "      8 row-8                 succeeded     1                       bug\n"
    "      9 row-9                 succeeded     1                       other\n"
    "     10 row-10                succeeded     1                       bug\n"
    "     11 row-11                succeeded     1                       feature\n"
    "     12 row-12                succeeded     1                       praise\n"
    "     13 row-13                succeeded     1                       bug\n"
    "     14 row-14                succeeded     1                       other\n"
    "     15 row-15                succeeded     1                       bug\n"
    "     16 row-16                succeeded     1                       feature\n"
    "     17 row-17                succeeded     1                       praise\n"
    "     18 row-18                succeeded     1                       bug\n"
    "     19 row-19                succeeded     1                       other\n"
    "     20 row-20                succeeded     1                       bug\n"
    "     21 row-21                succeeded     1                       feature\n"
    "     22 row-22                succeeded     1                       praise\n"
    "     23 row-23                succeeded     1                       bug\n"
    "     24 row-24                succeeded     1                       other\n"
    "     25 row-25                succeeded     1                       bug\n"
    "     26 row-26                succeeded     1                       feature\n"
    "     27 row-27                succeeded     1                       praise\n"
    "     28 row-28                succeeded     1                       bug\n"
    "     29 row-29                succeeded     1                       other\n"
    "     30 row-30                succeeded     1                       bug\n"
    "     31 row-31                succeeded     1                       feature\n"
    "     32 row-32                succeeded     1                       praise\n"
    "     33 row-33                succeeded     1                       bug\n"
    "     34 row-34                succeeded     1                       other\n"
    "     35 row-35                succeeded     1                       bug\n"
    " task 1 of 1000 · f cycles the state · Enter inspects\n"
    "Enter open  f filter-state  / filter  r retry  R retry-selected  y copy  Esc back  ? help  q quit\n";
/* end tasks_120x40 */

/* golden tasks_failed_80x24 */
static const char tasks_failed_80x24[] =
    " batchtop jobs › feedback-label › tasks 2 running · 331 in flight · today $0.18\n"
    " Filter state failed  error any  text -                                40 tasks\n"
    "    ROW CUSTOM ID      STATE     TRIES ERROR           OUTPUT / MESSAGE\n"
    "    642 row-642        failed        1 rate_limit_exc… Rate limit reached for …\n"
    "    643 row-643        failed        1 rate_limit_exc… Rate limit reached for …\n"
    "    644 row-644        failed        1 rate_limit_exc… Rate limit reached for …\n"
    "    645 row-645        failed        1 rate_limit_exc… Rate limit reached for …\n"
    "    646 row-646        failed        1 invalid_reques… Invalid 'messages[1].co…\n"
    "    647 row-647        failed        1 invalid_reques… Invalid 'messages[1].co…\n"
    "    648 row-648        failed        1 invalid_reques… Invalid 'messages[1].co…\n"
    "    649 row-649        failed        1 invalid_reques… Invalid 'messages[1].co…\n"
    "    650 row-650        failed        1 invalid_reques… Invalid 'messages[1].co…\n"
    "    651 row-651        failed        1 invalid_reques… Invalid 'messages[1].co…\n"
    "    652 row-652        failed        1 invalid_reques… Invalid 'messages[1].co…\n"
    "    653 row-653        failed        1 invalid_reques… Invalid 'messages[1].co…\n"
    "    654 row-654        failed        1 invalid_reques… Invalid 'messages[1].co…\n"
    "    655 row-655        failed        1 invalid_reques… Invalid 'messages[1].co…\n"
    "    656 row-656        failed        1 invalid_reques… Invalid 'messages[1].co…\n"
    "    657 row-657        failed        1 invalid_reques… Invalid 'messages[1].co…\n"
    "    658 row-658        failed        1 invalid_reques… Invalid 'messages[1].co…\n"
    "    659 row-659        failed        1 invalid_reques… Invalid 'messages[1].co…\n"
    "    660 row-660        failed        1 invalid_reques… Invalid 'messages[1].co…\n"
    " task 40 of 40 · f cycles the state · Enter inspects\n"
    "Enter open  f filter-state  / filter  r retry  Esc back  ? help  q quit\n";
/* end tasks_failed_80x24 */

/* golden tasks_search_80x24 */
static const char tasks_search_80x24[] =
    " batchtop jobs › feedback-label › tasks 2 running · 331 in flight · today $0.18\n"
    " Filter state succeeded  error any  text CSV                          124 tasks\n"
    "    ROW CUSTOM ID      STATE     TRIES ERROR           OUTPUT / MESSAGE\n"
    "      3 row-3          succeeded     1                 bug\n"
    "      8 row-8          succeeded     1                 bug\n"
    "     13 row-13         succeeded     1                 bug\n"
    "     18 row-18         succeeded     1                 bug\n"
    "     23 row-23         succeeded     1                 bug\n"
    "     28 row-28         succeeded     1                 bug\n"
    "     33 row-33         succeeded     1                 bug\n"
    "     38 row-38         succeeded     1                 bug\n"
    "     43 row-43         succeeded     1                 bug\n"
    "     48 row-48         succeeded     1                 bug\n"
    "     53 row-53         succeeded     1                 bug\n"
    "     58 row-58         succeeded     1                 bug\n"
    "     63 row-63         succeeded     1                 bug\n"
    "     68 row-68         succeeded     1                 bug\n"
    "     73 row-73         succeeded     1                 bug\n"
    "     78 row-78         succeeded     1                 bug\n"
    "     83 row-83         succeeded     1                 bug\n"
    "     88 row-88         succeeded     1                 bug\n"
    "     93 row-93         succeeded     1                 bug\n"
    " task 1 of 124 · f cycles the state · Enter inspects\n"
    "Enter open  f filter-state  / filter  r retry  Esc back  ? help  q quit\n";
/* end tasks_search_80x24 */
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
  app_free(app);
  golden_store_close(&g);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_tasks)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
