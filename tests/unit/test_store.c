/* Unit tests: the store: migrations from empty, the counts invariant, WAL with two connections. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store.h"
#include "store_job.h"
#include "store_sql.h"
#include "testutil.h"

typedef struct {
  char *dir;
  char path[4096];
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  f->dir = tu_tmpdir();
  snprintf(f->path, sizeof f->path, "%s/batchtop.db", f->dir);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  tu_rmtree(f->dir);
  free(f->dir);
  free(f);
  return 0;
}

static bt_store *open_ok(const char *path) {
  bt_store *s = NULL;
  bt_error err;
  error_clear(&err);
  if (store_open(path, &s, &err) != BT_OK)
    fail_msg("store_open: %s", err.message);
  return s;
}

static void make_job(bt_store *s, bt_job *job, int tasks) {
  bt_error err;
  error_clear(&err);
  job_init(job);
  job->name = strdup("feedback");
  job->provider = strdup("openai");
  job->model = strdup("gpt-4o-mini");
  job->endpoint = strdup("/v1/chat/completions");
  assert_int_equal(store_begin(s, &err), BT_OK);
  assert_int_equal(store_job_insert(s, job, &err), BT_OK);
  bt_task_inserter *ins;
  assert_int_equal(store_task_inserter_new(s, job->id, &ins, &err), BT_OK);
  for (int i = 1; i <= tasks; i++) {
    char cid[32];
    snprintf(cid, sizeof cid, "row-%d", i);
    bt_task_new t = {i, i + 1, cid, "{\"feedback\":\"x\"}", "{\"custom_id\":\"x\"}", 10, 0};
    assert_int_equal(store_task_insert(ins, &t, &err), BT_OK);
  }
  store_task_inserter_free(ins);
  assert_int_equal(store_commit(s, &err), BT_OK);
}

static void test_migrations_from_empty(void **state) {
  fixture *f = *state;
  bt_store *s = open_ok(f->path);
  assert_int_equal(store_schema_version(s), store_schema_latest());
  assert_true(store_schema_latest() >= 1);
  /* Every documented table exists. */
  const char *tables[] = {"jobs", "job_counts", "tasks", "batches", "attempts", "events",
                          "leases"};
  for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
    sqlite3_stmt *st;
    bt_error err;
    assert_int_equal(store_prepare(s, "SELECT count(*) FROM sqlite_master WHERE name = ?", &st,
                                   &err),
                     BT_OK);
    sqlite3_bind_text(st, 1, tables[i], -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    if (sqlite3_column_int(st, 0) != 1)
      fail_msg("table %s missing", tables[i]);
    sqlite3_finalize(st);
  }
  store_close(s);
  /* Reopening an up-to-date store is a no-op; the file is private. */
  s = open_ok(f->path);
  assert_int_equal(store_schema_version(s), store_schema_latest());
  store_close(s);
  struct stat st;
  assert_int_equal(stat(f->path, &st), 0);
  assert_int_equal(st.st_mode & 077, 0);
}

/* Migrations are numbered 1..n in order. A store records only the highest version it has, so a
 * number slotted in below one already released would never run on that store (two branches
 * that each took a number must be renumbered in merge order). */
static void test_migrations_numbered_in_order(void **state) {
  (void)state;
  int n;
  const bt_migration *m = store_schema_migrations(&n);
  for (int i = 0; i < n; i++)
    assert_int_equal(m[i].version, i + 1);
}

/* A store written by the version before migration 6 (bodies inline in attempts) opens with
 * each body moved to responses and its attempt pointing at it, and (migration 10) each task's
 * input and request moved to task_inputs. */
static void test_migration_6_moves_responses(void **state) {
  fixture *f = *state;
  sqlite3 *db;
  assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
  int n;
  const bt_migration *m = store_schema_migrations(&n);
  for (int i = 0; i < n && m[i].version <= 5; i++)
    assert_int_equal(sqlite3_exec(db, m[i].sql, NULL, NULL, NULL), SQLITE_OK);
  assert_int_equal(
      sqlite3_exec(db,
                   "PRAGMA user_version = 5;"
                   "INSERT INTO jobs(id, name, provider, model, endpoint, state, created_at,"
                   " updated_at) VALUES ('j1', 'old', 'openai', 'gpt-4o-mini', '/v1/chat',"
                   " 'completed', 1, 1);"
                   "INSERT INTO tasks(id, job_id, row_no, line_no, custom_id, state, input,"
                   " request, request_bytes, updated_at) VALUES (1, 'j1', 1, 2, 'r1',"
                   " 'succeeded', '{\"a\":1}', '{\"r\":1}', 7, 1), (2, 'j1', 2, 3, 'r2',"
                   " 'running', '{\"a\":2}', '{\"r\":2}', 7, 1);"
                   "INSERT INTO batches(id, job_id, chunk_no, provider, tag, state, n_requests,"
                   " created_at, updated_at) VALUES (1, 'j1', 1, 'openai', 't1', 'remote', 2,"
                   " 1, 1);"
                   "INSERT INTO attempts(id, task_id, batch_id, job_id, attempt_no, state,"
                   " response, cost_usd, created_at, finished_at) VALUES (7, 1, 1, 'j1', 1,"
                   " 'succeeded', '{\"body\":1}', 0.25, 1, 1234), (8, 2, 1, 'j1', 1,"
                   " 'running', NULL, 0, 1, NULL);",
                   NULL, NULL, NULL),
      SQLITE_OK);
  sqlite3_close(db);
  bt_store *s = open_ok(f->path);
  assert_int_equal(store_schema_version(s), store_schema_latest());
  sqlite3_stmt *st;
  bt_error err;
  assert_int_equal(store_prepare(s,
                                 "SELECT a.id, r.body FROM attempts a LEFT JOIN responses r"
                                 " ON r.id = a.response_id ORDER BY a.id",
                                 &st, &err),
                   BT_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_int_equal(sqlite3_column_int64(st, 0), 7);
  assert_string_equal((const char *)sqlite3_column_text(st, 1), "{\"body\":1}");
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_int_equal(sqlite3_column_type(st, 1), SQLITE_NULL);
  assert_int_equal(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
  assert_int_equal(store_prepare(s,
                                 "SELECT t.custom_id, i.input, i.request FROM tasks t JOIN"
                                 " task_inputs i ON i.task_id = t.id ORDER BY t.id",
                                 &st, &err),
                   BT_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_string_equal((const char *)sqlite3_column_text(st, 0), "r1");
  assert_string_equal((const char *)sqlite3_column_text(st, 1), "{\"a\":1}");
  assert_string_equal((const char *)sqlite3_column_text(st, 2), "{\"r\":1}");
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_string_equal((const char *)sqlite3_column_text(st, 2), "{\"r\":2}");
  assert_int_equal(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
  /* migration 11: the finished attempt is in finish_log, at its own time and cost */
  int64_t v = 0;
  assert_int_equal(store_query_int(s, &err, &v, 0,
                                   "SELECT count(*) FROM finish_log WHERE job_id = 'j1' AND"
                                   " at = 1234 AND n = 1 AND cost_usd = 0.25",
                                   ""),
                   BT_OK);
  assert_int_equal(v, 1);
  /* the columns left tasks, so a state change no longer rewrites them */
  assert_int_equal(store_prepare(s, "SELECT input FROM tasks", &st, &err), BT_ERR_STORE);
  store_close(s);
}

static void test_newer_schema_refused(void **state) {
  fixture *f = *state;
  bt_store *s = open_ok(f->path);
  bt_error err;
  assert_int_equal(store_exec(s, "PRAGMA user_version = 9999", &err), BT_OK);
  store_close(s);
  s = NULL;
  error_clear(&err);
  assert_int_equal(store_open(f->path, &s, &err), BT_ERR_STORE);
  assert_null(s);
  assert_non_null(strstr(err.message, "newer batchtop"));
}

static void assert_counts_add_up(bt_store *s, const char *job_id) {
  bt_counts fast, scan;
  bt_error err;
  assert_int_equal(store_job_counts(s, job_id, &fast, &err), BT_OK);
  assert_int_equal(store_job_counts_scan(s, job_id, &scan, &err), BT_OK);
  int64_t sum = 0;
  for (int k = 0; k < TASK_STATE_COUNT; k++) {
    assert_int_equal(fast.n[k], scan.n[k]);
    sum += fast.n[k];
  }
  assert_int_equal(sum, fast.total);
  assert_int_equal(fast.total, scan.total);
}

static void test_counts_invariant(void **state) {
  fixture *f = *state;
  bt_store *s = open_ok(f->path);
  bt_job job;
  make_job(s, &job, 50);
  bt_counts c;
  bt_error err;
  assert_int_equal(store_job_counts(s, job.id, &c, &err), BT_OK);
  assert_int_equal(c.total, 50);
  assert_int_equal(c.n[TASK_PENDING], 50);
  /* Move tasks around, pseudo-randomly, through every state; the counts must always agree
   * with a full scan. */
  unsigned x = 12345;
  for (int step = 0; step < 400; step++) {
    x = x * 1103515245u + 12345u;
    int64_t task = 1 + (x >> 8) % 50;
    bt_task_state to = (bt_task_state)((x >> 16) % TASK_STATE_COUNT);
    assert_int_equal(store_task_set_state(s, task, to, &err), BT_OK);
    if (step % 40 == 0)
      assert_counts_add_up(s, job.id);
  }
  assert_counts_add_up(s, job.id);
  /* A rolled-back change leaves the counts as they were. */
  bt_counts before;
  assert_int_equal(store_job_counts(s, job.id, &before, &err), BT_OK);
  assert_int_equal(store_begin(s, &err), BT_OK);
  assert_int_equal(store_exec(s, "UPDATE tasks SET state = 'failed'", &err), BT_OK);
  store_rollback(s);
  assert_int_equal(store_job_counts(s, job.id, &c, &err), BT_OK);
  assert_memory_equal(&c, &before, sizeof c);
  /* A state outside the list is refused by the schema. */
  assert_int_equal(store_exec(s, "UPDATE tasks SET state = 'done' WHERE id = 1", &err),
                   BT_ERR_STORE);
  assert_counts_add_up(s, job.id);
  assert_int_equal(store_task_set_state(s, 999, TASK_FAILED, &err), BT_ERR_NOT_FOUND);
  job_cleanup(&job);
  store_close(s);
}

static void test_duplicate_custom_id(void **state) {
  fixture *f = *state;
  bt_store *s = open_ok(f->path);
  bt_job job;
  make_job(s, &job, 3);
  bt_error err;
  error_clear(&err);
  bt_task_inserter *ins;
  assert_int_equal(store_begin(s, &err), BT_OK);
  assert_int_equal(store_task_inserter_new(s, job.id, &ins, &err), BT_OK);
  bt_task_new t = {4, 5, "row-2", "{}", "{}", 0, 0};
  assert_int_equal(store_task_insert(ins, &t, &err), BT_ERR_EXISTS);
  assert_non_null(strstr(err.message, "row-2"));
  store_task_inserter_free(ins);
  store_rollback(s);
  job_cleanup(&job);
  store_close(s);
}

static void test_job_get_resolve_list(void **state) {
  fixture *f = *state;
  bt_store *s = open_ok(f->path);
  bt_job a, b;
  make_job(s, &a, 1);
  make_job(s, &b, 2);
  bt_error err;
  bt_job got;
  assert_int_equal(store_job_get(s, a.id, &got, &err), BT_OK);
  assert_string_equal(got.name, "feedback");
  assert_string_equal(got.state, "draft");
  assert_string_equal(got.model, "gpt-4o-mini");
  assert_true(got.max_cost_usd < 0);
  job_cleanup(&got);
  char id[BT_JOB_ID_LEN + 1];
  assert_int_equal(store_job_resolve(s, a.id, id, &err), BT_OK);
  assert_string_equal(id, a.id);
  char prefix[5];
  memcpy(prefix, b.id, 4);
  prefix[4] = '\0';
  if (strncmp(a.id, b.id, 4) != 0) {
    assert_int_equal(store_job_resolve(s, prefix, id, &err), BT_OK);
    assert_string_equal(id, b.id);
  }
  assert_int_equal(store_job_resolve(s, "zz", id, &err), BT_ERR_NOT_FOUND);
  assert_int_equal(store_job_get(s, "nope", &got, &err), BT_ERR_NOT_FOUND);
  job_cleanup(&got);
  char(*ids)[BT_JOB_ID_LEN + 1];
  size_t n;
  assert_int_equal(store_job_list_ids(s, &ids, &n, &err), BT_OK);
  assert_int_equal(n, 2);
  free(ids);
  assert_int_equal(store_job_set_state(s, a.id, "completed", &err), BT_OK);
  assert_int_equal(store_job_get(s, a.id, &got, &err), BT_OK);
  assert_true(got.finished_at > 0);
  job_cleanup(&got);
  assert_int_equal(store_job_set_state(s, a.id, "bogus", &err), BT_ERR_STORE);
  job_cleanup(&a);
  job_cleanup(&b);
  store_close(s);
}

static void test_wal_two_connections(void **state) {
  fixture *f = *state;
  bt_store *writer = open_ok(f->path);
  bt_store *reader = open_ok(f->path);
  bt_error err;
  sqlite3_stmt *st;
  assert_int_equal(store_prepare(writer, "PRAGMA journal_mode", &st, &err), BT_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
  sqlite3_finalize(st);
  bt_job job;
  make_job(writer, &job, 10);
  /* The reader holds a read transaction open while the writer commits: in WAL mode neither
   * blocks, and the reader keeps its snapshot until it ends the transaction. */
  assert_int_equal(store_exec(reader, "BEGIN", &err), BT_OK);
  bt_counts c;
  assert_int_equal(store_job_counts(reader, job.id, &c, &err), BT_OK);
  assert_int_equal(c.n[TASK_PENDING], 10);
  assert_int_equal(store_begin(writer, &err), BT_OK);
  assert_int_equal(store_exec(writer, "UPDATE tasks SET state = 'succeeded' WHERE row_no <= 4",
                              &err),
                   BT_OK);
  assert_int_equal(store_commit(writer, &err), BT_OK);
  assert_int_equal(store_job_counts(reader, job.id, &c, &err), BT_OK);
  assert_int_equal(c.n[TASK_PENDING], 10);
  assert_int_equal(store_exec(reader, "COMMIT", &err), BT_OK);
  assert_int_equal(store_job_counts(reader, job.id, &c, &err), BT_OK);
  assert_int_equal(c.n[TASK_PENDING], 6);
  assert_int_equal(c.n[TASK_SUCCEEDED], 4);
  /* Events are journaled and visible to the other connection. */
  assert_int_equal(store_event(writer, job.id, 0, "info", "test", "hello", &err), BT_OK);
  assert_int_equal(store_prepare(reader, "SELECT message FROM events WHERE job_id = ?", &st,
                                 &err),
                   BT_OK);
  sqlite3_bind_text(st, 1, job.id, -1, SQLITE_STATIC);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_string_equal((const char *)sqlite3_column_text(st, 0), "hello");
  sqlite3_finalize(st);
  job_cleanup(&job);
  store_close(reader);
  store_close(writer);
}

static void test_actual_cost_follows_attempts(void **state) {
  fixture *f = *state;
  bt_store *s = open_ok(f->path);
  bt_job job;
  make_job(s, &job, 2);
  bt_error err;
  char sql[1024];
  snprintf(sql, sizeof sql,
           "INSERT INTO batches(job_id, chunk_no, provider, tag, state, n_requests, created_at,"
           " updated_at) VALUES ('%s', 1, 'openai', 'bt-%s-1-1', 'intent', 2, 0, 0);"
           "INSERT INTO attempts(task_id, batch_id, job_id, attempt_no, state, created_at)"
           " VALUES (1, 1, '%s', 1, 'running', 0), (2, 1, '%s', 1, 'running', 0);"
           "UPDATE attempts SET state = 'succeeded', cost_usd = 0.25, input_tokens = 100,"
           " output_tokens = 7;",
           job.id, job.id, job.id, job.id);
  assert_int_equal(store_exec(s, sql, &err), BT_OK);
  bt_job got;
  assert_int_equal(store_job_get(s, job.id, &got, &err), BT_OK);
  assert_true(got.actual_cost_usd > 0.4999 && got.actual_cost_usd < 0.5001);
  assert_int_equal(got.actual_input_tokens, 200);
  assert_int_equal(got.actual_output_tokens, 14);
  job_cleanup(&got);
  job_cleanup(&job);
  store_close(s);
}

/* What the plan of sql says, each detail line after the other. */
static void query_plan(bt_store *s, const char *sql, char *out, size_t n) {
  char q[1024];
  snprintf(q, sizeof q, "EXPLAIN QUERY PLAN %s", sql);
  sqlite3_stmt *st;
  bt_error err;
  assert_int_equal(store_prepare(s, q, &st, &err), BT_OK);
  out[0] = '\0';
  while (sqlite3_step(st) == SQLITE_ROW) {
    size_t len = strlen(out);
    snprintf(out + len, n - len, "%s\n", (const char *)sqlite3_column_text(st, 3));
  }
  sqlite3_finalize(st);
}

/* STORE_PROBLEM_STATES is the term that lets a query use the partial index of failed, expired
 * and cancelled tasks; if it drifts from the index's WHERE, the retry, errors and failed-filter
 * queries walk every row of the job instead. */
static void test_problem_states_use_their_index(void **state) {
  fixture *f = *state;
  bt_store *s = open_ok(f->path);
  char plan[1024];
  query_plan(s,
             "SELECT t.id FROM tasks t WHERE t.job_id = ?1 AND t.state = ?2 AND "
             STORE_PROBLEM_STATES("t.state") " ORDER BY t.row_no",
             plan, sizeof plan);
  assert_non_null(strstr(plan, "tasks_job_problem"));
  assert_null(strstr(plan, "TEMP B-TREE"));
  query_plan(s,
             "SELECT coalesce(error_code, state), count(*) FROM tasks WHERE job_id = ?1 AND "
             STORE_PROBLEM_STATES("state") " GROUP BY 1",
             plan, sizeof plan);
  assert_non_null(strstr(plan, "tasks_job_problem"));
  /* succeeded, running and pending tasks are not in it: a result moves no index entry */
  bt_job job;
  make_job(s, &job, 3);
  bt_error err;
  assert_int_equal(store_exec(s, "UPDATE tasks SET state = 'failed' WHERE row_no = 2", &err),
                   BT_OK);
  int64_t n = -1;
  assert_int_equal(store_query_int(s, &err, &n, -1,
                                   "SELECT count(*) FROM tasks INDEXED BY tasks_job_problem"
                                   " WHERE job_id = ?1 AND " STORE_PROBLEM_STATES("state"),
                                   "t", job.id),
                   BT_OK);
  assert_int_equal(n, 1);
  job_cleanup(&job);
  store_close(s);
}

static int64_t temp_triggers(bt_store *s) {
  bt_error err;
  int64_t n = -1;
  assert_int_equal(store_query_int(s, &err, &n, -1,
                                   "SELECT count(*) FROM temp.sqlite_master WHERE type ="
                                   " 'trigger'",
                                   ""),
                   BT_OK);
  return n;
}

/* Bulk mode sets this connection's count triggers aside, and only inside its transaction: a
 * rollback or store_bulk_end brings them back, and another connection never loses its own. */
static void test_bulk_mode_is_per_connection(void **state) {
  fixture *f = *state;
  bt_store *s = open_ok(f->path), *other = open_ok(f->path);
  bt_job job;
  make_job(s, &job, 3);
  bt_error err;
  bt_counts c;
  assert_int_equal(store_bulk_begin(s, &err), BT_ERR_INTERNAL); /* not in a transaction */
  assert_int_equal(store_begin(s, &err), BT_OK);
  assert_int_equal(store_bulk_begin(s, &err), BT_OK);
  assert_int_equal(temp_triggers(s), 0);
  assert_int_equal(temp_triggers(other), 4);
  assert_int_equal(store_exec(s, "UPDATE tasks SET state = 'running' WHERE row_no = 1", &err),
                   BT_OK);
  store_rollback(s);
  assert_int_equal(temp_triggers(s), 4);
  /* the same change counted, now that the triggers are back */
  assert_int_equal(store_exec(s, "UPDATE tasks SET state = 'running' WHERE row_no = 1", &err),
                   BT_OK);
  assert_int_equal(store_job_counts(s, job.id, &c, &err), BT_OK);
  assert_int_equal(c.n[TASK_RUNNING], 1);
  assert_int_equal(c.n[TASK_PENDING], 2);
  /* a bulk write that corrects the counts itself, then store_bulk_end */
  assert_int_equal(store_begin(s, &err), BT_OK);
  assert_int_equal(store_bulk_begin(s, &err), BT_OK);
  assert_int_equal(store_exec(s, "UPDATE tasks SET state = 'running' WHERE row_no = 2", &err),
                   BT_OK);
  assert_int_equal(store_job_counts(s, job.id, &c, &err), BT_OK);
  assert_int_equal(c.n[TASK_RUNNING], 1); /* not counted by a trigger */
  assert_int_equal(store_job_counts_add(s, job.id, TASK_PENDING, -1, &err), BT_OK);
  assert_int_equal(store_job_counts_add(s, job.id, TASK_RUNNING, 1, &err), BT_OK);
  assert_int_equal(store_bulk_end(s, &err), BT_OK);
  assert_int_equal(store_commit(s, &err), BT_OK);
  assert_int_equal(temp_triggers(s), 4);
  /* the other connection's writes are counted all along */
  assert_int_equal(
      store_exec(other, "UPDATE tasks SET state = 'running' WHERE row_no = 3", &err), BT_OK);
  bt_counts scan;
  assert_int_equal(store_job_counts(s, job.id, &c, &err), BT_OK);
  assert_int_equal(store_job_counts_scan(s, job.id, &scan, &err), BT_OK);
  assert_int_equal(c.n[TASK_RUNNING], 3);
  assert_int_equal(scan.n[TASK_RUNNING], 3);
  job_cleanup(&job);
  store_close(other);
  store_close(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_bulk_mode_is_per_connection, setup, teardown),
      cmocka_unit_test_setup_teardown(test_problem_states_use_their_index, setup, teardown),
      cmocka_unit_test(test_migrations_numbered_in_order),
      cmocka_unit_test_setup_teardown(test_migrations_from_empty, setup, teardown),
      cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_migration_6_moves_responses, setup, teardown),
      cmocka_unit_test_setup_teardown(test_counts_invariant, setup, teardown),
      cmocka_unit_test_setup_teardown(test_duplicate_custom_id, setup, teardown),
      cmocka_unit_test_setup_teardown(test_job_get_resolve_list, setup, teardown),
      cmocka_unit_test_setup_teardown(test_wal_two_connections, setup, teardown),
      cmocka_unit_test_setup_teardown(test_actual_cost_follows_attempts, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
