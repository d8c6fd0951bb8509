/* provider: shared parts: setup, dispatch, spool files, result and local parsers, cost. */
#define _XOPEN_SOURCE 700 /* strptime */
#include "provider.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include <pthread.h>

#include "logger.h"
#include "prices.h"
#include "provider_impl.h"
#include "result_scan.h"
#include "util.h"

char *provider_str(json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s && *s ? util_xstrdup(s) : NULL;
}

int provider_parse_kind(const char *name) {
  if (!name)
    return -1;
  if (strcmp(name, "openai") == 0)
    return PROVIDER_OPENAI;
  if (strcmp(name, "anthropic") == 0)
    return PROVIDER_ANTHROPIC;
  if (strcmp(name, "local") == 0)
    return PROVIDER_LOCAL;
  return -1;
}

const char *provider_endpoint(bt_provider_kind kind) {
  return kind == PROVIDER_ANTHROPIC ? "/v1/messages" : "/v1/chat/completions";
}

static char *strip_slash(const char *url) {
  char *s = util_xstrdup(url);
  size_t n = strlen(s);
  while (n && s[n - 1] == '/')
    s[--n] = '\0';
  return s;
}

bt_status provider_init(bt_provider_conn *p, const char *name, const bt_config *cfg,
                        bt_error *err) {
  memset(p, 0, sizeof *p);
  int kind = provider_parse_kind(name);
  if (kind < 0)
    return error_set(err, BT_ERR_USAGE, "unknown provider '%s' (openai, anthropic or local)",
                     name ? name : "");
  p->kind = (bt_provider_kind)kind;
  p->timeout_ms = 120000;
  const char *t = getenv("BATCHTOP_HTTP_TIMEOUT_MS");
  if (t && atol(t) > 0)
    p->timeout_ms = atol(t);
  const char *key = NULL, *url = NULL, *var = NULL;
  switch (p->kind) {
  case PROVIDER_OPENAI:
    p->name = "openai";
    key = cfg->openai_api_key;
    url = cfg->openai_base_url;
    var = "OPENAI_API_KEY";
    p->max_retry_after_ms = 120000;
    break;
  case PROVIDER_ANTHROPIC:
    p->name = "anthropic";
    key = cfg->anthropic_api_key;
    url = cfg->anthropic_base_url;
    var = "ANTHROPIC_API_KEY";
    p->max_retry_after_ms = 60000;
    break;
  case PROVIDER_LOCAL:
    p->name = "local";
    key = cfg->local_api_key;
    url = cfg->local_url;
    p->max_retry_after_ms = 120000;
    break;
  }
  if (var && (!key || !*key))
    return error_set(err, BT_ERR_AUTH,
                     "no API key for %s: set %s in the environment or %s_api_key in the "
                     "config file",
                     p->name, var, p->name);
  p->base_url = strip_slash(url ? url : "");
  p->api_key = key && *key ? util_xstrdup(key) : NULL;
  return BT_OK;
}

void provider_cleanup(bt_provider_conn *p) {
  free(p->base_url);
  if (p->api_key) {
    memset(p->api_key, 0, strlen(p->api_key));
    free(p->api_key);
  }
  memset(p, 0, sizeof *p);
}

/* ---- requests ---- */

static bt_status auth_headers(const bt_provider_conn *p, bt_http_req *r, bt_error *err) {
  char h[1024];
  bt_status st = BT_OK;
  if (p->kind == PROVIDER_ANTHROPIC) {
    snprintf(h, sizeof h, "x-api-key: %s", p->api_key ? p->api_key : "");
    st = http_req_header(r, h, err);
    if (!st)
      st = http_req_header(r, "anthropic-version: 2023-06-01", err);
  } else if (p->api_key) {
    snprintf(h, sizeof h, "Authorization: Bearer %s", p->api_key);
    st = http_req_header(r, h, err);
  }
  memset(h, 0, sizeof h);
  return st;
}

static bt_status new_req(const bt_provider_conn *p, const char *method, const char *path,
                         long timeout_ms, bt_http_req **out, bt_error *err) {
  if (!p->base_url)
    return error_set(err, BT_ERR_PROVIDER, "the provider is not set up (no base URL or key)");
  bt_buf url;
  buf_init(&url, 0);
  if (buf_puts(&url, p->base_url) || buf_puts(&url, path)) {
    buf_cleanup(&url);
    return error_set(err, BT_ERR_NOMEM, "out of memory");
  }
  bt_status st = http_req_new(method, buf_str(&url), timeout_ms, out, err);
  buf_cleanup(&url);
  if (st)
    return st;
  st = auth_headers(p, *out, err);
  if (st) {
    http_req_free(*out);
    *out = NULL;
  }
  return st;
}

/* Anthropic paths carry /v1 (its base URL has none); OpenAI's base URL ends in /v1. */
static const char *ant_prefix(const bt_provider_conn *p) {
  return p->kind == PROVIDER_ANTHROPIC ? "/v1/messages/batches" : "/batches";
}

bt_status provider_req_upload(const bt_provider_conn *p, const char *spool_path,
                              const char *filename, bt_http_req **out, bt_error *err) {
  bt_status st = new_req(p, "POST", "/files", 0, out, err);
  if (st)
    return st;
  http_req_once(*out); /* a re-sent upload is a spare file: harmless, but never silent */
  st = http_req_mime_file(*out, "file", spool_path, filename, "purpose", "batch", err);
  if (st) {
    http_req_free(*out);
    *out = NULL;
  }
  return st;
}

long provider_create_timeout_ms(const bt_provider_conn *p) {
  /* OpenAI's create is a small JSON body: a minute. Anthropic's carries every request (up to
   * 256 MB): five minutes, so a slow uplink still gets through, and a bound all the same: a
   * create with no limit could stay uncertain for ever. */
  return http_test_timeout_ms(p->kind == PROVIDER_ANTHROPIC ? 300000 : 60000);
}

bt_status provider_req_create(const bt_provider_conn *p, const char *endpoint,
                              const char *input_file_id, const char *spool_path, const char *tag,
                              const char *job_id, bt_http_req **out, bt_error *err) {
  bt_status st = new_req(p, "POST", ant_prefix(p), provider_create_timeout_ms(p), out, err);
  if (st)
    return st;
  http_req_once(*out);
  if (p->kind == PROVIDER_ANTHROPIC) {
    st = http_req_body_file(*out, spool_path, err);
  } else {
    json_t *body = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "input_file_id", input_file_id,
                             "endpoint", endpoint, "completion_window", "24h", "metadata",
                             "batchtop_tag", tag, "batchtop_job", job_id);
    char *s = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!s)
      st = error_set(err, BT_ERR_NOMEM, "out of memory");
    else
      st = http_req_body(*out, s, strlen(s), err);
    free(s);
  }
  if (st) {
    http_req_free(*out);
    *out = NULL;
  }
  return st;
}

bt_status provider_req_get(const bt_provider_conn *p, const char *remote_id, bt_http_req **out,
                           bt_error *err) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", ant_prefix(p), remote_id);
  return new_req(p, "GET", path, http_test_timeout_ms(60000), out, err);
}

bt_status provider_req_list(const bt_provider_conn *p, const char *after, bt_http_req **out,
                            bt_error *err) {
  /* Page size: the providers' maximum for OpenAI (100); BATCHTOP_LIST_LIMIT lowers it so tests
   * can page through a few batches. */
  long limit = 100;
  const char *env = getenv("BATCHTOP_LIST_LIMIT");
  if (env && atol(env) >= 1 && atol(env) < 100)
    limit = atol(env);
  char path[512];
  snprintf(path, sizeof path, "%s?limit=%ld%s%s", ant_prefix(p), limit,
           after ? (p->kind == PROVIDER_ANTHROPIC ? "&after_id=" : "&after=") : "",
           after ? after : "");
  return new_req(p, "GET", path, http_test_timeout_ms(60000), out, err);
}

bt_status provider_req_cancel(const bt_provider_conn *p, const char *remote_id, bt_http_req **out,
                              bt_error *err) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s/cancel", ant_prefix(p), remote_id);
  return new_req(p, "POST", path, 60000, out, err);
}

bt_status provider_req_results(const bt_provider_conn *p, const bt_remote_batch *b, int which,
                               bt_http_req **out, bt_error *err) {
  if (p->kind == PROVIDER_ANTHROPIC) {
    if (which != 0 || !b->results_url)
      return error_set(err, BT_ERR_NOT_FOUND, "no results file");
    /* results_url is absolute; take it as given (docs say not to build it). */
    bt_status st = http_req_new("GET", b->results_url, 0, out, err);
    if (!st)
      st = auth_headers(p, *out, err);
    if (st) {
      http_req_free(*out);
      *out = NULL;
    }
    return st;
  }
  const char *id = which == 0 ? b->output_file_id : b->error_file_id;
  if (!id || !*id)
    return error_set(err, BT_ERR_NOT_FOUND, "no %s file", which == 0 ? "output" : "error");
  char path[512];
  snprintf(path, sizeof path, "/files/%s/content", id);
  return new_req(p, "GET", path, 0, out, err);
}

bt_status provider_req_exec(const bt_provider_conn *p, const char *request, bt_http_req **out,
                            bt_error *err) {
  bt_status st = new_req(p, "POST", "/chat/completions", p->timeout_ms, out, err);
  if (st)
    return st;
  st = http_req_body(*out, request, strlen(request), err);
  if (st) {
    http_req_free(*out);
    *out = NULL;
  }
  return st;
}

/* ---- spool ---- */

bt_status provider_spool_begin(const bt_provider_conn *p, FILE *f, bt_error *err) {
  if (p->kind == PROVIDER_ANTHROPIC && fputs("{\"requests\":[", f) < 0)
    return error_set(err, BT_ERR_IO, "cannot write the spool file");
  return BT_OK;
}

bt_status provider_spool_line(const bt_provider_conn *p, FILE *f, int64_t index,
                              const char *request, bt_error *err) {
  int bad;
  if (p->kind == PROVIDER_ANTHROPIC)
    bad = (index > 0 && fputc(',', f) == EOF) || fputs(request, f) < 0;
  else
    bad = fputs(request, f) < 0 || fputc('\n', f) == EOF;
  return bad ? error_set(err, BT_ERR_IO, "cannot write the spool file") : BT_OK;
}

bt_status provider_spool_end(const bt_provider_conn *p, FILE *f, bt_error *err) {
  if (p->kind == PROVIDER_ANTHROPIC && fputs("]}", f) < 0)
    return error_set(err, BT_ERR_IO, "cannot write the spool file");
  return BT_OK;
}

/* ---- parsers ---- */

void remote_batch_cleanup(bt_remote_batch *b) {
  char **s[] = {&b->id,          &b->status, &b->raw_status, &b->output_file_id, &b->error_file_id,
                &b->results_url, &b->tag,    &b->error_code, &b->error_message};
  for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
    free(*s[i]);
  memset(b, 0, sizeof *b);
}

void result_cleanup(bt_result *r) {
  free(r->custom_id);
  free(r->output);
  free(r->response);
  free(r->error_code);
  free(r->error_message);
  memset(r, 0, sizeof *r);
}

int64_t provider_parse_rfc3339(const char *s) {
  if (!s)
    return -1;
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
  if (!p)
    return -1;
  int64_t ms = (int64_t)timegm(&tm) * 1000;
  if (*p == '.') {
    p++;
    int64_t frac = 0, digits = 0;
    while (*p >= '0' && *p <= '9') {
      if (digits < 3) {
        frac = frac * 10 + (*p - '0');
        digits++;
      }
      p++;
    }
    while (digits++ < 3)
      frac *= 10;
    ms += frac;
  }
  if (*p == '+' || *p == '-') {
    int hh = 0, mm = 0;
    if (sscanf(p + 1, "%2d:%2d", &hh, &mm) >= 1)
      ms -= (*p == '+' ? 1 : -1) * ((int64_t)hh * 3600 + mm * 60) * 1000;
  }
  return ms;
}

bt_status provider_parse_file_id(const char *body, size_t len, char **id_out, bt_error *err) {
  *id_out = NULL;
  json_t *root = json_loadb(body ? body : "", len, 0, NULL);
  const char *id = root ? json_string_value(json_object_get(root, "id")) : NULL;
  if (id && *id)
    *id_out = util_xstrdup(id);
  json_decref(root);
  return *id_out ? BT_OK : error_set(err, BT_ERR_PROVIDER, "upload response has no file id");
}

bt_status provider_parse_batch(bt_provider_kind kind, const char *body, size_t len,
                               bt_remote_batch *out, bt_error *err) {
  memset(out, 0, sizeof *out);
  json_error_t je;
  json_t *root = json_loadb(body ? body : "", len, 0, &je);
  if (!json_is_object(root)) {
    json_decref(root);
    return error_set(err, BT_ERR_PROVIDER, "batch response is not a JSON object");
  }
  bt_status st = kind == PROVIDER_ANTHROPIC ? provider_anthropic_parse_batch(root, out)
                                            : provider_openai_parse_batch(root, out);
  json_decref(root);
  if (st) {
    remote_batch_cleanup(out);
    return error_set(err, st, "batch response lacks id or status");
  }
  return BT_OK;
}

bt_status provider_parse_list(bt_provider_kind kind, const char *body, size_t len,
                              bt_remote_batch **items, size_t *n, char **next_after, int *has_more,
                              bt_error *err) {
  *items = NULL;
  *n = 0;
  *next_after = NULL;
  *has_more = 0;
  json_t *root = json_loadb(body ? body : "", len, 0, NULL);
  json_t *data = root ? json_object_get(root, "data") : NULL;
  if (!json_is_array(data)) {
    json_decref(root);
    return error_set(err, BT_ERR_PROVIDER, "list response has no data array");
  }
  size_t cnt = json_array_size(data);
  bt_remote_batch *arr = calloc(cnt ? cnt : 1, sizeof *arr);
  if (!arr) {
    json_decref(root);
    return error_set(err, BT_ERR_NOMEM, "out of memory");
  }
  size_t k = 0;
  for (size_t i = 0; i < cnt; i++) {
    json_t *o = json_array_get(data, i);
    if (!json_is_object(o))
      continue;
    bt_status st = kind == PROVIDER_ANTHROPIC ? provider_anthropic_parse_batch(o, &arr[k])
                                              : provider_openai_parse_batch(o, &arr[k]);
    if (st)
      remote_batch_cleanup(&arr[k]);
    else
      k++;
  }
  *has_more = json_is_true(json_object_get(root, "has_more"));
  const char *last = json_string_value(json_object_get(root, "last_id"));
  if (!last && cnt) /* the SDK's rule: the last item's id */
    last = json_string_value(json_object_get(json_array_get(data, cnt - 1), "id"));
  if (last)
    *next_after = util_xstrdup(last);
  json_decref(root);
  *items = arr;
  *n = k;
  return BT_OK;
}

char *provider_line_copy(const char *line, size_t len) {
  char *s = malloc(len + 1);
  if (s) {
    memcpy(s, line, len);
    s[len] = '\0';
  }
  return s;
}

bt_status provider_parse_result_json(bt_provider_kind kind, const char *line, size_t len,
                                     bt_result *out, bt_error *err) {
  memset(out, 0, sizeof *out);
  json_error_t je;
  json_t *root = json_loadb(line, len, 0, &je);
  if (!json_is_object(root)) {
    json_decref(root);
    return error_set_at(err, BT_ERR_PROVIDER, NULL, 0, je.column,
                        "result line is not a JSON object: %s", je.text);
  }
  bt_status st = kind == PROVIDER_ANTHROPIC ? provider_anthropic_parse_result(root, out)
                                            : provider_openai_parse_result(root, out);
  json_decref(root);
  if (st) {
    result_cleanup(out);
    return error_set(err, BT_ERR_PROVIDER, "result line has no custom_id");
  }
  /* The raw line is the response as the provider sent it (no re-serialising per line). */
  free(out->response);
  out->response = provider_line_copy(line, len);
  return BT_OK;
}

bt_status provider_parse_result(bt_provider_kind kind, const char *line, size_t len, bt_result *out,
                                bt_error *err) {
  /* The scanner takes the common lines; jansson judges the rest and words every error. */
  if (result_scan(kind, line, len, out))
    return BT_OK;
  return provider_parse_result_json(kind, line, len, out, err);
}

/* Shared by both providers: the answer text and token usage of a response body. */
void provider_take_answer(json_t *body, bt_result *out) {
  if (!json_is_object(body))
    return;
  json_t *choices = json_object_get(body, "choices");
  if (json_is_array(choices)) {
    json_t *msg = json_object_get(json_array_get(choices, 0), "message");
    const char *c = json_string_value(json_object_get(msg, "content"));
    if (c)
      out->output = util_xstrdup(c);
  }
  json_t *content = json_object_get(body, "content");
  if (json_is_array(content)) { /* Anthropic Message: concatenate the text blocks */
    bt_buf b;
    buf_init(&b, 0);
    size_t i;
    json_t *blk;
    json_array_foreach(content, i, blk) {
      const char *t = json_string_value(json_object_get(blk, "text"));
      if (t && buf_puts(&b, t) != BT_OK)
        break;
    }
    free(out->output); /* a body with both forms: the text blocks win, as they always did */
    out->output = buf_take(&b);
  }
  json_t *u = json_object_get(body, "usage");
  if (json_is_object(u)) {
    json_t *v;
    if ((v = json_object_get(u, "prompt_tokens")) || (v = json_object_get(u, "input_tokens")))
      out->input_tokens = json_integer_value(v);
    if ((v = json_object_get(u, "completion_tokens")) || (v = json_object_get(u, "output_tokens")))
      out->output_tokens = json_integer_value(v);
    json_t *d = json_object_get(u, "prompt_tokens_details");
    if ((v = json_object_get(d, "cached_tokens")) ||
        (v = json_object_get(u, "cache_read_input_tokens")))
      out->cached_tokens = json_integer_value(v);
  }
}

bt_status provider_parse_exec(long status, const char *body, size_t len, bt_result *out,
                              bt_error *err) {
  memset(out, 0, sizeof *out);
  out->http_status = status;
  if (status >= 200 && status < 300) {
    json_t *root = json_loadb(body ? body : "", len, 0, NULL);
    if (!json_is_object(root)) {
      json_decref(root);
      out->state = TASK_FAILED;
      out->error_code = util_xstrdup("invalid_response");
      out->error_message = util_xstrdup("the server's answer is not JSON");
      return BT_OK;
    }
    out->state = TASK_SUCCEEDED;
    provider_take_answer(root, out);
    json_decref(root);
    out->response = provider_line_copy(body, len);
    return BT_OK;
  }
  char code[96], msg[512];
  http_error_parse(body, len, code, sizeof code, msg, sizeof msg);
  out->state = TASK_FAILED;
  if (!code[0])
    snprintf(code, sizeof code, "http_%ld", status);
  out->error_code = util_xstrdup(code);
  out->error_message = util_xstrdup(msg[0] ? msg : "request failed");
  (void)err;
  return BT_OK;
}

/* ---- cost ---- */

/* The price table, loaded once for the whole process: the LiteLLM-format file named by
 * provider_prices_use() (the config's `prices`), else the built-in one (core/prices.h). */
static bt_prices *price_table;
static pthread_once_t price_once = PTHREAD_ONCE_INIT;
static char *price_path;

void provider_prices_use(const char *litellm_path) {
  free(price_path);
  price_path = litellm_path && *litellm_path ? util_xstrdup(litellm_path) : NULL;
}

static void price_load(void) {
  bt_error err;
  error_clear(&err);
  if (price_path) {
    if (prices_load_litellm(price_path, &price_table, &err) == BT_OK)
      return;
    log_warn("prices: %s; using the built-in table", err.message);
  }
  if (prices_builtin(&price_table, &err) != BT_OK)
    price_table = NULL; /* no prices: costs show as 0, never a guess */
}

static double cost_with(const char *provider, const char *model, int64_t in, int64_t out,
                        int batch) {
  if (!provider || strcmp(provider, "local") == 0 || !model)
    return 0.0;
  pthread_once(&price_once, price_load);
  const bt_price *p = price_table ? prices_find(price_table, model, provider) : NULL;
  if (!p)
    return 0.0;
  double pin = batch ? p->batch_input : p->input, pout = batch ? p->batch_output : p->output;
  return (pin * (double)in + pout * (double)out) / 1e6;
}

double provider_cost_usd(const char *provider, const char *model, int64_t input_tokens,
                         int64_t output_tokens) {
  return cost_with(provider, model, input_tokens, output_tokens, 1);
}

double provider_cost_std_usd(const char *provider, const char *model, int64_t input_tokens,
                             int64_t output_tokens) {
  return cost_with(provider, model, input_tokens, output_tokens, 0);
}

int provider_price_known(const char *provider, const char *model) {
  if (provider && strcmp(provider, "local") == 0)
    return 1;
  if (!provider || !model)
    return 0;
  pthread_once(&price_once, price_load);
  return price_table && prices_find(price_table, model, provider) != NULL;
}
