/* golden: headless dashboard screens compared with expected screens written in the tests.
 *
 * golden_app() opens the app headless at rows x cols over the fixture store, in a UTF-8 locale
 * and UTC, with the built-in theme. golden_check() dumps the screen (text, and optionally the
 * colour elements) and compares it with the expected text. On a mismatch the test fails and
 * prints both; with BT_GOLDEN_OUT=DIR set, the actual screens are also written to DIR/NAME.txt
 * and DIR/NAME.elems so a deliberate change can be reviewed and pasted in. */
#ifndef BT_TEST_GOLDEN_H
#define BT_TEST_GOLDEN_H

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "engine.h"
#include "fixture.h"
#include "ui_dump.h"

static inline void golden_env(void) {
  setenv("TZ", "UTC", 1);
  tzset();
  if (!setlocale(LC_ALL, "C.UTF-8"))
    setlocale(LC_ALL, "C.utf8");
  unsetenv("NO_COLOR");
}

static inline bt_app *golden_app(bt_store *s, const bt_config *cfg, int rows, int cols) {
  golden_env();
  ui_theme theme;
  ui_theme_builtin(&theme);
  util_strlcpy(theme.name, "default", sizeof theme.name);
  bt_app_opts o = {cfg, s, &theme, NULL, NULL, rows, cols};
  bt_app *app = NULL;
  bt_error err;
  error_clear(&err);
  if (app_new(&o, &app, &err) != BT_OK)
    fail_msg("app_new: %s", err.message);
  if (app_push(app, &view_jobs_ops, NULL) != BT_OK)
    fail_msg("jobs view did not open: %s", app->message);
  return app;
}

static inline void golden_save(const char *name, const char *ext, const char *text) {
  const char *dir = getenv("BT_GOLDEN_OUT");
  if (!dir || !*dir)
    return;
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
  FILE *f = fopen(path, "w");
  if (f) {
    fputs(text, f);
    fclose(f);
  }
}

/* Compare the screen with expected text (and, when expected_elems is not NULL, elements). */
static inline void golden_check(bt_app *app, const char *name, const char *expected_text,
                                const char *expected_elems) {
  app_draw(app);
  bt_buf text, elems;
  buf_init(&text, 0);
  buf_init(&elems, 0);
  assert_int_equal(ui_dump_text(stdscr, &text), BT_OK);
  assert_int_equal(ui_dump_elements(stdscr, &elems), BT_OK);
  golden_save(name, "txt", buf_str(&text));
  golden_save(name, "elems", buf_str(&elems));
  int bad = strcmp(buf_str(&text), expected_text) != 0;
  if (bad)
    fprintf(stderr, "--- %s: expected screen ---\n%s--- actual screen ---\n%s---\n", name,
            expected_text, buf_str(&text));
  int bad_el = expected_elems && strcmp(buf_str(&elems), expected_elems) != 0;
  if (bad_el)
    fprintf(stderr, "--- %s: expected elements ---\n%s--- actual elements ---\n%s---\n", name,
            expected_elems, buf_str(&elems));
  buf_cleanup(&text);
  buf_cleanup(&elems);
  const char *authoring = getenv("BT_GOLDEN_OUT");
  if ((bad || bad_el) && !(authoring && *authoring))
    fail_msg("%s: the screen differs from the expected one (see above)", name);
}

/* The fixture store in a fresh folder, and its removal. */
typedef struct {
  char *dir;
  bt_store *s;
} golden_store;

static inline golden_store golden_store_open(void) {
  golden_store g;
  g.dir = tu_tmpdir();
  g.s = fixture_open(g.dir);
  /* feedback-label is driven by this process (as by a dashboard's engine); triage's stages by
   * nobody (stalled). A pid is only known at run time, so this is not in fixture.sql. */
  char sql[256];
  snprintf(sql, sizeof sql,
           "INSERT INTO leases(job_id, owner, pid, expires_at) VALUES ('fb7k2m9q', 'golden', %lld,"
           " %lld)",
           (long long)getpid(), (long long)FIXTURE_NOW + 30000);
  bt_error err;
  error_clear(&err);
  if (store_exec(g.s, sql, &err) != BT_OK)
    fail_msg("golden lease: %s", err.message);
  return g;
}

static inline void golden_store_close(golden_store *g) {
  store_close(g->s);
  tu_rmtree(g->dir);
  free(g->dir);
}

/* An engine on the fixture store that is never started: the dashboard's commands queue in it
 * and nothing runs them, so a test sees what a dashboard with an engine does up to the
 * engine. Free with engine_free(). */
static inline bt_engine *golden_engine(const golden_store *g, bt_config *cfg) {
  config_init(cfg);
  char path[4096];
  snprintf(path, sizeof path, "%s/batchtop.db", g->dir);
  bt_engine_opts o;
  memset(&o, 0, sizeof o);
  o.cfg = cfg;
  o.store_path = path;
  bt_engine *e = NULL;
  bt_error err;
  error_clear(&err);
  if (engine_new(&o, &e, &err) != BT_OK)
    fail_msg("engine_new: %s", err.message);
  return e;
}

/* Send keys given as a string of characters (plain keys only). */
static inline void golden_keys(bt_app *app, const char *keys) {
  for (const char *p = keys; *p; p++)
    app_key(app, (unsigned char)*p);
}

#endif
