/* cmd_jobs: `batchtop jobs`: list jobs, newest first. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_status.h"
#include "pipeline_run.h"
#include "job_report.h"
#include "store_job.h"
#include "util.h"

const struct option cmd_jobs_options[] = {{"json", no_argument, NULL, 'j'}, {0, 0, 0, 0}};
const bt_cmd_help cmd_jobs_help = {
    "[PIPELINE|JOB] [--json]", "list jobs",
    "  --json     an array of status objects without batches (cli.md)\n"
    "  PIPELINE   only that pipeline's stage jobs (its id, id prefix or name); a JOB: its line\n"
    "STATE is `paused` for a job nobody can drive (no API key); COST is `?` when the model has\n"
    "no known price.\n"};

int cmd_jobs(bt_cli *cli, int argc, char **argv) {
  (void)cli;
  int json = 0, c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "", cmd_jobs_options, NULL)) != -1) {
    if (c == 'j')
      json = 1;
    else
      return cli_bad_option("jobs", argv, cmd_jobs_options);
  }
  if (optind < argc - 1)
    return cli_usage_error("jobs", "give at most one PIPELINE");
  bt_store *s;
  if (cli_open_store("jobs", &s))
    return EXIT_USAGE;
  char(*ids)[BT_JOB_ID_LEN + 1];
  size_t n;
  bt_error err;
  error_clear(&err);
  bt_job_ref ref = {JOB_REF_JOB, ""};
  if (optind < argc && cmd_resolve_ref("jobs", s, argv[optind], &ref)) {
    store_close(s);
    return EXIT_USAGE;
  }
  bt_status st;
  if (ref.id[0] && ref.kind == JOB_REF_JOB) { /* one job: its line */
    ids = calloc(1, sizeof *ids);
    n = ids ? 1 : 0;
    st = ids ? BT_OK : error_set(&err, BT_ERR_NOMEM, "out of memory");
    if (ids)
      util_strlcpy(ids[0], ref.id, sizeof ids[0]);
  } else {
    st = ref.id[0] ? pipeline_stage_jobs(s, ref.id, &ids, &n, &err)
                   : store_job_list_ids(s, &ids, &n, &err);
  }
  if (st) {
    cli_error("jobs", &err);
    store_close(s);
    return EXIT_USAGE;
  }
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++) {
    json_t *o;
    if (job_report_json(s, ids[i], 0, &o, &err) == BT_OK)
      json_array_append_new(arr, o);
  }
  free(ids);
  store_close(s);
  if (json) {
    json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
  } else {
    /* The task states of `status` and `--json`, each apart (none folded into FAILED). */
    printf("%-8s  %-20s  %-9s  %-18s  %-10s  %8s  %9s  %8s  %8s  %9s  %10s\n", "ID", "NAME",
           "PROVIDER", "MODEL", "STATE", "TASKS", "SUCCEEDED", "FAILED", "EXPIRED", "CANCELLED",
           "COST");
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o) {
      json_t *cn = json_object_get(o, "counts");
      char usd[32] = "?";
      if (json_is_true(json_object_get(o, "price_known")))
        util_fmt_usd(json_real_value(json_object_get(json_object_get(o, "cost"), "actual_usd")),
                     usd, sizeof usd);
      const char *state = json_is_string(json_object_get(o, "paused"))
                              ? "paused"
                              : json_string_value(json_object_get(o, "state"));
      printf("%-8s  %-20.20s  %-9s  %-18.18s  %-10s  %8lld  %9lld  %8lld  %8lld  %9lld  %10s\n",
             json_string_value(json_object_get(o, "id")),
             json_string_value(json_object_get(o, "name")),
             json_string_value(json_object_get(o, "provider")),
             json_string_value(json_object_get(o, "model")), state,
             (long long)json_integer_value(json_object_get(cn, "total")),
             (long long)json_integer_value(json_object_get(cn, "succeeded")),
             (long long)json_integer_value(json_object_get(cn, "failed")),
             (long long)json_integer_value(json_object_get(cn, "expired")),
             (long long)json_integer_value(json_object_get(cn, "cancelled")), usd);
    }
  }
  json_decref(arr);
  return EXIT_OK;
}
