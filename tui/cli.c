/* cli: shared helpers of the command-line front end. */
#include "cli.h"

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
