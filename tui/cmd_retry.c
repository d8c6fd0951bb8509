/* cmd_retry: `batchtop retry`: new attempts for the selected tasks only, in new batches. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_status.h"
#include "lease.h"
#include "pipeline_run.h"
#include "provider.h"
#include "retry.h"
#include "util.h"

const struct option cmd_retry_options[] = {{"only", required_argument, NULL, 'o'},
                                           {"max-cost", required_argument, NULL, 'x'},
                                           {"wait", no_argument, NULL, 'w'},
                                           {0, 0, 0, 0}};
const bt_cmd_help cmd_retry_help = {
    "JOB [--only failed|expired|cancelled|CODE] [--max-cost USD] [--wait]",
    "new attempt for the selected tasks only",
    "  --only WHAT      failed, expired, cancelled or an error code (default: all three "
    "states)\n"
    "  --max-cost USD   refuse (exit 4) when the retry's estimate is higher; the engine stops\n"
    "                   the retry's chunks when its spend plus estimates would pass it\n"
    "  --wait           wait until every task has ended (exit 0, 2 or 3)\n"
    "JOB may be a pipeline (every stage's selected tasks) or one of its stages; with --wait\n"
    "the pipeline is driven until the retried rows have flowed through every later stage.\n"
    "A --max-cost on a model without a known price is refused (exit 4).\n"
    "The latest success wins: a task that succeeded is never retried.\n"};

int cmd_retry(bt_cli *cli, int argc, char **argv) {
  const char *only = NULL;
  double max_cost = -1;
  int wait = 0, c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "", cmd_retry_options, NULL)) != -1) {
    if (c == 'o') {
      only = optarg;
    } else if (c == 'x') {
      char *end;
      max_cost = strtod(optarg, &end);
      if (end == optarg || *end || !isfinite(max_cost) || max_cost < 0)
        return cli_usage_error("retry", "--max-cost wants an amount in USD");
    } else if (c == 'w') {
      wait = 1;
    } else {
      return cli_bad_option("retry", argv, cmd_retry_options);
    }
  }
  if (optind != argc - 1)
    return cli_usage_error("retry", "give one JOB");
  bt_store *s;
  if (cli_open_store("retry", &s))
    return EXIT_USAGE;
  bt_job_ref ref;
  if (cmd_resolve_ref("retry", s, argv[optind], &ref)) {
    store_close(s);
    return EXIT_USAGE;
  }
  bt_error err;
  error_clear(&err);
  /* The jobs to retry in: a pipeline's stages in order, else the one job. */
  char(*ids)[BT_JOB_ID_LEN + 1] = NULL;
  size_t n_ids = 0;
  char pid[BT_JOB_ID_LEN + 1] = "";
  bt_status st = BT_OK;
  if (ref.kind == JOB_REF_PIPELINE) {
    util_strlcpy(pid, ref.id, sizeof pid);
    st = pipeline_stage_jobs(s, pid, &ids, &n_ids, &err);
  } else {
    ids = calloc(1, sizeof *ids);
    if (!ids)
      st = error_set(&err, BT_ERR_NOMEM, "out of memory");
    else
      util_strlcpy(ids[n_ids++], ref.id, sizeof ids[0]);
  }
  int code = EXIT_USAGE;
  int64_t total = 0;
  int held = 0, stage = 0;
  /* Every job checked before any is retried: a refusal leaves nothing half done. */
  for (size_t k = 0; k < n_ids && !st; k++) {
    bt_job job;
    st = store_job_get(s, ids[k], &job, &err);
    if (st)
      break;
    if (job.pipeline_id && !pid[0] && job.stage_no >= 1)
      util_strlcpy(pid, job.pipeline_id, sizeof pid);
    stage = job.pipeline_id != NULL;
    if (max_cost >= 0 && !provider_price_known(job.provider, job.model))
      st = error_set(&err, BT_ERR_BUDGET,
                     "no price is known for model '%s' (%s) of job %s, so --max-cost cannot be"
                     " checked; nothing was retried. %s",
                     job.model, job.provider, job.id, PROVIDER_PRICES_HINT);
    job_cleanup(&job);
  }
  for (size_t k = 0; k < n_ids && !st; k++) {
    int64_t n = 0;
    int h = 0;
    st = retry_apply(s, ids[k], only, 0, max_cost, &n, &err);
    if (!st)
      st = lease_held(s, ids[k], NULL, &h, &err);
    total += n;
    held |= h && n > 0;
  }
  char first[BT_JOB_ID_LEN + 1] = "";
  if (n_ids)
    util_strlcpy(first, ids[0], sizeof first);
  free(ids);
  if (st) {
    store_close(s);
    cli_error("retry", &err);
    return st == BT_ERR_BUDGET ? EXIT_BUDGET : EXIT_USAGE;
  }
  fprintf(stderr, "batchtop retry: %lld task%s to retry\n", (long long)total,
          total == 1 ? "" : "s");
  if (held) {
    store_close(s);
    fprintf(stderr,
            "batchtop retry: another batchtop process drives %s %s; it takes the retry from"
            " here\n",
            pid[0] ? "pipeline" : "job", pid[0] ? pid : first);
    return EXIT_OK;
  }
  if (total == 0 && !wait) {
    store_close(s);
    return EXIT_OK;
  }
  if (stage && pid[0] && wait) {
    /* The retried rows flow on: every later stage is driven until they have passed it. */
    code = cmd_drive_pipeline(cli, "retry", s, pid);
    store_close(s);
    return code;
  }
  store_close(s);
  if (ref.kind == JOB_REF_PIPELINE) {
    /* Without --wait: hand the retried chunks over, stage by stage. */
    if (cli_open_store("retry", &s))
      return EXIT_USAGE;
    st = pipeline_stage_jobs(s, pid, &ids, &n_ids, &err);
    store_close(s);
    if (st) {
      cli_error("retry", &err);
      return EXIT_USAGE;
    }
    code = EXIT_OK;
    for (size_t k = 0; k < n_ids && code == EXIT_OK; k++)
      code = cmd_drive_job(cli, "retry", ids[k], DRIVE_UNTIL_SUBMITTED);
    free(ids);
    return code;
  }
  return cmd_drive_job(cli, "retry", first, wait ? DRIVE_UNTIL_DONE : DRIVE_UNTIL_SUBMITTED);
}
