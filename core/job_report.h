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
 * "last_error", "est_tokens", "actual_tokens", "waiting" (job_report_waiting's text, or null).
 * with_batches 0 gives the `jobs --json` shape. */
bt_status job_report_json(bt_store *s, const char *job_id, int with_batches, json_t **out,
                          bt_error *err) BT_WUR;

/* Chunks held back by the provider's enqueued-token limit (retry_requeue_batch), as the
 * status line says it: "enqueued-token limit (OpenAI), 3 chunks held, next try in 40 s"; ""
 * when none. Returns how many. */
int64_t job_report_waiting(bt_store *s, const char *job_id, int64_t now_ms, char *buf, size_t size);

/* Unsuccessful tasks grouped by error code, largest group first:
 * [{"code": "...", "state": "failed", "count": n, "sample": "one message"}]. */
bt_status job_report_errors(bt_store *s, const char *job_id, json_t **out, bt_error *err) BT_WUR;

/* The exit code of a finished job under cli.md: 0 all succeeded; 2 some failed, expired or
 * were cancelled (also when the engine gave up waiting for the enqueued-token limit); 3 the
 * engine recorded a provider error that retries did not overcome; 4 it stopped at --max-cost. */
int job_report_exit_code(bt_store *s, const char *job_id);

#endif
