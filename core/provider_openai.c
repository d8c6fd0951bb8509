/* provider_openai: OpenAI Files + Batches objects and result lines (protocols.md 1.5, 1.8).
 * Also any OpenAI-compatible batch host reached through OPENAI_BASE_URL. */
#include <stdlib.h>
#include <string.h>

#include "provider_impl.h"
#include "util.h"

static int64_t secs_ms(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  return json_is_integer(v) ? json_integer_value(v) * 1000 : 0;
}

bt_status provider_openai_parse_batch(json_t *o, bt_remote_batch *out) {
  memset(out, 0, sizeof *out);
  out->id = provider_str(o, "id");
  out->status = provider_str(o, "status");
  if (!out->id || !out->status)
    return BT_ERR_PROVIDER;
  out->raw_status = util_xstrdup(out->status);
  const char *s = out->status;
  out->terminal = !strcmp(s, "completed") || !strcmp(s, "failed") || !strcmp(s, "expired") ||
                  !strcmp(s, "cancelled");
  out->cancelled = !strcmp(s, "cancelled") || !strcmp(s, "cancelling");
  json_t *rc = json_object_get(o, "request_counts");
  out->total = json_integer_value(json_object_get(rc, "total"));
  out->succeeded = json_integer_value(json_object_get(rc, "completed"));
  out->failed = json_integer_value(json_object_get(rc, "failed"));
  out->processing = out->total - out->succeeded - out->failed;
  if (out->processing < 0)
    out->processing = 0;
  /* Gotcha 15: "" is as absent as null. */
  out->output_file_id = provider_str(o, "output_file_id");
  out->error_file_id = provider_str(o, "error_file_id");
  out->tag = provider_str(json_object_get(o, "metadata"), "batchtop_tag");
  out->created_at_ms = secs_ms(o, "created_at");
  out->in_progress_at_ms = secs_ms(o, "in_progress_at");
  out->finalizing_at_ms = secs_ms(o, "finalizing_at");
  out->expires_at_ms = secs_ms(o, "expires_at");
  const char *ends[] = {"completed_at", "failed_at", "expired_at", "cancelled_at"};
  for (size_t i = 0; i < 4 && !out->ended_at_ms; i++)
    out->ended_at_ms = secs_ms(o, ends[i]);
  json_t *errs = json_object_get(json_object_get(o, "errors"), "data");
  json_t *e0 = json_array_get(errs, 0);
  if (json_is_object(e0)) {
    out->error_code = provider_str(e0, "code");
    out->error_message = provider_str(e0, "message");
  }
  return BT_OK;
}

bt_task_state provider_state_for_code(const char *code) {
  if (code && strstr(code, "expired"))
    return TASK_EXPIRED;
  if (code && strstr(code, "cancel"))
    return TASK_CANCELLED;
  return TASK_FAILED;
}

bt_status provider_openai_parse_result(json_t *o, bt_result *out) {
  memset(out, 0, sizeof *out);
  out->custom_id = provider_str(o, "custom_id");
  if (!out->custom_id)
    return BT_ERR_PROVIDER;
  json_t *resp = json_object_get(o, "response");
  json_t *err = json_object_get(o, "error");
  if (json_is_object(resp)) {
    out->http_status = (long)json_integer_value(json_object_get(resp, "status_code"));
    json_t *body = json_object_get(resp, "body");
    if (out->http_status >= 200 && out->http_status < 300 && !json_is_object(err)) {
      out->state = TASK_SUCCEEDED;
      provider_take_answer(body, out);
      return BT_OK;
    }
    json_t *be = json_object_get(body, "error");
    out->error_code = provider_str(be, "code");
    if (!out->error_code)
      out->error_code = provider_str(be, "type");
    out->error_message = provider_str(be, "message");
  }
  if (json_is_object(err)) {
    if (!out->error_code)
      out->error_code = provider_str(err, "code");
    if (!out->error_message)
      out->error_message = provider_str(err, "message");
  }
  if (!out->error_code) {
    char c[32];
    snprintf(c, sizeof c, "http_%ld", out->http_status);
    out->error_code = util_xstrdup(out->http_status ? c : "unknown_error");
  }
  out->state = provider_state_for_code(out->error_code);
  return BT_OK;
}
