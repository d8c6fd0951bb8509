/* store_attempt: attempts and idempotent result ingestion. */
#include "store_attempt.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "secret.h"
#include "store_sql.h"
#include "util.h"

bt_status store_attempt_insert(bt_store *s, const char *job_id, int64_t task_id,
                               int64_t batch_id, bt_error *err) {
  bt_status r = store_run(s, err, "inserting an attempt", NULL,
                          "INSERT INTO attempts(task_id, batch_id, job_id, attempt_no, state,"
                          " created_at) VALUES (?1, ?2, ?3, (SELECT attempts + 1 FROM tasks"
                          " WHERE id = ?1), 'running', ?4)",
                          "iiti", task_id, batch_id, job_id, util_now_ms());
  if (r)
    return r;
  int64_t aid = sqlite3_last_insert_rowid(store_db(s));
  return store_run(s, err, "updating a task", NULL,
                   "UPDATE tasks SET attempts = attempts + 1, last_attempt_id = ? WHERE id = ?",
                   "ii", aid, task_id);
}

bt_status store_attempt_each(bt_store *s, int64_t batch_id, int only_running, int64_t after_id,
                             int64_t limit, bt_attempt_fn fn, void *ud, bt_error *err) {
  sqlite3_stmt *st;
  bt_status r = store_prepare(
      s,
      only_running
          ? "SELECT t.custom_id, t.request, a.id, t.id, t.est_input_tokens FROM attempts a"
            " JOIN tasks t ON t.id = a.task_id WHERE a.batch_id = ?1 AND a.state = 'running'"
            " AND a.id > ?2 ORDER BY a.id LIMIT ?3"
          : "SELECT t.custom_id, t.request, a.id, t.id, t.est_input_tokens FROM attempts a"
            " JOIN tasks t ON t.id = a.task_id WHERE a.batch_id = ?1 AND a.id > ?2"
            " ORDER BY t.row_no LIMIT ?3",
      &st, err);
  if (r)
    return r;
  sqlite3_bind_int64(st, 1, batch_id);
  sqlite3_bind_int64(st, 2, after_id);
  sqlite3_bind_int64(st, 3, limit > 0 ? limit : INT64_MAX);
  int rc;
  int64_t i = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    r = fn(ud, i++, (const char *)sqlite3_column_text(st, 0),
           (const char *)sqlite3_column_text(st, 1), sqlite3_column_int64(st, 2),
           sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4));
    if (r)
      break;
  }
  if (!r && rc != SQLITE_DONE)
    r = store_fail(s, err, "reading a batch's tasks");
  sqlite3_finalize(st);
  return r;
}

bt_status store_attempt_tasks_running(bt_store *s, int64_t batch_id, bt_error *err) {
  return store_run(s, err, "updating tasks", NULL,
                   "UPDATE tasks SET state = 'running', updated_at = ?2 WHERE state = 'pending'"
                   " AND last_attempt_id IN (SELECT id FROM attempts WHERE batch_id = ?1 AND"
                   " state = 'running')",
                   "ii", batch_id, util_now_ms());
}

struct bt_ingest {
  bt_store *s;
  int autocreate;
  sqlite3_stmt *find, *upd_attempt, *upd_task;
  char job_id[16];
  int64_t batch_id;
  char *provider, *model;
};

bt_status ingest_new(bt_store *s, const char *job_id, int64_t batch_id, const char *provider,
                     const char *model, bt_ingest **out, bt_error *err) {
  *out = NULL;
  bt_ingest *g = calloc(1, sizeof *g);
  if (!g)
    return error_set(err, BT_ERR_NOMEM, "out of memory");
  g->s = s;
  util_strlcpy(g->job_id, job_id, sizeof g->job_id);
  g->batch_id = batch_id;
  g->provider = util_xstrdup(provider ? provider : "");
  g->model = util_xstrdup(model ? model : "");
  bt_status r = store_prepare(s,
                              "SELECT a.id, a.task_id FROM tasks t JOIN attempts a ON"
                              " a.task_id = t.id AND a.batch_id = ?3 WHERE t.job_id = ?1 AND"
                              " t.custom_id = ?2",
                              &g->find, err);
  if (!r)
    r = store_prepare(s,
                      "UPDATE attempts SET state = ?2, http_status = ?3, response = ?4,"
                      " output = ?5, error_code = ?6, error_message = ?7, input_tokens = ?8,"
                      " output_tokens = ?9, cached_tokens = ?10, cost_usd = ?11,"
                      " finished_at = ?12 WHERE id = ?1 AND state = 'running'",
                      &g->upd_attempt, err);
  if (!r)
    r = store_prepare(s,
                      "UPDATE tasks SET state = ?2, output = ?3, error_code = ?4,"
                      " updated_at = ?5, last_attempt_id = CASE WHEN ?2 = 'succeeded' THEN ?6"
                      " ELSE last_attempt_id END WHERE id = ?1 AND state <> 'succeeded' AND"
                      " (last_attempt_id = ?6 OR ?2 = 'succeeded')",
                      &g->upd_task, err);
  if (r) {
    ingest_free(g);
    return r;
  }
  *out = g;
  return BT_OK;
}

void ingest_set_autocreate(bt_ingest *g, int on) { g->autocreate = on; }

void ingest_free(bt_ingest *g) {
  if (!g)
    return;
  sqlite3_finalize(g->find);
  sqlite3_finalize(g->upd_attempt);
  sqlite3_finalize(g->upd_task);
  free(g->provider);
  free(g->model);
  free(g);
}

static void bind_text(sqlite3_stmt *st, int i, const char *v, int scrub) {
  if (!v) {
    sqlite3_bind_null(st, i);
    return;
  }
  if (scrub && secret_contains(v)) {
    char *c = util_xstrdup(v);
    secret_scrub(c);
    sqlite3_bind_text(st, i, c, -1, free);
    return;
  }
  sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

bt_status ingest_result_attempt(bt_ingest *g, int64_t attempt_id, int64_t task_id,
                                const bt_result *r, int *applied, bt_error *err) {
  *applied = 0;
  const char *state = task_state_name(r->state);
  double cost = r->state == TASK_SUCCEEDED || r->input_tokens || r->output_tokens
                    ? provider_cost_usd(g->provider, g->model, r->input_tokens,
                                        r->output_tokens)
                    : 0.0;
  int64_t now = util_now_ms();
  sqlite3_stmt *st = g->upd_attempt;
  sqlite3_bind_int64(st, 1, attempt_id);
  sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
  if (r->http_status)
    sqlite3_bind_int64(st, 3, r->http_status);
  else
    sqlite3_bind_null(st, 3);
  bind_text(st, 4, r->response, 1);
  bind_text(st, 5, r->output, 1);
  bind_text(st, 6, r->error_code, 1);
  bind_text(st, 7, r->error_message, 1);
  sqlite3_bind_int64(st, 8, r->input_tokens);
  sqlite3_bind_int64(st, 9, r->output_tokens);
  sqlite3_bind_int64(st, 10, r->cached_tokens);
  sqlite3_bind_double(st, 11, cost);
  sqlite3_bind_int64(st, 12, now);
  int rc = sqlite3_step(st);
  int changed = sqlite3_changes(store_db(g->s));
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE)
    return store_fail(g->s, err, "storing a result");
  if (!changed)
    return BT_OK; /* already terminal: a repeated line or a second download */
  st = g->upd_task;
  sqlite3_bind_int64(st, 1, task_id);
  sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
  bind_text(st, 3, r->state == TASK_SUCCEEDED ? r->output : NULL, 1);
  bind_text(st, 4, r->state == TASK_SUCCEEDED ? NULL : r->error_code, 1);
  sqlite3_bind_int64(st, 5, now);
  sqlite3_bind_int64(st, 6, attempt_id);
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE)
    return store_fail(g->s, err, "updating a task");
  *applied = 1;
  return BT_OK;
}

bt_status ingest_result(bt_ingest *g, const bt_result *r, int *applied, bt_error *err) {
  *applied = 0;
  sqlite3_stmt *st = g->find;
  sqlite3_bind_text(st, 1, g->job_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, r->custom_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, g->batch_id);
  int rc = sqlite3_step(st);
  int64_t aid = 0, tid = 0;
  if (rc == SQLITE_ROW) {
    aid = sqlite3_column_int64(st, 0);
    tid = sqlite3_column_int64(st, 1);
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return store_fail(g->s, err, "finding a task");
  if (!aid && g->autocreate) {
    /* An imported batch whose requests we never saw: the result line makes the task. */
    json_t *in = json_pack("{s:s}", "custom_id", r->custom_id);
    char *input = json_dumps(in, JSON_COMPACT);
    json_decref(in);
    bt_status st2 = store_run(
        g->s, err, "adding an imported task", NULL,
        "INSERT INTO tasks(job_id, row_no, line_no, custom_id, state, input, request,"
        " request_bytes, updated_at) VALUES (?1, (SELECT coalesce(max(row_no), 0) + 1 FROM"
        " tasks WHERE job_id = ?1), 0, ?2, 'running', ?3, '', 0, ?4)",
        "ttti", g->job_id, r->custom_id, input, util_now_ms());
    free(input);
    if (st2)
      return st2;
    tid = sqlite3_last_insert_rowid(store_db(g->s));
    st2 = store_attempt_insert(g->s, g->job_id, tid, g->batch_id, err);
    if (st2)
      return st2;
    aid = sqlite3_last_insert_rowid(store_db(g->s));
  }
  if (!aid)
    return BT_OK; /* a custom_id that is not ours: ignored (logged by the caller) */
  return ingest_result_attempt(g, aid, tid, r, applied, err);
}

bt_status store_attempt_finish_rest(bt_store *s, int64_t batch_id, bt_task_state state,
                                    const char *code, const char *message, int64_t *n,
                                    bt_error *err) {
  int64_t now = util_now_ms();
  const char *name = task_state_name(state);
  bt_status r = store_run(
      s, err, "updating tasks", NULL,
      "UPDATE tasks SET state = ?2, error_code = ?3, output = NULL, updated_at = ?4"
      " WHERE state <> 'succeeded' AND last_attempt_id IN (SELECT id FROM attempts WHERE"
      " batch_id = ?1 AND state = 'running')",
      "itti", batch_id, name, code, now);
  int changes = 0;
  if (!r)
    r = store_run(s, err, "updating attempts", &changes,
                  "UPDATE attempts SET state = ?2, error_code = ?3, error_message = ?4,"
                  " finished_at = ?5 WHERE batch_id = ?1 AND state = 'running'",
                  "ittti", batch_id, name, code, message, now);
  if (n)
    *n = changes;
  return r;
}
