/* provider: what the engine needs from a batch provider, behind one interface.
 *
 * A provider turns operations into HTTP requests and turns responses into plain structs; it
 * keeps no state of its own and does no I/O (the engine owns the curl multi handle, the
 * store and the state machine). That keeps every parser a pure function with unit tests on
 * the JSON of protocols.md.
 *
 * Call order for one remote batch (engine_batch.c drives it):
 *   spool_open/spool_line.../spool_close   write the upload body from the store's tasks
 *   req_upload (if the provider has one)   -> parse_file_id
 *   [store: state creating]  req_create    -> parse_batch (remote id committed at once)
 *   req_get ... until parse_batch says terminal
 *   req_results (output, then error file)  -> each line through parse_result
 * After a crash with a batch in state `creating`: req_list (pages) -> parse_list, match the
 * tag (OpenAI metadata) or creation time + request count (Anthropic) before creating again.
 * `local` has no remote batches: the engine executes each task with req_exec/parse_exec.
 *
 * Threads: the engine thread builds and parses; the functions are pure and thread-safe.
 * Ownership: requests returned by req_* belong to the caller (http_req_free); strings in the
 * parsed structs are owned by the struct (remote_batch_cleanup, result_cleanup). Keys live in
 * the bt_provider_conn (copied from the config), are sent only in headers and never printed. */
#ifndef BT_PROVIDER_H
#define BT_PROVIDER_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "http.h"
#include "status.h"
#include "store_job.h"

typedef enum { PROVIDER_OPENAI, PROVIDER_ANTHROPIC, PROVIDER_LOCAL } bt_provider_kind;

typedef struct bt_provider_conn {
  bt_provider_kind kind;
  const char *name;
  char *base_url; /* without trailing slash */
  char *api_key;  /* may be NULL (local) */
  long timeout_ms;
  int64_t max_retry_after_ms;
} bt_provider_conn;

/* Remote batch, normalised. status is OpenAI's vocabulary (validating, in_progress,
 * finalizing, completed, failed, expired, cancelling, cancelled); Anthropic's in_progress,
 * canceling, ended map to in_progress, cancelling, completed (raw_status keeps the original). */
typedef struct bt_remote_batch {
  char *id;
  char *status;
  char *raw_status;
  int terminal;
  int64_t total, succeeded, failed, processing;
  char *output_file_id; /* NULL when absent or "" */
  char *error_file_id;
  char *results_url;
  char *tag; /* metadata batchtop_tag (OpenAI) */
  int64_t created_at_ms, in_progress_at_ms, finalizing_at_ms, ended_at_ms, expires_at_ms;
  char *error_code; /* batch-level failure (OpenAI errors.data[0]) */
  char *error_message;
  int cancelled; /* the batch ended by a cancel (Anthropic cancel_initiated_at) */
} bt_remote_batch;

void remote_batch_cleanup(bt_remote_batch *b);

/* One result line, normalised. */
typedef struct bt_result {
  char *custom_id;
  bt_task_state state; /* SUCCEEDED, FAILED, EXPIRED, CANCELLED */
  long http_status;
  char *output;   /* answer text (succeeded) */
  char *response; /* as received: the whole result line (batches) or the response body
                     (local) */
  char *error_code;
  char *error_message;
  int64_t input_tokens, output_tokens, cached_tokens;
} bt_result;

void result_cleanup(bt_result *r);

/* ---- setup ---- */

/* name: openai | anthropic | local. Copies keys and URLs from cfg. A missing key for openai or
 * anthropic is BT_ERR_AUTH with a message naming the environment variable. */
bt_status provider_init(bt_provider_conn *p, const char *name, const bt_config *cfg,
                        bt_error *err) BT_WUR;
void provider_cleanup(bt_provider_conn *p);
/* -1 when name is no provider. */
int provider_parse_kind(const char *name);
/* The endpoint a job of this provider targets (for the job row). */
const char *provider_endpoint(bt_provider_kind kind);
/* Requests per chunk for provider local when no --chunk-size is given: a chunk is only a unit
 * of progress there (remote limits live in request.h's request_limits). */
#define PROVIDER_LOCAL_CHUNK 1000

/* ---- the upload body (spool file) ---- */

/* Write the body of a batch: OpenAI JSONL (one request line a line) or Anthropic's
 * {"requests":[...]} JSON. Call spool_begin, spool_line per task, spool_end. */
bt_status provider_spool_begin(const bt_provider_conn *p, FILE *f, bt_error *err) BT_WUR;
bt_status provider_spool_line(const bt_provider_conn *p, FILE *f, int64_t index,
                              const char *request, bt_error *err) BT_WUR;
bt_status provider_spool_end(const bt_provider_conn *p, FILE *f, bt_error *err) BT_WUR;

/* ---- requests (caller frees with http_req_free) ---- */

bt_status provider_req_upload(const bt_provider_conn *p, const char *spool_path,
                              const char *filename, bt_http_req **out, bt_error *err) BT_WUR;
/* How long a create may take before the client gives up on its answer (the test hook
 * BATCHTOP_TEST_HTTP_TIMEOUT_MS shortens it). A create with no answer may still land at the
 * provider up to this long after it was sent. */
long provider_create_timeout_ms(const bt_provider_conn *p);
/* input_file_id: OpenAI's uploaded file; spool_path: Anthropic's body. Sent on a connection of
 * its own (http_req_once): never re-sent by the transport. */
bt_status provider_req_create(const bt_provider_conn *p, const char *endpoint,
                              const char *input_file_id, const char *spool_path, const char *tag,
                              const char *job_id, bt_http_req **out, bt_error *err) BT_WUR;
bt_status provider_req_get(const bt_provider_conn *p, const char *remote_id, bt_http_req **out,
                           bt_error *err) BT_WUR;
/* after: cursor from the previous page, or NULL. */
bt_status provider_req_list(const bt_provider_conn *p, const char *after, bt_http_req **out,
                            bt_error *err) BT_WUR;
bt_status provider_req_cancel(const bt_provider_conn *p, const char *remote_id, bt_http_req **out,
                              bt_error *err) BT_WUR;
/* which: 0 output file / results_url, 1 error file (OpenAI only). */
bt_status provider_req_results(const bt_provider_conn *p, const bt_remote_batch *b, int which,
                               bt_http_req **out, bt_error *err) BT_WUR;
/* local: one chat completion with the task's request line as the body. */
bt_status provider_req_exec(const bt_provider_conn *p, const char *request, bt_http_req **out,
                            bt_error *err) BT_WUR;

/* ---- parsers (pure) ---- */

bt_status provider_parse_file_id(const char *body, size_t len, char **id_out, bt_error *err) BT_WUR;
bt_status provider_parse_batch(bt_provider_kind kind, const char *body, size_t len,
                               bt_remote_batch *out, bt_error *err) BT_WUR;
/* A list page: items (caller frees each with remote_batch_cleanup and the array with free),
 * the cursor for the next page (caller frees) and whether there is one. */
bt_status provider_parse_list(bt_provider_kind kind, const char *body, size_t len,
                              bt_remote_batch **items, size_t *n, char **next_after, int *has_more,
                              bt_error *err) BT_WUR;
/* One line of an output/error/results file. The common forms go through a one-pass scanner
 * (core/result_scan.h), anything else through jansson, which words every error. */
bt_status provider_parse_result(bt_provider_kind kind, const char *line, size_t len, bt_result *out,
                                bt_error *err) BT_WUR;
/* A local chat completion response (status is the HTTP status; non-2xx gives a failed
 * result with the error envelope's code and message). */
bt_status provider_parse_exec(long status, const char *body, size_t len, bt_result *out,
                              bt_error *err) BT_WUR;

/* RFC 3339 ("2024-09-24T18:37:24.100435Z") -> unix ms; -1 when unparsable. */
int64_t provider_parse_rfc3339(const char *s);

/* Cost in USD at batch prices (local: 0; a model without a known price: 0), from the
 * built-in price table (core/prices.h). The one place the engine applies prices. */
/* Take prices from a LiteLLM-format file instead of the built-in table (the config's `prices`).
 * Call once on the main thread before any cost is computed; a file that cannot be read is
 * logged and the built-in table used. */
void provider_prices_use(const char *litellm_path);

double provider_cost_usd(const char *provider, const char *model, int64_t input_tokens,
                         int64_t output_tokens);
/* 1 when costs of the model can be computed: a price is known (built-in table or the
 * configured file), or the provider is local (free). */
int provider_price_known(const char *provider, const char *model);
/* How to give a price, for messages about a model without one. */
#define PROVIDER_PRICES_HINT                                                                       \
  "Give prices with --prices FILE (or `prices = FILE` in the config), a JSON file in"              \
  " LiteLLM's format: {\"MODEL\": {\"input_cost_per_token\": 1.5e-07,"                             \
  " \"output_cost_per_token\": 6e-07, \"litellm_provider\": \"openai\"}}"
/* The same at standard (non-batch) prices, for the estimate shown beside it. */
double provider_cost_std_usd(const char *provider, const char *model, int64_t input_tokens,
                             int64_t output_tokens);

#endif
