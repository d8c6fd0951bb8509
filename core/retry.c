/* retry: plan and apply new attempts. */
#include "retry.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chunker.h"
#include "provider.h"
#include "pipeline_run.h"
#include "store_attempt.h"
#include "store_batch.h"
#include "store_job.h"
#include "store_sql.h"
#include "util.h"

/* WHERE clause over tasks t selecting what `only` names; ?1 job, ?2 only, ?3 task id. Every
 * form holds PROBLEM, so it reads the index of those tasks. */
#define PROBLEM STORE_PROBLEM_STATES("t.state")
static const char *selection(const char *only) {
  if (!only)
    return "t.job_id = ?1 AND " PROBLEM " AND (?3 = 0 OR t.id = ?3) AND ?2 IS NULL";
  if (!strcmp(only, "failed") || !strcmp(only, "expired") || !strcmp(only, "cancelled"))
    return "t.job_id = ?1 AND t.state = ?2 AND " PROBLEM " AND (?3 = 0 OR t.id = ?3)";
  return "t.job_id = ?1 AND " PROBLEM " AND t.error_code = ?2 AND (?3 = 0 OR t.id = ?3)";
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
    /* Output tokens scale like the job's estimate per task (per input row, for a later
     * pipeline stage whose rows are still flowing in). */
    double per_task = 0;
    r = store_job_output_per_task(s, job_id, &per_task, err);
    int64_t out_tokens = (int64_t)(per_task * (double)out->tasks);
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
      r = store_batch_set_size(s, batch_id, n, bytes, -1, err);
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
    r = store_batch_set_size(s, batch_id, n, bytes, -1, err);
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
  if (max_cost_usd >= 0 && plan.est_cost_usd > max_cost_usd) {
    char lim[32];
    return error_set(err, BT_ERR_BUDGET,
                     "estimated cost $%.4f of the retry is above --max-cost $%s; nothing was "
                     "submitted",
                     plan.est_cost_usd, util_fmt_usd_exact(max_cost_usd, lim, sizeof lim));
  }
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
  int64_t now = util_now_ms();
  if (!r)
    r = store_attempt_log_ending(s, "batch_id = ?1 AND state = 'running'", batch_id, now, err);
  if (!r)
    r = store_run(s, err, "updating attempts", NULL,
                  "UPDATE attempts SET state = 'failed', error_code = ?2, error_message = ?3,"
                  " finished_at = ?4 WHERE batch_id = ?1 AND state = 'running'",
                  "itti", batch_id, code, message, now);
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

/* Three digits at p and no fourth: a digit group after a separator. */
static int digit_group(const char *p) {
  return isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
         isdigit((unsigned char)p[2]) && !isdigit((unsigned char)p[3]);
}

int64_t retry_token_limit_parse(const char *message) {
  if (!message)
    return 0;
  /* OpenAI's wording is not documented and Azure's differs: take the first number that
   * follows a "limit" ("Limit: 2,000,000", "limit of 90000", "limit=2.5M"). */
  for (const char *p = message; *p; p++) {
    if (strncasecmp(p, "limit", 5) != 0)
      continue;
    const char *q = p + 5;
    while (*q == ' ' || *q == ':' || *q == '=')
      q++;
    if (!strncasecmp(q, "of ", 3))
      q += 3;
    if (!isdigit((unsigned char)*q))
      continue;
    double v = 0;
    int digits = 0;
    for (;;) {
      if (isdigit((unsigned char)*q)) {
        if (++digits > 15)
          return 0; /* no real limit; and beyond exact doubles */
        v = v * 10 + (*q++ - '0');
      } else if (*q && strchr(",_' ", *q) && digit_group(q + 1)) {
        q++;
      } else {
        break;
      }
    }
    if (*q == '.' && isdigit((unsigned char)q[1])) {
      double f = 0.1;
      for (q++; isdigit((unsigned char)*q); q++, f /= 10)
        v += f * (*q - '0');
    }
    double mult = 1;
    if (*q == 'k' || *q == 'K')
      mult = 1e3;
    else if (*q == 'm' || *q == 'M')
      mult = 1e6;
    else if (*q == 'b' || *q == 'B')
      mult = 1e9;
    if (mult > 1 && isalpha((unsigned char)q[1]))
      mult = 1; /* a word ("2000 billable"), not a suffix */
    int64_t n = (int64_t)(v * mult + 0.5);
    if (n > 0)
      return n;
  }
  return 0;
}

bt_status retry_token_limit_learn(bt_store *s, const char *provider, const char *model,
                                  int64_t tokens, bt_error *err) {
  return store_run(s, err, "remembering the enqueued-token limit", NULL,
                   "INSERT INTO token_limits(provider, model, tokens, learned_at) VALUES (?,?,?,?)"
                   " ON CONFLICT(provider, model) DO UPDATE SET tokens = excluded.tokens,"
                   " learned_at = excluded.learned_at",
                   "ttii", provider, model, tokens, util_now_ms());
}

int64_t retry_token_limit_get(bt_store *s, const char *provider, const char *model) {
  bt_error err;
  int64_t v = 0;
  if (store_query_int(s, &err, &v, 0,
                      "SELECT tokens FROM token_limits WHERE provider = ? AND model = ? AND"
                      " learned_at > ?",
                      "tti", provider, model, util_now_ms() - RETRY_TOKEN_LIMIT_TTL_MS))
    return 0;
  return v;
}

typedef struct {
  int64_t attempt, task, est, bytes;
  int64_t part; /* -1: too large to ever be enqueued */
} split_row;

/* The running attempts of batch_id, in row order. */
static bt_status split_rows(bt_store *s, int64_t batch_id, split_row **out, size_t *n,
                            bt_error *err) {
  *out = NULL;
  *n = 0;
  sqlite3_stmt *st;
  bt_status r = store_prepare(s,
                              "SELECT a.id, t.id, t.est_input_tokens, t.request_bytes FROM"
                              " attempts a JOIN tasks t ON t.id = a.task_id WHERE a.batch_id = ?"
                              " AND a.state = 'running' ORDER BY t.row_no",
                              &st, err);
  if (r)
    return r;
  sqlite3_bind_int64(st, 1, batch_id);
  size_t cap = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (*n == cap) {
      cap = cap ? cap * 2 : 64;
      split_row *p = realloc(*out, cap * sizeof *p);
      if (!p) {
        r = error_set(err, BT_ERR_NOMEM, "out of memory splitting a chunk");
        break;
      }
      *out = p;
    }
    split_row *w = &(*out)[(*n)++];
    w->attempt = sqlite3_column_int64(st, 0);
    w->task = sqlite3_column_int64(st, 1);
    w->est = sqlite3_column_int64(st, 2);
    w->bytes = sqlite3_column_int64(st, 3) + 1;
    w->part = 0;
  }
  if (!r && rc != SQLITE_DONE)
    r = store_fail(s, err, "reading a chunk's tasks");
  sqlite3_finalize(st);
  return r;
}

/* The attempt of a task too large for the limit ends failed in batch `to`; so does the task. */
static bt_status fail_too_large(bt_store *s, const split_row *w, int64_t to, const char *code,
                                int64_t limit, const char *model, bt_error *err) {
  char est[32], lim[32], msg[256];
  snprintf(msg, sizeof msg,
           "this request alone is estimated at %s prompt tokens, above the enqueued-token limit "
           "of %s tokens for %s: it can never be enqueued; shorten it",
           util_fmt_count((double)w->est, est, sizeof est),
           util_fmt_count((double)limit, lim, sizeof lim), model);
  int64_t now = util_now_ms();
  bt_status r = store_attempt_log_ending(s, "id = ?1", w->attempt, now, err);
  if (!r)
    r = store_run(s, err, "updating an attempt", NULL,
                  "UPDATE attempts SET batch_id = ?2, state = 'failed', error_code = ?3,"
                  " error_message = ?4, finished_at = ?5 WHERE id = ?1",
                  "iitti", w->attempt, to, code, msg, now);
  if (!r)
    r = store_run(s, err, "updating a task", NULL,
                  "UPDATE tasks SET state = 'failed', error_code = ?3, output = NULL,"
                  " updated_at = ?4 WHERE id = ?1 AND last_attempt_id = ?2 AND state <>"
                  " 'succeeded'",
                  "iiti", w->task, w->attempt, code, now);
  return r;
}

/* Moves the attempts to their parts' batches (dest[part], dest[parts] for the too large),
 * sizes every batch, holds the new parts like the first and ends the too-large batch. */
static bt_status split_apply(bt_store *s, const bt_batch *b, const bt_job *job, split_row *rows,
                             size_t n, int64_t parts, int64_t over, int64_t limit, const char *code,
                             bt_error *err) {
  int64_t *dest = calloc((size_t)parts + 1, sizeof *dest);
  int64_t *cnt = calloc((size_t)parts + 1, sizeof *cnt);
  int64_t *bytes = calloc((size_t)parts + 1, sizeof *bytes);
  if (!dest || !cnt || !bytes) {
    free(dest);
    free(cnt);
    free(bytes);
    return error_set(err, BT_ERR_NOMEM, "out of memory splitting a chunk");
  }
  int64_t chunk = 0;
  bt_status r = store_query_int(s, err, &chunk, 0,
                                "SELECT max(chunk_no) FROM batches WHERE job_id = ?", "t", job->id);
  /* The first part keeps the batch; with no part left, the too-large tasks end in it. */
  dest[0] = b->id;
  for (int64_t k = 1; !r && k <= parts; k++)
    if (k < parts || over)
      r = store_batch_insert(s, job->id, ++chunk, b->round, b->provider, &dest[k], err);
  for (size_t i = 0; !r && i < n; i++) {
    int64_t k = rows[i].part < 0 ? parts : rows[i].part;
    cnt[k]++;
    bytes[k] += rows[i].bytes;
    if (rows[i].part < 0)
      r = fail_too_large(s, &rows[i], dest[k], code, limit, job->model, err);
    else if (dest[k] != b->id)
      r = store_run(s, err, "moving an attempt", NULL,
                    "UPDATE attempts SET batch_id = ? WHERE id = ?", "ii", dest[k],
                    rows[i].attempt);
  }
  for (int64_t k = 0; !r && k <= parts; k++) {
    if (!dest[k] || (k == parts && !over))
      continue;
    r = store_batch_set_size(s, dest[k], cnt[k], bytes[k], -1, err);
    if (!r && k < parts)
      r = store_run(s, err, "holding a chunk", NULL,
                    "UPDATE batches SET next_poll_at = (SELECT next_poll_at FROM batches WHERE"
                    " id = ?1), token_waits = (SELECT token_waits FROM batches WHERE id = ?1),"
                    " token_lone = 0 WHERE id = ?2",
                    "ii", b->id, dest[k]);
  }
  if (!r && over) {
    int64_t done = dest[parts];
    r = store_run(s, err, "ending a batch", NULL,
                  "UPDATE batches SET state = 'done', results_state = 'ingested', next_poll_at ="
                  " NULL, updated_at = ? WHERE id = ?",
                  "ii", util_now_ms(), done);
    if (!r)
      r = store_batch_sync_counts(s, done, err);
  }
  free(dest);
  free(cnt);
  free(bytes);
  return r;
}

bt_status retry_split_batch(bt_store *s, int64_t batch_id, int64_t max_tokens, int64_t limit,
                            const char *code, int64_t *n_parts, int64_t *n_over, bt_error *err) {
  *n_parts = 1;
  *n_over = 0;
  bt_batch b;
  bt_status r = store_batch_get(s, batch_id, &b, err);
  if (r)
    return r;
  bt_job job;
  r = store_job_get(s, b.job_id, &job, err);
  if (r) {
    batch_cleanup(&b);
    return r;
  }
  split_row *rows = NULL;
  size_t n = 0;
  int64_t parts = 0, over = 0, sum = 0;
  r = store_begin(s, err);
  if (!r)
    r = split_rows(s, batch_id, &rows, &n, err);
  /* Greedy, in row order: a part ends where the next task would take it past max_tokens. */
  for (size_t i = 0; !r && i < n; i++) {
    if (rows[i].est > limit) {
      rows[i].part = -1;
      over++;
      continue;
    }
    if (!parts || sum + rows[i].est > max_tokens) {
      parts++;
      sum = 0;
    }
    rows[i].part = parts - 1;
    sum += rows[i].est;
  }
  if (!r && (parts > 1 || over)) {
    r = split_apply(s, &b, &job, rows, n, parts, over, limit, code, err);
    char lim[32], cap[32], msg[256];
    util_fmt_count((double)limit, lim, sizeof lim);
    util_fmt_count((double)max_tokens, cap, sizeof cap);
    if (!r && parts > 1) {
      snprintf(msg, sizeof msg,
               "chunk %lld cut into %lld chunks of at most %s estimated prompt tokens (the "
               "enqueued-token limit of %s is %s tokens)",
               (long long)b.chunk_no, (long long)parts, cap, job.model, lim);
      r = store_event(s, job.id, batch_id, "info", "split", msg, err);
    }
    if (!r && over) {
      snprintf(msg, sizeof msg,
               "chunk %lld: %lld requests failed, each alone estimated above the enqueued-token "
               "limit of %s (%s tokens)",
               (long long)b.chunk_no, (long long)over, job.model, lim);
      r = store_event(s, job.id, batch_id, "error", "too_large", msg, err);
    }
  }
  if (!r)
    r = store_commit(s, err);
  if (r) {
    store_rollback(s);
  } else {
    *n_parts = parts;
    *n_over = over;
  }
  free(rows);
  job_cleanup(&job);
  batch_cleanup(&b);
  return r;
}
