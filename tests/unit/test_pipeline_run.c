/* Unit tests: pipelines in the store: planning (names checked with their template location),
 * stage jobs, the flow of finished rows into later stages (where-conditions, holds, chunks),
 * reopening after a retry, and side-by-side results. No network: upstream outcomes are
 * written into the store the way the engine writes them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_run.h"
#include "secret.h"
#include "store_sql.h"
#include "testutil.h"
#include "util.h"

typedef struct {
  char *dir;
  char path[4096];
  bt_store *s;
  bt_pipeline p;
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  f->dir = tu_tmpdir();
  free(tu_write_file(f->dir, "in.csv", "id,text\na,first\nb,second\nc,third\n"));
  free(tu_write_file(f->dir, "one.tmpl", "---\nmax_tokens: 5\n---\nLabel {{text}}\n"));
  free(tu_write_file(f->dir, "two.tmpl",
                     "---\nmax_tokens: 7\nsystem: Be brief about {{one.output}}.\n---\n"
                     "Row {{id}} was {{prev.output}}\n"));
  free(tu_write_file(f->dir, "three.tmpl", "---\nmax_tokens: 3\n---\n{{one.output}}/{{two.output}}\n"));
  char *pp = tu_write_file(f->dir, "p.yaml",
                           "name: demo\ninput: in.csv\nstages:\n"
                           "  - {name: one, template: one.tmpl, provider: openai, model: gpt-4o-mini}\n"
                           "  - name: two\n    template: two.tmpl\n    provider: anthropic\n"
                           "    model: claude-haiku-4-5\n    where: output != \"skip\"\n"
                           "  - {name: three, template: three.tmpl, provider: openai, model: gpt-4o-mini}\n");
  bt_error err;
  error_clear(&err);
  assert_int_equal(pipeline_load(pp, &f->p, &err), BT_OK);
  free(pp);
  snprintf(f->path, sizeof f->path, "%s/bt.db", f->dir);
  assert_int_equal(store_open(f->path, &f->s, &err), BT_OK);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  pipeline_cleanup(&f->p);
  store_close(f->s);
  tu_rmtree(f->dir);
  free(f->dir);
  free(f);
  return 0;
}

static int64_t q(fx *f, const char *sql, const char *arg) {
  int64_t v = -1;
  bt_error err;
  if (store_query_int(f->s, &err, &v, -1, sql, arg ? "t" : "", arg))
    fail_msg("%s: %s", sql, err.message);
  return v;
}

static void exec_sql(fx *f, const char *sql) {
  bt_error err;
  if (store_exec(f->s, sql, &err))
    fail_msg("%s: %s", sql, err.message);
}

/* The engine's view of a finished chunk: every attempt of the job's open batches succeeded
 * with the given outputs (by row), the batches done. */
static void finish_stage(fx *f, const char *job, const char *const outputs[3], int complete) {
  char sql[2048];
  for (int row = 1; row <= 3; row++) {
    if (!outputs[row - 1])
      continue;
    snprintf(sql, sizeof sql,
             "UPDATE attempts SET state = 'succeeded', output = '%s', finished_at = 1 WHERE id ="
             " (SELECT last_attempt_id FROM tasks WHERE job_id = '%s' AND row_no = %d);"
             "UPDATE tasks SET state = 'succeeded', output = '%s' WHERE job_id = '%s' AND"
             " row_no = %d;",
             outputs[row - 1], job, row, outputs[row - 1], job, row);
    exec_sql(f, sql);
  }
  snprintf(sql, sizeof sql, "UPDATE batches SET state = 'done' WHERE job_id = '%s'", job);
  exec_sql(f, sql);
  if (complete) {
    snprintf(sql, sizeof sql, "UPDATE jobs SET state = 'completed' WHERE id = '%s'", job);
    exec_sql(f, sql);
  }
}

static void test_plan_checks_names(void **state) {
  fx *f = *state;
  bt_stage_plan plans[3];
  bt_error err;
  error_clear(&err);
  bt_prices *prices;
  assert_int_equal(prices_builtin(&prices, &err), BT_OK);
  assert_int_equal(pipeline_plan(&f->p, prices, plans, &err), BT_OK);
  assert_string_equal(plans[1].provider, "anthropic");
  assert_string_equal(plans[1].endpoint, "/v1/messages");
  assert_int_equal(plans[0].est.requests, 3);
  assert_true(plans[1].cost.priced);
  /* Stage two reads stage one's outputs, estimated at their longest: more input than one. */
  assert_true(plans[2].est.input_tokens > plans[0].est.input_tokens);
  /* An unknown name is refused where the template uses it. */
  free(tu_write_file(f->dir, "three.tmpl", "---\nmax_tokens: 3\n---\nA\n  {{nope.output}}\n"));
  assert_int_equal(pipeline_plan(&f->p, prices, plans, &err), BT_ERR_TEMPLATE);
  assert_int_equal(err.line, 5);
  assert_int_equal(err.column, 3);
  assert_non_null(strstr(err.file, "three.tmpl"));
  assert_non_null(strstr(err.message, "unknown name 'nope.output'"));
  /* A typo of an input field names the nearest ones. */
  free(tu_write_file(f->dir, "three.tmpl", "---\nmax_tokens: 3\n---\n{{txet}}\n"));
  assert_int_equal(pipeline_plan(&f->p, prices, plans, &err), BT_ERR_TEMPLATE);
  if (!strstr(err.message, "unknown name 'txet'") ||
      !strstr(err.message, "; nearest fields: text"))
    fail_msg("%s", err.message);
  /* prev.output in the first stage */
  free(tu_write_file(f->dir, "one.tmpl", "---\nmax_tokens: 5\n---\n{{prev.output}}\n"));
  assert_int_equal(pipeline_plan(&f->p, prices, plans, &err), BT_ERR_TEMPLATE);
  assert_non_null(strstr(err.message, "has no prev.output"));
  prices_free(prices);
}

static void test_flow_hold_skip_reopen(void **state) {
  fx *f = *state;
  bt_stage_plan plans[3];
  bt_error err;
  error_clear(&err);
  assert_int_equal(pipeline_plan(&f->p, NULL, plans, &err), BT_OK);
  char pid[BT_PIPELINE_ID_LEN + 1];
  int created = 0;
  assert_int_equal(pipeline_ensure(f->s, &f->p, plans, pid, &created, &err), BT_OK);
  assert_true(created);
  /* The same file again resumes: no second pipeline, no second set of jobs. */
  char again[BT_PIPELINE_ID_LEN + 1];
  assert_int_equal(pipeline_ensure(f->s, &f->p, plans, again, &created, &err), BT_OK);
  assert_false(created);
  assert_string_equal(again, pid);
  char(*ids)[BT_JOB_ID_LEN + 1];
  size_t n;
  assert_int_equal(pipeline_stage_jobs(f->s, pid, &ids, &n, &err), BT_OK);
  assert_int_equal(n, 3);
  assert_int_equal(q(f, "SELECT count(*) FROM tasks WHERE job_id = ?", ids[0]), 3);
  assert_int_equal(q(f, "SELECT count(*) FROM tasks WHERE job_id = ?", ids[1]), 0);
  assert_int_equal(q(f, "SELECT hold FROM jobs WHERE id = ?", ids[1]), 1);

  /* Nothing finished upstream: nothing flows, the stage stays held. */
  int64_t added = -1;
  assert_int_equal(pipeline_flow(f->s, ids[1], &added, &err), BT_OK);
  assert_int_equal(added, 0);

  /* Rows a and c succeed in stage one (c says "skip"); b is still running. */
  const char *out1[3] = {"alpha", NULL, "skip"};
  finish_stage(f, ids[0], out1, 0);
  exec_sql(f, "UPDATE batches SET state = 'remote'");
  /* ... but their batch is not done yet: they wait for it. */
  assert_int_equal(pipeline_flow(f->s, ids[1], &added, &err), BT_OK);
  assert_int_equal(added, 0);
  exec_sql(f, "UPDATE batches SET state = 'done'");
  assert_int_equal(pipeline_flow(f->s, ids[1], &added, &err), BT_OK);
  assert_int_equal(added, 1); /* a flows; c is skipped by the where-condition */
  assert_int_equal(q(f, "SELECT count(*) FROM pipeline_skips WHERE job_id = ?", ids[1]), 1);
  /* One row of three has flowed: a task's share of stage two's output estimate is still a third
   * of it (the estimate covers every input row), not all of it. */
  double per_task = 0;
  exec_sql(f, "UPDATE jobs SET est_output_tokens = 300");
  assert_int_equal(store_job_output_per_task(f->s, ids[1], &per_task, &err), BT_OK);
  assert_true(per_task > 99.99 && per_task < 100.01);
  assert_int_equal(store_job_output_per_task(f->s, ids[0], &per_task, &err), BT_OK);
  assert_true(per_task > 99.99 && per_task < 100.01); /* stage one: its own three tasks */
  assert_int_equal(q(f, "SELECT hold FROM jobs WHERE id = ?", ids[1]), 1);
  assert_int_equal(q(f, "SELECT count(*) FROM batches WHERE job_id = ? AND state = 'intent'",
                     ids[1]),
                   1);
  /* The request of row a carries stage one's output in system and user text, as anthropic
   * wants it: system at the top level. */
  sqlite3_stmt *st;
  assert_int_equal(store_prepare(f->s,
                                 "SELECT i.request FROM tasks t JOIN task_inputs i"
                                 " ON i.task_id = t.id WHERE t.job_id = ?",
                                 &st, &err),
                   BT_OK);
  sqlite3_bind_text(st, 1, ids[1], -1, SQLITE_STATIC);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  const char *req = (const char *)sqlite3_column_text(st, 0);
  assert_non_null(strstr(req, "\"custom_id\":\"row-1\""));
  assert_non_null(strstr(req, "\"system\":\"Be brief about alpha.\""));
  assert_non_null(strstr(req, "Row a was alpha"));
  assert_non_null(strstr(req, "\"max_tokens\":7"));
  sqlite3_finalize(st);
  /* Flowing again adds nothing twice. */
  assert_int_equal(pipeline_flow(f->s, ids[1], &added, &err), BT_OK);
  assert_int_equal(added, 0);

  /* Row b succeeds and stage one ends: b flows and the stage is released. */
  const char *out1b[3] = {NULL, "beta", NULL};
  finish_stage(f, ids[0], out1b, 1);
  assert_int_equal(pipeline_flow(f->s, ids[1], &added, &err), BT_OK);
  assert_int_equal(added, 1);
  assert_int_equal(q(f, "SELECT hold FROM jobs WHERE id = ?", ids[1]), 0);
  int done = 1;
  assert_int_equal(pipeline_done(f->s, pid, &done, &err), BT_OK);
  assert_false(done);

  /* Stage two finishes; stage three uses both earlier outputs by name. */
  const char *out2[3] = {"two-a", "two-b", NULL};
  finish_stage(f, ids[1], out2, 1);
  assert_int_equal(pipeline_flow(f->s, ids[2], &added, &err), BT_OK);
  assert_int_equal(added, 2);
  assert_int_equal(q(f, "SELECT count(*) FROM tasks t JOIN task_inputs i ON i.task_id = t.id"
                        " WHERE t.job_id = ? AND i.request LIKE '%alpha/two-a%'",
                     ids[2]),
                   1);
  const char *out3[3] = {"x", "y", NULL};
  finish_stage(f, ids[2], out3, 1);
  assert_int_equal(pipeline_flow(f->s, ids[2], &added, &err), BT_OK);
  assert_int_equal(pipeline_done(f->s, pid, &done, &err), BT_OK);
  assert_true(done);

  /* Side by side, in input order. */
  char outpath[4096];
  snprintf(outpath, sizeof outpath, "%s/out.csv", f->dir);
  FILE *o = fopen(outpath, "w");
  int64_t rows = 0;
  assert_int_equal(pipeline_results(f->s, pid, "csv", o, &rows, &err), BT_OK);
  fclose(o);
  assert_int_equal(rows, 3);
  char *text = NULL;
  assert_int_equal(util_read_file(outpath, 0, &text, NULL, &err), BT_OK);
  assert_string_equal(text,
                      "id,text,one_status,one_output,one_error,one_input_tokens,"
                      "one_output_tokens,one_cost_usd,two_status,two_output,two_error,"
                      "two_input_tokens,two_output_tokens,two_cost_usd,three_status,"
                      "three_output,three_error,three_input_tokens,three_output_tokens,"
                      "three_cost_usd\n"
                      "a,first,succeeded,alpha,,0,0,0.00000000,succeeded,two-a,,0,0,0.00000000,"
                      "succeeded,x,,0,0,0.00000000\n"
                      "b,second,succeeded,beta,,0,0,0.00000000,succeeded,two-b,,0,0,0.00000000,"
                      "succeeded,y,,0,0,0.00000000\n"
                      /* a row a stage never got has no usage there: empty, not 0 */
                      "c,third,succeeded,skip,,0,0,0.00000000,skipped,,,,,,skipped,,,,,\n");
  free(text);

  /* A retry upstream reopens the later stages (held), so retried rows can flow on. */
  assert_int_equal(pipeline_reopen_downstream(f->s, ids[0], &err), BT_OK);
  assert_int_equal(q(f, "SELECT count(*) FROM jobs WHERE pipeline_id = ? AND hold = 1 AND"
                        " state = 'running'",
                     pid),
                   2);
  free(ids);
}

/* Pipeline results scrub API keys from error messages as a job's results do: a provider that
 * echoes the key into its error text (sim echo_key), stored before that key was registered
 * (an older store, a key configured later), is written out masked, in CSV and JSONL. */
static void test_results_scrub_keys(void **state) {
  fx *f = *state;
  bt_stage_plan plans[3];
  bt_error err;
  error_clear(&err);
  assert_int_equal(pipeline_plan(&f->p, NULL, plans, &err), BT_OK);
  char pid[BT_PIPELINE_ID_LEN + 1];
  int created = 0;
  assert_int_equal(pipeline_ensure(f->s, &f->p, plans, pid, &created, &err), BT_OK);
  char(*ids)[BT_JOB_ID_LEN + 1];
  size_t n;
  assert_int_equal(pipeline_stage_jobs(f->s, pid, &ids, &n, &err), BT_OK);
  const char *out1[3] = {NULL, "beta", "gamma"};
  finish_stage(f, ids[0], out1, 1);
  char sql[1024];
  snprintf(sql, sizeof sql,
           "UPDATE attempts SET state = 'failed', error_code = 'invalid_api_key', error_message ="
           " 'Incorrect API key provided: sk-canary-pipe-5e2a9d', finished_at = 1 WHERE id ="
           " (SELECT last_attempt_id FROM tasks WHERE job_id = '%s' AND row_no = 1);"
           "UPDATE tasks SET state = 'failed' WHERE job_id = '%s' AND row_no = 1",
           ids[0], ids[0]);
  exec_sql(f, sql);
  secret_register("sk-canary-pipe-5e2a9d");
  static const char *const formats[] = {"csv", "jsonl"};
  for (int k = 0; k < 2; k++) {
    char outpath[4096];
    snprintf(outpath, sizeof outpath, "%s/out.%s", f->dir, formats[k]);
    FILE *o = fopen(outpath, "w");
    assert_non_null(o);
    int64_t rows = 0;
    assert_int_equal(pipeline_results(f->s, pid, formats[k], o, &rows, &err), BT_OK);
    fclose(o);
    assert_int_equal(rows, 3);
    char *text = NULL;
    assert_int_equal(util_read_file(outpath, 0, &text, NULL, &err), BT_OK);
    if (strstr(text, "sk-canary-pipe") || !strstr(text, "invalid_api_key: Incorrect API key"))
      fail_msg("%s results: %s", formats[k], text);
    free(text);
  }
  secret_clear();
  free(ids);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_plan_checks_names, setup, teardown),
      cmocka_unit_test_setup_teardown(test_flow_hold_skip_reopen, setup, teardown),
      cmocka_unit_test_setup_teardown(test_results_scrub_keys, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
