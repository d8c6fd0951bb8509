/* render: input reader -> template -> request line -> checks, one row per call. */
#include "render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tokens.h"
#include "util.h"

/* custom_ids seen so far (only when they come from a column: row-N ids are unique by
 * construction, which keeps memory flat for the common case). Open addressing. */
typedef struct id_set {
  uint64_t *hash;
  char **key;
  int64_t *row;
  size_t cap, n;
} id_set;

static uint64_t id_hash(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)s[i];
    h *= 1099511628211ull;
  }
  return h | 1; /* 0 marks an empty slot */
}

/* Insert; returns 0 on success, the earlier row when already present, -1 out of memory. */
static int64_t id_set_add(id_set *s, const char *id, size_t n, int64_t row) {
  if ((s->n + 1) * 2 > s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 1024;
    id_set t = {calloc(cap, sizeof(uint64_t)), calloc(cap, sizeof(char *)),
                calloc(cap, sizeof(int64_t)), cap, s->n};
    if (!t.hash || !t.key || !t.row) {
      free(t.hash);
      free(t.key);
      free(t.row);
      return -1;
    }
    for (size_t i = 0; i < s->cap; i++) {
      if (!s->hash[i])
        continue;
      size_t j = s->hash[i] & (cap - 1);
      while (t.hash[j])
        j = (j + 1) & (cap - 1);
      t.hash[j] = s->hash[i];
      t.key[j] = s->key[i];
      t.row[j] = s->row[i];
    }
    free(s->hash);
    free(s->key);
    free(s->row);
    *s = t;
  }
  uint64_t h = id_hash(id, n);
  size_t j = h & (s->cap - 1);
  while (s->hash[j]) {
    if (s->hash[j] == h && strlen(s->key[j]) == n && memcmp(s->key[j], id, n) == 0)
      return s->row[j];
    j = (j + 1) & (s->cap - 1);
  }
  char *k = malloc(n + 1);
  if (!k)
    return -1;
  memcpy(k, id, n);
  k[n] = '\0';
  s->hash[j] = h;
  s->key[j] = k;
  s->row[j] = row;
  s->n++;
  return 0;
}

static void id_set_cleanup(id_set *s) {
  for (size_t i = 0; i < s->cap; i++)
    free(s->key[i]);
  free(s->hash);
  free(s->key);
  free(s->row);
}

struct bt_render {
  bt_template *tpl;
  bt_input *in;
  bt_render_opts opts;
  bt_render_info info;
  bt_request_spec spec;
  bt_provider_limits limits;
  char *model, *params;
  bt_buf fields_json;
  size_t fields_known;
  long *colmap; /* CSV: template field -> column, -1 when no such column */
  long id_col;  /* CSV: column of id_field */
  const bt_record *rec, *pending;
  bt_buf user, sys, req, injson, id;
  bt_tpl_spans user_spans, sys_spans;
  id_set ids;
  bt_rendered row;
  char **name_json; /* CSV: "\"name\":" per column, for input_json */
};

static bt_status update_fields_json(bt_render *r) {
  size_t n = input_n_names(r->in);
  if (n == r->fields_known && r->fields_json.len)
    return BT_OK;
  buf_reset(&r->fields_json);
  bt_status s = buf_putc(&r->fields_json, '[');
  for (size_t i = 0; !s && i < n; i++) {
    const char *name = input_name(r->in, i);
    if (i)
      s = buf_putc(&r->fields_json, ',');
    if (!s)
      s = request_put_json_string(&r->fields_json, name, strlen(name));
  }
  if (!s)
    s = buf_putc(&r->fields_json, ']');
  r->fields_known = n;
  r->info.fields_json = buf_str(&r->fields_json);
  return s;
}

static bt_status key_error(const bt_template *t, const char *key, bt_error *err) {
  long col = 0;
  long line = template_key_line(t, key, &col);
  if (line > 0 && err) {
    char msg[sizeof err->message];
    memcpy(msg, err->message, sizeof msg);
    error_set_at(err, BT_ERR_TEMPLATE, template_name(t), line, col, "%s", msg);
  }
  return err ? err->status : BT_ERR_TEMPLATE;
}

/* The request spec of a template under opts: provider (flag, else front matter, else openai;
 * flags beat front matter, cli.md), endpoint, model, max_tokens and pass-through params. */
bt_status render_spec_build(const bt_template *t, const bt_render_opts *o, bt_request_spec *spec,
                            char **model_out, char **params_out, bt_error *err) {
  bt_render_opts none;
  memset(&none, 0, sizeof none);
  if (!o)
    o = &none;
  memset(spec, 0, sizeof *spec);
  *model_out = NULL;
  *params_out = NULL;
  bt_status s = BT_OK;
  const char *prov = o->provider ? o->provider : template_provider(t);
  if ((s = request_provider_parse(prov ? prov : "openai", &spec->provider, err))) {
    if (!o->provider)
      key_error(t, "provider", err);
    goto done;
  }
  const char *ep = o->endpoint ? o->endpoint : template_endpoint(t);
  if ((s = request_endpoint_parse(spec->provider, ep, &spec->endpoint, err))) {
    if (!o->endpoint)
      s = key_error(t, "endpoint", err);
    goto done;
  }
  const char *model = o->model ? o->model : template_model(t);
  if (!model || !*model) {
    s = error_set(err, BT_ERR_USAGE,
                  "no model: pass --model or write 'model: NAME' in the template's front "
                  "matter (%s)",
                  template_name(t));
    goto done;
  }
  *model_out = util_xstrdup(model);
  spec->model = *model_out;
  spec->max_tokens = o->max_tokens > 0 ? o->max_tokens : template_max_tokens(t);
  if (spec->provider == BT_PROVIDER_ANTHROPIC && spec->max_tokens <= 0) {
    s = error_set(err, BT_ERR_USAGE,
                  "anthropic needs max_tokens: write 'max_tokens: N' in the front matter of %s "
                  "or pass --max-tokens N",
                  template_name(t));
    goto done;
  }
  if (spec->endpoint == BT_EP_EMBEDDINGS && template_has_system(t)) {
    error_set(err, BT_ERR_TEMPLATE, "/v1/embeddings takes no system text");
    s = key_error(t, "system", err);
    goto done;
  }
  /* pass-through parameters, as JSON members appended to the body */
  bt_buf pb;
  buf_init(&pb, 0);
  for (size_t i = 0; i < template_n_params(t); i++) {
    const bt_tpl_param *p = template_param(t, i);
    static const char *const ours[] = {
        "messages",          "input", "instructions", "custom_id", "max_completion_tokens",
        "max_output_tokens", NULL};
    for (size_t k = 0; ours[k]; k++)
      if (strcmp(p->key, ours[k]) == 0) {
        buf_cleanup(&pb);
        s = error_set_at(err, BT_ERR_TEMPLATE, template_name(t), p->line, p->column,
                         "'%s' is written by batchtop (%s)", p->key,
                         k >= 4 ? "use max_tokens" : "the template body is the message");
        goto done;
      }
    if (buf_putc(&pb, ',') || request_put_json_string(&pb, p->key, strlen(p->key)) ||
        buf_putc(&pb, ':') || buf_puts(&pb, p->json)) {
      buf_cleanup(&pb);
      s = error_set(err, BT_ERR_NOMEM, "out of memory");
      goto done;
    }
  }
  *params_out = buf_take(&pb);
  spec->params = *params_out;
  return BT_OK;
done:
  free(*model_out);
  *model_out = NULL;
  free(*params_out);
  *params_out = NULL;
  return s;
}

bt_status render_open(const char *template_path, const char *input_file, const bt_render_opts *opts,
                      bt_render **out, bt_error *err) {
  *out = NULL;
  bt_render *r = calloc(1, sizeof *r);
  if (!r)
    return error_set(err, BT_ERR_NOMEM, "out of memory");
  if (opts)
    r->opts = *opts;
  buf_init(&r->fields_json, 0);
  buf_init(&r->user, 0);
  buf_init(&r->sys, 0);
  buf_init(&r->req, 0);
  buf_init(&r->injson, 0);
  buf_init(&r->id, 0);
  r->id_col = -1;
  bt_status s = template_load(template_path, &r->tpl, err);
  if (s)
    goto fail;

  if ((s = render_spec_build(r->tpl, &r->opts, &r->spec, &r->model, &r->params, err)))
    goto fail;
  request_limits(r->spec.provider, &r->limits);

  bt_input_format fmt = input_format_guess(input_file);
  if (r->opts.format && (s = input_format_parse(r->opts.format, &fmt, err)))
    goto fail;
  if ((s = input_open(input_file, fmt, &r->in, err)))
    goto fail;
  /* Read the first record now, so the field names are known (JSONL) and a broken first row
   * is reported before anything else happens. */
  if ((s = input_next(r->in, &r->pending, err)))
    goto fail;
  if ((s = update_fields_json(r))) {
    error_set(err, s, "out of memory");
    goto fail;
  }
  size_t nf = template_n_fields(r->tpl);
  if (fmt != BT_INPUT_JSONL) {
    size_t nc = input_n_names(r->in);
    r->colmap = calloc(nf ? nf : 1, sizeof *r->colmap);
    r->name_json = calloc(nc ? nc : 1, sizeof *r->name_json);
    if (!r->colmap || !r->name_json) {
      s = error_set(err, BT_ERR_NOMEM, "out of memory");
      goto fail;
    }
    for (size_t i = 0; i < nf; i++) {
      r->colmap[i] = -1;
      for (size_t c = 0; c < nc; c++)
        if (strcmp(template_field(r->tpl, i), input_name(r->in, c)) == 0)
          r->colmap[i] = (long)c;
    }
    for (size_t c = 0; c < nc; c++) {
      bt_buf b;
      buf_init(&b, 0);
      const char *nm = input_name(r->in, c);
      if (request_put_json_string(&b, nm, strlen(nm)) || buf_putc(&b, ':')) {
        buf_cleanup(&b);
        s = error_set(err, BT_ERR_NOMEM, "out of memory");
        goto fail;
      }
      r->name_json[c] = buf_take(&b);
    }
    if (r->opts.id_field) {
      for (size_t c = 0; c < nc; c++)
        if (strcmp(r->opts.id_field, input_name(r->in, c)) == 0)
          r->id_col = (long)c;
      if (r->id_col < 0) {
        s = error_set_at(err, BT_ERR_USAGE, input_file, 1, 1,
                         "--id-field '%s': the header has no such column", r->opts.id_field);
        goto fail;
      }
    }
  }
  r->info.provider = request_provider_name(r->spec.provider);
  r->info.model = r->model;
  r->info.endpoint = request_endpoint_path(r->spec.endpoint);
  r->info.format = input_format_name(fmt);
  r->info.template_text = template_text(r->tpl);
  r->info.max_tokens = r->spec.max_tokens;
  r->info.provider_id = r->spec.provider;
  r->info.endpoint_id = r->spec.endpoint;
  r->info.input_path = input_path(r->in);
  r->info.template_path = template_name(r->tpl);
  *out = r;
  return BT_OK;
fail:
  render_close(r);
  return s;
}

static int row_lookup(void *ud, size_t field, const char *name, const char **val, size_t *len) {
  bt_render *r = ud;
  const bt_record *rec = r->rec;
  long idx = r->colmap ? r->colmap[field] : record_find(rec, name);
  if (idx >= 0 && (size_t)idx < rec->n && rec->kinds[idx] != BT_VAL_NULL) {
    *val = rec->values[idx];
    *len = rec->lens[idx];
    return 1;
  }
  if (r->opts.lookup) {
    const char *v = r->opts.lookup(r->opts.lookup_ud, rec->row_no, name);
    if (v) {
      *val = v;
      *len = strlen(v);
      return 1;
    }
  }
  return 0;
}

/* "; nearest fields: feedback, feedback_id": the input's field names closest to a field the
 * rows lack (a typo in the template), at most three, or "" when none is close. */
static void render_nearest_fields(const bt_input *in, const char *name, char *out, size_t size) {
  out[0] = '\0';
  size_t n = input_n_names(in), len = strlen(name), used = 0;
  int limit = len < 4 ? 1 : len < 8 ? 2 : 3, listed = 0;
  for (int d = 1; d <= limit && listed < 3; d++) {
    for (size_t i = 0; i < n && listed < 3; i++) {
      const char *f = input_name(in, i);
      if (!f || util_edit_distance(name, f) != d || used + strlen(f) + 24 >= size)
        continue;
      used +=
          (size_t)snprintf(out + used, size - used, "%s%s", used ? ", " : "; nearest fields: ", f);
      listed++;
    }
  }
}

static bt_status render_part(bt_render *r, bt_tpl_part part, bt_buf *out, bt_tpl_spans *spans,
                             bt_error *err) {
  size_t missing = 0;
  bt_error terr; /* filled only on failure (no per-row clearing: it is 800 bytes) */
  bt_status s = template_render(r->tpl, part, row_lookup, r, out, spans, &missing, &terr);
  if (s == BT_ERR_INPUT) {
    const char *name = template_field(r->tpl, missing);
    long idx = r->colmap ? r->colmap[missing] : record_find(r->rec, name);
    char near[256] = "";
    if (idx < 0)
      render_nearest_fields(r->in, name, near, sizeof near);
    return error_set_at(err, BT_ERR_INPUT, input_path(r->in), (long)r->rec->line_no, 1,
                        "row %lld %s '%s', which the template uses at %s:%ld:%ld (write "
                        "{{%s|default:\"...\"}} to allow that)%s",
                        (long long)r->rec->row_no, idx >= 0 ? "has null for" : "has no field", name,
                        terr.file, terr.line, terr.column, name, near);
  }
  if (s)
    *err = terr;
  return s;
}

/* "row-N" without printf (it showed in profiles of a million rows). */
static bt_status put_row_id(bt_buf *b, int64_t n) {
  char tmp[32];
  size_t i = sizeof tmp;
  do {
    tmp[--i] = (char)('0' + n % 10);
    n /= 10;
  } while (n > 0 && i > 4);
  memcpy(tmp + i - 4, "row-", 4);
  return buf_append(b, tmp + i - 4, sizeof tmp - i + 4);
}

static bt_status put_input_json(bt_render *r) {
  const bt_record *rec = r->rec;
  bt_buf *b = &r->injson;
  bt_status s = buf_putc(b, '{');
  for (size_t i = 0; !s && i < rec->n; i++) {
    if (i && (s = buf_putc(b, ',')))
      break;
    if (r->name_json)
      s = buf_puts(b, r->name_json[i]);
    else if (!(s = request_put_json_string(b, rec->names[i], strlen(rec->names[i]))))
      s = buf_putc(b, ':');
    if (s)
      break;
    if (rec->kinds[i] == BT_VAL_STRING)
      s = request_put_json_string(b, rec->values[i], rec->lens[i]);
    else if (rec->kinds[i] == BT_VAL_NULL)
      s = buf_puts(b, "null");
    else
      s = buf_append(b, rec->values[i], rec->lens[i]);
  }
  return s ? s : buf_putc(b, '}');
}

static int64_t spans_tokens(const char *text, const bt_tpl_spans *sp) {
  int64_t t = 0;
  for (size_t i = 0; i < sp->n; i++)
    t += tokens_estimate(text + sp->v[i].start, sp->v[i].len);
  return t;
}

bt_status render_next(bt_render *r, const bt_rendered **row, bt_error *err) {
  *row = NULL;
  bt_status s;
  if (r->pending) {
    r->rec = r->pending;
    r->pending = NULL;
  } else if ((s = input_next(r->in, &r->rec, err))) {
    return s;
  }
  if (!r->rec)
    return BT_OK;
  const bt_record *rec = r->rec;
  if (r->fields_known != input_n_names(r->in) && update_fields_json(r))
    return error_set(err, BT_ERR_NOMEM, "out of memory");
  buf_reset(&r->user);
  buf_reset(&r->sys);
  buf_reset(&r->req);
  buf_reset(&r->injson);
  buf_reset(&r->id);
  r->user_spans.n = r->sys_spans.n = 0;
  int has_sys = template_has_system(r->tpl);
  if (has_sys && (s = render_part(r, BT_TPL_SYSTEM, &r->sys, &r->sys_spans, err)))
    return s;
  if ((s = render_part(r, BT_TPL_USER, &r->user, &r->user_spans, err)))
    return s;

  /* custom_id */
  if (r->opts.id_field) {
    long c = r->id_col >= 0 ? r->id_col : record_find(rec, r->opts.id_field);
    if (c < 0 || rec->kinds[c] == BT_VAL_NULL || rec->lens[c] == 0)
      return error_set_at(err, BT_ERR_INPUT, input_path(r->in), (long)rec->line_no, 1,
                          "row %lld has no value in the id field '%s'", (long long)rec->row_no,
                          r->opts.id_field);
    if (buf_append(&r->id, rec->values[c], rec->lens[c]))
      return error_set(err, BT_ERR_NOMEM, "out of memory");
    const char *why = NULL;
    if (!request_custom_id_ok(r->spec.provider, r->id.data, r->id.len, &why))
      return error_set_at(err, BT_ERR_INPUT, input_path(r->in), (long)rec->line_no, 1,
                          "row %lld: custom_id '%.80s': %s", (long long)rec->row_no,
                          buf_str(&r->id), why);
    int64_t dup = id_set_add(&r->ids, r->id.data, r->id.len, rec->row_no);
    if (dup < 0)
      return error_set(err, BT_ERR_NOMEM, "out of memory");
    if (dup > 0)
      return error_set_at(err, BT_ERR_INPUT, input_path(r->in), (long)rec->line_no, 1,
                          "row %lld: custom_id '%.80s' is already used by row %lld (ids must "
                          "be unique)",
                          (long long)rec->row_no, buf_str(&r->id), (long long)dup);
  } else if (put_row_id(&r->id, rec->row_no)) {
    return error_set(err, BT_ERR_NOMEM, "out of memory");
  }

  if ((s = request_build(&r->spec, r->id.data, r->id.len, has_sys ? buf_str(&r->sys) : NULL,
                         r->sys.len, buf_str(&r->user), r->user.len, &r->req)))
    return error_set(err, s, "row %lld: cannot build the request", (long long)rec->row_no);
  if (r->limits.max_request_bytes && (int64_t)r->req.len > r->limits.max_request_bytes)
    return error_set_at(err, BT_ERR_LIMIT, input_path(r->in), (long)rec->line_no, 1,
                        "row %lld: the request is %zu bytes, over %s's limit of %lld",
                        (long long)rec->row_no, r->req.len, r->info.provider,
                        (long long)r->limits.max_request_bytes);
  if ((s = put_input_json(r)))
    return error_set(err, s, "out of memory");

  bt_rendered *o = &r->row;
  o->row_no = rec->row_no;
  o->line_no = rec->line_no;
  o->custom_id = buf_str(&r->id);
  o->input_json = buf_str(&r->injson);
  o->request = buf_str(&r->req);
  o->request_bytes = r->req.len;
  /* Token estimate: the template's literal text was estimated once; only values are new. */
  int64_t tok = TOKENS_PER_REQUEST + TOKENS_PER_MESSAGE +
                template_literal_tokens(r->tpl, BT_TPL_USER) +
                spans_tokens(r->user.data, &r->user_spans);
  if (has_sys)
    tok += TOKENS_PER_MESSAGE + template_literal_tokens(r->tpl, BT_TPL_SYSTEM) +
           spans_tokens(r->sys.data, &r->sys_spans);
  o->est_input_tokens = tok;
  o->max_output_tokens = request_max_tokens_key(&r->spec) ? r->spec.max_tokens : 0;
  o->system_text = has_sys ? buf_str(&r->sys) : NULL;
  o->system_len = r->sys.len;
  o->user_text = buf_str(&r->user);
  o->user_len = r->user.len;
  o->system_spans = r->sys_spans.v;
  o->n_system_spans = r->sys_spans.n;
  o->user_spans = r->user_spans.v;
  o->n_user_spans = r->user_spans.n;
  *row = o;
  return BT_OK;
}

const bt_render_info *render_info(const bt_render *r) {
  return &r->info;
}
const bt_template *render_template(const bt_render *r) {
  return r->tpl;
}
const bt_input *render_input(const bt_render *r) {
  return r->in;
}
const bt_request_spec *render_spec(const bt_render *r) {
  return &r->spec;
}

void render_close(bt_render *r) {
  if (!r)
    return;
  if (r->name_json && r->in)
    for (size_t c = 0; c < input_n_names(r->in); c++)
      free(r->name_json[c]);
  free(r->name_json);
  template_free(r->tpl);
  input_close(r->in);
  free(r->model);
  free(r->params);
  free(r->colmap);
  buf_cleanup(&r->fields_json);
  buf_cleanup(&r->user);
  buf_cleanup(&r->sys);
  buf_cleanup(&r->req);
  buf_cleanup(&r->injson);
  buf_cleanup(&r->id);
  tpl_spans_cleanup(&r->user_spans);
  tpl_spans_cleanup(&r->sys_spans);
  id_set_cleanup(&r->ids);
  free(r);
}
