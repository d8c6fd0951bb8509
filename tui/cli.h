/* cli: what every command of the batchtop executable shares: exit codes (cli.md), the
 * command table, the loaded config, and small output helpers.
 *
 * Commands run on the main thread. Each lives in tui/cmd_<name>.c as
 *   int cmd_<name>(bt_cli *cli, int argc, char **argv);   argv[0] is the command name
 *   extern const bt_cmd_help cmd_<name>_help;
 * and is listed once in BT_COMMANDS below, which drives dispatch and `--help`. */
#ifndef BT_CLI_H
#define BT_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "config.h"
#include "status.h"
#include "store.h"

enum {
  EXIT_OK = 0,           /* done; with --wait every task succeeded */
  EXIT_USAGE = 1,        /* usage or input error */
  EXIT_PARTIAL = 2,      /* with --wait: some tasks failed, expired or were cancelled */
  EXIT_PROVIDER = 3,     /* provider or network error that retries did not overcome */
  EXIT_BUDGET = 4,       /* refused by --max-cost */
  EXIT_INTERRUPTED = 130 /* Ctrl-C while driving (128 + SIGINT, as shells report it) */
};

typedef struct bt_cli {
  bt_config cfg;
  const char *prog; /* "batchtop" */
} bt_cli;

typedef struct bt_cmd_help {
  const char *usage;   /* arguments after the command name */
  const char *summary; /* one line */
  const char *details; /* options and notes, each line starting with two spaces; may be "" */
} bt_cmd_help;

/* name, in --help order */
#define BT_COMMANDS(X)                                                                             \
  X(preview)                                                                                       \
  X(render)                                                                                        \
  X(estimate)                                                                                      \
  X(submit)                                                                                        \
  X(jobs)                                                                                          \
  X(status)                                                                                        \
  X(results)                                                                                       \
  X(errors)                                                                                        \
  X(retry)                                                                                         \
  X(cancel)                                                                                        \
  X(import)                                                                                        \
  X(run)

#define BT_X(name)                                                                                 \
  int cmd_##name(bt_cli *cli, int argc, char **argv);                                              \
  extern const bt_cmd_help cmd_##name##_help;                                                      \
  extern const struct option cmd_##name##_options[]; /* getopt_long's; completion lists it */
BT_COMMANDS(BT_X)
#undef BT_X

/* The dashboard (no command). */
int cmd_dashboard(bt_cli *cli, int argc, char **argv);
extern const bt_cmd_help cmd_dashboard_help;

/* Print "batchtop CMD: message" (or the formatted error with its location) to stderr. */
void cli_error(const char *cmd, const bt_error *err);
void cli_errorf(const char *cmd, const char *fmt, ...) BT_PRINTF(2, 3);

/* The standard reply to a bad flag: "batchtop CMD: <what>; try 'batchtop CMD --help'". */
int cli_usage_error(const char *cmd, const char *what);

/* Levenshtein distance between a and b (bytes), capped at 99. */
int cli_edit_distance(const char *a, const char *b);

/* The candidate nearest to word when it is close enough to be a typo (distance <= 2 and
 * less than half the word), else NULL. */
const char *cli_nearest(const char *word, const char *const *candidates, size_t n);

/* The one-line reply to an option getopt_long refused (call with opterr = 0 when it returned
 * '?'): "unknown option '--chunksize' (did you mean '--chunk-size'?)" or "--name needs a
 * value", then the --help hint. Returns EXIT_USAGE. */
int cli_bad_option(const char *cmd, char **argv, const struct option *longopts);

/* The provider a model name belongs to by its family prefix (gpt-, o1..o4: openai; claude:
 * anthropic), or NULL when unknown (a local server serves any name). For the warning when
 * the chosen provider is another. */
const char *cli_model_provider(const char *model);

/* Print a command's --help text to out. */
void cli_print_help(FILE *out, const char *cmd, const bt_cmd_help *help);

/* Open the store (home or BATCHTOP_HOME); prints the error and returns non-zero on failure. */
int cli_open_store(const char *cmd, bt_store **out);

#endif
