/* store_job: jobs and their tasks in the store.
 *
 * A job is one template over one input file, sent to one provider and model. Its tasks are
 * its input rows. Task states: pending (not yet in a batch), running (in a batch that has not
 * ended), succeeded, failed, expired, cancelled; every task is in exactly one, so the counts
 * add up (triggers keep job_counts). Job states: draft, submitting, running, completed, failed,
 * cancelled (cli.md).
 *
 * Strings in bt_job are owned by the struct: job_cleanup() frees them. Same thread rules as
 * store.h: a function runs on the connection it is given. */
#ifndef BT_STORE_JOB_H
#define BT_STORE_JOB_H

#include <stdint.h>

#include "store.h"

#define BT_JOB_ID_LEN 8 /* random base-36 characters */

/* Task states in display order. */
#define BT_TASK_STATES(X)                                                                  \
  X(TASK_PENDING, "pending")                                                               \
  X(TASK_RUNNING, "running")                                                               \
  X(TASK_SUCCEEDED, "succeeded")                                                           \
  X(TASK_FAILED, "failed")                                                                 \
  X(TASK_EXPIRED, "expired")                                                               \
  X(TASK_CANCELLED, "cancelled")

typedef enum {
#define BT_X(e, s) e,
  BT_TASK_STATES(BT_X)
#undef BT_X
      TASK_STATE_COUNT
} bt_task_state;

const char *task_state_name(bt_task_state s);
/* -1 when name is not a task state. */
int task_state_parse(const char *name);

typedef struct bt_counts {
  int64_t total;
  int64_t n[TASK_STATE_COUNT];
} bt_counts;

typedef struct bt_job {
  char id[BT_JOB_ID_LEN + 1];
  char *name;
  char *provider;
  char *model;
  char *endpoint;
  char *state;
  char *template_path;
  char *template_text;
  char *input_path;
  char *input_format;
  char *input_fields; /* JSON array */
  char *options;      /* JSON object */
  int64_t chunk_size;
  double max_cost_usd; /* < 0: none */
  double est_cost_usd; /* batch prices */
  double est_cost_std_usd;
  int64_t est_input_tokens;
  int64_t est_output_tokens;
  double actual_cost_usd;
  int64_t actual_input_tokens;
  int64_t actual_output_tokens;
  char *last_error;
  char *pipeline_id;
  int64_t stage_no;
  char *stage_name;
  int64_t hold; /* 1: a pipeline stage rows can still flow into (it cannot end yet) */
  int64_t created_at, updated_at, finished_at; /* unix ms; finished_at 0 = not finished */
} bt_job;

void job_init(bt_job *job);
void job_cleanup(bt_job *job);

/* Insert a new job. If job->id is empty a fresh id is made and written back. created_at and
 * updated_at are set to now when 0. */
bt_status store_job_insert(bt_store *s, bt_job *job, bt_error *err) BT_WUR;

/* Load a job by exact id. BT_ERR_NOT_FOUND when there is none. */
bt_status store_job_get(bt_store *s, const char *id, bt_job *out, bt_error *err) BT_WUR;

/* Resolve what a user typed: an exact id, an exact name (the newest job of that name) or a
 * unique id prefix of at least 3 characters. Writes the id into id_out. */
bt_status store_job_resolve(bt_store *s, const char *ref, char id_out[BT_JOB_ID_LEN + 1],
                            bt_error *err) BT_WUR;

/* All job ids, newest first. *ids is an array of n ids the caller frees with free(). */
bt_status store_job_list_ids(bt_store *s, char (**ids)[BT_JOB_ID_LEN + 1], size_t *n,
                             bt_error *err) BT_WUR;

/* The job ids a query returns (first column), with at most one text parameter (arg, may be
 * NULL); *ids is freed by the caller. For the store_*.c modules. */
bt_status store_job_ids(bt_store *s, const char *sql, const char *arg,
                        char (**ids)[BT_JOB_ID_LEN + 1], size_t *n, bt_error *err) BT_WUR;

bt_status store_job_set_state(bt_store *s, const char *id, const char *state,
                              bt_error *err) BT_WUR;

/* Counts per task state, from job_counts (O(states), not O(tasks)). */
bt_status store_job_counts(bt_store *s, const char *id, bt_counts *out, bt_error *err) BT_WUR;
/* n more (or, negative, fewer) tasks of the job in state: what the count triggers do per row,
 * for the writers that set them aside (bulk mode) and correct the counts once. */
bt_status store_job_counts_add(bt_store *s, const char *id, bt_task_state state, int64_t n,
                               bt_error *err) BT_WUR;

/* The same counts computed from the tasks themselves (slow; for checks and tests). */
bt_status store_job_counts_scan(bt_store *s, const char *id, bt_counts *out,
                                bt_error *err) BT_WUR;

/* A task's share of the job's estimated output tokens: the estimate over the rows it was made
 * for. That is the job's own tasks, except for a later pipeline stage, estimated for every
 * input row while its tasks arrive as rows flow in: the input's rows (stage 1's tasks). */
bt_status store_job_output_per_task(bt_store *s, const char *id, double *out,
                                    bt_error *err) BT_WUR;

/* A new task row. */
typedef struct bt_task_new {
  int64_t row_no;
  int64_t line_no;
  const char *custom_id;
  const char *input;   /* JSON object text */
  const char *request; /* request line JSON text */
  int64_t est_input_tokens;
  int64_t first_attempt; /* > 0: the id its first attempt will get (attempts 1, the latest);
                            0: no attempt yet */
} bt_task_new;

/* Bulk insert: prepare once, add many inside the caller's transaction, then finish. */
typedef struct bt_task_inserter bt_task_inserter;
bt_status store_task_inserter_new(bt_store *s, const char *job_id, bt_task_inserter **out,
                                  bt_error *err) BT_WUR;
bt_status store_task_insert(bt_task_inserter *ins, const bt_task_new *t, bt_error *err) BT_WUR;
void store_task_inserter_free(bt_task_inserter *ins);

/* Move one task to a new state (used by the engine; tests use it to exercise the counts). */
bt_status store_task_set_state(bt_store *s, int64_t task_id, bt_task_state state,
                               bt_error *err) BT_WUR;

#endif
