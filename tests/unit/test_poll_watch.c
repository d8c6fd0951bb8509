/* Unit tests: poll_watch on a fake clock: a 404 batch is lost when the limit has passed and not
 * before, backoff doubles and is capped, the last look lands on the limit, a good answer starts
 * over, an unknown status backs off to the cap and never polls faster than the interval. */
#include <stdlib.h>

#include "poll_watch.h"
#include "testutil.h"

static const bt_poll_limits limits = {.lost_ms = 30000,
                                      .unreadable_ms = 90000,
                                      .backoff_ms = 1000,
                                      .max_ms = 60000,
                                      .disk_full_ms = 30000};

/* Bad answers from t0, each look when the watch says: how many looks until it gives up, and at
 * what time. */
static int looks_until_give_up(int64_t t0, int64_t limit, int64_t *at) {
  bt_poll_watch w = {0};
  int64_t now = t0, delay = 0;
  int looks = 0;
  while (!poll_watch_bad(&w, now, limit, &limits, &delay)) {
    looks++;
    assert_true(delay > 0);
    assert_true(delay <= limit / 4);
    now += delay;
    assert_true(looks < 1000);
  }
  *at = now;
  return looks + 1;
}

static void test_lost_within_the_limit(void **state) {
  (void)state;
  int64_t at;
  int looks = looks_until_give_up(5000, limits.lost_ms, &at);
  /* 1 s, 2 s, 4 s, then 7.5 s (a quarter of 30 s) until the limit, exactly at it */
  assert_int_equal(at, 5000 + 30000);
  assert_int_equal(looks, 1 + 3 + 3 + 1);
  /* the unreadable limit: inside two minutes, a handful of looks (not one every poll) */
  looks = looks_until_give_up(0, limits.unreadable_ms, &at);
  assert_int_equal(at, 90000);
  assert_true(looks < 15);
}

static void test_first_delays_double(void **state) {
  (void)state;
  bt_poll_watch w = {0};
  int64_t d;
  assert_int_equal(poll_watch_bad(&w, 100, 30000, &limits, &d), 0);
  assert_int_equal(d, 1000);
  assert_int_equal(poll_watch_bad(&w, 1100, 30000, &limits, &d), 0);
  assert_int_equal(d, 2000);
  assert_int_equal(poll_watch_bad(&w, 3100, 30000, &limits, &d), 0);
  assert_int_equal(d, 4000);
  /* a good answer in between starts over: the limit counts from the next bad one */
  poll_watch_reset(&w);
  assert_int_equal(poll_watch_bad(&w, 29000, 30000, &limits, &d), 0);
  assert_int_equal(d, 1000);
  assert_int_equal(poll_watch_bad(&w, 40000, 30000, &limits, &d), 0);
  assert_int_equal(poll_watch_bad(&w, 59000, 30000, &limits, &d), 1);
}

static void test_unknown_status_backs_off(void **state) {
  (void)state;
  bt_poll_watch w = {0};
  int64_t now = 0, polls = 0;
  /* ten minutes of an unknown status with a 50 ms poll interval: a fixed loop polls 12,000
   * times; the backoff a few dozen, never faster than the interval */
  while (now < 600000) {
    int64_t d = poll_watch_unknown(&w, now, 50, &limits);
    assert_true(d >= 50);
    assert_true(d <= limits.max_ms);
    now += d;
    polls++;
  }
  assert_true(polls < 20);
  /* a slow poll interval is kept */
  poll_watch_reset(&w);
  assert_int_equal(poll_watch_unknown(&w, 0, 5000, &limits), 5000);
}

static void test_limits_from_env(void **state) {
  (void)state;
  setenv("BATCHTOP_LOST_MS", "1500", 1);
  setenv("BATCHTOP_UNREADABLE_MS", "nonsense", 1);
  unsetenv("BATCHTOP_BACKOFF_MS");
  bt_poll_limits l;
  poll_limits_from_env(&l);
  assert_int_equal(l.lost_ms, 1500);
  assert_int_equal(l.unreadable_ms, 90000);
  assert_int_equal(l.backoff_ms, 1000);
  assert_int_equal(l.disk_full_ms, 30000);
  unsetenv("BATCHTOP_LOST_MS");
  unsetenv("BATCHTOP_UNREADABLE_MS");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lost_within_the_limit),
      cmocka_unit_test(test_first_delays_double),
      cmocka_unit_test(test_unknown_status_backs_off),
      cmocka_unit_test(test_limits_from_env),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
