/* Unit tests: pipeline files: good files, and every bad file with its line and column. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "testutil.h"

static void test_good_pipeline(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  char *path = tu_write_file(dir, "triage.yaml",
                             "name: triage\n"
                             "input: rows.csv\n"
                             "stages:\n"
                             "  - name: label\n"
                             "    template: label.tmpl\n"
                             "    provider: openai\n"
                             "    model: gpt-4o-mini\n"
                             "    chunk_size: 50\n"
                             "  - name: reply\n"
                             "    template: /abs/reply.tmpl\n"
                             "    provider: anthropic\n"
                             "    where: output contains \"bug\"\n"
                             "  - name: final\n"
                             "    template: final.tmpl\n"
                             "    max_cost: 2.5\n");
  bt_pipeline p;
  bt_error err;
  error_clear(&err);
  if (pipeline_load(path, &p, &err) != BT_OK)
    fail_msg("%s:%ld:%ld: %s", err.file, err.line, err.column, err.message);
  assert_string_equal(p.name, "triage");
  char want[4096];
  snprintf(want, sizeof want, "%s/rows.csv", dir);
  assert_string_equal(p.input_path, want);
  assert_int_equal(p.n_stages, 3);
  assert_string_equal(p.stages[0].name, "label");
  snprintf(want, sizeof want, "%s/label.tmpl", dir);
  assert_string_equal(p.stages[0].template_path, want);
  assert_int_equal(p.stages[0].chunk_size, 50);
  assert_int_equal(p.stages[0].where.kind, WHERE_SUCCEEDED);
  assert_int_equal(p.stages[0].line, 4);
  assert_int_equal(p.stages[0].column, 5);
  assert_string_equal(p.stages[1].template_path, "/abs/reply.tmpl");
  assert_int_equal(p.stages[1].where.kind, WHERE_CONTAINS);
  assert_string_equal(p.stages[1].where.text, "bug");
  assert_null(p.stages[1].model);
  assert_true(p.stages[2].max_cost > 2.49 && p.stages[2].max_cost < 2.51);
  assert_true(p.stages[0].max_cost < 0);
  assert_int_equal(pipeline_stage_index(&p, "reply"), 1);
  assert_int_equal(pipeline_stage_index(&p, "nope"), -1);
  pipeline_cleanup(&p);
  free(path);
  tu_rmtree(dir);
  free(dir);
}

static void expect_bad(const char *text, long line, long column, const char *needle) {
  char *dir = tu_tmpdir();
  char *path = tu_write_file(dir, "p.yaml", text);
  bt_pipeline p;
  bt_error err;
  error_clear(&err);
  assert_int_equal(pipeline_load(path, &p, &err), BT_ERR_INPUT);
  assert_string_equal(err.file, path);
  if (err.line != line || err.column != column || !strstr(err.message, needle))
    fail_msg("got %ld:%ld: %s; want %ld:%ld: ...%s...", err.line, err.column, err.message, line,
             column, needle);
  free(path);
  tu_rmtree(dir);
  free(dir);
}

#define HEAD "name: x\ninput: in.csv\nstages:\n"

static void test_bad_pipelines(void **state) {
  (void)state;
  expect_bad("", 1, 1, "empty");
  expect_bad("- a\n- b\n", 1, 1, "must be a mapping");
  expect_bad("name: x\nstages:\n  - name: a\n    template: t\n", 1, 1, "no 'input'");
  expect_bad("name: x\ninput: a.csv\n", 1, 1, "no 'stages'");
  expect_bad("name: x\ninput: a.csv\nstages: []\n", 3, 9, "at least one stage");
  expect_bad("name: x\ninput: a.csv\ncolour: red\nstages: []\n", 3, 1, "unknown key 'colour'");
  expect_bad(HEAD "  - name: a\n    template: t\n    provider: gemini\n", 6, 15,
             "unknown provider 'gemini'");
  expect_bad(HEAD "  - name: a\n    template: t\n    chunk_size: lots\n", 6, 17, "chunk_size");
  expect_bad(HEAD "  - name: a\n    template: t\n    chunk_size: 99999999999999999999\n", 6, 17,
             "chunk_size");
  expect_bad(HEAD "  - name: a\n    template: t\n    max_cost: .nan\n", 6, 15, "max_cost");
  expect_bad(HEAD "  - name: a\n    template: t\n    max_cost: inf\n", 6, 15, "max_cost");
  expect_bad(HEAD "  - name: a\n    template: t\n    max_cost: 1e999\n", 6, 15, "max_cost");
  expect_bad(HEAD "  - name: a\n    template: t\n  - name: a\n    template: u\n", 6, 5,
             "two stages are named 'a'");
  expect_bad(HEAD "  - name: prev\n    template: t\n", 4, 11, "not 'prev'");
  expect_bad(HEAD "  - template: t\n", 4, 5, "no 'name'");
  expect_bad(HEAD "  - name: a\n", 4, 5, "no 'template'");
  expect_bad(HEAD "  - name: a\n    template: t\n  - name: b\n    template: u\n"
                  "    where: output has \"x\"\n",
             8, 12, "unknown condition");
  expect_bad(HEAD "  - name: a\n    template: t\n  - name: b\n    template: u\n"
                  "    where: output contains bug\n",
             8, 12, "must be quoted");
  expect_bad(HEAD "  - name: a\n    template: t\n    where: output == \"x\"\n", 4, 5,
             "first stage");
  expect_bad(HEAD "  - name: a\n    template: [t]\n", 5, 15, "single value");
  expect_bad("name: x\ninput: [\n", 3, 1, "YAML");
}

static void test_where_match(void **state) {
  (void)state;
  bt_where w = {WHERE_CONTAINS, "bug"};
  assert_true(pipeline_where_match(&w, "It is a BUG report"));
  assert_false(pipeline_where_match(&w, "praise"));
  w.kind = WHERE_NOT_CONTAINS;
  assert_true(pipeline_where_match(&w, "praise"));
  w.kind = WHERE_EQUALS;
  assert_true(pipeline_where_match(&w, "  Bug\n"));
  assert_false(pipeline_where_match(&w, "bugs"));
  w.kind = WHERE_NOT_EQUALS;
  assert_true(pipeline_where_match(&w, "bugs"));
  assert_true(pipeline_where_match(&w, NULL)); /* no output differs from "bug" */
  bt_where s = {WHERE_SUCCEEDED, NULL};
  assert_true(pipeline_where_match(&s, NULL));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good_pipeline),
      cmocka_unit_test(test_bad_pipelines),
      cmocka_unit_test(test_where_match),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
