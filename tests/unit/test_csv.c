/* Unit tests: the CSV/TSV reader (RFC 4180 rules, locations of every bad input). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "input.h"
#include "testutil.h"

/* Read everything; rows rendered as "line:a|b|c\n" into out. Returns the status; err filled. */
static bt_status read_all(const char *text, size_t len, bt_input_format fmt, bt_buf *out,
                          bt_error *err) {
  bt_input *in = NULL;
  error_clear(err);
  buf_reset(out);
  bt_status s = input_open_mem(text, len, "in.csv", fmt, &in, err);
  if (s)
    return s;
  const bt_record *rec;
  while (!(s = input_next(in, &rec, err)) && rec) {
    assert_true(buf_printf(out, "%lld:", (long long)rec->line_no) == BT_OK);
    for (size_t i = 0; i < rec->n; i++) {
      assert_int_equal(strlen(rec->values[i]), rec->lens[i]);
      assert_true(buf_printf(out, "%s%s", i ? "|" : "", rec->values[i]) == BT_OK);
    }
    assert_true(buf_putc(out, '\n') == BT_OK);
  }
  input_close(in);
  return s;
}

static void expect_rows(const char *text, const char *rows) {
  bt_buf out;
  buf_init(&out, 0);
  bt_error err;
  bt_status s = read_all(text, strlen(text), BT_INPUT_CSV, &out, &err);
  if (s)
    fail_msg("unexpected error: %s:%ld:%ld: %s", err.file, err.line, err.column, err.message);
  assert_string_equal(buf_str(&out), rows);
  buf_cleanup(&out);
}

static void expect_error(const char *text, size_t len, long line, long col, const char *needle) {
  bt_buf out;
  buf_init(&out, 0);
  bt_error err;
  bt_status s = read_all(text, len, BT_INPUT_CSV, &out, &err);
  assert_int_equal(s, BT_ERR_INPUT);
  assert_string_equal(err.file, "in.csv");
  if (err.line != line || err.column != col || !strstr(err.message, needle))
    fail_msg("got %ld:%ld: %s; wanted %ld:%ld: ...%s...", err.line, err.column, err.message, line,
             col, needle);
  buf_cleanup(&out);
}
#define EXPECT_ERROR(text, line, col, needle)                                                      \
  expect_error(text, sizeof(text) - 1, line, col, needle)

static void test_basic(void **state) {
  (void)state;
  expect_rows("a,b,c\n1,2,3\n4,5,6\n", "2:1|2|3\n3:4|5|6\n");
  expect_rows("a,b,c\n1,2,3", "2:1|2|3\n"); /* no final line break */
}

static void test_header_names(void **state) {
  (void)state;
  bt_input *in;
  bt_error err;
  const char *text = "\xEF\xBB\xBF id , Customer Name ,\tx\t\n1,2,3\n";
  assert_int_equal(input_open_mem(text, strlen(text), "in.csv", BT_INPUT_CSV, &in, &err), BT_OK);
  assert_int_equal(input_n_names(in), 3);
  assert_string_equal(input_name(in, 0), "id"); /* BOM skipped, spaces trimmed */
  assert_string_equal(input_name(in, 1), "Customer Name");
  assert_string_equal(input_name(in, 2), "x");
  const bt_record *rec;
  assert_int_equal(input_next(in, &rec, &err), BT_OK);
  assert_non_null(rec);
  assert_int_equal(rec->row_no, 1);
  assert_string_equal(rec->names[1], "Customer Name");
  assert_int_equal(record_find(rec, "x"), 2);
  assert_int_equal(record_find(rec, "nope"), -1);
  input_close(in);
}

static void test_quotes(void **state) {
  (void)state;
  /* commas, doubled quotes and line breaks inside quotes; later line numbers stay right */
  expect_rows("a,b\n\"x, y\",\"say \"\"hi\"\"\"\n\"multi\nline\n text\",z\nlast,row\n",
              "2:x, y|say \"hi\"\n3:multi\nline\n text|z\n6:last|row\n");
  expect_rows("a,b\n\"\",\"\"\n", "2:|\n");
  /* a quote inside an unquoted field is kept (lenient, as spreadsheets write it) */
  expect_rows("a\n5\" screen\n", "2:5\" screen\n");
}

static void test_crlf(void **state) {
  (void)state;
  expect_rows("a,b\r\n1,2\r\n3,4\r\n", "2:1|2\n3:3|4\n");
  /* CRLF inside quotes is data */
  expect_rows("a,b\r\n\"x\r\ny\",2\r\n3,4\r\n", "2:x\r\ny|2\n4:3|4\n");
  /* a lone CR is data too */
  expect_rows("a\nx\ry\n", "2:x\ry\n");
}

static void test_empty_fields(void **state) {
  (void)state;
  expect_rows("a,b,c\n,,\n1,,3\n,2,\n", "2:||\n3:1||3\n4:|2|\n");
}

static void test_tsv(void **state) {
  (void)state;
  bt_buf out;
  buf_init(&out, 0);
  bt_error err;
  const char *text = "a\tb\nx, y\t\"q\tq\"\n";
  assert_int_equal(read_all(text, strlen(text), BT_INPUT_TSV, &out, &err), BT_OK);
  assert_string_equal(buf_str(&out), "2:x, y|q\tq\n");
  buf_cleanup(&out);
  bt_input_format f;
  assert_int_equal(input_format_guess("x/data.TSV"), BT_INPUT_TSV);
  assert_int_equal(input_format_guess("data.jsonl"), BT_INPUT_JSONL);
  assert_int_equal(input_format_guess("data.csv"), BT_INPUT_CSV);
  assert_int_equal(input_format_parse("tsv", &f, NULL), BT_OK);
  assert_int_equal(f, BT_INPUT_TSV);
  assert_int_equal(input_format_parse("xml", &f, NULL), BT_ERR_USAGE);
}

static void test_blank_lines(void **state) {
  (void)state;
  expect_rows("a,b\n1,2\n\n\n", "2:1|2\n");
  expect_rows("a,b\r\n1,2\r\n\r\n", "2:1|2\n");
  EXPECT_ERROR("a,b\n1,2\n\n3,4\n", 3, 1, "empty line");
}

static void test_bad_quotes(void **state) {
  (void)state;
  EXPECT_ERROR("a,b\n1,2\n3,\"never\nclosed\n", 3, 3, "unterminated quoted field");
  EXPECT_ERROR("a,b\n\"ab\"c,2\n", 2, 5, "after a closing quote");
}

static void test_ragged(void **state) {
  (void)state;
  EXPECT_ERROR("a,b,c\n1,2,3\n1,2,3,4\n", 3, 7, "4 fields but the header has 3");
  EXPECT_ERROR("a,b,c\n1,2,3\n1,2\n", 3, 4, "2 fields but the header has 3");
  EXPECT_ERROR("a,b,c\n1,2", 2, 4, "2 fields");
  /* after a multi-line field the line is still right */
  EXPECT_ERROR("a,b\n\"x\ny\",1\n1\n", 4, 2, "1 field but");
}

static void test_bad_utf8(void **state) {
  (void)state;
  EXPECT_ERROR("a,b\n1,2\nab\xff,3\n", 3, 3, "invalid UTF-8");
  EXPECT_ERROR("a,b\n\"x\ny\xc3\",2\n", 3, 2, "invalid UTF-8"); /* cut short by a quote */
  EXPECT_ERROR("a,b\n\xc0\xaf,2\n", 2, 1, "invalid UTF-8");     /* overlong */
  EXPECT_ERROR("a,b\n\xed\xa0\x80,2\n", 2, 1, "invalid UTF-8"); /* surrogate */
  EXPECT_ERROR("a,b\n1,\xe2\x82", 2, 3, "invalid UTF-8");       /* cut short by the end */
  EXPECT_ERROR("a,b\n1,x\0y\n", 2, 4, "NUL byte");
  expect_rows("a\n\xe2\x80\xa8 \xf0\x9f\x99\x82 \xc3\xa9\n",
              "2:\xe2\x80\xa8 \xf0\x9f\x99\x82 \xc3\xa9\n");
}

static void test_empty(void **state) {
  (void)state;
  EXPECT_ERROR("", 1, 1, "empty file");
  EXPECT_ERROR("\xEF\xBB\xBF", 1, 1, "empty file");
  EXPECT_ERROR("a,b\n", 2, 1, "no data rows");
}

/* A duplicate column name is reported where the second one starts (trimmed names compare). */
static void test_duplicate_header(void **state) {
  (void)state;
  EXPECT_ERROR("a,b,a\n1,2,3\n", 1, 5, "column 'a' twice (columns 1 and 3)");
  EXPECT_ERROR("id, text ,x,text\n1,2,3,4\n", 1, 13, "column 'text' twice (columns 2 and 4)");
  EXPECT_ERROR("\"a\nb\",c,\"a\nb\"\n1,2,3\n", 2, 6, "twice (columns 1 and 3)");
  EXPECT_ERROR("\"\",x,\n1,2,3\n", 1, 6, "column '' twice (columns 1 and 3)");
  expect_rows("a,A,a b\n1,2,3\n", "2:1|2|3\n");
  /* A wide header: every name distinct, then the same with one repeated at the very end. */
  bt_buf text, want;
  buf_init(&text, 0);
  buf_init(&want, 0);
  const int n = 20000;
  for (int i = 0; i < n; i++)
    assert_true(buf_printf(&text, "%sc%d", i ? "," : "", i) == BT_OK);
  assert_true(buf_puts(&text, "\n") == BT_OK);
  for (int i = 0; i < n; i++)
    assert_true(buf_printf(&text, "%s%d", i ? "," : "", i % 10) == BT_OK);
  assert_true(buf_puts(&text, "\n") == BT_OK);
  bt_error err;
  assert_int_equal(read_all(buf_str(&text), text.len, BT_INPUT_CSV, &want, &err), BT_OK);
  buf_reset(&text);
  for (int i = 0; i < n; i++)
    assert_true(buf_printf(&text, "%sc%d", i ? "," : "", i) == BT_OK);
  long col = (long)text.len + 2;
  assert_true(buf_puts(&text, ",c12345\n") == BT_OK);
  assert_int_equal(read_all(buf_str(&text), text.len, BT_INPUT_CSV, &want, &err), BT_ERR_INPUT);
  assert_int_equal(err.line, 1);
  assert_int_equal(err.column, col);
  assert_non_null(strstr(err.message, "column 'c12345' twice (columns 12346 and 20001)"));
  buf_cleanup(&text);
  buf_cleanup(&want);
}

static void test_file_chunks(void **state) {
  (void)state;
  /* A file bigger than the reader's chunk, with quoted line breaks crossing chunk ends. */
  char *dir = tu_tmpdir();
  bt_buf text;
  buf_init(&text, 0);
  assert_true(buf_puts(&text, "id,text\n") == BT_OK);
  for (int i = 1; i <= 3000; i++)
    assert_true(buf_printf(&text, "%d,\"row %d, \"\"quoted\"\"\nsecond line %*s\"\r\n", i, i,
                           i % 50, "") == BT_OK);
  char *path = tu_write_file(dir, "big.csv", buf_str(&text));
  bt_input *in;
  bt_error err;
  assert_int_equal(input_open(path, BT_INPUT_CSV, &in, &err), BT_OK);
  const bt_record *rec;
  int n = 0;
  while (input_next(in, &rec, &err) == BT_OK && rec) {
    n++;
    assert_int_equal(rec->row_no, n);
    assert_int_equal(rec->line_no, 2 * n);
    char want[128];
    snprintf(want, sizeof want, "row %d, \"quoted\"\nsecond line %*s", n, n % 50, "");
    assert_string_equal(rec->values[1], want);
  }
  assert_int_equal(n, 3000);
  input_close(in);
  assert_int_equal(input_open("/nonexistent/x.csv", BT_INPUT_CSV, &in, &err), BT_ERR_IO);
  buf_cleanup(&text);
  free(path);
  tu_rmtree(dir);
  free(dir);
}

/* A directory is named as such (it read as "empty file" before); a FIFO is read as a stream
 * once its writer is there, and one nobody writes to is an error at once, not a wait. */
static void test_not_a_file(void **state) {
  (void)state;
  alarm(20); /* the old reader blocked forever in the FIFO's open: fail, do not hang */
  char *dir = tu_tmpdir();
  bt_input *in = NULL;
  bt_error err;
  assert_int_equal(input_open(dir, BT_INPUT_CSV, &in, &err), BT_ERR_INPUT);
  assert_null(in);
  assert_string_equal(err.file, dir);
  assert_non_null(strstr(err.message, "is a directory; INPUT must be a CSV, TSV or JSONL file"));

  char fifo[4096];
  snprintf(fifo, sizeof fifo, "%s/in.csv", dir);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  assert_int_equal(input_open(fifo, BT_INPUT_CSV, &in, &err), BT_ERR_INPUT);
  assert_null(in);
  assert_non_null(strstr(err.message, "nothing was written"));

  /* What a shell's <(cmd) gives: /dev/fd/N of a pipe whose writer is another process. */
  int p[2];
  assert_int_equal(pipe(p), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(p[0]);
    static const char data[] = "a,b\n1,2\n3,4\n";
    _exit(write(p[1], data, sizeof data - 1) == (ssize_t)(sizeof data - 1) ? 0 : 1);
  }
  close(p[1]);
  char path[64];
  snprintf(path, sizeof path, "/dev/fd/%d", p[0]);
  assert_int_equal(input_open(path, BT_INPUT_CSV, &in, &err), BT_OK);
  close(p[0]);
  const bt_record *rec;
  int n = 0;
  while (input_next(in, &rec, &err) == BT_OK && rec)
    n++;
  assert_int_equal(n, 2);
  input_close(in);
  int st;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  alarm(0);
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_basic),        cmocka_unit_test(test_header_names),
      cmocka_unit_test(test_quotes),       cmocka_unit_test(test_crlf),
      cmocka_unit_test(test_empty_fields), cmocka_unit_test(test_tsv),
      cmocka_unit_test(test_blank_lines),  cmocka_unit_test(test_bad_quotes),
      cmocka_unit_test(test_ragged),       cmocka_unit_test(test_bad_utf8),
      cmocka_unit_test(test_empty),        cmocka_unit_test(test_duplicate_header),
      cmocka_unit_test(test_not_a_file),   cmocka_unit_test(test_file_chunks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
