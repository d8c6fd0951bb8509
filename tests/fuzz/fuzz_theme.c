/* libFuzzer target: the theme file parser (tui/ui_theme.c) on arbitrary bytes. Whatever the
 * input, it parses or fails with a message and a line, and never writes outside the theme. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ui_theme.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0'; /* theme files are text: parsing stops at the first NUL */
  ui_theme t;
  ui_theme_builtin(&t);
  bt_error err;
  error_clear(&err);
  if (ui_theme_parse(&t, text, "fuzz.theme", &err) != BT_OK && (!err.message[0] || err.line < 1))
    __builtin_trap();
  free(text);
  return 0;
}
