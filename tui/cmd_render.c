/* cmd_render: `batchtop render`: write provider-ready JSONL (stdout by default). Also home of
 * the option handling that preview and estimate share (cmd_render.h). */
#include "cmd_render.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chunker.h"
#include "util.h"

enum { OPT_SPLIT = RCLI_FIRST_FREE };
const struct option cmd_render_options[] = {{"output", required_argument, NULL, 'o'},
                                            {"split", required_argument, NULL, OPT_SPLIT},
                                            RCLI_LONG_OPTIONS,
                                            RCLI_CHUNK_OPTION,
                                            {NULL, 0, NULL, 0}};
const bt_cmd_help cmd_render_help = {
    "TEMPLATE INPUT [-o FILE | --split DIR] [--provider P] [--model M]",
    "write provider-ready JSONL (stdout by default)",
    "  -o, --output FILE   write to FILE instead of stdout (nothing is written when a row\n"
    "                      fails: the file appears only when every row rendered)\n"
    "  --split DIR         write one file per batch into DIR: chunk-0001.jsonl, ...\n"
    "                      (older chunk files there beyond the new count are removed)\n" RCLI_HELP
        RCLI_CHUNK_HELP "\n"
    "  Lines are split on LF only; each is one request in the provider's batch format\n"
    "  (openai: custom_id/method/url/body; anthropic: custom_id/params; local: the body).\n"
    "  On stdout, lines stream as rows render: when a row fails, the ones before it are\n"
    "  already out (exit 1 says so); -o and --split are all or nothing.\n"};

void rcli_init(rcli_opts *o, const bt_cli *cli) {
  memset(o, 0, sizeof *o);
  if (cli)
    o->chunk_size = cli->cfg.chunk_size;
}

int rcli_parse_count(const char *cmd, const char *flag, const char *arg, int64_t *out) {
  char *end = NULL;
  errno = 0;
  long long v = strtoll(arg, &end, 10);
  if (errno || !end || *end || end == arg || v < 1) {
    char what[256];
    snprintf(what, sizeof what, "%s wants a whole number of at least 1, not '%s'", flag, arg);
    cli_usage_error(cmd, what);
    return -1;
  }
  *out = v;
  return 0;
}

int rcli_option(rcli_opts *o, const char *cmd, int id, const char *arg) {
  switch (id) {
  case RCLI_PROVIDER:
    if (strcmp(arg, "openai") && strcmp(arg, "anthropic") && strcmp(arg, "local")) {
      cli_usage_error(cmd, "--provider is openai, anthropic or local");
      return -1;
    }
    o->ro.provider = arg;
    return 1;
  case RCLI_MODEL:
    o->ro.model = arg;
    return 1;
  case RCLI_ID_FIELD:
    o->ro.id_field = arg;
    return 1;
  case RCLI_FORMAT:
    if (strcmp(arg, "csv") && strcmp(arg, "tsv") && strcmp(arg, "jsonl")) {
      cli_usage_error(cmd, "--format is csv, tsv or jsonl");
      return -1;
    }
    o->ro.format = arg;
    return 1;
  case RCLI_MAX_TOKENS:
    return rcli_parse_count(cmd, "--max-tokens", arg, &o->ro.max_tokens) ? -1 : 1;
  case RCLI_ENDPOINT:
    o->ro.endpoint = arg;
    return 1;
  case RCLI_CHUNK_SIZE:
    return rcli_parse_count(cmd, "--chunk-size", arg, &o->chunk_size) ? -1 : 1;
  default:
    return 0;
  }
}

int rcli_positionals(rcli_opts *o, const char *cmd, int argc, char **argv, int optind_) {
  if (argc - optind_ != 2) {
    cli_usage_error(cmd, argc - optind_ < 2 ? "TEMPLATE and INPUT are needed"
                                            : "too many arguments (TEMPLATE INPUT)");
    return -1;
  }
  o->template_path = argv[optind_];
  o->input_path = argv[optind_ + 1];
  return 0;
}

/* Output files are written under a temporary name and renamed when everything rendered, so a
 * failure half-way leaves nothing that looks finished. */
typedef struct out_file {
  char *final;
  char *tmp;
  FILE *f;
} out_file;

static int out_open(out_file *of, const char *path) {
  of->final = util_xstrdup(path);
  size_t n = strlen(path) + 16;
  of->tmp = malloc(n);
  if (!of->tmp)
    return -1;
  snprintf(of->tmp, n, "%s.tmp-XXXXXX", path);
  int fd = mkstemp(of->tmp);
  if (fd < 0) {
    free(of->tmp);
    of->tmp = NULL;
    return -1;
  }
  of->f = fdopen(fd, "wb");
  if (!of->f) {
    close(fd);
    return -1;
  }
  setvbuf(of->f, NULL, _IOFBF, 1 << 20);
  return 0;
}

static int out_commit(out_file *of) {
  int bad = fflush(of->f) != 0 || ferror(of->f);
  bad |= fclose(of->f) != 0;
  of->f = NULL;
  if (!bad)
    bad = rename(of->tmp, of->final) != 0;
  return bad ? -1 : 0;
}

static void out_discard(out_file *of) {
  if (of->f)
    fclose(of->f);
  of->f = NULL;
  if (of->tmp)
    unlink(of->tmp);
}

static void out_free(out_file *of) {
  free(of->final);
  free(of->tmp);
}

int cmd_render(bt_cli *cli, int argc, char **argv) {
  const char *cmd = "render";
  rcli_opts o;
  rcli_init(&o, cli);
  const char *output = NULL, *split = NULL;
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":o:", cmd_render_options, NULL)) != -1) {
    int r = rcli_option(&o, cmd, c, optarg);
    if (r < 0)
      return EXIT_USAGE;
    if (r)
      continue;
    if (c == 'o')
      output = optarg;
    else if (c == OPT_SPLIT)
      split = optarg;
    else if (c == ':')
      return cli_usage_error(cmd, "an option needs a value");
    else
      return cli_bad_option(cmd, argv, cmd_render_options);
  }
  if (rcli_positionals(&o, cmd, argc, argv, optind))
    return EXIT_USAGE;
  if (output && split)
    return cli_usage_error(cmd, "-o and --split do not go together");

  bt_error err;
  error_clear(&err);
  bt_render *r = NULL;
  if (render_open(o.template_path, o.input_path, &o.ro, &r, &err)) {
    cli_error(cmd, &err);
    return EXIT_USAGE;
  }
  if (split && util_mkdir_p(split, 0777, &err)) {
    cli_error(cmd, &err);
    render_close(r);
    return EXIT_USAGE;
  }
  bt_chunker ch;
  chunker_init(&ch, render_info(r)->provider_id, o.chunk_size);
  out_file single = {0};
  out_file *chunks = NULL;
  size_t n_chunks = 0;
  FILE *f = stdout;
  int rc = EXIT_OK;
  if (output) {
    if (out_open(&single, output)) {
      cli_errorf(cmd, "cannot write %s: %s", output, strerror(errno));
      rc = EXIT_USAGE;
      goto done;
    }
    f = single.f;
  } else if (!split) {
    setvbuf(stdout, NULL, _IOFBF, 1 << 20);
  }
  const bt_rendered *row;
  for (;;) {
    if (render_next(r, &row, &err)) {
      cli_error(cmd, &err);
      rc = EXIT_USAGE;
      goto done;
    }
    if (!row)
      break;
    int64_t chunk;
    int starts;
    if (chunker_add(&ch, row->request_bytes, &chunk, &starts, &err)) {
      error_prefix(&err, "row %lld", (long long)row->row_no);
      cli_error(cmd, &err);
      rc = EXIT_USAGE;
      goto done;
    }
    if (split && starts) {
      out_file *nc = realloc(chunks, (n_chunks + 1) * sizeof *nc);
      if (!nc) {
        rc = EXIT_USAGE;
        goto done;
      }
      chunks = nc;
      memset(&chunks[n_chunks], 0, sizeof *chunks);
      char path[4096];
      snprintf(path, sizeof path, "%s/chunk-%04lld.jsonl", split, (long long)chunk + 1);
      if (out_open(&chunks[n_chunks++], path)) {
        cli_errorf(cmd, "cannot write %s: %s", path, strerror(errno));
        rc = EXIT_USAGE;
        goto done;
      }
      f = chunks[n_chunks - 1].f;
    }
    fwrite(row->request, 1, row->request_bytes, f);
    fputc('\n', f);
  }
  if (output && out_commit(&single)) {
    cli_errorf(cmd, "cannot write %s: %s", output, strerror(errno));
    rc = EXIT_USAGE;
    goto done;
  }
  for (size_t i = 0; i < n_chunks; i++)
    if (out_commit(&chunks[i])) {
      cli_errorf(cmd, "cannot write %s: %s", chunks[i].final, strerror(errno));
      rc = EXIT_USAGE;
      goto done;
    }
  if (split) /* chunks of an earlier, longer render would look like part of this one */
    for (size_t i = n_chunks + 1;; i++) {
      char path[4096];
      snprintf(path, sizeof path, "%s/chunk-%04zu.jsonl", split, i);
      if (unlink(path) != 0)
        break;
    }
  if (!output && !split && (fflush(stdout) != 0 || ferror(stdout))) {
    cli_errorf(cmd, "cannot write to stdout: %s", strerror(errno));
    rc = EXIT_USAGE;
  }
  if (output || split)
    fprintf(stderr, "batchtop render: %lld requests in %lld batch%s, %s\n",
            (long long)ch.total_requests, (long long)chunker_count(&ch),
            chunker_count(&ch) == 1 ? "" : "es", output ? output : split);
done:
  if (rc != EXIT_OK) {
    if (output)
      out_discard(&single);
    for (size_t i = 0; i < n_chunks; i++)
      out_discard(&chunks[i]);
  }
  if (output)
    out_free(&single);
  for (size_t i = 0; i < n_chunks; i++)
    out_free(&chunks[i]);
  free(chunks);
  render_close(r);
  return rc;
}
