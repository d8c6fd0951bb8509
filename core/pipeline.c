/* pipeline: YAML pipeline files. */
#include "pipeline.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "util.h"

typedef struct {
  yaml_document_t *doc;
  const char *path;
  bt_error *err;
} ctx;

static bt_status at(ctx *c, const yaml_node_t *n, const char *fmt, ...) BT_PRINTF(3, 4);
static bt_status at(ctx *c, const yaml_node_t *n, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return error_set_at(c->err, BT_ERR_INPUT, c->path, n ? (long)n->start_mark.line + 1 : 0,
                      n ? (long)n->start_mark.column + 1 : 0, "%s", msg);
}

static const char *scalar(const yaml_node_t *n) {
  return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A path in the file is relative to the file's own folder. */
static char *resolve(const char *file, const char *rel) {
  if (rel[0] == '/')
    return util_xstrdup(rel);
  const char *slash = strrchr(file, '/');
  if (!slash)
    return util_xstrdup(rel);
  size_t dir = (size_t)(slash - file);
  char *out = malloc(dir + 1 + strlen(rel) + 1);
  if (!out)
    return NULL;
  memcpy(out, file, dir);
  out[dir] = '/';
  strcpy(out + dir + 1, rel);
  return out;
}

static int valid_name(const char *s) {
  if (!*s || strlen(s) > 40)
    return 0;
  for (const char *p = s; *p; p++)
    if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
      return 0;
  return strcmp(s, "prev") != 0;
}

static bt_status parse_where(ctx *c, const yaml_node_t *n, bt_where *w) {
  const char *s = scalar(n);
  if (!s)
    return at(c, n, "'where' must be text, e.g. output contains \"bug\"");
  while (isspace((unsigned char)*s))
    s++;
  if (strcasecmp(s, "succeeded") == 0) {
    w->kind = WHERE_SUCCEEDED;
    return BT_OK;
  }
  static const struct {
    const char *op;
    bt_where_kind kind;
  } ops[] = {{"not contains", WHERE_NOT_CONTAINS},
             {"contains", WHERE_CONTAINS},
             {"==", WHERE_EQUALS},
             {"!=", WHERE_NOT_EQUALS}};
  if (strncmp(s, "output", 6) != 0)
    return at(c, n,
              "unknown condition '%s' (use succeeded, or output contains|not contains|==|!= "
              "\"TEXT\")",
              s);
  const char *p = s + 6;
  while (isspace((unsigned char)*p))
    p++;
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    size_t len = strlen(ops[i].op);
    if (strncmp(p, ops[i].op, len) != 0)
      continue;
    const char *q = p + len;
    while (isspace((unsigned char)*q))
      q++;
    size_t qlen = strlen(q);
    while (qlen && isspace((unsigned char)q[qlen - 1]))
      qlen--;
    if (qlen < 2 || (q[0] != '"' && q[0] != '\'') || q[qlen - 1] != q[0])
      return at(c, n, "the text in '%s' must be quoted, e.g. output contains \"bug\"", s);
    w->kind = ops[i].kind;
    w->text = strndup(q + 1, qlen - 2);
    return w->text ? BT_OK : error_set(c->err, BT_ERR_NOMEM, "out of memory");
  }
  return at(c, n, "unknown condition '%s' (use contains, not contains, == or !=)", s);
}

static bt_status parse_stage(ctx *c, const yaml_node_t *n, bt_stage *st) {
  st->line = (long)n->start_mark.line + 1;
  st->column = (long)n->start_mark.column + 1;
  st->max_cost = -1;
  if (n->type != YAML_MAPPING_NODE)
    return at(c, n, "a stage must be a mapping with name, template, provider, model");
  const yaml_node_t *template_node = NULL;
  for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
       pr++) {
    const yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
    const yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);
    const char *key = scalar(k);
    if (!key)
      return at(c, k, "stage keys must be text");
    if (strcmp(key, "where") == 0) {
      bt_status s = parse_where(c, v, &st->where);
      if (s)
        return s;
      continue;
    }
    const char *val = scalar(v);
    if (!val)
      return at(c, v, "'%s' must be a single value", key);
    if (strcmp(key, "name") == 0) {
      if (!valid_name(val))
        return at(c, v,
                  "stage name '%s' must be 1-40 letters, digits, '_' or '-' (and not 'prev')",
                  val);
      st->name = util_xstrdup(val);
    } else if (strcmp(key, "template") == 0) {
      st->template_path = resolve(c->path, val);
      template_node = v;
    } else if (strcmp(key, "provider") == 0) {
      if (strcmp(val, "openai") && strcmp(val, "anthropic") && strcmp(val, "local"))
        return at(c, v, "unknown provider '%s' (openai, anthropic or local)", val);
      st->provider = util_xstrdup(val);
    } else if (strcmp(key, "model") == 0) {
      st->model = util_xstrdup(val);
    } else if (strcmp(key, "chunk_size") == 0) {
      char *end;
      errno = 0;
      long long v2 = strtoll(val, &end, 10);
      if (*end || errno || v2 <= 0)
        return at(c, v, "chunk_size must be a whole number above 0, not '%s'", val);
      st->chunk_size = v2;
    } else if (strcmp(key, "max_cost") == 0) {
      char *end;
      errno = 0;
      double d = strtod(val, &end);
      if (*end || errno || !isfinite(d) || d < 0)
        return at(c, v, "max_cost must be a number of US dollars, not '%s'", val);
      st->max_cost = d;
    } else {
      return at(c, k,
                "unknown stage key '%s' (name, template, provider, model, chunk_size, "
                "max_cost, where)",
                key);
    }
  }
  if (!st->name)
    return at(c, n, "this stage has no 'name'");
  if (!template_node)
    return at(c, n, "stage has no 'template'");
  return BT_OK;
}

static bt_status parse_root(ctx *c, bt_pipeline *p) {
  const yaml_node_t *root = yaml_document_get_root_node(c->doc);
  if (!root)
    return error_set_at(c->err, BT_ERR_INPUT, c->path, 1, 1, "the pipeline file is empty");
  if (root->type != YAML_MAPPING_NODE)
    return at(c, root, "a pipeline must be a mapping with name, input and stages");
  const yaml_node_t *stages = NULL, *input = NULL;
  for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
       pr < root->data.mapping.pairs.top; pr++) {
    const yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
    const yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);
    const char *key = scalar(k);
    if (!key)
      return at(c, k, "keys must be text");
    if (strcmp(key, "stages") == 0) {
      stages = v;
      continue;
    }
    const char *val = scalar(v);
    if (!val)
      return at(c, v, "'%s' must be a single value", key);
    if (strcmp(key, "name") == 0) {
      p->name = util_xstrdup(val);
    } else if (strcmp(key, "input") == 0) {
      p->input_path = resolve(c->path, val);
      input = v;
    } else if (strcmp(key, "format") == 0) {
      if (strcmp(val, "csv") && strcmp(val, "tsv") && strcmp(val, "jsonl"))
        return at(c, v, "unknown format '%s' (csv, tsv or jsonl)", val);
      p->format = util_xstrdup(val);
    } else {
      return at(c, k, "unknown key '%s' (name, input, format, stages)", key);
    }
  }
  if (!p->name)
    return at(c, root, "the pipeline has no 'name'");
  if (!input)
    return at(c, root, "the pipeline has no 'input' file");
  if (!stages)
    return at(c, root, "the pipeline has no 'stages'");
  if (stages->type != YAML_SEQUENCE_NODE ||
      stages->data.sequence.items.top == stages->data.sequence.items.start)
    return at(c, stages, "'stages' must be a list of at least one stage");
  size_t n = (size_t)(stages->data.sequence.items.top - stages->data.sequence.items.start);
  p->stages = calloc(n, sizeof *p->stages);
  if (!p->stages)
    return error_set(c->err, BT_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const yaml_node_t *sn = yaml_document_get_node(c->doc, stages->data.sequence.items.start[i]);
    p->n_stages = i + 1;
    bt_status s = parse_stage(c, sn, &p->stages[i]);
    if (s)
      return s;
    for (size_t j = 0; j < i; j++)
      if (strcmp(p->stages[j].name, p->stages[i].name) == 0)
        return at(c, sn, "two stages are named '%s'", p->stages[i].name);
    if (i == 0 && p->stages[i].where.kind != WHERE_SUCCEEDED)
      return at(c, sn, "the first stage has no previous stage for 'where'");
  }
  return BT_OK;
}

bt_status pipeline_load(const char *path, bt_pipeline *out, bt_error *err) {
  memset(out, 0, sizeof *out);
  out->path = util_xstrdup(path);
  FILE *f = fopen(path, "rb");
  if (!f)
    return error_set_at(err, BT_ERR_INPUT, path, 0, 0, "cannot open: %s", strerror(errno));
  yaml_parser_t parser;
  yaml_document_t doc;
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_file(&parser, f);
  bt_status s = BT_OK;
  if (!yaml_parser_load(&parser, &doc)) {
    s = error_set_at(err, BT_ERR_INPUT, path, (long)parser.problem_mark.line + 1,
                     (long)parser.problem_mark.column + 1, "YAML: %s%s%s",
                     parser.problem ? parser.problem : "syntax error",
                     parser.context ? " " : "", parser.context ? parser.context : "");
  } else {
    ctx c = {&doc, path, err};
    s = parse_root(&c, out);
    yaml_document_delete(&doc);
  }
  yaml_parser_delete(&parser);
  fclose(f);
  if (s)
    pipeline_cleanup(out);
  return s;
}

void pipeline_cleanup(bt_pipeline *p) {
  for (size_t i = 0; i < p->n_stages; i++) {
    bt_stage *st = &p->stages[i];
    free(st->name);
    free(st->template_path);
    free(st->provider);
    free(st->model);
    free(st->where.text);
  }
  free(p->stages);
  free(p->path);
  free(p->name);
  free(p->input_path);
  free(p->format);
  memset(p, 0, sizeof *p);
}

int pipeline_stage_index(const bt_pipeline *p, const char *name) {
  for (size_t i = 0; i < p->n_stages; i++)
    if (strcmp(p->stages[i].name, name) == 0)
      return (int)i;
  return -1;
}

/* Case-insensitive comparisons on the output with surrounding white space ignored. */
static int trimmed_equal(const char *a, const char *b) {
  while (isspace((unsigned char)*a))
    a++;
  size_t n = strlen(a);
  while (n && isspace((unsigned char)a[n - 1]))
    n--;
  return strlen(b) == n && strncasecmp(a, b, n) == 0;
}

static int contains_nocase(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  if (n == 0)
    return 1;
  for (; *hay; hay++)
    if (strncasecmp(hay, needle, n) == 0)
      return 1;
  return 0;
}

int pipeline_where_match(const bt_where *w, const char *output) {
  if (!output)
    output = "";
  switch (w->kind) {
  case WHERE_SUCCEEDED:
    return 1;
  case WHERE_CONTAINS:
    return contains_nocase(output, w->text);
  case WHERE_NOT_CONTAINS:
    return !contains_nocase(output, w->text);
  case WHERE_EQUALS:
    return trimmed_equal(output, w->text);
  case WHERE_NOT_EQUALS:
    return !trimmed_equal(output, w->text);
  }
  return 0;
}
