/* libFuzzer target: the template parser (front matter and body) and rendering with every
 * field present, then with none. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int all_fields(void *ud, size_t field, const char *name, const char **val, size_t *len) {
  (void)field;
  (void)ud;
  *val = name;
  *len = strlen(name);
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  bt_template *t = NULL;
  bt_error err;
  if (template_parse((const char *)data, size, "fuzz.tmpl", &t, &err) != BT_OK) {
    if (err.line < 1 || err.column < 1)
      __builtin_trap(); /* every template error has a location */
    return 0;
  }
  bt_buf out;
  buf_init(&out, 0);
  bt_tpl_spans spans = {0};
  for (int part = 0; part < 2; part++) {
    buf_reset(&out);
    spans.n = 0;
    if (template_render(t, part ? BT_TPL_SYSTEM : BT_TPL_USER, all_fields, NULL, &out, &spans, NULL,
                        &err) != BT_OK)
      __builtin_trap();
    for (size_t i = 0; i < spans.n; i++)
      if (spans.v[i].start + spans.v[i].len > out.len || spans.v[i].field >= template_n_fields(t))
        __builtin_trap();
    buf_reset(&out);
    size_t missing;
    (void)template_render(t, part ? BT_TPL_SYSTEM : BT_TPL_USER, NULL, NULL, &out, NULL, &missing,
                          &err);
  }
  tpl_spans_cleanup(&spans);
  buf_cleanup(&out);
  template_free(t);
  return 0;
}
