/* engine_impl: the engine's internal state, shared by engine.c (thread, queues, jobs),
 * engine_batch.c (the remote batch state machine) and engine_local.c (the local executor).
 * Everything here is touched by the engine thread only, except the fields marked "mu". */
#ifndef BT_ENGINE_IMPL_H
#define BT_ENGINE_IMPL_H

#include <pthread.h>
#include <stdint.h>

#include <curl/curl.h>

#include "engine.h"
#include "http.h"
#include "local_conc.h"
#include "poll_watch.h"
#include "provider.h"
#include "store.h"
#include "store_attempt.h"

typedef struct ejob ejob;
typedef struct ebatch ebatch;

/* One queued local request (or a retry of one). */
typedef struct lreq {
  int64_t attempt_id, task_id, est_tokens;
  char *request;
  int tries;
  int64_t not_before; /* mono ms */
  int64_t sent_ms;    /* mono ms, for the concurrency controller */
  ebatch *batch;
  struct lreq *next;
} lreq;

/* A finished local request waiting for the next store flush. */
typedef struct lres {
  int64_t attempt_id, task_id;
  ebatch *batch;
  bt_result r;
  struct lres *next;
} lres;

struct ebatch {
  int64_t id;
  ejob *job;
  int busy;          /* a transfer is in flight for this batch */
  int64_t next_at;   /* mono ms: step again no earlier than this */
  int fails;         /* consecutive retryable failures of the current step */
  int64_t poll_ms;   /* current poll interval */
  int64_t last_done; /* succeeded+failed at the previous poll (adaptive interval) */
  int maybe_created; /* a create may have reached the provider: reconcile before creating */

  /* an uncertain create settling (engine_batch.c, create_settled_at) */
  int64_t list_sent_wall; /* wall ms the current reconcile's first page was asked for */
  int settle_noted;       /* the wait for an uncertain create to settle was logged */

  int cancel_sent;
  int done;
  /* reconcile paging */
  char *list_after;
  int list_pages;
  /* results download */
  bt_remote_batch rb;
  int have_rb;
  int dl_which;
  bt_lines lines;
  FILE *dl_spool; /* the result files, downloaded whole before they are ingested */
  char *dl_path;  /* its path (spool dir, the batch's tag) */
  int64_t dl_lines;
  int dl_crash_armed;
  /* polls that give nothing usable (poll_watch.h) */
  bt_poll_watch lost, unreadable, unknown;
  char *unknown_status; /* the unknown status last reported, to say it once */
  char *polled_id;      /* the remote id the poll in flight asks about */
  int poll_note;        /* its last_error is a note about its polls (POLL_NOTE) */
  /* a full disk during download or ingest */
  bt_poll_watch disk;
  int64_t disk_need; /* bytes the results need (0: the disk is not full) */
  int dl_errno;      /* errno of the spool write that failed */
  /* local execution */
  int64_t cursor; /* highest attempt id queued */
  int exhausted;  /* no more running attempts to queue */
  int inflight;
  struct lreq *fetched; /* scratch list while reading the next requests */
  ebatch *next;
};

struct ejob {
  char id[BT_JOB_ID_LEN + 1];
  bt_provider_conn prov;
  int prov_ok;
  char *model, *endpoint, *provider_name;
  int leased;   /* we hold the lease: we drive; otherwise we only watch */
  int cancel;   /* cancel requested */
  int fatal;    /* a non-retryable error stopped new batches */
  int gave_up;  /* retries did not overcome an error; job stays resumable */
  int dirty;    /* rows changed since the last ENGINE_EV_CHANGED */
  int imported; /* batches made elsewhere (job_import.h): results may create tasks */
  int flows;    /* a later pipeline stage: rows flow in from the stage before */
  int64_t next_reload, next_lease;
  ebatch *batches;
  /* the create path (issue 13): the lease, unreadable lists, the orphan scan */
  int lost_lease;      /* another process took the lease from us: watch only, never retake */
  int64_t lease_wall;  /* wall ms of the last successful take or renewal of the lease */
  int list_unreadable; /* the provider's last list could not be read: create nothing */
  /* the orphan scan (engine_orphan_scan) */
  int scanning; /* its transfers in flight (list pages, cancels): the job is busy */
  int64_t next_scan;
  char *scan_after;
  int scan_pages;
  int final_scanned;  /* the scan before the job is marked finished has been sent */
  char *orphans_seen; /* Anthropic batches checked or reported (engine_batch.c) */
  ejob *next;
};

typedef struct ecmd {
  int kind;
  char job[BT_JOB_ID_LEN + 1];
  char *only;
  int64_t task_id;
  struct ecmd *next;
} ecmd;

struct bt_engine {
  /* settings, copied at engine_new */
  bt_config cfg;
  char *store_path, *spool_dir;
  int drive_all;
  int64_t poll_ms; /* 0: adaptive */
  int max_fails;
  bt_poll_limits limits; /* lost, unreadable, unknown-status polls (poll_watch.h) */

  /* mu: commands in, events out */
  pthread_mutex_t mu;
  ecmd *cmd_head, *cmd_tail;
  bt_engine_event *ev;
  size_t ev_n, ev_cap;
  int wake_r, wake_w;
  int quit;

  pthread_t thread;
  int started;
  CURLM *multi;
  bt_store *store;
  char owner[32];
  ejob *jobs;
  int idle_sent;
  /* drive_all: when to look for unfinished jobs no engine drives (scan_unfinished), and
   * the jobs given up on, which a scan leaves alone until a retry or drive names them */
  int64_t next_scan;
  char (*gave_up)[BT_JOB_ID_LEN + 1];
  size_t n_gave_up;
  int64_t create_slot;  /* the anthropic batch allowed to create or reconcile now (0: none) */
  bt_http_req **active; /* transfers on the multi handle (freed at stop) */
  size_t n_active, cap_active;

  /* local executor */
  lreq *lq_head, *lq_tail;        /* ready or waiting (not_before) */
  lres *lr_head;                  /* finished, to store */
  int local_inflight, local_conc; /* local_conc: lconc's limit (engine_local.c) */
  bt_local_conc lconc;
  int64_t lconc_said_ms; /* last back off reported as an event (they are rate-limited) */
  int64_t lconc_said_n;  /* lconc.backoffs then */
  int lconc_topped;      /* the ceiling was reached once (said at info) */
  double rpm_tokens, tpm_tokens;
  int64_t rl_last, rl_pause_until;
};

/* engine.c */
void engine_emit(bt_engine *e, bt_engine_event_kind kind, const char *job_id, int level,
                 const char *fmt, ...) BT_PRINTF(5, 6);
void engine_crash_point(const char *name);
double engine_jitter(void);
/* Record a non-retryable error: job and batch last_error, an event, a message. */
void engine_job_error(bt_engine *e, ejob *j, ebatch *b, const char *msg);
void engine_add_transfer(bt_engine *e, bt_http_req *r, bt_http_done_fn done, void *ud);
/* 1 while this process holds j's lease (renewing it when a third of it has passed). 0 when it
 * does not, or lost it to another process (then it stops driving j): the caller writes
 * nothing for j, to the provider or the store. Call before every create and at the top of
 * every transfer's completion. */
int engine_lease_ok(bt_engine *e, ejob *j);

/* engine_batch.c: remote batches (openai, anthropic) */
void engine_batch_step(bt_engine *e, ebatch *b, int64_t now);
void engine_batch_cancel(bt_engine *e, ebatch *b);
void engine_batch_free(bt_engine *e, ebatch *b);
/* Due every few poll intervals while j has batches at the provider: list them, cancel and
 * report the duplicates (OpenAI; see engine_batch.c). */
void engine_orphan_scan(bt_engine *e, ejob *j, int64_t now);
/* Once, when every batch and task of j has ended: one more scan before the job is marked
 * finished. Returns 1 when it sent one (j->scanning holds the settle until it has answered). */
int engine_orphan_scan_final(bt_engine *e, ejob *j);
/* End a batch: its still-running attempts become rest (code, msg); state done. */
void engine_batch_mark_done(bt_engine *e, ebatch *b, bt_task_state rest, const char *code,
                            const char *msg);
/* Fail every batch of j that has not reached the provider (fatal error). */
void engine_job_fail_unsent(bt_engine *e, ejob *j, const char *code, const char *msg);
/* The job's spend so far plus the estimate of what is submitted or about to be, against its
 * budget (*max_cost gets it; < 0: none, never over). */
int engine_over_budget(bt_engine *e, ejob *j, ebatch *b, double *max_cost);

/* engine_local.c: local execution */
void engine_local_step(bt_engine *e, ebatch *b, int64_t now);
void engine_local_pump(bt_engine *e, int64_t now);
void engine_local_flush(bt_engine *e);
void engine_local_forget(bt_engine *e, ebatch *b);
/* Free what a local transfer owns when the engine stops with it in flight. */
void engine_local_abandon(bt_http_req *r);

#endif
