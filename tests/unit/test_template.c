/* Unit tests: templates (front matter, slots, defaults, no re-expansion, error locations). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "testutil.h"

static bt_template *parse(const char *text) {
  bt_template *t = NULL;
  bt_error err;
  error_clear(&err);
  if (template_parse(text, strlen(text), "t.tmpl", &t, &err))
    fail_msg("unexpected error: %s:%ld:%ld: %s", err.file, err.line, err.column, err.message);
  return t;
}

static void expect_error(const char *text, long line, long col, const char *needle) {
  bt_template *t = NULL;
  bt_error err;
  error_clear(&err);
  bt_status s = template_parse(text, strlen(text), "t.tmpl", &t, &err);
  assert_null(t);
  assert_int_equal(s, BT_ERR_TEMPLATE);
  if (err.line != line || err.column != col || !strstr(err.message, needle) ||
      strcmp(err.file, "t.tmpl"))
    fail_msg("got %s:%ld:%ld: %s; wanted %ld:%ld: ...%s...", err.file, err.line, err.column,
             err.message, line, col, needle);
}

/* Lookup over "name=value" pairs given as a NULL-terminated array. */
static int kv_lookup(void *ud, size_t field, const char *name, const char **val, size_t *len) {
  (void)field;
  for (const char **p = ud; *p; p += 2)
    if (strcmp(p[0], name) == 0) {
      *val = p[1];
      *len = strlen(p[1]);
      return 1;
    }
  return 0;
}

static char *render(bt_template *t, bt_tpl_part part, const char **kv, bt_tpl_spans *spans,
                    bt_status *s, bt_error *err) {
  bt_buf out;
  buf_init(&out, 0);
  size_t missing = 99;
  error_clear(err);
  *s = template_render(t, part, kv_lookup, kv, &out, spans, &missing, err);
  return buf_take(&out);
}

static void test_front_matter(void **state) {
  (void)state;
  bt_template *t = parse("---\n"
                         "model: gpt-4o-mini\n"
                         "max_tokens: 50\n"
                         "temperature: 0\n"
                         "system: You label {{kind}} feedback.\n"
                         "provider: anthropic\n"
                         "endpoint: /v1/messages\n"
                         "top_p: 0.9\n"
                         "seed: \"42\"\n"
                         "stop: [\"\\n\", END]\n"
                         "response_format:\n"
                         "  type: json_object\n"
                         "logprobs: true\n"
                         "user: ~\n"
                         "stream: false\n"
                         "---\n"
                         "Hello {{name}}\n");
  assert_string_equal(template_model(t), "gpt-4o-mini");
  assert_int_equal(template_max_tokens(t), 50);
  assert_string_equal(template_provider(t), "anthropic");
  assert_string_equal(template_endpoint(t), "/v1/messages");
  assert_true(template_has_system(t));
  const char *keys[] = {"temperature",     "top_p",    "seed", "stop",
                        "response_format", "logprobs", "user"};
  const char *json[] = {"0",    "0.9", "\"42\"", "[\"\\n\",\"END\"]", "{\"type\":\"json_object\"}",
                        "true", "null"};
  assert_int_equal(template_n_params(t), 7);
  for (size_t i = 0; i < 7; i++) {
    assert_string_equal(template_param(t, i)->key, keys[i]);
    assert_string_equal(template_param(t, i)->json, json[i]);
  }
  assert_int_equal(template_param(t, 1)->line, 8);
  long col;
  assert_int_equal(template_key_line(t, "max_tokens", &col), 3);
  assert_int_equal(col, 1);
  assert_int_equal(template_key_line(t, "nope", &col), 0);
  /* fields from system and body, in order of use */
  assert_int_equal(template_n_fields(t), 2);
  assert_string_equal(template_field(t, 0), "kind");
  assert_string_equal(template_field(t, 1), "name");
  const char *kv[] = {"kind", "product", "name", "Ann", NULL};
  bt_status s;
  bt_error err;
  char *sys = render(t, BT_TPL_SYSTEM, kv, NULL, &s, &err);
  assert_int_equal(s, BT_OK);
  assert_string_equal(sys, "You label product feedback.");
  char *user = render(t, BT_TPL_USER, kv, NULL, &s, &err);
  assert_string_equal(user, "Hello Ann"); /* one trailing line break dropped */
  free(sys);
  free(user);
  template_free(t);
}

static void test_no_front_matter(void **state) {
  (void)state;
  bt_template *t = parse("Just {{ Customer Name }} here.\n\n");
  assert_null(template_model(t));
  assert_int_equal(template_max_tokens(t), 0);
  assert_false(template_has_system(t));
  assert_string_equal(template_field(t, 0), "Customer Name"); /* trimmed, spaces inside kept */
  const char *kv[] = {"Customer Name", "Bo", NULL};
  bt_status s;
  bt_error err;
  char *out = render(t, BT_TPL_USER, kv, NULL, &s, &err);
  assert_string_equal(out, "Just Bo here.\n"); /* only one line break dropped */
  free(out);
  template_free(t);
}

static void test_literal_braces(void **state) {
  (void)state;
  bt_template *t = parse("Answer as {\"label\": \"x\"} or { {a} } or }} or {x}: {{a}}");
  const char *kv[] = {"a", "{{b}} and {{a}}", "b", "NO", NULL};
  bt_status s;
  bt_error err;
  bt_tpl_spans spans = {0};
  char *out = render(t, BT_TPL_USER, kv, &spans, &s, &err);
  assert_int_equal(s, BT_OK);
  /* values are never expanded again */
  assert_string_equal(out, "Answer as {\"label\": \"x\"} or { {a} } or }} or {x}: {{b}} and {{a}}");
  assert_int_equal(template_n_fields(t), 1);
  assert_int_equal(spans.n, 1);
  assert_int_equal(spans.v[0].start,
                   strlen("Answer as {\"label\": \"x\"} or { {a} } or }} or {x}: "));
  assert_int_equal(spans.v[0].len, strlen("{{b}} and {{a}}"));
  assert_int_equal(spans.v[0].field, 0);
  assert_false(spans.v[0].from_default);
  free(out);
  tpl_spans_cleanup(&spans);
  template_free(t);
}

static void test_defaults(void **state) {
  (void)state;
  bt_template *t =
      parse("A={{a|default:\"none\"}} B={{ b | default : \"say \\\"hi\\\" \\\\ }}\" }} "
            "C={{a}} E={{e|default:\"\"}}.");
  assert_int_equal(template_n_fields(t), 3);
  assert_false(template_field_has_default(t, 0)); /* a is also used without one */
  assert_true(template_field_has_default(t, 1));
  const char *kv[] = {"a", "1", NULL};
  bt_status s;
  bt_error err;
  bt_tpl_spans spans = {0};
  char *out = render(t, BT_TPL_USER, kv, &spans, &s, &err);
  assert_int_equal(s, BT_OK);
  assert_string_equal(out, "A=1 B=say \"hi\" \\ }} C=1 E=.");
  assert_int_equal(spans.n, 4);
  assert_true(spans.v[1].from_default);
  assert_int_equal(spans.v[3].len, 0);
  free(out);
  tpl_spans_cleanup(&spans);
  /* a is missing: the error names the field and the use without a default */
  const char *none[] = {NULL};
  size_t missing = 0;
  bt_buf b;
  buf_init(&b, 0);
  error_clear(&err);
  assert_int_equal(template_render(t, BT_TPL_USER, kv_lookup, none, &b, NULL, &missing, &err),
                   BT_ERR_INPUT);
  assert_int_equal(missing, 0);
  assert_int_equal(err.line, 1);
  assert_int_equal(err.column,
                   strlen("A={{a|default:\"none\"}} B={{ b | default : \"say \\\"hi\\\" "
                          "\\\\ }}\" }} C=") +
                       1);
  assert_non_null(strstr(err.message, "'a'"));
  buf_cleanup(&b);
  template_free(t);
}

static void test_body_errors(void **state) {
  (void)state;
  expect_error("line one\nsee {{name here\n", 2, 5, "unclosed {{");
  expect_error("x {{ }}", 1, 3, "empty field name");
  expect_error("ab\n  {{x|upper}}", 2, 7, "unknown filter 'upper'");
  expect_error("{{x|default \"a\"}}", 1, 13, "expected ':'");
  expect_error("{{x|default:a}}", 1, 13, "quoted default");
  expect_error("{{x|default:\"abc}}", 1, 13, "unterminated default");
  expect_error("{{a}b}}", 1, 4, "expected }}");
  expect_error("---\nmodel: m\n---\nok\n{{", 5, 1, "unclosed {{");
  expect_error("ok\xff", 1, 3, "invalid UTF-8");
}

static void test_front_matter_errors(void **state) {
  (void)state;
  expect_error("---\nmodel: m\nmax_tokens: [1\n---\nx", 4, 1, "front matter");
  expect_error("---\nmodel: m\n  bad: indent\n---\nx", 3, 6, "front matter");
  expect_error("---\nmodel: m\nmax_tokens: lots\n---\nx", 3, 13, "max_tokens");
  expect_error("---\nmax_tokens: 0\n---\nx", 2, 13, "max_tokens");
  /* numbers out of range are errors at their place, never clamped or sent as inf */
  expect_error("---\nmodel: m\nmax_tokens: 99999999999999999999999\n---\nx", 3, 13,
               "max_tokens: 99999999999999999999999 is too large");
  expect_error("---\nmax_tokens: 9223372036854775808\n---\nx", 2, 13, "too large");
  expect_error("---\nmodel: m\nseed: -99999999999999999999\n---\nx", 3, 7,
               "seed: -99999999999999999999 is out of range");
  expect_error("---\nmodel: m\ntemperature: 1e999\n---\nx", 3, 14,
               "temperature: 1e999 is out of range");
  expect_error("---\nmodel: m\ntemperature: .nan\n---\nx", 3, 14, "temperature");
  expect_error("---\nmodel: m\ntemperature: .inf\n---\nx", 3, 14, "temperature");
  expect_error("---\nmodel: m\nlogit_bias: {\"50256\": -1e400}\n---\nx", 3, 23,
               "logit_bias: -1e400 is out of range");
  expect_error("---\nstream: true\n---\nx", 2, 9, "stream");
  expect_error("---\nprovider: gemini\n---\nx", 2, 11, "unknown provider");
  expect_error("---\nmodel: m\ntemperature: hot\n---\nx", 3, 14, "temperature");
  expect_error("---\nmodel: m\nmodel: n\n---\nx", 3, 1, "twice");
  expect_error("---\n- a\n- b\n---\nx", 2, 1, "key: value");
  expect_error("---\nmodel: [a]\n---\nx", 2, 8, "text value");
  expect_error("---\nmodel: m\nbody text\n", 1, 1, "not closed");
  expect_error("---\nsystem: \"hi {{x\"\n---\nx", 2, 13, "unclosed {{");
  /* aliases that would expand into megabytes ("billion laughs") */
  expect_error("---\n"
               "a: &a [xxxxxxxxxx, xxxxxxxxxx, xxxxxxxxxx, xxxxxxxxxx, xxxxxxxxxx, xxxxxxxxxx]\n"
               "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
               "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
               "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
               "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
               "---\nx",
               6, 4, "at most 1 MB");
}

static void test_load(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  char *path = tu_write_file(dir, "t.tmpl", "---\r\nmodel: m\r\n---\r\nHi {{a}}\r\n");
  bt_template *t = NULL;
  bt_error err;
  assert_int_equal(template_load(path, &t, &err), BT_OK);
  assert_string_equal(template_model(t), "m");
  assert_string_equal(template_name(t), path);
  assert_string_equal(template_text(t), "---\r\nmodel: m\r\n---\r\nHi {{a}}\r\n");
  const char *kv[] = {"a", "x", NULL};
  bt_status s;
  char *out = render(t, BT_TPL_USER, kv, NULL, &s, &err);
  assert_string_equal(out, "Hi x");
  free(out);
  template_free(t);
  assert_int_equal(template_load("/nonexistent/t.tmpl", &t, &err), BT_ERR_IO);
  free(path);
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_front_matter),   cmocka_unit_test(test_no_front_matter),
      cmocka_unit_test(test_literal_braces), cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_body_errors),    cmocka_unit_test(test_front_matter_errors),
      cmocka_unit_test(test_load),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
