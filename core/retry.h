/* retry: new attempts for a job's unsuccessful tasks, in new batches (round n+1).
 *
 * Selection (`only`): "failed", "expired", "cancelled", an error code (e.g. "rate_limit"), or
 * NULL for all three states; task_id > 0 narrows it to that one task. Succeeded, pending and
 * running tasks are never selected. retry_plan() only counts (for the confirmation dialog and
 * --max-cost); retry_apply() writes, in one transaction: chunks (batches in state intent,
 * round = last round + 1), a running attempt per task (its new latest attempt), the tasks back
 * to pending, the job back to running. The engine then drives them like any chunk; "the
 * latest success wins".
 *
 * Any thread, on its own store connection. */
#ifndef BT_RETRY_H
#define BT_RETRY_H

#include <stdint.h>

#include "store.h"

typedef struct bt_retry_plan {
  int64_t tasks;
  int64_t est_input_tokens;
  double est_cost_usd; /* batch prices */
} bt_retry_plan;

bt_status retry_plan(bt_store *s, const char *job_id, const char *only, int64_t task_id,
                     bt_retry_plan *out, bt_error *err) BT_WUR;
/* max_cost_usd < 0: no limit (the job keeps its budget); else an estimate above it is
 * BT_ERR_BUDGET (nothing written), and the job's budget becomes its spend so far plus it.
 * *n_tasks (may be NULL) gets how many tasks got a new attempt. */
bt_status retry_apply(bt_store *s, const char *job_id, const char *only, int64_t task_id,
                      double max_cost_usd, int64_t *n_tasks, bt_error *err) BT_WUR;

/* How a job's error begins when the engine gave up waiting for the enqueued-token limit:
 * what is left are failed tasks to retry (job_report_exit_code). */
#define RETRY_TOKEN_LIMIT_GAVE_UP "gave up waiting for the enqueued-token limit"

/* A batch the provider refused as a whole before running any of it (OpenAI's enqueued-token
 * limit): in one transaction its running attempts end failed with (code, message), kept in the
 * history; its tasks get new running attempts in a chunk of the next round, with the same
 * chunk number, in state intent, held (batches.next_poll_at) until not_before_ms (wall clock)
 * and carrying the engine's refusal counts; the tasks go back to pending and the refused batch
 * is done. The job stays running. *new_batch gets the new chunk's id (0 when no task was left
 * to send), *n_tasks how many tasks it holds. */
bt_status retry_requeue_batch(bt_store *s, int64_t batch_id, const char *code, const char *message,
                              int64_t not_before_ms, int64_t token_waits, int64_t token_lone,
                              int64_t *new_batch, int64_t *n_tasks, bt_error *err) BT_WUR;

#endif
