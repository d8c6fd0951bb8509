/* cmd_results: `batchtop results`: input rows merged with outputs, in input order. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_status.h"
#include "results.h"

const bt_cmd_help cmd_results_help = {
    "JOB [-o FILE] [--format csv|jsonl]", "input rows merged with outputs, in input order",
    "  -o FILE          write to FILE (atomically) instead of stdout\n"
    "  --format F       csv or jsonl (default: the input's; tsv gives csv)\n"
    "Columns: the input's, then status, output, error, input_tokens, output_tokens, "
    "cost_usd.\n"};

int cmd_results(bt_cli *cli, int argc, char **argv) {
  (void)cli;
  static const struct option longopts[] = {{"output", required_argument, NULL, 'o'},
                                           {"format", required_argument, NULL, 'f'},
                                           {0, 0, 0, 0}};
  const char *out = NULL, *format = NULL;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
    if (c == 'o')
      out = optarg;
    else if (c == 'f')
      format = optarg;
    else
      return cli_usage_error("results", "unknown option");
  }
  if (optind != argc - 1)
    return cli_usage_error("results", "give one JOB");
  if (format && strcmp(format, "csv") && strcmp(format, "jsonl"))
    return cli_usage_error("results", "--format is csv or jsonl");
  bt_store *s;
  if (cli_open_store("results", &s))
    return EXIT_USAGE;
  char id[BT_JOB_ID_LEN + 1];
  if (cmd_resolve_job("results", s, argv[optind], id)) {
    store_close(s);
    return EXIT_USAGE;
  }
  bt_error err;
  error_clear(&err);
  bt_status st = out ? results_export_file(s, id, format, out, NULL, &err)
                     : results_export(s, id, format, stdout, NULL, &err);
  store_close(s);
  if (st) {
    cli_error("results", &err);
    return EXIT_USAGE;
  }
  return EXIT_OK;
}
