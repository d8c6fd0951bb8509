/* local_conc: the adaptive concurrency controller of provider `local` (see local_conc.h). */
#include "local_conc.h"

#include <stdio.h>
#include <string.h>

void local_conc_init(bt_local_conc *c, int ceiling) {
  memset(c, 0, sizeof *c);
  c->ceiling = ceiling > 0 ? ceiling : 1;
  c->limit = c->ceiling < LOCAL_CONC_START ? c->ceiling : LOCAL_CONC_START;
  c->slow_start = 1;
  c->backoff_ms = INT64_MIN;
}

void local_conc_sent(bt_local_conc *c, int inflight) {
  if (inflight > c->peak)
    c->peak = inflight;
}

static void new_round(bt_local_conc *c) {
  c->n = 0;
  c->sum_ms = 0;
  c->peak = 0;
}

static bt_local_action set_limit(bt_local_conc *c, bt_local_action a, int to, int64_t now,
                                 bt_local_decision *d, const char *reason) {
  if (to < 1)
    to = 1;
  if (to > c->ceiling)
    to = c->ceiling;
  if (to == c->limit)
    a = LOCAL_KEEP;
  if (d) {
    d->action = a;
    d->from = c->limit;
    d->to = to;
    snprintf(d->reason, sizeof d->reason, "%s", reason);
  }
  if (a == LOCAL_BACK_OFF) {
    c->slow_start = 0;
    c->backoff_ms = now;
    c->backoffs++;
  }
  c->limit = to;
  new_round(c);
  return a;
}

bt_local_action local_conc_done(bt_local_conc *c, int64_t now_ms, int64_t sent_ms,
                                double connect_ms, bt_local_outcome outcome, bt_local_decision *d) {
  if (d) {
    d->action = LOCAL_KEEP;
    d->from = d->to = c->limit;
    d->reason[0] = '\0';
  }
  double ms = (double)(now_ms - sent_ms);
  const char *why = NULL;
  char buf[200];
  if (outcome == LOCAL_CONNECT_ERR)
    why = "a connect failed";
  else if (outcome == LOCAL_TIMEOUT)
    why = "a request timed out";
  else if (outcome == LOCAL_OVERLOADED)
    why = "the server answered 503 (overloaded)";
  else if (connect_ms >= LOCAL_CONC_SLOW_CONNECT_MS) {
    snprintf(buf, sizeof buf,
             "a connect took %.1f s (the server's listen backlog is full: the kernel dropped it "
             "and TCP retried)",
             connect_ms / 1000.0);
    why = buf;
  }
  if (why) {
    /* Sent before the last back off: it saw the old limit; that stall is already answered. */
    if (sent_ms < c->backoff_ms)
      return LOCAL_KEEP;
    return set_limit(c, LOCAL_BACK_OFF, c->limit / 2, now_ms, d, why);
  }
  if (sent_ms < c->backoff_ms)
    return LOCAL_KEEP; /* its latency belongs to the limit before */
  c->n++;
  c->sum_ms += ms;
  if (c->n < c->limit)
    return LOCAL_KEEP;
  double mean = c->sum_ms / c->n;
  if (c->best_ms <= 0 || mean < c->best_ms)
    c->best_ms = mean;
  double best = c->best_ms;
  /* The best drifts toward what is seen, so a server that got slower for good is not held to a
   * latency it no longer has. */
  c->best_ms += (mean - c->best_ms) / 32;
  if (mean > 2 * best + LOCAL_CONC_SLACK_MS && c->limit > 1) {
    snprintf(buf, sizeof buf,
             "latency rose to %.0f ms from a best of %.0f ms (the server queues requests)", mean,
             best);
    return set_limit(c, LOCAL_BACK_OFF, c->limit * 3 / 4, now_ms, d, buf);
  }
  if (c->peak >= c->limit && c->limit < c->ceiling) {
    snprintf(buf, sizeof buf, "latency holds at %.0f ms (best %.0f ms)", mean, best);
    int step = c->slow_start ? c->limit : c->limit / 8 > 1 ? c->limit / 8 : 1;
    return set_limit(c, LOCAL_GROW, c->limit + step, now_ms, d, buf);
  }
  new_round(c);
  return LOCAL_KEEP;
}
