/* ui_keymap: the dashboard's actions and the keys bound to them.
 *
 * UI_ACTIONS is the one list of actions: the enum, the names used in the config file's [keys]
 * section (`retry = r`, several keys separated by spaces), the default keys and the help text
 * all come from it, and the help view is generated from it, so none of them can drift.
 *
 * Key names: a single character (`r`, `/`, `?`), `Up Down Left Right PgUp PgDn Home End Enter
 * Esc Backspace Tab Space F1`..`F12`, and `C-x` for Ctrl+x. A binding in the config replaces
 * the defaults of that action. No ncurses state is touched except key-code constants; any
 * thread may parse, the UI thread looks keys up. */
#ifndef BT_UI_KEYMAP_H
#define BT_UI_KEYMAP_H

#include <stddef.h>

#include "config.h"
#include "status.h"

/* X(enum, config name, default keys, help text) */
#define UI_ACTIONS(X)                                                                              \
  X(ACT_UP, "up", "k Up", "move up")                                                               \
  X(ACT_DOWN, "down", "j Down", "move down")                                                       \
  X(ACT_PAGE_UP, "page-up", "PgUp C-b", "page up")                                                 \
  X(ACT_PAGE_DOWN, "page-down", "PgDn C-f Space", "page down")                                     \
  X(ACT_TOP, "top", "g Home", "go to the top")                                                     \
  X(ACT_BOTTOM, "bottom", "G End", "go to the bottom")                                             \
  X(ACT_OPEN, "open", "Enter Right l", "open the selected item")                                   \
  X(ACT_BACK, "back", "Esc Backspace Left h", "go back")                                           \
  X(ACT_FOCUS, "focus", "Tab", "switch between batches and errors")                                \
  X(ACT_TASKS, "tasks", "t", "list all the job's tasks")                                           \
  X(ACT_NEW, "new", "n", "new job: preview a template over an input file")                         \
  X(ACT_RETRY, "retry", "r", "retry the job's failed, expired and cancelled tasks")                \
  X(ACT_RETRY_ONE, "retry-selected", "R", "retry the selected error group or task")                \
  X(ACT_CANCEL, "cancel", "c", "cancel the selected job")                                          \
  X(ACT_SUBMIT, "submit", "S", "submit the previewed job")                                         \
  X(ACT_FILTER, "filter", "/", "filter or search")                                                 \
  X(ACT_SEARCH_NEXT, "search-next", "n", "next match of the search (inspector)")                   \
  X(ACT_SEARCH_PREV, "search-prev", "N", "previous match of the search (inspector)")               \
  X(ACT_PAGER, "pager", "v", "open the raw JSON in $PAGER (inspector)")                            \
  X(ACT_FILTER_STATE, "filter-state", "f", "cycle the task state filter")                          \
  X(ACT_SORT, "sort", "s", "change the sort order")                                                \
  X(ACT_REVERSE, "reverse", "I", "reverse the sort order (tasks)")                                 \
  X(ACT_PREVIEW, "preview", "p", "preview the job's template over its input")                      \
  X(ACT_COPY, "copy", "y", "copy the selected id")                                                 \
  X(ACT_HELP, "help", "? F1", "show this help")                                                    \
  X(ACT_REFRESH, "refresh", "C-l", "reload, redraw, and drive any job no one drives")              \
  X(ACT_QUIT, "quit", "q F10", "quit (in this help: close it)")

typedef enum {
  ACT_NONE = -1,
#define BT_X(e, name, keys, help) e,
  UI_ACTIONS(BT_X)
#undef BT_X
      ACT_COUNT
} ui_action;

#define UI_KEYMAP_MAX 8 /* keys per action */

typedef struct ui_keymap {
  int keys[ACT_COUNT][UI_KEYMAP_MAX];
  int n[ACT_COUNT];
} ui_keymap;

const char *ui_action_name(ui_action a);
const char *ui_action_help(ui_action a);
/* -1 (ACT_NONE) when name is not an action. */
int ui_action_parse(const char *name);

/* Key name -> key code (ncurses KEY_* or a character); -1 when unknown. */
int ui_key_parse(const char *name);
/* Key code -> its name ("r", "Enter", "C-l", "PgDn"), into buf. */
const char *ui_key_name(int key, char *buf, size_t size);

/* The default bindings. */
void ui_keymap_default(ui_keymap *km);
/* Apply the config's [keys] section; errors name the config file and line. */
bt_status ui_keymap_apply_config(ui_keymap *km, const bt_config *cfg, bt_error *err) BT_WUR;
/* The action bound to key, or ACT_NONE. A key bound to several actions (n: new, and the
 * inspector's next match) gives the first; a view that means another asks ui_keymap_has. */
ui_action ui_keymap_lookup(const ui_keymap *km, int key);
/* 1 when key is one of a's keys. */
int ui_keymap_has(const ui_keymap *km, ui_action a, int key);
/* "k/Up" style list of an action's keys, for the help and footer. */
const char *ui_keymap_keys(const ui_keymap *km, ui_action a, char *buf, size_t size);

#endif
