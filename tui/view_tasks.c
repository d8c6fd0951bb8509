/* view_tasks: a job's tasks, a page at a time, filterable by state and error group, searchable. */
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
  char job_id[BT_JOB_ID_LEN + 1];
  char job_name[128];
  int state; /* -1 all */
  char code[128];
  char search[128];
  ui_list list;
  bt_qtask_list page;
  int64_t batch_id; /* > 0: one batch's tasks, with the batch drawn above them */
  bt_qtsort sort;
  int reverse;
  bt_qbatch_info batch;
} tasks_view;

enum { T_ROW, T_ID, T_STATE, T_TRIES, T_COST, T_TOKENS, T_ERROR, T_TEXT, T_N };
static const ui_col task_cols[T_N] = {
    [T_ROW] = {"ROW", 6, 0, 0, 0, 1, 0, 0},
    [T_ID] = {"CUSTOM ID", 10, 24, 1, 0, 0, 0, 0},
    [T_STATE] = {"STATE", 9, 0, 0, 0, 0, 0, 0},
    [T_TRIES] = {"TRIES", 5, 0, 0, 2, 1, 0, 0},
    [T_COST] = {"COST", 8, 0, 0, 4, 1, 0, 0},
    [T_TOKENS] = {"TOKENS", 6, 0, 0, 4, 1, 0, 0},
    [T_ERROR] = {"ERROR", 12, 24, 1, 1, 0, 0, 0},
    [T_TEXT] = {"OUTPUT / MESSAGE", 24, 0, 5, 0, 0, 0, 0},
};

static const bt_qtask *selected(const tasks_view *v) {
  int64_t i = v->list.sel - v->list.top;
  return i >= 0 && (size_t)i < v->page.n ? &v->page.rows[i] : NULL;
}

/* Rows above the list: the batch (two lines and a blank), the filter line, the column header. */
static int head_rows(const tasks_view *v) {
  return (v->batch_id > 0 ? 3 : 0) + 2;
}

static int tasks_load(void *st, bt_app *app) {
  tasks_view *v = st;
  int h = app_body_height(app) - head_rows(v);
  if (v->batch_id > 0) {
    bt_error err;
    error_clear(&err);
    store_query_batch_cleanup(&v->batch);
    if (store_query_batch(app->store, v->job_id, v->batch_id, &v->batch, &err) != BT_OK)
      app_message(app, 1, "%s", err.message);
  }
  for (int pass = 0; pass < 2; pass++) {
    store_query_tasks_cleanup(&v->page);
    bt_qtasks_opts o = {
        v->job_id,   v->state,     v->code[0] ? v->code : NULL, v->search[0] ? v->search : NULL,
        v->list.top, h > 0 ? h : 1};
    bt_error err;
    error_clear(&err);
    bt_qtasks_ext x = {v->batch_id, v->sort, v->reverse};
    if (store_query_tasks_ex(app->store, &o, &x, &v->page, &err) != BT_OK) {
      app_message(app, 1, "%s", err.message);
      return UI_REDRAW;
    }
    int64_t top = v->list.top;
    v->list.total = v->page.total;
    ui_list_fix(&v->list, h);
    if (v->list.top == top)
      break;
  }
  return UI_REDRAW;
}

static void *tasks_open(bt_app *app, const bt_view_arg *arg) {
  tasks_view *v = calloc(1, sizeof *v);
  if (!v)
    return NULL;
  util_strlcpy(v->job_id, arg->job_id ? arg->job_id : "", sizeof v->job_id);
  v->state = arg->state;
  if (arg->error_code)
    util_strlcpy(v->code, arg->error_code, sizeof v->code);
  v->batch_id = arg->batch_id;
  bt_error err;
  error_clear(&err);
  if (store_query_job_name(app->store, v->job_id, v->job_name, sizeof v->job_name, &err) != BT_OK ||
      !v->job_name[0])
    util_strlcpy(v->job_name, v->job_id, sizeof v->job_name);
  tasks_load(v, app);
  return v;
}

static void tasks_close(void *st) {
  tasks_view *v = st;
  store_query_tasks_cleanup(&v->page);
  store_query_batch_cleanup(&v->batch);
  free(v);
}

static void filter_line(const tasks_view *v, int y, int w) {
  char buf[512];
  int x = 1;
  x += ui_put(stdscr, y, x, 7, UI_LABEL, "Filter ");
  snprintf(buf, sizeof buf, "state %s", v->state >= 0 ? task_state_name(v->state) : "any");
  x += ui_put(stdscr, y, x, ui_text_width(buf) + 2, v->state >= 0 ? UI_VALUE : UI_DIM, buf) + 2;
  snprintf(buf, sizeof buf, "error %s", v->code[0] ? v->code : "any");
  x += ui_put(stdscr, y, x, ui_text_width(buf) + 2, v->code[0] ? UI_VALUE : UI_DIM, buf) + 2;
  snprintf(buf, sizeof buf, "text %s", v->search[0] ? v->search : "-");
  x += ui_put(stdscr, y, x, ui_text_width(buf) + 2, v->search[0] ? UI_VALUE : UI_DIM, buf) + 2;
  snprintf(buf, sizeof buf, "%lld task%s", (long long)v->page.total, v->page.total == 1 ? "" : "s");
  if (x + ui_text_width(buf) + 1 < w)
    ui_put_right(stdscr, y, x, w - x - 1, UI_DIM, buf);
}

/* The batch: chunk and round, remote id and status, its counts, then its provider files. */
static void batch_lines(const tasks_view *v, int y, int w) {
  const bt_qbatch_info *b = &v->batch;
  char buf[512], name[32];
  if (b->round > 1)
    snprintf(name, sizeof name, "Batch %lld.%lld", (long long)b->chunk_no, (long long)b->round);
  else
    snprintf(name, sizeof name, "Batch %lld", (long long)b->chunk_no);
  int x = 1;
  x += ui_put(stdscr, y, x, ui_text_width(name), UI_LABEL, name) + 2;
  const char *rid = b->remote_id ? b->remote_id : "not created yet";
  x += ui_put(stdscr, y, x, w - x - 1, b->remote_id ? UI_VALUE : UI_DIM, rid) + 2;
  const char *status = b->remote_status ? b->remote_status : b->state ? b->state : "";
  if (x < w - 1)
    x += ui_put(stdscr, y, x, ui_text_width(status) < w - x - 1 ? ui_text_width(status) : w - x - 1,
                ui_state_elem(status), status) +
         2;
  snprintf(buf, sizeof buf, "%lld succeeded, %lld failed of %lld", (long long)b->n_succeeded,
           (long long)b->n_failed, (long long)b->n_requests);
  if (x < w - 1)
    ui_put(stdscr, y, x, w - x - 1, UI_NORMAL, buf);
  x = 1;
  x += ui_put(stdscr, y + 1, x, 6, UI_LABEL, "Files ");
  const char *names[3] = {"input", "output", "errors"};
  const char *ids[3] = {b->input_file_id, b->output_file_id, b->error_file_id};
  for (int i = 0; i < 3 && x < w - 1; i++) {
    snprintf(buf, sizeof buf, "%s %s", names[i], ids[i] ? ids[i] : "-");
    x += ui_put(stdscr, y + 1, x, ui_text_width(buf) < w - x - 1 ? ui_text_width(buf) : w - x - 1,
                ids[i] ? UI_NORMAL : UI_DIM, buf) +
         2;
  }
}

static void tasks_draw(void *st, bt_app *app, int top, int height) {
  tasks_view *v = st;
  int w = app->cols;
  if (v->batch_id > 0) {
    batch_lines(v, top, w);
    top += 3;
    height -= 3;
  }
  filter_line(v, top, w);
  ui_col cols[T_N];
  memcpy(cols, task_cols, sizeof cols);
  /* The column the list is sorted by stays on a narrow screen. */
  static const int sorted_col[QTSORT_COUNT] = {
      [QTSORT_ROW] = T_ROW,   [QTSORT_STATE] = T_STATE,   [QTSORT_TRIES] = T_TRIES,
      [QTSORT_COST] = T_COST, [QTSORT_TOKENS] = T_TOKENS,
  };
  cols[sorted_col[v->sort]].prio = 0;
  ui_cols_layout(cols, T_N, w - 2);
  ui_fill(stdscr, top + 1, 0, w, UI_COLUMN);
  ui_cols_header(stdscr, top + 1, 1, w - 2, cols, T_N);
  if (v->page.total == 0) {
    ui_put(stdscr, top + 3, 3, w - 4, UI_DIM,
           "No task matches. Press f to change the state filter, / to edit the filter.");
    return;
  }
  for (size_t i = 0; i < v->page.n && (int)i < height - 2; i++) {
    const bt_qtask *t = &v->page.rows[i];
    int y = top + 2 + (int)i;
    int sel = v->list.top + (int64_t)i == v->list.sel;
    ui_elem base = sel ? UI_SELECTION : UI_NORMAL;
    ui_fill(stdscr, y, 0, w, base);
    char buf[64];
    snprintf(buf, sizeof buf, "%lld", (long long)t->row_no);
    ui_cols_cell(stdscr, y, 1, &cols[T_ROW], sel ? base : UI_DIM, buf);
    ui_cols_cell(stdscr, y, 1, &cols[T_ID], base, t->custom_id);
    ui_cols_cell(stdscr, y, 1, &cols[T_STATE], sel ? base : ui_state_elem(t->state), t->state);
    snprintf(buf, sizeof buf, "%lld", (long long)t->attempts);
    ui_cols_cell(stdscr, y, 1, &cols[T_TRIES], base, buf);
    ui_cols_cell(stdscr, y, 1, &cols[T_COST], sel ? base : UI_COST,
                 t->cost_usd > 0 ? util_fmt_usd(t->cost_usd, buf, sizeof buf) : "-");
    ui_cols_cell(stdscr, y, 1, &cols[T_TOKENS], base,
                 t->tokens > 0 ? util_fmt_count((double)t->tokens, buf, sizeof buf) : "-");
    ui_cols_cell(stdscr, y, 1, &cols[T_ERROR], sel ? base : UI_ERROR_CODE,
                 t->error_code ? t->error_code : "");
    int failed = t->error_code || strcmp(t->state, "expired") == 0;
    ui_cols_cell(stdscr, y, 1, &cols[T_TEXT],
                 sel      ? base
                 : failed ? UI_DIM
                          : UI_NORMAL,
                 t->snippet ? t->snippet : "");
  }
}

/* "state:failed code:rate_limit_exceeded some words" */
static void filter_set(bt_app *app, void *ud, const char *text) {
  tasks_view *v = ud;
  v->state = -1;
  v->code[0] = v->search[0] = '\0';
  char copy[512];
  util_strlcpy(copy, text, sizeof copy);
  char *save = NULL;
  for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
    if (util_starts_with(w, "state:")) {
      v->state = task_state_parse(w + 6);
      if (v->state < 0)
        app_message(app, 1,
                    "unknown state '%s' (pending, running, succeeded, failed, "
                    "expired, cancelled)",
                    w + 6);
    } else if (util_starts_with(w, "code:")) {
      util_strlcpy(v->code, w + 5, sizeof v->code);
    } else {
      size_t n = strlen(v->search);
      snprintf(v->search + n, sizeof v->search - n, "%s%s", n ? " " : "", w);
    }
  }
  v->list.sel = v->list.top = 0;
}

static int tasks_key(void *st, bt_app *app, ui_action a, int key) {
  (void)key;
  tasks_view *v = st;
  if (ui_list_move(&v->list, a))
    return UI_HANDLED | UI_RELOAD;
  const bt_qtask *t = selected(v);
  switch (a) {
  case ACT_OPEN:
    if (t) {
      bt_view_arg arg = {0};
      arg.task_id = t->id;
      arg.state = -1;
      (void)app_push(app, &view_inspector_ops, &arg);
    }
    return UI_HANDLED | UI_REDRAW;
  case ACT_SORT:
    v->sort = (bt_qtsort)((v->sort + 1) % QTSORT_COUNT);
    v->list.sel = v->list.top = 0;
    app_message(app, 0, "tasks sorted by %s%s", store_query_task_sort_name(v->sort),
                v->reverse ? ", reversed" : "");
    return UI_HANDLED | UI_RELOAD;
  case ACT_REVERSE:
    v->reverse = !v->reverse;
    v->list.sel = v->list.top = 0;
    app_message(app, 0, "tasks sorted by %s%s", store_query_task_sort_name(v->sort),
                v->reverse ? ", reversed" : "");
    return UI_HANDLED | UI_RELOAD;
  case ACT_FILTER_STATE:
    v->state = v->state + 1 >= TASK_STATE_COUNT ? -1 : v->state + 1;
    v->list.sel = v->list.top = 0;
    return UI_HANDLED | UI_RELOAD;
  case ACT_FILTER: {
    char cur[512] = "";
    int n = 0;
    if (v->state >= 0)
      n += snprintf(cur + n, sizeof cur - (size_t)n, "state:%s ", task_state_name(v->state));
    if (v->code[0])
      n += snprintf(cur + n, sizeof cur - (size_t)n, "code:%s ", v->code);
    snprintf(cur + n, sizeof cur - (size_t)n, "%s", v->search);
    app_prompt(app, "Filter tasks: words to search, state:NAME, code:ERROR", cur, 0, filter_set, v,
               NULL);
    return UI_HANDLED | UI_REDRAW;
  }
  case ACT_RETRY:
    return actions_ask_retry(app, v->job_id, v->job_name, v->code[0] ? v->code : NULL, 0);
  case ACT_RETRY_ONE:
    if (t)
      return actions_ask_retry(app, v->job_id, v->job_name, NULL, t->id);
    return UI_HANDLED;
  case ACT_COPY:
    if (t)
      app_copy(app, t->custom_id);
    return UI_HANDLED | UI_REDRAW;
  default:
    return 0;
  }
}

static int tasks_click(void *st, bt_app *app, int row) {
  tasks_view *v = st;
  (void)app;
  return ui_list_click(&v->list, row - head_rows(v)) ? UI_HANDLED | UI_RELOAD : 0;
}

static void tasks_title(void *st, char *buf, size_t size) {
  tasks_view *v = st;
  if (v->batch_id > 0 && v->batch.chunk_no > 0) {
    if (v->batch.round > 1)
      snprintf(buf, size, "batch %lld.%lld", (long long)v->batch.chunk_no,
               (long long)v->batch.round);
    else
      snprintf(buf, size, "batch %lld", (long long)v->batch.chunk_no);
    return;
  }
  snprintf(buf, size, "tasks%s%s", v->code[0] ? " " : "", v->code);
}

static void tasks_status(void *st, bt_app *app, char *buf, size_t size) {
  tasks_view *v = st;
  (void)app;
  snprintf(
      buf, size,
      " task %lld of %lld \xc2\xb7 sort: %s%s \xc2\xb7 f cycles the state \xc2\xb7 Enter inspects",
      (long long)(v->page.total ? v->list.sel + 1 : 0), (long long)v->page.total,
      store_query_task_sort_name(v->sort), v->reverse ? " (reversed)" : "");
}

static const ui_action tasks_footer[] = {ACT_OPEN,    ACT_FILTER_STATE, ACT_FILTER,    ACT_SORT,
                                         ACT_REVERSE, ACT_RETRY,        ACT_RETRY_ONE, ACT_COPY};

const bt_view_ops view_tasks_ops = {
    "tasks",     tasks_open,   tasks_load,   tasks_draw,
    tasks_key,   NULL,         tasks_click,  tasks_close,
    tasks_title, tasks_status, tasks_footer, (int)(sizeof tasks_footer / sizeof tasks_footer[0]),
};
