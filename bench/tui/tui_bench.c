/* tui_bench: the dashboard's speed over a big store, headless.
 *
 *   tui_bench fill DB JOBS TASKS       make a store of JOBS jobs and TASKS tasks (one transaction)
 *   tui_bench fixture DB SQL [NOW_MS]  make a store from tests/render/fixture.sql (screenshots)
 *   tui_bench run DB [ROWS COLS]       time to first frame, full redraws, reload+redraw, the
 *                                      biggest job's views, peak memory; prints one line each
 *
 * Built by bench/tui/run.sh against the static libraries of a normal build. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "app.h"
#include "store.h"
#include "store_query.h"
#include "util.h"

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static bt_store *open_store(const char *path) {
  bt_store *s = NULL;
  bt_error err;
  error_clear(&err);
  if (store_open(path, &s, &err) != BT_OK) {
    fprintf(stderr, "tui_bench: %s\n", err.message);
    exit(1);
  }
  return s;
}

static void exec_or_die(bt_store *s, const char *sql) {
  bt_error err;
  error_clear(&err);
  if (store_exec(s, sql, &err) != BT_OK) {
    fprintf(stderr, "tui_bench: %s\n", err.message);
    exit(1);
  }
}

static int fill(const char *db, long jobs, long tasks) {
  bt_store *s = open_store(db);
  /* Job 1 holds a tenth of the tasks (a big job to page through); the rest share the others. */
  long big = tasks / 10, per = (tasks - big) / (jobs - 1);
  big = tasks - per * (jobs - 1);
  char sql[8192];
  double t0 = now_ms();
  exec_or_die(s, "BEGIN");
  /* Jobs: most finished long ago, the newest 20 running, and job 1 (the big one). */
  snprintf(sql, sizeof sql,
           "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %ld)"
           " INSERT INTO jobs (id, name, provider, model, endpoint, state, est_cost_usd,"
           " est_cost_std_usd, created_at, updated_at, finished_at)"
           " SELECT printf('j%%07d', i), printf('job-%%05d', i),"
           " CASE i %% 3 WHEN 0 THEN 'openai' WHEN 1 THEN 'anthropic' ELSE 'local' END,"
           " 'gpt-4o-mini', '/v1/chat/completions',"
           " CASE WHEN i > %ld - 20 OR i = 1 THEN 'running' ELSE 'completed' END, 0.5, 1.0,"
           " %lld - (%ld - i) * 60000, %lld, CASE WHEN i > %ld - 20 OR i = 1 THEN NULL"
           " ELSE %lld - (%ld - i) * 60000 + 30000 END FROM seq",
           jobs, jobs, (long long)util_now_ms(), jobs, (long long)util_now_ms(), jobs,
           (long long)util_now_ms(), jobs);
  exec_or_die(s, sql);
  /* Tasks (their input and request inline in two scratch columns, moved to task_inputs
   * below): job 1 gets the remainder (the big one), the others `per` each. */
  exec_or_die(s,
              "ALTER TABLE tasks ADD COLUMN input TEXT; ALTER TABLE tasks ADD COLUMN request TEXT");
  snprintf(sql, sizeof sql,
           "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %ld)"
           " INSERT INTO tasks (job_id, row_no, line_no, custom_id, state, input, request,"
           " request_bytes, updated_at, error_code)"
           " SELECT 'j0000001', i, i + 1, 'row-' || i,"
           " CASE WHEN i %% 50 = 0 THEN 'failed' WHEN i %% 3 = 0 THEN 'running'"
           " ELSE 'succeeded' END, '{\"text\":\"row ' || i || '\"}', '{}', 2, 0,"
           " CASE WHEN i %% 50 = 0 THEN 'rate_limit_exceeded' END FROM seq",
           big);
  exec_or_die(s, sql);
  snprintf(sql, sizeof sql,
           "WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < %ld)"
           " INSERT INTO tasks (job_id, row_no, line_no, custom_id, state, input, request,"
           " request_bytes, updated_at)"
           " SELECT printf('j%%07d', 2 + i / %ld), i %% %ld + 1, i %% %ld + 2,"
           " 'row-' || (i %% %ld + 1), CASE WHEN i %% 7 = 0 THEN 'failed' ELSE 'succeeded' END,"
           " '{}', '{}', 2, 0 FROM seq",
           per * (jobs - 1) - 1, per, per, per, per);
  exec_or_die(s, sql);
  exec_or_die(s, "INSERT INTO task_inputs (task_id, input, request) SELECT id, input, request"
                 " FROM tasks; ALTER TABLE tasks DROP COLUMN input;"
                 " ALTER TABLE tasks DROP COLUMN request");
  exec_or_die(s, "COMMIT");
  printf("fill: %ld jobs, %ld tasks in %.1f s\n", jobs, tasks, (now_ms() - t0) / 1000);
  store_close(s);
  return 0;
}

static int fixture(const char *db, const char *sql_path, long long now) {
  bt_store *s = open_store(db);
  char *sql = NULL;
  bt_error err;
  error_clear(&err);
  if (util_read_file(sql_path, 0, &sql, NULL, &err) != BT_OK) {
    fprintf(stderr, "tui_bench: %s\n", err.message);
    return 1;
  }
  char head[128];
  snprintf(head, sizeof head, "CREATE TEMP TABLE fx(now INTEGER); INSERT INTO fx VALUES (%lld);",
           now);
  exec_or_die(s, head);
  exec_or_die(s, "BEGIN");
  exec_or_die(s, sql);
  exec_or_die(s, "COMMIT");
  free(sql);
  store_close(s);
  return 0;
}

static long peak_rss_kb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

static int run(const char *db, int rows, int cols) {
  setlocale(LC_ALL, "C.UTF-8");
  double t0 = now_ms();
  bt_store *s = open_store(db);
  ui_theme theme;
  ui_theme_builtin(&theme);
  bt_config cfg;
  config_init(&cfg);
  bt_app_opts o = {&cfg, s, &theme, NULL, NULL, rows, cols};
  bt_app *app = NULL;
  bt_error err;
  error_clear(&err);
  if (app_new(&o, &app, &err) != BT_OK || app_push(app, &view_jobs_ops, NULL) != BT_OK) {
    fprintf(stderr, "tui_bench: cannot open the dashboard: %s\n", err.message);
    return 1;
  }
  app_draw(app);
  double first = now_ms() - t0;

  int n = 1000;
  double t1 = now_ms();
  for (int i = 0; i < n; i++)
    app_draw(app);
  double redraw = (now_ms() - t1) / n;

  int m = 50;
  double t2 = now_ms();
  for (int i = 0; i < m; i++) {
    app_reload(app);
    app_draw(app);
  }
  double reload = (now_ms() - t2) / m;

  /* The biggest job: sorted by name it is job-00001, first in the list. */
  app_key(app, 's');
  app_key(app, 's');
  double t3 = now_ms();
  app_key(app, '\n');
  app_draw(app);
  double job_open = now_ms() - t3;
  if (app->stack[app->depth - 1].ops != &view_job_ops) {
    fprintf(stderr, "tui_bench: the job view did not open: %s\n", app->message);
    return 1;
  }
  double t4 = now_ms();
  app_key(app, 't'); /* all the job's tasks */
  app_draw(app);
  double tasks_open = now_ms() - t4;
  if (app->stack[app->depth - 1].ops != &view_tasks_ops) {
    fprintf(stderr, "tui_bench: the tasks view did not open: %s\n", app->message);
    return 1;
  }
  double t5 = now_ms();
  app_key(app, 'G');
  app_draw(app);
  double tasks_end = now_ms() - t5;
  double t6 = now_ms();
  for (int i = 0; i < 4; i++)
    app_key(app, 'f'); /* state filter: failed */
  app_key(app, 'G');
  app_draw(app);
  double tasks_failed = now_ms() - t6;
  for (int i = 0; i < 3; i++)
    app_key(app, 'f'); /* expired, cancelled, then no filter */
  double t7 = now_ms();
  app_key(app, 'f');
  app_key(app, 'f'); /* running: not indexed by state, so a walk over the job's rows */
  app_key(app, 'G');
  app_draw(app);
  double tasks_running = now_ms() - t7;

  long rss = peak_rss_kb();
  app_free(app);
  store_close(s);
  config_cleanup(&cfg);
  printf("first_frame_ms %.2f\n", first);
  printf("redraw_ms %.3f\n", redraw);
  printf("reload_redraw_ms %.2f\n", reload);
  printf("job_view_open_ms %.2f\n", job_open);
  printf("tasks_view_open_ms %.2f\n", tasks_open);
  printf("tasks_last_page_ms %.2f\n", tasks_end);
  printf("tasks_failed_last_page_ms %.2f\n", tasks_failed);
  printf("tasks_running_last_page_ms %.2f\n", tasks_running);
  printf("peak_rss_mb %.1f\n", rss / 1024.0);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 5 && strcmp(argv[1], "fill") == 0)
    return fill(argv[2], atol(argv[3]), atol(argv[4]));
  if (argc >= 4 && strcmp(argv[1], "fixture") == 0)
    return fixture(argv[2], argv[3], argc >= 5 ? atoll(argv[4]) : (long long)util_now_ms());
  if (argc >= 3 && strcmp(argv[1], "run") == 0)
    return run(argv[2], argc >= 5 ? atoi(argv[3]) : 40, argc >= 5 ? atoi(argv[4]) : 120);
  fprintf(stderr,
          "usage: tui_bench fill DB JOBS TASKS | fixture DB SQL [NOW_MS] | run DB [ROWS COLS]\n");
  return 1;
}
