/* pipeline_run: pipelines in the store and the flow of rows between stages. */
#include "pipeline_run.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "job.h"
#include "logger.h"
#include "render.h"
#include "request.h"
#include "results.h"
#include "secret.h"
#include "store_attempt.h"
#include "store_batch.h"
#include "store_sql.h"
#include "template.h"
#include "tokens.h"
#include "util.h"

/* ---- names a later stage's template may use ------------------------------------------ */

/* "prev.output" -> the stage before; "NAME.output" -> stage NAME. Returns the stage index, -1
 * when name is not such a reference, -2 when it names a stage but not one before `stage`. */
static int output_ref(const bt_pipeline *p, size_t stage, const char *name) {
  const char *dot = strrchr(name, '.');
  if (!dot || strcmp(dot, ".output") != 0)
    return -1;
  size_t len = (size_t)(dot - name);
  if (len == 4 && strncmp(name, "prev", 4) == 0)
    return stage == 0 ? -2 : (int)stage - 1;
  for (size_t i = 0; i < p->n_stages; i++)
    if (strlen(p->stages[i].name) == len && strncmp(p->stages[i].name, name, len) == 0)
      return i < stage ? (int)i : -2;
  return -1;
}

/* Placeholder text for an earlier stage's output while checking and estimating: as long as
 * that stage's answers may be (max_tokens at ~4 bytes a token), so estimates are a ceiling. */
typedef struct {
  const bt_pipeline *p;
  size_t stage;
  char **placeholder; /* per stage */
} plan_ctx;

static const char *plan_lookup(void *ud, int64_t row_no, const char *name) {
  (void)row_no;
  plan_ctx *c = ud;
  int ref = output_ref(c->p, c->stage, name);
  return ref >= 0 ? c->placeholder[ref] : NULL;
}

/* Field check for template_render: every name must be a field, or a valid output reference. */
typedef struct {
  const bt_pipeline *p;
  size_t stage;
  json_t *fields; /* array of the input's field names */
} check_ctx;

static int check_lookup(void *ud, size_t field, const char *name, const char **val, size_t *len) {
  (void)field;
  check_ctx *c = ud;
  *val = "x";
  *len = 1;
  if (output_ref(c->p, c->stage, name) >= 0)
    return 1;
  size_t i;
  json_t *v;
  json_array_foreach(c->fields, i, v) if (strcmp(json_string_value(v), name) == 0) return 1;
  return 0;
}

/* "; nearest fields: feedback": the input fields closest to a name the template uses but the
 * input lacks (a typo), at most three; "" when none is close. */
static const char *nearest_fields(json_t *fields, const char *name, char *out, size_t size) {
  out[0] = '\0';
  size_t len = strlen(name), used = 0, i;
  int limit = len < 4 ? 1 : len < 8 ? 2 : 3, listed = 0;
  json_t *v;
  for (int d = 1; d <= limit && listed < 3; d++)
    json_array_foreach(fields, i, v) {
      const char *f = json_string_value(v);
      if (listed == 3 || !f || util_edit_distance(name, f) != d || used + strlen(f) + 24 >= size)
        continue;
      used +=
          (size_t)snprintf(out + used, size - used, "%s%s", used ? ", " : "; nearest fields: ", f);
      listed++;
    }
  return out;
}

static bt_status check_template(const bt_pipeline *p, size_t k, json_t *fields, bt_error *err) {
  const bt_stage *st = &p->stages[k];
  bt_template *t = NULL;
  bt_status s = template_load(st->template_path, &t, err);
  if (s)
    return s;
  check_ctx c = {p, k, fields};
  bt_buf out;
  buf_init(&out, 0);
  for (int part = 0; part < 2 && !s; part++) {
    if (part == 1 && !template_has_system(t))
      break;
    size_t missing = 0;
    buf_reset(&out);
    s = template_render(t, part ? BT_TPL_SYSTEM : BT_TPL_USER, check_lookup, &c, &out, NULL,
                        &missing, err);
    if (s == BT_ERR_INPUT) {
      const char *name = template_field(t, missing);
      int ref = output_ref(p, k, name);
      /* where the name is used, copied out before err is written again */
      char file[sizeof err->file], near[256];
      util_strlcpy(file, err->file, sizeof file);
      long line = err->line, col = err->column;
      if (ref == -2 && strncmp(name, "prev.", 5) == 0)
        error_set_at(err, BT_ERR_TEMPLATE, file, line, col,
                     "stage '%s' is the first; it has no prev.output", st->name);
      else if (ref == -2)
        error_set_at(err, BT_ERR_TEMPLATE, file, line, col,
                     "'%s' names a stage that does not run before stage '%s'", name, st->name);
      else
        error_set_at(err, BT_ERR_TEMPLATE, file, line, col,
                     "unknown name '%s': not a field of %s, prev.output or an earlier "
                     "stage's NAME.output%s",
                     name, p->input_path, nearest_fields(fields, name, near, sizeof near));
      s = BT_ERR_TEMPLATE;
    }
  }
  buf_cleanup(&out);
  template_free(t);
  return s;
}

static void stage_render_opts(const bt_pipeline *p, const bt_stage *st, bt_render_opts *ro) {
  memset(ro, 0, sizeof *ro);
  ro->provider = st->provider;
  ro->model = st->model;
  ro->format = p->format;
}

bt_status pipeline_plan(const bt_pipeline *p, const bt_prices *prices, bt_stage_plan *plans,
                        bt_error *err) {
  memset(plans, 0, p->n_stages * sizeof *plans);
  /* The input's field names, from stage 1's render (which also checks the first row). */
  bt_render_opts ro;
  stage_render_opts(p, &p->stages[0], &ro);
  bt_render *r = NULL;
  bt_status s = render_open(p->stages[0].template_path, p->input_path, &ro, &r, err);
  if (s)
    return s;
  json_t *fields = json_loads(render_info(r)->fields_json, 0, NULL);
  render_close(r);
  if (!fields)
    return error_set(err, BT_ERR_INTERNAL, "reading the input's field names");
  char **placeholder = calloc(p->n_stages, sizeof *placeholder);
  if (!placeholder) {
    json_decref(fields);
    return error_set(err, BT_ERR_NOMEM, "out of memory");
  }
  for (size_t k = 0; k < p->n_stages && !s; k++) {
    const bt_stage *st = &p->stages[k];
    s = check_template(p, k, fields, err);
    if (s)
      break;
    stage_render_opts(p, st, &ro);
    plan_ctx pc = {p, k, placeholder};
    ro.lookup = plan_lookup;
    ro.lookup_ud = &pc;
    s = render_open(st->template_path, p->input_path, &ro, &r, err);
    if (s)
      break;
    /* provider, model and endpoint as the stage will send them */
    const bt_render_info *info = render_info(r);
    util_strlcpy(plans[k].provider, info->provider, sizeof plans[k].provider);
    util_strlcpy(plans[k].model, info->model, sizeof plans[k].model);
    util_strlcpy(plans[k].endpoint, info->endpoint, sizeof plans[k].endpoint);
    int64_t max_tokens = info->max_tokens > 0 ? info->max_tokens : ESTIMATE_NO_MAX_OUTPUT;
    s = estimate_render(r, st->chunk_size, &plans[k].est, err);
    render_close(r);
    if (s) {
      error_prefix(err, "stage '%s'", st->name);
      break;
    }
    const bt_price *price = prices ? prices_find(prices, plans[k].model, plans[k].provider) : NULL;
    estimate_cost(&plans[k].est, price, &plans[k].cost);
    size_t len = (size_t)(max_tokens > 4096 ? 4096 : max_tokens) * 4;
    placeholder[k] = malloc(len + 1);
    if (!placeholder[k]) {
      s = error_set(err, BT_ERR_NOMEM, "out of memory");
      break;
    }
    for (size_t i = 0; i < len; i++)
      placeholder[k][i] = "answer "[i % 7];
    placeholder[k][len] = '\0';
  }
  for (size_t k = 0; k < p->n_stages; k++)
    free(placeholder[k]);
  free(placeholder);
  json_decref(fields);
  return s;
}

/* ---- the pipeline and its stage jobs in the store --------------------------------------- */

static bt_status stage_job_id(bt_store *s, const char *pipeline_id, int64_t stage_no,
                              char id[BT_JOB_ID_LEN + 1], int *found, bt_error *err) {
  *found = 0;
  sqlite3_stmt *st;
  bt_status r =
      store_prepare(s, "SELECT id FROM jobs WHERE pipeline_id = ? AND stage_no = ?", &st, err);
  if (r)
    return r;
  sqlite3_bind_text(st, 1, pipeline_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, stage_no);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    util_strlcpy(id, (const char *)sqlite3_column_text(st, 0), BT_JOB_ID_LEN + 1);
    *found = 1;
  } else if (rc != SQLITE_DONE) {
    r = store_fail(s, err, "finding a stage job");
  }
  sqlite3_finalize(st);
  return r;
}

static const char *where_kind_name(bt_where_kind k) {
  static const char *const names[] = {"succeeded", "contains", "not_contains", "equals",
                                      "not_equals"};
  return names[k];
}

static bt_status make_held_stage(bt_store *s, const bt_pipeline *p, size_t k,
                                 const bt_stage_plan *plan, const char *pipeline_id,
                                 const char *fields_json, bt_error *err) {
  const bt_stage *st = &p->stages[k];
  char *template_text = NULL;
  bt_status r = util_read_file(st->template_path, 16u << 20, &template_text, NULL, err);
  if (r)
    return r;
  json_t *opts = json_pack("{s:{s:s,s:s?}}", "where", "kind", where_kind_name(st->where.kind),
                           "text", st->where.text);
  char *opts_text = opts ? json_dumps(opts, JSON_COMPACT) : NULL;
  json_decref(opts);
  char name[256];
  snprintf(name, sizeof name, "%s/%s", p->name, st->name);
  bt_job job;
  job_init(&job);
  job.name = util_xstrdup(name);
  job.provider = util_xstrdup(plan->provider);
  job.model = util_xstrdup(plan->model);
  job.endpoint = util_xstrdup(plan->endpoint);
  job.state = util_xstrdup("running");
  job.template_path = util_xstrdup(st->template_path);
  job.template_text = template_text;
  job.input_path = util_xstrdup(p->input_path);
  job.input_format = p->format ? util_xstrdup(p->format) : NULL;
  job.input_fields = util_xstrdup(fields_json);
  job.options = opts_text ? opts_text : util_xstrdup("{}");
  job.chunk_size = st->chunk_size;
  job.max_cost_usd = st->max_cost;
  job.est_cost_usd = plan->cost.batch_worst;
  job.est_cost_std_usd = plan->cost.standard_worst;
  job.est_input_tokens = plan->est.input_tokens;
  job.est_output_tokens = plan->est.output_worst;
  job.pipeline_id = util_xstrdup(pipeline_id);
  job.stage_no = (int64_t)k + 1;
  job.stage_name = util_xstrdup(st->name);
  job.hold = 1;
  r = store_job_insert(s, &job, err);
  job_cleanup(&job);
  return r;
}

bt_status pipeline_ensure(bt_store *s, const bt_pipeline *p, const bt_stage_plan *plans,
                          char id_out[BT_PIPELINE_ID_LEN + 1], int *created, bt_error *err) {
  *created = 0;
  char *spec = NULL;
  bt_status r = util_read_file(p->path, 1u << 20, &spec, NULL, err);
  if (r)
    return r;
  sqlite3_stmt *st;
  r = store_prepare(s,
                    "SELECT id FROM pipelines WHERE path = ? AND spec = ?"
                    " ORDER BY created_at DESC LIMIT 1",
                    &st, err);
  if (r) {
    free(spec);
    return r;
  }
  sqlite3_bind_text(st, 1, p->path, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, spec, -1, SQLITE_TRANSIENT);
  int found = sqlite3_step(st) == SQLITE_ROW;
  if (found)
    util_strlcpy(id_out, (const char *)sqlite3_column_text(st, 0), BT_PIPELINE_ID_LEN + 1);
  sqlite3_finalize(st);
  if (!found) {
    util_random_id(id_out, BT_PIPELINE_ID_LEN);
    int64_t now = util_now_ms();
    r = store_run(s, err, "creating a pipeline", NULL,
                  "INSERT INTO pipelines(id, name, path, spec, input_path, n_stages, created_at,"
                  " updated_at) VALUES (?,?,?,?,?,?,?,?)",
                  "ttttti"
                  "ii",
                  id_out, p->name, p->path, spec, p->input_path, (int64_t)p->n_stages, now, now);
    if (r) {
      free(spec);
      return r;
    }
    *created = 1;
  }
  free(spec);
  /* Stage jobs, each made once: stage 1 over the whole input, later ones empty and held. */
  char stage1[BT_JOB_ID_LEN + 1] = "";
  for (size_t k = 0; k < p->n_stages && !r; k++) {
    char id[BT_JOB_ID_LEN + 1];
    int have = 0;
    r = stage_job_id(s, id_out, (int64_t)k + 1, id, &have, err);
    if (r || have) {
      if (k == 0)
        util_strlcpy(stage1, id, sizeof stage1);
      continue;
    }
    const bt_stage *stg = &p->stages[k];
    if (k == 0) {
      bt_job_opts o;
      job_opts_init(&o);
      char name[256];
      snprintf(name, sizeof name, "%s/%s", p->name, stg->name);
      o.provider = stg->provider;
      o.model = stg->model;
      o.name = name;
      o.chunk_size = stg->chunk_size;
      o.max_cost_usd = stg->max_cost;
      o.format = p->format;
      o.pipeline_id = id_out;
      o.stage_no = 1;
      o.stage_name = stg->name;
      r = job_create_from_render(s, stg->template_path, p->input_path, &o, stage1, err);
      if (r == BT_ERR_BUDGET) { /* the limit is the stage's own, from the file: say so */
        char lim[32];
        r = error_set(err, BT_ERR_BUDGET,
                      "stage '%s': its estimated cost (above) is over the stage's max_cost $%s;"
                      " nothing was submitted",
                      stg->name, util_fmt_usd_exact(stg->max_cost, lim, sizeof lim));
      } else if (r) {
        error_prefix(err, "stage '%s'", stg->name);
      }
      continue;
    }
    bt_job first;
    r = store_job_get(s, stage1, &first, err);
    if (!r)
      r = make_held_stage(s, p, k, &plans[k], id_out, first.input_fields, err);
    job_cleanup(&first);
  }
  if (r && *created) {
    /* Refused (a stage over its max_cost, a bad row): nothing was sent yet, so the pipeline
     * made just now goes with its stage jobs rather than stay behind empty. */
    bt_error e2;
    if (store_run(s, &e2, "dropping a refused pipeline", NULL,
                  "DELETE FROM jobs WHERE pipeline_id = ?", "t", id_out) ||
        store_run(s, &e2, "dropping a refused pipeline", NULL, "DELETE FROM pipelines WHERE id = ?",
                  "t", id_out))
      log_warn("pipeline: %s", e2.message);
    *created = 0;
  }
  return r;
}

bt_status pipeline_resolve(bt_store *s, const char *ref, char id_out[BT_PIPELINE_ID_LEN + 1],
                           bt_error *err) {
  sqlite3_stmt *st;
  bt_status r = store_prepare(s,
                              "SELECT id FROM pipelines WHERE id = ?1 UNION ALL"
                              " SELECT id FROM (SELECT id FROM pipelines WHERE name = ?1"
                              " ORDER BY created_at DESC LIMIT 1) UNION ALL"
                              " SELECT id FROM (SELECT id FROM pipelines WHERE length(?1) >= 3"
                              " AND substr(id, 1, length(?1)) = ?1 LIMIT 2)",
                              &st, err);
  if (r)
    return r;
  sqlite3_bind_text(st, 1, ref, -1, SQLITE_TRANSIENT);
  int n = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < 1) {
    util_strlcpy(id_out, (const char *)sqlite3_column_text(st, 0), BT_PIPELINE_ID_LEN + 1);
    n++;
  }
  sqlite3_finalize(st);
  if (n == 0)
    return error_set(err, BT_ERR_NOT_FOUND, "no pipeline '%s'", ref);
  return BT_OK;
}

bt_status pipeline_stage_jobs(bt_store *s, const char *pipeline_id, char (**ids)[BT_JOB_ID_LEN + 1],
                              size_t *n, bt_error *err) {
  return store_job_ids(s, "SELECT id FROM jobs WHERE pipeline_id = ? ORDER BY stage_no",
                       pipeline_id, ids, n, err);
}

bt_status pipeline_later_stages(bt_store *s, const char *job_id, char (**ids)[BT_JOB_ID_LEN + 1],
                                size_t *n, bt_error *err) {
  return store_job_ids(s,
                       "SELECT j.id FROM jobs j, jobs me WHERE me.id = ?1 AND"
                       " j.pipeline_id = me.pipeline_id AND j.stage_no > me.stage_no"
                       " ORDER BY j.stage_no",
                       job_id, ids, n, err);
}

/* ---- the flow ------------------------------------------------------------------------- */

typedef struct {
  bt_store *s;
  const char *pipeline_id;
  json_t *input;    /* the row's fields */
  const char *prev; /* the stage before's output */
  int64_t row_no;
  char *scratch;       /* owned copy of the last value handed out */
  sqlite3_stmt *named; /* an earlier stage's output by stage name and row */
} flow_ctx;

static int flow_lookup(void *ud, size_t field, const char *name, const char **val, size_t *len) {
  (void)field;
  flow_ctx *c = ud;
  json_t *v = json_object_get(c->input, name);
  free(c->scratch);
  c->scratch = NULL;
  if (v && !json_is_null(v)) {
    c->scratch = json_is_string(v) ? util_xstrdup(json_string_value(v))
                                   : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  } else if (strcmp(name, "prev.output") == 0) {
    c->scratch = util_xstrdup(c->prev ? c->prev : "");
  } else {
    const char *dot = strrchr(name, '.');
    if (!dot || strcmp(dot, ".output") != 0)
      return 0;
    sqlite3_reset(c->named);
    sqlite3_bind_text(c->named, 1, c->pipeline_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(c->named, 2, name, (int)(dot - name), SQLITE_TRANSIENT);
    sqlite3_bind_int64(c->named, 3, c->row_no);
    if (sqlite3_step(c->named) != SQLITE_ROW)
      return 0;
    const unsigned char *t = sqlite3_column_text(c->named, 0);
    c->scratch = util_xstrdup(t ? (const char *)t : "");
  }
  if (!c->scratch)
    return 0;
  *val = c->scratch;
  *len = strlen(c->scratch);
  return 1;
}

static bt_where_kind where_kind_parse(const char *s) {
  for (int k = WHERE_SUCCEEDED; k <= WHERE_NOT_EQUALS; k++)
    if (s && strcmp(s, where_kind_name((bt_where_kind)k)) == 0)
      return (bt_where_kind)k;
  return WHERE_SUCCEEDED;
}

typedef struct {
  bt_template *tpl;
  bt_request_spec spec;
  char *model, *params;
  bt_provider_limits limits;
  bt_where where;
  int64_t chunk_size;
} stage_spec;

static void stage_spec_cleanup(stage_spec *ss) {
  template_free(ss->tpl);
  free(ss->model);
  free(ss->params);
  free(ss->where.text);
}

static bt_status stage_spec_load(const bt_job *job, stage_spec *ss, bt_error *err) {
  memset(ss, 0, sizeof *ss);
  const char *text = job->template_text ? job->template_text : "";
  bt_status r = template_parse(text, strlen(text), job->template_path, &ss->tpl, err);
  if (r)
    return r;
  bt_render_opts ro;
  memset(&ro, 0, sizeof ro);
  ro.provider = job->provider;
  ro.model = job->model;
  ro.endpoint = job->endpoint;
  r = render_spec_build(ss->tpl, &ro, &ss->spec, &ss->model, &ss->params, err);
  if (r)
    return r;
  request_limits(ss->spec.provider, &ss->limits);
  ss->chunk_size = job->chunk_size;
  json_t *o = json_loads(job->options ? job->options : "{}", 0, NULL);
  json_t *w = json_object_get(o, "where");
  ss->where.kind = where_kind_parse(json_string_value(json_object_get(w, "kind")));
  const char *t = json_string_value(json_object_get(w, "text"));
  ss->where.text = t ? util_xstrdup(t) : NULL;
  json_decref(o);
  return BT_OK;
}

/* The eligible rows of the stage before: succeeded, their batch done, not yet here. */
static const char *const eligible_sql =
    "SELECT u.row_no, u.line_no, u.custom_id, i.input, u.output FROM tasks u"
    " JOIN task_inputs i ON i.task_id = u.id"
    " JOIN attempts a ON a.id = u.last_attempt_id JOIN batches b ON b.id = a.batch_id"
    " WHERE u.job_id = ?1 AND u.state = 'succeeded' AND b.state = 'done'"
    " AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.job_id = ?2 AND t.row_no = u.row_no)"
    " AND NOT EXISTS (SELECT 1 FROM pipeline_skips k WHERE k.job_id = ?2 AND"
    " k.row_no = u.row_no)"
    " ORDER BY u.row_no LIMIT ?3";

typedef struct {
  bt_store *s;
  const bt_job *job;
  stage_spec *ss;
  flow_ctx fc;
  bt_task_inserter *ins;
  sqlite3_stmt *skip;
  bt_buf user, sys, req;
  int64_t *task_ids;
  size_t n, cap;
  int64_t bytes;
  int full; /* the chunk is full: more rows are waiting */
} flow_state;

/* One row of the stage before, read out before anything is written (SQLite does not define
 * what a running SELECT on tasks sees of rows inserted into tasks meanwhile). */
typedef struct {
  int64_t row_no, line_no;
  char *custom_id, *input, *output;
} up_row;

static bt_status flow_row(flow_state *f, const up_row *u, bt_error *err) {
  int64_t row_no = u->row_no;
  const char *output = u->output;
  if (!pipeline_where_match(&f->ss->where, output)) {
    sqlite3_reset(f->skip);
    sqlite3_bind_text(f->skip, 1, f->job->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(f->skip, 2, row_no);
    if (sqlite3_step(f->skip) != SQLITE_DONE)
      return store_fail(f->s, err, "remembering a skipped row");
    return BT_OK;
  }
  const char *input = u->input;
  json_decref(f->fc.input);
  f->fc.input = json_loads(input ? input : "{}", 0, NULL);
  f->fc.prev = output;
  f->fc.row_no = row_no;
  buf_reset(&f->user);
  buf_reset(&f->sys);
  buf_reset(&f->req);
  size_t missing = 0;
  bt_status r =
      template_render(f->ss->tpl, BT_TPL_USER, flow_lookup, &f->fc, &f->user, NULL, &missing, err);
  int has_sys = template_has_system(f->ss->tpl);
  if (!r && has_sys)
    r = template_render(f->ss->tpl, BT_TPL_SYSTEM, flow_lookup, &f->fc, &f->sys, NULL, &missing,
                        err);
  if (r) {
    error_prefix(err, "stage '%s', row %lld", f->job->stage_name, (long long)row_no);
    return r;
  }
  const char *custom_id = u->custom_id;
  r = request_build(&f->ss->spec, custom_id, strlen(custom_id), has_sys ? buf_str(&f->sys) : NULL,
                    f->sys.len, buf_str(&f->user), f->user.len, &f->req);
  if (r)
    return error_set(err, r, "building the request of row %lld", (long long)row_no);
  int64_t line_bytes = (int64_t)f->req.len + 1;
  if (f->ss->limits.max_request_bytes && line_bytes > f->ss->limits.max_request_bytes)
    return error_set(err, BT_ERR_LIMIT,
                     "stage '%s', row %lld: the request is %lld bytes, over "
                     "the provider's limit",
                     f->job->stage_name, (long long)row_no, (long long)line_bytes);
  if (f->n > 0 && f->ss->limits.max_file_bytes &&
      f->bytes + line_bytes > f->ss->limits.max_file_bytes) {
    f->full = 1; /* this row starts the next chunk */
    return BT_OK;
  }
  bt_task_new t = {
      row_no,
      u->line_no,
      custom_id,
      input ? input : "{}",
      buf_str(&f->req),
      tokens_request(has_sys ? buf_str(&f->sys) : NULL, f->sys.len, buf_str(&f->user), f->user.len),
      0};
  r = store_task_insert(f->ins, &t, err);
  if (r)
    return r;
  if (f->n == f->cap) {
    f->cap = f->cap ? f->cap * 2 : 64;
    int64_t *p = realloc(f->task_ids, f->cap * sizeof *p);
    if (!p)
      return error_set(err, BT_ERR_NOMEM, "out of memory");
    f->task_ids = p;
  }
  f->task_ids[f->n++] = sqlite3_last_insert_rowid(store_db(f->s));
  f->bytes += line_bytes;
  return BT_OK;
}

static int chunk_full(const flow_state *f) {
  int64_t max_n = f->ss->limits.max_requests;
  if (f->ss->chunk_size > 0 && (max_n == 0 || f->ss->chunk_size < max_n))
    max_n = f->ss->chunk_size;
  return max_n && (int64_t)f->n >= max_n;
}

/* Rows read per pull: a chunk takes at most this many, the rest wait for the next pull. */
#define FLOW_READ_MAX 2000

static bt_status flow_chunk(flow_state *f, const char *upstream, bt_error *err) {
  int64_t limit = f->ss->limits.max_requests;
  if (f->ss->chunk_size > 0 && (limit == 0 || f->ss->chunk_size < limit))
    limit = f->ss->chunk_size;
  if (limit <= 0 || limit > FLOW_READ_MAX)
    limit = FLOW_READ_MAX;
  up_row *rows = calloc((size_t)limit, sizeof *rows);
  if (!rows)
    return error_set(err, BT_ERR_NOMEM, "out of memory");
  size_t got = 0;
  int more = 0; /* rows past this pull's limit are waiting */
  sqlite3_stmt *up;
  bt_status r = store_prepare(f->s, eligible_sql, &up, err);
  if (!r) {
    sqlite3_bind_text(up, 1, upstream, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(up, 2, f->job->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(up, 3, limit + 1);
    int rc;
    while ((rc = sqlite3_step(up)) == SQLITE_ROW) {
      if ((int64_t)got == limit) {
        more = 1; /* one more is waiting: the rows read still flow, the stage stays held */
        break;
      }
      up_row *u = &rows[got++];
      u->row_no = sqlite3_column_int64(up, 0);
      u->line_no = sqlite3_column_int64(up, 1);
      u->custom_id = store_col_dup(up, 2);
      u->input = store_col_dup(up, 3);
      u->output = store_col_dup(up, 4);
    }
    if (!more && rc != SQLITE_DONE)
      r = store_fail(f->s, err, "reading the stage before");
    sqlite3_finalize(up);
  }
  for (size_t i = 0; !r && i < got && !f->full; i++) {
    if (chunk_full(f)) {
      f->full = 1;
      break;
    }
    r = flow_row(f, &rows[i], err);
  }
  if (more)
    f->full = 1;
  for (size_t i = 0; i < got; i++) {
    free(rows[i].custom_id);
    free(rows[i].input);
    free(rows[i].output);
  }
  free(rows);
  if (r || f->n == 0)
    return r;
  int64_t chunk_no = 0, batch_id = 0;
  r = store_query_int(f->s, err, &chunk_no, 0,
                      "SELECT coalesce(max(chunk_no), 0) FROM batches WHERE job_id = ? AND"
                      " round = 1",
                      "t", f->job->id);
  if (!r)
    r = store_batch_insert(f->s, f->job->id, chunk_no + 1, 1, f->job->provider, &batch_id, err);
  for (size_t i = 0; !r && i < f->n; i++)
    r = store_attempt_insert(f->s, f->job->id, f->task_ids[i], batch_id, err);
  if (!r)
    r = store_batch_set_size(f->s, batch_id, (int64_t)f->n, f->bytes, -1, err);
  return r;
}

bt_status pipeline_flow(bt_store *s, const char *job_id, int64_t *added, bt_error *err) {
  if (added)
    *added = 0;
  bt_job job;
  bt_status r = store_job_get(s, job_id, &job, err);
  if (r)
    return r;
  if (!job.pipeline_id || job.stage_no <= 1 || !strcmp(job.state, "cancelled") ||
      !strcmp(job.state, "failed")) {
    job_cleanup(&job);
    return BT_OK;
  }
  char upstream[BT_JOB_ID_LEN + 1];
  int have = 0;
  r = stage_job_id(s, job.pipeline_id, job.stage_no - 1, upstream, &have, err);
  if (!r && !have)
    r = error_set(err, BT_ERR_STORE, "pipeline %s has no stage %lld", job.pipeline_id,
                  (long long)job.stage_no - 1);
  stage_spec ss;
  memset(&ss, 0, sizeof ss);
  if (!r)
    r = stage_spec_load(&job, &ss, err);
  flow_state f;
  memset(&f, 0, sizeof f);
  f.s = s;
  f.job = &job;
  f.ss = &ss;
  f.fc.s = s;
  f.fc.pipeline_id = job.pipeline_id;
  buf_init(&f.user, 0);
  buf_init(&f.sys, 0);
  buf_init(&f.req, 0);
  int in_tx = 0;
  if (!r)
    r = store_begin(s, err);
  in_tx = !r;
  if (!r)
    r = store_prepare(s,
                      "SELECT t.output FROM tasks t JOIN jobs j ON j.id = t.job_id"
                      " WHERE j.pipeline_id = ?1 AND j.stage_name = ?2 AND t.row_no = ?3"
                      " AND t.state = 'succeeded'",
                      &f.fc.named, err);
  if (!r)
    r = store_prepare(s, "INSERT OR IGNORE INTO pipeline_skips(job_id, row_no) VALUES (?, ?)",
                      &f.skip, err);
  if (!r)
    r = store_task_inserter_new(s, job.id, &f.ins, err);
  if (!r)
    r = flow_chunk(&f, upstream, err);
  /* Held while rows can still come: the stage before has not ended, or this chunk was full. */
  int64_t upstream_open = 1;
  if (!r)
    r = store_query_int(s, err, &upstream_open, 1,
                        "SELECT state NOT IN ('completed','failed','cancelled') OR hold"
                        " FROM jobs WHERE id = ?",
                        "t", upstream);
  int hold = upstream_open || f.full;
  if (!r)
    r = store_run(s, err, "updating a stage", NULL,
                  "UPDATE jobs SET hold = ?2, updated_at = ?3,"
                  " state = CASE WHEN ?4 > 0 AND state = 'completed' THEN 'running' ELSE state"
                  " END, finished_at = CASE WHEN ?4 > 0 AND state = 'completed' THEN NULL ELSE"
                  " finished_at END WHERE id = ?1",
                  "tiii", job.id, (int64_t)hold, util_now_ms(), (int64_t)f.n);
  if (in_tx) {
    if (!r)
      r = store_commit(s, err);
    else
      store_rollback(s);
  }
  if (!r && added)
    *added = (int64_t)f.n;
  store_task_inserter_free(f.ins);
  sqlite3_finalize(f.fc.named);
  sqlite3_finalize(f.skip);
  json_decref(f.fc.input);
  free(f.fc.scratch);
  free(f.task_ids);
  buf_cleanup(&f.user);
  buf_cleanup(&f.sys);
  buf_cleanup(&f.req);
  stage_spec_cleanup(&ss);
  job_cleanup(&job);
  return r;
}

bt_status pipeline_reopen_downstream(bt_store *s, const char *job_id, bt_error *err) {
  return store_run(s, err, "reopening later stages", NULL,
                   "UPDATE jobs SET hold = 1, state = 'running', finished_at = NULL,"
                   " updated_at = ?2 WHERE state = 'completed' AND pipeline_id IS NOT NULL AND"
                   " (pipeline_id, stage_no) IN (SELECT pipeline_id, stage_no + 1 FROM jobs"
                   " WHERE id = ?1 UNION ALL SELECT j.pipeline_id, j.stage_no FROM jobs j,"
                   " jobs me WHERE me.id = ?1 AND j.pipeline_id = me.pipeline_id AND"
                   " j.stage_no > me.stage_no)",
                   "ti", job_id, util_now_ms());
}

bt_status pipeline_done(bt_store *s, const char *pipeline_id, int *done, bt_error *err) {
  int64_t open = 1;
  bt_status r = store_query_int(s, err, &open, 1,
                                "SELECT count(*) FROM jobs WHERE pipeline_id = ? AND (hold OR"
                                " state NOT IN ('completed','failed','cancelled'))",
                                "t", pipeline_id);
  *done = !r && open == 0;
  return r;
}

/* ---- results side by side ------------------------------------------------------------- */

typedef struct {
  char *name;
  sqlite3_stmt *task; /* state, output, error of one row */
  sqlite3_stmt *skip;
  int has_prev; /* 0 for stage 1 */
  int found;    /* row_status found the row's task: task's columns 3-5 are its usage */
  bt_buf error; /* the row's error as written out: API keys scrubbed (results.c does too) */
  char id[BT_JOB_ID_LEN + 1];
} result_stage;

/* A row's status in one stage; a row that never reached the stage takes its reason from the
 * stage before: "skipped" (filtered out), "blocked" (did not succeed) or "waiting". */
static const char *row_status(result_stage *rs, int64_t row_no, const char **output,
                              const char **error) {
  *output = *error = NULL;
  sqlite3_reset(rs->task);
  sqlite3_bind_int64(rs->task, 2, row_no);
  rs->found = 0;
  if (sqlite3_step(rs->task) == SQLITE_ROW) {
    rs->found = 1;
    *output = (const char *)sqlite3_column_text(rs->task, 1);
    const char *e = (const char *)sqlite3_column_text(rs->task, 2);
    if (e) {
      /* A provider may echo the key into its error text, and a store written before the key
       * was registered keeps it: never export it. */
      buf_reset(&rs->error);
      if (buf_puts(&rs->error, e) == BT_OK) {
        secret_scrub(rs->error.data);
        *error = buf_str(&rs->error);
      } else {
        *error = "(out of memory copying the error)";
      }
    }
    return (const char *)sqlite3_column_text(rs->task, 0);
  }
  sqlite3_reset(rs->skip);
  sqlite3_bind_int64(rs->skip, 2, row_no);
  if (sqlite3_step(rs->skip) == SQLITE_ROW)
    return "skipped";
  if (!rs->has_prev)
    return "waiting";
  const char *o, *e;
  return pipeline_absent_status(0, row_status(rs - 1, row_no, &o, &e));
}

const char *pipeline_absent_status(int skipped, const char *before) {
  if (skipped || (before && !strcmp(before, "skipped")))
    return "skipped";
  if (before && (!strcmp(before, "failed") || !strcmp(before, "expired") ||
                 !strcmp(before, "cancelled") || !strcmp(before, "blocked")))
    return "blocked";
  return "waiting";
}

bt_status pipeline_results(bt_store *s, const char *pipeline_id, const char *format, FILE *out,
                           int64_t *rows, bt_error *err) {
  if (rows)
    *rows = 0;
  char(*ids)[BT_JOB_ID_LEN + 1] = NULL;
  size_t n = 0;
  bt_status r = pipeline_stage_jobs(s, pipeline_id, &ids, &n, err);
  if (!r && n == 0)
    r = error_set(err, BT_ERR_NOT_FOUND, "pipeline %s has no stages yet", pipeline_id);
  if (r) {
    free(ids);
    return r;
  }
  int jsonl = format && strcmp(format, "jsonl") == 0;
  result_stage *rs = calloc(n, sizeof *rs);
  json_t *fields = NULL;
  sqlite3_stmt *rowsq = NULL;
  if (!rs)
    r = error_set(err, BT_ERR_NOMEM, "out of memory");
  for (size_t k = 0; !r && k < n; k++) {
    bt_job job;
    r = store_job_get(s, ids[k], &job, err);
    if (r)
      break;
    rs[k].name = util_xstrdup(job.stage_name ? job.stage_name : job.id);
    util_strlcpy(rs[k].id, job.id, sizeof rs[k].id);
    if (k == 0)
      fields = json_loads(job.input_fields ? job.input_fields : "[]", 0, NULL);
    job_cleanup(&job);
    r = store_prepare(s,
                      "SELECT t.state, t.output, CASE WHEN t.state = 'succeeded' THEN NULL ELSE"
                      " coalesce(a.error_code || ': ' || a.error_message, a.error_code,"
                      " a.error_message) END, coalesce(a.input_tokens, 0),"
                      " coalesce(a.output_tokens, 0), coalesce(a.cost_usd, 0)"
                      " FROM tasks t LEFT JOIN attempts a ON"
                      " a.id = t.last_attempt_id WHERE t.job_id = ?1 AND t.row_no = ?2",
                      &rs[k].task, err);
    if (!r)
      r = store_prepare(s, "SELECT 1 FROM pipeline_skips WHERE job_id = ?1 AND row_no = ?2",
                        &rs[k].skip, err);
    rs[k].has_prev = k > 0;
    if (!r) {
      sqlite3_bind_text(rs[k].task, 1, rs[k].id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(rs[k].skip, 1, rs[k].id, -1, SQLITE_TRANSIENT);
    }
  }
  if (!r && !fields)
    r = error_set(err, BT_ERR_STORE, "the first stage's input fields are unreadable");
  if (!r)
    r = store_prepare(s,
                      "SELECT t.row_no, i.input FROM tasks t JOIN task_inputs i ON"
                      " i.task_id = t.id WHERE t.job_id = ? ORDER BY t.row_no",
                      &rowsq, err);
  if (!r && !jsonl) {
    size_t i;
    json_t *v;
    int first = 1;
    json_array_foreach(fields, i, v) {
      results_csv_field(out, json_string_value(v), first);
      first = 0;
    }
    static const char *const cols[] = {"status",       "output",        "error",
                                       "input_tokens", "output_tokens", "cost_usd"};
    for (size_t k = 0; k < n; k++)
      for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
        char col[200];
        snprintf(col, sizeof col, "%s_%s", rs[k].name, cols[c]);
        results_csv_field(out, col, first);
        first = 0;
      }
    fputc('\n', out);
  }
  if (!r) {
    sqlite3_bind_text(rowsq, 1, ids[0], -1, SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(rowsq)) == SQLITE_ROW) {
      int64_t row_no = sqlite3_column_int64(rowsq, 0);
      json_t *input = json_loads((const char *)sqlite3_column_text(rowsq, 1), 0, NULL);
      if (jsonl) {
        json_t *obj = json_object();
        json_t *stages = json_object();
        const char *key;
        json_t *v;
        json_object_foreach(input, key, v) json_object_set(obj, key, v);
        for (size_t k = 0; k < n; k++) {
          const char *o, *e;
          const char *st = row_status(&rs[k], row_no, &o, &e);
          json_t *so = json_pack("{s:s,s:s?,s:s?}", "status", st, "output", o, "error", e);
          /* What the row cost in this stage (its latest attempt, as a job's results say). */
          json_object_set_new(so, "input_tokens",
                              rs[k].found ? json_integer(sqlite3_column_int64(rs[k].task, 3))
                                          : json_null());
          json_object_set_new(so, "output_tokens",
                              rs[k].found ? json_integer(sqlite3_column_int64(rs[k].task, 4))
                                          : json_null());
          json_object_set_new(so, "cost_usd",
                              rs[k].found ? json_real(sqlite3_column_double(rs[k].task, 5))
                                          : json_null());
          json_object_set_new(stages, rs[k].name, so);
        }
        json_object_set_new(obj, "stages", stages);
        char *line = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (line)
          fprintf(out, "%s\n", line);
        free(line);
        json_decref(obj);
      } else {
        size_t i;
        json_t *v;
        int first = 1;
        json_array_foreach(fields, i, v) {
          results_csv_value(out, json_object_get(input, json_string_value(v)), first);
          first = 0;
        }
        for (size_t k = 0; k < n; k++) {
          const char *o, *e;
          const char *st = row_status(&rs[k], row_no, &o, &e);
          results_csv_field(out, st, first);
          results_csv_field(out, !strcmp(st, "succeeded") ? o : NULL, 0);
          results_csv_field(out, e, 0);
          char num[3][RESULTS_COST_MAX] = {"", "", ""};
          if (rs[k].found) {
            snprintf(num[0], sizeof num[0], "%lld", (long long)sqlite3_column_int64(rs[k].task, 3));
            snprintf(num[1], sizeof num[1], "%lld", (long long)sqlite3_column_int64(rs[k].task, 4));
            results_fmt_cost(num[2], sqlite3_column_double(rs[k].task, 5));
          }
          for (int c = 0; c < 3; c++)
            results_csv_field(out, num[c], 0);
          first = 0;
        }
        fputc('\n', out);
      }
      json_decref(input);
      if (rows)
        (*rows)++;
    }
    if (rc != SQLITE_DONE)
      r = store_fail(s, err, "reading rows");
  }
  sqlite3_finalize(rowsq);
  for (size_t k = 0; rs && k < n; k++) {
    free(rs[k].name);
    buf_cleanup(&rs[k].error);
    sqlite3_finalize(rs[k].task);
    sqlite3_finalize(rs[k].skip);
  }
  free(rs);
  json_decref(fields);
  free(ids);
  if (!r && ferror(out))
    r = error_set(err, BT_ERR_IO, "writing results failed");
  return r;
}
