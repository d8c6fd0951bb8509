/* store_query: the read-side queries of the dashboard (and anything else that shows the store).
 *
 * Each function answers one screen's question with plain structs: the jobs page that is
 * visible, one job's batches/errors/sparkline, a page of a job's tasks, one task with every
 * attempt, the header totals. They only read, so they run on any connection, including a
 * dashboard's own connection while another process (or the engine thread) writes.
 *
 * Cost: built for a store of 10,000 jobs and 1,000,000 tasks. Lists are paged (LIMIT/OFFSET on
 * an index; a job's unfiltered task pages seek by row number when its rows have no gaps),
 * counts come from job_counts (kept by triggers), and per-row extras are index range lookups
 * for the visible rows only.
 *
 * Ownership: every *_out struct is filled by the call and owns its strings and arrays; the
 * caller releases it with the matching *_cleanup() (safe on a zeroed struct, and after a
 * failed call). Threads: as store.h: a call runs on the connection it is given. */
#ifndef BT_STORE_QUERY_H
#define BT_STORE_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "store_job.h"

/* Window over which throughput (tasks/min) is measured. */
#define BT_QUERY_RATE_WINDOW_MS (5 * 60 * 1000)
/* eta_ms of a job whose remaining tasks wait at the provider: none finished in the last minute
 * and none reported done (a batch still validating or queued), so no rate says when. */
#define BT_QUERY_ETA_QUEUED (-2)
#define BT_QUERY_QUEUED_MS (60 * 1000)

/* Header totals. */
typedef struct bt_qtotals {
  int64_t jobs;            /* every job in the store */
  int64_t running_jobs;    /* submitting or running, not paused; a pipeline counts once */
  int64_t tasks_in_flight; /* tasks at work (running, less what the provider has reported
                              done before the results are in), over unfinished jobs */
  double spend_today_usd;  /* cost of attempts that finished since day_start_ms */
  double spend_total_usd;  /* actual cost of every job */
} bt_qtotals;

bt_status store_query_totals(bt_store *s, int64_t day_start_ms, bt_qtotals *out,
                             bt_error *err) BT_WUR;

/* How the job list is ordered. */
#define BT_QUERY_JOB_SORTS(X)                                                                      \
  X(QSORT_NEWEST, "newest")                                                                        \
  X(QSORT_OLDEST, "oldest")                                                                        \
  X(QSORT_NAME, "name")                                                                            \
  X(QSORT_STATE, "state")                                                                          \
  X(QSORT_COST, "cost")

typedef enum {
#define BT_X(e, s) e,
  BT_QUERY_JOB_SORTS(BT_X)
#undef BT_X
      QSORT_COUNT
} bt_qsort;

const char *store_query_sort_name(bt_qsort s);

typedef struct bt_qstage bt_qstage;

/* One row of the jobs list: a job, or a whole pipeline (n_stages > 0). A pipeline row carries
 * the pipeline's id and name; its counts, costs, tokens and rate are sums over its stage jobs;
 * its state is "running" while any stage has not ended or is held, else "cancelled" when a
 * stage was cancelled, "failed" when one failed, else "completed". Its provider and model are
 * its stages' joined by spaces (for the filter); stages[] has each stage's own. */
typedef struct bt_qjob {
  char id[BT_JOB_ID_LEN + 1];
  char *name, *provider, *model, *state, *endpoint, *last_error;
  char *paused; /* why nobody can drive the job (jobs.paused), or NULL; NULL for a pipeline row */
  bt_counts counts;
  double est_cost_usd, est_cost_std_usd, actual_cost_usd;
  int64_t est_input_tokens, est_output_tokens, actual_input_tokens, actual_output_tokens;
  int64_t created_at, updated_at, finished_at; /* unix ms; finished_at 0 = not finished */
  /* What the provider has reported done in batches whose results are not downloaded yet (the
   * tasks are still `running` in the store until then): progress a batch API shows early. */
  int64_t reported_ok, reported_failed;
  double rate_per_min; /* tasks executed (succeeded or failed: not expired or cancelled) per
                          minute over the rate window, or over its life once finished */
  int64_t eta_ms;      /* remaining / rate, at least 1 s while tasks remain; -1 when unknown or
                          finished; BT_QUERY_ETA_QUEUED when the rest waits at the provider */
  bt_qstage *stages;   /* a pipeline row: its stage jobs in stage order; NULL for a job */
  size_t n_stages;
} bt_qjob;

/* One stage of a pipeline: its job (name "<pipeline>/<stage>", counts, cost) and its place. */
struct bt_qstage {
  bt_qjob job;
  int64_t stage_no; /* 1..N */
  char *stage_name;
  int hold;        /* rows can still flow in from the stage before */
  int64_t skipped; /* rows its where-condition filtered out */
};

typedef struct bt_qjobs_opts {
  bt_qsort sort;
  const char *filter; /* substring of name, id, provider, model or state; NULL = all */
  int64_t offset, limit;
  int64_t now_ms; /* for rate and ETA */
} bt_qjobs_opts;

typedef struct bt_qjob_list {
  bt_qjob *rows;
  size_t n;
  int64_t total; /* rows matching the filter, all pages */
} bt_qjob_list;

/* A job's state as the dashboard shows it: "paused" while nobody can drive it (its stored
 * state, submitting or running, would read as progress), else its state. */
const char *store_query_job_state(const bt_qjob *j);

/* A stage's state as the dashboard shows it: "held" while rows can still flow in from the
 * stage before, else its job's state (store_query_job_state). */
const char *store_query_stage_state(const bt_qstage *g);

/* The jobs list: ordinary jobs, and each pipeline as one row in place of its stage jobs (the
 * filter also matches a pipeline by any stage's provider or model). */
bt_status store_query_jobs(bt_store *s, const bt_qjobs_opts *opts, bt_qjob_list *out,
                           bt_error *err) BT_WUR;
/* The counts to show for a job's progress: its task counts with the tasks the provider has
 * reported done (reported_ok/failed) moved from running to succeeded/failed. Still adds up. */
void store_query_progress(const bt_qjob *j, bt_counts *out);
void store_query_jobs_cleanup(bt_qjob_list *l);

/* One pipeline: the row the jobs list shows (with its stages), and where it came from. */
typedef struct bt_qpipeline {
  bt_qjob row;
  char *path;       /* the pipeline file */
  char *input_path; /* its input */
} bt_qpipeline;

/* BT_ERR_NOT_FOUND when there is no pipeline with that id. */
bt_status store_query_pipeline(bt_store *s, const char *id, int64_t now_ms, bt_qpipeline *out,
                               bt_error *err) BT_WUR;
void store_query_pipeline_cleanup(bt_qpipeline *p);

/* One batch of a job. */
typedef struct bt_qbatch {
  int64_t id, chunk_no, round;
  char *state;         /* local: intent|uploading|uploaded|creating|remote|done, or held (an
                          intent waiting out the enqueued-token limit) */
  char *remote_id;     /* NULL until created */
  char *remote_status; /* provider's: validating, in_progress, finalizing, completed, ... */
  char *last_error;
  int64_t n_requests, n_succeeded, n_failed;
  int64_t created_at, submitted_at, in_progress_at, finalizing_at, ended_at, expires_at;
} bt_qbatch;

/* One batch on its own (a batch's task list): where it stands and its provider files. */
typedef struct bt_qbatch_info {
  int64_t chunk_no, round, n_requests, n_succeeded, n_failed;
  char *state, *remote_id, *remote_status;              /* remote_* NULL until created */
  char *input_file_id, *output_file_id, *error_file_id; /* NULL when none (yet) */
} bt_qbatch_info;

/* BT_ERR_NOT_FOUND when the job has no batch of that id. */
bt_status store_query_batch(bt_store *s, const char *job_id, int64_t batch_id, bt_qbatch_info *out,
                            bt_error *err) BT_WUR;
void store_query_batch_cleanup(bt_qbatch_info *b);

/* Failed tasks sharing an error code (or, without one, a terminal state like "expired"). */
typedef struct bt_qerror_group {
  char *code;
  int64_t n;
  char *sample; /* one error message of the group; may be NULL */
} bt_qerror_group;

#define BT_QUERY_SPARK_MAX 64

typedef struct bt_qjob_detail {
  bt_qjob job;
  char *template_path, *input_path;
  bt_qbatch *batches;
  size_t n_batches;
  bt_qerror_group *errors; /* largest group first */
  size_t n_errors;
  int64_t spark[BT_QUERY_SPARK_MAX]; /* completions per bucket, oldest first */
  int n_spark;
  int64_t spark_bucket_ms;
  char waiting[160]; /* chunks held back for the enqueued-token limit (job_report_waiting) */
} bt_qjob_detail;

/* One job with its batches, error groups and a completion histogram of n_spark buckets
 * (<= BT_QUERY_SPARK_MAX) over the job's life so far. BT_ERR_NOT_FOUND when there is none. */
bt_status store_query_job(bt_store *s, const char *id, int64_t now_ms, int n_spark,
                          bt_qjob_detail *out, bt_error *err) BT_WUR;
void store_query_job_cleanup(bt_qjob_detail *d);

/* One row of a job's task list. */
typedef struct bt_qtask {
  int64_t id, row_no, attempts, updated_at;
  int64_t tokens;  /* input + output tokens over its attempts */
  double cost_usd; /* over its attempts */
  char *custom_id, *state, *error_code;
  char *snippet; /* the error message, else the output, else the input (first 200 bytes) */
} bt_qtask;

typedef struct bt_qtasks_opts {
  const char *job_id;
  int state;              /* a bt_task_state, or -1 for all */
  const char *error_code; /* NULL = any; matches the error groups' code */
  const char *search;     /* substring of custom_id, input or output; NULL = none */
  int64_t offset, limit;
} bt_qtasks_opts;

typedef struct bt_qtask_list {
  bt_qtask *rows;
  size_t n;
  int64_t total; /* rows matching the filters, all pages */
} bt_qtask_list;

bt_status store_query_tasks(bt_store *s, const bt_qtasks_opts *opts, bt_qtask_list *out,
                            bt_error *err) BT_WUR;
/* How a task list is ordered (row order, the default, is the input's). */
#define BT_QUERY_TASK_SORTS(X)                                                                     \
  X(QTSORT_ROW, "row")                                                                             \
  X(QTSORT_STATE, "state")                                                                         \
  X(QTSORT_TRIES, "tries")                                                                         \
  X(QTSORT_COST, "cost")                                                                           \
  X(QTSORT_TOKENS, "tokens")

typedef enum {
#define BT_X(e, s) e,
  BT_QUERY_TASK_SORTS(BT_X)
#undef BT_X
      QTSORT_COUNT
} bt_qtsort;

const char *store_query_task_sort_name(bt_qtsort s);

/* What store_query_tasks_ex adds to the options. */
typedef struct bt_qtasks_ext {
  int64_t batch_id; /* > 0: only the tasks with an attempt in this batch (its requests) */
  bt_qtsort sort;   /* state: failed, expired, cancelled, running, pending, succeeded; tries,
                     * cost and tokens: most first; ties in row order */
  int reverse;      /* the opposite order */
} bt_qtasks_ext;

/* store_query_tasks with a batch and an order. There is no index by batch, cost or tokens:
 * a batch's list scans the attempts, and a sort other than row order reads every matching
 * task once (for the dashboard's tasks view, on a key press). ext may be NULL. */
bt_status store_query_tasks_ex(bt_store *s, const bt_qtasks_opts *opts, const bt_qtasks_ext *ext,
                               bt_qtask_list *out, bt_error *err) BT_WUR;
void store_query_tasks_cleanup(bt_qtask_list *l);

/* One attempt at a task. */
typedef struct bt_qattempt {
  int64_t id, attempt_no, batch_id, http_status; /* http_status 0 when unknown */
  char *state, *batch_remote_id, *response, *output, *error_code, *error_message;
  int64_t input_tokens, output_tokens, cached_tokens;
  double cost_usd;
  int64_t created_at, finished_at;
} bt_qattempt;

typedef struct bt_qtask_detail {
  int64_t id, row_no, line_no, n_attempts, updated_at;
  char job_id[BT_JOB_ID_LEN + 1];
  char *custom_id, *state, *input, *request, *error_code, *output;
  bt_qattempt *attempts; /* oldest first */
  size_t n_att;
} bt_qtask_detail;

bt_status store_query_task(bt_store *s, int64_t task_id, bt_qtask_detail *out,
                           bt_error *err) BT_WUR;
void store_query_task_cleanup(bt_qtask_detail *d);

/* One input row's way through a pipeline: every stage in order, with the row's status there
 * (its task's state, or "skipped", "blocked" or "waiting" as pipeline_results() says), its
 * output and every attempt. The same input row has the same row_no in every stage. */
typedef struct bt_qlineage_stage {
  int64_t stage_no;
  char *stage_name, *provider, *model;
  char job_id[BT_JOB_ID_LEN + 1];
  char *status;
  int64_t task_id;       /* 0 when the row has no task in this stage */
  char *output;          /* NULL when none */
  bt_qattempt *attempts; /* oldest first */
  size_t n_att;
} bt_qlineage_stage;

typedef struct bt_qlineage {
  char *pipeline_name; /* NULL (and n = 0) when the job is in no pipeline */
  int64_t row_no;
  bt_qlineage_stage *stages;
  size_t n;
} bt_qlineage;

/* The lineage of row_no in the pipeline of job_id; empty (n = 0) for a job outside pipelines.
 * Index lookups only: per stage one task by (job_id, row_no), one skip, its attempts. */
bt_status store_query_lineage(bt_store *s, const char *job_id, int64_t row_no, bt_qlineage *out,
                              bt_error *err) BT_WUR;
void store_query_lineage_cleanup(bt_qlineage *l);

/* A job's name into buf ("" when there is no such job). */
bt_status store_query_job_name(bt_store *s, const char *id, char *buf, size_t size,
                               bt_error *err) BT_WUR;

/* SQLite's data_version for this connection: changes when another connection commits, so a
 * reader polling on a timer can skip re-querying when nothing changed. -1 on error. */
int64_t store_query_data_version(bt_store *s);

#endif
