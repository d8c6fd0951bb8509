/* app: the dashboard: one loop over a stack of views, on the UI thread.
 *
 * The loop poll()s stdin, the engine's wake fd (when an engine runs in-process) and a timer
 * (poll_ms, default 1 s); it applies every pending key and event, reloads what changed, and
 * repaints once. Without an engine the dashboard is a read-only view of the store that
 * refreshes on the timer when another process commits (SQLite's data_version), which is also
 * right when another process drives the jobs.
 *
 * Views (tui/view_*.c) each export a bt_view_ops table. Their key handlers return UI_* flags
 * and never repaint themselves: only the loop (or app_key/app_draw in tests) does. Modal
 * dialogs (confirm, prompt) belong to the app and take keys before the view.
 *
 * Headless mode (opts.rows/cols > 0) draws on a virtual screen of that size whose output goes
 * nowhere: golden-screen tests and the benchmark drive it with app_key()/app_draw() and read
 * stdscr back with ui_dump. The terminal is always restored: app_free(), atexit, and
 * SIGINT/SIGTERM/SIGHUP (which end the loop like `q`).
 *
 * Ownership: the app borrows the store, the config and the engine; it owns its views.
 * Everything here is UI-thread only. */
#ifndef BT_APP_H
#define BT_APP_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "render.h"
#include "store.h"
#include "ui_draw.h"
#include "ui_keymap.h"
#include "ui_theme.h"

/* UI_WORK (from an event): the view has more background work; the loop comes back at once
 * (keys still go first) instead of waiting for the next tick. */
enum { UI_HANDLED = 1, UI_REDRAW = 2, UI_RELOAD = 4, UI_QUIT = 8, UI_WORK = 16 };

typedef struct bt_app bt_app;

/* What a view is opened on. Strings are copied by the view. */
typedef struct bt_view_arg {
  const char *job_id;
  const char *pipeline_id; /* pipeline view */
  int64_t task_id;
  int64_t batch_id;                       /* tasks view: only this batch's tasks (> 0) */
  const char *error_code;                 /* tasks view: preset error-group filter */
  int state;                              /* tasks view: preset state filter, -1 none */
  const char *template_path, *input_path; /* preview */
  const bt_render_opts *render_opts;      /* preview; may be NULL */
} bt_view_arg;

typedef enum { APP_EV_TICK, APP_EV_CHANGED, APP_EV_JOB_DONE } bt_app_event_kind;

typedef struct bt_app_event {
  bt_app_event_kind kind;
  char job_id[16]; /* "" when about no job in particular */
} bt_app_event;

typedef struct bt_view_ops {
  const char *name;
  /* Make the view's state and load it; NULL on failure (after app_message). */
  void *(*open)(bt_app *app, const bt_view_arg *arg);
  /* Re-query what is visible. Returns UI_* flags. */
  int (*load)(void *v, bt_app *app);
  /* Draw rows top .. top+height-1 of stdscr, full width. */
  void (*draw)(void *v, bt_app *app, int top, int height);
  /* An action (or, when a == ACT_NONE, a raw key). Returns UI_* flags. */
  int (*key)(void *v, bt_app *app, ui_action a, int key);
  /* Something happened in the store or the engine (may be NULL). */
  int (*event)(void *v, bt_app *app, const bt_app_event *ev);
  /* A click on body row `row` (0 = the body's first row); may be NULL. */
  int (*click)(void *v, bt_app *app, int row);
  void (*close)(void *v);
  /* Breadcrumb in the title bar and the line above the footer. */
  void (*title)(void *v, char *buf, size_t size);
  void (*status)(void *v, bt_app *app, char *buf, size_t size);
  const ui_action *footer;
  int n_footer;
} bt_view_ops;

extern const bt_view_ops view_jobs_ops, view_job_ops, view_tasks_ops, view_inspector_ops,
    view_help_ops, view_preview_ops, view_pipeline_ops;

typedef struct bt_app_opts {
  const bt_config *cfg;    /* poll_ms, keys */
  bt_store *store;         /* borrowed: the dashboard's own connection */
  const ui_theme *theme;   /* copied */
  const ui_keymap *keymap; /* copied; NULL: defaults */
  void *engine;            /* a bt_engine* driving jobs in-process, or NULL (read-only) */
  int rows, cols;          /* > 0: headless virtual screen of this size */
} bt_app_opts;

#define APP_MAX_VIEWS 8

typedef void (*bt_app_confirm_fn)(bt_app *app, void *ud);
typedef void (*bt_app_prompt_fn)(bt_app *app, void *ud, const char *text);

struct bt_app {
  bt_store *store;
  const bt_config *cfg;
  void *engine;
  ui_theme theme;
  ui_keymap keymap;
  int headless;
  int rows, cols;
  struct {
    const bt_view_ops *ops;
    void *st;
  } stack[APP_MAX_VIEWS];
  int depth;
  ui_footer footer;
  char message[256];
  int message_error;
  int64_t message_at; /* unix ms it was set (app_message_expire) */
  int64_t data_version;
  int poll_ms;
  char clipboard[128]; /* the last id copied with `y` */
  /* header totals, refreshed with the view */
  int64_t running_jobs, tasks_in_flight;
  double spend_today, spend_total;
  /* modal dialog */
  struct {
    int kind; /* 0 none, 1 confirm, 2 prompt */
    char title[64];
    char text[512];
    char input[1024];
    size_t cursor;
    int complete_files;
    bt_app_confirm_fn on_yes;
    bt_app_prompt_fn on_text;
    void *ud;
    void (*free_ud)(void *);
  } modal;
  int quit;
};

bt_status app_new(const bt_app_opts *opts, bt_app **out, bt_error *err) BT_WUR;
/* Closes every view and gives the terminal back. */
void app_free(bt_app *app);

/* Open a view on top; its load runs now. */
bt_status app_push(bt_app *app, const bt_view_ops *ops, const bt_view_arg *arg);
/* Close the top view (the one below reloads). Never pops the last view. */
void app_pop(bt_app *app);

/* Run the loop until quit. Returns EXIT_OK. */
int app_run(bt_app *app);

/* Tests and the benchmark: handle one key (KEY_* or a character) as the loop would, including
 * reload; then app_draw() paints stdscr. Returns the UI_* flags. */
int app_key(bt_app *app, int key);
/* Reload the top view and the header totals. */
void app_reload(bt_app *app);
/* Paint the whole screen into stdscr (the loop then flushes it to the terminal). */
void app_draw(bt_app *app);
/* Headless: a new screen size, as a terminal resize would give. */
void app_resize(bt_app *app, int rows, int cols);

/* A line in the status bar until the next key, or until it has been read (app_message_expire). */
void app_message(bt_app *app, int is_error, const char *fmt, ...) BT_PRINTF(3, 4);
/* Clear a message shown long enough at now_ms (5 s; an error 10 s). 1 when it cleared one (the
 * loop repaints). */
int app_message_expire(bt_app *app, int64_t now_ms);
/* Ask yes/no; on yes, fn(app, ud). free_ud (may be NULL) frees ud either way. */
void app_confirm(bt_app *app, const char *title, const char *text, bt_app_confirm_fn fn, void *ud,
                 void (*free_ud)(void *));
/* Ask for a line of text (Tab completes file names when complete_files). */
void app_prompt(bt_app *app, const char *title, const char *initial, int complete_files,
                bt_app_prompt_fn fn, void *ud, void (*free_ud)(void *));
/* Copy text (an id) to the clipboard of the terminal (OSC 52) and remember it. */
void app_copy(bt_app *app, const char *text);

/* Body height available to views (rows minus title, status and footer). */
int app_body_height(const bt_app *app);
/* Start of the local day containing now, in unix ms (for "spend today"). */
int64_t app_day_start(int64_t now_ms);

/* `batchtop preview TEMPLATE INPUT --tui`: the dashboard opened on the preview view. */
int dashboard_preview(bt_cli *cli, const char *template_path, const char *input_path,
                      const bt_render_opts *opts);

#endif
