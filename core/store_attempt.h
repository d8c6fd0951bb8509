/* store_attempt: attempts (one per task per batch) and idempotent result ingestion.
 *
 * An attempt is written in state `running` when its task is put into a chunk (job creation or
 * retry) and becomes the task's latest attempt. Results are joined on custom_id, never on
 * line order; an attempt that is already terminal is left alone, so feeding the same result
 * file twice (a crash mid-download, then a fresh download) changes nothing. A task follows its
 * latest attempt, except that a succeeded task never goes back ("the latest success wins").
 *
 * Same thread rules as store.h. A bt_ingest holds prepared statements on one connection; the
 * caller wraps calls in transactions (store_begin/commit) and frees it with ingest_free. */
#ifndef BT_STORE_ATTEMPT_H
#define BT_STORE_ATTEMPT_H

#include <stdint.h>

#include "provider.h"
#include "store.h"

/* New running attempt of task in batch; makes it the task's latest attempt (attempts += 1). */
bt_status store_attempt_insert(bt_store *s, const char *job_id, int64_t task_id, int64_t batch_id,
                               bt_error *err) BT_WUR;

/* The same for many attempts (job creation, retries): statements prepared once. */
typedef struct bt_attempt_inserter bt_attempt_inserter;
bt_status store_attempt_inserter_new(bt_store *s, const char *job_id, bt_attempt_inserter **out,
                                     bt_error *err) BT_WUR;
bt_status store_attempt_add(bt_attempt_inserter *ins, int64_t task_id, int64_t batch_id,
                            bt_error *err) BT_WUR;
/* A new task's first attempt, with the id the task was told (bt_task_new.first_attempt): no
 * second write to the task. Ids are handed out by a caller that holds the write lock. */
bt_status store_attempt_add_first(bt_attempt_inserter *ins, int64_t attempt_id, int64_t task_id,
                                  int64_t batch_id, bt_error *err) BT_WUR;
void store_attempt_inserter_free(bt_attempt_inserter *ins);

/* Call fn for every task of a batch, in input order: index from 0, custom_id, request line,
 * attempt id, task id. A non-zero return from fn stops and is returned. */
typedef bt_status (*bt_attempt_fn)(void *ud, int64_t index, const char *custom_id,
                                   const char *request, int64_t attempt_id, int64_t task_id,
                                   int64_t est_tokens);
bt_status store_attempt_each(bt_store *s, int64_t batch_id, int only_running, int64_t after_id,
                             int64_t limit, bt_attempt_fn fn, void *ud, bt_error *err) BT_WUR;

/* The batch was accepted by the provider: its pending tasks become running. */
bt_status store_attempt_tasks_running(bt_store *s, int64_t batch_id, bt_error *err) BT_WUR;

/* Every attempt that finishes is counted in finish_log (migration 11), with its cost, by the
 * code that ends it:
 *   store_attempt_log_finished  n attempts of job that finished at `at`, costing cost
 *   store_attempt_log_ending    the attempts WHERE `where` (SQL over attempts, ?1 = id), about
 *                               to be ended at `at` by the caller's next statement
 * Inside the caller's transaction, with the statement that ends them. */
bt_status store_attempt_log_finished(bt_store *s, const char *job_id, int64_t at, int64_t n,
                                     double cost, bt_error *err) BT_WUR;
bt_status store_attempt_log_ending(bt_store *s, const char *where, int64_t id, int64_t at,
                                   bt_error *err) BT_WUR;

typedef struct bt_ingest bt_ingest;
bt_status ingest_new(bt_store *s, const char *job_id, int64_t batch_id, const char *provider,
                     const char *model, bt_ingest **out, bt_error *err) BT_WUR;
/* One result, joined on custom_id within the batch. *applied = 1 when it changed an attempt
 * (0: unknown custom_id or already terminal). */
bt_status ingest_result(bt_ingest *g, const bt_result *r, int *applied, bt_error *err) BT_WUR;
/* Same, for a known attempt (local execution). */
bt_status ingest_result_attempt(bt_ingest *g, int64_t attempt_id, int64_t task_id,
                                const bt_result *r, int *applied, bt_error *err) BT_WUR;
/* Ingesting whole result files (downloads) as one set, so a million lines cost sequential
 * writes instead of random ones:
 *   ingest_add          take over *r (zeroed or not, it is cleaned up): joined on custom_id
 *                       (through a map of the batch's attempts read once); the first call opens
 *                       a transaction that stays open until ingest_apply or ingest_free. The
 *                       body goes to responses; the rest waits in memory, in runs of at most
 *                       32 MB, each applied in attempt order when it fills; what the line
 *                       changes in the job's cost and counts is summed in memory (the
 *                       transaction is in bulk mode, store_bulk_begin: no trigger counts).
 *                       Lines that change nothing (unknown custom_id, an attempt already
 *                       terminal, a second line for an attempt) are dropped here;
 *                       but a success and a failure for one attempt (a 500 then a success, in
 *                       either order) keep the success and log the conflict.
 *   ingest_apply        apply what is left, write the sums to the job's counts and spend, and
 *                       commit; *applied (may be NULL) gets how many attempts changed. Nothing
 *                       to apply: nothing done.
 * The transaction holds the store's write lock, so the lines must be at hand (the engine
 * spools a download to a file first, then ingests it whole). A failed ingest_add or apply, or
 * ingest_free before apply, rolls everything back: the file is simply ingested again.
 * Idempotent: applying leaves terminal attempts alone, so a repeated download changes nothing. */
bt_status ingest_add(bt_ingest *g, bt_result *r, bt_error *err) BT_WUR;
bt_status ingest_apply(bt_ingest *g, int64_t *applied, bt_error *err) BT_WUR;
/* The bytes a run of lines may hold before it is applied (default 32 MB); tests lower it to
 * cover a file applied in several runs. */
void ingest_set_run_bytes(bt_ingest *g, size_t bytes);
/* Imported batches (job_import.h): a result whose custom_id has no task creates the task (and
 * its attempt) instead of being ignored. */
void ingest_set_autocreate(bt_ingest *g, int on);
/* Every line is another batch's (an orphan found at the provider): its successes go to the
 * job's tasks that have not succeeded, by custom_id, onto their latest attempts. */
void ingest_set_other_batch(bt_ingest *g, int on);
/* Lines join on custom_id through a map of the batch's attempts read once, unless the batch has
 * more than limit attempts (default INGEST_JOIN_MAX: the map's memory grows with the batch);
 * then through the store, line by line. Tests lower it to cover both ways. */
#define INGEST_JOIN_MAX 250000
void ingest_set_join_limit(bt_ingest *g, int64_t limit);
void ingest_free(bt_ingest *g);

/* Every attempt of the batch still running ends as state with code/message (an expired batch
 * keeps its finished lines and marks the rest expired; a completed batch with missing lines
 * marks them failed). Returns how many in *n. */
bt_status store_attempt_finish_rest(bt_store *s, int64_t batch_id, bt_task_state state,
                                    const char *code, const char *message, int64_t *n,
                                    bt_error *err) BT_WUR;

#endif
