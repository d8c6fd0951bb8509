/* openai: the OpenAI Files + Batches API and the direct endpoints (chat completions, responses,
 * embeddings, completions), with the batch lifecycle of protocols.md section 1:
 *
 *   validating --(bad lines, missing file, token limit)--> failed
 *       `--> in_progress (requests finish one every request_ms, counts rise)
 *             --> finalizing --> completed        (window passes first: expired, partial)
 *   cancel: validating/in_progress/finalizing --> cancelling --> cancelled (partial results)
 *
 * Handlers run on MHD pool threads and take s->mu around state; the advance function is called
 * with s->mu held (by the handlers and the timer thread). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

#define OA_MAX_TASKS 50000
#define OA_MAX_UPLOAD (200u * 1024 * 1024)
#define OA_FILE_TTL_S (30 * 86400)
#define OA_ORG "org-batchtop-sim"

static const char *const endpoints[] = {
    "/v1/responses",   "/v1/chat/completions",   "/v1/embeddings",   "/v1/completions",
    "/v1/moderations", "/v1/images/generations", "/v1/images/edits", "/v1/videos",
};

static const char *status_name(sim_status st) {
  static const char *const names[] = {"validating", "failed",  "in_progress", "finalizing",
                                      "completed",  "expired", "cancelling",  "cancelled"};
  return names[st];
}

static json_t *ts(int64_t ms) {
  return ms ? json_integer(ms / 1000) : json_null();
}

static json_t *file_json(const sim_file *f) {
  return json_pack("{s:s, s:s, s:I, s:I, s:o, s:s, s:s, s:s, s:n}", "id", f->id, "object", "file",
                   "bytes", (json_int_t)f->len, "created_at", (json_int_t)(f->created_ms / 1000),
                   "expires_at", f->expires_at ? json_integer(f->expires_at) : json_null(),
                   "filename", f->filename, "purpose", f->purpose, "status", "processed",
                   "status_details");
}

static json_t *batch_json(const sim_batch *b) {
  json_t *j = json_object();
  json_object_set_new(j, "id", json_string(b->id));
  json_object_set_new(j, "object", json_string("batch"));
  json_object_set_new(j, "endpoint", json_string(b->endpoint));
  json_object_set_new(j, "model", b->model[0] ? json_string(b->model) : json_null());
  json_object_set_new(j, "errors",
                      b->errors ? json_pack("{s:s, s:O}", "object", "list", "data", b->errors)
                                : json_null());
  json_object_set_new(j, "input_file_id", json_string(b->input_file_id));
  json_object_set_new(j, "completion_window", json_string("24h"));
  json_object_set_new(j, "status", json_string(status_name(b->status)));
  json_object_set_new(j, "output_file_id",
                      b->output_file_id[0] ? json_string(b->output_file_id) : json_null());
  json_object_set_new(j, "error_file_id",
                      b->error_file_id[0] ? json_string(b->error_file_id) : json_null());
  json_object_set_new(j, "created_at", ts(b->created_ms));
  json_object_set_new(j, "in_progress_at", ts(b->in_progress_ms));
  /* The real window is 24 h; the sim's is window_ms, so expires_at tells the truth about it. */
  json_object_set_new(j, "expires_at", json_integer((b->expire_ms + 999) / 1000));
  json_object_set_new(j, "finalizing_at", ts(b->finalizing_ms));
  json_object_set_new(j, "completed_at", ts(b->completed_ms));
  json_object_set_new(j, "failed_at", ts(b->failed_ms));
  json_object_set_new(j, "expired_at", ts(b->expired_ms));
  json_object_set_new(j, "cancelling_at", ts(b->cancelling_ms));
  json_object_set_new(j, "cancelled_at", ts(b->cancelled_ms));
  json_object_set_new(j, "request_counts",
                      json_pack("{s:I, s:I, s:I}", "total", (json_int_t)b->ntasks, "completed",
                                (json_int_t)b->completed, "failed", (json_int_t)b->failed));
  json_object_set_new(j, "usage",
                      json_pack("{s:I, s:{s:i}, s:I, s:{s:i}, s:I}", "input_tokens",
                                (json_int_t)b->usage_in, "input_tokens_details", "cached_tokens", 0,
                                "output_tokens", (json_int_t)b->usage_out, "output_tokens_details",
                                "reasoning_tokens", 0, "total_tokens",
                                (json_int_t)(b->usage_in + b->usage_out)));
  json_object_set_new(j, "metadata", b->metadata ? json_incref(b->metadata) : json_null());
  return j;
}

/* ---- lifecycle ---- */

static void add_error(json_t *errors, const char *code, long line, const char *param,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void add_error(json_t *errors, const char *code, long line, const char *param,
                      const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  json_array_append_new(errors, json_pack("{s:s, s:s, s:o, s:o}", "code", code, "message", msg,
                                          "param", param ? json_string(param) : json_null(), "line",
                                          line ? json_integer(line) : json_null()));
}

static void fail_batch(sim_batch *b, json_t *errors, int64_t when) {
  b->errors = errors;
  b->status = SIM_ST_FAILED;
  b->failed_ms = when;
  for (size_t i = 0; i < b->ntasks; i++) {
    free(b->tasks[i].custom_id);
    free(b->tasks[i].raw);
    json_decref(b->tasks[i].body);
  }
  free(b->tasks);
  b->tasks = NULL;
  b->ntasks = 0;
}

static long long enqueued_tokens(sim_server *s, const sim_batch *self, const char *model) {
  long long n = 0;
  for (size_t i = 0; i < s->nbatches; i++) {
    const sim_batch *o = s->batches[i];
    if (o == self || o->provider != SIM_OPENAI || strcmp(o->model, model) != 0)
      continue;
    if (o->status == SIM_ST_IN_PROGRESS || o->status == SIM_ST_FINALIZING ||
        o->status == SIM_ST_CANCELLING)
      n += o->enqueued_tokens;
  }
  return n;
}

/* Parse and check every line of the input file (protocols.md 1.7); one error per bad line. */
static void validate(sim_server *s, sim_batch *b, const sim_config *cfg) {
  int64_t when = b->validate_end_ms;
  json_t *errors = json_array();
  sim_file *f = sim_state_file_find(s, b->input_file_id);
  if (!f) {
    add_error(errors, "invalid_request", 0, "file_id",
              "Cannot find file %s, or organization %s does not have access to it.",
              b->input_file_id, OA_ORG);
    fail_batch(b, errors, when);
    return;
  }
  json_t *seen = json_object();
  size_t cap = 0;
  const char *p = f->data, *end = f->data + f->len;
  long lineno = 0;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    lineno++;
    const char *q = p;
    while (q < le && (*q == ' ' || *q == '\t' || *q == '\r'))
      q++;
    const char *line = p;
    size_t len = (size_t)(le - p);
    p = nl ? nl + 1 : end;
    if (q == le)
      continue; /* blank line */
    if (b->ntasks >= OA_MAX_TASKS) {
      json_array_clear(errors);
      add_error(errors, "too_many_tasks", 0, NULL,
                "The batch input file has more than %d requests.", OA_MAX_TASKS);
      break;
    }
    json_t *o = json_loadb(line, len, 0, NULL);
    if (!json_is_object(o)) {
      json_decref(o);
      add_error(errors, "invalid_json_line", lineno, NULL,
                "This line is not parseable as valid JSON.");
      continue;
    }
    const char *missing = NULL;
    static const char *const req[] = {"custom_id", "method", "url", "body"};
    for (size_t k = 0; k < 4 && !missing; k++)
      if (!json_object_get(o, req[k]))
        missing = req[k];
    json_t *cid = json_object_get(o, "custom_id"), *body = json_object_get(o, "body");
    const char *url = json_string_value(json_object_get(o, "url"));
    const char *method = json_string_value(json_object_get(o, "method"));
    const char *param = NULL, *code = NULL, *msg = NULL;
    if (missing)
      add_error(errors, "missing_required_parameter", lineno, missing,
                "Missing required parameter: '%s'.", missing);
    else if (!json_is_string(cid) || !json_string_length(cid))
      add_error(errors, "invalid_request", lineno, "custom_id",
                "custom_id must be a non-empty string.");
    else if (!method || strcmp(method, "POST") != 0)
      add_error(errors, "invalid_request", lineno, "method", "Only the POST method is supported.");
    else if (!url || strcmp(url, b->endpoint) != 0)
      add_error(errors, "invalid_url", lineno, "url",
                "The URL provided for this request does not match the batch endpoint.");
    else if ((msg = sim_model_check_openai(b->endpoint, body, &param, &code)))
      add_error(errors, code, lineno, param, "%s", msg);
    else if (json_object_get(seen, json_string_value(cid)))
      add_error(errors, "duplicate_custom_id", lineno, "custom_id",
                "The custom_id '%s' appears more than once in this file.", json_string_value(cid));
    else {
      const char *model = json_string_value(json_object_get(body, "model"));
      if (!b->model[0])
        snprintf(b->model, sizeof b->model, "%s", model);
      if (strcmp(model, b->model) != 0)
        add_error(errors, "mismatched_model", lineno, "body.model",
                  "All requests in a batch must use the same model: this line uses '%s', the "
                  "batch uses '%s'.",
                  model, b->model);
      else {
        json_object_set_new(seen, json_string_value(cid), json_true());
        if (b->ntasks == cap) {
          cap = cap ? cap * 2 : 64;
          b->tasks = sim_xrealloc(b->tasks, cap * sizeof *b->tasks);
        }
        sim_task *t = &b->tasks[b->ntasks++];
        memset(t, 0, sizeof *t);
        t->custom_id = sim_xstrdup(json_string_value(cid));
        t->body = json_incref(body);
        t->raw = sim_xstrndup(line, len);
        t->hang = sim_state_hangs(line, len, cfg);
        t->in_tokens = sim_model_input_tokens(b->endpoint, body);
        b->enqueued_tokens += t->in_tokens;
      }
    }
    json_decref(o);
  }
  json_decref(seen);
  if (json_array_size(errors) == 0 && b->ntasks == 0)
    add_error(errors, "empty_file", 0, NULL, "The batch input file is empty.");
  if (json_array_size(errors) == 0) {
    for (int i = 0; i < cfg->n_token_limits; i++) {
      const sim_token_limit *tl = &cfg->token_limits[i];
      if (strcmp(tl->model, b->model) != 0)
        continue;
      if (enqueued_tokens(s, b, b->model) + b->enqueued_tokens > tl->limit)
        add_error(errors, "token_limit_exceeded", 0, NULL,
                  "Enqueued token limit reached for %s in organization %s. Limit: %lld enqueued "
                  "tokens. Please try again once some in_progress batches have been completed.",
                  b->model, OA_ORG, tl->limit);
    }
  }
  if (json_array_size(errors)) {
    fail_batch(b, errors, when);
    return;
  }
  json_decref(errors);
  b->status = SIM_ST_IN_PROGRESS;
  b->in_progress_ms = when;
  sim_state_schedule(b, when);
}

static char *result_line(const char *custom_id, int status, json_t *body, const char *code,
                         const char *message) {
  char id[48], rid[48];
  sim_id(id, sizeof id, "batch_req_", 32, false);
  sim_id(rid, sizeof rid, "req_", 32, false);
  json_t *line;
  if (body)
    line = json_pack("{s:s, s:s, s:{s:i, s:s, s:o}, s:n}", "id", id, "custom_id", custom_id,
                     "response", "status_code", status, "request_id", rid, "body", body, "error");
  else
    line = json_pack("{s:s, s:s, s:n, s:{s:s, s:s}}", "id", id, "custom_id", custom_id, "response",
                     "error", "code", code, "message", message);
  char *text = sim_json_text(line);
  json_decref(line);
  return text;
}

static json_t *error_body(const char *message, const char *type, const char *code) {
  return json_pack("{s:{s:s, s:s, s:n, s:s}}", "error", "message", message, "type", type, "param",
                   "code", code);
}

/* The response body for a request on endpoint, or NULL (with *status) when unsupported. */
static json_t *execute_body(const char *endpoint, const json_t *body, int64_t now, long long *in,
                            long long *out) {
  *in = *out = 0;
  if (strcmp(endpoint, "/v1/chat/completions") == 0)
    return sim_model_chat(body, now, in, out);
  if (strcmp(endpoint, "/v1/responses") == 0)
    return sim_model_responses(body, now, in, out);
  if (strcmp(endpoint, "/v1/embeddings") == 0)
    return sim_model_embeddings(body, in, out);
  if (strcmp(endpoint, "/v1/completions") == 0)
    return sim_model_completions(body, now, in, out);
  return NULL;
}

static void run_task(sim_server *s, sim_batch *b, sim_task *t, const sim_config *cfg) {
  bool fail = sim_state_execute(s, b, t->custom_id, t->raw, strlen(t->raw), cfg);
  long long in, out;
  json_t *body = fail ? NULL : execute_body(b->endpoint, t->body, t->done_ms, &in, &out);
  if (fail) {
    t->state = SIM_TASK_FAILED;
    t->result = result_line(t->custom_id, cfg->fail_status,
                            error_body("The server had an error while processing your request "
                                       "(batchtop-sim: the request matched fail_if_contains).",
                                       cfg->fail_code, cfg->fail_code),
                            NULL, NULL);
    b->failed++;
  } else if (!body) {
    t->state = SIM_TASK_FAILED;
    t->result = result_line(t->custom_id, 400,
                            error_body("batchtop-sim does not emulate this endpoint.",
                                       "invalid_request_error", "unsupported_endpoint"),
                            NULL, NULL);
    b->failed++;
  } else {
    t->state = SIM_TASK_OK;
    t->out_tokens = out;
    b->usage_in += in;
    b->usage_out += out;
    t->result = result_line(t->custom_id, 200, body, NULL, NULL);
    b->completed++;
  }
}

static void write_file(sim_server *s, sim_batch *b, char **lines, size_t n, const char *kind,
                       char *id_out, int64_t now) {
  if (n == 0)
    return; /* no file when it would be empty */
  sim_state_shuffle(s, lines, n);
  sim_buf buf = {0};
  for (size_t i = 0; i < n; i++) {
    sim_buf_puts(&buf, lines[i]);
    sim_buf_puts(&buf, "\n");
  }
  char name[128];
  snprintf(name, sizeof name, "%s_%s.jsonl", b->id, kind);
  sim_file *f = sim_state_file_add(s, name, "batch_output", buf.data, buf.len, now);
  f->expires_at = now / 1000 + OA_FILE_TTL_S;
  snprintf(id_out, 48, "%s", f->id);
}

/* The batch ends: unrun tasks become `code` lines; output and error files are written. */
static void finish(sim_server *s, sim_batch *b, sim_status st, int64_t when) {
  char **ok = sim_xmalloc((b->ntasks + 1) * sizeof *ok);
  char **bad = sim_xmalloc((b->ntasks + 1) * sizeof *bad);
  size_t nok = 0, nbad = 0;
  for (size_t i = 0; i < b->ntasks; i++) {
    sim_task *t = &b->tasks[i];
    if (t->state == SIM_TASK_PENDING) {
      bool expired = st == SIM_ST_EXPIRED;
      t->state = expired ? SIM_TASK_EXPIRED : SIM_TASK_CANCELLED;
      t->result = result_line(
          t->custom_id, 0, NULL, expired ? "batch_expired" : "batch_cancelled",
          expired ? "This request could not be executed before the completion window expired."
                  : "This request was not executed because the batch was cancelled.");
    }
    if (t->state == SIM_TASK_OK)
      ok[nok++] = t->result;
    else
      bad[nbad++] = t->result;
  }
  write_file(s, b, ok, nok, "output", b->output_file_id, when);
  write_file(s, b, bad, nbad, "error", b->error_file_id, when);
  free(ok);
  free(bad);
  b->status = st;
  if (st == SIM_ST_COMPLETED)
    b->completed_ms = when;
  else if (st == SIM_ST_EXPIRED)
    b->expired_ms = when;
  else
    b->cancelled_ms = when;
  sim_log("openai batch %s %s: %lld completed, %lld failed of %zu", b->id, status_name(st),
          b->completed, b->failed, b->ntasks);
}

void sim_openai_advance(sim_server *s, sim_batch *b, int64_t now, const sim_config *cfg) {
  if (b->status == SIM_ST_VALIDATING) {
    if (now < b->validate_end_ms)
      return;
    validate(s, b, cfg);
    if (b->status == SIM_ST_FAILED) {
      sim_log("openai batch %s failed validation", b->id);
      return;
    }
  }
  if (b->status == SIM_ST_IN_PROGRESS) {
    for (; b->next < b->ntasks; b->next++) {
      sim_task *t = &b->tasks[b->next];
      if (t->hang)
        continue;
      if (t->done_ms > now || t->done_ms > b->expire_ms)
        break;
      run_task(s, b, t, cfg);
    }
    if (b->next == b->ntasks && !sim_state_any_hang(b)) {
      int64_t last = b->in_progress_ms;
      for (size_t i = 0; i < b->ntasks; i++)
        if (b->tasks[i].done_ms > last)
          last = b->tasks[i].done_ms;
      b->status = SIM_ST_FINALIZING;
      b->finalizing_ms = last;
    } else if (now >= b->expire_ms) {
      finish(s, b, SIM_ST_EXPIRED, b->expire_ms);
      return;
    }
  }
  if (b->status == SIM_ST_FINALIZING && now >= b->finalizing_ms + b->finalize_ms)
    finish(s, b, SIM_ST_COMPLETED, b->finalizing_ms + b->finalize_ms);
  if (b->status == SIM_ST_CANCELLING && now >= b->cancelling_ms + b->cancel_ms)
    finish(s, b, SIM_ST_CANCELLED, b->cancelling_ms + b->cancel_ms);
}

/* ---- handlers ---- */

static void not_found(sim_response *r, const char *what, const char *id) {
  sim_openai_error(r, 404, "invalid_request_error", "id", NULL, "No such %s object: %s", what, id);
}

static json_t *parse_body(const sim_request *q, sim_response *r) {
  json_error_t je;
  json_t *j = q->body_len ? json_loadb(q->body, q->body_len, 0, &je) : NULL;
  if (!json_is_object(j)) {
    json_decref(j);
    sim_openai_error(r, 400, "invalid_request_error", NULL, NULL,
                     "We could not parse the JSON body of your request. (HINT: This likely means "
                     "you aren't using your HTTP library correctly. The OpenAI API expects a JSON "
                     "payload, but what was sent was not valid JSON.)");
    return NULL;
  }
  return j;
}

typedef struct upload {
  sim_buf file;
  bool has_file;
  char filename[256];
  char purpose[64];
  char anchor[32];
  char seconds[32];
} upload;

static enum MHD_Result upload_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *filename, const char *content_type,
                                    const char *transfer_encoding, const char *data, uint64_t off,
                                    size_t size) {
  upload *u = cls;
  char *dst = NULL;
  size_t cap = 0;
  if (strcmp(key, "file") == 0) {
    u->has_file = true;
    if (filename && !u->filename[0])
      snprintf(u->filename, sizeof u->filename, "%s", filename);
    if (size)
      sim_buf_append(&u->file, data, size);
    return MHD_YES;
  }
  if (strcmp(key, "purpose") == 0)
    dst = u->purpose, cap = sizeof u->purpose;
  else if (strcmp(key, "expires_after[anchor]") == 0)
    dst = u->anchor, cap = sizeof u->anchor;
  else if (strcmp(key, "expires_after[seconds]") == 0)
    dst = u->seconds, cap = sizeof u->seconds;
  if (dst && off < cap - 1) {
    size_t n = size < cap - 1 - off ? size : cap - 1 - off;
    memcpy(dst + off, data, n);
    dst[off + n] = '\0';
  }
  return MHD_YES;
}

static void files_upload(sim_server *s, sim_request *q, sim_response *r) {
  if (q->body_too_large) {
    sim_openai_error(r, 400, "invalid_request_error", NULL, NULL, "File is too large.");
    return;
  }
  const char *ct = sim_header(q, "content-type");
  if (!ct || strncmp(ct, "multipart/form-data", 19) != 0) {
    sim_openai_error(r, 400, "invalid_request_error", NULL, NULL,
                     "Invalid Content-Type header (%s), expected multipart/form-data.",
                     ct ? ct : "none");
    return;
  }
  upload u = {0};
  struct MHD_PostProcessor *pp = MHD_create_post_processor(q->conn, 64 * 1024, upload_field, &u);
  if (!pp || MHD_post_process(pp, q->body, q->body_len) != MHD_YES) {
    if (pp)
      MHD_destroy_post_processor(pp);
    sim_buf_free(&u.file);
    sim_openai_error(r, 400, "invalid_request_error", NULL, NULL,
                     "Could not parse the multipart form.");
    return;
  }
  MHD_destroy_post_processor(pp);
  static const char *const purposes[] = {"assistants", "batch",     "fine-tune",
                                         "vision",     "user_data", "evals"};
  bool known = false;
  for (size_t i = 0; i < sizeof purposes / sizeof purposes[0]; i++)
    known |= strcmp(u.purpose, purposes[i]) == 0;
  long long secs = u.seconds[0] ? atoll(u.seconds) : 0;
  if (!u.purpose[0])
    sim_openai_error(r, 400, "invalid_request_error", "purpose", "missing_required_parameter",
                     "Missing required parameter: 'purpose'.");
  else if (!known)
    sim_openai_error(r, 400, "invalid_request_error", "purpose", "invalid_value",
                     "Invalid value: '%s'. Supported values are: 'assistants', 'batch', "
                     "'fine-tune', 'vision', 'user_data' and 'evals'.",
                     u.purpose);
  else if (!u.has_file)
    sim_openai_error(r, 400, "invalid_request_error", "file", "missing_required_parameter",
                     "Missing required parameter: 'file'.");
  else if (u.file.len > OA_MAX_UPLOAD)
    sim_openai_error(r, 400, "invalid_request_error", NULL, NULL, "File is too large.");
  else if (u.seconds[0] && (secs < 3600 || secs > 2592000))
    sim_openai_error(r, 400, "invalid_request_error", "expires_after.seconds", "invalid_value",
                     "expires_after.seconds must be between 3600 and 2592000.");
  else {
    int64_t now = sim_server_now(s);
    pthread_mutex_lock(&s->mu);
    char *data = u.file.data ? u.file.data : sim_xstrdup("");
    sim_file *f = sim_state_file_add(s, u.filename[0] ? u.filename : "upload.jsonl", u.purpose,
                                     data, u.file.len, now);
    u.file.data = NULL;
    if (secs)
      f->expires_at = now / 1000 + secs;
    else if (strcmp(u.purpose, "batch") == 0)
      f->expires_at = now / 1000 + OA_FILE_TTL_S;
    s->stats.files_uploaded++;
    json_t *j = file_json(f);
    pthread_mutex_unlock(&s->mu);
    sim_response_json(r, 200, j);
  }
  sim_buf_free(&u.file);
}

static bool parse_limit(const sim_request *q, sim_response *r, long def, long max, long *out) {
  const char *v = sim_query(q, "limit");
  *out = def;
  if (!v)
    return true;
  char *end;
  long n = strtol(v, &end, 10);
  if (end == v || *end || n < 1 || n > max) {
    sim_openai_error(r, 400, "invalid_request_error", "limit", "integer_out_of_range",
                     "Invalid 'limit': integer must be between 1 and %ld; got '%s'.", max, v);
    return false;
  }
  *out = n;
  return true;
}

static void files_list(sim_server *s, sim_request *q, sim_response *r) {
  long limit;
  if (!parse_limit(q, r, 10000, 10000, &limit))
    return;
  const char *purpose = sim_query(q, "purpose");
  const char *after = sim_query(q, "after");
  const char *order = sim_query(q, "order");
  bool asc = order && strcmp(order, "asc") == 0;
  json_t *data = json_array();
  bool more = false, started = !after;
  pthread_mutex_lock(&s->mu);
  for (size_t k = 0; k < s->nfiles; k++) {
    sim_file *f = s->files[asc ? k : s->nfiles - 1 - k];
    if (f->deleted || (purpose && strcmp(purpose, f->purpose) != 0))
      continue;
    if (!started) {
      started = strcmp(f->id, after) == 0;
      continue;
    }
    if ((long)json_array_size(data) == limit) {
      more = true;
      break;
    }
    json_array_append_new(data, file_json(f));
  }
  pthread_mutex_unlock(&s->mu);
  size_t n = json_array_size(data);
  json_t *first = n ? json_incref(json_object_get(json_array_get(data, 0), "id")) : json_null();
  json_t *last = n ? json_incref(json_object_get(json_array_get(data, n - 1), "id")) : json_null();
  sim_response_json(r, 200,
                    json_pack("{s:s, s:o, s:o, s:o, s:b}", "object", "list", "data", data,
                              "first_id", first, "last_id", last, "has_more", more));
}

static void files_one(sim_server *s, sim_route route, sim_request *q, sim_response *r) {
  const char *id = q->seg[2];
  pthread_mutex_lock(&s->mu);
  sim_file *f = sim_state_file_find(s, id);
  if (!f) {
    pthread_mutex_unlock(&s->mu);
    not_found(r, "File", id);
    return;
  }
  if (route == SIM_R_FILES_GET) {
    json_t *j = file_json(f);
    pthread_mutex_unlock(&s->mu);
    sim_response_json(r, 200, j);
  } else if (route == SIM_R_FILES_DELETE) {
    f->deleted = true;
    pthread_mutex_unlock(&s->mu);
    sim_response_json(r, 200,
                      json_pack("{s:s, s:s, s:b}", "id", id, "object", "file", "deleted", 1));
  } else {
    char *copy = sim_xmalloc(f->len + 1);
    memcpy(copy, f->data, f->len);
    size_t len = f->len;
    pthread_mutex_unlock(&s->mu);
    sim_response_text(r, 200, "application/octet-stream", copy, len);
  }
}

static bool endpoint_known(const char *e) {
  for (size_t i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++)
    if (strcmp(e, endpoints[i]) == 0)
      return true;
  return false;
}

static void batches_create(sim_server *s, sim_request *q, sim_response *r) {
  json_t *j = parse_body(q, r);
  if (!j)
    return;
  json_t *file = json_object_get(j, "input_file_id"), *ep = json_object_get(j, "endpoint"),
         *win = json_object_get(j, "completion_window"), *md = json_object_get(j, "metadata");
  const char *miss = !file ? "input_file_id" : !ep ? "endpoint" : !win ? "completion_window" : NULL;
  if (miss) {
    sim_openai_error(r, 400, "invalid_request_error", miss, "missing_required_parameter",
                     "Missing required parameter: '%s'.", miss);
    goto out;
  }
  if (!json_is_string(file) || json_string_length(file) >= 64) {
    sim_openai_error(r, 400, "invalid_request_error", "input_file_id", "invalid_type",
                     "Invalid type for 'input_file_id': expected a string.");
    goto out;
  }
  if (!json_is_string(ep) || !endpoint_known(json_string_value(ep))) {
    sim_openai_error(r, 400, "invalid_request_error", "endpoint", "invalid_value",
                     "Invalid value: '%s'. Supported values are: '/v1/responses', "
                     "'/v1/chat/completions', '/v1/embeddings', '/v1/completions', "
                     "'/v1/moderations', '/v1/images/generations', '/v1/images/edits' and "
                     "'/v1/videos'.",
                     json_is_string(ep) ? json_string_value(ep) : "?");
    goto out;
  }
  if (!json_is_string(win) || strcmp(json_string_value(win), "24h") != 0) {
    sim_openai_error(r, 400, "invalid_request_error", "completion_window", "invalid_value",
                     "Invalid value: '%s'. Supported values are: '24h'.",
                     json_is_string(win) ? json_string_value(win) : "?");
    goto out;
  }
  if (md && !json_is_null(md)) {
    if (!json_is_object(md)) {
      sim_openai_error(r, 400, "invalid_request_error", "metadata", "invalid_type",
                       "Invalid type for 'metadata': expected an object.");
      goto out;
    }
    if (json_object_size(md) > 16) {
      sim_openai_error(r, 400, "invalid_request_error", "metadata", "object_above_max_properties",
                       "Invalid 'metadata': too many properties. Expected an object with at "
                       "most 16 properties, but got an object with %zu properties instead.",
                       json_object_size(md));
      goto out;
    }
    const char *k;
    json_t *v;
    json_object_foreach(md, k, v) {
      if (!json_is_string(v) || strlen(k) > 64 || json_string_length(v) > 512) {
        char param[128];
        snprintf(param, sizeof param, "metadata.%s", k);
        sim_openai_error(r, 400, "invalid_request_error", param,
                         json_is_string(v) ? "string_above_max_length" : "invalid_type",
                         "Invalid type for 'metadata.%s': expected a string of at most 512 "
                         "characters.",
                         k);
        goto out;
      }
    }
  }
  sim_config cfg;
  sim_server_config_snapshot(s, &cfg);
  int64_t now = sim_server_now(s);
  char id[48];
  sim_id(id, sizeof id, "batch_", 32, false);
  pthread_mutex_lock(&s->mu);
  sim_batch *b = sim_state_batch_new(s, SIM_OPENAI, id, now, &cfg);
  snprintf(b->endpoint, sizeof b->endpoint, "%s", json_string_value(ep));
  snprintf(b->input_file_id, sizeof b->input_file_id, "%s", json_string_value(file));
  if (json_is_object(md))
    b->metadata = json_incref(md);
  json_t *out = batch_json(b);
  pthread_mutex_unlock(&s->mu);
  sim_log("openai batch %s created (%s, file %s)", id, b->endpoint, b->input_file_id);
  sim_response_json(r, 200, out);
out:
  json_decref(j);
}

static void batches_list(sim_server *s, sim_request *q, sim_response *r) {
  long limit;
  if (!parse_limit(q, r, 20, 100, &limit))
    return;
  const char *after = sim_query(q, "after");
  sim_config cfg;
  sim_server_config_snapshot(s, &cfg);
  int64_t now = sim_server_now(s);
  json_t *data = json_array();
  bool more = false, started = !after;
  pthread_mutex_lock(&s->mu);
  for (size_t k = s->nbatches; k-- > 0;) {
    sim_batch *b = s->batches[k];
    if (b->provider != SIM_OPENAI)
      continue;
    if (!started) {
      started = strcmp(b->id, after) == 0;
      continue;
    }
    if ((long)json_array_size(data) == limit) {
      more = true;
      break;
    }
    sim_state_advance(s, b, now, &cfg);
    json_array_append_new(data, batch_json(b));
  }
  pthread_mutex_unlock(&s->mu);
  size_t n = json_array_size(data);
  json_t *first = n ? json_incref(json_object_get(json_array_get(data, 0), "id")) : json_null();
  json_t *last = n ? json_incref(json_object_get(json_array_get(data, n - 1), "id")) : json_null();
  sim_response_json(r, 200,
                    json_pack("{s:s, s:o, s:o, s:o, s:b}", "object", "list", "data", data,
                              "first_id", first, "last_id", last, "has_more", more));
}

static void batches_one(sim_server *s, sim_route route, sim_request *q, sim_response *r) {
  const char *id = q->seg[2];
  sim_config cfg;
  sim_server_config_snapshot(s, &cfg);
  int64_t now = sim_server_now(s);
  pthread_mutex_lock(&s->mu);
  sim_batch *b = sim_state_batch_find(s, SIM_OPENAI, id);
  if (!b) {
    pthread_mutex_unlock(&s->mu);
    sim_openai_error(r, 404, "invalid_request_error", NULL, NULL, "No batch found with id '%s'.",
                     id);
    return;
  }
  sim_state_advance(s, b, now, &cfg);
  if (route == SIM_R_BATCHES_CANCEL) {
    switch (b->status) {
    case SIM_ST_VALIDATING:
    case SIM_ST_IN_PROGRESS:
    case SIM_ST_FINALIZING:
      b->status = SIM_ST_CANCELLING;
      b->cancelling_ms = now;
      sim_log("openai batch %s cancelling", b->id);
      break;
    case SIM_ST_CANCELLING:
    case SIM_ST_CANCELLED:
      break;
    default: {
      char st[32];
      snprintf(st, sizeof st, "%s", status_name(b->status));
      pthread_mutex_unlock(&s->mu);
      sim_openai_error(r, 409, "invalid_request_error", NULL, NULL,
                       "Cannot cancel a batch with status '%s'.", st);
      return;
    }
    }
  }
  json_t *j = batch_json(b);
  pthread_mutex_unlock(&s->mu);
  sim_response_json(r, 200, j);
}

/* Direct (non-batch) calls: the same model, the same content rules, keyed by the body's hash. */
static void direct(sim_server *s, sim_route route, sim_request *q, sim_response *r) {
  static const char *const eps[] = {[SIM_R_CHAT] = "/v1/chat/completions",
                                    [SIM_R_RESPONSES] = "/v1/responses",
                                    [SIM_R_EMBEDDINGS] = "/v1/embeddings",
                                    [SIM_R_COMPLETIONS] = "/v1/completions"};
  const char *ep = eps[route];
  json_t *j = parse_body(q, r);
  if (!j)
    return;
  const char *param, *code;
  const char *msg = sim_model_check_openai(ep, j, &param, &code);
  if (msg) {
    if (strcmp(code, "streaming_unsupported") == 0)
      sim_openai_error(r, 400, "invalid_request_error", "stream", "unsupported_value",
                       "batchtop-sim does not stream; send stream: false.");
    else
      sim_openai_error(r, 400, "invalid_request_error",
                       strncmp(param, "body.", 5) == 0 ? param + 5 : param, NULL, "%s", msg);
    json_decref(j);
    return;
  }
  atomic_fetch_add(&s->stats.direct_executions, 1);
  sim_config cfg;
  sim_server_config_snapshot(s, &cfg);
  if (sim_state_hangs(q->body, q->body_len, &cfg)) {
    r->hang = true;
    json_decref(j);
    return;
  }
  bool fail = sim_state_direct_fails(s, q->body, q->body_len, &cfg);
  if (fail) {
    sim_openai_error(r, cfg.fail_status, cfg.fail_code, NULL, cfg.fail_code,
                     "The server had an error while processing your request (batchtop-sim: "
                     "the request matched fail_if_contains).");
    json_decref(j);
    return;
  }
  long long in, out;
  json_t *body = execute_body(ep, j, sim_server_now(s), &in, &out);
  json_decref(j);
  sim_response_json(r, 200, body);
}

void sim_openai_handle(sim_server *s, sim_route route, sim_request *q, sim_response *r) {
  switch (route) {
  case SIM_R_FILES_UPLOAD:
    files_upload(s, q, r);
    break;
  case SIM_R_FILES_LIST:
    files_list(s, q, r);
    break;
  case SIM_R_FILES_GET:
  case SIM_R_FILES_DELETE:
  case SIM_R_FILES_CONTENT:
    files_one(s, route, q, r);
    break;
  case SIM_R_BATCHES_CREATE:
    batches_create(s, q, r);
    break;
  case SIM_R_BATCHES_LIST:
    batches_list(s, q, r);
    break;
  case SIM_R_BATCHES_GET:
  case SIM_R_BATCHES_CANCEL:
    batches_one(s, route, q, r);
    break;
  case SIM_R_CHAT:
  case SIM_R_RESPONSES:
  case SIM_R_EMBEDDINGS:
  case SIM_R_COMPLETIONS:
    direct(s, route, q, r);
    break;
  default:
    sim_openai_error(r, 404, "invalid_request_error", NULL, NULL, "Invalid URL (%s %s)", q->method,
                     q->path);
  }
}
