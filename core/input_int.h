/* input_int: the reader state shared by input.c, input_csv.c and input_jsonl.c. Private to
 * those files; nothing outside core/input*.c includes it. */
#ifndef BT_INPUT_INT_H
#define BT_INPUT_INT_H

#include <stdio.h>

#include "buf.h"
#include "input.h"
#include "input_utf8.h"

#define INPUT_CHUNK (64 * 1024)
/* Longest record or JSONL line we hold (a request cannot be larger anyway). */
#define INPUT_MAX_RECORD ((size_t)256 * 1024 * 1024)
/* Field names listed for a JSONL file (keys beyond this are still read in each record; a CSV
 * header is never cut). */
#define INPUT_MAX_NAMES 4096

struct bt_input {
  bt_input_format format;
  char *path;
  /* byte source: a file read in chunks, or a caller's memory buffer */
  FILE *f;
  char *chunk;
  const char *rbuf;
  size_t rlen, rpos;
  int eof, io_error;
  int is_stream;  /* a FIFO, socket or terminal: read once, in order */
  long line, col; /* position of the next byte */
  bt_utf8 u8;
  long u8_line, u8_col; /* where the current multi-byte sequence started */
  int finished;         /* end reached or an error was returned */
  int64_t rows;
  /* field names: the CSV header, or JSONL keys in order of first appearance */
  char **names;
  size_t n_names, cap_names;
  size_t *name_slots; /* open-addressing index of names: 0 = empty, else index + 1 */
  size_t name_mask;   /* slots - 1 (a power of two), 0 before the first name */
  /* the current record */
  bt_buf data; /* values (and JSONL keys), each NUL-terminated */
  size_t *offs, *name_offs, *lens;
  unsigned char *kinds;
  const char **vals, **rnames;
  size_t nf, capf;
  bt_record rec;
  char sep;
  unsigned char csv_stop[256]; /* bytes that end a fast run (input_csv.c) */
  long *fline, *fcol;          /* while reading the header: where each field starts */
  size_t capf_pos;
  int track_pos;
  long blank_line; /* first empty line not yet followed by data (0: none) */
  bt_buf line_buf; /* JSONL */
};

/* Make the next chunk available; 0 at the end (or on a read error: io_error set). */
int input_fill(bt_input *in);

static inline int input_peek(bt_input *in) {
  if (in->rpos < in->rlen || input_fill(in))
    return (unsigned char)in->rbuf[in->rpos];
  return -1;
}

/* Grow the per-record arrays to hold at least n fields. */
bt_status input_fields_reserve(bt_input *in, size_t n);
/* Add a field name to in->names (copied) unless present; returns its index, -1 when out of
 * memory, -2 when INPUT_MAX_NAMES are listed already. Constant time on average (a hash index),
 * so a header of 200,000 columns is read in linear time. */
long input_names_add(bt_input *in, const char *name);
/* The index of a listed name, or -1. */
long input_names_find(const bt_input *in, const char *name);
/* Point rec at the stored fields. */
void input_record_finish(bt_input *in, int64_t line_no);

bt_status input_csv_header(bt_input *in, bt_error *err);
bt_status input_csv_next(bt_input *in, int *got, bt_error *err);
bt_status input_jsonl_next(bt_input *in, int *got, bt_error *err);

#endif
