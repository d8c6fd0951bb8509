/* job_import: adopt remote batches into a new job. */
#include "job_import.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "http.h"
#include "provider.h"
#include "store_attempt.h"
#include "store_batch.h"
#include "store_sql.h"
#include "util.h"

/* Pages of the provider's batch list an import without ids reads at most. */
#define IMPORT_MAX_PAGES 50

/* One blocking request with the engine's retry policy. The caller frees *out. */
static bt_status perform(const bt_provider_conn *p, bt_http_req *r, bt_error *err) {
  for (int attempt = 0;; attempt++) {
    buf_reset(&r->body);
    http_hdrs_init(&r->hdrs);
    r->cc = curl_easy_perform(r->easy);
    r->status = 0;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
    char code[96], msg[256];
    http_error_parse(r->body.data, r->body.len, code, sizeof code, msg, sizeof msg);
    int64_t delay;
    bt_http_verdict v = http_decide(r->status, http_req_net_failed(r), &r->hdrs, code, attempt, 0.5,
                                    p->max_retry_after_ms, &delay);
    if (v == HTTP_DONE)
      return BT_OK;
    if (v == HTTP_FATAL || attempt >= 5) {
      char d[600];
      return error_set(err, r->status == 401 ? BT_ERR_AUTH : BT_ERR_PROVIDER, "%s: %s", p->name,
                       http_req_describe(r, d, sizeof d));
    }
    usleep((useconds_t)(delay * 1000));
  }
}

typedef struct {
  bt_store *s;
  const char *job_id;
  int64_t batch_id;
  int64_t row_no;
  bt_task_inserter *ins;
  bt_error *err;
  char model[128]; /* from the first request body: prices apply to imported jobs too */
} import_ctx;

static bt_status on_input_line(void *ud, const char *line, size_t len) {
  import_ctx *c = ud;
  json_t *o = json_loadb(line, len, 0, NULL);
  const char *cid = json_string_value(json_object_get(o, "custom_id"));
  const char *model = json_string_value(json_object_get(json_object_get(o, "body"), "model"));
  if (model && !c->model[0])
    util_strlcpy(c->model, model, sizeof c->model);
  bt_status r = BT_OK;
  if (cid) {
    json_t *in = json_pack("{s:s}", "custom_id", cid);
    char *input = json_dumps(in, JSON_COMPACT);
    char *req = malloc(len + 1);
    memcpy(req, line, len);
    req[len] = '\0';
    c->row_no++;
    bt_task_new t = {c->row_no, c->row_no, cid, input, req, 0, 0};
    r = store_task_insert(c->ins, &t, c->err);
    if (!r)
      r = store_attempt_insert(c->s, c->job_id, sqlite3_last_insert_rowid(store_db(c->s)),
                               c->batch_id, c->err);
    free(req);
    free(input);
    json_decref(in);
  }
  json_decref(o);
  return r;
}

static bt_status import_one(bt_store *s, const bt_provider_conn *p, const char *job_id,
                            const bt_remote_batch *rb, int64_t chunk_no, import_ctx *c,
                            bt_error *err) {
  int64_t bid;
  bt_status r = store_batch_insert(s, job_id, chunk_no, 1, p->name, &bid, err);
  if (!r)
    r = store_batch_set_remote(s, bid, rb, 1, err);
  if (!r)
    r = store_batch_set_size(s, bid, rb->total, 0, 0, err); /* no estimate: made elsewhere */
  if (r || p->kind != PROVIDER_OPENAI)
    return r;
  /* The input file gives the tasks. */
  json_t *meta = NULL;
  bt_http_req *g;
  r = provider_req_get(p, rb->id, &g, err);
  if (r)
    return r;
  r = perform(p, g, err);
  if (!r)
    meta = json_loadb(g->body.data, g->body.len, 0, NULL);
  http_req_free(g);
  const char *file = json_string_value(json_object_get(meta, "input_file_id"));
  if (!r && file) {
    char path[512];
    snprintf(path, sizeof path, "/files/%s/content", file);
    bt_http_req *d;
    bt_remote_batch fake;
    memset(&fake, 0, sizeof fake);
    fake.output_file_id = (char *)file;
    r = provider_req_results(p, &fake, 0, &d, err);
    if (!r) {
      bt_lines l;
      c->batch_id = bid;
      lines_init(&l, on_input_line, c);
      http_req_lines(d, &l);
      r = perform(p, d, err);
      if (!r)
        r = lines_finish(&l);
      if (!r && l.failed)
        r = l.failed;
      lines_cleanup(&l);
      http_req_free(d);
    }
    if (!r)
      r = store_attempt_tasks_running(s, bid, err);
  }
  json_decref(meta);
  return r;
}

bt_status job_import(bt_store *s, const bt_config *cfg, const char *provider,
                     const char *const *ids, size_t n_ids, const char *name,
                     char id_out[BT_JOB_ID_LEN + 1], size_t *n_imported, bt_error *err) {
  *n_imported = 0;
  bt_provider_conn p;
  bt_status r = provider_init(&p, provider, cfg, err);
  if (r)
    return r;
  if (p.kind == PROVIDER_LOCAL) {
    provider_cleanup(&p);
    return error_set(err, BT_ERR_USAGE, "provider local has no remote batches to import");
  }
  /* Fetch every batch first: nothing is stored unless all of them are readable. */
  bt_remote_batch *rbs = NULL;
  size_t n = 0;
  if (n_ids == 0) {
    /* Every untracked batch the provider lists, page by page (newest first), up to a bound so
     * an account with years of batches cannot make this run away. */
    char *after = NULL;
    int more = 1;
    size_t cap = 0;
    for (int page = 0; !r && more && page < IMPORT_MAX_PAGES; page++) {
      bt_http_req *l;
      char *next = NULL;
      r = provider_req_list(&p, after, &l, err);
      if (!r)
        r = perform(&p, l, err);
      bt_remote_batch *items = NULL;
      size_t k = 0;
      more = 0;
      if (!r)
        r = provider_parse_list(p.kind, l->body.data, l->body.len, &items, &k, &next, &more,
                                err);
      http_req_free(l);
      free(after);
      after = next;
      if (!r && n + k > cap) {
        size_t ncap = cap ? cap * 2 : 64;
        while (ncap < n + k)
          ncap *= 2;
        bt_remote_batch *grown = realloc(rbs, ncap * sizeof *rbs);
        if (!grown)
          r = error_set(err, BT_ERR_NOMEM, "out of memory");
        else
          rbs = grown, cap = ncap;
      }
      for (size_t i = 0; i < k; i++) {
        int known = 1;
        if (!r && store_batch_remote_known(s, p.name, items[i].id, &known, err) == BT_OK &&
            !known)
          rbs[n++] = items[i];
        else
          remote_batch_cleanup(&items[i]);
      }
      free(items);
      if (!after)
        more = 0;
    }
    free(after);
    if (!rbs)
      rbs = calloc(1, sizeof *rbs);
  } else {
    rbs = calloc(n_ids, sizeof *rbs);
    for (size_t i = 0; i < n_ids && !r; i++) {
      bt_http_req *g;
      r = provider_req_get(&p, ids[i], &g, err);
      if (!r)
        r = perform(&p, g, err);
      if (!r)
        r = provider_parse_batch(p.kind, g->body.data, g->body.len, &rbs[n], err);
      if (!r)
        n++;
      http_req_free(g);
      int known = 0;
      if (!r && store_batch_remote_known(s, p.name, ids[i], &known, err) == BT_OK && known)
        r = error_set(err, BT_ERR_EXISTS, "batch %s is already tracked", ids[i]);
    }
  }
  if (!r && n == 0)
    r = error_set(err, BT_ERR_NOT_FOUND, "no untracked %s batches to import", p.name);
  bt_job job;
  job_init(&job);
  if (!r) {
    job.name = util_xstrdup(name ? name : "import");
    job.provider = util_xstrdup(p.name);
    job.model = util_xstrdup("");
    job.endpoint = util_xstrdup(provider_endpoint(p.kind));
    job.state = util_xstrdup("running");
    job.input_fields = util_xstrdup("[\"custom_id\"]");
    job.options = util_xstrdup("{\"imported\":true}");
    job.input_format = util_xstrdup("jsonl");
    r = store_begin(s, err);
    if (!r)
      r = store_job_insert(s, &job, err);
    import_ctx c = {s, job.id, 0, 0, NULL, err, ""};
    if (!r)
      r = store_task_inserter_new(s, job.id, &c.ins, err);
    for (size_t i = 0; i < n && !r; i++)
      r = import_one(s, &p, job.id, &rbs[i], (int64_t)i + 1, &c, err);
    if (!r && c.model[0])
      r = store_run(s, err, "updating the job", NULL, "UPDATE jobs SET model = ? WHERE id = ?",
                    "tt", c.model, job.id);
    store_task_inserter_free(c.ins);
    if (!r)
      r = store_event(s, job.id, 0, "info", "import", "batches imported", err);
    if (!r)
      r = store_commit(s, err);
    if (r)
      store_rollback(s);
    else {
      util_strlcpy(id_out, job.id, BT_JOB_ID_LEN + 1);
      *n_imported = n;
    }
  }
  job_cleanup(&job);
  for (size_t i = 0; i < n; i++)
    remote_batch_cleanup(&rbs[i]);
  free(rbs);
  provider_cleanup(&p);
  return r;
}
