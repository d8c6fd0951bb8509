/* store_attempt: attempts and idempotent result ingestion. */
#include "store_attempt.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "logger.h"
#include "secret.h"
#include "store_sql.h"
#include "util.h"

struct bt_attempt_inserter {
  bt_store *s;
  sqlite3_stmt *ins, *upd, *first;
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

bt_status store_attempt_add_first(bt_attempt_inserter *a, int64_t attempt_id, int64_t task_id,
                                  int64_t batch_id, bt_error *err) {
  if (!a->first) {
    bt_status r = store_prepare(a->s,
                                "INSERT INTO attempts(id, task_id, batch_id, job_id, attempt_no,"
                                " state, created_at) VALUES (?, ?, ?, ?, 1, 'running', ?)",
                                &a->first, err);
    if (r)
      return r;
  }
  sqlite3_stmt *st = a->first;
  sqlite3_bind_int64(st, 1, attempt_id);
  sqlite3_bind_int64(st, 2, task_id);
  sqlite3_bind_int64(st, 3, batch_id);
  sqlite3_bind_text(st, 4, a->job_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, a->now);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? BT_OK : store_fail(a->s, err, "inserting an attempt");
}

void store_attempt_inserter_free(bt_attempt_inserter *a) {
  if (!a)
    return;
  sqlite3_finalize(a->ins);
  sqlite3_finalize(a->upd);
  sqlite3_finalize(a->first);
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
          ? "SELECT t.custom_id, i.request, a.id, t.id, t.est_input_tokens FROM attempts a"
            " JOIN tasks t ON t.id = a.task_id JOIN task_inputs i ON i.task_id = t.id WHERE"
            " a.batch_id = ?1 AND a.state = 'running' AND a.id > ?2 ORDER BY a.id LIMIT ?3"
          : "SELECT t.custom_id, i.request, a.id, t.id, t.est_input_tokens FROM attempts a"
            " JOIN tasks t ON t.id = a.task_id JOIN task_inputs i ON i.task_id = t.id WHERE"
            " a.batch_id = ?1 AND a.id > ?2 ORDER BY t.row_no LIMIT ?3",
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
                   /* from the batch's attempts: a scan of every task in the store took
                    * 50 ms per chunk sent for a 1M-task store, whatever the job's size */
                   "UPDATE tasks SET state = 'running', updated_at = ?2 FROM attempts a WHERE"
                   " a.batch_id = ?1 AND a.state = 'running' AND tasks.id = a.task_id AND"
                   " tasks.last_attempt_id = a.id AND tasks.state = 'pending'",
                   "ii", batch_id, util_now_ms());
}

/* finish_log keeps 100 ms steps: a job finishing thousands of attempts a second (local
 * execution) adds ten rows a second, not thousands. */
#define FINISH_LOG_STEP "100" /* ms */
#define FINISH_LOG_UPSERT                                                                          \
  " ON CONFLICT(job_id, at) DO UPDATE SET n = n + excluded.n, cost_usd = cost_usd +"               \
  " excluded.cost_usd"
/* ?1 job, ?2 time, ?3 attempts, ?4 their cost */
static const char log_finished_sql[] =
    "INSERT INTO finish_log(job_id, at, n, cost_usd) VALUES (?1, ?2 - ?2 % " FINISH_LOG_STEP ", ?3,"
    " ?4)" FINISH_LOG_UPSERT;

bt_status store_attempt_log_finished(bt_store *s, const char *job_id, int64_t at, int64_t n,
                                     double cost, bt_error *err) {
  if (n <= 0)
    return BT_OK;
  return store_run(s, err, "logging finished attempts", NULL, log_finished_sql, "tiid", job_id, at,
                   n, cost);
}

bt_status store_attempt_log_ending(bt_store *s, const char *where, int64_t id, int64_t at,
                                   bt_error *err) {
  char sql[512];
  snprintf(sql, sizeof sql,
           "INSERT INTO finish_log(job_id, at, n, cost_usd) SELECT job_id,"
           " ?2 - ?2 %% " FINISH_LOG_STEP ", count(*), total(cost_usd) FROM attempts"
           " WHERE (%s) AND finished_at IS NULL GROUP BY job_id" FINISH_LOG_UPSERT,
           where);
  return store_run(s, err, "logging finished attempts", NULL, sql, "ii", id, at);
}

/* What the apply needs to know of one attempt of the batch and its task, read with the join
 * so a line's effect (does it apply, does it move its task, what does it change in the job's
 * cost and counts) is known without asking the store again. */
typedef struct {
  int64_t aid, tid;
  int64_t last_attempt_id; /* the task's */
  int64_t in_tokens, out_tokens;
  double cost;
  unsigned char running;    /* the attempt is still running (a result can apply) */
  unsigned char task_state; /* bt_task_state */
} ingest_target;

/* The batch's custom_id -> target map, read in one pass when the first line comes, so joining
 * a line costs a hash lookup instead of index seeks. The entries sit in the order they were
 * read, keys in one arena; an open-addressing table of 8-byte slots over a power of two indexes
 * them. Lines come in any order, so each lookup is a random access: slots this small keep the
 * table of a 50,000-line batch (1 MB) in cache, where whole entries in the slots did not (9 MB,
 * a cache miss per probe). */
typedef struct {
  ingest_target t;
  uint32_t key;    /* offset in keys */
  uint32_t staged; /* index + 1 of its line in the run, while run_gen is staged_gen */
  uint32_t staged_gen;
} join_entry;

typedef struct {
  uint32_t tag; /* the hash's high half */
  uint32_t idx; /* the entry's index + 1; 0: an empty slot */
} join_slot;

/* A line of the file being ingested, waiting in memory for its run to be applied: what the
 * parser made of it (custom_id and body already let go) and what it does. */
typedef struct {
  bt_result r;
  int64_t aid, tid, rid;
  double cost;
  unsigned char moves; /* it moves its task */
} staged_line;

struct bt_ingest {
  bt_store *s;
  int autocreate;
  int other_batch; /* ingest_set_other_batch */
  sqlite3_stmt *find, *upd_attempt, *upd_task, *ins_response, *del_response, *log_finished;
  char job_id[16];
  int64_t batch_id;
  char *provider, *model;
  int join;           /* 0: not read yet, 1: the map answers, -1: ask the store line by line */
  int64_t join_limit; /* INGEST_JOIN_MAX; provider batches hold at most 50,000 (OpenAI) or
                         100,000 (Anthropic) requests */
  join_slot *slots;
  join_entry *entries;
  size_t mask, n_entries;
  char *keys;
  size_t keys_len, keys_cap;
  /* the file being ingested (ingest_add .. ingest_apply): one open transaction; its lines wait
   * in runs of at most run_limit bytes, each applied in attempt order */
  int in_tx;
  staged_line *run;
  size_t run_n, run_cap, run_bytes, run_limit;
  int64_t staged, created; /* created: tasks an imported batch's lines made (running) */
  double d_cost, staged_cost;
  int64_t d_in, d_out;
  int64_t moves[TASK_STATE_COUNT][TASK_STATE_COUNT];
  uint32_t run_gen;  /* counts run_clear calls: a staged index of another generation is gone */
  int64_t conflicts; /* custom_ids with a success and a failure among their lines */
  int64_t foreign;   /* answers applied to tasks of the job's other batches (other_find) */
  sqlite3_stmt *other;
};

/* The targets of a custom_id in this batch (the map's fallback): ?1 job, ?2 custom_id,
 * ?3 batch. */
#define TARGET_COLUMNS                                                                             \
  "a.id, a.task_id, t.last_attempt_id, a.input_tokens, a.output_tokens, a.cost_usd,"               \
  " a.state = 'running', t.state"

static const char *const ingest_sql[] = {
    "SELECT " TARGET_COLUMNS " FROM tasks t JOIN attempts a ON a.task_id = t.id AND"
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
    log_finished_sql,
};

/* Lines a run holds before it is applied (ingest_add): the map's batch of 50,000 short answers
 * fits in one; long answers are applied in several runs, so memory stays flat. */
#define INGEST_RUN_BYTES (32 << 20)

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
  g->run_limit = INGEST_RUN_BYTES;
  /* Ingestion touches pages all over tasks and attempts: a 64 MB page cache for this
   * connection (SQLite's default is 2 MB). Bounded, so memory stays flat. */
  bt_error ignored;
  if (store_exec(s, "PRAGMA cache_size = -65536", &ignored))
    ignored.message[0] = '\0'; /* only a speed-up */
  g->provider = util_xstrdup(provider ? provider : "");
  g->model = util_xstrdup(model ? model : "");
  sqlite3_stmt **st[] = {&g->find,         &g->upd_attempt,  &g->upd_task,
                         &g->ins_response, &g->del_response, &g->log_finished};
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

void ingest_set_other_batch(bt_ingest *g, int on) {
  g->other_batch = on;
}

void ingest_set_join_limit(bt_ingest *g, int64_t limit) {
  g->join_limit = limit;
}

void ingest_set_run_bytes(bt_ingest *g, size_t bytes) {
  g->run_limit = bytes;
}

/* Forget the map: the bulk path trusts what it says of attempt and task states, so it is read
 * inside the file's transaction, and again for the next file. */
static void join_reset(bt_ingest *g) {
  free(g->slots);
  free(g->entries);
  g->slots = NULL;
  g->entries = NULL;
  g->n_entries = 0;
  g->join = 0;
  g->keys_len = 0;
}

/* Let go of the lines waiting in the run. */
static void run_clear(bt_ingest *g) {
  for (size_t i = 0; i < g->run_n; i++)
    result_cleanup(&g->run[i].r);
  g->run_n = 0;
  g->run_bytes = 0;
  g->run_gen++;
}

/* Leave the connection as store_open set it: no file transaction, out of bulk mode (a
 * rollback ends it). */
static void ingest_end(bt_ingest *g) {
  if (g->in_tx)
    store_rollback(g->s);
  g->in_tx = 0;
  run_clear(g);
  join_reset(g);
}

void ingest_free(bt_ingest *g) {
  if (!g)
    return;
  ingest_end(g);
  sqlite3_stmt *st[] = {g->find,         g->upd_attempt,  g->upd_task,
                        g->ins_response, g->del_response, g->log_finished};
  for (size_t i = 0; i < sizeof st / sizeof st[0]; i++)
    sqlite3_finalize(st[i]);
  sqlite3_finalize(g->other);
  free(g->run);
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

/* A result's outcome into parameters first.. first+8 of st, in this order: http_status, body
 * id, output, error code, error message, input, output and cached tokens, cost. */
static void bind_outcome(sqlite3_stmt *st, int first, const bt_result *r, int64_t rid,
                         double cost) {
  if (r->http_status)
    sqlite3_bind_int64(st, first, r->http_status);
  else
    sqlite3_bind_null(st, first);
  if (rid)
    sqlite3_bind_int64(st, first + 1, rid);
  else
    sqlite3_bind_null(st, first + 1);
  bind_text(st, first + 2, r->output, 1);
  bind_text(st, first + 3, r->error_code, 1);
  bind_text(st, first + 4, r->error_message, 1);
  sqlite3_bind_int64(st, first + 5, r->input_tokens);
  sqlite3_bind_int64(st, first + 6, r->output_tokens);
  sqlite3_bind_int64(st, first + 7, r->cached_tokens);
  sqlite3_bind_double(st, first + 8, cost);
}

/* What a result costs at the job's batch prices (nothing for a failure that used no tokens). */
static double result_cost(const bt_ingest *g, const bt_result *r) {
  return r->state == TASK_SUCCEEDED || r->input_tokens || r->output_tokens
             ? provider_cost_usd(g->provider, g->model, r->input_tokens, r->output_tokens)
             : 0.0;
}

/* A task follows its latest attempt; a success wins whichever attempt it came from, and a
 * succeeded task never moves again. */
static int result_moves_task(const ingest_target *t, bt_task_state state) {
  return t->task_state != TASK_SUCCEEDED &&
         (t->last_attempt_id == t->aid || state == TASK_SUCCEEDED);
}

/* Attempt aid takes r (its body stored as rid) unless it has ended already: *changed says. */
static bt_status attempt_update(bt_ingest *g, int64_t aid, const bt_result *r, int64_t rid,
                                double cost, int64_t now, int *changed, bt_error *err) {
  sqlite3_stmt *st = g->upd_attempt;
  sqlite3_bind_int64(st, 1, aid);
  sqlite3_bind_text(st, 2, task_state_name(r->state), -1, SQLITE_STATIC);
  bind_outcome(st, 3, r, rid, cost);
  sqlite3_bind_int64(st, 12, now);
  int rc = sqlite3_step(st);
  *changed = sqlite3_changes(store_db(g->s));
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc == SQLITE_DONE ? BT_OK : store_fail(g->s, err, "storing a result");
}

/* Task tid follows r, the result of its attempt aid, if that moves it (result_moves_task). */
static bt_status task_update(bt_ingest *g, int64_t tid, int64_t aid, const bt_result *r,
                             int64_t now, bt_error *err) {
  sqlite3_stmt *st = g->upd_task;
  sqlite3_bind_int64(st, 1, tid);
  sqlite3_bind_text(st, 2, task_state_name(r->state), -1, SQLITE_STATIC);
  bind_text(st, 3, r->state == TASK_SUCCEEDED ? r->output : NULL, 1);
  bind_text(st, 4, r->state == TASK_SUCCEEDED ? NULL : r->error_code, 1);
  sqlite3_bind_int64(st, 5, now);
  sqlite3_bind_int64(st, 6, aid);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc == SQLITE_DONE ? BT_OK : store_fail(g->s, err, "updating a task");
}

bt_status ingest_result_attempt(bt_ingest *g, int64_t attempt_id, int64_t task_id,
                                const bt_result *r, int *applied, bt_error *err) {
  *applied = 0;
  double cost = result_cost(g, r);
  int64_t now = util_now_ms(), rid;
  int changed;
  bt_status res = response_insert(g, r->response, &rid, err);
  if (!res)
    res = attempt_update(g, attempt_id, r, rid, cost, now, &changed, err);
  if (res)
    return res;
  if (!changed) /* already terminal: a repeated line or a second download */
    return response_delete(g, rid, err);
  /* finish_log, through the statement prepared with the others: this runs once a result */
  sqlite3_stmt *st = g->log_finished;
  sqlite3_bind_text(st, 1, g->job_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, now);
  sqlite3_bind_int64(st, 3, 1);
  sqlite3_bind_double(st, 4, cost);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE)
    return store_fail(g->s, err, "logging a finished attempt");
  res = task_update(g, task_id, attempt_id, r, now, err);
  if (!res)
    *applied = 1;
  return res;
}

static uint64_t join_hash(const char *k) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  for (; *k; k++)
    h = (h ^ (unsigned char)*k) * 1099511628211ULL;
  return h;
}

/* The slot of key: its entry's, or the empty one where it would go. */
static join_slot *join_slot_for(bt_ingest *g, const char *key, uint64_t h) {
  uint32_t tag = (uint32_t)(h >> 32);
  for (size_t i = h & g->mask;; i = (i + 1) & g->mask) {
    join_slot *sl = &g->slots[i];
    if (!sl->idx || (sl->tag == tag && !strcmp(g->keys + g->entries[sl->idx - 1].key, key)))
      return sl;
  }
}

/* A target from the columns of TARGET_COLUMNS, starting at column i. */
static ingest_target target_read(sqlite3_stmt *st, int i) {
  ingest_target t = {.aid = sqlite3_column_int64(st, i),
                     .tid = sqlite3_column_int64(st, i + 1),
                     .last_attempt_id = sqlite3_column_int64(st, i + 2),
                     .in_tokens = sqlite3_column_int64(st, i + 3),
                     .out_tokens = sqlite3_column_int64(st, i + 4),
                     .cost = sqlite3_column_double(st, i + 5),
                     .running = (unsigned char)sqlite3_column_int(st, i + 6)};
  int k = task_state_parse((const char *)sqlite3_column_text(st, i + 7));
  t.task_state = (unsigned char)(k < 0 ? TASK_PENDING : k);
  return t;
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
  g->entries = malloc(((size_t)n + 1) * sizeof *g->entries);
  if (!g->slots || !g->entries) {
    join_reset(g);
    g->join = -1;
    return BT_OK;
  }
  g->mask = cap - 1;
  sqlite3_stmt *st;
  r = store_prepare(g->s,
                    "SELECT t.custom_id, " TARGET_COLUMNS " FROM attempts a JOIN tasks t ON"
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
    if (sl->idx)
      continue; /* custom_ids are unique within a job */
    if (g->n_entries == (size_t)n || g->keys_len + len > UINT32_MAX) {
      full = 1; /* more than counted a moment ago, or keys past 4 GB: the store answers */
      break;
    }
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
    g->entries[g->n_entries] = (join_entry){.t = target_read(st, 1), .key = (uint32_t)g->keys_len};
    *sl = (join_slot){(uint32_t)(h >> 32), (uint32_t)++g->n_entries};
    g->keys_len += len;
  }
  if (!full && rc == SQLITE_DONE)
    g->join = 1;
  else if (!full)
    r = store_fail(g->s, err, "reading a batch's tasks");
  sqlite3_finalize(st);
  if (g->join != 1) { /* out of memory half way: the store answers instead */
    join_reset(g);
    g->join = -1;
  }
  return r;
}

/* A success for a custom_id of the job that is not in this batch (issue 13: a batch adopted for
 * the wrong chunk, a duplicate's results): a paid answer is never lost, so it goes to that
 * task whichever batch it came from, unless the task has succeeded already: onto the task's
 * latest attempt, running (its own batch's later line for it then changes nothing) or ended
 * without an answer (missing_result, a failure: the success replaces that outcome). A failure is
 * not applied across batches: the task's own batch may still answer. Nor is anything to a pending
 * task: its batch is not sent yet, and is built from its attempts. */
static bt_status other_find(bt_ingest *g, const bt_result *r, ingest_target *t, bt_error *err) {
  memset(t, 0, sizeof *t);
  if (r->state != TASK_SUCCEEDED || !r->custom_id)
    return BT_OK;
  if (!g->other) {
    bt_status res = store_prepare(g->s,
                                  "SELECT " TARGET_COLUMNS " FROM tasks t JOIN attempts a ON"
                                  " a.id = t.last_attempt_id WHERE t.job_id = ?1 AND"
                                  " t.custom_id = ?2 AND t.state NOT IN ('succeeded', 'pending')",
                                  &g->other, err);
    if (res)
      return res;
  }
  sqlite3_stmt *st = g->other;
  sqlite3_bind_text(st, 1, g->job_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, r->custom_id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    *t = target_read(st, 0);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return store_fail(g->s, err, "finding a task of another batch");
  if (!t->aid)
    return BT_OK; /* not the job's, or succeeded already */
  if (!t->running) {
    /* its latest attempt ended without an answer: it takes this one, the failure's body
     * goes (the sums move by the difference, as for any line: stage_line) */
    bt_status res = store_run(g->s, err, "reopening an attempt", NULL,
                              "DELETE FROM responses WHERE id = (SELECT response_id FROM attempts"
                              " WHERE id = ?)",
                              "i", t->aid);
    if (!res)
      res = store_run(g->s, err, "reopening an attempt", NULL,
                      "UPDATE attempts SET state = 'running', response_id = NULL WHERE id = ? AND"
                      " state <> 'succeeded'",
                      "i", t->aid);
    if (res)
      return res;
    t->running = 1;
  }
  if (++g->foreign <= 5)
    log_warn("ingest: batch %lld: the answer for %s belongs to another batch of the job; applied"
             " to its task",
             (long long)g->batch_id, r->custom_id);
  return BT_OK;
}

/* The target of r's custom_id in this batch (creating the task for imported batches) into *t,
 * and *slot its entry in the map when the map answered; t->aid = 0 when there is none. */
static bt_status ingest_find(bt_ingest *g, const bt_result *r, ingest_target *t, join_entry **slot,
                             bt_error *err) {
  memset(t, 0, sizeof *t);
  if (slot)
    *slot = NULL;
  if (g->other_batch)
    return other_find(g, r, t, err);
  if (!g->join) {
    bt_status res = join_load(g, err);
    if (res)
      return res;
  }
  if (g->join == 1) {
    join_slot *sl = join_slot_for(g, r->custom_id, join_hash(r->custom_id));
    if (sl->idx || !g->autocreate) {
      if (sl->idx) {
        *t = g->entries[sl->idx - 1].t;
        if (slot)
          *slot = &g->entries[sl->idx - 1];
      }
      return sl->idx || g->autocreate ? BT_OK : other_find(g, r, t, err);
    }
  }
  sqlite3_stmt *st = g->find;
  sqlite3_bind_text(st, 1, g->job_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, r->custom_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, g->batch_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    *t = target_read(st, 0);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return store_fail(g->s, err, "finding a task");
  if (!t->aid && !g->autocreate)
    return other_find(g, r, t, err);
  if (!t->aid && g->autocreate) {
    /* An imported batch whose requests we never saw: the result line makes the task. */
    json_t *in = json_pack("{s:s}", "custom_id", r->custom_id);
    char *input = json_dumps(in, JSON_COMPACT);
    json_decref(in);
    bt_status st2 =
        store_run(g->s, err, "adding an imported task", NULL,
                  "INSERT INTO tasks(job_id, row_no, line_no, custom_id, state, request_bytes,"
                  " updated_at) VALUES (?1, (SELECT coalesce(max(row_no), 0) + 1 FROM tasks WHERE"
                  " job_id = ?1), 0, ?2, 'running', 0, ?3)",
                  "tti", g->job_id, r->custom_id, util_now_ms());
    int64_t tid = sqlite3_last_insert_rowid(store_db(g->s));
    if (!st2)
      st2 = store_run(g->s, err, "adding an imported task", NULL,
                      "INSERT INTO task_inputs(task_id, input, request) VALUES (?, ?, '')", "it",
                      tid, input);
    free(input);
    if (st2)
      return st2;
    st2 = store_attempt_insert(g->s, g->job_id, tid, g->batch_id, err);
    if (st2)
      return st2;
    *t = (ingest_target){.aid = sqlite3_last_insert_rowid(store_db(g->s)),
                         .tid = tid,
                         .running = 1,
                         .task_state = TASK_RUNNING};
    t->last_attempt_id = t->aid;
    if (g->in_tx)
      g->created++; /* in bulk mode, counted by ingest_apply instead of a trigger */
  }
  return BT_OK;
}

bt_status ingest_result(bt_ingest *g, const bt_result *r, int *applied, bt_error *err) {
  *applied = 0;
  ingest_target t;
  bt_status st = ingest_find(g, r, &t, NULL, err);
  if (st || !t.aid)
    return st; /* no aid: a custom_id that is not ours: ignored */
  return ingest_result_attempt(g, t.aid, t.tid, r, applied, err);
}

/* The first line of a file: the transaction. */
static bt_status ingest_start(bt_ingest *g, bt_error *err) {
  join_reset(g);
  bt_status r = store_begin(g->s, err);
  if (r)
    return r;
  g->in_tx = 1;
  /* Bulk mode for the whole transaction: the count and cost triggers stand aside, and what
   * they would have done is summed here and written once by ingest_apply; so do the CHECKs, as
   * every state the apply writes comes from bt_task_state, never from a file. */
  r = store_bulk_begin(g->s, err);
  if (r) {
    ingest_end(g);
    return r;
  }
  g->created = 0;
  g->staged = 0;
  g->conflicts = 0;
  g->foreign = 0;
  g->d_cost = g->staged_cost = 0;
  g->d_in = g->d_out = 0;
  memset(g->moves, 0, sizeof g->moves);
  return BT_OK;
}

static int staged_cmp(const void *a, const void *b) {
  int64_t x = ((const staged_line *)a)->aid, y = ((const staged_line *)b)->aid;
  return (x > y) - (x < y);
}

/* The run's lines onto attempts and tasks, in attempt order: attempts and tasks are numbered in
 * input order, so their pages are walked front to back however shuffled the file (a file's
 * own order costs a random page a line). In bulk mode (ingest_start) no trigger runs: the
 * job's counts and spend come from the sums ingest_add kept. */
static bt_status run_apply(bt_ingest *g, bt_error *err) {
  if (!g->run_n)
    return BT_OK;
  qsort(g->run, g->run_n, sizeof *g->run, staged_cmp);
  int64_t now = util_now_ms();
  bt_status r = BT_OK;
  for (size_t i = 0; i < g->run_n && !r; i++) {
    const staged_line *l = &g->run[i];
    int changed;
    r = attempt_update(g, l->aid, &l->r, l->rid, l->cost, now, &changed, err);
    if (!r && !changed) /* the map was read in this transaction: it cannot be stale */
      r = error_set(err, BT_ERR_STORE, "a result's attempt ended while its file was applied");
    if (!r && l->moves)
      r = task_update(g, l->tid, l->aid, &l->r, now, err);
  }
  run_clear(g);
  return r;
}

/* Room for one more line in the run. */
static bt_status run_reserve(bt_ingest *g, bt_error *err) {
  if (g->run_n < g->run_cap)
    return BT_OK;
  size_t cap = g->run_cap ? g->run_cap * 2 : 1024;
  staged_line *n = realloc(g->run, cap * sizeof *n);
  if (!n)
    return error_set(err, BT_ERR_NOMEM, "out of memory staging results");
  g->run = n;
  g->run_cap = cap;
  return BT_OK;
}

static size_t str_size(const char *s) {
  return s ? strlen(s) + 1 : 0;
}

/* A line for an attempt whose line is already staged in this run (providers do send a 500 and
 * then a success for one custom_id, in either order): a success wins over a failure, which is
 * logged; two successes or two failures, the first one stays. */
static bt_status restage_line(bt_ingest *g, join_entry *sl, bt_result *res, bt_error *err) {
  staged_line *old = &g->run[sl->staged - 1];
  int old_ok = old->r.state == TASK_SUCCEEDED, new_ok = res->state == TASK_SUCCEEDED;
  if (old_ok == new_ok)
    return BT_OK;
  const char *code = old_ok ? res->error_code : old->r.error_code;
  if (++g->conflicts <= 5)
    log_warn("ingest: conflicting result lines for %s: a success and a failure (%s); the "
             "success is kept",
             res->custom_id ? res->custom_id : "?", code ? code : "no code");
  if (old_ok)
    return BT_OK;
  const ingest_target *t = &sl->t;
  int64_t rid;
  bt_status r = response_insert(g, res->response, &rid, err);
  if (!r)
    r = response_delete(g, old->rid, err);
  if (r)
    return r;
  /* take back what the failure added to the sums, then add the success */
  g->staged_cost -= old->cost;
  g->d_cost -= old->cost;
  g->d_in -= old->r.input_tokens;
  g->d_out -= old->r.output_tokens;
  if (old->moves)
    g->moves[t->task_state][old->r.state]--;
  result_cleanup(&old->r);
  *old = (staged_line){.r = *res,
                       .aid = t->aid,
                       .tid = t->tid,
                       .rid = rid,
                       .cost = result_cost(g, res),
                       .moves = (unsigned char)result_moves_task(t, res->state)};
  memset(res, 0, sizeof *res);
  free(old->r.custom_id);
  free(old->r.response);
  old->r.custom_id = old->r.response = NULL;
  g->run_bytes += str_size(old->r.output);
  g->staged_cost += old->cost;
  g->d_cost += old->cost;
  g->d_in += old->r.input_tokens;
  g->d_out += old->r.output_tokens;
  if (old->moves)
    g->moves[t->task_state][old->r.state]++;
  return g->run_bytes >= g->run_limit ? run_apply(g, err) : BT_OK;
}

/* Join res and take it into the run (or drop it when it changes nothing). */
static bt_status stage_line(bt_ingest *g, bt_result *res, bt_error *err) {
  ingest_target t;
  join_entry *sl;
  bt_status r = ingest_find(g, res, &t, &sl, err);
  if (!r && t.aid && !t.running && sl && sl->staged && sl->staged_gen == g->run_gen)
    return restage_line(g, sl, res, err);
  if (r || !t.aid || !t.running)
    return r; /* not ours, or its attempt already ended (a repeated line or download) */
  if ((r = run_reserve(g, err)))
    return r;
  int64_t rid;
  if ((r = response_insert(g, res->response, &rid, err)))
    return r;
  if (sl) {
    sl->t.running = 0; /* a second line for the attempt goes through restage_line */
    sl->staged = (uint32_t)g->run_n + 1;
    sl->staged_gen = g->run_gen;
  }
  staged_line *l = &g->run[g->run_n++];
  *l = (staged_line){.r = *res,
                     .aid = t.aid,
                     .tid = t.tid,
                     .rid = rid,
                     .cost = result_cost(g, res),
                     .moves = (unsigned char)result_moves_task(&t, res->state)};
  memset(res, 0, sizeof *res); /* the run owns its strings now */
  free(l->r.custom_id);
  free(l->r.response);
  l->r.custom_id = l->r.response = NULL;
  g->run_bytes +=
      sizeof *l + str_size(l->r.output) + str_size(l->r.error_code) + str_size(l->r.error_message);
  g->staged++;
  g->staged_cost += l->cost;
  g->d_cost += l->cost - t.cost;
  g->d_in += l->r.input_tokens - t.in_tokens;
  g->d_out += l->r.output_tokens - t.out_tokens;
  if (l->moves)
    g->moves[t.task_state][l->r.state]++;
  /* A target the map did not give (no map, or a task an imported batch's line just made) is
   * read from the store, and so is the next line's for it: apply this one first, so what that
   * read finds (the attempt has ended, the task has moved) is already true. */
  return !sl || g->run_bytes >= g->run_limit ? run_apply(g, err) : BT_OK;
}

bt_status ingest_add(bt_ingest *g, bt_result *res, bt_error *err) {
  bt_status r = g->in_tx ? BT_OK : ingest_start(g, err);
  if (!r)
    r = stage_line(g, res, err);
  result_cleanup(res);
  if (r)
    ingest_end(g); /* nothing of the file is kept: it comes again */
  return r;
}

/* The job's counts: the tasks an imported batch's lines made join running; every task that
 * moved leaves its old state and joins its new one. */
static bt_status apply_moves(bt_ingest *g, bt_error *err) {
  bt_status r =
      g->created ? store_job_counts_add(g->s, g->job_id, TASK_RUNNING, g->created, err) : BT_OK;
  for (int from = 0; from < TASK_STATE_COUNT && !r; from++)
    for (int to = 0; to < TASK_STATE_COUNT && !r; to++) {
      int64_t n = g->moves[from][to];
      if (!n || from == to)
        continue;
      r = store_job_counts_add(g->s, g->job_id, (bt_task_state)from, -n, err);
      if (!r)
        r = store_job_counts_add(g->s, g->job_id, (bt_task_state)to, n, err);
    }
  return r;
}

bt_status ingest_apply(bt_ingest *g, int64_t *applied, bt_error *err) {
  if (!g->in_tx)
    return BT_OK; /* no line of the batch's */
  bt_status r = run_apply(g, err);
  if (!r && (g->d_cost != 0 || g->d_in || g->d_out))
    r = store_run(g->s, err, "applying results", NULL,
                  "UPDATE jobs SET actual_cost_usd = actual_cost_usd + ?2, actual_input_tokens ="
                  " actual_input_tokens + ?3, actual_output_tokens = actual_output_tokens + ?4"
                  " WHERE id = ?1",
                  "tdii", g->job_id, g->d_cost, g->d_in, g->d_out);
  if (!r)
    r = apply_moves(g, err);
  if (!r)
    r = store_attempt_log_finished(g->s, g->job_id, util_now_ms(), g->staged, g->staged_cost, err);
  if (!r && g->conflicts)
    log_warn("ingest: batch %lld: %lld custom_ids had conflicting result lines (a success and "
             "a failure); the successes were kept",
             (long long)g->batch_id, (long long)g->conflicts);
  if (!r && g->foreign)
    log_warn("ingest: batch %lld: %lld answers for tasks of the job's other batches were applied"
             " to those tasks (by custom_id)",
             (long long)g->batch_id, (long long)g->foreign);
  if (!r)
    r = store_bulk_end(g->s, err);
  if (!r)
    r = store_commit(g->s, err);
  if (!r) {
    g->in_tx = 0;
    if (applied)
      *applied += g->staged;
  }
  ingest_end(g);
  return r;
}

bt_status store_attempt_finish_rest(bt_store *s, int64_t batch_id, bt_task_state state,
                                    const char *code, const char *message, int64_t *n,
                                    bt_error *err) {
  int64_t now = util_now_ms();
  const char *name = task_state_name(state);
  /* code and message are often a provider's (a failed batch's errors.data): scrubbed */
  char *c = code ? util_xstrdup(code) : NULL, *m = message ? util_xstrdup(message) : NULL;
  if (c)
    secret_scrub(c);
  if (m)
    secret_scrub(m);
  code = c;
  message = m;
  bt_status r =
      store_attempt_log_ending(s, "batch_id = ?1 AND state = 'running'", batch_id, now, err);
  if (!r)
    r = store_run(
        s, err, "updating tasks", NULL,
        "UPDATE tasks SET state = ?2, error_code = ?3, output = NULL, updated_at = ?4 FROM"
        " attempts a WHERE a.batch_id = ?1 AND a.state = 'running' AND tasks.id = a.task_id"
        " AND tasks.last_attempt_id = a.id AND tasks.state <> 'succeeded'",
        "itti", batch_id, name, code, now);
  int changes = 0;
  if (!r)
    r = store_run(s, err, "updating attempts", &changes,
                  "UPDATE attempts SET state = ?2, error_code = ?3, error_message = ?4,"
                  " finished_at = ?5 WHERE batch_id = ?1 AND state = 'running'",
                  "ittti", batch_id, name, code, message, now);
  if (n)
    *n = changes;
  free(c);
  free(m);
  return r;
}
