/* view_job: one job: progress, cost, completions sparkline, its batches and its error groups. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "app.h"
#include "job_report.h"
#include "provider.h"
#include "store_batch.h"
#include "store_query.h"
#include "ui_list.h"
#include "ui_text.h"
#include "util.h"

typedef struct {
  char id[BT_JOB_ID_LEN + 1];
  bt_qjob_detail d;
  int loaded;
  int focus;        /* 0 batches, 1 errors */
  int focus_chosen; /* Tab or a click chose the pane: errors appearing do not take focus */
  ui_list batches, errors;
  int batch_top_y, error_top_y; /* body rows of the first list row, for clicks */
  char driver[64];              /* actions_driver(): who drives the job */
  char paused[512];             /* why nobody drives the job (job_report_paused), or "" */
} job_view;

#define SPARK_BUCKETS 48

static int job_load(void *st, bt_app *app) {
  job_view *v = st;
  store_query_job_cleanup(&v->d);
  v->loaded = 0;
  bt_error err;
  error_clear(&err);
  if (store_query_job(app->store, v->id, util_now_ms(), SPARK_BUCKETS, &v->d, &err) != BT_OK) {
    app_message(app, 1, "%s", err.message);
    return UI_REDRAW;
  }
  v->loaded = 1;
  actions_driver(app, v->d.job.id, v->d.job.state, v->driver, sizeof v->driver);
  if (job_state_terminal(v->d.job.state) ||
      !job_report_paused(app->store, v->id, v->paused, sizeof v->paused))
    v->paused[0] = '\0';
  v->batches.total = (int64_t)v->d.n_batches;
  v->errors.total = (int64_t)v->d.n_errors;
  if (v->focus == 1 && v->d.n_errors == 0)
    v->focus = 0;
  if (v->focus == 0 && v->d.n_errors > 0 && !v->focus_chosen)
    v->focus = 1; /* the first failures: they are what one acts on */
  return UI_REDRAW;
}

static void *job_open(bt_app *app, const bt_view_arg *arg) {
  job_view *v = calloc(1, sizeof *v);
  if (!v)
    return NULL;
  util_strlcpy(v->id, arg->job_id ? arg->job_id : "", sizeof v->id);
  job_load(v, app);
  if (!v->loaded) {
    free(v);
    return NULL;
  }
  return v;
}

static void job_close(void *st) {
  job_view *v = st;
  store_query_job_cleanup(&v->d);
  free(v);
}

/* "■ 620 succeeded" legend entries, as many as fit. */
static int legend(int y, int x, int w, ui_elem e, int64_t n, const char *what) {
  if (n <= 0 || w <= 0)
    return 0;
  char buf[64], num[16];
  snprintf(buf, sizeof buf, "%s %s  ", util_fmt_count((double)n, num, sizeof num), what);
  int need = 2 + ui_text_width(buf);
  if (need > w)
    return 0;
  ui_put(stdscr, y, x, 2, e, ui_text_utf8() ? "\xe2\x96\xa0 " : "# ");
  ui_put(stdscr, y, x + 2, need - 2, UI_NORMAL, buf);
  return need;
}

enum { B_NO, B_REMOTE, B_STATUS, B_DONE, B_FAILED, B_CREATED, B_ENDED, B_EXPIRES, B_N };
static const ui_col batch_cols[B_N] = {
    [B_NO] = {"#", 4, 0, 0, 0, 1, 0, 0},
    [B_REMOTE] = {"REMOTE ID", 12, 34, 2, 0, 0, 0, 0},
    [B_STATUS] = {"STATUS", 11, 0, 0, 0, 0, 0, 0},
    [B_DONE] = {"DONE/TOTAL", 10, 0, 0, 0, 1, 0, 0},
    [B_FAILED] = {"FAILED", 6, 0, 0, 1, 1, 0, 0},
    [B_CREATED] = {"CREATED", 7, 0, 0, 3, 1, 0, 0},
    [B_ENDED] = {"ENDED", 6, 0, 0, 4, 1, 0, 0},
    [B_EXPIRES] = {"EXPIRES IN", 10, 0, 0, 2, 1, 0, 0},
};

enum { E_CODE, E_COUNT, E_SAMPLE, E_N };
static const ui_col error_cols[E_N] = {
    [E_CODE] = {"ERROR", 14, 26, 1, 0, 0, 0, 0},
    [E_COUNT] = {"TASKS", 6, 0, 0, 0, 1, 0, 0},
    [E_SAMPLE] = {"SAMPLE MESSAGE", 10, 0, 4, 0, 0, 0, 0},
};

static void draw_summary(job_view *v, bt_app *app, int y, int w) {
  const bt_qjob *j = &v->d.job;
  int64_t now = util_now_ms();
  char buf[256], a[32], b[32];
  /* Line 1: name, id, provider/model, state, age. */
  int x = 1;
  x += ui_put(stdscr, y, x, w / 2, UI_VALUE, j->name) + 2;
  x += ui_put(stdscr, y, x, 9, UI_DIM, j->id) + 1;
  snprintf(buf, sizeof buf, "%s/%s", j->provider, j->model);
  int mw = ui_text_width(buf);
  if (x + mw + 12 < w)
    x += ui_put(stdscr, y, x, mw, UI_NORMAL, buf) + 2;
  /* A paused job's stored state (submitting) would read as progress: say paused. */
  const char *state = v->paused[0] ? "paused" : j->state;
  if (x + 10 < w)
    x += ui_put(stdscr, y, x, ui_text_width(state), ui_state_elem(state), state) + 2;
  if (v->driver[0] && !v->paused[0]) { /* paused says why nobody drives it */
    /* Who moves it: before the age, which gives way on a narrow screen. */
    int stalled = strcmp(v->driver, "nobody: stalled") == 0;
    snprintf(buf, sizeof buf, "%s%s",
             stalled                          ? "stalled: nobody drives it"
             : strcmp(v->driver, "here") == 0 ? "driven here"
                                              : "driven by another process, ",
             stalled || strcmp(v->driver, "here") == 0 ? "" : v->driver);
    int dw = ui_text_width(buf);
    if (x + dw + 1 < w)
      x += ui_put(stdscr, y, x, dw, stalled ? UI_STATE_FAILED : UI_DIM, buf) + 2;
  }
  snprintf(buf, sizeof buf, "created %s ago", ui_fmt_age(now, j->created_at, a, sizeof a));
  if (j->finished_at > 0)
    snprintf(buf, sizeof buf, "took %s",
             util_fmt_duration(j->finished_at - j->created_at, a, sizeof a));
  if (x + ui_text_width(buf) + 1 < w)
    ui_put_right(stdscr, y, x, w - x - 1, UI_DIM, buf);

  /* Line 2: the bar, with what the provider has reported before the results are in. */
  bt_counts c;
  store_query_progress(j, &c);
  int64_t done = c.total - c.n[TASK_PENDING] - c.n[TASK_RUNNING];
  ui_bar(stdscr, y + 1, 1, w - 8, &c);
  snprintf(buf, sizeof buf, "%3d%%", c.total ? (int)(done * 100 / c.total) : 0);
  ui_put_right(stdscr, y + 1, w - 7, 6, UI_VALUE, buf);

  /* Line 3: counts legend: the store's counts, as `status` gives them; what the provider
   * reported early is said after them. */
  const bt_counts *sc = &j->counts;
  x = 1;
  snprintf(buf, sizeof buf, "of %s", util_fmt_count((double)c.total, a, sizeof a));
  if (c.total < 100000)
    snprintf(buf, sizeof buf, "of %lld tasks", (long long)c.total);
  x += legend(y + 2, x, w - x - 1, UI_BAR_SUCCEEDED, sc->n[TASK_SUCCEEDED], "succeeded");
  /* The states of `status --json` apart (the bar draws the three as one part). */
  x += legend(y + 2, x, w - x - 1, UI_BAR_FAILED, sc->n[TASK_FAILED], "failed");
  x += legend(y + 2, x, w - x - 1, UI_BAR_FAILED, sc->n[TASK_EXPIRED], "expired");
  x += legend(y + 2, x, w - x - 1, UI_BAR_FAILED, sc->n[TASK_CANCELLED], "cancelled");
  x += legend(y + 2, x, w - x - 1, UI_BAR_RUNNING, sc->n[TASK_RUNNING], "running");
  x += legend(y + 2, x, w - x - 1, UI_BAR_PENDING, sc->n[TASK_PENDING], "pending");
  char total[64];
  util_strlcpy(total, buf, sizeof total);
  int64_t early = c.n[TASK_SUCCEEDED] - j->counts.n[TASK_SUCCEEDED] + c.n[TASK_FAILED] -
                  j->counts.n[TASK_FAILED];
  if (early > 0) {
    snprintf(buf, sizeof buf, "(%lld reported, results not in yet)", (long long)early);
    if (x + ui_text_width(buf) < w)
      x += ui_put(stdscr, y + 2, x, ui_text_width(buf), UI_DIM, buf) + 2;
  }
  if (x + ui_text_width(total) < w)
    ui_put(stdscr, y + 2, x, ui_text_width(total), UI_DIM, total);

  /* Line 4: cost, tokens, rate, ETA. */
  x = 1;
  char c1[32], c2[32];
  /* No price known for the model: its costs are not $0.00 but unknown. */
  int priced = provider_price_known(j->provider, j->model);
  snprintf(buf, sizeof buf, "%s (standard %s)", util_fmt_usd(j->est_cost_usd, c1, sizeof c1),
           util_fmt_usd(j->est_cost_std_usd, c2, sizeof c2));
  x += ui_field(stdscr, y + 3, x, w - x, "Estimate", UI_COST_ESTIMATE,
                priced ? buf : "? (no price)");
  ui_elem ce = ui_cost_elem(j->est_cost_usd, j->actual_cost_usd);
  x += ui_field(stdscr, y + 3, x, w - x, "Spent", ce,
                priced ? util_fmt_usd(j->actual_cost_usd, c1, sizeof c1) : "?");
  snprintf(buf, sizeof buf, "in %s / out %s",
           util_fmt_count((double)j->actual_input_tokens, a, sizeof a),
           util_fmt_count((double)j->actual_output_tokens, b, sizeof b));
  x += ui_field(stdscr, y + 3, x, w - x, "Tokens", UI_NORMAL, buf);

  /* Line 5: throughput and the completions sparkline; for a paused job (no rate, no ETA)
   * why it is paused, whole, wrapped onto the blank line below at a narrow width. */
  if (v->paused[0]) {
    int lx = 1 + ui_put(stdscr, y + 4, 1, 7, UI_LABEL, "Paused") + 1;
    int width = w - lx - 1;
    size_t n = strlen(v->paused), cut = n;
    if (width > 8 && (int)n > width) {
      cut = (size_t)width;
      while (cut > 0 && v->paused[cut] != ' ')
        cut--;
      if (cut == 0)
        cut = (size_t)width;
    }
    snprintf(buf, sizeof buf, "%.*s", (int)cut, v->paused);
    ui_put(stdscr, y + 4, lx, width, UI_VALUE, buf);
    if (cut < n)
      ui_put(stdscr, y + 5, lx, width, UI_VALUE, v->paused + cut + (v->paused[cut] == ' '));
    return;
  }
  x = 1;
  x += ui_field(stdscr, y + 4, x, w - x, "Rate", UI_NORMAL,
                ui_fmt_rate(j->rate_per_min, a, sizeof a));
  x += ui_field(stdscr, y + 4, x, w - x, "ETA", UI_NORMAL, ui_fmt_eta(j->eta_ms, b, sizeof b));
  int sw = w - x - 24;
  if (sw > SPARK_BUCKETS)
    sw = SPARK_BUCKETS;
  if (sw >= 8 && v->d.n_spark > 0) {
    x += ui_put(stdscr, y + 4, x, 12, UI_LABEL, "Completions");
    ui_spark(stdscr, y + 4, x, sw, v->d.spark, v->d.n_spark);
    x += sw + 1;
    int64_t span = v->d.spark_bucket_ms * v->d.n_spark;
    snprintf(buf, sizeof buf, "over %s", util_fmt_duration(span, a, sizeof a));
    ui_put(stdscr, y + 4, x, w - x - 1, UI_DIM, buf);
  }
}

static void draw_batches(job_view *v, bt_app *app, int y, int rows, int w) {
  ui_col cols[B_N];
  memcpy(cols, batch_cols, sizeof cols);
  ui_table_header(stdscr, y, w, cols, B_N);
  ui_list_fix(&v->batches, rows);
  int64_t now = util_now_ms();
  for (int r = 0; r < rows; r++) {
    int64_t i = v->batches.top + r;
    if (i >= v->batches.total)
      break;
    const bt_qbatch *b = &v->d.batches[i];
    int yy = y + 1 + r;
    int sel = v->focus == 0 && i == v->batches.sel;
    ui_elem base = sel ? UI_SELECTION : UI_NORMAL;
    ui_fill(stdscr, yy, 0, w, base);
    char buf[96], a[32];
    if (b->round > 1)
      snprintf(buf, sizeof buf, "%lld.%lld", (long long)b->chunk_no, (long long)b->round);
    else
      snprintf(buf, sizeof buf, "%lld", (long long)b->chunk_no);
    ui_cols_cell(stdscr, yy, 1, &cols[B_NO], sel ? base : UI_DIM, buf);
    /* No remote id: not created at the provider (yet, or ever: local work); the status says
     * where it stands. */
    ui_cols_cell(stdscr, yy, 1, &cols[B_REMOTE], sel ? base : (b->remote_id ? base : UI_DIM),
                 b->remote_id ? b->remote_id : "-");
    const char *status = b->remote_status ? b->remote_status : b->state;
    ui_cols_cell(stdscr, yy, 1, &cols[B_STATUS], sel ? base : ui_state_elem(status), status);
    snprintf(buf, sizeof buf, "%lld/%lld", (long long)b->n_succeeded + b->n_failed,
             (long long)b->n_requests);
    ui_cols_cell(stdscr, yy, 1, &cols[B_DONE], base, buf);
    snprintf(buf, sizeof buf, "%lld", (long long)b->n_failed);
    ui_cols_cell(stdscr, yy, 1, &cols[B_FAILED],
                 sel ? base : (b->n_failed ? UI_STATE_FAILED : UI_DIM), b->n_failed ? buf : "-");
    ui_cols_cell(stdscr, yy, 1, &cols[B_CREATED], sel ? base : UI_DIM,
                 ui_fmt_age(now, b->created_at, a, sizeof a));
    ui_cols_cell(stdscr, yy, 1, &cols[B_ENDED], sel ? base : UI_DIM,
                 b->ended_at ? ui_fmt_age(now, b->ended_at, a, sizeof a) : "-");
    if (b->expires_at > 0 && !b->ended_at)
      util_fmt_duration(b->expires_at - now, buf, sizeof buf);
    else
      snprintf(buf, sizeof buf, "-");
    ui_cols_cell(stdscr, yy, 1, &cols[B_EXPIRES], sel ? base : UI_NORMAL, buf);
  }
}

static void draw_errors(job_view *v, bt_app *app, int y, int rows, int w) {
  (void)app;
  ui_col cols[E_N];
  memcpy(cols, error_cols, sizeof cols);
  ui_table_header(stdscr, y, w, cols, E_N);
  ui_list_fix(&v->errors, rows);
  for (int r = 0; r < rows; r++) {
    int64_t i = v->errors.top + r;
    if (i >= v->errors.total)
      break;
    const bt_qerror_group *g = &v->d.errors[i];
    int yy = y + 1 + r;
    int sel = v->focus == 1 && i == v->errors.sel;
    ui_elem base = sel ? UI_SELECTION : UI_NORMAL;
    ui_fill(stdscr, yy, 0, w, base);
    char buf[32];
    ui_cols_cell(stdscr, yy, 1, &cols[E_CODE], sel ? base : UI_ERROR_CODE, g->code);
    snprintf(buf, sizeof buf, "%lld", (long long)g->n);
    ui_cols_cell(stdscr, yy, 1, &cols[E_COUNT], base, buf);
    ui_cols_cell(stdscr, yy, 1, &cols[E_SAMPLE], sel ? base : UI_DIM, g->sample ? g->sample : "");
  }
}

static void job_draw(void *st, bt_app *app, int top, int height) {
  job_view *v = st;
  int w = app->cols;
  if (!v->loaded)
    return;
  draw_summary(v, app, top, w);
  /* Below the 5 summary rows and a blank: the batches, then the errors. */
  int y = top + 6;
  int avail = height - 6;
  int n_err = (int)v->d.n_errors;
  int err_rows = n_err ? n_err : 1;
  int err_cap = avail / 3 > 3 ? avail / 3 : 3;
  if (err_rows > err_cap)
    err_rows = err_cap;
  int err_chrome = 2; /* section title + column header */
  int bat_rows = avail - err_rows - err_chrome - 2 - 1;
  if (bat_rows > (int)v->d.n_batches)
    bat_rows = (int)v->d.n_batches;
  if (bat_rows < 1)
    bat_rows = 1;
  char extra[128];
  int64_t rounds = 1;
  for (size_t i = 0; i < v->d.n_batches; i++)
    if (v->d.batches[i].round > rounds)
      rounds = v->d.batches[i].round;
  snprintf(extra, sizeof extra, "%zu%s", v->d.n_batches,
           rounds > 1 ? " (N.R = chunk N, retry round R)" : "");
  ui_section(stdscr, y, w, "Batches", extra);
  draw_batches(v, app, y + 1, bat_rows, w);
  v->batch_top_y = y + 2 - top;
  y += 2 + bat_rows + 1;
  int64_t failed = 0;
  for (size_t i = 0; i < v->d.n_errors; i++)
    failed += v->d.errors[i].n;
  snprintf(extra, sizeof extra, "%zu group%s, %lld task%s", v->d.n_errors,
           v->d.n_errors == 1 ? "" : "s", (long long)failed, failed == 1 ? "" : "s");
  ui_section(stdscr, y, w, "Errors", n_err ? extra : "");
  if (n_err) {
    draw_errors(v, app, y + 1, err_rows, w);
    v->error_top_y = y + 2 - top;
  } else {
    ui_put(stdscr, y + 1, 3, w - 4, UI_DIM, "No failed tasks.");
    v->error_top_y = -1;
  }
}

static int job_key(void *st, bt_app *app, ui_action a, int key) {
  (void)key;
  job_view *v = st;
  if (!v->loaded)
    return 0;
  ui_list *l = v->focus ? &v->errors : &v->batches;
  if (ui_list_move(l, a))
    return UI_HANDLED | UI_REDRAW;
  const bt_qjob *j = &v->d.job;
  const bt_qerror_group *g =
      v->focus == 1 && v->errors.sel < (int64_t)v->d.n_errors ? &v->d.errors[v->errors.sel] : NULL;
  switch (a) {
  case ACT_FOCUS:
    if (v->d.n_errors)
      v->focus = !v->focus;
    v->focus_chosen = 1;
    return UI_HANDLED | UI_REDRAW;
  case ACT_OPEN: {
    bt_view_arg arg = {0};
    arg.job_id = j->id;
    arg.state = -1;
    arg.error_code = g ? g->code : NULL;
    /* On a batch: that batch's tasks, not the whole job's. */
    if (v->focus == 0 && v->batches.sel < (int64_t)v->d.n_batches)
      arg.batch_id = v->d.batches[v->batches.sel].id;
    (void)app_push(app, &view_tasks_ops, &arg);
    return UI_HANDLED | UI_REDRAW;
  }
  case ACT_TASKS: {
    bt_view_arg arg = {0};
    arg.job_id = j->id;
    arg.state = -1;
    (void)app_push(app, &view_tasks_ops, &arg);
    return UI_HANDLED | UI_REDRAW;
  }
  case ACT_RETRY:
    return actions_ask_retry(app, j->id, j->name, NULL, 0);
  case ACT_RETRY_ONE:
    if (!g) {
      app_message(app, 0, "select an error group first (Tab moves to the errors)");
      return UI_HANDLED | UI_REDRAW;
    }
    return actions_ask_retry(app, j->id, j->name, g->code, 0);
  case ACT_CANCEL:
    return actions_ask_cancel(app, j->id, j->name,
                              j->counts.n[TASK_PENDING] + j->counts.n[TASK_RUNNING]);
  case ACT_COPY:
    if (v->focus == 0 && v->batches.sel < (int64_t)v->d.n_batches &&
        v->d.batches[v->batches.sel].remote_id)
      app_copy(app, v->d.batches[v->batches.sel].remote_id);
    else
      app_copy(app, j->id);
    return UI_HANDLED | UI_REDRAW;
  case ACT_PREVIEW:
    if (v->d.template_path && v->d.input_path) {
      bt_view_arg arg = {0};
      arg.state = -1;
      arg.template_path = v->d.template_path;
      arg.input_path = v->d.input_path;
      (void)app_push(app, &view_preview_ops, &arg);
    }
    return UI_HANDLED | UI_REDRAW;
  default:
    return 0;
  }
}

static int job_click(void *st, bt_app *app, int row) {
  job_view *v = st;
  (void)app;
  if (row >= v->batch_top_y && row < v->batch_top_y + v->batches.height &&
      ui_list_click(&v->batches, row - v->batch_top_y)) {
    v->focus = 0;
    v->focus_chosen = 1;
    return UI_HANDLED | UI_REDRAW;
  }
  if (v->error_top_y >= 0 && row >= v->error_top_y &&
      ui_list_click(&v->errors, row - v->error_top_y)) {
    v->focus = 1;
    v->focus_chosen = 1;
    return UI_HANDLED | UI_REDRAW;
  }
  return 0;
}

static void job_title(void *st, char *buf, size_t size) {
  job_view *v = st;
  snprintf(buf, size, "%s", v->loaded ? v->d.job.name : v->id);
}

static void job_status(void *st, bt_app *app, char *buf, size_t size) {
  job_view *v = st;
  (void)app;
  if (!v->loaded) {
    buf[0] = '\0';
    return;
  }
  if (v->paused[0])
    snprintf(buf, size, " paused: %s", v->paused);
  else if (v->d.job.last_error)
    snprintf(buf, size, " last error: %s", v->d.job.last_error);
  else if (v->d.waiting[0])
    snprintf(buf, size, " waiting: %s", v->d.waiting);
  else if (v->focus == 1)
    snprintf(buf, size,
             " error group %lld of %zu \xc2\xb7 Enter lists its tasks \xc2\xb7 R retries it",
             (long long)v->errors.sel + 1, v->d.n_errors);
  else
    snprintf(buf, size, " batch %lld of %zu \xc2\xb7 Enter lists its tasks \xc2\xb7 t all tasks%s",
             (long long)v->batches.sel + 1, v->d.n_batches,
             v->d.n_errors ? " \xc2\xb7 Tab moves to the errors" : "");
}

static const ui_action job_footer[] = {ACT_OPEN,  ACT_FOCUS,  ACT_RETRY, ACT_RETRY_ONE,
                                       ACT_TASKS, ACT_CANCEL, ACT_COPY,  ACT_PREVIEW};

const bt_view_ops view_job_ops = {
    "job",     job_open,   job_load,   job_draw,
    job_key,   NULL,       job_click,  job_close,
    job_title, job_status, job_footer, (int)(sizeof job_footer / sizeof job_footer[0]),
};
