/* Unit tests: the JSONL reader (value kinds, order, bad lines with their locations). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "testutil.h"

static bt_input *open_text(const char *text, bt_error *err, bt_status *s) {
  bt_input *in = NULL;
  error_clear(err);
  *s = input_open_mem(text, strlen(text), "in.jsonl", BT_INPUT_JSONL, &in, err);
  return in;
}

static void expect_error(const char *text, long line, long col, const char *needle) {
  bt_error err;
  bt_status s;
  bt_input *in = open_text(text, &err, &s);
  const bt_record *rec = NULL;
  while (!s && !(s = input_next(in, &rec, &err)) && rec)
    ;
  input_close(in);
  assert_int_equal(s, BT_ERR_INPUT);
  if (err.line != line || err.column != col || !strstr(err.message, needle) ||
      strcmp(err.file, "in.jsonl"))
    fail_msg("got %s:%ld:%ld: %s; wanted %ld:%ld: ...%s...", err.file, err.line, err.column,
             err.message, line, col, needle);
}

static void test_values(void **state) {
  (void)state;
  bt_error err;
  bt_status s;
  bt_input *in = open_text("{\"s\":\"t\\u00e9xt\\n\\\"q\\\"\", \"n\": 1.50, \"e\":1e5, "
                           "\"b\":true, \"z\":null, \"o\": {\"k\" : [1, 2.0, \"a b\"]}, "
                           "\"u\":\"a\xe2\x80\xa8z\"}\n",
                           &err, &s);
  assert_int_equal(s, BT_OK);
  const bt_record *rec;
  assert_int_equal(input_next(in, &rec, &err), BT_OK);
  assert_non_null(rec);
  assert_int_equal(rec->n, 7);
  const char *names[] = {"s", "n", "e", "b", "z", "o", "u"}; /* file order kept */
  for (size_t i = 0; i < 7; i++)
    assert_string_equal(rec->names[i], names[i]);
  assert_string_equal(rec->values[0], "t\xc3\xa9xt\n\"q\"");
  assert_int_equal(rec->kinds[0], BT_VAL_STRING);
  assert_string_equal(rec->values[1], "1.50"); /* as written */
  assert_int_equal(rec->kinds[1], BT_VAL_RAW);
  assert_string_equal(rec->values[2], "1e5");
  assert_string_equal(rec->values[3], "true");
  assert_string_equal(rec->values[4], "");
  assert_int_equal(rec->kinds[4], BT_VAL_NULL);
  assert_string_equal(rec->values[5], "{\"k\":[1,2.0,\"a b\"]}"); /* compact, digits kept */
  assert_string_equal(rec->values[6], "a\xe2\x80\xa8z");          /* U+2028 survives */
  assert_int_equal(input_next(in, &rec, &err), BT_OK);
  assert_null(rec);
  input_close(in);
}

static void test_lines(void **state) {
  (void)state;
  bt_error err;
  bt_status s;
  /* CRLF, a BOM, trailing blank lines; keys of later rows join the names */
  bt_input *in = open_text("\xEF\xBB\xBF{\"a\":1}\r\n{\"b\":2,\"a\":3}\n\n  \n", &err, &s);
  assert_int_equal(s, BT_OK);
  const bt_record *rec;
  assert_int_equal(input_next(in, &rec, &err), BT_OK);
  assert_int_equal(rec->line_no, 1);
  assert_int_equal(rec->row_no, 1);
  assert_int_equal(input_n_names(in), 1);
  assert_int_equal(input_next(in, &rec, &err), BT_OK);
  assert_int_equal(rec->line_no, 2);
  assert_int_equal(rec->row_no, 2);
  assert_string_equal(rec->values[record_find(rec, "a")], "3");
  assert_int_equal(input_n_names(in), 2);
  assert_string_equal(input_name(in, 1), "b");
  assert_int_equal(input_next(in, &rec, &err), BT_OK);
  assert_null(rec);
  input_close(in);
}

static void test_errors(void **state) {
  (void)state;
  expect_error("{\"a\":1}\n[1,2]\n", 2, 1, "expected a JSON object");
  expect_error("{\"a\":1}\n  \"str\"\n", 2, 3, "expected a JSON object");
  expect_error("{\"a\":1,}\n", 1, 8, "invalid JSON");
  expect_error("{\"a\":1}\n{\"a\": tru}\n", 2, 9, "invalid JSON");
  expect_error("{\"a\":1,\"a\":2}\n", 1, 10, "duplicate object key");
  expect_error("{\"a\":1} {\"b\":2}\n", 1, 9, "invalid JSON");
  expect_error("{\"a\":1}\n\n{\"a\":2}\n", 2, 1, "empty line");
  expect_error("{\"a\":\"x\xff\"}\n", 1, 8, "invalid UTF-8");
  expect_error("\xEF\xBB\xBF{\"a\":\"\xc3\"}\n", 1, 10, "invalid UTF-8");
  expect_error("{\"a\":\"\\u0000\"}\n", 1, 13, "invalid JSON");
  expect_error("", 1, 1, "empty file");
  expect_error("\n\n", 3, 1, "no records");
}

static void test_name_cap(void **state) {
  (void)state;
  /* rows that bring ever new keys: the name list stops growing, the rows still read */
  size_t cap = 5000 * 32;
  char *text = malloc(cap), *p = text;
  for (int i = 0; i < 5000; i++)
    p += snprintf(p, cap - (size_t)(p - text), "{\"k%d\":%d}\n", i, i);
  bt_error err;
  bt_status s;
  bt_input *in = open_text(text, &err, &s);
  assert_int_equal(s, BT_OK);
  const bt_record *rec;
  int n = 0;
  while (input_next(in, &rec, &err) == BT_OK && rec) {
    assert_int_equal(rec->n, 1);
    n++;
  }
  assert_int_equal(n, 5000);
  assert_int_equal(input_n_names(in), 4096);
  assert_string_equal(rec ? "" : input_name(in, 4095), "k4095");
  input_close(in);
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_values),
      cmocka_unit_test(test_lines),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_name_cap),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
