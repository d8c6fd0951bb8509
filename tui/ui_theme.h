/* ui_theme: colour elements named by meaning, and the theme files that give them colours.
 *
 * UI_ELEMENTS is the one list of elements: the enum, the theme-file keys and the built-in
 * default (dark) style all come from it, so they cannot drift. A theme file (themes/NAME.theme)
 * has one `element = fg bg [attr...]` line per element it sets; `#` starts a comment.
 * Colours: default, black, red, green, yellow, blue, magenta, cyan, white, bright-black ...
 * bright-white, or a number 0-255. Attributes: bold, dim, underline, reverse, standout,
 * italic, normal. Elements a file leaves out keep the built-in style.
 *
 * Themes are found by name in $BATCHTOP_THEMES_DIR, then the source tree's themes/, then the
 * installed data dir; a name containing '/' is a path. Parsing has no ncurses and runs before
 * the screen is taken over, so a bad file is reported as FILE:LINE:COL on a normal terminal.
 * ui_theme_apply() and ui_attr() touch ncurses: UI thread only. */
#ifndef BT_UI_THEME_H
#define BT_UI_THEME_H

#include <stddef.h>

#include "status.h"

/* X(enum, file key, built-in style) */
#define UI_ELEMENTS(X)                                                                             \
  X(UI_NORMAL, "normal", "default default")                                                        \
  X(UI_TITLE, "title", "black cyan")                                                               \
  X(UI_TITLE_VALUE, "title.value", "black cyan bold")                                              \
  X(UI_COLUMN, "column", "black green")                                                            \
  X(UI_SELECTION, "selection", "black cyan")                                                       \
  X(UI_SECTION, "section", "cyan default bold")                                                    \
  X(UI_LABEL, "label", "cyan default")                                                             \
  X(UI_DIM, "dim", "bright-black default")                                                         \
  X(UI_VALUE, "value", "default default bold")                                                     \
  X(UI_FOOTER_KEY, "footer.key", "default default bold")                                           \
  X(UI_FOOTER_LABEL, "footer.label", "black cyan")                                                 \
  X(UI_STATUS, "status", "default default")                                                        \
  X(UI_STATUS_ERROR, "status.error", "red default bold")                                           \
  X(UI_STATE_DRAFT, "state.draft", "bright-black default")                                         \
  X(UI_STATE_PENDING, "state.pending", "bright-black default")                                     \
  X(UI_STATE_RUNNING, "state.running", "yellow default bold")                                      \
  X(UI_STATE_SUCCEEDED, "state.succeeded", "green default")                                        \
  X(UI_STATE_FAILED, "state.failed", "red default bold")                                           \
  X(UI_STATE_EXPIRED, "state.expired", "magenta default")                                          \
  X(UI_STATE_CANCELLED, "state.cancelled", "bright-black default")                                 \
  X(UI_BAR_SUCCEEDED, "bar.succeeded", "green default")                                            \
  X(UI_BAR_FAILED, "bar.failed", "red default")                                                    \
  X(UI_BAR_RUNNING, "bar.running", "yellow default")                                               \
  X(UI_BAR_PENDING, "bar.pending", "bright-black default")                                         \
  X(UI_COST, "cost", "default default")                                                            \
  X(UI_COST_ESTIMATE, "cost.estimate", "bright-black default")                                     \
  X(UI_COST_HIGH, "cost.high", "red default bold")                                                 \
  X(UI_SPARK, "spark", "blue default")                                                             \
  X(UI_ERROR_CODE, "error.code", "red default")                                                    \
  X(UI_MARK, "mark", "black yellow")                                                               \
  X(UI_JSON_KEY, "json.key", "blue default")                                                       \
  X(UI_DIALOG, "dialog", "black white")                                                            \
  X(UI_DIALOG_TITLE, "dialog.title", "black white bold")

typedef enum {
#define BT_X(e, key, def) e,
  UI_ELEMENTS(BT_X)
#undef BT_X
      UI_ELEMENT_COUNT
} ui_elem;

typedef struct ui_style {
  short fg, bg;   /* -1 = terminal default */
  unsigned attrs; /* UI_A_* bits below (not ncurses values, so parsing needs no ncurses) */
} ui_style;

enum {
  UI_A_BOLD = 1,
  UI_A_DIM = 2,
  UI_A_UNDERLINE = 4,
  UI_A_REVERSE = 8,
  UI_A_STANDOUT = 16,
  UI_A_ITALIC = 32
};

typedef struct ui_theme {
  char name[64];
  ui_style el[UI_ELEMENT_COUNT];
} ui_theme;

/* The built-in (dark) theme. */
void ui_theme_builtin(ui_theme *t);

const char *ui_elem_name(ui_elem e);
/* -1 when name is not an element. */
int ui_elem_parse(const char *name);

/* Parse theme text on top of t. file names the source in errors (FILE:LINE:COL). */
bt_status ui_theme_parse(ui_theme *t, const char *text, const char *file, bt_error *err) BT_WUR;

/* Find (see above) and load a theme by name or path onto the built-in theme. */
bt_status ui_theme_load(const char *name, ui_theme *t, bt_error *err) BT_WUR;

/* Which theme to use: NO_COLOR set gives "mono", else opt_name, else cfg_name, else "default". */
const char *ui_theme_choose(const char *opt_name, const char *cfg_name);

/* Make the theme current: one colour pair per element (when the terminal has colours). */
void ui_theme_apply(const ui_theme *t);

/* The ncurses attributes (pair + attrs) of an element in the current theme. */
int ui_attr(ui_elem e);

#endif
