/* cmd_errors: `batchtop errors`: failed tasks grouped by error code. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "cmd_status.h"
#include "job_report.h"
#include "pipeline_run.h"

const struct option cmd_errors_options[] = {{"json", no_argument, NULL, 'j'}, {0, 0, 0, 0}};
const bt_cmd_help cmd_errors_help = {
    "JOB [--json]", "failed tasks grouped by error code",
    "  --json   [{\"code\", \"state\", \"count\", \"sample\"}], largest group first\n"
    "JOB may be a pipeline: every stage's groups, each with its \"stage\".\n"
    "Retry one group with `batchtop retry JOB --only CODE`.\n"};

/* Every stage's error groups, in stage order, each with its "stage". */
static bt_status pipeline_errors(bt_store *s, const char *pid, json_t **out, bt_error *err) {
  *out = NULL;
  char(*ids)[BT_JOB_ID_LEN + 1] = NULL;
  size_t n = 0;
  bt_status r = pipeline_stage_jobs(s, pid, &ids, &n, err);
  json_t *all = json_array();
  for (size_t k = 0; k < n && !r; k++) {
    json_t *groups;
    bt_job job;
    r = store_job_get(s, ids[k], &job, err);
    if (!r)
      r = job_report_errors(s, ids[k], &groups, err);
    if (r)
      break;
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g) {
      json_object_set_new(g, "stage", json_string(job.stage_name ? job.stage_name : job.id));
      json_array_append(all, g);
    }
    json_decref(groups);
    job_cleanup(&job);
  }
  free(ids);
  if (r) {
    json_decref(all);
    return r;
  }
  *out = all;
  return BT_OK;
}

int cmd_errors(bt_cli *cli, int argc, char **argv) {
  (void)cli;
  int json = 0, c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "", cmd_errors_options, NULL)) != -1) {
    if (c == 'j')
      json = 1;
    else
      return cli_bad_option("errors", argv, cmd_errors_options);
  }
  if (optind != argc - 1)
    return cli_usage_error("errors", "give one JOB");
  bt_store *s;
  if (cli_open_store("errors", &s))
    return EXIT_USAGE;
  bt_job_ref ref;
  if (cmd_resolve_ref("errors", s, argv[optind], &ref)) {
    store_close(s);
    return EXIT_USAGE;
  }
  json_t *groups;
  bt_error err;
  error_clear(&err);
  int stages = ref.kind == JOB_REF_PIPELINE;
  if (stages ? pipeline_errors(s, ref.id, &groups, &err)
             : job_report_errors(s, ref.id, &groups, &err)) {
    cli_error("errors", &err);
    store_close(s);
    return EXIT_USAGE;
  }
  store_close(s);
  if (json) {
    json_dumpf(groups, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
  } else if (!json_array_size(groups)) {
    printf("no failed, expired or cancelled tasks\n");
  } else {
    if (stages)
      printf("%-14s  ", "STAGE");
    printf("%8s  %-10s  %-30s  %s\n", "COUNT", "STATE", "CODE", "SAMPLE MESSAGE");
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g) {
      const char *sample = json_string_value(json_object_get(g, "sample"));
      if (stages)
        printf("%-14.14s  ", json_string_value(json_object_get(g, "stage")));
      printf("%8lld  %-10s  %-30s  %s\n",
             (long long)json_integer_value(json_object_get(g, "count")),
             json_string_value(json_object_get(g, "state")),
             json_string_value(json_object_get(g, "code")), sample ? sample : "");
    }
  }
  json_decref(groups);
  return EXIT_OK;
}
