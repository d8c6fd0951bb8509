/* retry: plan and apply new attempts. */
#include "retry.h"

#include <stdlib.h>
#include <string.h>

#include "chunker.h"
#include "provider.h"
#include "pipeline_run.h"
#include "store_attempt.h"
#include "store_batch.h"
#include "store_job.h"
#include "store_sql.h"
#include "util.h"

/* WHERE clause over tasks t selecting what `only` names; ?1 job, ?2 only, ?3 task id. */
static const char *selection(const char *only) {
  if (!only)
    return "t.job_id = ?1 AND t.state IN ('failed','expired','cancelled')"
           " AND (?3 = 0 OR t.id = ?3) AND ?2 IS NULL";
  if (!strcmp(only, "failed") || !strcmp(only, "expired") || !strcmp(only, "cancelled"))
    return "t.job_id = ?1 AND t.state = ?2 AND (?3 = 0 OR t.id = ?3)";
  return "t.job_id = ?1 AND t.state IN ('failed','expired','cancelled') AND t.error_code = ?2"
         " AND (?3 = 0 OR t.id = ?3)";
}

bt_status retry_plan(bt_store *s, const char *job_id, const char *only, int64_t task_id,
                     bt_retry_plan *out, bt_error *err) {
  memset(out, 0, sizeof *out);
  bt_job job;
  bt_status r = store_job_get(s, job_id, &job, err);
  if (r)
    return r;
  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT count(*), coalesce(sum(t.est_input_tokens), 0) FROM tasks t WHERE %s",
           selection(only));
  sqlite3_stmt *st;
  r = store_prepare(s, sql, &st, err);
  if (!r) {
    sqlite3_bind_text(st, 1, job_id, -1, SQLITE_TRANSIENT);
    if (only)
      sqlite3_bind_text(st, 2, only, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, task_id);
    if (sqlite3_step(st) == SQLITE_ROW) {
      out->tasks = sqlite3_column_int64(st, 0);
      out->est_input_tokens = sqlite3_column_int64(st, 1);
    } else {
      r = store_fail(s, err, "planning a retry");
    }
    sqlite3_finalize(st);
  }
  if (!r && job.est_input_tokens > 0 && out->tasks) {
    /* Output tokens scale like the job's estimate per task. */
    bt_counts c;
    r = store_job_counts(s, job_id, &c, err);
    int64_t out_tokens = c.total ? job.est_output_tokens * out->tasks / c.total : 0;
    out->est_cost_usd =
        provider_cost_usd(job.provider, job.model, out->est_input_tokens, out_tokens);
  }
  job_cleanup(&job);
  return r;
}

/* The next round of a job's batches: one past the highest. */
static bt_status next_round(bt_store *s, const char *job_id, int64_t *round, bt_error *err) {
  bt_status r = store_query_int(s, err, round, 0, "SELECT max(round) FROM batches WHERE job_id = ?",
                                "t", job_id);
  (*round)++;
  return r;
}

/* Chunks of `round` for the tasks st yields (columns id, request_bytes, in row order), under
 * the job's chunk limits, numbered from chunk_no + 1; each task gets a running attempt in its
 * chunk (its new latest attempt). *total gets the number of tasks, *first_batch (may be
 * NULL) the first chunk's id (0: none). st is stepped here and finalized by the caller. */
static bt_status add_chunks(bt_store *s, const bt_job *job, sqlite3_stmt *st, int64_t round,
                            int64_t chunk_no, int64_t *first_batch, int64_t *total, bt_error *err) {
  if (first_batch)
    *first_batch = 0;
  *total = 0;
  /* Same chunk limits as the job's first round (its chunk size is stored). */
  bt_provider rp = BT_PROVIDER_OPENAI;
  bt_error ignored;
  if (request_provider_parse(job->provider, &rp, &ignored) != BT_OK)
    rp = BT_PROVIDER_OPENAI;
  bt_chunker chunker;
  chunker_init(&chunker, rp, job->chunk_size);
  bt_attempt_inserter *att = NULL;
  bt_status r = store_attempt_inserter_new(s, job->id, &att, err);
  int64_t batch_id = 0, n = 0, bytes = 0;
  int rc = SQLITE_DONE;
  while (!r && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t tid = sqlite3_column_int64(st, 0);
    int64_t b = sqlite3_column_int64(st, 1) + 1;
    int64_t chunk;
    int starts;
    r = chunker_add(&chunker, (size_t)(b - 1), &chunk, &starts, err);
    if (!r && starts && batch_id) {
      r = store_batch_set_size(s, batch_id, n, bytes, err);
      batch_id = 0;
    }
    if (!r && !batch_id) {
      n = bytes = 0;
      r = store_batch_insert(s, job->id, ++chunk_no, round, job->provider, &batch_id, err);
      if (!r && first_batch && !*first_batch)
        *first_batch = batch_id;
    }
    if (!r)
      r = store_attempt_add(att, tid, batch_id, err);
    n++;
    bytes += b;
    (*total)++;
  }
  store_attempt_inserter_free(att);
  if (!r && rc != SQLITE_DONE)
    r = store_fail(s, err, "selecting tasks");
  if (!r && batch_id)
    r = store_batch_set_size(s, batch_id, n, bytes, err);
  return r;
}

/* Tasks whose latest attempt is running in `round` wait for their new chunk: pending. */
static bt_status tasks_pending(bt_store *s, const char *job_id, int64_t round, bt_error *err) {
  return store_run(s, err, "updating tasks", NULL,
                   "UPDATE tasks SET state = 'pending', error_code = NULL, updated_at = ?2"
                   " WHERE job_id = ?1 AND state <> 'succeeded' AND last_attempt_id IN"
                   " (SELECT a.id FROM attempts a JOIN batches b ON b.id = a.batch_id WHERE"
                   " b.job_id = ?1 AND b.round = ?3 AND a.state = 'running')",
                   "tii", job_id, util_now_ms(), round);
}

bt_status retry_apply(bt_store *s, const char *job_id, const char *only, int64_t task_id,
                      double max_cost_usd, int64_t *n_tasks, bt_error *err) {
  if (n_tasks)
    *n_tasks = 0;
  bt_retry_plan plan;
  bt_status r = retry_plan(s, job_id, only, task_id, &plan, err);
  if (r)
    return r;
  if (max_cost_usd >= 0 && plan.est_cost_usd > max_cost_usd)
    return error_set(err, BT_ERR_BUDGET,
                     "estimated cost $%.4f of the retry is above --max-cost $%.4f; nothing was "
                     "submitted",
                     plan.est_cost_usd, max_cost_usd);
  if (plan.tasks == 0)
    return BT_OK;
  bt_job job;
  r = store_job_get(s, job_id, &job, err);
  if (r)
    return r;
  r = store_begin(s, err);
  if (r) {
    job_cleanup(&job);
    return r;
  }
  int64_t round = 0, total = 0;
  r = next_round(s, job_id, &round, err);
  char sql[512];
  snprintf(sql, sizeof sql, "SELECT t.id, t.request_bytes FROM tasks t WHERE %s ORDER BY t.row_no",
           selection(only));
  sqlite3_stmt *st = NULL;
  if (!r)
    r = store_prepare(s, sql, &st, err);
  if (!r) {
    sqlite3_bind_text(st, 1, job_id, -1, SQLITE_TRANSIENT);
    if (only)
      sqlite3_bind_text(st, 2, only, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, task_id);
    r = add_chunks(s, &job, st, round, 0, NULL, &total, err);
    sqlite3_finalize(st);
  }
  if (!r)
    r = tasks_pending(s, job_id, round, err);
  if (!r)
    r = store_run(s, err, "updating the job", NULL,
                  "UPDATE jobs SET state = 'running', finished_at = NULL, last_error = NULL,"
                  " cancel_requested = 0, updated_at = ? WHERE id = ?",
                  "it", util_now_ms(), job_id);
  /* The engine stops chunks against the job's budget (spend so far included): a limit given
   * for this retry is what it may add, or a job stopped by its first budget could never go on. */
  if (!r && max_cost_usd >= 0)
    r = store_run(s, err, "setting the budget", NULL,
                  "UPDATE jobs SET max_cost_usd = actual_cost_usd + ? WHERE id = ?", "dt",
                  max_cost_usd, job_id);
  /* A retried row of a pipeline stage flows on into the later stages once it succeeds. */
  if (!r)
    r = pipeline_reopen_downstream(s, job_id, err);
  if (!r) {
    char msg[128];
    snprintf(msg, sizeof msg, "retry: %lld tasks in round %lld", (long long)total,
             (long long)round);
    r = store_event(s, job_id, 0, "info", "retry", msg, err);
  }
  if (!r)
    r = store_commit(s, err);
  if (r)
    store_rollback(s);
  else if (n_tasks)
    *n_tasks = total;
  job_cleanup(&job);
  return r;
}

bt_status retry_requeue_batch(bt_store *s, int64_t batch_id, const char *code, const char *message,
                              int64_t not_before_ms, int64_t token_waits, int64_t token_lone,
                              int64_t *new_batch, int64_t *n_tasks, bt_error *err) {
  *new_batch = 0;
  *n_tasks = 0;
  bt_batch old;
  bt_status r = store_batch_get(s, batch_id, &old, err);
  if (r)
    return r;
  bt_job job;
  r = store_job_get(s, old.job_id, &job, err);
  if (r) {
    batch_cleanup(&old);
    return r;
  }
  r = store_begin(s, err);
  int64_t round = 0, total = 0;
  if (!r)
    r = next_round(s, job.id, &round, err);
  /* Read while the new attempts go in: they belong to other batches, so the selection holds. */
  sqlite3_stmt *st = NULL;
  if (!r)
    r = store_prepare(s,
                      "SELECT t.id, t.request_bytes FROM tasks t WHERE t.id IN (SELECT task_id"
                      " FROM attempts WHERE batch_id = ? AND state = 'running') AND t.state <>"
                      " 'succeeded' ORDER BY t.row_no",
                      &st, err);
  if (!r) {
    sqlite3_bind_int64(st, 1, batch_id);
    /* The same chunk number: it is the same chunk, sent again. */
    r = add_chunks(s, &job, st, round, old.chunk_no - 1, new_batch, &total, err);
    sqlite3_finalize(st);
  }
  /* The refused attempts stay in the history, ended like any attempt that did not run. */
  if (!r)
    r = store_run(s, err, "updating attempts", NULL,
                  "UPDATE attempts SET state = 'failed', error_code = ?2, error_message = ?3,"
                  " finished_at = ?4 WHERE batch_id = ?1 AND state = 'running'",
                  "itti", batch_id, code, message, util_now_ms());
  if (!r)
    r = tasks_pending(s, job.id, round, err);
  if (!r)
    r = store_run(s, err, "updating a batch", NULL,
                  "UPDATE batches SET state = 'done', results_state = 'ingested', n_failed ="
                  " (SELECT count(*) FROM attempts WHERE batch_id = ?1 AND state <> 'succeeded'),"
                  " updated_at = ?2 WHERE id = ?1",
                  "ii", batch_id, util_now_ms());
  if (!r && *new_batch)
    r = store_run(s, err, "holding a chunk", NULL,
                  "UPDATE batches SET next_poll_at = ?3, token_waits = ?4, token_lone = ?5"
                  " WHERE job_id = ?1 AND round = ?2",
                  "tiiii", job.id, round, not_before_ms, token_waits, token_lone);
  if (!r) {
    char msg[256];
    snprintf(msg, sizeof msg, "chunk %lld: %lld tasks held back (%s), sent again in round %lld",
             (long long)old.chunk_no, (long long)total, code, (long long)round);
    r = store_event(s, job.id, batch_id, "warn", "held", msg, err);
  }
  if (!r)
    r = store_commit(s, err);
  if (r) {
    store_rollback(s);
    *new_batch = 0;
    total = 0;
  }
  *n_tasks = total;
  job_cleanup(&job);
  batch_cleanup(&old);
  return r;
}
