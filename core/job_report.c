/* job_report: status objects and error groups. */
#include "job_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider.h"
#include "retry.h"
#include "store_batch.h"
#include "store_job.h"
#include "store_sql.h"
#include "util.h"

static json_t *jstr(const char *s) {
  return s ? json_string(s) : json_null();
}

int64_t job_report_waiting(bt_store *s, const char *job_id, int64_t now_ms, char *buf,
                           size_t size) {
  buf[0] = '\0';
  sqlite3_stmt *st;
  bt_error err;
  if (store_prepare(s,
                    "SELECT count(*), min(b.next_poll_at), j.provider, (SELECT tokens FROM"
                    " token_limits l WHERE l.provider = j.provider AND l.model = j.model AND"
                    " l.learned_at > ?2) FROM batches b JOIN jobs j ON j.id = b.job_id WHERE"
                    " b.job_id = ?1 AND b.state = 'intent' AND b.next_poll_at IS NOT NULL",
                    &st, &err))
    return 0;
  sqlite3_bind_text(st, 1, job_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, now_ms - RETRY_TOKEN_LIMIT_TTL_MS);
  int64_t n = 0;
  if (sqlite3_step(st) == SQLITE_ROW && (n = sqlite3_column_int64(st, 0)) > 0) {
    int64_t left = (sqlite3_column_int64(st, 1) - now_ms + 999) / 1000;
    const char *p = (const char *)sqlite3_column_text(st, 2);
    const char *who = p && !strcmp(p, "openai") ? "OpenAI" : p ? p : "";
    char when[32];
    if (left <= 0)
      snprintf(when, sizeof when, "now");
    else if (left < 120)
      snprintf(when, sizeof when, "in %lld s", (long long)left);
    else
      snprintf(when, sizeof when, "in %lld min", (long long)((left + 59) / 60));
    /* The limit once a refusal stated it: how much the queue takes decides the wait. */
    char limit[48] = "";
    if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
      char c[32];
      snprintf(limit, sizeof limit, " of %s tokens",
               util_fmt_count((double)sqlite3_column_int64(st, 3), c, sizeof c));
    }
    snprintf(buf, size, "enqueued-token limit (%s)%s, %lld chunk%s held, next try %s", who, limit,
             (long long)n, n == 1 ? "" : "s", when);
  }
  sqlite3_finalize(st);
  return n;
}

bt_status job_report_json(bt_store *s, const char *job_id, int with_batches, json_t **out,
                          bt_error *err) {
  *out = NULL;
  bt_job job;
  bt_status r = store_job_get(s, job_id, &job, err);
  if (r)
    return r;
  bt_counts c;
  r = store_job_counts(s, job_id, &c, err);
  if (r) {
    job_cleanup(&job);
    return r;
  }
  json_t *o = json_object();
  json_object_set_new(o, "id", json_string(job.id));
  json_object_set_new(o, "name", jstr(job.name));
  json_object_set_new(o, "provider", jstr(job.provider));
  json_object_set_new(o, "model", jstr(job.model));
  json_object_set_new(o, "state", jstr(job.state));
  json_t *counts = json_object();
  json_object_set_new(counts, "total", json_integer(c.total));
  for (int k = 0; k < TASK_STATE_COUNT; k++)
    json_object_set_new(counts, task_state_name((bt_task_state)k), json_integer(c.n[k]));
  json_object_set_new(o, "counts", counts);
  json_object_set_new(o, "cost",
                      json_pack("{s:f, s:f}", "estimated_usd", job.est_cost_usd, "actual_usd",
                                job.actual_cost_usd));
  if (with_batches) {
    bt_batch *list;
    size_t n;
    r = store_batch_list(s, job_id, &list, &n, err);
    if (r) {
      json_decref(o);
      job_cleanup(&job);
      return r;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
      bt_batch *b = &list[i];
      char id[32];
      snprintf(id, sizeof id, "%lld", (long long)b->id);
      const char *status = b->remote_status ? b->remote_status : b->state;
      json_t *bo =
          json_pack("{s:s, s:o, s:s, s:I, s:{s:I, s:I, s:I}, s:I, s:s, s:o}", "id", id, "remote_id",
                    jstr(b->remote_id), "status", status, "attempt", (json_int_t)b->round, "counts",
                    "total", (json_int_t)b->n_requests, "succeeded", (json_int_t)b->n_succeeded,
                    "failed", (json_int_t)b->n_failed, "chunk", (json_int_t)b->chunk_no, "state",
                    b->state, "last_error", jstr(b->last_error));
      if (bo)
        json_array_append_new(arr, bo);
    }
    batch_list_free(list, n);
    json_object_set_new(o, "batches", arr);
    /* second batches found for a chunk, cancelled and reported (store_duplicate_add) */
    json_t *dups = NULL;
    if (store_duplicates_json(s, job_id, &dups, err) == BT_OK)
      json_object_set_new(o, "duplicates", dups);
    /* unknown batches reported as suspected (left running: nothing proves them the job's) */
    json_t *sus = NULL;
    if (store_suspected_json(s, job_id, &sus, err) == BT_OK)
      json_object_set_new(o, "suspected_duplicates", sus);
  }
  json_object_set_new(o, "created_at", json_integer(job.created_at));
  json_object_set_new(o, "finished_at",
                      job.finished_at ? json_integer(job.finished_at) : json_null());
  json_object_set_new(o, "last_error", jstr(job.last_error));
  char waiting[160];
  job_report_waiting(s, job_id, util_now_ms(), waiting, sizeof waiting);
  json_object_set_new(o, "waiting", waiting[0] ? json_string(waiting) : json_null());
  json_object_set_new(o, "est_tokens",
                      json_pack("{s:I, s:I}", "input", (json_int_t)job.est_input_tokens, "output",
                                (json_int_t)job.est_output_tokens));
  json_object_set_new(o, "actual_tokens",
                      json_pack("{s:I, s:I}", "input", (json_int_t)job.actual_input_tokens,
                                "output", (json_int_t)job.actual_output_tokens));
  /* A cost is only a number when the model's price is known; cost stays a number (0) for
   * scripts that read it, and price_known says whether to believe it. */
  json_object_set_new(o, "price_known",
                      json_boolean(provider_price_known(job.provider, job.model)));
  char paused[512];
  json_object_set_new(o, "paused",
                      !job_state_terminal(job.state) &&
                              job_report_paused(s, job_id, paused, sizeof paused)
                          ? json_string(paused)
                          : json_null());
  job_cleanup(&job);
  *out = o;
  return BT_OK;
}

bt_status pipeline_report_json(bt_store *s, const char *pipeline_id, int with_batches, json_t **out,
                               bt_error *err) {
  *out = NULL;
  sqlite3_stmt *st;
  bt_status r =
      store_prepare(s, "SELECT id, name, created_at FROM pipelines WHERE id = ?", &st, err);
  if (r)
    return r;
  sqlite3_bind_text(st, 1, pipeline_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st) != SQLITE_ROW) {
    sqlite3_finalize(st);
    return error_set(err, BT_ERR_NOT_FOUND, "no pipeline '%s'", pipeline_id);
  }
  json_t *o = json_object();
  json_object_set_new(o, "id", json_string((const char *)sqlite3_column_text(st, 0)));
  json_object_set_new(o, "name", json_string((const char *)sqlite3_column_text(st, 1)));
  json_object_set_new(o, "kind", json_string("pipeline"));
  json_int_t created = sqlite3_column_int64(st, 2);
  sqlite3_finalize(st);
  char(*ids)[BT_JOB_ID_LEN + 1] = NULL;
  size_t n = 0;
  r = store_job_ids(s, "SELECT id FROM jobs WHERE pipeline_id = ? ORDER BY stage_no", pipeline_id,
                    &ids, &n, err);
  if (r) {
    json_decref(o);
    return r;
  }
  json_t *stages = json_array();
  json_int_t sum[TASK_STATE_COUNT + 1] = {0};
  double est = 0, act = 0;
  int priced = 1, running = 0, failed = 0, cancelled = 0;
  json_t *paused = json_null();
  for (size_t k = 0; k < n && !r; k++) {
    json_t *j;
    r = job_report_json(s, ids[k], with_batches, &j, err);
    if (r)
      break;
    bt_job job;
    if (store_job_get(s, ids[k], &job, NULL) == BT_OK) {
      json_object_set_new(j, "stage", jstr(job.stage_name));
      json_object_set_new(j, "stage_no", json_integer(job.stage_no));
      job_cleanup(&job);
    }
    json_t *c = json_object_get(j, "counts");
    sum[TASK_STATE_COUNT] += json_integer_value(json_object_get(c, "total"));
    for (int t = 0; t < TASK_STATE_COUNT; t++)
      sum[t] += json_integer_value(json_object_get(c, task_state_name((bt_task_state)t)));
    json_t *cost = json_object_get(j, "cost");
    est += json_real_value(json_object_get(cost, "estimated_usd"));
    act += json_real_value(json_object_get(cost, "actual_usd"));
    priced &= json_is_true(json_object_get(j, "price_known"));
    const char *state = json_string_value(json_object_get(j, "state"));
    running |= !job_state_terminal(state);
    failed |= !strcmp(state, "failed");
    cancelled |= !strcmp(state, "cancelled");
    if (json_is_null(paused) && json_is_string(json_object_get(j, "paused")))
      paused = json_incref(json_object_get(j, "paused"));
    json_array_append_new(stages, j);
  }
  free(ids);
  if (r) {
    json_decref(stages);
    json_decref(paused);
    json_decref(o);
    return r;
  }
  /* The pipeline has ended when every stage has; it failed or was cancelled when one did. */
  json_object_set_new(o, "state",
                      json_string(running     ? "running"
                                  : failed    ? "failed"
                                  : cancelled ? "cancelled"
                                              : "completed"));
  json_t *counts = json_object();
  json_object_set_new(counts, "total", json_integer(sum[TASK_STATE_COUNT]));
  for (int t = 0; t < TASK_STATE_COUNT; t++)
    json_object_set_new(counts, task_state_name((bt_task_state)t), json_integer(sum[t]));
  json_object_set_new(o, "counts", counts);
  json_object_set_new(o, "cost", json_pack("{s:f, s:f}", "estimated_usd", est, "actual_usd", act));
  json_object_set_new(o, "price_known", json_boolean(priced));
  json_object_set_new(o, "paused", paused);
  json_object_set_new(o, "created_at", json_integer(created));
  json_object_set_new(o, "stages", stages);
  *out = o;
  return BT_OK;
}

int job_report_paused(bt_store *s, const char *job_id, char *buf, size_t size) {
  buf[0] = '\0';
  sqlite3_stmt *st;
  bt_error err;
  if (store_prepare(s, "SELECT paused FROM jobs WHERE id = ? AND paused IS NOT NULL", &st, &err))
    return 0;
  sqlite3_bind_text(st, 1, job_id, -1, SQLITE_TRANSIENT);
  int found = sqlite3_step(st) == SQLITE_ROW;
  if (found)
    util_strlcpy(buf, (const char *)sqlite3_column_text(st, 0), size);
  sqlite3_finalize(st);
  return found;
}

bt_status job_report_errors(bt_store *s, const char *job_id, json_t **out, bt_error *err) {
  *out = NULL;
  sqlite3_stmt *st;
  bt_status r = store_prepare(
      s,
      "SELECT code, state, n, (SELECT a.error_message FROM tasks t2 JOIN attempts a ON"
      " a.id = t2.last_attempt_id WHERE t2.id = sample_id) FROM (SELECT"
      " coalesce(error_code, 'unknown') AS code, state, count(*) AS n, min(id) AS sample_id"
      " FROM tasks WHERE job_id = ? AND " STORE_PROBLEM_STATES(
          "state") " GROUP BY 1, 2) ORDER BY n DESC, code",
      &st, err);
  if (r)
    return r;
  sqlite3_bind_text(st, 1, job_id, -1, SQLITE_TRANSIENT);
  json_t *arr = json_array();
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *sample = (const char *)sqlite3_column_text(st, 3);
    json_array_append_new(
        arr, json_pack("{s:s, s:s, s:I, s:o}", "code", (const char *)sqlite3_column_text(st, 0),
                       "state", (const char *)sqlite3_column_text(st, 1), "count",
                       (json_int_t)sqlite3_column_int64(st, 2), "sample", jstr(sample)));
  }
  if (rc != SQLITE_DONE) {
    r = store_fail(s, err, "grouping errors");
    json_decref(arr);
    arr = NULL;
  }
  sqlite3_finalize(st);
  *out = arr;
  return r;
}

int job_report_exit_code(bt_store *s, const char *job_id) {
  bt_job job;
  bt_error err;
  if (store_job_get(s, job_id, &job, &err))
    return 3;
  bt_counts c;
  int code = 0;
  if (store_job_counts(s, job_id, &c, &err)) {
    code = 3;
  } else {
    int64_t budget = 0;
    if (store_query_int(s, &err, &budget, 0,
                        "SELECT count(*) FROM tasks WHERE job_id = ? AND error_code ="
                        " 'budget_exceeded'",
                        "t", job_id))
      budget = 0;
    /* Giving up on the enqueued-token limit is recorded as the job's error, but what it
     * leaves are failed tasks to retry, like a batch that failed. */
    int token_limit = job.last_error && !strncmp(job.last_error, RETRY_TOKEN_LIMIT_GAVE_UP,
                                                 strlen(RETRY_TOKEN_LIMIT_GAVE_UP));
    /* Every task came home: a job-level error recorded on the way (a poll or download that
     * gave up, later resumed) was overcome, so it does not decide the code (issue 13). */
    int all_ok = c.total > 0 && c.n[TASK_SUCCEEDED] == c.total && !strcmp(job.state, "completed");
    if (budget)
      code = 4;
    else if (all_ok)
      code = 0;
    else if ((job.last_error && !token_limit) || !strcmp(job.state, "failed"))
      code = 3;
    else if (c.n[TASK_FAILED] + c.n[TASK_EXPIRED] + c.n[TASK_CANCELLED] + c.n[TASK_PENDING] +
                 c.n[TASK_RUNNING] >
             0)
      code = 2;
  }
  job_cleanup(&job);
  return code;
}
