/* render: everything before money is spent, as one streaming pipeline:
 *   input file (CSV/TSV/JSONL reader) -> template -> provider request line -> checks.
 *
 * Contract shared by `preview`, `render`, `estimate`, `submit`, the dashboard's preview and
 * pipelines. Implemented in core/render.c on top of core/input*.c, core/template.c and
 * core/request.c.
 *
 * Call order: render_open() once; render_next() until it gives *row == NULL (end) or an
 * error; render_close(). Rows come in input order, one at a time; memory stays flat however
 * large the file. A bt_rendered and its strings belong to the bt_render and are valid until the
 * next render_next() or render_close(). Errors carry FILE:LINE:COL (the input's or the
 * template's). One thread at a time per bt_render.
 *
 * Checks done while rendering (before anything is sent): unique custom_ids (the whole file;
 * only --id-field ids are remembered, row-N ids are unique by construction), Anthropic's
 * custom_id pattern, `stream: true` refused (at template load), one model per OpenAI file (the
 * model is not templated, so it holds by construction), request size limits. Batch size limits
 * are the chunker's (chunker.h).
 *
 * Rendering failures are BT_ERR_INPUT (input FILE:LINE:1 for row problems, e.g. a field the
 * template uses but the row lacks), BT_ERR_TEMPLATE (template FILE:LINE:COL), BT_ERR_USAGE (no
 * model, provider/endpoint mismatch, unknown --id-field column), BT_ERR_LIMIT (request too
 * large), BT_ERR_IO (unreadable files). */
#ifndef BT_RENDER_H
#define BT_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "input.h"
#include "request.h"
#include "status.h"
#include "template.h"

typedef struct bt_render bt_render;

/* Extra named values a row can use in the template, beside its own fields (pipelines use this
 * for "prev.output", "extract.output", ...). Return the value for name in row_no, or NULL when
 * the name is unknown (then the template's default or an error applies). The string must stay
 * valid until the next call. */
typedef const char *(*bt_render_lookup)(void *ud, int64_t row_no, const char *name);

typedef struct bt_render_opts {
  const char *provider; /* openai | anthropic | local; NULL: front matter `provider`, else openai */
  const char *model;    /* NULL: front matter `model` (an error if neither gives one) */
  const char *id_field; /* column used as custom_id; NULL: "row-N" */
  const char *format;   /* csv | tsv | jsonl; NULL: by the input's extension */
  int64_t max_tokens;   /* > 0 overrides front matter */
  bt_render_lookup lookup; /* may be NULL */
  void *lookup_ud;
  /* added after the contract was drafted: */
  const char *endpoint; /* NULL: front matter `endpoint`, else the provider's default */
} bt_render_opts;

typedef struct bt_rendered {
  int64_t row_no;  /* 1-based data row (header not counted) */
  int64_t line_no; /* input line where the row starts */
  const char *custom_id;
  const char *input_json; /* the row as a compact JSON object: field -> value */
  const char *request;    /* provider-ready request line (compact JSON, no newline) */
  size_t request_bytes;
  int64_t est_input_tokens;  /* estimate for this request */
  int64_t max_output_tokens; /* the request's max_tokens (0 when the endpoint has none) */
  /* added after the contract was drafted: the texts as a person reads them (NUL-terminated),
   * and where the substituted values sit in them (for previews that mark them) */
  const char *system_text; /* NULL when the template has no system text */
  size_t system_len;
  const char *user_text;
  size_t user_len;
  const bt_tpl_span *system_spans; /* span.field indexes template_field(render_template(r), i) */
  size_t n_system_spans;
  const bt_tpl_span *user_spans;
  size_t n_user_spans;
} bt_rendered;

/* What the whole render is about (valid until render_close). */
typedef struct bt_render_info {
  const char *provider;
  const char *model;
  const char *endpoint;      /* e.g. "/v1/chat/completions" ("/v1/messages" for anthropic) */
  const char *format;        /* csv | tsv | jsonl */
  const char *template_text; /* the template file as read */
  const char *fields_json;   /* JSON array of the input's field names, in order (JSONL: the
                                keys seen so far; complete after the first row for uniform
                                files, which render_open already read) */
  int64_t max_tokens;
  /* added after the contract was drafted: */
  bt_provider provider_id;
  bt_endpoint endpoint_id;
  const char *input_path;
  const char *template_path;
} bt_render_info;

bt_status render_open(const char *template_path, const char *input_path, const bt_render_opts *opts,
                      bt_render **out, bt_error *err) BT_WUR;
bt_status render_next(bt_render *r, const bt_rendered **row, bt_error *err) BT_WUR;
const bt_render_info *render_info(const bt_render *r);
void render_close(bt_render *r);

/* Lower layers of an open render (valid until render_close), for previews and submit. */
const bt_template *render_template(const bt_render *r);
const bt_input *render_input(const bt_render *r);
const bt_request_spec *render_spec(const bt_render *r);
/* The request spec a template gives under opts (provider, endpoint, model, max_tokens and
 * pass-through params), with render_open's checks; errors point into the template. *model_out
 * and *params_out are heap strings the caller frees (spec points into them). Pipelines use it
 * to render later stages row by row from the store. */
bt_status render_spec_build(const bt_template *t, const bt_render_opts *opts,
                            bt_request_spec *spec, char **model_out, char **params_out,
                            bt_error *err) BT_WUR;

#endif
