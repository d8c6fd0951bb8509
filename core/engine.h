/* engine: the threaded core that moves jobs from tasks in the store to results, for every
 * provider, and never loses work or pays twice. (Contract; implemented in core/engine*.c.)
 *
 * Shape (design.md): one engine thread owns all network I/O on one curl multi handle and its
 * own store connection. Front ends (CLI commands, the dashboard) talk to it only through the
 * command queue (engine_drive/retry/cancel/refresh, callable from any thread) and the event
 * queue (engine_events, drained by the front end's thread when engine_wake_fd() is readable).
 * Events carry plain copies, never pointers into engine state. The store stays the truth:
 * a front end re-reads what it shows from its own connection when woken.
 *
 * Call order: engine_new() -> engine_start() -> commands/events ... -> engine_free() (asks the
 * thread to stop, joins it, frees everything; safe at any point). curl_global_init() must have
 * run before engine_start().
 *
 * Crash safety (engine_batch.c has the details): every step is committed to the store before
 * and after the network call it guards, so a kill -9 anywhere resumes on the next engine_drive
 * (any process): a batch left in `creating` is looked up at the provider (OpenAI: metadata tag
 * "batchtop_tag"; Anthropic: creation time and request count, one create at a time) before
 * it is ever created again; result ingestion is idempotent. Only one engine drives a job
 * (core/lease.h); another process's engine watches it and takes over if the holder dies.
 * Provider `local` re-runs the requests that were in flight at a crash (no server-side
 * idempotency exists for plain chat completions); remote batches are never re-created.
 *
 * Environment (beside cli.md's): BATCHTOP_POLL_MS fixes the poll interval (else adaptive:
 * 2 s while counts move, backing off to 60 s while queued); BATCHTOP_MAX_RETRIES (default 10)
 * bounds the retries of one step; BATCHTOP_HTTP_TIMEOUT_MS (default 120000) bounds one local
 * request. Test-only: BATCHTOP_TEST_CRASH_AT=after-intent|mid-upload|after-create|mid-poll|
 * mid-download makes the engine raise SIGKILL at that point (tests/e2e/test_engine_crash.sh). */
#ifndef BT_ENGINE_H
#define BT_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "status.h"
#include "store_job.h"

typedef struct bt_engine bt_engine;

typedef enum {
  ENGINE_EV_CHANGED,  /* a job's rows changed (counts, batches, attempts): re-read it */
  ENGINE_EV_MESSAGE,  /* a line for the status bar / stderr (level says how serious) */
  ENGINE_EV_JOB_DONE, /* a job reached a terminal state */
  ENGINE_EV_IDLE,     /* every driven job has ended; nothing left to do */
  ENGINE_EV_JOB_ERROR /* the engine gave up on a job: an error that retries did not overcome
                         (auth, quota, network down). The job stays resumable; message says
                         why (scrubbed of secrets). */
} bt_engine_event_kind;

typedef struct bt_engine_event {
  bt_engine_event_kind kind;
  char job_id[BT_JOB_ID_LEN + 1]; /* "" when not about one job */
  int level;                      /* a bt_log_level, for ENGINE_EV_MESSAGE */
  char message[512];              /* as long as the store keeps a job's last error */
} bt_engine_event;

typedef struct bt_engine_opts {
  const bt_config *cfg;   /* read at engine_new (keys, base URLs, poll_ms); not kept */
  const char *store_path; /* NULL: <home>/batchtop.db; spool files go to <its folder>/spool */
  int drive_all; /* 1: take every unfinished job (dashboard); 0: only engine_drive()n ones */
} bt_engine_opts;

bt_status engine_new(const bt_engine_opts *opts, bt_engine **out, bt_error *err) BT_WUR;
bt_status engine_start(bt_engine *e, bt_error *err) BT_WUR;
/* Readable (non-blocking pipe/eventfd) whenever events are pending. */
int engine_wake_fd(const bt_engine *e);
/* Drain up to max events into out; returns how many. Clears the wake fd when empty. */
size_t engine_events(bt_engine *e, bt_engine_event *out, size_t max);

/* Commands: queued, acted on in order by the engine thread; any thread may call them. */
void engine_drive(bt_engine *e, const char *job_id);
/* New attempts for a job's tasks: only = "failed" | "expired" | "cancelled" | an error code |
 * NULL (all three states); task_id > 0 retries just that task. */
void engine_retry(bt_engine *e, const char *job_id, const char *only, int64_t task_id);
void engine_cancel(bt_engine *e, const char *job_id);
void engine_refresh(bt_engine *e);

void engine_free(bt_engine *e);

#endif
