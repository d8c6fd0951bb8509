/* cmd_cancel: `batchtop cancel`: cancel a job's batches; finished results are kept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_status.h"
#include "lease.h"
#include "pipeline_run.h"
#include "store_sql.h"
#include "util.h"

const struct option cmd_cancel_options[] = {{NULL, 0, NULL, 0}};

const bt_cmd_help cmd_cancel_help = {
    "JOB", "cancel a job (results that finished are kept)",
    "Asks the provider to cancel every batch of the job that has not ended, waits until they\n"
    "have, and keeps what finished. If another batchtop process drives the job, it does the\n"
    "cancelling. JOB may be a pipeline: every stage is cancelled.\n"};

/* Cancel one job: flag it, then (drive) do the cancelling here unless another process drives
 * it. */
static int cancel_job(bt_cli *cli, const char *id, int drive) {
  bt_store *s;
  if (cli_open_store("cancel", &s))
    return EXIT_USAGE;
  bt_error err;
  error_clear(&err);
  int held = 0;
  bt_status st = store_run(s, &err, "cancelling", NULL,
                           "UPDATE jobs SET cancel_requested = 1, updated_at = ? WHERE id = ?"
                           " AND state NOT IN ('completed','failed','cancelled')",
                           "it", util_now_ms(), id);
  if (!st)
    st = lease_held(s, id, NULL, &held, &err);
  store_close(s);
  if (st) {
    cli_error("cancel", &err);
    return EXIT_USAGE;
  }
  if (!drive)
    return EXIT_OK;
  if (held) {
    fprintf(stderr,
            "batchtop cancel: cancel requested; the batchtop process driving job %s "
            "cancels it\n",
            id);
    return EXIT_OK;
  }
  int code = cmd_drive_job(cli, "cancel", id, DRIVE_QUIET_DONE);
  if (code == EXIT_PROVIDER || code == EXIT_INTERRUPTED)
    return code;
  fprintf(stderr, "batchtop cancel: job %s cancelled\n", id);
  return EXIT_OK;
}

int cmd_cancel(bt_cli *cli, int argc, char **argv) {
  if (argc != 2 || argv[1][0] == '-')
    return cli_usage_error("cancel", "give one JOB");
  bt_store *s;
  if (cli_open_store("cancel", &s))
    return EXIT_USAGE;
  bt_job_ref ref;
  if (cmd_resolve_ref("cancel", s, argv[1], &ref)) {
    store_close(s);
    return EXIT_USAGE;
  }
  if (ref.kind == JOB_REF_JOB) {
    store_close(s);
    return cancel_job(cli, ref.id, 1);
  }
  /* A pipeline: every stage flagged first, so nothing flows on into a stage about to be
   * cancelled; then each driven to its end in stage order (a later stage, held open for rows
   * from the one before, can end only after it). */
  char(*ids)[BT_JOB_ID_LEN + 1] = NULL;
  size_t n = 0;
  bt_error err;
  error_clear(&err);
  bt_status st = pipeline_stage_jobs(s, ref.id, &ids, &n, &err);
  store_close(s);
  if (st) {
    cli_error("cancel", &err);
    return EXIT_USAGE;
  }
  int code = EXIT_OK;
  for (size_t k = 0; k < n && code == EXIT_OK; k++)
    code = cancel_job(cli, ids[k], 0);
  for (size_t k = 0; k < n && code == EXIT_OK; k++)
    code = cancel_job(cli, ids[k], 1);
  free(ids);
  if (code == EXIT_OK)
    fprintf(stderr, "batchtop cancel: pipeline %s cancelled (%zu stages)\n", ref.id, n);
  return code;
}
