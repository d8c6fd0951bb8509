/* store_batch: batches (remote batches and local chunks) and the job-level writes the engine
 * makes (state, errors), in the store.
 *
 * A batch row is written in state `intent` when its chunk is planned (job creation or retry),
 * then moves intent -> uploading -> uploaded -> creating -> remote -> done. `creating` is
 * committed before the create request is sent and the remote id right after the response, so
 * after a crash a batch in `creating` is reconciled with the provider (list + match the tag)
 * before anything is created again. Tags are unique: "bt-<job>-<chunk>-<round>".
 *
 * Same thread rules as store.h. Strings in bt_batch are owned by it (batch_cleanup). */
#ifndef BT_STORE_BATCH_H
#define BT_STORE_BATCH_H

#include <stdint.h>

#include <jansson.h>

#include "provider.h"
#include "store.h"
#include "store_job.h"

typedef struct bt_batch {
  int64_t id;
  char job_id[BT_JOB_ID_LEN + 1];
  int64_t chunk_no, round;
  char *provider, *tag, *state, *remote_id, *remote_status;
  char *input_file_id, *output_file_id, *error_file_id, *results_url;
  int64_t n_requests, n_bytes, n_succeeded, n_failed;
  char *results_state;
  int64_t created_at, submitted_at, remote_created_at, in_progress_at, finalizing_at, ended_at,
      expires_at;
  char *last_error;
  int64_t updated_at;
} bt_batch;

void batch_cleanup(bt_batch *b);
void batch_list_free(bt_batch *list, size_t n);

/* New batch row in state intent, with its tag. */
bt_status store_batch_insert(bt_store *s, const char *job_id, int64_t chunk_no, int64_t round,
                             const char *provider, int64_t *id_out, bt_error *err) BT_WUR;
/* Set the request count, byte size and estimated input tokens once the chunk is complete
 * (its attempts in place). est_tokens < 0: summed from its running attempts' tasks. */
bt_status store_batch_set_size(bt_store *s, int64_t id, int64_t n_requests, int64_t n_bytes,
                               int64_t est_tokens, bt_error *err) BT_WUR;
bt_status store_batch_get(bt_store *s, int64_t id, bt_batch *out, bt_error *err) BT_WUR;
/* All batches of a job, by round then chunk. */
bt_status store_batch_list(bt_store *s, const char *job_id, bt_batch **out, size_t *n,
                           bt_error *err) BT_WUR;
bt_status store_batch_set_state(bt_store *s, int64_t id, const char *state, bt_error *err) BT_WUR;
/* About to send the create: state creating, submitted_at = now (the intent time that
 * reconciling matches against). */
bt_status store_batch_set_creating(bt_store *s, int64_t id, bt_error *err) BT_WUR;
/* Uploaded: the input file id; state uploaded. */
bt_status store_batch_set_input_file(bt_store *s, int64_t id, const char *file_id,
                                     bt_error *err) BT_WUR;
/* What the provider said about the batch. first: this is the create response (remote id,
 * state remote, submitted_at); otherwise only status, counts, files and timestamps. */
bt_status store_batch_set_remote(bt_store *s, int64_t id, const bt_remote_batch *rb, int first,
                                 bt_error *err) BT_WUR;
bt_status store_batch_set_results_state(bt_store *s, int64_t id, const char *state,
                                        bt_error *err) BT_WUR;
/* Error text (scrubbed of secrets); NULL clears it. */
bt_status store_batch_set_error(bt_store *s, int64_t id, const char *message, bt_error *err) BT_WUR;
/* 1 in *known when some batch row already has this remote id (reconciling). */
bt_status store_batch_remote_known(bt_store *s, const char *provider, const char *remote_id,
                                   int *known, bt_error *err) BT_WUR;
/* Duplicates: batches at the provider for a chunk that has one already (store_schema 17).
 * Added once per remote id (*added = 0 when it was known); cancelled_at set once the cancel
 * was accepted. The JSON is the array `status --json` shows as "duplicates" (caller frees). */
bt_status store_duplicate_add(bt_store *s, const char *job_id, int64_t batch_id, int64_t chunk_no,
                              const char *provider, const bt_remote_batch *rb, double cost_usd,
                              int *added, bt_error *err) BT_WUR;
bt_status store_duplicate_cancelled(bt_store *s, const char *provider, const char *remote_id,
                                    bt_error *err) BT_WUR;
bt_status store_duplicates_json(bt_store *s, const char *job_id, json_t **out,
                                bt_error *err) BT_WUR;
/* Unknown batches reported as suspected duplicates (Anthropic: a chunk's size, made after its
 * intent, unproven until its results are checked), as the array `status --json` shows as
 * "suspected_duplicates": {"message", "at"} each, oldest first (caller frees). */
bt_status store_suspected_json(bt_store *s, const char *job_id, json_t **out,
                               bt_error *err) BT_WUR;
/* Local chunks: the counts of finished attempts, copied onto the batch row. */
bt_status store_batch_sync_counts(bt_store *s, int64_t id, bt_error *err) BT_WUR;

/* Job-level writes by the engine. */
bt_status store_job_set_error(bt_store *s, const char *job_id, const char *message,
                              bt_error *err) BT_WUR;
/* If no task is pending or running, set the terminal state (completed, or failed when no batch
 * ever reached the provider and an error is recorded; cancelled when cancel_requested) and
 * finished_at. *ended = 1 when the job is (now or already) terminal. */
bt_status store_job_settle(bt_store *s, const char *job_id, int cancel_requested, int *ended,
                           bt_error *err) BT_WUR;
/* Jobs that are not terminal (to resume), newest first; caller frees *ids. */
bt_status store_job_unfinished(bt_store *s, char (**ids)[BT_JOB_ID_LEN + 1], size_t *n,
                               bt_error *err) BT_WUR;
/* 1 if a job is terminal (completed, failed, cancelled). */
int job_state_terminal(const char *state);

#endif
