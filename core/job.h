/* job: creating a job from rendered requests, in one transaction: the job row, one task per
 * input row (holding its full request line, so batches are later built from the store and
 * never by re-reading the input), the chunks (one `batches` row in state intent per chunk,
 * tag bt-<job>-<chunk>-<round>) and one running attempt per task linking it to its chunk.
 * The token and cost estimate is stored on the job. Nothing is written unless everything
 * rendered: a bad row rolls the whole job back (nothing half-submitted).
 *
 * Used by `submit`, the dashboard's preview "submit" and pipelines. Runs on the caller's
 * thread and store connection; the engine picks the job up afterwards (engine_drive). */
#ifndef BT_JOB_H
#define BT_JOB_H

#include <stdint.h>

#include "render.h"
#include "store.h"
#include "store_job.h"

typedef struct bt_job_opts {
  const char *provider;    /* NULL: the template's / render's */
  const char *model;       /* NULL: the template's */
  const char *name;        /* NULL: the template file's base name */
  int64_t chunk_size;      /* 0: the provider's limit */
  double max_cost_usd;     /* < 0: no limit; an estimate above it is BT_ERR_BUDGET */
  int64_t max_tokens;      /* > 0 overrides front matter */
  const char *id_field;    /* custom_id column, or NULL */
  const char *format;      /* csv | tsv | jsonl; NULL: by the input's extension */
  const char *pipeline_id; /* NULL unless a pipeline stage */
  int64_t stage_no;
  const char *stage_name;
  bt_render_lookup lookup; /* pipelines; may be NULL */
  void *lookup_ud;
  int allow_duplicate_name; /* 0: a name (given, outside pipelines) another job has is refused */
} bt_job_opts;

void job_opts_init(bt_job_opts *o);

/* Render template over input and create the job. id_out gets the new id. On BT_ERR_BUDGET
 * err says the estimate and the limit (or, with a limit, that the model has no known price);
 * on BT_ERR_EXISTS that opts->name is taken (job_ref_name_taken). Nothing is stored then. */
bt_status job_create_from_render(bt_store *s, const char *template_path, const char *input_path,
                                 const bt_job_opts *opts, char id_out[BT_JOB_ID_LEN + 1],
                                 bt_error *err) BT_WUR;

/* The same, fed row by row (tests, imports): begin, add each rendered row, finish. */
typedef struct bt_job_builder bt_job_builder;
typedef struct bt_job_meta {
  const char *provider, *model, *endpoint, *format, *fields_json, *template_path, *template_text,
      *input_path;
} bt_job_meta;
bt_status job_builder_begin(bt_store *s, const bt_job_opts *opts, const bt_job_meta *meta,
                            bt_job_builder **out, bt_error *err) BT_WUR;
bt_status job_builder_add(bt_job_builder *b, const bt_rendered *row, bt_error *err) BT_WUR;
/* Commits; id_out gets the id. The builder is freed in every case. */
bt_status job_builder_finish(bt_job_builder *b, char id_out[BT_JOB_ID_LEN + 1],
                             bt_error *err) BT_WUR;
/* Abandon (rolls back). */
void job_builder_abort(bt_job_builder *b);

#endif
