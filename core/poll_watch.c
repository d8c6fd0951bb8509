/* poll_watch: backoff and time limits for polls that give nothing usable. */
#include "poll_watch.h"

#include <stdlib.h>

static int64_t env_ms(const char *name, int64_t def) {
  const char *v = getenv(name);
  if (!v || !*v)
    return def;
  char *end;
  long long n = strtoll(v, &end, 10);
  return *end || n <= 0 ? def : (int64_t)n;
}

void poll_limits_from_env(bt_poll_limits *l) {
  l->lost_ms = env_ms("BATCHTOP_LOST_MS", 30000);
  l->unreadable_ms = env_ms("BATCHTOP_UNREADABLE_MS", 90000);
  l->backoff_ms = env_ms("BATCHTOP_BACKOFF_MS", 1000);
  l->max_ms = 60000;
  l->disk_full_ms = env_ms("BATCHTOP_DISK_FULL_MS", 30000);
}

void poll_watch_reset(bt_poll_watch *w) {
  w->since = 0;
  w->n = 0;
}

/* backoff_ms doubled n - 1 times, capped at cap. */
static int64_t backoff(const bt_poll_limits *l, int n, int64_t cap) {
  int64_t d = l->backoff_ms;
  for (int i = 1; i < n && d < cap; i++)
    d *= 2;
  return d < cap ? d : cap;
}

int poll_watch_bad(bt_poll_watch *w, int64_t now, int64_t limit, const bt_poll_limits *l,
                   int64_t *delay_ms) {
  if (w->n++ == 0)
    w->since = now;
  int64_t left = w->since + limit - now;
  if (left <= 0)
    return 1;
  int64_t cap = limit / 4 > 0 ? limit / 4 : 1;
  if (cap > l->max_ms)
    cap = l->max_ms;
  int64_t d = backoff(l, w->n, cap);
  *delay_ms = d < left ? d : left;
  return 0;
}

int64_t poll_watch_unknown(bt_poll_watch *w, int64_t now, int64_t floor_ms,
                           const bt_poll_limits *l) {
  if (w->n++ == 0)
    w->since = now;
  int64_t d = backoff(l, w->n, l->max_ms);
  return d > floor_ms ? d : floor_ms;
}
