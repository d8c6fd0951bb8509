/* ui_dump: text and colour-element dumps of a window. */
#include "ui_dump.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

static const char codes[] = ".abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

char ui_dump_elem_code(ui_elem e) {
  return (unsigned)e < sizeof codes - 1 ? codes[e] : '?';
}

/* The element of a cell from its colour pair (pairs are element + 1, see ui_theme_apply). */
static char cell_code(const cchar_t *c) {
  attr_t a;
  short pair;
  wchar_t wc[CCHARW_MAX + 1];
  if (getcchar(c, wc, &a, &pair, NULL) == ERR)
    return '?';
  if (pair <= 0 || pair > UI_ELEMENT_COUNT)
    return '?';
  return ui_dump_elem_code((ui_elem)(pair - 1));
}

static bt_status dump(WINDOW *w, bt_buf *out, int elements) {
  int rows = getmaxy(w), cols = getmaxx(w);
  bt_status r = BT_OK;
  for (int y = 0; y < rows && !r; y++) {
    size_t line_start = out->len;
    for (int x = 0; x < cols && !r; x++) {
      cchar_t c;
      if (mvwin_wch(w, y, x, &c) == ERR)
        break;
      wchar_t wc[CCHARW_MAX + 1];
      attr_t a;
      short pair;
      getcchar(&c, wc, &a, &pair, NULL);
      int cw = wc[0] ? wcwidth(wc[0]) : 1;
      if (elements) {
        char code = cell_code(&c);
        r = buf_putc(out, code);
        if (!r && cw == 2)
          r = buf_putc(out, code);
      } else {
        char mb[64];
        size_t o = 0;
        for (int k = 0; wc[k] && k < CCHARW_MAX; k++) {
          mbstate_t st;
          memset(&st, 0, sizeof st);
          size_t n = wcrtomb(mb + o, wc[k], &st);
          if (n != (size_t)-1)
            o += n;
        }
        if (o == 0)
          mb[o++] = ' ';
        r = buf_append(out, mb, o);
      }
      if (cw == 2)
        x++; /* the next cell is the second half of this character */
    }
    if (!elements)
      while (out->len > line_start && out->data[out->len - 1] == ' ')
        out->data[--out->len] = '\0';
    if (!r)
      r = buf_putc(out, '\n');
  }
  return r;
}

bt_status ui_dump_text(WINDOW *w, bt_buf *out) {
  return dump(w, out, 0);
}

bt_status ui_dump_elements(WINDOW *w, bt_buf *out) {
  return dump(w, out, 1);
}

bt_status ui_dump_legend(bt_buf *out) {
  bt_status r = BT_OK;
  for (int i = 0; i < UI_ELEMENT_COUNT && !r; i++)
    r = buf_printf(out, "%c %s\n", ui_dump_elem_code((ui_elem)i), ui_elem_name((ui_elem)i));
  return r;
}
