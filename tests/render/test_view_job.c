/* Golden screens: the job view (batches, error groups, sparkline) at 80x24 and 120x40. */
#include "golden.h"

static void test_job(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  bt_store *s = fixture_open(dir);
  bt_app *app = golden_app(s, NULL, 24, 80);
  golden_keys(app, "j\n");
  golden_check(app, "job_80x24", "", NULL);
  app_resize(app, 40, 120);
  golden_check(app, "job_120x40", "", NULL);
  golden_keys(app, "\n");
  golden_check(app, "tasks_120x40", "", NULL);
  app_resize(app, 24, 80);
  golden_check(app, "tasks_80x24", "", NULL);
  golden_keys(app, "\n");
  golden_check(app, "inspector_80x24", "", NULL);
  app_resize(app, 40, 120);
  golden_check(app, "inspector_120x40", "", NULL);
  golden_keys(app, "?");
  golden_check(app, "help_120x40", "", NULL);
  app_resize(app, 24, 80);
  golden_check(app, "help_80x24", "", NULL);
  app_free(app);
  store_close(s);
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_job)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
