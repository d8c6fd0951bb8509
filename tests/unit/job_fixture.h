/* job_fixture: a fresh store holding one openai job of N rows in chunks of C, for the unit tests
 * of the job, attempt and retry code (test_store_attempt.c, test_retry.c). Each row has input
 * {"id": N, "text": "hello, \"N\""} (a comma and quotes, for the CSV export), custom_id
 * row-N, 100 estimated input tokens and max_tokens 10. */
#ifndef BT_TEST_JOB_FIXTURE_H
#define BT_TEST_JOB_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "testutil.h"

typedef struct {
  char *dir;
  bt_store *s;
  char job[BT_JOB_ID_LEN + 1];
} fixture;

static inline void make_job(fixture *f, int rows, int chunk) {
  bt_job_opts o;
  job_opts_init(&o);
  o.chunk_size = chunk;
  o.name = "fixture";
  bt_job_meta m = {"openai", "gpt-4o-mini",  NULL,    "csv", "[\"id\",\"text\"]",
                   "t.md",   "Say {{text}}", "in.csv"};
  bt_job_builder *b;
  bt_error err;
  assert_int_equal(job_builder_begin(f->s, &o, &m, &b, &err), BT_OK);
  for (int i = 1; i <= rows; i++) {
    char cid[32], input[128], req[256];
    snprintf(cid, sizeof cid, "row-%d", i);
    snprintf(input, sizeof input, "{\"id\":%d,\"text\":\"hello, \\\"%d\\\"\"}", i, i);
    snprintf(req, sizeof req, "{\"custom_id\":\"%s\",\"method\":\"POST\"}", cid);
    bt_rendered r = {.row_no = i,
                     .line_no = i + 1,
                     .custom_id = cid,
                     .input_json = input,
                     .request = req,
                     .request_bytes = strlen(req),
                     .est_input_tokens = 100,
                     .max_output_tokens = 10};
    assert_int_equal(job_builder_add(b, &r, &err), BT_OK);
  }
  assert_int_equal(job_builder_finish(b, f->job, &err), BT_OK);
}

static inline int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  f->dir = tu_tmpdir();
  char path[4096];
  snprintf(path, sizeof path, "%s/batchtop.db", f->dir);
  bt_error err;
  assert_int_equal(store_open(path, &f->s, &err), BT_OK);
  *state = f;
  return 0;
}

static inline int teardown(void **state) {
  fixture *f = *state;
  store_close(f->s);
  tu_rmtree(f->dir);
  free(f->dir);
  free(f);
  return 0;
}

#endif
