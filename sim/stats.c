/* stats: what the emulator has seen, for GET /admin/stats: calls per endpoint (method + path
 * template), batches created per provider, files uploaded, executions per custom_id and per
 * batch, injected faults, and the current config. Tests use it to prove, for example, that a
 * retry did not submit a request twice. Counters are atomics or live under server->mu. */
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

static const char *const route_names[SIM_R_COUNT] = {
    [SIM_R_UNKNOWN] = "other",
    [SIM_R_ROOT] = "GET /",
    [SIM_R_FILES_UPLOAD] = "POST /v1/files",
    [SIM_R_FILES_LIST] = "GET /v1/files",
    [SIM_R_FILES_GET] = "GET /v1/files/{file_id}",
    [SIM_R_FILES_DELETE] = "DELETE /v1/files/{file_id}",
    [SIM_R_FILES_CONTENT] = "GET /v1/files/{file_id}/content",
    [SIM_R_BATCHES_CREATE] = "POST /v1/batches",
    [SIM_R_BATCHES_LIST] = "GET /v1/batches",
    [SIM_R_BATCHES_GET] = "GET /v1/batches/{batch_id}",
    [SIM_R_BATCHES_CANCEL] = "POST /v1/batches/{batch_id}/cancel",
    [SIM_R_CHAT] = "POST /v1/chat/completions",
    [SIM_R_RESPONSES] = "POST /v1/responses",
    [SIM_R_EMBEDDINGS] = "POST /v1/embeddings",
    [SIM_R_COMPLETIONS] = "POST /v1/completions",
    [SIM_R_MESSAGES] = "POST /v1/messages",
    [SIM_R_MB_CREATE] = "POST /v1/messages/batches",
    [SIM_R_MB_LIST] = "GET /v1/messages/batches",
    [SIM_R_MB_GET] = "GET /v1/messages/batches/{message_batch_id}",
    [SIM_R_MB_CANCEL] = "POST /v1/messages/batches/{message_batch_id}/cancel",
    [SIM_R_MB_DELETE] = "DELETE /v1/messages/batches/{message_batch_id}",
    [SIM_R_MB_RESULTS] = "GET /v1/messages/batches/{message_batch_id}/results",
    [SIM_R_ADMIN_STATS] = "GET /admin/stats",
    [SIM_R_ADMIN_CONFIG_GET] = "GET /admin/config",
    [SIM_R_ADMIN_CONFIG_SET] = "POST /admin/config",
    [SIM_R_ADMIN_RESET] = "POST /admin/reset",
};

const char *sim_route_name(sim_route r) {
  return route_names[r];
}

void sim_stats_init(sim_stats *st) {
  memset(st, 0, sizeof *st);
  st->executions = json_object();
}

void sim_stats_cleanup(sim_stats *st) {
  json_decref(st->executions);
  st->executions = NULL;
}

static const char *status_word(const sim_batch *b) {
  static const char *const oa[] = {"validating", "failed",  "in_progress", "finalizing",
                                   "completed",  "expired", "cancelling",  "cancelled"};
  if (b->provider == SIM_OPENAI)
    return oa[b->status];
  if (sim_state_terminal(b))
    return "ended";
  return b->status == SIM_ST_CANCELLING ? "canceling" : "in_progress";
}

json_t *sim_stats_json(sim_server *s) {
  sim_config cfg;
  sim_server_config_snapshot(s, &cfg);
  int64_t now = sim_server_now(s);
  sim_stats *st = &s->stats;
  json_t *calls = json_object();
  for (int r = 0; r < SIM_R_COUNT; r++) {
    unsigned long long n = atomic_load(&st->calls[r]);
    if (n)
      json_object_set_new(calls, route_names[r], json_integer((json_int_t)n));
  }
  json_t *faults = json_pack(
      "{s:I, s:I, s:I, s:I}", "429", (json_int_t)atomic_load(&st->status_429), "5xx",
      (json_int_t)atomic_load(&st->status_5xx), "dropped", (json_int_t)atomic_load(&st->dropped),
      "401", (json_int_t)atomic_load(&st->unauthorized));
  json_t *batches = json_object();
  pthread_mutex_lock(&s->mu);
  sim_state_advance_all(s, now, &cfg);
  long long total = 0, max = 0;
  const char *key;
  json_t *v;
  json_object_foreach(st->executions, key, v) {
    long long n = json_integer_value(v);
    total += n;
    if (n > max)
      max = n;
  }
  for (size_t i = 0; i < s->nbatches; i++) {
    const sim_batch *b = s->batches[i];
    /* job: the batchtop job an OpenAI batch's metadata names (tests compare with the store) */
    const char *job = json_string_value(json_object_get(b->metadata, "batchtop_job"));
    json_object_set_new(batches, b->id,
                        json_pack("{s:s, s:s, s:I, s:I, s:b, s:s?}", "provider",
                                  b->provider == SIM_OPENAI ? "openai" : "anthropic", "status",
                                  status_word(b), "requests", (json_int_t)b->ntasks, "executions",
                                  (json_int_t)b->executions, "deleted", b->deleted, "job", job));
  }
  json_t *j = json_pack(
      "{s:o, s:{s:I, s:I}, s:I, s:O, s:I, s:I, s:I, s:o, s:o}", "calls", calls, "batches_created",
      "openai", (json_int_t)st->batches_openai, "anthropic", (json_int_t)st->batches_anthropic,
      "files_uploaded", (json_int_t)st->files_uploaded, "executions", st->executions,
      "executions_total", (json_int_t)total, "max_executions_per_custom_id", (json_int_t)max,
      "direct_executions", (json_int_t)atomic_load(&st->direct_executions), "faults", faults,
      "batches", batches);
  /* a deep copy: the executions object keeps changing after we unlock */
  json_t *copy = json_deep_copy(j);
  json_decref(j);
  pthread_mutex_unlock(&s->mu);
  char *c = sim_config_to_json(&cfg);
  json_object_set_new(copy, "config", json_loads(c, 0, NULL));
  free(c);
  return copy;
}

void sim_stats_reset(sim_server *s) {
  sim_stats *st = &s->stats;
  for (int r = 0; r < SIM_R_COUNT; r++)
    atomic_store(&st->calls[r], 0);
  atomic_store(&st->status_429, 0);
  atomic_store(&st->status_5xx, 0);
  atomic_store(&st->dropped, 0);
  atomic_store(&st->unauthorized, 0);
  atomic_store(&st->direct_executions, 0);
  pthread_mutex_lock(&s->mu);
  st->batches_openai = st->batches_anthropic = st->files_uploaded = 0;
  json_object_clear(st->executions);
  for (size_t i = 0; i < s->nbatches; i++)
    s->batches[i]->executions = 0;
  pthread_mutex_unlock(&s->mu);
}
