/* view_preview: a template over an input file, one row at a time, before money is spent: the
 * input row, the rendered request (system, user, parameters) with every substituted value
 * marked, the estimate at standard and batch prices, and submit after a confirmation that
 * states the cost. Rows stream from core/render; the ones visited are kept so stepping back
 * is instant. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "actions.h"
#include "app.h"
#include "store_query.h"
#include "estimate.h"
#include "prices.h"
#include "render.h"
#include "secret.h"
#include "template.h"
#include "ui_doc.h"
#include "ui_text.h"
#include "util.h"

typedef struct {
  int64_t row_no, line_no, est_input_tokens, max_output_tokens;
  char *custom_id, *input_json, *request, *system_text, *user_text;
  bt_tpl_span *sys_spans, *user_spans;
  size_t n_sys, n_user;
} prow;

typedef struct {
  char *template_path, *input_path;
  bt_render_opts ro;
  char *provider_opt, *model_opt, *id_field_opt, *format_opt, *endpoint_opt;
  bt_render *r; /* the stream rows are read from */
  int at_end;
  prow *rows; /* rows read so far */
  size_t n, cap;
  size_t cur;
  /* the whole file, estimated on a second render in slices between keys (a big input never
   * freezes the screen); `all` is NULL once done */
  bt_render *all;
  bt_estimate est;
  const bt_price *price; /* into prices */
  bt_prices *prices;
  bt_cost cost;
  char model[128];
  char provider[32];
  int64_t total_rows;
  char error[512]; /* a render error met while reading (shown instead of a row) */
  ui_doc doc;
} preview_view;

static char *dup_n(const char *s, size_t n) {
  if (!s)
    return NULL;
  char *p = malloc(n + 1);
  if (!p)
    abort();
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

static bt_tpl_span *dup_spans(const bt_tpl_span *s, size_t n) {
  if (!n)
    return NULL;
  bt_tpl_span *p = malloc(n * sizeof *p);
  if (!p)
    abort();
  memcpy(p, s, n * sizeof *p);
  return p;
}

static void prow_free(prow *r) {
  free(r->custom_id);
  free(r->input_json);
  free(r->request);
  free(r->system_text);
  free(r->user_text);
  free(r->sys_spans);
  free(r->user_spans);
}

/* Read one more row into the cache; 0 at the end or on error (v->error says which). */
static int read_row(preview_view *v) {
  if (v->at_end)
    return 0;
  const bt_rendered *row = NULL;
  bt_error err;
  error_clear(&err);
  if (render_next(v->r, &row, &err) != BT_OK) {
    error_format(&err, v->error, sizeof v->error);
    v->at_end = 1;
    return 0;
  }
  if (!row) {
    v->at_end = 1;
    return 0;
  }
  if (v->n == v->cap) {
    size_t nc = v->cap ? v->cap * 2 : 16;
    prow *p = realloc(v->rows, nc * sizeof *p);
    if (!p)
      abort();
    v->rows = p;
    v->cap = nc;
  }
  prow *c = &v->rows[v->n++];
  memset(c, 0, sizeof *c);
  c->row_no = row->row_no;
  c->line_no = row->line_no;
  c->est_input_tokens = row->est_input_tokens;
  c->max_output_tokens = row->max_output_tokens;
  c->custom_id = util_xstrdup(row->custom_id);
  c->input_json = util_xstrdup(row->input_json);
  c->request = util_xstrdup(row->request);
  c->system_text = dup_n(row->system_text, row->system_len);
  c->user_text = dup_n(row->user_text, row->user_len);
  c->sys_spans = dup_spans(row->system_spans, row->n_system_spans);
  c->n_sys = row->n_system_spans;
  c->user_spans = dup_spans(row->user_spans, row->n_user_spans);
  c->n_user = row->n_user_spans;
  return 1;
}

/* Add text as doc lines under a label, marking the substituted spans. */
static void add_marked(ui_doc *d, const char *label, const char *text, const bt_tpl_span *spans,
                       size_t n_spans) {
  char *copy = util_xstrdup(text ? text : "");
  secret_scrub(copy);
  size_t first = d->n;
  ui_doc_kv(d, 3, 10, label, copy);
  /* ui_doc_kv put each source line in its own doc line after a label_w prefix: map spans. */
  size_t line_start = 0, li = first;
  const char *p = copy;
  for (;;) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    const char *lt = d->lines[li].text;
    size_t prefix = strlen(lt) - len; /* label and padding */
    for (size_t i = 0; i < n_spans; i++) {
      size_t s = spans[i].start, e = spans[i].start + spans[i].len;
      size_t a = s > line_start ? s : line_start, b = e < line_start + len ? e : line_start + len;
      if (a < b)
        ui_doc_span(d, li, prefix + (a - line_start), b - a, UI_MARK);
    }
    if (!nl)
      break;
    line_start += len + 1;
    p = nl + 1;
    li++;
  }
  free(copy);
}

#define PREVIEW_FIRST_SLICE_MS 60 /* before the first frame */
#define PREVIEW_SLICE_MS 30       /* per turn of the loop afterwards */

/* Estimate more rows for up to ms milliseconds. Returns 1 while rows remain. */
static int estimate_slice(preview_view *v, int ms) {
  if (!v->all)
    return 0;
  int64_t until = util_mono_ms() + ms;
  const bt_rendered *row = NULL;
  bt_error err;
  error_clear(&err);
  for (int k = 0;; k++) {
    if ((k & 255) == 255 && util_mono_ms() >= until)
      break;
    if (render_next(v->all, &row, &err) != BT_OK || !row ||
        estimate_add(&v->est, row, &err) != BT_OK) {
      render_close(v->all);
      v->all = NULL;
      break;
    }
  }
  v->total_rows = v->est.rows;
  estimate_cost(&v->est, v->price, &v->cost);
  return v->all != NULL;
}

static void build(preview_view *v, bt_app *app) {
  ui_doc *d = &v->doc;
  ui_doc_clear(d);
  char a[32], b[32], c[32];
  ui_doc_addf(d, UI_DIM, 1, "%s over %s \xc2\xb7 %s/%s", v->template_path, v->input_path,
              v->provider, v->model);
  if (v->n == 0) {
    ui_doc_add(d, UI_NORMAL, 0, "");
    ui_doc_add(d, v->error[0] ? UI_STATUS_ERROR : UI_DIM, 1,
               v->error[0] ? v->error : "The input has no rows.");
    return;
  }
  /* The estimate first: it is what the preview is for. */
  ui_doc_addf(d, UI_NORMAL, 1,
              "%s%lld request%s in %lld batch%s \xc2\xb7 input %s tokens \xc2\xb7 output ~%s (%s "
              "at most)%s",
              v->all ? "estimating\xe2\x80\xa6 so far " : "", (long long)v->est.requests,
              v->est.requests == 1 ? "" : "s", (long long)estimate_batches(&v->est),
              estimate_batches(&v->est) == 1 ? "" : "es",
              util_fmt_count((double)v->est.input_tokens, a, sizeof a),
              util_fmt_count((double)v->est.output_expected, b, sizeof b),
              util_fmt_count((double)v->est.output_worst, c, sizeof c),
              v->est.worst_assumed ? "*" : "");
  if (v->cost.priced) {
    char s1[32], s2[32], s3[32];
    util_fmt_usd(v->cost.batch_expected, s1, sizeof s1);
    size_t li = ui_doc_addf(
        d, UI_NORMAL, 1, "batch %s (%s at most) \xc2\xb7 standard %s \xc2\xb7 batch saves %.0f%%",
        s1, util_fmt_usd(v->cost.batch_worst, s2, sizeof s2),
        util_fmt_usd(v->cost.standard_expected, s3, sizeof s3), v->cost.saving_pct);
    ui_doc_span(d, li, 0, 5, UI_LABEL);
    ui_doc_span(d, li, 6, strlen(s1), UI_VALUE);
    const char *std = strstr(d->lines[li].text, "standard");
    if (std)
      ui_doc_span(d, li, (size_t)(std - d->lines[li].text), 8, UI_LABEL);
  } else {
    ui_doc_addf(d, UI_DIM, 1, "no price known for %s: the cost cannot be estimated", v->model);
  }
  ui_doc_add(d, UI_NORMAL, 0, "");
  const prow *r = &v->rows[v->cur];
  ui_doc_addf(d, UI_VALUE, 1, "Row %lld of %lld (line %lld) \xc2\xb7 %s \xc2\xb7 ~%s input tokens",
              (long long)r->row_no, (long long)v->total_rows, (long long)r->line_no, r->custom_id,
              util_fmt_count((double)r->est_input_tokens, a, sizeof a));
  ui_doc_add(d, UI_NORMAL, 0, "");
  ui_doc_add(d, UI_SECTION, 1, "Input row");
  json_error_t je;
  json_t *in = json_loads(r->input_json, 0, &je);
  const char *key;
  json_t *val;
  json_object_foreach(in, key, val) {
    char *s = json_is_string(val) ? util_xstrdup(json_string_value(val))
                                  : json_dumps(val, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s) {
      secret_scrub(s);
      ui_doc_kv(d, 3, 14, key, s);
    }
    free(s);
  }
  json_decref(in);
  ui_doc_add(d, UI_NORMAL, 0, "");
  ui_doc_add(d, UI_SECTION, 1, "Request (substituted values marked)");
  if (r->system_text)
    add_marked(d, "system", r->system_text, r->sys_spans, r->n_sys);
  add_marked(d, "user", r->user_text, r->user_spans, r->n_user);
  /* Parameters: the request body without its messages. */
  json_t *req = json_loads(r->request, 0, &je);
  json_t *body = json_object_get(req, "body");
  if (!body)
    body = json_object_get(req, "params");
  char params[1024] = "";
  size_t n = 0;
  json_object_foreach(body, key, val) {
    if (strcmp(key, "messages") == 0 || strcmp(key, "system") == 0 || strcmp(key, "input") == 0)
      continue;
    char *s = json_is_string(val) ? util_xstrdup(json_string_value(val))
                                  : json_dumps(val, JSON_COMPACT | JSON_ENCODE_ANY);
    int w = snprintf(params + n, sizeof params - n, "%s%s=%s", n ? "  " : "", key, s ? s : "");
    free(s);
    if (w < 0 || (size_t)w >= sizeof params - n)
      break;
    n += (size_t)w;
  }
  json_decref(req);
  ui_doc_kv(d, 3, 10, "params", params);

  if (v->error[0]) {
    ui_doc_add(d, UI_NORMAL, 0, "");
    ui_doc_add(d, UI_STATUS_ERROR, 1, v->error);
  }
  (void)app;
}

static void free_opts(preview_view *v) {
  free(v->provider_opt);
  free(v->model_opt);
  free(v->id_field_opt);
  free(v->format_opt);
  free(v->endpoint_opt);
}

static void preview_close(void *st) {
  preview_view *v = st;
  if (v->r)
    render_close(v->r);
  if (v->all)
    render_close(v->all);
  prices_free(v->prices);
  for (size_t i = 0; i < v->n; i++)
    prow_free(&v->rows[i]);
  free(v->rows);
  free(v->template_path);
  free(v->input_path);
  free_opts(v);
  ui_doc_cleanup(&v->doc);
  free(v);
}

static char *opt_dup(const char *s) {
  return s ? util_xstrdup(s) : NULL;
}

static void *preview_open(bt_app *app, const bt_view_arg *arg) {
  if (!arg->template_path || !arg->input_path) {
    app_message(app, 1, "the preview needs a template and an input file");
    return NULL;
  }
  preview_view *v = calloc(1, sizeof *v);
  if (!v)
    return NULL;
  ui_doc_init(&v->doc);
  v->template_path = util_xstrdup(arg->template_path);
  v->input_path = util_xstrdup(arg->input_path);
  if (arg->render_opts) {
    v->ro = *arg->render_opts;
    v->ro.provider = v->provider_opt = opt_dup(arg->render_opts->provider);
    v->ro.model = v->model_opt = opt_dup(arg->render_opts->model);
    v->ro.id_field = v->id_field_opt = opt_dup(arg->render_opts->id_field);
    v->ro.format = v->format_opt = opt_dup(arg->render_opts->format);
    v->ro.endpoint = v->endpoint_opt = opt_dup(arg->render_opts->endpoint);
  }
  bt_error err;
  error_clear(&err);
  if (render_open(v->template_path, v->input_path, &v->ro, &v->r, &err) != BT_OK) {
    char buf[600];
    app_message(app, 1, "%s", error_format(&err, buf, sizeof buf));
    preview_close(v);
    return NULL;
  }
  const bt_render_info *info = render_info(v->r);
  util_strlcpy(v->provider, info->provider, sizeof v->provider);
  util_strlcpy(v->model, info->model ? info->model : "?", sizeof v->model);

  int64_t chunk = app->cfg ? app->cfg->chunk_size : 0;
  estimate_init(&v->est, info->provider_id, info->endpoint_id, chunk);
  if (render_open(v->template_path, v->input_path, &v->ro, &v->all, &err) != BT_OK)
    v->all = NULL;
  error_clear(&err);
  const char *pp = app->cfg ? app->cfg->prices : NULL;
  if ((pp ? prices_load_litellm(pp, &v->prices, &err) : prices_builtin(&v->prices, &err)) == BT_OK)
    v->price = prices_find(v->prices, v->model, v->provider);
  estimate_slice(v, PREVIEW_FIRST_SLICE_MS);
  read_row(v);
  build(v, app);
  return v;
}

static int preview_load(void *st, bt_app *app) {
  preview_view *v = st;
  int64_t scroll = v->doc.scroll;
  build(v, app);
  v->doc.scroll = scroll;
  return UI_REDRAW;
}

static void preview_draw(void *st, bt_app *app, int top, int height) {
  preview_view *v = st;
  ui_doc_draw(&v->doc, top, 0, height, app->cols);
}

/* Each turn of the loop: another slice of the estimate, until the whole file is counted. */
static int preview_event(void *st, bt_app *app, const bt_app_event *ev) {
  preview_view *v = st;
  if (ev->kind != APP_EV_TICK || !v->all)
    return 0;
  int more = estimate_slice(v, PREVIEW_SLICE_MS);
  int64_t scroll = v->doc.scroll;
  build(v, app);
  v->doc.scroll = scroll;
  return UI_REDRAW | (more ? UI_WORK : 0);
}

static void submit_yes(bt_app *app, void *ud) {
  preview_view *v = ud;
  bt_error err;
  error_clear(&err);
  char id[BT_JOB_ID_LEN + 1] = "";
  if (actions_submit(app, v->template_path, v->input_path, &v->ro, id, &err) != BT_OK)
    app_message(app, 1, "%s", err.message);
  else {
    char name[128] = "";
    if (store_query_job_name(app->store, id, name, sizeof name, &err) != BT_OK || !name[0])
      util_strlcpy(name, id, sizeof name);
    app_message(app, 0, "submitted %s (job %s)", name, id);
  }
}

static int preview_key(void *st, bt_app *app, ui_action a, int key) {
  (void)key;
  preview_view *v = st;
  size_t before = v->cur;
  switch (a) {
  case ACT_DOWN:
    if (v->cur + 1 < v->n || read_row(v))
      v->cur++;
    break;
  case ACT_UP:
    if (v->cur > 0)
      v->cur--;
    break;
  case ACT_TOP:
    v->cur = 0;
    break;
  case ACT_BOTTOM:
    while (read_row(v))
      ;
    if (v->n)
      v->cur = v->n - 1;
    break;
  case ACT_PAGE_DOWN:
  case ACT_PAGE_UP:
    ui_doc_move(&v->doc, a);
    return UI_HANDLED | UI_REDRAW;
  case ACT_SUBMIT: {
    if (!app->engine) { /* ask only what can happen */
      app_message(app, 1,
                  "cannot submit: this dashboard only watches the store (--read-only, or the "
                  "engine could not start); use `batchtop submit` or `batchtop` without "
                  "--read-only");
      return UI_HANDLED | UI_REDRAW;
    }
    if (v->all) {
      app_message(app, 0, "still estimating the cost of the whole file; a moment");
      return UI_HANDLED | UI_REDRAW;
    }
    if (!v->n) {
      app_message(app, 1, "nothing to submit");
      return UI_HANDLED | UI_REDRAW;
    }
    char text[512], s1[32], s2[32];
    if (v->cost.priced)
      snprintf(text, sizeof text,
               "Submit %lld requests to %s %s as a batch job? Estimated cost at batch prices: "
               "%s (at most %s).",
               (long long)v->est.requests, v->provider, v->model,
               util_fmt_usd(v->cost.batch_expected, s1, sizeof s1),
               util_fmt_usd(v->cost.batch_worst, s2, sizeof s2));
    else
      snprintf(text, sizeof text,
               "Submit %lld requests to %s %s as a batch job? No price is known for this "
               "model, so the cost cannot be estimated.",
               (long long)v->est.requests, v->provider, v->model);
    app_confirm(app, "Submit", text, submit_yes, v, NULL);
    return UI_HANDLED | UI_REDRAW;
  }
  default:
    return 0;
  }
  if (v->cur != before) {
    v->doc.scroll = 0;
    build(v, app);
  }
  return UI_HANDLED | UI_REDRAW;
}

static void preview_title(void *st, char *buf, size_t size) {
  preview_view *v = st;
  const char *base = strrchr(v->template_path, '/');
  snprintf(buf, size, "preview %s", base ? base + 1 : v->template_path);
}

static void preview_status(void *st, bt_app *app, char *buf, size_t size) {
  preview_view *v = st;
  (void)app;
  snprintf(
      buf, size,
      " row %zu of %lld \xc2\xb7 j/k step through rows \xc2\xb7 PgDn scrolls \xc2\xb7 S submits",
      v->n ? v->cur + 1 : 0, (long long)v->total_rows);
}

static const ui_action preview_footer[] = {ACT_DOWN, ACT_UP, ACT_PAGE_DOWN, ACT_SUBMIT};

const bt_view_ops view_preview_ops = {
    "preview",      preview_open,   preview_load,
    preview_draw,   preview_key,    preview_event,
    NULL,           preview_close,  preview_title,
    preview_status, preview_footer, (int)(sizeof preview_footer / sizeof preview_footer[0]),
};
