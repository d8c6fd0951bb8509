/* cmd_preview: `batchtop preview`: show rendered requests for rows, human-readable.
 *
 * Substituted values are marked: on a terminal with bold+underline (attributes, so NO_COLOR
 * keeps them), elsewhere between ⟦ and ⟧ so a pipe or a file still shows them. Control
 * characters other than line breaks and tabs are shown as ^X, never sent to the terminal. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "cmd_render.h"

enum { OPT_ROW = RCLI_FIRST_FREE, OPT_TUI };
const struct option cmd_preview_options[] = {{"row", required_argument, NULL, OPT_ROW},
                                             {"tui", no_argument, NULL, OPT_TUI},
                                             RCLI_LONG_OPTIONS,
                                             {NULL, 0, NULL, 0}};
const bt_cmd_help cmd_preview_help = {
    "TEMPLATE INPUT [--row N]... [--tui]", "show rendered requests for rows, human-readable",
    "  --row N             show data row N (1-based; repeatable; default: the first 3)\n"
    "  --tui               open the dashboard's interactive preview\n" RCLI_HELP "\n"
    "  Values taken from the row are marked: bold and underlined on a terminal, between\n"
    "  \xe2\x9f\xa6 and \xe2\x9f\xa7 otherwise. Every row is rendered and checked; the last line "
    "counts rows\n"
    "  and says which input fields the template uses and which it leaves out.\n"};

typedef struct marks {
  const char *on, *off;
} marks;

/* Print text indented by two spaces, marking the spans. */
static void print_marked(const char *text, size_t len, const bt_tpl_span *spans, size_t n,
                         const marks *m) {
  size_t si = 0;
  int in = 0;
  fputs("  ", stdout);
  for (size_t i = 0; i <= len; i++) {
    while (in && si < n && i == spans[si].start + spans[si].len) {
      fputs(m->off, stdout);
      in = 0;
      si++;
    }
    if (!in && si < n && i == spans[si].start) {
      fputs(m->on, stdout);
      in = 1;
      if (spans[si].len == 0) { /* an empty value: show the empty marks */
        fputs(m->off, stdout);
        in = 0;
        si++;
        i--;
        continue;
      }
    }
    if (i == len)
      break;
    if (text[i] == '\n') {
      if (in && m->on[0] == '\033')
        fputs(m->off, stdout);
      fputs("\n  ", stdout);
      if (in && m->on[0] == '\033')
        fputs(m->on, stdout);
    } else if (((unsigned char)text[i] < 0x20 && text[i] != '\t') || text[i] == 0x7f) {
      /* A value must not drive the terminal (escape sequences, carriage returns): show
       * control characters in caret notation, as cat -v does. */
      printf("^%c", text[i] == 0x7f ? '?' : text[i] + '@');
    } else {
      fputc(text[i], stdout);
    }
  }
  if (in)
    fputs(m->off, stdout);
  fputc('\n', stdout);
}

static void print_row(const bt_render *r, const bt_rendered *row, const marks *m) {
  const bt_render_info *info = render_info(r);
  const bt_template *t = render_template(r);
  printf("== row %lld  (line %lld, custom_id %s) ==\n", (long long)row->row_no,
         (long long)row->line_no, row->custom_id);
  if (row->system_text) {
    printf("system:\n");
    print_marked(row->system_text, row->system_len, row->system_spans, row->n_system_spans, m);
  }
  printf("user:\n");
  print_marked(row->user_text, row->user_len, row->user_spans, row->n_user_spans, m);
  printf("params: provider %s, model %s, %s", info->provider, info->model, info->endpoint);
  const char *mk = request_max_tokens_key(render_spec(r));
  if (mk && info->max_tokens > 0)
    printf(", %s %lld", mk, (long long)info->max_tokens);
  for (size_t i = 0; i < template_n_params(t); i++)
    printf(", %s %s", template_param(t, i)->key, template_param(t, i)->json);
  printf("\n  ~%lld input tokens, %zu bytes\n\n", (long long)row->est_input_tokens,
         row->request_bytes);
}

static int name_in_input(const bt_input *in, const char *name) {
  for (size_t i = 0; i < input_n_names(in); i++)
    if (strcmp(input_name(in, i), name) == 0)
      return 1;
  return 0;
}

static int name_in_template(const bt_template *t, const char *name) {
  for (size_t i = 0; i < template_n_fields(t); i++)
    if (strcmp(template_field(t, i), name) == 0)
      return 1;
  return 0;
}

static void print_summary(const bt_render *r, int64_t rows, size_t shown) {
  const bt_template *t = render_template(r);
  const bt_input *in = render_input(r);
  printf("%lld row%s, %zu shown; fields used:", (long long)rows, rows == 1 ? "" : "s", shown);
  int any = 0;
  for (size_t i = 0; i < template_n_fields(t); i++)
    if (name_in_input(in, template_field(t, i))) {
      printf("%s %s", any ? "," : "", template_field(t, i));
      any = 1;
    }
  if (!any)
    printf(" none");
  printf("; fields unused:");
  any = 0;
  for (size_t i = 0; i < input_n_names(in); i++)
    if (!name_in_template(t, input_name(in, i))) {
      printf("%s %s", any ? "," : "", input_name(in, i));
      any = 1;
    }
  if (!any)
    printf(" none");
  any = 0;
  for (size_t i = 0; i < template_n_fields(t); i++)
    if (!name_in_input(in, template_field(t, i))) {
      printf("%s %s", any ? "," : "; not in the input (defaults used):", template_field(t, i));
      any = 1;
    }
  printf("\n");
}

int cmd_preview(bt_cli *cli, int argc, char **argv) {
  const char *cmd = "preview";
  rcli_opts o;
  rcli_init(&o, cli);
  int64_t *want = NULL;
  size_t n_want = 0;
  int tui = 0;
  optind = 1;
  opterr = 0;
  int c, rc = EXIT_USAGE;
  while ((c = getopt_long(argc, argv, ":", cmd_preview_options, NULL)) != -1) {
    int r = rcli_option(&o, cmd, c, optarg);
    if (r < 0)
      goto out;
    if (r)
      continue;
    if (c == OPT_ROW) {
      int64_t v;
      if (rcli_parse_count(cmd, "--row", optarg, &v))
        goto out;
      int64_t *nw = realloc(want, (n_want + 1) * sizeof *nw);
      if (!nw)
        goto out;
      want = nw;
      want[n_want++] = v;
    } else if (c == OPT_TUI) {
      tui = 1;
    } else if (c == ':') {
      rc = cli_usage_error(cmd, "an option needs a value");
      goto out;
    } else {
      rc = cli_bad_option(cmd, argv, cmd_preview_options);
      goto out;
    }
  }
  if (rcli_positionals(&o, cmd, argc, argv, optind))
    goto out;
  if (tui) {
    rc = dashboard_preview(cli, o.template_path, o.input_path, &o.ro);
    goto out;
  }
  marks m = {"\xe2\x9f\xa6", "\xe2\x9f\xa7"};
  if (isatty(STDOUT_FILENO)) {
    m.on = "\033[1;4m";
    m.off = "\033[0m";
  }
  bt_error err;
  error_clear(&err);
  bt_render *r = NULL;
  if (render_open(o.template_path, o.input_path, &o.ro, &r, &err)) {
    cli_error(cmd, &err);
    goto out;
  }
  const bt_rendered *row;
  int64_t rows = 0;
  size_t shown = 0;
  bt_status s;
  while (!(s = render_next(r, &row, &err)) && row) {
    rows++;
    int show = n_want == 0 ? row->row_no <= 3 : 0;
    for (size_t i = 0; i < n_want; i++)
      show |= want[i] == row->row_no;
    if (show) {
      print_row(r, row, &m);
      shown++;
    }
  }
  if (s) {
    fflush(stdout);
    cli_error(cmd, &err);
    render_close(r);
    goto out;
  }
  for (size_t i = 0; i < n_want; i++)
    if (want[i] > rows) {
      fflush(stdout);
      cli_errorf(cmd, "--row %lld: %s has only %lld row%s", (long long)want[i], o.input_path,
                 (long long)rows, rows == 1 ? "" : "s");
      render_close(r);
      goto out;
    }
  print_summary(r, rows, shown);
  render_close(r);
  rc = EXIT_OK;
out:
  free(want);
  return rc;
}
