/* Unit tests: job creation with chunking, idempotent result ingestion joined on custom_id,
 * expiry/cancel of the rest, retry planning and "the latest success wins", the results export
 * in input order, the error groups and the leases. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "job.h"
#include "job_report.h"
#include "lease.h"
#include "results.h"
#include "retry.h"
#include "store_attempt.h"
#include "store_batch.h"
#include "store_sql.h"
#include "job_fixture.h"
#include "testutil.h"
#include "util.h"

static bt_result result(const char *cid, bt_task_state st, const char *out, const char *code) {
  bt_result r;
  memset(&r, 0, sizeof r);
  r.custom_id = (char *)cid;
  r.state = st;
  r.output = (char *)out;
  r.error_code = (char *)code;
  r.error_message = code ? (char *)"went wrong" : NULL;
  r.input_tokens = 100;
  r.output_tokens = 10;
  return r;
}

static void ingest(fixture *f, int64_t batch, const bt_result *r, int expect_applied) {
  bt_ingest *g;
  bt_error err;
  int applied;
  assert_int_equal(ingest_new(f->s, f->job, batch, "openai", "gpt-4o-mini", &g, &err), BT_OK);
  assert_int_equal(ingest_result(g, r, &applied, &err), BT_OK);
  assert_int_equal(applied, expect_applied);
  ingest_free(g);
}

static void counts(fixture *f, bt_counts *c) {
  bt_error err;
  assert_int_equal(store_job_counts(f->s, f->job, c, &err), BT_OK);
}

static void test_chunks_and_ingest(void **state) {
  fixture *f = *state;
  make_job(f, 5, 2);
  bt_batch *list;
  size_t n;
  bt_error err;
  assert_int_equal(store_batch_list(f->s, f->job, &list, &n, &err), BT_OK);
  assert_int_equal(n, 3); /* 2 + 2 + 1 */
  assert_int_equal(list[0].n_requests, 2);
  assert_int_equal(list[2].n_requests, 1);
  /* each chunk knows its tasks' estimated input tokens (100 a row) */
  int64_t sized = 0;
  assert_int_equal(store_query_int(f->s, &err, &sized, 0,
                                   "SELECT count(*) FROM batches WHERE job_id = ? AND"
                                   " est_input_tokens = 100 * n_requests",
                                   "t", f->job),
                   BT_OK);
  assert_int_equal(sized, 3);
  assert_string_equal(list[0].state, "intent");
  char tag[64];
  snprintf(tag, sizeof tag, "bt-%s-1-1", f->job);
  assert_string_equal(list[0].tag, tag);
  int64_t b1 = list[0].id, b2 = list[1].id, b3 = list[2].id;
  batch_list_free(list, n);
  bt_counts c;
  counts(f, &c);
  assert_int_equal(c.n[TASK_PENDING], 5);
  assert_int_equal(store_attempt_tasks_running(f->s, b1, &err), BT_OK);
  counts(f, &c);
  assert_int_equal(c.n[TASK_RUNNING], 2);
  /* out of order, joined on custom_id; a line for another batch's task is not ours */
  bt_result r2 = result("row-2", TASK_SUCCEEDED, "two", NULL);
  bt_result r1 = result("row-1", TASK_FAILED, NULL, "server_error");
  bt_result r3 = result("row-3", TASK_SUCCEEDED, "three", NULL);
  ingest(f, b1, &r2, 1);
  ingest(f, b1, &r1, 1);
  ingest(f, b1, &r3, 0);
  /* idempotent: the same lines again change nothing (a second download) */
  ingest(f, b1, &r2, 0);
  ingest(f, b1, &r1, 0);
  counts(f, &c);
  assert_int_equal(c.n[TASK_SUCCEEDED], 1);
  assert_int_equal(c.n[TASK_FAILED], 1);
  /* batch 2 expires with row-3 done: the rest is expired, row-3 keeps its answer */
  ingest(f, b2, &r3, 1);
  int64_t rest = 0;
  assert_int_equal(
      store_attempt_finish_rest(f->s, b2, TASK_EXPIRED, "batch_expired", "late", &rest, &err),
      BT_OK);
  assert_int_equal(rest, 1);
  assert_int_equal(
      store_attempt_finish_rest(f->s, b3, TASK_CANCELLED, "batch_cancelled", "x", &rest, &err),
      BT_OK);
  counts(f, &c);
  assert_int_equal(c.n[TASK_SUCCEEDED], 2);
  assert_int_equal(c.n[TASK_FAILED], 1);
  assert_int_equal(c.n[TASK_EXPIRED], 1);
  assert_int_equal(c.n[TASK_CANCELLED], 1);
  assert_int_equal(c.total, 5);
  /* a job ends only when its tasks and its batches are done */
  int ended = 0;
  assert_int_equal(store_job_settle(f->s, f->job, 0, &ended, &err), BT_OK);
  assert_false(ended);
  int64_t ids[] = {b1, b2, b3};
  for (int i = 0; i < 3; i++)
    assert_int_equal(store_batch_set_state(f->s, ids[i], "done", &err), BT_OK);
  assert_int_equal(store_job_settle(f->s, f->job, 0, &ended, &err), BT_OK);
  assert_true(ended);
  assert_int_equal(job_report_exit_code(f->s, f->job), 2);
  /* actual cost follows the attempts (triggers) */
  bt_job job;
  assert_int_equal(store_job_get(f->s, f->job, &job, &err), BT_OK);
  assert_string_equal(job.state, "completed");
  assert_true(job.actual_cost_usd > 0);
  job_cleanup(&job);
  /* error groups */
  json_t *g;
  assert_int_equal(job_report_errors(f->s, f->job, &g, &err), BT_OK);
  assert_int_equal(json_array_size(g), 3);
  json_decref(g);

  /* retry only the failed one: new round, only that task */
  bt_retry_plan plan;
  assert_int_equal(retry_plan(f->s, f->job, "failed", 0, &plan, &err), BT_OK);
  assert_int_equal(plan.tasks, 1);
  assert_int_equal(retry_plan(f->s, f->job, NULL, 0, &plan, &err), BT_OK);
  assert_int_equal(plan.tasks, 3);
  assert_int_equal(retry_plan(f->s, f->job, "batch_expired", 0, &plan, &err), BT_OK);
  assert_int_equal(plan.tasks, 1);
  assert_int_equal(retry_apply(f->s, f->job, "failed", 0, 0.0, NULL, &err), BT_ERR_BUDGET);
  int64_t nt = 0;
  assert_int_equal(retry_apply(f->s, f->job, "failed", 0, -1, &nt, &err), BT_OK);
  assert_int_equal(nt, 1);
  assert_int_equal(store_batch_list(f->s, f->job, &list, &n, &err), BT_OK);
  assert_int_equal(n, 4);
  assert_int_equal(list[3].round, 2);
  int64_t b4 = list[3].id;
  batch_list_free(list, n);
  counts(f, &c);
  assert_int_equal(c.n[TASK_PENDING], 1);
  assert_int_equal(c.n[TASK_FAILED], 0);
  /* a late line from the old batch must not move the task (its latest attempt is newer) */
  bt_result old = result("row-1", TASK_FAILED, NULL, "again");
  ingest(f, b1, &old, 0);
  bt_result win = result("row-1", TASK_SUCCEEDED, "one", NULL);
  ingest(f, b4, &win, 1);
  counts(f, &c);
  assert_int_equal(c.n[TASK_SUCCEEDED], 3);

  /* a whole file staged then applied (the download path), twice: the second changes nothing */
  for (int pass = 0; pass < 2; pass++) {
    bt_ingest *gi;
    assert_int_equal(ingest_new(f->s, f->job, b4, "openai", "gpt-4o-mini", &gi, &err), BT_OK);
    bt_result again = result("row-1", TASK_FAILED, NULL, "late");
    bt_result copy;
    memset(&copy, 0, sizeof copy);
    copy.custom_id = strdup(again.custom_id);
    copy.state = again.state;
    copy.error_code = strdup("late");
    assert_int_equal(ingest_add(gi, &copy, &err), BT_OK);
    assert_null(copy.custom_id); /* taken over */
    int64_t applied = 0;
    assert_int_equal(ingest_apply(gi, &applied, &err), BT_OK);
    assert_int_equal(applied, 0); /* b4's attempt already succeeded: terminal, left alone */
    ingest_free(gi);
  }
  counts(f, &c);
  assert_int_equal(c.n[TASK_SUCCEEDED], 3);
  assert_true(sqlite3_get_autocommit(store_db(f->s))); /* no transaction left open */

  /* export: every row, input order, input columns first, CSV quoting */
  char path[4096];
  snprintf(path, sizeof path, "%s/out.csv", f->dir);
  int64_t rows = 0;
  assert_int_equal(results_export_file(f->s, f->job, NULL, path, &rows, &err), BT_OK);
  assert_int_equal(rows, 5);
  char *text = NULL;
  size_t len;
  assert_int_equal(util_read_file(path, 1 << 20, &text, &len, &err), BT_OK);
  assert_non_null(strstr(text, "id,text,status,output,error,input_tokens,output_tokens,"
                               "cost_usd\n1,\"hello, \"\"1\"\"\",succeeded,one,,100,10,"));
  char *p2 = strstr(text, "\n2,"), *p3 = strstr(text, "\n3,"), *p4 = strstr(text, "\n4,");
  assert_true(p2 && p3 && p4 && p2 < p3 && p3 < p4);
  assert_non_null(strstr(text, "expired,,batch_expired: late"));
  free(text);
  snprintf(path, sizeof path, "%s/out.jsonl", f->dir);
  assert_int_equal(results_export_file(f->s, f->job, "jsonl", path, &rows, &err), BT_OK);
  assert_int_equal(util_read_file(path, 1 << 20, &text, &len, &err), BT_OK);
  assert_non_null(strstr(text, "{\"id\":1,\"text\":\"hello, \\\"1\\\"\",\"status\":"
                               "\"succeeded\",\"output\":\"one\""));
  free(text);
  json_t *o;
  assert_int_equal(job_report_json(f->s, f->job, 1, &o, &err), BT_OK);
  assert_int_equal(json_array_size(json_object_get(o, "batches")), 4);
  json_t *cn = json_object_get(o, "counts");
  const char *keys[] = {"total",  "pending", "running",  "succeeded",
                        "failed", "expired", "cancelled"};
  for (size_t i = 0; i < 7; i++)
    assert_non_null(json_object_get(cn, keys[i]));
  json_decref(o);
}

/* Stage the lines as the download path does (ingest_add takes copies), then apply them, or
 * (apply = 0) abandon them half way as a failed download does. */
/* bulk_apply runs three times: lines joined through the batch map, then through the store,
 * then applied in runs of one line. */
static int64_t join_limit = INGEST_JOIN_MAX;
static size_t run_bytes = 0;
static int autocreate = 0;

static int64_t stage_maybe_apply(fixture *f, int64_t batch, const bt_result *lines, size_t n,
                                 int apply) {
  bt_ingest *g;
  bt_error err;
  assert_int_equal(ingest_new(f->s, f->job, batch, "openai", "gpt-4o-mini", &g, &err), BT_OK);
  ingest_set_join_limit(g, join_limit);
  if (run_bytes)
    ingest_set_run_bytes(g, run_bytes);
  ingest_set_autocreate(g, autocreate);
  for (size_t i = 0; i < n; i++) {
    bt_result c = lines[i];
    c.custom_id = strdup(lines[i].custom_id);
    c.output = lines[i].output ? strdup(lines[i].output) : NULL;
    c.error_code = lines[i].error_code ? strdup(lines[i].error_code) : NULL;
    c.error_message = lines[i].error_message ? strdup(lines[i].error_message) : NULL;
    c.response = strdup("{\"raw\":1}");
    assert_int_equal(ingest_add(g, &c, &err), BT_OK);
  }
  int64_t applied = 0;
  if (apply)
    assert_int_equal(ingest_apply(g, &applied, &err), BT_OK);
  ingest_free(g);
  return applied;
}

static int64_t stage_apply(fixture *f, int64_t batch, const bt_result *lines, size_t n) {
  return stage_maybe_apply(f, batch, lines, n, 1);
}

/* What the store promises after every commit: counts add up, spend is the attempts' sum,
 * bulk mode is over and no transaction or staged line is left. */
static void check_invariants(fixture *f) {
  bt_error err;
  bt_counts c, scan;
  assert_int_equal(store_job_counts(f->s, f->job, &c, &err), BT_OK);
  assert_int_equal(store_job_counts_scan(f->s, f->job, &scan, &err), BT_OK);
  assert_int_equal(c.total, scan.total);
  for (int i = 0; i < TASK_STATE_COUNT; i++)
    assert_int_equal(c.n[i], scan.n[i]);
  bt_job job;
  assert_int_equal(store_job_get(f->s, f->job, &job, &err), BT_OK);
  sqlite3_stmt *st;
  assert_int_equal(store_prepare(f->s,
                                 "SELECT total(cost_usd), total(input_tokens),"
                                 " total(output_tokens) FROM attempts WHERE job_id = ?",
                                 &st, &err),
                   BT_OK);
  sqlite3_bind_text(st, 1, f->job, -1, SQLITE_STATIC);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  double cost = sqlite3_column_double(st, 0);
  assert_true(job.actual_cost_usd > cost - 1e-9 && job.actual_cost_usd < cost + 1e-9);
  assert_int_equal(job.actual_input_tokens, (int64_t)sqlite3_column_double(st, 1));
  assert_int_equal(job.actual_output_tokens, (int64_t)sqlite3_column_double(st, 2));
  sqlite3_finalize(st);
  job_cleanup(&job);
  int64_t v = -1;
  assert_int_equal(store_query_int(f->s, &err, &v, -1,
                                   "SELECT count(*) FROM temp.sqlite_master WHERE type ="
                                   " 'trigger'",
                                   ""),
                   BT_OK);
  assert_int_equal(v, 4); /* bulk mode is over: the connection's triggers are back */
  assert_true(sqlite3_get_autocommit(store_db(f->s)));
  /* finish_log counts every finished attempt once, at its cost */
  assert_int_equal(store_prepare(f->s,
                                 "SELECT (SELECT total(n) FROM finish_log WHERE job_id = ?1),"
                                 " (SELECT count(*) FROM attempts WHERE job_id = ?1 AND"
                                 " finished_at IS NOT NULL), (SELECT total(cost_usd) FROM"
                                 " finish_log WHERE job_id = ?1), (SELECT total(cost_usd) FROM"
                                 " attempts WHERE job_id = ?1 AND finished_at IS NOT NULL)",
                                 &st, &err),
                   BT_OK);
  sqlite3_bind_text(st, 1, f->job, -1, SQLITE_STATIC);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_int_equal((int64_t)sqlite3_column_double(st, 0), sqlite3_column_int64(st, 1));
  assert_true(sqlite3_column_int64(st, 1) > 0);
  double logged = sqlite3_column_double(st, 2), spent = sqlite3_column_double(st, 3);
  assert_true(logged > spent - 1e-9 && logged < spent + 1e-9);
  sqlite3_finalize(st);
  /* every stored body belongs to exactly one attempt: lines that did not apply took theirs */
  assert_int_equal(store_query_int(f->s, &err, &v, -1,
                                   "SELECT (SELECT count(*) FROM responses) - (SELECT count(*)"
                                   " FROM attempts a JOIN responses r ON r.id = a.response_id)",
                                   ""),
                   BT_OK);
  assert_int_equal(v, 0);
}

static void bulk_apply(void **state) {
  fixture *f = *state;
  make_job(f, 6, 6);
  bt_batch *list;
  size_t n;
  bt_error err;
  assert_int_equal(store_batch_list(f->s, f->job, &list, &n, &err), BT_OK);
  int64_t b1 = list[0].id;
  batch_list_free(list, n);
  assert_int_equal(store_attempt_tasks_running(f->s, b1, &err), BT_OK);
  /* row-6 already came in one by one: its attempt is terminal */
  bt_result r6 = result("row-6", TASK_SUCCEEDED, "six", NULL);
  ingest(f, b1, &r6, 1);
  bt_result file[] = {
      result("row-3", TASK_SUCCEEDED, "three", NULL),
      result("row-1", TASK_SUCCEEDED, "one", NULL),
      result("row-2", TASK_FAILED, NULL, "server_error"),
      result("row-3", TASK_FAILED, NULL, "dup"),   /* a repeated line: the first one wins */
      result("row-6", TASK_FAILED, NULL, "late"),  /* terminal already: left alone */
      result("row-99", TASK_SUCCEEDED, "x", NULL), /* not ours */
  };
  size_t nfile = sizeof file / sizeof file[0];
  assert_int_equal(stage_apply(f, b1, file, nfile), 3);
  bt_counts c;
  counts(f, &c);
  assert_int_equal(c.n[TASK_SUCCEEDED], 3);
  assert_int_equal(c.n[TASK_FAILED], 1);
  assert_int_equal(c.n[TASK_RUNNING], 2);
  check_invariants(f);
  int64_t v = 0;
  assert_int_equal(store_query_int(f->s, &err, &v, 0,
                                   "SELECT count(*) FROM tasks WHERE custom_id = 'row-3' AND"
                                   " state = 'succeeded' AND output = 'three'",
                                   ""),
                   BT_OK);
  assert_int_equal(v, 1);
  assert_int_equal(store_query_int(f->s, &err, &v, 0,
                                   "SELECT count(*) FROM attempts a JOIN responses r ON"
                                   " r.id = a.response_id WHERE r.body = '{\"raw\":1}'"
                                   " AND a.cost_usd > 0",
                                   ""),
                   BT_OK);
  assert_int_equal(v, 3);
  /* the same file again (a crash mid-download, then a fresh download): nothing changes */
  assert_int_equal(stage_apply(f, b1, file, nfile), 0);
  counts(f, &c);
  assert_int_equal(c.n[TASK_SUCCEEDED], 3);
  check_invariants(f);
  /* retry the failed row-2 in a new round; then a late failure of row-4 from the old batch
   * still moves row-4 (b1 is its latest attempt) and a success from the new round wins */
  int64_t nt = 0;
  assert_int_equal(retry_apply(f->s, f->job, "failed", 0, -1, &nt, &err), BT_OK);
  assert_int_equal(nt, 1);
  assert_int_equal(store_batch_list(f->s, f->job, &list, &n, &err), BT_OK);
  int64_t b2 = list[n - 1].id;
  batch_list_free(list, n);
  /* the retry's chunk is sized from its running attempts: row-2 alone */
  assert_int_equal(store_query_int(f->s, &err, &v, 0,
                                   "SELECT est_input_tokens FROM batches WHERE id = ?", "i", b2),
                   BT_OK);
  assert_int_equal(v, 100);
  bt_result late[] = {result("row-4", TASK_FAILED, NULL, "late"),
                      result("row-2", TASK_SUCCEEDED, "again", NULL)};
  /* a download of b2 that fails half way (lines staged, never applied) leaves nothing: no
   * count, no spend, no body */
  bt_result partial = result("row-2", TASK_FAILED, NULL, "partial");
  assert_int_equal(stage_maybe_apply(f, b2, &partial, 1, 0), 0);
  check_invariants(f);
  assert_int_equal(stage_apply(f, b1, late, 1), 1);
  assert_int_equal(stage_apply(f, b2, late + 1, 1), 1);
  counts(f, &c);
  assert_int_equal(c.n[TASK_SUCCEEDED], 4);
  assert_int_equal(c.n[TASK_FAILED], 1);
  assert_int_equal(c.n[TASK_RUNNING], 1);
  check_invariants(f);
}

static void test_bulk_apply(void **state) {
  join_limit = INGEST_JOIN_MAX;
  bulk_apply(state);
}

static void test_bulk_apply_store_join(void **state) {
  join_limit = 0;
  bulk_apply(state);
  join_limit = INGEST_JOIN_MAX;
}

static void test_bulk_apply_small_runs(void **state) {
  run_bytes = 1;
  bulk_apply(state);
  run_bytes = 0;
  /* the connection is as store_open left it: CHECKs on */
  fixture *f = *state;
  bt_error err;
  int64_t v = -1;
  assert_int_equal(store_query_int(f->s, &err, &v, -1, "PRAGMA ignore_check_constraints", ""),
                   BT_OK);
  assert_int_equal(v, 0);
}

/* An imported batch (tasks made by its own result lines), in bulk: the new tasks are counted
 * once, and a custom_id given twice makes one task whose first line wins. */
static void imported_apply(void **state) {
  fixture *f = *state;
  make_job(f, 2, 2);
  bt_error err;
  char sql[512];
  snprintf(sql, sizeof sql,
           "INSERT INTO batches(job_id, chunk_no, provider, tag, state, n_requests, created_at,"
           " updated_at) VALUES ('%s', 99, 'openai', 'bt-imported', 'remote', 3, 0, 0)",
           f->job);
  assert_int_equal(store_exec(f->s, sql, &err), BT_OK);
  int64_t batch = sqlite3_last_insert_rowid(store_db(f->s));
  bt_result file[] = {
      result("ext-1", TASK_SUCCEEDED, "first", NULL),
      result("ext-2", TASK_FAILED, NULL, "server_error"),
      result("ext-1", TASK_FAILED, NULL, "second"), /* the first line wins */
  };
  autocreate = 1;
  assert_int_equal(stage_apply(f, batch, file, 3), 2);
  autocreate = 0;
  bt_counts c;
  counts(f, &c);
  assert_int_equal(c.total, 4);
  assert_int_equal(c.n[TASK_SUCCEEDED], 1);
  assert_int_equal(c.n[TASK_FAILED], 1);
  check_invariants(f);
  int64_t v = 0;
  assert_int_equal(store_query_int(f->s, &err, &v, 0,
                                   "SELECT count(*) FROM tasks t JOIN attempts a ON"
                                   " a.task_id = t.id WHERE t.custom_id = 'ext-1' AND"
                                   " t.state = 'succeeded' AND t.output = 'first'",
                                   ""),
                   BT_OK);
  assert_int_equal(v, 1);
}

static void test_imported_apply(void **state) {
  imported_apply(state);
}

static void test_imported_apply_store_join(void **state) {
  join_limit = 0;
  imported_apply(state);
  join_limit = INGEST_JOIN_MAX;
}

static void test_budget_refused(void **state) {
  fixture *f = *state;
  bt_job_opts o;
  job_opts_init(&o);
  o.max_cost_usd = 0.0000001;
  bt_job_meta m = {"openai", "gpt-4o", NULL, "csv", "[]", NULL, NULL, NULL};
  bt_job_builder *b;
  bt_error err;
  assert_int_equal(job_builder_begin(f->s, &o, &m, &b, &err), BT_OK);
  bt_rendered r = {.row_no = 1,
                   .line_no = 2,
                   .custom_id = "a",
                   .input_json = "{}",
                   .request = "{}",
                   .request_bytes = 2,
                   .est_input_tokens = 100000,
                   .max_output_tokens = 1000};
  assert_int_equal(job_builder_add(b, &r, &err), BT_OK);
  char id[BT_JOB_ID_LEN + 1];
  assert_int_equal(job_builder_finish(b, id, &err), BT_ERR_BUDGET);
  /* nothing half-stored */
  char(*ids)[BT_JOB_ID_LEN + 1];
  size_t n;
  assert_int_equal(store_job_list_ids(f->s, &ids, &n, &err), BT_OK);
  assert_int_equal(n, 0);
  free(ids);
}

static void test_lease(void **state) {
  fixture *f = *state;
  make_job(f, 1, 0);
  char a[32], b[32];
  lease_owner_make(a);
  lease_owner_make(b);
  bt_error err;
  assert_int_equal(lease_acquire(f->s, f->job, a, 30000, &err), BT_OK);
  int held = 0;
  assert_int_equal(lease_held(f->s, f->job, a, &held, &err), BT_OK);
  assert_false(held); /* our own */
  /* A live holder in another process: pid 1 is always alive. */
  bt_error e2;
  assert_int_equal(store_exec(f->s, "UPDATE leases SET pid = 1", &e2), BT_OK);
  assert_int_equal(lease_held(f->s, f->job, b, &held, &err), BT_OK);
  assert_true(held);
  assert_int_equal(lease_acquire(f->s, f->job, b, 30000, &err), BT_ERR_BUSY);
  /* A dead holder (kill -9) frees it at once. */
  assert_int_equal(store_exec(f->s, "UPDATE leases SET pid = 999999999", &e2), BT_OK);
  assert_int_equal(lease_acquire(f->s, f->job, b, 30000, &err), BT_OK);
  lease_release(f->s, f->job, b);
  assert_int_equal(lease_held(f->s, f->job, NULL, &held, &err), BT_OK);
  assert_false(held);
}

/* A process stopped past its lease learns that another took the job over, even when that one
 * has already finished and released it: renewing is only of our own row (issue 13 item 6). */
static void test_lease_renew(void **state) {
  fixture *f = *state;
  make_job(f, 1, 0);
  char a[32], b[32];
  lease_owner_make(a);
  lease_owner_make(b);
  bt_error err, e2;
  int ours = -1;
  assert_int_equal(lease_acquire(f->s, f->job, a, 30000, &err), BT_OK);
  assert_int_equal(lease_renew(f->s, f->job, a, 30000, &ours, &err), BT_OK);
  assert_true(ours);
  /* a's lease expires while it is stopped; b takes over */
  assert_int_equal(store_exec(f->s, "UPDATE leases SET expires_at = 0, pid = 1", &e2), BT_OK);
  assert_int_equal(lease_acquire(f->s, f->job, b, 30000, &err), BT_OK);
  assert_int_equal(lease_renew(f->s, f->job, a, 30000, &ours, &err), BT_OK);
  assert_false(ours);
  /* b ends the job and releases: a still must not take it back by renewing */
  lease_release(f->s, f->job, b);
  assert_int_equal(lease_renew(f->s, f->job, a, 30000, &ours, &err), BT_OK);
  assert_false(ours);
}

/* A duplicate batch is recorded once, counts as a known remote id (no reconcile adopts it),
 * and shows in status --json "duplicates" with its cost and whether it was cancelled. */
static void test_duplicates(void **state) {
  fixture *f = *state;
  make_job(f, 1, 0);
  bt_error err;
  bt_remote_batch rb = {.id = "batch_dup", .status = "in_progress", .total = 3, .succeeded = 1};
  int known = 1, added = 0;
  assert_int_equal(store_batch_remote_known(f->s, "openai", "batch_dup", &known, &err), BT_OK);
  assert_false(known);
  assert_int_equal(store_duplicate_add(f->s, f->job, 0, 1, "openai", &rb, 0.25, &added, &err),
                   BT_OK);
  assert_true(added);
  assert_int_equal(store_duplicate_add(f->s, f->job, 0, 1, "openai", &rb, 0.25, &added, &err),
                   BT_OK);
  assert_false(added);
  assert_int_equal(store_batch_remote_known(f->s, "openai", "batch_dup", &known, &err), BT_OK);
  assert_true(known);
  json_t *d = NULL;
  assert_int_equal(store_duplicates_json(f->s, f->job, &d, &err), BT_OK);
  assert_int_equal(json_array_size(d), 1);
  json_t *x = json_array_get(d, 0);
  assert_string_equal(json_string_value(json_object_get(x, "remote_id")), "batch_dup");
  assert_int_equal(json_integer_value(json_object_get(x, "done")), 1);
  assert_true(json_real_value(json_object_get(x, "cost_usd")) == 0.25);
  assert_false(json_is_true(json_object_get(x, "cancelled")));
  json_decref(d);
  assert_int_equal(store_duplicate_cancelled(f->s, "openai", "batch_dup", &err), BT_OK);
  assert_int_equal(store_duplicates_json(f->s, f->job, &d, &err), BT_OK);
  assert_true(json_is_true(json_object_get(json_array_get(d, 0), "cancelled")));
  json_decref(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_lease_renew, setup, teardown),
      cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
      cmocka_unit_test_setup_teardown(test_chunks_and_ingest, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bulk_apply, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bulk_apply_small_runs, setup, teardown),
      cmocka_unit_test_setup_teardown(test_imported_apply, setup, teardown),
      cmocka_unit_test_setup_teardown(test_imported_apply_store_join, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bulk_apply_store_join, setup, teardown),
      cmocka_unit_test_setup_teardown(test_budget_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_lease, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
