/* sim_internal: the types shared by the emulator's modules (server, state, openai, anthropic,
 * model, stats). Not for use outside sim/.
 *
 * Threads: libmicrohttpd's pool threads run the request handlers; one timer thread advances
 * batch lifecycles. All batch/file state and the execution counters live under server->mu.
 * The config lives under server->cfg_mu; code that needs both takes a snapshot of the config
 * first (sim_server_config_snapshot) and never holds cfg_mu while taking mu.
 * Strings in sim_response are owned by the response. */
#ifndef BT_SIM_INTERNAL_H
#define BT_SIM_INTERNAL_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim.h"

/* ---- small helpers (util.c) ---- */

typedef struct sim_buf {
  char *data;
  size_t len, cap;
} sim_buf;

void sim_buf_append(sim_buf *b, const void *data, size_t len);
void sim_buf_puts(sim_buf *b, const char *s);
void sim_buf_free(sim_buf *b);

void *sim_xmalloc(size_t n);
void *sim_xrealloc(void *p, size_t n);
char *sim_xstrdup(const char *s);
char *sim_xstrndup(const char *s, size_t n);

uint64_t sim_fnv1a64(const void *data, size_t len);
uint64_t sim_splitmix64(uint64_t *state);
/* A unique id: prefix + n characters (hex or base62), never repeated within a process. */
/* Seed for ids (set once at server start). */
void sim_id_seed(uint64_t seed);
void sim_id(char *out, size_t size, const char *prefix, size_t n, bool base62);
/* ASCII case-insensitive substring test; an empty needle never matches. */
bool sim_contains_ci(const char *hay, size_t hay_len, const char *needle);
/* RFC 3339 UTC with microseconds, e.g. 2024-09-24T18:37:24.100000Z. */
void sim_rfc3339(int64_t ms, char *out, size_t size);
/* json_dumps compact, aborting on out-of-memory. */
char *sim_json_text(const json_t *j);
/* One line to stderr, prefixed with the time (logs never go to stdout). */
void sim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Wall clock in ms. */
int64_t sim_realtime_ms(void *ctx);

/* ---- requests and responses ---- */

typedef enum { SIM_OPENAI, SIM_ANTHROPIC, SIM_ADMIN } sim_provider;

#define SIM_MAX_HEADERS 24

typedef struct sim_request {
  struct MHD_Connection *conn;
  const char *method;
  const char *path;
  const char *seg[8]; /* path segments (pointers into segbuf) */
  int nseg;
  char segbuf[512];
  const char *body; /* NUL-terminated copy of the upload */
  size_t body_len;
  bool body_too_large;
  sim_provider provider;
} sim_request;

typedef struct sim_response {
  int status;
  char *body; /* heap */
  size_t body_len;
  const char *content_type;
  int nhdr;
  char hname[SIM_MAX_HEADERS][48];
  char hval[SIM_MAX_HEADERS][160];
  bool hang; /* a direct call that never answers: held until the window passes, then closed */
} sim_response;

void sim_response_header(sim_response *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Take ownership of a JSON value, serialise it as the body. */
void sim_response_json(sim_response *r, int status, json_t *j);
void sim_response_text(sim_response *r, int status, const char *content_type, char *body,
                       size_t len);
/* Provider error envelopes. OpenAI: {"error":{message,type,param,code}};
 * Anthropic: {"type":"error","error":{type,message},"request_id"}. */
void sim_openai_error(sim_response *r, int status, const char *type, const char *param,
                      const char *code, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void sim_anthropic_error(sim_response *r, int status, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
const char *sim_query(const sim_request *q, const char *name);
const char *sim_header(const sim_request *q, const char *name);

/* ---- state: files, batches, tasks ---- */

typedef enum {
  SIM_ST_VALIDATING,
  SIM_ST_FAILED,
  SIM_ST_IN_PROGRESS,
  SIM_ST_FINALIZING,
  SIM_ST_COMPLETED,
  SIM_ST_EXPIRED,
  SIM_ST_CANCELLING,
  SIM_ST_CANCELLED
} sim_status;

typedef enum {
  SIM_TASK_PENDING,
  SIM_TASK_OK,       /* succeeded (OpenAI output line / Anthropic succeeded) */
  SIM_TASK_FAILED,   /* ran and failed (OpenAI error line with response / Anthropic errored) */
  SIM_TASK_EXPIRED,  /* never ran: window passed */
  SIM_TASK_CANCELLED /* never ran: batch cancelled */
} sim_task_state;

typedef struct sim_task {
  char *custom_id;
  json_t *body;    /* OpenAI line body / Anthropic params (owned) */
  char *raw;       /* the text the content rules look at (owned) */
  bool hang;       /* matched hang_if_contains at validation: never finishes */
  int64_t done_ms; /* when it finishes (if it does) */
  sim_task_state state;
  char *result; /* serialised result line (owned), set when the task ends */
  long long in_tokens, out_tokens;
} sim_task;

typedef struct sim_file {
  char id[48];
  char *filename;
  char purpose[32];
  char *data;
  size_t len;
  int64_t created_ms;
  int64_t expires_at; /* unix s, 0 = null */
  bool deleted;
} sim_file;

typedef struct sim_batch {
  sim_provider provider;
  char id[64];
  sim_status status;
  /* OpenAI request */
  char endpoint[48];
  char input_file_id[64];
  json_t *metadata; /* object or NULL */
  char model[128];  /* set at validation */
  json_t *errors;   /* array of BatchError, set when validation fails */
  /* times (ms since the epoch; 0 = not reached) */
  int64_t created_ms, in_progress_ms, finalizing_ms, completed_ms, failed_ms, expired_ms,
      cancelling_ms, cancelled_ms, validate_end_ms, expire_ms, ended_ms;
  /* timing snapshot taken at create */
  int64_t request_ms, finalize_ms, cancel_ms;
  /* tasks, in input order; run one after another in that order (hanging ones skipped) */
  sim_task *tasks;
  size_t ntasks;
  size_t next;                 /* first task not yet run */
  long long completed, failed; /* OpenAI request_counts / Anthropic succeeded, errored */
  long long enqueued_tokens;   /* input tokens, counted against token_limit while running */
  long long usage_in, usage_out;
  long long executions;
  char output_file_id[48];
  char error_file_id[48];
  char *results; /* Anthropic results JSONL, set when ended (owned) */
  size_t results_len;
  bool deleted; /* Anthropic delete */
} sim_batch;

/* ---- stats ---- */

typedef enum {
  SIM_R_UNKNOWN,
  SIM_R_ROOT,
  SIM_R_FILES_UPLOAD,
  SIM_R_FILES_LIST,
  SIM_R_FILES_GET,
  SIM_R_FILES_DELETE,
  SIM_R_FILES_CONTENT,
  SIM_R_BATCHES_CREATE,
  SIM_R_BATCHES_LIST,
  SIM_R_BATCHES_GET,
  SIM_R_BATCHES_CANCEL,
  SIM_R_CHAT,
  SIM_R_RESPONSES,
  SIM_R_EMBEDDINGS,
  SIM_R_COMPLETIONS,
  SIM_R_MESSAGES,
  SIM_R_MB_CREATE,
  SIM_R_MB_LIST,
  SIM_R_MB_GET,
  SIM_R_MB_CANCEL,
  SIM_R_MB_DELETE,
  SIM_R_MB_RESULTS,
  SIM_R_ADMIN_STATS,
  SIM_R_ADMIN_CONFIG_GET,
  SIM_R_ADMIN_CONFIG_SET,
  SIM_R_ADMIN_RESET,
  SIM_R_COUNT
} sim_route;

const char *sim_route_name(sim_route r);

typedef struct sim_stats {
  atomic_ullong calls[SIM_R_COUNT];
  atomic_ullong status_429, status_5xx, dropped, unauthorized;
  atomic_ullong direct_executions;
  /* under server->mu */
  long long batches_openai, batches_anthropic, files_uploaded;
  json_t *executions; /* custom_id -> count (batch lines and direct calls keyed body:<hash>) */
} sim_stats;

void sim_stats_init(sim_stats *st);
void sim_stats_cleanup(sim_stats *st);

/* ---- the server ---- */

struct sim_server {
  struct MHD_Daemon *daemon;
  uint16_t port;
  sim_clock_fn clock;
  void *clock_ctx;
  int slots; /* cfg.slots at start: the daemon's shape cannot change later */

  pthread_mutex_t cfg_mu;
  sim_config cfg;
  uint64_t fault_rng; /* fault dice, under cfg_mu */

  pthread_mutex_t mu; /* everything below */
  sim_file **files;
  size_t nfiles, capfiles;
  sim_batch **batches; /* both providers, creation order */
  size_t nbatches, capbatches;
  uint64_t rng; /* output shuffles */
  sim_stats stats;

  pthread_mutex_t hang_mu; /* connections held by the hang rule */
  struct sim_held *held;

  pthread_t timer;
  pthread_mutex_t timer_mu;
  pthread_cond_t timer_cv;
  bool stopping;
};

int64_t sim_server_now(const sim_server *s);
void sim_server_config_snapshot(sim_server *s, sim_config *out);

/* state.c (callers hold s->mu) */
sim_file *sim_state_file_add(sim_server *s, const char *filename, const char *purpose, char *data,
                             size_t len, int64_t now);
sim_file *sim_state_file_find(sim_server *s, const char *id);
sim_batch *sim_state_batch_new(sim_server *s, sim_provider p, const char *id, int64_t now,
                               const sim_config *cfg);
sim_batch *sim_state_batch_find(sim_server *s, sim_provider p, const char *id);
void sim_state_advance(sim_server *s, sim_batch *b, int64_t now, const sim_config *cfg);
void sim_state_advance_all(sim_server *s, int64_t now, const sim_config *cfg);
bool sim_state_terminal(const sim_batch *b);
/* Count one execution of custom_id; returns whether the fail rule makes it fail. */
bool sim_state_execute(sim_server *s, sim_batch *b, const char *custom_id, const char *raw,
                       size_t raw_len, const sim_config *cfg);
/* A direct (non-batch) call: counts an execution keyed body:<FNV-1a 64 hex> when the fail
 * rule matches and says whether it fails. Takes s->mu itself (call without it). */
bool sim_state_direct_fails(sim_server *s, const char *body, size_t len, const sim_config *cfg);
/* Whether raw matches the hang rule now. */
bool sim_state_hangs(const char *raw, size_t len, const sim_config *cfg);
/* Whether some task of b never finishes (so b can only expire). */
bool sim_state_any_hang(const sim_batch *b);
/* Schedule tasks of b to run from start_ms, one every request_ms (hanging ones skipped). */
void sim_state_schedule(sim_batch *b, int64_t start_ms);
void sim_state_shuffle(sim_server *s, char **lines, size_t n);
void sim_state_free(sim_server *s);

/* openai.c / anthropic.c */
void sim_openai_handle(sim_server *s, sim_route route, sim_request *q, sim_response *r);
void sim_openai_advance(sim_server *s, sim_batch *b, int64_t now, const sim_config *cfg);
void sim_anthropic_handle(sim_server *s, sim_route route, sim_request *q, sim_response *r);
void sim_anthropic_advance(sim_server *s, sim_batch *b, int64_t now, const sim_config *cfg);

/* stats.c: the /admin/stats document (takes s->mu itself). */
json_t *sim_stats_json(sim_server *s);
void sim_stats_reset(sim_server *s);

/* ---- the deterministic model (model.c) ---- */

typedef struct sim_prompt {
  size_t n;
  char **role; /* owned */
  char **text; /* owned */
} sim_prompt;

typedef struct sim_answer {
  char *text; /* owned */
  long long input_tokens, output_tokens;
  bool truncated; /* cut at max_tokens */
} sim_answer;

void sim_prompt_add(sim_prompt *p, const char *role, const char *text, size_t len);
void sim_prompt_free(sim_prompt *p);
/* Text of a content value: a string, or the "text" of every block joined with "\n". */
char *sim_content_text(const json_t *content);
/* Prompts from request bodies; return NULL on success or a message for a 400 (param set). */
const char *sim_prompt_from_chat(const json_t *body, sim_prompt *p, const char **param);
const char *sim_prompt_from_responses(const json_t *body, sim_prompt *p, const char **param);
const char *sim_prompt_from_anthropic(const json_t *params, sim_prompt *p, const char **param);
/* The answer: a pure function of the prompt and max_tokens (<= 0 = no limit). */
void sim_model_answer(const sim_prompt *p, long long max_tokens, sim_answer *a);
void sim_answer_free(sim_answer *a);
long long sim_model_tokens(size_t bytes);

/* Response bodies. Each returns a new JSON object and fills *in and out with usage. */
json_t *sim_model_chat(const json_t *body, int64_t now_ms, long long *in, long long *out);
json_t *sim_model_responses(const json_t *body, int64_t now_ms, long long *in, long long *out);
json_t *sim_model_embeddings(const json_t *body, long long *in, long long *out);
json_t *sim_model_completions(const json_t *body, int64_t now_ms, long long *in, long long *out);
json_t *sim_model_message(const json_t *params, const char *service_tier, long long *in,
                          long long *out);
/* Validate an OpenAI request body for endpoint (create-time line checks and direct calls).
 * Returns NULL when fine, else a message with *param and *code set. */
const char *sim_model_check_openai(const char *endpoint, const json_t *body, const char **param,
                                   const char **code);
/* Estimated input tokens of an OpenAI body (for token_limit). */
long long sim_model_input_tokens(const char *endpoint, const json_t *body);

/* faults_poll.c: poll_fault, poll_status, echo_key, conflict_results rewrite a handler's
 * response (on the handler's thread, cfg a snapshot). */
void sim_faults_poll_apply(const sim_config *cfg, sim_route route, sim_request *q, sim_response *r);

#endif
