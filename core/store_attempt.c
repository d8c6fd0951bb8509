/* store_attempt: attempts and idempotent result ingestion. */
#include "store_attempt.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "secret.h"
#include "store_sql.h"
#include "util.h"

struct bt_attempt_inserter {
  bt_store *s;
  sqlite3_stmt *ins, *upd;
  char job_id[16];
  int64_t now;
};

bt_status store_attempt_inserter_new(bt_store *s, const char *job_id, bt_attempt_inserter **out,
                                     bt_error *err) {
  *out = NULL;
  bt_attempt_inserter *a = calloc(1, sizeof *a);
  if (!a)
    return error_set(err, BT_ERR_NOMEM, "out of memory");
  a->s = s;
  util_strlcpy(a->job_id, job_id, sizeof a->job_id);
  a->now = util_now_ms();
  bt_status r = store_prepare(s,
                              "INSERT INTO attempts(task_id, batch_id, job_id, attempt_no, state,"
                              " created_at) VALUES (?1, ?2, ?3, (SELECT attempts + 1 FROM tasks"
                              " WHERE id = ?1), 'running', ?4)",
                              &a->ins, err);
  if (!r)
    r = store_prepare(s,
                      "UPDATE tasks SET attempts = attempts + 1, last_attempt_id = ? WHERE id = ?",
                      &a->upd, err);
  if (r) {
    store_attempt_inserter_free(a);
    return r;
  }
  *out = a;
  return BT_OK;
}

bt_status store_attempt_add(bt_attempt_inserter *a, int64_t task_id, int64_t batch_id,
                            bt_error *err) {
  sqlite3_bind_int64(a->ins, 1, task_id);
  sqlite3_bind_int64(a->ins, 2, batch_id);
  sqlite3_bind_text(a->ins, 3, a->job_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(a->ins, 4, a->now);
  int rc = sqlite3_step(a->ins);
  sqlite3_reset(a->ins);
  if (rc != SQLITE_DONE)
    return store_fail(a->s, err, "inserting an attempt");
  sqlite3_bind_int64(a->upd, 1, sqlite3_last_insert_rowid(store_db(a->s)));
  sqlite3_bind_int64(a->upd, 2, task_id);
  rc = sqlite3_step(a->upd);
  sqlite3_reset(a->upd);
  if (rc != SQLITE_DONE)
    return store_fail(a->s, err, "updating a task");
  return BT_OK;
}

void store_attempt_inserter_free(bt_attempt_inserter *a) {
  if (!a)
    return;
  sqlite3_finalize(a->ins);
  sqlite3_finalize(a->upd);
  free(a);
}

bt_status store_attempt_insert(bt_store *s, const char *job_id, int64_t task_id, int64_t batch_id,
                               bt_error *err) {
  bt_attempt_inserter *a;
  bt_status r = store_attempt_inserter_new(s, job_id, &a, err);
  if (!r)
    r = store_attempt_add(a, task_id, batch_id, err);
  store_attempt_inserter_free(a);
  return r;
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

typedef struct {
  bt_result r;
  int64_t aid, tid;
} ingest_row;

/* The batch's custom_id -> (attempt, task) map, read in one pass when the first line comes,
 * so joining a line costs a hash lookup instead of two index seeks. Open addressing over a
 * power-of-two table; keys live in one arena. */
typedef struct {
  uint64_t hash;
  int64_t aid, tid;
  size_t key; /* offset in keys; the slot is empty when aid is 0 */
} join_slot;

struct bt_ingest {
  bt_store *s;
  int autocreate;
  ingest_row *buf;
  size_t n;
  sqlite3_stmt *find, *upd_attempt, *upd_task, *ins_response, *del_response, *ins_staged;
  char job_id[16];
  int64_t batch_id;
  char *provider, *model;
  int join;           /* 0: not read yet, 1: the map answers, -1: ask the store line by line */
  int64_t join_limit; /* INGEST_JOIN_MAX; provider batches hold at most 50,000 (OpenAI) or
                         100,000 (Anthropic) requests */
  join_slot *slots;
  size_t mask;
  char *keys;
  size_t keys_len, keys_cap;
};

static const char *const ingest_sql[] = {
    "SELECT a.id, a.task_id FROM tasks t JOIN attempts a ON a.task_id = t.id AND"
    " a.batch_id = ?3 WHERE t.job_id = ?1 AND t.custom_id = ?2",
    "UPDATE attempts SET state = ?2, http_status = ?3, response_id = ?4, output = ?5,"
    " error_code = ?6, error_message = ?7, input_tokens = ?8, output_tokens = ?9,"
    " cached_tokens = ?10, cost_usd = ?11, finished_at = ?12 WHERE id = ?1 AND"
    " state = 'running'",
    "UPDATE tasks SET state = ?2, output = ?3, error_code = ?4, updated_at = ?5,"
    " last_attempt_id = CASE WHEN ?2 = 'succeeded' THEN ?6 ELSE last_attempt_id END WHERE"
    " id = ?1 AND state <> 'succeeded' AND (last_attempt_id = ?6 OR ?2 = 'succeeded')",
    "INSERT INTO responses(body) VALUES (?)",
    "DELETE FROM responses WHERE id = ?",
    "INSERT OR IGNORE INTO staged_results(batch_id, attempt_id, task_id, state, http_status,"
    " response_id, output, error_code, error_message, input_tokens, output_tokens,"
    " cached_tokens) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
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
  g->join_limit = INGEST_JOIN_MAX;
  /* Ingestion touches pages all over tasks and attempts: a 64 MB page cache for this
   * connection (SQLite's default is 2 MB). Bounded, so memory stays flat. */
  bt_error ignored;
  if (store_exec(s, "PRAGMA cache_size = -65536", &ignored))
    ignored.message[0] = '\0'; /* only a speed-up */
  g->provider = util_xstrdup(provider ? provider : "");
  g->model = util_xstrdup(model ? model : "");
  sqlite3_stmt **st[] = {&g->find,         &g->upd_attempt,  &g->upd_task,
                         &g->ins_response, &g->del_response, &g->ins_staged};
  bt_status r = BT_OK;
  for (size_t i = 0; i < sizeof st / sizeof st[0] && !r; i++)
    r = store_prepare(s, ingest_sql[i], st[i], err);
  if (r) {
    ingest_free(g);
    return r;
  }
  *out = g;
  return BT_OK;
}

void ingest_set_autocreate(bt_ingest *g, int on) {
  g->autocreate = on;
}

void ingest_set_join_limit(bt_ingest *g, int64_t limit) {
  g->join_limit = limit;
}

void ingest_free(bt_ingest *g) {
  if (!g)
    return;
  for (size_t i = 0; i < g->n; i++)
    result_cleanup(&g->buf[i].r);
  free(g->buf);
  sqlite3_stmt *st[] = {g->find,         g->upd_attempt,  g->upd_task,
                        g->ins_response, g->del_response, g->ins_staged};
  for (size_t i = 0; i < sizeof st / sizeof st[0]; i++)
    sqlite3_finalize(st[i]);
  free(g->slots);
  free(g->keys);
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

/* A result's body into responses; *id = 0 when it has none. */
static bt_status response_insert(bt_ingest *g, const char *body, int64_t *id, bt_error *err) {
  *id = 0;
  if (!body)
    return BT_OK;
  bind_text(g->ins_response, 1, body, 1);
  int rc = sqlite3_step(g->ins_response);
  sqlite3_reset(g->ins_response);
  sqlite3_clear_bindings(g->ins_response);
  if (rc != SQLITE_DONE)
    return store_fail(g->s, err, "storing a response");
  *id = sqlite3_last_insert_rowid(store_db(g->s));
  return BT_OK;
}

/* Take back the body of a line that did not apply. */
static bt_status response_delete(bt_ingest *g, int64_t id, bt_error *err) {
  if (!id)
    return BT_OK;
  sqlite3_bind_int64(g->del_response, 1, id);
  int rc = sqlite3_step(g->del_response);
  sqlite3_reset(g->del_response);
  return rc == SQLITE_DONE ? BT_OK : store_fail(g->s, err, "dropping a response");
}

bt_status ingest_result_attempt(bt_ingest *g, int64_t attempt_id, int64_t task_id,
                                const bt_result *r, int *applied, bt_error *err) {
  *applied = 0;
  const char *state = task_state_name(r->state);
  double cost = r->state == TASK_SUCCEEDED || r->input_tokens || r->output_tokens
                    ? provider_cost_usd(g->provider, g->model, r->input_tokens, r->output_tokens)
                    : 0.0;
  int64_t now = util_now_ms(), rid;
  bt_status res = response_insert(g, r->response, &rid, err);
  if (res)
    return res;
  sqlite3_stmt *st = g->upd_attempt;
  sqlite3_bind_int64(st, 1, attempt_id);
  sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
  if (r->http_status)
    sqlite3_bind_int64(st, 3, r->http_status);
  else
    sqlite3_bind_null(st, 3);
  if (rid)
    sqlite3_bind_int64(st, 4, rid);
  else
    sqlite3_bind_null(st, 4);
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
  if (!changed) /* already terminal: a repeated line or a second download */
    return response_delete(g, rid, err);
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

static uint64_t join_hash(const char *k) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  for (; *k; k++)
    h = (h ^ (unsigned char)*k) * 1099511628211ULL;
  return h;
}

static join_slot *join_slot_for(bt_ingest *g, const char *key, uint64_t h) {
  for (size_t i = h & g->mask;; i = (i + 1) & g->mask) {
    join_slot *sl = &g->slots[i];
    if (!sl->aid || (sl->hash == h && !strcmp(g->keys + sl->key, key)))
      return sl;
  }
}

/* Read the batch's attempts into the map. A batch too large for it (or no memory) is joined
 * in the store line by line instead. */
static bt_status join_load(bt_ingest *g, bt_error *err) {
  int64_t n;
  g->join = -1;
  bt_status r = store_query_int(
      g->s, err, &n, 0, "SELECT count(*) FROM attempts WHERE batch_id = ?", "i", g->batch_id);
  if (r || n > g->join_limit)
    return r;
  size_t cap = 16;
  while (cap < (size_t)n * 2)
    cap *= 2;
  g->slots = calloc(cap, sizeof *g->slots);
  if (!g->slots)
    return BT_OK;
  g->mask = cap - 1;
  sqlite3_stmt *st;
  r = store_prepare(g->s,
                    "SELECT t.custom_id, a.id, a.task_id FROM attempts a JOIN tasks t ON"
                    " t.id = a.task_id WHERE a.batch_id = ?",
                    &st, err);
  if (r)
    return r;
  sqlite3_bind_int64(st, 1, g->batch_id);
  int rc, full = 0;
  while (!full && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *key = (const char *)sqlite3_column_text(st, 0);
    size_t len = (size_t)sqlite3_column_bytes(st, 0) + 1;
    uint64_t h = join_hash(key);
    join_slot *sl = join_slot_for(g, key, h);
    if (sl->aid)
      continue; /* custom_ids are unique within a job */
    if (g->keys_len + len > g->keys_cap) {
      size_t c = g->keys_cap ? g->keys_cap * 2 : 1 << 16;
      while (c < g->keys_len + len)
        c *= 2;
      char *k = realloc(g->keys, c);
      if (!k) {
        full = 1;
        break;
      }
      g->keys = k;
      g->keys_cap = c;
    }
    memcpy(g->keys + g->keys_len, key, len);
    *sl = (join_slot){h, sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2), g->keys_len};
    g->keys_len += len;
  }
  if (!full && rc == SQLITE_DONE)
    g->join = 1;
  else if (!full)
    r = store_fail(g->s, err, "reading a batch's tasks");
  sqlite3_finalize(st);
  if (g->join != 1) { /* out of memory half way: the store answers instead */
    free(g->slots);
    g->slots = NULL;
  }
  return r;
}

/* The attempt of this batch for r's custom_id (creating the task for imported batches);
 * *aid = 0 when there is none. */
static bt_status ingest_find(bt_ingest *g, const bt_result *r, int64_t *aid_out, int64_t *tid_out,
                             bt_error *err) {
  *aid_out = *tid_out = 0;
  if (!g->join) {
    bt_status res = join_load(g, err);
    if (res)
      return res;
  }
  if (g->join == 1) {
    const join_slot *sl = join_slot_for(g, r->custom_id, join_hash(r->custom_id));
    if (sl->aid || !g->autocreate) {
      *aid_out = sl->aid;
      *tid_out = sl->tid;
      return BT_OK; /* the map holds every attempt of the batch */
    }
  }
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
  *aid_out = aid;
  *tid_out = tid;
  return BT_OK;
}

bt_status ingest_result(bt_ingest *g, const bt_result *r, int *applied, bt_error *err) {
  *applied = 0;
  int64_t aid, tid;
  bt_status st = ingest_find(g, r, &aid, &tid, err);
  if (st || !aid)
    return st; /* no aid: a custom_id that is not ours: ignored */
  return ingest_result_attempt(g, aid, tid, r, applied, err);
}

bt_status store_staged_clear(bt_store *s, int64_t batch_id, bt_error *err) {
  /* A savepoint: both deletes or neither, inside a caller's transaction or not. */
  bt_status r = store_exec(s, "SAVEPOINT staged_clear", err);
  if (r)
    return r;
  r = store_run(s, err, "clearing staged results", NULL,
                "DELETE FROM responses WHERE id IN (SELECT response_id FROM staged_results"
                " WHERE batch_id = ?)",
                "i", batch_id);
  if (!r)
    r = store_run(s, err, "clearing staged results", NULL,
                  "DELETE FROM staged_results WHERE batch_id = ?", "i", batch_id);
  if (r)
    sqlite3_exec(store_db(s), "ROLLBACK TO staged_clear", NULL, NULL, NULL);
  sqlite3_exec(store_db(s), "RELEASE staged_clear", NULL, NULL, NULL);
  return r;
}

/* One buffered line: its body into responses, the rest into staged_results. */
static bt_status stage_row(bt_ingest *g, ingest_row *x, bt_error *err) {
  bt_status r = ingest_find(g, &x->r, &x->aid, &x->tid, err);
  if (r || !x->aid)
    return r; /* not ours: ignored */
  int64_t rid;
  r = response_insert(g, x->r.response, &rid, err);
  if (r)
    return r;
  sqlite3_stmt *st = g->ins_staged;
  sqlite3_bind_int64(st, 1, g->batch_id);
  sqlite3_bind_int64(st, 2, x->aid);
  sqlite3_bind_int64(st, 3, x->tid);
  sqlite3_bind_text(st, 4, task_state_name(x->r.state), -1, SQLITE_STATIC);
  if (x->r.http_status)
    sqlite3_bind_int64(st, 5, x->r.http_status);
  if (rid)
    sqlite3_bind_int64(st, 6, rid);
  bind_text(st, 7, x->r.output, 1);
  bind_text(st, 8, x->r.error_code, 1);
  bind_text(st, 9, x->r.error_message, 1);
  sqlite3_bind_int64(st, 10, x->r.input_tokens);
  sqlite3_bind_int64(st, 11, x->r.output_tokens);
  sqlite3_bind_int64(st, 12, x->r.cached_tokens);
  int rc = sqlite3_step(st);
  int added = sqlite3_changes(store_db(g->s));
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE)
    return store_fail(g->s, err, "staging a result");
  /* A second line for the same attempt: the first one staged wins. */
  return added ? BT_OK : response_delete(g, rid, err);
}

bt_status ingest_flush(bt_ingest *g, bt_error *err) {
  if (!g->n)
    return BT_OK;
  bt_status r = store_begin(g->s, err);
  for (size_t i = 0; i < g->n && !r; i++)
    r = stage_row(g, &g->buf[i], err);
  if (!r)
    r = store_commit(g->s, err);
  if (r)
    store_rollback(g->s);
  for (size_t i = 0; i < g->n; i++)
    result_cleanup(&g->buf[i].r);
  g->n = 0;
  return r;
}

bt_status ingest_add(bt_ingest *g, bt_result *r, bt_error *err) {
  if (!g->buf) {
    g->buf = calloc(INGEST_BUFFER_ROWS, sizeof *g->buf);
    if (!g->buf) {
      result_cleanup(r);
      return error_set(err, BT_ERR_NOMEM, "out of memory");
    }
  }
  g->buf[g->n].r = *r;
  memset(r, 0, sizeof *r);
  g->n++;
  return g->n >= INGEST_BUFFER_ROWS ? ingest_flush(g, err) : BT_OK;
}

/* The price of one result, as ingest_result_attempt computes it, for the set-based apply:
 * bt_ingest_cost(state, input_tokens, output_tokens) on the connection of the bt_ingest. */
static void sql_cost(sqlite3_context *ctx, int argc, sqlite3_value **v) {
  (void)argc;
  const bt_ingest *g = sqlite3_user_data(ctx);
  const unsigned char *state = sqlite3_value_text(v[0]);
  int64_t in = sqlite3_value_int64(v[1]), out = sqlite3_value_int64(v[2]);
  int ok = state && !strcmp((const char *)state, "succeeded");
  sqlite3_result_double(ctx,
                        ok || in || out ? provider_cost_usd(g->provider, g->model, in, out) : 0.0);
}

/* The steps of ingest_apply, in order, all inside one transaction (?1 batch, ?2 job, ?3 now).
 * The per-row triggers stand aside while store_flags.bulk = 1 (migration 5): the job's
 * counts and actual cost/tokens are corrected once, by the statements marked below. */
/* Which staged lines move their task (t): a task that succeeded stays; otherwise the line of
 * its latest attempt, or any success, moves it. */
#define APPLY_TASK_WHERE                                                                           \
  " t.state <> 'succeeded' AND (t.last_attempt_id = s.attempt_id OR s.state = 'succeeded')"

/* The step whose changes are the applied lines (ingest_apply counts them). */
static const char apply_attempts_sql[] =
    "UPDATE attempts SET state = s.state, http_status = s.http_status,"
    " response_id = s.response_id, output = s.output, error_code = s.error_code,"
    " error_message = s.error_message, input_tokens = s.input_tokens, output_tokens ="
    " s.output_tokens, cached_tokens = s.cached_tokens, cost_usd = bt_ingest_cost(s.state,"
    " s.input_tokens, s.output_tokens), finished_at = ?3 FROM staged_results s WHERE"
    " s.batch_id = ?1 AND attempts.id = s.attempt_id";

static const char *const apply_sql[] = {
    "UPDATE store_flags SET bulk = 1",
    /* A line whose attempt is already terminal changes nothing (a repeated download): found
     * in one pass and dropped with its body, so every line left applies and the sums below
     * cover exactly those. */
    "CREATE TEMP TABLE IF NOT EXISTS ingest_skip (line INTEGER PRIMARY KEY, response_id)",
    "DELETE FROM temp.ingest_skip",
    "INSERT INTO temp.ingest_skip SELECT s.rowid, s.response_id FROM staged_results s WHERE"
    " s.batch_id = ?1 AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.id = s.attempt_id AND"
    " a.state = 'running')",
    "DELETE FROM responses WHERE id IN (SELECT response_id FROM temp.ingest_skip)",
    "DELETE FROM staged_results WHERE rowid IN (SELECT line FROM temp.ingest_skip)",
    /* actual cost/tokens (what attempts_cost_update adds per row) */
    "UPDATE jobs SET actual_cost_usd = actual_cost_usd + d.c, actual_input_tokens ="
    " actual_input_tokens + d.i, actual_output_tokens = actual_output_tokens + d.o FROM"
    " (SELECT total(bt_ingest_cost(s.state, s.input_tokens, s.output_tokens) - a.cost_usd) AS"
    " c, coalesce(sum(s.input_tokens - a.input_tokens), 0) AS i,"
    " coalesce(sum(s.output_tokens - a.output_tokens), 0) AS o FROM staged_results s JOIN"
    " attempts a ON a.id = s.attempt_id WHERE s.batch_id = ?1) AS d WHERE jobs.id = ?2",
    apply_attempts_sql,
    /* job_counts (what tasks_count_update keeps per row): the tasks the next step changes
     * leave their old state and join their new one. Counted from the staged lines in one
     * pass, so the cost follows the file, not the size of the job. */
    "CREATE TEMP TABLE IF NOT EXISTS ingest_moves (old TEXT, new TEXT, n INTEGER)",
    "DELETE FROM temp.ingest_moves",
    "INSERT INTO temp.ingest_moves SELECT t.state, s.state, count(*) FROM staged_results s"
    " JOIN tasks t ON t.id = s.task_id WHERE s.batch_id = ?1 AND" APPLY_TASK_WHERE " GROUP BY 1, 2",
    "UPDATE job_counts SET n = n - d.c FROM (SELECT old, sum(n) AS c FROM temp.ingest_moves"
    " GROUP BY old) AS d WHERE job_counts.job_id = ?2 AND job_counts.state = d.old",
    "INSERT INTO job_counts(job_id, state, n) SELECT ?2, new, sum(n) FROM temp.ingest_moves"
    " WHERE true GROUP BY new ON CONFLICT(job_id, state) DO UPDATE SET n = n + excluded.n",
    /* A task follows its latest attempt; a success wins whichever attempt it came from. */
    "UPDATE tasks AS t SET state = s.state, output = CASE WHEN s.state = 'succeeded' THEN"
    " s.output END, error_code = CASE WHEN s.state = 'succeeded' THEN NULL ELSE s.error_code"
    " END, updated_at = ?3, last_attempt_id = CASE WHEN s.state = 'succeeded' THEN"
    " s.attempt_id ELSE t.last_attempt_id END FROM staged_results s WHERE s.batch_id = ?1 AND"
    " t.id = s.task_id AND" APPLY_TASK_WHERE,
    "UPDATE store_flags SET bulk = 0",
};
/* Staged lines past which UPDATE ... FROM's temporary rows go to a file (ingest_apply). */
#define INGEST_TEMP_FILE_LINES 200000

bt_status ingest_apply(bt_ingest *g, int64_t *applied, bt_error *err) {
  bt_status r = ingest_flush(g, err);
  if (r)
    return r;
  sqlite3 *db = store_db(g->s);
  if (sqlite3_create_function(db, "bt_ingest_cost", 3, SQLITE_UTF8 | SQLITE_DETERMINISTIC, g,
                              sql_cost, NULL, NULL) != SQLITE_OK)
    return store_fail(g->s, err, "registering bt_ingest_cost");
  /* UPDATE ... FROM gathers its rows (small: bodies are not staged) in a temporary table
   * first. In memory that is ~60 bytes a line, 3 MB for a 50,000-line batch, and a third
   * faster than a file; past INGEST_TEMP_FILE_LINES it goes to a file, so memory stays flat
   * however large the file. */
  bt_error ignored;
  int64_t staged = 0;
  r = store_query_int(g->s, err, &staged, 0,
                      "SELECT count(*) FROM staged_results WHERE batch_id = ?", "i", g->batch_id);
  if (r)
    return r;
  int temp_file = staged > INGEST_TEMP_FILE_LINES;
  if (temp_file && store_exec(g->s, "PRAGMA temp_store = FILE", &ignored))
    ignored.message[0] = '\0'; /* then in memory: slower to grow, still correct */
  int64_t now = util_now_ms();
  r = store_begin(g->s, err);
  for (size_t i = 0; !r && i < sizeof apply_sql / sizeof apply_sql[0]; i++) {
    sqlite3_stmt *st;
    r = store_prepare(g->s, apply_sql[i], &st, err);
    if (r)
      break;
    /* Each step binds only the parameters it names. */
    for (int k = 1; k <= sqlite3_bind_parameter_count(st); k++) {
      const char *name = sqlite3_bind_parameter_name(st, k);
      if (name && !strcmp(name, "?1"))
        sqlite3_bind_int64(st, k, g->batch_id);
      else if (name && !strcmp(name, "?2"))
        sqlite3_bind_text(st, k, g->job_id, -1, SQLITE_STATIC);
      else if (name && !strcmp(name, "?3"))
        sqlite3_bind_int64(st, k, now);
    }
    if (sqlite3_step(st) != SQLITE_DONE)
      r = store_fail(g->s, err, "applying staged results");
    else if (apply_sql[i] == apply_attempts_sql && applied)
      *applied += sqlite3_changes(db);
    sqlite3_finalize(st);
  }
  /* Done with the staged lines. When no other batch has any (the usual case) an unqualified
   * DELETE lets SQLite drop the table's pages wholesale instead of row by row (10x faster). */
  int64_t others = 1;
  if (!r)
    r = store_query_int(g->s, err, &others, 1,
                        "SELECT EXISTS (SELECT 1 FROM staged_results WHERE batch_id <> ?)", "i",
                        g->batch_id);
  if (!r)
    r = others ? store_run(g->s, err, "clearing staged results", NULL,
                           "DELETE FROM staged_results WHERE batch_id = ?", "i", g->batch_id)
               : store_run(g->s, err, "clearing staged results", NULL, "DELETE FROM staged_results",
                           "");
  if (!r)
    r = store_commit(g->s, err);
  if (r)
    store_rollback(g->s);
  sqlite3_create_function(db, "bt_ingest_cost", 3, SQLITE_UTF8, NULL, NULL, NULL, NULL);
  if (temp_file && store_exec(g->s, "PRAGMA temp_store = MEMORY", &ignored))
    ignored.message[0] = '\0';
  return r;
}

bt_status store_attempt_finish_rest(bt_store *s, int64_t batch_id, bt_task_state state,
                                    const char *code, const char *message, int64_t *n,
                                    bt_error *err) {
  int64_t now = util_now_ms();
  const char *name = task_state_name(state);
  bt_status r =
      store_run(s, err, "updating tasks", NULL,
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
