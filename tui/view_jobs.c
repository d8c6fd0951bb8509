/* view_jobs: the home view: one row per job with its progress, throughput, ETA and cost. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "app.h"
#include "store_query.h"
#include "ui_list.h"
#include "ui_text.h"
#include "util.h"

typedef struct {
  ui_list list;
  bt_qjob_list page; /* rows list.top .. list.top + page.n - 1 */
  bt_qsort sort;
  char filter[128];
} jobs_view;

enum { C_NAME, C_MODEL, C_STATE, C_PROGRESS, C_DONE, C_RATE, C_ETA, C_EST, C_COST, C_AGE, C_N };

static const ui_col jobs_cols[C_N] = {
    [C_NAME] = {"NAME", 12, 0, 3, 0, 0, 0, 0},
    [C_MODEL] = {"PROVIDER/MODEL", 12, 30, 1, 5, 0, 0, 0},
    [C_STATE] = {"STATE", 9, 0, 0, 0, 0, 0, 0},
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
  free(v);
}

static const char *fmt_done(const bt_counts *c, char *buf, size_t size) {
  int64_t done = c->total - c->n[TASK_PENDING] - c->n[TASK_RUNNING];
  char a[16], b[16];
  if (c->total < 100000)
    snprintf(buf, size, "%lld/%lld", (long long)done, (long long)c->total);
  else
    snprintf(buf, size, "%s/%s", util_fmt_count((double)done, a, sizeof a),
             util_fmt_count((double)c->total, b, sizeof b));
  return buf;
}

/* Progress bar with its percentage, in width cells. */
static void draw_progress(int y, int x, int width, const bt_counts *c, ui_elem text_elem) {
  int64_t done = c->total - c->n[TASK_PENDING] - c->n[TASK_RUNNING];
  int pct = c->total > 0 ? (int)(done * 100 / c->total) : 0;
  char p[8];
  snprintf(p, sizeof p, "%3d%%", pct);
  if (width >= 10) {
    ui_bar(stdscr, y, x, width - 5, c);
    ui_put(stdscr, y, x + width - 5, 5, text_elem, "");
    ui_put_right(stdscr, y, x + width - 4, 4, text_elem, p);
  } else {
    ui_put_right(stdscr, y, x, width, text_elem, p);
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
    snprintf(buf, sizeof buf, "%s/%s", j->provider, j->model);
    ui_cols_cell(stdscr, y, 1, &cols[C_MODEL], sel ? base : UI_DIM, buf);
    ui_cols_cell(stdscr, y, 1, &cols[C_STATE], sel ? base : ui_state_elem(j->state), j->state);
    bt_counts shown; /* with what the provider reported before the results are in */
    store_query_progress(j, &shown);
    if (cols[C_PROGRESS].w)
      draw_progress(y, 1 + cols[C_PROGRESS].x, cols[C_PROGRESS].w, &shown, base);
    ui_cols_cell(stdscr, y, 1, &cols[C_DONE], base, fmt_done(&shown, buf, sizeof buf));
    ui_cols_cell(stdscr, y, 1, &cols[C_RATE], base, ui_fmt_rate(j->rate_per_min, buf, sizeof buf));
    if (j->eta_ms >= 0)
      util_fmt_duration(j->eta_ms, buf, sizeof buf);
    else
      snprintf(buf, sizeof buf, "-");
    ui_cols_cell(stdscr, y, 1, &cols[C_ETA], base, buf);
    ui_cols_cell(stdscr, y, 1, &cols[C_EST], sel ? base : UI_COST_ESTIMATE,
                 util_fmt_usd(j->est_cost_usd, buf, sizeof buf));
    /* Spend above the estimate (by more than 10%) is the number to notice. */
    ui_elem ce =
        j->est_cost_usd > 0 && j->actual_cost_usd > j->est_cost_usd * 1.1 ? UI_COST_HIGH : UI_COST;
    ui_cols_cell(stdscr, y, 1, &cols[C_COST], sel && ce == UI_COST ? base : ce,
                 util_fmt_usd(j->actual_cost_usd, buf, sizeof buf));
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

static int jobs_key(void *st, bt_app *app, ui_action a, int key) {
  (void)key;
  jobs_view *v = st;
  if (ui_list_move(&v->list, a))
    return UI_HANDLED | UI_RELOAD;
  const bt_qjob *j = selected(v);
  switch (a) {
  case ACT_OPEN:
    if (j) {
      bt_view_arg arg = {0};
      arg.job_id = j->id;
      arg.state = -1;
      (void)app_push(app, &view_job_ops, &arg);
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
  int n = snprintf(buf, size, " %s %lld of %lld \xc2\xb7 sort: %s", v->page.total ? "job" : "jobs",
                   (long long)(v->page.total ? v->list.sel + 1 : 0), (long long)v->page.total,
                   store_query_sort_name(v->sort));
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
