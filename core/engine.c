/* engine: the thread, its command and event queues, the jobs it drives, the main loop. */
#include "engine_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "home.h"
#include "lease.h"
#include "logger.h"
#include "pipeline_run.h"
#include "retry.h"
#include "secret.h"
#include "store_batch.h"
#include "store_sql.h"
#include "util.h"

enum { CMD_DRIVE, CMD_RETRY, CMD_CANCEL, CMD_REFRESH, CMD_QUIT };

#define LEASE_TTL_MS 30000
#define EVENT_MAX 8192

/* ---- small helpers shared by the engine files ---- */

/* How long a lease lasts unless renewed. Test-only hook: BATCHTOP_TEST_LEASE_MS shortens it, so
 * a test can stop a process past its lease in a second or two. */
static int64_t lease_ttl_ms(void) {
  const char *v = getenv("BATCHTOP_TEST_LEASE_MS");
  long ms = v ? atol(v) : 0;
  return ms > 0 ? ms : LEASE_TTL_MS;
}

/* The process lost j's lease: it stops driving the job at once, before any further write to
 * the provider or the store for it, and only watches it to its end. It never takes the job
 * back: its picture of the job's batches is stale (another process drove them meanwhile). */
static void lease_lost(bt_engine *e, ejob *j) {
  j->leased = 0;
  j->lost_lease = 1;
  engine_emit(e, ENGINE_EV_MESSAGE, j->id, LOG_WARN,
              "lost the lease of job %s to another batchtop process (this one was stopped or "
              "stalled past it): stopped driving it, watching only",
              j->id);
  j->dirty = 1;
}

int engine_lease_ok(bt_engine *e, ejob *j) {
  if (!j->leased)
    return 0;
  int64_t ttl = lease_ttl_ms();
  int64_t now = util_now_ms();
  /* The wall clock, not the monotonic one: it counts the time a stopped (SIGSTOP) or suspended
   * process did not run, which is what the other processes see expire. */
  if (j->lease_wall && now - j->lease_wall < ttl / 3)
    return 1;
  bt_error err;
  int ours = 0;
  if (lease_renew(e->store, j->id, e->owner, ttl, &ours, &err)) {
    log_warn("engine: renewing lease of %s: %s", j->id, err.message);
    return now - j->lease_wall < ttl / 2; /* still safely ours for a while; try again */
  }
  if (!ours) {
    lease_lost(e, j);
    return 0;
  }
  j->lease_wall = now;
  return 1;
}

void engine_crash_point(const char *name) {
  /* Test-only hook (documented in tests/e2e): die like kill -9 at a named point. */
  const char *at = getenv("BATCHTOP_TEST_CRASH_AT");
  if (at && strcmp(at, name) == 0) {
    log_warn("BATCHTOP_TEST_CRASH_AT=%s: killing the process", name);
    raise(SIGKILL);
  }
}

double engine_jitter(void) {
  static __thread unsigned seed;
  if (!seed)
    seed = (unsigned)util_mono_ms() ^ (unsigned)getpid();
  return (double)(rand_r(&seed) % 10000) / 10000.0;
}

void engine_emit(bt_engine *e, bt_engine_event_kind kind, const char *job_id, int level,
                 const char *fmt, ...) {
  bt_engine_event ev;
  memset(&ev, 0, sizeof ev);
  ev.kind = kind;
  ev.level = level;
  if (job_id)
    util_strlcpy(ev.job_id, job_id, sizeof ev.job_id);
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ev.message, sizeof ev.message, fmt, ap);
    va_end(ap);
    secret_scrub(ev.message);
  }
  if (kind == ENGINE_EV_MESSAGE)
    logger_log((bt_log_level)level, "job %s: %s", ev.job_id, ev.message);
  pthread_mutex_lock(&e->mu);
  int was_empty = e->ev_n == 0;
  if (e->ev_n == e->ev_cap && e->ev_cap < EVENT_MAX) {
    size_t cap = e->ev_cap ? e->ev_cap * 2 : 64;
    bt_engine_event *p = realloc(e->ev, cap * sizeof *p);
    if (p) {
      e->ev = p;
      e->ev_cap = cap;
    }
  }
  if (e->ev_n < e->ev_cap)
    e->ev[e->ev_n++] = ev; /* a full queue drops: the front end re-reads the store anyway */
  pthread_mutex_unlock(&e->mu);
  if (was_empty) {
    char c = 1;
    /* Non-blocking: EAGAIN means the reader is already signalled. */
    if (write(e->wake_w, &c, 1) < 0 && errno != EAGAIN)
      log_warn("engine: wake pipe: %s", strerror(errno));
  }
}

void engine_job_error(bt_engine *e, ejob *j, ebatch *b, const char *msg) {
  char m[512];
  util_strlcpy(m, msg, sizeof m);
  secret_scrub(m);
  bt_error err;
  if (store_job_set_error(e->store, j->id, m, &err) ||
      (b && store_batch_set_error(e->store, b->id, m, &err)) ||
      store_event(e->store, j->id, b ? b->id : 0, "error", "error", m, &err))
    log_error("engine: recording an error: %s", err.message);
  engine_emit(e, ENGINE_EV_MESSAGE, j->id, LOG_ERROR, "%s", m);
  j->dirty = 1;
}

void engine_add_transfer(bt_engine *e, bt_http_req *r, bt_http_done_fn done, void *ud) {
  r->done = done;
  r->ud = ud;
  if (e->n_active == e->cap_active) {
    size_t cap = e->cap_active ? e->cap_active * 2 : 64;
    bt_http_req **p = realloc(e->active, cap * sizeof *p);
    if (p) {
      e->active = p;
      e->cap_active = cap;
    }
  }
  if (e->n_active < e->cap_active)
    e->active[e->n_active++] = r;
  CURLMcode mc = curl_multi_add_handle(e->multi, r->easy);
  if (mc != CURLM_OK) {
    r->cc = CURLE_FAILED_INIT;
    snprintf(r->curl_err, sizeof r->curl_err, "%s", curl_multi_strerror(mc));
    done(r, ud);
  }
}

/* ---- public API: construction ---- */

static char *dup_or_null(const char *s) {
  return s ? util_xstrdup(s) : NULL;
}

bt_status engine_new(const bt_engine_opts *opts, bt_engine **out, bt_error *err) {
  *out = NULL;
  bt_engine *e = calloc(1, sizeof *e);
  if (!e)
    return error_set(err, BT_ERR_NOMEM, "out of memory");
  const bt_config *c = opts->cfg;
  config_init(&e->cfg);
  char **s[] = {&e->cfg.openai_api_key,     &e->cfg.openai_base_url, &e->cfg.anthropic_api_key,
                &e->cfg.anthropic_base_url, &e->cfg.local_url,       &e->cfg.local_api_key};
  const char *v[] = {c->openai_api_key,     c->openai_base_url, c->anthropic_api_key,
                     c->anthropic_base_url, c->local_url,       c->local_api_key};
  for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
    free(*s[i]);
    *s[i] = dup_or_null(v[i]);
  }
  e->cfg.local_concurrency = c->local_concurrency > 0 ? c->local_concurrency : 64;
  e->cfg.local_rpm = c->local_rpm;
  e->cfg.local_tpm = c->local_tpm;
  e->poll_ms = c->poll_ms;
  const char *mf = getenv("BATCHTOP_MAX_RETRIES");
  e->max_fails = mf && atoi(mf) > 0 ? atoi(mf) : 10;
  poll_limits_from_env(&e->limits);
  e->drive_all = opts->drive_all;
  char path[4096];
  if (opts->store_path) {
    util_strlcpy(path, opts->store_path, sizeof path);
  } else {
    bt_status st = home_path("batchtop.db", path, sizeof path, err);
    if (st) {
      engine_free(e);
      return st;
    }
  }
  e->store_path = util_xstrdup(path);
  char *tmp = util_xstrdup(path);
  char sp[4200];
  snprintf(sp, sizeof sp, "%s/spool", dirname(tmp));
  free(tmp);
  e->spool_dir = util_xstrdup(sp);
  pthread_mutex_init(&e->mu, NULL);
  int fds[2];
  if (pipe(fds) != 0) {
    engine_free(e);
    return error_set(err, BT_ERR_IO, "pipe: %s", strerror(errno));
  }
  for (int i = 0; i < 2; i++) {
    fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
    fcntl(fds[i], F_SETFD, FD_CLOEXEC);
  }
  e->wake_r = fds[0];
  e->wake_w = fds[1];
  e->multi = curl_multi_init();
  if (!e->multi) {
    engine_free(e);
    return error_set(err, BT_ERR_NOMEM, "curl_multi_init failed");
  }
  lease_owner_make(e->owner);
  /* IDLE means "everything driven has ended": nothing to say before the first job. */
  e->idle_sent = !e->drive_all;
  e->local_conc = (int)e->cfg.local_concurrency;
  *out = e;
  return BT_OK;
}

int engine_wake_fd(const bt_engine *e) {
  return e->wake_r;
}

size_t engine_events(bt_engine *e, bt_engine_event *out, size_t max) {
  pthread_mutex_lock(&e->mu);
  size_t n = e->ev_n < max ? e->ev_n : max;
  if (n) { /* the queue may not be allocated yet */
    memcpy(out, e->ev, n * sizeof *out);
    memmove(e->ev, e->ev + n, (e->ev_n - n) * sizeof *out);
    e->ev_n -= n;
  }
  if (e->ev_n == 0) {
    char drain[64];
    while (read(e->wake_r, drain, sizeof drain) > 0) {
    }
  }
  pthread_mutex_unlock(&e->mu);
  return n;
}

static void push_cmd(bt_engine *e, int kind, const char *job, const char *only, int64_t task) {
  ecmd *c = calloc(1, sizeof *c);
  if (!c)
    return;
  c->kind = kind;
  if (job)
    util_strlcpy(c->job, job, sizeof c->job);
  c->only = only ? util_xstrdup(only) : NULL;
  c->task_id = task;
  pthread_mutex_lock(&e->mu);
  if (e->cmd_tail)
    e->cmd_tail->next = c;
  else
    e->cmd_head = c;
  e->cmd_tail = c;
  pthread_mutex_unlock(&e->mu);
  curl_multi_wakeup(e->multi);
}

void engine_drive(bt_engine *e, const char *job_id) {
  push_cmd(e, CMD_DRIVE, job_id, NULL, 0);
}
void engine_retry(bt_engine *e, const char *job_id, const char *only, int64_t task_id) {
  push_cmd(e, CMD_RETRY, job_id, only, task_id);
}
void engine_cancel(bt_engine *e, const char *job_id) {
  push_cmd(e, CMD_CANCEL, job_id, NULL, 0);
}
void engine_refresh(bt_engine *e) {
  push_cmd(e, CMD_REFRESH, NULL, NULL, 0);
}

/* ---- jobs ---- */

static ejob *find_job(bt_engine *e, const char *id) {
  for (ejob *j = e->jobs; j; j = j->next)
    if (strcmp(j->id, id) == 0)
      return j;
  return NULL;
}

static void job_free(bt_engine *e, ejob *j) {
  engine_local_flush(e);
  ebatch *b = j->batches;
  while (b) {
    ebatch *n = b->next;
    engine_local_forget(e, b);
    engine_batch_free(e, b);
    b = n;
  }
  if (j->leased && e->store)
    lease_release(e->store, j->id, e->owner);
  if (j->prov_ok)
    provider_cleanup(&j->prov);
  free(j->scan_after);
  free(j->orphans_seen);
  free(j->model);
  free(j->endpoint);
  free(j->provider_name);
  free(j);
}

/* Sync the in-memory batch list and the cancel flag with the store (new retry rounds, a
 * cancel asked by another process). */
static void job_reload(bt_engine *e, ejob *j) {
  bt_error err;
  int64_t cancel = 0;
  if (!store_query_int(e->store, &err, &cancel, 0, "SELECT cancel_requested FROM jobs WHERE id = ?",
                       "t", j->id) &&
      cancel && !j->cancel && j->leased) {
    j->cancel = 1;
    for (ebatch *b = j->batches; b; b = b->next)
      engine_batch_cancel(e, b);
  }
  /* A later pipeline stage pulls the rows that have finished upstream as new chunks. */
  int64_t flowed = 0;
  if (j->flows && pipeline_flow(e->store, j->id, &flowed, &err))
    log_warn("engine: pipeline stage %s: %s", j->id, err.message);
  else if (flowed)
    j->dirty = 1;
  bt_batch *list;
  size_t n;
  if (store_batch_list(e->store, j->id, &list, &n, &err)) {
    log_warn("engine: %s", err.message);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    ebatch *b;
    for (b = j->batches; b; b = b->next)
      if (b->id == list[i].id)
        break;
    if (b)
      continue;
    b = calloc(1, sizeof *b);
    if (!b)
      break;
    b->id = list[i].id;
    b->job = j;
    b->done = strcmp(list[i].state, "done") == 0;
    b->maybe_created = strcmp(list[i].state, "creating") == 0;
    b->next_at = 0;
    /* append, keeping chunk order */
    ebatch **p = &j->batches;
    while (*p)
      p = &(*p)->next;
    *p = b;
  }
  batch_list_free(list, n);
}

/* jobs.paused (migration 19): the reason nobody drives the job, for status, jobs and the
 * dashboard; set only when no live process holds the job's lease (one with the key may drive
 * it while this one only watches), cleared by the engine that takes it. */
static void engine_job_paused(bt_engine *e, const char *id, const char *reason) {
  bt_error err;
  int held = 0;
  if (reason && (lease_held(e->store, id, NULL, &held, &err) || held))
    return;
  if (store_run(e->store, &err, "marking a paused job", NULL,
                "UPDATE jobs SET paused = ? WHERE id = ? AND paused IS NOT ?", "ttt", reason, id,
                reason))
    log_error("engine: %s", err.message);
}

static void job_add(bt_engine *e, const char *id) {
  e->idle_sent = 0;
  ejob *j = find_job(e, id);
  if (j) {
    j->next_reload = 0;
    return;
  }
  bt_error err;
  bt_job row;
  if (store_job_get(e->store, id, &row, &err)) {
    engine_emit(e, ENGINE_EV_MESSAGE, id, LOG_ERROR, "%s", err.message);
    engine_emit(e, ENGINE_EV_JOB_ERROR, id, LOG_ERROR, "%s", err.message);
    return;
  }
  j = calloc(1, sizeof *j);
  if (!j) {
    job_cleanup(&row);
    return;
  }
  util_strlcpy(j->id, id, sizeof j->id);
  j->model = util_xstrdup(row.model);
  j->endpoint = util_xstrdup(row.endpoint);
  j->provider_name = util_xstrdup(row.provider);
  j->imported = row.options && strstr(row.options, "\"imported\":true") != NULL;
  j->flows = row.pipeline_id && row.stage_no > 1;
  int terminal = job_state_terminal(row.state);
  job_cleanup(&row);
  j->next = e->jobs;
  e->jobs = j;
  e->idle_sent = 0;
  if (terminal) {
    engine_emit(e, ENGINE_EV_JOB_DONE, id, LOG_INFO, "job %s has ended", id);
    j->batches = NULL;
    return; /* removed by the loop */
  }
  if (provider_init(&j->prov, j->provider_name, &e->cfg, &err) == BT_OK) {
    j->prov_ok = 1;
  } else {
    /* No key in this process: nothing can be sent or polled, and nothing is changed either.
     * The job is only watched (another process with the key may drive it); a later run with
     * the key resumes it where it stands. Failing its tasks here would make opening the
     * dashboard in a shell without the key cost the user their job. */
    engine_job_paused(e, id, err.message);
    engine_emit(e, ENGINE_EV_JOB_ERROR, id, LOG_ERROR,
                "%s; job %s is paused with nothing changed: set it and run `batchtop status %s"
                " --wait` to resume",
                err.message, id, id);
    return;
  }
  if (lease_acquire(e->store, j->id, e->owner, lease_ttl_ms(), &err) == BT_OK) {
    j->leased = 1;
    j->lease_wall = util_now_ms();
    engine_job_paused(e, id, NULL);
  } else {
    engine_emit(e, ENGINE_EV_MESSAGE, id, LOG_INFO,
                "job %s is driven by another batchtop process; watching", id);
  }
  j->next_lease = util_mono_ms() + lease_ttl_ms() / 3;
  job_reload(e, j);
  j->next_reload = util_mono_ms() + 1000;
  j->dirty = 1;
}

/* drive_all keeps the jobs it gave up on (an error retries did not overcome) out of its scans,
 * so that an auth error is not met again every few seconds; naming the job (drive, retry)
 * lets it back in. */
static int gave_up_has(const bt_engine *e, const char *id) {
  for (size_t i = 0; i < e->n_gave_up; i++)
    if (strcmp(e->gave_up[i], id) == 0)
      return 1;
  return 0;
}

static void gave_up_remember(bt_engine *e, const char *id) {
  if (!e->drive_all || gave_up_has(e, id))
    return;
  char(*more)[BT_JOB_ID_LEN + 1] = realloc(e->gave_up, (e->n_gave_up + 1) * sizeof *more);
  if (!more)
    return;
  e->gave_up = more;
  util_strlcpy(e->gave_up[e->n_gave_up++], id, sizeof e->gave_up[0]);
}

static void gave_up_forget(bt_engine *e, const char *id) {
  for (size_t i = 0; i < e->n_gave_up; i++)
    if (strcmp(e->gave_up[i], id) == 0) {
      memmove(e->gave_up[i], e->gave_up[e->n_gave_up - 1], sizeof e->gave_up[0]);
      e->n_gave_up--;
      return;
    }
}

/* drive_all (the dashboard): once per poll interval, take in every unfinished job this engine
 * does not have yet: one submitted by another process after the engine started (`submit`
 * without --wait), or one whose driver died or was stopped. job_add leases it when no live
 * process holds it, else watches and takes it over once that lease is released or stale. */
static void scan_unfinished(bt_engine *e, int64_t now) {
  if (!e->drive_all || now < e->next_scan)
    return;
  e->next_scan = now + (e->poll_ms > 0 && e->poll_ms < 2000 ? e->poll_ms : 2000);
  char(*ids)[BT_JOB_ID_LEN + 1];
  size_t n;
  bt_error err;
  error_clear(&err);
  if (store_job_unfinished(e->store, &ids, &n, &err) != BT_OK) {
    log_warn("engine: looking for jobs to drive: %s", err.message);
    return;
  }
  for (size_t i = 0; i < n; i++)
    if (!find_job(e, ids[i]) && !gave_up_has(e, ids[i]))
      job_add(e, ids[i]);
  free(ids);
}

static void job_cancel(bt_engine *e, ejob *j) {
  bt_error err;
  if (store_run(e->store, &err, "cancelling", NULL,
                "UPDATE jobs SET cancel_requested = 1, updated_at = ? WHERE id = ?", "it",
                util_now_ms(), j->id) ||
      store_event(e->store, j->id, 0, "info", "cancel", "cancel requested", &err))
    log_error("engine: %s", err.message);
  if (!j->leased)
    return; /* the driving process sees the flag on its next reload */
  j->cancel = 1;
  for (ebatch *b = j->batches; b; b = b->next)
    engine_batch_cancel(e, b);
  j->dirty = 1;
}

static void apply_command(bt_engine *e, ecmd *c) {
  bt_error err;
  error_clear(&err);
  switch (c->kind) {
  case CMD_DRIVE:
    gave_up_forget(e, c->job);
    job_add(e, c->job);
    break;
  case CMD_RETRY: {
    int64_t n = 0;
    gave_up_forget(e, c->job);
    if (retry_apply(e->store, c->job, c->only, c->task_id, -1, &n, &err)) {
      engine_emit(e, ENGINE_EV_MESSAGE, c->job, LOG_ERROR, "retry: %s", err.message);
      break;
    }
    engine_emit(e, ENGINE_EV_MESSAGE, c->job, LOG_INFO, "retrying %lld tasks", (long long)n);
    /* Later pipeline stages were reopened by the retry: drive them too. */
    char(*later)[BT_JOB_ID_LEN + 1] = NULL;
    size_t n_later = 0;
    if (pipeline_later_stages(e->store, c->job, &later, &n_later, &err) == BT_OK) {
      for (size_t i = 0; i < n_later; i++)
        job_add(e, later[i]);
      free(later);
    }
    ejob *j = find_job(e, c->job);
    if (j) {
      j->cancel = 0;
      j->fatal = 0;
      j->gave_up = 0;
      job_reload(e, j);
    } else {
      job_add(e, c->job);
    }
    break;
  }
  case CMD_CANCEL: {
    ejob *j = find_job(e, c->job);
    if (!j) {
      job_add(e, c->job);
      j = find_job(e, c->job);
    }
    if (j)
      job_cancel(e, j);
    break;
  }
  case CMD_REFRESH:
    e->next_scan = 0; /* Ctrl-L in the dashboard: look for undriven jobs now */
    for (ejob *j = e->jobs; j; j = j->next) {
      j->next_reload = 0;
      for (ebatch *b = j->batches; b; b = b->next)
        if (!b->busy)
          b->next_at = 0;
    }
    break;
  case CMD_QUIT:
    e->quit = 1;
    break;
  }
}

static void take_commands(bt_engine *e) {
  pthread_mutex_lock(&e->mu);
  ecmd *c = e->cmd_head;
  e->cmd_head = e->cmd_tail = NULL;
  if (e->quit)
    c = NULL;
  pthread_mutex_unlock(&e->mu);
  while (c) {
    ecmd *n = c->next;
    apply_command(e, c);
    free(c->only);
    free(c);
    c = n;
  }
}

/* Step every due batch of every job; settle jobs whose tasks all ended. Returns the mono time
 * of the next due step. */
static int64_t schedule(bt_engine *e) {
  int64_t now = util_mono_ms();
  int64_t next = now + 1000;
  ejob **pj = &e->jobs;
  while (*pj) {
    ejob *j = *pj;
    bt_error err;
    if (!j->leased) {
      /* Watching: take over when the other process is gone. */
      if (now >= j->next_lease && !j->lost_lease) {
        j->next_lease = now + 1000;
        if (j->prov_ok && lease_acquire(e->store, j->id, e->owner, lease_ttl_ms(), &err) == BT_OK) {
          j->leased = 1;
          j->lease_wall = util_now_ms();
          j->next_reload = 0;
          engine_emit(e, ENGINE_EV_MESSAGE, j->id, LOG_INFO, "taking over job %s", j->id);
        }
        j->dirty = 1;
      }
    } else {
      /* Renewed when a third of it has passed (engine_lease_ok); a renewal that finds the
       * lease taken stops the job here, before any of its batches is stepped. */
      engine_lease_ok(e, j);
    }
    if (j->leased && now >= j->next_reload) {
      job_reload(e, j);
      j->next_reload = now + 1000;
    }
    /* Without a usable provider (no key) a job is never leased, so never stepped here. */
    if (j->leased && !j->gave_up && j->prov_ok)
      engine_orphan_scan(e, j, now);
    if (j->leased && !j->gave_up && j->prov_ok) {
      for (ebatch *b = j->batches; b; b = b->next) {
        if (b->done || b->busy)
          continue;
        if (b->next_at <= now) {
          if (j->prov.kind == PROVIDER_LOCAL && j->prov_ok)
            engine_local_step(e, b, now);
          else
            engine_batch_step(e, b, now);
        }
        if (!b->done && !b->busy && b->next_at < next)
          next = b->next_at;
      }
    }
    /* Settle: the store decides whether the job has ended. */
    int ended = 0;
    int busy = j->scanning > 0;
    for (ebatch *b = j->batches; b; b = b->next)
      busy |= b->busy || b->inflight;
    /* one more orphan scan before the job can be marked finished */
    if (!busy && j->leased && !j->gave_up && j->prov_ok && engine_orphan_scan_final(e, j))
      busy = 1;
    if (!busy) {
      if (j->leased) {
        if (store_job_settle(e->store, j->id, j->cancel, &ended, &err))
          log_warn("engine: %s", err.message);
      } else {
        bt_job row;
        if (store_job_get(e->store, j->id, &row, &err) == BT_OK) {
          ended = job_state_terminal(row.state);
          job_cleanup(&row);
        }
      }
    }
    if (j->dirty || ended) {
      engine_emit(e, ENGINE_EV_CHANGED, j->id, LOG_INFO, NULL);
      j->dirty = 0;
    }
    if (ended) {
      engine_emit(e, ENGINE_EV_JOB_DONE, j->id, LOG_INFO, "job %s has ended", j->id);
      *pj = j->next;
      job_free(e, j);
      continue;
    }
    if (j->gave_up && !busy) {
      gave_up_remember(e, j->id);
      *pj = j->next;
      job_free(e, j);
      continue;
    }
    pj = &j->next;
  }
  if (!e->jobs && !e->idle_sent) {
    e->idle_sent = 1;
    engine_emit(e, ENGINE_EV_IDLE, NULL, LOG_INFO, NULL);
  }
  return next;
}

/* Hand every finished transfer to its callback; returns how many there were. */
static int finish_transfers(bt_engine *e) {
  CURLMsg *m;
  int left, n = 0;
  while ((m = curl_multi_info_read(e->multi, &left))) {
    if (m->msg != CURLMSG_DONE)
      continue;
    CURL *easy = m->easy_handle;
    CURLcode cc = m->data.result;
    bt_http_req *r = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&r);
    curl_multi_remove_handle(e->multi, easy);
    if (!r)
      continue;
    for (size_t i = 0; i < e->n_active; i++)
      if (e->active[i] == r) {
        e->active[i] = e->active[--e->n_active];
        break;
      }
    r->cc = cc;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r->status);
    r->done(r, r->ud);
    n++;
  }
  return n;
}

static void *engine_main(void *arg) {
  bt_engine *e = arg;
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals go to the front end's thread */
  bt_error err;
  error_clear(&err);
  if (store_open(e->store_path, &e->store, &err) != BT_OK) {
    engine_emit(e, ENGINE_EV_MESSAGE, NULL, LOG_ERROR, "%s", err.message);
    engine_emit(e, ENGINE_EV_IDLE, NULL, LOG_ERROR, NULL);
    return NULL;
  }
  if (util_mkdir_p(e->spool_dir, 0700, &err) != BT_OK)
    log_warn("engine: %s", err.message);
  while (1) {
    scan_unfinished(e, util_mono_ms());
    take_commands(e);
    pthread_mutex_lock(&e->mu);
    int quit = e->quit;
    pthread_mutex_unlock(&e->mu);
    if (quit)
      break;
    int64_t next = schedule(e);
    engine_local_pump(e, util_mono_ms());
    int running = 0;
    curl_multi_perform(e->multi, &running);
    int finished = finish_transfers(e);
    engine_local_flush(e);
    int64_t wait = next - util_mono_ms();
    /* A finished transfer may have made its batch's next step due now (a create after an
     * upload, a download after a poll): schedule again at once instead of sleeping on a
     * deadline computed before it. */
    if (finished)
      wait = 0;
    if (e->lq_head && e->local_inflight < e->local_conc)
      wait = wait > 20 ? 20 : wait; /* queued local work waits on rate limits */
    if (wait < 0)
      wait = 0;
    if (wait > 1000)
      wait = 1000;
    curl_multi_poll(e->multi, NULL, 0, (int)wait, NULL);
    int still = 0;
    curl_multi_perform(e->multi, &still);
    finish_transfers(e);
    engine_local_flush(e);
  }
  /* Stop: abandon transfers (the store says where each batch is), release leases. */
  for (size_t i = 0; i < e->n_active; i++) {
    curl_multi_remove_handle(e->multi, e->active[i]->easy);
    engine_local_abandon(e->active[i]);
    http_req_free(e->active[i]);
  }
  e->n_active = 0;
  while (e->jobs) {
    ejob *j = e->jobs;
    e->jobs = j->next;
    job_free(e, j);
  }
  engine_local_flush(e);
  store_close(e->store);
  e->store = NULL;
  return NULL;
}

bt_status engine_start(bt_engine *e, bt_error *err) {
  if (e->started)
    return BT_OK;
  if (pthread_create(&e->thread, NULL, engine_main, e) != 0)
    return error_set(err, BT_ERR_INTERNAL, "cannot start the engine thread");
  e->started = 1;
  return BT_OK;
}

void engine_free(bt_engine *e) {
  if (!e)
    return;
  if (e->started) {
    pthread_mutex_lock(&e->mu);
    e->quit = 1;
    pthread_mutex_unlock(&e->mu);
    curl_multi_wakeup(e->multi);
    pthread_join(e->thread, NULL);
  }
  if (e->multi)
    curl_multi_cleanup(e->multi);
  free(e->active);
  free(e->gave_up);
  ecmd *c = e->cmd_head;
  while (c) {
    ecmd *n = c->next;
    free(c->only);
    free(c);
    c = n;
  }
  if (e->wake_r > 0)
    close(e->wake_r);
  if (e->wake_w > 0)
    close(e->wake_w);
  pthread_mutex_destroy(&e->mu);
  free(e->ev);
  free(e->store_path);
  free(e->spool_dir);
  config_cleanup(&e->cfg);
  free(e);
}
