/* Unit tests: the HTTP retry policy (headers, classification, backoff) and the line splitter. */
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "testutil.h"

static void feed(bt_http_hdrs *h, const char *line) { http_hdrs_feed(h, line, strlen(line), 0); }

static void test_retry_after_headers(void **state) {
  (void)state;
  bt_http_hdrs h;
  http_hdrs_init(&h);
  feed(&h, "Retry-After: 2\r\n");
  assert_int_equal(h.retry_after_ms, 2000);
  /* retry-after-ms wins whatever the order */
  feed(&h, "retry-after-ms: 150\r\n");
  assert_int_equal(h.retry_after_ms, 150);
  feed(&h, "retry-after: 9\r\n");
  assert_int_equal(h.retry_after_ms, 150);
  http_hdrs_init(&h);
  feed(&h, "retry-after: 1.5\r\n");
  assert_int_equal(h.retry_after_ms, 1500);
  assert_int_equal(http_parse_retry_after("garbage", 0), -1);
  /* an HTTP date 30 s after "now" */
  int64_t now = (int64_t)1445412480 * 1000; /* Wed, 21 Oct 2015 07:28:00 GMT */
  assert_int_equal(http_parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now), 30000);
  feed(&h, "X-Should-Retry: false\r\n");
  assert_int_equal(h.should_retry, 0);
  feed(&h, "x-should-retry: true\r\n");
  assert_int_equal(h.should_retry, 1);
  feed(&h, "x-ratelimit-remaining-requests: 0\r\n");
  feed(&h, "x-ratelimit-reset-requests: 6m0s\r\n");
  feed(&h, "x-ratelimit-reset-tokens: 20ms\r\n");
  feed(&h, "x-request-id: req_123\r\n");
  assert_int_equal(h.rl_remaining_requests, 0);
  assert_int_equal(h.rl_reset_requests_ms, 360000);
  assert_int_equal(h.rl_reset_tokens_ms, 20);
  assert_string_equal(h.request_id, "req_123");
}

static void test_durations(void **state) {
  (void)state;
  assert_int_equal(http_parse_duration("1s"), 1000);
  assert_int_equal(http_parse_duration("1h2m3.5s"), 3723500);
  assert_int_equal(http_parse_duration("250ms"), 250);
  assert_int_equal(http_parse_duration("x"), -1);
  assert_int_equal(http_parse_duration(""), -1);
}

static void test_decide(void **state) {
  (void)state;
  bt_http_hdrs h;
  http_hdrs_init(&h);
  int64_t d;
  assert_int_equal(http_decide(200, 0, &h, NULL, 0, 0, 120000, &d), HTTP_DONE);
  long retry[] = {408, 409, 429, 500, 502, 503, 529};
  for (size_t i = 0; i < sizeof retry / sizeof retry[0]; i++)
    assert_int_equal(http_decide(retry[i], 0, &h, NULL, 0, 0, 120000, &d), HTTP_RETRY);
  long fatal[] = {400, 401, 403, 404, 422};
  for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
    assert_int_equal(http_decide(fatal[i], 0, &h, NULL, 0, 0, 120000, &d), HTTP_FATAL);
  /* connection errors retry; insufficient_quota never does, even as a 429 */
  assert_int_equal(http_decide(0, 1, &h, NULL, 0, 0, 120000, &d), HTTP_RETRY);
  assert_int_equal(http_decide(429, 0, &h, "insufficient_quota", 0, 0, 120000, &d), HTTP_FATAL);
  /* x-should-retry overrides the status rule both ways */
  h.should_retry = 0;
  assert_int_equal(http_decide(503, 0, &h, NULL, 0, 0, 120000, &d), HTTP_FATAL);
  h.should_retry = 1;
  assert_int_equal(http_decide(400, 0, &h, NULL, 0, 0, 120000, &d), HTTP_RETRY);
  /* Retry-After is the delay; above the provider's maximum we give up */
  http_hdrs_init(&h);
  h.retry_after_ms = 700;
  assert_int_equal(http_decide(429, 0, &h, NULL, 3, 0.5, 120000, &d), HTTP_RETRY);
  assert_int_equal(d, 700);
  h.retry_after_ms = 121000;
  assert_int_equal(http_decide(429, 0, &h, NULL, 0, 0, 120000, &d), HTTP_FATAL);
}

static void test_backoff(void **state) {
  (void)state;
  assert_int_equal(http_backoff_ms(0, 0), 500);
  assert_int_equal(http_backoff_ms(1, 0), 1000);
  assert_int_equal(http_backoff_ms(4, 0), 8000);
  assert_int_equal(http_backoff_ms(30, 0), 8000); /* capped */
  for (int a = 0; a < 8; a++) {
    int64_t lo = http_backoff_ms(a, 0.9999), hi = http_backoff_ms(a, 0);
    assert_true(lo <= hi && lo >= hi * 3 / 4); /* jitter takes at most 25 % */
  }
}

static void test_error_envelopes(void **state) {
  (void)state;
  char code[64], msg[256];
  const char *oa = "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"tokens\","
                   "\"param\":null,\"code\":\"rate_limit_exceeded\"}}";
  http_error_parse(oa, strlen(oa), code, sizeof code, msg, sizeof msg);
  assert_string_equal(code, "rate_limit_exceeded");
  assert_string_equal(msg, "Rate limit reached");
  const char *an = "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":"
                   "\"Overloaded\"},\"request_id\":\"req_1\"}";
  http_error_parse(an, strlen(an), code, sizeof code, msg, sizeof msg);
  assert_string_equal(code, "overloaded_error");
  assert_string_equal(msg, "Overloaded");
  http_error_parse("not json", 8, code, sizeof code, msg, sizeof msg);
  assert_string_equal(code, "");
}

typedef struct {
  int n;
  char seen[8][32];
} collect;

static bt_status on_line(void *ud, const char *line, size_t len) {
  collect *c = ud;
  if (c->n < 8) {
    memcpy(c->seen[c->n], line, len < 31 ? len : 31);
    c->seen[c->n][len < 31 ? len : 31] = '\0';
  }
  c->n++;
  return BT_OK;
}

static void test_lines(void **state) {
  (void)state;
  collect c;
  memset(&c, 0, sizeof c);
  bt_lines l;
  lines_init(&l, on_line, &c);
  /* split across chunks at awkward places; CRLF trimmed; blank lines skipped */
  const char *parts[] = {"ab", "c\r\nde", "f\n\n", "gh", "i"};
  for (size_t i = 0; i < 5; i++)
    assert_int_equal(lines_feed(&l, parts[i], strlen(parts[i])), BT_OK);
  assert_int_equal(c.n, 2);
  assert_int_equal(lines_finish(&l), BT_OK);
  assert_int_equal(c.n, 3);
  assert_string_equal(c.seen[0], "abc");
  assert_string_equal(c.seen[1], "def");
  assert_string_equal(c.seen[2], "ghi");
  lines_cleanup(&l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_retry_after_headers), cmocka_unit_test(test_durations),
      cmocka_unit_test(test_decide),              cmocka_unit_test(test_backoff),
      cmocka_unit_test(test_error_envelopes),     cmocka_unit_test(test_lines),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
