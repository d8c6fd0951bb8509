/* ui_theme: elements, theme files, colour pairs. */
#include "ui_theme.h"

#include <ctype.h>
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

static const char *const elem_names[] = {
#define BT_X(e, key, def) key,
    UI_ELEMENTS(BT_X)
#undef BT_X
};
static const char *const elem_defaults[] = {
#define BT_X(e, key, def) def,
    UI_ELEMENTS(BT_X)
#undef BT_X
};

const char *ui_elem_name(ui_elem e) {
  return (unsigned)e < UI_ELEMENT_COUNT ? elem_names[e] : "?";
}

int ui_elem_parse(const char *name) {
  for (int i = 0; i < UI_ELEMENT_COUNT; i++)
    if (strcmp(elem_names[i], name) == 0)
      return i;
  return -1;
}

static const char *const colour_names[] = {"black", "red",     "green", "yellow",
                                           "blue",  "magenta", "cyan",  "white"};

/* -2 when word is not a colour. */
static int parse_colour(const char *w) {
  if (strcmp(w, "default") == 0)
    return -1;
  int bright = 0;
  if (strncmp(w, "bright-", 7) == 0) {
    bright = 8;
    w += 7;
  }
  for (int i = 0; i < 8; i++)
    if (strcmp(w, colour_names[i]) == 0)
      return i + bright;
  if (!bright && *w && strspn(w, "0123456789") == strlen(w) && strlen(w) <= 3) {
    int n = atoi(w);
    if (n <= 255)
      return n;
  }
  return -2;
}

static const struct {
  const char *name;
  unsigned bit;
} attr_names[] = {{"bold", UI_A_BOLD},
                  {"dim", UI_A_DIM},
                  {"underline", UI_A_UNDERLINE},
                  {"reverse", UI_A_REVERSE},
                  {"standout", UI_A_STANDOUT},
                  {"italic", UI_A_ITALIC},
                  {"normal", 0}};

/* Parse "fg bg attrs..." (value) into st; on error *col is the 0-based offset in value. */
static int parse_style(const char *value, ui_style *st, size_t *col, char *what, size_t wsize) {
  char word[64];
  int k = 0;
  ui_style s = {-1, -1, 0};
  const char *p = value;
  while (*p) {
    while (*p == ' ' || *p == '\t')
      p++;
    if (!*p)
      break;
    const char *start = p;
    size_t n = 0;
    while (*p && *p != ' ' && *p != '\t') {
      if (n + 1 < sizeof word)
        word[n++] = (char)tolower((unsigned char)*p);
      p++;
    }
    word[n] = '\0';
    *col = (size_t)(start - value);
    if (k < 2) {
      int c = parse_colour(word);
      if (c == -2) {
        snprintf(what, wsize, "unknown colour '%s'", word);
        return -1;
      }
      if (k == 0)
        s.fg = (short)c;
      else
        s.bg = (short)c;
    } else {
      size_t i;
      for (i = 0; i < sizeof attr_names / sizeof attr_names[0]; i++)
        if (strcmp(word, attr_names[i].name) == 0)
          break;
      if (i == sizeof attr_names / sizeof attr_names[0]) {
        snprintf(what, wsize, "unknown attribute '%s'", word);
        return -1;
      }
      s.attrs |= attr_names[i].bit;
    }
    k++;
  }
  if (k < 2) {
    *col = (size_t)(p - value);
    snprintf(what, wsize, "expected 'FG BG [ATTR...]'");
    return -1;
  }
  *st = s;
  return 0;
}

void ui_theme_builtin(ui_theme *t) {
  memset(t, 0, sizeof *t);
  util_strlcpy(t->name, "builtin", sizeof t->name);
  for (int i = 0; i < UI_ELEMENT_COUNT; i++) {
    size_t col;
    char what[128];
    if (parse_style(elem_defaults[i], &t->el[i], &col, what, sizeof what) != 0)
      abort(); /* the built-in list is wrong: a programming error */
  }
}

bt_status ui_theme_parse(ui_theme *t, const char *text, const char *file, bt_error *err) {
  long line = 0;
  const char *p = text;
  while (*p) {
    line++;
    const char *eol = strchr(p, '\n');
    size_t len = eol ? (size_t)(eol - p) : strlen(p);
    char buf[512];
    if (len >= sizeof buf)
      return error_set_at(err, BT_ERR_CONFIG, file, line, 1, "line too long");
    memcpy(buf, p, len);
    buf[len] = '\0';
    p = eol ? eol + 1 : p + len;
    char *hash = strchr(buf, '#');
    if (hash)
      *hash = '\0';
    size_t n = strlen(buf);
    while (n && isspace((unsigned char)buf[n - 1]))
      buf[--n] = '\0';
    char *k = buf;
    while (*k == ' ' || *k == '\t')
      k++;
    if (!*k)
      continue;
    char *eq = strchr(k, '=');
    if (!eq)
      return error_set_at(err, BT_ERR_CONFIG, file, line, (long)(k - buf) + 1,
                          "expected 'element = fg bg [attr...]'");
    char *ke = eq;
    while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t'))
      ke--;
    *ke = '\0';
    int e = ui_elem_parse(k);
    if (e < 0)
      return error_set_at(err, BT_ERR_CONFIG, file, line, (long)(k - buf) + 1,
                          "unknown element '%s'", k);
    const char *v = eq + 1;
    size_t col = 0;
    char what[128];
    ui_style st;
    if (parse_style(v, &st, &col, what, sizeof what) != 0)
      return error_set_at(err, BT_ERR_CONFIG, file, line, (long)(v - buf + col) + 1, "%s", what);
    t->el[e] = st;
  }
  return BT_OK;
}

static int file_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bt_status ui_theme_load(const char *name, ui_theme *t, bt_error *err) {
  ui_theme_builtin(t);
  char path[4096] = "";
  if (strchr(name, '/')) {
    util_strlcpy(path, name, sizeof path);
  } else {
    const char *env = getenv("BATCHTOP_THEMES_DIR");
    const char *dirs[] = {env && *env ? env : NULL, BATCHTOP_SOURCE_DIR "/themes",
                          BATCHTOP_DATADIR "/themes"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0] && !path[0]; i++) {
      if (!dirs[i])
        continue;
      char cand[4096];
      snprintf(cand, sizeof cand, "%s/%s.theme", dirs[i], name);
      if (file_exists(cand))
        util_strlcpy(path, cand, sizeof path);
    }
    if (!path[0]) {
      if (strcmp(name, "default") == 0) /* the built-in one is the default theme */
        return BT_OK;
      return error_set(err, BT_ERR_CONFIG,
                       "unknown theme '%s' (themes: default, light, high-contrast, mono)", name);
    }
  }
  char *text = NULL;
  bt_status r = util_read_file(path, 1 << 20, &text, NULL, err);
  if (r)
    return r;
  r = ui_theme_parse(t, text, path, err);
  free(text);
  if (!r) {
    const char *base = strrchr(path, '/');
    util_strlcpy(t->name, base ? base + 1 : path, sizeof t->name);
    char *dot = strstr(t->name, ".theme");
    if (dot)
      *dot = '\0';
  }
  return r;
}

const char *ui_theme_choose(const char *opt_name, const char *cfg_name) {
  const char *nc = getenv("NO_COLOR");
  if (nc && *nc)
    return "mono";
  if (opt_name && *opt_name)
    return opt_name;
  if (cfg_name && *cfg_name)
    return cfg_name;
  return "default";
}

static int current_attr[UI_ELEMENT_COUNT];

static int to_curses_attrs(unsigned a) {
  int r = 0;
  if (a & UI_A_BOLD)
    r |= A_BOLD;
  if (a & UI_A_DIM)
    r |= A_DIM;
  if (a & UI_A_UNDERLINE)
    r |= A_UNDERLINE;
  if (a & UI_A_REVERSE)
    r |= A_REVERSE;
  if (a & UI_A_STANDOUT)
    r |= A_STANDOUT;
#ifdef A_ITALIC
  if (a & UI_A_ITALIC)
    r |= A_ITALIC;
#endif
  return r;
}

void ui_theme_apply(const ui_theme *t) {
  int colours = has_colors();
  if (colours) {
    start_color();
    use_default_colors();
  }
  for (int i = 0; i < UI_ELEMENT_COUNT; i++) {
    const ui_style *s = &t->el[i];
    int a = to_curses_attrs(s->attrs);
    if (colours && i + 1 < COLOR_PAIRS) {
      short fg = s->fg, bg = s->bg;
      /* Terminals with 8 colours show bright-X as X. */
      if (fg >= COLORS)
        fg = (short)(fg >= 8 && fg < 16 ? fg - 8 : -1);
      if (bg >= COLORS)
        bg = (short)(bg >= 8 && bg < 16 ? bg - 8 : -1);
      init_pair((short)(i + 1), fg, bg);
      a |= (int)COLOR_PAIR(i + 1);
    }
    current_attr[i] = a;
  }
}

int ui_attr(ui_elem e) {
  return (unsigned)e < UI_ELEMENT_COUNT ? current_attr[e] : 0;
}
