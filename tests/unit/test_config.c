/* Unit tests: config files (good and bad, with line numbers), environment, home, secrets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "home.h"
#include "logger.h"
#include "secret.h"
#include "testutil.h"
#include "util.h"

static void test_defaults(void **state) {
  (void)state;
  bt_config cfg;
  config_init(&cfg);
  assert_string_equal(cfg.openai_base_url, "https://api.openai.com/v1");
  assert_string_equal(cfg.anthropic_base_url, "https://api.anthropic.com");
  assert_string_equal(cfg.local_url, "http://127.0.0.1:8080/v1");
  assert_string_equal(cfg.theme, "default");
  assert_null(cfg.openai_api_key);
  assert_int_equal(cfg.local_concurrency, 64);
  config_cleanup(&cfg);
}

static void test_good_file(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  char *path = tu_write_file(dir, "config",
                             "# my settings\n"
                             "\n"
                             "theme = light   # trailing comment\n"
                             "poll_ms = 250\n"
                             "max_cost = 12.5\n"
                             "model = \"gpt-4o-mini\"\n"
                             "[keys]\n"
                             "retry = x\n"
                             "quit = Q\n");
  bt_config cfg;
  config_init(&cfg);
  bt_error err;
  error_clear(&err);
  assert_int_equal(config_load_file(&cfg, path, &err), BT_OK);
  assert_string_equal(cfg.theme, "light");
  assert_int_equal(cfg.poll_ms, 250);
  assert_true(cfg.max_cost > 12.49 && cfg.max_cost < 12.51);
  assert_string_equal(cfg.model, "gpt-4o-mini");
  assert_int_equal(cfg.n_keys, 2);
  assert_string_equal(cfg.keys[0].action, "retry");
  assert_string_equal(cfg.keys[0].key, "x");
  assert_int_equal(cfg.keys[1].line, 9);
  assert_string_equal(cfg.path, path);
  config_cleanup(&cfg);
  free(path);
  tu_rmtree(dir);
  free(dir);
}

static void expect_bad(const char *text, long line, long column, const char *needle) {
  char *dir = tu_tmpdir();
  char *path = tu_write_file(dir, "config", text);
  chmod(path, 0600);
  bt_config cfg;
  config_init(&cfg);
  bt_error err;
  error_clear(&err);
  assert_int_equal(config_load_file(&cfg, path, &err), BT_ERR_CONFIG);
  assert_string_equal(err.file, path);
  assert_int_equal(err.line, line);
  if (column)
    assert_int_equal(err.column, column);
  if (!strstr(err.message, needle))
    fail_msg("message '%s' lacks '%s'", err.message, needle);
  config_cleanup(&cfg);
  free(path);
  tu_rmtree(dir);
  free(dir);
}

static void test_bad_files(void **state) {
  (void)state;
  expect_bad("theme = dark\nbogus = 1\n", 2, 1, "unknown setting 'bogus'");
  expect_bad("\n\npoll_ms = fast\n", 3, 11, "whole number");
  expect_bad("theme\n", 1, 1, "expected 'name = value'");
  expect_bad("[colors]\n", 1, 2, "unknown section");
  expect_bad("[keys\n", 1, 1, "malformed section");
  expect_bad("max_cost = -3\n", 1, 12, "number >= 0");
  expect_bad("max_cost = nan\n", 1, 12, "number >= 0");
  expect_bad("max_cost = inf\n", 1, 12, "number >= 0");
  expect_bad("max_cost = 1e999\n", 1, 12, "number >= 0");
  expect_bad("local_concurrency = 99999999999999999999\n", 1, 21, "whole number");
  expect_bad(" = x\n", 1, 1, "missing name");
}

static void test_key_needs_private_file(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  char *path = tu_write_file(dir, "config", "theme = mono\nopenai_api_key = sk-test-canary-0001\n");
  chmod(path, 0644);
  bt_config cfg;
  config_init(&cfg);
  bt_error err;
  error_clear(&err);
  assert_int_equal(config_load_file(&cfg, path, &err), BT_ERR_CONFIG);
  assert_int_equal(err.line, 2);
  assert_non_null(strstr(err.message, "chmod 600"));
  /* The key itself never appears in the message. */
  assert_null(strstr(err.message, "sk-test-canary-0001"));
  config_cleanup(&cfg);
  chmod(path, 0600);
  config_init(&cfg);
  assert_int_equal(config_load_file(&cfg, path, &err), BT_OK);
  assert_string_equal(cfg.openai_api_key, "sk-test-canary-0001");
  assert_true(secret_contains("xx sk-test-canary-0001 yy"));
  char text[] = "key=sk-test-canary-0001.";
  assert_int_equal(secret_scrub(text), 1);
  assert_string_equal(text, "key=*******************.");
  config_cleanup(&cfg);
  secret_clear();
  free(path);
  tu_rmtree(dir);
  free(dir);
}

static void test_env_overrides_file(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  char *path = tu_write_file(dir, "config", "poll_ms = 5000\nopenai_base_url = http://file\n");
  setenv("BATCHTOP_CONFIG", path, 1);
  setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1", 1);
  setenv("BATCHTOP_POLL_MS", "40", 1);
  bt_config cfg;
  bt_error err;
  error_clear(&err);
  assert_int_equal(config_load(&cfg, &err), BT_OK);
  assert_string_equal(cfg.openai_base_url, "http://127.0.0.1:9/v1");
  assert_int_equal(cfg.poll_ms, 40);
  config_cleanup(&cfg);
  /* An explicit BATCHTOP_CONFIG that does not exist is an error, not silently ignored. */
  setenv("BATCHTOP_CONFIG", "/nonexistent/batchtop.conf", 1);
  assert_int_equal(config_load(&cfg, &err), BT_ERR_CONFIG);
  config_cleanup(&cfg);
  unsetenv("BATCHTOP_CONFIG");
  unsetenv("OPENAI_BASE_URL");
  unsetenv("BATCHTOP_POLL_MS");
  free(path);
  tu_rmtree(dir);
  free(dir);
}

static void test_home_created_private(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  char want[4096], got[4096];
  snprintf(want, sizeof want, "%s/a/b/home", dir);
  setenv("BATCHTOP_HOME", want, 1);
  bt_error err;
  error_clear(&err);
  assert_int_equal(home_resolve(got, sizeof got, &err), BT_OK);
  assert_string_equal(got, want);
  struct stat st;
  assert_int_equal(stat(want, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0700);
  unsetenv("BATCHTOP_HOME");
  setenv("XDG_DATA_HOME", dir, 1);
  assert_int_equal(home_resolve(got, sizeof got, &err), BT_OK);
  snprintf(want, sizeof want, "%s/batchtop", dir);
  assert_string_equal(got, want);
  unsetenv("XDG_DATA_HOME");
  tu_rmtree(dir);
  free(dir);
}

static void test_logger_scrubs_secrets(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  char path[4096];
  snprintf(path, sizeof path, "%s/test.log", dir);
  bt_error err;
  error_clear(&err);
  assert_int_equal(logger_open(path, LOG_INFO, &err), BT_OK);
  secret_register("sk-ant-canary-123456");
  log_info("sending with key %s now", "sk-ant-canary-123456");
  log_debug("this is below the level");
  logger_close();
  char *text = NULL;
  assert_int_equal(util_read_file(path, 0, &text, NULL, &err), BT_OK);
  assert_null(strstr(text, "sk-ant-canary-123456"));
  assert_non_null(strstr(text, "sending with key ****"));
  assert_null(strstr(text, "below the level"));
  free(text);
  secret_clear();
  tu_rmtree(dir);
  free(dir);
}

/* A key shorter than 8 characters is a key too (issue 13: they were never scrubbed). */
static void test_short_key_scrubbed(void **state) {
  (void)state;
  secret_register("k7Zq9xW");
  secret_register("");
  char text[] = "invalid key k7Zq9xW (k7Zq9xW)";
  assert_true(secret_contains(text));
  assert_int_equal(secret_scrub(text), 2);
  assert_string_equal(text, "invalid key ******* (*******)");
  secret_clear();
}

/* A local server's placeholder key ("x", "none", "EMPTY") is not a secret: masking it would
 * rewrite every "none" in the answers the dashboard shows. A remote provider's short key is
 * still masked. */
static void test_local_placeholder_key_not_masked(void **state) {
  (void)state;
  bt_config cfg;
  config_init(&cfg);
  setenv("BATCHTOP_LOCAL_API_KEY", "none", 1);
  setenv("ANTHROPIC_API_KEY", "k7Zq9xW", 1);
  config_apply_env(&cfg);
  char text[] = "none of k7Zq9xW";
  secret_scrub(text);
  assert_string_equal(text, "none of *******");
  /* a real local key (8 characters or more) is masked as before */
  setenv("BATCHTOP_LOCAL_API_KEY", "local-key-123", 1);
  config_apply_env(&cfg);
  char text2[] = "key local-key-123";
  secret_scrub(text2);
  assert_string_equal(text2, "key *************");
  unsetenv("BATCHTOP_LOCAL_API_KEY");
  unsetenv("ANTHROPIC_API_KEY");
  config_cleanup(&cfg);
  secret_clear();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_short_key_scrubbed),
      cmocka_unit_test(test_local_placeholder_key_not_masked),
      cmocka_unit_test(test_good_file),
      cmocka_unit_test(test_bad_files),
      cmocka_unit_test(test_key_needs_private_file),
      cmocka_unit_test(test_env_overrides_file),
      cmocka_unit_test(test_home_created_private),
      cmocka_unit_test(test_logger_scrubs_secrets),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
