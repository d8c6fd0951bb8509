/* state: the emulator's in-memory files and batches, and the parts of a batch's lifecycle that
 * both providers share (scheduling, execution counting, content rules).
 * Every function here is called with server->mu held, except sim_state_direct_fails. Nothing
 * survives a restart. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

sim_file *sim_state_file_add(sim_server *s, const char *filename, const char *purpose, char *data,
                             size_t len, int64_t now) {
  sim_file *f = calloc(1, sizeof *f);
  if (!f)
    abort();
  sim_id(f->id, sizeof f->id, "file-", 22, true);
  f->filename = sim_xstrdup(filename);
  snprintf(f->purpose, sizeof f->purpose, "%s", purpose);
  f->data = data;
  f->len = len;
  f->created_ms = now;
  if (s->nfiles == s->capfiles) {
    s->capfiles = s->capfiles ? s->capfiles * 2 : 64;
    s->files = sim_xrealloc(s->files, s->capfiles * sizeof *s->files);
  }
  s->files[s->nfiles++] = f;
  return f;
}

sim_file *sim_state_file_find(sim_server *s, const char *id) {
  for (size_t i = s->nfiles; i-- > 0;)
    if (!s->files[i]->deleted && strcmp(s->files[i]->id, id) == 0)
      return s->files[i];
  return NULL;
}

sim_batch *sim_state_batch_new(sim_server *s, sim_provider p, const char *id, int64_t now,
                               const sim_config *cfg) {
  sim_batch *b = calloc(1, sizeof *b);
  if (!b)
    abort();
  b->provider = p;
  snprintf(b->id, sizeof b->id, "%s", id);
  b->created_ms = now;
  b->validate_end_ms = now + sim_config_ms(cfg, cfg->validate_ms);
  b->expire_ms = now + sim_config_ms(cfg, cfg->window_ms);
  b->request_ms = sim_config_ms(cfg, cfg->request_ms);
  b->finalize_ms = sim_config_ms(cfg, cfg->finalize_ms);
  b->cancel_ms = sim_config_ms(cfg, cfg->cancel_ms);
  b->status = p == SIM_OPENAI ? SIM_ST_VALIDATING : SIM_ST_IN_PROGRESS;
  if (s->nbatches == s->capbatches) {
    s->capbatches = s->capbatches ? s->capbatches * 2 : 64;
    s->batches = sim_xrealloc(s->batches, s->capbatches * sizeof *s->batches);
  }
  s->batches[s->nbatches++] = b;
  if (p == SIM_OPENAI)
    s->stats.batches_openai++;
  else
    s->stats.batches_anthropic++;
  return b;
}

sim_batch *sim_state_batch_find(sim_server *s, sim_provider p, const char *id) {
  for (size_t i = s->nbatches; i-- > 0;) {
    sim_batch *b = s->batches[i];
    if (b->provider == p && !b->deleted && strcmp(b->id, id) == 0)
      return b;
  }
  return NULL;
}

bool sim_state_terminal(const sim_batch *b) {
  return b->status == SIM_ST_FAILED || b->status == SIM_ST_COMPLETED ||
         b->status == SIM_ST_EXPIRED || b->status == SIM_ST_CANCELLED;
}

void sim_state_advance(sim_server *s, sim_batch *b, int64_t now, const sim_config *cfg) {
  if (sim_state_terminal(b))
    return;
  if (b->provider == SIM_OPENAI)
    sim_openai_advance(s, b, now, cfg);
  else
    sim_anthropic_advance(s, b, now, cfg);
}

void sim_state_advance_all(sim_server *s, int64_t now, const sim_config *cfg) {
  for (size_t i = 0; i < s->nbatches; i++)
    sim_state_advance(s, s->batches[i], now, cfg);
}

bool sim_state_hangs(const char *raw, size_t len, const sim_config *cfg) {
  return !cfg->fix && sim_contains_ci(raw, len, cfg->hang_if_contains);
}

bool sim_state_execute(sim_server *s, sim_batch *b, const char *custom_id, const char *raw,
                       size_t raw_len, const sim_config *cfg) {
  json_t *ex = s->stats.executions;
  json_t *cur = json_object_get(ex, custom_id);
  json_int_t n = (cur ? json_integer_value(cur) : 0) + 1;
  if (cur)
    json_integer_set(cur, n);
  else
    json_object_set_new(ex, custom_id, json_integer(n));
  if (b)
    b->executions++;
  if (cfg->fix || !sim_contains_ci(raw, raw_len, cfg->fail_if_contains))
    return false;
  return cfg->fail_first == 0 || n <= cfg->fail_first;
}

bool sim_state_direct_fails(sim_server *s, const char *body, size_t len, const sim_config *cfg) {
  if (!cfg->fail_if_contains[0] || cfg->fix || !sim_contains_ci(body, len, cfg->fail_if_contains))
    return false;
  char key[40];
  snprintf(key, sizeof key, "body:%016llx", (unsigned long long)sim_fnv1a64(body, len));
  pthread_mutex_lock(&s->mu);
  bool fail = sim_state_execute(s, NULL, key, body, len, cfg);
  pthread_mutex_unlock(&s->mu);
  return fail;
}

bool sim_state_any_hang(const sim_batch *b) {
  for (size_t i = 0; i < b->ntasks; i++)
    if (b->tasks[i].hang)
      return true;
  return false;
}

void sim_state_schedule(sim_batch *b, int64_t start_ms) {
  int64_t t = start_ms;
  for (size_t i = 0; i < b->ntasks; i++) {
    if (b->tasks[i].hang)
      continue;
    t += b->request_ms;
    b->tasks[i].done_ms = t;
  }
  b->next = 0;
}

void sim_state_shuffle(sim_server *s, char **lines, size_t n) {
  for (size_t i = n; i > 1; i--) {
    size_t j = (size_t)(sim_splitmix64(&s->rng) % i);
    char *t = lines[i - 1];
    lines[i - 1] = lines[j];
    lines[j] = t;
  }
}

static void batch_free(sim_batch *b) {
  for (size_t i = 0; i < b->ntasks; i++) {
    free(b->tasks[i].custom_id);
    free(b->tasks[i].raw);
    free(b->tasks[i].result);
    json_decref(b->tasks[i].body);
  }
  free(b->tasks);
  free(b->results);
  json_decref(b->metadata);
  json_decref(b->errors);
  free(b);
}

void sim_state_free(sim_server *s) {
  for (size_t i = 0; i < s->nfiles; i++) {
    free(s->files[i]->filename);
    free(s->files[i]->data);
    free(s->files[i]);
  }
  free(s->files);
  for (size_t i = 0; i < s->nbatches; i++)
    batch_free(s->batches[i]);
  free(s->batches);
  s->files = NULL;
  s->batches = NULL;
  s->nfiles = s->nbatches = 0;
}
