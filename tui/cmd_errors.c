/* cmd_errors: `batchtop errors`: failed tasks grouped by error code. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "cmd_status.h"
#include "job_report.h"

const bt_cmd_help cmd_errors_help = {
    "JOB [--json]", "failed tasks grouped by error code",
    "  --json   [{\"code\", \"state\", \"count\", \"sample\"}], largest group first\n"
    "Retry one group with `batchtop retry JOB --only CODE`.\n"};

int cmd_errors(bt_cli *cli, int argc, char **argv) {
  (void)cli;
  static const struct option longopts[] = {{"json", no_argument, NULL, 'j'}, {0, 0, 0, 0}};
  int json = 0, c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    if (c == 'j')
      json = 1;
    else
      return cli_usage_error("errors", "unknown option");
  }
  if (optind != argc - 1)
    return cli_usage_error("errors", "give one JOB");
  bt_store *s;
  if (cli_open_store("errors", &s))
    return EXIT_USAGE;
  char id[BT_JOB_ID_LEN + 1];
  if (cmd_resolve_job("errors", s, argv[optind], id)) {
    store_close(s);
    return EXIT_USAGE;
  }
  json_t *groups;
  bt_error err;
  error_clear(&err);
  if (job_report_errors(s, id, &groups, &err)) {
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
    printf("%8s  %-10s  %-30s  %s\n", "COUNT", "STATE", "CODE", "SAMPLE MESSAGE");
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g) {
      const char *sample = json_string_value(json_object_get(g, "sample"));
      printf("%8lld  %-10s  %-30s  %s\n", (long long)json_integer_value(json_object_get(g, "count")),
             json_string_value(json_object_get(g, "state")),
             json_string_value(json_object_get(g, "code")), sample ? sample : "");
    }
  }
  json_decref(groups);
  return EXIT_OK;
}
