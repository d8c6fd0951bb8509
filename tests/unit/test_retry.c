/* Unit tests: a chunk refused for the enqueued-token limit is held in a new batch of the next
 * round (retry_requeue_batch): the refused attempts stay in the history, the tasks wait
 * pending, the job is not ended, status says it waits; giving up leaves failed tasks (exit 2).
 * The limit read from the refusal (retry_token_limit_parse), kept per model, and a chunk cut to
 * fit it (retry_split_batch). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "job_report.h"
#include "retry.h"
#include "store_attempt.h"
#include "store_batch.h"
#include "store_sql.h"
#include "job_fixture.h"
#include "testutil.h"
#include "util.h"

static int64_t q(fixture *f, const char *sql, int64_t id) {
  bt_error err;
  int64_t v = -1;
  assert_int_equal(store_query_int(f->s, &err, &v, -1, sql, "i", id), BT_OK);
  return v;
}

static bt_batch batch(fixture *f, int64_t id) {
  bt_batch b;
  bt_error err;
  assert_int_equal(store_batch_get(f->s, id, &b, &err), BT_OK);
  return b;
}

static void test_requeue_holds_tasks(void **state) {
  fixture *f = *state;
  make_job(f, 5, 2);
  bt_batch *list;
  size_t n;
  bt_error err;
  assert_int_equal(store_batch_list(f->s, f->job, &list, &n, &err), BT_OK);
  assert_int_equal(n, 3);
  int64_t b2 = list[1].id;
  batch_list_free(list, n);
  /* chunk 2 reached the provider, which refused it */
  assert_int_equal(store_attempt_tasks_running(f->s, b2, &err), BT_OK);
  int64_t until = util_now_ms() + 60000, held = 0, nt = 0;
  assert_int_equal(retry_requeue_batch(f->s, b2, "token_limit_exceeded", "limit reached", until, 1,
                                       0, &held, &nt, &err),
                   BT_OK);
  assert_int_equal(nt, 2);
  assert_true(held > b2);

  /* the refused batch is done, its attempts failed with the code, kept */
  bt_batch old = batch(f, b2);
  assert_string_equal(old.state, "done");
  assert_int_equal(old.n_failed, 2);
  batch_cleanup(&old);
  assert_int_equal(q(f,
                     "SELECT count(*) FROM attempts WHERE batch_id = ? AND state = 'failed' AND"
                     " error_code = 'token_limit_exceeded' AND error_message = 'limit reached'",
                     b2),
                   2);
  /* the same chunk, next round, waiting */
  bt_batch nb = batch(f, held);
  assert_string_equal(nb.state, "intent");
  assert_int_equal(nb.chunk_no, 2);
  assert_int_equal(nb.round, 2);
  assert_int_equal(nb.n_requests, 2);
  batch_cleanup(&nb);
  assert_int_equal(q(f, "SELECT next_poll_at FROM batches WHERE id = ?", held), until);
  assert_int_equal(q(f, "SELECT token_waits FROM batches WHERE id = ?", held), 1);
  assert_int_equal(q(f,
                     "SELECT count(*) FROM tasks t JOIN attempts a ON a.id = t.last_attempt_id"
                     " WHERE a.batch_id = ? AND a.state = 'running' AND t.state = 'pending' AND"
                     " t.attempts = 2 AND t.error_code IS NULL",
                     held),
                   2);
  bt_counts c;
  assert_int_equal(store_job_counts(f->s, f->job, &c, &err), BT_OK);
  assert_int_equal(c.n[TASK_PENDING], 5);
  assert_int_equal(c.n[TASK_FAILED], 0);

  /* status: waiting, not ended */
  char text[160];
  assert_int_equal(job_report_waiting(f->s, f->job, until - 40000, text, sizeof text), 1);
  assert_string_equal(text, "enqueued-token limit (OpenAI), 1 chunk held, next try in 40 s");
  assert_int_equal(job_report_waiting(f->s, f->job, until + 1, text, sizeof text), 1);
  assert_string_equal(text, "enqueued-token limit (OpenAI), 1 chunk held, next try now");
  /* once a refusal stated the limit, status says it; the latest statement counts */
  assert_int_equal(retry_token_limit_learn(f->s, "openai", "gpt-4o-mini", 90000, &err), BT_OK);
  assert_int_equal(retry_token_limit_learn(f->s, "openai", "gpt-4o-mini", 2000000, &err), BT_OK);
  assert_int_equal(retry_token_limit_get(f->s, "openai", "gpt-4o-mini"), 2000000);
  assert_int_equal(retry_token_limit_get(f->s, "openai", "gpt-4o"), 0);
  /* a limit not stated again for a day is forgotten: the tier may have gone up */
  assert_int_equal(store_run(f->s, &err, "test", NULL,
                             "UPDATE token_limits SET learned_at = ? WHERE model = 'gpt-4o-mini'",
                             "i", util_now_ms() - RETRY_TOKEN_LIMIT_TTL_MS - 1000),
                   BT_OK);
  assert_int_equal(retry_token_limit_get(f->s, "openai", "gpt-4o-mini"), 0);
  assert_int_equal(job_report_waiting(f->s, f->job, until - 40000, text, sizeof text), 1);
  assert_string_equal(text, "enqueued-token limit (OpenAI), 1 chunk held, next try in 40 s");
  assert_int_equal(retry_token_limit_learn(f->s, "openai", "gpt-4o-mini", 2000000, &err), BT_OK);
  assert_int_equal(job_report_waiting(f->s, f->job, until - 40000, text, sizeof text), 1);
  assert_string_equal(
      text, "enqueued-token limit (OpenAI) of 2.0M tokens, 1 chunk held, next try in 40 s");
  json_t *o;
  assert_int_equal(job_report_json(f->s, f->job, 1, &o, &err), BT_OK);
  assert_non_null(json_string_value(json_object_get(o, "waiting")));
  json_decref(o);
  int ended = 1;
  assert_int_equal(store_job_settle(f->s, f->job, 0, &ended, &err), BT_OK);
  assert_false(ended);

  /* refused again: round 3, the same chunk, a tag of its own */
  assert_int_equal(store_attempt_tasks_running(f->s, held, &err), BT_OK);
  int64_t again = 0;
  assert_int_equal(retry_requeue_batch(f->s, held, "token_limit_exceeded", "limit", until, 2, 1,
                                       &again, &nt, &err),
                   BT_OK);
  nb = batch(f, again);
  assert_int_equal(nb.round, 3);
  assert_int_equal(nb.chunk_no, 2);
  char tag[64];
  snprintf(tag, sizeof tag, "bt-%s-2-3", f->job);
  assert_string_equal(nb.tag, tag);
  batch_cleanup(&nb);
  assert_int_equal(q(f, "SELECT token_lone FROM batches WHERE id = ?", again), 1);
  assert_int_equal(q(f,
                     "SELECT count(*) FROM attempts WHERE task_id = (SELECT task_id FROM"
                     " attempts WHERE batch_id = ? LIMIT 1)",
                     again),
                   3);
}

/* Nothing left to send (every task of the batch already ended): no new chunk. */
static void test_requeue_nothing_left(void **state) {
  fixture *f = *state;
  make_job(f, 2, 2);
  bt_batch *list;
  size_t n;
  bt_error err;
  assert_int_equal(store_batch_list(f->s, f->job, &list, &n, &err), BT_OK);
  int64_t b1 = list[0].id;
  batch_list_free(list, n);
  int64_t ended = 0;
  assert_int_equal(
      store_attempt_finish_rest(f->s, b1, TASK_CANCELLED, "cancelled", "cancelled", &ended, &err),
      BT_OK);
  int64_t held = -1, nt = -1;
  assert_int_equal(
      retry_requeue_batch(f->s, b1, "token_limit_exceeded", "limit", 0, 1, 0, &held, &nt, &err),
      BT_OK);
  assert_int_equal(held, 0);
  assert_int_equal(nt, 0);
  assert_int_equal(q(f, "SELECT count(*) FROM batches WHERE id <> ?", b1), 0);
  char text[160];
  assert_int_equal(job_report_waiting(f->s, f->job, util_now_ms(), text, sizeof text), 0);
  assert_string_equal(text, "");
}

/* Giving up on the limit is the job's recorded error, but its exit code is that of failed
 * tasks (cli.md 2); any other recorded error stays 3. */
static void test_gave_up_exit_code(void **state) {
  fixture *f = *state;
  make_job(f, 2, 2);
  bt_batch *list;
  size_t n;
  bt_error err;
  assert_int_equal(store_batch_list(f->s, f->job, &list, &n, &err), BT_OK);
  int64_t b1 = list[0].id;
  batch_list_free(list, n);
  int64_t ended_n = 0;
  assert_int_equal(store_attempt_finish_rest(f->s, b1, TASK_FAILED, "token_limit_exceeded", "limit",
                                             &ended_n, &err),
                   BT_OK);
  /* refused at the provider: it has a remote id */
  assert_int_equal(
      store_run(f->s, &err, "test", NULL,
                "UPDATE batches SET state = 'done', remote_id = 'batch_1' WHERE id = ?", "i", b1),
      BT_OK);
  assert_int_equal(
      store_job_set_error(f->s, f->job, RETRY_TOKEN_LIMIT_GAVE_UP " of gpt-4o-mini: ...", &err),
      BT_OK);
  int ended = 0;
  assert_int_equal(store_job_settle(f->s, f->job, 0, &ended, &err), BT_OK);
  assert_true(ended);
  assert_int_equal(job_report_exit_code(f->s, f->job), 2);
  assert_int_equal(store_job_set_error(f->s, f->job, "openai create failed: 401", &err), BT_OK);
  assert_int_equal(job_report_exit_code(f->s, f->job), 3);
}

/* The limit as OpenAI states it, and forms a reworded message may take. */
static void test_token_limit_parse(void **state) {
  (void)state;
  assert_int_equal(retry_token_limit_parse(
                       "Enqueued token limit reached for gpt-4o-mini in organization org-x. Limit: "
                       "2,000,000 enqueued tokens. Please try again once some in_progress batches "
                       "have been completed."),
                   2000000);
  /* the sim's form: no separators */
  assert_int_equal(retry_token_limit_parse("Enqueued token limit reached for gpt-4o-mini in "
                                           "organization org-x. Limit: 90000 enqueued tokens."),
                   90000);
  assert_int_equal(retry_token_limit_parse("Limit: 2,000,000."), 2000000);
  assert_int_equal(retry_token_limit_parse("limit of 1 350 000 tokens"), 1350000);
  assert_int_equal(retry_token_limit_parse("LIMIT=5_000_000"), 5000000);
  assert_int_equal(retry_token_limit_parse("Limit: 2.5M enqueued tokens"), 2500000);
  assert_int_equal(retry_token_limit_parse("Limit: 40k tokens"), 40000);
  assert_int_equal(retry_token_limit_parse("Limit: 2000 billable tokens"), 2000);
  /* a separator not followed by a digit group ends the number */
  assert_int_equal(retry_token_limit_parse("Limit: 12,34 tokens"), 12);
  /* no limit stated */
  assert_int_equal(retry_token_limit_parse("Enqueued token limit reached for gpt-4o-mini in "
                                           "organization org-x. Please try again later."),
                   0);
  assert_int_equal(retry_token_limit_parse("Limit: unknown"), 0);
  assert_int_equal(retry_token_limit_parse("Limit: 0 tokens"), 0);
  assert_int_equal(retry_token_limit_parse("Limit: 99999999999999999999 tokens"), 0);
  assert_int_equal(retry_token_limit_parse(""), 0);
  assert_int_equal(retry_token_limit_parse(NULL), 0);
}

/* Row numbers of the running attempts of a batch, in the order they are spooled. */
static void rows_of(fixture *f, int64_t batch_id, char *buf, size_t size) {
  bt_error err;
  sqlite3_stmt *st;
  assert_int_equal(store_prepare(f->s,
                                 "SELECT group_concat(row_no) FROM (SELECT t.row_no FROM attempts"
                                 " a JOIN tasks t ON t.id = a.task_id WHERE a.batch_id = ? AND"
                                 " a.state = 'running' ORDER BY t.row_no)",
                                 &st, &err),
                   BT_OK);
  sqlite3_bind_int64(st, 1, batch_id);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  const char *t = (const char *)sqlite3_column_text(st, 0);
  snprintf(buf, size, "%s", t ? t : "");
  sqlite3_finalize(st);
}

/* A held chunk over the limit: cut in row order into parts within max_tokens, each a batch of
 * its own with a fresh tag and the hold; a task over the limit itself fails on its own. */
static void test_split_batch(void **state) {
  fixture *f = *state;
  make_job(f, 7, 7); /* one chunk, 100 tokens a task */
  bt_error err;
  int64_t b1 = q(f, "SELECT min(id) FROM batches WHERE ? > 0", 1);
  assert_int_equal(store_run(f->s, &err, "test", NULL,
                             "UPDATE tasks SET est_input_tokens = 1000 WHERE row_no = 4", ""),
                   BT_OK);
  int64_t until = util_now_ms() + 60000;
  assert_int_equal(store_run(f->s, &err, "test", NULL,
                             "UPDATE batches SET next_poll_at = ?, token_waits = 2, token_lone = 3"
                             " WHERE id = ?",
                             "ii", until, b1),
                   BT_OK);
  int64_t parts = 0, over = 0;
  assert_int_equal(
      retry_split_batch(f->s, b1, 250, 500, "token_limit_exceeded", &parts, &over, &err), BT_OK);
  assert_int_equal(parts, 3);
  assert_int_equal(over, 1);

  /* parts: 1,2 | 3,5 | 6,7 (row 4 is out); the first keeps the batch */
  char rows[64];
  rows_of(f, b1, rows, sizeof rows);
  assert_string_equal(rows, "1,2");
  bt_batch *list;
  size_t n;
  assert_int_equal(store_batch_list(f->s, f->job, &list, &n, &err), BT_OK);
  assert_int_equal(n, 4);
  const char *want[] = {"1,2", "3,5", "6,7"};
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    bt_batch *b = &list[i];
    assert_int_equal(b->round, 1);
    for (size_t j = 0; j < i; j++)
      assert_string_not_equal(b->tag, list[j].tag);
    if (!strcmp(b->state, "done")) {
      /* the too-large task, ended in a batch of its own that was never sent */
      assert_int_equal(b->n_requests, 1);
      assert_int_equal(b->n_failed, 1);
      assert_null(b->remote_id);
      continue;
    }
    assert_string_equal(b->state, "intent");
    rows_of(f, b->id, rows, sizeof rows);
    assert_true(k < 3);
    assert_string_equal(rows, want[k++]);
    assert_int_equal(b->n_requests, 2);
    assert_true(b->id == b1 || b->chunk_no > 1);
    assert_int_equal(q(f, "SELECT next_poll_at FROM batches WHERE id = ?", b->id), until);
    assert_int_equal(q(f, "SELECT token_waits FROM batches WHERE id = ?", b->id), 2);
    assert_int_equal(q(f, "SELECT token_lone FROM batches WHERE id = ?", b->id), 0);
  }
  assert_int_equal(k, 3);
  batch_list_free(list, n);
  assert_int_equal(q(f,
                     "SELECT count(*) FROM tasks t JOIN attempts a ON a.id = t.last_attempt_id"
                     " WHERE t.row_no = 4 AND t.state = 'failed' AND t.error_code ="
                     " 'token_limit_exceeded' AND a.state = 'failed' AND a.error_message LIKE"
                     " '%above the enqueued-token limit of 500 tokens for gpt-4o-mini%' AND ? > 0",
                     1),
                   1);
  bt_counts c;
  assert_int_equal(store_job_counts(f->s, f->job, &c, &err), BT_OK);
  assert_int_equal(c.n[TASK_PENDING], 6);
  assert_int_equal(c.n[TASK_FAILED], 1);

  /* parts that fit are left alone */
  assert_int_equal(
      retry_split_batch(f->s, b1, 250, 500, "token_limit_exceeded", &parts, &over, &err), BT_OK);
  assert_int_equal(parts, 1);
  assert_int_equal(over, 0);
  assert_int_equal(q(f, "SELECT count(*) FROM batches WHERE ? > 0", 1), 4);
}

/* Every task over the limit: nothing is left to send, the chunk itself ends. */
static void test_split_nothing_fits(void **state) {
  fixture *f = *state;
  make_job(f, 2, 2);
  bt_error err;
  int64_t b1 = q(f, "SELECT min(id) FROM batches WHERE ? > 0", 1);
  int64_t parts = -1, over = -1;
  assert_int_equal(retry_split_batch(f->s, b1, 45, 50, "token_limit_exceeded", &parts, &over, &err),
                   BT_OK);
  assert_int_equal(parts, 0);
  assert_int_equal(over, 2);
  bt_batch b = batch(f, b1);
  assert_string_equal(b.state, "done");
  assert_int_equal(b.n_failed, 2);
  batch_cleanup(&b);
  assert_int_equal(q(f, "SELECT count(*) FROM batches WHERE ? > 0", 1), 1);
  int ended = 0;
  assert_int_equal(store_job_settle(f->s, f->job, 0, &ended, &err), BT_OK);
  assert_true(ended);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_requeue_holds_tasks, setup, teardown),
      cmocka_unit_test_setup_teardown(test_requeue_nothing_left, setup, teardown),
      cmocka_unit_test_setup_teardown(test_gave_up_exit_code, setup, teardown),
      cmocka_unit_test(test_token_limit_parse),
      cmocka_unit_test_setup_teardown(test_split_batch, setup, teardown),
      cmocka_unit_test_setup_teardown(test_split_nothing_fits, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
