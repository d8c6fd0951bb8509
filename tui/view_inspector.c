/* view_inspector: one task: its input row, the rendered request, the response text, the error,
 * tokens and cost, every attempt, for a task of a pipeline stage the row's lineage (every stage
 * and attempt it went through), and the raw JSON pretty-printed. Scrolls as one document.
 * Every string passes through secret_scrub() first: an API key never reaches the screen. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "actions.h"
#include "app.h"
#include "secret.h"
#include "store_query.h"
#include "ui_doc.h"
#include "ui_text.h"
#include "util.h"

typedef struct {
  int64_t task_id;
  bt_qtask_detail t;
  bt_qlineage lin; /* empty outside pipelines */
  char job_name[128];
  ui_doc doc;
  int loaded;
  char search[256]; /* the / search; its matches are marked, n and N go between them */
} inspector_view;

static void add_text(ui_doc *d, ui_elem e, int indent, const char *text) {
  char *copy = util_xstrdup(text ? text : "");
  secret_scrub(copy);
  ui_doc_add(d, e, indent, copy);
  free(copy);
}

static void add_kv(ui_doc *d, const char *label, const char *value) {
  char *copy = util_xstrdup(value ? value : "");
  secret_scrub(copy);
  ui_doc_kv(d, 3, 14, label, copy);
  free(copy);
}

static void heading(ui_doc *d, const char *title) {
  ui_doc_add(d, UI_NORMAL, 0, "");
  ui_doc_add(d, UI_SECTION, 1, title);
}

/* A JSON value as short text: strings as they are, the rest compact. Caller frees. */
static char *json_text(const json_t *v) {
  if (json_is_string(v))
    return util_xstrdup(json_string_value(v));
  char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  return s ? s : util_xstrdup("");
}

/* Message content: a string, or an array of parts whose text parts are joined. */
static char *content_text(const json_t *c) {
  if (json_is_string(c))
    return util_xstrdup(json_string_value(c));
  if (json_is_array(c)) {
    size_t i, total = 0;
    json_t *part;
    char *out = util_xstrdup("");
    json_array_foreach(c, i, part) {
      const char *t = json_string_value(json_object_get(part, "text"));
      if (!t)
        continue;
      size_t n = strlen(t);
      char *p = realloc(out, total + n + 2);
      if (!p)
        break;
      out = p;
      if (total)
        out[total++] = '\n';
      memcpy(out + total, t, n + 1);
      total += n;
    }
    return out;
  }
  return json_text(c);
}

static void add_request(ui_doc *d, const char *request) {
  json_error_t je;
  json_t *root = json_loads(request ? request : "", 0, &je);
  if (!root) {
    add_text(d, UI_NORMAL, 3, request);
    return;
  }
  /* OpenAI batch lines carry "body"; Anthropic's carry "params". */
  json_t *body = json_object_get(root, "body");
  if (!body)
    body = json_object_get(root, "params");
  if (!json_is_object(body))
    body = root;
  json_t *sys = json_object_get(body, "system");
  if (sys) {
    char *s = content_text(sys);
    add_kv(d, "system", s);
    free(s);
  }
  json_t *msgs = json_object_get(body, "messages");
  size_t i;
  json_t *m;
  json_array_foreach(msgs, i, m) {
    const char *role = json_string_value(json_object_get(m, "role"));
    char *s = content_text(json_object_get(m, "content"));
    add_kv(d, role ? role : "message", s);
    free(s);
  }
  /* Everything else in the body is a parameter. */
  char params[1024] = "";
  size_t n = 0;
  const char *key;
  json_t *val;
  json_object_foreach(body, key, val) {
    if (strcmp(key, "messages") == 0 || strcmp(key, "system") == 0)
      continue;
    char *s = json_text(val);
    int w = snprintf(params + n, sizeof params - n, "%s%s=%s", n ? "  " : "", key, s);
    free(s);
    if (w < 0 || (size_t)w >= sizeof params - n)
      break;
    n += (size_t)w;
  }
  const char *url = json_string_value(json_object_get(root, "url"));
  if (url) {
    int w = snprintf(params + n, sizeof params - n, "%surl=%s", n ? "  " : "", url);
    (void)w;
  }
  add_kv(d, "params", params);
  json_decref(root);
}

/* Pretty-printed JSON, with keys in their own element. */
static void add_json(ui_doc *d, const char *text) {
  json_error_t je;
  json_t *root = json_loads(text ? text : "", 0, &je);
  if (!root) {
    add_text(d, UI_NORMAL, 3, text && text[0] ? text : "(none)");
    return;
  }
  char *pretty = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
  json_decref(root);
  if (!pretty)
    return;
  secret_scrub(pretty);
  size_t first = d->n;
  ui_doc_add(d, UI_NORMAL, 3, pretty);
  /* "key": spans on every line that starts (after spaces) with a quoted key. */
  for (size_t i = first; i < d->n; i++) {
    const char *l = d->lines[i].text;
    size_t s = strspn(l, " ");
    if (l[s] != '"')
      continue;
    const char *colon = strstr(l + s, "\": ");
    if (colon)
      ui_doc_span(d, i, s, (size_t)(colon - l) + 1 - s, UI_JSON_KEY);
  }
  free(pretty);
}

/* A task's cost: one request costs fractions of a cent, so small amounts keep their digits. */
static const char *fmt_cost(double usd, char *buf, size_t size) {
  if (usd > 0 && usd < 0.0001)
    snprintf(buf, size, "$%.7f", usd);
  else
    util_fmt_usd(usd, buf, size);
  return buf;
}

/* Colour the first occurrence of word at or after byte from of line li in word's state element. */
static void state_span(ui_doc *d, size_t li, size_t from, const char *word) {
  const char *sp = strstr(d->lines[li].text + from, word);
  if (sp)
    ui_doc_span(d, li, (size_t)(sp - d->lines[li].text), strlen(word), ui_state_elem(word));
}

/* The row's way through its pipeline: each stage (this task's marked) with its status, the
 * first line of its output, and every attempt there. */
static void add_lineage(inspector_view *v) {
  ui_doc *d = &v->doc;
  const bt_qlineage *l = &v->lin;
  heading(d, "Lineage");
  size_t li = ui_doc_addf(d, UI_DIM, 3, "row %lld through pipeline %s, stage by stage",
                          (long long)l->row_no, l->pipeline_name);
  const char *mark = ui_text_utf8() ? "\xe2\x96\xb8" : ">";
  for (size_t k = 0; k < l->n; k++) {
    const bt_qlineage_stage *g = &l->stages[k];
    int here = !strcmp(g->job_id, v->t.job_id);
    char first[512] = "", out[256] = "";
    if (g->output) {
      size_t n = strcspn(g->output, "\n");
      snprintf(first, sizeof first, "%.*s", (int)(n < sizeof first - 1 ? n : sizeof first - 1),
               g->output);
      secret_scrub(first); /* before the cut, which could split a key the doc would miss */
      ui_text_cut(first, 48, out, sizeof out);
    }
    char model[160];
    snprintf(model, sizeof model, "%s/%s", g->provider ? g->provider : "-",
             g->model ? g->model : "-");
    li = ui_doc_addf(d, UI_NORMAL, 3, "%s %lld %-10s %-9s %-28s %s", here ? mark : " ",
                     (long long)g->stage_no, g->stage_name ? g->stage_name : g->job_id, g->status,
                     model, out);
    size_t name_at = strlen(here ? mark : " ") + 1;
    ui_doc_span(d, li, 0, name_at + 1 + strlen(g->stage_name ? g->stage_name : g->job_id) + 2,
                here ? UI_VALUE : UI_NORMAL);
    state_span(d, li, name_at, g->status);
    for (size_t i = 0; i < g->n_att; i++) {
      const bt_qattempt *at = &g->attempts[i];
      char a[32], b[32], usd[32];
      li = ui_doc_addf(d, UI_DIM, 7, "#%lld  %-22s %-9s %s%sin %s / out %s  %s",
                       (long long)at->attempt_no, at->batch_remote_id ? at->batch_remote_id : "-",
                       at->state, at->error_code ? at->error_code : "", at->error_code ? "  " : "",
                       util_fmt_count((double)at->input_tokens, a, sizeof a),
                       util_fmt_count((double)at->output_tokens, b, sizeof b),
                       fmt_cost(at->cost_usd, usd, sizeof usd));
      state_span(d, li, 0, at->state);
      if (at->error_code)
        ui_doc_span(d, li, (size_t)(strstr(d->lines[li].text, at->error_code) - d->lines[li].text),
                    strlen(at->error_code), UI_ERROR_CODE);
    }
  }
}

static void inspector_rebuild(inspector_view *v, bt_app *app);

/* Why a task has no response to show. */
static const char *no_response(const bt_qtask_detail *t, const bt_qattempt *last, char *buf,
                               size_t size) {
  const char *code = t->error_code ? t->error_code : last ? last->error_code : NULL;
  const char *msg = last ? last->error_message : NULL; /* shown under Error */
  if (strcmp(t->state, "expired") == 0)
    snprintf(buf, size, "no response: the batch expired before this request ran");
  else if (strcmp(t->state, "cancelled") == 0)
    snprintf(buf, size, "no response: the request was cancelled before it ran");
  else if (strcmp(t->state, "failed") == 0 && (code || msg))
    snprintf(buf, size, "no response: the request failed with %s (the error is below)",
             code ? code : "an error");
  else if (strcmp(t->state, "failed") == 0)
    snprintf(buf, size, "no response: the request failed and the provider gave no reason");
  else if (strcmp(t->state, "pending") == 0)
    snprintf(buf, size, "no response yet: the request has not been sent");
  else
    snprintf(buf, size, "no response yet: the request is at the provider");
  return buf;
}

/* Case-insensitive strstr, for the search. */
static const char *find_ci(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  if (!n)
    return NULL;
  for (; *hay; hay++)
    if (strncasecmp(hay, needle, n) == 0)
      return hay;
  return NULL;
}

/* Mark every match of the search; returns how many. */
static int mark_matches(inspector_view *v) {
  int n = 0;
  if (!v->search[0])
    return 0;
  size_t len = strlen(v->search);
  for (size_t i = 0; i < v->doc.n; i++)
    for (const char *p = v->doc.lines[i].text; (p = find_ci(p, v->search)); p += len) {
      ui_doc_span(&v->doc, i, (size_t)(p - v->doc.lines[i].text), len, UI_SELECTION);
      n++;
    }
  return n;
}

/* Scroll to the next (dir 1) or previous (-1) row holding a match, after (before) the first row
 * shown; wraps around. 0 when there is none. */
static int goto_match(inspector_view *v, bt_app *app, int dir) {
  size_t rows = ui_doc_rows(&v->doc, app->cols);
  if (!rows || !v->search[0])
    return 0;
  for (size_t k = 1; k <= rows; k++) {
    int64_t r = (v->doc.scroll + (int64_t)(dir > 0 ? k : rows - k)) % (int64_t)rows;
    const ui_doc_row *row = &v->doc.rows[r];
    const char *text = v->doc.lines[row->line].text;
    /* A match that starts in this row. */
    const char *p = find_ci(text + row->off, v->search);
    if (p && (size_t)(p - text) < row->off + row->len) {
      v->doc.scroll = r;
      return 1;
    }
  }
  return 0;
}

static void search_set(bt_app *app, void *ud, const char *text) {
  inspector_view *v = ud;
  util_strlcpy(v->search, text, sizeof v->search);
  int64_t scroll = v->doc.scroll;
  inspector_rebuild(v, app);
  v->doc.scroll = scroll > 0 ? scroll - 1 : -1; /* a match on the row shown counts */
  if (!v->search[0])
    v->doc.scroll = scroll;
  else if (!goto_match(v, app, 1)) {
    v->doc.scroll = scroll;
    app_message(app, 1, "'%s' is not in this task", v->search);
  }
}

static void build(inspector_view *v, bt_app *app) {
  ui_doc *d = &v->doc;
  const bt_qtask_detail *t = &v->t;
  int64_t now = util_now_ms();
  ui_doc_clear(d);
  char buf[512], a[32], b[32], c[32];
  size_t l = ui_doc_addf(d, UI_VALUE, 1, "%s  row %lld (line %lld)  %s  %lld attempt%s",
                         t->custom_id, (long long)t->row_no, (long long)t->line_no, t->state,
                         (long long)t->n_attempts, t->n_attempts == 1 ? "" : "s");
  const char *st = strstr(d->lines[l].text, t->state);
  if (st)
    ui_doc_span(d, l, (size_t)(st - d->lines[l].text), strlen(t->state), ui_state_elem(t->state));

  heading(d, "Input row");
  json_error_t je;
  json_t *in = json_loads(t->input ? t->input : "", 0, &je);
  if (json_is_object(in)) {
    const char *key;
    json_t *val;
    json_object_foreach(in, key, val) {
      char *s = json_text(val);
      add_kv(d, key, s);
      free(s);
    }
  } else {
    add_text(d, UI_NORMAL, 3, t->input);
  }
  json_decref(in);

  heading(d, "Request");
  add_request(d, t->request);

  heading(d, "Response");
  const bt_qattempt *last = t->n_att ? &t->attempts[t->n_att - 1] : NULL;
  const char *out = t->output ? t->output : last ? last->output : NULL;
  if (out)
    add_text(d, UI_NORMAL, 3, out);
  else
    add_text(d, UI_DIM, 3, no_response(t, last, buf, sizeof buf));

  if (t->error_code || (last && last->error_message)) {
    heading(d, "Error");
    size_t i = ui_doc_addf(d, UI_NORMAL, 3, "%s%s%s", t->error_code ? t->error_code : "",
                           t->error_code && last && last->error_message ? ": " : "",
                           last && last->error_message ? last->error_message : "");
    if (t->error_code)
      ui_doc_span(d, i, 0, strlen(t->error_code), UI_ERROR_CODE);
  }

  heading(d, "Tokens and cost");
  int64_t in_tok = 0, out_tok = 0, cached = 0;
  double cost = 0;
  for (size_t i = 0; i < t->n_att; i++) {
    in_tok += t->attempts[i].input_tokens;
    out_tok += t->attempts[i].output_tokens;
    cached += t->attempts[i].cached_tokens;
    cost += t->attempts[i].cost_usd;
  }
  char usd[32];
  snprintf(buf, sizeof buf, "input %s \xc2\xb7 output %s \xc2\xb7 cached %s \xc2\xb7 cost %s",
           util_fmt_count((double)in_tok, a, sizeof a),
           util_fmt_count((double)out_tok, b, sizeof b),
           util_fmt_count((double)cached, c, sizeof c), fmt_cost(cost, usd, sizeof usd));
  add_text(d, UI_NORMAL, 3, buf);

  heading(d, "Attempts");
  if (!t->n_att)
    add_text(d, UI_DIM, 3, "(none yet)");
  for (size_t i = 0; i < t->n_att; i++) {
    const bt_qattempt *at = &t->attempts[i];
    char http[16] = "";
    if (at->http_status)
      snprintf(http, sizeof http, "HTTP %lld", (long long)at->http_status);
    char when[32];
    if (at->finished_at)
      snprintf(when, sizeof when, "ended %s ago", ui_fmt_age(now, at->finished_at, a, sizeof a));
    else
      snprintf(when, sizeof when, "started %s ago", ui_fmt_age(now, at->created_at, a, sizeof a));
    size_t li =
        ui_doc_addf(d, UI_NORMAL, 3, "#%lld  %-10s %-9s %-8s %s  %s%s%s", (long long)at->attempt_no,
                    at->batch_remote_id ? at->batch_remote_id : "-", at->state, http, when,
                    at->error_code ? at->error_code : "", at->error_message ? ": " : "",
                    at->error_message ? at->error_message : "");
    const char *sp = strstr(d->lines[li].text, at->state);
    if (sp)
      ui_doc_span(d, li, (size_t)(sp - d->lines[li].text), strlen(at->state),
                  ui_state_elem(at->state));
  }

  if (v->lin.n)
    add_lineage(v);

  heading(d, "Raw response (JSON)");
  add_json(d, last ? last->response : NULL);
  heading(d, "Raw request (JSON)");
  add_json(d, t->request);
  (void)app;
}

static void inspector_rebuild(inspector_view *v, bt_app *app) {
  build(v, app);
  mark_matches(v);
}

static int inspector_load(void *st, bt_app *app) {
  inspector_view *v = st;
  store_query_task_cleanup(&v->t);
  bt_error err;
  error_clear(&err);
  v->loaded = store_query_task(app->store, v->task_id, &v->t, &err) == BT_OK;
  if (!v->loaded) {
    app_message(app, 1, "%s", err.message);
    return UI_REDRAW;
  }
  store_query_lineage_cleanup(&v->lin);
  if (store_query_lineage(app->store, v->t.job_id, v->t.row_no, &v->lin, &err) != BT_OK)
    app_message(app, 1, "%s", err.message); /* the task itself still shows */
  int64_t scroll = v->doc.scroll;
  inspector_rebuild(v, app);
  v->doc.scroll = scroll;
  return UI_REDRAW;
}

static void *inspector_open(bt_app *app, const bt_view_arg *arg) {
  inspector_view *v = calloc(1, sizeof *v);
  if (!v)
    return NULL;
  ui_doc_init(&v->doc);
  v->task_id = arg->task_id;
  inspector_load(v, app);
  if (!v->loaded) {
    store_query_lineage_cleanup(&v->lin);
    ui_doc_cleanup(&v->doc);
    free(v);
    return NULL;
  }
  bt_error err;
  error_clear(&err);
  if (store_query_job_name(app->store, v->t.job_id, v->job_name, sizeof v->job_name, &err) != BT_OK)
    v->job_name[0] = '\0';
  return v;
}

static void inspector_close(void *st) {
  inspector_view *v = st;
  store_query_task_cleanup(&v->t);
  store_query_lineage_cleanup(&v->lin);
  ui_doc_cleanup(&v->doc);
  free(v);
}

static void inspector_draw(void *st, bt_app *app, int top, int height) {
  inspector_view *v = st;
  ui_doc_draw(&v->doc, top, 0, height, app->cols);
}

/* v: the raw response and request, pretty-printed and scrubbed, in $PAGER (else less). The
 * screen is handed over and taken back (endwin, then a full repaint). */
static void open_pager(inspector_view *v, bt_app *app) {
  if (app->headless) {
    app_message(app, 1, "no pager in a headless dashboard");
    return;
  }
  char path[] = "/tmp/batchtop-task-XXXXXX";
  int fd = mkstemp(path);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (!f) {
    if (fd >= 0)
      close(fd);
    app_message(app, 1, "cannot write a file for the pager");
    return;
  }
  const bt_qattempt *last = v->t.n_att ? &v->t.attempts[v->t.n_att - 1] : NULL;
  const char *texts[2] = {last ? last->response : NULL, v->t.request};
  const char *titles[2] = {"raw response", "raw request"};
  for (int i = 0; i < 2; i++) {
    json_error_t je;
    json_t *root = json_loads(texts[i] ? texts[i] : "", 0, &je);
    char *pretty = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY)
                        : util_xstrdup(texts[i] ? texts[i] : "(none)");
    json_decref(root);
    if (pretty) {
      secret_scrub(pretty);
      fprintf(f, "// %s of %s (row %lld)\n%s\n\n", titles[i], v->t.custom_id,
              (long long)v->t.row_no, pretty);
      free(pretty);
    }
  }
  fclose(f);
  def_prog_mode();
  endwin();
  /* The pager owns the terminal: ^C there must not stop the dashboard. */
  struct sigaction ign, old_int, old_quit;
  memset(&ign, 0, sizeof ign);
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  sigaction(SIGINT, &ign, &old_int);
  sigaction(SIGQUIT, &ign, &old_quit);
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    const char *pager = getenv("PAGER");
    execl("/bin/sh", "sh", "-c", "exec ${1:-less} \"$2\"", "sh", pager && *pager ? pager : "less",
          path, (char *)NULL);
    _exit(127);
  }
  int status = 0;
  if (pid > 0)
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGQUIT, &old_quit, NULL);
  unlink(path);
  reset_prog_mode();
  clearok(curscr, TRUE);
  refresh();
  if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) == 127)
    app_message(app, 1, "the pager did not run (set PAGER, or install less)");
}

static int inspector_key(void *st, bt_app *app, ui_action a, int key) {
  inspector_view *v = st;
  if (ui_doc_move(&v->doc, a))
    return UI_HANDLED | UI_REDRAW;
  if (!v->loaded)
    return 0;
  /* n and N go between matches here (elsewhere n is a new job). */
  if (ui_keymap_has(&app->keymap, ACT_SEARCH_NEXT, key))
    a = ACT_SEARCH_NEXT;
  else if (ui_keymap_has(&app->keymap, ACT_SEARCH_PREV, key))
    a = ACT_SEARCH_PREV;
  switch (a) {
  case ACT_FILTER:
    app_prompt(app, "Search this task", v->search, 0, search_set, v, NULL);
    return UI_HANDLED | UI_REDRAW;
  case ACT_SEARCH_NEXT:
  case ACT_SEARCH_PREV:
    if (!v->search[0])
      app_message(app, 0, "press / to search first");
    else if (!goto_match(v, app, a == ACT_SEARCH_NEXT ? 1 : -1))
      app_message(app, 1, "'%s' is not in this task", v->search);
    return UI_HANDLED | UI_REDRAW;
  case ACT_PAGER:
    open_pager(v, app);
    return UI_HANDLED | UI_REDRAW;
  case ACT_RETRY_ONE:
  case ACT_RETRY:
    return actions_ask_retry(app, v->t.job_id, v->job_name[0] ? v->job_name : v->t.job_id, NULL,
                             v->t.id);
  case ACT_COPY:
    app_copy(app, v->t.custom_id);
    return UI_HANDLED | UI_REDRAW;
  default:
    return 0;
  }
}

static void inspector_title(void *st, char *buf, size_t size) {
  inspector_view *v = st;
  snprintf(buf, size, "%s", v->loaded ? v->t.custom_id : "task");
}

static void inspector_status(void *st, bt_app *app, char *buf, size_t size) {
  inspector_view *v = st;
  (void)app;
  size_t rows = v->doc.n_rows;
  snprintf(buf, size,
           " lines %lld-%lld of %zu%s%s \xc2\xb7 R retries this task \xc2\xb7 y copies its id",
           (long long)(rows ? v->doc.scroll + 1 : 0),
           (long long)(v->doc.scroll + v->doc.height < (int64_t)rows ? v->doc.scroll + v->doc.height
                                                                     : (int64_t)rows),
           rows, v->search[0] ? " \xc2\xb7 search: " : "", v->search);
}

static const ui_action inspector_footer[] = {
    ACT_PAGE_DOWN, ACT_PAGE_UP, ACT_FILTER, ACT_RETRY_ONE, ACT_COPY, ACT_SEARCH_NEXT, ACT_PAGER};

const bt_view_ops view_inspector_ops = {
    "inspector",
    inspector_open,
    inspector_load,
    inspector_draw,
    inspector_key,
    NULL,
    NULL,
    inspector_close,
    inspector_title,
    inspector_status,
    inspector_footer,
    (int)(sizeof inspector_footer / sizeof inspector_footer[0]),
};
