/* cmd_import: `batchtop import`: track batches created elsewhere. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "cmd_status.h"
#include "job_import.h"
#include "job_ref.h"

const struct option cmd_import_options[] = {{"provider", required_argument, NULL, 'p'},
                                            {"name", required_argument, NULL, 'n'},
                                            {"wait", no_argument, NULL, 'w'},
                                            {"allow-duplicate-name", no_argument, NULL, 'a'},
                                            {0, 0, 0, 0}};
const bt_cmd_help cmd_import_help = {
    "--provider P [--name NAME] [--allow-duplicate-name] [--wait] [REMOTE_BATCH_ID...]",
    "track batches created elsewhere",
    "  --provider P   openai or anthropic\n"
    "  --name NAME    a name for the new job (default: import); one another job has is refused\n"
    "                 unless --allow-duplicate-name\n"
    "  --wait         wait until the batches have ended and their results are stored\n"
    "Without ids, every batch on the provider's first list page that is not tracked yet.\n"
    "OpenAI batches bring their input file (one task per line); Anthropic tasks are made from\n"
    "the results when the batch ends. Prints the new job's id.\n"};

int cmd_import(bt_cli *cli, int argc, char **argv) {
  const char *provider = NULL, *name = NULL;
  int wait = 0, allow_dup = 0, c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "", cmd_import_options, NULL)) != -1) {
    if (c == 'p')
      provider = optarg;
    else if (c == 'n')
      name = optarg;
    else if (c == 'w')
      wait = 1;
    else if (c == 'a')
      allow_dup = 1;
    else
      return cli_bad_option("import", argv, cmd_import_options);
  }
  if (!provider)
    return cli_usage_error("import", "--provider is required");
  bt_store *s;
  if (cli_open_store("import", &s))
    return EXIT_USAGE;
  bt_error err;
  error_clear(&err);
  char id[BT_JOB_ID_LEN + 1];
  size_t n = 0;
  if (name && !allow_dup && job_ref_name_taken(s, name, id)) {
    store_close(s);
    cli_errorf("import",
               "job %s is already named '%s'; nothing was imported (give another --name, or"
               " --allow-duplicate-name)",
               id, name);
    return EXIT_USAGE;
  }
  bt_status st = job_import(s, &cli->cfg, provider, (const char *const *)argv + optind,
                            (size_t)(argc - optind), name, id, &n, &err);
  store_close(s);
  if (st) {
    cli_error("import", &err);
    return st == BT_ERR_AUTH || st == BT_ERR_PROVIDER || st == BT_ERR_NETWORK ? EXIT_PROVIDER
                                                                              : EXIT_USAGE;
  }
  printf("%s\n", id);
  fflush(stdout);
  fprintf(stderr, "batchtop import: %zu batch%s now tracked as job %s\n", n, n == 1 ? "" : "es",
          id);
  return wait ? cmd_drive_job(cli, "import", id, DRIVE_UNTIL_DONE) : EXIT_OK;
}
