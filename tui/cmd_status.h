/* cmd_status: what `status --wait`, `submit --wait`, `retry` and `cancel` share: driving a
 * job with an in-process engine (or watching the store while another process drives it) and
 * showing progress on stderr. Main thread only. */
#ifndef BT_CMD_STATUS_H
#define BT_CMD_STATUS_H

#include "cli.h"
#include "store_job.h"

typedef enum {
  DRIVE_UNTIL_DONE,      /* every task ended; progress on stderr; returns cli.md's exit code */
  DRIVE_UNTIL_SUBMITTED, /* every batch is at the provider (or ended); returns 0 or 3 */
  DRIVE_QUIET_DONE       /* like UNTIL_DONE without progress */
} bt_drive_mode;

int cmd_drive_job(bt_cli *cli, const char *cmd, const char *job_id, bt_drive_mode mode);

/* Resolve what the user typed into a job id; prints the error and returns non-zero when
 * there is no such job. */
int cmd_resolve_job(const char *cmd, bt_store *s, const char *ref, char id[BT_JOB_ID_LEN + 1]);

#endif
