/* store_job: jobs, counts, task insertion. */
#include "store_job.h"

#include <stdlib.h>
#include <string.h>

#include "store_sql.h"
#include "util.h"

static const char *const task_state_names[] = {
#define BT_X(e, s) s,
    BT_TASK_STATES(BT_X)
#undef BT_X
};

const char *task_state_name(bt_task_state s) {
  return (unsigned)s < TASK_STATE_COUNT ? task_state_names[s] : "unknown";
}

int task_state_parse(const char *name) {
  for (int i = 0; i < TASK_STATE_COUNT; i++)
    if (strcmp(task_state_names[i], name) == 0)
      return i;
  return -1;
}

void job_init(bt_job *job) {
  memset(job, 0, sizeof *job);
  job->max_cost_usd = -1;
}

void job_cleanup(bt_job *job) {
  char **strs[] = {&job->name,          &job->provider,     &job->model,
                   &job->endpoint,      &job->state,        &job->template_path,
                   &job->template_text, &job->input_path,   &job->input_format,
                   &job->input_fields,  &job->options,      &job->last_error,
                   &job->pipeline_id,   &job->stage_name};
  for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
    free(*strs[i]);
    *strs[i] = NULL;
  }
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *v) {
  if (v)
    sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(st, i);
}

bt_status store_job_insert(bt_store *s, bt_job *job, bt_error *err) {
  if (!job->id[0])
    util_random_id(job->id, BT_JOB_ID_LEN);
  int64_t now = util_now_ms();
  if (!job->created_at)
    job->created_at = now;
  if (!job->updated_at)
    job->updated_at = job->created_at;
  sqlite3_stmt *st;
  bt_status r = store_prepare(
      s,
      "INSERT INTO jobs(id, name, provider, model, endpoint, state, template_path,"
      " template_text, input_path, input_format, input_fields, options, chunk_size,"
      " max_cost_usd, est_cost_usd, est_cost_std_usd, est_input_tokens, est_output_tokens,"
      " pipeline_id, stage_no, stage_name, hold, created_at, updated_at)"
      " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
      &st, err);
  if (r)
    return r;
  int i = 1;
  sqlite3_bind_text(st, i++, job->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, i++, job->name ? job->name : job->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, i++, job->provider ? job->provider : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, i++, job->model ? job->model : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, i++, job->endpoint ? job->endpoint : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, i++, job->state ? job->state : "draft", -1, SQLITE_TRANSIENT);
  bind_text_or_null(st, i++, job->template_path);
  bind_text_or_null(st, i++, job->template_text);
  bind_text_or_null(st, i++, job->input_path);
  bind_text_or_null(st, i++, job->input_format);
  sqlite3_bind_text(st, i++, job->input_fields ? job->input_fields : "[]", -1,
                    SQLITE_TRANSIENT);
  sqlite3_bind_text(st, i++, job->options ? job->options : "{}", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, i++, job->chunk_size);
  if (job->max_cost_usd >= 0)
    sqlite3_bind_double(st, i++, job->max_cost_usd);
  else
    sqlite3_bind_null(st, i++);
  sqlite3_bind_double(st, i++, job->est_cost_usd);
  sqlite3_bind_double(st, i++, job->est_cost_std_usd);
  sqlite3_bind_int64(st, i++, job->est_input_tokens);
  sqlite3_bind_int64(st, i++, job->est_output_tokens);
  bind_text_or_null(st, i++, job->pipeline_id);
  if (job->pipeline_id)
    sqlite3_bind_int64(st, i++, job->stage_no);
  else
    sqlite3_bind_null(st, i++);
  bind_text_or_null(st, i++, job->stage_name);
  sqlite3_bind_int64(st, i++, job->hold);
  sqlite3_bind_int64(st, i++, job->created_at);
  sqlite3_bind_int64(st, i++, job->updated_at);
  if (sqlite3_step(st) != SQLITE_DONE)
    r = store_fail(s, err, "inserting a job");
  sqlite3_finalize(st);
  return r;
}

static char *col_dup(sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? util_xstrdup((const char *)t) : NULL;
}

bt_status store_job_get(bt_store *s, const char *id, bt_job *out, bt_error *err) {
  job_init(out);
  sqlite3_stmt *st;
  bt_status r = store_prepare(
      s,
      "SELECT id, name, provider, model, endpoint, state, template_path, template_text,"
      " input_path, input_format, input_fields, options, chunk_size, max_cost_usd,"
      " est_cost_usd, est_cost_std_usd, est_input_tokens, est_output_tokens,"
      " actual_cost_usd, actual_input_tokens, actual_output_tokens, last_error,"
      " pipeline_id, stage_no, stage_name, hold, created_at, updated_at, finished_at"
      " FROM jobs WHERE id = ?",
      &st, err);
  if (r)
    return r;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    int i = 0;
    util_strlcpy(out->id, (const char *)sqlite3_column_text(st, i++), sizeof out->id);
    out->name = col_dup(st, i++);
    out->provider = col_dup(st, i++);
    out->model = col_dup(st, i++);
    out->endpoint = col_dup(st, i++);
    out->state = col_dup(st, i++);
    out->template_path = col_dup(st, i++);
    out->template_text = col_dup(st, i++);
    out->input_path = col_dup(st, i++);
    out->input_format = col_dup(st, i++);
    out->input_fields = col_dup(st, i++);
    out->options = col_dup(st, i++);
    out->chunk_size = sqlite3_column_int64(st, i++);
    out->max_cost_usd =
        sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_double(st, i);
    i++;
    out->est_cost_usd = sqlite3_column_double(st, i++);
    out->est_cost_std_usd = sqlite3_column_double(st, i++);
    out->est_input_tokens = sqlite3_column_int64(st, i++);
    out->est_output_tokens = sqlite3_column_int64(st, i++);
    out->actual_cost_usd = sqlite3_column_double(st, i++);
    out->actual_input_tokens = sqlite3_column_int64(st, i++);
    out->actual_output_tokens = sqlite3_column_int64(st, i++);
    out->last_error = col_dup(st, i++);
    out->pipeline_id = col_dup(st, i++);
    out->stage_no = sqlite3_column_int64(st, i++);
    out->stage_name = col_dup(st, i++);
    out->hold = sqlite3_column_int64(st, i++);
    out->created_at = sqlite3_column_int64(st, i++);
    out->updated_at = sqlite3_column_int64(st, i++);
    out->finished_at = sqlite3_column_int64(st, i++);
  } else if (rc == SQLITE_DONE) {
    r = error_set(err, BT_ERR_NOT_FOUND, "no job '%s'", id);
  } else {
    r = store_fail(s, err, "reading a job");
  }
  sqlite3_finalize(st);
  return r;
}

bt_status store_job_resolve(bt_store *s, const char *ref, char id_out[BT_JOB_ID_LEN + 1],
                            bt_error *err) {
  sqlite3_stmt *st;
  /* Exact id first, then the newest job with that exact name. */
  bt_status r = store_prepare(s,
                              "SELECT id FROM jobs WHERE id = ?1 UNION ALL"
                              " SELECT id FROM (SELECT id FROM jobs WHERE name = ?1"
                              " ORDER BY created_at DESC LIMIT 1)",
                              &st, err);
  if (r)
    return r;
  sqlite3_bind_text(st, 1, ref, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    util_strlcpy(id_out, (const char *)sqlite3_column_text(st, 0), BT_JOB_ID_LEN + 1);
    sqlite3_finalize(st);
    return BT_OK;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return store_fail(s, err, "finding a job");
  if (strlen(ref) < 3)
    return error_set(err, BT_ERR_NOT_FOUND, "no job '%s' (try `batchtop jobs`)", ref);
  r = store_prepare(s, "SELECT id FROM jobs WHERE substr(id, 1, length(?1)) = ?1 LIMIT 2",
                    &st, err);
  if (r)
    return r;
  sqlite3_bind_text(st, 1, ref, -1, SQLITE_TRANSIENT);
  int found = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (found == 0)
      util_strlcpy(id_out, (const char *)sqlite3_column_text(st, 0), BT_JOB_ID_LEN + 1);
    found++;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return store_fail(s, err, "finding a job");
  if (found == 0)
    return error_set(err, BT_ERR_NOT_FOUND, "no job '%s' (try `batchtop jobs`)", ref);
  if (found > 1)
    return error_set(err, BT_ERR_USAGE, "'%s' matches more than one job; type more of the id",
                     ref);
  return BT_OK;
}

bt_status store_job_ids(bt_store *s, const char *sql, const char *arg,
                        char (**ids)[BT_JOB_ID_LEN + 1], size_t *n, bt_error *err) {
  *ids = NULL;
  *n = 0;
  sqlite3_stmt *st;
  bt_status r = store_prepare(s, sql, &st, err);
  if (r)
    return r;
  if (arg)
    sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
  size_t cap = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (*n == cap) {
      cap = cap ? cap * 2 : 16;
      char(*p)[BT_JOB_ID_LEN + 1] = realloc(*ids, cap * sizeof **ids);
      if (!p) {
        r = error_set(err, BT_ERR_NOMEM, "out of memory");
        break;
      }
      *ids = p;
    }
    util_strlcpy((*ids)[(*n)++], (const char *)sqlite3_column_text(st, 0), BT_JOB_ID_LEN + 1);
  }
  if (!r && rc != SQLITE_DONE)
    r = store_fail(s, err, "listing jobs");
  sqlite3_finalize(st);
  if (r) {
    free(*ids);
    *ids = NULL;
    *n = 0;
  }
  return r;
}

bt_status store_job_list_ids(bt_store *s, char (**ids)[BT_JOB_ID_LEN + 1], size_t *n,
                             bt_error *err) {
  return store_job_ids(s, "SELECT id FROM jobs ORDER BY created_at DESC, id DESC", NULL, ids, n,
                       err);
}

bt_status store_job_set_state(bt_store *s, const char *id, const char *state, bt_error *err) {
  sqlite3_stmt *st;
  bt_status r = store_prepare(
      s,
      "UPDATE jobs SET state = ?2, updated_at = ?3, finished_at = CASE WHEN ?2 IN"
      " ('completed','failed','cancelled') THEN ?3 ELSE NULL END WHERE id = ?1",
      &st, err);
  if (r)
    return r;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, state, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 3, util_now_ms());
  if (sqlite3_step(st) != SQLITE_DONE)
    r = store_fail(s, err, "updating a job");
  else if (sqlite3_changes(store_db(s)) == 0)
    r = error_set(err, BT_ERR_NOT_FOUND, "no job '%s'", id);
  sqlite3_finalize(st);
  return r;
}

static bt_status counts_query(bt_store *s, const char *sql, const char *id, bt_counts *out,
                              bt_error *err) {
  memset(out, 0, sizeof *out);
  sqlite3_stmt *st;
  bt_status r = store_prepare(s, sql, &st, err);
  if (r)
    return r;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int k = task_state_parse((const char *)sqlite3_column_text(st, 0));
    int64_t n = sqlite3_column_int64(st, 1);
    if (k >= 0)
      out->n[k] += n;
    out->total += n;
  }
  if (rc != SQLITE_DONE)
    r = store_fail(s, err, "counting tasks");
  sqlite3_finalize(st);
  return r;
}

bt_status store_job_counts(bt_store *s, const char *id, bt_counts *out, bt_error *err) {
  return counts_query(s, "SELECT state, n FROM job_counts WHERE job_id = ?", id, out, err);
}

bt_status store_job_counts_add(bt_store *s, const char *id, bt_task_state state, int64_t n,
                               bt_error *err) {
  return store_run(s, err, "counting tasks", NULL,
                   "INSERT INTO job_counts(job_id, state, n) VALUES (?, ?, ?)"
                   " ON CONFLICT(job_id, state) DO UPDATE SET n = n + excluded.n",
                   "tti", id, task_state_name(state), n);
}

bt_status store_job_output_per_task(bt_store *s, const char *id, double *out, bt_error *err) {
  *out = 0;
  sqlite3_stmt *st;
  bt_status r = store_prepare(
      s,
      "SELECT me.est_output_tokens * 1.0 / max(1, (SELECT count(*) FROM tasks WHERE job_id ="
      " coalesce((SELECT f.id FROM jobs f WHERE f.pipeline_id = me.pipeline_id AND"
      " f.stage_no = 1), me.id))) FROM jobs me WHERE me.id = ?",
      &st, err);
  if (r)
    return r;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    *out = sqlite3_column_double(st, 0);
  else if (rc != SQLITE_DONE)
    r = store_fail(s, err, "reading a job's estimate");
  sqlite3_finalize(st);
  return r;
}

bt_status store_job_counts_scan(bt_store *s, const char *id, bt_counts *out, bt_error *err) {
  return counts_query(s, "SELECT state, count(*) FROM tasks WHERE job_id = ? GROUP BY state",
                      id, out, err);
}

struct bt_task_inserter {
  bt_store *s;
  sqlite3_stmt *st, *st_inputs;
  char job_id[BT_JOB_ID_LEN + 1];
  int64_t now;
};

bt_status store_task_inserter_new(bt_store *s, const char *job_id, bt_task_inserter **out,
                                  bt_error *err) {
  *out = NULL;
  bt_task_inserter *ins = calloc(1, sizeof *ins);
  if (!ins)
    return error_set(err, BT_ERR_NOMEM, "out of memory");
  bt_status r = store_prepare(
      s,
      "INSERT INTO tasks(job_id, row_no, line_no, custom_id, state, request_bytes,"
      " est_input_tokens, updated_at, attempts, last_attempt_id) VALUES"
      " (?,?,?,?,'pending',?,?,?,?,?)",
      &ins->st, err);
  if (!r)
    r = store_prepare(s, "INSERT INTO task_inputs(task_id, input, request) VALUES (?,?,?)",
                      &ins->st_inputs, err);
  if (r) {
    sqlite3_finalize(ins->st);
    free(ins);
    return r;
  }
  ins->s = s;
  util_strlcpy(ins->job_id, job_id, sizeof ins->job_id);
  ins->now = util_now_ms();
  *out = ins;
  return BT_OK;
}

bt_status store_task_insert(bt_task_inserter *ins, const bt_task_new *t, bt_error *err) {
  sqlite3_stmt *st = ins->st;
  sqlite3_reset(st);
  sqlite3_bind_text(st, 1, ins->job_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, t->row_no);
  sqlite3_bind_int64(st, 3, t->line_no);
  sqlite3_bind_text(st, 4, t->custom_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, (int64_t)strlen(t->request));
  sqlite3_bind_int64(st, 6, t->est_input_tokens);
  sqlite3_bind_int64(st, 7, ins->now);
  sqlite3_bind_int64(st, 8, t->first_attempt > 0);
  if (t->first_attempt > 0)
    sqlite3_bind_int64(st, 9, t->first_attempt);
  else
    sqlite3_bind_null(st, 9);
  int rc = sqlite3_step(st);
  bt_status r = BT_OK;
  if (rc != SQLITE_DONE) {
    if (sqlite3_extended_errcode(store_db(ins->s)) == SQLITE_CONSTRAINT_UNIQUE)
      r = error_set(err, BT_ERR_EXISTS, "row %lld: custom_id '%s' is used twice",
                    (long long)t->row_no, t->custom_id);
    else
      r = store_fail(ins->s, err, "inserting a task");
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (r)
    return r;
  st = ins->st_inputs;
  sqlite3_bind_int64(st, 1, sqlite3_last_insert_rowid(store_db(ins->s)));
  sqlite3_bind_text(st, 2, t->input ? t->input : "{}", -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, t->request, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE)
    r = store_fail(ins->s, err, "inserting a task");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return r;
}

void store_task_inserter_free(bt_task_inserter *ins) {
  if (!ins)
    return;
  sqlite3_finalize(ins->st);
  sqlite3_finalize(ins->st_inputs);
  free(ins);
}

bt_status store_task_set_state(bt_store *s, int64_t task_id, bt_task_state state,
                               bt_error *err) {
  sqlite3_stmt *st;
  bt_status r = store_prepare(s, "UPDATE tasks SET state = ?, updated_at = ? WHERE id = ?",
                              &st, err);
  if (r)
    return r;
  sqlite3_bind_text(st, 1, task_state_name(state), -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, util_now_ms());
  sqlite3_bind_int64(st, 3, task_id);
  if (sqlite3_step(st) != SQLITE_DONE)
    r = store_fail(s, err, "updating a task");
  else if (sqlite3_changes(store_db(s)) == 0)
    r = error_set(err, BT_ERR_NOT_FOUND, "no task %lld", (long long)task_id);
  sqlite3_finalize(st);
  return r;
}
