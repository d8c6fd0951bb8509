/* view_jobs: the home view: one row per job with its progress, throughput, ETA and cost, and one
 * row per pipeline (in place of its stage jobs) with a funnel of its stages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "app.h"
#include "provider.h"
#include "store_query.h"
#include "ui_list.h"
#include "ui_text.h"
#include "util.h"

typedef struct {
  ui_list list;
  bt_qjob_list page; /* rows list.top .. list.top + page.n - 1 */
  bt_qsort sort;
  char filter[128];
  char (*driver)[24]; /* per page row: actions_driver()'s word for who drives it */
} jobs_view;

enum {
  C_NAME,
  C_MODEL,
  C_STATE,
  C_DRIVER,
  C_PROGRESS,
  C_DONE,
  C_RATE,
  C_ETA,
  C_EST,
  C_COST,
  C_AGE,
  C_N
};

static const ui_col jobs_cols[C_N] = {
    [C_NAME] = {"NAME", 12, 0, 3, 0, 0, 0, 0},
    [C_MODEL] = {"PROVIDER/MODEL", 12, 30, 1, 5, 0, 0, 0},
    [C_STATE] = {"STATE", 9, 0, 0, 0, 0, 0, 0},
    [C_DRIVER] = {"DRIVER", 9, 0, 0, 8, 0, 0, 0}, /* else in the status line */
    [C_PROGRESS] = {"PROGRESS", 12, 44, 3, 0, 0, 0, 0},
    [C_DONE] = {"DONE/TOTAL", 10, 0, 0, 1, 1, 0, 0},
    [C_RATE] = {"RATE", 6, 0, 0, 4, 1, 0, 0},
    [C_ETA] = {"ETA", 6, 0, 0, 3, 1, 0, 0},
    [C_EST] = {"EST", 7, 0, 0, 6, 1, 0, 0},
    [C_COST] = {"COST", 7, 0, 0, 2, 1, 0, 0},
    [C_AGE] = {"AGE", 4, 0, 0, 7, 1, 0, 0},
};

static const bt_qjob *selected(const jobs_view *v) {
  int64_t i = v->list.sel - v->list.top;
  return i >= 0 && (size_t)i < v->page.n ? &v->page.rows[i] : NULL;
}

/* Who drives each visible row; a pipeline is driven where its first moving stage is. */
static void load_drivers(jobs_view *v, bt_app *app) {
  free(v->driver);
  v->driver = calloc(v->page.n ? v->page.n : 1, sizeof *v->driver);
  if (!v->driver)
    return;
  for (size_t i = 0; i < v->page.n; i++) {
    const bt_qjob *j = &v->page.rows[i];
    char buf[64] = "";
    if (!j->n_stages)
      actions_driver(app, j->id, j->state, buf, sizeof buf);
    for (size_t k = 0; k < j->n_stages; k++) {
      actions_driver(app, j->stages[k].job.id, j->stages[k].job.state, buf, sizeof buf);
      if (buf[0] && strcmp(buf, "nobody: stalled") != 0)
        break;
    }
    /* The column's word: "here", "pid N", "stalled". */
    util_strlcpy(v->driver[i], strcmp(buf, "nobody: stalled") == 0 ? "stalled" : buf,
                 sizeof v->driver[i]);
  }
}

static int jobs_load(void *st, bt_app *app) {
  jobs_view *v = st;
  int h = app_body_height(app) - 1;
  for (int pass = 0; pass < 2; pass++) {
    store_query_jobs_cleanup(&v->page);
    bt_qjobs_opts o = {v->sort, v->filter[0] ? v->filter : NULL, v->list.top, h > 0 ? h : 1,
                       util_now_ms()};
    bt_error err;
    error_clear(&err);
    if (store_query_jobs(app->store, &o, &v->page, &err) != BT_OK) {
      app_message(app, 1, "%s", err.message);
      return UI_REDRAW;
    }
    load_drivers(v, app);
    int64_t top = v->list.top;
    v->list.total = v->page.total;
    ui_list_fix(&v->list, h);
    if (v->list.top == top)
      break; /* the page loaded is the page shown */
  }
  return UI_REDRAW;
}

static void *jobs_open(bt_app *app, const bt_view_arg *arg) {
  (void)arg;
  jobs_view *v = calloc(1, sizeof *v);
  if (!v)
    return NULL;
  v->sort = QSORT_NEWEST;
  jobs_load(v, app);
  return v;
}

static void jobs_close(void *st) {
  jobs_view *v = st;
  store_query_jobs_cleanup(&v->page);
  free(v->driver);
  free(v);
}

/* A pipeline's providers, "openai→anthropic→openai", or "3 stages" when that does not fit. */
static const char *pipeline_models(const bt_qjob *j, int width, char *buf, size_t size) {
  size_t n = 0;
  buf[0] = '\0';
  for (size_t k = 0; k < j->n_stages && n < size; k++) {
    int w = snprintf(buf + n, size - n, "%s%s", k ? (ui_text_utf8() ? "\xe2\x86\x92" : ">") : "",
                     j->stages[k].job.provider);
    n += w > 0 ? (size_t)w : 0;
  }
  if (n >= size || ui_text_width(buf) > width)
    snprintf(buf, size, "%zu stages", j->n_stages);
  return buf;
}

/* The funnel of a pipeline's stages in width cells: "12/12›4/8›2/4" (done/total per stage, each
 * in its stage's state colour) when it fits, else one small bar per stage. */
static void draw_funnel(int y, int x, int width, const bt_qjob *j, int sel) {
  const char *sep = ui_text_utf8() ? "\xe2\x80\xba" : ">";
  char text[256] = "", part[48];
  size_t n = 0;
  for (size_t k = 0; k < j->n_stages; k++) {
    ui_fmt_done(&j->stages[k].job.counts, part, sizeof part);
    int w = snprintf(text + n, sizeof text - n, "%s%s", k ? sep : "", part);
    n += w > 0 ? (size_t)w : 0;
    if (n >= sizeof text)
      break;
  }
  ui_elem base = sel ? UI_SELECTION : UI_NORMAL;
  ui_fill(stdscr, y, x, width, base);
  int cx = x, n_st = (int)j->n_stages;
  if (n < sizeof text && ui_text_width(text) <= width) {
    for (size_t k = 0; k < j->n_stages; k++) {
      if (k)
        cx += ui_put(stdscr, y, cx, 1, sel ? base : UI_DIM, sep);
      const char *st = store_query_stage_state(&j->stages[k]);
      ui_fmt_done(&j->stages[k].job.counts, part, sizeof part);
      cx += ui_put(stdscr, y, cx, ui_text_width(part), sel ? base : ui_state_elem(st), part);
    }
    return;
  }
  int seg = n_st ? (width - (n_st - 1)) / n_st : 0;
  if (seg < 1) {
    ui_putf(stdscr, y, x, width, base, "%d stages", n_st);
    return;
  }
  for (int k = 0; k < n_st; k++) {
    if (k)
      cx += ui_put(stdscr, y, cx, 1, sel ? base : UI_DIM, sep);
    ui_bar(stdscr, y, cx, seg, &j->stages[k].job.counts);
    cx += seg;
  }
}

static void jobs_draw(void *st, bt_app *app, int top, int height) {
  jobs_view *v = st;
  int w = app->cols;
  ui_col cols[C_N];
  memcpy(cols, jobs_cols, sizeof cols);
  /* The name column gets room first on wide screens. */
  ui_cols_layout(cols, C_N, w - 1);
  ui_fill(stdscr, top, 0, w, UI_COLUMN);
  ui_cols_header(stdscr, top, 1, w - 1, cols, C_N);
  if (v->page.total == 0) {
    const char *msg = v->filter[0] ? "No job matches the filter. Press / to change it."
                                   : "No jobs yet. Press n to preview a template over an "
                                     "input file and submit it, or run 'batchtop submit'.";
    ui_put(stdscr, top + 2, 2, w - 4, UI_DIM, msg);
    return;
  }
  int64_t now = util_now_ms();
  for (size_t i = 0; i < v->page.n && (int)i < height - 1; i++) {
    const bt_qjob *j = &v->page.rows[i];
    int y = top + 1 + (int)i;
    int sel = v->list.top + (int64_t)i == v->list.sel;
    ui_elem base = sel ? UI_SELECTION : UI_NORMAL;
    ui_fill(stdscr, y, 0, w, base);
    char buf[256];
    ui_cols_cell(stdscr, y, 1, &cols[C_NAME], sel ? base : UI_VALUE, j->name);
    if (j->n_stages)
      pipeline_models(j, cols[C_MODEL].w, buf, sizeof buf);
    else
      snprintf(buf, sizeof buf, "%s/%s", j->provider, j->model);
    ui_cols_cell(stdscr, y, 1, &cols[C_MODEL], sel ? base : UI_DIM, buf);
    const char *state = store_query_job_state(j); /* paused, not its stored submitting */
    ui_cols_cell(stdscr, y, 1, &cols[C_STATE], sel ? base : ui_state_elem(state), state);
    const char *drv = v->driver ? v->driver[i] : "";
    ui_cols_cell(stdscr, y, 1, &cols[C_DRIVER],
                 sel ? base : (strcmp(drv, "stalled") == 0 ? UI_STATE_FAILED : UI_DIM),
                 drv[0] ? drv : "-");
    bt_counts shown; /* with what the provider reported before the results are in */
    store_query_progress(j, &shown);
    if (cols[C_PROGRESS].w && j->n_stages)
      draw_funnel(y, 1 + cols[C_PROGRESS].x, cols[C_PROGRESS].w, j, sel);
    else if (cols[C_PROGRESS].w)
      ui_progress(stdscr, y, 1 + cols[C_PROGRESS].x, cols[C_PROGRESS].w, &shown, base);
    ui_cols_cell(stdscr, y, 1, &cols[C_DONE], base, ui_fmt_done(&shown, buf, sizeof buf));
    ui_cols_cell(stdscr, y, 1, &cols[C_RATE], base, ui_fmt_rate(j->rate_per_min, buf, sizeof buf));
    ui_cols_cell(stdscr, y, 1, &cols[C_ETA], base, ui_fmt_eta(j->eta_ms, buf, sizeof buf));
    /* A model without a known price costs "?", not $0.00. */
    int priced = j->n_stages || provider_price_known(j->provider, j->model);
    ui_cols_cell(stdscr, y, 1, &cols[C_EST], sel ? base : UI_COST_ESTIMATE,
                 priced ? util_fmt_usd(j->est_cost_usd, buf, sizeof buf) : "?");
    ui_elem ce = ui_cost_elem(j->est_cost_usd, j->actual_cost_usd);
    ui_cols_cell(stdscr, y, 1, &cols[C_COST], sel && ce == UI_COST ? base : ce,
                 priced ? util_fmt_usd(j->actual_cost_usd, buf, sizeof buf) : "?");
    ui_cols_cell(stdscr, y, 1, &cols[C_AGE], sel ? base : UI_DIM,
                 ui_fmt_age(now, j->created_at, buf, sizeof buf));
  }
}

static void filter_set(bt_app *app, void *ud, const char *text) {
  jobs_view *v = ud;
  util_strlcpy(v->filter, text, sizeof v->filter);
  v->list.sel = v->list.top = 0;
  (void)app;
}

/* p: the job's template previewed over its input. */
static int jobs_preview(bt_app *app, const bt_qjob *j) {
  if (j) {
    bt_qjob_detail d;
    bt_error err;
    error_clear(&err);
    if (store_query_job(app->store, j->id, util_now_ms(), 0, &d, &err) == BT_OK &&
        d.template_path && d.input_path) {
      bt_view_arg arg = {0};
      arg.state = -1;
      arg.template_path = d.template_path;
      arg.input_path = d.input_path;
      (void)app_push(app, &view_preview_ops, &arg);
    } else {
      app_message(app, 1, "this job has no template and input file to preview");
    }
    store_query_job_cleanup(&d);
  }
  return UI_HANDLED | UI_REDRAW;
}

static int jobs_key(void *st, bt_app *app, ui_action a, int key) {
  (void)key;
  jobs_view *v = st;
  if (ui_list_move(&v->list, a))
    return UI_HANDLED | UI_RELOAD;
  const bt_qjob *j = selected(v);
  int stage_act = a == ACT_RETRY || a == ACT_RETRY_ONE || a == ACT_CANCEL || a == ACT_PREVIEW;
  if (j && j->n_stages && stage_act) {
    /* Retry, cancel and preview act on one stage's tasks and template. */
    app_message(app, 0, "a pipeline acts stage by stage: Enter opens its stages");
    return UI_HANDLED | UI_REDRAW;
  }
  switch (a) {
  case ACT_OPEN:
    if (j) {
      bt_view_arg arg = {0};
      arg.state = -1;
      if (j->n_stages)
        arg.pipeline_id = j->id;
      else
        arg.job_id = j->id;
      (void)app_push(app, j->n_stages ? &view_pipeline_ops : &view_job_ops, &arg);
    }
    return UI_HANDLED | UI_REDRAW;
  case ACT_SORT:
    v->sort = (bt_qsort)((v->sort + 1) % QSORT_COUNT);
    v->list.sel = v->list.top = 0;
    app_message(app, 0, "sorted by %s", store_query_sort_name(v->sort));
    return UI_HANDLED | UI_RELOAD;
  case ACT_FILTER:
    app_prompt(app, "Filter jobs (name, id, provider, model or state)", v->filter, 0, filter_set, v,
               NULL);
    return UI_HANDLED | UI_REDRAW;
  case ACT_RETRY:
  case ACT_RETRY_ONE:
    if (j)
      return actions_ask_retry(app, j->id, j->name, NULL, 0);
    return UI_HANDLED;
  case ACT_CANCEL:
    if (j)
      return actions_ask_cancel(app, j->id, j->name,
                                j->counts.n[TASK_PENDING] + j->counts.n[TASK_RUNNING]);
    return UI_HANDLED;
  case ACT_COPY:
    if (j)
      app_copy(app, j->id);
    return UI_HANDLED | UI_REDRAW;
  case ACT_PREVIEW:
    return jobs_preview(app, j);
  default:
    return 0;
  }
}

static int jobs_click(void *st, bt_app *app, int row) {
  jobs_view *v = st;
  (void)app;
  return ui_list_click(&v->list, row - 1) ? UI_HANDLED | UI_RELOAD : 0;
}

static void jobs_title(void *st, char *buf, size_t size) {
  (void)st;
  snprintf(buf, size, "jobs");
}

static void jobs_status(void *st, bt_app *app, char *buf, size_t size) {
  jobs_view *v = st;
  int n = snprintf(buf, size, " %s %lld of %lld", v->page.total ? "job" : "jobs",
                   (long long)(v->page.total ? v->list.sel + 1 : 0), (long long)v->page.total);
  /* The selected job's tasks by state, in the words and numbers of `status`. */
  const bt_qjob *j = selected(v);
  if (j && n > 0 && (size_t)n < size) {
    char counts[192];
    n += snprintf(buf + n, size - (size_t)n, ": %s",
                  ui_fmt_counts(&j->counts, counts, sizeof counts));
  }
  /* Who drives the selected job, also when the column does not fit. */
  int64_t i = v->list.sel - v->list.top;
  const char *drv = v->driver && i >= 0 && (size_t)i < v->page.n ? v->driver[i] : "";
  if (drv[0] && n > 0 && (size_t)n < size)
    n += snprintf(buf + n, size - (size_t)n, " \xc2\xb7 %s%s",
                  strcmp(drv, "stalled") == 0 ? "nobody drives it: "
                  : strcmp(drv, "here") == 0  ? "driven "
                                              : "driven by another process, ",
                  drv);
  if (n > 0 && (size_t)n < size)
    n += snprintf(buf + n, size - (size_t)n, " \xc2\xb7 sort: %s", store_query_sort_name(v->sort));
  if (v->filter[0] && n > 0 && (size_t)n < size)
    n += snprintf(buf + n, size - (size_t)n, " \xc2\xb7 filter: %s", v->filter);
  if (!app->engine && n > 0 && (size_t)n < size)
    snprintf(buf + n, size - (size_t)n, " \xc2\xb7 watching the store (read-only)");
}

static const ui_action jobs_footer[] = {ACT_OPEN,   ACT_NEW,  ACT_RETRY,   ACT_CANCEL,
                                        ACT_FILTER, ACT_SORT, ACT_PREVIEW, ACT_COPY};

const bt_view_ops view_jobs_ops = {
    "jobs",     jobs_open,   jobs_load,   jobs_draw,
    jobs_key,   NULL,        jobs_click,  jobs_close,
    jobs_title, jobs_status, jobs_footer, (int)(sizeof jobs_footer / sizeof jobs_footer[0]),
};
