/* job: job creation from a render, with chunking and the estimate. */
#include "job.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "chunker.h"
#include "estimate.h"
#include "job_ref.h"
#include "provider.h"
#include "store_attempt.h"
#include "store_batch.h"
#include "store_sql.h"
#include "util.h"

void job_opts_init(bt_job_opts *o) {
  memset(o, 0, sizeof *o);
  o->max_cost_usd = -1;
}

struct bt_job_builder {
  bt_store *s;
  bt_job job;
  bt_task_inserter *ins;
  bt_attempt_inserter *att;
  bt_chunker chunker;
  int64_t chunk_no, chunk_id, chunk_n, chunk_bytes, chunk_tokens;
  int64_t n_tasks;
  int64_t next_attempt; /* the id the next task's first attempt gets (we hold the write lock) */
};

static bt_status close_chunk(bt_job_builder *b, bt_error *err) {
  if (!b->chunk_id)
    return BT_OK;
  bt_status r =
      store_batch_set_size(b->s, b->chunk_id, b->chunk_n, b->chunk_bytes, b->chunk_tokens, err);
  b->chunk_id = 0;
  b->chunk_n = b->chunk_bytes = b->chunk_tokens = 0;
  return r;
}

bt_status job_builder_begin(bt_store *s, const bt_job_opts *opts, const bt_job_meta *meta,
                            bt_job_builder **out, bt_error *err) {
  *out = NULL;
  int kind = provider_parse_kind(meta->provider);
  if (kind < 0)
    return error_set(err, BT_ERR_USAGE, "unknown provider '%s' (openai, anthropic or local)",
                     meta->provider ? meta->provider : "");
  bt_job_builder *b = calloc(1, sizeof *b);
  if (!b)
    return error_set(err, BT_ERR_NOMEM, "out of memory");
  b->s = s;
  bt_provider rp;
  if (request_provider_parse(meta->provider, &rp, err) != BT_OK) {
    free(b);
    return err ? err->status : BT_ERR_USAGE;
  }
  int64_t chunk_size = opts->chunk_size;
  if (chunk_size <= 0 && kind == PROVIDER_LOCAL)
    chunk_size = PROVIDER_LOCAL_CHUNK;
  chunker_init(&b->chunker, rp, chunk_size);
  bt_job *j = &b->job;
  job_init(j);
  if (opts->name) {
    j->name = util_xstrdup(opts->name);
  } else if (meta->template_path) {
    char *tmp = util_xstrdup(meta->template_path);
    char *base = basename(tmp);
    char *dot = strrchr(base, '.');
    if (dot && dot != base)
      *dot = '\0';
    j->name = util_xstrdup(base);
    free(tmp);
  }
  j->provider = util_xstrdup(meta->provider);
  j->model = util_xstrdup(meta->model ? meta->model : "");
  j->endpoint =
      util_xstrdup(meta->endpoint ? meta->endpoint : provider_endpoint((bt_provider_kind)kind));
  j->state = util_xstrdup("submitting");
  j->template_path = meta->template_path ? util_xstrdup(meta->template_path) : NULL;
  j->template_text = meta->template_text ? util_xstrdup(meta->template_text) : NULL;
  j->input_path = meta->input_path ? util_xstrdup(meta->input_path) : NULL;
  j->input_format = meta->format ? util_xstrdup(meta->format) : NULL;
  j->input_fields = util_xstrdup(meta->fields_json ? meta->fields_json : "[]");
  j->chunk_size = b->chunker.max_requests;
  j->max_cost_usd = opts->max_cost_usd;
  j->pipeline_id = opts->pipeline_id ? util_xstrdup(opts->pipeline_id) : NULL;
  j->stage_no = opts->stage_no;
  j->stage_name = opts->stage_name ? util_xstrdup(opts->stage_name) : NULL;
  bt_status r = store_begin(s, err);
  if (r) {
    job_cleanup(j);
    free(b);
    return r;
  }
  /* Checked inside the write transaction, so two submits cannot both take the name. */
  char taken[BT_JOB_ID_LEN + 1];
  if (opts->name && !opts->pipeline_id && !opts->allow_duplicate_name &&
      job_ref_name_taken(s, opts->name, taken)) {
    r = error_set(err, BT_ERR_EXISTS,
                  "job %s is already named '%s'; nothing was submitted (give another --name, or"
                  " --allow-duplicate-name to make a second job of that name)",
                  taken, opts->name);
    store_rollback(s);
    job_cleanup(j);
    free(b);
    return r;
  }
  r = store_job_insert(s, j, err);
  /* Bulk mode: the per-row count and cost triggers stand aside until job_builder_finish
   * counts the tasks once, and so do the CHECKs on states: a job is built with constants
   * ('pending' tasks, 'running' attempts), and SQLite checks an IN list by building a temporary
   * index for every row (about a third of the time a task took). */
  if (!r)
    r = store_bulk_begin(s, err);
  if (!r)
    r = store_query_int(s, err, &b->next_attempt, 0, "SELECT coalesce(max(id), 0) FROM attempts",
                        "");
  b->next_attempt++;
  if (!r)
    r = store_task_inserter_new(s, j->id, &b->ins, err);
  if (!r)
    r = store_attempt_inserter_new(s, j->id, &b->att, err);
  if (r) {
    job_builder_abort(b);
    return r;
  }
  *out = b;
  return BT_OK;
}

bt_status job_builder_add(bt_job_builder *b, const bt_rendered *row, bt_error *err) {
  int64_t bytes = (int64_t)row->request_bytes + 1;
  int64_t chunk;
  int starts;
  if (chunker_add(&b->chunker, row->request_bytes, &chunk, &starts, err) != BT_OK) {
    error_prefix(err, "row %lld", (long long)row->row_no);
    return err ? err->status : BT_ERR_LIMIT;
  }
  if (starts && b->chunk_id) {
    bt_status r = close_chunk(b, err);
    if (r)
      return r;
  }
  if (!b->chunk_id) {
    bt_status r =
        store_batch_insert(b->s, b->job.id, ++b->chunk_no, 1, b->job.provider, &b->chunk_id, err);
    if (r)
      return r;
  }
  bt_task_new t = {row->row_no,  row->line_no,          row->custom_id, row->input_json,
                   row->request, row->est_input_tokens, b->next_attempt};
  bt_status r = store_task_insert(b->ins, &t, err);
  if (r)
    return r;
  int64_t task_id = sqlite3_last_insert_rowid(store_db(b->s));
  r = store_attempt_add_first(b->att, b->next_attempt, task_id, b->chunk_id, err);
  if (r)
    return r;
  b->next_attempt++;
  b->chunk_n++;
  b->chunk_bytes += bytes;
  b->chunk_tokens += row->est_input_tokens;
  b->n_tasks++;
  b->job.est_input_tokens += row->est_input_tokens;
  /* The worst case, as `estimate` and --max-cost count it (core/estimate.h). */
  b->job.est_output_tokens +=
      row->max_output_tokens > 0 ? row->max_output_tokens : ESTIMATE_NO_MAX_OUTPUT;
  return BT_OK;
}

void job_builder_abort(bt_job_builder *b) {
  if (!b)
    return;
  store_task_inserter_free(b->ins);
  store_attempt_inserter_free(b->att);
  store_rollback(b->s);
  job_cleanup(&b->job);
  free(b);
}

bt_status job_builder_finish(bt_job_builder *b, char id_out[BT_JOB_ID_LEN + 1], bt_error *err) {
  bt_job *j = &b->job;
  bt_status r = close_chunk(b, err);
  if (!r && b->n_tasks == 0)
    r = error_set(err, BT_ERR_INPUT, "the input has no rows; nothing to submit");
  double est = provider_cost_usd(j->provider, j->model, j->est_input_tokens, j->est_output_tokens);
  if (!r && j->max_cost_usd >= 0 && !provider_price_known(j->provider, j->model)) {
    char lim[32];
    r = error_set(err, BT_ERR_BUDGET,
                  "no price is known for model '%s' (%s), so --max-cost $%s cannot be checked;"
                  " nothing was submitted. %s",
                  j->model, j->provider, util_fmt_usd_exact(j->max_cost_usd, lim, sizeof lim),
                  PROVIDER_PRICES_HINT);
  } else if (!r && j->max_cost_usd >= 0 && est > j->max_cost_usd) {
    char lim[32];
    r = error_set(err, BT_ERR_BUDGET,
                  "estimated cost $%.4f is above --max-cost $%s; nothing was submitted", est,
                  util_fmt_usd_exact(j->max_cost_usd, lim, sizeof lim));
  }
  if (!r)
    r = store_run(
        b->s, err, "storing the estimate", NULL,
        "UPDATE jobs SET est_cost_usd = ?, est_cost_std_usd = ?, est_input_tokens = ?,"
        " est_output_tokens = ? WHERE id = ?",
        "ddiit", est,
        provider_cost_std_usd(j->provider, j->model, j->est_input_tokens, j->est_output_tokens),
        j->est_input_tokens, j->est_output_tokens, j->id);
  /* What the insert triggers would have counted row by row: every task pending; new attempts
   * cost nothing yet. */
  if (!r)
    r = store_job_counts_add(b->s, j->id, TASK_PENDING, b->n_tasks, err);
  if (!r)
    r = store_bulk_end(b->s, err);
  if (!r)
    r = store_event(b->s, j->id, 0, "info", "created", "job created", err);
  store_task_inserter_free(b->ins);
  store_attempt_inserter_free(b->att);
  b->ins = NULL;
  b->att = NULL;
  if (!r)
    r = store_commit(b->s, err);
  if (r)
    store_rollback(b->s);
  if (!r && id_out) {
    util_strlcpy(id_out, j->id, BT_JOB_ID_LEN + 1);
  }
  job_cleanup(j);
  free(b);
  return r;
}
