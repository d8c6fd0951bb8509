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

/* The limit an enqueued-token refusal states ("... Limit: 2,000,000 enqueued tokens ..."):
 * the number after "limit", with or without digit group separators (, _ ' or a space before
 * three digits), or with a k/M/B suffix ("2.5M"). 0 when the message states none (NULL too). */
int64_t retry_token_limit_parse(const char *message);

/* The limit learned for a provider's model, kept across jobs and runs: learn replaces it (the
 * provider's last word counts), get gives 0 when none was learned in the last
 * RETRY_TOKEN_LIMIT_TTL_MS. An organisation's tier, and with it the limit, can go up; paced
 * below the old limit we would never be refused again to learn the new one, so it is
 * forgotten after a while and the next refusal states it anew (refusals cost nothing). */
#define RETRY_TOKEN_LIMIT_TTL_MS (24LL * 3600 * 1000)
bt_status retry_token_limit_learn(bt_store *s, const char *provider, const char *model,
                                  int64_t tokens, bt_error *err) BT_WUR;
int64_t retry_token_limit_get(bt_store *s, const char *provider, const char *model);

/* An unsent chunk (state intent) measured against an enqueued-token limit: in one transaction,
 * its tasks are cut, in row order, into chunks of at most max_tokens estimated prompt tokens
 * (tasks.est_input_tokens) each. The first part stays batch_id; the others become new batches
 * of the same round numbered after the job's last chunk (so with tags of their own), held like
 * batch_id (next_poll_at, token_waits); every part's lone-refusal count starts again. A task
 * estimated above `limit` by itself can never be enqueued: its attempt ends failed with
 * `code` and a message saying so, in a batch of its own that is done at once, and the task
 * fails. A chunk already within max_tokens is left alone. *n_parts gets the number of chunks
 * now to be sent in its place (0 when every task was too large), *n_over the failed tasks. */
bt_status retry_split_batch(bt_store *s, int64_t batch_id, int64_t max_tokens, int64_t limit,
                            const char *code, int64_t *n_parts, int64_t *n_over,
                            bt_error *err) BT_WUR;

#endif
