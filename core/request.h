/* request: one provider-ready request line from rendered texts, per protocols.md:
 *   openai     {"custom_id","method":"POST","url","body"} for /v1/chat/completions (system
 *              message first), /v1/responses (system as "instructions") or /v1/embeddings;
 *   anthropic  {"custom_id","params":{...}} with "system" a top-level param (/v1/messages);
 *   local      the /v1/chat/completions body alone (sent directly, no batch file).
 * Lines are compact JSON without a newline, written by hand into a reused bt_buf (no json_t per
 * row: rendering a million rows must take seconds). Strings are escaped as JSON requires and
 * nothing more: U+2028/U+2029 and all other valid UTF-8 pass through unchanged.
 *
 * Also here: provider and endpoint names, provider limits, custom_id rules. Pure functions;
 * any thread. */
#ifndef BT_REQUEST_H
#define BT_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "status.h"

typedef enum { BT_PROVIDER_OPENAI, BT_PROVIDER_ANTHROPIC, BT_PROVIDER_LOCAL } bt_provider;

typedef enum {
  BT_EP_CHAT,       /* /v1/chat/completions */
  BT_EP_RESPONSES,  /* /v1/responses */
  BT_EP_EMBEDDINGS, /* /v1/embeddings */
  BT_EP_MESSAGES    /* /v1/messages (anthropic) */
} bt_endpoint;

/* Provider limits (0 = none). Bytes are measured on the rendered lines, newline included. */
typedef struct bt_provider_limits {
  int64_t max_requests;      /* per batch */
  int64_t max_file_bytes;    /* per batch input (file or create body) */
  int64_t max_request_bytes; /* one request */
} bt_provider_limits;

bt_status request_provider_parse(const char *name, bt_provider *out, bt_error *err) BT_WUR;
const char *request_provider_name(bt_provider p);
/* The endpoint for a provider: path NULL gives the default (chat completions, or /v1/messages
 * for anthropic); a path the provider cannot batch is a BT_ERR_USAGE. */
bt_status request_endpoint_parse(bt_provider p, const char *path, bt_endpoint *out,
                                 bt_error *err) BT_WUR;
const char *request_endpoint_path(bt_endpoint e);
void request_limits(bt_provider p, bt_provider_limits *out);

/* 1 when id is acceptable as a custom_id for p (anthropic: ^[a-zA-Z0-9_-]{1,64}$; others: 1 to
 * 512 bytes). On refusal why says what is wrong. */
int request_custom_id_ok(bt_provider p, const char *id, size_t len, const char **why);

/* Everything that is the same for every line of one render. */
typedef struct bt_request_spec {
  bt_provider provider;
  bt_endpoint endpoint;
  const char *model;
  int64_t max_tokens; /* 0: none sent */
  const char *params; /* extra body members as ",\"k\":v..." (or "" / NULL) */
} bt_request_spec;

/* The body key max_tokens is sent under: "max_tokens", "max_completion_tokens" (OpenAI chat
 * with reasoning models, which refuse max_tokens), "max_output_tokens" (responses), or NULL
 * (embeddings). */
const char *request_max_tokens_key(const bt_request_spec *spec);

/* Append one request line to out. system may be NULL (none). custom_id is ignored for local. */
bt_status request_build(const bt_request_spec *spec, const char *custom_id, size_t id_len,
                        const char *system, size_t system_len, const char *user, size_t user_len,
                        bt_buf *out) BT_WUR;

/* Append s[0..n) as a JSON string (with quotes). s must be valid UTF-8 without NUL. */
bt_status request_put_json_string(bt_buf *out, const char *s, size_t n) BT_WUR;

#endif
