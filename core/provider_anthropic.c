/* provider_anthropic: Anthropic Message Batches objects and result lines (protocols.md 2.4,
 * 2.5). Timestamps are RFC 3339 strings; counts only move when the batch ends. */
#include <stdlib.h>
#include <string.h>

#include "provider_impl.h"
#include "util.h"

static int64_t ts(json_t *o, const char *key) {
  int64_t v = provider_parse_rfc3339(json_string_value(json_object_get(o, key)));
  return v < 0 ? 0 : v;
}

bt_status provider_anthropic_parse_batch(json_t *o, bt_remote_batch *out) {
  memset(out, 0, sizeof *out);
  out->id = provider_str(o, "id");
  out->raw_status = provider_str(o, "processing_status");
  if (!out->id || !out->raw_status)
    return BT_ERR_PROVIDER;
  json_t *rc = json_object_get(o, "request_counts");
  int64_t processing = json_integer_value(json_object_get(rc, "processing"));
  int64_t ok = json_integer_value(json_object_get(rc, "succeeded"));
  int64_t errored = json_integer_value(json_object_get(rc, "errored"));
  int64_t canceled = json_integer_value(json_object_get(rc, "canceled"));
  int64_t expired = json_integer_value(json_object_get(rc, "expired"));
  /* Gotcha 13: the size of the batch is the sum of all five buckets. */
  out->total = processing + ok + errored + canceled + expired;
  out->succeeded = ok;
  out->failed = errored + canceled + expired;
  out->processing = processing;
  out->created_at_ms = ts(o, "created_at");
  out->ended_at_ms = ts(o, "ended_at");
  out->expires_at_ms = ts(o, "expires_at");
  out->cancelled = json_is_string(json_object_get(o, "cancel_initiated_at"));
  out->results_url = provider_str(o, "results_url");
  const char *s = out->raw_status;
  if (!strcmp(s, "ended")) {
    out->terminal = 1;
    if (out->cancelled)
      out->status = util_xstrdup("cancelled");
    else if (expired && expired == out->total - ok - errored - canceled && !ok && !errored)
      out->status = util_xstrdup("expired");
    else
      out->status = util_xstrdup("completed");
  } else if (!strcmp(s, "canceling")) {
    out->status = util_xstrdup("cancelling");
  } else {
    out->status = util_xstrdup("in_progress");
  }
  return BT_OK;
}

bt_status provider_anthropic_parse_result(json_t *o, bt_result *out) {
  memset(out, 0, sizeof *out);
  out->custom_id = provider_str(o, "custom_id");
  if (!out->custom_id)
    return BT_ERR_PROVIDER;
  json_t *res = json_object_get(o, "result");
  const char *type = json_string_value(json_object_get(res, "type"));
  if (!type)
    type = "";
  if (!strcmp(type, "succeeded")) {
    out->state = TASK_SUCCEEDED;
    out->http_status = 200;
    provider_take_answer(json_object_get(res, "message"), out);
  } else if (!strcmp(type, "canceled")) {
    out->state = TASK_CANCELLED;
    out->error_code = util_xstrdup("canceled");
    out->error_message = util_xstrdup(PROVIDER_MSG_CANCELED);
  } else if (!strcmp(type, "expired")) {
    out->state = TASK_EXPIRED;
    out->error_code = util_xstrdup("expired");
    out->error_message = util_xstrdup(PROVIDER_MSG_EXPIRED);
  } else {
    out->state = TASK_FAILED;
    /* The error is nested twice: result.error.error.{type,message}. */
    json_t *e = json_object_get(json_object_get(res, "error"), "error");
    out->error_code = provider_str(e, "type");
    out->error_message = provider_str(e, "message");
    if (!out->error_code)
      out->error_code = util_xstrdup(type[0] ? type : "unknown_error");
  }
  return BT_OK;
}
