/* ui_doc: styled, wrapped, scrollable text. */
#include "ui_doc.h"

#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secret.h"
#include "ui_draw.h"
#include "ui_text.h"
#include "util.h"

void ui_doc_init(ui_doc *d) {
  memset(d, 0, sizeof *d);
}

void ui_doc_clear(ui_doc *d) {
  for (size_t i = 0; i < d->n; i++) {
    free(d->lines[i].text);
    free(d->lines[i].spans);
  }
  d->n = 0;
  d->n_rows = 0;
  d->wrap_width = 0;
}

void ui_doc_cleanup(ui_doc *d) {
  ui_doc_clear(d);
  free(d->lines);
  free(d->rows);
  memset(d, 0, sizeof *d);
}

static size_t add_one(ui_doc *d, ui_elem e, int indent, const char *text, size_t len) {
  if (d->n == d->cap) {
    size_t nc = d->cap ? d->cap * 2 : 32;
    ui_doc_line *p = realloc(d->lines, nc * sizeof *p);
    if (!p)
      abort();
    d->lines = p;
    d->cap = nc;
  }
  ui_doc_line *l = &d->lines[d->n];
  memset(l, 0, sizeof *l);
  l->text = malloc(len + 1);
  if (!l->text)
    abort();
  memcpy(l->text, text, len);
  l->text[len] = '\0';
  secret_scrub(l->text); /* before wrapping can split a key across rows */
  l->e = e;
  l->indent = indent;
  d->wrap_width = 0; /* rewrap */
  return d->n++;
}

size_t ui_doc_add(ui_doc *d, ui_elem e, int indent, const char *text) {
  size_t first = d->n;
  const char *p = text ? text : "";
  for (;;) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    if (len && p[len - 1] == '\r')
      len--;
    add_one(d, e, indent, p, len);
    if (!nl)
      break;
    p = nl + 1;
  }
  return first;
}

size_t ui_doc_addf(ui_doc *d, ui_elem e, int indent, const char *fmt, ...) {
  char buf[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return ui_doc_add(d, e, indent, buf);
}

void ui_doc_span(ui_doc *d, size_t line, size_t off, size_t len, ui_elem e) {
  if (line >= d->n)
    return;
  ui_doc_line *l = &d->lines[line];
  ui_span *p = realloc(l->spans, (l->n_spans + 1) * sizeof *p);
  if (!p)
    abort();
  l->spans = p;
  l->spans[l->n_spans++] = (ui_span){off, len, e};
}

void ui_doc_kv(ui_doc *d, int indent, int label_w, const char *label, const char *value) {
  /* Continuation lines of a multi-line value line up under the value. */
  const char *p = value ? value : "";
  int first = 1;
  for (;;) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    char *buf = malloc((size_t)label_w * 4 + len + 8);
    if (!buf)
      abort();
    int lw = first ? ui_text_width(label) : 0;
    int pad = label_w - lw > 1 ? label_w - lw : 1;
    int o = sprintf(buf, "%s%*s", first ? label : "", pad, "");
    memcpy(buf + o, p, len);
    buf[o + (int)len] = '\0';
    size_t i = add_one(d, UI_NORMAL, indent, buf, strlen(buf));
    d->lines[i].hang = label_w;
    if (first)
      ui_doc_span(d, i, 0, strlen(label), UI_LABEL);
    free(buf);
    first = 0;
    if (!nl)
      break;
    p = nl + 1;
  }
}

typedef struct {
  ui_doc *d;
  size_t line;
  const char *base;
} wrap_ctx;

static void add_row(void *ud, const char *start, size_t len) {
  wrap_ctx *c = ud;
  ui_doc *d = c->d;
  if (d->n_rows == d->rows_cap) {
    size_t nc = d->rows_cap ? d->rows_cap * 2 : 64;
    ui_doc_row *p = realloc(d->rows, nc * sizeof *p);
    if (!p)
      abort();
    d->rows = p;
    d->rows_cap = nc;
  }
  d->rows[d->n_rows++] = (ui_doc_row){c->line, (size_t)(start - c->base), len};
}

size_t ui_doc_rows(ui_doc *d, int width) {
  if (d->wrap_width == width && width > 0)
    return d->n_rows;
  d->n_rows = 0;
  d->wrap_width = width;
  for (size_t i = 0; i < d->n; i++) {
    wrap_ctx c = {d, i, d->lines[i].text};
    int w = width - d->lines[i].indent, w2 = w - d->lines[i].hang;
    ui_text_wrap(d->lines[i].text, w > 8 ? w : 8, w2 > 8 ? w2 : 8, add_row, &c);
  }
  return d->n_rows;
}

static ui_elem elem_at(const ui_doc_line *l, size_t off) {
  ui_elem e = l->e;
  for (size_t i = 0; i < l->n_spans; i++)
    if (off >= l->spans[i].off && off < l->spans[i].off + l->spans[i].len)
      e = l->spans[i].e;
  return e;
}

void ui_doc_draw(ui_doc *d, int top, int x, int height, int width) {
  size_t rows = ui_doc_rows(d, width);
  d->height = height;
  if (d->scroll > (int64_t)rows - height)
    d->scroll = (int64_t)rows - height;
  if (d->scroll < 0)
    d->scroll = 0;
  for (int r = 0; r < height; r++) {
    ui_fill(stdscr, top + r, x, width, UI_NORMAL);
    size_t ri = (size_t)d->scroll + (size_t)r;
    if (ri >= rows)
      continue;
    const ui_doc_row *row = &d->rows[ri];
    const ui_doc_line *l = &d->lines[row->line];
    int cx = x + l->indent + (row->off > 0 ? l->hang : 0);
    int room = width - (cx - x);
    /* Draw runs of equal element. */
    size_t o = row->off, end = row->off + row->len;
    while (o < end && room > 0) {
      ui_elem e = elem_at(l, o);
      size_t s = o;
      while (o < end && elem_at(l, o) == e)
        o += ui_text_seq_len(l->text + o);
      if (o > end)
        o = end;
      char run[1024];
      size_t n = o - s < sizeof run - 1 ? o - s : sizeof run - 1;
      memcpy(run, l->text + s, n);
      run[n] = '\0';
      int rw = ui_text_width(run);
      if (rw > room)
        rw = room;
      cx += ui_put(stdscr, top + r, cx, rw, e, run);
      room = width - (cx - x);
    }
  }
}

int ui_doc_move(ui_doc *d, ui_action a) {
  int page = d->height > 1 ? d->height - 1 : 1;
  switch (a) {
  case ACT_UP:
    d->scroll--;
    break;
  case ACT_DOWN:
    d->scroll++;
    break;
  case ACT_PAGE_UP:
    d->scroll -= page;
    break;
  case ACT_PAGE_DOWN:
    d->scroll += page;
    break;
  case ACT_TOP:
    d->scroll = 0;
    break;
  case ACT_BOTTOM:
    d->scroll = INT64_MAX / 2;
    break;
  default:
    return 0;
  }
  if (d->scroll < 0)
    d->scroll = 0;
  if (d->wrap_width > 0 && d->scroll > (int64_t)d->n_rows - d->height)
    d->scroll = (int64_t)d->n_rows - d->height > 0 ? (int64_t)d->n_rows - d->height : 0;
  return 1;
}
