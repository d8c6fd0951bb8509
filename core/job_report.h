/* job_report: read-side views of a job for `status`, `jobs`, `errors` and the dashboard:
 * cli.md's --json shapes as jansson values, and the error groups.
 *
 * Any thread, on its own store connection. Returned json_t values belong to the caller
 * (json_decref). */
#ifndef BT_JOB_REPORT_H
#define BT_JOB_REPORT_H

#include <jansson.h>

#include "store.h"

/* cli.md's `status JOB --json` object ({"id", "name", "provider", "model", "state",
 * "counts", "cost", "batches"}), plus extra keys (add-only): "created_at", "finished_at",
 * "last_error", "est_tokens", "actual_tokens", "waiting" (job_report_waiting's text, or null),
 * "price_known" (false: the model has no known price, so the costs are not numbers to trust;
 * show them as "?"), "paused" (job_report_paused's reason on an unfinished job, or null).
 * with_batches 0 gives the `jobs --json` shape. */
bt_status job_report_json(bt_store *s, const char *job_id, int with_batches, json_t **out,
                          bt_error *err) BT_WUR;

/* Chunks held back by the provider's enqueued-token limit (retry_requeue_batch), as the
 * status line says it: "enqueued-token limit (OpenAI), 3 chunks held, next try in 40 s"; ""
 * when none. Returns how many. */
int64_t job_report_waiting(bt_store *s, const char *job_id, int64_t now_ms, char *buf, size_t size);

/* A pipeline as one status object: {"id", "name", "kind": "pipeline", "state", "counts",
 * "cost", "price_known", "paused", "created_at", "stages": [job_report_json objects with
 * "stage" and "stage_no"]}. counts and cost are the stages' sums (a row counts once in every
 * stage it reached); state is "running" while a stage has not ended, then "failed" or
 * "cancelled" when a stage ended so, else "completed". */
bt_status pipeline_report_json(bt_store *s, const char *pipeline_id, int with_batches, json_t **out,
                               bt_error *err) BT_WUR;

/* Why nobody can drive the job (the engine that found it so stored it, engine.c): e.g. "no
 * API key: OPENAI_API_KEY is not set". Returns 1 and the reason in buf when paused. */
int job_report_paused(bt_store *s, const char *job_id, char *buf, size_t size);

/* Unsuccessful tasks grouped by error code, largest group first:
 * [{"code": "...", "state": "failed", "count": n, "sample": "one message"}]. */
bt_status job_report_errors(bt_store *s, const char *job_id, json_t **out, bt_error *err) BT_WUR;

/* The exit code of a finished job under cli.md: 0 all succeeded; 2 some failed, expired or
 * were cancelled (also when the engine gave up waiting for the enqueued-token limit); 3 the
 * engine recorded a provider error that retries did not overcome (a recorded error does not
 * count once the job completed with every task succeeded); 4 it stopped at --max-cost. */
int job_report_exit_code(bt_store *s, const char *job_id);

#endif
