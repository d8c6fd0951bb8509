/* sim: batchtop-sim, a loopback emulator of the OpenAI Files + Batches API, the Anthropic
 * Message Batches API and the direct chat/messages/responses/embeddings endpoints. Every answer
 * it gives is synthetic (see sim/README.md for the deterministic model and the fault rules).
 *
 * This header is the library's public face, used by sim/main.c and the C tests:
 *   sim_config_defaults() -> sim_config_set()/sim_config_load_file() -> sim_server_start()
 *   -> ... -> sim_server_stop().
 * A sim_config is a plain value (fixed-size fields, no heap), so it can be copied freely.
 * sim_server_start() copies the config; the server owns its threads (libmicrohttpd's thread
 * pool and one lifecycle timer) and sim_server_stop() joins them and frees everything.
 * The sim_config_* functions are not thread-safe on one config; the server guards its own copy.
 * Every symbol of sim/ starts with sim_, so tests can link core/ and sim/ together. */
#ifndef BT_SIM_H
#define BT_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_TEXT_MAX 256
#define SIM_TOKEN_LIMITS_MAX 16
#define SIM_ERROR_CODES_MAX 8

typedef struct sim_token_limit {
  char model[128];
  long long limit; /* enqueued input tokens allowed for this model across running batches */
} sim_token_limit;

typedef struct sim_config {
  /* Auth: empty = any non-empty key is accepted. */
  char openai_key[SIM_TEXT_MAX];
  char anthropic_key[SIM_TEXT_MAX];
  /* Time (real milliseconds, each multiplied by time_scale). */
  double time_scale; /* 1 = as given; 0.5 = twice as fast */
  double request_ms; /* per request inside a batch (requests of one batch run one after another) */
  double
      validate_ms; /* OpenAI: time in `validating`; Anthropic: queueing before the first request */
  double finalize_ms; /* OpenAI: time in `finalizing`; Anthropic: last request -> ended */
  double cancel_ms;   /* cancelling/canceling -> cancelled/ended */
  double window_ms;   /* completion window: unfinished requests expire after it */
  /* Content rules: a request whose raw body contains the text (ASCII case-insensitive). */
  char fail_if_contains[SIM_TEXT_MAX];
  int fail_first;                      /* 0 = always fail; N = fail only the first N executions */
  int fail_status;                     /* OpenAI per-line/direct HTTP status (default 500) */
  char fail_code[64];                  /* OpenAI error type/code (default server_error) */
  char anthropic_fail_type[64];        /* Anthropic errored type (default api_error) */
  char hang_if_contains[SIM_TEXT_MAX]; /* never finishes: the batch expires */
  bool fix;                            /* rules stop applying (retry tests) */
  /* Transport faults on API calls (never on /admin). */
  int burst_429;      /* the next N API calls get 429 */
  int retry_after_ms; /* sent with 429s as retry-after-ms and (rounded up) retry-after */
  int burst_5xx;      /* the next N API calls get a 5xx from error_codes */
  double error_rate;  /* probability that an API call gets a 5xx from error_codes */
  int error_codes[SIM_ERROR_CODES_MAX];
  int n_error_codes;
  int drop_next;    /* the next N API calls have their connection closed, no response */
  double drop_rate; /* probability of a dropped connection */
  int slow_body_ms; /* every API response body trickles out over about this long */

  /* Create and list faults (the create path under the faults real networks make). */
  int create_delay_ms;   /* a batch create is held this long, then performed and answered */
  int create_fault_skip; /* the next N creates are answered normally before the three below */
  int create_drop_next;  /* the next N creates are closed without an answer, not performed */
  int create_lost_next;  /* the next N creates are performed, then closed without an answer */
  int create_html_next;  /* the next N creates are performed, then answered 200 with HTML */
  int create_cut_next;   /* ... answered 200 with their JSON cut in half */
  int list_html_next;    /* the next N batch lists are answered 200 with HTML */
  int list_cut_next;     /* ... 200 with their JSON cut in half */
  int list_5xx_next;     /* ... 500 */
  sim_token_limit token_limits[SIM_TOKEN_LIMITS_MAX];
  int n_token_limits;
  /* Poll, key-echo and result-conflict faults (faults_poll.c). */
  char poll_fault[16];   /* "", "404", "html" or "cut": what every batch GET answers */
  char poll_status[64];  /* every batch GET reports this status instead ("" = the real one) */
  bool echo_key;         /* error texts carry the caller's key */
  bool conflict_results; /* each succeeded result line comes with 500 and unreadable twins */
  /* Server. */
  int threads; /* libmicrohttpd thread pool size */
  /* A small server (llama.cpp-like): 0 = off. Read at start only, except slot_ms. */
  int slots;     /* at most this many connections at a time, each answering one call */
  int slot_ms;   /* how long a direct call holds its slot */
  int backlog;   /* the listen backlog */
  bool verbose;  /* log every request to stderr */
  uint64_t seed; /* fault dice and output shuffling; 0 = from the clock */
} sim_config;

/* Defaults: fast time (a few requests finish within a second), no faults, any key accepted. */
void sim_config_defaults(sim_config *cfg);
/* The --demo preset: 50-200 requests take about 20-60 s, "double-charged" fails once. */
void sim_config_demo(sim_config *cfg);
/* Set one key (names as in the config file, e.g. "request_ms", "token_limit" = "MODEL=N").
 * Returns 0, or -1 with a message in err. */
int sim_config_set(sim_config *cfg, const char *key, const char *value, char *err, size_t errlen);
/* Apply a JSON object text (the body of POST /admin/config). Returns 0 or -1 with err. */
int sim_config_apply_json(sim_config *cfg, const char *json, size_t len, char *err, size_t errlen);
/* Load `key = value` lines (# comments) or, if the file starts with '{', a JSON object.
 * Errors name FILE:LINE:COL. */
int sim_config_load_file(sim_config *cfg, const char *path, char *err, size_t errlen);
/* The i-th setting's name (NULL past the end), whether it takes a value (booleans don't, as
 * flags), its value's name for --help and a one-line help text. Flags and --help are built
 * from this one list. */
const char *sim_config_key(size_t i, bool *takes_value, const char **metavar, const char **help);
/* The config as a JSON object text (heap; keys never echo the configured API keys). */
char *sim_config_to_json(const sim_config *cfg);
/* Effective duration of a configured time in ms (value * time_scale, at least 0). */
int64_t sim_config_ms(const sim_config *cfg, double ms);

/* Clock injection for tests: returns wall-clock milliseconds since the epoch. */
typedef int64_t (*sim_clock_fn)(void *ctx);

typedef struct sim_server sim_server;

/* Start listening on 127.0.0.1:port (0 = a free port). clock may be NULL (real time).
 * Returns NULL with a message in err on failure. */
sim_server *sim_server_start(const sim_config *cfg, uint16_t port, sim_clock_fn clock,
                             void *clock_ctx, char *err, size_t errlen);
uint16_t sim_server_port(const sim_server *s);
/* Advance every batch to the clock's now (the timer thread does this every few ms; tests with
 * an injected clock call it after moving the clock). */
void sim_server_tick(sim_server *s);
void sim_server_stop(sim_server *s);

/* The banner: says that every answer is synthetic. */
const char *sim_banner(void);

#endif
