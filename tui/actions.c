/* actions: the seam between the dashboard and the engine. */
#include "actions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_query.h"
#include "util.h"

#include "engine.h"
#include "job.h"
#include "lease.h"
#include "logger.h"
#include "retry.h"

bt_status actions_retry_plan(bt_app *app, const char *job_id, const char *only, int64_t task_id,
                             int64_t *n_tasks, double *est_usd, bt_error *err) {
  *n_tasks = 0;
  *est_usd = 0;
  bt_retry_plan p;
  bt_status r = retry_plan(app->store, job_id, only, task_id, &p, err);
  if (!r) {
    *n_tasks = p.tasks;
    *est_usd = p.est_cost_usd;
  }
  return r;
}

/* Read-only mode (--read-only, or the engine could not start): say so, change nothing. */
static bt_status no_engine(const char *what, bt_error *err) {
  return error_set(err, BT_ERR_UNSUPPORTED,
                   "%s needs the engine: this dashboard only watches the store (--read-only, "
                   "or the engine could not start)",
                   what);
}

bt_status actions_retry(bt_app *app, const char *job_id, const char *only, int64_t task_id,
                        bt_error *err) {
  if (app->engine) {
    engine_retry(app->engine, job_id, only, task_id);
    return BT_OK;
  }
  return no_engine("retry", err);
}

bt_status actions_cancel(bt_app *app, const char *job_id, bt_error *err) {
  if (app->engine) {
    engine_cancel(app->engine, job_id);
    return BT_OK;
  }
  return no_engine("cancel", err);
}

bt_status actions_submit(bt_app *app, const char *template_path, const char *input_path,
                         const bt_render_opts *opts, char id_out[BT_JOB_ID_LEN + 1],
                         bt_error *err) {
  id_out[0] = '\0';
  if (app->engine) {
    bt_job_opts jo;
    job_opts_init(&jo);
    if (opts) {
      jo.provider = opts->provider;
      jo.model = opts->model;
      jo.id_field = opts->id_field;
      jo.max_tokens = opts->max_tokens;
    }
    if (app->cfg) {
      jo.chunk_size = app->cfg->chunk_size;
      jo.max_cost_usd = app->cfg->max_cost > 0 ? app->cfg->max_cost : -1;
    }
    bt_status r = job_create_from_render(app->store, template_path, input_path, &jo, id_out, err);
    if (r)
      return r;
    engine_drive(app->engine, id_out);
    return BT_OK;
  }
  return no_engine("submit", err);
}

void actions_refresh(bt_app *app) {
  if (app->engine)
    engine_refresh(app->engine);
}

int actions_wake_fd(bt_app *app) {
  if (app->engine)
    return engine_wake_fd(app->engine);
  return -1;
}

/* Jobs are named by their names in the status line (their ids are for commands). */
static const char *job_label(bt_app *app, const char *id, char *buf, size_t size) {
  bt_error err;
  error_clear(&err);
  buf[0] = '\0';
  if (id[0] && (store_query_job_name(app->store, id, buf, size, &err) != BT_OK || !buf[0]))
    util_strlcpy(buf, id, size);
  return buf;
}

size_t actions_events(bt_app *app, bt_app_event *out, size_t max) {
  if (!app->engine)
    return 0;
  bt_engine_event evs[64];
  size_t got = engine_events(app->engine, evs, max < 64 ? max : 64);
  size_t n = 0;
  for (size_t i = 0; i < got; i++) {
    const bt_engine_event *e = &evs[i];
    switch (e->kind) {
    case ENGINE_EV_MESSAGE:
      /* Warnings and errors reach the status bar; the rest only the log. */
      if (e->level >= LOG_WARN) {
        char name[128];
        app_message(app, e->level >= LOG_ERROR, "%s%s%s",
                    job_label(app, e->job_id, name, sizeof name), e->job_id[0] ? ": " : "",
                    e->message);
      }
      break;
    case ENGINE_EV_JOB_ERROR: {
      char name[128];
      app_message(app, 1, "%s: %s", job_label(app, e->job_id, name, sizeof name), e->message);
      break;
    }
    case ENGINE_EV_CHANGED:
    case ENGINE_EV_JOB_DONE:
      out[n].kind = e->kind == ENGINE_EV_CHANGED ? APP_EV_CHANGED : APP_EV_JOB_DONE;
      util_strlcpy(out[n].job_id, e->job_id, sizeof out[n].job_id);
      n++;
      break;
    default:
      break;
    }
  }
  /* Messages alone still need a redraw: report them as a change of nothing in particular. */
  if (got && !n) {
    out[0].kind = APP_EV_CHANGED;
    out[0].job_id[0] = '\0';
    n = 1;
  }
  return n;
}

typedef struct {
  char job[BT_JOB_ID_LEN + 1];
  char name[128];
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
    app_message(app, 0, "retry queued for %s", p->name);
}

/* A dialog is only opened for what can happen: without an engine, say so before asking. */
static int refuse_read_only(bt_app *app, const char *what, const char *job_name) {
  if (app->engine)
    return 0;
  app_message(app, 1,
              "cannot %s %s: this dashboard only watches the store (--read-only, or the "
              "engine could not start); run `batchtop` without --read-only",
              what, job_name);
  return 1;
}

int actions_ask_retry(bt_app *app, const char *job_id, const char *job_name, const char *only,
                      int64_t task_id) {
  if (refuse_read_only(app, "retry", job_name))
    return UI_HANDLED | UI_REDRAW;
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
  util_strlcpy(p->name, job_name, sizeof p->name);
  if (only)
    util_strlcpy(p->only, only, sizeof p->only);
  p->task = task_id;
  app_confirm(app, "Retry", text, retry_yes, p, free);
  return UI_HANDLED | UI_REDRAW;
}

static void cancel_yes(bt_app *app, void *ud) {
  retry_req *p = ud;
  bt_error err;
  error_clear(&err);
  if (actions_cancel(app, p->job, &err) != BT_OK)
    app_message(app, 1, "%s", err.message);
  else
    app_message(app, 0, "cancelling %s", p->name);
}

int actions_ask_cancel(bt_app *app, const char *job_id, const char *job_name, int64_t unfinished) {
  if (refuse_read_only(app, "cancel", job_name))
    return UI_HANDLED | UI_REDRAW;
  if (unfinished <= 0) {
    app_message(app, 0, "%s has no unfinished tasks to cancel", job_name);
    return UI_HANDLED | UI_REDRAW;
  }
  char text[512];
  snprintf(text, sizeof text, "Cancel %s? Its %lld unfinished task%s stop; finished results stay.",
           job_name, (long long)unfinished, unfinished == 1 ? "" : "s");
  retry_req *p = calloc(1, sizeof *p);
  if (!p)
    return UI_HANDLED;
  util_strlcpy(p->job, job_id, sizeof p->job);
  util_strlcpy(p->name, job_name, sizeof p->name);
  app_confirm(app, "Cancel job", text, cancel_yes, p, free);
  return UI_HANDLED | UI_REDRAW;
}

const char *actions_driver(bt_app *app, const char *job_id, const char *state, char *buf,
                           size_t size) {
  buf[0] = '\0';
  if (!state || (strcmp(state, "submitting") != 0 && strcmp(state, "running") != 0))
    return buf;
  int64_t pid = 0;
  bt_error err;
  error_clear(&err);
  if (lease_driver(app->store, job_id, &pid, &err) != BT_OK)
    snprintf(buf, size, "?");
  else if (pid == (int64_t)getpid())
    snprintf(buf, size, "here");
  else if (pid > 0)
    snprintf(buf, size, "pid %lld", (long long)pid);
  else
    snprintf(buf, size, "nobody: stalled");
  return buf;
}

bt_status actions_engine_start(const bt_config *cfg, void **engine_out, bt_error *err) {
  *engine_out = NULL;
  bt_engine_opts o;
  memset(&o, 0, sizeof o);
  o.cfg = cfg;
  o.store_path = NULL;
  o.drive_all = 1; /* the dashboard moves every unfinished job it can lease */
  bt_engine *e = NULL;
  bt_status r = engine_new(&o, &e, err);
  if (!r)
    r = engine_start(e, err);
  if (r) {
    engine_free(e);
    return r;
  }
  *engine_out = e;
  return BT_OK;
}

void actions_engine_stop(void *engine) {
  if (engine)
    engine_free(engine);
}
