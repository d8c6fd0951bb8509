/* poll_watch: how long and how fast the engine keeps polling a batch whose answers are of no
 * use, so that no batch is ever waited on silently (issue 13). Pure decision logic over a clock
 * the caller passes in (mono ms), so it is unit-tested with a fake one.
 *
 * Three troubles, each with its own bt_poll_watch in the batch, reset by a good answer:
 *   lost        the provider answers 404 to the poll: after lost_ms of nothing else the batch is
 *               lost (its tasks fail batch_not_found, retryable); a fresh batch can be 404 for
 *               a moment at some providers, hence not at once
 *   unreadable  200 with a body that is not a batch (HTML, cut JSON): after unreadable_ms the
 *               job stops with an error (exit 3), resumable
 *   unknown     a status batchtop does not know: polled on, with backoff, for as long as it lasts
 * Backoff doubles from backoff_ms, never past a quarter of the trouble's limit (so several
 * looks fit in it) nor past max_ms, and the last look lands on the limit itself.
 *
 * Limits come from the environment so tests can run them in seconds (cli.md):
 *   BATCHTOP_LOST_MS        default 30000
 *   BATCHTOP_UNREADABLE_MS  default 90000
 *   BATCHTOP_BACKOFF_MS     default 1000 (first delay of every backoff here)
 *   BATCHTOP_DISK_FULL_MS   default 30000: a disk that fills during a download or an ingest
 *                           (ENOSPC, SQLite's "disk is full") is waited on, room looked for
 *                           with backoff, this long before the job stops (exit 3, resumable)
 * Not thread-safe; the engine thread owns its watches. */
#ifndef BT_POLL_WATCH_H
#define BT_POLL_WATCH_H

#include <stdint.h>

typedef struct bt_poll_limits {
  int64_t lost_ms, unreadable_ms, backoff_ms, max_ms;
  int64_t disk_full_ms; /* a full disk during download or ingest: how long to wait for room */
} bt_poll_limits;

typedef struct bt_poll_watch {
  int64_t since; /* mono ms of the first bad answer of this run */
  int n;         /* bad answers in a row (0: all well) */
} bt_poll_watch;

/* The defaults, overridden by the variables above when they hold a positive number. */
void poll_limits_from_env(bt_poll_limits *l);
void poll_watch_reset(bt_poll_watch *w);
/* One more bad answer at now, against limit ms: returns 1 when limit has passed since the first
 * one (give up: lost, or stop), else 0 with *delay_ms until the next look. */
int poll_watch_bad(bt_poll_watch *w, int64_t now, int64_t limit, const bt_poll_limits *l,
                   int64_t *delay_ms);
/* A poll answered with an unknown status at now: ms until the next look, never less than
 * floor_ms (the engine's poll interval). */
int64_t poll_watch_unknown(bt_poll_watch *w, int64_t now, int64_t floor_ms,
                           const bt_poll_limits *l);

#endif
