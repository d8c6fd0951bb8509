/* faults_poll: the faults that make a client wait on a batch, and the ones that test what it
 * stores (issue 13, "never hang silently" and "keys, everywhere").
 *
 * They rewrite a provider handler's finished response, so the lifecycles stay untouched:
 *   poll_fault        every batch GET (OpenAI GET /v1/batches/{id}, Anthropic GET
 *                     /v1/messages/batches/{id}) answers: `404` the provider's not-found
 *                     envelope, `html` a 200 HTML page, `cut` the real JSON cut in half
 *   poll_status       every batch GET reports this status string instead of the real one
 *   echo_key          error text carries the caller's key, as careless providers do: every 4xx
 *                     body's message, a failed batch's errors.data[].message, and the message
 *                     of every error line in a result file
 *   conflict_results  every succeeded result line comes with a 500 line for the same
 *                     custom_id before it and after it, and an unreadable (cut) line before it
 * Called from server.c on the handler's thread, with a snapshot of the config. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

static int is_batch_get(sim_route route) {
  return route == SIM_R_BATCHES_GET || route == SIM_R_MB_GET;
}

static int is_result_file(sim_route route) {
  return route == SIM_R_FILES_CONTENT || route == SIM_R_MB_RESULTS;
}

/* The key the caller sent, or NULL. */
static const char *caller_key(const sim_request *q) {
  const char *k = sim_header(q, "x-api-key");
  if (k && *k)
    return k;
  const char *a = sim_header(q, "authorization");
  if (a && strncmp(a, "Bearer ", 7) == 0 && a[7])
    return a + 7;
  return NULL;
}

/* obj[field] (a string) gets " (key KEY)" appended. */
static void echo_into(json_t *obj, const char *field, const char *key) {
  json_t *m = json_is_object(obj) ? json_object_get(obj, field) : NULL;
  if (!json_is_string(m))
    return;
  char buf[2048];
  snprintf(buf, sizeof buf, "%s (request made with key %s)", json_string_value(m), key);
  json_object_set_new(obj, field, json_string(buf));
}

static json_t *path(json_t *j, const char *a, const char *b, const char *c) {
  if (a && json_is_object(j))
    j = json_object_get(j, a);
  if (b && json_is_object(j))
    j = json_object_get(j, b);
  if (c && json_is_object(j))
    j = json_object_get(j, c);
  return j;
}

/* The error message(s) of one JSON document (an error body, a batch, a result line). */
static void echo_doc(json_t *j, const char *key) {
  echo_into(json_object_get(j, "error"), "message", key);          /* OpenAI body, error line */
  echo_into(path(j, "error", "error", NULL), "message", key);      /* Anthropic error body */
  echo_into(path(j, "response", "body", "error"), "message", key); /* OpenAI 4xx/5xx line */
  echo_into(path(j, "result", "error", "error"), "message", key);  /* Anthropic errored */
  json_t *data = path(j, "errors", "data", NULL);                  /* OpenAI failed batch */
  size_t i;
  json_t *e;
  if (json_is_array(data))
    json_array_foreach(data, i, e) echo_into(e, "message", key);
}

static int line_succeeded(json_t *j) {
  json_t *code = path(j, "response", "status_code", NULL);
  if (json_is_integer(code))
    return json_integer_value(code) >= 200 && json_integer_value(code) < 300;
  json_t *type = path(j, "result", "type", NULL);
  return json_is_string(type) && strcmp(json_string_value(type), "succeeded") == 0;
}

/* A failed twin of a succeeded line: same custom_id, a 500 (its message echoing key, if any). */
static char *failed_twin(json_t *j, const char *key) {
  json_t *id = json_object_get(j, "custom_id");
  json_t *t;
  if (json_object_get(j, "response"))
    t = json_pack("{s:s, s:O, s:{s:i, s:s, s:{s:{s:s, s:s, s:n, s:s}}}, s:n}", "id",
                  "batch_req_conflict", "custom_id", id, "response", "status_code", 500,
                  "request_id", "req_conflict", "body", "error", "message",
                  "The server had an error processing your request (batchtop-sim: "
                  "conflict_results).",
                  "type", "server_error", "param", "code", "server_error", "error");
  else
    t = json_pack("{s:O, s:{s:s, s:{s:s, s:{s:s, s:s}, s:s}}}", "custom_id", id, "result", "type",
                  "errored", "error", "type", "error", "error", "type", "api_error", "message",
                  "Internal server error (batchtop-sim: conflict_results)", "request_id",
                  "req_conflict");
  if (key)
    echo_doc(t, key);
  char *s = sim_json_text(t);
  json_decref(t);
  return s;
}

/* Rewrite a JSONL body line by line. */
static void rewrite_lines(sim_response *r, const sim_config *cfg, const char *key) {
  sim_buf out = {0};
  const char *p = r->body, *end = r->body + r->body_len;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
    json_t *j = len ? json_loadb(p, len, 0, NULL) : NULL;
    if (!j) {
      sim_buf_append(&out, p, len);
      sim_buf_puts(&out, "\n");
    } else {
      char *twin = NULL;
      if (cfg->conflict_results && line_succeeded(j)) {
        twin = failed_twin(j, key);
        sim_buf_puts(&out, twin);
        sim_buf_puts(&out, "\n");
        sim_buf_append(&out, p, len / 2); /* unreadable: cut JSON */
        sim_buf_puts(&out, "\n");
      }
      if (key)
        echo_doc(j, key);
      char *text = sim_json_text(j);
      sim_buf_puts(&out, text);
      sim_buf_puts(&out, "\n");
      free(text);
      if (twin) {
        sim_buf_puts(&out, twin);
        sim_buf_puts(&out, "\n");
        free(twin);
      }
      json_decref(j);
    }
    p += len + (nl ? 1 : 0);
  }
  size_t n = out.len;
  char *body = sim_xstrndup(out.data ? out.data : "", n);
  sim_buf_free(&out);
  sim_response_text(r, r->status, r->content_type, body, n);
}

/* A JSON body's document rewritten by fn. */
static void rewrite_json(sim_response *r, void (*fn)(json_t *, const char *), const char *arg) {
  json_t *j = json_loadb(r->body, r->body_len, 0, NULL);
  if (!json_is_object(j)) {
    json_decref(j);
    return;
  }
  fn(j, arg);
  int status = r->status;
  sim_response_json(r, status, j);
}

static void set_status(json_t *j, const char *status) {
  json_object_set_new(j, json_object_get(j, "processing_status") ? "processing_status" : "status",
                      json_string(status));
}

void sim_faults_poll_apply(const sim_config *cfg, sim_route route, sim_request *q,
                           sim_response *r) {
  const char *key = cfg->echo_key ? caller_key(q) : NULL;
  if (is_batch_get(route) && r->status == 200) {
    if (cfg->poll_status[0])
      rewrite_json(r, set_status, cfg->poll_status);
    if (!strcmp(cfg->poll_fault, "404")) {
      if (q->provider == SIM_ANTHROPIC)
        sim_anthropic_error(r, 404, "not_found_error",
                            "Batch %s not found (batchtop-sim: "
                            "poll_fault)",
                            q->seg[3]);
      else
        sim_openai_error(r, 404, "invalid_request_error", NULL, NULL,
                         "No batch found with id '%s'. (batchtop-sim: poll_fault)", q->seg[2]);
    } else if (!strcmp(cfg->poll_fault, "html")) {
      static const char page[] = "<html><head><title>502 Bad Gateway</title></head><body>"
                                 "<center><h1>502 Bad Gateway</h1></center></body></html>\n";
      sim_response_text(r, 200, "text/html", sim_xstrdup(page), sizeof page - 1);
    } else if (!strcmp(cfg->poll_fault, "cut")) {
      r->body_len /= 2;
    }
  }
  if (key && r->status >= 400 && r->status < 500)
    rewrite_json(r, echo_doc, key);
  else if (key && is_batch_get(route) && r->status == 200)
    rewrite_json(r, echo_doc, key);
  if (is_result_file(route) && r->status == 200 && (key || cfg->conflict_results))
    rewrite_lines(r, cfg, key);
}
