/* store_batch: batches and the engine's job-level writes. */
#include "store_batch.h"

#include <stdlib.h>
#include <string.h>

#include "secret.h"
#include "store_sql.h"
#include "util.h"

void batch_cleanup(bt_batch *b) {
  char **s[] = {&b->provider,      &b->tag,           &b->state,          &b->remote_id,
                &b->remote_status, &b->input_file_id, &b->output_file_id, &b->error_file_id,
                &b->results_url,   &b->results_state, &b->last_error};
  for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
    free(*s[i]);
  memset(b, 0, sizeof *b);
}

void batch_list_free(bt_batch *list, size_t n) {
  for (size_t i = 0; i < n; i++)
    batch_cleanup(&list[i]);
  free(list);
}

bt_status store_batch_insert(bt_store *s, const char *job_id, int64_t chunk_no, int64_t round,
                             const char *provider, int64_t *id_out, bt_error *err) {
  char tag[64];
  snprintf(tag, sizeof tag, "bt-%s-%lld-%lld", job_id, (long long)chunk_no, (long long)round);
  int64_t now = util_now_ms();
  bt_status r = store_run(s, err, "inserting a batch", NULL,
                          "INSERT INTO batches(job_id, chunk_no, round, provider, tag, state,"
                          " n_requests, created_at, updated_at)"
                          " VALUES (?,?,?,?,?,'intent',0,?,?)",
                          "tiittii", job_id, chunk_no, round, provider, tag, now, now);
  if (!r && id_out)
    *id_out = sqlite3_last_insert_rowid(store_db(s));
  return r;
}

bt_status store_batch_set_size(bt_store *s, int64_t id, int64_t n_requests, int64_t n_bytes,
                               int64_t est_tokens, bt_error *err) {
  return store_run(s, err, "sizing a batch", NULL,
                   "UPDATE batches SET n_requests = ?1, n_bytes = ?2, est_input_tokens = CASE WHEN"
                   " ?4 >= 0 THEN ?4 ELSE (SELECT coalesce(sum(t.est_input_tokens), 0) FROM"
                   " attempts a JOIN tasks t ON t.id = a.task_id WHERE a.batch_id = ?3 AND"
                   " a.state = 'running') END WHERE id = ?3",
                   "iiii", n_requests, n_bytes, id, est_tokens);
}

#define BATCH_COLS                                                                                 \
  "id, job_id, chunk_no, round, provider, tag, state, remote_id, remote_status,"                   \
  " input_file_id, output_file_id, error_file_id, results_url, n_requests, n_bytes,"               \
  " n_succeeded, n_failed, results_state, created_at, submitted_at, remote_created_at,"            \
  " in_progress_at, finalizing_at, ended_at, expires_at, last_error, updated_at"

static void batch_row(sqlite3_stmt *st, bt_batch *b) {
  memset(b, 0, sizeof *b);
  int i = 0;
  b->id = sqlite3_column_int64(st, i++);
  util_strlcpy(b->job_id, (const char *)sqlite3_column_text(st, i++), sizeof b->job_id);
  b->chunk_no = sqlite3_column_int64(st, i++);
  b->round = sqlite3_column_int64(st, i++);
  b->provider = store_col_dup(st, i++);
  b->tag = store_col_dup(st, i++);
  b->state = store_col_dup(st, i++);
  b->remote_id = store_col_dup(st, i++);
  b->remote_status = store_col_dup(st, i++);
  b->input_file_id = store_col_dup(st, i++);
  b->output_file_id = store_col_dup(st, i++);
  b->error_file_id = store_col_dup(st, i++);
  b->results_url = store_col_dup(st, i++);
  b->n_requests = sqlite3_column_int64(st, i++);
  b->n_bytes = sqlite3_column_int64(st, i++);
  b->n_succeeded = sqlite3_column_int64(st, i++);
  b->n_failed = sqlite3_column_int64(st, i++);
  b->results_state = store_col_dup(st, i++);
  b->created_at = sqlite3_column_int64(st, i++);
  b->submitted_at = sqlite3_column_int64(st, i++);
  b->remote_created_at = sqlite3_column_int64(st, i++);
  b->in_progress_at = sqlite3_column_int64(st, i++);
  b->finalizing_at = sqlite3_column_int64(st, i++);
  b->ended_at = sqlite3_column_int64(st, i++);
  b->expires_at = sqlite3_column_int64(st, i++);
  b->last_error = store_col_dup(st, i++);
  b->updated_at = sqlite3_column_int64(st, i++);
}

bt_status store_batch_get(bt_store *s, int64_t id, bt_batch *out, bt_error *err) {
  memset(out, 0, sizeof *out);
  sqlite3_stmt *st;
  bt_status r = store_prepare(s, "SELECT " BATCH_COLS " FROM batches WHERE id = ?", &st, err);
  if (r)
    return r;
  sqlite3_bind_int64(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    batch_row(st, out);
  else if (rc == SQLITE_DONE)
    r = error_set(err, BT_ERR_NOT_FOUND, "no batch %lld", (long long)id);
  else
    r = store_fail(s, err, "reading a batch");
  sqlite3_finalize(st);
  return r;
}

bt_status store_batch_list(bt_store *s, const char *job_id, bt_batch **out, size_t *n,
                           bt_error *err) {
  *out = NULL;
  *n = 0;
  sqlite3_stmt *st;
  bt_status r = store_prepare(
      s, "SELECT " BATCH_COLS " FROM batches WHERE job_id = ? ORDER BY round, chunk_no, id", &st,
      err);
  if (r)
    return r;
  sqlite3_bind_text(st, 1, job_id, -1, SQLITE_TRANSIENT);
  size_t cap = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (*n == cap) {
      cap = cap ? cap * 2 : 8;
      bt_batch *p = realloc(*out, cap * sizeof *p);
      if (!p) {
        r = error_set(err, BT_ERR_NOMEM, "out of memory");
        break;
      }
      *out = p;
    }
    batch_row(st, &(*out)[(*n)++]);
  }
  if (!r && rc != SQLITE_DONE)
    r = store_fail(s, err, "listing batches");
  sqlite3_finalize(st);
  if (r) {
    batch_list_free(*out, *n);
    *out = NULL;
    *n = 0;
  }
  return r;
}

bt_status store_batch_set_state(bt_store *s, int64_t id, const char *state, bt_error *err) {
  return store_run(s, err, "updating a batch", NULL,
                   "UPDATE batches SET state = ?, updated_at = ? WHERE id = ?", "tii", state,
                   util_now_ms(), id);
}

bt_status store_batch_set_creating(bt_store *s, int64_t id, bt_error *err) {
  int64_t now = util_now_ms();
  return store_run(s, err, "updating a batch", NULL,
                   "UPDATE batches SET state = 'creating', submitted_at = ?, updated_at = ?"
                   " WHERE id = ?",
                   "iii", now, now, id);
}

bt_status store_batch_set_input_file(bt_store *s, int64_t id, const char *file_id, bt_error *err) {
  return store_run(s, err, "updating a batch", NULL,
                   "UPDATE batches SET input_file_id = ?, state = 'uploaded', updated_at = ?"
                   " WHERE id = ?",
                   "tii", file_id, util_now_ms(), id);
}

static int64_t nz(int64_t v) {
  return v > 0 ? v : 0;
}

bt_status store_batch_set_remote(bt_store *s, int64_t id, const bt_remote_batch *rb, int first,
                                 bt_error *err) {
  int64_t now = util_now_ms();
  bt_status r = store_run(
      s, err, "updating a batch", NULL,
      "UPDATE batches SET remote_status = ?2, n_succeeded = ?3, n_failed = ?4,"
      " output_file_id = coalesce(?5, output_file_id), error_file_id = coalesce(?6,"
      " error_file_id), results_url = coalesce(?7, results_url),"
      " remote_created_at = coalesce(nullif(?8, 0), remote_created_at),"
      " in_progress_at = coalesce(nullif(?9, 0), in_progress_at),"
      " finalizing_at = coalesce(nullif(?10, 0), finalizing_at),"
      " ended_at = coalesce(nullif(?11, 0), ended_at),"
      " expires_at = coalesce(nullif(?12, 0), expires_at), updated_at = ?13 WHERE id = ?1",
      "itiitttiiiiii", id, rb->status, rb->succeeded, rb->failed, rb->output_file_id,
      rb->error_file_id, rb->results_url, nz(rb->created_at_ms), nz(rb->in_progress_at_ms),
      nz(rb->finalizing_at_ms), nz(rb->ended_at_ms), nz(rb->expires_at_ms), now);
  if (r || !first)
    return r;
  return store_run(s, err, "updating a batch", NULL,
                   "UPDATE batches SET remote_id = ?, state = 'remote', submitted_at = ?"
                   " WHERE id = ?",
                   "tii", rb->id, now, id);
}

bt_status store_batch_set_results_state(bt_store *s, int64_t id, const char *state, bt_error *err) {
  return store_run(s, err, "updating a batch", NULL,
                   "UPDATE batches SET results_state = ?, updated_at = ? WHERE id = ?", "tii",
                   state, util_now_ms(), id);
}

bt_status store_batch_set_error(bt_store *s, int64_t id, const char *message, bt_error *err) {
  char *m = message ? util_xstrdup(message) : NULL;
  if (m)
    secret_scrub(m);
  bt_status r = store_run(s, err, "updating a batch", NULL,
                          "UPDATE batches SET last_error = ?, updated_at = ? WHERE id = ?", "tii",
                          m, util_now_ms(), id);
  free(m);
  return r;
}

bt_status store_batch_remote_known(bt_store *s, const char *provider, const char *remote_id,
                                   int *known, bt_error *err) {
  int64_t n;
  bt_status r = store_query_int(s, err, &n, 0,
                                "SELECT (SELECT count(*) FROM batches WHERE provider = ?1 AND"
                                " remote_id = ?2) + (SELECT count(*) FROM duplicate_batches WHERE"
                                " provider = ?1 AND remote_id = ?2)",
                                "tt", provider, remote_id);
  *known = n > 0;
  return r;
}

bt_status store_duplicate_add(bt_store *s, const char *job_id, int64_t batch_id, int64_t chunk_no,
                              const char *provider, const bt_remote_batch *rb, double cost_usd,
                              int *added, bt_error *err) {
  int changes = 0;
  bt_status r = store_run(
      s, err, "recording a duplicate batch", &changes,
      "INSERT INTO duplicate_batches(job_id, batch_id, chunk_no, provider, remote_id,"
      " remote_status, n_requests, n_done, cost_usd, found_at) VALUES (?,?,?,?,?,?,?,?,?,?)"
      " ON CONFLICT(provider, remote_id) DO NOTHING",
      "tiittsiidi", job_id, batch_id, chunk_no, provider, rb->id, rb->status ? rb->status : "",
      rb->total, rb->succeeded + rb->failed, cost_usd, util_now_ms());
  *added = changes == 1;
  return r;
}

bt_status store_duplicate_cancelled(bt_store *s, const char *provider, const char *remote_id,
                                    bt_error *err) {
  return store_run(s, err, "recording a cancelled duplicate", NULL,
                   "UPDATE duplicate_batches SET cancelled_at = coalesce(cancelled_at, ?) WHERE"
                   " provider = ? AND remote_id = ?",
                   "itt", util_now_ms(), provider, remote_id);
}

/* The rows of one job's query as a JSON array, one object per row made by row (caller frees). */
static bt_status job_rows_json(bt_store *s, const char *sql, const char *job_id,
                               json_t *(*row)(sqlite3_stmt *), const char *what, json_t **out,
                               bt_error *err) {
  *out = NULL;
  sqlite3_stmt *st;
  bt_status r = store_prepare(s, sql, &st, err);
  if (r)
    return r;
  sqlite3_bind_text(st, 1, job_id, -1, SQLITE_TRANSIENT);
  json_t *arr = json_array();
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    json_t *o = row(st);
    if (o)
      json_array_append_new(arr, o);
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    json_decref(arr);
    return store_fail(s, err, what);
  }
  *out = arr;
  return BT_OK;
}

static json_t *duplicate_row(sqlite3_stmt *st) {
  const char *rid = (const char *)sqlite3_column_text(st, 0);
  const char *rs = (const char *)sqlite3_column_text(st, 2);
  return json_pack("{s:s, s:I, s:s, s:I, s:I, s:f, s:I, s:b, s:o}", "remote_id", rid ? rid : "",
                   "chunk", (json_int_t)sqlite3_column_int64(st, 1), "status", rs ? rs : "",
                   "requests", (json_int_t)sqlite3_column_int64(st, 3), "done",
                   (json_int_t)sqlite3_column_int64(st, 4), "cost_usd",
                   sqlite3_column_double(st, 5), "found_at",
                   (json_int_t)sqlite3_column_int64(st, 6), "cancelled",
                   sqlite3_column_type(st, 7) != SQLITE_NULL, "cancelled_at",
                   sqlite3_column_type(st, 7) == SQLITE_NULL
                       ? json_null()
                       : json_integer((json_int_t)sqlite3_column_int64(st, 7)));
}

bt_status store_duplicates_json(bt_store *s, const char *job_id, json_t **out, bt_error *err) {
  return job_rows_json(s,
                       "SELECT remote_id, chunk_no, remote_status, n_requests, n_done, cost_usd,"
                       " found_at, cancelled_at FROM duplicate_batches WHERE job_id = ?"
                       " ORDER BY id",
                       job_id, duplicate_row, "reading duplicate batches", out, err);
}

bt_status store_batch_sync_counts(bt_store *s, int64_t id, bt_error *err) {
  return store_run(
      s, err, "counting a batch", NULL,
      "UPDATE batches SET n_succeeded = (SELECT count(*) FROM attempts WHERE batch_id = ?1"
      " AND state = 'succeeded'), n_failed = (SELECT count(*) FROM attempts WHERE"
      " batch_id = ?1 AND state IN ('failed','expired','cancelled')), updated_at = ?2"
      " WHERE id = ?1",
      "ii", id, util_now_ms());
}

bt_status store_job_set_error(bt_store *s, const char *job_id, const char *message, bt_error *err) {
  char *m = message ? util_xstrdup(message) : NULL;
  if (m)
    secret_scrub(m);
  bt_status r = store_run(s, err, "updating a job", NULL,
                          "UPDATE jobs SET last_error = ?, updated_at = ? WHERE id = ?", "tit", m,
                          util_now_ms(), job_id);
  free(m);
  return r;
}

int job_state_terminal(const char *state) {
  return state &&
         (!strcmp(state, "completed") || !strcmp(state, "failed") || !strcmp(state, "cancelled"));
}

bt_status store_job_settle(bt_store *s, const char *job_id, int cancel_requested, int *ended,
                           bt_error *err) {
  *ended = 0;
  bt_job job;
  bt_status r = store_job_get(s, job_id, &job, err);
  if (r)
    return r;
  if (job_state_terminal(job.state)) {
    *ended = 1;
    job_cleanup(&job);
    return BT_OK;
  }
  /* A pipeline stage is held open while rows can still flow into it (pipeline_run.h). */
  if (job.hold) {
    job_cleanup(&job);
    return BT_OK;
  }
  bt_counts c;
  r = store_job_counts(s, job_id, &c, err);
  int64_t open_batches = 0;
  if (!r)
    r = store_query_int(s, err, &open_batches, 0,
                        "SELECT count(*) FROM batches WHERE job_id = ? AND state <> 'done'", "t",
                        job_id);
  if (!r && c.n[TASK_PENDING] + c.n[TASK_RUNNING] == 0 && open_batches == 0) {
    const char *state = "completed";
    if (cancel_requested) {
      state = "cancelled";
    } else if (job.last_error && c.n[TASK_SUCCEEDED] == 0) {
      int64_t remote = 0;
      r = store_query_int(s, err, &remote, 0,
                          "SELECT count(*) FROM batches WHERE job_id = ? AND remote_id IS NOT"
                          " NULL",
                          "t", job_id);
      if (!r && remote == 0)
        state = "failed"; /* nothing could be submitted at all */
    }
    if (!r)
      r = store_job_set_state(s, job_id, state, err);
    if (!r)
      *ended = 1;
  } else if (!r && !strcmp(job.state, "submitting")) {
    int64_t remote = 0;
    r = store_query_int(s, err, &remote, 0,
                        "SELECT count(*) FROM batches WHERE job_id = ? AND state IN"
                        " ('remote','done')",
                        "t", job_id);
    if (!r && remote > 0)
      r = store_job_set_state(s, job_id, "running", err);
  }
  job_cleanup(&job);
  return r;
}

bt_status store_job_unfinished(bt_store *s, char (**ids)[BT_JOB_ID_LEN + 1], size_t *n,
                               bt_error *err) {
  return store_job_ids(s,
                       "SELECT id FROM jobs WHERE state IN ('submitting','running')"
                       " ORDER BY created_at DESC",
                       NULL, ids, n, err);
}

static json_t *suspected_row(sqlite3_stmt *st) {
  const char *m = (const char *)sqlite3_column_text(st, 0);
  return json_pack("{s:s, s:I}", "message", m ? m : "", "at",
                   (json_int_t)sqlite3_column_int64(st, 1));
}

bt_status store_suspected_json(bt_store *s, const char *job_id, json_t **out, bt_error *err) {
  return job_rows_json(s,
                       "SELECT message, at FROM events WHERE job_id = ? AND"
                       " kind = 'suspected_duplicate' ORDER BY id",
                       job_id, suspected_row, "reading suspected duplicates", out, err);
}
