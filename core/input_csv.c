/* input_csv: the RFC 4180 reader (CSV and TSV), a byte state machine over the chunked source
 * with a fast path that copies runs of plain bytes at once. */
#include <stdlib.h>
#include <string.h>

#include "input_int.h"

#define CSV_BAD_UTF8 (-2)

/* Consume one byte, keeping line/column and UTF-8 validity. -1 at the end, CSV_BAD_UTF8 when
 * the byte breaks UTF-8 (in->u8_line/u8_col then say where the bad sequence starts). */
static inline int csv_get(bt_input *in) {
  int c = input_peek(in);
  if (c < 0) {
    if (in->u8.need)
      return CSV_BAD_UTF8; /* a sequence cut short by the end of the file */
    return -1;
  }
  in->rpos++;
  if (c == 0) { /* values are C strings: a NUL byte cannot be carried (reported like bad UTF-8) */
    in->u8_line = in->line;
    in->u8_col = in->col;
    in->u8.need = 0xFF;
    return CSV_BAD_UTF8;
  }
  if (c >= 0x80 || in->u8.need) {
    if (!in->u8.need) {
      in->u8_line = in->line;
      in->u8_col = in->col;
    }
    if (!utf8_feed(&in->u8, (unsigned char)c)) {
      if (!in->u8.need) {
        in->u8_line = in->line;
        in->u8_col = in->col;
      }
      return CSV_BAD_UTF8;
    }
  }
  if (c == '\n') {
    in->line++;
    in->col = 1;
  } else {
    in->col++;
  }
  return c;
}

static bt_status csv_bad_utf8(bt_input *in, bt_error *err) {
  return error_set_at(err, BT_ERR_INPUT, in->path, in->u8_line, in->u8_col,
                      in->u8.need == 0xFF ? "NUL byte in the data (is this a text file?)"
                                          : "invalid UTF-8 (save the file as UTF-8)");
}

static bt_status csv_putc(bt_input *in, int c, bt_error *err) {
  if (buf_putc(&in->data, (char)c))
    return error_set_at(err, BT_ERR_INPUT, in->path, in->line, in->col,
                        "record too large (over %zu MB)", INPUT_MAX_RECORD >> 20);
  return BT_OK;
}

/* Copy a run of bytes that need no attention (ASCII, not the separator, not a quote, not a
 * line break) straight from the chunk. */
static bt_status csv_fast_run(bt_input *in, int quoted, bt_error *err) {
  if (in->u8.need)
    return BT_OK;
  const unsigned char *p = (const unsigned char *)in->rbuf + in->rpos;
  const unsigned char *e = (const unsigned char *)in->rbuf + in->rlen;
  const unsigned char *s = p;
  /* stop[] marks the bytes that need the slow path: 1 inside quotes, 2 outside, 3 both */
  const unsigned char *stop = in->csv_stop;
  unsigned char bit = quoted ? 1 : 2;
  while (p < e && !(stop[*p] & bit))
    p++;
  size_t n = (size_t)(p - s);
  if (n) {
    if (buf_append(&in->data, s, n))
      return error_set_at(err, BT_ERR_INPUT, in->path, in->line, in->col,
                          "record too large (over %zu MB)", INPUT_MAX_RECORD >> 20);
    in->rpos += n;
    in->col += (long)n;
  }
  return BT_OK;
}

/* Header only: note where field in->nf starts, to point at a repeated name. */
static bt_status csv_note_pos(bt_input *in, long line, long col, bt_error *err) {
  if (in->nf >= in->capf_pos) {
    size_t cap = in->capf_pos ? in->capf_pos * 2 : 64;
    long *l = realloc(in->fline, cap * sizeof *l);
    if (l)
      in->fline = l;
    long *c = realloc(in->fcol, cap * sizeof *c);
    if (c)
      in->fcol = c;
    if (!l || !c)
      return error_set(err, BT_ERR_NOMEM, "out of memory");
    in->capf_pos = cap;
  }
  in->fline[in->nf] = line;
  in->fcol[in->nf] = col;
  return BT_OK;
}

/* Read one record into in->data/offs/lens. *got = 0 at the end of the data. want > 0: the
 * header's width, to note where an extra field starts (*xl, *xc). *el, *ec: where the record
 * ends (the position of its line break, or of the end of the file). */
static bt_status csv_record(bt_input *in, int *got, int64_t *start_line, size_t want, long *xl,
                            long *xc, long *el, long *ec, bt_error *err) {
  *got = 0;
  buf_reset(&in->data);
  in->nf = 0;
  int c;
  long pl, pc; /* position of the byte in c */
#define GET() (pl = in->line, pc = in->col, c = csv_get(in))
  /* Empty lines: fine at the end; in the middle they are an error (a lost row?). */
  for (;;) {
    GET();
    long bl = pl;
    if (c == '\r' && input_peek(in) == '\n')
      c = csv_get(in);
    if (c != '\n')
      break;
    if (!in->blank_line)
      in->blank_line = bl;
  }
  if (c == -1)
    return BT_OK;
  if (c == CSV_BAD_UTF8)
    return csv_bad_utf8(in, err);
  if (in->blank_line)
    return error_set_at(err, BT_ERR_INPUT, in->path, in->blank_line, 1,
                        "empty line between records (write \"\" for a row with an empty "
                        "value)");
  *start_line = pl;
  bt_status s;
  for (;;) { /* one field per turn; c is its first byte (or a terminator), at pl:pc */
    if (input_fields_reserve(in, in->nf + 1))
      return error_set(err, BT_ERR_NOMEM, "out of memory");
    if (want && in->nf == want) {
      *xl = pl;
      *xc = pc;
    }
    in->offs[in->nf] = in->data.len;
    if (in->track_pos && (s = csv_note_pos(in, pl, pc, err)))
      return s;
    int end_record = 0;
    if (c == '"') {
      long ql = pl, qc = pc;
      for (;;) {
        if ((s = csv_fast_run(in, 1, err)))
          return s;
        GET();
        if (c == -1)
          return error_set_at(err, BT_ERR_INPUT, in->path, ql, qc,
                              "unterminated quoted field (the quote opened here never closes)");
        if (c == CSV_BAD_UTF8)
          return csv_bad_utf8(in, err);
        if (c == '"') {
          if (input_peek(in) != '"')
            break;
          c = csv_get(in);
        }
        if ((s = csv_putc(in, c, err)))
          return s;
      }
      /* after the closing quote: a separator, a line end or the end of the file */
      GET();
      long al = pl, ac = pc;
      if (c == '\r' && input_peek(in) == '\n')
        c = csv_get(in);
      if (c == '\n' || c == -1) {
        end_record = 1;
        *el = al;
        *ec = ac;
      } else if (c == CSV_BAD_UTF8) {
        return csv_bad_utf8(in, err);
      } else if (c != in->sep) {
        return error_set_at(err, BT_ERR_INPUT, in->path, al, ac,
                            "unexpected text after a closing quote (a quote inside a quoted "
                            "field is written \"\")");
      }
    } else {
      for (;;) {
        if (c == in->sep)
          break;
        if (c == '\n' || c == -1 || (c == '\r' && input_peek(in) == '\n')) {
          *el = pl;
          *ec = pc;
          if (c == '\r')
            c = csv_get(in);
          end_record = 1;
          break;
        }
        if (c == CSV_BAD_UTF8)
          return csv_bad_utf8(in, err);
        if ((s = csv_putc(in, c, err)))
          return s;
        if ((s = csv_fast_run(in, 0, err)))
          return s;
        GET();
      }
    }
    if (buf_putc(&in->data, '\0'))
      return error_set(err, BT_ERR_NOMEM, "out of memory");
    in->lens[in->nf] = in->data.len - 1 - in->offs[in->nf];
    in->kinds[in->nf] = BT_VAL_STRING;
    in->nf++;
    if (end_record)
      break;
    GET(); /* first byte of the next field */
  }
#undef GET
  *got = 1;
  return BT_OK;
}

static void csv_trim(char **s, size_t *n) {
  while (*n && (**s == ' ' || **s == '\t')) {
    (*s)++;
    (*n)--;
  }
  while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
    (*n)--;
}

bt_status input_csv_header(bt_input *in, bt_error *err) {
  for (int c = 0; c < 256; c++) {
    unsigned char v = 0;
    if (c == '"' || c == '\n' || c == 0 || c >= 0x80)
      v = 3;
    else if (c == (unsigned char)in->sep || c == '\r')
      v = 2;
    in->csv_stop[c] = v;
  }
  int got;
  int64_t line = 1;
  long xl = 0, xc = 0, el = 0, ec = 0;
  in->track_pos = 1;
  bt_status s = csv_record(in, &got, &line, 0, &xl, &xc, &el, &ec, err);
  in->track_pos = 0;
  if (s)
    return s;
  if (!got)
    return error_set_at(err, BT_ERR_INPUT, in->path, 1, 1, "empty file: no header row");
  for (size_t i = 0; i < in->nf; i++) {
    char *name = in->data.data + in->offs[i];
    size_t n = in->lens[i];
    csv_trim(&name, &n);
    name[n] = '\0';
    long j = input_names_find(in, name);
    if (j >= 0)
      return error_set_at(err, BT_ERR_INPUT, in->path, in->fline[i], in->fcol[i],
                          "the header names column '%s' twice (columns %ld and %zu)", name, j + 1,
                          i + 1);
    if (input_names_add(in, name) < 0)
      return error_set(err, BT_ERR_NOMEM, "out of memory");
  }
  free(in->fline);
  free(in->fcol);
  in->fline = in->fcol = NULL;
  in->capf_pos = 0;
  in->blank_line = 0;
  return BT_OK;
}

bt_status input_csv_next(bt_input *in, int *got, bt_error *err) {
  int64_t line = 0;
  long xl = 0, xc = 0, el = 0, ec = 0;
  bt_status s = csv_record(in, got, &line, in->n_names, &xl, &xc, &el, &ec, err);
  if (s || !*got)
    return s;
  if (in->nf > in->n_names)
    return error_set_at(err, BT_ERR_INPUT, in->path, xl, xc,
                        "row has %zu fields but the header has %zu (extra field starts here)",
                        in->nf, in->n_names);
  if (in->nf < in->n_names)
    return error_set_at(err, BT_ERR_INPUT, in->path, el, ec,
                        "row has %zu field%s but the header has %zu (the row ends here)", in->nf,
                        in->nf == 1 ? "" : "s", in->n_names);
  input_record_finish(in, line);
  return BT_OK;
}
