/* anthropic: the Anthropic Message Batches API and POST /v1/messages (protocols.md section 2):
 *
 *   in_progress (every request counted in `processing`) --> ended (tallies move over,
 *   results_url set); cancel: in_progress --> canceling --> ended (unrun requests `canceled`);
 *   the window passes: ended with unrun requests `expired`.
 *
 * custom_id and the shape of each item are checked at create (400); each params body is
 * checked when its request runs (an `errored` result), as the real API does. Handlers run on
 * MHD pool threads and take s->mu; the advance function is called with s->mu held. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

#define AN_MAX_REQUESTS 100000

static const char *processing_status(const sim_batch *b) {
  if (sim_state_terminal(b))
    return "ended";
  return b->status == SIM_ST_CANCELLING ? "canceling" : "in_progress";
}

static json_t *rfc(int64_t ms) {
  if (!ms)
    return json_null();
  char t[48];
  sim_rfc3339(ms, t, sizeof t);
  return json_string(t);
}

static json_t *batch_json(const sim_batch *b, uint16_t port) {
  long long succeeded = 0, errored = 0, canceled = 0, expired = 0, processing = 0;
  bool ended = sim_state_terminal(b);
  for (size_t i = 0; i < b->ntasks; i++) {
    if (!ended) {
      processing++;
      continue;
    }
    switch (b->tasks[i].state) {
    case SIM_TASK_OK:
      succeeded++;
      break;
    case SIM_TASK_FAILED:
      errored++;
      break;
    case SIM_TASK_CANCELLED:
      canceled++;
      break;
    default:
      expired++;
      break;
    }
  }
  char url[160];
  snprintf(url, sizeof url, "http://127.0.0.1:%u/v1/messages/batches/%s/results", (unsigned)port,
           b->id);
  return json_pack("{s:s, s:s, s:s, s:{s:I, s:I, s:I, s:I, s:I}, s:o, s:o, s:o, s:n, s:o, s:o}",
                   "id", b->id, "type", "message_batch", "processing_status", processing_status(b),
                   "request_counts", "processing", (json_int_t)processing, "succeeded",
                   (json_int_t)succeeded, "errored", (json_int_t)errored, "canceled",
                   (json_int_t)canceled, "expired", (json_int_t)expired, "ended_at",
                   rfc(b->ended_ms), "created_at", rfc(b->created_ms), "expires_at",
                   rfc(b->expire_ms), "archived_at", "cancel_initiated_at", rfc(b->cancelling_ms),
                   "results_url", ended ? json_string(url) : json_null());
}

static json_t *errored(const char *type, const char *message) {
  char rid[48];
  sim_id(rid, sizeof rid, "req_01", 22, true);
  return json_pack("{s:s, s:{s:s, s:{s:s, s:s}, s:s}}", "type", "errored", "error", "type", "error",
                   "error", "type", type, "message", message, "request_id", rid);
}

static void run_task(sim_server *s, sim_batch *b, sim_task *t, const sim_config *cfg) {
  bool fail = sim_state_execute(s, b, t->custom_id, t->raw, strlen(t->raw), cfg);
  sim_prompt p = {0};
  const char *param;
  const char *invalid = sim_prompt_from_anthropic(t->body, &p, &param);
  sim_prompt_free(&p);
  json_t *result;
  if (invalid) {
    result = errored("invalid_request_error", invalid);
    t->state = SIM_TASK_FAILED;
  } else if (fail) {
    result = errored(cfg->anthropic_fail_type,
                     "Internal server error (batchtop-sim: the request matched fail_if_contains)");
    t->state = SIM_TASK_FAILED;
  } else {
    long long in, out;
    json_t *msg = sim_model_message(t->body, "batch", &in, &out);
    result = json_pack("{s:s, s:o}", "type", "succeeded", "message", msg);
    t->state = SIM_TASK_OK;
    b->usage_in += in;
    b->usage_out += out;
  }
  if (t->state == SIM_TASK_OK)
    b->completed++;
  else
    b->failed++;
  json_t *line = json_pack("{s:s, s:o}", "custom_id", t->custom_id, "result", result);
  t->result = sim_json_text(line);
  json_decref(line);
}

static void finish(sim_server *s, sim_batch *b, sim_status st, int64_t when) {
  char **lines = sim_xmalloc((b->ntasks + 1) * sizeof *lines);
  for (size_t i = 0; i < b->ntasks; i++) {
    sim_task *t = &b->tasks[i];
    if (t->state == SIM_TASK_PENDING) {
      bool expired = st == SIM_ST_EXPIRED;
      t->state = expired ? SIM_TASK_EXPIRED : SIM_TASK_CANCELLED;
      json_t *line = json_pack("{s:s, s:{s:s}}", "custom_id", t->custom_id, "result", "type",
                               expired ? "expired" : "canceled");
      t->result = sim_json_text(line);
      json_decref(line);
    }
    lines[i] = t->result;
  }
  sim_state_shuffle(s, lines, b->ntasks);
  sim_buf buf = {0};
  sim_buf_puts(&buf, "");
  for (size_t i = 0; i < b->ntasks; i++) {
    sim_buf_puts(&buf, lines[i]);
    sim_buf_puts(&buf, "\n");
  }
  free(lines);
  b->results = buf.data;
  b->results_len = buf.len;
  b->status = st;
  b->ended_ms = when;
  sim_log("anthropic batch %s ended (%s): %lld succeeded, %lld errored of %zu", b->id,
          st == SIM_ST_COMPLETED ? "done"
          : st == SIM_ST_EXPIRED ? "expired"
                                 : "canceled",
          b->completed, b->failed, b->ntasks);
}

void sim_anthropic_advance(sim_server *s, sim_batch *b, int64_t now, const sim_config *cfg) {
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
      int64_t last = b->validate_end_ms;
      for (size_t i = 0; i < b->ntasks; i++)
        if (b->tasks[i].done_ms > last)
          last = b->tasks[i].done_ms;
      b->status = SIM_ST_FINALIZING; /* still reported as in_progress */
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

static bool custom_id_ok(const char *id) {
  size_t n = strlen(id);
  if (n < 1 || n > 64)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = id[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-'))
      return false;
  }
  return true;
}

static void create(sim_server *s, sim_request *q, sim_response *r) {
  if (q->body_too_large) { /* real: Cloudflare's 413 before the API */
    sim_anthropic_error(r, 413, "request_too_large", "Request exceeds the maximum allowed size.");
    return;
  }
  json_error_t je;
  json_t *j = q->body_len ? json_loadb(q->body, q->body_len, 0, &je) : NULL;
  json_t *reqs = json_object_get(j, "requests");
  if (!json_is_object(j)) {
    sim_anthropic_error(r, 400, "invalid_request_error", "The request body is not valid JSON.");
    json_decref(j);
    return;
  }
  if (!json_is_array(reqs)) {
    sim_anthropic_error(r, 400, "invalid_request_error", "requests: Field required");
    json_decref(j);
    return;
  }
  size_t n = json_array_size(reqs);
  if (n == 0 || n > AN_MAX_REQUESTS) {
    sim_anthropic_error(r, 400, "invalid_request_error",
                        "requests: List should have at least 1 and at most %d items, not %zu",
                        AN_MAX_REQUESTS, n);
    json_decref(j);
    return;
  }
  json_t *seen = json_object();
  for (size_t i = 0; i < n; i++) {
    json_t *it = json_array_get(reqs, i);
    json_t *cid = json_object_get(it, "custom_id");
    const char *err = NULL;
    if (!json_is_object(it))
      err = "Input should be an object";
    else if (!cid)
      err = "custom_id: Field required";
    else if (!json_is_string(cid))
      err = "custom_id: Input should be a valid string";
    else if (json_string_length(cid) > 64)
      err = "custom_id: String should have at most 64 characters";
    else if (!custom_id_ok(json_string_value(cid)))
      err = "custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'";
    else if (!json_is_object(json_object_get(it, "params")))
      err = "params: Field required";
    else if (json_object_get(seen, json_string_value(cid)))
      err = "custom_id: Duplicate custom_id; each request in a batch needs its own";
    if (err) {
      sim_anthropic_error(r, 400, "invalid_request_error", "requests.%zu.%s", i, err);
      json_decref(seen);
      json_decref(j);
      return;
    }
    json_object_set_new(seen, json_string_value(cid), json_true());
  }
  json_decref(seen);

  sim_config cfg;
  sim_server_config_snapshot(s, &cfg);
  int64_t now = sim_server_now(s);
  char id[48];
  sim_id(id, sizeof id, "msgbatch_01", 24, true);
  pthread_mutex_lock(&s->mu);
  sim_batch *b = sim_state_batch_new(s, SIM_ANTHROPIC, id, now, &cfg);
  b->tasks = calloc(n, sizeof *b->tasks);
  if (!b->tasks)
    abort();
  b->ntasks = n;
  for (size_t i = 0; i < n; i++) {
    json_t *it = json_array_get(reqs, i);
    sim_task *t = &b->tasks[i];
    t->custom_id = sim_xstrdup(json_string_value(json_object_get(it, "custom_id")));
    t->body = json_incref(json_object_get(it, "params"));
    t->raw = sim_json_text(t->body);
    t->hang = sim_state_hangs(t->raw, strlen(t->raw), &cfg);
  }
  b->in_progress_ms = now;
  sim_state_schedule(b, b->validate_end_ms);
  json_t *out = batch_json(b, s->port);
  pthread_mutex_unlock(&s->mu);
  sim_log("anthropic batch %s created (%zu requests)", id, n);
  sim_response_json(r, 200, out);
  json_decref(j);
}

static bool parse_limit(const sim_request *q, sim_response *r, long *out) {
  const char *v = sim_query(q, "limit");
  *out = 20;
  if (!v)
    return true;
  char *end;
  long n = strtol(v, &end, 10);
  if (end == v || *end || n < 1 || n > 1000) {
    sim_anthropic_error(r, 400, "invalid_request_error",
                        "limit: Input should be greater than or equal to 1 and less than or "
                        "equal to 1000");
    return false;
  }
  *out = n;
  return true;
}

static void list(sim_server *s, sim_request *q, sim_response *r) {
  long limit;
  if (!parse_limit(q, r, &limit))
    return;
  const char *after = sim_query(q, "after_id"), *before = sim_query(q, "before_id");
  sim_config cfg;
  sim_server_config_snapshot(s, &cfg);
  int64_t now = sim_server_now(s);
  pthread_mutex_lock(&s->mu);
  /* newest first */
  size_t n = 0;
  sim_batch **v = sim_xmalloc((s->nbatches + 1) * sizeof *v);
  for (size_t k = s->nbatches; k-- > 0;)
    if (s->batches[k]->provider == SIM_ANTHROPIC && !s->batches[k]->deleted)
      v[n++] = s->batches[k];
  size_t from = 0, to = n; /* the window [from, to) to page in */
  bool more = false;
  if (after) {
    for (size_t i = 0; i < n; i++)
      if (strcmp(v[i]->id, after) == 0)
        from = i + 1;
    more = to - from > (size_t)limit;
    if (more)
      to = from + (size_t)limit;
  } else if (before) {
    to = 0;
    for (size_t i = 0; i < n; i++)
      if (strcmp(v[i]->id, before) == 0)
        to = i;
    from = to > (size_t)limit ? to - (size_t)limit : 0;
    more = from > 0;
  } else {
    more = n > (size_t)limit;
    if (more)
      to = (size_t)limit;
  }
  json_t *data = json_array();
  for (size_t i = from; i < to; i++) {
    sim_state_advance(s, v[i], now, &cfg);
    json_array_append_new(data, batch_json(v[i], s->port));
  }
  free(v);
  pthread_mutex_unlock(&s->mu);
  size_t m = json_array_size(data);
  json_t *first = m ? json_incref(json_object_get(json_array_get(data, 0), "id")) : json_null();
  json_t *last = m ? json_incref(json_object_get(json_array_get(data, m - 1), "id")) : json_null();
  sim_response_json(r, 200,
                    json_pack("{s:o, s:b, s:o, s:o}", "data", data, "has_more", more, "first_id",
                              first, "last_id", last));
}

static void one(sim_server *s, sim_route route, sim_request *q, sim_response *r) {
  const char *id = q->seg[3];
  sim_config cfg;
  sim_server_config_snapshot(s, &cfg);
  int64_t now = sim_server_now(s);
  pthread_mutex_lock(&s->mu);
  sim_batch *b = sim_state_batch_find(s, SIM_ANTHROPIC, id);
  if (!b) {
    pthread_mutex_unlock(&s->mu);
    sim_anthropic_error(r, 404, "not_found_error", "No message batch found with id '%s'.", id);
    return;
  }
  sim_state_advance(s, b, now, &cfg);
  bool ended = sim_state_terminal(b);
  if (route == SIM_R_MB_CANCEL) {
    if (ended) {
      pthread_mutex_unlock(&s->mu);
      sim_anthropic_error(r, 400, "invalid_request_error",
                          "Batch %s has already ended and cannot be canceled.", id);
      return;
    }
    if (b->status != SIM_ST_CANCELLING) {
      b->status = SIM_ST_CANCELLING;
      b->cancelling_ms = now;
      sim_log("anthropic batch %s canceling", b->id);
    }
  } else if (route == SIM_R_MB_DELETE) {
    if (!ended) {
      pthread_mutex_unlock(&s->mu);
      sim_anthropic_error(r, 400, "invalid_request_error",
                          "Batch %s is still processing; cancel it and wait for it to end "
                          "before deleting it.",
                          id);
      return;
    }
    b->deleted = true;
    pthread_mutex_unlock(&s->mu);
    sim_response_json(r, 200, json_pack("{s:s, s:s}", "id", id, "type", "message_batch_deleted"));
    return;
  } else if (route == SIM_R_MB_RESULTS) {
    if (!ended) {
      pthread_mutex_unlock(&s->mu);
      sim_anthropic_error(r, 400, "invalid_request_error",
                          "Batch %s has not ended yet; its results are not available.", id);
      return;
    }
    char *copy = sim_xstrndup(b->results, b->results_len);
    size_t len = b->results_len;
    pthread_mutex_unlock(&s->mu);
    sim_response_text(r, 200, "application/binary", copy, len);
    return;
  }
  json_t *j = batch_json(b, s->port);
  pthread_mutex_unlock(&s->mu);
  sim_response_json(r, 200, j);
}

/* The HTTP status Anthropic pairs with an error type (protocols.md 2.1). */
static int status_of(const char *type) {
  static const struct {
    const char *type;
    int status;
  } map[] = {
      {"invalid_request_error", 400}, {"authentication_error", 401}, {"billing_error", 402},
      {"permission_error", 403},      {"not_found_error", 404},      {"request_too_large", 413},
      {"rate_limit_error", 429},      {"timeout_error", 504},        {"overloaded_error", 529}};
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (strcmp(type, map[i].type) == 0)
      return map[i].status;
  return 500;
}

static void messages(sim_server *s, sim_request *q, sim_response *r) {
  json_error_t je;
  json_t *j = q->body_len ? json_loadb(q->body, q->body_len, 0, &je) : NULL;
  if (!json_is_object(j)) {
    json_decref(j);
    sim_anthropic_error(r, 400, "invalid_request_error", "The request body is not valid JSON.");
    return;
  }
  sim_prompt p = {0};
  const char *param;
  const char *invalid = sim_prompt_from_anthropic(j, &p, &param);
  sim_prompt_free(&p);
  if (invalid) {
    if (strcmp(param, "stream") == 0)
      invalid = "stream: batchtop-sim does not stream; send stream: false";
    sim_anthropic_error(r, 400, "invalid_request_error", "%s", invalid);
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
    sim_anthropic_error(r, status_of(cfg.anthropic_fail_type), cfg.anthropic_fail_type,
                        "Internal server error (batchtop-sim: the request matched "
                        "fail_if_contains)");
    json_decref(j);
    return;
  }
  long long in, out;
  json_t *msg = sim_model_message(j, "standard", &in, &out);
  json_decref(j);
  sim_response_json(r, 200, msg);
}

void sim_anthropic_handle(sim_server *s, sim_route route, sim_request *q, sim_response *r) {
  switch (route) {
  case SIM_R_MESSAGES:
    messages(s, q, r);
    break;
  case SIM_R_MB_CREATE:
    create(s, q, r);
    break;
  case SIM_R_MB_LIST:
    list(s, q, r);
    break;
  case SIM_R_MB_GET:
  case SIM_R_MB_CANCEL:
  case SIM_R_MB_DELETE:
  case SIM_R_MB_RESULTS:
    one(s, route, q, r);
    break;
  default:
    sim_anthropic_error(r, 404, "not_found_error", "Not found: %s %s", q->method, q->path);
  }
}
