/* Golden screens: the jobs view (home) at 80x24 and 120x40, with its colour elements. */
#include "golden.h"

static void test_jobs(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  bt_store *s = fixture_open(dir);
  bt_app *app = golden_app(s, NULL, 24, 80);
  golden_check(app, "jobs_80x24", "", NULL);
  app_resize(app, 40, 120);
  golden_check(app, "jobs_120x40", "", NULL);
  app_free(app);
  store_close(s);
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_jobs)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
