/* job_render: job_create_from_render(): the render pipeline feeding a job builder. Kept apart
 * from job.c so the builder can be used (and tested) without the renderer. */
#include <string.h>

#include "job.h"

bt_status job_create_from_render(bt_store *s, const char *template_path, const char *input_path,
                                 const bt_job_opts *opts, char id_out[BT_JOB_ID_LEN + 1],
                                 bt_error *err) {
  bt_render_opts ro;
  memset(&ro, 0, sizeof ro);
  ro.provider = opts->provider;
  ro.model = opts->model;
  ro.id_field = opts->id_field;
  ro.format = opts->format;
  ro.max_tokens = opts->max_tokens;
  ro.lookup = opts->lookup;
  ro.lookup_ud = opts->lookup_ud;
  bt_render *r = NULL;
  bt_status st = render_open(template_path, input_path, &ro, &r, err);
  if (st)
    return st;
  const bt_render_info *info = render_info(r);
  bt_job_meta meta = {info->provider,    info->model,         info->endpoint,
                      info->format,      info->fields_json,   template_path,
                      info->template_text, input_path};
  bt_job_builder *b = NULL;
  st = job_builder_begin(s, opts, &meta, &b, err);
  while (!st) {
    const bt_rendered *row = NULL;
    st = render_next(r, &row, err);
    if (st || !row)
      break;
    st = job_builder_add(b, row, err);
  }
  if (st) {
    job_builder_abort(b);
    render_close(r);
    return st;
  }
  st = job_builder_finish(b, id_out, err);
  render_close(r);
  return st;
}
