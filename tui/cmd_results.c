/* cmd_results: `batchtop results`: input rows merged with outputs, in input order. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <errno.h>
#include <unistd.h>
#include "cli.h"
#include "pipeline_run.h"
#include "cmd_status.h"
#include "results.h"

const struct option cmd_results_options[] = {{"output", required_argument, NULL, 'o'},
                                             {"format", required_argument, NULL, 'f'},
                                             {0, 0, 0, 0}};
const bt_cmd_help cmd_results_help = {
    "JOB [-o FILE] [--format csv|jsonl]", "input rows merged with outputs, in input order",
    "  -o FILE          write to FILE (atomically) instead of stdout\n"
    "  --format F       csv or jsonl (default: -o's extension .csv/.tsv/.jsonl/.ndjson, else\n"
    "                   the input's; tsv gives csv)\n"
    "Columns: the input's, then status, output, error, input_tokens, output_tokens, "
    "cost_usd.\n"};

static int pipeline_results_cmd(bt_store *s, const char *pid, const char *format,
                                const char *path) {
  bt_error err;
  error_clear(&err);
  if (!format)
    format = "csv";
  if (!path) {
    if (pipeline_results(s, pid, format, stdout, NULL, &err)) {
      cli_error("results", &err);
      return EXIT_USAGE;
    }
    return EXIT_OK;
  }
  /* Written beside the target and renamed, so nobody reads half a file. */
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) {
    if (results_open_error(path, errno, &err))
      cli_error("results", &err);
    return EXIT_USAGE;
  }
  bt_status st = pipeline_results(s, pid, format, f, NULL, &err);
  if (fclose(f) != 0 && !st)
    st = error_set(&err, BT_ERR_IO, "writing %s failed", tmp);
  if (!st && rename(tmp, path) != 0)
    st = error_set(&err, BT_ERR_IO, "cannot rename %s: %s", tmp, strerror(errno));
  if (st) {
    unlink(tmp);
    cli_error("results", &err);
    return EXIT_USAGE;
  }
  return EXIT_OK;
}

int cmd_results(bt_cli *cli, int argc, char **argv) {
  (void)cli;
  const char *out = NULL, *format = NULL;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "o:", cmd_results_options, NULL)) != -1) {
    if (c == 'o')
      out = optarg;
    else if (c == 'f')
      format = optarg;
    else
      return cli_bad_option("results", argv, cmd_results_options);
  }
  if (optind != argc - 1)
    return cli_usage_error("results", "give one JOB");
  if (format && strcmp(format, "csv") && strcmp(format, "jsonl"))
    return cli_usage_error("results", "--format is csv or jsonl");
  /* -o's extension decides, else --format, else the input's. */
  const char *by_name = results_format_for_path(out);
  if (by_name && format && strcmp(by_name, format) != 0)
    fprintf(stderr,
            "batchtop results: warning: writing %s as %s, as its name says (not --format %s)\n",
            out, by_name, format);
  if (by_name)
    format = by_name;
  bt_store *s;
  if (cli_open_store("results", &s))
    return EXIT_USAGE;
  bt_job_ref ref;
  if (cmd_resolve_ref("results", s, argv[optind], &ref)) {
    store_close(s);
    return EXIT_USAGE;
  }
  /* A pipeline gives every stage side by side. */
  if (ref.kind == JOB_REF_PIPELINE) {
    int rc = pipeline_results_cmd(s, ref.id, format, out);
    store_close(s);
    return rc;
  }
  const char *id = ref.id;
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
