/* cmd_status: what `status --wait`, `submit --wait`, `retry` and `cancel` share: driving a
 * job with an in-process engine (or watching the store while another process drives it) and
 * showing progress on stderr. Main thread only. */
#ifndef BT_CMD_STATUS_H
#define BT_CMD_STATUS_H

#include "cli.h"
#include "job_ref.h"
#include "store_job.h"

typedef enum {
  DRIVE_UNTIL_DONE,      /* every task ended; progress on stderr; returns cli.md's exit code */
  DRIVE_UNTIL_SUBMITTED, /* every batch is at the provider (or ended); returns 0 or 3 */
  DRIVE_QUIET_DONE       /* like UNTIL_DONE without progress */
} bt_drive_mode;

int cmd_drive_job(bt_cli *cli, const char *cmd, const char *job_id, bt_drive_mode mode);

/* One turn of waiting on an engine from the command line: up to 250 ms for it to signal, then
 * every event drained. Of the events about the n jobs in ids (or about no job): warnings are
 * printed unless quiet, job errors always, as "batchtop CMD: message" on stderr (clearing the
 * progress line first on a terminal), and seen counts job errors and jobs done. */
typedef struct {
  int errors; /* ENGINE_EV_JOB_ERROR */
  int done;   /* ENGINE_EV_JOB_DONE */
} cmd_events;
struct bt_engine;
void cmd_pump_events(struct bt_engine *e, const char *cmd, const char (*ids)[BT_JOB_ID_LEN + 1],
                     size_t n, int quiet, int tty, cmd_events *seen);

/* Drive every stage of pipeline pid (on store s, left open) until all have ended, rows
 * flowing on; per-stage progress on stderr. Returns cli.md's exit code (the worst stage's),
 * or EXIT_INTERRUPTED after Ctrl-C (saying how to resume). */
int cmd_drive_pipeline(bt_cli *cli, const char *cmd, bt_store *s, const char *pid);

/* Resolve what the user typed (job_ref.h) into a job or pipeline; prints the error (no such
 * job, or the candidates of an ambiguous name or prefix) and returns non-zero on failure. */
int cmd_resolve_ref(const char *cmd, bt_store *s, const char *ref, bt_job_ref *out);

#endif
