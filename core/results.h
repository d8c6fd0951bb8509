/* results: a job's input rows merged with their outcomes, in input order, streamed from the
 * store (one row in memory at a time): the input columns (in the input's field order,
 * jobs.input_fields) then status, output, error, input_tokens, output_tokens, cost_usd.
 * Formats: "csv" (RFC 4180 quoting) or "jsonl" (one object a line).
 *
 * Any thread, on its own store connection. The caller owns out. results_export_file writes
 * FILE.tmp beside the target and renames it, so a reader never sees half a file. */
#ifndef BT_RESULTS_H
#define BT_RESULTS_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "result_scan.h"
#include "store.h"

/* NULL format: the input's (jsonl stays jsonl; csv and tsv give csv). */
const char *results_default_format(const char *input_format);
bt_status results_export(bt_store *s, const char *job_id, const char *format, FILE *out,
                         int64_t *rows, bt_error *err) BT_WUR;
/* The format a file name asks for by its extension (.csv/.tsv: csv, .jsonl/.ndjson: jsonl),
 * or NULL. `results -o FILE` uses it before --format and the input's. */
const char *results_format_for_path(const char *path);
/* The error for an output file that could not be opened (errno errnum), saying why: a
 * missing folder is named. Returns BT_ERR_IO. */
bt_status results_open_error(const char *path, int errnum, bt_error *err) BT_WUR;
bt_status results_export_file(bt_store *s, const char *job_id, const char *format, const char *path,
                              int64_t *rows, bt_error *err) BT_WUR;

/* CSV writing shared with pipeline results: one field (RFC 4180 quoting; NULL is empty), with a
 * comma before it unless first; and a JSON value as CSV text (strings as they are, null empty,
 * others compact JSON). */
void results_csv_field(FILE *out, const char *s, int first);
void results_csv_value(FILE *out, json_t *v, int first);
/* A row's input columns (the members names[0..nf) of its stored input, a JSON object text of
 * len bytes; NULL: none) as CSV cells, each as results_csv_value writes it: read in place when
 * the object is flat (json_flat_get), else through jansson. vals: room for nf values; scratch: room
 * for len + 1 bytes. */
/* A cost as CSV text, exactly as "%.8f" prints it, into b (room for RESULTS_COST_MAX bytes:
 * the longest double, 1.8e308, takes 320); returns b. */
#define RESULTS_COST_MAX 330
const char *results_fmt_cost(char *b, double v);
void results_csv_inputs(FILE *out, const char *text, size_t len, const char *const *names,
                        size_t nf, json_flat_value *vals, char *scratch);
/* The same cells through jansson alone (text up to its first NUL): results_csv_inputs' way for
 * what the flat reader declines, and the reference its tests hold the flat reader to. */
void results_csv_inputs_json(FILE *out, const char *text, const char *const *names, size_t nf);

#endif
