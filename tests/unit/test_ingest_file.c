/* Unit tests: a spooled result file into the store (ingest_file), as the engine takes a
 * download: lines that do not parse are skipped and counted, lines of other tasks or repeated
 * lines change nothing, the rest lands in one transaction, and the same file twice is a
 * no-op. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest_file.h"
#include "job_fixture.h"
#include "store_batch.h"
#include "store_sql.h"
#include "testutil.h"

/* An OpenAI output file and its error file, spooled one after the other. */
static const char spool_text[] =
    "{\"id\":\"batch_req_2\",\"custom_id\":\"row-2\",\"response\":{\"status_code\":200,"
    "\"request_id\":\"req_2\",\"body\":{\"id\":\"chatcmpl-2\",\"object\":\"chat.completion\","
    "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
    "\"content\":\"label 2\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":22,"
    "\"completion_tokens\":2,\"total_tokens\":24}}},\"error\":null}\n"
    "this line is not JSON\n"
    "{\"id\":\"batch_req_9\",\"custom_id\":\"row-9\",\"response\":{\"status_code\":200,"
    "\"body\":{\"choices\":[{\"message\":{\"content\":\"not ours\"}}]}},\"error\":null}\n"
    "{\"id\":\"batch_req_2b\",\"custom_id\":\"row-2\",\"response\":{\"status_code\":200,"
    "\"body\":{\"choices\":[{\"message\":{\"content\":\"second\"}}]}},\"error\":null}\n"
    "\r\n"
    "{\"id\":\"batch_req_1\",\"custom_id\":\"row-1\",\"response\":null,\"error\":{\"code\":"
    "\"server_error\",\"message\":\"The server had an error\"}}";

static int64_t count(fixture *f, const char *sql) {
  int64_t v = -1;
  bt_error err;
  assert_int_equal(store_query_int(f->s, &err, &v, -1, sql, "t", f->job), BT_OK);
  return v;
}

static void ingest_spool(fixture *f, int64_t batch, FILE *spool, int64_t want_applied) {
  bt_ingest *g;
  bt_error err;
  assert_int_equal(ingest_new(f->s, f->job, batch, "openai", "gpt-4o-mini", &g, &err), BT_OK);
  rewind(spool);
  int64_t applied = 0, skipped = -1;
  assert_int_equal(ingest_file(g, PROVIDER_OPENAI, spool, &applied, &skipped, &err), BT_OK);
  ingest_free(g);
  assert_int_equal(applied, want_applied);
  assert_int_equal(skipped, 1);
  assert_true(sqlite3_get_autocommit(store_db(f->s)));
}

/* A job of `rows` tasks in one batch; its id. */
static int64_t one_batch(fixture *f, int rows) {
  make_job(f, rows, rows);
  bt_batch *list;
  size_t n;
  bt_error err;
  assert_int_equal(store_batch_list(f->s, f->job, &list, &n, &err), BT_OK);
  int64_t batch = list[0].id;
  batch_list_free(list, n);
  return batch;
}

static void test_ingest_file(void **state) {
  fixture *f = *state;
  int64_t batch = one_batch(f, 3);
  bt_error err;
  assert_int_equal(store_attempt_tasks_running(f->s, batch, &err), BT_OK);
  FILE *spool = tmpfile();
  assert_non_null(spool);
  assert_int_equal(fwrite(spool_text, 1, sizeof spool_text - 1, spool), sizeof spool_text - 1);
  ingest_spool(f, batch, spool, 2);
  assert_int_equal(count(f, "SELECT count(*) FROM tasks WHERE job_id = ? AND custom_id = 'row-2'"
                            " AND state = 'succeeded' AND output = 'label 2'"),
                   1);
  assert_int_equal(count(f, "SELECT count(*) FROM tasks WHERE job_id = ? AND custom_id = 'row-1'"
                            " AND state = 'failed' AND error_code = 'server_error'"),
                   1);
  assert_int_equal(count(f, "SELECT n FROM job_counts WHERE job_id = ? AND state = 'running'"), 1);
  /* usage priced at batch rates: 22 in + 2 out of gpt-4o-mini */
  assert_int_equal(count(f, "SELECT actual_input_tokens FROM jobs WHERE id = ?"), 22);
  assert_int_equal(count(f, "SELECT count(*) FROM jobs WHERE id = ? AND actual_cost_usd > 0"), 1);
  /* one body per applied line: the unknown and the repeated line took theirs back */
  assert_int_equal(count(f, "SELECT count(*) FROM responses r JOIN attempts a ON"
                            " a.response_id = r.id WHERE a.job_id = ?"),
                   2);
  assert_int_equal(count(f, "SELECT count(*) - (SELECT count(*) FROM attempts WHERE"
                            " response_id IS NOT NULL AND job_id = ?) FROM responses"),
                   0);
  /* the same download again (a crash after the apply, before the batch was marked done) */
  ingest_spool(f, batch, spool, 0);
  assert_int_equal(count(f, "SELECT actual_input_tokens FROM jobs WHERE id = ?"), 22);
  assert_int_equal(count(f, "SELECT count(*) - (SELECT count(*) FROM attempts WHERE"
                            " response_id IS NOT NULL AND job_id = ?) FROM responses"),
                   0);
  fclose(spool);
}

/* An empty spool (a batch whose every file was missing) applies nothing and opens nothing. */
static void test_ingest_empty_file(void **state) {
  fixture *f = *state;
  int64_t batch = one_batch(f, 1);
  bt_error err;
  FILE *spool = tmpfile();
  assert_non_null(spool);
  bt_ingest *g;
  assert_int_equal(ingest_new(f->s, f->job, batch, "openai", "gpt-4o-mini", &g, &err), BT_OK);
  int64_t applied = -1, skipped = -1;
  assert_int_equal(ingest_file(g, PROVIDER_OPENAI, spool, &applied, &skipped, &err), BT_OK);
  ingest_free(g);
  fclose(spool);
  assert_int_equal(applied, -1); /* untouched: nothing applied */
  assert_int_equal(skipped, 0);
  assert_true(sqlite3_get_autocommit(store_db(f->s)));
}

/* Conflicting lines for one custom_id (issue 13): a 500 then a success (row-1), a success then
 * a 500 (row-2). The success is kept either way, its usage counted once, and the failed
 * lines' bodies are taken back. */
static const char conflict_text[] =
    "{\"id\":\"r1a\",\"custom_id\":\"row-1\",\"response\":{\"status_code\":500,\"body\":{"
    "\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\","
    "\"code\":\"server_error\"}}},\"error\":null}\n"
    "{\"id\":\"r1b\",\"custom_id\":\"row-1\",\"response\":{\"status_code\":200,\"body\":{"
    "\"choices\":[{\"message\":{\"content\":\"label 1\"}}],\"usage\":{\"prompt_tokens\":10,"
    "\"completion_tokens\":1}}},\"error\":null}\n"
    "{\"id\":\"r2a\",\"custom_id\":\"row-2\",\"response\":{\"status_code\":200,\"body\":{"
    "\"choices\":[{\"message\":{\"content\":\"label 2\"}}],\"usage\":{\"prompt_tokens\":20,"
    "\"completion_tokens\":2}}},\"error\":null}\n"
    "{\"id\":\"r2b\",\"custom_id\":\"row-2\",\"response\":null,\"error\":{\"code\":"
    "\"server_error\",\"message\":\"The server had an error\"}}\n"
    "{\"id\":\"r2c\",\"custom_id\":\"row-2\",\"response\":{\"status_code\":200,\"body\":{"
    "\"choices\":[{\"message\":{\"content\":\"label 2\"}}],\"usage\":{\"prompt_tokens\":20,"
    "\"completion_tokens\":2}}},\"error\":null}\n";

static void test_ingest_conflicting_lines(void **state) {
  fixture *f = *state;
  int64_t batch = one_batch(f, 2);
  bt_error err;
  assert_int_equal(store_attempt_tasks_running(f->s, batch, &err), BT_OK);
  FILE *spool = tmpfile();
  assert_non_null(spool);
  assert_int_equal(fwrite(conflict_text, 1, sizeof conflict_text - 1, spool),
                   sizeof conflict_text - 1);
  bt_ingest *g;
  assert_int_equal(ingest_new(f->s, f->job, batch, "openai", "gpt-4o-mini", &g, &err), BT_OK);
  rewind(spool);
  int64_t applied = 0, skipped = -1;
  assert_int_equal(ingest_file(g, PROVIDER_OPENAI, spool, &applied, &skipped, &err), BT_OK);
  ingest_free(g);
  fclose(spool);
  assert_int_equal(applied, 2);
  assert_int_equal(skipped, 0);
  assert_int_equal(count(f, "SELECT count(*) FROM tasks WHERE job_id = ? AND custom_id = 'row-1'"
                            " AND state = 'succeeded' AND output = 'label 1'"),
                   1);
  assert_int_equal(count(f, "SELECT count(*) FROM tasks WHERE job_id = ? AND custom_id = 'row-2'"
                            " AND state = 'succeeded' AND output = 'label 2'"),
                   1);
  assert_int_equal(count(f, "SELECT count(*) FROM attempts WHERE job_id = ? AND state ="
                            " 'succeeded' AND error_code IS NULL"),
                   2);
  assert_int_equal(count(f, "SELECT n FROM job_counts WHERE job_id = ? AND state = 'succeeded'"),
                   2);
  assert_int_equal(count(f, "SELECT coalesce(sum(n), 0) FROM job_counts WHERE job_id = ? AND"
                            " state <> 'succeeded'"),
                   0);
  assert_int_equal(count(f, "SELECT actual_input_tokens FROM jobs WHERE id = ?"), 30);
  assert_int_equal(count(f, "SELECT actual_output_tokens FROM jobs WHERE id = ?"), 3);
  assert_int_equal(count(f, "SELECT count(*) - (SELECT count(*) FROM attempts WHERE"
                            " response_id IS NOT NULL AND job_id = ?) FROM responses"),
                   0);
}

/* An OpenAI result line for custom_id: a success with `content`, or a 500 when content is NULL. */
static void spool_line(FILE *f, const char *custom_id, const char *content) {
  if (content)
    fprintf(f,
            "{\"id\":\"r-%s\",\"custom_id\":\"%s\",\"response\":{\"status_code\":200,\"body\":{"
            "\"choices\":[{\"message\":{\"content\":\"%s\"}}],\"usage\":{\"prompt_tokens\":10,"
            "\"completion_tokens\":1}}},\"error\":null}\n",
            custom_id, custom_id, content);
  else
    fprintf(f,
            "{\"id\":\"r-%s\",\"custom_id\":\"%s\",\"response\":null,\"error\":{\"code\":"
            "\"server_error\",\"message\":\"The server had an error\"}}\n",
            custom_id, custom_id);
}

static int64_t ingest_lines_as(fixture *f, int64_t batch, FILE *spool, int other_batch) {
  bt_ingest *g;
  bt_error err;
  assert_int_equal(ingest_new(f->s, f->job, batch, "openai", "gpt-4o-mini", &g, &err), BT_OK);
  ingest_set_other_batch(g, other_batch);
  rewind(spool);
  int64_t applied = 0, skipped = -1;
  assert_int_equal(ingest_file(g, PROVIDER_OPENAI, spool, &applied, &skipped, &err), BT_OK);
  ingest_free(g);
  assert_int_equal(skipped, 0);
  assert_true(sqlite3_get_autocommit(store_db(f->s)));
  return applied;
}

static int64_t ingest_lines(fixture *f, int64_t batch, FILE *spool) {
  return ingest_lines_as(f, batch, spool, 0);
}

/* Issue 13: a batch's file carrying the lines of another chunk of the job (a batch adopted for
 * the wrong chunk, or a duplicate's results). Its paid answers go to those tasks by custom_id:
 * onto their running attempt, or as a new success when their attempt ended without one
 * (missing_result); a task that succeeded already, and a failure for an ended attempt, change
 * nothing. */
static void test_ingest_other_batch_lines(void **state) {
  fixture *f = *state;
  make_job(f, 4, 2); /* chunk 1: row-1, row-2; chunk 2: row-3, row-4 */
  bt_batch *list;
  size_t n;
  bt_error err;
  assert_int_equal(store_batch_list(f->s, f->job, &list, &n, &err), BT_OK);
  assert_int_equal(n, 2);
  int64_t b1 = list[0].id, b2 = list[1].id;
  batch_list_free(list, n);
  assert_int_equal(store_attempt_tasks_running(f->s, b1, &err), BT_OK);
  assert_int_equal(store_attempt_tasks_running(f->s, b2, &err), BT_OK);

  /* batch 1's file: its own row-1, and chunk 2's row-3 and row-4 (still running there) */
  FILE *spool = tmpfile();
  assert_non_null(spool);
  spool_line(spool, "row-1", "label 1");
  spool_line(spool, "row-3", "label 3");
  spool_line(spool, "row-4", NULL); /* a failure: row-4's own batch may still answer it */
  assert_int_equal(ingest_lines(f, b1, spool), 2);
  fclose(spool);
  assert_int_equal(count(f, "SELECT count(*) FROM tasks WHERE job_id = ? AND custom_id = 'row-3'"
                            " AND state = 'succeeded' AND output = 'label 3'"),
                   1);

  /* batch 2 ends with nothing for row-4; batch 1's error file brings row-4's answer late, a
   * failure for row-2 (its own), and a failure for row-3, which succeeded already */
  int64_t ended = 0;
  assert_int_equal(
      store_attempt_finish_rest(f->s, b2, TASK_FAILED, "missing_result", "none", &ended, &err),
      BT_OK);
  assert_int_equal(ended, 1);
  spool = tmpfile();
  assert_non_null(spool);
  spool_line(spool, "row-4", "label 4");
  spool_line(spool, "row-2", NULL);
  spool_line(spool, "row-3", NULL);
  assert_int_equal(ingest_lines(f, b1, spool), 2);
  /* the same file again, and batch 2 downloading row-1's line (a duplicate's): no-ops */
  assert_int_equal(ingest_lines(f, b1, spool), 0);
  fclose(spool);
  spool = tmpfile();
  assert_non_null(spool);
  spool_line(spool, "row-1", "other");
  assert_int_equal(ingest_lines(f, b2, spool), 0);
  fclose(spool);

  assert_int_equal(count(f, "SELECT count(*) FROM tasks WHERE job_id = ? AND state = 'succeeded'"
                            " AND output = 'label ' || substr(custom_id, 5)"),
                   3);
  assert_int_equal(count(f, "SELECT count(*) FROM tasks WHERE job_id = ? AND custom_id = 'row-2'"
                            " AND state = 'failed' AND error_code = 'server_error'"),
                   1);
  assert_int_equal(count(f, "SELECT n FROM job_counts WHERE job_id = ? AND state = 'succeeded'"),
                   3);
  assert_int_equal(count(f, "SELECT n FROM job_counts WHERE job_id = ? AND state = 'failed'"), 1);
  assert_int_equal(count(f, "SELECT coalesce(sum(n), 0) FROM job_counts WHERE job_id = ? AND"
                            " state NOT IN ('succeeded', 'failed')"),
                   0);
  /* each task's last attempt is the one that carries its outcome */
  assert_int_equal(count(f, "SELECT count(*) FROM tasks t JOIN attempts a ON a.id ="
                            " t.last_attempt_id WHERE t.job_id = ? AND a.state = t.state"),
                   4);
  /* three answers paid for and counted once each, 10 + 1 tokens apiece */
  assert_int_equal(count(f, "SELECT actual_input_tokens FROM jobs WHERE id = ?"), 30);
  assert_int_equal(count(f, "SELECT actual_output_tokens FROM jobs WHERE id = ?"), 3);
  assert_int_equal(count(f, "SELECT count(*) - (SELECT count(*) FROM attempts WHERE"
                            " response_id IS NOT NULL AND job_id = ?) FROM responses"),
                   0);

  /* an orphan of chunk 1 found at the provider (ingest_set_other_batch): every line is another
   * batch's, even those of batch 1's own tasks. row-2's failure there gives way to the orphan's
   * paid answer; row-1 keeps the answer it had. */
  spool = tmpfile();
  assert_non_null(spool);
  spool_line(spool, "row-1", "orphan 1");
  spool_line(spool, "row-2", "label 2");
  assert_int_equal(ingest_lines_as(f, b1, spool, 1), 1);
  fclose(spool);
  assert_int_equal(count(f, "SELECT count(*) FROM tasks WHERE job_id = ? AND state = 'succeeded'"
                            " AND output = 'label ' || substr(custom_id, 5)"),
                   4);
  assert_int_equal(count(f, "SELECT n FROM job_counts WHERE job_id = ? AND state = 'succeeded'"),
                   4);
  assert_int_equal(count(f, "SELECT n FROM job_counts WHERE job_id = ? AND state = 'failed'"), 0);
  assert_int_equal(count(f, "SELECT count(*) FROM attempts WHERE job_id = ?"), 4);
  assert_int_equal(count(f, "SELECT actual_input_tokens FROM jobs WHERE id = ?"), 40);
  assert_int_equal(count(f, "SELECT count(*) - (SELECT count(*) FROM attempts WHERE"
                            " response_id IS NOT NULL AND job_id = ?) FROM responses"),
                   0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_ingest_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ingest_empty_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ingest_conflicting_lines, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ingest_other_batch_lines, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
