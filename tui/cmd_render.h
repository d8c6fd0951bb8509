/* cmd_render: the options that preview, render and estimate share (TEMPLATE INPUT, provider,
 * model, id field, input format, max tokens, endpoint), parsed in one place so the three
 * commands cannot drift. Main thread only. */
#ifndef BT_CMD_RENDER_H
#define BT_CMD_RENDER_H

#include "cli.h"
#include "render.h"

/* getopt_long ids of the shared long options (values above any short option). */
enum {
  RCLI_PROVIDER = 1000,
  RCLI_MODEL,
  RCLI_ID_FIELD,
  RCLI_FORMAT,
  RCLI_MAX_TOKENS,
  RCLI_ENDPOINT,
  RCLI_CHUNK_SIZE,
  RCLI_FIRST_FREE
};

#define RCLI_LONG_OPTIONS                                                                          \
  {"provider", required_argument, NULL, RCLI_PROVIDER},                                            \
      {"model", required_argument, NULL, RCLI_MODEL},                                              \
      {"id-field", required_argument, NULL, RCLI_ID_FIELD},                                        \
      {"format", required_argument, NULL, RCLI_FORMAT},                                            \
      {"max-tokens", required_argument, NULL, RCLI_MAX_TOKENS}, {                                  \
    "endpoint", required_argument, NULL, RCLI_ENDPOINT                                             \
  }
/* render and estimate only (preview shows rows, not batches) */
#define RCLI_CHUNK_OPTION                                                                          \
  { "chunk-size", required_argument, NULL, RCLI_CHUNK_SIZE }

#define RCLI_HELP                                                                                  \
  "  --provider P        openai, anthropic or local (default: front matter, else openai)\n"        \
  "  --model M           overrides the template's model\n"                                         \
  "  --id-field COLUMN   custom_id from this column (default: row-N)\n"                            \
  "  --format F          csv, tsv or jsonl (default: by the input's extension)\n"                  \
  "  --max-tokens N      overrides the template's max_tokens\n"                                    \
  "  --endpoint PATH     /v1/chat/completions, /v1/responses or /v1/embeddings (openai)\n"
#define RCLI_CHUNK_HELP                                                                            \
  "  --chunk-size N      at most N requests per batch (below the provider's limits)\n"

typedef struct rcli_opts {
  bt_render_opts ro;
  int64_t chunk_size;
  const char *template_path;
  const char *input_path;
} rcli_opts;

/* Start with the config's defaults (provider, model, chunk_size). */
void rcli_init(rcli_opts *o, const bt_cli *cli);
/* Handle one shared option; returns 1 when handled, 0 when not ours, -1 on a bad value
 * (message printed). */
int rcli_option(rcli_opts *o, const char *cmd, int id, const char *arg);
/* Take TEMPLATE and INPUT from the remaining arguments; returns 0 or prints usage and -1. */
int rcli_positionals(rcli_opts *o, const char *cmd, int argc, char **argv, int optind_);
/* Parse a positive integer option; returns -1 (message printed) when it is not one. */
int rcli_parse_count(const char *cmd, const char *flag, const char *arg, int64_t *out);

#endif
