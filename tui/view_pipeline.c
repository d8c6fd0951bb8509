/* view_pipeline: one pipeline: its name, input, state and cost, then each stage as a job row
 * (progress, done/total, rows its where-condition skipped, cost). Enter opens the stage's job;
 * r and c act on the stage's job through the actions seam, as they do in the jobs view. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "app.h"
#include "pipeline_run.h"
#include "store_query.h"
#include "ui_list.h"
#include "ui_text.h"
#include "util.h"

typedef struct {
  char id[BT_PIPELINE_ID_LEN + 1];
  bt_qpipeline d;
  int loaded;
  ui_list stages;
  int list_top_y;     /* body row of the first stage row, for clicks */
  char (*driver)[24]; /* per stage: who drives its job (actions_driver) */
} pipeline_view;

enum {
  S_NO,
  S_NAME,
  S_MODEL,
  S_STATE,
  S_DRIVER,
  S_PROGRESS,
  S_DONE,
  S_SKIPPED,
  S_EST,
  S_COST,
  S_N
};
static const ui_col stage_cols[S_N] = {
    [S_NO] = {"#", 2, 0, 0, 0, 1, 0, 0},
    [S_NAME] = {"STAGE", 8, 14, 1, 0, 0, 0, 0},
    [S_MODEL] = {"PROVIDER/MODEL", 12, 30, 2, 3, 0, 0, 0},
    [S_STATE] = {"STATE", 9, 0, 0, 0, 0, 0, 0},
    [S_DRIVER] = {"DRIVER", 7, 0, 0, 5, 0, 0, 0}, /* else in the status line */
    [S_PROGRESS] = {"PROGRESS", 12, 40, 2, 1, 0, 0, 0},
    [S_DONE] = {"DONE/TOTAL", 10, 0, 0, 0, 1, 0, 0},
    [S_SKIPPED] = {"SKIPPED", 7, 0, 0, 2, 1, 0, 0},
    [S_EST] = {"EST", 7, 0, 0, 4, 1, 0, 0},
    [S_COST] = {"COST", 7, 0, 0, 0, 1, 0, 0},
};

/* The header takes 3 rows, a blank, the section title and the column header. */
#define HEAD_ROWS 6

static const bt_qstage *selected(const pipeline_view *v) {
  return v->loaded && v->stages.sel < (int64_t)v->d.row.n_stages ? &v->d.row.stages[v->stages.sel]
                                                                 : NULL;
}

static int pview_load(void *st, bt_app *app) {
  pipeline_view *v = st;
  store_query_pipeline_cleanup(&v->d);
  v->loaded = 0;
  bt_error err;
  error_clear(&err);
  if (store_query_pipeline(app->store, v->id, util_now_ms(), &v->d, &err) != BT_OK) {
    app_message(app, 1, "%s", err.message);
    return UI_REDRAW;
  }
  v->loaded = 1;
  free(v->driver);
  v->driver = calloc(v->d.row.n_stages ? v->d.row.n_stages : 1, sizeof *v->driver);
  for (size_t i = 0; v->driver && i < v->d.row.n_stages; i++) {
    char buf[64];
    const bt_qjob *j = &v->d.row.stages[i].job;
    actions_driver(app, j->id, j->state, buf, sizeof buf);
    util_strlcpy(v->driver[i], strcmp(buf, "nobody: stalled") == 0 ? "stalled" : buf,
                 sizeof v->driver[i]);
  }
  v->stages.total = (int64_t)v->d.row.n_stages;
  ui_list_fix(&v->stages, app_body_height(app) - HEAD_ROWS);
  return UI_REDRAW;
}

static void *pview_open(bt_app *app, const bt_view_arg *arg) {
  pipeline_view *v = calloc(1, sizeof *v);
  if (!v)
    return NULL;
  util_strlcpy(v->id, arg->pipeline_id ? arg->pipeline_id : "", sizeof v->id);
  pview_load(v, app);
  if (!v->loaded) {
    free(v);
    return NULL;
  }
  return v;
}

static void pview_close(void *st) {
  pipeline_view *v = st;
  store_query_pipeline_cleanup(&v->d);
  free(v->driver);
  free(v);
}

static void draw_header(pipeline_view *v, int y, int w) {
  const bt_qjob *p = &v->d.row;
  int64_t now = util_now_ms();
  char buf[512], a[32], b[32];
  /* Line 1: name, id, state, age. */
  int x = 1;
  x += ui_put(stdscr, y, x, w / 2, UI_VALUE, p->name) + 2;
  x += ui_put(stdscr, y, x, 9, UI_DIM, p->id) + 1;
  if (x + 10 < w)
    x += ui_put(stdscr, y, x, ui_text_width(p->state), ui_state_elem(p->state), p->state) + 2;
  snprintf(buf, sizeof buf, "%zu stages \xc2\xb7 created %s ago", p->n_stages,
           ui_fmt_age(now, p->created_at, a, sizeof a));
  if (p->finished_at > 0)
    snprintf(buf, sizeof buf, "%zu stages \xc2\xb7 took %s", p->n_stages,
             util_fmt_duration(p->finished_at - p->created_at, a, sizeof a));
  if (x + ui_text_width(buf) + 1 < w)
    ui_put_right(stdscr, y, x, w - x - 1, UI_DIM, buf);

  /* Line 2: where it came from. */
  x = 1;
  x += ui_field(stdscr, y + 1, x, w - x, "Input", UI_NORMAL,
                v->d.input_path ? v->d.input_path : "-");
  x += ui_field(stdscr, y + 1, x, w - x, "File", UI_DIM, v->d.path ? v->d.path : "-");

  /* Line 3: cost over all stages, tokens. */
  x = 1;
  snprintf(buf, sizeof buf, "%s (standard %s)", util_fmt_usd(p->est_cost_usd, a, sizeof a),
           util_fmt_usd(p->est_cost_std_usd, b, sizeof b));
  x += ui_field(stdscr, y + 2, x, w - x, "Estimate", UI_COST_ESTIMATE, buf);
  x += ui_field(stdscr, y + 2, x, w - x, "Spent", ui_cost_elem(p->est_cost_usd, p->actual_cost_usd),
                util_fmt_usd(p->actual_cost_usd, a, sizeof a));
  snprintf(buf, sizeof buf, "in %s / out %s",
           util_fmt_count((double)p->actual_input_tokens, a, sizeof a),
           util_fmt_count((double)p->actual_output_tokens, b, sizeof b));
  x += ui_field(stdscr, y + 2, x, w - x, "Tokens", UI_NORMAL, buf);
}

static void draw_stage(const bt_qstage *g, const char *drv, int y, const ui_col *cols, int sel,
                       int w) {
  const bt_qjob *j = &g->job;
  ui_elem base = sel ? UI_SELECTION : UI_NORMAL;
  ui_fill(stdscr, y, 0, w, base);
  char buf[256];
  snprintf(buf, sizeof buf, "%lld", (long long)g->stage_no);
  ui_cols_cell(stdscr, y, 1, &cols[S_NO], sel ? base : UI_DIM, buf);
  ui_cols_cell(stdscr, y, 1, &cols[S_NAME], sel ? base : UI_VALUE,
               g->stage_name ? g->stage_name : j->name);
  snprintf(buf, sizeof buf, "%s/%s", j->provider, j->model);
  ui_cols_cell(stdscr, y, 1, &cols[S_MODEL], sel ? base : UI_DIM, buf);
  const char *state = store_query_stage_state(g);
  ui_cols_cell(stdscr, y, 1, &cols[S_STATE], sel ? base : ui_state_elem(state), state);
  ui_cols_cell(stdscr, y, 1, &cols[S_DRIVER],
               sel ? base : (strcmp(drv, "stalled") == 0 ? UI_STATE_FAILED : UI_DIM),
               drv[0] ? drv : "-");
  if (cols[S_PROGRESS].w)
    ui_progress(stdscr, y, 1 + cols[S_PROGRESS].x, cols[S_PROGRESS].w, &j->counts, base);
  ui_cols_cell(stdscr, y, 1, &cols[S_DONE], base, ui_fmt_done(&j->counts, buf, sizeof buf));
  snprintf(buf, sizeof buf, "%lld", (long long)g->skipped);
  ui_cols_cell(stdscr, y, 1, &cols[S_SKIPPED], sel ? base : (g->skipped ? UI_NORMAL : UI_DIM),
               g->skipped ? buf : "-");
  ui_cols_cell(stdscr, y, 1, &cols[S_EST], sel ? base : UI_COST_ESTIMATE,
               util_fmt_usd(j->est_cost_usd, buf, sizeof buf));
  ui_elem ce = ui_cost_elem(j->est_cost_usd, j->actual_cost_usd);
  ui_cols_cell(stdscr, y, 1, &cols[S_COST], sel && ce == UI_COST ? base : ce,
               util_fmt_usd(j->actual_cost_usd, buf, sizeof buf));
}

static void pview_draw(void *st, bt_app *app, int top, int height) {
  pipeline_view *v = st;
  int w = app->cols;
  if (!v->loaded)
    return;
  draw_header(v, top, w);
  if (height < HEAD_ROWS)
    return;
  int held = 0;
  for (size_t i = 0; i < v->d.row.n_stages; i++)
    held |= v->d.row.stages[i].hold;
  char extra[128];
  snprintf(extra, sizeof extra, "%zu%s", v->d.row.n_stages,
           held ? " \xc2\xb7 held: rows can still flow in from the stage before" : "");
  ui_section(stdscr, top + 4, w, "Stages", extra);
  ui_col cols[S_N];
  memcpy(cols, stage_cols, sizeof cols);
  ui_table_header(stdscr, top + 5, w, cols, S_N);
  int rows = height - HEAD_ROWS;
  ui_list_fix(&v->stages, rows);
  v->list_top_y = HEAD_ROWS;
  for (int r = 0; r < rows; r++) {
    int64_t i = v->stages.top + r;
    if (i >= v->stages.total)
      break;
    draw_stage(&v->d.row.stages[i], v->driver ? v->driver[i] : "", top + HEAD_ROWS + r, cols,
               i == v->stages.sel, w);
  }
}

static int pview_key(void *st, bt_app *app, ui_action a, int key) {
  (void)key;
  pipeline_view *v = st;
  if (!v->loaded)
    return 0;
  if (ui_list_move(&v->stages, a))
    return UI_HANDLED | UI_REDRAW;
  const bt_qstage *g = selected(v);
  if (!g)
    return 0;
  const bt_qjob *j = &g->job;
  switch (a) {
  case ACT_OPEN: {
    bt_view_arg arg = {0};
    arg.job_id = j->id;
    arg.state = -1;
    (void)app_push(app, &view_job_ops, &arg);
    return UI_HANDLED | UI_REDRAW;
  }
  case ACT_RETRY:
  case ACT_RETRY_ONE:
    return actions_ask_retry(app, j->id, j->name, NULL, 0);
  case ACT_CANCEL:
    return actions_ask_cancel(app, j->id, j->name,
                              j->counts.n[TASK_PENDING] + j->counts.n[TASK_RUNNING]);
  case ACT_COPY:
    app_copy(app, j->id);
    return UI_HANDLED | UI_REDRAW;
  default:
    return 0;
  }
}

static int pview_click(void *st, bt_app *app, int row) {
  pipeline_view *v = st;
  (void)app;
  return row >= v->list_top_y && ui_list_click(&v->stages, row - v->list_top_y)
             ? UI_HANDLED | UI_REDRAW
             : 0;
}

static void pview_title(void *st, char *buf, size_t size) {
  pipeline_view *v = st;
  snprintf(buf, size, "%s", v->loaded ? v->d.row.name : v->id);
}

static void pview_status(void *st, bt_app *app, char *buf, size_t size) {
  pipeline_view *v = st;
  (void)app;
  const bt_qstage *g = selected(v);
  if (!g) {
    buf[0] = '\0';
    return;
  }
  if (g->job.last_error)
    snprintf(buf, size, " %s: last error: %s", g->stage_name ? g->stage_name : g->job.name,
             g->job.last_error);
  else {
    const char *drv = v->driver ? v->driver[v->stages.sel] : "";
    snprintf(
        buf, size,
        " stage %lld of %zu%s%s%s \xc2\xb7 Enter opens its job \xc2\xb7 r retries its failures",
        (long long)v->stages.sel + 1, v->d.row.n_stages, drv[0] ? " \xc2\xb7 " : "",
        strcmp(drv, "stalled") == 0 ? "nobody drives it: "
        : strcmp(drv, "here") == 0  ? "driven "
        : drv[0]                    ? "driven by another process, "
                                    : "",
        drv);
  }
}

static const ui_action pview_footer[] = {ACT_OPEN, ACT_RETRY, ACT_CANCEL, ACT_COPY};

const bt_view_ops view_pipeline_ops = {
    "pipeline",  pview_open,   pview_load,   pview_draw,
    pview_key,   NULL,         pview_click,  pview_close,
    pview_title, pview_status, pview_footer, (int)(sizeof pview_footer / sizeof pview_footer[0]),
};
