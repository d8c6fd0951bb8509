/* view_help: the key help, generated from the action list and the live key bindings, so it
 * never drifts from what the keys do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "ui_doc.h"
#include "ui_text.h"

typedef struct {
  ui_doc doc;
} help_view;

static int help_load(void *st, bt_app *app) {
  help_view *v = st;
  ui_doc_clear(&v->doc);
  ui_doc_addf(&v->doc, UI_SECTION, 1, "%-26s%s", "Keys", "Action (config name)");
  for (int a = 0; a < ACT_COUNT; a++) {
    char keys[96], line[256];
    ui_keymap_keys(&app->keymap, (ui_action)a, keys, sizeof keys);
    if (!keys[0])
      snprintf(keys, sizeof keys, "(unbound)");
    const char *name = ui_action_name((ui_action)a);
    int n =
        snprintf(line, sizeof line, "%-22s  %-16s %s", keys, name, ui_action_help((ui_action)a));
    size_t i = ui_doc_add(&v->doc, UI_NORMAL, 3, line);
    v->doc.lines[i].hang = 41; /* wrapped help text stays in its column */
    ui_doc_span(&v->doc, i, 0, strlen(keys), UI_LABEL);
    ui_doc_span(&v->doc, i, 24, strlen(name), UI_DIM);
    (void)n;
  }
  ui_doc_add(&v->doc, UI_NORMAL, 0, "");
  ui_doc_add(&v->doc, UI_SECTION, 1, "Mouse");
  ui_doc_add(&v->doc, UI_NORMAL, 3,
             "Click a row to select it, roll the wheel to scroll, click a key in the bottom "
             "bar to press it.");
  ui_doc_add(&v->doc, UI_NORMAL, 0, "");
  ui_doc_add(&v->doc, UI_SECTION, 1, "Settings");
  ui_doc_addf(&v->doc, UI_NORMAL, 3,
              "Keys are rebound in the [keys] section of the config file, one action a line "
              "with its keys (the action names are in the middle column above): e.g. "
              "'%s = r C-r'. Key names: a character, C-x, F1-F12, Up, Down, Left, Right, "
              "PgUp, PgDn, Home, End, Enter, Esc, Backspace, Tab, Space.",
              ui_action_name(ACT_RETRY));
  ui_doc_addf(&v->doc, UI_NORMAL, 3,
              "Theme: %s. Choose with --theme NAME or 'theme = NAME' in the config (default, "
              "light, high-contrast, mono); NO_COLOR gives mono.",
              app->theme.name);
  ui_doc_addf(&v->doc, UI_NORMAL, 3, "Config file: %s",
              app->cfg && app->cfg->path ? app->cfg->path : "(none; defaults in use)");
  return UI_REDRAW;
}

static void *help_open(bt_app *app, const bt_view_arg *arg) {
  (void)arg;
  help_view *v = calloc(1, sizeof *v);
  if (!v)
    return NULL;
  ui_doc_init(&v->doc);
  help_load(v, app);
  return v;
}

static void help_close(void *st) {
  help_view *v = st;
  ui_doc_cleanup(&v->doc);
  free(v);
}

static void help_draw(void *st, bt_app *app, int top, int height) {
  help_view *v = st;
  ui_doc_draw(&v->doc, top, 0, height, app->cols);
}

static int help_key(void *st, bt_app *app, ui_action a, int key) {
  (void)app;
  (void)key;
  help_view *v = st;
  if (ui_doc_move(&v->doc, a))
    return UI_HANDLED | UI_REDRAW;
  if (a == ACT_HELP || a == ACT_OPEN || a == ACT_QUIT) { /* q closes the help, as Esc does */
    app_pop(app);
    return UI_HANDLED | UI_REDRAW;
  }
  return 0;
}

static void help_title(void *st, char *buf, size_t size) {
  (void)st;
  snprintf(buf, size, "help");
}

static void help_status(void *st, bt_app *app, char *buf, size_t size) {
  (void)st;
  snprintf(buf, size, " batchtop %s \xc2\xb7 %s \xc2\xb7 q or Esc closes the help",
           BATCHTOP_VERSION,
           app->engine ? "driving jobs in this process" : "watching the store (read-only)");
}

static const ui_action help_footer[] = {ACT_PAGE_DOWN, ACT_PAGE_UP};

const bt_view_ops view_help_ops = {
    "help", help_open,  help_load,  help_draw,   help_key,    NULL,
    NULL,   help_close, help_title, help_status, help_footer, 2,
};
