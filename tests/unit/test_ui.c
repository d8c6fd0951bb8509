/* Unit tests: the dashboard's widgets without a screen: display width and cutting of UTF-8,
 * wrapping, theme files (errors with FILE:LINE:COL, the shipped themes), key names and config
 * bindings, list arithmetic, column layout. */
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "ui_draw.h"
#include "ui_keymap.h"
#include "ui_list.h"
#include "ui_text.h"
#include "ui_theme.h"
#include "util.h"

static int utf8_locale(void **state) {
  (void)state;
  if (!setlocale(LC_ALL, "C.UTF-8"))
    setlocale(LC_ALL, "C.utf8");
  return 0;
}

static void test_width(void **state) {
  (void)state;
  assert_int_equal(ui_text_width("abc"), 3);
  assert_int_equal(ui_text_width("ünï"), 3);
  assert_int_equal(ui_text_width("日本"), 4);
  assert_int_equal(ui_text_width("🚀x"), 3);
  assert_int_equal(ui_text_width("a\tb\n"), 4); /* control characters are one cell */
  assert_int_equal(ui_text_width("\xff"), 1);   /* invalid byte: one '?' */
}

static void test_cut(void **state) {
  (void)state;
  char out[64];
  assert_int_equal(ui_text_cut("hello", 10, out, sizeof out), 5);
  assert_string_equal(out, "hello");
  assert_int_equal(ui_text_cut("hello world", 6, out, sizeof out), 6);
  assert_string_equal(out, "hello…");
  /* A wide character that would straddle the limit is left out, not split. */
  assert_int_equal(ui_text_cut("ab日本語", 5, out, sizeof out), 5);
  assert_string_equal(out, "ab日…");
  assert_int_equal(ui_text_cut("ab日本語", 4, out, sizeof out), 3);
  assert_string_equal(out, "ab…");
  assert_int_equal(ui_text_cut("line1\nline2", 20, out, sizeof out), 11);
  assert_string_equal(out, "line1 line2"); /* never moves to the next row */
  assert_int_equal(ui_text_cut("x", 0, out, sizeof out), 0);
  assert_string_equal(out, "");
  /* Without UTF-8 the ellipsis is ASCII and other bytes show as '?'. */
  setlocale(LC_ALL, "C");
  assert_int_equal(ui_text_cut("héllo world", 6, out, sizeof out), 6);
  assert_string_equal(out, "h?llo~");
  assert_int_equal(ui_text_cut("a · b 🚀", 20, out, sizeof out), 7);
  assert_string_equal(out, "a | b ?");
  utf8_locale(NULL);
}

typedef struct {
  char lines[8][64];
  int n;
} lines;

static void collect(void *ud, const char *s, size_t len) {
  lines *l = ud;
  if (l->n < 8)
    snprintf(l->lines[l->n++], 64, "%.*s", (int)len, s);
}

static void test_wrap(void **state) {
  (void)state;
  lines l = {0};
  assert_int_equal(ui_text_wrap("the quick brown fox jumps", 10, 10, collect, &l), 3);
  assert_string_equal(l.lines[0], "the quick");
  assert_string_equal(l.lines[1], "brown fox");
  assert_string_equal(l.lines[2], "jumps");
  memset(&l, 0, sizeof l);
  assert_int_equal(ui_text_wrap("abcdefghij\nxy", 4, 4, collect, &l), 4);
  assert_string_equal(l.lines[0], "abcd");
  assert_string_equal(l.lines[2], "ij");
  assert_string_equal(l.lines[3], "xy");
  memset(&l, 0, sizeof l);
  assert_int_equal(ui_text_wrap("日本語日本語", 5, 5, collect, &l), 3);
  assert_string_equal(l.lines[0], "日本");
}

static void test_theme_parse(void **state) {
  (void)state;
  ui_theme t;
  ui_theme_builtin(&t);
  bt_error err;
  error_clear(&err);
  assert_int_equal(
      ui_theme_parse(&t, "# c\nstate.failed = bright-red 236 bold underline\n", "x.theme", &err),
      BT_OK);
  assert_int_equal(t.el[UI_STATE_FAILED].fg, 9);
  assert_int_equal(t.el[UI_STATE_FAILED].bg, 236);
  assert_int_equal(t.el[UI_STATE_FAILED].attrs, UI_A_BOLD | UI_A_UNDERLINE);
  assert_int_equal(
      ui_theme_parse(&t, "normal = default default\nstate.failed = red purple\n", "x.theme", &err),
      BT_ERR_CONFIG);
  assert_string_equal(err.file, "x.theme");
  assert_int_equal(err.line, 2);
  assert_int_equal(err.column, 20);
  assert_non_null(strstr(err.message, "purple"));
  assert_int_equal(ui_theme_parse(&t, "\n\n  nope = red red\n", "y.theme", &err), BT_ERR_CONFIG);
  assert_int_equal(err.line, 3);
  assert_int_equal(err.column, 3);
  assert_int_equal(ui_theme_parse(&t, "title = red\n", "z.theme", &err), BT_ERR_CONFIG);
  assert_int_equal(ui_theme_parse(&t, "title = red blue blink\n", "z.theme", &err), BT_ERR_CONFIG);
  assert_int_equal(err.column, 18);
}

static void test_shipped_themes(void **state) {
  (void)state;
  const char *names[] = {"default", "light", "high-contrast", "mono"};
  for (size_t i = 0; i < 4; i++) {
    char rel[64];
    snprintf(rel, sizeof rel, "themes/%s.theme", names[i]);
    char *path = tu_source_path(rel);
    char *text = NULL;
    bt_error err;
    error_clear(&err);
    assert_int_equal(util_read_file(path, 0, &text, NULL, &err), BT_OK);
    /* Every element is set by every shipped theme. */
    for (int e = 0; e < UI_ELEMENT_COUNT; e++) {
      char key[64];
      snprintf(key, sizeof key, "\n%s ", ui_elem_name((ui_elem)e));
      if (!strstr(text, key))
        fail_msg("%s does not set %s", rel, ui_elem_name((ui_elem)e));
    }
    ui_theme t;
    assert_int_equal(ui_theme_load(path, &t, &err), BT_OK);
    assert_string_equal(t.name, names[i]);
    if (i == 0) { /* default.theme is the built-in theme */
      ui_theme b;
      ui_theme_builtin(&b);
      assert_memory_equal(t.el, b.el, sizeof t.el);
    }
    if (i == 3) /* mono: no colours at all */
      for (int e = 0; e < UI_ELEMENT_COUNT; e++) {
        assert_int_equal(t.el[e].fg, -1);
        assert_int_equal(t.el[e].bg, -1);
      }
    free(text);
    free(path);
  }
}

static void test_theme_choose(void **state) {
  (void)state;
  unsetenv("NO_COLOR");
  assert_string_equal(ui_theme_choose(NULL, NULL), "default");
  assert_string_equal(ui_theme_choose(NULL, "light"), "light");
  assert_string_equal(ui_theme_choose("high-contrast", "light"), "high-contrast");
  setenv("NO_COLOR", "1", 1);
  assert_string_equal(ui_theme_choose("light", "light"), "mono");
  unsetenv("NO_COLOR");
  ui_theme t;
  bt_error err;
  error_clear(&err);
  setenv("BATCHTOP_THEMES_DIR", "/nonexistent", 1);
  assert_int_equal(ui_theme_load("light", &t, &err), BT_OK); /* falls back to the source tree */
  assert_int_equal(ui_theme_load("no-such-theme", &t, &err), BT_ERR_CONFIG);
  assert_non_null(strstr(err.message, "no-such-theme"));
  unsetenv("BATCHTOP_THEMES_DIR");
}

static void test_keys(void **state) {
  (void)state;
  char buf[32];
  assert_int_equal(ui_key_parse("r"), 'r');
  assert_int_equal(ui_key_parse("C-l"), 12);
  assert_int_equal(ui_key_parse("PgDn"), KEY_NPAGE);
  assert_int_equal(ui_key_parse("F5"), KEY_F(5));
  assert_int_equal(ui_key_parse("Hyper-x"), -1);
  assert_string_equal(ui_key_name(KEY_NPAGE, buf, sizeof buf), "PgDn");
  assert_string_equal(ui_key_name(12, buf, sizeof buf), "C-l");
  ui_keymap km;
  ui_keymap_default(&km);
  assert_int_equal(ui_keymap_lookup(&km, 'j'), ACT_DOWN);
  assert_int_equal(ui_keymap_lookup(&km, '\r'), ACT_OPEN);
  assert_int_equal(ui_keymap_lookup(&km, 127), ACT_BACK);
  assert_int_equal(ui_keymap_lookup(&km, 'r'), ACT_RETRY);
  assert_int_equal(ui_keymap_lookup(&km, 'R'), ACT_RETRY_ONE);
  assert_int_equal(ui_keymap_lookup(&km, 'Z'), ACT_NONE);
  /* Every action has a config name, a help text and at least one default key. */
  for (int a = 0; a < ACT_COUNT; a++) {
    assert_int_equal(ui_action_parse(ui_action_name((ui_action)a)), a);
    assert_true(strlen(ui_action_help((ui_action)a)) > 3);
    assert_true(km.n[a] > 0);
  }
}

static void test_keys_config(void **state) {
  (void)state;
  bt_config cfg;
  config_init(&cfg);
  bt_keybinding b[2] = {{"retry", "x C-r", 7}, {"quit", "Q", 8}};
  cfg.keys = b;
  cfg.n_keys = 2;
  cfg.path = "/home/u/.config/batchtop/config";
  ui_keymap km;
  ui_keymap_default(&km);
  bt_error err;
  error_clear(&err);
  assert_int_equal(ui_keymap_apply_config(&km, &cfg, &err), BT_OK);
  assert_int_equal(ui_keymap_lookup(&km, 'x'), ACT_RETRY);
  assert_int_equal(ui_keymap_lookup(&km, 18), ACT_RETRY);
  assert_int_equal(ui_keymap_lookup(&km, 'r'), ACT_NONE); /* replaced */
  assert_int_equal(ui_keymap_lookup(&km, 'q'), ACT_NONE);
  assert_int_equal(ui_keymap_lookup(&km, 'Q'), ACT_QUIT);
  bt_keybinding bad[1] = {{"retyr", "r", 9}};
  cfg.keys = bad;
  cfg.n_keys = 1;
  assert_int_equal(ui_keymap_apply_config(&km, &cfg, &err), BT_ERR_CONFIG);
  assert_int_equal(err.line, 9);
  assert_non_null(strstr(err.message, "retyr"));
  bt_keybinding bad2[1] = {{"retry", "Ctrl+R", 10}};
  cfg.keys = bad2;
  assert_int_equal(ui_keymap_apply_config(&km, &cfg, &err), BT_ERR_CONFIG);
  assert_int_equal(err.line, 10);
  assert_non_null(strstr(err.message, "Ctrl+R"));
  /* A key taken by another action leaves its old action. */
  bt_keybinding steal[1] = {{"sort", "j", 11}};
  cfg.keys = steal;
  assert_int_equal(ui_keymap_apply_config(&km, &cfg, &err), BT_OK);
  assert_int_equal(ui_keymap_lookup(&km, 'j'), ACT_SORT);
  assert_int_equal(ui_keymap_lookup(&km, KEY_DOWN), ACT_DOWN);
  cfg.keys = NULL;
  cfg.n_keys = 0;
  cfg.path = NULL;
  config_cleanup(&cfg);
}

static void test_list(void **state) {
  (void)state;
  ui_list l = {0, 0, 100, 0};
  ui_list_fix(&l, 10);
  assert_true(ui_list_move(&l, ACT_BOTTOM));
  assert_int_equal(l.sel, 99);
  assert_int_equal(l.top, 90);
  ui_list_move(&l, ACT_PAGE_UP);
  assert_int_equal(l.sel, 90);
  assert_int_equal(l.top, 81);
  ui_list_move(&l, ACT_TOP);
  assert_int_equal(l.sel, 0);
  assert_int_equal(l.top, 0);
  ui_list_move(&l, ACT_UP);
  assert_int_equal(l.sel, 0);
  assert_true(ui_list_click(&l, 3));
  assert_int_equal(l.sel, 3);
  assert_false(ui_list_click(&l, 200));
  assert_false(ui_list_move(&l, ACT_QUIT));
  l.total = 2; /* the list shrank under the selection */
  ui_list_fix(&l, 10);
  assert_int_equal(l.sel, 1);
  assert_int_equal(l.top, 0);
}

static void test_cols(void **state) {
  (void)state;
  ui_col c[3] = {
      {"A", 10, 0, 1, 0, 0, 0, 0}, {"B", 10, 0, 0, 2, 0, 0, 0}, {"C", 10, 15, 1, 1, 0, 0, 0}};
  ui_cols_layout(c, 3, 50);
  assert_int_equal(c[1].w, 10);
  assert_int_equal(c[2].w, 15); /* capped at max */
  assert_int_equal(c[0].w + c[1].w + c[2].w + 2, 50);
  assert_int_equal(c[1].x, c[0].w + 1);
  ui_cols_layout(c, 3, 25); /* B (prio 2) goes first */
  assert_int_equal(c[1].w, 0);
  assert_true(c[2].w > 0);
  ui_cols_layout(c, 3, 12);
  assert_int_equal(c[2].w, 0);
  assert_int_equal(c[0].w, 12);
}

/* Every state the dashboard shows has a colour of its meaning: a paused job asks for attention
 * (no key here), a lost batch is a failure; neither may fall back to plain text. */
static void test_state_colours(void **state) {
  (void)state;
  assert_int_equal(ui_state_elem("paused"), UI_STATE_EXPIRED);
  assert_int_equal(ui_state_elem("lost"), UI_STATE_FAILED);
  assert_int_equal(ui_state_elem("failed"), UI_STATE_FAILED);
  assert_int_equal(ui_state_elem("nonsense"), UI_NORMAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_width, utf8_locale),
      cmocka_unit_test_setup(test_cut, utf8_locale),
      cmocka_unit_test_setup(test_wrap, utf8_locale),
      cmocka_unit_test(test_theme_parse),
      cmocka_unit_test(test_shipped_themes),
      cmocka_unit_test(test_theme_choose),
      cmocka_unit_test(test_keys),
      cmocka_unit_test(test_keys_config),
      cmocka_unit_test(test_list),
      cmocka_unit_test(test_cols),
      cmocka_unit_test(test_state_colours),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
