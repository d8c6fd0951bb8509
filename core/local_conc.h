/* local_conc: the adaptive concurrency of provider `local` (engine_local.c). A pure controller:
 * fed each finished request (when it was sent, how long it took, how it ended) and the number
 * in flight, it decides the limit of requests in flight, and says why when it changes it.
 * No clock or I/O of its own, so tests drive it with a fake clock.
 *
 * Why: a small server (llama.cpp with a few slots, a short listen backlog) does not get faster
 * with 64 connections; the connects beyond its backlog are dropped by the kernel and retried by
 * TCP after 1, 3, 7, 15 s, so a burst at the full ceiling stalls for seconds at a time. The
 * controller starts low and grows while latency holds (doubling, then by an eighth, at least
 * one, after the first back off), and backs off on connect errors, timeouts, overload answers
 * (503), slow connects (a dropped SYN shows as a connect of a second or more) and latency that rose
 * far above the best seen (the server queues: more in flight only waits longer). The ceiling is the
 * config's local_concurrency.
 *
 * Rounds: growth and latency are judged once per round, a round being `limit` completions
 * (one turn of the window); an error backs off at once, but once per round at most, and only
 * for requests sent after the previous back off (one stall does not halve the limit five
 * times). Single-threaded: the engine thread owns it. Nothing to free. */
#ifndef BT_LOCAL_CONC_H
#define BT_LOCAL_CONC_H

#include <stdint.h>

#define LOCAL_CONC_START 2
/* Latency "holds" while a round's mean stays under 2x the best round + this much. */
#define LOCAL_CONC_SLACK_MS 10.0
/* A connect this slow is a dropped SYN retried by TCP: the server's backlog overflowed. */
#define LOCAL_CONC_SLOW_CONNECT_MS 900.0

typedef enum {
  LOCAL_OK,          /* an answer (any HTTP status but 503; a 429 is a rate, waited out) */
  LOCAL_OVERLOADED,  /* 503: the server asks for less */
  LOCAL_CONNECT_ERR, /* could not connect (refused, reset before an answer) */
  LOCAL_TIMEOUT,     /* no answer in time */
} bt_local_outcome;

typedef enum { LOCAL_KEEP, LOCAL_GROW, LOCAL_BACK_OFF } bt_local_action;

typedef struct {
  int limit, ceiling;
  int slow_start;     /* doubling until the first back off */
  double best_ms;     /* lowest round mean latency seen (0: none yet) */
  int n;              /* completions this round */
  double sum_ms;      /* their latencies */
  int peak;           /* most in flight during the round */
  int64_t backoff_ms; /* when the last back off happened (requests sent before: not counted) */
  int64_t backoffs;   /* how many, for the log and tests */
} bt_local_conc;

typedef struct {
  bt_local_action action;
  int from, to;
  char reason[200];
} bt_local_decision;

void local_conc_init(bt_local_conc *c, int ceiling);
/* A request was sent; inflight counts it. */
void local_conc_sent(bt_local_conc *c, int inflight);
/* A request sent at sent_ms finished at now_ms; connect_ms: its connect time (0: reused or
 * unknown). Returns the action; d (may be NULL) gets the old and new limit and the reason. */
bt_local_action local_conc_done(bt_local_conc *c, int64_t now_ms, int64_t sent_ms,
                                double connect_ms, bt_local_outcome outcome, bt_local_decision *d);

#endif
