/* ui_keymap: actions, key names, bindings. */
#include "ui_keymap.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

static const struct {
  const char *name, *keys, *help;
} actions[] = {
#define BT_X(e, name, keys, help) {name, keys, help},
    UI_ACTIONS(BT_X)
#undef BT_X
};

const char *ui_action_name(ui_action a) {
  return (unsigned)a < ACT_COUNT ? actions[a].name : "?";
}

const char *ui_action_help(ui_action a) {
  return (unsigned)a < ACT_COUNT ? actions[a].help : "";
}

int ui_action_parse(const char *name) {
  for (int i = 0; i < ACT_COUNT; i++)
    if (strcmp(actions[i].name, name) == 0)
      return i;
  return ACT_NONE;
}

static const struct {
  const char *name;
  int code;
} named_keys[] = {
    {"Up", KEY_UP},      {"Down", KEY_DOWN},  {"Left", KEY_LEFT},           {"Right", KEY_RIGHT},
    {"PgUp", KEY_PPAGE}, {"PgDn", KEY_NPAGE}, {"Home", KEY_HOME},           {"End", KEY_END},
    {"Enter", '\n'},     {"Esc", 27},         {"Backspace", KEY_BACKSPACE}, {"Tab", '\t'},
    {"Space", ' '},      {"Delete", KEY_DC},
};

int ui_key_parse(const char *name) {
  if (!name || !*name)
    return -1;
  for (size_t i = 0; i < sizeof named_keys / sizeof named_keys[0]; i++)
    if (strcmp(named_keys[i].name, name) == 0)
      return named_keys[i].code;
  if (name[0] == 'F' && name[1] >= '1' && name[1] <= '9') {
    int n = 0;
    const char *p = name + 1;
    while (*p >= '0' && *p <= '9')
      n = n * 10 + (*p++ - '0');
    if (!*p && n >= 1 && n <= 12)
      return KEY_F(n);
    return -1;
  }
  if (name[0] == 'C' && name[1] == '-' && name[2] && !name[3]) {
    char c = name[2];
    if (c >= 'a' && c <= 'z')
      return c - 'a' + 1;
    if (c >= 'A' && c <= 'Z')
      return c - 'A' + 1;
    return -1;
  }
  if (!name[1] && (unsigned char)name[0] > ' ' && (unsigned char)name[0] < 127)
    return name[0];
  return -1;
}

const char *ui_key_name(int key, char *buf, size_t size) {
  for (size_t i = 0; i < sizeof named_keys / sizeof named_keys[0]; i++)
    if (named_keys[i].code == key) {
      snprintf(buf, size, "%s", named_keys[i].name);
      return buf;
    }
  if (key >= KEY_F(1) && key <= KEY_F(12))
    snprintf(buf, size, "F%d", key - KEY_F(0));
  else if (key >= 1 && key <= 26)
    snprintf(buf, size, "C-%c", 'a' + key - 1);
  else if (key > ' ' && key < 127)
    snprintf(buf, size, "%c", key);
  else
    snprintf(buf, size, "#%d", key);
  return buf;
}

/* Parse a space-separated key list into the action's slots; returns the bad word or NULL. */
static const char *bind_list(ui_keymap *km, ui_action a, const char *list, char *bad,
                             size_t bsize) {
  km->n[a] = 0;
  char word[32];
  const char *p = list;
  while (*p) {
    while (*p == ' ')
      p++;
    if (!*p)
      break;
    size_t n = 0;
    while (*p && *p != ' ') {
      if (n + 1 < sizeof word)
        word[n++] = *p;
      p++;
    }
    word[n] = '\0';
    int code = ui_key_parse(word);
    if (code < 0) {
      util_strlcpy(bad, word, bsize);
      return bad;
    }
    if (km->n[a] < UI_KEYMAP_MAX)
      km->keys[a][km->n[a]++] = code;
  }
  return NULL;
}

void ui_keymap_default(ui_keymap *km) {
  memset(km, 0, sizeof *km);
  char bad[32];
  for (int a = 0; a < ACT_COUNT; a++)
    (void)bind_list(km, (ui_action)a, actions[a].keys, bad, sizeof bad);
}

bt_status ui_keymap_apply_config(ui_keymap *km, const bt_config *cfg, bt_error *err) {
  for (size_t i = 0; i < cfg->n_keys; i++) {
    const bt_keybinding *b = &cfg->keys[i];
    int a = ui_action_parse(b->action);
    if (a < 0)
      return error_set_at(err, BT_ERR_CONFIG, cfg->path, b->line, 1,
                          "unknown action '%s' in [keys]", b->action);
    char bad[32];
    ui_keymap tmp = *km;
    if (bind_list(&tmp, (ui_action)a, b->key, bad, sizeof bad))
      return error_set_at(err, BT_ERR_CONFIG, cfg->path, b->line, 1,
                          "unknown key '%s' for %s (keys look like: r, C-r, F5, PgDn, Enter)", bad,
                          b->action);
    /* A key moved to this action leaves the others. */
    for (int k = 0; k < tmp.n[a]; k++)
      for (int o = 0; o < ACT_COUNT; o++) {
        if (o == a)
          continue;
        for (int j = 0; j < tmp.n[o]; j++)
          if (tmp.keys[o][j] == tmp.keys[a][k]) {
            memmove(&tmp.keys[o][j], &tmp.keys[o][j + 1], (size_t)(tmp.n[o] - j - 1) * sizeof(int));
            tmp.n[o]--;
            j--;
          }
      }
    *km = tmp;
  }
  return BT_OK;
}

ui_action ui_keymap_lookup(const ui_keymap *km, int key) {
  /* Terminals send Enter as CR or LF or KEY_ENTER, Backspace as DEL or ^H. */
  if (key == '\r' || key == KEY_ENTER)
    key = '\n';
  if (key == 127 || key == 8)
    key = KEY_BACKSPACE;
  for (int a = 0; a < ACT_COUNT; a++)
    for (int k = 0; k < km->n[a]; k++)
      if (km->keys[a][k] == key)
        return (ui_action)a;
  return ACT_NONE;
}

int ui_keymap_has(const ui_keymap *km, ui_action a, int key) {
  if ((unsigned)a >= ACT_COUNT)
    return 0;
  for (int k = 0; k < km->n[a]; k++)
    if (km->keys[a][k] == key)
      return 1;
  return 0;
}

const char *ui_keymap_keys(const ui_keymap *km, ui_action a, char *buf, size_t size) {
  buf[0] = '\0';
  if ((unsigned)a >= ACT_COUNT)
    return buf;
  size_t o = 0;
  for (int k = 0; k < km->n[a]; k++) {
    char name[32];
    ui_key_name(km->keys[a][k], name, sizeof name);
    int w = snprintf(buf + o, size - o, "%s%s", k ? " " : "", name);
    if (w < 0 || (size_t)w >= size - o)
      break;
    o += (size_t)w;
  }
  return buf;
}
