/* store_query: read-side queries for the dashboard. */
#include "store_query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "job_report.h"
#include "pipeline_run.h"
#include "store_sql.h"
#include "util.h"

static const char *const sort_names[] = {
#define BT_X(e, s) s,
    BT_QUERY_JOB_SORTS(BT_X)
#undef BT_X
};

const char *store_query_sort_name(bt_qsort s) {
  return (unsigned)s < QSORT_COUNT ? sort_names[s] : "?";
}

static char *col_dup(sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? util_xstrdup((const char *)t) : NULL;
}

/* "%text%" for LIKE, with the wildcards of text escaped (ESCAPE '\'). Caller frees. */
static char *like_pattern(const char *text) {
  size_t n = strlen(text);
  char *p = malloc(2 * n + 3);
  if (!p)
    return NULL;
  size_t o = 0;
  p[o++] = '%';
  for (size_t i = 0; i < n; i++) {
    if (text[i] == '%' || text[i] == '_' || text[i] == '\\')
      p[o++] = '\\';
    p[o++] = text[i];
  }
  p[o++] = '%';
  p[o] = '\0';
  return p;
}

/* One integer (or real) from a one-row query with up to two bound values. */
static bt_status scalar(bt_store *s, const char *sql, const char *text, int64_t num, double *out,
                        bt_error *err) {
  sqlite3_stmt *st;
  bt_status r = store_prepare(s, sql, &st, err);
  if (r)
    return r;
  int k = 1;
  if (text)
    sqlite3_bind_text(st, k++, text, -1, SQLITE_TRANSIENT);
  if (num >= 0)
    sqlite3_bind_int64(st, k, num);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    *out = sqlite3_column_double(st, 0);
  else
    r = store_fail(s, err, "reading totals");
  sqlite3_finalize(st);
  return r;
}

bt_status store_query_totals(bt_store *s, int64_t day_start_ms, bt_qtotals *out, bt_error *err) {
  memset(out, 0, sizeof *out);
  double v = 0;
  bt_status r;
  if ((r = scalar(s, "SELECT count(*) FROM jobs", NULL, -1, &v, err)))
    return r;
  out->jobs = (int64_t)v;
  if ((r = scalar(s,
                  "SELECT count(DISTINCT coalesce(pipeline_id, id)) FROM jobs"
                  " WHERE state IN ('submitting','running') AND paused IS NULL",
                  NULL, -1, &v, err)))
    return r;
  out->running_jobs = (int64_t)v;
  if ((r = scalar(s,
                  "SELECT total(c.n) FROM jobs j JOIN job_counts c"
                  " ON c.job_id = j.id AND c.state = 'running'"
                  " WHERE j.state IN ('submitting','running') AND j.paused IS NULL",
                  NULL, -1, &v, err)))
    return r;
  out->tasks_in_flight = (int64_t)v;
  /* A paused job's running tasks wait for someone to drive them: not in flight (above), and
   * what its provider reported is left out below to match. */
  /* Reported done by the provider but not downloaded: still `running` in the store, no longer
   * at work, and shown as done in the progress: not in flight too. */
  if ((r = scalar(s,
                  "SELECT total(b.n_succeeded + b.n_failed) FROM jobs j JOIN batches b"
                  " ON b.job_id = j.id AND b.results_state <> 'ingested'"
                  " WHERE j.state IN ('submitting','running') AND j.paused IS NULL",
                  NULL, -1, &v, err)))
    return r;
  out->tasks_in_flight -= (int64_t)v;
  if (out->tasks_in_flight < 0)
    out->tasks_in_flight = 0;
  if ((r = scalar(s, "SELECT total(cost_usd) FROM finish_log WHERE at >= ?", NULL, day_start_ms, &v,
                  err)))
    return r;
  out->spend_today_usd = v;
  if ((r = scalar(s, "SELECT total(actual_cost_usd) FROM jobs", NULL, -1, &v, err)))
    return r;
  out->spend_total_usd = v;
  return BT_OK;
}

#define JOB_COLUMNS                                                                                \
  "id, name, provider, model, state, endpoint, last_error, est_cost_usd, est_cost_std_usd,"        \
  " actual_cost_usd, est_input_tokens, est_output_tokens, actual_input_tokens,"                    \
  " actual_output_tokens, created_at, updated_at, coalesce(finished_at, 0)"

static void read_job(sqlite3_stmt *st, bt_qjob *j) {
  int i = 0;
  util_strlcpy(j->id, (const char *)sqlite3_column_text(st, i++), sizeof j->id);
  j->name = col_dup(st, i++);
  j->provider = col_dup(st, i++);
  j->model = col_dup(st, i++);
  j->state = col_dup(st, i++);
  j->endpoint = col_dup(st, i++);
  j->last_error = col_dup(st, i++);
  j->est_cost_usd = sqlite3_column_double(st, i++);
  j->est_cost_std_usd = sqlite3_column_double(st, i++);
  j->actual_cost_usd = sqlite3_column_double(st, i++);
  j->est_input_tokens = sqlite3_column_int64(st, i++);
  j->est_output_tokens = sqlite3_column_int64(st, i++);
  j->actual_input_tokens = sqlite3_column_int64(st, i++);
  j->actual_output_tokens = sqlite3_column_int64(st, i++);
  j->created_at = sqlite3_column_int64(st, i++);
  j->updated_at = sqlite3_column_int64(st, i++);
  j->finished_at = sqlite3_column_int64(st, i++);
  j->eta_ms = -1;
}

static void job_free_strings(bt_qjob *j) {
  free(j->name);
  free(j->provider);
  free(j->model);
  free(j->state);
  free(j->endpoint);
  free(j->last_error);
  free(j->paused);
  for (size_t i = 0; i < j->n_stages; i++) {
    job_free_strings(&j->stages[i].job);
    free(j->stages[i].stage_name);
  }
  free(j->stages);
  j->stages = NULL;
  j->n_stages = 0;
}

/* Prepared once per list: counts and recent completions for each visible job. */
typedef struct {
  sqlite3_stmt *counts, *recent, *reported, *paused;
} extras;

static bt_status extras_init(bt_store *s, extras *x, bt_error *err) {
  memset(x, 0, sizeof *x);
  bt_status r =
      store_prepare(s, "SELECT state, n FROM job_counts WHERE job_id = ?", &x->counts, err);
  if (!r)
    r = store_prepare(s, "SELECT total(n) FROM finish_log WHERE job_id = ? AND at >= ? AND at <= ?",
                      &x->recent, err);
  if (!r)
    r = store_prepare(s,
                      "SELECT total(n_succeeded), total(n_failed) FROM batches"
                      " WHERE job_id = ? AND results_state <> 'ingested'",
                      &x->reported, err);
  if (!r)
    r = store_prepare(s, "SELECT paused FROM jobs WHERE id = ?", &x->paused, err);
  return r;
}

static void extras_cleanup(extras *x) {
  sqlite3_finalize(x->counts);
  sqlite3_finalize(x->recent);
  sqlite3_finalize(x->reported);
  sqlite3_finalize(x->paused);
}

static bt_status extras_fill(bt_store *s, extras *x, bt_qjob *j, int64_t now, bt_error *err) {
  sqlite3_reset(x->counts);
  sqlite3_bind_text(x->counts, 1, j->id, -1, SQLITE_TRANSIENT);
  int rc;
  while ((rc = sqlite3_step(x->counts)) == SQLITE_ROW) {
    int k = task_state_parse((const char *)sqlite3_column_text(x->counts, 0));
    int64_t n = sqlite3_column_int64(x->counts, 1);
    if (k >= 0)
      j->counts.n[k] += n;
    j->counts.total += n;
  }
  if (rc != SQLITE_DONE)
    return store_fail(s, err, "counting tasks");
  sqlite3_reset(x->reported);
  sqlite3_bind_text(x->reported, 1, j->id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step(x->reported) != SQLITE_ROW)
    return store_fail(s, err, "reading batch counts");
  j->reported_ok = sqlite3_column_int64(x->reported, 0);
  j->reported_failed = sqlite3_column_int64(x->reported, 1);
  sqlite3_reset(x->paused);
  sqlite3_bind_text(x->paused, 1, j->id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step(x->paused);
  if (rc == SQLITE_ROW)
    j->paused = col_dup(x->paused, 0);
  else if (rc != SQLITE_DONE)
    return store_fail(s, err, "reading a job's pause");
  /* Executed: an expired or cancelled task never ran, so it is no throughput. */
  int64_t done = j->counts.n[TASK_SUCCEEDED] + j->counts.n[TASK_FAILED];
  if (j->finished_at > 0) {
    /* Finished: the average over its life. */
    int64_t life = j->finished_at - j->created_at;
    j->rate_per_min = life > 0 ? (double)done * 60000.0 / (double)life : 0;
    return BT_OK;
  }
  int64_t window = now - j->created_at;
  if (window > BT_QUERY_RATE_WINDOW_MS)
    window = BT_QUERY_RATE_WINDOW_MS;
  if (window < 1000)
    window = 1000;
  sqlite3_reset(x->recent);
  sqlite3_bind_text(x->recent, 1, j->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(x->recent, 2, now - window);
  sqlite3_bind_int64(x->recent, 3, now);
  if (sqlite3_step(x->recent) != SQLITE_ROW)
    return store_fail(s, err, "measuring throughput");
  /* Completions the provider has reported but batchtop has not downloaded count too: a batch
   * API hands back every result at the end. */
  int64_t reported = j->reported_ok + j->reported_failed;
  int64_t recent = sqlite3_column_int64(x->recent, 0) + reported;
  j->rate_per_min = (double)recent * 60000.0 / (double)window;
  int64_t left = j->counts.n[TASK_PENDING] + j->counts.n[TASK_RUNNING] - reported;
  if (left <= 0 || store_query_job_state(j) != j->state)
    return BT_OK; /* done, or paused (shown other than its state): nobody drives it, no ETA */
  /* Nothing finished in the last minute and nothing reported: the rest waits at the provider
   * (validating, queued), and a rate from earlier would promise it in seconds. */
  sqlite3_reset(x->recent);
  sqlite3_bind_text(x->recent, 1, j->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(x->recent, 2, now - BT_QUERY_QUEUED_MS);
  sqlite3_bind_int64(x->recent, 3, now);
  if (sqlite3_step(x->recent) != SQLITE_ROW)
    return store_fail(s, err, "measuring throughput");
  if (sqlite3_column_int64(x->recent, 0) == 0 && reported == 0 && j->counts.n[TASK_RUNNING] > 0)
    j->eta_ms = BT_QUERY_ETA_QUEUED;
  else if (j->rate_per_min > 0)
    j->eta_ms = (int64_t)((double)left / j->rate_per_min * 60000.0);
  if (j->eta_ms >= 0 && j->eta_ms < 1000)
    j->eta_ms = 1000; /* work remains: never "0s" */
  return BT_OK;
}

/* A pipeline as one row with the columns of JOB_COLUMNS (plus 1: "a pipeline"), summed over
 * its stage jobs (found by the jobs_pipeline_stage index). Provider and model join the stages'
 * so the list's filter finds a pipeline by them; the view draws them from the stages. */
#define PIPELINE_OPEN "(max(j.hold) > 0 OR max(j.state NOT IN ('completed','failed','cancelled')))"
#define PIPELINE_COLUMNS                                                                           \
  "p.id, p.name, group_concat(j.provider, ' '), group_concat(j.model, ' '),"                       \
  " CASE WHEN " PIPELINE_OPEN " THEN 'running' WHEN max(j.state = 'cancelled') THEN 'cancelled'"   \
  " WHEN max(j.state = 'failed') THEN 'failed' ELSE 'completed' END, '', NULL,"                    \
  " total(j.est_cost_usd), total(j.est_cost_std_usd), total(j.actual_cost_usd),"                   \
  " sum(j.est_input_tokens), sum(j.est_output_tokens), sum(j.actual_input_tokens),"                \
  " sum(j.actual_output_tokens), p.created_at, max(p.updated_at, max(j.updated_at)),"              \
  " CASE WHEN " PIPELINE_OPEN " THEN 0 ELSE max(coalesce(j.finished_at, 0)) END, 1"
#define PIPELINE_FROM " FROM pipelines p JOIN jobs j ON j.pipeline_id = p.id"

/* The pipeline rows, named as JOB_COLUMNS reads them (plus pipe = 1). */
#define PIPELINES_CTE                                                                              \
  "WITH pl(id, name, provider, model, state, endpoint, last_error, est_cost_usd,"                  \
  " est_cost_std_usd, actual_cost_usd, est_input_tokens, est_output_tokens,"                       \
  " actual_input_tokens, actual_output_tokens, created_at, updated_at, finished_at, pipe) AS ("    \
  "SELECT " PIPELINE_COLUMNS PIPELINE_FROM " GROUP BY p.id) "

/* The state sort's key, an output column of both halves of the list (a compound SELECT can
 * only be ordered by its output columns). */
#define STATE_RANK                                                                                 \
  "CASE state WHEN 'running' THEN 0 WHEN 'submitting' THEN 1 WHEN 'draft' THEN 2"                  \
  " WHEN 'failed' THEN 3 WHEN 'cancelled' THEN 4 ELSE 5 END"

/* The stage jobs of pipeline row j with their counts and rates; j's counts and rate become
 * their sums. A pipeline's ETA stays unknown: later stages grow as rows flow in. */
static bt_status load_stages(bt_store *s, extras *x, bt_qjob *j, int64_t now, bt_error *err) {
  sqlite3_stmt *st;
  bt_status r = store_prepare(s,
                              "SELECT " JOB_COLUMNS ", stage_no, stage_name, hold,"
                              " (SELECT count(*) FROM pipeline_skips k WHERE k.job_id = jobs.id)"
                              " FROM jobs WHERE pipeline_id = ? ORDER BY stage_no",
                              &st, err);
  if (r)
    return r;
  sqlite3_bind_text(st, 1, j->id, -1, SQLITE_TRANSIENT);
  size_t cap = 0;
  int rc;
  memset(&j->counts, 0, sizeof j->counts);
  j->rate_per_min = 0;
  j->eta_ms = -1;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    bt_qstage *g;
    if (j->n_stages == cap) {
      size_t nc = cap ? cap * 2 : 4;
      g = realloc(j->stages, nc * sizeof *g);
      if (!g) {
        r = error_set(err, BT_ERR_NOMEM, "out of memory reading stages");
        break;
      }
      memset(g + cap, 0, (nc - cap) * sizeof *g);
      j->stages = g;
      cap = nc;
    }
    g = &j->stages[j->n_stages++];
    read_job(st, &g->job);
    g->stage_no = sqlite3_column_int64(st, 17);
    g->stage_name = col_dup(st, 18);
    g->hold = sqlite3_column_int(st, 19);
    g->skipped = sqlite3_column_int64(st, 20);
    if ((r = extras_fill(s, x, &g->job, now, err)))
      break;
    for (int k = 0; k < TASK_STATE_COUNT; k++)
      j->counts.n[k] += g->job.counts.n[k];
    j->counts.total += g->job.counts.total;
    j->rate_per_min += g->job.rate_per_min;
  }
  if (!r && rc != SQLITE_DONE)
    r = store_fail(s, err, "reading stages");
  sqlite3_finalize(st);
  return r;
}

bt_status store_query_jobs(bt_store *s, const bt_qjobs_opts *o, bt_qjob_list *out, bt_error *err) {
  memset(out, 0, sizeof *out);
  char *pat = (o->filter && o->filter[0]) ? like_pattern(o->filter) : NULL;
  /* Jobs outside pipelines, then the pipelines, as one compound SELECT: ordered by creation,
   * SQLite merges the jobs_created index walk with the few pipeline rows and stops at LIMIT,
   * so the home view stays an index range read however many jobs there are. */
  static const char *const filter =
      " (name LIKE ?1 ESCAPE '\\' OR id LIKE ?1 ESCAPE '\\' OR provider LIKE ?1"
      " ESCAPE '\\' OR model LIKE ?1 ESCAPE '\\' OR state LIKE ?1 ESCAPE '\\')";
  static const char *const order[QSORT_COUNT] = {
      " ORDER BY created_at DESC, id DESC",
      " ORDER BY created_at ASC, id ASC",
      " ORDER BY name COLLATE NOCASE, created_at DESC",
      " ORDER BY st_rank, created_at DESC",
      " ORDER BY actual_cost_usd DESC, est_cost_usd DESC, created_at DESC",
  };
  bt_qsort sort = (unsigned)o->sort < QSORT_COUNT ? o->sort : QSORT_NEWEST;
  const char *and_f = pat ? " AND" : "", *where_f = pat ? " WHERE" : "", *f = pat ? filter : "";
  char sql[4096];
  if (pat)
    snprintf(sql, sizeof sql,
             PIPELINES_CTE "SELECT (SELECT count(*) FROM jobs WHERE pipeline_id IS NULL AND%s)"
                           " + (SELECT count(*) FROM pl WHERE%s)",
             filter, filter);
  else /* counts over the smallest index and the stage index, not a scan of the jobs table */
    snprintf(sql, sizeof sql,
             "SELECT (SELECT count(*) FROM jobs) - (SELECT count(*) FROM jobs"
             " WHERE pipeline_id IS NOT NULL) + (SELECT count(*) FROM pipelines p WHERE EXISTS"
             " (SELECT 1 FROM jobs j WHERE j.pipeline_id = p.id))");
  sqlite3_stmt *st = NULL;
  extras x;
  bt_status r = extras_init(s, &x, err);
  if (!r)
    r = store_prepare(s, sql, &st, err);
  if (r)
    goto out;
  if (pat)
    sqlite3_bind_text(st, 1, pat, -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st) != SQLITE_ROW) {
    r = store_fail(s, err, "counting jobs");
    goto out;
  }
  out->total = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  st = NULL;

  snprintf(sql, sizeof sql,
           PIPELINES_CTE "SELECT " JOB_COLUMNS ", 0 AS pipe, " STATE_RANK " AS st_rank FROM jobs"
                         " WHERE pipeline_id IS NULL%s%s UNION ALL SELECT " JOB_COLUMNS
                         ", pipe, " STATE_RANK " FROM pl%s%s%s LIMIT ?2 OFFSET ?3",
           and_f, f, where_f, f, order[sort]);
  if ((r = store_prepare(s, sql, &st, err)))
    goto out;
  if (pat)
    sqlite3_bind_text(st, 1, pat, -1, SQLITE_TRANSIENT);
  int64_t limit = o->limit > 0 ? o->limit : 100;
  sqlite3_bind_int64(st, 2, limit);
  sqlite3_bind_int64(st, 3, o->offset > 0 ? o->offset : 0);
  out->rows = calloc((size_t)limit, sizeof *out->rows);
  if (!out->rows) {
    r = error_set(err, BT_ERR_NOMEM, "out of memory listing jobs");
    goto out;
  }
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->n < (size_t)limit) {
    bt_qjob *j = &out->rows[out->n++];
    read_job(st, j);
    if (sqlite3_column_int(st, 17))
      r = load_stages(s, &x, j, o->now_ms, err);
    else
      r = extras_fill(s, &x, j, o->now_ms, err);
    if (r)
      goto out;
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    r = store_fail(s, err, "listing jobs");
out:
  sqlite3_finalize(st);
  extras_cleanup(&x);
  free(pat);
  return r;
}

void store_query_jobs_cleanup(bt_qjob_list *l) {
  for (size_t i = 0; i < l->n; i++)
    job_free_strings(&l->rows[i]);
  free(l->rows);
  memset(l, 0, sizeof *l);
}

const char *store_query_job_state(const bt_qjob *j) {
  if (j->paused && j->state && (!strcmp(j->state, "submitting") || !strcmp(j->state, "running")))
    return "paused";
  return j->state;
}

const char *store_query_stage_state(const bt_qstage *g) {
  return g->hold ? "held" : store_query_job_state(&g->job);
}

bt_status store_query_pipeline(bt_store *s, const char *id, int64_t now_ms, bt_qpipeline *out,
                               bt_error *err) {
  memset(out, 0, sizeof *out);
  sqlite3_stmt *st;
  bt_status r = store_prepare(s,
                              "SELECT " PIPELINE_COLUMNS ", p.path, p.input_path" PIPELINE_FROM
                              " WHERE p.id = ? GROUP BY p.id",
                              &st, err);
  if (r)
    return r;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    read_job(st, &out->row);
    out->path = col_dup(st, 18);
    out->input_path = col_dup(st, 19);
  } else if (rc == SQLITE_DONE) {
    r = error_set(err, BT_ERR_NOT_FOUND, "no pipeline '%s'", id);
  } else {
    r = store_fail(s, err, "reading a pipeline");
  }
  sqlite3_finalize(st);
  if (r)
    return r;
  extras x;
  if ((r = extras_init(s, &x, err)) == BT_OK)
    r = load_stages(s, &x, &out->row, now_ms, err);
  extras_cleanup(&x);
  return r;
}

void store_query_pipeline_cleanup(bt_qpipeline *p) {
  job_free_strings(&p->row);
  free(p->path);
  free(p->input_path);
  memset(p, 0, sizeof *p);
}

/* Grow *arr (of elem bytes) to hold n+1 items. */
static int grow(void **arr, size_t n, size_t *cap, size_t elem) {
  if (n < *cap)
    return 0;
  size_t nc = *cap ? *cap * 2 : 8;
  void *p = realloc(*arr, nc * elem);
  if (!p)
    return -1;
  memset((char *)p + *cap * elem, 0, (nc - *cap) * elem);
  *arr = p;
  *cap = nc;
  return 0;
}

static bt_status load_batches(bt_store *s, bt_qjob_detail *d, bt_error *err) {
  sqlite3_stmt *st;
  bt_status r = store_prepare(
      s,
      "SELECT id, chunk_no, round, CASE WHEN state = 'intent' AND next_poll_at IS NOT NULL"
      " THEN 'held' ELSE state END, remote_id, remote_status, last_error, n_requests,"
      " n_succeeded, n_failed, created_at, coalesce(submitted_at, 0),"
      " coalesce(in_progress_at, 0), coalesce(finalizing_at, 0), coalesce(ended_at, 0),"
      " coalesce(expires_at, 0) FROM batches WHERE job_id = ? ORDER BY round, chunk_no, id",
      &st, err);
  if (r)
    return r;
  sqlite3_bind_text(st, 1, d->job.id, -1, SQLITE_TRANSIENT);
  size_t cap = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (grow((void **)&d->batches, d->n_batches, &cap, sizeof *d->batches)) {
      r = error_set(err, BT_ERR_NOMEM, "out of memory reading batches");
      break;
    }
    bt_qbatch *b = &d->batches[d->n_batches++];
    int i = 0;
    b->id = sqlite3_column_int64(st, i++);
    b->chunk_no = sqlite3_column_int64(st, i++);
    b->round = sqlite3_column_int64(st, i++);
    b->state = col_dup(st, i++);
    b->remote_id = col_dup(st, i++);
    b->remote_status = col_dup(st, i++);
    b->last_error = col_dup(st, i++);
    b->n_requests = sqlite3_column_int64(st, i++);
    b->n_succeeded = sqlite3_column_int64(st, i++);
    b->n_failed = sqlite3_column_int64(st, i++);
    b->created_at = sqlite3_column_int64(st, i++);
    b->submitted_at = sqlite3_column_int64(st, i++);
    b->in_progress_at = sqlite3_column_int64(st, i++);
    b->finalizing_at = sqlite3_column_int64(st, i++);
    b->ended_at = sqlite3_column_int64(st, i++);
    b->expires_at = sqlite3_column_int64(st, i++);
  }
  if (!r && rc != SQLITE_DONE)
    r = store_fail(s, err, "reading batches");
  sqlite3_finalize(st);
  return r;
}

/* The error-group key of a task, as SQL: its code, else its terminal state. */
#define GROUP_KEY "coalesce(t.error_code, t.state)"
#define FAILED_STATES STORE_PROBLEM_STATES("t.state")

static bt_status load_errors(bt_store *s, bt_qjob_detail *d, bt_error *err) {
  sqlite3_stmt *st, *sample;
  bt_status r = store_prepare(s,
                              "SELECT " GROUP_KEY ", count(*) FROM tasks t WHERE t.job_id = ?"
                              " AND " FAILED_STATES " GROUP BY 1 ORDER BY 2 DESC, 1",
                              &st, err);
  if (r)
    return r;
  r = store_prepare(s,
                    "SELECT a.error_message FROM tasks t JOIN attempts a"
                    " ON a.id = t.last_attempt_id WHERE t.job_id = ?1 AND " FAILED_STATES
                    " AND " GROUP_KEY " = ?2 AND a.error_message IS NOT NULL LIMIT 1",
                    &sample, err);
  if (r) {
    sqlite3_finalize(st);
    return r;
  }
  sqlite3_bind_text(st, 1, d->job.id, -1, SQLITE_TRANSIENT);
  size_t cap = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (grow((void **)&d->errors, d->n_errors, &cap, sizeof *d->errors)) {
      r = error_set(err, BT_ERR_NOMEM, "out of memory reading errors");
      break;
    }
    bt_qerror_group *g = &d->errors[d->n_errors++];
    g->code = col_dup(st, 0);
    g->n = sqlite3_column_int64(st, 1);
    sqlite3_reset(sample);
    sqlite3_bind_text(sample, 1, d->job.id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(sample, 2, g->code, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(sample) == SQLITE_ROW)
      g->sample = col_dup(sample, 0);
  }
  if (!r && rc != SQLITE_DONE)
    r = store_fail(s, err, "grouping errors");
  sqlite3_finalize(st);
  sqlite3_finalize(sample);
  return r;
}

static bt_status load_spark(bt_store *s, bt_qjob_detail *d, int n, int64_t now, bt_error *err) {
  if (n <= 0)
    return BT_OK;
  if (n > BT_QUERY_SPARK_MAX)
    n = BT_QUERY_SPARK_MAX;
  d->n_spark = n;
  int64_t start = d->job.created_at;
  int64_t end = d->job.finished_at > 0 ? d->job.finished_at : now;
  int64_t bucket = (end - start + n - 1) / n;
  if (bucket < 100) /* a job of seconds still spreads over the line */
    bucket = 100;
  d->spark_bucket_ms = bucket;
  sqlite3_stmt *st;
  bt_status r = store_prepare(s,
                              "SELECT (at - ?1) / ?2, total(n) FROM finish_log"
                              " WHERE job_id = ?3 AND at >= ?1 GROUP BY 1",
                              &st, err);
  if (r)
    return r;
  sqlite3_bind_int64(st, 1, start);
  sqlite3_bind_int64(st, 2, bucket);
  sqlite3_bind_text(st, 3, d->job.id, -1, SQLITE_TRANSIENT);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t b = sqlite3_column_int64(st, 0);
    if (b < 0)
      continue;
    if (b >= n)
      b = n - 1;
    d->spark[b] += sqlite3_column_int64(st, 1);
  }
  if (rc != SQLITE_DONE)
    r = store_fail(s, err, "reading completions");
  sqlite3_finalize(st);
  return r;
}

bt_status store_query_job(bt_store *s, const char *id, int64_t now_ms, int n_spark,
                          bt_qjob_detail *out, bt_error *err) {
  memset(out, 0, sizeof *out);
  sqlite3_stmt *st;
  bt_status r = store_prepare(
      s, "SELECT " JOB_COLUMNS ", template_path, input_path FROM jobs WHERE id = ?", &st, err);
  if (r)
    return r;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    read_job(st, &out->job);
    out->template_path = col_dup(st, 17);
    out->input_path = col_dup(st, 18);
  } else if (rc == SQLITE_DONE) {
    r = error_set(err, BT_ERR_NOT_FOUND, "no job '%s'", id);
  } else {
    r = store_fail(s, err, "reading a job");
  }
  sqlite3_finalize(st);
  if (r)
    return r;
  extras x;
  if ((r = extras_init(s, &x, err)) == BT_OK)
    r = extras_fill(s, &x, &out->job, now_ms, err);
  extras_cleanup(&x);
  if (!r)
    r = load_batches(s, out, err);
  if (!r)
    r = load_errors(s, out, err);
  if (!r)
    r = load_spark(s, out, n_spark, now_ms, err);
  if (!r)
    job_report_waiting(s, id, now_ms, out->waiting, sizeof out->waiting);
  return r;
}

bt_status store_query_batch(bt_store *s, const char *job_id, int64_t batch_id, bt_qbatch_info *out,
                            bt_error *err) {
  memset(out, 0, sizeof *out);
  sqlite3_stmt *st;
  bt_status r = store_prepare(s,
                              "SELECT chunk_no, round, n_requests, n_succeeded, n_failed, state,"
                              " remote_id, remote_status, input_file_id, output_file_id,"
                              " error_file_id FROM batches WHERE id = ? AND job_id = ?",
                              &st, err);
  if (r)
    return r;
  sqlite3_bind_int64(st, 1, batch_id);
  sqlite3_bind_text(st, 2, job_id, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    int i = 0;
    out->chunk_no = sqlite3_column_int64(st, i++);
    out->round = sqlite3_column_int64(st, i++);
    out->n_requests = sqlite3_column_int64(st, i++);
    out->n_succeeded = sqlite3_column_int64(st, i++);
    out->n_failed = sqlite3_column_int64(st, i++);
    out->state = col_dup(st, i++);
    out->remote_id = col_dup(st, i++);
    out->remote_status = col_dup(st, i++);
    out->input_file_id = col_dup(st, i++);
    out->output_file_id = col_dup(st, i++);
    out->error_file_id = col_dup(st, i++);
  } else if (rc == SQLITE_DONE) {
    r = error_set(err, BT_ERR_NOT_FOUND, "job %s has no batch %lld", job_id, (long long)batch_id);
  } else {
    r = store_fail(s, err, "reading a batch");
  }
  sqlite3_finalize(st);
  return r;
}

void store_query_batch_cleanup(bt_qbatch_info *b) {
  free(b->state);
  free(b->remote_id);
  free(b->remote_status);
  free(b->input_file_id);
  free(b->output_file_id);
  free(b->error_file_id);
  memset(b, 0, sizeof *b);
}

void store_query_job_cleanup(bt_qjob_detail *d) {
  job_free_strings(&d->job);
  free(d->template_path);
  free(d->input_path);
  for (size_t i = 0; i < d->n_batches; i++) {
    bt_qbatch *b = &d->batches[i];
    free(b->state);
    free(b->remote_id);
    free(b->remote_status);
    free(b->last_error);
  }
  free(d->batches);
  for (size_t i = 0; i < d->n_errors; i++) {
    free(d->errors[i].code);
    free(d->errors[i].sample);
  }
  free(d->errors);
  memset(d, 0, sizeof *d);
}

/* WHERE clause of a task page: ?1 job, ?2 state, ?3 group key, ?4 search pattern. */
static void tasks_where(const bt_qtasks_opts *o, int64_t batch_id, bt_buf *b, bt_status *r) {
  if (!*r)
    *r = buf_puts(b, " WHERE t.job_id = ?1");
  if (!*r && o->state >= 0)
    *r = buf_puts(b,
                  o->state == TASK_FAILED || o->state == TASK_EXPIRED || o->state == TASK_CANCELLED
                      ? " AND t.state = ?2 AND " FAILED_STATES /* the index of those */
                      : " AND t.state = ?2");
  if (!*r && o->error_code && o->error_code[0])
    *r = buf_puts(b, " AND " FAILED_STATES " AND " GROUP_KEY " = ?3");
  if (!*r && o->search && o->search[0])
    *r = buf_puts(b, " AND (t.custom_id LIKE ?4 ESCAPE '\\' OR t.output LIKE ?4 ESCAPE '\\'"
                     " OR (SELECT i.input FROM task_inputs i WHERE i.task_id = t.id) LIKE ?4"
                     " ESCAPE '\\')");
  if (!*r && batch_id > 0)
    *r = buf_puts(b, " AND t.id IN (SELECT a.task_id FROM attempts a WHERE a.batch_id = ?8)");
}

static void tasks_bind(sqlite3_stmt *st, const bt_qtasks_opts *o, int64_t batch_id,
                       const char *pat) {
  sqlite3_bind_text(st, 1, o->job_id, -1, SQLITE_TRANSIENT);
  if (o->state >= 0)
    sqlite3_bind_text(st, 2, task_state_name((bt_task_state)o->state), -1, SQLITE_STATIC);
  if (o->error_code && o->error_code[0])
    sqlite3_bind_text(st, 3, o->error_code, -1, SQLITE_TRANSIENT);
  if (pat)
    sqlite3_bind_text(st, 4, pat, -1, SQLITE_TRANSIENT);
  if (batch_id > 0)
    sqlite3_bind_int64(st, 8, batch_id);
}

static const char *const task_sort_names[] = {
#define BT_X(e, s) s,
    BT_QUERY_TASK_SORTS(BT_X)
#undef BT_X
};

const char *store_query_task_sort_name(bt_qtsort s) {
  return (unsigned)s < QTSORT_COUNT ? task_sort_names[s] : "?";
}

/* Per task, over its attempts (an index range each). */
#define TASK_COST "(SELECT total(a.cost_usd) FROM attempts a WHERE a.task_id = t.id)"
#define TASK_TOKENS                                                                                \
  "(SELECT total(coalesce(a.input_tokens, 0) + coalesce(a.output_tokens, 0)) FROM attempts a"      \
  " WHERE a.task_id = t.id)"

/* ORDER BY for a sort; row order breaks ties (and is the default). */
static const char *task_order(bt_qtsort sort, int reverse) {
  switch (sort) {
  case QTSORT_STATE:
    return reverse ? "CASE t.state WHEN 'failed' THEN 0 WHEN 'expired' THEN 1 WHEN 'cancelled'"
                     " THEN 2 WHEN 'running' THEN 3 WHEN 'pending' THEN 4 ELSE 5 END DESC,"
                     " t.row_no DESC"
                   : "CASE t.state WHEN 'failed' THEN 0 WHEN 'expired' THEN 1 WHEN 'cancelled'"
                     " THEN 2 WHEN 'running' THEN 3 WHEN 'pending' THEN 4 ELSE 5 END, t.row_no";
  case QTSORT_TRIES:
    return reverse ? "t.attempts, t.row_no DESC" : "t.attempts DESC, t.row_no";
  case QTSORT_COST:
    return reverse ? TASK_COST ", t.row_no DESC" : TASK_COST " DESC, t.row_no";
  case QTSORT_TOKENS:
    return reverse ? TASK_TOKENS ", t.row_no DESC" : TASK_TOKENS " DESC, t.row_no";
  default:
    return reverse ? "t.row_no DESC" : "t.row_no";
  }
}

bt_status store_query_tasks(bt_store *s, const bt_qtasks_opts *o, bt_qtask_list *out,
                            bt_error *err) {
  return store_query_tasks_ex(s, o, NULL, out, err);
}

bt_status store_query_tasks_ex(bt_store *s, const bt_qtasks_opts *o, const bt_qtasks_ext *ext,
                               bt_qtask_list *out, bt_error *err) {
  int64_t batch_id = ext ? ext->batch_id : 0;
  bt_qtsort sort = ext ? ext->sort : QTSORT_ROW;
  int reverse = ext ? ext->reverse : 0;
  memset(out, 0, sizeof *out);
  char *pat = (o->search && o->search[0]) ? like_pattern(o->search) : NULL;
  bt_buf where, sql;
  buf_init(&where, 0);
  buf_init(&sql, 0);
  sqlite3_stmt *st = NULL;
  bt_status r = BT_OK;
  tasks_where(o, batch_id, &where, &r);
  if (r)
    goto out;

  if (!pat && !(o->error_code && o->error_code[0]) && batch_id <= 0) {
    /* Counts kept by triggers: O(states), whatever the size of the job. */
    bt_counts c;
    if ((r = store_job_counts(s, o->job_id, &c, err)))
      goto out;
    out->total = o->state >= 0 && o->state < TASK_STATE_COUNT ? c.n[o->state] : c.total;
  } else {
    if ((r = buf_printf(&sql, "SELECT count(*) FROM tasks t%s", buf_str(&where))) ||
        (r = store_prepare(s, buf_str(&sql), &st, err)))
      goto out;
    tasks_bind(st, o, batch_id, pat);
    if (sqlite3_step(st) != SQLITE_ROW) {
      r = store_fail(s, err, "counting tasks");
      goto out;
    }
    out->total = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;
  }
  /* Nothing to list: a filter on a state with no task would otherwise walk every row of the
   * job (only failed, expired and cancelled tasks are indexed by state). */
  if (!out->total)
    goto out;

  /* Unfiltered, a job's rows are usually numbered 1..total without gaps (pipeline stages and
   * imports can leave gaps): then page k starts after row_no k, an index seek, where OFFSET
   * steps over every row before it (a 1M-task job's last page: ~0.2 s -> well under 1 ms). */
  int64_t offset = o->offset > 0 ? o->offset : 0, after = -1;
  if (!pat && o->state < 0 && !(o->error_code && o->error_code[0]) && batch_id <= 0 &&
      sort == QTSORT_ROW && !reverse && offset > 0) {
    int64_t gapless = 0;
    if ((r = store_query_int(s, err, &gapless, 0,
                             /* two subqueries: each is an index seek, where min() and
                              * max() in one SELECT scan the job's rows */
                             "SELECT (SELECT min(row_no) FROM tasks WHERE job_id = ?1) = 1 AND"
                             " (SELECT max(row_no) FROM tasks WHERE job_id = ?1) = ?2",
                             "ti", o->job_id, out->total)))
      goto out;
    if (gapless)
      after = offset;
  }
  buf_reset(&sql);
  if ((r = buf_printf(&sql,
                      "SELECT t.id, t.row_no, t.attempts, t.updated_at, t.custom_id, t.state,"
                      " t.error_code, CASE WHEN " FAILED_STATES
                      " THEN coalesce((SELECT a.error_message FROM attempts a"
                      " WHERE a.id = t.last_attempt_id), t.error_code, t.state)"
                      " ELSE substr(coalesce(t.output, (SELECT i.input FROM task_inputs i"
                      " WHERE i.task_id = t.id)), 1, 200) END, " TASK_COST ", " TASK_TOKENS
                      " FROM tasks t%s%s ORDER BY %s LIMIT ?5 OFFSET ?6",
                      buf_str(&where), after >= 0 ? " AND t.row_no > ?7" : "",
                      task_order(sort, reverse))) ||
      (r = store_prepare(s, buf_str(&sql), &st, err)))
    goto out;
  tasks_bind(st, o, batch_id, pat);
  int64_t limit = o->limit > 0 ? o->limit : 100;
  sqlite3_bind_int64(st, 5, limit);
  sqlite3_bind_int64(st, 6, after >= 0 ? 0 : offset);
  if (after >= 0)
    sqlite3_bind_int64(st, 7, after);
  out->rows = calloc((size_t)limit, sizeof *out->rows);
  if (!out->rows) {
    r = error_set(err, BT_ERR_NOMEM, "out of memory listing tasks");
    goto out;
  }
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->n < (size_t)limit) {
    bt_qtask *t = &out->rows[out->n++];
    t->id = sqlite3_column_int64(st, 0);
    t->row_no = sqlite3_column_int64(st, 1);
    t->attempts = sqlite3_column_int64(st, 2);
    t->updated_at = sqlite3_column_int64(st, 3);
    t->custom_id = col_dup(st, 4);
    t->state = col_dup(st, 5);
    t->error_code = col_dup(st, 6);
    t->snippet = col_dup(st, 7);
    t->cost_usd = sqlite3_column_double(st, 8);
    t->tokens = sqlite3_column_int64(st, 9);
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    r = store_fail(s, err, "listing tasks");
out:
  sqlite3_finalize(st);
  buf_cleanup(&where);
  buf_cleanup(&sql);
  free(pat);
  return r;
}

void store_query_tasks_cleanup(bt_qtask_list *l) {
  for (size_t i = 0; i < l->n; i++) {
    free(l->rows[i].custom_id);
    free(l->rows[i].state);
    free(l->rows[i].error_code);
    free(l->rows[i].snippet);
  }
  free(l->rows);
  memset(l, 0, sizeof *l);
}

static bt_status load_attempts(bt_store *s, int64_t task_id, bt_qattempt **arr, size_t *n,
                               bt_error *err);

bt_status store_query_task(bt_store *s, int64_t task_id, bt_qtask_detail *out, bt_error *err) {
  memset(out, 0, sizeof *out);
  sqlite3_stmt *st;
  bt_status r = store_prepare(s,
                              "SELECT t.id, t.job_id, t.row_no, t.line_no, t.custom_id,"
                              " t.state, i.input, i.request, t.error_code, t.output,"
                              " t.attempts, t.updated_at FROM tasks t LEFT JOIN task_inputs i"
                              " ON i.task_id = t.id WHERE t.id = ?",
                              &st, err);
  if (r)
    return r;
  sqlite3_bind_int64(st, 1, task_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    out->id = sqlite3_column_int64(st, 0);
    util_strlcpy(out->job_id, (const char *)sqlite3_column_text(st, 1), sizeof out->job_id);
    out->row_no = sqlite3_column_int64(st, 2);
    out->line_no = sqlite3_column_int64(st, 3);
    out->custom_id = col_dup(st, 4);
    out->state = col_dup(st, 5);
    out->input = col_dup(st, 6);
    out->request = col_dup(st, 7);
    out->error_code = col_dup(st, 8);
    out->output = col_dup(st, 9);
    out->n_attempts = sqlite3_column_int64(st, 10);
    out->updated_at = sqlite3_column_int64(st, 11);
  } else if (rc == SQLITE_DONE) {
    r = error_set(err, BT_ERR_NOT_FOUND, "no task %lld", (long long)task_id);
  } else {
    r = store_fail(s, err, "reading a task");
  }
  sqlite3_finalize(st);
  if (r)
    return r;
  return load_attempts(s, task_id, &out->attempts, &out->n_att, err);
}

/* Every attempt at a task, oldest first, into *arr (grown; the caller frees). */
static bt_status load_attempts(bt_store *s, int64_t task_id, bt_qattempt **arr, size_t *n,
                               bt_error *err) {
  sqlite3_stmt *st;
  bt_status r;
  int rc;
  if ((r = store_prepare(s,
                         "SELECT a.id, a.attempt_no, a.batch_id, coalesce(a.http_status, 0),"
                         " a.state, b.remote_id, r.body, a.output, a.error_code,"
                         " a.error_message, a.input_tokens, a.output_tokens, a.cached_tokens,"
                         " a.cost_usd, a.created_at, coalesce(a.finished_at, 0)"
                         " FROM attempts a LEFT JOIN batches b ON b.id = a.batch_id"
                         " LEFT JOIN responses r ON r.id = a.response_id"
                         " WHERE a.task_id = ? ORDER BY a.attempt_no, a.id",
                         &st, err)))
    return r;
  sqlite3_bind_int64(st, 1, task_id);
  size_t cap = *n;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (grow((void **)arr, *n, &cap, sizeof **arr)) {
      r = error_set(err, BT_ERR_NOMEM, "out of memory reading attempts");
      break;
    }
    bt_qattempt *a = &(*arr)[(*n)++];
    int i = 0;
    a->id = sqlite3_column_int64(st, i++);
    a->attempt_no = sqlite3_column_int64(st, i++);
    a->batch_id = sqlite3_column_int64(st, i++);
    a->http_status = sqlite3_column_int64(st, i++);
    a->state = col_dup(st, i++);
    a->batch_remote_id = col_dup(st, i++);
    a->response = col_dup(st, i++);
    a->output = col_dup(st, i++);
    a->error_code = col_dup(st, i++);
    a->error_message = col_dup(st, i++);
    a->input_tokens = sqlite3_column_int64(st, i++);
    a->output_tokens = sqlite3_column_int64(st, i++);
    a->cached_tokens = sqlite3_column_int64(st, i++);
    a->cost_usd = sqlite3_column_double(st, i++);
    a->created_at = sqlite3_column_int64(st, i++);
    a->finished_at = sqlite3_column_int64(st, i++);
  }
  if (!r && rc != SQLITE_DONE)
    r = store_fail(s, err, "reading attempts");
  sqlite3_finalize(st);
  return r;
}

static void attempts_free(bt_qattempt *arr, size_t n) {
  for (size_t i = 0; i < n; i++) {
    bt_qattempt *a = &arr[i];
    free(a->state);
    free(a->batch_remote_id);
    free(a->response);
    free(a->output);
    free(a->error_code);
    free(a->error_message);
  }
  free(arr);
}

void store_query_task_cleanup(bt_qtask_detail *d) {
  free(d->custom_id);
  free(d->state);
  free(d->input);
  free(d->request);
  free(d->error_code);
  free(d->output);
  attempts_free(d->attempts, d->n_att);
  memset(d, 0, sizeof *d);
}

/* The row's task in one stage (state, output) and whether the stage skipped it. */
static bt_status lineage_stage(bt_store *s, sqlite3_stmt *task, sqlite3_stmt *skip,
                               bt_qlineage_stage *g, int64_t row_no, const char *before,
                               bt_error *err) {
  sqlite3_reset(task);
  sqlite3_bind_text(task, 1, g->job_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(task, 2, row_no);
  int rc = sqlite3_step(task);
  if (rc == SQLITE_ROW) {
    g->task_id = sqlite3_column_int64(task, 0);
    g->status = col_dup(task, 1);
    g->output = col_dup(task, 2);
    return load_attempts(s, g->task_id, &g->attempts, &g->n_att, err);
  }
  if (rc != SQLITE_DONE)
    return store_fail(s, err, "reading a row's task");
  sqlite3_reset(skip);
  sqlite3_bind_text(skip, 1, g->job_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(skip, 2, row_no);
  rc = sqlite3_step(skip);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return store_fail(s, err, "reading a row's skip");
  g->status = util_xstrdup(pipeline_absent_status(rc == SQLITE_ROW, before));
  return BT_OK;
}

bt_status store_query_lineage(bt_store *s, const char *job_id, int64_t row_no, bt_qlineage *out,
                              bt_error *err) {
  memset(out, 0, sizeof *out);
  out->row_no = row_no;
  sqlite3_stmt *st = NULL, *task = NULL, *skip = NULL;
  bt_status r = store_prepare(s,
                              "SELECT p.name, j.id, j.stage_no, j.stage_name, j.provider, j.model"
                              " FROM jobs o JOIN pipelines p ON p.id = o.pipeline_id"
                              " JOIN jobs j ON j.pipeline_id = p.id WHERE o.id = ?"
                              " ORDER BY j.stage_no",
                              &st, err);
  if (!r)
    r = store_prepare(s, "SELECT id, state, output FROM tasks WHERE job_id = ?1 AND row_no = ?2",
                      &task, err);
  if (!r)
    r = store_prepare(s, "SELECT 1 FROM pipeline_skips WHERE job_id = ?1 AND row_no = ?2", &skip,
                      err);
  if (r)
    goto out;
  sqlite3_bind_text(st, 1, job_id, -1, SQLITE_TRANSIENT);
  size_t cap = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (grow((void **)&out->stages, out->n, &cap, sizeof *out->stages)) {
      r = error_set(err, BT_ERR_NOMEM, "out of memory reading a lineage");
      goto out;
    }
    if (!out->pipeline_name)
      out->pipeline_name = col_dup(st, 0);
    bt_qlineage_stage *g = &out->stages[out->n++];
    util_strlcpy(g->job_id, (const char *)sqlite3_column_text(st, 1), sizeof g->job_id);
    g->stage_no = sqlite3_column_int64(st, 2);
    g->stage_name = col_dup(st, 3);
    g->provider = col_dup(st, 4);
    g->model = col_dup(st, 5);
    const char *before = out->n > 1 ? out->stages[out->n - 2].status : NULL;
    if ((r = lineage_stage(s, task, skip, g, row_no, before, err)))
      goto out;
  }
  if (rc != SQLITE_DONE)
    r = store_fail(s, err, "reading a lineage");
out:
  sqlite3_finalize(st);
  sqlite3_finalize(task);
  sqlite3_finalize(skip);
  return r;
}

void store_query_lineage_cleanup(bt_qlineage *l) {
  for (size_t i = 0; i < l->n; i++) {
    bt_qlineage_stage *g = &l->stages[i];
    free(g->stage_name);
    free(g->provider);
    free(g->model);
    free(g->status);
    free(g->output);
    attempts_free(g->attempts, g->n_att);
  }
  free(l->stages);
  free(l->pipeline_name);
  memset(l, 0, sizeof *l);
}

int64_t store_query_data_version(bt_store *s) {
  sqlite3_stmt *st;
  int64_t v = -1;
  if (sqlite3_prepare_v2(store_db(s), "PRAGMA data_version", -1, &st, NULL) == SQLITE_OK) {
    if (sqlite3_step(st) == SQLITE_ROW)
      v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  return v;
}

bt_status store_query_job_name(bt_store *s, const char *id, char *buf, size_t size, bt_error *err) {
  if (size)
    buf[0] = '\0';
  sqlite3_stmt *st;
  bt_status r = store_prepare(s, "SELECT name FROM jobs WHERE id = ?", &st, err);
  if (r)
    return r;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    util_strlcpy(buf, (const char *)sqlite3_column_text(st, 0), size);
  else if (rc != SQLITE_DONE)
    r = store_fail(s, err, "reading a job name");
  sqlite3_finalize(st);
  return r;
}

void store_query_progress(const bt_qjob *j, bt_counts *out) {
  *out = j->counts;
  /* Never more than the tasks still running (a provider count can run ahead of the store). */
  int64_t ok = j->reported_ok, bad = j->reported_failed;
  if (ok > out->n[TASK_RUNNING])
    ok = out->n[TASK_RUNNING];
  if (bad > out->n[TASK_RUNNING] - ok)
    bad = out->n[TASK_RUNNING] - ok;
  if (ok < 0 || bad < 0)
    return;
  out->n[TASK_RUNNING] -= ok + bad;
  out->n[TASK_SUCCEEDED] += ok;
  out->n[TASK_FAILED] += bad;
}
