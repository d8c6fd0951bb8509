/* Unit tests: the adaptive concurrency controller of provider `local` (local_conc.c): its
 * decisions over observed latencies and errors on a fake clock, and a model of a small server
 * (2 slots, a listen backlog of 5, connects beyond it dropped and retried by TCP after 1, 2,
 * 4 s) on which it finishes 60 requests near the ideal time while a fixed 64 stalls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "local_conc.h"
#include "testutil.h"

/* One round at the current limit: every request sent at t, answered lat ms later, the limit
 * fully used. Returns the action of the round's last completion. */
static bt_local_action round_at(bt_local_conc *c, int64_t *t, double lat, bt_local_decision *d) {
  int n = c->limit;
  for (int i = 1; i <= n; i++)
    local_conc_sent(c, i);
  bt_local_action a = LOCAL_KEEP;
  for (int i = 0; i < n; i++) {
    a = local_conc_done(c, *t + (int64_t)lat, *t, 0, LOCAL_OK, d);
    if (a != LOCAL_KEEP)
      break;
  }
  *t += (int64_t)lat;
  return a;
}

static void test_starts_low_and_grows(void **state) {
  (void)state;
  bt_local_conc c;
  local_conc_init(&c, 64);
  assert_int_equal(c.limit, 2);
  int64_t t = 1000;
  bt_local_decision d;
  /* Doubling while latency holds, up to the ceiling and no further. */
  int want[] = {4, 8, 16, 32, 64};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    assert_int_equal(round_at(&c, &t, 20, &d), LOCAL_GROW);
    assert_int_equal(d.to, want[i]);
    assert_non_null(strstr(d.reason, "latency holds"));
  }
  assert_int_equal(round_at(&c, &t, 20, &d), LOCAL_KEEP);
  assert_int_equal(c.limit, 64);
  /* A ceiling below the start is the start. */
  local_conc_init(&c, 1);
  assert_int_equal(c.limit, 1);
  assert_int_equal(round_at(&c, &t, 20, &d), LOCAL_KEEP);
  local_conc_init(&c, 0);
  assert_int_equal(c.limit, 1);
}

static void test_no_growth_without_use(void **state) {
  (void)state;
  bt_local_conc c;
  local_conc_init(&c, 64);
  int64_t t = 0;
  /* Only one request at a time although two are allowed: a round passes, nothing grows. */
  for (int i = 0; i < 10; i++) {
    local_conc_sent(&c, 1);
    assert_int_equal(local_conc_done(&c, t + 10, t, 0, LOCAL_OK, NULL), LOCAL_KEEP);
    t += 10;
  }
  assert_int_equal(c.limit, 2);
}

static void test_errors_back_off_once_per_stall(void **state) {
  (void)state;
  bt_local_conc c;
  local_conc_init(&c, 64);
  int64_t t = 0;
  bt_local_decision d;
  for (int i = 0; i < 4; i++)
    round_at(&c, &t, 10, &d);
  assert_int_equal(c.limit, 32);
  /* A failed connect halves the limit and says why. */
  assert_int_equal(local_conc_done(&c, t + 5, t, 0, LOCAL_CONNECT_ERR, &d), LOCAL_BACK_OFF);
  assert_int_equal(d.from, 32);
  assert_int_equal(d.to, 16);
  assert_non_null(strstr(d.reason, "connect failed"));
  /* Others of the same stall (sent before the back off) do not halve it again. */
  assert_int_equal(local_conc_done(&c, t + 6, t, 0, LOCAL_CONNECT_ERR, &d), LOCAL_KEEP);
  assert_int_equal(local_conc_done(&c, t + 6, t, 0, LOCAL_TIMEOUT, &d), LOCAL_KEEP);
  assert_int_equal(c.limit, 16);
  assert_int_equal(c.backoffs, 1);
  /* ...nor does their latency count toward a round at the new limit. */
  assert_int_equal(c.n, 0);
  local_conc_done(&c, t + 900, t, 0, LOCAL_OK, &d);
  assert_int_equal(c.n, 0);
  /* A timeout of a request sent after it does. */
  t += 10;
  assert_int_equal(local_conc_done(&c, t + 30000, t, 0, LOCAL_TIMEOUT, &d), LOCAL_BACK_OFF);
  assert_int_equal(d.to, 8);
  assert_non_null(strstr(d.reason, "timed out"));
  t += 30001;
  assert_int_equal(local_conc_done(&c, t + 3, t, 0, LOCAL_OVERLOADED, &d), LOCAL_BACK_OFF);
  assert_int_equal(d.to, 4);
  assert_non_null(strstr(d.reason, "503 (overloaded)"));
  t += 3;
  /* After a back off growth is by an eighth (at least one), not doubling. */
  assert_int_equal(round_at(&c, &t, 10, &d), LOCAL_GROW);
  assert_int_equal(d.to, 5);
  c.limit = 40;
  assert_int_equal(round_at(&c, &t, 10, &d), LOCAL_GROW);
  assert_int_equal(d.to, 45);
  /* Never below one. */
  c.limit = 1;
  t += 100;
  local_conc_done(&c, t + 1, t, 0, LOCAL_CONNECT_ERR, &d);
  assert_int_equal(c.limit, 1);
}

static void test_slow_connect_and_queueing(void **state) {
  (void)state;
  bt_local_conc c;
  local_conc_init(&c, 64);
  int64_t t = 0;
  bt_local_decision d;
  round_at(&c, &t, 50, &d); /* best 50 ms; 4 */
  round_at(&c, &t, 60, &d); /* 8 */
  assert_int_equal(c.limit, 8);
  /* A connect of a second: a SYN the kernel dropped, retried by TCP. */
  assert_int_equal(local_conc_done(&c, t + 1100, t, 1030.0, LOCAL_OK, &d), LOCAL_BACK_OFF);
  assert_int_equal(d.to, 4);
  assert_non_null(strstr(d.reason, "connect took 1.0 s"));
  assert_non_null(strstr(d.reason, "listen backlog"));
  /* A slowish connect is not one. */
  t += 1200;
  assert_int_equal(local_conc_done(&c, t + 400, t, 300.0, LOCAL_OK, &d), LOCAL_KEEP);
  /* Latency far above the best round (the server queues): three quarters. */
  c.n = 0;
  c.sum_ms = 0;
  assert_int_equal(round_at(&c, &t, 150, &d), LOCAL_BACK_OFF);
  assert_int_equal(d.from, 4);
  assert_int_equal(d.to, 3);
  assert_non_null(strstr(d.reason, "latency rose to 150 ms from a best of 50 ms"));
  /* Within 2x + 10 ms it holds. */
  assert_int_equal(round_at(&c, &t, 105, &d), LOCAL_GROW);
}

/* ---- a small server, modelled on a 1 ms fake clock ---- */

typedef struct {
  int64_t sent, connected, retry_at, done_at;
  int state; /* 0 waiting to connect (SYN), 1 in the accept queue, 2 served, 3 done */
  int syns;
} mreq;

/* Run n requests of service_ms each against `slots` slots and an accept queue of `aqn` (a
 * backlog of 5 holds 6); ctl NULL: a fixed limit of `fixed`. Returns the ms taken;
 * *peak_limit: the highest limit used. */
static int64_t model_run(int slots, int aqn, int n, int service_ms, bt_local_conc *ctl, int fixed,
                         int *peak_limit) {
  mreq *r = calloc((size_t)n, sizeof *r);
  assert_non_null(r);
  int sent = 0, done = 0, inflight = 0, queued = 0, serving = 0;
  int64_t t = 0;
  *peak_limit = 0;
  int *aq = calloc((size_t)n, sizeof *aq); /* accept queue, FIFO of request indexes */
  int aq_head = 0, aq_tail = 0;
  for (; done < n && t < 600000; t++) {
    /* the server: finish, then take connections while a slot is free */
    for (int i = 0; i < sent; i++)
      if (r[i].state == 2 && r[i].done_at <= t) {
        r[i].state = 3;
        serving--;
        inflight--;
        done++;
        if (ctl)
          local_conc_done(ctl, t, r[i].sent, (double)(r[i].connected - r[i].sent), LOCAL_OK, NULL);
      }
    while (serving < slots && aq_head < aq_tail) {
      mreq *m = &r[aq[aq_head++]];
      queued--;
      m->state = 2;
      m->done_at = t + service_ms;
      serving++;
    }
    /* the client: new requests up to the limit, SYNs due */
    int limit = ctl ? ctl->limit : fixed;
    if (limit > *peak_limit)
      *peak_limit = limit;
    while (sent < n && inflight < limit) {
      r[sent].sent = t;
      r[sent].retry_at = t;
      sent++;
      inflight++;
      if (ctl)
        local_conc_sent(ctl, inflight);
    }
    for (int i = 0; i < sent; i++) {
      mreq *m = &r[i];
      if (m->state != 0 || m->retry_at > t)
        continue;
      if (queued < aqn) {
        m->state = 1;
        m->connected = t;
        aq[aq_tail++] = i;
        queued++;
      } else { /* dropped: TCP retries after 1 s, then 2, 4, ... */
        m->retry_at = t + (1000LL << m->syns);
        m->syns++;
      }
    }
  }
  free(r);
  free(aq);
  return t;
}

static void test_small_server_model(void **state) {
  (void)state;
  int peak;
  int64_t fixed = model_run(2, 6, 60, 50, NULL, 64, &peak);
  bt_local_conc c;
  local_conc_init(&c, 64);
  int64_t adaptive = model_run(2, 6, 60, 50, &c, 0, &peak);
  printf("60 requests, 2 slots of 50 ms, backlog 5: fixed 64 in flight %lld ms, adaptive %lld "
         "ms (peak limit %d, %lld back offs); ideal 1500 ms\n",
         (long long)fixed, (long long)adaptive, peak, (long long)c.backoffs);
  assert_true(fixed > 5000);
  assert_true(adaptive < 2500);
  assert_true(c.backoffs >= 1);
  assert_true(peak <= 16);
  /* A big server (64 slots, backlog 128): the limit climbs to the ceiling, no back off, and
   * 2,000 requests of 20 ms take little more than their ideal 625 ms. */
  local_conc_init(&c, 64);
  int64_t big = model_run(64, 129, 2000, 20, &c, 0, &peak);
  printf("2000 requests, 64 slots of 20 ms: adaptive %lld ms (peak limit %d); ideal 625 ms\n",
         (long long)big, peak);
  assert_int_equal(peak, 64);
  assert_int_equal(c.backoffs, 0);
  assert_true(big < 900);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_starts_low_and_grows),
      cmocka_unit_test(test_no_growth_without_use),
      cmocka_unit_test(test_errors_back_off_once_per_stall),
      cmocka_unit_test(test_slow_connect_and_queueing),
      cmocka_unit_test(test_small_server_model),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
