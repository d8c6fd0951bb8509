/* template: a prompt template file: optional YAML front matter (request parameters), then the
 * user message with {{field}} and {{field|default:"..."}} slots.
 *
 * Front matter sits between a first line "---" and the next "---" line; it is a YAML mapping
 * parsed with libyaml. Known keys: model, max_tokens, temperature, system, provider, endpoint;
 * every other key is a request parameter passed through to the request body as JSON (plain
 * YAML scalars that look like JSON numbers, true/false or null are written as such; quoted
 * scalars are strings; sequences and mappings become arrays and objects). `stream: true` is
 * refused (batch APIs reject it).
 *
 * Body rules: "{{" opens a slot, "}}" closes it; a single brace is plain text. A field name is
 * any text without "}" or "|", trimmed of spaces. The only filter is default:"TEXT" (inside it
 * \" is a quote and \\ a backslash). Values are inserted as they are and never expanded again.
 * One trailing line break of the body is dropped (editors add one). The `system` value is a
 * template too, with the same rules.
 *
 * Errors: BT_ERR_TEMPLATE with the template file's line and column (1-based; columns count
 * bytes in the body, and characters as libyaml counts them in the front matter).
 *
 * Ownership: template_load()/template_parse() give a bt_template freed with template_free().
 * Strings returned by accessors live as long as the template. A loaded template is read-only:
 * any number of threads may render with it at once (each with its own output buffers). */
#ifndef BT_TEMPLATE_H
#define BT_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "status.h"

typedef struct bt_template bt_template;

/* A request parameter from the front matter, ready to write into a JSON object. */
typedef struct bt_tpl_param {
  const char *key;
  const char *json; /* compact JSON value */
  long line, column;
} bt_tpl_param;

/* Which text of the template. */
typedef enum { BT_TPL_USER, BT_TPL_SYSTEM } bt_tpl_part;

/* One substituted value in a rendered text: bytes [start, start + len) of the output came from
 * field `field` (an index for template_field()); from_default says the default text was used. */
typedef struct bt_tpl_span {
  size_t start, len;
  size_t field;
  int from_default;
} bt_tpl_span;

/* A reusable list of spans (template_render appends; reset n to reuse). */
typedef struct bt_tpl_spans {
  bt_tpl_span *v;
  size_t n, cap;
} bt_tpl_spans;
void tpl_spans_cleanup(bt_tpl_spans *s);

/* Where a field's value comes from during rendering. Return 1 and set *val and *len when the field
 * has a value, 0 when the row lacks it (then its default applies, or rendering fails).
 * field is the index in template_field(); name is template_field(t, field). */
typedef int (*bt_tpl_lookup)(void *ud, size_t field, const char *name, const char **val,
                             size_t *len);

bt_status template_load(const char *path, bt_template **out, bt_error *err) BT_WUR;
/* Parse text (len bytes; need not be NUL-terminated); name is used in messages. */
bt_status template_parse(const char *text, size_t len, const char *name, bt_template **out,
                         bt_error *err) BT_WUR;
void template_free(bt_template *t);

const char *template_name(const bt_template *t); /* the path or name given */
const char *template_text(const bt_template *t); /* the whole file as read */

/* Front matter (NULL / 0 when absent). */
const char *template_model(const bt_template *t);
const char *template_provider(const bt_template *t);
const char *template_endpoint(const bt_template *t);
int64_t template_max_tokens(const bt_template *t);
int template_has_system(const bt_template *t);
/* Where a front-matter key was written (line 0 when absent): for messages about its value. */
long template_key_line(const bt_template *t, const char *key, long *column);
/* Other parameters (temperature included), in file order. */
size_t template_n_params(const bt_template *t);
const bt_tpl_param *template_param(const bt_template *t, size_t i);

/* Field names used by the user message and system text (each once, in order of use). */
size_t template_n_fields(const bt_template *t);
const char *template_field(const bt_template *t, size_t i);
/* Estimated tokens (tokens.h) of the literal text of a part, outside the slots: rendering adds
 * the values' own estimates, so a row costs one pass over its values only. */
int64_t template_literal_tokens(const bt_template *t, bt_tpl_part part);

/* 1 when every use of field i has a default. */
int template_field_has_default(const bt_template *t, size_t i);

/* Render one part into out (appending). spans may be NULL. When a field without a default has
 * no value, returns BT_ERR_INPUT with *missing = its index and err holding the template's
 * line/column of that use (the caller says which row). */
bt_status template_render(const bt_template *t, bt_tpl_part part, bt_tpl_lookup lookup, void *ud,
                          bt_buf *out, bt_tpl_spans *spans, size_t *missing, bt_error *err) BT_WUR;

#endif
