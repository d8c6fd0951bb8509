/* test_sim_http: helpers for the sim's C tests: an in-process batchtop-sim on a free port with
 * an optional fake clock, and one-call HTTP over libcurl. Included by tests/unit/test_sim_*.c
 * (static functions: each test program gets its own copy). */
#ifndef BT_TEST_SIM_HTTP_H
#define BT_TEST_SIM_HTTP_H

#include <curl/curl.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "testutil.h"

#define TH_UNUSED __attribute__((unused))

typedef struct th_resp {
  long status;
  char *body;
  size_t len;
  char *headers; /* raw header block, lowercase names not guaranteed */
  size_t hlen;
  CURLcode curl;
  double seconds;
} th_resp;

static atomic_llong th_fake_now;
TH_UNUSED static int64_t th_clock(void *ctx) {
  (void)ctx;
  return atomic_load(&th_fake_now);
}
static long th_timeout_s = 20;
static sim_server *th_sim;
static char th_base[64];

TH_UNUSED static void th_start(const sim_config *cfg, bool fake_clock) {
  char err[256];
  atomic_store(&th_fake_now, 1790000000000LL);
  th_sim = sim_server_start(cfg, 0, fake_clock ? th_clock : NULL, NULL, err, sizeof err);
  if (!th_sim)
    fail_msg("sim_server_start: %s", err);
  snprintf(th_base, sizeof th_base, "http://127.0.0.1:%u", (unsigned)sim_server_port(th_sim));
}

TH_UNUSED static void th_stop(void) {
  sim_server_stop(th_sim);
  th_sim = NULL;
}

/* Move the fake clock and let the sim catch up. */
TH_UNUSED static void th_advance(int64_t ms) {
  atomic_fetch_add(&th_fake_now, ms);
  sim_server_tick(th_sim);
}

TH_UNUSED static size_t th_collect(char *p, size_t size, size_t n, void *ud) {
  th_resp *r = ud;
  r->body = realloc(r->body, r->len + size * n + 1);
  memcpy(r->body + r->len, p, size * n);
  r->len += size * n;
  r->body[r->len] = '\0';
  return size * n;
}

TH_UNUSED static size_t th_collect_header(char *p, size_t size, size_t n, void *ud) {
  th_resp *r = ud;
  r->headers = realloc(r->headers, r->hlen + size * n + 1);
  memcpy(r->headers + r->hlen, p, size * n);
  r->hlen += size * n;
  r->headers[r->hlen] = '\0';
  return size * n;
}

TH_UNUSED static void th_free(th_resp *r) {
  free(r->body);
  free(r->headers);
  memset(r, 0, sizeof *r);
}

typedef enum { TH_OPENAI, TH_ANTHROPIC, TH_NONE } th_auth;

/* METHOD path [JSON body]; a NULL-terminated list of extra headers may follow via hdrs. */
TH_UNUSED static th_resp th_call(const char *method, const char *path, const char *body,
                                 th_auth auth, const char *const *hdrs) {
  th_resp r = {0};
  r.body = calloc(1, 1);
  r.headers = calloc(1, 1);
  CURL *c = curl_easy_init();
  char url[1024];
  snprintf(url, sizeof url, "%s%s", th_base, path);
  struct curl_slist *h = NULL;
  if (auth == TH_OPENAI)
    h = curl_slist_append(h, "Authorization: Bearer sk-test");
  if (auth == TH_ANTHROPIC) {
    h = curl_slist_append(h, "x-api-key: sk-ant-test");
    h = curl_slist_append(h, "anthropic-version: 2023-06-01");
  }
  for (; hdrs && *hdrs; hdrs++)
    h = curl_slist_append(h, *hdrs);
  if (body) {
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  }
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, th_collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, th_collect_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, th_timeout_s);
  r.curl = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &r.seconds);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return r;
}

/* Upload text as a batch input file; returns the file id (heap). */
TH_UNUSED static char *th_upload(const char *text) {
  CURL *c = curl_easy_init();
  th_resp r = {0};
  r.body = calloc(1, 1);
  char url[256];
  snprintf(url, sizeof url, "%s/v1/files", th_base);
  curl_mime *mime = curl_mime_init(c);
  curl_mimepart *p = curl_mime_addpart(mime);
  curl_mime_name(p, "purpose");
  curl_mime_data(p, "batch", CURL_ZERO_TERMINATED);
  p = curl_mime_addpart(mime);
  curl_mime_name(p, "file");
  curl_mime_filename(p, "input.jsonl");
  curl_mime_data(p, text, CURL_ZERO_TERMINATED);
  struct curl_slist *h = curl_slist_append(NULL, "Authorization: Bearer sk-test");
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, th_collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  assert_int_equal(curl_easy_perform(c), CURLE_OK);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_mime_free(mime);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  assert_int_equal(r.status, 200);
  json_t *j = json_loads(r.body, 0, NULL);
  assert_non_null(j);
  char *id = strdup(json_string_value(json_object_get(j, "id")));
  assert_int_equal(json_integer_value(json_object_get(j, "bytes")), (json_int_t)strlen(text));
  json_decref(j);
  th_free(&r);
  return id;
}

/* Call and parse the JSON answer; asserts the status. */
TH_UNUSED static json_t *th_json(const char *method, const char *path, const char *body,
                                 th_auth auth, long want_status) {
  th_resp r = th_call(method, path, body, auth, NULL);
  if (r.status != want_status)
    fail_msg("%s %s: status %ld, want %ld: %s", method, path, r.status, want_status, r.body);
  json_t *j = json_loads(r.body, 0, NULL);
  if (!j)
    fail_msg("%s %s: not JSON: %s", method, path, r.body);
  th_free(&r);
  return j;
}

TH_UNUSED static const char *th_str(const json_t *j, const char *key) {
  return json_string_value(json_object_get(j, key));
}

TH_UNUSED static json_int_t th_int(const json_t *j, const char *path) {
  /* "a.b" walks objects */
  char buf[128];
  snprintf(buf, sizeof buf, "%s", path);
  const json_t *cur = j;
  for (char *save = NULL, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
    cur = json_object_get(cur, k);
  if (!json_is_integer(cur))
    fail_msg("%s is not an integer", path);
  return json_integer_value(cur);
}

/* The header's value (case-insensitive name), copied into out; NULL if absent. */
TH_UNUSED static const char *th_header(const th_resp *r, const char *name, char *out, size_t size) {
  size_t n = strlen(name);
  for (const char *l = r->headers; l && *l;) {
    const char *e = strstr(l, "\r\n");
    if (!e)
      break;
    if (strncasecmp(l, name, n) == 0 && l[n] == ':') {
      const char *v = l + n + 1;
      while (*v == ' ')
        v++;
      snprintf(out, size, "%.*s", (int)(e - v), v);
      return out;
    }
    l = e + 2;
  }
  return NULL;
}

/* Lines of a JSONL text as a JSON array. */
TH_UNUSED static json_t *th_jsonl(const char *text) {
  json_t *arr = json_array();
  const char *p = text;
  while (*p) {
    const char *e = strchr(p, '\n');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len) {
      json_t *j = json_loadb(p, len, 0, NULL);
      assert_non_null(j);
      json_array_append_new(arr, j);
    }
    p += len + (e ? 1 : 0);
  }
  return arr;
}

#endif
