/* Unit tests: status messages and the error struct. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "status.h"
#include "testutil.h"
#include "util.h"

static void test_status_messages(void **state) {
  (void)state;
  assert_string_equal(status_str(BT_OK), "ok");
  assert_string_equal(status_str(BT_ERR_BUDGET), "refused by the cost limit");
  for (int i = 0; i < BT_STATUS_COUNT; i++)
    assert_true(strlen(status_str((bt_status)i)) > 0);
  assert_string_equal(status_str((bt_status)999), "unknown status");
}

static void test_error_format_with_location(void **state) {
  (void)state;
  bt_error err;
  error_clear(&err);
  assert_int_equal(error_set_at(&err, BT_ERR_INPUT, "rows.csv", 12, 7, "unterminated quote"),
                   BT_ERR_INPUT);
  char buf[256];
  assert_string_equal(error_format(&err, buf, sizeof buf), "rows.csv:12:7: unterminated quote");
  err.column = 0;
  assert_string_equal(error_format(&err, buf, sizeof buf), "rows.csv:12: unterminated quote");
  err.line = 0;
  assert_string_equal(error_format(&err, buf, sizeof buf), "rows.csv: unterminated quote");
}

static void test_error_without_location_and_prefix(void **state) {
  (void)state;
  bt_error err;
  error_clear(&err);
  error_set(&err, BT_ERR_NOT_FOUND, "no job '%s'", "abc");
  error_prefix(&err, "status");
  char buf[256];
  assert_string_equal(error_format(&err, buf, sizeof buf), "status: no job 'abc'");
  assert_int_equal(err.status, BT_ERR_NOT_FOUND);
  /* NULL err is allowed and still returns the status. */
  assert_int_equal(error_set(NULL, BT_ERR_IO, "x"), BT_ERR_IO);
  error_clear(&err);
  err.status = BT_ERR_NOMEM;
  assert_string_equal(error_format(&err, buf, sizeof buf), "out of memory");
}

static void test_buf(void **state) {
  (void)state;
  bt_buf b;
  buf_init(&b, 0);
  assert_string_equal(buf_str(&b), "");
  assert_int_equal(buf_puts(&b, "hello"), BT_OK);
  assert_int_equal(buf_printf(&b, " %d %s", 42, "x"), BT_OK);
  assert_string_equal(buf_str(&b), "hello 42 x");
  char *taken = buf_take(&b);
  assert_string_equal(taken, "hello 42 x");
  free(taken);
  assert_int_equal(b.len, 0);
  bt_buf capped;
  buf_init(&capped, 4);
  assert_int_equal(buf_puts(&capped, "abcd"), BT_OK);
  assert_int_equal(buf_putc(&capped, 'e'), BT_ERR_LIMIT);
  assert_string_equal(buf_str(&capped), "abcd");
  buf_cleanup(&capped);
}

static void test_formats(void **state) {
  (void)state;
  char buf[64];
  assert_string_equal(util_fmt_usd(0, buf, sizeof buf), "$0.00");
  assert_string_equal(util_fmt_usd(0.0012, buf, sizeof buf), "$0.0012");
  assert_string_equal(util_fmt_usd(12.345, buf, sizeof buf), "$12.35");
  assert_string_equal(util_fmt_usd(1234567, buf, sizeof buf), "$1,234,567");
  /* budgets as given: a tiny one is not rounded to a cent or four places */
  assert_string_equal(util_fmt_usd_exact(0.00005, buf, sizeof buf), "0.00005");
  assert_string_equal(util_fmt_usd_exact(0.000001, buf, sizeof buf), "0.000001");
  assert_string_equal(util_fmt_usd_exact(0.0025, buf, sizeof buf), "0.0025");
  assert_string_equal(util_fmt_usd_exact(0.001, buf, sizeof buf), "0.001");
  assert_string_equal(util_fmt_usd_exact(0, buf, sizeof buf), "0.00");
  assert_string_equal(util_fmt_usd_exact(12.5, buf, sizeof buf), "12.50");
  assert_string_equal(util_fmt_count(999, buf, sizeof buf), "999");
  assert_string_equal(util_fmt_count(1500, buf, sizeof buf), "1.5k");
  assert_string_equal(util_fmt_count(2500000, buf, sizeof buf), "2.5M");
  assert_string_equal(util_fmt_duration(59000, buf, sizeof buf), "59s");
  assert_string_equal(util_fmt_duration(250000, buf, sizeof buf), "4m10s");
  assert_string_equal(util_fmt_duration(7500000, buf, sizeof buf), "2h05m");
  char id[9];
  util_random_id(id, 8);
  assert_int_equal(strlen(id), 8);
  for (int i = 0; i < 8; i++)
    assert_true((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'z'));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_status_messages),
      cmocka_unit_test(test_error_format_with_location),
      cmocka_unit_test(test_error_without_location_and_prefix),
      cmocka_unit_test(test_buf),
      cmocka_unit_test(test_formats),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
