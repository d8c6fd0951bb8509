/* ui_draw: the drawing helpers every view uses: text cut to a width in an element's colours,
 * right-aligned numbers, column layout, progress bars, sparklines, the footer of key hints.
 *
 * Everything draws on a WINDOW (views draw on stdscr) and never past the width it is given,
 * so a long name ends in an ellipsis instead of running into the next column. Bars and
 * sparklines use Unicode blocks when the locale is UTF-8 and ASCII otherwise.
 * UI thread only (ncurses). */
#ifndef BT_UI_DRAW_H
#define BT_UI_DRAW_H

#include <curses.h>
#include <stdint.h>

#include "store_job.h"
#include "ui_keymap.h"
#include "ui_theme.h"

/* Draw text at (y, x) in element e, cut to width columns and padded with spaces to width.
 * Returns the columns of text written (before padding). */
int ui_put(WINDOW *w, int y, int x, int width, ui_elem e, const char *text);
/* The same, right-aligned in width. */
int ui_put_right(WINDOW *w, int y, int x, int width, ui_elem e, const char *text);
/* printf into ui_put. */
int ui_putf(WINDOW *w, int y, int x, int width, ui_elem e, const char *fmt, ...) BT_PRINTF(6, 7);
/* Fill width cells with spaces in element e. */
void ui_fill(WINDOW *w, int y, int x, int width, ui_elem e);

/* Columns of a table: the layout gives each visible column x and width (w = 0: hidden). */
typedef struct ui_col {
  const char *title;
  int min, max; /* max 0 = no limit */
  int flex;     /* share of the width left over */
  int prio;     /* 0 = always shown; higher numbers go first when the screen is narrow */
  int right;    /* right-aligned */
  int x, w;     /* out */
} ui_col;

/* Lay out n columns in width (one space between columns). */
void ui_cols_layout(ui_col *cols, int n, int width);
/* The column titles on row y in the column element. */
void ui_cols_header(WINDOW *w, int y, int x, int width, const ui_col *cols, int n);
/* One cell of a row: the column's text, aligned as the column says. */
void ui_cols_cell(WINDOW *w, int y, int x0, const ui_col *c, ui_elem e, const char *text);

/* A table's column header across the whole width w of row y (the margins in the same colour),
 * laying the columns out in w - 2 cells from x = 1. */
void ui_table_header(WINDOW *win, int y, int w, ui_col *cols, int n);
/* A section title at column 1 of row y, with extra (may be NULL) dim after it. */
void ui_section(WINDOW *win, int y, int w, const char *title, const char *extra);
/* "Label value  " at x: the label in UI_LABEL, the value in e; returns the width used, 0 (and
 * nothing drawn) when it does not fit in width. */
int ui_field(WINDOW *win, int y, int x, int width, const char *label, ui_elem e, const char *value);

/* Progress bar of a job's counts in width cells: succeeded, failed (failed, expired,
 * cancelled), running and pending parts in their own elements. */
void ui_bar(WINDOW *w, int y, int x, int width, const bt_counts *c);
/* Sparkline of n values in width cells (values resampled to the width). */
void ui_spark(WINDOW *w, int y, int x, int width, const int64_t *v, int n);

/* A progress bar of counts with its percentage after it ("███▓▒░  66%"), in width cells (only
 * the percentage when narrower than 10); the percentage in element text_elem. */
void ui_progress(WINDOW *w, int y, int x, int width, const bt_counts *c, ui_elem text_elem);
/* "done/total" of counts (done = ended in any state); large numbers abbreviated. */
const char *ui_fmt_done(const bt_counts *c, char *buf, size_t size);
/* A job's tasks by the states of `status --json`, in its order and words: "620 succeeded,
 * 40 failed, 5 expired, 325 running, 10 pending" (a state with no task is left out). */
const char *ui_fmt_counts(const bt_counts *c, char *buf, size_t size);
/* A job's ETA (store_query.h's eta_ms): a duration, "queued" when the rest waits at the
 * provider, "-" when unknown or finished. */
const char *ui_fmt_eta(int64_t eta_ms, char *buf, size_t size);

/* Element of a task or job state name ("failed" -> UI_STATE_FAILED), including a pipeline's
 * "held" stage and a row's "waiting", "skipped" and "blocked" in a stage. */
ui_elem ui_state_elem(const char *state);
/* Element of a spend: UI_COST_HIGH when it is more than 10% above a (non-zero) estimate. */
ui_elem ui_cost_elem(double est_usd, double actual_usd);

/* The footer: key hints for the given actions on row y; remembers where each hint is so a
 * mouse click on it becomes that action (ui_footer_hit). */
typedef struct ui_footer {
  int y;
  int n;
  struct {
    int x0, x1;
    ui_action a;
  } hit[24];
} ui_footer;

/* The last `keep` actions always get their room; the others show while they fit. */
void ui_footer_draw(WINDOW *w, ui_footer *f, int y, int width, const ui_keymap *km,
                    const ui_action *acts, int n, int keep);
ui_action ui_footer_hit(const ui_footer *f, int y, int x);

/* Human strings used by several views. */
const char *ui_fmt_age(int64_t now_ms, int64_t at_ms, char *buf, size_t size); /* "12m" */
const char *ui_fmt_rate(double per_min, char *buf, size_t size);               /* "60/m" */

#endif
