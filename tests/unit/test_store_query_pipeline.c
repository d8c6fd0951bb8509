/* Unit tests: store_query over the fixture's pipeline (triage: label, reply, priority): one row
 * in the jobs list with its stages, the pipeline detail, and a row's lineage through the stages
 * (succeeded, skipped by a where-condition, blocked by a failure upstream, waiting). */
#include <string.h>

#include "../render/fixture.h"
#include "store_query.h"

static const bt_qjob *find_row(const bt_qjob_list *l, const char *id) {
  for (size_t i = 0; i < l->n; i++)
    if (!strcmp(l->rows[i].id, id))
      return &l->rows[i];
  return NULL;
}

static void test_pipeline_row(void **state) {
  fixture_ctx *f = *state;
  bt_qjob_list l;
  bt_error err;
  bt_qjobs_opts o = {QSORT_NEWEST, NULL, 0, 10, FIXTURE_NOW};
  assert_int_equal(store_query_jobs(f->s, &o, &l, &err), BT_OK);
  /* No stage job is listed on its own. */
  for (size_t i = 0; i < l.n; i++)
    assert_null(strchr(l.rows[i].name, '/'));
  const bt_qjob *p = find_row(&l, "tg7p1pe4");
  assert_non_null(p);
  assert_string_equal(p->name, "triage");
  assert_string_equal(p->state, "running"); /* reply runs, priority is held */
  assert_int_equal(p->finished_at, 0);
  assert_int_equal(p->eta_ms, -1);
  assert_int_equal(p->n_stages, 3);
  assert_string_equal(p->stages[0].stage_name, "label");
  assert_string_equal(p->stages[1].job.provider, "anthropic");
  assert_string_equal(p->stages[2].job.name, "triage/priority");
  assert_int_equal(p->stages[0].job.counts.total, 12);
  assert_int_equal(p->stages[0].job.counts.n[TASK_FAILED], 1);
  assert_int_equal(p->stages[1].job.counts.total, 8);
  assert_int_equal(p->stages[1].job.counts.n[TASK_RUNNING], 4);
  assert_int_equal(p->stages[1].skipped, 3); /* the praise rows */
  assert_int_equal(p->stages[0].skipped, 0);
  assert_int_equal(p->stages[2].hold, 1);
  assert_int_equal(p->stages[1].hold, 0);
  /* Sums over the stages. */
  assert_int_equal(p->counts.total, 12 + 8 + 4);
  assert_int_equal(p->counts.n[TASK_SUCCEEDED], 11 + 4 + 2);
  assert_int_equal(p->counts.n[TASK_RUNNING], 4 + 2);
  assert_float_equal(p->est_cost_usd, 0.0009 + 0.0120 + 0.0030, 1e-9);
  assert_float_equal(p->actual_cost_usd, 11 * 0.00005 + 4 * 0.0009 + 2 * 0.00006, 1e-9);
  assert_true(p->rate_per_min > 0);
  store_query_jobs_cleanup(&l);

  /* Sorted by name it comes last; a filter finds it by a stage's model, not by a stage name. */
  o.sort = QSORT_NAME;
  assert_int_equal(store_query_jobs(f->s, &o, &l, &err), BT_OK);
  assert_string_equal(l.rows[l.n - 1].id, "tg7p1pe4");
  store_query_jobs_cleanup(&l);
  /* By state the running ones come first, newest first: feedback-label, then the pipeline. */
  o.sort = QSORT_STATE;
  assert_int_equal(store_query_jobs(f->s, &o, &l, &err), BT_OK);
  assert_string_equal(l.rows[0].id, "fb7k2m9q");
  assert_string_equal(l.rows[1].id, "tg7p1pe4");
  store_query_jobs_cleanup(&l);
  /* Oldest first, paged: the pipeline (40m) after product-tags (1d) and support-triage (2h). */
  o.sort = QSORT_OLDEST;
  o.offset = 2;
  o.limit = 1;
  assert_int_equal(store_query_jobs(f->s, &o, &l, &err), BT_OK);
  assert_int_equal(l.total, 5);
  assert_int_equal(l.n, 1);
  assert_string_equal(l.rows[0].id, "tg7p1pe4");
  assert_int_equal(l.rows[0].n_stages, 3);
  store_query_jobs_cleanup(&l);
  o.offset = 0;
  o.limit = 10;
  o.filter = "haiku";
  assert_int_equal(store_query_jobs(f->s, &o, &l, &err), BT_OK);
  assert_int_equal(l.total, 2);
  assert_non_null(find_row(&l, "tg7p1pe4"));
  store_query_jobs_cleanup(&l);

  /* Once every stage has ended and none is held: failed (label failed), not running. */
  assert_int_equal(store_exec(f->s,
                              "UPDATE jobs SET hold = 0, state = 'completed', finished_at = 5"
                              " WHERE pipeline_id = 'tg7p1pe4';"
                              "UPDATE jobs SET state = 'failed' WHERE id = 'tg1label'",
                              &err),
                   BT_OK);
  o.filter = "triage";
  assert_int_equal(store_query_jobs(f->s, &o, &l, &err), BT_OK);
  p = find_row(&l, "tg7p1pe4");
  assert_non_null(p);
  assert_string_equal(p->state, "failed");
  assert_int_equal(p->finished_at, 5);
  store_query_jobs_cleanup(&l);
}

static void test_pipeline_detail(void **state) {
  fixture_ctx *f = *state;
  bt_qpipeline d;
  bt_error err;
  assert_int_equal(store_query_pipeline(f->s, "tg7p1pe4", FIXTURE_NOW, &d, &err), BT_OK);
  assert_string_equal(d.row.name, "triage");
  assert_string_equal(d.path, "examples/triage.pipeline.yaml");
  assert_string_equal(d.input_path, "examples/feedback.csv");
  assert_int_equal(d.row.n_stages, 3);
  assert_int_equal(d.row.stages[2].stage_no, 3);
  assert_int_equal(d.row.stages[2].job.counts.n[TASK_SUCCEEDED], 2);
  store_query_pipeline_cleanup(&d);
  assert_int_equal(store_query_pipeline(f->s, "fb7k2m9q", FIXTURE_NOW, &d, &err), BT_ERR_NOT_FOUND);
  store_query_pipeline_cleanup(&d);
}

static void test_lineage(void **state) {
  fixture_ctx *f = *state;
  bt_qlineage l;
  bt_error err;
  /* Row 2 went all the way. */
  assert_int_equal(store_query_lineage(f->s, "tg3prio0", 2, &l, &err), BT_OK);
  assert_string_equal(l.pipeline_name, "triage");
  assert_int_equal(l.n, 3);
  assert_string_equal(l.stages[0].status, "succeeded");
  assert_string_equal(l.stages[0].output, "bug");
  assert_string_equal(l.stages[1].status, "succeeded");
  assert_string_equal(l.stages[2].output, "high");
  assert_int_equal(l.stages[2].n_att, 1);
  assert_string_equal(l.stages[2].attempts[0].batch_remote_id, "batch_67b0d4c3b2a1");
  store_query_lineage_cleanup(&l);
  /* Row 1 was praise: reply skipped it, so priority never saw it. */
  assert_int_equal(store_query_lineage(f->s, "tg1label", 1, &l, &err), BT_OK);
  assert_string_equal(l.stages[1].status, "skipped");
  assert_int_equal(l.stages[1].task_id, 0);
  assert_int_equal(l.stages[1].n_att, 0);
  assert_string_equal(l.stages[2].status, "skipped");
  store_query_lineage_cleanup(&l);
  /* Row 12 failed twice in label: blocked after. */
  assert_int_equal(store_query_lineage(f->s, "tg1label", 12, &l, &err), BT_OK);
  assert_string_equal(l.stages[0].status, "failed");
  assert_int_equal(l.stages[0].n_att, 2);
  assert_string_equal(l.stages[0].attempts[1].error_code, "server_error");
  assert_string_equal(l.stages[1].status, "blocked");
  assert_string_equal(l.stages[2].status, "blocked");
  store_query_lineage_cleanup(&l);
  /* Row 7 is still running in reply: waiting in priority. */
  assert_int_equal(store_query_lineage(f->s, "tg2reply", 7, &l, &err), BT_OK);
  assert_string_equal(l.stages[1].status, "running");
  assert_string_equal(l.stages[2].status, "waiting");
  store_query_lineage_cleanup(&l);
  /* A job outside pipelines has none. */
  assert_int_equal(store_query_lineage(f->s, "fb7k2m9q", 1, &l, &err), BT_OK);
  assert_int_equal(l.n, 0);
  assert_null(l.pipeline_name);
  store_query_lineage_cleanup(&l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_pipeline_row, fixture_setup, fixture_teardown),
      cmocka_unit_test_setup_teardown(test_pipeline_detail, fixture_setup, fixture_teardown),
      cmocka_unit_test_setup_teardown(test_lineage, fixture_setup, fixture_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
