/* app: the dashboard loop, view stack, header/status/footer and modal dialogs. */
#include "app.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "actions.h"
#include "logger.h"
#include "store_query.h"
#include "ui_text.h"
#include "util.h"

/* The screen taken over, for the atexit and signal paths. */
static SCREEN *g_screen;
static FILE *g_out, *g_in;
static volatile sig_atomic_t g_stop;

static void restore_terminal(void) {
  if (g_screen && !isendwin())
    endwin();
}

/* A crash still gives the terminal back (endwin is not async-signal-safe, but the process is
 * ending anyway and a usable shell is worth the risk), then dies the way it would have. */
static void on_fatal_signal(int sig) {
  restore_terminal();
  signal(sig, SIG_DFL);
  raise(sig);
}

static void on_stop_signal(int sig) {
  (void)sig;
  g_stop = 1; /* poll() returns EINTR; the loop quits and restores the terminal */
}

int64_t app_day_start(int64_t now_ms) {
  time_t t = (time_t)(now_ms / 1000);
  struct tm tm;
  localtime_r(&t, &tm);
  tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
  tm.tm_isdst = -1;
  return (int64_t)mktime(&tm) * 1000;
}

int app_body_height(const bt_app *app) {
  int h = app->rows - 3;
  return h > 0 ? h : 0;
}

static void *top_state(bt_app *app) {
  return app->depth ? app->stack[app->depth - 1].st : NULL;
}

static const bt_view_ops *top_ops(bt_app *app) {
  return app->depth ? app->stack[app->depth - 1].ops : NULL;
}

bt_status app_new(const bt_app_opts *o, bt_app **out, bt_error *err) {
  *out = NULL;
  bt_app *app = calloc(1, sizeof *app);
  if (!app)
    return error_set(err, BT_ERR_NOMEM, "out of memory");
  app->store = o->store;
  app->cfg = o->cfg;
  app->engine = o->engine;
  if (o->theme)
    app->theme = *o->theme;
  else
    ui_theme_builtin(&app->theme);
  if (o->keymap)
    app->keymap = *o->keymap;
  else
    ui_keymap_default(&app->keymap);
  app->poll_ms = o->cfg && o->cfg->poll_ms > 0 ? (int)o->cfg->poll_ms : 1000;
  if (app->poll_ms < 50)
    app->poll_ms = 50;
  if (app->poll_ms > 1000)
    app->poll_ms = 1000; /* the dashboard refreshes at least once a second */
  app->data_version = -1;

  if (g_screen) {
    free(app);
    return error_set(err, BT_ERR_INTERNAL, "a dashboard is already open in this process");
  }
  if (o->rows > 0 && o->cols > 0) {
    app->headless = 1;
    g_out = fopen("/dev/null", "w");
    g_in = fopen("/dev/null", "r");
    if (!g_out || !g_in) {
      free(app);
      return error_set(err, BT_ERR_IO, "cannot open /dev/null");
    }
    g_screen = newterm("xterm-256color", g_out, g_in);
  } else {
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
      free(app);
      return error_set(err, BT_ERR_USAGE, "the dashboard needs a terminal");
    }
    g_screen = newterm(NULL, stdout, stdin);
  }
  if (!g_screen) {
    free(app);
    return error_set(err, BT_ERR_IO, "cannot start the terminal screen (is TERM set?)");
  }
  set_term(g_screen);
  atexit(restore_terminal);
  cbreak();
  noecho();
  nonl();
  keypad(stdscr, TRUE);
  nodelay(stdscr, TRUE);
  set_escdelay(25);
  curs_set(0);
  if (!app->headless) {
    mousemask(BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
    mouseinterval(0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = on_fatal_signal;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGABRT, &sa, NULL);
  } else {
    resizeterm(o->rows, o->cols);
  }
  ui_theme_apply(&app->theme);
  /* Cells no view draws take the theme's normal colours (a theme may set a background). */
  bkgdset((chtype)ui_attr(UI_NORMAL) | ' ');
  app->rows = LINES;
  app->cols = COLS;
  *out = app;
  return BT_OK;
}

static void modal_close(bt_app *app) {
  if (app->modal.free_ud && app->modal.ud)
    app->modal.free_ud(app->modal.ud);
  memset(&app->modal, 0, sizeof app->modal);
}

void app_free(bt_app *app) {
  if (!app)
    return;
  modal_close(app);
  while (app->depth > 0) {
    app->depth--;
    app->stack[app->depth].ops->close(app->stack[app->depth].st);
  }
  if (g_screen) {
    endwin();
    delscreen(g_screen);
    g_screen = NULL;
  }
  if (g_out)
    fclose(g_out);
  if (g_in)
    fclose(g_in);
  g_out = g_in = NULL;
  if (!app->headless) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGSEGV, SIG_DFL);
    signal(SIGBUS, SIG_DFL);
    signal(SIGFPE, SIG_DFL);
    signal(SIGABRT, SIG_DFL);
  }
  free(app);
}

static void load_totals(bt_app *app) {
  bt_qtotals t;
  bt_error err;
  error_clear(&err);
  if (store_query_totals(app->store, app_day_start(util_now_ms()), &t, &err) != BT_OK) {
    app_message(app, 1, "%s", err.message);
    return;
  }
  app->running_jobs = t.running_jobs;
  app->tasks_in_flight = t.tasks_in_flight;
  app->spend_today = t.spend_today_usd;
  app->spend_total = t.spend_total_usd;
}

void app_reload(bt_app *app) {
  app->data_version = store_query_data_version(app->store);
  load_totals(app);
  if (app->depth)
    top_ops(app)->load(top_state(app), app);
}

bt_status app_push(bt_app *app, const bt_view_ops *ops, const bt_view_arg *arg) {
  if (app->depth >= APP_MAX_VIEWS) {
    app_message(app, 1, "too many views open");
    return BT_ERR_LIMIT;
  }
  bt_view_arg none = {0};
  none.state = -1;
  void *st = ops->open(app, arg ? arg : &none);
  if (!st)
    return BT_ERR_NOT_FOUND;
  app->stack[app->depth].ops = ops;
  app->stack[app->depth].st = st;
  app->depth++;
  if (app->depth == 1)
    load_totals(app);
  return BT_OK;
}

void app_pop(bt_app *app) {
  if (app->depth <= 1)
    return;
  app->depth--;
  app->stack[app->depth].ops->close(app->stack[app->depth].st);
  app_reload(app);
}

void app_message(bt_app *app, int is_error, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(app->message, sizeof app->message, fmt, ap);
  va_end(ap);
  app->message_error = is_error;
  app->message_at = util_now_ms();
  if (is_error)
    log_warn("dashboard: %s", app->message);
}

int app_message_expire(bt_app *app, int64_t now_ms) {
  if (!app->message[0] || now_ms - app->message_at < (app->message_error ? 10000 : 5000))
    return 0;
  app->message[0] = '\0';
  return 1;
}

void app_confirm(bt_app *app, const char *title, const char *text, bt_app_confirm_fn fn, void *ud,
                 void (*free_ud)(void *)) {
  modal_close(app);
  app->modal.kind = 1;
  util_strlcpy(app->modal.title, title, sizeof app->modal.title);
  util_strlcpy(app->modal.text, text, sizeof app->modal.text);
  app->modal.on_yes = fn;
  app->modal.ud = ud;
  app->modal.free_ud = free_ud;
}

void app_prompt(bt_app *app, const char *title, const char *initial, int complete_files,
                bt_app_prompt_fn fn, void *ud, void (*free_ud)(void *)) {
  modal_close(app);
  app->modal.kind = 2;
  util_strlcpy(app->modal.title, title, sizeof app->modal.title);
  util_strlcpy(app->modal.input, initial ? initial : "", sizeof app->modal.input);
  app->modal.cursor = strlen(app->modal.input);
  app->modal.complete_files = complete_files;
  app->modal.on_text = fn;
  app->modal.ud = ud;
  app->modal.free_ud = free_ud;
}

void app_copy(bt_app *app, const char *text) {
  util_strlcpy(app->clipboard, text, sizeof app->clipboard);
  if (!app->headless) {
    /* OSC 52: the terminal (and tmux with set-clipboard) puts it on the clipboard. */
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char enc[256];
    size_t n = strlen(app->clipboard), o = 0;
    for (size_t i = 0; i < n && o + 5 < sizeof enc; i += 3) {
      unsigned v = (unsigned char)app->clipboard[i] << 16;
      if (i + 1 < n)
        v |= (unsigned char)app->clipboard[i + 1] << 8;
      if (i + 2 < n)
        v |= (unsigned char)app->clipboard[i + 2];
      enc[o++] = b64[(v >> 18) & 63];
      enc[o++] = b64[(v >> 12) & 63];
      enc[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
      enc[o++] = i + 2 < n ? b64[v & 63] : '=';
    }
    enc[o] = '\0';
    fprintf(stdout, "\033]52;c;%s\a", enc);
    fflush(stdout);
  }
  app_message(app, 0, "copied %s", text);
}

/* --- file-name completion for prompts --- */

/* "~/x" -> "$HOME/x" (what a shell would do for a typed path). */
static void expand_home(const char *text, char *out, size_t size) {
  const char *home = getenv("HOME");
  if (text[0] == '~' && text[1] == '/' && home)
    snprintf(out, size, "%s%s", home, text + 1);
  else
    util_strlcpy(out, text, size);
}

static void complete_path(bt_app *app) {
  char *in = app->modal.input;
  char expanded[1024];
  const char *home = getenv("HOME");
  expand_home(in, expanded, sizeof expanded);
  char dir[1024];
  const char *slash = strrchr(expanded, '/');
  const char *base = slash ? slash + 1 : expanded;
  if (slash)
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - expanded + 1), expanded);
  else
    util_strlcpy(dir, "", sizeof dir);
  DIR *d = opendir(dir[0] ? dir : ".");
  if (!d) {
    app_message(app, 1, "cannot read %s", dir[0] ? dir : ".");
    return;
  }
  char common[256] = "";
  int matches = 0, is_dir = 0;
  char list[200] = "";
  struct dirent *e;
  size_t blen = strlen(base);
  while ((e = readdir(d))) {
    if (strncmp(e->d_name, base, blen) != 0 || strcmp(e->d_name, ".") == 0 ||
        strcmp(e->d_name, "..") == 0)
      continue;
    if (e->d_name[0] == '.' && base[0] != '.')
      continue;
    if (matches == 0) {
      util_strlcpy(common, e->d_name, sizeof common);
      is_dir = e->d_type == DT_DIR;
    } else {
      size_t k = 0;
      while (common[k] && common[k] == e->d_name[k])
        k++;
      common[k] = '\0';
    }
    if (strlen(list) + strlen(e->d_name) + 2 < sizeof list) {
      strcat(list, list[0] ? " " : "");
      strcat(list, e->d_name);
    }
    matches++;
  }
  closedir(d);
  if (matches == 0) {
    app_message(app, 1, "no file starts with '%s'", base);
    return;
  }
  char done[1024];
  snprintf(done, sizeof done, "%s%s%s", slash ? dir : "", common,
           matches == 1 && is_dir ? "/" : "");
  /* Keep the user's ~ when they typed one. */
  if (in[0] == '~' && home && util_starts_with(done, home))
    snprintf(in, sizeof app->modal.input, "~%s", done + strlen(home));
  else
    util_strlcpy(in, done, sizeof app->modal.input);
  app->modal.cursor = strlen(in);
  if (matches > 1)
    app_message(app, 0, "%d matches: %s", matches, list);
}

static int modal_key(bt_app *app, int key) {
  if (app->modal.kind == 1) {
    if (key == 'y' || key == 'Y' || key == '\n' || key == '\r' || key == KEY_ENTER) {
      bt_app_confirm_fn fn = app->modal.on_yes;
      void *ud = app->modal.ud;
      void (*free_ud)(void *) = app->modal.free_ud;
      memset(&app->modal, 0, sizeof app->modal);
      if (fn)
        fn(app, ud);
      if (free_ud && ud)
        free_ud(ud);
      return UI_HANDLED | UI_RELOAD;
    }
    if (key == 'n' || key == 'N' || key == 27 || key == 'q') {
      modal_close(app);
      app_message(app, 0, "nothing was done");
    }
    return UI_HANDLED | UI_REDRAW;
  }
  /* prompt */
  char *in = app->modal.input;
  size_t len = strlen(in);
  if (key == 27) {
    modal_close(app);
  } else if (key == '\n' || key == '\r' || key == KEY_ENTER) {
    bt_app_prompt_fn fn = app->modal.on_text;
    void *ud = app->modal.ud;
    void (*free_ud)(void *) = app->modal.free_ud;
    char text[1024];
    util_strlcpy(text, in, sizeof text);
    memset(&app->modal, 0, sizeof app->modal);
    if (fn)
      fn(app, ud, text);
    if (free_ud && ud)
      free_ud(ud);
    return UI_HANDLED | UI_RELOAD;
  } else if (key == KEY_BACKSPACE || key == 127 || key == 8) {
    while (len > 0) { /* one whole UTF-8 character */
      unsigned char c = (unsigned char)in[--len];
      in[len] = '\0';
      if ((c & 0xC0) != 0x80)
        break;
    }
  } else if (key == 21) { /* C-u */
    in[0] = '\0';
  } else if (key == '\t' && app->modal.complete_files) {
    complete_path(app);
  } else if (key >= 32 && key < 256 && key != 127 && len + 1 < sizeof app->modal.input) {
    in[len] = (char)key;
    in[len + 1] = '\0';
  }
  return UI_HANDLED | UI_REDRAW;
}

/* --- new job: two prompts, then the preview --- */

static void new_job_input(bt_app *app, void *ud, const char *text) {
  const char *tmpl = ud;
  if (!text[0])
    return;
  char input[1024];
  expand_home(text, input, sizeof input);
  bt_view_arg arg = {0};
  arg.state = -1;
  arg.template_path = tmpl;
  arg.input_path = input;
  (void)app_push(app, &view_preview_ops, &arg);
}

static void new_job_template(bt_app *app, void *ud, const char *text) {
  (void)ud;
  if (!text[0])
    return;
  char tmpl[1024];
  expand_home(text, tmpl, sizeof tmpl);
  app_prompt(app, "New job: input file (CSV, TSV or JSONL)", "", 1, new_job_input,
             util_xstrdup(tmpl), free);
}

static int global_action(bt_app *app, ui_action a) {
  switch (a) {
  case ACT_QUIT:
    return UI_HANDLED | UI_QUIT;
  case ACT_BACK:
    if (app->depth > 1) {
      app_pop(app);
      return UI_HANDLED | UI_REDRAW;
    }
    return UI_HANDLED;
  case ACT_HELP:
    if (top_ops(app) != &view_help_ops)
      (void)app_push(app, &view_help_ops, NULL);
    return UI_HANDLED | UI_REDRAW;
  case ACT_REFRESH:
    if (!app->headless)
      clearok(curscr, TRUE);
    actions_refresh(app); /* the engine looks for undriven jobs and polls now */
    return UI_HANDLED | UI_RELOAD;
  case ACT_NEW:
    app_prompt(app, "New job: template file", "", 1, new_job_template, NULL, NULL);
    return UI_HANDLED | UI_REDRAW;
  default:
    return 0;
  }
}

static int mouse_key(bt_app *app) {
  MEVENT ev;
  if (getmouse(&ev) != OK)
    return 0;
  const bt_view_ops *ops = top_ops(app);
  if (ev.bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED)) {
    ui_action a = (ev.bstate & BUTTON4_PRESSED) ? ACT_UP : ACT_DOWN;
    int f = 0;
    for (int i = 0; i < 3; i++)
      f |= ops->key(top_state(app), app, a, 0);
    return f;
  }
  if (ev.bstate & BUTTON1_PRESSED) {
    ui_action a = ui_footer_hit(&app->footer, ev.y, ev.x);
    if (a != ACT_NONE) {
      /* A click on a hint is that key. */
      int key = app->keymap.n[a] ? app->keymap.keys[a][0] : 0;
      return key ? app_key(app, key) : 0;
    }
    if (ops->click && ev.y >= 1 && ev.y < 1 + app_body_height(app))
      return ops->click(top_state(app), app, ev.y - 1);
  }
  return 0;
}

static int dispatch_key(bt_app *app, int key) {
  if (app->modal.kind)
    return modal_key(app, key);
  app->message[0] = '\0';
  if (key == KEY_RESIZE) {
    app->rows = LINES;
    app->cols = COLS;
    return UI_HANDLED | UI_RELOAD; /* more or fewer rows are visible */
  }
  if (key == KEY_MOUSE)
    return mouse_key(app);
  ui_action a = ui_keymap_lookup(&app->keymap, key);
  int flags = top_ops(app)->key(top_state(app), app, a, key);
  if (!(flags & UI_HANDLED) && a != ACT_NONE)
    flags |= global_action(app, a);
  return flags;
}

int app_key(bt_app *app, int key) {
  int flags = dispatch_key(app, key);
  if (flags & UI_QUIT)
    app->quit = 1;
  if (flags & UI_RELOAD)
    app_reload(app);
  return flags;
}

void app_resize(bt_app *app, int rows, int cols) {
  resizeterm(rows, cols);
  app->rows = LINES;
  app->cols = COLS;
  app_reload(app);
}

/* --- drawing --- */

static void draw_header(bt_app *app) {
  int w = app->cols;
  int utf8 = ui_text_utf8();
  const char *dot = utf8 ? " \xc2\xb7 " : " | ";
  ui_fill(stdscr, 0, 0, w, UI_TITLE);
  int x = ui_put(stdscr, 0, 0, 10 < w ? 10 : w, UI_TITLE_VALUE, " batchtop ");
  char crumbs[256] = "";
  for (int i = 0; i < app->depth; i++) {
    char t[96] = "";
    if (app->stack[i].ops->title)
      app->stack[i].ops->title(app->stack[i].st, t, sizeof t);
    if (!t[0])
      continue;
    size_t n = strlen(crumbs);
    snprintf(crumbs + n, sizeof crumbs - n, "%s%s", n ? (utf8 ? " \xe2\x80\xba " : " > ") : "", t);
  }
  /* The totals: the longest form that leaves the breadcrumb some room. */
  char today[32], total[32], flight[32], right[3][192];
  util_fmt_usd(app->spend_today, today, sizeof today);
  util_fmt_usd(app->spend_total, total, sizeof total);
  util_fmt_count((double)app->tasks_in_flight, flight, sizeof flight);
  snprintf(right[0], sizeof right[0], "%lld running%s%s in flight%stoday %s%stotal %s ",
           (long long)app->running_jobs, dot, flight, dot, today, dot, total);
  snprintf(right[1], sizeof right[1], "%lld running%s%s in flight%stoday %s ",
           (long long)app->running_jobs, dot, flight, dot, today);
  snprintf(right[2], sizeof right[2], "%lld running%stoday %s ", (long long)app->running_jobs, dot,
           today);
  int cw = ui_text_width(crumbs), k = 0;
  int min_crumbs = cw < 24 ? cw : 24;
  while (k < 2 && x + min_crumbs + 2 + ui_text_width(right[k]) > w)
    k++;
  int rw = ui_text_width(right[k]);
  int room = w - x - rw - 1;
  if (room > 0)
    ui_put(stdscr, 0, x, room, UI_TITLE, crumbs);
  if (rw < w - x)
    ui_put_right(stdscr, 0, w - rw, rw, UI_TITLE, right[k]);
}

typedef struct {
  char line[8][256];
  int n;
} modal_lines;

static void collect_line(void *ud, const char *line, size_t len) {
  modal_lines *m = ud;
  if (m->n < 8)
    snprintf(m->line[m->n++], sizeof m->line[0], "%.*s", (int)len, line);
}

static void draw_modal(bt_app *app) {
  int w = app->cols - 4 < 64 ? app->cols - 4 : 64;
  if (w < 20)
    w = app->cols;
  const char *text = app->modal.kind == 1 ? app->modal.text : "";
  /* Wrap the text into at most 8 lines. */
  modal_lines wr;
  memset(&wr, 0, sizeof wr);
  int inner = w - 4;
  ui_text_wrap(text, inner, inner, collect_line, &wr);
  int h = (app->modal.kind == 1 ? wr.n : 1) + 4;
  int y0 = (app->rows - h) / 2, x0 = (app->cols - w) / 2;
  if (y0 < 1)
    y0 = app->rows - h >= 2 ? 1 : 0; /* keep the title bar when there is room */
  if (x0 < 0)
    x0 = 0;
  for (int y = 0; y < h; y++)
    ui_fill(stdscr, y0 + y, x0, w, UI_DIALOG);
  wattrset(stdscr, ui_attr(UI_DIALOG));
  if (ui_text_utf8()) {
    /* box-drawing by hand so it matches the dialog element exactly */
    mvwhline_set(stdscr, y0, x0, WACS_HLINE, w);
    mvwhline_set(stdscr, y0 + h - 1, x0, WACS_HLINE, w);
    mvwvline_set(stdscr, y0, x0, WACS_VLINE, h);
    mvwvline_set(stdscr, y0, x0 + w - 1, WACS_VLINE, h);
    mvwadd_wch(stdscr, y0, x0, WACS_ULCORNER);
    mvwadd_wch(stdscr, y0, x0 + w - 1, WACS_URCORNER);
    mvwadd_wch(stdscr, y0 + h - 1, x0, WACS_LLCORNER);
    mvwadd_wch(stdscr, y0 + h - 1, x0 + w - 1, WACS_LRCORNER);
  } else {
    mvwhline(stdscr, y0, x0, '-', w);
    mvwhline(stdscr, y0 + h - 1, x0, '-', w);
    mvwvline(stdscr, y0, x0, '|', h);
    mvwvline(stdscr, y0, x0 + w - 1, '|', h);
  }
  char title[96];
  snprintf(title, sizeof title, " %s ", app->modal.title);
  ui_put(stdscr, y0, x0 + 2, ui_text_width(title) < w - 4 ? ui_text_width(title) : w - 4,
         UI_DIALOG_TITLE, title);
  if (app->modal.kind == 1) {
    for (int i = 0; i < wr.n; i++)
      ui_put(stdscr, y0 + 2 + i, x0 + 2, inner, UI_DIALOG, wr.line[i]);
    ui_put_right(stdscr, y0 + h - 1, x0 + 2, w - 4, UI_DIALOG_TITLE, " y yes \xc2\xb7 n no ");
  } else {
    /* the end of the input stays visible */
    const char *in = app->modal.input;
    while (ui_text_width(in) > inner - 1)
      in += ui_text_seq_len(in);
    int tw = ui_put(stdscr, y0 + 2, x0 + 2, inner, UI_DIALOG, in);
    ui_put(stdscr, y0 + 2, x0 + 2 + tw, 1, UI_SELECTION, " ");
    ui_put_right(stdscr, y0 + h - 1, x0 + 2, w - 4, UI_DIALOG_TITLE,
                 app->modal.complete_files ? " Tab complete \xc2\xb7 Enter ok \xc2\xb7 Esc cancel "
                                           : " Enter ok \xc2\xb7 Esc cancel ");
  }
}

void app_draw(bt_app *app) {
  werase(stdscr);
  if (app->rows < 3 || app->cols < 10) {
    ui_put(stdscr, 0, 0, app->cols, UI_NORMAL, "window too small");
    return;
  }
  draw_header(app);
  const bt_view_ops *ops = top_ops(app);
  void *st = top_state(app);
  if (ops)
    ops->draw(st, app, 1, app_body_height(app));
  int sy = app->rows - 2;
  if (app->message[0]) {
    ui_put(stdscr, sy, 0, app->cols, app->message_error ? UI_STATUS_ERROR : UI_STATUS,
           app->message);
  } else {
    char status[256] = "";
    if (ops && ops->status)
      ops->status(st, app, status, sizeof status);
    ui_put(stdscr, sy, 0, app->cols, UI_STATUS, status);
  }
  ui_action acts[24];
  int n = 0;
  if (ops)
    for (int i = 0; i < ops->n_footer && n < 22; i++)
      acts[n++] = ops->footer[i];
  int keep = 2;
  if (app->depth > 1) {
    acts[n++] = ACT_BACK;
    keep++;
  }
  acts[n++] = ACT_HELP;
  if (ops != &view_help_ops) /* there q closes the help (Esc back says so) */
    acts[n++] = ACT_QUIT;
  else
    keep--;
  ui_footer_draw(stdscr, &app->footer, app->rows - 1, app->cols, &app->keymap, acts, n, keep);
  if (app->modal.kind)
    draw_modal(app);
}

/* --- the loop --- */

int app_run(bt_app *app) {
  app_reload(app);
  app_draw(app);
  wnoutrefresh(stdscr);
  doupdate();
  int64_t next_tick = util_mono_ms() + app->poll_ms;
  int64_t last_draw = util_mono_ms();
  while (!app->quit && !g_stop) {
    struct pollfd fds[2];
    int nfds = 0;
    fds[nfds].fd = STDIN_FILENO;
    fds[nfds++].events = POLLIN;
    int wake = actions_wake_fd(app);
    if (wake >= 0) {
      fds[nfds].fd = wake;
      fds[nfds++].events = POLLIN;
    }
    int64_t now = util_mono_ms();
    int timeout = next_tick > now ? (int)(next_tick - now) : 0;
    int pr = poll(fds, (nfds_t)nfds, timeout);
    if (g_stop)
      break;
    if (pr < 0 && errno != EINTR)
      break;
    int flags = 0;
    if (pr > 0 && (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)) && !(fds[0].revents & POLLIN))
      break; /* the terminal went away */
    /* Keys (and KEY_RESIZE after SIGWINCH, which interrupts poll). */
    for (int ch; (ch = getch()) != ERR;) {
      flags |= dispatch_key(app, ch);
      if (flags & UI_QUIT)
        break;
    }
    if (flags & UI_QUIT)
      break;
    if (wake >= 0 && pr > 0 && (fds[1].revents & POLLIN)) {
      bt_app_event evs[64];
      size_t n;
      while ((n = actions_events(app, evs, 64)) > 0)
        for (size_t i = 0; i < n; i++) {
          const bt_view_ops *ops = top_ops(app);
          flags |= UI_RELOAD;
          if (ops->event)
            flags |= ops->event(top_state(app), app, &evs[i]);
        }
    }
    now = util_mono_ms();
    if (now >= next_tick) {
      next_tick = now + app->poll_ms;
      int64_t v = store_query_data_version(app->store);
      if (v != app->data_version)
        flags |= UI_RELOAD;
      bt_app_event tick = {APP_EV_TICK, ""};
      if (top_ops(app)->event)
        flags |= top_ops(app)->event(top_state(app), app, &tick);
      if (flags & UI_WORK)
        next_tick = now; /* more to do: poll without waiting, so keys still come first */
      if (now - last_draw >= 10000)
        flags |= UI_REDRAW; /* ages and ETAs move even when the store does not */
      if (app_message_expire(app, util_now_ms()))
        flags |= UI_REDRAW;
    }
    if (flags & UI_QUIT)
      break;
    if (flags & UI_RELOAD)
      app_reload(app);
    if (flags & (UI_RELOAD | UI_REDRAW)) {
      app_draw(app);
      wnoutrefresh(stdscr);
      doupdate();
      last_draw = util_mono_ms();
    }
  }
  return EXIT_OK;
}
