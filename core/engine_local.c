/* engine_local: provider `local`: no batch API, so the engine runs each request itself against
 * BATCHTOP_LOCAL_URL + /chat/completions on the shared curl multi handle, with adaptive
 * concurrency (local_conc.h: starts at 2, grows while latency holds, backs off on connect
 * errors, timeouts, overload and queueing; cfg.local_concurrency is its ceiling) and
 * requests/tokens-per-minute budgets (cfg.local_rpm,
 * cfg.local_tpm; 0 = none) that also follow the server's x-ratelimit-* headers and 429s.
 *
 * A chunk is a batches row (remote id "local-<tag>"); its tasks' attempts are the work list.
 * Results are stored in one transaction per loop turn. Crash safety: after a restart every
 * attempt still `running` in a local chunk is run again, which may re-execute the few
 * requests that were in flight at the crash (unavoidable without server-side idempotency;
 * remote batches never re-create). */
#include <stdlib.h>
#include <string.h>

#include "engine_impl.h"
#include "logger.h"
#include "store_batch.h"
#include "util.h"

#define LOCAL_FETCH 256
/* Back offs reported as engine messages at most this often (all are in the log). */
#define LOCAL_SAY_MS 5000

/* The controller, set up on first use (the ceiling is the config's local_concurrency). */
static bt_local_conc *lconc(bt_engine *e) {
  if (!e->lconc.ceiling) {
    local_conc_init(&e->lconc, (int)e->cfg.local_concurrency);
    e->local_conc = e->lconc.limit;
    log_info("engine: local concurrency starts at %d (ceiling %d, local_concurrency)",
             e->lconc.limit, e->lconc.ceiling);
  }
  return &e->lconc;
}

/* How a finished request ended, as the controller sees it. */
static bt_local_outcome local_outcome(const bt_http_req *r) {
  if (http_req_net_failed(r))
    return r->cc == CURLE_OPERATION_TIMEDOUT ? LOCAL_TIMEOUT : LOCAL_CONNECT_ERR;
  /* 429 is about rate, not concurrency: rate_ok and rl_pause_until wait it out. */
  return r->status == 503 ? LOCAL_OVERLOADED : LOCAL_OK;
}

static void lconc_observe(bt_engine *e, const bt_http_req *r, const lreq *q, int64_t now) {
  curl_off_t connect_us = 0;
  if (curl_easy_getinfo(r->easy, CURLINFO_CONNECT_TIME_T, &connect_us) != CURLE_OK)
    connect_us = 0;
  bt_local_decision d;
  bt_local_action a =
      local_conc_done(lconc(e), now, q->sent_ms, (double)connect_us / 1000.0, local_outcome(r), &d);
  if (a == LOCAL_KEEP)
    return;
  e->local_conc = e->lconc.limit;
  /* A fast server moves the limit many times a second: growth is debug, except reaching the
   * ceiling the first time; back offs are info (and an engine message), one per 5 s at most,
   * with how many there were since. */
  if (a == LOCAL_GROW) {
    int first_top = d.to == e->lconc.ceiling && !e->lconc_topped;
    if (first_top)
      e->lconc_topped = 1;
    logger_log(first_top ? LOG_INFO : LOG_DEBUG, "engine: local concurrency %d -> %d: %s", d.from,
               d.to, d.reason);
    return;
  }
  if (now - e->lconc_said_ms < LOCAL_SAY_MS) {
    log_debug("engine: local concurrency %d -> %d: %s", d.from, d.to, d.reason);
    return;
  }
  e->lconc_said_ms = now;
  int64_t more = e->lconc.backoffs - e->lconc_said_n - 1;
  e->lconc_said_n = e->lconc.backoffs;
  char since[64] = "";
  if (more > 0)
    snprintf(since, sizeof since, " (%lld more since the last one said)", (long long)more);
  engine_emit(e, ENGINE_EV_MESSAGE, q->batch->job->id, LOG_INFO,
              "local: concurrency %d -> %d: %s%s", d.from, d.to, d.reason, since);
}

static void lreq_free(lreq *q) {
  free(q->request);
  free(q);
}

static int queued_for(bt_engine *e, const ebatch *b) {
  int n = 0;
  for (lreq *q = e->lq_head; q; q = q->next)
    n += q->batch == b;
  return n;
}

static void enqueue(bt_engine *e, lreq *q, int front) {
  q->next = NULL;
  if (front) {
    q->next = e->lq_head;
    e->lq_head = q;
    if (!e->lq_tail)
      e->lq_tail = q;
  } else {
    if (e->lq_tail)
      e->lq_tail->next = q;
    else
      e->lq_head = q;
    e->lq_tail = q;
  }
}

static bt_status queue_one(void *ud, int64_t index, const char *custom_id, const char *request,
                           int64_t attempt_id, int64_t task_id, int64_t est) {
  ebatch *b = ud;
  (void)index;
  (void)custom_id;
  lreq *q = calloc(1, sizeof *q);
  if (!q)
    return BT_ERR_NOMEM;
  q->attempt_id = attempt_id;
  q->task_id = task_id;
  q->est_tokens = est;
  q->request = util_xstrdup(request);
  q->batch = b;
  if (attempt_id > b->cursor)
    b->cursor = attempt_id;
  q->next = b->fetched; /* the caller enqueues them, in order */
  b->fetched = q;
  return BT_OK;
}

void engine_local_forget(bt_engine *e, ebatch *b) {
  lreq **p = &e->lq_head;
  e->lq_tail = NULL;
  while (*p) {
    if ((*p)->batch == b) {
      lreq *q = *p;
      *p = q->next;
      lreq_free(q);
    } else {
      e->lq_tail = *p;
      p = &(*p)->next;
    }
  }
}

void engine_local_step(bt_engine *e, ebatch *b, int64_t now) {
  ejob *j = b->job;
  bt_batch row;
  bt_error err;
  b->next_at = now + 50;
  if (store_batch_get(e->store, b->id, &row, &err)) {
    log_warn("engine: %s", err.message);
    b->next_at = now + 1000;
    return;
  }
  if (!strcmp(row.state, "done")) {
    b->done = 1;
  } else if (j->fatal) {
    engine_local_forget(e, b);
    if (!b->inflight)
      engine_batch_mark_done(e, b, TASK_FAILED, "not_run",
                             "not run: the server refused this job's requests (see the job's "
                             "error)");
  } else if (j->cancel) {
    engine_local_forget(e, b);
    engine_batch_mark_done(e, b, TASK_CANCELLED, "cancelled", "cancelled by the user");
  } else if (strcmp(row.state, "remote") != 0) {
    bt_remote_batch rb;
    memset(&rb, 0, sizeof rb);
    char id[128];
    snprintf(id, sizeof id, "local-%s", row.tag);
    rb.id = id;
    rb.status = (char *)"in_progress";
    bt_status r = store_begin(e->store, &err);
    if (!r)
      r = store_batch_set_remote(e->store, b->id, &rb, 1, &err);
    if (!r)
      r = store_attempt_tasks_running(e->store, b->id, &err);
    if (!r)
      r = store_commit(e->store, &err);
    if (r) {
      store_rollback(e->store);
      log_error("engine: %s", err.message);
      b->next_at = now + 1000;
    }
    b->cursor = 0;
    b->exhausted = 0;
    j->dirty = 1;
  } else {
    if (!b->exhausted && queued_for(e, b) < lconc(e)->ceiling * 2) {
      b->fetched = NULL;
      bt_status r =
          store_attempt_each(e->store, b->id, 1, b->cursor, LOCAL_FETCH, queue_one, b, &err);
      /* queue_one chained new requests newest first: enqueue them in order. */
      lreq *chain = b->fetched, *rev = NULL;
      b->fetched = NULL;
      int got = 0;
      while (chain) {
        lreq *n = chain->next;
        chain->next = rev;
        rev = chain;
        chain = n;
        got++;
      }
      while (rev) {
        lreq *n = rev->next;
        enqueue(e, rev, 0);
        rev = n;
      }
      if (r)
        log_warn("engine: %s", err.message);
      else if (!got)
        b->exhausted = 1;
    }
    int pending_results = 0;
    for (lres *x = e->lr_head; x; x = x->next)
      pending_results |= x->batch == b;
    if (b->exhausted && !b->inflight && !queued_for(e, b) && !pending_results) {
      bt_remote_batch rb;
      memset(&rb, 0, sizeof rb);
      rb.status = (char *)"completed";
      if (store_batch_set_remote(e->store, b->id, &rb, 0, &err))
        log_warn("engine: %s", err.message);
      engine_batch_mark_done(e, b, TASK_FAILED, "missing_result", "the request never ran");
    }
  }
  batch_cleanup(&row);
}

static void exec_done(bt_http_req *r, void *ud) {
  lreq *q = ud;
  bt_engine *e = (bt_engine *)r->ud2;
  ebatch *b = q->batch;
  int64_t now = util_mono_ms();
  e->local_inflight--;
  b->inflight--;
  lconc_observe(e, r, q, now);
  /* Follow the server's budget: nothing left until the reset means wait for it. */
  if (r->hdrs.rl_remaining_requests == 0 && r->hdrs.rl_reset_requests_ms > 0)
    e->rl_pause_until = now + r->hdrs.rl_reset_requests_ms;
  if (r->hdrs.rl_remaining_tokens == 0 && r->hdrs.rl_reset_tokens_ms > 0 &&
      now + r->hdrs.rl_reset_tokens_ms > e->rl_pause_until)
    e->rl_pause_until = now + r->hdrs.rl_reset_tokens_ms;
  char code[96], msg[512];
  http_error_parse(r->body.data, r->body.len, code, sizeof code, msg, sizeof msg);
  int64_t delay = 0;
  bt_http_verdict v = http_decide(r->status, http_req_net_failed(r), &r->hdrs, code, q->tries,
                                  engine_jitter(), b->job->prov.max_retry_after_ms, &delay);
  if (v == HTTP_RETRY && q->tries < e->max_fails && !b->done) {
    q->tries++;
    q->not_before = now + delay;
    if (r->status == 429 && now + delay > e->rl_pause_until)
      e->rl_pause_until = now + delay; /* everyone waits, not just this request */
    enqueue(e, q, 1);
    http_req_free(r);
    return;
  }
  ejob *j = b->job;
  if (v == HTTP_FATAL && !j->fatal &&
      (r->status == 401 || r->status == 403 || !strcmp(code, "insufficient_quota"))) {
    /* Auth or billing: every other request would get the same answer. */
    char d[600], m[700];
    snprintf(m, sizeof m, "local: %s", http_req_describe(r, d, sizeof d));
    j->fatal = 1;
    engine_job_error(e, j, b, m);
  }
  lres *x = calloc(1, sizeof *x);
  if (x) {
    x->attempt_id = q->attempt_id;
    x->task_id = q->task_id;
    x->batch = b;
    bt_error err;
    if (http_req_net_failed(r)) {
      char d[512];
      memset(&x->r, 0, sizeof x->r);
      x->r.state = TASK_FAILED;
      x->r.error_code =
          util_xstrdup(r->cc == CURLE_OPERATION_TIMEDOUT ? "timeout" : "network_error");
      x->r.error_message = util_xstrdup(http_req_describe(r, d, sizeof d));
    } else if (provider_parse_exec(r->status, r->body.data, r->body.len, &x->r, &err)) {
      x->r.state = TASK_FAILED;
    }
    x->next = e->lr_head;
    e->lr_head = x;
  }
  lreq_free(q);
  http_req_free(r);
}

void engine_local_abandon(bt_http_req *r) {
  if (r->done == exec_done)
    lreq_free(r->ud);
}

static int rate_ok(bt_engine *e, int64_t now, int64_t tokens) {
  if (now < e->rl_pause_until)
    return 0;
  double dt = e->rl_last ? (double)(now - e->rl_last) : 0;
  e->rl_last = now;
  if (e->cfg.local_rpm > 0) {
    e->rpm_tokens += dt * (double)e->cfg.local_rpm / 60000.0;
    if (e->rpm_tokens > (double)e->cfg.local_rpm)
      e->rpm_tokens = (double)e->cfg.local_rpm;
    if (e->rpm_tokens < 1.0)
      return 0;
  }
  if (e->cfg.local_tpm > 0) {
    e->tpm_tokens += dt * (double)e->cfg.local_tpm / 60000.0;
    if (e->tpm_tokens > (double)e->cfg.local_tpm)
      e->tpm_tokens = (double)e->cfg.local_tpm;
    if (e->tpm_tokens < (double)tokens && e->tpm_tokens < (double)e->cfg.local_tpm)
      return 0;
  }
  if (e->cfg.local_rpm > 0)
    e->rpm_tokens -= 1.0;
  if (e->cfg.local_tpm > 0)
    e->tpm_tokens -= (double)tokens;
  return 1;
}

void engine_local_pump(bt_engine *e, int64_t now) {
  if (!e->rl_last) {
    e->rpm_tokens = (double)e->cfg.local_rpm / 60.0 + 1; /* a small first burst */
    e->tpm_tokens = (double)e->cfg.local_tpm / 60.0 + 1;
  }
  lconc(e);
  lreq **p = &e->lq_head;
  lreq *prev = NULL;
  while (*p && e->local_inflight < e->local_conc) {
    lreq *q = *p;
    if (q->not_before > now || q->batch->done) {
      if (q->batch->done) { /* cancelled meanwhile */
        *p = q->next;
        if (e->lq_tail == q)
          e->lq_tail = prev;
        lreq_free(q);
        continue;
      }
      prev = q;
      p = &q->next;
      continue;
    }
    if (!rate_ok(e, now, q->est_tokens))
      break;
    *p = q->next;
    if (e->lq_tail == q)
      e->lq_tail = prev;
    q->next = NULL;
    bt_http_req *r;
    bt_error err;
    if (provider_req_exec(&q->batch->job->prov, q->request, &r, &err)) {
      log_error("engine: %s", err.message);
      lreq_free(q);
      continue;
    }
    r->ud2 = e;
    q->sent_ms = now;
    e->local_inflight++;
    local_conc_sent(&e->lconc, e->local_inflight);
    q->batch->inflight++;
    engine_add_transfer(e, r, exec_done, q);
  }
}

void engine_local_flush(bt_engine *e) {
  if (!e->lr_head)
    return;
  bt_error err;
  if (store_begin(e->store, &err)) {
    log_warn("engine: %s", err.message); /* kept; tried again next turn */
    return;
  }
  bt_ingest *ing = NULL;
  ebatch *ing_for = NULL;
  bt_status r = BT_OK;
  lres *x = e->lr_head;
  for (; x && !r; x = x->next) {
    if (x->batch != ing_for) {
      ingest_free(ing);
      ing = NULL;
      ing_for = x->batch;
      r = ingest_new(e->store, x->batch->job->id, x->batch->id, "local", x->batch->job->model, &ing,
                     &err);
      if (r)
        break;
    }
    int applied;
    r = ingest_result_attempt(ing, x->attempt_id, x->task_id, &x->r, &applied, &err);
    x->batch->job->dirty = 1;
  }
  ingest_free(ing);
  if (!r)
    r = store_commit(e->store, &err);
  if (r) {
    store_rollback(e->store);
    log_warn("engine: storing local results: %s", err.message);
    return;
  }
  x = e->lr_head;
  e->lr_head = NULL;
  while (x) {
    lres *n = x->next;
    result_cleanup(&x->r);
    free(x);
    x = n;
  }
}
