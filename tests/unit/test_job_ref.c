/* Unit tests: what a user types as JOB (core/job_ref.h): exact ids and names, any unique id
 * prefix, ambiguity (listing the candidates) told apart from no match, pipelines; and the
 * typo suggestions of the command line and the template's front matter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "job_ref.h"
#include "store_sql.h"
#include "template.h"
#include "testutil.h"
#include "util.h"

static void add_job(bt_store *s, const char *id, const char *name, int64_t created) {
  bt_error err;
  error_clear(&err);
  bt_job job;
  job_init(&job);
  util_strlcpy(job.id, id, sizeof job.id);
  job.name = strdup(name);
  job.provider = strdup("openai");
  job.model = strdup("gpt-4o-mini");
  job.endpoint = strdup("/v1/chat/completions");
  assert_int_equal(store_job_insert(s, &job, &err), BT_OK);
  assert_int_equal(store_run(s, &err, "dating", NULL, "UPDATE jobs SET created_at = ? WHERE id = ?",
                             "it", created, id),
                   BT_OK);
  job_cleanup(&job);
}

static bt_store *fixture(char **dir) {
  *dir = tu_tmpdir();
  char path[4096];
  snprintf(path, sizeof path, "%s/batchtop.db", *dir);
  bt_store *s;
  bt_error err;
  error_clear(&err);
  if (store_open(path, &s, &err))
    fail_msg("store_open: %s", err.message);
  add_job(s, "abc11111", "dup", 1);
  add_job(s, "abc22222", "dup", 2);
  add_job(s, "xyz33333", "solo", 3);
  assert_int_equal(store_run(s, &err, "a pipeline", NULL,
                             "INSERT INTO pipelines(id, name, path, spec, input_path, n_stages,"
                             " created_at, updated_at) VALUES ('pqr44444', 'triage', 'p.yaml',"
                             " '', 'in.csv', 1, 4, 4)",
                             ""),
                   BT_OK);
  return s;
}

static void expect_ref(bt_store *s, const char *ref, bt_job_ref_kind kind, const char *id) {
  bt_job_ref r;
  bt_error err;
  error_clear(&err);
  if (job_ref_resolve(s, ref, &r, &err))
    fail_msg("'%s': %s", ref, err.message);
  assert_int_equal(r.kind, kind);
  assert_string_equal(r.id, id);
}

static void expect_fail(bt_store *s, const char *ref, bt_status want, const char *needle1,
                        const char *needle2) {
  bt_job_ref r;
  bt_error err;
  error_clear(&err);
  assert_int_equal(job_ref_resolve(s, ref, &r, &err), want);
  if (!strstr(err.message, needle1) || (needle2 && !strstr(err.message, needle2)))
    fail_msg("'%s': got '%s', wanted '%s' and '%s'", ref, err.message, needle1,
             needle2 ? needle2 : "");
}

static void test_resolve(void **state) {
  (void)state;
  char *dir;
  bt_store *s = fixture(&dir);
  expect_ref(s, "abc11111", JOB_REF_JOB, "abc11111");
  expect_ref(s, "solo", JOB_REF_JOB, "xyz33333");
  expect_ref(s, "x", JOB_REF_JOB, "xyz33333"); /* any unique prefix, one character too */
  expect_ref(s, "abc2", JOB_REF_JOB, "abc22222");
  expect_ref(s, "triage", JOB_REF_PIPELINE, "pqr44444");
  expect_ref(s, "pq", JOB_REF_PIPELINE, "pqr44444");
  /* Ambiguous: the candidates are listed, newest first; not "no such job". */
  expect_fail(s, "dup", BT_ERR_USAGE, "'dup' is ambiguous: it names 2", "abc22222  dup\n  abc11111");
  expect_fail(s, "abc", BT_ERR_USAGE, "begins the ids of 2", "type more of the id");
  expect_fail(s, "nope", BT_ERR_NOT_FOUND, "no job or pipeline 'nope'", NULL);
  expect_fail(s, "", BT_ERR_USAGE, "give a job", NULL);
  char id[BT_JOB_ID_LEN + 1];
  assert_true(job_ref_name_taken(s, "dup", id));
  assert_string_equal(id, "abc22222");
  assert_false(job_ref_name_taken(s, "triage", id)); /* pipelines name their stages apart */
  store_close(s);
  tu_rmtree(dir);
  free(dir);
}

static void test_suggestions(void **state) {
  (void)state;
  assert_int_equal(util_edit_distance("sumbit", "submit"), 2);
  assert_int_equal(util_edit_distance("chunksize", "chunk-size"), 1);
  assert_int_equal(util_edit_distance("", "abc"), 3);
  const char *cmds[] = {"status", "submit", "results", "retry"};
  assert_string_equal(cli_nearest("sumbit", cmds, 4), "submit");
  assert_string_equal(cli_nearest("stauts", cmds, 4), "status");
  assert_null(cli_nearest("xx", cmds, 4));
  assert_null(cli_nearest("dashboard", cmds, 4));
  assert_string_equal(cli_model_provider("gpt-4o-mini"), "openai");
  assert_string_equal(cli_model_provider("o3-mini"), "openai");
  assert_string_equal(cli_model_provider("claude-haiku-4-5"), "anthropic");
  assert_null(cli_model_provider("llama-3.1-8b"));
  /* A front matter key one edit from a known one is a typo, at its line and column. */
  const char *text = "---\nmodel: gpt-4o-mini\n  \nmax_token: 5\n---\nHi\n";
  bt_template *t = NULL;
  bt_error err;
  error_clear(&err);
  assert_int_equal(template_parse(text, strlen(text), "t.tmpl", &t, &err), BT_ERR_TEMPLATE);
  assert_null(t);
  assert_int_equal(err.line, 4);
  assert_int_equal(err.column, 1);
  assert_non_null(strstr(err.message, "unknown front matter key 'max_token'; did you mean"
                                      " 'max_tokens'?"));
  /* Known pass-through parameters and far-off keys are parameters, not typos. */
  text = "---\ntop_p: 0.5\ntop_k: 3\ncustom_flag: 1\n---\nHi\n";
  error_clear(&err);
  if (template_parse(text, strlen(text), "t.tmpl", &t, &err))
    fail_msg("%s", err.message);
  template_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_resolve),
                                     cmocka_unit_test(test_suggestions)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
