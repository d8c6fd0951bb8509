/* input: streaming record readers for CSV, TSV and JSONL, one record at a time, with memory
 * that stays flat however large the file (only the current record is held).
 *
 * CSV follows RFC 4180: quoted fields may hold separators, doubled quotes and line breaks;
 * records end with LF or CRLF; a UTF-8 BOM is skipped; the first record is the header that
 * names the fields (names are trimmed of spaces and tabs). TSV is the same with a tab.
 * JSONL: one JSON object per LF-terminated line; string values are the text, numbers and
 * booleans as written in the file, nested arrays/objects as compact JSON, null as "" (marked
 * BT_VAL_NULL so a template default applies). Empty lines at the end are ignored; anywhere
 * else they are an error. An input with no data rows is an error.
 *
 * Every problem is a BT_ERR_INPUT with FILE:LINE:COL; lines and columns are 1-based and the
 * column counts bytes (not characters) from the start of the line.
 *
 * Ownership: input_open() gives a bt_input the caller frees with input_close(). A record and
 * every string in it belong to the reader and stay valid until the next input_next() or
 * input_close(). One thread at a time per bt_input. */
#ifndef BT_INPUT_H
#define BT_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

typedef enum { BT_INPUT_CSV, BT_INPUT_TSV, BT_INPUT_JSONL } bt_input_format;

typedef enum {
  BT_VAL_STRING, /* text; JSON-escape it when writing JSON */
  BT_VAL_RAW,    /* a JSON number, boolean, array or object, written as is */
  BT_VAL_NULL    /* JSON null: value is "" */
} bt_val_kind;

typedef struct bt_record {
  int64_t row_no;  /* 1-based data row (a CSV header is not counted) */
  int64_t line_no; /* line where the record starts */
  size_t n;        /* number of fields */
  const char *const *names;
  const char *const *values; /* NUL-terminated; lens[i] is the byte length (values hold no NUL) */
  const size_t *lens;
  const unsigned char *kinds; /* bt_val_kind per field */
} bt_record;

typedef struct bt_input bt_input;

/* Format from a name ("csv", "tsv", "jsonl"/"ndjson"/"json"); BT_ERR_USAGE when unknown. */
bt_status input_format_parse(const char *name, bt_input_format *out, bt_error *err) BT_WUR;
/* Format from the file's extension (.tsv/.tab, .jsonl/.ndjson/.json, anything else CSV). */
bt_input_format input_format_guess(const char *path);
const char *input_format_name(bt_input_format f);

/* Open a file. For CSV/TSV the header is read here (errors in it are reported now). */
bt_status input_open(const char *path, bt_input_format format, bt_input **out,
                     bt_error *err) BT_WUR;
/* Read from a memory buffer instead (fuzzers and tests); name is used in messages. The
 * buffer must stay alive until input_close(). */
bt_status input_open_mem(const char *data, size_t len, const char *name, bt_input_format format,
                         bt_input **out, bt_error *err) BT_WUR;

/* Next record into *rec; *rec = NULL at the end. On error the reader is finished. */
bt_status input_next(bt_input *in, const bt_record **rec, bt_error *err) BT_WUR;

/* Field names known so far: the header for CSV/TSV; for JSONL the keys of the records read so
 * far, in order of first appearance (complete after the first record for uniform files; at most
 * 4096 are listed, so a file whose rows bring ever new keys keeps a flat memory). */
size_t input_n_names(const bt_input *in);
const char *input_name(const bt_input *in, size_t i);
bt_input_format input_format(const bt_input *in);
const char *input_path(const bt_input *in);

void input_close(bt_input *in);

/* Index of name in rec, or -1. */
long record_find(const bt_record *rec, const char *name);

#endif
