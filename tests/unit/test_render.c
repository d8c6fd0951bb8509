/* Unit tests: the render contract (render_open/next/close) over real files: each provider,
 * CSV and JSONL, ids, checks, lookups, and errors with their locations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "render.h"
#include "testutil.h"

typedef struct fx {
  char *dir;
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  f->dir = tu_tmpdir();
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  tu_rmtree(f->dir);
  free(f->dir);
  free(f);
  return 0;
}

static json_t *parse_json(const char *s) {
  json_error_t je;
  json_t *j = json_loads(s, JSON_REJECT_DUPLICATES, &je);
  if (!j)
    fail_msg("invalid JSON (%s): %s", je.text, s);
  return j;
}

static const char *jstr(json_t *j, const char *path) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *tok = strtok(buf, "."); tok && j; tok = strtok(NULL, "."))
    j = json_is_array(j) ? json_array_get(j, (size_t)atoi(tok)) : json_object_get(j, tok);
  return json_string_value(j);
}

/* Render everything; returns the status, the number of rows in *rows. */
static bt_status render_all(const char *tpl, const char *in, const bt_render_opts *o, int64_t *rows,
                            bt_error *err) {
  bt_render *r = NULL;
  error_clear(err);
  *rows = 0;
  bt_status s = render_open(tpl, in, o, &r, err);
  if (s)
    return s;
  const bt_rendered *row;
  while (!(s = render_next(r, &row, err)) && row)
    (*rows)++;
  render_close(r);
  return s;
}

static void expect_fail(const char *tpl, const char *in, const bt_render_opts *o, bt_status st,
                        const char *file, long line, long col, const char *needle) {
  bt_error err;
  int64_t rows;
  bt_status s = render_all(tpl, in, o, &rows, &err);
  if (s != st || (file && strcmp(err.file, file)) || err.line != line || err.column != col ||
      !strstr(err.message, needle))
    fail_msg("got %d %s:%ld:%ld: %s; wanted %d %s:%ld:%ld ...%s...", s, err.file, err.line,
             err.column, err.message, st, file ? file : "", line, col, needle);
}

static void test_examples_openai(void **state) {
  (void)state;
  char *tpl = tu_source_path("examples/label.tmpl");
  char *csv = tu_source_path("examples/feedback.csv");
  bt_render *r;
  bt_error err;
  assert_int_equal(render_open(tpl, csv, NULL, &r, &err), BT_OK);
  const bt_render_info *info = render_info(r);
  assert_string_equal(info->provider, "openai");
  assert_string_equal(info->model, "gpt-4o-mini");
  assert_string_equal(info->endpoint, "/v1/chat/completions");
  assert_string_equal(info->format, "csv");
  assert_int_equal(info->max_tokens, 5);
  assert_string_equal(info->fields_json, "[\"id\",\"customer\",\"channel\",\"feedback\"]");
  assert_non_null(strstr(info->template_text, "{{feedback}}"));
  const bt_rendered *row;
  int64_t n = 0;
  while (render_next(r, &row, &err) == BT_OK && row) {
    n++;
    assert_int_equal(row->row_no, n);
    char id[32];
    snprintf(id, sizeof id, "row-%lld", (long long)n);
    assert_string_equal(row->custom_id, id);
    assert_int_equal(strlen(row->request), row->request_bytes);
    assert_int_equal(row->max_output_tokens, 5);
    assert_true(row->est_input_tokens > 30);
    json_t *j = parse_json(row->request);
    assert_string_equal(jstr(j, "custom_id"), id);
    assert_string_equal(jstr(j, "body.messages.0.role"), "system");
    json_t *in = parse_json(row->input_json);
    const char *fb = jstr(in, "feedback");
    assert_non_null(fb);
    assert_non_null(strstr(jstr(j, "body.messages.1.content"), fb));
    /* spans: channel then feedback, pointing at the values in the user text */
    assert_int_equal(row->n_user_spans, 2);
    assert_memory_equal(row->user_text + row->user_spans[1].start, fb, strlen(fb));
    assert_int_equal(row->user_spans[1].len, strlen(fb));
    assert_string_equal(template_field(render_template(r), row->user_spans[1].field), "feedback");
    assert_int_equal(row->n_system_spans, 0);
    if (n == 23) { /* a quoted value with a line break: the next rows' lines shift */
      assert_int_equal(row->line_no, 24);
      assert_non_null(strstr(fb, "\nAlso, second paragraph"));
    }
    if (n == 24)
      assert_int_equal(row->line_no, 26);
    json_decref(j);
    json_decref(in);
  }
  assert_int_equal(n, 200);
  render_close(r);
  free(tpl);
  free(csv);
}

static void test_providers(void **state) {
  fx *f = *state;
  char *tpl = tu_write_file(f->dir, "t.tmpl",
                            "---\nmodel: m1\nmax_tokens: 20\nsystem: Sys {{kind}}\n"
                            "temperature: 0.2\n---\nDo {{task}} \xe2\x80\xa8 now\n");
  char *csv = tu_write_file(f->dir, "in.csv", "kind,task\nA,one\nB,two\n");
  bt_render_opts o = {0};
  o.provider = "anthropic";
  o.model = "claude-x";
  o.max_tokens = 7;
  bt_render *r;
  bt_error err;
  assert_int_equal(render_open(tpl, csv, &o, &r, &err), BT_OK);
  assert_string_equal(render_info(r)->endpoint, "/v1/messages");
  const bt_rendered *row;
  assert_int_equal(render_next(r, &row, &err), BT_OK);
  json_t *j = parse_json(row->request);
  assert_int_equal(json_object_size(j), 2);
  assert_string_equal(jstr(j, "params.model"), "claude-x"); /* flags beat front matter */
  assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "params"), "max_tokens")),
                   7);
  assert_string_equal(jstr(j, "params.system"), "Sys A");
  assert_string_equal(jstr(j, "params.messages.0.content"), "Do one \xe2\x80\xa8 now");
  assert_int_equal(row->n_system_spans, 1);
  assert_string_equal(row->system_text, "Sys A");
  json_decref(j);
  render_close(r);

  o.provider = "local";
  assert_int_equal(render_open(tpl, csv, &o, &r, &err), BT_OK);
  assert_int_equal(render_next(r, &row, &err), BT_OK);
  assert_int_equal(render_next(r, &row, &err), BT_OK);
  j = parse_json(row->request);
  assert_null(json_object_get(j, "custom_id"));
  assert_string_equal(jstr(j, "messages.0.content"), "Sys B");
  assert_string_equal(jstr(j, "messages.1.content"), "Do two \xe2\x80\xa8 now");
  json_decref(j);
  assert_int_equal(render_next(r, &row, &err), BT_OK);
  assert_null(row);
  assert_int_equal(render_next(r, &row, &err), BT_OK); /* stays at the end */
  assert_null(row);
  render_close(r);
  free(tpl);
  free(csv);
}

static void test_jsonl(void **state) {
  fx *f = *state;
  char *tpl = tu_write_file(f->dir, "t.tmpl",
                            "---\nmodel: m\n---\n{{text}} / {{meta}} / {{n}} / "
                            "{{missing|default:\"-\"}} / {{z|default:\"was null\"}}\n");
  char *in =
      tu_write_file(f->dir, "in.jsonl",
                    "{\"text\":\"a\\\"b\",\"meta\":{\"k\": [1, 2.50]},\"n\":3.0,\"z\":null}\n"
                    "{\"text\":\"c\",\"meta\":[],\"n\":-1,\"z\":\"zz\",\"extra\":true}\n\n");
  bt_render *r;
  bt_error err;
  assert_int_equal(render_open(tpl, in, NULL, &r, &err), BT_OK);
  assert_string_equal(render_info(r)->format, "jsonl");
  assert_string_equal(render_info(r)->fields_json, "[\"text\",\"meta\",\"n\",\"z\"]");
  const bt_rendered *row;
  assert_int_equal(render_next(r, &row, &err), BT_OK);
  json_t *j = parse_json(row->request);
  assert_string_equal(jstr(j, "body.messages.0.content"),
                      "a\"b / {\"k\":[1,2.50]} / 3.0 / - / was null");
  json_decref(j);
  j = parse_json(row->input_json);
  assert_true(json_is_null(json_object_get(j, "z")));
  assert_true(json_is_object(json_object_get(j, "meta")));
  json_decref(j);
  assert_int_equal(render_next(r, &row, &err), BT_OK);
  assert_int_equal(row->line_no, 2);
  assert_string_equal(render_info(r)->fields_json, "[\"text\",\"meta\",\"n\",\"z\",\"extra\"]");
  j = parse_json(row->request);
  assert_string_equal(jstr(j, "body.messages.0.content"), "c / [] / -1 / - / zz");
  json_decref(j);
  render_close(r);
  free(tpl);
  free(in);
}

static void test_missing_field(void **state) {
  fx *f = *state;
  char *tpl = tu_write_file(f->dir, "t.tmpl", "---\nmodel: m\n---\nA {{a}}\nB {{b}}\n");
  char *csv = tu_write_file(f->dir, "in.csv", "a\n1\n\"2\nx\"\n3\n");
  char *jl =
      tu_write_file(f->dir, "in.jsonl", "{\"a\":1,\"b\":2}\n{\"a\":1}\n{\"a\":1,\"b\":null}\n");
  char *jl3 = tu_write_file(f->dir, "in3.jsonl", "{\"a\":1,\"b\":2}\n{\"a\":1,\"b\":null}\n");
  /* CSV lacks the column: the first row fails, naming its line, the field and the use */
  expect_fail(tpl, csv, NULL, BT_ERR_INPUT, csv, 2, 1, "row 1 has no field 'b'");
  expect_fail(tpl, csv, NULL, BT_ERR_INPUT, csv, 2, 1, "t.tmpl:5:3");
  expect_fail(tpl, jl, NULL, BT_ERR_INPUT, jl, 2, 1, "row 2 has no field 'b'");
  expect_fail(tpl, jl3, NULL, BT_ERR_INPUT, jl3, 2, 1, "row 2 has null for 'b'");
  free(tpl);
  free(csv);
  free(jl);
  free(jl3);
}

static void test_ids(void **state) {
  fx *f = *state;
  char *tpl = tu_write_file(f->dir, "t.tmpl", "---\nmodel: m\nmax_tokens: 5\n---\n{{t}}\n");
  char *csv = tu_write_file(f->dir, "in.csv", "id,t\nA-1,x\nb_2,y\n");
  char *dup = tu_write_file(f->dir, "dup.csv", "id,t\na,x\nb,y\n\"a\",z\n");
  char *bad = tu_write_file(f->dir, "bad.csv", "id,t\nok,x\nnot ok,y\n");
  char *jl = tu_write_file(f->dir, "in.jsonl", "{\"id\":7,\"t\":\"x\"}\n{\"t\":\"y\"}\n");
  bt_render_opts o = {0};
  o.id_field = "id";
  bt_render *r;
  bt_error err;
  assert_int_equal(render_open(tpl, csv, &o, &r, &err), BT_OK);
  const bt_rendered *row;
  assert_int_equal(render_next(r, &row, &err), BT_OK);
  assert_string_equal(row->custom_id, "A-1");
  json_t *j = parse_json(row->request);
  assert_string_equal(jstr(j, "custom_id"), "A-1");
  json_decref(j);
  render_close(r);
  int64_t rows;
  assert_int_equal(render_all(tpl, csv, &o, &rows, &err), BT_OK);
  expect_fail(tpl, dup, &o, BT_ERR_INPUT, dup, 4, 1, "already used by row 1");
  o.provider = "anthropic";
  expect_fail(tpl, bad, &o, BT_ERR_INPUT, bad, 3, 1, "only letters, digits");
  o.provider = NULL;
  assert_int_equal(render_all(tpl, bad, &o, &rows, &err), BT_OK); /* openai allows spaces */
  expect_fail(tpl, jl, &o, BT_ERR_INPUT, jl, 2, 1, "no value in the id field 'id'");
  o.id_field = "nope";
  expect_fail(tpl, csv, &o, BT_ERR_USAGE, csv, 1, 1, "no such column");
  free(tpl);
  free(csv);
  free(dup);
  free(bad);
  free(jl);
}

static void test_open_errors(void **state) {
  fx *f = *state;
  char *csv = tu_write_file(f->dir, "in.csv", "t\nx\n");
  char *nomodel = tu_write_file(f->dir, "nomodel.tmpl", "Hello {{t}}\n");
  char *nomax = tu_write_file(f->dir, "nomax.tmpl", "---\nmodel: m\n---\n{{t}}\n");
  char *badep = tu_write_file(f->dir, "badep.tmpl",
                              "---\nmodel: m\nmax_tokens: 3\nendpoint: /v1/messages\n---\nx\n");
  char *msgs = tu_write_file(f->dir, "msgs.tmpl", "---\nmodel: m\nmessages: []\n---\nx\n");
  char *emb = tu_write_file(f->dir, "emb.tmpl",
                            "---\nmodel: e\nendpoint: /v1/embeddings\nsystem: no\n---\nx\n");
  expect_fail(nomodel, csv, NULL, BT_ERR_USAGE, NULL, 0, 0, "no model");
  bt_render_opts o = {0};
  o.model = "m";
  int64_t rows;
  bt_error err;
  assert_int_equal(render_all(nomodel, csv, &o, &rows, &err), BT_OK);
  assert_int_equal(rows, 1);
  o.provider = "anthropic";
  expect_fail(nomax, csv, &o, BT_ERR_USAGE, NULL, 0, 0, "anthropic needs max_tokens");
  o.max_tokens = 10;
  assert_int_equal(render_all(nomax, csv, &o, &rows, &err), BT_OK);
  expect_fail(badep, csv, NULL, BT_ERR_TEMPLATE, badep, 4, 1, "not available with provider openai");
  expect_fail(msgs, csv, NULL, BT_ERR_TEMPLATE, msgs, 3, 1, "'messages' is written by batchtop");
  expect_fail(emb, csv, NULL, BT_ERR_TEMPLATE, emb, 4, 1, "no system text");
  o.provider = NULL;
  o.format = "jsonl"; /* the CSV read as JSONL: its first line is no object */
  expect_fail(nomax, csv, &o, BT_ERR_INPUT, csv, 1, 1, "expected a JSON object");
  free(csv);
  free(nomodel);
  free(nomax);
  free(badep);
  free(msgs);
  free(emb);
}

static const char *prev_lookup(void *ud, int64_t row_no, const char *name) {
  static char buf[64];
  (void)ud;
  if (strcmp(name, "prev.output") != 0)
    return NULL;
  snprintf(buf, sizeof buf, "answer %lld", (long long)row_no);
  return buf;
}

static void test_lookup(void **state) {
  fx *f = *state;
  char *tpl = tu_write_file(f->dir, "t.tmpl", "---\nmodel: m\n---\n{{t}} <- {{prev.output}}\n");
  char *csv = tu_write_file(f->dir, "in.csv", "t\nx\ny\n");
  bt_render_opts o = {0};
  o.lookup = prev_lookup;
  bt_render *r;
  bt_error err;
  assert_int_equal(render_open(tpl, csv, &o, &r, &err), BT_OK);
  const bt_rendered *row;
  assert_int_equal(render_next(r, &row, &err), BT_OK);
  assert_int_equal(render_next(r, &row, &err), BT_OK);
  assert_string_equal(row->user_text, "y <- answer 2");
  render_close(r);
  expect_fail(tpl, csv, NULL, BT_ERR_INPUT, csv, 2, 1, "'prev.output'");
  free(tpl);
  free(csv);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_examples_openai),
      cmocka_unit_test_setup_teardown(test_providers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_jsonl, setup, teardown),
      cmocka_unit_test_setup_teardown(test_missing_field, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ids, setup, teardown),
      cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_lookup, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
