/* engine_batch: one remote batch (openai, anthropic) through its life, crash-safe:
 *
 *   intent -> (spool file from the store) -> uploading -> uploaded   (OpenAI only)
 *   -> creating [committed before the create is sent] -> remote [id committed on response]
 *   -> polls until terminal -> result files downloaded to a spool, then ingested whole in
 *   one transaction (ingest_file.h) -> done
 *
 * A batch found in `creating` (after a crash, or after a create whose answer was lost,
 * unreadable or late) is reconciled first: list the provider's batches and match our tag
 * (OpenAI metadata) or, for Anthropic which has no metadata, the request count and a creation
 * time no earlier than the create's (less the learned clock skew). It is created again only
 * when a list sent after the create's timeout plus a margin (create_settled_at) was read in
 * full and does not show it; an unreadable list proves nothing and stops the job's creates.
 * Creates go on a connection of their own (http_req_once), so the transport never re-sends
 * one, and only with the job's lease in hand (engine_lease_ok). Batches that still slip
 * through (a create slower than any reconcile) are found by the orphan scan at the end of the
 * file, cancelled and reported (OpenAI: by tag, every ORPHAN_SCAN_POLLS polls and once more
 * before the job is marked finished, engine_orphan_scan_final). Anthropic orphans have no tag:
 * one that has ended is taken as ours only when its every result line is one of the job's
 * custom_ids (then its answers are applied and it is reported as a duplicate); one in progress
 * of a chunk's size is only reported as suspected, never cancelled (see "Anthropic orphans"
 * below). Result lines apply by custom_id to the job's tasks whichever batch they came from
 * (store_attempt.c other_find), so a paid answer is never recorded as a failure. Residual risk
 * (Anthropic): two of our batches of the same size created within the skew window by different
 * jobs could be confused; we skip remote ids already known to the store, which leaves only
 * batches created by other tools (which, over the same input, also share its custom_ids). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "engine_impl.h"
#include "ingest_file.h"
#include "logger.h"
#include "retry.h"
#include "secret.h"
#include "store_batch.h"
#include "store_sql.h"
#include "util.h"

/* Anthropic matching: a batch created from this long before our create was sent (clock skew
 * between us and the provider) counts as a candidate. */
#define RECONCILE_SLACK_MS (30 * 1000)
#define RECONCILE_MAX_PAGES 50

static void create_slot_release(bt_engine *e, ebatch *b);

void engine_batch_free(bt_engine *e, ebatch *b) {
  create_slot_release(e, b);
  if (b->dl_spool)
    fclose(b->dl_spool);
  free(b->dl_path);

  lines_cleanup(&b->lines);
  remote_batch_cleanup(&b->rb);
  free(b->list_after);
  free(b->unknown_status);
  free(b->polled_id);
  free(b);
}

static void spool_path(bt_engine *e, const bt_batch *row, char *buf, size_t size) {
  snprintf(buf, size, "%s/%s.%s", e->spool_dir, row->tag,
           row->provider && !strcmp(row->provider, "anthropic") ? "json" : "jsonl");
}

/* Where a batch's result files are downloaded before they are ingested. */
static void results_spool_path(bt_engine *e, const bt_batch *row, char *buf, size_t size) {
  snprintf(buf, size, "%s/%s.results.jsonl", e->spool_dir, row->tag);
}

/* Anthropic batches carry no tag, so two of ours of the same size created at the same time
 * could not be told apart after a crash. Creates (and reconciles) are therefore serialised per
 * engine: at most one anthropic batch is between intent and a recorded id at any time, and
 * every earlier one's id is known to the store (excluded from matching). */
static int create_slot(bt_engine *e, ebatch *b) {
  if (b->job->prov.kind != PROVIDER_ANTHROPIC)
    return 1;
  if (e->create_slot && e->create_slot != b->id)
    return 0;
  e->create_slot = b->id;
  return 1;
}

static void create_slot_release(bt_engine *e, ebatch *b) {
  if (e->create_slot == b->id)
    e->create_slot = 0;
}

/* A transfer of b finished after this process lost the job's lease (it was stopped past it
 * and another process took over): its answer is dropped unwritten, the new driver has the job.
 * Returns 1 when it was (r is freed). */
static int dropped_after_lease(bt_engine *e, ebatch *b, bt_http_req *r) {
  b->busy = 0;
  if (engine_lease_ok(e, b->job))
    return 0;
  log_warn("engine: job %s: batch %lld: an answer came after the lease was lost; not recorded",
           b->job->id, (long long)b->id);
  http_req_free(r);
  return 1;
}

/* ---- ending a batch ---- */

void engine_batch_mark_done(bt_engine *e, ebatch *b, bt_task_state rest, const char *code,
                            const char *msg) {
  bt_error err;
  int64_t n = 0;
  bt_status r = store_begin(e->store, &err);
  if (!r)
    r = store_attempt_finish_rest(e->store, b->id, rest, code, msg, &n, &err);
  if (!r)
    r = store_batch_set_state(e->store, b->id, "done", &err);
  if (!r)
    r = store_batch_sync_counts(e->store, b->id, &err);
  if (!r)
    r = store_commit(e->store, &err);
  if (r) {
    store_rollback(e->store);
    log_error("engine: ending batch %lld: %s", (long long)b->id, err.message);
    b->next_at = util_mono_ms() + 1000;
    return;
  }
  b->done = 1;
  b->job->dirty = 1;
  create_slot_release(e, b);
  if (n)
    log_info("engine: batch %lld: %lld tasks ended %s (%s)", (long long)b->id, (long long)n,
             task_state_name(rest), code ? code : "");
}

void engine_job_fail_unsent(bt_engine *e, ejob *j, const char *code, const char *msg) {
  for (ebatch *b = j->batches; b; b = b->next) {
    if (b->done || b->busy)
      continue;
    bt_batch row;
    bt_error err;
    if (store_batch_get(e->store, b->id, &row, &err))
      continue;
    if (!row.remote_id && strcmp(row.state, "done") != 0) {
      bt_error e2;
      if (store_batch_set_error(e->store, b->id, msg, &e2))
        log_warn("engine: %s", e2.message);
      engine_batch_mark_done(e, b, TASK_FAILED, code, msg);
    }
    batch_cleanup(&row);
  }
}

/* Actual spend plus the estimates of every chunk already committed to (past this check:
 * uploading, uploaded, creating, remote; a chunk goes on from uploading to the provider without
 * another check) and of b. Chunks still at intent are checked on their own turn. The budget is
 * read from the store each time: `retry --max-cost` sets it anew, possibly while another
 * process drives the job. A task's output is estimated at the job's worst case over the rows it
 * was planned for: its own tasks, or for a pipeline stage the input's rows (stage 1's tasks), not
 * the rows that have flowed in so far. */
int engine_over_budget(bt_engine *e, ejob *j, ebatch *b, double *max_cost) {
  bt_error err;
  sqlite3_stmt *st;
  *max_cost = -1;
  if (store_prepare(e->store, "SELECT max_cost_usd FROM jobs WHERE id = ?", &st, &err))
    return 0;
  sqlite3_bind_text(st, 1, j->id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
    *max_cost = sqlite3_column_double(st, 0);
  sqlite3_finalize(st);
  if (*max_cost < 0)
    return 0;
  /* A stop is a stop: once a chunk was stopped, the chunks after it in its round are too, until
   * its tasks are retried. Without this a later chunk could still go: a smaller one, or one
   * checked after chunks in flight were billed below their estimates; and a later pipeline
   * stage's chunks keep coming as rows flow in from the stage before. */
  int64_t stopped = 0;
  if (!store_query_int(
          e->store, &err, &stopped, 0,
          "SELECT EXISTS (SELECT 1 FROM tasks t JOIN attempts a ON a.id ="
          " t.last_attempt_id JOIN batches s ON s.id = a.batch_id JOIN batches me ON"
          " me.id = ?2 WHERE t.job_id = ?1 AND t.error_code = 'budget_exceeded' AND"
          " t.state = 'cancelled' AND s.round = me.round AND s.chunk_no < me.chunk_no)",
          "ti", j->id, b->id) &&
      stopped)
    return 1;
  double out_per;
  if (store_job_output_per_task(e->store, j->id, &out_per, &err))
    return 0;
  /* Per chunk, its tasks as they were sized (store_batch_set_size): every attempt of a chunk
   * in flight is running until its results are in, when the chunk is done. */
  if (store_prepare(e->store,
                    "SELECT coalesce(sum(b.est_input_tokens), 0), coalesce(sum(b.n_requests), 0),"
                    " (SELECT actual_cost_usd FROM jobs WHERE id = ?1)"
                    " FROM batches b WHERE b.job_id = ?1 AND (b.state IN"
                    " ('uploading','uploaded','creating','remote') OR b.id = ?2)",
                    &st, &err))
    return 0;
  sqlite3_bind_text(st, 1, j->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, b->id);
  int over = 0;
  if (sqlite3_step(st) == SQLITE_ROW) {
    int64_t in = sqlite3_column_int64(st, 0);
    int64_t n = sqlite3_column_int64(st, 1);
    double actual = sqlite3_column_double(st, 2);
    double est = provider_cost_usd(j->provider_name, j->model, in, (int64_t)(out_per * (double)n));
    over = actual + est > *max_cost + 1e-12;
  }
  sqlite3_finalize(st);
  return over;
}

/* ---- failures ---- */

/* A transfer failed: retry later, or give up with a clear error. sent: the batch already
 * exists at the provider (polls, downloads, cancels). */
static void on_failure(bt_engine *e, ebatch *b, bt_http_req *r, const char *what, int sent) {
  ejob *j = b->job;
  char code[96], msg[512], desc[700];
  http_error_parse(r->body.data, r->body.len, code, sizeof code, msg, sizeof msg);
  http_req_describe(r, desc, sizeof desc);
  int64_t delay = 0;
  bt_http_verdict v = http_decide(r->status, http_req_net_failed(r), &r->hdrs, code, b->fails,
                                  engine_jitter(), j->prov.max_retry_after_ms, &delay);
  if (v == HTTP_RETRY && b->fails < e->max_fails) {
    b->fails++;
    b->next_at = util_mono_ms() + delay;
    log_info("engine: %s %s of batch %lld: %s; retry %d in %lld ms", j->prov.name, what,
             (long long)b->id, desc, b->fails, (long long)delay);
    if (b->fails == 1 || b->fails % 5 == 0)
      engine_emit(e, ENGINE_EV_MESSAGE, j->id, LOG_WARN, "%s %s: %s (retrying)", j->prov.name, what,
                  desc);
    return;
  }
  char full[800];
  snprintf(full, sizeof full, "%s %s failed: %s%s", j->prov.name, what, desc,
           v == HTTP_RETRY ? " (retries exhausted)" : "");
  engine_job_error(e, j, b, full);
  if (!sent && v == HTTP_FATAL) {
    /* Auth, quota, a bad request: no further batch of this job can succeed. */
    j->fatal = 1;
    char c[96];
    if (code[0])
      util_strlcpy(c, code, sizeof c);
    else
      snprintf(c, sizeof c, "http_%ld", r->status);
    engine_job_fail_unsent(e, j, c, full);
  } else {
    /* The provider or the network stays unreachable, or the batch vanished: stop, keep the
     * job resumable (status --wait tries again). */
    j->gave_up = 1;
    engine_emit(e, ENGINE_EV_JOB_ERROR, j->id, LOG_ERROR, "%s", full);
  }
  b->fails = 0;
}

/* ---- create and reconcile ---- */

static void adopt_remote(bt_engine *e, ebatch *b, const bt_remote_batch *rb, const char *how) {
  bt_error err;
  bt_status r = store_begin(e->store, &err);
  if (!r)
    r = store_batch_set_remote(e->store, b->id, rb, 1, &err);
  if (!r)
    r = store_attempt_tasks_running(e->store, b->id, &err);
  if (!r) {
    char m[256];
    snprintf(m, sizeof m, "batch %s %s", rb->id, how);
    r = store_event(e->store, b->job->id, b->id, "info", "created", m, &err);
  }
  if (!r)
    r = store_commit(e->store, &err);
  if (r) {
    store_rollback(e->store);
    log_error("engine: recording batch %s: %s", rb->id, err.message);
    b->next_at = util_mono_ms() + 1000;
    return;
  }
  b->maybe_created = 0;
  create_slot_release(e, b);
  b->fails = 0;
  b->poll_ms = 0;
  b->job->dirty = 1;
  b->next_at = util_mono_ms() + (e->poll_ms > 0 ? e->poll_ms : 2000);
}

static void create_done(bt_http_req *r, void *ud) {
  ebatch *b = ud;
  bt_engine *e = (bt_engine *)r->ud2;
  if (dropped_after_lease(e, b, r))
    return;
  if (!http_req_net_failed(r) && r->status >= 200 && r->status < 300) {
    bt_remote_batch rb;
    bt_error err;
    if (provider_parse_batch(b->job->prov.kind, r->body.data, r->body.len, &rb, &err)) {
      /* Created, but the answer is unreadable: find it by listing (and wait for it). */
      b->maybe_created = 1;
      char m[700];
      snprintf(m, sizeof m,
               "%s create answered 200 but unreadable (%s): finding the batch by "
               "listing before anything is created again",
               b->job->prov.name, err.message);
      /* A warning, not the job's error: found again, nothing is lost (the job can end 0). */
      bt_error e2;
      if (store_event(e->store, b->job->id, b->id, "warn", "create_unreadable", m, &e2))
        log_warn("engine: %s", e2.message);
      engine_emit(e, ENGINE_EV_MESSAGE, b->job->id, LOG_WARN, "%s", m);
      b->next_at = util_mono_ms() + 1000;
    } else {
      engine_crash_point("after-create");
      adopt_remote(e, b, &rb, "created");
      remote_batch_cleanup(&rb);
    }
  } else {
    /* No answer at all: the create may have happened. An HTTP error answer: it did not. */
    b->maybe_created = http_req_net_failed(r);
    if (!b->maybe_created)
      create_slot_release(e, b); /* certainly not created: let another go first */
    on_failure(e, b, r, "create", 0);
  }
  http_req_free(r);
}

static void send_create(bt_engine *e, ebatch *b, const bt_batch *row) {
  bt_error err;
  char spool[4400];
  spool_path(e, row, spool, sizeof spool);
  /* The one step that costs money: only with the lease in hand (a process that was stopped
   * past it must not create what the process that took over creates too), and not while the
   * provider's list is unreadable (a batch of the job may exist that we cannot see). */
  if (!engine_lease_ok(e, b->job))
    return;
  if (b->job->list_unreadable) {
    b->next_at = util_mono_ms() + 500;
    return;
  }
  if (store_batch_set_creating(e->store, b->id, &err)) {
    log_error("engine: %s", err.message);
    b->next_at = util_mono_ms() + 1000;
    return;
  }
  /* From here a crash leaves `creating`: the next run lists before creating again. */
  engine_crash_point("after-intent");
  bt_http_req *r;
  if (provider_req_create(&b->job->prov, b->job->endpoint, row->input_file_id, spool, row->tag,
                          b->job->id, &r, &err)) {
    engine_job_error(e, b->job, b, err.message);
    b->next_at = util_mono_ms() + 5000;
    return;
  }
  r->ud2 = e;
  b->busy = 1;
  engine_add_transfer(e, r, create_done, b);
}

/* An uncertain create (no answer, an unreadable one, or a crash after the intent) may still
 * land at the provider up to the client's timeout after it was sent (a provider that is slow to
 * answer is not slow to create), and then some: only a list sent after this moment (wall ms)
 * that does not show the batch proves it absent. The margin is half the timeout, at most 30 s. */
static int64_t create_settled_at(ejob *j, const bt_batch *row) {
  int64_t sent = row->submitted_at ? row->submitted_at : row->created_at;
  long timeout = provider_create_timeout_ms(&j->prov);
  int64_t margin = timeout / 2 < 30000 ? timeout / 2 : 30000;
  return sent + timeout + margin;
}

/* A list answered 2xx that cannot be read is no answer: nothing is concluded from it (above all
 * not "absent"), no chunk of the job is created until a list is read again (j->list_unreadable),
 * and the list is tried again with backoff; the user is told, and retries running out end the
 * job as resumable, like any failing transfer. */
static void list_unreadable(bt_engine *e, ebatch *b, const char *why) {
  ejob *j = b->job;
  j->list_unreadable = 1;
  char m[700];
  snprintf(m, sizeof m,
           "%s list of batches unreadable (%s): no chunk of the job is created until a list "
           "can be read",
           j->prov.name, why);
  if (b->fails >= e->max_fails) {
    char full[800];
    snprintf(full, sizeof full, "%s (retries exhausted)", m);
    engine_job_error(e, j, b, full);
    j->gave_up = 1;
    engine_emit(e, ENGINE_EV_JOB_ERROR, j->id, LOG_ERROR, "%s", full);
    b->fails = 0;
    return;
  }
  int64_t delay = http_backoff_ms(b->fails, engine_jitter());
  b->fails++;
  b->next_at = util_mono_ms() + delay;
  log_warn("engine: batch %lld: %s; retry %d in %lld ms", (long long)b->id, m, b->fails,
           (long long)delay);
  if (b->fails == 1 || b->fails % 5 == 0) {
    bt_error err;
    if (store_event(e->store, j->id, b->id, "warn", "list_unreadable", m, &err))
      log_warn("engine: %s", err.message);
    engine_emit(e, ENGINE_EV_MESSAGE, j->id, LOG_WARN, "%s (retrying)", m);
  }
}

/* How long before our create was sent (our clock) a batch may have been created (the
 * provider's clock) and still be ours: the clock skew between us, learned from the job's
 * batches whose create we sent and whose creation time we know (the smallest creation-minus-
 * sent offset, negative when the provider's clock is behind), plus a second; 30 s while there
 * is none. Tight is what matters: a batch of the same size created before our create was sent
 * (an orphan of an earlier chunk, which was created before this chunk's intent) must not be
 * taken for this chunk's. */
static int64_t anthropic_slack_ms(bt_engine *e, const bt_batch *row) {
  bt_error err;
  int64_t n = 0, least = 0;
  if (store_query_int(e->store, &err, &n, 0,
                      "SELECT count(*) FROM batches WHERE job_id = ? AND remote_id IS NOT NULL AND"
                      " submitted_at IS NOT NULL AND remote_created_at IS NOT NULL",
                      "t", row->job_id) ||
      !n ||
      store_query_int(e->store, &err, &least, 0,
                      "SELECT min(remote_created_at - submitted_at) FROM batches WHERE job_id = ?"
                      " AND remote_id IS NOT NULL AND submitted_at IS NOT NULL AND"
                      " remote_created_at IS NOT NULL",
                      "t", row->job_id))
    return RECONCILE_SLACK_MS;
  int64_t slack = (least < 0 ? -least : 0) + 1000;
  return slack < RECONCILE_SLACK_MS ? slack : RECONCILE_SLACK_MS;
}

/* submitted_at holds the time the create was about to be sent (set with state creating). */
static int anthropic_match(bt_engine *e, const bt_batch *row, const bt_remote_batch *rb) {
  int64_t sent = row->submitted_at ? row->submitted_at : row->created_at;
  if (rb->total != row->n_requests || rb->created_at_ms < sent - anthropic_slack_ms(e, row))
    return 0;
  int known = 1;
  bt_error err;
  if (store_batch_remote_known(e->store, "anthropic", rb->id, &known, &err))
    return 0;
  return !known;
}

static void list_done(bt_http_req *r, void *ud) {
  ebatch *b = ud;
  bt_engine *e = (bt_engine *)r->ud2;
  if (dropped_after_lease(e, b, r))
    return;
  if (http_req_net_failed(r) || r->status < 200 || r->status >= 300) {
    on_failure(e, b, r, "list", 0);
    http_req_free(r);
    return;
  }
  bt_error err;
  bt_batch row;
  if (store_batch_get(e->store, b->id, &row, &err)) {
    http_req_free(r);
    b->next_at = util_mono_ms() + 1000;
    return;
  }
  bt_remote_batch *items = NULL;
  size_t n = 0;
  char *after = NULL;
  int more = 0;
  int found = -1;
  int older = 0; /* the page reached batches created before our intent */
  int readable = provider_parse_list(b->job->prov.kind, r->body.data, r->body.len, &items, &n,
                                     &after, &more, &err) == BT_OK;
  if (readable) {
    b->job->list_unreadable = 0;
    for (size_t i = 0; i < n && found < 0; i++) {
      if (b->job->prov.kind == PROVIDER_ANTHROPIC
              ? anthropic_match(e, &row, &items[i])
              : (items[i].tag && row.tag && !strcmp(items[i].tag, row.tag)))
        found = (int)i;
      int64_t sent = row.submitted_at ? row.submitted_at : row.created_at;
      if (items[i].created_at_ms && items[i].created_at_ms < sent - RECONCILE_SLACK_MS)
        older = 1;
    }
  }
  int64_t settled = create_settled_at(b->job, &row);
  if (!readable) {
    list_unreadable(e, b, err.message);
  } else if (found >= 0) {
    log_info("engine: reconciled batch %lld with %s", (long long)b->id, items[found].id);
    adopt_remote(e, b, &items[found], "found again after a restart (not created twice)");
  } else if (more && after && !older && ++b->list_pages < RECONCILE_MAX_PAGES) {
    free(b->list_after);
    b->list_after = after;
    after = NULL;
    b->next_at = 0;
  } else if (b->list_sent_wall < settled) {
    /* Not listed, but the create may still land: look again, create only after it settled. */
    b->list_pages = 0;
    free(b->list_after);
    b->list_after = NULL;
    b->fails = 0;
    int64_t left = settled - b->list_sent_wall;
    b->next_at = util_mono_ms() + (left < 1000 ? left : 1000);
    if (!b->settle_noted) {
      b->settle_noted = 1;
      engine_emit(e, ENGINE_EV_MESSAGE, b->job->id, LOG_INFO,
                  "batch %lld: an earlier create may still land at %s; not listed yet, waiting "
                  "%lld ms before creating it again",
                  (long long)b->id, b->job->prov.name, (long long)left);
    }
  } else {
    /* Not at the provider, though it had time to land: safe to create. */
    b->maybe_created = 0;
    b->settle_noted = 0;
    b->list_pages = 0;
    free(b->list_after);
    b->list_after = NULL;
    b->fails = 0;
    b->next_at = 0;
  }
  for (size_t i = 0; i < n; i++)
    remote_batch_cleanup(&items[i]);
  free(items);
  free(after);
  batch_cleanup(&row);
  http_req_free(r);
}

static void send_list(bt_engine *e, ebatch *b) {
  bt_http_req *r;
  bt_error err;
  if (!b->list_after)
    b->list_sent_wall = util_now_ms(); /* a reconcile proves absence from its first page's time */
  if (provider_req_list(&b->job->prov, b->list_after, &r, &err)) {
    log_error("engine: %s", err.message);
    b->next_at = util_mono_ms() + 5000;
    return;
  }
  r->ud2 = e;
  b->busy = 1;
  engine_add_transfer(e, r, list_done, b);
}

/* ---- upload ---- */

typedef struct {
  const bt_provider_conn *p;
  FILE *f;
  bt_error *err;
} spool_ctx;

static bt_status spool_one(void *ud, int64_t index, const char *custom_id, const char *request,
                           int64_t attempt_id, int64_t task_id, int64_t est) {
  spool_ctx *c = ud;
  (void)custom_id;
  (void)attempt_id;
  (void)task_id;
  (void)est;
  return provider_spool_line(c->p, c->f, index, request, c->err);
}

static bt_status write_spool(bt_engine *e, ebatch *b, const char *path, bt_error *err) {
  char tmp[4500];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "wb");
  if (!f)
    return error_set_at(err, BT_ERR_IO, tmp, 0, 0, "cannot write the spool file");
  spool_ctx c = {&b->job->prov, f, err};
  bt_status r = provider_spool_begin(&b->job->prov, f, err);
  if (!r)
    r = store_attempt_each(e->store, b->id, 0, 0, 0, spool_one, &c, err);
  if (!r)
    r = provider_spool_end(&b->job->prov, f, err);
  if (fclose(f) != 0 && !r)
    r = error_set_at(err, BT_ERR_IO, tmp, 0, 0, "cannot write the spool file");
  if (!r && rename(tmp, path) != 0)
    r = error_set_at(err, BT_ERR_IO, path, 0, 0, "cannot write the spool file");
  if (r)
    unlink(tmp);
  return r;
}

static void upload_done(bt_http_req *r, void *ud) {
  ebatch *b = ud;
  bt_engine *e = (bt_engine *)r->ud2;
  if (dropped_after_lease(e, b, r))
    return;
  if (!http_req_net_failed(r) && r->status >= 200 && r->status < 300) {
    char *id = NULL;
    bt_error err;
    if (provider_parse_file_id(r->body.data, r->body.len, &id, &err)) {
      engine_job_error(e, b->job, b, err.message);
      b->next_at = util_mono_ms() + 5000;
    } else {
      /* Uploaded but not recorded if we die here: the next run uploads again (a spare file
       * at the provider, never a spare batch). */
      engine_crash_point("mid-upload");
      if (store_batch_set_input_file(e->store, b->id, id, &err))
        log_error("engine: %s", err.message);
      b->fails = 0;
      b->next_at = 0;
      b->job->dirty = 1;
    }
    free(id);
  } else {
    on_failure(e, b, r, "upload", 0);
  }
  http_req_free(r);
}

/* ---- the enqueued-token limit ---- */

/* OpenAI (and Azure) cap the prompt tokens enqueued per model across all in-progress batches
 * of an organisation; a batch over the cap is accepted, then fails with this code before any
 * request runs (nothing billed). Its tasks wait and go again, not fail (retry.h). */
#define TOKEN_LIMIT_CODE "token_limit_exceeded"
#define TOKEN_WAIT_MS 60000 /* first wait when nothing of the model ends sooner; doubles */
#define TOKEN_WAIT_CAP 10   /* the wait stops doubling at this many times the first */
#define TOKEN_LONE_MAX 5    /* refusals with nothing else in flight before giving up */
/* Percent of a learned limit our chunks may fill: the limit counts the provider's tokens, we
 * only have an estimate (tokens.h: about +-15%). */
#define TOKEN_LIMIT_SHARE 90

static int64_t token_wait_ms(bt_engine *e, int64_t waits) {
  /* BATCHTOP_POLL_MS scales it like the polls (tests wait well under a second). */
  int64_t first = e->poll_ms > 0 ? e->poll_ms * 4 : TOKEN_WAIT_MS;
  int64_t ms = first;
  for (int64_t i = 0; i < waits && ms < first * TOKEN_WAIT_CAP; i++)
    ms *= 2;
  if (ms > first * TOKEN_WAIT_CAP)
    ms = first * TOKEN_WAIT_CAP;
  /* Jitter: chunks refused together must not go again together, each time blaming the other
   * for the queue being full. */
  return ms * 3 / 4 + (int64_t)((double)ms / 2 * engine_jitter());
}

/* A batch of j's provider and model left the provider's queue: the chunks held back for the
 * limit (of any job) go now instead of at the end of their wait. */
static void token_limit_release(bt_engine *e, ejob *j) {
  bt_error err;
  int changes = 0;
  int64_t now = util_now_ms();
  if (store_run(e->store, &err, "releasing held chunks", &changes,
                "UPDATE batches SET next_poll_at = ?1 WHERE state = 'intent' AND next_poll_at >"
                " ?1 AND job_id IN (SELECT id FROM jobs WHERE provider = ?2 AND model = ?3)",
                "itt", now, j->provider_name, j->model)) {
    log_warn("engine: %s", err.message);
    return;
  }
  if (!changes)
    return;
  log_info("engine: a %s batch of %s ended: %d held chunks go again now", j->provider_name,
           j->model, changes);
  for (ejob *o = e->jobs; o; o = o->next)
    if (!strcmp(o->provider_name, j->provider_name) && !strcmp(o->model, j->model))
      for (ebatch *h = o->batches; h; h = h->next)
        if (!h->done && !h->busy)
          h->next_at = 0;
  curl_multi_wakeup(e->multi); /* the loop may be about to sleep on an earlier deadline */
}

/* The limit learned for j's model from an earlier refusal, 0 when none. Only OpenAI states
 * one (Anthropic has no such queue limit). */
static int64_t token_limit_of(bt_engine *e, ejob *j) {
  if (j->prov.kind != PROVIDER_OPENAI)
    return 0;
  return retry_token_limit_get(e->store, j->provider_name, j->model);
}

/* The unsent chunk batch_id of j, cut into chunks that each fit the share of the learned
 * limit (retry_split_batch); tasks too large for the limit itself fail, and the job says so.
 * Returns 1 when it changed (the engine loads the new chunks), 0 when it fits as it is. */
static int token_limit_split(bt_engine *e, ejob *j, int64_t batch_id, int64_t limit) {
  bt_error err;
  int64_t parts = 1, over = 0;
  if (retry_split_batch(e->store, batch_id, limit * TOKEN_LIMIT_SHARE / 100, limit,
                        TOKEN_LIMIT_CODE, &parts, &over, &err)) {
    log_error("engine: splitting batch %lld: %s", (long long)batch_id, err.message);
    return 0; /* sent whole: a refusal holds it again */
  }
  if (parts == 1 && !over)
    return 0;
  char lim[32];
  util_fmt_count((double)limit, lim, sizeof lim);
  if (parts > 1)
    engine_emit(e, ENGINE_EV_MESSAGE, j->id, LOG_INFO,
                "enqueued-token limit of %s is %s tokens: batch %lld cut into %lld chunks that "
                "each fit",
                j->model, lim, (long long)batch_id, (long long)parts);
  if (over) {
    char m[512];
    snprintf(m, sizeof m,
             RETRY_TOKEN_LIMIT_GAVE_UP " of %s (%s tokens) for %lld requests: each alone is "
                                       "estimated above it, so they failed. Shorten them (see "
                                       "`batchtop errors %s`).",
             j->model, lim, (long long)over, j->id);
    engine_job_error(e, j, NULL, m);
  }
  j->dirty = 1;
  j->next_reload = 0;
  curl_multi_wakeup(e->multi);
  return 1;
}

/* b was refused for the limit: hold its tasks in a new chunk (retry_requeue_batch) that goes
 * when another batch of the model ends or its wait is over. Returns 0 when the engine gives up
 * instead (the refusals keep coming with nothing else in flight: the chunk alone may be over
 * the limit); *msg then says so for the failed tasks. */
static int token_limit_hold(bt_engine *e, ebatch *b, const char *why, char *msg, size_t size) {
  ejob *j = b->job;
  bt_error err;
  int64_t waits = 0, lone = 0, chunk = 0, others = 1;
  sqlite3_stmt *st;
  bt_status r = store_prepare(
      e->store, "SELECT token_waits, token_lone, chunk_no FROM batches WHERE id = ?", &st, &err);
  if (!r) {
    sqlite3_bind_int64(st, 1, b->id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      waits = sqlite3_column_int64(st, 0);
      lone = sqlite3_column_int64(st, 1);
      chunk = sqlite3_column_int64(st, 2);
    } else if (rc != SQLITE_DONE) {
      r = store_fail(e->store, &err, "reading a held batch");
    }
    sqlite3_finalize(st);
  }
  /* In flight: created or being created and not ended. A batch still validating counts (it
   * may have been let in), so chunks refused together blame each other; their jittered waits
   * set them apart for the next try. */
  if (!r)
    r = store_query_int(e->store, &err, &others, 1,
                        "SELECT count(*) FROM batches b JOIN jobs j ON j.id = b.job_id WHERE"
                        " j.provider = ? AND j.model = ? AND b.id <> ? AND b.state IN"
                        " ('creating','remote') AND coalesce(b.remote_status, '') NOT IN"
                        " ('completed','failed','expired','cancelled','ended')",
                        "tti", j->provider_name, j->model, b->id);
  /* The refusal states the limit: every later chunk of the model is cut and paced by it. */
  int64_t stated = retry_token_limit_parse(why);
  if (!r && stated && j->prov.kind == PROVIDER_OPENAI)
    r = retry_token_limit_learn(e->store, j->provider_name, j->model, stated, &err);
  if (r) {
    log_error("engine: batch %lld: %s", (long long)b->id, err.message);
    b->next_at = util_mono_ms() + 1000; /* polled again, then held again */
    return 1;
  }
  if (!others)
    lone++;
  if (lone >= TOKEN_LONE_MAX) {
    snprintf(msg, size,
             RETRY_TOKEN_LIMIT_GAVE_UP " of %s: chunk %lld refused %lld times with nothing else "
                                       "in flight. Retry later: `batchtop retry %s --only "
                                       "token_limit_exceeded`, or submit with a smaller "
                                       "--chunk-size.",
             j->model, (long long)chunk, (long long)lone, j->id);
    return 0;
  }
  int64_t wait = token_wait_ms(e, waits);
  int64_t held = 0, n = 0;
  if (retry_requeue_batch(e->store, b->id, TOKEN_LIMIT_CODE, why, util_now_ms() + wait, waits + 1,
                          lone, &held, &n, &err)) {
    log_error("engine: holding batch %lld: %s", (long long)b->id, err.message);
    b->next_at = util_mono_ms() + 1000;
    return 1;
  }
  engine_crash_point("after-hold"); /* the held chunk and its wait are in the store */
  b->done = 1;
  create_slot_release(e, b);
  j->dirty = 1;
  j->next_reload = 0; /* pick up the new chunk, without sleeping on an earlier deadline */
  curl_multi_wakeup(e->multi);
  engine_emit(e, ENGINE_EV_MESSAGE, j->id, LOG_INFO,
              "enqueued-token limit of %s: %lld tasks held back as batch %lld, next try when "
              "another batch of the model ends or in %lld s",
              j->model, (long long)n, (long long)held, (long long)((wait + 999) / 1000));
  /* Cut now, not when it goes: status shows the chunks it will be sent as, and tasks that can
   * never fit fail at once. A crash before this leaves it whole; it is cut before sending. */
  int64_t limit = token_limit_of(e, j);
  if (held && limit)
    token_limit_split(e, j, held, limit);
  return 1;
}

/* b (state intent) is about to be sent and its model has a learned limit: 1 while the
 * estimated prompt tokens of the model's batches in flight (any job: the limit is the
 * organisation's) plus b's would pass the share of it; b is then held (its wait set anew, the
 * same held state as a refused chunk, woken by token_limit_release). A b over the share by
 * itself is cut first. Nothing in flight: b goes whatever its size, so nothing waits forever.
 * held: b was held already (no new event). */
static int token_limit_pace(bt_engine *e, ebatch *b, int64_t now, int held) {
  ejob *j = b->job;
  int64_t limit = token_limit_of(e, j);
  if (!limit)
    return 0;
  if (token_limit_split(e, j, b->id, limit)) {
    b->next_at = now; /* measured again as the part it now is */
    return 1;
  }
  bt_error err;
  int64_t mine = 0, inflight = 0;
  /* In flight: past this check and not ended (a batch still validating counts), of a job some
   * process drives (a live lease). A job nobody drives would never be seen to end, and would
   * hold every other chunk back for good; if its batches do fill the queue, the provider
   * refuses and the refusal is waited out as before. */
  bt_status r = store_query_int(
      e->store, &err, &inflight, 0,
      "SELECT coalesce(sum(b.est_input_tokens), 0) FROM batches b JOIN jobs j ON j.id = b.job_id"
      " WHERE j.provider = ?1 AND j.model = ?2 AND b.id <> ?3 AND b.state IN "
      "('uploading','uploaded','creating',"
      "'remote') AND coalesce(b.remote_status, '') NOT IN ('completed','failed','expired',"
      "'cancelled','ended') AND b.job_id IN (SELECT job_id FROM leases WHERE expires_at > ?4)",
      "ttii", j->provider_name, j->model, b->id, util_now_ms());
  if (!r)
    r = store_query_int(e->store, &err, &mine, 0,
                        "SELECT est_input_tokens FROM batches WHERE id = ?", "i", b->id);
  if (r) {
    log_warn("engine: %s", err.message);
    b->next_at = now + 1000;
    return 1;
  }
  if (!inflight || (inflight + mine) * 100 <= limit * TOKEN_LIMIT_SHARE)
    return 0;
  int64_t wait = token_wait_ms(e, 0);
  r = store_run(e->store, &err, "holding a chunk", NULL,
                "UPDATE batches SET next_poll_at = ? WHERE id = ?", "ii", util_now_ms() + wait,
                b->id);
  if (!r && !held) {
    char a[32], c[32], l[32], m[256];
    snprintf(m, sizeof m,
             "held: %s estimated prompt tokens of %s in flight and this chunk's %s would pass "
             "%d%% of its enqueued-token limit (%s tokens)",
             util_fmt_count((double)inflight, a, sizeof a), j->model,
             util_fmt_count((double)mine, c, sizeof c), TOKEN_LIMIT_SHARE,
             util_fmt_count((double)limit, l, sizeof l));
    r = store_event(e->store, j->id, b->id, "info", "held", m, &err);
    if (!r)
      log_info("engine: batch %lld %s", (long long)b->id, m);
  }
  if (r)
    log_warn("engine: %s", err.message);
  j->dirty = 1;
  b->next_at = now + wait;
  return 1;
}

/* A chunk at intent is due (a held one: its wait is over or another batch ended): 1 while it
 * must still wait (b->next_at set), held or paced (token_limit_pace), else 0 with any hold
 * cleared, so that it is sent as any chunk (budget check included). */
static int token_limit_waiting(bt_engine *e, ebatch *b, int64_t now) {
  bt_error err;
  int64_t until = 0;
  if (store_query_int(e->store, &err, &until, 0,
                      "SELECT coalesce(next_poll_at, 0) FROM batches WHERE id = ?", "i", b->id)) {
    log_warn("engine: %s", err.message);
    return 1;
  }
  int64_t left = until - util_now_ms();
  if (until && left > 0) {
    b->next_at = now + left;
    return 1;
  }
  if (token_limit_pace(e, b, now, until != 0))
    return 1;
  if (!until)
    return 0;
  char m[160];
  snprintf(m, sizeof m, "held chunk goes again (enqueued-token limit of %s)", b->job->model);
  if (store_run(e->store, &err, "sending a held chunk", NULL,
                "UPDATE batches SET next_poll_at = NULL WHERE id = ?", "i", b->id) ||
      store_event(e->store, b->job->id, b->id, "info", "unheld", m, &err)) {
    log_warn("engine: %s", err.message);
    return 1;
  }
  log_info("engine: batch %lld: %s", (long long)b->id, m);
  return 0;
}

/* ---- poll, cancel, download ---- */

static void finish_batch(bt_engine *e, ebatch *b) {
  const bt_remote_batch *rb = &b->rb;
  bt_task_state rest = TASK_FAILED;
  const char *code = "missing_result";
  const char *msg = "the provider returned no result line for this request";
  char gave_up[1024];
  int held = 0;
  if (!strcmp(rb->status, "expired")) {
    rest = TASK_EXPIRED;
    code = "batch_expired";
    msg = "the batch expired before this request ran";
  } else if (!strcmp(rb->status, "cancelled") || rb->cancelled) {
    rest = TASK_CANCELLED;
    code = "batch_cancelled";
    msg = "the batch was cancelled before this request ran";
  } else if (!strcmp(rb->status, "failed")) {
    code = rb->error_code ? rb->error_code : "batch_failed";
    msg = rb->error_message ? rb->error_message : "the batch failed validation";
    char m[700];
    snprintf(m, sizeof m, "batch %s failed: %s: %s", rb->id, code, msg);
    bt_error err;
    if (store_batch_set_error(e->store, b->id, m, &err) ||
        store_event(e->store, b->job->id, b->id, "error", "batch_failed", m, &err))
      log_warn("engine: %s", err.message);
    if (!strcmp(code, TOKEN_LIMIT_CODE) && !b->job->cancel) {
      held = token_limit_hold(e, b, msg, gave_up, sizeof gave_up);
      if (!held) {
        engine_job_error(e, b->job, b, gave_up);
        msg = gave_up;
      }
    }
  }
  bt_error err;
  if (!held) {
    if (store_batch_set_results_state(e->store, b->id, "ingested", &err))
      log_warn("engine: %s", err.message);
    engine_batch_mark_done(e, b, rest, code, msg);
  }
  if (b->done) {
    bt_batch row;
    if (store_batch_get(e->store, b->id, &row, &err) == BT_OK) {
      char spool[4400];
      spool_path(e, &row, spool, sizeof spool);
      unlink(spool);
      results_spool_path(e, &row, spool, sizeof spool);
      unlink(spool);
      batch_cleanup(&row);
    }
  }
}

static void download_next(bt_engine *e, ebatch *b);

/* ---- a full disk during download or ingest: said, waited on with backoff, bounded ---- */

static int disk_is_full(int err) {
#ifdef EDQUOT
  if (err == EDQUOT)
    return 1;
#endif
  return err == ENOSPC;
}

/* The folder the store and the spool live in ($BATCHTOP_HOME). */
static void home_dir(const bt_engine *e, char *out, size_t size) {
  util_strlcpy(out, e->store_path, size);
  char *slash = strrchr(out, '/');
  if (slash && slash != out)
    *slash = '\0';
}

static int64_t free_bytes(const char *dir) {
  struct statvfs v;
  if (statvfs(dir, &v) != 0)
    return -1;
  return (int64_t)v.f_bavail * (int64_t)v.f_frsize;
}

/* The results of b did not fit (need: bytes they take, files and store): wait for room, looked
 * for with backoff (engine_batch_step), for limits.disk_full_ms; then the job stops, exit 3,
 * and `status --wait` resumes it. */
static void disk_full(bt_engine *e, ebatch *b, int64_t need) {
  ejob *j = b->job;
  int64_t now = util_mono_ms(), delay = 0;
  char home[4096];
  home_dir(e, home, sizeof home);
  if (need < 1)
    need = 1;
  b->disk_need = need;
  b->dl_errno = 0;
  long long mb = (long long)((need + (1 << 20) - 1) >> 20);
  if (!poll_watch_bad(&b->disk, now, e->limits.disk_full_ms, &e->limits, &delay)) {
    if (b->disk.n == 1)
      engine_emit(e, ENGINE_EV_MESSAGE, j->id, LOG_WARN,
                  "disk full: %lld MB needed in %s for the results of batch %lld; waiting up to "
                  "%lld s for room",
                  mb, home, (long long)b->id, (long long)(e->limits.disk_full_ms / 1000));
    log_warn("engine: disk full: %lld MB needed in %s for batch %lld; looking again in %lld ms", mb,
             home, (long long)b->id, (long long)delay);
    b->next_at = now + delay;
    return;
  }
  char full[4400];
  snprintf(full, sizeof full,
           "disk full: %lld MB needed in %s for the results of batch %lld; stopped, free some "
           "space and run `batchtop status %s --wait`",
           mb, home, (long long)b->id, j->id);
  poll_watch_reset(&b->disk);
  b->disk_need = 0;
  bt_error err;
  if (store_batch_set_error(e->store, b->id, full, &err)) /* may not fit either */
    log_warn("engine: %s", err.message);
  log_error("engine: %s", full);
  j->gave_up = 1;
  engine_emit(e, ENGINE_EV_JOB_ERROR, j->id, LOG_ERROR, "%s", full);
}

/* A step of a batch waiting for room: 1 while there is still too little (wait on). */
static int disk_still_full(bt_engine *e, ebatch *b) {
  if (!b->disk_need)
    return 0;
  char home[4096];
  home_dir(e, home, sizeof home);
  int64_t avail = free_bytes(home);
  if (avail < 0 || avail >= b->disk_need) {
    b->disk_need = 0; /* room (or no way to know): download again */
    return 0;
  }
  disk_full(e, b, b->disk_need);
  return 1;
}

/* One line of a result file: appended to the batch's spool. Nothing reaches the store until
 * every file of the batch is down (download_next), so a download never holds the store's
 * write lock across turns of the engine loop, and a crash or failed transfer leaves nothing
 * half-ingested: the files are simply fetched again. */
static bt_status dl_line(void *ud, const char *line, size_t len) {
  ebatch *b = ud;
  b->dl_lines++;
  if (fwrite(line, 1, len, b->dl_spool) != len || putc('\n', b->dl_spool) == EOF) {
    b->dl_errno = errno;
    log_error("engine: batch %lld: writing %s: %s", (long long)b->id, b->dl_path, strerror(errno));
    return BT_ERR_IO;
  }
  if (b->dl_crash_armed && b->dl_lines == 2) {
    fflush(b->dl_spool);
    engine_crash_point("mid-download"); /* part of the file spooled, nothing stored */
  }
  return BT_OK;
}

/* Forget the spool (the download is over, or starts again from nothing). */
static void dl_spool_close(ebatch *b, int remove) {
  if (b->dl_spool)
    fclose(b->dl_spool);
  b->dl_spool = NULL;
  if (remove && b->dl_path)
    unlink(b->dl_path);
}

/* Start the batch's download from its first file, with an empty spool. */
static bt_status dl_spool_open(bt_engine *e, ebatch *b, bt_error *err) {
  dl_spool_close(b, 0);
  if (!b->dl_path) {
    bt_batch row;
    bt_status st = store_batch_get(e->store, b->id, &row, err);
    if (st)
      return st;
    char path[4400];
    results_spool_path(e, &row, path, sizeof path);
    batch_cleanup(&row);
    b->dl_path = util_xstrdup(path);
  }
  bt_status st = util_mkdir_p(e->spool_dir, 0700, err);
  if (st)
    return st;
  b->dl_spool = fopen(b->dl_path, "w+b");
  if (!b->dl_spool)
    return error_set(err, BT_ERR_IO, "cannot write %s: %s", b->dl_path, strerror(errno));
  b->dl_which = 0;
  return BT_OK;
}

static void download_done(bt_http_req *r, void *ud) {
  ebatch *b = ud;
  bt_engine *e = (bt_engine *)r->ud2;
  if (dropped_after_lease(e, b, r)) {
    lines_cleanup(&b->lines);
    memset(&b->lines, 0, sizeof b->lines);
    return;
  }
  int ok = !http_req_net_failed(r) && r->status >= 200 && r->status < 300 && !b->lines.failed;
  if (ok && lines_finish(&b->lines) != BT_OK)
    ok = 0;
  if (ok && fflush(b->dl_spool) != 0) {
    b->dl_errno = errno;
    log_error("engine: batch %lld: writing %s: %s", (long long)b->id, b->dl_path, strerror(errno));
    ok = 0;
  }
  lines_cleanup(&b->lines);
  memset(&b->lines, 0, sizeof b->lines);
  if (!ok && r->status == 404 && b->dl_which == 1) {
    ok = 1; /* a missing error file is no error (gotcha 15): the batch has no errors */
  } else if (!ok && disk_is_full(b->dl_errno)) {
    /* Room for the files and for the store's copy of them, at least. */
    curl_off_t len = -1;
    if (r->easy)
      curl_easy_getinfo(r->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
    off_t have = b->dl_spool ? ftello(b->dl_spool) : 0;
    int64_t file = len > 0 ? (int64_t)len : (int64_t)have;
    dl_spool_close(b, 1);
    disk_full(e, b, 2 * (int64_t)have + 2 * file);
    http_req_free(r);
    return;
  } else if (!ok) {
    /* The next step polls again and, the batch being over, downloads every file again into
     * an empty spool. */
    on_failure(e, b, r, "download", 1);
    http_req_free(r);
    return;
  }
  b->fails = 0;
  b->dl_which++;
  http_req_free(r);
  download_next(e, b);
}

/* Every file of the batch is spooled: ingest them as one set, in one transaction. */
static bt_status ingest_spool(bt_engine *e, ebatch *b, bt_error *err) {
  bt_ingest *g;
  bt_status st =
      ingest_new(e->store, b->job->id, b->id, b->job->provider_name, b->job->model, &g, err);
  if (st)
    return st;
  ingest_set_autocreate(g, b->job->imported);
  if (fseeko(b->dl_spool, 0, SEEK_SET) != 0)
    st = error_set(err, BT_ERR_IO, "reading %s: %s", b->dl_path, strerror(errno));
  int64_t skipped = 0;
  if (!st)
    st = ingest_file(g, b->job->prov.kind, b->dl_spool, NULL, &skipped, err);
  if (skipped)
    log_warn("engine: batch %lld: %lld result lines did not parse and were skipped",
             (long long)b->id, (long long)skipped);
  ingest_free(g);
  return st;
}

static void download_next(bt_engine *e, ebatch *b) {
  int max_which = b->job->prov.kind == PROVIDER_ANTHROPIC ? 0 : 1;
  bt_error err;
  /* The spool is open: poll_done opened it when the batch ended, download_done goes on in it. */
  while (b->dl_which <= max_which) {
    bt_http_req *r;
    bt_status st = provider_req_results(&b->job->prov, &b->rb, b->dl_which, &r, &err);
    if (st == BT_ERR_NOT_FOUND) {
      b->dl_which++; /* no such file: e.g. every request failed, so no output file */
      continue;
    }
    if (st) {
      log_error("engine: %s", err.message);
      b->next_at = util_mono_ms() + 5000;
      return;
    }
    lines_init(&b->lines, dl_line, b);
    b->dl_crash_armed = 1;
    http_req_lines(r, &b->lines);
    r->ud2 = e;
    b->busy = 1;
    engine_add_transfer(e, r, download_done, b);
    return;
  }
  off_t spooled = b->dl_spool ? ftello(b->dl_spool) : 0;
  bt_status st = ingest_spool(e, b, &err);
  dl_spool_close(b, 1);
  if (st && strstr(err.message, sqlite3_errstr(SQLITE_FULL))) {
    /* the store's copy of the results, with its journal: about twice the files */
    disk_full(e, b, 2 * (int64_t)spooled);
    return;
  }
  if (st) {
    /* the next poll downloads again, into a fresh spool (dl_spool_open) */
    log_error("engine: applying results of batch %lld: %s", (long long)b->id, err.message);
    b->next_at = util_mono_ms() + 2000;
    return;
  }
  b->job->dirty = 1;
  poll_watch_reset(&b->disk);
  b->disk_need = 0;
  finish_batch(e, b);
}

static int64_t next_poll(bt_engine *e, ebatch *b, const bt_remote_batch *rb) {
  if (e->poll_ms > 0)
    return e->poll_ms;
  int64_t done = rb->succeeded + rb->failed;
  if (done != b->last_done || !strcmp(rb->status, "finalizing")) {
    b->poll_ms = 2000; /* moving: look again soon */
  } else {
    b->poll_ms = b->poll_ms ? b->poll_ms * 2 : 5000; /* queued: back off */
    if (b->poll_ms > 60000)
      b->poll_ms = 60000;
  }
  b->last_done = done;
  return b->poll_ms;
}

/* Every string of a polled batch is the provider's, and may quote the key (a failed batch's
 * errors.data[].message does, at some providers): scrubbed before anything stores or shows it. */
static void remote_batch_scrub(bt_remote_batch *rb) {
  char *fields[] = {
      rb->id,          rb->status, rb->raw_status, rb->output_file_id, rb->error_file_id,
      rb->results_url, rb->tag,    rb->error_code, rb->error_message};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    secret_scrub(fields[i]);
}

/* ---- polls that give nothing usable (poll_watch.h): never a silent wait ---- */

/* How a batch's last_error about its polls begins, so that a good poll can take it back. */
#define POLL_NOTE "poll: "

/* The provider answered 404 for the batch: after limits.lost_ms of that it is lost, its tasks
 * failed batch_not_found (retry sends them again) and the job goes on to its end. */
static void poll_not_found(bt_engine *e, ebatch *b, const char *remote_id) {
  ejob *j = b->job;
  int64_t now = util_mono_ms(), delay = 0;
  bt_error err;
  if (!poll_watch_bad(&b->lost, now, e->limits.lost_ms, &e->limits, &delay)) {
    if (b->lost.n == 1)
      engine_emit(e, ENGINE_EV_MESSAGE, j->id, LOG_WARN,
                  "%s batch %s: not found (404) on poll; it counts as lost if that lasts %lld s",
                  j->prov.name, remote_id, (long long)(e->limits.lost_ms / 1000));
    log_warn("engine: %s batch %s: 404 on poll %d; looking again in %lld ms", j->prov.name,
             remote_id, b->lost.n, (long long)delay);
    b->next_at = now + delay;
    return;
  }
  char m[512];
  snprintf(m, sizeof m,
           "batch %s is lost: the provider answered 404 (not found) to every poll for %lld s; "
           "its tasks failed batch_not_found and can be retried",
           remote_id, (long long)((now - b->lost.since) / 1000));
  poll_watch_reset(&b->lost);
  log_error("engine: %s", m);
  if (store_run(
          e->store, &err, "marking a batch lost", NULL,
          "UPDATE batches SET remote_status = 'lost', results_state = 'ingested' WHERE id = ?", "i",
          b->id) ||
      store_batch_set_error(e->store, b->id, m, &err) ||
      store_event(e->store, j->id, b->id, "error", "batch_lost", m, &err))
    log_warn("engine: %s", err.message);
  engine_emit(e, ENGINE_EV_MESSAGE, j->id, LOG_ERROR, "%s", m);
  engine_batch_mark_done(e, b, TASK_FAILED, "batch_not_found", m);
}

/* The poll was answered 200 with something that is not a batch (HTML, cut JSON): backoff, and
 * after limits.unreadable_ms the job stops with an error (exit 3), resumable. */
static void poll_unreadable(bt_engine *e, ebatch *b, const bt_http_req *r, const char *why) {
  ejob *j = b->job;
  int64_t now = util_mono_ms(), delay = 0;
  char *ct = NULL;
  if (r->easy)
    curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &ct);
  char what[300];
  snprintf(what, sizeof what, "HTTP %ld%s%s, %zu bytes: %s", r->status, ct ? " " : "", ct ? ct : "",
           r->body.len, why);
  secret_scrub(what);
  if (!poll_watch_bad(&b->unreadable, now, e->limits.unreadable_ms, &e->limits, &delay)) {
    log_warn("engine: %s poll of batch %lld: unreadable answer (%s); looking again in %lld ms",
             j->prov.name, (long long)b->id, what, (long long)delay);
    if (b->unreadable.n == 1 || b->unreadable.n % 5 == 0)
      engine_emit(e, ENGINE_EV_MESSAGE, j->id, LOG_WARN,
                  "%s poll: unreadable answer (%s); retrying with backoff for up to %lld s",
                  j->prov.name, what, (long long)(e->limits.unreadable_ms / 1000));
    b->next_at = now + delay;
    return;
  }
  char full[800];
  snprintf(full, sizeof full,
           "%s poll failed: the provider's answers were unreadable for %lld s (%s); stopped, "
           "`batchtop status %s --wait` resumes",
           j->prov.name, (long long)((now - b->unreadable.since) / 1000), what, j->id);
  poll_watch_reset(&b->unreadable);
  /* The batch's error, not the job's: once the provider answers again (status --wait) the job
   * ends as its tasks do, and the note goes (poll_note_clear). */
  bt_error err;
  char note[900];
  snprintf(note, sizeof note, POLL_NOTE "%s", full);
  if (store_batch_set_error(e->store, b->id, note, &err) ||
      store_event(e->store, j->id, b->id, "error", "poll_unreadable", full, &err))
    log_warn("engine: %s", err.message);
  log_error("engine: %s", full);
  j->gave_up = 1;
  engine_emit(e, ENGINE_EV_JOB_ERROR, j->id, LOG_ERROR, "%s", full);
  b->fails = 0;
}

/* A status this engine knows: one of the normalised names (provider.h); for Anthropic, whose
 * parser reads any other status as in_progress, one of its own three. */
static int status_known(bt_provider_kind kind, const bt_remote_batch *rb) {
  static const char *const known[] = {"validating", "in_progress", "finalizing", "cancelling",
                                      "completed",  "failed",      "expired",    "cancelled"};
  static const char *const known_anthropic[] = {"in_progress", "canceling", "ended"};
  const char *const *k = kind == PROVIDER_ANTHROPIC ? known_anthropic : known;
  size_t n = kind == PROVIDER_ANTHROPIC ? 3 : sizeof known / sizeof known[0];
  const char *s = kind == PROVIDER_ANTHROPIC && rb->raw_status ? rb->raw_status : rb->status;
  for (size_t i = 0; i < n; i++)
    if (!strcmp(s, k[i]))
      return 1;
  return 0;
}

/* The batch reports a status nobody told batchtop about: say so once per status (stderr,
 * status, the dashboard's batch line, the log) and poll on with backoff. */
static int64_t poll_unknown_status(bt_engine *e, ebatch *b, const bt_remote_batch *rb) {
  ejob *j = b->job;
  const char *st = rb->raw_status ? rb->raw_status : rb->status;
  if (!b->unknown_status || strcmp(b->unknown_status, st) != 0) {
    char m[400];
    snprintf(m, sizeof m,
             POLL_NOTE
             "batch %s reports status '%s', which batchtop does not know; polling it with "
             "backoff until it changes",
             rb->id, st);
    bt_error err;
    if (store_batch_set_error(e->store, b->id, m, &err) ||
        store_event(e->store, j->id, b->id, "warn", "unknown_status", m, &err))
      log_warn("engine: %s", err.message);
    log_warn("engine: %s", m);
    engine_emit(e, ENGINE_EV_MESSAGE, j->id, LOG_WARN, "%s", m);
    free(b->unknown_status);
    b->unknown_status = util_xstrdup(st);
  }
  /* shown as the provider said it (Anthropic's parser calls it in_progress) */
  bt_error err;
  if (store_run(e->store, &err, "updating a batch", NULL,
                "UPDATE batches SET remote_status = ? WHERE id = ?", "ti", st, b->id))
    log_warn("engine: %s", err.message);
  return poll_watch_unknown(&b->unknown, util_mono_ms(), e->poll_ms > 0 ? e->poll_ms : 2000,
                            &e->limits);
}

/* The status is one batchtop knows again, readable: a note about an unknown status or
 * unreadable polls (this process's or an earlier one's) goes. */
static void poll_note_clear(bt_engine *e, ebatch *b) {
  if (!b->unknown_status && !b->poll_note)
    return;
  b->poll_note = 0;
  bt_error err;
  if (store_batch_set_error(e->store, b->id, NULL, &err))
    log_warn("engine: %s", err.message);
  free(b->unknown_status);
  b->unknown_status = NULL;
  poll_watch_reset(&b->unknown);
}

static void poll_done(bt_http_req *r, void *ud) {
  ebatch *b = ud;
  bt_engine *e = (bt_engine *)r->ud2;
  if (dropped_after_lease(e, b, r))
    return;
  if (!http_req_net_failed(r) && r->status == 404) {
    poll_not_found(e, b, b->polled_id ? b->polled_id : "?");
    http_req_free(r);
    return;
  }
  if (http_req_net_failed(r) || r->status < 200 || r->status >= 300) {
    on_failure(e, b, r, "poll", 1);
    http_req_free(r);
    return;
  }
  poll_watch_reset(&b->lost);
  bt_remote_batch rb;
  bt_error err;
  if (provider_parse_batch(b->job->prov.kind, r->body.data, r->body.len, &rb, &err)) {
    poll_unreadable(e, b, r, err.message);
    http_req_free(r);
    return;
  }
  poll_watch_reset(&b->unreadable);
  http_req_free(r);
  remote_batch_scrub(&rb);
  b->fails = 0;
  if (store_batch_set_remote(e->store, b->id, &rb, 0, &err))
    log_error("engine: %s", err.message);
  b->job->dirty = 1;
  engine_crash_point("mid-poll");
  if (rb.terminal) {
    /* It held queue space, now free; except a batch refused for the limit itself, which
     * never held any (waking the held chunks then would only send them into the full
     * queue together). */
    if (strcmp(rb.status, "failed") != 0 || !rb.error_code ||
        strcmp(rb.error_code, TOKEN_LIMIT_CODE) != 0)
      token_limit_release(e, b->job);
    poll_note_clear(e, b); /* it answered, and it is over */
    remote_batch_cleanup(&b->rb);
    b->rb = rb;
    b->have_rb = 1;
    if (store_batch_set_results_state(e->store, b->id, "downloading", &err))
      log_error("engine: %s", err.message);
    /* Every file again, into an empty spool (whatever an interrupted download left). */
    if (dl_spool_open(e, b, &err)) {
      if (disk_is_full(errno)) {
        disk_full(e, b, 2 * (1 << 20)); /* nothing down yet: a guess, refined by the next try */
        return;
      }
      log_error("engine: batch %lld: %s", (long long)b->id, err.message);
      b->next_at = util_mono_ms() + 5000;
      return;
    }
    download_next(e, b);
    return;
  }
  if (!rb.terminal && !status_known(b->job->prov.kind, &rb)) {
    b->next_at = util_mono_ms() + poll_unknown_status(e, b, &rb);
  } else {
    poll_note_clear(e, b);
    b->next_at = util_mono_ms() + next_poll(e, b, &rb);
  }
  remote_batch_cleanup(&rb);
}

static void cancel_done(bt_http_req *r, void *ud) {
  ebatch *b = ud;
  bt_engine *e = (bt_engine *)r->ud2;
  if (dropped_after_lease(e, b, r))
    return;
  /* 409: it already ended; either way the polls take it from here. */
  if (!http_req_net_failed(r) && (r->status < 300 || r->status == 409)) {
    b->cancel_sent = 1;
    b->next_at = 0;
    b->fails = 0;
  } else {
    on_failure(e, b, r, "cancel", 1);
  }
  http_req_free(r);
}

void engine_batch_cancel(bt_engine *e, ebatch *b) {
  bt_error err;
  if (store_run(e->store, &err, "cancelling", NULL,
                "UPDATE batches SET cancel_requested = 1 WHERE id = ? AND state <> 'done'", "i",
                b->id))
    log_warn("engine: %s", err.message);
  if (!b->busy)
    b->next_at = 0;
}

void engine_batch_step(bt_engine *e, ebatch *b, int64_t now) {
  ejob *j = b->job;
  bt_batch row;
  bt_error err;
  if (store_batch_get(e->store, b->id, &row, &err)) {
    log_warn("engine: %s", err.message);
    b->next_at = now + 1000;
    return;
  }
  b->next_at = now + 1000;
  const char *st = row.state;
  int unsent = !strcmp(st, "intent") || !strcmp(st, "uploading") || !strcmp(st, "uploaded");
  int64_t cancel = 0;
  if (store_query_int(e->store, &err, &cancel, 0,
                      "SELECT cancel_requested FROM batches WHERE id = ?", "i", b->id))
    cancel = 0;
  if (!strcmp(st, "done")) {
    b->done = 1;
  } else if (unsent && (j->cancel || cancel)) {
    engine_batch_mark_done(e, b, TASK_CANCELLED, "cancelled", "cancelled before it was submitted");
  } else if (unsent && j->fatal) {
    engine_batch_mark_done(e, b, TASK_FAILED, "not_submitted",
                           "not submitted after an earlier error");
  } else if (!strcmp(st, "intent") && token_limit_waiting(e, b, now)) {
    /* held back by the enqueued-token limit; b->next_at says when to look again */
  } else if ((!strcmp(st, "intent") || !strcmp(st, "uploading") || !strcmp(st, "uploaded") ||
              !strcmp(st, "creating")) &&
             j->prov.kind == PROVIDER_ANTHROPIC && !create_slot(e, b)) {
    b->next_at = now + 20; /* another anthropic create is in flight */
  } else if (!strcmp(st, "intent") || !strcmp(st, "uploading")) {
    double max_cost;
    if (engine_over_budget(e, j, b, &max_cost)) {
      char usd[32], rnd[32] = "";
      util_fmt_usd_exact(max_cost, usd, sizeof usd);
      if (row.round > 1)
        snprintf(rnd, sizeof rnd, " (retry round %lld)", (long long)row.round);
      /* a pipeline stage's budget is the max_cost in the pipeline file */
      int64_t stage = 0;
      if (store_query_int(e->store, &err, &stage, 0,
                          "SELECT pipeline_id IS NOT NULL FROM jobs WHERE id = ?", "t", j->id))
        stage = 0;
      char m[256];
      snprintf(m, sizeof m, "stopped before chunk %lld%s: %s $%s would be passed",
               (long long)row.chunk_no, rnd, stage ? "the stage's max_cost" : "--max-cost", usd);
      engine_job_error(e, j, b, m);
      engine_batch_mark_done(e, b, TASK_CANCELLED, "budget_exceeded", m);
    } else {
      char spool[4400];
      spool_path(e, &row, spool, sizeof spool);
      if (write_spool(e, b, spool, &err)) {
        engine_job_error(e, j, b, err.message);
        b->next_at = now + 5000;
      } else if (j->prov.kind == PROVIDER_ANTHROPIC) {
        send_create(e, b, &row);
      } else {
        bt_http_req *r;
        char fname[128];
        snprintf(fname, sizeof fname, "%s.jsonl", row.tag);
        if (store_batch_set_state(e->store, b->id, "uploading", &err) ||
            provider_req_upload(&j->prov, spool, fname, &r, &err)) {
          log_error("engine: %s", err.message);
          b->next_at = now + 5000;
        } else {
          r->ud2 = e;
          b->busy = 1;
          engine_add_transfer(e, r, upload_done, b);
        }
      }
    }
  } else if (!strcmp(st, "uploaded")) {
    char spool[4400];
    spool_path(e, &row, spool, sizeof spool);
    send_create(e, b, &row);
  } else if (!strcmp(st, "creating")) {
    if (b->maybe_created) {
      send_list(e, b);
    } else {
      char spool[4400];
      spool_path(e, &row, spool, sizeof spool);
      if (j->prov.kind == PROVIDER_ANTHROPIC && access(spool, R_OK) != 0 &&
          write_spool(e, b, spool, &err)) {
        engine_job_error(e, j, b, err.message);
        b->next_at = now + 5000;
      } else if (j->prov.kind == PROVIDER_OPENAI && !row.input_file_id) {
        /* No file recorded: go back to upload. */
        if (store_batch_set_state(e->store, b->id, "intent", &err))
          log_error("engine: %s", err.message);
        b->next_at = 0;
      } else {
        send_create(e, b, &row);
      }
    }
  } else if (!strcmp(st, "remote") && disk_still_full(e, b)) {
    /* b->next_at says when to look for room again */
  } else if (!strcmp(st, "remote")) {
    if ((j->cancel || cancel) && !b->cancel_sent) {
      bt_http_req *r;
      if (provider_req_cancel(&j->prov, row.remote_id, &r, &err) == BT_OK) {
        r->ud2 = e;
        b->busy = 1;
        engine_add_transfer(e, r, cancel_done, b);
      }
    } else {
      bt_http_req *r;
      b->poll_note = row.last_error && !strncmp(row.last_error, POLL_NOTE, strlen(POLL_NOTE));
      if (provider_req_get(&j->prov, row.remote_id, &r, &err) == BT_OK) {
        free(b->polled_id);
        b->polled_id = util_xstrdup(row.remote_id);
        r->ud2 = e;
        b->busy = 1;
        engine_add_transfer(e, r, poll_done, b);
      }
    }
  }
  batch_cleanup(&row);
}

/* ---- orphans: batches of the job the store does not track ----
 *
 * For the life of the job, every ORPHAN_SCAN_POLLS poll intervals, the provider's batches are
 * listed (newest first, down to the job's creation) and those carrying one of the job's tags
 * (OpenAI metadata batchtop_tag "bt-<job>-<chunk>-<round>") compared with the store. One whose
 * chunk is still `creating` is left to the chunk's reconcile, which adopts it. One whose chunk
 * has its batch already (or ended without one) is a duplicate: cancelled at once, recorded
 * (duplicate_batches: `status` shows it with its cost so far), logged and sent as an event.
 * Anthropic batches carry no tag: a batch of the same size and time as ours may be another
 * job's, and cancelling it is worse than a report, so an Anthropic scan cancels nothing; it
 * checks ended unknown batches by their results and reports same-size running ones
 * (anthropic_scan_item). */
#define ORPHAN_SCAN_POLLS 20
#define ORPHAN_SCAN_IDLE_MS 60000 /* the interval with adaptive polling */
#define ORPHAN_SCAN_MAX_PAGES 10

static void scan_cancel_done(bt_http_req *r, void *ud) {
  ejob *j = ud;
  bt_engine *e = (bt_engine *)r->ud2;
  j->scanning--;
  const char *rid = r->label;
  if (engine_lease_ok(e, j)) {
    bt_error err;
    /* 409: it had ended already; nothing more to stop */
    if (!http_req_net_failed(r) && (r->status < 300 || r->status == 409)) {
      if (store_duplicate_cancelled(e->store, j->prov.name, rid, &err))
        log_warn("engine: %s", err.message);
      j->dirty = 1;
    } else {
      char desc[700];
      http_req_describe(r, desc, sizeof desc);
      engine_emit(e, ENGINE_EV_MESSAGE, j->id, LOG_WARN,
                  "cancelling duplicate batch %s failed: %s (tried again at the next scan)", rid,
                  desc);
    }
  }
  http_req_free(r);
}

static void scan_cancel(bt_engine *e, ejob *j, const char *remote_id) {
  bt_http_req *r;
  bt_error err;
  if (provider_req_cancel(&j->prov, remote_id, &r, &err)) {
    log_warn("engine: %s", err.message);
    return;
  }
  r->ud2 = e;
  util_strlcpy(r->label, remote_id, sizeof r->label);
  j->scanning++;
  engine_add_transfer(e, r, scan_cancel_done, j);
}

/* rb carries one of j's tags and is not tracked: a duplicate, or left to its chunk's reconcile. */
static void scan_item(bt_engine *e, ejob *j, const bt_remote_batch *rb) {
  bt_error err;
  sqlite3_stmt *st;
  if (store_prepare(e->store,
                    "SELECT id, chunk_no, state, remote_id, est_input_tokens, n_requests FROM"
                    " batches WHERE job_id = ? AND tag = ?",
                    &st, &err)) {
    log_warn("engine: %s", err.message);
    return;
  }
  sqlite3_bind_text(st, 1, j->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, rb->tag, -1, SQLITE_TRANSIENT);
  int64_t batch_id = 0, chunk = 0, est_in = 0, n_req = 0;
  int creating = 0, has_remote = 0, found = 0;
  if (sqlite3_step(st) == SQLITE_ROW) {
    found = 1;
    batch_id = sqlite3_column_int64(st, 0);
    chunk = sqlite3_column_int64(st, 1);
    const char *state = (const char *)sqlite3_column_text(st, 2);
    creating = state && !strcmp(state, "creating");
    has_remote = sqlite3_column_type(st, 3) != SQLITE_NULL;
    est_in = sqlite3_column_int64(st, 4);
    n_req = sqlite3_column_int64(st, 5);
  }
  sqlite3_finalize(st);
  if (!found || (creating && !has_remote))
    return; /* not ours after all, or the chunk's reconcile adopts it */
  /* Cost so far: its finished requests at the chunk's estimate per request. */
  double out_per = 0;
  if (store_job_output_per_task(e->store, j->id, &out_per, &err))
    out_per = 0;
  int64_t done = rb->succeeded + rb->failed;
  double per =
      n_req ? provider_cost_usd(j->provider_name, j->model, est_in / n_req, (int64_t)out_per) : 0;
  int added = 0;
  if (store_duplicate_add(e->store, j->id, batch_id, chunk, j->prov.name, rb, per * (double)done,
                          &added, &err)) {
    log_warn("engine: %s", err.message);
    return;
  }
  if (added) {
    char usd[32], m[512];
    util_fmt_usd_exact(per * (double)done, usd, sizeof usd);
    snprintf(m, sizeof m,
             "duplicate batch %s found for chunk %lld (it has its batch already): cancelling it; "
             "%lld of its %lld requests done, about $%s so far",
             rb->id, (long long)chunk, (long long)done, (long long)rb->total, usd);
    if (store_event(e->store, j->id, batch_id, "warn", "duplicate", m, &err))
      log_warn("engine: %s", err.message);
    engine_emit(e, ENGINE_EV_MESSAGE, j->id, LOG_WARN, "%s", m);
    j->dirty = 1;
  }
  if (!rb->terminal)
    scan_cancel(e, j, rb->id);
  else if (store_duplicate_cancelled(e->store, j->prov.name, rb->id, &err))
    log_warn("engine: %s", err.message); /* it ended: nothing left to stop */
}

/* ---- Anthropic orphans ----
 *
 * Anthropic batches carry no tag, and a batch of our size and time may be another job's, so
 * an unknown one is never cancelled on size and time alone. Two things are safe:
 * - One that has ENDED is checked by its results: when its every line's custom_id is a task
 *   of this job and its line count is its request count, it is ours (a create that landed
 *   after its chunk was created again). Its paid answers are applied by custom_id to the
 *   tasks that have not succeeded yet (ingest's other_find: a succeeded task never takes a
 *   second answer), and it is recorded as a duplicate with its cost, as the OpenAI scan does.
 *   custom_ids are the rows' (row-N, or the input's id column), not the job's: another job
 *   over the same input, created by a tool that shares no store with us, inside this job's
 *   window, is the residual risk (its answers would be taken for ours).
 * - One still in progress whose request count is that of a chunk that has its batch already,
 *   created after that chunk's intent, is reported as a suspected duplicate (an event and a
 *   message, once), and left alone: it is checked by its results when it ends.
 * What was checked or reported is remembered for the life of the job (orphans_seen). */
typedef struct {
  ejob *j;
  bt_engine *e;
  int64_t total, done;
  char id[96], status[32];
} aorphan;

/* orphans_seen holds "<mark><remote id>\n" lines; mark '-': checked, not ours (or nothing to
 * check); '?': reported as a suspected duplicate (still checked by its results when it ends). */
static int orphan_seen(ejob *j, char mark, const char *rid) {
  if (!j->orphans_seen)
    return 0;
  size_t n = strlen(rid);
  for (const char *p = j->orphans_seen; (p = strstr(p, rid)); p += n)
    if (p > j->orphans_seen && p[-1] == mark && (p == j->orphans_seen + 1 || p[-2] == '\n') &&
        p[n] == '\n')
      return 1;
  return 0;
}

static void orphan_remember(ejob *j, char mark, const char *rid) {
  size_t old = j->orphans_seen ? strlen(j->orphans_seen) : 0, n = strlen(rid);
  char *m = realloc(j->orphans_seen, old + n + 3);
  if (!m)
    return;
  m[old] = mark;
  memcpy(m + old + 1, rid, n);
  m[old + n + 1] = '\n';
  m[old + n + 2] = '\0';
  j->orphans_seen = m;
}

/* Whether every line of body is a result for one of j's tasks, and there are `total` of them;
 * *batch_id and *chunk: those of the first line's task's latest attempt. */
static int orphan_is_ours(bt_engine *e, ejob *j, const char *body, size_t len, int64_t total,
                          int64_t *batch_id, int64_t *chunk) {
  sqlite3_stmt *st;
  bt_error err;
  if (store_prepare(e->store,
                    "SELECT a.batch_id, b.chunk_no FROM tasks t JOIN attempts a ON a.id ="
                    " t.last_attempt_id JOIN batches b ON b.id = a.batch_id WHERE t.job_id = ? AND"
                    " t.custom_id = ?",
                    &st, &err)) {
    log_warn("engine: %s", err.message);
    return 0;
  }
  int64_t lines = 0;
  int ours = 1;
  for (size_t at = 0; ours && at < len;) {
    const char *nl = memchr(body + at, '\n', len - at);
    size_t end = nl ? (size_t)(nl - body) : len, n = end - at;
    const char *line = body + at;
    at = end + 1;
    while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
      n--;
    if (!n)
      continue;
    bt_result res;
    bt_error perr;
    if (provider_parse_result(PROVIDER_ANTHROPIC, line, n, &res, &perr)) {
      ours = 0;
      break;
    }
    if (!res.custom_id) {
      result_cleanup(&res);
      ours = 0;
      break;
    }
    sqlite3_bind_text(st, 1, j->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, res.custom_id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) {
      if (!lines++) {
        *batch_id = sqlite3_column_int64(st, 0);
        *chunk = sqlite3_column_int64(st, 1);
      }
    } else {
      ours = 0;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    result_cleanup(&res);
  }
  sqlite3_finalize(st);
  return ours && lines > 0 && lines == total;
}

static void orphan_results_done(bt_http_req *r, void *ud) {
  aorphan *o = ud;
  ejob *j = o->j;
  bt_engine *e = o->e;
  j->scanning--;
  if (!engine_lease_ok(e, j) || http_req_net_failed(r) || r->status < 200 || r->status >= 300) {
    http_req_free(r); /* tried again at the next scan */
    free(o);
    return;
  }
  int64_t batch_id = 0, chunk = 0;
  bt_error err;
  if (!orphan_is_ours(e, j, r->body.data, r->body.len, o->total, &batch_id, &chunk)) {
    orphan_remember(j, '-', o->id);
    http_req_free(r);
    free(o);
    return;
  }
  /* ours: its paid answers to the tasks that have none yet, then recorded as a duplicate */
  int64_t applied = 0, skipped = 0;
  bt_ingest *g = NULL;
  FILE *f = fmemopen(r->body.data, r->body.len, "r");
  bt_status st = f ? BT_OK : error_set(&err, BT_ERR_NOMEM, "out of memory");
  if (!st)
    st = ingest_new(e->store, j->id, batch_id, j->provider_name, j->model, &g, &err);
  if (!st) {
    ingest_set_other_batch(g, 1);
    st = ingest_file(g, PROVIDER_ANTHROPIC, f, &applied, &skipped, &err);
  }
  ingest_free(g);
  if (f)
    fclose(f);
  http_req_free(r);
  if (st) {
    log_warn("engine: job %s: applying the results of batch %s: %s", j->id, o->id, err.message);
    free(o);
    return; /* tried again at the next scan */
  }
  double out_per = 0;
  int64_t est_in = 0, n_req = 0;
  if (store_job_output_per_task(e->store, j->id, &out_per, &err))
    out_per = 0;
  if (store_query_int(e->store, &err, &est_in, 0,
                      "SELECT est_input_tokens FROM batches WHERE id = ?", "i", batch_id) ||
      store_query_int(e->store, &err, &n_req, 0, "SELECT n_requests FROM batches WHERE id = ?", "i",
                      batch_id))
    n_req = 0;
  double per =
      n_req ? provider_cost_usd(j->provider_name, j->model, est_in / n_req, (int64_t)out_per) : 0;
  bt_remote_batch rb = {.id = o->id, .status = o->status, .total = o->total, .succeeded = o->done};
  int added = 0;
  if (store_duplicate_add(e->store, j->id, batch_id, chunk, j->prov.name, &rb,
                          per * (double)o->done, &added, &err) ||
      store_duplicate_cancelled(e->store, j->prov.name, o->id, &err))
    log_warn("engine: %s", err.message);
  if (added) {
    char usd[32], m[600];
    util_fmt_usd_exact(per * (double)o->done, usd, sizeof usd);
    snprintf(m, sizeof m,
             "duplicate batch %s found for chunk %lld (it ended; its custom_ids are this job's):"
             " %lld of its answers applied to tasks that had none; %lld of its %lld requests"
             " done, about $%s",
             o->id, (long long)chunk, (long long)applied, (long long)o->done, (long long)o->total,
             usd);
    if (store_event(e->store, j->id, batch_id, "warn", "duplicate", m, &err))
      log_warn("engine: %s", err.message);
    engine_emit(e, ENGINE_EV_MESSAGE, j->id, LOG_WARN, "%s", m);
  }
  j->dirty = 1;
  free(o);
}

/* An Anthropic batch the store does not know, created inside j's window (scan_done). */
static void anthropic_scan_item(bt_engine *e, ejob *j, const bt_remote_batch *rb) {
  if (orphan_seen(j, '-', rb->id) || strlen(rb->id) >= sizeof((aorphan *)0)->id)
    return;
  bt_error err;
  if (rb->terminal) {
    if (!rb->results_url || rb->total <= 0) {
      orphan_remember(j, '-', rb->id); /* nothing to apply, nothing to prove it ours */
      return;
    }
    bt_http_req *r;
    if (provider_req_results(&j->prov, rb, 0, &r, &err)) {
      log_warn("engine: %s", err.message);
      return;
    }
    aorphan *o = calloc(1, sizeof *o);
    if (!o) {
      http_req_free(r);
      return;
    }
    o->j = j;
    o->e = e;
    o->total = rb->total;
    o->done = rb->succeeded + rb->failed;
    util_strlcpy(o->id, rb->id, sizeof o->id);
    util_strlcpy(o->status, rb->status ? rb->status : "", sizeof o->status);
    j->scanning++;
    engine_add_transfer(e, r, orphan_results_done, o);
    return;
  }
  /* in progress: the size of a chunk that has its batch, created after that chunk's intent */
  if (orphan_seen(j, '?', rb->id))
    return; /* reported already */
  int64_t chunk = 0;
  if (store_query_int(e->store, &err, &chunk, 0,
                      "SELECT chunk_no FROM batches WHERE job_id = ? AND remote_id IS NOT NULL AND"
                      " n_requests = ? AND created_at <= ? ORDER BY created_at DESC LIMIT 1",
                      "tii", j->id, rb->total, rb->created_at_ms) ||
      !chunk)
    return;
  orphan_remember(j, '?', rb->id); /* reported once; checked by its results when it ends */
  char m[512];
  snprintf(m, sizeof m,
           "suspected duplicate batch %s for chunk %lld: the store does not know it, it has that"
           " chunk's %lld requests and was created after it; left running (Anthropic batches"
           " carry no tag to prove it ours): cancel it at the provider if it is",
           rb->id, (long long)chunk, (long long)rb->total);
  if (store_event(e->store, j->id, 0, "warn", "suspected_duplicate", m, &err))
    log_warn("engine: %s", err.message);
  engine_emit(e, ENGINE_EV_MESSAGE, j->id, LOG_WARN, "%s", m);
  j->dirty = 1;
}

static void scan_send(bt_engine *e, ejob *j);

static void scan_done(bt_http_req *r, void *ud) {
  ejob *j = ud;
  bt_engine *e = (bt_engine *)r->ud2;
  j->scanning--;
  if (!engine_lease_ok(e, j) || http_req_net_failed(r) || r->status < 200 || r->status >= 300) {
    http_req_free(r); /* tried again at the next scan */
    free(j->scan_after);
    j->scan_after = NULL;
    return;
  }
  bt_remote_batch *items = NULL;
  size_t n = 0;
  char *after = NULL;
  int more = 0, older = 0;
  bt_error err;
  char prefix[BT_JOB_ID_LEN + 8];
  snprintf(prefix, sizeof prefix, "bt-%s-", j->id);
  int64_t since = 0;
  if (store_query_int(e->store, &err, &since, 0, "SELECT created_at FROM jobs WHERE id = ?", "t",
                      j->id))
    since = 0;
  /* Anthropic: while a chunk is being created, an unknown batch may be its own, which its
   * reconcile adopts: left to the next scan. */
  int64_t creating = 0;
  if (j->prov.kind == PROVIDER_ANTHROPIC &&
      store_query_int(e->store, &err, &creating, 1,
                      "SELECT EXISTS (SELECT 1 FROM batches WHERE job_id = ? AND state ="
                      " 'creating')",
                      "t", j->id))
    creating = 1;
  if (provider_parse_list(j->prov.kind, r->body.data, r->body.len, &items, &n, &after, &more,
                          &err) == BT_OK) {
    for (size_t i = 0; i < n; i++) {
      if (items[i].created_at_ms && items[i].created_at_ms < since - RECONCILE_SLACK_MS)
        older = 1;
      if (j->prov.kind == PROVIDER_ANTHROPIC) {
        int known = 1;
        if (!creating && items[i].id && items[i].created_at_ms >= since - RECONCILE_SLACK_MS &&
            store_batch_remote_known(e->store, j->prov.name, items[i].id, &known, &err) == BT_OK &&
            !known)
          anthropic_scan_item(e, j, &items[i]);
        continue;
      }
      if (!items[i].tag || strncmp(items[i].tag, prefix, strlen(prefix)) != 0)
        continue;
      int known = 1;
      if (store_batch_remote_known(e->store, j->prov.name, items[i].id, &known, &err) == BT_OK &&
          !known)
        scan_item(e, j, &items[i]);
    }
  } else {
    log_warn("engine: job %s: looking for duplicate batches: %s", j->id, err.message);
  }
  free(j->scan_after);
  j->scan_after = NULL;
  if (more && after && !older && ++j->scan_pages < ORPHAN_SCAN_MAX_PAGES) {
    j->scan_after = after;
    after = NULL;
    scan_send(e, j);
  }
  for (size_t i = 0; i < n; i++)
    remote_batch_cleanup(&items[i]);
  free(items);
  free(after);
  http_req_free(r);
}

static void scan_send(bt_engine *e, ejob *j) {
  bt_http_req *r;
  bt_error err;
  if (provider_req_list(&j->prov, j->scan_after, &r, &err)) {
    log_warn("engine: %s", err.message);
    return;
  }
  r->ud2 = e;
  j->scanning++;
  engine_add_transfer(e, r, scan_done, j);
}

void engine_orphan_scan(bt_engine *e, ejob *j, int64_t now) {
  if (j->prov.kind == PROVIDER_LOCAL || j->scanning || now < j->next_scan)
    return;
  j->next_scan = now + (e->poll_ms > 0 ? e->poll_ms * ORPHAN_SCAN_POLLS : ORPHAN_SCAN_IDLE_MS);
  /* Only while some chunk is at the provider or being created: before, there is nothing to
   * duplicate. */
  int64_t live = 0;
  bt_error err;
  if (store_query_int(e->store, &err, &live, 0,
                      "SELECT EXISTS (SELECT 1 FROM batches WHERE job_id = ? AND state IN"
                      " ('creating','remote'))",
                      "t", j->id) ||
      !live)
    return;
  j->scan_pages = 0;
  scan_send(e, j);
}

/* A duplicate that lands after the job's last periodic scan (a dead process's create, slower
 * than every reconcile) would never be seen once the job has ended: so before the job is
 * marked finished, one more scan, whatever the interval. Sent again only if the job opens
 * again (a pipeline stage given more rows); bounded by the list's and the cancels' timeouts,
 * and a list that fails lets the job end (the duplicate is then the user's to see at the
 * provider, as before). */
int engine_orphan_scan_final(bt_engine *e, ejob *j) {
  if (j->prov.kind == PROVIDER_LOCAL || j->scanning)
    return 0;
  int64_t open = 1, sent = 0;
  bt_error err;
  if (store_query_int(e->store, &err, &open, 1,
                      "SELECT EXISTS (SELECT 1 FROM batches WHERE job_id = ?1 AND state <> 'done')"
                      " OR EXISTS (SELECT 1 FROM job_counts WHERE job_id = ?1 AND n > 0 AND"
                      " state IN ('pending', 'running'))",
                      "t", j->id))
    return 0;
  if (open) {
    j->final_scanned = 0;
    return 0;
  }
  if (j->final_scanned)
    return 0;
  j->final_scanned = 1;
  /* nothing was ever sent: nothing to duplicate */
  if (store_query_int(e->store, &err, &sent, 0,
                      "SELECT EXISTS (SELECT 1 FROM batches WHERE job_id = ? AND remote_id IS NOT"
                      " NULL)",
                      "t", j->id) ||
      !sent)
    return 0;
  free(j->scan_after);
  j->scan_after = NULL;
  j->scan_pages = 0;
  scan_send(e, j);
  return j->scanning > 0;
}
