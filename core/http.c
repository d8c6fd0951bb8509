/* http: retry policy, line splitter, one curl easy transfer. */
#define _XOPEN_SOURCE 700 /* strptime */
#include "http.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "secret.h"
#include "util.h"

#define HTTP_BODY_MAX (64u * 1024u * 1024u)

void http_hdrs_init(bt_http_hdrs *h) {
  h->retry_after_ms = -1;
  h->should_retry = -1;
  h->rl_remaining_requests = -1;
  h->rl_remaining_tokens = -1;
  h->rl_reset_requests_ms = -1;
  h->rl_reset_tokens_ms = -1;
  h->request_id[0] = '\0';
}

int64_t http_parse_duration(const char *v) {
  if (!v)
    return -1;
  while (*v == ' ')
    v++;
  if (!*v)
    return -1;
  double total = 0;
  int any = 0;
  while (*v && *v != '\r' && *v != '\n' && *v != ' ') {
    char *end;
    double x = strtod(v, &end);
    if (end == v || x < 0)
      return -1;
    v = end;
    double unit;
    if (v[0] == 'm' && v[1] == 's') {
      unit = 1;
      v += 2;
    } else if (v[0] == 'h') {
      unit = 3600000;
      v++;
    } else if (v[0] == 'm') {
      unit = 60000;
      v++;
    } else if (v[0] == 's') {
      unit = 1000;
      v++;
    } else if (!*v || *v == '\r' || *v == '\n' || *v == ' ') {
      unit = 1000; /* a bare number: seconds */
    } else {
      return -1;
    }
    total += x * unit;
    any = 1;
  }
  return any ? (int64_t)llround(total) : -1;
}

static int64_t parse_http_date(const char *v, int64_t now_ms) {
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  const char *end = strptime(v, "%a, %d %b %Y %H:%M:%S", &tm);
  if (!end)
    return -1;
  int64_t t = (int64_t)timegm(&tm) * 1000;
  return t > now_ms ? t - now_ms : 0;
}

int64_t http_parse_retry_after(const char *v, int64_t now_ms) {
  if (!v)
    return -1;
  while (*v == ' ')
    v++;
  if (!*v)
    return -1;
  char *end;
  double x = strtod(v, &end);
  if (end != v) {
    while (*end == ' ' || *end == '\r' || *end == '\n')
      end++;
    if (*end || x < 0 || !isfinite(x))
      return -1;
    return (int64_t)llround(x * 1000.0);
  }
  return parse_http_date(v, now_ms);
}

/* Header value into buf when the line's name matches (case-insensitive); else NULL. */
static const char *header_value(const char *line, size_t len, const char *name, char *buf,
                                size_t size) {
  size_t n = strlen(name);
  if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
    return NULL;
  const char *v = line + n + 1;
  const char *e = line + len;
  while (v < e && (*v == ' ' || *v == '\t'))
    v++;
  while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' '))
    e--;
  size_t k = (size_t)(e - v);
  if (k >= size)
    k = size - 1;
  memcpy(buf, v, k);
  buf[k] = '\0';
  return buf;
}

void http_hdrs_feed(bt_http_hdrs *h, const char *line, size_t len, int64_t now_ms) {
  char v[256];
  if (header_value(line, len, "retry-after-ms", v, sizeof v)) {
    char *end;
    double x = strtod(v, &end);
    if (end != v && x >= 0)
      h->retry_after_ms = (int64_t)llround(x); /* checked first: wins over retry-after */
  } else if (header_value(line, len, "retry-after", v, sizeof v)) {
    int64_t ms = http_parse_retry_after(v, now_ms);
    if (ms >= 0 && h->retry_after_ms < 0)
      h->retry_after_ms = ms;
  } else if (header_value(line, len, "x-should-retry", v, sizeof v)) {
    if (strcasecmp(v, "true") == 0)
      h->should_retry = 1;
    else if (strcasecmp(v, "false") == 0)
      h->should_retry = 0;
  } else if (header_value(line, len, "x-ratelimit-remaining-requests", v, sizeof v)) {
    h->rl_remaining_requests = strtoll(v, NULL, 10);
  } else if (header_value(line, len, "x-ratelimit-remaining-tokens", v, sizeof v)) {
    h->rl_remaining_tokens = strtoll(v, NULL, 10);
  } else if (header_value(line, len, "x-ratelimit-reset-requests", v, sizeof v)) {
    h->rl_reset_requests_ms = http_parse_duration(v);
  } else if (header_value(line, len, "x-ratelimit-reset-tokens", v, sizeof v)) {
    h->rl_reset_tokens_ms = http_parse_duration(v);
  } else if (header_value(line, len, "x-request-id", v, sizeof v) ||
             header_value(line, len, "request-id", v, sizeof v)) {
    util_strlcpy(h->request_id, v, sizeof h->request_id);
  }
}

int64_t http_backoff_ms(int attempt, double jitter01) {
  if (attempt < 0)
    attempt = 0;
  double d = 500.0 * pow(2.0, attempt > 10 ? 10 : attempt);
  if (d > 8000.0)
    d = 8000.0;
  return (int64_t)(d * (1.0 - 0.25 * jitter01));
}

bt_http_verdict http_decide(long status, int curl_failed, const bt_http_hdrs *h,
                            const char *error_code, int attempt, double jitter01,
                            int64_t max_retry_after_ms, int64_t *delay_ms) {
  *delay_ms = 0;
  if (!curl_failed && status >= 200 && status < 300)
    return HTTP_DONE;
  int retry;
  if (curl_failed)
    retry = 1;
  else if (error_code && strcmp(error_code, "insufficient_quota") == 0)
    retry = 0; /* billing: waiting does not help, even though it comes as a 429 */
  else if (h && h->should_retry >= 0)
    retry = h->should_retry;
  else
    retry = status == 408 || status == 409 || status == 429 || status >= 500;
  if (!retry)
    return HTTP_FATAL;
  if (h && h->retry_after_ms > 0) {
    if (max_retry_after_ms > 0 && h->retry_after_ms > max_retry_after_ms)
      return HTTP_FATAL;
    *delay_ms = h->retry_after_ms;
  } else {
    *delay_ms = http_backoff_ms(attempt, jitter01);
  }
  return HTTP_RETRY;
}

void http_error_parse(const char *body, size_t len, char *code, size_t code_size, char *message,
                      size_t message_size) {
  code[0] = message[0] = '\0';
  if (!body || !len)
    return;
  json_t *root = json_loadb(body, len, 0, NULL);
  if (!root)
    return;
  json_t *e = json_object_get(root, "error");
  if (json_is_object(e)) {
    const char *c = json_string_value(json_object_get(e, "code"));
    if (!c)
      c = json_string_value(json_object_get(e, "type"));
    const char *m = json_string_value(json_object_get(e, "message"));
    util_strlcpy(code, c ? c : "", code_size);
    util_strlcpy(message, m ? m : "", message_size);
  } else if (json_is_string(e)) {
    util_strlcpy(message, json_string_value(e), message_size);
  }
  json_decref(root);
}

/* ---- lines ---- */

void lines_init(bt_lines *l, bt_line_fn fn, void *ud) {
  buf_init(&l->partial, HTTP_BODY_MAX);
  l->fn = fn;
  l->ud = ud;
  l->failed = BT_OK;
  l->n_lines = 0;
}

void lines_cleanup(bt_lines *l) {
  buf_cleanup(&l->partial);
}

static bt_status lines_emit(bt_lines *l, const char *p, size_t n) {
  while (n && (p[n - 1] == '\r' || p[n - 1] == '\n'))
    n--;
  if (!n)
    return BT_OK;
  l->n_lines++;
  bt_status st = l->fn(l->ud, p, n);
  if (st)
    l->failed = st;
  return st;
}

bt_status lines_feed(bt_lines *l, const char *data, size_t n) {
  if (l->failed)
    return l->failed;
  while (n) {
    const char *nl = memchr(data, '\n', n);
    if (!nl) {
      if (buf_append(&l->partial, data, n))
        return l->failed = BT_ERR_LIMIT;
      return BT_OK;
    }
    size_t k = (size_t)(nl - data);
    bt_status st;
    if (l->partial.len) {
      if (buf_append(&l->partial, data, k))
        return l->failed = BT_ERR_LIMIT;
      st = lines_emit(l, l->partial.data, l->partial.len);
      buf_reset(&l->partial);
    } else {
      st = lines_emit(l, data, k); /* the common case: no copy */
    }
    if (st)
      return st;
    data = nl + 1;
    n -= k + 1;
  }
  return BT_OK;
}

bt_status lines_finish(bt_lines *l) {
  if (l->failed)
    return l->failed;
  bt_status st = BT_OK;
  if (l->partial.len)
    st = lines_emit(l, l->partial.data, l->partial.len);
  buf_reset(&l->partial);
  return st;
}

/* ---- transfers ---- */

static size_t on_header(char *data, size_t size, size_t n, void *ud) {
  bt_http_req *r = ud;
  size_t len = size * n;
  /* A new status line (redirect, 100-continue) starts a fresh header set. */
  if (len >= 5 && strncmp(data, "HTTP/", 5) == 0)
    http_hdrs_init(&r->hdrs);
  else
    http_hdrs_feed(&r->hdrs, data, len, util_now_ms());
  return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud) {
  bt_http_req *r = ud;
  size_t len = size * n;
  long code = 0;
  curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
  /* Only a 2xx body goes to the line sink; an error body is kept for its message. */
  if (r->lines && code >= 200 && code < 300) {
    if (lines_feed(r->lines, data, len) != BT_OK)
      return 0; /* aborts the transfer; the engine sees lines->failed */
    return len;
  }
  if (buf_append(&r->body, data, len) != BT_OK)
    return 0;
  return len;
}

bt_status http_req_new(const char *method, const char *url, long timeout_ms, bt_http_req **out,
                       bt_error *err) {
  *out = NULL;
  bt_http_req *r = calloc(1, sizeof *r);
  if (!r)
    return error_set(err, BT_ERR_NOMEM, "out of memory");
  buf_init(&r->body, HTTP_BODY_MAX);
  http_hdrs_init(&r->hdrs);
  r->easy = curl_easy_init();
  if (!r->easy) {
    free(r);
    return error_set(err, BT_ERR_NOMEM, "curl_easy_init failed");
  }
  CURL *e = r->easy;
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PRIVATE, r);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->curl_err);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 15000L);
  if (timeout_ms > 0)
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
  /* A stalled download is a connection error (and retried), not a hang. */
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 120L);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "batchtop/" BATCHTOP_VERSION);
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  if (strcmp(method, "POST") == 0) {
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
  } else if (strcmp(method, "GET") != 0) {
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
  }
  r->started_ms = util_mono_ms();
  *out = r;
  return BT_OK;
}

void http_req_free(bt_http_req *r) {
  if (!r)
    return;
  if (r->easy)
    curl_easy_cleanup(r->easy);
  curl_slist_free_all(r->headers);
  curl_mime_free(r->mime);
  if (r->upload)
    fclose(r->upload);
  free(r->body_copy);
  buf_cleanup(&r->body);
  free(r);
}

bt_status http_req_header(bt_http_req *r, const char *line, bt_error *err) {
  struct curl_slist *n = curl_slist_append(r->headers, line);
  if (!n)
    return error_set(err, BT_ERR_NOMEM, "out of memory");
  r->headers = n;
  curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers);
  return BT_OK;
}

bt_status http_req_body(bt_http_req *r, const char *json, size_t len, bt_error *err) {
  free(r->body_copy);
  r->body_copy = malloc(len + 1);
  if (!r->body_copy)
    return error_set(err, BT_ERR_NOMEM, "out of memory");
  memcpy(r->body_copy, json, len);
  r->body_copy[len] = '\0';
  curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
  curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->body_copy);
  return http_req_header(r, "Content-Type: application/json", err);
}

static size_t on_read(char *buffer, size_t size, size_t n, void *ud) {
  return fread(buffer, size, n, (FILE *)ud);
}

bt_status http_req_body_file(bt_http_req *r, const char *path, bt_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return error_set_at(err, BT_ERR_IO, path, 0, 0, "cannot open the request body");
  if (fseeko(f, 0, SEEK_END) != 0) {
    fclose(f);
    return error_set_at(err, BT_ERR_IO, path, 0, 0, "cannot size the request body");
  }
  off_t size = ftello(f);
  rewind(f);
  r->upload = f;
  curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, NULL);
  curl_easy_setopt(r->easy, CURLOPT_POST, 1L);
  curl_easy_setopt(r->easy, CURLOPT_READFUNCTION, on_read);
  curl_easy_setopt(r->easy, CURLOPT_READDATA, f);
  curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)size);
  return http_req_header(r, "Content-Type: application/json", err);
}

bt_status http_req_mime_file(bt_http_req *r, const char *file_field, const char *path,
                             const char *filename, const char *text_field, const char *text_value,
                             bt_error *err) {
  r->mime = curl_mime_init(r->easy);
  if (!r->mime)
    return error_set(err, BT_ERR_NOMEM, "curl_mime_init failed");
  curl_mimepart *p = curl_mime_addpart(r->mime);
  curl_mime_name(p, text_field);
  curl_mime_data(p, text_value, CURL_ZERO_TERMINATED);
  p = curl_mime_addpart(r->mime);
  curl_mime_name(p, file_field);
  /* filedata streams the file from disk while sending; it is never loaded whole. */
  if (curl_mime_filedata(p, path) != CURLE_OK)
    return error_set_at(err, BT_ERR_IO, path, 0, 0, "cannot read the upload file");
  curl_mime_filename(p, filename);
  curl_mime_type(p, "application/jsonl");
  curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, NULL);
  curl_easy_setopt(r->easy, CURLOPT_MIMEPOST, r->mime);
  return BT_OK;
}

void http_req_once(bt_http_req *r) {
  /* libcurl re-sends a request by itself when a reused connection dies before any byte of the
   * answer ("Connection died, retrying a fresh connect", Curl_retry_request); it does so only
   * for a reused connection. A fresh connection, never kept for another request, rules that
   * out (CURLOPT_FORBID_RETRY_ON_REUSE would too, from curl 8.16). */
  curl_easy_setopt(r->easy, CURLOPT_FRESH_CONNECT, 1L);
  curl_easy_setopt(r->easy, CURLOPT_FORBID_REUSE, 1L);
}

long http_test_timeout_ms(long dflt) {
  /* Test-only hook: BATCHTOP_TEST_HTTP_TIMEOUT_MS replaces the client timeout of the requests
   * that have one (creates, lists, polls), so tests can make a create slower than it in a
   * second instead of a minute. */
  const char *v = getenv("BATCHTOP_TEST_HTTP_TIMEOUT_MS");
  long ms = v ? atol(v) : 0;
  return ms > 0 ? ms : dflt;
}

void http_req_lines(bt_http_req *r, bt_lines *l) {
  r->lines = l;
}

int http_req_net_failed(const bt_http_req *r) {
  return r->cc != CURLE_OK;
}

const char *http_req_describe(const bt_http_req *r, char *buf, size_t size) {
  if (r->cc != CURLE_OK) {
    snprintf(buf, size, "network error: %s",
             r->curl_err[0] ? r->curl_err : curl_easy_strerror(r->cc));
  } else {
    char code[96], msg[300];
    http_error_parse(r->body.data, r->body.len, code, sizeof code, msg, sizeof msg);
    if (msg[0])
      snprintf(buf, size, "HTTP %ld%s%s: %s", r->status, code[0] ? " " : "", code, msg);
    else
      snprintf(buf, size, "HTTP %ld", r->status);
  }
  secret_scrub(buf);
  return buf;
}
