/* fixture: the dashboard's fixed store (fixture.sql) at a fixed time, for render and unit tests. */
#ifndef BT_TEST_FIXTURE_H
#define BT_TEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "store.h"
#include "testutil.h"
#include "util.h"

/* 2026-11-27 12:00:00 UTC: the fake "now" of every expected screen. */
#define FIXTURE_NOW 1795780800000LL

static inline int64_t fixture_clock(void) {
  return FIXTURE_NOW;
}

/* Open a fresh store at dir/batchtop.db and fill it from fixture.sql with now = FIXTURE_NOW. */
static inline bt_store *fixture_open(const char *dir) {
  char path[4096];
  snprintf(path, sizeof path, "%s/batchtop.db", dir);
  bt_store *s = NULL;
  bt_error err;
  error_clear(&err);
  if (store_open(path, &s, &err) != BT_OK)
    fail_msg("store_open: %s", err.message);
  char *sql_path = tu_source_path("tests/render/fixture.sql");
  char *sql = NULL;
  if (util_read_file(sql_path, 0, &sql, NULL, &err) != BT_OK)
    fail_msg("fixture: %s", err.message);
  char head[256];
  snprintf(head, sizeof head,
           "CREATE TEMP TABLE fx(now INTEGER); INSERT INTO fx VALUES (%lld); BEGIN;",
           (long long)FIXTURE_NOW);
  if (store_exec(s, head, &err) != BT_OK || store_exec(s, sql, &err) != BT_OK ||
      store_exec(s, "COMMIT; DROP TABLE fx;", &err) != BT_OK)
    fail_msg("fixture.sql: %s", err.message);
  free(sql);
  free(sql_path);
  util_clock_set(fixture_clock);
  return s;
}

/* cmocka setup/teardown around a test that reads the fixture: *state is a fixture_ctx. */
typedef struct {
  char *dir;
  bt_store *s;
} fixture_ctx;

static inline int fixture_setup(void **state) {
  fixture_ctx *f = calloc(1, sizeof *f);
  f->dir = tu_tmpdir();
  f->s = fixture_open(f->dir);
  *state = f;
  return 0;
}

static inline int fixture_teardown(void **state) {
  fixture_ctx *f = *state;
  store_close(f->s);
  tu_rmtree(f->dir);
  free(f->dir);
  free(f);
  util_clock_set(NULL);
  return 0;
}

#endif
