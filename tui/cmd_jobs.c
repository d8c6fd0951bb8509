/* cmd_jobs: `batchtop jobs`: list jobs, newest first. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "job_report.h"
#include "store_job.h"
#include "util.h"

const bt_cmd_help cmd_jobs_help = {"[--json]", "list jobs",
                                   "  --json   an array of status objects without batches "
                                   "(cli.md)\n"};

int cmd_jobs(bt_cli *cli, int argc, char **argv) {
  (void)cli;
  static const struct option longopts[] = {{"json", no_argument, NULL, 'j'}, {0, 0, 0, 0}};
  int json = 0, c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    if (c == 'j')
      json = 1;
    else
      return cli_usage_error("jobs", "unknown option");
  }
  if (optind != argc)
    return cli_usage_error("jobs", "no arguments expected");
  bt_store *s;
  if (cli_open_store("jobs", &s))
    return EXIT_USAGE;
  char(*ids)[BT_JOB_ID_LEN + 1];
  size_t n;
  bt_error err;
  error_clear(&err);
  if (store_job_list_ids(s, &ids, &n, &err)) {
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
      char usd[32];
      util_fmt_usd(json_real_value(json_object_get(json_object_get(o, "cost"), "actual_usd")), usd,
                   sizeof usd);
      printf("%-8s  %-20.20s  %-9s  %-18.18s  %-10s  %8lld  %9lld  %8lld  %8lld  %9lld  %10s\n",
             json_string_value(json_object_get(o, "id")),
             json_string_value(json_object_get(o, "name")),
             json_string_value(json_object_get(o, "provider")),
             json_string_value(json_object_get(o, "model")),
             json_string_value(json_object_get(o, "state")),
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
