/* Unit tests: the engine thread's command queue, event queue and wake fd, used from several
 * threads at once (BT_TEST_TSAN: this file also runs under ThreadSanitizer), and a local job
 * driven end to end against a closed port (every request fails after its retries, and the
 * job still ends with every task in exactly one state). */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "engine.h"
#include "job.h"
#include "job_report.h"
#include "store_job.h"
#include "testutil.h"
#include "util.h"

/* Event kinds seen so far (a bit per kind), across calls. */
static unsigned seen_kinds;

typedef struct {
  char *dir;
  char path[4096];
  bt_config cfg;
} fixture;

static int setup(void **state) {
  seen_kinds = 0;
  fixture *f = calloc(1, sizeof *f);
  f->dir = tu_tmpdir();
  snprintf(f->path, sizeof f->path, "%s/batchtop.db", f->dir);
  config_init(&f->cfg);
  free(f->cfg.local_url);
  f->cfg.local_url = strdup("http://127.0.0.1:9/v1"); /* discard port: nothing listens */
  f->cfg.poll_ms = 20;
  setenv("BATCHTOP_MAX_RETRIES", "1", 1);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  config_cleanup(&f->cfg);
  tu_rmtree(f->dir);
  free(f->dir);
  free(f);
  return 0;
}

/* Wait (bounded) for an event of kind; returns 1 when seen (now or earlier). */
static int wait_event(bt_engine *e, bt_engine_event_kind kind, const char *job, int ms) {
  int64_t end = util_mono_ms() + ms;
  while (!(seen_kinds & (1u << kind)) && util_mono_ms() < end) {
    struct pollfd p = {engine_wake_fd(e), POLLIN, 0};
    poll(&p, 1, 100);
    bt_engine_event ev[16];
    size_t n;
    while ((n = engine_events(e, ev, 16)) > 0)
      for (size_t i = 0; i < n; i++)
        if (!job || !ev[i].job_id[0] || !strcmp(ev[i].job_id, job))
          seen_kinds |= 1u << ev[i].kind;
  }
  return (seen_kinds & (1u << kind)) != 0;
}

static void test_idle_and_unknown_job(void **state) {
  fixture *f = *state;
  bt_engine_opts o = {&f->cfg, f->path, 0};
  bt_engine *e;
  bt_error err;
  assert_int_equal(engine_new(&o, &e, &err), BT_OK);
  assert_int_equal(engine_start(e, &err), BT_OK);
  engine_drive(e, "nosuchjb");
  assert_true(wait_event(e, ENGINE_EV_JOB_ERROR, "nosuchjb", 5000));
  assert_true(wait_event(e, ENGINE_EV_IDLE, NULL, 5000));
  engine_free(e);
}

typedef struct {
  bt_engine *e;
  int n;
} hammer_arg;

static void *hammer(void *arg) {
  hammer_arg *h = arg;
  for (int i = 0; i < h->n; i++) {
    engine_refresh(h->e);
    if (i % 10 == 0)
      engine_cancel(h->e, "nosuchjb");
  }
  return NULL;
}

static void test_queues_from_threads(void **state) {
  fixture *f = *state;
  bt_engine_opts o = {&f->cfg, f->path, 0};
  bt_engine *e;
  bt_error err;
  assert_int_equal(engine_new(&o, &e, &err), BT_OK);
  assert_int_equal(engine_start(e, &err), BT_OK);
  pthread_t t[3];
  hammer_arg h = {e, 200};
  for (int i = 0; i < 3; i++)
    pthread_create(&t[i], NULL, hammer, &h);
  /* the front end drains events meanwhile */
  int64_t end = util_mono_ms() + 300;
  size_t total = 0;
  while (util_mono_ms() < end) {
    bt_engine_event ev[8];
    total += engine_events(e, ev, 8);
  }
  for (int i = 0; i < 3; i++)
    pthread_join(t[i], NULL);
  (void)total;
  engine_free(e); /* with commands possibly still queued */
}

static void test_free_without_start(void **state) {
  fixture *f = *state;
  bt_engine_opts o = {&f->cfg, f->path, 0};
  bt_engine *e;
  bt_error err;
  assert_int_equal(engine_new(&o, &e, &err), BT_OK);
  engine_drive(e, "abc");
  engine_free(e);
}

static void test_local_job_unreachable(void **state) {
  fixture *f = *state;
  bt_store *s;
  bt_error err;
  assert_int_equal(store_open(f->path, &s, &err), BT_OK);
  bt_job_opts jo;
  job_opts_init(&jo);
  jo.chunk_size = 3;
  bt_job_meta m = {"local", "m", NULL, "jsonl", "[\"q\"]", NULL, NULL, NULL};
  bt_job_builder *b;
  assert_int_equal(job_builder_begin(s, &jo, &m, &b, &err), BT_OK);
  for (int i = 1; i <= 7; i++) {
    char cid[16];
    snprintf(cid, sizeof cid, "r%d", i);
    const char *req = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    bt_rendered r = {.row_no = i, .line_no = i, .custom_id = cid, .input_json = "{\"q\":1}",
                     .request = req, .request_bytes = strlen(req), .est_input_tokens = 3};
    assert_int_equal(job_builder_add(b, &r, &err), BT_OK);
  }
  char id[BT_JOB_ID_LEN + 1];
  assert_int_equal(job_builder_finish(b, id, &err), BT_OK);
  bt_engine_opts o = {&f->cfg, f->path, 0};
  bt_engine *e;
  assert_int_equal(engine_new(&o, &e, &err), BT_OK);
  assert_int_equal(engine_start(e, &err), BT_OK);
  engine_drive(e, id);
  assert_true(wait_event(e, ENGINE_EV_JOB_DONE, id, 20000));
  engine_free(e);
  bt_counts c;
  assert_int_equal(store_job_counts(s, id, &c, &err), BT_OK);
  assert_int_equal(c.total, 7);
  assert_int_equal(c.n[TASK_FAILED], 7);
  assert_int_equal(job_report_exit_code(s, id), 2);
  bt_job job;
  assert_int_equal(store_job_get(s, id, &job, &err), BT_OK);
  assert_string_equal(job.state, "completed");
  job_cleanup(&job);
  store_close(s);
}

int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT); /* before any thread, as in main() */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_idle_and_unknown_job, setup, teardown),
      cmocka_unit_test_setup_teardown(test_queues_from_threads, setup, teardown),
      cmocka_unit_test_setup_teardown(test_free_without_start, setup, teardown),
      cmocka_unit_test_setup_teardown(test_local_job_unreachable, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
