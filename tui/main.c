/* main: batchtop's entry point: global flags, config, logger, then one command. */
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli.h"
#include "home.h"
#include "logger.h"
#include "provider.h"

typedef struct {
  const char *name;
  int (*fn)(bt_cli *, int, char **);
  const bt_cmd_help *help;
} command;

static const command commands[] = {
#define BT_X(name) {#name, cmd_##name, &cmd_##name##_help},
    BT_COMMANDS(BT_X)
#undef BT_X
};

static void print_main_help(FILE *out) {
  fprintf(out,
          "batchtop %s: htop for AI batch jobs\n\n"
          "usage: batchtop [--theme NAME] [--read-only] open the dashboard\n"
          "       batchtop COMMAND [ARGS] [--help]\n\n"
          "commands:\n",
          BATCHTOP_VERSION);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].help->summary);
  fprintf(out,
          "\nenvironment: OPENAI_API_KEY OPENAI_BASE_URL ANTHROPIC_API_KEY ANTHROPIC_BASE_URL\n"
          "             BATCHTOP_LOCAL_URL BATCHTOP_HOME BATCHTOP_CONFIG BATCHTOP_POLL_MS "
          "NO_COLOR\n"
          "exit codes:  0 done, 1 usage or input error, 2 some tasks failed/expired/cancelled,\n"
          "             3 provider or network error, 4 refused by --max-cost\n"
          "\n'batchtop COMMAND --help' tells more; 'man batchtop' tells all.\n");
}

static int wants_help(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0)
      return 0;
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
      return 1;
  }
  return 0;
}

static int open_log(void) {
  char path[4096];
  bt_error err;
  error_clear(&err);
  if (home_path("batchtop.log", path, sizeof path, &err) != BT_OK)
    goto fail;
  if (logger_open(path, getenv("BATCHTOP_DEBUG") ? LOG_DEBUG : LOG_INFO, &err) != BT_OK) {
    /* A home that is not writable can still be read (store_open says so): no log then. */
    char *slash = strrchr(path, '/');
    if (slash)
      *slash = '\0';
    if (access(path, W_OK) != 0)
      return 0;
    goto fail;
  }
  return 0;
fail:
  cli_error("", &err);
  return 1;
}

int main(int argc, char **argv) {
  setlocale(LC_ALL, "");
  if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    print_main_help(stdout);
    return EXIT_OK;
  }
  if (argc >= 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
    printf("batchtop %s\n", BATCHTOP_VERSION);
    return EXIT_OK;
  }

  const command *cmd = NULL;
  if (argc >= 2 && argv[1][0] != '-') {
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
      if (strcmp(argv[1], commands[i].name) == 0)
        cmd = &commands[i];
    if (!cmd) {
      fprintf(stderr, "batchtop: unknown command '%s'; try 'batchtop --help'\n", argv[1]);
      return EXIT_USAGE;
    }
  }
  const char *name = cmd ? cmd->name : "dashboard";
  const bt_cmd_help *help = cmd ? cmd->help : &cmd_dashboard_help;
  int sub_argc = cmd ? argc - 1 : argc;
  char **sub_argv = cmd ? argv + 1 : argv;
  if (wants_help(sub_argc, sub_argv)) {
    if (cmd)
      cli_print_help(stdout, name, help);
    else
      print_main_help(stdout);
    return EXIT_OK;
  }

  bt_cli cli;
  memset(&cli, 0, sizeof cli);
  cli.prog = "batchtop";
  bt_error err;
  error_clear(&err);
  if (config_load(&cli.cfg, &err) != BT_OK) {
    cli_error(name, &err);
    config_cleanup(&cli.cfg);
    return EXIT_USAGE;
  }
  if (open_log() != 0) {
    config_cleanup(&cli.cfg);
    return EXIT_USAGE;
  }
  /* Costs everywhere (job estimates, actual spend) follow the configured price table. */
  provider_prices_use(cli.cfg.prices);
  /* curl_global_init before any thread exists (style.md). */
  curl_global_init(CURL_GLOBAL_DEFAULT);
  optind = 0; /* commands parse their own options with getopt_long */
  int rc = cmd ? cmd->fn(&cli, sub_argc, sub_argv) : cmd_dashboard(&cli, sub_argc, sub_argv);
  curl_global_cleanup();
  logger_close();
  config_cleanup(&cli.cfg);
  return rc;
}
