/* ui_doc: a scrollable document of styled lines, wrapped to the window width at draw time
 * (again after a resize). The inspector, the help and the preview are ui_docs.
 *
 * A line has an element, an indent, and optional spans that colour parts of it (a label, a
 * substituted value). Wrapped parts keep the indent. The doc owns copies of all text.
 * UI thread only for drawing; building is plain memory. */
#ifndef BT_UI_DOC_H
#define BT_UI_DOC_H

#include <stddef.h>
#include <stdint.h>

#include "ui_keymap.h"
#include "ui_theme.h"

typedef struct ui_span {
  size_t off, len; /* bytes of the line's text */
  ui_elem e;
} ui_span;

typedef struct ui_doc_line {
  char *text;
  ui_elem e;
  int indent;
  int hang; /* extra indent of wrapped continuation rows (under a kv value) */
  ui_span *spans;
  size_t n_spans;
} ui_doc_line;

typedef struct ui_doc_row {
  size_t line, off, len;
} ui_doc_row;

typedef struct ui_doc {
  ui_doc_line *lines;
  size_t n, cap;
  ui_doc_row *rows; /* the wrapped rows for wrap_width */
  size_t n_rows, rows_cap;
  int wrap_width;
  int64_t scroll; /* first row shown */
  int height;     /* rows shown at the last draw */
} ui_doc;

void ui_doc_init(ui_doc *d);
void ui_doc_cleanup(ui_doc *d);
/* Drop the lines (keeps the scroll position, clamped at the next draw). */
void ui_doc_clear(ui_doc *d);

/* Add text (split at newlines into several lines) in element e. Returns the index of the first
 * line added. */
size_t ui_doc_add(ui_doc *d, ui_elem e, int indent, const char *text);
size_t ui_doc_addf(ui_doc *d, ui_elem e, int indent, const char *fmt, ...) BT_PRINTF(4, 5);
/* "label  value" with the label in UI_LABEL, padded to label_w columns. */
void ui_doc_kv(ui_doc *d, int indent, int label_w, const char *label, const char *value);
/* Colour bytes [off, off+len) of line i in element e. */
void ui_doc_span(ui_doc *d, size_t line, size_t off, size_t len, ui_elem e);

/* Draw rows top..top+height-1 at columns x..x+width-1. */
void ui_doc_draw(ui_doc *d, int top, int x, int height, int width);
/* Scroll for a movement action; 1 if it was one. */
int ui_doc_move(ui_doc *d, ui_action a);
/* Rows after wrapping at width. */
size_t ui_doc_rows(ui_doc *d, int width);

#endif
