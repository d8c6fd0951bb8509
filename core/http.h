/* http: the engine's HTTP layer: one request object per transfer on the engine's curl multi
 * handle, plus the retry policy as pure functions (so it is unit-tested without a network).
 *
 * Policy (protocols.md 1.1, 2.1, 5.3): retry connection errors, 408, 409, 429, 5xx and 529 with
 * exponential backoff min(500 ms * 2^n, 8 s) and jitter; honour `retry-after-ms`, then
 * `retry-after` (seconds or an HTTP date); `x-should-retry: true|false` overrides the status
 * rule. Never retry `insufficient_quota`, other 4xx (400, 401, 403, 404, 422) or a
 * Retry-After above the provider's maximum.
 *
 * Threads: the pure functions are thread-safe. A bt_http_req belongs to the thread that drives
 * the multi handle (the engine thread); requests are made, added, completed and freed there.
 * Ownership: http_req_new() returns a request the caller frees with http_req_free() (after
 * removing it from any multi handle). Header lines, bodies and files given to it are copied
 * or opened by it. */
#ifndef BT_HTTP_H
#define BT_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <curl/curl.h>

#include "buf.h"
#include "status.h"

/* ---- pure policy ---- */

/* What the response headers said that matters to the policy. -1 = absent. */
typedef struct bt_http_hdrs {
  int64_t retry_after_ms; /* from retry-after-ms, else retry-after */
  int should_retry;       /* x-should-retry: 1 true, 0 false, -1 absent */
  int64_t rl_remaining_requests;
  int64_t rl_remaining_tokens;
  int64_t rl_reset_requests_ms; /* x-ratelimit-reset-requests as a duration */
  int64_t rl_reset_tokens_ms;
  char request_id[96];
} bt_http_hdrs;

void http_hdrs_init(bt_http_hdrs *h);
/* Feed one raw header line ("Name: value\r\n"); unknown headers are ignored. now_ms is the
 * wall clock, used for HTTP-date Retry-After values. */
void http_hdrs_feed(bt_http_hdrs *h, const char *line, size_t len, int64_t now_ms);

/* "1.5" seconds or an HTTP date -> ms from now; -1 when unparsable. */
int64_t http_parse_retry_after(const char *v, int64_t now_ms);
/* Go-style duration ("20ms", "1s", "6m0s", "1h2m3.5s") -> ms; -1 when unparsable. */
int64_t http_parse_duration(const char *v);

typedef enum {
  HTTP_DONE,  /* 2xx: success */
  HTTP_RETRY, /* transient: try again after delay_ms */
  HTTP_FATAL  /* retrying cannot help (auth, quota, bad request, not found ...) */
} bt_http_verdict;

/* Decide about a finished transfer. curl_failed: the transfer failed below HTTP (connect,
 * reset, timeout): status is then ignored. error_code is the provider's error code from the
 * body, if any (e.g. "insufficient_quota"). attempt is 0 for the first retry. jitter01 in
 * [0,1). max_retry_after_ms: a Retry-After above this gives up (OpenAI 120 s, Anthropic 60 s).
 * The delay honours the headers or the backoff. */
bt_http_verdict http_decide(long status, int curl_failed, const bt_http_hdrs *h,
                            const char *error_code, int attempt, double jitter01,
                            int64_t max_retry_after_ms, int64_t *delay_ms);

/* min(500 ms * 2^attempt, 8 s), reduced by up to 25 % by jitter01. */
int64_t http_backoff_ms(int attempt, double jitter01);

/* Error envelope of either provider, from a response body: OpenAI
 * {"error": {"message", "type", "code"}} or Anthropic {"type":"error","error":{"type",
 * "message"}}. code gets `code`, else `type`; message gets the message. Empty strings when the
 * body is not an error envelope. */
void http_error_parse(const char *body, size_t len, char *code, size_t code_size, char *message,
                      size_t message_size);

/* ---- line splitter (streamed downloads) ---- */

typedef bt_status (*bt_line_fn)(void *ud, const char *line, size_t len);

typedef struct bt_lines {
  bt_buf partial;
  bt_line_fn fn;
  void *ud;
  bt_status failed; /* the first error a callback returned; feeding stops */
  int64_t n_lines;
} bt_lines;

void lines_init(bt_lines *l, bt_line_fn fn, void *ud);
void lines_cleanup(bt_lines *l);
/* Feed bytes; calls fn for every complete line (without the newline; CRLF trimmed; empty
 * lines skipped). */
bt_status lines_feed(bt_lines *l, const char *data, size_t n);
/* End of stream: the last line without a newline is delivered. */
bt_status lines_finish(bt_lines *l);

/* ---- one transfer ---- */

typedef struct bt_http_req bt_http_req;
typedef void (*bt_http_done_fn)(bt_http_req *r, void *ud);

struct bt_http_req {
  CURL *easy;
  struct curl_slist *headers;
  curl_mime *mime;
  FILE *upload;    /* streamed request body */
  char *body_copy; /* in-memory request body */
  bt_buf body;     /* response body (when no line sink), capped */
  bt_lines *lines; /* response body as lines (not owned) */
  bt_http_hdrs hdrs;
  long status;
  CURLcode cc;
  char curl_err[CURL_ERROR_SIZE];
  bt_http_done_fn done;
  void *ud;
  void *ud2;      /* a second pointer for the owner (the engine) */
  char label[96]; /* the owner's note on what the request is for (e.g. the remote id) */
  int64_t started_ms;
};

/* A request for method (GET, POST, DELETE) and url, with CURLOPT_NOSIGNAL and sane timeouts.
 * timeout_ms 0 = no overall limit (downloads; a low-speed limit still applies). */
bt_status http_req_new(const char *method, const char *url, long timeout_ms, bt_http_req **out,
                       bt_error *err) BT_WUR;
void http_req_free(bt_http_req *r);
bt_status http_req_header(bt_http_req *r, const char *line, bt_error *err) BT_WUR;
/* JSON body from memory (copied). */
bt_status http_req_body(bt_http_req *r, const char *json, size_t len, bt_error *err) BT_WUR;
/* Body streamed from a file (never read whole into memory). */
bt_status http_req_body_file(bt_http_req *r, const char *path, bt_error *err) BT_WUR;
/* multipart/form-data: the file part streamed from path (curl_mime_filedata), plus one text
 * field. */
bt_status http_req_mime_file(bt_http_req *r, const char *file_field, const char *path,
                             const char *filename, const char *text_field, const char *text_value,
                             bt_error *err) BT_WUR;
/* A request that must never be sent twice by accident (a create, an upload): on a fresh
 * connection that is closed after it, so libcurl cannot re-send it on its own when a reused
 * connection dies. Whether to send it again is batchtop's decision alone. */
void http_req_once(bt_http_req *r);
/* dflt, or the test hook BATCHTOP_TEST_HTTP_TIMEOUT_MS when set (> 0). */
long http_test_timeout_ms(long dflt);
/* Deliver the response body line by line to l instead of buffering it. */
void http_req_lines(bt_http_req *r, bt_lines *l);
/* Transfer failed below HTTP (no status). */
int http_req_net_failed(const bt_http_req *r);
/* "HTTP 429 rate_limit_exceeded: message" or the curl error, into buf (secrets scrubbed). */
const char *http_req_describe(const bt_http_req *r, char *buf, size_t size);

#endif
