/* config: the emulator's settings, from flags, a config file or POST /admin/config.
 *
 * One table names every key once; flags are the same names with '-' for '_' (--request-ms),
 * the file takes `key = value` lines (or one JSON object), the admin endpoint a JSON object.
 * Not thread-safe on one sim_config; the server keeps its copy under a mutex. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

typedef enum { K_STR, K_DOUBLE, K_INT, K_BOOL, K_U64, K_TOKEN_LIMIT, K_CODES } key_kind;

typedef struct key_def {
  const char *name;
  key_kind kind;
  size_t off;
  size_t size; /* for K_STR */
  double min, max;
  const char *metavar; /* for --help: TEXT, N, MS... (empty for booleans) */
  const char *help;
} key_def;

#define F(field) offsetof(sim_config, field)
#define S(field) sizeof(((sim_config *)0)->field)
static const key_def keys[] = {
    {"openai_key", K_STR, F(openai_key), S(openai_key), 0, 0, "KEY",
     "the only OpenAI key accepted (default: any non-empty key)"},
    {"anthropic_key", K_STR, F(anthropic_key), S(anthropic_key), 0, 0, "KEY",
     "the only Anthropic key accepted, as x-api-key or Bearer (default: any)"},
    {"time_scale", K_DOUBLE, F(time_scale), 0, 0.0001, 1e6, "F",
     "multiply every duration below (0.5 = twice as fast)"},
    {"request_ms", K_DOUBLE, F(request_ms), 0, 0, 1e10, "MS",
     "ms per request in a batch; requests run one after another"},
    {"validate_ms", K_DOUBLE, F(validate_ms), 0, 0, 1e10, "MS",
     "ms in validating (OpenAI) / queued before the first request (Anthropic)"},
    {"finalize_ms", K_DOUBLE, F(finalize_ms), 0, 0, 1e10, "MS",
     "ms from the last request to completed/ended"},
    {"cancel_ms", K_DOUBLE, F(cancel_ms), 0, 0, 1e10, "MS", "ms from cancelling to cancelled"},
    {"window_ms", K_DOUBLE, F(window_ms), 0, 1, 1e12, "MS",
     "completion window; unfinished requests expire (default 86400 = 24 h at 1000x)"},
    {"fail_if_contains", K_STR, F(fail_if_contains), S(fail_if_contains), 0, 0, "TEXT",
     "requests whose body contains TEXT (any case) fail"},
    {"fail_first", K_INT, F(fail_first), 0, 0, 1e9, "N",
     "...but only their first N executions per custom_id (0 = always)"},
    {"fail_status", K_INT, F(fail_status), 0, 400, 599, "CODE",
     "HTTP status of such OpenAI failures"},
    {"fail_code", K_STR, F(fail_code), S(fail_code), 0, 0, "TYPE",
     "error type/code of OpenAI failures"},
    {"anthropic_fail_type", K_STR, F(anthropic_fail_type), S(anthropic_fail_type), 0, 0, "TYPE",
     "error type of Anthropic errored results"},
    {"hang_if_contains", K_STR, F(hang_if_contains), S(hang_if_contains), 0, 0, "TEXT",
     "requests whose body contains TEXT never finish (batches expire)"},
    {"fix", K_BOOL, F(fix), 0, 0, 0, "", "content rules stop applying (retry tests)"},
    {"burst_429", K_INT, F(burst_429), 0, 0, 1e9, "N", "the next N API calls get 429"},
    {"retry_after_ms", K_INT, F(retry_after_ms), 0, 0, 3600000, "MS",
     "retry-after-ms of those 429s (retry-after: rounded up to seconds)"},
    {"burst_5xx", K_INT, F(burst_5xx), 0, 0, 1e9, "N", "the next N API calls get a 5xx"},
    {"error_rate", K_DOUBLE, F(error_rate), 0, 0, 1, "P", "probability of a 5xx on an API call"},
    {"error_codes", K_CODES, 0, 0, 0, 0, "LIST", "5xx statuses to inject (default 500,503,529)"},
    {"drop_next", K_INT, F(drop_next), 0, 0, 1e9, "N",
     "the next N API calls get their connection closed, no answer"},
    {"drop_rate", K_DOUBLE, F(drop_rate), 0, 0, 1, "P", "probability of a dropped connection"},
    {"slow_body_ms", K_INT, F(slow_body_ms), 0, 0, 600000, "MS",
     "every API response body trickles out over about MS"},
    {"create_delay_ms", K_INT, F(create_delay_ms), 0, 0, 600000, "MS",
     "a batch create is held MS before it is performed and answered (nothing exists before)"},
    {"create_fault_skip", K_INT, F(create_fault_skip), 0, 0, 1e9, "N",
     "the next N batch creates go through untouched before create_lost/html/cut_next apply"},
    {"create_drop_next", K_INT, F(create_drop_next), 0, 0, 1e9, "N",
     "the next N batch creates (after the skip) are closed with no answer, never performed"},
    {"create_lost_next", K_INT, F(create_lost_next), 0, 0, 1e9, "N",
     "the next N batch creates are performed, then their connection closed with no answer"},
    {"create_html_next", K_INT, F(create_html_next), 0, 0, 1e9, "N",
     "the next N batch creates are performed, then answered 200 with an HTML page"},
    {"create_cut_next", K_INT, F(create_cut_next), 0, 0, 1e9, "N",
     "the next N batch creates are performed, then answered 200 with half of their JSON"},
    {"list_html_next", K_INT, F(list_html_next), 0, 0, 1e9, "N",
     "the next N batch lists are answered 200 with an HTML page"},
    {"list_cut_next", K_INT, F(list_cut_next), 0, 0, 1e9, "N",
     "the next N batch lists are answered 200 with half of their JSON"},
    {"list_5xx_next", K_INT, F(list_5xx_next), 0, 0, 1e9, "N",
     "the next N batch lists are answered 500"},
    {"token_limit", K_TOKEN_LIMIT, 0, 0, 0, 0, "MODEL=N",
     "MODEL=N: enqueued input tokens allowed per model (repeatable)"},
    /* poll, key-echo and result-conflict faults (faults_poll.c) */
    {"poll_fault", K_STR, F(poll_fault), S(poll_fault), 0, 0, "KIND",
     "every batch GET answers 404, html (a 200 HTML page) or cut (JSON cut in half)"},
    {"poll_status", K_STR, F(poll_status), S(poll_status), 0, 0, "NAME",
     "every batch GET reports status NAME (an unknown one, say)"},
    {"echo_key", K_BOOL, F(echo_key), 0, 0, 0, "",
     "error messages (4xx bodies, errors.data, error lines) echo the caller's key"},
    {"conflict_results", K_BOOL, F(conflict_results), 0, 0, 0, "",
     "each succeeded result line comes between two 500 lines for its custom_id"},
    {"threads", K_INT, F(threads), 0, 1, 256, "N", "HTTP thread pool size (default 4)"},
    {"slots", K_INT, F(slots), 0, 0, 256, "N",
     "a small server: N connections at a time, one call each (0 = off; start only)"},
    {"slot_ms", K_INT, F(slot_ms), 0, 0, 600000, "MS",
     "with slots: each direct call holds its slot this long (default 50)"},
    {"backlog", K_INT, F(backlog), 0, 1, 65535, "N", "listen backlog (default 1024; start only)"},
    {"verbose", K_BOOL, F(verbose), 0, 0, 0, "", "log every request to stderr"},
    {"seed", K_U64, F(seed), 0, 0, 0, "N", "seed for fault dice and output order (0 = clock)"},
};
#undef F
#undef S

const char *sim_config_key(size_t i, bool *takes_value, const char **metavar, const char **help) {
  if (i >= sizeof keys / sizeof keys[0])
    return NULL;
  *takes_value = keys[i].kind != K_BOOL;
  *metavar = keys[i].metavar;
  *help = keys[i].help;
  return keys[i].name;
}

void sim_config_defaults(sim_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->time_scale = 1;
  cfg->request_ms = 20;
  cfg->validate_ms = 300;
  cfg->finalize_ms = 300;
  cfg->cancel_ms = 300;
  cfg->window_ms = 86400.0; /* 24 h at 1000x: one real millisecond per simulated second */
  cfg->fail_status = 500;
  snprintf(cfg->fail_code, sizeof cfg->fail_code, "server_error");
  snprintf(cfg->anthropic_fail_type, sizeof cfg->anthropic_fail_type, "api_error");
  cfg->retry_after_ms = 200;
  cfg->error_codes[0] = 500;
  cfg->error_codes[1] = 503;
  cfg->error_codes[2] = 529;
  cfg->n_error_codes = 3;
  cfg->threads = 4;
  cfg->slot_ms = 50;
  cfg->backlog = 1024;
}

void sim_config_demo(sim_config *cfg) {
  /* 50 requests ~ 20 s, 200 ~ 60 s end to end; counts rise visibly on a 0.5 s poll. */
  cfg->request_ms = 280;
  cfg->validate_ms = 1500;
  cfg->finalize_ms = 2500;
  cfg->cancel_ms = 1500;
  cfg->window_ms = 30 * 60 * 1000.0;
  snprintf(cfg->fail_if_contains, sizeof cfg->fail_if_contains, "double-charged");
  cfg->fail_first = 1;
}

int64_t sim_config_ms(const sim_config *cfg, double ms) {
  double v = ms * cfg->time_scale;
  return v < 0 ? 0 : (int64_t)llround(v);
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  return -1;
}

static const key_def *find_key(const char *name) {
  char norm[64];
  size_t i = 0;
  for (; name[i] && i + 1 < sizeof norm; i++)
    norm[i] = name[i] == '-' ? '_' : name[i];
  norm[i] = '\0';
  for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
    if (strcmp(keys[k].name, norm) == 0)
      return &keys[k];
  return NULL;
}

static int parse_double(const char *v, double *out) {
  char *end;
  errno = 0;
  double d = strtod(v, &end);
  if (errno || end == v || *end || !isfinite(d))
    return -1;
  *out = d;
  return 0;
}

static int set_token_limit(sim_config *cfg, const char *value, char *err, size_t errlen) {
  const char *eq = strrchr(value, '=');
  if (!eq || eq == value)
    return fail(err, errlen, "token_limit: expected MODEL=N, got '%s'", value);
  char *end;
  errno = 0;
  long long n = strtoll(eq + 1, &end, 10);
  if (errno || end == eq + 1 || *end || n < 0)
    return fail(err, errlen, "token_limit: '%s' is not a token count", eq + 1);
  size_t mlen = (size_t)(eq - value);
  if (mlen >= sizeof cfg->token_limits[0].model)
    return fail(err, errlen, "token_limit: model name too long");
  sim_token_limit *t = NULL;
  for (int i = 0; i < cfg->n_token_limits; i++)
    if (strlen(cfg->token_limits[i].model) == mlen &&
        memcmp(cfg->token_limits[i].model, value, mlen) == 0)
      t = &cfg->token_limits[i];
  if (!t) {
    if (cfg->n_token_limits == SIM_TOKEN_LIMITS_MAX)
      return fail(err, errlen, "token_limit: at most %d models", SIM_TOKEN_LIMITS_MAX);
    t = &cfg->token_limits[cfg->n_token_limits++];
    memcpy(t->model, value, mlen);
    t->model[mlen] = '\0';
  }
  t->limit = n;
  return 0;
}

static int set_codes(sim_config *cfg, const char *value, char *err, size_t errlen) {
  int codes[SIM_ERROR_CODES_MAX], n = 0;
  const char *p = value;
  while (*p) {
    char *end;
    long c = strtol(p, &end, 10);
    if (end == p || c < 500 || c > 599 || n == SIM_ERROR_CODES_MAX)
      return fail(err, errlen, "error_codes: expected a list of 5xx statuses, got '%s'", value);
    codes[n++] = (int)c;
    p = end;
    while (*p == ',' || *p == ' ')
      p++;
  }
  if (n == 0)
    return fail(err, errlen, "error_codes: empty list");
  memcpy(cfg->error_codes, codes, sizeof codes);
  cfg->n_error_codes = n;
  return 0;
}

int sim_config_set(sim_config *cfg, const char *key, const char *value, char *err, size_t errlen) {
  const key_def *k = find_key(key);
  if (!k)
    return fail(err, errlen, "unknown setting '%s'", key);
  char *field = (char *)cfg + k->off;
  double d;
  switch (k->kind) {
  case K_STR:
    if (strlen(value) >= k->size)
      return fail(err, errlen, "%s: value longer than %zu bytes", k->name, k->size - 1);
    if (field == cfg->poll_fault && *value && strcmp(value, "404") && strcmp(value, "html") &&
        strcmp(value, "cut"))
      return fail(err, errlen, "poll_fault: expected 404, html or cut, got '%s'", value);
    snprintf(field, k->size, "%s", value);
    return 0;
  case K_DOUBLE:
  case K_INT:
    if (parse_double(value, &d) || d < k->min || d > k->max || (k->kind == K_INT && d != floor(d)))
      return fail(err, errlen, "%s: '%s' is not a%s number in [%g, %g]", k->name, value,
                  k->kind == K_INT ? " whole" : "", k->min, k->max);
    if (k->kind == K_INT)
      *(int *)field = (int)d;
    else
      *(double *)field = d;
    return 0;
  case K_BOOL:
    if (!strcmp(value, "true") || !strcmp(value, "1") || !strcmp(value, "yes") ||
        !strcmp(value, "on") || !*value)
      *(bool *)field = true;
    else if (!strcmp(value, "false") || !strcmp(value, "0") || !strcmp(value, "no") ||
             !strcmp(value, "off"))
      *(bool *)field = false;
    else
      return fail(err, errlen, "%s: expected true or false, got '%s'", k->name, value);
    return 0;
  case K_U64: {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(value, &end, 10);
    if (errno || end == value || *end)
      return fail(err, errlen, "%s: '%s' is not a whole number", k->name, value);
    *(uint64_t *)field = v;
    return 0;
  }
  case K_TOKEN_LIMIT:
    return set_token_limit(cfg, value, err, errlen);
  case K_CODES:
    return set_codes(cfg, value, err, errlen);
  }
  return fail(err, errlen, "unknown setting '%s'", key);
}

/* A JSON scalar as the text sim_config_set takes. */
static int json_value_text(const json_t *v, char *out, size_t size) {
  if (json_is_string(v))
    snprintf(out, size, "%s", json_string_value(v));
  else if (json_is_integer(v))
    snprintf(out, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
  else if (json_is_real(v))
    snprintf(out, size, "%.17g", json_real_value(v));
  else if (json_is_boolean(v))
    snprintf(out, size, "%s", json_is_true(v) ? "true" : "false");
  else if (json_is_null(v))
    out[0] = '\0';
  else
    return -1;
  return 0;
}

static int apply_json_object(sim_config *cfg, const json_t *obj, char *err, size_t errlen) {
  const char *key;
  json_t *v;
  char text[1024];
  sim_config next = *cfg; /* all or nothing */
  json_object_foreach((json_t *)obj, key, v) {
    const key_def *k = find_key(key);
    if (k && k->kind == K_TOKEN_LIMIT && json_is_object(v)) {
      /* {"token_limit": {"gpt-4o-mini": 1000}} replaces every limit */
      next.n_token_limits = 0;
      const char *m;
      json_t *n;
      json_object_foreach(v, m, n) {
        if (!json_is_integer(n))
          return fail(err, errlen, "token_limit.%s: expected a whole number", m);
        snprintf(text, sizeof text, "%s=%" JSON_INTEGER_FORMAT, m, json_integer_value(n));
        if (set_token_limit(&next, text, err, errlen))
          return -1;
      }
      continue;
    }
    if (k && k->kind == K_CODES && json_is_array(v)) {
      sim_buf b = {0};
      size_t i;
      json_t *c;
      sim_buf_puts(&b, "");
      json_array_foreach(v, i, c) {
        snprintf(text, sizeof text, "%s%" JSON_INTEGER_FORMAT, i ? "," : "", json_integer_value(c));
        sim_buf_puts(&b, text);
      }
      int rc = set_codes(&next, b.data, err, errlen);
      sim_buf_free(&b);
      if (rc)
        return -1;
      continue;
    }
    if (json_value_text(v, text, sizeof text))
      return fail(err, errlen, "%s: expected a string, number or boolean", key);
    if (k && k->kind == K_BOOL && json_is_null(v))
      snprintf(text, sizeof text, "false");
    if (sim_config_set(&next, key, text, err, errlen))
      return -1;
  }
  *cfg = next;
  return 0;
}

int sim_config_apply_json(sim_config *cfg, const char *json, size_t len, char *err, size_t errlen) {
  json_error_t je;
  json_t *obj = json_loadb(json, len, 0, &je);
  if (!obj)
    return fail(err, errlen, "%d:%d: %s", je.line, je.column, je.text);
  if (!json_is_object(obj)) {
    json_decref(obj);
    return fail(err, errlen, "1:1: expected a JSON object");
  }
  int rc = apply_json_object(cfg, obj, err, errlen);
  json_decref(obj);
  return rc;
}

int sim_config_load_file(sim_config *cfg, const char *path, char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return fail(err, errlen, "%s: %s", path, strerror(errno));
  sim_buf b = {0};
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    sim_buf_append(&b, chunk, n);
  fclose(f);
  sim_buf_puts(&b, "");
  const char *p = b.data;
  while (*p && isspace((unsigned char)*p))
    p++;
  char msg[512];
  int rc = 0;
  if (*p == '{') {
    if (sim_config_apply_json(cfg, b.data, b.len, msg, sizeof msg)) {
      rc = fail(err, errlen, "%s:%s", path, msg);
    }
    sim_buf_free(&b);
    return rc;
  }
  sim_buf_free(&b);
  sim_config next = *cfg;
  f = fopen(path, "rb");
  if (!f)
    return fail(err, errlen, "%s: %s", path, strerror(errno));
  char line[2048];
  int lineno = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    char *s = line;
    while (*s == ' ' || *s == '\t')
      s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
      *--e = '\0';
    if (!*s || *s == '#')
      continue;
    char *eq = strchr(s, '=');
    if (!eq) {
      fclose(f);
      return fail(err, errlen, "%s:%d:%d: expected 'key = value'", path, lineno,
                  (int)(s - line) + 1);
    }
    char *ke = eq;
    while (ke > s && (ke[-1] == ' ' || ke[-1] == '\t'))
      ke--;
    *ke = '\0';
    char *v = eq + 1;
    while (*v == ' ' || *v == '\t')
      v++;
    /* a trailing "# comment" after whitespace */
    for (char *c = v; *c; c++)
      if (*c == '#' && c > v && (c[-1] == ' ' || c[-1] == '\t')) {
        *c = '\0';
        char *t = c;
        while (t > v && (t[-1] == ' ' || t[-1] == '\t'))
          *--t = '\0';
        break;
      }
    if (sim_config_set(&next, s, v, msg, sizeof msg)) {
      fclose(f);
      return fail(err, errlen, "%s:%d:%d: %s", path, lineno, (int)(v - line) + 1, msg);
    }
  }
  fclose(f);
  *cfg = next;
  return 0;
}

char *sim_config_to_json(const sim_config *cfg) {
  json_t *o = json_object();
  for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
    const key_def *d = &keys[k];
    const char *field = (const char *)cfg + d->off;
    json_t *v = NULL;
    switch (d->kind) {
    case K_STR:
      if (strstr(d->name, "_key")) /* never echo keys: say whether one is set */
        v = json_string(*field ? "(set)" : "");
      else
        v = json_string(field);
      break;
    case K_DOUBLE:
      v = json_real(*(const double *)field);
      break;
    case K_INT:
      v = json_integer(*(const int *)field);
      break;
    case K_BOOL:
      v = json_boolean(*(const bool *)field);
      break;
    case K_U64:
      v = json_integer((json_int_t) * (const uint64_t *)field);
      break;
    case K_TOKEN_LIMIT:
      v = json_object();
      for (int i = 0; i < cfg->n_token_limits; i++)
        json_object_set_new(v, cfg->token_limits[i].model,
                            json_integer(cfg->token_limits[i].limit));
      break;
    case K_CODES:
      v = json_array();
      for (int i = 0; i < cfg->n_error_codes; i++)
        json_array_append_new(v, json_integer(cfg->error_codes[i]));
      break;
    }
    json_object_set_new(o, d->name, v);
  }
  char *s = sim_json_text(o);
  json_decref(o);
  return s;
}
