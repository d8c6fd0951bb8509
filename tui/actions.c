/* actions: the seam between the dashboard and the engine. */
#include "actions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_query.h"
#include "util.h"

bt_status actions_retry_plan(bt_app *app, const char *job_id, const char *only, int64_t task_id,
                             int64_t *n_tasks, double *est_usd, bt_error *err) {
  *n_tasks = 0;
  *est_usd = 0;
  bt_qjob_detail d;
  bt_status r = store_query_job(app->store, job_id, util_now_ms(), 0, &d, err);
  if (r) {
    store_query_job_cleanup(&d);
    return r;
  }
  if (task_id > 0) {
    *n_tasks = 1;
  } else {
    for (size_t i = 0; i < d.n_errors; i++)
      if (!only || strcmp(only, d.errors[i].code) == 0)
        *n_tasks += d.errors[i].n;
  }
  double per_task = d.job.counts.total > 0 ? d.job.est_cost_usd / (double)d.job.counts.total : 0;
  *est_usd = per_task * (double)*n_tasks;
  store_query_job_cleanup(&d);
  return BT_OK;
}

static bt_status no_engine(bt_app *app, const char *what, bt_error *err) {
  (void)app;
  return error_set(err, BT_ERR_UNSUPPORTED,
                   "%s needs the engine, which is not part of this build yet", what);
}

bt_status actions_retry(bt_app *app, const char *job_id, const char *only, int64_t task_id,
                        bt_error *err) {
  (void)job_id;
  (void)only;
  (void)task_id;
  return no_engine(app, "retry", err);
}

bt_status actions_cancel(bt_app *app, const char *job_id, bt_error *err) {
  (void)job_id;
  return no_engine(app, "cancel", err);
}

bt_status actions_submit(bt_app *app, const char *template_path, const char *input_path,
                         const bt_render_opts *opts, char id_out[BT_JOB_ID_LEN + 1],
                         bt_error *err) {
  (void)template_path;
  (void)input_path;
  (void)opts;
  id_out[0] = '\0';
  return no_engine(app, "submit", err);
}

int actions_wake_fd(bt_app *app) {
  (void)app;
  return -1;
}

size_t actions_events(bt_app *app, bt_app_event *out, size_t max) {
  (void)app;
  (void)out;
  (void)max;
  return 0;
}

typedef struct {
  char job[BT_JOB_ID_LEN + 1];
  char only[128];
  int64_t task;
} retry_req;

static void retry_yes(bt_app *app, void *ud) {
  retry_req *p = ud;
  bt_error err;
  error_clear(&err);
  if (actions_retry(app, p->job, p->only[0] ? p->only : NULL, p->task, &err) != BT_OK)
    app_message(app, 1, "%s", err.message);
  else
    app_message(app, 0, "retry queued for %s", p->job);
}

int actions_ask_retry(bt_app *app, const char *job_id, const char *job_name, const char *only,
                      int64_t task_id) {
  int64_t n = 0;
  double usd = 0;
  bt_error err;
  error_clear(&err);
  if (actions_retry_plan(app, job_id, only, task_id, &n, &usd, &err) != BT_OK) {
    app_message(app, 1, "%s", err.message);
    return UI_HANDLED | UI_REDRAW;
  }
  if (n == 0) {
    app_message(app, 0, "%s has no failed, expired or cancelled tasks to retry", job_name);
    return UI_HANDLED | UI_REDRAW;
  }
  char text[512], cost[32];
  util_fmt_usd(usd, cost, sizeof cost);
  if (task_id > 0)
    snprintf(text, sizeof text, "Retry this task of %s in a new batch? Estimated cost: %s.",
             job_name, cost);
  else if (only)
    snprintf(text, sizeof text,
             "Retry the %lld task%s of %s that failed with %s, in new batches? "
             "Estimated cost: %s.",
             (long long)n, n == 1 ? "" : "s", job_name, only, cost);
  else
    snprintf(text, sizeof text,
             "Retry %lld failed, expired or cancelled task%s of %s in new batches? "
             "Estimated cost: %s.",
             (long long)n, n == 1 ? "" : "s", job_name, cost);
  retry_req *p = calloc(1, sizeof *p);
  if (!p)
    return UI_HANDLED;
  util_strlcpy(p->job, job_id, sizeof p->job);
  if (only)
    util_strlcpy(p->only, only, sizeof p->only);
  p->task = task_id;
  app_confirm(app, "Retry", text, retry_yes, p, free);
  return UI_HANDLED | UI_REDRAW;
}

static void cancel_yes(bt_app *app, void *ud) {
  bt_error err;
  error_clear(&err);
  if (actions_cancel(app, ud, &err) != BT_OK)
    app_message(app, 1, "%s", err.message);
  else
    app_message(app, 0, "cancelling %s", (const char *)ud);
}

int actions_ask_cancel(bt_app *app, const char *job_id, const char *job_name, int64_t unfinished) {
  char text[512];
  snprintf(text, sizeof text,
           "Cancel %s? Its %lld unfinished task%s stop; finished results stay.", job_name,
           (long long)unfinished, unfinished == 1 ? "" : "s");
  app_confirm(app, "Cancel job", text, cancel_yes, util_xstrdup(job_id), free);
  return UI_HANDLED | UI_REDRAW;
}
