/* template: front matter (libyaml) and the {{field}} body, parsed once into segments. */
#include "template.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "input_utf8.h"
#include "request.h"
#include "tokens.h"
#include "util.h"

#define TEMPLATE_MAX_BYTES ((size_t)16 * 1024 * 1024)

typedef struct tpl_seg {
  const char *text; /* literal text, or the default text of a slot */
  size_t len;
  int is_field;
  int has_default;
  size_t field;
  long line, col; /* of the slot's "{{" */
} tpl_seg;

typedef struct tpl_partv {
  tpl_seg *v;
  size_t n, cap;
  int64_t literal_tokens;
} tpl_partv;

typedef struct tpl_key {
  char *key;
  long line, col;
} tpl_key;

struct bt_template {
  char *name;
  char *text;
  size_t len;
  char *model, *provider, *endpoint, *system;
  int64_t max_tokens;
  tpl_key *keys;
  size_t n_keys;
  bt_tpl_param *params;
  size_t n_params;
  char **fields;
  int *field_all_default;
  size_t n_fields;
  tpl_partv user, sys;
  char **owned; /* unescaped default texts */
  size_t n_owned;
};

void tpl_spans_cleanup(bt_tpl_spans *s) {
  free(s->v);
  s->v = NULL;
  s->n = s->cap = 0;
}

/* ---- body ---------------------------------------------------------------------------------- */

static bt_status seg_add(tpl_partv *p, tpl_seg seg) {
  if (p->n == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 8;
    tpl_seg *v = realloc(p->v, cap * sizeof *v);
    if (!v)
      return BT_ERR_NOMEM;
    p->v = v;
    p->cap = cap;
  }
  p->v[p->n++] = seg;
  return BT_OK;
}

static long field_index(bt_template *t, const char *name, size_t n, int has_default) {
  for (size_t i = 0; i < t->n_fields; i++)
    if (strlen(t->fields[i]) == n && memcmp(t->fields[i], name, n) == 0) {
      if (!has_default)
        t->field_all_default[i] = 0;
      return (long)i;
    }
  char **f = realloc(t->fields, (t->n_fields + 1) * sizeof *f);
  if (!f)
    return -1;
  t->fields = f;
  int *d = realloc(t->field_all_default, (t->n_fields + 1) * sizeof *d);
  if (!d)
    return -1;
  t->field_all_default = d;
  char *copy = malloc(n + 1);
  if (!copy)
    return -1;
  memcpy(copy, name, n);
  copy[n] = '\0';
  t->fields[t->n_fields] = copy;
  t->field_all_default[t->n_fields] = has_default;
  return (long)t->n_fields++;
}

static int is_space(char c) {
  return c == ' ' || c == '\t';
}

/* Position tracking while scanning s: line/col of s[i] given the start position. */
typedef struct tpl_pos {
  long line0, col0;
  const char *s;
  size_t i; /* scanned up to here */
  long line, col;
} tpl_pos;

static void pos_at(tpl_pos *p, size_t i) {
  for (; p->i < i; p->i++) {
    if (p->s[p->i] == '\n') {
      p->line++;
      p->col = 1;
    } else {
      p->col++;
    }
  }
}

static bt_status tpl_err(bt_template *t, tpl_pos *p, size_t i, bt_error *err, const char *fmt, ...)
    BT_PRINTF(5, 6);
static bt_status tpl_err(bt_template *t, tpl_pos *p, size_t i, bt_error *err, const char *fmt,
                         ...) {
  pos_at(p, i);
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return error_set_at(err, BT_ERR_TEMPLATE, t->name, p->line, p->col, "%s", msg);
}

/* Parse s[0..n) (positions start at line0:col0) into part. */
static bt_status parse_body(bt_template *t, const char *s, size_t n, long line0, long col0,
                            tpl_partv *part, bt_error *err) {
  tpl_pos pos = {line0, col0, s, 0, line0, col0};
  size_t lit = 0, i = 0;
  while (i + 1 < n) {
    if (!(s[i] == '{' && s[i + 1] == '{')) {
      i++;
      continue;
    }
    size_t open = i;
    if (open > lit && seg_add(part, (tpl_seg){s + lit, open - lit, 0, 0, 0, 0, 0}))
      return error_set(err, BT_ERR_NOMEM, "out of memory");
    i += 2;
    size_t ns = i;
    while (i < n && s[i] != '}' && s[i] != '|')
      i++;
    if (i >= n)
      return tpl_err(t, &pos, open, err, "unclosed {{ (no }} after it)");
    size_t a = ns, b = i;
    while (a < b && (is_space(s[a]) || s[a] == '\n' || s[a] == '\r'))
      a++;
    while (b > a && (is_space(s[b - 1]) || s[b - 1] == '\n' || s[b - 1] == '\r'))
      b--;
    if (a == b)
      return tpl_err(t, &pos, open, err, "empty field name in {{ }}");
    int has_default = 0;
    char *def = NULL;
    size_t def_len = 0;
    if (s[i] == '|') {
      i++;
      while (i < n && is_space(s[i]))
        i++;
      if (n - i < 7 || memcmp(s + i, "default", 7) != 0) {
        size_t e = i;
        while (e < n && e - i < 40 && s[e] != '}' && s[e] != ':' && s[e] != '\n')
          e++;
        char word[48];
        snprintf(word, sizeof word, "%.*s", (int)(e - i), s + i);
        return tpl_err(t, &pos, i, err, "unknown filter '%s' (the only one is default:\"...\")",
                       word);
      }
      i += 7;
      while (i < n && is_space(s[i]))
        i++;
      if (i >= n || s[i] != ':')
        return tpl_err(t, &pos, i, err, "expected ':' after default");
      i++;
      while (i < n && is_space(s[i]))
        i++;
      if (i >= n || s[i] != '"')
        return tpl_err(t, &pos, i, err, "expected a quoted default, like default:\"none\"");
      size_t q = i++;
      def = malloc(n - i + 1);
      if (!def)
        return error_set(err, BT_ERR_NOMEM, "out of memory");
      while (i < n && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < n && (s[i + 1] == '"' || s[i + 1] == '\\'))
          i++;
        def[def_len++] = s[i++];
      }
      def[def_len] = '\0';
      if (i >= n) {
        free(def);
        return tpl_err(t, &pos, q, err, "unterminated default text (no closing \")");
      }
      i++;
      while (i < n && is_space(s[i]))
        i++;
      has_default = 1;
      char **o = realloc(t->owned, (t->n_owned + 1) * sizeof *o);
      if (!o) {
        free(def);
        return error_set(err, BT_ERR_NOMEM, "out of memory");
      }
      t->owned = o;
      t->owned[t->n_owned++] = def;
    }
    if (i + 1 >= n || s[i] != '}' || s[i + 1] != '}')
      return tpl_err(t, &pos, i < n ? i : open, err, "%s",
                     i < n ? "expected }} to close the field" : "unclosed {{ (no }} after it)");
    i += 2;
    long fi = field_index(t, s + a, b - a, has_default);
    if (fi < 0)
      return error_set(err, BT_ERR_NOMEM, "out of memory");
    pos_at(&pos, open);
    if (seg_add(part, (tpl_seg){def, def_len, 1, has_default, (size_t)fi, pos.line, pos.col}))
      return error_set(err, BT_ERR_NOMEM, "out of memory");
    lit = i;
  }
  if (n > lit && seg_add(part, (tpl_seg){s + lit, n - lit, 0, 0, 0, 0, 0}))
    return error_set(err, BT_ERR_NOMEM, "out of memory");
  part->literal_tokens = 0;
  for (size_t k = 0; k < part->n; k++)
    if (!part->v[k].is_field)
      part->literal_tokens += tokens_estimate(part->v[k].text, part->v[k].len);
  return BT_OK;
}

/* ---- front matter -------------------------------------------------------------------------- */

static int looks_like_json_number(const char *s) {
  const char *p = s;
  if (*p == '-')
    p++;
  if (*p == '0')
    p++;
  else if (*p >= '1' && *p <= '9')
    while (isdigit((unsigned char)*p))
      p++;
  else
    return 0;
  if (*p == '.') {
    p++;
    if (!isdigit((unsigned char)*p))
      return 0;
    while (isdigit((unsigned char)*p))
      p++;
  }
  if (*p == 'e' || *p == 'E') {
    p++;
    if (*p == '+' || *p == '-')
      p++;
    if (!isdigit((unsigned char)*p))
      return 0;
    while (isdigit((unsigned char)*p))
      p++;
  }
  return *p == '\0';
}

/* What a plain scalar means: 's' string, 'n' null, 'b' bool, 'i' integer, 'f' number. */
static char scalar_kind(const yaml_node_t *node) {
  const char *v = (const char *)node->data.scalar.value;
  if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
    return 's';
  if (!*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL"))
    return 'n';
  if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE") || !strcmp(v, "false") ||
      !strcmp(v, "False") || !strcmp(v, "FALSE"))
    return 'b';
  if (looks_like_json_number(v))
    return strpbrk(v, ".eE") ? 'f' : 'i';
  return 's';
}

/* Is a number scalar (kind 'i' or 'f') something a JSON reader takes as that number: an
 * integer within int64, a real that is finite? strtoll clamps and strtod gives inf, so a
 * value beyond them would be sent as something else or refused by the provider. */
static int number_in_range(const char *v, char kind) {
  char *end;
  errno = 0;
  if (kind == 'i')
    (void)strtoll(v, &end, 10);
  else if (!isfinite(strtod(v, &end)))
    return 0;
  return errno != ERANGE || kind == 'f'; /* a tiny real underflows to 0: fine */
}

/* *bad: set to the scalar whose number is out of range (then BT_ERR_TEMPLATE is returned). */
static bt_status yaml_to_json(yaml_document_t *doc, yaml_node_t *node, bt_buf *out, int depth,
                              yaml_node_t **bad) {
  bt_status s = BT_OK;
  if (depth > 64)
    return BT_ERR_LIMIT;
  switch (node->type) {
  case YAML_SCALAR_NODE: {
    const char *v = (const char *)node->data.scalar.value;
    switch (scalar_kind(node)) {
    case 'n':
      return buf_puts(out, "null");
    case 'b':
      return buf_puts(out, (v[0] == 't' || v[0] == 'T') ? "true" : "false");
    case 'i':
    case 'f':
      if (!number_in_range(v, scalar_kind(node))) {
        *bad = node;
        return BT_ERR_TEMPLATE;
      }
      return buf_puts(out, v);
    default:
      return request_put_json_string(out, v, node->data.scalar.length);
    }
  }
  case YAML_SEQUENCE_NODE: {
    if ((s = buf_putc(out, '[')))
      return s;
    for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top;
         it++) {
      if (it != node->data.sequence.items.start && (s = buf_putc(out, ',')))
        return s;
      if ((s = yaml_to_json(doc, yaml_document_get_node(doc, *it), out, depth + 1, bad)))
        return s;
    }
    return buf_putc(out, ']');
  }
  case YAML_MAPPING_NODE: {
    if ((s = buf_putc(out, '{')))
      return s;
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
      yaml_node_t *k = yaml_document_get_node(doc, p->key);
      if (!k || k->type != YAML_SCALAR_NODE)
        return BT_ERR_TEMPLATE;
      if (p != node->data.mapping.pairs.start && (s = buf_putc(out, ',')))
        return s;
      if ((s = request_put_json_string(out, (const char *)k->data.scalar.value,
                                       k->data.scalar.length)) ||
          (s = buf_putc(out, ':')) ||
          (s = yaml_to_json(doc, yaml_document_get_node(doc, p->value), out, depth + 1, bad)))
        return s;
    }
    return buf_putc(out, '}');
  }
  default:
    return buf_puts(out, "null");
  }
}

static bt_status fm_error(bt_template *t, long fm_line, const yaml_node_t *n, bt_error *err,
                          const char *fmt, ...) BT_PRINTF(5, 6);
static bt_status fm_error(bt_template *t, long fm_line, const yaml_node_t *n, bt_error *err,
                          const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return error_set_at(err, BT_ERR_TEMPLATE, t->name, fm_line + (long)n->start_mark.line,
                      (long)n->start_mark.column + 1, "%s", msg);
}

static const char *const fm_providers[] = {"openai", "anthropic", "local", NULL};

/* Front matter keys batchtop reads, and request parameters it passes through as they are: a
 * key one edit away from one of them (max_token) is taken for a typo, not a new parameter. */
static const char *const fm_known_keys[] = {"model",
                                            "provider",
                                            "endpoint",
                                            "system",
                                            "max_tokens",
                                            "stream",
                                            "temperature",
                                            "top_p",
                                            "top_k",
                                            "stop",
                                            "seed",
                                            "n",
                                            "response_format",
                                            "tools",
                                            "tool_choice",
                                            "presence_penalty",
                                            "frequency_penalty",
                                            "logprobs",
                                            "top_logprobs",
                                            "metadata",
                                            "user",
                                            "reasoning_effort",
                                            "max_completion_tokens",
                                            "stop_sequences",
                                            "thinking",
                                            "schema",
                                            NULL};

/* The known key one edit away from key, or NULL (also when key itself is known). */
static const char *fm_key_typo(const char *key) {
  for (size_t i = 0; fm_known_keys[i]; i++)
    if (!strcmp(key, fm_known_keys[i]))
      return NULL;
  for (size_t i = 0; fm_known_keys[i]; i++)
    if (strlen(fm_known_keys[i]) > 3 && util_edit_distance(key, fm_known_keys[i]) == 1)
      return fm_known_keys[i];
  return NULL;
}

static bt_status parse_front_matter(bt_template *t, const char *y, size_t n, long fm_line,
                                    bt_error *err) {
  yaml_parser_t parser;
  yaml_document_t doc;
  bt_status s = BT_OK;
  if (!yaml_parser_initialize(&parser))
    return error_set(err, BT_ERR_NOMEM, "out of memory");
  yaml_parser_set_input_string(&parser, (const unsigned char *)y, n);
  if (!yaml_parser_load(&parser, &doc)) {
    const yaml_mark_t *m = &parser.problem_mark;
    s = error_set_at(err, BT_ERR_TEMPLATE, t->name, fm_line + (long)m->line, (long)m->column + 1,
                     "front matter: %s%s%s", parser.problem ? parser.problem : "invalid YAML",
                     parser.context ? " " : "", parser.context ? parser.context : "");
    yaml_parser_delete(&parser);
    return s;
  }
  yaml_parser_delete(&parser);
  bt_buf json;
  /* Capped: YAML aliases can expand a short file into a huge value ("billion laughs"). */
  buf_init(&json, 1024 * 1024);
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  if (!root || (root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0))
    goto out; /* empty front matter */
  if (root->type != YAML_MAPPING_NODE) {
    s = fm_error(t, fm_line, root, err, "front matter must be 'key: value' lines");
    goto out;
  }
  size_t npairs = (size_t)(root->data.mapping.pairs.top - root->data.mapping.pairs.start);
  t->keys = calloc(npairs ? npairs : 1, sizeof *t->keys);
  t->params = calloc(npairs ? npairs : 1, sizeof *t->params);
  if (!t->keys || !t->params) {
    s = error_set(err, BT_ERR_NOMEM, "out of memory");
    goto out;
  }
  for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
       p++) {
    yaml_node_t *k = yaml_document_get_node(&doc, p->key);
    yaml_node_t *v = yaml_document_get_node(&doc, p->value);
    if (!k || !v || k->type != YAML_SCALAR_NODE) {
      s = fm_error(t, fm_line, k ? k : root, err, "front matter keys must be plain words");
      goto out;
    }
    const char *key = (const char *)k->data.scalar.value;
    for (size_t i = 0; i < t->n_keys; i++)
      if (strcmp(t->keys[i].key, key) == 0) {
        s = fm_error(t, fm_line, k, err, "'%s' is given twice in the front matter", key);
        goto out;
      }
    t->keys[t->n_keys].key = util_xstrdup(key);
    t->keys[t->n_keys].line = fm_line + (long)k->start_mark.line;
    t->keys[t->n_keys].col = (long)k->start_mark.column + 1;
    t->n_keys++;
    const char *sv = v->type == YAML_SCALAR_NODE ? (const char *)v->data.scalar.value : NULL;
    char kind = sv ? scalar_kind(v) : 0;
    if (!strcmp(key, "model") || !strcmp(key, "provider") || !strcmp(key, "endpoint") ||
        !strcmp(key, "system")) {
      if (!sv || kind == 'n' || !*sv) {
        s = fm_error(t, fm_line, v, err, "'%s' must be a text value", key);
        goto out;
      }
      if (!strcmp(key, "model")) {
        t->model = util_xstrdup(sv);
      } else if (!strcmp(key, "endpoint")) {
        t->endpoint = util_xstrdup(sv);
      } else if (!strcmp(key, "provider")) {
        int ok = 0;
        for (size_t i = 0; fm_providers[i]; i++)
          ok |= !strcmp(sv, fm_providers[i]);
        if (!ok) {
          s = fm_error(t, fm_line, v, err, "unknown provider '%s' (openai, anthropic or local)",
                       sv);
          goto out;
        }
        t->provider = util_xstrdup(sv);
      } else {
        t->system = malloc(v->data.scalar.length + 1);
        if (!t->system) {
          s = error_set(err, BT_ERR_NOMEM, "out of memory");
          goto out;
        }
        memcpy(t->system, sv, v->data.scalar.length + 1);
        /* A quoted or block scalar's text starts after its indicator. */
        long col = (long)v->start_mark.column + 1;
        long line = fm_line + (long)v->start_mark.line;
        if (v->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
            v->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
          col++;
        if ((s = parse_body(t, t->system, v->data.scalar.length, line, col, &t->sys, err)))
          goto out;
      }
      continue;
    }
    if (!strcmp(key, "max_tokens")) {
      char *end = NULL;
      errno = 0;
      long long mt = (sv && kind == 'i') ? strtoll(sv, &end, 10) : 0;
      if (mt > 0 && errno == ERANGE) {
        s = fm_error(t, fm_line, v, err, "max_tokens: %s is too large (at most %lld)", sv,
                     (long long)INT64_MAX);
        goto out;
      }
      if (mt < 1) {
        s = fm_error(t, fm_line, v, err, "max_tokens must be a whole number of at least 1");
        goto out;
      }
      t->max_tokens = mt;
      continue;
    }
    if (!strcmp(key, "stream")) {
      if (sv && kind == 'b' && (sv[0] == 'f' || sv[0] == 'F'))
        continue; /* stream: false is the batch default: drop it */
      s = fm_error(t, fm_line, v, err, "stream: true is not possible in a batch");
      goto out;
    }
    if (!strcmp(key, "temperature") && !(sv && (kind == 'i' || kind == 'f'))) {
      s = fm_error(t, fm_line, v, err, "temperature must be a number");
      goto out;
    }
    const char *typo = fm_key_typo(key);
    if (typo) {
      s = fm_error(t, fm_line, k, err, "unknown front matter key '%s'; did you mean '%s'?", key,
                   typo);
      goto out;
    }
    buf_reset(&json);
    yaml_node_t *bad = NULL;
    bt_status js = yaml_to_json(&doc, v, &json, 0, &bad);
    if (js && bad) {
      s = fm_error(t, fm_line, bad, err, "%s: %s is out of range (%s)", key,
                   (const char *)bad->data.scalar.value,
                   scalar_kind(bad) == 'i' ? "a whole number must be within 64 bits"
                                           : "not a finite number");
      goto out;
    }
    if (js) {
      s = fm_error(t, fm_line, v, err,
                   "cannot turn '%s' into JSON (mapping keys must be text; at most 1 MB)", key);
      goto out;
    }
    bt_tpl_param *prm = &t->params[t->n_params++];
    prm->key = util_xstrdup(key);
    prm->json = util_xstrdup(buf_str(&json));
    prm->line = fm_line + (long)k->start_mark.line;
    prm->column = (long)k->start_mark.column + 1;
  }
out:
  buf_cleanup(&json);
  yaml_document_delete(&doc);
  return s;
}

/* Is s[i..) a front-matter fence line ("---" then spaces and a line end)? Returns the offset
 * just past the line, or 0. */
static size_t fence_end(const char *s, size_t n, size_t i) {
  if (n - i < 3 || memcmp(s + i, "---", 3) != 0)
    return 0;
  size_t j = i + 3;
  while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r'))
    j++;
  if (j == n)
    return n;
  return s[j] == '\n' ? j + 1 : 0;
}

bt_status template_parse(const char *text, size_t len, const char *name, bt_template **out,
                         bt_error *err) {
  *out = NULL;
  bt_template *t = calloc(1, sizeof *t);
  if (!t)
    return error_set(err, BT_ERR_NOMEM, "out of memory");
  t->name = util_xstrdup(name ? name : "template");
  t->text = malloc(len + 1);
  if (!t->text) {
    template_free(t);
    return error_set(err, BT_ERR_NOMEM, "out of memory");
  }
  memcpy(t->text, text, len);
  t->text[len] = '\0';
  t->len = len;
  bt_status s = BT_OK;
  const char *p = t->text;
  size_t n = len;
  /* Offsets of lines: compute line/col of a bad byte. */
  size_t bad = utf8_check(p, n);
  if (bad < n || memchr(p, '\0', n)) {
    if (bad >= n)
      bad = (size_t)((const char *)memchr(p, '\0', n) - p);
    long line = 1, col = 1;
    for (size_t i = 0; i < bad; i++)
      if (p[i] == '\n') {
        line++;
        col = 1;
      } else {
        col++;
      }
    s = error_set_at(err, BT_ERR_TEMPLATE, t->name, line, col,
                     bad < n && p[bad] == '\0' ? "NUL byte in the template"
                                               : "invalid UTF-8 in the template");
    template_free(t);
    return s;
  }
  size_t i = 0;
  if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
    i = 3;
  long body_line = 1;
  size_t fe = fence_end(p, n, i);
  if (fe) {
    /* front matter: find the closing fence */
    size_t j = fe, close = 0;
    long line = 2;
    while (j < n) {
      size_t e = fence_end(p, n, j);
      if (e) {
        close = j;
        break;
      }
      const char *nl = memchr(p + j, '\n', n - j);
      if (!nl)
        break;
      j = (size_t)(nl - p) + 1;
      line++;
    }
    if (!close) {
      s = error_set_at(err, BT_ERR_TEMPLATE, t->name, 1, 1,
                       "front matter opened here is not closed by a '---' line");
      template_free(t);
      return s;
    }
    if ((s = parse_front_matter(t, p + fe, close - fe, 2, err))) {
      template_free(t);
      return s;
    }
    i = fence_end(p, n, close);
    body_line = line + 1;
  }
  size_t bn = n - i;
  if (bn && p[i + bn - 1] == '\n') {
    bn--;
    if (bn && p[i + bn - 1] == '\r')
      bn--;
  }
  if ((s = parse_body(t, p + i, bn, body_line, (i == 3 && body_line == 1) ? 4 : 1, &t->user,
                      err))) {
    template_free(t);
    return s;
  }
  *out = t;
  return BT_OK;
}

bt_status template_load(const char *path, bt_template **out, bt_error *err) {
  char *text = NULL;
  size_t len = 0;
  *out = NULL;
  bt_status s = util_read_file(path, TEMPLATE_MAX_BYTES, &text, &len, err);
  if (s)
    return s;
  s = template_parse(text, len, path, out, err);
  free(text);
  return s;
}

void template_free(bt_template *t) {
  if (!t)
    return;
  free(t->name);
  free(t->text);
  free(t->model);
  free(t->provider);
  free(t->endpoint);
  free(t->system);
  for (size_t i = 0; i < t->n_keys; i++)
    free(t->keys[i].key);
  free(t->keys);
  for (size_t i = 0; i < t->n_params; i++) {
    free((char *)t->params[i].key);
    free((char *)t->params[i].json);
  }
  free(t->params);
  for (size_t i = 0; i < t->n_fields; i++)
    free(t->fields[i]);
  free(t->fields);
  free(t->field_all_default);
  free(t->user.v);
  free(t->sys.v);
  for (size_t i = 0; i < t->n_owned; i++)
    free(t->owned[i]);
  free(t->owned);
  free(t);
}

const char *template_name(const bt_template *t) {
  return t->name;
}
const char *template_text(const bt_template *t) {
  return t->text;
}
const char *template_model(const bt_template *t) {
  return t->model;
}
const char *template_provider(const bt_template *t) {
  return t->provider;
}
const char *template_endpoint(const bt_template *t) {
  return t->endpoint;
}
int64_t template_max_tokens(const bt_template *t) {
  return t->max_tokens;
}
int template_has_system(const bt_template *t) {
  return t->system != NULL;
}

long template_key_line(const bt_template *t, const char *key, long *column) {
  for (size_t i = 0; i < t->n_keys; i++)
    if (strcmp(t->keys[i].key, key) == 0) {
      if (column)
        *column = t->keys[i].col;
      return t->keys[i].line;
    }
  if (column)
    *column = 0;
  return 0;
}

size_t template_n_params(const bt_template *t) {
  return t->n_params;
}
const bt_tpl_param *template_param(const bt_template *t, size_t i) {
  return i < t->n_params ? &t->params[i] : NULL;
}
size_t template_n_fields(const bt_template *t) {
  return t->n_fields;
}
const char *template_field(const bt_template *t, size_t i) {
  return i < t->n_fields ? t->fields[i] : NULL;
}
int64_t template_literal_tokens(const bt_template *t, bt_tpl_part part) {
  return part == BT_TPL_SYSTEM ? t->sys.literal_tokens : t->user.literal_tokens;
}

int template_field_has_default(const bt_template *t, size_t i) {
  return i < t->n_fields ? t->field_all_default[i] : 0;
}

static bt_status span_add(bt_tpl_spans *sp, bt_tpl_span span) {
  if (sp->n == sp->cap) {
    size_t cap = sp->cap ? sp->cap * 2 : 8;
    bt_tpl_span *v = realloc(sp->v, cap * sizeof *v);
    if (!v)
      return BT_ERR_NOMEM;
    sp->v = v;
    sp->cap = cap;
  }
  sp->v[sp->n++] = span;
  return BT_OK;
}

bt_status template_render(const bt_template *t, bt_tpl_part part, bt_tpl_lookup lookup, void *ud,
                          bt_buf *out, bt_tpl_spans *spans, size_t *missing, bt_error *err) {
  const tpl_partv *pv = part == BT_TPL_SYSTEM ? &t->sys : &t->user;
  for (size_t i = 0; i < pv->n; i++) {
    const tpl_seg *sg = &pv->v[i];
    if (!sg->is_field) {
      if (buf_append(out, sg->text, sg->len))
        return error_set(err, BT_ERR_LIMIT, "rendered text too large");
      continue;
    }
    const char *val = NULL;
    size_t len = 0;
    int from_default = 0;
    if (!lookup || !lookup(ud, sg->field, t->fields[sg->field], &val, &len)) {
      if (!sg->has_default) {
        if (missing)
          *missing = sg->field;
        return error_set_at(err, BT_ERR_INPUT, t->name, sg->line, sg->col,
                            "no value for field '%s'", t->fields[sg->field]);
      }
      val = sg->text;
      len = sg->len;
      from_default = 1;
    }
    size_t start = out->len;
    if (buf_append(out, val, len))
      return error_set(err, BT_ERR_LIMIT, "rendered text too large");
    if (spans && span_add(spans, (bt_tpl_span){start, len, sg->field, from_default}))
      return error_set(err, BT_ERR_NOMEM, "out of memory");
  }
  return BT_OK;
}
