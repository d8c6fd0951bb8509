/* Unit tests: store_query over the fixed store: totals, job pages and sorts, one job's batches,
 * error groups and sparkline, task pages with filters, one task with its attempts. */
#include <string.h>

#include "../render/fixture.h"
#include "store_query.h"

static void test_totals(void **state) {
  fixture_ctx *f = *state;
  bt_qtotals t;
  bt_error err;
  /* Day start: 2026-11-27 00:00 UTC. */
  assert_int_equal(store_query_totals(f->s, FIXTURE_NOW - 12 * 3600000LL, &t, &err), BT_OK);
  assert_int_equal(t.jobs, 7);         /* four jobs and the pipeline's three stage jobs */
  assert_int_equal(t.running_jobs, 2); /* feedback-label and the pipeline (counted once) */
  /* Rows 666-990 of feedback-label (325) less the 82 its provider reported done; the pipeline's
   * 4 replies and 2 priorities are all reported done: each unfinished task once, at work. */
  assert_int_equal(t.tasks_in_flight, 243);
  /* Today: 620 * 0.0000278 (feedback-label) + 200 * 0.00078 (support-triage) + the pipeline's
   * 11 labels, 4 replies and 2 priorities. */
  assert_float_equal(t.spend_today_usd,
                     620 * 0.0000278 + 200 * 0.00078 + 11 * 0.00005 + 4 * 0.0009 + 2 * 0.00006,
                     1e-9);
  assert_float_equal(t.spend_total_usd, t.spend_today_usd, 1e-9);
}

/* A paused job (nobody can drive it: jobs.paused) is neither running nor in flight, and the
 * jobs list says paused for it, not its stored state (issue 14, item 9). */
static void test_paused_job(void **state) {
  fixture_ctx *f = *state;
  bt_error err;
  assert_int_equal(store_exec(f->s,
                              "UPDATE jobs SET state = 'submitting', paused = 'no API key for"
                              " openai' WHERE id = 'fb7k2m9q'",
                              &err),
                   BT_OK);
  bt_qtotals t;
  assert_int_equal(store_query_totals(f->s, FIXTURE_NOW - 12 * 3600000LL, &t, &err), BT_OK);
  assert_int_equal(t.running_jobs, 1); /* the pipeline only */
  /* feedback-label's 243 tasks at work are not in flight while nobody drives them; the
   * pipeline's unfinished tasks are all reported done. */
  assert_int_equal(t.tasks_in_flight, 0);
  bt_qjobs_opts o = {.sort = QSORT_NEWEST, .limit = 50, .now_ms = FIXTURE_NOW};
  bt_qjob_list l;
  assert_int_equal(store_query_jobs(f->s, &o, &l, &err), BT_OK);
  int seen = 0;
  for (size_t i = 0; i < l.n; i++) {
    if (strcmp(l.rows[i].id, "fb7k2m9q") == 0) {
      seen = 1;
      assert_non_null(l.rows[i].paused);
      assert_string_equal(l.rows[i].paused, "no API key for openai");
      assert_string_equal(store_query_job_state(&l.rows[i]), "paused");
      assert_int_equal(l.rows[i].eta_ms, -1); /* nobody drives it: no promise of when */
    } else {
      assert_null(l.rows[i].paused);
      assert_string_equal(store_query_job_state(&l.rows[i]), l.rows[i].state);
    }
  }
  assert_true(seen);
  store_query_jobs_cleanup(&l);
}

/* Honest numbers: the rate counts executed tasks only, the ETA never says 0s while work remains,
 * and says queued when the rest waits at the provider. */
static void test_rate_and_eta(void **state) {
  fixture_ctx *f = *state;
  bt_error err;
  /* product-tags (finished in a day): 30 succeeded and 20 failed ran; make 5 of the failed
   * expired and 5 cancelled, which never ran. */
  assert_int_equal(store_exec(f->s,
                              "UPDATE tasks SET state = 'expired' WHERE job_id = 'lc4p8w2z' AND"
                              " state = 'failed' AND row_no IN (SELECT row_no FROM tasks WHERE"
                              " job_id = 'lc4p8w2z' AND state = 'failed' LIMIT 5);"
                              "UPDATE tasks SET state = 'cancelled' WHERE job_id = 'lc4p8w2z' AND"
                              " state = 'failed' AND row_no IN (SELECT row_no FROM tasks WHERE"
                              " job_id = 'lc4p8w2z' AND state = 'failed' LIMIT 5)",
                              &err),
                   BT_OK);
  bt_qjob_list l;
  bt_qjobs_opts o = {QSORT_NAME, "product", 0, 10, FIXTURE_NOW};
  assert_int_equal(store_query_jobs(f->s, &o, &l, &err), BT_OK);
  assert_int_equal(l.n, 1);
  double life_min = (double)(l.rows[0].finished_at - l.rows[0].created_at) / 60000.0;
  assert_float_equal(l.rows[0].rate_per_min, 40.0 / life_min, 1e-9);
  store_query_jobs_cleanup(&l);

  /* feedback-label with nothing finished in the last minute and nothing reported: queued. */
  assert_int_equal(store_exec(f->s,
                              "DELETE FROM finish_log WHERE job_id = 'fb7k2m9q' AND at > "
                              "(SELECT max(at) FROM finish_log WHERE job_id = 'fb7k2m9q') - 60000;"
                              "UPDATE batches SET n_succeeded = 0, n_failed = 0 WHERE job_id ="
                              " 'fb7k2m9q' AND results_state <> 'ingested'",
                              &err),
                   BT_OK);
  o = (bt_qjobs_opts){QSORT_NAME, "feedback", 0, 10, FIXTURE_NOW};
  assert_int_equal(store_query_jobs(f->s, &o, &l, &err), BT_OK);
  assert_int_equal(l.n, 1);
  assert_true(l.rows[0].rate_per_min > 0); /* it did move, minutes ago */
  assert_int_equal(l.rows[0].eta_ms, BT_QUERY_ETA_QUEUED);
  store_query_jobs_cleanup(&l);

  /* One task left and a fast rate: at least 1 s, never 0. */
  assert_int_equal(store_exec(f->s,
                              "UPDATE tasks SET state = 'succeeded' WHERE job_id = 'fb7k2m9q' AND"
                              " state IN ('pending', 'running') AND row_no <> 990;"
                              "INSERT INTO finish_log(job_id, at, n, cost_usd) VALUES"
                              " ('fb7k2m9q', 1795780800000 - 1000, 300, 0)",
                              &err),
                   BT_OK);
  assert_int_equal(store_query_jobs(f->s, &o, &l, &err), BT_OK);
  assert_int_equal(l.rows[0].eta_ms, 1000);
  store_query_jobs_cleanup(&l);
}

static void test_jobs_page_and_sorts(void **state) {
  fixture_ctx *f = *state;
  bt_qjob_list l;
  bt_error err;
  bt_qjobs_opts o = {QSORT_NEWEST, NULL, 0, 10, FIXTURE_NOW};
  assert_int_equal(store_query_jobs(f->s, &o, &l, &err), BT_OK);
  assert_int_equal(l.total, 5); /* the pipeline is one row */
  assert_int_equal(l.n, 5);
  assert_string_equal(l.rows[0].id, "dr1ft5zz");
  assert_string_equal(l.rows[2].id, "tg7p1pe4");
  assert_string_equal(l.rows[1].id, "fb7k2m9q");
  bt_qjob *fb = &l.rows[1];
  assert_int_equal(fb->counts.total, 1000);
  assert_int_equal(fb->counts.n[TASK_SUCCEEDED], 620);
  assert_int_equal(fb->counts.n[TASK_FAILED], 40);
  assert_int_equal(fb->counts.n[TASK_EXPIRED], 5);
  assert_int_equal(fb->counts.n[TASK_RUNNING], 325);
  assert_int_equal(fb->counts.n[TASK_PENDING], 10);
  /* The batch in progress reported 80 + 2 done before its results are downloaded. */
  assert_int_equal(fb->reported_ok, 80);
  assert_int_equal(fb->reported_failed, 2);
  bt_counts shown;
  store_query_progress(fb, &shown);
  assert_int_equal(shown.n[TASK_SUCCEEDED], 700);
  assert_int_equal(shown.n[TASK_FAILED], 42);
  assert_int_equal(shown.n[TASK_RUNNING], 243);
  int64_t sum = 0;
  for (int k = 0; k < TASK_STATE_COUNT; k++)
    sum += shown.n[k];
  assert_int_equal(sum, shown.total);
  /* 447 finished in the last 5 minutes, and 82 the provider reported done */
  assert_true(fb->rate_per_min > 100 && fb->rate_per_min < 110);
  assert_true(fb->eta_ms > 0);
  assert_int_equal(l.rows[0].eta_ms, -1); /* draft: nothing moves */
  store_query_jobs_cleanup(&l);

  o.sort = QSORT_NAME;
  o.offset = 1;
  o.limit = 2;
  assert_int_equal(store_query_jobs(f->s, &o, &l, &err), BT_OK);
  assert_int_equal(l.n, 2);
  assert_string_equal(l.rows[0].name, "feedback-label"); /* after draft-summaries */
  store_query_jobs_cleanup(&l);

  o = (bt_qjobs_opts){QSORT_COST, "anthropic", 0, 10, FIXTURE_NOW};
  assert_int_equal(store_query_jobs(f->s, &o, &l, &err), BT_OK);
  assert_int_equal(l.total, 2); /* support-triage and the pipeline (its reply stage) */
  assert_string_equal(l.rows[0].id, "ctb93xq1");
  assert_string_equal(l.rows[1].id, "tg7p1pe4");
  assert_true(l.rows[0].finished_at > 0);
  assert_float_equal(l.rows[0].rate_per_min, 200.0 / 30.0, 1e-6); /* 200 over 30 minutes */
  store_query_jobs_cleanup(&l);

  /* LIKE wildcards in the filter are literal. */
  o.filter = "%";
  assert_int_equal(store_query_jobs(f->s, &o, &l, &err), BT_OK);
  assert_int_equal(l.total, 0);
  store_query_jobs_cleanup(&l);
}

static void test_job_detail(void **state) {
  fixture_ctx *f = *state;
  bt_qjob_detail d;
  bt_error err;
  assert_int_equal(store_query_job(f->s, "fb7k2m9q", FIXTURE_NOW, 24, &d, &err), BT_OK);
  assert_string_equal(d.job.name, "feedback-label");
  assert_int_equal(d.n_batches, 6);
  assert_string_equal(d.batches[2].remote_status, "finalizing");
  assert_string_equal(d.batches[4].remote_status, "validating");
  assert_int_equal(d.batches[5].round, 2);
  assert_int_equal(d.n_errors, 3);
  assert_string_equal(d.errors[0].code, "rate_limit_exceeded");
  assert_int_equal(d.errors[0].n, 25);
  assert_non_null(d.errors[0].sample);
  assert_string_equal(d.errors[1].code, "invalid_request_error");
  assert_string_equal(d.errors[2].code, "expired");
  assert_int_equal(d.errors[2].n, 5);
  assert_int_equal(d.n_spark, 24);
  int64_t sum = 0;
  for (int i = 0; i < d.n_spark; i++)
    sum += d.spark[i];
  assert_int_equal(sum, 666);      /* 665 first attempts + one retry */
  assert_int_equal(d.spark[0], 0); /* nothing finished in the first minute */
  store_query_job_cleanup(&d);
  assert_int_equal(store_query_job(f->s, "nope", FIXTURE_NOW, 8, &d, &err), BT_ERR_NOT_FOUND);
  store_query_job_cleanup(&d);
}

static void test_tasks_filters(void **state) {
  fixture_ctx *f = *state;
  bt_qtask_list l;
  bt_error err;
  bt_qtasks_opts o = {"fb7k2m9q", -1, NULL, NULL, 0, 20};
  assert_int_equal(store_query_tasks(f->s, &o, &l, &err), BT_OK);
  assert_int_equal(l.total, 1000);
  assert_int_equal(l.n, 20);
  assert_int_equal(l.rows[0].row_no, 1);
  assert_string_equal(l.rows[0].snippet, "feature");
  store_query_tasks_cleanup(&l);

  o.state = TASK_FAILED;
  o.offset = 24;
  assert_int_equal(store_query_tasks(f->s, &o, &l, &err), BT_OK);
  assert_int_equal(l.total, 40);
  assert_int_equal(l.n, 16);
  assert_int_equal(l.rows[0].row_no, 645);
  assert_string_equal(l.rows[1].error_code, "invalid_request_error");
  assert_true(strstr(l.rows[1].snippet, "string too long") != NULL);
  store_query_tasks_cleanup(&l);

  o = (bt_qtasks_opts){"fb7k2m9q", -1, "expired", NULL, 0, 20};
  assert_int_equal(store_query_tasks(f->s, &o, &l, &err), BT_OK);
  assert_int_equal(l.total, 5);
  assert_int_equal(l.rows[0].row_no, 661);
  store_query_tasks_cleanup(&l);

  o = (bt_qtasks_opts){"fb7k2m9q", TASK_SUCCEEDED, NULL, "dark mode", 0, 5};
  assert_int_equal(store_query_tasks(f->s, &o, &l, &err), BT_OK);
  assert_int_equal(l.total, 124); /* rows with i % 5 == 1 up to 620 */
  assert_int_equal(l.rows[0].row_no, 1);
  assert_int_equal(l.rows[1].row_no, 6);
  store_query_tasks_cleanup(&l);
}

/* Unfiltered pages of every job (gapless row numbers or not) hold exactly the rows OFFSET
 * gives: the row_no seek the query takes on gapless jobs must not shift a page. */
static void test_tasks_pages(void **state) {
  fixture_ctx *f = *state;
  bt_error err;
  sqlite3_stmt *jobs, *ref;
  assert_int_equal(store_prepare(f->s, "SELECT id FROM jobs", &jobs, &err), BT_OK);
  assert_int_equal(store_prepare(f->s,
                                 "SELECT row_no FROM tasks WHERE job_id = ? ORDER BY row_no"
                                 " LIMIT 7 OFFSET ?",
                                 &ref, &err),
                   BT_OK);
  int pages = 0;
  while (sqlite3_step(jobs) == SQLITE_ROW) {
    const char *job = (const char *)sqlite3_column_text(jobs, 0);
    const int64_t offsets[] = {0, 1, 6, 7, 150, 199, 200, 995, 1000, 5000};
    for (size_t k = 0; k < sizeof offsets / sizeof offsets[0]; k++) {
      bt_qtasks_opts o = {job, -1, NULL, NULL, offsets[k], 7};
      bt_qtask_list l;
      assert_int_equal(store_query_tasks(f->s, &o, &l, &err), BT_OK);
      sqlite3_bind_text(ref, 1, job, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(ref, 2, offsets[k]);
      size_t n = 0;
      while (sqlite3_step(ref) == SQLITE_ROW) {
        assert_true(n < l.n);
        assert_int_equal(l.rows[n].row_no, sqlite3_column_int64(ref, 0));
        n++;
      }
      sqlite3_reset(ref);
      assert_int_equal(n, l.n);
      store_query_tasks_cleanup(&l);
      pages++;
    }
  }
  sqlite3_finalize(ref);
  sqlite3_finalize(jobs);
  assert_true(pages >= 30);
}

static void test_task_detail(void **state) {
  fixture_ctx *f = *state;
  bt_qtask_list l;
  bt_error err;
  bt_qtasks_opts o = {"fb7k2m9q", -1, "rate_limit_exceeded", NULL, 0, 1};
  assert_int_equal(store_query_tasks(f->s, &o, &l, &err), BT_OK);
  assert_int_equal(l.n, 1);
  int64_t id = l.rows[0].id;
  store_query_tasks_cleanup(&l);
  bt_qtask_detail d;
  assert_int_equal(store_query_task(f->s, id, &d, &err), BT_OK);
  assert_int_equal(d.row_no, 621);
  assert_string_equal(d.job_id, "fb7k2m9q");
  assert_int_equal(d.n_att, 2);
  assert_string_equal(d.attempts[0].error_code, "server_error");
  assert_string_equal(d.attempts[1].error_code, "rate_limit_exceeded");
  assert_int_equal(d.attempts[1].http_status, 429);
  assert_string_equal(d.attempts[1].batch_remote_id, "batch_6745a2c01f77");
  store_query_task_cleanup(&d);
  assert_int_equal(store_query_task(f->s, 999999, &d, &err), BT_ERR_NOT_FOUND);
  store_query_task_cleanup(&d);
}

static void test_data_version(void **state) {
  fixture_ctx *f = *state;
  char name[64];
  bt_error err;
  assert_int_equal(store_query_job_name(f->s, "ctb93xq1", name, sizeof name, &err), BT_OK);
  assert_string_equal(name, "support-triage");
  assert_int_equal(store_query_job_name(f->s, "zzz", name, sizeof name, &err), BT_OK);
  assert_string_equal(name, "");
  assert_true(store_query_data_version(f->s) >= 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_totals, fixture_setup, fixture_teardown),
      cmocka_unit_test_setup_teardown(test_rate_and_eta, fixture_setup, fixture_teardown),
      cmocka_unit_test_setup_teardown(test_paused_job, fixture_setup, fixture_teardown),
      cmocka_unit_test_setup_teardown(test_jobs_page_and_sorts, fixture_setup, fixture_teardown),
      cmocka_unit_test_setup_teardown(test_job_detail, fixture_setup, fixture_teardown),
      cmocka_unit_test_setup_teardown(test_tasks_filters, fixture_setup, fixture_teardown),
      cmocka_unit_test_setup_teardown(test_tasks_pages, fixture_setup, fixture_teardown),
      cmocka_unit_test_setup_teardown(test_task_detail, fixture_setup, fixture_teardown),
      cmocka_unit_test_setup_teardown(test_data_version, fixture_setup, fixture_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
