/* server: libmicrohttpd on 127.0.0.1, routing, auth, transport faults, the admin endpoints and
 * the lifecycle timer.
 *
 * MHD runs an internal thread pool on epoll, so hundreds of concurrent connections to
 * /v1/chat/completions stay cheap: a direct call touches only atomics and one short config
 * snapshot unless a content rule matches. One request's flow: route -> count -> (admin) |
 * drop? -> auth -> 429 burst -> 5xx -> provider handler -> common headers -> maybe slow body. */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "sim_internal.h"

#define MAX_BODY (210u * 1024 * 1024)
#define TICK_MS 10

/* ---- responses ---- */

void sim_response_header(sim_response *r, const char *name, const char *fmt, ...) {
  if (r->nhdr == SIM_MAX_HEADERS)
    return;
  snprintf(r->hname[r->nhdr], sizeof r->hname[0], "%s", name);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->hval[r->nhdr], sizeof r->hval[0], fmt, ap);
  va_end(ap);
  r->nhdr++;
}

void sim_response_text(sim_response *r, int status, const char *content_type, char *body,
                       size_t len) {
  free(r->body);
  r->status = status;
  r->body = body;
  r->body_len = len;
  r->content_type = content_type;
}

void sim_response_json(sim_response *r, int status, json_t *j) {
  char *text = sim_json_text(j);
  json_decref(j);
  sim_response_text(r, status, "application/json", text, strlen(text));
}

void sim_openai_error(sim_response *r, int status, const char *type, const char *param,
                      const char *code, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  sim_response_json(r, status,
                    json_pack("{s:{s:s, s:s, s:o, s:o}}", "error", "message", msg, "type", type,
                              "param", param ? json_string(param) : json_null(), "code",
                              code ? json_string(code) : json_null()));
}

void sim_anthropic_error(sim_response *r, int status, const char *type, const char *fmt, ...) {
  char msg[1024], rid[48];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  sim_id(rid, sizeof rid, "req_01", 22, true);
  sim_response_json(r, status,
                    json_pack("{s:s, s:{s:s, s:s}, s:s}", "type", "error", "error", "type", type,
                              "message", msg, "request_id", rid));
}

const char *sim_query(const sim_request *q, const char *name) {
  return MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *sim_header(const sim_request *q, const char *name) {
  return MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, name);
}

/* ---- server basics ---- */

int64_t sim_server_now(const sim_server *s) {
  return s->clock(s->clock_ctx);
}

void sim_server_config_snapshot(sim_server *s, sim_config *out) {
  pthread_mutex_lock(&s->cfg_mu);
  *out = s->cfg;
  pthread_mutex_unlock(&s->cfg_mu);
}

uint16_t sim_server_port(const sim_server *s) {
  return s->port;
}

void sim_server_tick(sim_server *s) {
  sim_config cfg;
  sim_server_config_snapshot(s, &cfg);
  int64_t now = sim_server_now(s);
  pthread_mutex_lock(&s->mu);
  sim_state_advance_all(s, now, &cfg);
  pthread_mutex_unlock(&s->mu);
}

/* ---- routing ---- */

static bool eq(const char *a, const char *b) {
  return a && strcmp(a, b) == 0;
}

static sim_route match(const sim_request *q) {
  const char *const *g = q->seg;
  int n = q->nseg;
  bool get = eq(q->method, "GET"), post = eq(q->method, "POST"), del = eq(q->method, "DELETE");
  if (n == 0)
    return get ? SIM_R_ROOT : SIM_R_UNKNOWN;
  if (eq(g[0], "admin") && n == 2) {
    if (eq(g[1], "stats") && get)
      return SIM_R_ADMIN_STATS;
    if (eq(g[1], "config"))
      return get ? SIM_R_ADMIN_CONFIG_GET : post ? SIM_R_ADMIN_CONFIG_SET : SIM_R_UNKNOWN;
    if (eq(g[1], "reset") && post)
      return SIM_R_ADMIN_RESET;
    return SIM_R_UNKNOWN;
  }
  if (!eq(g[0], "v1") || n < 2)
    return SIM_R_UNKNOWN;
  if (eq(g[1], "files")) {
    if (n == 2)
      return post ? SIM_R_FILES_UPLOAD : get ? SIM_R_FILES_LIST : SIM_R_UNKNOWN;
    if (n == 3)
      return get ? SIM_R_FILES_GET : del ? SIM_R_FILES_DELETE : SIM_R_UNKNOWN;
    if (n == 4 && eq(g[3], "content") && get)
      return SIM_R_FILES_CONTENT;
  } else if (eq(g[1], "batches")) {
    if (n == 2)
      return post ? SIM_R_BATCHES_CREATE : get ? SIM_R_BATCHES_LIST : SIM_R_UNKNOWN;
    if (n == 3 && get)
      return SIM_R_BATCHES_GET;
    if (n == 4 && eq(g[3], "cancel") && post)
      return SIM_R_BATCHES_CANCEL;
  } else if (eq(g[1], "chat") && n == 3 && eq(g[2], "completions") && post) {
    return SIM_R_CHAT;
  } else if (n == 2 && post && eq(g[1], "responses")) {
    return SIM_R_RESPONSES;
  } else if (n == 2 && post && eq(g[1], "embeddings")) {
    return SIM_R_EMBEDDINGS;
  } else if (n == 2 && post && eq(g[1], "completions")) {
    return SIM_R_COMPLETIONS;
  } else if (eq(g[1], "messages")) {
    if (n == 2)
      return post ? SIM_R_MESSAGES : SIM_R_UNKNOWN;
    if (!eq(g[2], "batches"))
      return SIM_R_UNKNOWN;
    if (n == 3)
      return post ? SIM_R_MB_CREATE : get ? SIM_R_MB_LIST : SIM_R_UNKNOWN;
    if (n == 4)
      return get ? SIM_R_MB_GET : del ? SIM_R_MB_DELETE : SIM_R_UNKNOWN;
    if (n == 5 && eq(g[4], "cancel") && post)
      return SIM_R_MB_CANCEL;
    if (n == 5 && eq(g[4], "results") && get)
      return SIM_R_MB_RESULTS;
  }
  return SIM_R_UNKNOWN;
}

static void split_path(sim_request *q) {
  snprintf(q->segbuf, sizeof q->segbuf, "%s", q->path);
  q->nseg = 0;
  char *save = NULL;
  for (char *t = strtok_r(q->segbuf, "/", &save); t && q->nseg < 8; t = strtok_r(NULL, "/", &save))
    q->seg[q->nseg++] = t;
}

/* ---- auth and faults ---- */

static bool key_ok(const char *given, const char *want) {
  return given && *given && (!*want || strcmp(given, want) == 0);
}

static const char *bearer(const sim_request *q) {
  const char *a = sim_header(q, "authorization");
  if (!a || strncasecmp(a, "Bearer ", 7) != 0)
    return NULL;
  return a + 7;
}

/* Returns false (with a response) when the call is not authenticated. */
static bool authenticate(sim_server *s, const sim_config *cfg, sim_request *q, sim_response *r) {
  if (q->provider == SIM_OPENAI) {
    const char *k = bearer(q);
    if (!k || !*k)
      sim_openai_error(r, 401, "invalid_request_error", NULL, NULL,
                       "You didn't provide an API key. You need to provide your API key in an "
                       "Authorization header using Bearer auth (i.e. Authorization: Bearer "
                       "YOUR_KEY).");
    else if (!key_ok(k, cfg->openai_key))
      sim_openai_error(r, 401, "invalid_request_error", NULL, "invalid_api_key",
                       "Incorrect API key provided. You can find your API key at "
                       "https://platform.openai.com/account/api-keys.");
    else
      return true;
  } else {
    const char *k = sim_header(q, "x-api-key");
    if (!k)
      k = bearer(q);
    if (!k || !*k)
      sim_anthropic_error(r, 401, "authentication_error", "x-api-key header is required");
    else if (!key_ok(k, cfg->anthropic_key))
      sim_anthropic_error(r, 401, "authentication_error", "invalid x-api-key");
    else if (!sim_header(q, "anthropic-version"))
      sim_anthropic_error(r, 400, "invalid_request_error", "anthropic-version: header is required");
    else
      return true;
    if (r->status == 400)
      return false;
  }
  atomic_fetch_add(&s->stats.unauthorized, 1);
  return false;
}

typedef enum { FAULT_NONE, FAULT_DROP, FAULT_429, FAULT_5XX } fault_kind;

/* Roll the dice and spend bursts, under cfg_mu (the bursts are counters in the config). */
static fault_kind pick_fault(sim_server *s, int *code, int *retry_ms) {
  fault_kind f = FAULT_NONE;
  pthread_mutex_lock(&s->cfg_mu);
  sim_config *c = &s->cfg;
  double roll_drop =
      c->drop_rate > 0 ? (double)(sim_splitmix64(&s->fault_rng) >> 11) / 9007199254740992.0 : 1;
  double roll_err =
      c->error_rate > 0 ? (double)(sim_splitmix64(&s->fault_rng) >> 11) / 9007199254740992.0 : 1;
  if (c->drop_next > 0) {
    c->drop_next--;
    f = FAULT_DROP;
  } else if (roll_drop < c->drop_rate) {
    f = FAULT_DROP;
  } else if (c->burst_429 > 0) {
    c->burst_429--;
    f = FAULT_429;
  } else if (c->burst_5xx > 0 || roll_err < c->error_rate) {
    if (c->burst_5xx > 0)
      c->burst_5xx--;
    f = FAULT_5XX;
    *code = c->error_codes[sim_splitmix64(&s->fault_rng) % (uint64_t)c->n_error_codes];
  }
  *retry_ms = c->retry_after_ms;
  pthread_mutex_unlock(&s->cfg_mu);
  return f;
}

static void go_duration(int ms, char *out, size_t size) {
  if (ms < 1000)
    snprintf(out, size, "%dms", ms);
  else if (ms < 60000)
    snprintf(out, size, "%gs", ms / 1000.0);
  else
    snprintf(out, size, "%dm%ds", ms / 60000, (ms % 60000) / 1000);
}

static void ratelimit_headers(sim_server *s, sim_request *q, sim_response *r, bool limited,
                              int retry_ms) {
  if (q->provider == SIM_OPENAI) {
    char reset[32];
    go_duration(limited ? retry_ms : 6, reset, sizeof reset);
    sim_response_header(r, "x-ratelimit-limit-requests", "10000");
    sim_response_header(r, "x-ratelimit-remaining-requests", "%d", limited ? 0 : 9999);
    sim_response_header(r, "x-ratelimit-reset-requests", "%s", reset);
    sim_response_header(r, "x-ratelimit-limit-tokens", "2000000");
    sim_response_header(r, "x-ratelimit-remaining-tokens", "%d", limited ? 0 : 1999000);
    sim_response_header(r, "x-ratelimit-reset-tokens", "%s", reset);
  } else {
    char reset[48];
    sim_rfc3339(sim_server_now(s) + (limited ? retry_ms : 1000), reset, sizeof reset);
    static const char *const kinds[] = {"requests", "tokens", "input-tokens", "output-tokens"};
    static const char *const limits[] = {"4000", "2000000", "1600000", "400000"};
    for (int i = 0; i < 4; i++) {
      char name[64];
      snprintf(name, sizeof name, "anthropic-ratelimit-%s-limit", kinds[i]);
      sim_response_header(r, name, "%s", limits[i]);
      snprintf(name, sizeof name, "anthropic-ratelimit-%s-remaining", kinds[i]);
      sim_response_header(r, name, "%s", limited ? "0" : limits[i]);
      snprintf(name, sizeof name, "anthropic-ratelimit-%s-reset", kinds[i]);
      sim_response_header(r, name, "%s", reset);
    }
  }
}

static void inject_5xx(sim_request *q, sim_response *r, int code) {
  if (q->provider == SIM_ANTHROPIC) {
    const char *type = code == 529 ? "overloaded_error" : "api_error";
    sim_anthropic_error(r, code, type, "%s (batchtop-sim: injected fault)",
                        code == 529 ? "Overloaded" : "Internal server error");
    return;
  }
  if (code == 529)
    code = 503; /* 529 is Anthropic's; OpenAI answers overload with 503 */
  sim_openai_error(r, code, "server_error", NULL, NULL, "%s (batchtop-sim: injected fault)",
                   code == 503 ? "The engine is currently overloaded, please try again later"
                               : "The server had an error while processing your request. Sorry "
                                 "about that!");
}

static void inject_429(sim_request *q, sim_response *r, int retry_ms) {
  if (q->provider == SIM_ANTHROPIC)
    sim_anthropic_error(r, 429, "rate_limit_error",
                        "Number of request tokens has exceeded your per-minute rate limit "
                        "(batchtop-sim: injected fault)");
  else
    sim_openai_error(r, 429, "requests", NULL, "rate_limit_exceeded",
                     "Rate limit reached for requests in organization org-batchtop-sim on "
                     "requests per min (RPM): Limit 10000, Used 10000, Requested 1. Please try "
                     "again in %dms. (batchtop-sim: injected fault)",
                     retry_ms);
  sim_response_header(r, "retry-after", "%d", (retry_ms + 999) / 1000);
  sim_response_header(r, "retry-after-ms", "%d", retry_ms);
}

/* ---- admin ---- */

static void admin(sim_server *s, sim_route route, sim_request *q, sim_response *r) {
  if (route == SIM_R_ADMIN_STATS) {
    sim_response_json(r, 200, sim_stats_json(s));
  } else if (route == SIM_R_ADMIN_RESET) {
    sim_stats_reset(s);
    sim_response_json(r, 200, json_pack("{s:b}", "reset", 1));
  } else if (route == SIM_R_ADMIN_CONFIG_GET || route == SIM_R_ADMIN_CONFIG_SET) {
    char err[512];
    int rc = 0;
    pthread_mutex_lock(&s->cfg_mu);
    if (route == SIM_R_ADMIN_CONFIG_SET)
      rc = sim_config_apply_json(&s->cfg, q->body ? q->body : "", q->body_len, err, sizeof err);
    char *text = sim_config_to_json(&s->cfg);
    pthread_mutex_unlock(&s->cfg_mu);
    if (rc) {
      free(text);
      sim_response_json(r, 400, json_pack("{s:s}", "error", err));
    } else {
      if (route == SIM_R_ADMIN_CONFIG_SET)
        sim_log("config changed: %s", text);
      sim_response_text(r, 200, "application/json", text, strlen(text));
    }
  } else {
    sim_response_json(r, 404, json_pack("{s:s}", "error", "unknown admin endpoint"));
  }
}

/* ---- MHD glue ---- */

typedef struct conn_ctx {
  sim_buf body;
  bool too_large;
  bool held;           /* suspended by the hang rule; closed when resumed */
  bool create_delayed; /* a create held by create_delay_ms; performed when resumed */
} conn_ctx;

/* A connection held by the hang rule (direct calls): suspended, so it costs no thread, and
 * resumed by the timer when the window has passed (then closed without an answer). */
struct sim_held {
  struct MHD_Connection *conn;
  int64_t until_ms;
  struct sim_held *next;
};

static void suspend_until(sim_server *s, struct MHD_Connection *conn, int64_t until_ms) {
  struct sim_held *h = sim_xmalloc(sizeof *h);
  h->conn = conn;
  h->until_ms = until_ms;
  MHD_suspend_connection(conn);
  pthread_mutex_lock(&s->hang_mu);
  h->next = s->held;
  s->held = h;
  pthread_mutex_unlock(&s->hang_mu);
}

static void hold(sim_server *s, struct MHD_Connection *conn, conn_ctx *c, int64_t until_ms) {
  c->held = true;
  suspend_until(s, conn, until_ms);
}

/* Resume held connections whose time has come (all of them when now < 0). */
static void release_held(sim_server *s, int64_t now) {
  pthread_mutex_lock(&s->hang_mu);
  for (struct sim_held **p = &s->held; *p;) {
    struct sim_held *h = *p;
    if (now >= 0 && h->until_ms > now) {
      p = &h->next;
      continue;
    }
    *p = h->next;
    MHD_resume_connection(h->conn);
    free(h);
  }
  pthread_mutex_unlock(&s->hang_mu);
}

typedef struct slow_body {
  char *data;
  size_t len;
  int delay_ms; /* before each of 8 chunks */
} slow_body;

static ssize_t slow_read(void *cls, uint64_t pos, char *buf, size_t max) {
  slow_body *sb = cls;
  if (pos >= sb->len)
    return MHD_CONTENT_READER_END_OF_STREAM;
  size_t chunk = (sb->len + 7) / 8;
  size_t n = sb->len - (size_t)pos;
  if (n > chunk)
    n = chunk;
  if (n > max)
    n = max;
  struct timespec ts = {sb->delay_ms / 1000, (long)(sb->delay_ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
  memcpy(buf, sb->data + pos, n);
  return (ssize_t)n;
}

static void slow_free(void *cls) {
  slow_body *sb = cls;
  free(sb->data);
  free(sb);
}

static enum MHD_Result respond(struct MHD_Connection *conn, sim_response *r, int slow_ms) {
  struct MHD_Response *resp;
  if (slow_ms > 0 && r->body_len > 0) {
    slow_body *sb = sim_xmalloc(sizeof *sb);
    sb->data = r->body;
    sb->len = r->body_len;
    sb->delay_ms = slow_ms / 8;
    resp = MHD_create_response_from_callback(r->body_len, 4096, slow_read, sb, slow_free);
  } else {
    resp =
        MHD_create_response_from_buffer(r->body_len, r->body ? r->body : (char *)"",
                                        r->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
  }
  r->body = NULL;
  if (!resp)
    return MHD_NO;
  MHD_add_response_header(resp, "Content-Type", r->content_type ? r->content_type : "text/plain");
  for (int i = 0; i < r->nhdr; i++)
    MHD_add_response_header(resp, r->hname[i], r->hval[i]);
  enum MHD_Result rc = MHD_queue_response(conn, (unsigned)r->status, resp);
  MHD_destroy_response(resp);
  return rc;
}

static bool is_direct_call(sim_route r) {
  return r == SIM_R_CHAT || r == SIM_R_RESPONSES || r == SIM_R_EMBEDDINGS ||
         r == SIM_R_COMPLETIONS || r == SIM_R_MESSAGES;
}

/* ---- create and list faults ----
 *
 * What real networks do to the calls that make batches. A create is held create_delay_ms
 * (suspended, costing no thread) before the provider handler performs it, so a client killed
 * meanwhile leaves a batch that lands after it died. A performed create (2xx) can then lose its
 * answer (the connection is closed), or be answered with an HTML page or half of its JSON. A
 * list that would succeed can be answered with HTML, half of its JSON or a 500. The counters
 * count down in the config, under cfg_mu, like the bursts. */

typedef enum { CL_NONE, CL_LOST, CL_HTML, CL_CUT, CL_5XX } cl_fault;

static bool route_is_create(sim_route r) {
  return r == SIM_R_BATCHES_CREATE || r == SIM_R_MB_CREATE;
}

static bool route_is_list(sim_route r) {
  return r == SIM_R_BATCHES_LIST || r == SIM_R_MB_LIST;
}

static bool take_one(int *n) {
  if (*n <= 0)
    return false;
  (*n)--;
  return true;
}

/* A create to drop before it is performed (create_drop_next, after create_fault_skip). */
static bool pick_create_drop(sim_server *s, sim_route route) {
  if (!route_is_create(route))
    return false;
  pthread_mutex_lock(&s->cfg_mu);
  bool drop = s->cfg.create_fault_skip <= 0 && take_one(&s->cfg.create_drop_next);
  pthread_mutex_unlock(&s->cfg_mu);
  return drop;
}

/* The fault for a create or list the handler answered with 2xx (none for other routes). */
static cl_fault pick_create_list_fault(sim_server *s, sim_route route) {
  cl_fault f = CL_NONE;
  pthread_mutex_lock(&s->cfg_mu);
  sim_config *c = &s->cfg;
  if (route_is_create(route)) {
    if (take_one(&c->create_fault_skip))
      f = CL_NONE; /* e.g. the first create, so that the next one goes on a reused connection */
    else if (take_one(&c->create_lost_next))
      f = CL_LOST;
    else if (take_one(&c->create_html_next))
      f = CL_HTML;
    else if (take_one(&c->create_cut_next))
      f = CL_CUT;
  } else if (route_is_list(route)) {
    if (take_one(&c->list_5xx_next))
      f = CL_5XX;
    else if (take_one(&c->list_html_next))
      f = CL_HTML;
    else if (take_one(&c->list_cut_next))
      f = CL_CUT;
  }
  pthread_mutex_unlock(&s->cfg_mu);
  return f;
}

static void apply_create_list_fault(sim_request *q, sim_response *r, cl_fault f) {
  if (f == CL_HTML) {
    static const char html[] =
        "<html><head><title>502 Bad Gateway</title></head>\n<body><h1>502 "
        "Bad Gateway</h1><p>batchtop-sim: injected fault</p></body></html>\n";
    free(r->body);
    r->body = sim_xstrdup(html);
    r->body_len = strlen(html);
    r->content_type = "text/html";
  } else if (f == CL_CUT) {
    r->body_len /= 2;
  } else if (f == CL_5XX) {
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
    inject_5xx(q, r, 500);
  }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
  sim_server *s = cls;
  conn_ctx *c = *con_cls;
  if (!c) {
    c = calloc(1, sizeof *c);
    if (!c)
      return MHD_NO;
    *con_cls = c;
    return MHD_YES;
  }
  if (c->held)
    return MHD_NO; /* resumed after the window: close without an answer, like a dead upstream */
  if (*upload_data_size) {
    if (c->body.len + *upload_data_size > MAX_BODY)
      c->too_large = true;
    else
      sim_buf_append(&c->body, upload_data, *upload_data_size);
    *upload_data_size = 0;
    return MHD_YES;
  }

  sim_request q = {.conn = conn, .method = method, .path = url};
  q.body = c->body.data ? c->body.data : "";
  q.body_len = c->body.len;
  q.body_too_large = c->too_large;
  split_path(&q);
  sim_route route = match(&q);
  q.provider = route >= SIM_R_ADMIN_STATS                ? SIM_ADMIN
               : q.nseg >= 2 && eq(q.seg[1], "messages") ? SIM_ANTHROPIC
                                                         : SIM_OPENAI;
  if (!c->create_delayed) /* a delayed create was counted when it arrived */
    atomic_fetch_add(&s->stats.calls[route], 1);
  sim_response r = {.status = 200};
  sim_config cfg;
  sim_server_config_snapshot(s, &cfg);
  if (route_is_create(route) && cfg.create_delay_ms > 0 && !c->create_delayed) {
    c->create_delayed = true;
    suspend_until(s, conn, sim_server_now(s) + cfg.create_delay_ms);
    return MHD_YES; /* called again when resumed: then performed */
  }
  if (cfg.verbose)
    sim_log("%s %s (%zu bytes)", method, url, q.body_len);

  char rid[48];
  int slow_ms = 0;
  if (q.provider == SIM_ADMIN) {
    admin(s, route, &q, &r);
  } else if (route == SIM_R_ROOT) {
    char *b = sim_xstrdup(sim_banner());
    sim_response_text(&r, 200, "text/plain", b, strlen(b));
  } else {
    int code = 0, retry_ms = 0;
    fault_kind f = pick_fault(s, &code, &retry_ms);
    if (f == FAULT_DROP) {
      atomic_fetch_add(&s->stats.dropped, 1);
      return MHD_NO; /* MHD closes the connection without a response */
    }
    if (authenticate(s, &cfg, &q, &r)) {
      if (f == FAULT_429) {
        atomic_fetch_add(&s->stats.status_429, 1);
        inject_429(&q, &r, retry_ms);
      } else if (f == FAULT_5XX) {
        atomic_fetch_add(&s->stats.status_5xx, 1);
        inject_5xx(&q, &r, code);
      } else if (pick_create_drop(s, route)) {
        atomic_fetch_add(&s->stats.dropped, 1);
        return MHD_NO; /* never performed: the client cannot tell this from a lost answer */
      } else if (q.provider == SIM_ANTHROPIC) {
        sim_anthropic_handle(s, route, &q, &r);
      } else {
        sim_openai_handle(s, route, &q, &r);
      }
      cl_fault cf = r.status >= 200 && r.status < 300 ? pick_create_list_fault(s, route) : CL_NONE;
      if (cf == CL_LOST) {
        free(r.body);
        atomic_fetch_add(&s->stats.dropped, 1);
        return MHD_NO; /* performed, but the answer never comes */
      }
      apply_create_list_fault(&q, &r, cf);
    }
    if (f == FAULT_NONE)
      sim_faults_poll_apply(&cfg, route, &q, &r);
    ratelimit_headers(s, &q, &r, f == FAULT_429, retry_ms);
    if (q.provider == SIM_ANTHROPIC) {
      sim_id(rid, sizeof rid, "req_01", 22, true);
      sim_response_header(&r, "request-id", "%s", rid);
    } else {
      sim_id(rid, sizeof rid, "req_", 32, false);
      sim_response_header(&r, "x-request-id", "%s", rid);
      sim_response_header(&r, "openai-version", "2020-10-01");
      sim_response_header(&r, "openai-organization", "org-batchtop-sim");
      sim_response_header(&r, "openai-processing-ms", "1");
    }
    slow_ms = cfg.slow_body_ms;
    if (s->slots > 0 && is_direct_call(route)) {
      /* A small server's slot: this worker is busy, no other connection is taken meanwhile. */
      int64_t ms = (int64_t)sim_config_ms(&cfg, cfg.slot_ms);
      struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
      nanosleep(&ts, NULL);
    }
  }
  if (r.hang) {
    free(r.body);
    hold(s, conn, c, sim_server_now(s) + sim_config_ms(&cfg, cfg.window_ms));
    return MHD_YES;
  }
  sim_response_header(&r, "x-batchtop-sim", "synthetic");
  if (s->slots > 0) /* the next call is a new connect, through the listen backlog */
    sim_response_header(&r, "Connection", "close");
  return respond(conn, &r, slow_ms);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  conn_ctx *c = *con_cls;
  if (c) {
    sim_buf_free(&c->body);
    free(c);
    *con_cls = NULL;
  }
}

static void *timer_main(void *arg) {
  sim_server *s = arg;
  pthread_mutex_lock(&s->timer_mu);
  while (!s->stopping) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += TICK_MS * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&s->timer_cv, &s->timer_mu, &ts);
    if (s->stopping)
      break;
    pthread_mutex_unlock(&s->timer_mu);
    sim_server_tick(s);
    release_held(s, sim_server_now(s));
    pthread_mutex_lock(&s->timer_mu);
  }
  pthread_mutex_unlock(&s->timer_mu);
  return NULL;
}

sim_server *sim_server_start(const sim_config *cfg, uint16_t port, sim_clock_fn clock,
                             void *clock_ctx, char *err, size_t errlen) {
  sim_server *s = calloc(1, sizeof *s);
  if (!s) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  s->cfg = *cfg;
  s->clock = clock ? clock : sim_realtime_ms;
  s->clock_ctx = clock_ctx;
  s->slots = cfg->slots;
  s->rng = cfg->seed ? cfg->seed : (uint64_t)sim_realtime_ms(NULL) * 0x9E3779B97F4A7C15ULL;
  s->fault_rng = s->rng ^ 0x5DEECE66DULL;
  sim_id_seed(s->rng);
  pthread_mutex_init(&s->cfg_mu, NULL);
  pthread_mutex_init(&s->mu, NULL);
  pthread_mutex_init(&s->timer_mu, NULL);
  pthread_mutex_init(&s->hang_mu, NULL);
  pthread_cond_init(&s->timer_cv, NULL);
  sim_stats_init(&s->stats);

  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_ALLOW_SUSPEND_RESUME |
                   (MHD_is_feature_supported(MHD_FEATURE_EPOLL) ? MHD_USE_EPOLL : MHD_USE_POLL);
  /* With slots: one thread per slot, one connection per thread, so further connects wait in
   * the kernel's listen backlog (and beyond it are dropped, to be retried by TCP after 1, 3,
   * 7... s), as with a thread-per-connection server such as llama.cpp's. */
  unsigned threads = (unsigned)(cfg->slots > 0 ? cfg->slots : cfg->threads > 0 ? cfg->threads : 4);
  unsigned limit = cfg->slots > 0 ? (unsigned)cfg->slots : 4096u;
  s->daemon = MHD_start_daemon(flags, port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
                               (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, threads,
                               MHD_OPTION_CONNECTION_LIMIT, limit, MHD_OPTION_CONNECTION_TIMEOUT,
                               600u, MHD_OPTION_LISTEN_BACKLOG_SIZE,
                               (unsigned)(cfg->backlog > 0 ? cfg->backlog : 1024),
                               MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
  if (!s->daemon) {
    snprintf(err, errlen, "cannot listen on 127.0.0.1:%u", (unsigned)port);
    sim_stats_cleanup(&s->stats);
    free(s);
    return NULL;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
  s->port = info ? info->port : port;
  if (pthread_create(&s->timer, NULL, timer_main, s) != 0) {
    MHD_stop_daemon(s->daemon);
    sim_stats_cleanup(&s->stats);
    free(s);
    snprintf(err, errlen, "cannot start the timer thread");
    return NULL;
  }
  return s;
}

void sim_server_stop(sim_server *s) {
  if (!s)
    return;
  pthread_mutex_lock(&s->timer_mu);
  s->stopping = true;
  pthread_cond_signal(&s->timer_cv);
  pthread_mutex_unlock(&s->timer_mu);
  pthread_join(s->timer, NULL);
  release_held(s, -1); /* MHD cannot stop with suspended connections */
  MHD_stop_daemon(s->daemon);
  sim_state_free(s);
  sim_stats_cleanup(&s->stats);
  pthread_mutex_destroy(&s->cfg_mu);
  pthread_mutex_destroy(&s->mu);
  pthread_mutex_destroy(&s->timer_mu);
  pthread_mutex_destroy(&s->hang_mu);
  pthread_cond_destroy(&s->timer_cv);
  free(s);
}
