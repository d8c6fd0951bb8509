/* pipeline_run: a pipeline in the store, and the flow of rows from stage to stage.
 *
 * A pipeline (pipeline.h) becomes one `pipelines` row and one job per stage (jobs.pipeline_id,
 * stage_no 1..N). Stage 1 is an ordinary job over the input file. A later stage starts empty
 * and held (jobs.hold = 1): pipeline_flow() pulls into it every row whose task in the stage
 * before succeeded, once the batch that ran it is done, and that passes the stage's where-
 * condition; each pull becomes one new chunk (a batch in state intent) that the engine then
 * drives like any other. So a stage's chunk starts as soon as the rows it needs have finished
 * upstream, not when the whole previous stage is done. A stage is released (hold = 0) when the
 * stage before has ended and every row that can flow has flowed; only then can it complete.
 * Rows a where-condition drops are remembered (pipeline_skips) and reported as "skipped".
 * Retrying a row upstream (retry.h) reopens the later stages, so the row flows on once it
 * succeeds.
 *
 * A later stage's template sees the row's own fields, `prev.output` (the stage before) and
 * `NAME.output` for any earlier stage NAME.
 *
 * Every function runs on the caller's thread and store connection and writes in its own
 * transactions; all are safe to repeat after a crash (they look before they write). */
#ifndef BT_PIPELINE_RUN_H
#define BT_PIPELINE_RUN_H

#include <stdint.h>
#include <stdio.h>

#include "estimate.h"
#include "pipeline.h"
#include "prices.h"
#include "store.h"
#include "store_job.h"

#define BT_PIPELINE_ID_LEN 8

/* What one stage will send and cost. Later stages are estimated as if every row reached them
 * and every earlier answer were as long as its max_tokens allows (a ceiling, not a forecast). */
typedef struct bt_stage_plan {
  char provider[16];
  char model[128];
  char endpoint[40];
  bt_estimate est;
  bt_cost cost;
} bt_stage_plan;

/* Check the whole pipeline before anything is sent: every template parses, names only the
 * row's fields, `prev.output` (not in the first stage) or an earlier stage's `NAME.output`
 * (errors point at the template's line and column), and renders against the first row; then
 * estimate every stage. plans has p->n_stages entries. prices may be NULL (not priced). */
bt_status pipeline_plan(const bt_pipeline *p, const bt_prices *prices, bt_stage_plan *plans,
                        bt_error *err) BT_WUR;

/* Find or create the pipeline in the store. The same file with the same text resumes the
 * pipeline it made before (*created = 0); otherwise a new pipeline is made, with its stage
 * jobs (stage 1 rendered over the whole input, later stages empty and held). Stage jobs that a
 * crash left unmade are made. id_out gets the pipeline id. A budget overrun of stage 1
 * (max_cost) is BT_ERR_BUDGET; a refused new pipeline leaves nothing written. */
bt_status pipeline_ensure(bt_store *s, const bt_pipeline *p, const bt_stage_plan *plans,
                          char id_out[BT_PIPELINE_ID_LEN + 1], int *created, bt_error *err) BT_WUR;

/* A pipeline by id, unique id prefix, or name (the newest of that name). */
bt_status pipeline_resolve(bt_store *s, const char *ref, char id_out[BT_PIPELINE_ID_LEN + 1],
                           bt_error *err) BT_WUR;

/* The stage jobs of a pipeline in stage order; *ids is freed by the caller. */
bt_status pipeline_stage_jobs(bt_store *s, const char *pipeline_id, char (**ids)[BT_JOB_ID_LEN + 1],
                              size_t *n, bt_error *err) BT_WUR;

/* Pull what can flow into a later stage's job (a no-op for other jobs). *added (may be NULL)
 * gets the number of new tasks. */
bt_status pipeline_flow(bt_store *s, const char *job_id, int64_t *added, bt_error *err) BT_WUR;

/* The jobs of the stages after job_id's, in stage order (none outside pipelines). */
bt_status pipeline_later_stages(bt_store *s, const char *job_id, char (**ids)[BT_JOB_ID_LEN + 1],
                                size_t *n, bt_error *err) BT_WUR;

/* After a retry in job_id: its later stages that had completed run again, held, so retried
 * rows can flow on. A no-op for jobs outside pipelines. */
bt_status pipeline_reopen_downstream(bt_store *s, const char *job_id, bt_error *err) BT_WUR;

/* One row per input row, in input order: the input columns, then for every stage
 * NAME_status, NAME_output, NAME_error, NAME_input_tokens, NAME_output_tokens, NAME_cost_usd
 * (csv; the usage is the row's latest attempt in the stage, empty where it has no task), or
 * {"stages": {NAME: {"status", "output", "error", "input_tokens", "output_tokens",
 * "cost_usd"}}} (jsonl, null where no task). Status is
 * the task's state, "skipped" (where-condition), "blocked" (the row did not succeed upstream)
 * or "waiting". */
bt_status pipeline_results(bt_store *s, const char *pipeline_id, const char *format, FILE *out,
                           int64_t *rows, bt_error *err) BT_WUR;

/* The status of a row in a stage where it has no task, as pipeline_results() reports it:
 * "skipped" when this stage's where-condition dropped it (skipped != 0) or an earlier one did,
 * "blocked" when it did not succeed upstream, else "waiting". before: the row's status in the
 * stage before (a task state or one of these), NULL in the first stage. Pure; any thread. */
const char *pipeline_absent_status(int skipped, const char *before);

/* 1 when every stage job of the pipeline has ended (and none is held). */
bt_status pipeline_done(bt_store *s, const char *pipeline_id, int *done, bt_error *err) BT_WUR;

#endif
