/* cli: shared helpers of the command-line front end. */
#include "cli.h"

#include "util.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void cli_error(const char *cmd, const bt_error *err) {
  char buf[1024];
  error_format(err, buf, sizeof buf);
  if (err && err->file[0])
    fprintf(stderr, "%s\n", buf); /* FILE:LINE:COL: message, as compilers print */
  else
    fprintf(stderr, "batchtop %s: %s\n", cmd, buf);
}

void cli_errorf(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "batchtop %s: ", cmd);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

int cli_usage_error(const char *cmd, const char *what) {
  fprintf(stderr, "batchtop %s: %s; try 'batchtop %s --help'\n", cmd, what, cmd);
  return EXIT_USAGE;
}

int cli_edit_distance(const char *a, const char *b) {
  return util_edit_distance(a, b);
}

const char *cli_nearest(const char *word, const char *const *candidates, size_t n) {
  const char *best = NULL;
  int best_d = 3;
  size_t len = strlen(word);
  for (size_t i = 0; i < n; i++) {
    int d = cli_edit_distance(word, candidates[i]);
    if (d < best_d && (size_t)d * 2 < len) {
      best = candidates[i];
      best_d = d;
    }
  }
  return best;
}

const char *cli_model_provider(const char *model) {
  static const struct {
    const char *prefix, *provider;
  } families[] = {{"gpt-", "openai"},     {"o1", "openai"},       {"o3", "openai"},
                  {"o4", "openai"},       {"chatgpt-", "openai"}, {"text-embedding-", "openai"},
                  {"claude", "anthropic"}};
  for (size_t i = 0; model && i < sizeof families / sizeof families[0]; i++)
    if (strncmp(model, families[i].prefix, strlen(families[i].prefix)) == 0)
      return families[i].provider;
  return NULL;
}

int cli_bad_option(const char *cmd, char **argv, const struct option *longopts) {
  const char *arg = optind > 0 ? argv[optind - 1] : "";
  char what[256];
  const char *names[64];
  size_t n = 0;
  for (const struct option *o = longopts; o && o->name && n < 64; o++)
    names[n++] = o->name;
  if (strncmp(arg, "--", 2) == 0) {
    char word[128];
    util_strlcpy(word, arg + 2, sizeof word);
    char *eq = strchr(word, '=');
    if (eq)
      *eq = '\0';
    for (size_t i = 0; i < n; i++)
      if (strcmp(word, names[i]) == 0) {
        snprintf(what, sizeof what, "--%s needs a value", word);
        return cli_usage_error(cmd, what);
      }
    const char *near = cli_nearest(word, names, n);
    if (near)
      snprintf(what, sizeof what, "unknown option '--%s' (did you mean '--%s'?)", word, near);
    else
      snprintf(what, sizeof what, "unknown option '--%s'", word);
  } else if (optopt && optopt < 256) {
    snprintf(what, sizeof what, "unknown option '-%c' (or it needs a value)", optopt);
  } else {
    snprintf(what, sizeof what, "unknown option '%s'", arg);
  }
  return cli_usage_error(cmd, what);
}

void cli_print_help(FILE *out, const char *cmd, const bt_cmd_help *help) {
  fprintf(out, "usage: batchtop %s%s%s\n\n%s\n", cmd, help->usage[0] ? " " : "", help->usage,
          help->summary);
  if (help->details && help->details[0])
    fprintf(out, "\n%s", help->details);
  if (help->details && help->details[0] && help->details[strlen(help->details) - 1] != '\n')
    fputc('\n', out);
}

int cli_open_store(const char *cmd, bt_store **out) {
  bt_error err;
  error_clear(&err);
  if (store_open(NULL, out, &err) != BT_OK) {
    cli_error(cmd, &err);
    return 1;
  }
  static int said_read_only;
  if (store_read_only(*out) && !said_read_only++)
    fprintf(stderr,
            "batchtop%s%s: %s is read-only (its folder is not writable): reading only, changes "
            "will fail\n",
            cmd && *cmd ? " " : "", cmd ? cmd : "", store_path(*out));
  return 0;
}
